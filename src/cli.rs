//! The command line, as clap sees it. Nothing here is validated beyond its type: see
//! [`crate::config`].

use std::path::PathBuf;

use clap::{Args as ClapArgs, Parser, Subcommand, ValueEnum};

use crate::model::{Cover, Layout};

const ABOUT: &str = "Keep the 办公逸 (bangongyi) address book in sync with spreadsheets.

Fill in a template (bgy template), check it (bgy check), import it (bgy import). Every run
writes a report workbook next to the input; its 失败 Failed sheet is itself an input file: fix
the red cells and run it again, and only those rows are sent.

Try it without a server: bgy import samples/staff.xlsx --emulator";

const AFTER: &str =
    "Exit codes: 0 every row succeeded; 1 some rows were invalid or failed (see the report);
2 usage or input error, nothing sent; 3 stopped by a fatal API condition (ticket rejected,
server unreachable): what was done is in the report and journal; 130 interrupted by Ctrl-C,
SIGTERM (kill, timeout, systemctl stop) or SIGHUP (the terminal closed; not under nohup): the
calls in flight finish and the report is written, a second signal quits at once.";

#[derive(Debug, Parser)]
#[command(name = "bgy", version, about = ABOUT, after_help = AFTER, max_term_width = 100)]
pub struct Args {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

impl Args {
    /// The command line, each command's help showing only the options it uses.
    pub fn command() -> clap::Command {
        let mut cmd = <Args as clap::CommandFactory>::command();
        let globals: Vec<clap::Arg> = cmd.get_arguments().cloned().collect();
        for (sub, unused) in UNUSED {
            cmd = cmd.mut_subcommand(sub, |mut s| {
                // A command's own copy of an option it does not use, hidden: clap then gives
                // it the global one neither in its help nor in what it parses.
                for id in *unused {
                    if let Some(arg) = globals.iter().find(|a| a.get_id() == id) {
                        s = s.arg(arg.clone().global(false).hide(true));
                    }
                }
                s
            });
        }
        cmd
    }

    /// Parses the process's arguments with [`Args::command`].
    pub fn try_parse_args() -> Result<Args, clap::Error> {
        let mut matches = Args::command().try_get_matches()?;
        <Args as clap::FromArgMatches>::from_arg_matches_mut(&mut matches)
    }
}

const SERVER_OPTIONS: &[&str] = &[
    "base_url",
    "ticket",
    "emulator",
    "concurrency",
    "rate",
    "timeout",
];

/// The global options each command does not use (hidden from its help).
const UNUSED: &[(&str, &[&str])] = &[
    (
        "template",
        &["history", "who", "concurrency", "rate", "timeout"],
    ),
    ("check", &["history", "who"]),
    ("export", &["history", "who"]),
    ("plan", &["history", "who"]),
    ("history", SERVER_OPTIONS),
    (
        "emulator",
        &[
            "base_url",
            "emulator",
            "concurrency",
            "rate",
            "timeout",
            "history",
            "who",
            "json",
        ],
    ),
    ("serve", &["json"]),
];

/// Where the options that concern the server are listed in `--help`.
const SERVER: &str = "Server options";

#[derive(Debug, ClapArgs)]
pub struct Global {
    /// The API server (default https://qy.bangongyi.com); needs a ticket.
    #[arg(long, env = "BGY_BASE_URL", global = true, help_heading = SERVER)]
    pub base_url: Option<String>,

