//! Problems, supervised tasks and the background jobs on SQLite and PostgreSQL: every
//! step with who may take it, bad input, escalation exactly once with catch-up,
//! reminders, scope and attachments.

mod common;
use common::{city, user_actor};

use chrono::NaiveDate;
use gongjian_domain::project::ProjectInput;
use gongjian_store::attachment::{self, Owner};
use gongjian_store::problem::{self, ProblemFilter, RaiseInput, StepInput};
use gongjian_store::task::{self, EntryInput, TaskInput};
use gongjian_store::{Actor, Db, Page, StoreError, both_engines, jobs, on_db};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

async fn project(db: &Db, name: &str, division: &str) -> i64 {
    project_owned(db, name, division, Some("示例新能源有限公司")).await
}

async fn project_owned(db: &Db, name: &str, division: &str, owner: Option<&str>) -> i64 {
    let mut tx = db.begin().await.unwrap();
    let p = gongjian_store::project::create(
        &mut tx,
        &Actor::cli(),
        &ProjectInput {
            name: name.into(),
            level: "市重点".into(),
            category: "产业项目".into(),
            nature: "新建".into(),
            stage: "在建".into(),
            division: division.into(),
            owner_name: owner.map(Into::into),
            responsible_unit: Some("fgw".into()),
            contact_leader: Some("王示范".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    p.id
}

async fn raise(
    db: &Db,
    a: &Actor,
    pid: i64,
    cat: &str,
    on: &str,
) -> Result<problem::Problem, StoreError> {
    let mut tx = db.begin().await?;
    let p = problem::raise(
        &mut tx,
        a,
        &RaiseInput {
            project_id: pid,
            category: cat.into(),
            description: "变电站增容迟迟未批复，影响设备调试".into(),
            need: "协调供电公司加快增容审批".into(),
            ..Default::default()
        },
        d(on),
    )
    .await?;
    tx.commit().await?;
    Ok(p)
}

async fn act(
    db: &Db,
    a: &Actor,
    id: i64,
    input: StepInput,
    on: &str,
) -> Result<problem::Problem, StoreError> {
    let mut tx = db.begin().await?;
    let p = problem::act(&mut tx, a, id, &input, d(on)).await?;
    tx.commit().await?;
    Ok(p)
}

fn step(action: &str, note: &str) -> StepInput {
    StepInput {
        action: action.into(),
        note: note.into(),
        ..Default::default()
    }
}

fn field(e: &StoreError) -> &'static str {
    match e {
        StoreError::Invalid(d) | StoreError::Conflict(d) => d.field,
        _ => "",
    }
}

async fn count(db: &Db, sql: &'static str) -> i64 {
    on_db!(db, c => sqlx::query_scalar::<_, i64>(sql).fetch_one(c).await).unwrap()
}

both_engines!(problem_flow_from_raised_to_closed, |t| {
    let db = &t.db;
    city(db).await;
    let pid = project(db, "西城储能电站", "370103").await;
    let company = user_actor(db, "xny1", "xny", "project_unit").await;
    let district = user_actor(db, "xc1", "370103", "division").await;
    let other_district = user_actor(db, "dc1", "370102", "division").await;

    let p = raise(db, &company, pid, "utilities", "2026-11-27")
        .await
        .unwrap();
    assert_eq!(p.status, "raised");
    assert_eq!(p.handler_unit, "西城区人民政府");
    assert_eq!(p.tier, 1);
    assert_eq!(p.raiser_unit, "示例新能源有限公司");
    // Raised on Friday: accept by the next working day, Monday.
    assert_eq!(p.deadline, Some(d("2026-11-30")));

    // Another district cannot see it, let alone accept it.
    let e = act(db, &other_district, p.id, step("accept", ""), "2026-11-30")
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound(_)), "{e:?}");
    // The raiser cannot accept its own problem.
    let e = act(db, &company, p.id, step("accept", ""), "2026-11-30")
        .await
        .unwrap_err();
    assert_eq!(field(&e), "unit");
    // Assigning outside the tier: a unit of another district.
    let mut s = step("accept", "");
    s.assignee = Some("dc-zjj".into());
    let e = act(db, &district, p.id, s, "2026-11-30").await.unwrap_err();
    assert_eq!(field(&e), "assignee");
    assert!(format!("{e:?}").contains("东城区住建局"), "{e:?}");
    // Verifying before it is solved is refused by the flow.
    let e = act(db, &company, p.id, step("verify", ""), "2026-11-30")
        .await
        .unwrap_err();
    assert_eq!(field(&e), "status");

    let p = act(
        db,
        &district,
        p.id,
        step("accept", "已交区发改局协调"),
        "2026-11-30",
    )
    .await
    .unwrap();
    assert_eq!(p.status, "accepted");
    assert_eq!(p.deadline, Some(d("2026-12-03")));

    // A reply without a date is refused, and nothing changes.
    let mut r = step("reply", "协调供电公司增容");
    let e = act(db, &district, p.id, r.clone(), "2026-12-01")
        .await
        .unwrap_err();
    assert_eq!(field(&e), "reply_by");
    assert_eq!(
        problem::get(db, &district, p.id).await.unwrap().status,
        "accepted"
    );
    r.reply_by = Some("2026-12-20".into());
    r.reply_kind = Some("plan".into());
    let p = act(db, &district, p.id, r, "2026-12-01").await.unwrap();
    assert_eq!(
        (p.status.as_str(), p.promised_on, p.deadline),
        ("replied", Some(d("2026-12-20")), Some(d("2026-12-20")))
    );
    assert_eq!(p.first_reply_on, Some(d("2026-12-01")));

    let e = act(db, &district, p.id, step("solve", ""), "2026-12-10")
        .await
        .unwrap_err();
    assert_eq!(field(&e), "note");
    let p = act(
        db,
        &district,
        p.id,
        step("solve", "供电公司已批复增容"),
        "2026-12-10",
    )
    .await
    .unwrap();
    assert_eq!(p.status, "solved");
    assert_eq!(p.deadline, None);
    // Only the raiser verifies.
    let e = act(db, &district, p.id, step("verify", ""), "2026-12-11")
        .await
        .unwrap_err();
    assert_eq!(field(&e), "unit");
    // Not satisfied: reopened, back to the handler with a new reply deadline.
    let e = act(db, &company, p.id, step("reopen", ""), "2026-12-11")
        .await
        .unwrap_err();
    assert_eq!(field(&e), "note");
    let p = act(
        db,
        &company,
        p.id,
        step("reopen", "增容批复了但未送电"),
        "2026-12-11",
    )
    .await
    .unwrap();
    assert_eq!((p.status.as_str(), p.reopen_count), ("accepted", 1));
    assert_eq!(p.deadline, Some(d("2026-12-16")));
    let mut r = step("reply", "督促供电公司送电");
    r.reply_by = Some("2026-12-18".into());
    act(db, &district, p.id, r, "2026-12-14").await.unwrap();
    act(db, &district, p.id, step("solve", "已送电"), "2026-12-17")
        .await
        .unwrap();
    let p = act(db, &company, p.id, step("verify", "满意"), "2026-12-18")
        .await
        .unwrap();
    assert_eq!(
        (p.status.as_str(), p.closed_on, p.overridden),
        ("closed", Some(d("2026-12-18")), false)
    );
    let steps = problem::steps(db, p.id).await.unwrap();
    let actions: Vec<&str> = steps.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "raise", "accept", "reply", "solve", "reopen", "reply", "solve", "verify"
        ]
    );
    // Every step is in the audit chain and the chain verifies.
    assert!(
        count(
            db,
            "SELECT COUNT(*) FROM audit_log WHERE entity = 'problem'"
        )
        .await
            >= 8
    );
    // Closed problems accept nothing more.
    let e = act(db, &company, p.id, step("reopen", "再看看"), "2026-12-19")
        .await
        .unwrap_err();
    assert_eq!(field(&e), "status");
    // Notices went to the units that had to act.
    assert!(count(db, "SELECT COUNT(*) FROM notice n JOIN app_user u ON u.id = n.user_id WHERE u.username = 'xc1'").await >= 3);
    assert!(count(db, "SELECT COUNT(*) FROM notice n JOIN app_user u ON u.id = n.user_id WHERE u.username = 'xny1'").await >= 3);
});

