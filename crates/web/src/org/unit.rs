//! Units: the paged list, create/edit/move/deactivate forms, and the JSON API.

use crate::error::ApiResult;
use crate::session::Me;
use crate::view::{self, Chrome, FormError, Pager, Pairs};
use crate::{AppError, AppState, in_tx};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gongjian_domain::access::Permission;
use gongjian_domain::unit::UnitKind;
use gongjian_store::Page;
use gongjian_store::division::{self, DivisionFilter};
use gongjian_store::sql::Paged;
use gongjian_store::unit::{self, Unit, UnitFilter, UnitInput};
use serde::Deserialize;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/org/units", get(list_page).post(create_submit))
        .route("/org/units/new", get(new_page))
        .route("/org/units/{id}", get(edit_page).post(edit_submit))
        .route("/org/units/{id}/active", post(active_submit))
        .route("/api/v1/units", get(api_list).post(api_create))
        .route("/api/v1/units/{id}", get(api_get).put(api_update))
        .route("/api/v1/units/{id}/activate", post(api_activate))
        .route("/api/v1/units/{id}/deactivate", post(api_deactivate))
}

/// List query: filters plus paging.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Name or code contains.
    pub q: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
    /// Only units in this division.
    pub division_code: Option<String>,
    /// Include deactivated units.
    pub include_inactive: Option<bool>,
    /// 1-based page.
    pub page: Option<i64>,
    /// Rows per page (at most 500).
    pub size: Option<i64>,
}

impl ListQuery {
    fn filter(&self) -> UnitFilter {
        UnitFilter {
            q: self.q.clone(),
            kind: self.kind.clone(),
            division_code: self.division_code.clone(),
            include_inactive: self.include_inactive,
        }
    }
}

fn kind_label(kind: &str, l: crate::i18n::Lang) -> String {
    kind.parse::<UnitKind>()
        .map_or(kind.to_string(), |k| l.t(k.zh(), k.en()).to_string())
}

#[derive(Template)]
#[template(path = "units.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<(Unit, String)>,
    pager: Pager,
    q: String,
    kind: String,
    division_code: String,
    include_inactive: bool,
    divisions: Vec<(String, String)>,
    kinds: Vec<(&'static str, String)>,
    can_write: bool,
    /// The viewer may open the project list (the links to it are shown).
    projects: bool,
}

fn kinds(l: crate::i18n::Lang) -> Vec<(&'static str, String)> {
    UnitKind::ALL
        .iter()
        .map(|k| (k.as_str(), l.t(k.zh(), k.en()).to_string()))
        .collect()
}

async fn division_choices(st: &AppState, me: &Me) -> Result<Vec<(String, String)>, AppError> {
    Ok(
        division::list(&st.db, &me.actor, &DivisionFilter::default())
            .await?
            .into_iter()
            .map(|d| (d.code, d.name))
            .collect(),
    )
}

async fn list_page(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let page = Page::new(q.page, q.size);
    let res = unit::list(&st.db, &me.actor, &q.filter(), page).await?;
    let base = view::query_without_page(&[
        ("q", q.q.clone()),
        ("kind", q.kind.clone()),
        ("division_code", q.division_code.clone()),
        ("include_inactive", view::ticked(q.include_inactive)),
        ("size", q.size.map(|s| s.to_string())),
    ]);
    let p = ListPage {
        c: Chrome::new(&me, "units", me.lang.t("单位", "Units").into()),
        pager: Pager::new(res.total, page.page, page.size, base),
        rows: res
            .items
            .into_iter()
            .map(|u| {
                let k = kind_label(&u.kind, me.lang);
                (u, k)
            })
            .collect(),
        q: q.q.unwrap_or_default(),
        kind: q.kind.unwrap_or_default(),
        division_code: q.division_code.unwrap_or_default(),
        include_inactive: q.include_inactive == Some(true),
        divisions: division_choices(&st, &me).await?,
        kinds: kinds(me.lang),
        can_write: me.actor.access.has(Permission::OrgWrite),
        projects: me.actor.access.has(Permission::ProjectRead),
    };
    Ok(view::render(&p))
}

