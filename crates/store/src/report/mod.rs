//! Monthly reporting: the working-day calendar, the versioned light rule, reporting
//! periods, reports with their versions and photos, and the stored lights.
//!
//! A report belongs to a project and a month; who may fill it, review it or see it
//! follows the project's data scope (its division's government, responsible unit or
//! owner unit). Figures count towards progress once submitted; drafts and returned
//! reports do not.

mod import;
mod lights;
mod location;
mod read;
mod recompute;
mod seed;
mod write;

pub use import::*;
pub use lights::*;
pub use location::*;
pub use read::*;
pub use recompute::*;
pub use seed::*;
pub use write::*;

use crate::{Actor, Db, Result, StoreError, Tx, audit, exec_tx, on_db, on_tx, row_struct};
use chrono::{DateTime, NaiveDate, Utc};
use gongjian_domain::DomainError;
use gongjian_domain::access::Permission;
use gongjian_domain::calendar::{self, Calendar, DayKind};
use gongjian_domain::progress::LightRule;

/// Seeds what a new database needs: the shipped calendar and the default light rule.
/// Idempotent: nothing is added once either table has rows.
pub async fn seed(tx: &mut Tx) -> Result<()> {
    let days: i64 = on_tx!(tx, c => sqlx::query_scalar("SELECT COUNT(*) FROM calendar_day").fetch_one(c).await)?;
    if days == 0 {
        for (d, k, name) in calendar::parse_csv(calendar::SHIPPED_CSV)? {
            exec_tx!(tx, c => sqlx::query("INSERT INTO calendar_day (day, kind, name) VALUES ($1, $2, $3)")
                .bind(d).bind(k.as_str()).bind(name).execute(c).await)?;
        }
    }
    let rules: i64 =
        on_tx!(tx, c => sqlx::query_scalar("SELECT COUNT(*) FROM light_rule").fetch_one(c).await)?;
    if rules == 0 {
        let json = serde_json::to_string(&LightRule::yinchuan()).expect("serialisable");
        exec_tx!(tx, c => sqlx::query("INSERT INTO light_rule (version, rule, actor_name, created_at) VALUES (1, $1, 'system', $2)")
            .bind(json).bind(crate::now()).execute(c).await)?;
    }
    Ok(())
}

// ---------------------------------------------------------------- calendar

/// The working-day calendar as stored.
pub async fn calendar(db: &Db) -> Result<Calendar> {
    let rows: Vec<(NaiveDate, String)> =
        on_db!(db, c => sqlx::query_as("SELECT day, kind FROM calendar_day").fetch_all(c).await)?;
    Ok(Calendar::from_days(
        rows.into_iter()
            .filter_map(|(d, k)| DayKind::parse(&k).map(|k| (d, k))),
    ))
}

row_struct! {
    /// One listed date of the calendar.
    #[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
    pub struct CalendarDay {
        pub day: NaiveDate,
        /// holiday or workday.
        pub kind: String,
        pub name: String,
    }
}

/// Every listed date, oldest first.
pub async fn calendar_days(db: &Db) -> Result<Vec<CalendarDay>> {
    Ok(
        on_db!(db, c => sqlx::query_as("SELECT day, kind, name FROM calendar_day ORDER BY day").fetch_all(c).await)?,
    )
}

/// Adds or replaces listed dates (`date,kind,name` rows, e.g. a new year's notice).
/// Returns how many dates were written.
pub async fn calendar_put(tx: &mut Tx, actor: &Actor, csv_text: &str) -> Result<usize> {
    actor.access.require(Permission::ReportAdmin)?;
    let rows = calendar::parse_csv(csv_text)?;
    if rows.is_empty() {
        return Err(DomainError::new(
            "calendar",
            "没有读到任何日期，每行应为：日期,holiday 或 workday,名称。",
            "No dates found; each line should be: date,holiday or workday,name.",
        )
        .into());
    }
    for (d, k, name) in &rows {
        exec_tx!(tx, c => sqlx::query("DELETE FROM calendar_day WHERE day = $1").bind(*d).execute(c).await)?;
        exec_tx!(tx, c => sqlx::query("INSERT INTO calendar_day (day, kind, name) VALUES ($1, $2, $3)")
            .bind(*d).bind(k.as_str()).bind(name.clone()).execute(c).await)?;
    }
    let listed: Vec<String> = rows
        .iter()
        .map(|(d, k, n)| format!("{d},{},{n}", k.as_str()))
        .collect();
    audit::record(
        tx,
        actor,
        "calendar",
        "calendar_day",
        rows.len(),
        None,
        Some(&serde_json::json!(listed)),
    )
    .await?;
    Ok(rows.len())
}

