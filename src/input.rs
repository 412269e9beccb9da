//! The sheet a command reads and where its report goes: what the front-ends (the command
//! line's `Config`, the console, the schedule) hand a run, and all a run needs to know of them.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

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
    /// Why `bgy.toml` could not be read when the console started the run: the run goes on
    /// without its `[columns]`, and says so.
    pub unread_settings: Option<String>,
    /// Read without a layout, a sheet whose header says accounts to delete (帐号 and 姓名, no
    /// more) is read as staff: the console, whose page offers what its check read, and where
    /// deleting people is chosen, never guessed.
    pub never_guess_delete: bool,
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

/// A run's input once its rows are read: its hash, and its bytes in a file of their own,
/// which the system deletes when the run ends; not in memory (a 100,000-row CSV is ~13 MB,
/// held to the end of a sync before). The cells of rows let go are read again from that
/// copy, not from the input, which may have been saved again since.
pub enum Kept {
    /// Rows made in memory (an undo's): nothing was read.
    Nothing,
    /// Being hashed and copied on a thread of its own.
    Keeping(JoinHandle<Copied>),
    Kept(Copied),
}

/// A run's input as it read it, hashed.
pub struct Copied {
    /// The bytes' sha256, for the history.
    pub hash: String,
    /// The copy; the bytes themselves when no file could be had for it.
    bytes: Result<std::fs::File, Arc<[u8]>>,
}

impl Kept {
    /// `bytes` hashed and copied on a thread of their own, which lets them go when it is done
    /// (here, were no thread to be had). Empty bytes: nothing was read.
    pub fn of(bytes: Arc<[u8]>) -> Kept {
        if bytes.is_empty() {
            return Kept::Nothing;
        }
        let here = Arc::clone(&bytes);
        match std::thread::Builder::new().spawn(move || Copied::of(bytes)) {
            Ok(thread) => Kept::Keeping(thread),
            Err(_) => Kept::Kept(Copied::of(here)),
        }
    }

    /// The hash and the copy, waiting for them if they are still being made; `None` when
    /// nothing was read.
    pub fn get(&mut self) -> Option<&Copied> {
        *self = match std::mem::replace(self, Kept::Nothing) {
            // Hashing and copying do not panic; were the thread lost, nothing is kept.
            Kept::Keeping(thread) => thread.join().map_or(Kept::Nothing, Kept::Kept),
            kept => kept,
        };
        match self {
            Kept::Kept(copy) => Some(copy),
            _ => None,
        }
    }
}

impl Copied {
    fn of(bytes: Arc<[u8]>) -> Copied {
        let hash = crate::history::sha256(&bytes);
        let file = tempfile::tempfile().and_then(|mut f| f.write_all(&bytes).map(|()| f));
        Copied {
            hash,
            bytes: file.map_err(|_| bytes),
        }
    }

    /// The bytes as they were read: refused if the copy no longer holds them.
    pub fn bytes(&self) -> std::io::Result<Arc<[u8]>> {
        let file = match &self.bytes {
            Ok(file) => file,
            Err(bytes) => return Ok(Arc::clone(bytes)),
        };
        let mut read = Vec::new();
        let mut file = file;
        file.seek(SeekFrom::Start(0))?;
        file.read_to_end(&mut read)?;
        match crate::history::sha256(&read) == self.hash {
            true => Ok(read.into()),
            false => Err(std::io::Error::other(
                "输入的副本已被改动 (the run's copy of its input was changed)",
            )),
        }
    }
}

/// What a sheet piped in (`FILE` given as `-`) is called: in messages, the report's and the
/// journal's names (`stdin.report-….xlsx`, in the working folder unless told where), the
/// history.
pub const PIPED: &str = "stdin";

impl Input {
    /// `FILE` given as `-`: the sheet is piped in, and read here, whole, once (the run reads
    /// these bytes, never a file of that name). A terminal is refused rather than waited on.
    pub fn read_piped(&mut self) -> anyhow::Result<()> {
        if self.file.as_os_str() != "-" {
            return Ok(());
        }
        anyhow::ensure!(
            !std::io::IsTerminal::is_terminal(&std::io::stdin()),
            "文件名为 - 时从标准输入读取表格,但没有内容通过管道传入 (FILE - reads the sheet from standard input, and nothing is piped in: bgy sync - --yes < hr.xlsx)"
        );
        let bytes = crate::read::read_stdin(PIPED)?;
        self.bytes = Some(Bytes::new(bytes.into()));
        self.file = PathBuf::from(PIPED);
        Ok(())
    }

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
            unread_settings: None,
            never_guess_delete: false,
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

    #[test]
    fn the_input_kept_is_a_hashed_copy_out_of_memory_that_refuses_to_be_other_bytes() {
        assert!(
            Kept::of(Arc::from(&b""[..])).get().is_none(),
            "nothing read"
        );
        let read: Arc<[u8]> = "帐号,姓名\nzs,张三\n".as_bytes().into();
        let mut kept = Kept::of(Arc::clone(&read));
        let copy = kept.get().expect("kept");
        assert_eq!(copy.hash, crate::history::sha256(&read));
        assert_eq!(Arc::strong_count(&read), 1, "the copy is not these bytes");
        assert_eq!(copy.bytes().unwrap()[..], read[..]);
        assert_eq!(
            copy.bytes().unwrap()[..],
            read[..],
            "read again as often as asked"
        );
        let Ok(mut file) = copy.bytes.as_ref() else {
            panic!("a file for the copy");
        };
        file.seek(SeekFrom::Start(0)).unwrap();
        file.write_all(b"x").unwrap();
        let e = copy.bytes().unwrap_err();
        assert!(e.to_string().contains("was changed"), "{e}");
    }
}
