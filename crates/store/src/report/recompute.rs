//! Recomputing a period's lights: the basis read in sequential passes, every light
//! evaluated and explained on every core, and only the changed ones written (ADR 0010).

use super::*;
use crate::sql::Sql;
use crate::{Val, bind_vals};
use gongjian_domain::progress::{self as pg, Inputs, Light, MilestoneState};
use std::collections::HashMap;

/// What a recomputation did.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct LightSummary {
    /// Period year.
    pub year: i32,
    /// Period month.
    pub month: u32,
    /// Rule version used.
    pub rule_version: i64,
    /// Projects given a light.
    pub projects: usize,
    /// Green, yellow, red, none.
    pub counts: [usize; 4],
    /// Lights written because their result is new or changed (the others are kept as
    /// stored, with the time they took that result).
    pub changed: usize,
}

/// A 64-bit digest of the parts of a light's result, eight bytes at a time, each part
/// closed by its length: stable across builds, so a stored digest compares with a fresh
/// one. Every step is a bijection of the state for a given word, so results that differ
/// in a single word never share a digest.
fn digest(parts: &[&[u8]]) -> i64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut mix = |w: u64| {
        h = (h ^ w).wrapping_mul(K);
        h ^= h >> 32;
    };
    for p in parts {
        let mut words = p.chunks_exact(8);
        for w in &mut words {
            mix(u64::from_le_bytes(w.try_into().expect("eight bytes")));
        }
        let rest = words.remainder();
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        mix(u64::from_le_bytes(last));
        mix(p.len() as u64);
    }
    h as i64
}

#[cfg(test)]
#[test]
fn digests_tell_results_apart() {
    let why = "红灯：截至 10 月累计完成 123.4567 万元，序时目标 960.00 万元。".as_bytes();
    let base = digest(&[b"red", why]);
    assert_eq!(base, digest(&[b"red", why]), "stable");
    // Any one byte changed, anywhere, changes the digest.
    for i in 0..why.len() {
        let mut w = why.to_vec();
        w[i] ^= 1;
        assert_ne!(base, digest(&[b"red", &w]), "byte {i}");
    }
    // Where one part ends and the next begins matters; so do trailing zero bytes.
    assert_ne!(digest(&[b"ab", b"c"]), digest(&[b"a", b"bc"]));
    assert_ne!(digest(&[b"a"]), digest(&[b"a\0"]));
    assert_ne!(digest(&[b"", b"x"]), digest(&[b"x", b""]));
}

fn opt_bytes(v: Option<i64>) -> [u8; 9] {
    let mut b = [0u8; 9];
    if let Some(v) = v {
        b[0] = 1;
        b[1..].copy_from_slice(&v.to_le_bytes());
    }
    b
}

/// Recomputes every light of an open period (in its own transaction).
pub async fn recompute(db: &Db, actor: &Actor, year: i32, month: u32) -> Result<LightSummary> {
    let mut tx = db.begin_alone().await?;
    let s = recompute_tx(&mut tx, actor, year, month).await?;
    tx.commit().await?;
    Ok(s)
}

/// What a light is computed from, one per lit project.
struct Basis {
    id: i64,
    started: bool,
    start_date: Option<NaiveDate>,
    start_node: Option<NaiveDate>,
    annual: Option<i64>,
    months: [Option<i64>; 12],
    done: Option<i64>,
    /// The nodes not done and due by the end of the month, in node order.
    milestones: Vec<MilestoneState>,
}

/// What every light of one recomputation shares.
struct EvalCtx<'a> {
    rule: &'a pg::LightRule,
    year: i32,
    month: u32,
    asof: NaiveDate,
    version: i64,
    now: DateTime<Utc>,
}

