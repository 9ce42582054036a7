//! Fresh databases for tests: a temporary SQLite file, or a new PostgreSQL database
//! (server from `GONGJIAN_TEST_PG`, default `postgres://postgres@127.0.0.1:5432/postgres`),
//! dropped again when the guard goes.

use crate::{Db, Result};

/// A database that exists for one test.
pub struct TestDb {
    /// The handle.
    pub db: Db,
    /// Its URL, for spawning the binary against it.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Pg { admin: String, name: String },
}

/// The PostgreSQL server tests use.
pub fn pg_admin_url() -> String {
    std::env::var("GONGJIAN_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

impl TestDb {
    /// A fresh, migrated database on `engine` (`sqlite` or `postgres`).
    pub async fn new(engine: &str) -> Result<TestDb> {
        let t = Self::empty(engine).await?;
        crate::migrate::run(&t.db).await?;
        Ok(t)
    }

    /// A fresh database with nothing in it, not even the schema.
    pub async fn empty(engine: &str) -> Result<TestDb> {
        let tag = &crate::random_token()[..12];
        match engine {
            "sqlite" => {
                let dir = std::env::temp_dir().join(format!("gongjian-test-{tag}"));
                std::fs::create_dir_all(&dir).expect("temp dir");
                let url = format!("sqlite://{}/test.db", dir.display());
                let db = Db::connect(&url).await?;
                Ok(TestDb {
                    db,
                    url,
                    cleanup: Cleanup::File(dir),
                })
            }
            "postgres" => {
                let admin = pg_admin_url();
                let name = format!("gj_t_{tag}");
                let adb = Db::connect(&admin).await?;
                crate::exec_db!(&adb, c => sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(c).await)?;
                adb.close().await;
                let (scheme, rest) = admin.split_once("://").expect("postgres URL with scheme");
                let host = rest.split(['/', '?']).next().unwrap_or(rest);
                let url = format!("{scheme}://{host}/{name}");
                let db = Db::connect(&url).await?;
                Ok(TestDb {
                    db,
                    url,
                    cleanup: Cleanup::Pg { admin, name },
                })
            }
            other => panic!("unknown engine {other}"),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Pg { admin, name } => {
                let (admin, name) = (admin.clone(), name.clone());
                // Drop runs inside the test's runtime: use a thread with its own.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                    rt.block_on(async {
                        if let Ok(adb) = Db::connect(&admin).await {
                            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                            let _ = crate::exec_db!(&adb, c => sqlx::query(sqlx::AssertSqlSafe(sql)).execute(c).await);
                            adb.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// Generates one test per engine from an async body taking a `TestDb`.
#[macro_export]
macro_rules! both_engines {
    ($name:ident, |$t:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $t = $crate::testing::TestDb::new("sqlite")
                    .await
                    .expect("fresh sqlite");
                $body
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let $t = $crate::testing::TestDb::new("postgres")
                    .await
                    .expect("fresh postgres (is it running on 127.0.0.1:5432?)");
                $body
            }
        }
    };
}
