//! Benchmark: `bgy export` of 100,000 staff to xlsx (target ≤ 5 s, memory that does not grow
//! with the directory).
//!
//! `cargo build --release && cargo run --release --example bench_export [STAFF…]` — for each
//! size (default 20,000 and 100,000), fills an emulator state file, serves it with
//! `bgy emulator` in a process of its own, and runs the real `bgy export` against it; prints
//! the export process's wall time, CPU time and peak memory, so that the sizes can be compared.

use std::process::Command;
use std::time::Instant;

mod support;
use support::measure;

fn main() -> anyhow::Result<()> {
    support::spawn_from_a_small_process()?;
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![20_000, 100_000]
    } else {
        sizes
    };
    let bgy = support::bgy_binary()?;
    for (k, n) in sizes.into_iter().enumerate() {
        let dir = tempfile::tempdir()?;
        let state = dir.path().join("emulator.sqlite");
        let t = Instant::now();
        support::fill_directory(&state, n)?;
        let filled = t.elapsed().as_secs_f64();
        let emulator = support::Emulator::start(&bgy, &state, 18_700 + k as u16, &[])?;
        let out = dir.path().join("export.xlsx");
        let f = measure(
            Command::new(&bgy)
                .current_dir(dir.path())
                .args(["--base-url", &emulator.url])
                .args([
                    "--ticket",
                    bgy::emulator::DEFAULT_TICKET,
                    "-q",
                    "export",
                    "-o",
                ])
                .arg(&out),
        )?;
        println!(
            "{n} staff (+ the sample org; emulator filled in {filled:.1} s): export to xlsx ({:.1} MB) wall {:.2} s, cpu {:.2} s, peak {:.0} MB (the export process alone)",
            std::fs::metadata(&out)?.len() as f64 / 1e6,
            f.wall,
            f.cpu,
            f.peak_mb
        );
    }
    Ok(())
}
