//! The 企业微信 group robot: a markdown message for a scheduled run's end (failure, pause,
//! success, each on or off), then its report as a file (`upload_media`, then a `file`
//! message). At most 20 messages a minute a robot, as the robot allows. With `smtp`, the same
//! message by e-mail, the report attached. A robot or a mail server that fails is a warning,
//! never a failed run; the robot's key and the server's password are never shown.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::time::Instant;

use crate::config::unattended::{Mail, Notify, Webhook};
use crate::events::{Emit, Observer};
use crate::outcome::{Status, Summary};

/// The robot's limit on a message's content.
pub const MAX_MARKDOWN_BYTES: usize = 4096;
/// The robot's limit on a file.
pub const MAX_FILE_BYTES: u64 = 20 << 20;
/// Messages a robot takes in a minute.
const PER_MINUTE: usize = 20;

/// What a scheduled run ended as, for the robot.
pub struct Ended<'a> {
    pub file: Option<String>,
    pub result: &'a anyhow::Result<Summary>,
    pub reasons: Vec<crate::outcome::Reason>,
}

/// What the run ended as, for the message's title and whether it is sent at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Success,
    Paused,
    /// Some rows failed or were invalid, and the rest changed the directory
    /// (`on_invalid = "send-valid"`, or rows the server refused): told as a failure is.
    Partial,
    Failure,
}

fn kind_of(ended: &Ended) -> Option<Kind> {
    match ended.result {
        Err(_) => Some(Kind::Failure),
        Ok(s) if s.status == Status::Paused => Some(Kind::Paused),
        Ok(s) if s.status == Status::Ok => {
            // The same file again: nothing ran, nothing to tell.
            s.history_run.map(|_| Kind::Success)
        }
        Ok(s) if s.status == Status::RowsFailed && s.changed() => Some(Kind::Partial),
        Ok(_) => Some(Kind::Failure),
    }
}

/// Tells the robot and the mail's recipients how the run ended, as `notify` asks; what goes
/// wrong is a warning.
pub async fn tell(events: &dyn Observer, notify: &Notify, ended: &Ended<'_>) {
    if notify.webhook.is_none() && notify.mail.is_none() {
        return;
    }
    let Some(kind) = kind_of(ended) else {
        return;
    };
    let wanted = match kind {
        Kind::Success => notify.on_success,
        Kind::Paused => notify.on_pause,
        Kind::Partial | Kind::Failure => notify.on_failure,
    };
    if !wanted {
        return;
    }
    let text = message(kind, ended, notify.console_url.as_deref());
    let report = match ended.result {
        Ok(Summary {
            report: Some(r), ..
        }) if notify.attach_report => Some(Path::new(r)),
        _ => None,
    };
    if let Some(hook) = &notify.webhook {
        robot(events, hook, &text, report).await;
    }
    if let Some(mail) = &notify.mail {
        if let Err(e) = send_mail(mail, title(kind), &text, report).await {
            let text = mail.redact(&format!("{e:#}"));
            events.warn(format!(
                "通知邮件没有发出 (the e-mail was not sent: {text}); the run itself is not affected"
            ));
        }
    }
}

/// `bgy schedule --test-notify`: a test message to the robot and the mail `notify` names, and
/// what became of each: the channel as shown (no key, no password), and the error, redacted.
pub async fn test(notify: &Notify, next: Option<&str>) -> Vec<(String, Result<(), String>)> {
    let mut text =
        "## bgy 定时同步:测试\n> 这是一条测试消息:收到它,说明 bgy 的定时同步能通知到这里。\n"
            .to_string();
    if let Some(next) = next {
        text.push_str(&format!("> 下次运行:{next}\n"));
    }
    let mut told = Vec::new();
    if let Some(hook) = &notify.webhook {
        let sent = post_markdown(hook, &text).await;
        let sent = sent.map_err(|e| crate::api::error::redact(&format!("{e:#}"), hook.key()));
        told.push((format!("企业微信机器人 robot {}", hook.shown()), sent));
    }
    if let Some(mail) = &notify.mail {
        let sent = send_mail(mail, "测试", &text, None).await;
        let sent = sent.map_err(|e| mail.redact(&format!("{e:#}")));
        told.push((format!("通知邮件 mail {}", mail.shown()), sent));
    }
    told
}

/// The message to the robot, then the report.
async fn robot(events: &dyn Observer, hook: &Webhook, text: &str, report: Option<&Path>) {
    if let Err(e) = post_markdown(hook, text).await {
        return warn(events, hook, &e);
    }
    if let Some(report) = report {
        if let Err(e) = send_file(hook, report).await {
            warn(events, hook, &e);
        }
    }
}

