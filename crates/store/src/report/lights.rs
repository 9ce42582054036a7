//! Stored lights: recomputed for an open period from plans, counted reports and
//! milestones under the current rule (see `recompute`); kept as they are once the period
//! closes.

use super::*;
use crate::bind_vals;
use crate::sql::Sql;
use gongjian_domain::progress::{Light, Totals};
use std::collections::HashMap;

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
        /// When the light took its current result.
        pub computed_at: DateTime<Utc>,
        /// When the period's lights were last recomputed.
        pub lights_at: Option<DateTime<Utc>>,
    }
}

impl LightRow {
    /// Whether the period's last recomputation found this light's result unchanged.
    pub fn kept_by_last_recompute(&self) -> bool {
        self.lights_at.is_some_and(|t| t > self.computed_at)
    }
}

const LIGHT: &str = "SELECT l.project_id, p.code, p.name, p.division_id, d.code AS division_code, d.name AS division_name, p.level, p.category, \
    l.light, l.rule_version, l.annual, l.cumulative, l.target, l.ratio_bp, l.lag_bp, l.reasons, l.why, l.why_en, l.computed_at, \
    (SELECT rp.lights_at FROM report_period rp WHERE rp.year = l.year AND rp.month = l.month) AS lights_at \
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
    /// At most this many rows.
    pub limit: Option<i64>,
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
    where_lights(&mut q, actor, year, month, f);
    q.push(" ORDER BY p.sort, p.id");
    if let Some(n) = f.limit {
        q.push(" LIMIT ").bind(n.max(0));
    }
    Ok(
        on_db!(db, c => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(c).await)?,
    )
}

fn where_lights(q: &mut Sql, actor: &Actor, year: i32, month: u32, f: &LightFilter) {
    q.push(" WHERE l.year = ")
        .bind(i64::from(year))
        .push(" AND l.month = ")
        .bind(i64::from(month));
    crate::project::and_scope(q, &actor.access.scope(Permission::ProjectRead));
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
}

