//! The console's pages and what their forms do. Each run is a job of the command line's own
//! (`cmd::run`) on the run's input, in the run's folder.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Multipart, Path as UrlPath, Query, State};
use axum::http::{header, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;

use super::auth::{constant_eq, session_cookie, Session};
use super::html::plain_page;
use super::runs::{self, RunInfo};
use super::watch::WebRun;
use super::App;
use crate::config::{DeptJob, ImportOptions, Input, Job};
use crate::events::Emit as _;
use crate::model::{Cover, Layout};

/// Failed rows a page.
const PAGE_ROWS: usize = 100;

fn render(app: &App, name: &str, ctx: minijinja::Value) -> Response {
    match app.templates.get_template(name).and_then(|t| t.render(ctx)) {
        Ok(html) => Html(html).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            plain_page("页面出错 Page error", &e.to_string()),
        )
            .into_response(),
    }
}

fn message(app: &App, status: StatusCode, title: &str, text: &str) -> Response {
    (
        status,
        render(app, "message.html", minijinja::context! { title, text }),
    )
        .into_response()
}

pub async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("assets/app.js"),
    )
}

pub async fn style() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("assets/app.css"),
    )
}

pub async fn home(State(app): State<Arc<App>>, Extension(s): Extension<Session>) -> Response {
    let busy = app.busy.lock().unwrap_or_else(|e| e.into_inner()).clone();
    render(
        &app,
        "home.html",
        minijinja::context! { csrf => s.csrf, user => s.user, busy, max_mb => app.max_upload >> 20 },
    )
}

pub async fn runs(State(app): State<Arc<App>>, Extension(s): Extension<Session>) -> Response {
    let runs = runs::list(&app.data);
    render(
        &app,
        "runs.html",
        minijinja::context! { runs, user => s.user },
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    name: String,
    password: String,
}

pub async fn login_page(State(app): State<Arc<App>>) -> Response {
    render(&app, "login.html", minijinja::context! { failed => false })
}

pub async fn login(State(app): State<Arc<App>>, Form(f): Form<LoginForm>) -> Response {
    match app.auth.login(f.name.trim(), &f.password) {
        Some(id) => (
            [(header::SET_COOKIE, session_cookie(&id))],
            Redirect::to("/"),
        )
            .into_response(),
        None => (
            StatusCode::UNAUTHORIZED,
            render(&app, "login.html", minijinja::context! { failed => true }),
        )
            .into_response(),
    }
}

fn csrf_ok(s: &Session, given: &str) -> bool {
    constant_eq(&s.csrf, given)
}

fn forbidden(app: &App) -> Response {
    message(
        app,
        StatusCode::FORBIDDEN,
        "请求被拒绝 Request refused",
        "页面已过期,请回到首页重试 (the page has expired: go back to the home page and try again).",
    )
}

/// Upload → a check run: the file goes into a new run folder under a name of the store's own.
pub async fn check(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    mut form: Multipart,
) -> Response {
    let (mut csrf, mut kind, mut upload) = (String::new(), String::new(), None);
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                let file = field.file_name().map(str::to_string);
                match field.bytes().await {
                    Ok(bytes) if name == "csrf" => csrf = String::from_utf8_lossy(&bytes).into(),
                    Ok(bytes) if name == "kind" => kind = String::from_utf8_lossy(&bytes).into(),
                    Ok(bytes) if name == "file" => upload = Some((file.unwrap_or_default(), bytes)),
                    Ok(_) => {}
                    Err(e) => return upload_error(&app, e.status()),
                }
            }
            Ok(None) => break,
            Err(e) => return upload_error(&app, e.status()),
        }
    }
    if !csrf_ok(&s, &csrf) {
        return forbidden(&app);
    }
    let Some((file, bytes)) = upload.filter(|(_, b)| !b.is_empty()) else {
        return message(
            &app,
            StatusCode::BAD_REQUEST,
            "没有文件 No file",
            "请选择一个文件 (choose a file to check).",
        );
    };
    let input = runs::input_name(&file, &bytes);
    let (id, dir) = match runs::create(&app.data)
        .and_then(|(id, dir)| std::fs::write(dir.join(&input), &bytes).map(|_| (id, dir)))
    {
        Ok(made) => made,
        Err(e) => return cannot_save(&app, &e),
    };
    let mut info = RunInfo::new(&id, &s.user, "check", &file, &input);
    let layout = match kind.as_str() {
        "times" => Layout::Times,
        "delete" => Layout::Delete,
        _ => Layout::Staff,
    };
    info.kind = layout.name().to_string();
    let job = Job::Check {
        input: run_input(&dir, &info.input),
        layout: Some(layout),
        create_departments: false,
    };
    // A check sends nothing: it runs now, and the page shows its result.
    run_now(app, dir, info, job).await
}

