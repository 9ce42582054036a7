//! Stored lights: recomputed for an open period from plans, counted reports and
//! milestones under the current rule; kept as they are once the period closes.

use super::*;
use crate::sql::Sql;
use crate::{Val, bind_vals};
use gongjian_domain::progress::{self as pg, Inputs, Light, MilestoneState, Totals};
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

/// Runs `select` (whose columns are listed in `cols`) and returns its rows as JSON
/// arrays: on SQLite read straight off the writer's handle, on PostgreSQL aggregated by
/// the database into one value.
async fn json_rows(
    tx: &mut Tx,
    select: &str,
    cols: &[&str],
    binds: &[Val],
) -> Result<Vec<Vec<serde_json::Value>>> {
    let list = cols.join(", ");
    let sql = match tx {
        Tx::Sqlite(t) => return crate::raw::json_rows(t, select, binds).await,
        Tx::Postgres(_) => {
            format!(
                "SELECT COALESCE(json_agg(json_build_array({list})), '[]')::text FROM ({select}) q"
            )
        }
    };
    let text: Option<String> = on_tx!(tx, c => bind_vals!(sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone())), binds.iter().cloned()).fetch_one(c).await)?;
    serde_json::from_str(text.as_deref().unwrap_or("[]"))
        .map_err(|e| StoreError::Config(format!("aggregated rows: {e}")))
}

fn j_i64(v: &serde_json::Value) -> Option<i64> {
    v.as_i64()
}

/// A stored date (`YYYY-MM-DD`, perhaps followed by a time), read without the general
/// date parser: a recomputation reads tens of thousands of them.
fn j_date(v: &serde_json::Value) -> Option<NaiveDate> {
    let b = v.as_str()?.as_bytes();
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
    let d = |s: &str| j_date(&serde_json::Value::from(s));
    assert_eq!(d("2026-03-09"), NaiveDate::from_ymd_opt(2026, 3, 9));
    assert_eq!(
        d("2026-12-31T00:00:00+00:00"),
        NaiveDate::from_ymd_opt(2026, 12, 31)
    );
    assert_eq!(d("2026-02-30"), None);
    assert_eq!(d("2026-3-09"), None);
    assert_eq!(d("2026-03-091"), None);
    assert_eq!(d("２０２６-03-09"), None);
    assert_eq!(j_date(&serde_json::Value::Null), None);
}

fn j_bool(v: &serde_json::Value) -> bool {
    v.as_bool()
        .unwrap_or_else(|| v.as_i64().is_some_and(|n| n != 0))
}