/// One project's light: (project, digest, light, the row to store).
fn eval_one(c: &EvalCtx, b: &Basis) -> (i64, i64, Light, Vec<Val>) {
    let (year, month, version) = (c.year, c.month, c.version);
    let months = b.months;
    // Without a start node, a project that has not started is planned to start in the
    // first month its plan puts money in.
    let ps = b.start_node.or_else(|| {
        if b.started {
            return None;
        }
        months
            .iter()
            .position(|m| m.is_some_and(|v| v > 0))
            .and_then(|i| NaiveDate::from_ymd_opt(year, i as u32 + 1, 1))
    });
    let inputs = Inputs {
        year,
        month,
        annual: b.annual,
        months,
        cumulative: b.done.unwrap_or(0),
        started: b.started && b.start_date.is_none_or(|d| d <= c.asof),
        planned_start: ps,
        milestones: b.milestones.clone(),
    };
    let o = pg::evaluate(c.rule, &inputs);
    let inputs_json = serde_json::to_string(&inputs).expect("serialisable");
    let reasons = o.reasons.join(",");
    let d = digest(&[
        o.light.as_str().as_bytes(),
        &version.to_le_bytes(),
        &opt_bytes(inputs.annual),
        &inputs.cumulative.to_le_bytes(),
        &opt_bytes(o.target),
        &opt_bytes(o.ratio_bp),
        &opt_bytes(o.lag_bp),
        reasons.as_bytes(),
        o.why.as_bytes(),
        o.why_en.as_bytes(),
        inputs_json.as_bytes(),
    ]);
    let row = vec![
        Val::I(i64::from(year)),
        Val::I(i64::from(month)),
        Val::I(b.id),
        Val::S(o.light.as_str().to_string()),
        Val::I(version),
        Val::OI(inputs.annual),
        Val::I(inputs.cumulative),
        Val::OI(o.target),
        Val::OI(o.ratio_bp),
        Val::OI(o.lag_bp),
        Val::S(reasons),
        Val::S(o.why),
        Val::S(o.why_en),
        Val::S(inputs_json),
        Val::T(c.now),
        Val::I(d),
    ];
    (b.id, d, o.light, row)
}

/// Active projects. Each piece of the basis is one sequential pass over its table,
/// joined in memory: SQLite would otherwise reach the project rows through an index on
/// `active` and the plans through their key, one random lookup each (≈ 3× slower at
/// province scale). `<>` keeps the planner off the index.
const PROJECTS: &str = "SELECT id, started, start_date, stage FROM project WHERE active <> FALSE";

/// This year's plans.
const PLANS: &str = "SELECT project_id, annual, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12 \
    FROM project_plan WHERE year = $1";

/// The sum of counted reports up to the month (from the covering `report_sum_idx`).
const SUMS: &str = "SELECT project_id, CAST(SUM(month_amount) AS BIGINT) AS done FROM report \
    WHERE year = $1 AND month <= $2 AND status IN ('submitted', 'approved', 'locked') GROUP BY project_id";

/// The milestones that matter, in one pass: planned start nodes (a name that says 开工;
/// the first of a project in node order, `seq` then `id`, is its planned start) and
/// the nodes not done and due by the end of the month (`$1`).
const NODES: &str = "SELECT project_id, seq, id, name, planned_date, actual_date FROM milestone \
    WHERE planned_date IS NOT NULL AND (name LIKE '%开工%' OR (actual_date IS NULL AND planned_date <= $1))";

/// The cells of one row of a basis pass: a row stepped on SQLite's handle, or a JSON
/// array aggregated by PostgreSQL.
trait Cells {
    fn int(&self, i: usize) -> Option<i64>;
    fn text(&self, i: usize) -> Option<&str>;
    fn is_null(&self, i: usize) -> bool;
    /// A boolean: SQLite stores 0/1, PostgreSQL's JSON has true/false.
    fn flag(&self, i: usize) -> bool;
    /// A stored date (`YYYY-MM-DD`, perhaps followed by a time).
    fn date(&self, i: usize) -> Option<NaiveDate> {
        self.text(i).and_then(stored_date)
    }
}

