//! Composing the bulletin: the figures of a month (gathered by the store) and the wording
//! become blocks that every writer renders alike; the units commended and criticised
//! follow one stated rule.

use super::{fill, list_units, paragraph};
use crate::DomainError;
use crate::progress::{Light, Totals, pct};
use std::collections::BTreeMap;

/// The figures of one month's bulletin, gathered by the store within the caller's scope.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Data {
    /// The city (the root division's name).
    pub city: String,
    /// The period.
    pub year: i32,
    /// Month 1–12.
    pub month: u32,
    /// Problems and tasks are counted as of this day.
    pub as_of: chrono::NaiveDate,
    /// The name of the light rule the period's lights were made under.
    pub rule: String,
    /// Every project of the period.
    pub total: Totals,
    /// Per division below the city, in code order.
    pub divisions: Vec<DivisionLine>,
    /// Red, then yellow projects, each in key-project table order.
    pub lagging: Vec<Lagging>,
    /// Published arena results of the month (and of the quarter it closes).
    pub arenas: Vec<ArenaLine>,
    /// Problems: total, closed, overdue.
    pub problems: [i64; 3],
    /// Supervised tasks: total, closed, open and overdue.
    pub tasks: [i64; 3],
    /// Units with overdue problems or tasks, the most overdue first.
    pub late_units: Vec<LateUnit>,
}

/// One division's figures.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DivisionLine {
    pub code: String,
    pub name: String,
    pub totals: Totals,
    pub light: Light,
    /// The city's own projects (本级), not a division: listed, but neither ranked nor
    /// commended or criticised.
    pub own: bool,
}

/// A red or yellow project.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Lagging {
    pub code: Option<String>,
    pub name: String,
    pub division: String,
    pub light: Light,
    pub ratio_bp: Option<i64>,
    pub why: String,
}

/// One published arena result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ArenaLine {
    pub name: String,
    /// Period key, e.g. `2026-10` or `2026-Q3`.
    pub period: String,
    /// (rank, participant, score text, flag: red/yellow/black or none), by rank.
    pub rows: Vec<(usize, String, String, Option<String>)>,
}

/// A unit with overdue items.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LateUnit {
    pub unit: String,
    pub overdue_problems: i64,
    pub overdue_tasks: i64,
    pub closed_late_tasks: i64,
}

/// A block of the composed bulletin, rendered alike to Word, Excel, PDF and HTML.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Block {
    Title(String),
    Subtitle(String),
    /// Level 1 (一、) or 2 (（一）).
    Heading(u8, String),
    Para(String),
    Table(Table),
    /// The issuing office and date, right-aligned at the end.
    Signature(Vec<String>),
}

/// A table of the bulletin; the Excel companion puts each on its own sheet.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Table {
    /// Sheet name and caption (表1 …).
    pub caption: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Column widths in characters, for the workbook.
    pub widths: Vec<u16>,
}

pub(crate) fn period_zh(key: &str) -> String {
    let (y, rest) = key.split_once('-').unwrap_or((key, ""));
    match rest {
        "" => format!("{y}年度"),
        "H1" => format!("{y}年上半年"),
        "H2" => format!("{y}年下半年"),
        q if q.starts_with('Q') => format!("{y}年第{}季度", &q[1..]),
        m => format!("{y}年{}月", m.trim_start_matches('0')),
    }
}

fn flag_zh(f: &Option<String>) -> &'static str {
    match f.as_deref() {
        Some("red") => "红旗",
        Some("yellow") => "黄旗",
        Some("black") => "黑榜",
        _ => "",
    }
}

