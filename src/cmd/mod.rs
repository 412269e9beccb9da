//! The commands: each is load → live → plan → send → report through the stages, and ends in a
//! [`crate::outcome::Summary`]. They print nothing: what they have to say goes to the front-end as events.

pub mod check;
pub mod delete;
pub mod dept;
pub mod export;
pub mod history;
pub mod import;
pub mod leave;
pub mod plan;
pub mod schedule;
pub mod template;
pub mod times;
pub mod undo;

use std::cell::OnceCell;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::Context as _;

use crate::api::ApiError;
use crate::config::{Job, ScheduleAction};
use crate::context::Context;
use crate::events::{Emit, Event, Observer};
use crate::execute::session::Session;
use crate::live::{Live, Online};
use crate::model::tree::DeptTree;
use crate::model::{Layout, Outcome};
use crate::outcome::Summary;
use crate::read::header::Header;
use crate::report;
use crate::validate::Row;

/// Runs a job that reads or changes the directory, in `ctx`. A job that changes it holds the
/// working directory's sending lock throughout (unless the front-end took it already).
pub async fn run(ctx: &Context, job: &Job) -> anyhow::Result<Summary> {
    let _sending = match job.changes_directory() && !ctx.directory_held {
        true => Some(crate::lock::directory(
            &ctx.history_dir(),
            &format!("bgy {} by {}", job.name(), ctx.who),
        )?),
        false => None,
    };
    match job {
        Job::Check {
            input,
            layout,
            create_departments,
        } => check::run(ctx, input, *layout, *create_departments).await,
        Job::Import { input, options } => import::run(ctx, input, *options).await,
        Job::Times { input, resume } => times::run(ctx, input, *resume).await,
        Job::Delete { input, destructive } => delete::run(ctx, input, *destructive).await,
        Job::Leave {
            input,
            date,
            reason,
            destructive,
        } => {
            leave::run(
                ctx,
                input,
                (date.as_deref(), reason.as_deref()),
                *destructive,
            )
            .await
        }
        Job::Export {
            output,
            department,
            recursive,
            encoding,
        } => export::run(ctx, output, department.as_deref(), *recursive, *encoding).await,
        Job::Plan { input, reach } => plan::plan(ctx, input, *reach).await,
        Job::Sync {
            input,
            reach,
            destructive,
        } => plan::sync(ctx, input, *reach, *destructive).await,
        Job::Schedule { what, settings } => match what {
            ScheduleAction::Once => schedule::once(ctx, settings).await,
            ScheduleAction::Check => schedule::check(ctx, settings).await,
            ScheduleAction::TestNotify => schedule::test_notify(ctx, settings).await,
        },
        Job::Decide {
            run,
            approve,
            settings,
            report,
        } => schedule::decide(ctx, *run, *approve, settings, report.clone()).await,
        Job::Dept(job) => dept::run(ctx, job).await,
        Job::History(job) => history::run(ctx, job),
        Job::Undo {
            run,
            dry_run,
            destructive,
            report,
        } => undo::run(ctx, *run, *dry_run, *destructive, report.clone()).await,
        Job::Template {
            layout,
            output,
            force,
        } => template::run(ctx, *layout, output, *force).await,
        Job::Emulator(_) | Job::Serve(_) => {
            anyhow::bail!("bgy emulator and bgy serve are not run by cmd::run: run them with run()")
        }
    }
}

/// Row `i`'s outcome in a report, once checked against the directory: see [`Checking`].
pub type RowOutcome<'a> = dyn FnMut(usize, &mut Row, &Live) -> Outcome + 'a;

