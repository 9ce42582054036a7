//! City leaders (市级领导): the contact leaders of projects and the heads of campaigns.

use crate::sql::Sql;
use crate::{
    Actor, Db, Result, StoreError, Tx, audit, bind_vals, exec_tx, on_db, on_tx, row_struct,
};
use gongjian_domain::access::Permission;
use gongjian_domain::{DomainError, text};

row_struct! {
    /// A leader as listed and shown.
    #[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
    pub struct Leader {
        pub id: i64,
        pub name: String,
        /// Post, e.g. 副市长.
        pub title: String,
        pub unit_id: i64,
        pub unit_code: String,
        pub unit_name: String,
        pub user_id: Option<i64>,
        pub username: Option<String>,
        pub sort: i64,
        pub active: bool,
    }
}

/// What a leader is created or edited from.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct LeaderInput {
    /// Full name.
    pub name: String,
    /// Post, e.g. 市长, 副市长.
    pub title: String,
    /// Code of the leader's unit (usually the city government).
    pub unit_code: String,
    /// Username of the leader's own account, if any.
    #[serde(default)]
    pub username: Option<String>,
    /// Order in lists: the mayor first.
    #[serde(default)]
    pub sort: Option<i64>,
}

const SELECT: &str = "SELECT l.id, l.name, l.title, l.unit_id, n.code AS unit_code, n.name AS unit_name, l.user_id, u.username, l.sort, l.active \
     FROM leader l JOIN unit n ON n.id = l.unit_id LEFT JOIN app_user u ON u.id = l.user_id";

/// Lists the leaders the actor may see, in protocol order.
pub async fn list(db: &Db, actor: &Actor, include_inactive: bool) -> Result<Vec<Leader>> {
    actor.access.require(Permission::OrgRead)?;
    let mut q = Sql::new(SELECT);
    q.push(" WHERE 1=1").and_scope(
        &actor.access.scope(Permission::OrgRead),
        "l.unit_id",
        Some("l.user_id"),
    );
    if !include_inactive {
        q.push(" AND l.active = ").bind(true);
    }
    q.push(" ORDER BY l.sort, l.id");
    Ok(
        on_db!(db, c => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(c).await)?,
    )
}

/// One leader, if within scope for `p`.
pub async fn get(db: &Db, actor: &Actor, id: i64, p: Permission) -> Result<Leader> {
    actor.access.require(p)?;
    let mut q = Sql::new(SELECT);
    q.push(" WHERE l.id = ").bind(id).and_scope(
        &actor.access.scope(p),
        "l.unit_id",
        Some("l.user_id"),
    );
    let found: Option<Leader> = on_db!(db, c => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_optional(c).await)?;
    found.ok_or_else(|| StoreError::not_found("领导", "leader", id))
}

async fn by_id_tx(tx: &mut Tx, id: i64) -> Result<Option<Leader>> {
    let sql = format!("{SELECT} WHERE l.id = $1");
    Ok(
        on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(c).await)?,
    )
}

fn snapshot(l: &Leader) -> serde_json::Value {
    serde_json::json!({"name": l.name, "title": l.title, "unit_id": l.unit_id, "username": l.username, "sort": l.sort, "active": l.active})
}

async fn resolve(
    tx: &mut Tx,
    actor: &Actor,
    input: &LeaderInput,
) -> Result<(String, String, i64, Option<i64>)> {
    let name = text::name("name", "姓名", &input.name)?;
    let title = text::name("title", "职务", &input.title)?;
    let unit = crate::unit::by_code_tx(tx, &input.unit_code)
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| {
            DomainError::new(
                "unit_code",
                format!("单位“{}”不存在或已停用。", input.unit_code.trim()),
                format!("Unit '{}' does not exist.", input.unit_code.trim()),
            )
        })?;
    actor
        .access
        .require_in_scope(Permission::OrgWrite, Some(unit.id), None)?;
    let user_id = match input.username.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(un) => Some(
            on_tx!(tx, c => sqlx::query_scalar::<_, i64>("SELECT id FROM app_user WHERE username = $1").bind(un.to_string()).fetch_optional(c).await)?
                .ok_or_else(|| DomainError::new("username", format!("用户“{un}”不存在。"), format!("User '{un}' does not exist.")))?,
        ),
    };
    Ok((name, title, unit.id, user_id))
}

/// Creates a leader.
pub async fn create(tx: &mut Tx, actor: &Actor, input: &LeaderInput) -> Result<Leader> {
    let (name, title, unit_id, user_id) = resolve(tx, actor, input).await?;
    let sql = "INSERT INTO leader (name, title, unit_id, user_id, sort, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id";
    let id: i64 = on_tx!(tx, c => sqlx::query_scalar(sql).bind(name.clone()).bind(title.clone()).bind(unit_id).bind(user_id)
        .bind(input.sort.unwrap_or(100)).bind(true).bind(crate::now()).fetch_one(c).await)?;
    let l = by_id_tx(tx, id).await?.expect("just inserted");
    audit::record(tx, actor, "create", "leader", id, None, Some(&snapshot(&l))).await?;
    Ok(l)
}

/// Edits a leader.
pub async fn update(tx: &mut Tx, actor: &Actor, id: i64, input: &LeaderInput) -> Result<Leader> {
    let before = by_id_tx(tx, id)
        .await?
        .ok_or_else(|| StoreError::not_found("领导", "leader", id))?;
    actor
        .access
        .require_in_scope(Permission::OrgWrite, Some(before.unit_id), before.user_id)?;
    let (name, title, unit_id, user_id) = resolve(tx, actor, input).await?;
    let sql = "UPDATE leader SET name = $1, title = $2, unit_id = $3, user_id = $4, sort = $5, updated_at = $6 WHERE id = $7";
    exec_tx!(tx, c => sqlx::query(sql).bind(name.clone()).bind(title.clone()).bind(unit_id).bind(user_id)
        .bind(input.sort.unwrap_or(before.sort)).bind(crate::now()).bind(id).execute(c).await)?;
    let after = by_id_tx(tx, id).await?.expect("exists");
    audit::record(
        tx,
        actor,
        "update",
        "leader",
        id,
        Some(&snapshot(&before)),
        Some(&snapshot(&after)),
    )
    .await?;
    Ok(after)
}

/// Deactivates or reactivates a leader.
pub async fn set_active(tx: &mut Tx, actor: &Actor, id: i64, active: bool) -> Result<Leader> {
    let before = by_id_tx(tx, id)
        .await?
        .ok_or_else(|| StoreError::not_found("领导", "leader", id))?;
    actor
        .access
        .require_in_scope(Permission::OrgWrite, Some(before.unit_id), before.user_id)?;
    exec_tx!(tx, c => sqlx::query("UPDATE leader SET active = $1, updated_at = $2 WHERE id = $3").bind(active).bind(crate::now()).bind(id).execute(c).await)?;
    let after = by_id_tx(tx, id).await?.expect("exists");
    audit::record(
        tx,
        actor,
        if active { "activate" } else { "deactivate" },
        "leader",
        id,
        Some(&snapshot(&before)),
        Some(&snapshot(&after)),
    )
    .await?;
    Ok(after)
}
