//! Signing in and out, on pages (`/login`) and in the API (`/api/v1/session`), and the
//! [`Me`] extractor that every signed-in handler takes.

use crate::AppState;
use crate::error::{ApiResult, AppError};
use crate::i18n::Lang;
use crate::view::{self, Chrome};
use askama::Template;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use gongjian_store::Actor;
use gongjian_store::auth::{self, LoginError, SessionUser};
use serde::Deserialize;

/// How the request was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Session cookie (CSRF applies).
    Cookie,
    /// `Authorization: Bearer` personal token.
    Bearer,
}

/// The signed-in user of a request.
#[derive(Debug, Clone)]
pub struct Me {
    /// Who, from the session or token.
    pub user: SessionUser,
    /// The actor with resolved access, for store calls.
    pub actor: Actor,
    /// Cookie or bearer.
    pub via: Via,
    /// The session cookie value (empty for bearer).
    pub session_token: String,
    /// UI language.
    pub lang: Lang,
}

/// The client address of an anonymous request.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Me {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Me, Response> {
        if let Some(me) = parts.extensions.get::<Me>() {
            return Ok(me.clone());
        }
        if parts.uri.path().starts_with("/api/") {
            return Err(AppError::unauthenticated().api().into_response());
        }
        let next = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let to = format!(
            "/login?next={}",
            form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        );
        Err(Redirect::to(&to).into_response())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Lang, Self::Rejection> {
        Ok(Lang::from_headers(&parts.headers))
    }
}

/// The value of a cookie.
pub fn cookie(h: &HeaderMap, name: &str) -> Option<String> {
    h.get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn set_cookie(st: &AppState, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let secure = if st.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let age = max_age
        .map(|a| format!("; Max-Age={a}"))
        .unwrap_or_default();
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax{secure}{age}"
    ))
    .expect("cookie is ASCII")
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/lang/{lang}", get(switch_lang))
        .route("/api/v1/session", post(api_login).delete(api_logout))
        .route("/api/v1/me", get(api_me))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    l: Lang,
    csrf: String,
    next: String,
    username: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Only same-site paths are followed after login.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => {
            n.to_string()
        }
        _ => "/".into(),
    }
}

async fn login_page(State(st): State<AppState>, l: Lang, Query(q): Query<NextQuery>) -> Response {
    // Double-submit token: the login form has no session yet.
    let csrf = gongjian_store::random_token();
    let page = LoginPage {
        l,
        csrf: csrf.clone(),
        next: safe_next(q.next.as_deref()),
        username: String::new(),
        error: None,
    };
    let mut res = view::render(&page);
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&st, "gj_pre", &csrf, Some(3600)),
    );
    res
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

fn login_error_text(l: Lang, e: &LoginError) -> String {
    match e {
        LoginError::Invalid => l
            .t("用户名或密码错误。", "Wrong username or password.")
            .to_string(),
        LoginError::Locked(until) => {
            let local =
                until.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"));
            match l {
                Lang::Zh => format!(
                    "登录失败次数过多，账户已锁定至 {}，请稍后再试或联系安全管理员解锁。",
                    local.format("%H:%M")
                ),
                Lang::En => format!(
                    "Too many failed attempts: the account is locked until {} (UTC+8).",
                    local.format("%H:%M")
                ),
            }
        }
    }
}

fn user_agent(h: &HeaderMap) -> String {
    h.get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

async fn login_submit(
    State(st): State<AppState>,
    l: Lang,
    ip: Option<axum::Extension<ClientIp>>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, AppError> {
    let pre = cookie(&headers, "gj_pre").unwrap_or_default();
    if f.csrf.is_empty() || !crate::middleware::constant_time_eq(pre.as_bytes(), f.csrf.as_bytes())
    {
        return Err(AppError::csrf());
    }
    let ip = ip.map_or_else(|| "unknown".into(), |i| i.0.0.clone());
    match auth::login(
        &st.db,
        &f.username,
        &f.password,
        &ip,
        &user_agent(&headers),
        st.config.login,
    )
    .await?
    {
        Ok(s) => {
            st.metrics.login(true);
            let mut res = Redirect::to(&safe_next(f.next.as_deref())).into_response();
            res.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&st, "gj_session", &s.token, None),
            );
            res.headers_mut()
                .append(header::SET_COOKIE, set_cookie(&st, "gj_pre", "", Some(0)));
            Ok(res)
        }
        Err(e) => {
            st.metrics.login(false);
            let page = LoginPage {
                l,
                csrf: f.csrf,
                next: safe_next(f.next.as_deref()),
                username: f.username,
                error: Some(login_error_text(l, &e)),
            };
            Ok((StatusCode::UNAUTHORIZED, view::render(&page)).into_response())
        }
    }
}