/// Recomputes every light of an open period inside `tx`.
pub async fn recompute_tx(
    tx: &mut Tx,
    actor: &Actor,
    year: i32,
    month: u32,
) -> Result<LightSummary> {
    actor.access.require(Permission::ReportAdmin)?;
    let p = period_tx(tx, year, month)
        .await?
        .ok_or_else(|| StoreError::not_found("报送期", "period", format!("{year}-{month:02}")))?;
    if !p.is_open() {
        return Err(StoreError::Conflict(DomainError::new(
            "period",
            format!("{} 报送期已关闭，灯号保持关闭时的结果，不再重算。", p.key()),
            format!(
                "The period {} is closed; its lights are kept as they were.",
                p.key()
            ),
        )));
    }
    let (version, rule) = current_rule_tx(tx).await?;
    let y = i64::from(year);
    let asof = pg::month_end(year, month);
    let clock = std::time::Instant::now();
    let y_m = [Val::I(y), Val::I(i64::from(month))];
    // Lit: the projects that report (in preparation or under construction), and any
    // other project with a counted report this year (e.g. completed since).
    let mut plans: HashMap<i64, (Option<i64>, [Option<i64>; 12])> = HashMap::new();
    for r in json_rows(
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
    )
    .await?
    {
        let Some(pid) = r.first().and_then(j_i64) else {
            continue;
        };
        let mut months = [None; 12];
        for (k, m) in months.iter_mut().enumerate() {
            *m = r.get(2 + k).and_then(j_i64);
        }
        plans.insert(pid, (r.get(1).and_then(j_i64), months));
    }
    let mut sums: HashMap<i64, Option<i64>> = HashMap::new();
    for r in json_rows(tx, SUMS, &["project_id", "done"], &y_m).await? {
        if let Some(pid) = r.first().and_then(j_i64) {
            sums.insert(pid, r.get(1).and_then(j_i64));
        }
    }
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
    for r in json_rows(tx, NODES, &node_cols, &[Val::D(Some(asof))]).await? {
        let (Some(pid), Some(planned), Some(name)) = (
            r.first().and_then(j_i64),
            r.get(4).and_then(j_date),
            r.get(3).and_then(|v| v.as_str()),
        ) else {
            continue;
        };
        let order = (
            r.get(1).and_then(j_i64).unwrap_or(0),
            r.get(2).and_then(j_i64).unwrap_or(0),
        );
        if name.contains("开工") {
            let e = start_nodes.entry(pid).or_insert((order, planned));
            if order < e.0 {
                *e = (order, planned);
            }
        }
        if r.get(5).is_none_or(serde_json::Value::is_null) && planned <= asof {
            due.push((pid, order.0, order.1, name.to_string(), planned));
        }
    }
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
    for r in json_rows(tx, PROJECTS, &["id", "started", "start_date", "stage"], &[]).await? {
        let Some(id) = r.first().and_then(j_i64) else {
            continue;
        };
        let counted = sums.get(&id).copied();
        let reporting = matches!(
            r.get(3).and_then(|v| v.as_str()),
            Some("preparation" | "construction")
        );
        if !reporting && counted.is_none() {
            continue;
        }
        let done = counted.flatten();
        let (annual, months) = plans.remove(&id).unwrap_or((None, [None; 12]));
        basis.push(Basis {
            id,
            started: r.get(1).is_some_and(j_bool),
            start_date: r.get(2).and_then(j_date),
            start_node: start_nodes.get(&id).map(|e| e.1),
            annual,
            months,
            done,
            milestones: Vec::new(),
        });
    }
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
    for r in json_rows(
        tx,
        "SELECT project_id, digest FROM light WHERE year = $1 AND month = $2",
        &["project_id", "digest"],
        &y_m,
    )
    .await?
    {
        if let Some(pid) = r.first().and_then(j_i64) {
            stored.insert(pid, r.get(1).and_then(j_i64));
        }
    }
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
            Sql::new("DELETE FROM light WHERE year = $1 AND month = $2 AND project_id IN (");
        del.vals = y_m.to_vec();
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                del.push(", ");
            }
            del.bind(*id);
        }
        del.push(")");
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

row_struct! {
    /// A project's stored light for a period.
    #[derive(Debug, Clone, serde::Serialize)]
    pub struct LightRow {
        pub project_id: i64,
        pub code: Option<String>,
        pub name: String,
        pub division_id: i64,
        pub division_code: String,
        pub division_name: String,
        pub level: String,
        pub category: String,
        pub light: String,
        pub rule_version: i64,
        pub annual: Option<i64>,
        pub cumulative: i64,
        pub target: Option<i64>,
        pub ratio_bp: Option<i64>,
        pub lag_bp: Option<i64>,
        pub reasons: String,
        pub why: String,
        pub why_en: String,
        /// When the light took its current result.
        pub computed_at: DateTime<Utc>,
        /// When the period's lights were last recomputed.
        pub lights_at: Option<DateTime<Utc>>,
    }
}

impl LightRow {
    /// Whether the period's last recomputation found this light's result unchanged.
    pub fn kept_by_last_recompute(&self) -> bool {
        self.lights_at.is_some_and(|t| t > self.computed_at)
    }
}

const LIGHT: &str = "SELECT l.project_id, p.code, p.name, p.division_id, d.code AS division_code, d.name AS division_name, p.level, p.category, \
    l.light, l.rule_version, l.annual, l.cumulative, l.target, l.ratio_bp, l.lag_bp, l.reasons, l.why, l.why_en, l.computed_at, \
    (SELECT rp.lights_at FROM report_period rp WHERE rp.year = l.year AND rp.month = l.month) AS lights_at \
    FROM light l JOIN project p ON p.id = l.project_id JOIN division d ON d.id = p.division_id";

