//! `bgy leave FILE`: the people of a 离职名单 marked as leavers, kept in the directory: each
//! account once, in sheet order, past the guard and the confirmation, its record before kept
//! in the history (so that `bgy undo` gives it back), then `staff/add` with 人事状态 已离职
//! (status 3), the row's 离职时间 and 离职原因 (or the run's), cover=1: what a sync that marks
//! the people its sheet lacks sends. Someone already 已离职 is left as they are.

use std::collections::HashSet;

use crate::config::{Destructive, Input};
use crate::context::Context;
use crate::events::{phases, Emit};
use crate::execute::add::{add_staff, AddJob};
use crate::execute::session::{Extra, Session};
use crate::live::Live;
use crate::model::{AccountKey, Command, Field, Layout, Outcome};
use crate::outcome::Summary;
use crate::plan::staff::Sent;
use crate::safety;

pub async fn run(
    ctx: &Context,
    input: &Input,
    (date, reason): (Option<&str>, Option<&str>),
    destructive: Destructive,
) -> anyhow::Result<Summary> {
    let mut s = Session::open(ctx, Command::Leave, input, Layout::Leave, true)?;
    s.hash_input();
    let client = ctx.client()?;
    let live = Live::fetch(client, ctx.events.as_ref()).await?;
    anyhow::ensure!(
        live.complete,
        "员工列表不完整 (只收到 {got} / {count} 人),不标记:没有人被标记为离职 (the staff listing came back incomplete ({got} of {count} people): refusing to mark anyone; nobody was marked as a leaver)",
        got = live.staff.len(),
        count = live.count
    );
    let today = crate::model::today();
    // Someone already 已离职 (bgy marked them, or the listing shows a 离职时间) is not sent
    // again: a list run twice would otherwise move their 离职时间 to today.
    let already = Sent::new(ctx.history()?.statuses()?, Vec::new(), false, &today);
    let date = date.unwrap_or(&today);
    let list = format!("离职名单 {} (bgy leave)", input.name());
    let reason = reason.unwrap_or(&list);
    super::check::warn_of_other_names(ctx, &mut s.table.rows, &live, Layout::Leave);
    // Each account once, as its first row says; a repeat (warned about) is skipped.
    let mut seen = HashSet::new();
    let mut jobs = Vec::new();
    let mut accounts = Vec::new();
    for (i, row) in s.table.rows.iter().enumerate() {
        if !row.is_valid() {
            continue;
        }
        if !seen.insert(AccountKey::text(row.account())) {
            s.outcomes[i] = Outcome::Skipped;
            continue;
        }
        let Some(p) = live.person(row.account()) else {
            s.outcomes[i] = Outcome::NotFound;
            continue;
        };
        if already.has_left(p) {
            s.outcomes[i] = Outcome::Unchanged;
            continue;
        }
        let (date, why) = (
            row.values().get(Field::QuiteTime).unwrap_or(date),
            row.values().get(Field::QuiteReason).unwrap_or(reason),
        );
        jobs.push(AddJob::leaver(
            i,
            Some(row.source_row),
            p.account(),
            date,
            why,
        ));
        accounts.push(p.account().to_string());
    }
    drop(seen);
    let unchanged = (s.outcomes.iter())
        .filter(|o| **o == Outcome::Unchanged)
        .count();
    if unchanged > 0 {
        ctx.events.warn(format!(
            "{unchanged} 人已是已离职,不再标记 ({unchanged} already marked as leavers: not marked again)"
        ));
    }
    safety::before_marking(ctx, "leave", &live, &accounts, destructive).await?;
    s.start_journal()?;
    s.remember(&live, accounts.iter().map(String::as_str));
    ctx.events.phase(phases::LEAVING, jobs.len() as u64);
    for (i, outcome) in add_staff(client, jobs, &s.sink()).await {
        s.outcomes[i] = outcome;
    }
    s.finish(None, Extra::default())
}
