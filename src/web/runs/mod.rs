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

use crate::events::{FailedHeader, FailedRow, PlanShown};
use crate::read::{self, Format};

mod info;
pub use info::{now, Command, RunInfo, Status};

pub const INFO: &str = "run.json";
pub const REPORT: &str = "report.xlsx";
const FAILED: &str = "failed.jsonl";
const PLAN: &str = "plan.json";
const LIVE: &str = "run.lock";
/// Freed when the disk fills, so that a run can still say how it ended.
const BALLAST: &str = ".reserve";
const BALLAST_BYTES: usize = 4 << 20;
/// How long a new folder may go without being held before it counts as nobody's.
const UNRECORDED_GRACE: Duration = Duration::from_secs(60);

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
    /// A new run's id and its folder, made and held (its `run.lock`) from the start: a
    /// folder without a record that nobody holds is nobody's (an upload cut off by a kill, a
    /// run refused before it began), and [`Store::prune`] takes it away.
    pub fn create(&self) -> std::io::Result<(String, PathBuf, Live)> {
        let id = new_id();
        let dir = self.data.join(&id);
        std::fs::create_dir_all(&dir)?;
        let live = self.live(&dir)?;
        Ok((id, dir, live))
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
        let mut removed = 0;
        for dir in self.unrecorded() {
            if std::fs::remove_dir_all(&dir).is_ok() {
                removed += 1;
            }
        }
        let mut total = self.size();
        // Oldest first.
        runs.reverse();
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

    /// Folders no run was recorded in (no `run.json`) that nobody holds: an upload cut off
    /// when the console was killed, a run refused or dropped before it began. Never pruned as
    /// runs, they stayed, counted against the store's cap, until someone removed them by hand.
    /// One made in the last minute is left, in case its maker has yet to hold it.
    fn unrecorded(&self) -> Vec<PathBuf> {
        let now = SystemTime::now();
        let young = |dir: &Path| {
            std::fs::metadata(dir)
                .and_then(|m| m.modified())
                .is_ok_and(|at| now.duration_since(at).unwrap_or_default() < UNRECORDED_GRACE)
        };
        std::fs::read_dir(&self.data)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_str().is_some_and(valid_id))
            .map(|e| e.path())
            .filter(|dir| dir.is_dir() && !dir.join(INFO).exists() && !young(dir))
            .filter(|dir| abandoned(dir))
            .collect()
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

    /// A store in `data` that keeps runs an hour, of any size.
    fn store_in(data: PathBuf) -> Store {
        Store {
            data,
            keep: Duration::from_secs(3600),
            max_bytes: u64::MAX,
        }
    }

    /// A folder whose run was never recorded goes once nobody holds it and it is past its
    /// first minute; a folder being filled (held), a run's, or a young one stays.
    #[test]
    fn a_folder_nobody_recorded_or_holds_is_pruned() {
        let data = tempfile::tempdir().unwrap();
        let store = store_in(data.path().to_path_buf());
        let aged = |dir: &Path| {
            let long_ago = SystemTime::now() - Duration::from_secs(600);
            File::open(dir).unwrap().set_modified(long_ago).unwrap();
        };
        // Cut off: an upload whose console was killed.
        let (_, cut, held) = store.create().unwrap();
        std::fs::write(cut.join("upload.part"), [0u8; 1000]).unwrap();
        drop(held);
        aged(&cut);
        // Being filled: its maker holds it.
        let (_, filling, _holding) = store.create().unwrap();
        aged(&filling);
        // Just made, not yet held.
        let (_, young, held) = store.create().unwrap();
        drop(held);
        // A run, finished.
        let (id, run, held) = store.create().unwrap();
        let mut info = RunInfo::new(&id, "hr", Command::Check, "a.csv", "");
        info.status = Status::Ok;
        save(&run, &info).unwrap();
        drop(held);
        aged(&run);

        assert_eq!(store.prune(None), 1);
        assert!(!cut.exists(), "the cut-off upload goes");
        assert!(filling.is_dir() && young.is_dir() && run.is_dir());
    }

    /// Past its cap, the store lets the oldest finished runs go, only as many as bring it
    /// under, never a running run nor the one that just ended; a run past its days goes
    /// whatever the store's size.
    #[test]
    fn the_oldest_finished_runs_go_until_the_store_is_under_its_cap() {
        let data = tempfile::tempdir().unwrap();
        let mut store = store_in(data.path().to_path_buf());
        let run = |n: u32, status: Status| {
            let id = format!("20260101-00000{n}-aaaaaa");
            let dir = data.path().join(&id);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(REPORT), vec![0u8; 10_000]).unwrap();
            let mut info = RunInfo::new(&id, "hr", Command::Check, "a.csv", "");
            info.status = status;
            save(&dir, &info).unwrap();
            dir
        };
        // Oldest to newest: a run still going (its lock held), the run that just ended,
        // two more finished runs.
        let running = run(1, Status::Running);
        let _live = store.live(&running).unwrap();
        let [ended, older, newer] = [2, 3, 4].map(|n| run(n, Status::Ok));
        // The disk's reserve (4 MB) is no run's.
        store.reserve();
        assert!(store.size() < 50_000, "{}", store.size());
        store.max_bytes = store.size() - 5_000;
        assert_eq!(store.prune(ended.file_name().unwrap().to_str()), 1);
        assert!(!older.exists(), "the oldest it may let go");
        assert!(running.is_dir() && ended.is_dir() && newer.is_dir());
        assert!(!store.full());
        // Past its days, a run goes however small the store is.
        store.max_bytes = u64::MAX;
        let long_ago = SystemTime::now() - Duration::from_secs(7200);
        File::open(newer.join(INFO))
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
        assert_eq!(store.prune(None), 1);
        assert!(!newer.exists() && ended.is_dir() && running.is_dir());
    }

    /// The reserve holds real blocks of the disk, is given back whole for a run on a full
    /// disk to write its end, and is made again for the next run.
    #[test]
    fn the_reserve_holds_real_space_and_is_given_back_and_made_again() {
        use std::os::unix::fs::MetadataExt;
        let data = tempfile::tempdir().unwrap();
        let store = store_in(data.path().to_path_buf());
        let ballast = data.path().join(BALLAST);
        let held = || std::fs::metadata(&ballast).map_or(0, |m| m.blocks() * 512);
        store.reserve();
        // Megabytes: room for a run's record and its plan on a disk otherwise full.
        assert!(held() >= 1 << 20, "{} bytes held", held());
        store.release_reserve();
        assert!(!ballast.exists(), "given back");
        store.reserve();
        assert!(held() >= 1 << 20, "made again");
    }

    /// A run's backup is its `.backup-` workbook: never its report, its input or its output,
    /// which are workbooks too.
    #[test]
    fn a_run_s_backup_is_its_backup_workbook_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        for name in [REPORT, "input.xlsx", "staff.backup-20261207.csv"] {
            std::fs::write(dir.path().join(name), [1u8; 200]).unwrap();
        }
        assert_eq!(backup(dir.path()), None);
        let kept = dir.path().join("staff.backup-20261207-101500.xlsx");
        std::fs::write(&kept, [1u8; 200]).unwrap();
        assert_eq!(backup(dir.path()), Some(kept));
    }

    /// A run whose worker ended but whose end could not be written (`run.json` still says
    /// running) must not stay running: once nobody holds its lock, the next look settles it.
    #[test]
    fn a_run_whose_end_was_not_recorded_is_settled_as_interrupted() {
        let data = tempfile::tempdir().unwrap();
        let store = store_in(data.path().to_path_buf());
        let (id, dir, worker) = store.create().unwrap();
        save(
            &dir,
            &RunInfo::new(&id, "hr", Command::Import, "staff.xlsx", ""),
        )
        .unwrap();

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

    /// A file a full disk cut short to nothing (a report begun, never written) is not offered
    /// for download; nor is a folder, nor a file not there.
    #[test]
    fn only_a_file_with_something_in_it_is_served() {
        let dir = tempfile::tempdir().unwrap();
        let (empty, full) = (dir.path().join("empty.xlsx"), dir.path().join("full.xlsx"));
        std::fs::write(&empty, b"").unwrap();
        std::fs::write(&full, b"PK").unwrap();
        assert!(servable(&full));
        assert!(!servable(&empty));
        assert!(!servable(dir.path()));
        assert!(!servable(&dir.path().join("missing.xlsx")));
    }

    /// A run id comes from the address (`/runs/{id}/…`, percent-decoded): one that walks out
    /// of the store, or names a folder by its full path, names no run, even where that folder
    /// holds a `run.json` (another console's store on the same machine, its reports and bank
    /// cards).
    #[test]
    fn a_run_id_never_leaves_the_store() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("runs");
        let other = root.path().join("other").join("20261206-101010-abcdef");
        for dir in [&data, &other] {
            std::fs::create_dir_all(dir).unwrap();
        }
        save(
            &other,
            &RunInfo::new(
                "20261206-101010-abcdef",
                "hr",
                Command::Import,
                "a.xlsx",
                "",
            ),
        )
        .unwrap();
        let store = store_in(data);
        let (id, _, _) = store.create().unwrap();
        assert!(valid_id(&id), "{id}");
        let outside = other.to_str().unwrap();
        for id in [
            "../other/20261206-101010-abcdef",
            "..\\other",
            outside,
            "..",
            "",
            "a.b",
            &"a".repeat(41),
        ] {
            assert!(!valid_id(id), "{id:?}");
            assert!(store.dir(id).is_none(), "{id:?}");
        }
        assert!(load(&other).is_some(), "the folder outside is a run");
    }
}
