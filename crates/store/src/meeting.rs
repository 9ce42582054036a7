//! The monthly scheduling meeting (调度会): an agenda of the period's projects in
//! key-project-table order (all lit, red and yellow, or red only), each with its report,
//! its problems, the departments' answer and the decisions taken — every decision with
//! an owner unit and a deadline, listed afterwards as the commitments to chase.

use crate::sql::Sql;
use crate::{
    Actor, Db, Result, StoreError, Tx, audit, bind_vals, exec_tx, on_db, on_tx, row_struct,
};
use chrono::{DateTime, NaiveDate, Utc};
use gongjian_domain::DomainError;
use gongjian_domain::access::Permission;

/// Which projects the agenda takes.
pub const FILTERS: [(&str, &str); 3] = [
    ("red_yellow", "红灯和黄灯项目"),
    ("red", "只列红灯项目"),
    ("all", "全部亮灯项目"),
];

row_struct! {
    /// A meeting.
    #[derive(Debug, Clone, serde::Serialize)]
    pub struct Meeting {
        pub id: i64,
        pub year: i64,
        pub month: i64,
        pub title: String,
        pub held_on: Option<NaiveDate>,
        pub place: String,
        pub agenda_filter: String,
        pub status: String,
        pub created_by: String,
        pub created_at: DateTime<Utc>,
    }
}

impl Meeting {
    /// `YYYY-MM` of its period.
    pub fn period(&self) -> String {
        format!("{}-{:02}", self.year, self.month)
    }
    /// 筹备中 or 已召开.
    pub fn status_zh(&self) -> &'static str {
        if self.status == "held" {
            "已召开"
        } else {
            "筹备中"
        }
    }
}

row_struct! {
    /// One agenda item with what the meeting needs to see.
    #[derive(Debug, Clone, serde::Serialize)]
    pub struct Item {
        pub id: i64,
        pub seq: i64,
        pub project_id: i64,
        pub code: Option<String>,
        pub name: String,
        pub division_name: String,
        pub light: String,
        pub why: Option<String>,
        pub annual: Option<i64>,
        pub cumulative: Option<i64>,
        pub target: Option<i64>,
        pub report_status: Option<String>,
        pub month_amount: Option<i64>,
        pub progress_text: Option<String>,
        pub problems: Option<String>,
        pub next_steps: Option<String>,
        pub answer: String,
        pub answered_by: Option<String>,
    }
}

row_struct! {
    /// A decision: what, who, by when.
    #[derive(Debug, Clone, serde::Serialize)]
    pub struct Decision {
        pub id: i64,
        pub item_id: i64,
        pub project_id: i64,
        pub project_name: String,
        pub text: String,
        pub owner_unit_id: i64,
        pub owner_unit: String,
        pub deadline: NaiveDate,
        pub status: String,
        pub created_by: String,
    }
}

/// A new meeting.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct MeetingInput {
    /// Period year.
    pub year: i32,
    /// Period month.
    pub month: u32,
    /// Title; default `YYYY年M月重点项目调度会`.
    pub title: Option<String>,
    /// Date, ISO.
    pub held_on: Option<String>,
    /// Place.
    pub place: Option<String>,
    /// `red_yellow` (default), `red` or `all`.
    pub filter: Option<String>,
}

fn date(
    field: &'static str,
    label: &str,
    raw: &str,
) -> std::result::Result<NaiveDate, DomainError> {
    gongjian_domain::project::parse_date(raw.trim()).ok_or_else(|| {
        DomainError::new(
            field,
            format!("{label}“{raw}”不是日期，请写成 2026-12-10。"),
            format!("'{raw}' is not a date (write 2026-12-10)"),
        )
    })
}

const MEETING: &str = "SELECT id, year, month, title, held_on, place, agenda_filter, status, created_by, created_at FROM meeting";

