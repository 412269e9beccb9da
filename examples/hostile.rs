//! Peak memory and time of `bgy check` on hostile files: zip bombs, a repeated-cell bomb, a
//! sheet just under the part limit that is all text, cells past Excel's grid, too many rows, a
//! stray CSV quote. Each must be refused with exit 2 within seconds and under 1 GiB.
//!
//! `cargo run --release --example hostile [DIR]` — makes the files in DIR (default: a folder in
//! the temp dir; made once, then reused), then checks each in a fresh process (this program,
//! started again with `--one FILE`, which runs the same `bgy::run` as the binary) and prints
//! one row a file: its size, the exit code, the wall time and the process's peak memory
//! (VmHWM).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Parser;

mod support;
use support::rss_mb;
use support::workbooks::{header_row, ods_bytes, row, xlsx};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--one") {
        return one(&args[2]);
    }
    let dir = args
        .get(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("bgy-hostile"));
    std::fs::create_dir_all(&dir)?;
    let files = make_files(&dir)?;
    println!(
        "{:<22} {:>12} {:>5} {:>8} {:>10}  what bgy said",
        "file", "bytes", "exit", "wall s", "peak MB"
    );
    for file in files {
        let started = Instant::now();
        let out = std::process::Command::new(std::env::current_exe()?)
            .arg("--one")
            .arg(&file)
            .output()?;
        let wall = started.elapsed().as_secs_f64();
        let text = String::from_utf8_lossy(&out.stdout);
        let (code, peak, said) = match text.lines().find_map(|l| l.strip_prefix("RESULT ")) {
            Some(r) => {
                let mut parts = r.splitn(3, ' ');
                (
                    parts.next().unwrap_or("?").to_string(),
                    parts.next().unwrap_or("?").to_string(),
                    parts.next().unwrap_or("").to_string(),
                )
            }
            None => ("killed".into(), "?".into(), format!("{:?}", out.status)),
        };
        println!(
            "{:<22} {:>12} {:>5} {:>8.2} {:>10}  {}",
            file.file_name().unwrap_or_default().to_string_lossy(),
            std::fs::metadata(&file)?.len(),
            code,
            wall,
            peak,
            said.chars().take(110).collect::<String>()
        );
    }
    Ok(())
}

/// Runs `bgy -q check FILE` in this process and prints `RESULT exit peak_mb message`.
fn one(file: &str) -> anyhow::Result<()> {
    let args = bgy::cli::Args::try_parse_from(["bgy", "-q", "check", file])?;
    let config = bgy::config::Config::from_args(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let (code, said) = match runtime.block_on(bgy::run(config)) {
        Ok(summary) => (
            summary.status.exit_code(),
            format!("{} rows", summary.counts.total),
        ),
        Err(e) => (bgy::error_exit_code(&e), format!("{e:#}")),
    };
    println!(
        "RESULT {code} {:.0} {}",
        rss_mb("VmHWM:"),
        said.replace('\n', " ")
    );
    runtime.shutdown_background();
    Ok(())
}

/// The hostile files, made unless they are there already.
fn make_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut make = |name: &str, write: &dyn Fn(&Path) -> anyhow::Result<()>| {
        let path = dir.join(name);
        if !path.exists() {
            eprintln!("making {}", path.display());
            let partial = path.with_extension("partial");
            write(&partial)?;
            std::fs::rename(&partial, &path)?;
        }
        files.push(path);
        anyhow::Ok(())
    };
    // 3 GiB of rows in one sheet part: a 9 MB-class zip bomb.
    make("sheet-bomb.xlsx", &|p| {
        let text = "x".repeat(1000);
        let mut sheet = |w: &mut dyn Write| {
            w.write_all(header_row().as_bytes())?;
            let mut written = 0u64;
            let mut r = 2u32;
            while written < 3 << 30 {
                let line = format!(
                    r#"<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{text}</t></is></c></row>"#
                );
                w.write_all(line.as_bytes())?;
                written += line.len() as u64;
                r = r % 1_000_000 + 2;
            }
            Ok(())
        };
        xlsx(std::fs::File::create(p)?, &mut sheet, None)?;
        Ok(())
    })?;
    // One shared string of 2 GiB.
    make("sst-bomb.xlsx", &|p| {
        let mut sheet = |w: &mut dyn Write| {
            w.write_all(header_row().as_bytes())?;
            w.write_all(br#"<row r="2"><c r="A2" t="s"><v>0</v></c></row>"#)
        };
        let chunk = "x".repeat(1 << 20);
        let mut shared = |w: &mut dyn Write| {
            w.write_all(b"<si><t>")?;
            for _ in 0..2048 {
                w.write_all(chunk.as_bytes())?;
            }
            w.write_all(b"</t></si>")
        };
        xlsx(std::fs::File::create(p)?, &mut sheet, Some(&mut shared))?;
        Ok(())
    })?;
    // One cell repeated over every row and column of a sheet, in a few hundred bytes.
    make("repeat-bomb.ods", &|p| {
        let table = r#"<table:table table:name="炸弹"><table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row></table:table>"#;
        std::fs::write(p, ods_bytes(table))?;
        Ok(())
    })?;
    // Cells with a value and no type (a number to calamine), repeated: the same grid as a
    // cell with its type, under a count that once looked at the type alone.
    make("typeless-bomb.ods", &|p| {
        let table = r#"<table:table table:name="炸弹"><table:table-row table:number-rows-repeated="6000"><table:table-cell table:number-columns-repeated="16000" office:value="1"/></table:table-row></table:table>"#;
        std::fs::write(p, ods_bytes(table))?;
        Ok(())
    })?;
    // Just under the sheet part's limit, and all text: the most a sheet can make bgy hold.
    make("text-heavy.xlsx", &|p| {
        let name = "长".repeat(150);
        let mut sheet = |w: &mut dyn Write| {
            w.write_all(header_row().as_bytes())?;
            for r in 2..=700_000u32 {
                let account = format!("u{r}");
                w.write_all(row(r, &[&account, &name, "13800000000", "办公逸"]).as_bytes())?;
            }
            Ok(())
        };
        xlsx(std::fs::File::create(p)?, &mut sheet, None)?;
        Ok(())
    })?;
    // A cell past the last row.
    make("far-cell.xlsx", &|p| {
        let mut sheet = |w: &mut dyn Write| {
            w.write_all(header_row().as_bytes())?;
            w.write_all(row(5_000_000, &["x"]).as_bytes())
        };
        xlsx(std::fs::File::create(p)?, &mut sheet, None)?;
        Ok(())
    })?;
    // More rows than Excel has.
    make("too-many-rows.csv", &|p| {
        let mut w = std::io::BufWriter::new(std::fs::File::create(p)?);
        writeln!(w, "帐号,姓名,手机,部门")?;
        for i in 0..1_100_000u32 {
            writeln!(w, "u{i},员工,138{i:08},办公逸")?;
        }
        w.flush()?;
        Ok(())
    })?;
    // A stray quote on line 3 of 200,000.
    make("stray-quote.csv", &|p| {
        let mut w = std::io::BufWriter::new(std::fs::File::create(p)?);
        writeln!(w, "帐号,姓名,手机,部门")?;
        writeln!(w, "q1,张三,13800000001,办公逸")?;
        writeln!(w, "q2,\"李四,13800000002,办公逸")?;
        for i in 3..200_000u32 {
            writeln!(w, "q{i},员工,138{i:08},办公逸")?;
        }
        w.flush()?;
        Ok(())
    })?;
    Ok(files)
}
