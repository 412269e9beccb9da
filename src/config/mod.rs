//! `Config::from_args`: the raw command line checked once, with clear messages.
//!
//! In: [`crate::cli::Args`]. Out: a [`Config`] whose values are known good, or a usage error
//! (exit 2). Nothing here touches the network or the input files.

pub mod keep;
pub mod unattended;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::api::Ticket;
use crate::cli::{self, Args, Command, DeptCommand, Global};
pub use crate::input::Input;
use crate::model::{Cover, Layout};
pub use crate::model::{PruneMode, Reach};
use crate::read::header::Names;
use crate::text::Unwritten;

/// Where API calls go.
#[derive(Debug, Clone)]
pub enum Target {
    Server {
        base_url: reqwest::Url,
        ticket: Ticket,
    },
    /// The embedded emulator, started in-process on a free loopback port.
    Emulator { state: PathBuf },
    /// No ticket and no --emulator: offline.
    Offline,
}

/// The company settings file, read from the working directory when it exists.
pub const SETTINGS_FILE: &str = "bgy.toml";

/// What bgy.toml holds, as [`Company`] names it.
const TABLES: &[&str] = &["tz", "columns", "report_dir", "schedule", "notify", "prune"];

/// `bgy.toml`, the company's settings, read once: by the command line when it starts
/// ([`Config::from_args`]), and by the console and the schedule when a run starts (a console
/// may have remembered new column names while it serves). `[schedule]` and `[notify]` are
/// typed by the commands that use them, so that a bad key there never stops an import.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Company {
    /// The company's time zone (`tz = "Asia/Shanghai"`): of every time and date bgy writes,
    /// with or without a job; else `[schedule] tz`, else the machine's.
    #[serde(default)]
    tz: Option<String>,
    /// A company's own header → a column bgy knows (`-` to ignore it).
    #[serde(default)]
    columns: std::collections::BTreeMap<String, String>,
    /// Where reports go instead of beside their input.
    #[serde(default)]
    report_dir: Option<PathBuf>,
    /// The unattended job and who hears of it: typed by [`Company::unattended`].
    #[serde(default)]
    schedule: Option<toml::Table>,
    #[serde(default)]
    notify: Option<toml::Table>,
    /// Who a prune leaves alone: typed by [`Company::keep`].
    #[serde(default)]
    prune: Option<toml::Table>,
    /// The folder read had no `bgy.toml` ([`Company::read`]).
    #[serde(skip)]
    missing: Option<PathBuf>,
    /// As written, for the line of a bad key ([`unattended::Bad::at`]).
    #[serde(skip)]
    text: String,
}

impl Company {
    /// `bgy.toml` in `dir`; none is no settings.
    pub fn read(dir: &Path) -> Result<Company, UsageError> {
        let path = dir.join(SETTINGS_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Company::parse(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Company {
                missing: Some(std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())),
                ..Company::default()
            }),
            Err(error) => usage(
                crate::read::ReadError::Io {
                    path: path.display().to_string(),
                    error,
                }
                .to_string(),
            ),
        }
    }

    pub fn parse(text: &str) -> Result<Company, UsageError> {
        let table: toml::Table =
            toml::from_str(text).map_err(|e| UsageError(toml_error(text, &e)))?;
        let said = |bad: unattended::Bad| bad.at(text);
        unattended::known("", &table, TABLES).map_err(said)?;
        let company = <Company as serde::Deserialize>::deserialize(toml::Value::Table(table))
            .map_err(|e| said(unattended::wrong_kind("", &e.to_string())))?;
        if let Some(name) = &company.tz {
            unattended::zone("", name).map_err(said)?;
        }
        Ok(Company {
            text: text.to_string(),
            ..company
        })
    }

    /// The column names a run reads a sheet with: `[columns]`, then `map` (`--map`) over them.
    pub fn names(&self, map: &Names) -> Result<Names, UsageError> {
        let mut names = Names::default();
        for (header, column) in &self.columns {
            let field = Names::target(column)
                .map_err(|e| UsageError(format!("{SETTINGS_FILE}: [columns] {header:?}: {e}")))?;
            names.add(header, field);
        }
        names.extend(map);
        Ok(names)
    }

    /// `[prune]`, typed (a bad key named).
    pub fn keep(&self) -> Result<keep::Keep, UsageError> {
        keep::Keep::of(self.prune.clone()).map_err(|bad| bad.at(&self.text))
    }

    /// The zone of the company's days: bgy.toml's `tz`, else `[schedule] tz` when it has a job
    /// (its default, Asia/Shanghai, when the job names none) and the job can be read.
    pub fn zone(&self) -> Option<chrono_tz::Tz> {
        match &self.tz {
            Some(name) => name.parse().ok(),
            None => Some(self.unattended().ok()?.schedule?.tz),
        }
    }

    /// `[schedule]` and `[notify]`, typed (a bad key named).
    pub fn unattended(&self) -> Result<unattended::Settings, UsageError> {
        unattended::Settings::of(self.schedule.clone(), self.notify.clone())
            .map_err(|bad| bad.at(&self.text))
    }
}

