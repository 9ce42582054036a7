//! Arenas (擂台赛): configuration (participants, versioned rules, task-book targets),
//! values entered by named units, bonus and penalty items, scoring a period from the
//! platform's data, stored results with their explanations, revisions and publication.

mod measure;
mod score;

pub use measure::*;
pub use score::*;

use crate::{Actor, Db, Result, StoreError, Tx, audit, exec_tx, on_db, on_tx, row_struct};
use gongjian_domain::DomainError;
use gongjian_domain::access::Permission;
use gongjian_domain::arena::{FlagRule, Indicator, Measure, Period, check_indicators};

/// Arena kinds.
pub const KINDS: [(&str, &str); 3] = [
    ("comprehensive", "综合擂台赛"),
    ("special", "专项擂台赛"),
    ("showcase", "展示擂台赛"),
];

/// Where an indicator's value comes from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum Source {
    /// Computed from reports, projects, problems or tasks.
    Measure {
        /// Which figure.
        measure: Measure,
    },
    /// Entered per period with evidence by a named unit, reviewed by the office.
    Entered {
        /// Code of the unit that enters it (e.g. the agriculture bureau).
        unit: String,
    },
}

/// An indicator with its source, as stored in a rule version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IndicatorDef {
    /// The scoring rule.
    #[serde(flatten)]
    pub rule: Indicator,
    /// Where the value comes from.
    pub source: Source,
}

row_struct! {
    /// An arena.
    #[derive(Debug, Clone, serde::Serialize)]
    pub struct Arena {
        pub id: i64,
        pub code: String,
        pub name: String,
        pub kind: String,
        pub task_book: String,
        pub sort: i64,
    }
}

impl Arena {
    /// Chinese kind.
    pub fn kind_zh(&self) -> &'static str {
        KINDS.iter().find(|k| k.0 == self.kind).map_or("", |k| k.1)
    }
}

/// A participant: a division's government (its projects are the division's subtree) or
/// a company (its own projects).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Participant {
    pub unit_id: i64,
    pub code: String,
    pub name: String,
    pub governs_division_id: Option<i64>,
    pub division_code: String,
}

/// A rule version.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Rule {
    pub version: i64,
    pub from_period: String,
    pub indicators: Vec<IndicatorDef>,
    pub flag_rule: FlagRule,
}

/// A new arena.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ArenaInput {
    pub code: String,
    pub name: String,
    /// comprehensive, special or showcase.
    pub kind: String,
    #[serde(default)]
    pub task_book: String,
    /// Unit codes of the participants.
    pub participants: Vec<String>,
    /// The first rule, valid from `from_period`.
    pub indicators: Vec<IndicatorDef>,
    #[serde(default)]
    pub flag_rule: FlagRule,
    /// `YYYY-MM` from which the rule applies (default: the beginning of time).
    #[serde(default)]
    pub from_period: Option<String>,
}

const ARENA: &str = "SELECT id, code, name, kind, task_book, sort FROM arena";

