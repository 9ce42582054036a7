//! Supervised tasks (督查督办): issued by the supervision office (or from a meeting
//! decision), led by a unit with cooperating units, chased by a feedback rhythm, closed
//! only when the office verifies the evidence. Every entry is kept.

use crate::sql::{Page, Paged, Sql};
use crate::{
    Actor, Db, Result, StoreError, Tx, audit, bind_vals, exec_tx, notify, on_db, on_tx, row_struct,
};
use chrono::{DateTime, NaiveDate, Utc};
use gongjian_domain::DomainError;
use gongjian_domain::access::{Permission, ScopeSet};
use gongjian_domain::task::{self as rules, Action, Rhythm, Source, Status};

row_struct! {
    /// A task as listed and shown.
    #[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
    pub struct Task {
        pub id: i64,
        pub title: String,
        pub detail: String,
        pub source: String,
        pub source_ref: String,
        pub decision_id: Option<i64>,
        pub project_id: Option<i64>,
        pub project_name: Option<String>,
        pub lead_unit_id: i64,
        pub lead_unit: String,
        /// `city` when the lead unit is a city-level unit, else `division`.
        pub tier: String,
        pub cooperating: Option<String>,
        pub deadline: NaiveDate,
        pub rhythm: String,
        pub evidence: String,
        pub status: String,
        pub issued_by: String,
        pub issued_on: NaiveDate,
        pub next_feedback_on: Option<NaiveDate>,
        pub last_feedback_on: Option<NaiveDate>,
        pub claimed_on: Option<NaiveDate>,
        pub closed_on: Option<NaiveDate>,
    }
}

impl Task {
    /// Parsed status.
    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Issued)
    }
    /// Chinese status.
    pub fn status_zh(&self) -> &'static str {
        self.status().zh()
    }
    /// Chinese source.
    pub fn source_zh(&self) -> &'static str {
        Source::parse(&self.source).map_or("", Source::zh)
    }
    /// Chinese rhythm.
    pub fn rhythm_zh(&self) -> &'static str {
        Rhythm::parse(&self.rhythm).map_or("", Rhythm::zh)
    }
    /// Days past the deadline on `today` (0 when closed or not due).
    pub fn overdue_days(&self, today: NaiveDate) -> i64 {
        rules::overdue_days(self.status(), self.deadline, today)
    }
    /// Whether feedback is due and missing on `today`.
    pub fn feedback_late(&self, today: NaiveDate) -> bool {
        matches!(self.status(), Status::Issued | Status::InProgress)
            && self.next_feedback_on.is_some_and(|d| d < today)
    }
}

const SELECT: &str = "SELECT t.id, t.title, t.detail, t.source, t.source_ref, t.decision_id, t.project_id, pr.name AS project_name, \
     t.lead_unit_id, lu.name AS lead_unit, CASE WHEN ld.parent_id IS NULL THEN 'city' ELSE 'division' END AS tier, \
     (SELECT GROUP_CONCAT_U FROM task_unit tu JOIN unit cu ON cu.id = tu.unit_id WHERE tu.task_id = t.id) AS cooperating, \
     t.deadline, t.rhythm, t.evidence, t.status, t.issued_by, t.issued_on, t.next_feedback_on, t.last_feedback_on, t.claimed_on, t.closed_on \
     FROM task t JOIN unit lu ON lu.id = t.lead_unit_id JOIN division ld ON ld.id = lu.division_id LEFT JOIN project pr ON pr.id = t.project_id";

fn select(db_is_pg: bool) -> String {
    SELECT.replace(
        "GROUP_CONCAT_U",
        if db_is_pg {
            "string_agg(cu.name, '、' ORDER BY cu.name)"
        } else {
            "group_concat(cu.name, '、')"
        },
    )
}

row_struct! {
    /// One entry of a task's history.
    #[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
    pub struct Entry {
        pub id: i64,
        pub action: String,
        pub from_status: Option<String>,
        pub to_status: String,
        pub text: String,
        pub on_date: NaiveDate,
        pub unit_name: Option<String>,
        pub actor_name: String,
        pub at: DateTime<Utc>,
    }
}

