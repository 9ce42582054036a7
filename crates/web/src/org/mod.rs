//! The organisation: divisions, units and leaders (pages and API).

pub mod division;
pub mod leader;
pub mod unit;

use crate::AppState;
use axum::Router;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(division::router())
        .merge(unit::router())
        .merge(leader::router())
}
