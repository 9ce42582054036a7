//! The project registry: projects with their leader, team and plan, annual plans with
//! monthly breakdowns, milestones, stage history, and the bulk path used by the ledger
//! import and the generator.
//!
//! A project belongs to three units at once for data scope: the government of its
//! division, its responsible unit and its owner unit. A caller reaches it when any of
//! them is in the caller's scope, so a district sees its subtree, a department the
//! projects it is responsible for, and a project unit its own projects.

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
fn and_scope(w: &mut Sql, scope: &gongjian_domain::access::ScopeSet) {
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

fn order_by(f: &ProjectFilter) -> String {
    let col = match f.sort.as_deref().unwrap_or("sort") {
        "code" => "p.code",
        "name" => "p.name",
        "division" => "d.code",
        "level" => "p.level",
        "stage" => "p.stage",
        "total_investment" => "p.total_investment",
        "annual_plan" => "pp.annual",
        "updated_at" => "p.updated_at",
        _ => "p.sort",
    };
    let dir = if f.dir.as_deref() == Some("desc") {
        "DESC"
    } else {
        "ASC"
    };
    format!(" ORDER BY {col} {dir}, p.id {dir}")
}

fn where_of(actor: &Actor, f: &ProjectFilter, p: Permission) -> Sql {
    let mut w = Sql::new("");
    // $1 is the plan year.
    w.vals.push(crate::Val::I(f.year.unwrap_or_else(this_year)));
    and_scope(&mut w, &actor.access.scope(p));
    w.and_like(&["p.name", "p.code", "p.owner_name"], f.q.as_deref());
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
        w.push(" AND p.id IN (SELECT project_id FROM project_tag WHERE tag = ")
            .bind(t)
            .push(")");
    }
    if let Some(r) = f.responsible_unit.as_deref().filter(|s| !s.is_empty()) {
        w.push(" AND p.responsible_unit_id = (SELECT id FROM unit WHERE code = ")
            .bind(r)
            .push(")");
    }
    if !f.include_inactive.unwrap_or(false) {
        w.push(" AND p.active = ").bind(true);
    }
    w
}

