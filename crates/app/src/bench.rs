//! `gongjian bench`: the registry's performance figures, as medians of several runs on a
//! fresh SQLite file (the default engine). Never run by the test suite.

use crate::synth;
use gongjian_domain::access::{Access, DataScope, HeldRole, Permission};
use gongjian_domain::money::{self, MoneyUnit};
use gongjian_office::ledger_export::{self, ExportRow};
use gongjian_store::project::{self, ProjectFilter};
use gongjian_store::{Actor, Db, Page, migrate};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// CPU time this process has used so far, all threads, user and system (Linux; zero
/// elsewhere). On a shared machine it varies less than the wall clock: it leaves out
/// the time other tenants hold the cores.
fn cpu_time() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|i| f.get(*i).and_then(|v| v.parse::<u64>().ok()))
        .sum();
    // The kernel's USER_HZ is 100 on every Linux this runs on.
    Duration::from_millis(ticks * 10)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

pub(crate) async fn fresh(
    dir: &std::path::Path,
    name: &str,
) -> Result<Db, Box<dyn std::error::Error>> {
    let path = dir.join(name);
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
    }
    let db = Db::connect(&format!("sqlite://{}", path.display())).await?;
    migrate::run(&db).await?;
    synth::ensure_world(&db, &Actor::cli(), true, 1).await?;
    Ok(db)
}

/// A generated project as the ledger export writes it (for import benchmarks and tests).
pub fn export_row(p: &gongjian_domain::project::ProjectInput, division_name: &str) -> ExportRow {
    let yuan = |t: &Option<String>| {
        t.as_deref()
            .map(|x| money::parse_money("x", "x", x, MoneyUnit::Wan).unwrap_or(0))
    };
    let mut months = [None; 12];
    for (i, m) in p.months_wan.iter().enumerate() {
        months[i] = yuan(m);
    }
    ExportRow {
        code: p.code.clone().unwrap_or_default(),
        name: p.name.clone(),
        level: p.level.clone(),
        category: p.category.clone(),
        nature: p.nature.clone(),
        stage: p.stage.clone(),
        division_name: division_name.into(),
        division_code: p.division.clone(),
        owner_name: p.owner_name.clone().unwrap_or_default(),
        responsible_unit: p.responsible_unit.clone().unwrap_or_default(),
        contact_leader: p.contact_leader.clone().unwrap_or_default(),
        members: p.members.clone(),
        plan_doc: p.plan_doc.clone().unwrap_or_default(),
        total_investment: yuan(&p.total_investment_wan).unwrap_or(0),
        annual_plan: yuan(&p.annual_plan_wan),
        months,
        start_year: p.start_year,
        end_year: p.end_year,
        started: p.started.unwrap_or(false),
        start_date: p.start_date.clone().unwrap_or_default(),
        tags: p.tags.clone(),
        description: p.description.clone().unwrap_or_default(),
        ..Default::default()
    }
}

