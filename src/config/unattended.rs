//! `bgy.toml`'s `[schedule]` and `[notify]`, read once and typed: a bad key is exit 2 naming it.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{PruneMode, UsageError, SETTINGS_FILE};

/// The unattended job and who hears of it.
#[derive(Debug, Default)]
pub struct Settings {
    pub schedule: Option<Schedule>,
    pub notify: Notify,
}

/// `[schedule]`: when, from where, and how far it may go on its own.
#[derive(Debug)]
pub struct Schedule {
    pub cron: cron::Schedule,
    /// As written, to show.
    pub cron_text: String,
    pub tz: chrono_tz::Tz,
    pub folder: PathBuf,
    pub pattern: Option<glob::Pattern>,
    pub prune: PruneMode,
    pub max_changes: Threshold,
    pub on_invalid: OnInvalid,
    /// Departments the sheet's 部门 paths name and the directory lacks are made (an HR
    /// system's new departments), rather than its rows being invalid.
    pub create_departments: bool,
    /// How long a file's size and time must stay the same before it is read.
    pub settle: Duration,
}

/// How many changes an unattended run may make before it waits for a person.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Threshold {
    /// A share of the directory, in per cent.
    Percent(f64),
    Count(usize),
}

impl Threshold {
    /// The most changes allowed in a directory of `people`.
    pub fn limit(self, people: usize) -> usize {
        match self {
            Threshold::Percent(p) => (people as f64 * p / 100.0).floor() as usize,
            Threshold::Count(n) => n,
        }
    }

    pub fn describe(self) -> String {
        match self {
            Threshold::Percent(p) => format!("{p}%"),
            Threshold::Count(n) => n.to_string(),
        }
    }
}

/// What a sheet with invalid rows does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnInvalid {
    /// Skips the sheet: sends nothing; the run is a failure that names the rows. `nothing`
    /// was its name before the SPEC's `skip`, and is still read.
    #[default]
    #[serde(alias = "nothing")]
    Skip,
    /// Sends the valid rows, as `bgy sync` by hand does.
    SendValid,
}

/// `[notify]`: the 企业微信 group robot, and what it is told.
#[derive(Debug)]
pub struct Notify {
    pub webhook: Option<Webhook>,
    /// `smtp`: the same message by e-mail, the report attached.
    pub mail: Option<Mail>,
    pub on_failure: bool,
    pub on_pause: bool,
    pub on_success: bool,
    /// Send the run's report workbook after the message.
    pub attach_report: bool,
    /// The console's address, for a link in the message.
    pub console_url: Option<String>,
}

impl Default for Notify {
    fn default() -> Notify {
        Notify {
            webhook: None,
            mail: None,
            on_failure: true,
            on_pause: true,
            on_success: true,
            attach_report: true,
            console_url: None,
        }
    }
}

/// A server's scheme, host and port, to show: no user, password, path or query.
fn origin(url: &reqwest::Url) -> String {
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!("{}://{}{port}", url.scheme(), url.host_str().unwrap_or(""))
}

/// The robot's address. Its `key` is a secret like the ticket: `Debug` hides it and there is
/// no `Display`.
#[derive(Clone)]
pub struct Webhook {
    url: reqwest::Url,
    key: String,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Webhook({}{}?key=***)",
            origin(&self.url),
            self.url.path()
        )
    }
}

