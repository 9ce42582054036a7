//! The JSON API of monthly reporting.

use super::*;
use crate::error::ApiResult;
use axum::Json;
use serde::Serialize;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/periods", get(api_periods).post(api_open))
        .route("/api/v1/periods/{period}/lights", post(api_recompute))
        .route("/api/v1/reports", get(api_list))
        .route(
            "/api/v1/reports/{project}/{period}",
            get(api_get).put(api_save),
        )
        .route("/api/v1/reports/{id}/review", post(api_review))
        .route("/api/v1/progress", get(api_progress))
}

/// Periods, newest first.
#[utoipa::path(get, path = "/api/v1/periods", tag = "reports", responses((status = 200, body = Vec<Period>)))]
pub async fn api_periods(State(st): State<AppState>, me: Me) -> ApiResult<Json<Vec<Period>>> {
    me.actor
        .access
        .require(Permission::ProjectRead)
        .map_err(StoreError::from)?;
    Ok(Json(rs::periods(&st.db).await?))
}

/// Opening a period.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct OpenPeriod {
    /// YYYY-MM.
    pub period: String,
    /// Deadline; default the 5th working day of the next month.
    pub deadline: Option<String>,
}

/// Opens a month for reporting (report.admin).
#[utoipa::path(post, path = "/api/v1/periods", tag = "reports", request_body = OpenPeriod, responses((status = 200, body = Period), (status = 409, description = "already open")))]
pub async fn api_open(
    State(st): State<AppState>,
    me: Me,
    Json(b): Json<OpenPeriod>,
) -> ApiResult<Json<Period>> {
    let (y, m) = rs::parse_period(&b.period).map_err(StoreError::from)?;
    let deadline = date_field(b.deadline.filter(|s| !s.trim().is_empty()))?;
    let cal = rs::calendar(&st.db).await?;
    let p = in_tx!(st.db, |tx| rs::open_period(
        &mut tx, &me.actor, y, m, deadline, &cal
    )
    .await?)?;
    Ok(Json(p))
}

/// Recomputes the lights of an open period (report.admin).
#[utoipa::path(post, path = "/api/v1/periods/{period}/lights", tag = "reports", params(("period" = String, Path, description = "YYYY-MM")), responses((status = 200, body = rs::LightSummary)))]
pub async fn api_recompute(
    State(st): State<AppState>,
    me: Me,
    Path(period): Path<String>,
) -> ApiResult<Json<rs::LightSummary>> {
    let (y, m) = period_of(&period)?;
    Ok(Json(rs::recompute(&st.db, &me.actor, y, m).await?))
}

/// Query of the report list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ApiListQuery {
    /// YYYY-MM (default: the newest open period).
    pub period: Option<String>,
    /// Division code (subtree).
    pub division_code: Option<String>,
    /// draft, submitted, returned, approved, locked, missing or late.
    pub status: Option<String>,
    /// Name or code contains.
    pub q: Option<String>,
}

/// The projects that report for a period within the caller's scope, with their report's state.
#[utoipa::path(get, path = "/api/v1/reports", tag = "reports", params(ApiListQuery), responses((status = 200, body = Vec<ToReport>)))]
pub async fn api_list(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<ApiListQuery>,
) -> ApiResult<Json<Vec<ToReport>>> {
    let (y, m) = pick_period(&st, q.period.as_deref()).await?;
    let f = ReportFilter {
        division_code: q.division_code,
        status: q.status,
        q: q.q,
    };
    let perm = if me.actor.access.has(Permission::ReportWrite) {
        Permission::ReportWrite
    } else {
        Permission::ProjectRead
    };
    Ok(Json(
        rs::to_report(&st.db, &me.actor, perm, y, m, &f).await?,
    ))
}

/// A report as the API returns it: amounts in 万元.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReportJson {
    /// Report id (null when nothing was saved yet).
    pub id: Option<i64>,
    pub project_id: i64,
    /// YYYY-MM.
    pub period: String,
    /// draft, submitted, returned, approved, locked; null when not started.
    pub status: Option<String>,
    pub version: i64,
    pub month_amount_wan: Option<String>,
    /// Completed this year to this month, derived from the submitted reports.
    pub cumulative_year_wan: String,
    /// Completed since start, derived.
    pub since_start_wan: String,
    pub progress_text: Option<String>,
    pub milestone: Option<String>,
    pub started: Option<bool>,
    pub start_date: Option<String>,
    pub problems: Option<String>,
    pub next_steps: Vec<gongjian_domain::report::Step>,
    pub note: Option<String>,
    pub late: bool,
    pub return_reason: Option<String>,
    /// Warnings kept with the report: code, zh, en.
    pub flags: Vec<serde_json::Value>,
    pub photos: Vec<rs::PhotoMeta>,
}

fn view_json(v: &ReportView, y: i32, m: u32) -> ReportJson {
    report_json(
        v.report.as_ref(),
        v.project.id,
        &v.photos,
        (v.cum_year, v.since_start),
        y,
        m,
    )
}