fn upload_error(app: &App, status: StatusCode) -> Response {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        let text = format!(
            "文件超过 {} MB 上限 (the file is larger than the {} MB this console takes; ask IT to start bgy serve with a larger --max-upload-mb)",
            app.max_upload >> 20,
            app.max_upload >> 20
        );
        return message(app, status, "文件太大 File too large", &text);
    }
    message(
        app,
        StatusCode::BAD_REQUEST,
        "上传失败 Upload failed",
        "上传没有完成,请重试 (the upload did not complete; try again).",
    )
}

fn run_input(dir: &std::path::Path, input: &str) -> Input {
    Input {
        report: Some(dir.join(runs::REPORT)),
        ..Input::file(dir.join(input))
    }
}

fn now() -> String {
    chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A new run's observer, followed by its page from now on.
fn follow(app: &App, id: &str) -> Arc<WebRun> {
    let watch = Arc::new(WebRun::new());
    app.running
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id.to_string(), watch.clone());
    watch
}

/// Runs `job` in the run's folder with the observer its page follows, and records how it
/// ended.
async fn execute(
    app: Arc<App>,
    dir: std::path::PathBuf,
    mut info: RunInfo,
    job: Job,
    watch: Arc<WebRun>,
) {
    let ctx = app.ctx.for_run(watch.clone(), &info.who);
    *watch.stop.lock().unwrap_or_else(|e| e.into_inner()) = Some(ctx.stop.clone());
    let _ = runs::save(&dir, &info);
    let result = crate::cmd::run(&ctx, &job).await;
    let (warnings, notes) = watch.said();
    info.warnings = warnings;
    info.notes = notes;
    info.row_warnings = watch.finished().map_or(0, |f| {
        f.reasons
            .iter()
            .filter(|r| r.warning)
            .map(|r| r.count as u64)
            .sum()
    });
    info.finished = Some(now());
    match result {
        Ok(summary) => {
            info.status = match summary.status {
                crate::outcome::Status::Ok => "ok",
                crate::outcome::Status::RowsFailed => "rows failed",
                crate::outcome::Status::Fatal => "fatal",
                crate::outcome::Status::Interrupted => "interrupted",
            }
            .into();
            info.summary = serde_json::to_value(&summary).ok();
            if let Some(stopped) = watch.finished().and_then(|f| f.stopped) {
                info.error = Some(stopped);
            }
        }
        Err(e) => {
            info.status = "error".into();
            info.error = Some(crate::text::line(&format!("{e:#}")));
        }
    }
    if dir.join(runs::REPORT).is_file() {
        if let Err(e) = runs::extract_failed(&dir) {
            info.notes
                .push(format!("the report could not be read back: {e}"));
        }
    }
    let _ = runs::save(&dir, &info);
    watch.close();
    app.running
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&info.id);
}

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<usize>,
}