impl Webhook {
    pub fn url(&self) -> &reqwest::Url {
        &self.url
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    /// The robot's `upload_media` address beside its `send`, for a file of type `file`.
    pub fn upload_url(&self) -> reqwest::Url {
        let mut url = self.url.clone();
        let path = match self.url.path().rsplit_once('/') {
            Some((dir, _)) => format!("{dir}/upload_media"),
            None => "/upload_media".into(),
        };
        url.set_path(&path);
        url.query_pairs_mut().append_pair("type", "file");
        url
    }

    /// The address with the key hidden, to show.
    pub fn shown(&self) -> String {
        format!("{:?}", self)
            .trim_start_matches("Webhook(")
            .trim_end_matches(')')
            .to_string()
    }
}

/// `[schedule]`'s keys, as [`RawSchedule`] names them.
const SCHEDULE_KEYS: &[&str] = &[
    "cron",
    "tz",
    "folder",
    "pattern",
    "prune",
    "max_changes",
    "on_invalid",
    "create_departments",
    "settle_seconds",
];

/// `[notify]`'s keys, as [`RawNotify`] names them.
const NOTIFY_KEYS: &[&str] = &[
    "wecom_webhook",
    "on_failure",
    "on_pause",
    "on_success",
    "attach_report",
    "console_url",
    "smtp",
];

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    cron: Option<String>,
    tz: Option<String>,
    folder: Option<PathBuf>,
    pattern: Option<String>,
    prune: Option<String>,
    max_changes: Option<toml::Value>,
    on_invalid: Option<String>,
    create_departments: Option<bool>,
    settle_seconds: Option<f64>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotify {
    wecom_webhook: Option<String>,
    on_failure: Option<bool>,
    on_pause: Option<bool>,
    on_success: Option<bool>,
    attach_report: Option<bool>,
    console_url: Option<String>,
    smtp: Option<toml::Value>,
}

/// A bad key of bgy.toml (its own, `[schedule]`'s, `[notify]`'s, `[prune]`'s), said in both
/// languages. [`Bad::at`] adds where bgy.toml writes it.
#[derive(Debug)]
pub struct Bad {
    table: String,
    key: String,
    zh: String,
    en: String,
}

fn bad<T>(
    table: &str,
    key: &str,
    zh: impl std::fmt::Display,
    en: impl std::fmt::Display,
) -> Result<T, Bad> {
    Err(Bad {
        table: table.to_string(),
        key: key.to_string(),
        zh: zh.to_string(),
        en: en.to_string(),
    })
}

impl Bad {
    /// The one line the terminal shows, with the line of `text` (bgy.toml) that writes the key,
    /// or its table when the key is missing. Nothing of a value is quoted that could hold a key
    /// or a password.
    pub fn at(&self, text: &str) -> UsageError {
        let Bad { table, key, zh, en } = self;
        let name = match table.as_str() {
            "" => key.clone(),
            _ => format!("[{table}] {key}"),
        };
        let said = match line_of(text, table, key) {
            Some(line) => format!("{SETTINGS_FILE} 第 {line} 行,{name}:{zh} ({SETTINGS_FILE} line {line}, {name}: {en})"),
            None => format!("{SETTINGS_FILE} {name}:{zh} ({SETTINGS_FILE} {name}: {en})"),
        };
        UsageError(super::settings_error(&said))
    }
}

/// The line of `text` that writes `key` in `[table]`, else the table's header. A key of no
/// table (`table` empty) may be a table's header itself.
fn line_of(text: &str, table: &str, key: &str) -> Option<usize> {
    let mut current = String::new();
    let mut header = None;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
            current = name.trim().trim_matches('"').to_string();
            if table.is_empty() && current == key {
                return Some(i + 1);
            }
            if current == table && header.is_none() {
                header = Some(i + 1);
            }
            continue;
        }
        let Some((k, _)) = line.split_once('=') else {
            continue;
        };
        if current == table && k.trim().trim_matches(['"', '\'']) == key {
            return Some(i + 1);
        }
    }
    header
}

/// Keys a table may hold: one it does not is named, with the one meant when it is close.
pub(super) fn known(table: &str, t: &toml::Table, keys: &[&str]) -> Result<(), Bad> {
    let Some(k) = t.keys().find(|k| !keys.contains(&k.as_str())) else {
        return Ok(());
    };
    let near = (keys.iter())
        .map(|known| (strsim::jaro_winkler(k, known), *known))
        // Or one holds the other whole: prune_mode (prune), webhook (wecom_webhook).
        .filter(|(score, known)| {
            *score > 0.8 || k.contains(known) || (k.len() >= 4 && known.contains(k.as_str()))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, known)| known);
    match near {
        Some(near) => bad(
            table,
            k,
            format!("没有这个设置,是不是 {near}?"),
            format!("no such setting; did you mean {near}?"),
        ),
        None => bad(
            table,
            k,
            format!("没有这个设置,可用的有 {}", keys.join("、")),
            format!("no such setting; one of {}", keys.join(", ")),
        ),
    }
}

/// A value of the wrong kind (`create_departments = "yes"`), by the key serde's `message`
/// names, and what that key takes in words.
pub(super) fn wrong_kind(table: &str, message: &str) -> Bad {
    let path = (message.rsplit_once("in `"))
        .and_then(|(_, rest)| rest.split_once('`'))
        .map_or("", |(path, _)| path);
    let en = message.replace(&format!("in `{path}`"), "");
    // A key of a table in bgy.toml's own: `columns.工号`.
    let (table, key) = match path.split_once('.') {
        Some((t, k)) if table.is_empty() => (t, k.trim_matches('"')),
        _ => (table, path),
    };
    let zh = match key {
        _ if table == "columns" => "应为加引号的列名,例如 \"帐号\",或 \"-\" 忽略该列",
        "create_departments" | "on_failure" | "on_pause" | "on_success" | "attach_report" => {
            "应为 true 或 false(不加引号)"
        }
        "settle_seconds" => "应为秒数,例如 5",
        "folder" | "pattern" | "cron" | "tz" | "prune" | "on_invalid" | "wecom_webhook"
        | "console_url" | "report_dir" => "应为加引号的文字",
        "columns" => "应为一个表:[columns] 下每行写 \"表头\" = \"列\"",
        "accounts" | "departments" => "应为加引号的文字的列表,例如 [\"admin\", \"svc-*\"]",
        _ => "类型不对",
    };
    Bad {
        table: table.to_string(),
        key: key.to_string(),
        zh: zh.into(),
        en: en.trim().to_string(),
    }
}

