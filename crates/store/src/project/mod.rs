//! The project registry: projects with their leader, team and plan, annual plans with
//! monthly breakdowns, milestones, stage history, and the bulk path used by the ledger
//! import and the generator.
//!
//! A project belongs to three units at once for data scope: the government of its
//! division, its responsible unit and its owner unit. A caller reaches it when any of
//! them is in the caller's scope, so a district sees its subtree, a department the
//! projects it is responsible for, and a project unit its own projects.

mod admin;
mod bulk;
mod check;
mod plan;
mod tax;
mod write;

pub use admin::*;
pub use bulk::*;
pub use check::*;
pub use plan::*;
pub use tax::*;
pub use write::*;

use crate::sql::{Page, Paged, Sql};
use crate::{
    Actor, Db, Result, StoreError, Tx, audit, bind_vals, exec_tx, on_db, on_tx, row_struct,
};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use gongjian_domain::access::Permission;
use gongjian_domain::money::{self, MoneyUnit};
use gongjian_domain::project::{
    self as dp, Category, Level, Nature, PlanCheck, ProjectCode, ProjectInput, Stage,
};
use gongjian_domain::unit::check_credit_code;
use gongjian_domain::{DomainError, text};
use std::collections::{BTreeSet, HashMap};

row_struct! {
    /// A project row as listed.
    #[derive(Debug, Clone)]
    pub struct Project {
        pub id: i64,
        pub code: Option<String>,
        pub name: String,
        pub level: String,
        pub category: String,
        pub nature: String,
        pub stage: String,
        pub stage_date: Option<NaiveDate>,
        pub division_id: i64,
        pub division_code: String,
        pub division_name: String,
        pub gov_unit_id: Option<i64>,
        pub owner_name: Option<String>,
        pub owner_credit_code: Option<String>,
        pub owner_unit_id: Option<i64>,
        pub responsible_unit_id: Option<i64>,
        pub responsible_unit_code: Option<String>,
        pub responsible_unit_name: Option<String>,
        pub contact_leader_id: Option<i64>,
        pub contact_leader: Option<String>,
        pub plan_doc: Option<String>,
        pub total_investment: i64,
        pub start_year: Option<i64>,
        pub end_year: Option<i64>,
        pub land_mu: Option<i64>,
        pub started: bool,
        pub start_date: Option<NaiveDate>,
        pub description: Option<String>,
        pub sort: i64,
        pub active: bool,
        pub updated_at: DateTime<Utc>,
        pub plan_year: i64,
        pub annual_plan: Option<i64>,
        pub plan_mismatch: Option<bool>,
    }
}

/// A project as the API lists it: amounts in 万元 as exact decimal strings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ProjectItem {
    pub id: i64,
    /// National project code, if it has one.
    pub code: Option<String>,
    pub name: String,
    /// provincial / provincial_select / city / county
    pub level: String,
    pub category: String,
    pub nature: String,
    /// reserve / preparation / construction / completed / operation / terminated
    pub stage: String,
    pub stage_date: Option<NaiveDate>,
    pub division_code: String,
    pub division_name: String,
    pub owner_name: Option<String>,
    pub owner_credit_code: Option<String>,
    pub responsible_unit_code: Option<String>,
    pub responsible_unit: Option<String>,
    pub contact_leader: Option<String>,
    pub plan_doc: Option<String>,
    /// 万元, e.g. "125000.00".
    pub total_investment_wan: String,
    /// The year `annual_plan_wan` is for.
    pub plan_year: i64,
    /// 万元; null when there is no plan for the year.
    pub annual_plan_wan: Option<String>,
    /// The plan's months do not add up to it (kept, flagged).
    pub plan_mismatch: bool,
    pub start_year: Option<i64>,
    pub end_year: Option<i64>,
    /// 亩, e.g. "125.50".
    pub land_mu: Option<String>,
    pub started: bool,
    pub start_date: Option<NaiveDate>,
    pub description: Option<String>,
    pub sort: i64,
    pub updated_at: DateTime<Utc>,
}

