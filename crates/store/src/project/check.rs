//! Checking a project input against the rules and resolving its names and codes.

#[allow(unused_imports)]
use super::*;
#[allow(unused_imports)]
use super::{admin::*, bulk::*, plan::*, write::*};

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
        Self::load_with(tx, false).await
    }

    /// Like [`Resolver::load`], plus the code and name of every stored project, so a
    /// whole ledger can be matched to existing projects without a query per row.
    pub async fn load_with_projects(tx: &mut Tx) -> Result<Resolver> {
        Self::load_with(tx, true).await
    }

    async fn load_with(tx: &mut Tx, with_projects: bool) -> Result<Resolver> {
        let divs: Vec<(i64, String, String, Option<i64>)> = on_tx!(tx, c => sqlx::query_as("SELECT d.id, d.code, d.name, g.id FROM division d LEFT JOIN unit g ON g.governs_division_id = d.id WHERE d.active = TRUE").fetch_all(c).await)?;
        let units: Vec<(i64, String, String, Option<String>)> = on_tx!(tx, c => sqlx::query_as("SELECT id, code, name, credit_code FROM unit WHERE active = TRUE").fetch_all(c).await)?;
        let leaders: Vec<(i64, String)> = on_tx!(tx, c => sqlx::query_as("SELECT id, name FROM leader WHERE active = TRUE").fetch_all(c).await)?;
        let projects: Vec<(i64, Option<String>, i64, String)> = if with_projects {
            on_tx!(tx, c => sqlx::query_as("SELECT id, code, division_id, name FROM project").fetch_all(c).await)?
        } else {
            Vec::new()
        };
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

    pub(super) fn remember(&mut self, id: i64, c: &Checked) {
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
        let plan = check_plan(input, self.year, &mut errs);
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
    pub(super) fn scope_units(&self) -> [Option<i64>; 3] {
        [
            self.gov_unit_id,
            self.responsible_unit_id,
            self.owner_unit_id,
        ]
    }
}

pub(crate) fn in_scope(actor: &Actor, p: Permission, units: [Option<i64>; 3]) -> bool {
    let s = actor.access.scope(p);
    units.iter().any(|u| s.allows(*u, None))
}

pub(super) fn require_write(actor: &Actor, units: [Option<i64>; 3]) -> Result<()> {
    actor.access.require(Permission::ProjectWrite)?;
    if in_scope(actor, Permission::ProjectWrite, units) {
        Ok(())
    } else {
        Err(StoreError::Denied(gongjian_domain::access::Denied(
            Permission::ProjectWrite,
        )))
    }
}

pub(super) fn first_error(errs: Vec<DomainError>) -> StoreError {
    StoreError::Invalid(errs.into_iter().next().expect("at least one error"))
}

/// Checks the plan part of an input: the year (default `default_year`), the annual
/// amount and the months; a mismatch is refused unless the input allows it (flagged).
/// The monthly plan's labels in messages.
const MONTH_PLAN: [&str; 12] = [
    "1月计划",
    "2月计划",
    "3月计划",
    "4月计划",
    "5月计划",
    "6月计划",
    "7月计划",
    "8月计划",
    "9月计划",
    "10月计划",
    "11月计划",
    "12月计划",
];

pub(super) fn check_plan(
    input: &ProjectInput,
    default_year: i64,
    errs: &mut Vec<DomainError>,
) -> Option<CheckedPlan> {
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
    let year = input.plan_year.unwrap_or(default_year);
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
            match money::parse_money("months_wan", MONTH_PLAN[i.min(11)], t, MoneyUnit::Wan) {
                Ok(v) => months[i] = Some(v),
                Err(e) => errs.push(e),
            }
        }
    }
    let annual = match annual_txt {
        Some(t) => match money::parse_money("annual_plan_wan", "年度计划投资", t, MoneyUnit::Wan)
        {
            Ok(v) => v,
            Err(e) => {
                errs.push(e);
                return None;
            }
        },
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
