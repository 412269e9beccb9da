//! The journal (`REPORT.journal.jsonl`): one line per row outcome, written as it happens, so a
//! run killed halfway loses nothing; `--resume` reads it back. Beside it, while the run sends,
//! `REPORT.sending.jsonl` says each `staff/add` as it goes: a kill can land after the server
//! applied a call and before its answer was journaled, and the resume then asks the listing
//! what became of it instead of sending it again. A run that ends (even by Ctrl-C or a fatal
//! error: its calls in flight are answered first) removes that file; only a kill leaves it.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::model::{AccountKey, Command, Outcome};
use crate::text::{cut_bytes, Unwritten, MESSAGE_BYTES};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    /// The row in the sheet; none for an account the sheet does not name (a prune).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<u32>,
    pub account: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// A call being sent, written before it goes; its row's [`Entry`] follows in the journal once
/// answered.
#[derive(Debug, Serialize, Deserialize)]
struct Sending {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    row: Option<u32>,
    account: String,
    sending: Call,
}

/// What a `staff/add` being sent was meant to do: the account was on the server before the
/// run (an update, or a skip with cover=0), or not (a create).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Call {
    Create,
    Update,
}

#[derive(Debug, Serialize, Deserialize)]
struct Head {
    bgy_journal: u32,
    command: String,
    input: String,
}

pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
    /// The calls being sent, made at the first.
    sending: Mutex<Option<File>>,
}

/// Where the calls a journal's run sends are said as they go: `X.sending.jsonl` beside
/// `X.journal.jsonl`.
pub fn sending_path(journal: &Path) -> PathBuf {
    beside(journal, ".sending.jsonl").unwrap_or_else(|| {
        let name = journal.file_name().unwrap_or_default().to_string_lossy();
        journal.with_file_name(format!("{name}.sending"))
    })
}

/// The report whose journal is `journal` (`X.xlsx` beside `X.journal.jsonl`).
pub fn report_path(journal: &Path) -> Option<PathBuf> {
    beside(journal, ".xlsx")
}

/// `X{ending}` beside `X.journal.jsonl`; none for a journal not named so.
fn beside(journal: &Path, ending: &str) -> Option<PathBuf> {
    let name = journal.file_name()?.to_string_lossy();
    let stem = name.strip_suffix(".journal.jsonl")?;
    Some(journal.with_file_name(format!("{stem}{ending}")))
}

/// Copies a journal, and the calls its run said it was sending if it left them, to be
/// resumed from `to` (a journal path).
pub fn copy(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::copy(from, to)?;
    match std::fs::copy(sending_path(from), sending_path(to)) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => other.map(drop),
    }
}

/// A run's end: no call of its run is in flight any more, so what they were is no question.
impl Drop for Journal {
    fn drop(&mut self) {
        let made = self.sending.get_mut().unwrap_or_else(|e| e.into_inner());
        if made.take().is_some() {
            let _ = std::fs::remove_file(sending_path(&self.path));
        }
    }
}