#[derive(Template)]
#[template(path = "unit_form.html")]
struct FormPage {
    c: Chrome,
    editing: Option<Unit>,
    input: UnitInput,
    divisions: Vec<(String, String)>,
    kinds: Vec<(&'static str, String)>,
    error: Option<FormError>,
}

async fn form_page(
    st: &AppState,
    me: &Me,
    editing: Option<Unit>,
    input: UnitInput,
    error: Option<FormError>,
) -> Result<Response, AppError> {
    let title = match &editing {
        Some(u) => u.name.clone(),
        None => me.lang.t("新增单位", "New unit").to_string(),
    };
    let kinds = kinds(me.lang)
        .into_iter()
        .filter(|(k, _)| {
            *k != "government" || editing.as_ref().is_some_and(|u| u.kind == "government")
        })
        .collect();
    let page = FormPage {
        c: Chrome::new(me, "units", title),
        editing,
        input,
        divisions: division_choices(st, me).await?,
        kinds,
        error,
    };
    Ok(view::respond(&page, page.error.is_some()))
}

fn input_of(p: &Pairs) -> UnitInput {
    UnitInput {
        code: p.get("code"),
        name: p.get("name"),
        kind: p.get("kind"),
        division_code: p.get("division_code"),
        parent_code: p.opt("parent_code"),
        credit_code: p.opt("credit_code"),
    }
}

fn input_from(u: &Unit) -> UnitInput {
    UnitInput {
        code: u.code.clone(),
        name: u.name.clone(),
        kind: u.kind.clone(),
        division_code: u.division_code.clone(),
        parent_code: u.parent_code.clone(),
        credit_code: u.credit_code.clone(),
    }
}

async fn new_page(State(st): State<AppState>, me: Me) -> Result<Response, AppError> {
    me.actor
        .access
        .require(Permission::OrgWrite)
        .map_err(gongjian_store::StoreError::from)?;
    form_page(
        &st,
        &me,
        None,
        UnitInput {
            kind: "department".into(),
            ..Default::default()
        },
        None,
    )
    .await
}

async fn create_submit(State(st): State<AppState>, me: Me, p: Pairs) -> Result<Response, AppError> {
    let input = input_of(&p);
    match in_tx!(st.db, |tx| unit::create(&mut tx, &me.actor, &input).await?) {
        Ok(u) => Ok(Redirect::to(&format!("/org/units/{}?saved=1", u.id)).into_response()),
        Err(e) => retry(&st, &me, None, input, e).await,
    }
}

async fn retry(
    st: &AppState,
    me: &Me,
    editing: Option<Unit>,
    input: UnitInput,
    e: gongjian_store::StoreError,
) -> Result<Response, AppError> {
    let e = AppError::from(e);
    if e.field.is_none() {
        return Err(e);
    }
    form_page(st, me, editing, input, Some(FormError::of(&e, me.lang))).await
}

async fn edit_page(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let u = unit::get(&st.db, &me.actor, id, Permission::OrgRead).await?;
    let input = input_from(&u);
    form_page(&st, &me, Some(u), input, None).await
}

async fn edit_submit(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    p: Pairs,
) -> Result<Response, AppError> {
    let u = unit::get(&st.db, &me.actor, id, Permission::OrgRead).await?;
    let input = input_of(&p);
    match in_tx!(st.db, |tx| unit::update(&mut tx, &me.actor, id, &input)
        .await?)
    {
        Ok(_) => Ok(Redirect::to(&format!("/org/units/{id}?saved=1")).into_response()),
        Err(e) => retry(&st, &me, Some(u), input, e).await,
    }
}

async fn active_submit(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    p: Pairs,
) -> Result<Response, AppError> {
    let u = unit::get(&st.db, &me.actor, id, Permission::OrgRead).await?;
    let active = p.get("active") == "true";
    match in_tx!(st.db, |tx| unit::set_active(&mut tx, &me.actor, id, active)
        .await?)
    {
        Ok(_) => Ok(Redirect::to(&format!("/org/units/{id}?saved=1")).into_response()),
        Err(e) => {
            let input = input_from(&u);
            retry(&st, &me, Some(u), input, e).await
        }
    }
}

/// Units within the caller's scope, paged.
#[utoipa::path(get, path = "/api/v1/units", tag = "organisation", params(ListQuery), responses((status = 200, body = PagedUnits)))]
async fn api_list(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Paged<Unit>>> {
    Ok(Json(
        unit::list(&st.db, &me.actor, &q.filter(), Page::new(q.page, q.size)).await?,
    ))
}

/// A page of units (schema for the OpenAPI document).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct PagedUnits {
    items: Vec<Unit>,
    total: i64,
    page: i64,
    size: i64,
}

/// Creates a unit.
#[utoipa::path(post, path = "/api/v1/units", tag = "organisation", request_body = UnitInput,
    responses((status = 201, body = Unit), (status = 409), (status = 422)))]
async fn api_create(
    State(st): State<AppState>,
    me: Me,
    Json(input): Json<UnitInput>,
) -> ApiResult<(StatusCode, Json<Unit>)> {
    let u = in_tx!(st.db, |tx| unit::create(&mut tx, &me.actor, &input).await?)?;
    Ok((StatusCode::CREATED, Json(u)))
}

/// One unit.
#[utoipa::path(get, path = "/api/v1/units/{id}", tag = "organisation", params(("id" = i64, Path)), responses((status = 200, body = Unit), (status = 404)))]
async fn api_get(State(st): State<AppState>, me: Me, Path(id): Path<i64>) -> ApiResult<Json<Unit>> {
    Ok(Json(
        unit::get(&st.db, &me.actor, id, Permission::OrgRead).await?,
    ))
}

/// Edits (and, with a new parent, moves) a unit.
#[utoipa::path(put, path = "/api/v1/units/{id}", tag = "organisation", params(("id" = i64, Path)), request_body = UnitInput,
    responses((status = 200, body = Unit), (status = 404), (status = 422)))]
async fn api_update(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    Json(input): Json<UnitInput>,
) -> ApiResult<Json<Unit>> {
    unit::get(&st.db, &me.actor, id, Permission::OrgRead).await?;
    Ok(Json(in_tx!(st.db, |tx| unit::update(
        &mut tx, &me.actor, id, &input
    )
    .await?)?))
}

/// Reactivates a unit.
#[utoipa::path(post, path = "/api/v1/units/{id}/activate", tag = "organisation", params(("id" = i64, Path)), responses((status = 200, body = Unit)))]
async fn api_activate(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
) -> ApiResult<Json<Unit>> {
    unit::get(&st.db, &me.actor, id, Permission::OrgRead).await?;
    Ok(Json(in_tx!(st.db, |tx| unit::set_active(
        &mut tx, &me.actor, id, true
    )
    .await?)?))
}

/// Deactivates a unit (refused while it has active users or child units).
#[utoipa::path(post, path = "/api/v1/units/{id}/deactivate", tag = "organisation", params(("id" = i64, Path)), responses((status = 200, body = Unit), (status = 422)))]
async fn api_deactivate(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
) -> ApiResult<Json<Unit>> {
    unit::get(&st.db, &me.actor, id, Permission::OrgRead).await?;
    Ok(Json(in_tx!(st.db, |tx| unit::set_active(
        &mut tx, &me.actor, id, false
    )
    .await?)?))
}
