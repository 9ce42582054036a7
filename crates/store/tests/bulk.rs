//! Bulk inserts (`sql::insert_rows`): on SQLite they run on the writer's own handle
//! outside sqlx, so these tests check that what they store reads back through sqlx
//! exactly as sqlx itself would have stored it, that a failing row reports the same
//! kind of error and takes only its own transaction's work with it.

use chrono::{DateTime, NaiveDate, Utc};
use gongjian_store::sql::{Val, insert_rows};
use gongjian_store::{StoreError, Tx, both_engines, exec_tx, on_db};

async fn table(t: &gongjian_store::testing::TestDb) {
    let mut tx = t.db.begin().await.unwrap();
    exec_tx!(&mut tx, c => sqlx::raw_sql(
        "CREATE TABLE bulk_t (id BIGINT PRIMARY KEY, code TEXT UNIQUE, note TEXT, flag BOOLEAN NOT NULL, \
         amount BIGINT, on_day DATE, at TIMESTAMPTZ, maybe_at TIMESTAMPTZ)"
    ).execute(c).await)
    .unwrap();
    tx.commit().await.unwrap();
}

fn row(id: i64, code: &str, at: DateTime<Utc>) -> Vec<Val> {
    vec![
        Val::I(id),
        Val::S(code.into()),
        Val::OS((id % 2 == 0).then(|| format!("第{id}行，含'引号'与%通配符"))),
        Val::B(id % 3 == 0),
        Val::OI((id % 5 != 0).then_some(id * 1_000_000)),
        Val::D(NaiveDate::from_ymd_opt(2026, 1 + (id % 12) as u32, 28)),
        Val::T(at),
        Val::OT((id % 4 == 0).then_some(at)),
    ]
}

const HEAD: &str = "INSERT INTO bulk_t (id, code, note, flag, amount, on_day, at, maybe_at)";

type Read = (
    i64,
    String,
    Option<String>,
    bool,
    Option<i64>,
    Option<NaiveDate>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

both_engines!(bulk_inserts_read_back_as_written, |t| {
    table(&t).await;
    let at: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-11-30T08:01:02.123456Z")
        .unwrap()
        .with_timezone(&Utc);
    let rows: Vec<Vec<Val>> = (1..=2_500)
        .map(|i| row(i, &format!("C{i:05}"), at))
        .collect();
    let mut tx = t.db.begin().await.unwrap();
    insert_rows(&mut tx, HEAD, rows).await.unwrap();
    // Rows inserted in bulk are visible to the same transaction's ordinary statements.
    let n: i64 = gongjian_store::on_tx!(&mut tx, c => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM bulk_t").fetch_one(c).await).unwrap();
    assert_eq!(n, 2_500);
    tx.commit().await.unwrap();

    let back: Vec<Read> = on_db!(&t.db, c => sqlx::query_as("SELECT id, code, note, flag, amount, on_day, at, maybe_at FROM bulk_t ORDER BY id").fetch_all(c).await).unwrap();
    assert_eq!(back.len(), 2_500);
    for (i, r) in back.iter().enumerate() {
        let id = i as i64 + 1;
        assert_eq!(r.0, id);
        assert_eq!(r.1, format!("C{id:05}"));
        assert_eq!(
            r.2,
            (id % 2 == 0).then(|| format!("第{id}行，含'引号'与%通配符"))
        );
        assert_eq!(r.3, id % 3 == 0, "flag of {id}");
        assert_eq!(r.4, (id % 5 != 0).then_some(id * 1_000_000));
        assert_eq!(r.5, NaiveDate::from_ymd_opt(2026, 1 + (id % 12) as u32, 28));
        assert_eq!(r.6, at);
        assert_eq!(r.7, (id % 4 == 0).then_some(at));
    }
    // Comparisons in SQL treat bulk-written values like any other: dates and booleans.
    let march: i64 = on_db!(&t.db, c => sqlx::query_scalar("SELECT COUNT(*) FROM bulk_t WHERE on_day = $1 AND flag = $2").bind(NaiveDate::from_ymd_opt(2026, 3, 28)).bind(true).fetch_one(c).await).unwrap();
    assert_eq!(
        march,
        (1..=2_500).filter(|i| i % 12 == 2 && i % 3 == 0).count() as i64
    );
});

both_engines!(
    a_failing_bulk_insert_reports_the_constraint_and_keeps_nothing,
    |t| {
        table(&t).await;
        let at = Utc::now();
        let mut tx = t.db.begin().await.unwrap();
        insert_rows(&mut tx, HEAD, vec![row(1, "A", at)])
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let mut tx: Tx = t.db.begin().await.unwrap();
        let e = insert_rows(
            &mut tx,
            HEAD,
            vec![row(2, "B", at), row(3, "C", at), row(4, "A", at)],
        )
        .await
        .unwrap_err();
        // The same error as an ordinary statement gives: a unique violation on bulk_t.code,
        // which the usual mapping turns into a field conflict.
        match &e {
            StoreError::Db(sqlx::Error::Database(d)) => {
                assert!(d.is_unique_violation(), "{d}");
                assert!(d.message().contains("bulk_t"), "{d}");
            }
            other => panic!("expected a database error, got {other:?}"),
        }
        let mapped = e.map_unique("bulk_t.code", "code", "编码重复", "duplicate code");
        assert!(matches!(mapped, StoreError::Conflict(_)), "{mapped:?}");
        drop(tx);

        let codes: Vec<String> = on_db!(&t.db, c => sqlx::query_scalar("SELECT code FROM bulk_t ORDER BY id").fetch_all(c).await).unwrap();
        assert_eq!(codes, ["A"]);
        // The writer carries on.
        let mut tx = t.db.begin().await.unwrap();
        insert_rows(&mut tx, HEAD, vec![row(5, "E", at)])
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let n: i64 = on_db!(&t.db, c => sqlx::query_scalar("SELECT COUNT(*) FROM bulk_t").fetch_one(c).await).unwrap();
        assert_eq!(n, 2);
    }
);
