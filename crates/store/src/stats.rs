//! Counts for the home page, each within the caller's scope.

use crate::sql::Sql;
use crate::{Actor, Db, Result, bind_vals, on_db};
use gongjian_domain::access::Permission;

/// What the home page shows. A count is `None` when the caller may not read that kind.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct HomeCounts {
    /// Active divisions visible.
    pub divisions: Option<i64>,
    /// Active units visible.
    pub units: Option<i64>,
    /// Active leaders visible.
    pub leaders: Option<i64>,
    /// Active users visible.
    pub users: Option<i64>,
    /// Audit records visible.
    pub audit_records: Option<i64>,
    /// Users per division (top level below the city), for the chart.
    pub users_by_division: Vec<(String, i64)>,
}

async fn count(db: &Db, q: Sql) -> Result<i64> {
    Ok(
        on_db!(db, c => bind_vals!(sqlx::query_scalar(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_one(c).await)?,
    )
}

/// Counts what the actor may see.
pub async fn home(db: &Db, actor: &Actor) -> Result<HomeCounts> {
    let a = &actor.access;
    let mut out = HomeCounts::default();
    if a.has(Permission::OrgRead) {
        let s = a.scope(Permission::OrgRead);
        let mut q = Sql::new("SELECT COUNT(*) FROM division d WHERE d.active = TRUE");
        if !s.all {
            q.push(" AND EXISTS (SELECT 1 FROM unit su WHERE su.division_id = d.id")
                .and_scope(&s, "su.id", None)
                .push(")");
        }
        out.divisions = Some(count(db, q).await?);
        let mut q = Sql::new("SELECT COUNT(*) FROM unit n WHERE n.active = TRUE");
        q.and_scope(&s, "n.id", None);
        out.units = Some(count(db, q).await?);
        let mut q = Sql::new("SELECT COUNT(*) FROM leader l WHERE l.active = TRUE");
        q.and_scope(&s, "l.unit_id", Some("l.user_id"));
        out.leaders = Some(count(db, q).await?);
    }
    if a.has(Permission::UserRead) {
        let s = a.scope(Permission::UserRead);
        let mut q = Sql::new("SELECT COUNT(*) FROM app_user u WHERE u.active = TRUE");
        q.and_scope(&s, "u.unit_id", Some("u.id"));
        out.users = Some(count(db, q).await?);
        // Users by the second level of the division tree (districts, counties, zones).
        let mut q = Sql::new(
            "SELECT d2.name, COUNT(u.id) FROM app_user u JOIN unit n ON n.id = u.unit_id JOIN division d ON d.id = n.division_id \
             JOIN division d2 ON (d2.id = d.id OR d2.id = d.parent_id) WHERE u.active = TRUE AND d2.kind IN ('district', 'county', 'zone')",
        );
        q.and_scope(&s, "u.unit_id", Some("u.id"))
            .push(" GROUP BY d2.code, d2.name ORDER BY d2.code");
        out.users_by_division = on_db!(db, c => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(c).await)?;
    }
    if a.has(Permission::AuditRead) {
        let mut q = Sql::new("SELECT COUNT(*) FROM audit_log WHERE 1=1");
        q.and_scope(
            &a.scope(Permission::AuditRead),
            "actor_unit_id",
            Some("actor_id"),
        );
        out.audit_records = Some(count(db, q).await?);
    }
    Ok(out)
}
