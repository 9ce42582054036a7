//! Configuration of the ledger import: column synonyms, and uploads kept between
//! preview and confirmation.

#[allow(unused_imports)]
use super::*;
#[allow(unused_imports)]
use super::{bulk::*, check::*, plan::*, write::*};

/// Extra column names of the ledger import, as (field, synonym).
pub async fn synonyms(db: &Db) -> Result<Vec<(i64, String, String)>> {
    Ok(
        on_db!(db, c => sqlx::query_as("SELECT id, field, synonym FROM column_synonym ORDER BY field, synonym").fetch_all(c).await)?,
    )
}

/// Adds a column name for a field of the ledger import.
pub async fn add_synonym(
    tx: &mut Tx,
    actor: &Actor,
    field: &str,
    synonym: &str,
    known_fields: &[&str],
) -> Result<i64> {
    actor.access.require(Permission::ProjectAdmin)?;
    if !known_fields.contains(&field) {
        return Err(DomainError::new(
            "field",
            format!("字段“{field}”不存在。"),
            format!("Unknown field '{field}'."),
        )
        .into());
    }
    let syn = text::name("synonym", "列名", synonym)?;
    let id: i64 = on_tx!(tx, c => sqlx::query_scalar("INSERT INTO column_synonym (field, synonym, created_at) VALUES ($1, $2, $3) RETURNING id")
        .bind(field.to_string()).bind(syn.clone()).bind(crate::now()).fetch_one(c).await)
        .map_err(|e| StoreError::from(e).map_unique("column_synonym.synonym", "synonym", &format!("列名“{syn}”已登记。"), &format!("Column name '{syn}' is already registered.")))?;
    audit::record(
        tx,
        actor,
        "create",
        "column_synonym",
        id,
        None,
        Some(&serde_json::json!({"field": field, "synonym": syn})),
    )
    .await?;
    Ok(id)
}

/// Removes an added column name.
pub async fn delete_synonym(tx: &mut Tx, actor: &Actor, id: i64) -> Result<()> {
    actor.access.require(Permission::ProjectAdmin)?;
    let before: Option<(String, String)> = on_tx!(tx, c => sqlx::query_as("SELECT field, synonym FROM column_synonym WHERE id = $1").bind(id).fetch_optional(c).await)?;
    let (field, syn) = before.ok_or_else(|| StoreError::not_found("列名", "synonym", id))?;
    exec_tx!(tx, c => sqlx::query("DELETE FROM column_synonym WHERE id = $1").bind(id).execute(c).await)?;
    audit::record(
        tx,
        actor,
        "delete",
        "column_synonym",
        id,
        Some(&serde_json::json!({"field": field, "synonym": syn})),
        None,
    )
    .await?;
    Ok(())
}

/// Keeps an uploaded workbook between preview and confirmation; returns its id.
pub async fn stash_upload(
    tx: &mut Tx,
    actor: &Actor,
    file_name: &str,
    content: &[u8],
) -> Result<i64> {
    let uid = actor
        .user_id
        .ok_or_else(|| StoreError::Config("uploads need a user".into()))?;
    // Old uploads of this user are dropped: only the latest preview can be confirmed.
    exec_tx!(tx, c => sqlx::query("DELETE FROM import_upload WHERE user_id = $1").bind(uid).execute(c).await)?;
    Ok(
        on_tx!(tx, c => sqlx::query_scalar("INSERT INTO import_upload (user_id, file_name, content, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(uid).bind(file_name.to_string()).bind(content.to_vec()).bind(crate::now()).fetch_one(c).await)?,
    )
}

/// An uploaded workbook of this user, by id.
pub async fn take_upload(db: &Db, actor: &Actor, id: i64) -> Result<(String, Vec<u8>)> {
    let uid = actor.user_id.unwrap_or(-1);
    let row: Option<(String, Vec<u8>)> = on_db!(db, c => sqlx::query_as("SELECT file_name, content FROM import_upload WHERE id = $1 AND user_id = $2").bind(id).bind(uid).fetch_optional(c).await)?;
    row.ok_or_else(|| StoreError::not_found("上传文件", "upload", id))
}
