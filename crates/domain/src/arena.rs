//! Arenas (擂台赛): scoring participants on weighted indicators by methods that are data,
//! ranking them with competition ranks, and awarding red and yellow flags by a stated
//! rule. Everything is integer arithmetic (points in thousandths), so the same inputs
//! give the same result on every machine and both databases, with no NaN and no overflow.
//!
//! Scoring methods (each gives at most the indicator's weight, before a cap above 100 %):
//! - `ratio`: weight × value ÷ target, capped (e.g. at 120 %); for "lower is better",
//!   weight × target ÷ value.
//! - `linear` (efficacy coefficient 功效系数): base + (100 % − base) × (value − floor) ÷
//!   (ceiling − floor), clamped to [0, 1] between floor and ceiling.
//! - `rank`: fixed points by rank among the participants (ties share the better points).
//! - `steps`: the points of the highest threshold reached.
//! - `completion` (延安): k × completed ÷ planned, capped at `cap` points.

use crate::DomainError;
use std::collections::BTreeMap;

/// Thousandths of a point.
pub type Milli = i64;

/// Which way is good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// More is better (investment, start rate).
    Higher,
    /// Less is better (overdue problems).
    Lower,
}

/// How an indicator turns a value into points.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Method {
    /// weight × value ÷ target, capped at `cap_pct` per cent of the weight.
    Ratio {
        /// Cap in per cent of the weight (100 = no extra credit).
        cap_pct: i64,
    },
    /// Efficacy coefficient between `floor` and `ceiling` (in the value's unit).
    Linear {
        /// Value earning the base share.
        floor: i64,
        /// Value earning the full weight.
        ceiling: i64,
        /// Share of the weight at the floor, per cent (e.g. 60).
        base_pct: i64,
    },
    /// Points by rank: `points[0]` for rank 1, and so on; later ranks get the last entry.
    Rank {
        /// Points per rank (whole points).
        points: Vec<i64>,
    },
    /// The points of the highest threshold reached (`[threshold, points]`, any order).
    Steps {
        /// Thresholds in the value's unit and their whole points.
        steps: Vec<(i64, i64)>,
    },
    /// k × completed ÷ planned (value ÷ target), capped at `cap` points.
    Completion {
        /// Points for exactly the plan (e.g. 60).
        k: i64,
        /// Most points (e.g. 60 or 72).
        cap: i64,
    },
}

/// One indicator of an arena.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Indicator {
    /// Short code, e.g. `invest_rate`.
    pub code: String,
    /// Name shown.
    pub name: String,
    /// Unit of the value as shown (万元, %, 个 …).
    pub unit: String,
    /// Which way is good.
    pub direction: Direction,
    /// Weight in whole points.
    pub weight: i64,
    /// Scoring method.
    pub method: Method,
}

/// A participant's input for one indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Input {
    /// The measured value (integer in the indicator's base unit, e.g. per-mille or yuan).
    pub value: i64,
    /// The target or plan, when the method needs one.
    pub target: Option<i64>,
}

/// A bonus or penalty (加减分) with its reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Adjustment {
    /// Participant code.
    pub participant: String,
    /// Thousandths of a point, negative for a penalty.
    pub milli: Milli,
    /// Why.
    pub reason: String,
}

/// One line of a score's explanation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Component {
    /// Indicator code.
    pub indicator: String,
    /// Indicator name.
    pub name: String,
    /// The value used.
    pub value: i64,
    /// The target used, if any.
    pub target: Option<i64>,
    /// Points earned, thousandths.
    pub points: Milli,
    /// Weight, whole points.
    pub weight: i64,
    /// The calculation in words and figures.
    pub formula: String,
}

/// One participant's result.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Score {
    /// Participant code.
    pub code: String,
    /// Total in thousandths of a point.
    pub total: Milli,
    /// Competition rank (1, 2, 2, 4).
    pub rank: usize,
    /// `red`, `yellow`, `black` or none.
    pub flag: Option<String>,
    /// Per-indicator lines, then adjustments.
    pub components: Vec<Component>,
    /// Bonus and penalty lines.
    pub adjustments: Vec<Adjustment>,
}

fn div_round(n: i128, d: i128) -> i128 {
    // Round half away from zero; `d` > 0.
    if n >= 0 {
        (n + d / 2) / d
    } else {
        -((-n + d / 2) / d)
    }
}

/// Formats thousandths as points with two decimals (half up).
pub fn points_text(m: Milli) -> String {
    let c = div_round(i128::from(m), 10) as i64;
    let sign = if c < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", c.abs() / 100, c.abs() % 100)
}

/// Points as typed (`2`, `-1.5`, `.25`) in thousandths; at most three decimals.
pub fn parse_points(raw: &str) -> Option<Milli> {
    let t = raw.trim();
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if (int.is_empty() && frac.is_empty())
        || frac.len() > 3
        || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let i: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let f: i64 = format!("{frac:0<3}").parse().ok()?;
    let m = i.checked_mul(1000)?.checked_add(f)?;
    Some(if neg { -m } else { m })
}

