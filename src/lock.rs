//! One sending run at a time: per input file, and per working directory (the folder of the
//! history store, which the web console's run store shares). Two imports of one file at once
//! would send every row twice and write over each other's journal; two consoles on one
//! directory would send the same checked sheet twice and record it twice. The second one
//! refuses instead (exit 2, or 409 in the console), naming whoever holds the lock.
//!
//! The locks are the operating system's (`flock`), on hidden files: they go with the process,
//! however that ends, so a killed run never leaves a stale lock behind. An input's lock file,
//! beside HR's own file, is removed when its run lets go of it (a killed run leaves the file,
//! not the lock).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;

use crate::text::Unwritten;

/// Held for as long as the run sends.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
    path: PathBuf,
}

/// The file goes while the lock is still held: a run waiting on it finds it gone once it has
/// the lock, and takes a new one ([`take`]).
impl Drop for RunLock {
    fn drop(&mut self) {
        // A file that cannot be removed (its folder made read-only meanwhile) stays, as every
        // one did before: the lock itself goes with the file handle all the same.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Another run holds the lock: who, as it wrote itself down.
#[derive(Debug, thiserror::Error)]
#[error("另一个 bgy 正在{what}发送数据 ({holder}); 等它结束后再运行 (another bgy run is sending {what_en}: {holder}; wait for it to finish; nothing was sent)")]
pub struct Locked {
    pub holder: String,
    what: String,
    what_en: String,
}

/// The lock file of a working directory's sending runs.
pub const DIRECTORY_LOCK: &str = "sending.lock";

/// How long a run waits for a lock that someone only looked at ([`directory_is_free`] holds
/// it for an instant) before it says who holds it.
const PATIENCE: Duration = Duration::from_millis(250);

/// `DIR/.NAME.bgy-lock` for `DIR/NAME`.
pub fn lock_path(input: &Path) -> PathBuf {
    let name = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "input".into());
    input.with_file_name(format!(".{name}.bgy-lock"))
}

/// Takes the lock of `input` for `bgy COMMAND`, or says who holds it.
pub fn lock(input: &Path, command: &str) -> anyhow::Result<RunLock> {
    let path = lock_path(input);
    let file = take(&path, &format!("bgy {command}"), Duration::ZERO).map_err(|e| {
        match e.downcast::<Held>() {
            Ok(Held(holder)) => Locked {
                holder,
                what: format!("用 {} ", input.display()),
                what_en: format!("from {}", input.display()),
            }
            .into(),
            Err(e) => e,
        }
    })?;
    Ok(RunLock { _file: file, path })
}

/// Held for as long as a run changes the directory of `dir`, whoever started it.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

/// Takes the working directory's sending lock (`DIR/sending.lock`, DIR the history store's
/// folder) for a run described as `what` (`bgy import by alice`), or says who holds it.
pub fn directory(dir: &Path, what: &str) -> anyhow::Result<DirLock> {
    std::fs::create_dir_all(dir).cannot_make_folder(dir)?;
    let file = take(&dir.join(DIRECTORY_LOCK), what, PATIENCE).map_err(|e| {
        match e.downcast::<Held>() {
            Ok(Held(holder)) => Locked {
                holder,
                what: format!("向同一通讯录(记录在 {})", dir.display()),
                what_en: format!("to the same directory (recorded in {})", dir.display()),
            }
            .into(),
            Err(e) => e,
        }
    })?;
    Ok(DirLock { _file: file })
}

/// No run changes the directory of `dir` now (so a run recorded as running there was killed).
/// It holds the lock for an instant; a run starting meanwhile waits for it ([`PATIENCE`]).
pub fn directory_is_free(dir: &Path) -> bool {
    let Ok(file) = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(dir.join(DIRECTORY_LOCK))
    else {
        return false;
    };
    file.try_lock().is_ok()
}

/// The lock was held: the holder's words.
#[derive(Debug, thiserror::Error)]
#[error("held by {0}")]
struct Held(String);

/// Takes the lock on `path`, trying again for `patience`, and writes down who holds it.
fn take(path: &Path, what: &str, patience: Duration) -> anyhow::Result<File> {
    let open = || {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .cannot_write(path)
    };
    let mut file = open()?;
    let deadline = std::time::Instant::now() + patience;
    loop {
        match file.try_lock() {
            // The holder before removed the file as it let go: the lock is on a file that is
            // gone, and the next run would make another.
            Ok(()) if !still_at(&file, path) => file = open()?,
            Ok(()) => break,
            Err(TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(25));
            }
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = match holder.trim() {
                    "" => "another process".to_string(),
                    h => h.to_string(),
                };
                return Err(Held(holder).into());
            }
            Err(TryLockError::Error(e)) => {
                return Err(e).with_context(|| {
                    let path = path.display();
                    format!("无法锁定 {path} (cannot lock {path})")
                })
            }
        }
    }
    let holder = format!(
        "process {} ({what}, started {})",
        std::process::id(),
        crate::model::now().format("%Y-%m-%d %H:%M:%S")
    );
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(holder.as_bytes())?;
    Ok(file)
}

