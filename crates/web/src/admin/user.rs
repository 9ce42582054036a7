//! User accounts: list, create, edit roles, reset password, lock/unlock, deactivate.

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
use gongjian_store::role::{self, Role};
use gongjian_store::sql::Paged;
use gongjian_store::user::{self, AdminAction, User, UserFilter, UserInput};
use gongjian_store::{Page, StoreError};
use serde::Deserialize;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(list_page).post(create_submit))
        .route("/admin/users/new", get(new_page))
        .route("/admin/users/{id}", get(edit_page).post(edit_submit))
        .route("/admin/users/{id}/password", post(password_submit))
        .route("/admin/users/{id}/action", post(action_submit))
        .route("/api/v1/users", get(api_list).post(api_create))
        .route("/api/v1/users/{id}", get(api_get).put(api_update))
        .route("/api/v1/users/{id}/password", post(api_password))
        .route("/api/v1/users/{id}/{action}", post(api_action))
}

/// List query.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Username or name contains.
    pub q: Option<String>,
    /// Only users of this unit (code).
    pub unit_code: Option<String>,
    /// Only users holding this role.
    pub role: Option<String>,
    /// Include deactivated accounts.
    pub include_inactive: Option<bool>,
    /// 1-based page.
    pub page: Option<i64>,
    /// Rows per page (at most 500).
    pub size: Option<i64>,
}

impl ListQuery {
    fn filter(&self) -> UserFilter {
        UserFilter {
            q: self.q.clone(),
            unit_code: self.unit_code.clone(),
            role: self.role.clone(),
            include_inactive: self.include_inactive,
        }
    }
}

#[derive(Template)]
#[template(path = "users.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<User>,
    pager: Pager,
    q: ListQuery,
    roles: Vec<Role>,
    can_write: bool,
}

/// Role names for display, whatever the caller may read of roles.
async fn all_roles(st: &AppState) -> Result<Vec<Role>, AppError> {
    Ok(role::list(&st.db, &gongjian_store::Actor::cli()).await?)
}

async fn list_page(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let page = Page::new(q.page, q.size);
    let res = user::list(&st.db, &me.actor, &q.filter(), page).await?;
    let base = view::query_without_page(&[
        ("q", q.q.clone()),
        ("unit_code", q.unit_code.clone()),
        ("role", q.role.clone()),
        ("include_inactive", view::ticked(q.include_inactive)),
        ("size", q.size.map(|s| s.to_string())),
    ]);
    let p = ListPage {
        c: Chrome::new(&me, "users", me.lang.t("用户", "Users").into()),
        pager: Pager::new(res.total, page.page, page.size, base),
        rows: res.items,
        q,
        roles: all_roles(&st).await?,
        can_write: me.actor.access.has(Permission::UserWrite),
    };
    Ok(view::render(&p))
}

#[derive(Template)]
#[template(path = "user_form.html")]
struct FormPage {
    c: Chrome,
    editing: Option<User>,
    input: UserInput,
    roles: Vec<Role>,
    error: Option<FormError>,
    saved: bool,
}

async fn form_page(
    st: &AppState,
    me: &Me,
    editing: Option<User>,
    input: UserInput,
    error: Option<FormError>,
    saved: bool,
) -> Result<Response, AppError> {
    let title = editing.as_ref().map_or_else(
        || me.lang.t("新增用户", "New user").to_string(),
        |u| format!("{}（{}）", u.name, u.username),
    );
    let page = FormPage {
        c: Chrome::new(me, "users", title),
        editing,
        input,
        roles: all_roles(st).await?,
        error,
        saved,
    };
    Ok(view::respond(&page, page.error.is_some()))
}

fn input_of(p: &Pairs) -> UserInput {
    UserInput {
        username: p.get("username"),
        name: p.get("name"),
        unit_code: p.get("unit_code"),
        phone: p.opt("phone"),
        email: p.opt("email"),
        roles: p.all("roles"),
        password: p.opt("password"),
        must_change_password: Some(p.checked("must_change_password")),
    }
}

fn input_from(u: &User) -> UserInput {
    UserInput {
        username: u.username.clone(),
        name: u.name.clone(),
        unit_code: u.unit_code.clone(),
        phone: u.phone.clone(),
        email: u.email.clone(),
        roles: u.role_codes().into_iter().map(String::from).collect(),
        password: None,
        must_change_password: Some(u.must_change_password),
    }
}

async fn retry(
    st: &AppState,
    me: &Me,
    editing: Option<User>,
    input: UserInput,
    e: StoreError,
) -> Result<Response, AppError> {
    let e = AppError::from(e);
    if e.field.is_none() {
        return Err(e);
    }
    form_page(
        st,
        me,
        editing,
        input,
        Some(FormError::of(&e, me.lang)),
        false,
    )
    .await
}

async fn new_page(State(st): State<AppState>, me: Me) -> Result<Response, AppError> {
    me.actor
        .access
        .require(Permission::UserWrite)
        .map_err(StoreError::from)?;
    form_page(
        &st,
        &me,
        None,
        UserInput {
            must_change_password: Some(true),
            ..Default::default()
        },
        None,
        false,
    )
    .await
}