both_engines!(
    closing_without_verification_needs_the_office_and_a_reason,
    |t| {
        let db = &t.db;
        city(db).await;
        let pid = project(db, "西城储能电站", "370103").await;
        let company = user_actor(db, "xny1", "xny", "project_unit").await;
        let district = user_actor(db, "xc1", "370103", "division").await;
        let office = user_actor(db, "office1", "370100", "office").await;
        let p = raise(db, &company, pid, "land", "2026-12-01")
            .await
            .unwrap();
        // The handler cannot close it, nor "verify" it for the raiser.
        for a in [&district, &company] {
            let e = act(
                db,
                a,
                p.id,
                step("override", "企业已注销不再需要"),
                "2026-12-02",
            )
            .await
            .unwrap_err();
            assert!(matches!(e, StoreError::Denied(_)), "{e:?}");
        }
        let e = act(db, &office, p.id, step("override", ""), "2026-12-02")
            .await
            .unwrap_err();
        assert_eq!(field(&e), "reason");
        let p = act(
            db,
            &office,
            p.id,
            step("override", "企业已注销，无需解决"),
            "2026-12-02",
        )
        .await
        .unwrap();
        assert!(p.overridden);
        assert_eq!(p.status, "closed");
        // Rerouting: only the office, with a reason, and only while open.
        let p2 = raise(db, &company, pid, "land", "2026-12-01")
            .await
            .unwrap();
        let mut tx = db.begin().await.unwrap();
        let e = problem::reroute(
            &mut tx,
            &district,
            p2.id,
            "department",
            None,
            "需部门",
            d("2026-12-02"),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, StoreError::Denied(_)));
        let e = problem::reroute(
            &mut tx,
            &office,
            p2.id,
            "department",
            Some("370102"),
            "需部门办理",
            d("2026-12-02"),
        )
        .await
        .unwrap_err();
        assert_eq!(field(&e), "unit");
        let r = problem::reroute(
            &mut tx,
            &office,
            p2.id,
            "department",
            None,
            "属用地指标问题",
            d("2026-12-02"),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        // No route for land: the project's responsible unit (fgw).
        assert_eq!(
            (r.tier, r.handler_unit.as_str(), r.status.as_str()),
            (2, "示例市发展和改革委员会", "raised")
        );
    }
);

