//! Background jobs: escalation of overdue problems and the reminders of problems and
//! tasks. Each side effect is claimed by a unique key in `job_once` inside the
//! transaction that performs it, so it happens exactly once however many processes run
//! the jobs (on PostgreSQL each batch also takes an advisory lock, so processes take
//! turns and re-read what the other did). Everything is computed from stored deadlines
//! and `today`, so a run after downtime catches up on every day missed.

use crate::problem::{Problem, SELECT};
use crate::{Actor, Db, Result, Tx, audit, exec_tx, notify, on_tx};
use chrono::NaiveDate;
use gongjian_domain::access::Access;
use gongjian_domain::problem::{self as rules, Tier};

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct JobReport {
    /// Escalations performed (a problem may climb two tiers in one catch-up run).
    pub escalated: usize,
    /// Overdue notices for problems already at the city tier.
    pub overdue_notices: usize,
    /// Reminders for problem steps due today.
    pub problem_reminders: usize,
    /// Reminders for task feedback that is due.
    pub feedback_reminders: usize,
    /// Notices for tasks past their deadline.
    pub task_overdue_notices: usize,
}

const BATCH: i64 = 500;

fn system() -> Actor {
    Actor {
        access: Access::system(),
        user_id: None,
        name: "system:jobs".into(),
        unit_id: None,
        ip: "job".into(),
    }
}

/// Claims a side effect; true when this process is the one to perform it.
async fn claim(tx: &mut Tx, job: &str, key: &str) -> Result<bool> {
    let n = exec_tx!(tx, c => sqlx::query("INSERT INTO job_once (key, job, done_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING")
        .bind(key).bind(job).bind(crate::now()).execute(c).await)?;
    Ok(n == 1)
}

