//! Synthetic data: a plausible city (about 20 divisions, 2,000 projects) or province
//! (about 150 divisions, 50,000 projects) with plans and milestones, the same for the
//! same seed. The demo city's 300 projects come from here too.

use gongjian_domain::money;
use gongjian_domain::project::ProjectInput;
use gongjian_store::division::DivisionInput;
use gongjian_store::project::{self, BulkRow, MilestoneInput};
use gongjian_store::unit::UnitInput;
use gongjian_store::{Actor, Db, Result, StoreError, division, leader, on_db, unit};
use std::collections::HashMap;

/// A small deterministic generator (SplitMix64): no dependency, stable across versions.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo).max(1) as u64) as i64
    }
    /// One of the items.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as i64) as usize]
    }
}

const PRODUCTS: &[&str] = &[
    "新能源电池",
    "智能装备",
    "新材料",
    "生物医药",
    "电子信息",
    "绿色食品",
    "精密制造",
    "数字经济",
    "现代物流",
    "文化旅游",
    "氢能",
    "光伏组件",
    "汽车零部件",
    "纺织服装",
    "高端化工",
    "冷链仓储",
    "智慧农业",
    "康养中心",
    "职业教育",
    "污水处理",
];
const SUFFIX: &[&str] = &[
    "产业园",
    "生产基地",
    "项目",
    "扩能项目",
    "二期工程",
    "示范园区",
    "综合体",
    "产业化项目",
];
const INFRA: &[&str] = &[
    "快速路",
    "综合管廊",
    "供水工程",
    "公交枢纽",
    "片区改造",
    "防洪工程",
    "安置小区",
    "学校扩建",
    "医院新院区",
    "公园",
];
const NODES: &[&str] = &[
    "完成立项备案",
    "取得用地批复",
    "完成环评批复",
    "取得施工许可",
    "主体开工",
    "主体封顶",
    "竣工验收",
    "投产达效",
];
const SURNAMES: &[&str] = &["张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴"];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰",
];

/// The divisions, units and leaders projects are spread over.
pub struct World {
    /// (code, name) of divisions that may hold projects.
    pub divisions: Vec<(String, String)>,
    /// Codes of departments that may be responsible or cooperate.
    pub departments: Vec<String>,
    /// Leader names.
    pub leaders: Vec<String>,
}

/// Reads the world from the database: every active division except towns' parents'
/// parents… in practice every non-town division, and every department.
pub async fn world(db: &Db) -> Result<World> {
    let divisions: Vec<(String, String)> = on_db!(db, c => sqlx::query_as("SELECT code, name FROM division WHERE active = TRUE AND kind <> 'town' ORDER BY code").fetch_all(c).await)?;
    let departments: Vec<String> = on_db!(db, c => sqlx::query_scalar("SELECT code FROM unit WHERE active = TRUE AND kind = 'department' ORDER BY code").fetch_all(c).await)?;
    let leaders: Vec<String> = on_db!(db, c => sqlx::query_scalar("SELECT name FROM leader WHERE active = TRUE ORDER BY sort, id").fetch_all(c).await)?;
    Ok(World {
        divisions,
        departments,
        leaders,
    })
}

