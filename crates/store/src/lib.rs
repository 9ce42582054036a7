//! Persistence of gongjian on SQLite (default, embedded) and PostgreSQL.
//!
//! SQL is written once with `$N` placeholders and run on either engine through the
//! [`on_db!`] and [`on_tx!`] macros, which expand the same code once per engine so each
//! copy is compiled against concrete sqlx types (no `Any` driver). Dialect differences
//! are explicit `match` arms. Every function that changes data takes an [`Actor`],
//! checks its access through `gongjian_domain::access`, and writes its audit record in
//! the same transaction.

pub mod arena;
pub mod attachment;
pub mod audit;
pub mod auth;
pub mod bulletin;
pub mod campaign;
pub mod cockpit;
pub mod division;
pub mod error;
pub mod jobs;
pub mod leader;
pub mod meeting;
pub mod migrate;
pub mod notify;
pub mod problem;
pub mod project;
mod raw;
pub mod report;
pub mod role;
pub mod sql;
pub mod stats;
pub mod task;
pub mod testing;
pub mod unit;
pub mod user;
mod writer;

pub use writer::{SqliteTx, WriteStats};

pub use error::StoreError;
pub use sql::{Page, Sql, Val};

use gongjian_domain::access::Access;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

/// Result of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The two SQLite pools: reads run concurrently; writes go through one connection, so
/// write transactions never fight for the lock and the audit chain stays in order.
/// Write transactions are committed in groups (see `writer`).
#[derive(Clone, Debug)]
pub struct SqliteDb {
    /// Read-only connections.
    pub read: SqlitePool,
    /// The one writer connection (held by the open write batch, if any).
    pub write: SqlitePool,
    writer: std::sync::Arc<writer::Writer>,
    wal: &'static writer::Wal,
}

/// A database handle for either engine, chosen by the URL scheme.
#[derive(Clone, Debug)]
pub enum Db {
    /// Embedded SQLite file.
    Sqlite(SqliteDb),
    /// PostgreSQL server.
    Postgres(PgPool),
}

/// An open write transaction on either engine.
pub enum Tx {
    /// SQLite transaction on the writer connection, committed with its batch.
    Sqlite(SqliteTx),
    /// PostgreSQL transaction.
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Runs `$body` with `$c` bound to a read pool of whichever engine `$db` is.
#[macro_export]
macro_rules! on_db {
    ($db:expr, $c:ident => $body:expr) => {
        match $db {
            $crate::Db::Sqlite(s) => {
                let $c = &s.read;
                $body
            }
            $crate::Db::Postgres(p) => {
                let $c = p;
                $body
            }
        }
    };
}

/// Runs `$body` with `$c` bound to the connection of the transaction `$tx` (a `&mut Tx`).
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::Tx::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

/// Like [`on_tx!`] for statements run with `.execute(…)`: yields the rows affected.
#[macro_export]
macro_rules! exec_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(t) => {
                let $c = &mut **t;
                $body.map(|r| r.rows_affected())
            }
            $crate::Tx::Postgres(t) => {
                let $c = &mut **t;
                $body.map(|r| r.rows_affected())
            }
        }
    };
}

/// Like [`on_db!`] for statements run with `.execute(…)`: yields the rows affected.
#[macro_export]
macro_rules! exec_db {
    ($db:expr, $c:ident => $body:expr) => {
        match $db {
            $crate::Db::Sqlite(s) => {
                let $c = &s.write;
                $body.map(|r| r.rows_affected())
            }
            $crate::Db::Postgres(p) => {
                let $c = p;
                $body.map(|r| r.rows_affected())
            }
        }
    };
}

/// Binds a list of [`Val`]s, in order, to a sqlx query of any kind.
#[macro_export]
macro_rules! bind_vals {
    ($q:expr, $vals:expr) => {{
        let mut q = $q;
        for v in $vals {
            q = match v {
                $crate::Val::I(x) => q.bind(x),
                $crate::Val::OI(x) => q.bind(x),
                $crate::Val::S(x) => q.bind(x),
                $crate::Val::OS(x) => q.bind(x),
                $crate::Val::B(x) => q.bind(x),
                $crate::Val::T(x) => q.bind(x),
                $crate::Val::OT(x) => q.bind(x),
                $crate::Val::D(x) => q.bind(x),
            };
        }
        q
    }};
}

