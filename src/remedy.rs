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
    /// Read another sheet of the workbook.
    ChooseSheet,
    /// Say which kind of sheet it is (staff, dates, delete).
    ChooseKind,
    /// Confirm a deletion without being asked.
    Confirm,
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

/// The refusal of a command that would remove more people than the guard allows.
#[derive(Debug, thiserror::Error)]
#[error("不会删除通讯录 {of} 人中的 {removing} 人 (超过 20%),什么也没有删除 (refusing to remove {removing} of the {of} people in the directory, more than 20%; nothing was deleted)")]
pub struct Guard {
    pub removing: usize,
    pub of: usize,
}
