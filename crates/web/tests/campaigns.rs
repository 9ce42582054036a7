//! Campaigns over HTTP: the page shows the leading group, the four clarities and each
//! indicator's chain with the endangered month named; only the task force's unit gets the
//! entry form and may enter, with CSRF; a bad week is refused saying why.

mod support;

use chrono::{Datelike, Days};
use gongjian_domain::campaign::{Plan, month_key, quarter_key, weeks};
use gongjian_store::Actor;
use gongjian_store::campaign::{self as cs, CampaignInput, IndicatorInput, LeaderRole, UnitRole};
use gongjian_store::leader::{self, LeaderInput};
use reqwest::StatusCode;
use support::{PW, seed, spawn_app};

const USERS: &[(&str, &str, &[&str])] = &[
    ("office", "fgw", &["office"]),
    ("zjj", "dc-zjj", &["department"]),
    ("east", "990102", &["division"]),
];

#[tokio::test]
async fn a_campaign_page_shows_its_chain_and_takes_the_task_forces_entries() {
    let app = spawn_app("sqlite").await;
    seed(app.db(), USERS).await;
    let a = Actor::cli();
    let today = gongjian_store::today();
    // Started on the Monday four weeks ago: weeks 1–4 are over.
    let start = today - Days::new(u64::from(today.weekday().num_days_from_monday()) + 28);
    let end = start + Days::new(99);
    let mut plan = Plan::default();
    for (n, _, to) in weeks(start, end) {
        plan.weeks.insert(n, 10);
        *plan.months.entry(month_key(to)).or_default() += 10;
    }
    for (m, v) in plan.months.clone() {
        *plan.quarters.entry(quarter_key(&m)).or_default() += v;
    }
    plan.year = Some(plan.quarters.values().sum());
    let mut tx = app.db().begin().await.unwrap();
    leader::create(
        &mut tx,
        &a,
        &LeaderInput {
            name: "王示范".into(),
            title: "副市长".into(),
            unit_code: "990100".into(),
            username: None,
            sort: Some(1),
        },
    )
    .await
    .unwrap();
    cs::create(
        &mut tx,
        &a,
        &CampaignInput {
            code: "gw".into(),
            name: "老旧管网改造百日攻坚".into(),
            kind: "hundred_day".into(),
            command_post: "百日攻坚指挥部".into(),
            leaders: vec![LeaderRole {
                name: "王示范".into(),
                role: "lead".into(),
            }],
            units: vec![UnitRole {
                code: "dc-zjj".into(),
                role: "command".into(),
            }],
            standard: "对标国家城市更新试点城市".into(),
            approach: "国企实施、居民参与".into(),
            tasks_year: "百日改造 150 公里".into(),
            tasks_plan: "三年完成".into(),
            starts_on: start,
            ends_on: end,
            projects: vec![],
            indicators: vec![IndicatorInput {
                code: "gw".into(),
                name: "改造管网".into(),
                unit: "公里".into(),
                task_force: "管网专班".into(),
                unit_code: "dc-zjj".into(),
                plan,
            }],
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let zjj = app.login("zjj", PW).await;
    let east = app.login("east", PW).await;
    let list = east.get("/campaigns").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text.contains("老旧管网改造百日攻坚"));
    let page = east.get("/campaigns/gw").await;
    assert_eq!(page.status, StatusCode::OK);
    for s in [
        "王示范",
        "牵头领导",
        "对标国家城市更新试点城市",
        "国企实施、居民参与",
        "管网专班",
        "百日攻坚指挥部",
    ] {
        assert!(page.text.contains(s), "{s}");
    }
    assert!(
        !page.text.contains("name=\"value\""),
        "no entry form for a district"
    );
    let r = east
        .form(
            "/campaigns/gw",
            &[
                ("_csrf", &east.csrf),
                ("indicator", "gw"),
                ("week", "1"),
                ("value", "10"),
            ],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a district may not enter"
    );
    assert!(r.text.contains("专班牵头单位填报"), "{}", r.text);
    // The task force's unit enters the weeks over; week 4 falls short.
    let page = zjj.get("/campaigns/gw").await;
    assert!(page.text.contains("name=\"value\""));
    let r = zjj
        .form(
            "/campaigns/gw",
            &[("indicator", "gw"), ("week", "1"), ("value", "10")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "CSRF");
    let r = zjj
        .form(
            "/campaigns/gw",
            &[
                ("_csrf", &zjj.csrf),
                ("indicator", "gw"),
                ("week", "40"),
                ("value", "10"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("不在攻坚期内"), "{}", r.text);
    for (w, v) in [("1", "10"), ("2", "10"), ("3", "10"), ("4", "3")] {
        let r = zjj
            .form(
                "/campaigns/gw",
                &[
                    ("_csrf", &zjj.csrf),
                    ("indicator", "gw"),
                    ("week", w),
                    ("value", v),
                    ("note", "阴雨"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    }
    let page = east.get("/campaigns/gw").await;
    assert!(
        page.text.contains("第4周未完成周目标"),
        "the endangered period is named"
    );
    assert!(page.text.contains("还差7公里"));
    let api = east.get("/api/v1/campaigns/gw").await.json();
    assert_eq!(api["indicators"][0]["actual"]["4"][0], 3);
    assert_eq!(
        east.get("/campaigns/nope").await.status,
        StatusCode::NOT_FOUND
    );
}
