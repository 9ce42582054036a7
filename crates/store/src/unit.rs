//! Units: governments, departments, companies and other organisations, in a tree.

use crate::sql::{Page, Paged, Sql};
use crate::{
    Actor, Db, Result, StoreError, Tx, audit, bind_vals, exec_tx, on_db, on_tx, row_struct,
};
use chrono::{DateTime, Utc};
use gongjian_domain::access::{Denied, Permission};
use gongjian_domain::unit::{UnitKind, check_credit_code};
use gongjian_domain::{DomainError, text};

row_struct! {
    /// A unit as listed and shown.
    #[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
    pub struct Unit {
        pub id: i64,
        pub code: String,
        pub name: String,
        pub kind: String,
        pub division_id: i64,
        pub division_code: String,
        pub division_name: String,
        pub parent_id: Option<i64>,
        pub parent_code: Option<String>,
        pub parent_name: Option<String>,
        pub governs_division_id: Option<i64>,
        pub credit_code: Option<String>,
        pub active: bool,
        /// Active users of this unit.
        pub user_count: i64,
        pub updated_at: DateTime<Utc>,
    }
}

/// What a unit is created or edited from.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct UnitInput {
    /// Short code, unique: letters, digits, `_ - .`.
    pub code: String,
    /// Full name, e.g. 示例市发展和改革委员会.
    pub name: String,
    /// department / company / other (government units come with their division).
    pub kind: String,
    /// The division the unit sits in.
    pub division_code: String,
    /// Code of the parent unit; empty = the division's government.
    #[serde(default)]
    pub parent_code: Option<String>,
    /// 18-character unified social credit code, optional.
    #[serde(default)]
    pub credit_code: Option<String>,
}

const SELECT: &str = "SELECT n.id, n.code, n.name, n.kind, n.division_id, d.code AS division_code, d.name AS division_name, \
     n.parent_id, p.code AS parent_code, p.name AS parent_name, n.governs_division_id, n.credit_code, n.active, \
     (SELECT COUNT(*) FROM app_user au WHERE au.unit_id = n.id AND au.active = TRUE) AS user_count, n.updated_at \
     FROM unit n JOIN division d ON d.id = n.division_id LEFT JOIN unit p ON p.id = n.parent_id";

/// Filters of the unit list.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct UnitFilter {
    /// Name or code contains.
    pub q: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
    /// Only units in this division.
    pub division_code: Option<String>,
    /// Include deactivated units.
    pub include_inactive: Option<bool>,
}

/// Lists the units the actor may see, paged.
pub async fn list(db: &Db, actor: &Actor, f: &UnitFilter, page: Page) -> Result<Paged<Unit>> {
    actor.access.require(Permission::OrgRead)?;
    let mut w = Sql::new(" WHERE 1=1");
    w.and_scope(&actor.access.scope(Permission::OrgRead), "n.id", None);
    w.and_like(&["n.name", "n.code"], f.q.as_deref());
    if let Some(k) = f.kind.as_deref().filter(|s| !s.is_empty()) {
        w.push(" AND n.kind = ").bind(k);
    }
    if let Some(d) = f.division_code.as_deref().filter(|s| !s.is_empty()) {
        w.push(" AND d.code = ").bind(d);
    }
    if !f.include_inactive.unwrap_or(false) {
        w.push(" AND n.active = ").bind(true);
    }
    let mut count = Sql::new("SELECT COUNT(*) FROM unit n JOIN division d ON d.id = n.division_id");
    count.push(&w.text).vals = w.vals.clone();
    let mut q = Sql::new(SELECT);
    q.push(&w.text).vals = w.vals;
    q.push(" ORDER BY d.code, CASE WHEN n.kind = 'government' THEN 0 ELSE 1 END, n.code")
        .page(&page);
    let total: i64 = on_db!(db, c => bind_vals!(sqlx::query_scalar(sqlx::AssertSqlSafe(count.text.clone())), count.vals.clone()).fetch_one(c).await)?;
    let items: Vec<Unit> = on_db!(db, c => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(c).await)?;
    Ok(Paged {
        items,
        total,
        page: page.page,
        size: page.size,
    })
}

/// One unit by id, if within the actor's scope for `p`.
pub async fn get(db: &Db, actor: &Actor, id: i64, p: Permission) -> Result<Unit> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE n.id = ").bind(id);
    fetch_scoped(db, actor, q, p, &id.to_string()).await
}

/// One unit by code, if within the actor's scope for `p`.
pub async fn get_by_code(db: &Db, actor: &Actor, code: &str, p: Permission) -> Result<Unit> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE n.code = ").bind(code.trim());
    fetch_scoped(db, actor, q, p, code).await
}

async fn fetch_scoped(
    db: &Db,
    actor: &Actor,
    mut q: Sql,
    p: Permission,
    key: &str,
) -> Result<Unit> {
    actor.access.require(p)?;
    q.and_scope(&actor.access.scope(p), "n.id", None);
    let found: Option<Unit> = on_db!(db, c => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_optional(c).await)?;
    found.ok_or_else(|| StoreError::not_found("单位", "unit", key))
}

