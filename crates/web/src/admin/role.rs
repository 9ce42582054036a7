//! Roles and their data scope.

use crate::error::ApiResult;
use crate::session::Me;
use crate::view::{self, Chrome, FormError, Pairs};
use crate::{AppError, AppState, in_tx};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use gongjian_domain::access::{DataScope, Permission};
use gongjian_store::StoreError;
use gongjian_store::role::{self, Role, RoleInput, RoleRow};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/roles", get(list_page).post(create_submit))
        .route("/admin/roles/new", get(new_page))
        .route("/admin/roles/{code}", get(edit_page).post(edit_submit))
        .route("/api/v1/roles", get(api_list).post(api_create))
        .route("/api/v1/roles/{code}", get(api_get).put(api_update))
}

/// A permission with its label, for checkboxes.
pub struct PermChoice {
    /// Identifier.
    pub id: &'static str,
    /// Chinese label.
    pub zh: &'static str,
    /// Ticked in the form.
    pub checked: bool,
}

fn perm_choices(granted: &[String]) -> Vec<PermChoice> {
    Permission::ALL
        .iter()
        .map(|p| PermChoice {
            id: p.as_str(),
            zh: p.zh(),
            checked: granted.iter().any(|g| g == p.as_str()),
        })
        .collect()
}

fn scope_choices() -> Vec<(&'static str, &'static str)> {
    DataScope::ALL
        .iter()
        .map(|s| (s.as_str(), s.zh()))
        .collect()
}

/// Chinese label of a scope identifier.
pub fn scope_label(s: &str) -> &'static str {
    s.parse::<DataScope>().map_or("?", |d| d.zh())
}

#[derive(Template)]
#[template(path = "roles.html")]
struct ListPage {
    c: Chrome,
    roles: Vec<Role>,
    can_write: bool,
}

async fn list_page(State(st): State<AppState>, me: Me) -> Result<Response, AppError> {
    let roles = role::list(&st.db, &me.actor).await?;
    let c = Chrome::new(&me, "roles", me.lang.t("角色与数据范围", "Roles").into());
    Ok(view::render(&ListPage {
        c,
        roles,
        can_write: me.actor.access.has(Permission::RoleWrite),
    }))
}

#[derive(Template)]
#[template(path = "role_form.html")]
struct FormPage {
    c: Chrome,
    editing: Option<RoleRow>,
    input: RoleInput,
    perms: Vec<PermChoice>,
    scopes: Vec<(&'static str, &'static str)>,
    units_text: String,
    error: Option<FormError>,
}

fn form_page(
    me: &Me,
    editing: Option<RoleRow>,
    input: RoleInput,
    error: Option<FormError>,
) -> Response {
    let title = editing.as_ref().map_or_else(
        || me.lang.t("新增角色", "New role").to_string(),
        |r| r.name.clone(),
    );
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let units_text = input
        .custom_unit_ids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let perms = perm_choices(&input.permissions);
    (
        status,
        view::render(&FormPage {
            c: Chrome::new(me, "roles", title),
            editing,
            input,
            perms,
            scopes: scope_choices(),
            units_text,
            error,
        }),
    )
        .into_response()
}

fn input_of(p: &Pairs) -> Result<RoleInput, AppError> {
    let mut ids = Vec::new();
    for part in p
        .get("custom_unit_ids")
        .split([',', '，', ' '])
        .filter(|s| !s.is_empty())
    {
        ids.push(part.parse::<i64>().map_err(|_| {
            let mut e = AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("单位编号“{part}”不是数字。"),
                format!("Unit id '{part}' is not a number."),
            );
            e.field = Some("custom_unit_ids");
            e
        })?);
    }
    Ok(RoleInput {
        code: p.get("code"),
        name: p.get("name"),
        name_en: p.opt("name_en"),
        data_scope: p.get("data_scope"),
        permissions: p.all("permissions"),
        custom_unit_ids: ids,
    })
}

async fn new_page(me: Me) -> Result<Response, AppError> {
    me.actor
        .access
        .require(Permission::RoleWrite)
        .map_err(StoreError::from)?;
    Ok(form_page(
        &me,
        None,
        RoleInput {
            data_scope: "own_unit".into(),
            ..Default::default()
        },
        None,
    ))
}

