//! Time-proportional progress (序时进度) and warning lights (红黄绿灯).
//!
//! The target to the end of month `m` is the cumulative monthly plan when the plan has
//! a monthly breakdown, else the annual plan × elapsed months ÷ 12 — counting months
//! from the planned start month for a project that starts during the year. Rates are
//! kept in basis points (1/10 000) as integers: money is never a float and neither is a
//! ratio that decides a light.
//!
//! The light rule is data ([`LightRule`]), versioned by the store; the default is the
//! rule Yinchuan publishes: green when the completion rate is at most 10 percentage
//! points behind the time-proportional rate, yellow 10–30 points behind, red more than
//! 30 points behind, and red three months after the planned start without a start.

use crate::money::{self, wan};
use chrono::{Datelike, NaiveDate};

/// A light's colour, or `none` when a project has nothing to measure against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Light {
    /// On or near target.
    Green,
    /// Lagging.
    Yellow,
    /// Lagging badly, not started in time, or a milestone long overdue.
    Red,
    /// No annual plan for the year: no target, no light.
    None,
}

impl Light {
    /// `green`, `yellow`, `red` or `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            Light::Green => "green",
            Light::Yellow => "yellow",
            Light::Red => "red",
            Light::None => "none",
        }
    }

    /// 绿灯 / 黄灯 / 红灯 / 无计划.
    pub fn zh(self) -> &'static str {
        match self {
            Light::Green => "绿灯",
            Light::Yellow => "黄灯",
            Light::Red => "红灯",
            Light::None => "无计划",
        }
    }

    /// Parses the stored identifier.
    pub fn parse(s: &str) -> Option<Light> {
        match s {
            "green" => Some(Light::Green),
            "yellow" => Some(Light::Yellow),
            "red" => Some(Light::Red),
            "none" => Some(Light::None),
            _ => None,
        }
    }

    /// The worse of two lights (`none` counts as best).
    pub fn worst(self, other: Light) -> Light {
        let rank = |l: Light| match l {
            Light::None => 0,
            Light::Green => 1,
            Light::Yellow => 2,
            Light::Red => 3,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

/// The configurable rule behind lights and report checks. Stored as JSON with a version
/// number; a light keeps the version that made it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct LightRule {
    /// Name shown with the rule, e.g. 银川规则.
    pub name: String,
    /// Yellow from this many basis points behind the time-proportional rate (1000 = 10
    /// percentage points). Less lag than this is green.
    pub yellow_lag_bp: i64,
    /// Red when more than this many basis points behind (3000 = 30 points).
    pub red_lag_bp: i64,
    /// Red when not started this many months after the planned start (0 = rule off).
    pub not_started_red_months: i64,
    /// Yellow when a milestone is more than this many days past its planned date
    /// without an actual date (negative = rule off).
    pub milestone_yellow_days: i64,
    /// Red when a milestone is more than this many days overdue (negative = off).
    pub milestone_red_days: i64,
    /// A report whose cumulative since start exceeds the total investment: `block`
    /// refuses it, `warn` flags it.
    pub overrun: String,
    /// A month's amount above this multiple of its monthly plan needs a note (0 = off).
    pub month_over_plan_factor: i64,
    /// A photo taken farther than this from the project's location is flagged (metres).
    pub photo_max_distance_m: i64,
}

impl Default for LightRule {
    fn default() -> Self {
        LightRule::yinchuan()
    }
}

impl LightRule {
    /// The Yinchuan rule (the default).
    pub fn yinchuan() -> LightRule {
        LightRule {
            name: "银川规则".into(),
            yellow_lag_bp: 1000,
            red_lag_bp: 3000,
            not_started_red_months: 3,
            milestone_yellow_days: 0,
            milestone_red_days: 90,
            overrun: "warn".into(),
            month_over_plan_factor: 3,
            photo_max_distance_m: 5000,
        }
    }

    /// The Sanya rule: yellow up to 50 points behind, red beyond.
    pub fn sanya() -> LightRule {
        LightRule {
            name: "三亚规则".into(),
            yellow_lag_bp: 1,
            red_lag_bp: 5000,
            ..LightRule::yinchuan()
        }
    }

    /// Refuses a rule whose thresholds make no sense, naming the field.
    pub fn check(&self) -> Result<(), crate::DomainError> {
        use crate::DomainError;
        if self.name.trim().is_empty() {
            return Err(DomainError::new(
                "name",
                "请填写规则名称。",
                "The rule needs a name.",
            ));
        }
        if self.yellow_lag_bp < 0 || self.red_lag_bp < self.yellow_lag_bp {
            return Err(DomainError::new(
                "red_lag_bp",
                "红灯滞后阈值不能小于黄灯阈值，且均不能为负。",
                "The red lag threshold must be at least the yellow one, both non-negative.",
            ));
        }
        if self.not_started_red_months < 0 || self.month_over_plan_factor < 0 {
            return Err(DomainError::new(
                "not_started_red_months",
                "月数和倍数不能为负。",
                "Months and factors cannot be negative.",
            ));
        }
        if self.milestone_yellow_days >= 0
            && self.milestone_red_days >= 0
            && self.milestone_red_days < self.milestone_yellow_days
        {
            return Err(DomainError::new(
                "milestone_red_days",
                "节点逾期红灯天数不能小于黄灯天数。",
                "Milestone red days must be at least the yellow days.",
            ));
        }
        if !matches!(self.overrun.as_str(), "block" | "warn") {
            return Err(DomainError::new(
                "overrun",
                "超总投资的处理方式应为 block（拒绝）或 warn（提示）。",
                "overrun must be block or warn.",
            ));
        }
        Ok(())
    }
}

/// Last day of a month.
pub fn month_end(year: i32, month: u32) -> NaiveDate {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).expect("valid month") - chrono::Days::new(1)
}

