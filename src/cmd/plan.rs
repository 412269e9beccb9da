//! `bgy plan FILE` shows what a sheet would change; `bgy sync FILE` applies exactly that:
//! `staff/add` cover=0 for creates, cover=1 for updates, `staff/delete` for prunes, nothing
//! for unchanged rows.

use crate::cli::{Cover, Input};
use crate::execute::{self, AddJob, Sink};
use crate::journal::Journal;
use crate::live::{self, Live};
use crate::model::{Layout, Outcome};
use crate::plan::depts::{self, DeptPlan};
use crate::plan::{self, Action, Plan};
use crate::progress::{Progress, Stop};
use crate::report::{journal_path, PlanLine};
use crate::validate::Table;
use crate::{Context, Summary};
use chrono::{DateTime, Local};

use super::{load, report_path, Finish, ReportPath};
use crate::safety;

struct Prepared {
    table: Table,
    live: Live,
    /// The departments sheet's plan, when the workbook has one.
    depts: Option<DeptPlan>,
    plan: Plan,
    lines: Vec<PlanLine>,
    started: DateTime<Local>,
    report: ReportPath,
}

async fn prepare(ctx: &Context, input: &Input, prune: bool) -> anyhow::Result<Prepared> {
    let started = Local::now();
    let mut table = load(input, Layout::Staff)?;
    let client = ctx.client()?;
    let mut live = Live::fetch(client, ctx.quiet).await?;
    let depts = depts::read(&input.file)?.map(|rows| depts::plan(rows, &live.tree));
    if let Some(d) = &depts {
        // Staff rows are checked against the tree as it will be.
        live.tree = d.planned.clone();
    }
    anyhow::ensure!(
        !prune || live.complete,
        "the staff listing came back incomplete ({} of {} people): refusing to prune",
        live.staff.len(),
        live.count
    );
    live::check_staff(&mut table, &live, false, None);
    let plan = plan::diff(&table, &live, prune);
    let mut lines = depts.as_ref().map(DeptPlan::lines).unwrap_or_default();
    lines.extend(plan.lines(&table, &live));
    print_plan(&lines, &plan, depts.as_ref());
    Ok(Prepared {
        report: report_path(input, started)?,
        table,
        live,
        depts,
        plan,
        lines,
        started,
    })
}

/// The plan as a table on stderr (the first lines; all of them are in the report).
fn print_plan(lines: &[PlanLine], plan: &Plan, depts: Option<&DeptPlan>) {
    const SHOWN: usize = 40;
    for l in lines.iter().take(SHOWN) {
        let detail = if l.field.is_empty() && l.new.is_empty() {
            String::new()
        } else if l.field.is_empty() {
            format!("  {}", l.new)
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
    if let Some(d) = depts {
        let (create, rename, invalid) = d.counts();
        eprintln!(
            "plan: departments: {create} to create, {rename} to rename, {invalid} invalid rows"
        );
    }
    let (create, update, unchanged, delete) = plan.counts();
    eprintln!("plan: staff: {create} to create, {update} to update, {unchanged} unchanged, {delete} to delete");
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

fn with_plan_counts(mut summary: Summary, p: &Prepared) -> Summary {
    let (create, update, unchanged, delete) = p.plan.counts();
    summary.created = create;
    summary.updated = update;
    summary.unchanged = unchanged;
    summary.deleted = delete;
    with_dept_counts(summary, p.depts.as_ref(), None)
}

/// Adds the departments sheet's counts (planned, or `done` by sync) and its invalid rows.
fn with_dept_counts(
    mut summary: Summary,
    depts: Option<&DeptPlan>,
    done: Option<(usize, usize)>,
) -> Summary {
    if let Some(d) = depts {
        let (create, rename, invalid) = d.counts();
        let (create, rename) = done.unwrap_or((create, rename));
        summary.departments_created = Some(create);
        summary.departments_renamed = Some(rename);
        summary.invalid += invalid;
        if invalid > 0 && summary.status == crate::Status::Ok {
            summary.status = crate::Status::RowsFailed;
        }
    }
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
        ..with_plan_counts(summary, &p)
    })
}

pub async fn sync(
    ctx: &Context,
    input: &Input,
    prune: bool,
    yes: bool,
    force: bool,
) -> anyhow::Result<Summary> {
    let _lock = crate::lock::lock(&input.file, "sync")?;
    let p = prepare(ctx, input, prune).await?;
    let client = ctx.client()?;
    if !p.plan.prune.is_empty() {
        if let Some(refusal) =
            safety::guard(p.plan.prune.len(), p.live.staff.len()).filter(|_| !force)
        {
            anyhow::bail!(refusal);
        }
        safety::confirm(p.plan.prune.len(), yes).await?;
        safety::backup(&input.file, p.started, &p.live, &p.plan.prune)?;
    }
    let stop = Stop::new();
    let _ctrl_c = stop.on_ctrl_c(ctx.client.as_ref());
    let journal = Journal::create(&journal_path(&p.report), "sync", &input.file)?;
    let mut lines = p.lines.clone();
    // Departments first, so staff can be placed in departments made in this run.
    let (real_tree, dept_done) = match &p.depts {
        Some(d) => {
            let (tree, done, failures) =
                crate::execute::depts::apply_departments(client, d).await?;
            lines.extend(failures);
            (Some(tree), Some(done))
        }
        None => (None, None),
    };
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
            let form = match &real_tree {
                Some(real) => crate::execute::depts::resolved_form(&row.values, &p.live.tree, real),
                None => row.values.form(),
            };
            Some(AddJob {
                index,
                row: row.source_row,
                account: row.account().to_string(),
                form,
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
    for (i, outcome) in execute::add_staff(client, jobs, &sink).await {
        outcomes[i] = outcome;
    }
    let pruned = crate::execute::delete::delete_all(client, p.plan.prune.clone(), &sink).await;
    progress.finish();
    super::mark_unsent(&mut outcomes, &sink);
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
    Ok(with_dept_counts(summary, p.depts.as_ref(), dept_done))
}