impl Entry {
    /// Chinese name of the entry.
    pub fn action_zh(&self) -> &'static str {
        match self.action.as_str() {
            "issue" => "交办",
            a => Action::parse(a).map_or("", Action::zh),
        }
    }
}

/// A new task.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct TaskInput {
    pub title: String,
    #[serde(default)]
    pub detail: String,
    /// meeting, instruction, campaign or manual (default).
    #[serde(default)]
    pub source: Option<String>,
    /// E.g. the instruction's document number.
    #[serde(default)]
    pub source_ref: Option<String>,
    /// Optional project.
    #[serde(default)]
    pub project_id: Option<i64>,
    /// Lead unit code.
    pub lead_unit: String,
    /// Cooperating unit codes, separated by commas or spaces.
    #[serde(default)]
    pub cooperating: String,
    /// Deadline, ISO date.
    pub deadline: String,
    /// weekly, monthly or none.
    #[serde(default)]
    pub rhythm: Option<String>,
    /// Evidence required to close (empty: none).
    #[serde(default)]
    pub evidence: String,
}

/// An entry on a task.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct EntryInput {
    /// feedback, claim, verify, return.
    pub action: String,
    #[serde(default)]
    pub text: String,
    /// The date the feedback speaks for (default today; not in the future).
    #[serde(default)]
    pub on: Option<String>,
}

fn and_scope(w: &mut Sql, scope: &ScopeSet) {
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
        " AND (t.lead_unit_id IN ({list}) OR EXISTS (SELECT 1 FROM task_unit tu2 WHERE tu2.task_id = t.id AND tu2.unit_id IN ({list})))"
    ));
}

fn date(field: &'static str, raw: &str) -> std::result::Result<NaiveDate, DomainError> {
    gongjian_domain::project::parse_date(raw.trim()).ok_or_else(|| {
        DomainError::new(
            field,
            format!("“{raw}”不是日期，请写成 2026-12-31。"),
            format!("'{raw}' is not a date (write 2026-12-31)"),
        )
    })
}

async fn unit_by_code(tx: &mut Tx, field: &'static str, code: &str) -> Result<crate::unit::Unit> {
    crate::unit::by_code_tx(tx, code.trim())
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| {
            DomainError::new(
                field,
                format!(
                    "没有编码为“{}”的在用单位，请从单位列表中选择。",
                    code.trim()
                ),
                format!("no active unit '{}'", code.trim()),
            )
            .into()
        })
}

/// Issues a task (supervision office).
pub async fn issue(
    tx: &mut Tx,
    actor: &Actor,
    input: &TaskInput,
    today: NaiveDate,
) -> Result<Task> {
    actor.access.require(Permission::TaskAdmin)?;
    insert(tx, actor, input, None, today).await
}

