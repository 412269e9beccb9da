//! Plans: what a sheet would change in the live directory, before anything is sent.
//!
//! In: a validated table and the live directory. Out: typed diffs (staff creates, updates
//! field by field, unchanged rows, prunes; department creates and renames). Never: sending,
//! or printing (the plan lines are rendered by the report and the console).

pub mod depts;
pub mod staff;

pub use staff::*;
