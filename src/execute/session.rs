//! A run over a sheet, from its input to its report: what every command that reads rows
//! shares, written once. It reads and validates the input, takes the input's lock when it
//! sends, names its report, keeps the journal, and at the end marks what was never sent,
//! writes the report and tells the front-end how it went.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use serde_json::{Map, Value};

use super::add::{add_staff_each, AddJob};
use super::Sink;
use crate::api::Client;
use crate::context::Context;
use crate::events::{phases, Emit, Event, Finished};
use crate::history::{Applied, ChangeKind, History, RunStatus};
use crate::input::Input;
use crate::journal::{self, Journal};
use crate::live::Live;
use crate::lock::{self, RunLock};
use crate::model::{AccountKey, Command, Cover, Layout, Outcome, StaffRecord};
use crate::outcome::PlanLines;
use crate::outcome::{Counts, Detail, SheetDetail, Status, Summary};
use crate::report::{self, Report};
use crate::text::Unwritten;
use crate::validate::{self, Table};

/// Rows read between two progress events while a sheet is read (a count: the total is known
/// only at the end).
const PROGRESS_ROWS: u64 = 5_000;

pub struct Session<'a> {
    pub ctx: &'a Context,
    pub command: Command,
    pub input: &'a Input,
    pub table: Table,
    /// One per row of `table`, in order.
    pub outcomes: Vec<Outcome>,
    pub started: crate::model::Moment,
    pub report: ReportPath,
    journal: Option<Journal>,
    recorder: Option<Recorder<'a>>,
    _lock: Option<RunLock>,
    /// The input, once its rows are validated: its hash, and the copy that the cells of rows
    /// let go are read again from ([`Session::recall`]).
    kept: crate::input::Kept,
    /// The report, written while the rows were read, for a run that sends nothing.
    stream: Option<report::Stream>,
}

/// What a run adds to the counts of its rows: accounts the sheet does not name (prunes), and
/// the rows of a departments sheet.
#[derive(Debug, Default)]
pub struct Extra {
    pub deleted: usize,
    /// Marked as leavers.
    pub left: usize,
    pub failed: usize,
    pub invalid: usize,
    pub departments_created: Option<usize>,
    pub departments_renamed: Option<usize>,
    /// A check online: valid rows whose account the directory has (an import skips or
    /// updates them; the others it creates); of a sheet of dates, deletes or leavers: the
    /// people, a row written twice counted once.
    pub existing: Option<usize>,
    /// A check online of dates, deletes or leavers: the accounts the directory lacks.
    pub not_found: Option<usize>,
    /// A check online: the people the directory holds.
    pub directory: Option<usize>,
    /// A run that only planned (a plan, an undo's dry run): what it would do.
    pub planned: Option<crate::outcome::StaffCounts>,
    /// A prune: how many of the people the sheet does not name `bgy.toml`'s `[prune]` kept.
    pub kept: Option<usize>,
    /// A prune: the first of the people it deletes or marks as leavers, named.
    pub leaving: Vec<String>,
}

impl Extra {
    /// What the run's summary says of it besides its counts.
    fn into_detail(self) -> SheetDetail {
        SheetDetail {
            departments_created: self.departments_created,
            departments_renamed: self.departments_renamed,
            existing: self.existing,
            kept: self.kept,
            leaving: self.leaving,
            ..SheetDetail::default()
        }
    }

    /// The rows' counts and what the run did besides its rows (a sync's prunes, an undo's
    /// deletes): the one set of counts the report, the history and the front-end show.
    fn added_to(&self, rows: Counts) -> Counts {
        Counts {
            deleted: rows.deleted + self.deleted,
            left: rows.left + self.left,
            invalid: rows.invalid + self.invalid,
            failed: rows.failed + self.failed,
            ..rows
        }
    }
}

