//! What the benchmarks share: the allocator the binary uses, and memory figures.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A memory figure of this process from `/proc/self/status`, in MB: `"VmRSS:"` now,
/// `"VmHWM:"` the peak. NaN where there is no /proc.
#[allow(dead_code)] // not every benchmark reads its own memory
pub fn rss_mb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// One run of a child process: wall seconds, CPU seconds (user + system), peak resident MB.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
#[allow(dead_code)] // not every benchmark runs children
pub struct Figures {
    pub wall: f64,
    pub cpu: f64,
    pub peak_mb: f64,
}

/// The argument that makes a benchmark's binary the small process its commands are run from.
const LAUNCHER: &str = "--launch-commands";

/// The small process commands are run from, once started: its stdin takes a command a line
/// (JSON), its stdout gives back a line: its figures and exit code, or why it did not run.
static SMALL: std::sync::OnceLock<std::sync::Mutex<Small>> = std::sync::OnceLock::new();

struct Small {
    _child: std::process::Child,
    to: std::process::ChildStdin,
    from: std::io::BufReader<std::process::ChildStdout>,
}

/// A command sent to the small process.
#[derive(serde::Serialize, serde::Deserialize)]
struct Launch {
    program: String,
    args: Vec<String>,
    cwd: Option<String>,
    env: Vec<(String, Option<String>)>,
}

/// What comes back from the small process.
type Landed = Result<(Figures, i32), String>;

/// The first thing a benchmark's `main` calls: from then on [`measure`] runs each command from
/// a small process of its own (this binary again, started before the benchmark grows). Linux
/// gives a child, as its peak memory, the resident size of the process it was spawned from
/// when that was higher (the high-water mark is carried over at `exec`): a benchmark holding
/// 100,000 people would have had every command it ran peak at least as high as itself. In that
/// small process this call never returns.
#[allow(dead_code)]
pub fn spawn_from_a_small_process() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some(LAUNCHER) {
        std::process::exit(match launch_each() {
            Ok(()) => 0,
            Err(_) => 2,
        });
    }
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .arg(LAUNCHER)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let (Some(to), Some(from)) = (child.stdin.take(), child.stdout.take()) else {
        anyhow::bail!("the small process has no pipes");
    };
    let small = Small {
        _child: child,
        to,
        from: std::io::BufReader::new(from),
    };
    // Set once; a second call keeps the first.
    let _ = SMALL.set(std::sync::Mutex::new(small));
    Ok(())
}

/// The small process: runs each command it is given, answers with its figures.
fn launch_each() -> anyhow::Result<()> {
    use std::io::{BufRead, Write};
    let mut out = std::io::stdout().lock();
    for line in std::io::stdin().lock().lines() {
        let launch: Launch = serde_json::from_str(&line?)?;
        let mut cmd = std::process::Command::new(&launch.program);
        cmd.args(&launch.args);
        if let Some(dir) = &launch.cwd {
            cmd.current_dir(dir);
        }
        for (key, value) in &launch.env {
            match value {
                Some(v) => cmd.env(key, v),
                None => cmd.env_remove(key),
            };
        }
        let landed: Landed = run(&mut cmd).map_err(|e| e.to_string());
        writeln!(out, "{}", serde_json::to_string(&landed)?)?;
        out.flush()?;
    }
    Ok(())
}

/// Runs `cmd` to the end (exit 0 or 1) and reads its own CPU time and peak memory (wait4),
/// from the small process when [`spawn_from_a_small_process`] started it.
#[allow(dead_code)]
pub fn measure(cmd: &mut std::process::Command) -> anyhow::Result<Figures> {
    let (figures, exit) = match SMALL.get() {
        Some(small) => {
            let mut small = small.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
            launch(&mut small, cmd)?
        }
        None => run(cmd)?,
    };
    anyhow::ensure!((0..=1).contains(&exit), "{cmd:?} exited with {exit}");
    Ok(figures)
}

/// `cmd` run by the small process.
fn launch(small: &mut Small, cmd: &std::process::Command) -> anyhow::Result<(Figures, i32)> {
    use std::io::{BufRead, Write};
    let text = |s: &std::ffi::OsStr| s.to_string_lossy().into_owned();
    let launch = Launch {
        program: text(cmd.get_program()),
        args: cmd.get_args().map(text).collect(),
        cwd: cmd.get_current_dir().map(|d| text(d.as_os_str())),
        env: cmd
            .get_envs()
            .map(|(k, v)| (text(k), v.map(text)))
            .collect(),
    };
    writeln!(small.to, "{}", serde_json::to_string(&launch)?)?;
    small.to.flush()?;
    let mut line = String::new();
    small.from.read_line(&mut line)?;
    let landed: Landed = serde_json::from_str(&line)?;
    landed.map_err(|e| anyhow::anyhow!("{cmd:?}: {e}"))
}