/// Creates an arena with its participants and first rule (arena.admin).
pub async fn create(tx: &mut Tx, actor: &Actor, input: &ArenaInput) -> Result<Arena> {
    actor.access.require(Permission::ArenaAdmin)?;
    let code = gongjian_domain::text::code("code", "擂台代码", &input.code)?;
    let name = gongjian_domain::text::name("name", "擂台名称", &input.name)?;
    if !KINDS.iter().any(|k| k.0 == input.kind) {
        return Err(DomainError::new(
            "kind",
            "擂台类型应为 comprehensive（综合）、special（专项）或 showcase（展示）。",
            "kind must be comprehensive, special or showcase",
        )
        .into());
    }
    if input.participants.len() < 2 {
        return Err(DomainError::new(
            "participants",
            "擂台至少要有 2 个参赛单位。",
            "An arena needs at least two participants.",
        )
        .into());
    }
    let now = crate::now();
    let sort: i64 = on_tx!(tx, c => sqlx::query_scalar("SELECT COALESCE(MAX(sort), 0) + 1 FROM arena").fetch_one(c).await)?;
    let id: i64 = on_tx!(tx, c => sqlx::query_scalar("INSERT INTO arena (code, name, kind, task_book, sort, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id")
        .bind(code.clone()).bind(name).bind(input.kind.clone()).bind(input.task_book.trim()).bind(sort).bind(now).fetch_one(c).await)
        .map_err(|e| StoreError::from(e).map_unique("arena.code", "code", &format!("擂台代码“{code}”已被使用。"), &format!("Arena code '{code}' is taken.")))?;
    for p in &input.participants {
        let u = crate::unit::by_code_tx(tx, p)
            .await?
            .filter(|u| u.active)
            .ok_or_else(|| {
                DomainError::new(
                    "participants",
                    format!("参赛单位“{p}”不存在或已停用。"),
                    format!("no active unit '{p}'"),
                )
            })?;
        exec_tx!(tx, c => sqlx::query("INSERT INTO arena_participant (arena_id, unit_id) VALUES ($1, $2) ON CONFLICT DO NOTHING").bind(id).bind(u.id).execute(c).await)?;
    }
    set_rule_tx(
        tx,
        actor,
        id,
        input.from_period.as_deref().unwrap_or("2000-01"),
        &input.indicators,
        &input.flag_rule,
    )
    .await?;
    audit::record(tx, actor, "create", "arena", id, None, Some(&serde_json::json!({"code": code, "kind": input.kind, "participants": input.participants}))).await?;
    let sql = format!("{ARENA} WHERE id = $1");
    Ok(
        on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_one(c).await)?,
    )
}

/// Adds a rule version valid from `from_period` (`YYYY-MM`): periods ending before it keep
/// the rule they had.
pub async fn set_rule(
    tx: &mut Tx,
    actor: &Actor,
    arena_code: &str,
    from_period: &str,
    indicators: &[IndicatorDef],
    flag_rule: &FlagRule,
) -> Result<i64> {
    actor.access.require(Permission::ArenaAdmin)?;
    let a = by_code_tx(tx, arena_code).await?;
    set_rule_tx(tx, actor, a.id, from_period, indicators, flag_rule).await
}

async fn set_rule_tx(
    tx: &mut Tx,
    actor: &Actor,
    arena_id: i64,
    from_period: &str,
    indicators: &[IndicatorDef],
    flag_rule: &FlagRule,
) -> Result<i64> {
    let rules: Vec<Indicator> = indicators.iter().map(|i| i.rule.clone()).collect();
    if rules.is_empty() {
        return Err(DomainError::new(
            "indicators",
            "至少要有一个指标。",
            "At least one indicator.",
        )
        .into());
    }
    check_indicators(&rules)?;
    let from = match Period::parse(from_period)? {
        Period::Month(y, m) => format!("{y}-{m:02}"),
        _ => {
            return Err(DomainError::new(
                "from_period",
                "规则生效期间应写作 2026-01。",
                "from_period must be a month like 2026-01",
            )
            .into());
        }
    };
    let version: i64 = on_tx!(tx, c => sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM arena_rule WHERE arena_id = $1").bind(arena_id).fetch_one(c).await)?;
    let ind = serde_json::to_string(indicators).expect("serialisable");
    let fr = serde_json::to_string(flag_rule).expect("serialisable");
    exec_tx!(tx, c => sqlx::query("INSERT INTO arena_rule (arena_id, version, from_period, indicators, flag_rule, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(arena_id).bind(version).bind(from.clone()).bind(ind).bind(fr).bind(actor.name.clone()).bind(crate::now()).execute(c).await)?;
    audit::record(
        tx,
        actor,
        "rule",
        "arena",
        arena_id,
        None,
        Some(&serde_json::json!({"version": version, "from": from})),
    )
    .await?;
    Ok(version)
}

/// A unit by code, or an error naming the code.
async fn unit_tx(tx: &mut Tx, code: &str) -> Result<crate::unit::Unit> {
    crate::unit::by_code_tx(tx, code).await?.ok_or_else(|| {
        DomainError::new(
            "unit",
            format!("没有单位“{code}”。"),
            format!("no unit '{code}'"),
        )
        .into()
    })
}

async fn by_code_tx(tx: &mut Tx, code: &str) -> Result<Arena> {
    let sql = format!("{ARENA} WHERE code = $1");
    let a: Option<Arena> = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(code.trim()).fetch_optional(c).await)?;
    a.ok_or_else(|| StoreError::not_found("擂台", "arena", code))
}

/// Every arena, in order. Arenas are public configuration: anyone signed in sees them.
pub async fn list(db: &Db) -> Result<Vec<Arena>> {
    let sql = format!("{ARENA} ORDER BY sort, id");
    Ok(on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).fetch_all(c).await)?)
}