/// The message as an e-mail (the robot's markdown, without its colours), the report attached
/// when it is within the robot's 20 MB.
async fn send_mail(
    mail: &Mail,
    title: &str,
    text: &str,
    report: Option<&Path>,
) -> anyhow::Result<()> {
    use lettre::message::{header::ContentType, Attachment, MultiPart, SinglePart};
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
    let mut message = Message::builder()
        .from(mail.from.clone())
        .subject(format!("bgy 定时同步:{title}"));
    for to in &mail.to {
        message = message.to(to.clone());
    }
    // Base64: the text is Chinese, and every server takes it.
    let body = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .header(lettre::message::header::ContentTransferEncoding::Base64)
        .body(plain(text));
    let attached = match report {
        Some(path) if std::fs::metadata(path).is_ok_and(|m| m.len() <= MAX_FILE_BYTES) => {
            let name = file_name(path);
            let xlsx = ContentType::parse(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )?;
            Some(Attachment::new(name).body(tokio::fs::read(path).await?, xlsx))
        }
        _ => None,
    };
    let message = match attached {
        Some(file) => message.multipart(MultiPart::mixed().singlepart(body).singlepart(file))?,
        None => message.singlepart(body)?,
    };
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(mail.url())?
        .timeout(Some(Duration::from_secs(30)))
        .build();
    transport.send(message).await?;
    Ok(())
}

/// The title's word for how the run ended.
fn title(kind: Kind) -> &'static str {
    match kind {
        Kind::Success => "成功",
        Kind::Paused => "等待确认",
        Kind::Partial => "部分完成",
        Kind::Failure => "失败",
    }
}

/// The robot's markdown without its `<font>` colours, for a plain-text e-mail.
fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("<font color=") {
        out.push_str(&rest[..at]);
        rest = rest[at..].split_once('>').map_or("", |(_, after)| after);
    }
    out.push_str(rest);
    out.replace("</font>", "")
}

fn warn(events: &dyn Observer, hook: &Webhook, e: &anyhow::Error) {
    let text = crate::api::error::redact(&format!("{e:#}"), hook.key());
    events.warn(format!(
        "企业微信机器人没有收到通知 (the 企业微信 robot was not told: {text}); the run itself is not affected"
    ));
}

/// `> 离职:a (甲)、b (乙) 等 30 人`: the first of the people the run marks as leavers or
/// deletes (or would, when it waits), by name. None when there are none.
fn leaving(s: &Summary) -> Option<String> {
    let names = s.leaving();
    let (leave, delete) = match s.planned() {
        Some(p) => (p.leave, p.delete),
        None => (s.counts.left, s.counts.deleted),
    };
    let total = leave + delete;
    if names.is_empty() || total == 0 {
        return None;
    }
    let what = match (leave, delete) {
        (_, 0) => "离职",
        (0, _) => "删除",
        _ => "离职和删除",
    };
    let more = match total > names.len() {
        true => format!(" 等 {total} 人"),
        false => String::new(),
    };
    Some(format!("> {what}:{}{more}\n", names.join("、")))
}

/// The most of a reason's words a line of the message holds.
const REASON_CHARS: usize = 80;

