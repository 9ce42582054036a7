//! The monthly bulletin's wording (通报措辞): each paragraph is a template with named
//! placeholders such as `{完成率}` that are filled from the period's figures. An admin may
//! reword a template without a rebuild, but may only use the placeholders that paragraph
//! offers: figures come from data, never from the template.

use crate::DomainError;
use crate::progress::{Light, Totals, pct};
use std::collections::BTreeMap;

/// One paragraph of the bulletin whose wording can be changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paragraph {
    /// Stable key (stored as `bulletin.template.<key>`).
    pub key: &'static str,
    /// What the paragraph is, for the settings page.
    pub title: &'static str,
    /// The placeholders it may use.
    pub placeholders: &'static [&'static str],
    /// The wording shipped with the product.
    pub default: &'static str,
}

/// Every paragraph, in the order they appear in the bulletin.
pub const PARAGRAPHS: &[Paragraph] = &[
    Paragraph {
        key: "overview",
        title: "总体情况",
        placeholders: &[
            "城市",
            "年",
            "月",
            "项目数",
            "年度计划",
            "累计完成",
            "序时目标",
            "完成率",
            "差额",
        ],
        default: "{年}年1—{月}月，{城市}{项目数}个重点项目年度计划投资{年度计划}万元，累计完成投资{累计完成}万元，按序时进度应完成{序时目标}万元，完成序时进度的{完成率}，{差额}。",
    },
    Paragraph {
        key: "lights",
        title: "亮灯情况",
        placeholders: &["规则", "绿灯", "黄灯", "红灯", "未亮灯"],
        default: "按照{规则}，绿灯项目{绿灯}个、黄灯项目{黄灯}个、红灯项目{红灯}个，未编制年度计划的项目{未亮灯}个。",
    },
    Paragraph {
        key: "divisions",
        title: "分县区情况",
        placeholders: &[
            "县区数",
            "达到序时",
            "最高县区",
            "最高完成率",
            "最低县区",
            "最低完成率",
        ],
        default: "分县区看，{县区数}个县区中{达到序时}个达到序时进度。完成序时进度比例最高的是{最高县区}（{最高完成率}），最低的是{最低县区}（{最低完成率}）。",
    },
    Paragraph {
        key: "arena",
        title: "擂台赛（每个擂台一段）",
        placeholders: &[
            "擂台",
            "期间",
            "参赛数",
            "第一名",
            "第一名得分",
            "最后一名",
            "最后一名得分",
        ],
        default: "{擂台}（{期间}）共{参赛数}个单位参赛，{第一名}以{第一名得分}分位列第一，{最后一名}以{最后一名得分}分排名末位。",
    },
    Paragraph {
        key: "flags",
        title: "红黄旗",
        placeholders: &["擂台", "期间", "红旗", "黄旗"],
        default: "{擂台}（{期间}）红旗单位：{红旗}；黄旗单位：{黄旗}。",
    },
    Paragraph {
        key: "arena_none",
        title: "本期无已发布的擂台赛成绩",
        placeholders: &["年", "月"],
        default: "{年}年{月}月的擂台赛成绩尚未发布，待发布后另行通报。",
    },
    Paragraph {
        key: "lagging",
        title: "滞后项目",
        placeholders: &["月", "红灯", "黄灯"],
        default: "截至{月}月底，红灯项目{红灯}个、黄灯项目{黄灯}个，名单及原因如下。请项目责任单位逐一分析原因，倒排工期，加快推进。",
    },
    Paragraph {
        key: "lagging_none",
        title: "本期无滞后项目",
        placeholders: &["月"],
        default: "截至{月}月底，没有红灯、黄灯项目。",
    },
    Paragraph {
        key: "overdue",
        title: "问题和督办事项",
        placeholders: &[
            "问题总数",
            "已销号",
            "逾期问题",
            "任务总数",
            "任务办结",
            "逾期任务",
        ],
        default: "问题清单共有问题{问题总数}个，已验收销号{已销号}个，逾期未办{逾期问题}个；督办任务{任务总数}项，已办结{任务办结}项，逾期未办结{逾期任务}项。逾期情况按单位列示如下。",
    },
    Paragraph {
        key: "commend",
        title: "通报表扬",
        placeholders: &["单位"],
        default: "{单位}完成序时进度、擂台赛成绩靠前或问题办理及时，予以通报表扬。",
    },
    Paragraph {
        key: "commend_none",
        title: "本期无表扬单位",
        placeholders: &[],
        default: "本期暂无符合通报表扬条件的单位。",
    },
    Paragraph {
        key: "criticise",
        title: "通报批评",
        placeholders: &["单位"],
        default: "{单位}进度滞后、擂台赛获黄旗或有逾期未办事项，予以通报批评。请上述单位于3个工作日内向市重点项目调度办书面说明原因，限期整改。",
    },
    Paragraph {
        key: "criticise_none",
        title: "本期无批评单位",
        placeholders: &[],
        default: "本期没有进度滞后或逾期未办的单位。",
    },
    Paragraph {
        key: "closing",
        title: "结束语",
        placeholders: &["年", "月"],
        default: "各县区、各部门要对照本通报，认真查找差距，压实责任，确保完成{年}年度目标任务。",
    },
];

