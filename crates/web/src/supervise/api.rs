//! The JSON API of problems and tasks.

use crate::error::ApiResult;
use crate::session::Me;
use crate::{AppState, in_tx};
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use gongjian_store::Page;
use gongjian_store::problem::{self as pb, ProblemFilter, RaiseInput, Step, StepInput};
use gongjian_store::task::{self as tk, EntryInput, TaskFilter};
use serde::{Deserialize, Serialize};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/problems", get(api_problems).post(api_raise))
        .route("/api/v1/problems/{id}", get(api_problem))
        .route("/api/v1/problems/{id}/steps", post(api_step))
        .route("/api/v1/tasks", get(api_tasks))
        .route("/api/v1/tasks/{id}/entries", post(api_entry))
}

/// Paging of the lists.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct Paging {
    /// 1-based page.
    pub page: Option<i64>,
    /// Page size (≤ 500).
    pub size: Option<i64>,
}

/// A problem with what is computed for today.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProblemItem {
    #[serde(flatten)]
    pub problem: pb::Problem,
    /// The unit that must act now.
    pub unit: String,
    /// division, department or city.
    pub tier_code: String,
    /// Calendar days past the step deadline.
    pub overdue_days: i64,
}

fn item(p: pb::Problem, today: chrono::NaiveDate) -> ProblemItem {
    ProblemItem {
        unit: p.acting_unit().to_string(),
        tier_code: p.tier().as_str().to_string(),
        overdue_days: p.overdue_days(today),
        problem: p,
    }
}

/// A page of problems.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProblemPage {
    pub items: Vec<ProblemItem>,
    pub total: i64,
    pub page: i64,
    pub size: i64,
}

/// Problems in the caller's scope, filtered, most urgent first.
#[utoipa::path(get, path = "/api/v1/problems", tag = "problems", params(ProblemFilter, Paging), responses((status = 200, body = ProblemPage)))]
pub async fn api_problems(
    State(st): State<AppState>,
    me: Me,
    Query(f): Query<ProblemFilter>,
    Query(pg): Query<Paging>,
) -> ApiResult<Json<ProblemPage>> {
    let today = gongjian_store::today();
    let r = pb::list(&st.db, &me.actor, &f, Page::new(pg.page, pg.size), today).await?;
    Ok(Json(ProblemPage {
        items: r.items.into_iter().map(|p| item(p, today)).collect(),
        total: r.total,
        page: r.page,
        size: r.size,
    }))
}

/// A problem with its steps.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProblemDetail {
    #[serde(flatten)]
    pub item: ProblemItem,
    pub steps: Vec<Step>,
}

/// One problem with its steps.
#[utoipa::path(get, path = "/api/v1/problems/{id}", tag = "problems", params(("id" = i64, Path)), responses((status = 200, body = ProblemDetail), (status = 404)))]
pub async fn api_problem(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
) -> ApiResult<Json<ProblemDetail>> {
    let p = pb::get(&st.db, &me.actor, id).await?;
    let steps = pb::steps(&st.db, id).await?;
    Ok(Json(ProblemDetail {
        item: item(p, gongjian_store::today()),
        steps,
    }))
}

/// Raises a problem for a project in scope (problem.write).
#[utoipa::path(post, path = "/api/v1/problems", tag = "problems", request_body = RaiseInput, responses((status = 200, body = ProblemItem), (status = 422)))]
pub async fn api_raise(
    State(st): State<AppState>,
    me: Me,
    Json(b): Json<RaiseInput>,
) -> ApiResult<Json<ProblemItem>> {
    let today = gongjian_store::today();
    let p = in_tx!(st.db, |tx| pb::raise(&mut tx, &me.actor, &b, today).await?)?;
    Ok(Json(item(p, today)))
}

/// Takes a step: accept, reply (with `reply_by`), solve, verify, reopen, override.
#[utoipa::path(post, path = "/api/v1/problems/{id}/steps", tag = "problems", params(("id" = i64, Path)), request_body = StepInput, responses((status = 200, body = ProblemItem), (status = 422)))]
pub async fn api_step(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    Json(b): Json<StepInput>,
) -> ApiResult<Json<ProblemItem>> {
    let today = gongjian_store::today();
    let p = in_tx!(st.db, |tx| pb::act(&mut tx, &me.actor, id, &b, today)
        .await?)?;
    Ok(Json(item(p, today)))
}

/// A task with what is computed for today.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TaskItem {
    #[serde(flatten)]
    pub task: tk::Task,
    /// Calendar days past the deadline.
    pub overdue_days: i64,
    /// Feedback due and missing.
    pub feedback_late: bool,
}

/// Tasks in the caller's scope (led by or cooperating with its units).
#[utoipa::path(get, path = "/api/v1/tasks", tag = "problems", params(TaskFilter, Paging), responses((status = 200, body = Vec<TaskItem>)))]
pub async fn api_tasks(
    State(st): State<AppState>,
    me: Me,
    Query(f): Query<TaskFilter>,
    Query(pg): Query<Paging>,
) -> ApiResult<Json<Vec<TaskItem>>> {
    let today = gongjian_store::today();
    let r = tk::list(&st.db, &me.actor, &f, Page::new(pg.page, pg.size), today).await?;
    Ok(Json(
        r.items
            .into_iter()
            .map(|t| TaskItem {
                overdue_days: t.overdue_days(today),
                feedback_late: t.feedback_late(today),
                task: t,
            })
            .collect(),
    ))
}

/// Adds an entry to a task: feedback, claim, verify or return.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/entries", tag = "problems", params(("id" = i64, Path)), request_body = EntryInput, responses((status = 200, body = TaskItem), (status = 422)))]
pub async fn api_entry(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    Json(b): Json<EntryInput>,
) -> ApiResult<Json<TaskItem>> {
    let today = gongjian_store::today();
    let t = in_tx!(st.db, |tx| tk::act(&mut tx, &me.actor, id, &b, today)
        .await?)?;
    Ok(Json(TaskItem {
        overdue_days: t.overdue_days(today),
        feedback_late: t.feedback_late(today),
        task: t,
    }))
}