async fn logout(State(st): State<AppState>, me: Me) -> Result<Response, AppError> {
    auth::logout(&st.db, &me.actor, &me.session_token).await?;
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&st, "gj_session", "", Some(0)),
    );
    Ok(res)
}

async fn switch_lang(
    State(st): State<AppState>,
    axum::extract::Path(lang): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Response {
    let value = if lang == "en" { "en" } else { "zh" };
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| {
            r.find("://")
                .and_then(|i| r[i + 3..].find('/').map(|j| r[i + 3 + j..].to_string()))
        })
        .unwrap_or_else(|| "/".into());
    let mut res = Redirect::to(&safe_next(Some(&back))).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&st, "gj_lang", value, Some(365 * 24 * 3600)),
    );
    res
}

/// Credentials for `POST /api/v1/session`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct Credentials {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// The signed-in user as the API shows it.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct MeView {
    /// User id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Full name.
    pub name: String,
    /// Unit id.
    pub unit_id: i64,
    /// Unit name.
    pub unit_name: String,
    /// Role identifiers.
    pub roles: Vec<String>,
    /// Granted permission identifiers.
    pub permissions: Vec<String>,
    /// The user must change the password before doing anything else.
    pub must_change_password: bool,
}

impl MeView {
    fn of(user: &SessionUser, actor: &Actor) -> MeView {
        MeView {
            id: user.user_id,
            username: user.username.clone(),
            name: user.name.clone(),
            unit_id: user.unit_id,
            unit_name: user.unit_name.clone(),
            roles: actor.access.roles.clone(),
            permissions: gongjian_domain::access::Permission::ALL
                .iter()
                .filter(|p| actor.access.has(**p))
                .map(|p| p.as_str().to_string())
                .collect(),
            must_change_password: user.must_change_password,
        }
    }
}

/// A new API session.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SessionView {
    /// Who signed in.
    pub user: MeView,
    /// Send as `X-CSRF-Token` with every state-changing request of this session.
    pub csrf_token: String,
}

/// Sign in; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = Credentials,
    responses((status = 200, body = SessionView), (status = 401, description = "wrong credentials or locked")))]
async fn api_login(
    State(st): State<AppState>,
    ip: Option<axum::Extension<ClientIp>>,
    headers: HeaderMap,
    Json(c): Json<Credentials>,
) -> ApiResult<Response> {
    let ip = ip.map_or_else(|| "unknown".into(), |i| i.0.0.clone());
    match auth::login(
        &st.db,
        &c.username,
        &c.password,
        &ip,
        &user_agent(&headers),
        st.config.login,
    )
    .await?
    {
        Ok(s) => {
            st.metrics.login(true);
            let user = auth::session(&st.db, &s.token, st.config.idle_timeout_minutes)
                .await?
                .ok_or_else(AppError::unauthenticated)?;
            let actor =
                auth::actor(&st.db, user.user_id, &user.username, user.unit_id, &ip).await?;
            let body = SessionView {
                user: MeView::of(&user, &actor),
                csrf_token: s.csrf_token,
            };
            let mut res = Json(body).into_response();
            res.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&st, "gj_session", &s.token, None),
            );
            Ok(res)
        }
        Err(e) => {
            st.metrics.login(false);
            let code = if matches!(e, LoginError::Locked(_)) {
                "locked"
            } else {
                "invalid_credentials"
            };
            Err(AppError::new(
                StatusCode::UNAUTHORIZED,
                code,
                login_error_text(Lang::Zh, &e),
                login_error_text(Lang::En, &e),
            )
            .into())
        }
    }
}

/// Sign out: ends the cookie session.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", responses((status = 204)))]
async fn api_logout(State(st): State<AppState>, me: Me) -> ApiResult<Response> {
    auth::logout(&st.db, &me.actor, &me.session_token).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&st, "gj_session", "", Some(0)),
    );
    Ok(res)
}

/// The signed-in user, roles and permissions.
#[utoipa::path(get, path = "/api/v1/me", tag = "session", responses((status = 200, body = MeView), (status = 401)))]
async fn api_me(me: Me) -> Json<MeView> {
    Json(MeView::of(&me.user, &me.actor))
}

/// The page chrome for a signed-in user (used by every page module).
pub fn chrome(me: &Me, active: &'static str, title: String) -> Chrome {
    Chrome::new(me, active, title)
}