impl Settings {
    /// `bgy.toml`'s text, typed (the unit tests' way in).
    pub fn parse(text: &str) -> Result<Settings, UsageError> {
        super::Company::parse(text)?.unattended()
    }

    /// The `[schedule]` and `[notify]` tables, typed: none is no job and no robot.
    pub fn of(schedule: Option<toml::Table>, notify: Option<toml::Table>) -> Result<Settings, Bad> {
        Ok(Settings {
            schedule: schedule.map(self::schedule).transpose()?,
            notify: notify.map(self::notify).transpose()?.unwrap_or_default(),
        })
    }
}

/// A table's keys, typed; an unknown key named.
fn raw<T: serde::de::DeserializeOwned>(
    name: &str,
    t: toml::Table,
    keys: &[&str],
) -> Result<T, Bad> {
    known(name, &t, keys)?;
    T::deserialize(toml::Value::Table(t)).map_err(|e| wrong_kind(name, &e.to_string()))
}

/// A time zone by its name (`Asia/Shanghai`), `tz` of `table`.
pub(super) fn zone(table: &str, name: &str) -> Result<chrono_tz::Tz, Bad> {
    match name.parse() {
        Ok(tz) => Ok(tz),
        Err(_) => bad(
            table,
            "tz",
            format!("{name:?} 不是时区(例如 \"Asia/Shanghai\")"),
            format!("{name:?} is not a time zone (e.g. \"Asia/Shanghai\")"),
        ),
    }
}

fn schedule(t: toml::Table) -> Result<Schedule, Bad> {
    let raw: RawSchedule = raw("schedule", t, SCHEDULE_KEYS)?;
    let s = "schedule";
    let Some(cron_text) = raw.cron.clone() else {
        return bad(
            s,
            "cron",
            "缺少:例如 cron = \"30 2 * * *\"(如 crontab:分 时 日 月 星期,每天 02:30)",
            "missing: e.g. cron = \"30 2 * * *\" (as in crontab: minutes hours day month weekday; 02:30 every day)",
        );
    };
    let cron = match cron::Schedule::from_str(&crontab(&cron_text)) {
        Ok(c) => c,
        Err(_) => return bad(
            s,
            "cron",
            format!("{cron_text:?} 不是时间表:应如 crontab 写五段,分 时 日 月 星期(六段则秒在前),例如每天 02:30 为 \"30 2 * * *\""),
            format!("{cron_text:?} is not a schedule: five fields as in crontab, minute hour day month weekday (six: seconds first); 02:30 daily is \"30 2 * * *\""),
        ),
    };
    let tz = match raw.tz.as_deref() {
        None => chrono_tz::Asia::Shanghai,
        Some(name) => zone(s, name)?,
    };
    let Some(folder) = raw.folder.clone() else {
        return bad(
            s,
            "folder",
            "缺少:人事系统导出文件所在的文件夹",
            "missing: the folder the HR system writes its exports to",
        );
    };
    let pattern = match raw.pattern.as_deref() {
        None => None,
        Some(p) => match glob::Pattern::new(p) {
            Ok(p) => Some(p),
            Err(e) => {
                return bad(
                    s,
                    "pattern",
                    format!("{p:?} 不是文件名模式"),
                    format!("{p:?}: {e}"),
                )
            }
        },
    };
    let (prune, max_changes, on_invalid) = limits(&raw)?;
    let settle = match raw.settle_seconds {
        None => Duration::from_secs(5),
        Some(x) if x.is_finite() && (0.0..=600.0).contains(&x) => Duration::from_secs_f64(x),
        Some(x) => {
            return bad(
                s,
                "settle_seconds",
                format!("{x}:应在 0 到 600 之间"),
                format!("{x}: between 0 and 600"),
            )
        }
    };
    Ok(Schedule {
        cron,
        cron_text,
        tz,
        folder,
        pattern,
        prune,
        max_changes,
        on_invalid,
        create_departments: raw.create_departments.unwrap_or(false),
        settle,
    })
}

/// How far the job may go alone: what it does with leavers, how many changes, invalid rows.
fn limits(raw: &RawSchedule) -> Result<(PruneMode, Threshold, OnInvalid), Bad> {
    let s = "schedule";
    let prune = match raw.prune.as_deref() {
        None | Some("leave") => PruneMode::Leave,
        Some("delete") => PruneMode::Delete,
        Some("none") => PruneMode::None,
        Some(other) => {
            return bad(
                s,
                "prune",
                format!("{other:?}:应为 \"leave\"、\"delete\" 或 \"none\""),
                format!("{other:?}: one of \"leave\", \"delete\", \"none\""),
            )
        }
    };
    let max_changes = match &raw.max_changes {
        None => Threshold::Percent(5.0),
        Some(v) => threshold(v).ok_or(()).or_else(|_| {
            let v = match v {
                toml::Value::String(text) => format!("{text:?}"),
                toml::Value::Integer(n) => n.to_string(),
                toml::Value::Float(x) => x.to_string(),
                other => other.type_str().to_string(),
            };
            bad(
                s,
                "max_changes",
                format!("{v}:应为比例(如 \"5%\")或数量(如 50)"),
                format!("{v}: a share such as \"5%\" or a count such as 50"),
            )
        })?,
    };
    let on_invalid = match raw.on_invalid.as_deref() {
        None | Some("skip" | "nothing") => OnInvalid::Skip,
        Some("send-valid") => OnInvalid::SendValid,
        Some(other) => {
            return bad(
                s,
                "on_invalid",
                format!("{other:?}:应为 \"skip\"(默认)或 \"send-valid\""),
                format!("{other:?}: \"skip\" (the default) or \"send-valid\""),
            )
        }
    };
    Ok((prune, max_changes, on_invalid))
}

