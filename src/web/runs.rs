//! The run store: one folder a run under `--data`, holding its input, report, journal and
//! backup, `run.json` (when, who, command, file, counts, status), and what its page shows as
//! data: the failed rows (`failed.jsonl`) and the plan (`plan.json`), so no page reads a
//! workbook. Paths come from run ids this module made and checks, never from a name a browser
//! sent.
//!
//! A run being carried out holds `run.lock` in its folder (an OS lock): a run recorded as
//! running whose lock is free was killed, and [`Store::settle`] says so.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::events::{FailedHeader, FailedRow, PlanShown};
use crate::model::Layout;
use crate::outcome::Counts;
use crate::read::{self, Format};

pub const INFO: &str = "run.json";
pub const REPORT: &str = "report.xlsx";
const FAILED: &str = "failed.jsonl";
const PLAN: &str = "plan.json";
const LIVE: &str = "run.lock";
/// Freed when the disk fills, so that a run can still say how it ended.
const BALLAST: &str = ".reserve";
const BALLAST_BYTES: usize = 4 << 20;

/// What a run does, as the console starts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Command {
    Check,
    Import,
    Plan,
    Sync,
    Times,
    Delete,
    Leave,
    Export,
    UndoPlan,
    Undo,
}

impl Command {
    /// It changes the directory (and holds the directory's sending lock while it runs).
    pub fn sends(self) -> bool {
        matches!(
            self,
            Command::Import
                | Command::Sync
                | Command::Times
                | Command::Delete
                | Command::Leave
                | Command::Undo
        )
    }

    /// Its `bgy` command's name.
    pub fn name(self) -> &'static str {
        match self {
            Command::Check => "check",
            Command::Import => "import",
            Command::Plan => "plan",
            Command::Sync => "sync",
            Command::Times => "times",
            Command::Delete => "delete",
            Command::Leave => "leave",
            Command::Export => "export",
            Command::UndoPlan => "undo-plan",
            Command::Undo => "undo",
        }
    }
}

/// How a run stands. `data-status` on its page is this, whatever the language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Running,
    Ok,
    #[serde(alias = "rows failed")]
    RowsFailed,
    /// Stopped by a fatal API condition.
    Fatal,
    /// Cut off: the console was killed while it ran (a console shut down stops its runs
    /// first), or could not record how the run ended.
    Interrupted,
    /// A person pressed Stop.
    Stopped,
    /// An unattended run past its limits, waiting for a person.
    Pending,
    /// It could not go on: a full disk, an unreadable sheet, another run holding the lock.
    #[serde(alias = "error")]
    Failed,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Ok => "ok",
            Status::RowsFailed => "rows-failed",
            Status::Fatal => "fatal",
            Status::Interrupted => "interrupted",
            Status::Stopped => "stopped",
            Status::Pending => "pending",
            Status::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunInfo {
    pub id: String,
    pub started: String,
    #[serde(default)]
    pub finished: Option<String>,
    pub who: String,
    pub command: Command,
    /// The uploaded file's name, as the person knows it (shown, never used as a path).
    pub file: String,
    /// The input's name in the run's folder.
    pub input: String,
    pub status: Status,
    /// The run's counts (`--json`'s).
    #[serde(default, alias = "summary")]
    pub counts: Option<Counts>,
    /// Why it failed or stopped, in a sentence.
    #[serde(default)]
    pub error: Option<String>,
    /// Who pressed Stop.
    #[serde(default)]
    pub stopped_by: Option<String>,
    #[serde(default)]
    pub warnings: Vec<String>,
    #[serde(default)]
    pub notes: Vec<String>,
    /// Warnings on rows (the sheet-level ones are `warnings`).
    #[serde(default)]
    pub row_warnings: u64,
    /// Rows in `failed.jsonl`.
    #[serde(default)]
    pub failed_rows: usize,
    /// The run this one took its input from (an import from a check).
    #[serde(default)]
    pub from: Option<String>,
    /// An import's options, to resume it with the same ones.
    #[serde(default)]
    pub overwrite: bool,
    #[serde(default)]
    pub create_departments: bool,
    /// A file the run made (an export), in its folder.
    #[serde(default)]
    pub output: Option<String>,
    /// A plan or sync that deletes the accounts the sheet does not name.
    #[serde(default)]
    pub prune: bool,
    /// With `prune`: mark them as leavers (已离职) instead of deleting them.
    #[serde(default)]
    pub leave: bool,
    /// An undo's run in the history.
    #[serde(default)]
    pub undoes: Option<i64>,
    /// The run's own record in the history, when it changed the directory.
    #[serde(default)]
    pub history_run: Option<i64>,
    /// The sheet's layout.
    #[serde(default = "staff")]
    pub kind: Layout,
    /// A check of a sheet whose kind the person did not choose: it is read as its header says
    /// (staff, dates or leavers, never accounts to delete), `kind` then what it said.
    #[serde(default)]
    pub by_header: bool,
    /// What the run said could be done (the page offers the controls for them).
    #[serde(default)]
    pub remedies: Vec<crate::remedy::Remedy>,
    /// Why rows failed or were warned about, most frequent first.
    #[serde(default)]
    pub reasons: Vec<crate::outcome::Reason>,
    /// The sheet's header, when it had columns bgy did not know (or no 帐号): the page lets
    /// the person choose them.
    #[serde(default)]
    pub columns: Option<crate::read::header::ColumnsSeen>,
    /// The columns the person chose for this run: header → the column's label, or `-`.
    #[serde(default)]
    pub mapping: Vec<(String, String)>,
    /// A check online: valid rows whose account the directory already has (of a sheet of
    /// dates, deletes or leavers: the people, a row written twice counted once).
    #[serde(default)]
    pub existing: Option<usize>,
    /// A check online of dates, deletes or leavers: the accounts the directory lacked.
    #[serde(default)]
    pub not_found: Option<usize>,
    /// A check online: the people the directory held.
    #[serde(default)]
    pub directory: Option<usize>,
    /// The workbook's sheet the person chose to read (none: the first visible one).
    #[serde(default)]
    pub sheet: Option<String>,
    /// It stopped at the header, which lacks a column it needs (帐号): the page asks which
    /// of the sheet's columns is which.
    #[serde(default)]
    pub missing_column: bool,
}