/// Lists the projects the actor may see, filtered, sorted over a whitelist, paged.
pub async fn list(db: &Db, actor: &Actor, f: &ProjectFilter, page: Page) -> Result<Paged<Project>> {
    actor.access.require(Permission::ProjectRead)?;
    let w = where_of(actor, f, Permission::ProjectRead);
    let mut count = Sql::new(COUNT);
    count.push(&w.text).vals = w.vals.clone();
    let mut q = Sql::new(SELECT);
    q.push(" WHERE 1=1").push(&w.text).vals = w.vals;
    q.push(&order_by(f)).page(&page);
    let total: i64 = on_db!(db, c => bind_vals!(sqlx::query_scalar(sqlx::AssertSqlSafe(count.text.clone())), count.vals.clone()).fetch_one(c).await)?;
    let items: Vec<Project> = on_db!(db, c => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(c).await)?;
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
    let w = where_of(actor, f, Permission::ProjectRead);
    q.push(" WHERE 1=1").push(&w.text).vals = w.vals;
    q.push(&order_by(f));
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

async fn by_id_tx(tx: &mut Tx, id: i64) -> Result<Option<Project>> {
    let sql = format!("{SELECT} WHERE p.id = $2");
    Ok(
        on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(this_year()).bind(id).fetch_optional(c).await)?,
    )
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

/// Everything needed to resolve names and codes of a project to ids, loaded once per
/// transaction (a ledger import resolves thousands of rows against it).
pub struct Resolver {
    divisions: HashMap<String, (i64, Option<i64>)>,
    division_names: HashMap<String, Vec<String>>,
    units: HashMap<String, i64>,
    unit_names: HashMap<String, Vec<i64>>,
    unit_credit: HashMap<String, i64>,
    leaders: HashMap<String, Vec<i64>>,
    prefixes: BTreeSet<String>,
    existing_codes: HashMap<String, i64>,
    existing_names: HashMap<(i64, String), Vec<i64>>,
    year: i64,
}

impl Resolver {
    /// Loads divisions, units, leaders and the keys of existing projects.
    pub async fn load(tx: &mut Tx) -> Result<Resolver> {
        let divs: Vec<(i64, String, String, Option<i64>)> = on_tx!(tx, c => sqlx::query_as("SELECT d.id, d.code, d.name, g.id FROM division d LEFT JOIN unit g ON g.governs_division_id = d.id WHERE d.active = TRUE").fetch_all(c).await)?;
        let units: Vec<(i64, String, String, Option<String>)> = on_tx!(tx, c => sqlx::query_as("SELECT id, code, name, credit_code FROM unit WHERE active = TRUE").fetch_all(c).await)?;
        let leaders: Vec<(i64, String)> = on_tx!(tx, c => sqlx::query_as("SELECT id, name FROM leader WHERE active = TRUE").fetch_all(c).await)?;
        let projects: Vec<(i64, Option<String>, i64, String)> = on_tx!(tx, c => sqlx::query_as("SELECT id, code, division_id, name FROM project").fetch_all(c).await)?;
        let mut r = Resolver {
            divisions: HashMap::new(),
            division_names: HashMap::new(),
            units: HashMap::new(),
            unit_names: HashMap::new(),
            unit_credit: HashMap::new(),
            leaders: HashMap::new(),
            prefixes: BTreeSet::new(),
            existing_codes: HashMap::new(),
            existing_names: HashMap::new(),
            year: this_year(),
        };
        for (id, code, name, gov) in divs {
            r.prefixes.insert(code[..2].to_string());
            r.division_names.entry(name).or_default().push(code.clone());
            r.divisions.insert(code, (id, gov));
        }
        for (id, code, name, cc) in units {
            r.units.insert(code, id);
            r.unit_names.entry(name).or_default().push(id);
            if let Some(cc) = cc {
                r.unit_credit.insert(cc, id);
            }
        }
        for (id, name) in leaders {
            r.leaders.entry(name).or_default().push(id);
        }
        for (id, code, div, name) in projects {
            if let Some(c) = code {
                r.existing_codes.insert(c, id);
            }
            r.existing_names.entry((div, name)).or_default().push(id);
        }
        Ok(r)
    }

    fn division(&self, raw: &str) -> Result<(i64, Option<i64>, String), DomainError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(DomainError::new(
                "division",
                "请填写项目所在地（行政区划名称或代码）。",
                "The division is required.",
            ));
        }
        if let Some((id, gov)) = self.divisions.get(s) {
            return Ok((*id, *gov, s.to_string()));
        }
        match self.division_names.get(s).map(Vec::as_slice) {
            Some([code]) => {
                let (id, gov) = self.divisions[code];
                Ok((id, gov, code.clone()))
            }
            Some(many) => Err(DomainError::new(
                "division",
                format!(
                    "区划名称“{s}”有重名（{}），请填写区划代码。",
                    many.join("、")
                ),
                format!(
                    "Division name '{s}' is ambiguous ({}); use the code.",
                    many.join(", ")
                ),
            )),
            None => Err(DomainError::new(
                "division",
                format!("所在地“{s}”不是本系统中的行政区划（名称或代码）。"),
                format!("Division '{s}' is not known by name or code."),
            )),
        }
    }

    fn unit(&self, field: &'static str, label: &str, raw: &str) -> Result<i64, DomainError> {
        let s = raw.trim();
        if let Some(id) = self.units.get(s) {
            return Ok(*id);
        }
        match self.unit_names.get(s).map(Vec::as_slice) {
            Some([id]) => Ok(*id),
            Some(_) => Err(DomainError::new(
                field,
                format!("{label}“{s}”有重名，请填写单位编码。"),
                format!("{field} '{s}' is ambiguous; use the unit code."),
            )),
            None => Err(DomainError::new(
                field,
                format!("{label}“{s}”不是本系统中的单位（名称或编码），请先在“单位”中添加。"),
                format!("{field} '{s}' is not a known unit (name or code)."),
            )),
        }
    }

    fn leader(&self, raw: &str) -> Result<i64, DomainError> {
        let s = raw.trim();
        match self.leaders.get(s).map(Vec::as_slice) {
            Some([id]) => Ok(*id),
            Some(_) => Err(DomainError::new(
                "contact_leader",
                format!("包保领导“{s}”有重名，请在页面上选择。"),
                format!("Contact leader '{s}' is ambiguous."),
            )),
            None => Err(DomainError::new(
                "contact_leader",
                format!("包保领导“{s}”不在“领导”名单中。"),
                format!("Contact leader '{s}' is not in the leaders list."),
            )),
        }
    }

    /// The id of the stored project this input updates: by code, else by name within
    /// its division.
    pub fn existing(&self, c: &Checked) -> Option<i64> {
        if let Some(code) = &c.code {
            return self.existing_codes.get(code).copied();
        }
        match self
            .existing_names
            .get(&(c.division_id, c.name.clone()))
            .map(Vec::as_slice)
        {
            Some([id]) => Some(*id),
            _ => None,
        }
    }

    fn remember(&mut self, id: i64, c: &Checked) {
        if let Some(code) = &c.code {
            self.existing_codes.insert(code.clone(), id);
        }
        let ids = self
            .existing_names
            .entry((c.division_id, c.name.clone()))
            .or_default();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }

    /// Checks an input against the domain rules and resolves its references. Returns
    /// every error found, so an import can report them all at once.
    pub fn check(&self, input: &ProjectInput) -> std::result::Result<Checked, Vec<DomainError>> {
        let mut errs = Vec::new();
        macro_rules! take {
            ($e:expr) => {
                match $e {
                    Ok(v) => Some(v),
                    Err(e) => {
                        errs.push(e);
                        None
                    }
                }
            };
        }
        let opt = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let code = opt(&input.code).and_then(|c| {
            take!(ProjectCode::parse(&c, |p| self.prefixes.contains(p))).map(|c| c.code)
        });
        let name = take!(text::name("name", "项目名称", &input.name));
        // Ledgers often leave these out: a key-project list of a city is city-level, and
        // the office corrects the rest after import. Documented in docs/guide/projects.md.
        let or = |v: &str, d: &'static str| {
            if v.trim().is_empty() {
                d.to_string()
            } else {
                v.to_string()
            }
        };
        let level = take!(Level::parse(&or(&input.level, "city")));
        let category = take!(Category::parse(&or(&input.category, "other")));
        let nature = take!(Nature::parse(&or(&input.nature, "new")));
        let stage = take!(Stage::parse(if input.stage.trim().is_empty() {
            "reserve"
        } else {
            &input.stage
        }));
        let division = take!(self.division(&input.division));
        let owner_name = take!(text::optional(
            "owner_name",
            "建设单位",
            input.owner_name.as_deref().unwrap_or("")
        ))
        .flatten();
        let owner_credit_code = opt(&input.owner_credit_code).and_then(|c| {
            take!(check_credit_code(&c).map_err(|mut e| {
                e.field = "owner_credit_code";
                e
            }))
        });
        let owner_unit_id = owner_credit_code
            .as_ref()
            .and_then(|c| self.unit_credit.get(c).copied())
            .or_else(|| {
                owner_name
                    .as_ref()
                    .and_then(|n| match self.unit_names.get(n).map(Vec::as_slice) {
                        Some([id]) => Some(*id),
                        _ => None,
                    })
            });
        let responsible_unit_id = opt(&input.responsible_unit)
            .and_then(|u| take!(self.unit("responsible_unit", "责任单位", &u)));
        let mut cooperators = BTreeSet::new();
        for u in input
            .cooperating_units
            .iter()
            .filter(|u| !u.trim().is_empty())
        {
            if let Some(id) = take!(self.unit("cooperating_units", "配合单位", u)) {
                cooperators.insert(id);
            }
        }
        let contact_leader_id = opt(&input.contact_leader).and_then(|l| take!(self.leader(&l)));
        let mut members = Vec::new();
        for m in input.members.iter().filter(|m| !m.trim().is_empty()) {
            if let Some(v) = take!(parse_member(m)) {
                members.push(v);
            }
        }
        let plan_doc = take!(text::optional(
            "plan_doc",
            "推进方案",
            input.plan_doc.as_deref().unwrap_or("")
        ))
        .flatten();
        let total_investment = match opt(&input.total_investment_wan) {
            Some(t) => take!(money::parse_money(
                "total_investment_wan",
                "总投资",
                &t,
                MoneyUnit::Wan
            ))
            .unwrap_or(0),
            None => 0,
        };
        let plan = self.check_plan(input, &mut errs);
        if let (Some(y1), Some(y2)) = (input.start_year, input.end_year) {
            take!(dp::check_order("end_year", Some(y1), Some(y2), "建设年限"));
        }
        for y in [input.start_year, input.end_year].into_iter().flatten() {
            if !(1990..=2100).contains(&y) {
                errs.push(DomainError::new(
                    "start_year",
                    format!("建设年份 {y} 不合理。"),
                    format!("Implausible year {y}."),
                ));
            }
        }
        let land_mu = opt(&input.land_mu).and_then(|m| take!(money::parse_mu("land_mu", &m)));
        let start_date = opt(&input.start_date).and_then(|d| {
            take!(dp::parse_date(&d).ok_or_else(|| DomainError::new(
                "start_date",
                format!("开工时间“{d}”无法识别，应如 2026-03-15、2026.03 或 2026年3月。"),
                format!("Start date '{d}' is not a date (e.g. 2026-03-15)."),
            )))
        });
        let mut tags = BTreeSet::new();
        for t in input.tags.iter().filter(|t| !t.trim().is_empty()) {
            if let Some(t) = take!(dp::parse_tag(t)) {
                tags.insert(t);
            }
        }
        let description = input
            .description
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        if description
            .as_ref()
            .is_some_and(|d| d.chars().count() > 4000)
        {
            errs.push(DomainError::new(
                "description",
                "项目简介过长（上限 4000 字）。",
                "The description is too long (4000 characters at most).",
            ));
        }
        if !errs.is_empty() {
            return Err(errs);
        }
        let stage = stage.expect("checked");
        // A ledger saying 已开工 for a reserve or preparation project: it is under construction.
        let stage = if input.started == Some(true)
            && matches!(stage, Stage::Reserve | Stage::Preparation)
        {
            Stage::Construction
        } else {
            stage
        };
        let (division_id, gov_unit_id, division_code) = division.expect("checked");
        Ok(Checked {
            code,
            name: name.expect("checked"),
            level: level.expect("checked"),
            category: category.expect("checked"),
            nature: nature.expect("checked"),
            stage,
            division_id,
            division_code,
            gov_unit_id,
            owner_name,
            owner_credit_code,
            owner_unit_id,
            responsible_unit_id,
            cooperators,
            contact_leader_id,
            members,
            plan_doc,
            total_investment,
            plan,
            start_year: input.start_year,
            end_year: input.end_year,
            land_mu,
            started: input.started.unwrap_or(false) || stage.is_started(),
            start_date,
            tags,
            description,
            sort: input.sort,
        })
    }

    fn check_plan(&self, input: &ProjectInput, errs: &mut Vec<DomainError>) -> Option<CheckedPlan> {
        let annual_txt = input
            .annual_plan_wan
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let any_month = input
            .months_wan
            .iter()
            .flatten()
            .any(|m| !m.trim().is_empty());
        if annual_txt.is_none() && !any_month {
            return None;
        }
        if !input.months_wan.is_empty() && input.months_wan.len() != 12 {
            errs.push(DomainError::new(
                "months_wan",
                "月度计划应有 12 个月。",
                "The monthly plan needs 12 months.",
            ));
            return None;
        }
        let year = input.plan_year.unwrap_or(self.year);
        if !(1990..=2100).contains(&year) {
            errs.push(DomainError::new(
                "plan_year",
                format!("计划年度 {year} 不合理。"),
                format!("Implausible plan year {year}."),
            ));
        }
        let mut months = [None; 12];
        for (i, m) in input.months_wan.iter().enumerate() {
            if let Some(t) = m.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                match money::parse_money(
                    "months_wan",
                    &format!("{}月计划", i + 1),
                    t,
                    MoneyUnit::Wan,
                ) {
                    Ok(v) => months[i] = Some(v),
                    Err(e) => errs.push(e),
                }
            }
        }
        let annual = match annual_txt {
            Some(t) => {
                match money::parse_money("annual_plan_wan", "年度计划投资", t, MoneyUnit::Wan)
                {
                    Ok(v) => v,
                    Err(e) => {
                        errs.push(e);
                        return None;
                    }
                }
            }
            // Only months given: the year is their sum.
            None => months.iter().flatten().sum(),
        };
        let check = dp::check_plan(annual, &months);
        let mismatch = matches!(check, PlanCheck::Mismatch { .. });
        if mismatch && !input.allow_plan_mismatch {
            errs.extend(check.error());
        }
        Some(CheckedPlan {
            year,
            annual,
            months,
            mismatch,
        })
    }
}

