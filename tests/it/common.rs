//! The test builder: an emulator on port 0 inside the test process, a temp dir, and the `bgy`
//! binary run against them.
// Not every test module uses every helper.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use bgy::api::{Client, ClientOptions, Ticket};
use bgy::emulator::{self, Running, Seed, Store};

pub const TICKET: &str = "T0pS3cretTicket42";

/// A small org: root, two departments, one sub-department, one read-only department.
pub fn small_seed() -> Seed {
    serde_json::from_value(serde_json::json!({
        "departments": [
            {"we_id": 1, "we_name": "办公逸", "we_parentid": 0},
            {"we_id": 2, "we_name": "研发部", "we_parentid": 1, "rank": 100},
            {"we_id": 3, "we_name": "客服部", "we_parentid": 1, "rank": 200},
            {"we_id": 4, "we_name": "后端组", "we_parentid": 2, "rank": 100},
            {"we_id": 9, "we_name": "外包", "we_parentid": 1, "rank": 300, "readonly": true}
        ],
        "staff": [
            {"we_userid": "zhangsan", "we_name": "张三", "we_mobile": "13800138000", "we_id": "2", "check_id": "1001"},
            {"we_userid": "lisi", "we_name": "李四", "we_email": "lisi@example.com", "we_id": "3,4"}
        ]
    }))
    .expect("seed")
}

/// The `i`th mobile of the people made with `prefix`: one member's each, in WeCom, so the
/// people of two prefixes never share one (a number a prefix: 4 digits, then 5 of `i`).
pub fn mobile(prefix: &str, i: usize) -> String {
    let h = prefix.bytes().fold(2166136261u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(16777619)
    });
    format!("13{:04}{:05}", h % 10_000, i % 100_000)
}

/// `n` generated people in 研发部/后端组.
pub fn people(prefix: &str, n: usize) -> Vec<HashMap<String, String>> {
    (0..n)
        .map(|i| {
            HashMap::from([
                ("we_userid".to_string(), format!("{prefix}{i:06}")),
                ("we_name".to_string(), format!("员工{i}")),
                ("we_mobile".to_string(), mobile(prefix, i)),
                (
                    "we_id".to_string(),
                    if i % 2 == 0 { "2" } else { "4" }.to_string(),
                ),
            ])
        })
        .collect()
}

pub async fn emulator_with(seed: &Seed, options: emulator::Options) -> Running {
    let store = Store::in_memory().expect("store");
    store.seed(seed).expect("seed");
    emulator::start_local(store, options)
        .await
        .expect("emulator")
}

pub async fn emulator() -> Running {
    emulator_with(
        &small_seed(),
        emulator::Options {
            ticket: TICKET.into(),
            ..Default::default()
        },
    )
    .await
}

pub fn client_for(emu: &Running, ticket: &str) -> Client {
    let mut o = ClientOptions::new(emu.base_url().parse().unwrap(), Ticket::new(ticket));
    o.backoff = std::time::Duration::from_millis(5);
    Client::new(o).expect("client")
}

/// A temp dir and a command line against an emulator.
pub struct Bgy {
    pub dir: tempfile::TempDir,
    base_url: Option<String>,
    ticket: String,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// A finished process's exit code and output.
    fn of(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Fails with the whole output unless the run exited with `code`.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON object ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

impl Bgy {
    #[must_use]
    pub fn new() -> Bgy {
        Bgy {
            dir: tempfile::tempdir().expect("tempdir"),
            base_url: None,
            ticket: TICKET.into(),
        }
    }

    #[must_use]
    pub fn against(mut self, emu: &Running) -> Bgy {
        self.base_url = Some(emu.base_url());
        self
    }

    /// Against any server by URL (a hostile one, say).
    #[must_use]
    pub fn base(mut self, url: &str) -> Bgy {
        self.base_url = Some(url.to_string());
        self
    }

    #[must_use]
    pub fn ticket(mut self, t: &str) -> Bgy {
        self.ticket = t.into();
        self
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).expect("write");
        p
    }

    /// A copy of `samples/SAMPLE` in the run's folder, named `name`.
    pub fn sample(&self, sample: &str, name: &str) -> PathBuf {
        let from = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("samples")
            .join(sample);
        let p = self.path(name);
        std::fs::copy(&from, &p).expect("copy the sample");
        p
    }

    pub fn command(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = bgy_command();
        cmd.current_dir(self.dir.path())
            .args(args)
            .env("BGY_RETRY_BASE_MS", "5")
            .env(
                "BGY_EMULATOR_STATE",
                self.dir.path().join(".bgy/emulator.sqlite"),
            );
        if let Some(url) = &self.base_url {
            cmd.env("BGY_BASE_URL", url).env("BGY_TICKET", &self.ticket);
        }
        cmd
    }

    /// Starts `bgy ARGS` in the background (to kill or interrupt it).
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        self.spawn_env(args, &[])
    }

