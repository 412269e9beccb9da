//! Benchmark: read + validate a 100,000-row template workbook, then write its report.
//!
//! `cargo run --release --example bench_read [ROWS]` — generates its own file in a temp dir
//! and prints wall time and peak memory (VmHWM). Targets: read + validate ≤ 1 s and
//! ≤ 300 MB on 2 cores; the report ≤ 1 s.

use std::time::Instant;

use bgy::model::StaffRecord;
use bgy::model::{Field, Layout, Outcome};

// mimalloc as the binary uses, and rss_mb.
mod support;
use support::rss_mb;

fn person(i: usize) -> StaffRecord {
    let mut v = StaffRecord::new();
    let mut set = |f: Field, s: String| v.set(f, Some(&s));
    set(Field::WeUserid, format!("user{i:06}"));
    set(Field::WeName, format!("员工{i}"));
    set(Field::WeGender, (1 + i % 2).to_string());
    set(Field::WeMobile, format!("139{i:08}"));
    set(Field::WeEmail, format!("user{i:06}@example.com"));
    set(Field::WeDepartment, format!("办公逸/研发部/组{}", i % 50));
    set(Field::WePosition, "工程师".into());
    set(Field::Status, (i % 4).to_string());
    set(
        Field::EntryTime,
        format!("20{:02}-{:02}-{:02}", 10 + i % 15, 1 + i % 12, 1 + i % 28),
    );
    set(Field::WorkTime, "2010-07-01".into());
    set(Field::CheckId, (100_000 + i).to_string());
    set(Field::BankCard, format!("62220202{i:011}"));
    set(Field::Address, "北京市海淀区中关村大街 1 号".into());
    v
}

fn main() -> anyhow::Result<()> {
    let rows: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("big.xlsx");
    let t = Instant::now();
    bgy::write::write_people(
        &path,
        Layout::Staff,
        Field::ALL,
        (0..rows).map(person),
        None,
    )?;
    let size = std::fs::metadata(&path)?.len();
    println!(
        "generated {rows} rows ({:.1} MB) in {:.2} s",
        size as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let before = rss_mb("VmHWM:");

    // What the commands do: one thread reads, the other validates as rows arrive.
    let t = Instant::now();
    let table = bgy::validate::load(&path, None, Layout::Staff)?;
    let total = t.elapsed();
    let valid = table.valid_rows().count();
    println!(
        "read + validate: {:.3} s for {} rows ({valid} valid); peak RSS {:.0} MB (generator left {:.0} MB)",
        total.as_secs_f64(),
        table.rows.len(),
        rss_mb("VmHWM:"),
        before
    );
    // The stages alone, for profiling.
    let t = Instant::now();
    let sheet = bgy::read::read_sheet(&path, None)?;
    let read = t.elapsed();
    drop(bgy::validate::from_sheet(&path, sheet, Layout::Staff)?);
    println!(
        "  (read alone {:.3} s, validate alone {:.3} s)",
        read.as_secs_f64(),
        (t.elapsed() - read).as_secs_f64()
    );

    let outcomes: Vec<Outcome> = table.rows.iter().map(|_| Outcome::Created).collect();
    let t = Instant::now();
    let now = bgy::model::now();
    bgy::report::Report {
        command: bgy::model::Command::Import,
        input: table.path.display().to_string(),
        server: "bench",
        table: &table,
        outcomes: &outcomes,
        counts: &bgy::outcome::Counts::of(&outcomes),
        started: now,
        finished: now,
        stopped: None,
        plan: None,
        reasons: &bgy::outcome::reasons(&table, &outcomes),
    }
    .write(&dir.path().join("big.report.xlsx"))?;
    println!(
        "report for {} rows written in {:.3} s; peak RSS {:.0} MB",
        table.rows.len(),
        t.elapsed().as_secs_f64(),
        rss_mb("VmHWM:")
    );
    Ok(())
}
