//! Arenas over HTTP: nothing unpublished leaks to the public, login-free pages (neither a
//! period never published nor a newer revision of a published one); the office scores
//! and publishes with CSRF; a district cannot; scores explain themselves.

mod support;

use gongjian_domain::arena::{Direction, FlagRule, Indicator, Method};
use gongjian_store::Actor;
use gongjian_store::arena::{self, ArenaInput, IndicatorDef, Source};
use reqwest::StatusCode;
use support::{PW, seed, spawn_app};

const USERS: &[(&str, &str, &[&str])] = &[
    ("office", "fgw", &["office"]),
    ("east", "990102", &["division"]),
];

async fn world(app: &support::TestApp) {
    seed(app.db(), USERS).await;
    let a = Actor::cli();
    let mut tx = app.db().begin().await.unwrap();
    arena::create(
        &mut tx,
        &a,
        &ArenaInput {
            code: "ncgc".into(),
            name: "农村改厕专项擂台赛".into(),
            kind: "special".into(),
            participants: vec!["990102".into(), "990103".into()],
            indicators: vec![IndicatorDef {
                rule: Indicator {
                    code: "toilets".into(),
                    name: "户厕改造".into(),
                    unit: "户".into(),
                    direction: Direction::Higher,
                    weight: 72,
                    method: Method::Completion { k: 60, cap: 72 },
                },
                source: Source::Entered { unit: "fgw".into() },
            }],
            flag_rule: FlagRule::TopBottom { red: 1, yellow: 1 },
            ..Default::default()
        },
    )
    .await
    .unwrap();
    for (unit, target, value) in [("990102", 400, 300), ("990103", 500, 600)] {
        arena::set_target(&mut tx, &a, "ncgc", "toilets", unit, 2026, target)
            .await
            .unwrap();
        let id = arena::enter(
            &mut tx,
            &a,
            "ncgc",
            "toilets",
            unit,
            "2026-Q3",
            value,
            "农业农村局验收台账",
        )
        .await
        .unwrap();
        arena::review_entry(&mut tx, &a, id, true).await.unwrap();
    }
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn only_published_results_reach_the_public_pages() {
    let app = spawn_app("sqlite").await;
    world(&app).await;
    let anon = app.anon();
    let office = app.login("office", PW).await;
    let east = app.login("east", PW).await;
    // Signed-in users see the live scores with their explanation.
    let board = office.get("/arenas/ncgc?period=2026-Q3").await;
    assert_eq!(board.status, StatusCode::OK);
    assert!(board.text.contains("实时计算，未保存"));
    // 西城: 60 × 600 ÷ 500 = 72 (cap 72) red; 东城: 60 × 300 ÷ 400 = 45 yellow.
    assert!(
        board.text.contains("72.00") && board.text.contains("45.00"),
        "{}",
        board.text
    );
    let why = east.get("/arenas/ncgc/2026-Q3/990102").await;
    assert!(
        why.text.contains("60 × 完成 300 户 ÷ 计划 400 户"),
        "{}",
        why.text
    );
    let what_if = east
        .get("/arenas/ncgc/2026-Q3/990102?indicator=toilets&delta=200")
        .await;
    assert!(
        what_if.text.contains("id=\"what-if-result\""),
        "{}",
        what_if.text
    );
    // Photos (晾晒): a district uploads its own, not another's; only JPEG/PNG.
    let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F'].to_vec();
    let form = |unit: &str, name: &str, bytes: Vec<u8>| {
        reqwest::multipart::Form::new()
            .text("unit", unit.to_string())
            .text("caption", "改厕现场")
            .part(
                "photo",
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
            )
    };
    let r = east
        .multipart(
            "/arenas/ncgc/2026-Q3/photos",
            form("990103", "a.jpg", jpeg.clone()),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not its own unit"
    );
    let r = east
        .multipart(
            "/arenas/ncgc/2026-Q3/photos",
            form("990102", "a.pdf", b"%PDF-1.4".to_vec()),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "not a photo");
    let r = east
        .multipart(
            "/arenas/ncgc/2026-Q3/photos",
            form("990102", "a.jpg", jpeg.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let board = east.get("/arenas/ncgc?period=2026-Q3").await;
    let at = board
        .text
        .find("/arenas/photos/")
        .expect("the photo is shown");
    let id: String = board.text[at + 15..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    let (st, ct, bytes) = east.download(&format!("/arenas/photos/{id}")).await;
    assert_eq!(
        (st, ct.as_str(), bytes),
        (StatusCode::OK, "image/jpeg", jpeg.clone())
    );
    assert_eq!(
        anon.get(&format!("/public/arenas/photos/{id}"))
            .await
            .status,
        StatusCode::NOT_FOUND,
        "unpublished period"
    );
    // The API serves published results only, unless the office asks for live scores.
    assert_eq!(
        east.get("/api/v1/arenas/ncgc/score?period=2026-Q3")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        east.get("/api/v1/arenas/ncgc/score?period=2026-Q3&source=live")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let live = office
        .get("/api/v1/arenas/ncgc/score?period=2026-Q3&source=live")
        .await;
    assert_eq!(live.status, StatusCode::OK, "{}", live.text);
    assert_eq!(live.json()["participants"][0]["score"], "72.00");
    // Nothing is public yet: not listed, not served.
    assert!(!anon.get("/public/arenas").await.text.contains("农村改厕"));
    assert_eq!(
        anon.get("/public/arenas/ncgc/2026-Q3").await.status,
        StatusCode::NOT_FOUND
    );
    // Saving needs the office and CSRF; saving alone publishes nothing.
    assert_eq!(
        east.form("/arenas/ncgc/2026-Q3/save", &[("_csrf", &east.csrf)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        office.form("/arenas/ncgc/2026-Q3/save", &[]).await.status,
        StatusCode::FORBIDDEN,
        "no CSRF token"
    );
    assert_eq!(
        office
            .form("/arenas/ncgc/2026-Q3/save", &[("_csrf", &office.csrf)])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        anon.get("/public/arenas/ncgc/2026-Q3").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        east.form("/arenas/ncgc/2026-Q3/publish", &[("_csrf", &east.csrf)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        office
            .form("/arenas/ncgc/2026-Q3/publish", &[("_csrf", &office.csrf)])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let public = anon.get("/public/arenas/ncgc/2026-Q3").await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(
        public.text.contains("72.00")
            && public.text.contains("红旗")
            && public.text.contains("黄旗"),
        "{}",
        public.text
    );
    assert!(
        anon.get("/public/arenas")
            .await
            .text
            .contains("/public/arenas/ncgc/2026-Q3")
    );
    // A later change makes a new revision; the public keeps the published one.
    let mut tx = app.db().begin().await.unwrap();
    arena::adjust(
        &mut tx,
        &Actor::cli(),
        "ncgc",
        "2026-Q3",
        "990102",
        30_000,
        "省级考核加分",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let board = office.get("/arenas/ncgc?period=2026-Q3").await;
    assert!(
        board.text.contains("id=\"stale\""),
        "the stored revision is marked as behind the data"
    );
    assert_eq!(
        office
            .form("/arenas/ncgc/2026-Q3/save", &[("_csrf", &office.csrf)])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let public = anon.get("/public/arenas/ncgc/2026-Q3").await;
    assert!(
        public.text.contains("45.00") && !public.text.contains("75.00"),
        "the unpublished revision does not leak"
    );
    // The page forms: a bad number, then an entry and a penalty by the office.
    let r = office
        .form(
            "/arenas/ncgc/2026-Q3/adjustments",
            &[
                ("_csrf", &office.csrf),
                ("unit", "990103"),
                ("points", "两分"),
                ("reason", "迟报"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("应为数字"), "{}", r.text);
    let r = office
        .form(
            "/arenas/ncgc/2026-Q3/adjustments",
            &[
                ("_csrf", &office.csrf),
                ("unit", "990103"),
                ("points", "-1.5"),
                ("reason", "数据迟报"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(
        east.form(
            "/arenas/ncgc/2026-Q3/adjustments",
            &[
                ("_csrf", &east.csrf),
                ("unit", "990103"),
                ("points", "5"),
                ("reason", "自己加分")
            ]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let r = east
        .form(
            "/arenas/ncgc/2026-Q3/entries",
            &[
                ("_csrf", &east.csrf),
                ("indicator", "toilets"),
                ("unit", "990102"),
                ("value", "320"),
                ("evidence", "台账"),
            ],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the indicator is entered by fgw, not the district"
    );
    let r = office
        .form(
            "/arenas/ncgc/2026-Q3/entries",
            &[
                ("_csrf", &office.csrf),
                ("indicator", "toilets"),
                ("unit", "990102"),
                ("value", "320"),
                ("evidence", "复核台账"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let board = office.get("/arenas/ncgc?period=2026-Q3").await;
    assert!(board.text.contains("待审核") && board.text.contains("复核台账"));
    // Other periods and arenas are not public either.
    assert_eq!(
        anon.get("/public/arenas/ncgc/2026-Q2").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        anon.get("/public/arenas/nope/2026-Q3").await.status,
        StatusCode::NOT_FOUND
    );
    // Signed-in pages need a session.
    assert_ne!(anon.get("/arenas/ncgc").await.status, StatusCode::OK);
}
