//! Raising and handling problems: every step checks who may take it, moves the status
//! through the domain's flow, sets the next deadline, notifies the unit that must act
//! next, and is kept as a step and in the audit chain.

use super::{Problem, SELECT, calendar_tx, policy_tx};
use crate::{Actor, Result, StoreError, Tx, audit, exec_tx, notify, on_tx};
use chrono::NaiveDate;
use gongjian_domain::DomainError;
use gongjian_domain::access::Permission;
use gongjian_domain::problem::{self as rules, Action, Category, Escalation, Source, Status, Tier};

/// A new problem.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct RaiseInput {
    /// The project.
    pub project_id: i64,
    /// land, funding, permits, environment, demolition, utilities, policy, other (or Chinese).
    pub category: String,
    /// What the problem is.
    pub description: String,
    /// What is needed to solve it.
    #[serde(default)]
    pub need: String,
    /// report, unit (default), meeting, inspection, audit, env_inspection.
    #[serde(default)]
    pub source: Option<String>,
    /// E.g. the report period, the meeting or the inspection it came from.
    #[serde(default)]
    pub source_ref: Option<String>,
}

/// A step taken on a problem.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct StepInput {
    /// accept, reply, solve, verify, reopen, override.
    pub action: String,
    /// The note: what was done, why not satisfied, the override reason…
    #[serde(default)]
    pub note: String,
    /// accept: the unit code it is assigned to (default: the handler itself).
    #[serde(default)]
    pub assignee: Option<String>,
    /// reply: `plan` or `conditions`.
    #[serde(default)]
    pub reply_kind: Option<String>,
    /// reply: the date it will be solved by (or the conditions met by).
    #[serde(default)]
    pub reply_by: Option<String>,
}

/// The problem read inside a transaction, unscoped (callers check).
pub(crate) async fn get_tx(tx: &mut Tx, id: i64) -> Result<Option<Problem>> {
    let sql = format!("{SELECT} WHERE x.id = $1");
    Ok(
        on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(c).await)?,
    )
}

/// Lookups of the routing that repeat across many problems (the escalation job):
/// the governments above each division and the department of each category.
#[derive(Default)]
pub(crate) struct Routing {
    govs: std::collections::HashMap<i64, Vec<i64>>,
    routes: std::collections::HashMap<&'static str, Option<i64>>,
}

/// The unit (and leader) handling problems of a project at a tier.
pub(crate) async fn handler_for(
    tx: &mut Tx,
    project_id: i64,
    tier: Tier,
    category: Category,
) -> Result<(i64, Option<i64>)> {
    handler_with(tx, &mut Routing::default(), project_id, tier, category).await
}