/// Declares a struct read from rows of both engines by column name.
#[macro_export]
macro_rules! row_struct {
    ($(#[$m:meta])* pub struct $name:ident { $( $(#[$fm:meta])* pub $f:ident : $t:ty ),* $(,)? }) => {
        $(#[$m])*
        pub struct $name { $( $(#[$fm])* pub $f: $t ),* }
        impl<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> for $name {
            fn from_row(row: &'r sqlx::sqlite::SqliteRow) -> Result<Self, sqlx::Error> {
                use sqlx::Row;
                Ok(Self { $( $f: row.try_get(stringify!($f))? ),* })
            }
        }
        impl<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> for $name {
            fn from_row(row: &'r sqlx::postgres::PgRow) -> Result<Self, sqlx::Error> {
                use sqlx::Row;
                Ok(Self { $( $f: row.try_get(stringify!($f))? ),* })
            }
        }
        impl $crate::raw::FromRaw for $name {
            fn from_raw(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                Ok(Self { $( $f: row.get(stringify!($f))? ),* })
            }
        }
    };
}

impl Db {
    /// Opens a database from a URL: `sqlite://FILE` (created if missing) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Db> {
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: an acknowledged report must survive a power cut.
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                // 32 MiB of page cache per connection: a big import's transaction stays
                // in memory instead of spilling pages to the WAL before it commits.
                .pragma("cache_size", "-32768")
                // Pages read through a memory map: after each commit a reader's page
                // cache starts over, and mapped pages cost no system call to read again.
                .pragma("mmap_size", "1073741824")
                .busy_timeout(Duration::from_secs(10));
            // The writer's commits leave WAL checkpoints to a task (see `writer`).
            let wal = writer::Wal::leak();
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                // Taken once per batch of write transactions; a failed statement shows a
                // broken connection anyway.
                .test_before_acquire(false)
                .after_connect(move |c, _| Box::pin(wal.watch(c)))
                .connect_with(opts.clone())
                .await?;
            let read = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(opts)
                .await?;
            wal.checkpointer(read.clone());
            let writer = writer::Writer::new(write.clone(), wal);
            Ok(Db::Sqlite(SqliteDb {
                read,
                write,
                writer,
                wal,
            }))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .connect_with(opts)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            Err(StoreError::Config(format!(
                "数据库地址应以 sqlite:// 或 postgres:// 开头 / the database URL must start with sqlite:// or postgres://, got '{url}'"
            )))
        }
    }

    /// Which engine this is: `sqlite` or `postgres`.
    pub fn engine(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// Starts a write transaction. On SQLite it may be committed together with others
    /// that finish at about the same time (one sync for all); `commit` still returns
    /// only once it is durable.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite(s) => Tx::Sqlite(s.writer.begin(false).await?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Starts a long write transaction (an import, a recomputation): on SQLite, writes
    /// already finished are committed first, so they are not held until this one ends.
    pub async fn begin_alone(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite(s) => Tx::Sqlite(s.writer.begin(true).await?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// The SQLite writer's counters (`None` on PostgreSQL).
    pub fn write_stats(&self) -> Option<WriteStats> {
        match self {
            Db::Sqlite(s) => Some(s.writer.stats()),
            Db::Postgres(_) => None,
        }
    }

    /// Closes all connections.
    pub async fn close(&self) {
        match self {
            Db::Sqlite(s) => {
                s.read.close().await;
                // The checkpointer sees its pool closed and ends.
                s.wal.ring();
                s.write.close().await;
            }
            Db::Postgres(p) => p.close().await,
        }
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        on_db!(self, c => sqlx::query("SELECT 1").execute(c).await.is_ok())
    }
}

impl Tx {
    /// Commits the transaction.
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

/// Who is acting, with what access, from where: every write records it.
#[derive(Debug, Clone)]
pub struct Actor {
    /// What the actor may do.
    pub access: Access,
    /// The user's id, `None` for the command line.
    pub user_id: Option<i64>,
    /// Username shown in the audit log.
    pub name: String,
    /// The user's unit.
    pub unit_id: Option<i64>,
    /// Client address, or `cli`.
    pub ip: String,
}

impl Actor {
    /// The operator at the command line: full access, recorded as `cli`.
    pub fn cli() -> Actor {
        let who = std::env::var("USER").unwrap_or_else(|_| "operator".into());
        Actor {
            access: Access::system(),
            user_id: None,
            name: format!("cli:{who}"),
            unit_id: None,
            ip: "cli".into(),
        }
    }
}

/// Now, truncated to microseconds so that both engines store exactly what was hashed.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}

/// Today in Beijing (UTC+8): the date deadlines are counted from.
pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset"))
        .date_naive()
}

/// 32 random bytes as hex, for session ids, CSRF tokens and API tokens.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).expect("the operating system's random source failed");
    hex::encode(b)
}

/// SM3 of a text, as hex: for stored token hashes and the audit chain.
pub fn sm3_hex(data: &[u8]) -> String {
    use sm3::{Digest, Sm3};
    hex::encode(Sm3::digest(data))
}
