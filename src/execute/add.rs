//! `staff/add`: one call a row, as many in flight as the client allows.

use futures::StreamExt;

use crate::api::Client;
use crate::history::ChangeKind;
use crate::journal::Call;
use crate::model::{Cover, Field, Outcome, StaffRecord};

use super::Sink;

/// One row for `staff/add`.
#[derive(Debug, Clone)]
pub struct AddJob {
    /// Index into the table's rows.
    pub index: usize,
    /// Its row in the sheet; none for a leaver the sheet does not name.
    pub row: Option<u32>,
    /// What is sent (without `cover`), as compact as a row until it is sent: a run of
    /// 100,000 holds 100,000 jobs.
    pub form: StaffRecord,
    /// The account was on the server before the run.
    pub existed: bool,
    pub cover: Cover,
    /// It marks the person as a leaver: a sync's leaver the sheet does not name (no row), or
    /// a row of `bgy leave`'s list.
    pub leaving: bool,
}

impl AddJob {
    /// The job that makes a row's account what the row says: an update (cover=1) when the
    /// account `existed`, a create (cover=0) when not, as sync and undo send them.
    pub fn to_match(
        index: usize,
        row: &crate::validate::Row,
        form: StaffRecord,
        existed: bool,
    ) -> AddJob {
        AddJob {
            index,
            row: Some(row.source_row),
            form,
            existed,
            cover: if existed {
                Cover::Overwrite
            } else {
                Cover::Skip
            },
            leaving: false,
        }
    }

    /// The account sent: the form's own, not a copy of it (a run of 100,000 held 3 MB of them).
    pub fn account(&self) -> &str {
        self.form.account()
    }

    /// [`AddJob::to_match`] with the row's own values, moved into the job, not copied: a run of
    /// 100,000 held them twice (~20 MB). The row keeps what its report and events read, its
    /// cells as given and its issues; its values are empty after this.
    pub fn taking(index: usize, row: &mut crate::validate::Row, existed: bool) -> AddJob {
        let mut job = AddJob::to_match(index, row, StaffRecord::new(), existed);
        job.form = std::mem::take(row.values_mut());
        job
    }

    /// What the call is meant to do, for the journal.
    pub fn call(&self) -> Call {
        match self.existed {
            true => Call::Update,
            false => Call::Create,
        }
    }

    /// The change the call makes when it lands, for the history (as its outcome says).
    pub fn kind(&self) -> ChangeKind {
        match (self.leaving, self.existed) {
            (true, _) => ChangeKind::Left,
            (false, true) => ChangeKind::Updated,
            (false, false) => ChangeKind::Created,
        }
    }

    /// The form sent: the values and `cover`.
    pub fn to_form(&self) -> Vec<(String, String)> {
        let mut form = self.form.to_form();
        form.push(("cover".into(), self.cover.api_value().into()));
        form
    }

    /// Marks `account` as a leaver: 人事状态 已离职 (status 3), 离职时间 `date`, and why
    /// (cover=1), for the sheet's `row` if it names them. `index` numbers the leavers.
    pub fn leaver(index: usize, row: Option<u32>, account: &str, date: &str, why: &str) -> AddJob {
        let mut form = StaffRecord::new();
        form.put(Field::WeUserid, account);
        form.put(Field::Status, "3");
        form.put(Field::QuiteTime, date);
        form.put(Field::QuiteReason, why);
        AddJob {
            index,
            row,
            form,
            existed: true,
            cover: Cover::Overwrite,
            leaving: true,
        }
    }
}

/// How many calls are written down in the history in one transaction before they go. Against
/// the binary that wrote down nothing (2026-12-03, `--concurrency 32`, 20 ms a call): updates of
/// 1,000 people 1.02× the wall with one transaction a call, 1.02× with 8, 1.03–1.04× with 32
/// and 64 (21 pairs each); 10,000 creates ~2 % fewer a second with one a call, and with 8, 32 or
/// 64 within the noise of three runs each. The batch is the usual concurrency.
const WRITTEN_AHEAD: usize = 32;

