//! `staff/delete`, 200 accounts a call, calls concurrently. A partial failure (1214), or
//! retries that ran out, is resolved by re-listing the directory.

use std::collections::HashSet;

use futures::StreamExt;

use serde_json::Value;

use crate::api::{Client, Endpoint, DELETE_CHUNK};
use crate::history::{Applied, ChangeKind};
use crate::model::{AccountKey, Outcome};

use super::Sink;

/// An account to delete, and the first row of the sheet that names it (none for a prune).
/// Borrowed from the listing or the plan: a delete of 100,000 kept a copy of each, and
/// another in its results.
pub type Target<'a> = (Option<u32>, &'a str);

/// Deletes `accounts`, 200 a call, calls concurrently; each account gets its outcome.
pub async fn delete_all<'a>(
    client: &Client,
    accounts: Vec<Target<'a>>,
    sink: &Sink<'_>,
) -> Vec<(&'a str, Outcome)> {
    let batches = super::chunks(accounts, DELETE_CHUNK, |(_, a)| AccountKey::new(a));
    let results: Vec<Vec<(&str, Outcome)>> = futures::stream::iter(batches)
        .map(|batch| delete_batch(client, batch, sink))
        .buffer_unordered(client.concurrency())
        .collect()
        .await;
    results.into_iter().flatten().collect()
}

/// One `staff/delete` call of at most 200 accounts; each account gets its outcome.
async fn delete_batch<'a>(
    client: &Client,
    targets: Vec<Target<'a>>,
    sink: &Sink<'_>,
) -> Vec<(&'a str, Outcome)> {
    if sink.stop.is_stopped() {
        return targets
            .into_iter()
            .map(|(_, a)| (a, sink.not_sent()))
            .collect();
    }
    let accounts: Vec<&str> = targets.iter().map(|&(_, a)| a).collect();
    let calls: Vec<_> = (accounts.iter())
        .map(|&a| (a, ChangeKind::Deleted, &Value::Null))
        .collect();
    let unanswered = match sink.unanswered(&calls) {
        Ok(ids) => ids,
        Err(outcome) => return accounts.into_iter().map(|a| (a, outcome.clone())).collect(),
    };
    // Whether what became of each account is known; not when the call may have been applied
    // and the directory could not be asked.
    let (outcomes, answered): (Vec<Outcome>, bool) = match client.delete_staff(&accounts).await {
        Ok(r) if r.errno == 0 => (accounts.iter().map(|_| Outcome::Deleted).collect(), true),
        // None exists any more: a try whose answer was lost deleted them.
        Ok(r) if r.errno == 1213 && r.after_lost_response => {
            (accounts.iter().map(|_| Outcome::Deleted).collect(), true)
        }
        // Some failed and the answer does not say which: ask the directory.
        Ok(r) if r.errno == 1213 || r.errno == 1214 => {
            still_present(client, &accounts, Some(r.errno), &r.errmsg, sink).await
        }
        Ok(r) => {
            let failed = Outcome::Failed {
                errno: Some(r.errno),
                message: r.errmsg.clone(),
            };
            (accounts.iter().map(|_| failed.clone()).collect(), true)
        }
        Err(e) if e.is_fatal() => (
            accounts.iter().map(|_| sink.failure(&e)).collect(),
            !e.may_have_applied(),
        ),
        // Retries ran out: some may be gone all the same.
        Err(e) => still_present(client, &accounts, None, &e.row_message(), sink).await,
    };
    if answered {
        // The people deleted: their records before, written down as the call went, become the
        // run's changes in one step.
        let (mut crossed, mut applied) = (Vec::new(), Vec::new());
        for ((&id, outcome), &account) in unanswered.iter().zip(&outcomes).zip(&accounts) {
            match outcome {
                Outcome::Deleted => applied.push(Applied {
                    id,
                    kind: ChangeKind::Deleted,
                    account,
                    sent: &Value::Null,
                }),
                _ => crossed.push(id),
            }
        }
        sink.answered(&crossed, &applied);
    }
    targets
        .into_iter()
        .zip(outcomes)
        .map(|((row, account), outcome)| {
            sink.told(row, account, &outcome);
            (account, outcome)
        })
        .collect()
}

/// Re-lists the directory: accounts still there failed (with the call's answer), the others
/// are deleted; and whether the directory could say so.
async fn still_present(
    client: &Client,
    accounts: &[&str],
    errno: Option<i64>,
    message: &str,
    sink: &Sink<'_>,
) -> (Vec<Outcome>, bool) {
    match client
        .staff(0, false)
        .await
        .and_then(|l| l.complete(Endpoint::StaffList))
    {
        Ok(list) => {
            let present: HashSet<AccountKey> = list.iter().map(|s| s.we_userid().into()).collect();
            let outcomes = accounts
                .iter()
                .map(|a| {
                    if present.contains(&*AccountKey::text(a)) {
                        Outcome::Failed {
                            errno,
                            message: message.to_string(),
                        }
                    } else {
                        Outcome::Deleted
                    }
                })
                .collect();
            (outcomes, true)
        }
        Err(e) => {
            let outcomes = accounts
                .iter()
                .map(|_| {
                    let mut o = sink.failure(&e);
                    if let Outcome::Failed { message: m, .. } = &mut o {
                        *m = format!("{message}; and the directory could not be re-listed to tell which were deleted: {m}");
                    }
                    o
                })
                .collect();
            (outcomes, false)
        }
    }
}