fn threshold(v: &toml::Value) -> Option<Threshold> {
    match v {
        toml::Value::Integer(n) => usize::try_from(*n).ok().map(Threshold::Count),
        toml::Value::String(text) => {
            let text = text.trim();
            match text.strip_suffix('%') {
                Some(p) => p
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|p| p.is_finite() && (0.0..=100.0).contains(p))
                    .map(Threshold::Percent),
                None => text.parse().ok().map(Threshold::Count),
            }
        }
        _ => None,
    }
}

fn notify(t: toml::Table) -> Result<Notify, Bad> {
    let raw: RawNotify = raw("notify", t, NOTIFY_KEYS)?;
    let webhook = match raw.wecom_webhook.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(webhook(text)?),
    };
    let mail = raw.smtp.map(mail).transpose()?;
    let d = Notify::default();
    Ok(Notify {
        webhook,
        mail,
        on_failure: raw.on_failure.unwrap_or(d.on_failure),
        on_pause: raw.on_pause.unwrap_or(d.on_pause),
        on_success: raw.on_success.unwrap_or(d.on_success),
        attach_report: raw.attach_report.unwrap_or(d.attach_report),
        console_url: raw.console_url.filter(|u| !u.trim().is_empty()),
    })
}

fn webhook(text: &str) -> Result<Webhook, Bad> {
    // Never the text itself in an error: it holds the key.
    let url = reqwest::Url::parse(text).or_else(|_| {
        bad(
            "notify",
            "wecom_webhook",
            "不是网址(应为 https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…)",
            "not an address (expected https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…)",
        )
    })?;
    if !matches!(url.scheme(), "https" | "http") {
        return bad(
            "notify",
            "wecom_webhook",
            "不是 http(s) 网址",
            "not an http(s) address",
        );
    }
    let key = url
        .query_pairs()
        .find(|(k, _)| k == "key")
        .map(|(_, v)| v.into_owned())
        .filter(|k| !k.is_empty());
    let Some(key) = key else {
        return bad(
            "notify",
            "wecom_webhook",
            "没有 key=…(请从群机器人的设置中复制完整地址)",
            "has no key=… (copy the robot's whole address from the group's settings)",
        );
    };
    Ok(Webhook { url, key })
}

/// `[notify] smtp`: an SMTP server (its password a secret like the robot's key), who the mail
/// is from and to.
pub struct Mail {
    /// For the mail transport: `smtps://user:password@host:port`, `smtp://host:port?tls=required`.
    url: String,
    /// The password in it, percent-decoded, to redact from what the server says.
    password: Option<String>,
    pub from: lettre::message::Mailbox,
    pub to: Vec<lettre::message::Mailbox>,
}

impl std::fmt::Debug for Mail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown())
    }
}

impl Mail {
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Everything the server says, without the password.
    pub fn redact(&self, text: &str) -> String {
        match &self.password {
            Some(p) if !p.is_empty() => crate::api::error::redact(text, p),
            _ => text.to_string(),
        }
    }

    /// The server and the recipients, to show: no user, no password.
    pub fn shown(&self) -> String {
        let server = match reqwest::Url::parse(&self.url) {
            Ok(u) => origin(&u),
            Err(_) => "?".into(),
        };
        let to: Vec<String> = self.to.iter().map(|m| m.email.to_string()).collect();
        format!("{server} → {}", to.join(", "))
    }
}

