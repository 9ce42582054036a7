//! Campaigns (攻坚战) and hundred-day campaigns (百日攻坚): targets chained week → month →
//! quarter → year ("以周保月、以月保季、以季保全年"), and which week's shortfall endangers
//! which month, quarter and year.
//!
//! A campaign runs from its start date; week n covers days 7(n−1) … 7n−1 after it (the
//! last week may be short). A week counts towards the month holding its last day. Targets
//! are set per week, month, quarter and year; the lower level must add up to at least the
//! level above ("以周保月"), else the plan itself cannot hold and is flagged. Values are
//! whole numbers in the indicator's unit (万元, 个, 户 …).

use crate::DomainError;
use chrono::{Datelike, Days, NaiveDate};
use std::collections::BTreeMap;

/// The weeks of a campaign: (number, first day, last day).
pub fn weeks(start: NaiveDate, end: NaiveDate) -> Vec<(u32, NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    let mut from = start;
    let mut n = 1;
    while from <= end && n <= 60 {
        let to = (from + Days::new(6)).min(end);
        out.push((n, from, to));
        from = to + Days::new(1);
        n += 1;
    }
    out
}

/// `YYYY-MM` of a day.
pub fn month_key(d: NaiveDate) -> String {
    format!("{}-{:02}", d.year(), d.month())
}

/// `YYYY-Qn` of a month key.
pub fn quarter_key(month: &str) -> String {
    let (y, m) = month.split_once('-').unwrap_or((month, "1"));
    let m: u32 = m.parse().unwrap_or(1);
    format!("{y}-Q{}", m.div_ceil(3))
}

/// One indicator's plan and what was done, by week number.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Plan {
    /// Week number → target.
    pub weeks: BTreeMap<u32, i64>,
    /// `YYYY-MM` → target.
    pub months: BTreeMap<String, i64>,
    /// `YYYY-Qn` → target.
    pub quarters: BTreeMap<String, i64>,
    /// The year's (or the campaign's) target.
    pub year: Option<i64>,
}

/// A level of the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Week,
    Month,
    Quarter,
    Year,
}

impl Level {
    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Level::Week => "周",
            Level::Month => "月",
            Level::Quarter => "季度",
            Level::Year => "年度",
        }
    }
}

/// A plan whose lower level does not add up to the level above.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Gap {
    /// The level above and its key (`2026-11`, `2026-Q4`, `year`).
    pub level: Level,
    pub key: String,
    pub target: i64,
    /// What the level below adds up to.
    pub below: i64,
}

/// Where one period of the chain stands on a day.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Standing {
    pub level: Level,
    /// Week number as text, `YYYY-MM`, `YYYY-Qn` or `year`.
    pub key: String,
    pub target: i64,
    /// Done so far.
    pub done: i64,
    /// Done so far plus the targets of its weeks still to come.
    pub projected: i64,
    /// Target − projected, when positive: the period is endangered.
    pub shortfall: i64,
    /// Whether the period is over.
    pub closed: bool,
    /// The past weeks inside it that fell short of their own targets (the cause).
    pub short_weeks: Vec<u32>,
}

impl Standing {
    /// Whether it will miss its target unless later weeks do more than planned.
    pub fn endangered(&self) -> bool {
        self.shortfall > 0
    }
}

