//! Divisions: the tree page, create/edit/move/deactivate forms, and the JSON API.

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
use gongjian_domain::division::DivisionKind;
use gongjian_store::division::{self, Division, DivisionFilter, DivisionInput};
use std::collections::HashMap;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/org/divisions", get(list_page).post(create_submit))
        .route("/org/divisions/new", get(new_page))
        .route("/org/divisions/{code}", get(edit_page).post(edit_submit))
        .route("/org/divisions/{code}/active", post(active_submit))
        .route("/api/v1/divisions", get(api_list).post(api_create))
        .route("/api/v1/divisions/{code}", get(api_get).put(api_update))
        .route("/api/v1/divisions/{code}/activate", post(api_activate))
        .route("/api/v1/divisions/{code}/deactivate", post(api_deactivate))
}

/// A division row with its depth in the tree, for indentation.
pub struct Row {
    /// The division.
    pub d: Division,
    /// 0 for the top.
    pub depth: usize,
    /// Kind label in the page language.
    pub kind_label: String,
}

fn rows(list: Vec<Division>, l: crate::i18n::Lang) -> Vec<Row> {
    let mut depth: HashMap<i64, usize> = HashMap::new();
    list.into_iter()
        .map(|d| {
            let dep = d
                .parent_id
                .and_then(|p| depth.get(&p).map(|x| x + 1))
                .unwrap_or(0);
            depth.insert(d.id, dep);
            let kind_label = d
                .kind()
                .map_or(d.kind.clone(), |k| l.t(k.zh(), k.en()).to_string());
            Row {
                d,
                depth: dep,
                kind_label,
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "divisions.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
    q: String,
    kind: String,
    include_inactive: bool,
    kinds: Vec<(&'static str, String)>,
    can_write: bool,
}

fn kinds(l: crate::i18n::Lang) -> Vec<(&'static str, String)> {
    DivisionKind::ALL
        .iter()
        .map(|k| (k.as_str(), l.t(k.zh(), k.en()).to_string()))
        .collect()
}

async fn list_page(
    State(st): State<AppState>,
    me: Me,
    Query(f): Query<DivisionFilter>,
) -> Result<Response, AppError> {
    let list = division::list(&st.db, &me.actor, &f).await?;
    let page = ListPage {
        c: Chrome::new(&me, "divisions", me.lang.t("行政区划", "Divisions").into()),
        rows: rows(list, me.lang),
        q: f.q.unwrap_or_default(),
        kind: f.kind.unwrap_or_default(),
        include_inactive: f.include_inactive.unwrap_or(false),
        kinds: kinds(me.lang),
        can_write: me.actor.access.has(Permission::OrgWrite),
    };
    Ok(view::render(&page))
}

#[derive(Template)]
#[template(path = "division_form.html")]
struct FormPage {
    c: Chrome,
    editing: Option<Division>,
    input: DivisionInput,
    parents: Vec<Row>,
    kinds: Vec<(&'static str, String)>,
    error: Option<FormError>,
}

async fn form_page(
    st: &AppState,
    me: &Me,
    editing: Option<Division>,
    input: DivisionInput,
    error: Option<FormError>,
) -> Result<Response, AppError> {
    let all = division::list(&st.db, &me.actor, &DivisionFilter::default()).await?;
    let title = match &editing {
        Some(d) => format!("{} {}", me.lang.t("编辑区划", "Edit division"), d.name),
        None => me.lang.t("新增区划", "New division").to_string(),
    };
    let page = FormPage {
        c: Chrome::new(me, "divisions", title),
        editing,
        input,
        parents: rows(all, me.lang),
        kinds: kinds(me.lang),
        error,
    };
    Ok(view::respond(&page, page.error.is_some()))
}

fn input_of(p: &Pairs) -> DivisionInput {
    DivisionInput {
        code: p.get("code"),
        name: p.get("name"),
        kind: p.get("kind"),
        parent_code: p.opt("parent_code"),
    }
}

async fn new_page(State(st): State<AppState>, me: Me) -> Result<Response, AppError> {
    me.actor
        .access
        .require(Permission::OrgWrite)
        .map_err(gongjian_store::StoreError::from)?;
    let input = DivisionInput {
        code: String::new(),
        name: String::new(),
        kind: "district".into(),
        parent_code: None,
    };
    form_page(&st, &me, None, input, None).await
}

async fn create_submit(State(st): State<AppState>, me: Me, p: Pairs) -> Result<Response, AppError> {
    let input = input_of(&p);
    match in_tx!(st.db, |tx| division::create(&mut tx, &me.actor, &input)
        .await?)
    {
        Ok(d) => Ok(Redirect::to(&format!("/org/divisions/{}?saved=1", d.code)).into_response()),
        Err(e) => {
            let e = AppError::from(e);
            if e.field.is_none() {
                return Err(e);
            }
            form_page(&st, &me, None, input, Some(FormError::of(&e, me.lang))).await
        }
    }
}

async fn edit_page(
    State(st): State<AppState>,
    me: Me,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let d = division::get(&st.db, &me.actor, &code, Permission::OrgRead).await?;
    let input = DivisionInput {
        code: d.code.clone(),
        name: d.name.clone(),
        kind: d.kind.clone(),
        parent_code: d.parent_code.clone(),
    };
    form_page(&st, &me, Some(d), input, None).await
}

async fn edit_submit(
    State(st): State<AppState>,
    me: Me,
    Path(code): Path<String>,
    p: Pairs,
) -> Result<Response, AppError> {
    let d = division::get(&st.db, &me.actor, &code, Permission::OrgRead).await?;
    let mut input = input_of(&p);
    input.code = d.code.clone();
    match in_tx!(st.db, |tx| division::update(
        &mut tx, &me.actor, &code, &input
    )
    .await?)
    {
        Ok(d) => Ok(Redirect::to(&format!("/org/divisions/{}?saved=1", d.code)).into_response()),
        Err(e) => {
            let e = AppError::from(e);
            if e.field.is_none() {
                return Err(e);
            }
            form_page(&st, &me, Some(d), input, Some(FormError::of(&e, me.lang))).await
        }
    }
}

async fn active_submit(
    State(st): State<AppState>,
    me: Me,
    Path(code): Path<String>,
    p: Pairs,
) -> Result<Response, AppError> {
    let d = division::get(&st.db, &me.actor, &code, Permission::OrgRead).await?;
    let active = p.get("active") == "true";
    match in_tx!(st.db, |tx| division::set_active(
        &mut tx, &me.actor, &code, active
    )
    .await?)
    {
        Ok(_) => Ok(Redirect::to(&format!("/org/divisions/{code}?saved=1")).into_response()),
        Err(e) => {
            let e = AppError::from(e);
            let input = DivisionInput {
                code: d.code.clone(),
                name: d.name.clone(),
                kind: d.kind.clone(),
                parent_code: d.parent_code.clone(),
            };
            if e.field.is_none() {
                return Err(e);
            }
            form_page(&st, &me, Some(d), input, Some(FormError::of(&e, me.lang))).await
        }
    }
}

/// Divisions within the caller's scope, in tree order.
#[utoipa::path(get, path = "/api/v1/divisions", tag = "organisation", params(DivisionFilter), responses((status = 200, body = [Division])))]
async fn api_list(
    State(st): State<AppState>,
    me: Me,
    Query(f): Query<DivisionFilter>,
) -> ApiResult<Json<Vec<Division>>> {
    Ok(Json(division::list(&st.db, &me.actor, &f).await?))
}

/// Creates a division and its government unit.
#[utoipa::path(post, path = "/api/v1/divisions", tag = "organisation", request_body = DivisionInput,
    responses((status = 201, body = Division), (status = 409, description = "duplicate code"), (status = 422, description = "invalid input")))]
async fn api_create(
    State(st): State<AppState>,
    me: Me,
    Json(input): Json<DivisionInput>,
) -> ApiResult<(StatusCode, Json<Division>)> {
    let d = in_tx!(st.db, |tx| division::create(&mut tx, &me.actor, &input)
        .await?)?;
    Ok((StatusCode::CREATED, Json(d)))
}

/// One division.
#[utoipa::path(get, path = "/api/v1/divisions/{code}", tag = "organisation", params(("code" = String, Path)), responses((status = 200, body = Division), (status = 404)))]
async fn api_get(
    State(st): State<AppState>,
    me: Me,
    Path(code): Path<String>,
) -> ApiResult<Json<Division>> {
    Ok(Json(
        division::get(&st.db, &me.actor, &code, Permission::OrgRead).await?,
    ))
}

/// Edits (and, with a new parent, moves) a division.
#[utoipa::path(put, path = "/api/v1/divisions/{code}", tag = "organisation", params(("code" = String, Path)), request_body = DivisionInput,
    responses((status = 200, body = Division), (status = 404), (status = 422)))]
async fn api_update(
    State(st): State<AppState>,
    me: Me,
    Path(code): Path<String>,
    Json(input): Json<DivisionInput>,
) -> ApiResult<Json<Division>> {
    division::get(&st.db, &me.actor, &code, Permission::OrgRead).await?;
    Ok(Json(in_tx!(st.db, |tx| division::update(
        &mut tx, &me.actor, &code, &input
    )
    .await?)?))
}

/// Reactivates a division.
#[utoipa::path(post, path = "/api/v1/divisions/{code}/activate", tag = "organisation", params(("code" = String, Path)), responses((status = 200, body = Division)))]
async fn api_activate(
    State(st): State<AppState>,
    me: Me,
    Path(code): Path<String>,
) -> ApiResult<Json<Division>> {
    division::get(&st.db, &me.actor, &code, Permission::OrgRead).await?;
    Ok(Json(in_tx!(st.db, |tx| division::set_active(
        &mut tx, &me.actor, &code, true
    )
    .await?)?))
}

/// Deactivates a division (refused while it has active children, units or users).
#[utoipa::path(post, path = "/api/v1/divisions/{code}/deactivate", tag = "organisation", params(("code" = String, Path)), responses((status = 200, body = Division), (status = 422)))]
async fn api_deactivate(
    State(st): State<AppState>,
    me: Me,
    Path(code): Path<String>,
) -> ApiResult<Json<Division>> {
    division::get(&st.db, &me.actor, &code, Permission::OrgRead).await?;
    Ok(Json(in_tx!(st.db, |tx| division::set_active(
        &mut tx, &me.actor, &code, false
    )
    .await?)?))
}
