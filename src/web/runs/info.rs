//! What the store keeps of a run in its `run.json`: what it did ([`Command`]), how it ended
//! ([`Status`]), and all its page shows of it ([`RunInfo`]).

use serde::{Deserialize, Serialize};

use crate::model::Layout;
use crate::outcome::Counts;

/// What a run does, as the console starts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Command {
    Check,
    Import,
    Plan,
    Sync,
    Times,
    Delete,
    Leave,
    Export,
    UndoPlan,
    Undo,
}

impl Command {
    /// It changes the directory (and holds the directory's sending lock while it runs).
    pub fn sends(self) -> bool {
        matches!(
            self,
            Command::Import
                | Command::Sync
                | Command::Times
                | Command::Delete
                | Command::Leave
                | Command::Undo
        )
    }

    /// Its `bgy` command's name.
    pub fn name(self) -> &'static str {
        match self {
            Command::Check => "check",
            Command::Import => "import",
            Command::Plan => "plan",
            Command::Sync => "sync",
            Command::Times => "times",
            Command::Delete => "delete",
            Command::Leave => "leave",
            Command::Export => "export",
            Command::UndoPlan => "undo-plan",
            Command::Undo => "undo",
        }
    }
}

/// How a run stands. `data-status` on its page is this, whatever the language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Running,
    Ok,
    #[serde(alias = "rows failed")]
    RowsFailed,
    /// Stopped by a fatal API condition.
    Fatal,
    /// Cut off: the console was killed while it ran (a console shut down stops its runs
    /// first), or could not record how the run ended.
    Interrupted,
    /// A person pressed Stop.
    Stopped,
    /// An unattended run past its limits, waiting for a person.
    Pending,
    /// It could not go on: a full disk, an unreadable sheet, another run holding the lock.
    #[serde(alias = "error")]
    Failed,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Ok => "ok",
            Status::RowsFailed => "rows-failed",
            Status::Fatal => "fatal",
            Status::Interrupted => "interrupted",
            Status::Stopped => "stopped",
            Status::Pending => "pending",
            Status::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunInfo {
    pub id: String,
    pub started: String,
    #[serde(default)]
    pub finished: Option<String>,
    pub who: String,
    pub command: Command,
    /// The uploaded file's name, as the person knows it (shown, never used as a path).
    pub file: String,
    /// The input's name in the run's folder.
    pub input: String,
    pub status: Status,
    /// The run's counts (`--json`'s).
    #[serde(default, alias = "summary")]
    pub counts: Option<Counts>,
    /// Why it failed or stopped, in a sentence.
    #[serde(default)]
    pub error: Option<String>,
    /// Who pressed Stop.
    #[serde(default)]
    pub stopped_by: Option<String>,
    #[serde(default)]
    pub warnings: Vec<String>,
    #[serde(default)]
    pub notes: Vec<String>,
    /// Warnings on rows (the sheet-level ones are `warnings`).
    #[serde(default)]
    pub row_warnings: u64,
    /// Rows in `failed.jsonl`.
    #[serde(default)]
    pub failed_rows: usize,
    /// The run this one took its input from (an import from a check).
    #[serde(default)]
    pub from: Option<String>,
    /// An import's options, to resume it with the same ones.
    #[serde(default)]
    pub overwrite: bool,
    #[serde(default)]
    pub create_departments: bool,
    /// A file the run made (an export), in its folder.
    #[serde(default)]
    pub output: Option<String>,
    /// A plan or sync that deletes the accounts the sheet does not name.
    #[serde(default)]
    pub prune: bool,
    /// With `prune`: mark them as leavers (已离职) instead of deleting them.
    #[serde(default)]
    pub leave: bool,
    /// An undo's run in the history.
    #[serde(default)]
    pub undoes: Option<i64>,
    /// The run's own record in the history, when it changed the directory.
    #[serde(default)]
    pub history_run: Option<i64>,
    /// The sheet's layout.
    #[serde(default = "staff")]
    pub kind: Layout,
    /// A check of a sheet whose kind the person did not choose: it is read as its header says
    /// (staff, dates or leavers, never accounts to delete), `kind` then what it said.
    #[serde(default)]
    pub by_header: bool,
    /// What the run said could be done (the page offers the controls for them).
    #[serde(default)]
    pub remedies: Vec<crate::remedy::Remedy>,
    /// Why rows failed or were warned about, most frequent first.
    #[serde(default)]
    pub reasons: Vec<crate::outcome::Reason>,
    /// The sheet's header, when it had columns bgy did not know (or no 帐号): the page lets
    /// the person choose them.
    #[serde(default)]
    pub columns: Option<crate::read::header::ColumnsSeen>,
    /// The columns the person chose for this run: header → the column's label, or `-`.
    #[serde(default)]
    pub mapping: Vec<(String, String)>,
    /// A check online: valid rows whose account the directory already has (of a sheet of
    /// dates, deletes or leavers: the people, a row written twice counted once).
    #[serde(default)]
    pub existing: Option<usize>,
    /// A check online of dates, deletes or leavers: the accounts the directory lacked.
    #[serde(default)]
    pub not_found: Option<usize>,
    /// A check online: the people the directory held.
    #[serde(default)]
    pub directory: Option<usize>,
    /// The workbook's sheet the person chose to read (none: the first visible one).
    #[serde(default)]
    pub sheet: Option<String>,
    /// It stopped at the header, which lacks a column it needs (帐号): the page asks which
    /// of the sheet's columns is which.
    #[serde(default)]
    pub missing_column: bool,
}