/// Whole months from month `(y0, m0)` to month `(y1, m1)` (0 when equal).
pub fn months_between(y0: i32, m0: u32, y1: i32, m1: u32) -> i64 {
    (i64::from(y1) - i64::from(y0)) * 12 + i64::from(m1) - i64::from(m0)
}

/// `num / den` in basis points, rounded half up; `None` when `den` is zero.
pub fn rate_bp(num: i64, den: i64) -> Option<i64> {
    if den == 0 {
        return None;
    }
    let n = i128::from(num) * 10_000;
    let d = i128::from(den);
    let q = (2 * n + d) / (2 * d);
    Some(q as i64)
}

/// Basis points as a percentage with one decimal, e.g. 8530 → `85.3%`.
pub fn pct(bp: i64) -> String {
    let mut s = points(bp);
    s.push('%');
    s
}

/// Basis points of lag as percentage points with one decimal, e.g. 1530 → `15.3`.
pub fn points(bp: i64) -> String {
    let mut s = String::with_capacity(8);
    push_points(&mut s, bp);
    s
}

/// Appends [`points`]'s text to `out`.
pub fn push_points(out: &mut String, bp: i64) {
    // One decimal of a percent = 10 bp, rounded half up.
    let tenths = (bp.unsigned_abs() + 5) / 10;
    if bp < 0 {
        out.push('-');
    }
    crate::money::push_digits(out, tenths / 10, 1);
    out.push('.');
    crate::money::push_digits(out, tenths % 10, 1);
}

/// The time-proportional target (whole yuan) to the end of `month` of the plan's year.
///
/// - with a monthly breakdown: the cumulative monthly plan;
/// - without: annual × elapsed ÷ span, where the span runs from `start_month` (the
///   planned start month when the project starts during this year, else January) to
///   December, and elapsed counts the months of the span up to `month`.
pub fn target(annual: i64, months: &[Option<i64>; 12], month: u32, start_month: u32) -> i64 {
    let month = month.clamp(1, 12);
    if months.iter().any(Option::is_some) {
        return months[..month as usize]
            .iter()
            .map(|m| m.unwrap_or(0))
            .sum();
    }
    let start = start_month.clamp(1, 12);
    if month < start {
        return 0;
    }
    let span = i128::from(13 - start);
    let elapsed = i128::from(month - start + 1);
    let t = i128::from(annual) * elapsed;
    // Half-up rounding to whole yuan.
    ((2 * t + span) / (2 * span)) as i64
}

/// A milestone as the light rule sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MilestoneState {
    /// Node name.
    pub name: String,
    /// Planned finish.
    pub planned: Option<NaiveDate>,
    /// Actual finish.
    pub actual: Option<NaiveDate>,
}

