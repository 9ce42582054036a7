//! Reading problems: one problem with its steps, the filtered and paged list, the
//! overdue board, per-unit statistics and a project's "problems cleared" countdown.

use super::{Problem, SELECT, Step, and_scope};
use crate::sql::{Page, Paged, Sql};
use crate::{Actor, Db, Result, StoreError, Tx, bind_vals, on_db, on_tx};
use chrono::NaiveDate;
use gongjian_domain::access::Permission;
use gongjian_domain::problem::{self as rules, Category, Source, Status, Tier};

/// Filters of the problem list; every one optional.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
pub struct ProblemFilter {
    /// A status (raised, accepted, replied, solved, closed) or `open` for all but closed.
    pub status: Option<String>,
    /// A category.
    pub category: Option<String>,
    /// division, department or city.
    pub tier: Option<String>,
    /// A source; `rectification` for inspection, audit and environmental findings.
    pub source: Option<String>,
    /// Only problems past their step deadline.
    pub overdue: Option<bool>,
    /// One project.
    pub project_id: Option<i64>,
    /// Problems handled by (or assigned to, or raised by) this unit.
    pub unit_id: Option<i64>,
    /// Free text in the description, the project's name or code.
    pub q: Option<String>,
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

const OPEN: &str = "('raised', 'accepted', 'replied', 'solved')";
const LATE: &str = "('raised', 'accepted', 'replied')";

fn filter_sql(actor: &Actor, f: &ProblemFilter, today: NaiveDate, head: &str) -> Result<Sql> {
    let mut w = Sql::new(head);
    w.push(" WHERE 1 = 1");
    match nonempty(&f.status) {
        Some("open") => {
            w.push(&format!(" AND x.status IN {OPEN}"));
        }
        Some(s) => {
            w.push(" AND x.status = ").bind(Status::parse(s)?.as_str());
        }
        None => {}
    }
    if let Some(c) = nonempty(&f.category) {
        w.push(" AND x.category = ")
            .bind(Category::parse(c)?.as_str());
    }
    if let Some(t) = nonempty(&f.tier) {
        w.push(" AND x.tier = ").bind(Tier::parse(t)?.level());
    }
    match nonempty(&f.source) {
        Some("rectification") => {
            w.push(" AND x.source IN ('inspection', 'audit', 'env_inspection')");
        }
        Some(s) => {
            w.push(" AND x.source = ").bind(Source::parse(s)?.as_str());
        }
        None => {}
    }
    if f.overdue == Some(true) {
        w.push(&format!(" AND x.status IN {LATE} AND x.deadline < "));
        w.vals.push(crate::Val::D(Some(today)));
        let n = w.vals.len();
        w.push(&format!("${n}"));
    }
    if let Some(p) = f.project_id {
        w.push(" AND x.project_id = ").bind(p);
    }
    if let Some(u) = f.unit_id {
        w.push(" AND (x.handler_unit_id = ").bind(u);
        w.push(" OR x.assignee_unit_id = ").bind(u);
        w.push(" OR x.raiser_unit_id = ").bind(u).push(")");
    }
    w.and_like(&["x.description", "pr.name", "pr.code"], nonempty(&f.q));
    and_scope(&mut w, &actor.access.scope(Permission::ProjectRead));
    Ok(w)
}

/// Most urgent first: open before closed, then by deadline (none last), then id. The
/// expressions match `problem_order_idx`, so a page is read off the index.
const ORDER: &str = " ORDER BY (x.status = 'closed'), (x.deadline IS NULL), x.deadline, x.id";

/// Whether the filter needs the project joined (free text).
fn from_clause(_actor: &Actor, f: &ProblemFilter) -> &'static str {
    if nonempty(&f.q).is_some() {
        "FROM problem x JOIN project pr ON pr.id = x.project_id"
    } else {
        "FROM problem x"
    }
}