fn staff() -> Layout {
    Layout::Staff
}

pub fn now() -> String {
    crate::model::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

impl RunInfo {
    /// What the run was given, in the page's language: the file's name, or for an export the
    /// department, the whole directory being 全部 / everyone (stored as nothing; a run stored
    /// before that says "全部 everyone").
    pub fn shown(&self) -> String {
        if self.command == Command::Export && matches!(self.file.as_str(), "" | "全部 everyone") {
            return crate::web::i18n::tr("全部", "everyone");
        }
        self.file.clone()
    }

    /// What the runs list counts of a run: its rows, but an undo's people, as its page and the
    /// command line count them (its deletes are no rows of the sheet it sends).
    pub fn total(&self, c: &Counts) -> usize {
        match self.command {
            Command::Undo => c.total + c.deleted,
            _ => c.total,
        }
    }

    /// A check that stopped to ask what the sheet's columns are (no 帐号 column, and columns
    /// bgy does not know, one of which may be it): its status is `failed`, and what the person
    /// reads is that columns are to be chosen, not that something went wrong.
    pub fn asks_columns(&self) -> bool {
        self.status == Status::Failed
            && self.missing_column
            && self.columns.as_ref().is_some_and(|c| c.questions() > 0)
    }

    /// The people a checked sheet of dates or accounts to delete would change: its valid rows
    /// whose account the directory had, when the check was online; else each valid row, at
    /// most.
    pub fn in_directory(&self) -> usize {
        self.existing.unwrap_or(self.count(|c| c.ok))
    }

    /// A new run of `command` by `who` on `file` (stored as `input`).
    pub fn new(id: &str, who: &str, command: Command, file: &str, input: &str) -> RunInfo {
        RunInfo {
            id: id.to_string(),
            started: now(),
            finished: None,
            who: who.to_string(),
            command,
            file: file.chars().take(200).collect(),
            input: input.to_string(),
            status: Status::Running,
            counts: None,
            error: None,
            stopped_by: None,
            warnings: vec![],
            notes: vec![],
            row_warnings: 0,
            failed_rows: 0,
            from: None,
            overwrite: false,
            create_departments: false,
            output: None,
            prune: false,
            leave: false,
            undoes: None,
            history_run: None,
            kind: Layout::Staff,
            by_header: false,
            remedies: Vec::new(),
            reasons: Vec::new(),
            columns: None,
            mapping: Vec::new(),
            existing: None,
            not_found: None,
            directory: None,
            sheet: None,
            missing_column: false,
        }
    }

    /// A run of the same sheet (its name, input, sheet, kind and prune) by `who`, from this one.
    pub fn next(&self, id: &str, who: &str, command: Command) -> RunInfo {
        RunInfo {
            from: Some(self.id.clone()),
            kind: self.kind,
            prune: self.prune,
            leave: self.leave,
            create_departments: self.create_departments,
            mapping: self.mapping.clone(),
            sheet: self.sheet.clone(),
            ..RunInfo::new(id, who, command, &self.file, &self.input)
        }
    }

    /// The other sheet with a header row the run named (its first sheet had none, or it read
    /// one of several), which the page offers to read instead.
    pub fn other_sheet(&self) -> Option<&str> {
        self.remedies.iter().find_map(|r| match r {
            crate::remedy::Remedy::ChooseSheet { sheet } => sheet.as_deref(),
            _ => None,
        })
    }

    /// The kind of sheet a check read as staff seemed to be instead (a sheet of dates, a
    /// 离职名单), which the page offers to check it as.
    pub fn other_kind(&self) -> Option<Layout> {
        self.remedies.iter().find_map(|r| match r {
            crate::remedy::Remedy::ChooseKind { kind } => *kind,
            _ => None,
        })
    }

    pub fn count(&self, pick: impl Fn(&Counts) -> usize) -> usize {
        self.counts.as_ref().map_or(0, pick)
    }
}

/// A run id: the time it started and a random suffix; nothing else passes.
pub fn valid_id(id: &str) -> bool {
    id.len() <= 40 && !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn new_id() -> String {
    let suffix: [u8; 3] = rand::random();
    format!(
        "{}-{}",
        crate::model::now().format("%Y%m%d-%H%M%S"),
        suffix
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

/// The input's name in the store: `input.` and its format's extension, whatever it was called.
pub fn input_name(uploaded: &str, first_bytes: &[u8]) -> String {
    let lower = uploaded.to_lowercase();
    let named = ["xlsx", "xlsm", "xlsb", "xls", "ods", "csv"]
        .into_iter()
        .find(|e| lower.ends_with(&format!(".{e}")));
    let ext = named.unwrap_or(match read::sniff(first_bytes) {
        Some(Format::Xlsx) => "xlsx",
        Some(Format::Xlsb) => "xlsb",
        Some(Format::Xls) => "xls",
        Some(Format::Ods) => "ods",
        _ => "csv",
    });
    format!("input.{ext}")
}

/// The run store's folder, and what it keeps.
pub struct Store {
    pub data: PathBuf,
    /// Finished runs older than this are removed.
    pub keep: Duration,
    /// The store's size past which the oldest finished runs are removed.
    pub max_bytes: u64,
}

/// A run being carried out: its folder's `run.lock`, held until it is dropped.
pub struct Live {
    _file: File,
}

impl Store {
    /// A new run's id and its folder, made.
    pub fn create(&self) -> std::io::Result<(String, PathBuf)> {
        let id = new_id();
        let dir = self.data.join(&id);
        std::fs::create_dir_all(&dir)?;
        Ok((id, dir))
    }

    /// The folder of run `id`, when there is such a run.
    pub fn dir(&self, id: &str) -> Option<PathBuf> {
        let d = self.data.join(id);
        (valid_id(id) && d.join(INFO).is_file()).then_some(d)
    }

    /// Run `id` as recorded, and its folder.
    pub fn get(&self, id: &str) -> Option<(RunInfo, PathBuf)> {
        let dir = self.dir(id)?;
        Some((load(&dir)?, dir))
    }

    /// At most `n` runs, newest first, older than run `before` when given; and the last of
    /// them when there are older ones still. Only those runs are read: a store of thousands
    /// of runs made a page of them all, read from disk on each view.
    pub fn page(&self, before: Option<&str>, n: usize) -> (Vec<RunInfo>, Option<String>) {
        let mut ids: Vec<String> = std::fs::read_dir(&self.data)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|id| valid_id(id) && before.is_none_or(|b| id.as_str() < b))
            .collect();
        ids.sort_unstable_by(|a, b| b.cmp(a));
        let mut ids = ids.into_iter();
        let runs: Vec<RunInfo> = ids
            .by_ref()
            .filter_map(|id| load(&self.data.join(id)))
            .take(n)
            .collect();
        let older = ids.next().and(runs.last().map(|r| r.id.clone()));
        (runs, older)
    }

    /// Every run, newest first.
    pub fn list(&self) -> Vec<RunInfo> {
        self.page(None, usize::MAX).0
    }

    /// Marks a run as carried out by this process, for as long as the guard lives.
    pub fn live(&self, dir: &Path) -> std::io::Result<Live> {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(dir.join(LIVE))?;
        file.try_lock().map_err(std::io::Error::other)?;
        Ok(Live { _file: file })
    }

    /// Runs recorded as running that no process carries out any more (killed, or the
    /// machine went down) become interrupted; how many.
    pub fn settle(&self, runs: &mut [RunInfo]) -> usize {
        let mut settled = 0;
        for info in runs.iter_mut().filter(|r| r.status == Status::Running) {
            let dir = self.data.join(&info.id);
            if !abandoned(&dir) {
                continue;
            }
            info.status = Status::Interrupted;
            info.finished.get_or_insert_with(now);
            info.error = Some(
                "运行中途被终止 (控制台被强行结束、机器宕机,或没能记下运行的结果);日志中已完成的行不会再发送 (cut off: the console was killed, the machine went down, or the run's end could not be recorded; what the journal says was done is not sent again)"
                    .into(),
            );
            if save(&dir, info).is_ok() {
                settled += 1;
            }
        }
        settled
    }

    /// An interrupted run's run in the history, found by its journal (a killed console never
    /// said it), kept with the run: its page links to it, to be seen and undone.
    pub fn link_history(&self, info: &mut RunInfo, history: &crate::history::History) {
        if info.status != Status::Interrupted || info.history_run.is_some() {
            return;
        }
        let dir = self.data.join(&info.id);
        let journal = crate::report::journal_path(&dir.join(REPORT));
        if let Some(run) = history.run_of_journal(&journal) {
            info.history_run = Some(run);
            // Not kept if the record cannot be written: the next start finds the link again,
            // as `settle` does a status it could not save.
            let _ = save(&dir, info);
        }
    }

    /// Removes finished runs older than the store's `keep`, then the oldest finished runs while
    /// the store is larger than `max_bytes`, except run `keep` (the one that just ended: its
    /// person is about to open it). Runs in progress are never removed. How many went.
    pub fn prune(&self, keep: Option<&str>) -> usize {
        let now = SystemTime::now();
        let mut runs: Vec<(RunInfo, PathBuf, u64, SystemTime)> = self
            .list()
            .into_iter()
            .filter(|r| r.status != Status::Running)
            .map(|r| {
                let dir = self.data.join(&r.id);
                let size = folder_size(&dir);
                let at = std::fs::metadata(dir.join(INFO))
                    .and_then(|m| m.modified())
                    .unwrap_or(now);
                (r, dir, size, at)
            })
            .collect();
        let mut total = self.size();
        // Oldest first.
        runs.reverse();
        let mut removed = 0;
        for (info, dir, size, at) in runs {
            let old = now.duration_since(at).unwrap_or_default() > self.keep;
            let over = total > self.max_bytes && Some(info.id.as_str()) != keep;
            if (old || over) && std::fs::remove_dir_all(&dir).is_ok() {
                total = total.saturating_sub(size);
                removed += 1;
            }
        }
        removed
    }

    /// The store is past its size cap.
    pub fn full(&self) -> bool {
        self.size() > self.max_bytes
    }

    /// What the runs take on disk (the reserve is not theirs).
    fn size(&self) -> u64 {
        let reserve = std::fs::metadata(self.data.join(BALLAST)).map_or(0, |m| m.len());
        folder_size(&self.data).saturating_sub(reserve)
    }

    /// Keeps a few megabytes in reserve on the store's disk.
    pub fn reserve(&self) {
        let path = self.data.join(BALLAST);
        if std::fs::metadata(&path).is_ok_and(|m| m.len() as usize >= BALLAST_BYTES) {
            return;
        }
        // Real bytes: a file only extended with set_len holds no space.
        let written = File::create(&path).and_then(|mut f| f.write_all(&[0u8; BALLAST_BYTES]));
        if written.is_err() {
            let _ = std::fs::remove_file(&path);
        }
    }

    /// Gives the reserve back to the disk, so that a run on a full disk can say how it ended.
    pub fn release_reserve(&self) {
        let _ = std::fs::remove_file(self.data.join(BALLAST));
    }
}

/// A run's folder whose `run.lock` nobody holds.
fn abandoned(dir: &Path) -> bool {
    match OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(dir.join(LIVE))
    {
        Ok(f) => f.try_lock().is_ok(),
        Err(_) => false,
    }
}

fn folder_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => folder_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Writes `run.json` whole, or leaves the one before.
pub fn save(dir: &Path, info: &RunInfo) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(info).map_err(std::io::Error::other)?;
    let tmp = dir.join(format!("{INFO}.tmp"));
    let written = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, dir.join(INFO)));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

pub fn load(dir: &Path) -> Option<RunInfo> {
    serde_json::from_str(&std::fs::read_to_string(dir.join(INFO)).ok()?).ok()
}

/// A file of the run's that a person may download: there, and not empty (a file cut short
/// by a full disk is never served).
pub fn servable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() > 0)
}

