//! Writing a whole ledger at once: every row checked first, stored projects compared in
//! memory, new projects inserted many rows per statement, all in the caller's transaction.

#[allow(unused_imports)]
use super::*;
#[allow(unused_imports)]
use super::{admin::*, check::*, plan::*, write::*};
use crate::Val;

/// Every stored project with its children and plans, for comparing a whole ledger at
/// once: (project, checked form, plans by year).
pub(super) async fn preload(
    tx: &mut Tx,
) -> Result<HashMap<i64, (Project, Checked, HashMap<i64, CheckedPlan>)>> {
    let sql = format!("{SELECT} WHERE CAST($1 AS BIGINT) IS NOT NULL");
    let projects: Vec<Project> = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(this_year()).fetch_all(c).await)?;
    let mut coop: HashMap<i64, Vec<i64>> = HashMap::new();
    let rows: Vec<(i64, i64)> = on_tx!(tx, c => sqlx::query_as("SELECT project_id, unit_id FROM project_cooperator").fetch_all(c).await)?;
    for (p, u) in rows {
        coop.entry(p).or_default().push(u);
    }
    let mut members: HashMap<i64, Vec<(String, Option<String>)>> = HashMap::new();
    let rows: Vec<(i64, String, Option<String>)> = on_tx!(tx, c => sqlx::query_as("SELECT project_id, name, duty FROM project_member ORDER BY project_id, seq").fetch_all(c).await)?;
    for (p, n, d) in rows {
        members.entry(p).or_default().push((n, d));
    }
    let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
    let rows: Vec<(i64, String)> = on_tx!(tx, c => sqlx::query_as("SELECT project_id, tag FROM project_tag").fetch_all(c).await)?;
    for (p, t) in rows {
        tags.entry(p).or_default().push(t);
    }
    let mut plans: HashMap<i64, HashMap<i64, CheckedPlan>> = HashMap::new();
    let rows: Vec<PlanRow> =
        on_tx!(tx, c => sqlx::query_as("SELECT * FROM project_plan").fetch_all(c).await)?;
    for r in rows {
        plans
            .entry(r.project_id)
            .or_default()
            .insert(r.year, plan_of(&r));
    }
    let mut out = HashMap::with_capacity(projects.len());
    for p in projects {
        let c = checked_of(
            &p,
            coop.remove(&p.id).unwrap_or_default(),
            members.remove(&p.id).unwrap_or_default(),
            tags.remove(&p.id).unwrap_or_default(),
        )?;
        let year_plans = plans.remove(&p.id).unwrap_or_default();
        out.insert(p.id, (p, c, year_plans));
    }
    Ok(out)
}

/// New projects' rows for every table, with their audit records chained: built off the
/// database (on the import's reading thread, on SQLite) and written by
/// [`BulkWrite::insert`].
pub struct Prepared {
    ids: Vec<i64>,
    projects: Vec<Vec<Val>>,
    members: Vec<Vec<Val>>,
    tags: Vec<Vec<Val>>,
    coops: Vec<Vec<Val>>,
    plans: Vec<Vec<Val>>,
    stages: Vec<Vec<Val>>,
    audits: Vec<Vec<Val>>,
}

impl Prepared {
    /// New projects in it.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether it holds no project.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Builds the rows of new projects: their sort keys, stage log and audit records, chained
/// after the head of the audit chain that the bulk write holds.
pub struct Prep {
    actor: Actor,
    chain: audit::Chain,
    /// The last sort key given.
    sort: i64,
    /// The next project id, when ids are given without the database: on SQLite, where
    /// the transaction holds the one writer, ids above every existing one are free.
    next_id: Option<i64>,
}

impl Prep {
    /// The rows of `items`, ids given in turn from the next free one. Only a
    /// preparation lent out ([`BulkWrite::lend`]) gives ids.
    pub fn prepare(&mut self, items: &[Checked]) -> Prepared {
        let first = self.next_id.expect("a preparation lent out gives ids");
        let ids: Vec<i64> = (first..first + items.len() as i64).collect();
        self.next_id = Some(first + items.len() as i64);
        self.rows(items, ids)
    }

