//! `gongjian bench --suite arenas`: scoring every arena for one period at province scale
//! from the database, and a what-if recomputation; medians of several runs.

use crate::synth;
use gongjian_domain::arena::{Direction, FlagRule, Indicator, Measure, Method};
use gongjian_store::arena::{self, ArenaInput, Change, IndicatorDef, Source};
use gongjian_store::{Actor, on_db};
use std::time::{Duration, Instant};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn ind(code: &str, w: i64, measure: Measure) -> IndicatorDef {
    IndicatorDef {
        rule: Indicator {
            code: code.into(),
            name: code.into(),
            unit: String::new(),
            direction: Direction::Higher,
            weight: w,
            method: Method::Ratio { cap_pct: 120 },
        },
        source: Source::Measure { measure },
    }
}

/// Creates twelve arenas (`a00`…`a11`) of every division government below the root, over
/// the computed indicators; returns the participant codes. Used by `gen` and the benchmark.
pub async fn create_arenas(db: &gongjian_store::Db, a: &Actor) -> Res<Vec<String>> {
    let parts: Vec<String> = on_db!(db, c => sqlx::query_scalar("SELECT u.code FROM unit u JOIN division d ON d.id = u.governs_division_id WHERE d.parent_id IS NOT NULL AND u.active = TRUE ORDER BY u.code").fetch_all(c).await)?;
    let sets = [
        vec![
            ind("invest", 40, Measure::InvestPlan),
            ind("target", 30, Measure::InvestTarget),
            ind("start", 30, Measure::StartRate),
        ],
        vec![
            ind("invest", 50, Measure::InvestPlan),
            ind("finish", 50, Measure::CompletionRate),
        ],
        vec![
            ind("per_mu", 40, Measure::InvestPerMu),
            ind("tax", 30, Measure::TaxPerMu),
            ind("problems", 30, Measure::ProblemsOnTime),
        ],
        vec![
            ind("tasks", 40, Measure::TasksOnTime),
            ind("start", 30, Measure::StartRate),
            ind("reserve", 30, Measure::ReserveConversion),
        ],
    ];
    let mut tx = db.begin().await?;
    for i in 0..12 {
        arena::create(
            &mut tx,
            a,
            &ArenaInput {
                code: format!("a{i:02}"),
                name: format!("擂台赛 {}", i + 1),
                kind: if i < 6 { "comprehensive" } else { "special" }.into(),
                participants: parts.clone(),
                indicators: sets[i % sets.len()].clone(),
                flag_rule: FlagRule::TopBottom {
                    red: 10,
                    yellow: 10,
                },
                ..Default::default()
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(parts)
}

/// Runs the arena benchmarks on a fresh province: `projects` projects with `months`
/// months of reports and lights, 20,000 problems, 12 arenas of every division government.
pub async fn run(projects: usize, months: usize, runs: usize) -> Res<()> {
    let dir = std::env::temp_dir().join(format!("gongjian-bench-a-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let db = crate::bench::fresh(&dir, "arenas.db").await?;
    let a = Actor::cli();
    let w = synth::world(&db).await?;
    let (y, m) = crate::report::last_month();
    let t = Instant::now();
    synth::write(&db, &a, &synth::projects(&w, projects, 17, i64::from(y))).await?;
    let r = synth::reports(&db, &a, 17, &synth::months_back(y, m, months)).await?;
    crate::synth_supervise::generate(&db, 20_000, 17, gongjian_store::today(), 0.6).await?;
    let reports: i64 =
        on_db!(&db, c => sqlx::query_scalar("SELECT COUNT(*) FROM report").fetch_one(c).await)?;
    println!(
        "arenas: province of {projects} projects, {} periods, {reports} reports, 20,000 problems, built in {:.0} s",
        r.periods,
        t.elapsed().as_secs_f64()
    );
    let parts = create_arenas(&db, &a).await?;
    let period = format!("{y}-Q{}", ((m - 1) / 3).max(1));
    let month = format!("{y}-{:02}", m.saturating_sub(1).max(1));
    println!("  {} participants per arena, 12 arenas", parts.len());
    for p in [&month, &period] {
        let mut v = Vec::new();
        for _ in 0..runs.max(3) {
            let t = Instant::now();
            let all = arena::compute_all(&db, p).await?;
            v.push(t.elapsed());
            assert_eq!(all.len(), 12);
        }
        println!(
            "  scoring all 12 arenas for {p} (aggregates read once): median {}",
            ms(median(v))
        );
        let mut one = Vec::new();
        for _ in 0..runs.max(3) {
            let t = Instant::now();
            arena::compute(&db, "a00", p, &[]).await?;
            one.push(t.elapsed());
        }
        println!("  scoring one arena for {p}: median {}", ms(median(one)));
    }
    let mut v = Vec::new();
    for _ in 0..runs.max(3) {
        let t = Instant::now();
        arena::compute(
            &db,
            "a00",
            &month,
            &[Change {
                participant: parts[0].clone(),
                indicator: "invest".into(),
                value: None,
                delta: Some(50_000_000),
            }],
        )
        .await?;
        v.push(t.elapsed());
    }
    println!(
        "  one what-if recomputation (one arena): median {}",
        ms(median(v))
    );
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
