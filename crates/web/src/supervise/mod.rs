//! Problem lists and supervised tasks on the web: lists with filters, the detail pages
//! with the step forms (attachments checked by content), the overdue board with
//! per-unit statistics, the routing table and notification channels, the task board,
//! my to-do list, the supervision bulletin (docx, xlsx) and the JSON API.

mod api;
mod bulletin;
mod problems;
mod tasks;

pub use api::*;
pub use bulletin::{bulletin_docx, bulletin_xlsx};

use crate::AppError;
use crate::AppState;
use crate::view::Pairs;
use axum::Router;
use axum::extract::Multipart;
use gongjian_store::StoreError;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .merge(problems::router())
        .merge(tasks::router())
        .merge(bulletin::router())
        .merge(api::router())
}

/// At most this many attachments in one form.
const MAX_FILES: usize = 5;

fn bad_upload(e: impl std::fmt::Display) -> AppError {
    AppError::from(StoreError::from(gongjian_domain::DomainError::new(
        "attachments",
        format!("上传失败（附件过大或网络中断），请重试：{e}"),
        format!("Upload failed (attachment too large or connection lost): {e}"),
    )))
}

/// Reads a multipart form: its fields and the files of its `attachments` inputs.
async fn read_form(mut mp: Multipart) -> Result<(Pairs, Vec<(String, Vec<u8>)>), AppError> {
    let mut pairs = Vec::new();
    let mut files = Vec::new();
    while let Some(field) = mp.next_field().await.map_err(bad_upload)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "attachments" {
            let file = field.file_name().unwrap_or("").to_string();
            let bytes = field.bytes().await.map_err(bad_upload)?;
            if file.is_empty() && bytes.is_empty() {
                continue;
            }
            files.push((file, bytes.to_vec()));
            if files.len() > MAX_FILES {
                return Err(AppError::from(StoreError::from(
                    gongjian_domain::DomainError::new(
                        "attachments",
                        format!("一次最多上传 {MAX_FILES} 个附件。"),
                        format!("At most {MAX_FILES} attachments at a time."),
                    ),
                )));
            }
        } else {
            pairs.push((name, field.text().await.map_err(bad_upload)?));
        }
    }
    Ok((Pairs(pairs), files))
}

/// The body limit of forms with attachments.
const FORM_LIMIT: usize = (MAX_FILES + 1) * gongjian_domain::attachment::MAX_BYTES;

fn body_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(FORM_LIMIT)
}

fn attachment_response(
    a: gongjian_store::attachment::Attachment,
    bytes: Vec<u8>,
) -> axum::response::Response {
    crate::project::download(crate::project::ledger::Export {
        bytes,
        content_type: gongjian_domain::attachment::KINDS
            .iter()
            .find(|k| k.1 == a.mime)
            .map_or("application/octet-stream", |k| k.1),
        file_name: a.name,
    })
}
