//! Benchmark: `bgy import` of 10,000 rows against the emulator with `--latency-ms 20` and
//! `--concurrency 32`. The bound is 32 / 20 ms = 1,600 rows/s; the target is ≥ 90 % of it.
//!
//! `cargo run --release --example bench_import [ROWS] [LATENCY_MS] [CONCURRENCY]` — starts the
//! emulator in-process (in-memory SQLite), writes its own input and runs the real command.

use std::time::{Duration, Instant};

use clap::Parser;

mod support;
use support::rss_mb;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let arg = |i: usize, default: u64| {
        std::env::args()
            .nth(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or(default)
    };
    let (rows, latency, concurrency) = (arg(1, 10_000) as usize, arg(2, 20), arg(3, 32));
    let store = bgy::emulator::Store::in_memory()?;
    store
        .seed(&serde_json::from_str(bgy::SAMPLE_ORG)?)
        .map_err(|r| anyhow::anyhow!(r.message))?;
    let options = bgy::emulator::Options {
        latency: Duration::from_millis(latency),
        ..Default::default()
    };
    let emu = bgy::emulator::start_local(store, options).await?;

    let dir = tempfile::tempdir()?;
    let input = dir.path().join("bench.csv");
    let mut csv = String::from("帐号,姓名,手机,部门,入职时间\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "bench{i:06},员工{i},139{i:08},办公逸/研发部/后端组,2026-01-05\n"
        ));
    }
    std::fs::write(&input, csv)?;

    let url = emu.base_url();
    let args = bgy::cli::Args::try_parse_from([
        "bgy",
        "--base-url",
        &url,
        "--ticket",
        bgy::emulator::DEFAULT_TICKET,
        "--concurrency",
        &concurrency.to_string(),
        "-q",
        "import",
        input.to_str().unwrap(),
    ])?;
    let config = bgy::config::Config::from_args(args)?;
    let before = rss_mb("VmRSS:");
    let t = Instant::now();
    let summary = bgy::run(config).await?;
    let secs = t.elapsed().as_secs_f64();
    let calls = emu.stats.calls("staff/add");
    let bound = concurrency as f64 * 1000.0 / latency as f64;
    let rate = summary.counts.created as f64 / secs;
    println!(
        "{} rows created ({calls} staff/add calls) in {secs:.2} s: {rate:.0} rows/s = {:.1}% of the bound {concurrency} / {latency} ms = {bound:.0} rows/s",
        summary.counts.created,
        100.0 * rate / bound
    );
    println!(
        "RSS before {before:.0} MB, after {:.0} MB, peak {:.0} MB (emulator included)",
        rss_mb("VmRSS:"),
        rss_mb("VmHWM:")
    );

    // Baseline: the same adds from `concurrency` bare reqwest loops, no reading, journal or
    // report: the most any client gets out of this emulator on this machine.
    let http = reqwest::Client::new();
    let endpoint = format!(
        "{url}/address/api/staff/add?ticket={}",
        bgy::emulator::DEFAULT_TICKET
    );
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let t = Instant::now();
    let loops = (0..concurrency).map(|_| {
        let (http, endpoint, next) = (http.clone(), endpoint.clone(), next.clone());
        tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= rows {
                    break;
                }
                let form = [
                    ("cover", "0".to_string()),
                    ("we_userid", format!("base{i:06}")),
                    ("we_name", format!("员工{i}")),
                    ("we_mobile", format!("138{i:08}")),
                    ("we_department", "办公逸/研发部/后端组".to_string()),
                ];
                let _ = http
                    .post(&endpoint)
                    .form(&form)
                    .send()
                    .await
                    .and_then(|r| r.error_for_status());
            }
        })
    });
    futures::future::join_all(loops).await;
    let base = rows as f64 / t.elapsed().as_secs_f64();
    println!(
        "baseline: {concurrency} bare reqwest loops reach {base:.0} rows/s against the same emulator; bgy import reaches {:.1}% of that",
        100.0 * rate / base
    );
    Ok(())
}
