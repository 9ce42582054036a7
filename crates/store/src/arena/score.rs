//! Scoring a period: inputs from the data, the rule of that period, flags for quarters,
//! neighbours; results stored as revisions with their explanations; publication; what-if
//! without saving.

use super::{Aggregates, Arena, Participant, by_code, inputs_with, list, participants, rule_for};
use crate::{Actor, Db, Result, StoreError, audit, exec_tx, on_db, on_tx};
use gongjian_domain::DomainError;
use gongjian_domain::access::Permission;
use gongjian_domain::arena::{self as engine, Adjustment, Direction, Input, Period, points_text};
use std::collections::BTreeMap;

/// One line of a participant's explanation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ComponentOut {
    pub indicator: String,
    pub name: String,
    pub value: i64,
    pub target: Option<i64>,
    /// Points, two decimals.
    pub points: String,
    pub weight: i64,
    pub formula: String,
    /// The figures behind the value, in words.
    pub source: String,
}

/// The nearest participant ahead or behind.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Gap {
    pub code: String,
    pub name: String,
    /// Points between them, two decimals.
    pub points: String,
}

/// One participant's result.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ParticipantResult {
    pub code: String,
    pub name: String,
    /// Division code (or the company's division), for links.
    pub division_code: String,
    /// Total, two decimals.
    pub score: String,
    /// Total in thousandths.
    pub score_milli: i64,
    pub rank: usize,
    /// red, yellow, black or null.
    pub flag: Option<String>,
    pub ahead: Option<Gap>,
    pub behind: Option<Gap>,
    pub components: Vec<ComponentOut>,
    pub adjustments: Vec<Adjustment>,
}

/// A scored period.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ArenaResult {
    pub arena: String,
    pub name: String,
    pub period: String,
    pub rule_version: i64,
    pub participants: Vec<ParticipantResult>,
}

/// A change to try without saving: set or shift one participant's value.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Change {
    /// Participant unit code.
    pub participant: String,
    /// Indicator code.
    pub indicator: String,
    /// The new value, or…
    #[serde(default)]
    pub value: Option<i64>,
    /// …an amount to add (e.g. 50,000,000 yuan = 5,000 万).
    #[serde(default)]
    pub delta: Option<i64>,
}

/// Scores a period from the data as it is now, applying `what_if` changes when given.
pub async fn compute(
    db: &Db,
    arena_code: &str,
    period: &str,
    what_if: &[Change],
) -> Result<ArenaResult> {
    let arena = by_code(db, arena_code).await?;
    let p = Period::parse(period)?;
    compute_for(db, &arena, p, what_if, &mut Aggregates::default()).await
}

/// Scores every arena for a period, reading the database's aggregates once.
pub async fn compute_all(db: &Db, period: &str) -> Result<Vec<ArenaResult>> {
    let p = Period::parse(period)?;
    let mut agg = Aggregates::default();
    let mut out = Vec::new();
    for a in list(db).await? {
        out.push(compute_for(db, &a, p, &[], &mut agg).await?);
    }
    Ok(out)
}