/// A batch of jobs about to be sent, each with its form, the values it sends (for the history)
/// and its id where the history wrote it down ([`Sink::unanswered`]); a run already stopped
/// writes none down, and a batch that cannot be written down is not sent.
type Written = (
    AddJob,
    Vec<(String, String)>,
    serde_json::Value,
    Result<Vec<i64>, Outcome>,
);

fn written_down(batch: Vec<AddJob>, sink: &Sink<'_>) -> Vec<Written> {
    let forms: Vec<_> = batch.iter().map(AddJob::to_form).collect();
    let sent: Vec<_> = forms.iter().map(|f| sent_of(f)).collect();
    let ids = if sink.stop.is_stopped() {
        Ok(Vec::new())
    } else {
        let calls: Vec<_> = (batch.iter().zip(&sent))
            .map(|(job, sent)| (job.account(), job.kind(), sent))
            .collect();
        sink.unanswered(&calls)
    };
    let id = |i: usize| match &ids {
        Ok(ids) => Ok(ids.get(i).into_iter().copied().collect()),
        Err(outcome) => Err(outcome.clone()),
    };
    let each = batch.into_iter().zip(forms).zip(sent).enumerate();
    each.map(|(i, ((job, form), sent))| (job, form, sent, id(i)))
        .collect()
}

/// Sends every job with its `cover`, as many in flight as the client allows; returns each
/// job's table index with its outcome.
pub async fn add_staff(
    client: &Client,
    jobs: Vec<AddJob>,
    sink: &Sink<'_>,
) -> Vec<(usize, Outcome)> {
    let mut out = Vec::with_capacity(jobs.len());
    add_staff_each(client, jobs, sink, |index, outcome| {
        out.push((index, outcome))
    })
    .await;
    out
}

/// [`add_staff`], each job's table index and outcome handed to `each` as the call settles.
pub async fn add_staff_each(
    client: &Client,
    jobs: Vec<AddJob>,
    sink: &Sink<'_>,
    mut each: impl FnMut(usize, Outcome),
) {
    let in_flight = client.concurrency().max(1) * 2;
    futures::stream::iter(jobs)
        // Written down in the history a batch at a time, as the calls are about to go: one
        // transaction for a batch, not one a call.
        .chunks(WRITTEN_AHEAD)
        .flat_map(|batch| futures::stream::iter(written_down(batch, sink)))
        .map(|(job, form, sent, written)| async move {
            let unanswered = match written {
                Ok(id) => id,
                Err(outcome) => return (job.index, outcome),
            };
            if sink.stop.is_stopped() || !sink.sending(job.row, job.account(), job.call()) {
                // Never sent: nothing to look for.
                sink.answered(&unanswered, &[]);
                return (job.index, sink.not_sent());
            }
            let reply = client.add_staff(form).await;
            // Whatever became of the call is known, unless an answer was lost on the way.
            let answered = match &reply {
                Ok(_) => true,
                Err(e) => !e.may_have_applied(),
            };
            let outcome = match reply {
                Ok(reply) => match reply.errno {
                    0 if job.leaving => Outcome::Left,
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
            match (unanswered.as_slice(), answered) {
                (&[id], true) => sink.done_answered((job.row, job.account()), &outcome, id, &sent),
                _ => sink.done_with(job.row, job.account(), &outcome, sent),
            }
            (job.index, outcome)
        })
        .buffer_unordered(in_flight)
        .for_each(|(index, outcome)| {
            each(index, outcome);
            std::future::ready(())
        })
        .await;
}

/// A form as the history keeps what was sent.
pub fn sent_of(form: &[(String, String)]) -> serde_json::Value {
    let sent: serde_json::Map<String, serde_json::Value> = form
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    sent.into()
}
