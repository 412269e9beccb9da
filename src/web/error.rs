//! Why a request was refused, as a page: handlers return `Result<Response, AppError>` and use
//! `?`, and every refusal looks the same (its status, a title, a sentence, a way back).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::html;

#[derive(Debug)]
pub enum AppError {
    /// No session's CSRF token on a form, or a request from another site.
    Forbidden,
    /// The person's role does not allow it.
    NotAllowed,
    /// No such run, or not one this action applies to.
    NotFound,
    /// The run has no such file (it was never written, or not whole).
    NoFile,
    /// A run is busy (another sending run holds the directory), or the run cannot go on.
    Conflict {
        title: String,
        text: String,
    },
    /// The request itself is wrong (a count not confirmed, no file).
    BadRequest {
        title: String,
        text: String,
    },
    /// Too many at once (uploads, connections): try again shortly.
    Busy(String),
    TooLarge {
        mb: u64,
    },
    /// The run store could not be written (a full disk).
    Storage(String),
    Internal(String),
}

impl AppError {
    pub fn conflict(title: &str, text: impl Into<String>) -> AppError {
        AppError::Conflict {
            title: title.into(),
            text: text.into(),
        }
    }

    pub fn bad_request(title: &str, text: impl Into<String>) -> AppError {
        AppError::BadRequest {
            title: title.into(),
            text: text.into(),
        }
    }

    /// The run store could not be written: a full disk is said as such.
    pub fn storage(e: &std::io::Error) -> AppError {
        AppError::Storage(match e.kind() {
            std::io::ErrorKind::StorageFull => {
                "磁盘已满,无法保存 (the disk is full: nothing was saved; ask IT to free some space)"
                    .to_string()
            }
            _ => format!("无法保存 (cannot save: {e})"),
        })
    }

    fn page(&self) -> (StatusCode, String, String) {
        let (status, title, text) = match self {
            AppError::Forbidden => (
                StatusCode::FORBIDDEN,
                "请求被拒绝 (Request refused)",
                "页面已过期,请回到首页重试 (the page has expired: go back to the home page and try again).".to_string(),
            ),
            AppError::NotAllowed => (
                StatusCode::FORBIDDEN,
                "没有权限 (Not allowed)",
                "你的角色不能做这件事,请找有权限的同事 (your role does not allow this: ask a colleague who may).".to_string(),
            ),
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                "没有这个运行 (No such run)",
                "这个运行不存在,或者不能这样操作 (there is no such run, or it cannot be acted on this way).".to_string(),
            ),
            AppError::NoFile => (
                StatusCode::NOT_FOUND,
                "没有这个文件 (No such file)",
                "这个运行没有写出这个文件 (this run did not write this file).".to_string(),
            ),
            AppError::Conflict { title, text } => (StatusCode::CONFLICT, title.as_str(), text.clone()),
            AppError::BadRequest { title, text } => {
                (StatusCode::BAD_REQUEST, title.as_str(), text.clone())
            }
            AppError::Busy(text) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "正忙 (Busy)",
                text.clone(),
            ),
            AppError::TooLarge { mb } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "文件太大 (File too large)",
                format!("文件超过 {mb} MB 上限:请把表格分成几个较小的文件分别上传,或请 IT 调大这个上限 (the file is larger than the {mb} MB this console takes: split the sheet into smaller files and upload each, or ask IT to raise the limit)"),
            ),
            AppError::Storage(text) => (
                StatusCode::INSUFFICIENT_STORAGE,
                "无法保存 (Cannot save)",
                text.clone(),
            ),
            AppError::Internal(text) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "出错了 (Something went wrong)",
                text.clone(),
            ),
        };
        (status, title.to_string(), text)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, title, text) = self.page();
        (status, html::message(&title, &text)).into_response()
    }
}
