//! `bgy delete FILE`: the accounts of the sheet's 帐号 column, de-duplicated, confirmed, past
//! the destructive-safety guard, backed up to a workbook `bgy import` can restore from, then
//! `staff/delete` 200 at a time. A partial failure (1214) is resolved by re-listing.

use std::collections::HashMap;

use chrono::Local;

use crate::cli::Input;
use crate::execute::Sink;
use crate::journal::Journal;
use crate::live::Live;
use crate::model::{AccountKey, Layout, Outcome};
use crate::progress::{Progress, Stop};
use crate::report::journal_path;
use crate::safety;
use crate::{Context, Summary};

use super::{finish, load, mark_unsent, report_path};

pub async fn run(ctx: &Context, input: &Input, yes: bool, force: bool) -> anyhow::Result<Summary> {
    let started = Local::now();
    let table = load(input, Layout::Delete)?;
    let _lock = crate::lock::lock(&input.file, "delete")?;
    let report = report_path(input, started)?;
    let client = ctx.client()?;
    let stop = Stop::new();
    let _ctrl_c = stop.on_ctrl_c(ctx.client.as_ref());
    let live = Live::fetch(client, ctx.quiet).await?;
    anyhow::ensure!(
        live.complete,
        "the staff listing came back incomplete ({} of {} people): refusing to delete; nothing was deleted",
        live.staff.len(),
        live.count
    );

    let mut outcomes: Vec<Outcome> = table.initial_outcomes();
    // Each account once, in sheet order; rows naming it share its outcome.
    let mut rows_of: HashMap<AccountKey, Vec<usize>> = HashMap::new();
    let mut known: Vec<String> = Vec::new();
    for (i, row) in table.rows.iter().enumerate().filter(|(_, r)| r.is_valid()) {
        let key = AccountKey::new(row.account());
        let first = !rows_of.contains_key(&key);
        rows_of.entry(key).or_default().push(i);
        if !first {
            continue;
        }
        match live.person(row.account()) {
            Some(p) => known.push(p.we_userid.clone()),
            None => {
                outcomes[i] = Outcome::Failed {
                    errno: None,
                    message: "帐号不在通讯录中,未发送 (not in the directory; not sent)".into(),
                }
            }
        }
    }
    for indexes in rows_of.values() {
        for &i in &indexes[1..] {
            outcomes[i] = outcomes[indexes[0]].clone();
        }
    }
    if let Some(refusal) = safety::guard(known.len(), live.staff.len()).filter(|_| !force) {
        anyhow::bail!(refusal);
    }
    if !known.is_empty() {
        safety::confirm(known.len(), yes).await?;
        safety::backup(&input.file, started, &live, &known)?;
    }

    let journal = Journal::create(&journal_path(&report), "delete", &input.file)?;
    let progress = Progress::new(known.len() as u64, "deleting", ctx.quiet);
    let sink = Sink {
        journal: Some(&journal),
        progress: &progress,
        stop: &stop,
    };
    let results = crate::execute::delete::delete_all(client, known, &sink).await;
    progress.finish();
    for (account, outcome) in results {
        for &i in rows_of
            .get(&AccountKey::new(&account))
            .into_iter()
            .flatten()
        {
            outcomes[i] = outcome.clone();
        }
    }
    mark_unsent(&mut outcomes, &sink);
    finish("delete", ctx, &table, &outcomes, started, &report, &stop)
}