/// `path` is still the file `file` has open.
fn still_at(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::metadata(path)) {
            (Ok(open), Ok(named)) => (open.dev(), open.ino()) == (named.dev(), named.ino()),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_one_input_is_refused_until_the_first_goes() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("staff.xlsx");
        let first = lock(&input, "import").unwrap();
        let e = lock(&input, "sync").unwrap_err().to_string();
        assert!(
            e.contains(&format!("process {} (bgy import", std::process::id())),
            "{e}"
        );
        drop(first);
        assert!(!lock_path(&input).exists(), "removed as the run let go");
        let second = lock(&input, "sync").unwrap();
        assert_eq!(lock_path(&input), dir.path().join(".staff.xlsx.bgy-lock"));
        assert!(lock_path(&input).exists());
        drop(second);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "nothing left beside it"
        );
    }

    /// A run that opened the lock file while another held it, and gets the lock after that
    /// one removed the file, takes a lock that the next run sees.
    #[test]
    fn a_lock_taken_on_a_removed_file_is_taken_again_on_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".staff.xlsx.bgy-lock");
        let first = lock(&dir.path().join("staff.xlsx"), "import").unwrap();
        let waiting = std::thread::spawn({
            let path = path.clone();
            move || take(&path, "bgy sync", Duration::from_secs(5)).unwrap()
        });
        std::thread::sleep(Duration::from_millis(100));
        drop(first);
        let second = waiting.join().unwrap();
        assert!(
            still_at(&second, &path),
            "the lock is on the file a run opens"
        );
        let e = lock(&dir.path().join("staff.xlsx"), "import").unwrap_err();
        assert!(e.to_string().contains("bgy sync"), "{e}");
    }

    #[test]
    fn one_run_changes_a_directory_and_a_look_does_not_take_it_away() {
        let dir = tempfile::tempdir().unwrap();
        assert!(directory_is_free(dir.path()));
        let first = directory(dir.path(), "bgy serve: import by alice").unwrap();
        assert!(!directory_is_free(dir.path()), "held");
        let e = directory(dir.path(), "bgy sync").unwrap_err();
        let locked = e.downcast_ref::<Locked>().expect("a Locked refusal");
        assert!(
            locked.holder.contains("import by alice"),
            "{}",
            locked.holder
        );
        drop(first);
        assert!(directory_is_free(dir.path()));
        // A look at the lock while a run starts costs the run a moment, not a refusal.
        let looking = std::thread::spawn({
            let dir = dir.path().to_path_buf();
            move || (0..200).for_each(|_| _ = directory_is_free(&dir))
        });
        directory(dir.path(), "bgy import").expect("waits out the looks");
        looking.join().unwrap();
    }
}
