//! Roles: a set of permissions with a data scope. Built-in roles are seeded at migration;
//! administrators may add roles and change any role's scope.

use crate::{Actor, Db, Result, StoreError, Tx, audit, exec_tx, on_db, on_tx, row_struct};
use gongjian_domain::access::{BUILTIN_ROLES, DataScope, HeldRole, Permission};
use gongjian_domain::{DomainError, text};
use std::collections::BTreeSet;

row_struct! {
    /// A role row.
    #[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
    pub struct RoleRow {
        pub id: i64,
        pub code: String,
        pub name: String,
        pub name_en: String,
        pub data_scope: String,
        pub builtin: bool,
    }
}

/// A role with its permissions and custom units.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Role {
    /// The role row.
    #[serde(flatten)]
    pub role: RoleRow,
    /// Permission identifiers.
    pub permissions: Vec<String>,
    /// Units of a `custom` data scope.
    pub custom_unit_ids: Vec<i64>,
}

/// What a role is created or edited from.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct RoleInput {
    /// Identifier: letters, digits, `_ - .`.
    pub code: String,
    /// Chinese name.
    pub name: String,
    /// English name.
    #[serde(default)]
    pub name_en: Option<String>,
    /// all / custom / own_unit / own_unit_and_below / self_only.
    pub data_scope: String,
    /// Permission identifiers (ignored for built-in roles, whose permissions are fixed).
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Unit ids for a `custom` scope.
    #[serde(default)]
    pub custom_unit_ids: Vec<i64>,
}