/// Filters of the lights list.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct LightFilter {
    /// Division code: that division and everything below it.
    pub division_code: Option<String>,
    /// green, yellow, red or none.
    pub light: Option<String>,
    /// Level identifier.
    pub level: Option<String>,
    /// Category identifier.
    pub category: Option<String>,
    /// Name or code contains.
    pub q: Option<String>,
    /// At most this many rows.
    pub limit: Option<i64>,
}

/// The stored lights of a period for the projects the actor may see, in key-project
/// table order.
pub async fn lights(
    db: &Db,
    actor: &Actor,
    year: i32,
    month: u32,
    f: &LightFilter,
) -> Result<Vec<LightRow>> {
    actor.access.require(Permission::ProjectRead)?;
    let mut q = Sql::new(LIGHT);
    where_lights(&mut q, actor, year, month, f);
    q.push(" ORDER BY p.sort, p.id");
    if let Some(n) = f.limit {
        q.push(" LIMIT ").bind(n.max(0));
    }
    Ok(
        on_db!(db, c => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(c).await)?,
    )
}

fn where_lights(q: &mut Sql, actor: &Actor, year: i32, month: u32, f: &LightFilter) {
    q.push(" WHERE l.year = ")
        .bind(i64::from(year))
        .push(" AND l.month = ")
        .bind(i64::from(month));
    crate::project::and_scope(q, &actor.access.scope(Permission::ProjectRead));
    q.and_like(&["p.name", "p.code"], f.q.as_deref());
    if let Some(dc) = f.division_code.as_deref().filter(|s| !s.is_empty()) {
        q.push(" AND p.division_id IN (WITH RECURSIVE sub(id, depth) AS (SELECT id, 0 FROM division WHERE code = ")
            .bind(dc.trim())
            .push(" UNION ALL SELECT c.id, sub.depth + 1 FROM division c JOIN sub ON c.parent_id = sub.id WHERE sub.depth < 16) SELECT id FROM sub)");
    }
    for (col, v) in [
        ("l.light", &f.light),
        ("p.level", &f.level),
        ("p.category", &f.category),
    ] {
        if let Some(v) = v.as_deref().filter(|s| !s.is_empty()) {
            q.push(" AND ").push(col).push(" = ").bind(v);
        }
    }
}

