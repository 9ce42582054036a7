//! Group commit on SQLite's writer: transactions that finish while others wait are
//! committed together, each `commit()` returns only once its work is durable and visible
//! to readers, a failed or dropped member takes no one else's work with it, and a failed
//! `COMMIT` is reported to every member of its batch.

use gongjian_store::testing::TestDb;
use gongjian_store::{Db, Tx, exec_tx, on_db};
use std::time::Duration;

async fn fresh() -> TestDb {
    let t = TestDb::empty("sqlite").await.unwrap();
    let mut tx = t.db.begin().await.unwrap();
    exec_tx!(&mut tx, c => sqlx::raw_sql(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY); INSERT INTO parent VALUES (1); \
         CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE, \
            p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)"
    ).execute(c).await)
    .unwrap();
    tx.commit().await.unwrap();
    t
}

async fn insert(tx: &mut Tx, v: &str, parent: i64) -> Result<u64, sqlx::Error> {
    exec_tx!(tx, c => sqlx::query("INSERT INTO t (v, p) VALUES ($1, $2)").bind(v.to_string()).bind(parent).execute(c).await)
}

async fn values(db: &Db) -> Vec<String> {
    on_db!(db, c => sqlx::query_scalar("SELECT v FROM t ORDER BY v").fetch_all(c).await).unwrap()
}

