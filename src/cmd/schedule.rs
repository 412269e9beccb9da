//! The sync that runs by itself: `bgy.toml`'s `[schedule]` read once ([`Settings`]), the
//! newest sheet of a folder picked and waited for until it is whole, a file already run left
//! alone, the sync gated (invalid rows, a cut-off export, too many changes: paused for a
//! person), its runs recorded as who = `schedule`, and the 企业微信 robot told
//! ([`crate::notify`]).
//!
//! In: the settings and a context. Out: the run's summary; `Status::Paused` when it waits for
//! `bgy approve RUN` / `bgy reject RUN` ([`decide`]).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use anyhow::Context as _;

use crate::cmd::plan::{paused_options, sync_gated, Approving, Gate};
use crate::config::unattended::{OnInvalid, Schedule, Settings, Threshold};
use crate::config::{Destructive, Input, Reach};
use crate::context::Context;
use crate::events::{Emit, Event, Observer};
use crate::history::RunStatus;
use crate::input::Bytes;
use crate::notify::{self, Ended};
use crate::outcome::{Reason, Status, Summary};

/// Who the history names for a scheduled run.
pub const WHO: &str = "schedule";

/// The sheets a folder may hold: what bgy reads, less Excel's lock files, hidden files, and
/// bgy's own reports and backups.
fn is_sheet(name: &str) -> bool {
    let lower = name.to_lowercase();
    let readable = ["xlsx", "xlsm", "xls", "xlsb", "ods", "csv"]
        .iter()
        .any(|ext| lower.ends_with(&format!(".{ext}")));
    readable
        && !name.starts_with("~$")
        && !name.starts_with('.')
        && !lower.contains(".report-")
        && !lower.contains(".backup-")
}

/// The newest sheet in the job's folder (that its pattern admits), by modification time.
pub fn newest_sheet(job: &Schedule) -> anyhow::Result<Option<PathBuf>> {
    let entries = std::fs::read_dir(&job.folder).map_err(|e| {
        let why = crate::text::io_reason(&e, crate::text::Access::ReadFolder);
        let folder = job.folder.display();
        anyhow::anyhow!(
            "无法读取文件夹 {folder}([schedule] folder):{why} (cannot read the folder {folder} ([schedule] folder): {e})"
        )
    })?;
    let mut newest: Option<(SystemTime, PathBuf)> = None;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !is_sheet(&name) || job.pattern.as_ref().is_some_and(|p| !p.matches(&name)) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        let at = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        if meta.is_file() && newest.as_ref().is_none_or(|(t, _)| at > *t) {
            newest = Some((at, entry.path()));
        }
    }
    Ok(newest.map(|(_, p)| p))
}

/// Waits until `path` stops changing (size and time the same across `settle`): an export
/// still being written is not read half-way. Gives up after twenty tries.
async fn settled(path: &Path, settle: Duration) -> anyhow::Result<()> {
    let stamp = |p: &Path| {
        std::fs::metadata(p)
            .map(|m| (m.len(), m.modified().ok()))
            .map_err(|error| crate::read::ReadError::Io {
                path: p.display().to_string(),
                error,
            })
    };
    let mut last = stamp(path)?;
    for _ in 0..20 {
        if settle.is_zero() {
            return Ok(());
        }
        tokio::time::sleep(settle).await;
        let now = stamp(path)?;
        if now == last {
            return Ok(());
        }
        last = now;
    }
    anyhow::bail!(
        "{} 仍在写入,本次不读 ({} is still being written: it kept changing for {} s; the next run reads it)",
        path.display(),
        path.display(),
        (settle * 20).as_secs()
    )
}

/// Keeps the reasons of a run's end beside passing every event on, for the robot's message.
struct Heard {
    inner: Arc<dyn Observer>,
    reasons: Mutex<Vec<Reason>>,
}

impl Observer for Heard {
    fn event(&self, event: Event) {
        if let Event::Finished(f) = &event {
            *self.reasons.lock().unwrap_or_else(|e| e.into_inner()) = f.reasons.clone();
        }
        self.inner.event(event);
    }