async fn insert(
    tx: &mut Tx,
    actor: &Actor,
    input: &TaskInput,
    decision_id: Option<i64>,
    today: NaiveDate,
) -> Result<Task> {
    let title = input.title.trim();
    if title.chars().count() < 2 {
        return Err(DomainError::new("title", "请填写任务名称。", "Give the task a title.").into());
    }
    let source = match input.source.as_deref().map(str::trim) {
        None | Some("") => Source::Manual,
        Some(s) => Source::parse(s)?,
    };
    let rhythm = match input.rhythm.as_deref().map(str::trim) {
        None | Some("") => Rhythm::Monthly,
        Some(s) => Rhythm::parse(s)?,
    };
    if input.deadline.trim().is_empty() {
        return Err(DomainError::new("deadline", "请填写办结时限。", "Give a deadline.").into());
    }
    let deadline = date("deadline", &input.deadline)?;
    if deadline < today {
        return Err(DomainError::new(
            "deadline",
            format!("办结时限 {deadline} 早于今天。"),
            format!("the deadline {deadline} is before today"),
        )
        .into());
    }
    if input.lead_unit.trim().is_empty() {
        return Err(
            DomainError::new("lead_unit", "请选择牵头单位。", "Choose the lead unit.").into(),
        );
    }
    let lead = unit_by_code(tx, "lead_unit", &input.lead_unit).await?;
    let mut coop = Vec::new();
    for code in input
        .cooperating
        .split(|c: char| c == ',' || c == '，' || c == '、' || c.is_whitespace())
        .filter(|c| !c.is_empty())
    {
        let u = unit_by_code(tx, "cooperating", code).await?;
        if u.id != lead.id && !coop.contains(&u.id) {
            coop.push(u.id);
        }
    }
    let now = crate::now();
    let next = rhythm.next_due(today).map(|d| d.min(deadline));
    let id: i64 = on_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO task (title, detail, source, source_ref, decision_id, project_id, lead_unit_id, deadline, rhythm, evidence, status, issued_by, issued_on, next_feedback_on, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'issued', $11, $12, $13, $14, $14) RETURNING id")
        .bind(title).bind(input.detail.trim()).bind(source.as_str()).bind(input.source_ref.clone().unwrap_or_default().trim().to_string())
        .bind(decision_id).bind(input.project_id).bind(lead.id).bind(deadline).bind(rhythm.as_str()).bind(input.evidence.trim())
        .bind(actor.name.clone()).bind(today).bind(next).bind(now).fetch_one(c).await)?;
    for u in &coop {
        exec_tx!(tx, c => sqlx::query("INSERT INTO task_unit (task_id, unit_id) VALUES ($1, $2)").bind(id).bind(*u).execute(c).await)?;
    }
    entry(tx, id, "issue", None, Status::Issued, title, today, actor).await?;
    audit::record(
        tx,
        actor,
        "issue",
        "task",
        id,
        None,
        Some(&serde_json::json!({"title": title, "lead": lead.code, "deadline": deadline, "source": source.as_str()})),
    )
    .await?;
    let mut units = vec![lead.id];
    units.extend(&coop);
    notify::to_units(
        tx,
        &units,
        &format!("督办任务：{title}"),
        &format!(
            "牵头单位：{}，办结时限 {deadline}，反馈频次：{}。",
            lead.name,
            rhythm.zh()
        ),
        &format!("/tasks/{id}"),
    )
    .await?;
    get_tx(tx, id).await
}

/// Issues the task of a meeting decision (called when the decision is recorded).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn issue_from_decision(
    tx: &mut Tx,
    actor: &Actor,
    decision_id: i64,
    text: &str,
    project_id: i64,
    unit_code: &str,
    deadline: NaiveDate,
    meeting_title: &str,
    today: NaiveDate,
) -> Result<Task> {
    let input = TaskInput {
        title: text.chars().take(60).collect(),
        detail: text.to_string(),
        source: Some("meeting".into()),
        source_ref: Some(meeting_title.to_string()),
        project_id: Some(project_id),
        lead_unit: unit_code.to_string(),
        deadline: deadline.to_string(),
        rhythm: Some("weekly".into()),
        ..Default::default()
    };
    insert(tx, actor, &input, Some(decision_id), today).await
}

