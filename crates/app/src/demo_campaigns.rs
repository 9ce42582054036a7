//! The demo city's three campaigns: the year's major-project campaign, a hundred-day
//! campaign on old pipe networks (whose latest week fell short, so the month is shown at
//! risk) and a hundred-day investment-attraction campaign; with weekly values entered for
//! the weeks already over.

use chrono::{Datelike, Days, NaiveDate};
use gongjian_domain::campaign::{Plan, month_key, quarter_key, weeks};
use gongjian_store::campaign::{self as cs, CampaignInput, IndicatorInput, LeaderRole, UnitRole};
use gongjian_store::{Actor, Db, Result, on_db};

/// A plan of `per_week` every week, months and quarters adding up exactly, the year too.
fn plan(start: NaiveDate, end: NaiveDate, per_week: i64) -> Plan {
    let mut p = Plan::default();
    for (n, _, to) in weeks(start, end) {
        p.weeks.insert(n, per_week);
        *p.months.entry(month_key(to)).or_default() += per_week;
    }
    for (m, v) in p.months.clone() {
        *p.quarters.entry(quarter_key(&m)).or_default() += v;
    }
    p.year = Some(p.quarters.values().sum());
    p
}

fn ind(
    code: &str,
    name: &str,
    unit: &str,
    force: &str,
    unit_code: &str,
    plan: Plan,
) -> IndicatorInput {
    IndicatorInput {
        code: code.into(),
        name: name.into(),
        unit: unit.into(),
        task_force: force.into(),
        unit_code: unit_code.into(),
        plan,
    }
}

fn lead(name: &str, role: &str) -> LeaderRole {
    LeaderRole {
        name: name.into(),
        role: role.into(),
    }
}

fn unit(code: &str, role: &str) -> UnitRole {
    UnitRole {
        code: code.into(),
        role: role.into(),
    }
}