impl Project {
    /// The API form.
    pub fn item(&self) -> ProjectItem {
        ProjectItem {
            id: self.id,
            code: self.code.clone(),
            name: self.name.clone(),
            level: self.level.clone(),
            category: self.category.clone(),
            nature: self.nature.clone(),
            stage: self.stage.clone(),
            stage_date: self.stage_date,
            division_code: self.division_code.clone(),
            division_name: self.division_name.clone(),
            owner_name: self.owner_name.clone(),
            owner_credit_code: self.owner_credit_code.clone(),
            responsible_unit_code: self.responsible_unit_code.clone(),
            responsible_unit: self.responsible_unit_name.clone(),
            contact_leader: self.contact_leader.clone(),
            plan_doc: self.plan_doc.clone(),
            total_investment_wan: money::wan(self.total_investment),
            plan_year: self.plan_year,
            annual_plan_wan: self.annual_plan.map(money::wan),
            plan_mismatch: self.plan_mismatch.unwrap_or(false),
            start_year: self.start_year,
            end_year: self.end_year,
            land_mu: self.land_mu.map(money::mu),
            started: self.started,
            start_date: self.start_date,
            description: self.description.clone(),
            sort: self.sort,
            updated_at: self.updated_at,
        }
    }

    /// The units the project belongs to, for scope checks.
    pub fn scope_units(&self) -> [Option<i64>; 3] {
        [
            self.gov_unit_id,
            self.responsible_unit_id,
            self.owner_unit_id,
        ]
    }
}

const SELECT: &str = "SELECT p.id, p.code, p.name, p.level, p.category, p.nature, p.stage, p.stage_date, \
     p.division_id, d.code AS division_code, d.name AS division_name, g.id AS gov_unit_id, \
     p.owner_name, p.owner_credit_code, p.owner_unit_id, p.responsible_unit_id, r.code AS responsible_unit_code, r.name AS responsible_unit_name, \
     p.contact_leader_id, l.name AS contact_leader, p.plan_doc, p.total_investment, p.start_year, p.end_year, p.land_mu, \
     p.started, p.start_date, p.description, p.sort, p.active, p.updated_at, \
     CAST($1 AS BIGINT) AS plan_year, pp.annual AS annual_plan, pp.mismatch AS plan_mismatch \
     FROM project p JOIN division d ON d.id = p.division_id \
     LEFT JOIN unit g ON g.governs_division_id = p.division_id \
     LEFT JOIN unit r ON r.id = p.responsible_unit_id \
     LEFT JOIN leader l ON l.id = p.contact_leader_id \
     LEFT JOIN project_plan pp ON pp.project_id = p.id AND pp.year = $1";

/// Counting needs no joins: filters and scope only read `project` (and subqueries).
/// `$1` is the plan year of the list query, unused here but bound alike.
const COUNT: &str = "SELECT COUNT(*) FROM project p WHERE CAST($1 AS BIGINT) IS NOT NULL";

/// Appends the data-scope condition of projects: the division's government, the
/// responsible unit or the owner in the scope's units. Each term can use its own index.
pub(crate) fn and_scope(w: &mut Sql, scope: &gongjian_domain::access::ScopeSet) {
    if scope.all {
        return;
    }
    if scope.units.is_empty() {
        w.push(" AND 1 = 0");
        return;
    }
    let first = w.vals.len() + 1;
    w.vals.extend(scope.units.iter().map(|u| crate::Val::I(*u)));
    let list = (first..first + scope.units.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",");
    w.push(&format!(
        " AND (p.division_id IN (SELECT governs_division_id FROM unit WHERE id IN ({list})) \
         OR p.responsible_unit_id IN ({list}) OR p.owner_unit_id IN ({list}))"
    ));
}

/// This year, by the server's clock.
pub fn this_year() -> i64 {
    i64::from(chrono::Local::now().year())
}