    fn confirm_removal(
        &self,
        _command: &str,
        _n: usize,
        _what: crate::remedy::Removal,
    ) -> anyhow::Result<bool> {
        // Nobody is there: the gate decided already.
        anyhow::bail!("an unattended run asks nobody")
    }

    fn plan_lines(&self) -> usize {
        self.inner.plan_lines()
    }
}

/// Runs the job once now: reads the newest sheet, syncs it within the limits or pauses, and
/// tells the robot.
pub async fn once(ctx: &Context, settings: &Settings) -> anyhow::Result<Summary> {
    let job = settings
        .schedule
        .as_ref()
        .context("bgy.toml has no [schedule]")?;
    let heard = Arc::new(Heard {
        inner: ctx.events.clone(),
        reasons: Mutex::new(Vec::new()),
    });
    let run = ctx.for_run(heard.clone(), WHO, ctx.stop.clone());
    let mut file = None;
    let result = attempt(&run, job, &mut file).await;
    let reasons = std::mem::take(&mut *heard.reasons.lock().unwrap_or_else(|e| e.into_inner()));
    let ended = Ended {
        file,
        result: &result,
        reasons,
    };
    notify::tell(ctx.events.as_ref(), &settings.notify, &ended).await;
    remember(ctx, &result);
    result
}

/// The file beside the history that says how the job's last run ended.
const LAST: &str = "schedule-last.txt";

/// Writes how the job's run ended, in a line (`2026-12-07 02:30 完成 #12 (done #12)`), beside
/// the history: a run that failed before it planned is in no history, and the console's
/// 定时同步 page reads this whether `bgy serve` ran the job or system cron did.
fn remember(ctx: &Context, result: &anyhow::Result<Summary>) {
    let at = crate::model::now().format("%Y-%m-%d %H:%M");
    let said = match result {
        Ok(s) => outcome(s),
        Err(e) => format!("失败 (failed): {}", crate::text::line(&format!("{e:#}"))),
    };
    let dir = ctx.history_dir();
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join(LAST), format!("{at} {said}\n")));
    if let Err(e) = written {
        ctx.events.warn(format!(
            "无法写入 {0} (cannot write {0}): {e}",
            dir.join(LAST).display()
        ));
    }
}

/// How the job's last run ended, as [`remember`] wrote it beside the history in `dir`.
pub fn last(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(LAST)).ok()?;
    Some(text.trim().chars().take(1000).collect()).filter(|t: &String| !t.is_empty())
}

/// How a scheduled run ended, in a few words.
fn outcome(s: &Summary) -> String {
    let run = s.history_run.map(|r| format!(" #{r}")).unwrap_or_default();
    match (s.status, s.history_run) {
        (Status::Paused, _) => format!("等待确认{run} (waiting for approval{run})"),
        (Status::Ok, None) => "没有新文件 (no new file)".into(),
        (Status::Ok, _) => format!("完成{run} (done{run})"),
        (Status::RowsFailed, _) => format!("部分行失败{run} (rows failed{run})"),
        _ => format!("中止{run} (stopped{run})"),
    }
}

