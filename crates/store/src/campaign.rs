//! Campaigns (攻坚战) and hundred-day campaigns (百日攻坚): the leading group and member
//! units, the four clarities, the project list with each project's light and next
//! milestone from our data, indicators whose targets chain week → month → quarter → year,
//! and the weekly values the task forces enter; where every period stands and which
//! week's shortfall endangers which month.

use crate::sql::Sql;
use crate::{
    Actor, Db, Result, StoreError, Tx, audit, bind_vals, exec_tx, on_db, on_tx, row_struct,
};
use chrono::NaiveDate;
use gongjian_domain::DomainError;
use gongjian_domain::access::Permission;
use gongjian_domain::campaign::{self as cg, Gap, Plan, Standing};
use std::collections::BTreeMap;

/// Kinds: (identifier, Chinese).
pub const KINDS: [(&str, &str); 2] = [("campaign", "攻坚战"), ("hundred_day", "百日攻坚")];

/// Roles in the leading group or command post.
pub const LEADER_ROLES: [(&str, &str); 3] = [
    ("lead", "牵头领导"),
    ("deputy", "副组长"),
    ("member", "成员"),
];

/// Roles of units.
pub const UNIT_ROLES: [(&str, &str); 2] = [("command", "指挥部办公室"), ("member", "成员单位")];

fn zh(table: &[(&str, &'static str)], k: &str) -> &'static str {
    table.iter().find(|x| x.0 == k).map_or("", |x| x.1)
}

row_struct! {
    /// A campaign.
    #[derive(Debug, Clone, serde::Serialize)]
    pub struct Campaign {
        pub id: i64,
        pub code: String,
        pub name: String,
        pub kind: String,
        pub command_post: String,
        pub standard: String,
        pub approach: String,
        pub tasks_year: String,
        pub tasks_plan: String,
        pub starts_on: NaiveDate,
        pub ends_on: NaiveDate,
    }
}

impl Campaign {
    /// Chinese kind.
    pub fn kind_zh(&self) -> &'static str {
        zh(&KINDS, &self.kind)
    }
}

const CAMPAIGN: &str = "SELECT id, code, name, kind, command_post, standard, approach, tasks_year, tasks_plan, starts_on, ends_on FROM campaign";

/// A leader in the leading group, by name.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct LeaderRole {
    pub name: String,
    /// lead, deputy or member.
    pub role: String,
}

/// A unit of the campaign, by code.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
pub struct UnitRole {
    pub code: String,
    /// command or member.
    pub role: String,
}

/// An indicator with its task force and chained targets.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct IndicatorInput {
    pub code: String,
    pub name: String,
    /// 万元, 个, 户 …
    #[serde(default)]
    pub unit: String,
    /// The task force (专班) responsible.
    #[serde(default)]
    pub task_force: String,
    /// Code of the unit that leads the task force and enters the weekly values.
    pub unit_code: String,
    /// Targets per week, month, quarter and year.
    #[serde(default)]
    pub plan: Plan,
}

/// A new campaign (the JSON of `gongjian campaign create --file`).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct CampaignInput {
    pub code: String,
    pub name: String,
    /// campaign or hundred_day.
    pub kind: String,
    /// The leading group or command post (领导小组 / 指挥部).
    #[serde(default)]
    pub command_post: String,
    #[serde(default)]
    pub leaders: Vec<LeaderRole>,
    #[serde(default)]
    pub units: Vec<UnitRole>,
    /// 标准：the benchmark aimed at.
    #[serde(default)]
    pub standard: String,
    /// 思路：the approach.
    #[serde(default)]
    pub approach: String,
    /// 任务：this year.
    #[serde(default)]
    pub tasks_year: String,
    /// 任务：the five-year plan.
    #[serde(default)]
    pub tasks_plan: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Project codes (or names) in the campaign.
    #[serde(default)]
    pub projects: Vec<String>,
    /// 成效：the outcome indicators.
    #[serde(default)]
    pub indicators: Vec<IndicatorInput>,
}

