//! Accounts and roles (the security administrator's pages), pages and API.

pub mod role;
pub mod user;

use crate::AppState;
use axum::Router;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().merge(user::router()).merge(role::router())
}