/// `n` projects over the world, deterministic for `seed`, with plans for `year`.
pub fn projects(
    world: &World,
    n: usize,
    seed: u64,
    year: i64,
) -> Vec<(ProjectInput, Vec<MilestoneInput>)> {
    let mut rng = Rng::new(seed);
    let levels = [
        "provincial",
        "provincial_select",
        "city",
        "city",
        "county",
        "county",
    ];
    let stages = [
        "reserve",
        "preparation",
        "construction",
        "construction",
        "construction",
        "completed",
        "operation",
    ];
    let natures = [
        "new",
        "new",
        "continuing",
        "continuing",
        "expansion",
        "reconstruction",
    ];
    (0..n)
        .map(|i| {
            let (dcode, dname) = rng.pick(&world.divisions).clone();
            let industrial = rng.range(0, 10) < 6;
            let (category, name) = if industrial {
                (
                    "industrial",
                    format!(
                        "{}{}{}",
                        dname.trim_end_matches(['区', '县']),
                        rng.pick(PRODUCTS),
                        rng.pick(SUFFIX)
                    ),
                )
            } else {
                let cat = *rng.pick(&[
                    "infrastructure",
                    "social",
                    "ecology",
                    "service",
                    "agriculture",
                ]);
                (cat, format!("{}{}", dname, rng.pick(INFRA)))
            };
            let name = format!("{name}（{:05}）", i + 1);
            let stage = *rng.pick(&stages);
            // Total investment between 0.5 and 80 亿元, in whole 万元.
            let total_wan = rng.range(5_000, 800_000);
            let annual_wan = (total_wan * rng.range(10, 45) / 100).max(100);
            let mut months: Vec<Option<String>> = Vec::with_capacity(12);
            let mut left = annual_wan;
            for m in 0..12 {
                let v = if m == 11 {
                    left
                } else {
                    (annual_wan / 12 * rng.range(60, 140) / 100).min(left)
                };
                left -= v;
                months.push(Some(money::wan(v * 10_000)));
            }
            let start_year = year - rng.range(0, 3);
            let started = matches!(stage, "construction" | "completed" | "operation");
            let mut tags = Vec::new();
            if rng.range(0, 10) == 0 {
                tags.push("special_bond".to_string());
            }
            if rng.range(0, 15) == 0 {
                tags.push("central_budget".to_string());
            }
            if rng.range(0, 20) == 0 {
                tags.push("showcase".to_string());
            }
            let member = |rng: &mut Rng| {
                format!(
                    "{}{}{}",
                    rng.pick(SURNAMES),
                    rng.pick(GIVEN),
                    rng.pick(GIVEN)
                )
            };
            let input = ProjectInput {
                code: (rng.range(0, 10) < 8).then(|| {
                    format!(
                        "{}-{}-{:02}-{:02}-{:06}",
                        start_year,
                        &dcode[..6],
                        rng.range(10, 99),
                        rng.range(1, 5),
                        i + 1
                    )
                }),
                name,
                level: (*rng.pick(&levels)).into(),
                category: category.into(),
                nature: (*rng.pick(&natures)).into(),
                stage: stage.into(),
                division: dcode.clone(),
                owner_name: Some(format!("示例{}有限公司", rng.pick(PRODUCTS))),
                responsible_unit: if world.departments.is_empty() {
                    None
                } else {
                    Some(rng.pick(&world.departments).clone())
                },
                contact_leader: if world.leaders.is_empty() {
                    None
                } else {
                    Some(rng.pick(&world.leaders).clone())
                },
                members: vec![format!("{}（组长）", member(&mut rng)), member(&mut rng)],
                plan_doc: Some(format!("{}推进方案", &dname)),
                total_investment_wan: Some(money::wan(total_wan * 10_000)),
                plan_year: Some(year),
                annual_plan_wan: Some(money::wan(annual_wan * 10_000)),
                months_wan: months,
                start_year: Some(start_year),
                end_year: Some(start_year + rng.range(1, 4)),
                land_mu: Some(format!("{}.{}", rng.range(5, 900), rng.range(0, 10))),
                started: Some(started),
                // Started this year means started in its first quarter: never in the future.
                start_date: started.then(|| {
                    format!(
                        "{}-{:02}-{:02}",
                        start_year,
                        rng.range(1, if start_year == year { 4 } else { 13 }),
                        rng.range(1, 29)
                    )
                }),
                tags,
                description: Some("建设内容及规模见推进方案。".into()),
                ..Default::default()
            };
            let first = rng.range(0, 4) as usize;
            let mut day = chrono::NaiveDate::from_ymd_opt(year as i32, 1, 15).expect("date")
                + chrono::Days::new(rng.range(0, 60) as u64);
            let today = chrono::Local::now().date_naive();
            let nodes = NODES[first..first + 4]
                .iter()
                .map(|n| {
                    let dur = rng.range(20, 90);
                    day = day + chrono::Days::new(dur as u64);
                    MilestoneInput {
                        name: (*n).into(),
                        duration_days: Some(dur),
                        planned_date: Some(day.to_string()),
                        actual_date: (day < today && rng.range(0, 10) < 7).then(|| {
                            (day + chrono::Days::new(rng.range(0, 20) as u64)).to_string()
                        }),
                        note: None,
                    }
                })
                .collect();
            (input, nodes)
        })
        .collect()
}

