//! `bgy delete FILE`: the accounts of the sheet's 帐号 column, de-duplicated, past the
//! destructive-safety guard, confirmed, backed up to a workbook `bgy import` can restore from,
//! then `staff/delete` 200 at a time. A partial failure (1214) is resolved by re-listing.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use crate::config::{Destructive, Input};
use crate::context::Context;
use crate::events::{phases, Emit};
use crate::execute::delete::{delete_all, Target};
use crate::execute::session::{Extra, Session};
use crate::live::Live;
use crate::model::{AccountKey, Command, Layout, Outcome};
use crate::outcome::Summary;
use crate::safety;

pub async fn run(
    ctx: &Context,
    input: &Input,
    destructive: Destructive,
) -> anyhow::Result<Summary> {
    let mut s = Session::open(ctx, Command::Delete, input, Layout::Delete, true)?;
    // Nothing reads the sheet again: its bytes go before the listing and the backup come.
    s.hash_input();
    let client = ctx.client()?;
    let live = Live::fetch(client, ctx.events.as_ref()).await?;
    anyhow::ensure!(
        live.complete,
        "员工列表不完整 (只收到 {got} / {count} 人),不删除:什么也没有删除 (the staff listing came back incomplete ({got} of {count} people): refusing to delete; nothing was deleted)",
        got = live.staff.len(),
        count = live.count
    );
    super::check::warn_of_other_names(ctx, &mut s.table.rows, &live, Layout::Delete);
    // Each account once, in sheet order; a repeat (warned about) is skipped, so that one
    // person deleted counts once. The keys borrow the rows' accounts (most are their own key)
    // and the directory's: a delete of 100,000 copied each account three times.
    let mut seen: HashSet<Cow<'_, str>> = HashSet::new();
    let mut row_of: HashMap<&str, usize> = HashMap::new();
    let mut known: Vec<Target> = Vec::new();
    let mut accounts: Vec<&str> = Vec::new();
    for (i, row) in s.table.rows.iter().enumerate() {
        if !row.is_valid() {
            continue;
        }
        if !seen.insert(AccountKey::text(row.account())) {
            s.outcomes[i] = Outcome::Skipped;
            continue;
        }
        match live.person(row.account()) {
            Some(p) => {
                row_of.insert(p.account(), i);
                accounts.push(p.account());
                known.push((Some(row.source_row), p.account()));
            }
            None => s.outcomes[i] = Outcome::NotFound,
        }
    }
    drop(seen);
    safety::before_removing(
        ctx,
        "delete",
        &live,
        &accounts,
        destructive,
        &input.file,
        s.started,
    )
    .await?;
    s.start_journal()?;
    s.remember(&live, accounts.iter().copied());
    ctx.events.phase(phases::DELETING, known.len() as u64);
    let results = delete_all(client, known, &s.sink()).await;
    for (account, outcome) in results {
        if let Some(&i) = row_of.get(account) {
            s.outcomes[i] = outcome;
        }
    }
    s.finish(None, Extra::default())
}
