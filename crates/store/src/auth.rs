//! Authentication: argon2 password hashes, login throttling and locks, sessions stored
//! in the database (so several app processes share them), and personal API tokens.

use crate::{Actor, Db, Result, StoreError, Tx, audit, exec_tx, on_db, on_tx, row_struct};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use gongjian_domain::access::Access;
use gongjian_domain::{DomainError, text};
use std::collections::BTreeSet;

/// Hashes a password with argon2id (off the async threads: it is deliberately slow).
pub async fn hash_password(pw: &str) -> Result<String> {
    let pw = pw.to_string();
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).expect("random source");
        let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt");
        Argon2::default()
            .hash_password(pw.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .expect("hashing task")
    .map_err(|e| StoreError::Config(format!("password hashing failed: {e}")))
}

/// Whether `pw` matches the stored argon2 hash.
pub async fn verify_password(pw: &str, hash: &str) -> bool {
    let (pw, hash) = (pw.to_string(), hash.to_string());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .is_ok_and(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// Login throttling settings.
#[derive(Debug, Clone, Copy)]
pub struct LoginPolicy {
    /// Failed attempts before the account locks.
    pub max_failed: i64,
    /// How long a lock lasts.
    pub lock_minutes: i64,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        LoginPolicy {
            max_failed: 5,
            lock_minutes: 15,
        }
    }
}

/// Why a login failed. The message for a wrong username and a wrong password is the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    /// Unknown user, wrong password or inactive account.
    Invalid,
    /// Too many failures: locked until then.
    Locked(DateTime<Utc>),
}

row_struct! {
    /// What a login checks.
    pub struct Credentials {
        pub id: i64,
        pub username: String,
        pub unit_id: i64,
        pub password_hash: String,
        pub active: bool,
        pub failed_logins: i64,
        pub locked_until: Option<DateTime<Utc>>,
    }
}

/// A new session: the secret for the cookie and the CSRF token for forms.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Cookie value (only its hash is stored).
    pub token: String,
    /// CSRF token bound to the session.
    pub csrf_token: String,
    /// The user.
    pub user_id: i64,
}

fn actor_for(id: Option<i64>, username: &str, unit_id: Option<i64>, ip: &str) -> Actor {
    Actor {
        access: Access::default(),
        user_id: id,
        name: username.to_string(),
        unit_id,
        ip: ip.to_string(),
    }
}

/// Checks a username and password; on success opens a session. Failures count towards
/// a lock; every attempt is audited.
pub async fn login(
    db: &Db,
    username: &str,
    pw: &str,
    ip: &str,
    user_agent: &str,
    policy: LoginPolicy,
) -> Result<Result<NewSession, LoginError>> {
    let username = username.trim();
    let creds: Option<Credentials> = on_db!(db, c => sqlx::query_as(
        "SELECT id, username, unit_id, password_hash, active, failed_logins, locked_until FROM app_user WHERE username = $1")
        .bind(username.to_string()).fetch_optional(c).await)?;
    let now = crate::now();
    let Some(cr) = creds else {
        // Spend the same time as a real check so that timing does not reveal usernames.
        let _ = verify_password(pw, "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Yk9Y7nE2Q9L6Zp0mYQ3xq0l3f4h0xW1jQ6V5Gz8r9Qw").await;
        return Ok(Err(LoginError::Invalid));
    };
    if let Some(until) = cr.locked_until.filter(|u| *u > now) {
        return Ok(Err(LoginError::Locked(until)));
    }
    let ok = verify_password(pw, &cr.password_hash).await && cr.active;
    let actor = actor_for(Some(cr.id), &cr.username, Some(cr.unit_id), ip);
    let mut tx = db.begin().await?;
    if !ok {
        let failed = cr.failed_logins + 1;
        let lock =
            (failed >= policy.max_failed).then(|| now + Duration::minutes(policy.lock_minutes));
        exec_tx!(&mut tx, c => sqlx::query("UPDATE app_user SET failed_logins = $1, locked_until = $2 WHERE id = $3")
            .bind(if lock.is_some() { 0 } else { failed }).bind(lock).bind(cr.id).execute(c).await)?;
        let action = if lock.is_some() {
            "lock"
        } else {
            "login_failed"
        };
        audit::record(
            &mut tx,
            &actor,
            action,
            "user",
            cr.id,
            None,
            Some(&serde_json::json!({"failed_logins": failed})),
        )
        .await?;
        tx.commit().await?;
        return Ok(Err(lock.map_or(LoginError::Invalid, LoginError::Locked)));
    }
    exec_tx!(&mut tx, c => sqlx::query("UPDATE app_user SET failed_logins = 0, locked_until = NULL, last_login_at = $1 WHERE id = $2").bind(now).bind(cr.id).execute(c).await)?;
    let s = NewSession {
        token: crate::random_token(),
        csrf_token: crate::random_token(),
        user_id: cr.id,
    };
    let ua: String = user_agent.chars().take(300).collect();
    exec_tx!(&mut tx, c => sqlx::query("INSERT INTO session (token_hash, user_id, csrf_token, created_at, last_seen_at, ip, user_agent) VALUES ($1, $2, $3, $4, $4, $5, $6)")
        .bind(crate::sm3_hex(s.token.as_bytes())).bind(cr.id).bind(s.csrf_token.clone()).bind(now).bind(ip.to_string()).bind(ua).execute(c).await)?;
    audit::record(&mut tx, &actor, "login", "user", cr.id, None, None).await?;
    tx.commit().await?;
    Ok(Ok(s))
}