/// Creates a meeting and builds its agenda from the period's stored lights, in
/// key-project-table order, within the actor's scope.
pub async fn create(tx: &mut Tx, actor: &Actor, input: &MeetingInput) -> Result<Meeting> {
    actor.access.require(Permission::ReportAdmin)?;
    let (y, m) = (input.year, input.month);
    if crate::report::period_tx(tx, y, m).await?.is_none() {
        return Err(DomainError::new(
            "period",
            format!("{y} 年 {m} 月没有报送期，不能据此召开调度会。"),
            format!("there is no period {y}-{m:02}"),
        )
        .into());
    }
    let filter = input
        .filter
        .as_deref()
        .filter(|f| !f.is_empty())
        .unwrap_or("red_yellow");
    let lights: &[&str] = match filter {
        "red_yellow" => &["red", "yellow"],
        "red" => &["red"],
        "all" => &["red", "yellow", "green", "none"],
        other => {
            return Err(DomainError::new(
                "filter",
                format!("议程范围“{other}”无效：可选 red_yellow、red、all。"),
                format!("unknown agenda filter '{other}'"),
            )
            .into());
        }
    };
    let held_on = match input.held_on.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => Some(date("held_on", "会议日期", s)?),
        None => None,
    };
    let title = input
        .title
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map_or_else(|| format!("{y}年{m}月重点项目调度会"), str::to_string);
    let mut q = Sql::new(
        "SELECT l.project_id, l.light FROM light l JOIN project p ON p.id = l.project_id WHERE l.year = ",
    );
    q.bind(i64::from(y))
        .push(" AND l.month = ")
        .bind(i64::from(m));
    q.push(" AND l.light IN ").bind_list(lights.iter().copied());
    crate::project::and_scope(&mut q, &actor.access.scope(Permission::ProjectRead));
    q.push(" ORDER BY p.sort, p.id");
    let agenda: Vec<(i64, String)> = on_tx!(tx, c => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(c).await)?;
    if agenda.is_empty() {
        return Err(DomainError::new(
            "filter",
            format!(
                "{y} 年 {m} 月没有符合条件的项目：请先在报送期页面重算红黄绿灯，或放宽议程范围。"
            ),
            format!("no projects match for {y}-{m:02}: recompute the lights or widen the agenda"),
        )
        .into());
    }
    let now = crate::now();
    let id: i64 = on_tx!(tx, c => sqlx::query_scalar("INSERT INTO meeting (year, month, title, held_on, place, agenda_filter, status, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'planned', $7, $8, $8) RETURNING id")
        .bind(i64::from(y)).bind(i64::from(m)).bind(title.clone()).bind(held_on).bind(input.place.clone().unwrap_or_default().trim().to_string())
        .bind(filter).bind(actor.name.clone()).bind(now).fetch_one(c).await)?;
    let rows: Vec<Vec<crate::Val>> = agenda
        .iter()
        .enumerate()
        .map(|(i, (pid, light))| {
            vec![
                crate::Val::I(id),
                crate::Val::I(i as i64 + 1),
                crate::Val::I(*pid),
                crate::Val::S(light.clone()),
            ]
        })
        .collect();
    crate::sql::insert_rows(
        tx,
        "INSERT INTO meeting_item (meeting_id, seq, project_id, light)",
        rows,
    )
    .await?;
    let meeting: Meeting = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(format!("{MEETING} WHERE id = $1"))).bind(id).fetch_one(c).await)?;
    audit::record(
        tx,
        actor,
        "create",
        "meeting",
        id,
        None,
        Some(&serde_json::json!({"meeting": meeting, "items": agenda.len()})),
    )
    .await?;
    Ok(meeting)
}

/// Meetings, newest first.
pub async fn list(db: &Db, actor: &Actor) -> Result<Vec<(Meeting, i64)>> {
    actor.access.require(Permission::ProjectRead)?;
    let ms: Vec<Meeting> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(format!("{MEETING} ORDER BY year DESC, month DESC, id DESC"))).fetch_all(c).await)?;
    let counts: Vec<(i64, i64)> = on_db!(db, c => sqlx::query_as("SELECT meeting_id, COUNT(*) FROM meeting_item GROUP BY meeting_id").fetch_all(c).await)?;
    let counts: std::collections::HashMap<i64, i64> = counts.into_iter().collect();
    Ok(ms
        .into_iter()
        .map(|m| {
            let n = counts.get(&m.id).copied().unwrap_or(0);
            (m, n)
        })
        .collect())
}