/// How many lights of a period match a filter (its limit ignored), within the actor's
/// scope.
pub async fn count_lights(
    db: &Db,
    actor: &Actor,
    year: i32,
    month: u32,
    f: &LightFilter,
) -> Result<i64> {
    actor.access.require(Permission::ProjectRead)?;
    let mut q = Sql::new("SELECT COUNT(*) FROM light l JOIN project p ON p.id = l.project_id");
    where_lights(&mut q, actor, year, month, f);
    Ok(
        on_db!(db, c => bind_vals!(sqlx::query_scalar(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_one(c).await)?,
    )
}

/// One project's light with the inputs that made it, if visible to the actor.
pub async fn light_of(
    db: &Db,
    actor: &Actor,
    year: i32,
    month: u32,
    project_id: i64,
) -> Result<Option<(LightRow, String)>> {
    crate::project::get(db, actor, project_id, Permission::ProjectRead).await?;
    let sql = format!("{LIGHT} WHERE l.year = $1 AND l.month = $2 AND l.project_id = $3");
    let row: Option<LightRow> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(i64::from(year)).bind(i64::from(month)).bind(project_id).fetch_optional(c).await)?;
    let Some(row) = row else { return Ok(None) };
    let inputs: String = on_db!(db, c => sqlx::query_scalar("SELECT inputs FROM light WHERE year = $1 AND month = $2 AND project_id = $3").bind(i64::from(year)).bind(i64::from(month)).bind(project_id).fetch_one(c).await)?;
    Ok(Some((row, inputs)))
}

/// A project's lights month by month (its history), newest first.
pub async fn history(
    db: &Db,
    actor: &Actor,
    project_id: i64,
) -> Result<Vec<(i64, i64, String, String)>> {
    crate::project::get(db, actor, project_id, Permission::ProjectRead).await?;
    Ok(
        on_db!(db, c => sqlx::query_as("SELECT year, month, light, why FROM light WHERE project_id = $1 ORDER BY year DESC, month DESC").bind(project_id).fetch_all(c).await)?,
    )
}

row_struct! {
    /// A division of the tree.
    #[derive(Debug, Clone)]
    pub struct DivisionNode {
        pub id: i64,
        pub code: String,
        pub name: String,
        pub parent_id: Option<i64>,
    }
}

pub(crate) async fn tree(db: &Db) -> Result<Vec<DivisionNode>> {
    Ok(
        on_db!(db, c => sqlx::query_as("SELECT id, code, name, parent_id FROM division ORDER BY code").fetch_all(c).await)?,
    )
}

/// The division whose children the boards list when no parent is given: the single
/// root when there is one (a city), else none (several roots are listed themselves).
pub(crate) fn default_parent(nodes: &[DivisionNode]) -> Option<i64> {
    let roots: Vec<&DivisionNode> = nodes.iter().filter(|n| n.parent_id.is_none()).collect();
    (roots.len() == 1).then(|| roots[0].id)
}

/// For each project id, the group it falls in below `parent` (a division code; default
/// the root): the child division containing its division, or `parent` itself for
/// projects placed directly there.
pub(crate) async fn group_of(
    db: &Db,
    ids: &[i64],
    parent: Option<&str>,
) -> Result<HashMap<i64, (String, String)>> {
    let nodes = tree(db).await?;
    let parent_id = match parent.filter(|s| !s.is_empty()) {
        Some(code) => Some(
            nodes
                .iter()
                .find(|n| n.code == code)
                .map(|n| n.id)
                .ok_or_else(|| StoreError::not_found("区划", "division", code))?,
        ),
        None => default_parent(&nodes),
    };
    let by_id: HashMap<i64, &DivisionNode> = nodes.iter().map(|n| (n.id, n)).collect();
    let divs: Vec<(i64, i64)> =
        on_db!(db, c => sqlx::query_as("SELECT id, division_id FROM project").fetch_all(c).await)?;
    let divs: HashMap<i64, i64> = divs.into_iter().collect();
    let mut out = HashMap::new();
    for id in ids {
        let Some(mut d) = divs.get(id).copied() else {
            continue;
        };
        // Walk up until the node whose parent is `parent_id`.
        let mut found = None;
        for _ in 0..32 {
            let Some(n) = by_id.get(&d) else { break };
            if Some(n.id) == parent_id {
                found = Some(n);
                break;
            }
            if n.parent_id == parent_id {
                found = Some(n);
                break;
            }
            match n.parent_id {
                Some(p) => d = p,
                None => break,
            }
        }
        if let Some(n) = found {
            out.insert(*id, (n.code.clone(), n.name.clone()));
        }
    }
    Ok(out)
}

/// Figures of one group (division subtree, level, category).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Group {
    /// Division code, level or category identifier.
    pub key: String,
    /// Its name.
    pub name: String,
    /// Whether it is a division with divisions below it (drill-down possible).
    pub has_children: bool,
    /// Summed figures.
    pub totals: Totals,
    /// The group's light under the rule of the lights.
    pub light: Light,
}

async fn rule_of(db: &Db, version: Option<i64>) -> Result<LightRule> {
    match version {
        Some(v) if v > 0 => rule_version(db, v).await,
        _ => Ok(current_rule(db).await?.1),
    }
}

row_struct! {
    /// Lights of a period summed by division, level, category and light.
    #[derive(Debug, Clone)]
    pub struct Agg {
        pub division_id: i64,
        pub level: String,
        pub category: String,
        pub light: String,
        pub n: i64,
        pub annual: Option<i64>,
        pub cumulative: Option<i64>,
        pub target: Option<i64>,
        pub rule_version: Option<i64>,
    }
}