fn bad(field: &'static str, zh: String, en: String) -> StoreError {
    DomainError::new(field, zh, en).into()
}

/// Creates a campaign (task.admin: the supervision office).
pub async fn create(tx: &mut Tx, actor: &Actor, input: &CampaignInput) -> Result<Campaign> {
    actor.access.require(Permission::TaskAdmin)?;
    let code = gongjian_domain::text::code("code", "攻坚战代码", &input.code)?;
    let name = gongjian_domain::text::name("name", "攻坚战名称", &input.name)?;
    if !KINDS.iter().any(|k| k.0 == input.kind) {
        return Err(bad(
            "kind",
            "类型应为 campaign（攻坚战）或 hundred_day（百日攻坚）。".into(),
            "kind must be campaign or hundred_day".into(),
        ));
    }
    cg::check_dates(input.starts_on, input.ends_on)?;
    if !input.leaders.iter().any(|l| l.role == "lead") {
        return Err(bad(
            "leaders",
            "须指定一位牵头领导（role 为 lead）。".into(),
            "Name one lead leader (role lead).".into(),
        ));
    }
    if input.indicators.is_empty() {
        return Err(bad(
            "indicators",
            "须至少有一项量化成效指标。".into(),
            "A campaign needs at least one outcome indicator.".into(),
        ));
    }
    let now = crate::now();
    let sort: i64 = on_tx!(tx, c => sqlx::query_scalar("SELECT COALESCE(MAX(sort), 0) + 1 FROM campaign").fetch_one(c).await)?;
    let id: i64 = on_tx!(tx, c => sqlx::query_scalar("INSERT INTO campaign (code, name, kind, command_post, standard, approach, tasks_year, tasks_plan, starts_on, ends_on, sort, created_at, updated_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id")
        .bind(code.clone()).bind(name).bind(input.kind.clone()).bind(input.command_post.trim()).bind(input.standard.trim()).bind(input.approach.trim())
        .bind(input.tasks_year.trim()).bind(input.tasks_plan.trim()).bind(input.starts_on).bind(input.ends_on).bind(sort).bind(now).fetch_one(c).await)
        .map_err(|e| StoreError::from(e).map_unique("campaign.code", "code", &format!("攻坚战代码“{code}”已被使用。"), &format!("Campaign code '{code}' is taken.")))?;
    for l in &input.leaders {
        if !LEADER_ROLES.iter().any(|r| r.0 == l.role) {
            return Err(bad(
                "leaders",
                format!(
                    "领导“{}”的角色“{}”无效，可选 lead、deputy、member。",
                    l.name, l.role
                ),
                format!("Leader '{}': role must be lead, deputy or member.", l.name),
            ));
        }
        let lid: Option<i64> = on_tx!(tx, c => sqlx::query_scalar("SELECT id FROM leader WHERE name = $1 AND active = TRUE").bind(l.name.trim()).fetch_optional(c).await)?;
        let lid = lid.ok_or_else(|| {
            bad(
                "leaders",
                format!("市级领导“{}”不存在或已停用。", l.name),
                format!("No active leader '{}'.", l.name),
            )
        })?;
        exec_tx!(tx, c => sqlx::query("INSERT INTO campaign_leader (campaign_id, leader_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING").bind(id).bind(lid).bind(l.role.clone()).execute(c).await)?;
    }
    for u in &input.units {
        if !UNIT_ROLES.iter().any(|r| r.0 == u.role) {
            return Err(bad(
                "units",
                format!(
                    "单位“{}”的角色“{}”无效，可选 command、member。",
                    u.code, u.role
                ),
                format!("Unit '{}': role must be command or member.", u.code),
            ));
        }
        let unit = unit_id(tx, &u.code, "units").await?;
        exec_tx!(tx, c => sqlx::query("INSERT INTO campaign_unit (campaign_id, unit_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING").bind(id).bind(unit).bind(u.role.clone()).execute(c).await)?;
    }
    for p in &input.projects {
        let pid: Option<i64> = on_tx!(tx, c => sqlx::query_scalar("SELECT id FROM project WHERE code = $1 OR name = $1 ORDER BY id LIMIT 1").bind(p.trim()).fetch_optional(c).await)?;
        let pid = pid.ok_or_else(|| {
            bad(
                "projects",
                format!("项目“{p}”不存在（按项目代码或名称查找）。"),
                format!("No project '{p}' (by code or name)."),
            )
        })?;
        exec_tx!(tx, c => sqlx::query("INSERT INTO campaign_project (campaign_id, project_id) VALUES ($1, $2) ON CONFLICT DO NOTHING").bind(id).bind(pid).execute(c).await)?;
    }
    for (i, ind) in input.indicators.iter().enumerate() {
        let icode = gongjian_domain::text::code("indicators", "指标代码", &ind.code)?;
        let iname = gongjian_domain::text::name("indicators", "指标名称", &ind.name)?;
        if ind
            .plan
            .weeks
            .values()
            .chain(ind.plan.months.values())
            .chain(ind.plan.quarters.values())
            .chain(ind.plan.year.iter())
            .any(|v| *v < 0)
        {
            return Err(bad(
                "indicators",
                format!("指标“{iname}”的目标不能为负数。"),
                format!("Indicator '{icode}': targets cannot be negative."),
            ));
        }
        let weeks = cg::weeks(input.starts_on, input.ends_on).len() as u32;
        if let Some(w) = ind.plan.weeks.keys().find(|w| **w == 0 || **w > weeks) {
            return Err(bad(
                "indicators",
                format!("指标“{iname}”的第 {w} 周不在攻坚期内（共 {weeks} 周）。"),
                format!("Indicator '{icode}': week {w} is outside the campaign ({weeks} weeks)."),
            ));
        }
        let unit = unit_id(tx, &ind.unit_code, "indicators").await?;
        let plan = serde_json::to_string(&ind.plan).expect("serialisable");
        exec_tx!(tx, c => sqlx::query("INSERT INTO campaign_indicator (campaign_id, code, name, unit, task_force, unit_id, plan, sort) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(id).bind(icode.clone()).bind(iname).bind(ind.unit.trim()).bind(ind.task_force.trim()).bind(unit).bind(plan).bind(i as i64).execute(c).await)
            .map_err(|e| StoreError::from(e).map_unique("campaign_indicator", "indicators", &format!("指标代码“{icode}”重复。"), &format!("Indicator code '{icode}' is repeated.")))?;
    }
    audit::record(
        tx,
        actor,
        "create",
        "campaign",
        id,
        None,
        Some(&serde_json::json!({
            "code": code, "kind": input.kind, "leaders": input.leaders, "units": input.units,
            "projects": input.projects, "indicators": input.indicators,
        })),
    )
    .await?;
    let sql = format!("{CAMPAIGN} WHERE id = $1");
    Ok(
        on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_one(c).await)?,
    )
}

async fn unit_id(tx: &mut Tx, code: &str, field: &'static str) -> Result<i64> {
    crate::unit::by_code_tx(tx, code.trim())
        .await?
        .filter(|u| u.active)
        .map(|u| u.id)
        .ok_or_else(|| {
            bad(
                field,
                format!("单位“{code}”不存在或已停用。"),
                format!("No active unit '{code}'."),
            )
        })
}

/// Every campaign, in their order.
pub async fn list(db: &Db) -> Result<Vec<Campaign>> {
    let sql = format!("{CAMPAIGN} ORDER BY sort, id");
    Ok(on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).fetch_all(c).await)?)
}