/// One arena by code.
pub async fn by_code(db: &Db, code: &str) -> Result<Arena> {
    let sql = format!("{ARENA} WHERE code = $1");
    let a: Option<Arena> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(code.trim()).fetch_optional(c).await)?;
    a.ok_or_else(|| StoreError::not_found("擂台", "arena", code))
}

/// The participants of an arena, by unit code.
pub async fn participants(db: &Db, arena_id: i64) -> Result<Vec<Participant>> {
    let rows: Vec<(i64, String, String, Option<i64>, String)> = on_db!(db, c => sqlx::query_as(
        "SELECT u.id, u.code, u.name, u.governs_division_id, d.code FROM arena_participant ap JOIN unit u ON u.id = ap.unit_id JOIN division d ON d.id = u.division_id WHERE ap.arena_id = $1 ORDER BY u.code")
        .bind(arena_id).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(
            |(unit_id, code, name, governs_division_id, division_code)| Participant {
                unit_id,
                code,
                name,
                governs_division_id,
                division_code,
            },
        )
        .collect())
}

/// The rule that applies to a period: the newest version whose `from_period` is not after
/// the period's last month.
pub async fn rule_for(db: &Db, arena_id: i64, p: Period) -> Result<Rule> {
    let end = format!("{}-{:02}", p.year(), p.end_month());
    let row: Option<(i64, String, String, String)> = on_db!(db, c => sqlx::query_as(
        "SELECT version, from_period, indicators, flag_rule FROM arena_rule WHERE arena_id = $1 AND from_period <= $2 ORDER BY version DESC LIMIT 1")
        .bind(arena_id).bind(end.clone()).fetch_optional(c).await)?;
    let (version, from_period, ind, fr) = row.ok_or_else(|| {
        StoreError::Invalid(DomainError::new(
            "period",
            format!("{} 没有适用的计分规则。", p.zh()),
            format!("no rule applies to {}", p.key()),
        ))
    })?;
    Ok(Rule {
        version,
        from_period,
        indicators: serde_json::from_str(&ind)
            .map_err(|e| StoreError::Config(format!("arena rule: {e}")))?,
        flag_rule: serde_json::from_str(&fr)
            .map_err(|e| StoreError::Config(format!("arena flag rule: {e}")))?,
    })
}

/// Sets a participant's task-book target for an indicator and year (arena.admin).
pub async fn set_target(
    tx: &mut Tx,
    actor: &Actor,
    arena_code: &str,
    indicator: &str,
    unit_code: &str,
    year: i32,
    target: i64,
) -> Result<()> {
    actor.access.require(Permission::ArenaAdmin)?;
    let a = by_code_tx(tx, arena_code).await?;
    let u = unit_tx(tx, unit_code).await?;
    exec_tx!(tx, c => sqlx::query("DELETE FROM arena_target WHERE arena_id = $1 AND indicator = $2 AND unit_id = $3 AND year = $4").bind(a.id).bind(indicator).bind(u.id).bind(i64::from(year)).execute(c).await)?;
    exec_tx!(tx, c => sqlx::query("INSERT INTO arena_target (arena_id, indicator, unit_id, year, target) VALUES ($1, $2, $3, $4, $5)").bind(a.id).bind(indicator).bind(u.id).bind(i64::from(year)).bind(target).execute(c).await)?;
    audit::record(tx, actor, "target", "arena", a.id, None, Some(&serde_json::json!({"indicator": indicator, "unit": unit_code, "year": year, "target": target}))).await
}