both_engines!(escalation_happens_once_and_catches_up, |t| {
    let db = &t.db;
    city(db).await;
    let pid = project(db, "西城储能电站", "370103").await;
    let company = user_actor(db, "xny1", "xny", "project_unit").await;
    user_actor(db, "xc1", "370103", "division").await;
    let fgw = user_actor(db, "fgw1", "fgw", "department").await;
    let office = user_actor(db, "office1", "370100", "office").await;
    // Route permits to the development and reform commission.
    let mut tx = db.begin().await.unwrap();
    problem::set_route(&mut tx, &office, "permits", "fgw")
        .await
        .unwrap();
    let e = problem::set_route(&mut tx, &office, "permits", "370102")
        .await
        .unwrap_err();
    assert_eq!(field(&e), "unit");
    tx.commit().await.unwrap();

    // Raised Monday 2026-11-02, to accept by Tuesday 11-03.
    let p = raise(db, &company, pid, "permits", "2026-11-02")
        .await
        .unwrap();
    assert_eq!(p.deadline, Some(d("2026-11-03")));
    let r = jobs::run_due(db, d("2026-11-03")).await.unwrap();
    assert_eq!(r.escalated, 0);
    assert_eq!(r.problem_reminders, 1, "due today");
    let r = jobs::run_due(db, d("2026-11-03")).await.unwrap();
    assert_eq!(r.problem_reminders, 0, "a reminder is sent once");
    let r = jobs::run_due(db, d("2026-11-04")).await.unwrap();
    assert_eq!(r.escalated, 1);
    let p = problem::get(db, &Actor::cli(), p.id).await.unwrap();
    assert_eq!(
        (p.tier, p.handler_unit.as_str(), p.status.as_str()),
        (2, "示例市发展和改革委员会", "raised")
    );
    assert_eq!(p.deadline, Some(d("2026-11-05")));
    // Both tiers were told.
    let told = count(
        db,
        "SELECT COUNT(*) FROM notice WHERE title LIKE '问题逾期升级%'",
    )
    .await;
    assert_eq!(told, 2, "the district user and the department user");
    // Running again the same day changes nothing.
    assert_eq!(
        jobs::run_due(db, d("2026-11-04")).await.unwrap().escalated,
        0
    );
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM problem_step WHERE action = 'escalate'"
        )
        .await,
        1
    );
    // The department accepts in time: no escalation while it keeps its deadlines.
    act(db, &fgw, p.id, step("accept", ""), "2026-11-05")
        .await
        .unwrap();
    assert_eq!(
        jobs::run_due(db, d("2026-11-06")).await.unwrap().escalated,
        0
    );
    // It misses the reply deadline (3 working days: 11-10): to the city the day after.
    let r = jobs::run_due(db, d("2026-11-11")).await.unwrap();
    assert_eq!(r.escalated, 1);
    let p = problem::get(db, &Actor::cli(), p.id).await.unwrap();
    assert_eq!((p.tier, p.leader_name.as_deref()), (3, Some("王示范")));
    // At the city tier it cannot climb; an overdue notice goes out once.
    let r = jobs::run_due(db, d("2026-11-30")).await.unwrap();
    assert_eq!((r.escalated, r.overdue_notices), (0, 1));
    let r = jobs::run_due(db, d("2026-12-01")).await.unwrap();
    assert_eq!(r.overdue_notices, 0);

    // Catch-up after downtime: raised before National Day, the jobs first run on 10-12.
    let q = raise(db, &company, pid, "permits", "2026-09-28")
        .await
        .unwrap();
    assert_eq!(q.deadline, Some(d("2026-09-29")));
    let r = jobs::run_due(db, d("2026-10-12")).await.unwrap();
    assert_eq!(r.escalated, 2, "division → department → city in one run");
    let q = problem::get(db, &Actor::cli(), q.id).await.unwrap();
    assert_eq!((q.tier, q.escalations), (3, 2));
    let dates: Vec<NaiveDate> = problem::steps(db, q.id)
        .await
        .unwrap()
        .iter()
        .filter(|s| s.action == "escalate")
        .map(|s| s.on_date)
        .collect();
    assert_eq!(dates, [d("2026-09-30"), d("2026-10-09")]);

    // The overdue filter and the per-unit statistics see the same thing.
    let late = problem::list(
        db,
        &Actor::cli(),
        &ProblemFilter {
            overdue: Some(true),
            ..Default::default()
        },
        Page::new(None, None),
        d("2026-12-01"),
    )
    .await
    .unwrap();
    assert_eq!(late.total, 2);
    let stats = problem::unit_stats(db, &Actor::cli(), d("2026-12-01"))
        .await
        .unwrap();
    assert_eq!(stats.iter().map(|s| s.overdue).sum::<i64>(), 2);
    let cd = problem::countdown(db, &Actor::cli(), pid, d("2026-12-01"))
        .await
        .unwrap();
    assert_eq!((cd.open, cd.overdue), (2, 2));
    assert!(cd.days_left.unwrap() < 0);
});