fn retry(
    me: &Me,
    editing: Option<RoleRow>,
    input: RoleInput,
    e: AppError,
) -> Result<Response, AppError> {
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
    let input = match input_of(&p) {
        Ok(i) => i,
        Err(e) => {
            return retry(
                &me,
                None,
                RoleInput {
                    code: p.get("code"),
                    name: p.get("name"),
                    data_scope: p.get("data_scope"),
                    ..Default::default()
                },
                e,
            );
        }
    };
    match in_tx!(st.db, |tx| role::create(&mut tx, &me.actor, &input).await?) {
        Ok(r) => Ok(Redirect::to(&format!("/admin/roles/{}", r.code)).into_response()),
        Err(e) => retry(&me, None, input, e.into()),
    }
}

async fn edit_page(
    State(st): State<AppState>,
    me: Me,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let r = role::get(&st.db, &me.actor, &code).await?;
    let input = RoleInput {
        code: r.role.code.clone(),
        name: r.role.name.clone(),
        name_en: Some(r.role.name_en.clone()),
        data_scope: r.role.data_scope.clone(),
        permissions: r.permissions.clone(),
        custom_unit_ids: r.custom_unit_ids.clone(),
    };
    Ok(form_page(&me, Some(r.role), input, None))
}

async fn edit_submit(
    State(st): State<AppState>,
    me: Me,
    Path(code): Path<String>,
    p: Pairs,
) -> Result<Response, AppError> {
    let r = role::get(&st.db, &me.actor, &code).await?;
    let input = match input_of(&p) {
        Ok(i) => i,
        Err(e) => {
            return retry(
                &me,
                Some(r.role),
                RoleInput {
                    code: code.clone(),
                    name: p.get("name"),
                    data_scope: p.get("data_scope"),
                    permissions: r.permissions,
                    ..Default::default()
                },
                e,
            );
        }
    };
    match in_tx!(st.db, |tx| role::update(&mut tx, &me.actor, &code, &input)
        .await?)
    {
        Ok(_) => Ok(Redirect::to(&format!("/admin/roles/{code}")).into_response()),
        Err(e) => retry(&me, Some(r.role), input, e.into()),
    }
}

/// All roles with permissions and data scope.
#[utoipa::path(get, path = "/api/v1/roles", tag = "accounts", responses((status = 200, body = [Role])))]
async fn api_list(State(st): State<AppState>, me: Me) -> ApiResult<Json<Vec<Role>>> {
    Ok(Json(role::list(&st.db, &me.actor).await?))
}

/// Creates a role.
#[utoipa::path(post, path = "/api/v1/roles", tag = "accounts", request_body = RoleInput, responses((status = 201, body = RoleRow), (status = 409), (status = 422)))]
async fn api_create(
    State(st): State<AppState>,
    me: Me,
    Json(input): Json<RoleInput>,
) -> ApiResult<(StatusCode, Json<RoleRow>)> {
    let r = in_tx!(st.db, |tx| role::create(&mut tx, &me.actor, &input).await?)?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// One role.
#[utoipa::path(get, path = "/api/v1/roles/{code}", tag = "accounts", params(("code" = String, Path)), responses((status = 200, body = Role), (status = 404)))]
async fn api_get(
    State(st): State<AppState>,
    me: Me,
    Path(code): Path<String>,
) -> ApiResult<Json<Role>> {
    Ok(Json(role::get(&st.db, &me.actor, &code).await?))
}

/// Edits a role (built-in roles keep their permissions; their scope may change).
#[utoipa::path(put, path = "/api/v1/roles/{code}", tag = "accounts", params(("code" = String, Path)), request_body = RoleInput, responses((status = 200, body = RoleRow), (status = 404), (status = 422)))]
async fn api_update(
    State(st): State<AppState>,
    me: Me,
    Path(code): Path<String>,
    Json(input): Json<RoleInput>,
) -> ApiResult<Json<RoleRow>> {
    Ok(Json(in_tx!(st.db, |tx| role::update(
        &mut tx, &me.actor, &code, &input
    )
    .await?)?))
}