    fn rows(&mut self, items: &[Checked], ids: Vec<i64>) -> Prepared {
        let now = crate::now();
        let today = chrono::Local::now().date_naive();
        let (mut projects, mut members, mut tags, mut coops, mut plans, mut stages, mut audits) = (
            Vec::with_capacity(items.len()),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::with_capacity(items.len()),
            Vec::with_capacity(items.len()),
        );
        for (c, id) in items.iter().zip(&ids) {
            let id = *id;
            let s = c.sort.unwrap_or_else(|| {
                self.sort += 10;
                self.sort
            });
            projects.push(vec![
                Val::I(id),
                Val::OS(c.code.clone()),
                Val::S(c.name.clone()),
                Val::S(c.level.as_str().into()),
                Val::S(c.category.as_str().into()),
                Val::S(c.nature.as_str().into()),
                Val::S(c.stage.as_str().into()),
                Val::D(Some(today)),
                Val::I(c.division_id),
                Val::OS(c.owner_name.clone()),
                Val::OS(c.owner_credit_code.clone()),
                Val::OI(c.owner_unit_id),
                Val::OI(c.responsible_unit_id),
                Val::OI(c.contact_leader_id),
                Val::OS(c.plan_doc.clone()),
                Val::I(c.total_investment),
                Val::OI(c.start_year),
                Val::OI(c.end_year),
                Val::OI(c.land_mu),
                Val::B(c.started),
                Val::D(c.start_date),
                Val::OS(c.description.clone()),
                Val::I(s),
                Val::B(c.stage != Stage::Terminated),
                Val::T(now),
                Val::T(now),
            ]);
            for (i, (name, duty)) in c.members.iter().enumerate() {
                members.push(vec![
                    Val::I(id),
                    Val::I(i as i64),
                    Val::S(name.clone()),
                    Val::OS(duty.clone()),
                ]);
            }
            for t in &c.tags {
                tags.push(vec![Val::I(id), Val::S(t.clone())]);
            }
            for u in &c.cooperators {
                coops.push(vec![Val::I(id), Val::I(*u)]);
            }
            if let Some(p) = &c.plan {
                let mut row = vec![Val::I(id), Val::I(p.year), Val::I(p.annual)];
                row.extend(p.months.iter().map(|m| Val::OI(*m)));
                row.push(Val::B(p.mismatch));
                plans.push(row);
            }
            stages.push(vec![
                Val::I(id),
                Val::OS(None),
                Val::S(c.stage.as_str().into()),
                Val::D(Some(today)),
                Val::OS(None),
                Val::S(self.actor.name.clone()),
                Val::T(now),
            ]);
            audits.push(self.chain.link(
                &self.actor,
                now,
                (
                    "create",
                    "project",
                    id.to_string(),
                    None,
                    Some(snapshot_of(c, s, c.plan.as_ref()).text()),
                ),
            ));
        }
        Prepared {
            ids,
            projects,
            members,
            tags,
            coops,
            plans,
            stages,
            audits,
        }
    }
}

/// Writes prepared new projects.
async fn insert_prepared(tx: &mut Tx, p: &Prepared) -> Result<()> {
    use crate::sql::insert_rows_ref as insert_rows;
    insert_rows(tx, "INSERT INTO project (id, code, name, level, category, nature, stage, stage_date, division_id, owner_name, owner_credit_code, \
        owner_unit_id, responsible_unit_id, contact_leader_id, plan_doc, total_investment, start_year, end_year, land_mu, \
        started, start_date, description, sort, active, created_at, updated_at)", &p.projects).await.map_err(|e| match e {
        StoreError::Db(e) => code_taken(e),
        e => e,
    })?;
    insert_rows(
        tx,
        "INSERT INTO project_member (project_id, seq, name, duty)",
        &p.members,
    )
    .await?;
    insert_rows(tx, "INSERT INTO project_tag (project_id, tag)", &p.tags).await?;
    insert_rows(
        tx,
        "INSERT INTO project_cooperator (project_id, unit_id)",
        &p.coops,
    )
    .await?;
    insert_rows(tx, "INSERT INTO project_plan (project_id, year, annual, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, mismatch)", &p.plans).await?;
    insert_rows(tx, "INSERT INTO project_stage_log (project_id, from_stage, to_stage, on_date, note, actor_name, at)", &p.stages).await?;
    audit::insert_linked(tx, &p.audits).await
}

/// One row of a bulk write (import or generator): the input and where it came from.
pub struct BulkRow<'a> {
    /// The project as written.
    pub input: &'a ProjectInput,
    /// Sheet name, for error reports.
    pub sheet: &'a str,
    /// 1-based row number, for error reports.
    pub row: usize,
}