/// A value as shown in a formula: money (indicator unit 万元, values in yuan) in 万元,
/// other values with thousands separators and their unit.
pub fn show_value(ind: &Indicator, v: i64) -> String {
    if ind.unit == "万元" {
        format!("{} 万元", crate::money::wan_grouped(v))
    } else {
        let digits = v.unsigned_abs().to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        let sign = if v < 0 { "-" } else { "" };
        if ind.unit.is_empty() {
            format!("{sign}{out}")
        } else {
            format!("{sign}{out} {}", ind.unit)
        }
    }
}

/// Points of one input by a method that does not depend on the other participants.
/// `None` for `rank` (scored across the field).
fn points_alone(ind: &Indicator, inp: Input) -> Option<(Milli, String)> {
    let w = i128::from(ind.weight) * 1000;
    let name = &ind.name;
    match &ind.method {
        Method::Ratio { cap_pct } => {
            let cap = w * i128::from((*cap_pct).max(0)) / 100;
            let t = inp.target.unwrap_or(0);
            let (num, den) = match ind.direction {
                Direction::Higher => (i128::from(inp.value), i128::from(t)),
                Direction::Lower => (i128::from(t), i128::from(inp.value)),
            };
            let p = if ind.direction == Direction::Lower && inp.value <= 0 {
                // Nothing at all of what should be low: the most credit.
                cap
            } else if den <= 0 || num <= 0 {
                0
            } else {
                div_round(w * num, den).min(cap)
            };
            let text = match ind.direction {
                Direction::Higher => format!(
                    "{name}：{} × 实际 {} ÷ 目标 {}（封顶 {}%）= {} 分",
                    ind.weight,
                    inp.value,
                    t,
                    cap_pct,
                    points_text(p as Milli)
                ),
                Direction::Lower => format!(
                    "{name}：{} × 目标 {} ÷ 实际 {}（越低越好，封顶 {}%）= {} 分",
                    ind.weight,
                    t,
                    inp.value,
                    cap_pct,
                    points_text(p as Milli)
                ),
            };
            Some((p as Milli, text))
        }
        Method::Linear {
            floor,
            ceiling,
            base_pct,
        } => {
            let base = w * i128::from((*base_pct).clamp(0, 100)) / 100;
            let span = i128::from(*ceiling) - i128::from(*floor);
            let v = i128::from(inp.value);
            let got = match ind.direction {
                Direction::Higher => v - i128::from(*floor),
                Direction::Lower => i128::from(*ceiling) - v,
            };
            let p = if span <= 0 {
                if got >= 0 { w } else { 0 }
            } else if got < 0 {
                0
            } else {
                (base + div_round((w - base) * got.min(span), span)).min(w)
            };
            Some((
                p as Milli,
                format!(
                    "{name}：功效系数，{} 得 {}%、{} 得满分，实际 {} → {} 分",
                    show_value(ind, *floor),
                    base_pct,
                    show_value(ind, *ceiling),
                    show_value(ind, inp.value),
                    points_text(p as Milli)
                ),
            ))
        }
        Method::Steps { steps } => {
            // The best step reached (so reaching more never earns less).
            let hit = steps
                .iter()
                .filter(|(t, _)| match ind.direction {
                    Direction::Higher => inp.value >= *t,
                    Direction::Lower => inp.value <= *t,
                })
                .max_by_key(|(t, pts)| (*pts, *t));
            let p = hit.map_or(0, |(_, pts)| (*pts).clamp(0, ind.weight) * 1000);
            Some((
                p,
                format!(
                    "{name}：实际 {}，{} → {} 分",
                    show_value(ind, inp.value),
                    hit.map_or("未达最低档".to_string(), |(t, _)| format!(
                        "达到 {t} 档"
                    )),
                    points_text(p)
                ),
            ))
        }
        Method::Completion { k, cap } => {
            let t = inp.target.unwrap_or(0);
            let cap_m = i128::from((*cap).max(0)) * 1000;
            let k_m = i128::from((*k).max(0)) * 1000;
            let p = match ind.direction {
                Direction::Higher if t > 0 && inp.value > 0 => {
                    div_round(k_m * i128::from(inp.value), i128::from(t)).min(cap_m)
                }
                Direction::Lower if inp.value <= 0 => cap_m,
                Direction::Lower if t > 0 => {
                    div_round(k_m * i128::from(t), i128::from(inp.value)).min(cap_m)
                }
                _ => 0,
            };
            Some((
                p as Milli,
                format!(
                    "{name}：{k} × 完成 {} ÷ 计划 {}（最多 {cap} 分）= {} 分",
                    show_value(ind, inp.value),
                    show_value(ind, t),
                    points_text(p as Milli)
                ),
            ))
        }
        Method::Rank { .. } => None,
    }
}

/// Competition ranks of totals, best first: equal totals share a rank and the next rank
/// skips (1, 2, 2, 4). `better(a, b)` says whether `a` is strictly better than `b`.
pub fn competition_ranks<T>(items: &[T], better: impl Fn(&T, &T) -> bool) -> Vec<usize> {
    items
        .iter()
        .map(|x| 1 + items.iter().filter(|y| better(y, x)).count())
        .collect()
}

