//! Monthly reporting on SQLite and PostgreSQL: periods, the report flow, checks,
//! versions, scope, lights and their explanation.

mod common;
use common::{city, user_actor};

use chrono::NaiveDate;
use gongjian_domain::access::Permission;
use gongjian_domain::calendar::Calendar;
use gongjian_domain::progress::LightRule;
use gongjian_domain::project::ProjectInput;
use gongjian_domain::report::Action;
use gongjian_store::project::{self, MilestoneInput};
use gongjian_store::report::{self, LightFilter, NewPhoto, ReportFilter, ReportInput};
use gongjian_store::{Actor, Db, StoreError, both_engines, exec_db, on_db};

fn project_input(
    name: &str,
    division: &str,
    owner: Option<&str>,
    annual_wan: &str,
) -> ProjectInput {
    ProjectInput {
        name: name.into(),
        level: "市重点".into(),
        category: "产业项目".into(),
        nature: "新建".into(),
        stage: "在建".into(),
        division: division.into(),
        owner_name: owner.map(Into::into),
        total_investment_wan: Some("5000".into()),
        plan_year: Some(2026),
        annual_plan_wan: Some(annual_wan.into()),
        ..Default::default()
    }
}

async fn new_project(db: &Db, p: &ProjectInput) -> i64 {
    let mut tx = db.begin().await.unwrap();
    let r = project::create(&mut tx, &Actor::cli(), p).await.unwrap();
    tx.commit().await.unwrap();
    r.id
}

