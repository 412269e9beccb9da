//! One integration test binary; modules by feature.

mod common;

mod browser;
mod check;
mod cli;
mod cli_edges;
mod console_access;
mod console_hr;
mod console_runs;
mod departments;
mod emulator_api;
mod export_plan;
mod faults;
mod history;
mod hostile;
mod hostile_files;
mod hr_sheets;
mod import;
mod leave;
mod read_fuzz;
mod runs;
mod signals;
mod snapshots;
mod times_delete;
mod unattended;
mod web;

// The minimal workbooks examples/hostile.rs makes, for the same hostile files.
#[path = "../../examples/support/workbooks.rs"]
mod workbooks;