#[allow(clippy::too_many_arguments)]
/// Enters a value for an entered indicator (arena.write, by the named unit or the
/// office), with its evidence; it counts once the office approves it.
pub async fn enter(
    tx: &mut Tx,
    actor: &Actor,
    arena_code: &str,
    indicator: &str,
    unit_code: &str,
    period: &str,
    value: i64,
    evidence: &str,
) -> Result<i64> {
    actor.access.require(Permission::ArenaWrite)?;
    let a = by_code_tx(tx, arena_code).await?;
    let p = Period::parse(period)?;
    let u = unit_tx(tx, unit_code).await?;
    if evidence.trim().chars().count() < 2 {
        return Err(DomainError::new(
            "evidence",
            "请写明数据来源或佐证材料。",
            "Give the evidence of the value.",
        )
        .into());
    }
    if value < 0 {
        return Err(
            DomainError::new("value", "数值不能为负。", "The value cannot be negative.").into(),
        );
    }
    // Who may enter: the unit the indicator names (within the actor's scope), or the office.
    let rules: Vec<String> = on_tx!(tx, c => sqlx::query_scalar("SELECT indicators FROM arena_rule WHERE arena_id = $1").bind(a.id).fetch_all(c).await)?;
    let named: Option<String> = rules
        .iter()
        .filter_map(|r| serde_json::from_str::<Vec<IndicatorDef>>(r).ok())
        .flatten()
        .find(|d| d.rule.code == indicator)
        .and_then(|d| match d.source {
            Source::Entered { unit } => Some(unit),
            Source::Measure { .. } => None,
        });
    let Some(named) = named else {
        return Err(DomainError::new(
            "indicator",
            format!("指标“{indicator}”不是填报类指标。"),
            format!("'{indicator}' is not an entered indicator"),
        )
        .into());
    };
    let named_unit = crate::unit::by_code_tx(tx, &named).await?;
    let may = actor.access.has(Permission::ArenaAdmin)
        || named_unit.is_some_and(|n| {
            actor
                .access
                .scope(Permission::ArenaWrite)
                .allows(Some(n.id), None)
        });
    if !may {
        return Err(DomainError::new(
            "unit",
            format!("该指标由“{named}”填报。"),
            format!("this indicator is entered by '{named}'"),
        )
        .into());
    }
    exec_tx!(tx, c => sqlx::query("DELETE FROM arena_entry WHERE arena_id = $1 AND indicator = $2 AND unit_id = $3 AND period = $4").bind(a.id).bind(indicator).bind(u.id).bind(p.key()).execute(c).await)?;
    let id: i64 = on_tx!(tx, c => sqlx::query_scalar("INSERT INTO arena_entry (arena_id, indicator, unit_id, period, value, evidence, status, entered_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'submitted', $7, $8) RETURNING id")
        .bind(a.id).bind(indicator).bind(u.id).bind(p.key()).bind(value).bind(evidence.trim()).bind(actor.name.clone()).bind(crate::now()).fetch_one(c).await)?;
    audit::record(tx, actor, "enter", "arena_entry", id, None, Some(&serde_json::json!({"arena": a.code, "indicator": indicator, "unit": unit_code, "period": p.key(), "value": value}))).await?;
    Ok(id)
}

/// Approves (or returns) an entered value (arena.admin).
pub async fn review_entry(tx: &mut Tx, actor: &Actor, id: i64, approve: bool) -> Result<()> {
    actor.access.require(Permission::ArenaAdmin)?;
    let n = exec_tx!(tx, c => sqlx::query("UPDATE arena_entry SET status = $1, reviewed_by = $2 WHERE id = $3").bind(if approve { "approved" } else { "returned" }).bind(actor.name.clone()).bind(id).execute(c).await)?;
    if n == 0 {
        return Err(StoreError::not_found("填报数据", "entry", id));
    }
    audit::record(
        tx,
        actor,
        if approve { "approve" } else { "return" },
        "arena_entry",
        id,
        None,
        None,
    )
    .await
}

