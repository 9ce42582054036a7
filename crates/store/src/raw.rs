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
        // A bulk write stamps every row with the same time and date: each is formatted
        // once, not once a row.
        let mut stamps = Stamps::default();
        let width = st.parameter_count();
        for r in rows {
            if r.len() != width {
                return Err(rusqlite::Error::InvalidParameterCount(r.len(), width));
            }
            for (i, v) in r.iter().enumerate() {
                match v {
                    Val::T(t) => st.raw_bind_parameter(i + 1, stamps.time(t))?,
                    Val::D(Some(d)) => st.raw_bind_parameter(i + 1, stamps.date(d))?,
                    v => st.raw_bind_parameter(i + 1, v)?,
                }
            }
            st.raw_execute()?;
        }
        Ok(())
    })
    .await
}

/// The last timestamp and date formatted, with their text.
#[derive(Default)]
struct Stamps {
    time: Option<(chrono::DateTime<chrono::Utc>, String)>,
    date: Option<(chrono::NaiveDate, String)>,
}

impl Stamps {
    fn time(&mut self, t: &chrono::DateTime<chrono::Utc>) -> &str {
        if self.time.as_ref().is_none_or(|(k, _)| k != t) {
            self.time = Some((*t, stamp(t)));
        }
        &self.time.as_ref().expect("just set").1
    }

    fn date(&mut self, d: &chrono::NaiveDate) -> &str {
        if self.date.as_ref().is_none_or(|(k, _)| k != d) {
            self.date = Some((*d, d.format("%F").to_string()));
        }
        &self.date.as_ref().expect("just set").1
    }
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

/// A type read from a row stepped on the raw handle: the structs of [`crate::row_struct!`]
/// (by column name) and tuples (by position).
pub(crate) trait FromRaw: Sized {
    fn from_raw(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self>;
}

macro_rules! tuple_from_raw {
    ($($t:ident $i:tt),+) => {
        impl<$($t: rusqlite::types::FromSql),+> FromRaw for ($($t,)+) {
            fn from_raw(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                Ok(($(row.get::<_, $t>($i)?,)+))
            }
        }
    };
}
tuple_from_raw!(A 0);
tuple_from_raw!(A 0, B 1);
tuple_from_raw!(A 0, B 1, C 2);
tuple_from_raw!(A 0, B 1, C 2, D 3);
tuple_from_raw!(A 0, B 1, C 2, D 3, E 4);
tuple_from_raw!(A 0, B 1, C 2, D 3, E 4, F 5);

/// A row type both engines read: by sqlx from PostgreSQL, by [`FromRaw`] from SQLite.
pub(crate) trait AnyRow:
    FromRaw + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin
{
}
impl<T: FromRaw + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin> AnyRow for T {}

/// A transaction's connection held for a run of short statements in a row (a report
/// submission's dozen reads and writes).
///
/// On SQLite the handle is locked out of sqlx's worker thread once, and each statement
/// then runs on it directly: one hand-over between threads for the whole run instead of
/// two per statement, which under a burst of submissions is what the one writer spends
/// most of its time on (ADR 0010). Statements are prepared once per write batch and
/// kept by the writer until it gives the connection back. On PostgreSQL each statement goes through sqlx as usual. SQL text is shared: `$1`, `$2`,
/// … parameters, bound from [`Val`]s.
pub(crate) enum Conn<'a> {
    /// The locked SQLite handle and the writer's rusqlite view of it, which keeps the
    /// statements prepared in this batch ([`crate::writer::SqliteTx::hold`]).
    Sqlite {
        c: &'a mut rusqlite::Connection,
        _lock: sqlx::sqlite::LockedSqliteHandle<'a>,
    },
    /// A PostgreSQL transaction's connection.
    Postgres(&'a mut sqlx::PgConnection),
}

impl<'a> Conn<'a> {
    /// The connection of `tx`, locked for direct use on SQLite.
    pub(crate) async fn of(tx: &'a mut crate::Tx) -> Result<Conn<'a>> {
        match tx {
            crate::Tx::Sqlite(t) => t.hold().await,
            crate::Tx::Postgres(t) => Ok(Conn::Postgres(t)),
        }
    }

    /// Whether this is PostgreSQL (for `FOR UPDATE` and other engine-specific text).
    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self, Conn::Postgres(_))
    }

    /// Every row of `sql`.
    pub(crate) async fn all<T: AnyRow>(&mut self, sql: &str, binds: &[Val]) -> Result<Vec<T>> {
        match self {
            Conn::Sqlite { c, .. } => {
                let run = || {
                    let mut st = prepared(c, sql, binds)?;
                    let mut rows = st.raw_query();
                    let mut out = Vec::new();
                    while let Some(r) = rows.next()? {
                        out.push(T::from_raw(r)?);
                    }
                    Ok(out)
                };
                run().map_err(db_error)
            }
            Conn::Postgres(c) => Ok(crate::bind_vals!(
                sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(sql.to_string())),
                binds.iter().cloned()
            )
            .fetch_all(&mut **c)
            .await?),
        }
    }