/// A campaign by code.
pub async fn by_code(db: &Db, code: &str) -> Result<Campaign> {
    let sql = format!("{CAMPAIGN} WHERE code = $1");
    let c: Option<Campaign> = on_db!(db, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(code).fetch_optional(c).await)?;
    c.ok_or_else(|| StoreError::not_found("攻坚战", "campaign", code))
}

/// A member of the leading group.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LeaderLine {
    pub name: String,
    pub title: String,
    pub role: String,
    pub role_zh: &'static str,
}

/// A member unit.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UnitLine {
    pub code: String,
    pub name: String,
    pub role: String,
    pub role_zh: &'static str,
}

row_struct! {
    /// A project of the campaign with its newest light and its next open milestone.
    #[derive(Debug, Clone, serde::Serialize)]
    pub struct ProjectLine {
        pub id: i64,
        pub code: Option<String>,
        pub name: String,
        pub stage: String,
        pub division_name: String,
        pub light: Option<String>,
        pub annual: Option<i64>,
        pub cumulative: Option<i64>,
        pub period: Option<String>,
        pub milestone: Option<String>,
        pub milestone_due: Option<NaiveDate>,
    }
}

/// An indicator with where it stands.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IndicatorView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub unit: String,
    pub task_force: String,
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub plan: Plan,
    /// Week → (value, note).
    pub actual: BTreeMap<u32, (i64, String)>,
    /// Weeks, months, quarters and the year.
    pub standings: Vec<Standing>,
    /// Where the plan's levels do not add up.
    pub gaps: Vec<Gap>,
    /// One sentence per endangered month, quarter or year.
    pub warnings: Vec<String>,
}

