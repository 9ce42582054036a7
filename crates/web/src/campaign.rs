//! Campaigns (攻坚战): the list, and a campaign's page — the leading group and member
//! units, the four clarities, the projects with their lights and next milestones, each
//! indicator's chain of weekly, monthly, quarterly and yearly targets with what is
//! endangered and why, the tasks issued for it, and the weekly entry of the task forces.

use crate::session::Me;
use crate::view::{self, Chrome, FormError, Pairs};
use crate::{AppError, AppState, in_tx};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use gongjian_domain::access::Permission;
use gongjian_domain::campaign::Level;
use gongjian_store::StoreError;
use gongjian_store::campaign::{self as cs, Campaign, Detail};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/campaigns", get(list_page))
        .route("/campaigns/{code}", get(page).post(enter_submit))
        .route("/api/v1/campaigns/{code}", get(api))
}

#[derive(Template)]
#[template(path = "campaigns.html")]
struct ListPage {
    c: Chrome,
    campaigns: Vec<Campaign>,
}

async fn list_page(State(st): State<AppState>, me: Me) -> Result<Response, AppError> {
    me.actor
        .access
        .require(Permission::ProjectRead)
        .map_err(StoreError::from)?;
    let page = ListPage {
        c: Chrome::new(&me, "campaigns", me.lang.t("攻坚战", "Campaigns").into()),
        campaigns: cs::list(&st.db).await?,
    };
    Ok(view::render(&page))
}

/// One row of an indicator's chain table.
struct Row {
    level: &'static str,
    label: String,
    target: i64,
    done: i64,
    projected: i64,
    shortfall: i64,
    closed: bool,
    current: bool,
}

/// An indicator with its chain rows and whether the user may enter its weekly value.
struct IndView {
    i: gongjian_store::campaign::IndicatorView,
    rows: Vec<Row>,
    can_enter: bool,
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct CampaignPage {
    c: Chrome,
    d: Detail,
    inds: Vec<IndView>,
    error: Option<FormError>,
}

fn rows(d: &Detail, i: usize) -> Vec<Row> {
    let ind = &d.indicators[i];
    ind.standings
        .iter()
        .map(|s| {
            let (level, label, current) = match s.level {
                Level::Week => {
                    let n: u32 = s.key.parse().unwrap_or(0);
                    let w = d.weeks.iter().find(|w| w.0 == n);
                    (
                        "week",
                        match w {
                            Some(w) => format!(
                                "第{n}周（{}—{}）",
                                w.1.format("%-m.%-d"),
                                w.2.format("%-m.%-d")
                            ),
                            None => format!("第{n}周"),
                        },
                        d.this_week == Some(n),
                    )
                }
                Level::Month => ("month", s.key.clone(), false),
                Level::Quarter => ("quarter", s.key.clone(), false),
                Level::Year => ("year", "全期".to_string(), false),
            };
            Row {
                level,
                label,
                target: s.target,
                done: s.done,
                projected: s.projected,
                shortfall: s.shortfall,
                closed: s.closed,
                current,
            }
        })
        .collect()
}

async fn render(
    st: &AppState,
    me: &Me,
    code: &str,
    error: Option<FormError>,
) -> Result<Response, AppError> {
    let d = cs::detail(&st.db, &me.actor, code, gongjian_store::today()).await?;
    let admin = me.actor.access.has(Permission::TaskAdmin);
    let write = me.actor.access.has(Permission::TaskWrite);
    let my_unit = me.actor.unit_id;
    let inds = (0..d.indicators.len())
        .map(|i| IndView {
            rows: rows(&d, i),
            can_enter: admin || (write && Some(d.indicators[i].unit_id) == my_unit),
            i: d.indicators[i].clone(),
        })
        .collect();
    let failed = error.is_some();
    let page = CampaignPage {
        c: Chrome::new(me, "campaigns", d.campaign.name.clone()),
        inds,
        error,
        d,
    };
    Ok(view::respond(&page, failed))
}

async fn page(
    State(st): State<AppState>,
    me: Me,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    render(&st, &me, &code, None).await
}

async fn enter_submit(
    State(st): State<AppState>,
    me: Me,
    Path(code): Path<String>,
    p: Pairs,
) -> Result<Response, AppError> {
    let (ind, week, value, note) = (
        p.get("indicator"),
        p.get("week"),
        p.get("value"),
        p.get("note"),
    );
    let r = in_tx!(st.db, |tx| {
        cs::enter(
            &mut tx,
            &me.actor,
            &code,
            &ind,
            &week,
            &value,
            &note,
            gongjian_store::today(),
        )
        .await?;
    });
    match r.map_err(AppError::from) {
        Ok(()) => Ok(Redirect::to(&format!("/campaigns/{code}#i-{ind}")).into_response()),
        Err(e) if e.field.is_some() => {
            render(&st, &me, &code, Some(FormError::of(&e, me.lang))).await
        }
        Err(e) => Err(e),
    }
}

/// A campaign with where each indicator stands.
#[utoipa::path(get, path = "/api/v1/campaigns/{code}", tag = "campaigns", params(("code" = String, Path)), responses((status = 200, description = "the campaign, its leading group, units, projects, indicators with their chained targets, standings and warnings, and its tasks"), (status = 404)))]
async fn api(
    State(st): State<AppState>,
    me: Me,
    Path(code): Path<String>,
) -> Result<Json<Detail>, AppError> {
    Ok(Json(
        cs::detail(&st.db, &me.actor, &code, gongjian_store::today()).await?,
    ))
}