async fn lock(tx: &mut Tx, which: i64) -> Result<()> {
    if let Tx::Postgres(t) = tx {
        sqlx::query("SELECT pg_advisory_xact_lock(7300, $1::int)")
            .bind(which as i32)
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

/// Runs every job due on `today`.
pub async fn run_due(db: &Db, today: NaiveDate) -> Result<JobReport> {
    let mut r = JobReport {
        escalated: escalate(db, today).await?,
        ..Default::default()
    };
    (r.overdue_notices, r.problem_reminders) = problem_notices(db, today).await?;
    (r.feedback_reminders, r.task_overdue_notices) = task_notices(db, today).await?;
    let mut tx = db.begin().await?;
    // An upsert: two processes finishing at once must not collide.
    exec_tx!(&mut tx, c => sqlx::query("INSERT INTO job_run (job, last_run, last_today, last_count) VALUES ('all', $1, $2, $3) \
        ON CONFLICT (job) DO UPDATE SET last_run = excluded.last_run, last_today = excluded.last_today, last_count = excluded.last_count")
        .bind(crate::now()).bind(today)
        .bind((r.escalated + r.overdue_notices + r.problem_reminders + r.feedback_reminders + r.task_overdue_notices) as i64)
        .execute(c).await)?;
    tx.commit().await?;
    Ok(r)
}

/// Escalates every problem whose step deadline passed before `today`, one tier per
/// missed deadline, in batches of [`BATCH`] problems per transaction.
pub async fn escalate(db: &Db, today: NaiveDate) -> Result<usize> {
    let actor = system();
    let mut after = 0i64;
    let mut done = 0;
    loop {
        let mut tx = db.begin().await?;
        lock(&mut tx, 1).await?;
        let mut routing = crate::problem::Routing::default();
        let mut notifier = notify::Notifier::default();
        let cal = crate::problem::calendar_tx(&mut tx).await?;
        let policy = crate::problem::policy_tx(&mut tx).await?;
        let sql = format!(
            "{SELECT} WHERE x.status IN ('raised', 'accepted', 'replied') AND x.tier < 3 AND x.deadline < $1 AND x.id > $2 ORDER BY x.id LIMIT $3"
        );
        let batch: Vec<Problem> = on_tx!(&mut tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(today).bind(after).bind(BATCH).fetch_all(c).await)?;
        let Some(last) = batch.last().map(|p| p.id) else {
            tx.commit().await?;
            break;
        };
        let mut ids = Vec::new();
        for p in &batch {
            let mut cur = p.clone();
            for (i, e) in rules::escalations(p.tier(), p.deadline, today, &cal, policy)
                .into_iter()
                .enumerate()
            {
                let key = format!("escalate:{}:{}", p.id, p.escalations + i as i64);
                if !claim(&mut tx, "escalate", &key).await? {
                    break;
                }
                cur.handler_unit_id =
                    crate::problem::escalate(&mut tx, &actor, &cur, e, &mut routing, &mut notifier)
                        .await?;
                cur.tier = e.to.level();
                cur.status = "raised".into();
                cur.deadline = Some(e.deadline);
                done += 1;
                ids.push(p.id);
            }
        }
        if !ids.is_empty() {
            ids.dedup();
            audit::record(
                &mut tx,
                &actor,
                "escalate",
                "problem",
                format!("{} problems", ids.len()),
                None,
                Some(&serde_json::json!({"ids": ids, "today": today})),
            )
            .await?;
        }
        tx.commit().await?;
        after = last;
    }
    Ok(done)
}

/// Notices for problems overdue at the city tier (once per missed deadline) and
/// reminders for problem steps due today (once per step and deadline).
async fn problem_notices(db: &Db, today: NaiveDate) -> Result<(usize, usize)> {
    let mut overdue = 0;
    let mut due = 0;
    // Rows whose notice was already sent are skipped by the query itself (the key is
    // rebuilt in SQL), so a run with nothing new to do reads almost nothing.
    for (which, cond) in [
        (
            2,
            "x.tier >= 3 AND x.deadline < $1 AND NOT EXISTS (SELECT 1 FROM job_once j WHERE j.key = 'overdue:' || x.id || ':' || x.status || ':' || x.deadline)",
        ),
        (
            3,
            "x.deadline = $1 AND NOT EXISTS (SELECT 1 FROM job_once j WHERE j.key = 'due:' || x.id || ':' || x.status || ':' || x.deadline)",
        ),
    ] {
        let mut after = 0i64;
        loop {
            let mut tx = db.begin().await?;
            lock(&mut tx, which).await?;
            let mut notifier = notify::Notifier::default();
            let sql = format!(
                "{SELECT} WHERE x.status IN ('raised', 'accepted', 'replied') AND {cond} AND x.id > $2 ORDER BY x.id LIMIT $3"
            );
            let batch: Vec<Problem> = on_tx!(&mut tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(today).bind(after).bind(BATCH).fetch_all(c).await)?;
            let Some(last) = batch.last().map(|p| p.id) else {
                tx.commit().await?;
                break;
            };
            for p in &batch {
                let deadline = p.deadline.map(|d| d.to_string()).unwrap_or_default();
                let acting = p.assignee_unit_id.unwrap_or(p.handler_unit_id);
                if which == 2 {
                    if claim(
                        &mut tx,
                        "overdue",
                        &format!("overdue:{}:{}:{deadline}", p.id, p.status),
                    )
                    .await?
                    {
                        notifier
                            .send(
                                &mut tx,
                                &[acting, p.raiser_unit_id],
                                &format!("问题逾期未办（{}）：{}", Tier::City.zh(), p.project_name),
                                &format!(
                                    "“{}”{} 的时限 {deadline} 已过，已在市级层级，请{}督促办理。",
                                    p.description.chars().take(40).collect::<String>(),
                                    p.status_zh(),
                                    p.leader_name
                                        .as_deref()
                                        .map_or("市级领导".to_string(), |l| format!(
                                            "包保领导{l}"
                                        ))
                                ),
                                &format!("/problems/{}", p.id),
                            )
                            .await?;
                        overdue += 1;
                    }
                } else if claim(
                    &mut tx,
                    "due",
                    &format!("due:{}:{}:{deadline}", p.id, p.status),
                )
                .await?
                {
                    notifier
                        .send(
                            &mut tx,
                            &[acting],
                            &format!("今天到期：{}", p.project_name),
                            &format!(
                                "“{}”{}，今天（{deadline}）到期，逾期将升级。",
                                p.description.chars().take(40).collect::<String>(),
                                p.status_zh()
                            ),
                            &format!("/problems/{}", p.id),
                        )
                        .await?;
                    due += 1;
                }
            }
            tx.commit().await?;
            after = last;
        }
    }
    Ok((overdue, due))
}

/// Feedback reminders (once per due date) and overdue notices (once per deadline) of
/// tasks.
async fn task_notices(db: &Db, today: NaiveDate) -> Result<(usize, usize)> {
    let mut feedback = 0;
    let mut overdue = 0;
    let mut tx = db.begin().await?;
    lock(&mut tx, 4).await?;
    let mut notifier = notify::Notifier::default();
    let due: Vec<(i64, String, i64, NaiveDate, NaiveDate)> = on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT t.id, t.title, t.lead_unit_id, t.next_feedback_on, t.deadline FROM task t \
         WHERE t.status IN ('issued', 'in_progress') AND t.next_feedback_on <= $1 \
         AND NOT EXISTS (SELECT 1 FROM job_once j WHERE j.key = 'feedback:' || t.id || ':' || t.next_feedback_on) ORDER BY t.id")
        .bind(today).fetch_all(c).await)?;
    for (id, title, lead, n, deadline) in due {
        if claim(&mut tx, "feedback", &format!("feedback:{id}:{n}")).await? {
            notifier
                .send(
                    &mut tx,
                    &[lead],
                    &format!("请反馈督办任务进展：{title}"),
                    &format!("按反馈频次，应于 {n} 前反馈进展；办结时限 {deadline}。"),
                    &format!("/tasks/{id}"),
                )
                .await?;
            feedback += 1;
        }
    }
    let late: Vec<(i64, String, i64, NaiveDate)> = on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT t.id, t.title, t.lead_unit_id, t.deadline FROM task t WHERE t.status <> 'closed' AND t.deadline < $1 \
         AND NOT EXISTS (SELECT 1 FROM job_once j WHERE j.key = 'task-overdue:' || t.id || ':' || t.deadline) ORDER BY t.id")
        .bind(today).fetch_all(c).await)?;
    for (id, title, lead, deadline) in late {
        if claim(
            &mut tx,
            "task-overdue",
            &format!("task-overdue:{id}:{deadline}"),
        )
        .await?
        {
            notifier
                .send(
                    &mut tx,
                    &[lead],
                    &format!("督办任务已逾期：{title}"),
                    &format!("办结时限 {deadline} 已过，请尽快办理并申请办结。"),
                    &format!("/tasks/{id}"),
                )
                .await?;
            overdue += 1;
        }
    }
    tx.commit().await?;
    Ok((feedback, overdue))
}

/// When the jobs last ran, and how many side effects that run had.
pub async fn last_run(db: &Db) -> Result<Option<(chrono::DateTime<chrono::Utc>, NaiveDate, i64)>> {
    Ok(
        crate::on_db!(db, c => sqlx::query_as("SELECT last_run, last_today, last_count FROM job_run WHERE job = 'all'").fetch_optional(c).await)?,
    )
}
