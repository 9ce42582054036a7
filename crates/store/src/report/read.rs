//! Reading reports: one report with everything around it, a unit's to-report list,
//! the period board by division, and photos.

use super::write::{PHOTO, REPORT};
use super::*;
use crate::project::Project;
use crate::sql::Sql;
use crate::{Val, bind_vals};

/// A report with everything around it.
#[derive(Debug, Clone)]
pub struct ReportView {
    /// The project.
    pub project: Project,
    /// The period, if opened.
    pub period: Option<Period>,
    /// The report, if one exists.
    pub report: Option<Report>,
    /// Its photos.
    pub photos: Vec<PhotoMeta>,
    /// Its kept versions, newest first.
    pub versions: Vec<Version>,
    /// Completed this year up to and including this month (counted reports).
    pub cum_year: i64,
    /// Completed since start up to and including this month.
    pub since_start: i64,
    /// Last month's report, for comparison.
    pub last: Option<Report>,
    /// The project's milestones (names), for the current-node choice.
    pub milestones: Vec<String>,
    /// This month's plan and the annual plan (yuan), if any.
    pub plan: Option<(Option<i64>, i64)>,
}

/// A project's report for a month, if the project is within the actor's read scope.
pub async fn view(
    db: &Db,
    actor: &Actor,
    project_id: i64,
    year: i32,
    month: u32,
) -> Result<ReportView> {
    let project = crate::project::get(db, actor, project_id, Permission::ProjectRead).await?;
    let period = period(db, year, month).await?;
    let sql = format!("{REPORT} WHERE project_id = $1 AND year = $2 AND month = $3");
    let report: Option<Report> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(project_id).bind(i64::from(year)).bind(i64::from(month)).fetch_optional(c).await)?;
    let (py, pm) = if month == 1 {
        (year - 1, 12)
    } else {
        (year, month - 1)
    };
    let last: Option<Report> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(project_id).bind(i64::from(py)).bind(i64::from(pm)).fetch_optional(c).await)?;
    let (photos, versions) = match &report {
        Some(r) => {
            let ps = format!("{PHOTO} WHERE report_id = $1 ORDER BY id");
            let photos: Vec<PhotoMeta> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(ps.clone())).bind(r.id).fetch_all(c).await)?;
            let versions: Vec<Version> = on_db!(db, c => sqlx::query_as("SELECT version, action, status, snapshot, reason, actor_name, at FROM report_version WHERE report_id = $1 ORDER BY version DESC").bind(r.id).fetch_all(c).await)?;
            (photos, versions)
        }
        None => (vec![], vec![]),
    };
    let ym = i64::from(year) * 12 + i64::from(month);
    let sums: (Option<i64>, Option<i64>) = on_db!(db, c => sqlx::query_as("SELECT CAST(SUM(CASE WHEN year = $2 THEN month_amount ELSE 0 END) AS BIGINT), CAST(SUM(month_amount) AS BIGINT) FROM report WHERE project_id = $1 AND year * 12 + month <= $3 AND status IN ('submitted', 'approved', 'locked')")
        .bind(project_id).bind(i64::from(year)).bind(ym).fetch_one(c).await)?;
    let prior: i64 = on_db!(db, c => sqlx::query_scalar("SELECT prior_investment FROM project WHERE id = $1").bind(project_id).fetch_one(c).await)?;
    let milestones: Vec<String> = on_db!(db, c => sqlx::query_scalar("SELECT name FROM milestone WHERE project_id = $1 ORDER BY seq, id").bind(project_id).fetch_all(c).await)?;
    let col = format!("m{month}");
    let plan_sql =
        format!("SELECT {col}, annual FROM project_plan WHERE project_id = $1 AND year = $2");
    let plan: Option<(Option<i64>, i64)> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(plan_sql.clone())).bind(project_id).bind(i64::from(year)).fetch_optional(c).await)?;
    Ok(ReportView {
        project,
        period,
        report,
        photos,
        versions,
        cum_year: sums.0.unwrap_or(0),
        since_start: prior + sums.1.unwrap_or(0),
        last,
        milestones,
        plan,
    })
}

/// A report's project id, year and month, if the report exists.
pub async fn locate(db: &Db, report_id: i64) -> Result<Option<(i64, i64, i64)>> {
    Ok(
        on_db!(db, c => sqlx::query_as("SELECT project_id, year, month FROM report WHERE id = $1").bind(report_id).fetch_optional(c).await)?,
    )
}

/// A photo's type and bytes, if its project is within the actor's read scope.
pub async fn photo(db: &Db, actor: &Actor, photo_id: i64) -> Result<(String, Vec<u8>)> {
    let row: Option<(i64, String, Vec<u8>)> = on_db!(db, c => sqlx::query_as("SELECT r.project_id, ph.mime, ph.bytes FROM report_photo ph JOIN report r ON r.id = ph.report_id WHERE ph.id = $1").bind(photo_id).fetch_optional(c).await)?;
    let (pid, mime, bytes) = row.ok_or_else(|| StoreError::not_found("照片", "photo", photo_id))?;
    crate::project::get(db, actor, pid, Permission::ProjectRead)
        .await
        .map_err(|_| StoreError::not_found("照片", "photo", photo_id))?;
    Ok((mime, bytes))
}

