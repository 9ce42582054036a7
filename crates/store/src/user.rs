//! User accounts, their unit and roles.

use crate::sql::{Page, Paged, Sql};
use crate::{
    Actor, Db, Result, StoreError, Tx, audit, auth, bind_vals, exec_tx, on_db, on_tx, row_struct,
};
use chrono::{DateTime, Utc};
use gongjian_domain::access::{Permission, check_role_combination};
use gongjian_domain::{DomainError, password, text};

row_struct! {
    /// A user as listed and shown (never the password hash).
    #[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
    pub struct User {
        pub id: i64,
        pub username: String,
        pub name: String,
        pub unit_id: i64,
        pub unit_code: String,
        pub unit_name: String,
        pub division_name: String,
        pub phone: Option<String>,
        /// Address for e-mail notifications.
        pub email: Option<String>,
        pub active: bool,
        pub must_change_password: bool,
        pub locked_until: Option<DateTime<Utc>>,
        pub last_login_at: Option<DateTime<Utc>>,
        /// Role identifiers, comma-separated.
        pub roles: String,
    }
}

impl User {
    /// Role identifiers as a list.
    pub fn role_codes(&self) -> Vec<&str> {
        self.roles.split(',').filter(|s| !s.is_empty()).collect()
    }
}

/// What a user is created or edited from.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct UserInput {
    /// Login name: letters, digits, `_ - .`.
    pub username: String,
    /// Full name.
    pub name: String,
    /// Code of the user's unit.
    pub unit_code: String,
    /// Mobile number, optional.
    #[serde(default)]
    pub phone: Option<String>,
    /// E-mail address for notifications, optional.
    #[serde(default)]
    pub email: Option<String>,
    /// Role identifiers.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Initial password (create only).
    #[serde(default)]
    pub password: Option<String>,
    /// Whether the user must change the password at first login (default: yes).
    #[serde(default)]
    pub must_change_password: Option<bool>,
}

// Roles are aggregated per user in a subquery: both engines spell it differently.
fn select(db_is_pg: bool) -> String {
    let agg = if db_is_pg {
        "string_agg(r.code, ',' ORDER BY r.code)"
    } else {
        "group_concat(r.code, ',')"
    };
    format!(
        "SELECT u.id, u.username, u.name, u.unit_id, n.code AS unit_code, n.name AS unit_name, d.name AS division_name, u.phone, u.email, \
         u.active, u.must_change_password, u.locked_until, u.last_login_at, \
         COALESCE((SELECT {agg} FROM user_role ur JOIN role r ON r.id = ur.role_id WHERE ur.user_id = u.id), '') AS roles \
         FROM app_user u JOIN unit n ON n.id = u.unit_id JOIN division d ON d.id = n.division_id"
    )
}

fn is_pg_db(db: &Db) -> bool {
    matches!(db, Db::Postgres(_))
}

fn is_pg_tx(tx: &Tx) -> bool {
    matches!(tx, Tx::Postgres(_))
}

/// Filters of the user list.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct UserFilter {
    /// Username or name contains.
    pub q: Option<String>,
    /// Only users of this unit (code).
    pub unit_code: Option<String>,
    /// Only users holding this role.
    pub role: Option<String>,
    /// Include deactivated accounts.
    pub include_inactive: Option<bool>,
}