both_engines!(problem_lists_are_scoped_and_filtered, |t| {
    let db = &t.db;
    city(db).await;
    let west = project(db, "西城储能电站", "370103").await;
    let east = project_owned(db, "东城物流园", "370102", None).await;
    let company = user_actor(db, "xny1", "xny", "project_unit").await;
    let west_user = user_actor(db, "xc1", "370103", "division").await;
    let east_user = user_actor(db, "dc1", "370102", "division").await;
    raise(db, &company, west, "land", "2026-12-01")
        .await
        .unwrap();
    raise(db, &company, west, "funding", "2026-12-01")
        .await
        .unwrap();
    raise(db, &east_user, east, "land", "2026-12-01")
        .await
        .unwrap();
    // A district user cannot raise for another district's project.
    let e = raise(db, &east_user, west, "land", "2026-12-01")
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound(_)));
    let today = d("2026-12-02");
    let all = ProblemFilter::default();
    let page = Page::new(None, None);
    assert_eq!(
        problem::list(db, &west_user, &all, page, today)
            .await
            .unwrap()
            .total,
        2
    );
    assert_eq!(
        problem::list(db, &east_user, &all, page, today)
            .await
            .unwrap()
            .total,
        1
    );
    assert_eq!(
        problem::list(db, &Actor::cli(), &all, page, today)
            .await
            .unwrap()
            .total,
        3
    );
    let land = ProblemFilter {
        category: Some("用地".into()),
        ..Default::default()
    };
    assert_eq!(
        problem::list(db, &Actor::cli(), &land, page, today)
            .await
            .unwrap()
            .total,
        2
    );
    let q = ProblemFilter {
        q: Some("物流".into()),
        ..Default::default()
    };
    assert_eq!(
        problem::list(db, &Actor::cli(), &q, page, today)
            .await
            .unwrap()
            .total,
        1
    );
    let bad = ProblemFilter {
        status: Some("lost".into()),
        ..Default::default()
    };
    assert_eq!(
        field(
            &problem::list(db, &Actor::cli(), &bad, page, today)
                .await
                .unwrap_err()
        ),
        "status"
    );
    // To-do: the district's two to accept.
    assert_eq!(problem::todo(db, &west_user, today).await.unwrap().len(), 2);
    assert_eq!(problem::todo(db, &company, today).await.unwrap().len(), 0);
});