pub async fn run(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(id): UrlPath<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let Some(dir) = runs::dir(&app.data, &id) else {
        return not_found(&app);
    };
    let Some(info) = runs::load(&dir) else {
        return not_found(&app);
    };
    let running = app
        .running
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&id)
        .map(|w| w.snapshot());
    let failed = runs::failed(&dir);
    let pages = failed.rows.len().div_ceil(PAGE_ROWS).max(1);
    let page = q.page.unwrap_or(1).clamp(1, pages);
    let rows: Vec<_> = failed
        .rows
        .iter()
        .skip((page - 1) * PAGE_ROWS)
        .take(PAGE_ROWS)
        .collect();
    let counts = counts(&info);
    let importable = info.command == "check"
        && info.kind == "staff"
        && info
            .summary
            .as_ref()
            .is_some_and(|s| s["ok"].as_u64().unwrap_or(0) > 0);
    let plan = matches!(
        info.command.as_str(),
        "plan" | "sync" | "undo-plan" | "undo"
    )
    .then(|| runs::plan(&dir))
    .flatten();
    let (plan_header, plan_lines, plan_more) = match plan {
        Some((h, lines)) => {
            let more = lines.len().saturating_sub(500);
            (h, lines.into_iter().take(500).collect(), more)
        }
        None => (vec![], vec![], 0),
    };
    let deleting = match info.command.as_str() {
        // An undo's plan says how many it deletes in its lines.
        "undo-plan" => deletes_in(&plan_lines) as u64,
        _ => info
            .summary
            .as_ref()
            .and_then(|s| s["deleted"].as_u64())
            .unwrap_or(0),
    };
    let backup = runs::backup(&dir).is_some();
    let resumable = info.command == "import"
        && matches!(info.status.as_str(), "interrupted" | "fatal")
        && running.is_none();
    let busy = app.busy.lock().unwrap_or_else(|e| e.into_inner()).clone();
    render(
        &app,
        "run.html",
        minijinja::context! {
            info, running, counts, header => failed.header, rows, page, pages,
            failed_rows => failed.rows.len(), importable, resumable, busy, csrf => s.csrf,
            plan_header, plan_lines, plan_more, deleting, backup,
            report => dir.join(runs::REPORT).is_file(),
        },
    )
}

/// The counts a run's page shows, by `data-count` name.
fn counts(info: &RunInfo) -> Vec<(&'static str, String, u64)> {
    let Some(s) = &info.summary else {
        return vec![];
    };
    let n = |k: &str| s[k].as_u64().unwrap_or(0);
    let warnings = info.warnings.len() as u64 + info.row_warnings;
    match info.command.as_str() {
        "check" => vec![
            ("total", "总行数 Rows".into(), n("total")),
            ("valid", "通过 Valid".into(), n("ok")),
            ("invalid", "校验失败 Invalid".into(), n("invalid")),
            ("warnings", "警告 Warnings".into(), warnings),
        ],
        "delete" => vec![
            ("total", "总行数 Rows".into(), n("total")),
            ("deleted", "已删除 Deleted".into(), n("deleted")),
            ("not_found", "不在通讯录 Not found".into(), n("not_found")),
            ("invalid", "校验失败 Invalid".into(), n("invalid")),
            (
                "failed",
                "失败 Failed".into(),
                n("failed").saturating_sub(not_sent(info)),
            ),
            ("not_sent", "未发送 Not sent".into(), not_sent(info)),
        ],
        "plan" => vec![
            ("total", "总行数 Rows".into(), n("total")),
            ("created", "将新增 To create".into(), n("created")),
            ("updated", "将更新 To update".into(), n("updated")),
            ("unchanged", "无变化 Unchanged".into(), n("unchanged")),
            ("deleted", "将删除 To delete".into(), n("deleted")),
            ("invalid", "校验失败 Invalid".into(), n("invalid")),
        ],
        _ => vec![
            ("total", "总行数 Rows".into(), n("total")),
            ("created", "新增 Created".into(), n("created")),
            ("deleted", "已删除 Deleted".into(), n("deleted")),
            ("updated", "更新 Updated".into(), n("updated")),
            ("skipped", "已存在跳过 Skipped".into(), n("skipped")),
            ("invalid", "校验失败 Invalid".into(), n("invalid")),
            (
                "failed",
                "失败 Failed".into(),
                n("failed").saturating_sub(not_sent(info)),
            ),
            ("not_sent", "未发送 Not sent".into(), not_sent(info)),
        ],
    }
}