/// The message: a title, the file, the counts, why it waits and how to decide, the top
/// reasons, the console's link; cut to the robot's 4,096 bytes.
fn message(kind: Kind, ended: &Ended, console: Option<&str>) -> String {
    let colour = match kind {
        Kind::Success => "info",
        Kind::Paused | Kind::Partial | Kind::Failure => "warning",
    };
    let mut out = format!(
        "## bgy 定时同步:<font color=\"{colour}\">{}</font>\n",
        title(kind)
    );
    if let Some(file) = &ended.file {
        out.push_str(&format!("> 文件:{file}\n"));
    }
    match ended.result {
        Err(e) => {
            out.push_str(&format!("> 错误:{}\n", first_chars(&format!("{e:#}"), 600)));
            if let Some(todo) = todo(crate::outcome::remedy_of(e).as_ref()) {
                out.push_str(&format!("> 处理:{todo}\n"));
            }
        }
        Ok(s) => {
            let c = &s.counts;
            match s.planned() {
                // Nothing was sent: what the plan would do is what a person decides on.
                Some(p) => out.push_str(&format!(
                    "> 计划:新增 **{}** · 更新 **{}** · 离职 **{}** · 删除 **{}** · 无变化 {} · 无效 **{}**(尚未发送)\n",
                    p.create, p.update, p.leave, p.delete, p.unchanged, c.invalid
                )),
                None => out.push_str(&format!(
                    "> 新增 **{}** · 更新 **{}** · 离职 **{}** · 删除 **{}** · 无变化 {} · 无效 **{}** · 失败 **{}**\n",
                    c.created, c.updated, c.left, c.deleted, c.unchanged, c.invalid, c.failed
                )),
            }
            // Who leaves: what a person deciding on a pause looks at first.
            if let Some(names) = leaving(s) {
                out.push_str(&names);
            }
            // Made for the people placed in them (the sheet named them, the directory had
            // none): a person may want to move or rename them.
            match (s.departments_created(), s.planned()) {
                (0, _) => {}
                (n, Some(_)) => out.push_str(&format!("> 计划新建部门 **{n}**(尚未发送)\n")),
                (n, None) => out.push_str(&format!("> 新建部门 **{n}**\n")),
            }
            if let (Some(why), Some(run)) = (s.paused(), s.history_run) {
                let why = chinese(why);
                out.push_str(&format!(
                    "> 原因:{why}\n> 批准:`bgy approve {run}` · 拒绝:`bgy reject {run}`\n"
                ));
            } else if let Some(run) = s.history_run.filter(|_| s.changed()) {
                out.push_str(&format!("> 运行 {run}(撤销:`bgy undo {run}`)\n"));
            }
        }
    }
    // Why it failed, then the reminders: a warning is never a reason a run failed.
    let (errors, warnings): (Vec<_>, Vec<_>) = ended.reasons.iter().partition(|r| !r.warning);
    for (heading, reasons) in [("主要原因", errors), ("提醒", warnings)] {
        if !reasons.is_empty() {
            out.push_str(&format!("\n**{heading}**\n"));
        }
        for r in reasons.iter().take(5) {
            out.push_str(&format!("- {}\n", reason_line(r)));
        }
    }
    if let Some(url) = console {
        out.push_str(&format!(
            "\n[在控制台查看]({}/schedule)\n",
            url.trim_end_matches('/')
        ));
    }
    cut(out, MAX_MARKDOWN_BYTES)
}

/// A reason as the robot lists it: its count, the first row's words (the rule's name, when
/// those are too long for a chat line), the row, and the setting that helps.
fn reason_line(r: &crate::outcome::Reason) -> String {
    let example = chinese(&r.example);
    let text = match example.chars().count() {
        n if n > REASON_CHARS && r.count > 1 => chinese(&r.rule),
        _ => example,
    };
    let row = match r.count {
        1 => format!("第 {} 行", r.first_row),
        _ => format!("例如第 {} 行,第一处", r.first_row),
    };
    let todo = todo(r.remedy.as_ref())
        .map(|t| format!(" → {t}"))
        .unwrap_or_default();
    format!(
        "{} × {}({row}){todo}",
        r.count,
        first_chars(text, REASON_CHARS)
    )
}

/// What to change in bgy.toml, in Chinese.
fn todo(remedy: Option<&crate::remedy::Remedy>) -> Option<String> {
    let setting = crate::console::setting(remedy?)?;
    Some(chinese(&setting).to_string())
}

/// The Chinese half of bgy's `中文 (English)`, as the console shows it in Chinese (the robot's
/// readers are HR; the English is for the command line); any other text as it is.
fn chinese(text: &str) -> &str {
    crate::text::bilingual(text).map_or(text, |(zh, _)| zh)
}

fn first_chars(text: &str, n: usize) -> String {
    match text.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// `text` within `max` bytes, cut at a character with `…`.
fn cut(text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let mut end = max - '…'.len_utf8();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

/// Waits, when needed, until the robot whose key is `key` takes another message (20 a
/// minute). On tokio's clock, which a test can pause.
async fn rate_limited(key: &str) {
    static SENT: Mutex<Option<HashMap<String, VecDeque<Instant>>>> = Mutex::new(None);
    loop {
        let wait = {
            let mut guard = SENT.lock().unwrap_or_else(|e| e.into_inner());
            let sent = guard
                .get_or_insert_with(HashMap::new)
                .entry(key.to_string())
                .or_default();
            let now = Instant::now();
            while sent
                .front()
                .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
            {
                sent.pop_front();
            }
            if sent.len() < PER_MINUTE {
                sent.push_back(now);
                None
            } else {
                sent.front()
                    .map(|t| Duration::from_secs(60).saturating_sub(now.duration_since(*t)))
            }
        };
        match wait {
            None => return,
            Some(d) => tokio::time::sleep(d).await,
        }
    }
}

/// The robot's answer: `errcode` 0, or an error naming it.
async fn answer(reply: reqwest::Response) -> anyhow::Result<Value> {
    let status = reply.status();
    anyhow::ensure!(status.is_success(), "HTTP {status}");
    let body: Value = reply
        .json()
        .await
        .map_err(|e| anyhow::Error::new(e.without_url()).context("not the robot's answer"))?;
    let code = body["errcode"].as_i64().unwrap_or(-1);
    anyhow::ensure!(
        code == 0,
        "errcode {code}: {}",
        body["errmsg"].as_str().unwrap_or("")
    );
    Ok(body)
}

/// A markdown message to the robot.
async fn post_markdown(hook: &Webhook, text: &str) -> anyhow::Result<()> {
    let body = json!({"msgtype": "markdown", "markdown": {"content": text}});
    post_json(hook, &body).await.map(|_| ())
}

async fn post_json(hook: &Webhook, body: &Value) -> anyhow::Result<Value> {
    rate_limited(hook.key()).await;
    let reply = client()?
        .post(hook.url().clone())
        .json(body)
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.without_url()))?;
    answer(reply).await
}

