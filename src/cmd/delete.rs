//! `bgy delete FILE`: the accounts of the sheet's 帐号 column, de-duplicated, past the
//! destructive-safety guard, confirmed, backed up to a workbook `bgy import` can restore from,
//! then `staff/delete` 200 at a time. A partial failure (1214) is resolved by re-listing.

use std::collections::HashMap;

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
    let client = ctx.client()?;
    let live = Live::fetch(client, ctx.events.as_ref()).await?;
    anyhow::ensure!(
        live.complete,
        "the staff listing came back incomplete ({} of {} people): refusing to delete; nothing was deleted",
        live.staff.len(),
        live.count
    );
    // Each account once, in sheet order; a repeat (warned about) is skipped, so that one
    // person deleted counts once.
    let mut rows_of: HashMap<AccountKey, Vec<usize>> = HashMap::new();
    let mut known: Vec<Target> = Vec::new();
    for (i, row) in s
        .table
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_valid())
    {
        let key = AccountKey::new(row.account());
        let first = !rows_of.contains_key(&key);
        rows_of.entry(key).or_default().push(i);
        if !first {
            continue;
        }
        match live.person(row.account()) {
            Some(p) => known.push((Some(row.source_row), p.account().to_string())),
            None => s.outcomes[i] = Outcome::NotFound,
        }
    }
    for indexes in rows_of.values() {
        for &i in &indexes[1..] {
            s.outcomes[i] = Outcome::Skipped;
        }
    }
    let accounts: Vec<String> = known.iter().map(|(_, a)| a.clone()).collect();
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
    s.remember(&live, accounts.iter().map(String::as_str));
    ctx.events.phase(phases::DELETING, known.len() as u64);
    let results = delete_all(client, known, &s.sink()).await;
    for (account, outcome) in results {
        if let Some(&i) = rows_of
            .get(&AccountKey::new(&account))
            .and_then(|r| r.first())
        {
            s.outcomes[i] = outcome;
        }
    }
    s.finish(None, Extra::default())
}