/// Lists users within the actor's `user.read` scope, paged.
pub async fn list(db: &Db, actor: &Actor, f: &UserFilter, page: Page) -> Result<Paged<User>> {
    actor.access.require(Permission::UserRead)?;
    let mut w = Sql::new(" WHERE 1=1");
    w.and_scope(
        &actor.access.scope(Permission::UserRead),
        "u.unit_id",
        Some("u.id"),
    );
    w.and_like(&["u.username", "u.name"], f.q.as_deref());
    if let Some(c) = f.unit_code.as_deref().filter(|s| !s.is_empty()) {
        w.push(" AND n.code = ").bind(c);
    }
    if let Some(r) = f.role.as_deref().filter(|s| !s.is_empty()) {
        w.push(" AND EXISTS (SELECT 1 FROM user_role ur2 JOIN role r2 ON r2.id = ur2.role_id WHERE ur2.user_id = u.id AND r2.code = ").bind(r).push(")");
    }
    if !f.include_inactive.unwrap_or(false) {
        w.push(" AND u.active = ").bind(true);
    }
    let mut count = Sql::new("SELECT COUNT(*) FROM app_user u JOIN unit n ON n.id = u.unit_id");
    count.push(&w.text).vals = w.vals.clone();
    let mut q = Sql::new(&select(is_pg_db(db)));
    q.push(&w.text).vals = w.vals;
    q.push(" ORDER BY n.code, u.username").page(&page);
    let total: i64 = on_db!(db, c => bind_vals!(sqlx::query_scalar(sqlx::AssertSqlSafe(count.text.clone())), count.vals.clone()).fetch_one(c).await)?;
    let items: Vec<User> = on_db!(db, c => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(c).await)?;
    Ok(Paged {
        items,
        total,
        page: page.page,
        size: page.size,
    })
}

/// One user by id, if within the actor's scope for `p`.
pub async fn get(db: &Db, actor: &Actor, id: i64, p: Permission) -> Result<User> {
    actor.access.require(p)?;
    let mut q = Sql::new(&select(is_pg_db(db)));
    q.push(" WHERE u.id = ")
        .bind(id)
        .and_scope(&actor.access.scope(p), "u.unit_id", Some("u.id"));
    let found: Option<User> = on_db!(db, c => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_optional(c).await)?;
    found.ok_or_else(|| StoreError::not_found("用户", "user", id))
}

/// One user by id inside a transaction, unscoped.
pub async fn by_id_tx(tx: &mut Tx, id: i64) -> Result<Option<User>> {
    let sql = format!("{} WHERE u.id = $1", select(is_pg_tx(tx)));
    Ok(
        on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(c).await)?,
    )
}

fn snapshot(u: &User) -> serde_json::Value {
    serde_json::json!({"username": u.username, "name": u.name, "unit_code": u.unit_code, "phone": u.phone, "email": u.email,
        "roles": u.roles, "active": u.active, "must_change_password": u.must_change_password})
}

async fn resolve_unit(tx: &mut Tx, actor: &Actor, unit_code: &str) -> Result<i64> {
    let unit = crate::unit::by_code_tx(tx, unit_code)
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| {
            DomainError::new(
                "unit_code",
                format!("单位“{}”不存在或已停用。", unit_code.trim()),
                format!("Unit '{}' does not exist or is inactive.", unit_code.trim()),
            )
        })?;
    actor
        .access
        .require_in_scope(Permission::UserWrite, Some(unit.id), None)?;
    Ok(unit.id)
}

async fn set_roles(tx: &mut Tx, user_id: i64, roles: &[String]) -> Result<()> {
    let codes: Vec<&str> = roles
        .iter()
        .map(|r| r.trim())
        .filter(|r| !r.is_empty())
        .collect();
    check_role_combination(&codes)?;
    exec_tx!(tx, c => sqlx::query("DELETE FROM user_role WHERE user_id = $1").bind(user_id).execute(c).await)?;
    for code in codes {
        let id: Option<i64> = on_tx!(tx, c => sqlx::query_scalar("SELECT id FROM role WHERE code = $1").bind(code.to_string()).fetch_optional(c).await)?;
        let id = id.ok_or_else(|| {
            DomainError::new(
                "roles",
                format!("角色“{code}”不存在。"),
                format!("Role '{code}' does not exist."),
            )
        })?;
        exec_tx!(tx, c => sqlx::query("INSERT INTO user_role (user_id, role_id) VALUES ($1, $2) ON CONFLICT DO NOTHING").bind(user_id).bind(id).execute(c).await)?;
    }
    Ok(())
}