    /// The API ticket (sent in every call's query string; never printed).
    #[arg(
        long,
        env = "BGY_TICKET",
        hide_env_values = true,
        global = true,
        help_heading = SERVER
    )]
    pub ticket: Option<String>,

    /// Run against the embedded emulator (state in .bgy/emulator.sqlite) instead of a server.
    #[arg(long, global = true, help_heading = SERVER)]
    pub emulator: bool,

    /// Calls in flight at once.
    #[arg(
        long,
        env = "BGY_CONCURRENCY",
        default_value_t = 8,
        allow_negative_numbers = true,
        global = true,
        help_heading = SERVER
    )]
    pub concurrency: i64,

    /// Requests a second at most; 0 = unlimited.
    #[arg(
        long,
        env = "BGY_RATE",
        default_value_t = 0.0,
        allow_negative_numbers = true,
        global = true,
        help_heading = SERVER
    )]
    pub rate: f64,

    /// Seconds to wait for one request.
    #[arg(
        long,
        default_value_t = 30.0,
        allow_negative_numbers = true,
        global = true,
        help_heading = SERVER
    )]
    pub timeout: f64,

    /// Print one JSON summary object on stdout at the end; human text goes to stderr.
    #[arg(long, global = true)]
    pub json: bool,

    /// No progress bars.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// First retry delay in milliseconds (doubles each try, with jitter).
    #[arg(
        long,
        env = "BGY_RETRY_BASE_MS",
        default_value_t = 200,
        hide = true,
        global = true
    )]
    pub retry_base_ms: u64,

    /// Where runs that change the directory are recorded, with every change they make.
    #[arg(
        long,
        env = "BGY_HISTORY",
        default_value = ".bgy/history.sqlite",
        global = true
    )]
    pub history: PathBuf,

    /// Who the history says ran it: a person a script runs bgy for (default: the OS account).
    #[arg(long, env = "BGY_WHO", global = true)]
    pub who: Option<String>,

    /// Where --emulator keeps its state.
    #[arg(
        long,
        env = "BGY_EMULATOR_STATE",
        default_value = ".bgy/emulator.sqlite",
        hide = true,
        global = true
    )]
    pub emulator_state: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CoverArg {
    /// Leave existing accounts as they are (cover=0).
    Skip,
    /// Overwrite existing accounts with the sheet's values (cover=1).
    Overwrite,
}

