//! The leaders' cockpit (驾驶舱) and its big-screen mode (大屏): investment against the
//! time-proportional curve, lights by division, an arena's leaderboard with flags, the
//! problem funnel, overdue problems by department and a map of the divisions coloured by
//! light. Every chart states its finding in its title and drills down to the list
//! behind it. Chart options are built here; `app.js` only draws them.

use crate::session::Me;
use crate::view::{self, Chrome, FormError};
use crate::{AppError, AppState, in_tx};
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use gongjian_domain::access::Permission;
use gongjian_domain::progress::{Light, pct};
use gongjian_store::arena::{self as ar, ArenaResult};
use gongjian_store::report::{self as rs, Group};
use gongjian_store::{StoreError, cockpit, problem};
use serde::Deserialize;
use serde_json::{Value, json};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cockpit", get(page))
        .route("/cockpit/screen", get(screen))
        .route("/cockpit/map.geojson", get(map_file))
        .route(
            "/cockpit/map",
            axum::routing::post(map_upload)
                .layer(DefaultBodyLimit::max(cockpit::MAX_MAP + 64 * 1024)),
        )
        .route("/api/v1/cockpit", get(api))
}

#[cfg(test)]
mod tests {
    #[test]
    fn key_figures_switch_to_yi_from_one_yi() {
        assert_eq!(super::yi(185_803_110_000), "1,858.03 亿元");
        assert_eq!(super::yi(99_990_000), "9,999.00 万元");
        assert_eq!(super::yi(100_000_000), "1.00 亿元");
    }
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct CockpitQuery {
    /// Month `YYYY-MM` (default: the newest closed reporting period).
    period: Option<String>,
    /// Arena code for the leaderboard (default: the first with a published result).
    arena: Option<String>,
}

/// One chart: its title (the finding in words), an anchor and the ECharts option.
pub struct Chart {
    id: &'static str,
    title: String,
    /// JSON for `data-chart`: `{option, links, map}`.
    spec: String,
    /// The list behind it.
    list: String,
}

/// Key figures for the top of the page.
pub struct Kpi {
    label: &'static str,
    value: String,
    href: String,
}

struct Cockpit {
    period: String,
    periods: Vec<String>,
    kpis: Vec<Kpi>,
    charts: Vec<Chart>,
    arenas: Vec<(String, String)>,
    arena: String,
    raw: Value,
}

fn wan_f(yuan: i64) -> f64 {
    (yuan as f64 / 100.0).round() / 100.0
}

/// A large amount for a key figure: 亿元 with two decimals from 1 亿 up, else 万元.
fn yi(yuan: i64) -> String {
    if yuan.abs() >= 100_000_000 {
        // 亿元 are 万元 of 万元: the 万元 text of yuan ÷ 10⁴ (rounded) reads in 亿.
        let v = gongjian_domain::money::wan_grouped((yuan + 5_000).div_euclid(10_000));
        format!("{v} 亿元")
    } else {
        format!("{} 万元", gongjian_domain::money::wan_grouped(yuan))
    }
}

fn light_color(l: Light) -> &'static str {
    match l {
        Light::Green => "#2e7d32",
        Light::Yellow => "#f9a825",
        Light::Red => "#c62828",
        Light::None => "#9e9e9e",
    }
}

/// The arenas with a published result, and the chosen one's result for the month: the
/// month itself if published, else the quarter, half or year holding it, else the
/// newest published period ending before it.
async fn pick_arena(
    st: &AppState,
    wanted: Option<&str>,
    year: i32,
    month: u32,
) -> Result<(Vec<(String, String)>, Option<ArenaResult>), StoreError> {
    use gongjian_domain::arena::Period;
    let holding = [
        Period::Month(year, month),
        Period::Quarter(year, month.div_ceil(3)),
        Period::Half(year, if month <= 6 { 1 } else { 2 }),
        Period::Year(year),
    ]
    .map(|p| p.key());
    let end = |key: &str| Period::parse(key).ok().map(|p| (p.year(), p.end_month()));
    let mut names = Vec::new();
    let mut chosen = None;
    for a in ar::list(&st.db).await? {
        let mut periods = ar::published_periods(&st.db, a.id).await?;
        periods.retain(|p| end(p).is_some_and(|e| e <= (year, month)) || holding.contains(p));
        periods.sort_by_key(|p| {
            (
                holding.iter().position(|h| h == p).unwrap_or(usize::MAX),
                std::cmp::Reverse(end(p)),
            )
        });
        if let Some(p) = periods.first() {
            names.push((a.code.clone(), a.name.clone()));
            let want = wanted.is_none_or(|w| w == a.code);
            if chosen.is_none() && want {
                chosen = ar::published(&st.db, &a.code, p).await?.map(|(_, r)| r);
            }
        }
    }
    Ok((names, chosen))
}

