//! The reserve conversion rate and tax per mu as computed arena indicators, the lists of
//! projects behind a count, and the annual leaderboard of published months, on SQLite
//! and PostgreSQL.

mod common;
use common::{city, user_actor};

use gongjian_domain::arena::{Direction, FlagRule, Indicator, Measure, Method, Period};
use gongjian_domain::project::ProjectInput;
use gongjian_store::arena::{self, ArenaInput, IndicatorDef, Source};
use gongjian_store::project;
use gongjian_store::{Actor, Db, StoreError, both_engines, on_db};

fn ind(code: &str, weight: i64, method: Method, measure: Measure) -> IndicatorDef {
    IndicatorDef {
        rule: Indicator {
            code: code.into(),
            name: code.into(),
            unit: String::new(),
            direction: Direction::Higher,
            weight,
            method,
        },
        source: Source::Measure { measure },
    }
}

async fn add(db: &Db, name: &str, division: &str, stage: &str, land: Option<&str>) -> i64 {
    let mut tx = db.begin().await.unwrap();
    let p = project::create(
        &mut tx,
        &Actor::cli(),
        &ProjectInput {
            name: name.into(),
            level: "市重点".into(),
            category: "产业项目".into(),
            nature: "新建".into(),
            stage: stage.into(),
            division: division.into(),
            total_investment_wan: Some("5000".into()),
            land_mu: land.map(Into::into),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    p.id
}

async fn move_to(db: &Db, id: i64, to: &str, on: &str) {
    let mut tx = db.begin().await.unwrap();
    project::change_stage(&mut tx, &Actor::cli(), id, to, Some(on), None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn tax(db: &Db, actor: &Actor, id: i64, year: i64, wan: &str) -> Result<(), StoreError> {
    let mut tx = db.begin().await.unwrap();
    project::set_tax(&mut tx, actor, id, year, wan, "税务局").await?;
    tx.commit().await.unwrap();
    Ok(())
}

/// East: four projects in reserve during 2026 (one converted in March, one still in
/// reserve, one converted only in October, one terminated) and one that left reserve in
/// 2025; West: one converted to construction in May and one never in reserve. Taxes:
/// East 41 万元 on 20.5 mu, West 500 万元 on 100 mu (and a 2025 figure, and a project
/// without land, that must not count).
async fn world(db: &Db) -> Vec<i64> {
    city(db).await;
    let e1 = add(db, "东城储备一", "东城区", "储备", Some("20.5")).await;
    let e2 = add(db, "东城储备二", "东城区", "储备", None).await;
    let e3 = add(db, "东城储备三", "东城区", "储备", None).await;
    let e4 = add(db, "东城储备四", "东城区", "储备", None).await;
    let e5 = add(db, "东城储备五", "东城区", "储备", None).await;
    let w1 = add(db, "西城储备一", "西城区", "储备", None).await;
    let w2 = add(db, "西城在建", "西城区", "在建", Some("100")).await;
    let w3 = add(db, "西城无地", "西城区", "投产", None).await;
    move_to(db, e1, "preparation", "2026-03-10").await;
    move_to(db, e3, "preparation", "2026-10-05").await;
    move_to(db, e4, "terminated", "2026-02-01").await;
    move_to(db, e5, "preparation", "2025-06-01").await;
    move_to(db, w1, "construction", "2026-05-01").await;
    let a = Actor::cli();
    tax(db, &a, e1, 2026, "41").await.unwrap();
    tax(db, &a, w2, 2026, "500").await.unwrap();
    tax(db, &a, w2, 2025, "9000").await.unwrap();
    tax(db, &a, w3, 2026, "300").await.unwrap();
    let mut tx = db.begin().await.unwrap();
    arena::create(
        &mut tx,
        &a,
        &ArenaInput {
            code: "xl".into(),
            name: "效率擂台".into(),
            kind: "special".into(),
            participants: vec!["370102".into(), "370103".into()],
            indicators: vec![
                ind(
                    "reserve",
                    50,
                    Method::Ratio { cap_pct: 100 },
                    Measure::ReserveConversion,
                ),
                ind(
                    "tax",
                    50,
                    Method::Linear {
                        floor: 0,
                        ceiling: 100_000,
                        base_pct: 0,
                    },
                    Measure::TaxPerMu,
                ),
            ],
            flag_rule: FlagRule::TopBottom { red: 1, yellow: 1 },
            ..Default::default()
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    vec![e1, e2, e3, e4, e5, w1, w2, w3]
}

both_engines!(
    reserve_conversion_and_tax_per_mu_are_computed_and_listed,
    |t| {
        let db = &t.db;
        let ids = world(db).await;
        let r = arena::compute(db, "xl", "2026-09", &[]).await.unwrap();
        let east = r.participants.iter().find(|p| p.code == "370102").unwrap();
        let west = r.participants.iter().find(|p| p.code == "370103").unwrap();
        let comp = |p: &arena::ParticipantResult, code: &str| {
            p.components
                .iter()
                .find(|c| c.indicator == code)
                .cloned()
                .unwrap()
        };
        // East: E1, E2, E3 (converted only in October) and E4 (terminated) were in reserve
        // in 2026; only E1 converted by September. E5 left reserve in 2025.
        let er = comp(east, "reserve");
        assert_eq!((er.value, er.target), (1, Some(4)), "{er:?}");
        assert_eq!(er.points, "12.50");
        assert!(er.source.contains("处于储备的项目 4 个"), "{}", er.source);
        let wr = comp(west, "reserve");
        assert_eq!((wr.value, wr.target), (1, Some(1)));
        assert_eq!(wr.points, "50.00");
        // Tax per mu: 410,000 yuan on 20.5 mu = 20,000 yuan a mu; 5,000,000 on 100 = 50,000.
        let et = comp(east, "tax");
        assert_eq!(et.value, 20_000);
        assert_eq!(et.points, "10.00");
        let wt = comp(west, "tax");
        assert_eq!(
            wt.value, 50_000,
            "the 2025 figure and the landless project are left out"
        );
        assert_eq!(wt.points, "25.00");
        assert!(
            wt.source.contains("1 个项目填报 2026 年税收 500.00 万元"),
            "{}",
            wt.source
        );
        assert_eq!(
            (east.score.as_str(), west.score.as_str()),
            ("22.50", "75.00")
        );
        assert_eq!((west.rank, east.rank), (1, 2));

        // The projects behind East's reserve count, each saying why it counts or not.
        let parts = arena::participants(db, arena::by_code(db, "xl").await.unwrap().id)
            .await
            .unwrap();
        let east_part = parts.iter().find(|p| p.code == "370102").unwrap();
        let p9 = Period::parse("2026-09").unwrap();
        let items = arena::items_behind(db, east_part, Measure::ReserveConversion, p9)
            .await
            .unwrap();
        let got: Vec<(i64, bool)> = items.iter().map(|i| (i.id, i.counted)).collect();
        assert_eq!(
            got,
            vec![
                (ids[0], true),
                (ids[1], false),
                (ids[2], false),
                (ids[3], false)
            ]
        );
        assert!(
            items[0].detail.contains("2026-03-10 转出储备"),
            "{}",
            items[0].detail
        );
        assert!(items[1].detail.contains("仍为储备"), "{}", items[1].detail);
        assert!(
            items[2].detail.contains("2026-10-05 转出储备，晚于本期末"),
            "{}",
            items[2].detail
        );
        assert!(
            items[3].detail.contains("2026-02-01 终止，不计为转化"),
            "{}",
            items[3].detail
        );
        assert!(
            items
                .iter()
                .all(|i| i.kind == "project" && i.division_name == "东城区")
        );
        let west_part = parts.iter().find(|p| p.code == "370103").unwrap();
        let taxed = arena::items_behind(db, west_part, Measure::TaxPerMu, p9)
            .await
            .unwrap();
        assert_eq!(taxed.len(), 1);
        assert_eq!(taxed[0].id, ids[6]);
        assert!(
            taxed[0].detail.contains("亩均 5.00 万元"),
            "{}",
            taxed[0].detail
        );
        // Investment figures are listed with the lights, not here.
        assert!(
            arena::items_behind(db, west_part, Measure::InvestPlan, p9)
                .await
                .unwrap()
                .is_empty()
        );
        // In January, before any conversion, East converted none of its reserve.
        let jan = arena::compute(db, "xl", "2026-01", &[]).await.unwrap();
        let e = jan
            .participants
            .iter()
            .find(|p| p.code == "370102")
            .unwrap();
        assert_eq!(comp(e, "reserve").value, 0);
        assert_eq!(comp(e, "reserve").target, Some(4));
    }
);

both_engines!(tax_figures_are_checked_scoped_and_audited, |t| {
    let db = &t.db;
    let ids = world(db).await;
    let a = Actor::cli();
    let bad = tax(db, &a, ids[6], 2026, "-5").await.unwrap_err();
    assert!(
        matches!(&bad, StoreError::Invalid(d) if d.field == "tax_wan"),
        "{bad:?}"
    );
    let bad = tax(db, &a, ids[6], 1999, "5").await.unwrap_err();
    assert!(
        matches!(&bad, StoreError::Invalid(d) if d.field == "tax_year"),
        "{bad:?}"
    );
    // A West user cannot record East's tax; nothing changes.
    let west = user_actor(db, "west", "370103", "division").await;
    let denied = tax(db, &west, ids[0], 2026, "99").await.unwrap_err();
    assert!(matches!(denied, StoreError::Denied(_)), "{denied:?}");
    let rows = project::taxes(db, ids[0]).await.unwrap();
    assert_eq!((rows.len(), rows[0].amount), (1, 410_000));
    // Correcting overwrites; an empty amount removes the year.
    tax(db, &west, ids[6], 2026, "600").await.unwrap();
    assert_eq!(
        project::taxes(db, ids[6]).await.unwrap()[0].amount,
        6_000_000
    );
    tax(db, &west, ids[6], 2026, "").await.unwrap();
    let left = project::taxes(db, ids[6]).await.unwrap();
    assert_eq!(left.iter().map(|t| t.year).collect::<Vec<_>>(), vec![2025]);
    let audits: i64 = on_db!(db, c => sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'tax' AND entity_id = $1").bind(ids[6].to_string()).fetch_one(c).await).unwrap();
    assert_eq!(audits, 4, "2026 and 2025 set, then corrected, then removed");
});

both_engines!(the_annual_leaderboard_sums_published_months_only, |t| {
    let db = &t.db;
    world(db).await;
    let a = Actor::cli();
    for p in ["2026-07", "2026-08", "2026-09"] {
        arena::save(db, &a, "xl", p).await.unwrap();
    }
    for p in ["2026-08", "2026-09"] {
        arena::publish(db, &a, "xl", p).await.unwrap();
    }
    // A quarter published too: it is not a month and is not summed.
    arena::save(db, &a, "xl", "2026-Q3").await.unwrap();
    arena::publish(db, &a, "xl", "2026-Q3").await.unwrap();
    let b = arena::annual(db, "xl", 2026).await.unwrap();
    assert_eq!(b.months, vec!["2026-08", "2026-09"]);
    let got: Vec<(&str, &str, usize)> = b
        .participants
        .iter()
        .map(|p| (p.code.as_str(), p.total.as_str(), p.rank))
        .collect();
    // August: East had E1 converted (March) of the same four → 22.50 again; West 75.
    assert_eq!(got, vec![("370103", "150.00", 1), ("370102", "45.00", 2)]);
    assert_eq!(
        b.participants[1].months,
        vec![Some("22.50".to_string()), Some("22.50".to_string())]
    );
    // Another year has nothing published.
    let empty = arena::annual(db, "xl", 2025).await.unwrap();
    assert!(empty.months.is_empty());
    assert!(
        empty
            .participants
            .iter()
            .all(|p| p.total == "0.00" && p.rank == 1)
    );
    let bad = arena::annual(db, "xl", 1999).await.unwrap_err();
    assert!(matches!(bad, StoreError::Invalid(_)));
});