/// `smtp = "smtps://user:password@host?from=…&to=a@x,b@y"`, or the same as a table:
/// `smtp = { url = "smtps://user:password@host", from = "bgy@x", to = ["a@x", "b@y"] }`.
fn mail(v: toml::Value) -> Result<Mail, Bad> {
    let (text, mut from, mut to) = mail_parts(&v)?;
    // Never the text itself in an error: it may hold the password.
    let Ok(mut url) = reqwest::Url::parse(text.trim()) else {
        return bad(
            "notify",
            "smtp",
            format!("url 不是网址;{MAIL_SHAPE_ZH}"),
            format!("url: not an address; {MAIL_SHAPE}"),
        );
    };
    if !matches!(url.scheme(), "smtp" | "smtps") || url.host_str().is_none_or(str::is_empty) {
        return bad(
            "notify",
            "smtp",
            "url 应为带服务器的 smtp:// 或 smtps:// 地址",
            "url: an smtp:// or smtps:// address with a server",
        );
    }
    // `from` and `to` in the address's query are bgy's, not the transport's.
    let mut kept = Vec::new();
    for (k, v) in url.query_pairs() {
        match &*k {
            "from" => from = Some(v.into_owned()),
            "to" => to.extend(v.split(',').map(str::to_string)),
            _ => kept.push((k.into_owned(), v.into_owned())),
        }
    }
    url.set_query(None);
    if !kept.is_empty() {
        url.query_pairs_mut().extend_pairs(kept);
    }
    let password = (url.password()).map(|p| {
        percent_encoding::percent_decode_str(p)
            .decode_utf8_lossy()
            .into_owned()
    });
    let mailbox = |what: &str, a: &str| -> Result<lettre::message::Mailbox, Bad> {
        a.trim().parse().or_else(|_| {
            bad(
                "notify",
                "smtp",
                format!("{what}:{:?} 不是邮件地址", a.trim()),
                format!("{what}: {:?} is not an e-mail address", a.trim()),
            )
        })
    };
    let to: Vec<_> = (to.iter())
        .filter(|a| !a.trim().is_empty())
        .map(|a| mailbox("to", a))
        .collect::<Result<_, _>>()?;
    if to.is_empty() {
        return bad(
            "notify",
            "smtp",
            format!("to:缺少收件人;{MAIL_SHAPE_ZH}"),
            format!("to: who the mail goes to; {MAIL_SHAPE}"),
        );
    }
    let Some(from) = from else {
        return bad(
            "notify",
            "smtp",
            format!("from:缺少发件人;{MAIL_SHAPE_ZH}"),
            format!("from: who the mail is from; {MAIL_SHAPE}"),
        );
    };
    Ok(Mail {
        from: mailbox("from", &from)?,
        to,
        url: url.to_string(),
        password,
    })
}

const MAIL_SHAPE: &str = "expected smtp = { url = \"smtps://user:password@smtp.example.com\", from = \"bgy@example.com\", to = [\"hr@example.com\"] }";
const MAIL_SHAPE_ZH: &str = "应写成 smtp = { url = \"smtps://…\", from = \"…\", to = [\"…\"] }";

/// `smtp`'s address, and the from and to its table gives.
fn mail_parts(v: &toml::Value) -> Result<(String, Option<String>, Vec<String>), Bad> {
    let list = |v: &toml::Value| -> Option<Vec<String>> {
        match v {
            toml::Value::String(s) => Some(s.split(',').map(str::to_string).collect()),
            toml::Value::Array(a) => a.iter().map(|x| x.as_str().map(str::to_string)).collect(),
            _ => None,
        }
    };
    match v {
        toml::Value::String(s) => Ok((s.clone(), None, Vec::new())),
        toml::Value::Table(t) => {
            if let Some(k) = t
                .keys()
                .find(|k| !["url", "from", "to"].contains(&k.as_str()))
            {
                return bad(
                    "notify",
                    "smtp",
                    format!("没有 {k:?} 这一项;{MAIL_SHAPE_ZH}"),
                    format!("unknown key {k:?}; {MAIL_SHAPE}"),
                );
            }
            let Some(url) = t.get("url").and_then(toml::Value::as_str) else {
                return bad(
                    "notify",
                    "smtp",
                    format!("缺少 url;{MAIL_SHAPE_ZH}"),
                    format!("no url; {MAIL_SHAPE}"),
                );
            };
            let from = t
                .get("from")
                .and_then(toml::Value::as_str)
                .map(str::to_string);
            let to = match t.get("to").map(list) {
                Some(Some(to)) => to,
                Some(None) => {
                    return bad(
                        "notify",
                        "smtp",
                        format!("to 应为地址的列表;{MAIL_SHAPE_ZH}"),
                        format!("to: a list of addresses; {MAIL_SHAPE}"),
                    )
                }
                None => Vec::new(),
            };
            Ok((url.to_string(), from, to))
        }
        _ => bad("notify", "smtp", MAIL_SHAPE_ZH, MAIL_SHAPE),
    }
}

/// A schedule as IT writes it in a crontab, as the cron crate reads it: five fields (no
/// seconds) get a 0 for seconds, and the weekdays are crontab's (0 or 7 Sunday, 1 Monday …
/// 6 Saturday), written as names, which the cron crate numbers from Sunday as 1. Anything it
/// cannot read is left for the cron crate to refuse.
fn crontab(text: &str) -> String {
    let mut fields: Vec<String> = text.split_whitespace().map(str::to_string).collect();
    if fields.len() == 5 {
        fields.insert(0, "0".into());
    }
    if let Some(days) = fields.get_mut(5) {
        if let Some(named) = weekdays(days) {
            *days = named;
        }
    }
    fields.join(" ")
}

