//! The project registry over real HTTP: the upload → preview → confirm flow of the
//! ledger import, the API import with its errors, exports that read back unchanged,
//! the forms, and a district user's exports holding only its own projects.

mod support;

use reqwest::StatusCode;
use serde_json::json;
use support::{PW, href_of, seed, spawn_app};

const USERS: &[(&str, &str, &[&str])] = &[
    ("office", "fgw", &["office"]),
    ("east", "990102", &["division"]),
    ("aud", "fgw", &["audit_admin"]),
];

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../office/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

async fn count(app: &support::TestApp) -> i64 {
    gongjian_store::on_db!(app.db(), c => sqlx::query_scalar("SELECT COUNT(*) FROM project").fetch_one(c).await).unwrap()
}

async fn upload(c: &support::Client, name: &str, bytes: Vec<u8>) -> support::Resp {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
    );
    c.multipart("/projects/import", form).await
}

async fn api_import(c: &support::Client, name: &str, bytes: Vec<u8>, query: &str) -> support::Resp {
    let r = c
        .http
        .post(format!(
            "{}/api/v1/projects/import?file_name={name}{query}",
            c.base
        ))
        .header("cookie", &c.cookie)
        .header("x-csrf-token", &c.csrf)
        .body(bytes)
        .send()
        .await
        .unwrap();
    support::Resp {
        status: r.status(),
        headers: r.headers().clone(),
        text: r.text().await.unwrap(),
    }
}