/// Filters of the project list; every one optional.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct ProjectFilter {
    /// Name, code, owner or description contains.
    pub q: Option<String>,
    /// The division and everything below it.
    pub division_code: Option<String>,
    /// Level identifier.
    pub level: Option<String>,
    /// Stage identifier.
    pub stage: Option<String>,
    /// Category identifier.
    pub category: Option<String>,
    /// Contact leader id.
    pub leader_id: Option<i64>,
    /// Tag, e.g. special_bond or campaign:名称.
    pub tag: Option<String>,
    /// Responsible unit code.
    pub responsible_unit: Option<String>,
    /// Year of the annual plan shown (default this year).
    pub year: Option<i64>,
    /// Sort column: sort, code, name, division, level, stage, total_investment, annual_plan, updated_at.
    pub sort: Option<String>,
    /// asc or desc.
    pub dir: Option<String>,
    /// Include terminated (inactive) projects.
    pub include_inactive: Option<bool>,
}

/// The ORDER BY of the list, and the join its sort key needs when the page's ids are
/// found from `project` alone.
fn order_by(f: &ProjectFilter) -> (String, &'static str) {
    let (col, join) = match f.sort.as_deref().unwrap_or("sort") {
        "code" => ("p.code", ""),
        "name" => ("p.name", ""),
        "division" => ("d.code", " JOIN division d ON d.id = p.division_id"),
        "level" => ("p.level", ""),
        "stage" => ("p.stage", ""),
        "total_investment" => ("p.total_investment", ""),
        "annual_plan" => (
            "pp.annual",
            " LEFT JOIN project_plan pp ON pp.project_id = p.id AND pp.year = $1",
        ),
        "updated_at" => ("p.updated_at", ""),
        _ => ("p.sort", ""),
    };
    let dir = if f.dir.as_deref() == Some("desc") {
        "DESC"
    } else {
        "ASC"
    };
    (format!(" ORDER BY {col} {dir}, p.id {dir}"), join)
}

/// The free-text condition. On SQLite a text of three characters or more is looked up in
/// the trigram index `project_fts` (the same substrings LIKE finds, in any letter case);
/// shorter ones read each row with LIKE, and PostgreSQL with ILIKE (its LIKE tells
/// letter case apart).
fn and_text(w: &mut Sql, q: Option<&str>, sqlite: bool) {
    let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) else {
        return;
    };
    if sqlite && q.chars().count() >= 3 {
        // One quoted phrase: the whole text literally, `"` doubled.
        let phrase = format!("\"{}\"", q.replace('"', "\"\""));
        // `+p.id`: the page walks the list index in order and probes the matches,
        // instead of reading every matching row and sorting them.
        w.push(" AND +p.id IN (SELECT rowid FROM project_fts WHERE project_fts MATCH ")
            .bind(phrase)
            .push(")");
    } else {
        let op = if sqlite { "LIKE" } else { "ILIKE" };
        w.and_contains(&["p.name", "p.code", "p.owner_name"], Some(q), op);
    }
}

fn where_of(actor: &Actor, f: &ProjectFilter, p: Permission, sqlite: bool) -> Sql {
    let mut w = Sql::new("");
    // $1 is the plan year.
    w.vals.push(crate::Val::I(f.year.unwrap_or_else(this_year)));
    and_scope(&mut w, &actor.access.scope(p));
    and_text(&mut w, f.q.as_deref(), sqlite);
    if let Some(dc) = f.division_code.as_deref().filter(|s| !s.is_empty()) {
        w.push(" AND p.division_id IN (WITH RECURSIVE sub(id, depth) AS (SELECT id, 0 FROM division WHERE code = ")
            .bind(dc.trim())
            .push(" UNION ALL SELECT c.id, sub.depth + 1 FROM division c JOIN sub ON c.parent_id = sub.id WHERE sub.depth < 16) SELECT id FROM sub)");
    }
    for (col, v) in [
        ("p.level", &f.level),
        ("p.stage", &f.stage),
        ("p.category", &f.category),
    ] {
        if let Some(v) = v.as_deref().filter(|s| !s.is_empty()) {
            w.push(" AND ").push(col).push(" = ").bind(v);
        }
    }
    if let Some(l) = f.leader_id {
        w.push(" AND p.contact_leader_id = ").bind(l);
    }
    if let Some(t) = f.tag.as_deref().filter(|s| !s.is_empty()) {
        w.push(" AND +p.id IN (SELECT project_id FROM project_tag WHERE tag = ")
            .bind(t)
            .push(")");
    }
    if let Some(r) = f.responsible_unit.as_deref().filter(|s| !s.is_empty()) {
        w.push(" AND p.responsible_unit_id = (SELECT id FROM unit WHERE code = ")
            .bind(r)
            .push(")");
    }
    if !f.include_inactive.unwrap_or(false) {
        // `<>`, not `=`: nearly every project is active, and an equality on `active`
        // makes SQLite walk an index that leads with it (the arenas' count index) and
        // then sort, instead of reading the table order index: 10–30× slower pages.
        w.push(" AND p.active <> FALSE");
    }
    w
}