fn staff() -> Layout {
    Layout::Staff
}

pub fn now() -> String {
    crate::model::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

impl RunInfo {
    /// What the run was given, in the page's language: the file's name, or for an export the
    /// department, the whole directory being 全部 / everyone (stored as nothing; a run stored
    /// before that says "全部 everyone").
    pub fn shown(&self) -> String {
        if self.command == Command::Export && matches!(self.file.as_str(), "" | "全部 everyone") {
            return crate::web::i18n::tr("全部", "everyone");
        }
        self.file.clone()
    }

    /// What the runs list counts of a run: its rows, but an undo's people, as its page and the
    /// command line count them (its deletes are no rows of the sheet it sends).
    pub fn total(&self, c: &Counts) -> usize {
        match self.command {
            Command::Undo => c.total + c.deleted,
            _ => c.total,
        }
    }

    /// A check that stopped to ask what the sheet's columns are (no 帐号 column, and columns
    /// bgy does not know, one of which may be it): its status is `failed`, and what the person
    /// reads is that columns are to be chosen, not that something went wrong.
    pub fn asks_columns(&self) -> bool {
        self.status == Status::Failed
            && self.missing_column
            && self.columns.as_ref().is_some_and(|c| c.questions() > 0)
    }

    /// The people a checked sheet of dates or accounts to delete would change: its valid rows
    /// whose account the directory had, when the check was online; else each valid row, at
    /// most.
    pub fn in_directory(&self) -> usize {
        self.existing.unwrap_or(self.count(|c| c.ok))
    }

    /// A new run of `command` by `who` on `file` (stored as `input`).
    pub fn new(id: &str, who: &str, command: Command, file: &str, input: &str) -> RunInfo {
        RunInfo {
            id: id.to_string(),
            started: now(),
            finished: None,
            who: who.to_string(),
            command,
            file: file.chars().take(200).collect(),
            input: input.to_string(),
            status: Status::Running,
            counts: None,
            error: None,
            stopped_by: None,
            warnings: vec![],
            notes: vec![],
            row_warnings: 0,
            failed_rows: 0,
            from: None,
            overwrite: false,
            create_departments: false,
            output: None,
            prune: false,
            leave: false,
            undoes: None,
            history_run: None,
            kind: Layout::Staff,
            by_header: false,
            remedies: Vec::new(),
            reasons: Vec::new(),
            columns: None,
            mapping: Vec::new(),
            existing: None,
            not_found: None,
            directory: None,
            sheet: None,
            missing_column: false,
        }
    }

    /// A run of the same sheet (its name, input, sheet, kind and prune) by `who`, from this one.
    pub fn next(&self, id: &str, who: &str, command: Command) -> RunInfo {
        RunInfo {
            from: Some(self.id.clone()),
            kind: self.kind,
            prune: self.prune,
            leave: self.leave,
            create_departments: self.create_departments,
            mapping: self.mapping.clone(),
            sheet: self.sheet.clone(),
            ..RunInfo::new(id, who, command, &self.file, &self.input)
        }
    }

    /// The other sheet with a header row the run named (its first sheet had none, or it read
    /// one of several), which the page offers to read instead.
    pub fn other_sheet(&self) -> Option<&str> {
        self.remedies.iter().find_map(|r| match r {
            crate::remedy::Remedy::ChooseSheet { sheet } => sheet.as_deref(),
            _ => None,
        })
    }

    /// The kind of sheet a check read as staff seemed to be instead (a sheet of dates, a
    /// 离职名单), which the page offers to check it as.
    pub fn other_kind(&self) -> Option<Layout> {
        self.remedies.iter().find_map(|r| match r {
            crate::remedy::Remedy::ChooseKind { kind } => *kind,
            _ => None,
        })
    }

    pub fn count(&self, pick: impl Fn(&Counts) -> usize) -> usize {
        self.counts.as_ref().map_or(0, pick)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only a check stopped at its header asks for its columns; a run that failed for another
    /// reason, though its sheet had a column bgy does not know, failed.
    #[test]
    fn only_a_run_stopped_at_its_header_asks_which_columns() {
        let mut info = RunInfo::new("r1", "hr", Command::Check, "花名册.xlsx", "input.xlsx");
        info.status = Status::Failed;
        info.columns = Some(crate::read::header::ColumnsSeen {
            row: 1,
            columns: vec![crate::read::header::SeenColumn {
                title: "工号".into(),
                field: None,
                unknown: true,
                guess: Some("we_userid".into()),
                ignored: false,
                unused: false,
            }],
        });
        assert!(!info.asks_columns(), "failed for another reason");
        info.missing_column = true;
        assert!(info.asks_columns());
        info.status = Status::RowsFailed;
        assert!(!info.asks_columns(), "it ran");
    }
}
