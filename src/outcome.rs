//! How a run ended: its status and exit code, the counts of its outcomes, and the summary the
//! front-ends show (`--json` prints it whole). The one place exit codes are decided.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::api;
use crate::model::Outcome;
use crate::validate::{Severity, Table};

/// Why a row did not go as asked, for the report's error column: the API's errno and message
/// (with the English of the messages the API reference documents), why it was not sent, or
/// that a delete found nobody.
pub fn why(outcome: &Outcome) -> Option<String> {
    match outcome {
        Outcome::Failed {
            errno: Some(e),
            message,
        } => Some(format!("errno {e}: {}", api::error::with_english(message))),
        Outcome::Failed {
            errno: None,
            message,
        } => Some(api::error::with_english(message)),
        Outcome::NotSent { reason } => Some(reason.clone()),
        Outcome::NotFound => {
            Some("帐号不在通讯录中,无需删除 (not in the directory; nothing to delete)".into())
        }
        _ => None,
    }
}

/// The remedy an error that ended a run names, if any.
pub fn remedy_of(e: &anyhow::Error) -> Option<crate::remedy::Remedy> {
    e.chain().find_map(|cause| {
        if cause.downcast_ref::<crate::remedy::Guard>().is_some() {
            return Some(crate::remedy::Remedy::Force);
        }
        if let Some(e) = cause.downcast_ref::<crate::api::ApiError>() {
            return e.remedy();
        }
        match cause.downcast_ref::<crate::validate::LoadError>() {
            Some(crate::validate::LoadError::MissingColumn {
                candidate: Some(header),
                field,
                ..
            }) => Some(crate::remedy::Remedy::MapColumn {
                header: header.clone(),
                field: Some(*field),
            }),
            Some(crate::validate::LoadError::NoHeader {
                with_header: Some(sheet),
                ..
            }) => Some(crate::remedy::Remedy::ChooseSheet {
                sheet: Some(sheet.clone()),
            }),
            _ => None,
        }
    })
}

/// How a run ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every row succeeded, or there was nothing to do.
    #[default]
    Ok,
    /// Finished, but some rows were invalid or failed.
    RowsFailed,
    /// Stopped by a fatal API condition.
    Fatal,
    /// Stopped by Ctrl-C.
    Interrupted,
    /// An unattended run past its limits: nothing sent, waiting for `bgy approve`.
    Paused,
}

impl Status {
    pub fn exit_code(self) -> i32 {
        match self {
            Status::Ok => 0,
            Status::RowsFailed => 1,
            Status::Fatal => 3,
            Status::Interrupted => 130,
            Status::Paused => 4,
        }
    }
}

/// Exit code of an error that ended a run before it got going.
pub fn error_exit_code(e: &anyhow::Error) -> i32 {
    match e.downcast_ref::<api::ApiError>() {
        Some(api::ApiError::Interrupted { .. }) => Status::Interrupted.exit_code(),
        Some(api) if api.is_fatal() || matches!(api, api::ApiError::Incomplete { .. }) => 3,
        _ => 2,
    }
}

/// The `--json` object: counts are rows of the input, and what the command says besides.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub command: &'static str,
    /// Its `failed` counts the rows never sent too (`not_sent` says how many of them).
    #[serde(flatten)]
    pub counts: Counts,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<String>,
    /// The run's id in the history (`bgy undo ID`), when it changed the directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history_run: Option<i64>,
    /// What this command says besides (its keys sit beside the counts in `--json`).
    #[serde(flatten)]
    pub detail: Detail,
    pub elapsed_ms: u128,
    #[serde(skip)]
    pub status: Status,
}

/// What a command says besides its counts: one kind a command, instead of a field for each.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Detail {
    Nothing {},
    /// A run over a sheet.
    Sheet(SheetDetail),
    /// `bgy dept add`: the we_id of the path's last level (printed on stdout).
    DeptAdded {
        we_id: i64,
    },
    /// `bgy dept list`: the tree (printed on stdout).
    Departments {
        departments: Vec<crate::model::tree::DeptInfo>,
    },
    /// The file a command wrote (a template, an export).
    Wrote {
        output: String,
    },
    /// `bgy serve --hash-password`: the hash (printed on stdout).
    Hash {
        output: String,
    },
    /// `bgy history`: the runs, newest first (printed on stdout).
    Runs {
        runs: serde_json::Value,
    },
    /// `bgy history show`: a run's changes, and the calls it never heard back from (which may
    /// have taken effect), bank cards masked (printed on stdout).
    Changes {
        changes: serde_json::Value,
        unanswered: serde_json::Value,
    },
}

