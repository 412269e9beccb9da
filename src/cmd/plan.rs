//! `bgy plan FILE` shows what a sheet would change; `bgy sync FILE` applies exactly that:
//! `staff/add` cover=0 for creates, cover=1 for updates, `staff/delete` for prunes, nothing
//! for unchanged rows.

use std::path::PathBuf;

use chrono::{DateTime, Local};
use futures::StreamExt;

use crate::api::DELETE_CHUNK;
use crate::cli::{Cover, Input};
use crate::execute::{self, AddJob, Sink};
use crate::journal::Journal;
use crate::model::{Layout, Outcome};
use crate::plan::{self, Action, Plan};
use crate::progress::{Progress, Stop};
use crate::report::{journal_path, PlanLine};
use crate::validate::online::{self, Live};
use crate::validate::Table;
use crate::{Context, Summary};

use super::{delete, load, report_path, Finish};

struct Prepared {
    table: Table,
    live: Live,
    plan: Plan,
    lines: Vec<PlanLine>,
    started: DateTime<Local>,
    report: PathBuf,
}

async fn prepare(ctx: &Context, input: &Input, prune: bool) -> anyhow::Result<Prepared> {
    let started = Local::now();
    let mut table = load(input, Layout::Staff)?;
    let client = ctx.client()?;
    let live = Live::fetch(client, ctx.quiet).await?;
    anyhow::ensure!(
        !prune || live.complete,
        "the staff listing came back incomplete ({} of {} people): refusing to prune",
        live.staff.len(),
        live.count
    );
    online::check_staff(&mut table, &live, false, None);
    let plan = plan::diff(&table, &live, prune);
    let lines = plan.lines(&table, &live);
    print_plan(&lines, &plan);
    Ok(Prepared {
        report: report_path(input, started),
        table,
        live,
        plan,
        lines,
        started,
    })
}

/// The plan as a table on stderr (the first lines; all of them are in the report).
fn print_plan(lines: &[PlanLine], plan: &Plan) {
    const SHOWN: usize = 40;
    for l in lines.iter().take(SHOWN) {
        let detail = if l.field.is_empty() {
            String::new()
        } else {
            format!(
                "  {}: {} → {}",
                l.field,
                if l.old.is_empty() {
                    "(空 empty)"
                } else {
                    &l.old
                },
                l.new
            )
        };
        eprintln!("  {:<10} {}{detail}", l.action, l.target);
    }
    if lines.len() > SHOWN {
        eprintln!(
            "  … {} more lines in the report's 计划 Plan sheet",
            lines.len() - SHOWN
        );
    }
    let (create, update, unchanged, delete) = plan.counts();
    eprintln!(
        "plan: {create} to create, {update} to update, {unchanged} unchanged, {delete} to delete"
    );
}

fn planned_outcomes(p: &Prepared) -> Vec<Outcome> {
    p.plan
        .actions
        .iter()
        .map(|a| match a {
            None => Outcome::Invalid,
            Some(Action::Unchanged) => Outcome::Unchanged,
            Some(_) => Outcome::Valid,
        })
        .collect()
}

fn with_plan_counts(mut summary: Summary, plan: &Plan) -> Summary {
    let (create, update, unchanged, delete) = plan.counts();
    summary.created = create;
    summary.updated = update;
    summary.unchanged = unchanged;
    summary.deleted = delete;
    summary
}

pub async fn plan(ctx: &Context, input: &Input, prune: bool) -> anyhow::Result<Summary> {
    let p = prepare(ctx, input, prune).await?;
    let outcomes = planned_outcomes(&p);
    let summary = Finish {
        command: "plan",
        ctx,
        table: &p.table,
        outcomes: &outcomes,
        started: p.started,
        report: &p.report,
        stop: None,
        plan: Some(&p.lines),
    }
    .write()?;
    Ok(Summary {
        command: "plan",
        ..with_plan_counts(summary, &p.plan)
    })
}

pub async fn sync(
    ctx: &Context,
    input: &Input,
    prune: bool,
    yes: bool,
    force: bool,
) -> anyhow::Result<Summary> {
    let p = prepare(ctx, input, prune).await?;
    let client = ctx.client()?;
    if !p.plan.prune.is_empty() {
        if let Some(refusal) =
            delete::guard(p.plan.prune.len(), p.live.staff.len()).filter(|_| !force)
        {
            anyhow::bail!(refusal);
        }
        delete::confirm(p.plan.prune.len(), yes).await?;
        delete::backup(&input.file, p.started, &p.live, &p.plan.prune)?;
    }
    let stop = Stop::new();
    let _ctrl_c = stop.on_ctrl_c();
    let journal = Journal::create(&journal_path(&p.report), "sync", &input.file)?;
    let mut outcomes = planned_outcomes(&p);
    let jobs: Vec<AddJob> = p
        .table
        .rows
        .iter()
        .zip(&p.plan.actions)
        .enumerate()
        .filter_map(|(index, (row, action))| {
            let existed = match action {
                Some(Action::Create) => false,
                Some(Action::Update(_)) => true,
                _ => return None,
            };
            Some(AddJob {
                index,
                row: row.source_row,
                account: row.account().to_string(),
                form: row.values.form(),
                existed,
                cover: if existed {
                    Cover::Overwrite
                } else {
                    Cover::Skip
                },
            })
        })
        .collect();
    let progress = Progress::new(
        (jobs.len() + p.plan.prune.len()) as u64,
        "syncing",
        ctx.quiet,
    );
    let sink = Sink {
        journal: Some(&journal),
        progress: &progress,
        stop: &stop,
    };
    for (i, outcome) in execute::add_staff(client, jobs, client.concurrency(), &sink).await {
        outcomes[i] = outcome;
    }
    let batches = execute::chunks(p.plan.prune.clone(), DELETE_CHUNK, |a| a.clone());
    let pruned: Vec<(String, Outcome)> = futures::stream::iter(batches)
        .map(|batch| delete::delete_batch(client, batch, &sink))
        .buffer_unordered(client.concurrency())
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .flatten()
        .collect();
    progress.finish();
    super::mark_unsent(&mut outcomes, &sink);
    let mut lines = p.lines.clone();
    for (account, outcome) in &pruned {
        if !matches!(outcome, Outcome::Deleted) {
            lines.push(PlanLine {
                action: "delete failed 删除失败".into(),
                target: account.clone(),
                field: String::new(),
                old: String::new(),
                new: outcome.error_text().unwrap_or_default(),
            });
        }
    }
    let mut summary = Finish {
        command: "sync",
        ctx,
        table: &p.table,
        outcomes: &outcomes,
        started: p.started,
        report: &p.report,
        stop: Some(&stop),
        plan: Some(&lines),
    }
    .write()?;
    let deleted = pruned
        .iter()
        .filter(|(_, o)| *o == Outcome::Deleted)
        .count();
    let prune_failed = pruned.len() - deleted;
    if !pruned.is_empty() {
        eprintln!(
            "bgy sync: pruned {deleted} of {} accounts not in the sheet",
            pruned.len()
        );
    }
    summary.deleted = deleted;
    summary.failed += prune_failed;
    if prune_failed > 0 && summary.status == crate::Status::Ok {
        summary.status = crate::Status::RowsFailed;
    }
    Ok(summary)
}