async fn compute_for(
    db: &Db,
    arena: &Arena,
    p: Period,
    what_if: &[Change],
    agg: &mut Aggregates,
) -> Result<ArenaResult> {
    let rule = rule_for(db, arena.id, p).await?;
    let parts = participants(db, arena.id).await?;
    let mut figs = inputs_with(db, arena, &parts, &rule, p, agg).await?;
    for ch in what_if {
        let f = figs
            .get_mut(&ch.participant)
            .and_then(|m| m.get_mut(&ch.indicator))
            .ok_or_else(|| {
                StoreError::Invalid(DomainError::new(
                    "what_if",
                    format!(
                        "假设中的参赛单位“{}”或指标“{}”不在本擂台。",
                        ch.participant, ch.indicator
                    ),
                    format!(
                        "unknown participant '{}' or indicator '{}'",
                        ch.participant, ch.indicator
                    ),
                ))
            })?;
        f.input.value = match (ch.value, ch.delta) {
            (Some(v), _) => v,
            (None, Some(d)) => f.input.value.saturating_add(d),
            (None, None) => f.input.value,
        };
        f.source = format!("{}（假设：改为 {}）", f.source, f.input.value);
    }
    let adjustments: Vec<Adjustment> = {
        let rows: Vec<(String, i64, String)> = on_db!(db, c => sqlx::query_as(
            "SELECT u.code, a.milli, a.reason FROM arena_adjustment a JOIN unit u ON u.id = a.unit_id WHERE a.arena_id = $1 AND a.period = $2 ORDER BY a.id")
            .bind(arena.id).bind(p.key()).fetch_all(c).await)?;
        rows.into_iter()
            .map(|(participant, milli, reason)| Adjustment {
                participant,
                milli,
                reason,
            })
            .collect()
    };
    let codes: Vec<String> = parts.iter().map(|x| x.code.clone()).collect();
    let indicators: Vec<_> = rule.indicators.iter().map(|i| i.rule.clone()).collect();
    let plain: BTreeMap<String, BTreeMap<String, Input>> = figs
        .iter()
        .map(|(k, m)| {
            (
                k.clone(),
                m.iter().map(|(i, f)| (i.clone(), f.input)).collect(),
            )
        })
        .collect();
    let mut scores = engine::score(&codes, &indicators, &plain, &adjustments);
    if p.has_flags() {
        let previous: BTreeMap<String, usize> = match p.previous() {
            Some(prev) => latest(db, arena, prev)
                .await?
                .map(|(_, _, r)| {
                    r.participants
                        .into_iter()
                        .map(|x| (x.code, x.rank))
                        .collect()
                })
                .unwrap_or_default(),
            None => BTreeMap::new(),
        };
        // "Target met": every indicator with a target reached it.
        let met: BTreeMap<String, bool> = plain
            .iter()
            .map(|(code, m)| {
                let ok = indicators.iter().all(|ind| match m.get(&ind.code) {
                    Some(Input {
                        value,
                        target: Some(t),
                    }) => match ind.direction {
                        Direction::Higher => value >= t,
                        Direction::Lower => value <= t,
                    },
                    _ => true,
                });
                (code.clone(), ok)
            })
            .collect();
        engine::flags(&mut scores, &rule.flag_rule, &previous, &met);
    }
    let name_of = |code: &str| {
        parts
            .iter()
            .find(|x| x.code == code)
            .map(|x| x.name.clone())
            .unwrap_or_default()
    };
    let part_of = |code: &str| parts.iter().find(|x| x.code == code);
    let participants = scores
        .iter()
        .map(|s| {
            let n = engine::neighbours(&scores, &s.code).expect("present");
            let gap = |g: Option<(String, i64)>| {
                g.map(|(code, m)| Gap {
                    name: name_of(&code),
                    code,
                    points: points_text(m),
                })
            };
            ParticipantResult {
                code: s.code.clone(),
                name: name_of(&s.code),
                division_code: part_of(&s.code)
                    .map(|p: &Participant| p.division_code.clone())
                    .unwrap_or_default(),
                score: points_text(s.total),
                score_milli: s.total,
                rank: s.rank,
                flag: s.flag.clone(),
                ahead: gap(n.ahead),
                behind: gap(n.behind),
                components: s
                    .components
                    .iter()
                    .map(|c| ComponentOut {
                        indicator: c.indicator.clone(),
                        name: c.name.clone(),
                        value: c.value,
                        target: c.target,
                        points: points_text(c.points),
                        weight: c.weight,
                        formula: c.formula.clone(),
                        source: figs
                            .get(&s.code)
                            .and_then(|m| m.get(&c.indicator))
                            .map(|f| f.source.clone())
                            .unwrap_or_default(),
                    })
                    .collect(),
                adjustments: s.adjustments.clone(),
            }
        })
        .collect();
    Ok(ArenaResult {
        arena: arena.code.clone(),
        name: arena.name.clone(),
        period: p.key(),
        rule_version: rule.version,
        participants,
    })
}

