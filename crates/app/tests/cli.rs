//! The `gongjian` binary as operators use it: migrate, import divisions, add users,
//! verify the audit chain (and catch tampering) on both engines.

use gongjian_store::testing::TestDb;
use gongjian_store::{Db, exec_db, on_db};
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn gongjian(db: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gongjian"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("GONGJIAN_DB")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn temp_file(name: &str, content: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "gongjian-cli-{}",
        gongjian_store::random_token()[..10].to_owned()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

async fn count(db: &Db, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    on_db!(db, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone())).fetch_one(c).await)
        .unwrap()
}

const TABLE: &str = "code,name,parent_code,kind\n990102,东城区,990100,district\n990100,示例市,,city\n990102001,东关街道,990102,town\n990171,高新区,990100,zone\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_and_import_divisions_are_idempotent() {
    let t = TestDb::empty("sqlite").await.unwrap();
    for _ in 0..2 {
        let o = gongjian(&t.url, &["migrate"], None);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let csv = temp_file("divisions.csv", TABLE.as_bytes());
    let o = gongjian(
        &t.url,
        &["import", "divisions", csv.to_str().unwrap()],
        None,
    );
    assert!(
        o.status.success(),
        "{}{}",
        stdout(&o),
        String::from_utf8_lossy(&o.stderr)
    );
    let r: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        (r["imported"].as_i64(), r["updated"].as_i64()),
        (Some(4), Some(0))
    );
    // Again, with a renamed zone: updates, never duplicates.
    let csv2 = temp_file(
        "divisions.csv",
        TABLE.replace("高新区", "高新技术产业开发区").as_bytes(),
    );
    let o = gongjian(
        &t.url,
        &["import", "divisions", csv2.to_str().unwrap()],
        None,
    );
    let r: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        (r["imported"].as_i64(), r["updated"].as_i64()),
        (Some(0), Some(4))
    );
    assert_eq!(count(&t.db, "division").await, 4);
    let name: String = on_db!(&t.db, c => sqlx::query_scalar("SELECT name FROM unit WHERE code = '990171'").fetch_one(c).await).unwrap();
    assert_eq!(name, "高新技术产业开发区管理委员会");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_from_xlsx_with_a_title_row() {
    let t = TestDb::new("sqlite").await.unwrap();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write(0, 0, "示例市行政区划表").unwrap();
    for (c, h) in ["区划代码", "名称", "上级代码", "类型"].iter().enumerate() {
        ws.write(1, c as u16, *h).unwrap();
    }
    // Codes typed as numbers, as Excel users do.
    ws.write(2, 0, 990100).unwrap();
    ws.write(2, 1, "示例市").unwrap();
    ws.write(2, 3, "市").unwrap();
    ws.write(3, 0, 990121).unwrap();
    ws.write(3, 1, "青川县").unwrap();
    ws.write(3, 2, 990100).unwrap();
    ws.write(3, 3, "县").unwrap();
    let path = temp_file("divisions.xlsx", &wb.save_to_buffer().unwrap());
    let o = gongjian(
        &t.url,
        &["import", "divisions", path.to_str().unwrap()],
        None,
    );
    assert!(o.status.success(), "{}", stdout(&o));
    assert_eq!(count(&t.db, "division").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tables_write_nothing_and_name_row_and_column() {
    let t = TestDb::new("sqlite").await.unwrap();
    let bad = "code,name,parent_code,kind\n990100,示例市,,city\n99010X,坏区,990100,district\n990103,,990100,district\n990104,孤区,990999,district\n990100,重复市,,city\n990105,乡,990100,town\n";
    let f = temp_file("bad.csv", bad.as_bytes());
    let o = gongjian(&t.url, &["import", "divisions", f.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(1));
    let r: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let errs: Vec<(i64, String)> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["column"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        errs,
        vec![
            (3, "code".into()),
            (4, "name".into()),
            (5, "parent_code".into()),
            (6, "code".into()),
            (7, "parent_code".into())
        ],
        "{r}"
    );
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("格式不对")
    );
    assert_eq!(r["imported"], 0);
    assert_eq!(count(&t.db, "division").await, 0, "all or nothing");
    // A dry run of a good table writes nothing either.
    let good = temp_file("good.csv", TABLE.as_bytes());
    let o = gongjian(
        &t.url,
        &["import", "divisions", good.to_str().unwrap(), "--dry-run"],
        None,
    );
    assert!(o.status.success());
    assert_eq!(count(&t.db, "division").await, 0);
    let o = gongjian(
        &t.url,
        &[
            "import",
            "divisions",
            temp_file("x.pdf", b"%PDF").to_str().unwrap(),
        ],
        None,
    );
    assert!(stdout(&o).contains("不支持的文件类型"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_add_reads_the_password_from_stdin() {
    let t = TestDb::new("sqlite").await.unwrap();
    let csv = temp_file("d.csv", TABLE.as_bytes());
    assert!(
        gongjian(
            &t.url,
            &["import", "divisions", csv.to_str().unwrap()],
            None
        )
        .status
        .success()
    );
    let o = gongjian(
        &t.url,
        &[
            "user",
            "add",
            "--username",
            "ops",
            "--name",
            "运维",
            "--unit",
            "990100",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some("Ops#2026pass\n"),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let must: bool = on_db!(&t.db, c => sqlx::query_scalar("SELECT must_change_password FROM app_user WHERE username = 'ops'").fetch_one(c).await).unwrap();
    assert!(!must, "automation accounts need not change their password");
    let o = gongjian(
        &t.url,
        &[
            "user",
            "add",
            "--username",
            "x",
            "--name",
            "X",
            "--unit",
            "990100",
            "--role",
            "emperor",
            "--password-stdin",
        ],
        Some("Ops#2026pass\n"),
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("emperor"));
    let o = gongjian(
        &t.url,
        &[
            "user",
            "add",
            "--username",
            "y",
            "--name",
            "Y",
            "--unit",
            "990100",
            "--role",
            "office",
            "--password-stdin",
            "--must-change-password",
        ],
        Some("weak\n"),
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("密码至少"));
}

async fn tamper_is_found(engine: &str) {
    let t = TestDb::new(engine).await.unwrap();
    let csv = temp_file("d.csv", TABLE.as_bytes());
    assert!(
        gongjian(
            &t.url,
            &["import", "divisions", csv.to_str().unwrap()],
            None
        )
        .status
        .success()
    );
    let o = gongjian(&t.url, &["audit", "verify"], None);
    assert!(
        o.status.success() && stdout(&o).contains("4 records verified"),
        "{}",
        stdout(&o)
    );
    exec_db!(&t.db, c => sqlx::query("UPDATE audit_log SET actor_name = 'someone else' WHERE id = 2").execute(c).await).unwrap();
    let o = gongjian(&t.url, &["audit", "verify"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("record 2"), "{}", stdout(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_finds_tampering_on_sqlite() {
    tamper_is_found("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_finds_tampering_on_postgres() {
    tamper_is_found("postgres").await;
}

fn fixture(name: &str) -> String {
    format!(
        "{}/../office/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn json_of(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|_| {
        panic!(
            "not JSON: {}\n{}",
            stdout(o),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

async fn project_ledger_round_trip(engine: &str) {
    let t = TestDb::new(engine).await.unwrap();
    let csv = temp_file("divisions.csv", TABLE.as_bytes());
    assert!(
        gongjian(
            &t.url,
            &["import", "divisions", csv.to_str().unwrap()],
            None
        )
        .status
        .success()
    );
    let county = fixture("county_two_row_header.xlsx");
    // A dry run reports and writes nothing.
    let o = gongjian(
        &t.url,
        &["import", "projects", &county, "--dry-run", "--json"],
        None,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = json_of(&o);
    assert_eq!(
        (
            v["imported"].as_i64(),
            v["updated"].as_i64(),
            v["skipped"].as_i64()
        ),
        (Some(3), Some(0), Some(0)),
        "{v}"
    );
    assert_eq!(count(&t.db, "project").await, 0);
    // The import, then again: nothing duplicated.
    let v = json_of(&gongjian(
        &t.url,
        &["import", "projects", &county, "--json"],
        None,
    ));
    assert_eq!(
        (v["imported"].as_i64(), v["errors"].as_array().map(Vec::len)),
        (Some(3), Some(0)),
        "{v}"
    );
    let o = gongjian(&t.url, &["import", "projects", &county, "--json"], None);
    assert!(o.status.success());
    let v = json_of(&o);
    assert_eq!(
        (
            v["imported"].as_i64(),
            v["updated"].as_i64(),
            v["skipped"].as_i64()
        ),
        (Some(0), Some(0), Some(3)),
        "{v}"
    );
    assert_eq!(count(&t.db, "project").await, 3);
    let v = json_of(&gongjian(
        &t.url,
        &["import", "projects", &county, "--dry-run"],
        None,
    ));
    assert_eq!(
        (
            v["imported"].as_i64(),
            v["updated"].as_i64(),
            v["skipped"].as_i64()
        ),
        (Some(0), Some(0), Some(3)),
        "a preview of a re-import: {v}"
    );
    // Errors: exit non-zero, every error by sheet, row and column, nothing written.
    let o = gongjian(
        &t.url,
        &[
            "import",
            "projects",
            &fixture("city_two_sheets_yi.xlsx"),
            "--sheet",
            "产业项目",
            "--json",
        ],
        None,
    );
    assert!(!o.status.success());
    let v = json_of(&o);
    let e = &v["errors"][0];
    assert_eq!(
        (e["sheet"].as_str(), e["row"].as_i64(), e["column"].as_str()),
        (Some("产业项目"), Some(2), Some("包保领导（H）")),
        "{v}"
    );
    assert!(e["message"].as_str().unwrap().contains("王示范"));
    assert_eq!(count(&t.db, "project").await, 3);
    // JSON to standard output with the documented fields.
    let o = gongjian(
        &t.url,
        &["export", "projects", "--format", "json", "--out", "-"],
        None,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = json_of(&o);
    let p = v
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "年产５万吨新材料项目")
        .unwrap();
    for key in [
        "code",
        "name",
        "division_code",
        "division_name",
        "level",
        "stage",
        "total_investment_wan",
        "annual_plan_wan",
        "started",
        "contact_leader",
    ] {
        assert!(p.get(key).is_some(), "{key} missing in {p}");
    }
    assert_eq!(p["total_investment_wan"], "12500.00");
    assert_eq!(p["division_name"], "东城区");
    assert_eq!(p["started"], true);
    // xlsx out and back in: nothing changes.
    let dir = temp_file("x", b"").parent().unwrap().to_path_buf();
    let out = dir.join("projects.xlsx");
    let o = gongjian(
        &t.url,
        &[
            "export",
            "projects",
            "--format",
            "xlsx",
            "--out",
            out.to_str().unwrap(),
        ],
        None,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let audit_before = count(&t.db, "audit_log").await;
    let v = json_of(&gongjian(
        &t.url,
        &["import", "projects", out.to_str().unwrap()],
        None,
    ));
    assert_eq!(
        (
            v["imported"].as_i64(),
            v["updated"].as_i64(),
            v["skipped"].as_i64()
        ),
        (Some(0), Some(0), Some(3)),
        "{v}"
    );
    assert_eq!(
        count(&t.db, "audit_log").await,
        audit_before,
        "a round trip writes nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn project_ledger_cli_round_trip_sqlite() {
    project_ledger_round_trip("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn project_ledger_cli_round_trip_postgres() {
    project_ledger_round_trip("postgres").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gen_is_deterministic_for_a_seed() {
    let mut exports = Vec::new();
    for _ in 0..2 {
        let t = TestDb::empty("sqlite").await.unwrap();
        let o = gongjian(
            &t.url,
            &["gen", "--scale", "city", "--seed", "5", "--projects", "150"],
            None,
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let o = gongjian(&t.url, &["export", "projects", "--out", "-"], None);
        let mut v = json_of(&o);
        for p in v.as_array_mut().unwrap() {
            p.as_object_mut().unwrap().remove("updated_at");
        }
        assert_eq!(v.as_array().unwrap().len(), 150);
        let milestones: i64 = on_db!(&t.db, c => sqlx::query_scalar("SELECT COUNT(*) FROM milestone").fetch_one(c).await).unwrap();
        assert_eq!(milestones, 600, "four milestones per project");
        let divisions = count(&t.db, "division").await;
        assert_eq!(divisions, 20, "a city of about 20 divisions");
        exports.push(v);
    }
    assert_eq!(exports[0], exports[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_reports_previews_then_submits_and_exports_the_progress_table() {
    let t = TestDb::empty("sqlite").await.unwrap();
    let o = gongjian(
        &t.url,
        &[
            "gen",
            "--scale",
            "city",
            "--seed",
            "3",
            "--projects",
            "60",
            "--months",
            "2",
        ],
        None,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The month after the newest period.
    let list = stdout(&gongjian(&t.url, &["period", "list"], None));
    let newest = list
        .lines()
        .next()
        .unwrap()
        .split('\t')
        .next()
        .unwrap()
        .to_string();
    let (y, m): (i32, u32) = (newest[..4].parse().unwrap(), newest[5..].parse().unwrap());
    let period = if m == 12 {
        format!("{}-01", y + 1)
    } else {
        format!("{y}-{:02}", m + 1)
    };
    let o = gongjian(&t.url, &["period", "open", &period], None);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let two: Vec<(String, String, String)> = on_db!(&t.db, c => sqlx::query_as("SELECT p.code, p.name, d.name FROM project p JOIN division d ON d.id = p.division_id WHERE p.stage IN ('preparation', 'construction') AND p.code IS NOT NULL ORDER BY p.id LIMIT 2").fetch_all(c).await).unwrap();
    assert_eq!(two.len(), 2);

    // A unit's sheet: title, unit row, two-row header, a section row, a total row, one
    // project by code, one by name and division, one that does not exist.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write(0, 0, format!("{period} 重点项目进展情况"))
        .unwrap();
    ws.write(1, 0, "单位：万元").unwrap();
    for (c, h) in [
        "序号",
        "项目名称",
        "项目代码",
        "所在地",
        "投资完成",
        "",
        "形象进度",
        "下步计划",
        "备注",
        "填报人",
    ]
    .iter()
    .enumerate()
    {
        ws.write(2, c as u16, *h).unwrap();
    }
    ws.merge_range(2, 4, 2, 5, "投资完成", &rust_xlsxwriter::Format::new())
        .unwrap();
    ws.write(3, 4, "本月完成").unwrap();
    ws.write(3, 5, "年度计划").unwrap();
    ws.write(4, 0, "一、产业项目（3个）").unwrap();
    let rows: [(&str, &str, &str, &str); 3] = [
        (two[0].1.as_str(), two[0].0.as_str(), "", "12.5"),
        (two[1].1.as_str(), "", two[1].2.as_str(), "8"),
        ("不存在的项目", "", "", "3"),
    ];
    for (i, (name, code, div, amount)) in rows.iter().enumerate() {
        let r = 5 + i as u32;
        ws.write(r, 0, i as u32 + 1).unwrap();
        ws.write(r, 1, *name).unwrap();
        ws.write(r, 2, *code).unwrap();
        ws.write(r, 3, *div).unwrap();
        ws.write(r, 4, *amount).unwrap();
        ws.write(r, 6, "主体结构施工").unwrap();
        ws.write(r, 7, "完成主体封顶").unwrap();
        ws.write(r, 8, "按进度推进").unwrap();
    }
    ws.write(8, 0, "合计").unwrap();
    let path = temp_file("reports.xlsx", &wb.save_to_buffer().unwrap());
    let file = path.to_str().unwrap();

    // Preview: the bad row named by row and column; nothing written.
    let o = gongjian(
        &t.url,
        &[
            "import",
            "reports",
            file,
            "--period",
            &period,
            "--dry-run",
            "--json",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "errors fail the run");
    let v = json_of(&o);
    assert_eq!(v["rows"], 3);
    assert_eq!(v["errors"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["errors"][0]["row"], 8);
    assert_eq!(v["errors"][0]["column"], "项目名称（B）");
    assert_eq!(
        v["skipped_rows"].as_array().unwrap().len(),
        2,
        "section and total rows"
    );
    assert_eq!(
        v["unmatched_columns"][0]["header"], "投资完成/年度计划",
        "the merged group carried over: {v}"
    );
    assert_eq!(v["unmatched_columns"][1]["header"], "填报人", "{v}");
    let stored = |t: &TestDb| {
        let db = t.db.clone();
        let (y, m) = (
            period[..4].parse::<i64>().unwrap(),
            period[5..].parse::<i64>().unwrap(),
        );
        async move {
            let n: i64 = on_db!(&db, c => sqlx::query_scalar("SELECT COUNT(*) FROM report WHERE year = $1 AND month = $2 AND status = 'submitted'").bind(y).bind(m).fetch_one(c).await).unwrap();
            n
        }
    };
    assert_eq!(stored(&t).await, 0);

    // Valid rows only: the two projects are submitted, 12.5 万元 stored in yuan.
    let o = gongjian(
        &t.url,
        &[
            "import",
            "reports",
            file,
            "--period",
            &period,
            "--valid-only",
        ],
        None,
    );
    assert!(o.status.success(), "{}", stdout(&o));
    let v = json_of(&o);
    assert_eq!(
        (v["imported"].as_i64(), v["written"].as_bool()),
        (Some(2), Some(true)),
        "{v}"
    );
    assert_eq!(stored(&t).await, 2);
    let amount: i64 = on_db!(&t.db, c => sqlx::query_scalar("SELECT r.month_amount FROM report r JOIN project p ON p.id = r.project_id WHERE p.code = $1 ORDER BY r.year DESC, r.month DESC LIMIT 1").bind(two[0].0.clone()).fetch_one(c).await).unwrap();
    assert_eq!(amount, 125_000);
    // Again: unchanged, nothing duplicated.
    let v = json_of(&gongjian(
        &t.url,
        &[
            "import",
            "reports",
            file,
            "--period",
            &period,
            "--valid-only",
        ],
        None,
    ));
    assert_eq!(
        (v["imported"].as_i64(), v["skipped"].as_i64()),
        (Some(0), Some(3)),
        "{v}"
    );
    assert_eq!(stored(&t).await, 2);

    // The progress table of the period, lights coloured, read back.
    assert!(
        gongjian(&t.url, &["period", "lights", &period], None)
            .status
            .success()
    );
    let out = std::env::temp_dir().join(format!(
        "progress-{}.xlsx",
        &gongjian_store::random_token()[..8]
    ));
    let o = gongjian(
        &t.url,
        &[
            "export",
            "progress",
            "--period",
            &period,
            "--out",
            out.to_str().unwrap(),
        ],
        None,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let table = gongjian_office::table::read(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    assert!(table.rows[0][0].contains("重点项目投资完成情况及红黄绿灯"));
    assert_eq!(table.rows[3][4], "年度计划");
    assert!(
        table.rows.iter().any(
            |r| r[1] == two[0].1 && ["红灯", "黄灯", "绿灯", "无计划"].contains(&r[9].as_str())
        )
    );
    assert!(table.rows.iter().any(|r| r[0].starts_with("合计")));
}

// A command that wrote leaves no write-ahead log behind: it closes the database before it
// exits, and SQLite copies the log into the database file then. Before, a `gen` or an
// import left its whole log (248 MB after 100,000 projects) for the server to read
// through.
#[test]
fn a_command_leaves_no_write_ahead_log() {
    let file = temp_file("gen.db", b"");
    std::fs::remove_file(&file).unwrap();
    let url = format!("sqlite://{}", file.display());
    let out = gongjian(
        &url,
        &[
            "gen",
            "--projects",
            "40",
            "--months",
            "1",
            "--problems",
            "5",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::metadata(&file).unwrap().len() > 100_000);
    let wal = file.with_extension("db-wal");
    assert!(
        std::fs::metadata(&wal).map_or(true, |m| m.len() == 0),
        "{} is left with {:?} bytes",
        wal.display(),
        std::fs::metadata(&wal).map(|m| m.len())
    );
}