/// The online checks of a sheet of people (`check`'s, `import --dry-run`'s, `plan`'s), begun
/// while it is still being read: once the listing is in, each row is checked as validation
/// leaves it and its report row written, instead of every row after the read. On two cores
/// the online checks and the report's writer then run beside the reader, not after it. A row
/// that needs the whole sheet (a leader the directory does not have may be further down)
/// stops it there: that row and the rest are checked once the sheet is read, as are all rows
/// when the listing comes in after the read.
pub struct Checking<'a> {
    listing: Option<Listing>,
    /// The directory, once listed: here, so that the checks can borrow it.
    live: &'a OnceCell<Live>,
    /// Made of the directory as listed, before any row is checked (a plan's departments
    /// sheet planned on its tree); false: no row is checked before the sheet is read.
    ready: Box<dyn FnMut(&mut Live) -> bool + 'a>,
    /// Row `i`'s outcome in the report once checked (a sync's row to send: as its send
    /// succeeding leaves it). Called for each row in order, and again for a row checked while
    /// reading that the checks across rows then failed.
    outcome: Box<RowOutcome<'a>>,
    online: Option<Online<'a>>,
    stream: Option<report::Stream>,
    /// The rows before this one are checked (and written).
    next: usize,
    /// How many of them were valid when they were checked.
    valid: usize,
    /// A row had to wait for the whole sheet: no more rows are checked while reading.
    waiting: bool,
    report: bool,
    create_departments: bool,
    warn_existing: bool,
    /// Whether a valid row with this outcome is let go once its report row is written (asked
    /// of each, in order).
    forget: Box<dyn FnMut(&Outcome) -> bool + 'a>,
    /// Rows whose leader the sheet found by name among the rows before are checked as read
    /// ([`Checking::trusting_guesses`]).
    guesses: bool,
}

