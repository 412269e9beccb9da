//! Sending: one `staff/add` a row, concurrently, each outcome journaled as it happens.
//!
//! In: jobs built from valid rows. Out: one [`Outcome`] per job. A row that fails is an
//! outcome, never an `Err`; a fatal condition stops new calls ([`Stop`]) and the rows not yet
//! sent come back as [`Outcome::NotSent`].

use futures::StreamExt;

use crate::api::{ApiError, Client};
use crate::cli::Cover;
use crate::journal::Journal;
use crate::model::{AccountKey, Outcome};
use crate::progress::{Progress, Stop};

/// Where outcomes go as they happen.
pub struct Sink<'a> {
    pub journal: Option<&'a Journal>,
    pub progress: &'a Progress,
    pub stop: &'a Stop,
}

impl Sink<'_> {
    pub fn done(&self, row: u32, account: &str, outcome: &Outcome) {
        if let Some(j) = self.journal {
            if let Err(e) = j.record(row, account, outcome) {
                // Without the journal a kill could lose outcomes: stop sending.
                self.stop.fatal(format!(
                    "cannot write the journal {}: {e}",
                    j.path().display()
                ));
            }
        }
        self.progress.add(1, outcome.is_ok());
    }

    /// The outcome of a job not sent because the run stopped.
    pub fn not_sent(&self) -> Outcome {
        Outcome::NotSent {
            reason: format!(
                "未发送: 运行已停止 (not sent: the run stopped: {})",
                self.stop.reason().unwrap_or_default()
            ),
        }
    }

    /// The outcome of a call that failed; a fatal error also stops the run.
    pub fn failure(&self, e: &ApiError) -> Outcome {
        // Stopped before a retry that no earlier try could have made unnecessary.
        if let ApiError::Interrupted {
            maybe_applied: false,
            ..
        } = e
        {
            return self.not_sent();
        }
        if e.is_fatal() {
            self.stop.fatal(e.to_string());
        }
        Outcome::Failed {
            errno: e.errno(),
            message: e.row_message(),
        }
    }
}

/// Splits items into chunks of at most `size`, never putting the same key twice in one chunk
/// (a repeated key goes to the next chunk that has room and lacks it). Order is kept.
pub fn chunks<T>(items: Vec<T>, size: usize, key: impl Fn(&T) -> AccountKey) -> Vec<Vec<T>> {
    let mut out: Vec<(std::collections::HashSet<AccountKey>, Vec<T>)> = Vec::new();
    // Chunks before `first_open` are full.
    let mut first_open = 0;
    for item in items {
        let k = key(&item);
        let slot =
            (first_open..out.len()).find(|&i| out[i].1.len() < size && !out[i].0.contains(&k));
        let i = slot.unwrap_or_else(|| {
            out.push((Default::default(), Vec::with_capacity(size)));
            out.len() - 1
        });
        out[i].0.insert(k);
        out[i].1.push(item);
        while first_open < out.len() && out[first_open].1.len() >= size {
            first_open += 1;
        }
    }
    out.into_iter().map(|(_, c)| c).collect()
}

/// One row for `staff/add`.
#[derive(Debug, Clone)]
pub struct AddJob {
    /// Index into the table's rows.
    pub index: usize,
    pub row: u32,
    pub account: String,
    pub form: Vec<(String, String)>,
    /// The account was on the server before the run.
    pub existed: bool,
    pub cover: Cover,
}

/// Sends every job with its `cover`, as many in flight as the client allows; returns each
/// job's table index with its outcome.
pub async fn add_staff(
    client: &Client,
    jobs: Vec<AddJob>,
    sink: &Sink<'_>,
) -> Vec<(usize, Outcome)> {
    futures::stream::iter(jobs)
        .map(|job| async move {
            if sink.stop.is_stopped() {
                return (job.index, sink.not_sent());
            }
            let mut form = job.form;
            form.push(("cover".into(), job.cover.api_value().into()));
            let outcome = match client.add_staff(form).await {
                Ok(reply) => match reply.errno {
                    0 if job.existed => Outcome::Updated,
                    0 => Outcome::Created,
                    // The account exists. Before the run it did not: an earlier try whose
                    // answer was lost made it.
                    1204 if !job.existed && reply.after_lost_response => Outcome::Created,
                    1204 => Outcome::Skipped,
                    errno => Outcome::Failed {
                        errno: Some(errno),
                        message: reply.errmsg,
                    },
                },
                Err(e) => sink.failure(&e),
            };
            sink.done(job.row, &job.account, &outcome);
            (job.index, outcome)
        })
        .buffer_unordered(client.concurrency().max(1) * 2)
        .collect()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_respect_size_and_never_repeat_a_key() {
        let items: Vec<String> = (0..120).map(|i| format!("u{}", i % 110)).collect();
        let c = chunks(items, 50, |s| s.into());
        assert!(c.iter().all(|c| c.len() <= 50));
        assert_eq!(c.iter().map(Vec::len).sum::<usize>(), 120);
        for chunk in &c {
            let set: std::collections::HashSet<_> = chunk.iter().collect();
            assert_eq!(set.len(), chunk.len(), "a key twice in one chunk");
        }
        let same = chunks(vec!["a".to_string(), "A".into(), "a".into()], 50, |s| {
            s.into()
        });
        assert_eq!(same.len(), 3);
    }
}
