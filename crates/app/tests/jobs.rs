//! Background jobs with two app processes on one PostgreSQL database: escalations,
//! reminders and notification deliveries each happen exactly once. The same world run
//! by one process on SQLite is the reference; the two-process run must match it
//! exactly. Deliveries go to local fake robots and a fake SMTP server on 127.0.0.1,
//! which also check the DingTalk signature and each robot's JSON format.

use chrono::NaiveDate;
use gongjian_domain::project::ProjectInput;
use gongjian_store::division::{self, DivisionInput};
use gongjian_store::problem::{self, RaiseInput};
use gongjian_store::task::{self, TaskInput};
use gongjian_store::testing::TestDb;
use gongjian_store::unit::{self, UnitInput};
use gongjian_store::user::{self, UserInput};
use gongjian_store::{Actor, Db, exec_tx, notify, on_db};
use std::process::Command;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// A city with two districts, a department, a company, a user in each, and problems
/// raised on several past days, plus weekly tasks.
async fn world(db: &Db) {
    let a = Actor::cli();
    let mut tx = db.begin().await.unwrap();
    for (code, name, kind, parent) in [
        ("370100", "示例市", "city", None),
        ("370102", "东城区", "district", Some("370100")),
        ("370103", "西城区", "district", Some("370100")),
    ] {
        division::create(
            &mut tx,
            &a,
            &DivisionInput {
                code: code.into(),
                name: name.into(),
                kind: kind.into(),
                parent_code: parent.map(Into::into),
            },
        )
        .await
        .unwrap();
    }
    for (code, name, kind, div) in [
        ("fgw", "示例市发展和改革委员会", "department", "370100"),
        ("qy", "示例新能源有限公司", "company", "370102"),
    ] {
        unit::create(
            &mut tx,
            &a,
            &UnitInput {
                code: code.into(),
                name: name.into(),
                kind: kind.into(),
                division_code: div.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    for (u, unit, role) in [
        ("c", "370100", "leader"),
        ("e", "370102", "division"),
        ("w", "370103", "division"),
        ("f", "fgw", "department"),
        ("q", "qy", "project_unit"),
    ] {
        user::create(
            &mut tx,
            &a,
            &UserInput {
                username: u.into(),
                name: u.into(),
                unit_code: unit.into(),
                roles: vec![role.into()],
                password: Some("Passw0rd!x".into()),
                must_change_password: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    let mut projects = Vec::new();
    for (name, div) in [("东城项目", "东城区"), ("西城项目", "西城区")] {
        let p = gongjian_store::project::create(
            &mut tx,
            &a,
            &ProjectInput {
                name: name.into(),
                level: "市重点".into(),
                category: "产业项目".into(),
                nature: "新建".into(),
                stage: "在建".into(),
                division: div.into(),
                responsible_unit: Some("fgw".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        projects.push(p.id);
    }
    let start = d("2026-09-01");
    for i in 0..40u64 {
        let on = start + chrono::Days::new(i * 2);
        problem::raise(
            &mut tx,
            &a,
            &RaiseInput {
                project_id: projects[(i % 2) as usize],
                category: ["land", "permits", "funding", "utilities"][(i % 4) as usize].into(),
                description: format!("第 {i} 个问题的描述"),
                ..Default::default()
            },
            on,
        )
        .await
        .unwrap();
    }
    for (i, lead) in ["370102", "370103", "fgw"].iter().enumerate() {
        task::issue(
            &mut tx,
            &a,
            &TaskInput {
                title: format!("任务 {i}"),
                lead_unit: (*lead).into(),
                deadline: "2026-11-20".into(),
                rhythm: Some("weekly".into()),
                ..Default::default()
            },
            d("2026-10-01"),
        )
        .await
        .unwrap();
    }
    exec_tx!(&mut tx, c => sqlx::query("UPDATE app_user SET email = username || '@example.gov.cn'").execute(c).await).unwrap();
    tx.commit().await.unwrap();
}

async fn count(db: &Db, sql: &'static str) -> i64 {
    on_db!(db, c => sqlx::query_scalar::<_, i64>(sql).fetch_one(c).await).unwrap()
}

/// What the jobs left behind, to compare runs.
async fn outcome(db: &Db) -> Vec<i64> {
    vec![
        count(
            db,
            "SELECT COUNT(*) FROM problem_step WHERE action = 'escalate'",
        )
        .await,
        count(
            db,
            "SELECT CAST(COALESCE(SUM(escalations), 0) AS BIGINT) FROM problem",
        )
        .await,
        count(db, "SELECT COUNT(*) FROM problem WHERE tier = 3").await,
        count(db, "SELECT COUNT(*) FROM notice").await,
        count(db, "SELECT COUNT(*) FROM job_once").await,
        count(db, "SELECT COUNT(*) FROM outbox").await,
    ]
}

const DAYS: [&str; 4] = ["2026-10-09", "2026-10-20", "2026-11-10", "2026-11-25"];

/// A fake HTTP robot: records each request line and body, answers like DingTalk/WeCom.
async fn fake_robot(log: Arc<Mutex<Vec<(String, String)>>>) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((s, _)) = l.accept().await else { break };
            let log = log.clone();
            tokio::spawn(async move {
                let mut r = BufReader::new(s);
                let mut first = String::new();
                r.read_line(&mut first).await.unwrap();
                let mut len = 0;
                loop {
                    let mut h = String::new();
                    r.read_line(&mut h).await.unwrap();
                    if h == "\r\n" || h.is_empty() {
                        break;
                    }
                    if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0; len];
                r.read_exact(&mut body).await.unwrap();
                log.lock()
                    .unwrap()
                    .push((first.trim().to_string(), String::from_utf8(body).unwrap()));
                let ok = r#"{"errcode":0,"errmsg":"ok"}"#;
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{ok}",
                    ok.len()
                );
                r.get_mut().write_all(resp.as_bytes()).await.unwrap();
            });
        }
    });
    format!("http://{addr}")
}

/// A fake SMTP server: counts the messages accepted and keeps their recipients.
async fn fake_smtp(log: Arc<Mutex<Vec<String>>>) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((s, _)) = l.accept().await else { break };
            let log = log.clone();
            tokio::spawn(async move {
                let mut r = BufReader::new(s);
                r.get_mut().write_all(b"220 fake ESMTP\r\n").await.unwrap();
                let mut rcpt = String::new();
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        break;
                    }
                    let up = line.to_ascii_uppercase();
                    let reply: &[u8] = if up.starts_with("EHLO") {
                        b"250-fake\r\n250 8BITMIME\r\n"
                    } else if up.starts_with("RCPT TO") {
                        rcpt = line.trim().to_string();
                        b"250 OK\r\n"
                    } else if up.starts_with("DATA") {
                        r.get_mut().write_all(b"354 go ahead\r\n").await.unwrap();
                        loop {
                            let mut l2 = String::new();
                            r.read_line(&mut l2).await.unwrap();
                            if l2 == ".\r\n" {
                                break;
                            }
                        }
                        log.lock().unwrap().push(rcpt.clone());
                        b"250 queued\r\n"
                    } else if up.starts_with("QUIT") {
                        r.get_mut().write_all(b"221 bye\r\n").await.unwrap();
                        break;
                    } else {
                        b"250 OK\r\n"
                    };
                    r.get_mut().write_all(reply).await.unwrap();
                }
            });
        }
    });
    format!("smtp://{addr}")
}

