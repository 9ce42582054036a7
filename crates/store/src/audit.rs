//! The audit log: who, when, from where, what, before and after, written in the same
//! transaction as the change and chained with SM3 so any edited or deleted record shows.

use crate::raw::Conn;
use crate::sql::{Page, Paged, Sql, Val};
use crate::{Actor, Db, Result, Tx, bind_vals, on_db, row_struct};
use chrono::{DateTime, Utc};
use gongjian_domain::access::Permission;
use serde_json::Value;

/// The hash that precedes the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

row_struct! {
    /// One audit record.
    #[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
    pub struct AuditRecord {
        pub id: i64,
        pub at: DateTime<Utc>,
        pub actor_id: Option<i64>,
        pub actor_name: String,
        pub actor_unit_id: Option<i64>,
        pub ip: String,
        pub action: String,
        pub entity: String,
        pub entity_id: String,
        pub before_json: Option<String>,
        pub after_json: Option<String>,
        pub prev_hash: String,
        pub hash: String,
    }
}

impl AuditRecord {
    /// The chain hash of this record's content and its predecessor's hash.
    pub fn compute_hash(&self) -> String {
        self.hash_at(&stamp(&self.at))
    }

    /// [`AuditRecord::compute_hash`] with the record's time already formatted ([`stamp`]).
    fn hash_at(&self, at: &str) -> String {
        use std::fmt::Write;
        let fields: [&str; 11] = [
            &self.id.to_string(),
            at,
            &self.actor_id.map(|v| v.to_string()).unwrap_or_default(),
            &self.actor_name,
            &self
                .actor_unit_id
                .map(|v| v.to_string())
                .unwrap_or_default(),
            &self.ip,
            &self.action,
            &self.entity,
            &self.entity_id,
            self.before_json.as_deref().unwrap_or("\u{0}"),
            self.after_json.as_deref().unwrap_or("\u{0}"),
        ];
        // Length-prefixed so no two different records can serialise alike.
        let size: usize = fields.iter().map(|f| f.len() + 8).sum();
        let mut buf = String::with_capacity(size + self.prev_hash.len());
        for f in fields {
            let _ = write!(buf, "{}:{f};", f.len());
        }
        buf.push_str(&self.prev_hash);
        crate::sm3_hex(buf.as_bytes())
    }
}