/// Everything a project's light depends on; stored with the light.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Inputs {
    /// Period year.
    pub year: i32,
    /// Period month (1–12).
    pub month: u32,
    /// Annual plan (yuan), `None` when the project has no plan for the year.
    pub annual: Option<i64>,
    /// Monthly plan (yuan), all `None` when there is no breakdown.
    pub months: [Option<i64>; 12],
    /// Cumulative investment completed this year to the end of the month (yuan).
    pub cumulative: i64,
    /// Whether the project has started.
    pub started: bool,
    /// Planned start date, if known.
    pub planned_start: Option<NaiveDate>,
    /// Milestones.
    pub milestones: Vec<MilestoneState>,
}

/// What the rule decided, with the figures.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    /// The light.
    pub light: Light,
    /// Time-proportional target (yuan), when there is a plan.
    pub target: Option<i64>,
    /// Cumulative ÷ target in basis points (`None` when the target is zero or absent).
    pub ratio_bp: Option<i64>,
    /// Completion rate (cumulative ÷ annual) in basis points.
    pub rate_bp: Option<i64>,
    /// Time-proportional rate (target ÷ annual) in basis points.
    pub target_rate_bp: Option<i64>,
    /// How far the completion rate lags the time-proportional rate (basis points;
    /// negative = ahead).
    pub lag_bp: Option<i64>,
    /// Reason codes, worst first: `lag`, `not_started`, `milestone`, `no_plan`, `ok`.
    pub reasons: Vec<String>,
    /// One sentence with the figures, in Chinese.
    pub why: String,
    /// The same in English.
    pub why_en: String,
}