impl From<CoverArg> for Cover {
    fn from(c: CoverArg) -> Cover {
        match c {
            CoverArg::Skip => Cover::Skip,
            CoverArg::Overwrite => Cover::Overwrite,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PruneArg {
    /// Mark them 已离职 (status 3) with today's 离职时间.
    Leave,
    /// Delete them.
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// Staff records for import, plan and sync.
    Staff,
    /// Date updates for bgy times.
    Times,
    /// Accounts for bgy delete.
    Delete,
    /// A 离职名单 for bgy leave: 帐号, with 离职时间 and 离职原因 when given.
    Leave,
}

impl From<KindArg> for Layout {
    fn from(k: KindArg) -> Layout {
        match k {
            KindArg::Staff => Layout::Staff,
            KindArg::Times => Layout::Times,
            KindArg::Delete => Layout::Delete,
            KindArg::Leave => Layout::Leave,
        }
    }
}

impl Command {
    /// The command's name, as `--json` reports it.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Template { .. } => "template",
            Command::Check { .. } => "check",
            Command::Import { .. } => "import",
            Command::Times { .. } => "times",
            Command::Delete { .. } => "delete",
            Command::Leave { .. } => "leave",
            Command::Export { .. } => "export",
            Command::Plan { .. } => "plan",
            Command::Sync { .. } => "sync",
            Command::Dept { .. } => "dept",
            Command::History { .. } => "history",
            Command::Undo { .. } => "undo",
            Command::Serve { .. } => "serve",
            Command::Schedule { .. } => "schedule",
            Command::Approve { .. } => "approve",
            Command::Reject { .. } => "reject",
            Command::Emulator { .. } => "emulator",
        }
    }

    /// The sheet a command reads, for the commands that read one.
    pub fn input(&self) -> Option<&Input> {
        match self {
            Command::Check { input, .. }
            | Command::Import { input, .. }
            | Command::Times { input, .. }
            | Command::Delete { input, .. }
            | Command::Leave { input, .. }
            | Command::Plan { input, .. }
            | Command::Sync { input, .. } => Some(input),
            _ => None,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a blank template workbook: headers, a 说明 Instructions sheet, dropdowns, an example row.
    Template {
        /// Which sheet: staff (import/plan/sync; the default), times (bgy times), delete
        /// (bgy delete) or leave (bgy leave).
        #[arg(long, value_enum)]
        kind: Option<KindArg>,
        /// Where to write it (.xlsx). An existing file is never overwritten without --force:
        /// it may be a filled-in sheet. By default bgy-template.xlsx for staff,
        /// bgy-KIND-template.xlsx for the others (bgy-times-template.xlsx).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// The same as -o FILE (bgy template roster.xlsx). A kind's name is the kind:
        /// bgy template times writes bgy-times-template.xlsx.
        #[arg(value_name = "FILE", conflicts_with = "output")]
        file: Option<PathBuf>,
        /// Overwrite OUTPUT if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Validate a sheet without changing anything; with a ticket or --emulator, also check
    /// departments, leaders and existing accounts on the server. Writes the report.
    Check {
        #[command(flatten)]
        input: Input,
        /// Which layout the sheet is in. Without it, a sheet whose columns are only 帐号, 姓名
        /// and the four dates is a times sheet, one with only 帐号 and 姓名 a delete sheet, one
        /// with 离职原因 and no 手机, 邮箱 or 微信号 a leave sheet; a sheet without 手机, 邮箱 or
        /// 微信号 whose every column bgy knows (a list that also gives 部门 and 职位) is a times
        /// sheet with an entry, work or confirmation date, else a leave sheet with a 离职时间;
        /// any other a staff sheet.
        #[arg(long, value_enum)]
        kind: Option<KindArg>,
        /// Missing departments are fine: they would be created.
        #[arg(long)]
        create_departments: bool,
        /// A quick look: the summary only, no report workbook.
        #[arg(long, conflicts_with_all = ["report", "report_dir"])]
        no_report: bool,
    },
    /// Validate, then add or update every valid row with staff/add (one call a row, concurrent).
    Import {
        #[command(flatten)]
        input: Input,
        /// What to do with accounts that already exist.
        #[arg(long, value_enum, default_value = "skip")]
        cover: CoverArg,
        /// Create departments named in 部门 that do not exist yet (parents first).
        #[arg(long)]
        create_departments: bool,
        /// Validate and show what would be sent; send nothing.
        #[arg(long)]
        dry_run: bool,
        /// Skip the rows that the journal of an earlier run says succeeded.
        #[arg(long)]
        resume: bool,
    },
    /// Update entry, probation-end, work-start and leave dates (staff/entry-time, 50 rows a call).
    ///
    /// A date left empty stays as the directory has it. A row whose account the directory does
    /// not have fails before anything is sent (帐号不在通讯录中), as `bgy check` of the sheet
    /// says.
    Times {
        #[command(flatten)]
        input: Input,
        /// Skip the rows that the journal of an earlier run says succeeded.
        #[arg(long)]
        resume: bool,
    },
    /// Delete the accounts in the sheet's 帐号 column, 200 a call, after a backup workbook.
    Delete {
        #[command(flatten)]
        input: Input,
        /// Do not ask for confirmation (required when not on a terminal).
        #[arg(long)]
        yes: bool,
        /// Allow deleting more than 20% of the directory.
        #[arg(long)]
        force: bool,
    },
    /// Mark the people of a 离职名单 as 已离职, keeping them in the directory (unlike delete).
    ///
    /// Each account once, with its row's 离职时间 and 离职原因 (or --date and --reason), by
    /// staff/add with 人事状态 已离职. The list names each by 帐号: map an HR number with
    /// --map 工号=帐号. `bgy check` reads a sheet with a 离职原因 column and no contact column
    /// as one. Their records before are kept in the history: `bgy undo` gives them back their
    /// status.
    Leave {
        #[command(flatten)]
        input: Input,
        /// The 离职时间 of rows that give none (YYYY-MM-DD; default: today).
        #[arg(long, value_parser = leave_date)]
        date: Option<String>,
        /// The 离职原因 of rows that give none (default: 离职名单 and the file's name).
        #[arg(long)]
        reason: Option<String>,
        /// Do not ask for confirmation (required when not on a terminal).
        #[arg(long)]
        yes: bool,
        /// Allow marking more than 20% of the directory.
        #[arg(long)]
        force: bool,
    },
    /// Export departments and staff in the import layout (export → edit → import round-trips).
    Export {
        /// .xlsx (staff and departments sheets) or .csv (staff, UTF-8 with a BOM, which Excel
        /// needs); `-` writes CSV to stdout (UTF-8 without a BOM), for pipes, once the
        /// listing is complete.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// The same as -o FILE (bgy export all.xlsx).
        #[arg(value_name = "FILE", conflicts_with = "output")]
        file: Option<PathBuf>,
        /// The CSV's encoding: utf-8, or gbk (GB18030, what Excel on Chinese Windows reads
        /// without being told).
        #[arg(long, value_enum, default_value_t = Encoding::Utf8)]
        encoding: Encoding,
        /// Only this department (a path from the root, e.g. 办公逸/研发部).
        #[arg(long)]
        department: Option<String>,
        /// With --department: its sub-departments too.
        #[arg(long)]
        recursive: bool,
    },
    /// Show what a sheet would change in the live directory: creates, updates field by field,
    /// unchanged rows, and with --prune (or --prune-mode leave) the accounts that would be
    /// deleted (or marked as leavers). Changes nothing.
    Plan {
        #[command(flatten)]
        input: Input,
        /// Also list accounts on the server that are not in the sheet, for deletion.
        #[arg(long, conflicts_with = "prune_mode")]
        prune: bool,
        /// What to do with accounts on the server that are not in the sheet: leave (mark them
        /// 已离职, with today's date) or delete (as --prune).
        #[arg(long, value_name = "MODE")]
        prune_mode: Option<PruneArg>,
        /// Departments named in 部门 that do not exist yet are to be created (parents first),
        /// not invalid rows: the plan lists them.
        #[arg(long)]
        create_departments: bool,
    },
    /// Apply exactly the plan: staff/add for creates (cover=0) and updates (cover=1); with
    /// --prune staff/delete for accounts not in the sheet, with --prune-mode leave 人事状态
    /// 已离职 for them instead.
    Sync {
        #[command(flatten)]
        input: Input,
        /// Delete accounts on the server that are not in the sheet.
        #[arg(long, conflicts_with = "prune_mode")]
        prune: bool,
        /// What to do with accounts on the server that are not in the sheet: leave (mark them
        /// 已离职 with today's date, quite_reason saying why; undo gives the status back) or
        /// delete (as --prune: the guard, the confirmation and the backup).
        #[arg(long, value_name = "MODE")]
        prune_mode: Option<PruneArg>,
        /// Create departments named in 部门 that do not exist yet (parents first), before
        /// anyone is sent; without it, the rows naming them are invalid.
        #[arg(long)]
        create_departments: bool,
        /// Do not ask for confirmation before deleting (required when not on a terminal).
        #[arg(long)]
        yes: bool,
        /// Allow pruning more than 20% of the directory.
        #[arg(long)]
        force: bool,
    },
    /// Departments from the command line, for scripts: list, add, rename.
    Dept {
        #[command(subcommand)]
        action: DeptCommand,
    },
    /// The runs that changed the directory, newest first; `history show RUN` lists a run's
    /// changes, `--export FILE.xlsx` writes the audit log (bank cards never shown).
    History {
        #[command(subcommand)]
        action: Option<HistoryCommand>,
        /// At most this many runs.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Write the audit log (one row per changed field) to this workbook.
        #[arg(long)]
        export: Option<PathBuf>,
    },
    /// Plans the inverse of a run from the history and applies it as a run of its own: what it
    /// created is deleted, what it updated gets its old values back (unless changed since:
    /// a conflict, left alone without --force), what it deleted is re-created with every field
    /// bgy knew, dates go back. Undoing an undo redoes.
    Undo {
        /// The run's number in `bgy history`.
        run: i64,
        /// Show the inverse and write the report; send nothing.
        #[arg(long)]
        dry_run: bool,
        /// Do not ask before deleting (required when not on a terminal).
        #[arg(long)]
        yes: bool,
        /// Allow deleting more than 20% of the directory, and restore over conflicts.
        #[arg(long)]
        force: bool,
    },
    /// The unattended job of bgy.toml's [schedule]: the newest sheet in its folder, planned and
    /// synced, paused for approval past max_changes, the 企业微信 robot told. `bgy serve` runs
    /// it on its cron; --once runs it now (for system cron and timers); --check says what it
    /// would read and when it runs next; --test-notify tries the robot and the mail.
    ///
    /// Exit codes: 0 done (or nothing new), 1 rows failed, 2 bad settings, 3 fatal, 4 paused
    /// for approval (bgy approve RUN / bgy reject RUN). A run prints its plan and counts, so
    /// under cron, which mails whatever a job prints, `chronic bgy schedule --once --quiet`
    /// (moreutils) mails only a run that does not exit 0.
    #[command(group(
        clap::ArgGroup::new("when")
            .required(true)
            .args(["once", "check", "test_notify"])
    ))]
    Schedule {
        /// Run the job now, once, and exit.
        #[arg(long)]
        once: bool,
        /// Check bgy.toml's [schedule] and [notify]; say when the job runs next and which
        /// file it would read. Sends nothing.
        #[arg(long)]
        check: bool,
        /// Send a test message to the 企业微信 robot (and the mail, if set) of bgy.toml's
        /// [notify], to see that they are told before the first night. Exit 2 if one is not.
        #[arg(long)]
        test_notify: bool,
    },
    /// Approve a run the schedule paused: it is planned again against the live directory and
    /// sent only if the plan is the one that was paused; otherwise the difference is shown and
    /// the run keeps waiting.
    Approve {
        /// The paused run's number (bgy history; status pending).
        run: i64,
    },
    /// Reject a run the schedule paused: nothing is sent, and the same file is not tried again.
    Reject {
        /// The paused run's number (bgy history; status pending).
        run: i64,
    },
    /// The web console: the same checks, imports and reports in a browser, for HR. Prints the
    /// address to open: on a loopback address (127.0.0.1, ::1, localhost) one with a token that
    /// signs in once, within minutes; on any other address it needs --users and shows a login
    /// page.
    Serve {
        /// Address to listen on (port 0: any free port).
        #[arg(long, default_value = "127.0.0.1:8700")]
        listen: String,
        /// Where runs keep their input, report, journal and backup, one folder a run.
        #[arg(long, default_value = ".bgy/runs")]
        data: PathBuf,
        /// Who may log in, one a line: `name:argon2-hash`, or `name:role:argon2-hash` with the
        /// role view (counts only), run (their own checks, imports, syncs without deleting)
        /// or approve (everything; the default). Make a hash with --hash-password.
        #[arg(long)]
        users: Option<PathBuf>,
        /// The largest upload, in megabytes (at most 512, the largest sheet bgy reads).
        #[arg(long, default_value_t = 50)]
        max_upload_mb: u64,
        /// Finished runs older than this many days are removed from the run store.
        #[arg(long, default_value_t = 30)]
        keep_runs: u64,
        /// The run store's size cap in megabytes: past it, the oldest finished runs go, and
        /// uploads are refused while runs in progress keep it full.
        #[arg(long, default_value_t = 10_240)]
        max_store_mb: u64,
        /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The private key of --tls-cert (PEM).
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Behind the company's reverse proxy (which does TLS): take the client's address from
        /// X-Forwarded-For and mark cookies Secure. Needs --users.
        #[arg(long, requires = "users")]
        trust_proxy: bool,
        /// Also answer to this host name (the name people type, e.g. hr.example.com);
        /// repeatable. The listening address's own names are always allowed; requests naming
        /// any other host are refused (DNS rebinding).
        #[arg(long = "host", value_name = "NAME")]
        hosts: Vec<String>,
        /// Read a password on stdin, print its argon2 hash for --users, and exit.
        #[arg(long)]
        hash_password: bool,
    },
    /// Run the API emulator as a server. It accepts the ticket given with --ticket, by default
    /// `emulator-ticket` (so: BGY_BASE_URL=http://127.0.0.1:8700 BGY_TICKET=emulator-ticket bgy …).
    Emulator {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8700")]
        listen: String,
        /// SQLite state file (created and seeded when new).
        #[arg(long, default_value = ".bgy/emulator.sqlite")]
        state: PathBuf,
        /// Org file to seed a new state with (default: the built-in samples/org.json).
        #[arg(long)]
        seed: Option<PathBuf>,
        /// Delay every answer by this many milliseconds.
        #[arg(long, default_value_t = 0)]
        latency_ms: u64,
        /// Share of requests that fail (HTTP 500, or applied and the connection dropped); the same
        /// request never fails more than twice in a row, so a client that retries gets through.
        #[arg(long, default_value_t = 0.0)]
        fail_rate: f64,
        // The ticket it accepts is the global --ticket (default: emulator-ticket).
    },
}

/// A CSV export's encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Encoding {
    #[value(name = "utf-8", alias = "utf8")]
    Utf8,
    #[value(name = "gbk", alias = "gb18030")]
    Gbk,
}

