//! What a person can do about a refusal, a warning or a row, as a value. The stages never name
//! a flag: they say what is wrong, and attach the remedy; each front-end words it its own way
//! (the terminal as the option to add, the web console as the control on the page).

use serde::{Deserialize, Serialize};

use crate::model::Field;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "remedy", rename_all = "snake_case")]
pub enum Remedy {
    /// Read the column headed `header` as `field` (`None`: ignore it).
    MapColumn {
        header: String,
        field: Option<Field>,
    },
    /// Create the departments the sheet names that do not exist yet.
    CreateDepartments,
    /// Update the accounts that exist instead of skipping them.
    Overwrite,
    /// Go past the guard on removing many people, or restore over later changes.
    Force,
    /// Read another sheet of the workbook: `sheet`, when one is known to hold a header row.
    ChooseSheet {
        #[serde(default)]
        sheet: Option<String>,
    },
    /// Say which kind of sheet it is (staff, dates, delete, leavers): `kind`, when the header
    /// says which it seems to be.
    ChooseKind {
        #[serde(default)]
        kind: Option<crate::model::Layout>,
    },
    /// Confirm a deletion without being asked.
    Confirm,
    /// Check the ticket the run was given, and the app's address-book permissions.
    Ticket,
    /// Check the address of the server the run was pointed at.
    ServerAddress,
    /// Call the server more slowly, or later.
    SlowDown,
    /// Take a department's sub-departments too.
    Recursive,
}

/// A sentence about the sheet or the run, and what can be done about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advice {
    pub text: String,
    pub remedy: Option<Remedy>,
}

impl Advice {
    /// A sentence with nothing to do about it.
    pub fn new(text: impl Into<String>) -> Advice {
        Advice {
            text: text.into(),
            remedy: None,
        }
    }
}

/// What a run does to people its sheet does not keep: the guard and the confirmation say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Removal {
    /// `staff/delete`.
    #[default]
    Delete,
    /// 人事状态 已离职 (a sync's `--prune-mode leave`).
    MarkLeft,
}

/// The refusal of a command that would remove (or mark as leavers) more people than the
/// guard allows.
#[derive(Debug, thiserror::Error)]
pub struct Guard {
    pub removing: usize,
    pub of: usize,
    pub what: Removal,
}

impl Removal {
    /// What it does to `n` people, in English: "deleting 3 people".
    pub fn doing_en(self, n: usize) -> String {
        let people = crate::text::people(n);
        match self {
            Removal::Delete => format!("deleting {people}"),
            Removal::MarkLeft => format!("marking {people} as leavers"),
        }
    }

    /// What it does to `n` people, in Chinese.
    pub fn doing_zh(self, n: usize) -> String {
        match self {
            Removal::Delete => format!("删除 {n} 人"),
            Removal::MarkLeft => format!("把 {n} 人标记为离职"),
        }
    }
}

impl std::fmt::Display for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (n, of) = (self.removing, self.of);
        match self.what {
            Removal::Delete => write!(f, "不会删除通讯录 {of} 人中的 {n} 人 (超过 20%),什么也没有删除 (refusing to remove {n} of the {of} people in the directory, more than 20%; nothing was deleted)"),
            Removal::MarkLeft => write!(f, "不会把通讯录 {of} 人中的 {n} 人标记为已离职 (超过 20%),什么也没有改动 (refusing to mark {n} of the {of} people in the directory as leavers, more than 20%; nothing was changed)"),
        }
    }
}