/// Applies `rule` to one project's `inputs`.
pub fn evaluate(rule: &LightRule, inputs: &Inputs) -> Outcome {
    let asof = month_end(inputs.year, inputs.month);
    let Some(annual) = inputs.annual else {
        return Outcome {
            light: Light::None,
            target: None,
            ratio_bp: None,
            rate_bp: None,
            target_rate_bp: None,
            lag_bp: None,
            reasons: vec!["no_plan".into()],
            why: format!("{} 年无年度计划投资，不评灯。", inputs.year),
            why_en: format!("No annual plan for {}: no light.", inputs.year),
        };
    };
    let start_month = match inputs.planned_start {
        Some(d) if d.year() == inputs.year && !inputs.started => d.month(),
        Some(d) if d.year() == inputs.year && inputs.months.iter().all(Option::is_none) => {
            d.month()
        }
        _ => 1,
    };
    let t = target(annual, &inputs.months, inputs.month, start_month);
    let rate = rate_bp(inputs.cumulative, annual);
    let trate = rate_bp(t, annual);
    let ratio = rate_bp(inputs.cumulative, t);
    let lag = match (rate, trate) {
        (Some(r), Some(tr)) => Some(tr - r),
        _ => None,
    };
    let mut light = Light::Green;
    // The explanation is built in place, each figure's text made once: a recomputation
    // explains tens of thousands of lights.
    let mut zh = String::with_capacity(512);
    let mut en = String::with_capacity(512);
    let mut reasons: Vec<(Light, &str)> = Vec::new();
    let (cum_s, target_s, annual_s) = (wan(inputs.cumulative), wan(t), wan(annual));

    // 1. Lag against the time-proportional target.
    zh.push_str("截至 ");
    money::push_digits(&mut zh, u64::from(inputs.month), 1);
    zh.push_str(" 月累计完成 ");
    zh.push_str(&cum_s);
    zh.push_str(" 万元，序时目标 ");
    zh.push_str(&target_s);
    zh.push_str(" 万元，年度计划 ");
    zh.push_str(&annual_s);
    zh.push_str(" 万元");
    en.push_str("by the end of month ");
    money::push_digits(&mut en, u64::from(inputs.month), 1);
    en.push(' ');
    en.push_str(&cum_s);
    en.push_str(" (10k yuan) done against a time-proportional target of ");
    en.push_str(&target_s);
    en.push_str(" and an annual plan of ");
    en.push_str(&annual_s);
    match (lag, rate, trate) {
        (Some(lag), Some(r), Some(tr)) => {
            let l = if lag > rule.red_lag_bp {
                Light::Red
            } else if lag >= rule.yellow_lag_bp && lag > 0 {
                Light::Yellow
            } else {
                Light::Green
            };
            light = light.worst(l);
            let (r, tr) = (pct(r), pct(tr));
            if lag > 0 {
                let (lag, yellow, red) = (
                    points(lag),
                    points(rule.yellow_lag_bp),
                    points(rule.red_lag_bp),
                );
                for p in [
                    "，完成率 ",
                    &r,
                    " 落后序时进度 ",
                    &tr,
                    " 达 ",
                    &lag,
                    " 个百分点（",
                    &rule.name,
                    "：滞后满 ",
                    &yellow,
                    " 个百分点为黄灯、超过 ",
                    &red,
                    " 个百分点为红灯）",
                ] {
                    zh.push_str(p);
                }
                for p in [
                    "; the completion rate ",
                    &r,
                    " lags the time-proportional ",
                    &tr,
                    " by ",
                    &lag,
                    " points (yellow from ",
                    &yellow,
                    ", red above ",
                    &red,
                    ")",
                ] {
                    en.push_str(p);
                }
            } else {
                for p in ["，完成率 ", &r, " 达到序时进度 ", &tr] {
                    zh.push_str(p);
                }
                for p in [
                    "; the completion rate ",
                    &r,
                    " meets the time-proportional ",
                    &tr,
                ] {
                    en.push_str(p);
                }
            }
            reasons.push((l, if l == Light::Green { "ok" } else { "lag" }));
        }
        _ => {
            // Annual plan of zero: nothing is due this year.
            zh.push_str("，本年无投资任务");
            en.push_str("; nothing is due this year");
            reasons.push((Light::Green, "ok"));
        }
    }

    // 2. Not started three months after the planned start.
    if rule.not_started_red_months > 0
        && !inputs.started
        && let Some(ps) = inputs.planned_start
    {
        let late = months_between(ps.year(), ps.month(), inputs.year, inputs.month);
        if ps <= asof && late >= rule.not_started_red_months {
            light = light.worst(Light::Red);
            reasons.push((Light::Red, "not_started"));
            zh.push_str(&format!(
                "；计划 {ps} 开工，已过 {late} 个月仍未开工（满 {} 个月未开工为红灯）",
                rule.not_started_red_months
            ));
            en.push_str(&format!(
                "; planned to start on {ps}, still not started {late} months later (red after {})",
                rule.not_started_red_months
            ));
        }
    }

    // 3. Overdue milestones: the most overdue one decides.
    let worst_node = inputs
        .milestones
        .iter()
        .filter(|m| m.actual.is_none())
        .filter_map(|m| m.planned.map(|p| ((asof - p).num_days(), m)))
        .filter(|(d, _)| *d > 0)
        .max_by_key(|(d, _)| *d);
    if let Some((days, node)) = worst_node {
        let l = if rule.milestone_red_days >= 0 && days > rule.milestone_red_days {
            Light::Red
        } else if rule.milestone_yellow_days >= 0 && days > rule.milestone_yellow_days {
            Light::Yellow
        } else {
            Light::Green
        };
        if l != Light::Green {
            light = light.worst(l);
            reasons.push((l, "milestone"));
            zh.push_str(&format!(
                "；节点“{}”计划 {} 完成，已逾期 {days} 天",
                node.name,
                node.planned.expect("filtered")
            ));
            en.push_str(&format!(
                "; milestone '{}' was due on {}, {days} days overdue",
                node.name,
                node.planned.expect("filtered")
            ));
        }
    }
    // Worst first (stable: the order of the rules breaks ties).
    reasons.sort_by_key(|r| std::cmp::Reverse(r.0));
    let mut codes: Vec<String> = Vec::new();
    if light != Light::Green {
        reasons.retain(|(_, c)| *c != "ok");
    }
    for (_, c) in &reasons {
        if !codes.iter().any(|x| x == c) {
            codes.push((*c).to_string());
        }
    }
    Outcome {
        light,
        target: Some(t),
        ratio_bp: ratio,
        rate_bp: rate,
        target_rate_bp: trate,
        lag_bp: lag,
        reasons: codes,
        why: [light.zh(), "：", &zh, "。"].concat(),
        why_en: [light.as_str(), ": ", &en, "."].concat(),
    }
}