async fn open(db: &Db, month: u32, deadline: &str) {
    let mut tx = db.begin().await.unwrap();
    report::open_period(
        &mut tx,
        &Actor::cli(),
        2026,
        month,
        Some(NaiveDate::parse_from_str(deadline, "%Y-%m-%d").unwrap()),
        &Calendar::shipped(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

fn form(amount: &str, text: &str) -> ReportInput {
    ReportInput {
        month_amount_wan: amount.into(),
        progress_text: text.into(),
        started: true,
        start_date: Some("2026-02-01".into()),
        next_steps: "完成主体封顶 2026-12-31".into(),
        ..Default::default()
    }
}

async fn save(
    db: &Db,
    a: &Actor,
    pid: i64,
    month: u32,
    input: &ReportInput,
    photos: Vec<NewPhoto>,
    action: Action,
) -> Result<report::Saved, StoreError> {
    let mut tx = db.begin().await?;
    let r = report::save(&mut tx, a, pid, 2026, month, input, photos, &[], action).await?;
    tx.commit().await?;
    Ok(r)
}

async fn review(
    db: &Db,
    a: &Actor,
    id: i64,
    action: Action,
    reason: Option<&str>,
) -> Result<report::Report, StoreError> {
    let mut tx = db.begin().await?;
    let r = report::review(&mut tx, a, id, action, reason).await?;
    tx.commit().await?;
    Ok(r)
}

async fn reports(db: &Db) -> i64 {
    on_db!(db, c => sqlx::query_scalar("SELECT COUNT(*) FROM report").fetch_one(c).await).unwrap()
}

both_engines!(the_report_flow_keeps_every_version, |t| {
    city(&t.db).await;
    let pid = new_project(
        &t.db,
        &project_input("电池基地", "东城区", Some("示例新能源有限公司"), "1200"),
    )
    .await;
    let other = new_project(&t.db, &project_input("西城学校", "西城区", None, "600")).await;
    let company = user_actor(&t.db, "qy", "xny", "project_unit").await;
    let district = user_actor(&t.db, "dc", "370102", "division").await;
    let office = user_actor(&t.db, "ban", "370100", "office").await;

    // No period yet: refused with a clear message, nothing written.
    let e = save(
        &t.db,
        &company,
        pid,
        10,
        &form("100", "x"),
        vec![],
        Action::Save,
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("not open"), "{e}");
    assert_eq!(reports(&t.db).await, 0);
    open(&t.db, 9, "2026-10-12").await;
    open(&t.db, 10, "2099-11-06").await;

    // The company sees its own project only.
    let list = report::to_report(
        &t.db,
        &company,
        Permission::ReportWrite,
        2026,
        10,
        &ReportFilter::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        list.iter().map(|r| r.project_id).collect::<Vec<_>>(),
        vec![pid]
    );
    let e = save(
        &t.db,
        &company,
        other,
        10,
        &form("1", "x"),
        vec![],
        Action::Save,
    )
    .await
    .unwrap_err();
    assert!(matches!(e, StoreError::Denied(_)), "{e}");

    // September, submitted late (deadline passed): flagged late.
    let s = save(
        &t.db,
        &company,
        pid,
        9,
        &form("80", "基础施工"),
        vec![],
        Action::Submit,
    )
    .await
    .unwrap();
    assert!(s.report.late);
    assert!(s.flags.iter().any(|f| f.code == "late"));

    // October: draft, then submit.
    let d = save(
        &t.db,
        &company,
        pid,
        10,
        &form("", "主体施工"),
        vec![],
        Action::Save,
    )
    .await
    .unwrap();
    assert_eq!((d.report.status.as_str(), d.report.version), ("draft", 1));
    // Submitting without an amount is refused and leaves the draft as it was.
    let e = save(
        &t.db,
        &company,
        pid,
        10,
        &form("", "主体施工"),
        vec![],
        Action::Submit,
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("month_amount_wan"), "{e}");
    // A negative amount is refused.
    let e = save(
        &t.db,
        &company,
        pid,
        10,
        &form("-5", "主体施工"),
        vec![],
        Action::Submit,
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("negative"), "{e}");
    let s = save(
        &t.db,
        &company,
        pid,
        10,
        &form("120.5", "主体施工至 12 层"),
        vec![],
        Action::Submit,
    )
    .await
    .unwrap();
    assert_eq!(
        (s.report.status.as_str(), s.report.version, s.report.late),
        ("submitted", 2, false)
    );
    assert_eq!(s.report.month_amount, 1_205_000);
    // Submitted: the unit can no longer edit.
    let e = save(
        &t.db,
        &company,
        pid,
        10,
        &form("1", "x"),
        vec![],
        Action::Save,
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("submitted"), "{e}");

    // Derived figures: this year = Sep + Oct; since start adds nothing before.
    let v = report::view(&t.db, &company, pid, 2026, 10).await.unwrap();
    assert_eq!(
        (v.cum_year, v.since_start),
        (800_000 + 1_205_000, 2_005_000)
    );
    // The save's own answer gives the same figures as the read.
    assert_eq!((s.cum_year, s.since_start), (v.cum_year, v.since_start));
    assert_eq!(v.last.as_ref().unwrap().progress_text, "基础施工");

    // The district returns it with a reason; a reason is required.
    let id = s.report.id;
    assert!(
        review(&t.db, &district, id, Action::Return, None)
            .await
            .is_err()
    );
    let r = review(&t.db, &district, id, Action::Return, Some("照片不清晰"))
        .await
        .unwrap();
    assert_eq!(
        (r.status.as_str(), r.return_reason.as_deref()),
        ("returned", Some("照片不清晰"))
    );
    // Returned figures do not count, nor does a draft of the correction: the save's
    // answer leaves its own month out, as the read does.
    let v = report::view(&t.db, &company, pid, 2026, 10).await.unwrap();
    assert_eq!(v.cum_year, 800_000);
    let d = save(
        &t.db,
        &company,
        pid,
        10,
        &form("130", "主体施工至 13 层"),
        vec![],
        Action::Save,
    )
    .await
    .unwrap();
    assert_eq!((d.cum_year, d.since_start), (800_000, 800_000));
    save(
        &t.db,
        &company,
        pid,
        10,
        &form("120.5", "主体施工至 13 层"),
        vec![],
        Action::Submit,
    )
    .await
    .unwrap();
    // The company cannot approve; the district can; only the office locks.
    assert!(
        review(&t.db, &company, id, Action::Approve, None)
            .await
            .is_err()
    );
    review(&t.db, &district, id, Action::Approve, None)
        .await
        .unwrap();
    assert!(
        review(&t.db, &district, id, Action::Lock, None)
            .await
            .is_err()
    );
    let r = review(&t.db, &office, id, Action::Lock, None)
        .await
        .unwrap();
    assert_eq!(r.status, "locked");

    // A locked report changes only with a reason, and every version is kept.
    let mut tx = t.db.begin().await.unwrap();
    assert!(
        report::amend(&mut tx, &office, id, &form("130", "主体施工至 13 层"), " ")
            .await
            .is_err()
    );
    drop(tx);
    let mut tx = t.db.begin().await.unwrap();
    let r = report::amend(
        &mut tx,
        &office,
        id,
        &form("130", "主体施工至 13 层"),
        "统计部门核定",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!((r.status.as_str(), r.month_amount), ("locked", 1_300_000));
    let v = report::view(&t.db, &office, pid, 2026, 10).await.unwrap();
    let actions: Vec<&str> = v.versions.iter().map(|x| x.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "amend", "lock", "approve", "submit", "save", "return", "submit", "save"
        ]
    );
    assert_eq!(v.versions[0].reason.as_deref(), Some("统计部门核定"));
    assert!(
        v.versions[3].snapshot.contains("主体施工至 12 层")
            || v.versions[2].snapshot.contains("13 层")
    );
    assert!(v.versions.last().unwrap().snapshot.contains("主体施工"));
    // The project is marked started from the report.
    let p = project::get(&t.db, &office, pid, Permission::ProjectRead)
        .await
        .unwrap();
    assert!(p.started);

    // The board counts by district.
    let b = report::board(&t.db, &office, 2026, 10, None).await.unwrap();
    let east = b.iter().find(|r| r.division_code == "370102").unwrap();
    let west = b.iter().find(|r| r.division_code == "370103").unwrap();
    assert_eq!((east.due, east.locked, east.missing), (1, 1, 0));
    assert_eq!((west.due, west.missing), (1, 1));
    // Reminders reach the users of units with projects still to report, not the others.
    let west_user = user_actor(&t.db, "xc", "370103", "division").await;
    let mut tx = t.db.begin().await.unwrap();
    let n = report::remind(&mut tx, &office, 2026, 10).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(n, 1);
    let inbox = report::notices(&t.db, west_user.user_id.unwrap())
        .await
        .unwrap();
    assert_eq!(inbox.len(), 1);
    assert!(inbox[0].body.contains("1 个项目"), "{}", inbox[0].body);
    assert_eq!(
        report::unread(&t.db, company.user_id.unwrap())
            .await
            .unwrap(),
        0
    );
    report::mark_read(&t.db, west_user.user_id.unwrap())
        .await
        .unwrap();
    assert_eq!(
        report::unread(&t.db, west_user.user_id.unwrap())
            .await
            .unwrap(),
        0
    );
});

both_engines!(submission_checks_block_or_flag, |t| {
    city(&t.db).await;
    let pid = new_project(
        &t.db,
        &project_input("电池基地", "东城区", Some("示例新能源有限公司"), "1200"),
    )
    .await;
    let a = Actor::cli();
    // Monthly plan of 100 (万元) each month; location in Yinchuan.
    let mut tx = t.db.begin().await.unwrap();
    project::set_plan(
        &mut tx,
        &a,
        pid,
        2026,
        "1200",
        &(0..12).map(|_| Some("100".to_string())).collect::<Vec<_>>(),
        false,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut tx = t.db.begin().await.unwrap();
    report::set_location(&mut tx, &a, pid, Some((38.4872, 106.2309)))
        .await
        .unwrap();
    // Out of range coordinates are refused.
    assert!(
        report::set_location(&mut tx, &a, pid, Some((95.0, 106.0)))
            .await
            .is_err()
    );
    tx.commit().await.unwrap();
    open(&t.db, 9, "2099-10-12").await;
    open(&t.db, 10, "2099-11-06").await;
    // A start date after the period is refused.
    let mut future = form("10", "基础施工");
    future.start_date = Some("2026-12-01".into());
    let e = save(&t.db, &a, pid, 9, &future, vec![], Action::Submit)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("start_date"), "{e}");
    // A month above 3× plan needs a note.
    let e = save(
        &t.db,
        &a,
        pid,
        9,
        &form("301", "基础施工"),
        vec![],
        Action::Submit,
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("note"), "{e}");
    let mut f = form("301", "基础施工");
    f.note = Some("设备集中到货".into());
    let photo = NewPhoto {
        name: "现场.jpg".into(),
        mime: "image/jpeg".into(),
        bytes: vec![0xFF, 0xD8, 0xFF, 1, 2, 3],
        taken: chrono::NaiveDateTime::parse_from_str("2026-09-20 10:00:00", "%Y-%m-%d %H:%M:%S")
            .ok(),
        gps: Some((38.4872, 106.2309)),
    };
    let s = save(&t.db, &a, pid, 9, &f, vec![photo.clone()], Action::Submit)
        .await
        .unwrap();
    assert_eq!(
        s.flags.iter().map(|f| f.code.as_str()).collect::<Vec<_>>(),
        vec!["month_over_plan"]
    );
    // October: same text and same photo → "no visible change"; a photo from Beijing
    // taken in September is flagged twice.
    let far = NewPhoto {
        name: "远处.jpg".into(),
        bytes: vec![0xFF, 0xD8, 0xFF, 9, 9, 9],
        gps: Some((39.9042, 116.4074)),
        ..photo.clone()
    };
    let s = save(
        &t.db,
        &a,
        pid,
        10,
        &form("100", "基础施工"),
        vec![photo.clone()],
        Action::Submit,
    )
    .await
    .unwrap();
    let codes: Vec<&str> = s.flags.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(codes, vec!["no_change", "photo_date"]);
    let mut tx = t.db.begin().await.unwrap();
    let r = report::review(&mut tx, &a, s.report.id, Action::Return, Some("重拍"))
        .await
        .unwrap();
    let s = report::save(
        &mut tx,
        &a,
        pid,
        2026,
        10,
        &form("100", "主体施工"),
        vec![far],
        &[],
        Action::Submit,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(r.status, "returned");
    let codes: Vec<&str> = s.flags.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(codes, vec!["photo_date", "photo_date", "photo_far"]);
    // Overrun above the total investment (5000 万元): warned by default, blocked by rule.
    let mut tx = t.db.begin().await.unwrap();
    report::set_rule(
        &mut tx,
        &a,
        &LightRule {
            overrun: "block".into(),
            ..LightRule::yinchuan()
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let n = reports(&t.db).await;
    open(&t.db, 11, "2099-12-07").await;
    let mut big = form("4900", "设备安装");
    big.note = Some("设备款".into());
    let e = save(&t.db, &a, pid, 11, &big, vec![], Action::Submit)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("total investment"), "{e}");
    assert_eq!(
        reports(&t.db).await,
        n,
        "a refused submission writes nothing"
    );
    // Photos: too many are refused.
    let many: Vec<NewPhoto> = (0..10)
        .map(|i| NewPhoto {
            bytes: vec![0xFF, 0xD8, 0xFF, i],
            ..photo.clone()
        })
        .collect();
    assert!(
        save(&t.db, &a, pid, 11, &form("1", "x"), many, Action::Save)
            .await
            .is_err()
    );
});

both_engines!(lights_explain_themselves_and_stay_with_their_period, |t| {
    city(&t.db).await;
    let a = Actor::cli();
    let on_track = new_project(&t.db, &project_input("按期项目", "东城区", None, "1200")).await;
    let behind = new_project(&t.db, &project_input("滞后项目", "东城区", None, "1200")).await;
    let far_behind = new_project(&t.db, &project_input("严重滞后", "西城区", None, "1200")).await;
    let no_plan = new_project(
        &t.db,
        &ProjectInput {
            annual_plan_wan: None,
            plan_year: None,
            ..project_input("无计划", "西城区", None, "0")
        },
    )
    .await;
    let mut tx = t.db.begin().await.unwrap();
    project::set_milestones(
        &mut tx,
        &a,
        on_track,
        &[MilestoneInput {
            name: "主体封顶".into(),
            planned_date: Some("2026-10-20".into()),
            ..Default::default()
        }],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    open(&t.db, 10, "2099-11-06").await;
    for (pid, amount) in [(on_track, "1000"), (behind, "850"), (far_behind, "600")] {
        save(
            &t.db,
            &a,
            pid,
            10,
            &form(amount, "施工中"),
            vec![],
            Action::Submit,
        )
        .await
        .unwrap();
    }
    let s = report::recompute(&t.db, &a, 2026, 10).await.unwrap();
    assert_eq!((s.projects, s.rule_version), (4, 1));
    // On track but a milestone 11 days overdue → yellow; 850/1000 → 12.5 points behind
    // → yellow; 600 → 33.3 points → red; no plan → none.
    assert_eq!(s.counts, [0, 2, 1, 1]);
    let ls = report::lights(&t.db, &a, 2026, 10, &LightFilter::default())
        .await
        .unwrap();
    let by = |id: i64| ls.iter().find(|l| l.project_id == id).unwrap().clone();
    assert_eq!(by(on_track).light, "yellow");
    assert!(
        by(on_track).why.contains("主体封顶"),
        "{}",
        by(on_track).why
    );
    assert_eq!(
        (by(behind).light.as_str(), by(behind).lag_bp),
        ("yellow", Some(1250))
    );
    assert!(
        by(behind).why.contains("12.5 个百分点") && by(behind).why.contains("银川规则"),
        "{}",
        by(behind).why
    );
    assert_eq!(by(far_behind).light, "red");
    assert_eq!(by(no_plan).light, "none");
    let (_, inputs) = report::light_of(&t.db, &a, 2026, 10, behind)
        .await
        .unwrap()
        .unwrap();
    assert!(inputs.contains("\"cumulative\":8500000"), "{inputs}");

    // Divisions by their summed figures: 东城 1850 done of 2000 due (6.25 points
    // behind: green although a project of it is yellow), 西城 600 of 1000: red.
    let (groups, direct) = report::division_groups(&t.db, &a, 2026, 10, None)
        .await
        .unwrap();
    assert!(direct.is_none());
    let g: Vec<(&str, &str)> = groups
        .iter()
        .map(|g| (g.key.as_str(), g.light.as_str()))
        .collect();
    assert_eq!(g, vec![("370102", "green"), ("370103", "red")]);
    let roll = report::rollup(&t.db, &a, 2026, 10).await.unwrap();
    let city = roll.divisions.iter().find(|d| d.key == "370100").unwrap();
    assert_eq!(
        (city.totals.cumulative, city.totals.target),
        (24_500_000, 30_000_000)
    );

    // A district user sees only its subtree.
    let district = user_actor(&t.db, "dc", "370102", "division").await;
    let mine = report::lights(&t.db, &district, 2026, 10, &LightFilter::default())
        .await
        .unwrap();
    assert_eq!(mine.len(), 2);
    assert!(report::recompute(&t.db, &district, 2026, 10).await.is_err());

    // A new rule version changes lights of the open period; closing keeps them.
    let mut tx = t.db.begin().await.unwrap();
    let v = report::set_rule(&mut tx, &a, &LightRule::sanya())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(v, 2);
    let mut tx = t.db.begin().await.unwrap();
    report::close_period(&mut tx, &a, 2026, 10).await.unwrap();
    tx.commit().await.unwrap();
    let ls = report::lights(&t.db, &a, 2026, 10, &LightFilter::default())
        .await
        .unwrap();
    assert!(ls.iter().all(|l| l.rule_version == 2));
    let e = report::recompute(&t.db, &a, 2026, 10).await.unwrap_err();
    assert!(e.to_string().contains("closed"), "{e}");
    // Back to Yinchuan: the closed period keeps its Sanya lights.
    let mut tx = t.db.begin().await.unwrap();
    report::set_rule(&mut tx, &a, &LightRule::yinchuan())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let again = report::lights(&t.db, &a, 2026, 10, &LightFilter::default())
        .await
        .unwrap();
    assert_eq!(
        again
            .iter()
            .map(|l| (l.project_id, l.light.clone(), l.rule_version))
            .collect::<Vec<_>>(),
        ls.iter()
            .map(|l| (l.project_id, l.light.clone(), l.rule_version))
            .collect::<Vec<_>>()
    );
    // Reports of a closed period cannot be saved.
    assert!(
        save(&t.db, &a, behind, 10, &form("1", "x"), vec![], Action::Save)
            .await
            .is_err()
    );
});

fn line(
    row: usize,
    code: Option<&str>,
    name: &str,
    division: Option<&str>,
    amount: &str,
) -> report::ImportLine {
    report::ImportLine {
        sheet: "11月".into(),
        row,
        code: code.map(Into::into),
        name: name.into(),
        division: division.map(Into::into),
        input: form(amount, &format!("{name} 主体施工")),
    }
}

both_engines!(imported_sheets_submit_all_or_nothing_or_valid_only, |t| {
    city(&t.db).await;
    let a = new_project(&t.db, &project_input("电池基地", "东城区", None, "1200")).await;
    let b = new_project(&t.db, &project_input("西城学校", "西城区", None, "600")).await;
    // Two projects of the same name in different districts: the division tells them apart.
    let c = new_project(&t.db, &project_input("污水厂", "东城区", None, "600")).await;
    new_project(&t.db, &project_input("污水厂", "西城区", None, "600")).await;
    let code: String = on_db!(&t.db, c => sqlx::query_scalar("SELECT code FROM project WHERE id = $1").bind(a).fetch_one(c).await).unwrap_or_default();
    open(&t.db, 11, "2026-12-08").await;
    let office = user_actor(&t.db, "ban", "370100", "office").await;
    let by_code = if code.is_empty() {
        None
    } else {
        Some(code.as_str())
    };
    let good = vec![
        line(5, by_code, "电池基地", None, "100"),
        line(6, None, "西城学校", Some("西城区"), "50"),
        line(7, None, "污水厂", Some("东城区"), "40"),
    ];
    let mut bad = good.clone();
    bad.push(line(8, None, "不存在的项目", None, "10"));
    bad.push(line(9, None, "污水厂", None, "10"));
    bad.push(line(10, None, "西城学校", Some("西城区"), "10"));

    // All or nothing: four refused lines, each with its row and reason; nothing written.
    let out = report::import_lines(&t.db, &office, 2026, 11, &bad, false, false)
        .await
        .unwrap();
    let rows: Vec<(usize, &str)> = out
        .errors
        .iter()
        .map(|e| (e.row, e.field.as_str()))
        .collect();
    assert_eq!(
        rows,
        vec![(8, "name"), (9, "name"), (10, "name")],
        "{:?}",
        out.errors
    );
    assert!(
        out.errors[1].message.contains("2 个名为“污水厂”"),
        "{:?}",
        out.errors[1]
    );
    assert!(
        out.errors[2].message.contains("第 6 行"),
        "{:?}",
        out.errors[2]
    );
    assert!(!out.written);
    assert_eq!(reports(&t.db).await, 0, "nothing half-written");

    // A dry run of the good lines says what would happen and writes nothing.
    let out = report::import_lines(&t.db, &office, 2026, 11, &good, true, false)
        .await
        .unwrap();
    assert_eq!(
        (out.imported, out.updated, out.errors.len(), out.written),
        (3, 0, 0, false)
    );
    assert_eq!(reports(&t.db).await, 0);

    // Valid-only writes the three good lines and reports the others.
    let out = report::import_lines(&t.db, &office, 2026, 11, &bad, false, true)
        .await
        .unwrap();
    assert_eq!(
        (out.imported, out.skipped, out.errors.len(), out.written),
        (3, 3, 3, true)
    );
    for pid in [a, b, c] {
        let v = report::view(&t.db, &office, pid, 2026, 11).await.unwrap();
        let r = v.report.expect("imported");
        assert_eq!(r.status, "submitted");
        assert!(r.progress_text.ends_with("主体施工"));
    }
    assert_eq!(reports(&t.db).await, 3);

    // The same sheet again: unchanged, skipped, never duplicated. A changed figure on a
    // submitted report is refused.
    let out = report::import_lines(&t.db, &office, 2026, 11, &good, false, false)
        .await
        .unwrap();
    assert_eq!(
        (out.imported, out.updated, out.skipped, out.errors.len()),
        (0, 0, 3, 0)
    );
    let changed = vec![line(5, None, "电池基地", Some("东城区"), "999")];
    let out = report::import_lines(&t.db, &office, 2026, 11, &changed, false, false)
        .await
        .unwrap();
    assert_eq!(out.errors.len(), 1);
    assert!(out.errors[0].message.contains("已报送"), "{:?}", out.errors);
    assert_eq!(reports(&t.db).await, 3);

    // A unit outside the project's scope cannot import for it.
    let company = user_actor(&t.db, "qy", "xny", "project_unit").await;
    let out = report::import_lines(
        &t.db,
        &company,
        2026,
        11,
        &[line(5, None, "污水厂", Some("西城区"), "1")],
        false,
        false,
    )
    .await
    .unwrap();
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
    assert!(out.errors[0].message.contains("无权"), "{:?}", out.errors);
});

both_engines!(
    a_meeting_goes_through_red_and_yellow_projects_and_keeps_decisions,
    |t| {
        use gongjian_store::meeting::{self, MeetingInput};
        city(&t.db).await;
        let a = Actor::cli();
        let on_track = new_project(&t.db, &project_input("按期项目", "东城区", None, "1200")).await;
        let behind = new_project(&t.db, &project_input("滞后项目", "东城区", None, "1200")).await;
        let far = new_project(&t.db, &project_input("严重滞后", "西城区", None, "1200")).await;
        open(&t.db, 10, "2099-11-06").await;
        for (pid, amount) in [(on_track, "1000"), (behind, "850"), (far, "600")] {
            let mut f = form(amount, "施工中");
            f.problems = Some(format!("{amount} 项目用地未落实"));
            save(&t.db, &a, pid, 10, &f, vec![], Action::Submit)
                .await
                .unwrap();
        }
        report::recompute(&t.db, &a, 2026, 10).await.unwrap();
        let office = user_actor(&t.db, "ban", "370100", "office").await;
        let create = |filter: &str| MeetingInput {
            year: 2026,
            month: 10,
            held_on: Some("2026-11-10".into()),
            filter: Some(filter.into()),
            ..Default::default()
        };
        let mut tx = t.db.begin().await.unwrap();
        let m = meeting::create(&mut tx, &office, &create("red_yellow"))
            .await
            .unwrap();
        let only_red = meeting::create(&mut tx, &office, &create("red"))
            .await
            .unwrap();
        let all = meeting::create(&mut tx, &office, &create("all"))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(m.title, "2026年10月重点项目调度会");
        let (_, items, _) = meeting::get(&t.db, &office, m.id).await.unwrap();
        let ids: Vec<(i64, &str)> = items
            .iter()
            .map(|i| (i.project_id, i.light.as_str()))
            .collect();
        assert_eq!(
            ids,
            vec![(behind, "yellow"), (far, "red")],
            "table order, red and yellow"
        );
        assert_eq!(items[1].problems.as_deref(), Some("600 项目用地未落实"));
        assert!(
            items[1].why.as_deref().unwrap().contains("红灯"),
            "{:?}",
            items[1].why
        );
        assert_eq!(
            meeting::get(&t.db, &office, only_red.id)
                .await
                .unwrap()
                .1
                .len(),
            1
        );
        assert_eq!(
            meeting::get(&t.db, &office, all.id).await.unwrap().1.len(),
            3
        );

        // No lights for the month yet: refused with the way out.
        open(&t.db, 11, "2099-12-08").await;
        let district = user_actor(&t.db, "dc", "370102", "division").await;
        let mut tx = t.db.begin().await.unwrap();
        let e = meeting::create(
            &mut tx,
            &office,
            &MeetingInput {
                month: 11,
                ..create("all")
            },
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains("重算红黄绿灯"), "{e}");
        // Only the office (report.admin) builds agendas.
        assert!(matches!(
            meeting::create(&mut tx, &district, &create("all")).await,
            Err(StoreError::Denied(_))
        ));
        drop(tx);

        // Decisions: what, who, by when; each part checked.
        let item = items[1].id;
        let mut tx = t.db.begin().await.unwrap();
        for (text, owner, deadline, field) in [
            ("", "370102", "2099-01-31", "text"),
            ("协调用地", "nope", "2099-01-31", "owner"),
            ("协调用地", "370102", "", "deadline"),
            ("协调用地", "370102", "2020-01-01", "deadline"),
        ] {
            match meeting::add_decision(&mut tx, &office, m.id, item, text, owner, deadline).await {
                Err(StoreError::Invalid(e)) => {
                    assert_eq!(e.field, field, "{text}/{owner}/{deadline}")
                }
                other => panic!("{field}: {other:?}"),
            }
        }
        let d1 = meeting::add_decision(
            &mut tx,
            &office,
            m.id,
            item,
            "协调解决项目用地",
            "370102",
            "2099-03-31",
        )
        .await
        .unwrap();
        meeting::add_decision(
            &mut tx,
            &office,
            m.id,
            items[0].id,
            "加快施工进度",
            "370102",
            "2099-02-28",
        )
        .await
        .unwrap();
        meeting::set_answer(
            &mut tx,
            &office,
            m.id,
            item,
            "自然资源局：12 月底前完成供地",
        )
        .await
        .unwrap();
        // An item of another meeting is not this meeting's.
        assert!(
            meeting::set_answer(&mut tx, &office, only_red.id, items[0].id, "x")
                .await
                .is_err()
        );
        meeting::set_decision_done(&mut tx, &office, m.id, d1, true)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let (_, ds) = meeting::commitments(&t.db, &office, m.id).await.unwrap();
        let got: Vec<(&str, &str)> = ds
            .iter()
            .map(|d| (d.text.as_str(), d.status.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![("加快施工进度", "open"), ("协调解决项目用地", "done")],
            "by deadline"
        );
        let (_, items, _) = meeting::get(&t.db, &office, m.id).await.unwrap();
        assert_eq!(items[1].answer, "自然资源局：12 月底前完成供地");
        // A district sees the items in its scope only.
        let (_, mine, ds) = meeting::get(&t.db, &district, m.id).await.unwrap();
        assert_eq!(
            mine.iter().map(|i| i.project_id).collect::<Vec<_>>(),
            vec![behind]
        );
        assert_eq!(ds.len(), 1);
    }
);

both_engines!(
    the_planned_start_is_the_first_start_node_in_node_order,
    |t| {
        city(&t.db).await;
        let a = Actor::cli();
        // Of two 开工 nodes the first (May) is the planned start, not the later one
        // (August, which would be two months late: not red); 立项 is not a start node.
        // Both in preparation: not started.
        let pre = |name: &str, division: &str| ProjectInput {
            stage: "前期".into(),
            ..project_input(name, division, None, "1200")
        };
        let late = new_project(&t.db, &pre("迟迟未开工", "东城区")).await;
        // Planned to start in September: one month late is not yet the three of the rule.
        let recent = new_project(&t.db, &pre("九月开工", "西城区")).await;
        let mut tx = t.db.begin().await.unwrap();
        for (pid, nodes) in [
            (
                late,
                vec![
                    ("立项", "2026-01-10"),
                    ("开工建设", "2026-05-01"),
                    ("二期开工", "2026-08-01"),
                ],
            ),
            (recent, vec![("开工仪式", "2026-09-15")]),
        ] {
            let nodes: Vec<MilestoneInput> = nodes
                .into_iter()
                .map(|(name, date)| MilestoneInput {
                    name: name.into(),
                    planned_date: Some(date.into()),
                    ..Default::default()
                })
                .collect();
            project::set_milestones(&mut tx, &a, pid, &nodes)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        open(&t.db, 10, "2099-11-06").await;
        report::recompute(&t.db, &a, 2026, 10).await.unwrap();
        let ls = report::lights(&t.db, &a, 2026, 10, &LightFilter::default())
            .await
            .unwrap();
        let by = |id: i64| ls.iter().find(|l| l.project_id == id).unwrap().clone();
        let why = by(late).why;
        assert!(why.contains("计划 2026-05-01 开工，已过 5 个月"), "{why}");
        assert_eq!(by(late).light, "red");
        let why = by(recent).why;
        assert!(!why.contains("仍未开工"), "{why}");
    }
);

both_engines!(a_recompute_writes_only_the_lights_that_changed, |t| {
    city(&t.db).await;
    let a = Actor::cli();
    let first = new_project(&t.db, &project_input("一号项目", "东城区", None, "1200")).await;
    let second = new_project(&t.db, &project_input("二号项目", "东城区", None, "1200")).await;
    let third = new_project(&t.db, &project_input("三号项目", "西城区", None, "1200")).await;
    open(&t.db, 10, "2099-11-06").await;
    save(
        &t.db,
        &a,
        first,
        10,
        &form("1000", "施工中"),
        vec![],
        Action::Submit,
    )
    .await
    .unwrap();
    let s = report::recompute(&t.db, &a, 2026, 10).await.unwrap();
    assert_eq!((s.projects, s.changed), (3, 3));
    let light = |id: i64| {
        let db = t.db.clone();
        async move {
            report::light_of(&db, &Actor::cli(), 2026, 10, id)
                .await
                .unwrap()
        }
    };
    let (before, _) = light(second).await.unwrap();
    assert!(!before.kept_by_last_recompute());
    assert_eq!(before.lights_at, Some(before.computed_at));

    // Nothing changed: every light is evaluated again, none is written.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let s = report::recompute(&t.db, &a, 2026, 10).await.unwrap();
    assert_eq!((s.projects, s.changed, s.counts), (3, 0, [1, 0, 2, 0]));
    let (kept, _) = light(second).await.unwrap();
    assert_eq!(kept.computed_at, before.computed_at);
    assert_eq!(
        (kept.light.as_str(), kept.why.as_str()),
        (before.light.as_str(), before.why.as_str())
    );
    assert!(kept.lights_at.unwrap() > kept.computed_at);
    assert!(kept.kept_by_last_recompute());

    // A new report changes one light: only it is rewritten, with its new figures.
    save(
        &t.db,
        &a,
        second,
        10,
        &form("1000", "施工中"),
        vec![],
        Action::Submit,
    )
    .await
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let s = report::recompute(&t.db, &a, 2026, 10).await.unwrap();
    assert_eq!((s.projects, s.changed, s.counts), (3, 1, [2, 0, 1, 0]));
    let (now, inputs) = light(second).await.unwrap();
    assert_eq!((now.light.as_str(), now.cumulative), ("green", 10_000_000));
    assert!(inputs.contains("\"cumulative\":10000000"), "{inputs}");
    assert!(now.computed_at > before.computed_at);
    assert!(!now.kept_by_last_recompute());
    let (other, _) = light(first).await.unwrap();
    assert!(other.kept_by_last_recompute());

    // A project no longer lit (completed, nothing counted this year) loses its light.
    exec_db!(&t.db, c => sqlx::query("UPDATE project SET stage = 'completed' WHERE id = $1").bind(third).execute(c).await).unwrap();
    let s = report::recompute(&t.db, &a, 2026, 10).await.unwrap();
    assert_eq!((s.projects, s.changed, s.counts), (2, 0, [2, 0, 0, 0]));
    assert!(light(third).await.is_none());
    let ls = report::lights(&t.db, &a, 2026, 10, &LightFilter::default())
        .await
        .unwrap();
    let mut ids: Vec<i64> = ls.iter().map(|l| l.project_id).collect();
    ids.sort();
    assert_eq!(ids, [first, second]);
    // The period records the last recomputation.
    let p = report::periods(&t.db)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.month == 10)
        .unwrap();
    assert!(p.lights_at.unwrap() >= now.computed_at);
});