/// The period's lights within the actor's scope, summed in the database: at most a few
/// rows per division, however many projects there are.
async fn aggregate(db: &Db, actor: &Actor, year: i32, month: u32) -> Result<Vec<Agg>> {
    actor.access.require(Permission::ProjectRead)?;
    // Projects without a plan (light none) carry no amounts into the sums.
    let mut q = Sql::new(
        "SELECT p.division_id, p.level, p.category, l.light, COUNT(*) AS n, \
         CAST(SUM(CASE WHEN l.annual IS NULL THEN 0 ELSE l.annual END) AS BIGINT) AS annual, \
         CAST(SUM(CASE WHEN l.annual IS NULL THEN 0 ELSE l.cumulative END) AS BIGINT) AS cumulative, \
         CAST(SUM(CASE WHEN l.annual IS NULL THEN 0 ELSE l.target END) AS BIGINT) AS target, \
         MAX(l.rule_version) AS rule_version \
         FROM light l JOIN project p ON p.id = l.project_id WHERE l.year = ",
    );
    q.bind(i64::from(year))
        .push(" AND l.month = ")
        .bind(i64::from(month));
    crate::project::and_scope(&mut q, &actor.access.scope(Permission::ProjectRead));
    q.push(" GROUP BY p.division_id, p.level, p.category, l.light");
    Ok(
        on_db!(db, c => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(c).await)?,
    )
}

fn add(t: &mut Totals, a: &Agg) {
    t.add_many(
        a.n,
        a.annual.unwrap_or(0),
        a.cumulative.unwrap_or(0),
        a.target.unwrap_or(0),
        Light::parse(&a.light).unwrap_or(Light::None),
    );
}

/// Lights summed per child division of `parent` (default: the root's children), and
/// the projects placed directly in `parent` as one more group (if any), within the
/// actor's scope.
pub async fn division_groups(
    db: &Db,
    actor: &Actor,
    year: i32,
    month: u32,
    parent: Option<&str>,
) -> Result<(Vec<Group>, Option<Group>)> {
    let aggs = aggregate(db, actor, year, month).await?;
    let rule = rule_of(db, aggs.iter().filter_map(|a| a.rule_version).max()).await?;
    let nodes = tree(db).await?;
    let by_id: HashMap<i64, &DivisionNode> = nodes.iter().map(|n| (n.id, n)).collect();
    let parent_id = match parent.filter(|s| !s.is_empty()) {
        Some(code) => Some(
            nodes
                .iter()
                .find(|n| n.code == code)
                .map(|n| n.id)
                .ok_or_else(|| StoreError::not_found("区划", "division", code))?,
        ),
        None => default_parent(&nodes),
    };
    // The group of each division: the child of `parent_id` on its path (or the parent).
    let mut cache: HashMap<i64, Option<i64>> = HashMap::new();
    let mut group_of = |d: i64| -> Option<i64> {
        if let Some(g) = cache.get(&d) {
            return *g;
        }
        let mut cur = d;
        let mut found = None;
        for _ in 0..32 {
            let Some(n) = by_id.get(&cur) else { break };
            if Some(n.id) == parent_id || n.parent_id == parent_id {
                found = Some(n.id);
                break;
            }
            match n.parent_id {
                Some(p) => cur = p,
                None => break,
            }
        }
        cache.insert(d, found);
        found
    };
    let mut totals: HashMap<i64, Totals> = HashMap::new();
    for a in &aggs {
        if let Some(g) = group_of(a.division_id) {
            add(totals.entry(g).or_default(), a);
        }
    }
    let group = |id: i64, t: Totals| {
        let n = by_id.get(&id).expect("known division");
        Group {
            key: n.code.clone(),
            name: n.name.clone(),
            has_children: nodes.iter().any(|c| c.parent_id == Some(id)),
            light: t.light(&rule),
            totals: t,
        }
    };
    let direct = parent_id
        .and_then(|p| totals.remove(&p).map(|t| (p, t)))
        .map(|(p, t)| group(p, t));
    let mut out: Vec<Group> = totals.into_iter().map(|(id, t)| group(id, t)).collect();
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok((out, direct))
}

