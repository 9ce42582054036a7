//! Problems (问题清单) and rectification items: raised for a project, routed by tier
//! (division → department → city leader), accepted, replied with a date, solved,
//! verified by the raiser and closed (销号) — every step kept in `problem_step` and the
//! audit chain. Deadlines are working days on the stored calendar.
//!
//! A problem is visible to whoever may see its project, and to its raiser, handler and
//! assignee units (within the viewer's `project.read` scope).

mod read;
mod write;

pub use read::*;
pub use write::*;
pub(crate) use write::{Routing, escalate};

use crate::sql::Sql;
use crate::{Db, Result, Tx, exec_tx, on_db, on_tx, row_struct};
use chrono::{DateTime, NaiveDate, Utc};
use gongjian_domain::access::ScopeSet;
use gongjian_domain::problem::{self as rules, Category, Policy, Status, Tier};

row_struct! {
    /// A problem as listed and shown.
    #[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
    pub struct Problem {
        pub id: i64,
        pub project_id: i64,
        pub project_code: Option<String>,
        pub project_name: String,
        pub division_name: String,
        pub source: String,
        pub source_ref: String,
        pub category: String,
        pub description: String,
        pub need: String,
        pub raiser_unit_id: i64,
        pub raiser_unit: String,
        pub raised_by: String,
        pub raised_on: NaiveDate,
        /// 1 division, 2 department, 3 city.
        pub tier: i64,
        pub handler_unit_id: i64,
        pub handler_unit: String,
        pub assignee_unit_id: Option<i64>,
        pub assignee_unit: Option<String>,
        pub leader_name: Option<String>,
        pub status: String,
        pub step_since: NaiveDate,
        pub deadline: Option<NaiveDate>,
        pub reply_kind: Option<String>,
        pub reply_text: Option<String>,
        pub promised_on: Option<NaiveDate>,
        pub first_reply_on: Option<NaiveDate>,
        pub solved_note: Option<String>,
        #[serde(rename = "override")]
        pub overridden: bool,
        pub reopen_count: i64,
        pub escalations: i64,
        pub closed_on: Option<NaiveDate>,
    }
}

impl Problem {
    /// Parsed status.
    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Raised)
    }
    /// Chinese status.
    pub fn status_zh(&self) -> &'static str {
        self.status().zh()
    }
    /// The tier.
    pub fn tier(&self) -> Tier {
        Tier::from_level(self.tier)
    }
    /// Chinese tier.
    pub fn tier_zh(&self) -> &'static str {
        self.tier().zh()
    }
    /// Chinese category.
    pub fn category_zh(&self) -> &'static str {
        Category::parse(&self.category).map_or("其他", Category::zh)
    }
    /// Chinese source.
    pub fn source_zh(&self) -> &'static str {
        rules::Source::parse(&self.source).map_or("", rules::Source::zh)
    }
    /// Calendar days past the step deadline on `today`.
    pub fn overdue_days(&self, today: NaiveDate) -> i64 {
        if self.status().is_open() {
            rules::overdue_days(self.deadline, today)
        } else {
            0
        }
    }
    /// The unit that must act now: the raiser when solved, else the assignee or handler.
    pub fn acting_unit(&self) -> &str {
        match self.status() {
            Status::Solved => &self.raiser_unit,
            _ => self.assignee_unit.as_deref().unwrap_or(&self.handler_unit),
        }
    }
}

/// The select list of [`Problem`]; `x` is the problem, `pr` its project.
pub(crate) const SELECT: &str = "SELECT x.id, x.project_id, pr.code AS project_code, pr.name AS project_name, dv.name AS division_name, \
     x.source, x.source_ref, x.category, x.description, x.need, x.raiser_unit_id, ru.name AS raiser_unit, x.raised_by, x.raised_on, \
     x.tier, x.handler_unit_id, hu.name AS handler_unit, x.assignee_unit_id, au.name AS assignee_unit, ld.name AS leader_name, \
     x.status, x.step_since, x.deadline, x.reply_kind, x.reply_text, x.promised_on, x.first_reply_on, x.solved_note, \
     x.override AS overridden, x.reopen_count, x.escalations, x.closed_on \
     FROM problem x JOIN project pr ON pr.id = x.project_id JOIN division dv ON dv.id = pr.division_id \
     JOIN unit ru ON ru.id = x.raiser_unit_id JOIN unit hu ON hu.id = x.handler_unit_id \
     LEFT JOIN unit au ON au.id = x.assignee_unit_id LEFT JOIN leader ld ON ld.id = x.leader_id";

row_struct! {
    /// One step of a problem's history.
    #[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
    pub struct Step {
        pub id: i64,
        pub action: String,
        pub from_status: Option<String>,
        pub to_status: String,
        pub tier: i64,
        pub unit_name: Option<String>,
        pub actor_name: String,
        pub note: String,
        pub on_date: NaiveDate,
        pub at: DateTime<Utc>,
    }
}

impl Step {
    /// Chinese name of the step.
    pub fn action_zh(&self) -> &'static str {
        match self.action.as_str() {
            "raise" => "提出",
            a => rules::Action::parse(a).map_or("", rules::Action::zh),
        }
    }
}

