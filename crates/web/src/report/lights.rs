//! The lights board with drill-down, the why page, and the printable progress table.

use super::*;

// ---------------------------------------------------------------- lights

#[derive(Debug, Default, Deserialize)]
pub(super) struct LightsQuery {
    period: Option<String>,
    division: Option<String>,
    light: Option<String>,
}

pub(super) struct GroupView {
    g: Group,
    light: String,
    annual: String,
    cumulative: String,
    target: String,
    ratio: String,
}

pub(super) struct LightView {
    r: LightRow,
    label: String,
    annual: String,
    cumulative: String,
    target: String,
    ratio: String,
}

pub(super) fn light_view(l: Lang, r: LightRow) -> LightView {
    LightView {
        label: light_label(l, &r.light),
        annual: wan_opt(r.annual),
        cumulative: money::wan_grouped(r.cumulative),
        target: wan_opt(r.target),
        ratio: ratio_text(r.ratio_bp),
        r,
    }
}

#[derive(Template)]
#[template(path = "lights.html")]
pub(super) struct LightsPage {
    c: Chrome,
    period: String,
    periods: Vec<String>,
    groups: Vec<GroupView>,
    projects: Vec<LightView>,
    crumbs: Vec<(String, String)>,
    division: String,
    light: String,
    counts: [i64; 4],
    chart: String,
    computed: bool,
    total: i64,
}

/// The period's progress table as a printable workbook, for the chosen division's
/// subtree (all the caller may see when none).
pub async fn progress_export(
    db: &gongjian_store::Db,
    actor: &gongjian_store::Actor,
    year: i32,
    month: u32,
    division: Option<&str>,
) -> gongjian_store::Result<crate::project::ledger::Export> {
    use gongjian_office::progress_export::{self as px, DivisionTotal, ProgressRow};
    let t = rs::progress_table(db, actor, year, month, division).await?;
    let place = match division {
        Some(code) => rs::ancestors(db, code)
            .await?
            .first()
            .map(|(_, n)| n.clone())
            .unwrap_or_default(),
        None => t
            .groups
            .first()
            .and_then(|g| g.name.strip_suffix("本级"))
            .map(str::to_string)
            .unwrap_or_default(),
    };
    let title = format!("{place}{year}年1-{month}月重点项目投资完成情况及红黄绿灯");
    let rows: Vec<ProgressRow> = t
        .projects
        .iter()
        .map(|(section, r)| ProgressRow {
            section: section.clone(),
            code: r.code.clone().unwrap_or_default(),
            name: r.name.clone(),
            division_name: r.division_name.clone(),
            annual: r.annual,
            cumulative: r.cumulative,
            target: r.target,
            light: r.light.clone(),
            why: r.why.clone(),
        })
        .collect();
    let divisions: Vec<DivisionTotal> = t
        .groups
        .iter()
        .map(|g| DivisionTotal {
            name: g.name.clone(),
            totals: g.totals,
        })
        .collect();
    let rule = format!("{}（第 {} 版）", t.rule.name, t.rule_version);
    let bytes = px::to_xlsx(&rows, &divisions, &title, &rule, |x| x.light(&t.rule))
        .map_err(|e| StoreError::Config(format!("xlsx: {e}")))?;
    Ok(crate::project::ledger::Export {
        bytes,
        content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        file_name: format!("{place}{year}年{month}月序时进度.xlsx"),
    })
}

pub(super) async fn export_page(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<LightsQuery>,
) -> Result<Response, AppError> {
    let (y, m) = pick_period(&st, q.period.as_deref()).await?;
    let division = q.division.as_deref().filter(|s| !s.is_empty());
    let x = progress_export(&st.db, &me.actor, y, m, division).await?;
    Ok(crate::project::download(x))
}

/// Most project rows the lights page lists at once.
const PROJECT_ROWS: i64 = 500;