both_engines!(tasks_flow_evidence_and_reminders, |t| {
    let db = &t.db;
    city(db).await;
    let sup = user_actor(db, "sup1", "370100", "supervision").await;
    let lead = user_actor(db, "zjj1", "dc-zjj", "department").await;
    let other = user_actor(db, "fgw1", "fgw", "department").await;
    let today = d("2026-12-01");
    let input = TaskInput {
        title: "东城区老旧小区改造开工".into(),
        lead_unit: "dc-zjj".into(),
        cooperating: "fgw".into(),
        deadline: "2026-12-31".into(),
        rhythm: Some("weekly".into()),
        evidence: "开工令和现场照片".into(),
        source: Some("instruction".into()),
        source_ref: Some("市长批示〔2026〕12号".into()),
        ..Default::default()
    };
    // Only the supervision office issues; a past deadline is refused.
    let mut tx = db.begin().await.unwrap();
    assert!(matches!(
        task::issue(&mut tx, &lead, &input, today)
            .await
            .unwrap_err(),
        StoreError::Denied(_)
    ));
    let past = TaskInput {
        deadline: "2026-11-30".into(),
        ..input.clone()
    };
    assert_eq!(
        field(&task::issue(&mut tx, &sup, &past, today).await.unwrap_err()),
        "deadline"
    );
    let tk = task::issue(&mut tx, &sup, &input, today).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        (tk.status.as_str(), tk.next_feedback_on),
        ("issued", Some(d("2026-12-08")))
    );
    assert_eq!(tk.cooperating.as_deref(), Some("示例市发展和改革委员会"));

    async fn entry(
        db: &Db,
        a: &Actor,
        id: i64,
        action: &str,
        text: &str,
        on: &str,
    ) -> Result<task::Task, StoreError> {
        let mut tx = db.begin().await?;
        let r = task::act(
            &mut tx,
            a,
            id,
            &EntryInput {
                action: action.into(),
                text: text.into(),
                on: None,
            },
            d(on),
        )
        .await?;
        tx.commit().await?;
        Ok(r)
    }
    // Cooperating units may report progress, not claim completion.
    let tk2 = entry(
        db,
        &other,
        tk.id,
        "feedback",
        "已完成立项审批",
        "2026-12-03",
    )
    .await
    .unwrap();
    assert_eq!(tk2.status, "in_progress");
    assert_eq!(
        field(
            &entry(db, &other, tk.id, "claim", "完成", "2026-12-03")
                .await
                .unwrap_err()
        ),
        "unit"
    );
    // Evidence is required: no attachment, no claim.
    let e = entry(db, &lead, tk.id, "claim", "已开工", "2026-12-20")
        .await
        .unwrap_err();
    assert_eq!(field(&e), "attachments");
    // Attachments must be what they claim and within the size bound.
    let mut tx = db.begin().await.unwrap();
    let e = attachment::add(
        &mut tx,
        &lead,
        Owner::Task(tk.id),
        "开工令.pdf",
        b"MZ\x90\x00not a pdf",
    )
    .await
    .unwrap_err();
    assert_eq!(field(&e), "attachments");
    let big = vec![b'%'; gongjian_domain::attachment::MAX_BYTES + 1];
    let e = attachment::add(&mut tx, &lead, Owner::Task(tk.id), "大.pdf", &big)
        .await
        .unwrap_err();
    assert!(format!("{e:?}").contains("上限"));
    attachment::add(
        &mut tx,
        &lead,
        Owner::Task(tk.id),
        "开工令.pdf",
        b"%PDF-1.4 test",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        attachment::list(db, Owner::Task(tk.id))
            .await
            .unwrap()
            .len(),
        1
    );
    let tk3 = entry(db, &lead, tk.id, "claim", "已开工，附开工令", "2026-12-20")
        .await
        .unwrap();
    assert_eq!(tk3.status, "claimed");
    assert_eq!(
        field(
            &entry(db, &lead, tk.id, "feedback", "补充", "2026-12-21")
                .await
                .unwrap_err()
        ),
        "status"
    );
    // Returned for more needs a reason.
    assert_eq!(
        field(
            &entry(db, &sup, tk.id, "return", "", "2026-12-21")
                .await
                .unwrap_err()
        ),
        "text"
    );
    assert!(matches!(
        entry(db, &lead, tk.id, "verify", "好", "2026-12-21")
            .await
            .unwrap_err(),
        StoreError::Denied(_)
    ));
    let tk4 = entry(db, &sup, tk.id, "return", "缺现场照片", "2026-12-21")
        .await
        .unwrap();
    assert_eq!(tk4.status, "in_progress");
    entry(db, &lead, tk.id, "claim", "补充现场照片", "2026-12-22")
        .await
        .unwrap();
    let done = entry(db, &sup, tk.id, "verify", "核验通过", "2026-12-23")
        .await
        .unwrap();
    assert_eq!(
        (done.status.as_str(), done.closed_on),
        ("closed", Some(d("2026-12-23")))
    );
    // Feedback on a closed task is refused.
    let e = entry(db, &lead, tk.id, "feedback", "又有进展", "2026-12-24")
        .await
        .unwrap_err();
    assert_eq!(field(&e), "status");
    // issue, feedback, claim, return, claim, verify
    assert_eq!(task::entries(db, tk.id).await.unwrap().len(), 6);

    // Reminders: a weekly task issued 12-01 is due for feedback on 12-08, once.
    let mut tx = db.begin().await.unwrap();
    let t2 = task::issue(
        &mut tx,
        &sup,
        &TaskInput {
            title: "西城区供水管网改造".into(),
            lead_unit: "fgw".into(),
            deadline: "2026-12-15".into(),
            rhythm: Some("weekly".into()),
            ..Default::default()
        },
        today,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        jobs::run_due(db, d("2026-12-07"))
            .await
            .unwrap()
            .feedback_reminders,
        0
    );
    assert_eq!(
        jobs::run_due(db, d("2026-12-08"))
            .await
            .unwrap()
            .feedback_reminders,
        1
    );
    assert_eq!(
        jobs::run_due(db, d("2026-12-09"))
            .await
            .unwrap()
            .feedback_reminders,
        0
    );
    let r = jobs::run_due(db, d("2026-12-16")).await.unwrap();
    assert_eq!(r.task_overdue_notices, 1);
    let late = task::list(
        db,
        &sup,
        &task::TaskFilter {
            overdue: Some(true),
            ..Default::default()
        },
        Page::new(None, None),
        d("2026-12-16"),
    )
    .await
    .unwrap();
    assert_eq!(late.items.iter().map(|x| x.id).collect::<Vec<_>>(), [t2.id]);
    // Scope: the district housing bureau sees only its own task.
    assert_eq!(
        task::list(
            db,
            &lead,
            &task::TaskFilter::default(),
            Page::new(None, None),
            today
        )
        .await
        .unwrap()
        .total,
        1
    );
    let rec = task::unit_records(db, &sup, d("2026-12-16")).await.unwrap();
    assert_eq!(rec[0].unit, "示例市发展和改革委员会");
    assert_eq!(rec[0].open_overdue, 1);
});