fn report_json(
    r: Option<&rs::Report>,
    project_id: i64,
    photos: &[rs::PhotoMeta],
    (cum_year, since_start): (i64, i64),
    y: i32,
    m: u32,
) -> ReportJson {
    ReportJson {
        id: r.map(|r| r.id),
        project_id,
        period: key(y, m),
        status: r.map(|r| r.status.clone()),
        version: r.map_or(0, |r| r.version),
        month_amount_wan: r.map(|r| money::wan(r.month_amount)),
        cumulative_year_wan: money::wan(cum_year),
        since_start_wan: money::wan(since_start),
        progress_text: r.map(|r| r.progress_text.clone()),
        milestone: r.and_then(|r| r.milestone.clone()),
        started: r.map(|r| r.started),
        start_date: r.and_then(|r| r.start_date.map(|d| d.to_string())),
        problems: r.and_then(|r| r.problems.clone()),
        next_steps: r.map(|r| r.steps()).unwrap_or_default(),
        note: r.and_then(|r| r.note.clone()),
        late: r.is_some_and(|r| r.late),
        return_reason: r.and_then(|r| r.return_reason.clone()),
        flags: r
            .map(|r| r.flag_list())
            .unwrap_or_default()
            .into_iter()
            .map(|f| serde_json::json!(f))
            .collect(),
        photos: photos.to_vec(),
    }
}

/// A project's report for a month.
#[utoipa::path(get, path = "/api/v1/reports/{project}/{period}", tag = "reports", params(("project" = i64, Path), ("period" = String, Path, description = "YYYY-MM")), responses((status = 200, body = ReportJson)))]
pub async fn api_get(
    State(st): State<AppState>,
    me: Me,
    Path((project, period)): Path<(i64, String)>,
) -> ApiResult<Json<ReportJson>> {
    let (y, m) = period_of(&period)?;
    let v = rs::view(&st.db, &me.actor, project, y, m).await?;
    Ok(Json(view_json(&v, y, m)))
}

/// Saving or submitting a report.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SaveReport {
    /// save (draft) or submit.
    #[serde(default)]
    pub action: Option<String>,
    /// The report.
    #[serde(flatten)]
    pub input: ReportInput,
}

/// Saves or submits a project's report for a month (report.write). Photos go through the form.
#[utoipa::path(put, path = "/api/v1/reports/{project}/{period}", tag = "reports", params(("project" = i64, Path), ("period" = String, Path, description = "YYYY-MM")), request_body = SaveReport, responses((status = 200, body = ReportJson), (status = 422, description = "a check failed: field and message")))]
pub async fn api_save(
    State(st): State<AppState>,
    me: Me,
    Path((project, period)): Path<(i64, String)>,
    Json(b): Json<SaveReport>,
) -> ApiResult<Json<ReportJson>> {
    let (y, m) = period_of(&period)?;
    let action = match b.action.as_deref() {
        Some("submit") => Action::Submit,
        _ => Action::Save,
    };
    let saved = in_tx!(st.db, |tx| rs::save(
        &mut tx,
        &me.actor,
        project,
        y,
        m,
        &b.input,
        Vec::new(),
        &[],
        action
    )
    .await?)?;
    // Answered from what the save computed: no second round of reads.
    Ok(Json(report_json(
        Some(&saved.report),
        project,
        &saved.photos,
        (saved.cum_year, saved.since_start),
        y,
        m,
    )))
}

/// Reviewing a report.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ReviewReport {
    /// approve, return or lock.
    pub action: String,
    /// Needed to return.
    pub reason: Option<String>,
}

/// Approves, returns (with a reason) or locks a report.
#[utoipa::path(post, path = "/api/v1/reports/{id}/review", tag = "reports", params(("id" = i64, Path)), request_body = ReviewReport, responses((status = 200, body = ReportJson)))]
pub async fn api_review(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    Json(b): Json<ReviewReport>,
) -> ApiResult<Json<ReportJson>> {
    let action = Action::parse(&b.action)
        .filter(|a| matches!(a, Action::Approve | Action::Return | Action::Lock))
        .ok_or_else(|| {
            AppError::bad_request(
                "action 应为 approve、return 或 lock。",
                "action must be approve, return or lock.",
            )
        })?;
    let r = in_tx!(st.db, |tx| rs::review(
        &mut tx,
        &me.actor,
        id,
        action,
        b.reason.as_deref()
    )
    .await?)?;
    let v = rs::view(
        &st.db,
        &me.actor,
        r.project_id,
        r.year as i32,
        r.month as u32,
    )
    .await?;
    Ok(Json(view_json(&v, r.year as i32, r.month as u32)))
}

/// Query of the progress figures.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ProgressQuery {
    /// YYYY-MM (default: the newest open period).
    pub period: Option<String>,
}

/// Time-proportional progress and lights of a period within the caller's scope: per
/// project, division subtree, level and category (the shape of `gongjian progress --json`).
#[utoipa::path(get, path = "/api/v1/progress", tag = "reports", params(ProgressQuery), responses((status = 200, description = "period, rule, projects, divisions, levels, categories")))]
pub async fn api_progress(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<ProgressQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    let (y, m) = pick_period(&st, q.period.as_deref()).await?;
    let r = rs::rollup(&st.db, &me.actor, y, m).await?;
    Ok(Json(rs::progress_json(&key(y, m), &r)))
}
