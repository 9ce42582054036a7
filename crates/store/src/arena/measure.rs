//! The figures behind computed indicators, aggregated by the database per division and
//! owner, then summed per participant: a division's government takes its whole subtree,
//! a company its own projects (or the tasks it leads).

use super::{Arena, IndicatorDef, Participant, Rule, Source};
use crate::{Db, Result, on_db};
use chrono::NaiveDate;
use gongjian_domain::arena::{Input, Measure, Period};
use gongjian_domain::money::wan_grouped;
use std::collections::{BTreeMap, HashMap};

/// A participant's input for one indicator and where it came from, in words.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Figure {
    /// The value and target scored.
    pub input: Input,
    /// The figures behind it.
    pub source: String,
}

/// Per participant code, per indicator code.
pub type Inputs = BTreeMap<String, BTreeMap<String, Figure>>;

#[derive(Default, Clone, Copy)]
struct Sums {
    projects: i64,
    cumulative: i64,
    annual: i64,
    target: i64,
    cum_with_land: i64,
    land_centi: i64,
    start_planned: i64,
    started: i64,
    finish_planned: i64,
    finished: i64,
    problems: i64,
    problems_ok: i64,
    tasks: i64,
    tasks_ok: i64,
}

/// Maps divisions and owner units to participant indices.
struct Mapper {
    by_division: HashMap<i64, Vec<usize>>,
    by_unit: HashMap<i64, usize>,
}

impl Mapper {
    fn new(tree: &[(i64, Option<i64>)], parts: &[Participant]) -> Mapper {
        let parent: HashMap<i64, Option<i64>> = tree.iter().copied().collect();
        let roots: HashMap<i64, usize> = parts
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.governs_division_id.map(|d| (d, i)))
            .collect();
        let mut by_division: HashMap<i64, Vec<usize>> = HashMap::new();
        for (id, _) in tree {
            let mut hit = Vec::new();
            let (mut cur, mut depth) = (Some(*id), 0);
            while let Some(d) = cur {
                if let Some(i) = roots.get(&d) {
                    hit.push(*i);
                }
                cur = parent.get(&d).copied().flatten();
                depth += 1;
                if depth > 64 {
                    break;
                }
            }
            if !hit.is_empty() {
                by_division.insert(*id, hit);
            }
        }
        let by_unit = parts
            .iter()
            .enumerate()
            .filter(|(_, p)| p.governs_division_id.is_none())
            .map(|(i, p)| (p.unit_id, i))
            .collect();
        Mapper {
            by_division,
            by_unit,
        }
    }

    /// The participants a row of (division, owner unit) counts for.
    fn targets(&self, division: i64, unit: Option<i64>) -> Vec<usize> {
        let mut v = self.by_division.get(&division).cloned().unwrap_or_default();
        if let Some(i) = unit.and_then(|u| self.by_unit.get(&u)) {
            v.push(*i);
        }
        v
    }
}

fn month_end(y: i32, m: u32) -> NaiveDate {
    gongjian_domain::progress::month_end(y, m)
}

type LightRow = (i64, Option<i64>, i64, i64, i64, i64, i64, i64);
type ProjectRow = (i64, Option<i64>, i64, i64, i64, i64);
type CountRow = (i64, Option<i64>, i64, i64);

/// The database's aggregates for one month, read once and shared by every arena scored
/// for that period (each arena only maps them onto its own participants).
#[derive(Default)]
pub struct Aggregates {
    lights: Option<Vec<LightRow>>,
    projects: Option<Vec<ProjectRow>>,
    problems: Option<Vec<CountRow>>,
    tasks: Option<Vec<(i64, i64, i64, i64)>>,
    tree: Option<Vec<(i64, Option<i64>)>>,
}

/// Computes every participant's inputs for a period under a rule.
pub async fn inputs(
    db: &Db,
    arena: &Arena,
    parts: &[Participant],
    rule: &Rule,
    p: Period,
) -> Result<Inputs> {
    inputs_with(db, arena, parts, rule, p, &mut Aggregates::default()).await
}

