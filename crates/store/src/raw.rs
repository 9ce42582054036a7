//! Bulk reads and writes on the SQLite writer connection through its own `sqlite3`
//! handle (rusqlite over the same connection, inside the same transaction).
//!
//! sqlx hands every row and every statement between the async task and its SQLite
//! worker thread. For a handful of rows that costs nothing; for the tens of thousands
//! of rows a recomputation or an import reads or writes it costs more than SQLite's own
//! work. Here the caller's closure runs against the locked handle directly, with
//! prepared statements reused row after row. Only bulk paths use this; everything else
//! goes through sqlx. See ADR 0010.

use crate::sql::Val;
use crate::writer::SqliteTx;
use crate::{Result, StoreError};
use sqlx::SqliteConnection;

/// Runs `f` on the transaction's connection, outside sqlx. The worker thread is idle
/// while the handle is locked, so nothing else uses the connection meanwhile.
pub(crate) async fn with_conn<R>(
    tx: &mut SqliteTx,
    f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<R>,
) -> Result<R> {
    let conn: &mut SqliteConnection = tx;
    let mut handle = conn.lock_handle().await?;
    let raw = handle.as_raw_handle();
    let run = || {
        // SAFETY: the handle is valid and locked for us while `handle` lives (sqlx's
        // worker waits), and rusqlite neither closes a handle it does not own nor keeps
        // it: the connection and its statements are dropped before the lock is.
        let c = unsafe { rusqlite::Connection::from_handle(raw.as_ptr()) }?;
        f(&c)
    };
    let r = cpu(run);
    drop(handle);
    r.map_err(db_error)
}

/// Runs `f`, which keeps this thread busy for tens to hundreds of milliseconds (a bulk
/// statement, a whole period's evaluation): on the multi-threaded runtime, other tasks
/// move to another worker meanwhile.
pub(crate) fn cpu<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// A rusqlite failure as a store error. A failure SQLite reported becomes a database
/// error carrying its message and kind, as sqlx would have made it, so that e.g.
/// [`StoreError::map_unique`] treats both paths alike.
pub(crate) fn db_error(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(f, msg) => {
            use rusqlite::ErrorCode as C;
            let message = msg.unwrap_or_else(|| match f.code {
                C::ConstraintViolation => "constraint failed".into(),
                _ => f.to_string(),
            });
            StoreError::Db(sqlx::Error::Database(Box::new(RawError {
                message,
                code: f.extended_code,
            })))
        }
        e => StoreError::Db(sqlx::Error::Protocol(format!("sqlite: {e}"))),
    }
}

/// An error SQLite reported on the raw path.
#[derive(Debug)]
struct RawError {
    message: String,
    code: i32,
}

impl std::fmt::Display for RawError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RawError {}

impl sqlx::error::DatabaseError for RawError {
    fn message(&self) -> &str {
        &self.message
    }
    fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
        Some(self.code.to_string().into())
    }
    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }
    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }
    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }
    fn kind(&self) -> sqlx::error::ErrorKind {
        use rusqlite::ffi;
        use sqlx::error::ErrorKind as K;
        match self.code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => K::UniqueViolation,
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => K::ForeignKeyViolation,
            ffi::SQLITE_CONSTRAINT_NOTNULL => K::NotNullViolation,
            ffi::SQLITE_CONSTRAINT_CHECK => K::CheckViolation,
            _ => K::Other,
        }
    }
}

impl rusqlite::ToSql for Val {
    /// Stored exactly as sqlx stores the same value: booleans as 0/1, timestamps as
    /// RFC 3339 with automatic fractional seconds, dates as `YYYY-MM-DD`.
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, Value, ValueRef};
        Ok(match self {
            Val::I(v) => ToSqlOutput::Owned(Value::Integer(*v)),
            Val::OI(v) => ToSqlOutput::Owned(v.map_or(Value::Null, Value::Integer)),
            Val::S(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Val::OS(s) => match s {
                Some(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
                None => ToSqlOutput::Owned(Value::Null),
            },
            Val::B(b) => ToSqlOutput::Owned(Value::Integer(i64::from(*b))),
            Val::T(t) => ToSqlOutput::Owned(Value::Text(stamp(t))),
            Val::OT(t) => {
                ToSqlOutput::Owned(t.as_ref().map_or(Value::Null, |t| Value::Text(stamp(t))))
            }
            Val::D(d) => ToSqlOutput::Owned(
                d.map_or(Value::Null, |d| Value::Text(d.format("%F").to_string())),
            ),
        })
    }
}

fn stamp(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

/// Inserts `rows` with one prepared statement of `head` (`INSERT INTO t (a, b, …)`),
/// executed once per row.
pub(crate) async fn insert_rows(tx: &mut SqliteTx, head: &str, rows: &[Vec<Val>]) -> Result<()> {
    let Some(width) = rows.first().map(Vec::len) else {
        return Ok(());
    };
    let sql = format!("{head} VALUES ({})", vec!["?"; width].join(","));
    each(tx, &sql, rows).await
}

/// Runs the statement `sql` (positional `?` parameters; fixed text, never user input)
/// once for each row of values, prepared once.
pub(crate) async fn each(tx: &mut SqliteTx, sql: &str, rows: &[Vec<Val>]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    with_conn(tx, |c| {
        let mut st = c.prepare(sql)?;
        for r in rows {
            st.execute(rusqlite::params_from_iter(r.iter()))?;
        }
        Ok(())
    })
    .await
}

/// Runs `select` (with `$1`, `$2`, … bound to `binds`) and hands each row to `f` as it
/// is stepped: no row is copied unless `f` keeps it.
pub(crate) async fn for_each_row(
    tx: &mut SqliteTx,
    select: &str,
    binds: &[Val],
    mut f: impl FnMut(&rusqlite::Row<'_>) + Send,
) -> Result<()> {
    with_conn(tx, |c| {
        let mut st = c.prepare(select)?;
        for (i, v) in binds.iter().enumerate() {
            if let Some(at) = st.parameter_index(&format!("${}", i + 1))? {
                st.raw_bind_parameter(at, v)?;
            }
        }
        let mut rows = st.raw_query();
        while let Some(r) = rows.next()? {
            f(r);
        }
        Ok(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::ToSql;
    use rusqlite::types::{ToSqlOutput, Value, ValueRef};

    #[test]
    fn values_are_stored_as_sqlx_stores_them() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-30T08:01:02.5Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let text = |v: Val| match v.to_sql().unwrap() {
            ToSqlOutput::Owned(Value::Text(s)) => s,
            ToSqlOutput::Borrowed(ValueRef::Text(s)) => String::from_utf8(s.to_vec()).unwrap(),
            o => panic!("{o:?}"),
        };
        assert_eq!(text(Val::T(t)), "2026-11-30T08:01:02.500+00:00");
        assert_eq!(
            text(Val::D(chrono::NaiveDate::from_ymd_opt(2026, 3, 1))),
            "2026-03-01"
        );
        assert_eq!(text(Val::S("灯".into())), "灯");
        assert!(matches!(
            Val::B(true).to_sql().unwrap(),
            ToSqlOutput::Owned(Value::Integer(1))
        ));
        assert!(matches!(
            Val::OI(None).to_sql().unwrap(),
            ToSqlOutput::Owned(Value::Null)
        ));
    }
}
