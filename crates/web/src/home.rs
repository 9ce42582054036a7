//! The home page: live counts within the user's scope, and a chart.

use crate::error::ApiResult;
use crate::session::Me;
use crate::view::{self, Chrome};
use crate::{AppError, AppState};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use gongjian_store::stats::{self, HomeCounts};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(page))
        .route("/api/v1/home", get(api))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    counts: HomeCounts,
    chart_title: String,
    chart_json: String,
}

async fn page(State(st): State<AppState>, me: Me) -> Result<Response, AppError> {
    let counts = stats::home(&st.db, &me.actor).await?;
    let c = Chrome::new(&me, "home", me.lang.t("首页", "Home").to_string());
    let chart_title = chart_title(&counts.users_by_division, me.lang);
    let chart_json = serde_json::json!({
        "names": counts.users_by_division.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        "values": counts.users_by_division.iter().map(|(_, v)| v).collect::<Vec<_>>(),
        "unit": me.lang.t("人", "users"),
    })
    .to_string();
    Ok(view::render(&HomePage {
        c,
        counts,
        chart_title,
        chart_json,
    }))
}

/// Counts for the home page, within the caller's scope.
#[utoipa::path(get, path = "/api/v1/home", tag = "home", responses((status = 200, body = HomeCounts)))]
async fn api(State(st): State<AppState>, me: Me) -> ApiResult<Json<HomeCounts>> {
    Ok(Json(stats::home(&st.db, &me.actor).await?))
}

/// States the chart's finding in words; a tie at the top is said as such.
fn chart_title(rows: &[(String, i64)], l: crate::i18n::Lang) -> String {
    let total: i64 = rows.iter().map(|r| r.1).sum();
    let top = rows.iter().map(|r| r.1).max().unwrap_or(0);
    let leaders: Vec<&str> = rows
        .iter()
        .filter(|r| r.1 == top)
        .map(|r| r.0.as_str())
        .collect();
    match (l, leaders.as_slice()) {
        (crate::i18n::Lang::Zh, [one]) => {
            format!("各县区用户分布：共 {total} 人，{one}最多（{top} 人）")
        }
        (crate::i18n::Lang::Zh, _) => format!(
            "各县区用户分布：共 {total} 人，分布在 {} 个县区，{} 个县区并列最多（各 {top} 人）",
            rows.len(),
            leaders.len()
        ),
        (crate::i18n::Lang::En, [one]) => {
            format!("Users by division: {total} in all, most in {one} ({top})")
        }
        (crate::i18n::Lang::En, _) => format!(
            "Users by division: {total} in {} divisions; {} tie for most ({top} each)",
            rows.len(),
            leaders.len()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn chart_titles_state_the_finding() {
        let rows = vec![("东城区".to_string(), 3), ("西城区".to_string(), 1)];
        assert_eq!(
            chart_title(&rows, Lang::Zh),
            "各县区用户分布：共 4 人，东城区最多（3 人）"
        );
        let tie = vec![("东城区".to_string(), 2), ("西城区".to_string(), 2)];
        assert!(chart_title(&tie, Lang::Zh).contains("2 个县区并列最多"));
    }
}
