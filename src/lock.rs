//! One sending run per input file at a time. Two imports of one file at once would send every
//! row twice and write over each other's journal; the second one refuses instead (exit 2),
//! naming the process that holds the file.
//!
//! The lock is the operating system's (`flock`), on a hidden file beside the input: it goes
//! with the process, however that ends, so a killed run never leaves a stale lock behind.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// Held for as long as the run sends.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

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
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot create the lock file {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            anyhow::bail!(
                "另一个 bgy 正在用 {} 发送数据 ({}); 等它结束后再运行 (another bgy run is sending from {}: {}; wait for it to finish; nothing was sent)",
                input.display(),
                holder.trim(),
                input.display(),
                holder.trim()
            );
        }
        Err(TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
    let holder = format!(
        "process {} (bgy {command}, started {})",
        std::process::id(),
        chrono::Local::now().format("%Y-%m-%d %H:%M:%S")
    );
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(holder.as_bytes())?;
    Ok(RunLock { _file: file })
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
        lock(&input, "sync").unwrap();
        assert_eq!(lock_path(&input), dir.path().join(".staff.xlsx.bgy-lock"));
    }
}
