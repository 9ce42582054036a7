//! Annual plans, milestones and stage changes.

#[allow(unused_imports)]
use super::*;
#[allow(unused_imports)]
use super::{admin::*, bulk::*, check::*, write::*};

/// Sets the plan of one year for a project (months in 万元 text, or none).
pub async fn set_plan(
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    year: i64,
    annual_wan: &str,
    months_wan: &[Option<String>],
    allow_mismatch: bool,
) -> Result<PlanRow> {
    let p = by_id_tx(tx, id)
        .await?
        .ok_or_else(|| StoreError::not_found("项目", "project", id))?;
    require_write(actor, p.scope_units())?;
    let input = ProjectInput {
        plan_year: Some(year),
        annual_plan_wan: Some(annual_wan.to_string()),
        months_wan: months_wan.to_vec(),
        allow_plan_mismatch: allow_mismatch,
        ..Default::default()
    };
    let mut errs = Vec::new();
    let plan = check_plan(&input, year, &mut errs);
    if !errs.is_empty() {
        return Err(first_error(errs));
    }
    let plan = plan.ok_or_else(|| {
        DomainError::new(
            "annual_plan_wan",
            "请填写年度计划投资。",
            "The annual plan is required.",
        )
    })?;
    let before: Option<PlanRow> = on_tx!(tx, c => sqlx::query_as("SELECT * FROM project_plan WHERE project_id = $1 AND year = $2").bind(id).bind(year).fetch_optional(c).await)?;
    put_plan(tx, id, &plan).await?;
    let after: PlanRow = on_tx!(tx, c => sqlx::query_as("SELECT * FROM project_plan WHERE project_id = $1 AND year = $2").bind(id).bind(year).fetch_one(c).await)?;
    audit::record(
        tx,
        actor,
        "plan",
        "project",
        id,
        before.as_ref().map(|b| serde_json::json!(b)).as_ref(),
        Some(&serde_json::json!(after)),
    )
    .await?;
    Ok(after)
}

/// Copies every plan of `from` to `from + 1` for the projects in the actor's write scope
/// that are still live and have no plan for the new year. Returns how many were copied.
pub async fn copy_plans_forward(tx: &mut Tx, actor: &Actor, from: i64) -> Result<u64> {
    actor.access.require(Permission::ProjectWrite)?;
    let mut q = Sql::new(
        "SELECT p.id FROM project p LEFT JOIN unit g ON g.governs_division_id = p.division_id \
        JOIN project_plan pp ON pp.project_id = p.id AND pp.year = $1 WHERE p.active = TRUE AND p.stage NOT IN ('completed', 'operation', 'terminated') \
        AND NOT EXISTS (SELECT 1 FROM project_plan n WHERE n.project_id = p.id AND n.year = $2)",
    );
    q.vals = vec![crate::Val::I(from), crate::Val::I(from + 1)];
    and_scope(&mut q, &actor.access.scope(Permission::ProjectWrite));
    let ids: Vec<i64> = on_tx!(tx, c => bind_vals!(sqlx::query_scalar(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(c).await)?;
    for id in &ids {
        exec_tx!(tx, c => sqlx::query("INSERT INTO project_plan (project_id, year, annual, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, mismatch) \
            SELECT project_id, year + 1, annual, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, mismatch FROM project_plan WHERE project_id = $1 AND year = $2")
            .bind(*id).bind(from).execute(c).await)?;
    }
    audit::record(
        tx,
        actor,
        "copy_plans",
        "project_plan",
        from + 1,
        None,
        Some(&serde_json::json!({"from": from, "to": from + 1, "projects": ids})),
    )
    .await?;
    Ok(ids.len() as u64)
}

/// A milestone as written in a form or the API.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct MilestoneInput {
    /// Node name, e.g. 完成环评批复.
    pub name: String,
    /// Days the node takes.
    pub duration_days: Option<i64>,
    /// Planned finish, e.g. 2026-06-30.
    pub planned_date: Option<String>,
    /// Actual finish.
    pub actual_date: Option<String>,
    /// Note.
    pub note: Option<String>,
}

pub(super) fn date_field(
    field: &'static str,
    label: &str,
    raw: &Option<String>,
) -> std::result::Result<Option<NaiveDate>, DomainError> {
    match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => dp::parse_date(s).map(Some).ok_or_else(|| {
            DomainError::new(
                field,
                format!("{label}“{s}”不是日期，应如 2026-06-30。"),
                format!("{field} '{s}' is not a date (e.g. 2026-06-30)."),
            )
        }),
    }
}