impl<'a> Session<'a> {
    /// Reads and validates `input`; a run that `sends` takes the input's lock first, so a
    /// second one refuses before it reads anything.
    pub fn open(
        ctx: &'a Context,
        command: Command,
        input: &'a Input,
        layout: Layout,
        sends: bool,
    ) -> anyhow::Result<Session<'a>> {
        Session::open_as(ctx, command, input, Some(layout), sends)
    }

    /// [`Session::open`], the layout (`None`) worked out from the sheet's header.
    pub fn open_as(
        ctx: &'a Context,
        command: Command,
        input: &'a Input,
        layout: Option<Layout>,
        sends: bool,
    ) -> anyhow::Result<Session<'a>> {
        Session::open_watched(ctx, command, input, layout, sends, &mut |_, _, _| {})
    }

    /// [`Session::open_as`], showing `also` the rows as they are validated (see
    /// [`validate::Watch`]): the online checks begun while the sheet is still being read.
    pub fn open_watched(
        ctx: &'a Context,
        command: Command,
        input: &'a Input,
        layout: Option<Layout>,
        sends: bool,
        also: validate::Watch,
    ) -> anyhow::Result<Session<'a>> {
        let started = crate::model::now();
        let lock = run_lock(input, command, sends)?;
        // A run that sends nothing and checks nothing online leaves its rows as validation
        // made them: its report is written while they are read (and checked at the end). A
        // check online of people writes it as the online checks leave them (`restream`).
        let stream_report = |layout: Layout| {
            !sends
                && !input.no_report
                && (ctx.client.is_none()
                    || (command.keeps_validation_outcomes() && layout != Layout::Staff))
        };
        let loaded = Loaded::read(ctx, command, input, layout, &stream_report, also)?;
        Session::start(ctx, command, input, started, lock, loaded)
    }

    /// A run over rows made in memory (an undo's), not read from a file: `input` names where
    /// its report, journal and history say they came from.
    pub fn of_table(
        ctx: &'a Context,
        command: Command,
        input: &'a Input,
        table: Table,
        sends: bool,
    ) -> anyhow::Result<Session<'a>> {
        let started = crate::model::now();
        let lock = run_lock(input, command, sends)?;
        let loaded = Loaded {
            table,
            bytes: Arc::default(),
            stream: None,
        };
        Session::start(ctx, command, input, started, lock, loaded)
    }

    /// The run, from its loaded rows: what the sheet's reading had to say is said, and the
    /// report's name is taken.
    fn start(
        ctx: &'a Context,
        command: Command,
        input: &'a Input,
        started: crate::model::Moment,
        lock: Option<RunLock>,
        loaded: Loaded,
    ) -> anyhow::Result<Session<'a>> {
        let Loaded {
            table,
            bytes,
            stream,
        } = loaded;
        let kept = crate::input::Kept::of(bytes);
        let seen = table.header.seen(table.layout);
        if seen.questions() > 0 {
            ctx.events.event(Event::Columns(seen));
        }
        for w in &table.warnings {
            ctx.events.advise(w.clone());
        }
        if table.is_report {
            ctx.events.note(format!(
                "bgy: {} is a report: reading its {} sheet ({})",
                input.file.display(),
                crate::read::REPORT_FAILED_SHEET,
                crate::text::count(table.rows.len(), "row", "rows")
            ));
        }
        let report = report_path(input, started)?;
        Ok(Session {
            ctx,
            command,
            input,
            outcomes: table.initial_outcomes().collect(),
            table,
            started,
            report,
            journal: None,
            recorder: None,
            _lock: lock,
            kept,
            stream,
        })
    }

    /// Starts the journal and the run's history: from here on, every outcome is written down
    /// as it happens, and every change with the record before it.
    pub fn start_journal(&mut self) -> anyhow::Result<()> {
        let path = report::journal_path(&self.report);
        self.journal = Some(Journal::create(&path, self.command, &self.input.file)?);
        let history = self.ctx.history()?;
        let name = match &self.input.shown {
            Some(shown) => shown.clone(),
            None => self
                .input
                .file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        };
        let hash = self.hash_input();
        let run = history.begin(
            self.command.name(),
            &hash,
            &name,
            &self.ctx.server,
            &self.ctx.who,
        )?;
        history.journal(run, &path)?;
        if !self.input.columns.is_empty() {
            history.columns(run, &self.input.columns.describe())?;
        }
        self.recorder = Some(Recorder {
            history,
            run,
            command: self.command,
            listing: None,
            remembered: Vec::new(),
        });
        Ok(())
    }

    /// The input's hash, for the history (the hash of nothing for rows made in memory), taken
    /// as the journal starts.
    pub fn hash_input(&mut self) -> String {
        match self.kept.get() {
            Some(copy) => copy.hash.clone(),
            None => crate::history::sha256(&[]),
        }
    }

    /// Keeps the live records of `accounts` as they are before the run changes them, for the
    /// history.
    pub fn remember<'b>(&mut self, live: &'a Live, accounts: impl IntoIterator<Item = &'b str>) {
        if let Some(r) = self.recorder.as_mut() {
            r.remember(live, accounts);
        }
    }

    /// [`Session::remember`] of the accounts of the rows `pick` chooses (by index), then of
    /// `besides`, without a list of 100,000 accounts made first.
    pub fn remember_rows<'b>(
        &mut self,
        live: &'a Live,
        pick: impl Fn(usize) -> bool,
        besides: impl IntoIterator<Item = &'b str>,
    ) {
        let Some(r) = self.recorder.as_mut() else {
            return;
        };
        let rows = self.table.rows.iter().enumerate();
        r.remember(
            live,
            rows.filter(|(i, _)| pick(*i)).map(|(_, row)| row.account()),
        );
        r.remember(live, besides);
    }

    /// `staff/add` for each row still to send ([`Outcome::Valid`]), its values moved into the
    /// job ([`AddJob::taking`]); `existed`: the account was on the server before the run.
    pub fn take_jobs(&mut self, existed: impl Fn(&str) -> bool) -> Vec<AddJob> {
        let outcomes = &self.outcomes;
        let to_send = |i: &usize| outcomes[*i] == Outcome::Valid;
        // Sized first: grown a job at a time, 100,000 jobs' vector took twice their room.
        let mut jobs = Vec::with_capacity((0..outcomes.len()).filter(to_send).count());
        let rows = self.table.rows.iter_mut().enumerate();
        jobs.extend(rows.filter(|(i, _)| to_send(i)).map(|(index, row)| {
            let existed = existed(row.account());
            AddJob::taking(index, row, existed)
        }));
        jobs
    }

    /// The run's history, once its journal started.
    pub fn recorder(&self) -> Option<&Recorder<'a>> {
        self.recorder.as_ref()
    }

    /// Where outcomes go as they happen.
    pub fn sink(&self) -> Sink<'_> {
        Sink {
            journal: self.journal.as_ref(),
            history: self.recorder.as_ref(),
            events: self.ctx.events.as_ref(),
            stop: &self.ctx.stop,
        }
    }

    /// With `--resume`: the successes of an earlier run's journal (the one beside `--report`,
    /// or the newest beside the input). Read before [`Session::start_journal`], which may
    /// start the same file anew.
    pub fn resumed(&self) -> anyhow::Result<journal::Done> {
        let path = match &self.input.report {
            Some(report) => report::journal_path(report),
            None => journal::latest_for(&self.input.file, self.input.report_dir.as_deref())
                .with_context(|| {
                format!(
                    "--resume: no journal of an earlier run next to {} (looked for its .report-*.journal.jsonl)",
                    self.input.file.display()
                )
            })?,
        };
        let done = journal::successes(&path, self.command.name())?;
        if done.torn > 0 {
            self.ctx.events.warn(format!(
                "日志 {} 有 {} 行不完整 (写入时被中断),已跳过;这些行会重新发送,已创建的帐号不会重复创建 (the journal {} has {} torn line(s), cut off by a kill or a full disk: skipped; their rows are sent again, and an account that was created then is not created twice: the server answers that it exists)",
                path.display(),
                done.torn,
                path.display(),
                done.torn
            ));
        }
        self.ctx.events.note(format!(
            "bgy {}: resuming from {}: {} already done",
            self.command,
            path.display(),
            crate::text::count(done.rows.len(), "row", "rows")
        ));
        self.remove_empty_report(&path);
        Ok(done)
    }

    /// The report a killed run reserved and never wrote (an empty `.xlsx`, which Excel calls
    /// broken), beside the journal this run resumes from: this run's report has every row.
    fn remove_empty_report(&self, journal: &Path) {
        let Some(report) = journal::report_path(journal) else {
            return;
        };
        let empty = std::fs::metadata(&report).is_ok_and(|m| m.is_file() && m.len() == 0);
        if empty && *report != *self.report && std::fs::remove_file(&report).is_ok() {
            self.ctx.events.note(format!(
                "bgy {}: removed {}, the empty report of the run that was cut off",
                self.command,
                report.display()
            ));
        }
    }

    /// The rows an earlier run finished keep its outcome, journaled again for the next resume.
    pub fn carry_over(&mut self, done: &HashMap<AccountKey, journal::Entry>) {
        // An earlier run made these changes (and recorded them): journal them, no more.
        let sink = Sink {
            history: None,
            ..self.sink()
        };
        let mut carried = Vec::new();
        for (i, row) in self.table.rows.iter().enumerate() {
            if let (true, Some(entry)) =
                (row.is_valid(), done.get(&*AccountKey::text(row.account())))
            {
                sink.done(Some(row.source_row), row.account(), &entry.outcome);
                carried.push((i, entry.outcome.clone()));
            }
        }
        for (i, outcome) in carried {
            self.outcomes[i] = outcome;
        }
    }

    /// With `--resume`, the rows whose `staff/add` an earlier run sent and never heard back
    /// from (it was killed): one the server applied (its account is in `live` now) is not sent
    /// again with cover=0, which could only answer that it exists; it is the outcome that call
    /// had, created or skipped, recorded here (the earlier run's history never saw it: this
    /// run's undo removes what it created).
    pub fn settle_cut_off(
        &mut self,
        cut_off: &HashMap<AccountKey, journal::Call>,
        live: &Live,
        cover: Cover,
    ) {
        if cut_off.is_empty() || cover != Cover::Skip {
            return;
        }
        let mut settled = Vec::new();
        for (index, row) in self.table.rows.iter().enumerate() {
            let call = cut_off.get(&*AccountKey::text(row.account()));
            let (Some(call), Outcome::Valid) = (call, &self.outcomes[index]) else {
                continue;
            };
            if live.person(row.account()).is_none() {
                continue;
            }
            let existed = *call == journal::Call::Update;
            let mut job = AddJob::to_match(index, row, row.values().clone(), existed);
            job.cover = cover;
            let outcome = match existed {
                true => Outcome::Skipped,
                false => Outcome::Created,
            };
            let sent = super::add::sent_of(&job.to_form());
            self.sink()
                .done_with(job.row, job.account(), &outcome, sent);
            settled.push((index, outcome));
        }
        if !settled.is_empty() {
            self.ctx.events.note(format!(
                "bgy {}: {} row(s) whose call was cut off by the kill are on the server already: counted as sent, not sent again",
                self.command,
                settled.len()
            ));
        }
        for (index, outcome) in settled {
            self.outcomes[index] = outcome;
        }
    }

    /// Each row's outcome before anything is sent, again, once a later stage (the online
    /// checks) may have found more issues. In place: a second vector of them was 4 MB of a
    /// 100,000-row check, at its peak.
    pub fn outcomes_as_validated(&mut self) {
        self.outcomes.clear();
        self.outcomes.extend(self.table.initial_outcomes());
    }

    /// A report stream for a stage that changes every row after validation (a check's online
    /// checks, a plan's), to write each row as it leaves that stage; `None` when the run
    /// writes no report. A sync's rows to send are streamed as their sends succeeding leave
    /// them; a row changed after it was streamed (a send that failed) has the report written
    /// whole. Hand it back with [`Session::keep_stream`].
    pub fn restream(&mut self) -> Option<report::Stream> {
        // A stream written while reading, if any, is dropped: its writer ends once it has
        // written what it was sent. The cells it took are read again (none, if it took none);
        // if they cannot be, the report is written whole at the end, which says why.
        self.stream = None;
        let cells = self.recall().is_ok();
        (!self.input.no_report && cells).then(|| report::Stream::start(&self.table.header))
    }

    pub fn keep_stream(&mut self, stream: Option<report::Stream>) {
        self.stream = stream;
    }

    /// Sends `jobs` (`staff/add`), each outcome the row's as its call settles, and the report
    /// streamed on (an import's or undo's, from its first row; a sync's is streamed by then)
    /// as far as every row before has its outcome: written while the calls are out, not after
    /// them.
    pub async fn send_staff(&mut self, client: &Client, jobs: Vec<AddJob>) {
        let mut outcomes = std::mem::take(&mut self.outcomes);
        let mut stream = match self.stream.take() {
            Some(stream) => Some(stream),
            None => self.restream(),
        };
        let rows = &self.table.rows;
        if let Some(stream) = &mut stream {
            stream.settle(rows, &outcomes);
        }
        add_staff_each(client, jobs, &self.sink(), |i, outcome| {
            outcomes[i] = outcome;
            if let Some(stream) = &mut stream {
                stream.settle(rows, &outcomes);
            }
        })
        .await;
        self.outcomes = outcomes;
        self.stream = stream;
    }

    /// Ends the run: rows a sending run never reached are not sent, the report is written,
    /// the front-end hears how it went.
    pub fn finish(mut self, plan: Option<&dyn PlanLines>, extra: Extra) -> anyhow::Result<Summary> {
        if self.journal.is_some() {
            let not_sent = self.sink().not_sent();
            for o in self.outcomes.iter_mut().filter(|o| **o == Outcome::Valid) {
                *o = not_sent.clone();
            }
        } else {
            // A run that sent nothing has no row progress to keep on show: the report is what
            // it is doing now (seconds, for a large sheet).
            self.ctx.events.phase(phases::REPORT, 0);
        }
        let stop = &self.ctx.stop;
        let stopped = stop.reason();
        let reasons = crate::outcome::reasons(&self.table, &self.outcomes);
        let c = extra.added_to(Counts::of(&self.outcomes));
        let finished = crate::model::now();
        let stream = self.stream.take();
        let report = self.report_of(&c, &reasons, plan, stopped.clone(), finished);
        let streamed = match stream {
            Some(stream) => stream.finish(&report, &self.report),
            None => Ok(false),
        };
        // A report that cannot be written (a full disk) does not hide how the run went: the
        // history and the front-end still hear it, then the error ends the run.
        let written = match streamed {
            _ if self.input.no_report => Ok(()),
            Ok(true) => Ok(()),
            Ok(false) => self.recall().and_then(|()| {
                let report = self.report_of(&c, &reasons, plan, stopped.clone(), finished);
                Ok(report.write(&self.report)?)
            }),
            Err(e) => Err(e.into()),
        }
        .cannot_write(&self.report);
        let status = match stop.status() {
            Some(s) => s,
            None if c.ok < c.total || extra.failed + extra.invalid > 0 => Status::RowsFailed,
            None => Status::Ok,
        };
        let report_path =
            (written.is_ok() && !self.input.no_report).then(|| self.report.display().to_string());
        self.record_end(status, &c, report_path.as_deref());
        self.failed_rows();
        self.ctx.events.event(Event::Finished(Box::new(Finished {
            command: self.command.name().to_string(),
            layout: self.table.layout,
            counts: c.clone(),
            valid: self
                .outcomes
                .iter()
                .filter(|o| **o == Outcome::Valid)
                .count(),
            reasons,
            stopped,
            stopped_remedy: stop.remedy(),
            report: report_path.clone(),
            history_run: self.recorder.as_ref().map(|r| r.run),
            existing: extra.existing,
            not_found: extra.not_found,
            directory: extra.directory,
            besides: extra.deleted + extra.left + extra.failed,
            planned: extra.planned,
        })));
        written?;
        // The rows and their outcomes are let go after the run's last output.
        crate::os::drop_later((
            std::mem::take(&mut self.table.rows),
            std::mem::take(&mut self.outcomes),
        ));
        Ok(Summary {
            command: self.command.name(),
            counts: Counts {
                failed: c.failed + c.not_sent,
                ..c
            },
            report: report_path,
            history_run: self.recorder.as_ref().map(|r| r.run),
            detail: Detail::Sheet(extra.into_detail()),
            status,
            ..Summary::default()
        })
    }

    /// The run's report, as far as it is known when the run ends.
    fn report_of<'r>(
        &'r self,
        counts: &'r Counts,
        reasons: &'r [crate::outcome::Reason],
        plan: Option<&'r dyn PlanLines>,
        stopped: Option<String>,
        finished: crate::model::Moment,
    ) -> Report<'r> {
        Report {
            command: self.command,
            input: self.input.name(),
            server: &self.ctx.server,
            table: &self.table,
            outcomes: &self.outcomes,
            counts,
            started: self.started,
            finished,
            stopped,
            plan,
            reasons,
        }
    }

    /// The cells of the rows let go once their report rows were streamed ([`Row::take_cells`]),
    /// read again from the input: for a report written whole after all, or rows to show.
    /// They come from the run's copy of its input ([`crate::input::Kept`]).
    fn recall(&mut self) -> anyhow::Result<()> {
        // Before the copy is waited for and read: nothing to read again.
        if !self.table.cells_gone() {
            return Ok(());
        }
        let input = self.input;
        let copy = self
            .kept
            .get()
            .context("这些行不是从文件读出的 (these rows were not read from a file)")?;
        let bytes = copy.bytes().with_context(|| {
            let file = input.file.display();
            format!("无法再次读取 {file} 的副本 (cannot read the copy of {file} again)")
        })?;
        let sheet = input.sheet.as_deref();
        Ok(self.table.recall(&bytes, sheet, &input.columns)?)
    }

    /// The rows that did not succeed, for a front-end that shows them.
    fn failed_rows(&mut self) {
        let ctx = self.ctx;
        let events = ctx.events.as_ref();
        if !events.wants_failed_rows() {
            return;
        }
        let mut rows = self.table.rows.iter().zip(&self.outcomes);
        if rows.any(|(r, o)| r.cells_gone && !o.is_ok()) {
            if let Err(e) = self.recall() {
                ctx.events.note(format!("bgy: {e:#}"));
            }
        }
        let header = &self.table.header;
        events.event(Event::FailedHeader(report::failed_header(header)));
        for (row, outcome) in self.table.rows.iter().zip(&self.outcomes) {
            if let Some(failed) = report::failed_row(header, row, outcome) {
                events.event(Event::Failed(failed));
            }
        }
    }

    /// The run's end in the history (a run that changed nothing has no record).
    fn record_end(&self, status: Status, counts: &Counts, report: Option<&str>) {
        let Some(r) = &self.recorder else {
            return;
        };
        let status = RunStatus::from(status);
        let counts = serde_json::to_value(counts).unwrap_or_default();
        if let Err(e) = r.history.end(r.run, status, &counts, report) {
            self.ctx
                .events
                .warn(format!("历史记录没能记下这次运行的结束 (the history could not record the run's end: {e:#})"));
        }
    }
}