/// The failed rows as they come, one JSON line each after the header's.
pub struct FailedWriter {
    out: std::io::BufWriter<File>,
    pub rows: usize,
}

impl FailedWriter {
    pub fn create(dir: &Path, header: &FailedHeader) -> std::io::Result<FailedWriter> {
        let mut out = std::io::BufWriter::new(File::create(dir.join(FAILED))?);
        serde_json::to_writer(&mut out, header)?;
        out.write_all(b"\n")?;
        Ok(FailedWriter { out, rows: 0 })
    }

    pub fn push(&mut self, row: &FailedRow) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.out, row)?;
        self.out.write_all(b"\n")?;
        self.rows += 1;
        Ok(())
    }

    pub fn finish(mut self) -> std::io::Result<usize> {
        self.out.flush()?;
        Ok(self.rows)
    }
}

/// The failed rows' header and the rows `skip..skip + take`.
pub fn failed(dir: &Path, skip: usize, take: usize) -> Option<(FailedHeader, Vec<FailedRow>)> {
    let mut lines = BufReader::new(File::open(dir.join(FAILED)).ok()?).lines();
    let header: FailedHeader = serde_json::from_str(&lines.next()?.ok()?).ok()?;
    let rows = lines
        .skip(skip)
        .take(take)
        .map_while(|l| serde_json::from_str(&l.ok()?).ok())
        .collect();
    Some((header, rows))
}