/// Lights summed per division subtree for every division with projects in it, and per
/// level and category, with every project, within the actor's scope: what
/// `gongjian progress` prints.
pub async fn rollup(db: &Db, actor: &Actor, year: i32, month: u32) -> Result<Rollup> {
    let aggs = aggregate(db, actor, year, month).await?;
    let version = aggs.iter().filter_map(|a| a.rule_version).max();
    let rule = rule_of(db, version).await?;
    let projects = lights(db, actor, year, month, &LightFilter::default()).await?;
    let nodes = tree(db).await?;
    let by_id: HashMap<i64, &DivisionNode> = nodes.iter().map(|n| (n.id, n)).collect();
    let mut own: HashMap<i64, Totals> = HashMap::new();
    let mut level: HashMap<String, Totals> = HashMap::new();
    let mut category: HashMap<String, Totals> = HashMap::new();
    for a in &aggs {
        add(own.entry(a.division_id).or_default(), a);
        add(level.entry(a.level.clone()).or_default(), a);
        add(category.entry(a.category.clone()).or_default(), a);
    }
    // Each division's own figures count for it and every ancestor.
    let mut div: HashMap<i64, Totals> = HashMap::new();
    for (id, t) in &own {
        let mut d = Some(*id);
        let mut guard = 0;
        while let Some(x) = d {
            div.entry(x).or_default().merge(t);
            d = by_id.get(&x).and_then(|n| n.parent_id);
            guard += 1;
            if guard > 32 {
                break;
            }
        }
    }
    let mut divisions: Vec<Group> = div
        .into_iter()
        .filter_map(|(id, t)| {
            let n = by_id.get(&id)?;
            Some(Group {
                key: n.code.clone(),
                name: n.name.clone(),
                has_children: nodes.iter().any(|c| c.parent_id == Some(id)),
                light: t.light(&rule),
                totals: t,
            })
        })
        .collect();
    divisions.sort_by(|a, b| a.key.cmp(&b.key));
    let group = |m: HashMap<String, Totals>| {
        let mut v: Vec<Group> = m
            .into_iter()
            .map(|(k, t)| Group {
                name: k.clone(),
                key: k,
                has_children: false,
                light: t.light(&rule),
                totals: t,
            })
            .collect();
        v.sort_by(|a, b| a.key.cmp(&b.key));
        v
    };
    Ok(Rollup {
        rule_version: version.unwrap_or(0),
        rule_name: rule.name.clone(),
        projects,
        divisions,
        levels: group(level),
        categories: group(category),
    })
}

/// A period's progress table for printing: the projects below a division (default the
/// root) each with the section (child division) it falls in, that division's groups,
/// and the rule the lights were made under.
#[derive(Debug, Clone)]
pub struct ProgressTable {
    /// The rule of the lights (for group lights and the footer).
    pub rule: LightRule,
    /// Its version.
    pub rule_version: i64,
    /// (section name, project light) in key-project table order.
    pub projects: Vec<(String, LightRow)>,
    /// One group per child division, then the projects placed directly at the parent.
    pub groups: Vec<Group>,
}

/// Builds the progress table of a period below `parent` (a division code).
pub async fn progress_table(
    db: &Db,
    actor: &Actor,
    year: i32,
    month: u32,
    parent: Option<&str>,
) -> Result<ProgressTable> {
    let (mut groups, direct) = division_groups(db, actor, year, month, parent).await?;
    groups.extend(direct.map(|mut g| {
        g.name = format!("{}本级", g.name);
        g.has_children = false;
        g
    }));
    let f = LightFilter {
        division_code: parent.map(str::to_string),
        ..Default::default()
    };
    let rows = lights(db, actor, year, month, &f).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.project_id).collect();
    let sections = group_of(db, &ids, parent).await?;
    let version = rows.iter().map(|r| r.rule_version).max();
    let rule = rule_of(db, version).await?;
    let rule_version = match version {
        Some(v) => v,
        None => current_rule(db).await?.0,
    };
    // Sections in the order of the groups (division code order, 本级 last); rows keep
    // the key-project table order within a section (the sort is stable).
    let order: HashMap<&str, (usize, &str)> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.key.as_str(), (i, g.name.as_str())))
        .collect();
    let mut keyed: Vec<(usize, String, LightRow)> = rows
        .into_iter()
        .map(|r| {
            match sections
                .get(&r.project_id)
                .and_then(|(code, _)| order.get(code.as_str()))
            {
                Some((i, name)) => (*i, (*name).to_string(), r),
                None => (usize::MAX, r.division_name.clone(), r),
            }
        })
        .collect();
    keyed.sort_by_key(|(i, _, _)| *i);
    let projects = keyed.into_iter().map(|(_, s, r)| (s, r)).collect();
    Ok(ProgressTable {
        rule,
        rule_version,
        projects,
        groups,
    })
}

