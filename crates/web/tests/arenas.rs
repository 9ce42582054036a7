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

/// Creates a project through the store and returns its id.
async fn project(
    app: &support::TestApp,
    name: &str,
    division: &str,
    stage: &str,
    land: Option<&str>,
) -> i64 {
    let mut tx = app.db().begin().await.unwrap();
    let p = gongjian_store::project::create(
        &mut tx,
        &Actor::cli(),
        &gongjian_domain::project::ProjectInput {
            name: name.into(),
            level: "市重点".into(),
            category: "产业项目".into(),
            nature: "新建".into(),
            stage: stage.into(),
            division: division.into(),
            land_mu: land.map(Into::into),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    p.id
}

#[tokio::test]
async fn counts_open_into_their_projects_and_the_annual_board_sums_published_months() {
    use gongjian_domain::arena::Measure;
    let app = spawn_app("sqlite").await;
    seed(app.db(), USERS).await;
    let a = Actor::cli();
    let moved = project(&app, "东城储备转化项目", "990102", "储备", None).await;
    project(&app, "东城仍在储备项目", "990102", "储备", None).await;
    let taxed = project(&app, "西城投产企业", "990103", "投产", Some("50")).await;
    let mut tx = app.db().begin().await.unwrap();
    gongjian_store::project::change_stage(
        &mut tx,
        &a,
        moved,
        "preparation",
        Some("2026-03-10"),
        None,
    )
    .await
    .unwrap();
    let ind = |code: &str, measure: Measure| IndicatorDef {
        rule: Indicator {
            code: code.into(),
            name: code.into(),
            unit: "个".into(),
            direction: Direction::Higher,
            weight: 50,
            method: Method::Ratio { cap_pct: 100 },
        },
        source: Source::Measure { measure },
    };
    arena::create(
        &mut tx,
        &a,
        &ArenaInput {
            code: "xl".into(),
            name: "效率擂台".into(),
            kind: "special".into(),
            participants: vec!["990102".into(), "990103".into()],
            indicators: vec![
                ind("reserve", Measure::ReserveConversion),
                ind("tax", Measure::TaxPerMu),
            ],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let office = app.login("office", PW).await;
    let east = app.login("east", PW).await;
    let anon = app.anon();
    // Tax is recorded on the project page (CSRF, checked, scoped) and through the API.
    let r = office
        .form(
            &format!("/projects/{taxed}/tax"),
            &[
                ("_csrf", &office.csrf),
                ("year", "2026"),
                ("amount_wan", "负数"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("年度税收（万元）"), "{}", r.text);
    let r = office
        .form(
            &format!("/projects/{taxed}/tax"),
            &[
                ("_csrf", &office.csrf),
                ("year", "2026"),
                ("amount_wan", "1,000"),
                ("note", "税务局"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = office.get(&format!("/projects/{taxed}")).await;
    assert!(
        page.text.contains("id=\"taxes\"") && page.text.contains("1,000.00"),
        "{}",
        page.text
    );
    assert!(
        page.text.contains("20.00"),
        "1,000 万元 on 50 mu is 20 万元 a mu"
    );
    assert_ne!(
        east.form(
            &format!("/projects/{taxed}/tax"),
            &[("_csrf", &east.csrf), ("year", "2026"), ("amount_wan", "1")],
        )
        .await
        .status,
        StatusCode::SEE_OTHER,
        "another district's project"
    );
    let api = office
        .put(
            &format!("/api/v1/projects/{taxed}/tax/2025"),
            serde_json::json!({"amount_wan": "800.5", "note": "上年"}),
        )
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.text);
    assert_eq!(api.json()["amount_wan"], "800.50");
    // The district's explanation links its reserve count to the projects behind it.
    let why = east.get("/arenas/xl/2026-09/990102").await;
    assert!(
        why.text
            .contains("href=\"/arenas/xl/2026-09/990102/items/reserve\""),
        "{}",
        why.text
    );
    let items = east.get("/arenas/xl/2026-09/990102/items/reserve").await;
    assert_eq!(items.status, StatusCode::OK, "{}", items.text);
    assert!(items.text.contains("东城储备转化项目") && items.text.contains("东城仍在储备项目"));
    assert!(
        items.text.contains("id=\"item-count\">2<")
            && items.text.contains("id=\"counted-count\">1<"),
        "{}",
        items.text
    );
    assert!(items.text.contains(&format!("href=\"/projects/{moved}\"")));
    // Not another district's list, and no link to it on its explanation.
    assert_eq!(
        east.get("/arenas/xl/2026-09/990103/items/tax").await.status,
        StatusCode::FORBIDDEN
    );
    assert!(
        !east
            .get("/arenas/xl/2026-09/990103")
            .await
            .text
            .contains("items-link")
    );
    let west_tax = office.get("/arenas/xl/2026-09/990103/items/tax").await;
    assert!(
        west_tax.text.contains("西城投产企业") && west_tax.text.contains("亩均 20.00 万元"),
        "{}",
        west_tax.text
    );
    // The annual leaderboard counts published months only, signed in or public.
    for p in ["2026-08", "2026-09"] {
        arena::save(app.db(), &a, "xl", p).await.unwrap();
    }
    arena::publish(app.db(), &a, "xl", "2026-09").await.unwrap();
    let annual = east.get("/arenas/xl/annual?year=2026").await;
    assert_eq!(annual.status, StatusCode::OK, "{}", annual.text);
    assert!(
        annual.text.contains("<th class=\"num\">2026-09</th>") && !annual.text.contains("2026-08"),
        "{}",
        annual.text
    );
    // East converted one of its two reserve projects (25 points); West has no reserve
    // and its tax has no target under a ratio, so it scores nothing.
    assert!(
        annual.text.contains("data-unit=\"990102\" data-rank=\"1\""),
        "{}",
        annual.text
    );
    assert!(
        annual.text.contains("<strong>25.00</strong>"),
        "{}",
        annual.text
    );
    let public = anon.get("/public/arenas/xl/annual/2026").await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.text.contains("西城区"));
    assert_eq!(
        anon.get("/public/arenas/xl/annual/2025").await.status,
        StatusCode::NOT_FOUND
    );
    assert!(
        anon.get("/public/arenas")
            .await
            .text
            .contains("/public/arenas/xl/annual/2026")
    );
    assert_eq!(
        east.get("/arenas/xl/annual?year=二零二六").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

fn pairs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, x)| (*k, x.as_str())).collect()
}

#[tokio::test]
async fn the_office_creates_an_arena_and_versions_its_rule_on_the_form() {
    let app = spawn_app("sqlite").await;
    seed(app.db(), USERS).await;
    let office = app.login("office", PW).await;
    let east = app.login("east", PW).await;
    let page = office.get("/arenas/new").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("name=\"ind_code_0\"") && page.text.contains("储备转化率"));
    assert_eq!(east.get("/arenas/new").await.status, StatusCode::FORBIDDEN);
    let base = |params: &'static str| -> Vec<(&'static str, String)> {
        vec![
            ("_csrf", office.csrf.clone()),
            ("code", "kfq".into()),
            ("name", "开发区擂台赛".into()),
            ("kind", "special".into()),
            ("task_book", "比投资、比开工".into()),
            ("participants", "990102".into()),
            ("participants", "990103".into()),
            ("from_period", "2026-01".into()),
            ("rows", "3".into()),
            ("ind_code_0", "invest".into()),
            ("ind_name_0", "投资完成率".into()),
            ("ind_unit_0", "万元".into()),
            ("ind_direction_0", "higher".into()),
            ("ind_weight_0", "60".into()),
            ("ind_method_0", "ratio".into()),
            ("ind_params_0", "cap_pct=120".into()),
            ("ind_source_0", "invest_plan".into()),
            ("ind_code_1", "toilets".into()),
            ("ind_name_1", "户厕改造".into()),
            ("ind_unit_1", "户".into()),
            ("ind_direction_1", "higher".into()),
            ("ind_weight_1", "40".into()),
            ("ind_method_1", "completion".into()),
            ("ind_params_1", params.into()),
            ("ind_source_1", "entered".into()),
            ("ind_by_1", "fgw".into()),
            ("ind_code_2", "".into()),
            ("ind_name_2", "".into()),
            ("flag_kind", "top_bottom".into()),
            ("flag_red", "1".into()),
            ("flag_low", "1".into()),
            ("flag_climb", "2".into()),
        ]
    };
    // A wrong parameter is refused with the row and the way to write it; nothing is created.
    let r = office
        .form("/arenas/new", &pairs(&base("k=六十, cap=48")))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text.contains("第 2 个指标") && r.text.contains("k 应为整数"),
        "{}",
        r.text
    );
    assert!(
        r.text.contains("value=\"开发区擂台赛\""),
        "what was typed is kept"
    );
    assert!(arena::list(app.db()).await.unwrap().is_empty());
    // Without CSRF, or as a district: refused.
    let mut no_csrf = base("k=40, cap=48");
    no_csrf.retain(|(k, _)| *k != "_csrf");
    assert_eq!(
        office.form("/arenas/new", &pairs(&no_csrf)).await.status,
        StatusCode::FORBIDDEN
    );
    let r = office
        .form("/arenas/new", &pairs(&base("k=40, cap=48")))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let a = arena::by_code(app.db(), "kfq").await.unwrap();
    let parts = arena::participants(app.db(), a.id).await.unwrap();
    assert_eq!(parts.len(), 2);
    let rule = arena::rule_for(
        app.db(),
        a.id,
        gongjian_domain::arena::Period::Month(2026, 6),
    )
    .await
    .unwrap();
    assert_eq!(rule.indicators.len(), 2, "the empty row is ignored");
    assert_eq!(
        rule.indicators[1].rule.method,
        Method::Completion { k: 40, cap: 48 }
    );
    assert_eq!(
        rule.indicators[1].source,
        Source::Entered { unit: "fgw".into() }
    );
    assert_eq!(rule.flag_rule, FlagRule::TopBottom { red: 1, yellow: 1 });
    // The rule form shows the current rule; saving adds a version from a month on.
    let page = office.get("/arenas/kfq/rule").await;
    assert!(
        page.text.contains("value=\"cap_pct=120\"") && page.text.contains("value=\"k=40, cap=48\""),
        "{}",
        page.text
    );
    let mut v2 = base("k=40, cap=48");
    for (k, v) in v2.iter_mut() {
        match *k {
            "from_period" => *v = "2026-07".into(),
            "ind_weight_0" => *v = "70".into(),
            "ind_weight_1" => *v = "30".into(),
            "flag_kind" => *v = "climb".into(),
            _ => {}
        }
    }
    let r = office.form("/arenas/kfq/rule", &pairs(&v2)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let june = arena::rule_for(
        app.db(),
        a.id,
        gongjian_domain::arena::Period::Month(2026, 6),
    )
    .await
    .unwrap();
    let july = arena::rule_for(
        app.db(),
        a.id,
        gongjian_domain::arena::Period::Month(2026, 7),
    )
    .await
    .unwrap();
    assert_eq!(
        (
            june.indicators[0].rule.weight,
            july.indicators[0].rule.weight
        ),
        (60, 70)
    );
    assert_eq!(
        july.flag_rule,
        FlagRule::Climb {
            red: 1,
            climb: 2,
            yellow: 1
        }
    );
    assert!(july.version > june.version);
    let mut as_east = v2.clone();
    as_east[0].1 = east.csrf.clone();
    assert_eq!(
        east.form("/arenas/kfq/rule", &pairs(&as_east)).await.status,
        StatusCode::FORBIDDEN
    );
}
