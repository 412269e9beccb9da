//! The console's HTML: the embedded templates, built once, and the page of one message.

use std::sync::OnceLock;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// The console's templates, embedded in the binary.
pub fn env() -> &'static minijinja::Environment<'static> {
    static ENV: OnceLock<minijinja::Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = minijinja::Environment::new();
        for (name, text) in [
            ("base.html", include_str!("templates/base.html")),
            ("home.html", include_str!("templates/home.html")),
            ("run.html", include_str!("templates/run.html")),
            ("runs.html", include_str!("templates/runs.html")),
            ("message.html", include_str!("templates/message.html")),
            ("login.html", include_str!("templates/login.html")),
            (
                "departments.html",
                include_str!("templates/departments.html"),
            ),
            ("history.html", include_str!("templates/history.html")),
            (
                "history_run.html",
                include_str!("templates/history_run.html"),
            ),
            ("schedule.html", include_str!("templates/schedule.html")),
        ] {
            env.add_template(name, text)
                .expect("the embedded templates are valid");
        }
        super::i18n::register(&mut env);
        env
    })
}

/// A page from its template, in the request's language.
pub fn render(name: &str, ctx: minijinja::Value) -> Response {
    let lang = super::i18n::lang().code();
    let here = super::i18n::here();
    let ctx = minijinja::context! { lang, here, ..ctx };
    match env().get_template(name).and_then(|t| t.render(ctx)) {
        Ok(html) => Html(html).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            message("页面出错 (Page error)", &e.to_string()),
        )
            .into_response(),
    }
}

/// A page of one message (its title and text `中文 (English)`: the half in the request's
/// language is shown).
pub fn message(title: &str, text: &str) -> Html<String> {
    let lang = super::i18n::lang().code();
    let (title, text) = (super::i18n::pick(title), super::i18n::pick(text));
    let html = env()
        .get_template("message.html")
        .and_then(|t| t.render(minijinja::context! { title, text, lang }))
        .unwrap_or_else(|_| text.to_string());
    Html(html)
}