/// A `bgy.toml` that TOML cannot read, by its line and column in both languages: toml's own
/// text quotes the line across several lines of the terminal, and the line may hold a secret.
fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let message = settings_error(&e.message());
    match e.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("{SETTINGS_FILE} 第 {line} 行第 {column} 列有误 ({SETTINGS_FILE} line {line}, column {column}: {message})")
        }
        None => format!("{SETTINGS_FILE}: {message}"),
    }
}

/// An error about `bgy.toml` that may quote a value of it: a robot's `key=` value and a mail
/// server's password (`smtps://user:password@…`) in it are hidden, as a secret is everywhere.
pub fn settings_error(e: &impl std::fmt::Display) -> String {
    let text = hide_passwords(&e.to_string());
    let mut out = String::with_capacity(text.len());
    let mut rest = text.trim();
    while let Some(at) = rest.find("key=") {
        out.push_str(&rest[..at + 4]);
        out.push_str("***");
        rest = &rest[at + 4..];
        let end = rest
            .find(|c: char| c == '"' || c == '&' || c == '\'' || c.is_whitespace())
            .unwrap_or(rest.len());
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// `scheme://user:password@host` → `scheme://user:***@host`, for every address in `text`.
fn hide_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        out.push_str(&rest[..at + 3]);
        rest = &rest[at + 3..];
        let end = rest
            .find(|c: char| matches!(c, '"' | '\'' | '/' | '?' | '#') || c.is_whitespace())
            .unwrap_or(rest.len());
        let authority = &rest[..end];
        match authority.rfind('@').and_then(|a| {
            let user = &authority[..a];
            user.find(':').map(|c| (c, a))
        }) {
            Some((colon, a)) => {
                out.push_str(&authority[..colon + 1]);
                out.push_str("***");
                out.push_str(&authority[a..]);
            }
            None => out.push_str(authority),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The column names a run started by the console or the schedule reads a sheet with:
/// `bgy.toml`'s in `dir` as it is now, then `map` over them.
pub fn column_names(dir: &Path, map: &Names) -> anyhow::Result<Names> {
    Ok(Company::read(dir)?.names(map)?)
}

/// Remembers a company's own column names in `bgy.toml`'s `[columns]` in `dir` (each header
/// → a template label, or `-` to ignore it), keeping what the file already says and its
/// comments.
pub fn remember_columns(dir: &Path, columns: &[(String, String)]) -> anyhow::Result<()> {
    let path = dir.join(SETTINGS_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => anyhow::bail!("无法读取 {0}:{e} (cannot read {0}: {e})", path.display()),
    };
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e| {
        anyhow::anyhow!(
            "{0} 有误,没有改动 ({0} is not valid TOML, and was left as it is): {e}",
            path.display()
        )
    })?;
    let table = doc
        .entry("columns")
        .or_insert(toml_edit::table())
        .as_table_mut()
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{0}:[columns] 应是一个表 ({0}: [columns] is not a table)",
                path.display()
            )
        })?;
    for (header, column) in columns {
        // Only what a run would read back.
        Names::target(column).map_err(|e| anyhow::anyhow!("{header:?}: {e}"))?;
        table.insert(header.trim(), toml_edit::value(column.as_str()));
    }
    let tmp = dir.join(format!(".{SETTINGS_FILE}.tmp"));
    std::fs::write(&tmp, doc.to_string())
        .and_then(|()| std::fs::rename(&tmp, &path))
        .cannot_write(&path)?;
    // What was written reads back.
    column_names(dir, &Names::default())?;
    Ok(())
}

/// What `bgy import` does with what it read.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    pub cover: Cover,
    pub create_departments: bool,
    /// Validate and show what would be sent; send nothing.
    pub dry_run: bool,
    /// Skip the rows an earlier run's journal says succeeded.
    pub resume: bool,
}

/// What a command that deletes people may do without asking.
#[derive(Debug, Clone, Copy, Default)]
pub struct Destructive {
    /// Do not ask for the typed confirmation.
    pub yes: bool,
    /// Go past the guard (more than 20% of the directory).
    pub force: bool,
}

#[derive(Debug, Clone)]
pub enum DeptJob {
    List,
    Add { path: String },
    Rename { target: String, new_name: String },
}

#[derive(Debug, Clone)]
pub struct ServeJob {
    /// `bgy.toml`'s unattended job, run on its schedule while the console serves.
    pub schedule: Option<std::sync::Arc<unattended::Settings>>,
    pub listen: String,
    pub data: PathBuf,
    pub users: Option<PathBuf>,
    pub max_upload_bytes: u64,
    pub keep_runs_days: u64,
    pub max_store_bytes: u64,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub trust_proxy: bool,
    pub hosts: Vec<String>,
    pub hash_password: bool,
}

