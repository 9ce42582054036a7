//! Group commit on SQLite's one writer connection.
//!
//! Every SQLite write transaction runs on the one writer connection, one after another.
//! Committed alone, each pays a WAL sync (`synchronous = FULL`); under a burst of report
//! submissions those syncs, and the hand-over between transactions, are the bottleneck.
//!
//! So a transaction that finishes while others are queued for the writer does not commit
//! alone. It releases its savepoint into the SQLite transaction that is still open and
//! waits; the next one continues in that same SQLite transaction, and the one that
//! finishes with nobody queued behind it (or the committer task, queued behind them)
//! commits the whole batch with one sync. The rules that keep this truthful:
//!
//! - `commit()` returns only after the SQLite `COMMIT` that made the caller's changes
//!   durable succeeded. If that `COMMIT` fails, every member of the batch gets the error:
//!   nothing is acknowledged that is not on disk.
//! - A transaction that fails or is dropped rolls back to its own savepoint (the first one
//!   of a batch, which is alone in it, rolls the SQLite transaction back) and takes no one
//!   else's work with it.
//! - Members run strictly one after another on one connection, so each sees the changes
//!   of those before it (the audit chain stays one chain); other connections see a
//!   batch only once it is committed.
//!
//! A long transaction (an import, a recomputation) starts with `Db::begin_alone`: it
//! commits any open batch first, so short writes queued before it are not held until it
//! ends.
//!
//! WAL checkpoints run off the commit path. Left to SQLite, the `COMMIT` that takes the
//! log past 1,000 pages also copies them into the database file before it returns (a
//! third of a second after a 100,000-row import). Here the writer connection's WAL hook
//! only counts the log's pages; past [`CHECKPOINT_PAGES`] the commit wakes a task that
//! runs a passive checkpoint on a read connection, which waits for nobody and blocks
//! nobody. A commit is as durable as before: the log itself is synced at `COMMIT`.

use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqliteConnection, SqlitePool};
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::AtomicI32;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use tokio::sync::{Mutex, Notify, OwnedMutexGuard, watch};

/// Pages in the WAL after which a commit asks for a checkpoint (SQLite's own default).
pub(crate) const CHECKPOINT_PAGES: i32 = 1000;

/// Passive checkpoints tried, 100 ms apart, before a log that readers keep from being
/// copied in full is left for the next commit.
const CHECKPOINT_TRIES: usize = 100;

/// The WAL's size in pages after the writer's last commit, and the checkpointer's bell.
#[derive(Debug)]
pub(crate) struct Wal {
    pages: AtomicI32,
    wake: Notify,
}

impl Wal {
    /// A WAL watch for one database; it lives as long as the process (the writer
    /// connection's hook points at it, and a connection may outlive its pool handle).
    pub(crate) fn leak() -> &'static Wal {
        Box::leak(Box::new(Wal {
            pages: AtomicI32::new(0),
            wake: Notify::new(),
        }))
    }

    /// Makes the writer connection report its WAL's size here instead of checkpointing
    /// at commit (for the pool's `after_connect`).
    pub(crate) async fn watch(
        &'static self,
        conn: &mut SqliteConnection,
    ) -> Result<(), sqlx::Error> {
        unsafe extern "C" fn hook(
            arg: *mut std::ffi::c_void,
            _db: *mut rusqlite::ffi::sqlite3,
            _name: *const std::ffi::c_char,
            pages: std::ffi::c_int,
        ) -> std::ffi::c_int {
            // SAFETY: `arg` is the leaked `Wal` given below, valid for the whole process.
            let wal = unsafe { &*(arg as *const Wal) };
            wal.pages.store(pages, Ordering::Relaxed);
            rusqlite::ffi::SQLITE_OK
        }
        let mut handle = conn.lock_handle().await?;
        // SAFETY: the handle is valid and locked for us; the hook's argument outlives it.
        unsafe {
            rusqlite::ffi::sqlite3_wal_hook(
                handle.as_raw_handle().as_ptr(),
                Some(hook),
                self as *const Wal as *mut std::ffi::c_void,
            );
        }
        Ok(())
    }

    /// Runs passive checkpoints on `read` whenever a commit leaves the WAL large, until
    /// the pool is closed. A checkpoint that could not copy the whole log (a reader
    /// still needed part of it) is tried again shortly: until the log is copied in full,
    /// every reader looks up each page it reads in the log, and without another commit
    /// nothing else would finish it.
    pub(crate) fn checkpointer(&'static self, read: sqlx::SqlitePool) {
        tokio::spawn(async move {
            loop {
                self.wake.notified().await;
                for _ in 0..CHECKPOINT_TRIES {
                    if read.is_closed() {
                        return;
                    }
                    let done =
                        sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)")
                            .fetch_one(&read)
                            .await;
                    match done {
                        // (busy, pages in the log, pages copied)
                        Ok((_, log, copied)) if copied >= log => break,
                        Ok(_) => {}
                        Err(_) if read.is_closed() => return,
                        Err(e) => {
                            tracing::warn!("WAL 检查点失败 / WAL checkpoint failed: {e}");
                            break;
                        }
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        });
    }

    /// Wakes the checkpointer (after a commit, or to let it see its pool closed).
    pub(crate) fn ring(&self) {
        self.wake.notify_one();
    }
}

/// The outcome of one batch's `COMMIT`: `None` while it is open.
type Outcome = Option<Result<(), String>>;

/// What a transaction that ended without committing left to undo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Undo {
    /// Roll back to the member's savepoint and release it.
    Savepoint,
    /// Roll the SQLite transaction back (its first member, alone in it).
    Whole,
}

