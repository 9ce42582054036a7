//! The division tree. Each division has a government unit that acts for it, so that the
//! unit tree (and with it every data scope) follows the division tree.

use crate::sql::Sql;
use crate::{
    Actor, Db, Result, StoreError, Tx, audit, bind_vals, exec_tx, on_db, on_tx, row_struct,
};
use chrono::{DateTime, Utc};
use gongjian_domain::access::Permission;
use gongjian_domain::division::{self as rules, DivisionCode, DivisionKind};
use gongjian_domain::{DomainError, text};

row_struct! {
    /// A division as listed and shown.
    #[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
    pub struct Division {
        pub id: i64,
        pub code: String,
        pub name: String,
        pub kind: String,
        pub parent_id: Option<i64>,
        pub parent_code: Option<String>,
        pub parent_name: Option<String>,
        /// The government unit acting for this division.
        pub unit_id: Option<i64>,
        pub active: bool,
        pub updated_at: DateTime<Utc>,
    }
}

impl Division {
    /// The kind, parsed.
    pub fn kind(&self) -> Option<DivisionKind> {
        self.kind.parse().ok()
    }
}

/// What a division is created or imported from.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct DivisionInput {
    /// 6-digit GB/T 2260 code (9 digits for towns).
    pub code: String,
    /// Name, e.g. 兰山区.
    pub name: String,
    /// city / district / county / zone / town.
    pub kind: String,
    /// Code of the parent division; empty for the top.
    #[serde(default)]
    pub parent_code: Option<String>,
}

const SELECT: &str = "SELECT d.id, d.code, d.name, d.kind, d.parent_id, p.code AS parent_code, p.name AS parent_name, \
     g.id AS unit_id, d.active, d.updated_at FROM division d \
     LEFT JOIN division p ON p.id = d.parent_id LEFT JOIN unit g ON g.governs_division_id = d.id";

/// Appends the visibility rule: a division is visible when a unit located in it is.
fn and_visible(sql: &mut Sql, actor: &Actor, p: Permission) {
    let scope = actor.access.scope(p);
    if scope.all {
        return;
    }
    sql.push(" AND EXISTS (SELECT 1 FROM unit su WHERE su.division_id = d.id");
    sql.and_scope(&scope, "su.id", None);
    sql.push(")");
}

/// Filters of the division list.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct DivisionFilter {
    /// Name or code contains.
    pub q: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
    /// Include deactivated divisions.
    pub include_inactive: Option<bool>,
}

/// Lists the divisions the actor may see, in code order (which is tree order).
pub async fn list(db: &Db, actor: &Actor, f: &DivisionFilter) -> Result<Vec<Division>> {
    actor.access.require(Permission::OrgRead)?;
    let mut q = Sql::new(SELECT);
    q.push(" WHERE 1=1");
    and_visible(&mut q, actor, Permission::OrgRead);
    q.and_like(&["d.name", "d.code"], f.q.as_deref());
    if let Some(k) = f.kind.as_deref().filter(|k| !k.is_empty()) {
        q.push(" AND d.kind = ").bind(k);
    }
    if !f.include_inactive.unwrap_or(false) {
        q.push(" AND d.active = ").bind(true);
    }
    q.push(" ORDER BY d.code");
    Ok(
        on_db!(db, c => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(c).await)?,
    )
}

/// One division by code, if the actor may see it with permission `p`.
pub async fn get(db: &Db, actor: &Actor, code: &str, p: Permission) -> Result<Division> {
    actor.access.require(p)?;
    let mut q = Sql::new(SELECT);
    q.push(" WHERE d.code = ").bind(code.trim());
    and_visible(&mut q, actor, p);
    let found: Option<Division> = on_db!(db, c => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_optional(c).await)?;
    found.ok_or_else(|| StoreError::not_found("行政区划", "division", code))
}

async fn get_tx(tx: &mut Tx, code: &str) -> Result<Option<Division>> {
    let sql = format!("{SELECT} WHERE d.code = $1");
    Ok(
        on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(code.to_string()).fetch_optional(c).await)?,
    )
}

/// Ids of a division and all its ancestors, nearest first.
async fn ancestors(tx: &mut Tx, id: i64) -> Result<Vec<i64>> {
    let sql = "WITH RECURSIVE up(id, parent_id, depth) AS (SELECT id, parent_id, 0 FROM division WHERE id = $1 \
               UNION ALL SELECT d.id, d.parent_id, up.depth + 1 FROM division d JOIN up ON d.id = up.parent_id WHERE up.depth < 64) \
               SELECT id FROM up ORDER BY depth";
    Ok(on_tx!(tx, c => sqlx::query_scalar(sql).bind(id).fetch_all(c).await)?)
}