/// Appends the visibility condition: the project in scope, or the raiser, handler or
/// assignee unit in scope. Written as a set of problem ids, each branch answered from its
/// own index, so a district's page does not scan every problem of the province.
pub(crate) fn and_scope(w: &mut Sql, scope: &ScopeSet) {
    if scope.all {
        return;
    }
    if scope.units.is_empty() {
        w.push(" AND 1 = 0");
        return;
    }
    let first = w.vals.len() + 1;
    w.vals.extend(scope.units.iter().map(|u| crate::Val::I(*u)));
    let list = (first..first + scope.units.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",");
    w.push(&format!(
        " AND x.id IN (SELECT s.id FROM problem s WHERE s.project_id IN (\
         SELECT p.id FROM project p WHERE p.division_id IN (SELECT governs_division_id FROM unit WHERE id IN ({list})) \
         UNION SELECT p.id FROM project p WHERE p.responsible_unit_id IN ({list}) \
         UNION SELECT p.id FROM project p WHERE p.owner_unit_id IN ({list})) \
         UNION SELECT s.id FROM problem s WHERE s.handler_unit_id IN ({list}) \
         UNION SELECT s.id FROM problem s WHERE s.assignee_unit_id IN ({list}) \
         UNION SELECT s.id FROM problem s WHERE s.raiser_unit_id IN ({list}))"
    ));
}

/// The deadline policy (working days to accept and to reply): as set by an admin, else
/// the default (1 and 3).
pub async fn policy(db: &Db) -> Result<Policy> {
    let v: Option<String> = on_db!(db, c => sqlx::query_scalar("SELECT value FROM setting WHERE key = 'problem.policy'").fetch_optional(c).await)?;
    Ok(v.and_then(|v| serde_json::from_str(&v).ok())
        .unwrap_or_default())
}

/// The deadline policy, read inside a transaction.
pub(crate) async fn policy_tx(tx: &mut Tx) -> Result<Policy> {
    let v: Option<String> = on_tx!(tx, c => sqlx::query_scalar("SELECT value FROM setting WHERE key = 'problem.policy'").fetch_optional(c).await)?;
    Ok(v.and_then(|v| serde_json::from_str(&v).ok())
        .unwrap_or_default())
}

/// Sets the deadline policy (problem.admin). Applies to steps that begin afterwards.
pub async fn set_policy(
    tx: &mut Tx,
    actor: &crate::Actor,
    accept_days: &str,
    reply_days: &str,
) -> Result<Policy> {
    actor
        .access
        .require(gongjian_domain::access::Permission::ProblemAdmin)?;
    let p = Policy::checked(accept_days, reply_days)?;
    let before = policy_tx(tx).await?;
    let json = serde_json::to_string(&p).expect("serialisable");
    exec_tx!(tx, c => sqlx::query("INSERT INTO setting (key, value, updated_by, updated_at) VALUES ('problem.policy', $1, $2, $3) \
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, updated_at = excluded.updated_at")
        .bind(json).bind(actor.name.clone()).bind(crate::now()).execute(c).await)?;
    crate::audit::record(
        tx,
        actor,
        "policy",
        "problem",
        "policy",
        Some(&serde_json::json!(before)),
        Some(&serde_json::json!(p)),
    )
    .await?;
    Ok(p)
}

/// The working-day calendar, read inside a transaction.
pub(crate) async fn calendar_tx(tx: &mut Tx) -> Result<gongjian_domain::calendar::Calendar> {
    let rows: Vec<(NaiveDate, String)> =
        on_tx!(tx, c => sqlx::query_as("SELECT day, kind FROM calendar_day").fetch_all(c).await)?;
    Ok(gongjian_domain::calendar::Calendar::from_days(
        rows.into_iter()
            .filter_map(|(d, k)| gongjian_domain::calendar::DayKind::parse(&k).map(|k| (d, k))),
    ))
}

// ---------------------------------------------------------------- routing table

row_struct! {
    /// Which department handles a category at tier 2.
    #[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
    pub struct Route {
        pub category: String,
        pub unit_id: i64,
        pub unit_code: String,
        pub unit_name: String,
    }
}

/// The routing table.
pub async fn routes(db: &Db) -> Result<Vec<Route>> {
    Ok(on_db!(db, c => sqlx::query_as(
        "SELECT r.category, r.unit_id, u.code AS unit_code, u.name AS unit_name FROM problem_route r JOIN unit u ON u.id = r.unit_id ORDER BY r.category")
        .fetch_all(c).await)?)
}

/// Sets (or with `unit_code` empty, clears) the department of a category.
pub async fn set_route(
    tx: &mut Tx,
    actor: &crate::Actor,
    category: &str,
    unit_code: &str,
) -> Result<()> {
    use gongjian_domain::access::Permission;
    actor.access.require(Permission::ProblemAdmin)?;
    let cat = Category::parse(category)?;
    exec_tx!(tx, c => sqlx::query("DELETE FROM problem_route WHERE category = $1").bind(cat.as_str()).execute(c).await)?;
    let code = unit_code.trim();
    let mut unit_id = None;
    if !code.is_empty() {
        let u = crate::unit::by_code_tx(tx, code).await?.ok_or_else(|| {
            gongjian_domain::DomainError::new(
                "unit",
                format!("没有编码为“{code}”的单位。"),
                format!("no unit '{code}'"),
            )
        })?;
        if u.kind != "department" {
            return Err(gongjian_domain::DomainError::new(
                "unit",
                format!("“{}”不是部门，第二层级只能交由市直部门办理。", u.name),
                format!("'{}' is not a department", u.name),
            )
            .into());
        }
        exec_tx!(tx, c => sqlx::query("INSERT INTO problem_route (category, unit_id) VALUES ($1, $2)").bind(cat.as_str()).bind(u.id).execute(c).await)?;
        unit_id = Some(u.id);
    }
    crate::audit::record(
        tx,
        actor,
        "route",
        "problem_route",
        cat.as_str(),
        None,
        Some(&serde_json::json!({"unit_id": unit_id})),
    )
    .await?;
    Ok(())
}