/// Crontab's weekday field (`1-5`, `0,6`, `5-7`, `MON-FRI`, `*/2`) as the days' names, or
/// `None` to leave it as it is (`*`, `?`, a field it cannot read).
fn weekdays(field: &str) -> Option<String> {
    const NAMES: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
    if matches!(field, "*" | "?") {
        return None;
    }
    let day = |s: &str| -> Option<usize> {
        match s.parse::<usize>() {
            Ok(n) if n <= 7 => Some(n),
            Ok(_) => None,
            Err(_) => NAMES
                .iter()
                .position(|n| s.get(..3).is_some_and(|d| d.eq_ignore_ascii_case(n))),
        }
    };
    let mut on = [false; 8];
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<usize>().ok().filter(|s| *s > 0)?),
            None => (part, 1),
        };
        let (from, to) = match range.split_once('-') {
            _ if range == "*" => (0, 6),
            Some((a, b)) => (day(a)?, day(b)?),
            None if step > 1 => (day(range)?, 7),
            None => (day(range)?, day(range)?),
        };
        if from > to {
            return None;
        }
        for d in (from..=to).step_by(step) {
            on[d] = true;
        }
    }
    let days: Vec<&str> = (0..7)
        .filter(|d| on[*d] || (*d == 0 && on[7]))
        .map(|d| NAMES[d])
        .collect();
    Some(days.join(","))
}

impl Schedule {
    /// The next time the job runs after `now`.
    pub fn next_after(&self, now: DateTime<Utc>) -> Option<DateTime<chrono_tz::Tz>> {
        self.next_runs(now, 1).pop()
    }

    /// The next `n` times the job runs after `now`: a person sees on which days it runs.
    pub fn next_runs(&self, now: DateTime<Utc>, n: usize) -> Vec<DateTime<chrono_tz::Tz>> {
        self.cron
            .after(&now.with_timezone(&self.tz))
            .take(n)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_job_reads_back() {
        let s = Settings::parse(
            r#"
            [schedule]
            cron = "0 30 2 * * *"
            folder = "/data/hr"
            pattern = "花名册*.xlsx"
            max_changes = 50
            [notify]
            wecom_webhook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET-KEY"
            on_success = false
            "#,
        )
        .unwrap();
        let job = s.schedule.unwrap();
        assert_eq!(job.prune, PruneMode::Leave);
        assert_eq!(job.max_changes, Threshold::Count(50));
        assert!(job.pattern.as_ref().unwrap().matches("花名册-11月.xlsx"));
        let at = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 29, 12, 0, 0).unwrap();
        // 02:30 in Shanghai is 18:30 UTC.
        assert_eq!(
            job.next_after(at).unwrap().with_timezone(&Utc).to_rfc3339(),
            "2026-11-29T18:30:00+00:00"
        );
        let hook = s.notify.webhook.unwrap();
        assert_eq!(hook.key(), "SECRET-KEY");
        assert!(!format!("{hook:?}").contains("SECRET"));
        assert_eq!(
            hook.upload_url().as_str(),
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/upload_media?key=SECRET-KEY&type=file"
        );
        assert!(!s.notify.on_success && s.notify.on_failure);
    }

