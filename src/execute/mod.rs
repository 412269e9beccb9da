//! Sending: a run's [`Session`] (its input, lock, journal, report and stop), and the senders
//! for each endpoint, concurrent, each outcome journaled and emitted as it happens.
//!
//! In: jobs built from valid rows. Out: one [`Outcome`] per job. A row that fails is an
//! outcome, never an `Err`; a fatal condition stops new calls ([`Stop`]) and the rows not yet
//! sent come back as [`Outcome::NotSent`].

pub mod add;
pub mod delete;
pub mod depts;
pub mod session;
pub mod times;

pub use crate::stop::Stop;
pub use add::{add_staff, AddJob};
pub use session::Session;

use crate::api::ApiError;
use crate::events::{Event, Observer};
use crate::history::{Applied, ChangeKind};
use crate::journal::Journal;
use crate::model::{AccountKey, Outcome};

/// Where outcomes go as they happen: the journal, the history, then the front-end.
pub struct Sink<'a> {
    pub journal: Option<&'a Journal>,
    pub history: Option<&'a session::Recorder<'a>>,
    pub events: &'a dyn Observer,
    pub stop: &'a Stop,
}

impl Sink<'_> {
    /// Records a row's outcome (`row`: its row in the sheet, when it has one).
    pub fn done(&self, row: Option<u32>, account: &str, outcome: &Outcome) {
        self.done_with(row, account, outcome, serde_json::Value::Null);
    }

    /// As [`Sink::done`], with the values that were sent, for the history.
    pub fn done_with(
        &self,
        row: Option<u32>,
        account: &str,
        outcome: &Outcome,
        sent: serde_json::Value,
    ) {
        if let Some(h) = self.history {
            if let Err(e) = h.record(account, outcome, &sent) {
                // Without the history, the run could not be seen or undone: stop sending.
                self.stop.fatal(format!("cannot write the history: {e:#}"));
            }
        }
        self.told(row, account, outcome);
    }

    /// As [`Sink::done`], for an outcome whose change the history has already
    /// ([`Sink::answered`]): the journal and the front-end.
    pub fn told(&self, row: Option<u32>, account: &str, outcome: &Outcome) {
        if let Some(j) = self.journal {
            if let Err(e) = j.record(row, account, outcome) {
                // Without the journal a kill could lose outcomes: stop sending.
                self.stop.fatal(format!(
                    "cannot write the journal {}: {e}",
                    j.path().display()
                ));
            }
        }
        self.events.event(Event::Row {
            row,
            account: account.to_string(),
            ok: outcome.is_ok(),
        });
    }

    /// Journals that a `staff/add` for `account` is about to be sent; false (and the run
    /// stopped) when it cannot be, and the call must not go.
    pub fn sending(&self, row: Option<u32>, account: &str, call: crate::journal::Call) -> bool {
        let Some(j) = self.journal else {
            return true;
        };
        match j.sending(row, account, call) {
            Ok(()) => true,
            Err(e) => {
                self.stop.fatal(format!(
                    "cannot write the journal {}: {e}",
                    j.path().display()
                ));
                false
            }
        }
    }

    /// Writes down in the history what calls are about to change, before they go: for each
    /// account, the change and what it sends. A kill while they are in flight leaves them for
    /// an undo to look for. The ids for [`Sink::answered`]; when they cannot be written, the
    /// run stops and the calls must not go: `Err` with their outcome.
    pub fn unanswered(
        &self,
        calls: &[(&str, ChangeKind, &serde_json::Value)],
    ) -> Result<Vec<i64>, Outcome> {
        let Some(h) = self.history else {
            return Ok(Vec::new());
        };
        h.unanswered(calls).map_err(|e| {
            self.stop.fatal(format!("cannot write the history: {e:#}"));
            self.not_sent()
        })
    }

    /// The calls [`Sink::unanswered`] wrote down were answered: those `applied` took effect
    /// and become the run's changes; those `crossed` need no change here
    /// ([`crate::history::History::answered`]).
    pub fn answered(&self, crossed: &[i64], applied: &[Applied]) {
        let Some(h) = self.history else {
            return;
        };
        if crossed.is_empty() && applied.is_empty() {
            return;
        }
        if let Err(e) = h.answered(crossed, applied) {
            self.stop.fatal(format!("cannot write the history: {e:#}"));
        }
    }

    /// As [`Sink::done_with`], for the one call [`Sink::unanswered`] wrote down as `id`,
    /// answered: its change (if its outcome is one) is recorded from what was written down,
    /// and the call crossed out, in one step.
    pub fn done_answered(
        &self,
        (row, account): (Option<u32>, &str),
        outcome: &Outcome,
        id: i64,
        sent: &serde_json::Value,
    ) {
        if let Some(h) = self.history {
            match h.kind_of(outcome) {
                Some(kind) => self.answered(
                    &[],
                    &[Applied {
                        id,
                        kind,
                        account,
                        sent,
                    }],
                ),
                None => self.answered(&[id], &[]),
            }
        }
        self.told(row, account, outcome);
    }

    /// The outcome of a job not sent because the run stopped, with why, in both languages.
    pub fn not_sent(&self) -> Outcome {
        let why = self.stop.reason().unwrap_or_default();
        let reason = match crate::text::bilingual(&why) {
            Some((zh, en)) => format!("未发送:{zh} (not sent: {en})"),
            None => format!("未发送:运行已停止 (not sent: the run stopped: {why})"),
        };
        Outcome::NotSent { reason }
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
            self.stop.fatal_api(e);
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