/// Rows never sent: the report's outcome column says so (the summary counts them as failed).
fn not_sent(info: &RunInfo) -> u64 {
    info.summary
        .as_ref()
        .and_then(|s| s["not_sent"].as_u64())
        .unwrap_or(0)
}

/// The page of a run store that could not be written.
fn cannot_save(app: &App, e: &std::io::Error) -> Response {
    message(
        app,
        StatusCode::INTERNAL_SERVER_ERROR,
        "无法保存 Cannot save",
        &e.to_string(),
    )
}

fn not_found(app: &App) -> Response {
    message(
        app,
        StatusCode::NOT_FOUND,
        "没有这个运行 No such run",
        "这个运行不存在 (there is no such run).",
    )
}

#[derive(Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    cover: String,
    #[serde(default)]
    create_departments: Option<String>,
    /// Resume a stopped import from its journal.
    #[serde(default)]
    resume: Option<String>,
}

/// Imports the valid rows of a checked file, as a run of its own, in the background.
pub async fn import(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(id): UrlPath<String>,
    Form(f): Form<ImportForm>,
) -> Response {
    let (from_dir, from) = match acting_on(&app, &s, &f.csrf, &id, &["check", "import"], None) {
        Ok(run) => run,
        Err(refused) => return *refused,
    };
    let (new_id, dir) = match begin(&app, Some((&from_dir, &from))) {
        Ok(started) => started,
        Err(refusal) => return *refusal,
    };
    match import_job(&new_id, &s, &f, &from_dir, &from, &dir) {
        Ok((info, job)) => launch(app, dir, info, job),
        Err(e) => {
            abandon(&app);
            message(&app, StatusCode::CONFLICT, "无法继续 Cannot resume", &e)
        }
    }
}

/// The run a form acts on, and its folder: refused (403) without the session's CSRF token,
/// not found (404) unless it is a run of one of `commands`, and of `kind` when given.
fn acting_on(
    app: &App,
    s: &Session,
    csrf: &str,
    id: &str,
    commands: &[&str],
    kind: Option<&str>,
) -> Result<(std::path::PathBuf, RunInfo), Box<Response>> {
    if !csrf_ok(s, csrf) {
        return Err(Box::new(forbidden(app)));
    }
    runs::dir(&app.data, id)
        .and_then(|dir| Some((runs::load(&dir)?, dir)))
        .filter(|(info, _)| commands.contains(&info.command.as_str()))
        .filter(|(info, _)| kind.is_none_or(|k| info.kind == k))
        .map(|(info, dir)| (dir, info))
        .ok_or_else(|| Box::new(not_found(app)))
}

/// Starts a sending run (on a copy of `from`'s input, if any); one at a time (409 names the
/// busy one).
fn begin(
    app: &App,
    from: Option<(&std::path::Path, &RunInfo)>,
) -> Result<(String, std::path::PathBuf), Box<Response>> {
    let mut busy = app.busy.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(other) = busy.as_ref() {
        let text = format!(
            "运行 {other} 正在发送数据,请等它结束 (run {other} is sending; wait for it to finish)."
        );
        return Err(Box::new(message(
            app,
            StatusCode::CONFLICT,
            "正在运行 A run is busy",
            &text,
        )));
    }
    let made = match from {
        Some((from_dir, from)) => fork(app, from_dir, from),
        None => runs::create(&app.data),
    };
    let (id, dir) = made.map_err(|e| Box::new(cannot_save(app, &e)))?;
    *busy = Some(id.clone());
    Ok((id, dir))
}

/// A sending run that could not start after [`begin`].
fn abandon(app: &App) {
    *app.busy.lock().unwrap_or_else(|e| e.into_inner()) = None;
}

/// Runs a job that sends nothing to its end, then shows its page.
async fn run_now(app: Arc<App>, dir: std::path::PathBuf, info: RunInfo, job: Job) -> Response {
    let id = info.id.clone();
    let watch = follow(&app, &id);
    execute(app, dir, info, job, watch).await;
    Redirect::to(&format!("/runs/{id}")).into_response()
}

