//! The monthly bulletin's figures and wording: everything it says is read here from the
//! period's stored lights, published arena results, problems and tasks, within the
//! caller's scope; the wording of each paragraph is a setting an admin may change.

use crate::report::{self, LightFilter};
use crate::{Actor, Db, Result, Tx, exec_tx, on_db, on_tx, problem, task};
use chrono::NaiveDate;
use gongjian_domain::access::Permission;
use gongjian_domain::arena::Period;
use gongjian_domain::bulletin::{
    self as b, ArenaLine, Block, Data, DivisionLine, Lagging, LateUnit,
};
use gongjian_domain::progress::{Light, Totals};
use std::collections::BTreeMap;

const PREFIX: &str = "bulletin.template.";

/// The city's name: the single root division's, else `全市`.
pub async fn city(db: &Db) -> Result<String> {
    let nodes = report::tree(db).await?;
    Ok(report::default_parent(&nodes)
        .and_then(|id| nodes.iter().find(|n| n.id == id))
        .map_or_else(|| "全市".to_string(), |n| n.name.clone()))
}

/// Gathers the figures of a month's bulletin within the actor's scope. Problems and
/// tasks are counted as of `today`.
pub async fn gather(
    db: &Db,
    actor: &Actor,
    year: i32,
    month: u32,
    today: NaiveDate,
) -> Result<Data> {
    actor.access.require(Permission::ProjectRead)?;
    let (groups, direct) = report::division_groups(db, actor, year, month, None).await?;
    let mut total = Totals::default();
    let mut divisions = Vec::new();
    for g in groups.iter().chain(direct.iter()) {
        total.merge(&g.totals);
    }
    for g in groups {
        divisions.push(DivisionLine {
            code: g.key,
            name: g.name,
            totals: g.totals,
            light: g.light,
            own: false,
        });
    }
    if let Some(g) = direct {
        divisions.push(DivisionLine {
            code: g.key,
            name: format!("{}本级", g.name),
            totals: g.totals,
            light: g.light,
            own: true,
        });
    }
    let mut lagging = Vec::new();
    let mut version = None;
    for light in ["red", "yellow"] {
        let f = LightFilter {
            light: Some(light.into()),
            ..Default::default()
        };
        for r in report::lights(db, actor, year, month, &f).await? {
            version = version.max(Some(r.rule_version));
            lagging.push(Lagging {
                code: r.code,
                name: r.name,
                division: r.division_name,
                light: Light::parse(&r.light).unwrap_or(Light::None),
                ratio_bp: r.ratio_bp,
                why: r.why,
            });
        }
    }
    let rule = match version {
        Some(v) => report::rule_version(db, v).await?.name,
        None => report::current_rule(db).await?.1.name,
    };
    let mut keys = vec![Period::Month(year, month).key()];
    if month.is_multiple_of(3) {
        keys.push(Period::Quarter(year, month.div_ceil(3)).key());
    }
    let mut arenas = Vec::new();
    for a in crate::arena::list(db).await? {
        for k in &keys {
            if let Some((_, r)) = crate::arena::published(db, &a.code, k).await? {
                let mut rows: Vec<_> = r
                    .participants
                    .into_iter()
                    .map(|p| (p.rank, p.name, p.score, p.flag))
                    .collect();
                rows.sort_by(|x, y| x.0.cmp(&y.0).then_with(|| x.1.cmp(&y.1)));
                arenas.push(ArenaLine {
                    name: a.name.clone(),
                    period: k.clone(),
                    rows,
                });
            }
        }
    }
    let funnel = problem::funnel(db, actor, today).await?;
    let get = |k: &str| funnel.iter().find(|f| f.0 == k).map_or(0, |f| f.1);
    let problems = [
        funnel
            .iter()
            .filter(|f| f.0 != "overdue")
            .map(|f| f.1)
            .sum(),
        get("closed"),
        get("overdue"),
    ];
    let all = task::all(db, actor, &task::TaskFilter::default(), today).await?;
    let tasks = [
        all.len() as i64,
        all.iter().filter(|t| t.status == "closed").count() as i64,
        all.iter().filter(|t| t.overdue_days(today) > 0).count() as i64,
    ];
    let mut late: BTreeMap<String, LateUnit> = BTreeMap::new();
    let entry = |m: &mut BTreeMap<String, LateUnit>, u: &str| {
        m.entry(u.to_string())
            .or_insert_with(|| LateUnit {
                unit: u.to_string(),
                overdue_problems: 0,
                overdue_tasks: 0,
                closed_late_tasks: 0,
            })
            .unit
            .clone()
    };
    for s in problem::unit_stats(db, actor, today).await? {
        if s.overdue > 0 {
            let k = entry(&mut late, &s.unit);
            late.get_mut(&k).expect("inserted").overdue_problems = s.overdue;
        }
    }
    for r in task::unit_records(db, actor, today).await? {
        if r.open_overdue > 0 || r.closed_late > 0 {
            let k = entry(&mut late, &r.unit);
            let e = late.get_mut(&k).expect("inserted");
            e.overdue_tasks = r.open_overdue;
            e.closed_late_tasks = r.closed_late;
        }
    }
    let mut late_units: Vec<LateUnit> = late.into_values().collect();
    late_units.sort_by(|a, b| {
        (b.overdue_problems + b.overdue_tasks)
            .cmp(&(a.overdue_problems + a.overdue_tasks))
            .then(b.closed_late_tasks.cmp(&a.closed_late_tasks))
            .then(a.unit.cmp(&b.unit))
    });
    Ok(Data {
        city: city(db).await?,
        year,
        month,
        as_of: today,
        rule,
        total,
        divisions,
        lagging,
        arenas,
        problems,
        tasks,
        late_units,
    })
}

