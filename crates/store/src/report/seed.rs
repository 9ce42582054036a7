//! Bulk seeding of reports for generated data (`gongjian gen`).

use super::*;
use crate::Val;
use gongjian_domain::report::Status;

/// A report written by the generator (no photos), already in its final state.
#[derive(Debug, Clone)]
pub struct SeedReport {
    /// Project.
    pub project_id: i64,
    /// Period year.
    pub year: i32,
    /// Period month.
    pub month: u32,
    /// Final status.
    pub status: Status,
    /// Investment this month (yuan).
    pub amount: i64,
    /// Physical progress.
    pub progress_text: String,
    /// Current milestone.
    pub milestone: Option<String>,
    /// Started.
    pub started: bool,
    /// Submitted after the deadline.
    pub late: bool,
    /// When it was submitted.
    pub submitted_at: DateTime<Utc>,
}

/// Writes many reports at once (the generator's path): multi-row inserts, one kept
/// version each, one audit record for the batch. Existing reports of the same project
/// and month are left alone.
pub async fn seed_reports(tx: &mut Tx, actor: &Actor, items: &[SeedReport]) -> Result<usize> {
    actor.access.require(Permission::ReportAdmin)?;
    if items.is_empty() {
        return Ok(0);
    }
    let ids = crate::sql::reserve_ids(tx, "report", items.len()).await?;
    let now = crate::now();
    let mut rows = Vec::with_capacity(items.len());
    let mut versions = Vec::with_capacity(items.len());
    for (id, r) in ids.iter().zip(items) {
        let version = 1;
        rows.push(vec![
            Val::I(*id),
            Val::I(r.project_id),
            Val::I(i64::from(r.year)),
            Val::I(i64::from(r.month)),
            Val::S(r.status.as_str().into()),
            Val::I(r.amount),
            Val::S(r.progress_text.clone()),
            Val::OS(r.milestone.clone()),
            Val::B(r.started),
            Val::S("[]".into()),
            Val::S(if r.late {
                "[{\"code\":\"late\",\"zh\":\"逾期报送\",\"en\":\"Submitted late\"}]".into()
            } else {
                "[]".into()
            }),
            Val::B(r.late),
            Val::I(version),
            Val::OT(Some(r.submitted_at)),
            Val::OS(Some(actor.name.clone())),
            Val::T(r.submitted_at),
            Val::T(now),
        ]);
        versions.push(vec![
            Val::I(*id),
            Val::I(version),
            Val::S("submit".into()),
            Val::S(r.status.as_str().into()),
            Val::S(
                serde_json::json!({"month_amount": r.amount, "progress_text": r.progress_text, "generated": true})
                    .to_string(),
            ),
            Val::OS(None),
            Val::S(actor.name.clone()),
            Val::T(r.submitted_at),
        ]);
    }
    crate::sql::insert_rows(
        tx,
        "INSERT INTO report (id, project_id, year, month, status, month_amount, progress_text, milestone, started, next_steps, flags, late, version, submitted_at, submitted_by, created_at, updated_at)",
        rows,
    )
    .await?;
    crate::sql::insert_rows(
        tx,
        "INSERT INTO report_version (report_id, version, action, status, snapshot, reason, actor_name, at)",
        versions,
    )
    .await?;
    // Reports that say a project has started start it, as a submitted report does.
    let started: Vec<(i64, NaiveDate)> = items
        .iter()
        .filter(|r| r.started)
        .filter_map(|r| NaiveDate::from_ymd_opt(r.year, r.month, 1).map(|d| (r.project_id, d)))
        .collect();
    for (pid, d) in started {
        exec_tx!(tx, c => sqlx::query("UPDATE project SET started = $1, start_date = COALESCE(start_date, $2) WHERE id = $3 AND started = $4")
            .bind(true).bind(d).bind(pid).bind(false).execute(c).await)?;
    }
    audit::record(
        tx,
        actor,
        "seed",
        "report",
        items.len(),
        None,
        Some(&serde_json::json!({"reports": items.len(), "first_id": ids.first(), "last_id": ids.last()})),
    )
    .await?;
    Ok(items.len())
}