    #[test]
    fn a_crontab_line_s_fields_run_when_crontab_would() {
        let next = |cron: &str| {
            let job = Settings::parse(&format!(
                "[schedule]\ncron = \"{cron}\"\nfolder = \"x\"\ntz = \"UTC\""
            ))
            .unwrap_or_else(|e| panic!("{cron}: {e}"))
            .schedule
            .unwrap();
            // Sunday 2026-11-29, noon: the runs until the Saturday after it is over.
            let day = |d| chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, d, 12, 0, 0).unwrap();
            let (mut at, end) = (day(29), day(29) + chrono::Duration::hours(6 * 24 + 12));
            let mut runs = Vec::new();
            while let Some(t) = job.next_after(at).filter(|t| *t < end) {
                runs.push(t.format("%a %H:%M").to_string());
                at = t.with_timezone(&Utc);
            }
            runs.join(", ")
        };
        let weekdays = "Mon 02:30, Tue 02:30, Wed 02:30, Thu 02:30, Fri 02:30";
        assert_eq!(next("30 2 * * 1-5"), weekdays);
        assert_eq!(next("0 30 2 * * 1-5"), weekdays);
        assert_eq!(next("30 2 * * MON-FRI"), weekdays);
        assert_eq!(next("30 2 * * mon,tue,wed,thu,fri"), weekdays);
        assert_eq!(next("30 2 * * 5-7"), "Fri 02:30, Sat 02:30");
        assert_eq!(next("30 2 * * 0"), "");
        assert_eq!(next("30 2 * * 7,3"), "Wed 02:30");
        assert_eq!(next("30 2 * * */2"), "Tue 02:30, Thu 02:30, Sat 02:30");
        assert_eq!(next("0 2 * * *").matches("02:00").count(), 6);
        assert_eq!(next("@daily").matches("00:00").count(), 6);
        let e = Settings::parse("[schedule]\ncron = \"30 2 * * 8\"\nfolder = \"x\"").unwrap_err();
        let e = e.to_string();
        assert!(e.contains("五段") && e.contains("five fields"), "{e}");
    }

    #[test]
    fn smtp_as_a_table_or_an_address_and_its_password_never_shown() {
        let read = |v: &str| Settings::parse(&format!("[notify]\nsmtp = {v}")).map(|s| s.notify);
        let n = read(r#"{ url = "smtps://bgy%40x.cn:PW%2Fs3cret@mail.x.cn:465", from = "bgy <bgy@x.cn>", to = ["hr@x.cn", "it@x.cn"] }"#).unwrap();
        let mail = n.mail.unwrap();
        assert_eq!(mail.shown(), "smtps://mail.x.cn:465 → hr@x.cn, it@x.cn");
        assert!(!format!("{mail:?}").contains("s3cret"));
        assert_eq!(mail.redact("535 PW/s3cret refused"), "535 *** refused");
        assert_eq!(mail.from.email.to_string(), "bgy@x.cn");
        // The address alone, its from and to in its query (not passed on to the server).
        let n = read(r#""smtp://u:pw@127.0.0.1:2525?tls=required&to=a@x.cn,b@x.cn&from=bgy@x.cn""#)
            .unwrap();
        let mail = n.mail.unwrap();
        assert_eq!(mail.to.len(), 2);
        assert_eq!(mail.url(), "smtp://u:pw@127.0.0.1:2525?tls=required");
        let err = |v: &str| read(v).unwrap_err().0;
        for (v, says) in [
            (r#""smtp://u:SECRET@h""#, "to:"),
            (r#""smtp://u:SECRET@h?to=a@x.cn""#, "from:"),
            (r#""https://u:SECRET@h?to=a@x.cn&from=b@x.cn""#, "smtp://"),
            (
                r#"{ url = "smtp://u:SECRET@h", from = "b@x.cn", to = ["not an address"] }"#,
                "not an e-mail address",
            ),
            (
                r#"{ url = "smtp://u:SECRET@h", from = "b@x.cn", to = "a@x.cn", cc = "c@x.cn" }"#,
                "unknown key \"cc\"",
            ),
            ("42", "expected smtp = {"),
        ] {
            let e = err(v);
            assert!(e.contains("[notify] smtp") && e.contains(says), "{v}: {e}");
            assert!(!e.contains("SECRET"), "{e}");
        }
        // A syntax error names its line, and quotes nothing of it.
        let e = Settings::parse("[notify]\nsmtp = \"smtp://u:SECRET@h:25?to=a@b.c\nx = 1")
            .unwrap_err()
            .0;
        assert!(e.contains("line 2"), "{e}");
        assert!(!e.contains("SECRET"), "{e}");
    }

    #[test]
    fn on_invalid_is_the_spec_s_skip_or_send_valid() {
        let read = |v: &str| {
            let text = format!("[schedule]\ncron = \"0 0 2 * * *\"\nfolder = \"x\"\n{v}");
            Settings::parse(&text).map(|s| s.schedule.unwrap().on_invalid)
        };
        assert_eq!(read("").unwrap(), OnInvalid::Skip);
        assert_eq!(read("on_invalid = \"skip\"").unwrap(), OnInvalid::Skip);
        // Its name before, still read.
        assert_eq!(read("on_invalid = \"nothing\"").unwrap(), OnInvalid::Skip);
        assert_eq!(
            read("on_invalid = \"send-valid\"").unwrap(),
            OnInvalid::SendValid
        );
        let e = read("on_invalid = \"ignore\"").unwrap_err().0;
        assert!(e.contains("\"skip\" (the default)"), "{e}");
        // A run's options as stored before the rename.
        let stored: OnInvalid = serde_json::from_str("\"nothing\"").unwrap();
        assert_eq!(stored, OnInvalid::Skip);
    }

    #[test]
    fn a_bad_key_is_named_and_the_webhook_key_never_shown() {
        let err = |text: &str| Settings::parse(text).unwrap_err().0;
        assert!(
            err("[schedule]\ncron = \"every night\"\nfolder = \"x\"").contains("[schedule] cron")
        );
        assert!(err("[schedule]\ncron = \"0 0 2 * * *\"").contains("[schedule] folder"));
        assert!(
            err("[schedule]\ncron = \"0 0 2 * * *\"\nfolder = \"x\"\nmax_changes = \"lots\"")
                .contains("[schedule] max_changes")
        );
        assert!(
            err("[schedule]\ncron = \"0 0 2 * * *\"\nfolder = \"x\"\nprune = \"fire\"")
                .contains("[schedule] prune")
        );
        assert!(
            err("[schedule]\ncron = \"0 0 2 * * *\"\nfolder = \"x\"\ntz = \"Mars\"")
                .contains("[schedule] tz")
        );
        assert!(err("[schedule]\ncrn = \"0 0 2 * * *\"").contains("crn"));
        let e = err("[notify]\nwecom_webhook = \"ftp://h/send?key=SECRET-KEY\"");
        assert!(e.contains("[notify] wecom_webhook") && !e.contains("SECRET"));
        let e = err("[notify]\nwecom_webhook = \"https://h/send?token=SECRET-KEY\"");
        assert!(e.contains("key") && !e.contains("SECRET"));
        // A syntax error names its line, and quotes nothing of it.
        let e = err("[notify]\nwecom_webhook = \"https://h/send?key=SECRET-KEY\nx = 1");
        assert!(e.contains("第 2 行") && e.contains("line 2"), "{e}");
        assert!(!e.contains("SECRET"), "{e}");
        let e = err("[notify]\non_failure = \"https://h/send?key=SECRET-KEY\"");
        assert!(e.contains("on_failure") || e.contains("boolean"), "{e}");
        assert!(!e.contains("SECRET"), "{e}");
    }

    #[test]
    fn a_bad_key_is_said_in_both_languages_at_its_line() {
        let err = |text: &str| Settings::parse(text).unwrap_err().0;
        let job = "[schedule]\ncron = \"0 0 2 * * *\"\nfolder = \"x\"\n";
        // A misspelt key: the one meant, at the key's line.
        let e = err(&format!("# the job\n{job}prune_mode = \"leave\""));
        assert!(
            e.starts_with("bgy.toml 第 5 行,[schedule] prune_mode:没有这个设置,是不是 prune?"),
            "{e}"
        );
        assert!(
            e.contains(
                "(bgy.toml line 5, [schedule] prune_mode: no such setting; did you mean prune?)"
            ),
            "{e}"
        );
        // A known key's end: the key it ends.
        let e = err("[notify]\nwebhook = \"https://x\"");
        assert!(
            e.contains("webhook:没有这个设置,是不是 wecom_webhook?"),
            "{e}"
        );
        // Nothing close: the keys there are.
        let e = err(&format!("{job}colour = 1"));
        assert!(
            e.contains("可用的有 cron、tz、folder") && e.contains("one of cron, tz, folder"),
            "{e}"
        );
        // A value of the wrong kind: its key, and what the key takes.
        let e = err(&format!("{job}create_departments = \"yes\""));
        assert!(
            e.starts_with("bgy.toml 第 4 行,[schedule] create_departments:应为 true 或 false"),
            "{e}"
        );
        assert!(e.contains("expected a boolean)"), "{e}");
        // A missing key: the table's line.
        let e = err("[notify]\non_pause = true\n\n[schedule]\ncron = \"0 0 2 * * *\"");
        assert!(
            e.starts_with("bgy.toml 第 4 行,[schedule] folder:缺少"),
            "{e}"
        );
        // A key of another table with the same name is not its line.
        let e = err("[notify]\non_failure = true\n[schedule]\ncron = \"0 0 2 * * *\"\nfolder = \"x\"\non_failure = 1");
        assert!(
            e.starts_with("bgy.toml 第 6 行,[schedule] on_failure:"),
            "{e}"
        );
        let e = err("[notify]\nwecom_webhook = \"https://h/send?token=SECRET\"");
        assert!(
            e.starts_with("bgy.toml 第 2 行,[notify] wecom_webhook:没有 key=")
                && !e.contains("SECRET"),
            "{e}"
        );
    }

    /// The keys a struct reads, as serde lists them when it meets one it does not.
    fn fields_of<T: serde::de::DeserializeOwned>() -> Vec<String> {
        let table = toml::Table::from_iter([("zz".to_string(), toml::Value::Integer(1))]);
        let e = T::deserialize(toml::Value::Table(table))
            .err()
            .unwrap()
            .to_string();
        // `expected one of `a`, `b`, `c``, or for two `expected `a` or `b``.
        let listed = e.split_once("expected").map_or("", |(_, listed)| listed);
        listed
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn the_lists_of_keys_are_the_keys_read() {
        let list = |keys: &[&str]| keys.iter().map(|k| k.to_string()).collect::<Vec<_>>();
        assert_eq!(fields_of::<RawSchedule>(), list(SCHEDULE_KEYS));
        assert_eq!(fields_of::<RawNotify>(), list(NOTIFY_KEYS));
        assert_eq!(
            fields_of::<super::super::Company>(),
            list(super::super::TABLES)
        );
        assert_eq!(
            fields_of::<super::super::keep::Keep>(),
            list(super::super::keep::KEYS)
        );
    }

    #[test]
    fn thresholds() {
        assert_eq!(Threshold::Percent(5.0).limit(1000), 50);
        assert_eq!(Threshold::Percent(5.0).limit(10), 0);
        assert_eq!(Threshold::Count(7).limit(1), 7);
        assert_eq!(
            threshold(&toml::Value::String("2.5 %".into())),
            Some(Threshold::Percent(2.5))
        );
        assert_eq!(threshold(&toml::Value::String("120%".into())), None);
        assert_eq!(threshold(&toml::Value::Integer(-1)), None);
    }
}