/// A record's time as its hash covers it.
fn stamp(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Appends an audit record inside `tx`. `before`/`after` are snapshots of the entity.
pub async fn record(
    tx: &mut Tx,
    actor: &Actor,
    action: &str,
    entity: &str,
    entity_id: impl ToString,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Result<()> {
    let mut c = Conn::of(tx).await?;
    record_on(&mut c, actor, action, entity, entity_id, before, after).await
}

/// [`record`] on a connection already held for a run of statements.
pub(crate) async fn record_on(
    c: &mut Conn<'_>,
    actor: &Actor,
    action: &str,
    entity: &str,
    entity_id: impl ToString,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Result<()> {
    let mut chain = Chain::load_on(c).await?;
    chain
        .append_on(c, actor, action, entity, entity_id, before, after)
        .await
}

/// One record to append: action, entity, entity id, and the before and after
/// snapshots as JSON text.
pub type Entry<'a> = (&'a str, &'a str, String, Option<String>, Option<String>);

/// The head of the chain held for a run of appends in one transaction (a bulk import
/// writes thousands of records without re-reading the head each time).
#[derive(Debug, Clone)]
pub struct Chain {
    last_id: i64,
    prev_hash: String,
    /// The last record time hashed, formatted (a bulk write's records share one).
    at: Option<(DateTime<Utc>, String)>,
}

impl Chain {
    /// Locks the chain (PostgreSQL: across processes, until `tx` ends; SQLite: the one
    /// writer connection already serialises) and reads its head.
    pub async fn load(tx: &mut Tx) -> Result<Chain> {
        Chain::load_on(&mut Conn::of(tx).await?).await
    }

    /// [`Chain::load`] on a connection already held.
    pub(crate) async fn load_on(c: &mut Conn<'_>) -> Result<Chain> {
        if c.is_postgres() {
            // Serialise appends across app processes: the chain has one head.
            c.exec("SELECT pg_advisory_xact_lock(7206)", &[]).await?;
        }
        let head: Option<(i64, String)> = c
            .one(
                "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1",
                &[],
            )
            .await?;
        let (last_id, prev_hash) = head.unwrap_or((0, GENESIS.to_string()));
        Ok(Chain {
            last_id,
            prev_hash,
            at: None,
        })
    }

    /// Chains the next record after the held head and returns its row of values, in the
    /// order of [`INSERT`].
    pub(crate) fn link(&mut self, actor: &Actor, at: DateTime<Utc>, entry: Entry<'_>) -> Vec<Val> {
        let (action, entity, entity_id, before_json, after_json) = entry;
        let mut rec = AuditRecord {
            id: self.last_id + 1,
            at,
            actor_id: actor.user_id,
            actor_name: actor.name.clone(),
            actor_unit_id: actor.unit_id,
            ip: actor.ip.clone(),
            action: action.to_string(),
            entity: entity.to_string(),
            entity_id,
            before_json,
            after_json,
            prev_hash: std::mem::take(&mut self.prev_hash),
            hash: String::new(),
        };
        if self.at.as_ref().is_none_or(|(t, _)| *t != at) {
            self.at = Some((at, stamp(&at)));
        }
        rec.hash = rec.hash_at(&self.at.as_ref().expect("just set").1);
        self.last_id = rec.id;
        self.prev_hash = rec.hash.clone();
        vec![
            Val::I(rec.id),
            Val::T(rec.at),
            Val::OI(rec.actor_id),
            Val::S(rec.actor_name),
            Val::OI(rec.actor_unit_id),
            Val::S(rec.ip),
            Val::S(rec.action),
            Val::S(rec.entity),
            Val::S(rec.entity_id),
            Val::OS(rec.before_json),
            Val::OS(rec.after_json),
            Val::S(rec.prev_hash),
            Val::S(rec.hash),
        ]
    }

    /// Appends one record after the held head, on a connection already held.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn append_on(
        &mut self,
        c: &mut Conn<'_>,
        actor: &Actor,
        action: &str,
        entity: &str,
        entity_id: impl ToString,
        before: Option<&Value>,
        after: Option<&Value>,
    ) -> Result<()> {
        let entry = (
            action,
            entity,
            entity_id.to_string(),
            before.map(Value::to_string),
            after.map(Value::to_string),
        );
        let row = self.link(actor, crate::now(), entry);
        let sql =
            format!("{INSERT} VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)");
        c.exec(&sql, &row).await?;
        Ok(())
    }
}

/// Inserts records chained beforehand ([`Chain::link`]) by a chain held for `tx`.
pub(crate) async fn insert_linked(tx: &mut Tx, rows: &[Vec<Val>]) -> Result<()> {
    crate::sql::insert_rows_ref(tx, INSERT, rows).await
}

/// The head of every insert into the log.
const INSERT: &str = "INSERT INTO audit_log (id, at, actor_id, actor_name, actor_unit_id, ip, action, entity, entity_id, before_json, after_json, prev_hash, hash)";

/// The first broken link of the chain, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    /// The id of the first record that does not verify.
    pub id: i64,
    /// Why, in Chinese and English.
    pub reason: String,
}

/// Outcome of a chain verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Records checked.
    pub checked: i64,
    /// The first break, or `None` when the chain is intact.
    pub broken: Option<Break>,
}