/// Composes the bulletin from its figures and wording. Every number in it comes from
/// `d`; the wording only arranges them.
pub fn compose(d: &Data, wording: &BTreeMap<String, String>) -> Result<Vec<Block>, DomainError> {
    let say = |key: &str, v: &[(&'static str, String)]| -> Result<String, DomainError> {
        let text = wording
            .get(key)
            .map(String::as_str)
            .or_else(|| paragraph(key).map(|p| p.default))
            .unwrap_or("");
        fill(text, &v.iter().cloned().collect())
    };
    let (y, m) = (d.year.to_string(), d.month.to_string());
    let wan = |v: i64| crate::money::wan_grouped(v);
    let ratio = |bp: Option<i64>| bp.map_or("—".to_string(), pct);
    let mut out = vec![
        Block::Title(format!("{}重点项目建设情况通报", d.city)),
        Block::Subtitle(format!("（{}年{}月）", d.year, d.month)),
        Block::Heading(1, "一、总体情况".into()),
    ];
    let t = &d.total;
    let gap = t.cumulative - t.target;
    let gap_text = if gap >= 0 {
        format!("超出序时进度{}万元", wan(gap))
    } else {
        format!("低于序时进度{}万元", wan(-gap))
    };
    out.push(Block::Para(say(
        "overview",
        &[
            ("城市", d.city.clone()),
            ("年", y.clone()),
            ("月", m.clone()),
            ("项目数", t.projects.to_string()),
            ("年度计划", wan(t.annual)),
            ("累计完成", wan(t.cumulative)),
            ("序时目标", wan(t.target)),
            ("完成率", ratio(t.ratio_bp())),
            ("差额", gap_text),
        ],
    )?));
    out.push(Block::Para(say(
        "lights",
        &[
            ("规则", d.rule.clone()),
            ("绿灯", t.lights[0].to_string()),
            ("黄灯", t.lights[1].to_string()),
            ("红灯", t.lights[2].to_string()),
            ("未亮灯", t.lights[3].to_string()),
        ],
    )?));
    let rated: Vec<&DivisionLine> = d
        .divisions
        .iter()
        .filter(|l| !l.own && l.totals.ratio_bp().is_some())
        .collect();
    if let (Some(hi), Some(lo)) = (
        rated
            .iter()
            .max_by_key(|l| (l.totals.ratio_bp(), std::cmp::Reverse(&l.code))),
        rated.iter().min_by_key(|l| (l.totals.ratio_bp(), &l.code)),
    ) {
        out.push(Block::Para(say(
            "divisions",
            &[
                ("县区数", rated.len().to_string()),
                (
                    "达到序时",
                    rated
                        .iter()
                        .filter(|l| l.totals.ratio_bp().is_some_and(|r| r >= 10_000))
                        .count()
                        .to_string(),
                ),
                ("最高县区", hi.name.clone()),
                ("最高完成率", ratio(hi.totals.ratio_bp())),
                ("最低县区", lo.name.clone()),
                ("最低完成率", ratio(lo.totals.ratio_bp())),
            ],
        )?));
    }
    let mut rows: Vec<Vec<String>> = d
        .divisions
        .iter()
        .map(|l| {
            vec![
                l.name.clone(),
                l.totals.projects.to_string(),
                wan(l.totals.annual),
                wan(l.totals.cumulative),
                wan(l.totals.target),
                ratio(l.totals.ratio_bp()),
                l.light.zh().to_string(),
            ]
        })
        .collect();
    rows.push(vec![
        "合计".into(),
        t.projects.to_string(),
        wan(t.annual),
        wan(t.cumulative),
        wan(t.target),
        ratio(t.ratio_bp()),
        String::new(),
    ]);
    out.push(Block::Table(Table {
        caption: "表1 各县区重点项目完成情况".into(),
        header: [
            "县区",
            "项目数",
            "年度计划（万元）",
            "累计完成（万元）",
            "序时目标（万元）",
            "完成序时进度",
            "亮灯",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        widths: vec![16, 8, 16, 16, 16, 12, 8],
    }));

    out.push(Block::Heading(1, "二、擂台赛成绩".into()));
    if d.arenas.is_empty() {
        out.push(Block::Para(say(
            "arena_none",
            &[("年", y.clone()), ("月", m.clone())],
        )?));
    }
    for (i, a) in d.arenas.iter().enumerate() {
        let period = period_zh(&a.period);
        out.push(Block::Heading(
            2,
            format!("（{}）{}", cn_number(i + 1), a.name),
        ));
        if let (Some(first), Some(last)) = (a.rows.first(), a.rows.last()) {
            out.push(Block::Para(say(
                "arena",
                &[
                    ("擂台", a.name.clone()),
                    ("期间", period.clone()),
                    ("参赛数", a.rows.len().to_string()),
                    ("第一名", first.1.clone()),
                    ("第一名得分", first.2.clone()),
                    ("最后一名", last.1.clone()),
                    ("最后一名得分", last.2.clone()),
                ],
            )?));
        }
        let named = |f: &str| -> Vec<String> {
            a.rows
                .iter()
                .filter(|r| r.3.as_deref() == Some(f))
                .map(|r| r.1.clone())
                .collect()
        };
        let (red, yellow) = (named("red"), {
            let mut v = named("yellow");
            v.extend(named("black"));
            v
        });
        if !red.is_empty() || !yellow.is_empty() {
            let or_none = |v: &[String]| {
                if v.is_empty() {
                    "无".to_string()
                } else {
                    v.join("、")
                }
            };
            out.push(Block::Para(say(
                "flags",
                &[
                    ("擂台", a.name.clone()),
                    ("期间", period.clone()),
                    ("红旗", or_none(&red)),
                    ("黄旗", or_none(&yellow)),
                ],
            )?));
        }
        out.push(Block::Table(Table {
            caption: format!("表{} {}（{}）", i + 2, a.name, period),
            header: ["名次", "单位", "得分", "旗帜"].map(String::from).to_vec(),
            rows: a
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.0.to_string(),
                        r.1.clone(),
                        r.2.clone(),
                        flag_zh(&r.3).into(),
                    ]
                })
                .collect(),
            widths: vec![8, 24, 12, 10],
        }));
    }
    let mut table_no = d.arenas.len() + 2;

    out.push(Block::Heading(1, "三、进度滞后项目".into()));
    let reds = d.lagging.iter().filter(|l| l.light == Light::Red).count();
    let yellows = d
        .lagging
        .iter()
        .filter(|l| l.light == Light::Yellow)
        .count();
    if d.lagging.is_empty() {
        out.push(Block::Para(say("lagging_none", &[("月", m.clone())])?));
    } else {
        out.push(Block::Para(say(
            "lagging",
            &[
                ("月", m.clone()),
                ("红灯", reds.to_string()),
                ("黄灯", yellows.to_string()),
            ],
        )?));
        out.push(Block::Table(Table {
            caption: format!("表{table_no} 红灯、黄灯项目"),
            header: ["序号", "项目名称", "县区", "亮灯", "完成序时进度", "原因"]
                .map(String::from)
                .to_vec(),
            rows: d
                .lagging
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    vec![
                        (i + 1).to_string(),
                        l.name.clone(),
                        l.division.clone(),
                        l.light.zh().to_string(),
                        ratio(l.ratio_bp),
                        l.why.clone(),
                    ]
                })
                .collect(),
            widths: vec![6, 30, 12, 6, 12, 50],
        }));
        table_no += 1;
    }

    out.push(Block::Heading(1, "四、问题清单和督办事项".into()));
    out.push(Block::Para(say(
        "overdue",
        &[
            ("问题总数", d.problems[0].to_string()),
            ("已销号", d.problems[1].to_string()),
            ("逾期问题", d.problems[2].to_string()),
            ("任务总数", d.tasks[0].to_string()),
            ("任务办结", d.tasks[1].to_string()),
            ("逾期任务", d.tasks[2].to_string()),
        ],
    )?));
    if !d.late_units.is_empty() {
        out.push(Block::Table(Table {
            caption: format!(
                "表{table_no} 各单位逾期事项（截至{}）",
                d.as_of.format("%Y年%-m月%-d日")
            ),
            header: ["单位", "逾期未办问题", "逾期未办结任务", "逾期办结任务"]
                .map(String::from)
                .to_vec(),
            rows: d
                .late_units
                .iter()
                .map(|u| {
                    vec![
                        u.unit.clone(),
                        u.overdue_problems.to_string(),
                        u.overdue_tasks.to_string(),
                        u.closed_late_tasks.to_string(),
                    ]
                })
                .collect(),
            widths: vec![28, 14, 16, 14],
        }));
    }

    out.push(Block::Heading(1, "五、通报表扬和批评".into()));
    let (good, bad) = verdicts(d);
    out.push(Block::Heading(2, "（一）通报表扬".into()));
    out.push(Block::Para(if good.is_empty() {
        say("commend_none", &[])?
    } else {
        say("commend", &[("单位", list_units(&good))])?
    }));
    out.push(Block::Heading(2, "（二）通报批评".into()));
    out.push(Block::Para(if bad.is_empty() {
        say("criticise_none", &[])?
    } else {
        say("criticise", &[("单位", list_units(&bad))])?
    }));
    out.push(Block::Para(say("closing", &[("年", y), ("月", m)])?));
    out.push(Block::Signature(vec![
        format!("{}重点项目调度办公室", d.city),
        d.as_of.format("%Y年%-m月%-d日").to_string(),
    ]));
    Ok(out)
}