/// A meeting with its items (those the actor may see) and decisions.
pub async fn get(db: &Db, actor: &Actor, id: i64) -> Result<(Meeting, Vec<Item>, Vec<Decision>)> {
    actor.access.require(Permission::ProjectRead)?;
    let m: Meeting = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(format!("{MEETING} WHERE id = $1"))).bind(id).fetch_optional(c).await)?
        .ok_or_else(|| StoreError::not_found("调度会", "meeting", id))?;
    let mut q = Sql::new(
        "SELECT i.id, i.seq, i.project_id, p.code, p.name, d.name AS division_name, i.light, l.why, l.annual, l.cumulative, l.target, \
         r.status AS report_status, r.month_amount, r.progress_text, r.problems, r.next_steps, i.answer, i.answered_by \
         FROM meeting_item i JOIN project p ON p.id = i.project_id JOIN division d ON d.id = p.division_id \
         LEFT JOIN light l ON l.project_id = i.project_id AND l.year = ",
    );
    q.bind(m.year)
        .push(" AND l.month = ")
        .bind(m.month)
        .push(" LEFT JOIN report r ON r.project_id = i.project_id AND r.year = ")
        .bind(m.year)
        .push(" AND r.month = ")
        .bind(m.month)
        .push(" WHERE i.meeting_id = ")
        .bind(id);
    crate::project::and_scope(&mut q, &actor.access.scope(Permission::ProjectRead));
    q.push(" ORDER BY i.seq");
    let mut items: Vec<Item> = on_db!(db, c => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(c).await)?;
    // Next steps are stored as dated steps: show them as the lines the unit wrote.
    for i in &mut items {
        i.next_steps = i.next_steps.take().and_then(|j| {
            let steps: Vec<gongjian_domain::report::Step> =
                serde_json::from_str(&j).unwrap_or_default();
            let t = gongjian_domain::report::steps_text(&steps);
            (!t.is_empty()).then_some(t)
        });
    }
    let decisions = decisions_of(db, &[id], &items).await?;
    Ok((m, items, decisions))
}

async fn decisions_of(db: &Db, meetings: &[i64], items: &[Item]) -> Result<Vec<Decision>> {
    let visible: std::collections::HashSet<i64> = items.iter().map(|i| i.id).collect();
    let mut q = Sql::new(
        "SELECT x.id, x.item_id, i.project_id, p.name AS project_name, x.text, x.owner_unit_id, u.name AS owner_unit, x.deadline, x.status, x.created_by \
         FROM meeting_decision x JOIN meeting_item i ON i.id = x.item_id JOIN project p ON p.id = i.project_id JOIN unit u ON u.id = x.owner_unit_id WHERE i.meeting_id IN ",
    );
    q.bind_list(meetings.iter().copied())
        .push(" ORDER BY i.seq, x.id");
    let all: Vec<Decision> = on_db!(db, c => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(c).await)?;
    Ok(all
        .into_iter()
        .filter(|d| visible.contains(&d.item_id))
        .collect())
}

async fn item_tx(tx: &mut Tx, meeting_id: i64, item_id: i64) -> Result<(i64, String)> {
    let row: Option<(i64, String)> = on_tx!(tx, c => sqlx::query_as("SELECT i.project_id, m.status FROM meeting_item i JOIN meeting m ON m.id = i.meeting_id WHERE i.id = $1 AND i.meeting_id = $2")
        .bind(item_id).bind(meeting_id).fetch_optional(c).await)?;
    row.ok_or_else(|| StoreError::not_found("议程事项", "agenda item", item_id))
}

/// Records the departments' answer to an item.
pub async fn set_answer(
    tx: &mut Tx,
    actor: &Actor,
    meeting_id: i64,
    item_id: i64,
    answer: &str,
) -> Result<()> {
    actor.access.require(Permission::ReportAdmin)?;
    item_tx(tx, meeting_id, item_id).await?;
    exec_tx!(tx, c => sqlx::query("UPDATE meeting_item SET answer = $1, answered_by = $2 WHERE id = $3")
        .bind(answer.trim().to_string()).bind(actor.name.clone()).bind(item_id).execute(c).await)?;
    audit::record(
        tx,
        actor,
        "answer",
        "meeting_item",
        item_id,
        None,
        Some(&serde_json::json!({"answer": answer.trim()})),
    )
    .await
}

