//! `bgy plan FILE` shows what a sheet would change; `bgy sync FILE` applies exactly that:
//! `staff/add` cover=0 for creates, cover=1 for updates, `staff/delete` for prunes, nothing
//! for unchanged rows.

use crate::config::{Destructive, Input};
use crate::context::Context;
use crate::events::{phases, Emit, Event, PlanShown};
use crate::execute::session::{Extra, Session};
use crate::execute::{self, delete::delete_all, depts, AddJob};
use crate::live::{self, Live};
use crate::model::{Layout, Outcome};
use crate::outcome::PlanLine;
use crate::outcome::{Counts, Summary};
use crate::plan::depts::DeptPlan;
use crate::plan::{self, Action, Plan};
use crate::safety;

struct Prepared<'a> {
    session: Session<'a>,
    live: Live,
    /// The departments sheet's plan, when the workbook has one.
    depts: Option<DeptPlan>,
    plan: Plan,
    lines: Vec<PlanLine>,
}

async fn prepare<'a>(
    ctx: &'a Context,
    command: &'static str,
    input: &'a Input,
    prune: bool,
) -> anyhow::Result<Prepared<'a>> {
    ctx.client()?;
    let listing = super::Listing::start(ctx);
    let mut session = Session::open(ctx, command, input, Layout::Staff, command == "sync")?;
    let mut live = match listing.done().await? {
        Some(listed) => listed?,
        None => anyhow::bail!("bgy {command} needs the directory: set a ticket or use --emulator"),
    };
    let depts = plan::depts::read(&session.bytes, &input.file)?
        .map(|rows| plan::depts::plan(rows, &live.tree));
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
    live::check_staff(&mut session.table, &live, false, false);
    let plan = plan::diff(&session.table, &live, prune);
    let mut lines = depts.as_ref().map(DeptPlan::lines).unwrap_or_default();
    lines.extend(plan.lines(&session.table, &live));
    let shown = ctx.events.plan_lines();
    ctx.events.event(Event::Plan(PlanShown {
        lines: lines.iter().take(shown).cloned().collect(),
        more: lines.len().saturating_sub(shown),
        staff: plan.counts(),
        departments: depts.as_ref().map(DeptPlan::counts),
    }));
    session.outcomes = planned_outcomes(&plan);
    Ok(Prepared {
        session,
        live,
        depts,
        plan,
        lines,
    })
}

fn planned_outcomes(plan: &Plan) -> Vec<Outcome> {
    plan.actions
        .iter()
        .map(|a| match a {
            None => Outcome::Invalid,
            Some(Action::Unchanged) => Outcome::Unchanged,
            Some(_) => Outcome::Valid,
        })
        .collect()
}

/// The departments sheet's invalid rows, and its creates and renames (planned, or `done`).
fn dept_extra(depts: Option<&DeptPlan>, done: Option<(usize, usize)>) -> Extra {
    let Some(d) = depts else {
        return Extra::default();
    };
    let c = d.counts();
    let (created, renamed) = done.unwrap_or((c.create, c.rename));
    Extra {
        invalid: c.invalid,
        departments_created: Some(created),
        departments_renamed: Some(renamed),
        ..Extra::default()
    }
}

pub async fn plan(ctx: &Context, input: &Input, prune: bool) -> anyhow::Result<Summary> {
    let p = prepare(ctx, "plan", input, prune).await?;
    let counts = p.plan.counts();
    let extra = Extra {
        planned: Some(counts),
        ..dept_extra(p.depts.as_ref(), None)
    };
    let summary = p.session.finish(Some(&p.lines), extra)?;
    // A plan counts what it would do, not what it did.
    Ok(Summary {
        counts: Counts {
            created: counts.create,
            updated: counts.update,
            unchanged: counts.unchanged,
            deleted: counts.delete,
            ..summary.counts
        },
        ..summary
    })
}

pub async fn sync(
    ctx: &Context,
    input: &Input,
    prune: bool,
    destructive: Destructive,
) -> anyhow::Result<Summary> {
    let mut p = prepare(ctx, "sync", input, prune).await?;
    let client = ctx.client()?;
    let prunes = p.plan.prune.clone();
    let started = p.session.started;
    safety::before_removing(
        ctx,
        "sync",
        &p.live,
        &prunes,
        destructive,
        &input.file,
        started,
    )
    .await?;
    p.session.start_journal()?;
    let named: Vec<String> = p
        .session
        .table
        .valid_rows()
        .map(|r| r.account().to_string())
        .collect();
    p.session
        .remember(&p.live, named.iter().chain(&prunes).map(String::as_str));
    // Departments first, so staff can be placed in departments made in this run.
    let applied = match &p.depts {
        Some(d) => {
            let history = p.session.recorder();
            Some(depts::apply_departments(client, d, ctx.events.as_ref(), history).await?)
        }
        None => None,
    };
    let jobs = add_jobs(&p, applied.as_ref().map(|a| &a.tree));
    ctx.events
        .phase(phases::SYNCING, (jobs.len() + prunes.len()) as u64);
    let s = &mut p.session;
    let results = execute::add_staff(client, jobs, &s.sink()).await;
    for (i, outcome) in results {
        s.outcomes[i] = outcome;
    }
    let targets = prunes.into_iter().map(|a| (None, a)).collect();
    let pruned = delete_all(client, targets, &s.sink()).await;
    let mut lines = p.lines;
    if let Some(a) = &applied {
        lines.extend(a.failures.iter().cloned());
    }
    let mut extra = dept_extra(
        p.depts.as_ref(),
        applied.as_ref().map(|a| (a.created, a.renamed)),
    );
    for (account, outcome) in &pruned {
        if outcome == &Outcome::Deleted {
            extra.deleted += 1;
            continue;
        }
        extra.failed += 1;
        lines.push(PlanLine {
            action: "删除失败 (delete failed)".into(),
            target: account.clone(),
            field: String::new(),
            old: String::new(),
            new: outcome.error_text().unwrap_or_default(),
        });
    }
    if !pruned.is_empty() {
        ctx.events.note(format!(
            "bgy sync: pruned {} of {} accounts not in the sheet",
            extra.deleted,
            pruned.len()
        ));
    }
    p.session.finish(Some(&lines), extra)
}

/// `staff/add` for each create (cover=0) and update (cover=1); departments resolved in the
/// `real` tree when the sync changed it.
fn add_jobs(p: &Prepared, real: Option<&crate::model::tree::DeptTree>) -> Vec<AddJob> {
    p.session
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
            let form = match real {
                Some(real) => depts::resolved_form(&row.values, &p.live.tree, real),
                None => row.values.form(),
            };
            Some(AddJob::to_match(index, row, form, existed))
        })
        .collect()
}
