//! `gongjian bench --suite problems`: listing and filtering 100,000 problems, the
//! per-unit statistics of the board, and the escalation job over 100,000 open problems,
//! on fresh SQLite files; medians of several runs.

use crate::synth;
use gongjian_store::problem::{self as pb, ProblemFilter};
use gongjian_store::{Actor, Db, Page, auth, on_db};
use std::time::{Duration, Instant};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn world(
    dir: &std::path::Path,
    name: &str,
    projects: usize,
    problems: usize,
    open_share: f64,
) -> Res<Db> {
    let db = crate::bench::fresh(dir, name).await?;
    let w = synth::world(&db).await?;
    let year = gongjian_store::project::this_year();
    synth::write(&db, &Actor::cli(), &synth::projects(&w, projects, 13, year)).await?;
    let t = Instant::now();
    let g = crate::synth_supervise::generate(&db, problems, 3, gongjian_store::today(), open_share)
        .await?;
    println!(
        "  generated {} problems and {} tasks over {projects} projects in {:.1} s",
        g.problems,
        g.tasks,
        t.elapsed().as_secs_f64()
    );
    Ok(db)
}

/// A district user of the division government with the most problems.
async fn district_actor(db: &Db) -> Res<Actor> {
    let (unit, code): (i64, String) = on_db!(db, c => sqlx::query_as(
        "SELECT u.id, u.code FROM problem x JOIN unit u ON u.id = x.handler_unit_id GROUP BY u.id, u.code ORDER BY COUNT(*) DESC LIMIT 1")
        .fetch_one(c).await)?;
    let mut tx = db.begin().await?;
    let u = gongjian_store::user::create(
        &mut tx,
        &Actor::cli(),
        &gongjian_store::user::UserInput {
            username: "bench-district".into(),
            name: "bench".into(),
            unit_code: code,
            roles: vec!["division".into()],
            password: Some("Bench-passw0rd".into()),
            must_change_password: Some(false),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(auth::actor(db, u.id, &u.username, unit, "bench").await?)
}

/// Runs the problem benchmarks.
pub async fn run(projects: usize, problems: usize, runs: usize) -> Res<()> {
    let dir = std::env::temp_dir().join(format!("gongjian-bench-p-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let today = gongjian_store::today();
    println!(
        "problems: {problems} problems (60 % open), SQLite in {}",
        dir.display()
    );
    let db = world(&dir, "problems.db", projects, problems, 0.6).await?;
    let office = Actor::cli();
    let district = district_actor(&db).await?;
    let calls = 30;
    let cases: Vec<(&str, &Actor, ProblemFilter)> = vec![
        (
            "first page, all problems",
            &office,
            ProblemFilter::default(),
        ),
        (
            "open",
            &office,
            ProblemFilter {
                status: Some("open".into()),
                ..Default::default()
            },
        ),
        (
            "overdue",
            &office,
            ProblemFilter {
                overdue: Some(true),
                ..Default::default()
            },
        ),
        (
            "category + tier",
            &office,
            ProblemFilter {
                category: Some("land".into()),
                tier: Some("division".into()),
                ..Default::default()
            },
        ),
        (
            "free text",
            &office,
            ProblemFilter {
                q: Some("征收".into()),
                ..Default::default()
            },
        ),
        (
            "district user, own scope",
            &district,
            ProblemFilter::default(),
        ),
        (
            "district user, overdue",
            &district,
            ProblemFilter {
                overdue: Some(true),
                ..Default::default()
            },
        ),
    ];
    for (name, actor, f) in &cases {
        let mut v = Vec::new();
        let mut total = 0;
        for _ in 0..calls {
            let t = Instant::now();
            let r = pb::list(&db, actor, f, Page::new(None, Some(20)), today).await?;
            v.push(t.elapsed());
            total = r.total;
        }
        println!("  list {name}: p50 {} ({total} match)", ms(median(v)));
    }
    let mut v = Vec::new();
    for _ in 0..runs.max(3) {
        let t = Instant::now();
        let s = pb::unit_stats(&db, &office, today).await?;
        v.push(t.elapsed());
        assert!(!s.is_empty());
    }
    println!(
        "  per-unit statistics of the board: median {}",
        ms(median(v))
    );
    db.close().await;

    println!("escalation job over {problems} open problems:");
    let (mut first, mut again, mut done) = (Vec::new(), Vec::new(), 0);
    for i in 0..runs {
        let db = world(&dir, &format!("jobs-{i}.db"), projects, problems, 1.0).await?;
        let t = Instant::now();
        let r = gongjian_store::jobs::run_due(&db, today).await?;
        first.push(t.elapsed());
        done = r.escalated;
        let t = Instant::now();
        let r2 = gongjian_store::jobs::run_due(&db, today).await?;
        again.push(t.elapsed());
        assert_eq!(r2.escalated, 0, "a second run escalates nothing");
        db.close().await;
    }
    println!(
        "  first run ({done} escalations with their steps, notices and audit): median {}",
        ms(median(first))
    );
    println!(
        "  second run the same day (nothing left to do): median {}",
        ms(median(again))
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