/// One unit by code inside a transaction, unscoped (callers check access).
pub async fn by_code_tx(tx: &mut Tx, code: &str) -> Result<Option<Unit>> {
    let sql = format!("{SELECT} WHERE n.code = $1");
    Ok(
        on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(code.trim().to_string()).fetch_optional(c).await)?,
    )
}

/// One unit by id inside a transaction, unscoped (callers check access).
pub async fn by_id_tx(tx: &mut Tx, id: i64) -> Result<Option<Unit>> {
    let sql = format!("{SELECT} WHERE n.id = $1");
    Ok(
        on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(c).await)?,
    )
}

fn snapshot(u: &Unit) -> serde_json::Value {
    serde_json::json!({"code": u.code, "name": u.name, "kind": u.kind, "division_code": u.division_code,
        "parent_code": u.parent_code, "credit_code": u.credit_code, "active": u.active})
}

fn require_write(actor: &Actor, unit_id: Option<i64>) -> Result<()> {
    actor
        .access
        .require_in_scope(Permission::OrgWrite, unit_id, None)
        .map_err(StoreError::from)
}

struct Checked {
    code: String,
    name: String,
    kind: UnitKind,
    division_id: i64,
    parent: Unit,
    credit_code: Option<String>,
}

async fn check_input(tx: &mut Tx, input: &UnitInput, editing: Option<&Unit>) -> Result<Checked> {
    let code = text::code("code", "单位编码", &input.code)?;
    let name = text::name("name", "单位名称", &input.name)?;
    let kind: UnitKind = input.kind.parse()?;
    if kind == UnitKind::Government && editing.is_none_or(|u| u.governs_division_id.is_none()) {
        return Err(DomainError::new(
            "kind",
            "政府（管委会）单位随行政区划自动创建，不能单独添加。",
            "Government units come with their division.",
        )
        .into());
    }
    let credit_code = match input
        .credit_code
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(cc) => Some(check_credit_code(cc)?),
        None => None,
    };
    let dcode = input.division_code.trim();
    let division: Option<(i64, Option<String>)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT d.id, g.code FROM division d LEFT JOIN unit g ON g.governs_division_id = d.id WHERE d.code = $1 AND d.active = TRUE")
        .bind(dcode.to_string()).fetch_optional(c).await)?;
    let (division_id, gov_code) = division.ok_or_else(|| {
        DomainError::new(
            "division_code",
            format!("所在区划“{dcode}”不存在或已停用。"),
            format!("Division '{dcode}' does not exist or is inactive."),
        )
    })?;
    let parent_code = input
        .parent_code
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .or(gov_code);
    let parent = match parent_code {
        Some(pc) => by_code_tx(tx, &pc)
            .await?
            .filter(|p| p.active)
            .ok_or_else(|| {
                DomainError::new(
                    "parent_code",
                    format!("上级单位“{pc}”不存在或已停用。"),
                    format!("Parent unit '{pc}' does not exist or is inactive."),
                )
            })?,
        None => {
            return Err(DomainError::new(
                "parent_code",
                "请指定上级单位。",
                "A parent unit is required.",
            )
            .into());
        }
    };
    Ok(Checked {
        code,
        name,
        kind,
        division_id,
        parent,
        credit_code,
    })
}

/// Creates a unit under its parent (by default its division's government).
pub async fn create(tx: &mut Tx, actor: &Actor, input: &UnitInput) -> Result<Unit> {
    let c = check_input(tx, input, None).await?;
    require_write(actor, Some(c.parent.id))?;
    let sql = "INSERT INTO unit (code, name, kind, division_id, parent_id, credit_code, active, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id";
    let id: i64 = on_tx!(tx, c2 => sqlx::query_scalar(sql)
        .bind(c.code.clone()).bind(c.name.clone()).bind(c.kind.as_str()).bind(c.division_id).bind(c.parent.id)
        .bind(c.credit_code.clone()).bind(true).bind(crate::now()).fetch_one(c2).await)
    .map_err(|e| StoreError::from(e).map_unique("unit.code", "code", &format!("单位编码“{}”已被使用。", c.code), &format!("Unit code '{}' is taken.", c.code)))?;
    let u = by_id_tx(tx, id).await?.expect("just inserted");
    audit::record(tx, actor, "create", "unit", id, None, Some(&snapshot(&u))).await?;
    Ok(u)
}

/// Ids of a unit and its ancestors, nearest first.
async fn ancestors(tx: &mut Tx, id: i64) -> Result<Vec<i64>> {
    let sql = "WITH RECURSIVE up(id, parent_id, depth) AS (SELECT id, parent_id, 0 FROM unit WHERE id = $1 \
               UNION ALL SELECT u.id, u.parent_id, up.depth + 1 FROM unit u JOIN up ON u.id = up.parent_id WHERE up.depth < 64) \
               SELECT id FROM up ORDER BY depth";
    Ok(on_tx!(tx, c => sqlx::query_scalar(sql).bind(id).fetch_all(c).await)?)
}