async fn gather(st: &AppState, me: &Me, q: &CockpitQuery) -> Result<Cockpit, AppError> {
    me.actor
        .access
        .require(Permission::ProjectRead)
        .map_err(StoreError::from)?;
    let (y, m) = crate::bulletin::period(&st.db, q.period.as_deref()).await?;
    let key = format!("{y}-{m:02}");
    let today = gongjian_store::today();
    let mut charts = Vec::new();

    // 1. The year's investment against the time-proportional curve.
    let curve = cockpit::curve(&st.db, &me.actor, y).await?;
    let now = curve.iter().find(|c| c.month == m);
    let ratio = now.and_then(|c| gongjian_domain::progress::rate_bp(c.cumulative, c.target));
    charts.push(Chart {
        id: "curve",
        title: match (now, ratio) {
            (Some(c), Some(r)) => format!(
                "{y}年1—{m}月累计完成投资{}万元，序时目标{}万元，完成序时进度的{}",
                gongjian_domain::money::wan_grouped(c.cumulative),
                gongjian_domain::money::wan_grouped(c.target),
                pct(r)
            ),
            _ => format!("{y}年投资完成与序时进度（{m}月尚未计算红黄绿灯）"),
        },
        spec: json!({
            "option": {
                "tooltip": {"trigger": "axis"},
                "legend": {"top": 0},
                "grid": {"left": 70, "right": 20, "top": 36, "bottom": 30},
                "xAxis": {"type": "category", "data": curve.iter().map(|c| format!("{}月", c.month)).collect::<Vec<_>>()},
                "yAxis": {"type": "value", "name": "万元"},
                "series": [
                    {"type": "bar", "name": "累计完成投资", "data": curve.iter().map(|c| wan_f(c.cumulative)).collect::<Vec<_>>(), "itemStyle": {"color": "#1d5fd0"}},
                    {"type": "line", "name": "序时进度目标", "data": curve.iter().map(|c| wan_f(c.target)).collect::<Vec<_>>(), "itemStyle": {"color": "#d9480f"}, "lineStyle": {"type": "dashed"}},
                    {"type": "line", "name": "年度计划", "data": curve.iter().map(|c| wan_f(c.annual)).collect::<Vec<_>>(), "itemStyle": {"color": "#7b8794"}, "symbol": "none"}
                ]
            },
            "links": curve.iter().map(|c| format!("/lights?period={y}-{:02}", c.month)).collect::<Vec<_>>(),
        })
        .to_string(),
        list: format!("/lights?period={key}"),
    });

    // 2. Lights by division.
    let (mut groups, direct) = rs::division_groups(&st.db, &me.actor, y, m, None).await?;
    if let Some(mut d) = direct {
        d.name = format!("{}本级", d.name);
        d.has_children = false;
        groups.push(d);
    }
    let counts = groups.iter().fold([0i64; 4], |mut a, g| {
        for (x, n) in a.iter_mut().zip(g.totals.lights) {
            *x += n;
        }
        a
    });
    let link = |g: &Group| format!("/lights?period={key}&division={}#projects", g.key);
    charts.push(Chart {
        id: "lights",
        title: format!(
            "{m}月红黄绿灯：绿灯{}个、黄灯{}个、红灯{}个（分县区）",
            counts[0], counts[1], counts[2]
        ),
        spec: json!({
            "option": {
                "tooltip": {"trigger": "axis"},
                "legend": {"top": 0},
                "grid": {"left": 50, "right": 20, "top": 36, "bottom": 70},
                "xAxis": {"type": "category", "data": groups.iter().map(|g| g.name.clone()).collect::<Vec<_>>(), "axisLabel": {"interval": 0, "rotate": 30}},
                "yAxis": {"type": "value", "name": "个", "minInterval": 1},
                "series": [
                    {"type": "bar", "stack": "l", "name": "绿灯", "data": groups.iter().map(|g| g.totals.lights[0]).collect::<Vec<_>>(), "itemStyle": {"color": light_color(Light::Green)}},
                    {"type": "bar", "stack": "l", "name": "黄灯", "data": groups.iter().map(|g| g.totals.lights[1]).collect::<Vec<_>>(), "itemStyle": {"color": light_color(Light::Yellow)}},
                    {"type": "bar", "stack": "l", "name": "红灯", "data": groups.iter().map(|g| g.totals.lights[2]).collect::<Vec<_>>(), "itemStyle": {"color": light_color(Light::Red)}}
                ]
            },
            "links": groups.iter().map(link).collect::<Vec<_>>(),
        })
        .to_string(),
        list: format!("/lights?period={key}"),
    });

    // 3. The arena leaderboard with flags (newest published period).
    let (arenas, result) = pick_arena(st, q.arena.as_deref(), y, m).await?;
    let arena_code = result.as_ref().map(|r| r.arena.clone()).unwrap_or_default();
    if let Some(r) = &result {
        let mut ps = r.participants.clone();
        ps.sort_by(|a, b| b.rank.cmp(&a.rank).then(b.name.cmp(&a.name)));
        let flag_color = |f: &Option<String>| match f.as_deref() {
            Some("red") => "#c62828",
            Some("yellow") => "#f9a825",
            Some("black") => "#37474f",
            _ => "#1d5fd0",
        };
        let first = r.participants.iter().find(|p| p.rank == 1);
        let reds = r
            .participants
            .iter()
            .filter(|p| p.flag.as_deref() == Some("red"))
            .count();
        let yellows = r
            .participants
            .iter()
            .filter(|p| matches!(p.flag.as_deref(), Some("yellow") | Some("black")))
            .count();
        charts.push(Chart {
            id: "arena",
            title: format!(
                "{}（{}）：{}第一（{}分），红旗{reds}个、黄旗{yellows}个",
                r.name,
                r.period,
                first.map_or("—", |p| p.name.as_str()),
                first.map_or("—", |p| p.score.as_str()),
            ),
            spec: json!({
                "option": {
                    "tooltip": {"trigger": "axis"},
                    "grid": {"left": 10, "right": 50, "top": 10, "bottom": 20, "containLabel": true},
                    "xAxis": {"type": "value", "name": "分"},
                    "yAxis": {"type": "category", "data": ps.iter().map(|p| format!("{} {}", p.rank, p.name)).collect::<Vec<_>>()},
                    "series": [{"type": "bar", "name": "得分", "label": {"show": true, "position": "right"},
                        "data": ps.iter().map(|p| json!({"value": p.score_milli as f64 / 1000.0, "itemStyle": {"color": flag_color(&p.flag)}})).collect::<Vec<_>>()}]
                },
                "links": ps.iter().map(|p| format!("/arenas/{}/{}/{}", r.arena, r.period, p.code)).collect::<Vec<_>>(),
            })
            .to_string(),
            list: format!("/arenas/{}?period={}", r.arena, r.period),
        });
    }

    // 4. The problem funnel and 5. overdue problems by department.
    let funnel = problem::funnel(&st.db, &me.actor, today).await?;
    let n = |k: &str| funnel.iter().find(|f| f.0 == k).map_or(0, |f| f.1);
    let total: i64 = funnel
        .iter()
        .filter(|f| f.0 != "overdue")
        .map(|f| f.1)
        .sum();
    let replied = n("replied") + n("solved") + n("closed");
    let stages = [
        ("已提出", total, "/problems".to_string()),
        ("已答复", replied, "/problems?status=replied".to_string()),
        (
            "已解决",
            n("solved") + n("closed"),
            "/problems?status=solved".to_string(),
        ),
        ("已销号", n("closed"), "/problems?status=closed".to_string()),
    ];
    charts.push(Chart {
        id: "funnel",
        title: format!(
            "问题办理：提出{total}个，已答复{replied}个，已销号{}个，逾期未办{}个",
            n("closed"),
            n("overdue")
        ),
        spec: json!({
            "option": {
                "tooltip": {"trigger": "item"},
                "series": [{"type": "funnel", "sort": "none", "left": "10%", "width": "80%", "minSize": "10%",
                    "label": {"show": true, "position": "inside", "formatter": "{b}：{c}", "color": "#fff", "fontSize": 14},
                    "data": stages.iter().zip(["#1d5fd0", "#2f7fd8", "#2e7d32", "#37474f"]).map(|(s, c)| json!({"name": s.0, "value": s.1, "itemStyle": {"color": c}})).collect::<Vec<_>>()}]
            },
            "links": stages.iter().map(|s| s.2.clone()).collect::<Vec<_>>(),
        })
        .to_string(),
        list: "/problems/board".into(),
    });
    let mut stats: Vec<_> = problem::unit_stats(&st.db, &me.actor, today)
        .await?
        .into_iter()
        .filter(|s| s.overdue > 0)
        .collect();
    stats.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(a.unit.cmp(&b.unit)));
    stats.truncate(12);
    stats.reverse();
    charts.push(Chart {
        id: "overdue",
        title: match stats.last() {
            Some(s) => format!("逾期未办问题：{}个单位有逾期，{}最多（{}个）", stats.len(), s.unit, s.overdue),
            None => "逾期未办问题：没有单位有逾期问题".to_string(),
        },
        spec: json!({
            "option": {
                "tooltip": {"trigger": "axis"},
                "grid": {"left": 10, "right": 40, "top": 10, "bottom": 20, "containLabel": true},
                "xAxis": {"type": "value", "name": "个", "minInterval": 1},
                "yAxis": {"type": "category", "data": stats.iter().map(|s| s.unit.clone()).collect::<Vec<_>>()},
                "series": [{"type": "bar", "name": "逾期未办", "barMaxWidth": 28, "label": {"show": true, "position": "right"}, "itemStyle": {"color": "#c62828"},
                    "data": stats.iter().map(|s| s.overdue).collect::<Vec<_>>()}]
            },
            "links": stats.iter().map(|s| format!("/problems?unit_id={}&overdue=true", s.unit_id)).collect::<Vec<_>>(),
            "empty": if stats.is_empty() { "没有逾期问题" } else { "" },
        })
        .to_string(),
        list: "/problems?overdue=true".into(),
    });

    // 6. The map of divisions coloured by light.
    if cockpit::map(&st.db).await?.is_some() {
        let level = |l: Light| match l {
            Light::Green => 1,
            Light::Yellow => 2,
            Light::Red => 3,
            Light::None => 0,
        };
        let reds: Vec<&str> = groups
            .iter()
            .filter(|g| g.light == Light::Red)
            .map(|g| g.name.as_str())
            .collect();
        charts.push(Chart {
            id: "map",
            title: if reds.is_empty() {
                format!("{m}月各县区亮灯地图：没有县区整体亮红灯")
            } else {
                format!("{m}月各县区亮灯地图：{}整体亮红灯", reds.join("、"))
            },
            spec: json!({
                "map": "/cockpit/map.geojson",
                "option": {
                    "tooltip": {"trigger": "item", "formatter": "{b}"},
                    "visualMap": {"type": "piecewise", "left": 10, "bottom": 10, "pieces": [
                        {"value": 1, "label": "绿灯", "color": light_color(Light::Green)},
                        {"value": 2, "label": "黄灯", "color": light_color(Light::Yellow)},
                        {"value": 3, "label": "红灯", "color": light_color(Light::Red)},
                        {"value": 0, "label": "无计划", "color": light_color(Light::None)}
                    ]},
                    "series": [{"type": "map", "map": "divisions", "roam": false, "label": {"show": true},
                        "data": groups.iter().map(|g| json!({"name": g.name, "value": level(g.light)})).collect::<Vec<_>>()}]
                },
                "name_links": groups.iter().map(|g| (g.name.clone(), Value::String(link(g)))).collect::<serde_json::Map<_, _>>(),
            })
            .to_string(),
            list: format!("/lights?period={key}"),
        });
    }

    let all = groups
        .iter()
        .fold(gongjian_domain::progress::Totals::default(), |mut t, g| {
            t.merge(&g.totals);
            t
        });
    let kpis = vec![
        Kpi {
            label: "重点项目",
            value: format!("{} 个", all.projects),
            href: format!("/lights?period={key}"),
        },
        Kpi {
            label: "年度计划",
            value: yi(all.annual),
            href: format!("/lights?period={key}"),
        },
        Kpi {
            label: "累计完成",
            value: yi(all.cumulative),
            href: format!("/lights?period={key}"),
        },
        Kpi {
            label: "完成序时进度",
            value: all.ratio_bp().map_or("—".into(), pct),
            href: format!("/lights?period={key}"),
        },
        Kpi {
            label: "红灯项目",
            value: format!("{} 个", all.lights[2]),
            href: format!("/lights?period={key}&light=red#projects"),
        },
        Kpi {
            label: "逾期问题",
            value: format!("{} 个", n("overdue")),
            href: "/problems?overdue=true".into(),
        },
    ];
    let raw = json!({
        "period": key,
        "curve": curve,
        "divisions": groups.iter().map(|g| json!({"code": g.key, "name": g.name, "light": g.light.as_str(), "lights": {"green": g.totals.lights[0], "yellow": g.totals.lights[1], "red": g.totals.lights[2], "none": g.totals.lights[3]}, "ratio_bp": g.totals.ratio_bp()})).collect::<Vec<_>>(),
        "arena": result,
        "funnel": stages.iter().map(|s| json!({"stage": s.0, "count": s.1})).collect::<Vec<_>>(),
        "overdue_problems": n("overdue"),
        "overdue_by_unit": stats.iter().rev().map(|s| json!({"unit": s.unit, "overdue": s.overdue})).collect::<Vec<_>>(),
    });
    Ok(Cockpit {
        period: key,
        periods: rs::periods(&st.db).await?.iter().map(|p| p.key()).collect(),
        kpis,
        charts,
        arenas,
        arena: arena_code,
        raw,
    })
}