/// Runs the benchmarks and prints their medians.
pub async fn run(
    _url: &str,
    import_rows: usize,
    projects: usize,
    runs: usize,
    lists: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("gongjian-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let year = project::this_year();
    println!(
        "gongjian bench: SQLite in {}, {runs} runs each, medians reported",
        dir.display()
    );

    // 1. Import a ledger of `import_rows` rows (xlsx), into a fresh database each run.
    let db = fresh(&dir, "world.db").await?;
    let world = synth::world(&db).await?;
    db.close().await;
    let names: std::collections::HashMap<String, String> =
        world.divisions.iter().cloned().collect();
    let items = synth::projects(&world, import_rows, 7, year);
    let rows: Vec<ExportRow> = items
        .iter()
        .map(|(p, _)| export_row(p, &names[&p.division]))
        .collect();
    let xlsx = ledger_export::to_xlsx(&rows, year, "基准台账")?;
    println!("import: a {import_rows}-row ledger of {} bytes", xlsx.len());
    let (mut parse, mut total, mut cpu) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..runs {
        let db = fresh(&dir, &format!("import-{i}.db")).await?;
        let t = Instant::now();
        let sheets =
            gongjian_office::ledger::read_sheets("bench.xlsx", &xlsx).map_err(|e| e.to_string())?;
        let l = gongjian_office::ledger::read_ledger(
            &sheets,
            &gongjian_office::ledger::Synonyms::new(&[]),
            None,
        );
        parse.push(t.elapsed());
        assert!(l.errors.is_empty(), "{:?}", l.errors.first());
        drop((sheets, l));
        // The whole import as users run it: read, check, write, commit.
        let (t, c) = (Instant::now(), cpu_time());
        let r = crate::import_ledger(&db, &xlsx).await?;
        total.push(t.elapsed());
        cpu.push(cpu_time().saturating_sub(c));
        assert_eq!(r.imported, import_rows, "{:?}", r.errors.first());
        db.close().await;
    }
    println!(
        "  read and parse the workbook: median {}",
        ms(median(parse))
    );
    println!(
        "  the whole import (read, check, write every project in one audited transaction, commit): median {}",
        ms(median(total))
    );
    println!(
        "  CPU time of the whole import, all threads: median {}",
        ms(median(cpu))
    );

    if !lists {
        let _ = std::fs::remove_dir_all(&dir);
        return Ok(());
    }
    // 2. The filtered project list over `projects` projects.
    let db = fresh(&dir, "list.db").await?;
    let world = synth::world(&db).await?;
    let t = Instant::now();
    synth::write(
        &db,
        &Actor::cli(),
        &synth::projects(&world, projects, 11, year),
    )
    .await?;
    println!(
        "list: {projects} projects generated in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let office = Actor::cli();
    // A county user: own unit and below, resolved like a signed-in user.
    let gov: i64 = gongjian_store::on_db!(&db, c => sqlx::query_scalar("SELECT g.id FROM unit g JOIN division d ON d.id = g.governs_division_id WHERE d.code = '980104'").fetch_one(c).await)?;
    let below: BTreeSet<i64> = gongjian_store::unit::subtree(&db, gov)
        .await?
        .into_iter()
        .collect();
    let role = HeldRole {
        code: "division".into(),
        permissions: BTreeSet::from([Permission::ProjectRead]),
        scope: DataScope::OwnUnitAndBelow,
        custom_units: BTreeSet::new(),
    };
    let county = Actor {
        access: Access::resolve(1, gov, &[role], |_| below.clone()),
        user_id: Some(1),
        name: "bench".into(),
        unit_id: Some(gov),
        ip: "bench".into(),
    };
    let filters: Vec<(&str, &Actor, ProjectFilter)> = vec![
        (
            "first page, table order, office",
            &office,
            ProjectFilter::default(),
        ),
        (
            "stage + level + sort by total, office",
            &office,
            ProjectFilter {
                stage: Some("construction".into()),
                level: Some("city".into()),
                sort: Some("total_investment".into()),
                dir: Some("desc".into()),
                ..Default::default()
            },
        ),
        (
            "division subtree (a city), office",
            &office,
            ProjectFilter {
                division_code: Some("980200".into()),
                ..Default::default()
            },
        ),
        (
            "free text, office",
            &office,
            ProjectFilter {
                q: Some("新能源".into()),
                ..Default::default()
            },
        ),
        (
            "tag, office",
            &office,
            ProjectFilter {
                tag: Some("special_bond".into()),
                ..Default::default()
            },
        ),
        ("county user, own scope", &county, ProjectFilter::default()),
    ];
    for (label, actor, f) in &filters {
        let mut v = Vec::new();
        for _ in 0..(runs * 20) {
            let t = Instant::now();
            let r = project::list(&db, actor, f, Page::new(Some(3), Some(20))).await?;
            v.push(t.elapsed());
            std::hint::black_box(r);
        }
        println!("  {label}: p50 {}", ms(median(v)));
    }

    // 3. Export every project to xlsx.
    let mut v = Vec::new();
    let mut size = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let x =
            gongjian_web::project::ledger::export(&db, &office, &ProjectFilter::default(), "xlsx")
                .await?;
        v.push(t.elapsed());
        size = x.bytes.len();
    }
    println!(
        "export: {projects} projects to xlsx ({size} bytes): median {}",
        ms(median(v))
    );
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