/// Runs a sending job in the background and shows its page; the console is no longer busy
/// when it ends.
fn launch(app: Arc<App>, dir: std::path::PathBuf, info: RunInfo, job: Job) -> Response {
    let id = info.id.clone();
    let _ = runs::save(&dir, &info);
    let watch = follow(&app, &id);
    tokio::spawn(async move {
        execute(app.clone(), dir, info, job, watch).await;
        abandon(&app);
    });
    Redirect::to(&format!("/runs/{id}")).into_response()
}

/// The new import run's record and job: its options from the form, or, to resume, the stopped
/// run's options and a copy of its journal.
fn import_job(
    new_id: &str,
    s: &Session,
    f: &ImportForm,
    from_dir: &std::path::Path,
    from_info: &RunInfo,
    dir: &std::path::Path,
) -> Result<(RunInfo, Job), String> {
    let mut info = RunInfo::new(new_id, &s.user, "import", &from_info.file, &from_info.input);
    info.from = Some(from_info.id.clone());
    let overwrite = f.cover == "overwrite";
    info.cover = Some(if overwrite { "overwrite" } else { "skip" }.into());
    info.create_departments = f.create_departments.is_some();
    let resume = f.resume.is_some() && from_info.command == "import";
    if resume {
        info.cover = from_info.cover.clone();
        info.create_departments = from_info.create_departments;
        let journal = crate::report::journal_path(&from_dir.join(runs::REPORT));
        std::fs::copy(
            &journal,
            crate::report::journal_path(&dir.join(runs::REPORT)),
        )
        .map_err(|_| "这个运行没有日志 (this run has no journal to resume from).".to_string())?;
    }
    let cover = match info.cover.as_deref() {
        Some("overwrite") => Cover::Overwrite,
        _ => Cover::Skip,
    };
    let job = Job::Import {
        input: run_input(dir, &info.input),
        options: ImportOptions {
            cover,
            create_departments: info.create_departments,
            dry_run: false,
            resume,
        },
    };
    Ok((info, job))
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// Stop: as Ctrl-C, in-flight calls finish and the report and journal are written.
pub async fn stop(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(id): UrlPath<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !csrf_ok(&s, &f.csrf) {
        return forbidden(&app);
    }
    let watch = app
        .running
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&id)
        .cloned();
    if let Some(stop) = watch.and_then(|w| w.stop.lock().unwrap_or_else(|e| e.into_inner()).clone())
    {
        stop.interrupt();
    }
    Redirect::to(&format!("/runs/{id}")).into_response()
}

