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
    reserve: i64,
    converted: i64,
    taxed: i64,
    tax: i64,
    tax_land_centi: i64,
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

/// Yuan per mu from yuan and hundredths of a mu; nothing when there is no land.
fn per_mu(yuan: i64, land_centi: i64) -> i64 {
    if land_centi > 0 {
        i64::try_from(i128::from(yuan) * 100 / i128::from(land_centi)).unwrap_or(i64::MAX)
    } else {
        0
    }
}

fn month_end(y: i32, m: u32) -> NaiveDate {
    gongjian_domain::progress::month_end(y, m)
}

type LightRow = (i64, Option<i64>, i64, i64, i64, i64, i64, i64);
type ProjectRow = (i64, Option<i64>, i64, i64, i64, i64);
type CountRow = (i64, Option<i64>, i64, i64);
type TaxRow = (i64, Option<i64>, i64, i64, i64);

/// Per project: when it entered reserve, when it left it, and when it left it for a live
/// stage (not terminated). A project *registered* in reserve (the log's first row, with
/// no previous stage) counts as in reserve from the start: a ledger imported today lists
/// reserve projects that were in reserve before. Shared by the rate and by the list of
/// projects behind it.
const RESERVE_SPANS: &str = "SELECT project_id, MIN(CASE WHEN to_stage = 'reserve' THEN (CASE WHEN from_stage IS NULL THEN '1900-01-01' ELSE on_date END) END) AS entered, \
     MIN(CASE WHEN from_stage = 'reserve' THEN on_date END) AS left_on, \
     MIN(CASE WHEN from_stage = 'reserve' AND to_stage <> 'terminated' THEN on_date END) AS converted \
     FROM project_stage_log WHERE project_id IN (SELECT project_id FROM project_stage_log WHERE to_stage = 'reserve') GROUP BY project_id";

