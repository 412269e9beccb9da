//! One integration test binary; modules by feature.

mod common;

mod cli;
mod emulator_api;
mod faults;