pub fn save_plan(dir: &Path, plan: &PlanShown) -> std::io::Result<()> {
    std::fs::write(
        dir.join(PLAN),
        serde_json::to_vec(plan).map_err(std::io::Error::other)?,
    )
}

pub fn plan(dir: &Path) -> Option<PlanShown> {
    serde_json::from_slice(&std::fs::read(dir.join(PLAN)).ok()?).ok()
}

/// The backup a delete, a prune or an undo wrote in the run's folder, if any.
pub fn backup(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.contains(".backup-") && n.ends_with(".xlsx"))
        })
        .filter(|p| servable(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only a check stopped at its header asks for its columns; a run that failed for another
    /// reason, though its sheet had a column bgy does not know, failed.
    #[test]
    fn only_a_run_stopped_at_its_header_asks_which_columns() {
        let mut info = RunInfo::new("r1", "hr", Command::Check, "花名册.xlsx", "input.xlsx");
        info.status = Status::Failed;
        info.columns = Some(crate::read::header::ColumnsSeen {
            row: 1,
            columns: vec![crate::read::header::SeenColumn {
                title: "工号".into(),
                field: None,
                unknown: true,
                guess: Some("we_userid".into()),
                ignored: false,
                unused: false,
            }],
        });
        assert!(!info.asks_columns(), "failed for another reason");
        info.missing_column = true;
        assert!(info.asks_columns());
        info.status = Status::RowsFailed;
        assert!(!info.asks_columns(), "it ran");
    }

    /// A run whose worker ended but whose end could not be written (`run.json` still says
    /// running) must not stay running: once nobody holds its lock, the next look settles it.
    #[test]
    fn a_run_whose_end_was_not_recorded_is_settled_as_interrupted() {
        let data = tempfile::tempdir().unwrap();
        let store = Store {
            data: data.path().to_path_buf(),
            keep: Duration::from_secs(3600),
            max_bytes: u64::MAX,
        };
        let (id, dir) = store.create().unwrap();
        save(
            &dir,
            &RunInfo::new(&id, "hr", Command::Import, "staff.xlsx", ""),
        )
        .unwrap();

        let worker = store.live(&dir).unwrap();
        let mut runs = store.list();
        assert_eq!(
            store.settle(&mut runs),
            0,
            "a run carried out is left running"
        );
        assert_eq!(load(&dir).unwrap().status, Status::Running);

        // The worker ends without writing its end (a full disk), and lets its lock go.
        drop(worker);
        let mut runs = store.list();
        assert_eq!(store.settle(&mut runs), 1);
        assert_eq!(runs[0].status, Status::Interrupted);
        let kept = load(&dir).unwrap();
        assert_eq!(kept.status, Status::Interrupted);
        assert!(kept.finished.is_some());
        assert!(kept.error.unwrap().contains("could not be recorded"));
    }
}
