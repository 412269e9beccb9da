//! Benchmark: `bgy export` of 100,000 staff from the emulator to xlsx (target ≤ 5 s).
//!
//! `cargo run --release --example bench_export [STAFF]` — fills an in-memory emulator, then
//! runs the real command against it and prints wall time and peak memory.

use std::collections::HashMap;
use std::time::Instant;

use clap::Parser;

mod support;
use support::rss_mb;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let store = bgy::emulator::Store::in_memory()?;
    store
        .seed(&serde_json::from_str(bgy::SAMPLE_ORG)?)
        .map_err(|r| anyhow::anyhow!(r.message))?;
    let t = Instant::now();
    let people = (0..n).map(|i| {
        HashMap::from([
            ("we_userid".to_string(), format!("x{i:07}")),
            ("we_name".to_string(), format!("员工{i}")),
            ("we_mobile".to_string(), format!("139{i:08}")),
            ("we_email".to_string(), format!("x{i:07}@example.com")),
            ("we_id".to_string(), (3 + i % 25).to_string()),
            ("we_gender".to_string(), (1 + i % 2).to_string()),
            ("entry_time".to_string(), "2020-03-01".to_string()),
        ])
    });
    store
        .insert_staff(people)
        .map_err(|r| anyhow::anyhow!(r.message))?;
    println!(
        "emulator filled with {n} more staff in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let emu = bgy::emulator::start_local(store, Default::default()).await?;

    let dir = tempfile::tempdir()?;
    let out = dir.path().join("export.xlsx");
    let url = emu.base_url();
    let args = bgy::cli::Args::try_parse_from([
        "bgy",
        "--base-url",
        &url,
        "--ticket",
        bgy::emulator::DEFAULT_TICKET,
        "-q",
        "export",
        "-o",
        out.to_str().unwrap(),
    ])?;
    let before = rss_mb("VmRSS:");
    let t = Instant::now();
    let summary = bgy::run(bgy::config::Config::from_args(args)?).await?;
    println!(
        "exported {} staff to xlsx ({:.1} MB) in {:.2} s; RSS before {before:.0} MB, peak {:.0} MB (emulator included)",
        summary.counts.total,
        std::fs::metadata(&out)?.len() as f64 / 1e6,
        t.elapsed().as_secs_f64(),
        rss_mb("VmHWM:")
    );
    Ok(())
}
