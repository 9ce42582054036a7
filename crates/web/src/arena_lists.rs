//! What stands behind a score and across the year: the projects, problems or tasks that
//! make up a computed indicator, and the annual leaderboard of the published months
//! (signed in and public).

use crate::arena::{sees_behind, stored_or_live};
use crate::session::Me;
use crate::view::{self, Chrome};
use crate::{AppError, AppState};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use gongjian_domain::access::Permission;
use gongjian_domain::arena::Period;
use gongjian_store::StoreError;
use gongjian_store::arena::{self as ar, Arena};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/arenas/{code}/annual", get(annual_page))
        .route("/public/arenas/{code}/annual/{year}", get(public_annual))
        .route(
            "/arenas/{code}/{period}/{unit}/items/{indicator}",
            get(items_page),
        )
}

#[derive(Template)]
#[template(path = "arena_items.html")]
struct ItemsPage {
    c: Chrome,
    a: Arena,
    period: String,
    period_zh: String,
    part: ar::Participant,
    indicator: String,
    /// What the figure means.
    meaning: String,
    /// The participant's component line, when scored.
    line: Option<ar::ComponentOut>,
    items: Vec<ar::ItemLine>,
    counted: usize,
}

/// The projects, problems or tasks behind one computed indicator of a participant.
async fn items_page(
    State(st): State<AppState>,
    me: Me,
    Path((code, period, unit, indicator)): Path<(String, String, String, String)>,
) -> Result<Response, AppError> {
    me.actor
        .access
        .require(Permission::ProjectRead)
        .map_err(StoreError::from)?;
    let a = ar::by_code(&st.db, &code).await?;
    let pd = Period::parse(&period).map_err(StoreError::from)?;
    let parts = ar::participants(&st.db, a.id).await?;
    let part = parts
        .into_iter()
        .find(|x| x.code == unit)
        .ok_or_else(|| StoreError::not_found("参赛单位", "participant", &unit))?;
    if !sees_behind(&me, &part) {
        return Err(
            StoreError::Denied(gongjian_domain::access::Denied(Permission::ProjectRead)).into(),
        );
    }
    let rule = ar::rule_for(&st.db, a.id, pd).await?;
    let def = rule
        .indicators
        .iter()
        .find(|i| i.rule.code == indicator)
        .ok_or_else(|| StoreError::not_found("指标", "indicator", &indicator))?;
    let measure = match &def.source {
        ar::Source::Measure { measure } => *measure,
        ar::Source::Entered { .. } => {
            return Err(StoreError::not_found("指标明细", "indicator items", &indicator).into());
        }
    };
    let items = ar::items_behind(&st.db, &part, measure, pd).await?;
    let r = stored_or_live(&st, &a, pd).await?;
    let line = r
        .participants
        .iter()
        .find(|p| p.code == part.code)
        .and_then(|p| p.components.iter().find(|c| c.indicator == indicator))
        .cloned();
    Ok(view::render(&ItemsPage {
        c: Chrome::new(&me, "arenas", format!("{} · {}", def.rule.name, part.name)),
        period: pd.key(),
        period_zh: pd.zh(),
        indicator: def.rule.name.clone(),
        meaning: measure.zh().to_string(),
        counted: items.iter().filter(|i| i.counted).count(),
        line,
        items,
        part,
        a,
    }))
}

#[derive(Template)]
#[template(path = "arena_annual.html")]
struct AnnualPage {
    c: Chrome,
    l: crate::i18n::Lang,
    b: ar::AnnualBoard,
}

#[derive(Debug, Default, serde::Deserialize)]
struct YearQuery {
    year: Option<String>,
}

/// The annual leaderboard: published monthly scores of a year summed.
async fn annual_page(
    State(st): State<AppState>,
    me: Me,
    Path(code): Path<String>,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    me.actor
        .access
        .require(Permission::ProjectRead)
        .map_err(StoreError::from)?;
    let year = match q.year.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(y) => y.parse::<i32>().map_err(|_| {
            StoreError::Invalid(gongjian_domain::DomainError::new(
                "year",
                format!("年度“{y}”应为四位数字，如 2026。"),
                format!("the year '{y}' must be four digits, e.g. 2026"),
            ))
        })?,
        None => gongjian_domain::project::year_month(gongjian_store::today()).0,
    };
    let b = ar::annual(&st.db, &code, year).await?;
    Ok(view::render(&AnnualPage {
        c: Chrome::new(&me, "arenas", format!("{} · {year}", b.name)),
        l: me.lang,
        b,
    }))
}

#[derive(Template)]
#[template(path = "public_annual.html")]
struct PublicAnnual {
    l: crate::i18n::Lang,
    b: ar::AnnualBoard,
}

/// The annual leaderboard for the public: built only from published months.
async fn public_annual(
    State(st): State<AppState>,
    l: crate::i18n::Lang,
    Path((code, year)): Path<(String, i32)>,
) -> Result<Response, AppError> {
    let b = ar::annual(&st.db, &code, year).await?;
    if b.months.is_empty() {
        return Err(StoreError::not_found(
            "年度积分榜",
            "annual leaderboard",
            format!("{code} {year}"),
        )
        .into());
    }
    Ok(view::render(&PublicAnnual { l, b }))
}
