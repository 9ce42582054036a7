//! Monthly reporting over real HTTP: the office opens a period, a project unit fills in
//! the report with a photo through the multipart form, the district reviews, the office
//! sees the board and the lights; scope and CSRF hold on every route.

mod support;

use gongjian_domain::project::ProjectInput;
use gongjian_store::unit::{self, UnitInput};
use gongjian_store::{Actor, project};
use reqwest::StatusCode;
use serde_json::json;
use support::{PW, add_user, seed, spawn_app};

const USERS: &[(&str, &str, &[&str])] = &[
    ("office", "fgw", &["office"]),
    ("east", "990102", &["division"]),
    ("west", "990103", &["division"]),
];

async fn world(app: &support::TestApp) -> (i64, i64) {
    seed(app.db(), USERS).await;
    let a = Actor::cli();
    let mut tx = app.db().begin().await.unwrap();
    unit::create(
        &mut tx,
        &a,
        &UnitInput {
            code: "qy".into(),
            name: "示例新能源有限公司".into(),
            kind: "company".into(),
            division_code: "990102".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    add_user(&mut tx, "qy", "qy", &["project_unit"]).await;
    let mut ids = Vec::new();
    for (name, div, owner) in [
        ("电池基地", "东城区", Some("示例新能源有限公司")),
        ("西城学校", "西城区", None),
    ] {
        let p = project::create(
            &mut tx,
            &a,
            &ProjectInput {
                name: name.into(),
                level: "市重点".into(),
                category: "产业项目".into(),
                nature: "新建".into(),
                stage: "在建".into(),
                division: div.into(),
                owner_name: owner.map(Into::into),
                total_investment_wan: Some("5000".into()),
                plan_year: Some(2026),
                annual_plan_wan: Some("1200".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        ids.push(p.id);
    }
    gongjian_store::report::set_location(&mut tx, &a, ids[0], Some((38.4872, 106.2309)))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (ids[0], ids[1])
}

fn report_form(amount: &str, action: &str, photo: Option<Vec<u8>>) -> reqwest::multipart::Form {
    let mut f = reqwest::multipart::Form::new()
        .text("month_amount_wan", amount.to_string())
        .text("progress_text", "主体结构施工至 12 层".to_string())
        .text("started", "on".to_string())
        .text("start_date", "2026-03-01".to_string())
        .text("next_steps", "主体封顶 2026-12-31".to_string())
        .text("action", action.to_string());
    if let Some(b) = photo {
        f = f.part(
            "photos",
            reqwest::multipart::Part::bytes(b).file_name("现场.jpg"),
        );
    }
    f
}

#[tokio::test]
async fn a_unit_reports_with_a_photo_and_the_office_sees_it() {
    let app = spawn_app("sqlite").await;
    let (pid, west_pid) = world(&app).await;
    let office = app.login("office", PW).await;
    let qy = app.login("qy", PW).await;
    let east = app.login("east", PW).await;
    let west = app.login("west", PW).await;

    // Opening a period needs the CSRF token and report.admin.
    let r = office
        .form(
            "/periods",
            &[("period", "2026-10"), ("deadline", "2099-11-06")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no CSRF token");
    let r = east
        .form(
            "/periods",
            &[
                ("_csrf", &east.csrf),
                ("period", "2026-10"),
                ("deadline", "2099-11-06"),
            ],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "a district cannot open periods"
    );
    let r = office
        .form(
            "/periods",
            &[
                ("_csrf", &office.csrf),
                ("period", "2026-10"),
                ("deadline", "2099-11-06"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    // Opening it twice says so.
    let r = office
        .form(
            "/periods",
            &[("_csrf", &office.csrf), ("period", "2026-10")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("已开启"), "{}", r.text);

    // The unit's list holds its project only.
    let r = qy.get("/reports?period=2026-10").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains(&format!("data-project=\"{pid}\"")));
    assert!(!r.text.contains(&format!("data-project=\"{west_pid}\"")));
    let r = qy.get(&format!("/reports/{pid}/2026-10")).await;
    assert!(r.text.contains("id=\"report-form\""), "{}", r.text);

    // A wrong amount comes back with the message and the typed text kept.
    let r = qy
        .multipart(
            &format!("/reports/{pid}/2026-10"),
            report_form("12,3x", "submit", None),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text.contains("data-field=\"month_amount_wan\""),
        "{}",
        r.text
    );
    assert!(r.text.contains("主体结构施工至 12 层"));
    // A PDF is not a photo.
    let mut bad = report_form("100", "submit", None);
    bad = bad.part(
        "photos",
        reqwest::multipart::Part::bytes(b"%PDF-1.7".to_vec()).file_name("a.pdf"),
    );
    let r = qy.multipart(&format!("/reports/{pid}/2026-10"), bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("JPEG"), "{}", r.text);
    let n: i64 = gongjian_store::on_db!(app.db(), c => sqlx::query_scalar("SELECT COUNT(*) FROM report").fetch_one(c).await).unwrap();
    assert_eq!(n, 0, "refused submissions write nothing");

    // Submit with a photo taken on site in October.
    let jpg = gongjian_office::photo::sample_jpeg("2026:10:20 09:30:00", 38.4872, 106.2309);
    let r = qy
        .multipart(
            &format!("/reports/{pid}/2026-10"),
            report_form("120.5", "submit", Some(jpg.clone())),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = qy
        .get(&format!("/reports/{pid}/2026-10?saved=submit"))
        .await;
    assert!(page.text.contains("已报送"), "{}", page.text);
    assert!(page.text.contains("38.487200, 106.230900"), "GPS shown");
    assert!(page.text.contains("2026-10-20 09:30"), "EXIF time shown");
    assert!(
        !page.text.contains("id=\"report-form\""),
        "no longer editable"
    );
    // The photo is served as it was uploaded (EXIF kept), to those in scope only.
    let photo_id: i64 = gongjian_store::on_db!(app.db(), c => sqlx::query_scalar("SELECT id FROM report_photo").fetch_one(c).await).unwrap();
    let r = east.get(&format!("/photos/{photo_id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], "image/jpeg");
    let r = west.get(&format!("/photos/{photo_id}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = west.get(&format!("/reports/{pid}/2026-10")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The API refuses edits to a submitted report with the field at fault.
    let r = qy
        .put(
            &format!("/api/v1/reports/{pid}/2026-10"),
            json!({"month_amount_wan": "1", "progress_text": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["field"], "status");
    let r = qy.get(&format!("/api/v1/reports/{pid}/2026-10")).await;
    let j = r.json();
    assert_eq!(
        (j["status"].as_str(), j["month_amount_wan"].as_str()),
        (Some("submitted"), Some("120.50"))
    );
    assert_eq!(j["photos"][0]["lat_e6"], 38_487_200);

    // The office board: 东城 submitted 1, 西城 missing 1.
    let r = office.get("/periods/2026-10").await;
    assert_eq!(r.status, StatusCode::OK);
    let row = |code: &str| {
        let t = &r.text;
        let i = t.find(&format!("data-division=\"{code}\"")).unwrap();
        t[i..i + t[i..].find("</tr>").unwrap()].to_string()
    };
    assert!(
        row("990102")
            .contains("<td class=\"num\">1</td><td class=\"num\">0</td><td class=\"num\">1</td>"),
        "{}",
        row("990102")
    );
    assert!(
        row("990103").contains("<td class=\"num\">1</td><td class=\"num bad\">1</td>"),
        "{}",
        row("990103")
    );

    // The district returns it with a reason (form with CSRF); the unit sees why.
    let rid: i64 = gongjian_store::on_db!(app.db(), c => sqlx::query_scalar("SELECT id FROM report").fetch_one(c).await).unwrap();
    let r = east
        .form(
            &format!("/reports/{rid}/review"),
            &[
                ("_csrf", &east.csrf),
                ("action", "return"),
                ("reason", "照片看不清楼层"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = qy.get("/reports?period=2026-10&status=missing").await;
    assert!(r.text.contains("照片看不清楼层"));
    let r = qy
        .multipart(
            &format!("/reports/{pid}/2026-10"),
            report_form("120.5", "submit", None),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // Lights and progress, through the page and the API.
    let r = office
        .form("/periods/2026-10/lights", &[("_csrf", &office.csrf)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = office.get("/lights?period=2026-10").await;
    assert!(r.text.contains("data-division=\"990102\""));
    assert!(
        r.text
            .contains(&format!("data-project=\"{pid}\" data-light=\"red\"")),
        "120.5 of a 1000 target"
    );
    let r = office.get(&format!("/lights/2026-10/{pid}")).await;
    assert!(
        r.text.contains("id=\"why\"") && r.text.contains("银川规则"),
        "{}",
        r.text
    );
    // The printable progress table, lights coloured, as the office downloads it.
    let (status, ct, xlsx) = office.download("/lights/export?period=2026-10").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.contains("spreadsheetml"), "{ct}");
    let path = std::env::temp_dir().join(format!("progress-{pid}-{}.xlsx", std::process::id()));
    std::fs::write(&path, &xlsx).unwrap();
    let t = gongjian_office::table::read(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(
        t.rows[0][0].contains("2026年1-10月重点项目投资完成情况及红黄绿灯"),
        "{:?}",
        t.rows[0]
    );
    let line = t
        .rows
        .iter()
        .find(|r| r.iter().any(|c| c == "电池基地") && r.contains(&"红灯".to_string()))
        .unwrap_or_else(|| panic!("project row with its red light: {:?}", t.rows));
    assert_eq!(
        (line[4].as_str(), line[5].as_str(), line[6].as_str()),
        ("1200", "120.5", "1000"),
        "{line:?}"
    );
    assert!(t.rows.iter().any(|r| r[0].starts_with("合计")), "total row");
    // The district's export holds its own projects only.
    let (_, _, mine) = east.download("/lights/export?period=2026-10").await;
    assert!(mine.starts_with(b"PK"));

    let j = east.get("/api/v1/progress?period=2026-10").await.json();
    assert_eq!(j["period"], "2026-10");
    assert_eq!(
        j["projects"].as_array().unwrap().len(),
        1,
        "the district sees its own"
    );
    let p = &j["projects"][0];
    assert_eq!(
        (
            p["annual_plan_wan"].as_str(),
            p["cumulative_wan"].as_str(),
            p["target_wan"].as_str()
        ),
        (Some("1200.00"), Some("120.50"), Some("1000.00"))
    );
    assert_eq!(p["light"], "red");
    assert!(p["why"].as_str().unwrap().contains("个百分点"));
    let d = j["divisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["division_code"] == "990102")
        .unwrap();
    assert_eq!(d["light"], "red");

    // Reminders land in the western district's inbox.
    let r = office
        .form("/periods/2026-10/remind", &[("_csrf", &office.csrf)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = west.get("/notices").await;
    assert!(r.text.contains("2026-10 月报"), "{}", r.text);

    // A district imports its units' sheet for November: preview, then confirm.
    let r = office
        .form(
            "/periods",
            &[("_csrf", &office.csrf), ("period", "2026-11")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = west.get("/reports/import?period=2026-11").await;
    assert!(r.text.contains("name=\"period\""), "{}", r.text);
    let sheet = "项目名称,所在地,本月完成投资（万元）,形象进度,下步计划,说明\n西城学校,西城区,30,基础施工,主体施工,按计划推进\n电池基地,东城区,10,主体,封顶,无\n";
    let form = reqwest::multipart::Form::new()
        .text("period", "2026-11".to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(sheet.as_bytes().to_vec()).file_name("十一月.csv"),
        );
    let r = west.multipart("/reports/import", form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // The eastern project is outside the western district's scope: named, not written.
    assert!(r.text.contains("无权填报"), "{}", r.text);
    let upload: String = r
        .text
        .split("action=\"/reports/import/")
        .nth(1)
        .and_then(|x| x.split('"').next())
        .expect("confirm form")
        .to_string();
    let r = west
        .form(
            &format!("/reports/import/{upload}"),
            &[
                ("_csrf", &west.csrf),
                ("period", "2026-11"),
                ("mode", "valid_only"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("data-k=\"imported\">1<"), "{}", r.text);
    let j = west
        .get(&format!("/api/v1/reports/{west_pid}/2026-11"))
        .await
        .json();
    assert_eq!(j["status"], "submitted", "{j}");
    assert_eq!(j["month_amount_wan"], "30.00", "{j}");
    let j = office
        .get(&format!("/api/v1/reports/{pid}/2026-11"))
        .await
        .json();
    assert!(j["status"].is_null(), "not imported: {j}");

    // The October scheduling meeting: red and yellow projects, a decision, the briefing
    // and the commitments.
    let r = east
        .form("/meetings", &[("_csrf", &east.csrf), ("period", "2026-10")])
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "districts do not build agendas"
    );
    let r = office
        .form(
            "/meetings",
            &[
                ("_csrf", &office.csrf),
                ("period", "2026-10"),
                ("held_on", "2026-11-12"),
                ("place", "市政府 3 楼会议室"),
                ("filter", "red_yellow"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let at = r.headers["location"].to_str().unwrap().to_string();
    let r = office.get(&at).await;
    assert!(
        r.text
            .contains(&format!("data-project=\"{pid}\" data-light=\"red\"")),
        "{}",
        r.text
    );
    let item: String = r
        .text
        .split("/items/")
        .nth(1)
        .and_then(|x| x.split('/').next())
        .unwrap()
        .to_string();
    let r = office
        .form(
            &format!("{at}/items/{item}/decisions"),
            &[
                ("_csrf", &office.csrf),
                ("text", "协调解决用地"),
                ("owner", ""),
                ("deadline", "2099-01-31"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("不存在，请从列表中选择"), "{}", r.text);
    let r = office
        .form(
            &format!("{at}/items/{item}/decisions"),
            &[
                ("_csrf", &office.csrf),
                ("text", "协调解决用地"),
                ("owner", "dc-zjj"),
                ("deadline", "2099-01-31"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let (status, ct, docx) = office.download(&format!("{at}/briefing.docx")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.contains("wordprocessingml"), "{ct}");
    let doc = {
        use std::io::Read;
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(docx)).unwrap();
        let mut s = String::new();
        z.by_name("word/document.xml")
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        s
    };
    for want in [
        "2026年10月重点项目调度会材料",
        "（一）电池基地【红灯】",
        "协调解决用地（责任单位：东城区住建局，完成时限：2099-01-31）",
        "本月完成 120.50 万元",
    ] {
        assert!(doc.contains(want), "{want} not in the briefing");
    }
    let (_, _, xlsx) = office.download(&format!("{at}/commitments.xlsx")).await;
    let path = std::env::temp_dir().join(format!("commitments-{pid}-{}.xlsx", std::process::id()));
    std::fs::write(&path, &xlsx).unwrap();
    let t = gongjian_office::table::read(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    let row = t
        .rows
        .iter()
        .find(|r| r.contains(&"协调解决用地".to_string()))
        .expect("decision listed");
    assert!(
        row.contains(&"东城区住建局".to_string()) && row.contains(&"2099-01-31".to_string()),
        "{row:?}"
    );
    // The western district sees the meeting but not the eastern project.
    let r = west.get(&at).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        !r.text.contains(&format!("data-project=\"{pid}\"")),
        "scope"
    );
}

#[tokio::test]
async fn the_report_api_works_on_postgres() {
    let app = spawn_app("postgres").await;
    let (pid, _) = world(&app).await;
    let office = app.login("office", PW).await;
    let qy = app.login("qy", PW).await;
    let r = office
        .post("/api/v1/periods", json!({"period": "2026-11"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["status"], "open");
    let r = qy
        .put(
            &format!("/api/v1/reports/{pid}/2026-11"),
            json!({"action": "submit", "month_amount_wan": "-3", "progress_text": "施工"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = qy
        .put(
            &format!("/api/v1/reports/{pid}/2026-11"),
            json!({"action": "submit", "month_amount_wan": "1100", "progress_text": "施工", "started": true, "start_date": "2026-03-01"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["cumulative_year_wan"], "1100.00");
    // The answer to the save is what a read returns.
    let read = qy
        .get(&format!("/api/v1/reports/{pid}/2026-11"))
        .await
        .json();
    assert_eq!(r.json(), read);
    let id = r.json()["id"].as_i64().unwrap();
    let r = office
        .post(
            &format!("/api/v1/reports/{id}/review"),
            json!({"action": "lock"}),
        )
        .await;
    assert_eq!(r.json()["status"], "locked");
    let r = office
        .post("/api/v1/periods/2026-11/lights", json!({}))
        .await;
    assert_eq!(r.json()["projects"], 2);
    let j = office.get("/api/v1/progress?period=2026-11").await.json();
    let p = j["projects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "电池基地")
        .unwrap()
        .clone();
    // November target: 1200 × 11/12 = 1100 → on target.
    assert_eq!(
        (p["target_wan"].as_str(), p["light"].as_str()),
        (Some("1100.00"), Some("green"))
    );
    assert_eq!(p["ratio"], 1.0);
}