impl Cells for rusqlite::Row<'_> {
    fn int(&self, i: usize) -> Option<i64> {
        match self.get_ref(i).ok()? {
            rusqlite::types::ValueRef::Integer(n) => Some(n),
            _ => None,
        }
    }
    fn text(&self, i: usize) -> Option<&str> {
        match self.get_ref(i).ok()? {
            rusqlite::types::ValueRef::Text(t) => std::str::from_utf8(t).ok(),
            _ => None,
        }
    }
    fn is_null(&self, i: usize) -> bool {
        matches!(self.get_ref(i), Ok(rusqlite::types::ValueRef::Null))
    }
    fn flag(&self, i: usize) -> bool {
        self.int(i).is_some_and(|n| n != 0)
    }
}

impl Cells for Vec<serde_json::Value> {
    fn int(&self, i: usize) -> Option<i64> {
        self.get(i)?.as_i64()
    }
    fn text(&self, i: usize) -> Option<&str> {
        self.get(i)?.as_str()
    }
    fn is_null(&self, i: usize) -> bool {
        self.get(i).is_none_or(serde_json::Value::is_null)
    }
    fn flag(&self, i: usize) -> bool {
        self.get(i).is_some_and(|v| {
            v.as_bool()
                .unwrap_or_else(|| v.as_i64().is_some_and(|n| n != 0))
        })
    }
}

/// Runs `select` (whose columns are listed in `cols`) and hands each row to `f`: on
/// SQLite stepped straight off the writer's handle, typed, with nothing copied; on
/// PostgreSQL aggregated by the database into one JSON value.
async fn each_row(
    tx: &mut Tx,
    select: &str,
    cols: &[&str],
    binds: &[Val],
    mut f: impl FnMut(&dyn Cells) + Send,
) -> Result<()> {
    let list = cols.join(", ");
    let sql = match tx {
        Tx::Sqlite(t) => return crate::raw::for_each_row(t, select, binds, |r| f(r)).await,
        Tx::Postgres(_) => {
            format!(
                "SELECT COALESCE(json_agg(json_build_array({list})), '[]')::text FROM ({select}) q"
            )
        }
    };
    let text: Option<String> = on_tx!(tx, c => bind_vals!(sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone())), binds.iter().cloned()).fetch_one(c).await)?;
    let rows: Vec<Vec<serde_json::Value>> =
        serde_json::from_str(text.as_deref().unwrap_or("[]"))
            .map_err(|e| StoreError::Config(format!("aggregated rows: {e}")))?;
    for r in &rows {
        f(r);
    }
    Ok(())
}

/// A stored date (`YYYY-MM-DD`, perhaps followed by a time), read without the general
/// date parser: a recomputation reads tens of thousands of them.
fn stored_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b.get(r)?.iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    if b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || b.get(10).is_some_and(u8::is_ascii_digit)
    {
        return None;
    }
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

#[cfg(test)]
#[test]
fn stored_dates_read_back() {
    let d = stored_date;
    assert_eq!(d("2026-03-09"), NaiveDate::from_ymd_opt(2026, 3, 9));
    assert_eq!(
        d("2026-12-31T00:00:00+00:00"),
        NaiveDate::from_ymd_opt(2026, 12, 31)
    );
    assert_eq!(d("2026-02-30"), None);
    assert_eq!(d("2026-3-09"), None);
    assert_eq!(d("2026-03-091"), None);
    assert_eq!(d("２０２６-03-09"), None);
    let row = vec![
        serde_json::Value::Null,
        serde_json::Value::from("2026-01-31"),
    ];
    assert_eq!(row.date(0), None);
    assert_eq!(row.date(1), NaiveDate::from_ymd_opt(2026, 1, 31));
}