pub(crate) async fn handler_with(
    tx: &mut Tx,
    cache: &mut Routing,
    project_id: i64,
    tier: Tier,
    category: Category,
) -> Result<(i64, Option<i64>)> {
    let (division, responsible, leader): (i64, Option<i64>, Option<i64>) = on_tx!(tx, c => sqlx::query_as(
        "SELECT division_id, responsible_unit_id, contact_leader_id FROM project WHERE id = $1")
        .bind(project_id).fetch_one(c).await)?;
    // Governments of the division and its ancestors, nearest first.
    if let std::collections::hash_map::Entry::Vacant(slot) = cache.govs.entry(division) {
        let govs: Vec<i64> = on_tx!(tx, c => sqlx::query_scalar(
            "WITH RECURSIVE up(id, parent_id, depth) AS (SELECT id, parent_id, 0 FROM division WHERE id = $1 \
             UNION ALL SELECT d.id, d.parent_id, up.depth + 1 FROM division d JOIN up ON d.id = up.parent_id WHERE up.depth < 32) \
             SELECT u.id FROM up JOIN unit u ON u.governs_division_id = up.id AND u.active = TRUE ORDER BY up.depth")
            .bind(division).fetch_all(c).await)?;
        slot.insert(govs);
    }
    let govs = cache.govs[&division].clone();
    let missing = || {
        StoreError::Invalid(DomainError::new(
            "project",
            "项目所在地及其上级都没有登记政府单位，无法分派问题：请先在组织机构中登记。",
            "No government unit governs the project's division or its ancestors.",
        ))
    };
    Ok(match tier {
        Tier::Division => (*govs.first().ok_or_else(missing)?, None),
        Tier::Department => {
            let key = category.as_str();
            if !cache.routes.contains_key(key) {
                let routed: Option<i64> = on_tx!(tx, c => sqlx::query_scalar("SELECT unit_id FROM problem_route WHERE category = $1").bind(key).fetch_optional(c).await)?;
                cache.routes.insert(key, routed);
            }
            let unit = cache.routes[key]
                .or(responsible)
                .or(govs.last().copied())
                .ok_or_else(missing)?;
            (unit, None)
        }
        Tier::City => (*govs.last().ok_or_else(missing)?, leader),
    })
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn step(
    tx: &mut Tx,
    id: i64,
    action: &str,
    from: Option<Status>,
    to: Status,
    tier: Tier,
    unit: Option<i64>,
    actor: &str,
    note: &str,
    on: NaiveDate,
) -> Result<()> {
    exec_tx!(tx, c => sqlx::query("INSERT INTO problem_step (problem_id, action, from_status, to_status, tier, unit_id, actor_name, note, on_date, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(id).bind(action).bind(from.map(Status::as_str)).bind(to.as_str()).bind(tier.level()).bind(unit)
        .bind(actor).bind(note).bind(on).bind(crate::now()).execute(c).await)?;
    Ok(())
}

fn link(id: i64) -> String {
    format!("/problems/{id}")
}

fn short(p: &Problem) -> String {
    let d: String = p.description.chars().take(40).collect();
    format!("{}：{d}", p.project_name)
}

/// Raises a problem for a project in the actor's scope. It goes to the division's
/// government (tier 1), to be accepted within the policy's working days.
pub async fn raise(
    tx: &mut Tx,
    actor: &Actor,
    input: &RaiseInput,
    today: NaiveDate,
) -> Result<Problem> {
    actor.access.require(Permission::ProblemWrite)?;
    let category = Category::parse(&input.category)?;
    let description = rules::check_description(&input.description)?;
    let source = match input.source.as_deref().map(str::trim) {
        None | Some("") => Source::Unit,
        Some(s) => Source::parse(s)?,
    };
    if source.is_rectification() {
        actor.access.require(Permission::ProblemAdmin)?;
    }
    // The project must be one the actor may raise problems for.
    let mut q = crate::Sql::new(
        "SELECT p.id, p.owner_unit_id, p.responsible_unit_id FROM project p WHERE p.id = ",
    );
    q.bind(input.project_id).push(" AND p.active = TRUE");
    crate::project::and_scope(&mut q, &actor.access.scope(Permission::ProblemWrite));
    let found: Option<(i64, Option<i64>, Option<i64>)> = on_tx!(tx, c => crate::bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_optional(c).await)?;
    let (_, owner, responsible) =
        found.ok_or_else(|| StoreError::not_found("项目", "project", input.project_id))?;
    let (handler, _) = handler_for(tx, input.project_id, Tier::Division, category).await?;
    let raiser = actor.unit_id.or(owner).or(responsible).unwrap_or(handler);
    let cal = calendar_tx(tx).await?;
    let deadline = rules::deadline(Status::Raised, today, None, &cal, policy_tx(tx).await?);
    let now = crate::now();
    let id: i64 = on_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO problem (project_id, source, source_ref, category, description, need, raiser_unit_id, raised_by, raised_on, tier, handler_unit_id, status, step_since, deadline, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, 'raised', $9, $11, $12, $12) RETURNING id")
        .bind(input.project_id).bind(source.as_str()).bind(input.source_ref.clone().unwrap_or_default().trim().to_string())
        .bind(category.as_str()).bind(description).bind(input.need.trim()).bind(raiser).bind(actor.name.clone())
        .bind(today).bind(handler).bind(deadline).bind(now).fetch_one(c).await)?;
    step(
        tx,
        id,
        "raise",
        None,
        Status::Raised,
        Tier::Division,
        Some(raiser),
        &actor.name,
        "",
        today,
    )
    .await?;
    let p = get_tx(tx, id).await?.expect("just inserted");
    audit::record(
        tx,
        actor,
        "raise",
        "problem",
        id,
        None,
        Some(&serde_json::json!({"project_id": p.project_id, "category": p.category, "handler": p.handler_unit_id, "deadline": p.deadline})),
    )
    .await?;
    notify::to_units(
        tx,
        &[handler],
        &format!("新问题待受理：{}", p.project_name),
        &format!(
            "{}（{}）请于 {} 前受理。",
            short(&p),
            p.category_zh(),
            deadline.map(|d| d.to_string()).unwrap_or_default()
        ),
        &link(id),
    )
    .await?;
    Ok(p)
}

fn handles(actor: &Actor, p: &Problem) -> bool {
    let s = actor.access.scope(Permission::ProblemWrite);
    actor.access.has(Permission::ProblemWrite)
        && (s.allows(Some(p.handler_unit_id), None)
            || p.assignee_unit_id.is_some_and(|a| s.allows(Some(a), None)))
}

fn not_yours(p: &Problem, who: &str) -> StoreError {
    StoreError::Invalid(DomainError::new(
        "unit",
        format!("这一步只能由{who}办理。"),
        format!(
            "Only the {} may take this step on problem {}.",
            if who.contains("提出") {
                "raiser"
            } else {
                "handling unit"
            },
            p.id
        ),
    ))
}

/// Checks that `unit_id` may be assigned a problem at `tier`: within the project's
/// division at tier 1, a department at tier 2, a city-level unit at tier 3.
async fn check_assignee(tx: &mut Tx, p: &Problem, code: &str) -> Result<i64> {
    let u = crate::unit::by_code_tx(tx, code.trim())
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| {
            DomainError::new(
                "assignee",
                format!("没有编码为“{}”的在用单位。", code.trim()),
                format!("no active unit '{}'", code.trim()),
            )
        })?;
    let (project_division, handler_division): (i64, i64) = on_tx!(tx, c => sqlx::query_as(
        "SELECT pr.division_id, hu.division_id FROM problem x JOIN project pr ON pr.id = x.project_id JOIN unit hu ON hu.id = x.handler_unit_id WHERE x.id = $1")
        .bind(p.id).fetch_one(c).await)?;
    let ok = match p.tier() {
        Tier::Division => {
            let n: i64 = on_tx!(tx, c => sqlx::query_scalar(
                "WITH RECURSIVE up(id, parent_id, depth) AS (SELECT id, parent_id, 0 FROM division WHERE id = $1 \
                 UNION ALL SELECT d.id, d.parent_id, up.depth + 1 FROM division d JOIN up ON d.id = up.parent_id WHERE up.depth < 32) \
                 SELECT COUNT(*) FROM up WHERE id = $2")
                .bind(u.division_id).bind(project_division).fetch_one(c).await)?;
            n > 0
        }
        Tier::Department => u.kind == "department",
        Tier::City => u.division_id == handler_division,
    };
    if !ok {
        let rule = match p.tier() {
            Tier::Division => "县区层级只能交办给项目所在地（及其下属）的单位",
            Tier::Department => "部门层级只能交办给市直部门",
            Tier::City => "市级层级只能交办给市级单位",
        };
        return Err(DomainError::new(
            "assignee",
            format!(
                "不能交办给“{}”：{rule}。如需跨层级，请由项目办改派。",
                u.name
            ),
            format!(
                "'{}' is outside the tier ({}); the office can reroute instead.",
                u.name,
                p.tier().as_str()
            ),
        )
        .into());
    }
    Ok(u.id)
}

