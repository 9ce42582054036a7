//! Attachments of problems and tasks, kept in the database with their checked type.

use crate::{Actor, Db, Result, StoreError, Tx, audit, on_db, on_tx, row_struct};
use chrono::{DateTime, Utc};
use gongjian_domain::attachment;

row_struct! {
    /// An attachment without its bytes.
    #[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
    pub struct Attachment {
        pub id: i64,
        pub owner_kind: String,
        pub owner_id: i64,
        pub name: String,
        pub mime: String,
        pub size: i64,
        pub uploaded_by: String,
        pub created_at: DateTime<Utc>,
    }
}

/// What attachments can belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A problem.
    Problem(i64),
    /// A task.
    Task(i64),
}

impl Owner {
    fn parts(self) -> (&'static str, i64) {
        match self {
            Owner::Problem(id) => ("problem", id),
            Owner::Task(id) => ("task", id),
        }
    }
}

/// Stores an attachment after checking its size and that its bytes match its
/// extension. The caller has checked that the actor may act on the owner.
pub async fn add(
    tx: &mut Tx,
    actor: &Actor,
    owner: Owner,
    name: &str,
    bytes: &[u8],
) -> Result<i64> {
    let mime = attachment::check(name, bytes, attachment::MAX_BYTES)?;
    let (kind, id) = owner.parts();
    let name: String = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(name)
        .chars()
        .take(120)
        .collect();
    let aid: i64 = on_tx!(tx, c => sqlx::query_scalar("INSERT INTO attachment (owner_kind, owner_id, name, mime, size, content, uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
        .bind(kind).bind(id).bind(name.clone()).bind(mime).bind(bytes.len() as i64).bind(bytes).bind(actor.name.clone()).bind(crate::now()).fetch_one(c).await)?;
    audit::record(
        tx,
        actor,
        "attach",
        kind,
        id,
        None,
        Some(&serde_json::json!({"attachment": aid, "name": name, "size": bytes.len()})),
    )
    .await?;
    Ok(aid)
}

/// The attachments of an owner.
pub async fn list(db: &Db, owner: Owner) -> Result<Vec<Attachment>> {
    let (kind, id) = owner.parts();
    Ok(
        on_db!(db, c => sqlx::query_as("SELECT id, owner_kind, owner_id, name, mime, size, uploaded_by, created_at FROM attachment WHERE owner_kind = $1 AND owner_id = $2 ORDER BY id")
        .bind(kind).bind(id).fetch_all(c).await)?,
    )
}

/// One attachment with its bytes; the caller checks the owner is visible.
pub async fn get(db: &Db, owner: Owner, aid: i64) -> Result<(Attachment, Vec<u8>)> {
    let (kind, id) = owner.parts();
    let a: Option<Attachment> = on_db!(db, c => sqlx::query_as("SELECT id, owner_kind, owner_id, name, mime, size, uploaded_by, created_at FROM attachment WHERE id = $1 AND owner_kind = $2 AND owner_id = $3")
        .bind(aid).bind(kind).bind(id).fetch_optional(c).await)?;
    let a = a.ok_or_else(|| StoreError::not_found("附件", "attachment", aid))?;
    let bytes: Vec<u8> = on_db!(db, c => sqlx::query_scalar("SELECT content FROM attachment WHERE id = $1").bind(aid).fetch_one(c).await)?;
    Ok((a, bytes))
}