#[allow(clippy::too_many_arguments)]
async fn entry(
    tx: &mut Tx,
    id: i64,
    action: &str,
    from: Option<Status>,
    to: Status,
    text: &str,
    on: NaiveDate,
    actor: &Actor,
) -> Result<()> {
    exec_tx!(tx, c => sqlx::query("INSERT INTO task_entry (task_id, action, from_status, to_status, text, on_date, unit_id, actor_name, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(id).bind(action).bind(from.map(Status::as_str)).bind(to.as_str()).bind(text).bind(on).bind(actor.unit_id).bind(actor.name.clone()).bind(crate::now()).execute(c).await)?;
    Ok(())
}

async fn get_tx(tx: &mut Tx, id: i64) -> Result<Task> {
    let sql = format!("{} WHERE t.id = $1", select(matches!(tx, Tx::Postgres(_))));
    let t: Option<Task> = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(c).await)?;
    t.ok_or_else(|| StoreError::not_found("督办任务", "task", id))
}

async fn cooperating_ids(tx: &mut Tx, id: i64) -> Result<Vec<i64>> {
    Ok(
        on_tx!(tx, c => sqlx::query_scalar("SELECT unit_id FROM task_unit WHERE task_id = $1").bind(id).fetch_all(c).await)?,
    )
}

/// Adds an entry: feedback (lead or cooperating unit), claim (lead unit), verify or
/// return (supervision office).
pub async fn act(
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    input: &EntryInput,
    today: NaiveDate,
) -> Result<Task> {
    let t = get_tx(tx, id).await?;
    let visible = {
        let s = actor.access.scope(Permission::ProjectRead);
        s.all
            || s.units.contains(&t.lead_unit_id)
            || cooperating_ids(tx, id)
                .await?
                .iter()
                .any(|u| s.units.contains(u))
    };
    if !visible {
        return Err(StoreError::not_found("督办任务", "task", id));
    }
    let action = Action::parse(&input.action).ok_or_else(|| {
        DomainError::new(
            "action",
            format!("未知操作“{}”。", input.action),
            format!("unknown action '{}'", input.action),
        )
    })?;
    let from = t.status();
    let to = rules::next(from, action)?;
    let ws = actor.access.scope(Permission::TaskWrite);
    let lead_ok = actor.access.has(Permission::TaskWrite) && ws.allows(Some(t.lead_unit_id), None);
    match action {
        Action::Feedback => {
            let coop = cooperating_ids(tx, id).await?;
            if !(lead_ok
                || (actor.access.has(Permission::TaskWrite)
                    && coop.iter().any(|u| ws.allows(Some(*u), None))))
            {
                return Err(DomainError::new(
                    "unit",
                    "只有牵头单位或配合单位可以反馈进展。",
                    "Only the lead or a cooperating unit may report progress.",
                )
                .into());
            }
        }
        Action::Claim => {
            if !lead_ok {
                return Err(DomainError::new(
                    "unit",
                    format!("只有牵头单位（{}）可以申请办结。", t.lead_unit),
                    "Only the lead unit may claim completion.",
                )
                .into());
            }
            if !t.evidence.is_empty() {
                let n: i64 = on_tx!(tx, c => sqlx::query_scalar("SELECT COUNT(*) FROM attachment WHERE owner_kind = 'task' AND owner_id = $1").bind(id).fetch_one(c).await)?;
                if n == 0 {
                    return Err(DomainError::new(
                        "attachments",
                        format!("本任务要求佐证材料（{}），请上传附件后再申请办结。", t.evidence),
                        format!("This task requires evidence ({}); attach it before claiming completion.", t.evidence),
                    )
                    .into());
                }
            }
        }
        Action::Verify | Action::Return => actor.access.require(Permission::TaskAdmin)?,
    }
    let text = rules::check_text(action, &input.text)?;
    let on = match input.on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => date("on", s)?,
        None => today,
    };
    if on > today {
        return Err(DomainError::new(
            "on",
            format!("反馈日期 {on} 晚于今天。"),
            format!("the date {on} is in the future"),
        )
        .into());
    }
    let now = crate::now();
    let rhythm = Rhythm::parse(&t.rhythm).unwrap_or(Rhythm::Monthly);
    let (title, body, units): (String, String, Vec<i64>);
    match action {
        Action::Feedback => {
            let next = rhythm.next_due(on).map(|d| d.min(t.deadline).max(today));
            exec_tx!(tx, c => sqlx::query("UPDATE task SET status = $1, last_feedback_on = $2, next_feedback_on = $3, updated_at = $4 WHERE id = $5")
                .bind(to.as_str()).bind(on).bind(next).bind(now).bind(id).execute(c).await)?;
            (title, body, units) = (String::new(), String::new(), Vec::new());
        }
        Action::Claim => {
            exec_tx!(tx, c => sqlx::query("UPDATE task SET status = $1, claimed_on = $2, last_feedback_on = $2, next_feedback_on = NULL, updated_at = $3 WHERE id = $4")
                .bind(to.as_str()).bind(on).bind(now).bind(id).execute(c).await)?;
            (title, body, units) = (String::new(), String::new(), Vec::new());
        }
        Action::Verify => {
            exec_tx!(tx, c => sqlx::query("UPDATE task SET status = $1, closed_on = $2, next_feedback_on = NULL, updated_at = $3 WHERE id = $4")
                .bind(to.as_str()).bind(today).bind(now).bind(id).execute(c).await)?;
            if let Some(d) = t.decision_id {
                exec_tx!(tx, c => sqlx::query("UPDATE meeting_decision SET status = 'done', done_at = $1 WHERE id = $2").bind(now).bind(d).execute(c).await)?;
            }
            (title, body, units) = (
                format!("督办任务已核验办结：{}", t.title),
                text.clone(),
                vec![t.lead_unit_id],
            );
        }
        Action::Return => {
            let next = rhythm.next_due(today).map(|d| d.min(t.deadline).max(today));
            exec_tx!(tx, c => sqlx::query("UPDATE task SET status = $1, claimed_on = NULL, next_feedback_on = $2, updated_at = $3 WHERE id = $4")
                .bind(to.as_str()).bind(next).bind(now).bind(id).execute(c).await)?;
            (title, body, units) = (
                format!("督办任务被退回补充：{}", t.title),
                format!("理由：{text}"),
                vec![t.lead_unit_id],
            );
        }
    }
    entry(tx, id, action.as_str(), Some(from), to, &text, on, actor).await?;
    audit::record(
        tx,
        actor,
        action.as_str(),
        "task",
        id,
        Some(&serde_json::json!({"status": from.as_str()})),
        Some(&serde_json::json!({"status": to.as_str(), "text": text, "on": on})),
    )
    .await?;
    if !units.is_empty() {
        notify::to_units(tx, &units, &title, &body, &format!("/tasks/{id}")).await?;
    }
    get_tx(tx, id).await
}