#[derive(Template)]
#[template(path = "cockpit.html")]
struct CockpitPage {
    c: Chrome,
    k: Cockpit,
    can_map: bool,
    error: Option<FormError>,
}

#[derive(Template)]
#[template(path = "cockpit_screen.html")]
struct ScreenPage {
    city: String,
    k: Cockpit,
}

async fn page(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<CockpitQuery>,
) -> Result<Response, AppError> {
    render(&st, &me, &q, None).await
}

async fn render(
    st: &AppState,
    me: &Me,
    q: &CockpitQuery,
    error: Option<FormError>,
) -> Result<Response, AppError> {
    let k = gather(st, me, q).await?;
    let failed = error.is_some();
    let page = CockpitPage {
        c: Chrome::new(
            me,
            "cockpit",
            me.lang.t("领导驾驶舱", "Leaders' cockpit").into(),
        ),
        k,
        can_map: me.actor.access.has(Permission::OrgWrite)
            || me.actor.access.has(Permission::ReportAdmin),
        error,
    };
    Ok(view::respond(&page, failed))
}

async fn screen(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<CockpitQuery>,
) -> Result<Response, AppError> {
    let k = gather(&st, &me, &q).await?;
    Ok(view::render(&ScreenPage {
        city: gongjian_store::bulletin::city(&st.db).await?,
        k,
    }))
}