/// Edits a unit; changing its parent moves it (never under itself or its descendants).
pub async fn update(tx: &mut Tx, actor: &Actor, id: i64, input: &UnitInput) -> Result<Unit> {
    let before = by_id_tx(tx, id)
        .await?
        .ok_or_else(|| StoreError::not_found("单位", "unit", id))?;
    require_write(actor, Some(before.id))?;
    if before.governs_division_id.is_some() {
        return Err(DomainError::new(
            "kind",
            "政府（管委会）单位随行政区划维护，请在行政区划中修改。",
            "Edit a government unit through its division.",
        )
        .into());
    }
    let c = check_input(tx, input, Some(&before)).await?;
    if Some(c.parent.id) != before.parent_id {
        require_write(actor, Some(c.parent.id))?;
        if ancestors(tx, c.parent.id).await?.contains(&id) {
            return Err(DomainError::new(
                "parent_code",
                "不能把单位移到它自己或它的下级之下。",
                "A unit cannot be moved under itself or its descendants.",
            )
            .into());
        }
    }
    let sql = "UPDATE unit SET code = $1, name = $2, kind = $3, division_id = $4, parent_id = $5, credit_code = $6, updated_at = $7 WHERE id = $8";
    exec_tx!(tx, c2 => sqlx::query(sql)
        .bind(c.code.clone()).bind(c.name.clone()).bind(c.kind.as_str()).bind(c.division_id).bind(c.parent.id)
        .bind(c.credit_code.clone()).bind(crate::now()).bind(id).execute(c2).await)
    .map_err(|e| StoreError::from(e).map_unique("unit.code", "code", &format!("单位编码“{}”已被使用。", c.code), &format!("Unit code '{}' is taken.", c.code)))?;
    let after = by_id_tx(tx, id).await?.expect("exists");
    let action = if before.parent_id != after.parent_id {
        "move"
    } else {
        "update"
    };
    audit::record(
        tx,
        actor,
        action,
        "unit",
        id,
        Some(&snapshot(&before)),
        Some(&snapshot(&after)),
    )
    .await?;
    Ok(after)
}

/// Deactivates or reactivates a unit. A unit with active users or active child units
/// cannot be deactivated.
pub async fn set_active(tx: &mut Tx, actor: &Actor, id: i64, active: bool) -> Result<Unit> {
    let before = by_id_tx(tx, id)
        .await?
        .ok_or_else(|| StoreError::not_found("单位", "unit", id))?;
    require_write(actor, Some(before.id))
        .map_err(|_| StoreError::Denied(Denied(Permission::OrgWrite)))?;
    if before.governs_division_id.is_some() {
        return Err(DomainError::new(
            "kind",
            "政府（管委会）单位随行政区划停用。",
            "A government unit is deactivated with its division.",
        )
        .into());
    }
    if !active {
        if before.user_count > 0 {
            return Err(DomainError::new(
                "id",
                format!(
                    "“{}”还有 {} 个在用的用户，请先停用或调走这些用户。",
                    before.name, before.user_count
                ),
                format!(
                    "'{}' still has {} active users; deactivate or move them first.",
                    before.code, before.user_count
                ),
            )
            .into());
        }
        let kids: i64 = on_tx!(tx, c => sqlx::query_scalar("SELECT COUNT(*) FROM unit WHERE parent_id = $1 AND active = $2").bind(id).bind(true).fetch_one(c).await)?;
        if kids > 0 {
            return Err(DomainError::new(
                "id",
                format!(
                    "“{}”下还有 {kids} 个在用的下级单位，请先停用或移走它们。",
                    before.name
                ),
                format!("'{}' still has {kids} active child units.", before.code),
            )
            .into());
        }
    }
    exec_tx!(tx, c => sqlx::query("UPDATE unit SET active = $1, updated_at = $2 WHERE id = $3").bind(active).bind(crate::now()).bind(id).execute(c).await)?;
    let after = by_id_tx(tx, id).await?.expect("exists");
    audit::record(
        tx,
        actor,
        if active { "activate" } else { "deactivate" },
        "unit",
        id,
        Some(&snapshot(&before)),
        Some(&snapshot(&after)),
    )
    .await?;
    Ok(after)
}

/// The unit and every unit below it, for the "own unit and below" scope.
pub async fn subtree(db: &Db, unit_id: i64) -> Result<Vec<i64>> {
    let sql = "WITH RECURSIVE down(id, depth) AS (SELECT id, 0 FROM unit WHERE id = $1 \
               UNION ALL SELECT u.id, down.depth + 1 FROM unit u JOIN down ON u.parent_id = down.id WHERE down.depth < 64) \
               SELECT id FROM down";
    Ok(on_db!(db, c => sqlx::query_scalar(sql).bind(unit_id).fetch_all(c).await)?)
}
