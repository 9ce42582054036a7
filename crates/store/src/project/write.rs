//! Writing projects: one at a time (forms, API) or in bulk (imports, the generator),
//! with change detection, scope checks before and after, stage history and audit.

#[allow(unused_imports)]
use super::*;
#[allow(unused_imports)]
use super::{admin::*, bulk::*, check::*, plan::*};

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    /// A new project.
    Created(i64),
    /// An existing project changed.
    Updated(i64),
    /// An existing project was already exactly so.
    Unchanged(i64),
}

impl Saved {
    /// The project id.
    pub fn id(self) -> i64 {
        match self {
            Saved::Created(i) | Saved::Updated(i) | Saved::Unchanged(i) => i,
        }
    }
}

/// The project that holds a national project code, if any.
async fn code_owner(tx: &mut Tx, code: &str) -> Result<Option<i64>> {
    Ok(
        on_tx!(tx, c => sqlx::query_scalar("SELECT id FROM project WHERE code = $1").bind(code.to_string()).fetch_optional(c).await)?,
    )
}

/// Creates a project.
pub async fn create(tx: &mut Tx, actor: &Actor, input: &ProjectInput) -> Result<Project> {
    actor.access.require(Permission::ProjectWrite)?;
    let mut r = Resolver::load(tx).await?;
    let c = r.check(input).map_err(first_error)?;
    if let Some(code) = &c.code
        && code_owner(tx, code).await?.is_some()
    {
        return Err(StoreError::Conflict(DomainError::new(
            "code",
            format!("项目代码“{code}”已被其他项目使用。"),
            format!("Project code '{code}' is already used."),
        )));
    }
    let mut chain = audit::Chain::load(tx).await?;
    let id = save(tx, actor, &mut r, &mut chain, None, &c).await?.id();
    Ok(by_id_tx(tx, id).await?.expect("just saved"))
}

/// Edits a project: every field of the input replaces the stored one; a different
/// stage must be an allowed transition and is logged.
pub async fn update(tx: &mut Tx, actor: &Actor, id: i64, input: &ProjectInput) -> Result<Project> {
    actor.access.require(Permission::ProjectWrite)?;
    let mut r = Resolver::load(tx).await?;
    let c = r.check(input).map_err(first_error)?;
    if let Some(code) = &c.code
        && code_owner(tx, code).await?.is_some_and(|other| other != id)
    {
        return Err(StoreError::Conflict(DomainError::new(
            "code",
            format!("项目代码“{code}”已被其他项目使用。"),
            format!("Project code '{code}' is already used."),
        )));
    }
    let mut chain = audit::Chain::load(tx).await?;
    save(tx, actor, &mut r, &mut chain, Some(id), &c).await?;
    Ok(by_id_tx(tx, id).await?.expect("exists"))
}

/// The state of a project as the audit log and change detection see it. Built the
/// same way from a checked input and from the database, so "unchanged" is exact.
pub(super) fn snapshot_of<'a>(
    c: &'a Checked,
    sort: i64,
    plan: Option<&'a CheckedPlan>,
) -> Snapshot<'a> {
    Snapshot {
        code: c.code.as_deref(),
        name: &c.name,
        level: c.level.as_str(),
        category: c.category.as_str(),
        nature: c.nature.as_str(),
        stage: c.stage.as_str(),
        division_id: c.division_id,
        owner_name: c.owner_name.as_deref(),
        owner_credit_code: c.owner_credit_code.as_deref(),
        owner_unit_id: c.owner_unit_id,
        responsible_unit_id: c.responsible_unit_id,
        contact_leader_id: c.contact_leader_id,
        plan_doc: c.plan_doc.as_deref(),
        total_investment: c.total_investment,
        start_year: c.start_year,
        end_year: c.end_year,
        land_mu: c.land_mu,
        started: c.started,
        start_date: c.start_date,
        description: c.description.as_deref(),
        sort,
        cooperators: &c.cooperators,
        members: &c.members,
        tags: &c.tags,
        plan: plan.map(|p| PlanSnapshot {
            year: p.year,
            annual: p.annual,
            months: &p.months,
            mismatch: p.mismatch,
        }),
    }
}