/// The figures and the composed bulletin.
pub async fn compose(
    db: &Db,
    actor: &Actor,
    year: i32,
    month: u32,
    today: NaiveDate,
) -> Result<(Data, Vec<Block>)> {
    let data = gather(db, actor, year, month, today).await?;
    let blocks = b::compose(&data, &wording(db).await?)?;
    Ok((data, blocks))
}

/// The wording an admin has changed, by paragraph key (the rest use the defaults).
pub async fn wording(db: &Db) -> Result<BTreeMap<String, String>> {
    let rows: Vec<(String, String)> = on_db!(db, c => sqlx::query_as(
        "SELECT key, value FROM setting WHERE key LIKE 'bulletin.template.%'").fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .filter_map(|(k, v)| k.strip_prefix(PREFIX).map(|k| (k.to_string(), v)))
        .collect())
}

/// Changes a paragraph's wording (report.admin), or restores the default with `None`.
/// The new wording is checked first: only that paragraph's placeholders.
pub async fn set_wording(tx: &mut Tx, actor: &Actor, key: &str, text: Option<&str>) -> Result<()> {
    actor.access.require(Permission::ReportAdmin)?;
    let k = format!("{PREFIX}{key}");
    let before: Option<String> = on_tx!(tx, c => sqlx::query_scalar("SELECT value FROM setting WHERE key = $1").bind(k.clone()).fetch_optional(c).await)?;
    let text = text.map(str::trim).filter(|t| {
        // Saving the default text is the same as restoring it.
        b::paragraph(key).is_none_or(|p| p.default != *t)
    });
    match text {
        Some(t) => {
            b::check(key, t)?;
            exec_tx!(tx, c => sqlx::query("INSERT INTO setting (key, value, updated_by, updated_at) VALUES ($1, $2, $3, $4) \
                ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, updated_at = excluded.updated_at")
                .bind(k.clone()).bind(t.to_string()).bind(actor.name.clone()).bind(crate::now()).execute(c).await)?;
        }
        None => {
            b::check(key, b::paragraph(key).map_or("", |p| p.default))?;
            exec_tx!(tx, c => sqlx::query("DELETE FROM setting WHERE key = $1").bind(k.clone()).execute(c).await)?;
        }
    }
    crate::audit::record(
        tx,
        actor,
        "wording",
        "bulletin",
        key,
        before.map(|v| serde_json::json!(v)).as_ref(),
        text.map(|v| serde_json::json!(v)).as_ref(),
    )
    .await?;
    Ok(())
}