#[derive(Debug, Clone)]
pub struct EmulatorJob {
    pub listen: String,
    pub state: PathBuf,
    pub seed: Option<PathBuf>,
    pub latency: Duration,
    pub fail_rate: f64,
}

/// One command, its options checked and typed: nothing of clap past here.
#[derive(Debug, Clone)]
pub enum Job {
    Template {
        layout: Layout,
        output: PathBuf,
        force: bool,
    },
    Check {
        input: Input,
        /// `None`: worked out from the sheet's header.
        layout: Option<Layout>,
        create_departments: bool,
    },
    Import {
        input: Input,
        options: ImportOptions,
    },
    Times {
        input: Input,
        resume: bool,
    },
    Delete {
        input: Input,
        destructive: Destructive,
    },
    /// `bgy leave`: the list's people marked as leavers.
    Leave {
        input: Input,
        /// For the rows that give none: 离职时间 (`None`: today) and 离职原因 (`None`: the list's).
        date: Option<String>,
        reason: Option<String>,
        destructive: Destructive,
    },
    Export {
        /// `-`: CSV on stdout.
        output: PathBuf,
        department: Option<String>,
        recursive: bool,
        encoding: cli::Encoding,
    },
    Plan {
        input: Input,
        reach: Reach,
    },
    Sync {
        input: Input,
        reach: Reach,
        destructive: Destructive,
    },
    /// `bgy schedule`: the job in `bgy.toml`, run now, checked, or its robot tried.
    Schedule {
        what: ScheduleAction,
        settings: std::sync::Arc<unattended::Settings>,
    },
    /// `bgy approve RUN` / `bgy reject RUN`: a run the schedule paused.
    Decide {
        run: i64,
        approve: bool,
        settings: std::sync::Arc<unattended::Settings>,
        /// Where an approval's report goes (default: under the history's `schedule/`).
        report: Option<PathBuf>,
    },
    Dept(DeptJob),
    Emulator(EmulatorJob),
    Serve(ServeJob),
    History(HistoryJob),
    Undo {
        run: i64,
        dry_run: bool,
        destructive: Destructive,
        /// Where the undo's report goes (default: beside its rows in .bgy/undo/).
        report: Option<PathBuf>,
    },
}

#[derive(Debug, Clone)]
pub struct HistoryJob {
    /// One run's changes, or (none) the runs.
    pub show: Option<i64>,
    pub limit: usize,
    pub export: Option<PathBuf>,
}

impl Job {
    /// The job changes the directory: it holds its input's lock, keeps a journal, and Ctrl-C
    /// stops it cleanly.
    pub fn sends(&self) -> bool {
        match self {
            Job::Import { options, .. } => !options.dry_run,
            Job::Times { .. } | Job::Delete { .. } | Job::Leave { .. } | Job::Sync { .. } => true,
            Job::Schedule { what, .. } => *what == ScheduleAction::Once,
            Job::Decide { approve, .. } => *approve,
            Job::Undo { dry_run, .. } => !dry_run,
            _ => false,
        }
    }

    /// The job changes the directory (a sending run, or a department added or renamed): one
    /// such job at a time in a working directory, whoever starts it ([`crate::lock::directory`]).
    pub fn changes_directory(&self) -> bool {
        self.sends()
            || matches!(
                self,
                Job::Dept(DeptJob::Add { .. } | DeptJob::Rename { .. }) | Job::Decide { .. }
            )
    }

    /// The sheet the job reads, when it reads one.
    pub fn input_mut(&mut self) -> Option<&mut Input> {
        match self {
            Job::Check { input, .. }
            | Job::Import { input, .. }
            | Job::Times { input, .. }
            | Job::Delete { input, .. }
            | Job::Leave { input, .. }
            | Job::Plan { input, .. }
            | Job::Sync { input, .. } => Some(input),
            _ => None,
        }
    }

    /// The command's name, as `bgy NAME` runs it.
    pub fn name(&self) -> &'static str {
        match self {
            Job::Template { .. } => "template",
            Job::Check { .. } => "check",
            Job::Import { .. } => "import",
            Job::Times { .. } => "times",
            Job::Delete { .. } => "delete",
            Job::Leave { .. } => "leave",
            Job::Export { .. } => "export",
            Job::Plan { .. } => "plan",
            Job::Sync { .. } => "sync",
            Job::Dept(_) => "dept",
            Job::Emulator(_) => "emulator",
            Job::Serve(_) => "serve",
            Job::History(_) => "history",
            Job::Undo { .. } => "undo",
            Job::Schedule { .. } => "schedule",
            Job::Decide { approve: true, .. } => "approve",
            Job::Decide { approve: false, .. } => "reject",
        }
    }
}