/// Takes a step on a problem: accept (and assign), reply, solve, verify, reopen, or the
/// office's override. Returns the problem as it now stands.
pub async fn act(
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    input: &StepInput,
    today: NaiveDate,
) -> Result<Problem> {
    let p = super::read::get_scoped_tx(tx, actor, id).await?;
    let action = Action::parse(&input.action)
        .filter(|a| !matches!(a, Action::Escalate | Action::Reroute))
        .ok_or_else(|| {
            DomainError::new(
                "action",
                format!("未知操作“{}”。", input.action),
                format!("unknown action '{}'", input.action),
            )
        })?;
    let from = p.status();
    let to = rules::next(from, action)?;
    let note = input.note.trim().to_string();
    let cal = calendar_tx(tx).await?;
    let pol = policy_tx(tx).await?;
    let now = crate::now();
    let mut notify_units: Vec<i64> = Vec::new();
    let (title, body);
    match action {
        Action::Accept | Action::Reply | Action::Solve => {
            if !handles(actor, &p) {
                return Err(not_yours(&p, &format!("承办单位（{}）", p.acting_unit())));
            }
        }
        Action::Verify | Action::Reopen => {
            // Only the raising unit itself verifies: not its superiors on its behalf.
            if !actor.access.has(Permission::ProblemWrite)
                || actor.unit_id != Some(p.raiser_unit_id)
            {
                return Err(not_yours(&p, &format!("提出单位（{}）验收", p.raiser_unit)));
            }
        }
        Action::Override => actor.access.require(Permission::ProblemAdmin)?,
        Action::Reroute | Action::Escalate => unreachable!("filtered above"),
    }
    match action {
        Action::Accept => {
            let assignee = match input.assignee.as_deref().filter(|s| !s.trim().is_empty()) {
                Some(code) => Some(check_assignee(tx, &p, code).await?),
                None => None,
            };
            let deadline = rules::deadline(to, today, None, &cal, pol);
            exec_tx!(tx, c => sqlx::query("UPDATE problem SET status = $1, assignee_unit_id = $2, step_since = $3, deadline = $4, updated_at = $5 WHERE id = $6")
                .bind(to.as_str()).bind(assignee).bind(today).bind(deadline).bind(now).bind(id).execute(c).await)?;
            if let Some(a) = assignee {
                notify_units.push(a);
            }
            notify_units.push(p.raiser_unit_id);
            title = format!("问题已受理：{}", p.project_name);
            body = format!(
                "{} 已由{}受理，答复时限 {}。",
                short(&p),
                p.handler_unit,
                deadline.map(|d| d.to_string()).unwrap_or_default()
            );
        }
        Action::Reply => {
            let r = rules::check_reply(
                input.reply_kind.as_deref().unwrap_or("plan"),
                &note,
                input.reply_by.as_deref(),
                today,
            )?;
            exec_tx!(tx, c => sqlx::query("UPDATE problem SET status = $1, reply_kind = $2, reply_text = $3, promised_on = $4, deadline = $4, step_since = $5, first_reply_on = COALESCE(first_reply_on, $5), updated_at = $6 WHERE id = $7")
                .bind(to.as_str()).bind(r.kind.as_str()).bind(r.text.clone()).bind(r.by).bind(today).bind(now).bind(id).execute(c).await)?;
            notify_units.push(p.raiser_unit_id);
            title = format!("问题已答复：{}", p.project_name);
            body = format!(
                "{}。{}：{}，时限 {}。",
                short(&p),
                r.kind.zh(),
                r.text,
                r.by
            );
        }
        Action::Solve => {
            if note.chars().count() < 2 {
                return Err(DomainError::new(
                    "note",
                    "请写明解决情况，供提出单位验收。",
                    "Say how it was solved, for the raiser to verify.",
                )
                .into());
            }
            exec_tx!(tx, c => sqlx::query("UPDATE problem SET status = $1, solved_note = $2, deadline = NULL, step_since = $3, first_reply_on = COALESCE(first_reply_on, $3), updated_at = $4 WHERE id = $5")
                .bind(to.as_str()).bind(note.clone()).bind(today).bind(now).bind(id).execute(c).await)?;
            notify_units.push(p.raiser_unit_id);
            title = format!("问题已解决，请验收：{}", p.project_name);
            body = format!("{}。解决情况：{note}", short(&p));
        }
        Action::Verify => {
            exec_tx!(tx, c => sqlx::query("UPDATE problem SET status = $1, closed_on = $2, deadline = NULL, step_since = $2, updated_at = $3 WHERE id = $4")
                .bind(to.as_str()).bind(today).bind(now).bind(id).execute(c).await)?;
            notify_units.extend([p.handler_unit_id]);
            notify_units.extend(p.assignee_unit_id);
            title = format!("问题已验收销号：{}", p.project_name);
            body = format!("{} 已由{}验收销号。", short(&p), p.raiser_unit);
        }
        Action::Reopen => {
            if note.chars().count() < 2 {
                return Err(DomainError::new(
                    "note",
                    "验收不通过须写明原因。",
                    "Say why the solution is not accepted.",
                )
                .into());
            }
            let deadline = rules::deadline(to, today, None, &cal, pol);
            exec_tx!(tx, c => sqlx::query("UPDATE problem SET status = $1, reopen_count = reopen_count + 1, deadline = $2, step_since = $3, updated_at = $4 WHERE id = $5")
                .bind(to.as_str()).bind(deadline).bind(today).bind(now).bind(id).execute(c).await)?;
            notify_units.extend([p.handler_unit_id]);
            notify_units.extend(p.assignee_unit_id);
            title = format!("验收不通过，问题重新办理：{}", p.project_name);
            body = format!(
                "{}。原因：{note}。请于 {} 前重新答复。",
                short(&p),
                deadline.map(|d| d.to_string()).unwrap_or_default()
            );
        }
        Action::Override => {
            rules::check_override_reason(&note)?;
            exec_tx!(tx, c => sqlx::query("UPDATE problem SET status = $1, override = TRUE, closed_on = $2, deadline = NULL, step_since = $2, updated_at = $3 WHERE id = $4")
                .bind(to.as_str()).bind(today).bind(now).bind(id).execute(c).await)?;
            notify_units.extend([p.raiser_unit_id, p.handler_unit_id]);
            title = format!("问题被强制销号：{}", p.project_name);
            body = format!(
                "{} 未经验收，由{}强制销号。理由：{note}",
                short(&p),
                actor.name
            );
        }
        Action::Reroute | Action::Escalate => unreachable!(),
    }
    step(
        tx,
        id,
        action.as_str(),
        Some(from),
        to,
        p.tier(),
        actor.unit_id,
        &actor.name,
        &note,
        today,
    )
    .await?;
    let after = get_tx(tx, id).await?.expect("exists");
    audit::record(
        tx,
        actor,
        action.as_str(),
        "problem",
        id,
        Some(&serde_json::json!({"status": from.as_str()})),
        Some(&serde_json::json!({"status": to.as_str(), "note": note, "deadline": after.deadline, "override": after.overridden})),
    )
    .await?;
    notify::to_units(tx, &notify_units, &title, &body, &link(id)).await?;
    Ok(after)
}

