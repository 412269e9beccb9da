//! The commands: each reads, validates, sends and reports through the stages, and ends in a
//! [`Summary`]. Shared here: loading the input, writing the report, printing the outcome.

pub mod check;
pub mod delete;
pub mod dept;
pub mod export;
pub mod import;
pub mod plan;
pub mod times;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::{DateTime, Local};

use crate::cli::Input;
use crate::model::{Layout, Outcome};
use crate::outcome::Counts;
use crate::progress::Stop;
use crate::report::{self, PlanLine, Report};
use crate::validate::{self, Severity, Table};
use crate::{Context, Status, Summary};

/// Reads and validates the input; sheet-level warnings go to stderr.
pub fn load(input: &Input, layout: Layout) -> anyhow::Result<Table> {
    let table = validate::load(&input.file, input.sheet.as_deref(), layout)?;
    for w in &table.warnings {
        eprintln!("bgy: warning: {w}");
    }
    if table.is_report {
        eprintln!(
            "bgy: {} is a report: reading its {} sheet ({} rows)",
            input.file.display(),
            crate::read::REPORT_FAILED_SHEET,
            table.rows.len()
        );
    }
    Ok(table)
}

/// Warns about departments whose parents are missing or form a circle (they are still listed).
pub fn warn_tree(tree: &crate::model::tree::DeptTree) {
    for p in tree.problems() {
        eprintln!("bgy: warning: {}", crate::text::line(&p));
    }
}

/// Where a run's report goes: `--report`, or a name of its own beside the input, taken when
/// the run starts. A run that ends before writing its report leaves no empty file behind.
pub struct ReportPath {
    path: PathBuf,
    reserved: bool,
}

impl std::ops::Deref for ReportPath {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.path
    }
}

impl Drop for ReportPath {
    fn drop(&mut self) {
        if self.reserved && std::fs::metadata(&self.path).is_ok_and(|m| m.len() == 0) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

pub fn report_path(input: &Input, started: DateTime<Local>) -> anyhow::Result<ReportPath> {
    Ok(match &input.report {
        Some(path) => ReportPath {
            path: path.clone(),
            reserved: false,
        },
        None => ReportPath {
            path: report::reserve_path(&input.file, started).with_context(|| {
                format!("cannot write a report beside {}", input.file.display())
            })?,
            reserved: true,
        },
    })
}

/// Everything a run has to say at its end.
pub struct Finish<'a> {
    pub command: &'static str,
    pub ctx: &'a Context,
    pub table: &'a Table,
    pub outcomes: &'a [Outcome],
    pub started: DateTime<Local>,
    pub report: &'a Path,
    pub stop: Option<&'a Stop>,
    pub plan: Option<&'a [PlanLine]>,
}

impl Finish<'_> {
    /// Writes the report, prints the outcome on stderr, and returns the summary.
    pub fn write(self) -> anyhow::Result<Summary> {
        let finished = Local::now();
        let stopped = self.stop.and_then(|s| s.reason());
        Report {
            command: self.command,
            server: &self.ctx.server,
            table: self.table,
            outcomes: self.outcomes,
            started: self.started,
            finished,
            stopped: stopped.clone(),
            plan: self.plan,
        }
        .write(self.report)
        .with_context(|| format!("cannot write the report {}", self.report.display()))?;
        let c = Counts::of(self.outcomes);
        let status = match self.stop.and_then(Stop::status) {
            Some(s) => s,
            None if c.ok < c.total => Status::RowsFailed,
            None => Status::Ok,
        };
        print_outcome(
            self.command,
            self.table,
            self.outcomes,
            &c,
            stopped.as_deref(),
        );
        eprintln!("report: {}", self.report.display());
        Ok(Summary {
            command: self.command,
            total: c.total,
            ok: c.ok,
            created: c.created,
            updated: c.updated,
            skipped: c.skipped,
            unchanged: c.unchanged,
            deleted: c.deleted,
            invalid: c.invalid,
            failed: c.failed + c.not_sent,
            report: Some(self.report.display().to_string()),
            status,
            ..Summary::default()
        })
    }
}

/// Rows still marked valid when the run ends were never sent (it stopped before them).
pub fn mark_unsent(outcomes: &mut [Outcome], sink: &crate::execute::Sink) {
    for o in outcomes.iter_mut().filter(|o| **o == Outcome::Valid) {
        *o = sink.not_sent();
    }
}

/// Writes the report of a run that may have stopped early, and returns its summary.
pub fn finish(
    command: &'static str,
    ctx: &Context,
    table: &Table,
    outcomes: &[Outcome],
    started: DateTime<Local>,
    report: &Path,
    stop: &Stop,
) -> anyhow::Result<Summary> {
    Finish {
        command,
        ctx,
        table,
        outcomes,
        started,
        report,
        stop: Some(stop),
        plan: None,
    }
    .write()
}

/// `bgy import: 300 rows: 295 created, 3 invalid …` and the reasons, most frequent first.
fn print_outcome(
    command: &str,
    table: &Table,
    outcomes: &[Outcome],
    c: &Counts,
    stopped: Option<&str>,
) {
    let mut parts = Vec::new();
    for (n, word) in [
        (c.created, "created"),
        (c.updated, "updated"),
        (c.skipped, "skipped (existing)"),
        (c.unchanged, "unchanged"),
        (c.deleted, "deleted"),
        (
            outcomes.iter().filter(|o| **o == Outcome::Valid).count(),
            "valid",
        ),
        (c.invalid, "invalid"),
        (c.failed, "failed"),
        (c.not_sent, "not sent"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    if parts.is_empty() {
        parts.push("nothing to do".into());
    }
    eprintln!("bgy {command}: {} rows: {}", c.total, parts.join(", "));
    for line in reasons(table, outcomes) {
        eprintln!("  {}", crate::text::line(&line));
    }
    if let Some(why) = stopped {
        eprintln!(
            "{}",
            crate::text::line(&format!("bgy {command}: stopped early: {why}"))
        );
    }
}

/// Issue and failure counts by reason: `3 × 手机: not a mobile number (first: row 5)`.
pub fn reasons(table: &Table, outcomes: &[Outcome]) -> Vec<String> {
    let mut groups: BTreeMap<(Severity, String), (usize, u32, String)> = BTreeMap::new();
    for (row, outcome) in table.rows.iter().zip(outcomes) {
        for issue in &row.issues {
            let label = issue
                .field
                .map(|f| format!("{}: ", f.label()))
                .unwrap_or_default();
            let key = (issue.severity, format!("{label}{}", issue.reason));
            let e = groups
                .entry(key)
                .or_insert((0, row.source_row, issue.cell_text()));
            e.0 += 1;
        }
        if let Outcome::Failed { errno, message } = outcome {
            let key = (
                Severity::Error,
                format!(
                    "errno {}: {message}",
                    errno.map_or("-".into(), |e| e.to_string())
                ),
            );
            let text = key.1.clone();
            groups.entry(key).or_insert((0, row.source_row, text)).0 += 1;
        }
    }
    let mut lines: Vec<_> = groups.into_iter().collect();
    lines.sort_by_key(|((sev, _), (n, _, _))| (*sev, std::cmp::Reverse(*n)));
    lines
        .into_iter()
        .take(20)
        .map(|((sev, _), (n, first, example))| {
            let mark = if sev == Severity::Warning {
                "warning: "
            } else {
                ""
            };
            format!("{n} × {mark}{example} (first: row {first})")
        })
        .collect()
}
