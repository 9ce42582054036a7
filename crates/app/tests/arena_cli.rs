//! Arenas from the command line: create one from a JSON file, score it as JSON with the
//! issue's fields, try a what-if, and refuse a malformed file with its line and column.

use std::process::{Command, Output};

fn gongjian(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gongjian"))
        .args(["--db", db])
        .args(args)
        .env_remove("GONGJIAN_DB")
        .output()
        .expect("binary runs")
}

#[test]
fn an_arena_is_created_from_json_and_scored() {
    let dir = std::env::temp_dir().join(format!("gongjian-arena-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}/a.db", dir.display());
    let o = gongjian(
        &db,
        &[
            "gen",
            "--scale",
            "city",
            "--projects",
            "120",
            "--months",
            "1",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let list: serde_json::Value =
        serde_json::from_slice(&gongjian(&db, &["arena", "list", "--json"]).stdout).unwrap();
    let parts: Vec<String> = list[0]["participants"]
        .as_array()
        .unwrap()
        .iter()
        .take(3)
        .map(|p| p["code"].as_str().unwrap().to_string())
        .collect();
    let spec = serde_json::json!({
        "code": "kfq", "name": "开发区项目建设擂台赛", "kind": "comprehensive", "participants": parts,
        "indicators": [
            {"code": "invest", "name": "投资完成率", "unit": "万元", "direction": "higher", "weight": 60,
             "method": {"kind": "ratio", "cap_pct": 120}, "source": {"from": "measure", "measure": "invest_plan"}},
            {"code": "start", "name": "开工率", "unit": "个", "direction": "higher", "weight": 40,
             "method": {"kind": "rank", "points": [40, 30, 20]}, "source": {"from": "measure", "measure": "start_rate"}}
        ],
        "flag_rule": {"kind": "top_bottom", "red": 1, "yellow": 1}
    });
    let file = dir.join("arena.json");
    std::fs::write(&file, spec.to_string()).unwrap();
    let o = gongjian(&db, &["arena", "create", "--file", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The same code twice is refused.
    assert!(
        !gongjian(&db, &["arena", "create", "--file", file.to_str().unwrap()])
            .status
            .success()
    );
    let (y, m) = gongjian::report::last_month();
    let period = format!("{y}-{m:02}");
    let o = gongjian(
        &db,
        &["arena", "score", "kfq", "--period", &period, "--json"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["arena"], "kfq");
    assert_eq!(v["rule_version"], 1);
    assert!(
        v["participants"][0]["components"][0]["formula"]
            .as_str()
            .unwrap()
            .contains(" 万元 ÷ 目标 "),
        "{v}"
    );
    let ps = v["participants"].as_array().unwrap();
    assert_eq!(ps.len(), 3);
    for p in ps {
        for k in ["code", "name", "score", "rank", "flag", "components"] {
            assert!(p.get(k).is_some(), "{k} missing in {p}");
        }
        for c in p["components"].as_array().unwrap() {
            for k in ["indicator", "value", "points", "weight", "formula"] {
                assert!(c.get(k).is_some(), "{k} missing in {c}");
            }
        }
    }
    // A what-if: the last participant's investment set to twice its plan: its investment
    // points hit the cap and its score does not fall; nothing is saved.
    let last = ps.last().unwrap()["code"].as_str().unwrap().to_string();
    let before: f64 = ps.last().unwrap()["score"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let wf = dir.join("what-if.json");
    let plan = ps.last().unwrap()["components"][0]["target"]
        .as_i64()
        .unwrap();
    std::fs::write(
        &wf,
        serde_json::json!([{"participant": last, "indicator": "invest", "value": plan * 2}])
            .to_string(),
    )
    .unwrap();
    let o = gongjian(
        &db,
        &[
            "arena",
            "score",
            "kfq",
            "--period",
            &period,
            "--what-if",
            wf.to_str().unwrap(),
            "--json",
        ],
    );
    let w: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let mine = w["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == last.as_str())
        .unwrap()
        .clone();
    assert_eq!(mine["components"][0]["points"], "72.00", "{mine}");
    let after: f64 = mine["score"].as_str().unwrap().parse().unwrap();
    assert!(after >= before, "{after} < {before}");
    // A malformed file names the place of the error.
    std::fs::write(&file, "{\n  \"code\": \"bad\",\n  oops\n}").unwrap();
    let o = gongjian(&db, &["arena", "create", "--file", file.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("第 3 行"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
