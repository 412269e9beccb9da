//! Benchmark: every command near its own floor, at directory scale.
//!
//! `cargo build --release && cargo run --release --example bench_scale [STAFF] [ROUNDS] [K]` —
//! fills an emulator state with STAFF people (default 100,000) beside the sample org, serves it
//! with `bgy emulator --latency-ms 20` in a process of its own, exports the directory (its own
//! export is the sheet, so a plan of it changes nothing), then runs each command ROUNDS times
//! (default 3), alternately, each in a fresh process with `--concurrency 32`, and prints
//! medians of wall time and peak memory, and each ratio against its floor, both as a ratio of
//! medians and as the median of each round's own ratio (the steadier on a VM whose speed
//! drifts over a run):
//!
//! - `sync` of the export (0 changes) against `plan` of it: target ≤ 1.15× wall and memory;
//! - `sync` of a sheet with K updates (default 1,000) against `plan` of the same sheet: the
//!   extra wall against K at the sending bound (K / (32 / 20 ms)), target ≤ 1.15×, and
//!   against the same K calls sent alone from this process (what this machine and the
//!   emulator, on the same cores, allow);
//! - `plan`, `import --dry-run` and `check` online against the larger of the listing alone
//!   (in this process) and the offline check of the same file: target ≤ 1.2×;
//! - the same for `check` online of a sheet of newcomers (the export's people under other
//!   accounts and mobiles, no e-mails: what HR checks before an import), against its own
//!   offline check.

use std::process::Command;
use std::time::{Duration, Instant};

mod support;
use support::{measure, median, paired, Figures};

const CONCURRENCY: &str = "32";
const LATENCY_MS: u64 = 20;

struct Bench {
    bgy: std::path::PathBuf,
    dir: std::path::PathBuf,
    url: String,
}

impl Bench {
    /// `bgy ARGS` against the emulator (or offline), in a fresh process.
    fn run(&self, online: bool, args: &[&str]) -> anyhow::Result<Figures> {
        let mut cmd = Command::new(&self.bgy);
        cmd.current_dir(&self.dir);
        if online {
            cmd.args(["--base-url", &self.url])
                .args(["--ticket", bgy::emulator::DEFAULT_TICKET])
                .args(["--concurrency", CONCURRENCY]);
        }
        measure(cmd.arg("-q").args(args))
    }
}

/// A client as a run makes one, `--concurrency 32`.
fn client(url: &str) -> anyhow::Result<bgy::api::Client> {
    let mut o = bgy::api::ClientOptions::new(
        url.parse()?,
        bgy::api::Ticket::new(bgy::emulator::DEFAULT_TICKET),
    );
    o.concurrency = 32;
    Ok(bgy::api::Client::new(o)?)
}

/// The listing alone: every department and person, as a run lists them, in this process.
fn listing(url: &str) -> anyhow::Result<f64> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let client = client(url)?;
        let events = bgy::events::Collect::default();
        let t = Instant::now();
        let live = bgy::live::Live::fetch(&client, &events).await?;
        anyhow::ensure!(live.complete, "the listing came back incomplete");
        Ok(t.elapsed().as_secs_f64())
    })
}

/// The sending alone: `k` people's `staff/add` (cover=1, each their whole record as listed:
/// the server writes them as a sync's updates), as many in flight as a sync has, in this
/// process, with no sheet, report, journal or history. What this machine sends in, with the
/// emulator on the same cores; the sending bound leaves the server's own time out.
fn sending(url: &str, k: usize) -> anyhow::Result<f64> {
    use futures::StreamExt;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let client = client(url)?;
        let live = bgy::live::Live::fetch(&client, &bgy::events::Collect::default()).await?;
        let forms: Vec<_> = live
            .staff
            .iter()
            .take(k)
            .map(|person| {
                let mut form = person.to_form();
                form.push(("cover".into(), "1".into()));
                form
            })
            .collect();
        let t = Instant::now();
        let errors: Vec<String> = futures::stream::iter(forms)
            .map(|form| client.add_staff(form))
            .buffer_unordered(client.concurrency() * 2)
            .filter_map(|reply| async move {
                match reply {
                    Ok(r) if r.errno == 0 => None,
                    Ok(r) => Some(format!("{} {}", r.errno, r.errmsg)),
                    Err(e) => Some(e.to_string()),
                }
            })
            .collect()
            .await;
        let wall = t.elapsed().as_secs_f64();
        anyhow::ensure!(errors.is_empty(), "staff/add failed: {errors:?}");
        Ok(wall)
    })
}

