//! Stored lights: recomputed for an open period from plans, counted reports and
//! milestones under the current rule; kept as they are once the period closes.

use super::*;
use crate::sql::Sql;
use crate::{Val, bind_vals};
use gongjian_domain::progress::{self as pg, Inputs, Light, MilestoneState, Totals};
use std::collections::HashMap;

/// What a recomputation did.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct LightSummary {
    /// Period year.
    pub year: i32,
    /// Period month.
    pub month: u32,
    /// Rule version used.
    pub rule_version: i64,
    /// Projects given a light.
    pub projects: usize,
    /// Green, yellow, red, none.
    pub counts: [usize; 4],
}

/// Recomputes every light of an open period (in its own transaction).
pub async fn recompute(db: &Db, actor: &Actor, year: i32, month: u32) -> Result<LightSummary> {
    let mut tx = db.begin().await?;
    let s = recompute_tx(&mut tx, actor, year, month).await?;
    tx.commit().await?;
    Ok(s)
}

type PlanTuple = (
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

/// Recomputes every light of an open period inside `tx`.
pub async fn recompute_tx(
    tx: &mut Tx,
    actor: &Actor,
    year: i32,
    month: u32,
) -> Result<LightSummary> {
    actor.access.require(Permission::ReportAdmin)?;
    let p = period_tx(tx, year, month)
        .await?
        .ok_or_else(|| StoreError::not_found("报送期", "period", format!("{year}-{month:02}")))?;
    if !p.is_open() {
        return Err(StoreError::Conflict(DomainError::new(
            "period",
            format!("{} 报送期已关闭，灯号保持关闭时的结果，不再重算。", p.key()),
            format!(
                "The period {} is closed; its lights are kept as they were.",
                p.key()
            ),
        )));
    }
    let (version, rule) = current_rule_tx(tx).await?;
    let y = i64::from(year);
    let asof = pg::month_end(year, month);
    // Lit: the projects that report (in preparation or under construction), and any
    // other project with a counted report this year (e.g. completed since).
    let projects: Vec<(i64, bool, Option<NaiveDate>)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT p.id, p.started, p.start_date FROM project p WHERE p.active = TRUE AND (p.stage IN ('preparation', 'construction') \
         OR EXISTS (SELECT 1 FROM report r WHERE r.project_id = p.id AND r.year = $1 AND r.month <= $2 AND r.status IN ('submitted', 'approved', 'locked'))) ORDER BY p.id")
        .bind(y).bind(i64::from(month)).fetch_all(c).await)?;
    let plans: Vec<PlanTuple> = on_tx!(tx, c => sqlx::query_as(
        "SELECT project_id, annual, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12 FROM project_plan WHERE year = $1")
        .bind(y).fetch_all(c).await)?;
    let sums: Vec<(i64, Option<i64>)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT project_id, CAST(SUM(month_amount) AS BIGINT) FROM report WHERE year = $1 AND month <= $2 AND status IN ('submitted', 'approved', 'locked') GROUP BY project_id")
        .bind(y).bind(i64::from(month)).fetch_all(c).await)?;
    let nodes: Vec<(i64, String, Option<NaiveDate>, Option<NaiveDate>)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT project_id, name, planned_date, actual_date FROM milestone WHERE planned_date IS NOT NULL ORDER BY project_id, seq")
        .fetch_all(c).await)?;
    let plans: HashMap<i64, (i64, [Option<i64>; 12])> = plans
        .into_iter()
        .map(|t| {
            (
                t.0,
                (
                    t.1,
                    [
                        t.2, t.3, t.4, t.5, t.6, t.7, t.8, t.9, t.10, t.11, t.12, t.13,
                    ],
                ),
            )
        })
        .collect();
    let sums: HashMap<i64, i64> = sums.into_iter().map(|(p, s)| (p, s.unwrap_or(0))).collect();
    let mut by_project: HashMap<i64, Vec<MilestoneState>> = HashMap::new();
    let mut planned_start: HashMap<i64, NaiveDate> = HashMap::new();
    for (pid, name, planned, actual) in nodes {
        if name.contains("开工")
            && let Some(d) = planned
        {
            planned_start.entry(pid).or_insert(d);
        }
        // Only nodes that can matter: not done and due by the end of the month.
        if actual.is_none() && planned.is_some_and(|d| d <= asof) {
            by_project.entry(pid).or_default().push(MilestoneState {
                name,
                planned,
                actual,
            });
        }
    }
    let now = crate::now();
    let mut rows: Vec<Vec<Val>> = Vec::with_capacity(projects.len());
    let mut summary = LightSummary {
        year,
        month,
        rule_version: version,
        ..Default::default()
    };
    for (pid, started, start_date) in projects {
        let plan = plans.get(&pid);
        let months = plan.map(|p| p.1).unwrap_or([None; 12]);
        // Without a start node, a project that has not started is planned to start in
        // the first month its plan puts money in.
        let ps = planned_start.get(&pid).copied().or_else(|| {
            if started {
                return None;
            }
            months
                .iter()
                .position(|m| m.is_some_and(|v| v > 0))
                .and_then(|i| NaiveDate::from_ymd_opt(year, i as u32 + 1, 1))
        });
        let inputs = Inputs {
            year,
            month,
            annual: plan.map(|p| p.0),
            months,
            cumulative: sums.get(&pid).copied().unwrap_or(0),
            started: started && start_date.is_none_or(|d| d <= asof),
            planned_start: ps,
            milestones: by_project.remove(&pid).unwrap_or_default(),
        };
        let o = pg::evaluate(&rule, &inputs);
        summary.projects += 1;
        summary.counts[match o.light {
            Light::Green => 0,
            Light::Yellow => 1,
            Light::Red => 2,
            Light::None => 3,
        }] += 1;
        rows.push(vec![
            Val::I(y),
            Val::I(i64::from(month)),
            Val::I(pid),
            Val::S(o.light.as_str().into()),
            Val::I(version),
            Val::OI(inputs.annual),
            Val::I(inputs.cumulative),
            Val::OI(o.target),
            Val::OI(o.ratio_bp),
            Val::OI(o.lag_bp),
            Val::S(o.reasons.join(",")),
            Val::S(o.why),
            Val::S(o.why_en),
            Val::S(serde_json::to_string(&inputs).expect("serialisable")),
            Val::T(now),
        ]);
    }
    exec_tx!(tx, c => sqlx::query("DELETE FROM light WHERE year = $1 AND month = $2").bind(y).bind(i64::from(month)).execute(c).await)?;
    crate::sql::insert_rows(
        tx,
        "INSERT INTO light (year, month, project_id, light, rule_version, annual, cumulative, target, ratio_bp, lag_bp, reasons, why, why_en, inputs, computed_at)",
        rows,
    )
    .await?;
    audit::record(
        tx,
        actor,
        "recompute",
        "light",
        p.key(),
        None,
        Some(&serde_json::json!(summary)),
    )
    .await?;
    Ok(summary)
}