/// The problems the actor may see, filtered, most urgent first (deadline, then id).
/// The page's ids come from the problem table alone (and the project when the filter
/// needs it); only those rows are then read with their names.
pub async fn list(
    db: &Db,
    actor: &Actor,
    f: &ProblemFilter,
    page: Page,
    today: NaiveDate,
) -> Result<Paged<Problem>> {
    actor.access.require(Permission::ProjectRead)?;
    let from = from_clause(actor, f);
    let c = filter_sql(actor, f, today, &format!("SELECT COUNT(*) {from}"))?;
    let total: i64 = on_db!(db, conn => bind_vals!(sqlx::query_scalar(sqlx::AssertSqlSafe(c.text.clone())), c.vals.clone()).fetch_one(conn).await)?;
    let mut q = filter_sql(actor, f, today, &format!("SELECT x.id {from}"))?;
    q.push(ORDER);
    q.page(&page);
    let ids: Vec<i64> = on_db!(db, conn => bind_vals!(sqlx::query_scalar(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(conn).await)?;
    let items = by_ids(db, &ids).await?;
    Ok(Paged {
        items,
        total,
        page: page.page,
        size: page.size,
    })
}

/// The problems with these ids, in this order.
async fn by_ids(db: &Db, ids: &[i64]) -> Result<Vec<Problem>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(SELECT);
    q.push(" WHERE x.id IN ").bind_list(ids.iter().copied());
    let mut rows: Vec<Problem> = on_db!(db, conn => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(conn).await)?;
    rows.sort_by_key(|p| ids.iter().position(|i| *i == p.id));
    Ok(rows)
}

/// Every problem matching the filter (for exports and the CLI), most urgent first.
pub async fn all(
    db: &Db,
    actor: &Actor,
    f: &ProblemFilter,
    today: NaiveDate,
) -> Result<Vec<Problem>> {
    actor.access.require(Permission::ProjectRead)?;
    let mut q = filter_sql(actor, f, today, SELECT)?;
    q.push(ORDER);
    Ok(
        on_db!(db, conn => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(conn).await)?,
    )
}

/// One problem the actor may see.
pub async fn get(db: &Db, actor: &Actor, id: i64) -> Result<Problem> {
    actor.access.require(Permission::ProjectRead)?;
    let mut q = Sql::new(SELECT);
    q.push(" WHERE x.id = ").bind(id);
    and_scope(&mut q, &actor.access.scope(Permission::ProjectRead));
    let p: Option<Problem> = on_db!(db, conn => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_optional(conn).await)?;
    p.ok_or_else(|| StoreError::not_found("问题", "problem", id))
}

/// One problem the actor may see, inside a transaction.
pub(crate) async fn get_scoped_tx(tx: &mut Tx, actor: &Actor, id: i64) -> Result<Problem> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE x.id = ").bind(id);
    and_scope(&mut q, &actor.access.scope(Permission::ProjectRead));
    let p: Option<Problem> = on_tx!(tx, conn => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_optional(conn).await)?;
    p.ok_or_else(|| StoreError::not_found("问题", "problem", id))
}

/// The steps of a problem, oldest first (call after [`get`] has checked the scope).
pub async fn steps(db: &Db, id: i64) -> Result<Vec<Step>> {
    Ok(on_db!(db, c => sqlx::query_as(
        "SELECT s.id, s.action, s.from_status, s.to_status, s.tier, u.name AS unit_name, s.actor_name, s.note, s.on_date, s.at \
         FROM problem_step s LEFT JOIN unit u ON u.id = s.unit_id WHERE s.problem_id = $1 ORDER BY s.id")
        .bind(id).fetch_all(c).await)?)
}

/// A project's "problems cleared" countdown: open problems, the date by which the list
/// must be empty and the days left (negative when past).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Countdown {
    /// Open problems.
    pub open: i64,
    /// Of which overdue.
    pub overdue: i64,
    /// The latest deadline of the open problems.
    pub clear_by: Option<NaiveDate>,
    /// Days from today until then.
    pub days_left: Option<i64>,
}

/// The countdown of one project (visible problems only).
pub async fn countdown(
    db: &Db,
    actor: &Actor,
    project_id: i64,
    today: NaiveDate,
) -> Result<Countdown> {
    let f = ProblemFilter {
        project_id: Some(project_id),
        status: Some("open".into()),
        ..Default::default()
    };
    let open = all(db, actor, &f, today).await?;
    let cb = rules::clear_by(open.iter().map(|p| p.deadline), today);
    Ok(Countdown {
        open: open.len() as i64,
        overdue: open.iter().filter(|p| p.overdue_days(today) > 0).count() as i64,
        clear_by: cb.map(|c| c.0),
        days_left: cb.map(|c| c.1),
    })
}

/// Statistics of one handling unit.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct UnitStats {
    pub unit_id: i64,
    pub unit: String,
    /// Problems it handles or handled (current handler).
    pub total: i64,
    /// Closed (销号).
    pub closed: i64,
    /// closed / total, in per cent (one decimal).
    pub resolved_pct: f64,
    /// Median calendar days from raised to first reply (or solution).
    pub median_reply_days: Option<i64>,
    /// Open and past the step deadline now.
    pub overdue: i64,
    /// Escalated away from this tier at least once (counted on the current handler).
    pub escalated: i64,
}

