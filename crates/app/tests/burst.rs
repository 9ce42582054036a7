//! Never lose a report: many clients submit monthly reports over HTTP (sessions, CSRF,
//! every submit check) to the real binary; the server is killed with SIGKILL at a
//! random moment of the burst and started again; every report that got a 2xx answer
//! must be there, submitted, with the figures and text that were sent, its version and
//! its audit record. On SQLite and PostgreSQL.

mod common;
use common::serve_demo as start;
use gongjian_store::on_db;
use gongjian_store::testing::TestDb;
use serde_json::{Value, json};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Signs in through the API; returns (cookie, csrf).
async fn login(http: &reqwest::Client, base: &str) -> (String, String) {
    let r = http
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"username": "office", "password": gongjian::demo::password()}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "login: {}", r.status());
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("gj_session="))
        .map(|c| c.split(';').next().unwrap().to_string())
        .expect("session cookie");
    let body: Value = r.json().await.unwrap();
    (cookie, body["csrf_token"].as_str().unwrap().to_string())
}

/// What the server acknowledged: project, amount in 万元, text.
type Ack = (i64, String, String);

async fn burst(engine: &str) {
    let t = TestDb::new(engine).await.unwrap();
    let server = start(&t.url);
    let http = reqwest::Client::new();
    let (cookie, csrf) = login(&http, &server.base).await;

    // A fresh period: the month after the newest the demo opened.
    let periods: Value = http
        .get(format!("{}/api/v1/periods", server.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (y, m) = (
        periods[0]["year"].as_i64().unwrap(),
        periods[0]["month"].as_i64().unwrap(),
    );
    let (py, pm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let period = format!("{py}-{pm:02}");
    let r = http
        .post(format!("{}/api/v1/periods", server.base))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&json!({"period": period}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "open {period}: {}", r.status());

    let ids: Vec<i64> = on_db!(&t.db, c => sqlx::query_scalar("SELECT id FROM project WHERE active = TRUE AND stage IN ('preparation', 'construction') ORDER BY id").fetch_all(c).await).unwrap();
    assert!(ids.len() >= 100, "the demo city has projects to report");

    // Kill after a random number of acknowledgements, while the others are in flight.
    let seed = u64::from_str_radix(&gongjian_store::random_token()[..8], 16).unwrap_or(7);
    let kill_at = 20 + (seed % (ids.len() as u64 / 2)) as usize;
    let clients = 16;
    let acked = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (cookie, csrf) = login(&http, &server.base).await;
        let mine: Vec<i64> = ids.iter().copied().skip(c).step_by(clients).collect();
        let (http, base, period, acked) = (
            http.clone(),
            server.base.clone(),
            period.clone(),
            acked.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut ok: Vec<Ack> = Vec::new();
            let mut refused = 0;
            for pid in mine {
                let amount = format!("{}.{:02}", pid % 50 + 1, pid % 100);
                let text = format!("突击测试：第 {pid} 号项目本月完成主体结构施工");
                let body = json!({
                    "action": "submit",
                    "month_amount_wan": amount,
                    "progress_text": text,
                    "started": true,
                    "start_date": "2025-03-01",
                    "next_steps": "下月完成主体封顶",
                    "note": "突击测试",
                });
                let r = http
                    .put(format!("{base}/api/v1/reports/{pid}/{period}"))
                    .header("cookie", &cookie)
                    .header("x-csrf-token", &csrf)
                    .json(&body)
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status().is_success() => {
                        // The acknowledgement is the status line and a complete body.
                        if r.json::<Value>().await.is_ok() {
                            ok.push((pid, amount, text));
                            acked.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    Ok(r) => {
                        let s = r.status();
                        let body = r.text().await.unwrap_or_default();
                        panic!("project {pid} refused with {s}: {body}");
                    }
                    // The server is gone: the rest of this client's reports fail.
                    Err(_) => refused += 1,
                }
            }
            (ok, refused)
        }));
    }
    let mut server = server;
    for _ in 0..6000 {
        if acked.load(Ordering::SeqCst) >= kill_at {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    // SIGKILL: no shutdown, no flushing.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let mut acks: Vec<Ack> = Vec::new();
    let mut failed = 0;
    for task in tasks {
        let (ok, refused) = task.await.unwrap();
        acks.extend(ok);
        failed += refused;
    }
    assert!(
        acks.len() >= kill_at.min(ids.len()),
        "{} acknowledged before the kill at {kill_at}",
        acks.len()
    );
    assert!(failed > 0, "the kill landed inside the burst");
    eprintln!(
        "{engine}: {} reports acknowledged, {failed} cut off by SIGKILL after {kill_at}",
        acks.len()
    );

    // Restart on the same database: every acknowledged report is there, complete.
    let server = start(&t.url);
    let (cookie, _) = login(&http, &server.base).await;
    let rows: Vec<(i64, String, i64, String)> = on_db!(&t.db, c => sqlx::query_as("SELECT project_id, status, month_amount, progress_text FROM report WHERE year = $1 AND month = $2").bind(py).bind(pm).fetch_all(c).await).unwrap();
    let stored: std::collections::HashMap<i64, (String, i64, String)> = rows
        .into_iter()
        .map(|(p, s, a, t)| (p, (s, a, t)))
        .collect();
    for (pid, amount, text) in &acks {
        let (status, cents, stored_text) = stored
            .get(pid)
            .unwrap_or_else(|| panic!("acknowledged report of project {pid} lost"));
        assert_eq!(status, "submitted", "project {pid}");
        let (w, f) = amount.split_once('.').unwrap();
        // Amounts are stored in yuan.
        let yuan = w.parse::<i64>().unwrap() * 10_000 + f.parse::<i64>().unwrap() * 100;
        assert_eq!(*cents, yuan, "project {pid} amount");
        assert_eq!(stored_text, text, "project {pid} text");
    }
    // Nothing half-written either: every stored report of the burst (acknowledged or
    // cut off after its commit) is submitted and has exactly its one version.
    for (pid, (status, _, _)) in &stored {
        assert_eq!(status, "submitted", "project {pid} stored half-way");
    }
    let versions: i64 = on_db!(&t.db, c => sqlx::query_scalar("SELECT COUNT(*) FROM report_version v JOIN report r ON r.id = v.report_id WHERE r.year = $1 AND r.month = $2").bind(py).bind(pm).fetch_one(c).await).unwrap();
    assert_eq!(
        versions,
        stored.len() as i64,
        "one version per stored report"
    );
    // And the restarted server serves them.
    let (pid, amount, _) = &acks[acks.len() / 2];
    let v: Value = http
        .get(format!("{}/api/v1/reports/{pid}/{period}", server.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "submitted", "{v}");
    assert!(v.to_string().contains(amount.as_str()), "{v}");
    // The audit chain still verifies after the kill.
    let o = Command::new(env!("CARGO_BIN_EXE_gongjian"))
        .args(["--db", &t.url, "audit", "verify"])
        .env_remove("GONGJIAN_DB")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_reports_survive_sigkill_on_sqlite() {
    burst("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_reports_survive_sigkill_on_postgres() {
    burst("postgres").await;
}