/// The writer connection and the SQLite transaction open on it.
#[derive(Debug)]
struct State {
    /// Held while a SQLite transaction is open; back in the pool between batches.
    conn: Option<PoolConnection<Sqlite>>,
    /// Whether `BEGIN` was issued and not yet committed or rolled back.
    open: bool,
    /// Members whose work is released into the open transaction, waiting for its commit.
    members: usize,
    /// Where the open batch's members learn its outcome.
    outcome: watch::Sender<Outcome>,
    stats: Arc<Counters>,
    wal: &'static Wal,
    /// The batch's prepared statements on the connection's handle (see [`SqliteTx::hold`]),
    /// with the handle they belong to.
    stmts: Option<(usize, rusqlite::Connection)>,
    /// Left by a transaction dropped without commit: undone by the next holder.
    undo: Option<Undo>,
}

/// Shared by every handle on one SQLite database.
#[derive(Debug)]
pub(crate) struct Writer {
    pool: SqlitePool,
    state: Arc<Mutex<State>>,
    /// Transactions waiting for the writer.
    queued: AtomicUsize,
    /// Whether a committer task is queued for the writer.
    committer: AtomicBool,
    /// Counters since the database was opened.
    stats: Arc<Counters>,
}

/// How many transactions were committed, in how many SQLite commits.
#[derive(Debug, Default)]
struct Counters {
    transactions: AtomicU64,
    commits: AtomicU64,
}

/// The SQLite writer's counters, for metrics and benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteStats {
    /// Write transactions committed.
    pub transactions: u64,
    /// SQLite `COMMIT`s that made them durable (fewer when they were grouped).
    pub commits: u64,
    /// Transactions waiting for the writer now.
    pub queued: u64,
}

/// Members a batch may gather before it is committed anyway.
const MAX_BATCH: usize = 256;

impl Writer {
    /// A writer over `pool` (one connection).
    pub(crate) fn new(pool: SqlitePool, wal: &'static Wal) -> Arc<Writer> {
        let (outcome, _) = watch::channel(None);
        let stats = Arc::new(Counters::default());
        Arc::new(Writer {
            pool,
            state: Arc::new(Mutex::new(State {
                conn: None,
                open: false,
                members: 0,
                outcome,
                stats: stats.clone(),
                wal,
                stmts: None,
                undo: None,
            })),
            queued: AtomicUsize::new(0),
            committer: AtomicBool::new(false),
            stats,
        })
    }

    /// The counters now.
    pub(crate) fn stats(&self) -> WriteStats {
        WriteStats {
            transactions: self.stats.transactions.load(Ordering::Relaxed),
            commits: self.stats.commits.load(Ordering::Relaxed),
            queued: self.queued.load(Ordering::SeqCst) as u64,
        }
    }

