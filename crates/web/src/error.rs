//! One error type for handlers. Pages show a bilingual error page; the API answers
//! `{"error": {"status", "code", "field", "message", "message_en"}}`. Internal causes are
//! logged, never shown.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gongjian_domain::Msg;
use gongjian_store::StoreError;

/// An error a handler returns.
#[derive(Debug)]
pub struct AppError {
    /// HTTP status.
    pub status: StatusCode,
    /// Machine-readable code.
    pub code: &'static str,
    /// The input field at fault, if any.
    pub field: Option<&'static str>,
    /// What happened and what to do.
    pub msg: Msg,
    /// Whether to answer as JSON (API) or as a page.
    pub json: bool,
}

impl AppError {
    /// An error with a status and message.
    pub fn new(
        status: StatusCode,
        code: &'static str,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> AppError {
        AppError {
            status,
            code,
            field: None,
            msg: Msg::new(zh, en),
            json: false,
        }
    }

    /// Answer this error as JSON.
    pub fn api(mut self) -> AppError {
        self.json = true;
        self
    }

    /// 401: not signed in.
    pub fn unauthenticated() -> AppError {
        AppError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "请先登录。",
            "Please sign in.",
        )
    }

    /// 403: CSRF token missing or wrong.
    pub fn csrf() -> AppError {
        AppError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "页面已过期或来源不明（缺少安全令牌），请刷新页面后重试。",
            "Missing or invalid CSRF token; reload the page and try again.",
        )
    }

    /// 400 for malformed input caught before the domain.
    pub fn bad_request(zh: impl Into<String>, en: impl Into<String>) -> AppError {
        AppError::new(StatusCode::BAD_REQUEST, "bad_request", zh, en)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match e {
            StoreError::Invalid(d) => AppError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid",
                field: Some(d.field),
                msg: d.msg,
                json: false,
            },
            StoreError::Conflict(d) => AppError {
                status: StatusCode::CONFLICT,
                code: "conflict",
                field: Some(d.field),
                msg: d.msg,
                json: false,
            },
            StoreError::NotFound(m) => AppError {
                status: StatusCode::NOT_FOUND,
                code: "not_found",
                field: None,
                msg: m,
                json: false,
            },
            StoreError::Denied(d) => AppError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!("您没有“{}”权限。如需办理，请联系安全管理员。", d.0.zh()),
                format!("You lack the permission '{}'.", d.0.as_str()),
            ),
            other => {
                tracing::error!(error = %other, "internal error");
                AppError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "系统内部错误，已记录。请稍后重试，或联系管理员。",
                    "Internal error; it was logged. Try again later.",
                )
            }
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if self.json {
            let body = serde_json::json!({"error": {
                "status": self.status.as_u16(), "code": self.code, "field": self.field,
                "message": self.msg.zh, "message_en": self.msg.en,
            }});
            (self.status, axum::Json(body)).into_response()
        } else {
            crate::view::error_page(self.status, &self.msg).into_response()
        }
    }
}

/// Result of API handlers: errors answer as JSON.
pub type ApiResult<T> = Result<T, ApiError>;

/// An [`AppError`] that always answers as JSON.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> ApiError {
        ApiError(e.into().api())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.api().into_response()
    }
}