/// The newest stored revision of a period: (revision, published, result).
pub async fn latest(db: &Db, arena: &Arena, p: Period) -> Result<Option<(i64, bool, ArenaResult)>> {
    let row: Option<(i64, Option<chrono::DateTime<chrono::Utc>>, String)> = on_db!(db, c => sqlx::query_as(
        "SELECT revision, published_at, result FROM arena_result WHERE arena_id = $1 AND period = $2 ORDER BY revision DESC LIMIT 1")
        .bind(arena.id).bind(p.key()).fetch_optional(c).await)?;
    row.map(|(rev, at, json)| {
        serde_json::from_str(&json)
            .map(|r| (rev, at.is_some(), r))
            .map_err(|e| StoreError::Config(format!("stored arena result: {e}")))
    })
    .transpose()
}

/// The newest *published* revision of a period: what the public page shows.
pub async fn published(
    db: &Db,
    arena_code: &str,
    period: &str,
) -> Result<Option<(i64, ArenaResult)>> {
    let arena = by_code(db, arena_code).await?;
    let p = Period::parse(period)?;
    let row: Option<(i64, String)> = on_db!(db, c => sqlx::query_as(
        "SELECT revision, result FROM arena_result WHERE arena_id = $1 AND period = $2 AND published_at IS NOT NULL ORDER BY revision DESC LIMIT 1")
        .bind(arena.id).bind(p.key()).fetch_optional(c).await)?;
    row.map(|(rev, json)| {
        serde_json::from_str(&json)
            .map(|r| (rev, r))
            .map_err(|e| StoreError::Config(format!("stored arena result: {e}")))
    })
    .transpose()
}

/// Periods with a published result, newest first.
pub async fn published_periods(db: &Db, arena_id: i64) -> Result<Vec<String>> {
    Ok(on_db!(db, c => sqlx::query_scalar(
        "SELECT DISTINCT period FROM arena_result WHERE arena_id = $1 AND published_at IS NOT NULL ORDER BY period DESC")
        .bind(arena_id).fetch_all(c).await)?)
}

/// Scores a period and stores it as a new revision when it differs from the newest one
/// (arena.admin). Returns (revision, whether a new revision was written).
pub async fn save(db: &Db, actor: &Actor, arena_code: &str, period: &str) -> Result<(i64, bool)> {
    actor.access.require(Permission::ArenaAdmin)?;
    let arena = by_code(db, arena_code).await?;
    let p = Period::parse(period)?;
    let r = compute_for(db, &arena, p, &[], &mut Aggregates::default()).await?;
    let json = serde_json::to_string(&r).expect("serialisable");
    let mut tx = db.begin().await?;
    let last: Option<(i64, String)> = on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT revision, result FROM arena_result WHERE arena_id = $1 AND period = $2 ORDER BY revision DESC LIMIT 1")
        .bind(arena.id).bind(p.key()).fetch_optional(c).await)?;
    if let Some((rev, old)) = &last
        && *old == json
    {
        drop(tx);
        return Ok((*rev, false));
    }
    let rev = last.map_or(1, |l| l.0 + 1);
    exec_tx!(&mut tx, c => sqlx::query("INSERT INTO arena_result (arena_id, period, revision, rule_version, result, computed_by, computed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(arena.id).bind(p.key()).bind(rev).bind(r.rule_version).bind(json).bind(actor.name.clone()).bind(crate::now()).execute(c).await)?;
    audit::record(&mut tx, actor, "score", "arena", arena.id, None, Some(&serde_json::json!({"period": p.key(), "revision": rev, "rule_version": r.rule_version}))).await?;
    tx.commit().await?;
    Ok((rev, true))
}

/// Publishes the newest revision of a period (arena.admin): only then does it appear on
/// the public page.
pub async fn publish(db: &Db, actor: &Actor, arena_code: &str, period: &str) -> Result<i64> {
    actor.access.require(Permission::ArenaAdmin)?;
    let arena = by_code(db, arena_code).await?;
    let p = Period::parse(period)?;
    let mut tx = db.begin().await?;
    let rev: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar("SELECT MAX(revision) FROM arena_result WHERE arena_id = $1 AND period = $2").bind(arena.id).bind(p.key()).fetch_one(c).await)?;
    let rev = rev.ok_or_else(|| {
        StoreError::Invalid(DomainError::new(
            "period",
            format!("{} 还没有计算成绩，请先计算再发布。", p.zh()),
            format!("score {} before publishing", p.key()),
        ))
    })?;
    exec_tx!(&mut tx, c => sqlx::query("UPDATE arena_result SET published_at = $1 WHERE arena_id = $2 AND period = $3 AND revision = $4 AND published_at IS NULL")
        .bind(crate::now()).bind(arena.id).bind(p.key()).bind(rev).execute(c).await)?;
    audit::record(
        &mut tx,
        actor,
        "publish",
        "arena",
        arena.id,
        None,
        Some(&serde_json::json!({"period": p.key(), "revision": rev})),
    )
    .await?;
    tx.commit().await?;
    Ok(rev)
}