/// Adds a bonus (positive) or penalty (negative) in thousandths of a point, with a
/// reason (arena.admin).
pub async fn adjust(
    tx: &mut Tx,
    actor: &Actor,
    arena_code: &str,
    period: &str,
    unit_code: &str,
    milli: i64,
    reason: &str,
) -> Result<()> {
    actor.access.require(Permission::ArenaAdmin)?;
    let a = by_code_tx(tx, arena_code).await?;
    let p = Period::parse(period)?;
    let u = unit_tx(tx, unit_code).await?;
    if reason.trim().chars().count() < 2 {
        return Err(DomainError::new(
            "reason",
            "加减分必须写明理由。",
            "A bonus or penalty needs a reason.",
        )
        .into());
    }
    if milli == 0 || milli.abs() > 100_000 {
        return Err(DomainError::new(
            "points",
            "加减分应在 ±100 分以内且不为 0。",
            "Points must be non-zero and within ±100.",
        )
        .into());
    }
    exec_tx!(tx, c => sqlx::query("INSERT INTO arena_adjustment (arena_id, period, unit_id, milli, reason, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(a.id).bind(p.key()).bind(u.id).bind(milli).bind(reason.trim()).bind(actor.name.clone()).bind(crate::now()).execute(c).await)?;
    audit::record(tx, actor, "adjust", "arena", a.id, None, Some(&serde_json::json!({"period": p.key(), "unit": unit_code, "milli": milli, "reason": reason.trim()}))).await
}

row_struct! {
    /// An entered value of a period.
    #[derive(Debug, Clone, serde::Serialize)]
    pub struct EntryRow {
        pub id: i64,
        pub indicator: String,
        pub unit_code: String,
        pub unit_name: String,
        pub value: i64,
        pub evidence: String,
        pub status: String,
        pub entered_by: String,
        pub reviewed_by: Option<String>,
    }
}

impl EntryRow {
    /// Chinese status.
    pub fn status_zh(&self) -> &'static str {
        match self.status.as_str() {
            "approved" => "已审核",
            "returned" => "已退回",
            _ => "待审核",
        }
    }
}

/// The values entered for a period.
pub async fn entries(db: &Db, arena_id: i64, period: &str) -> Result<Vec<EntryRow>> {
    Ok(on_db!(db, c => sqlx::query_as(
        "SELECT e.id, e.indicator, u.code AS unit_code, u.name AS unit_name, e.value, e.evidence, e.status, e.entered_by, e.reviewed_by \
         FROM arena_entry e JOIN unit u ON u.id = e.unit_id WHERE e.arena_id = $1 AND e.period = $2 ORDER BY e.indicator, u.code")
        .bind(arena_id).bind(period.to_string()).fetch_all(c).await)?)
}

/// The largest photo accepted: 5 MB.
pub const MAX_PHOTO: usize = 5 * 1024 * 1024;

row_struct! {
    /// A photo shown with the flags (晾晒), without its bytes.
    #[derive(Debug, Clone, serde::Serialize)]
    pub struct Photo {
        pub id: i64,
        pub unit_code: String,
        pub unit_name: String,
        pub caption: String,
    }
}

/// Adds a photo of a participant for a flag period (quarter, half-year or year): by the
/// participant itself (arena.write in scope) or the office. JPEG or PNG by content.
#[allow(clippy::too_many_arguments)]
pub async fn add_photo(
    tx: &mut Tx,
    actor: &Actor,
    arena_code: &str,
    period: &str,
    unit_code: &str,
    caption: &str,
    name: &str,
    bytes: &[u8],
) -> Result<i64> {
    actor.access.require(Permission::ArenaWrite)?;
    let a = by_code_tx(tx, arena_code).await?;
    let p = Period::parse(period)?;
    if !p.has_flags() {
        return Err(DomainError::new(
            "period",
            "晾晒照片按季度（或半年、全年）上传，期间应写作 2026-Q3。",
            "Photos go with a quarter (or half-year, year), e.g. 2026-Q3.",
        )
        .into());
    }
    let u = unit_tx(tx, unit_code).await?;
    let member: i64 = on_tx!(tx, c => sqlx::query_scalar("SELECT COUNT(*) FROM arena_participant WHERE arena_id = $1 AND unit_id = $2").bind(a.id).bind(u.id).fetch_one(c).await)?;
    if member == 0 {
        return Err(DomainError::new(
            "unit",
            format!("“{}”不是本擂台的参赛单位。", u.name),
            format!("'{}' does not take part in this arena", u.code),
        )
        .into());
    }
    if !actor.access.has(Permission::ArenaAdmin)
        && !actor
            .access
            .scope(Permission::ArenaWrite)
            .allows(Some(u.id), None)
    {
        return Err(DomainError::new(
            "unit",
            "只能上传本单位的晾晒照片。",
            "You may only upload your own unit's photos.",
        )
        .into());
    }
    let mime = gongjian_domain::attachment::check(name, bytes, MAX_PHOTO)?;
    if !mime.starts_with("image/") {
        return Err(DomainError::new(
            "photo",
            format!("“{name}”不是图片：晾晒照片只能是 JPEG 或 PNG。"),
            format!("'{name}' is not a JPEG or PNG photo"),
        )
        .into());
    }
    let id: i64 = on_tx!(tx, c => sqlx::query_scalar("INSERT INTO arena_photo (arena_id, period, unit_id, caption, mime, content, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
        .bind(a.id).bind(p.key()).bind(u.id).bind(caption.trim().chars().take(100).collect::<String>()).bind(mime).bind(bytes).bind(actor.name.clone()).bind(crate::now()).fetch_one(c).await)?;
    audit::record(
        tx,
        actor,
        "photo",
        "arena",
        a.id,
        None,
        Some(&serde_json::json!({"period": p.key(), "unit": u.code, "photo": id})),
    )
    .await?;
    Ok(id)
}

/// The photos of a period.
pub async fn photos(db: &Db, arena_id: i64, period: &str) -> Result<Vec<Photo>> {
    Ok(on_db!(db, c => sqlx::query_as(
        "SELECT ph.id, u.code AS unit_code, u.name AS unit_name, ph.caption FROM arena_photo ph JOIN unit u ON u.id = ph.unit_id WHERE ph.arena_id = $1 AND ph.period = $2 ORDER BY u.code, ph.id")
        .bind(arena_id).bind(period.to_string()).fetch_all(c).await)?)
}

/// One photo: (arena id, period, mime, bytes).
pub async fn photo(db: &Db, id: i64) -> Result<(i64, String, String, Vec<u8>)> {
    let row: Option<(i64, String, String, Vec<u8>)> = on_db!(db, c => sqlx::query_as("SELECT arena_id, period, mime, content FROM arena_photo WHERE id = $1").bind(id).fetch_optional(c).await)?;
    row.ok_or_else(|| StoreError::not_found("照片", "photo", id))
}

/// Whether a period of an arena has a published result (the public may see its photos).
pub async fn is_published(db: &Db, arena_id: i64, period: &str) -> Result<bool> {
    let n: i64 = on_db!(db, c => sqlx::query_scalar("SELECT COUNT(*) FROM arena_result WHERE arena_id = $1 AND period = $2 AND published_at IS NOT NULL").bind(arena_id).bind(period.to_string()).fetch_one(c).await)?;
    Ok(n > 0)
}

/// Units that may take part: division governments first, then companies (active only).
pub async fn participant_choices(db: &Db) -> Result<Vec<(String, String)>> {
    Ok(on_db!(db, c => sqlx::query_as(
        "SELECT code, name FROM unit WHERE active = TRUE AND kind IN ('government', 'company') ORDER BY kind DESC, code")
        .fetch_all(c).await)?)
}