#[derive(Default)]
struct Series {
    name: &'static str,
    wall: Vec<f64>,
    cpu: Vec<f64>,
    peak: Vec<f64>,
}

impl Series {
    fn add(&mut self, f: Figures) {
        self.wall.push(f.wall);
        self.cpu.push(f.cpu);
        self.peak.push(f.peak_mb);
    }

    fn wall(&self) -> f64 {
        median(self.wall.clone())
    }

    fn peak(&self) -> f64 {
        median(self.peak.clone())
    }

    fn print(&self) {
        println!(
            "  {:<34} wall {:>6.2} s (runs {})  cpu {:>5.2} s  peak {:>5.0} MB",
            self.name,
            self.wall(),
            self.wall
                .iter()
                .map(|w| format!("{w:.2}"))
                .collect::<Vec<_>>()
                .join(" "),
            median(self.cpu.clone()),
            self.peak()
        );
    }
}

fn main() -> anyhow::Result<()> {
    support::spawn_from_a_small_process()?;
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let staff = args.first().copied().unwrap_or(100_000);
    let rounds = args.get(1).copied().unwrap_or(3);
    let k = args.get(2).copied().unwrap_or(1_000);
    let bgy = support::bgy_binary()?;
    let tmp = tempfile::tempdir()?;
    let state = tmp.path().join("emulator.sqlite");
    support::fill_directory(&state, staff)?;
    let latency = LATENCY_MS.to_string();
    let emulator =
        support::Emulator::start(&bgy, &state, 18_790, &["--latency-ms", latency.as_str()])?;
    let b = Bench {
        bgy,
        dir: tmp.path().to_path_buf(),
        url: emulator.url.clone(),
    };
    b.run(true, &["export", "-o", "all.xlsx"])?;
    b.run(true, &["export", "-o", "all.csv"])?;
    std::fs::write(
        tmp.path().join("a.csv"),
        support::retitled(&tmp.path().join("all.csv"), k, "甲岗")?,
    )?;
    std::fs::write(
        tmp.path().join("b.csv"),
        support::retitled(&tmp.path().join("all.csv"), k, "乙岗")?,
    )?;
    std::fs::write(
        tmp.path().join("new.csv"),
        newcomers(&tmp.path().join("all.csv"))?,
    )?;
    let mut s: Vec<Series> = [
        "plan all.xlsx (0 changes)",
        "sync all.xlsx (0 changes)",
        "plan edit.csv (k updates)",
        "sync edit.csv (k updates)",
        "import all.xlsx --dry-run",
        "check all.xlsx (online)",
        "check all.xlsx (offline)",
        "check new.csv (online)",
        "check new.csv (offline)",
    ]
    .into_iter()
    .map(|name| Series {
        name,
        ..Series::default()
    })
    .collect();
    let mut listed = Vec::new();
    let mut sent = Vec::new();
    for round in 0..rounds {
        // Each round's edit sets a title the directory does not have, so its sync has k
        // updates to send.
        let edit = if round % 2 == 0 { "a.csv" } else { "b.csv" };
        s[0].add(b.run(true, &["plan", "all.xlsx"])?);
        s[1].add(b.run(true, &["sync", "all.xlsx", "--yes"])?);
        s[2].add(b.run(true, &["plan", edit])?);
        s[3].add(b.run(true, &["sync", edit, "--yes"])?);
        // Back to the export, untimed: the next round's sync of all.xlsx must find nothing
        // to change (it sent the k updates back, timed as "0 changes", until 2026-11-29).
        b.run(true, &["sync", "all.xlsx", "--yes"])?;
        sent.push(sending(&emulator.url, k)?);
        // The emulator keeps its listing's pages until the directory changes: the syncs just
        // changed it, and the next command would otherwise also time the emulator rebuilding
        // them (its own CPU, on the same two cores), which the listing alone never pays.
        listing(&emulator.url)?;
        s[4].add(b.run(true, &["import", "all.xlsx", "--dry-run"])?);
        s[5].add(b.run(true, &["check", "all.xlsx"])?);
        s[6].add(b.run(false, &["check", "all.xlsx"])?);
        s[7].add(b.run(true, &["check", "new.csv"])?);
        s[8].add(b.run(false, &["check", "new.csv"])?);
        listed.push(listing(&emulator.url)?);
        std::thread::sleep(Duration::from_millis(200));
    }
    // Each round's floor for the online commands: the larger of its listing and its offline
    // check (of the export, and of the newcomers).
    let floors = |offline: &Series| -> Vec<f64> {
        listed
            .iter()
            .zip(&offline.wall)
            .map(|(l, o)| l.max(*o))
            .collect()
    };
    let (floor_export, floor_new) = (floors(&s[6]), floors(&s[8]));
    let listing = median(listed);
    let sent = median(sent);
    println!(
        "{staff} staff (+ the sample org), emulator --latency-ms {LATENCY_MS}, --concurrency {CONCURRENCY}, medians of {rounds}:"
    );
    for series in &s {
        series.print();
    }
    println!(
        "  {:<34} wall {listing:>6.2} s",
        "the listing alone (in process)"
    );
    println!(
        "  {:<34} wall {sent:>6.2} s",
        format!("{k} staff/add alone (in process)")
    );
    let bound = k as f64 * LATENCY_MS as f64 / 1000.0 / 32.0;
    println!("ratios:");
    println!(
        "  sync/plan, 0 changes: wall {:.2}×, peak {:.2}× (target ≤ 1.15×); each round's own: {:.2}×, {:.2}×",
        s[1].wall() / s[0].wall(),
        s[1].peak() / s[0].peak(),
        paired(&s[1].wall, &s[0].wall),
        paired(&s[1].peak, &s[0].peak)
    );
    println!(
        "  sync − plan, {k} updates: {:.2} s against {bound:.2} s at the sending bound = {:.2}× (target ≤ 1.15×); each round's own: {:.2}×",
        s[3].wall() - s[2].wall(),
        (s[3].wall() - s[2].wall()) / bound,
        median(s[3].wall.iter().zip(&s[2].wall).map(|(a, b)| (a - b) / bound).collect())
    );
    println!(
        "    the same against the {k} calls alone on this machine: {:.2} / {sent:.2} = {:.2}×",
        s[3].wall() - s[2].wall(),
        (s[3].wall() - s[2].wall()) / sent
    );
    let floor = listing.max(s[6].wall());
    for (i, what) in [(0, "plan"), (4, "import --dry-run"), (5, "check online")] {
        println!(
            "  {what} / max(listing, offline check) = {:.2} / {floor:.2} = {:.2}× (target ≤ 1.2×); each round's own: {:.2}×",
            s[i].wall(),
            s[i].wall() / floor,
            paired(&s[i].wall, &floor_export)
        );
    }
    let floor = listing.max(s[8].wall());
    println!(
        "  check online of newcomers / max(listing, its offline check) = {:.2} / {floor:.2} = {:.2}× (target ≤ 1.2×); each round's own: {:.2}×",
        s[7].wall(),
        s[7].wall() / floor,
        paired(&s[7].wall, &floor_new)
    );
    Ok(())
}

/// The export's people as newcomers: each account and mobile one the directory does not have,
/// no e-mail (the directory has theirs), so that every row is valid and new.
fn newcomers(all_csv: &std::path::Path) -> anyhow::Result<String> {
    let mut reader = csv::Reader::from_path(all_csv)?;
    let headers = reader.headers()?.clone();
    let column = |title: &str| {
        headers
            .iter()
            .position(|h| h.trim_end_matches('*') == title)
            .ok_or_else(|| anyhow::anyhow!("no {title} column in the export"))
    };
    let (account, mobile, email) = (column("帐号")?, column("手机")?, column("邮箱")?);
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(&headers)?;
    for (i, record) in reader.records().enumerate() {
        let mut record: Vec<String> = record?.iter().map(str::to_string).collect();
        record[account] = format!("n{}", record[account]);
        record[mobile] = format!("170{i:08}");
        record[email].clear();
        out.write_record(&record)?;
    }
    Ok(String::from_utf8(out.into_inner()?)?)
}
