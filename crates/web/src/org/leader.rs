//! City leaders: list, create/edit/deactivate forms, and the JSON API.

use crate::error::ApiResult;
use crate::session::Me;
use crate::view::{self, Chrome, FormError, Pairs};
use crate::{AppError, AppState, in_tx};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gongjian_domain::access::Permission;
use gongjian_store::leader::{self, Leader, LeaderInput};
use serde::Deserialize;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/org/leaders", get(list_page).post(create_submit))
        .route("/org/leaders/new", get(new_page))
        .route("/org/leaders/{id}", get(edit_page).post(edit_submit))
        .route("/org/leaders/{id}/active", post(active_submit))
        .route("/api/v1/leaders", get(api_list).post(api_create))
        .route("/api/v1/leaders/{id}", get(api_get).put(api_update))
        .route("/api/v1/leaders/{id}/activate", post(api_activate))
        .route("/api/v1/leaders/{id}/deactivate", post(api_deactivate))
}

/// List query.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Include deactivated leaders.
    pub include_inactive: Option<bool>,
}

#[derive(Template)]
#[template(path = "leaders.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Leader>,
    can_write: bool,
    /// The viewer may open the project list (the links to it are shown).
    projects: bool,
}

async fn list_page(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let rows = leader::list(&st.db, &me.actor, q.include_inactive.unwrap_or(false)).await?;
    let c = Chrome::new(&me, "leaders", me.lang.t("市级领导", "Leaders").into());
    Ok(view::render(&ListPage {
        c,
        rows,
        can_write: me.actor.access.has(Permission::OrgWrite),
        projects: me.actor.access.has(Permission::ProjectRead),
    }))
}

#[derive(Template)]
#[template(path = "leader_form.html")]
struct FormPage {
    c: Chrome,
    editing: Option<Leader>,
    input: LeaderInput,
    error: Option<FormError>,
}

fn form_page(
    me: &Me,
    editing: Option<Leader>,
    input: LeaderInput,
    error: Option<FormError>,
) -> Response {
    let title = editing.as_ref().map_or_else(
        || me.lang.t("新增领导", "New leader").to_string(),
        |l| l.name.clone(),
    );
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (
        status,
        view::render(&FormPage {
            c: Chrome::new(me, "leaders", title),
            editing,
            input,
            error,
        }),
    )
        .into_response()
}

fn input_of(p: &Pairs) -> LeaderInput {
    LeaderInput {
        name: p.get("name"),
        title: p.get("title"),
        unit_code: p.get("unit_code"),
        username: p.opt("username"),
        sort: p.get("sort").parse().ok(),
    }
}

async fn new_page(me: Me) -> Result<Response, AppError> {
    me.actor
        .access
        .require(Permission::OrgWrite)
        .map_err(gongjian_store::StoreError::from)?;
    Ok(form_page(
        &me,
        None,
        LeaderInput {
            sort: Some(100),
            ..Default::default()
        },
        None,
    ))
}

fn retry(
    me: &Me,
    editing: Option<Leader>,
    input: LeaderInput,
    e: gongjian_store::StoreError,
) -> Result<Response, AppError> {
    let e = AppError::from(e);
    if e.field.is_none() {
        return Err(e);
    }
    Ok(form_page(
        me,
        editing,
        input,
        Some(FormError::of(&e, me.lang)),
    ))
}

async fn create_submit(State(st): State<AppState>, me: Me, p: Pairs) -> Result<Response, AppError> {
    let input = input_of(&p);
    match in_tx!(st.db, |tx| leader::create(&mut tx, &me.actor, &input)
        .await?)
    {
        Ok(l) => Ok(Redirect::to(&format!("/org/leaders/{}?saved=1", l.id)).into_response()),
        Err(e) => retry(&me, None, input, e),
    }
}

async fn edit_page(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let l = leader::get(&st.db, &me.actor, id, Permission::OrgRead).await?;
    let input = LeaderInput {
        name: l.name.clone(),
        title: l.title.clone(),
        unit_code: l.unit_code.clone(),
        username: l.username.clone(),
        sort: Some(l.sort),
    };
    Ok(form_page(&me, Some(l), input, None))
}