/// Waits until `n` transactions are queued for the writer.
async fn until_queued(db: &Db, n: u64) {
    for _ in 0..2000 {
        if db.write_stats().unwrap().queued >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("{n} transactions never queued");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn waiting_transactions_commit_together_and_each_sees_its_work_durable() {
    let t = fresh().await;
    let db = t.db.clone();
    let before = db.write_stats().unwrap();
    // Hold the writer while ten transactions queue behind it.
    let mut first = db.begin().await.unwrap();
    insert(&mut first, "first", 1).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..10 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = db.begin().await.unwrap();
            insert(&mut tx, &format!("m{i:02}"), 1).await.unwrap();
            tx.commit().await.unwrap();
            // Acknowledged means committed: a reader sees it at once.
            let seen: i64 = on_db!(&db, c => sqlx::query_scalar("SELECT COUNT(*) FROM t WHERE v = $1").bind(format!("m{i:02}")).fetch_one(c).await).unwrap();
            assert_eq!(seen, 1, "m{i:02} acknowledged but not visible");
        }));
    }
    until_queued(&db, 10).await;
    first.commit().await.unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    let after = db.write_stats().unwrap();
    assert_eq!(after.transactions - before.transactions, 11);
    // The first could not commit alone (others were waiting); the ten joined it in a
    // few commits, far fewer than one each.
    let commits = after.commits - before.commits;
    assert!(
        commits <= 3,
        "{commits} commits for 11 grouped transactions"
    );
    assert_eq!(values(&db).await.len(), 11);
    assert_eq!(after.queued, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_or_dropped_member_takes_only_its_own_work() {
    let t = fresh().await;
    let db = t.db.clone();
    let mut first = db.begin().await.unwrap();
    insert(&mut first, "a", 1).await.unwrap();
    // b fails on a unique value after writing a row of its own, and is dropped.
    let b = {
        let db = db.clone();
        tokio::spawn(async move {
            let mut tx = db.begin().await.unwrap();
            insert(&mut tx, "b", 1).await.unwrap();
            insert(&mut tx, "a", 1).await.unwrap_err();
        })
    };
    until_queued(&db, 1).await;
    let c = {
        let db = db.clone();
        tokio::spawn(async move {
            let mut tx = db.begin().await.unwrap();
            insert(&mut tx, "c", 1).await.unwrap();
            tx.commit().await.unwrap();
        })
    };
    until_queued(&db, 2).await;
    first.commit().await.unwrap();
    b.await.unwrap();
    c.await.unwrap();
    assert_eq!(values(&db).await, ["a", "c"]);

    // The first of a batch dropped while another waits: it rolls back alone.
    let mut lone = db.begin().await.unwrap();
    insert(&mut lone, "dropped", 1).await.unwrap();
    let d = {
        let db = db.clone();
        tokio::spawn(async move {
            let mut tx = db.begin().await.unwrap();
            insert(&mut tx, "d", 1).await.unwrap();
            tx.commit().await.unwrap();
        })
    };
    until_queued(&db, 1).await;
    drop(lone);
    d.await.unwrap();
    assert_eq!(values(&db).await, ["a", "c", "d"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_commit_is_reported_to_every_member_and_stores_nothing() {
    let t = fresh().await;
    let db = t.db.clone();
    let mut first = db.begin().await.unwrap();
    insert(&mut first, "ok", 1).await.unwrap();
    // The second member breaks a deferred foreign key: only COMMIT finds it.
    let bad = {
        let db = db.clone();
        tokio::spawn(async move {
            let mut tx = db.begin().await.unwrap();
            insert(&mut tx, "orphan", 99).await.unwrap();
            tx.commit().await
        })
    };
    until_queued(&db, 1).await;
    let first_result = first.commit().await;
    let bad_result = bad.await.unwrap();
    assert!(
        bad_result.is_err(),
        "the member whose commit failed was told"
    );
    assert!(
        first_result.is_err(),
        "the member released into the failed batch was told too"
    );
    assert!(values(&db).await.is_empty(), "nothing of the batch stored");
    // The writer goes on: the next transaction commits alone.
    let mut tx = db.begin().await.unwrap();
    insert(&mut tx, "after", 1).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(values(&db).await, ["after"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_long_transaction_begun_alone_does_not_hold_back_finished_ones() {
    let t = fresh().await;
    let db = t.db.clone();
    let mut first = db.begin().await.unwrap();
    insert(&mut first, "short", 1).await.unwrap();
    let (started, mut go) = tokio::sync::mpsc::channel::<()>(1);
    let (release, wait) = tokio::sync::oneshot::channel::<()>();
    let long = {
        let db = db.clone();
        tokio::spawn(async move {
            let mut tx = db.begin_alone().await.unwrap();
            insert(&mut tx, "long", 1).await.unwrap();
            started.send(()).await.unwrap();
            wait.await.unwrap();
            tx.commit().await.unwrap();
        })
    };
    until_queued(&db, 1).await;
    // `first` finishes while the long one waits: it is not held until the long one ends.
    let acked = tokio::time::timeout(Duration::from_secs(10), first.commit()).await;
    assert!(
        matches!(acked, Ok(Ok(()))),
        "the short transaction was acknowledged"
    );
    go.recv().await.unwrap();
    assert_eq!(
        values(&db).await,
        ["short"],
        "the long one is not visible yet"
    );
    release.send(()).unwrap();
    long.await.unwrap();
    assert_eq!(values(&db).await, ["long", "short"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_concurrent_writers_lose_nothing() {
    let t = fresh().await;
    let db = t.db.clone();
    let mut tasks = Vec::new();
    for w in 0..8 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..50 {
                let mut tx = db.begin().await.unwrap();
                insert(&mut tx, &format!("w{w}-{i:02}"), 1).await.unwrap();
                if i % 7 == 3 {
                    // Every seventh is abandoned: it must not appear.
                    drop(tx);
                    continue;
                }
                tx.commit().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let v = values(&db).await;
    let abandoned = (0..50).filter(|i| i % 7 == 3).count();
    assert_eq!(v.len(), 8 * (50 - abandoned));
    assert!(!v.iter().any(|x| x.ends_with("-03") || x.ends_with("-10")));
    let s = db.write_stats().unwrap();
    assert!(s.commits <= s.transactions);
}

/// A commit that leaves the WAL past 1,000 pages does not copy them into the database
/// file itself: a task does, with a passive checkpoint on a read connection, soon after.
/// Without that task the file would never grow while the database is open.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_large_wal_is_checkpointed_in_the_background() {
    let t = fresh().await;
    let file = t.url.trim_start_matches("sqlite://").to_string();
    let size = || std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    let before = size();
    // About 8 MB of rows: some 2,000 pages.
    let mut tx = t.db.begin_alone().await.unwrap();
    let filler = "填".repeat(1_000);
    for i in 0..2_500 {
        insert(&mut tx, &format!("{i:05}{filler}"), 1)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    // Readers see everything at once, from the WAL.
    assert_eq!(values(&t.db).await.len(), 2_500);
    let mut grown = false;
    for _ in 0..200 {
        if size() > before + 4_000_000 {
            grown = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(grown, "the database file stayed at {} bytes", size());
}