async fn create_submit(State(st): State<AppState>, me: Me, p: Pairs) -> Result<Response, AppError> {
    let input = input_of(&p);
    match in_tx!(st.db, |tx| user::create(&mut tx, &me.actor, &input).await?) {
        Ok(u) => Ok(Redirect::to(&format!("/admin/users/{}?saved=1", u.id)).into_response()),
        Err(e) => {
            retry(
                &st,
                &me,
                None,
                UserInput {
                    password: None,
                    ..input
                },
                e,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
struct Saved {
    saved: Option<String>,
}

async fn edit_page(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    Query(s): Query<Saved>,
) -> Result<Response, AppError> {
    let u = user::get(&st.db, &me.actor, id, Permission::UserRead).await?;
    let input = input_from(&u);
    form_page(&st, &me, Some(u), input, None, s.saved.is_some()).await
}

async fn edit_submit(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    p: Pairs,
) -> Result<Response, AppError> {
    let u = user::get(&st.db, &me.actor, id, Permission::UserRead).await?;
    let input = input_of(&p);
    match in_tx!(st.db, |tx| user::update(&mut tx, &me.actor, id, &input)
        .await?)
    {
        Ok(_) => Ok(Redirect::to(&format!("/admin/users/{id}?saved=1")).into_response()),
        Err(e) => retry(&st, &me, Some(u), input, e).await,
    }
}

async fn password_submit(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    p: Pairs,
) -> Result<Response, AppError> {
    let u = user::get(&st.db, &me.actor, id, Permission::UserRead).await?;
    let pw = p.get("password");
    let must = p.checked("must_change_password");
    match in_tx!(st.db, |tx| user::reset_password(
        &mut tx, &me.actor, id, &pw, must
    )
    .await?)
    {
        Ok(()) => Ok(Redirect::to(&format!("/admin/users/{id}?saved=1")).into_response()),
        Err(e) => {
            let input = input_from(&u);
            retry(&st, &me, Some(u), input, e).await
        }
    }
}

fn parse_action(s: &str) -> Result<AdminAction, AppError> {
    match s {
        "activate" => Ok(AdminAction::Activate),
        "deactivate" => Ok(AdminAction::Deactivate),
        "unlock" => Ok(AdminAction::Unlock),
        other => Err(AppError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("未知操作“{other}”。"),
            format!("Unknown action '{other}'."),
        )),
    }
}

async fn action_submit(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    p: Pairs,
) -> Result<Response, AppError> {
    let u = user::get(&st.db, &me.actor, id, Permission::UserRead).await?;
    let action = parse_action(&p.get("action"))?;
    match in_tx!(st.db, |tx| user::admin_action(
        &mut tx, &me.actor, id, action
    )
    .await?)
    {
        Ok(_) => Ok(Redirect::to(&format!("/admin/users/{id}?saved=1")).into_response()),
        Err(e) => {
            let input = input_from(&u);
            retry(&st, &me, Some(u), input, e).await
        }
    }
}

/// A page of users (schema for the OpenAPI document).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct PagedUsers {
    items: Vec<User>,
    total: i64,
    page: i64,
    size: i64,
}

/// Users within the caller's scope, paged.
#[utoipa::path(get, path = "/api/v1/users", tag = "accounts", params(ListQuery), responses((status = 200, body = PagedUsers)))]
async fn api_list(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Paged<User>>> {
    Ok(Json(
        user::list(&st.db, &me.actor, &q.filter(), Page::new(q.page, q.size)).await?,
    ))
}

/// Creates an account (by default it must change its password at first login).
#[utoipa::path(post, path = "/api/v1/users", tag = "accounts", request_body = UserInput, responses((status = 201, body = User), (status = 409), (status = 422)))]
async fn api_create(
    State(st): State<AppState>,
    me: Me,
    Json(input): Json<UserInput>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let u = in_tx!(st.db, |tx| user::create(&mut tx, &me.actor, &input).await?)?;
    Ok((StatusCode::CREATED, Json(u)))
}

/// One account.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "accounts", params(("id" = i64, Path)), responses((status = 200, body = User), (status = 404)))]
async fn api_get(State(st): State<AppState>, me: Me, Path(id): Path<i64>) -> ApiResult<Json<User>> {
    Ok(Json(
        user::get(&st.db, &me.actor, id, Permission::UserRead).await?,
    ))
}

/// Edits name, unit, phone and roles of an account.
#[utoipa::path(put, path = "/api/v1/users/{id}", tag = "accounts", params(("id" = i64, Path)), request_body = UserInput, responses((status = 200, body = User), (status = 404), (status = 422)))]
async fn api_update(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    Json(input): Json<UserInput>,
) -> ApiResult<Json<User>> {
    user::get(&st.db, &me.actor, id, Permission::UserRead).await?;
    Ok(Json(in_tx!(st.db, |tx| user::update(
        &mut tx, &me.actor, id, &input
    )
    .await?)?))
}

/// A new password set by an administrator.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct PasswordReset {
    /// The new password.
    pub password: String,
    /// The user must change it at next login (default true).
    #[serde(default)]
    pub must_change_password: Option<bool>,
}

/// Sets a new password for an account and ends its sessions.
#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "accounts", params(("id" = i64, Path)), request_body = PasswordReset, responses((status = 204), (status = 422)))]
async fn api_password(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    Json(r): Json<PasswordReset>,
) -> ApiResult<StatusCode> {
    user::get(&st.db, &me.actor, id, Permission::UserRead).await?;
    in_tx!(st.db, |tx| user::reset_password(
        &mut tx,
        &me.actor,
        id,
        &r.password,
        r.must_change_password.unwrap_or(true)
    )
    .await?)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Activates, deactivates or unlocks an account (`action` = activate / deactivate / unlock).
#[utoipa::path(post, path = "/api/v1/users/{id}/{action}", tag = "accounts", params(("id" = i64, Path), ("action" = String, Path)), responses((status = 200, body = User), (status = 404)))]
async fn api_action(
    State(st): State<AppState>,
    me: Me,
    Path((id, action)): Path<(i64, String)>,
) -> ApiResult<Json<User>> {
    let action = parse_action(&action)?;
    user::get(&st.db, &me.actor, id, Permission::UserRead).await?;
    Ok(Json(in_tx!(st.db, |tx| user::admin_action(
        &mut tx, &me.actor, id, action
    )
    .await?)?))
}