row_struct! {
    /// A project's stored light for a period.
    #[derive(Debug, Clone, serde::Serialize)]
    pub struct LightRow {
        pub project_id: i64,
        pub code: Option<String>,
        pub name: String,
        pub division_id: i64,
        pub division_code: String,
        pub division_name: String,
        pub level: String,
        pub category: String,
        pub light: String,
        pub rule_version: i64,
        pub annual: Option<i64>,
        pub cumulative: i64,
        pub target: Option<i64>,
        pub ratio_bp: Option<i64>,
        pub lag_bp: Option<i64>,
        pub reasons: String,
        pub why: String,
        pub why_en: String,
        pub computed_at: DateTime<Utc>,
    }
}

const LIGHT: &str = "SELECT l.project_id, p.code, p.name, p.division_id, d.code AS division_code, d.name AS division_name, p.level, p.category, \
    l.light, l.rule_version, l.annual, l.cumulative, l.target, l.ratio_bp, l.lag_bp, l.reasons, l.why, l.why_en, l.computed_at \
    FROM light l JOIN project p ON p.id = l.project_id JOIN division d ON d.id = p.division_id";

/// Filters of the lights list.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct LightFilter {
    /// Division code: that division and everything below it.
    pub division_code: Option<String>,
    /// green, yellow, red or none.
    pub light: Option<String>,
    /// Level identifier.
    pub level: Option<String>,
    /// Category identifier.
    pub category: Option<String>,
    /// Name or code contains.
    pub q: Option<String>,
}