/// Checks that each level's targets add up to at least the level above: the weeks of a
/// month to the month's target, the months of a quarter to the quarter's, the quarters to
/// the year's. Returns every gap (empty when the chain holds).
pub fn check_chain(plan: &Plan, start: NaiveDate, end: NaiveDate) -> Vec<Gap> {
    let mut gaps = Vec::new();
    let mut by_month: BTreeMap<String, i64> = BTreeMap::new();
    for (n, _, to) in weeks(start, end) {
        *by_month.entry(month_key(to)).or_default() += plan.weeks.get(&n).copied().unwrap_or(0);
    }
    for (k, t) in &plan.months {
        let below = by_month.get(k).copied().unwrap_or(0);
        if !plan.weeks.is_empty() && below < *t {
            gaps.push(Gap {
                level: Level::Month,
                key: k.clone(),
                target: *t,
                below,
            });
        }
    }
    let mut by_quarter: BTreeMap<String, i64> = BTreeMap::new();
    for (k, t) in &plan.months {
        *by_quarter.entry(quarter_key(k)).or_default() += t;
    }
    for (k, t) in &plan.quarters {
        let below = by_quarter.get(k).copied().unwrap_or(0);
        if !plan.months.is_empty() && below < *t {
            gaps.push(Gap {
                level: Level::Quarter,
                key: k.clone(),
                target: *t,
                below,
            });
        }
    }
    if let Some(y) = plan.year {
        let below: i64 = if plan.quarters.is_empty() {
            plan.months.values().sum()
        } else {
            plan.quarters.values().sum()
        };
        if (!plan.quarters.is_empty() || !plan.months.is_empty()) && below < y {
            gaps.push(Gap {
                level: Level::Year,
                key: "year".into(),
                target: y,
                below,
            });
        }
    }
    gaps
}

/// Where every period stands on `today`, given what was done each week: a week is done
/// when its last day is before `today`; a period's projection assumes its remaining weeks
/// meet their targets. The result lists weeks, then months, quarters and the year.
pub fn standings(
    plan: &Plan,
    actual: &BTreeMap<u32, i64>,
    start: NaiveDate,
    end: NaiveDate,
    today: NaiveDate,
) -> Vec<Standing> {
    let ws = weeks(start, end);
    let mut out = Vec::new();
    // Per week.
    let mut wk: Vec<(u32, String, i64, i64, bool)> = Vec::new(); // (n, month, target, projected, closed)
    for (n, _, to) in &ws {
        let target = plan.weeks.get(n).copied().unwrap_or(0);
        let closed = *to < today;
        let done = actual.get(n).copied().unwrap_or(0);
        let projected = if closed { done } else { done.max(target) };
        wk.push((*n, month_key(*to), target, projected, closed));
        if plan.weeks.contains_key(n) {
            out.push(Standing {
                level: Level::Week,
                key: n.to_string(),
                target,
                done,
                projected,
                shortfall: (target - projected).max(0),
                closed,
                short_weeks: if closed && done < target {
                    vec![*n]
                } else {
                    Vec::new()
                },
            });
        }
    }
    let short = |pred: &dyn Fn(&str) -> bool| -> Vec<u32> {
        wk.iter()
            .filter(|(n, m, t, _, closed)| {
                *closed && pred(m) && actual.get(n).copied().unwrap_or(0) < *t
            })
            .map(|w| w.0)
            .collect()
    };
    let sum = |pred: &dyn Fn(&str) -> bool| -> (i64, i64, bool) {
        let mut done = 0;
        let mut projected = 0;
        let mut closed = true;
        for (n, m, _, p, c) in &wk {
            if pred(m) {
                done += actual.get(n).copied().unwrap_or(0);
                projected += p;
                closed &= *c;
            }
        }
        (done, projected, closed)
    };
    // A month's projection: its weeks' projections, or — without weekly targets in it —
    // the month's own target when it is not over.
    let month_standing = |k: &str, t: i64| {
        let (done, mut projected, closed) = sum(&|m| m == k);
        if !closed && !wk.iter().any(|w| w.1 == k && plan.weeks.contains_key(&w.0)) {
            projected = projected.max(t);
        }
        Standing {
            level: Level::Month,
            key: k.to_string(),
            target: t,
            done,
            projected,
            shortfall: (t - projected).max(0),
            closed,
            short_weeks: short(&|m| m == k),
        }
    };
    let months: Vec<Standing> = plan
        .months
        .iter()
        .map(|(k, t)| month_standing(k, *t))
        .collect();
    for (k, t) in &plan.quarters {
        let (done, wproj, closed) = sum(&|m| quarter_key(m) == *k);
        // Months with a target contribute their projection; other weeks their own.
        let in_q: Vec<&Standing> = months
            .iter()
            .filter(|s| quarter_key(&s.key) == *k)
            .collect();
        let projected = if in_q.is_empty() {
            wproj
        } else {
            in_q.iter().map(|s| s.projected).sum::<i64>()
                + wk.iter()
                    .filter(|w| quarter_key(&w.1) == *k && !plan.months.contains_key(&w.1))
                    .map(|w| w.3)
                    .sum::<i64>()
        };
        out.push(Standing {
            level: Level::Quarter,
            key: k.clone(),
            target: *t,
            done,
            projected,
            shortfall: (t - projected).max(0),
            closed,
            short_weeks: short(&|m| quarter_key(m) == *k),
        });
    }
    if let Some(y) = plan.year {
        let (done, wproj, closed) = sum(&|_| true);
        let projected = if months.is_empty() {
            wproj
        } else {
            months.iter().map(|s| s.projected).sum::<i64>()
                + wk.iter()
                    .filter(|w| !plan.months.contains_key(&w.1))
                    .map(|w| w.3)
                    .sum::<i64>()
        };
        out.push(Standing {
            level: Level::Year,
            key: "year".into(),
            target: y,
            done,
            projected,
            shortfall: (y - projected).max(0),
            closed,
            short_weeks: short(&|_| true),
        });
    }
    let mut all = out;
    all.extend(months);
    all.sort_by(|a, b| a.level.cmp(&b.level).then(a.key.cmp(&b.key)));
    // Weeks sort by number, not text.
    all.sort_by(|a, b| {
        a.level.cmp(&b.level).then_with(|| match a.level {
            Level::Week => a
                .key
                .parse::<u32>()
                .unwrap_or(0)
                .cmp(&b.key.parse::<u32>().unwrap_or(0)),
            _ => a.key.cmp(&b.key),
        })
    });
    all
}