/// Replaces the milestones of a project. Planned dates must be in order.
pub async fn set_milestones(
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    nodes: &[MilestoneInput],
) -> Result<Vec<Milestone>> {
    let p = by_id_tx(tx, id)
        .await?
        .ok_or_else(|| StoreError::not_found("项目", "project", id))?;
    require_write(actor, p.scope_units())?;
    let mut checked = Vec::new();
    let mut last: Option<NaiveDate> = None;
    for (i, n) in nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| !n.name.trim().is_empty())
    {
        let name = text::name("name", "节点名称", &n.name)?;
        let planned = date_field("planned_date", "计划完成时间", &n.planned_date)?;
        let actual = date_field("actual_date", "实际完成时间", &n.actual_date)?;
        if let Some(d) = n.duration_days
            && !(0..=3650).contains(&d)
        {
            return Err(DomainError::new(
                "duration_days",
                format!("第 {} 个节点的工期 {d} 天不合理（0–3650）。", i + 1),
                format!("Node {}: duration {d} days is out of range.", i + 1),
            )
            .into());
        }
        if let (Some(a), Some(b)) = (last, planned)
            && b < a
        {
            return Err(DomainError::new("planned_date", format!("第 {} 个节点“{name}”的计划完成时间 {b} 早于上一节点的 {a}，节点应按时间先后排列。", i + 1), format!("Node {} '{name}' is planned for {b}, before the previous node's {a}.", i + 1)).into());
        }
        last = planned.or(last);
        checked.push((
            name,
            n.duration_days,
            planned,
            actual,
            n.note.clone().filter(|s| !s.trim().is_empty()),
        ));
    }
    let before: Vec<Milestone> = on_tx!(tx, c => sqlx::query_as("SELECT id, seq, name, duration_days, planned_date, actual_date, note FROM milestone WHERE project_id = $1 ORDER BY seq, id").bind(id).fetch_all(c).await)?;
    exec_tx!(tx, c => sqlx::query("DELETE FROM milestone WHERE project_id = $1").bind(id).execute(c).await)?;
    for (i, (name, dur, planned, actual, note)) in checked.iter().enumerate() {
        exec_tx!(tx, c => sqlx::query("INSERT INTO milestone (project_id, seq, name, duration_days, planned_date, actual_date, note) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(id).bind(i as i64 + 1).bind(name.clone()).bind(*dur).bind(*planned).bind(*actual).bind(note.clone()).execute(c).await)?;
    }
    let after: Vec<Milestone> = on_tx!(tx, c => sqlx::query_as("SELECT id, seq, name, duration_days, planned_date, actual_date, note FROM milestone WHERE project_id = $1 ORDER BY seq, id").bind(id).fetch_all(c).await)?;
    audit::record(
        tx,
        actor,
        "milestones",
        "project",
        id,
        Some(&serde_json::json!(before)),
        Some(&serde_json::json!(after)),
    )
    .await?;
    Ok(after)
}

/// Moves a project to another stage (allowed transitions only), with a date and a note.
pub async fn change_stage(
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    to: &str,
    on: Option<&str>,
    note: Option<&str>,
) -> Result<Project> {
    let p = by_id_tx(tx, id)
        .await?
        .ok_or_else(|| StoreError::not_found("项目", "project", id))?;
    require_write(actor, p.scope_units())?;
    let from = Stage::parse(&p.stage)?;
    let to = Stage::parse(to)?;
    from.check_move(to)?;
    let on = match date_field("on_date", "日期", &on.map(str::to_string))? {
        Some(d) => d,
        None => chrono::Local::now().date_naive(),
    };
    let note = note
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let now = crate::now();
    exec_tx!(tx, c => sqlx::query("INSERT INTO project_stage_log (project_id, from_stage, to_stage, on_date, note, actor_name, at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(id).bind(from.as_str()).bind(to.as_str()).bind(on).bind(note.clone()).bind(actor.name.clone()).bind(now).execute(c).await)?;
    let started = p.started || to.is_started();
    let start_date = if to == Stage::Construction && p.start_date.is_none() {
        Some(on)
    } else {
        p.start_date
    };
    exec_tx!(tx, c => sqlx::query("UPDATE project SET stage = $1, stage_date = $2, started = $3, start_date = $4, active = $5, updated_at = $6 WHERE id = $7")
        .bind(to.as_str()).bind(on).bind(started).bind(start_date).bind(to != Stage::Terminated).bind(now).bind(id).execute(c).await)?;
    audit::record(
        tx,
        actor,
        "stage",
        "project",
        id,
        Some(&serde_json::json!({"stage": from.as_str()})),
        Some(&serde_json::json!({"stage": to.as_str(), "on": on, "note": note})),
    )
    .await?;
    Ok(by_id_tx(tx, id).await?.expect("exists"))
}

/// Replaces the milestones of many projects at once (the generator's path), with one
/// audit record naming the projects.
pub async fn seed_milestones(
    tx: &mut Tx,
    actor: &Actor,
    items: &[(i64, &[MilestoneInput])],
) -> Result<()> {
    use crate::Val;
    let ids: Vec<i64> = items.iter().map(|(i, _)| *i).collect();
    for chunk in ids.chunks(500) {
        let mut q = Sql::new("DELETE FROM milestone WHERE project_id IN ");
        q.bind_list(chunk.iter().copied());
        exec_tx!(tx, c => bind_vals!(sqlx::query(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).execute(c).await)?;
    }
    let mut rows = Vec::new();
    for (id, nodes) in items {
        for (i, n) in nodes.iter().enumerate() {
            let planned = date_field("planned_date", "计划完成时间", &n.planned_date)?;
            let actual = date_field("actual_date", "实际完成时间", &n.actual_date)?;
            rows.push(vec![
                Val::I(*id),
                Val::I(i as i64 + 1),
                Val::S(n.name.clone()),
                Val::OI(n.duration_days),
                Val::D(planned),
                Val::D(actual),
                Val::OS(n.note.clone()),
            ]);
        }
    }
    crate::sql::insert_rows(tx, "INSERT INTO milestone (project_id, seq, name, duration_days, planned_date, actual_date, note)", rows).await?;
    audit::record(
        tx,
        actor,
        "seed_milestones",
        "project",
        "*",
        None,
        Some(&serde_json::json!({"projects": ids.len(), "first": ids.first(), "last": ids.last()})),
    )
    .await
}

/// Marks done, on their planned dates, the milestones of the given projects that were
/// due by the given date (the generator's path), with one audit record.
pub async fn complete_milestones(
    tx: &mut Tx,
    actor: &Actor,
    items: &[(i64, NaiveDate)],
) -> Result<u64> {
    actor.access.require(Permission::ProjectWrite)?;
    let mut n = 0;
    for (id, until) in items {
        n += exec_tx!(tx, c => sqlx::query("UPDATE milestone SET actual_date = planned_date WHERE project_id = $1 AND planned_date <= $2 AND actual_date IS NULL")
            .bind(*id).bind(*until).execute(c).await)?;
    }
    audit::record(
        tx,
        actor,
        "complete_milestones",
        "milestone",
        items.len(),
        None,
        Some(&serde_json::json!({"projects": items.len(), "milestones": n})),
    )
    .await?;
    Ok(n)
}
