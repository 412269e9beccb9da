//! `bgy delete FILE`: the accounts of the sheet's 帐号 column, de-duplicated, confirmed, past
//! the destructive-safety guard, backed up to a workbook `bgy import` can restore from, then
//! `staff/delete` 200 at a time. A partial failure (1214) is resolved by re-listing.

use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::{DateTime, Local};
use futures::StreamExt;

use crate::api::{Client, Endpoint, DELETE_CHUNK};
use crate::cli::Input;
use crate::execute::{self, Sink};
use crate::journal::Journal;
use crate::model::{AccountKey, Layout, Outcome};
use crate::progress::{Progress, Stop};
use crate::report::journal_path;
use crate::validate::online::{Live, LISTED};
use crate::{Context, Summary};

use super::{finish, load, mark_unsent, report_path};

/// `NAME.backup-YYYYMMDD-HHMMSS.xlsx` beside the input.
pub fn backup_path(input: &Path, at: DateTime<Local>) -> PathBuf {
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bgy".into());
    input.with_file_name(format!("{stem}.backup-{}.xlsx", at.format("%Y%m%d-%H%M%S")))
}

/// Writes every to-be-deleted person's record in the import layout beside the input, so that
/// restoring is `bgy import BACKUP.xlsx`.
pub fn backup(
    input: &Path,
    at: DateTime<Local>,
    live: &Live,
    accounts: &[String],
) -> anyhow::Result<PathBuf> {
    let path = backup_path(input, at);
    let people = accounts
        .iter()
        .filter_map(|a| live.person(a))
        .map(|p| live.values(p));
    crate::write::write_people(&path, Layout::Staff, LISTED, people, None).with_context(|| {
        format!(
            "cannot write the backup {}; nothing was deleted",
            path.display()
        )
    })?;
    eprintln!(
        "backup of the {} people to delete: {} (restore: bgy import {})",
        accounts.len(),
        path.display(),
        path.display()
    );
    Ok(path)
}

/// SPEC's destructive-safety guard: more than 20 % of the directory, or more than 50 people
/// when that is over 80 % of a small one, needs `--force`. `None` when within bounds.
pub fn guard(removing: usize, directory: usize) -> Option<String> {
    let over_fifth = removing * 5 > directory;
    let most_of_small = removing > 50 && removing * 5 > directory * 4;
    (removing > 0 && (over_fifth || most_of_small)).then(|| {
        format!(
            "refusing to remove {removing} of the {directory} people in the directory (more than 20%) without --force; nothing was deleted"
        )
    })
}

/// Asks for the number of accounts on a terminal; without one, `--yes` is required.
pub async fn confirm(n: usize, yes: bool) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    anyhow::ensure!(
        std::io::stdin().is_terminal(),
        "deleting {n} people needs --yes when not run from a terminal; nothing was deleted"
    );
    eprint!("bgy delete: this deletes {n} people from the directory. Type {n} to go on: ");
    let answer = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|_| line)
    })
    .await??;
    anyhow::ensure!(
        answer.trim() == n.to_string(),
        "not confirmed; nothing was deleted"
    );
    Ok(())
}

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
    if let Some(refusal) = guard(known.len(), live.staff.len()).filter(|_| !force) {
        anyhow::bail!(refusal);
    }
    if !known.is_empty() {
        confirm(known.len(), yes).await?;
        backup(&input.file, started, &live, &known)?;
    }

    let journal = Journal::create(&journal_path(&report), "delete", &input.file)?;
    let progress = Progress::new(known.len() as u64, "deleting", ctx.quiet);
    let sink = Sink {
        journal: Some(&journal),
        progress: &progress,
        stop: &stop,
    };
    let results = delete_all(client, known, &sink).await;
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