/// One participant on the annual leaderboard.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AnnualRow {
    pub code: String,
    pub name: String,
    /// Score per published month (two decimals), `null` where it had none.
    pub months: Vec<Option<String>>,
    /// Sum, two decimals.
    pub total: String,
    pub total_milli: i64,
    pub rank: usize,
}

/// The annual leaderboard (年度积分榜) of a year: the sum of each participant's
/// *published* monthly scores (newest published revision of each month); unpublished
/// months never count, so the board can be shown to the public as it is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AnnualBoard {
    pub arena: String,
    pub name: String,
    pub year: i32,
    /// The months summed (`YYYY-MM`), in order.
    pub months: Vec<String>,
    pub participants: Vec<AnnualRow>,
}

/// Builds the annual leaderboard of `year` from the published monthly results.
pub async fn annual(db: &Db, arena_code: &str, year: i32) -> Result<AnnualBoard> {
    let arena = by_code(db, arena_code).await?;
    if !(2000..=2100).contains(&year) {
        return Err(StoreError::Invalid(DomainError::new(
            "year",
            format!("年度应在 2000 至 2100 之间，当前为 {year}。"),
            format!("the year must be between 2000 and 2100, got {year}"),
        )));
    }
    let keys: Vec<String> = (1..=12).map(|m| format!("{year}-{m:02}")).collect();
    let rows: Vec<(String, i64, String)> = on_db!(db, c => sqlx::query_as(
        "SELECT period, revision, result FROM arena_result WHERE arena_id = $1 AND period >= $2 AND period <= $3 AND published_at IS NOT NULL ORDER BY period, revision DESC")
        .bind(arena.id).bind(keys[0].clone()).bind(keys[11].clone()).fetch_all(c).await)?;
    let mut months: Vec<String> = Vec::new();
    let mut scores: Vec<BTreeMap<String, i64>> = Vec::new();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for (period, _, json) in rows {
        if !keys.contains(&period) || months.last() == Some(&period) {
            continue; // not a month, or an older revision of the month just taken
        }
        let r: ArenaResult = serde_json::from_str(&json)
            .map_err(|e| StoreError::Config(format!("stored arena result: {e}")))?;
        let mut m = BTreeMap::new();
        for p in r.participants {
            m.insert(p.code.clone(), p.score_milli);
            names.entry(p.code).or_insert(p.name);
        }
        months.push(period);
        scores.push(m);
    }
    let parts = participants(db, arena.id).await?;
    for p in &parts {
        names.insert(p.code.clone(), p.name.clone());
    }
    let codes: Vec<String> = parts.iter().map(|p| p.code.clone()).collect();
    let participants = engine::annual_leaderboard(&codes, &scores)
        .into_iter()
        .map(|l| AnnualRow {
            name: names
                .get(&l.code)
                .cloned()
                .unwrap_or_else(|| l.code.clone()),
            months: l.months.iter().map(|m| m.map(points_text)).collect(),
            total: points_text(l.total),
            total_milli: l.total,
            rank: l.rank,
            code: l.code,
        })
        .collect();
    Ok(AnnualBoard {
        arena: arena.code,
        name: arena.name,
        year,
        months,
        participants,
    })
}
