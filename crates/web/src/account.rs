//! The user's own account: change password (forced at first login when an administrator
//! set it) and personal API tokens.

use crate::error::ApiResult;
use crate::session::Me;
use crate::view::{self, Chrome, FormError, Pairs};
use crate::{AppError, AppState, in_tx};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use gongjian_store::auth::{self, ApiToken};
use gongjian_store::user;
use serde::Deserialize;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account", get(page))
        .route("/account/password", post(password_submit))
        .route("/account/tokens", post(token_submit))
        .route("/account/tokens/{id}/revoke", post(revoke_submit))
        .route("/api/v1/me/password", post(api_password))
        .route("/api/v1/tokens", get(api_tokens).post(api_create_token))
        .route("/api/v1/tokens/{id}", delete(api_revoke))
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    c: Chrome,
    must_change: bool,
    tokens: Vec<(ApiToken, String)>,
    new_secret: Option<String>,
    error: Option<FormError>,
    notice: Option<String>,
}

async fn render(
    st: &AppState,
    me: &Me,
    new_secret: Option<String>,
    error: Option<FormError>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let tokens = auth::list_tokens(&st.db, &me.actor)
        .await?
        .into_iter()
        .map(|t| {
            let at = view::fmt_time(&t.created_at);
            (t, at)
        })
        .collect();
    let page = AccountPage {
        c: Chrome::new(me, "account", me.lang.t("我的账户", "My account").into()),
        must_change: me.user.must_change_password,
        tokens,
        new_secret,
        error,
        notice,
    };
    Ok(view::respond(&page, page.error.is_some()))
}

async fn page(State(st): State<AppState>, me: Me) -> Result<Response, AppError> {
    render(&st, &me, None, None, None).await
}

async fn password_submit(
    State(st): State<AppState>,
    me: Me,
    p: Pairs,
) -> Result<Response, AppError> {
    let (old, new, again) = (
        p.get("old_password"),
        p.get("password"),
        p.get("password_again"),
    );
    if new != again {
        let e = FormError {
            text: me
                .lang
                .t("两次输入的新密码不一致。", "The two new passwords differ.")
                .into(),
            field: "password_again".into(),
        };
        return render(&st, &me, None, Some(e), None).await;
    }
    match in_tx!(st.db, |tx| user::change_own_password(
        &mut tx, &me.actor, &old, &new
    )
    .await?)
    {
        Ok(()) if me.user.must_change_password => Ok(Redirect::to("/").into_response()),
        Ok(()) => {
            render(
                &st,
                &me,
                None,
                None,
                Some(me.lang.t("密码已修改。", "Password changed.").into()),
            )
            .await
        }
        Err(e) => {
            render(
                &st,
                &me,
                None,
                Some(FormError::of(&e.into(), me.lang)),
                None,
            )
            .await
        }
    }
}

async fn token_submit(State(st): State<AppState>, me: Me, p: Pairs) -> Result<Response, AppError> {
    match auth::create_token(&st.db, &me.actor, &p.get("name")).await {
        Ok((_, secret)) => render(&st, &me, Some(secret), None, None).await,
        Err(e) => {
            render(
                &st,
                &me,
                None,
                Some(FormError::of(&e.into(), me.lang)),
                None,
            )
            .await
        }
    }
}

async fn revoke_submit(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    auth::revoke_token(&st.db, &me.actor, id).await?;
    Ok(Redirect::to("/account").into_response())
}

/// Changing one's own password.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct PasswordChange {
    /// The current password.
    pub old_password: String,
    /// The new password (policy: 8+ characters from 3 of 4 classes).
    pub password: String,
}

/// Changes the caller's own password.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "session", request_body = PasswordChange, responses((status = 204), (status = 422)))]
async fn api_password(
    State(st): State<AppState>,
    me: Me,
    Json(c): Json<PasswordChange>,
) -> ApiResult<StatusCode> {
    in_tx!(st.db, |tx| user::change_own_password(
        &mut tx,
        &me.actor,
        &c.old_password,
        &c.password
    )
    .await?)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's API tokens (secrets are never shown again).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "session", responses((status = 200, body = [ApiToken])))]
async fn api_tokens(State(st): State<AppState>, me: Me) -> ApiResult<Json<Vec<ApiToken>>> {
    Ok(Json(auth::list_tokens(&st.db, &me.actor).await?))
}

/// A token to create.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct TokenRequest {
    /// What the token is for, e.g. 数据同步脚本.
    pub name: String,
}

/// A created token with its secret, shown this once.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    /// The token.
    pub token: ApiToken,
    /// Send as `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// Creates a personal API token for the caller.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "session", request_body = TokenRequest, responses((status = 201, body = CreatedToken)))]
async fn api_create_token(
    State(st): State<AppState>,
    me: Me,
    Json(r): Json<TokenRequest>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let (token, secret) = auth::create_token(&st.db, &me.actor, &r.name).await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { token, secret })))
}

/// Revokes one of the caller's tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "session", params(("id" = i64, Path)), responses((status = 204), (status = 404)))]
async fn api_revoke(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    auth::revoke_token(&st.db, &me.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