/// A project as the audit log records it and change detection compares it: built the
/// same way from a checked input and from the stored rows. Empty fields are left out.
#[derive(Debug, PartialEq, serde::Serialize)]
pub(super) struct Snapshot<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
    name: &'a str,
    level: &'a str,
    category: &'a str,
    nature: &'a str,
    stage: &'a str,
    division_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    owner_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    owner_credit_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    owner_unit_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    responsible_unit_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    contact_leader_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    plan_doc: Option<&'a str>,
    total_investment: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_year: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_year: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    land_mu: Option<i64>,
    started: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    sort: i64,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    cooperators: &'a BTreeSet<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    members: &'a Vec<(String, Option<String>)>,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    tags: &'a BTreeSet<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    plan: Option<PlanSnapshot<'a>>,
}

/// The plan part of a [`Snapshot`].
#[derive(Debug, PartialEq, serde::Serialize)]
pub(super) struct PlanSnapshot<'a> {
    year: i64,
    annual: i64,
    months: &'a [Option<i64>; 12],
    mismatch: bool,
}

impl Snapshot<'_> {
    fn json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("serialisable")
    }

    pub(super) fn text(&self) -> String {
        serde_json::to_string(self).expect("serialisable")
    }
}

/// The stored project read back into the shape of a checked input.
pub(super) async fn stored(
    tx: &mut Tx,
    p: &Project,
    plan_year: Option<i64>,
) -> Result<(Checked, Option<CheckedPlan>)> {
    let id = p.id;
    let coop: Vec<i64> = on_tx!(tx, c => sqlx::query_scalar("SELECT unit_id FROM project_cooperator WHERE project_id = $1").bind(id).fetch_all(c).await)?;
    let members: Vec<(String, Option<String>)> = on_tx!(tx, c => sqlx::query_as("SELECT name, duty FROM project_member WHERE project_id = $1 ORDER BY seq").bind(id).fetch_all(c).await)?;
    let tags: Vec<String> = on_tx!(tx, c => sqlx::query_scalar("SELECT tag FROM project_tag WHERE project_id = $1").bind(id).fetch_all(c).await)?;
    let plan = match plan_year {
        Some(y) => {
            let row: Option<PlanRow> = on_tx!(tx, c => sqlx::query_as("SELECT * FROM project_plan WHERE project_id = $1 AND year = $2").bind(id).bind(y).fetch_optional(c).await)?;
            row.map(|r| plan_of(&r))
        }
        None => None,
    };
    Ok((checked_of(p, coop, members, tags)?, plan))
}

pub(super) fn plan_of(r: &PlanRow) -> CheckedPlan {
    CheckedPlan {
        year: r.year,
        annual: r.annual,
        months: r.months(),
        mismatch: r.mismatch,
    }
}

/// A stored project in the shape of a checked input, from its row and children.
pub(super) fn checked_of(
    p: &Project,
    coop: Vec<i64>,
    members: Vec<(String, Option<String>)>,
    tags: Vec<String>,
) -> Result<Checked> {
    Ok(Checked {
        code: p.code.clone(),
        name: p.name.clone(),
        level: Level::parse(&p.level)?,
        category: Category::parse(&p.category)?,
        nature: Nature::parse(&p.nature)?,
        stage: Stage::parse(&p.stage)?,
        division_id: p.division_id,
        division_code: p.division_code.clone(),
        gov_unit_id: p.gov_unit_id,
        owner_name: p.owner_name.clone(),
        owner_credit_code: p.owner_credit_code.clone(),
        owner_unit_id: p.owner_unit_id,
        responsible_unit_id: p.responsible_unit_id,
        cooperators: coop.into_iter().collect(),
        contact_leader_id: p.contact_leader_id,
        members,
        plan_doc: p.plan_doc.clone(),
        total_investment: p.total_investment,
        plan: None,
        start_year: p.start_year,
        end_year: p.end_year,
        land_mu: p.land_mu,
        started: p.started,
        start_date: p.start_date,
        tags: tags.into_iter().collect(),
        description: p.description.clone(),
        sort: Some(p.sort),
    })
}

