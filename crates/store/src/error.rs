//! Store errors, each mapped by the web layer to a status and a bilingual message.

use gongjian_domain::access::Denied;
use gongjian_domain::{DomainError, Msg};

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Input broke a domain rule (HTTP 422).
    #[error(transparent)]
    Invalid(#[from] DomainError),
    /// Input clashes with stored data, e.g. a duplicate code (HTTP 409).
    #[error("conflict: {0}")]
    Conflict(DomainError),
    /// The record does not exist or is outside the caller's scope (HTTP 404).
    #[error("not found: {}", .0.en)]
    NotFound(Msg),
    /// The caller lacks the permission (HTTP 403).
    #[error(transparent)]
    Denied(#[from] Denied),
    /// Misconfiguration, e.g. an unknown database URL.
    #[error("{0}")]
    Config(String),
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

impl StoreError {
    /// A not-found error naming the kind of record and the key looked for.
    pub fn not_found(what_zh: &str, what_en: &str, key: impl std::fmt::Display) -> StoreError {
        StoreError::NotFound(Msg::new(
            format!("未找到{what_zh}“{key}”，或您无权访问。"),
            format!("{what_en} '{key}' not found or not accessible."),
        ))
    }

    /// Turns a unique-constraint failure on `table.column` into a field error; other
    /// database errors pass through.
    pub fn map_unique(
        self,
        table_col: &str,
        field: &'static str,
        zh: &str,
        en: &str,
    ) -> StoreError {
        if let StoreError::Db(sqlx::Error::Database(e)) = &self {
            let constraint = table_col.replace('.', "_") + "_key";
            let hit = e.constraint() == Some(constraint.as_str())
                || e.message()
                    .contains(&format!("UNIQUE constraint failed: {table_col}"));
            if hit {
                return StoreError::Conflict(DomainError::new(field, zh, en));
            }
        }
        self
    }
}