// ---------------------------------------------------------------- light rule

row_struct! {
    /// One version of the light rule.
    #[derive(Debug, Clone, serde::Serialize)]
    pub struct RuleRow {
        pub version: i64,
        pub rule: String,
        pub actor_name: String,
        pub created_at: DateTime<Utc>,
    }
}

impl RuleRow {
    /// The rule itself.
    pub fn parsed(&self) -> LightRule {
        serde_json::from_str(&self.rule).unwrap_or_default()
    }
}

/// The current rule and its version.
pub async fn current_rule(db: &Db) -> Result<(i64, LightRule)> {
    let row: Option<RuleRow> = on_db!(db, c => sqlx::query_as("SELECT * FROM light_rule ORDER BY version DESC LIMIT 1").fetch_optional(c).await)?;
    Ok(row
        .map(|r| (r.version, r.parsed()))
        .unwrap_or((0, LightRule::yinchuan())))
}

async fn current_rule_tx(tx: &mut Tx) -> Result<(i64, LightRule)> {
    current_rule_on(&mut crate::raw::Conn::of(tx).await?).await
}

async fn current_rule_on(c: &mut crate::raw::Conn<'_>) -> Result<(i64, LightRule)> {
    let row: Option<RuleRow> = c
        .one(
            "SELECT * FROM light_rule ORDER BY version DESC LIMIT 1",
            &[],
        )
        .await?;
    Ok(row
        .map(|r| (r.version, r.parsed()))
        .unwrap_or((0, LightRule::yinchuan())))
}

/// Every version of the rule, newest first.
pub async fn rule_versions(db: &Db) -> Result<Vec<RuleRow>> {
    Ok(
        on_db!(db, c => sqlx::query_as("SELECT * FROM light_rule ORDER BY version DESC").fetch_all(c).await)?,
    )
}

/// One version of the rule.
pub async fn rule_version(db: &Db, version: i64) -> Result<LightRule> {
    let row: Option<RuleRow> = on_db!(db, c => sqlx::query_as("SELECT * FROM light_rule WHERE version = $1").bind(version).fetch_optional(c).await)?;
    row.map(|r| r.parsed())
        .ok_or_else(|| StoreError::not_found("预警规则版本", "light rule version", version))
}

/// Stores a new version of the rule; lights computed from now on use it. Returns the
/// new version number (unchanged when the rule is the same as the current one).
pub async fn set_rule(tx: &mut Tx, actor: &Actor, rule: &LightRule) -> Result<i64> {
    actor.access.require(Permission::ReportAdmin)?;
    rule.check()?;
    let (v, cur) = current_rule_tx(tx).await?;
    if &cur == rule && v > 0 {
        return Ok(v);
    }
    let json = serde_json::to_string(rule).expect("serialisable");
    exec_tx!(tx, c => sqlx::query("INSERT INTO light_rule (version, rule, actor_name, created_at) VALUES ($1, $2, $3, $4)")
        .bind(v + 1).bind(json).bind(actor.name.clone()).bind(crate::now()).execute(c).await)?;
    audit::record(
        tx,
        actor,
        "set",
        "light_rule",
        v + 1,
        Some(&serde_json::json!(cur)),
        Some(&serde_json::json!(rule)),
    )
    .await?;
    Ok(v + 1)
}

// ---------------------------------------------------------------- periods

row_struct! {
    /// A reporting period (one month).
    #[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
    pub struct Period {
        pub id: i64,
        pub year: i64,
        pub month: i64,
        /// Last day to submit on time.
        pub deadline: NaiveDate,
        /// open or closed.
        pub status: String,
        pub opened_by: String,
        pub opened_at: DateTime<Utc>,
        pub closed_at: Option<DateTime<Utc>>,
        pub reminded_at: Option<DateTime<Utc>>,
        /// When the period's lights were last recomputed.
        pub lights_at: Option<DateTime<Utc>>,
    }
}

