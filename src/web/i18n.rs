//! The console's language: Chinese, or English when the person switched (a cookie). Each
//! request runs in the scope of its language, so pages, refusals and the words for statuses,
//! commands and outcomes all come out in one language, never both on a line.
//!
//! The stages' own sentences are written `中文 (English)`; [`pick`] takes the half that is
//! wanted.

use std::sync::Arc;

use axum::extract::{Path as UrlPath, Query, Request, State};
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::App;

pub const COOKIE: &str = "bgy_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    fn from_headers(headers: &HeaderMap) -> Lang {
        match super::cookies::cookie(headers, COOKIE).as_deref() {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        }
    }
}

/// What a page needs to know of the request it answers.
#[derive(Clone)]
struct Asked {
    lang: Lang,
    /// The page's own address (path and query), for the language switch to come back to.
    here: String,
}

tokio::task_local! {
    static ASKED: Asked;
}

/// The language of the request being answered.
pub fn lang() -> Lang {
    ASKED.try_with(|a| a.lang).unwrap_or_default()
}

/// The address of the page being answered.
pub fn here() -> String {
    ASKED
        .try_with(|a| a.here.clone())
        .unwrap_or_else(|_| "/".into())
}

/// `zh` or `en`, as the person reads.
pub fn tr(zh: &str, en: &str) -> String {
    match lang() {
        Lang::Zh => zh.to_string(),
        Lang::En => en.to_string(),
    }
}

/// Answers each request in its language.
pub async fn scope(request: Request, next: Next) -> Response {
    let asked = Asked {
        lang: Lang::from_headers(request.headers()),
        // Never the start token, which is in a query.
        here: match request.uri().query() {
            Some(q) if !q.contains("token") => format!("{}?{q}", request.uri().path()),
            _ => request.uri().path().to_string(),
        },
    };
    ASKED.scope(asked, next.run(request)).await
}

#[derive(Deserialize)]
pub struct Back {
    #[serde(default)]
    back: String,
}

/// `/lang/en?back=/runs/…`: switches the language, back to the same page.
pub async fn switch(
    State(app): State<Arc<App>>,
    UrlPath(to): UrlPath<String>,
    Query(q): Query<Back>,
) -> Response {
    let code = if to == "en" { "en" } else { "zh" };
    let back = if own_page(&q.back) {
        q.back
    } else {
        "/".to_string()
    };
    let secure = if app.auth.secure { "; Secure" } else { "" };
    (
        [(
            header::SET_COOKIE,
            format!("{COOKIE}={code}; SameSite=Strict; Path=/; Max-Age=31536000{secure}"),
        )],
        Redirect::to(&back),
    )
        .into_response()
}

/// A page of the console's own to go back to: a path, never another site. Printable ASCII
/// only: a browser drops a tab or a line break inside an address, so `/<TAB>/evil.example`
/// (which passes a look for `//`) took the person to another site.
fn own_page(back: &str) -> bool {
    back.starts_with('/')
        && !back.starts_with("//")
        && back.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
}

/// The half of a `中文 (English)` sentence in this language; a sentence in one language only
/// is itself.
pub fn pick(text: &str) -> String {
    pick_in(lang(), text)
}

/// [`pick`] in `lang`, for what is written after the request's own future (a stream).
pub fn pick_in(lang: Lang, text: &str) -> String {
    let Some((zh, en)) = crate::text::bilingual(text) else {
        return text.to_string();
    };
    match lang {
        Lang::Zh => zh.to_string(),
        Lang::En => named_in_english(en),
    }
}

/// A field's issue in English names its column by the API key (`we_mobile: …`, as the command
/// line says it beside the Chinese): the console names it in words (`Mobile: …`).
fn named_in_english(en: &str) -> String {
    en.split_once(": ")
        .and_then(|(key, rest)| {
            let field = crate::model::Field::from_key(key)?;
            Some(format!("{}: {rest}", field.english()))
        })
        .unwrap_or_else(|| en.to_string())
}

/// The words for a run's status.
pub fn status(name: &str) -> String {
    let (zh, en) = match name {
        "running" => ("进行中", "running"),
        "ok" => ("完成", "done"),
        "rows-failed" => ("完成,部分行未通过", "done, some rows failed"),
        // A job that sends nothing when a row is invalid, or rows the server refused.
        "rows-failed-none" => ("未改动,有行未通过", "nothing changed, rows failed"),
        "fatal" => ("已中止 (服务器)", "stopped by the server"),
        "interrupted" => ("已中断", "interrupted"),
        "stopped" => ("已停止", "stopped"),
        "failed" => ("失败", "failed"),
        "pending" => ("待确认", "waiting for approval"),
        "approved" => ("已批准", "approved"),
        "rejected" => ("已拒绝", "rejected"),
        other => (other, other),
    };
    tr(zh, en)
}