/// Like [`inputs`], reusing aggregates already read for the same period.
pub async fn inputs_with(
    db: &Db,
    arena: &Arena,
    parts: &[Participant],
    rule: &Rule,
    p: Period,
    agg: &mut Aggregates,
) -> Result<Inputs> {
    let (y, m) = (p.year(), p.end_month());
    let start = NaiveDate::from_ymd_opt(y, 1, 1).expect("valid");
    let end = month_end(y, m);
    let needs = |ms: &[Measure]| {
        rule.indicators
            .iter()
            .any(|i| matches!(&i.source, Source::Measure { measure } if ms.contains(measure)))
    };
    if agg.tree.is_none() {
        agg.tree = Some(
            on_db!(db, c => sqlx::query_as("SELECT id, parent_id FROM division").fetch_all(c).await)?,
        );
    }
    let map = Mapper::new(agg.tree.as_deref().unwrap_or_default(), parts);
    let mut sums = vec![Sums::default(); parts.len()];
    if needs(&[
        Measure::InvestPlan,
        Measure::InvestTarget,
        Measure::InvestPerMu,
    ]) {
        if agg.lights.is_none() {
            let rows: Vec<LightRow> = on_db!(db, c => sqlx::query_as(
            "SELECT p.division_id, p.owner_unit_id, COUNT(*), CAST(SUM(l.cumulative) AS BIGINT), CAST(SUM(COALESCE(l.annual, 0)) AS BIGINT), \
             CAST(SUM(COALESCE(l.target, 0)) AS BIGINT), CAST(SUM(CASE WHEN COALESCE(p.land_mu, 0) > 0 THEN l.cumulative ELSE 0 END) AS BIGINT), \
             CAST(SUM(COALESCE(p.land_mu, 0)) AS BIGINT) \
             FROM light l JOIN project p ON p.id = l.project_id WHERE l.year = $1 AND l.month = $2 GROUP BY p.division_id, p.owner_unit_id")
            .bind(i64::from(y)).bind(i64::from(m)).fetch_all(c).await)?;
            agg.lights = Some(rows);
        }
        for &(d, u, n, cum, annual, target, cum_land, land) in
            agg.lights.as_deref().unwrap_or_default()
        {
            for i in map.targets(d, u) {
                let s = &mut sums[i];
                s.projects += n;
                s.cumulative += cum;
                s.annual += annual;
                s.target += target;
                s.cum_with_land += cum_land;
                s.land_centi += land;
            }
        }
    }
    if needs(&[Measure::StartRate, Measure::CompletionRate]) {
        if agg.projects.is_none() {
            let rows: Vec<ProjectRow> = on_db!(db, c => sqlx::query_as(
            "SELECT p.division_id, p.owner_unit_id, CAST(SUM(CASE WHEN p.start_year = $1 THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN p.start_year = $1 AND p.started THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN p.end_year = $1 THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN p.end_year = $1 AND p.stage IN ('completed', 'operation') THEN 1 ELSE 0 END) AS BIGINT) \
             FROM project p WHERE p.active = TRUE GROUP BY p.division_id, p.owner_unit_id")
            .bind(i64::from(y)).fetch_all(c).await)?;
            agg.projects = Some(rows);
        }
        for &(d, u, sp, st, fp, fin) in agg.projects.as_deref().unwrap_or_default() {
            for i in map.targets(d, u) {
                let s = &mut sums[i];
                s.start_planned += sp;
                s.started += st;
                s.finish_planned += fp;
                s.finished += fin;
            }
        }
    }
    if needs(&[Measure::ProblemsOnTime]) {
        if agg.problems.is_none() {
            let rows: Vec<CountRow> = on_db!(db, c => sqlx::query_as(
            "SELECT p.division_id, p.owner_unit_id, COUNT(*), CAST(SUM(CASE WHEN x.escalations = 0 AND NOT (x.status IN ('raised', 'accepted', 'replied') AND x.deadline < $2) THEN 1 ELSE 0 END) AS BIGINT) \
             FROM problem x JOIN project p ON p.id = x.project_id WHERE x.raised_on >= $1 AND x.raised_on <= $2 GROUP BY p.division_id, p.owner_unit_id")
            .bind(start).bind(end).fetch_all(c).await)?;
            agg.problems = Some(rows);
        }
        for &(d, u, n, ok) in agg.problems.as_deref().unwrap_or_default() {
            for i in map.targets(d, u) {
                sums[i].problems += n;
                sums[i].problems_ok += ok;
            }
        }
    }
    if needs(&[Measure::TasksOnTime]) {
        if agg.tasks.is_none() {
            let rows: Vec<(i64, i64, i64, i64)> = on_db!(db, c => sqlx::query_as(
            "SELECT u.division_id, t.lead_unit_id, COUNT(*), CAST(SUM(CASE WHEN (t.status = 'closed' AND t.closed_on <= t.deadline) OR (t.status <> 'closed' AND t.deadline >= $2) THEN 1 ELSE 0 END) AS BIGINT) \
             FROM task t JOIN unit u ON u.id = t.lead_unit_id WHERE t.issued_on >= $1 AND t.issued_on <= $2 GROUP BY u.division_id, t.lead_unit_id")
            .bind(start).bind(end).fetch_all(c).await)?;
            agg.tasks = Some(rows);
        }
        for &(d, u, n, ok) in agg.tasks.as_deref().unwrap_or_default() {
            for i in map.targets(d, Some(u)) {
                sums[i].tasks += n;
                sums[i].tasks_ok += ok;
            }
        }
    }
    // Entered values (approved only) and task-book targets.
    let entries: Vec<(String, i64, i64, String)> = on_db!(db, c => sqlx::query_as(
        "SELECT indicator, unit_id, value, evidence FROM arena_entry WHERE arena_id = $1 AND period = $2 AND status = 'approved'")
        .bind(arena.id).bind(p.key()).fetch_all(c).await)?;
    let targets: Vec<(String, i64, i64)> = on_db!(db, c => sqlx::query_as(
        "SELECT indicator, unit_id, target FROM arena_target WHERE arena_id = $1 AND year = $2")
        .bind(arena.id).bind(i64::from(y)).fetch_all(c).await)?;
    let light_month = format!("{y}年{m}月红黄绿灯");
    let mut unit_names: HashMap<String, String> = HashMap::new();
    for IndicatorDef { source, .. } in &rule.indicators {
        if let Source::Entered { unit } = source {
            let n: Option<String> = on_db!(db, c => sqlx::query_scalar("SELECT name FROM unit WHERE code = $1").bind(unit.clone()).fetch_optional(c).await)?;
            unit_names.insert(unit.clone(), n.unwrap_or_else(|| unit.clone()));
        }
    }
    let mut out = Inputs::new();
    for (i, part) in parts.iter().enumerate() {
        let s = sums[i];
        let row = out.entry(part.code.clone()).or_default();
        for IndicatorDef { rule: ind, source } in &rule.indicators {
            let task_target = targets
                .iter()
                .find(|t| t.0 == ind.code && t.1 == part.unit_id)
                .map(|t| t.2);
            let (value, target, text) = match source {
                Source::Measure { measure } => match measure {
                    Measure::InvestPlan => (
                        s.cumulative,
                        Some(s.annual),
                        format!(
                            "本年累计完成 {} 万元，年度计划 {} 万元（{} 个项目，{light_month}）",
                            wan_grouped(s.cumulative),
                            wan_grouped(s.annual),
                            s.projects
                        ),
                    ),
                    Measure::InvestTarget => (
                        s.cumulative,
                        Some(s.target),
                        format!(
                            "本年累计完成 {} 万元，序时目标 {} 万元（{} 个项目，{light_month}）",
                            wan_grouped(s.cumulative),
                            wan_grouped(s.target),
                            s.projects
                        ),
                    ),
                    Measure::StartRate => (
                        s.started,
                        Some(s.start_planned),
                        format!(
                            "计划 {y} 年开工 {} 个，已开工 {} 个",
                            s.start_planned, s.started
                        ),
                    ),
                    Measure::CompletionRate => (
                        s.finished,
                        Some(s.finish_planned),
                        format!(
                            "计划 {y} 年竣工 {} 个，已竣工投产 {} 个",
                            s.finish_planned, s.finished
                        ),
                    ),
                    Measure::InvestPerMu => {
                        let per = if s.land_centi > 0 {
                            (i128::from(s.cum_with_land) * 100 / i128::from(s.land_centi)) as i64
                        } else {
                            0
                        };
                        (
                            per,
                            None,
                            format!(
                                "有用地的项目本年完成 {} 万元，用地 {} 亩，亩均 {} 万元",
                                wan_grouped(s.cum_with_land),
                                gongjian_domain::money::mu(s.land_centi),
                                wan_grouped(per)
                            ),
                        )
                    }
                    Measure::ProblemsOnTime => (
                        s.problems_ok,
                        Some(s.problems),
                        format!(
                            "{y} 年提出问题 {} 个，未经升级、未逾期 {} 个",
                            s.problems, s.problems_ok
                        ),
                    ),
                    Measure::TasksOnTime => (
                        s.tasks_ok,
                        Some(s.tasks),
                        format!(
                            "{y} 年督办任务 {} 项，按时办结或未到期 {} 项",
                            s.tasks, s.tasks_ok
                        ),
                    ),
                },
                Source::Entered { unit } => match entries
                    .iter()
                    .find(|e| e.0 == ind.code && e.1 == part.unit_id)
                {
                    Some(e) => (
                        e.2,
                        None,
                        format!("{unit} 填报并经审核：{}（{}）", e.2, e.3),
                    ),
                    None => (0, None, "本期未填报或未审核".to_string()),
                },
            };
            let target = task_target.or(target);
            let text = match task_target {
                Some(t) => format!("{text}；任务书目标 {t}"),
                None => text,
            };
            row.insert(
                ind.code.clone(),
                Figure {
                    input: Input { value, target },
                    source: text,
                },
            );
        }
    }
    Ok(out)
}