impl Period {
    /// `YYYY-MM`.
    pub fn key(&self) -> String {
        format!("{}-{:02}", self.year, self.month)
    }

    /// Whether reports may still be saved and submitted.
    pub fn is_open(&self) -> bool {
        self.status == "open"
    }

    /// Whether `at` is after the deadline (the end of the deadline day, Beijing time).
    pub fn is_late(&self, at: DateTime<Utc>) -> bool {
        let cn = chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset");
        at.with_timezone(&cn).date_naive() > self.deadline
    }
}

/// Parses `YYYY-MM` (also `YYYY年M月`, `YYYYMM`), naming the field on error.
pub fn parse_period(raw: &str) -> std::result::Result<(i32, u32), DomainError> {
    let t = raw.trim();
    let bad = || {
        DomainError::new(
            "period",
            format!("报送期“{t}”应写作 2026-10。"),
            format!("Period '{t}' should look like 2026-10."),
        )
    };
    let digits: Vec<&str> = t
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .collect();
    let (y, m) = match digits.as_slice() {
        [y, m] => (y.parse::<i32>().ok(), m.parse::<u32>().ok()),
        [ym] if ym.len() == 6 => (ym[..4].parse().ok(), ym[4..].parse().ok()),
        _ => (None, None),
    };
    match (y, m) {
        (Some(y), Some(m)) if (2000..=2100).contains(&y) && (1..=12).contains(&m) => Ok((y, m)),
        _ => Err(bad()),
    }
}

/// The default deadline of a month's reports: the 5th working day of the next month.
pub fn default_deadline(cal: &Calendar, year: i32, month: u32) -> NaiveDate {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    cal.nth_working_day_of_month(y, m, 5)
        .unwrap_or_else(|| gongjian_domain::progress::month_end(y, m))
}

const PERIOD: &str = "SELECT id, year, month, deadline, status, opened_by, opened_at, closed_at, reminded_at, lights_at FROM report_period";

/// Opens a month for reporting. The deadline defaults to the 5th working day of the
/// next month on the stored calendar.
pub async fn open_period(
    tx: &mut Tx,
    actor: &Actor,
    year: i32,
    month: u32,
    deadline: Option<NaiveDate>,
    cal: &Calendar,
) -> Result<Period> {
    actor.access.require(Permission::ReportAdmin)?;
    if !(1..=12).contains(&month) || !(2000..=2100).contains(&year) {
        return Err(parse_period(&format!("{year}-{month}")).unwrap_err().into());
    }
    let deadline = deadline.unwrap_or_else(|| default_deadline(cal, year, month));
    if deadline <= gongjian_domain::progress::month_end(year, month) - chrono::Days::new(27) {
        return Err(DomainError::new(
            "deadline",
            format!("截止日期 {deadline} 太早：应在 {year} 年 {month} 月下旬或之后。"),
            format!("Deadline {deadline} is too early for {year}-{month:02}."),
        )
        .into());
    }
    let exists: Option<i64> = on_tx!(tx, c => sqlx::query_scalar("SELECT id FROM report_period WHERE year = $1 AND month = $2").bind(i64::from(year)).bind(i64::from(month)).fetch_optional(c).await)?;
    if exists.is_some() {
        return Err(StoreError::Conflict(DomainError::new(
            "period",
            format!("{year} 年 {month} 月的报送期已开启。"),
            format!("The period {year}-{month:02} is already open."),
        )));
    }
    let now = crate::now();
    exec_tx!(tx, c => sqlx::query("INSERT INTO report_period (year, month, deadline, status, opened_by, opened_at) VALUES ($1, $2, $3, 'open', $4, $5)")
        .bind(i64::from(year)).bind(i64::from(month)).bind(deadline).bind(actor.name.clone()).bind(now).execute(c).await)?;
    let p = period_tx(tx, year, month).await?.expect("just inserted");
    audit::record(
        tx,
        actor,
        "open",
        "report_period",
        p.key(),
        None,
        Some(&serde_json::json!(p)),
    )
    .await?;
    Ok(p)
}