impl<'a> Checking<'a> {
    /// `report`: the run writes one. `live` is where the directory is kept once listed (one
    /// already in it is used from the first row). Each row's outcome is its validity.
    pub fn new(
        listing: Listing,
        live: &'a OnceCell<Live>,
        report: bool,
        create_departments: bool,
        warn_existing: bool,
    ) -> Checking<'a> {
        Checking {
            listing: Some(listing),
            live,
            ready: Box::new(|_| true),
            outcome: Box::new(|_, row, _| Outcome::initial(row.is_valid())),
            online: None,
            stream: None,
            next: 0,
            valid: 0,
            waiting: false,
            report,
            create_departments,
            warn_existing,
            forget: Box::new(|_| false),
            guesses: false,
        }
    }

    /// The same, for a run that sends nothing and whose outcomes are the rows' validity
    /// (`bgy check`): a row whose 直接上级 names one person of the rows before it is checked
    /// as read, not after, with that person as its leader ([`Online::trusting_guesses`]). A
    /// roster whose leaders are given by name (钉钉's 直属主管) then streams online as it does
    /// offline.
    pub fn trusting_guesses(self) -> Checking<'a> {
        Checking {
            guesses: true,
            ..self
        }
    }

    /// The same, letting a valid row's cells and values go once its report row is written
    /// when `forget` says nothing after needs them for its outcome (see [`Row::forget`]): a
    /// check's every row, a plan's unchanged ones, a dry run's past those it shows. A run that
    /// creates the departments its rows name keeps their 部门ID and 部门: after a late
    /// duplicate the paths are counted again from them ([`Online::recount`]).
    pub fn forgetting(self, forget: impl FnMut(&Outcome) -> bool + 'a) -> Checking<'a> {
        Checking {
            forget: Box::new(forget),
            ..self
        }
    }

    /// The same, with `ready` made of the directory as listed and each row's `outcome` (see
    /// the fields).
    pub fn with(
        self,
        ready: impl FnMut(&mut Live) -> bool + 'a,
        outcome: impl FnMut(usize, &mut Row, &Live) -> Outcome + 'a,
    ) -> Checking<'a> {
        Checking {
            ready: Box::new(ready),
            outcome: Box::new(outcome),
            ..self
        }
    }

    /// Keeps the directory as listed, `ready` made of it first.
    fn keep(&mut self, mut live: Live) {
        if !(self.ready)(&mut live) {
            self.waiting = true;
        }
        drop(self.live.set(live));
    }

    /// A [`crate::validate::Watch`]: checks the rows not checked yet, if the directory is
    /// listed by now. Never waits for it.
    pub fn watch(&mut self, layout: Layout, header: &Header, rows: &mut [Row]) {
        if self.online.is_none() && !self.waiting && layout == Layout::Staff {
            if self.live.get().is_none() {
                match self.listing.as_mut().and_then(Listing::try_live) {
                    Some(live) => self.keep(live),
                    None => return,
                }
            }
            if let (Some(live), false) = (self.live.get(), self.waiting) {
                self.stream = self.report.then(|| report::Stream::start(header));
                let online = Online::new(live, self.create_departments, self.warn_existing);
                self.online = Some(match self.guesses {
                    true => online.trusting_guesses(),
                    false => online,
                });
            }
        }
        let (Some(online), false) = (&mut self.online, self.waiting) else {
            return;
        };
        while self.next < rows.len() {
            let i = self.next;
            let valid = rows[i].is_valid();
            let checked = match valid {
                true => online.row(&mut rows[i], None),
                false => online.failed_row(&mut rows[i], None),
            };
            if !checked {
                self.waiting = true;
                return;
            }
            let outcome = (self.outcome)(i, &mut rows[i], online.live());
            write(
                &mut self.stream,
                &mut rows[i],
                outcome,
                &mut self.forget,
                self.create_departments,
            );
            self.valid += valid as usize;
            self.next += 1;
        }
    }

    /// The directory once listed (`ready` made of it), waiting for the listing if it is not
    /// in yet; `None` without a server. See [`Listing::done`].
    pub async fn listed(&mut self) -> anyhow::Result<Option<Result<&'a Live, ApiError>>> {
        if self.live.get().is_none() {
            if let Some(listing) = self.listing.take() {
                match listing.done().await? {
                    Some(Ok(live)) => self.keep(live),
                    Some(Err(e)) => return Ok(Some(Err(e))),
                    None => {}
                }
            }
        }
        Ok(self.live.get().map(Ok))
    }

    /// As [`Checking::listed`], a fatal API condition ending the run (the report is still
    /// written) rather than returned as an error.
    pub async fn live(&mut self, ctx: &Context) -> anyhow::Result<Option<&'a Live>> {
        match self.listed().await? {
            Some(Ok(live)) => Ok(Some(live)),
            Some(Err(e)) if e.is_fatal() => {
                ctx.stop.fatal_api(&e);
                Ok(None)
            }
            Some(Err(e)) => Err(e.into()),
            None => Ok(None),
        }
    }

    /// The online checks of the rows not checked while reading, against `live` (from
    /// [`Checking::live`]), the report written on; the department paths to create.
    pub fn rest(mut self, s: &mut Session, live: &'a Live) -> BTreeSet<String> {
        let from = self.next;
        let (mut online, mut stream) = match self.online.take() {
            Some(online) => (online, self.stream.take()),
            None => (
                Online::new(live, self.create_departments, self.warn_existing),
                s.restream(),
            ),
        };
        let outcome = &mut self.outcome;
        let mut i = from;
        let (forget, place) = (&mut self.forget, self.create_departments);
        online.rest(&mut s.table.rows, &s.table.accounts, from, &mut |row| {
            let outcome = outcome(i, row, live);
            write(&mut stream, row, outcome, forget, place);
            i += 1;
        });
        // The checks across rows (a duplicate) may since have failed rows checked while
        // reading: their outcomes are worked out again (a plan's action for such a row was
        // to send it), and the paths to create are those of the rows still valid. Their
        // report rows no longer match: the report is then written whole.
        let rows = &mut s.table.rows;
        if rows[..from].iter().filter(|r| r.is_valid()).count() != self.valid {
            for (i, row) in rows[..from].iter_mut().enumerate() {
                if !row.is_valid() {
                    outcome(i, row, live);
                }
            }
            online.recount(rows);
        }
        s.keep_stream(stream);
        online.to_create
    }
}