/// The cockpit's figures as JSON.
#[utoipa::path(get, path = "/api/v1/cockpit", tag = "cockpit", params(CockpitQuery), responses((status = 200, description = "curve, divisions with lights, the arena leaderboard, the problem funnel and overdue problems by unit")))]
async fn api(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<CockpitQuery>,
) -> Result<Json<Value>, AppError> {
    Ok(Json(gather(&st, &me, &q).await?.raw))
}

async fn map_file(State(st): State<AppState>, me: Me) -> Result<Response, AppError> {
    me.actor
        .access
        .require(Permission::ProjectRead)
        .map_err(StoreError::from)?;
    match cockpit::map(&st.db).await? {
        Some(m) => Ok((
            [(header::CONTENT_TYPE, "application/geo+json; charset=utf-8")],
            m,
        )
            .into_response()),
        None => Err(StoreError::not_found("地图", "map", "cockpit").into()),
    }
}

async fn map_upload(
    State(st): State<AppState>,
    me: Me,
    mut mp: Multipart,
) -> Result<Response, AppError> {
    // The CSRF token comes in the query string (checked by the middleware). A body over
    // the limit fails while being read: said as such, not as a server error.
    let too_big = |_| {
        StoreError::Invalid(gongjian_domain::DomainError::new(
            "map",
            "上传失败：地图文件不能超过 5 MB",
            "Upload failed: the map must not exceed 5 MB.",
        ))
    };
    let mut text = None;
    while let Some(f) = mp.next_field().await.map_err(too_big)? {
        if f.name() == Some("file") {
            let bytes = f.bytes().await.map_err(too_big)?;
            text = Some(String::from_utf8(bytes.to_vec()).map_err(|_| {
                StoreError::Invalid(gongjian_domain::DomainError::new(
                    "map",
                    "地图文件须为 UTF-8 编码的 GeoJSON",
                    "The map must be GeoJSON in UTF-8.",
                ))
            }));
        }
    }
    let r = async {
        let text = text.ok_or_else(|| {
            StoreError::Invalid(gongjian_domain::DomainError::new(
                "map",
                "请选择地图文件",
                "Choose a map file.",
            ))
        })??;
        in_tx!(st.db, |tx| cockpit::set_map(&mut tx, &me.actor, &text)
            .await?)
    }
    .await;
    match r.map_err(AppError::from) {
        Ok(_) => Ok(Redirect::to("/cockpit#map").into_response()),
        Err(e) if e.field.is_some() => {
            render(
                &st,
                &me,
                &CockpitQuery::default(),
                Some(FormError::of(&e, me.lang)),
            )
            .await
        }
        Err(e) => Err(e),
    }
}