impl From<cli::Input> for Input {
    fn from(i: cli::Input) -> Input {
        let mut columns = Names::default();
        for (header, field) in &i.map {
            columns.add(header, *field);
        }
        Input {
            file: i.file,
            sheet: i.sheet,
            report: i.report,
            columns,
            shown: None,
            report_dir: i.report_dir,
            no_report: false,
            bytes: None,
            unread_settings: None,
            never_guess_delete: false,
        }
    }
}

fn prune_mode_of(prune: bool, mode: Option<cli::PruneArg>) -> PruneMode {
    match (prune, mode) {
        (_, Some(cli::PruneArg::Leave)) => PruneMode::Leave,
        (true, _) | (_, Some(cli::PruneArg::Delete)) => PruneMode::Delete,
        (false, None) => PruneMode::None,
    }
}

/// The commands `bgy.toml` speaks to: those that read a sheet (its `[columns]`, `report_dir`),
/// and the schedule's and the console's (which runs both).
fn reads_settings(command: &Command) -> bool {
    !matches!(
        command,
        Command::Template { .. }
            | Command::Export { .. }
            | Command::Dept { .. }
            | Command::History { .. }
            | Command::Undo { .. }
            | Command::Emulator { .. }
            | Command::Serve {
                hash_password: true,
                ..
            }
    )
}

/// What `bgy schedule` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleAction {
    /// `--once`: the job, now.
    Once,
    /// `--check`: the settings, the next run, the file it would read.
    Check,
    /// `--test-notify`: a test message to the robot and the mail.
    TestNotify,
}

/// `bgy.toml`'s `[schedule]` and `[notify]`; `needs_job`: a missing `[schedule]` is an error.
fn read_unattended(
    company: &Company,
    needs_job: bool,
) -> Result<std::sync::Arc<unattended::Settings>, UsageError> {
    let settings = company.unattended()?;
    if let (true, Some(dir)) = (needs_job, &company.missing) {
        let dir = dir.display();
        return usage(format!(
            "{dir} 里没有 {SETTINGS_FILE}:bgy 从它运行时所在的文件夹读取 {SETTINGS_FILE};在 cron 或定时器里请先 cd 到那个文件夹(cd /srv/bgy && bgy schedule --once) (there is no {SETTINGS_FILE} in {dir}: bgy reads it from the folder it runs in; under cron or a timer, cd to that folder first: cd /srv/bgy && bgy schedule --once)"
        ));
    }
    if needs_job && settings.schedule.is_none() {
        return usage(format!(
            "{SETTINGS_FILE} 里没有 [schedule]:请加上(cron、folder、prune、max_changes,见 README 的 \"Running it unattended\") ({SETTINGS_FILE} has no [schedule]: add one (cron, folder, prune, max_changes; see the README's \"Running it unattended\"))"
        ));
    }
    Ok(std::sync::Arc::new(settings))
}