fn snapshot(d: &Division) -> serde_json::Value {
    serde_json::json!({"code": d.code, "name": d.name, "kind": d.kind, "parent_code": d.parent_code, "active": d.active})
}

/// Checks the actor may write on division `d` (its government unit is in the write
/// scope); `None` stands for the root, which needs scope over everything.
fn require_write_on(actor: &Actor, d: Option<&Division>) -> Result<()> {
    actor.access.require(Permission::OrgWrite)?;
    let scope = actor.access.scope(Permission::OrgWrite);
    let ok = scope.all || d.is_some_and(|d| scope.allows(d.unit_id, None));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Denied(gongjian_domain::access::Denied(
            Permission::OrgWrite,
        )))
    }
}

/// Parsed and checked input.
struct Checked {
    code: DivisionCode,
    name: String,
    kind: DivisionKind,
    parent: Option<Division>,
}

async fn check_input(tx: &mut Tx, input: &DivisionInput) -> Result<Checked> {
    let code: DivisionCode = input.code.parse()?;
    let name = text::name("name", "名称", &input.name)?;
    let kind: DivisionKind = input.kind.parse()?;
    let parent = match input
        .parent_code
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(pc) => Some(get_tx(tx, pc).await?.ok_or_else(|| {
            DomainError::new(
                "parent_code",
                format!("上级区划“{pc}”不存在，请先添加上级区划。"),
                format!("Parent division '{pc}' does not exist."),
            )
        })?),
    };
    rules::check_placement(kind, parent.as_ref().and_then(Division::kind))?;
    if code.as_str().len() == 9 && kind != DivisionKind::Town {
        return Err(DomainError::new(
            "code",
            "只有镇街可以使用 9 位代码。",
            "Only towns may have 9-digit codes.",
        )
        .into());
    }
    Ok(Checked {
        code,
        name,
        kind,
        parent,
    })
}

/// Creates a division and its government unit.
pub async fn create(tx: &mut Tx, actor: &Actor, input: &DivisionInput) -> Result<Division> {
    let c = check_input(tx, input).await?;
    require_write_on(actor, c.parent.as_ref())?;
    let now = crate::now();
    let sql = "INSERT INTO division (code, name, kind, parent_id, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id";
    let id: i64 = on_tx!(tx, c2 => sqlx::query_scalar(sql)
        .bind(c.code.to_string()).bind(c.name.clone()).bind(c.kind.as_str()).bind(c.parent.as_ref().map(|p| p.id)).bind(true).bind(now)
        .fetch_one(c2).await)
    .map_err(|e| {
        StoreError::from(e).map_unique("division.code", "code", &format!("行政区划代码“{}”已存在。", c.code), &format!("Division code '{}' already exists.", c.code))
    })?;
    let gov_name = c.kind.government_name(&c.name);
    let sql = "INSERT INTO unit (code, name, kind, division_id, parent_id, governs_division_id, active, created_at, updated_at) \
               VALUES ($1, $2, 'government', $3, $4, $3, $5, $6, $6)";
    exec_tx!(tx, c2 => sqlx::query(sql)
        .bind(c.code.to_string()).bind(gov_name).bind(id).bind(c.parent.as_ref().and_then(|p| p.unit_id)).bind(true).bind(now)
        .execute(c2).await)
    .map_err(|e| {
        StoreError::from(e).map_unique("unit.code", "code", &format!("已有单位使用编码“{}”。", c.code), &format!("A unit already uses code '{}'.", c.code))
    })?;
    let d = get_tx(tx, c.code.as_str()).await?.expect("just inserted");
    audit::record(
        tx,
        actor,
        "create",
        "division",
        &d.code,
        None,
        Some(&snapshot(&d)),
    )
    .await?;
    Ok(d)
}