impl Default for Detail {
    fn default() -> Detail {
        Detail::Nothing {}
    }
}

/// What a run over a sheet says besides its counts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SheetDetail {
    /// Departments created / renamed (plan: planned; sync: done), when a departments sheet
    /// was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub departments_created: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub departments_renamed: Option<usize>,
    /// `bgy check` online: valid rows whose account the directory already has (an import
    /// skips them, or updates them with `--cover overwrite`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing: Option<usize>,
    /// A prune: how many of the people the sheet does not name `bgy.toml`'s `[prune]` kept
    /// (neither deleted nor marked as leavers), when any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept: Option<usize>,
    /// An unattended run that waits for approval: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused: Option<String>,
    /// An unattended run that sent nothing (it waits, or its sheet has invalid rows): what its
    /// plan would do, where the counts say what was done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub planned: Option<StaffCounts>,
    /// A prune: the first of the people it deletes or marks as leavers (`wanglei (王磊)`), for
    /// the robot's message; the report's plan names them all.
    #[serde(skip)]
    pub leaving: Vec<String>,
}

impl Summary {
    /// Why an unattended run waits, when it does.
    pub fn paused(&self) -> Option<&str> {
        match &self.detail {
            Detail::Sheet(d) => d.paused.as_deref(),
            _ => None,
        }
    }

    /// The first of the people a prune deletes or marks as leavers, named.
    pub fn leaving(&self) -> &[String] {
        match &self.detail {
            Detail::Sheet(d) => &d.leaving,
            _ => &[],
        }
    }

    /// Departments created (a plan, or a run that sent nothing: to create).
    pub fn departments_created(&self) -> usize {
        match &self.detail {
            Detail::Sheet(d) => d.departments_created.unwrap_or(0),
            _ => 0,
        }
    }

    /// What an unattended run that sent nothing would have done.
    pub fn planned(&self) -> Option<StaffCounts> {
        match &self.detail {
            Detail::Sheet(d) => d.planned,
            _ => None,
        }
    }

    /// The run changed the directory: someone created, updated, marked or deleted, or a
    /// department created or renamed (what `bgy undo` would take back).
    pub fn changed(&self) -> bool {
        let c = &self.counts;
        let departments = match &self.detail {
            Detail::Sheet(d) => {
                d.departments_created.unwrap_or(0) + d.departments_renamed.unwrap_or(0)
            }
            _ => 0,
        };
        c.created + c.updated + c.left + c.deleted + departments > 0
    }
}

/// Counts of outcomes, for the summary sheet and the `--json` object.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Counts {
    pub total: usize,
    pub ok: usize,
    pub created: usize,
    pub updated: usize,
    pub skipped: usize,
    pub unchanged: usize,
    pub deleted: usize,
    /// Marked as leavers (`--prune-mode leave`).
    #[serde(default)]
    pub left: usize,
    pub invalid: usize,
    pub failed: usize,
    pub not_sent: usize,
    /// `delete`: accounts the directory did not have (nothing to do; not a failure).
    pub not_found: usize,
}

impl Counts {
    pub fn of(outcomes: &[Outcome]) -> Counts {
        let mut c = Counts {
            total: outcomes.len(),
            ..Counts::default()
        };
        for o in outcomes {
            if o.is_ok() {
                c.ok += 1;
            }
            match o {
                Outcome::Created => c.created += 1,
                Outcome::Updated => c.updated += 1,
                Outcome::Skipped => c.skipped += 1,
                Outcome::Unchanged => c.unchanged += 1,
                Outcome::Deleted => c.deleted += 1,
                Outcome::Left => c.left += 1,
                Outcome::Valid => {}
                Outcome::Invalid => c.invalid += 1,
                Outcome::Failed { .. } => c.failed += 1,
                Outcome::NotSent { .. } => c.not_sent += 1,
                Outcome::NotFound => c.not_found += 1,
            }
        }
        c
    }
}

/// One line of the 计划 Plan sheet.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PlanLine {
    pub action: String,
    pub target: String,
    pub field: String,
    pub old: String,
    pub new: String,
}

/// The lines of a 计划 Plan sheet, made as they are written (a sync of 100,000 updates held
/// a line per changed field: 34 MB of its 148 MB of heap; an undo of as many, 28 MB).
pub trait PlanLines {
    /// Each line in order, for the rows of `table` (the run's).
    fn each<'s>(&'s self, table: &'s Table) -> Box<dyn Iterator<Item = PlanLine> + 's>;
}