impl Journal {
    pub fn create(path: &Path, command: Command, input: &Path) -> anyhow::Result<Journal> {
        // Beside the report, whose folder `--report` may name before it exists (the report
        // makes it too).
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).cannot_make_folder(dir)?;
        }
        let mut file = File::create(path).unwritten(|| {
            let path = path.display();
            (
                format!("无法写入发送日志 {path}({{why}})"),
                format!("cannot write the journal {path}"),
            )
        })?;
        let head = Head {
            bgy_journal: 1,
            command: command.name().into(),
            input: input.display().to_string(),
        };
        writeln!(file, "{}", serde_json::to_string(&head)?)?;
        Ok(Journal {
            path: path.to_path_buf(),
            file: Mutex::new(file),
            sending: Mutex::new(None),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one outcome; the line reaches the OS before this returns.
    pub fn record(
        &self,
        row: Option<u32>,
        account: &str,
        outcome: &Outcome,
    ) -> std::io::Result<()> {
        let mut outcome = outcome.clone();
        if let Outcome::Failed { message: m, .. } | Outcome::NotSent { reason: m } = &mut outcome {
            *m = cut_bytes(m, MESSAGE_BYTES).into_owned();
        }
        let line = json_line(&Entry {
            row,
            account: account.to_string(),
            outcome,
        })?;
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(line.as_bytes())
    }

    /// Says that `account`'s call is being sent, before it goes (in the file of
    /// [`sending_path`]).
    pub fn sending(&self, row: Option<u32>, account: &str, call: Call) -> std::io::Result<()> {
        let line = json_line(&Sending {
            row,
            account: account.to_string(),
            sending: call,
        })?;
        let mut file = self.sending.lock().unwrap_or_else(|e| e.into_inner());
        if file.is_none() {
            *file = Some(File::create(sending_path(&self.path))?);
        }
        match file.as_mut() {
            Some(f) => f.write_all(line.as_bytes()),
            None => Ok(()),
        }
    }
}

fn json_line(line: &impl Serialize) -> std::io::Result<String> {
    let line = serde_json::to_string(line).map_err(std::io::Error::other)?;
    Ok(format!("{line}\n"))
}

/// What an earlier run's journal says it did.
#[derive(Debug, Default)]
pub struct Done {
    /// The successful outcomes, by account.
    pub rows: HashMap<AccountKey, Entry>,
    /// The calls sent and never answered (the run was killed while they were in flight), by
    /// account: the server may or may not have applied them.
    pub cut_off: HashMap<AccountKey, Call>,
    /// Lines that could not be read: a line torn by a kill or a full disk in the middle of a
    /// write (its call's outcome is unknown, so its row is sent again: a create answers 1204
    /// and counts as done).
    pub torn: usize,
}

/// The successful outcomes in a journal of `bgy command`, by account, and the calls it never
/// heard back from; torn lines are counted and skipped.
pub fn successes(path: &Path, command: &str) -> anyhow::Result<Done> {
    let file = File::open(path).with_context(|| {
        format!(
            "无法读取日志 {0} (cannot read the journal {0})",
            path.display()
        )
    })?;
    let mut lines = BufReader::new(file).lines();
    let head: Head = lines
        .next()
        .transpose()?
        .and_then(|l| serde_json::from_str(&l).ok())
        .with_context(|| {
            format!(
                "{0} 不是 bgy 的日志 ({0} is not a bgy journal)",
                path.display()
            )
        })?;
    anyhow::ensure!(
        head.command == command,
        "{path} 是 bgy {was} 的日志,不是 bgy {command} 的 ({path} is the journal of `bgy {was}`, not `bgy {command}`)",
        path = path.display(),
        was = head.command
    );
    let mut done = Done {
        cut_off: sent_calls(&sending_path(path)),
        ..Done::default()
    };
    for line in lines {
        // A torn line can end inside a character: bytes, not text.
        let line = match line {
            Ok(line) => line,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                done.torn += 1;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let Ok(entry) = serde_json::from_str::<Entry>(&line) else {
            done.torn += usize::from(!line.trim().is_empty());
            continue;
        };
        let key = AccountKey::new(&entry.account);
        done.cut_off.remove(&key);
        if entry.outcome.is_ok() {
            done.rows.insert(key, entry);
        } else {
            done.rows.remove(&key);
        }
    }
    Ok(done)
}

/// The calls a run said it was sending (none when it ended and removed the file); a torn line
/// is a call that never went, written before it.
fn sent_calls(path: &Path) -> HashMap<AccountKey, Call> {
    let Ok(file) = File::open(path) else {
        return HashMap::new();
    };
    let lines = BufReader::new(file).split(b'\n').map_while(Result::ok);
    lines
        .filter_map(|l| serde_json::from_slice::<Sending>(&l).ok())
        .map(|s| (AccountKey::new(&s.account), s.sending))
        .collect()
}

/// The newest journal of a report of `input` (`NAME.report-*.journal.jsonl` beside it, or in
/// `reports`): the last written, since names of runs in the same second differ only by a
/// suffix.
pub fn latest_for(input: &Path, reports: Option<&Path>) -> Option<PathBuf> {
    let dir = reports.unwrap_or_else(|| {
        input
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    });
    let prefix = format!("{}.report-", crate::report::report_stem(input));
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".journal.jsonl"))
        })
        .max_by_key(|p| {
            let written = std::fs::metadata(p).and_then(|m| m.modified()).ok();
            (written, p.clone())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_torn_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.report-20260101-000000.journal.jsonl");
        let j = Journal::create(&path, Command::Import, Path::new("x.xlsx")).unwrap();
        j.record(Some(2), "Zs", &Outcome::Created).unwrap();
        j.record(
            Some(3),
            "ls",
            &Outcome::Failed {
                errno: Some(1205),
                message: "x".into(),
            },
        )
        .unwrap();
        j.record(Some(4), "ww", &Outcome::Skipped).unwrap();
        j.sending(Some(7), "Zl", Call::Create).unwrap();
        j.sending(Some(8), "qq", Call::Update).unwrap();
        j.record(Some(8), "qq", &Outcome::Updated).unwrap();
        // A kill: the run never ends, and the calls it sent stay said.
        std::mem::forget(j);
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"{\"row\":5,\"acc").unwrap();
        let done = successes(&path, "import").unwrap();
        assert_eq!((done.rows.len(), done.torn), (3, 1));
        assert_eq!(done.rows[&AccountKey::new("ZS")].outcome, Outcome::Created);
        let cut_off: Vec<_> = done.cut_off.into_iter().collect();
        assert_eq!(
            cut_off,
            [(AccountKey::new("zl"), Call::Create)],
            "sent and never answered"
        );
        // Torn inside a character.
        let torn = "\n{\"row\":6,\"account\":\"张".as_bytes();
        f.write_all(&torn[..torn.len() - 1]).unwrap();
        assert_eq!(successes(&path, "import").unwrap().torn, 2);
        assert!(successes(&path, "delete").is_err());
        assert_eq!(latest_for(&dir.path().join("x.xlsx"), None), Some(path));
    }

    #[test]
    fn a_run_that_ends_leaves_no_calls_said() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("y.report-20260101-000000.journal.jsonl");
        let j = Journal::create(&path, Command::Import, Path::new("y.xlsx")).unwrap();
        j.sending(Some(2), "a", Call::Create).unwrap();
        assert!(sending_path(&path).is_file());
        j.record(Some(2), "a", &Outcome::Created).unwrap();
        drop(j);
        assert!(!sending_path(&path).exists());
        assert!(successes(&path, "import").unwrap().cut_off.is_empty());
        assert_eq!(
            sending_path(&path).file_name().unwrap(),
            "y.report-20260101-000000.sending.jsonl"
        );
    }
}
