//! `staff/entry-time`: at most 50 rows a call, never one account twice in a call; the answer's
//! list of failures maps back to rows.

use std::collections::HashMap;

use crate::api::{Client, TimesRow};
use crate::model::{AccountKey, Outcome};

use super::Sink;

/// One `staff/entry-time` call; every row of the chunk gets its outcome.
pub async fn send_chunk(
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
