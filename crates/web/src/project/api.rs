//! The JSON API of the project registry.

#[allow(unused_imports)]
use super::*;

/// A page of projects (schema for the OpenAPI document).
#[derive(Serialize, utoipa::ToSchema)]
pub struct PagedProjects {
    items: Vec<ProjectItem>,
    total: i64,
    page: i64,
    size: i64,
}

/// Projects within the caller's scope: filtered, sorted, paged.
#[utoipa::path(get, path = "/api/v1/projects", tag = "projects", params(ListQuery), responses((status = 200, body = PagedProjects)))]
pub(super) async fn api_list(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<PagedProjects>> {
    let r: Paged<Project> =
        project::list(&st.db, &me.actor, &q.filter(), Page::new(q.page, q.size)).await?;
    Ok(Json(PagedProjects {
        items: r.items.iter().map(Project::item).collect(),
        total: r.total,
        page: r.page,
        size: r.size,
    }))
}

/// A project with its team, tags, plans, milestones (with backward schedule) and stage history.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProjectDetail {
    project: ProjectItem,
    /// Cooperating units: [code, name].
    cooperators: Vec<(String, String)>,
    /// Task force members.
    members: Vec<String>,
    /// Tag identifiers.
    tags: Vec<String>,
    plans: Vec<PlanJson>,
    milestones: Vec<MilestoneJson>,
    stages: Vec<gongjian_store::project::StageChange>,
}

/// A year's plan, 万元.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PlanJson {
    year: i64,
    annual_wan: String,
    /// 12 entries, null when not given.
    months_wan: Vec<Option<String>>,
    /// Cumulative plan to the end of each month (the time-proportional target).
    cumulative_wan: Vec<String>,
    mismatch: bool,
}

/// A milestone with its backward schedule.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MilestoneJson {
    #[serde(flatten)]
    node: gongjian_store::project::Milestone,
    latest_start: Option<chrono::NaiveDate>,
    countdown_days: Option<i64>,
    status: String,
}

pub(super) fn detail_json(d: Detail) -> ProjectDetail {
    let nodes = node_views(&d);
    ProjectDetail {
        project: d.project.item(),
        plans: d
            .plans
            .iter()
            .map(|p| PlanJson {
                year: p.year,
                annual_wan: money::wan(p.annual),
                months_wan: p.months().iter().map(|m| m.map(money::wan)).collect(),
                cumulative_wan: dp::cumulative(p.annual, &p.months())
                    .iter()
                    .map(|c| money::wan(*c))
                    .collect(),
                mismatch: p.mismatch,
            })
            .collect(),
        milestones: nodes
            .into_iter()
            .map(|n| MilestoneJson {
                node: n.m,
                latest_start: n.latest_start,
                countdown_days: n.countdown,
                status: n.status.into(),
            })
            .collect(),
        cooperators: d.cooperators,
        members: d.members,
        tags: d.tags,
        stages: d.stages,
    }
}

/// One project with everything around it.
#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "projects", params(("id" = i64, Path)), responses((status = 200, body = ProjectDetail), (status = 404)))]
pub(super) async fn api_get(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
) -> ApiResult<Json<ProjectDetail>> {
    Ok(Json(detail_json(
        project::detail(&st.db, &me.actor, id).await?,
    )))
}

/// Creates a project.
#[utoipa::path(post, path = "/api/v1/projects", tag = "projects", request_body = ProjectInput, responses((status = 201, body = ProjectItem), (status = 409), (status = 422)))]
pub(super) async fn api_create(
    State(st): State<AppState>,
    me: Me,
    Json(input): Json<ProjectInput>,
) -> ApiResult<(StatusCode, Json<ProjectItem>)> {
    let p = in_tx!(st.db, |tx| project::create(&mut tx, &me.actor, &input)
        .await?)?;
    Ok((StatusCode::CREATED, Json(p.item())))
}

/// Replaces a project's fields; a different stage must be an allowed transition.
#[utoipa::path(put, path = "/api/v1/projects/{id}", tag = "projects", params(("id" = i64, Path)), request_body = ProjectInput, responses((status = 200, body = ProjectItem), (status = 404), (status = 422)))]
pub(super) async fn api_update(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    Json(input): Json<ProjectInput>,
) -> ApiResult<Json<ProjectItem>> {
    project::get(&st.db, &me.actor, id, Permission::ProjectRead).await?;
    Ok(Json(
        in_tx!(st.db, |tx| project::update(&mut tx, &me.actor, id, &input)
            .await?)?
        .item(),
    ))
}

/// A stage change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct StageInput {
    /// Target stage.
    pub stage: String,
    /// Date of the change (default today).
    pub on_date: Option<String>,
    /// Note.
    pub note: Option<String>,
}

/// Moves a project to another stage (forward, or terminated).
#[utoipa::path(post, path = "/api/v1/projects/{id}/stage", tag = "projects", params(("id" = i64, Path)), request_body = StageInput, responses((status = 200, body = ProjectItem), (status = 422)))]
pub(super) async fn api_stage(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    Json(s): Json<StageInput>,
) -> ApiResult<Json<ProjectItem>> {
    project::get(&st.db, &me.actor, id, Permission::ProjectRead).await?;
    Ok(Json(
        in_tx!(st.db, |tx| project::change_stage(
            &mut tx,
            &me.actor,
            id,
            &s.stage,
            s.on_date.as_deref(),
            s.note.as_deref()
        )
        .await?)?
        .item(),
    ))
}

/// An annual plan with its monthly breakdown, 万元.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PlanInput {
    /// Annual plan.
    pub annual_wan: String,
    /// 12 months, or empty for none.
    #[serde(default)]
    pub months_wan: Vec<Option<String>>,
    /// Keep months that do not add up, flagged.
    #[serde(default)]
    pub allow_mismatch: bool,
}