impl Job {
    /// The job a command asks for; `bgy.toml` is read for the commands that need its
    /// `[schedule]` (a bad one: exit 2 naming the key).
    // A flat match: one arm a command, each a field-by-field copy.
    #[allow(clippy::too_many_lines)]
    fn of(command: Command, company: &Company) -> Result<Job, UsageError> {
        Ok(match command {
            Command::Template {
                kind,
                output,
                file: _,
                force,
            } => {
                let kind = kind.unwrap_or(cli::KindArg::Staff);
                Job::Template {
                    layout: kind.into(),
                    output: output.unwrap_or_else(|| template_name(kind)),
                    force,
                }
            }
            Command::Check {
                input,
                kind,
                create_departments,
                no_report,
            } => Job::Check {
                input: Input {
                    no_report,
                    ..input.into()
                },
                layout: kind.map(Layout::from),
                create_departments,
            },
            Command::Import {
                input,
                cover,
                create_departments,
                dry_run,
                resume,
            } => Job::Import {
                input: input.into(),
                options: ImportOptions {
                    cover: cover.into(),
                    create_departments,
                    dry_run,
                    resume,
                },
            },
            Command::Times { input, resume } => Job::Times {
                input: input.into(),
                resume,
            },
            Command::Delete { input, yes, force } => Job::Delete {
                input: input.into(),
                destructive: Destructive { yes, force },
            },
            Command::Leave {
                input,
                date,
                reason,
                yes,
                force,
            } => Job::Leave {
                input: input.into(),
                date,
                reason,
                destructive: Destructive { yes, force },
            },
            Command::Export {
                output,
                file: _,
                department,
                recursive,
                encoding,
            } => Job::Export {
                encoding,
                output: output.unwrap_or_else(|| {
                    PathBuf::from(format!(
                        "bgy-export-{}.xlsx",
                        crate::model::now().format("%Y%m%d-%H%M%S")
                    ))
                }),
                department,
                recursive,
            },
            Command::Plan {
                input,
                prune,
                prune_mode,
                create_departments,
            } => Job::Plan {
                input: input.into(),
                reach: Reach {
                    prune: prune_mode_of(prune, prune_mode),
                    create_departments,
                },
            },
            Command::Sync {
                input,
                prune,
                prune_mode,
                create_departments,
                yes,
                force,
            } => Job::Sync {
                input: input.into(),
                reach: Reach {
                    prune: prune_mode_of(prune, prune_mode),
                    create_departments,
                },
                destructive: Destructive { yes, force },
            },
            Command::Schedule {
                once, test_notify, ..
            } => Job::Schedule {
                what: match (once, test_notify) {
                    (true, _) => ScheduleAction::Once,
                    (_, true) => ScheduleAction::TestNotify,
                    _ => ScheduleAction::Check,
                },
                // Trying the robot needs only [notify].
                settings: read_unattended(company, !test_notify)?,
            },
            Command::Approve { run } => Job::Decide {
                run,
                approve: true,
                settings: read_unattended(company, false)?,
                report: None,
            },
            Command::Reject { run } => Job::Decide {
                run,
                approve: false,
                settings: read_unattended(company, false)?,
                report: None,
            },
            Command::Dept { action } => Job::Dept(match action {
                DeptCommand::List => DeptJob::List,
                DeptCommand::Add { path } => DeptJob::Add { path },
                DeptCommand::Rename { target, new_name } => DeptJob::Rename { target, new_name },
            }),
            Command::Undo {
                run,
                dry_run,
                yes,
                force,
            } => Job::Undo {
                run,
                dry_run,
                destructive: Destructive { yes, force },
                report: None,
            },
            Command::History {
                action,
                limit,
                export,
            } => Job::History(HistoryJob {
                show: action.map(|cli::HistoryCommand::Show { run }| run),
                limit,
                export,
            }),
            Command::Serve {
                listen,
                data,
                users,
                max_upload_mb,
                keep_runs,
                max_store_mb,
                tls_cert,
                tls_key,
                trust_proxy,
                hosts,
                hash_password,
            } => Job::Serve(ServeJob {
                schedule: if hash_password {
                    None
                } else {
                    Some(read_unattended(company, false)?).filter(|s| s.schedule.is_some())
                },
                listen,
                data,
                users,
                max_upload_bytes: max_upload_mb.saturating_mul(1 << 20),
                keep_runs_days: keep_runs,
                max_store_bytes: max_store_mb.saturating_mul(1 << 20),
                tls_cert,
                tls_key,
                trust_proxy,
                hosts,
                hash_password,
            }),
            Command::Emulator {
                listen,
                state,
                seed,
                latency_ms,
                fail_rate,
            } => Job::Emulator(EmulatorJob {
                listen,
                state,
                seed,
                latency: Duration::from_millis(latency_ms),
                fail_rate,
            }),
        })
    }
}

#[derive(Debug)]
pub struct Config {
    pub job: Job,
    /// The history store.
    pub history: PathBuf,
    /// Who runs it, for the history.
    pub who: String,
    pub target: Target,
    pub concurrency: usize,
    pub rate: f64,
    pub timeout: Duration,
    pub retry_base: Duration,
    pub json: bool,
    pub quiet: bool,
    /// The ticket as given (the emulator command serves it).
    pub ticket: Option<Ticket>,
}

/// Who runs bgy on this computer: `USER` (or `LOGNAME`), else the OS account's name for the
/// process's user id (services, containers and cron often set neither).
pub fn os_user() -> String {
    if let Some(name) = ["USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.trim().is_empty()))
    {
        return name;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        // /proc/self belongs to the process's user.
        if let Ok(uid) = std::fs::metadata("/proc/self").map(|m| m.uid()) {
            let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
            let name = passwd.lines().find_map(|l| {
                let mut f = l.split(':');
                let name = f.next()?;
                (f.nth(1)?.parse::<u32>().ok()? == uid).then(|| name.to_string())
            });
            return name.unwrap_or_else(|| format!("uid {uid}"));
        }
    }
    "unknown".into()
}

/// A bad option value: exit 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

fn has_extension(path: &std::path::Path, allowed: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| allowed.iter().any(|a| e.eq_ignore_ascii_case(a)))
}

fn usage<T>(msg: impl Into<String>) -> Result<T, UsageError> {
    Err(UsageError(msg.into()))
}

/// The server when no --base-url is given.
pub const DEFAULT_BASE_URL: &str = "https://qy.bangongyi.com";

