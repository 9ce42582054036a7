//! Working days on mainland China's official calendar: Monday to Friday, minus public
//! holidays, plus the make-up working days (调休上班) that fall on weekends.
//!
//! The product ships the State Council's arrangements for 2025 and 2026
//! (`calendar/cn-holidays.csv`); admins add later years as rows of the same shape.

use crate::DomainError;
use chrono::{Datelike, Days, NaiveDate, Weekday};
use std::collections::BTreeMap;

/// What a listed date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum DayKind {
    /// A public holiday (rest day even on a weekday).
    Holiday,
    /// A make-up working day (working even on a weekend).
    Workday,
}

impl DayKind {
    /// `holiday` or `workday`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }

    /// Parses `holiday`/`workday` or their Chinese names.
    pub fn parse(raw: &str) -> Option<DayKind> {
        match raw.trim() {
            "holiday" | "假日" | "节假日" | "放假" | "休" => Some(DayKind::Holiday),
            "workday" | "调休上班" | "上班" | "补班" | "班" => Some(DayKind::Workday),
            _ => None,
        }
    }
}

/// The calendar shipped with the product (2025 and 2026, State Council notices).
pub const SHIPPED_CSV: &str = include_str!("../calendar/cn-holidays.csv");

/// A set of dated exceptions to the normal week.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    days: BTreeMap<NaiveDate, DayKind>,
}

impl Calendar {
    /// A calendar with no exceptions (plain Monday–Friday weeks).
    pub fn plain() -> Calendar {
        Calendar::default()
    }

    /// The shipped calendar.
    pub fn shipped() -> Calendar {
        let mut c = Calendar::default();
        for (d, k, _) in parse_csv(SHIPPED_CSV).expect("the shipped calendar parses") {
            c.set(d, k);
        }
        c
    }

    /// Builds a calendar from listed dates.
    pub fn from_days(days: impl IntoIterator<Item = (NaiveDate, DayKind)>) -> Calendar {
        Calendar {
            days: days.into_iter().collect(),
        }
    }

    /// Marks one date.
    pub fn set(&mut self, d: NaiveDate, kind: DayKind) {
        self.days.insert(d, kind);
    }

    /// Years for which the calendar lists any date.
    pub fn years(&self) -> Vec<i32> {
        let mut y: Vec<i32> = self.days.keys().map(|d| d.year()).collect();
        y.dedup();
        y
    }

    /// Whether `d` is a working day.
    pub fn is_working(&self, d: NaiveDate) -> bool {
        match self.days.get(&d) {
            Some(DayKind::Workday) => true,
            Some(DayKind::Holiday) => false,
            None => !matches!(d.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// The `n`-th working day after `start` (not counting `start` itself); `n = 0` gives
    /// `start` if it is a working day, else the next working day.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut d = start;
        if n == 0 {
            while !self.is_working(d) {
                d = d + Days::new(1);
            }
            return d;
        }
        let mut left = n;
        while left > 0 {
            d = d + Days::new(1);
            if self.is_working(d) {
                left -= 1;
            }
        }
        d
    }

    /// Working days in `(from, to]`: how many working days pass from `from` until `to`.
    /// Negative when `to` is before `from`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to < from {
            return -self.working_days_between(to, from);
        }
        let mut n = 0;
        let mut d = from;
        while d < to {
            d = d + Days::new(1);
            if self.is_working(d) {
                n += 1;
            }
        }
        n
    }

    /// The `n`-th working day of a month (1-based): the usual form of a report deadline
    /// ("次月第 5 个工作日").
    pub fn nth_working_day_of_month(&self, year: i32, month: u32, n: u32) -> Option<NaiveDate> {
        let first = NaiveDate::from_ymd_opt(year, month, 1)?;
        let d = self.add_working_days(first, 0);
        let d = if n <= 1 {
            d
        } else {
            self.add_working_days(d, n - 1)
        };
        (d.month() == month).then_some(d)
    }
}

/// Parses calendar rows `date,kind,name` (lines starting with `#` and a header line are
/// skipped). Errors name the line.
pub fn parse_csv(text: &str) -> Result<Vec<(NaiveDate, DayKind, String)>, DomainError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') || line.starts_with("date,") {
            continue;
        }
        let mut parts = line.splitn(3, ',');
        let (d, k, name) = (
            parts.next().unwrap_or("").trim(),
            parts.next().unwrap_or("").trim(),
            parts.next().unwrap_or("").trim(),
        );
        let date = NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
            DomainError::new(
                "date",
                format!("第 {} 行：日期“{d}”应写作 2026-10-01。", i + 1),
                format!("Line {}: date '{d}' should look like 2026-10-01.", i + 1),
            )
        })?;
        let kind = DayKind::parse(k).ok_or_else(|| {
            DomainError::new(
                "kind",
                format!(
                    "第 {} 行：类型“{k}”应为 holiday（放假）或 workday（调休上班）。",
                    i + 1
                ),
                format!("Line {}: kind '{k}' must be holiday or workday.", i + 1),
            )
        })?;
        out.push((date, kind, name.to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn shipped_calendar_knows_holidays_and_make_up_days() {
        let c = Calendar::shipped();
        assert_eq!(c.years(), vec![2025, 2026]);
        // National Day 2026 is a holiday on a Thursday.
        assert!(!c.is_working(d("2026-10-01")));
        // A plain Saturday rests, a plain Wednesday works.
        assert!(!c.is_working(d("2026-11-21")));
        assert!(c.is_working(d("2026-11-25")));
        // 2025-01-26 (Sunday) was a make-up working day for the Spring Festival.
        assert!(c.is_working(d("2025-01-26")));
    }

    #[test]
    fn working_days_skip_the_national_day_week() {
        let c = Calendar::shipped();
        // From Wednesday 2026-09-30, three working days later crosses the holiday.
        let due = c.add_working_days(d("2026-09-30"), 3);
        assert!(due > d("2026-10-07"), "{due}");
        assert_eq!(c.working_days_between(d("2026-09-30"), due), 3);
        assert_eq!(c.working_days_between(due, d("2026-09-30")), -3);
        // Plain calendar: Friday + 1 working day = Monday.
        let p = Calendar::plain();
        assert_eq!(p.add_working_days(d("2026-11-20"), 1), d("2026-11-23"));
        assert_eq!(p.add_working_days(d("2026-11-21"), 0), d("2026-11-23"));
    }

    #[test]
    fn nth_working_day_of_month() {
        let c = Calendar::shipped();
        // October 2026 starts with the holiday week: the 1st working day is after it.
        let first = c.nth_working_day_of_month(2026, 10, 1).unwrap();
        assert!(first >= d("2026-10-08"), "{first}");
        assert_eq!(
            Calendar::plain().nth_working_day_of_month(2026, 12, 5),
            Some(d("2026-12-07"))
        );
        assert_eq!(
            Calendar::plain().nth_working_day_of_month(2026, 12, 40),
            None
        );
    }

    #[test]
    fn csv_errors_name_the_line() {
        let e = parse_csv("date,kind,name\n2026-13-01,holiday,x\n").unwrap_err();
        assert!(e.msg.zh.contains("第 2 行"), "{}", e.msg.zh);
        let e = parse_csv("2026-12-01,sometimes,x\n").unwrap_err();
        assert_eq!(e.field, "kind");
        assert_eq!(
            parse_csv("2027-01-01,放假,元旦").unwrap()[0].1,
            DayKind::Holiday
        );
    }
}