/// Updates name, kind and parent of an existing division (a move when the parent changes).
pub async fn update(
    tx: &mut Tx,
    actor: &Actor,
    code: &str,
    input: &DivisionInput,
) -> Result<Division> {
    let before = get_tx(tx, code)
        .await?
        .ok_or_else(|| StoreError::not_found("行政区划", "division", code))?;
    if input.code.trim() != before.code {
        return Err(DomainError::new(
            "code",
            "行政区划代码不能修改；如需更换，请新建区划并停用旧区划。",
            "A division code cannot be changed.",
        )
        .into());
    }
    // The actor must be able to write both the division and where it goes.
    require_write_on(actor, Some(&before))?;
    let c = check_input(tx, input).await?;
    if c.parent.as_ref().map(|p| p.id) != before.parent_id {
        require_write_on(actor, c.parent.as_ref())?;
    }
    if let Some(p) = &c.parent {
        rules::check_not_cycle(before.id, &ancestors(tx, p.id).await?)?;
    }
    let sql =
        "UPDATE division SET name = $1, kind = $2, parent_id = $3, updated_at = $4 WHERE id = $5";
    exec_tx!(tx, c2 => sqlx::query(sql).bind(c.name.clone()).bind(c.kind.as_str()).bind(c.parent.as_ref().map(|p| p.id)).bind(crate::now()).bind(before.id).execute(c2).await)?;
    // The government unit follows: renamed with the division, moved under the new parent's.
    let sql =
        "UPDATE unit SET name = $1, parent_id = $2, updated_at = $3 WHERE governs_division_id = $4";
    exec_tx!(tx, c2 => sqlx::query(sql).bind(c.kind.government_name(&c.name)).bind(c.parent.as_ref().and_then(|p| p.unit_id)).bind(crate::now()).bind(before.id).execute(c2).await)?;
    let after = get_tx(tx, code).await?.expect("exists");
    let action = if before.parent_id != after.parent_id {
        "move"
    } else {
        "update"
    };
    audit::record(
        tx,
        actor,
        action,
        "division",
        code,
        Some(&snapshot(&before)),
        Some(&snapshot(&after)),
    )
    .await?;
    Ok(after)
}

/// Deactivates (or reactivates) a division. A division that still has active child
/// divisions, other active units or active users cannot be deactivated.
pub async fn set_active(tx: &mut Tx, actor: &Actor, code: &str, active: bool) -> Result<Division> {
    let before = get_tx(tx, code)
        .await?
        .ok_or_else(|| StoreError::not_found("行政区划", "division", code))?;
    require_write_on(actor, Some(&before))?;
    if !active {
        let sql = "SELECT (SELECT COUNT(*) FROM division WHERE parent_id = $1 AND active = $2) \
                   + (SELECT COUNT(*) FROM unit WHERE division_id = $1 AND active = $2 AND governs_division_id IS NULL)";
        let children: i64 =
            on_tx!(tx, c => sqlx::query_scalar(sql).bind(before.id).bind(true).fetch_one(c).await)?;
        if children > 0 {
            return Err(DomainError::new(
                "code",
                format!("“{}”下还有 {children} 个在用的下级区划或单位，请先停用或移走它们。", before.name),
                format!("'{}' still has {children} active child divisions or units; deactivate or move them first.", before.code),
            )
            .into());
        }
        let sql = "SELECT COUNT(*) FROM app_user u JOIN unit g ON g.id = u.unit_id WHERE g.governs_division_id = $1 AND u.active = $2";
        let users: i64 =
            on_tx!(tx, c => sqlx::query_scalar(sql).bind(before.id).bind(true).fetch_one(c).await)?;
        if users > 0 {
            return Err(DomainError::new(
                "code",
                format!(
                    "“{}”还有 {users} 个在用的用户，请先停用或调走这些用户。",
                    before.name
                ),
                format!(
                    "'{}' still has {users} active users; deactivate or move them first.",
                    before.code
                ),
            )
            .into());
        }
    }
    let now = crate::now();
    exec_tx!(tx, c => sqlx::query("UPDATE division SET active = $1, updated_at = $2 WHERE id = $3").bind(active).bind(now).bind(before.id).execute(c).await)?;
    exec_tx!(tx, c => sqlx::query("UPDATE unit SET active = $1, updated_at = $2 WHERE governs_division_id = $3").bind(active).bind(now).bind(before.id).execute(c).await)?;
    let after = get_tx(tx, code).await?.expect("exists");
    let action = if active { "activate" } else { "deactivate" };
    audit::record(
        tx,
        actor,
        action,
        "division",
        code,
        Some(&snapshot(&before)),
        Some(&snapshot(&after)),
    )
    .await?;
    Ok(after)
}

/// Creates the division, or updates it when the code exists: what an import does.
/// Returns true when it was created.
pub async fn upsert(tx: &mut Tx, actor: &Actor, input: &DivisionInput) -> Result<bool> {
    match get_tx(tx, input.code.trim()).await? {
        None => create(tx, actor, input).await.map(|_| true),
        Some(d) => {
            let same = d.name == input.name.trim()
                && Some(d.kind.as_str())
                    == input.kind.parse::<DivisionKind>().ok().map(|k| k.as_str())
                && d.parent_code.as_deref().unwrap_or("")
                    == input.parent_code.as_deref().map(str::trim).unwrap_or("");
            if !same {
                update(tx, actor, &d.code, input).await?;
            }
            Ok(false)
        }
    }
}
