//! Benchmark: the web console under load.
//!
//! `cargo build --release && cargo run --release --example bench_console [ROWS] [ROUNDS]` —
//! makes the 100,000-row template `bench_check` uses (`target/bench/check-ROWS.xlsx`, once),
//! starts `bgy serve` in a process of its own (offline, as the command line's check below),
//! signs in, and ROUNDS times (default 3), alternately:
//!
//! - uploads the file to the console's check and waits until its page shows the summary,
//!   while another client asks for the home page and the runs page every 50 ms;
//! - runs `bgy check` of the same file in a fresh process.
//!
//! It prints the medians of both, their ratio (target: upload to summary ≤ 1.3× the command
//! line), and the answer times of the two pages while the checks ran, against the same pages
//! asked when nothing ran (target: ≤ 200 ms at the 95th percentile).

use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod support;
use support::{measure, median};

/// `bgy serve` in a folder of its own, killed when dropped: its address and sign-in token.
struct Serve {
    child: std::process::Child,
    base: String,
    token: String,
}

impl Serve {
    fn start(bgy: &Path, dir: &Path) -> anyhow::Result<Serve> {
        let mut child = Command::new(bgy)
            .current_dir(dir)
            .args(["serve", "--listen", "127.0.0.1:0", "--data", "runs"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let stderr = child
            .stderr
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stderr"))?;
        let mut lines = std::io::BufReader::new(stderr).lines();
        let line = lines
            .next()
            .ok_or_else(|| anyhow::anyhow!("bgy serve printed nothing"))??;
        // Read the rest, so that the console never waits on a full pipe.
        std::thread::spawn(move || lines.map_while(Result::ok).for_each(drop));
        let url = line
            .strip_prefix("bgy serve: ")
            .ok_or_else(|| anyhow::anyhow!("not the start line: {line}"))?;
        let (base, token) = url
            .split_once("/?token=")
            .ok_or_else(|| anyhow::anyhow!("no sign-in token in {url}"))?;
        Ok(Serve {
            child,
            base: base.to_string(),
            token: token.to_string(),
        })
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The text after `marker` up to the next `"`.
fn attr_after(html: &str, marker: &str) -> Option<String> {
    let at = html.find(marker)? + marker.len();
    Some(html[at..].split('"').next()?.to_string())
}

/// Uploads `bytes` for a check and waits until the run's page shows its summary, which must
/// count all `rows`: seconds.
async fn upload_and_wait(
    http: &reqwest::Client,
    base: &str,
    csrf: &str,
    bytes: Vec<u8>,
    rows: u32,
) -> anyhow::Result<f64> {
    let t = Instant::now();
    let form = reqwest::multipart::Form::new()
        .text("kind", "staff")
        .text("csrf", csrf.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("all.xlsx"),
        );
    let r = http
        .post(format!("{base}/check"))
        .multipart(form)
        .send()
        .await?;
    let run = r.url().path().to_string();
    anyhow::ensure!(run.starts_with("/runs/"), "the upload led to {run}");
    loop {
        let html = http
            .get(format!("{base}{run}"))
            .send()
            .await?
            .text()
            .await?;
        if html.contains("data-testid=\"summary\"") && !html.contains("data-testid=\"progress\"") {
            let secs = t.elapsed().as_secs_f64();
            anyhow::ensure!(
                html.contains(&format!(">{rows}<")),
                "{run}'s summary does not count {rows} rows"
            );
            return Ok(secs);
        }
        anyhow::ensure!(t.elapsed() < Duration::from_secs(300), "{run} never ended");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Asks for `/` and `/runs` every 50 ms until `stop`: each answer's milliseconds by page.
async fn probe(
    http: reqwest::Client,
    base: String,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<[Vec<f64>; 2]> {
    let mut times = [Vec::new(), Vec::new()];
    while !stop.load(Ordering::Relaxed) {
        for (i, page) in ["/", "/runs"].iter().enumerate() {
            let t = Instant::now();
            let r = http.get(format!("{base}{page}")).send().await?;
            anyhow::ensure!(r.status() == 200, "{page}: {}", r.status());
            r.bytes().await?;
            times[i].push(t.elapsed().as_secs_f64() * 1000.0);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(times)
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn print_pages(label: &str, times: &[Vec<f64>; 2]) {
    for (page, t) in ["/", "/runs"].iter().zip(times) {
        println!(
            "  {label} {page:<6} {:>4} answers: median {:>6.1} ms, p95 {:>6.1} ms, max {:>6.1} ms",
            t.len(),
            percentile(t.clone(), 0.5),
            percentile(t.clone(), 0.95),
            percentile(t.clone(), 1.0)
        );
    }
}

fn main() -> anyhow::Result<()> {
    if let Some(made) = support::make_if_asked() {
        return made;
    }
    support::spawn_from_a_small_process()?;
    let mut args = std::env::args().skip(1);
    let rows: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3).max(1);
    let bgy = support::bgy_binary()?;
    let file = support::template_file(rows)?;
    let bytes = std::fs::read(&file)?;
    let work = tempfile::tempdir()?;
    std::fs::copy(&file, work.path().join("all.xlsx"))?;
    let serve = Serve::start(&bgy, work.path())?;
    let runtime = tokio::runtime::Runtime::new()?;
    let http = reqwest::Client::builder().cookie_store(true).build()?;
    let base = serve.base.clone();
    let csrf = runtime.block_on(async {
        let home = http
            .get(format!("{base}/?token={}", serve.token))
            .send()
            .await?
            .text()
            .await?;
        attr_after(&home, "name=\"csrf\" value=\"")
            .ok_or_else(|| anyhow::anyhow!("no csrf field on the home page"))
    })?;

    // The pages when nothing runs.
    let idle = runtime.block_on(async {
        let stop = Arc::new(AtomicBool::new(false));
        let probing = tokio::spawn(probe(http.clone(), base.clone(), stop.clone()));
        tokio::time::sleep(Duration::from_secs(3)).await;
        stop.store(true, Ordering::Relaxed);
        probing.await?
    })?;

    let (mut console, mut cli) = (Vec::new(), Vec::new());
    let mut loaded: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for _ in 0..rounds {
        let (secs, times) = runtime.block_on(async {
            let stop = Arc::new(AtomicBool::new(false));
            let probing = tokio::spawn(probe(http.clone(), base.clone(), stop.clone()));
            let secs = upload_and_wait(&http, &base, &csrf, bytes.clone(), rows).await;
            stop.store(true, Ordering::Relaxed);
            let times = probing.await?;
            anyhow::Ok((secs?, times?))
        })?;
        console.push(secs);
        for (all, t) in loaded.iter_mut().zip(times) {
            all.extend(t);
        }
        let f = measure(
            Command::new(&bgy)
                .current_dir(work.path())
                .args(["-q", "check", "all.xlsx"]),
        )?;
        cli.push(f.wall);
    }
    let (console, cli) = (median(console), median(cli));
    println!("{rows} rows, {rounds} rounds, alternately; medians:");
    println!("  console: upload to the check's summary  {console:.2} s");
    println!("  command line: bgy check                 {cli:.2} s");
    println!(
        "  console / command line                  {:.2}× (target ≤ 1.3×)",
        console / cli
    );
    println!("pages while the console checked (target: p95 ≤ 200 ms):");
    print_pages("busy", &loaded);
    print_pages("idle", &idle);
    drop(serve);
    Ok(())
}