/// A checked row into the report `stream` (if the run writes one) with its `outcome`; a valid
/// one then let go, if `forget` says so of its outcome (its placement kept, if `place`).
fn write(
    stream: &mut Option<report::Stream>,
    row: &mut Row,
    outcome: Outcome,
    forget: &mut dyn FnMut(&Outcome) -> bool,
    place: bool,
) {
    if let Some(stream) = stream {
        let gone = row.is_valid() && forget(&outcome);
        match (gone, place) {
            (true, false) => stream.row_letting_go(row, outcome),
            (true, true) => {
                stream.row_as(row, outcome);
                row.forget_but_place();
            }
            (false, _) => stream.row_as(row, outcome),
        }
    }
}

/// Warns about departments whose parents are missing or form a circle (they are still listed).
pub fn warn_tree(ctx: &Context, tree: &DeptTree) {
    for p in tree.problems() {
        ctx.events.warn(p);
    }
}

/// The live directory, listed on a task of its own from the start of a run, so that the
/// network and reading the sheet overlap instead of one waiting for the other. Dropped unused
/// (the sheet could not be read, the lock was taken), it stops listing.
pub struct Listing {
    task: Option<tokio::task::JoinHandle<Result<Live, ApiError>>>,
    /// What the task came to, when [`Listing::try_live`] found it finished with an error.
    finished: Option<Result<Result<Live, ApiError>, tokio::task::JoinError>>,
    events: Arc<Held>,
}

impl Listing {
    /// Starts listing when the run has a server; a run without one lists nothing.
    pub fn start(ctx: &Context) -> Listing {
        let events = Arc::new(Held::new(ctx.events.clone()));
        let task = ctx.client.clone().map(|client| {
            let events = events.clone();
            tokio::spawn(async move { Live::fetch(&client, events.as_ref()).await })
        });
        Listing {
            task,
            finished: None,
            events,
        }
    }

    /// The directory, when the listing is already in without error, taken from it (then
    /// [`Listing::done`] has nothing); an error is kept for `done`. Never waits.
    pub fn try_live(&mut self) -> Option<Live> {
        use futures::FutureExt;
        if !self.task.as_ref()?.is_finished() {
            return None;
        }
        let mut task = self.task.take()?;
        match (&mut task).now_or_never() {
            Some(Ok(Ok(live))) => Some(live),
            Some(other) => {
                self.finished = Some(other);
                None
            }
            // Finished, yet not ready: wait for it in `done`.
            None => {
                self.task = Some(task);
                None
            }
        }
    }

    /// The directory once listed; `None` without a server. From here on the listing's
    /// progress is shown, if it is still going.
    pub async fn done(mut self) -> anyhow::Result<Option<Result<Live, ApiError>>> {
        let finished = match (self.finished.take(), self.task.take()) {
            (Some(finished), _) => finished,
            (None, Some(task)) => {
                if !task.is_finished() {
                    self.events.show();
                }
                task.await
            }
            (None, None) => return Ok(None),
        };
        Ok(Some(
            finished.context("the directory listing stopped unexpectedly")?,
        ))
    }
}

/// The listing's events while the sheet is still being read: its warnings pass at once, its
/// phase and progress are held (the latest of each) until the run waits for it, so that the
/// one progress bar shows one thing at a time: the rows read, then the listing.
struct Held {
    inner: Arc<dyn Observer>,
    state: Mutex<HeldState>,
}

#[derive(Default)]
struct HeldState {
    shown: bool,
    phase: Option<Event>,
    progress: Option<Event>,
}

