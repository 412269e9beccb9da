//! The console's HTML: the embedded templates, and the plain page for answers outside them.
//! Below both the pages and the sign-in, which use it.

use axum::response::Html;

/// The console's templates, embedded in the binary.
pub fn templates() -> minijinja::Environment<'static> {
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
    ] {
        env.add_template(name, text)
            .expect("the embedded templates are valid");
    }
    env
}

/// A page of one message, for answers outside the templates (401 before any session).
pub fn plain_page(title: &str, text: &str) -> Html<String> {
    let env = templates();
    let html = env
        .get_template("message.html")
        .and_then(|t| t.render(minijinja::context! { title, text }))
        .unwrap_or_else(|_| text.to_string());
    Html(html)
}