    /// As [`Bgy::spawn`], with more environment variables.
    pub fn spawn_env(&self, args: &[&str], env: &[(&str, &str)]) -> std::process::Child {
        self.command(args)
            .envs(env.iter().copied())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("bgy starts")
    }

    /// Runs `bgy ARGS` in the temp dir (off the async runtime's threads).
    pub async fn run(&self, args: &[&str]) -> Run {
        let mut cmd = self.command(args);
        let out: Output = tokio::task::spawn_blocking(move || cmd.output().expect("bgy runs"))
            .await
            .expect("join");
        Run::of(out)
    }

    /// Runs `bgy ARGS` with `input` piped to its standard input.
    pub async fn run_piped(&self, args: &[&str], input: impl Into<Vec<u8>>) -> Run {
        let mut cmd = self.command(args);
        let input = input.into();
        let out: Output = tokio::task::spawn_blocking(move || {
            let mut child = (cmd.stdin(std::process::Stdio::piped()))
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("bgy starts");
            let mut stdin = child.stdin.take().expect("a pipe");
            let writer = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, &input));
            let out = child.wait_with_output().expect("bgy runs");
            // bgy may stop reading early (a refusal): a broken pipe is not the test's failure.
            let _ = writer.join();
            out
        })
        .await
        .expect("join");
        Run::of(out)
    }
}

/// Every file under `dir`, read as bytes, for "the ticket is nowhere" checks.
pub fn all_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                out.push((p, bytes));
            }
        }
    }
    out
}

pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// A cell for [`write_xlsx`]: text, or a number cell as Excel stores typed numbers.
#[derive(Clone, Copy)]
pub enum C<'a> {
    T(&'a str),
    N(f64),
}

/// Writes a one-sheet workbook; `""` cells are left empty.
pub fn write_xlsx(path: &Path, sheet: &str, rows: &[Vec<C>]) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet).unwrap();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            match cell {
                C::T("") => {}
                C::T(s) => {
                    ws.write_string(r as u32, c as u16, *s).unwrap();
                }
                C::N(n) => {
                    ws.write_number(r as u32, c as u16, *n).unwrap();
                }
            }
        }
    }
    wb.save(path).unwrap();
}

/// Text rows into `ws` from its row `first` (0-based), column A on.
pub fn write_rows(ws: &mut rust_xlsxwriter::Worksheet, first: u32, rows: &[&[&str]]) {
    for (r, row) in rows.iter().enumerate() {
        for (c, t) in row.iter().enumerate() {
            ws.write_string(first + r as u32, c as u16, *t).unwrap();
        }
    }
}

/// A workbook of sheets of text, each its name and its rows from A1, in order.
pub fn workbook_of(sheets: &[(&str, &[&[&str]])]) -> rust_xlsxwriter::Workbook {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        write_rows(wb.add_worksheet().set_name(*name).unwrap(), 0, rows);
    }
    wb
}