/// One sentence for an endangered period: which weeks fell short and by how much it will
/// miss unless later weeks do more.
pub fn warning(s: &Standing, unit: &str) -> Option<String> {
    if !s.endangered() {
        return None;
    }
    let what = match s.level {
        Level::Week => format!("第{}周", s.key),
        Level::Month => {
            let (y, m) = s.key.split_once('-').unwrap_or((&s.key, ""));
            format!("{y}年{}月", m.trim_start_matches('0'))
        }
        Level::Quarter => {
            let (y, q) = s.key.split_once("-Q").unwrap_or((&s.key, ""));
            format!("{y}年第{q}季度")
        }
        Level::Year => "全年".to_string(),
    };
    let cause = if s.short_weeks.is_empty() {
        String::new()
    } else {
        format!(
            "第{}周未完成周目标，",
            s.short_weeks
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join("、")
        )
    };
    Some(format!(
        "{cause}{what}目标{}{unit}按计划只能完成{}{unit}，还差{}{unit}",
        s.target, s.projected, s.shortfall
    ))
}

/// Checks a campaign's dates: the end not before the start, at most two years.
pub fn check_dates(start: NaiveDate, end: NaiveDate) -> Result<(), DomainError> {
    if end < start {
        return Err(DomainError::new(
            "ends_on",
            format!("结束日期 {end} 早于开始日期 {start}"),
            format!("The end date {end} is before the start date {start}."),
        ));
    }
    if (end - start).num_days() > 731 {
        return Err(DomainError::new(
            "ends_on",
            "攻坚期不能超过两年",
            "A campaign cannot run longer than two years.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// A hundred-day campaign from Monday 2026-09-07 to 2026-12-15: 15 weeks.
    fn plan() -> (Plan, NaiveDate, NaiveDate) {
        let (s, e) = (d("2026-09-07"), d("2026-12-15"));
        let mut p = Plan::default();
        for (n, _, _) in weeks(s, e) {
            p.weeks.insert(n, 10);
        }
        // Weeks ending in September: 1–3 (to 09-27); October: 4–8 (to 11-01 → Nov); …
        p.months.insert("2026-09".into(), 30);
        p.months.insert("2026-10".into(), 40);
        p.months.insert("2026-11".into(), 50);
        p.months.insert("2026-12".into(), 30);
        p.quarters.insert("2026-Q3".into(), 30);
        p.quarters.insert("2026-Q4".into(), 120);
        p.year = Some(150);
        (p, s, e)
    }

    #[test]
    fn weeks_cover_the_campaign_and_the_last_may_be_short() {
        let ws = weeks(d("2026-09-07"), d("2026-12-15"));
        assert_eq!(ws.len(), 15);
        assert_eq!(ws[0], (1, d("2026-09-07"), d("2026-09-13")));
        assert_eq!(ws[14], (15, d("2026-12-14"), d("2026-12-15")));
        assert_eq!(month_key(ws[3].2), "2026-10");
        assert_eq!(quarter_key("2026-10"), "2026-Q4");
        assert_eq!(quarter_key("2026-03"), "2026-Q1");
    }

    #[test]
    fn the_chain_holds_when_each_level_adds_up() {
        let (p, s, e) = plan();
        // Weeks by the month of their last day: Sep 1–3, Oct 4–7, Nov 8–12, Dec 13–15.
        let gaps = check_chain(&p, s, e);
        let months: BTreeMap<String, i64> = weeks(s, e).iter().fold(BTreeMap::new(), |mut m, w| {
            *m.entry(month_key(w.2)).or_default() += 10;
            m
        });
        for g in &gaps {
            assert!(g.below < g.target);
        }
        // Every month whose weeks add up to its target is not a gap.
        for (k, t) in &p.months {
            let below = months.get(k).copied().unwrap_or(0);
            assert_eq!(gaps.iter().any(|g| g.key == *k), below < *t, "{k}");
        }
        // A year target above the quarters is a gap at the year.
        let mut q = p.clone();
        q.year = Some(200);
        let g = check_chain(&q, s, e);
        assert!(
            g.iter()
                .any(|g| g.level == Level::Year && g.below == 150 && g.target == 200)
        );
        assert!(check_chain(&p, s, e).is_empty(), "the plan as set holds");
    }

    #[test]
    fn a_short_week_endangers_its_month_quarter_and_year() {
        let (p, s, e) = plan();
        let mut actual = BTreeMap::new();
        // Weeks 1–5 done; week 4 (ends 10-04) did 4 instead of 10.
        for n in 1..=5 {
            actual.insert(n, if n == 4 { 4 } else { 10 });
        }
        let today = d("2026-10-12"); // week 5 ended 10-11
        let st = standings(&p, &actual, s, e, today);
        let get = |l: Level, k: &str| {
            st.iter()
                .find(|x| x.level == l && x.key == k)
                .unwrap()
                .clone()
        };
        let w4 = get(Level::Week, "4");
        assert!(w4.closed && w4.shortfall == 6 && w4.short_weeks == vec![4]);
        let sep = get(Level::Month, "2026-09");
        assert!(sep.closed && !sep.endangered(), "{sep:?}");
        let oct = get(Level::Month, "2026-10");
        assert_eq!(oct.done, 14);
        assert!(oct.endangered() && oct.short_weeks == vec![4], "{oct:?}");
        assert_eq!(oct.shortfall, 6);
        let q4 = get(Level::Quarter, "2026-Q4");
        assert!(q4.endangered() && q4.short_weeks == vec![4]);
        let y = get(Level::Year, "year");
        assert_eq!(y.shortfall, 6);
        let w = warning(&oct, "个").unwrap();
        assert_eq!(
            w,
            "第4周未完成周目标，2026年10月目标40个按计划只能完成34个，还差6个"
        );
        assert!(warning(&sep, "个").is_none());
        // A week that does more later makes up for it.
        actual.insert(6, 16);
        let st = standings(&p, &actual, s, e, d("2026-10-19"));
        let oct = st.iter().find(|x| x.key == "2026-10").unwrap();
        assert!(!oct.endangered(), "{oct:?}");
        let y = st.iter().find(|x| x.level == Level::Year).unwrap();
        assert!(!y.endangered(), "{y:?}");
    }

    #[test]
    fn open_weeks_count_at_target_and_dates_are_checked() {
        let (p, s, e) = plan();
        let st = standings(&p, &BTreeMap::new(), s, e, s);
        assert!(
            st.iter().all(|x| !x.endangered()),
            "nothing is late on day one"
        );
        assert!(check_dates(s, e).is_ok());
        assert!(check_dates(e, s).unwrap_err().msg.zh.contains("早于"));
        assert!(check_dates(s, d("2029-01-01")).is_err());
    }
}