/// Filters of the task list.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
pub struct TaskFilter {
    /// A status, or `open` for all but closed.
    pub status: Option<String>,
    /// Only tasks past their deadline (not closed).
    pub overdue: Option<bool>,
    /// A source.
    pub source: Option<String>,
    /// Led by (or cooperating) this unit.
    pub unit_id: Option<i64>,
    /// Free text in the title.
    pub q: Option<String>,
}

fn filter_sql(
    db_is_pg: bool,
    actor: &Actor,
    f: &TaskFilter,
    today: NaiveDate,
    count: bool,
) -> Result<Sql> {
    let head = if count {
        "SELECT COUNT(*) FROM task t".to_string()
    } else {
        select(db_is_pg)
    };
    let mut w = Sql::new(&head);
    w.push(" WHERE 1 = 1");
    match f.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some("open") => {
            w.push(" AND t.status <> 'closed'");
        }
        Some(s) => {
            w.push(" AND t.status = ").bind(Status::parse(s)?.as_str());
        }
        None => {}
    }
    if f.overdue == Some(true) {
        w.push(" AND t.status <> 'closed' AND t.deadline < ")
            .bind(crate::Val::D(Some(today)));
    }
    if let Some(s) = f.source.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        w.push(" AND t.source = ").bind(Source::parse(s)?.as_str());
    }
    if let Some(u) = f.unit_id {
        w.push(" AND (t.lead_unit_id = ").bind(u);
        w.push(
            " OR EXISTS (SELECT 1 FROM task_unit tu3 WHERE tu3.task_id = t.id AND tu3.unit_id = ",
        )
        .bind(u)
        .push("))");
    }
    w.and_like(&["t.title"], f.q.as_deref());
    and_scope(&mut w, &actor.access.scope(Permission::ProjectRead));
    Ok(w)
}

/// The tasks the actor may see (led by or cooperating with units in its scope).
pub async fn list(
    db: &Db,
    actor: &Actor,
    f: &TaskFilter,
    page: Page,
    today: NaiveDate,
) -> Result<Paged<Task>> {
    let pg = matches!(db, Db::Postgres(_));
    let c = filter_sql(pg, actor, f, today, true)?;
    let total: i64 = on_db!(db, conn => bind_vals!(sqlx::query_scalar(sqlx::AssertSqlSafe(c.text.clone())), c.vals.clone()).fetch_one(conn).await)?;
    let mut q = filter_sql(pg, actor, f, today, false)?;
    q.push(" ORDER BY CASE WHEN t.status = 'closed' THEN 1 ELSE 0 END, t.deadline, t.id");
    q.page(&page);
    let items: Vec<Task> = on_db!(db, conn => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(conn).await)?;
    Ok(Paged {
        items,
        total,
        page: page.page,
        size: page.size,
    })
}

/// Every task matching the filter.
pub async fn all(db: &Db, actor: &Actor, f: &TaskFilter, today: NaiveDate) -> Result<Vec<Task>> {
    let mut q = filter_sql(matches!(db, Db::Postgres(_)), actor, f, today, false)?;
    q.push(" ORDER BY CASE WHEN t.status = 'closed' THEN 1 ELSE 0 END, t.deadline, t.id");
    Ok(
        on_db!(db, conn => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(conn).await)?,
    )
}

