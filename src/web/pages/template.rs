//! A blank template to fill in, as `bgy template` writes it: with a server, the staff
//! template's 部门 dropdown offers the live departments.

use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::events::Emit as _;
use crate::model::Layout;
use crate::web::error::AppError;
use crate::web::App;

pub async fn download(
    State(app): State<Arc<App>>,
    UrlPath(kind): UrlPath<String>,
) -> Result<Response, AppError> {
    let layout = Layout::of_kind(&kind).ok_or(AppError::NotFound)?;
    // A listing that fails leaves the departments out; the template is still a template.
    let departments = match (&app.ctx.client, layout) {
        (Some(client), Layout::Staff) => crate::live::departments(client)
            .await
            .map(|tree| tree.all_paths())
            .inspect_err(|e| {
                app.ctx
                    .events
                    .warn(format!("模板:部门列表读不到,下拉框里没有部门 (template: departments not listed, so its dropdown has none): {e}"))
            })
            .ok(),
        _ => None,
    };
    let bytes =
        tokio::task::spawn_blocking(move || crate::template::build(layout, departments.as_deref()))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
            .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"bgy-{kind}-template.xlsx\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
