//! The demo city's problems and supervised tasks: one in every state, dated relative to
//! today so that some are overdue and have escalated, plus the routing table; the jobs
//! then run once so escalations and reminders are there to see.

use chrono::{Days, NaiveDate};
use gongjian_store::attachment::{self, Owner};
use gongjian_store::problem::{self as pb, RaiseInput, StepInput};
use gongjian_store::task::{self as tk, EntryInput, TaskInput};
use gongjian_store::{Actor, Db, Result, auth, on_db};

async fn login(db: &Db, username: &str) -> Result<Actor> {
    let (id, unit): (i64, i64) = on_db!(db, c => sqlx::query_as("SELECT id, unit_id FROM app_user WHERE username = $1").bind(username).fetch_one(c).await)?;
    auth::actor(db, id, username, unit, "demo").await
}

/// Projects of a division owned by a unit (or by anyone when `owner` is empty).
async fn projects_in(db: &Db, division: &str, owner: &str, n: i64) -> Result<Vec<i64>> {
    Ok(on_db!(db, c => sqlx::query_scalar(
        "SELECT p.id FROM project p JOIN division d ON d.id = p.division_id LEFT JOIN unit o ON o.id = p.owner_unit_id \
         WHERE d.code = $1 AND ($2 = '' OR o.code = $2) ORDER BY p.sort, p.id LIMIT $3")
        .bind(division).bind(owner).bind(n).fetch_all(c).await)?)
}

fn back(today: NaiveDate, days: u64) -> NaiveDate {
    today - Days::new(days)
}

#[allow(clippy::too_many_arguments)]
async fn raise(
    db: &Db,
    a: &Actor,
    project: i64,
    cat: &str,
    text: &str,
    need: &str,
    source: &str,
    on: NaiveDate,
) -> Result<i64> {
    let mut tx = db.begin().await?;
    let p = pb::raise(
        &mut tx,
        a,
        &RaiseInput {
            project_id: project,
            category: cat.into(),
            description: text.into(),
            need: need.into(),
            source: Some(source.into()),
            source_ref: None,
        },
        on,
    )
    .await?;
    tx.commit().await?;
    Ok(p.id)
}

async fn step(
    db: &Db,
    a: &Actor,
    id: i64,
    action: &str,
    note: &str,
    by: Option<NaiveDate>,
    on: NaiveDate,
) -> Result<()> {
    let mut tx = db.begin().await?;
    pb::act(
        &mut tx,
        a,
        id,
        &StepInput {
            action: action.into(),
            note: note.into(),
            reply_kind: by.map(|_| "plan".into()),
            reply_by: by.map(|d| d.to_string()),
            ..Default::default()
        },
        on,
    )
    .await?;
    tx.commit().await
}

async fn entry(db: &Db, a: &Actor, id: i64, action: &str, text: &str, on: NaiveDate) -> Result<()> {
    let mut tx = db.begin().await?;
    tk::act(
        &mut tx,
        a,
        id,
        &EntryInput {
            action: action.into(),
            text: text.into(),
            on: None,
        },
        on,
    )
    .await?;
    tx.commit().await
}