/// A history run's status (`rows failed`) in words: one whose rows failed and that changed
/// nothing (a job that sends nothing when a row is invalid) says so, not 完成.
pub fn run_status(name: &str, changes: i64) -> String {
    match (name.replace(' ', "-").as_str(), changes) {
        ("rows-failed", 0) => status("rows-failed-none"),
        (name, _) => status(name),
    }
}

/// The words for what a run does.
pub fn command(name: &str) -> String {
    let (zh, en) = match name {
        "check" => ("检查", "Check"),
        "import" => ("导入", "Import"),
        "plan" => ("对比计划", "Plan"),
        "sync" => ("同步", "Sync"),
        "times" => ("更新日期", "Dates"),
        "delete" => ("删除", "Delete"),
        "leave" => ("标记离职", "Mark leavers"),
        "export" => ("导出", "Export"),
        "undo-plan" => ("撤销计划", "Undo plan"),
        "undo" => ("撤销", "Undo"),
        "dept add" => ("新建部门", "Add department"),
        "dept rename" => ("部门改名", "Rename department"),
        "left" => ("标记离职", "marked as leaver"),
        "dept_created" => ("新建部门", "department created"),
        "dept_renamed" => ("部门改名", "department renamed"),
        "created" => ("新增", "created"),
        "updated" => ("更新", "updated"),
        "deleted" => ("删除", "deleted"),
        "dates" => ("日期", "dates"),
        other => (other, other),
    };
    tr(zh, en)
}

/// Adds `t(zh, en)`, `plural(n, one, many)`, and the filters `people`, `pick`, `status` and
/// `command`, to the templates.
pub fn register(env: &mut minijinja::Environment<'static>) {
    env.add_function("t", |zh: String, en: String| tr(&zh, &en));
    env.add_function("plural", |n: usize, one: String, many: String| {
        crate::text::count(n, &one, &many)
    });
    env.add_filter("people", crate::text::people);
    env.add_filter("pick", |s: String| pick(&s));
    env.add_filter("status", |s: String| status(&s));
    env.add_filter("run_status", |s: String, changes: i64| {
        run_status(&s, changes)
    });
    env.add_filter("command", |s: String| command(&s));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{ChangeKind, RunStatus};
    use crate::model::Command;

    #[test]
    fn the_switch_goes_back_to_a_page_of_the_console_only() {
        for ok in [
            "/",
            "/runs/20261207-101010-abcdef",
            "/history?before=12",
            "/runs%2F",
        ] {
            assert!(own_page(ok), "{ok}");
        }
        for no in [
            "",
            "runs",
            "//evil.example/",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "/ /evil.example",
            "/\u{3000}/evil.example",
            "https://evil.example/",
        ] {
            assert!(!own_page(no), "{no:?}");
        }
    }

    /// The console's English counts: "1 person", "2 people", "1 call", "0 calls".
    #[test]
    fn english_counts_agree_with_their_number() {
        let mut env = minijinja::Environment::new();
        register(&mut env);
        let said = |n: i64| {
            env.render_str(
                "{{ n|people }}; {{ plural(n, 'call', 'calls') }}",
                minijinja::context! { n },
            )
            .unwrap()
        };
        assert_eq!(said(1), "1 person; 1 call");
        assert_eq!(said(2), "2 people; 2 calls");
        assert_eq!(said(0), "0 people; 0 calls");
    }

    /// Every status, command and change the history pages show has its Chinese words: a name
    /// with none was shown as its English key on a Chinese page.
    #[test]
    fn every_name_the_history_shows_is_said_in_chinese() {
        let chinese = crate::text::has_chinese;
        for s in RunStatus::ALL {
            let name = s.as_str().replace(' ', "-");
            assert!(chinese(&status(&name)), "{name}");
        }
        let commands = [
            Command::Check,
            Command::Import,
            Command::Times,
            Command::Delete,
            Command::Leave,
            Command::Plan,
            Command::Sync,
            Command::Undo,
        ];
        for name in commands
            .iter()
            .map(|c| c.name())
            .chain(["dept add", "dept rename"])
            .chain(ChangeKind::ALL.iter().map(|k| k.as_str()))
        {
            assert!(chinese(&command(name)), "{name}");
        }
    }
}