/// Scores every participant (codes, in any order) on the indicators with their inputs
/// (`inputs[participant][indicator]`, missing = zero). Returns scores sorted by rank, then
/// code, without flags.
pub fn score(
    participants: &[String],
    indicators: &[Indicator],
    inputs: &BTreeMap<String, BTreeMap<String, Input>>,
    adjustments: &[Adjustment],
) -> Vec<Score> {
    let get = |p: &str, i: &str| {
        inputs
            .get(p)
            .and_then(|m| m.get(i))
            .copied()
            .unwrap_or_default()
    };
    let mut comps: BTreeMap<&str, Vec<Component>> = BTreeMap::new();
    for ind in indicators {
        if let Method::Rank { points } = &ind.method {
            let vals: Vec<i64> = participants
                .iter()
                .map(|p| get(p, &ind.code).value)
                .collect();
            let ranks = competition_ranks(&vals, |a, b| match ind.direction {
                Direction::Higher => a > b,
                Direction::Lower => a < b,
            });
            for (i, p) in participants.iter().enumerate() {
                let r = ranks[i];
                // The best points at this rank or any worse one, so a better rank never
                // earns less.
                let pts = points
                    .iter()
                    .skip((r - 1).min(points.len().saturating_sub(1)))
                    .max()
                    .copied()
                    .unwrap_or(0)
                    .clamp(0, ind.weight)
                    * 1000;
                let inp = get(p, &ind.code);
                comps.entry(p).or_default().push(Component {
                    indicator: ind.code.clone(),
                    name: ind.name.clone(),
                    value: inp.value,
                    target: inp.target,
                    points: pts,
                    weight: ind.weight,
                    formula: format!(
                        "{}：实际 {}，第 {r} 名 → {} 分",
                        ind.name,
                        show_value(ind, inp.value),
                        points_text(pts)
                    ),
                });
            }
        } else {
            for p in participants {
                let inp = get(p, &ind.code);
                let (pts, formula) = points_alone(ind, inp).expect("not rank");
                comps.entry(p).or_default().push(Component {
                    indicator: ind.code.clone(),
                    name: ind.name.clone(),
                    value: inp.value,
                    target: inp.target,
                    points: pts,
                    weight: ind.weight,
                    formula,
                });
            }
        }
    }
    let mut out: Vec<Score> = participants
        .iter()
        .map(|p| {
            let components = comps.remove(p.as_str()).unwrap_or_default();
            let adj: Vec<Adjustment> = adjustments
                .iter()
                .filter(|a| &a.participant == p)
                .cloned()
                .collect();
            let total = components
                .iter()
                .map(|c| c.points)
                .chain(adj.iter().map(|a| a.milli))
                .fold(0i64, i64::saturating_add);
            Score {
                code: p.clone(),
                total,
                rank: 0,
                flag: None,
                components,
                adjustments: adj,
            }
        })
        .collect();
    let ranks = competition_ranks(&out, |a, b| a.total > b.total);
    for (s, r) in out.iter_mut().zip(ranks) {
        s.rank = r;
    }
    out.sort_by(|a, b| a.rank.cmp(&b.rank).then(a.code.cmp(&b.code)));
    out
}

/// How flags are awarded for a quarter.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FlagRule {
    /// Top `red` get red flags, bottom `yellow` yellow flags. At a tied boundary every
    /// participant sharing the boundary rank gets the flag (stated rule).
    TopBottom {
        /// How many red flags.
        red: usize,
        /// How many yellow flags.
        yellow: usize,
    },
    /// 青岛: red for the top `red` and for anyone who climbed `climb` places or more
    /// since the previous period; yellow for the bottom `yellow`.
    Climb {
        /// Top places with a red flag.
        red: usize,
        /// Places climbed that also earn red.
        climb: usize,
        /// Bottom places with a yellow flag.
        yellow: usize,
    },
    /// 绵阳: red list = target met AND in the top `red`; black list = target missed AND in
    /// the bottom `black`.
    TwoCondition {
        /// Top places eligible for the red list.
        red: usize,
        /// Bottom places eligible for the black list.
        black: usize,
    },
}

impl Default for FlagRule {
    fn default() -> Self {
        FlagRule::TopBottom { red: 3, yellow: 3 }
    }
}

/// Awards flags to ranked scores. `previous_rank` gives last period's ranks (for
/// `climb`); `met_target` says who met their target (for `two_condition`). Red wins over
/// yellow when the field is so small that someone is both.
pub fn flags(
    scores: &mut [Score],
    rule: &FlagRule,
    previous_rank: &BTreeMap<String, usize>,
    met_target: &BTreeMap<String, bool>,
) {
    let n = scores.len();
    // The rank at position k (1-based) in rank order; a boundary tie includes all who share it.
    let mut ranks: Vec<usize> = scores.iter().map(|s| s.rank).collect();
    ranks.sort_unstable();
    let top_cut = |k: usize| (k > 0 && n > 0).then(|| ranks[k.min(n) - 1]);
    // Bottom k: everyone whose rank is at least the rank held at position n-k+1.
    let bottom_cut = |k: usize| (k > 0 && n > 0).then(|| ranks[n - k.min(n)]);
    for s in scores.iter_mut() {
        s.flag = None;
    }
    match rule {
        FlagRule::TopBottom { red, yellow } => {
            let (rc, yc) = (top_cut(*red), bottom_cut(*yellow));
            for s in scores.iter_mut() {
                if rc.is_some_and(|c| s.rank <= c) {
                    s.flag = Some("red".into());
                } else if yc.is_some_and(|c| s.rank >= c) {
                    s.flag = Some("yellow".into());
                }
            }
        }
        FlagRule::Climb { red, climb, yellow } => {
            let (rc, yc) = (top_cut(*red), bottom_cut(*yellow));
            for s in scores.iter_mut() {
                let climbed = previous_rank
                    .get(&s.code)
                    .is_some_and(|p| *p >= s.rank + climb);
                if rc.is_some_and(|c| s.rank <= c) || (*climb > 0 && climbed) {
                    s.flag = Some("red".into());
                } else if yc.is_some_and(|c| s.rank >= c) {
                    s.flag = Some("yellow".into());
                }
            }
        }
        FlagRule::TwoCondition { red, black } => {
            let (rc, bc) = (top_cut(*red), bottom_cut(*black));
            for s in scores.iter_mut() {
                let met = met_target.get(&s.code).copied().unwrap_or(false);
                if met && rc.is_some_and(|c| s.rank <= c) {
                    s.flag = Some("red".into());
                } else if !met && bc.is_some_and(|c| s.rank >= c) {
                    s.flag = Some("black".into());
                }
            }
        }
    }
}