#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// The changes of one run: each account, what it was, what was sent.
    Show { run: i64 },
}

#[derive(Debug, Subcommand)]
pub enum DeptCommand {
    /// Print the tree, indented, with each department's member count (--json: a list).
    List,
    /// Create every missing level of PATH (e.g. 办公逸/研发部/平台组); prints the last one's we_id.
    Add { path: String },
    /// Rename a department, given by we_id or by path.
    Rename {
        /// A we_id (e.g. 12) or a path from the root (e.g. 办公逸/研发部).
        target: String,
        new_name: String,
    },
}

#[derive(Debug, Clone, ClapArgs)]
pub struct Input {
    /// The sheet: .xlsx, .xlsm, .xlsb, .xls, .ods or .csv (by content; a .txt Excel saved as
    /// "Unicode 文本" too), or a report workbook (its 失败 Failed rows are read); `-` reads it
    /// from standard input (a pipe), its report then stdin.report-….xlsx in the working folder.
    pub file: PathBuf,
    /// Read this sheet of the workbook instead of the first visible one (one sheet is read; a
    /// warning names the others that have a header row too).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Where to write the report, an .xlsx, never the input itself (default: next to the
    /// input, NAME.report-YYYYMMDD-HHMMSS.xlsx).
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Read the column headed HEADER as COLUMN (a template header such as 帐号 or 部门, or an
    /// API key such as we_userid; `-` ignores it). Repeatable; wins over bgy.toml's [columns].
    /// E.g. --map 工号=帐号 --map 'Dept=部门'.
    #[arg(long = "map", value_name = "HEADER=COLUMN", value_parser = crate::read::header::Names::parse_pair)]
    pub map: Vec<(String, Option<crate::model::Field>)>,
    /// Write reports (and journals) in this folder instead of beside the input (or name one
    /// as report_dir in bgy.toml).
    #[arg(long, value_name = "DIR", conflicts_with = "report")]
    pub report_dir: Option<PathBuf>,
}

/// `--date` of `bgy leave`: a day, written as the API takes it.
fn leave_date(s: &str) -> Result<String, String> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map(|d| d.format("%Y-%m-%d").to_string())
        .map_err(|_| format!("不是 YYYY-MM-DD 格式的日期 (not a date as YYYY-MM-DD): {s:?}"))
}
