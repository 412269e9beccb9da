//! The run store: one folder a run under `--data`, holding its input, report, journal and
//! backup, and `run.json` (when, who, command, file, counts, status). Paths come from run ids
//! this module made and checks, never from a name a browser sent.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::read::{self, Format};

pub const INFO: &str = "run.json";
pub const REPORT: &str = "report.xlsx";
/// The report's Failed sheet, row by row, for the pages.
const FAILED: &str = "failed.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunInfo {
    pub id: String,
    pub started: String,
    #[serde(default)]
    pub finished: Option<String>,
    pub who: String,
    pub command: String,
    /// The uploaded file's name, as the person knows it (shown, never used as a path).
    pub file: String,
    /// The input's name in the run's folder.
    pub input: String,
    /// running, ok, rows failed, fatal, interrupted, error.
    pub status: String,
    /// The summary's counts (`--json`'s object).
    #[serde(default)]
    pub summary: Option<serde_json::Value>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub warnings: Vec<String>,
    #[serde(default)]
    pub notes: Vec<String>,
    /// Warnings on rows (the sheet-level ones are `warnings`).
    #[serde(default)]
    pub row_warnings: u64,
    /// The run this one took its input from (an import from a check).
    #[serde(default)]
    pub from: Option<String>,
    /// An import's options, to resume it with the same ones.
    #[serde(default)]
    pub cover: Option<String>,
    #[serde(default)]
    pub create_departments: bool,
    /// A file the run made (an export), in its folder.
    #[serde(default)]
    pub output: Option<String>,
    /// A plan or sync that deletes the accounts the sheet does not name.
    #[serde(default)]
    pub prune: bool,
    /// An undo's run in the history.
    #[serde(default)]
    pub undoes: Option<i64>,
    /// The sheet's layout: staff, times or delete.
    #[serde(default = "staff")]
    pub kind: String,
}

fn staff() -> String {
    "staff".into()
}

impl RunInfo {
    /// A new run of `command` by `who` on `file` (stored as `input`).
    pub fn new(id: &str, who: &str, command: &str, file: &str, input: &str) -> RunInfo {
        RunInfo {
            id: id.to_string(),
            started: chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string(),
            finished: None,
            who: who.to_string(),
            command: command.to_string(),
            file: file.chars().take(200).collect(),
            input: input.to_string(),
            status: "running".into(),
            summary: None,
            error: None,
            warnings: vec![],
            notes: vec![],
            row_warnings: 0,
            from: None,
            cover: None,
            create_departments: false,
            output: None,
            prune: false,
            undoes: None,
            kind: staff(),
        }
    }
}

/// A run id: the time it started and a random suffix; nothing else passes.
pub fn valid_id(id: &str) -> bool {
    id.len() <= 40 && !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A new run's id and its folder under `data`, made.
pub fn create(data: &Path) -> std::io::Result<(String, PathBuf)> {
    let id = new_id();
    let dir = data.join(&id);
    std::fs::create_dir_all(&dir)?;
    Ok((id, dir))
}

fn new_id() -> String {
    let suffix: [u8; 3] = rand::random();
    format!(
        "{}-{}",
        chrono::Local::now().format("%Y%m%d-%H%M%S"),
        suffix
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

pub fn dir(data: &Path, id: &str) -> Option<PathBuf> {
    let d = data.join(id);
    (valid_id(id) && d.join(INFO).is_file()).then_some(d)
}

/// The input's name in the store: `input.` and its format's extension, whatever it was called.
pub fn input_name(uploaded: &str, bytes: &[u8]) -> String {
    let lower = uploaded.to_lowercase();
    let named = ["xlsx", "xlsm", "xls", "ods", "csv"]
        .into_iter()
        .find(|e| lower.ends_with(&format!(".{e}")));
    let ext = named.unwrap_or(match read::sniff(bytes) {
        Some(Format::Xlsx) => "xlsx",
        Some(Format::Xls) => "xls",
        Some(Format::Ods) => "ods",
        _ => "csv",
    });
    format!("input.{ext}")
}

pub fn save(dir: &Path, info: &RunInfo) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(info).map_err(std::io::Error::other)?;
    let tmp = dir.join(format!("{INFO}.tmp"));
    std::fs::write(&tmp, text)?;
    std::fs::rename(tmp, dir.join(INFO))
}

pub fn load(dir: &Path) -> Option<RunInfo> {
    serde_json::from_str(&std::fs::read_to_string(dir.join(INFO)).ok()?).ok()
}

/// Every run, newest first.
pub fn list(data: &Path) -> Vec<RunInfo> {
    let mut runs: Vec<RunInfo> = std::fs::read_dir(data)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| load(&e.path()))
        .collect();
    runs.sort_by(|a, b| b.id.cmp(&a.id));
    runs
}

/// The Failed sheet of a run's report: its header, and each row's cells with the columns that
/// were filled red.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Failed {
    pub header: Vec<String>,
    pub rows: Vec<FailedRow>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct FailedRow {
    pub cells: Vec<String>,
    pub bad: Vec<usize>,
}

/// The report's 计划 Plan sheet, when it has one: its header and lines.
pub fn plan(dir: &Path) -> Option<(Vec<String>, Vec<Vec<String>>)> {
    use calamine::{Reader, Xlsx};
    let mut wb: Xlsx<_> = calamine::open_workbook(dir.join(REPORT)).ok()?;
    let range = wb.worksheet_range(crate::report::REPORT_PLAN_SHEET).ok()?;
    let mut rows = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect::<Vec<String>>());
    let header = rows.next()?;
    Some((header, rows.collect()))
}

/// The backup a delete or a prune wrote beside the run's input, if any.
pub fn backup(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("input.backup-") && n.ends_with(".xlsx"))
        })
}

/// Reads the report's Failed sheet once (values and red fills) into the run's folder.
pub fn extract_failed(dir: &Path) -> anyhow::Result<()> {
    use calamine::{Data, Reader, Xlsx};
    let mut wb: Xlsx<_> = calamine::open_workbook(dir.join(REPORT))?;
    let range = wb.worksheet_range(read::REPORT_FAILED_SHEET)?;
    let styles = wb.worksheet_style(read::REPORT_FAILED_SHEET).ok();
    let text = |c: &Data| match c {
        Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
        Data::Empty => String::new(),
        other => other.to_string(),
    };
    let mut rows = range.rows();
    let header: Vec<String> = rows
        .next()
        .map(|r| r.iter().map(text).collect())
        .unwrap_or_default();
    let mut failed = Failed {
        header,
        rows: Vec::new(),
    };
    for (i, row) in rows.enumerate() {
        let r = i as u32 + 1;
        let bad = (0..row.len())
            .filter(|&c| {
                styles
                    .as_ref()
                    .and_then(|s| s.get((r, c as u32)))
                    .and_then(|s| s.fill.as_ref())
                    .is_some_and(|f| f.is_visible())
            })
            .collect();
        failed.rows.push(FailedRow {
            cells: row.iter().map(text).collect(),
            bad,
        });
    }
    std::fs::write(dir.join(FAILED), serde_json::to_vec(&failed)?)?;
    Ok(())
}

pub fn failed(dir: &Path) -> Failed {
    std::fs::read(dir.join(FAILED))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}