pub(super) async fn lights_page(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<LightsQuery>,
) -> Result<Response, AppError> {
    let (y, m) = pick_period(&st, q.period.as_deref()).await?;
    let l = me.lang;
    let division = q.division.clone().unwrap_or_default();
    let parent = Some(division.as_str()).filter(|s| !s.is_empty());
    let (mut groups, direct) = rs::division_groups(&st.db, &me.actor, y, m, parent).await?;
    // Projects placed in the division itself show as one more line (本级).
    if let Some(mut d) = direct {
        d.name = format!("{}{}", d.name, l.t("（本级）", " (itself)"));
        d.has_children = false;
        groups.push(d);
    }
    // Projects: the subtree of the chosen division (all when none), optionally by light,
    // worst first; a page shows at most PROJECT_ROWS of them.
    let f = LightFilter {
        division_code: parent.map(str::to_string),
        light: q.light.clone().filter(|s| !s.is_empty()),
        limit: Some(PROJECT_ROWS),
        ..Default::default()
    };
    let total = rs::count_lights(&st.db, &me.actor, y, m, &f).await?;
    let rows = rs::lights(&st.db, &me.actor, y, m, &f).await?;
    let mut counts = [0i64; 4];
    for g in &groups {
        for (c, n) in counts.iter_mut().zip(g.totals.lights) {
            *c += n;
        }
    }
    let computed = !groups.is_empty() || total > 0;
    if groups.is_empty() {
        for r in &rows {
            let i = match Light::parse(&r.light) {
                Some(Light::Green) => 0,
                Some(Light::Yellow) => 1,
                Some(Light::Red) => 2,
                _ => 3,
            };
            counts[i] += 1;
        }
    }
    let chart = serde_json::json!({
        "names": groups.iter().map(|g| g.name.clone()).collect::<Vec<_>>(),
        "stacks": [
            {"name": l.t("绿灯", "Green"), "values": groups.iter().map(|g| g.totals.lights[0]).collect::<Vec<_>>(), "color": "#2e7d32"},
            {"name": l.t("黄灯", "Yellow"), "values": groups.iter().map(|g| g.totals.lights[1]).collect::<Vec<_>>(), "color": "#f9a825"},
            {"name": l.t("红灯", "Red"), "values": groups.iter().map(|g| g.totals.lights[2]).collect::<Vec<_>>(), "color": "#c62828"},
        ],
        "unit": l.t("个", "projects"),
        "links": groups.iter().map(|g| if g.has_children { format!("/lights?period={}&division={}", key(y, m), g.key) } else { format!("/lights?period={}&division={}#projects", key(y, m), g.key) }).collect::<Vec<_>>(),
    });
    let groups = groups
        .into_iter()
        .map(|g| GroupView {
            light: light_label(l, g.light.as_str()),
            annual: money::wan_grouped(g.totals.annual),
            cumulative: money::wan_grouped(g.totals.cumulative),
            target: money::wan_grouped(g.totals.target),
            ratio: ratio_text(g.totals.ratio_bp()),
            g,
        })
        .collect();
    let crumbs = match parent {
        Some(code) => rs::ancestors(&st.db, code).await?,
        None => Vec::new(),
    };
    let page = LightsPage {
        c: Chrome::new(&me, "lights", l.t("红黄绿灯", "Warning lights").into()),
        period: key(y, m),
        periods: rs::periods(&st.db).await?.iter().map(Period::key).collect(),
        projects: rows.into_iter().map(|r| light_view(l, r)).collect(),
        groups,
        crumbs,
        division,
        light: q.light.unwrap_or_default(),
        counts,
        chart: chart.to_string(),
        computed,
        total,
    };
    Ok(view::render(&page))
}

#[derive(Template)]
#[template(path = "light.html")]
pub(super) struct WhyPage {
    c: Chrome,
    period: String,
    v: LightView,
    rule: LightRule,
    pts: (String, String),
    inputs: String,
    history: Vec<(String, String, String, String)>,
}

pub(super) async fn why_page(
    State(st): State<AppState>,
    me: Me,
    Path((period, project)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let (y, m) = period_of(&period)?;
    let (row, inputs) = rs::light_of(&st.db, &me.actor, y, m, project)
        .await?
        .ok_or_else(|| {
            StoreError::not_found("灯号", "light", format!("{project}/{}", key(y, m)))
        })?;
    let rule = rs::rule_version(&st.db, row.rule_version).await?;
    let l = me.lang;
    let history = rs::history(&st.db, &me.actor, project)
        .await?
        .into_iter()
        .map(|(yy, mm, light, why)| {
            (
                key(yy as i32, mm as u32),
                light.clone(),
                light_label(l, &light),
                why,
            )
        })
        .collect();
    let pretty = serde_json::from_str::<serde_json::Value>(&inputs)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or(inputs);
    let page = WhyPage {
        c: Chrome::new(
            &me,
            "lights",
            format!("{} · {}", row.name, l.t("亮灯原因", "why this light")),
        ),
        period: key(y, m),
        v: light_view(l, row),
        pts: (pg::points(rule.yellow_lag_bp), pg::points(rule.red_lag_bp)),
        rule,
        inputs: pretty,
        history,
    };
    Ok(view::render(&page))
}
