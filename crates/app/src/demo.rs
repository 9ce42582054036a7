//! The demo city 示例市 for `serve --demo`: fictional division codes (prefix 99, which no
//! real province uses), 11 districts, counties and zones with towns, 30+ departments and
//! companies, the city leaders, and one user for every built-in role.

use gongjian_store::division::DivisionInput;
use gongjian_store::leader::LeaderInput;
use gongjian_store::unit::UnitInput;
use gongjian_store::user::UserInput;
use gongjian_store::{Actor, Db, Result, division, leader, on_db, unit, user};

/// Default demo password; `GONGJIAN_DEMO_PASSWORD` overrides it.
pub const DEFAULT_PASSWORD: &str = "Gongjian@2026";

/// The demo password in force.
pub fn password() -> String {
    std::env::var("GONGJIAN_DEMO_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| DEFAULT_PASSWORD.into())
}

pub(crate) const DIVISIONS: &[(&str, &str, &str, &[&str])] = &[
    (
        "990102",
        "东城区",
        "district",
        &["东关街道", "文化路街道", "东湖镇"],
    ),
    (
        "990103",
        "西城区",
        "district",
        &["西关街道", "兴业路街道", "西山镇"],
    ),
    ("990104", "南湖区", "district", &["南湖街道", "湖滨街道"]),
    (
        "990105",
        "北山区",
        "district",
        &["北山街道", "青龙镇", "白马镇"],
    ),
    ("990106", "滨江区", "district", &["滨江街道", "江南街道"]),
    (
        "990121",
        "青川县",
        "county",
        &["青川镇", "石桥镇", "柳林乡"],
    ),
    ("990122", "白河县", "county", &["白河镇", "双井镇"]),
    (
        "990123",
        "石门县",
        "county",
        &["石门镇", "龙泉镇", "枣园乡"],
    ),
    ("990124", "安平县", "county", &["安平镇", "大营镇"]),
    (
        "990171",
        "示例高新技术产业开发区",
        "zone",
        &["创新街道", "科学城街道"],
    ),
    ("990172", "示例经济技术开发区", "zone", &["临港街道"]),
];

/// (code, name, kind, division)
const UNITS: &[(&str, &str, &str, &str)] = &[
    (
        "zdxmb",
        "示例市重点项目建设服务中心（重点项目办）",
        "department",
        "990100",
    ),
    ("fgw", "示例市发展和改革委员会", "department", "990100"),
    ("gxj", "示例市工业和信息化局", "department", "990100"),
    ("czj", "示例市财政局", "department", "990100"),
    ("zrzyj", "示例市自然资源和规划局", "department", "990100"),
    ("sthjj", "示例市生态环境局", "department", "990100"),
    ("zjj", "示例市住房和城乡建设局", "department", "990100"),
    ("jtj", "示例市交通运输局", "department", "990100"),
    ("slj", "示例市水利局", "department", "990100"),
    ("nyj", "示例市农业农村局", "department", "990100"),
    ("swj", "示例市商务局", "department", "990100"),
    ("wlj", "示例市文化和旅游局", "department", "990100"),
    ("wjw", "示例市卫生健康委员会", "department", "990100"),
    ("yjj", "示例市应急管理局", "department", "990100"),
    ("scjgj", "示例市市场监督管理局", "department", "990100"),
    ("tjj", "示例市统计局", "department", "990100"),
    ("xzspj", "示例市行政审批服务局", "department", "990100"),
    ("cgj", "示例市城市管理局", "department", "990100"),
    ("tcj", "示例市投资促进局", "department", "990100"),
    ("kjj", "示例市科学技术局", "department", "990100"),
    ("jyj", "示例市教育局", "department", "990100"),
    ("rsj", "示例市人力资源和社会保障局", "department", "990100"),
    ("gaj", "示例市公安局", "department", "990100"),
    ("dcs-sw", "中共示例市委督查室", "department", "990100"),
    ("dcs-zf", "示例市人民政府督查室", "department", "990100"),
    ("xxzx", "示例市大数据中心", "department", "990100"),
    ("dc-fgj", "东城区发展和改革局", "department", "990102"),
    ("dc-zjj", "东城区住房和城乡建设局", "department", "990102"),
    ("qc-fgj", "青川县发展和改革局", "department", "990121"),
    ("gxq-jsj", "示例高新区经济发展局", "department", "990171"),
    (
        "ct-group",
        "示例市城市建设投资集团有限公司",
        "company",
        "990100",
    ),
    (
        "jt-group",
        "示例市交通投资集团有限公司",
        "company",
        "990100",
    ),
    ("xny", "示例新能源科技有限公司", "company", "990171"),
    ("gd", "国网示例供电公司", "company", "990100"),
    (
        "pgjg",
        "示例工程咨询评估有限公司（第三方）",
        "other",
        "990100",
    ),
];

/// (username, name, unit, role)
const USERS: &[(&str, &str, &str, &str)] = &[
    ("admin", "系统管理员", "xxzx", "admin"),
    ("secadmin", "安全管理员", "xxzx", "security_admin"),
    ("auditor", "安全审计员", "xxzx", "audit_admin"),
    ("office", "王建国", "zdxmb", "office"),
    ("supervision", "李督办", "dcs-zf", "supervision"),
    ("mayor", "赵市长", "990100", "leader"),
    ("dongcheng", "陈区长助理", "990102", "division"),
    ("gaoxin", "刘主任", "990171", "division"),
    ("zjj", "孙住建", "zjj", "department"),
    ("xny", "周项目", "xny", "project_unit"),
    ("assessor", "吴评估", "pgjg", "assessor"),
];

/// Loads the demo city when the database has no divisions. Returns the logins created,
/// or `None` when the database was not empty.
pub async fn load_if_empty(db: &Db) -> Result<Option<Vec<(String, String)>>> {
    let n: i64 =
        on_db!(db, c => sqlx::query_scalar("SELECT COUNT(*) FROM division").fetch_one(c).await)?;
    if n > 0 {
        return Ok(None);
    }
    let a = Actor::cli();
    let mut tx = db.begin().await?;
    let div = |code: &str, name: &str, kind: &str, parent: Option<&str>| DivisionInput {
        code: code.into(),
        name: name.into(),
        kind: kind.into(),
        parent_code: parent.map(Into::into),
    };
    division::create(&mut tx, &a, &div("990100", "示例市", "city", None)).await?;
    for (code, name, kind, towns) in DIVISIONS {
        division::create(&mut tx, &a, &div(code, name, kind, Some("990100"))).await?;
        for (i, town) in towns.iter().enumerate() {
            division::create(
                &mut tx,
                &a,
                &div(&format!("{code}{:03}", i + 1), town, "town", Some(code)),
            )
            .await?;
        }
    }
    for (code, name, kind, d) in UNITS {
        unit::create(
            &mut tx,
            &a,
            &UnitInput {
                code: (*code).into(),
                name: (*name).into(),
                kind: (*kind).into(),
                division_code: (*d).into(),
                ..Default::default()
            },
        )
        .await?;
    }
    let pw = password();
    let mut logins = Vec::new();
    for (username, name, unit_code, role) in USERS {
        let input = UserInput {
            username: (*username).into(),
            name: (*name).into(),
            unit_code: (*unit_code).into(),
            roles: vec![(*role).into()],
            password: Some(pw.clone()),
            must_change_password: Some(false),
            ..Default::default()
        };
        user::create(&mut tx, &a, &input).await?;
        let label = gongjian_domain::access::builtin_role(role).map_or(*role, |r| r.zh);
        logins.push(((*username).to_string(), format!("{role}（{label}）")));
    }
    for (i, (name, title, username)) in [
        ("钱书记", "市委书记", None),
        ("赵市长", "市长", Some("mayor")),
        ("孙常务", "常务副市长", None),
        ("李副市长", "副市长", None),
        ("周副市长", "副市长", None),
        ("吴副市长", "副市长", None),
    ]
    .into_iter()
    .enumerate()
    {
        let input = LeaderInput {
            name: name.into(),
            title: title.into(),
            unit_code: "990100".into(),
            username: username.map(Into::into),
            sort: Some(i as i64 + 1),
        };
        leader::create(&mut tx, &a, &input).await?;
    }
    tx.commit().await?;
    load_projects(db, &a).await?;
    Ok(Some(logins))
}

/// How many projects the demo city has.
pub const DEMO_PROJECTS: usize = 300;

/// The demo city's key projects: generated with a fixed seed, plans for this year,
/// milestones, every tenth project owned by the demo project unit (示例新能源), and
/// this year's monthly reports with their periods and lights.
async fn load_projects(db: &Db, a: &Actor) -> Result<()> {
    let world = crate::synth::world(db).await?;
    let mut items = crate::synth::projects(
        &world,
        DEMO_PROJECTS,
        2026,
        gongjian_store::project::this_year(),
    );
    for (i, (p, _)) in items.iter_mut().enumerate() {
        if i % 10 == 0 {
            if let Some((_, name)) = world.divisions.iter().find(|(c, _)| *c == p.division) {
                p.name = p.name.replacen(name.as_str(), "示例高新区", 1);
            }
            p.owner_name = Some("示例新能源科技有限公司".into());
            p.division = "990171".into();
            p.code = p
                .code
                .as_ref()
                .map(|c| format!("{}-990171-{}", &c[..4], &c[12..]));
        }
    }
    crate::synth::write(db, a, &items).await?;
    // This year's reports so far: earlier months locked and closed, last month open.
    let (y, m) = crate::report::last_month();
    reserve_and_tax(db, a, y, m).await?;
    crate::synth::reports(db, a, 2026, &crate::synth::months_back(y, m, m as usize)).await?;
    if m > 1 {
        meeting(db, a, y, m - 1).await?;
    }
    crate::demo_supervise::load(db).await?;
    if m > 1 {
        crate::demo_arenas::load(db, y, m - 1).await?;
    }
    crate::demo_campaigns::load(db, gongjian_store::today()).await?;
    let mut tx = db.begin().await?;
    gongjian_store::cockpit::set_map(&mut tx, a, &map()).await?;
    tx.commit().await?;
    Ok(())
}

/// About four in ten reserve projects moved on to preparation earlier this year (the
/// reserve conversion rate), and the completed and operating projects with land report
/// this year's tax (3 to 45 万元 a mu: tax per mu).
async fn reserve_and_tax(db: &Db, a: &Actor, y: i32, m: u32) -> Result<()> {
    let rows: Vec<(i64, String, Option<i64>)> = on_db!(db, c => sqlx::query_as(
        "SELECT id, stage, land_mu FROM project WHERE stage IN ('reserve', 'completed', 'operation') ORDER BY id")
        .fetch_all(c).await)?;
    let mut rng = crate::synth::Rng::new(2026);
    let mut tx = db.begin().await?;
    for (id, stage, land) in rows {
        if stage == "reserve" {
            if rng.range(0, 10) < 4 {
                let on = format!(
                    "{y}-{:02}-{:02}",
                    rng.range(1, i64::from(m) + 1),
                    rng.range(1, 29)
                );
                gongjian_store::project::change_stage(
                    &mut tx,
                    a,
                    id,
                    "preparation",
                    Some(&on),
                    Some("储备项目完成谋划论证，转入前期"),
                )
                .await?;
            }
        } else if let Some(centi) = land.filter(|l| *l > 0) {
            // 万元 with two decimals: land (hundredths of a mu) × 万元 per mu ÷ 100.
            let cents = centi * rng.range(3, 46);
            let wan = format!("{}.{:02}", cents / 100, cents % 100);
            gongjian_store::project::set_tax(
                &mut tx,
                a,
                id,
                i64::from(y),
                &wan,
                "税务部门年度数据",
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// A synthetic map of the demo city for the cockpit: each district, county and zone as a
/// cell of a 4-column honeycomb (the city is fictional, so are its borders).
pub(crate) fn map() -> String {
    let features: Vec<serde_json::Value> = DIVISIONS
        .iter()
        .enumerate()
        .map(|(i, (code, name, _, _))| {
            let (row, col) = ((i / 4) as f64, (i % 4) as f64);
            // Hexagon centred on the cell, odd rows shifted half a cell.
            let cx = 106.0 + col * 0.30 + if (i / 4) % 2 == 1 { 0.15 } else { 0.0 };
            let cy = 38.6 - row * 0.26;
            let ring: Vec<[f64; 2]> = (0..=6)
                .map(|k| {
                    let a =
                        std::f64::consts::PI / 3.0 * f64::from(k % 6) + std::f64::consts::PI / 6.0;
                    let r = 0.17;
                    [
                        ((cx + r * a.cos()) * 1e4).round() / 1e4,
                        ((cy + r * 0.86 * a.sin()) * 1e4).round() / 1e4,
                    ]
                })
                .collect();
            serde_json::json!({
                "type": "Feature",
                "properties": {"name": name, "code": code},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            })
        })
        .collect();
    serde_json::json!({"type": "FeatureCollection", "features": features}).to_string()
}

/// Last closed month's scheduling meeting: red and yellow projects, two answers and
/// three decisions with owners and deadlines.
async fn meeting(db: &Db, a: &Actor, year: i32, month: u32) -> Result<()> {
    use gongjian_store::meeting::{self as mt, MeetingInput};
    let mut tx = db.begin().await?;
    let m = mt::create(
        &mut tx,
        a,
        &MeetingInput {
            year,
            month,
            held_on: gongjian_domain::progress::month_end(year, month)
                .succ_opt()
                .and_then(|d| d.checked_add_days(chrono::Days::new(9)))
                .map(|d| d.to_string()),
            place: Some("市政府第一会议室".into()),
            filter: Some("red_yellow".into()),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    let (_, items, _) = mt::get(db, a, m.id).await?;
    let due = |days: u64| (gongjian_store::today() + chrono::Days::new(days)).to_string();
    let mut tx = db.begin().await?;
    for (i, (answer, decision, owner, days)) in [
        (
            "市住建局：已协调施工许可，本月内办结。",
            "督促施工单位增加作业面，确保下月追上序时进度",
            "zjj",
            30,
        ),
        (
            "市自然资源局：用地报批材料已上报省厅。",
            "协调省厅加快用地审批",
            "zrzyj",
            45,
        ),
        ("", "项目单位制定赶工计划报重点项目办", "zdxmb", 15),
    ]
    .iter()
    .enumerate()
    {
        let Some(item) = items.get(i) else { break };
        if !answer.is_empty() {
            mt::set_answer(&mut tx, a, m.id, item.id, answer).await?;
        }
        mt::add_decision(&mut tx, a, m.id, item.id, decision, owner, &due(*days)).await?;
    }
    mt::mark_held(&mut tx, a, m.id, None).await?;
    tx.commit().await
}
