//! `gongjian problems …`, `gongjian tasks …`, `gongjian jobs run-once` and
//! `gongjian notify …`.

use crate::cli::{JobsAction, NotifyAction, ProblemsAction, TasksAction};
use gongjian_store::{Actor, Db, jobs, notify, problem, task};
use std::process::ExitCode;

type Res = Result<ExitCode, Box<dyn std::error::Error>>;

fn today(raw: Option<&str>) -> Result<chrono::NaiveDate, String> {
    match raw {
        None => Ok(gongjian_store::today()),
        Some(s) => gongjian_domain::project::parse_date(s)
            .ok_or_else(|| format!("“{s}”不是日期，应如 2026-12-02 / '{s}' is not a date")),
    }
}

/// Runs a `problems` action.
pub async fn problems(db: &Db, action: ProblemsAction) -> Res {
    let a = Actor::cli();
    match action {
        ProblemsAction::List {
            status,
            overdue,
            json,
            today: t,
        } => {
            let t = today(t.as_deref())?;
            let f = problem::ProblemFilter {
                status,
                overdue: overdue.then_some(true),
                ..Default::default()
            };
            let items = problem::all(db, &a, &f, t).await?;
            if json {
                let v: Vec<serde_json::Value> = items
                    .iter()
                    .map(|p| {
                        serde_json::json!({
                            "id": p.id,
                            "status": p.status,
                            "unit": p.acting_unit(),
                            "handler_unit": p.handler_unit,
                            "raiser_unit": p.raiser_unit,
                            "deadline": p.deadline,
                            "overdue_days": p.overdue_days(t),
                            "tier": p.tier().as_str(),
                            "project": p.project_name,
                            "project_code": p.project_code,
                            "category": p.category,
                            "source": p.source,
                            "escalations": p.escalations,
                            "override": p.overridden,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                for p in &items {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        p.id,
                        p.status_zh(),
                        p.tier_zh(),
                        p.acting_unit(),
                        p.deadline.map(|d| d.to_string()).unwrap_or_default(),
                        p.overdue_days(t),
                        p.project_name
                    );
                }
                eprintln!("共 {} 条 / {} problems", items.len(), items.len());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs a `tasks` action.
pub async fn tasks(db: &Db, action: TasksAction) -> Res {
    let a = Actor::cli();
    match action {
        TasksAction::List {
            overdue,
            json,
            today: t,
        } => {
            let t = today(t.as_deref())?;
            let f = task::TaskFilter {
                overdue: overdue.then_some(true),
                ..Default::default()
            };
            let items = task::all(db, &a, &f, t).await?;
            if json {
                let v: Vec<serde_json::Value> = items
                    .iter()
                    .map(|x| {
                        serde_json::json!({
                            "id": x.id,
                            "status": x.status,
                            "unit": x.lead_unit,
                            "deadline": x.deadline,
                            "overdue_days": x.overdue_days(t),
                            "tier": x.tier,
                            "title": x.title,
                            "source": x.source,
                            "next_feedback_on": x.next_feedback_on,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                for x in &items {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        x.id,
                        x.status_zh(),
                        x.lead_unit,
                        x.deadline,
                        x.overdue_days(t),
                        x.title
                    );
                }
                eprintln!("共 {} 项 / {} tasks", items.len(), items.len());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs the jobs due and delivers the outbox.
pub async fn run_jobs(
    db: &Db,
    today: chrono::NaiveDate,
) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let r = jobs::run_due(db, today).await?;
    let mut d = crate::deliver::Delivered::default();
    loop {
        let round = crate::deliver::run(db, 200).await?;
        d.sent += round.sent;
        d.failed += round.failed;
        if round.sent + round.failed < 200 {
            break;
        }
    }
    Ok(serde_json::json!({"today": today, "jobs": r, "delivered": d}))
}

/// Runs a `jobs` action.
pub async fn jobs_cmd(db: &Db, action: JobsAction) -> Res {
    match action {
        JobsAction::RunOnce { today: t, json } => {
            let t = today(t.as_deref())?;
            let v = run_jobs(db, t).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                let j = &v["jobs"];
                println!(
                    "{t}：升级 {} 件，逾期提醒 {} 条，到期提醒 {} 条，任务反馈提醒 {} 条，任务逾期提醒 {} 条；外发 {} 条成功、{} 条失败 / escalated {}, reminders sent",
                    j["escalated"],
                    j["overdue_notices"],
                    j["problem_reminders"],
                    j["feedback_reminders"],
                    j["task_overdue_notices"],
                    v["delivered"]["sent"],
                    v["delivered"]["failed"],
                    j["escalated"]
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs a `notify` action.
pub async fn notify_cmd(db: &Db, action: NotifyAction) -> Res {
    let a = Actor::cli();
    match action {
        NotifyAction::Add {
            kind,
            target,
            secret,
            name,
        } => {
            let mut tx = db.begin().await?;
            let id = notify::add_channel(
                &mut tx,
                &a,
                &kind,
                name.as_deref().unwrap_or(""),
                &target,
                secret.as_deref().unwrap_or(""),
            )
            .await?;
            tx.commit().await?;
            println!("已添加通知渠道 {id} / channel {id} added");
        }
        NotifyAction::List => {
            for c in notify::channels(db).await? {
                println!("{}\t{}\t{}\t{}", c.id, c.kind, c.name, c.target_shown());
            }
        }
        NotifyAction::Remove { id } => {
            let mut tx = db.begin().await?;
            notify::remove_channel(&mut tx, &a, id).await?;
            tx.commit().await?;
            println!("已删除通知渠道 {id} / channel {id} removed");
        }
    }
    Ok(ExitCode::SUCCESS)
}