row_struct! {
    /// The signed-in user behind a session or token.
    #[derive(Debug, Clone)]
    pub struct SessionUser {
        pub user_id: i64,
        pub username: String,
        pub name: String,
        pub unit_id: i64,
        pub unit_name: String,
        pub must_change_password: bool,
        pub csrf_token: String,
        pub last_seen_at: DateTime<Utc>,
    }
}

/// Finds the live session behind a cookie value. Sessions idle longer than
/// `idle_minutes` are deleted and not returned; others are touched (at most once a minute).
pub async fn session(db: &Db, token: &str, idle_minutes: i64) -> Result<Option<SessionUser>> {
    let hash = crate::sm3_hex(token.as_bytes());
    let sql = "SELECT s.user_id, u.username, u.name, u.unit_id, n.name AS unit_name, u.must_change_password, s.csrf_token, s.last_seen_at \
               FROM session s JOIN app_user u ON u.id = s.user_id JOIN unit n ON n.id = u.unit_id WHERE s.token_hash = $1 AND u.active = TRUE";
    let found: Option<SessionUser> =
        on_db!(db, c => sqlx::query_as(sql).bind(hash.clone()).fetch_optional(c).await)?;
    let Some(s) = found else { return Ok(None) };
    let now = crate::now();
    // The writer is taken only when there is something to write: most requests come
    // within a minute of the last and must not queue behind the writes of others.
    if now - s.last_seen_at > Duration::minutes(idle_minutes) {
        let mut tx = db.begin().await?;
        exec_tx!(&mut tx, c => sqlx::query("DELETE FROM session WHERE token_hash = $1").bind(hash).execute(c).await)?;
        tx.commit().await?;
        return Ok(None);
    }
    if now - s.last_seen_at > Duration::seconds(60) {
        let mut tx = db.begin().await?;
        exec_tx!(&mut tx, c => sqlx::query("UPDATE session SET last_seen_at = $1 WHERE token_hash = $2").bind(now).bind(hash).execute(c).await)?;
        tx.commit().await?;
    }
    Ok(Some(s))
}

/// Ends one session (logout).
pub async fn logout(db: &Db, actor: &Actor, token: &str) -> Result<()> {
    let mut tx = db.begin().await?;
    exec_tx!(&mut tx, c => sqlx::query("DELETE FROM session WHERE token_hash = $1").bind(crate::sm3_hex(token.as_bytes())).execute(c).await)?;
    if let Some(id) = actor.user_id {
        audit::record(&mut tx, actor, "logout", "user", id, None, None).await?;
    }
    tx.commit().await
}

/// Ends every session of a user (deactivation, password reset).
pub async fn end_sessions(tx: &mut Tx, user_id: i64) -> Result<()> {
    exec_tx!(tx, c => sqlx::query("DELETE FROM session WHERE user_id = $1").bind(user_id).execute(c).await)?;
    Ok(())
}

/// Resolves a user's roles and data scopes into an [`Access`].
pub async fn load_access(db: &Db, user_id: i64, unit_id: i64) -> Result<Access> {
    let roles = crate::role::held_by(db, user_id).await?;
    let below: BTreeSet<i64> = if roles
        .iter()
        .any(|r| r.scope == gongjian_domain::access::DataScope::OwnUnitAndBelow)
    {
        crate::unit::subtree(db, unit_id)
            .await?
            .into_iter()
            .collect()
    } else {
        BTreeSet::new()
    };
    Ok(Access::resolve(user_id, unit_id, &roles, |_| below.clone()))
}