/// Progress as server-sent events: a `progress` event on every change (at most ten a
/// second), `done` at the end.
pub async fn events(State(app): State<Arc<App>>, UrlPath(id): UrlPath<String>) -> Response {
    let watch = app
        .running
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&id)
        .cloned();
    let stream = futures::stream::unfold((watch, false), |(watch, done)| async move {
        if done {
            return None;
        }
        let Some(w) = watch else {
            return Some((
                Ok::<_, std::convert::Infallible>(SseEvent::default().event("done").data("{}")),
                (None, true),
            ));
        };
        let mut rx = w.subscribe();
        let snap = w.snapshot();
        if snap.finished {
            let data = serde_json::to_string(&snap).unwrap_or_default();
            return Some((
                Ok(SseEvent::default().event("done").data(data)),
                (None, true),
            ));
        }
        let data = serde_json::to_string(&snap).unwrap_or_default();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let _ = tokio::time::timeout(Duration::from_secs(5), rx.changed()).await;
        Some((
            Ok(SseEvent::default().event("progress").data(data)),
            (Some(w), false),
        ))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// Downloads from the run store only: a run's report or its input.
pub async fn download(
    State(app): State<Arc<App>>,
    UrlPath((id, file)): UrlPath<(String, String)>,
) -> Response {
    let Some(dir) = runs::dir(&app.data, &id) else {
        return not_found(&app);
    };
    let Some(info) = runs::load(&dir) else {
        return not_found(&app);
    };
    let (path, name) = match file.as_str() {
        "report" => (dir.join(runs::REPORT), format!("{id}.report.xlsx")),
        "input" => (dir.join(&info.input), format!("{id}.{}", info.input)),
        "backup" => match runs::backup(&dir) {
            Some(path) => (path, format!("{id}.backup.xlsx")),
            None => return not_found(&app),
        },
        "output" => match &info.output {
            Some(out) => (dir.join(out), format!("{id}.{out}")),
            None => return not_found(&app),
        },
        _ => return not_found(&app),
    };
    match std::fs::read(&path) {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => not_found(&app),
    }
}

/// A blank template to fill in, as `bgy template` writes it.
pub async fn template(State(app): State<Arc<App>>, UrlPath(kind): UrlPath<String>) -> Response {
    let layout = match kind.as_str() {
        "staff" => Layout::Staff,
        "times" => Layout::Times,
        "delete" => Layout::Delete,
        _ => return not_found(&app),
    };
    // As `bgy template` with a server: the 部门 dropdown offers the live departments (a
    // listing that fails leaves them out; the template is still a template).
    let departments = match (&app.ctx.client, layout) {
        (Some(client), Layout::Staff) => crate::live::departments(client)
            .await
            .map(|tree| tree.all_paths())
            .inspect_err(|e| {
                app.ctx
                    .events
                    .warn(format!("template: departments not listed: {e}"))
            })
            .ok(),
        _ => None,
    };
    match crate::template::build(layout, departments.as_deref()) {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"bgy-{kind}-template.xlsx\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => message(
            &app,
            StatusCode::INTERNAL_SERVER_ERROR,
            "模板出错 Template error",
            &e.to_string(),
        ),
    }
}

#[derive(Deserialize)]
pub struct ExportForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    recursive: Option<String>,
    #[serde(default)]
    format: String,
}

/// The directory (or one department) as `bgy export` writes it, as a run of its own.
pub async fn export(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    Form(f): Form<ExportForm>,
) -> Response {
    if !csrf_ok(&s, &f.csrf) {
        return forbidden(&app);
    }
    let output = if f.format == "csv" {
        "export.csv"
    } else {
        "export.xlsx"
    };
    let (id, dir) = match runs::create(&app.data) {
        Ok(made) => made,
        Err(e) => return cannot_save(&app, &e),
    };
    let department = Some(f.department.trim().to_string()).filter(|d| !d.is_empty());
    let shown = department.clone().unwrap_or_else(|| "全部 everyone".into());
    let mut info = RunInfo::new(&id, &s.user, "export", &shown, "");
    info.output = Some(output.into());
    let job = Job::Export {
        output: dir.join(output),
        department,
        recursive: f.recursive.is_some(),
    };
    run_now(app, dir, info, job).await
}

/// The department tree with member counts, as `bgy dept list` lists it.
pub async fn departments(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
) -> Response {
    let watch = Arc::new(WebRun::new());
    let ctx = app.ctx.for_run(watch.clone(), &s.user);
    let (departments, error) = match crate::cmd::run(&ctx, &Job::Dept(DeptJob::List)).await {
        Ok(summary) => (summary.departments.unwrap_or_default(), None),
        Err(e) => (vec![], Some(crate::text::line(&format!("{e:#}")))),
    };
    let (warnings, _) = watch.said();
    render(
        &app,
        "departments.html",
        minijinja::context! { departments, warnings, error, user => s.user },
    )
}

/// A new run's folder with a copy of another run's input.
fn fork(
    app: &App,
    from_dir: &std::path::Path,
    from: &RunInfo,
) -> std::io::Result<(String, std::path::PathBuf)> {
    let (id, dir) = runs::create(&app.data)?;
    std::fs::copy(from_dir.join(&from.input), dir.join(&from.input))?;
    Ok((id, dir))
}

#[derive(Deserialize)]
pub struct PlanForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    prune: Option<String>,
}