/// Changes an open period's deadline.
pub async fn set_deadline(
    tx: &mut Tx,
    actor: &Actor,
    year: i32,
    month: u32,
    deadline: NaiveDate,
) -> Result<Period> {
    actor.access.require(Permission::ReportAdmin)?;
    let p = period_tx(tx, year, month)
        .await?
        .ok_or_else(|| StoreError::not_found("报送期", "period", format!("{year}-{month:02}")))?;
    exec_tx!(tx, c => sqlx::query("UPDATE report_period SET deadline = $1 WHERE id = $2").bind(deadline).bind(p.id).execute(c).await)?;
    audit::record(
        tx,
        actor,
        "deadline",
        "report_period",
        p.key(),
        Some(&serde_json::json!({"deadline": p.deadline})),
        Some(&serde_json::json!({"deadline": deadline})),
    )
    .await?;
    Ok(period_tx(tx, year, month).await?.expect("exists"))
}

/// The period, if it exists and is open; else not found, or a conflict saying it is
/// closed followed by `why_zh` / `why_en`.
pub(crate) async fn open_period_tx(
    tx: &mut Tx,
    year: i32,
    month: u32,
    why_zh: &str,
    why_en: &str,
) -> Result<Period> {
    let p = period_tx(tx, year, month)
        .await?
        .ok_or_else(|| StoreError::not_found("报送期", "period", format!("{year}-{month:02}")))?;
    if !p.is_open() {
        return Err(StoreError::Conflict(DomainError::new(
            "period",
            format!("{} 报送期已关闭{why_zh}", p.key()),
            format!("The period {} is {why_en}", p.key()),
        )));
    }
    Ok(p)
}

/// Closes a period: its lights are computed one last time and kept as they are.
pub async fn close_period(tx: &mut Tx, actor: &Actor, year: i32, month: u32) -> Result<Period> {
    actor.access.require(Permission::ReportAdmin)?;
    let p = open_period_tx(tx, year, month, "。", "already closed.").await?;
    recompute::recompute_tx(tx, actor, year, month).await?;
    exec_tx!(tx, c => sqlx::query("UPDATE report_period SET status = 'closed', closed_at = $1 WHERE id = $2").bind(crate::now()).bind(p.id).execute(c).await)?;
    audit::record(tx, actor, "close", "report_period", p.key(), None, None).await?;
    Ok(period_tx(tx, year, month).await?.expect("exists"))
}

/// Every period, newest first.
pub async fn periods(db: &Db) -> Result<Vec<Period>> {
    let sql = format!("{PERIOD} ORDER BY year DESC, month DESC");
    Ok(on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).fetch_all(c).await)?)
}

/// One period.
pub async fn period(db: &Db, year: i32, month: u32) -> Result<Option<Period>> {
    let sql = format!("{PERIOD} WHERE year = $1 AND month = $2");
    Ok(
        on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(i64::from(year)).bind(i64::from(month)).fetch_optional(c).await)?,
    )
}

/// The newest open period, if any.
pub async fn latest_open(db: &Db) -> Result<Option<Period>> {
    let sql = format!("{PERIOD} WHERE status = 'open' ORDER BY year DESC, month DESC LIMIT 1");
    Ok(on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).fetch_optional(c).await)?)
}

/// One period, read inside a transaction.
pub async fn period_tx(tx: &mut Tx, year: i32, month: u32) -> Result<Option<Period>> {
    period_on(&mut crate::raw::Conn::of(tx).await?, year, month).await
}

/// One period, on a connection already held.
pub(crate) async fn period_on(
    c: &mut crate::raw::Conn<'_>,
    year: i32,
    month: u32,
) -> Result<Option<Period>> {
    let sql = format!("{PERIOD} WHERE year = $1 AND month = $2");
    c.one(
        &sql,
        &[
            crate::Val::I(i64::from(year)),
            crate::Val::I(i64::from(month)),
        ],
    )
    .await
}

// ---------------------------------------------------------------- inbox

row_struct! {
    /// A message in a user's in-app inbox.
    #[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
    pub struct Notice {
        pub id: i64,
        pub title: String,
        pub body: String,
        pub link: Option<String>,
        pub created_at: DateTime<Utc>,
        pub read_at: Option<DateTime<Utc>>,
    }
}