/// The database's aggregates for one month, read once and shared by every arena scored
/// for that period (each arena only maps them onto its own participants).
#[derive(Default)]
pub struct Aggregates {
    lights: Option<Vec<LightRow>>,
    projects: Option<Vec<ProjectRow>>,
    problems: Option<Vec<CountRow>>,
    tasks: Option<Vec<(i64, i64, i64, i64)>>,
    reserve: Option<Vec<CountRow>>,
    tax: Option<Vec<TaxRow>>,
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
    if needs(&[Measure::ReserveConversion]) {
        if agg.reserve.is_none() {
            // In reserve at some time this year: entered by the period's end and not left
            // before the year began. Converted: left for a live stage within the year.
            let sql = format!(
                "SELECT p.division_id, p.owner_unit_id, COUNT(*), CAST(SUM(CASE WHEN s.converted >= $1 AND s.converted <= $2 THEN 1 ELSE 0 END) AS BIGINT) \
                 FROM ({RESERVE_SPANS}) s JOIN project p ON p.id = s.project_id \
                 WHERE s.entered <= $2 AND (s.left_on IS NULL OR s.left_on >= $1) GROUP BY p.division_id, p.owner_unit_id"
            );
            let rows: Vec<CountRow> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(start).bind(end).fetch_all(c).await)?;
            agg.reserve = Some(rows);
        }
        for &(d, u, n, ok) in agg.reserve.as_deref().unwrap_or_default() {
            for i in map.targets(d, u) {
                sums[i].reserve += n;
                sums[i].converted += ok;
            }
        }
    }
    if needs(&[Measure::TaxPerMu]) {
        if agg.tax.is_none() {
            let rows: Vec<TaxRow> = on_db!(db, c => sqlx::query_as(
                "SELECT p.division_id, p.owner_unit_id, COUNT(*), CAST(SUM(t.amount) AS BIGINT), CAST(SUM(p.land_mu) AS BIGINT) \
                 FROM project_tax t JOIN project p ON p.id = t.project_id WHERE t.year = $1 AND p.land_mu > 0 GROUP BY p.division_id, p.owner_unit_id")
                .bind(i64::from(y)).fetch_all(c).await)?;
            agg.tax = Some(rows);
        }
        for &(d, u, n, tax, land) in agg.tax.as_deref().unwrap_or_default() {
            for i in map.targets(d, u) {
                sums[i].taxed += n;
                sums[i].tax += tax;
                sums[i].tax_land_centi += land;
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
                        let per = per_mu(s.cum_with_land, s.land_centi);
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
                    Measure::ReserveConversion => (
                        s.converted,
                        Some(s.reserve),
                        format!(
                            "{y} 年内处于储备的项目 {} 个，截至 {end} 转入前期或开工 {} 个",
                            s.reserve, s.converted
                        ),
                    ),
                    Measure::TaxPerMu => {
                        let per = per_mu(s.tax, s.tax_land_centi);
                        (
                            per,
                            None,
                            format!(
                                "{} 个项目填报 {y} 年税收 {} 万元，用地 {} 亩，亩均 {} 万元",
                                s.taxed,
                                wan_grouped(s.tax),
                                gongjian_domain::money::mu(s.tax_land_centi),
                                wan_grouped(per)
                            ),
                        )
                    }
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

/// One project, problem or task counted by an indicator.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ItemLine {
    /// `project`, `problem` or `task`: where the link goes.
    pub kind: &'static str,
    pub id: i64,
    pub name: String,
    pub division_name: String,
    /// Whether it counts in the value (the numerator); every line counts in the target.
    pub counted: bool,
    /// What made it count or not, in words.
    pub detail: String,
}

/// The projects, problems or tasks behind a count or per-mu indicator of a participant
/// for a period (its division subtree, or a company's own projects or led tasks), the
/// same rows the figures were summed from. Empty for the investment and entered sources.
pub async fn items_behind(
    db: &Db,
    part: &Participant,
    measure: Measure,
    p: Period,
) -> Result<Vec<ItemLine>> {
    let (y, m) = (p.year(), p.end_month());
    let start = NaiveDate::from_ymd_opt(y, 1, 1).expect("valid");
    let end = month_end(y, m);
    // Rows are restricted to the participant: projects (or a task's lead unit) in the
    // division subtree it governs, or owned (led) by the company.
    let (scope_cte, project_in, task_in) = match part.governs_division_id {
        Some(_) => (
            "WITH RECURSIVE sub(id, depth) AS (SELECT id, 0 FROM division WHERE id = $1 UNION ALL SELECT dd.id, sub.depth + 1 FROM division dd JOIN sub ON dd.parent_id = sub.id WHERE sub.depth < 32) ",
            "p.division_id IN (SELECT id FROM sub)",
            "u.division_id IN (SELECT id FROM sub)",
        ),
        None => ("", "p.owner_unit_id = $1", "t.lead_unit_id = $1"),
    };
    let anchor = part.governs_division_id.unwrap_or(part.unit_id);
    let project_sql = |cols: &str, from: &str, cond: &str| {
        format!(
            "{scope_cte}SELECT p.id, p.name, dv.name, {cols} FROM {from} JOIN division dv ON dv.id = p.division_id WHERE {project_in} AND {cond} ORDER BY p.sort, p.id"
        )
    };
    type Row = (i64, String, String, bool, String);
    let stage_zh = |s: &str| {
        gongjian_domain::project::Stage::parse(s)
            .map(|x| x.zh())
            .unwrap_or("")
    };
    let rows: Vec<(&'static str, Row)> = match measure {
        Measure::StartRate | Measure::CompletionRate => {
            let (col, done) = if measure == Measure::StartRate {
                ("p.start_year", "p.started")
            } else {
                ("p.end_year", "p.stage IN ('completed', 'operation')")
            };
            let sql = project_sql(
                &format!("{done}, p.stage"),
                "project p",
                &format!("p.active = TRUE AND {col} = $2"),
            );
            let rows: Vec<(i64, String, String, bool, String)> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(anchor).bind(i64::from(y)).fetch_all(c).await)?;
            rows.into_iter()
                .map(|(id, n, d, ok, stage)| {
                    let what = if measure == Measure::StartRate {
                        if ok { "已开工" } else { "未开工" }
                    } else if ok {
                        "已竣工投产"
                    } else {
                        "未竣工"
                    };
                    (
                        "project",
                        (id, n, d, ok, format!("{what}（{}）", stage_zh(&stage))),
                    )
                })
                .collect()
        }
        Measure::ReserveConversion => {
            let sql = project_sql(
                "CASE WHEN s.converted >= $2 AND s.converted <= $3 THEN TRUE ELSE FALSE END, p.stage, CAST(s.entered AS TEXT), CAST(s.left_on AS TEXT), CAST(s.converted AS TEXT)",
                &format!("({RESERVE_SPANS}) s JOIN project p ON p.id = s.project_id"),
                "s.entered <= $3 AND (s.left_on IS NULL OR s.left_on >= $2)",
            );
            type ReserveRow = (
                i64,
                String,
                String,
                bool,
                String,
                String,
                Option<String>,
                Option<String>,
            );
            let rows: Vec<ReserveRow> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(anchor).bind(start).bind(end).fetch_all(c).await)?;
            rows.into_iter()
                .map(|(id, n, d, ok, stage, entered, left, converted)| {
                    let entered = if entered.starts_with("1900") {
                        "登记时即为储备".to_string()
                    } else {
                        format!("{entered} 转入储备")
                    };
                    let now = stage_zh(&stage);
                    let detail = match (&left, &converted, ok) {
                        (Some(l), _, true) => format!("{entered}，{l} 转出储备（现为{now}）"),
                        (Some(_), Some(c), false) => {
                            format!("{entered}，{c} 转出储备，晚于本期末，本期不计（现为{now}）")
                        }
                        (Some(l), None, false) => format!("{entered}，{l} 终止，不计为转化"),
                        (None, _, _) => format!("{entered}，仍为储备"),
                    };
                    ("project", (id, n, d, ok, detail))
                })
                .collect()
        }
        Measure::TaxPerMu => {
            let sql = project_sql(
                "t.amount, p.land_mu",
                "project_tax t JOIN project p ON p.id = t.project_id",
                "t.year = $2 AND p.land_mu > 0",
            );
            let rows: Vec<(i64, String, String, i64, i64)> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(anchor).bind(i64::from(y)).fetch_all(c).await)?;
            rows.into_iter()
                .map(|(id, n, d, tax, land)| {
                    let detail = format!(
                        "税收 {} 万元，用地 {} 亩，亩均 {} 万元",
                        wan_grouped(tax),
                        gongjian_domain::money::mu(land),
                        wan_grouped(per_mu(tax, land))
                    );
                    ("project", (id, n, d, true, detail))
                })
                .collect()
        }
        Measure::ProblemsOnTime => {
            let sql = format!(
                "{scope_cte}SELECT x.id, p.name || '：' || x.description, dv.name, \
                 CASE WHEN x.escalations = 0 AND NOT (x.status IN ('raised', 'accepted', 'replied') AND x.deadline < $3) THEN TRUE ELSE FALSE END, x.status, x.escalations \
                 FROM problem x JOIN project p ON p.id = x.project_id JOIN division dv ON dv.id = p.division_id \
                 WHERE {project_in} AND x.raised_on >= $2 AND x.raised_on <= $3 ORDER BY x.raised_on, x.id"
            );
            let rows: Vec<(i64, String, String, bool, String, i64)> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(anchor).bind(start).bind(end).fetch_all(c).await)?;
            rows.into_iter()
                .map(|(id, n, d, ok, status, esc)| {
                    let st = gongjian_domain::problem::Status::parse(&status)
                        .map(|s| s.zh())
                        .unwrap_or("");
                    let detail = if esc > 0 {
                        format!("{st}，升级 {esc} 次")
                    } else if ok {
                        format!("{st}，未升级、未逾期")
                    } else {
                        format!("{st}，已逾期")
                    };
                    ("problem", (id, n, d, ok, detail))
                })
                .collect()
        }
        Measure::TasksOnTime => {
            let sql = format!(
                "{scope_cte}SELECT t.id, t.title, dv.name, \
                 CASE WHEN (t.status = 'closed' AND t.closed_on <= t.deadline) OR (t.status <> 'closed' AND t.deadline >= $3) THEN TRUE ELSE FALSE END, t.status, CAST(t.deadline AS TEXT) \
                 FROM task t JOIN unit u ON u.id = t.lead_unit_id JOIN division dv ON dv.id = u.division_id \
                 WHERE {task_in} AND t.issued_on >= $2 AND t.issued_on <= $3 ORDER BY t.issued_on, t.id"
            );
            let rows: Vec<(i64, String, String, bool, String, String)> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(anchor).bind(start).bind(end).fetch_all(c).await)?;
            rows.into_iter()
                .map(|(id, n, d, ok, status, deadline)| {
                    let st = gongjian_domain::task::Status::parse(&status)
                        .map(|s| s.zh())
                        .unwrap_or("");
                    let detail = format!("{st}，期限 {deadline}{}", if ok { "" } else { "，逾期" });
                    ("task", (id, n, d, ok, detail))
                })
                .collect()
        }
        Measure::InvestPlan | Measure::InvestTarget | Measure::InvestPerMu => Vec::new(),
    };
    Ok(rows
        .into_iter()
        .map(
            |(kind, (id, name, division_name, counted, detail))| ItemLine {
                kind,
                id,
                name,
                division_name,
                counted,
                detail,
            },
        )
        .collect())
}
