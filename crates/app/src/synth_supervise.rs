//! Synthetic problems and tasks for `gongjian gen` and the benchmarks: every state, raised
//! over the last months, some overdue, written in bulk (multi-row inserts, one
//! transaction) with a raise step each.

use crate::synth::Rng;
use chrono::{Days, NaiveDate};
use gongjian_store::sql::{Val, insert_rows, reserve_ids};
use gongjian_store::{Db, Result, on_db};

/// What was generated.
#[derive(Debug, Default, Clone, Copy)]
pub struct Generated {
    /// Problems written.
    pub problems: usize,
    /// Tasks written.
    pub tasks: usize,
}

const CATEGORIES: [&str; 8] = [
    "land",
    "funding",
    "permits",
    "environment",
    "demolition",
    "utilities",
    "policy",
    "other",
];
const TEXTS: [&str; 6] = [
    "用地指标尚未下达",
    "施工许可办理滞后",
    "专项债资金拨付滞后",
    "环评批复等待区域规划环评",
    "红线内征收签约未完成",
    "专线接入方案未确定",
];

/// Writes `n` problems over the projects that have a division government (and `n / 10`
/// tasks), deterministic for `seed`. `open_share` is the share left open (the rest are
/// closed); about a tenth of the open ones are past their deadline on `today`.
pub async fn generate(
    db: &Db,
    n: usize,
    seed: u64,
    today: NaiveDate,
    open_share: f64,
) -> Result<Generated> {
    // (project, raiser, division government)
    let projects: Vec<(i64, i64, i64)> = on_db!(db, c => sqlx::query_as(
        "SELECT p.id, COALESCE(p.owner_unit_id, g.id), g.id FROM project p JOIN unit g ON g.governs_division_id = p.division_id WHERE p.active = TRUE ORDER BY p.id")
        .fetch_all(c).await)?;
    let units: Vec<i64> = on_db!(db, c => sqlx::query_scalar("SELECT id FROM unit WHERE active = TRUE AND kind IN ('government', 'department') ORDER BY id").fetch_all(c).await)?;
    if projects.is_empty() || n == 0 {
        return Ok(Generated::default());
    }
    let mut rng = Rng::new(seed.wrapping_mul(31).wrapping_add(5));
    let mut tx = db.begin().await?;
    let ids = reserve_ids(&mut tx, "problem", n).await?;
    let now = gongjian_store::now();
    let mut rows = Vec::with_capacity(n);
    let mut steps = Vec::with_capacity(n);
    for id in ids {
        let (project, raiser, gov) = *rng.pick(&projects);
        let raised = today - Days::new(rng.range(0, 120) as u64);
        let open = (rng.range(0, 1000) as f64) < open_share * 1000.0;
        let status = if open {
            *rng.pick(&["raised", "accepted", "replied", "replied", "solved"])
        } else {
            "closed"
        };
        // About a tenth of the open ones are overdue.
        let deadline = match status {
            "closed" | "solved" => None,
            _ if rng.range(0, 10) == 0 => Some(today - Days::new(rng.range(1, 20) as u64)),
            _ => Some(today + Days::new(rng.range(0, 60) as u64)),
        };
        let replied = matches!(status, "replied" | "solved" | "closed");
        let first_reply = replied.then(|| raised + Days::new(rng.range(0, 6) as u64));
        let cat = *rng.pick(&CATEGORIES);
        rows.push(vec![
            Val::I(id),
            Val::I(project),
            Val::S("report".into()),
            Val::S(cat.into()),
            Val::S(format!("{}（{id}）", rng.pick(&TEXTS))),
            Val::I(raiser),
            Val::S("gen".into()),
            Val::D(Some(raised)),
            Val::I(1),
            Val::I(gov),
            Val::S(status.into()),
            Val::D(Some(raised)),
            Val::D(deadline),
            Val::OS(replied.then(|| "已协调相关部门，按期解决".to_string())),
            Val::D(first_reply),
            Val::D((status == "closed").then_some(today)),
            Val::T(now),
            Val::T(now),
        ]);
        steps.push(vec![
            Val::I(id),
            Val::S("raise".into()),
            Val::S("raised".into()),
            Val::I(1),
            Val::I(raiser),
            Val::S("gen".into()),
            Val::D(Some(raised)),
            Val::T(now),
        ]);
    }
    insert_rows(
        &mut tx,
        "INSERT INTO problem (id, project_id, source, category, description, raiser_unit_id, raised_by, raised_on, tier, handler_unit_id, status, step_since, deadline, reply_text, first_reply_on, closed_on, created_at, updated_at)",
        rows,
    )
    .await?;
    insert_rows(
        &mut tx,
        "INSERT INTO problem_step (problem_id, action, to_status, tier, unit_id, actor_name, on_date, at)",
        steps,
    )
    .await?;
    let t = n / 10;
    let mut trows = Vec::with_capacity(t);
    for id in reserve_ids(&mut tx, "task", t).await? {
        let lead = *rng.pick(&units);
        let issued = today - Days::new(rng.range(0, 90) as u64);
        let deadline = issued + Days::new(rng.range(10, 120) as u64);
        let status = *rng.pick(&["issued", "in_progress", "in_progress", "claimed", "closed"]);
        let next = matches!(status, "issued" | "in_progress")
            .then(|| issued + Days::new(7 * rng.range(1, 12) as u64));
        trows.push(vec![
            Val::I(id),
            Val::S(format!("督办任务 {id}")),
            Val::S(
                rng.pick(&["meeting", "instruction", "campaign", "manual"])
                    .to_string(),
            ),
            Val::I(lead),
            Val::D(Some(deadline)),
            Val::S("weekly".into()),
            Val::S(status.into()),
            Val::S("gen".into()),
            Val::D(Some(issued)),
            Val::D(next),
            Val::D((status == "closed").then_some(deadline.min(today))),
            Val::T(now),
            Val::T(now),
        ]);
    }
    insert_rows(
        &mut tx,
        "INSERT INTO task (id, title, source, lead_unit_id, deadline, rhythm, status, issued_by, issued_on, next_feedback_on, closed_on, created_at, updated_at)",
        trows,
    )
    .await?;
    tx.commit().await?;
    Ok(Generated {
        problems: n,
        tasks: t,
    })
}