/// Writes generated projects with their milestones in one transaction.
pub async fn write(
    db: &Db,
    actor: &Actor,
    items: &[(ProjectInput, Vec<MilestoneInput>)],
) -> Result<project::BulkOutcome> {
    let rows: Vec<BulkRow> = items
        .iter()
        .enumerate()
        .map(|(i, (p, _))| BulkRow {
            input: p,
            sheet: "gen",
            row: i + 1,
        })
        .collect();
    let mut tx = db.begin().await?;
    let out = project::bulk_upsert(&mut tx, actor, &rows, false, false).await?;
    if let Some(e) = out.errors.first() {
        return Err(StoreError::Config(format!(
            "generated row {} is invalid: {} {}",
            e.row, e.field, e.message
        )));
    }
    let ids = project::ids_by_name(&mut tx, items.iter().map(|(p, _)| p.name.as_str())).await?;
    let nodes: Vec<(i64, &[MilestoneInput])> = items
        .iter()
        .zip(ids)
        .map(|((_, m), id)| (id, m.as_slice()))
        .collect();
    project::seed_milestones(&mut tx, actor, &nodes).await?;
    tx.commit().await?;
    Ok(out)
}

/// Creates the divisions, departments and leaders of a generated city or province when
/// the database has none, so `gongjian gen` works on an empty database.
pub async fn ensure_world(db: &Db, actor: &Actor, province: bool, seed: u64) -> Result<()> {
    let n: i64 =
        on_db!(db, c => sqlx::query_scalar("SELECT COUNT(*) FROM division").fetch_one(c).await)?;
    if n > 0 {
        return Ok(());
    }
    let mut rng = Rng::new(seed.wrapping_add(1));
    let mut tx = db.begin().await?;
    let div = |code: String, name: String, kind: &str, parent: Option<String>| DivisionInput {
        code,
        name,
        kind: kind.into(),
        parent_code: parent,
    };
    let mut cities: Vec<String> = Vec::new();
    if province {
        division::create(
            &mut tx,
            actor,
            &div("980000".into(), "生成省".into(), "province", None),
        )
        .await?;
        for c in 1..=15 {
            let code = format!("98{c:02}00");
            division::create(
                &mut tx,
                actor,
                &div(
                    code.clone(),
                    format!("第{c}市"),
                    "city",
                    Some("980000".into()),
                ),
            )
            .await?;
            for k in 1..=9 {
                let kind = if k <= 3 { "district" } else { "county" };
                let suffix = if k <= 3 { "区" } else { "县" };
                let name = format!(
                    "{}{}{suffix}",
                    rng.pick(&["东", "西", "南", "北", "中", "新", "安", "宁", "平", "兴"]),
                    ["城", "山", "湖", "河", "川", "阳", "林", "江", "原"][k - 1]
                );
                division::create(
                    &mut tx,
                    actor,
                    &div(
                        format!("98{c:02}{k:02}"),
                        format!("{c}市{name}"),
                        kind,
                        Some(code.clone()),
                    ),
                )
                .await?;
            }
            cities.push(code);
        }
    } else {
        division::create(
            &mut tx,
            actor,
            &div("980100".into(), "生成市".into(), "city", None),
        )
        .await?;
        for k in 1..=19 {
            let (kind, suffix) = match k {
                1..=8 => ("district", "区"),
                9..=17 => ("county", "县"),
                _ => ("zone", "开发区"),
            };
            division::create(
                &mut tx,
                actor,
                &div(
                    format!("9801{k:02}"),
                    format!("第{k}{suffix}"),
                    kind,
                    Some("980100".into()),
                ),
            )
            .await?;
        }
        cities.push("980100".into());
    }
    for (ci, city) in cities.iter().enumerate() {
        for (j, dept) in [
            "发展和改革委员会",
            "工业和信息化局",
            "住房和城乡建设局",
            "交通运输局",
            "自然资源和规划局",
            "生态环境局",
        ]
        .iter()
        .enumerate()
        {
            unit::create(
                &mut tx,
                actor,
                &UnitInput {
                    code: format!("g{ci:02}-{j}"),
                    name: format!(
                        "{}{dept}",
                        if province {
                            format!("第{}市", ci + 1)
                        } else {
                            "生成市".into()
                        }
                    ),
                    kind: "department".into(),
                    division_code: city.clone(),
                    ..Default::default()
                },
            )
            .await?;
        }
    }
    for (i, (name, title)) in [
        ("甲市长", "市长"),
        ("乙副市长", "常务副市长"),
        ("丙副市长", "副市长"),
        ("丁副市长", "副市长"),
    ]
    .iter()
    .enumerate()
    {
        leader::create(
            &mut tx,
            actor,
            &gongjian_store::leader::LeaderInput {
                name: (*name).into(),
                title: (*title).into(),
                unit_code: cities[0].clone(),
                username: None,
                sort: Some(i as i64),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_projects() {
        let w = World {
            divisions: vec![
                ("990102".into(), "东城区".into()),
                ("990103".into(), "西城区".into()),
            ],
            departments: vec!["fgw".into()],
            leaders: vec!["赵市长".into()],
        };
        let a = projects(&w, 50, 7, 2026);
        assert_eq!(a, projects(&w, 50, 7, 2026));
        assert_ne!(a, projects(&w, 50, 8, 2026));
        // Every generated plan adds up and every name is unique.
        for (p, _) in &a {
            let sum: i64 = p
                .months_wan
                .iter()
                .flatten()
                .map(|m| money::parse_money("m", "m", m, money::MoneyUnit::Wan).unwrap())
                .sum();
            assert_eq!(Some(money::wan(sum)), p.annual_plan_wan, "{}", p.name);
        }
        let names: std::collections::BTreeSet<_> = a.iter().map(|(p, _)| &p.name).collect();
        assert_eq!(names.len(), 50);
    }
}

/// The `n` months ending with `(year, month)`, oldest first.
pub fn months_back(year: i32, month: u32, n: usize) -> Vec<(i32, u32)> {
    let mut out = Vec::with_capacity(n);
    let (mut y, mut m) = (year, month);
    for _ in 0..n {
        out.push((y, m));
        if m == 1 {
            y -= 1;
            m = 12;
        } else {
            m -= 1;
        }
    }
    out.reverse();
    out
}

/// What the report generator wrote.
#[derive(Debug, Default)]
pub struct ReportsOut {
    /// Reports written.
    pub reports: usize,
    /// Periods opened.
    pub periods: usize,
}

type PlanRowT = (
    i64,
    bool,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

const PROGRESS: [&str; 8] = [
    "土方开挖完成{}%",
    "主体结构施工至第{}层",
    "设备安装完成{}%",
    "钢结构吊装完成{}%",
    "管网铺设完成{}%",
    "室内装修完成{}%",
    "道路路基完成{}%",
    "厂房封顶，配套工程完成{}%",
];

/// Writes monthly reports for every project in preparation or under construction, for
/// each of `months` (oldest first): periods are opened, every month but the last is
/// locked and closed with its lights; the last stays open with a realistic mix of
/// submitted, approved, returned and missing reports. Projects keep a performance class
/// (on track, lagging, far behind), so the lights spread green, yellow and red.
pub async fn reports(
    db: &Db,
    actor: &Actor,
    seed: u64,
    months: &[(i32, u32)],
) -> Result<ReportsOut> {
    use gongjian_domain::report::Status;
    use gongjian_store::report::{self as rs, SeedReport};
    let mut out = ReportsOut::default();
    let cal = rs::calendar(db).await?;
    let mut rng = Rng::new(seed ^ 0x5EED_2EB0);
    let projects: Vec<(i64, String, bool)> = on_db!(db, c => sqlx::query_as("SELECT id, stage, started FROM project WHERE active = TRUE AND stage IN ('preparation', 'construction') ORDER BY id").fetch_all(c).await)?;
    // Performance factor per project, in percent of plan.
    let class: Vec<(i64, i64)> = projects
        .iter()
        .map(|(id, _, _)| {
            let r = rng.range(0, 100);
            let f = if r < 45 {
                rng.range(96, 116)
            } else if r < 72 {
                rng.range(82, 93)
            } else if r < 88 {
                rng.range(62, 78)
            } else {
                rng.range(15, 55)
            };
            (*id, f)
        })
        .collect();
    // Month index (into `months`) from which a project not yet started reports a start:
    // most start within the first months, projects far behind late or never.
    let starts: Vec<usize> = projects
        .iter()
        .zip(&class)
        .map(|((_, _, started), (_, f))| {
            if *started {
                0
            } else if *f < 55 {
                rng.range(2, months.len() as i64 + 6) as usize
            } else {
                rng.range(0, 4) as usize
            }
        })
        .collect();
    // Projects on track finish their milestones on time; lagging ones are two months
    // behind; those far behind have not finished any.
    if let Some(&(ly, lm)) = months.last() {
        let end = gongjian_domain::progress::month_end(ly, lm);
        let done: Vec<(i64, chrono::NaiveDate)> = class
            .iter()
            .filter(|(_, f)| *f >= 55)
            .map(|(id, f)| {
                (
                    *id,
                    if *f >= 82 {
                        end
                    } else {
                        end - chrono::Days::new(75)
                    },
                )
            })
            .collect();
        let mut tx = db.begin().await?;
        project::complete_milestones(&mut tx, actor, &done).await?;
        tx.commit().await?;
    }
    let last = months.len().saturating_sub(1);
    for (i, &(y, m)) in months.iter().enumerate() {
        let plans: Vec<PlanRowT> = on_db!(db, c => sqlx::query_as("SELECT project_id, mismatch, annual, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12 FROM project_plan WHERE year = $1").bind(i64::from(y)).fetch_all(c).await)?;
        let plan: HashMap<i64, (i64, Option<i64>)> = plans
            .into_iter()
            .map(|p| {
                let months = [
                    p.3, p.4, p.5, p.6, p.7, p.8, p.9, p.10, p.11, p.12, p.13, p.14,
                ];
                (p.0, (p.2.unwrap_or(0), months[m as usize - 1]))
            })
            .collect();
        let mut tx = db.begin().await?;
        if rs::period_tx(&mut tx, y, m).await?.is_some() {
            tx.commit().await?;
            continue;
        }
        let deadline = rs::default_deadline(&cal, y, m);
        rs::open_period(&mut tx, actor, y, m, Some(deadline), &cal).await?;
        out.periods += 1;
        let is_last = i == last;
        let mut items = Vec::with_capacity(projects.len());
        for (((pid, stage, started), (_, f)), start) in projects.iter().zip(&class).zip(&starts) {
            let (annual, month_plan) = plan.get(pid).copied().unwrap_or((0, None));
            let base = month_plan.unwrap_or(annual / 12);
            let roll = rng.range(0, 100);
            let status = if !is_last {
                Status::Locked
            } else if roll < 12 {
                continue; // not reported yet
            } else if roll < 16 {
                Status::Returned
            } else if roll < 40 {
                Status::Approved
            } else {
                Status::Submitted
            };
            // A project far behind sometimes reports nothing done.
            let amount = if *f < 55 && rng.range(0, 3) == 0 {
                0
            } else {
                let noise = rng.range(85, 116);
                (i128::from(base) * i128::from(*f) * i128::from(noise) / 10_000 / 100 * 100) as i64
            };
            let pct = ((i as i64 + 1) * 100 / months.len() as i64).clamp(5, 100);
            let text = PROGRESS[rng.range(0, PROGRESS.len() as i64) as usize]
                .replace("{}", &pct.to_string());
            let late = rng.range(0, 100) < 7;
            let day = if late { 10 } else { rng.range(1, 6) as u32 };
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            let at = chrono::NaiveDate::from_ymd_opt(ny, nm, day)
                .and_then(|d| {
                    d.and_hms_opt(1 + rng.range(0, 10) as u32, rng.range(0, 60) as u32, 0)
                })
                .map(|t| t.and_utc())
                .unwrap_or_else(gongjian_store::now);
            items.push(SeedReport {
                project_id: *pid,
                year: y,
                month: m,
                status,
                amount,
                progress_text: format!("{y}年{m}月：{text}"),
                milestone: None,
                started: *started || stage == "construction" || i >= *start,
                late,
                submitted_at: at,
            });
        }
        for chunk in items.chunks(20_000) {
            out.reports += rs::seed_reports(&mut tx, actor, chunk).await?;
        }
        if is_last {
            rs::recompute_tx(&mut tx, actor, y, m).await?;
        } else {
            rs::close_period(&mut tx, actor, y, m).await?;
        }
        tx.commit().await?;
    }
    Ok(out)
}