    /// The first row of `sql`, if any.
    pub(crate) async fn one<T: AnyRow>(&mut self, sql: &str, binds: &[Val]) -> Result<Option<T>> {
        match self {
            Conn::Sqlite { c, .. } => {
                let run = || {
                    let mut st = prepared(c, sql, binds)?;
                    let mut rows = st.raw_query();
                    rows.next()?.map(T::from_raw).transpose()
                };
                run().map_err(db_error)
            }
            Conn::Postgres(c) => Ok(crate::bind_vals!(
                sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(sql.to_string())),
                binds.iter().cloned()
            )
            .fetch_optional(&mut **c)
            .await?),
        }
    }

    /// Runs `sql`; returns the rows it changed.
    pub(crate) async fn exec(&mut self, sql: &str, binds: &[Val]) -> Result<u64> {
        match self {
            Conn::Sqlite { c, .. } => {
                let run = || Ok(prepared(c, sql, binds)?.raw_execute()? as u64);
                run().map_err(db_error)
            }
            Conn::Postgres(c) => Ok(crate::bind_vals!(
                sqlx::query(sqlx::AssertSqlSafe(sql.to_string())),
                binds.iter().cloned()
            )
            .execute(&mut **c)
            .await?
            .rows_affected()),
        }
    }
}

/// `sql` prepared (from the run's cache) with `binds` bound to `$1`, `$2`, ….
fn prepared<'c>(
    c: &'c rusqlite::Connection,
    sql: &str,
    binds: &[Val],
) -> rusqlite::Result<rusqlite::CachedStatement<'c>> {
    let mut st = c.prepare_cached(sql)?;
    for (i, v) in binds.iter().enumerate() {
        if let Some(at) = st.parameter_index(&format!("${}", i + 1))? {
            st.raw_bind_parameter(at, v)?;
        }
    }
    Ok(st)
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

    crate::row_struct! {
        #[derive(Debug, Clone, PartialEq)]
        pub struct Sample {
            pub id: i64,
            pub name: String,
            pub note: Option<String>,
            pub done: bool,
            pub at: chrono::DateTime<chrono::Utc>,
            pub on_day: Option<chrono::NaiveDate>,
        }
    }

    /// What a held connection reads on SQLite is what sqlx reads from the same rows,
    /// whoever wrote them; `$n` used twice binds once; `exec` counts changed rows.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_held_connection_reads_and_writes_as_sqlx_does() {
        let dir = std::env::temp_dir().join(format!("gj-raw-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("conn.db");
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
        }
        let db = crate::Db::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        let mut tx = db.begin().await.unwrap();
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-30T08:01:02.25Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 15);
        crate::exec_tx!(&mut tx, c => sqlx::query("CREATE TABLE sample (id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT, done BOOLEAN NOT NULL, at TEXT NOT NULL, on_day TEXT)").execute(c).await).unwrap();
        // One row written by sqlx, one by the held connection.
        crate::exec_tx!(&mut tx, c => sqlx::query("INSERT INTO sample VALUES (1, '甲', NULL, $1, $2, $3)").bind(true).bind(at).bind(day).execute(c).await).unwrap();
        {
            let mut c = Conn::of(&mut tx).await.unwrap();
            let n = c
                .exec(
                    "INSERT INTO sample VALUES ($1, $2, $3, $4, $5, $6)",
                    &[
                        Val::I(2),
                        Val::S("乙".into()),
                        Val::OS(Some("备注".into())),
                        Val::B(false),
                        Val::T(at),
                        Val::D(None),
                    ],
                )
                .await
                .unwrap();
            assert_eq!(n, 1);
            let (same,): (i64,) = c
                .one("SELECT $1 + $1", &[Val::I(21)])
                .await
                .unwrap()
                .unwrap();
            assert_eq!(same, 42);
            let none: Option<Sample> = c
                .one("SELECT * FROM sample WHERE id = $1", &[Val::I(9)])
                .await
                .unwrap();
            assert!(none.is_none());
        }
        let raw: Vec<Sample> = Conn::of(&mut tx)
            .await
            .unwrap()
            .all("SELECT * FROM sample ORDER BY id", &[])
            .await
            .unwrap();
        let by_sqlx: Vec<Sample> = crate::on_tx!(&mut tx, c => sqlx::query_as("SELECT * FROM sample ORDER BY id").fetch_all(c).await).unwrap();
        assert_eq!(raw, by_sqlx);
        assert_eq!(raw.len(), 2);
        assert_eq!(raw[0].at, at);
        assert_eq!(raw[0].on_day, day);
        assert!(raw[0].done && !raw[1].done);
        assert_eq!(raw[1].note.as_deref(), Some("备注"));
        // A failing statement is an error, and the connection goes on working.
        let mut c = Conn::of(&mut tx).await.unwrap();
        assert!(
            c.exec("INSERT INTO sample (id) VALUES (3)", &[])
                .await
                .is_err()
        );
        let (n,): (i64,) = c
            .one("SELECT COUNT(*) FROM sample", &[])
            .await
            .unwrap()
            .unwrap();
        assert_eq!(n, 2);
        drop(c);
        tx.commit().await.unwrap();
        // The batch's prepared statements went with it: sqlx panics if it closes a
        // connection with any still open, and the pool may close it from now on.
        let crate::Db::Sqlite(s) = &db else {
            unreachable!()
        };
        assert!(!s.writer.holds_statements().await);
        // A later batch prepares afresh and reads what the first one wrote.
        let mut tx = db.begin().await.unwrap();
        let (n,): (i64,) = Conn::of(&mut tx)
            .await
            .unwrap()
            .one(
                "SELECT COUNT(*) FROM sample WHERE done = $1",
                &[Val::B(true)],
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(n, 1);
        // Dropped, it is rolled back by the next holder of the writer, which gives the
        // connection back without them too.
        drop(tx);
        db.begin().await.unwrap().commit().await.unwrap();
        assert!(!s.writer.holds_statements().await, "a dropped batch too");
        db.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