/// The stored lights of a period for the projects the actor may see, in key-project
/// table order.
pub async fn lights(
    db: &Db,
    actor: &Actor,
    year: i32,
    month: u32,
    f: &LightFilter,
) -> Result<Vec<LightRow>> {
    actor.access.require(Permission::ProjectRead)?;
    let mut q = Sql::new(LIGHT);
    q.push(" WHERE l.year = ")
        .bind(i64::from(year))
        .push(" AND l.month = ")
        .bind(i64::from(month));
    crate::project::and_scope(&mut q, &actor.access.scope(Permission::ProjectRead));
    q.and_like(&["p.name", "p.code"], f.q.as_deref());
    if let Some(dc) = f.division_code.as_deref().filter(|s| !s.is_empty()) {
        q.push(" AND p.division_id IN (WITH RECURSIVE sub(id, depth) AS (SELECT id, 0 FROM division WHERE code = ")
            .bind(dc.trim())
            .push(" UNION ALL SELECT c.id, sub.depth + 1 FROM division c JOIN sub ON c.parent_id = sub.id WHERE sub.depth < 16) SELECT id FROM sub)");
    }
    for (col, v) in [
        ("l.light", &f.light),
        ("p.level", &f.level),
        ("p.category", &f.category),
    ] {
        if let Some(v) = v.as_deref().filter(|s| !s.is_empty()) {
            q.push(" AND ").push(col).push(" = ").bind(v);
        }
    }
    q.push(" ORDER BY p.sort, p.id");
    Ok(
        on_db!(db, c => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(c).await)?,
    )
}

/// One project's light with the inputs that made it, if visible to the actor.
pub async fn light_of(
    db: &Db,
    actor: &Actor,
    year: i32,
    month: u32,
    project_id: i64,
) -> Result<Option<(LightRow, String)>> {
    crate::project::get(db, actor, project_id, Permission::ProjectRead).await?;
    let sql = format!("{LIGHT} WHERE l.year = $1 AND l.month = $2 AND l.project_id = $3");
    let row: Option<LightRow> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(i64::from(year)).bind(i64::from(month)).bind(project_id).fetch_optional(c).await)?;
    let Some(row) = row else { return Ok(None) };
    let inputs: String = on_db!(db, c => sqlx::query_scalar("SELECT inputs FROM light WHERE year = $1 AND month = $2 AND project_id = $3").bind(i64::from(year)).bind(i64::from(month)).bind(project_id).fetch_one(c).await)?;
    Ok(Some((row, inputs)))
}

/// A project's lights month by month (its history), newest first.
pub async fn history(
    db: &Db,
    actor: &Actor,
    project_id: i64,
) -> Result<Vec<(i64, i64, String, String)>> {
    crate::project::get(db, actor, project_id, Permission::ProjectRead).await?;
    Ok(
        on_db!(db, c => sqlx::query_as("SELECT year, month, light, why FROM light WHERE project_id = $1 ORDER BY year DESC, month DESC").bind(project_id).fetch_all(c).await)?,
    )
}

row_struct! {
    /// A division of the tree.
    #[derive(Debug, Clone)]
    pub struct DivisionNode {
        pub id: i64,
        pub code: String,
        pub name: String,
        pub parent_id: Option<i64>,
    }
}

async fn tree(db: &Db) -> Result<Vec<DivisionNode>> {
    Ok(
        on_db!(db, c => sqlx::query_as("SELECT id, code, name, parent_id FROM division ORDER BY code").fetch_all(c).await)?,
    )
}

/// The division whose children the boards list when no parent is given: the single
/// root when there is one (a city), else none (several roots are listed themselves).
fn default_parent(nodes: &[DivisionNode]) -> Option<i64> {
    let roots: Vec<&DivisionNode> = nodes.iter().filter(|n| n.parent_id.is_none()).collect();
    (roots.len() == 1).then(|| roots[0].id)
}

/// For each project id, the group it falls in below `parent` (a division code; default
/// the root): the child division containing its division, or `parent` itself for
/// projects placed directly there.
pub(crate) async fn group_of(
    db: &Db,
    ids: &[i64],
    parent: Option<&str>,
) -> Result<HashMap<i64, (String, String)>> {
    let nodes = tree(db).await?;
    let parent_id = match parent.filter(|s| !s.is_empty()) {
        Some(code) => Some(
            nodes
                .iter()
                .find(|n| n.code == code)
                .map(|n| n.id)
                .ok_or_else(|| StoreError::not_found("区划", "division", code))?,
        ),
        None => default_parent(&nodes),
    };
    let by_id: HashMap<i64, &DivisionNode> = nodes.iter().map(|n| (n.id, n)).collect();
    let divs: Vec<(i64, i64)> =
        on_db!(db, c => sqlx::query_as("SELECT id, division_id FROM project").fetch_all(c).await)?;
    let divs: HashMap<i64, i64> = divs.into_iter().collect();
    let mut out = HashMap::new();
    for id in ids {
        let Some(mut d) = divs.get(id).copied() else {
            continue;
        };
        // Walk up until the node whose parent is `parent_id`.
        let mut found = None;
        for _ in 0..32 {
            let Some(n) = by_id.get(&d) else { break };
            if Some(n.id) == parent_id {
                found = Some(n);
                break;
            }
            if n.parent_id == parent_id {
                found = Some(n);
                break;
            }
            match n.parent_id {
                Some(p) => d = p,
                None => break,
            }
        }
        if let Some(n) = found {
            out.insert(*id, (n.code.clone(), n.name.clone()));
        }
    }
    Ok(out)
}

