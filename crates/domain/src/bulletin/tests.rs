//! Wording checks and the composition, against hand-written figures.

use super::*;
use crate::progress::{Light, Totals};

fn vals(pairs: &[(&'static str, &str)]) -> BTreeMap<&'static str, String> {
    pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
}

#[test]
fn every_default_wording_passes_its_own_check() {
    for p in PARAGRAPHS {
        check(p.key, p.default).unwrap_or_else(|e| panic!("{}: {e}", p.key));
        // And every placeholder it offers is used by the default or at least legal.
        for name in placeholders(p.default).unwrap() {
            assert!(p.placeholders.contains(&name), "{}: {name}", p.key);
        }
    }
    let keys: std::collections::BTreeSet<&str> = PARAGRAPHS.iter().map(|p| p.key).collect();
    assert_eq!(keys.len(), PARAGRAPHS.len(), "keys are unique");
}

#[test]
fn fills_placeholders_and_refuses_missing_figures() {
    let t = "{城市}完成{完成率}，{城市}加油";
    let s = fill(t, &vals(&[("城市", "金川市"), ("完成率", "85.3%")])).unwrap();
    assert_eq!(s, "金川市完成85.3%，金川市加油");
    let e = fill(t, &vals(&[("城市", "金川市")])).unwrap_err();
    assert!(e.msg.zh.contains("{完成率}"), "{e}");
    assert_eq!(fill("没有占位符", &BTreeMap::new()).unwrap(), "没有占位符");
}

#[test]
fn check_refuses_foreign_placeholders_and_broken_braces() {
    let e = check("commend", "{单位}和{完成率}").unwrap_err();
    assert!(
        e.msg.zh.contains("{完成率}") && e.msg.zh.contains("{单位}"),
        "{e}"
    );
    assert!(
        check("commend_none", "好的{单位}")
            .unwrap_err()
            .msg
            .zh
            .contains("（无）")
    );
    assert!(check("overview", "少了{完成率").is_err());
    assert!(check("overview", "多了}").is_err());
    assert!(check("overview", "空{}").is_err());
    assert!(check("overview", "  ").is_err());
    assert!(check("nope", "x").unwrap_err().msg.en.contains("nope"));
    assert!(check("overview", &"字".repeat(1001)).is_err());
    check("overview", "{年}年{月}月完成{完成率}。").unwrap();
}

#[test]
fn lists_units_with_a_final_and() {
    let n = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(list_units(&n(&[])), "");
    assert_eq!(list_units(&n(&["甲"])), "甲");
    assert_eq!(list_units(&n(&["甲", "乙"])), "甲和乙");
    assert_eq!(list_units(&n(&["甲", "乙", "丙"])), "甲、乙和丙");
}

fn sample() -> Data {
    let mut total = Totals::default();
    let mut a = Totals::default();
    a.add(
        Some(1_000_000_000),
        900_000_000,
        Some(800_000_000),
        Light::Green,
    );
    let mut b = Totals::default();
    b.add(
        Some(500_000_000),
        100_000_000,
        Some(400_000_000),
        Light::Red,
    );
    b.add(None, 0, None, Light::None);
    total.merge(&a);
    total.merge(&b);
    Data {
        city: "金川市".into(),
        year: 2026,
        month: 10,
        as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 3).unwrap(),
        rule: "银川规则".into(),
        total,
        divisions: vec![
            DivisionLine {
                code: "1".into(),
                name: "东城区".into(),
                totals: a,
                light: Light::Green,
                own: false,
            },
            DivisionLine {
                code: "2".into(),
                name: "西城区".into(),
                totals: b,
                light: Light::Red,
                own: false,
            },
            // The city's own projects: listed, never ranked or commended.
            DivisionLine {
                code: "0".into(),
                name: "金川市本级".into(),
                totals: a,
                light: Light::Green,
                own: true,
            },
        ],
        lagging: vec![Lagging {
            code: None,
            name: "西城电池基地".into(),
            division: "西城区".into(),
            light: Light::Red,
            ratio_bp: Some(2500),
            why: "完成序时进度的25.0%".into(),
        }],
        arenas: vec![ArenaLine {
            name: "项目建设擂台赛".into(),
            period: "2026-Q3".into(),
            rows: vec![
                (1, "东城区".into(), "98.50".into(), Some("red".into())),
                (2, "西城区".into(), "60.00".into(), Some("yellow".into())),
            ],
        }],
        problems: [10, 4, 2],
        tasks: [5, 3, 1],
        late_units: vec![LateUnit {
            unit: "市自然资源局".into(),
            overdue_problems: 2,
            overdue_tasks: 1,
            closed_late_tasks: 0,
        }],
    }
}

fn text(blocks: &[Block]) -> String {
    blocks
        .iter()
        .map(|b| match b {
            Block::Title(t) | Block::Subtitle(t) | Block::Heading(_, t) | Block::Para(t) => {
                t.clone()
            }
            Block::Table(t) => t
                .rows
                .iter()
                .map(|r| r.join("|"))
                .collect::<Vec<_>>()
                .join("\n"),
            Block::Signature(v) => v.join(" "),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn composes_every_section_from_the_figures() {
    let b = compose(&sample(), &BTreeMap::new()).unwrap();
    let t = text(&b);
    assert!(matches!(&b[0], Block::Title(x) if x == "金川市重点项目建设情况通报"));
    // 3 projects; plans 150,000 万, done 100,000 万, target 120,000 万 → 83.3%.
    assert!(t.contains("金川市3个重点项目年度计划投资150,000.00万元，累计完成投资100,000.00万元，按序时进度应完成120,000.00万元，完成序时进度的83.3%，低于序时进度20,000.00万元。"), "{t}");
    assert!(t.contains("绿灯项目1个、黄灯项目0个、红灯项目1个，未编制年度计划的项目1个"));
    assert!(
        t.contains("2个县区中1个达到序时进度")
            && t.contains("最高的是东城区（112.5%），最低的是西城区（25.0%）"),
        "{t}"
    );
    assert!(t.contains("合计|3|150,000.00|100,000.00|120,000.00|83.3%"));
    assert!(t.contains("项目建设擂台赛（2026年第3季度）红旗单位：东城区；黄旗单位：西城区。"));
    assert!(t.contains("红灯项目1个、黄灯项目0个"));
    assert!(t.contains(
        "问题清单共有问题10个，已验收销号4个，逾期未办2个；督办任务5项，已办结3项，逾期未办结1项"
    ));
    assert!(
        t.contains("东城区（完成序时进度的112.5%；项目建设擂台赛2026年第3季度红旗）"),
        "{t}"
    );
    assert!(t.contains("西城区（完成序时进度的25.0%，亮红灯；项目建设擂台赛2026年第3季度黄旗）和市自然资源局（逾期未办问题2个、逾期未办结督办任务1项）"), "{t}");
    assert!(matches!(b.last(), Some(Block::Signature(v)) if v[1] == "2026年11月3日"));
    assert!(t.contains("金川市本级|1|"), "listed in the table");
    assert!(
        !t.contains("金川市本级（"),
        "but neither commended nor criticised"
    );
    let tables = b.iter().filter(|x| matches!(x, Block::Table(_))).count();
    assert_eq!(tables, 4, "divisions, one arena, lagging, late units");
}

#[test]
fn admin_wording_is_used_and_empty_sections_say_so() {
    let mut d = sample();
    d.arenas.clear();
    d.lagging.clear();
    d.late_units.clear();
    d.divisions.retain(|l| l.light == Light::Green && !l.own);
    let mut w = BTreeMap::new();
    w.insert("overview".to_string(), "本月完成{完成率}。".to_string());
    let t = text(&compose(&d, &w).unwrap());
    assert!(t.contains("本月完成83.3%。"));
    assert!(t.contains("2026年10月的擂台赛成绩尚未发布"));
    assert!(t.contains("没有红灯、黄灯项目"));
    assert!(t.contains("本期没有进度滞后或逾期未办的单位"));
    w.insert("overview".to_string(), "{不存在}".to_string());
    assert!(
        compose(&d, &w).is_err(),
        "a stored wording with an unknown figure fails"
    );
}

#[test]
fn chinese_numbers_for_headings() {
    assert_eq!(cn_number(1), "一");
    assert_eq!(cn_number(10), "十");
    assert_eq!(cn_number(12), "十二");
    assert_eq!(cn_number(20), "二十");
    assert_eq!(cn_number(35), "三十五");
    assert_eq!(period_zh("2026-03"), "2026年3月");
    assert_eq!(period_zh("2026-H1"), "2026年上半年");
    assert_eq!(period_zh("2026"), "2026年度");
}
