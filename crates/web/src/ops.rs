//! Operations: `/healthz` (alive), `/readyz` (database reachable and migrated) and
//! `/metrics` (Prometheus text format).

use crate::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

/// Counters exported at `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    in_flight: AtomicI64,
    by_class: [AtomicU64; 5],
    logins_ok: AtomicU64,
    logins_failed: AtomicU64,
}

impl Metrics {
    /// A request started.
    pub fn begin(&self) {
        self.in_flight.fetch_add(1, Relaxed);
    }

    /// A request ended with `status`.
    pub fn end(&self, status: StatusCode) {
        self.in_flight.fetch_sub(1, Relaxed);
        let class = (status.as_u16() / 100).clamp(1, 5) as usize - 1;
        self.by_class[class].fetch_add(1, Relaxed);
    }

    /// A login attempt ended.
    pub fn login(&self, ok: bool) {
        if ok {
            &self.logins_ok
        } else {
            &self.logins_failed
        }
        .fetch_add(1, Relaxed);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut s = String::new();
        s.push_str("# HELP gongjian_http_requests_total HTTP requests served, by status class.\n# TYPE gongjian_http_requests_total counter\n");
        for (i, c) in self.by_class.iter().enumerate() {
            s.push_str(&format!(
                "gongjian_http_requests_total{{class=\"{}xx\"}} {}\n",
                i + 1,
                c.load(Relaxed)
            ));
        }
        s.push_str("# HELP gongjian_http_requests_in_flight Requests being served.\n# TYPE gongjian_http_requests_in_flight gauge\n");
        s.push_str(&format!(
            "gongjian_http_requests_in_flight {}\n",
            self.in_flight.load(Relaxed)
        ));
        s.push_str("# HELP gongjian_logins_total Login attempts, by result.\n# TYPE gongjian_logins_total counter\n");
        s.push_str(&format!(
            "gongjian_logins_total{{result=\"ok\"}} {}\n",
            self.logins_ok.load(Relaxed)
        ));
        s.push_str(&format!(
            "gongjian_logins_total{{result=\"failed\"}} {}\n",
            self.logins_failed.load(Relaxed)
        ));
        s
    }
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

async fn readyz(State(st): State<AppState>) -> impl IntoResponse {
    if !st.db.ping().await {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "database unreachable".to_string(),
        );
    }
    match gongjian_store::migrate::current_version(&st.db).await {
        Ok(v) if v == gongjian_store::migrate::latest_version() => (
            StatusCode::OK,
            format!("ready ({}, schema {v})", st.db.engine()),
        ),
        Ok(v) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "schema {v}, expected {}: run `gongjian migrate`",
                gongjian_store::migrate::latest_version()
            ),
        ),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "schema unreadable".to_string(),
        ),
    }
}

async fn metrics(State(st): State<AppState>) -> impl IntoResponse {
    let mut text = st.metrics.render();
    if let Some(w) = st.db.write_stats() {
        text.push_str(&format!(
            "# HELP gongjian_sqlite_write_transactions_total Write transactions committed on SQLite.\n# TYPE gongjian_sqlite_write_transactions_total counter\n\
             gongjian_sqlite_write_transactions_total {}\n\
             # HELP gongjian_sqlite_commits_total SQLite commits that made them durable (fewer when grouped).\n# TYPE gongjian_sqlite_commits_total counter\n\
             gongjian_sqlite_commits_total {}\n\
             # HELP gongjian_sqlite_write_queue Write transactions waiting for the writer.\n# TYPE gongjian_sqlite_write_queue gauge\n\
             gongjian_sqlite_write_queue {}\n",
            w.transactions, w.commits, w.queued
        ));
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}
