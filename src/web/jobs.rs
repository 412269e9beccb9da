//! A run's life in the console: started (a sending run only with the directory's sending lock,
//! which it holds to its end, whatever that end is), carried out off the async runtime's
//! threads (reading, validating, SQLite and reports are blocking work), stopped by a person,
//! recorded when it ends (a full disk included), and settled after a kill.
//!
//! In: a run's folder, record and job. Out: the run's `run.json`, its failed rows and plan as
//! data, its page's progress. Never: a run left "running" by this process, a lock kept past
//! its run, a stop that reaches another run.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::Semaphore;

use super::error::AppError;
use super::runs::{self, RunInfo, Status};
use super::watch::{Said, Snapshot, WebRun};
use super::App;
use crate::config::Job;
use crate::lock::{DirLock, Locked};
use crate::outcome::Summary;
use crate::stop::Stop;

/// Runs that send nothing (checks, plans, exports) at once: each reads and validates a whole
/// sheet, and the machine has two cores.
const CHECKS_AT_ONCE: usize = 2;

/// The runs this console is carrying out.
pub struct Jobs {
    running: Mutex<HashMap<String, Arc<WebRun>>>,
    checks: Semaphore,
    /// This console's sending run, for the pages.
    sending: Mutex<Option<String>>,
}

impl Default for Jobs {
    fn default() -> Jobs {
        Jobs {
            running: Mutex::default(),
            checks: Semaphore::new(CHECKS_AT_ONCE),
            sending: Mutex::default(),
        }
    }
}

/// A run about to start: its folder (held since it was made), its record, and what it does.
pub struct NewRun {
    pub dir: PathBuf,
    pub live: runs::Live,
    pub info: RunInfo,
    pub job: Job,
}

