//! `bgy import FILE`: validate, check online, create missing departments if asked, then one
//! `staff/add` a valid row, concurrently; every outcome journaled, then the report.

use std::cell::OnceCell;
use std::collections::BTreeSet;

use super::{Checking, Listing};
use crate::config::{ImportOptions, Input};
use crate::context::Context;
use crate::events::{phases, Emit};
use crate::execute::depts;
use crate::execute::session::{Extra, Session};
use crate::journal::Call;
use crate::live::{self, Live};
use crate::model::{AccountKey, Command, Cover, Field, Layout, Outcome};
use crate::outcome::Summary;
use crate::plan::staff::Sent;

pub async fn run(ctx: &Context, input: &Input, opts: ImportOptions) -> anyhow::Result<Summary> {
    let listed = OnceCell::new();
    let summary = import(ctx, input, opts, &listed).await;
    crate::os::drop_later(listed);
    summary
}

async fn import(
    ctx: &Context,
    input: &Input,
    opts: ImportOptions,
    listed: &OnceCell<Live>,
) -> anyhow::Result<Summary> {
    // A dry run's report is its rows as checked: written as they are, from while they are read.
    let report = opts.dry_run && !input.no_report;
    let mut checking = Checking::new(
        Listing::start(ctx),
        listed,
        report,
        opts.create_departments,
        false,
    );
    // A dry run shows the values of the first valid rows; the others are only counted once
    // written (with --create-departments, their departments kept: after a duplicate found
    // late the paths to create are counted again from the rows still valid).
    if opts.dry_run {
        let mut valid = 0;
        checking = checking.forgetting(move |_| {
            valid += 1;
            valid > PREVIEW_ROWS
        });
    }
    let layout = Some(Layout::Staff);
    let mut s = match opts.dry_run {
        true => Session::open_watched(
            ctx,
            Command::Import,
            input,
            layout,
            false,
            &mut |l, h, r| checking.watch(l, h, r),
        )?,
        false => Session::open(ctx, Command::Import, input, Layout::Staff, true)?,
    };
    let done = match opts.resume {
        true => s.resumed()?,
        false => Default::default(),
    };
    let live = checking.live(ctx).await?;
    let to_create = match live {
        Some(live) if opts.dry_run => checking.rest(&mut s, live),
        Some(live) => live::check_staff(&mut s.table, live, opts.create_departments, false),
        None => BTreeSet::new(),
    };
    if live.is_some_and(|l| !l.complete) {
        ctx.events
            .warn("通讯录的人员列表没有读全,新增和更新的计数可能不准 (the staff listing came back incomplete; created/updated counts may be off)");
    }
    s.outcomes_as_validated();
    if let (Cover::Overwrite, Some(live)) = (opts.cover, live) {
        bring_back_in_service(ctx, &mut s, live)?;
    }
    if opts.dry_run {
        preview(ctx, &s, opts, &to_create);
        return s.finish(None, Extra::default());
    }
    let client = ctx.client()?;
    s.start_journal()?;
    if ctx.stop.is_stopped() {
        return s.finish(None, Extra::default());
    }
    s.carry_over(&done.rows);
    if let Some(live) = live {
        s.settle_cut_off(&done.cut_off, live, opts.cover);
        let accounts: Vec<String> = s
            .table
            .valid_rows()
            .map(|r| r.account().to_string())
            .collect();
        s.remember(live, accounts.iter().map(String::as_str));
    }
    if let (false, Some(live)) = (to_create.is_empty(), live) {
        create_departments(&mut s, live, &to_create).await;
    }
    // An account the earlier run's cut-off call created (cover=1 sends it again) was not on
    // the server before the run: created, not updated.
    let created_then = |a: &str| done.cut_off.get(&*AccountKey::text(a)) == Some(&Call::Create);
    let existed = |a: &str| live.is_some_and(|l| l.person(a).is_some()) && !created_then(a);
    let mut jobs = s.take_jobs(existed);
    for job in &mut jobs {
        job.cover = opts.cover;
    }
    ctx.events.phase(phases::IMPORTING, jobs.len() as u64);
    s.send_staff(client, jobs).await;
    s.finish(None, Extra::default())
}