/// Sets the plan of a year.
#[utoipa::path(put, path = "/api/v1/projects/{id}/plans/{year}", tag = "projects", params(("id" = i64, Path), ("year" = i64, Path)), request_body = PlanInput, responses((status = 200), (status = 422)))]
pub(super) async fn api_plan(
    State(st): State<AppState>,
    me: Me,
    Path((id, year)): Path<(i64, i64)>,
    Json(p): Json<PlanInput>,
) -> ApiResult<Json<ProjectDetail>> {
    project::get(&st.db, &me.actor, id, Permission::ProjectRead).await?;
    in_tx!(st.db, |tx| project::set_plan(
        &mut tx,
        &me.actor,
        id,
        year,
        &p.annual_wan,
        &p.months_wan,
        p.allow_mismatch
    )
    .await?)?;
    Ok(Json(detail_json(
        project::detail(&st.db, &me.actor, id).await?,
    )))
}

/// A year's tax, 万元 (empty removes it).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct TaxInput {
    /// Tax paid in the year, 万元 as text (e.g. "1250.5"); empty removes the figure.
    pub amount_wan: String,
    /// A note (source of the figure).
    #[serde(default)]
    pub note: String,
}

/// A project's tax of one year (used by the tax-per-mu indicator).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TaxOut {
    pub year: i64,
    /// 万元 as a decimal string, or null when removed.
    pub amount_wan: Option<String>,
    pub note: String,
}

/// Records a project's tax of a year.
#[utoipa::path(put, path = "/api/v1/projects/{id}/tax/{year}", tag = "projects", params(("id" = i64, Path), ("year" = i64, Path)), request_body = TaxInput, responses((status = 200, body = TaxOut), (status = 422)))]
pub(super) async fn api_tax(
    State(st): State<AppState>,
    me: Me,
    Path((id, year)): Path<(i64, i64)>,
    Json(t): Json<TaxInput>,
) -> ApiResult<Json<TaxOut>> {
    project::get(&st.db, &me.actor, id, Permission::ProjectRead).await?;
    let row = in_tx!(st.db, |tx| project::set_tax(
        &mut tx,
        &me.actor,
        id,
        year,
        &t.amount_wan,
        &t.note
    )
    .await?)?;
    Ok(Json(TaxOut {
        year,
        amount_wan: row.as_ref().map(|r| gongjian_domain::money::wan(r.amount)),
        note: row.map(|r| r.note).unwrap_or_default(),
    }))
}

/// Replaces a project's milestones.
#[utoipa::path(put, path = "/api/v1/projects/{id}/milestones", tag = "projects", params(("id" = i64, Path)), request_body = Vec<MilestoneInput>, responses((status = 200, body = ProjectDetail), (status = 422)))]
pub(super) async fn api_milestones(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    Json(nodes): Json<Vec<MilestoneInput>>,
) -> ApiResult<Json<ProjectDetail>> {
    project::get(&st.db, &me.actor, id, Permission::ProjectRead).await?;
    in_tx!(st.db, |tx| project::set_milestones(
        &mut tx, &me.actor, id, &nodes
    )
    .await?)?;
    Ok(Json(detail_json(
        project::detail(&st.db, &me.actor, id).await?,
    )))
}

/// Options of an import through the API; the body is the file itself.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// File name, for its type: ledger.xlsx or ledger.csv.
    pub file_name: Option<String>,
    /// Only this sheet.
    pub sheet: Option<String>,
    /// Check only, write nothing.
    pub dry_run: Option<bool>,
    /// Write the valid rows even when others have errors.
    pub valid_only: Option<bool>,
}

/// Imports a ledger workbook (request body: the xlsx or csv file).
#[utoipa::path(post, path = "/api/v1/projects/import", tag = "projects", params(ImportQuery), request_body(content = Vec<u8>, content_type = "application/octet-stream"), responses((status = 200, body = ImportReport), (status = 422, body = ImportReport)))]
pub(super) async fn api_import(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<ImportQuery>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<ImportReport>)> {
    let name = q.file_name.unwrap_or_else(|| "upload.xlsx".into());
    let r = ledger::import_bytes(
        &st.db,
        &me.actor,
        &name,
        &body,
        q.sheet.as_deref(),
        q.dry_run.unwrap_or(false),
        q.valid_only.unwrap_or(false),
    )
    .await?;
    let status = if r.errors.is_empty() || r.written {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Json(r)))
}

/// Exports the projects in scope (format=xlsx, csv or json).
#[utoipa::path(get, path = "/api/v1/projects/export", tag = "projects", params(ListQuery), responses((status = 200, description = "the file")))]
pub(super) async fn api_export(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<ListQuery>,
) -> ApiResult<Response> {
    let format = q.format.clone().unwrap_or_else(|| "json".into());
    Ok(download(
        ledger::export(&st.db, &me.actor, &q.filter(), &format).await?,
    ))
}

/// Copy-forward request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CopyInput {
    /// The year copied; plans go to the next year.
    pub from: i64,
}

/// Result of a copy forward.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CopyResult {
    /// Projects whose plan was copied.
    pub copied: u64,
}

/// Copies the plans of a year to the next for live projects in scope without one.
#[utoipa::path(post, path = "/api/v1/projects/plans/copy-forward", tag = "projects", request_body = CopyInput, responses((status = 200, body = CopyResult)))]
pub(super) async fn api_copy(
    State(st): State<AppState>,
    me: Me,
    Json(c): Json<CopyInput>,
) -> ApiResult<Json<CopyResult>> {
    let copied = in_tx!(st.db, |tx| project::copy_plans_forward(
        &mut tx, &me.actor, c.from
    )
    .await?)?;
    Ok(Json(CopyResult { copied }))
}
