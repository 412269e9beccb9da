//! `staff/entry-time`: at most 50 rows a call, never one account twice in a call; the answer's
//! list of failures maps back to rows.

use std::collections::HashMap;

use futures::StreamExt;
use serde_json::Value;

use crate::api::{Client, TimesRow, TIMES_CHUNK};
use crate::history::{Applied, ChangeKind};
use crate::model::{AccountKey, Field, Outcome, StaffRecord};

use super::Sink;

/// The dates of a record, as `staff/entry-time` takes them (an empty one is left as it is).
pub fn dates_of(values: &StaffRecord) -> TimesRow {
    let get = |f: Field| values.get(f).unwrap_or("").to_string();
    TimesRow {
        we_userid: get(Field::WeUserid),
        we_name: get(Field::WeName),
        entry_time: get(Field::EntryTime),
        work_time: get(Field::WorkTime),
        positive_time: get(Field::PositiveTime),
        quite_time: get(Field::QuiteTime),
    }
}

/// Sends every item (table index, sheet row, dates) in chunks of at most 50, never one account
/// twice in a chunk, as many chunks in flight as the client allows; each item's outcome.
pub async fn send_all(
    client: &Client,
    items: Vec<(usize, u32, TimesRow)>,
    sink: &Sink<'_>,
) -> Vec<(usize, Outcome)> {
    let chunks = super::chunks(items, TIMES_CHUNK, |(_, _, t)| (&t.we_userid).into());
    futures::stream::iter(chunks)
        .map(|chunk| send_chunk(client, chunk, sink))
        .buffer_unordered(client.concurrency())
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// One `staff/entry-time` call; every row of the chunk gets its outcome.
async fn send_chunk(
    client: &Client,
    chunk: Vec<(usize, u32, TimesRow)>,
    sink: &Sink<'_>,
) -> Vec<(usize, Outcome)> {
    if sink.stop.is_stopped() {
        return chunk.iter().map(|&(i, ..)| (i, sink.not_sent())).collect();
    }
    let sent: Vec<Value> = (chunk.iter())
        .map(|(_, _, t)| serde_json::to_value(t).unwrap_or_default())
        .collect();
    let calls: Vec<_> = (chunk.iter().zip(&sent))
        .map(|((_, _, t), sent)| (t.we_userid.as_str(), ChangeKind::Dates, sent))
        .collect();
    let unanswered = match sink.unanswered(&calls) {
        Ok(ids) => ids,
        Err(outcome) => return chunk.iter().map(|&(i, ..)| (i, outcome.clone())).collect(),
    };
    let rows: Vec<TimesRow> = chunk.iter().map(|(_, _, t)| t.clone()).collect();
    let reply = client.entry_time(&rows).await;
    // Whatever became of the call is known, unless an answer was lost on the way.
    let answered = match &reply {
        Ok(_) => true,
        Err(e) => !e.may_have_applied(),
    };
    let outcomes: Vec<Outcome> = match reply {
        Ok(reply) if reply.errno == 0 => {
            let failures: HashMap<AccountKey, String> = reply
                .data
                .unwrap_or_default()
                .into_iter()
                .map(|f| (AccountKey::new(&f.we_userid), f.msg))
                .collect();
            rows.iter()
                .map(|r| match failures.get(&AccountKey::new(&r.we_userid)) {
                    Some(msg) => Outcome::Failed {
                        errno: None,
                        message: msg.clone(),
                    },
                    None => Outcome::Updated,
                })
                .collect()
        }
        Ok(reply) => rows
            .iter()
            .map(|_| Outcome::Failed {
                errno: Some(reply.errno),
                message: reply.errmsg.clone(),
            })
            .collect(),
        Err(e) => rows.iter().map(|_| sink.failure(&e)).collect(),
    };
    if answered {
        // The dates that took effect: what was written down as the call went becomes the
        // run's changes, the chunk's in one step.
        let (mut crossed, mut applied) = (Vec::new(), Vec::new());
        for ((&id, outcome), &(account, _, sent)) in unanswered.iter().zip(&outcomes).zip(&calls) {
            match outcome {
                Outcome::Updated => applied.push(Applied {
                    id,
                    kind: ChangeKind::Dates,
                    account,
                    sent,
                }),
                _ => crossed.push(id),
            }
        }
        sink.answered(&crossed, &applied);
    }
    chunk
        .iter()
        .zip(outcomes)
        .map(|(&(i, row, ref t), outcome)| {
            if !matches!(outcome, Outcome::NotSent { .. }) {
                sink.told(Some(row), &t.we_userid, &outcome);
            }
            (i, outcome)
        })
        .collect()
}