/// A project behind a participant's investment figures.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProjectLine {
    pub project_id: i64,
    pub name: String,
    pub division_name: String,
    /// This year's cumulative investment, yuan.
    pub cumulative: i64,
    pub annual: Option<i64>,
    pub target: Option<i64>,
    pub light: String,
}

/// The projects whose lights of the period's last month make up a participant's
/// investment figures (its division subtree, or a company's own projects), largest first.
pub async fn projects_behind(db: &Db, part: &Participant, p: Period) -> Result<Vec<ProjectLine>> {
    let (y, m) = (i64::from(p.year()), i64::from(p.end_month()));
    type Row = (i64, String, String, i64, Option<i64>, Option<i64>, String);
    let rows: Vec<Row> = match part.governs_division_id {
        Some(d) => on_db!(db, c => sqlx::query_as(
            "WITH RECURSIVE sub(id, depth) AS (SELECT id, 0 FROM division WHERE id = $1 UNION ALL SELECT dd.id, sub.depth + 1 FROM division dd JOIN sub ON dd.parent_id = sub.id WHERE sub.depth < 32) \
             SELECT p.id, p.name, dv.name, l.cumulative, l.annual, l.target, l.light FROM light l JOIN project p ON p.id = l.project_id JOIN division dv ON dv.id = p.division_id \
             WHERE l.year = $2 AND l.month = $3 AND p.division_id IN (SELECT id FROM sub) ORDER BY l.cumulative DESC, p.id")
            .bind(d).bind(y).bind(m).fetch_all(c).await)?,
        None => on_db!(db, c => sqlx::query_as(
            "SELECT p.id, p.name, dv.name, l.cumulative, l.annual, l.target, l.light FROM light l JOIN project p ON p.id = l.project_id JOIN division dv ON dv.id = p.division_id \
             WHERE l.year = $2 AND l.month = $3 AND p.owner_unit_id = $1 ORDER BY l.cumulative DESC, p.id")
            .bind(part.unit_id).bind(y).bind(m).fetch_all(c).await)?,
    };
    Ok(rows
        .into_iter()
        .map(
            |(project_id, name, division_name, cumulative, annual, target, light)| ProjectLine {
                project_id,
                name,
                division_name,
                cumulative,
                annual,
                target,
                light,
            },
        )
        .collect())
}