/// Builds the actor for a signed-in user.
pub async fn actor(db: &Db, user_id: i64, username: &str, unit_id: i64, ip: &str) -> Result<Actor> {
    let access = load_access(db, user_id, unit_id).await?;
    Ok(Actor {
        access,
        ..actor_for(Some(user_id), username, Some(unit_id), ip)
    })
}

row_struct! {
    /// A personal API token (its secret is shown once and never stored).
    #[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
    pub struct ApiToken {
        pub id: i64,
        pub name: String,
        pub created_at: DateTime<Utc>,
        pub last_used_at: Option<DateTime<Utc>>,
        pub revoked_at: Option<DateTime<Utc>>,
    }
}

/// Creates a token for the actor; returns it with its secret (`gj_` + 64 hex digits).
pub async fn create_token(db: &Db, actor: &Actor, name: &str) -> Result<(ApiToken, String)> {
    let user_id = actor
        .user_id
        .ok_or_else(|| StoreError::Config("tokens belong to users".into()))?;
    let name = text::name("name", "令牌名称", name)?;
    let secret = format!("gj_{}", crate::random_token());
    let mut tx = db.begin().await?;
    let id: i64 = on_tx!(&mut tx, c => sqlx::query_scalar("INSERT INTO api_token (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(user_id).bind(name.clone()).bind(crate::sm3_hex(secret.as_bytes())).bind(crate::now()).fetch_one(c).await)?;
    audit::record(
        &mut tx,
        actor,
        "create",
        "api_token",
        id,
        None,
        Some(&serde_json::json!({"name": name})),
    )
    .await?;
    let t: ApiToken = on_tx!(&mut tx, c => sqlx::query_as("SELECT id, name, created_at, last_used_at, revoked_at FROM api_token WHERE id = $1").bind(id).fetch_one(c).await)?;
    tx.commit().await?;
    Ok((t, secret))
}

/// The actor's own tokens.
pub async fn list_tokens(db: &Db, actor: &Actor) -> Result<Vec<ApiToken>> {
    Ok(
        on_db!(db, c => sqlx::query_as("SELECT id, name, created_at, last_used_at, revoked_at FROM api_token WHERE user_id = $1 ORDER BY id DESC")
        .bind(actor.user_id.unwrap_or(-1)).fetch_all(c).await)?,
    )
}

/// Revokes one of the actor's own tokens.
pub async fn revoke_token(db: &Db, actor: &Actor, id: i64) -> Result<()> {
    let mut tx = db.begin().await?;
    let n = exec_tx!(&mut tx, c => sqlx::query("UPDATE api_token SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
        .bind(crate::now()).bind(id).bind(actor.user_id.unwrap_or(-1)).execute(c).await)?;
    if n == 0 {
        return Err(StoreError::not_found("令牌", "token", id));
    }
    audit::record(&mut tx, actor, "revoke", "api_token", id, None, None).await?;
    tx.commit().await
}

/// The user behind a bearer token, if it is live. Marks it used (at most once a minute).
pub async fn token_user(db: &Db, secret: &str) -> Result<Option<SessionUser>> {
    let hash = crate::sm3_hex(secret.as_bytes());
    let sql = "SELECT t.user_id, u.username, u.name, u.unit_id, n.name AS unit_name, u.must_change_password, '' AS csrf_token, \
               COALESCE(t.last_used_at, t.created_at) AS last_seen_at \
               FROM api_token t JOIN app_user u ON u.id = t.user_id JOIN unit n ON n.id = u.unit_id \
               WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active = TRUE";
    let found: Option<SessionUser> =
        on_db!(db, c => sqlx::query_as(sql).bind(hash.clone()).fetch_optional(c).await)?;
    if let Some(s) = &found {
        let now = crate::now();
        if now - s.last_seen_at > Duration::seconds(60) {
            let mut tx = db.begin().await?;
            exec_tx!(&mut tx, c => sqlx::query("UPDATE api_token SET last_used_at = $1 WHERE token_hash = $2").bind(now).bind(hash).execute(c).await)?;
            tx.commit().await?;
        }
    }
    Ok(found)
}

/// Refuses an empty username before any lookup.
pub fn check_username(raw: &str) -> Result<String, DomainError> {
    text::code("username", "用户名", raw)
}