/// Records a decision on an item: what is to be done, by which unit, by when.
pub async fn add_decision(
    tx: &mut Tx,
    actor: &Actor,
    meeting_id: i64,
    item_id: i64,
    text: &str,
    owner_unit_code: &str,
    deadline: &str,
) -> Result<i64> {
    actor.access.require(Permission::ReportAdmin)?;
    item_tx(tx, meeting_id, item_id).await?;
    let text = text.trim();
    if text.is_empty() {
        return Err(DomainError::new("text", "请写明议定事项。", "Write what was decided.").into());
    }
    let unit = crate::unit::by_code_tx(tx, owner_unit_code.trim())
        .await?
        .ok_or_else(|| {
            DomainError::new(
                "owner",
                format!("责任单位“{owner_unit_code}”不存在，请从列表中选择。"),
                format!("no unit '{owner_unit_code}'"),
            )
        })?;
    if deadline.trim().is_empty() {
        return Err(DomainError::new("deadline", "请填写完成时限。", "Give a deadline.").into());
    }
    let due = date("deadline", "完成时限", deadline)?;
    let today = crate::today();
    if due < today {
        return Err(DomainError::new(
            "deadline",
            format!("完成时限 {due} 已经过去。"),
            format!("the deadline {due} has passed"),
        )
        .into());
    }
    let id: i64 = on_tx!(tx, c => sqlx::query_scalar("INSERT INTO meeting_decision (item_id, text, owner_unit_id, deadline, status, created_by, created_at) VALUES ($1, $2, $3, $4, 'open', $5, $6) RETURNING id")
        .bind(item_id).bind(text.to_string()).bind(unit.id).bind(due).bind(actor.name.clone()).bind(crate::now()).fetch_one(c).await)?;
    audit::record(
        tx,
        actor,
        "decide",
        "meeting_decision",
        id,
        None,
        Some(&serde_json::json!({"item": item_id, "text": text, "owner": unit.code, "deadline": due})),
    )
    .await?;
    // Every decision is chased as a supervised task (会议议定事项).
    let (project_id, title): (i64, String) = on_tx!(tx, c => sqlx::query_as(
        "SELECT i.project_id, m.title FROM meeting_item i JOIN meeting m ON m.id = i.meeting_id WHERE i.id = $1")
        .bind(item_id).fetch_one(c).await)?;
    crate::task::issue_from_decision(
        tx, actor, id, text, project_id, &unit.code, due, &title, today,
    )
    .await?;
    Ok(id)
}

/// Marks a decision done (or open again).
pub async fn set_decision_done(
    tx: &mut Tx,
    actor: &Actor,
    meeting_id: i64,
    decision_id: i64,
    done: bool,
) -> Result<()> {
    actor.access.require(Permission::ReportAdmin)?;
    let n = exec_tx!(tx, c => sqlx::query("UPDATE meeting_decision SET status = $1, done_at = $2 WHERE id = $3 AND item_id IN (SELECT id FROM meeting_item WHERE meeting_id = $4)")
        .bind(if done { "done" } else { "open" }).bind(done.then(crate::now)).bind(decision_id).bind(meeting_id).execute(c).await)?;
    if n == 0 {
        return Err(StoreError::not_found("议定事项", "decision", decision_id));
    }
    audit::record(
        tx,
        actor,
        if done { "done" } else { "reopen" },
        "meeting_decision",
        decision_id,
        None,
        None,
    )
    .await
}

/// Marks the meeting held.
pub async fn mark_held(tx: &mut Tx, actor: &Actor, id: i64, held_on: Option<&str>) -> Result<()> {
    actor.access.require(Permission::ReportAdmin)?;
    let day = match held_on.filter(|s| !s.trim().is_empty()) {
        Some(s) => Some(date("held_on", "会议日期", s)?),
        None => None,
    };
    let n = exec_tx!(tx, c => sqlx::query("UPDATE meeting SET status = 'held', held_on = COALESCE($1, held_on), updated_at = $2 WHERE id = $3")
        .bind(day).bind(crate::now()).bind(id).execute(c).await)?;
    if n == 0 {
        return Err(StoreError::not_found("调度会", "meeting", id));
    }
    audit::record(tx, actor, "held", "meeting", id, None, None).await
}

/// The decisions of a meeting (on the items the actor can see), by deadline: the
/// commitments to chase after it.
pub async fn commitments(
    db: &Db,
    actor: &Actor,
    meeting_id: i64,
) -> Result<(Meeting, Vec<Decision>)> {
    let (m, _, d) = get(db, actor, meeting_id).await?;
    let mut d = d;
    d.sort_by_key(|x| (x.deadline, x.id));
    Ok((m, d))
}
