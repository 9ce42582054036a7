//! Campaigns on SQLite and PostgreSQL: created with their leading group, units, projects
//! and chained targets (bad references refused naming the field), weekly values entered
//! only by the task force's unit and only for weeks begun, and a short week shown to
//! endanger its month, quarter and the whole period.

mod common;
use common::{city, user_actor};

use chrono::NaiveDate;
use gongjian_domain::campaign::{Level, Plan, month_key, quarter_key, weeks};
use gongjian_domain::project::ProjectInput;
use gongjian_store::campaign::{self as cs, CampaignInput, IndicatorInput, LeaderRole, UnitRole};
use gongjian_store::{Actor, Db, StoreError, both_engines};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn field(e: &StoreError) -> &'static str {
    match e {
        StoreError::Invalid(d) | StoreError::Conflict(d) => d.field,
        _ => "",
    }
}

/// 100 days from Monday 2026-09-07, 10 a week, every level adding up exactly.
fn plan() -> Plan {
    let (s, e) = (d("2026-09-07"), d("2026-12-15"));
    let mut p = Plan::default();
    for (n, _, to) in weeks(s, e) {
        p.weeks.insert(n, 10);
        *p.months.entry(month_key(to)).or_default() += 10;
    }
    for (m, v) in p.months.clone() {
        *p.quarters.entry(quarter_key(&m)).or_default() += v;
    }
    p.year = Some(150);
    p
}

fn input() -> CampaignInput {
    CampaignInput {
        code: "gw".into(),
        name: "老旧管网改造百日攻坚".into(),
        kind: "hundred_day".into(),
        command_post: "百日攻坚指挥部".into(),
        leaders: vec![LeaderRole {
            name: "王示范".into(),
            role: "lead".into(),
        }],
        units: vec![
            UnitRole {
                code: "fgw".into(),
                role: "command".into(),
            },
            UnitRole {
                code: "dc-zjj".into(),
                role: "member".into(),
            },
        ],
        standard: "对标一流".into(),
        approach: "国企实施".into(),
        tasks_year: "改造 150 公里".into(),
        tasks_plan: "三年完成".into(),
        starts_on: d("2026-09-07"),
        ends_on: d("2026-12-15"),
        projects: vec!["东城管网一期".into()],
        indicators: vec![IndicatorInput {
            code: "gw".into(),
            name: "改造管网".into(),
            unit: "公里".into(),
            task_force: "管网专班".into(),
            unit_code: "dc-zjj".into(),
            plan: plan(),
        }],
    }
}