/// A run that sends holds its input's lock, so a second one refuses before it reads anything.
fn run_lock(input: &Input, command: Command, sends: bool) -> anyhow::Result<Option<RunLock>> {
    Ok(match sends {
        true => Some(lock::lock(&input.file, command.name())?),
        false => None,
    })
}

/// What the loader gives a run: the input as read, the layout its header says (or the one
/// asked for), the rows validated, and the report written while they were read.
pub struct Loaded {
    pub table: Table,
    /// The input as read, once: other sheets of it are read from here.
    pub bytes: Arc<[u8]>,
    stream: Option<report::Stream>,
}

impl Loaded {
    /// Reads and validates `input` (one thread reads, this one validates), with progress;
    /// `stream_report(layout)`: the report is written as the rows come.
    pub fn read(
        ctx: &Context,
        command: Command,
        input: &Input,
        layout: Option<Layout>,
        stream_report: &dyn Fn(Layout) -> bool,
        also: validate::Watch,
    ) -> anyhow::Result<Loaded> {
        let bytes: Arc<[u8]> = match input.held_bytes() {
            Some(read) => read,
            None => crate::read::read_file(&input.file)?.into(),
        };
        unread_settings(ctx, input);
        ctx.events.phase(phases::READING, 0);
        let mut stream: Option<report::Stream> = None;
        let mut read = 0u64;
        let mut streams = None;
        let forget = command == Command::Check && ctx.client.is_none();
        let mut watch = |layout: Layout,
                         header: &crate::read::header::Header,
                         rows: &mut [validate::Row]| {
            read += 1;
            if read.is_multiple_of(PROGRESS_ROWS) {
                ctx.events.event(Event::Progress {
                    done: read,
                    total: 0,
                });
            }
            // `also` sees the row first (no watcher reads its cells, which the report takes).
            // An offline check does nothing more with a valid row once it is validated (and
            // written, with a report): it is then let go.
            also(layout, header, rows);
            if let Some(row) = rows.last_mut() {
                let gone = forget && row.is_valid();
                match *streams.get_or_insert_with(|| stream_report(layout)) {
                    true => {
                        let stream = stream.get_or_insert_with(|| report::Stream::start(header));
                        match gone {
                            true => stream.row_letting_go(row, Outcome::Valid),
                            false => stream.row(row),
                        }
                    }
                    false if gone => row.forget(),
                    false => {}
                }
            }
        };
        let sheet = input.sheet.as_deref();
        let table = validate::load_watched(
            &bytes,
            &input.file,
            sheet,
            layout.map_or(
                validate::ReadAs::Header {
                    delete: !input.never_guess_delete,
                },
                validate::ReadAs::Layout,
            ),
            &input.columns,
            &mut watch,
        )?;
        if layout.is_none() && table.layout != Layout::Staff {
            let (zh, en) = table.layout.called();
            ctx.events.event(Event::Note {
                text: format!(
                    "bgy {command}: 表格的列是{zh}的列,按{zh}检查 (the sheet's columns are those of a {en}: checking it as one)"
                ),
                remedy: Some(crate::remedy::Remedy::ChooseKind { kind: None }),
            });
        } else if let Some(kind) = (layout == Some(Layout::Staff))
            .then(|| validate::other_kind(&table.header))
            .flatten()
        {
            ctx.events.event(Event::Warning {
                text: match kind {
                    Layout::Leave => "表格没有手机、邮箱、微信号列,却有离职时间或离职原因:它像是离职名单,作为员工资料每一行都会因缺少联系方式而失败 (the sheet has no 手机, 邮箱 or 微信号 column but has 离职时间 or 离职原因: it looks like a list of leavers, and as staff every row fails for want of a contact)",
                    _ => "表格没有手机、邮箱、微信号列,却有日期列:它像是日期表(入职、转正、离职时间),作为员工资料每一行都会因缺少联系方式而失败 (the sheet has no 手机, 邮箱 or 微信号 column but has dates: it looks like a sheet of dates, and as staff every row fails for want of a contact)",
                }
                .to_string(),
                remedy: Some(crate::remedy::Remedy::ChooseKind { kind: Some(kind) }),
            });
        }
        Ok(Loaded {
            table,
            bytes,
            stream,
        })
    }
}

