//! `gongjian bench --suite bulletin`: producing the monthly bulletin in each format for a
//! city of about 20 divisions and 2,000 projects (target ≤ 1 s each); medians of several
//! runs. The figures are read from the database on every run, as users get them.

use crate::synth;
use gongjian_store::{Actor, Db, migrate};
use gongjian_web::bulletin::{Format, export};
use std::time::{Duration, Instant};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Builds the city (divisions, `projects` projects, this year's reports and lights, 2,000
/// problems, 12 arenas scored and published for the month) and times each format.
pub async fn run(projects: usize, runs: usize) -> Res<()> {
    let dir = std::env::temp_dir().join(format!("gongjian-bench-b-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("city.db");
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
    }
    let db = Db::connect(&format!("sqlite://{}", path.display())).await?;
    migrate::run(&db).await?;
    let a = Actor::cli();
    synth::ensure_world(&db, &a, false, 5).await?;
    let w = synth::world(&db).await?;
    let (y, m) = crate::report::last_month();
    let t = Instant::now();
    synth::write(&db, &a, &synth::projects(&w, projects, 5, i64::from(y))).await?;
    synth::reports(&db, &a, 5, &synth::months_back(y, m, m as usize)).await?;
    crate::synth_supervise::generate(&db, 2_000, 5, gongjian_store::today(), 0.6).await?;
    crate::bench_arenas::create_arenas(&db, &a).await?;
    let month = format!("{y}-{m:02}");
    for ar in gongjian_store::arena::list(&db).await? {
        gongjian_store::arena::save(&db, &a, &ar.code, &month).await?;
        gongjian_store::arena::publish(&db, &a, &ar.code, &month).await?;
    }
    println!(
        "bulletin: a city of {} divisions and {projects} projects, {m} months of reports, 2,000 problems, 12 published arenas; built in {:.0} s",
        w.divisions.len(),
        t.elapsed().as_secs_f64()
    );
    for (name, f) in [
        ("docx", Format::Docx),
        ("xlsx", Format::Xlsx),
        ("pdf", Format::Pdf),
    ] {
        let mut v = Vec::new();
        let mut size = 0;
        for _ in 0..runs.max(3) {
            let t = Instant::now();
            let x = export(&db, &a, y, m, f, None).await?;
            v.push(t.elapsed());
            size = x.bytes.len();
        }
        println!(
            "  {name}: median {:.0} ms ({size} bytes; figures gathered, composed and written)",
            median(v).as_secs_f64() * 1000.0
        );
    }
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