/// What a staff plan would do, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StaffCounts {
    pub create: usize,
    pub update: usize,
    pub unchanged: usize,
    pub delete: usize,
    /// People to mark as leavers (`--prune-mode leave`).
    #[serde(default)]
    pub leave: usize,
    /// People an undo leaves alone: changed since the run it takes back (`--force` restores
    /// them).
    #[serde(default)]
    pub conflicts: usize,
}

impl StaffCounts {
    /// Every change: creates, updates, leavers and deletes.
    pub fn changes(&self) -> usize {
        self.create + self.update + self.leave + self.delete
    }
}

/// What a departments plan would do, by kind, and the sheet's rows that are invalid.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeptCounts {
    pub create: usize,
    pub rename: usize,
    pub invalid: usize,
    /// Departments an undo leaves as they are: made by the run it takes back (the API cannot
    /// delete one), or gone since.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub kept: usize,
    /// Departments an undo leaves alone: renamed since the run (`--force` renames them back).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub conflicts: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A reason rows failed or were warned about, with how many and the first of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Reason {
    pub count: usize,
    pub warning: bool,
    /// The rule, as the column and the rule's name, in both languages (`部门: 部门不存在 (we_department:
    /// unknown department)`).
    pub rule: String,
    /// The reason as the first row had it (cell text, API message).
    pub example: String,
    pub first_row: u32,
    /// What can be done about it, besides fixing the cells.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remedy: Option<crate::remedy::Remedy>,
}

/// Issue and failure counts by reason, most frequent first: `3 × 手机: … (first: row 5)`.
pub fn reasons(table: &Table, outcomes: &[Outcome]) -> Vec<Reason> {
    // The example, or `None` where it is the rule's text itself (a failure's).
    type Group = (usize, u32, Option<String>, Option<crate::remedy::Remedy>);
    // Counted first by what names a rule, no text made for each issue (an export checked
    // online has one warning a row), each with when it was first seen; then by the rule's
    // text, as shown, the first seen giving the example.
    let mut seen = 0;
    let mut by_rule: foldhash::HashMap<_, (usize, Group)> = foldhash::HashMap::default();
    // A failure's text, kept once however many rows failed with it (every send of a run
    // refused alike), and once, not twice, for each row whose text is its own (an undo's
    // conflicts, each naming what changed since: 100,000 of them held ~44 MB more here).
    let mut by_text: foldhash::HashMap<String, (usize, Group)> = foldhash::HashMap::default();
    for (row, outcome) in table.rows.iter().zip(outcomes) {
        for issue in &row.issues {
            let (_, e) = by_rule
                .entry((issue.severity, issue.field, issue.reason))
                .or_insert_with(|| {
                    seen += 1;
                    let example = Some(issue.cell_text());
                    (seen, (0, row.source_row, example, issue.remedy.clone()))
                });
            e.0 += 1;
        }
        // A failure the server gave no errno (a dates call's failed row) is its message alone.
        if let (Outcome::Failed { .. }, Some(text)) = (outcome, why(outcome)) {
            let (_, e) = by_text.entry(text).or_insert_with(|| {
                seen += 1;
                (seen, (0, row.source_row, None, None))
            });
            e.0 += 1;
        }
    }
    let named = by_rule
        .into_iter()
        .map(|((severity, field, reason), group)| {
            // `入职时间: 日期不存在 (entry_time: impossible date)`
            let rule = match field {
                Some(f) => format!("{}: {} ({}: {})", f.label(), reason.zh, f.key(), reason.en),
                None => reason.to_string(),
            };
            ((severity, rule), group)
        });
    let by_text = by_text
        .into_iter()
        .map(|(text, group)| ((Severity::Error, text), group));
    let mut groups: BTreeMap<(Severity, String), (usize, Group)> = BTreeMap::new();
    for (key, (at, group)) in named.chain(by_text) {
        match groups.entry(key) {
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert((at, group));
            }
            std::collections::btree_map::Entry::Occupied(mut e) => {
                let (first, kept) = e.get_mut();
                let count = kept.0 + group.0;
                if at < *first {
                    (*first, *kept) = (at, group);
                }
                kept.0 = count;
            }
        }
    }
    let groups = groups.into_iter().map(|(key, (_, group))| (key, group));
    let mut lines: Vec<_> = groups.collect();
    lines.sort_by_key(|((sev, _), (n, ..))| (*sev, std::cmp::Reverse(*n)));
    lines
        .into_iter()
        .take(20)
        .map(
            |((sev, rule), (count, first_row, example, remedy))| Reason {
                count,
                warning: sev == Severity::Warning,
                example: example.unwrap_or_else(|| rule.clone()),
                rule,
                first_row,
                remedy,
            },
        )
        .collect()
}
