//! Embedded per-engine migrations, applied in order, each once.

use crate::{Db, Result, on_db};

/// (version, name, SQLite text, PostgreSQL text)
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../../migrations/sqlite/0001_init.sql"),
        include_str!("../../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "projects",
        include_str!("../../../migrations/sqlite/0002_projects.sql"),
        include_str!("../../../migrations/postgres/0002_projects.sql"),
    ),
    (
        3,
        "reports",
        include_str!("../../../migrations/sqlite/0003_reports.sql"),
        include_str!("../../../migrations/postgres/0003_reports.sql"),
    ),
    (
        4,
        "meetings",
        include_str!("../../../migrations/sqlite/0004_meetings.sql"),
        include_str!("../../../migrations/postgres/0004_meetings.sql"),
    ),
    (
        5,
        "problems",
        include_str!("../../../migrations/sqlite/0005_problems.sql"),
        include_str!("../../../migrations/postgres/0005_problems.sql"),
    ),
    (
        6,
        "arenas",
        include_str!("../../../migrations/sqlite/0006_arenas.sql"),
        include_str!("../../../migrations/postgres/0006_arenas.sql"),
    ),
    (
        7,
        "campaigns",
        include_str!("../../../migrations/sqlite/0007_campaigns.sql"),
        include_str!("../../../migrations/postgres/0007_campaigns.sql"),
    ),
    (
        8,
        "project tax",
        include_str!("../../../migrations/sqlite/0008_project_tax.sql"),
        include_str!("../../../migrations/postgres/0008_project_tax.sql"),
    ),
    (
        9,
        "report sums",
        include_str!("../../../migrations/sqlite/0009_report_sums.sql"),
        include_str!("../../../migrations/postgres/0009_report_sums.sql"),
    ),
    (
        10,
        "light digest",
        include_str!("../../../migrations/sqlite/0010_light_digest.sql"),
        include_str!("../../../migrations/postgres/0010_light_digest.sql"),
    ),
    (
        11,
        "project list",
        include_str!("../../../migrations/sqlite/0011_project_list.sql"),
        include_str!("../../../migrations/postgres/0011_project_list.sql"),
    ),
    (
        12,
        "drop project_division_idx",
        include_str!("../../../migrations/sqlite/0012_drop_division_idx.sql"),
        include_str!("../../../migrations/postgres/0012_drop_division_idx.sql"),
    ),
    (
        13,
        "lighter trigram index",
        include_str!("../../../migrations/sqlite/0013_fts_lighter.sql"),
        include_str!("../../../migrations/postgres/0013_fts_lighter.sql"),
    ),
];

/// The newest migration version this binary knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// Applies the migrations not yet applied and seeds the built-in roles. Idempotent.
/// Returns the versions applied now.
pub async fn run(db: &Db) -> Result<Vec<i64>> {
    let create = "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)";
    let mut tx = db.begin().await?;
    crate::exec_tx!(&mut tx, c => sqlx::query(create).execute(c).await)?;
    if let crate::Tx::Postgres(t) = &mut tx {
        // Two processes starting at once must not both migrate.
        sqlx::query("SELECT pg_advisory_xact_lock(7205)")
            .execute(&mut **t)
            .await?;
    }
    let done: Vec<i64> = crate::on_tx!(&mut tx, c => sqlx::query_scalar("SELECT version FROM schema_migrations").fetch_all(c).await)?;
    let mut applied = Vec::new();
    for (version, name, lite, pg) in MIGRATIONS {
        if done.contains(version) {
            continue;
        }
        let text = if matches!(db, Db::Sqlite(_)) {
            *lite
        } else {
            *pg
        };
        crate::exec_tx!(&mut tx, c => sqlx::raw_sql(text).execute(c).await)?;
        crate::exec_tx!(&mut tx, c => sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(*version).bind(name.to_string()).bind(crate::now().to_rfc3339()).execute(c).await)?;
        applied.push(*version);
    }
    crate::role::seed_builtin(&mut tx).await?;
    crate::report::seed(&mut tx).await?;
    tx.commit().await?;
    Ok(applied)
}

/// The highest applied version, or 0 when the database is empty.
pub async fn current_version(db: &Db) -> Result<i64> {
    let v: Option<i64> = on_db!(db, c => sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations").fetch_one(c).await)
        .unwrap_or(None);
    Ok(v.unwrap_or(0))
}