async fn world(db: &Db) {
    city(db).await;
    let mut tx = db.begin().await.unwrap();
    gongjian_store::project::create(
        &mut tx,
        &Actor::cli(),
        &ProjectInput {
            name: "东城管网一期".into(),
            level: "市重点".into(),
            category: "基础设施".into(),
            nature: "新建".into(),
            stage: "在建".into(),
            division: "东城区".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

both_engines!(
    a_campaign_chains_its_targets_and_shows_what_is_endangered,
    |t| {
        let db = &t.db;
        world(db).await;
        let a = Actor::cli();
        // Bad references are refused naming the field, and nothing is kept.
        for (mutate, f) in [
            (
                Box::new(|i: &mut CampaignInput| i.leaders[0].name = "无此人".into())
                    as Box<dyn Fn(&mut CampaignInput)>,
                "leaders",
            ),
            (
                Box::new(|i: &mut CampaignInput| i.leaders[0].role = "deputy".into()),
                "leaders",
            ),
            (
                Box::new(|i: &mut CampaignInput| i.units[0].code = "nope".into()),
                "units",
            ),
            (
                Box::new(|i: &mut CampaignInput| i.projects[0] = "无此项目".into()),
                "projects",
            ),
            (
                Box::new(|i: &mut CampaignInput| i.ends_on = d("2026-09-01")),
                "ends_on",
            ),
            (
                Box::new(|i: &mut CampaignInput| {
                    i.indicators[0].plan.weeks.insert(30, 1);
                }),
                "indicators",
            ),
            (
                Box::new(|i: &mut CampaignInput| {
                    i.indicators[0].plan.year = Some(-1);
                }),
                "indicators",
            ),
            (
                Box::new(|i: &mut CampaignInput| i.kind = "war".into()),
                "kind",
            ),
        ] {
            let mut i = input();
            mutate(&mut i);
            let mut tx = db.begin().await.unwrap();
            let e = cs::create(&mut tx, &a, &i).await.unwrap_err();
            assert_eq!(field(&e), f, "{e}");
            drop(tx);
        }
        assert!(cs::list(db).await.unwrap().is_empty());
        // A district user may not create one.
        let east = user_actor(db, "east", "370102", "division").await;
        let mut tx = db.begin().await.unwrap();
        assert!(matches!(
            cs::create(&mut tx, &east, &input()).await,
            Err(StoreError::Denied(_))
        ));
        drop(tx);
        let mut tx = db.begin().await.unwrap();
        cs::create(&mut tx, &a, &input()).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = db.begin().await.unwrap();
        assert_eq!(
            field(&cs::create(&mut tx, &a, &input()).await.unwrap_err()),
            "code"
        );
        drop(tx);

        // Weekly values: only the task force's unit; a week not begun is refused.
        let today = d("2026-10-12");
        let zjj = user_actor(db, "zjj", "dc-zjj", "department").await;
        let fgw = user_actor(db, "fgwu", "fgw", "department").await;
        let mut tx = db.begin().await.unwrap();
        let e = cs::enter(&mut tx, &fgw, "gw", "gw", "1", "10", "", today)
            .await
            .unwrap_err();
        assert_eq!(field(&e), "indicator");
        let e = cs::enter(&mut tx, &zjj, "gw", "gw", "7", "10", "", today)
            .await
            .unwrap_err();
        assert!(field(&e) == "week", "week 7 starts 10-19: {e}");
        let e = cs::enter(&mut tx, &zjj, "gw", "gw", "2", "-3", "", today)
            .await
            .unwrap_err();
        assert_eq!(field(&e), "value");
        for (week, v) in [
            ("1", "10"),
            ("2", "10"),
            ("3", "10"),
            ("4", "4"),
            ("5", "10"),
        ] {
            cs::enter(&mut tx, &zjj, "gw", "gw", week, v, "", today)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();

        // Week 4 (09-28 … 10-04) fell short by 6: October, Q4 and the period are at risk.
        let det = cs::detail(db, &a, "gw", today).await.unwrap();
        assert_eq!(det.leaders[0].role, "lead");
        assert_eq!(det.units.len(), 2);
        assert_eq!(det.projects.len(), 1);
        assert_eq!(det.this_week, Some(6));
        let ind = &det.indicators[0];
        assert!(ind.gaps.is_empty(), "the plan adds up: {:?}", ind.gaps);
        let oct = ind
            .standings
            .iter()
            .find(|s| s.level == Level::Month && s.key == "2026-10")
            .unwrap();
        assert_eq!((oct.done, oct.projected, oct.shortfall), (14, 34, 6));
        assert_eq!(oct.short_weeks, vec![4]);
        assert!(
            ind.warnings
                .iter()
                .any(|w| w
                    == "第4周未完成周目标，2026年10月目标40公里按计划只能完成34公里，还差6公里"),
            "{:?}",
            ind.warnings
        );
        assert!(
            ind.warnings.iter().any(|w| w.contains("全年目标150公里")),
            "{:?}",
            ind.warnings
        );
        // Re-entering a week replaces it, and the month holds again.
        let mut tx = db.begin().await.unwrap();
        cs::enter(&mut tx, &zjj, "gw", "gw", "4", "10", "补报", today)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let det = cs::detail(db, &a, "gw", today).await.unwrap();
        assert!(
            det.indicators[0].warnings.is_empty(),
            "{:?}",
            det.indicators[0].warnings
        );
        assert_eq!(det.indicators[0].actual[&4], (10, "补报".to_string()));
        // A district user sees the campaign, with only its own projects.
        let west = user_actor(db, "west", "370103", "division").await;
        assert!(
            cs::detail(db, &west, "gw", today)
                .await
                .unwrap()
                .projects
                .is_empty()
        );
        assert_eq!(
            cs::detail(db, &east, "gw", today)
                .await
                .unwrap()
                .projects
                .len(),
            1
        );
    }
);
