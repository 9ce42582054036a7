//! The demo city's arenas: the six comprehensive and six special arenas of the brief,
//! with indicators computed from the data or entered by the bureau in charge, task-book
//! targets, approved entries, and published results for every closed month of the year
//! and the last closed quarter.

use crate::synth::Rng;
use gongjian_domain::arena::{Direction, FlagRule, Indicator, Measure, Method};
use gongjian_store::arena::{self, ArenaInput, IndicatorDef, Source};
use gongjian_store::{Actor, Db, Result};

fn m(
    code: &str,
    name: &str,
    unit: &str,
    weight: i64,
    method: Method,
    measure: Measure,
) -> IndicatorDef {
    IndicatorDef {
        rule: Indicator {
            code: code.into(),
            name: name.into(),
            unit: unit.into(),
            direction: Direction::Higher,
            weight,
            method,
        },
        source: Source::Measure { measure },
    }
}

fn e(code: &str, name: &str, unit: &str, weight: i64, method: Method, by: &str) -> IndicatorDef {
    IndicatorDef {
        rule: Indicator {
            code: code.into(),
            name: name.into(),
            unit: unit.into(),
            direction: Direction::Higher,
            weight,
            method,
        },
        source: Source::Entered { unit: by.into() },
    }
}

fn ratio(cap: i64) -> Method {
    Method::Ratio { cap_pct: cap }
}

/// (code, name, kind, indicators, flag rule)
fn arenas() -> Vec<(
    &'static str,
    &'static str,
    &'static str,
    Vec<IndicatorDef>,
    FlagRule,
)> {
    use Measure::*;
    let top = FlagRule::TopBottom { red: 3, yellow: 2 };
    vec![
        (
            "cyjq",
            "产业集群擂台赛",
            "comprehensive",
            vec![
                m("invest", "投资完成率", "万元", 40, ratio(120), InvestPlan),
                m(
                    "invest_target",
                    "序时进度完成率",
                    "万元",
                    30,
                    ratio(110),
                    InvestTarget,
                ),
                m("start", "开工率", "个", 20, ratio(100), StartRate),
                m(
                    "problems",
                    "问题按时办结率",
                    "个",
                    10,
                    ratio(100),
                    ProblemsOnTime,
                ),
            ],
            top.clone(),
        ),
        (
            "xmjs",
            "项目建设擂台赛",
            "comprehensive",
            vec![
                m("invest", "投资完成率", "万元", 40, ratio(120), InvestPlan),
                m("start", "开工率", "个", 25, ratio(100), StartRate),
                m("finish", "竣工投产率", "个", 20, ratio(100), CompletionRate),
                m(
                    "reserve",
                    "储备转化率",
                    "个",
                    15,
                    ratio(100),
                    ReserveConversion,
                ),
            ],
            FlagRule::Climb {
                red: 2,
                climb: 2,
                yellow: 2,
            },
        ),
        (
            "fgfc",
            "复工复产擂台赛",
            "comprehensive",
            vec![
                m("start", "开复工率", "个", 50, ratio(100), StartRate),
                m(
                    "invest_target",
                    "序时进度完成率",
                    "万元",
                    50,
                    ratio(110),
                    InvestTarget,
                ),
            ],
            top.clone(),
        ),
        (
            "cqkf",
            "城区开发擂台赛",
            "comprehensive",
            vec![
                m("invest", "投资完成率", "万元", 60, ratio(120), InvestPlan),
                m(
                    "per_mu",
                    "亩均投资强度",
                    "元/亩",
                    20,
                    Method::Rank {
                        points: vec![20, 18, 16, 14, 12, 10, 8, 6],
                    },
                    InvestPerMu,
                ),
                m(
                    "tasks",
                    "督办任务按时办结率",
                    "项",
                    20,
                    ratio(100),
                    TasksOnTime,
                ),
            ],
            top.clone(),
        ),
        (
            "nchj",
            "农村人居环境擂台赛",
            "comprehensive",
            vec![
                e(
                    "toilets",
                    "农村户厕改造（户）",
                    "户",
                    72,
                    Method::Completion { k: 60, cap: 72 },
                    "nyj",
                ),
                e(
                    "garbage",
                    "生活垃圾治理村（个）",
                    "个",
                    28,
                    Method::Steps {
                        steps: vec![(10, 10), (20, 18), (30, 28)],
                    },
                    "cgj",
                ),
            ],
            FlagRule::TwoCondition { red: 3, black: 2 },
        ),
        (
            "tdly",
            "土地利用擂台赛",
            "comprehensive",
            vec![
                m(
                    "per_mu",
                    "亩均投资强度",
                    "元/亩",
                    40,
                    Method::Linear {
                        floor: 1_000_000,
                        ceiling: 5_000_000,
                        base_pct: 60,
                    },
                    InvestPerMu,
                ),
                m(
                    "tax_per_mu",
                    "亩均税收",
                    "元/亩",
                    30,
                    Method::Linear {
                        floor: 50_000,
                        ceiling: 400_000,
                        base_pct: 60,
                    },
                    TaxPerMu,
                ),
                m("finish", "竣工投产率", "个", 30, ratio(100), CompletionRate),
            ],
            top.clone(),
        ),
        (
            "kfqgg",
            "开发区改革专项擂台赛",
            "special",
            vec![e(
                "reform",
                "改革任务完成数（项）",
                "项",
                100,
                Method::Completion { k: 100, cap: 100 },
                "fgw",
            )],
            top.clone(),
        ),
        (
            "ncgl",
            "农村公路硬化专项擂台赛",
            "special",
            vec![e(
                "road_km",
                "硬化里程（公里）",
                "公里",
                100,
                Method::Completion { k: 100, cap: 110 },
                "jtj",
            )],
            top.clone(),
        ),
        (
            "ysaq",
            "饮水安全专项擂台赛",
            "special",
            vec![e(
                "water",
                "巩固提升人口（人）",
                "人",
                100,
                Method::Completion { k: 100, cap: 105 },
                "slj",
            )],
            top.clone(),
        ),
        (
            "qjqn",
            "清洁取暖专项擂台赛",
            "special",
            vec![e(
                "heating",
                "清洁取暖改造（户）",
                "户",
                100,
                Method::Completion { k: 100, cap: 110 },
                "sthjj",
            )],
            top.clone(),
        ),
        (
            "gtlh",
            "国土绿化专项擂台赛",
            "special",
            vec![e(
                "trees",
                "造林面积（亩）",
                "亩",
                100,
                Method::Completion { k: 100, cap: 110 },
                "zrzyj",
            )],
            top.clone(),
        ),
        (
            "ncgc",
            "农村改厕专项擂台赛",
            "special",
            vec![e(
                "toilets",
                "农村户厕改造（户）",
                "户",
                100,
                Method::Completion { k: 60, cap: 72 },
                "nyj",
            )],
            top,
        ),
    ]
}