/// Inserts the built-in roles that are missing; never changes an existing role's scope.
pub async fn seed_builtin(tx: &mut Tx) -> Result<()> {
    for r in BUILTIN_ROLES {
        let exists: Option<i64> = on_tx!(tx, c => sqlx::query_scalar("SELECT id FROM role WHERE code = $1").bind(r.code).fetch_optional(c).await)?;
        if exists.is_some() {
            continue;
        }
        let id: i64 = on_tx!(tx, c => sqlx::query_scalar("INSERT INTO role (code, name, name_en, data_scope, builtin) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(r.code).bind(r.zh).bind(r.en).bind(r.scope.as_str()).bind(true).fetch_one(c).await)?;
        for p in r.permissions {
            exec_tx!(tx, c => sqlx::query("INSERT INTO role_permission (role_id, permission) VALUES ($1, $2)").bind(id).bind(p.as_str()).execute(c).await)?;
        }
    }
    Ok(())
}

async fn expand(db: &Db, rows: Vec<RoleRow>) -> Result<Vec<Role>> {
    let perms: Vec<(i64, String)> = on_db!(db, c => sqlx::query_as("SELECT role_id, permission FROM role_permission ORDER BY permission").fetch_all(c).await)?;
    let units: Vec<(i64, i64)> = on_db!(db, c => sqlx::query_as("SELECT role_id, unit_id FROM role_unit ORDER BY unit_id").fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|role| Role {
            permissions: perms
                .iter()
                .filter(|p| p.0 == role.id)
                .map(|p| p.1.clone())
                .collect(),
            custom_unit_ids: units
                .iter()
                .filter(|u| u.0 == role.id)
                .map(|u| u.1)
                .collect(),
            role,
        })
        .collect())
}

/// All roles (roles are not scoped data: anyone with `role.read` sees them all).
pub async fn list(db: &Db, actor: &Actor) -> Result<Vec<Role>> {
    actor.access.require(Permission::RoleRead)?;
    let rows: Vec<RoleRow> = on_db!(db, c => sqlx::query_as("SELECT * FROM role ORDER BY builtin DESC, id").fetch_all(c).await)?;
    expand(db, rows).await
}

/// One role by code.
pub async fn get(db: &Db, actor: &Actor, code: &str) -> Result<Role> {
    actor.access.require(Permission::RoleRead)?;
    let row: Option<RoleRow> = on_db!(db, c => sqlx::query_as("SELECT * FROM role WHERE code = $1").bind(code.to_string()).fetch_optional(c).await)?;
    let row = row.ok_or_else(|| StoreError::not_found("角色", "role", code))?;
    Ok(expand(db, vec![row]).await?.remove(0))
}

async fn by_code_tx(tx: &mut Tx, code: &str) -> Result<Option<RoleRow>> {
    Ok(
        on_tx!(tx, c => sqlx::query_as("SELECT * FROM role WHERE code = $1").bind(code.to_string()).fetch_optional(c).await)?,
    )
}

fn check(input: &RoleInput) -> Result<(String, String, String, DataScope, BTreeSet<Permission>)> {
    let code = text::code("code", "角色标识", &input.code)?;
    let name = text::name("name", "角色名称", &input.name)?;
    let name_en = text::optional(
        "name_en",
        "英文名称",
        input.name_en.as_deref().unwrap_or(""),
    )?
    .unwrap_or_else(|| code.clone());
    let scope: DataScope = input.data_scope.parse()?;
    let perms = input
        .permissions
        .iter()
        .map(|p| p.parse::<Permission>())
        .collect::<Result<BTreeSet<_>, _>>()?;
    if scope == DataScope::Custom && input.custom_unit_ids.is_empty() {
        return Err(DomainError::new(
            "custom_unit_ids",
            "自定义数据范围需至少选择一个单位。",
            "A custom scope needs at least one unit.",
        )
        .into());
    }
    Ok((code, name, name_en, scope, perms))
}

async fn write_details(
    tx: &mut Tx,
    id: i64,
    perms: Option<&BTreeSet<Permission>>,
    units: &[i64],
) -> Result<()> {
    if let Some(perms) = perms {
        exec_tx!(tx, c => sqlx::query("DELETE FROM role_permission WHERE role_id = $1").bind(id).execute(c).await)?;
        for p in perms {
            exec_tx!(tx, c => sqlx::query("INSERT INTO role_permission (role_id, permission) VALUES ($1, $2)").bind(id).bind(p.as_str()).execute(c).await)?;
        }
    }
    exec_tx!(tx, c => sqlx::query("DELETE FROM role_unit WHERE role_id = $1").bind(id).execute(c).await)?;
    for u in units.iter().collect::<BTreeSet<_>>() {
        let ok: Option<i64> = on_tx!(tx, c => sqlx::query_scalar("SELECT id FROM unit WHERE id = $1").bind(*u).fetch_optional(c).await)?;
        if ok.is_none() {
            return Err(DomainError::new(
                "custom_unit_ids",
                format!("单位 {u} 不存在。"),
                format!("Unit {u} does not exist."),
            )
            .into());
        }
        exec_tx!(tx, c => sqlx::query("INSERT INTO role_unit (role_id, unit_id) VALUES ($1, $2)").bind(id).bind(*u).execute(c).await)?;
    }
    Ok(())
}

fn snapshot(input: &RoleInput) -> serde_json::Value {
    serde_json::json!({"code": input.code, "name": input.name, "data_scope": input.data_scope, "permissions": input.permissions, "custom_unit_ids": input.custom_unit_ids})
}

/// Creates a custom role.
pub async fn create(tx: &mut Tx, actor: &Actor, input: &RoleInput) -> Result<RoleRow> {
    actor.access.require(Permission::RoleWrite)?;
    let (code, name, name_en, scope, perms) = check(input)?;
    let id: i64 = on_tx!(tx, c => sqlx::query_scalar("INSERT INTO role (code, name, name_en, data_scope, builtin) VALUES ($1, $2, $3, $4, $5) RETURNING id")
        .bind(code.clone()).bind(name).bind(name_en).bind(scope.as_str()).bind(false).fetch_one(c).await)
    .map_err(|e| StoreError::from(e).map_unique("role.code", "code", &format!("角色标识“{code}”已存在。"), &format!("Role '{code}' exists.")))?;
    write_details(tx, id, Some(&perms), &input.custom_unit_ids).await?;
    audit::record(
        tx,
        actor,
        "create",
        "role",
        &code,
        None,
        Some(&snapshot(input)),
    )
    .await?;
    Ok(by_code_tx(tx, &code).await?.expect("just inserted"))
}

/// Edits a role. Built-in roles keep their code and permissions; their scope may change.
pub async fn update(tx: &mut Tx, actor: &Actor, code: &str, input: &RoleInput) -> Result<RoleRow> {
    actor.access.require(Permission::RoleWrite)?;
    let before = by_code_tx(tx, code)
        .await?
        .ok_or_else(|| StoreError::not_found("角色", "role", code))?;
    let mut input = input.clone();
    input.code = before.code.clone();
    let (_, name, name_en, scope, perms) = check(&input)?;
    exec_tx!(tx, c => sqlx::query("UPDATE role SET name = $1, name_en = $2, data_scope = $3 WHERE id = $4")
        .bind(name).bind(name_en).bind(scope.as_str()).bind(before.id).execute(c).await)?;
    write_details(
        tx,
        before.id,
        (!before.builtin).then_some(&perms),
        &input.custom_unit_ids,
    )
    .await?;
    let before_json = serde_json::json!({"code": before.code, "name": before.name, "data_scope": before.data_scope});
    audit::record(
        tx,
        actor,
        "update",
        "role",
        code,
        Some(&before_json),
        Some(&snapshot(&input)),
    )
    .await?;
    Ok(by_code_tx(tx, code).await?.expect("exists"))
}

/// The roles a user holds, with what is needed to resolve their scopes.
pub async fn held_by(db: &Db, user_id: i64) -> Result<Vec<HeldRole>> {
    // Every request of a signed-in user resolves its roles: one statement for the roles,
    // their permissions and their custom units, each row tagged with what it carries.
    const HELD: &str = "SELECT CAST(0 AS BIGINT) AS kind, r.id AS role_id, r.code AS code, r.data_scope AS item, CAST(0 AS BIGINT) AS unit_id \
        FROM role r JOIN user_role ur ON ur.role_id = r.id WHERE ur.user_id = $1 \
        UNION ALL SELECT 1, rp.role_id, NULL, rp.permission, 0 \
        FROM role_permission rp JOIN user_role ur ON ur.role_id = rp.role_id WHERE ur.user_id = $1 \
        UNION ALL SELECT 2, ru.role_id, NULL, NULL, ru.unit_id \
        FROM role_unit ru JOIN user_role ur ON ur.role_id = ru.role_id WHERE ur.user_id = $1 \
        ORDER BY 1, 2";
    type Row = (i64, i64, Option<String>, Option<String>, i64);
    let rows: Vec<Row> = on_db!(db, c => sqlx::query_as(HELD).bind(user_id).fetch_all(c).await)?;
    let mut held: Vec<(i64, HeldRole)> = Vec::new();
    for (kind, role_id, code, item, unit_id) in rows {
        if kind == 0 {
            held.push((
                role_id,
                HeldRole {
                    code: code.unwrap_or_default(),
                    permissions: Default::default(),
                    scope: item
                        .as_deref()
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(DataScope::SelfOnly),
                    custom_units: Default::default(),
                },
            ));
            continue;
        }
        // Roles come first (kind 0), so every permission and unit finds its role.
        let Some((_, r)) = held.iter_mut().find(|(id, _)| *id == role_id) else {
            continue;
        };
        if kind == 1 {
            if let Some(p) = item.and_then(|p| p.parse().ok()) {
                r.permissions.insert(p);
            }
        } else {
            r.custom_units.insert(unit_id);
        }
    }
    Ok(held.into_iter().map(|(_, r)| r).collect())
}