impl Held {
    fn new(inner: Arc<dyn Observer>) -> Held {
        Held {
            inner,
            state: Mutex::new(HeldState::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HeldState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Passes what was held, and everything from now on.
    fn show(&self) {
        let mut state = self.lock();
        state.shown = true;
        for event in [state.phase.take(), state.progress.take()]
            .into_iter()
            .flatten()
        {
            self.inner.event(event);
        }
    }
}

impl Observer for Held {
    fn event(&self, event: Event) {
        let mut state = self.lock();
        match event {
            Event::Phase { .. } if !state.shown => {
                state.phase = Some(event);
                state.progress = None;
            }
            Event::Progress { .. } if !state.shown => state.progress = Some(event),
            other => {
                drop(state);
                self.inner.event(other);
            }
        }
    }

    fn confirm_removal(
        &self,
        command: &str,
        n: usize,
        what: crate::remedy::Removal,
    ) -> anyhow::Result<bool> {
        self.inner.confirm_removal(command, n, what)
    }
}

impl Drop for Listing {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{phases, Collect};

    fn progress(done: u64, total: u64) -> Event {
        Event::Progress { done, total }
    }

    /// What one check of `input` came to: each row's account and issues, the paths to
    /// create, the rows checked while the sheet was read, and the report's All sheet.
    type Checked = (
        Vec<(String, Vec<String>)>,
        BTreeSet<String>,
        usize,
        Vec<Vec<String>>,
    );

    /// A check of `input` with the directory listed before its first row is read (`early`),
    /// or only after the sheet is read, letting go the rows `forget` says, checking as read
    /// the rows whose leader is guessed by name if `guesses` ([`Checking::trusting_guesses`]).
    async fn check_listed(
        ctx: &Context,
        input: &crate::config::Input,
        (early, guesses): (bool, bool),
        forget: fn(&Outcome) -> bool,
    ) -> Checked {
        let client = ctx.client.as_ref().unwrap();
        let mut live = Some(
            Live::fetch(client, &crate::events::Collect::default())
                .await
                .unwrap(),
        );
        let listed = OnceCell::new();
        // Early: the listing's task already finished when the first row is validated.
        let task = early.then(|| {
            let live = live.take();
            tokio::spawn(async move { Ok(live.unwrap()) })
        });
        while task.as_ref().is_some_and(|t| !t.is_finished()) {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        let listing = Listing {
            task,
            finished: None,
            events: Arc::new(Held::new(ctx.events.clone())),
        };
        // Each row's last outcome, as a plan keeps its actions.
        let mut seen = Vec::new();
        let outcome = |i: usize, row: &mut Row, _: &Live| {
            let valid = row.is_valid();
            match seen.get_mut(i) {
                Some(again) => *again = valid,
                None => seen.push(valid),
            }
            Outcome::initial(valid)
        };
        let mut readied = 0;
        let ready = |_: &mut Live| {
            readied += 1;
            true
        };
        let mut checking = Checking::new(listing, &listed, true, true, true)
            .with(ready, outcome)
            .forgetting(forget);
        if guesses {
            checking = checking.trusting_guesses();
        }
        let command = crate::model::Command::Check;
        let mut s = Session::open_watched(ctx, command, input, None, false, &mut |l, h, r| {
            checking.watch(l, h, r)
        })
        .unwrap();
        let during = checking.next;
        // Late: the listing comes in once the sheet is read.
        if let Some(live) = live {
            let events = Arc::new(Held::new(ctx.events.clone()));
            checking.listing = Some(Listing {
                task: Some(tokio::spawn(async move { Ok(live) })),
                finished: None,
                events,
            });
        }
        let live = checking.live(ctx).await.unwrap().unwrap();
        let to_create = checking.rest(&mut s, live);
        assert_eq!(readied, 1, "the directory is made ready once");
        let valid: Vec<bool> = s.table.rows.iter().map(Row::is_valid).collect();
        assert_eq!(
            seen, valid,
            "each row's outcome is its validity after every check"
        );
        let rows = s
            .table
            .rows
            .iter()
            .map(|r| {
                let issues = r.issues.iter().map(|i| i.zh.to_string()).collect();
                (r.account().to_string(), issues)
            })
            .collect();
        s.outcomes_as_validated();
        let summary = s.finish(None, Default::default()).unwrap();
        let report = std::path::PathBuf::from(summary.report.unwrap());
        let all = crate::read::read_sheet(&report, Some("全部 All")).unwrap();
        let all = all
            .rows
            .iter()
            .map(|r| r.cells.iter().map(|c| c.text().into_owned()).collect())
            .collect();
        (rows, to_create, during, all)
    }

    /// A folder holding `csv` as `s.csv`, and a context against the embedded emulator, its
    /// state and history in that folder.
    async fn emulated(csv: &str) -> (tempfile::TempDir, Context) {
        use clap::Parser;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("s.csv"), csv).unwrap();
        let at = |name: &str| dir.path().join(name).display().to_string();
        let args = crate::cli::Args::try_parse_from([
            "bgy",
            "--emulator",
            "--emulator-state",
            &at("emu.sqlite"),
            "--history",
            &at("history.sqlite"),
            "template",
        ])
        .unwrap();
        let config = crate::config::Config::from_args(args).unwrap();
        let ctx = Context::new(&config, Arc::new(crate::events::Collect::default()))
            .await
            .unwrap();
        (dir, ctx)
    }

    /// `s.csv` of `dir` as a run's input, its report `report` in `dir`.
    fn input_of(dir: &std::path::Path, report: &str) -> crate::config::Input {
        crate::config::Input {
            report: Some(dir.join(report)),
            ..crate::config::Input::file(dir.join("s.csv"))
        }
    }

    /// The online checks done while the sheet is read, from its first row, come to what the
    /// same checks after the read come to: the rows' issues and outcomes, the paths to create
    /// (those of the rows the checks across rows left valid: a1 and a3 share a mobile, so
    /// a1's new department is not made, and a plan would not send a1) and the report. A leader
    /// the directory does not have (a4's) may be further down the sheet: the checks while
    /// reading stop there.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn checks_while_reading_come_to_what_checks_after_reading_do() {
        let (dir, ctx) = emulated(
            "帐号,姓名,手机,部门,直接上级\n\
             chen0001,谢娜,13858196394,办公逸/研发部,\n\
             a1,甲,13800138001,办公逸/研发部/新组,\n\
             a2,乙,13800138002,研发部/后端组,\n\
             a3,丙,13800138001,办公逸/研发部,\n\
             a6,己,18137845643,办公逸/研发部,\n\
             a4,丁,13800138004,办公逸/研发部/新组二,nobody\n\
             a5,戊,13800138005,办公逸/研发部/新组三,\n",
        )
        .await;
        let input = |report: &str| input_of(dir.path(), report);
        let keep = |_: &Outcome| false;
        let (rows, to_create, during, all) =
            check_listed(&ctx, &input("early.xlsx"), (true, false), keep).await;
        let after = check_listed(&ctx, &input("after.xlsx"), (false, false), keep).await;
        // chen0001 to a6 while reading; a4 waits for the whole sheet.
        assert_eq!((during, after.2), (5, 0));
        assert_eq!(rows, after.0);
        assert_eq!(to_create, after.1);
        assert_eq!(all, after.3);
        // Each valid row let go once written, as a check does: a1, written valid while the
        // sheet was read, clashes with a3 at its end, so the report is written whole, a1's
        // cells read again.
        let forgot = check_listed(&ctx, &input("forgot.xlsx"), (true, false), |_| true).await;
        assert_eq!(forgot.3, all);
        let issues = |rows: &[(String, Vec<String>)]| -> Vec<Vec<String>> {
            rows.iter().map(|r| r.1.clone()).collect()
        };
        assert_eq!(issues(&forgot.0), issues(&rows));
        let paths: Vec<&str> = to_create.iter().map(String::as_str).collect();
        assert_eq!(paths, ["办公逸/研发部/新组三", "办公逸/研发部/新组二"]);
        let issues = |account: &str| rows.iter().find(|r| r.0 == account).unwrap().1.join(" ");
        assert!(issues("chen0001").contains("帐号已在通讯录中"), "{rows:?}");
        assert!(
            issues("a6").contains("已属于通讯录中的 zhang0032"),
            "{rows:?}"
        );
        assert!(
            issues("a2").contains("按 办公逸/研发部/后端组 处理"),
            "{rows:?}"
        );
        assert!(issues("a4").contains("直接上级 nobody"), "{rows:?}");
        assert!(issues("a3").contains("手机"), "{rows:?}");
    }

    /// A check online of a roster whose leaders are given by name checks as read each row
    /// whose leader is the one person of the rows before by that name, and comes to what the
    /// same check after the read does, a guess taken back included: b1's 王五 is w1 until w2,
    /// another 王五, comes; then the whole sheet tells them apart by department. b3, once two
    /// 王五 are read, waits for the whole sheet. A check that does not trust the guesses
    /// stops at b1.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_check_online_checks_as_read_the_rows_whose_leader_the_rows_before_name() {
        let (dir, ctx) = emulated(
            "帐号,姓名,手机,部门,直接上级\n\
             w1,王五,13800138101,办公逸/研发部,\n\
             b1,赵六,13800138102,办公逸/研发部,王五\n\
             b2,钱七,13800138103,办公逸/客服部,赵六\n\
             w2,王五,13800138104,办公逸/客服部,\n\
             b3,孙八,13800138105,办公逸/客服部,王五\n\
             b4,周九,13800138106,办公逸/研发部,\n",
        )
        .await;
        let input = |report: &str| input_of(dir.path(), report);
        let (keep, forget) = (|_: &Outcome| false, |_: &Outcome| true);
        let trusting = check_listed(&ctx, &input("t.xlsx"), (true, true), forget).await;
        let wary = check_listed(&ctx, &input("w.xlsx"), (true, false), forget).await;
        let after = check_listed(&ctx, &input("a.xlsx"), (false, true), keep).await;
        assert_eq!((trusting.2, wary.2, after.2), (4, 1, 0));
        // The rows' issues (a row let go keeps no account), and the report.
        let issues_of = |c: &Checked| c.0.iter().map(|r| r.1.clone()).collect::<Vec<_>>();
        for checked in [&trusting, &wary] {
            assert_eq!(issues_of(checked), issues_of(&after));
            assert_eq!(checked.3, after.3, "the report's All sheet");
        }
        let issues = |account: &str| {
            let row = after.0.iter().find(|r| r.0 == account).unwrap();
            row.1.join(" ")
        };
        assert!(
            issues("b1").contains("按部门取 办公逸/研发部 的帐号 w1"),
            "{:?}",
            after.0
        );
        assert!(
            issues("b2").contains("本文件第 3 行的帐号 b1"),
            "{:?}",
            after.0
        );
        assert!(
            issues("b3").contains("按部门取 办公逸/客服部 的帐号 w2"),
            "{:?}",
            after.0
        );
        assert!(after.0.iter().all(|r| !r.1.join(" ").contains("错误")));
    }

    #[test]
    fn a_listing_shows_its_progress_only_once_waited_for() {
        let seen = Arc::new(Collect::default());
        let held = Held::new(seen.clone());
        held.phase(phases::LISTING, 0);
        held.event(progress(1000, 2500));
        held.warn("a department without a parent");
        held.event(progress(2000, 2500));
        // While the sheet is read: the warning only.
        assert_eq!(
            seen.events(),
            [Event::Warning {
                text: "a department without a parent".into(),
                remedy: None
            }]
        );
        held.show();
        held.event(progress(2500, 2500));
        // Then the phase and the latest progress, and from then on everything.
        assert_eq!(
            seen.events()[1..],
            [
                Event::Phase {
                    what: phases::LISTING.into(),
                    total: 0
                },
                progress(2000, 2500),
                progress(2500, 2500),
            ]
        );
    }
}
