//! The sheet a command reads and where its report goes: what the front-ends (the command
//! line's `Config`, the console, the schedule) hand a run, and all a run needs to know of them.

use std::path::PathBuf;

use crate::read::header::Names;

/// The sheet a command reads, and where its report goes.
#[derive(Debug, Clone)]
pub struct Input {
    pub file: PathBuf,
    /// This sheet instead of the first visible one.
    pub sheet: Option<String>,
    /// The report's path instead of `NAME.report-….xlsx` beside the input.
    pub report: Option<PathBuf>,
    /// Column names given with `--map` (over `bgy.toml`'s, which a run adds when it reads).
    pub columns: Names,
    /// The name a person knows the file by, when it is stored under another (the web
    /// console's uploads): reports and the history show it.
    pub shown: Option<String>,
    /// Where reports go instead of beside the input (`--report-dir`, `bgy.toml`'s `report_dir`).
    pub report_dir: Option<PathBuf>,
    /// `check --no-report`: a quick look, no workbook written.
    pub no_report: bool,
    /// The file's bytes, when the front-end read them already (the schedule, to hash them):
    /// the run reads these, the very bytes that were hashed, not the file a second time.
    pub bytes: Option<Bytes>,
}

/// A file's bytes as read (their `Debug` is their length, not their content).
#[derive(Clone)]
pub struct Bytes(pub std::sync::Arc<[u8]>);

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bytes({} bytes)", self.0.len())
    }
}

impl Input {
    /// The file as a person knows it: its uploaded name, or its path.
    pub fn name(&self) -> String {
        self.shown
            .clone()
            .unwrap_or_else(|| self.file.display().to_string())
    }

    /// Just a file, as the web console and `bgy undo` make one.
    pub fn file(file: PathBuf) -> Input {
        Input {
            file,
            sheet: None,
            report: None,
            columns: Names::default(),
            shown: None,
            report_dir: None,
            no_report: false,
            bytes: None,
        }
    }
}
