//! An upload, streamed to its run's folder as it arrives: never held whole in memory, stopped
//! at the cap, and gone again (folder and all) when it does not arrive whole. A few at once.

use std::path::PathBuf;

use axum::extract::Multipart;
use tokio::io::AsyncWriteExt as _;

use super::auth::{constant_eq, Session};
use super::error::AppError;
use super::runs;
use super::App;

/// Uploads received at once; more are told to try again.
pub const AT_ONCE: usize = 4;

/// What the whole form may hold beyond its file's cap: its token, its kind and its parts'
/// headers. The request is cut past it, whatever part it is in: the parts' headers, held
/// until they end, would otherwise grow without bound.
pub const FORM_ROOM: usize = 64 << 10;

/// A sheet received into a new run's folder.
pub struct Upload {
    pub id: String,
    pub dir: PathBuf,
    /// The folder held, from the moment it was made until its run ends.
    pub live: runs::Live,
    /// The name the person's file had (shown, never a path).
    pub file: String,
    /// Its name in the folder.
    pub input: String,
    /// The form's other fields.
    pub kind: String,
}

/// Removes a new run's folder unless the upload is kept (a kill leaves it to
/// [`runs::Store::prune`]).
struct Partial {
    dir: Option<PathBuf>,
}

impl Drop for Partial {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Receives the check form: its CSRF token (before any file), the sheet's kind, and the file,
/// written to a new run's folder as it arrives.
pub async fn receive(app: &App, s: &Session, mut form: Multipart) -> Result<Upload, AppError> {
    let _slot = app.uploads.try_acquire().map_err(|_| {
        AppError::Busy(
            "同时上传的文件太多,请稍后再试 (too many uploads at once: try again in a moment)."
                .into(),
        )
    })?;
    // Past the cap: the oldest finished runs go first; still past it, nothing is taken.
    if app.store.full() && {
        app.store.prune(None);
        app.store.full()
    } {
        return Err(AppError::Storage(
            "运行记录已占满为它设定的空间,请让 IT 清理或调大 --max-store-mb (the run store is at its size cap: ask IT to clear it or raise --max-store-mb)".into(),
        ));
    }
    let (mut csrf, mut kind) = (String::new(), String::new());
    let (id, dir, live) = app.store.create().map_err(|e| AppError::storage(&e))?;
    let mut partial = Partial {
        dir: Some(dir.clone()),
    };
    let mut received = None;
    while let Some(mut field) = next(app, &mut form).await? {
        match field.name().unwrap_or_default() {
            name @ ("csrf" | "kind") => {
                let is_csrf = name == "csrf";
                let Some(value) = text(app, field).await? else {
                    drain(app, &mut form).await;
                    return Err(too_long());
                };
                if is_csrf {
                    csrf = value;
                } else {
                    kind = value;
                }
            }
            "file" if received.is_none() => {
                // The token comes before the file in the form: a file without it is not kept.
                // It is read to its end (up to the cap) all the same, so that the browser
                // gets the answer rather than a connection cut while it was still sending.
                if !constant_eq(&s.csrf, &csrf) {
                    let _ = let_go(app, &mut field).await;
                    return Err(AppError::Forbidden);
                }
                received = Some(keep(app, &dir, field).await?);
            }
            // Skipped by the next field's search, which reads it: the form's cap ends it.
            _ => {}
        }
    }
    if !constant_eq(&s.csrf, &csrf) {
        return Err(AppError::Forbidden);
    }
    let (file, input) = match received {
        Some((file, input, size)) if size > 0 => (file, input),
        // A file chosen that holds nothing (a failed save, a download cut short): not "choose
        // a file", which the person did.
        Some((file, _, _)) if !file.is_empty() => {
            return Err(AppError::bad_request(
                "文件是空的 (The file is empty)",
                "文件是空的,0 字节:请在 Excel 或 WPS 里重新保存或导出,再上传 (the file is empty, 0 bytes: save or export it again in Excel or WPS, then upload it).",
            ))
        }
        _ => {
            return Err(AppError::bad_request(
                "没有文件 (No file)",
                "请选择一个文件 (choose a file to check).",
            ))
        }
    };
    partial.dir = None;
    Ok(Upload {
        id,
        dir,
        live,
        file,
        input,
        kind,
    })
}

/// Writes the file field into `dir` as it arrives: its name as uploaded, its name in the
/// folder (`input.EXT`), its size.
async fn keep(
    app: &App,
    dir: &std::path::Path,
    mut field: axum::extract::multipart::Field<'_>,
) -> Result<(String, String, u64), AppError> {
    let file = field.file_name().unwrap_or_default().to_string();
    let part = dir.join("upload.part");
    let mut out = tokio::fs::File::create(&part)
        .await
        .map_err(|e| AppError::storage(&e))?;
    let (mut size, mut head) = (0u64, Vec::new());
    while let Some(chunk) = field.chunk().await.map_err(|e| failed(app, e.status()))? {
        size += chunk.len() as u64;
        if size > app.max_upload {
            return Err(too_large(app));
        }
        if head.len() < 8 {
            head.extend_from_slice(&chunk[..chunk.len().min(8)]);
        }
        out.write_all(&chunk)
            .await
            .map_err(|e| AppError::storage(&e))?;
    }
    out.flush().await.map_err(|e| AppError::storage(&e))?;
    let input = runs::input_name(&file, &head);
    tokio::fs::rename(&part, dir.join(&input))
        .await
        .map_err(|e| AppError::storage(&e))?;
    Ok((file, input, size))
}

async fn next<'a>(
    app: &App,
    form: &'a mut Multipart,
) -> Result<Option<axum::extract::multipart::Field<'a>>, AppError> {
    form.next_field().await.map_err(|e| failed(app, e.status()))
}