/// Text rows for [`write_xlsx`].
pub fn text_rows(rows: &[&[&'static str]]) -> Vec<Vec<C<'static>>> {
    rows.iter()
        .map(|r| r.iter().map(|s| C::T(s)).collect())
        .collect()
}

/// A sheet read back: its cells as text, row by row (numbers as integers when whole).
pub fn read_sheet(path: &Path, sheet: &str) -> Vec<Vec<String>> {
    use calamine::{Data, Reader};
    let mut wb =
        calamine::open_workbook_auto(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let range = wb
        .worksheet_range(sheet)
        .unwrap_or_else(|e| panic!("{}: sheet {sheet}: {e}", path.display()));
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

/// The column of `title` in a sheet's first row.
pub fn col(sheet: &[Vec<String>], title: &str) -> usize {
    sheet[0]
        .iter()
        .position(|t| t == title)
        .unwrap_or_else(|| panic!("no column {title:?} in {:?}", sheet[0]))
}

/// The fill colour (RGB) of a cell, if it has one.
pub fn fill(path: &Path, sheet: &str, row: u32, col: u32) -> Option<u32> {
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(path).unwrap();
    let styles = wb.worksheet_style(sheet).unwrap();
    styles
        .get((row, col))
        .and_then(|s| s.fill.as_ref())
        .filter(|f| f.is_visible())
        .and_then(|f| f.get_color())
        .map(|c| c.to_argb() & 0xFF_FFFF)
}

/// The one report workbook in `dir` (panics unless exactly one).
pub fn the_report(dir: &Path) -> PathBuf {
    let reports: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.to_string_lossy().contains(".report-") && p.extension().is_some_and(|e| e == "xlsx")
        })
        .collect();
    assert_eq!(
        reports.len(),
        1,
        "reports in {}: {reports:?}",
        dir.display()
    );
    reports.into_iter().next().unwrap()
}

/// Lines of the journals in `dir` (the head line excluded).
pub fn journal_entries(dir: &Path) -> Vec<serde_json::Value> {
    lines_of(dir, ".journal.jsonl", 1)
}

/// The calls a run killed in `dir` said it was sending (`X.sending.jsonl`).
pub fn sending_lines(dir: &Path) -> Vec<serde_json::Value> {
    lines_of(dir, ".sending.jsonl", 0)
}

fn lines_of(dir: &Path, ending: &str, head: usize) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.to_string_lossy().ends_with(ending) {
            let text = std::fs::read_to_string(&p).unwrap();
            out.extend(
                text.lines()
                    .skip(head)
                    .filter_map(|l| serde_json::from_str(l).ok()),
            );
        }
    }
    out
}

/// Waits (up to 20 s) until the journals in `dir` hold at least `n` entries.
pub async fn wait_for_journal(dir: &Path, n: usize) {
    for _ in 0..400 {
        if journal_entries(dir).len() >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the journal never reached {n} entries");
}

/// A staff CSV of `n` valid new people `{prefix}NNNN` in 研发部.
pub fn staff_csv(prefix: &str, n: usize) -> String {
    let mut s = String::from("帐号,姓名,手机,部门\n");
    for i in 0..n {
        s.push_str(&format!(
            "{prefix}{i:04},员工{i},{},办公逸/研发部\n",
            mobile(prefix, i)
        ));
    }
    s
}

/// A sheet of a workbook read back, whose cells are looked up by row and column title; a
/// failure names the sheet, the row and the column (calamine's `range_eq!` spirit).
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Vec<String>>,
}

impl Sheet {
    pub fn read(path: &Path, name: &str) -> Sheet {
        Sheet {
            name: name.to_string(),
            rows: read_sheet(path, name),
        }
    }

    /// The cell of 1-based data row `row` (the header is row 0) under `title`.
    #[track_caller]
    pub fn cell(&self, row: usize, title: &str) -> &str {
        let header = self
            .rows
            .first()
            .unwrap_or_else(|| panic!("sheet {:?} is empty", self.name));
        let c = header
            .iter()
            .position(|t| t == title)
            .unwrap_or_else(|| panic!("sheet {:?} has no column {title:?}: {header:?}", self.name));
        self.rows
            .get(row)
            .unwrap_or_else(|| {
                panic!(
                    "sheet {:?} has no row {row} ({} rows)",
                    self.name,
                    self.rows.len()
                )
            })
            .get(c)
            .map_or("", String::as_str)
    }

    /// The data row whose `title` column holds `value`.
    #[track_caller]
    pub fn row_where(&self, title: &str, value: &str) -> usize {
        (1..self.rows.len())
            .find(|&r| self.cell(r, title) == value)
            .unwrap_or_else(|| panic!("sheet {:?}: no row with {title} = {value:?}", self.name))
    }
}

/// The notes (comments) of a workbook's sheets, as the XML text of each comments part.
pub fn notes(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut all = String::new();
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).unwrap();
        if part.name().unwrap().contains("comments") {
            std::io::Read::read_to_string(&mut part, &mut all).unwrap();
        }
    }
    all
}

/// A report workbook as a person saves it after fixing its Failed sheet: `rows` (header
/// first) in 失败 Failed, beside a 汇总 Summary sheet that marks it as a report.
pub fn write_fixed_report(path: &Path, rows: &[Vec<String>]) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.add_worksheet()
        .set_name("汇总 Summary")
        .unwrap()
        .write_string(0, 0, "bgy")
        .unwrap();
    let ws = wb.add_worksheet();
    ws.set_name("失败 Failed").unwrap();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, v).unwrap();
        }
    }
    wb.save(path).unwrap();
}

/// The bgy binary, without the `BGY_…` settings of the shell the tests run in: a developer's
/// own ticket, server, history (which the tests' runs would fill) or concurrency.
pub fn bgy_command() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_bgy"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("BGY_") {
            cmd.env_remove(name);
        }
    }
    cmd
}

/// Waits, off the async runtime's threads, for a bgy started with [`Bgy::spawn`] to end, and
/// asserts it ended with `code`: its output.
pub async fn ended(child: std::process::Child, code: i32) -> Output {
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Sends Ctrl-C (SIGINT) to a running bgy and waits for it: its output. Asserts it ended
/// with 130 within 3 s.
pub async fn interrupt(child: std::process::Child) -> Output {
    signal(child, "INT").await
}

/// Sends `name` (`INT` is Ctrl-C; `TERM` is what kill, timeout and systemctl stop send) to a
/// running bgy and waits for it: its output. Asserts it ended with 130 within 3 s.
pub async fn signal(child: std::process::Child, name: &str) -> Output {
    let sent = std::time::Instant::now();
    send_signal(&child, name);
    let out = ended(child, 130).await;
    assert!(
        sent.elapsed() < std::time::Duration::from_secs(3),
        "SIG{name} took {:?}",
        sent.elapsed()
    );
    out
}

/// Sends `name` (`INT`, `TERM`) to a running process.
pub fn send_signal(child: &std::process::Child, name: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}