/// A supervised task issued for the campaign.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TaskLine {
    pub id: i64,
    pub title: String,
    pub unit: String,
    pub deadline: NaiveDate,
    pub status: String,
}

/// Everything the campaign page shows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Detail {
    pub campaign: Campaign,
    pub leaders: Vec<LeaderLine>,
    pub units: Vec<UnitLine>,
    /// Projects within the actor's scope.
    pub projects: Vec<ProjectLine>,
    pub indicators: Vec<IndicatorView>,
    pub tasks: Vec<TaskLine>,
    /// (week, first day, last day).
    pub weeks: Vec<(u32, NaiveDate, NaiveDate)>,
    /// The current week (if the campaign is running).
    pub this_week: Option<u32>,
}

/// (id, code, name, unit, task force, unit id, unit code, unit name, plan JSON).
type IndicatorRow = (
    i64,
    String,
    String,
    String,
    String,
    i64,
    String,
    String,
    String,
);

/// The campaign as of `today`, its projects limited to what the actor may see.
pub async fn detail(db: &Db, actor: &Actor, code: &str, today: NaiveDate) -> Result<Detail> {
    actor.access.require(Permission::ProjectRead)?;
    let campaign = by_code(db, code).await?;
    let leaders: Vec<(String, String, String)> = on_db!(db, c => sqlx::query_as(
        "SELECT l.name, l.title, cl.role FROM campaign_leader cl JOIN leader l ON l.id = cl.leader_id WHERE cl.campaign_id = $1 ORDER BY CASE cl.role WHEN 'lead' THEN 0 WHEN 'deputy' THEN 1 ELSE 2 END, l.sort, l.id")
        .bind(campaign.id).fetch_all(c).await)?;
    let units: Vec<(String, String, String)> = on_db!(db, c => sqlx::query_as(
        "SELECT u.code, u.name, cu.role FROM campaign_unit cu JOIN unit u ON u.id = cu.unit_id WHERE cu.campaign_id = $1 ORDER BY CASE cu.role WHEN 'command' THEN 0 ELSE 1 END, u.code")
        .bind(campaign.id).fetch_all(c).await)?;
    // Each project's newest light and its first milestone not yet reached.
    let mut q = Sql::new(
        "SELECT p.id, p.code, p.name, p.stage, d.name AS division_name, l.light, l.annual, l.cumulative, \
         CASE WHEN l.year IS NULL THEN NULL ELSE CAST(l.year AS TEXT) || '-' || CASE WHEN l.month < 10 THEN '0' ELSE '' END || CAST(l.month AS TEXT) END AS period, \
         (SELECT m.name FROM milestone m WHERE m.project_id = p.id AND m.actual_date IS NULL ORDER BY m.seq LIMIT 1) AS milestone, \
         (SELECT m.planned_date FROM milestone m WHERE m.project_id = p.id AND m.actual_date IS NULL ORDER BY m.seq LIMIT 1) AS milestone_due \
         FROM campaign_project cp JOIN project p ON p.id = cp.project_id JOIN division d ON d.id = p.division_id \
         LEFT JOIN light l ON l.project_id = p.id AND l.year * 100 + l.month = (SELECT MAX(x.year * 100 + x.month) FROM light x WHERE x.project_id = p.id) \
         WHERE cp.campaign_id = ",
    );
    q.bind(campaign.id);
    crate::project::and_scope(&mut q, &actor.access.scope(Permission::ProjectRead));
    q.push(" ORDER BY p.sort, p.id");
    let projects: Vec<ProjectLine> = on_db!(db, c => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(c).await)?;
    let inds: Vec<IndicatorRow> = on_db!(db, c => sqlx::query_as(
        "SELECT i.id, i.code, i.name, i.unit, i.task_force, u.id, u.code, u.name, i.plan FROM campaign_indicator i JOIN unit u ON u.id = i.unit_id WHERE i.campaign_id = $1 ORDER BY i.sort, i.id")
        .bind(campaign.id).fetch_all(c).await)?;
    let actuals: Vec<(i64, i64, i64, String)> = on_db!(db, c => sqlx::query_as(
        "SELECT a.indicator_id, a.week, a.value, a.note FROM campaign_actual a JOIN campaign_indicator i ON i.id = a.indicator_id WHERE i.campaign_id = $1")
        .bind(campaign.id).fetch_all(c).await)?;
    let (s, e) = (campaign.starts_on, campaign.ends_on);
    let indicators = inds
        .into_iter()
        .map(
            |(id, code, name, unit, task_force, unit_id, unit_code, unit_name, plan)| {
                let plan: Plan = serde_json::from_str(&plan).unwrap_or_default();
                let actual: BTreeMap<u32, (i64, String)> = actuals
                    .iter()
                    .filter(|a| a.0 == id)
                    .map(|a| (a.1 as u32, (a.2, a.3.clone())))
                    .collect();
                let values: BTreeMap<u32, i64> =
                    actual.iter().map(|(w, (v, _))| (*w, *v)).collect();
                let standings = cg::standings(&plan, &values, s, e, today);
                let warnings = standings
                    .iter()
                    .filter(|x| x.level != cg::Level::Week)
                    .filter_map(|x| cg::warning(x, &unit))
                    .collect();
                IndicatorView {
                    gaps: cg::check_chain(&plan, s, e),
                    id,
                    code,
                    name,
                    unit,
                    task_force,
                    unit_id,
                    unit_code,
                    unit_name,
                    plan,
                    actual,
                    standings,
                    warnings,
                }
            },
        )
        .collect();
    let tasks: Vec<(i64, String, String, NaiveDate, String)> = on_db!(db, c => sqlx::query_as(
        "SELECT t.id, t.title, u.name, t.deadline, t.status FROM task t JOIN unit u ON u.id = t.lead_unit_id WHERE t.source = 'campaign' AND t.source_ref = $1 ORDER BY t.deadline, t.id")
        .bind(campaign.code.clone()).fetch_all(c).await)?;
    let weeks = cg::weeks(s, e);
    let this_week = weeks
        .iter()
        .find(|w| w.1 <= today && today <= w.2)
        .map(|w| w.0);
    Ok(Detail {
        leaders: leaders
            .into_iter()
            .map(|(name, title, role)| LeaderLine {
                role_zh: zh(&LEADER_ROLES, &role),
                name,
                title,
                role,
            })
            .collect(),
        units: units
            .into_iter()
            .map(|(code, name, role)| UnitLine {
                role_zh: zh(&UNIT_ROLES, &role),
                code,
                name,
                role,
            })
            .collect(),
        projects,
        indicators,
        tasks: tasks
            .into_iter()
            .map(|(id, title, unit, deadline, status)| TaskLine {
                id,
                title,
                unit,
                deadline,
                status,
            })
            .collect(),
        weeks,
        this_week,
        campaign,
    })
}

