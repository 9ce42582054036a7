//! The gongjian web application: server-rendered Chinese pages, the JSON API under
//! `/api/v1`, sessions, CSRF protection and operations endpoints.
//!
//! Each feature is a module exporting `router()`; pages and API handlers of a feature
//! live together and call the same store functions, so both see the same data scope.

pub mod account;
pub mod admin;
pub mod arena;
pub mod arena_form;
pub mod arena_lists;
pub mod assets;
pub mod audit;
pub mod bulletin;
pub mod campaign;
pub mod cockpit;
pub mod error;
pub mod home;
pub mod i18n;
pub mod meeting;
pub mod middleware;
pub mod openapi;
pub mod ops;
pub mod org;
pub mod project;
pub mod report;
pub mod session;
pub mod supervise;
pub mod view;

use axum::Router;
use gongjian_store::Db;
use gongjian_store::auth::LoginPolicy;
use std::net::SocketAddr;
use std::sync::Arc;

pub use error::AppError;
pub use session::Me;

/// Settings of the web application.
#[derive(Debug, Clone)]
pub struct Config {
    /// Sessions idle longer than this end (minutes).
    pub idle_timeout_minutes: i64,
    /// Login throttling.
    pub login: LoginPolicy,
    /// Mark cookies `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            idle_timeout_minutes: 30,
            login: LoginPolicy::default(),
            secure_cookies: false,
        }
    }
}

/// Shared state of every request.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// Settings.
    pub config: Arc<Config>,
    /// Request counters for `/metrics`.
    pub metrics: Arc<ops::Metrics>,
}

impl AppState {
    /// State over a database with the given settings.
    pub fn new(db: Db, config: Config) -> AppState {
        AppState {
            db,
            config: Arc::new(config),
            metrics: Arc::default(),
        }
    }
}

/// The whole application.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(session::router())
        .merge(home::router())
        .merge(org::router())
        .merge(project::router())
        .merge(report::router())
        .merge(meeting::router())
        .merge(supervise::router())
        .merge(arena::router())
        .merge(arena_form::router())
        .merge(arena_lists::router())
        .merge(bulletin::router())
        .merge(campaign::router())
        .merge(cockpit::router())
        .merge(admin::router())
        .merge(audit::router())
        .merge(account::router())
        .merge(openapi::router())
        .merge(ops::router())
        .merge(assets::router())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::authenticate,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::harden,
        ))
        .with_state(state)
}

/// Serves the application until `shutdown` resolves, then finishes requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = app(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