/// What the sheet would change in the directory, as `bgy plan` shows it; changes nothing.
pub async fn plan(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(id): UrlPath<String>,
    Form(f): Form<PlanForm>,
) -> Response {
    let (from_dir, from) = match acting_on(&app, &s, &f.csrf, &id, &["check"], None) {
        Ok(run) => run,
        Err(refused) => return *refused,
    };
    let (new_id, dir) = match fork(&app, &from_dir, &from) {
        Ok(made) => made,
        Err(e) => return cannot_save(&app, &e),
    };
    let mut info = RunInfo::new(&new_id, &s.user, "plan", &from.file, &from.input);
    info.from = Some(id);
    info.prune = f.prune.is_some();
    let job = Job::Plan {
        input: run_input(&dir, &info.input),
        prune: info.prune,
    };
    run_now(app, dir, info, job).await
}

#[derive(Deserialize)]
pub struct SyncForm {
    #[serde(default)]
    csrf: String,
    /// The number of people to delete, typed by the person.
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    force: Option<String>,
}

/// Applies exactly a plan, as `bgy sync` does, in the background. Deleting needs the person
/// to type how many; more than 20% of the directory also needs `force`.
pub async fn sync(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(id): UrlPath<String>,
    Form(f): Form<SyncForm>,
) -> Response {
    let (from_dir, from) = match acting_on(&app, &s, &f.csrf, &id, &["plan"], None) {
        Ok(run) => run,
        Err(refused) => return *refused,
    };
    let deleting = from
        .summary
        .as_ref()
        .and_then(|s| s["deleted"].as_u64())
        .unwrap_or(0);
    if let Err(refused) = confirmed(&app, deleting, &f.confirm) {
        return *refused;
    }
    let force = f.force.is_some();
    send_from(app, &s, &from_dir, &from, "sync", |input| Job::Sync {
        input,
        prune: from.prune,
        destructive: crate::config::Destructive { yes: true, force },
    })
}

/// Updates the dates of a checked times sheet, as `bgy times` does, in the background.
pub async fn times(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(id): UrlPath<String>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let (from_dir, from) = match acting_on(&app, &s, &f.csrf, &id, &["check"], Some("times")) {
        Ok(run) => run,
        Err(refused) => return *refused,
    };
    send_from(app, &s, &from_dir, &from, "times", |input| Job::Times {
        input,
        resume: false,
    })
}

/// Deletes the accounts of a checked delete sheet, as `bgy delete` does: the person types how
/// many, more than 20% of the directory needs `force`, and the backup comes first.
pub async fn delete(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(id): UrlPath<String>,
    Form(f): Form<SyncForm>,
) -> Response {
    let (from_dir, from) = match acting_on(&app, &s, &f.csrf, &id, &["check"], Some("delete")) {
        Ok(run) => run,
        Err(refused) => return *refused,
    };
    let rows = from
        .summary
        .as_ref()
        .and_then(|s| s["ok"].as_u64())
        .unwrap_or(0);
    // Up to this many: accounts the directory lacks are found out when it runs.
    if let Err(refused) = confirmed(&app, rows, &f.confirm) {
        return *refused;
    }
    let force = f.force.is_some();
    send_from(app, &s, &from_dir, &from, "delete", |input| Job::Delete {
        input,
        destructive: crate::config::Destructive { yes: true, force },
    })
}

/// Starts `command` as a sending run on a copy of `from`'s input (the new run keeps the
/// sheet's kind and prune), with the job `job` makes for the copy.
fn send_from(
    app: Arc<App>,
    s: &Session,
    from_dir: &std::path::Path,
    from: &RunInfo,
    command: &str,
    job: impl FnOnce(Input) -> Job,
) -> Response {
    let (new_id, dir) = match begin(&app, Some((from_dir, from))) {
        Ok(started) => started,
        Err(refusal) => return *refusal,
    };
    let mut info = RunInfo::new(&new_id, &s.user, command, &from.file, &from.input);
    info.from = Some(from.id.clone());
    info.kind = from.kind.clone();
    info.prune = from.prune;
    let job = job(run_input(&dir, &info.input));
    launch(app, dir, info, job)
}