macro_rules! bind_project {
    ($q:expr, $c:expr, $sort:expr, $now:expr) => {
        $q.bind($c.code.clone())
            .bind($c.name.clone())
            .bind($c.level.as_str())
            .bind($c.category.as_str())
            .bind($c.nature.as_str())
            .bind($c.stage.as_str())
            .bind($c.division_id)
            .bind($c.owner_name.clone())
            .bind($c.owner_credit_code.clone())
            .bind($c.owner_unit_id)
            .bind($c.responsible_unit_id)
            .bind($c.contact_leader_id)
            .bind($c.plan_doc.clone())
            .bind($c.total_investment)
            .bind($c.start_year)
            .bind($c.end_year)
            .bind($c.land_mu)
            .bind($c.started)
            .bind($c.start_date)
            .bind($c.description.clone())
            .bind($sort)
            .bind($c.stage != Stage::Terminated)
            .bind($now)
    };
}

pub(super) fn code_taken(e: sqlx::Error) -> StoreError {
    StoreError::from(e).map_unique(
        "project.code",
        "code",
        "项目代码已被其他项目使用。",
        "The project code is already used.",
    )
}

/// Writes a checked project (new when `id` is `None`), checks scope before and after,
/// logs a stage change, and appends the audit record to `chain`. A project that would
/// not change is not touched and not audited.
pub async fn save(
    tx: &mut Tx,
    actor: &Actor,
    r: &mut Resolver,
    chain: &mut audit::Chain,
    id: Option<i64>,
    c: &Checked,
) -> Result<Saved> {
    require_write(actor, c.scope_units())?;
    let now = crate::now();
    let today = chrono::Local::now().date_naive();
    let saved = match id {
        Some(id) => {
            let old = by_id_tx(tx, id)
                .await?
                .ok_or_else(|| StoreError::not_found("项目", "project", id))?;
            require_write(actor, old.scope_units())?;
            let (was, old_plan) = stored(tx, &old, c.plan.as_ref().map(|p| p.year)).await?;
            let sort = c.sort.unwrap_or(old.sort);
            let before = snapshot_of(&was, old.sort, old_plan.as_ref());
            let after = snapshot_of(c, sort, c.plan.as_ref());
            if before == after {
                return Ok(Saved::Unchanged(id));
            }
            if was.stage != c.stage {
                was.stage.check_move(c.stage)?;
            }
            let sql = "UPDATE project SET code = $1, name = $2, level = $3, category = $4, nature = $5, stage = $6, \
                 division_id = $7, owner_name = $8, owner_credit_code = $9, owner_unit_id = $10, responsible_unit_id = $11, \
                 contact_leader_id = $12, plan_doc = $13, total_investment = $14, start_year = $15, end_year = $16, land_mu = $17, \
                 started = $18, start_date = $19, description = $20, sort = $21, active = $22, updated_at = $23 WHERE id = $24";
            exec_tx!(tx, cn => bind_project!(sqlx::query(sql), c, sort, now).bind(id).execute(cn).await).map_err(code_taken)?;
            if was.cooperators != c.cooperators {
                exec_tx!(tx, cn => sqlx::query("DELETE FROM project_cooperator WHERE project_id = $1").bind(id).execute(cn).await)?;
            }
            if was.members != c.members {
                exec_tx!(tx, cn => sqlx::query("DELETE FROM project_member WHERE project_id = $1").bind(id).execute(cn).await)?;
            }
            if was.tags != c.tags {
                exec_tx!(tx, cn => sqlx::query("DELETE FROM project_tag WHERE project_id = $1").bind(id).execute(cn).await)?;
            }
            write_children(tx, id, c, Some(&was)).await?;
            if was.stage != c.stage {
                log_stage(tx, actor, id, Some(was.stage), c.stage, today, now).await?;
            }
            chain
                .append_on(
                    &mut crate::raw::Conn::of(tx).await?,
                    actor,
                    "update",
                    "project",
                    id,
                    Some(&before.json()),
                    Some(&after.json()),
                )
                .await?;
            Saved::Updated(id)
        }
        None => {
            let sort = match c.sort {
                Some(s) => s,
                None => on_tx!(tx, cn => sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(sort) FROM project").fetch_one(cn).await)?.unwrap_or(0) + 10,
            };
            let sql = "INSERT INTO project (code, name, level, category, nature, stage, division_id, owner_name, owner_credit_code, \
                 owner_unit_id, responsible_unit_id, contact_leader_id, plan_doc, total_investment, start_year, end_year, land_mu, \
                 started, start_date, description, sort, active, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $23) RETURNING id";
            let id: i64 = on_tx!(tx, cn => bind_project!(sqlx::query_scalar(sql), c, sort, now).fetch_one(cn).await).map_err(code_taken)?;
            write_children(tx, id, c, None).await?;
            log_stage(tx, actor, id, None, c.stage, today, now).await?;
            let after = snapshot_of(c, sort, c.plan.as_ref());
            chain
                .append_on(
                    &mut crate::raw::Conn::of(tx).await?,
                    actor,
                    "create",
                    "project",
                    id,
                    None,
                    Some(&after.json()),
                )
                .await?;
            Saved::Created(id)
        }
    };
    r.remember(saved.id(), c);
    Ok(saved)
}

/// Writes the children that differ from `was` (all of them for a new project).
pub(super) async fn write_children(
    tx: &mut Tx,
    id: i64,
    c: &Checked,
    was: Option<&Checked>,
) -> Result<()> {
    if was.is_none_or(|w| w.cooperators != c.cooperators) {
        for u in &c.cooperators {
            exec_tx!(tx, cn => sqlx::query("INSERT INTO project_cooperator (project_id, unit_id) VALUES ($1, $2)").bind(id).bind(*u).execute(cn).await)?;
        }
    }
    if was.is_none_or(|w| w.members != c.members) {
        for (i, (name, duty)) in c.members.iter().enumerate() {
            exec_tx!(tx, cn => sqlx::query("INSERT INTO project_member (project_id, seq, name, duty) VALUES ($1, $2, $3, $4)").bind(id).bind(i as i64).bind(name.clone()).bind(duty.clone()).execute(cn).await)?;
        }
    }
    if was.is_none_or(|w| w.tags != c.tags) {
        for t in &c.tags {
            exec_tx!(tx, cn => sqlx::query("INSERT INTO project_tag (project_id, tag) VALUES ($1, $2)").bind(id).bind(t.clone()).execute(cn).await)?;
        }
    }
    if let Some(p) = &c.plan {
        put_plan(tx, id, p).await?;
    }
    Ok(())
}

pub(super) async fn log_stage(
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    from: Option<Stage>,
    to: Stage,
    on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<()> {
    exec_tx!(tx, cn => sqlx::query("INSERT INTO project_stage_log (project_id, from_stage, to_stage, on_date, note, actor_name, at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(id).bind(from.map(|s| s.as_str())).bind(to.as_str()).bind(on).bind(None::<String>).bind(actor.name.clone()).bind(now).execute(cn).await)?;
    exec_tx!(tx, cn => sqlx::query("UPDATE project SET stage_date = $1 WHERE id = $2").bind(on).bind(id).execute(cn).await)?;
    Ok(())
}

pub(super) async fn put_plan(tx: &mut Tx, id: i64, p: &CheckedPlan) -> Result<()> {
    let m = p.months;
    let sql = "INSERT INTO project_plan (project_id, year, annual, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, mismatch) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
             ON CONFLICT (project_id, year) DO UPDATE SET annual = EXCLUDED.annual, m1 = EXCLUDED.m1, m2 = EXCLUDED.m2, m3 = EXCLUDED.m3, \
             m4 = EXCLUDED.m4, m5 = EXCLUDED.m5, m6 = EXCLUDED.m6, m7 = EXCLUDED.m7, m8 = EXCLUDED.m8, m9 = EXCLUDED.m9, m10 = EXCLUDED.m10, \
             m11 = EXCLUDED.m11, m12 = EXCLUDED.m12, mismatch = EXCLUDED.mismatch";
    exec_tx!(tx, cn => sqlx::query(sql).bind(id).bind(p.year).bind(p.annual)
        .bind(m[0]).bind(m[1]).bind(m[2]).bind(m[3]).bind(m[4]).bind(m[5]).bind(m[6]).bind(m[7]).bind(m[8]).bind(m[9]).bind(m[10]).bind(m[11])
        .bind(p.mismatch).execute(cn).await)?;
    Ok(())
}