/// Recomputes every light of an open period inside `tx`.
pub async fn recompute_tx(
    tx: &mut Tx,
    actor: &Actor,
    year: i32,
    month: u32,
) -> Result<LightSummary> {
    actor.access.require(Permission::ReportAdmin)?;
    let p = open_period_tx(
        tx,
        year,
        month,
        "，灯号保持关闭时的结果，不再重算。",
        "closed; its lights are kept as they were.",
    )
    .await?;
    let (version, rule) = current_rule_tx(tx).await?;
    let y = i64::from(year);
    let asof = pg::month_end(year, month);
    let clock = std::time::Instant::now();
    let y_m = [Val::I(y), Val::I(i64::from(month))];
    // Lit: the projects that report (in preparation or under construction), and any
    // other project with a counted report this year (e.g. completed since).
    let mut plans: HashMap<i64, (Option<i64>, [Option<i64>; 12])> = HashMap::new();
    each_row(
        tx,
        PLANS,
        &[
            "project_id",
            "annual",
            "m1",
            "m2",
            "m3",
            "m4",
            "m5",
            "m6",
            "m7",
            "m8",
            "m9",
            "m10",
            "m11",
            "m12",
        ],
        &y_m[..1],
        |r| {
            let Some(pid) = r.int(0) else {
                return;
            };
            let mut months = [None; 12];
            for (k, m) in months.iter_mut().enumerate() {
                *m = r.int(2 + k);
            }
            plans.insert(pid, (r.int(1), months));
        },
    )
    .await?;
    let mut sums: HashMap<i64, Option<i64>> = HashMap::new();
    each_row(tx, SUMS, &["project_id", "done"], &y_m, |r| {
        if let Some(pid) = r.int(0) {
            sums.insert(pid, r.int(1));
        }
    })
    .await?;
    // Each project's first start node with a planned date, and the nodes that can
    // matter to its light: not done and due by the end of the month.
    let mut start_nodes: HashMap<i64, ((i64, i64), NaiveDate)> = HashMap::new();
    let mut due: Vec<(i64, i64, i64, String, NaiveDate)> = Vec::new();
    let node_cols = [
        "project_id",
        "seq",
        "id",
        "name",
        "planned_date",
        "actual_date",
    ];
    each_row(tx, NODES, &node_cols, &[Val::D(Some(asof))], |r| {
        let (Some(pid), Some(planned), Some(name)) = (r.int(0), r.date(4), r.text(3)) else {
            return;
        };
        let order = (r.int(1).unwrap_or(0), r.int(2).unwrap_or(0));
        if name.contains("开工") {
            let e = start_nodes.entry(pid).or_insert((order, planned));
            if order < e.0 {
                *e = (order, planned);
            }
        }
        if r.is_null(5) && planned <= asof {
            due.push((pid, order.0, order.1, name.to_string(), planned));
        }
    })
    .await?;
    due.sort_by_key(|n| (n.0, n.1, n.2));
    let mut by_project: HashMap<i64, Vec<MilestoneState>> = HashMap::new();
    for (pid, _, _, name, planned) in due {
        by_project.entry(pid).or_default().push(MilestoneState {
            name,
            planned: Some(planned),
            actual: None,
        });
    }
    let mut basis: Vec<Basis> = Vec::new();
    each_row(
        tx,
        PROJECTS,
        &["id", "started", "start_date", "stage"],
        &[],
        |r| {
            let Some(id) = r.int(0) else {
                return;
            };
            let counted = sums.get(&id).copied();
            let reporting = matches!(r.text(3), Some("preparation" | "construction"));
            if !reporting && counted.is_none() {
                return;
            }
            let done = counted.flatten();
            let (annual, months) = plans.remove(&id).unwrap_or((None, [None; 12]));
            basis.push(Basis {
                id,
                started: r.flag(1),
                start_date: r.date(2),
                start_node: start_nodes.get(&id).map(|e| e.1),
                annual,
                months,
                done,
                milestones: Vec::new(),
            });
        },
    )
    .await?;
    basis.sort_by_key(|b| b.id);
    tracing::debug!(
        projects = basis.len(),
        ms = clock.elapsed().as_millis() as u64,
        "lights: basis and milestones read"
    );
    let now = crate::now();
    let mut summary = LightSummary {
        year,
        month,
        rule_version: version,
        ..Default::default()
    };
    for b in &mut basis {
        b.milestones = by_project.remove(&b.id).unwrap_or_default();
    }
    // Each light depends on its own basis only: evaluate, explain and digest them on
    // every core, in project order.
    let ctx = EvalCtx {
        rule: &rule,
        year,
        month,
        asof,
        version,
        now,
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let chunk = basis.len().div_ceil(threads).max(1);
    let rows: Vec<(i64, i64, Light, Vec<Val>)> = crate::raw::cpu(|| {
        std::thread::scope(|sc| {
            let parts: Vec<_> = basis
                .chunks(chunk)
                .map(|part| sc.spawn(|| part.iter().map(|b| eval_one(&ctx, b)).collect::<Vec<_>>()))
                .collect();
            parts
                .into_iter()
                .flat_map(|h| h.join().expect("evaluation does not panic"))
                .collect()
        })
    });
    let rows: Vec<(i64, i64, Vec<Val>)> = rows
        .into_iter()
        .map(|(id, d, light, row)| {
            summary.projects += 1;
            summary.counts[match light {
                Light::Green => 0,
                Light::Yellow => 1,
                Light::Red => 2,
                Light::None => 3,
            }] += 1;
            (id, d, row)
        })
        .collect();
    tracing::debug!(ms = clock.elapsed().as_millis() as u64, "lights: evaluated");
    // Only what changed is written: a light whose digest matches the stored one is kept
    // as it is; changed ones are replaced, new ones inserted, and the lights of projects
    // no longer lit removed.
    let mut stored: HashMap<i64, Option<i64>> = HashMap::new();
    each_row(
        tx,
        "SELECT project_id, digest FROM light WHERE year = $1 AND month = $2",
        &["project_id", "digest"],
        &y_m,
        |r| {
            if let Some(pid) = r.int(0) {
                stored.insert(pid, r.int(1));
            }
        },
    )
    .await?;
    let mut replace: Vec<i64> = Vec::new();
    let mut write: Vec<Vec<Val>> = Vec::new();
    for (pid, d, row) in rows {
        match stored.remove(&pid) {
            Some(Some(old)) if old == d => continue,
            Some(_) => replace.push(pid),
            None => {}
        }
        write.push(row);
    }
    replace.extend(stored.into_keys());
    replace.sort_unstable();
    summary.changed = write.len();
    let replaced = replace.len();
    if let Tx::Sqlite(t) = tx {
        // One prepared delete per light on SQLite's own handle: a rule change replaces
        // every light of the period.
        let rows: Vec<Vec<Val>> = replace
            .iter()
            .map(|id| vec![y_m[0].clone(), y_m[1].clone(), Val::I(*id)])
            .collect();
        crate::raw::each(
            t,
            "DELETE FROM light WHERE year = ? AND month = ? AND project_id = ?",
            &rows,
        )
        .await?;
        replace.clear();
    }
    for ids in replace.chunks(500) {
        let mut del =
            Sql::new("DELETE FROM light WHERE year = $1 AND month = $2 AND project_id IN ");
        del.vals = y_m.to_vec();
        del.bind_list(ids.iter().copied());
        exec_tx!(tx, c => bind_vals!(sqlx::query(sqlx::AssertSqlSafe(del.text.clone())), del.vals.clone()).execute(c).await)?;
    }
    tracing::debug!(
        replaced,
        ms = clock.elapsed().as_millis() as u64,
        "lights: changed and unlit removed"
    );
    crate::sql::insert_rows(
        tx,
        "INSERT INTO light (year, month, project_id, light, rule_version, annual, cumulative, target, ratio_bp, lag_bp, reasons, why, why_en, inputs, computed_at, digest)",
        write,
    )
    .await?;
    exec_tx!(tx, c => sqlx::query("UPDATE report_period SET lights_at = $1 WHERE id = $2").bind(now).bind(p.id).execute(c).await)?;
    tracing::debug!(
        written = summary.changed,
        ms = clock.elapsed().as_millis() as u64,
        "lights: written"
    );
    audit::record(
        tx,
        actor,
        "recompute",
        "light",
        p.key(),
        None,
        Some(&serde_json::json!(summary)),
    )
    .await?;
    Ok(summary)
}