impl Jobs {
    pub fn watch(&self, id: &str) -> Option<Arc<WebRun>> {
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    pub fn snapshot(&self, id: &str) -> Option<Snapshot> {
        self.watch(id).map(|w| w.snapshot())
    }

    /// This console's sending run, if one is going.
    pub fn sending(&self) -> Option<String> {
        self.sending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Stops every run (the console is shutting down) and waits for them to end.
    pub async fn stop_all(&self) {
        let all: Vec<Arc<WebRun>> = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        for w in &all {
            w.stop.interrupt_because(SHUT_DOWN);
        }
        until_stopped(|| {
            self.running
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .is_empty()
        })
        .await;
    }
}

/// Why a console's shutdown stopped a run.
pub(super) const SHUT_DOWN: &str = "控制台已关闭 (the console was shut down)";

/// Waits, a minute at most, until the runs a shutdown stopped have ended (`ended`).
pub(super) async fn until_stopped(ended: impl Fn() -> bool) {
    for _ in 0..600 {
        if ended() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Takes the working directory's sending lock for a run described as `what`; refused with
/// who holds it (this console's run, another console's, or a command line's).
pub async fn take_directory(app: &App, what: String) -> Result<DirLock, AppError> {
    let dir = app.ctx.history_dir();
    let taken = tokio::task::spawn_blocking(move || crate::lock::directory(&dir, &what))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    taken.map_err(|e| match e.downcast_ref::<Locked>() {
        Some(locked) => AppError::conflict(
            "正在运行 (A run is busy)",
            format!(
                "另一个运行正在修改通讯录: {} 请等它结束后再试,什么也没有发送 (another run is changing the directory: {}; wait for it to finish; nothing was sent).",
                locked.holder, locked.holder
            ),
        ),
        None => AppError::Internal(format!("{e:#}")),
    })
}

/// Runs a job that keeps no run folder (the department tree) off the runtime's threads; its
/// summary and the warnings it gave.
pub async fn quick(app: &App, who: &str, job: Job) -> (anyhow::Result<Summary>, Vec<String>) {
    let watch = Arc::new(WebRun::without_folder(Stop::new()));
    let ctx = app.ctx.for_run(watch.clone(), who, watch.stop.clone());
    let handle = tokio::runtime::Handle::current();
    let result = tokio::task::spawn_blocking(move || handle.block_on(crate::cmd::run(&ctx, &job)))
        .await
        .unwrap_or_else(|e| Err(anyhow::anyhow!("internal error: {e}")));
    (result, watch.outcome().warnings)
}

/// Runs a job that sends nothing to its end (when a check slot is free), then its page.
///
/// On a task of its own: a person who closes the page, or a proxy that gives up, while the
/// check waits or runs drops the request, not the run. It ends and is recorded all the same
/// (awaited here, it was cut off with its work still going on: recorded as killed, its counts
/// lost, its slot freed while it still read).
pub async fn run_now(app: Arc<App>, run: NewRun) -> Result<String, AppError> {
    let id = run.info.id.clone();
    tokio::spawn(async move {
        let _slot = app
            .jobs
            .checks
            .acquire()
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let watch = begin(&app, &run)?;
        carry_out(app.clone(), run, watch, None).await;
        Ok::<_, AppError>(())
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))??;
    Ok(id)
}

/// Starts a sending job in the background, holding the directory's `lock` until it ends.
pub fn launch(app: Arc<App>, run: NewRun, lock: DirLock) -> Result<String, AppError> {
    let id = run.info.id.clone();
    let watch = begin(&app, &run)?;
    *app.jobs.sending.lock().unwrap_or_else(|e| e.into_inner()) = Some(id.clone());
    tokio::spawn(carry_out(app, run, watch, Some(lock)));
    Ok(id)
}

/// The run's record saved as running (its folder held since it was made), its observer
/// followed.
fn begin(app: &App, run: &NewRun) -> Result<Arc<WebRun>, AppError> {
    app.store.reserve();
    runs::save(&run.dir, &run.info).map_err(|e| AppError::storage(&e))?;
    let watch = Arc::new(WebRun::new(run.dir.clone(), Stop::new()));
    app.jobs
        .running
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(run.info.id.clone(), watch.clone());
    Ok(watch)
}

/// Ends the run's bookkeeping on every path: dropped, it forgets the run and, for a sending
/// run, frees the console (the directory's lock goes with it).
struct Done<'a> {
    app: &'a App,
    id: String,
    sending: bool,
    _lock: Option<DirLock>,
    _live: runs::Live,
}

impl Drop for Done<'_> {
    fn drop(&mut self) {
        // The console is free before the run's page stops showing it going: a person who
        // sees it ended finds no notice of a sending run left.
        if self.sending {
            let mut sending = self
                .app
                .jobs
                .sending
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if sending.as_deref() == Some(self.id.as_str()) {
                *sending = None;
            }
        }
        self.app
            .jobs
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.id);
    }
}

async fn carry_out(app: Arc<App>, run: NewRun, watch: Arc<WebRun>, lock: Option<DirLock>) {
    let NewRun {
        dir,
        live,
        mut info,
        job,
    } = run;
    let _done = Done {
        app: &app,
        id: info.id.clone(),
        sending: lock.is_some(),
        _lock: lock,
        _live: live,
    };
    let mut ctx = app
        .ctx
        .for_run(watch.clone(), &info.who, watch.stop.clone());
    ctx.directory_held = _done._lock.is_some();
    let handle = tokio::runtime::Handle::current();
    // The job's blocking work (reading, validating, SQLite, the report) runs on a thread of
    // its own; its calls still go through this runtime.
    let result = tokio::task::spawn_blocking(move || handle.block_on(crate::cmd::run(&ctx, &job)))
        .await
        .unwrap_or_else(|e| {
            Err(anyhow::anyhow!(
                "内部错误,运行中止 (an internal error ended the run: {})",
                if e.is_panic() { "panic" } else { "cancelled" }
            ))
        });
    record(&app, &dir, &mut info, &watch, result);
    watch.close();
}

/// Writes down how the run ended. On a full disk the reserve is given back first, so that
/// the record says so instead of staying "running".
fn record(
    app: &App,
    dir: &std::path::Path,
    info: &mut RunInfo,
    watch: &WebRun,
    result: anyhow::Result<Summary>,
) {
    let said = watch.outcome();
    let full = match &result {
        Err(e) => disk_full(&format!("{e:#}")),
        Ok(_) => said
            .end
            .as_ref()
            .and_then(|f| f.stopped.as_deref())
            .is_some_and(disk_full),
    };
    if full {
        app.store.release_reserve();
    }
    ended(info, watch, &said, &result, full);
    // The sheet as the person knows it, not the run store's copy.
    let stored = dir.join(&info.input).display().to_string();
    if !info.input.is_empty() {
        if let Some(e) = info.error.as_mut() {
            *e = e.replace(&stored, &info.file);
        }
        for w in info.warnings.iter_mut().chain(info.notes.iter_mut()) {
            *w = w.replace(&stored, &info.file);
        }
    }
    if let Some(plan) = &said.plan {
        if runs::save_plan(dir, plan).is_err() {
            info.warnings
                .push("计划未能保存 (the plan could not be kept; the report has it)".into());
        }
    }
    let saved = runs::save(dir, info).or_else(|_| {
        app.store.release_reserve();
        runs::save(dir, info)
    });
    // A run's files may have taken the store past its cap: the oldest finished runs go.
    if app.store.full() {
        app.store.prune(Some(&info.id));
    }
    if let Err(e) = saved {
        crate::console::say(format!(
            "bgy serve: run {} ended ({}), but its record could not be written: {e}",
            info.id,
            info.status.name()
        ));
    }
}

/// The record of a run that ended with `result`.
fn ended(
    info: &mut RunInfo,
    watch: &WebRun,
    said: &Said,
    result: &anyhow::Result<Summary>,
    full: bool,
) {
    info.warnings.clone_from(&said.warnings);
    info.notes.clone_from(&said.notes);
    info.remedies.clone_from(&said.remedies);
    info.columns.clone_from(&said.columns);
    info.finished = Some(runs::now());
    info.failed_rows = said.failed_rows.unwrap_or(0);
    if said.failed_rows.is_none() {
        info.warnings.push(
            "未通过的行未能保存在控制台,报告中有全部 (the failed rows could not be kept for this page; the report has them)".into(),
        );
    }
    if let Some(end) = &said.end {
        if info.by_header {
            info.kind = end.layout;
        }
        info.row_warnings = end
            .reasons
            .iter()
            .filter(|r| r.warning)
            .map(|r| r.count as u64)
            .sum();
        info.counts = Some(end.counts.clone());
        info.history_run = end.history_run;
        info.reasons.clone_from(&end.reasons);
        info.existing = end.existing;
        info.not_found = end.not_found;
        info.directory = end.directory;
        for r in &end.reasons {
            if let Some(remedy) = r.remedy.as_ref().filter(|r| !info.remedies.contains(r)) {
                info.remedies.push(remedy.clone());
            }
        }
    }
    info.stopped_by = watch.stopper();
    let stopped = said.end.as_ref().and_then(|f| f.stopped.clone());
    let remedy = said.end.as_ref().and_then(|f| f.stopped_remedy.clone());
    if let Some(remedy) = remedy.filter(|r| !info.remedies.contains(r)) {
        info.remedies.push(remedy);
    }
    (info.status, info.error) = match result {
        Ok(summary) => {
            info.counts = Some(summary.counts.clone());
            info.history_run = summary.history_run.or(info.history_run);
            match summary.status {
                _ if full => (Status::Failed, Some(disk_full_text(stopped.as_slice()))),
                crate::outcome::Status::Ok => (Status::Ok, None),
                crate::outcome::Status::RowsFailed => (Status::RowsFailed, None),
                crate::outcome::Status::Fatal => (Status::Fatal, stopped),
                crate::outcome::Status::Interrupted if info.stopped_by.is_some() => {
                    (Status::Stopped, None)
                }
                crate::outcome::Status::Interrupted => (Status::Interrupted, stopped),
                crate::outcome::Status::Paused => {
                    (Status::Pending, summary.paused().map(str::to_string))
                }
            }
        }
        Err(e) if full => (Status::Failed, Some(disk_full_text(&chain_of(e)))),
        Err(e) => {
            info.remedies.extend(crate::outcome::remedy_of(e));
            let load = e
                .chain()
                .find_map(|c| c.downcast_ref::<crate::validate::LoadError>());
            if let Some(crate::validate::LoadError::MissingColumn { columns, .. }) = load {
                info.columns = Some((**columns).clone());
                info.missing_column = true;
            }
            (Status::Failed, Some(failed_text(e, load)))
        }
    };
}

/// The error that ended a run, `中文 (English)` as a whole, so that each language's page shows
/// its own half (each cut to a line on its own: a cut whole would lose the closing bracket).
fn failed_text(e: &anyhow::Error, load: Option<&crate::validate::LoadError>) -> String {
    let line = crate::text::line;
    let changed = e
        .chain()
        .find_map(|c| c.downcast_ref::<crate::cmd::plan::PlanChanged>());
    match (
        load.and_then(crate::validate::LoadError::in_languages),
        changed,
    ) {
        (Some((zh, en)), _) => format!("{} ({})", line(&zh), line(&en)),
        (None, Some(c)) => plan_changed(c),
        (None, None) => {
            let said = chain_of(e);
            match crate::text::bilingual(&said[0]) {
                Some(head) => in_halves(head, &said[1..]),
                None => line(&said.join(": ")),
            }
        }
    }
}

/// An error and each of its causes, outermost first (`{e:#}` is them joined by `: `).
fn chain_of(e: &anyhow::Error) -> Vec<String> {
    e.chain().map(ToString::to_string).collect()
}

/// `head` in each language (`中文 (English)`), followed by what caused it, each cause in its
/// own language's half when it is said in both: a bilingual message with its causes after it,
/// as the command line says it, is no `中文 (English)`, and the Chinese page showed it whole,
/// both languages and the causes besides.
fn in_halves((zh, en): (&str, &str), causes: &[String]) -> String {
    let (mut zh, mut en) = (zh.to_string(), en.to_string());
    for cause in causes {
        let (z, e) = crate::text::bilingual(cause).unwrap_or((cause, cause));
        zh = format!("{zh}:{z}");
        en = format!("{en}: {e}");
    }
    format!("{} ({})", crate::text::line(&zh), crate::text::line(&en))
}

/// An approval whose plan changed, as the console says it (`中文 (English)`): what to do on
/// its pages, not the command line's, and the lines that differ in each language's words.
fn plan_changed(c: &crate::cmd::plan::PlanChanged) -> String {
    use crate::web::i18n::Lang;
    let lines = |lang: Lang, lines: &[crate::outcome::PlanLine]| -> String {
        let shown: Vec<String> = (lines.iter().take(3))
            .map(|l| {
                let [action, target, field, old, new] = super::pages::run::shown_line_in(lang, l);
                match (field.is_empty(), old.is_empty()) {
                    (true, _) => format!("{action} {target}"),
                    (false, true) => format!("{action} {target} {field} → {new}"),
                    (false, false) => format!("{action} {target} {field}: {old} → {new}"),
                }
            })
            .collect();
        let more = lines.len().saturating_sub(shown.len());
        let more = match (lang, more) {
            (_, 0) => String::new(),
            (Lang::Zh, n) => format!(" 等,另有 {n} 处"),
            (Lang::En, n) => format!(" and {n} more"),
        };
        format!("{}{more}", shown.join("; "))
    };
    let said = |lang: Lang, words: &str, of: &[crate::outcome::PlanLine]| {
        let end = if lang == Lang::Zh { "。" } else { "." };
        match of.is_empty() {
            true => String::new(),
            false => format!("{words}{}{end}", lines(lang, of)),
        }
    };
    let run = c.run;
    let zh = format!(
        "计划已变:运行 {run} 暂停后通讯录有了变化,什么也没有发送,运行 {run} 仍在等待;下面是现在的计划,可在定时同步页拒绝它,或在计划符合预期时再批准。{}{}",
        said(Lang::Zh, "现在多了:", &c.new),
        said(Lang::Zh, "不再:", &c.gone)
    );
    let en = format!(
        "the plan changed since run {run} was paused: nothing was sent and run {run} still waits; below is today's plan: reject it on the Scheduled sync page, or approve it again once the plan is what you want.{}{}",
        said(Lang::En, " Now also: ", &c.new),
        said(Lang::En, " No longer: ", &c.gone)
    );
    format!("{} ({})", crate::text::line(&zh), crate::text::line(&en))
}

/// A full disk, as the console says it, with what failed ([`in_halves`]).
fn disk_full_text(causes: &[String]) -> String {
    in_halves(
        (
            "磁盘已满,运行已停止;日志记下了已完成的行,腾出空间后可以继续",
            "the disk is full: the run stopped; the journal kept what was done, and it can be resumed once there is space",
        ),
        causes,
    )
}

/// A message that says the disk (or the history's database) is full.
fn disk_full(text: &str) -> bool {
    [
        "No space left on device",
        "os error 28",
        "database or disk is full",
    ]
    .iter()
    .any(|s| text.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An approval whose plan changed says so in the page's language, with what the console
    /// offers (not `bgy reject`), and the line that went in that language's words.
    #[test]
    fn a_changed_plan_is_said_in_the_page_s_language_with_its_lines() {
        use crate::web::i18n::{pick_in, Lang};
        let leave = crate::outcome::PlanLine {
            action: "标记离职 (mark as leaver)".into(),
            target: "p1 (甲)".into(),
            field: "人事状态 status".into(),
            old: String::new(),
            new: "已离职 (left)".into(),
        };
        let text = plan_changed(&crate::cmd::plan::PlanChanged {
            run: 7,
            new: Vec::new(),
            gone: vec![leave],
        });
        let zh = pick_in(Lang::Zh, &text);
        assert!(
            zh.starts_with("计划已变:运行 7 暂停后")
                && zh.ends_with("不再:标记离职 p1 (甲) 人事状态 → 已离职。")
                && !zh.contains("bgy ")
                && !zh.contains("现在多了"),
            "{zh}"
        );
        let en = pick_in(Lang::En, &text);
        assert!(
            en.starts_with("the plan changed since run 7")
                && en.ends_with("No longer: mark as leaver p1 (甲) 人事状态 → left.")
                && !en.contains("bgy "),
            "{en}"
        );
    }

    /// An error said in both languages with its causes after it, as the command line says
    /// it, is shown in each page's language with its causes, a cause said in both by its half.
    #[test]
    fn an_error_and_its_causes_are_said_in_the_page_s_language() {
        use crate::web::i18n::{pick_in, Lang};
        let io = std::io::Error::other("Permission denied (os error 13)");
        let e = anyhow::Error::new(io)
            .context("备份写不进 (the backup cannot be written)")
            .context("历史记录写不进,未发送 (the history cannot be written: not sent)");
        let text = failed_text(&e, None);
        assert_eq!(
            pick_in(Lang::Zh, &text),
            "历史记录写不进,未发送:备份写不进:Permission denied (os error 13)"
        );
        assert_eq!(
            pick_in(Lang::En, &text),
            "the history cannot be written: not sent: the backup cannot be written: Permission denied (os error 13)"
        );
        // An error in one language only is said as it is.
        let e = anyhow::anyhow!("the directory listing stopped unexpectedly");
        assert_eq!(
            failed_text(&e, None),
            "the directory listing stopped unexpectedly"
        );
    }

    /// A full disk that kept the failed rows from the page is said on the run's page (its
    /// warnings), not in notes no page shows.
    #[test]
    fn failed_rows_not_kept_for_the_page_are_said_on_it() {
        let dir = tempfile::tempdir().unwrap();
        let watch = WebRun::new(dir.path().to_path_buf(), Stop::new());
        let said = |failed_rows| Said {
            warnings: Vec::new(),
            notes: Vec::new(),
            remedies: Vec::new(),
            end: None,
            failed_rows,
            plan: None,
            columns: None,
        };
        let mut info = RunInfo::new("r1", "hr", runs::Command::Check, "a.xlsx", "input.xlsx");
        ended(
            &mut info,
            &watch,
            &said(None),
            &Err(anyhow::anyhow!("x")),
            false,
        );
        assert!(
            info.warnings
                .iter()
                .any(|w| w.contains("未通过的行未能保存在控制台")),
            "{:?}",
            info.warnings
        );
        let mut info = RunInfo::new("r2", "hr", runs::Command::Check, "a.xlsx", "input.xlsx");
        ended(
            &mut info,
            &watch,
            &said(Some(3)),
            &Err(anyhow::anyhow!("x")),
            false,
        );
        assert!(info.warnings.is_empty(), "{:?}", info.warnings);
    }
}
