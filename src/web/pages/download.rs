//! A run's downloads, from the run store only (its report, its input, a delete's backup, an
//! export), and the streaming of a file of bgy's own under a name safe in any browser.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Extension;

use crate::web::auth::Session;
use crate::web::error::AppError;
use crate::web::i18n::tr;
use crate::web::runs;
use crate::web::App;

/// Downloads from the run store only, to whoever may see the run's sheets: its report, its
/// input, a delete's backup, an export. A file cut short (a full disk) is never served.
pub async fn download(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath((id, file)): UrlPath<(String, String)>,
) -> Result<Response, AppError> {
    let (info, dir) = app.store.get(&id).ok_or(AppError::NotFound)?;
    if !s.owns(&info.who) {
        return Err(AppError::NotAllowed);
    }
    let stem = safe_stem(&info.file);
    let at: String = info.started.chars().filter(char::is_ascii_digit).collect();
    let at = format!("{}-{}", &at[..at.len().min(8)], at.get(8..).unwrap_or(""));
    let (path, name) = match file.as_str() {
        "report" => (dir.join(runs::REPORT), format!("{stem}.report-{at}.xlsx")),
        "input" => (dir.join(&info.input), safe_name(&info.file)),
        "backup" => (
            runs::backup(&dir).ok_or(AppError::NoFile)?,
            format!("{stem}.backup-{at}.xlsx"),
        ),
        "output" => {
            let out = info.output.as_ref().ok_or(AppError::NoFile)?;
            let ext = out.rsplit('.').next().unwrap_or("xlsx");
            (
                dir.join(out),
                format!("{}-{at}.{ext}", tr("通讯录", "directory")),
            )
        }
        _ => return Err(AppError::NotFound),
    };
    send_file(&path, &name).await
}

/// A file of bgy's own, streamed as a download named `name`; one cut short (a full disk) or
/// gone is no file.
pub async fn send_file(path: &std::path::Path, name: &str) -> Result<Response, AppError> {
    if !runs::servable(path) {
        return Err(AppError::NoFile);
    }
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|_| AppError::NoFile)?;
    Ok(send_open(file, name))
}

/// An open file, from where it stands, as a download called `name`.
pub fn send_open(file: tokio::fs::File, name: &str) -> Response {
    let chunks = futures::stream::unfold(Some(file), |file| async move {
        use tokio::io::AsyncReadExt as _;
        let mut file = file?;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(buf), Some(file)))
            }
            // The answer ends cut off, which the browser reports as a failed download.
            Err(e) => Some((Err(e), None)),
        }
    });
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_DISPOSITION, disposition(name)),
        ],
        Body::from_stream(chunks),
    )
        .into_response()
}

/// An uploaded file's name as a download may carry it: its last part only, without control
/// characters or quotes, not too long.
pub fn safe_name(uploaded: &str) -> String {
    let last = uploaded.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last
        .chars()
        .filter(|c| {
            !c.is_control() && !matches!(c, '"' | '\\' | '/' | ':' | '*' | '?' | '<' | '>' | '|')
        })
        .take(120)
        .collect();
    match clean.trim().trim_matches('.') {
        "" => "bgy".to_string(),
        name => name.to_string(),
    }
}

/// The name without its extension.
fn safe_stem(uploaded: &str) -> String {
    let name = safe_name(uploaded);
    match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem.to_string(),
        _ => name,
    }
}

/// `Content-Disposition` with a name in any script (RFC 6266 and 8187), and a plain one for
/// old browsers.
fn disposition(name: &str) -> String {
    let plain: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                encoded.push(b as char)
            }
            _ => encoded.push_str(&format!("%{b:02X}")),
        }
    }
    format!("attachment; filename=\"{plain}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_download_is_named_without_a_path_quote_or_control_character_in_any_script() {
        // An upload's name as a browser on Windows may give it: its path, quotes, a line break.
        assert_eq!(
            safe_name("C:\\HR\\花名册 \"11月\"\r\n.xlsx"),
            "花名册 11月.xlsx"
        );
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name(" ..\u{7}.. "), "bgy", "nothing left");
        assert_eq!(safe_stem("花名册.2026.xlsx"), "花名册.2026");
        assert_eq!(safe_stem(".xlsx"), "xlsx", "a name that is all extension");
        // The plain name for old browsers keeps what ASCII prints; the other is the name whole.
        assert_eq!(
            disposition("staff 11.xlsx"),
            "attachment; filename=\"staff 11.xlsx\"; filename*=UTF-8''staff%2011.xlsx"
        );
        assert_eq!(
            disposition("花名册 1.xlsx"),
            "attachment; filename=\"___ 1.xlsx\"; filename*=UTF-8''%E8%8A%B1%E5%90%8D%E5%86%8C%201.xlsx"
        );
    }
}