async fn attempt(
    ctx: &Context,
    job: &Schedule,
    file: &mut Option<String>,
) -> anyhow::Result<Summary> {
    let Some(path) = newest_sheet(job)? else {
        anyhow::bail!(
            "{} 中没有可读的表格 (no sheet to read in {}{}: .xlsx, .xls, .xlsb, .ods or .csv)",
            job.folder.display(),
            job.folder.display(),
            job.pattern
                .as_ref()
                .map(|p| format!(" matching {:?}", p.as_str()))
                .unwrap_or_default()
        );
    };
    *file = path.file_name().map(|n| n.to_string_lossy().into_owned());
    settled(&path, job.settle).await?;
    let bytes: Arc<[u8]> = crate::read::read_file(&path)?.into();
    let sha = crate::history::sha256(&bytes);
    if let Some((run, status)) = ctx.history()?.seen_source(WHO, &sha) {
        ctx.events.note(format!(
            "bgy schedule: {} 与运行 {run} 读过的文件相同 ({}),无需再做 (the same file as run {run}, {}: nothing to do)",
            path.display(),
            status.chinese(),
            status.as_str()
        ));
        return Ok(Summary {
            command: "schedule",
            ..Summary::default()
        });
    }
    let mut input = scheduled_input(ctx, path)?;
    input.bytes = Some(Bytes::new(bytes));
    let gate = Gate {
        max_changes: job.max_changes,
        on_invalid: job.on_invalid,
        approving: None,
    };
    let destructive = Destructive::default();
    let reach = Reach {
        prune: job.prune,
        create_departments: job.create_departments,
    };
    let mut summary = sync_gated(ctx, &input, reach, destructive, Some(&gate)).await?;
    summary.command = "schedule";
    Ok(summary)
}

/// A scheduled run's input: its reports go under the history's folder, not into the HR
/// system's export folder.
fn scheduled_input(ctx: &Context, path: PathBuf) -> anyhow::Result<Input> {
    let reports = ctx.history_dir().join("schedule");
    std::fs::create_dir_all(&reports).with_context(|| {
        let r = reports.display();
        format!("无法建立报告的文件夹 {r} (cannot create the reports' folder {r})")
    })?;
    let mut input = Input::file(path);
    input.report_dir = Some(reports);
    // bgy.toml's [columns] as the file says now: a console may have remembered some.
    input.columns = crate::config::column_names(Path::new("."), &input.columns)?;
    Ok(input)
}

/// `bgy approve RUN` / `bgy reject RUN`: decides a paused run. Approving plans it again
/// against the live directory and sends only that same plan.
pub async fn decide(
    ctx: &Context,
    run: i64,
    approve: bool,
    settings: &Settings,
    report: Option<PathBuf>,
) -> anyhow::Result<Summary> {
    let history = ctx.history()?;
    let paused = history.paused_run(run)?.with_context(|| {
        format!("运行 {run} 不是等待确认的定时同步 (run {run} is not a run the schedule paused; bgy history lists the runs, pending ones as pending)")
    })?;
    let by = paused.decided_by.as_deref();
    anyhow::ensure!(
        paused.run.status == RunStatus::Pending,
        "运行 {run} 已经处理过:{}{} (run {run} was {} already{})",
        by.map(|w| format!("{w} ")).unwrap_or_default(),
        paused.run.status.chinese(),
        paused.run.status,
        by.map(|w| format!(" by {w}")).unwrap_or_default()
    );
    if !approve {
        history.decide(run, RunStatus::Rejected, &ctx.who, None)?;
        ctx.events.note(format!(
            "bgy reject: 运行 {run} 已拒绝,什么也没有发送;同一文件不会再次运行 (run {run} rejected: nothing was sent, and the schedule will not run the same file again)"
        ));
        return Ok(Summary {
            command: "reject",
            history_run: Some(run),
            ..Summary::default()
        });
    }
    let path = PathBuf::from(&paused.path);
    let bytes: Arc<[u8]> = crate::read::read_file(&path)
        .with_context(|| {
            format!(
                "运行 {run} 读过的表格已不在 (the sheet run {run} read, {}, is gone): bgy reject {run}",
                path.display()
            )
        })?
        .into();
    anyhow::ensure!(
        crate::history::sha256(&bytes) == paused.run.sha256,
        "运行 {run} 暂停后表格 {} 已改动 (the sheet changed since run {run} was paused; nothing was sent): bgy reject {run}, and the schedule reads the new file at its next run",
        path.display()
    );
    // As the paused run planned: the plan approved is the one it paused with.
    let (reach, on_invalid) = paused_options(&paused.options);
    let mut input = scheduled_input(ctx, path)?;
    input.report = report;
    input.bytes = Some(Bytes::new(bytes));
    let gate = Gate {
        max_changes: Threshold::Count(usize::MAX),
        on_invalid,
        approving: Some(Approving {
            run,
            hash: paused.plan_hash.clone(),
            lines: serde_json::from_value(paused.lines.clone()).unwrap_or_default(),
        }),
    };
    let mut summary = sync_gated(ctx, &input, reach, Destructive::default(), Some(&gate)).await?;
    history.decide(run, RunStatus::Approved, &ctx.who, summary.history_run)?;
    ctx.events.note(format!(
        "bgy approve: 运行 {run} 已批准并发送 (run {run} approved and sent{})",
        summary
            .history_run
            .map(|r| format!(" as run {r}"))
            .unwrap_or_default()
    ));
    summary.command = "approve";
    let file = input
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    let result = Ok(summary);
    let ended = Ended {
        file,
        result: &result,
        reasons: Vec::new(),
    };
    notify::tell(ctx.events.as_ref(), &settings.notify, &ended).await;
    result
}