/// A user's messages, newest first (at most 200).
pub async fn notices(db: &Db, user_id: i64) -> Result<Vec<Notice>> {
    Ok(
        on_db!(db, c => sqlx::query_as("SELECT id, title, body, link, created_at, read_at FROM notice WHERE user_id = $1 ORDER BY id DESC LIMIT 200").bind(user_id).fetch_all(c).await)?,
    )
}

/// How many of a user's messages are unread.
pub async fn unread(db: &Db, user_id: i64) -> Result<i64> {
    Ok(
        on_db!(db, c => sqlx::query_scalar("SELECT COUNT(*) FROM notice WHERE user_id = $1 AND read_at IS NULL").bind(user_id).fetch_one(c).await)?,
    )
}

/// Marks all of a user's messages read.
pub async fn mark_read(db: &Db, user_id: i64) -> Result<u64> {
    exec_db!(db, c => sqlx::query("UPDATE notice SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL").bind(crate::now()).bind(user_id).execute(c).await)
        .map_err(Into::into)
}

use crate::exec_db;

/// Sends a reminder to every active user who may report for a project of the period
/// that has not been submitted yet. Returns how many users were reminded.
pub async fn remind(tx: &mut Tx, actor: &Actor, year: i32, month: u32) -> Result<usize> {
    actor.access.require(Permission::ReportAdmin)?;
    let p = period_tx(tx, year, month)
        .await?
        .ok_or_else(|| StoreError::not_found("报送期", "period", format!("{year}-{month:02}")))?;
    // Units with projects still to report: the owner unit, else the responsible unit,
    // else the division's government.
    let rows: Vec<(i64, i64)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT COALESCE(p.owner_unit_id, p.responsible_unit_id, g.id) AS unit_id, COUNT(*) AS n \
         FROM project p LEFT JOIN unit g ON g.governs_division_id = p.division_id \
         WHERE p.active = TRUE AND p.stage IN ('preparation', 'construction') \
         AND NOT EXISTS (SELECT 1 FROM report r WHERE r.project_id = p.id AND r.year = $1 AND r.month = $2 AND r.status IN ('submitted', 'approved', 'locked')) \
         GROUP BY COALESCE(p.owner_unit_id, p.responsible_unit_id, g.id)")
        .bind(p.year).bind(p.month).fetch_all(c).await)?;
    let now = crate::now();
    let mut users = 0;
    for (unit_id, n) in rows {
        let ids: Vec<i64> = on_tx!(tx, c => sqlx::query_scalar("SELECT id FROM app_user WHERE unit_id = $1 AND active = TRUE").bind(unit_id).fetch_all(c).await)?;
        for uid in ids {
            exec_tx!(tx, c => sqlx::query("INSERT INTO notice (user_id, title, body, link, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(uid)
                .bind(format!("请报送 {} 月报", p.key()))
                .bind(format!("本单位还有 {n} 个项目的 {} 月报未报送，截止日期 {}。", p.key(), p.deadline))
                .bind(format!("/reports?period={}", p.key()))
                .bind(now).execute(c).await)?;
            users += 1;
        }
    }
    exec_tx!(tx, c => sqlx::query("UPDATE report_period SET reminded_at = $1 WHERE id = $2").bind(now).bind(p.id).execute(c).await)?;
    audit::record(
        tx,
        actor,
        "remind",
        "report_period",
        p.key(),
        None,
        Some(&serde_json::json!({"users": users})),
    )
    .await?;
    Ok(users)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_in_common_forms() {
        assert_eq!(parse_period("2026-10").unwrap(), (2026, 10));
        assert_eq!(parse_period("2026年3月").unwrap(), (2026, 3));
        assert_eq!(parse_period("202603").unwrap(), (2026, 3));
        assert_eq!(parse_period("2026-13").unwrap_err().field, "period");
        assert!(parse_period("October").is_err());
    }

    #[test]
    fn default_deadline_is_the_fifth_working_day() {
        let cal = Calendar::shipped();
        // September's reports: October starts with the National Day week.
        let d = default_deadline(&cal, 2026, 9);
        assert!(d >= NaiveDate::from_ymd_opt(2026, 10, 12).unwrap(), "{d}");
        assert_eq!(
            default_deadline(&Calendar::plain(), 2026, 11),
            NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
        );
    }
}