/// Lists the projects the actor may see, filtered, sorted over a whitelist, paged.
pub async fn list(db: &Db, actor: &Actor, f: &ProjectFilter, page: Page) -> Result<Paged<Project>> {
    actor.access.require(Permission::ProjectRead)?;
    let w = where_of(actor, f, Permission::ProjectRead, db.engine() == "sqlite");
    let mut count = Sql::new(COUNT);
    count.push(&w.text).vals = w.vals.clone();
    // The page's ids first, from the narrow list index (and only the joins the sort
    // needs), then those twenty projects in full: the joins and the wide rows are read
    // for one page, not for every match.
    let (order, join) = order_by(f);
    let mut q = Sql::new(SELECT);
    q.push(" WHERE p.id IN (SELECT p.id FROM project p")
        .push(join);
    q.push(" WHERE 1=1").push(&w.text).vals = w.vals;
    q.push(&order).page(&page).push(")").push(&order);
    // The count and the page are independent reads: each runs on its own connection.
    let total = async {
        let n: i64 = on_db!(db, c => bind_vals!(sqlx::query_scalar(sqlx::AssertSqlSafe(count.text.clone())), count.vals.clone()).fetch_one(c).await)?;
        Ok::<_, StoreError>(n)
    };
    let items = async {
        let v: Vec<Project> = on_db!(db, c => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(c).await)?;
        Ok::<_, StoreError>(v)
    };
    let (total, items) = tokio::try_join!(total, items)?;
    Ok(Paged {
        items,
        total,
        page: page.page,
        size: page.size,
    })
}

/// Every project matching the filter (for exports), in table order.
pub async fn list_all(db: &Db, actor: &Actor, f: &ProjectFilter) -> Result<Vec<Project>> {
    actor.access.require(Permission::ProjectRead)?;
    let mut q = Sql::new(SELECT);
    let w = where_of(actor, f, Permission::ProjectRead, db.engine() == "sqlite");
    q.push(" WHERE 1=1").push(&w.text).vals = w.vals;
    q.push(&order_by(f).0);
    Ok(
        on_db!(db, c => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(c).await)?,
    )
}

/// One project, if within the actor's scope for `p`.
pub async fn get(db: &Db, actor: &Actor, id: i64, p: Permission) -> Result<Project> {
    actor.access.require(p)?;
    let mut q = Sql::new(SELECT);
    q.vals.push(crate::Val::I(this_year()));
    q.push(" WHERE p.id = ").bind(id);
    and_scope(&mut q, &actor.access.scope(p));
    let found: Option<Project> = on_db!(db, c => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_optional(c).await)?;
    found.ok_or_else(|| StoreError::not_found("项目", "project", id))
}

pub(crate) async fn by_id_tx(tx: &mut Tx, id: i64) -> Result<Option<Project>> {
    by_id_on(&mut crate::raw::Conn::of(tx).await?, id).await
}

