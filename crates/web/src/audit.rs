//! The audit log for audit administrators: filterable, paged, with before and after.

use crate::error::ApiResult;
use crate::session::Me;
use crate::view::{self, Chrome, Pager};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use gongjian_store::Page;
use gongjian_store::audit::{self, AuditFilter, AuditRecord};
use gongjian_store::sql::Paged;
use serde::Deserialize;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/audit", get(page))
        .route("/api/v1/audit", get(api))
}

/// List query.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Actor name contains.
    pub actor: Option<String>,
    /// Entity kind: division, unit, leader, user, role, api_token.
    pub entity: Option<String>,
    /// Action: create, update, move, activate, deactivate, login, login_failed, lock, …
    pub action: Option<String>,
    /// From date, YYYY-MM-DD.
    pub from: Option<String>,
    /// To date, YYYY-MM-DD (inclusive).
    pub to: Option<String>,
    /// 1-based page.
    pub page: Option<i64>,
    /// Rows per page (at most 500).
    pub size: Option<i64>,
}

impl ListQuery {
    fn filter(&self) -> Result<AuditFilter, AppError> {
        let date = |s: &Option<String>,
                    name: &'static str|
         -> Result<Option<chrono::NaiveDate>, AppError> {
            match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(d) => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| {
                        let mut e = AppError::bad_request(
                            format!("日期“{d}”格式不对，应为 2026-10-15 这样的格式。"),
                            format!("Date '{d}' must look like 2026-10-15."),
                        );
                        e.field = Some(name);
                        e
                    }),
            }
        };
        Ok(AuditFilter {
            actor: self.actor.clone(),
            entity: self.entity.clone(),
            action: self.action.clone(),
            from: date(&self.from, "from")?,
            to: date(&self.to, "to")?,
        })
    }
}

/// A row as the page shows it.
pub struct Row {
    /// The record.
    pub r: AuditRecord,
    /// Beijing time.
    pub at: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    c: Chrome,
    rows: Vec<Row>,
    pager: Pager,
    q: ListQuery,
}

async fn page(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let p = Page::new(q.page, q.size);
    let res = audit::list(&st.db, &me.actor, &q.filter()?, p).await?;
    let base = view::query_without_page(&[
        ("actor", q.actor.clone()),
        ("entity", q.entity.clone()),
        ("action", q.action.clone()),
        ("from", q.from.clone()),
        ("to", q.to.clone()),
        ("size", q.size.map(|s| s.to_string())),
    ]);
    let page = AuditPage {
        c: Chrome::new(&me, "audit", me.lang.t("审计日志", "Audit log").into()),
        pager: Pager::new(res.total, p.page, p.size, base),
        rows: res
            .items
            .into_iter()
            .map(|r| Row {
                at: view::fmt_time(&r.at),
                r,
            })
            .collect(),
        q,
    };
    Ok(view::render(&page))
}

/// A page of audit records (schema for the OpenAPI document).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct PagedAudit {
    items: Vec<AuditRecord>,
    total: i64,
    page: i64,
    size: i64,
}

/// Audit records, newest first, within the caller's `audit.read` scope.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(ListQuery), responses((status = 200, body = PagedAudit), (status = 403)))]
async fn api(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Paged<AuditRecord>>> {
    Ok(Json(
        audit::list(&st.db, &me.actor, &q.filter()?, Page::new(q.page, q.size)).await?,
    ))
}