/// The office sends a problem to another tier (and unit), with a reason: it must be
/// accepted again there.
pub async fn reroute(
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    tier: &str,
    unit_code: Option<&str>,
    reason: &str,
    today: NaiveDate,
) -> Result<Problem> {
    actor.access.require(Permission::ProblemAdmin)?;
    let p = super::read::get_scoped_tx(tx, actor, id).await?;
    let to = rules::next(p.status(), Action::Reroute)?;
    let tier = Tier::parse(tier)?;
    if reason.trim().chars().count() < 2 {
        return Err(
            DomainError::new("reason", "改派须写明理由。", "A reroute needs a reason.").into(),
        );
    }
    let category = Category::parse(&p.category).unwrap_or(Category::Other);
    let (mut handler, leader) = handler_for(tx, p.project_id, tier, category).await?;
    if let Some(code) = unit_code.map(str::trim).filter(|c| !c.is_empty()) {
        let u = crate::unit::by_code_tx(tx, code)
            .await?
            .filter(|u| u.active)
            .ok_or_else(|| {
                DomainError::new(
                    "unit",
                    format!("没有编码为“{code}”的在用单位。"),
                    format!("no active unit '{code}'"),
                )
            })?;
        if tier == Tier::Department && u.kind != "department" {
            return Err(DomainError::new(
                "unit",
                format!("“{}”不是部门，不能作为部门层级的承办单位。", u.name),
                format!("'{}' is not a department", u.name),
            )
            .into());
        }
        handler = u.id;
    }
    let cal = calendar_tx(tx).await?;
    let deadline = rules::deadline(to, today, None, &cal, policy_tx(tx).await?);
    exec_tx!(tx, c => sqlx::query("UPDATE problem SET status = $1, tier = $2, handler_unit_id = $3, assignee_unit_id = NULL, leader_id = $4, step_since = $5, deadline = $6, updated_at = $7 WHERE id = $8")
        .bind(to.as_str()).bind(tier.level()).bind(handler).bind(leader).bind(today).bind(deadline).bind(crate::now()).bind(id).execute(c).await)?;
    step(
        tx,
        id,
        "reroute",
        Some(p.status()),
        to,
        tier,
        Some(handler),
        &actor.name,
        reason.trim(),
        today,
    )
    .await?;
    let after = get_tx(tx, id).await?.expect("exists");
    audit::record(
        tx,
        actor,
        "reroute",
        "problem",
        id,
        Some(&serde_json::json!({"tier": p.tier, "handler": p.handler_unit_id})),
        Some(&serde_json::json!({"tier": after.tier, "handler": handler, "reason": reason.trim()})),
    )
    .await?;
    notify::to_units(
        tx,
        &[handler, p.handler_unit_id],
        &format!("问题改派：{}", p.project_name),
        &format!(
            "{} 改由{}办理（{}），请于 {} 前受理。理由：{}",
            short(&p),
            after.handler_unit,
            tier.zh(),
            deadline.map(|d| d.to_string()).unwrap_or_default(),
            reason.trim()
        ),
        &link(id),
    )
    .await?;
    Ok(after)
}