/// One project, on a connection already held.
pub(crate) async fn by_id_on(c: &mut crate::raw::Conn<'_>, id: i64) -> Result<Option<Project>> {
    let sql = format!("{SELECT} WHERE p.id = $2");
    c.one(&sql, &[crate::Val::I(this_year()), crate::Val::I(id)])
        .await
}

row_struct! {
    /// An annual plan with its monthly breakdown (whole yuan).
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
    pub struct PlanRow {
        pub project_id: i64,
        pub year: i64,
        pub annual: i64,
        pub m1: Option<i64>, pub m2: Option<i64>, pub m3: Option<i64>, pub m4: Option<i64>,
        pub m5: Option<i64>, pub m6: Option<i64>, pub m7: Option<i64>, pub m8: Option<i64>,
        pub m9: Option<i64>, pub m10: Option<i64>, pub m11: Option<i64>, pub m12: Option<i64>,
        pub mismatch: bool,
    }
}

impl PlanRow {
    /// The twelve months, January first.
    pub fn months(&self) -> [Option<i64>; 12] {
        [
            self.m1, self.m2, self.m3, self.m4, self.m5, self.m6, self.m7, self.m8, self.m9,
            self.m10, self.m11, self.m12,
        ]
    }
}

row_struct! {
    /// A milestone (节点).
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
    pub struct Milestone {
        pub id: i64,
        pub seq: i64,
        pub name: String,
        /// Days the node takes, for backward scheduling.
        pub duration_days: Option<i64>,
        /// Planned finish.
        pub planned_date: Option<NaiveDate>,
        /// Actual finish.
        pub actual_date: Option<NaiveDate>,
        pub note: Option<String>,
    }
}

row_struct! {
    /// One stage change.
    #[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
    pub struct StageChange {
        pub from_stage: Option<String>,
        pub to_stage: String,
        pub on_date: NaiveDate,
        pub note: Option<String>,
        pub actor_name: String,
        pub at: DateTime<Utc>,
    }
}

/// A project with everything around it: team, tags, plans, milestones, history.
#[derive(Debug, Clone)]
pub struct Detail {
    /// The project.
    pub project: Project,
    /// Cooperating units: (code, name).
    pub cooperators: Vec<(String, String)>,
    /// Task force members as written, e.g. 张三（组长）.
    pub members: Vec<String>,
    /// Tag identifiers.
    pub tags: Vec<String>,
    /// Annual plans, oldest first.
    pub plans: Vec<PlanRow>,
    /// Milestones in order.
    pub milestones: Vec<Milestone>,
    /// Stage changes, oldest first.
    pub stages: Vec<StageChange>,
}

/// A project with everything around it, if within scope.
pub async fn detail(db: &Db, actor: &Actor, id: i64) -> Result<Detail> {
    let project = get(db, actor, id, Permission::ProjectRead).await?;
    let cooperators: Vec<(String, String)> = on_db!(db, c => sqlx::query_as("SELECT u.code, u.name FROM project_cooperator pc JOIN unit u ON u.id = pc.unit_id WHERE pc.project_id = $1 ORDER BY u.code").bind(id).fetch_all(c).await)?;
    let members: Vec<(String, Option<String>)> = on_db!(db, c => sqlx::query_as("SELECT name, duty FROM project_member WHERE project_id = $1 ORDER BY seq").bind(id).fetch_all(c).await)?;
    let tags: Vec<String> = on_db!(db, c => sqlx::query_scalar("SELECT tag FROM project_tag WHERE project_id = $1 ORDER BY tag").bind(id).fetch_all(c).await)?;
    let plans: Vec<PlanRow> = on_db!(db, c => sqlx::query_as("SELECT * FROM project_plan WHERE project_id = $1 ORDER BY year").bind(id).fetch_all(c).await)?;
    let milestones: Vec<Milestone> = on_db!(db, c => sqlx::query_as("SELECT id, seq, name, duration_days, planned_date, actual_date, note FROM milestone WHERE project_id = $1 ORDER BY seq, id").bind(id).fetch_all(c).await)?;
    let stages: Vec<StageChange> = on_db!(db, c => sqlx::query_as("SELECT from_stage, to_stage, on_date, note, actor_name, at FROM project_stage_log WHERE project_id = $1 ORDER BY id").bind(id).fetch_all(c).await)?;
    Ok(Detail {
        project,
        cooperators,
        members: members
            .into_iter()
            .map(|(n, d)| member_text(&n, d.as_deref()))
            .collect(),
        tags,
        plans,
        milestones,
        stages,
    })
}