/// The unit just ahead and just behind a participant and the points between them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Neighbours {
    /// (code, points ahead of this participant) of the nearest better-ranked participant.
    pub ahead: Option<(String, Milli)>,
    /// (code, points behind) of the nearest worse-ranked participant.
    pub behind: Option<(String, Milli)>,
}

/// Neighbours of `code` in ranked scores (标兵 and 追兵).
pub fn neighbours(scores: &[Score], code: &str) -> Option<Neighbours> {
    let me = scores.iter().find(|s| s.code == code)?;
    let ahead = scores
        .iter()
        .filter(|s| s.total > me.total)
        .min_by_key(|s| (s.total, s.code.clone()))
        .map(|s| (s.code.clone(), s.total - me.total));
    let behind = scores
        .iter()
        .filter(|s| s.total < me.total)
        .max_by(|a, b| a.total.cmp(&b.total).then(b.code.cmp(&a.code)))
        .map(|s| (s.code.clone(), me.total - s.total));
    Some(Neighbours { ahead, behind })
}

/// Checks an indicator set: codes unique, weights positive, methods sane.
pub fn check_indicators(list: &[Indicator]) -> Result<(), DomainError> {
    let mut seen = std::collections::BTreeSet::new();
    for i in list {
        if i.code.trim().is_empty() || !seen.insert(i.code.clone()) {
            return Err(DomainError::new(
                "indicators",
                format!("指标代码“{}”为空或重复。", i.code),
                format!("indicator code '{}' is empty or repeated", i.code),
            ));
        }
        if i.weight <= 0 || i.weight > 1000 {
            return Err(DomainError::new(
                "indicators",
                format!("指标“{}”的权重应为 1 到 1000 的整数分。", i.name),
                format!("weight of '{}' must be 1..1000 points", i.code),
            ));
        }
        if let Method::Linear { floor, ceiling, .. } = i.method
            && ceiling <= floor
        {
            return Err(DomainError::new(
                "indicators",
                format!("指标“{}”的满分值应高于起点值。", i.name),
                format!("'{}': ceiling must exceed floor", i.code),
            ));
        }
    }
    Ok(())
}

/// A scoring period: a month (每月亮成绩), a quarter (flags), a half-year or a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Period {
    /// `2026-10`
    Month(i32, u32),
    /// `2026-Q3`
    Quarter(i32, u32),
    /// `2026-H1`
    Half(i32, u32),
    /// `2026`
    Year(i32),
}

impl Period {
    /// Parses `2026-10`, `2026-Q3`, `2026-H1`/`2026-H2` or `2026`.
    pub fn parse(raw: &str) -> Result<Period, DomainError> {
        let t = raw.trim().to_ascii_uppercase();
        let bad = || {
            DomainError::new(
                "period",
                format!(
                    "期间“{}”应写作 2026-10（月）、2026-Q3（季度）、2026-H1（半年）或 2026（全年）。",
                    raw.trim()
                ),
                format!(
                    "period '{}' must look like 2026-10, 2026-Q3, 2026-H1 or 2026",
                    raw.trim()
                ),
            )
        };
        let (y, rest) = match t.split_once('-') {
            Some((y, r)) => (y, Some(r)),
            None => (t.as_str(), None),
        };
        let y: i32 = y
            .parse()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(bad)?;
        Ok(match rest {
            None => Period::Year(y),
            Some(r) if r.starts_with('Q') => {
                let q: u32 = r[1..]
                    .parse()
                    .ok()
                    .filter(|q| (1..=4).contains(q))
                    .ok_or_else(bad)?;
                Period::Quarter(y, q)
            }
            Some(r) if r.starts_with('H') => {
                let h: u32 = r[1..]
                    .parse()
                    .ok()
                    .filter(|h| (1..=2).contains(h))
                    .ok_or_else(bad)?;
                Period::Half(y, h)
            }
            Some(r) => {
                let m: u32 = r
                    .parse()
                    .ok()
                    .filter(|m| (1..=12).contains(m))
                    .ok_or_else(bad)?;
                Period::Month(y, m)
            }
        })
    }
    /// The canonical key.
    pub fn key(self) -> String {
        match self {
            Period::Month(y, m) => format!("{y}-{m:02}"),
            Period::Quarter(y, q) => format!("{y}-Q{q}"),
            Period::Half(y, h) => format!("{y}-H{h}"),
            Period::Year(y) => format!("{y}"),
        }
    }
    /// Chinese label.
    pub fn zh(self) -> String {
        match self {
            Period::Month(y, m) => format!("{y}年{m}月"),
            Period::Quarter(y, q) => format!("{y}年第{q}季度"),
            Period::Half(y, 1) => format!("{y}年上半年"),
            Period::Half(y, _) => format!("{y}年下半年"),
            Period::Year(y) => format!("{y}年全年"),
        }
    }
    /// The year.
    pub fn year(self) -> i32 {
        match self {
            Period::Month(y, _) | Period::Quarter(y, _) | Period::Half(y, _) | Period::Year(y) => y,
        }
    }
    /// The month whose cumulative figures the period is scored on (its last month).
    pub fn end_month(self) -> u32 {
        match self {
            Period::Month(_, m) => m,
            Period::Quarter(_, q) => q * 3,
            Period::Half(_, h) => h * 6,
            Period::Year(_) => 12,
        }
    }
    /// Whether flags are awarded (quarters, the half-year and the year).
    pub fn has_flags(self) -> bool {
        !matches!(self, Period::Month(..))
    }
    /// The period of the same kind before this one (for the "climbed" flag rule).
    pub fn previous(self) -> Option<Period> {
        Some(match self {
            Period::Month(y, 1) => Period::Month(y - 1, 12),
            Period::Month(y, m) => Period::Month(y, m - 1),
            Period::Quarter(y, 1) => Period::Quarter(y - 1, 4),
            Period::Quarter(y, q) => Period::Quarter(y, q - 1),
            Period::Half(y, 1) => Period::Half(y - 1, 2),
            Period::Half(y, _) => Period::Half(y, 1),
            Period::Year(y) => Period::Year(y - 1),
        })
    }
}