/// Figures of one group (division subtree, level, category).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Group {
    /// Division code, level or category identifier.
    pub key: String,
    /// Its name.
    pub name: String,
    /// Whether it is a division with divisions below it (drill-down possible).
    pub has_children: bool,
    /// Summed figures.
    pub totals: Totals,
    /// The group's light under the rule of the lights.
    pub light: Light,
}

async fn rule_of(db: &Db, rows: &[LightRow]) -> Result<LightRule> {
    match rows.iter().map(|r| r.rule_version).max() {
        Some(v) if v > 0 => rule_version(db, v).await,
        _ => Ok(current_rule(db).await?.1),
    }
}

/// Lights summed per child division of `parent` (default: the root's children), with
/// the projects placed directly in `parent`, within the actor's scope.
pub async fn division_groups(
    db: &Db,
    actor: &Actor,
    year: i32,
    month: u32,
    parent: Option<&str>,
) -> Result<(Vec<Group>, Vec<LightRow>)> {
    let rows = lights(db, actor, year, month, &LightFilter::default()).await?;
    let rule = rule_of(db, &rows).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.project_id).collect();
    let groups = group_of(db, &ids, parent).await?;
    let nodes = tree(db).await?;
    let parent_code = match parent.filter(|s| !s.is_empty()) {
        Some(c) => Some(c.to_string()),
        None => default_parent(&nodes)
            .and_then(|id| nodes.iter().find(|n| n.id == id))
            .map(|n| n.code.clone()),
    };
    let mut out: Vec<Group> = Vec::new();
    let mut direct = Vec::new();
    for r in rows {
        let Some((code, name)) = groups.get(&r.project_id) else {
            continue;
        };
        if Some(code) == parent_code.as_ref() {
            direct.push(r);
            continue;
        }
        let i = match out.iter().position(|g| &g.key == code) {
            Some(i) => i,
            None => {
                let id = nodes.iter().find(|n| &n.code == code).map(|n| n.id);
                out.push(Group {
                    key: code.clone(),
                    name: name.clone(),
                    has_children: nodes.iter().any(|n| n.parent_id == id),
                    totals: Totals::default(),
                    light: Light::None,
                });
                out.len() - 1
            }
        };
        out[i].totals.add(
            r.annual,
            r.cumulative,
            r.target,
            Light::parse(&r.light).unwrap_or(Light::None),
        );
    }
    for g in &mut out {
        g.light = g.totals.light(&rule);
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok((out, direct))
}

/// Lights summed per division subtree for every division with projects in it, and per
/// level and category, within the actor's scope: what `gongjian progress` prints.
pub async fn rollup(db: &Db, actor: &Actor, year: i32, month: u32) -> Result<Rollup> {
    let projects = lights(db, actor, year, month, &LightFilter::default()).await?;
    let rule = rule_of(db, &projects).await?;
    let nodes = tree(db).await?;
    let by_id: HashMap<i64, &DivisionNode> = nodes.iter().map(|n| (n.id, n)).collect();
    let mut div: HashMap<i64, Totals> = HashMap::new();
    let mut level: HashMap<String, Totals> = HashMap::new();
    let mut category: HashMap<String, Totals> = HashMap::new();
    for r in &projects {
        let l = Light::parse(&r.light).unwrap_or(Light::None);
        let mut d = Some(r.division_id);
        let mut guard = 0;
        while let Some(id) = d {
            div.entry(id)
                .or_default()
                .add(r.annual, r.cumulative, r.target, l);
            d = by_id.get(&id).and_then(|n| n.parent_id);
            guard += 1;
            if guard > 32 {
                break;
            }
        }
        level
            .entry(r.level.clone())
            .or_default()
            .add(r.annual, r.cumulative, r.target, l);
        category
            .entry(r.category.clone())
            .or_default()
            .add(r.annual, r.cumulative, r.target, l);
    }
    let mut divisions: Vec<Group> = div
        .into_iter()
        .filter_map(|(id, t)| {
            let n = by_id.get(&id)?;
            Some(Group {
                key: n.code.clone(),
                name: n.name.clone(),
                has_children: nodes.iter().any(|c| c.parent_id == Some(id)),
                light: t.light(&rule),
                totals: t,
            })
        })
        .collect();
    divisions.sort_by(|a, b| a.key.cmp(&b.key));
    let group = |m: HashMap<String, Totals>| {
        let mut v: Vec<Group> = m
            .into_iter()
            .map(|(k, t)| Group {
                name: k.clone(),
                key: k,
                has_children: false,
                light: t.light(&rule),
                totals: t,
            })
            .collect();
        v.sort_by(|a, b| a.key.cmp(&b.key));
        v
    };
    Ok(Rollup {
        rule_version: projects.iter().map(|r| r.rule_version).max().unwrap_or(0),
        rule_name: rule.name.clone(),
        projects,
        divisions,
        levels: group(level),
        categories: group(category),
    })
}