/// The paragraph with a key.
pub fn paragraph(key: &str) -> Option<&'static Paragraph> {
    PARAGRAPHS.iter().find(|p| p.key == key)
}

/// The placeholders a text uses, in order; an error for an unclosed or empty brace.
fn placeholders(text: &str) -> Result<Vec<&str>, DomainError> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        if rest[i..].starts_with('}') {
            return Err(DomainError::new(
                "template",
                format!(
                    "措辞中有多余的“}}”（第 {} 个字）",
                    text[..text.len() - rest.len() + i].chars().count() + 1
                ),
                "The wording has a stray '}'.",
            ));
        }
        let after = &rest[i + 1..];
        let Some(j) = after.find('}') else {
            return Err(DomainError::new(
                "template",
                "措辞中的“{”没有对应的“}”",
                "A '{' in the wording is not closed by '}'.",
            ));
        };
        let name = &after[..j];
        if name.is_empty() || name.contains('{') {
            return Err(DomainError::new(
                "template",
                "措辞中有空的或嵌套的占位符“{}”",
                "The wording has an empty or nested placeholder.",
            ));
        }
        out.push(name);
        rest = &after[j + 1..];
    }
    Ok(out)
}

/// Checks a new wording for a paragraph: not empty, not too long, and using only the
/// placeholders that paragraph offers.
pub fn check(key: &str, text: &str) -> Result<(), DomainError> {
    let Some(p) = paragraph(key) else {
        return Err(DomainError::new(
            "key",
            format!("没有名为“{key}”的通报段落"),
            format!("There is no bulletin paragraph '{key}'."),
        ));
    };
    if text.trim().is_empty() {
        return Err(DomainError::new(
            "template",
            format!("“{}”的措辞不能为空", p.title),
            format!("The wording of '{}' must not be empty.", p.key),
        ));
    }
    if text.chars().count() > 1000 {
        return Err(DomainError::new(
            "template",
            "措辞不能超过 1000 字",
            "The wording must not exceed 1,000 characters.",
        ));
    }
    for name in placeholders(text)? {
        if !p.placeholders.contains(&name) {
            let offered = if p.placeholders.is_empty() {
                "（无）".to_string()
            } else {
                p.placeholders
                    .iter()
                    .map(|n| format!("{{{n}}}"))
                    .collect::<Vec<_>>()
                    .join("、")
            };
            return Err(DomainError::new(
                "template",
                format!(
                    "“{}”不能使用占位符 {{{name}}}，可用的有：{offered}",
                    p.title
                ),
                format!(
                    "'{}' cannot use the placeholder {{{name}}}; it offers: {offered}",
                    p.key
                ),
            ));
        }
    }
    Ok(())
}

/// Fills a wording with figures. Every placeholder it uses must have a value: a missing
/// one is an error rather than an empty gap in an official document.
pub fn fill(text: &str, values: &BTreeMap<&str, String>) -> Result<String, DomainError> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    placeholders(text)?;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let j = after.find('}').expect("checked above");
        let name = &after[..j];
        match values.get(name) {
            Some(v) => out.push_str(v),
            None => {
                return Err(DomainError::new(
                    "template",
                    format!("占位符 {{{name}}} 没有对应的数据"),
                    format!("The placeholder {{{name}}} has no figure."),
                ));
            }
        }
        rest = &after[j + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Joins unit names the way bulletins list them: `甲、乙和丙`.
pub fn list_units(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{}和{last}", init.join("、")),
    }
}

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

fn period_zh(key: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(t.contains("问题清单共有问题10个，已验收销号4个，逾期未办2个；督办任务5项，已办结3项，逾期未办结1项"));
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
}