async fn edit_submit(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    p: Pairs,
) -> Result<Response, AppError> {
    let l = leader::get(&st.db, &me.actor, id, Permission::OrgRead).await?;
    let input = input_of(&p);
    match in_tx!(st.db, |tx| leader::update(&mut tx, &me.actor, id, &input)
        .await?)
    {
        Ok(_) => Ok(Redirect::to(&format!("/org/leaders/{id}?saved=1")).into_response()),
        Err(e) => retry(&me, Some(l), input, e),
    }
}

async fn active_submit(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    p: Pairs,
) -> Result<Response, AppError> {
    leader::get(&st.db, &me.actor, id, Permission::OrgRead).await?;
    let active = p.get("active") == "true";
    in_tx!(st.db, |tx| leader::set_active(
        &mut tx, &me.actor, id, active
    )
    .await?)?;
    Ok(Redirect::to(&format!("/org/leaders/{id}?saved=1")).into_response())
}

/// Leaders within the caller's scope, in protocol order.
#[utoipa::path(get, path = "/api/v1/leaders", tag = "organisation", params(ListQuery), responses((status = 200, body = [Leader])))]
async fn api_list(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Vec<Leader>>> {
    Ok(Json(
        leader::list(&st.db, &me.actor, q.include_inactive.unwrap_or(false)).await?,
    ))
}

/// Creates a leader.
#[utoipa::path(post, path = "/api/v1/leaders", tag = "organisation", request_body = LeaderInput, responses((status = 201, body = Leader), (status = 422)))]
async fn api_create(
    State(st): State<AppState>,
    me: Me,
    Json(input): Json<LeaderInput>,
) -> ApiResult<(StatusCode, Json<Leader>)> {
    let l = in_tx!(st.db, |tx| leader::create(&mut tx, &me.actor, &input)
        .await?)?;
    Ok((StatusCode::CREATED, Json(l)))
}

/// One leader.
#[utoipa::path(get, path = "/api/v1/leaders/{id}", tag = "organisation", params(("id" = i64, Path)), responses((status = 200, body = Leader), (status = 404)))]
async fn api_get(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
) -> ApiResult<Json<Leader>> {
    Ok(Json(
        leader::get(&st.db, &me.actor, id, Permission::OrgRead).await?,
    ))
}

/// Edits a leader.
#[utoipa::path(put, path = "/api/v1/leaders/{id}", tag = "organisation", params(("id" = i64, Path)), request_body = LeaderInput, responses((status = 200, body = Leader), (status = 404)))]
async fn api_update(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    Json(input): Json<LeaderInput>,
) -> ApiResult<Json<Leader>> {
    leader::get(&st.db, &me.actor, id, Permission::OrgRead).await?;
    Ok(Json(in_tx!(st.db, |tx| leader::update(
        &mut tx, &me.actor, id, &input
    )
    .await?)?))
}

/// Reactivates a leader.
#[utoipa::path(post, path = "/api/v1/leaders/{id}/activate", tag = "organisation", params(("id" = i64, Path)), responses((status = 200, body = Leader)))]
async fn api_activate(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
) -> ApiResult<Json<Leader>> {
    leader::get(&st.db, &me.actor, id, Permission::OrgRead).await?;
    Ok(Json(in_tx!(st.db, |tx| leader::set_active(
        &mut tx, &me.actor, id, true
    )
    .await?)?))
}

/// Deactivates a leader.
#[utoipa::path(post, path = "/api/v1/leaders/{id}/deactivate", tag = "organisation", params(("id" = i64, Path)), responses((status = 200, body = Leader)))]
async fn api_deactivate(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
) -> ApiResult<Json<Leader>> {
    leader::get(&st.db, &me.actor, id, Permission::OrgRead).await?;
    Ok(Json(in_tx!(st.db, |tx| leader::set_active(
        &mut tx, &me.actor, id, false
    )
    .await?)?))
}