/// The report's file name, as the robot and the mail attach it.
fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report.xlsx".into())
}

/// Uploads `path` (`upload_media`, type file) and sends it as a `file` message.
async fn send_file(hook: &Webhook, path: &Path) -> anyhow::Result<()> {
    let size = std::fs::metadata(path)?.len();
    anyhow::ensure!(
        size <= MAX_FILE_BYTES,
        "the report is {} MB, more than the robot's 20 MB: not attached",
        size >> 20
    );
    let part = reqwest::multipart::Part::bytes(std::fs::read(path)?)
        .file_name(file_name(path))
        .mime_str("application/octet-stream")?;
    let form = reqwest::multipart::Form::new().part("media", part);
    let reply = client()?
        .post(hook.upload_url())
        .multipart(form)
        .send()
        .await
        .map_err(|e| anyhow::Error::new(e.without_url()))?;
    let body = answer(reply).await?;
    let media = body["media_id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("upload_media gave no media_id"))?;
    post_json(
        hook,
        &json!({"msgtype": "file", "file": {"media_id": media}}),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mail_is_the_message_without_its_colours() {
        assert_eq!(
            plain("## bgy 定时同步:<font color=\"warning\">失败</font>\n> 文件:a.csv\n"),
            "## bgy 定时同步:失败\n> 文件:a.csv\n"
        );
    }

    fn reason(warning: bool) -> crate::outcome::Reason {
        crate::outcome::Reason {
            count: 4,
            warning,
            rule: "转正时间: probation end before entry".into(),
            example: "转正时间: 转正时间 2025-03-19 早于入职时间 2025-12-19 (positive_time: probation end date 2025-03-19 is before the entry date 2025-12-19)".into(),
            first_row: 72,
            remedy: None,
        }
    }

    #[test]
    fn undo_is_offered_only_for_a_run_that_changed_something() {
        let mut summary = Summary {
            history_run: Some(2),
            ..Summary::default()
        };
        summary.counts.unchanged = 620;
        let result = Ok(summary);
        let ended = |reasons| Ended {
            file: Some("花名册-12月.xlsx".into()),
            result: &result,
            reasons,
        };
        let text = message(Kind::Success, &ended(vec![reason(true)]), None);
        assert!(!text.contains("bgy undo"), "{text}");
        // Each reason in Chinese alone, as the console shows it.
        assert!(
            text.contains(
                "- 4 × 转正时间: 转正时间 2025-03-19 早于入职时间 2025-12-19(例如第 72 行,第一处)"
            ),
            "{text}"
        );
        assert!(!text.contains("positive"), "{text}");
        // Warnings alone, in a run that went through, are reminders, not why it failed.
        assert!(
            text.contains("**提醒**") && !text.contains("主要原因"),
            "{text}"
        );
        let text = message(
            Kind::Failure,
            &ended(vec![reason(true), reason(false)]),
            None,
        );
        assert!(text.contains("**主要原因**"), "{text}");
        // The warning below, as a reminder.
        let (why, reminders) = text
            .split_once("**提醒**")
            .unwrap_or_else(|| panic!("{text}"));
        assert!(why.contains("**主要原因**\n- 4 × "), "{text}");
        assert!(reminders.contains("- 4 × "), "{text}");

        let mut summary = Summary {
            history_run: Some(3),
            ..Summary::default()
        };
        summary.counts.left = 1;
        let result = Ok(summary);
        let text = message(
            Kind::Success,
            &Ended {
                file: None,
                result: &result,
                reasons: vec![],
            },
            None,
        );
        assert!(text.contains("撤销:`bgy undo 3`"), "{text}");
    }

    #[test]
    fn a_reason_too_long_for_a_line_is_told_by_its_rule_and_its_setting() {
        let long = crate::outcome::Reason {
            count: 300,
            warning: true,
            rule: "人事状态: 在职等人事状态不发送 (status: in service)".into(),
            example: format!(
                "人事状态: 在职{} (status: in service is none of 办公逸's)",
                "。".repeat(90)
            ),
            first_row: 2,
            remedy: None,
        };
        assert_eq!(
            reason_line(&long),
            "300 × 人事状态: 在职等人事状态不发送(例如第 2 行,第一处)"
        );
        // A row alone keeps its own words, cut.
        let one = crate::outcome::Reason { count: 1, ..long };
        assert!(reason_line(&one).starts_with("1 × 人事状态: 在职。"));
        assert!(reason_line(&one).ends_with("…(第 2 行)"));

        let header = crate::remedy::Remedy::MapColumn {
            header: "工号".into(),
            field: Some(crate::model::Field::WeUserid),
        };
        assert_eq!(
            todo(Some(&header)).as_deref(),
            Some("在 bgy.toml 的 [columns] 中写 \"工号\" = \"帐号\"")
        );
        // A run of the job is never forced: a guard it meets pauses it.
        assert_eq!(todo(Some(&crate::remedy::Remedy::Force)), None);
    }

    #[test]
    fn the_first_people_leaving_are_named_and_the_rest_counted() {
        let mut summary = Summary::default();
        summary.counts.left = 12;
        summary.detail = crate::outcome::Detail::Sheet(crate::outcome::SheetDetail {
            leaving: (0..10).map(|i| format!("p{i} (员工{i})")).collect(),
            ..Default::default()
        });
        let line = leaving(&summary).unwrap();
        assert!(
            line.starts_with("> 离职:p0 (员工0)、p1 (员工1)、"),
            "{line}"
        );
        assert!(line.ends_with("、p9 (员工9) 等 12 人\n"), "{line}");
        // A paused run names whom it would delete.
        if let crate::outcome::Detail::Sheet(d) = &mut summary.detail {
            d.planned = Some(crate::outcome::StaffCounts {
                delete: 10,
                ..Default::default()
            });
        }
        assert!(leaving(&summary).unwrap().starts_with("> 删除:p0 (员工0)"));
        assert!(!leaving(&summary).unwrap().contains('等'));
    }

    /// The longest message the parts allow (a long file name, an error, ten reasons at their
    /// longest) is still one the robot takes.
    #[test]
    fn the_longest_message_is_within_the_robot_s_limit() {
        let result = Err(anyhow::anyhow!("坏".repeat(700)));
        let long = |warning| crate::outcome::Reason {
            count: 1,
            example: "离".repeat(200),
            ..reason(warning)
        };
        let ended = Ended {
            file: Some(format!("{}.xlsx", "花名册".repeat(80))),
            result: &result,
            reasons: [true, false]
                .iter()
                .flat_map(|&w| vec![long(w); 5])
                .collect(),
        };
        let text = message(Kind::Failure, &ended, Some("http://127.0.0.1:8700"));
        assert!(text.len() <= MAX_MARKDOWN_BYTES, "{} bytes", text.len());
        assert!(
            text.starts_with("## bgy 定时同步") && text.ends_with('…'),
            "{text}"
        );
    }

    /// The robot takes 20 messages a minute: the 21st waits until the first is a minute old;
    /// another robot does not wait for this one.
    #[tokio::test(start_paused = true)]
    async fn the_twenty_first_message_in_a_minute_waits_for_the_first_to_be_a_minute_old() {
        let started = Instant::now();
        for _ in 0..20 {
            rate_limited("robot-of-this-test").await;
        }
        assert_eq!(started.elapsed(), Duration::ZERO, "twenty at once");
        rate_limited("another-robot-of-this-test").await;
        assert_eq!(
            started.elapsed(),
            Duration::ZERO,
            "another robot's own twenty"
        );
        rate_limited("robot-of-this-test").await;
        assert_eq!(started.elapsed(), Duration::from_secs(60));
    }

    #[test]
    fn a_long_message_is_cut_within_the_robot_s_limit_at_a_character() {
        let long = "离".repeat(3000);
        let cut = cut(long, MAX_MARKDOWN_BYTES);
        assert!(cut.len() <= MAX_MARKDOWN_BYTES);
        assert!(cut.ends_with('…'));
    }
}