fn run_once(url: &str, day: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_gongjian"))
        .args(["--db", url, "jobs", "run-once", "--today", day, "--json"])
        .env_remove("GONGJIAN_DB")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("binary runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_postgres_do_each_job_exactly_once() {
    // The reference: one process, SQLite, the store's job runner.
    let reference = TestDb::new("sqlite").await.unwrap();
    world(&reference.db).await;
    let mut expected = Vec::new();
    for day in DAYS {
        gongjian_store::jobs::run_due(&reference.db, d(day))
            .await
            .unwrap();
        expected.push(outcome(&reference.db).await);
    }
    assert!(
        expected[0][0] > 0 && expected[3][2] > 0,
        "the scenario escalates: {expected:?}"
    );

    let t = TestDb::new("postgres").await.unwrap();
    world(&t.db).await;
    let robot_log = Arc::new(Mutex::new(Vec::new()));
    let smtp_log = Arc::new(Mutex::new(Vec::new()));
    let robot = fake_robot(robot_log.clone()).await;
    let smtp = fake_smtp(smtp_log.clone()).await;
    let cli = Actor::cli();
    let mut tx = t.db.begin().await.unwrap();
    notify::add_channel(
        &mut tx,
        &cli,
        "dingtalk",
        "钉钉",
        &format!("{robot}/robot/send?access_token=abc"),
        "SECtest",
    )
    .await
    .unwrap();
    notify::add_channel(
        &mut tx,
        &cli,
        "wecom",
        "企业微信",
        &format!("{robot}/cgi-bin/webhook/send?key=k1"),
        "",
    )
    .await
    .unwrap();
    notify::add_channel(
        &mut tx,
        &cli,
        "email",
        "邮件",
        &smtp,
        "gongjian@example.gov.cn",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // The reference has no channels; outbox rows are compared separately below.
    for (i, day) in DAYS.iter().enumerate() {
        let (a, b) = (run_once(&t.url, day), run_once(&t.url, day));
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
        assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
        let ja: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
        let jb: serde_json::Value = serde_json::from_slice(&b.stdout).unwrap();
        let got = outcome(&t.db).await;
        assert_eq!(
            got[..5],
            expected[i][..5],
            "day {day}: escalations, notices and job keys as with one process"
        );
        // The two processes split the work; together they did it once.
        let before = if i == 0 {
            vec![0; 6]
        } else {
            expected[i - 1].clone()
        };
        assert_eq!(
            ja["jobs"]["escalated"].as_i64().unwrap() + jb["jobs"]["escalated"].as_i64().unwrap(),
            expected[i][0] - before[0],
            "day {day}: {ja} {jb}"
        );
    }
    // Every escalation step is unique per problem and day.
    assert_eq!(
        count(&t.db, "SELECT COUNT(*) FROM (SELECT problem_id, on_date FROM problem_step WHERE action = 'escalate' GROUP BY problem_id, on_date HAVING COUNT(*) > 1) x").await,
        0
    );
    // Each outbox message was delivered exactly once: every row sent, as many robot
    // requests and e-mails as rows.
    let rows = count(&t.db, "SELECT COUNT(*) FROM outbox").await;
    let sent = count(&t.db, "SELECT COUNT(*) FROM outbox WHERE status = 'sent'").await;
    let robots = count(
        &t.db,
        "SELECT COUNT(*) FROM outbox WHERE channel <> 'email'",
    )
    .await;
    let mails = count(&t.db, "SELECT COUNT(*) FROM outbox WHERE channel = 'email'").await;
    assert!(rows > 0);
    assert_eq!(sent, rows, "all delivered");
    let log = robot_log.lock().unwrap().clone();
    assert_eq!(log.len() as i64, robots, "one request per robot message");
    assert_eq!(
        smtp_log.lock().unwrap().len() as i64,
        mails,
        "one e-mail per message"
    );
    // Robot messages in each robot's format; DingTalk signed.
    let ding: Vec<&(String, String)> = log
        .iter()
        .filter(|(l, _)| l.contains("/robot/send"))
        .collect();
    let wecom: Vec<&(String, String)> = log
        .iter()
        .filter(|(l, _)| l.contains("/cgi-bin/webhook/send?key=k1"))
        .collect();
    assert_eq!(ding.len() + wecom.len(), log.len());
    assert!(!ding.is_empty() && ding.len() == wecom.len());
    for (line, body) in &ding {
        assert!(line.contains("access_token=abc&timestamp="), "{line}");
        let q = line.split_whitespace().nth(1).unwrap();
        let ts: i64 = q
            .split("timestamp=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let sign = q.split("sign=").nth(1).unwrap();
        assert_eq!(sign, gongjian::deliver::dingtalk_sign("SECtest", ts));
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["msgtype"], "text");
        assert!(
            v["text"]["content"]
                .as_str()
                .unwrap()
                .starts_with("【攻坚】")
        );
    }
    let v: serde_json::Value = serde_json::from_str(&wecom[0].1).unwrap();
    assert_eq!(v["msgtype"], "text");
    // Addresses were hidden nowhere they should not be: the e-mails went to users.
    assert!(
        smtp_log
            .lock()
            .unwrap()
            .iter()
            .all(|r| r.contains("@example.gov.cn"))
    );

    // The CLI lists what is overdue with the fields scripts rely on.
    let out = Command::new(env!("CARGO_BIN_EXE_gongjian"))
        .args([
            "--db",
            &t.url,
            "problems",
            "list",
            "--overdue",
            "--json",
            "--today",
            "2026-11-25",
        ])
        .env_remove("GONGJIAN_DB")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = v.as_array().unwrap();
    assert!(!items.is_empty());
    for i in items {
        for k in ["id", "status", "unit", "deadline", "overdue_days", "tier"] {
            assert!(i.get(k).is_some(), "{k} missing in {i}");
        }
        assert!(i["overdue_days"].as_i64().unwrap() > 0);
        assert_eq!(
            i["tier"], "city",
            "everything overdue long enough has reached the city"
        );
    }
    let out = Command::new(env!("CARGO_BIN_EXE_gongjian"))
        .args([
            "--db",
            &t.url,
            "tasks",
            "list",
            "--overdue",
            "--json",
            "--today",
            "2026-11-25",
        ])
        .env_remove("GONGJIAN_DB")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);
    assert_eq!(v[0]["overdue_days"], 5);
    assert!(v[0].get("tier").is_some() && v[0].get("unit").is_some());
}