/// A run of the console that read its sheet without `bgy.toml`, which could not be read: the
/// company's remembered columns were not used, and someone who can edit it must mend it.
fn unread_settings(ctx: &Context, input: &Input) {
    if let Some(why) = &input.unread_settings {
        let (zh, en) = crate::text::bilingual(why).unwrap_or((why, why));
        ctx.events.warn(format!("bgy.toml 有误,本次没有使用其中记住的列,请管理员改好:{zh} (bgy.toml could not be read, so the columns it remembers were not used; ask whoever runs bgy to mend it: {en})"));
    }
}

/// Where a run's report goes: `--report`, or a name of its own beside the input, taken when
/// the run starts. A run that ends before writing its report leaves no empty file behind.
pub struct ReportPath {
    path: PathBuf,
    /// A name taken for this run: removed if the run ends before writing it, also when a
    /// signal ends bgy at once.
    reserved: Option<crate::signals::Unfinished>,
}

impl std::ops::Deref for ReportPath {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.path
    }
}

impl Drop for ReportPath {
    fn drop(&mut self) {
        if let Some(reserved) = self.reserved.take() {
            reserved.remove();
        }
    }
}

fn report_path(input: &Input, started: crate::model::Moment) -> anyhow::Result<ReportPath> {
    Ok(match &input.report {
        // `check --no-report`: no name taken, nothing written.
        _ if input.no_report => ReportPath {
            path: PathBuf::new(),
            reserved: None,
        },
        Some(path) => ReportPath {
            path: path.clone(),
            reserved: None,
        },
        None => {
            let path = report::reserve_path(&input.file, input.report_dir.as_deref(), started)
                .unwritten(|| match &input.report_dir {
                    Some(dir) => (
                        format!("无法在 {} 写报告({{why}})", dir.display()),
                        format!("cannot write a report in {}", dir.display()),
                    ),
                    None => (
                        format!(
                            "无法在 {} 旁边写报告({{why}});--report-dir 可以把报告写到别的文件夹",
                            input.file.display()
                        ),
                        format!(
                            "cannot write a report beside {}; --report-dir writes it elsewhere",
                            input.file.display()
                        ),
                    ),
                })?;
            ReportPath {
                reserved: Some(crate::signals::Unfinished::reserved(&path)),
                path,
            }
        }
    })
}