fn member_text(name: &str, duty: Option<&str>) -> String {
    match duty {
        Some(d) if !d.is_empty() => format!("{name}（{d}）"),
        _ => name.to_string(),
    }
}

/// Splits `张三（组长）` / `张三(组长)` into name and duty.
fn parse_member(raw: &str) -> Result<(String, Option<String>), DomainError> {
    let s = raw.trim().replace('(', "（").replace(')', "）");
    let (name, duty) = match s.split_once('（') {
        Some((n, rest)) => (
            n.trim().to_string(),
            Some(rest.trim_end_matches('）').trim().to_string()),
        ),
        None => (s.clone(), None),
    };
    let name = text::name("members", "专班成员", &name)?;
    Ok((name, duty.filter(|d| !d.is_empty())))
}

/// Everything an export row needs beyond the list row.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    /// Cooperating unit names.
    pub cooperators: Vec<String>,
    /// Members as written.
    pub members: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// The plan of the export year.
    pub plan: Option<PlanRow>,
}

/// Cooperators, members, tags and the year's plan of many projects at once.
pub async fn extras(db: &Db, ids: &[i64], year: i64) -> Result<HashMap<i64, Extras>> {
    let mut out: HashMap<i64, Extras> = ids.iter().map(|i| (*i, Extras::default())).collect();
    let coop: Vec<(i64, String)> = on_db!(db, c => sqlx::query_as("SELECT pc.project_id, u.name FROM project_cooperator pc JOIN unit u ON u.id = pc.unit_id ORDER BY pc.project_id, u.code").fetch_all(c).await)?;
    for (p, n) in coop {
        if let Some(e) = out.get_mut(&p) {
            e.cooperators.push(n);
        }
    }
    let mem: Vec<(i64, String, Option<String>)> = on_db!(db, c => sqlx::query_as("SELECT project_id, name, duty FROM project_member ORDER BY project_id, seq").fetch_all(c).await)?;
    for (p, n, d) in mem {
        if let Some(e) = out.get_mut(&p) {
            e.members.push(member_text(&n, d.as_deref()));
        }
    }
    let tags: Vec<(i64, String)> = on_db!(db, c => sqlx::query_as("SELECT project_id, tag FROM project_tag ORDER BY project_id, tag").fetch_all(c).await)?;
    for (p, t) in tags {
        if let Some(e) = out.get_mut(&p) {
            e.tags.push(t);
        }
    }
    let plans: Vec<PlanRow> = on_db!(db, c => sqlx::query_as("SELECT * FROM project_plan WHERE year = $1").bind(year).fetch_all(c).await)?;
    for p in plans {
        if let Some(e) = out.get_mut(&p.project_id) {
            e.plan = Some(p);
        }
    }
    Ok(out)
}

/// Active leaders as (id, name, title), in protocol order, for pickers. Leaders are
/// public within the government, so any project user may choose one.
pub async fn leader_choices(db: &Db) -> Result<Vec<(i64, String, String)>> {
    Ok(
        on_db!(db, c => sqlx::query_as("SELECT id, name, title FROM leader WHERE active = TRUE ORDER BY sort, id").fetch_all(c).await)?,
    )
}

/// Active governments and departments as (code, name), for the responsible-unit picker.
pub async fn unit_choices(db: &Db) -> Result<Vec<(String, String)>> {
    Ok(
        on_db!(db, c => sqlx::query_as("SELECT code, name FROM unit WHERE active = TRUE AND kind IN ('government', 'department') ORDER BY kind DESC, code").fetch_all(c).await)?,
    )
}