/// An error of one row of a bulk write.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    /// Sheet name.
    pub sheet: String,
    /// Row number.
    pub row: usize,
    /// The input field at fault.
    pub field: String,
    /// Chinese message.
    pub message: String,
    /// English message.
    pub message_en: String,
}

/// What a bulk write did or would do.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct BulkOutcome {
    /// New projects.
    pub imported: usize,
    /// Existing projects changed.
    pub updated: usize,
    /// Rows not written: unchanged projects, or rows with errors under `valid_only`.
    pub skipped: usize,
    /// Rows with errors.
    pub errors: Vec<RowError>,
}

/// Checks every row, then (unless `dry_run`) writes inside `tx`: all rows when none has
/// an error, or — with `valid_only` — the rows without errors. With errors and without
/// `valid_only` nothing is written. The caller commits or rolls back `tx`.
pub async fn bulk_upsert(
    tx: &mut Tx,
    actor: &Actor,
    rows: &[BulkRow<'_>],
    dry_run: bool,
    valid_only: bool,
) -> Result<BulkOutcome> {
    let mut check = BulkCheck::load(tx, actor, valid_only).await?;
    let new: Vec<Checked> = rows.iter().filter_map(|r| check.row(r)).collect();
    let mut write = BulkWrite::begin(tx, actor).await?;
    if !check.refused() {
        write.create(tx, &new, !dry_run).await?;
    }
    write.finish(tx, actor, check, dry_run).await
}

/// The checking half of a bulk write: every row checked against the rules, the stored
/// projects and the rows before it, with no database access — so an import can check
/// rows on one thread, as they are read, while another writes the ones already checked.
pub struct BulkCheck {
    r: Resolver,
    actor: Actor,
    valid_only: bool,
    rows: usize,
    seen_codes: HashMap<String, usize>,
    seen_names: HashMap<(i64, String), usize>,
    errors: Vec<RowError>,
    failed: BTreeSet<(String, usize)>,
    /// Rows matching stored projects: (checked, stored id, sheet, row).
    updates: Vec<(Checked, i64, String, usize)>,
}

impl BulkCheck {
    /// Loads what checking needs (divisions, units, leaders, stored project keys).
    pub async fn load(tx: &mut Tx, actor: &Actor, valid_only: bool) -> Result<BulkCheck> {
        actor.access.require(Permission::ProjectWrite)?;
        Ok(BulkCheck {
            r: Resolver::load_with_projects(tx).await?,
            actor: actor.clone(),
            valid_only,
            rows: 0,
            seen_codes: HashMap::new(),
            seen_names: HashMap::new(),
            errors: Vec::new(),
            failed: BTreeSet::new(),
            updates: Vec::new(),
        })
    }

    /// Checks one row. Returns the project to create when the row is new and valid; a
    /// row matching a stored project is kept for [`BulkWrite::finish`], a bad row's
    /// errors for the outcome.
    pub fn row(&mut self, row: &BulkRow<'_>) -> Option<Checked> {
        self.rows += 1;
        let mut errs = Vec::new();
        let mut good = None;
        match self.r.check(row.input) {
            Ok(c) => {
                let existing = self.r.existing(&c);
                if let Some(code) = &c.code
                    && let Some(first) = self.seen_codes.insert(code.clone(), row.row)
                {
                    errs.push(DomainError::new(
                        "code",
                        format!("项目代码“{code}”与第 {first} 行重复。"),
                        format!("Project code '{code}' repeats row {first}."),
                    ));
                }
                if existing.is_none()
                    && c.code.is_none()
                    && let Some(first) = self
                        .seen_names
                        .insert((c.division_id, c.name.clone()), row.row)
                {
                    errs.push(DomainError::new(
                        "name",
                        format!("同一所在地下的项目名称“{}”与第 {first} 行重复。", c.name),
                        format!(
                            "Project '{}' repeats row {first} in the same division.",
                            c.name
                        ),
                    ));
                }
                if !in_scope(&self.actor, Permission::ProjectWrite, c.scope_units()) {
                    errs.push(DomainError::new(
                        "division",
                        "该项目不在您的数据范围内，不能导入。",
                        "This project is outside your data scope.",
                    ));
                }
                if errs.is_empty() {
                    good = Some((c, existing));
                }
            }
            Err(es) => errs = es,
        }
        if !errs.is_empty() {
            self.failed.insert((row.sheet.to_string(), row.row));
        }
        for e in errs {
            self.errors.push(RowError {
                sheet: row.sheet.to_string(),
                row: row.row,
                field: e.field.to_string(),
                message: e.msg.zh,
                message_en: e.msg.en,
            });
        }
        match good {
            Some((c, None)) => Some(c),
            Some((c, Some(id))) => {
                self.updates.push((c, id, row.sheet.to_string(), row.row));
                None
            }
            None => None,
        }
    }

    /// Whether nothing may be written: a row has an error and not `valid_only`.
    pub fn refused(&self) -> bool {
        !self.errors.is_empty() && !self.valid_only
    }

    /// Rows checked so far.
    pub fn rows(&self) -> usize {
        self.rows
    }
}

/// The writing half of a bulk write: new projects in batches as they are checked, then
/// the changed ones.
pub struct BulkWrite {
    /// Builds the new projects' rows; `None` while lent out ([`BulkWrite::lend`]).
    prep: Option<Prep>,
    created: usize,
    /// On SQLite, once a batch was written: the text of the trigram index's insert
    /// trigger, dropped for the write.
    fts: Option<String>,
    /// On SQLite: the ids of the new projects written and not yet in the trigram index
    /// (ids are given in turn, so they follow each other).
    unindexed: Option<std::ops::Range<i64>>,
}

impl BulkWrite {
    /// Takes the head of the audit chain and the last sort key (and, on SQLite, the
    /// next free project id).
    pub async fn begin(tx: &mut Tx, actor: &Actor) -> Result<BulkWrite> {
        let chain = audit::Chain::load(tx).await?;
        let sort = on_tx!(tx, cn => sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(sort) FROM project").fetch_one(cn).await)?.unwrap_or(0);
        let next_id = match tx {
            Tx::Sqlite(_) => Some(
                on_tx!(tx, cn => sqlx::query_scalar::<_, i64>("SELECT COALESCE(MAX(id), 0) + 1 FROM project").fetch_one(cn).await)?,
            ),
            Tx::Postgres(_) => None,
        };
        Ok(BulkWrite {
            prep: Some(Prep {
                actor: actor.clone(),
                chain,
                sort,
                next_id,
            }),
            created: 0,
            fts: None,
            unindexed: next_id.map(|id| id..id),
        })
    }

    /// On SQLite, indexes the new projects written so far in the trigram index now, if at
    /// least `at_least` are waiting; otherwise [`BulkWrite::finish`] does. An import calls
    /// it when the writer would wait for the next batch anyway. Filled batch by batch (4,000
    /// rows), FTS5 would flush and merge a small segment per batch; filled only at the end,
    /// the whole fill (≈ 1 s for 100,000 projects on a slow machine) runs on one core after
    /// the reading ended. Filled in large chunks while the reader reads, it costs about a
    /// tenth more in all but little of it is left for the end.
    pub async fn index_now(&mut self, tx: &mut Tx, at_least: usize) -> Result<()> {
        let waiting = self.unindexed.as_ref().map_or(0, |r| r.end - r.start);
        if self.fts.is_some() && waiting >= at_least.max(1) as i64 {
            self.index_written(tx).await?;
        }
        Ok(())
    }

    /// Lends out the building of rows, so that another thread prepares batches while
    /// this one writes the ones before ([`BulkWrite::insert`]); it comes back with
    /// [`BulkWrite::give_back`] before [`BulkWrite::finish`]. `None` on PostgreSQL,
    /// whose ids come from a sequence: batches go to [`BulkWrite::create`] there.
    pub fn lend(&mut self) -> Option<Prep> {
        if self.prep.as_ref()?.next_id.is_some() {
            self.prep.take()
        } else {
            None
        }
    }

    /// Takes back the preparation lent out.
    pub fn give_back(&mut self, prep: Prep) {
        self.prep = Some(prep);
    }

    /// On SQLite the trigram index of the new projects is filled in one statement once
    /// they are all written ([`BulkWrite::finish`]): its insert trigger, run once per
    /// row, makes FTS5 flush its pending postings at every row's statement (≈ 50 µs a
    /// project, 5 s for 100,000), and filled batch by batch it leaves one small segment
    /// per batch for FTS5 to merge. The trigger is dropped before the first batch and
    /// created again, with its own stored text, inside this transaction: a rollback
    /// undoes both, and nobody else writes meanwhile (the transaction holds the writer).
    async fn suspend_fts(&mut self, tx: &mut Tx) -> Result<()> {
        if self.fts.is_some() || self.unindexed.is_none() {
            return Ok(());
        }
        let sql: String = on_tx!(tx, cn => sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'project_fts_insert'").fetch_one(cn).await)?;
        exec_tx!(tx, cn => sqlx::query("DROP TRIGGER project_fts_insert").execute(cn).await)?;
        self.fts = Some(sql);
        Ok(())
    }

    /// Puts the trigger back and indexes the projects written since it was dropped and
    /// not yet indexed.
    async fn resume_fts(&mut self, tx: &mut Tx) -> Result<()> {
        let Some(sql) = self.fts.take() else {
            return Ok(());
        };
        exec_tx!(tx, cn => sqlx::query(sqlx::AssertSqlSafe(sql.clone())).execute(cn).await)?;
        self.index_written(tx).await
    }

    /// Indexes the new projects written and not yet indexed.
    async fn index_written(&mut self, tx: &mut Tx) -> Result<()> {
        let Some(ids) = self.unindexed.clone().filter(|r| !r.is_empty()) else {
            return Ok(());
        };
        exec_tx!(tx, cn => sqlx::query("INSERT INTO project_fts (rowid, name, code, owner_name) SELECT id, name, code, owner_name FROM project WHERE id >= $1 AND id < $2")
            .bind(ids.start).bind(ids.end).execute(cn).await)?;
        self.unindexed = Some(ids.end..ids.end);
        Ok(())
    }

    /// Creates a batch of checked new projects (only counts them unless `write`).
    pub async fn create(&mut self, tx: &mut Tx, items: &[Checked], write: bool) -> Result<()> {
        if write && !items.is_empty() {
            let prep = self.prep.as_mut().expect("not lent out");
            let rows = match prep.next_id {
                Some(_) => prep.prepare(items),
                None => {
                    let ids = crate::sql::reserve_ids(tx, "project", items.len()).await?;
                    prep.rows(items, ids)
                }
            };
            return self.insert(tx, &rows, true).await;
        }
        self.created += items.len();
        Ok(())
    }

    /// Writes a batch prepared by a preparation lent out (only counts it unless `write`).
    /// The batch stays the caller's: a thread that built it had best free it too (with
    /// glibc's allocator, memory freed by another thread than the one that took it
    /// costs both threads more than building the rows did).
    pub async fn insert(&mut self, tx: &mut Tx, rows: &Prepared, write: bool) -> Result<()> {
        self.created += rows.len();
        if write && !rows.is_empty() {
            self.suspend_fts(tx).await?;
            insert_prepared(tx, rows).await?;
            if let (Some(ids), Some(last)) = (self.unindexed.as_mut(), rows.ids.last()) {
                ids.end = last + 1;
            }
        }
        Ok(())
    }

    /// Writes the rows that change stored projects (compared in memory with what is
    /// stored; only changes are written), unless `dry_run`, and says what the whole
    /// write did. When the outcome has errors and the check was not `valid_only`, the
    /// caller must roll back: batches created before the error was found are in `tx`.
    pub async fn finish(
        mut self,
        tx: &mut Tx,
        actor: &Actor,
        check: BulkCheck,
        dry_run: bool,
    ) -> Result<BulkOutcome> {
        let mut chain = self.prep.take().expect("given back").chain;
        // Whatever the outcome: the caller may commit.
        self.resume_fts(tx).await?;
        let mut out = BulkOutcome {
            errors: check.errors,
            ..Default::default()
        };
        if !out.errors.is_empty() && !check.valid_only {
            out.skipped = check.rows;
            return Ok(out);
        }
        out.skipped = check.failed.len();
        out.imported = self.created;
        let mut changed: Vec<(Checked, i64, String, usize)> = Vec::new();
        if !check.updates.is_empty() {
            let stored = preload(tx).await?;
            for (c, id, sheet, row) in check.updates {
                let same = stored.get(&id).is_some_and(|(p, was, plans)| {
                    let plan = c.plan.as_ref().and_then(|cp| plans.get(&cp.year));
                    snapshot_of(was, p.sort, plan)
                        == snapshot_of(&c, c.sort.unwrap_or(p.sort), c.plan.as_ref())
                });
                if same {
                    out.skipped += 1;
                } else {
                    changed.push((c, id, sheet, row));
                }
            }
        }
        if dry_run {
            out.updated = changed.len();
            return Ok(out);
        }
        let mut r = check.r;
        for (c, id, sheet, row) in changed {
            match save(tx, actor, &mut r, &mut chain, Some(id), &c).await {
                Ok(Saved::Created(_)) => out.imported += 1,
                Ok(Saved::Updated(_)) => out.updated += 1,
                Ok(Saved::Unchanged(_)) => out.skipped += 1,
                Err(StoreError::Invalid(e)) | Err(StoreError::Conflict(e)) => {
                    out.errors.push(RowError {
                        sheet,
                        row,
                        field: e.field.to_string(),
                        message: e.msg.zh,
                        message_en: e.msg.en,
                    });
                    out.skipped += 1;
                    if !check.valid_only {
                        return Ok(BulkOutcome {
                            imported: 0,
                            updated: 0,
                            skipped: check.rows,
                            errors: out.errors,
                        });
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
}

/// Ids of projects by name, in the order asked (for the generator, whose names are unique).
pub async fn ids_by_name<'a>(
    tx: &mut Tx,
    names: impl Iterator<Item = &'a str>,
) -> Result<Vec<i64>> {
    let all: Vec<(i64, String)> =
        on_tx!(tx, c => sqlx::query_as("SELECT id, name FROM project").fetch_all(c).await)?;
    let map: HashMap<String, i64> = all.into_iter().map(|(i, n)| (n, i)).collect();
    names
        .map(|n| {
            map.get(n)
                .copied()
                .ok_or_else(|| StoreError::not_found("项目", "project", n))
        })
        .collect()
}