/// Performs one escalation decided by the job: one tier up, to be accepted there,
/// notifying the old and the new handler. Returns the new handler unit.
pub(crate) async fn escalate(
    tx: &mut Tx,
    actor: &Actor,
    p: &Problem,
    e: Escalation,
    routing: &mut Routing,
    notifier: &mut notify::Notifier,
) -> Result<i64> {
    let category = Category::parse(&p.category).unwrap_or(Category::Other);
    let (handler, leader) = handler_with(tx, routing, p.project_id, e.to, category).await?;
    exec_tx!(tx, c => sqlx::query("UPDATE problem SET status = 'raised', tier = $1, handler_unit_id = $2, assignee_unit_id = NULL, leader_id = $3, step_since = $4, deadline = $5, escalations = escalations + 1, updated_at = $6 WHERE id = $7")
        .bind(e.to.level()).bind(handler).bind(leader).bind(e.on).bind(e.deadline).bind(crate::now()).bind(p.id).execute(c).await)?;
    let note = format!(
        "{} 的时限 {} 已过，升级至{}",
        p.status_zh(),
        e.missed,
        e.to.zh()
    );
    step(
        tx,
        p.id,
        "escalate",
        Some(p.status()),
        Status::Raised,
        e.to,
        Some(handler),
        &actor.name,
        &note,
        e.on,
    )
    .await?;
    notifier
        .send(
            tx,
            &[p.handler_unit_id, handler],
            &format!("问题逾期升级：{}", p.project_name),
            &format!(
                "{}。{note}，请{}于 {} 前受理。",
                short(p),
                e.to.zh(),
                e.deadline
            ),
            &link(p.id),
        )
        .await?;
    Ok(handler)
}