row_struct! {
    /// One line of a unit's to-report list.
    #[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
    pub struct ToReport {
        pub project_id: i64,
        pub code: Option<String>,
        pub name: String,
        pub division_name: String,
        pub stage: String,
        pub report_id: Option<i64>,
        /// Report status, none when not started.
        pub status: Option<String>,
        pub late: Option<bool>,
        pub month_amount: Option<i64>,
        pub updated_at: Option<DateTime<Utc>>,
        pub return_reason: Option<String>,
    }
}

/// Filters of the report lists.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct ReportFilter {
    /// Division code: that division and everything below it.
    pub division_code: Option<String>,
    /// Report status, or `missing` for projects without a submitted report.
    pub status: Option<String>,
    /// Name or code contains.
    pub q: Option<String>,
}

/// The projects the actor may see with `p` that report for the month, with the state of
/// their report; projects in preparation or under construction report.
pub async fn to_report(
    db: &Db,
    actor: &Actor,
    p: Permission,
    year: i32,
    month: u32,
    f: &ReportFilter,
) -> Result<Vec<ToReport>> {
    actor.access.require(p)?;
    let mut q = Sql::new(
        "SELECT p.id AS project_id, p.code, p.name, d.name AS division_name, p.stage, r.id AS report_id, r.status, r.late, r.month_amount, r.updated_at, r.return_reason \
         FROM project p JOIN division d ON d.id = p.division_id \
         LEFT JOIN report r ON r.project_id = p.id AND r.year = $1 AND r.month = $2 \
         WHERE p.active = TRUE AND p.stage IN ('preparation', 'construction')",
    );
    q.vals = vec![Val::I(i64::from(year)), Val::I(i64::from(month))];
    crate::project::and_scope(&mut q, &actor.access.scope(p));
    q.and_like(&["p.name", "p.code"], f.q.as_deref());
    if let Some(dc) = f.division_code.as_deref().filter(|s| !s.is_empty()) {
        q.push(" AND p.division_id IN (WITH RECURSIVE sub(id, depth) AS (SELECT id, 0 FROM division WHERE code = ")
            .bind(dc.trim())
            .push(" UNION ALL SELECT c.id, sub.depth + 1 FROM division c JOIN sub ON c.parent_id = sub.id WHERE sub.depth < 16) SELECT id FROM sub)");
    }
    match f.status.as_deref().filter(|s| !s.is_empty()) {
        Some("missing") => {
            q.push(" AND (r.status IS NULL OR r.status IN ('draft', 'returned'))");
        }
        Some("late") => {
            q.push(" AND r.late = ").bind(true);
        }
        Some(s) => {
            q.push(" AND r.status = ").bind(s);
        }
        None => {}
    }
    q.push(" ORDER BY p.sort, p.id LIMIT 5000");
    Ok(
        on_db!(db, c => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(c).await)?,
    )
}

/// One division's line on the period board.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct BoardRow {
    /// Division code.
    pub division_code: String,
    /// Division name.
    pub division_name: String,
    /// Projects that report.
    pub due: i64,
    /// Not yet submitted (no report, draft or returned).
    pub missing: i64,
    /// Submitted, waiting for review.
    pub submitted: i64,
    /// Returned for correction.
    pub returned: i64,
    /// Approved by the division.
    pub approved: i64,
    /// Locked by the office.
    pub locked: i64,
    /// Submitted after the deadline.
    pub late: i64,
}

/// The period board: per top-level division under `parent` (its children, or the roots),
/// how many projects report and where their reports are, within the actor's scope.
pub async fn board(
    db: &Db,
    actor: &Actor,
    year: i32,
    month: u32,
    parent: Option<&str>,
) -> Result<Vec<BoardRow>> {
    let rows = to_report(
        db,
        actor,
        Permission::ProjectRead,
        year,
        month,
        &ReportFilter::default(),
    )
    .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.project_id).collect();
    let groups = lights::group_of(db, &ids, parent).await?;
    let mut out: Vec<BoardRow> = Vec::new();
    for r in rows {
        let Some((code, name)) = groups.get(&r.project_id) else {
            continue;
        };
        let i = match out.iter().position(|b| &b.division_code == code) {
            Some(i) => i,
            None => {
                out.push(BoardRow {
                    division_code: code.clone(),
                    division_name: name.clone(),
                    ..Default::default()
                });
                out.len() - 1
            }
        };
        let b = &mut out[i];
        b.due += 1;
        match r.status.as_deref() {
            Some("submitted") => b.submitted += 1,
            Some("approved") => b.approved += 1,
            Some("locked") => b.locked += 1,
            Some("returned") => {
                b.returned += 1;
                b.missing += 1;
            }
            _ => b.missing += 1,
        }
        if r.late == Some(true) {
            b.late += 1;
        }
    }
    out.sort_by(|a, b| a.division_code.cmp(&b.division_code));
    Ok(out)
}
