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

mod annual;
mod flags;
mod form;
mod period;
#[cfg(test)]
mod tests;

pub use annual::*;
pub use flags::*;
pub use form::*;
pub use period::*;

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
                    show_value(ind, inp.value),
                    show_value(ind, t),
                    cap_pct,
                    points_text(p as Milli)
                ),
                Direction::Lower => format!(
                    "{name}：{} × 目标 {} ÷ 实际 {}（越低越好，封顶 {}%）= {} 分",
                    ind.weight,
                    show_value(ind, t),
                    show_value(ind, inp.value),
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