/// Loads the three campaigns as of `today`.
pub async fn load(db: &Db, today: NaiveDate) -> Result<()> {
    let a = Actor::cli();
    let projects: Vec<String> = on_db!(db, c => sqlx::query_scalar(
        "SELECT name FROM project WHERE stage = '在建' ORDER BY sort, id LIMIT 8").fetch_all(c).await)?;
    let year_start = NaiveDate::from_ymd_opt(today.year(), 1, 5).expect("date");
    let year_end = NaiveDate::from_ymd_opt(today.year(), 12, 31).expect("date");
    // Hundred-day campaigns started on a Monday some weeks ago.
    let monday = today - Days::new(u64::from(today.weekday().num_days_from_monday()));
    let pipes_start = monday - Days::new(7 * 9);
    let attract_start = monday - Days::new(7 * 4);
    let campaigns = [
        CampaignInput {
            code: "zdxm".into(),
            name: "重大项目建设攻坚战".into(),
            kind: "campaign".into(),
            command_post: "示例市重大项目建设指挥部".into(),
            leaders: vec![
                lead("赵市长", "lead"),
                lead("孙常务", "deputy"),
                lead("李副市长", "member"),
            ],
            units: vec![
                unit("zdxmb", "command"),
                unit("fgw", "member"),
                unit("zrzyj", "member"),
                unit("xzspj", "member"),
                unit("zjj", "member"),
            ],
            standard: "对标省内先进城市，重大项目投资增速高于全省平均 3 个百分点".into(),
            approach: "四集中：集中人员、资金、土地、政策；市级领导包抓，一个项目一个专班".into(),
            tasks_year: "全年新开工重大项目不少于 50 个，完成投资不少于 260 亿元".into(),
            tasks_plan: "“十四五”期间累计完成重大项目投资 1200 亿元，建成一批产业集群项目".into(),
            starts_on: year_start,
            ends_on: year_end,
            projects,
            indicators: vec![
                ind(
                    "kg",
                    "新开工重大项目",
                    "个",
                    "项目开工专班",
                    "zdxmb",
                    plan(year_start, year_end, 1),
                ),
                ind(
                    "tz",
                    "完成重大项目投资",
                    "亿元",
                    "投资调度专班",
                    "fgw",
                    plan(year_start, year_end, 5),
                ),
            ],
        },
        CampaignInput {
            code: "gwgz".into(),
            name: "城区老旧管网改造百日攻坚".into(),
            kind: "hundred_day".into(),
            command_post: "老旧管网改造百日攻坚指挥部".into(),
            leaders: vec![lead("李副市长", "lead"), lead("吴副市长", "deputy")],
            units: vec![
                unit("zjj", "command"),
                unit("cgj", "member"),
                unit("ct-group", "member"),
                unit("990102", "member"),
                unit("990103", "member"),
            ],
            standard: "对标国家城市更新试点城市，管网漏损率降至 9% 以下".into(),
            approach: "政府主导、国企实施、居民参与；以周保月、以月保季".into(),
            tasks_year: "百日内改造老旧供水、燃气管网 60 公里，惠及 9000 户".into(),
            tasks_plan: "三年内完成城区 2000 年前建成小区管网改造".into(),
            starts_on: pipes_start,
            ends_on: pipes_start + Days::new(99),
            projects: Vec::new(),
            indicators: vec![
                ind(
                    "gw",
                    "改造管网",
                    "公里",
                    "管网施工专班",
                    "zjj",
                    plan(pipes_start, pipes_start + Days::new(99), 4),
                ),
                ind(
                    "hs",
                    "惠及居民",
                    "户",
                    "入户协调专班",
                    "cgj",
                    plan(pipes_start, pipes_start + Days::new(99), 600),
                ),
            ],
        },
        CampaignInput {
            code: "zsyz".into(),
            name: "招商引资百日攻坚".into(),
            kind: "hundred_day".into(),
            command_post: "招商引资百日攻坚领导小组".into(),
            leaders: vec![lead("周副市长", "lead")],
            units: vec![
                unit("tcj", "command"),
                unit("swj", "member"),
                unit("gxq-jsj", "member"),
                unit("fgw", "member"),
            ],
            standard: "对标长三角同类城市，亿元以上项目签约数翻番".into(),
            approach: "产业链招商、以商招商、驻点招商相结合".into(),
            tasks_year: "百日内签约亿元以上项目 30 个、签约金额 150 亿元".into(),
            tasks_plan: "五年引进 10 亿元以上产业项目 50 个".into(),
            starts_on: attract_start,
            ends_on: attract_start + Days::new(99),
            projects: Vec::new(),
            indicators: vec![
                ind(
                    "qy",
                    "签约亿元以上项目",
                    "个",
                    "产业链招商专班",
                    "tcj",
                    plan(attract_start, attract_start + Days::new(99), 2),
                ),
                ind(
                    "je",
                    "签约金额",
                    "亿元",
                    "项目落地专班",
                    "tcj",
                    plan(attract_start, attract_start + Days::new(99), 10),
                ),
            ],
        },
    ];
    let mut tx = db.begin().await?;
    for c in &campaigns {
        cs::create(&mut tx, &a, c).await?;
    }
    // What each task force entered for the weeks already over: on plan, except the latest
    // week of the pipe campaign (short, so its month is at risk) and an earlier week of the
    // major projects that a later week made up for.
    for c in &campaigns {
        let ws = weeks(c.starts_on, c.ends_on);
        let closed: Vec<u32> = ws.iter().filter(|w| w.2 < today).map(|w| w.0).collect();
        let last = closed.last().copied();
        for i in &c.indicators {
            for n in &closed {
                let target = i.plan.weeks.get(n).copied().unwrap_or(0);
                let v = match (c.code.as_str(), Some(*n) == last, *n) {
                    ("gwgz", true, _) => target / 2,
                    ("zdxm", _, 10) => target.saturating_sub(1).max(0),
                    ("zdxm", _, 11) => target + 1,
                    ("zsyz", _, 2) if i.code == "qy" => target + 1,
                    _ => target,
                };
                let note = if v < target {
                    "受降雨影响停工两天"
                } else {
                    ""
                };
                cs::enter(
                    &mut tx,
                    &a,
                    &c.code,
                    &i.code,
                    &n.to_string(),
                    &v.to_string(),
                    note,
                    today,
                )
                .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(())
}