/// The units commended and criticised, each with its reasons in brackets:
/// commended — divisions at or above the time-proportional target, red flags;
/// criticised — divisions whose summed light is red, yellow flags and black lists, units
/// with overdue problems or tasks.
pub fn verdicts(d: &Data) -> (Vec<String>, Vec<String>) {
    let mut good: Vec<(String, Vec<String>)> = Vec::new();
    let mut bad: Vec<(String, Vec<String>)> = Vec::new();
    fn note(list: &mut Vec<(String, Vec<String>)>, who: &str, why: String) {
        match list.iter_mut().find(|(n, _)| n == who) {
            Some((_, w)) => w.push(why),
            None => list.push((who.to_string(), vec![why])),
        }
    }
    for l in d.divisions.iter().filter(|l| !l.own) {
        match l.totals.ratio_bp() {
            Some(r) if r >= 10_000 => note(&mut good, &l.name, format!("完成序时进度的{}", pct(r))),
            Some(r) if l.light == Light::Red => note(
                &mut bad,
                &l.name,
                format!("完成序时进度的{}，亮红灯", pct(r)),
            ),
            _ => {}
        }
    }
    for a in &d.arenas {
        let period = period_zh(&a.period);
        for r in &a.rows {
            match r.3.as_deref() {
                Some("red") => note(&mut good, &r.1, format!("{}{}红旗", a.name, period)),
                Some("yellow") => note(&mut bad, &r.1, format!("{}{}黄旗", a.name, period)),
                Some("black") => note(&mut bad, &r.1, format!("{}{}黑榜", a.name, period)),
                _ => {}
            }
        }
    }
    for u in &d.late_units {
        let mut w = Vec::new();
        if u.overdue_problems > 0 {
            w.push(format!("逾期未办问题{}个", u.overdue_problems));
        }
        if u.overdue_tasks > 0 {
            w.push(format!("逾期未办结督办任务{}项", u.overdue_tasks));
        }
        if !w.is_empty() {
            note(&mut bad, &u.unit, w.join("、"));
        }
    }
    let show = |v: Vec<(String, Vec<String>)>| {
        v.into_iter()
            .map(|(n, w)| format!("{n}（{}）", w.join("；")))
            .collect()
    };
    (show(good), show(bad))
}

/// 1 → 一 … 99 → 九十九, for headings.
pub fn cn_number(n: usize) -> String {
    const D: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => D[n].to_string(),
        10..=19 => format!("十{}", if n == 10 { "" } else { D[n - 10] }),
        20..=99 => format!(
            "{}十{}",
            D[n / 10],
            if n.is_multiple_of(10) { "" } else { D[n % 10] }
        ),
        _ => n.to_string(),
    }
}