/// Loads the arenas and publishes every closed month of the year (so the annual
/// leaderboard has months to sum) and the last closed quarter.
pub async fn load(db: &Db, year: i32, last_closed_month: u32) -> Result<()> {
    let a = Actor::cli();
    let parts: Vec<String> = crate::demo::DIVISIONS
        .iter()
        .map(|d| d.0.to_string())
        .collect();
    let mut rng = Rng::new(2026);
    let months: Vec<String> = (1..=last_closed_month)
        .map(|m| format!("{year}-{m:02}"))
        .collect();
    let quarter = (last_closed_month >= 3).then(|| format!("{year}-Q{}", last_closed_month / 3));
    for (code, name, kind, indicators, flag_rule) in arenas() {
        // (indicator, whether it has a task-book target)
        let entered: Vec<(String, bool)> = indicators
            .iter()
            .filter_map(|i| match &i.source {
                Source::Entered { .. } => Some((
                    i.rule.code.clone(),
                    matches!(i.rule.method, Method::Completion { .. }),
                )),
                Source::Measure { .. } => None,
            })
            .collect();
        let mut tx = db.begin().await?;
        arena::create(
            &mut tx,
            &a,
            &ArenaInput {
                code: code.into(),
                name: name.into(),
                kind: kind.into(),
                task_book: format!(
                    "{name}任务书：各参赛单位按年度目标推进，每月亮成绩、每季抢红旗、全年列榜单。"
                ),
                participants: parts.clone(),
                indicators,
                flag_rule,
                from_period: Some(format!("{year}-01")),
            },
        )
        .await?;
        for (ind, _) in entered.iter().filter(|e| e.1) {
            for p in &parts {
                arena::set_target(&mut tx, &a, code, ind, p, year, rng.range(200, 800)).await?;
            }
        }
        tx.commit().await?;
        for period in months.iter().chain(quarter.as_ref()) {
            if !entered.is_empty() {
                let mut tx = db.begin().await?;
                for (ind, has_target) in &entered {
                    for p in &parts {
                        let v = if *has_target {
                            rng.range(100, 900)
                        } else {
                            rng.range(5, 40)
                        };
                        let id =
                            arena::enter(&mut tx, &a, code, ind, p, period, v, "主管部门统计台账")
                                .await?;
                        arena::review_entry(&mut tx, &a, id, true).await?;
                    }
                }
                tx.commit().await?;
            }
            arena::save(db, &a, code, period).await?;
            arena::publish(db, &a, code, period).await?;
        }
    }
    Ok(())
}
