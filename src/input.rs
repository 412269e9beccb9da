//! The sheet a command reads and where its report goes: what the front-ends (the command
//! line's `Config`, the console, the schedule) hand a run, and all a run needs to know of them.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

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

/// A file's bytes as read, handed to the run that reads them (their `Debug` is their length,
/// not their content). Clones hold the same bytes, and [`Bytes::let_go`] lets them go for
/// every clone: a sync sends for minutes after it read the last of them, and a 100,000-row
/// sheet is ~13 MB.
#[derive(Clone)]
pub struct Bytes(Arc<Mutex<Option<Arc<[u8]>>>>);

impl Bytes {
    pub fn new(bytes: Arc<[u8]>) -> Bytes {
        Bytes(Arc::new(Mutex::new(Some(bytes))))
    }

    /// The bytes, unless they were let go.
    pub fn get(&self) -> Option<Arc<[u8]>> {
        self.slot().clone()
    }

    /// Lets the bytes go: the run has read all it reads of them.
    pub fn let_go(&self) {
        self.slot().take();
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Arc<[u8]>>> {
        // Only ever set or taken whole: a panic elsewhere cannot leave it half-changed.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.get() {
            Some(bytes) => write!(f, "Bytes({} bytes)", bytes.len()),
            None => write!(f, "Bytes(let go)"),
        }
    }
}

impl Input {
    /// The file as a person knows it: its uploaded name, or its path.
    pub fn name(&self) -> String {
        self.shown
            .clone()
            .unwrap_or_else(|| self.file.display().to_string())
    }

    /// The bytes the front-end read, unless the run let them go.
    pub fn held_bytes(&self) -> Option<Arc<[u8]>> {
        self.bytes.as_ref().and_then(Bytes::get)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_let_go_are_let_go_for_every_clone() {
        let read: Arc<[u8]> = b"PK\x03\x04".as_slice().into();
        let mut input = Input::file("staff.xlsx".into());
        input.bytes = Some(Bytes::new(Arc::clone(&read)));
        let copy = input.clone();
        assert_eq!(copy.held_bytes().as_deref(), Some(&read[..]));
        copy.bytes.as_ref().map(Bytes::let_go);
        assert_eq!(input.held_bytes(), None);
        assert_eq!(Arc::strong_count(&read), 1, "no clone holds them any more");
        assert_eq!(format!("{:?}", input.bytes), "Some(Bytes(let go))");
    }
}
