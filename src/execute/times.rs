//! `staff/entry-time`: at most 50 rows a call, never one account twice in a call; the answer's
//! list of failures maps back to rows.

use std::collections::HashMap;

use futures::StreamExt;

use crate::api::{Client, TimesRow, TIMES_CHUNK};
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
    let outcomes: Vec<Outcome> = if sink.stop.is_stopped() {
        chunk.iter().map(|_| sink.not_sent()).collect()
    } else {
        let rows: Vec<TimesRow> = chunk.iter().map(|(_, _, t)| t.clone()).collect();
        match client.entry_time(&rows).await {
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
        }
    };
    chunk
        .into_iter()
        .zip(outcomes)
        .map(|((i, row, t), outcome)| {
            if !matches!(outcome, Outcome::NotSent { .. }) {
                let sent = serde_json::to_value(&t).unwrap_or_default();
                sink.done_with(Some(row), &t.we_userid, &outcome, sent);
            }
            (i, outcome)
        })
        .collect()
}