/// A run that deletes `n` people goes on only when the person typed `n`; otherwise the page
/// says so and nothing is deleted.
fn confirmed(app: &App, n: u64, typed: &str) -> Result<(), Box<Response>> {
    if n == 0 || typed.trim() == n.to_string() {
        return Ok(());
    }
    let text = format!(
        "要删除 {n} 人,请在框中输入 {n} 确认 (this deletes {}: type {n} to go on). 什么也没有删除 (nothing was deleted).",
        crate::text::people(n as usize)
    );
    Err(Box::new(message(
        app,
        StatusCode::BAD_REQUEST,
        "未确认 Not confirmed",
        &text,
    )))
}

/// How many people an undo's plan lines delete.
fn deletes_in(lines: &[Vec<String>]) -> usize {
    lines
        .iter()
        .filter(|l| l.first().is_some_and(|a| a.starts_with("delete")))
        .count()
}

/// The history: every run that changed the directory.
pub async fn history(State(app): State<Arc<App>>, Extension(s): Extension<Session>) -> Response {
    let (runs, error) = match app.ctx.history().and_then(|h| h.runs(200)) {
        Ok(runs) => (runs, None),
        Err(e) => (vec![], Some(format!("{e:#}"))),
    };
    render(
        &app,
        "history.html",
        minijinja::context! { runs, error, user => s.user },
    )
}

/// One run's changes, bank cards masked, and its Undo button.
pub async fn history_run(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(run): UrlPath<i64>,
) -> Response {
    let changes = match app.ctx.history().and_then(|h| h.changes(run)) {
        Ok(c) => crate::history::mask(serde_json::to_value(c).unwrap_or_default()),
        Err(e) => {
            let text = format!("{e:#}");
            return message(
                &app,
                StatusCode::INTERNAL_SERVER_ERROR,
                "历史出错 History error",
                &text,
            );
        }
    };
    render(
        &app,
        "history_run.html",
        minijinja::context! { run, changes, csrf => s.csrf, user => s.user },
    )
}

/// Undo, step one: the inverse of a history run as a plan (`bgy undo --dry-run`), in a run
/// folder of its own; its page offers to apply it.
pub async fn undo_plan(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(run): UrlPath<i64>,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !csrf_ok(&s, &f.csrf) {
        return forbidden(&app);
    }
    let (id, dir) = match runs::create(&app.data) {
        Ok(made) => made,
        Err(e) => return cannot_save(&app, &e),
    };
    let mut info = RunInfo::new(&id, &s.user, "undo-plan", &format!("#{run}"), "");
    info.undoes = Some(run);
    let job = undo_job(run, true, false, &dir);
    run_now(app, dir, info, job).await
}

fn undo_job(run: i64, dry_run: bool, force: bool, dir: &std::path::Path) -> Job {
    Job::Undo {
        run,
        dry_run,
        destructive: crate::config::Destructive { yes: true, force },
        report: Some(dir.join(runs::REPORT)),
    }
}

/// Undo, step two: apply the plan an undo-plan run showed, with the typed count when it
/// deletes, in the background.
pub async fn undo(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(id): UrlPath<String>,
    Form(f): Form<SyncForm>,
) -> Response {
    let (dir, from) = match acting_on(&app, &s, &f.csrf, &id, &["undo-plan"], None) {
        Ok(run) => run,
        Err(refused) => return *refused,
    };
    let Some(target) = from.undoes else {
        return not_found(&app);
    };
    let deleting = runs::plan(&dir).map_or(0, |(_, lines)| deletes_in(&lines));
    if let Err(refused) = confirmed(&app, deleting as u64, &f.confirm) {
        return *refused;
    }
    // No input to copy: the undo writes its own rows.
    let (new_id, new_dir) = match begin(&app, None) {
        Ok(started) => started,
        Err(refusal) => return *refusal,
    };
    let mut info = RunInfo::new(&new_id, &s.user, "undo", &from.file, "");
    info.undoes = Some(target);
    info.from = Some(id);
    let job = undo_job(target, false, f.force.is_some(), &new_dir);
    launch(app, new_dir, info, job)
}