/// Per-unit statistics over the problems the actor may see, the most overdue first.
/// Aggregated by the database, one row per unit, with the reply times of each unit as
/// one JSON array for the median.
pub async fn unit_stats(db: &Db, actor: &Actor, today: NaiveDate) -> Result<Vec<UnitStats>> {
    actor.access.require(Permission::ProjectRead)?;
    let days = match db {
        Db::Sqlite(_) => {
            "json_group_array(CAST(julianday(x.first_reply_on) - julianday(x.raised_on) AS INTEGER)) FILTER (WHERE x.first_reply_on IS NOT NULL)"
        }
        Db::Postgres(_) => {
            "COALESCE(json_agg(x.first_reply_on - x.raised_on) FILTER (WHERE x.first_reply_on IS NOT NULL), '[]'::json)::text"
        }
    };
    let mut q = Sql::new(&format!(
        "SELECT x.handler_unit_id, hu.name, COUNT(*), SUM(CASE WHEN x.status = 'closed' THEN 1 ELSE 0 END), \
         SUM(CASE WHEN x.escalations > 0 THEN 1 ELSE 0 END), {days}"
    ));
    // The overdue count needs today's date bound first.
    q.push(", SUM(CASE WHEN x.status IN ('raised', 'accepted', 'replied') AND x.deadline < ")
        .bind(crate::Val::D(Some(today)))
        .push(" THEN 1 ELSE 0 END) FROM problem x JOIN unit hu ON hu.id = x.handler_unit_id");
    let w = filter_sql(actor, &ProblemFilter::default(), today, "")?;
    // `filter_sql` numbered its placeholders from 1: renumber after ours.
    let shift = q.vals.len();
    let mut text = w.text.clone();
    for i in (1..=w.vals.len()).rev() {
        text = text.replace(&format!("${i}"), &format!("${}", i + shift));
    }
    q.push(&text);
    q.vals.extend(w.vals);
    q.push(" GROUP BY x.handler_unit_id, hu.name");
    type Row = (i64, String, i64, i64, i64, String, i64);
    let rows: Vec<Row> = on_db!(db, c => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(c).await)?;
    let mut out: Vec<UnitStats> = rows
        .into_iter()
        .map(|(unit_id, unit, total, closed, escalated, days, overdue)| {
            let days: Vec<i64> = serde_json::from_str(&days).unwrap_or_default();
            UnitStats {
                unit_id,
                unit,
                total,
                closed,
                resolved_pct: if total > 0 {
                    (closed as f64 * 1000.0 / total as f64).round() / 10.0
                } else {
                    0.0
                },
                median_reply_days: rules::median(days),
                overdue,
                escalated,
            }
        })
        .collect();
    out.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(a.unit.cmp(&b.unit)));
    Ok(out)
}

/// Counts by status over the problems the actor may see (the funnel), plus overdue.
pub async fn funnel(db: &Db, actor: &Actor, today: NaiveDate) -> Result<Vec<(String, i64)>> {
    actor.access.require(Permission::ProjectRead)?;
    let from = from_clause(actor, &ProblemFilter::default());
    let mut q = filter_sql(
        actor,
        &ProblemFilter::default(),
        today,
        &format!("SELECT x.status, COUNT(*) {from}"),
    )?;
    q.push(" GROUP BY x.status");
    let rows: Vec<(String, i64)> = on_db!(db, c => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(c).await)?;
    let mut out: Vec<(String, i64)> = Status::ALL
        .iter()
        .map(|s| {
            (
                s.as_str().to_string(),
                rows.iter().find(|r| r.0 == s.as_str()).map_or(0, |r| r.1),
            )
        })
        .collect();
    let late = ProblemFilter {
        overdue: Some(true),
        ..Default::default()
    };
    let c = filter_sql(actor, &late, today, &format!("SELECT COUNT(*) {from}"))?;
    let overdue: i64 = on_db!(db, conn => bind_vals!(sqlx::query_scalar(sqlx::AssertSqlSafe(c.text.clone())), c.vals.clone()).fetch_one(conn).await)?;
    out.push(("overdue".into(), overdue));
    Ok(out)
}

/// What the actor's unit must do now: problems to accept, reply to or solve (handler
/// or assignee), and problems it raised that wait for its verification.
pub async fn todo(db: &Db, actor: &Actor, today: NaiveDate) -> Result<Vec<Problem>> {
    let Some(unit) = actor.unit_id else {
        return Ok(Vec::new());
    };
    let mut q = Sql::new(SELECT);
    q.push(" WHERE ((x.status IN ('raised', 'accepted', 'replied') AND (x.handler_unit_id = ")
        .bind(unit)
        .push(" OR x.assignee_unit_id = ")
        .bind(unit)
        .push(")) OR (x.status = 'solved' AND x.raiser_unit_id = ")
        .bind(unit)
        .push("))");
    and_scope(&mut q, &actor.access.scope(Permission::ProjectRead));
    q.push(ORDER).push(" LIMIT 500");
    let _ = today;
    Ok(
        on_db!(db, c => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(c).await)?,
    )
}