    /// Starts a write transaction: waits for the writer, then joins the open batch (a
    /// savepoint) or opens one (`BEGIN`). With `alone`, an open batch is committed first.
    ///
    /// The work runs on its own task, so a caller that goes away while waiting (a client
    /// that disconnects) cannot leave the connection half-way through a statement: the
    /// transaction it would have got is dropped, which rolls it back.
    pub(crate) async fn begin(self: &Arc<Self>, alone: bool) -> Result<SqliteTx, sqlx::Error> {
        let w = self.clone();
        w.queued.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(async move {
            let mut g = w.state.clone().lock_owned().await;
            w.queued.fetch_sub(1, Ordering::SeqCst);
            g.undo_left().await;
            if alone || g.members >= MAX_BATCH {
                g.settle().await;
            }
            if g.conn.is_none() {
                match w.pool.acquire().await {
                    Ok(c) => g.conn = Some(c),
                    Err(e) => {
                        drop(g);
                        w.wake();
                        return Err(e);
                    }
                }
            }
            let nested = g.open;
            let sql = if nested {
                "SAVEPOINT gj_member"
            } else {
                "BEGIN"
            };
            if let Err(e) = sqlx::raw_sql(sql).execute(g.conn_mut()).await {
                g.release_idle().await;
                drop(g);
                w.wake();
                return Err(e);
            }
            g.open = true;
            Ok(SqliteTx {
                guard: Some(g),
                writer: w,
                nested,
            })
        })
        .await
        .map_err(|_| sqlx::Error::WorkerCrashed)?
    }

    /// Whether statements prepared for a batch are held (tests: none once it is over).
    #[cfg(test)]
    pub(crate) async fn holds_statements(&self) -> bool {
        self.state.lock().await.stmts.is_some()
    }

    /// Queues a task that takes the writer after those waiting and commits the open
    /// batch, unless one is already queued.
    fn wake(self: &Arc<Self>) {
        if self.committer.swap(true, Ordering::SeqCst) {
            return;
        }
        let w = self.clone();
        tokio::spawn(async move {
            let mut g = w.state.clone().lock_owned().await;
            w.committer.store(false, Ordering::SeqCst);
            g.settle().await;
        });
    }
}

impl State {
    fn conn_mut(&mut self) -> &mut SqliteConnection {
        self.conn.as_mut().expect("the writer connection is held")
    }

    /// Returns the connection to the pool when no transaction is open, after finalizing
    /// the statements prepared on it: sqlx panics if it ever closes a connection with
    /// statements still open, and once the pool has it, it may close it at any time.
    async fn release_idle(&mut self) {
        if self.open {
            return;
        }
        if let Some((_, stmts)) = self.stmts.take() {
            match self.conn.as_deref_mut() {
                Some(c) => {
                    // Finalized with sqlx's worker parked, like every other use.
                    let lock = c.lock_handle().await;
                    drop(stmts);
                    drop(lock);
                }
                None => drop(stmts),
            }
        }
        self.conn = None;
    }

    /// Undoes what a dropped transaction left.
    async fn undo_left(&mut self) {
        let Some(u) = self.undo.take() else { return };
        self.rollback(u).await;
    }

    /// Rolls a member back. If SQLite already ended the transaction (some errors roll
    /// the whole transaction back), the batch is gone: its members are told.
    async fn rollback(&mut self, u: Undo) {
        let ok = match u {
            Undo::Savepoint => sqlx::raw_sql("ROLLBACK TO gj_member; RELEASE gj_member")
                .execute(self.conn_mut())
                .await
                .is_ok(),
            Undo::Whole => {
                let _ = sqlx::raw_sql("ROLLBACK").execute(self.conn_mut()).await;
                self.open = false;
                true
            }
        };
        if !ok {
            let _ = sqlx::raw_sql("ROLLBACK").execute(self.conn_mut()).await;
            self.finish(Err(
                "写入批次已被数据库回滚 / the write batch was rolled back".into(),
            ));
        }
        self.release_idle().await;
    }

    /// Commits the open batch, if any, and tells its members.
    async fn settle(&mut self) {
        self.undo_left().await;
        if !self.open {
            self.release_idle().await;
            return;
        }
        let r = sqlx::raw_sql("COMMIT").execute(self.conn_mut()).await;
        let r = match r {
            Ok(_) => {
                if self.wal.pages.load(Ordering::Relaxed) >= CHECKPOINT_PAGES {
                    self.wal.ring();
                }
                self.stats.commits.fetch_add(1, Ordering::Relaxed);
                self.stats
                    .transactions
                    .fetch_add(self.members as u64, Ordering::Relaxed);
                Ok(())
            }
            Err(e) => {
                let _ = sqlx::raw_sql("ROLLBACK").execute(self.conn_mut()).await;
                Err(e.to_string())
            }
        };
        self.finish(r);
        self.release_idle().await;
    }