/// An annual plan that passed the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedPlan {
    /// Year.
    pub year: i64,
    /// Whole yuan.
    pub annual: i64,
    /// Whole yuan per month.
    pub months: [Option<i64>; 12],
    /// The months do not add up (kept because the caller allowed it).
    pub mismatch: bool,
}

/// A project input that passed every check, with its references resolved.
#[derive(Debug, Clone)]
pub struct Checked {
    /// National project code.
    pub code: Option<String>,
    /// Name.
    pub name: String,
    /// Level.
    pub level: Level,
    /// Category.
    pub category: Category,
    /// Nature.
    pub nature: Nature,
    /// Stage.
    pub stage: Stage,
    /// Division id.
    pub division_id: i64,
    /// Division code.
    pub division_code: String,
    /// Government unit of the division.
    pub gov_unit_id: Option<i64>,
    /// Owner name.
    pub owner_name: Option<String>,
    /// Owner credit code.
    pub owner_credit_code: Option<String>,
    /// Owner as a unit of the system, when it is one.
    pub owner_unit_id: Option<i64>,
    /// Responsible unit.
    pub responsible_unit_id: Option<i64>,
    /// Cooperating units.
    pub cooperators: BTreeSet<i64>,
    /// Contact leader.
    pub contact_leader_id: Option<i64>,
    /// Task force: (name, duty).
    pub members: Vec<(String, Option<String>)>,
    /// Plan document.
    pub plan_doc: Option<String>,
    /// Whole yuan.
    pub total_investment: i64,
    /// The plan of a year, if given.
    pub plan: Option<CheckedPlan>,
    /// Construction period.
    pub start_year: Option<i64>,
    /// Construction period.
    pub end_year: Option<i64>,
    /// Hundredths of a mu.
    pub land_mu: Option<i64>,
    /// Started.
    pub started: bool,
    /// Start date.
    pub start_date: Option<NaiveDate>,
    /// Tags.
    pub tags: BTreeSet<String>,
    /// Description.
    pub description: Option<String>,
    /// Table position.
    pub sort: Option<i64>,
}