/// `bgy schedule --check`: the job as read, when it runs next, and what it would read now.
pub async fn check(ctx: &Context, settings: &Settings) -> anyhow::Result<Summary> {
    let job = settings
        .schedule
        .as_ref()
        .context("bgy.toml has no [schedule]")?;
    // Three, with their weekdays: a weekday field is seen to say the days meant.
    let runs = job.next_runs(chrono::Utc::now(), 3);
    let next = match runs.first() {
        Some(first) => format!(
            "{} ({})",
            (runs.iter())
                .map(|t| t.format("%Y-%m-%d %a %H:%M").to_string())
                .collect::<Vec<_>>()
                .join(", "),
            first.format("%Z")
        ),
        None => "never (the cron names no future time)".into(),
    };
    // A folder that cannot be read is a setting to fix: said below, and exit 2.
    let (file, unreadable) = match newest_sheet(job) {
        Ok(Some(p)) => (format!("{}{}", p.display(), read_before(ctx, &p)), None),
        Ok(None) => ("none yet".into(), None),
        Err(e) => ("cannot read the folder (below)".into(), Some(e)),
    };
    let robot = match &settings.notify.webhook {
        Some(w) => w.shown(),
        None => "none".into(),
    };
    let mail = match &settings.notify.mail {
        Some(m) => m.shown(),
        None => "none".into(),
    };
    let keep = crate::config::Company::read(Path::new("."))?.keep()?;
    // With a server, `[prune]`'s departments are looked up now, not first at night.
    let kept = match &ctx.client {
        Some(client) => {
            keep.in_tree(&crate::live::departments(client).await?)?;
            " (its departments found in the directory)"
        }
        None => "",
    };
    ctx.events.note(format!(
        "bgy schedule: cron {:?} ({}); next runs {next}\n  folder {}{}; newest sheet: {file}\n  prune {}, max_changes {}, on_invalid {}, create_departments {}; kept from a prune: {}{kept}\n  robot {robot}\n  mail {mail}{}",
        job.cron_text,
        job.tz.name(),
        job.folder.display(),
        job.pattern
            .as_ref()
            .map(|p| format!(" (pattern {:?})", p.as_str()))
            .unwrap_or_default(),
        job.prune.name(),
        job.max_changes.describe(),
        match job.on_invalid {
            OnInvalid::Skip => "skip",
            OnInvalid::SendValid => "send-valid",
        },
        job.create_departments,
        keep.describe(),
        last_runs(ctx)
    ));
    if let Some(e) = unreadable {
        return Err(e);
    }
    Ok(Summary {
        command: "schedule",
        detail: crate::outcome::Detail::Wrote { output: next },
        status: Status::Ok,
        ..Summary::default()
    })
}

/// ` (read by run 7, pending: the next run leaves it alone)`, when a run of the job read the
/// file as it is now; nothing when it did not, or the history cannot say.
fn read_before(ctx: &Context, path: &Path) -> String {
    if !ctx.has_history() {
        return String::new();
    }
    let seen = (crate::read::read_file(path).ok()).and_then(|bytes| {
        ctx.history()
            .ok()?
            .seen_source(WHO, &crate::history::sha256(&bytes))
    });
    match seen {
        Some((run, status)) => {
            format!(" (read by run {run}, {status}: the next run leaves it alone)")
        }
        None => String::new(),
    }
}

