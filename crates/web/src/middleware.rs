//! Request middleware: security headers and metrics (`harden`), and resolving the
//! signed-in user with CSRF and first-login checks (`authenticate`).

use crate::AppState;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::session::{Me, Via, cookie};
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::net::SocketAddr;

/// Largest form body read for the CSRF check (forms are small; uploads use their own limits).
const MAX_FORM: usize = 1 << 20;

/// Adds security headers to every response and counts requests.
pub async fn harden(State(st): State<AppState>, req: Request, next: Next) -> Response {
    st.metrics.begin();
    let mut res = next.run(req).await;
    st.metrics.end(res.status());
    let h = res.headers_mut();
    let csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
               connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    res
}

fn client_ip(req: &Request) -> String {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".into(), |c| c.0.ip().to_string())
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// Paths a user who must change the password may still use.
fn allowed_before_password_change(path: &str) -> bool {
    matches!(
        path,
        "/account"
            | "/account/password"
            | "/logout"
            | "/api/v1/session"
            | "/api/v1/me"
            | "/api/v1/me/password"
    ) || path.starts_with("/static/")
        || path.starts_with("/lang/")
}

/// Resolves the session cookie or bearer token into a [`Me`] in the request extensions,
/// then enforces CSRF on state-changing cookie requests and the first-login password change.
pub async fn authenticate(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    let ip = client_ip(&req);
    let lang = Lang::from_headers(req.headers());
    let path = req.uri().path().to_string();
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let resolved = match (&bearer, cookie(req.headers(), "gj_session")) {
        (Some(t), _) => gongjian_store::auth::token_user(&st.db, t)
            .await
            .map(|u| u.map(|u| (u, Via::Bearer, String::new()))),
        (None, Some(c)) => {
            gongjian_store::auth::session(&st.db, &c, st.config.idle_timeout_minutes)
                .await
                .map(|u| u.map(|u| (u, Via::Cookie, c)))
        }
        (None, None) => Ok(None),
    };
    let resolved = match resolved {
        Ok(r) => r,
        Err(e) => return error(AppError::from(e), &path),
    };
    if bearer.is_some() && resolved.is_none() {
        return AppError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "访问令牌无效或已撤销。",
            "The API token is invalid or revoked.",
        )
        .api()
        .into_response();
    }
    if let Some((user, via, token)) = resolved {
        let actor = match gongjian_store::auth::actor(
            &st.db,
            user.user_id,
            &user.username,
            user.unit_id,
            &ip,
        )
        .await
        {
            Ok(a) => a,
            Err(e) => return error(AppError::from(e), &path),
        };
        let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
        if via == Via::Cookie && unsafe_method && path != "/api/v1/session" {
            let (ok, rebuilt) = csrf_ok(req, &user.csrf_token).await;
            req = rebuilt;
            if !ok {
                return error(AppError::csrf(), &path);
            }
        }
        if user.must_change_password && !allowed_before_password_change(&path) {
            if is_api(&path) {
                return AppError::new(
                    StatusCode::FORBIDDEN,
                    "password_change_required",
                    "首次登录须先修改密码。",
                    "You must change your password first.",
                )
                .api()
                .into_response();
            }
            return Redirect::to("/account").into_response();
        }
        req.extensions_mut().insert(Me {
            user,
            actor,
            via,
            session_token: token,
            lang,
        });
    } else {
        req.extensions_mut().insert(lang);
        req.extensions_mut().insert(crate::session::ClientIp(ip));
    }
    next.run(req).await
}

fn error(e: AppError, path: &str) -> Response {
    if is_api(path) {
        e.api().into_response()
    } else {
        e.into_response()
    }
}

/// Checks the CSRF token: the `X-CSRF-Token` header, or the `_csrf` field of a
/// url-encoded form, or `_csrf` in the query (for multipart forms). Returns the request
/// rebuilt when its body had to be read.
async fn csrf_ok(req: Request, expected: &str) -> (bool, Request) {
    let matches =
        |v: &str| !expected.is_empty() && constant_time_eq(v.as_bytes(), expected.as_bytes());
    if let Some(v) = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        return (matches(v), req);
    }
    if let Some(q) = req.uri().query()
        && let Some(v) = form_field(q.as_bytes(), "_csrf")
    {
        return (matches(&v), req);
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return (false, req);
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM).await else {
        return (false, Request::from_parts(parts, Body::empty()));
    };
    let ok = form_field(&bytes, "_csrf").is_some_and(|v| matches(&v));
    (ok, Request::from_parts(parts, Body::from(bytes)))
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Compares secrets without leaking where they differ through timing.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_are_decoded() {
        assert_eq!(
            form_field(b"a=1&_csrf=ab%2Bc+d&z", "_csrf").as_deref(),
            Some("ab+c d")
        );
        assert_eq!(
            form_field(b"name=%E7%A4%BA%E4%BE%8B", "name").as_deref(),
            Some("示例")
        );
        assert_eq!(form_field(b"x=%", "x").as_deref(), Some("%"));
        assert_eq!(form_field(b"x=%4", "x").as_deref(), Some("%4"));
        assert!(form_field(b"x=1", "_csrf").is_none());
    }

    #[test]
    fn secrets_compare() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