    /// Ends the batch with an outcome and starts a fresh one.
    fn finish(&mut self, r: Result<(), String>) {
        self.open = false;
        self.members = 0;
        let (fresh, _) = watch::channel(None);
        let done = std::mem::replace(&mut self.outcome, fresh);
        let _ = done.send(Some(r));
    }
}

/// A write transaction on the SQLite writer: dereferences to the connection.
#[derive(Debug)]
pub struct SqliteTx {
    guard: Option<OwnedMutexGuard<State>>,
    writer: Arc<Writer>,
    nested: bool,
}

impl SqliteTx {
    /// Releases this transaction's work into the batch and returns once the batch that
    /// holds it is committed (at once when nobody is queued behind it). Like `begin`, the
    /// work runs on its own task: a caller that goes away does not interrupt a commit.
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        let mut g = self.guard.take().expect("held until commit or drop");
        let (w, nested) = (self.writer.clone(), self.nested);
        let mut rx = tokio::spawn(async move {
            if nested
                && let Err(e) = sqlx::raw_sql("RELEASE gj_member")
                    .execute(g.conn_mut())
                    .await
            {
                g.rollback(Undo::Savepoint).await;
                drop(g);
                w.wake();
                return Err(e);
            }
            g.members += 1;
            let rx = g.outcome.subscribe();
            if w.queued.load(Ordering::SeqCst) == 0 || g.members >= MAX_BATCH {
                // Nobody is waiting to join: commit now.
                g.settle().await;
            } else {
                // Those waiting join this batch; a committer queued behind them makes
                // sure it is committed even if none of them does.
                drop(g);
                w.wake();
            }
            Ok(rx)
        })
        .await
        .map_err(|_| sqlx::Error::WorkerCrashed)??;
        outcome(&mut rx).await
    }
}

async fn outcome(rx: &mut watch::Receiver<Outcome>) -> Result<(), sqlx::Error> {
    let r = rx
        .wait_for(Option::is_some)
        .await
        .map_err(|_| sqlx::Error::WorkerCrashed)?
        .clone()
        .expect("set");
    r.map_err(|e| sqlx::Error::Protocol(format!("提交失败 / commit failed: {e}")))
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        if let Some(mut g) = self.guard.take() {
            g.undo = Some(if self.nested {
                Undo::Savepoint
            } else {
                Undo::Whole
            });
            drop(g);
            self.writer.wake();
        }
    }
}

impl SqliteTx {
    /// The connection locked out of sqlx's worker thread for a run of statements
    /// ([`crate::raw::Conn`]), with the statements this batch already prepared on it.
    ///
    /// Preparing a save's dozen statements anew for every submission cost more than
    /// running them; kept for the batch, each is prepared once per batch (a burst groups
    /// about 16 submissions a batch). They are finalized when the connection goes back to
    /// the pool ([`State::release_idle`]).
    pub(crate) async fn hold(&mut self) -> crate::Result<crate::raw::Conn<'_>> {
        let st: &mut State = self.guard.as_mut().expect("held until commit or drop");
        let conn = st
            .conn
            .as_deref_mut()
            .expect("the writer connection is held");
        let mut lock = conn.lock_handle().await?;
        let ptr = lock.as_raw_handle().as_ptr();
        if st.stmts.as_ref().is_none_or(|(p, _)| *p != ptr as usize) {
            // Another handle's statements (cannot happen: they go with the connection).
            drop(st.stmts.take());
            // SAFETY: the handle stays valid while the writer holds this connection,
            // and is used by nobody else while `lock` lives; the rusqlite view never
            // closes it, and it (with its statements) is dropped before the connection
            // is given back (`release_idle`), always with the handle locked.
            let view =
                unsafe { rusqlite::Connection::from_handle(ptr) }.map_err(crate::raw::db_error)?;
            st.stmts = Some((ptr as usize, view));
        }
        let (_, c) = st.stmts.as_mut().expect("just set");
        Ok(crate::raw::Conn::Sqlite { c, _lock: lock })
    }
}

impl Deref for SqliteTx {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        self.guard
            .as_ref()
            .and_then(|g| g.conn.as_deref())
            .expect("the writer connection is held")
    }
}

impl DerefMut for SqliteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.guard
            .as_mut()
            .and_then(|g| g.conn.as_deref_mut())
            .expect("the writer connection is held")
    }
}