/// Figures of a group of projects (a division subtree, a level, a category).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Totals {
    /// Projects counted.
    pub projects: i64,
    /// Sum of annual plans.
    pub annual: i64,
    /// Sum of cumulative completion.
    pub cumulative: i64,
    /// Sum of time-proportional targets.
    pub target: i64,
    /// Projects by light: green, yellow, red, none.
    pub lights: [i64; 4],
}

impl Totals {
    /// Adds one project.
    pub fn add(&mut self, annual: Option<i64>, cumulative: i64, target: Option<i64>, l: Light) {
        self.projects += 1;
        if let (Some(a), Some(t)) = (annual, target) {
            self.annual += a;
            self.cumulative += cumulative;
            self.target += t;
        }
        let i = match l {
            Light::Green => 0,
            Light::Yellow => 1,
            Light::Red => 2,
            Light::None => 3,
        };
        self.lights[i] += 1;
    }

    /// Adds `n` projects of light `l` whose planned figures sum to the given amounts
    /// (an aggregate row: projects without a plan contribute no amounts).
    pub fn add_many(&mut self, n: i64, annual: i64, cumulative: i64, target: i64, l: Light) {
        self.projects += n;
        self.annual += annual;
        self.cumulative += cumulative;
        self.target += target;
        let i = match l {
            Light::Green => 0,
            Light::Yellow => 1,
            Light::Red => 2,
            Light::None => 3,
        };
        self.lights[i] += n;
    }

    /// Adds another group's figures.
    pub fn merge(&mut self, o: &Totals) {
        self.projects += o.projects;
        self.annual += o.annual;
        self.cumulative += o.cumulative;
        self.target += o.target;
        for (a, b) in self.lights.iter_mut().zip(o.lights) {
            *a += b;
        }
    }

    /// Cumulative ÷ target in basis points.
    pub fn ratio_bp(&self) -> Option<i64> {
        rate_bp(self.cumulative, self.target)
    }

    /// Lag of the completion rate behind the time-proportional rate (basis points).
    pub fn lag_bp(&self) -> Option<i64> {
        Some(rate_bp(self.target, self.annual)? - rate_bp(self.cumulative, self.annual)?)
    }