/// How many lights of a period match a filter (its limit ignored), within the actor's
/// scope.
pub async fn count_lights(
    db: &Db,
    actor: &Actor,
    year: i32,
    month: u32,
    f: &LightFilter,
) -> Result<i64> {
    actor.access.require(Permission::ProjectRead)?;
    let mut q = Sql::new("SELECT COUNT(*) FROM light l JOIN project p ON p.id = l.project_id");
    where_lights(&mut q, actor, year, month, f);
    Ok(
        on_db!(db, c => bind_vals!(sqlx::query_scalar(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_one(c).await)?,
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

pub(crate) async fn tree(db: &Db) -> Result<Vec<DivisionNode>> {
    Ok(
        on_db!(db, c => sqlx::query_as("SELECT id, code, name, parent_id FROM division ORDER BY code").fetch_all(c).await)?,
    )
}

/// The division whose children the boards list when no parent is given: the single
/// root when there is one (a city), else none (several roots are listed themselves).
pub(crate) fn default_parent(nodes: &[DivisionNode]) -> Option<i64> {
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

async fn rule_of(db: &Db, version: Option<i64>) -> Result<LightRule> {
    match version {
        Some(v) if v > 0 => rule_version(db, v).await,
        _ => Ok(current_rule(db).await?.1),
    }
}

row_struct! {
    /// Lights of a period summed by division, level, category and light.
    #[derive(Debug, Clone)]
    pub struct Agg {
        pub division_id: i64,
        pub level: String,
        pub category: String,
        pub light: String,
        pub n: i64,
        pub annual: Option<i64>,
        pub cumulative: Option<i64>,
        pub target: Option<i64>,
        pub rule_version: Option<i64>,
    }
}

/// The period's lights within the actor's scope, summed in the database: at most a few
/// rows per division, however many projects there are.
async fn aggregate(db: &Db, actor: &Actor, year: i32, month: u32) -> Result<Vec<Agg>> {
    actor.access.require(Permission::ProjectRead)?;
    // Projects without a plan (light none) carry no amounts into the sums.
    let mut q = Sql::new(
        "SELECT p.division_id, p.level, p.category, l.light, COUNT(*) AS n, \
         CAST(SUM(CASE WHEN l.annual IS NULL THEN 0 ELSE l.annual END) AS BIGINT) AS annual, \
         CAST(SUM(CASE WHEN l.annual IS NULL THEN 0 ELSE l.cumulative END) AS BIGINT) AS cumulative, \
         CAST(SUM(CASE WHEN l.annual IS NULL THEN 0 ELSE l.target END) AS BIGINT) AS target, \
         MAX(l.rule_version) AS rule_version \
         FROM light l JOIN project p ON p.id = l.project_id WHERE l.year = ",
    );
    q.bind(i64::from(year))
        .push(" AND l.month = ")
        .bind(i64::from(month));
    crate::project::and_scope(&mut q, &actor.access.scope(Permission::ProjectRead));
    q.push(" GROUP BY p.division_id, p.level, p.category, l.light");
    Ok(
        on_db!(db, c => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(c).await)?,
    )
}

fn add(t: &mut Totals, a: &Agg) {
    t.add_many(
        a.n,
        a.annual.unwrap_or(0),
        a.cumulative.unwrap_or(0),
        a.target.unwrap_or(0),
        Light::parse(&a.light).unwrap_or(Light::None),
    );
}

/// Lights summed per child division of `parent` (default: the root's children), and
/// the projects placed directly in `parent` as one more group (if any), within the
/// actor's scope.
pub async fn division_groups(
    db: &Db,
    actor: &Actor,
    year: i32,
    month: u32,
    parent: Option<&str>,
) -> Result<(Vec<Group>, Option<Group>)> {
    let aggs = aggregate(db, actor, year, month).await?;
    let rule = rule_of(db, aggs.iter().filter_map(|a| a.rule_version).max()).await?;
    let nodes = tree(db).await?;
    let by_id: HashMap<i64, &DivisionNode> = nodes.iter().map(|n| (n.id, n)).collect();
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
    // The group of each division: the child of `parent_id` on its path (or the parent).
    let mut cache: HashMap<i64, Option<i64>> = HashMap::new();
    let mut group_of = |d: i64| -> Option<i64> {
        if let Some(g) = cache.get(&d) {
            return *g;
        }
        let mut cur = d;
        let mut found = None;
        for _ in 0..32 {
            let Some(n) = by_id.get(&cur) else { break };
            if Some(n.id) == parent_id || n.parent_id == parent_id {
                found = Some(n.id);
                break;
            }
            match n.parent_id {
                Some(p) => cur = p,
                None => break,
            }
        }
        cache.insert(d, found);
        found
    };
    let mut totals: HashMap<i64, Totals> = HashMap::new();
    for a in &aggs {
        if let Some(g) = group_of(a.division_id) {
            add(totals.entry(g).or_default(), a);
        }
    }
    let group = |id: i64, t: Totals| {
        let n = by_id.get(&id).expect("known division");
        Group {
            key: n.code.clone(),
            name: n.name.clone(),
            has_children: nodes.iter().any(|c| c.parent_id == Some(id)),
            light: t.light(&rule),
            totals: t,
        }
    };
    let direct = parent_id
        .and_then(|p| totals.remove(&p).map(|t| (p, t)))
        .map(|(p, t)| group(p, t));
    let mut out: Vec<Group> = totals.into_iter().map(|(id, t)| group(id, t)).collect();
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok((out, direct))
}

/// Lights summed per division subtree for every division with projects in it, and per
/// level and category, with every project, within the actor's scope: what
/// `gongjian progress` prints.
pub async fn rollup(db: &Db, actor: &Actor, year: i32, month: u32) -> Result<Rollup> {
    let aggs = aggregate(db, actor, year, month).await?;
    let version = aggs.iter().filter_map(|a| a.rule_version).max();
    let rule = rule_of(db, version).await?;
    let projects = lights(db, actor, year, month, &LightFilter::default()).await?;
    let nodes = tree(db).await?;
    let by_id: HashMap<i64, &DivisionNode> = nodes.iter().map(|n| (n.id, n)).collect();
    let mut own: HashMap<i64, Totals> = HashMap::new();
    let mut level: HashMap<String, Totals> = HashMap::new();
    let mut category: HashMap<String, Totals> = HashMap::new();
    for a in &aggs {
        add(own.entry(a.division_id).or_default(), a);
        add(level.entry(a.level.clone()).or_default(), a);
        add(category.entry(a.category.clone()).or_default(), a);
    }
    // Each division's own figures count for it and every ancestor.
    let mut div: HashMap<i64, Totals> = HashMap::new();
    for (id, t) in &own {
        let mut d = Some(*id);
        let mut guard = 0;
        while let Some(x) = d {
            div.entry(x).or_default().merge(t);
            d = by_id.get(&x).and_then(|n| n.parent_id);
            guard += 1;
            if guard > 32 {
                break;
            }
        }
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
        rule_version: version.unwrap_or(0),
        rule_name: rule.name.clone(),
        projects,
        divisions,
        levels: group(level),
        categories: group(category),
    })
}

/// A period's progress table for printing: the projects below a division (default the
/// root) each with the section (child division) it falls in, that division's groups,
/// and the rule the lights were made under.
#[derive(Debug, Clone)]
pub struct ProgressTable {
    /// The rule of the lights (for group lights and the footer).
    pub rule: LightRule,
    /// Its version.
    pub rule_version: i64,
    /// (section name, project light) in key-project table order.
    pub projects: Vec<(String, LightRow)>,
    /// One group per child division, then the projects placed directly at the parent.
    pub groups: Vec<Group>,
}

/// Builds the progress table of a period below `parent` (a division code).
pub async fn progress_table(
    db: &Db,
    actor: &Actor,
    year: i32,
    month: u32,
    parent: Option<&str>,
) -> Result<ProgressTable> {
    let (mut groups, direct) = division_groups(db, actor, year, month, parent).await?;
    groups.extend(direct.map(|mut g| {
        g.name = format!("{}本级", g.name);
        g.has_children = false;
        g
    }));
    let f = LightFilter {
        division_code: parent.map(str::to_string),
        ..Default::default()
    };
    let rows = lights(db, actor, year, month, &f).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.project_id).collect();
    let sections = group_of(db, &ids, parent).await?;
    let version = rows.iter().map(|r| r.rule_version).max();
    let rule = rule_of(db, version).await?;
    let rule_version = match version {
        Some(v) => v,
        None => current_rule(db).await?.0,
    };
    // Sections in the order of the groups (division code order, 本级 last); rows keep
    // the key-project table order within a section (the sort is stable).
    let order: HashMap<&str, (usize, &str)> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.key.as_str(), (i, g.name.as_str())))
        .collect();
    let mut keyed: Vec<(usize, String, LightRow)> = rows
        .into_iter()
        .map(|r| {
            match sections
                .get(&r.project_id)
                .and_then(|(code, _)| order.get(code.as_str()))
            {
                Some((i, name)) => (*i, (*name).to_string(), r),
                None => (usize::MAX, r.division_name.clone(), r),
            }
        })
        .collect();
    keyed.sort_by_key(|(i, _, _)| *i);
    let projects = keyed.into_iter().map(|(_, s, r)| (s, r)).collect();
    Ok(ProgressTable {
        rule,
        rule_version,
        projects,
        groups,
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
