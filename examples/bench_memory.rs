//! Benchmark: peak memory of every command that writes a workbook, at two directory sizes.
//!
//! `cargo build --release && cargo run --release --example bench_memory [SMALL] [LARGE]` —
//! for SMALL (default 20,000) and LARGE (default 100,000) people, fills an emulator state
//! beside the sample org, serves it with `bgy emulator` in a process of its own, and runs, each
//! in a fresh process: `export` (the directory as a workbook), `check` of that export offline
//! (its report), `sync` of the export with every 职位 changed (its report, and a history run of
//! that many changes), `history --export` of that run (the audit log), `undo` of it (the
//! workbook of what it sends), and `delete` of everyone (the backup first). It prints each command's wall time and peak memory at both sizes, and
//! how much of the peak grows with the people: the larger peak over the smaller, and the MB a
//! further 1,000 people cost.

use std::process::Command;

mod support;
use support::{measure, Figures};

const COMMANDS: [&str; 6] = [
    "export (the directory)",
    "check, offline (its report)",
    "sync, everyone updated (report)",
    "history --export (audit log)",
    "undo of that sync (its workbook)",
    "delete everyone (backup first)",
];

/// Each command of [`COMMANDS`] once, on a directory of `n` people.
fn run_all(bgy: &std::path::Path, n: usize, port: u16) -> anyhow::Result<Vec<Figures>> {
    let dir = tempfile::tempdir()?;
    let state = dir.path().join("state.sqlite");
    support::fill_directory(&state, n)?;
    let emulator = support::Emulator::start(bgy, &state, port, &[])?;
    let run = |online: bool, args: &[&str]| {
        let mut cmd = Command::new(bgy);
        cmd.current_dir(dir.path()).arg("-q");
        if online {
            cmd.args(["--base-url", &emulator.url])
                .args(["--ticket", bgy::emulator::DEFAULT_TICKET])
                .args(["--concurrency", "32"]);
        }
        measure(cmd.args(args))
    };
    let mut out = vec![run(true, &["export", "-o", "all.xlsx"])?];
    out.push(run(false, &["check", "all.xlsx"])?);
    run(true, &["export", "-o", "all.csv"])?;
    std::fs::write(
        dir.path().join("edit.csv"),
        support::retitled(&dir.path().join("all.csv"), usize::MAX, "新职位")?,
    )?;
    out.push(run(true, &["sync", "edit.csv", "--yes"])?);
    out.push(run(
        false,
        &["history", "--limit", "1", "--export", "audit.xlsx"],
    )?);
    // The sync is the history's first run.
    out.push(run(true, &["undo", "1", "--yes"])?);
    out.push(run(true, &["delete", "all.xlsx", "--yes", "--force"])?);
    let backups = std::fs::read_dir(dir.path())?
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".backup-"))
        .count();
    anyhow::ensure!(backups == 1, "the delete wrote {backups} backups");
    drop(emulator);
    Ok(out)
}

fn main() -> anyhow::Result<()> {
    support::spawn_from_a_small_process()?;
    let arg = |i: usize, default: usize| {
        std::env::args()
            .nth(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or(default)
    };
    let (small, large) = (arg(1, 20_000), arg(2, 100_000));
    let bgy = support::bgy_binary()?;
    println!("peak memory of the commands that write a workbook, {small} and {large} people");
    let a = run_all(&bgy, small, 18_431)?;
    let b = run_all(&bgy, large, 18_432)?;
    println!(
        "{:<34} {:>9} {:>9} {:>9} {:>9} {:>7} {:>9}",
        "command", "wall s", "peak MB", "wall s", "peak MB", "ratio", "MB/1,000"
    );
    for ((name, a), b) in COMMANDS.iter().zip(&a).zip(&b) {
        println!(
            "{name:<34} {:>9.2} {:>9.0} {:>9.2} {:>9.0} {:>6.2}× {:>9.2}",
            a.wall,
            a.peak_mb,
            b.wall,
            b.peak_mb,
            b.peak_mb / a.peak_mb,
            (b.peak_mb - a.peak_mb) / ((large - small) as f64 / 1000.0)
        );
    }
    Ok(())
}