/// Runs `cmd` from this process: its figures and exit code.
fn run(cmd: &mut std::process::Command) -> anyhow::Result<(Figures, i32)> {
    let start = std::time::Instant::now();
    let child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid, and wait4 only writes into it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own child, not yet waited for; the pointers are to live locals.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed().as_secs_f64();
    anyhow::ensure!(
        waited == pid,
        "wait4 failed: {}",
        std::io::Error::last_os_error()
    );
    let exit = match libc::WIFEXITED(status) {
        true => libc::WEXITSTATUS(status),
        false => -1,
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let figures = Figures {
        wall,
        cpu: secs(usage.ru_utime) + secs(usage.ru_stime),
        peak_mb: usage.ru_maxrss as f64 / 1024.0,
    };
    Ok((figures, exit))
}

/// The middle value.
#[allow(dead_code)]
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The median of `a[i] / b[i]`, each pair measured one after the other: a machine whose speed
/// drifts during a run moves both figures of a pair alike, where a ratio of two medians can
/// set a fast spell's run against a slow one's.
#[allow(dead_code)]
pub fn paired(a: &[f64], b: &[f64]) -> f64 {
    median(a.iter().zip(b).map(|(x, y)| x / y).collect())
}

/// The release `bgy` binary beside this example (`cargo build --release` makes it).
#[allow(dead_code)]
pub fn bgy_binary() -> anyhow::Result<std::path::PathBuf> {
    std::env::current_exe()?
        .parent()
        .and_then(std::path::Path::parent)
        .map(|d| d.join("bgy"))
        .filter(|b| b.exists())
        .ok_or_else(|| {
            anyhow::anyhow!("no bgy binary beside the example: run `cargo build --release` first")
        })
}

/// `bgy emulator` in a process of its own, serving `state`, killed when dropped.
#[allow(dead_code)]
pub struct Emulator {
    child: std::process::Child,
    pub url: String,
}

#[allow(dead_code)]
impl Emulator {
    /// Starts it on `port` with `args` (e.g. `--latency-ms 20`) and waits until it answers.
    pub fn start(
        bgy: &std::path::Path,
        state: &std::path::Path,
        port: u16,
        args: &[&str],
    ) -> anyhow::Result<Emulator> {
        let listen = format!("127.0.0.1:{port}");
        let child = std::process::Command::new(bgy)
            .current_dir(state.parent().unwrap_or(std::path::Path::new(".")))
            .args(["emulator", "-q", "--listen", &listen, "--state"])
            .arg(state)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        let emulator = Emulator {
            child,
            url: format!("http://{listen}"),
        };
        let mut emulator = emulator;
        let up = std::time::Instant::now();
        loop {
            // One that could not listen (another process holds the port) has exited: the
            // figures would otherwise be of whatever answers there.
            if let Some(status) = emulator.child.try_wait()? {
                anyhow::bail!("the emulator exited ({status}): is {listen} taken?");
            }
            if std::net::TcpStream::connect(&listen).is_ok() {
                break;
            }
            anyhow::ensure!(
                up.elapsed() < std::time::Duration::from_secs(30),
                "the emulator did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        // Still its own after the first answer.
        std::thread::sleep(std::time::Duration::from_millis(100));
        if let Some(status) = emulator.child.try_wait()? {
            anyhow::bail!("the emulator exited ({status}): is {listen} taken?");
        }
        Ok(emulator)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Fills an emulator state file with the sample org and `n` people (`x0000000` …), each with
/// a mobile, an e-mail, a department, a gender and an entry date of their own kind.
#[allow(dead_code)]
pub fn fill_directory(state: &std::path::Path, n: usize) -> anyhow::Result<()> {
    use std::collections::HashMap;
    let store = bgy::emulator::Store::open(state)?;
    store
        .seed(&serde_json::from_str(bgy::SAMPLE_ORG)?)
        .map_err(|r| anyhow::anyhow!(r.message))?;
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
    Ok(())
}

const HEADERS: [&str; 16] = [
    "帐号",
    "姓名",
    "性别",
    "手机",
    "邮箱",
    "部门",
    "职位",
    "人事状态",
    "入职时间",
    "参加工作时间",
    "考勤号",
    "银行卡号",
    "工作地址",
    "英文名",
    "转正时间",
    "离职时间",
];

/// The benchmarks' 100,000-row template (`rows` rows) as HR fills one in: shared strings,
/// dates as date cells and as text, phones and check ids as number cells, as Excel and
/// XlsxWriter write them.
#[allow(dead_code)] // not every benchmark reads a template
pub fn check_workbook(path: &std::path::Path, rows: u32) -> anyhow::Result<()> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("成员 Staff")?;
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (c, h) in HEADERS.iter().enumerate() {
        ws.write_string(0, c as u16, *h)?;
    }
    for i in 0..rows {
        let r = i + 1;
        let n = i as usize;
        ws.write_string(r, 0, format!("user{n:06}"))?;
        ws.write_string(r, 1, format!("员工{n}"))?;
        ws.write_number(r, 2, f64::from(1 + i % 2))?;
        ws.write_number(r, 3, 13_900_000_000.0 + f64::from(i))?;
        ws.write_string(r, 4, format!("user{n:06}@example.com"))?;
        ws.write_string(r, 5, format!("办公逸/研发部/组{}", i % 50))?;
        ws.write_string(r, 6, "工程师")?;
        ws.write_number(r, 7, f64::from(i % 4))?;
        // A date that moves with the row, from a first year on.
        let day = |first: u16| {
            ExcelDateTime::from_ymd(
                first + (i % 15) as u16,
                1 + (i % 12) as u8,
                1 + (i % 28) as u8,
            )
        };
        ws.write_datetime_with_format(r, 8, &day(2010)?, &date)?;
        ws.write_string(r, 9, "2010-07-01")?;
        ws.write_number(r, 10, 100_000.0 + f64::from(i))?;
        ws.write_string(r, 11, format!("62220202{n:011}"))?;
        ws.write_string(r, 12, "北京市海淀区中关村大街 1 号")?;
        ws.write_string(r, 13, format!("Emp{n}"))?;
        ws.write_datetime_with_format(r, 14, &day(2011)?, &date)?;
    }
    wb.save(path)?;
    Ok(())
}

/// The export as CSV, with the 职位 of its first `k` people set to `title`.
#[allow(dead_code)] // not every benchmark edits a sheet
pub fn retitled(all_csv: &std::path::Path, k: usize, title: &str) -> anyhow::Result<String> {
    let mut reader = csv::Reader::from_path(all_csv)?;
    let headers = reader.headers()?.clone();
    let position = headers
        .iter()
        .position(|h| h == "职位")
        .ok_or_else(|| anyhow::anyhow!("no 职位 column in the export"))?;
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(&headers)?;
    for (i, record) in reader.records().enumerate() {
        let mut record: Vec<String> = record?.iter().map(str::to_string).collect();
        if i < k {
            record[position] = title.to_string();
        }
        out.write_record(&record)?;
    }
    Ok(String::from_utf8(out.into_inner()?)?)
}

/// `target/bench/check-ROWS.xlsx`, the template of `rows` rows, made when missing by this
/// program run again as `--make FILE ROWS` (see [`make_if_asked`]): a child forked from a
/// parent that held the whole workbook would count that memory as its own peak.
#[allow(dead_code)] // not every benchmark reads the template
pub fn template_file(rows: u32) -> anyhow::Result<std::path::PathBuf> {
    let exe = std::env::current_exe()?;
    let target = exe
        .ancestors()
        .nth(3)
        .ok_or_else(|| anyhow::anyhow!("no target folder above {}", exe.display()))?;
    let dir = target.join("bench");
    std::fs::create_dir_all(&dir)?;
    let file = dir.join(format!("check-{rows}.xlsx"));
    if !file.exists() {
        let t = std::time::Instant::now();
        let made = std::process::Command::new(&exe)
            .arg("--make")
            .arg(&file)
            .arg(rows.to_string())
            .status()?;
        anyhow::ensure!(made.success(), "could not make {}", file.display());
        println!(
            "made {} in {:.1} s",
            file.display(),
            t.elapsed().as_secs_f64()
        );
    }
    Ok(file)
}

/// `--make FILE ROWS`, as [`template_file`] runs this program: the template made (the
/// program then ends); `None` for any other command line.
#[allow(dead_code)]
pub fn make_if_asked() -> Option<anyhow::Result<()>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [make, file, rest @ ..] if make == "--make" => {
            let rows = rest.first().and_then(|r| r.parse().ok()).unwrap_or(100_000);
            Some(check_workbook(std::path::Path::new(file), rows))
        }
        _ => None,
    }
}

pub mod workbooks;