impl Checked {
    fn scope_units(&self) -> [Option<i64>; 3] {
        [
            self.gov_unit_id,
            self.responsible_unit_id,
            self.owner_unit_id,
        ]
    }
}

fn in_scope(actor: &Actor, p: Permission, units: [Option<i64>; 3]) -> bool {
    let s = actor.access.scope(p);
    units.iter().any(|u| s.allows(*u, None))
}

fn require_write(actor: &Actor, units: [Option<i64>; 3]) -> Result<()> {
    actor.access.require(Permission::ProjectWrite)?;
    if in_scope(actor, Permission::ProjectWrite, units) {
        Ok(())
    } else {
        Err(StoreError::Denied(gongjian_domain::access::Denied(
            Permission::ProjectWrite,
        )))
    }
}

fn first_error(errs: Vec<DomainError>) -> StoreError {
    StoreError::Invalid(errs.into_iter().next().expect("at least one error"))
}

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

/// Creates a project.
pub async fn create(tx: &mut Tx, actor: &Actor, input: &ProjectInput) -> Result<Project> {
    actor.access.require(Permission::ProjectWrite)?;
    let mut r = Resolver::load(tx).await?;
    let c = r.check(input).map_err(first_error)?;
    if let Some(code) = &c.code
        && r.existing_codes.contains_key(code)
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
        && r.existing_codes.get(code).is_some_and(|other| *other != id)
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
fn snapshot_of(c: &Checked, sort: i64, plan: Option<&CheckedPlan>) -> serde_json::Value {
    serde_json::json!({
        "code": c.code, "name": c.name, "level": c.level.as_str(), "category": c.category.as_str(),
        "nature": c.nature.as_str(), "stage": c.stage.as_str(), "division_id": c.division_id,
        "owner_name": c.owner_name, "owner_credit_code": c.owner_credit_code, "owner_unit_id": c.owner_unit_id,
        "responsible_unit_id": c.responsible_unit_id, "contact_leader_id": c.contact_leader_id,
        "plan_doc": c.plan_doc, "total_investment": c.total_investment, "start_year": c.start_year,
        "end_year": c.end_year, "land_mu": c.land_mu, "started": c.started, "start_date": c.start_date,
        "description": c.description, "sort": sort,
        "cooperators": c.cooperators, "members": c.members, "tags": c.tags,
        "plan": plan.map(|p| serde_json::json!({"year": p.year, "annual": p.annual, "months": p.months, "mismatch": p.mismatch})),
    })
}

/// The stored project read back into the shape of a checked input.
async fn stored(
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

fn plan_of(r: &PlanRow) -> CheckedPlan {
    CheckedPlan {
        year: r.year,
        annual: r.annual,
        months: r.months(),
        mismatch: r.mismatch,
    }
}

/// A stored project in the shape of a checked input, from its row and children.
fn checked_of(
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

/// Every stored project with its children and plans, for comparing a whole ledger at
/// once: (project, checked form, plans by year).
async fn preload(
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

/// Reserves `n` new project ids inside `tx`. SQLite has one writer, which holds the
/// lock for the transaction; PostgreSQL draws them from the identity's sequence.
async fn reserve_ids(tx: &mut Tx, n: usize) -> Result<Vec<i64>> {
    Ok(match tx {
        Tx::Sqlite(t) => {
            let max: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM project")
                .fetch_one(&mut **t)
                .await?;
            (max + 1..=max + n as i64).collect()
        }
        Tx::Postgres(t) => sqlx::query_scalar(
            "SELECT nextval(pg_get_serial_sequence('project', 'id')) FROM generate_series(1, $1)",
        )
        .bind(n as i64)
        .fetch_all(&mut **t)
        .await?,
    })
}

/// Creates many checked projects with multi-row inserts, each audited. Returns their ids.
async fn insert_many(
    tx: &mut Tx,
    actor: &Actor,
    r: &mut Resolver,
    chain: &mut audit::Chain,
    items: &[Checked],
) -> Result<Vec<i64>> {
    use crate::Val;
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let ids = reserve_ids(tx, items.len()).await?;
    let mut sort = on_tx!(tx, cn => sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(sort) FROM project").fetch_one(cn).await)?.unwrap_or(0);
    let now = crate::now();
    let today = chrono::Local::now().date_naive();
    let (mut projects, mut members, mut tags, mut coops, mut plans, mut stages, mut audits) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::with_capacity(items.len()),
    );
    for (c, id) in items.iter().zip(&ids) {
        let id = *id;
        let s = c.sort.unwrap_or_else(|| {
            sort += 10;
            sort
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
            Val::S(actor.name.clone()),
            Val::T(now),
        ]);
        audits.push((
            "create",
            "project",
            id.to_string(),
            None,
            Some(snapshot_of(c, s, c.plan.as_ref())),
        ));
    }
    use crate::sql::insert_rows;
    insert_rows(tx, "INSERT INTO project (id, code, name, level, category, nature, stage, stage_date, division_id, owner_name, owner_credit_code, \
        owner_unit_id, responsible_unit_id, contact_leader_id, plan_doc, total_investment, start_year, end_year, land_mu, \
        started, start_date, description, sort, active, created_at, updated_at)", projects).await.map_err(|e| match e {
        StoreError::Db(e) => code_taken(e),
        e => e,
    })?;
    insert_rows(
        tx,
        "INSERT INTO project_member (project_id, seq, name, duty)",
        members,
    )
    .await?;
    insert_rows(tx, "INSERT INTO project_tag (project_id, tag)", tags).await?;
    insert_rows(
        tx,
        "INSERT INTO project_cooperator (project_id, unit_id)",
        coops,
    )
    .await?;
    insert_rows(tx, "INSERT INTO project_plan (project_id, year, annual, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, mismatch)", plans).await?;
    insert_rows(tx, "INSERT INTO project_stage_log (project_id, from_stage, to_stage, on_date, note, actor_name, at)", stages).await?;
    chain.append_many(tx, actor, audits).await?;
    for (c, id) in items.iter().zip(&ids) {
        r.remember(*id, c);
    }
    Ok(ids)
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

fn code_taken(e: sqlx::Error) -> StoreError {
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
                .append(
                    tx,
                    actor,
                    "update",
                    "project",
                    id,
                    Some(&before),
                    Some(&after),
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
                .append(tx, actor, "create", "project", id, None, Some(&after))
                .await?;
            Saved::Created(id)
        }
    };
    r.remember(saved.id(), c);
    Ok(saved)
}

/// Writes the children that differ from `was` (all of them for a new project).
async fn write_children(tx: &mut Tx, id: i64, c: &Checked, was: Option<&Checked>) -> Result<()> {
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

async fn log_stage(
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

async fn put_plan(tx: &mut Tx, id: i64, p: &CheckedPlan) -> Result<()> {
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

/// Sets the plan of one year for a project (months in 万元 text, or none).
pub async fn set_plan(
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    year: i64,
    annual_wan: &str,
    months_wan: &[Option<String>],
    allow_mismatch: bool,
) -> Result<PlanRow> {
    let p = by_id_tx(tx, id)
        .await?
        .ok_or_else(|| StoreError::not_found("项目", "project", id))?;
    require_write(actor, p.scope_units())?;
    let r = Resolver::load(tx).await?;
    let input = ProjectInput {
        plan_year: Some(year),
        annual_plan_wan: Some(annual_wan.to_string()),
        months_wan: months_wan.to_vec(),
        allow_plan_mismatch: allow_mismatch,
        ..Default::default()
    };
    let mut errs = Vec::new();
    let plan = r.check_plan(&input, &mut errs);
    if !errs.is_empty() {
        return Err(first_error(errs));
    }
    let plan = plan.ok_or_else(|| {
        DomainError::new(
            "annual_plan_wan",
            "请填写年度计划投资。",
            "The annual plan is required.",
        )
    })?;
    let before: Option<PlanRow> = on_tx!(tx, c => sqlx::query_as("SELECT * FROM project_plan WHERE project_id = $1 AND year = $2").bind(id).bind(year).fetch_optional(c).await)?;
    put_plan(tx, id, &plan).await?;
    let after: PlanRow = on_tx!(tx, c => sqlx::query_as("SELECT * FROM project_plan WHERE project_id = $1 AND year = $2").bind(id).bind(year).fetch_one(c).await)?;
    audit::record(
        tx,
        actor,
        "plan",
        "project",
        id,
        before.as_ref().map(|b| serde_json::json!(b)).as_ref(),
        Some(&serde_json::json!(after)),
    )
    .await?;
    Ok(after)
}

/// Copies every plan of `from` to `from + 1` for the projects in the actor's write scope
/// that are still live and have no plan for the new year. Returns how many were copied.
pub async fn copy_plans_forward(tx: &mut Tx, actor: &Actor, from: i64) -> Result<u64> {
    actor.access.require(Permission::ProjectWrite)?;
    let mut q = Sql::new(
        "SELECT p.id FROM project p LEFT JOIN unit g ON g.governs_division_id = p.division_id \
        JOIN project_plan pp ON pp.project_id = p.id AND pp.year = $1 WHERE p.active = TRUE AND p.stage NOT IN ('completed', 'operation', 'terminated') \
        AND NOT EXISTS (SELECT 1 FROM project_plan n WHERE n.project_id = p.id AND n.year = $2)",
    );
    q.vals = vec![crate::Val::I(from), crate::Val::I(from + 1)];
    and_scope(&mut q, &actor.access.scope(Permission::ProjectWrite));
    let ids: Vec<i64> = on_tx!(tx, c => bind_vals!(sqlx::query_scalar(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(c).await)?;
    for id in &ids {
        exec_tx!(tx, c => sqlx::query("INSERT INTO project_plan (project_id, year, annual, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, mismatch) \
            SELECT project_id, year + 1, annual, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, mismatch FROM project_plan WHERE project_id = $1 AND year = $2")
            .bind(*id).bind(from).execute(c).await)?;
    }
    audit::record(
        tx,
        actor,
        "copy_plans",
        "project_plan",
        from + 1,
        None,
        Some(&serde_json::json!({"from": from, "to": from + 1, "projects": ids})),
    )
    .await?;
    Ok(ids.len() as u64)
}

/// A milestone as written in a form or the API.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct MilestoneInput {
    /// Node name, e.g. 完成环评批复.
    pub name: String,
    /// Days the node takes.
    pub duration_days: Option<i64>,
    /// Planned finish, e.g. 2026-06-30.
    pub planned_date: Option<String>,
    /// Actual finish.
    pub actual_date: Option<String>,
    /// Note.
    pub note: Option<String>,
}

fn date_field(
    field: &'static str,
    label: &str,
    raw: &Option<String>,
) -> std::result::Result<Option<NaiveDate>, DomainError> {
    match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => dp::parse_date(s).map(Some).ok_or_else(|| {
            DomainError::new(
                field,
                format!("{label}“{s}”不是日期，应如 2026-06-30。"),
                format!("{field} '{s}' is not a date (e.g. 2026-06-30)."),
            )
        }),
    }
}

/// Replaces the milestones of a project. Planned dates must be in order.
pub async fn set_milestones(
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    nodes: &[MilestoneInput],
) -> Result<Vec<Milestone>> {
    let p = by_id_tx(tx, id)
        .await?
        .ok_or_else(|| StoreError::not_found("项目", "project", id))?;
    require_write(actor, p.scope_units())?;
    let mut checked = Vec::new();
    let mut last: Option<NaiveDate> = None;
    for (i, n) in nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| !n.name.trim().is_empty())
    {
        let name = text::name("name", "节点名称", &n.name)?;
        let planned = date_field("planned_date", "计划完成时间", &n.planned_date)?;
        let actual = date_field("actual_date", "实际完成时间", &n.actual_date)?;
        if let Some(d) = n.duration_days
            && !(0..=3650).contains(&d)
        {
            return Err(DomainError::new(
                "duration_days",
                format!("第 {} 个节点的工期 {d} 天不合理（0–3650）。", i + 1),
                format!("Node {}: duration {d} days is out of range.", i + 1),
            )
            .into());
        }
        if let (Some(a), Some(b)) = (last, planned)
            && b < a
        {
            return Err(DomainError::new("planned_date", format!("第 {} 个节点“{name}”的计划完成时间 {b} 早于上一节点的 {a}，节点应按时间先后排列。", i + 1), format!("Node {} '{name}' is planned for {b}, before the previous node's {a}.", i + 1)).into());
        }
        last = planned.or(last);
        checked.push((
            name,
            n.duration_days,
            planned,
            actual,
            n.note.clone().filter(|s| !s.trim().is_empty()),
        ));
    }
    let before: Vec<Milestone> = on_tx!(tx, c => sqlx::query_as("SELECT id, seq, name, duration_days, planned_date, actual_date, note FROM milestone WHERE project_id = $1 ORDER BY seq, id").bind(id).fetch_all(c).await)?;
    exec_tx!(tx, c => sqlx::query("DELETE FROM milestone WHERE project_id = $1").bind(id).execute(c).await)?;
    for (i, (name, dur, planned, actual, note)) in checked.iter().enumerate() {
        exec_tx!(tx, c => sqlx::query("INSERT INTO milestone (project_id, seq, name, duration_days, planned_date, actual_date, note) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(id).bind(i as i64 + 1).bind(name.clone()).bind(*dur).bind(*planned).bind(*actual).bind(note.clone()).execute(c).await)?;
    }
    let after: Vec<Milestone> = on_tx!(tx, c => sqlx::query_as("SELECT id, seq, name, duration_days, planned_date, actual_date, note FROM milestone WHERE project_id = $1 ORDER BY seq, id").bind(id).fetch_all(c).await)?;
    audit::record(
        tx,
        actor,
        "milestones",
        "project",
        id,
        Some(&serde_json::json!(before)),
        Some(&serde_json::json!(after)),
    )
    .await?;
    Ok(after)
}

/// Moves a project to another stage (allowed transitions only), with a date and a note.
pub async fn change_stage(
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    to: &str,
    on: Option<&str>,
    note: Option<&str>,
) -> Result<Project> {
    let p = by_id_tx(tx, id)
        .await?
        .ok_or_else(|| StoreError::not_found("项目", "project", id))?;
    require_write(actor, p.scope_units())?;
    let from = Stage::parse(&p.stage)?;
    let to = Stage::parse(to)?;
    from.check_move(to)?;
    let on = match date_field("on_date", "日期", &on.map(str::to_string))? {
        Some(d) => d,
        None => chrono::Local::now().date_naive(),
    };
    let note = note
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let now = crate::now();
    exec_tx!(tx, c => sqlx::query("INSERT INTO project_stage_log (project_id, from_stage, to_stage, on_date, note, actor_name, at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(id).bind(from.as_str()).bind(to.as_str()).bind(on).bind(note.clone()).bind(actor.name.clone()).bind(now).execute(c).await)?;
    let started = p.started || to.is_started();
    let start_date = if to == Stage::Construction && p.start_date.is_none() {
        Some(on)
    } else {
        p.start_date
    };
    exec_tx!(tx, c => sqlx::query("UPDATE project SET stage = $1, stage_date = $2, started = $3, start_date = $4, active = $5, updated_at = $6 WHERE id = $7")
        .bind(to.as_str()).bind(on).bind(started).bind(start_date).bind(to != Stage::Terminated).bind(now).bind(id).execute(c).await)?;
    audit::record(
        tx,
        actor,
        "stage",
        "project",
        id,
        Some(&serde_json::json!({"stage": from.as_str()})),
        Some(&serde_json::json!({"stage": to.as_str(), "on": on, "note": note})),
    )
    .await?;
    Ok(by_id_tx(tx, id).await?.expect("exists"))
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
    actor.access.require(Permission::ProjectWrite)?;
    let mut r = Resolver::load(tx).await?;
    let mut out = BulkOutcome::default();
    let mut good: Vec<(usize, Checked, Option<i64>)> = Vec::new();
    let mut seen_codes: HashMap<String, usize> = HashMap::new();
    let mut seen_names: HashMap<(i64, String), usize> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        let mut errs = Vec::new();
        match r.check(row.input) {
            Ok(c) => {
                let existing = r.existing(&c);
                if let Some(code) = &c.code
                    && let Some(first) = seen_codes.insert(code.clone(), row.row)
                {
                    errs.push(DomainError::new(
                        "code",
                        format!("项目代码“{code}”与第 {first} 行重复。"),
                        format!("Project code '{code}' repeats row {first}."),
                    ));
                }
                if existing.is_none()
                    && c.code.is_none()
                    && let Some(first) = seen_names.insert((c.division_id, c.name.clone()), row.row)
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
                let scope_ok = in_scope(actor, Permission::ProjectWrite, c.scope_units());
                if !scope_ok {
                    errs.push(DomainError::new(
                        "division",
                        "该项目不在您的数据范围内，不能导入。",
                        "This project is outside your data scope.",
                    ));
                }
                if errs.is_empty() {
                    good.push((i, c, existing));
                }
            }
            Err(es) => errs = es,
        }
        for e in errs {
            out.errors.push(RowError {
                sheet: row.sheet.to_string(),
                row: row.row,
                field: e.field.to_string(),
                message: e.msg.zh,
                message_en: e.msg.en,
            });
        }
    }
    let failed_rows: BTreeSet<(&str, usize)> = out
        .errors
        .iter()
        .map(|e| (e.sheet.as_str(), e.row))
        .collect();
    if !out.errors.is_empty() && !valid_only {
        out.skipped = rows.len();
        return Ok(out);
    }
    out.skipped = failed_rows.len();
    drop(failed_rows);
    let (creates, updates): (Vec<_>, Vec<_>) = good
        .into_iter()
        .partition(|(_, _, existing)| existing.is_none());
    // Existing projects: compared in memory with what is stored; only changes are written.
    let mut changed: Vec<(usize, Checked, i64)> = Vec::new();
    if !updates.is_empty() {
        let stored = preload(tx).await?;
        for (i, c, existing) in updates {
            let id = existing.expect("partitioned");
            let same = stored.get(&id).is_some_and(|(p, was, plans)| {
                let plan = c.plan.as_ref().and_then(|cp| plans.get(&cp.year));
                snapshot_of(was, p.sort, plan)
                    == snapshot_of(&c, c.sort.unwrap_or(p.sort), c.plan.as_ref())
            });
            if same {
                out.skipped += 1;
            } else {
                changed.push((i, c, id));
            }
        }
    }
    if dry_run {
        out.imported = creates.len();
        out.updated = changed.len();
        return Ok(out);
    }
    let mut chain = audit::Chain::load(tx).await?;
    for (i, c, id) in changed {
        let row = &rows[i];
        match save(tx, actor, &mut r, &mut chain, Some(id), &c).await {
            Ok(Saved::Created(_)) => out.imported += 1,
            Ok(Saved::Updated(_)) => out.updated += 1,
            Ok(Saved::Unchanged(_)) => out.skipped += 1,
            Err(StoreError::Invalid(e)) | Err(StoreError::Conflict(e)) => {
                out.errors.push(RowError {
                    sheet: row.sheet.to_string(),
                    row: row.row,
                    field: e.field.to_string(),
                    message: e.msg.zh,
                    message_en: e.msg.en,
                });
                out.skipped += 1;
                if !valid_only {
                    return Ok(BulkOutcome {
                        imported: 0,
                        updated: 0,
                        skipped: rows.len(),
                        errors: out.errors,
                    });
                }
            }
            Err(e) => return Err(e),
        }
    }
    let new: Vec<Checked> = creates.into_iter().map(|(_, c, _)| c).collect();
    out.imported += insert_many(tx, actor, &mut r, &mut chain, &new)
        .await?
        .len();
    Ok(out)
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

/// Extra column names of the ledger import, as (field, synonym).
pub async fn synonyms(db: &Db) -> Result<Vec<(i64, String, String)>> {
    Ok(
        on_db!(db, c => sqlx::query_as("SELECT id, field, synonym FROM column_synonym ORDER BY field, synonym").fetch_all(c).await)?,
    )
}

/// Adds a column name for a field of the ledger import.
pub async fn add_synonym(
    tx: &mut Tx,
    actor: &Actor,
    field: &str,
    synonym: &str,
    known_fields: &[&str],
) -> Result<i64> {
    actor.access.require(Permission::ProjectAdmin)?;
    if !known_fields.contains(&field) {
        return Err(DomainError::new(
            "field",
            format!("字段“{field}”不存在。"),
            format!("Unknown field '{field}'."),
        )
        .into());
    }
    let syn = text::name("synonym", "列名", synonym)?;
    let id: i64 = on_tx!(tx, c => sqlx::query_scalar("INSERT INTO column_synonym (field, synonym, created_at) VALUES ($1, $2, $3) RETURNING id")
        .bind(field.to_string()).bind(syn.clone()).bind(crate::now()).fetch_one(c).await)
        .map_err(|e| StoreError::from(e).map_unique("column_synonym.synonym", "synonym", &format!("列名“{syn}”已登记。"), &format!("Column name '{syn}' is already registered.")))?;
    audit::record(
        tx,
        actor,
        "create",
        "column_synonym",
        id,
        None,
        Some(&serde_json::json!({"field": field, "synonym": syn})),
    )
    .await?;
    Ok(id)
}

/// Removes an added column name.
pub async fn delete_synonym(tx: &mut Tx, actor: &Actor, id: i64) -> Result<()> {
    actor.access.require(Permission::ProjectAdmin)?;
    let before: Option<(String, String)> = on_tx!(tx, c => sqlx::query_as("SELECT field, synonym FROM column_synonym WHERE id = $1").bind(id).fetch_optional(c).await)?;
    let (field, syn) = before.ok_or_else(|| StoreError::not_found("列名", "synonym", id))?;
    exec_tx!(tx, c => sqlx::query("DELETE FROM column_synonym WHERE id = $1").bind(id).execute(c).await)?;
    audit::record(
        tx,
        actor,
        "delete",
        "column_synonym",
        id,
        Some(&serde_json::json!({"field": field, "synonym": syn})),
        None,
    )
    .await?;
    Ok(())
}

/// Keeps an uploaded workbook between preview and confirmation; returns its id.
pub async fn stash_upload(
    tx: &mut Tx,
    actor: &Actor,
    file_name: &str,
    content: &[u8],
) -> Result<i64> {
    let uid = actor
        .user_id
        .ok_or_else(|| StoreError::Config("uploads need a user".into()))?;
    // Old uploads of this user are dropped: only the latest preview can be confirmed.
    exec_tx!(tx, c => sqlx::query("DELETE FROM import_upload WHERE user_id = $1").bind(uid).execute(c).await)?;
    Ok(
        on_tx!(tx, c => sqlx::query_scalar("INSERT INTO import_upload (user_id, file_name, content, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(uid).bind(file_name.to_string()).bind(content.to_vec()).bind(crate::now()).fetch_one(c).await)?,
    )
}

/// An uploaded workbook of this user, by id.
pub async fn take_upload(db: &Db, actor: &Actor, id: i64) -> Result<(String, Vec<u8>)> {
    let uid = actor.user_id.unwrap_or(-1);
    let row: Option<(String, Vec<u8>)> = on_db!(db, c => sqlx::query_as("SELECT file_name, content FROM import_upload WHERE id = $1 AND user_id = $2").bind(id).bind(uid).fetch_optional(c).await)?;
    row.ok_or_else(|| StoreError::not_found("上传文件", "upload", id))
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

/// Replaces the milestones of many projects at once (the generator's path), with one
/// audit record naming the projects.
pub async fn seed_milestones(
    tx: &mut Tx,
    actor: &Actor,
    items: &[(i64, &[MilestoneInput])],
) -> Result<()> {
    use crate::Val;
    let ids: Vec<i64> = items.iter().map(|(i, _)| *i).collect();
    for chunk in ids.chunks(500) {
        let mut q = Sql::new("DELETE FROM milestone WHERE project_id IN (");
        for (i, id) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(",");
            }
            q.bind(*id);
        }
        q.push(")");
        exec_tx!(tx, c => bind_vals!(sqlx::query(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).execute(c).await)?;
    }
    let mut rows = Vec::new();
    for (id, nodes) in items {
        for (i, n) in nodes.iter().enumerate() {
            let planned = date_field("planned_date", "计划完成时间", &n.planned_date)?;
            let actual = date_field("actual_date", "实际完成时间", &n.actual_date)?;
            rows.push(vec![
                Val::I(*id),
                Val::I(i as i64 + 1),
                Val::S(n.name.clone()),
                Val::OI(n.duration_days),
                Val::D(planned),
                Val::D(actual),
                Val::OS(n.note.clone()),
            ]);
        }
    }
    crate::sql::insert_rows(tx, "INSERT INTO milestone (project_id, seq, name, duration_days, planned_date, actual_date, note)", rows).await?;
    audit::record(
        tx,
        actor,
        "seed_milestones",
        "project",
        "*",
        None,
        Some(&serde_json::json!({"projects": ids.len(), "first": ids.first(), "last": ids.last()})),
    )
    .await
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