#[tokio::test]
async fn ledger_upload_previews_then_imports_and_exports_read_back_unchanged() {
    let app = spawn_app("sqlite").await;
    seed(app.db(), USERS).await;
    let office = app.login("office", PW).await;
    // Upload: a preview, nothing written.
    let r = upload(
        &office,
        "county.xlsx",
        fixture("county_two_row_header.xlsx"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("预览"), "{}", r.text);
    assert!(r.text.contains(r#"data-k="imported">3<"#), "{}", r.text);
    assert!(r.text.contains("1-10月完成"), "ignored columns are listed");
    assert_eq!(count(&app).await, 0, "a preview writes nothing");
    // Without the CSRF token the upload is refused.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(fixture("county_two_row_header.xlsx")).file_name("x.xlsx"),
    );
    let no_csrf = office
        .http
        .post(format!("{}/projects/import", office.base))
        .header("cookie", &office.cookie)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(no_csrf.status(), StatusCode::FORBIDDEN);
    // Confirm.
    let needle = "action=\"/projects/import/";
    let at = r.text.find(needle).expect("confirm form");
    let upload_id: String = r.text[at + needle.len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let done = office
        .form(
            &format!("/projects/import/{upload_id}"),
            &[("_csrf", &office.csrf), ("mode", "all")],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert!(done.text.contains("已导入"), "{}", done.text);
    assert_eq!(count(&app).await, 3);
    let list = office.get("/api/v1/projects?sort=name").await.json();
    assert_eq!(list["total"], 3);
    let first = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "智能装备产业园二期")
        .unwrap()
        .clone();
    assert_eq!(first["total_investment_wan"], "80000.00");
    assert_eq!(first["annual_plan_wan"], "20000.00");
    assert_eq!(first["started"], true);
    assert_eq!(
        first["stage"], "construction",
        "已开工 moves a project under construction"
    );
    assert_eq!(first["division_code"], "990102");
    // Every export reads back with nothing to change.
    for format in ["xlsx", "csv"] {
        let (s, ct, file) = office
            .download(&format!("/projects/export?format={format}"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            ct.contains(if format == "xlsx" {
                "spreadsheetml"
            } else {
                "text/csv"
            }),
            "{ct}"
        );
        let r = api_import(&office, &format!("p.{format}"), file, "").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let v = r.json();
        assert_eq!(
            (
                v["imported"].as_i64(),
                v["updated"].as_i64(),
                v["skipped"].as_i64()
            ),
            (Some(0), Some(0), Some(3)),
            "{format}: {v}"
        );
        assert_eq!(v["errors"], json!([]));
        assert_eq!(v["unmatched_columns"], json!([]));
    }
    // The template downloads and reads as an empty ledger.
    let (s, _, t) = office.download("/projects/template.xlsx").await;
    assert_eq!(s, StatusCode::OK);
    let v = api_import(&office, "t.xlsx", t, "&dry_run=true")
        .await
        .json();
    assert_eq!(
        (v["rows"].as_i64(), v["errors"].as_array().map(Vec::len)),
        (Some(0), Some(0)),
        "{v}"
    );
    // The district user's exports hold its projects only: not one in 西城区.
    let r = office
        .post(
            "/api/v1/projects",
            json!({"name": "西城区项目", "division": "990103"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let east = app.login("east", PW).await;
    let v = east.get("/api/v1/projects/export?format=json").await.json();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(!names.contains(&"西城区项目"));
    let (_, _, x) = east.download("/projects/export?format=xlsx").await;
    let sheets = gongjian_office::ledger::read_sheets("e.xlsx", &x).unwrap();
    let l = gongjian_office::ledger::read_ledger(
        &sheets,
        &gongjian_office::ledger::Synonyms::new(&[]),
        None,
    );
    assert_eq!(l.rows.len(), 3);
    assert!(l.rows.iter().all(|r| r.input.division == "990102"));
    let (_, _, x) = office.download("/projects/export?format=csv").await;
    assert!(
        String::from_utf8(x).unwrap().contains("西城区项目"),
        "the office sees everything"
    );
    // The audit log names every import write.
    let aud = app.login("aud", PW).await;
    let log = aud
        .get("/api/v1/audit?entity=project&size=100")
        .await
        .json();
    assert_eq!(log["total"], 4, "three imported, one created: {log}");
}

#[tokio::test]
async fn api_import_reports_every_error_and_writes_nothing_unless_valid_only() {
    let app = spawn_app("postgres").await;
    seed(app.db(), USERS).await;
    let office = app.login("office", PW).await;
    let r = api_import(&office, "city.xlsx", fixture("city_two_sheets_yi.xlsx"), "").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let v = r.json();
    let errs: Vec<(String, i64, String)> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["sheet"].as_str().unwrap().into(),
                e["row"].as_i64().unwrap(),
                e["column"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        errs,
        vec![
            ("产业项目".to_string(), 2, "包保领导（H）".to_string()),
            ("产业项目".into(), 4, "总投资（亿元）（E）".into()),
            ("产业项目".into(), 4, "建设年限（G）".into()),
            ("产业项目".into(), 4, "专项债项目（K）".into()),
        ],
        "{v}"
    );
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("王示范")
    );
    assert_eq!(v["unmatched_columns"][0]["header"], "风险等级");
    assert_eq!(v["written"], false);
    assert_eq!(count(&app).await, 0, "all or nothing");
    // Valid rows only: 数字经济产业园, 环城快速路 and 滨河公园 go in.
    let r = api_import(
        &office,
        "city.xlsx",
        fixture("city_two_sheets_yi.xlsx"),
        "&valid_only=true",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v = r.json();
    assert_eq!(
        (v["imported"].as_i64(), v["written"].as_bool()),
        (Some(3), Some(true)),
        "{v}"
    );
    assert_eq!(
        v["skipped"].as_i64(),
        Some(2),
        "rows 2 and 4 of 产业项目: {v}"
    );
    assert_eq!(count(&app).await, 3);
    let p = office.get("/api/v1/projects?q=滨河").await.json();
    assert_eq!(p["items"][0]["total_investment_wan"], "1.00");
    assert_eq!(p["items"][0]["category"], "ecology");
    // A file that is not a workbook is refused with a reason.
    let r = api_import(&office, "x.xlsx", b"not a workbook".to_vec(), "").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("无法打开")
    );
}

#[tokio::test]
async fn forms_create_edit_plan_milestones_and_stage_with_clear_errors() {
    let app = spawn_app("sqlite").await;
    seed(app.db(), USERS).await;
    let east = app.login("east", PW).await;
    let csrf = east.csrf.clone();
    let base = [
        ("_csrf", csrf.as_str()),
        ("name", "东城物流园"),
        ("level", "county"),
        ("category", "service"),
        ("nature", "new"),
        ("stage", "preparation"),
        ("division", "990102"),
        ("total_investment_wan", "5,000"),
        ("members", "张三（组长）\n李四"),
    ];
    // A bad credit code comes back on the form, with the field named, and nothing stored.
    let mut bad = base.to_vec();
    bad.push(("owner_credit_code", "123"));
    let r = east.form("/projects", &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text.contains(r#"data-field="owner_credit_code""#),
        "{}",
        r.text
    );
    assert!(
        r.text.contains("东城物流园"),
        "the form keeps what was typed"
    );
    assert_eq!(count(&app).await, 0);
    // Another district is outside the user's scope.
    let mut west = base.to_vec();
    west[6] = ("division", "990103");
    assert_eq!(
        east.form("/projects", &west).await.status,
        StatusCode::FORBIDDEN
    );
    let r = east.form("/projects", &base).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let loc = r.headers["location"].to_str().unwrap().to_string();
    let id: String = loc
        .trim_start_matches("/projects/")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let page = east.get(&format!("/projects/{id}")).await;
    assert!(page.text.contains("5,000.00"), "{}", page.text);
    assert!(page.text.contains("张三（组长）"));
    // Plan: months that do not add up are refused unless allowed.
    let mut plan: Vec<(String, String)> = vec![
        ("_csrf".into(), csrf.clone()),
        ("year".into(), "2026".into()),
        ("annual_wan".into(), "1200".into()),
    ];
    for m in 1..=12 {
        plan.push((format!("m{m}"), "90".into()));
    }
    let pairs: Vec<(&str, &str)> = plan.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let r = east.form(&format!("/projects/{id}/plan"), &pairs).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("月度计划合计 1080.00 万元"), "{}", r.text);
    let mut allowed = pairs.clone();
    allowed.push(("allow_mismatch", "on"));
    assert_eq!(
        east.form(&format!("/projects/{id}/plan"), &allowed)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let page = east.get(&format!("/projects/{id}")).await;
    assert!(page.text.contains("月度计划合计与年度计划不一致"));
    assert!(page.text.contains("data-chart"));
    // Milestones and the backward schedule.
    let r = east
        .form(
            &format!("/projects/{id}/milestones"),
            &[
                ("_csrf", &csrf),
                ("name", "取得施工许可"),
                ("duration_days", "30"),
                ("planned_date", "2030-03-01"),
                ("actual_date", ""),
                ("name", "主体开工"),
                ("duration_days", "10"),
                ("planned_date", "2030-03-11"),
                ("actual_date", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let d = east.get(&format!("/api/v1/projects/{id}")).await.json();
    assert_eq!(d["milestones"][1]["latest_start"], "2030-03-01");
    assert_eq!(d["milestones"][0]["latest_start"], "2030-01-30");
    assert!(d["milestones"][0]["countdown_days"].as_i64().unwrap() > 0);
    // Stage: forward with a note; backward refused with the reason on the page.
    assert_eq!(
        east.form(
            &format!("/projects/{id}/stage"),
            &[
                ("_csrf", &csrf),
                ("stage", "construction"),
                ("on_date", "2026-04-01"),
                ("note", "主体开工")
            ]
        )
        .await
        .status,
        StatusCode::SEE_OTHER
    );
    let r = east
        .form(
            &format!("/projects/{id}/stage"),
            &[("_csrf", &csrf), ("stage", "reserve")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("只能向前推进"), "{}", r.text);
    let d = east.get(&format!("/api/v1/projects/{id}")).await.json();
    assert_eq!(d["project"]["stage"], "construction");
    assert_eq!(d["stages"].as_array().unwrap().len(), 2);
    // Edit keeps the stage and changes the rest.
    let mut edit = base.to_vec();
    edit[1] = ("name", "东城现代物流园");
    assert_eq!(
        east.form(&format!("/projects/{id}"), &edit).await.status,
        StatusCode::SEE_OTHER
    );
    let d = east.get(&format!("/api/v1/projects/{id}")).await.json();
    assert_eq!(
        (
            d["project"]["name"].as_str(),
            d["project"]["stage"].as_str()
        ),
        (Some("东城现代物流园"), Some("construction"))
    );
    // The list page: filters and whitelisted sorting.
    let page = east
        .get("/projects?stage=construction&sort=total_investment&dir=desc")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("东城现代物流园"));
    assert!(
        east.get("/projects?stage=reserve")
            .await
            .text
            .contains("共 0 个项目")
    );
}

#[tokio::test]
async fn column_synonyms_are_checked_and_then_used_by_the_import() {
    let app = spawn_app("sqlite").await;
    seed(app.db(), USERS).await;
    let office = app.login("office", PW).await;
    let csv = "项目名称,所在地,实施主体\n滨河公园,西城区,示例园林公司\n"
        .as_bytes()
        .to_vec();
    let v = api_import(&office, "x.csv", csv.clone(), "&dry_run=true")
        .await
        .json();
    assert_eq!(v["unmatched_columns"][0]["header"], "实施主体", "{v}");
    // Bad input: an unknown field, an empty name; a district user may not configure.
    let r = office
        .form(
            "/admin/synonyms",
            &[
                ("_csrf", &office.csrf),
                ("field", "nope"),
                ("synonym", "实施主体"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(r#"data-field="field""#), "{}", r.text);
    let r = office
        .form(
            "/admin/synonyms",
            &[
                ("_csrf", &office.csrf),
                ("field", "owner_name"),
                ("synonym", " "),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let east = app.login("east", PW).await;
    let r = east
        .form(
            "/admin/synonyms",
            &[
                ("_csrf", &east.csrf),
                ("field", "owner_name"),
                ("synonym", "实施主体"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Registered once, a second time is refused with the reason.
    let r = office
        .form(
            "/admin/synonyms",
            &[
                ("_csrf", &office.csrf),
                ("field", "owner_name"),
                ("synonym", "实施主体"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = office
        .form(
            "/admin/synonyms",
            &[
                ("_csrf", &office.csrf),
                ("field", "owner_name"),
                ("synonym", "实施主体"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("已登记"), "{}", r.text);
    // The import now reads the column.
    let v = api_import(&office, "x.csv", csv, "").await.json();
    assert_eq!(
        (
            v["imported"].as_i64(),
            v["unmatched_columns"].as_array().map(Vec::len)
        ),
        (Some(1), Some(0)),
        "{v}"
    );
    let p = office.get("/api/v1/projects?q=滨河").await.json();
    assert_eq!(p["items"][0]["owner_name"], "示例园林公司");
    let page = office.get("/admin/synonyms").await;
    assert!(page.text.contains("实施主体"));
}

// The list page filters by responsible unit and, when asked, shows terminated projects
// too; both filters stay on the next page, the sort links and the export links.
#[tokio::test]
async fn the_list_keeps_the_responsible_unit_and_terminated_filters_across_pages_and_exports() {
    let app = spawn_app("sqlite").await;
    seed(app.db(), USERS).await;
    let a = gongjian_store::Actor::cli();
    let mut tx = app.db().begin().await.unwrap();
    for (name, unit, stage) in [
        ("发改甲项目", "fgw", "construction"),
        ("发改乙项目", "fgw", "construction"),
        ("住建丙项目", "dc-zjj", "construction"),
        ("发改已终止项目", "fgw", "terminated"),
    ] {
        let p = gongjian_domain::project::ProjectInput {
            name: name.into(),
            level: "city".into(),
            category: "industrial".into(),
            nature: "new".into(),
            stage: stage.into(),
            division: "990102".into(),
            responsible_unit: Some(unit.into()),
            ..Default::default()
        };
        gongjian_store::project::create(&mut tx, &a, &p)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let office = app.login("office", PW).await;
    let page = office
        .get("/projects?responsible_unit=fgw&size=1&sort=name")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("共 2 个项目"), "{}", page.text);
    assert!(page.text.contains(r#"<option value="fgw" selected>"#));
    assert!(!page.text.contains("住建丙项目") && !page.text.contains("发改已终止项目"));
    // The next page holds the other project of the unit, not one of another unit.
    let next = href_of(&page.text, "下一页");
    assert!(next.contains("responsible_unit=fgw"), "{next}");
    let page2 = office.get(&format!("/projects{next}")).await;
    assert!(page2.text.contains("共 2 个项目"), "{}", page2.text);
    let first = ["发改甲项目", "发改乙项目"].map(|n| page.text.contains(n));
    let second = ["发改甲项目", "发改乙项目"].map(|n| page2.text.contains(n));
    // By name, 乙 (U+4E59) sorts before 甲 (U+7532).
    assert_eq!((first, second), ([false, true], [true, false]), "{next}");
    // A project's page links its responsible unit to the unit's list.
    let id = office.get("/api/v1/projects?q=发改甲").await.json()["items"][0]["id"].clone();
    let detail = office.get(&format!("/projects/{id}")).await;
    let unit = href_of(&detail.text, "示例市发展和改革委员会");
    assert_eq!(unit, "/projects?responsible_unit=fgw");
    assert!(office.get(&unit).await.text.contains("共 2 个项目"));
    // Terminated projects are shown only when asked, with the box ticked and the choice
    // kept by the sort and export links.
    let all = office
        .get("/projects?responsible_unit=fgw&include_inactive=true")
        .await;
    assert!(all.text.contains("共 3 个项目"), "{}", all.text);
    assert!(all.text.contains("发改已终止项目"));
    assert!(
        all.text
            .contains(r#"name="include_inactive" value="true" checked"#)
    );
    let sort = href_of(&all.text, "项目名称");
    assert!(
        sort.contains("responsible_unit=fgw&include_inactive=true"),
        "{sort}"
    );
    let export = href_of(&all.text, "CSV");
    assert!(
        export.contains("responsible_unit=fgw&include_inactive=true"),
        "{export}"
    );
    let csv = office.get(&export).await;
    assert_eq!(csv.status, StatusCode::OK);
    for (name, listed) in [
        ("发改甲项目", true),
        ("发改乙项目", true),
        ("发改已终止项目", true),
        ("住建丙项目", false),
    ] {
        assert_eq!(csv.text.contains(name), listed, "{name}: {}", csv.text);
    }
}