/// An optional e-mail address: one `@`, no spaces, a dot in the domain.
fn check_email(raw: Option<&str>) -> std::result::Result<Option<String>, DomainError> {
    let t = raw.unwrap_or("").trim();
    if t.is_empty() {
        return Ok(None);
    }
    let ok = t.len() <= 100
        && !t.contains(char::is_whitespace)
        && t.split_once('@').is_some_and(|(u, d)| {
            !u.is_empty()
                && d.contains('.')
                && !d.contains('@')
                && !d.starts_with('.')
                && !d.ends_with('.')
        });
    if ok {
        Ok(Some(t.to_string()))
    } else {
        Err(DomainError::new(
            "email",
            format!("邮箱“{t}”格式不正确，应如 zhangsan@example.gov.cn。"),
            format!("'{t}' is not an e-mail address."),
        ))
    }
}

/// Creates an account with a password (checked against the policy and hashed).
pub async fn create(tx: &mut Tx, actor: &Actor, input: &UserInput) -> Result<User> {
    actor.access.require(Permission::UserWrite)?;
    let username = text::code("username", "用户名", &input.username)?;
    let name = text::name("name", "姓名", &input.name)?;
    let phone = text::optional("phone", "手机号", input.phone.as_deref().unwrap_or(""))?;
    let email = check_email(input.email.as_deref())?;
    let pw = input.password.as_deref().unwrap_or("");
    password::check_policy(pw)?;
    let unit_id = resolve_unit(tx, actor, &input.unit_code).await?;
    let hash = auth::hash_password(pw).await?;
    let sql = "INSERT INTO app_user (username, name, unit_id, phone, email, password_hash, must_change_password, active, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $9, $5, $6, $7, $8, $8) RETURNING id";
    let id: i64 = on_tx!(tx, c => sqlx::query_scalar(sql).bind(username.clone()).bind(name).bind(unit_id).bind(phone).bind(hash)
        .bind(input.must_change_password.unwrap_or(true)).bind(true).bind(crate::now()).bind(email.clone()).fetch_one(c).await)
    .map_err(|e| StoreError::from(e).map_unique("app_user.username", "username", &format!("用户名“{username}”已被使用。"), &format!("Username '{username}' is taken.")))?;
    set_roles(tx, id, &input.roles).await?;
    let u = by_id_tx(tx, id).await?.expect("just inserted");
    audit::record(tx, actor, "create", "user", id, None, Some(&snapshot(&u))).await?;
    Ok(u)
}

/// Edits name, unit, phone and roles of an account.
pub async fn update(tx: &mut Tx, actor: &Actor, id: i64, input: &UserInput) -> Result<User> {
    let before = by_id_tx(tx, id)
        .await?
        .ok_or_else(|| StoreError::not_found("用户", "user", id))?;
    actor
        .access
        .require_in_scope(Permission::UserWrite, Some(before.unit_id), Some(before.id))?;
    let name = text::name("name", "姓名", &input.name)?;
    let phone = text::optional("phone", "手机号", input.phone.as_deref().unwrap_or(""))?;
    let email = check_email(input.email.as_deref())?;
    let unit_id = resolve_unit(tx, actor, &input.unit_code).await?;
    exec_tx!(tx, c => sqlx::query("UPDATE app_user SET name = $1, unit_id = $2, phone = $3, email = $4, updated_at = $5 WHERE id = $6")
        .bind(name).bind(unit_id).bind(phone).bind(email).bind(crate::now()).bind(id).execute(c).await)?;
    set_roles(tx, id, &input.roles).await?;
    let after = by_id_tx(tx, id).await?.expect("exists");
    audit::record(
        tx,
        actor,
        "update",
        "user",
        id,
        Some(&snapshot(&before)),
        Some(&snapshot(&after)),
    )
    .await?;
    Ok(after)
}

/// Administrative actions on an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminAction {
    /// Reactivate.
    Activate,
    /// Deactivate and end its sessions.
    Deactivate,
    /// Clear a login lock.
    Unlock,
}