/// `--cover overwrite`: a valid row that says 在职 (which sends no status) of a leaver bgy
/// marked gives them back the status they had, 复职时间 today unless the row dates it, as a
/// plan does (the row's warning says so). Without a history, there is no one bgy marked.
fn bring_back_in_service(ctx: &Context, s: &mut Session, live: &Live) -> anyhow::Result<()> {
    if !ctx.has_history() {
        return Ok(());
    }
    let marked = ctx.history()?.marked_left()?;
    if marked.is_empty() {
        return Ok(());
    }
    let sent = Sent::new(Vec::new(), marked, false, &crate::model::today());
    let mut back = 0;
    let rows = s.table.rows.iter_mut();
    for row in rows.filter(|r| r.is_valid() && r.says_in_service()) {
        if let Some(person) = live.person(row.account()) {
            back += usize::from(sent.bring_back_in_service(row.values_mut(), person));
        }
    }
    if back > 0 {
        ctx.events.note(format!(
            "bgy import: {back} 个被 bgy 标记为离职的人,表格写着在职,恢复为之前的人事状态 ({back} leaver(s) bgy marked, whose rows say 在职, get their status back)"
        ));
    }
    Ok(())
}

/// `--create-departments`: every missing level of the rows' paths, parents first; rows under
/// a department that could not be made fail.
async fn create_departments(s: &mut Session<'_>, live: &Live, to_create: &BTreeSet<String>) {
    let ctx = s.ctx;
    let Ok(client) = ctx.client() else {
        return;
    };
    ctx.events.note(format!(
        "bgy import: creating the missing departments of {} path(s)",
        to_create.len()
    ));
    let created = match depts::create_paths(client, live.tree.clone(), to_create).await {
        Ok((_, created)) => created,
        Err(e) => return ctx.stop.fatal_api(&e),
    };
    for path in &created.made {
        ctx.events.note(format!("  created {path}"));
        depts::record_create(s.recorder(), ctx.events.as_ref(), path);
    }
    for (i, row) in s.table.rows.iter().enumerate() {
        if s.outcomes[i] != Outcome::Valid {
            continue;
        }
        let place = row.values().placement();
        let under = |p: &String| place.under(p);
        if let Some((path, why)) = created.failed.iter().find(|(p, _)| under(p)) {
            let outcome = Outcome::Failed {
                errno: None,
                message: format!("部门 {path} 未能创建 (department not created): {why}"),
            };
            s.sink().done(Some(row.source_row), row.account(), &outcome);
            s.outcomes[i] = outcome;
        }
    }
}

/// The rows whose values a dry run shows.
const PREVIEW_ROWS: usize = 10;

/// `--dry-run`: what would be sent, the bank card left out.
fn preview(ctx: &Context, s: &Session, opts: ImportOptions, to_create: &BTreeSet<String>) {
    let cover = opts.cover.api_value();
    for path in to_create {
        ctx.events.note(format!("would create department {path}"));
    }
    // (A row a duplicate failed after it was written leaves fewer: those after were let go.)
    let shown: Vec<_> = s
        .table
        .valid_rows()
        .filter(|r| !r.values_gone)
        .take(PREVIEW_ROWS)
        .collect();
    for row in &shown {
        // Every field it sends, a card masked (it went unsaid, though sent).
        let fields: Vec<String> = row
            .values()
            .iter()
            .map(|(f, v)| match f {
                Field::BankCard => format!("{}={}", f.key(), crate::model::mask_card(v)),
                _ => format!("{}={v}", f.key()),
            })
            .collect();
        ctx.events.note(format!(
            "would send staff/add cover={cover} (row {}): {}",
            row.source_row,
            fields.join(" ")
        ));
    }
    let valid = s.table.valid_rows().count();
    if valid > shown.len() {
        ctx.events
            .note(format!("… and {} more rows", valid - shown.len()));
    }
    ctx.events.note("dry run: nothing was sent");
}
