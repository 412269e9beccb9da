//! One integration test binary; modules by feature.

mod common;

mod check;
mod cli;
mod emulator_api;
mod faults;
mod read_fuzz;