/// One task the actor may see.
pub async fn get(db: &Db, actor: &Actor, id: i64) -> Result<Task> {
    let mut q = Sql::new(&select(matches!(db, Db::Postgres(_))));
    q.push(" WHERE t.id = ").bind(id);
    and_scope(&mut q, &actor.access.scope(Permission::ProjectRead));
    let t: Option<Task> = on_db!(db, conn => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_optional(conn).await)?;
    t.ok_or_else(|| StoreError::not_found("督办任务", "task", id))
}

/// The entries of a task, oldest first (call after [`get`]).
pub async fn entries(db: &Db, id: i64) -> Result<Vec<Entry>> {
    Ok(on_db!(db, c => sqlx::query_as(
        "SELECT e.id, e.action, e.from_status, e.to_status, e.text, e.on_date, u.name AS unit_name, e.actor_name, e.at \
         FROM task_entry e LEFT JOIN unit u ON u.id = e.unit_id WHERE e.task_id = $1 ORDER BY e.id")
        .bind(id).fetch_all(c).await)?)
}

/// Tasks the actor's unit must act on (lead, not closed) and, for the supervision
/// office, claims waiting for verification.
pub async fn todo(db: &Db, actor: &Actor, today: NaiveDate) -> Result<Vec<Task>> {
    let mut out = Vec::new();
    if let Some(unit) = actor.unit_id {
        let f = TaskFilter {
            status: Some("open".into()),
            unit_id: Some(unit),
            ..Default::default()
        };
        out = all(db, actor, &f, today)
            .await?
            .into_iter()
            .filter(|t| t.status() != Status::Claimed)
            .collect();
    }
    if actor.access.has(Permission::TaskAdmin) {
        let f = TaskFilter {
            status: Some("claimed".into()),
            ..Default::default()
        };
        out.extend(all(db, actor, &f, today).await?);
    }
    Ok(out)
}

/// One unit's record on tasks, for the supervision bulletin.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UnitRecord {
    pub unit: String,
    pub total: i64,
    pub closed_on_time: i64,
    pub closed_late: i64,
    pub open_overdue: i64,
    pub feedback_late: i64,
    /// Median days before the deadline that closed tasks were claimed (negative: late).
    pub median_days_early: Option<i64>,
}

/// Per lead unit: tasks closed on time or late, overdue, feedback missing; late units
/// first.
pub async fn unit_records(db: &Db, actor: &Actor, today: NaiveDate) -> Result<Vec<UnitRecord>> {
    let tasks = all(db, actor, &TaskFilter::default(), today).await?;
    let mut by: std::collections::BTreeMap<String, (UnitRecord, Vec<i64>)> = Default::default();
    for t in &tasks {
        let e = by.entry(t.lead_unit.clone()).or_insert_with(|| {
            (
                UnitRecord {
                    unit: t.lead_unit.clone(),
                    total: 0,
                    closed_on_time: 0,
                    closed_late: 0,
                    open_overdue: 0,
                    feedback_late: 0,
                    median_days_early: None,
                },
                Vec::new(),
            )
        });
        e.0.total += 1;
        if t.status() == Status::Closed {
            let claimed = t.claimed_on.or(t.closed_on).unwrap_or(t.deadline);
            if claimed <= t.deadline {
                e.0.closed_on_time += 1;
            } else {
                e.0.closed_late += 1;
            }
            e.1.push((t.deadline - claimed).num_days());
        } else if t.overdue_days(today) > 0 {
            e.0.open_overdue += 1;
        }
        if t.feedback_late(today) {
            e.0.feedback_late += 1;
        }
    }
    let mut out: Vec<UnitRecord> = by
        .into_values()
        .map(|(mut r, days)| {
            r.median_days_early = gongjian_domain::problem::median(days);
            r
        })
        .collect();
    out.sort_by(|a, b| {
        (b.open_overdue + b.closed_late, b.feedback_late)
            .cmp(&(a.open_overdue + a.closed_late, a.feedback_late))
            .then(a.unit.cmp(&b.unit))
    });
    Ok(out)
}