/// Every figure of a period's progress.
#[derive(Debug, Clone)]
pub struct Rollup {
    /// Rule version of the lights.
    pub rule_version: i64,
    /// Rule name.
    pub rule_name: String,
    /// Per project.
    pub projects: Vec<LightRow>,
    /// Per division subtree.
    pub divisions: Vec<Group>,
    /// Per level.
    pub levels: Vec<Group>,
    /// Per category.
    pub categories: Vec<Group>,
}

/// A ratio in basis points as a JSON number with four decimals (e.g. 0.8533).
fn ratio_json(bp: Option<i64>) -> serde_json::Value {
    match bp {
        Some(b) => serde_json::Number::from_f64(b as f64 / 10_000.0)
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        None => serde_json::Value::Null,
    }
}

fn wan_opt(v: Option<i64>) -> serde_json::Value {
    v.map_or(serde_json::Value::Null, |y| {
        serde_json::Value::String(gongjian_domain::money::wan(y))
    })
}

/// A period's progress as `gongjian progress --json` and `GET /api/v1/progress` print
/// it: amounts in 万元 as exact decimal strings, ratios as numbers, lights as `green`,
/// `yellow`, `red` or `none` (no annual plan).
pub fn progress_json(period: &str, r: &Rollup) -> serde_json::Value {
    use gongjian_domain::money::wan;
    let group = |g: &Group| {
        serde_json::json!({
            "projects": g.totals.projects,
            "annual_plan_wan": wan(g.totals.annual),
            "cumulative_wan": wan(g.totals.cumulative),
            "target_wan": wan(g.totals.target),
            "ratio": ratio_json(g.totals.ratio_bp()),
            "light": g.light.as_str(),
            "lights": {"green": g.totals.lights[0], "yellow": g.totals.lights[1], "red": g.totals.lights[2], "none": g.totals.lights[3]},
        })
    };
    serde_json::json!({
        "period": period,
        "rule": {"version": r.rule_version, "name": r.rule_name},
        "projects": r.projects.iter().map(|p| serde_json::json!({
            "code": p.code,
            "name": p.name,
            "division_code": p.division_code,
            "annual_plan_wan": wan_opt(p.annual),
            "cumulative_wan": wan(p.cumulative),
            "target_wan": wan_opt(p.target),
            "ratio": ratio_json(p.ratio_bp),
            "light": p.light,
            "why": p.why,
        })).collect::<Vec<_>>(),
        "divisions": r.divisions.iter().map(|g| {
            let mut v = group(g);
            v["division_code"] = serde_json::Value::String(g.key.clone());
            v["division_name"] = serde_json::Value::String(g.name.clone());
            v
        }).collect::<Vec<_>>(),
        "levels": r.levels.iter().map(|g| { let mut v = group(g); v["level"] = serde_json::Value::String(g.key.clone()); v }).collect::<Vec<_>>(),
        "categories": r.categories.iter().map(|g| { let mut v = group(g); v["category"] = serde_json::Value::String(g.key.clone()); v }).collect::<Vec<_>>(),
    })
}

/// A division and its ancestors as (code, name), root first: the drill-down trail.
pub async fn ancestors(db: &Db, code: &str) -> Result<Vec<(String, String)>> {
    let nodes = tree(db).await?;
    let by_id: HashMap<i64, &DivisionNode> = nodes.iter().map(|n| (n.id, n)).collect();
    let mut cur = nodes.iter().find(|n| n.code == code);
    let mut out = Vec::new();
    while let Some(n) = cur {
        out.push((n.code.clone(), n.name.clone()));
        cur = n.parent_id.and_then(|p| by_id.get(&p).copied());
        if out.len() > 32 {
            break;
        }
    }
    out.reverse();
    Ok(out)
}