/// The history of one sending run: its id, and the records as they were before it.
pub struct Recorder<'a> {
    history: std::sync::Arc<History>,
    run: i64,
    command: Command,
    /// The run's listing, which holds each person as they were before it (what bgy last sent
    /// them is read from the history when their change is recorded: a run records one change
    /// an account, and the history's last-sent is only moved on by that change). Borrowed,
    /// not copied: a copy of 100,000 people was ~30 MB more at a sync's, an undo's and a
    /// delete's peak.
    listing: Option<&'a Live>,
    /// By index in the listing: the people the run may change, whose record before it keeps.
    remembered: Vec<bool>,
}

/// A person's record before the run, as the history keeps it: `{"field": {"value": …,
/// "source": "listing" | "sent"}}`, the listing's value, else the one bgy had last sent.
fn before_json(listing: &StaffRecord, sent: Map<String, Value>) -> Value {
    let mut before = Map::new();
    for (field, value) in listing.iter() {
        before.insert(
            field.key().into(),
            serde_json::json!({"value": value, "source": "listing"}),
        );
    }
    for (key, value) in sent {
        before
            .entry(key)
            .or_insert_with(|| serde_json::json!({"value": value, "source": "sent"}));
    }
    Value::Object(before)
}

impl<'a> Recorder<'a> {
    /// Keeps `accounts` of the run's one listing; remembering from another listing starts
    /// over (no run lists twice).
    fn remember<'b>(&mut self, live: &'a Live, accounts: impl IntoIterator<Item = &'b str>) {
        if !self.listing.is_some_and(|l| std::ptr::eq(l, live)) {
            self.listing = Some(live);
            self.remembered = vec![false; live.staff.len()];
        }
        for account in accounts {
            if let Some(i) = live.index(account) {
                self.remembered[i] = true;
            }
        }
    }

    /// The record before the run of a person it remembered.
    fn before(&self, account: &str) -> Option<&'a StaffRecord> {
        let live = self.listing?;
        let i = live.index(account)?;
        self.remembered[i].then(|| &live.staff[i])
    }

    /// Where a department's rename is written down before it goes.
    pub fn written(&self) -> crate::history::Written<'_> {
        crate::history::Written {
            history: &self.history,
            run: self.run,
        }
    }

    /// Records a department's change once made: `dept_created` (target its path). A rename is
    /// written down before it goes ([`super::depts::rename`]).
    pub fn department(
        &self,
        kind: ChangeKind,
        target: &str,
        before: &Value,
        sent: &Value,
    ) -> anyhow::Result<()> {
        self.history.change(self.run, target, kind, before, sent)
    }

    /// Records a change, when the outcome is one (created, updated, deleted; dates for
    /// `times`).
    pub fn record(&self, account: &str, outcome: &Outcome, sent: &Value) -> anyhow::Result<()> {
        let Some(kind) = self.kind_of(outcome) else {
            return Ok(());
        };
        self.history
            .change(self.run, account, kind, &self.before_json(account), sent)
    }

    /// The change an outcome is, if it is one.
    pub fn kind_of(&self, outcome: &Outcome) -> Option<ChangeKind> {
        Some(match outcome {
            Outcome::Created => ChangeKind::Created,
            Outcome::Updated if self.command == Command::Times => ChangeKind::Dates,
            Outcome::Updated => ChangeKind::Updated,
            Outcome::Deleted => ChangeKind::Deleted,
            Outcome::Left => ChangeKind::Left,
            _ => return None,
        })
    }

    /// The person's record before the run, as the history keeps it ([`before_json`]); null
    /// for someone the listing did not have.
    fn before_json(&self, account: &str) -> Value {
        self.before(account).map_or(Value::Null, |listing| {
            before_json(listing, self.history.last_sent(account))
        })
    }

    /// Writes down calls about to go ([`History::unanswered`]): of each account, the change
    /// and what it sends. The ids that [`Recorder::answered`] clears once its answer comes.
    pub fn unanswered(&self, calls: &[(&str, ChangeKind, &Value)]) -> anyhow::Result<Vec<i64>> {
        let calls: Vec<(&str, ChangeKind, Value, &Value)> = (calls.iter())
            .map(|&(a, kind, sent)| (a, kind, self.before_json(a), sent))
            .collect();
        (self.history).unanswered(self.run, &calls)
    }

    /// The calls written down were answered ([`History::answered`]).
    pub fn answered(&self, crossed: &[i64], applied: &[Applied]) -> anyhow::Result<()> {
        self.history.answered(crossed, applied)
    }
}