/// Walks the whole chain in id order and reports the first record that was edited,
/// removed or inserted out of order.
pub async fn verify(db: &Db) -> Result<Verification> {
    const BATCH: i64 = 5000;
    let mut expected_id = 1;
    let mut prev = GENESIS.to_string();
    let mut checked = 0;
    loop {
        let sql = "SELECT * FROM audit_log WHERE id >= $1 ORDER BY id LIMIT $2";
        let rows: Vec<AuditRecord> =
            on_db!(db, c => sqlx::query_as(sql).bind(expected_id).bind(BATCH).fetch_all(c).await)?;
        if rows.is_empty() {
            return Ok(Verification {
                checked,
                broken: None,
            });
        }
        for r in &rows {
            let reason = if r.id != expected_id {
                Some(format!(
                    "记录 {expected_id} 缺失（被删除）/ record {expected_id} is missing (deleted)"
                ))
            } else if r.prev_hash != prev {
                Some(format!(
                    "记录 {} 的前序哈希与上一条不符 / record {} does not link to its predecessor",
                    r.id, r.id
                ))
            } else if r.compute_hash() != r.hash {
                Some(format!(
                    "记录 {} 的内容被修改 / record {} was altered",
                    r.id, r.id
                ))
            } else {
                None
            };
            if let Some(reason) = reason {
                return Ok(Verification {
                    checked,
                    broken: Some(Break {
                        id: expected_id.min(r.id),
                        reason,
                    }),
                });
            }
            prev = r.hash.clone();
            expected_id += 1;
            checked += 1;
        }
    }
}

/// Filters of the audit log page.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct AuditFilter {
    /// Actor name contains.
    pub actor: Option<String>,
    /// Entity kind, e.g. `division`, `unit`, `user`.
    pub entity: Option<String>,
    /// Action, e.g. `create`, `update`, `login`.
    pub action: Option<String>,
    /// From this date (inclusive, YYYY-MM-DD).
    pub from: Option<chrono::NaiveDate>,
    /// To this date (inclusive, YYYY-MM-DD).
    pub to: Option<chrono::NaiveDate>,
}

/// Lists audit records, newest first, within the caller's `audit.read` scope.
pub async fn list(
    db: &Db,
    actor: &Actor,
    f: &AuditFilter,
    page: Page,
) -> Result<Paged<AuditRecord>> {
    actor.access.require(Permission::AuditRead)?;
    let scope = actor.access.scope(Permission::AuditRead);
    let mut w = Sql::new(" WHERE 1=1");
    w.and_scope(&scope, "actor_unit_id", Some("actor_id"));
    w.and_like(&["actor_name"], f.actor.as_deref());
    if let Some(e) = f.entity.as_deref().filter(|s| !s.is_empty()) {
        w.push(" AND entity = ").bind(e);
    }
    if let Some(a) = f.action.as_deref().filter(|s| !s.is_empty()) {
        w.push(" AND action = ").bind(a);
    }
    if let Some(d) = f.from {
        w.push(" AND at >= ")
            .bind(d.and_hms_opt(0, 0, 0).unwrap().and_utc());
    }
    if let Some(d) = f.to.and_then(|d| d.succ_opt()) {
        w.push(" AND at < ")
            .bind(d.and_hms_opt(0, 0, 0).unwrap().and_utc());
    }
    let mut count = Sql::new("SELECT COUNT(*) FROM audit_log");
    count.text.push_str(&w.text);
    count.vals = w.vals.clone();
    let mut q = Sql::new("SELECT * FROM audit_log");
    q.text.push_str(&w.text);
    q.vals = w.vals;
    q.push(" ORDER BY id DESC").page(&page);
    let total: i64 = on_db!(db, c => bind_vals!(sqlx::query_scalar(sqlx::AssertSqlSafe(count.text.clone())), count.vals.clone()).fetch_one(c).await)?;
    let items: Vec<AuditRecord> = on_db!(db, c => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(c).await)?;
    Ok(Paged {
        items,
        total,
        page: page.page,
        size: page.size,
    })
}
