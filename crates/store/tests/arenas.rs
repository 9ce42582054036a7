//! Arenas on SQLite and PostgreSQL: indicators computed from reports and projects,
//! entered values counted only once approved, task-book targets, bonus and penalty,
//! quarterly flags, stored revisions with explanations, publication, what-if without
//! saving, and byte-identical results on both engines.

mod common;
use common::{city, user_actor};

use chrono::NaiveDate;
use gongjian_domain::arena::{Direction, FlagRule, Indicator, Measure, Method};
use gongjian_domain::calendar::Calendar;
use gongjian_domain::project::ProjectInput;
use gongjian_domain::report::Action;
use gongjian_store::arena::{self, ArenaInput, Change, IndicatorDef, Source};
use gongjian_store::report::{self, ReportInput};
use gongjian_store::testing::TestDb;
use gongjian_store::{Actor, Db, StoreError, both_engines, on_db};

fn ind(code: &str, name: &str, weight: i64, method: Method, source: Source) -> IndicatorDef {
    IndicatorDef {
        rule: Indicator {
            code: code.into(),
            name: name.into(),
            unit: String::new(),
            direction: Direction::Higher,
            weight,
            method,
        },
        source,
    }
}

/// Two districts with projects, September's reports and lights, and an arena.
async fn world(db: &Db) {
    city(db).await;
    let a = Actor::cli();
    let mut tx = db.begin().await.unwrap();
    for (name, div, plan, start_year, started) in [
        ("东城一号", "东城区", "1200", 2026, true),
        ("东城二号", "东城区", "800", 2026, false),
        ("西城一号", "西城区", "1000", 2026, true),
        ("西城二号", "西城区", "1000", 2025, true),
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
                start_year: Some(start_year),
                started: Some(started),
                start_date: started.then(|| "2026-03-01".to_string()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let mut tx = db.begin().await.unwrap();
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
    for (pid, amount) in ids.iter().zip(["900", "100", "500", "1000"]) {
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
                start_date: Some("2026-03-01".into()),
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
    let mut tx = db.begin().await.unwrap();
    arena::create(
        &mut tx,
        &a,
        &ArenaInput {
            code: "xmjs".into(),
            name: "项目建设擂台赛".into(),
            kind: "comprehensive".into(),
            participants: vec!["370102".into(), "370103".into()],
            indicators: vec![
                ind(
                    "invest",
                    "投资完成率",
                    60,
                    Method::Ratio { cap_pct: 120 },
                    Source::Measure {
                        measure: Measure::InvestPlan,
                    },
                ),
                ind(
                    "start",
                    "开工率",
                    20,
                    Method::Linear {
                        floor: 0,
                        ceiling: 1,
                        base_pct: 0,
                    },
                    Source::Measure {
                        measure: Measure::StartRate,
                    },
                ),
                ind(
                    "toilets",
                    "农村户厕改造",
                    20,
                    Method::Completion { k: 20, cap: 20 },
                    Source::Entered {
                        unit: "370102".into(),
                    },
                ),
            ],
            flag_rule: FlagRule::TopBottom { red: 1, yellow: 1 },
            ..Default::default()
        },
    )
    .await
    .unwrap();
    arena::set_target(&mut tx, &a, "xmjs", "toilets", "370102", 2026, 400)
        .await
        .unwrap();
    arena::set_target(&mut tx, &a, "xmjs", "toilets", "370103", 2026, 500)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

fn field(e: &StoreError) -> &'static str {
    match e {
        StoreError::Invalid(d) | StoreError::Conflict(d) => d.field,
        _ => "",
    }
}

both_engines!(an_arena_is_scored_explained_and_published, |t| {
    let db = &t.db;
    world(db).await;
    let a = Actor::cli();
    let r = arena::compute(db, "xmjs", "2026-09", &[]).await.unwrap();
    let by: std::collections::BTreeMap<&str, &arena::ParticipantResult> = r
        .participants
        .iter()
        .map(|p| (p.code.as_str(), p))
        .collect();
    // East: 1,000 万 of 2,000 planned → 60 × 0.5 = 30; one of two planned starts → linear
    // 0..1 on the count… starts: value 1, target 2 → 20 × 1/1 = 20 (ceiling 1 reached);
    // toilets not entered → 0. Total 50.
    let east = by["370102"];
    assert_eq!(
        east.components[0].points, "30.00",
        "{:?}",
        east.components[0]
    );
    assert!(
        east.components[0]
            .source
            .contains("本年累计完成 1,000.00 万元"),
        "{}",
        east.components[0].source
    );
    assert_eq!(east.components[2].points, "0.00");
    // West: 1,500 of 2,000 → 45.
    assert_eq!(by["370103"].components[0].points, "45.00");
    assert_eq!(by["370103"].rank, 1);
    assert_eq!(east.ahead.as_ref().map(|g| g.code.as_str()), Some("370103"));
    // Monthly results carry no flags; the quarter does.
    assert!(r.participants.iter().all(|p| p.flag.is_none()));
    let q = arena::compute(db, "xmjs", "2026-Q3", &[]).await.unwrap();
    assert_eq!(q.participants[0].flag.as_deref(), Some("red"));
    assert_eq!(q.participants[1].flag.as_deref(), Some("yellow"));

    // An entered value counts only once approved; the district enters its own only.
    let east_user = user_actor(db, "dc1", "370102", "division").await;
    let west_user = user_actor(db, "xc1", "370103", "division").await;
    let mut tx = db.begin().await.unwrap();
    let e = arena::enter(
        &mut tx,
        &west_user,
        "xmjs",
        "toilets",
        "370103",
        "2026-09",
        450,
        "区农业农村局台账",
    )
    .await
    .unwrap_err();
    assert_eq!(field(&e), "unit", "the indicator is entered by 370102");
    assert_eq!(
        field(
            &arena::enter(
                &mut tx, &east_user, "xmjs", "toilets", "370102", "2026-09", 300, ""
            )
            .await
            .unwrap_err()
        ),
        "evidence"
    );
    let id = arena::enter(
        &mut tx,
        &east_user,
        "xmjs",
        "toilets",
        "370102",
        "2026-09",
        300,
        "区农业农村局验收台账",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        arena::compute(db, "xmjs", "2026-09", &[])
            .await
            .unwrap()
            .participants
            .iter()
            .find(|p| p.code == "370102")
            .unwrap()
            .components[2]
            .points,
        "0.00"
    );
    let mut tx = db.begin().await.unwrap();
    assert!(matches!(
        arena::review_entry(&mut tx, &east_user, id, true)
            .await
            .unwrap_err(),
        StoreError::Denied(_)
    ));
    arena::review_entry(&mut tx, &a, id, true).await.unwrap();
    // A penalty with a reason.
    assert_eq!(
        field(
            &arena::adjust(&mut tx, &a, "xmjs", "2026-09", "370103", -2000, "")
                .await
                .unwrap_err()
        ),
        "reason"
    );
    arena::adjust(
        &mut tx,
        &a,
        "xmjs",
        "2026-09",
        "370103",
        -2_000,
        "发生一般安全生产事故",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let r = arena::compute(db, "xmjs", "2026-09", &[]).await.unwrap();
    let east = r.participants.iter().find(|p| p.code == "370102").unwrap();
    // 20 × 300 ÷ 400 = 15.
    assert_eq!(east.components[2].points, "15.00");
    assert!(
        east.components[2].formula.contains("300")
            && east.components[2].source.contains("任务书目标 400"),
        "{:?}",
        east.components[2]
    );
    let west = r.participants.iter().find(|p| p.code == "370103").unwrap();
    assert_eq!(west.adjustments.len(), 1);

    // What-if changes nothing stored.
    let before = on_db!(db, c => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM arena_result").fetch_one(c).await).unwrap();
    let w = arena::compute(
        db,
        "xmjs",
        "2026-09",
        &[Change {
            participant: "370102".into(),
            indicator: "invest".into(),
            delta: Some(5_000_000),
            value: None,
        }],
    )
    .await
    .unwrap();
    let east_w = w.participants.iter().find(|p| p.code == "370102").unwrap();
    assert_eq!(east_w.components[0].points, "45.00", "1,500 万 of 2,000");
    assert_eq!(on_db!(db, c => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM arena_result").fetch_one(c).await).unwrap(), before);
    let bad = arena::compute(
        db,
        "xmjs",
        "2026-09",
        &[Change {
            participant: "nobody".into(),
            indicator: "invest".into(),
            ..Default::default()
        }],
    )
    .await
    .unwrap_err();
    assert_eq!(field(&bad), "what_if");

    // Stored revisions: saving twice without a change writes one; publishing shows it;
    // a later change makes a new, unpublished revision while the published one stays.
    assert!(
        arena::published(db, "xmjs", "2026-09")
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        arena::publish(db, &east_user, "xmjs", "2026-09")
            .await
            .unwrap_err(),
        StoreError::Denied(_)
    ));
    assert_eq!(
        field(&arena::publish(db, &a, "xmjs", "2026-09").await.unwrap_err()),
        "period"
    );
    assert_eq!(
        arena::save(db, &a, "xmjs", "2026-09").await.unwrap(),
        (1, true)
    );
    assert_eq!(
        arena::save(db, &a, "xmjs", "2026-09").await.unwrap(),
        (1, false)
    );
    arena::publish(db, &a, "xmjs", "2026-09").await.unwrap();
    let (rev, shown) = arena::published(db, "xmjs", "2026-09")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rev, 1);
    let mut tx = db.begin().await.unwrap();
    arena::adjust(
        &mut tx,
        &a,
        "xmjs",
        "2026-09",
        "370102",
        1_000,
        "获省级表彰",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        arena::save(db, &a, "xmjs", "2026-09").await.unwrap(),
        (2, true)
    );
    let (rev, still) = arena::published(db, "xmjs", "2026-09")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (rev, &still),
        (1, &shown),
        "the published result keeps its explanation"
    );

    // A new rule version applies from its month on; earlier periods keep theirs.
    let mut tx = db.begin().await.unwrap();
    let v = arena::set_rule(
        &mut tx,
        &a,
        "xmjs",
        "2026-10",
        &[ind(
            "invest",
            "投资完成率",
            100,
            Method::Ratio { cap_pct: 100 },
            Source::Measure {
                measure: Measure::InvestPlan,
            },
        )],
        &FlagRule::default(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(v, 2);
    assert_eq!(
        arena::compute(db, "xmjs", "2026-09", &[])
            .await
            .unwrap()
            .rule_version,
        1
    );
    assert_eq!(
        field(
            &arena::compute(db, "xmjs", "2026-13", &[])
                .await
                .unwrap_err()
        ),
        "period"
    );
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_engines_give_byte_identical_results() {
    let lite = TestDb::new("sqlite").await.unwrap();
    let pg = TestDb::new("postgres").await.unwrap();
    let mut out = Vec::new();
    for t in [&lite, &pg] {
        world(&t.db).await;
        let mut tx = t.db.begin().await.unwrap();
        arena::adjust(
            &mut tx,
            &Actor::cli(),
            "xmjs",
            "2026-Q3",
            "370103",
            -1_250,
            "扣分",
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let mut json = String::new();
        for p in ["2026-09", "2026-Q3", "2026-H2", "2026"] {
            json.push_str(
                &serde_json::to_string(&arena::compute(&t.db, "xmjs", p, &[]).await.unwrap())
                    .unwrap(),
            );
        }
        out.push(json);
    }
    assert!(out[0].contains("\"score\""));
    assert_eq!(out[0], out[1]);
}
