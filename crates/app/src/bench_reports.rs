//! `gongjian bench --suite reports`: monthly reporting figures on a fresh SQLite file —
//! sustained report submissions over HTTP (sessions, CSRF, the full submit checks),
//! recomputing every light, and the lights board at province scale.

use crate::synth;
use gongjian_store::report as rs;
use gongjian_store::{Actor, Db, migrate};
use std::time::{Duration, Instant};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn pct(v: &[Duration], p: f64) -> Duration {
    let mut s = v.to_vec();
    s.sort();
    s[((s.len() as f64 - 1.0) * p).round() as usize]
}

/// Signs in through the API; returns (cookie, csrf).
async fn login(http: &reqwest::Client, base: &str, user: &str, pw: &str) -> Res<(String, String)> {
    let r = http
        .post(format!("{base}/api/v1/session"))
        .json(&serde_json::json!({"username": user, "password": pw}))
        .send()
        .await?;
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("gj_session="))
        .map(|c| c.split(';').next().unwrap_or("").to_string())
        .ok_or("no session cookie")?;
    let body: serde_json::Value = r.json().await?;
    let csrf = body["csrf_token"]
        .as_str()
        .ok_or("no csrf token")?
        .to_string();
    Ok((cookie, csrf))
}

/// Runs the reporting benchmarks.
pub async fn run(projects: usize, runs: usize, submissions: usize, clients: usize) -> Res<()> {
    let dir = std::env::temp_dir().join(format!("gongjian-bench-r-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("reports.db");
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
    }
    let url = format!("sqlite://{}", path.display());
    let db = Db::connect(&url).await?;
    migrate::run(&db).await?;
    let a = Actor::cli();
    synth::ensure_world(&db, &a, true, 1).await?;
    let world = synth::world(&db).await?;
    let (y, m) = crate::report::last_month();
    let t = Instant::now();
    synth::write(
        &db,
        &a,
        &synth::projects(&world, projects, 11, i64::from(y)),
    )
    .await?;
    println!(
        "reports: {projects} projects at province scale generated in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let months = synth::months_back(y, m, 3);
    let t = Instant::now();
    let out = synth::reports(&db, &a, 1, &months).await?;
    println!(
        "  {} reports over {} months generated (two closed with their lights) in {:.1} s",
        out.reports,
        out.periods,
        t.elapsed().as_secs_f64()
    );

    // 1. Recompute every light of the open month: with none stored yet (every light
    //    written), then again with the results unchanged (every light evaluated and
    //    compared, none written).
    let (mut first, mut again) = (Vec::new(), Vec::new());
    let (mut lit, mut written) = (0, 0);
    for _ in 0..runs {
        gongjian_store::exec_db!(&db, c => sqlx::query("DELETE FROM light WHERE year = $1 AND month = $2").bind(i64::from(y)).bind(i64::from(m)).execute(c).await)?;
        let t = Instant::now();
        let s = rs::recompute(&db, &a, y, m).await?;
        first.push(t.elapsed());
        lit = s.projects;
        assert_eq!(s.changed, s.projects);
        let t = Instant::now();
        let s = rs::recompute(&db, &a, y, m).await?;
        again.push(t.elapsed());
        written = s.changed;
    }
    println!(
        "  recompute every light ({lit} projects, rule, inputs and explanation stored), none stored before: median {}",
        ms(median(first))
    );
    println!(
        "  recompute every light again, results unchanged ({written} written): median {}",
        ms(median(again))
    );

    // 2. The lights board: the province's prefectures, one prefecture's counties, the
    //    whole roll-up (every division, level, category).
    let prefecture: String = gongjian_store::on_db!(&db, c => sqlx::query_scalar("SELECT d.code FROM division d WHERE d.parent_id = (SELECT id FROM division WHERE parent_id IS NULL) ORDER BY d.code LIMIT 1").fetch_one(c).await)?;
    for (label, parent) in [
        ("province → prefectures", None),
        ("one prefecture → its counties", Some(prefecture.as_str())),
    ] {
        let mut times = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let (g, _) = rs::division_groups(&db, &a, y, m, parent).await?;
            times.push(t.elapsed());
            assert!(!g.is_empty());
        }
        println!("  lights board, {label}: median {}", ms(median(times)));
    }
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let r = rs::rollup(&db, &a, y, m).await?;
        times.push(t.elapsed());
        assert!(!r.divisions.is_empty());
    }
    println!(
        "  progress roll-up (every division subtree, level, category): median {}",
        ms(median(times))
    );

    // 3. Sustained submissions over HTTP: `clients` concurrent sessions, each submitting
    //    reports of distinct projects for a fresh period, through the JSON API with its
    //    CSRF header and every submit check. One period per run.
    let pw = "Bench-Passw0rd!";
    let mut tx = db.begin().await?;
    let office_unit: String = {
        let c: String = gongjian_store::on_tx!(&mut tx, c => sqlx::query_scalar("SELECT u.code FROM unit u JOIN division d ON d.id = u.governs_division_id WHERE d.parent_id IS NULL").fetch_one(c).await)?;
        c
    };
    gongjian_store::user::create(
        &mut tx,
        &a,
        &gongjian_store::user::UserInput {
            username: "bench".into(),
            name: "基准".into(),
            unit_code: office_unit,
            roles: vec!["office".into()],
            password: Some(pw.into()),
            must_change_password: Some(false),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    let ids: Vec<i64> = gongjian_store::on_db!(&db, c => sqlx::query_scalar("SELECT id FROM project WHERE active = TRUE AND stage IN ('preparation', 'construction') ORDER BY id").fetch_all(c).await)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = gongjian_web::AppState::new(db.clone(), gongjian_web::Config::default());
    let server = tokio::spawn(gongjian_web::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    let n = submissions.min(ids.len());
    let (mut rates, mut p50s, mut p99s) = (Vec::new(), Vec::new(), Vec::new());
    let cal = rs::calendar(&db).await?;
    for run in 0..runs {
        // Periods after the generated ones, one per run.
        let (py, pm) = {
            let k = m as i32 + run as i32 + 1;
            (y + (k - 1) / 12, ((k - 1) % 12 + 1) as u32)
        };
        let mut tx = db.begin().await?;
        rs::open_period(&mut tx, &a, py, pm, None, &cal).await?;
        tx.commit().await?;
        let mut sessions = Vec::new();
        for _ in 0..clients {
            sessions.push(login(&http, &base, "bench", pw).await?);
        }
        let stats_before = db.write_stats();
        let t = Instant::now();
        let mut tasks = Vec::new();
        for (c, (cookie, csrf)) in sessions.into_iter().enumerate() {
            let mine: Vec<i64> = ids[..n].iter().copied().skip(c).step_by(clients).collect();
            let (http, base) = (http.clone(), base.clone());
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::with_capacity(mine.len());
                for pid in mine {
                    let body = serde_json::json!({
                        "action": "submit",
                        "month_amount_wan": format!("{}.{:02}", pid % 900 + 10, pid % 100),
                        "progress_text": format!("基准：第 {pid} 号项目本月主体施工"),
                        "started": true,
                        "start_date": "2025-03-01",
                        "next_steps": "完成主体封顶 2027-06-30",
                    });
                    let t = Instant::now();
                    let r = http
                        .put(format!("{base}/api/v1/reports/{pid}/{py}-{pm:02}"))
                        .header("cookie", &cookie)
                        .header("x-csrf-token", &csrf)
                        .json(&body)
                        .send()
                        .await;
                    let ok = match r {
                        Ok(r) => {
                            r.status().is_success() || {
                                let s = r.status();
                                let txt = r.text().await.unwrap_or_default();
                                // A month far above plan needs a note: that is a correct answer.
                                s == reqwest::StatusCode::UNPROCESSABLE_ENTITY
                                    && txt.contains("\"note\"")
                            }
                        }
                        Err(_) => false,
                    };
                    lat.push((t.elapsed(), ok));
                }
                lat
            }));
        }
        let mut lat = Vec::new();
        for t in tasks {
            lat.extend(t.await?);
        }
        let wall = t.elapsed();
        let failed = lat.iter().filter(|(_, ok)| !ok).count();
        let lat: Vec<Duration> = lat.into_iter().map(|(d, _)| d).collect();
        let rate = lat.len() as f64 / wall.as_secs_f64();
        // How the one writer grouped them: write transactions per SQLite commit.
        let grouped = match (stats_before, db.write_stats()) {
            (Some(a), Some(b)) if b.commits > a.commits => format!(
                ", {} write transactions in {} commits",
                b.transactions - a.transactions,
                b.commits - a.commits
            ),
            _ => String::new(),
        };
        println!(
            "  run {}: {} submissions by {clients} clients in {:.2} s = {:.0}/s, p50 {}, p99 {}, failed {failed}{grouped}",
            run + 1,
            lat.len(),
            wall.as_secs_f64(),
            rate,
            ms(pct(&lat, 0.5)),
            ms(pct(&lat, 0.99))
        );
        rates.push(rate);
        p50s.push(pct(&lat, 0.5));
        p99s.push(pct(&lat, 0.99));
    }
    rates.sort_by(|a, b| a.total_cmp(b));
    println!(
        "  report submissions over HTTP: median {:.0}/s, p50 {}, p99 {} (medians of {runs} runs)",
        rates[rates.len() / 2],
        ms(median(p50s)),
        ms(median(p99s))
    );
    let _ = stop.send(());
    let _ = server.await;
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