    /// The group's light: the rule's lag thresholds applied to the summed figures.
    pub fn light(&self, rule: &LightRule) -> Light {
        match self.lag_bp() {
            None => Light::None,
            Some(l) if l > rule.red_lag_bp => Light::Red,
            Some(l) if l >= rule.yellow_lag_bp && l > 0 => Light::Yellow,
            Some(_) => Light::Green,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn inputs(annual: i64, cumulative: i64, month: u32) -> Inputs {
        Inputs {
            year: 2026,
            month,
            annual: Some(annual),
            months: [None; 12],
            cumulative,
            started: true,
            planned_start: None,
            milestones: vec![],
        }
    }

    const WAN: i64 = 10_000;

    /// The whole explanation, word for word, in each shape it takes: on target, lagging
    /// with a not-started and an overdue node, nothing due, no plan.
    #[test]
    fn explanations_word_for_word() {
        let r = LightRule::yinchuan();
        let o = evaluate(&r, &inputs(1200 * WAN, 1000 * WAN + 1, 10));
        assert_eq!(
            (o.why.as_str(), o.why_en.as_str()),
            (
                "绿灯：截至 10 月累计完成 1000.0001 万元，序时目标 1000.00 万元，年度计划 1200.00 万元，完成率 83.3% 达到序时进度 83.3%。",
                "green: by the end of month 10 1000.0001 (10k yuan) done against a time-proportional target of 1000.00 and an annual plan of 1200.00; the completion rate 83.3% meets the time-proportional 83.3%."
            )
        );
        let mut i = inputs(1200 * WAN, 1_234_567, 10);
        i.started = false;
        i.planned_start = NaiveDate::from_ymd_opt(2026, 3, 1);
        i.milestones = vec![MilestoneState {
            name: "主体封顶".into(),
            planned: NaiveDate::from_ymd_opt(2026, 9, 30),
            actual: None,
        }];
        let o = evaluate(&r, &i);
        assert_eq!(
            (o.why.as_str(), o.why_en.as_str()),
            (
                "红灯：截至 10 月累计完成 123.4567 万元，序时目标 960.00 万元，年度计划 1200.00 万元，完成率 10.3% 落后序时进度 80.0% 达 69.7 个百分点（银川规则：滞后满 10.0 个百分点为黄灯、超过 30.0 个百分点为红灯）；计划 2026-03-01 开工，已过 7 个月仍未开工（满 3 个月未开工为红灯）；节点“主体封顶”计划 2026-09-30 完成，已逾期 31 天。",
                "red: by the end of month 10 123.4567 (10k yuan) done against a time-proportional target of 960.00 and an annual plan of 1200.00; the completion rate 10.3% lags the time-proportional 80.0% by 69.7 points (yellow from 10.0, red above 30.0); planned to start on 2026-03-01, still not started 7 months later (red after 3); milestone '主体封顶' was due on 2026-09-30, 31 days overdue."
            )
        );
        let o = evaluate(&r, &inputs(0, -5 * WAN, 10));
        assert_eq!(
            (o.why.as_str(), o.why_en.as_str()),
            (
                "绿灯：截至 10 月累计完成 -5.00 万元，序时目标 0.00 万元，年度计划 0.00 万元，本年无投资任务。",
                "green: by the end of month 10 -5.00 (10k yuan) done against a time-proportional target of 0.00 and an annual plan of 0.00; nothing is due this year."
            )
        );
        let mut i = inputs(0, 0, 10);
        i.annual = None;
        let o = evaluate(&r, &i);
        assert_eq!(
            (o.why.as_str(), o.why_en.as_str()),
            (
                "2026 年无年度计划投资，不评灯。",
                "No annual plan for 2026: no light."
            )
        );
    }

    #[test]
    fn target_without_breakdown_is_time_proportional() {
        let none = [None; 12];
        assert_eq!(target(1200 * WAN, &none, 10, 1), 1000 * WAN);
        assert_eq!(target(1200 * WAN, &none, 12, 1), 1200 * WAN);
        // 100 yuan × 1/12 = 8.33 → 8; × 2/12 = 16.67 → 17 (half up).
        assert_eq!(target(100, &none, 1, 1), 8);
        assert_eq!(target(100, &none, 2, 1), 17);
        // Starting in July: six months of span, October is the 4th.
        assert_eq!(target(600 * WAN, &none, 10, 7), 400 * WAN);
        assert_eq!(target(600 * WAN, &none, 6, 7), 0);
    }

    #[test]
    fn target_with_breakdown_is_the_cumulative_plan() {
        let mut m = [None; 12];
        m[0] = Some(100);
        m[5] = Some(500);
        m[11] = Some(400);
        assert_eq!(target(1000, &m, 1, 1), 100);
        assert_eq!(target(1000, &m, 5, 1), 100);
        assert_eq!(target(1000, &m, 6, 1), 600);
        assert_eq!(target(1000, &m, 12, 1), 1000);
    }

    #[test]
    fn rates_round_half_up() {
        assert_eq!(rate_bp(1, 3), Some(3333));
        assert_eq!(rate_bp(2, 3), Some(6667));
        assert_eq!(rate_bp(5, 0), None);
        assert_eq!(pct(8530), "85.3%");
        assert_eq!(pct(8535), "85.4%");
        assert_eq!(pct(-1500), "-15.0%");
        assert_eq!(points(1530), "15.3");
        assert_eq!(points(5), "0.1");
        assert_eq!(points(4), "0.0");
        assert_eq!(pct(123_456), "1234.6%");
        assert_eq!(pct(-4), "-0.0%");
    }

    #[test]
    fn yinchuan_branches() {
        let r = LightRule::yinchuan();
        // October, plan 1200: target 1000 = 83.3 %.
        // On target.
        let o = evaluate(&r, &inputs(1200 * WAN, 1000 * WAN, 10));
        assert_eq!(o.light, Light::Green);
        assert_eq!(o.ratio_bp, Some(10_000));
        assert!(o.why.contains("达到序时进度"), "{}", o.why);
        // 9.9 points behind: still green.
        let cum = (1000 * WAN) - (1200 * WAN) * 99 / 1000;
        assert_eq!(
            evaluate(&r, &inputs(1200 * WAN, cum, 10)).light,
            Light::Green
        );
        // Exactly 10 points behind: yellow.
        let cum = (1000 * WAN) - (1200 * WAN) / 10;
        let o = evaluate(&r, &inputs(1200 * WAN, cum, 10));
        assert_eq!(o.light, Light::Yellow);
        assert_eq!(o.lag_bp, Some(1000));
        assert!(o.why.contains("10.0 个百分点"), "{}", o.why);
        // Exactly 30 points behind: still yellow; 30.1: red.
        let cum = (1000 * WAN) - (1200 * WAN) * 3 / 10;
        assert_eq!(
            evaluate(&r, &inputs(1200 * WAN, cum, 10)).light,
            Light::Yellow
        );
        let cum = (1000 * WAN) - (1200 * WAN) * 301 / 1000;
        let o = evaluate(&r, &inputs(1200 * WAN, cum, 10));
        assert_eq!(o.light, Light::Red);
        assert_eq!(o.reasons, vec!["lag"]);
        assert!(o.why.starts_with("红灯："), "{}", o.why);
    }

    #[test]
    fn not_started_three_months_after_planned_start_is_red() {
        let r = LightRule::yinchuan();
        let mut i = inputs(1200 * WAN, 1000 * WAN, 6);
        i.started = false;
        i.planned_start = Some(d("2026-03-10"));
        let o = evaluate(&r, &i);
        assert_eq!(o.light, Light::Red);
        assert!(o.reasons.contains(&"not_started".to_string()));
        assert!(o.why.contains("3 个月仍未开工"), "{}", o.why);
        // Two months: the rule does not fire.
        i.month = 5;
        assert!(
            !evaluate(&r, &i)
                .reasons
                .contains(&"not_started".to_string())
        );
        // Started: never.
        i.month = 9;
        i.started = true;
        assert!(
            !evaluate(&r, &i)
                .reasons
                .contains(&"not_started".to_string())
        );
    }

    #[test]
    fn overdue_milestones_turn_yellow_then_red() {
        let r = LightRule::yinchuan();
        let mut i = inputs(1200 * WAN, 1000 * WAN, 10);
        i.milestones = vec![
            MilestoneState {
                name: "主体封顶".into(),
                planned: Some(d("2026-10-15")),
                actual: None,
            },
            MilestoneState {
                name: "已完成的节点".into(),
                planned: Some(d("2026-01-01")),
                actual: Some(d("2026-02-01")),
            },
        ];
        let o = evaluate(&r, &i);
        assert_eq!(o.light, Light::Yellow);
        assert!(
            o.why.contains("主体封顶") && o.why.contains("16 天"),
            "{}",
            o.why
        );
        i.milestones[0].planned = Some(d("2026-07-01"));
        assert_eq!(evaluate(&r, &i).light, Light::Red);
        // Rule off.
        let off = LightRule {
            milestone_yellow_days: -1,
            milestone_red_days: -1,
            ..r
        };
        assert_eq!(evaluate(&off, &i).light, Light::Green);
    }

    #[test]
    fn no_plan_means_no_light_and_zero_plan_is_green() {
        let r = LightRule::yinchuan();
        let mut i = inputs(0, 0, 10);
        i.annual = None;
        assert_eq!(evaluate(&r, &i).light, Light::None);
        let o = evaluate(&r, &inputs(0, 0, 10));
        assert_eq!(o.light, Light::Green);
        assert_eq!(o.ratio_bp, None);
    }

    #[test]
    fn sanya_rule_is_stricter() {
        let r = LightRule::sanya();
        // 5 points behind: yellow under Sanya, green under Yinchuan.
        let cum = (1000 * WAN) - (1200 * WAN) / 20;
        assert_eq!(
            evaluate(&r, &inputs(1200 * WAN, cum, 10)).light,
            Light::Yellow
        );
        assert_eq!(
            evaluate(&LightRule::yinchuan(), &inputs(1200 * WAN, cum, 10)).light,
            Light::Green
        );
    }

    #[test]
    fn mid_year_start_counts_from_the_start_month() {
        let r = LightRule::yinchuan();
        let mut i = inputs(600 * WAN, 400 * WAN, 10);
        i.planned_start = Some(d("2026-07-01"));
        i.started = true;
        let o = evaluate(&r, &i);
        assert_eq!(o.target, Some(400 * WAN));
        assert_eq!(o.light, Light::Green);
    }

    #[test]
    fn plan_changed_mid_year_uses_the_current_plan() {
        // The same cumulative against a lowered plan turns green.
        let r = LightRule::yinchuan();
        let before = evaluate(&r, &inputs(1200 * WAN, 500 * WAN, 10));
        let after = evaluate(&r, &inputs(600 * WAN, 500 * WAN, 10));
        assert_eq!(before.light, Light::Red);
        assert_eq!(after.light, Light::Green);
    }

    #[test]
    fn group_totals() {
        let r = LightRule::yinchuan();
        let mut t = Totals::default();
        t.add(Some(1200), 1000, Some(1000), Light::Green);
        t.add(Some(1200), 400, Some(1000), Light::Red);
        t.add(None, 0, None, Light::None);
        assert_eq!(t.projects, 3);
        assert_eq!(t.lights, [1, 0, 1, 1]);
        assert_eq!(t.ratio_bp(), Some(7000));
        // Rates: target 2000/2400 = 83.33 %, done 1400/2400 = 58.33 %: 25 points.
        assert_eq!(t.lag_bp(), Some(2500));
        assert_eq!(t.light(&r), Light::Yellow);
        assert_eq!(Totals::default().light(&r), Light::None);
    }

    #[test]
    fn rule_checks() {
        assert!(LightRule::yinchuan().check().is_ok());
        let bad = LightRule {
            red_lag_bp: 500,
            ..LightRule::yinchuan()
        };
        assert_eq!(bad.check().unwrap_err().field, "red_lag_bp");
        let bad = LightRule {
            overrun: "maybe".into(),
            ..LightRule::yinchuan()
        };
        assert_eq!(bad.check().unwrap_err().field, "overrun");
    }

    #[test]
    fn month_helpers() {
        assert_eq!(month_end(2026, 2), d("2026-02-28"));
        assert_eq!(month_end(2024, 2), d("2024-02-29"));
        assert_eq!(month_end(2026, 12), d("2026-12-31"));
        assert_eq!(months_between(2025, 11, 2026, 2), 3);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn target_is_monotone_and_ends_at_the_annual_plan(annual in 0i64..10_000_000_000_000, start in 1u32..=12) {
                let none = [None; 12];
                let mut last = 0;
                for m in 1..=12 {
                    let t = target(annual, &none, m, start);
                    prop_assert!(t >= last);
                    prop_assert!(t <= annual);
                    last = t;
                }
                prop_assert_eq!(last, annual);
            }

            #[test]
            fn breakdown_target_ends_at_its_sum(months in proptest::collection::vec(proptest::option::of(0i64..1_000_000_000), 12)) {
                let arr: [Option<i64>; 12] = months.clone().try_into().unwrap();
                let sum: i64 = months.iter().map(|m| m.unwrap_or(0)).sum();
                if arr.iter().any(Option::is_some) {
                    prop_assert_eq!(target(sum, &arr, 12, 1), sum);
                }
            }

            #[test]
            fn more_done_never_gives_a_worse_light(annual in 1i64..1_000_000_000_000, a in 0i64..2_000_000_000_000, b in 0i64..2_000_000_000_000, month in 1u32..=12) {
                let r = LightRule::yinchuan();
                let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
                let l_lo = evaluate(&r, &inputs(annual, lo, month)).light;
                let l_hi = evaluate(&r, &inputs(annual, hi, month)).light;
                prop_assert_eq!(l_lo.worst(l_hi), l_lo);
            }

            #[test]
            fn rate_bp_is_within_half_a_point(num in 0i64..1_000_000_000_000, den in 1i64..1_000_000_000_000) {
                let bp = rate_bp(num, den).unwrap();
                let exact = num as f64 * 10_000.0 / den as f64;
                prop_assert!((bp as f64 - exact).abs() <= 0.5 + 1e-6);
            }

            #[test]
            fn lights_are_monotone_in_lag(lag in -5000i64..10_000) {
                let r = LightRule::yinchuan();
                let l = if lag > r.red_lag_bp { Light::Red } else if lag >= r.yellow_lag_bp { Light::Yellow } else { Light::Green };
                // Annual 10 000 yuan in December: target 10 000; lag = (10 000 − cum) bp.
                let cum = (10_000 - lag).max(0);
                let got = evaluate(&r, &inputs(10_000, cum, 12)).light;
                prop_assert_eq!(got, l);
            }
        }
    }
}
