//! What a run tells the person running it. The stages never print: they emit these events to
//! an [`Observer`] the front-end supplies. The command line's (`console.rs`) draws progress
//! bars and writes the summary on stderr; the web console forwards the same events to the
//! browser. Tests collect them ([`Collect`]).

use std::sync::Mutex;

use serde::Serialize;

use crate::outcome::Counts;
use crate::outcome::DeptCounts;
use crate::outcome::PlanLine;
pub use crate::outcome::Reason;
use crate::outcome::StaffCounts;
pub use crate::remedy::Remedy;
use crate::remedy::{Advice, Removal};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A stage starts: what it does ("listing staff", "importing") over `total` units (0: not
    /// known yet). Rows and progress that follow belong to it.
    Phase { what: String, total: u64 },
    /// Progress of a stage whose units are not rows (pages of a listing).
    Progress { done: u64, total: u64 },
    /// One row's outcome, as it happens (`row` is its row in the sheet, when it has one).
    Row {
        row: Option<u32>,
        account: String,
        ok: bool,
    },
    /// About the sheet, the directory or the run, not one row; with what can be done about it.
    Warning {
        text: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        remedy: Option<Remedy>,
    },
    /// Worth a line of its own: a department created, the backup written, a dry run's preview.
    Note {
        text: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        remedy: Option<Remedy>,
    },
    /// What a plan would change (the first lines; the report holds all of them).
    Plan(PlanShown),
    /// The sheet's header as read, when it has columns bgy does not know: a front-end may let
    /// the person choose what they are.
    Columns(crate::read::header::ColumnsSeen),
    /// The titles of the report's 失败 Failed sheet, before its rows ([`Event::Failed`]); only
    /// to a front-end that shows them ([`Observer::wants_failed_rows`]).
    FailedHeader(FailedHeader),
    /// A row that did not succeed, as the report's 失败 Failed sheet has it.
    Failed(FailedRow),
    /// The run is over (boxed: the largest of the events, and one a run).
    Finished(Box<Finished>),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct FailedHeader {
    /// The input's own columns, then 源行号 Source row and 错误 Error.
    pub titles: Vec<String>,
    /// Columns a person must never see whole (bank card numbers, ID numbers): a front-end
    /// masks them.
    pub masked: Vec<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct FailedRow {
    /// One a title: the input's cells, the source row, the reason.
    pub cells: Vec<String>,
    /// The columns filled red in the report.
    pub bad: Vec<usize>,
    /// The reason, one sentence (`中文 (English)`) an issue or failure, as the 错误 cell joins them.
    #[serde(default)]
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finished {
    pub command: String,
    /// What the sheet was read as: the layout asked for, or the one its header said.
    pub layout: crate::model::Layout,
    pub counts: Counts,
    /// Rows left valid and unsent (a check, a dry run).
    pub valid: usize,
    /// Most frequent first.
    pub reasons: Vec<Reason>,
    /// Why the run stopped early, if it did.
    pub stopped: Option<String>,
    /// What can be done about what stopped it.
    pub stopped_remedy: Option<crate::remedy::Remedy>,
    /// The report, when it was written.
    pub report: Option<String>,
    /// The run's id in the history, when it changed the directory.
    pub history_run: Option<i64>,
    /// A check online: valid rows whose account the directory has (of a sheet of dates,
    /// deletes or leavers: the people, a row written twice counted once).
    pub existing: Option<usize>,
    /// A check online of dates, deletes or leavers: the accounts the directory lacks.
    pub not_found: Option<usize>,
    /// A check online: the people the directory holds.
    pub directory: Option<usize>,
    /// Accounts the run changed (or failed to) that are not rows of its sheet: a sync's
    /// prunes, an undo's deletes.
    pub besides: usize,
    /// A run that only planned: what it would do.
    pub planned: Option<StaffCounts>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct PlanShown {
    pub lines: Vec<PlanLine>,
    /// Lines not shown (they are in the report's 计划 Plan sheet).
    pub more: usize,
    pub staff: StaffCounts,
    pub departments: Option<DeptCounts>,
}

/// The lines the report's 计划 Plan sheet holds under its titles: a sheet's 1,048,576 rows,
/// less one.
pub const PLAN_SHEET_LINES: usize = 1_048_575;

impl PlanShown {
    /// The plan has more lines than one sheet holds: the rest go on in the report's
    /// 计划 Plan 2, ….
    pub fn past_a_sheet(&self) -> bool {
        self.lines.len() + self.more > PLAN_SHEET_LINES
    }
}

/// The stages' names as the front-ends show them: `中文 (English)`, as every sentence.
pub mod phases {
    pub const READING: &str = "读取表格 (reading rows)";
    pub const LISTING: &str = "读取通讯录 (listing staff)";
    pub const IMPORTING: &str = "导入 (importing)";
    pub const DATES: &str = "更新日期 (updating dates)";
    pub const DELETING: &str = "删除 (deleting)";
    pub const LEAVING: &str = "标记离职 (marking leavers)";
    pub const SYNCING: &str = "同步 (syncing)";
    pub const UNDOING: &str = "撤销 (undoing)";
    pub const REPORT: &str = "写报告 (writing the report)";
}

/// Receives a run's events; a front-end implements it.
pub trait Observer: Send + Sync {
    fn event(&self, event: Event);

    /// Asks the person to confirm that `bgy COMMAND` does `what` (deletes, or marks as leavers) to
    /// `n` people, by typing `n`. `Err` when there is nobody to ask: then `--yes` is needed.
    fn confirm_removal(&self, command: &str, n: usize, what: Removal) -> anyhow::Result<bool>;

    /// How many lines of a plan this front-end shows (all of them are in the report).
    fn plan_lines(&self) -> usize {
        40
    }

    /// This front-end shows the failed rows itself (the web console's table): a run's end
    /// sends them as [`Event::FailedHeader`] and [`Event::Failed`].
    fn wants_failed_rows(&self) -> bool {
        false
    }
}

/// Keeps every event, and confirms nothing: for tests and for runs without a person.
#[derive(Default)]
pub struct Collect(pub Mutex<Vec<Event>>);

impl Collect {
    pub fn events(&self) -> Vec<Event> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Observer for Collect {
    fn event(&self, event: Event) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(event);
    }

    fn confirm_removal(&self, _command: &str, n: usize, what: Removal) -> anyhow::Result<bool> {
        anyhow::bail!(
            "{}需要 --yes;什么也没有改 ({} needs --yes here; nothing was changed)",
            what.doing_zh(n),
            what.doing_en(n),
        )
    }
}

/// Shorthands for the stages.
pub trait Emit {
    fn warn(&self, text: impl Into<String>);
    /// A warning with what can be done about it.
    fn advise(&self, advice: Advice);
    fn note(&self, text: impl Into<String>);
    fn phase(&self, what: &str, total: u64);
}

impl<T: Observer + ?Sized> Emit for T {
    fn warn(&self, text: impl Into<String>) {
        self.event(Event::Warning {
            text: text.into(),
            remedy: None,
        });
    }

    fn advise(&self, advice: Advice) {
        self.event(Event::Warning {
            text: advice.text,
            remedy: advice.remedy,
        });
    }

    fn note(&self, text: impl Into<String>) {
        self.event(Event::Note {
            text: text.into(),
            remedy: None,
        });
    }

    fn phase(&self, what: &str, total: u64) {
        self.event(Event::Phase {
            what: what.into(),
            total,
        });
    }
}