/// Activates, deactivates or unlocks an account.
pub async fn admin_action(
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    action: AdminAction,
) -> Result<User> {
    let before = by_id_tx(tx, id)
        .await?
        .ok_or_else(|| StoreError::not_found("用户", "user", id))?;
    actor
        .access
        .require_in_scope(Permission::UserWrite, Some(before.unit_id), Some(before.id))?;
    if action == AdminAction::Deactivate && actor.user_id == Some(id) {
        return Err(DomainError::new(
            "id",
            "不能停用自己的账户。",
            "You cannot deactivate your own account.",
        )
        .into());
    }
    let (sql, name) = match action {
        AdminAction::Activate => (
            "UPDATE app_user SET active = TRUE, updated_at = $1 WHERE id = $2",
            "activate",
        ),
        AdminAction::Deactivate => (
            "UPDATE app_user SET active = FALSE, updated_at = $1 WHERE id = $2",
            "deactivate",
        ),
        AdminAction::Unlock => (
            "UPDATE app_user SET failed_logins = 0, locked_until = NULL, updated_at = $1 WHERE id = $2",
            "unlock",
        ),
    };
    exec_tx!(tx, c => sqlx::query(sql).bind(crate::now()).bind(id).execute(c).await)?;
    if action == AdminAction::Deactivate {
        auth::end_sessions(tx, id).await?;
    }
    let after = by_id_tx(tx, id).await?.expect("exists");
    audit::record(
        tx,
        actor,
        name,
        "user",
        id,
        Some(&snapshot(&before)),
        Some(&snapshot(&after)),
    )
    .await?;
    Ok(after)
}

/// An administrator sets a new password; the user must change it at next login unless
/// `must_change` is false. All the user's sessions end.
pub async fn reset_password(
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    new_password: &str,
    must_change: bool,
) -> Result<()> {
    let before = by_id_tx(tx, id)
        .await?
        .ok_or_else(|| StoreError::not_found("用户", "user", id))?;
    actor
        .access
        .require_in_scope(Permission::UserWrite, Some(before.unit_id), Some(before.id))?;
    password::check_policy(new_password)?;
    let hash = auth::hash_password(new_password).await?;
    exec_tx!(tx, c => sqlx::query("UPDATE app_user SET password_hash = $1, must_change_password = $2, failed_logins = 0, locked_until = NULL, updated_at = $3 WHERE id = $4")
        .bind(hash).bind(must_change).bind(crate::now()).bind(id).execute(c).await)?;
    auth::end_sessions(tx, id).await?;
    audit::record(
        tx,
        actor,
        "reset_password",
        "user",
        id,
        None,
        Some(&serde_json::json!({"must_change_password": must_change})),
    )
    .await?;
    Ok(())
}

/// A user changes their own password, proving the old one.
pub async fn change_own_password(tx: &mut Tx, actor: &Actor, old: &str, new: &str) -> Result<()> {
    let id = actor
        .user_id
        .ok_or_else(|| StoreError::not_found("用户", "user", "?"))?;
    let hash: String = on_tx!(tx, c => sqlx::query_scalar("SELECT password_hash FROM app_user WHERE id = $1").bind(id).fetch_one(c).await)?;
    if !auth::verify_password(old, &hash).await {
        return Err(DomainError::new(
            "old_password",
            "原密码不正确。",
            "The current password is wrong.",
        )
        .into());
    }
    if old == new {
        return Err(DomainError::new(
            "password",
            "新密码不能与原密码相同。",
            "The new password must differ from the current one.",
        )
        .into());
    }
    password::check_policy(new)?;
    let hash = auth::hash_password(new).await?;
    exec_tx!(tx, c => sqlx::query("UPDATE app_user SET password_hash = $1, must_change_password = FALSE, updated_at = $2 WHERE id = $3")
        .bind(hash).bind(crate::now()).bind(id).execute(c).await)?;
    audit::record(tx, actor, "change_password", "user", id, None, None).await?;
    Ok(())
}