/// Deletes `accounts`, 200 a call, calls concurrently; each account gets its outcome.
pub async fn delete_all(
    client: &Client,
    accounts: Vec<String>,
    sink: &Sink<'_>,
) -> Vec<(String, Outcome)> {
    let batches = execute::chunks(accounts, DELETE_CHUNK, |a| a.into());
    let results: Vec<Vec<(String, Outcome)>> = futures::stream::iter(batches)
        .map(|batch| delete_batch(client, batch, sink))
        .buffer_unordered(client.concurrency())
        .collect()
        .await;
    results.into_iter().flatten().collect()
}

/// One `staff/delete` call of at most 200 accounts; each account gets its outcome.
async fn delete_batch(
    client: &Client,
    accounts: Vec<String>,
    sink: &Sink<'_>,
) -> Vec<(String, Outcome)> {
    if sink.stop.is_stopped() {
        return accounts.into_iter().map(|a| (a, sink.not_sent())).collect();
    }
    let outcomes: Vec<Outcome> = match client.delete_staff(&accounts).await {
        Ok(r) if r.errno == 0 => accounts.iter().map(|_| Outcome::Deleted).collect(),
        // None exists any more: a try whose answer was lost deleted them.
        Ok(r) if r.errno == 1213 && r.after_lost_response => {
            accounts.iter().map(|_| Outcome::Deleted).collect()
        }
        // Some failed and the answer does not say which: ask the directory.
        Ok(r) if r.errno == 1213 || r.errno == 1214 => {
            still_present(client, &accounts, Some(r.errno), &r.errmsg, sink).await
        }
        Ok(r) => accounts
            .iter()
            .map(|_| Outcome::Failed {
                errno: Some(r.errno),
                message: r.errmsg.clone(),
            })
            .collect(),
        Err(e) if e.is_fatal() => accounts.iter().map(|_| sink.failure(&e)).collect(),
        // Retries ran out: some may be gone all the same.
        Err(e) => still_present(client, &accounts, None, &e.row_message(), sink).await,
    };
    accounts
        .into_iter()
        .zip(outcomes)
        .map(|(account, outcome)| {
            sink.done(0, &account, &outcome);
            (account, outcome)
        })
        .collect()
}

/// Re-lists the directory: accounts still there failed (with the call's answer), the others
/// are deleted.
async fn still_present(
    client: &Client,
    accounts: &[String],
    errno: Option<i64>,
    message: &str,
    sink: &Sink<'_>,
) -> Vec<Outcome> {
    match client.staff(0, false).await.and_then(|l| l.complete(Endpoint::StaffList)) {
        Ok(list) => {
            let present: HashSet<AccountKey> = list.iter().map(|s| (&s.we_userid).into()).collect();
            accounts
                .iter()
                .map(|a| {
                    if present.contains(&a.into()) {
                        Outcome::Failed {
                            errno,
                            message: message.to_string(),
                        }
                    } else {
                        Outcome::Deleted
                    }
                })
                .collect()
        }
        Err(e) => accounts
            .iter()
            .map(|_| {
                let mut o = sink.failure(&e);
                if let Outcome::Failed { message: m, .. } = &mut o {
                    *m = format!("{message}; and the directory could not be re-listed to tell which were deleted: {m}");
                }
                o
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard() {
        assert!(guard(20, 100).is_none());
        assert!(guard(21, 100).is_some());
        assert!(guard(445, 2500).is_none());
        assert!(guard(3, 10).is_some());
        assert!(guard(0, 0).is_none());
        assert_eq!(
            guard(30, 100).unwrap(),
            "refusing to remove 30 of the 100 people in the directory (more than 20%) without --force; nothing was deleted"
        );
    }

    #[test]
    fn backup_name() {
        let at = chrono::TimeZone::with_ymd_and_hms(&Local, 2026, 11, 24, 9, 5, 7).unwrap();
        assert_eq!(
            backup_path(Path::new("/x/leavers.csv"), at),
            Path::new("/x/leavers.backup-20261124-090507.xlsx")
        );
    }
}