/// The job's last run and the runs that wait for approval, from the history: what IT looks
/// for after a night.
fn last_runs(ctx: &Context) -> String {
    let Some(history) = ctx.has_history().then(|| ctx.history().ok()).flatten() else {
        return String::new();
    };
    let mut out = String::new();
    if let Some(last) = history
        .runs_by(WHO, 1)
        .ok()
        .and_then(|r| r.into_iter().next())
    {
        out.push_str(&format!(
            "\n  last run: {} {} {} {}",
            last.id, last.started, last.input, last.status
        ));
    }
    let waiting: Vec<String> = (history.paused(false, 10).unwrap_or_default())
        .iter()
        .map(|p| p.run.id.to_string())
        .collect();
    if !waiting.is_empty() {
        out.push_str(&format!(
            "\n  waiting for approval: run {} (bgy approve RUN / bgy reject RUN)",
            waiting.join(", ")
        ));
    }
    out
}

/// `bgy schedule --test-notify`: a test message to the robot and the mail of `[notify]`; exit 2
/// naming each that was not told.
pub async fn test_notify(ctx: &Context, settings: &Settings) -> anyhow::Result<Summary> {
    let notify = &settings.notify;
    anyhow::ensure!(
        notify.webhook.is_some() || notify.mail.is_some(),
        "bgy.toml 的 [notify] 既没有 wecom_webhook 也没有 smtp,没有可以通知的地方 (bgy.toml's [notify] has neither wecom_webhook nor smtp: nobody to tell)"
    );
    let next = settings
        .schedule
        .as_ref()
        .and_then(|job| job.next_after(chrono::Utc::now()))
        .map(|t| t.format("%Y-%m-%d %H:%M %Z").to_string());
    let mut failed = Vec::new();
    for (whom, sent) in notify::test(notify, next.as_deref()).await {
        match sent {
            Ok(()) => ctx.events.note(format!(
                "bgy schedule: 测试消息已发给 {whom} (a test message went to it)"
            )),
            Err(e) => failed.push(format!("{whom}: {e}")),
        }
    }
    anyhow::ensure!(
        failed.is_empty(),
        "测试消息没有发出 (the test message was not taken): {}",
        failed.join("; ")
    );
    Ok(Summary {
        command: "schedule",
        status: Status::Ok,
        ..Summary::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sheets_bgy_reads_and_did_not_write() {
        assert!(is_sheet("花名册-11月.xlsx"));
        assert!(is_sheet("export.CSV"));
        assert!(!is_sheet("~$花名册.xlsx"));
        assert!(!is_sheet(".hidden.xlsx"));
        assert!(!is_sheet("花名册.report-20261129-023000.xlsx"));
        assert!(!is_sheet("花名册.backup-20261129-023000.xlsx"));
        assert!(!is_sheet("notes.txt"));
    }

    /// An export still being written is read only once it has stopped changing.
    #[tokio::test]
    async fn a_file_being_written_is_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("花名册.csv");
        std::fs::write(&path, "帐号\n").unwrap();
        let writing = path.clone();
        let writer = tokio::spawn(async move {
            // Writes 20 ms apart, waited for until the file is still for 300 ms: room for a
            // loaded machine (two cores running the whole test suite) to stall the writer.
            for i in 0..8 {
                tokio::time::sleep(Duration::from_millis(20)).await;
                let mut text = std::fs::read_to_string(&writing).unwrap();
                text.push_str(&format!("p{i}\n"));
                std::fs::write(&writing, text).unwrap();
            }
        });
        let started = std::time::Instant::now();
        settled(&path, Duration::from_millis(300)).await.unwrap();
        assert!(writer.is_finished(), "read while still being written");
        assert!(started.elapsed() >= Duration::from_millis(160 + 300));
        assert!(std::fs::read_to_string(&path).unwrap().contains("p7"));
    }
}