/// Figures computed from the platform's own data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Investment completed this year (yuan) against the annual plan.
    InvestPlan,
    /// Investment completed this year against the time-proportional target.
    InvestTarget,
    /// Projects planned to start this year that have started, against those planned.
    StartRate,
    /// Projects due to finish this year that are completed or in operation.
    CompletionRate,
    /// Investment this year per mu of land (yuan per mu) of projects with land.
    InvestPerMu,
    /// Problems of the year handled without escalation, against all problems.
    ProblemsOnTime,
    /// Supervised tasks on time (closed by the deadline or not yet due), against all.
    TasksOnTime,
}

impl Measure {
    /// Chinese description of value and target.
    pub fn zh(self) -> &'static str {
        match self {
            Measure::InvestPlan => "本年完成投资 ÷ 年度计划（元）",
            Measure::InvestTarget => "本年完成投资 ÷ 序时目标（元）",
            Measure::StartRate => "已开工项目数 ÷ 计划今年开工项目数",
            Measure::CompletionRate => "已竣工投产项目数 ÷ 计划今年竣工项目数",
            Measure::InvestPerMu => "本年完成投资 ÷ 用地面积（元/亩）",
            Measure::ProblemsOnTime => "未经升级办理的问题数 ÷ 问题总数",
            Measure::TasksOnTime => "按时办结或未到期的督办任务数 ÷ 任务总数",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ind(code: &str, w: i64, method: Method, dir: Direction) -> Indicator {
        Indicator {
            code: code.into(),
            name: code.into(),
            unit: String::new(),
            direction: dir,
            weight: w,
            method,
        }
    }

    fn inputs(
        rows: &[(&str, &str, i64, Option<i64>)],
    ) -> BTreeMap<String, BTreeMap<String, Input>> {
        let mut m: BTreeMap<String, BTreeMap<String, Input>> = BTreeMap::new();
        for (p, i, v, t) in rows {
            m.entry((*p).into()).or_default().insert(
                (*i).into(),
                Input {
                    value: *v,
                    target: *t,
                },
            );
        }
        m
    }

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn golden_ratio_with_cap() {
        // 30 points, cap 120 %: 9,000/10,000 → 27.000; 15,000/10,000 → capped 36.000;
        // 0 → 0; no target → 0.
        let i = ind("inv", 30, Method::Ratio { cap_pct: 120 }, Direction::Higher);
        let s = score(
            &names(&["a", "b", "c", "d"]),
            &[i],
            &inputs(&[
                ("a", "inv", 9_000, Some(10_000)),
                ("b", "inv", 15_000, Some(10_000)),
                ("c", "inv", 0, Some(10_000)),
                ("d", "inv", 5_000, None),
            ]),
            &[],
        );
        let t: Vec<(&str, Milli, usize)> = s
            .iter()
            .map(|x| (x.code.as_str(), x.total, x.rank))
            .collect();
        assert_eq!(
            t,
            [("b", 36_000, 1), ("a", 27_000, 2), ("c", 0, 3), ("d", 0, 3)]
        );
        assert!(
            s[1].components[0].formula.contains("27.00"),
            "{}",
            s[1].components[0].formula
        );
    }

    #[test]
    fn golden_linear_efficacy_coefficient() {
        // 20 points, floor 50 (60 %), ceiling 100: 75 → 12 + 8 × 0.5 = 16; 40 → 0; 120 → 20.
        let i = ind(
            "rate",
            20,
            Method::Linear {
                floor: 50,
                ceiling: 100,
                base_pct: 60,
            },
            Direction::Higher,
        );
        let s = score(
            &names(&["a", "b", "c", "d"]),
            &[i],
            &inputs(&[
                ("a", "rate", 75, None),
                ("b", "rate", 40, None),
                ("c", "rate", 120, None),
                ("d", "rate", 50, None),
            ]),
            &[],
        );
        let t: BTreeMap<&str, Milli> = s.iter().map(|x| (x.code.as_str(), x.total)).collect();
        assert_eq!(t["a"], 16_000);
        assert_eq!(t["b"], 0);
        assert_eq!(t["c"], 20_000);
        assert_eq!(t["d"], 12_000);
    }

    #[test]
    fn golden_rank_steps_completion_and_adjustments() {
        let rank = ind(
            "r",
            10,
            Method::Rank {
                points: vec![10, 8, 6],
            },
            Direction::Higher,
        );
        let steps = ind(
            "s",
            10,
            Method::Steps {
                steps: vec![(90, 10), (60, 6), (80, 8)],
            },
            Direction::Higher,
        );
        let yan = ind(
            "y",
            72,
            Method::Completion { k: 60, cap: 72 },
            Direction::Higher,
        );
        let s = score(
            &names(&["a", "b", "c", "d"]),
            &[rank, steps, yan],
            &inputs(&[
                ("a", "r", 5, None),
                ("b", "r", 5, None),
                ("c", "r", 3, None),
                ("d", "r", 1, None),
                ("a", "s", 85, None),
                ("b", "s", 59, None),
                ("c", "s", 90, None),
                ("d", "s", 60, None),
                ("a", "y", 8, Some(10)),
                ("b", "y", 15, Some(10)),
                ("c", "y", 10, Some(10)),
                ("d", "y", 0, Some(10)),
            ]),
            &[Adjustment {
                participant: "d".into(),
                milli: -2_500,
                reason: "安全生产事故".into(),
            }],
        );
        let t: BTreeMap<&str, Milli> = s.iter().map(|x| (x.code.as_str(), x.total)).collect();
        // a: rank tie 1st → 10; steps 85 → 8; 60 × 8/10 = 48 → 66.
        assert_eq!(t["a"], 66_000);
        // b: 10; 59 → 0; 60 × 1.5 = 90 capped 72 → 82.
        assert_eq!(t["b"], 82_000);
        let y = s.iter().find(|x| x.code == "a").unwrap().components[2]
            .formula
            .clone();
        assert!(
            y.starts_with("y：60 × 完成 8 ÷ 计划 10（最多 72 分）= 48.00 分"),
            "{y}"
        );
        // c: rank 3 → 6; 90 → 10; 60 → 76.
        assert_eq!(t["c"], 76_000);
        // d: rank 4 → last entry 6; 60 → 6; 0; −2.5 → 9.5.
        assert_eq!(t["d"], 9_500);
        assert_eq!(s.iter().map(|x| x.rank).collect::<Vec<_>>(), [1, 2, 3, 4]);
        assert_eq!(points_text(9_500), "9.50");
        assert_eq!(points_text(-2_505), "-2.51");
    }

    #[test]
    fn points_parse() {
        assert_eq!(parse_points("2"), Some(2000));
        assert_eq!(parse_points("-1.5"), Some(-1500));
        assert_eq!(parse_points(".25"), Some(250));
        assert_eq!(parse_points("1.2345"), None);
        assert_eq!(parse_points("abc"), None);
        assert_eq!(parse_points(""), None);
        assert_eq!(parse_points("99999999999999999"), None);
    }

    #[test]
    fn values_are_shown_in_their_unit() {
        let mut i = ind("inv", 10, Method::Ratio { cap_pct: 100 }, Direction::Higher);
        i.unit = "万元".into();
        assert_eq!(show_value(&i, 123_456_700), "12,345.67 万元");
        i.unit = "户".into();
        assert_eq!(show_value(&i, 1_234_567), "1,234,567 户");
        i.unit = String::new();
        assert_eq!(show_value(&i, -1000), "-1,000");
    }

    #[test]
    fn lower_is_better() {
        let i = ind("late", 10, Method::Ratio { cap_pct: 100 }, Direction::Lower);
        let s = score(
            &names(&["a", "b", "c"]),
            &[i],
            &inputs(&[
                ("a", "late", 2, Some(4)),
                ("b", "late", 8, Some(4)),
                ("c", "late", 0, Some(4)),
            ]),
            &[],
        );
        let t: BTreeMap<&str, Milli> = s.iter().map(|x| (x.code.as_str(), x.total)).collect();
        assert_eq!((t["a"], t["b"], t["c"]), (10_000, 5_000, 10_000));
    }

    fn ranked(totals: &[(&str, Milli)]) -> Vec<Score> {
        let mut v: Vec<Score> = totals
            .iter()
            .map(|(c, t)| Score {
                code: (*c).into(),
                total: *t,
                rank: 0,
                flag: None,
                components: vec![],
                adjustments: vec![],
            })
            .collect();
        let r = competition_ranks(&v, |a, b| a.total > b.total);
        for (s, r) in v.iter_mut().zip(r) {
            s.rank = r;
        }
        v
    }

    fn flag_of(v: &[Score]) -> Vec<(String, Option<String>)> {
        v.iter().map(|s| (s.code.clone(), s.flag.clone())).collect()
    }

    #[test]
    fn golden_flags_top_bottom_with_ties_at_the_boundary() {
        // Ranks 1, 2, 2, 4, 5, 5: two red flags go to ranks 1 and both 2s (tie at the
        // boundary); one yellow to both rank-5s.
        let mut v = ranked(&[
            ("a", 90),
            ("b", 80),
            ("c", 80),
            ("d", 70),
            ("e", 60),
            ("f", 60),
        ]);
        assert_eq!(
            v.iter().map(|s| s.rank).collect::<Vec<_>>(),
            [1, 2, 2, 4, 5, 5]
        );
        flags(
            &mut v,
            &FlagRule::TopBottom { red: 2, yellow: 1 },
            &BTreeMap::new(),
            &BTreeMap::new(),
        );
        let f = flag_of(&v);
        assert_eq!(
            f.iter().filter(|x| x.1.as_deref() == Some("red")).count(),
            3
        );
        assert_eq!(
            f.iter()
                .filter(|x| x.1.as_deref() == Some("yellow"))
                .map(|x| x.0.as_str())
                .collect::<Vec<_>>(),
            ["e", "f"]
        );
        assert_eq!(f[3].1, None);
    }

    #[test]
    fn golden_flags_climb_and_two_conditions() {
        let mut v = ranked(&[("a", 90), ("b", 80), ("c", 70), ("d", 60), ("e", 50)]);
        let prev: BTreeMap<String, usize> = [("a", 1), ("b", 2), ("c", 5), ("d", 3), ("e", 4)]
            .iter()
            .map(|(c, r)| ((*c).into(), *r))
            .collect();
        flags(
            &mut v,
            &FlagRule::Climb {
                red: 1,
                climb: 2,
                yellow: 1,
            },
            &prev,
            &BTreeMap::new(),
        );
        // a top; c climbed from 5 to 3; e bottom.
        assert_eq!(
            flag_of(&v)
                .iter()
                .map(|x| x.1.clone().unwrap_or_default())
                .collect::<Vec<_>>(),
            ["red", "", "red", "", "yellow"]
        );
        let met: BTreeMap<String, bool> = [
            ("a", true),
            ("b", false),
            ("c", true),
            ("d", false),
            ("e", true),
        ]
        .iter()
        .map(|(c, m)| ((*c).into(), *m))
        .collect();
        flags(
            &mut v,
            &FlagRule::TwoCondition { red: 2, black: 2 },
            &BTreeMap::new(),
            &met,
        );
        // Red: met AND top 2 → a (b missed). Black: missed AND bottom 2 → d (e met).
        assert_eq!(
            flag_of(&v)
                .iter()
                .map(|x| x.1.clone().unwrap_or_default())
                .collect::<Vec<_>>(),
            ["red", "", "", "black", ""]
        );
    }

    #[test]
    fn neighbours_and_empty_fields() {
        let v = ranked(&[("a", 90_000), ("b", 80_000), ("c", 80_000), ("d", 70_500)]);
        let n = neighbours(&v, "b").unwrap();
        assert_eq!(n.ahead, Some(("a".into(), 10_000)));
        assert_eq!(n.behind, Some(("d".into(), 9_500)));
        assert_eq!(neighbours(&v, "a").unwrap().ahead, None);
        assert!(neighbours(&v, "zz").is_none());
        // No participants, no indicators, no inputs: no panic.
        assert!(score(&[], &[], &BTreeMap::new(), &[]).is_empty());
        let mut none: Vec<Score> = vec![];
        flags(
            &mut none,
            &FlagRule::default(),
            &BTreeMap::new(),
            &BTreeMap::new(),
        );
        let i = ind("x", 10, Method::Ratio { cap_pct: 120 }, Direction::Higher);
        let s = score(&names(&["a"]), &[i], &BTreeMap::new(), &[]);
        assert_eq!(s[0].total, 0);
    }

    #[test]
    fn periods() {
        for (raw, key, end, flags) in [
            ("2026-10", "2026-10", 10, false),
            ("2026-q3", "2026-Q3", 9, true),
            ("2026-H1", "2026-H1", 6, true),
            ("2026", "2026", 12, true),
        ] {
            let p = Period::parse(raw).unwrap();
            assert_eq!(
                (p.key().as_str(), p.end_month(), p.has_flags()),
                (key, end, flags)
            );
        }
        assert_eq!(
            Period::parse("2026-Q1").unwrap().previous().unwrap().key(),
            "2025-Q4"
        );
        for bad in ["2026-13", "2026-Q5", "26-01", "2026-H3", ""] {
            assert_eq!(Period::parse(bad).unwrap_err().field, "period", "{bad}");
        }
    }

    #[test]
    fn indicator_checks() {
        let ok = ind("a", 10, Method::Ratio { cap_pct: 100 }, Direction::Higher);
        assert!(check_indicators(std::slice::from_ref(&ok)).is_ok());
        assert!(check_indicators(&[ok.clone(), ok.clone()]).is_err());
        assert!(
            check_indicators(&[ind(
                "b",
                0,
                Method::Ratio { cap_pct: 100 },
                Direction::Higher
            )])
            .is_err()
        );
        assert!(
            check_indicators(&[ind(
                "c",
                5,
                Method::Linear {
                    floor: 5,
                    ceiling: 5,
                    base_pct: 60
                },
                Direction::Higher
            )])
            .is_err()
        );
    }

    fn any_method() -> impl Strategy<Value = Method> {
        prop_oneof![
            (0i64..300).prop_map(|cap_pct| Method::Ratio { cap_pct }),
            (-1000i64..1000, 1i64..2000, 0i64..100).prop_map(|(floor, span, base_pct)| {
                Method::Linear {
                    floor,
                    ceiling: floor + span,
                    base_pct,
                }
            }),
            proptest::collection::vec(0i64..50, 1..5).prop_map(|points| Method::Rank { points }),
            proptest::collection::vec((-1000i64..1000, 0i64..50), 1..5)
                .prop_map(|steps| Method::Steps { steps }),
            (0i64..100, 0i64..150).prop_map(|(k, cap)| Method::Completion { k, cap }),
        ]
    }

    type Case = (Vec<Indicator>, Vec<(i64, Option<i64>)>, usize);

    fn any_case() -> impl Strategy<Value = Case> {
        (
            proptest::collection::vec((any_method(), 1i64..100, any::<bool>()), 1..4),
            2usize..7,
        )
            .prop_flat_map(|(inds, n)| {
                let k = inds.len();
                (
                    Just(
                        inds.into_iter()
                            .enumerate()
                            .map(|(i, (m, w, up))| {
                                ind(
                                    &format!("i{i}"),
                                    w,
                                    m,
                                    if up {
                                        Direction::Higher
                                    } else {
                                        Direction::Lower
                                    },
                                )
                            })
                            .collect::<Vec<_>>(),
                    ),
                    proptest::collection::vec(
                        (
                            any::<i64>().prop_map(|v| v % 1_000_000_000_000),
                            proptest::option::of(-10i64..1_000_000_000),
                        ),
                        n * k,
                    ),
                    Just(n),
                )
            })
    }

    fn build(
        inds: &[Indicator],
        vals: &[(i64, Option<i64>)],
        n: usize,
    ) -> (Vec<String>, BTreeMap<String, BTreeMap<String, Input>>) {
        let parts: Vec<String> = (0..n).map(|i| format!("p{i}")).collect();
        let mut m: BTreeMap<String, BTreeMap<String, Input>> = BTreeMap::new();
        for (pi, p) in parts.iter().enumerate() {
            for (ii, ind) in inds.iter().enumerate() {
                let (v, t) = vals[pi * inds.len() + ii];
                m.entry(p.clone()).or_default().insert(
                    ind.code.clone(),
                    Input {
                        value: v,
                        target: t,
                    },
                );
            }
        }
        (parts, m)
    }

    proptest! {
        #[test]
        fn order_of_participants_does_not_matter((inds, vals, n) in any_case(), rot in 0usize..7) {
            let (parts, m) = build(&inds, &vals, n);
            let a = score(&parts, &inds, &m, &[]);
            let mut other = parts.clone();
            other.rotate_left(rot % n);
            other.reverse();
            let b = score(&other, &inds, &m, &[]);
            prop_assert_eq!(a, b);
        }

        #[test]
        fn weights_and_caps_hold_and_nothing_overflows((inds, vals, n) in any_case()) {
            let (parts, m) = build(&inds, &vals, n);
            for s in score(&parts, &inds, &m, &[]) {
                for c in &s.components {
                    let ind = inds.iter().find(|i| i.code == c.indicator).unwrap();
                    let max = match &ind.method {
                        Method::Ratio { cap_pct } => ind.weight * 1000 * (*cap_pct).max(0) / 100,
                        Method::Completion { cap, .. } => cap * 1000,
                        _ => ind.weight * 1000,
                    };
                    prop_assert!(c.points >= 0 && c.points <= max, "{} > {}", c.points, max);
                }
                prop_assert!(s.rank >= 1 && s.rank <= n);
            }
        }

        #[test]
        fn a_better_input_never_lowers_the_score((inds, vals, n) in any_case(), who in 0usize..7, which in 0usize..4, delta in 1i64..1_000_000) {
            let (parts, m) = build(&inds, &vals, n);
            let p = &parts[who % n];
            let ind = &inds[which % inds.len()];
            let before = score(&parts, &inds, &m, &[]).into_iter().find(|s| &s.code == p).unwrap().total;
            let mut m2 = m.clone();
            let e = m2.get_mut(p).unwrap().get_mut(&ind.code).unwrap();
            e.value = match ind.direction {
                Direction::Higher => e.value.saturating_add(delta),
                Direction::Lower => e.value.saturating_sub(delta),
            };
            let after = score(&parts, &inds, &m2, &[]).into_iter().find(|s| &s.code == p).unwrap().total;
            prop_assert!(after >= before, "{} < {}", after, before);
        }

        #[test]
        fn ties_get_competition_ranks(totals in proptest::collection::vec(0i64..5, 1..10)) {
            let items: Vec<(String, Milli)> = totals.iter().enumerate().map(|(i, t)| (format!("p{i}"), *t)).collect();
            let refs: Vec<(&str, Milli)> = items.iter().map(|(c, t)| (c.as_str(), *t)).collect();
            let v = ranked(&refs);
            for s in &v {
                let better = v.iter().filter(|o| o.total > s.total).count();
                prop_assert_eq!(s.rank, better + 1);
            }
        }
    }
}