/// Loads the demo problems and tasks (the demo users and projects must exist).
pub async fn load(db: &Db) -> Result<()> {
    let today = gongjian_store::today();
    let cli = Actor::cli();
    let (xny, gaoxin, dongcheng, office, sup, zjj) = (
        login(db, "xny").await?,
        login(db, "gaoxin").await?,
        login(db, "dongcheng").await?,
        login(db, "office").await?,
        login(db, "supervision").await?,
        login(db, "zjj").await?,
    );
    let mut tx = db.begin().await?;
    for (cat, unit) in [
        ("land", "zrzyj"),
        ("permits", "xzspj"),
        ("environment", "sthjj"),
        ("funding", "czj"),
        ("utilities", "fgw"),
        ("demolition", "zjj"),
        ("policy", "fgw"),
    ] {
        pb::set_route(&mut tx, &cli, cat, unit).await?;
    }
    tx.commit().await?;
    let gx = projects_in(db, "990171", "xny", 8).await?;
    let dc = projects_in(db, "990102", "", 4).await?;
    if gx.len() < 8 || dc.len() < 4 {
        return Ok(());
    }
    // Raised today: waiting to be accepted.
    raise(
        db,
        &xny,
        gx[0],
        "utilities",
        "厂区 110kV 专线接入方案未确定，影响设备联调",
        "协调供电公司确定接入方案",
        "unit",
        today,
    )
    .await?;
    // Never accepted: escalated to the department, then the city.
    raise(
        db,
        &xny,
        gx[1],
        "land",
        "二期用地指标尚未下达，无法办理土地招拍挂",
        "争取省级用地指标",
        "report",
        back(today, 30),
    )
    .await?;
    raise(
        db,
        &xny,
        gx[2],
        "permits",
        "施工许可证办理所需的消防设计审查卡在补正环节",
        "加快消防设计审查",
        "unit",
        back(today, 8),
    )
    .await?;
    // Accepted, reply due.
    let p = raise(
        db,
        &dongcheng,
        dc[0],
        "demolition",
        "项目红线内仍有 3 户未签约，影响场地平整",
        "加快征收签约",
        "meeting",
        back(today, 2),
    )
    .await?;
    step(
        db,
        &dongcheng,
        p,
        "accept",
        "区征收办牵头",
        None,
        back(today, 1),
    )
    .await?;
    // Replied with a plan and a date.
    let p = raise(
        db,
        &xny,
        gx[3],
        "funding",
        "专项债资金拨付滞后，影响进度款支付",
        "加快专项债资金拨付",
        "report",
        back(today, 10),
    )
    .await?;
    step(db, &gaoxin, p, "accept", "", None, back(today, 9)).await?;
    step(
        db,
        &gaoxin,
        p,
        "reply",
        "已与财政局对接，资金计划本月底前下达",
        Some(today + Days::new(20)),
        back(today, 7),
    )
    .await?;
    // Replied with conditions.
    let p = raise(
        db,
        &xny,
        gx[4],
        "environment",
        "环评批复需等待区域规划环评完成",
        "协调区域规划环评进度",
        "unit",
        back(today, 12),
    )
    .await?;
    step(db, &gaoxin, p, "accept", "", None, back(today, 11)).await?;
    let mut tx = db.begin().await?;
    pb::act(
        &mut tx,
        &gaoxin,
        p,
        &StepInput {
            action: "reply".into(),
            note: "区域规划环评报告已送审，待省厅批复后即可受理项目环评".into(),
            reply_kind: Some("conditions".into()),
            reply_by: Some((today + Days::new(45)).to_string()),
            ..Default::default()
        },
        back(today, 10),
    )
    .await?;
    tx.commit().await?;
    // Solved, waiting for the raiser to verify.
    let p = raise(
        db,
        &xny,
        gx[5],
        "utilities",
        "施工用水管网压力不足",
        "协调水务公司增压",
        "unit",
        back(today, 15),
    )
    .await?;
    step(db, &gaoxin, p, "accept", "", None, back(today, 14)).await?;
    step(
        db,
        &gaoxin,
        p,
        "reply",
        "水务公司已安排增压泵站改造",
        Some(back(today, 3)),
        back(today, 13),
    )
    .await?;
    step(
        db,
        &gaoxin,
        p,
        "solve",
        "增压泵站已投运，管网压力达标",
        None,
        back(today, 3),
    )
    .await?;
    // Closed after verification, one reopened on the way.
    let p = raise(
        db,
        &xny,
        gx[6],
        "policy",
        "企业申请的技改补贴政策口径不明确",
        "明确补贴申报口径",
        "unit",
        back(today, 40),
    )
    .await?;
    step(db, &gaoxin, p, "accept", "", None, back(today, 39)).await?;
    step(
        db,
        &gaoxin,
        p,
        "solve",
        "已出具政策解读",
        None,
        back(today, 37),
    )
    .await?;
    step(
        db,
        &xny,
        p,
        "reopen",
        "解读未明确设备购置是否计入",
        None,
        back(today, 35),
    )
    .await?;
    step(
        db,
        &gaoxin,
        p,
        "reply",
        "工信局出具书面意见",
        Some(back(today, 25)),
        back(today, 34),
    )
    .await?;
    step(
        db,
        &gaoxin,
        p,
        "solve",
        "工信局书面明确设备购置计入补贴基数",
        None,
        back(today, 26),
    )
    .await?;
    step(db, &xny, p, "verify", "满意", None, back(today, 25)).await?;
    // Closed by the office's override.
    let p = raise(
        db,
        &dongcheng,
        dc[1],
        "other",
        "原址管线迁改问题",
        "协调管线单位",
        "unit",
        back(today, 20),
    )
    .await?;
    step(
        db,
        &office,
        p,
        "override",
        "项目调整选址，原问题不再存在",
        None,
        back(today, 18),
    )
    .await?;
    // A rectification item from an inspection.
    raise(
        db,
        &sup,
        dc[2],
        "environment",
        "督查发现施工扬尘防治措施不到位，未按要求覆盖裸土",
        "限期整改并复查",
        "inspection",
        back(today, 1),
    )
    .await?;

    // Supervised tasks: the meeting decisions are already tasks; add the other states.
    let mut tx = db.begin().await?;
    let t1 = tk::issue(
        &mut tx,
        &sup,
        &TaskInput {
            title: "全市重点项目开工率四季度提升至 90%".into(),
            detail: "各地各部门对照未开工项目清单逐一推进".into(),
            source: Some("instruction".into()),
            source_ref: Some("市长批示〔2026〕38号".into()),
            lead_unit: "zjj".into(),
            cooperating: "fgw,zdxmb".into(),
            deadline: (today + Days::new(29)).to_string(),
            rhythm: Some("weekly".into()),
            evidence: "开工项目清单及施工许可证".into(),
            ..Default::default()
        },
        back(today, 21),
    )
    .await?;
    let t2 = tk::issue(
        &mut tx,
        &sup,
        &TaskInput {
            title: "城区老旧管网改造百日攻坚".into(),
            source: Some("campaign".into()),
            source_ref: Some("gwgz".into()),
            lead_unit: "zjj".into(),
            deadline: (today + Days::new(10)).to_string(),
            rhythm: Some("monthly".into()),
            evidence: "竣工验收资料".into(),
            ..Default::default()
        },
        back(today, 60),
    )
    .await?;
    let t3 = tk::issue(
        &mut tx,
        &sup,
        &TaskInput {
            title: "开发区标准厂房招商入驻".into(),
            lead_unit: "990172".into(),
            deadline: back(today, 5).to_string(),
            rhythm: Some("monthly".into()),
            ..Default::default()
        },
        back(today, 70),
    )
    .await?;
    let t4 = tk::issue(
        &mut tx,
        &sup,
        &TaskInput {
            title: "东城区农贸市场改造".into(),
            lead_unit: "990102".into(),
            deadline: (today + Days::new(5)).to_string(),
            rhythm: Some("weekly".into()),
            ..Default::default()
        },
        back(today, 40),
    )
    .await?;
    tx.commit().await?;
    entry(
        db,
        &zjj,
        t1.id,
        "feedback",
        "已梳理未开工项目 23 个，逐一落实开工条件",
        back(today, 14),
    )
    .await?;
    entry(
        db,
        &zjj,
        t1.id,
        "feedback",
        "本周新开工 4 个，开工率 82%",
        back(today, 7),
    )
    .await?;
    entry(
        db,
        &zjj,
        t2.id,
        "feedback",
        "已完成管网改造 12 公里",
        back(today, 30),
    )
    .await?;
    let mut tx = db.begin().await?;
    attachment::add(
        &mut tx,
        &zjj,
        Owner::Task(t2.id),
        "竣工验收记录.pdf",
        b"%PDF-1.4\n% demo evidence\n",
    )
    .await?;
    tx.commit().await?;
    entry(
        db,
        &zjj,
        t2.id,
        "claim",
        "老旧管网改造 20 公里全部完成并通过验收",
        back(today, 2),
    )
    .await?;
    entry(
        db,
        &dongcheng,
        t4.id,
        "claim",
        "农贸市场改造完成并开业",
        back(today, 10),
    )
    .await?;
    entry(db, &sup, t4.id, "verify", "现场核验通过", back(today, 8)).await?;
    let _ = t3;
    // Escalations and reminders as the jobs would have done them.
    gongjian_store::jobs::run_due(db, today).await?;
    Ok(())
}