/// Every figure of a period's progress.
#[derive(Debug, Clone)]
pub struct Rollup {
    /// Rule version of the lights.
    pub rule_version: i64,
    /// Rule name.
    pub rule_name: String,
    /// Per project.
    pub projects: Vec<LightRow>,
    /// Per division subtree.
    pub divisions: Vec<Group>,
    /// Per level.
    pub levels: Vec<Group>,
    /// Per category.
    pub categories: Vec<Group>,
}

/// A ratio in basis points as a JSON number with four decimals (e.g. 0.8533).
fn ratio_json(bp: Option<i64>) -> serde_json::Value {
    match bp {
        Some(b) => serde_json::Number::from_f64(b as f64 / 10_000.0)
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        None => serde_json::Value::Null,
    }
}

fn wan_opt(v: Option<i64>) -> serde_json::Value {
    v.map_or(serde_json::Value::Null, |y| {
        serde_json::Value::String(gongjian_domain::money::wan(y))
    })
}

/// A period's progress as `gongjian progress --json` and `GET /api/v1/progress` print
/// it: amounts in 万元 as exact decimal strings, ratios as numbers, lights as `green`,
/// `yellow`, `red` or `none` (no annual plan).
pub fn progress_json(period: &str, r: &Rollup) -> serde_json::Value {
    use gongjian_domain::money::wan;
    let group = |g: &Group| {
        serde_json::json!({
            "projects": g.totals.projects,
            "annual_plan_wan": wan(g.totals.annual),
            "cumulative_wan": wan(g.totals.cumulative),
            "target_wan": wan(g.totals.target),
            "ratio": ratio_json(g.totals.ratio_bp()),
            "light": g.light.as_str(),
            "lights": {"green": g.totals.lights[0], "yellow": g.totals.lights[1], "red": g.totals.lights[2], "none": g.totals.lights[3]},
        })
    };
    serde_json::json!({
        "period": period,
        "rule": {"version": r.rule_version, "name": r.rule_name},
        "projects": r.projects.iter().map(|p| serde_json::json!({
            "code": p.code,
            "name": p.name,
            "division_code": p.division_code,
            "annual_plan_wan": wan_opt(p.annual),
            "cumulative_wan": wan(p.cumulative),
            "target_wan": wan_opt(p.target),
            "ratio": ratio_json(p.ratio_bp),
            "light": p.light,
            "why": p.why,
        })).collect::<Vec<_>>(),
        "divisions": r.divisions.iter().map(|g| {
            let mut v = group(g);
            v["division_code"] = serde_json::Value::String(g.key.clone());
            v["division_name"] = serde_json::Value::String(g.name.clone());
            v
        }).collect::<Vec<_>>(),
        "levels": r.levels.iter().map(|g| { let mut v = group(g); v["level"] = serde_json::Value::String(g.key.clone()); v }).collect::<Vec<_>>(),
        "categories": r.categories.iter().map(|g| { let mut v = group(g); v["category"] = serde_json::Value::String(g.key.clone()); v }).collect::<Vec<_>>(),
    })
}

/// A division and its ancestors as (code, name), root first: the drill-down trail.
pub async fn ancestors(db: &Db, code: &str) -> Result<Vec<(String, String)>> {
    let nodes = tree(db).await?;
    let by_id: HashMap<i64, &DivisionNode> = nodes.iter().map(|n| (n.id, n)).collect();
    let mut cur = nodes.iter().find(|n| n.code == code);
    let mut out = Vec::new();
    while let Some(n) = cur {
        out.push((n.code.clone(), n.name.clone()));
        cur = n.parent_id.and_then(|p| by_id.get(&p).copied());
        if out.len() > 32 {
            break;
        }
    }
    out.reverse();
    Ok(out)
}
