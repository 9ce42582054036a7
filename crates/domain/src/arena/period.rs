//! Scoring periods and the figures computed from the platform's data.

use crate::DomainError;

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
    /// Reserve projects converted this year (moved out of reserve to a live stage by the
    /// period's end), against every project that was in reserve at some time this year.
    ReserveConversion,
    /// Tax paid this year (yuan per mu of land) by the projects with a tax figure and land.
    TaxPerMu,
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
            Measure::ReserveConversion => "本年转入前期或开工的储备项目数 ÷ 本年内处于储备的项目数",
            Measure::TaxPerMu => "本年税收 ÷ 用地面积（元/亩）",
        }
    }
}