/// Where calls go: the emulator, a server (with a ticket), or nowhere. A server named without
/// a ticket is an error, not a silent offline run.
fn target(
    emulator: bool,
    base_url: Option<&str>,
    ticket: Option<&Ticket>,
    state: PathBuf,
) -> Result<Target, UsageError> {
    if emulator {
        return Ok(Target::Emulator { state });
    }
    if let (Some(url), None) = (base_url, ticket) {
        return usage(format!(
            "--base-url {url} needs a ticket: set --ticket, or the BGY_TICKET environment variable (export BGY_TICKET=…)"
        ));
    }
    let base_url = base_url.unwrap_or(DEFAULT_BASE_URL);
    let base_url = match reqwest::Url::parse(base_url.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => u,
        _ => {
            return usage(format!(
                "--base-url {base_url:?} is not an http(s) URL (example: https://qy.bangongyi.com)"
            ))
        }
    };
    Ok(match ticket {
        Some(t) => Target::Server {
            base_url,
            ticket: t.clone(),
        },
        None => Target::Offline,
    })
}

/// `--report`: an .xlsx workbook (the extension says what the person will open), and never
/// the input itself, which it would overwrite.
fn check_report(input: &cli::Input) -> Result<(), UsageError> {
    let Some(report) = &input.report else {
        return Ok(());
    };
    if !has_extension(report, &["xlsx"]) {
        return usage(format!(
            "--report {path}:报告是 .xlsx 工作簿,请把文件名改为 .xlsx (--report {path}: a report is an .xlsx workbook; name the file .xlsx)",
            path = report.display()
        ));
    }
    let same = |a: &std::path::Path, b: &std::path::Path| match (a.canonicalize(), b.canonicalize())
    {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same(report, &input.file) {
        return usage(format!(
            "--report {path}:这就是输入文件,报告会覆盖它;请换一个文件名 (--report {path}: that is the input itself, and the report would overwrite it; name another file)",
            path = report.display()
        ));
    }
    Ok(())
}

/// A command's own options, and whether it can run where calls would go.
/// `bgy serve`'s sizes and ages.
fn check_serve(command: &Command) -> Result<(), UsageError> {
    let Command::Serve {
        max_upload_mb,
        keep_runs,
        max_store_mb,
        ..
    } = command
    else {
        return Ok(());
    };
    // A larger upload could never be read: the input limit is the same file's.
    let most = crate::read::limits::MAX_FILE_BYTES >> 20;
    if !(1..=most).contains(max_upload_mb) {
        return usage(format!(
            "--max-upload-mb must be between 1 and {most} (the largest sheet bgy reads), not {max_upload_mb}"
        ));
    }
    if *keep_runs == 0 {
        return usage("--keep-runs 至少是 1 天 (--keep-runs must be at least 1 day)");
    }
    if max_store_mb < max_upload_mb {
        return usage(format!(
            "--max-store-mb ({max_store_mb}) must be at least --max-upload-mb ({max_upload_mb})"
        ));
    }
    Ok(())
}

/// The kind a bare word names (`times`, `Delete`): never a path, never a name with an extension.
fn named_kind(file: &std::path::Path) -> Option<cli::KindArg> {
    use clap::ValueEnum;
    let word = file.to_str()?;
    cli::KindArg::value_variants()
        .iter()
        .copied()
        .find(|k| k.to_possible_value().is_some_and(|v| v.matches(word, true)))
}

/// Where `bgy template` writes without -o: bgy-template.xlsx, bgy-times-template.xlsx …
fn template_name(kind: cli::KindArg) -> PathBuf {
    match kind {
        cli::KindArg::Staff => PathBuf::from("bgy-template.xlsx"),
        other => PathBuf::from(format!("bgy-{}-template.xlsx", Layout::from(other).name())),
    }
}

/// A file named without -o (`bgy export all.xlsx`) is the output, as the command's help says.
fn name_output(command: &mut Command) {
    match command {
        Command::Template {
            kind, output, file, ..
        } => {
            if let Some(file) = file.take() {
                // `bgy template times` asks for the times template, not a file named times.
                match named_kind(&file) {
                    Some(named) if kind.is_none_or(|k| k == named) => *kind = Some(named),
                    _ => *output = Some(file),
                }
            }
        }
        Command::Export { output, file, .. } => {
            if let Some(file) = file.take() {
                *output = Some(file);
            }
        }
        _ => {}
    }
}

fn check_command(command: &Command, json: bool) -> Result<(), UsageError> {
    check_serve(command)?;
    if let Command::Emulator { fail_rate, .. } = command {
        if !(0.0..=1.0).contains(fail_rate) {
            return usage(format!(
                "--fail-rate must be between 0 and 1, not {fail_rate}"
            ));
        }
    }
    // An output's extension says what the person will open: honoured or refused.
    match command {
        Command::Template {
            output: Some(output),
            ..
        } if !has_extension(output, &["xlsx"]) => {
            return usage(format!(
                "{path}:模板是 .xlsx 工作簿 (下拉列表和说明需要它),请把文件名改为 .xlsx ({path}: a template is an .xlsx workbook (its dropdowns and instructions need one); name the file .xlsx)",
                path = output.display()
            ));
        }
        Command::Export {
            output: Some(output),
            ..
        } if output.as_os_str() != "-" && !has_extension(output, &["xlsx", "csv"]) => {
            return usage(format!(
                "{path}:bgy export 只写 .xlsx 或 .csv 文件,请用其中一种扩展名 ({path}: bgy export writes .xlsx or .csv; name the file one of those)",
                path = output.display()
            ));
        }
        _ => {}
    }
    if let (
        Command::Export {
            output: Some(output),
            ..
        },
        true,
    ) = (command, json)
    {
        if output.as_os_str() == "-" {
            return usage(
                "-o - writes the export on stdout, where --json would write its object too: use one or the other",
            );
        }
    }
    if let Some(input) = command.input() {
        check_report(input)?;
    }
    Ok(())
}

/// The command calls the API: without a ticket (or `--emulator`) it cannot run.
fn needs_api(command: &Command) -> bool {
    matches!(
        command,
        Command::Import { dry_run: false, .. }
            | Command::Times { .. }
            | Command::Delete { .. }
            | Command::Leave { .. }
            | Command::Export { .. }
            | Command::Plan { .. }
            | Command::Sync { .. }
            | Command::Dept { .. }
            | Command::Undo { .. }
            | Command::Approve { .. }
            | Command::Schedule { once: true, .. }
    )
}

/// What a command that calls the API says without a ticket.
pub const NO_TICKET: &str = "没有 ticket:请用 --ticket 或环境变量 BGY_TICKET 设置,或者先用 --emulator 试一试 (no ticket: set --ticket or the BGY_TICKET environment variable, or try --emulator)";

impl Config {
    pub fn from_args(mut args: Args) -> Result<Config, UsageError> {
        name_output(&mut args.command);
        let Global {
            base_url,
            ticket,
            emulator,
            concurrency,
            rate,
            timeout,
            json,
            quiet,
            retry_base_ms,
            emulator_state,
            history,
            who,
        } = args.global;
        if !(1..=1024).contains(&concurrency) {
            return usage(format!(
                "--concurrency must be between 1 and 1024, not {concurrency}"
            ));
        }
        if !rate.is_finite() || rate < 0.0 {
            return usage(format!("--rate must be 0 (unlimited) or a positive number of requests a second, not {rate}"));
        }
        if !timeout.is_finite() || timeout <= 0.0 || timeout > 3600.0 {
            return usage(format!(
                "--timeout must be more than 0 and at most 3600 seconds, not {timeout}"
            ));
        }
        let ticket = ticket.filter(|t| !t.trim().is_empty()).map(Ticket::new);
        let target = target(
            emulator,
            base_url.as_deref(),
            ticket.as_ref(),
            emulator_state,
        )?;
        check_command(&args.command, json)?;
        let needs_api = needs_api(&args.command);
        let who =
            match who.as_deref().map(str::trim) {
                Some("") => return usage(
                    "--who (或 BGY_WHO) 是空的,要写上替谁运行 (--who, or BGY_WHO, names nobody)",
                ),
                Some(name) => name.chars().take(100).collect(),
                None => os_user(),
            };
        // bgy.toml is read here, once: a run reads the sheet with what it says. A command
        // that uses none of it is not stopped by a broken one.
        let company = match reads_settings(&args.command) {
            true => Company::read(Path::new("."))?,
            false => Company::default(),
        };
        // The company's day, for the dates a run writes; an undo's too, which reads nothing
        // else of the file. A broken file stops no command here.
        let zone = match reads_settings(&args.command) {
            true => company.zone(),
            false => Company::read(Path::new(".")).ok().and_then(|c| c.zone()),
        };
        if let Some(tz) = zone {
            crate::model::set_zone(tz);
        }
        // The settings first: under cron, a folder without bgy.toml is the first thing to fix.
        let mut job = Job::of(args.command, &company)?;
        if needs_api && matches!(target, Target::Offline) {
            return usage(NO_TICKET);
        }
        if let Some(input) = job.input_mut() {
            input.columns = company.names(&input.columns)?;
            if input.report.is_none() && input.report_dir.is_none() {
                input.report_dir = company.report_dir.clone();
            }
        }
        Ok(Config {
            history,
            who,
            job,
            target,
            concurrency: concurrency as usize,
            rate,
            timeout: Duration::from_secs_f64(timeout),
            retry_base: Duration::from_millis(retry_base_ms),
            json,
            quiet,
            ticket,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn the_company_s_zone_is_its_tz_else_its_job_s() {
        let zone = |text: &str| Company::parse(text).map(|c| c.zone());
        let job = "[schedule]\ncron = \"30 2 * * *\"\nfolder = \"hr\"\n";
        assert_eq!(zone("").unwrap(), None, "the machine's");
        assert_eq!(zone(job).unwrap(), Some(chrono_tz::Asia::Shanghai));
        let tokyo = format!("tz = \"Asia/Tokyo\"\n{job}");
        assert_eq!(zone(&tokyo).unwrap(), Some(chrono_tz::Asia::Tokyo));
        assert_eq!(
            zone("tz = \"Asia/Urumqi\"").unwrap(),
            Some(chrono_tz::Asia::Urumqi)
        );
        let e = zone("report_dir = \"r\"\ntz = \"Beijing\"")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("bgy.toml 第 2 行,tz:\"Beijing\" 不是时区")
                && e.contains("is not a time zone"),
            "{e}"
        );
    }

    /// `args` parsed as the command line, without the `BGY_…` settings of the shell the
    /// tests run in (a developer's own ticket or concurrency): no test sets one.
    fn config(args: &[&str]) -> Result<Config, UsageError> {
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("BGY_") {
                std::env::remove_var(name);
            }
        }
        Config::from_args(Args::try_parse_from(args).expect("parses"))
    }

    #[test]
    fn remembered_columns_read_back_and_keep_the_file_s_comments() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(SETTINGS_FILE),
            "# our names\n[columns]\n\"Dept\" = \"部门\"\n",
        )
        .unwrap();
        remember_columns(
            dir.path(),
            &[
                ("工号".into(), "帐号".into()),
                ("紧急联系人".into(), "-".into()),
            ],
        )
        .unwrap();
        let text = std::fs::read_to_string(dir.path().join(SETTINGS_FILE)).unwrap();
        assert!(text.starts_with("# our names"), "{text}");
        let names = column_names(dir.path(), &Names::default()).unwrap();
        let mut expected = Names::default();
        expected.add("Dept", Some(crate::model::Field::WeDepartment));
        expected.add("工号", Some(crate::model::Field::WeUserid));
        expected.add("紧急联系人", None);
        assert_eq!(names, expected);
        assert!(remember_columns(dir.path(), &[("x".into(), "nonsense".into())]).is_err());
    }

    #[test]
    fn defaults() {
        let c = config(&["bgy", "template"]).unwrap();
        assert_eq!(c.concurrency, 8);
        assert_eq!(c.timeout, Duration::from_secs(30));
        assert!(matches!(c.target, Target::Offline));
    }

    #[test]
    fn bad_values_are_usage_errors() {
        let e = config(&["bgy", "--concurrency", "0", "template"]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "--concurrency must be between 1 and 1024, not 0"
        );
        let e = config(&["bgy", "--concurrency=-3", "template"]).unwrap_err();
        assert!(e.to_string().contains("not -3"));
        let e = config(&[
            "bgy",
            "--base-url",
            "not a url",
            "--ticket",
            "t",
            "template",
        ])
        .unwrap_err();
        assert!(e
            .to_string()
            .starts_with("--base-url \"not a url\" is not an http(s) URL"));
        assert!(config(&["bgy", "--rate", "-1", "template"]).is_err());
    }

    #[test]
    fn a_report_is_an_xlsx_and_never_the_input() {
        let e = config(&["bgy", "check", "x.xlsx", "--report", "r.csv"]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "--report r.csv:报告是 .xlsx 工作簿,请把文件名改为 .xlsx (--report r.csv: a report is an .xlsx workbook; name the file .xlsx)"
        );
        assert!(config(&["bgy", "check", "x.xlsx", "--report", "r.XLSX"]).is_ok());
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("staff.xlsx");
        std::fs::write(&input, b"a sheet").unwrap();
        // The same file by another spelling of its path.
        let other = dir.path().join(".").join("staff.xlsx");
        let (input, other) = (input.to_str().unwrap(), other.to_str().unwrap());
        let e = config(&["bgy", "check", input, "--report", other]).unwrap_err();
        assert!(e.to_string().contains("that is the input itself"), "{e}");
        let e = config(&["bgy", "--emulator", "import", input, "--report", input]).unwrap_err();
        assert!(e.to_string().contains("would overwrite it"), "{e}");
    }

    #[test]
    fn import_needs_a_ticket_or_the_emulator() {
        let e = config(&["bgy", "import", "x.xlsx"]).unwrap_err();
        assert!(e.to_string().contains("BGY_TICKET"));
        assert!(config(&["bgy", "import", "x.xlsx", "--emulator"]).is_ok());
        assert!(config(&["bgy", "import", "x.xlsx", "--dry-run"]).is_ok());
        let c = config(&["bgy", "--ticket", "abc", "import", "x.xlsx"]).unwrap();
        assert!(matches!(c.target, Target::Server { .. }));
    }
}