/// The most a text field of the form (its token, the sheet's kind: a few dozen characters)
/// may hold. The upload's cap is the file's; a field past this is refused, and what it holds
/// past it is read and let go, not kept (a 400 MB field took the console from 64 to 709 MB).
const TEXT_MAX: usize = 1024;

/// A text field of the form; `None` for one past [`TEXT_MAX`], read to its end all the same.
async fn text(
    app: &App,
    mut field: axum::extract::multipart::Field<'_>,
) -> Result<Option<String>, AppError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| failed(app, e.status()))? {
        if bytes.len() + chunk.len() > TEXT_MAX {
            let_go(app, &mut field).await?;
            return Ok(None);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// A text field past [`TEXT_MAX`]: no form of the console's.
fn too_long() -> AppError {
    AppError::bad_request(
        "表单有误 (Bad form)",
        "表单里有一项超过 1 KB,不是本页的表单,请在本页重新选择文件上传 (a field of the form is over 1 KB: not this page's form; choose the file on this page again).",
    )
}

/// Reads what is left of the form to its end (the form's cap ends it), keeping nothing: the
/// browser then gets the answer rather than a connection cut while it was still sending.
async fn drain(app: &App, form: &mut Multipart) {
    while let Ok(Some(mut field)) = form.next_field().await {
        if let_go(app, &mut field).await.is_err() {
            return;
        }
    }
}

/// An upload past the cap: the file, or what came beside it.
fn too_large(app: &App) -> AppError {
    AppError::TooLarge {
        mb: app.max_upload >> 20,
    }
}

/// Reads `field` to its end, keeping nothing: the form's cap ([`FORM_ROOM`]) ends it.
async fn let_go(
    app: &App,
    field: &mut axum::extract::multipart::Field<'_>,
) -> Result<(), AppError> {
    while field
        .chunk()
        .await
        .map_err(|e| failed(app, e.status()))?
        .is_some()
    {}
    Ok(())
}

/// An upload that did not arrive whole: past the cap, stalled (no data for a minute), or
/// cut off.
fn failed(app: &App, status: axum::http::StatusCode) -> AppError {
    match status {
        axum::http::StatusCode::PAYLOAD_TOO_LARGE => too_large(app),
        _ => AppError::bad_request(
            "上传失败 (Upload failed)",
            "上传没有完成或中途停止,请重试 (the upload did not complete, or stopped arriving; try again).",
        ),
    }
}
