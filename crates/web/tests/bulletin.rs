//! The monthly bulletin and the cockpit over HTTP: figures equal the domain's and stay
//! within the caller's scope; the wording is changed only by the office, only with the
//! paragraph's own placeholders, and with CSRF; the cockpit draws from the same figures,
//! takes a checked map, and the big screen has no navigation.

mod support;

use chrono::NaiveDate;
use gongjian_domain::calendar::Calendar;
use gongjian_domain::money::wan_grouped;
use gongjian_domain::progress::pct;
use gongjian_domain::project::ProjectInput;
use gongjian_domain::report::Action;
use gongjian_store::report::{self, ReportInput};
use gongjian_store::{Actor, on_db};
use reqwest::StatusCode;
use support::{PW, seed, spawn_app};

const USERS: &[(&str, &str, &[&str])] = &[
    ("office", "fgw", &["office"]),
    ("east", "990102", &["division"]),
];

/// Two districts with two projects each, September's reports and lights.
async fn world(app: &support::TestApp) {
    let db = app.db();
    seed(db, USERS).await;
    let a = Actor::cli();
    let mut tx = db.begin().await.unwrap();
    for (name, div, plan) in [
        ("东城一号", "东城区", "1200"),
        ("东城二号", "东城区", "800"),
        ("西城一号", "西城区", "1000"),
        ("西城二号", "西城区", "1000"),
    ] {
        gongjian_store::project::create(
            &mut tx,
            &a,
            &ProjectInput {
                name: name.into(),
                level: "市重点".into(),
                category: "产业项目".into(),
                nature: "新建".into(),
                stage: "在建".into(),
                division: div.into(),
                total_investment_wan: Some("5000".into()),
                plan_year: Some(2026),
                annual_plan_wan: Some(plan.into()),
                start_year: Some(2025),
                started: Some(true),
                start_date: Some("2025-03-01".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    report::open_period(
        &mut tx,
        &a,
        2026,
        9,
        Some(NaiveDate::from_ymd_opt(2099, 10, 9).unwrap()),
        &Calendar::shipped(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let ids: Vec<i64> = on_db!(db, c => sqlx::query_scalar("SELECT id FROM project ORDER BY id").fetch_all(c).await).unwrap();
    for (pid, amount) in ids.iter().zip(["900", "100", "800", "700"]) {
        let mut tx = db.begin().await.unwrap();
        report::save(
            &mut tx,
            &a,
            *pid,
            2026,
            9,
            &ReportInput {
                month_amount_wan: amount.into(),
                progress_text: "主体施工".into(),
                started: true,
                start_date: Some("2025-03-01".into()),
                next_steps: "封顶 2026-12-31".into(),
                ..Default::default()
            },
            vec![],
            &[],
            Action::Submit,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    report::recompute(db, &a, 2026, 9).await.unwrap();
}

async fn actor_for(app: &support::TestApp, username: &str) -> Actor {
    let db = app.db();
    let (id, unit): (i64, i64) = on_db!(db, c => sqlx::query_as("SELECT id, unit_id FROM app_user WHERE username = $1").bind(username).fetch_one(c).await).unwrap();
    gongjian_store::auth::actor(db, id, username, unit, "test")
        .await
        .unwrap()
}

/// The overview sentence the domain's figures give for the actor's scope.
async fn overview(app: &support::TestApp, username: &str) -> (String, i64) {
    let actor = actor_for(app, username).await;
    let r = report::rollup(app.db(), &actor, 2026, 9).await.unwrap();
    let mut t = gongjian_domain::progress::Totals::default();
    for p in &r.projects {
        t.add(
            p.annual,
            p.cumulative,
            p.target,
            gongjian_domain::progress::Light::parse(&p.light).unwrap(),
        );
    }
    (
        format!(
            "{}个重点项目年度计划投资{}万元，累计完成投资{}万元，按序时进度应完成{}万元，完成序时进度的{}",
            t.projects,
            wan_grouped(t.annual),
            wan_grouped(t.cumulative),
            wan_grouped(t.target),
            pct(t.ratio_bp().unwrap())
        ),
        t.projects,
    )
}

#[tokio::test]
async fn the_bulletin_states_the_domain_figures_within_scope() {
    let app = spawn_app("sqlite").await;
    world(&app).await;
    let office = app.login("office", PW).await;
    let east = app.login("east", PW).await;
    let (city, n) = overview(&app, "office").await;
    assert_eq!(n, 4);
    let page = office.get("/bulletin?period=2026-09").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains(&city), "«{city}» in the preview");
    assert!(page.text.contains("示例市重点项目建设情况通报"));
    // The district's bulletin covers its own two projects only.
    let (own, n) = overview(&app, "east").await;
    assert_eq!(n, 2);
    let page = east.get("/bulletin?period=2026-09").await;
    assert!(page.text.contains(&own) && !page.text.contains(&city));
    assert!(!page.text.contains("西城一号"));
    // Downloads in the three formats.
    for (fmt, ct, magic) in [
        ("docx", "wordprocessingml", &b"PK"[..]),
        ("xlsx", "spreadsheetml", &b"PK"[..]),
        ("pdf", "application/pdf", &b"%PDF"[..]),
    ] {
        let (status, got, bytes) = office
            .download(&format!("/bulletin/download?period=2026-09&format={fmt}"))
            .await;
        if fmt == "pdf" && status != StatusCode::OK && std::env::var_os("CI").is_none() {
            // A machine without Chinese fonts is told which package to install.
            assert!(String::from_utf8_lossy(&bytes).contains("fonts-noto-cjk"));
            continue;
        }
        assert_eq!(
            status,
            StatusCode::OK,
            "{fmt}: {}",
            String::from_utf8_lossy(&bytes)
        );
        assert!(got.contains(ct), "{fmt}: {got}");
        assert!(bytes.starts_with(magic), "{fmt}");
    }
    let (_, _, docx) = east
        .download("/bulletin/download?period=2026-09&format=docx")
        .await;
    let doc = gongjian_office::docx::document_xml(&docx).unwrap();
    assert!(
        doc.contains("东城二号") && !doc.contains("西城"),
        "scope holds in the file"
    );
    let (status, _, _) = office
        .download("/bulletin/download?period=2026-09&format=odt")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn only_the_office_rewords_and_only_with_the_paragraphs_placeholders() {
    let app = spawn_app("sqlite").await;
    world(&app).await;
    let office = app.login("office", PW).await;
    let east = app.login("east", PW).await;
    assert_eq!(
        east.get("/bulletin/wording").await.status,
        StatusCode::FORBIDDEN
    );
    let r = east
        .form(
            "/bulletin/wording",
            &[
                ("_csrf", &east.csrf),
                ("key", "commend"),
                ("text", "{单位}很好"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Without the CSRF token nothing happens.
    let r = office
        .form(
            "/bulletin/wording",
            &[("key", "overview"), ("text", "本月完成{完成率}。")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A figure the paragraph does not offer is refused, naming it; nothing is stored.
    let r = office
        .form(
            "/bulletin/wording",
            &[
                ("_csrf", &office.csrf),
                ("key", "commend"),
                ("text", "{单位}完成{完成率}"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("{完成率}") && r.text.contains("{单位}"));
    assert!(
        gongjian_store::bulletin::wording(app.db())
            .await
            .unwrap()
            .is_empty()
    );
    // A good wording is used by the bulletin, with the figures filled in.
    let r = office
        .form(
            "/bulletin/wording",
            &[
                ("_csrf", &office.csrf),
                ("key", "overview"),
                (
                    "text",
                    "本月累计完成{累计完成}万元，完成序时进度的{完成率}。",
                ),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = office.get("/bulletin?period=2026-09").await;
    let (city, _) = overview(&app, "office").await;
    let ratio = city.rsplit("完成序时进度的").next().unwrap().to_string();
    assert!(
        page.text.contains(&format!("完成序时进度的{ratio}。")),
        "{ratio}"
    );
    assert!(!page.text.contains("按序时进度应完成"));
    let wording = office.get("/bulletin/wording").await;
    assert!(wording.text.contains("已修改"));
    // Restoring the default.
    let r = office
        .form(
            "/bulletin/wording",
            &[
                ("_csrf", &office.csrf),
                ("key", "overview"),
                ("text", ""),
                ("action", "reset"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        gongjian_store::bulletin::wording(app.db())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        office
            .get("/bulletin?period=2026-09")
            .await
            .text
            .contains(&city)
    );
}

/// September's point of the cockpit's curve.
fn september(api: &serde_json::Value) -> serde_json::Value {
    let curve = api["curve"].as_array().expect("a curve");
    curve
        .iter()
        .find(|c| c["month"] == 9)
        .expect("September")
        .clone()
}

#[tokio::test]
async fn the_cockpit_draws_the_same_figures_and_takes_a_checked_map() {
    let app = spawn_app("sqlite").await;
    world(&app).await;
    let office = app.login("office", PW).await;
    let east = app.login("east", PW).await;
    let page = office.get("/cockpit?period=2026-09").await;
    assert_eq!(page.status, StatusCode::OK);
    for id in ["curve", "lights", "funnel", "overdue"] {
        assert!(
            page.text.contains(&format!("data-cockpit=\"{id}\"")),
            "{id}"
        );
    }
    assert!(
        !page.text.contains("data-cockpit=\"map\""),
        "no map uploaded yet"
    );
    let api = office.get("/api/v1/cockpit?period=2026-09").await.json();
    let sept = september(&api);
    let actor = actor_for(&app, "office").await;
    let r = report::rollup(app.db(), &actor, 2026, 9).await.unwrap();
    let cumulative: i64 = r.projects.iter().map(|p| p.cumulative).sum();
    assert_eq!(sept["cumulative"], cumulative);
    assert_eq!(sept["projects"], 4);
    // The district's cockpit holds its own projects only.
    let api = east.get("/api/v1/cockpit?period=2026-09").await.json();
    let sept = september(&api);
    assert_eq!(sept["projects"], 2);
    // The map: bad files are refused saying why; a district may not upload.
    let form = |body: &str| {
        reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(body.as_bytes().to_vec()).file_name("map.geojson"),
        )
    };
    let r = office
        .multipart("/cockpit/map", form("{\"type\":\"Feature\""))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("不是有效的 JSON"), "{}", r.text);
    let good = r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"name":"东城区"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}},
        {"type":"Feature","properties":{"name":"西城区"},"geometry":{"type":"Polygon","coordinates":[[[1,0],[2,0],[2,1],[1,0]]]}}]}"#;
    assert_eq!(
        east.multipart("/cockpit/map", form(good)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        office.get("/cockpit/map.geojson").await.status,
        StatusCode::NOT_FOUND
    );
    let r = office.multipart("/cockpit/map", form(good)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let served = office.get("/cockpit/map.geojson").await;
    assert_eq!(served.status, StatusCode::OK);
    assert!(served.text.contains("西城区"));
    let page = office.get("/cockpit?period=2026-09").await;
    assert!(page.text.contains("data-cockpit=\"map\""));
    // The big screen: the same charts, dark, refreshing itself, no navigation.
    let screen = office.get("/cockpit/screen?period=2026-09").await;
    assert_eq!(screen.status, StatusCode::OK);
    assert!(
        screen.text.contains("http-equiv=\"refresh\"")
            && screen.text.contains("data-theme=\"dark\"")
    );
    assert!(!screen.text.contains("class=\"sidebar\""));
    assert!(screen.text.contains("data-cockpit=\"map\""));
    // Signed-out visitors get nothing.
    let anon = app.anon();
    assert_ne!(anon.get("/cockpit").await.status, StatusCode::OK);
    assert_ne!(anon.get("/bulletin").await.status, StatusCode::OK);
}