/// Records what an indicator achieved in a week (task.write; only the task force's lead
/// unit, or the supervision office). A week not yet begun is refused; entering a week
/// again replaces its value, audited.
#[allow(clippy::too_many_arguments)]
pub async fn enter(
    tx: &mut Tx,
    actor: &Actor,
    code: &str,
    indicator: &str,
    week: &str,
    value: &str,
    note: &str,
    today: NaiveDate,
) -> Result<()> {
    actor.access.require(Permission::TaskWrite)?;
    let sql = format!("{CAMPAIGN} WHERE code = $1");
    let c: Option<Campaign> = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(code).fetch_optional(c).await)?;
    let c = c.ok_or_else(|| StoreError::not_found("攻坚战", "campaign", code))?;
    let row: Option<(i64, i64, String)> = on_tx!(tx, x => sqlx::query_as("SELECT id, unit_id, name FROM campaign_indicator WHERE campaign_id = $1 AND code = $2")
        .bind(c.id).bind(indicator).fetch_optional(x).await)?;
    let (iid, unit, iname) = row.ok_or_else(|| {
        bad(
            "indicator",
            format!("没有指标“{indicator}”。"),
            format!("No indicator '{indicator}'."),
        )
    })?;
    if Some(unit) != actor.unit_id && !actor.access.has(Permission::TaskAdmin) {
        return Err(bad(
            "indicator",
            format!("“{iname}”由其专班牵头单位填报，本单位不能填报。"),
            format!("'{indicator}' is entered by its task force's lead unit only."),
        ));
    }
    let weeks = cg::weeks(c.starts_on, c.ends_on);
    let n: u32 = week.trim().parse().map_err(|_| {
        bad(
            "week",
            format!("周次“{week}”应为 1 到 {} 的整数。", weeks.len()),
            format!(
                "Week '{week}' must be a whole number from 1 to {}.",
                weeks.len()
            ),
        )
    })?;
    let Some(w) = weeks.iter().find(|w| w.0 == n) else {
        return Err(bad(
            "week",
            format!("第 {n} 周不在攻坚期内（共 {} 周）。", weeks.len()),
            format!("Week {n} is outside the campaign ({} weeks).", weeks.len()),
        ));
    };
    if w.1 > today {
        return Err(bad(
            "week",
            format!("第 {n} 周（{} 起）还没开始，不能填报。", w.1),
            format!("Week {n} starts on {}: it cannot be entered yet.", w.1),
        ));
    }
    let v = gongjian_domain::money::normalise_number_text(value)
        .parse::<i64>()
        .ok()
        .filter(|v| *v >= 0)
        .ok_or_else(|| {
            bad(
                "value",
                format!("完成值“{value}”应为不小于 0 的整数。"),
                format!("The value '{value}' must be a whole number ≥ 0."),
            )
        })?;
    let before: Option<i64> = on_tx!(tx, x => sqlx::query_scalar("SELECT value FROM campaign_actual WHERE indicator_id = $1 AND week = $2").bind(iid).bind(i64::from(n)).fetch_optional(x).await)?;
    exec_tx!(tx, x => sqlx::query("INSERT INTO campaign_actual (indicator_id, week, value, note, entered_by, entered_at) VALUES ($1, $2, $3, $4, $5, $6) \
        ON CONFLICT (indicator_id, week) DO UPDATE SET value = excluded.value, note = excluded.note, entered_by = excluded.entered_by, entered_at = excluded.entered_at")
        .bind(iid).bind(i64::from(n)).bind(v).bind(note.trim()).bind(actor.name.clone()).bind(crate::now()).execute(x).await)?;
    audit::record(
        tx,
        actor,
        "enter",
        "campaign",
        c.id,
        before.map(|b| serde_json::json!({"indicator": indicator, "week": n, "value": b})).as_ref(),
        Some(&serde_json::json!({"indicator": indicator, "week": n, "value": v, "note": note.trim()})),
    )
    .await?;
    Ok(())
}
