//! The project registry on SQLite and PostgreSQL, each test on a fresh database.

use gongjian_domain::access::Permission;
use gongjian_domain::project::ProjectInput;
use gongjian_store::project::{self, BulkRow, MilestoneInput, ProjectFilter};
use gongjian_store::{Actor, Db, Page, StoreError, both_engines, exec_db, on_db};

mod common;
use common::{city, user_actor};

fn input(name: &str, division: &str) -> ProjectInput {
    ProjectInput {
        name: name.into(),
        level: "市重点".into(),
        category: "产业项目".into(),
        nature: "新建".into(),
        stage: "前期".into(),
        division: division.into(),
        ..Default::default()
    }
}

fn full() -> ProjectInput {
    let mut p = input("新能源电池基地", "东城区");
    p.code = Some("2026-370102-26-01-000001".into());
    p.owner_name = Some("示例新能源有限公司".into());
    p.owner_credit_code = Some("91350100M000100Y43".into());
    p.responsible_unit = Some("fgw".into());
    p.cooperating_units = vec!["东城区住建局".into()];
    p.contact_leader = Some("王示范".into());
    p.members = vec!["张三（组长）".into(), "李四".into()];
    p.plan_doc = Some("推进方案".into());
    p.total_investment_wan = Some("125000".into());
    p.plan_year = Some(2026);
    p.annual_plan_wan = Some("1200".into());
    p.months_wan = (0..12).map(|_| Some("100".into())).collect();
    p.start_year = Some(2025);
    p.end_year = Some(2027);
    p.land_mu = Some("350.5".into());
    p.tags = vec!["专项债".into(), "攻坚:招商引资".into()];
    p.description = Some("建设电池生产线".into());
    p
}

async fn create(db: &Db, a: &Actor, p: &ProjectInput) -> Result<project::Project, StoreError> {
    let mut tx = db.begin().await?;
    let r = project::create(&mut tx, a, p).await?;
    tx.commit().await?;
    Ok(r)
}

type Change = Box<dyn Fn(&mut ProjectInput)>;

/// The total and the names of one page of the list.
async fn listed(db: &Db, a: &Actor, f: ProjectFilter, page: Page) -> (i64, Vec<String>) {
    let r = project::list(db, a, &f, page).await.unwrap();
    (r.total, r.items.into_iter().map(|p| p.name).collect())
}

/// The names of the first page of projects with free text `q`.
async fn found(db: &Db, a: &Actor, q: &str) -> Vec<String> {
    let f = ProjectFilter {
        q: Some(q.into()),
        ..Default::default()
    };
    listed(db, a, f, Page::new(None, None)).await.1
}

/// Bulk rows of `inputs` on `sheet`, the first on row `first`.
fn bulk_rows<'a>(inputs: &'a [ProjectInput], sheet: &'a str, first: usize) -> Vec<BulkRow<'a>> {
    inputs
        .iter()
        .enumerate()
        .map(|(i, p)| BulkRow {
            input: p,
            sheet,
            row: first + i,
        })
        .collect()
}

async fn count(db: &Db) -> i64 {
    on_db!(db, c => sqlx::query_scalar("SELECT COUNT(*) FROM project").fetch_one(c).await).unwrap()
}

both_engines!(projects_keep_every_field_and_refuse_bad_input, |t| {
    city(&t.db).await;
    let a = Actor::cli();
    let p = create(&t.db, &a, &full()).await.unwrap();
    let d = project::detail(&t.db, &a, p.id).await.unwrap();
    let i = d.project.item();
    assert_eq!(i.code.as_deref(), Some("2026-370102-26-01-000001"));
    assert_eq!(
        (
            i.level.as_str(),
            i.category.as_str(),
            i.nature.as_str(),
            i.stage.as_str()
        ),
        ("city", "industrial", "new", "preparation")
    );
    assert_eq!(
        (
            i.division_code.as_str(),
            i.responsible_unit_code.as_deref(),
            i.contact_leader.as_deref()
        ),
        ("370102", Some("fgw"), Some("王示范"))
    );
    assert_eq!(i.total_investment_wan, "125000.00");
    assert_eq!(i.land_mu.as_deref(), Some("350.50"));
    assert_eq!(d.members, vec!["张三（组长）", "李四"]);
    assert_eq!(
        d.cooperators,
        vec![("dc-zjj".to_string(), "东城区住建局".to_string())]
    );
    assert_eq!(d.tags, vec!["campaign:招商引资", "special_bond"]);
    assert_eq!(d.plans.len(), 1);
    assert_eq!(
        (d.plans[0].annual, d.plans[0].m12, d.plans[0].mismatch),
        (12_000_000, Some(1_000_000), false)
    );
    assert_eq!(d.stages.len(), 1, "creation is the first stage record");
    assert!(
        p.owner_unit_id.is_some(),
        "the owner is a unit of the system, found by name"
    );

    let before = count(&t.db).await;
    let cases: Vec<(&str, Change)> = vec![
        (
            "code",
            Box::new(|p| p.code = Some("2026-37010-26-01-000001".into())),
        ),
        (
            "code",
            Box::new(|p| p.code = Some("2026-990102-26-01-000001".into())),
        ),
        (
            "owner_credit_code",
            Box::new(|p| p.owner_credit_code = Some("91350100M000100Y44".into())),
        ),
        (
            "total_investment_wan",
            Box::new(|p| p.total_investment_wan = Some("-1".into())),
        ),
        (
            "total_investment_wan",
            Box::new(|p| p.total_investment_wan = Some("1.5亿".into())),
        ),
        ("months", Box::new(|p| p.months_wan[11] = Some("50".into()))),
        ("end_year", Box::new(|p| p.end_year = Some(2020))),
        ("division", Box::new(|p| p.division = "北城区".into())),
        (
            "responsible_unit",
            Box::new(|p| p.responsible_unit = Some("nope".into())),
        ),
        (
            "contact_leader",
            Box::new(|p| p.contact_leader = Some("不存在".into())),
        ),
        ("stage", Box::new(|p| p.stage = "半途".into())),
        ("tags", Box::new(|p| p.tags = vec!["秘密".into()])),
        ("name", Box::new(|p| p.name = " ".into())),
    ];
    for (field, change) in cases {
        let mut p = full();
        p.code = None;
        p.name = format!("另一个项目{field}");
        change(&mut p);
        match create(&t.db, &a, &p).await {
            Err(StoreError::Invalid(e)) => assert_eq!(e.field, field, "{}", e.msg),
            other => panic!("{field}: expected a refusal, got {other:?}"),
        }
    }
    let dup = create(&t.db, &a, &full()).await.unwrap_err();
    assert!(
        matches!(dup, StoreError::Conflict(ref e) if e.field == "code"),
        "{dup:?}"
    );
    assert_eq!(count(&t.db).await, before, "nothing was half-written");
    // A mismatch is kept when the caller says so, and flagged.
    let mut m = full();
    m.code = None;
    m.name = "标记的项目".into();
    m.months_wan[11] = Some("50".into());
    m.allow_plan_mismatch = true;
    let p = create(&t.db, &a, &m).await.unwrap();
    let listed = project::list(
        &t.db,
        &a,
        &ProjectFilter {
            year: Some(2026),
            q: Some("标记".into()),
            ..Default::default()
        },
        Page::new(None, None),
    )
    .await
    .unwrap();
    assert!(listed.items[0].item().plan_mismatch, "the list flags it");
    assert_eq!(
        listed.items[0].item().annual_plan_wan.as_deref(),
        Some("1200.00")
    );
    let d = project::detail(&t.db, &a, p.id).await.unwrap();
    assert!(d.plans[0].mismatch);
});

both_engines!(stages_move_forward_and_keep_history, |t| {
    city(&t.db).await;
    let a = Actor::cli();
    let p = create(&t.db, &a, &input("物流园", "西城区")).await.unwrap();
    let mut tx = t.db.begin().await.unwrap();
    let moved = project::change_stage(
        &mut tx,
        &a,
        p.id,
        "construction",
        Some("2026-03-15"),
        Some("主体开工"),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(moved.stage, "construction");
    assert!(moved.started);
    assert_eq!(
        moved.start_date.map(|d| d.to_string()).as_deref(),
        Some("2026-03-15")
    );
    let mut tx = t.db.begin().await.unwrap();
    let back = project::change_stage(&mut tx, &a, p.id, "preparation", None, None)
        .await
        .unwrap_err();
    drop(tx);
    assert!(
        matches!(back, StoreError::Invalid(ref e) if e.field == "stage"),
        "{back:?}"
    );
    // Through an edit too.
    let mut edit = input("物流园", "西城区");
    edit.stage = "reserve".into();
    let mut tx = t.db.begin().await.unwrap();
    assert!(project::update(&mut tx, &a, p.id, &edit).await.is_err());
    drop(tx);
    let mut tx = t.db.begin().await.unwrap();
    project::change_stage(&mut tx, &a, p.id, "terminated", None, Some("企业撤资"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let d = project::detail(&t.db, &a, p.id).await.unwrap();
    let path: Vec<(Option<String>, String)> = d
        .stages
        .iter()
        .map(|s| (s.from_stage.clone(), s.to_stage.clone()))
        .collect();
    assert_eq!(
        path,
        vec![
            (None, "preparation".into()),
            (Some("preparation".into()), "construction".into()),
            (Some("construction".into()), "terminated".into())
        ]
    );
    assert_eq!(d.stages[2].note.as_deref(), Some("企业撤资"));
    let listed = project::list(&t.db, &a, &ProjectFilter::default(), Page::new(None, None))
        .await
        .unwrap();
    assert_eq!(
        listed.total, 0,
        "terminated projects leave the default list"
    );
    let all = project::list(
        &t.db,
        &a,
        &ProjectFilter {
            include_inactive: Some(true),
            ..Default::default()
        },
        Page::new(None, None),
    )
    .await
    .unwrap();
    assert_eq!(all.total, 1);
});

both_engines!(data_scope_holds_for_lists_details_edits_and_imports, |t| {
    city(&t.db).await;
    let a = Actor::cli();
    let in_district = create(&t.db, &a, &input("东城区项目", "东城区"))
        .await
        .unwrap();
    let in_town = create(&t.db, &a, &input("东关街道项目", "东关街道"))
        .await
        .unwrap();
    let mut west = input("西城区项目", "西城区");
    west.responsible_unit = Some("fgw".into());
    let west = create(&t.db, &a, &west).await.unwrap();
    let mut owned = input("新能源项目", "西城区");
    owned.owner_name = Some("示例新能源有限公司".into());
    let owned = create(&t.db, &a, &owned).await.unwrap();

    let district = user_actor(&t.db, "dc", "370102", "division").await;
    let dept = user_actor(&t.db, "zj", "fgw", "department").await;
    let company = user_actor(&t.db, "qy", "xny", "project_unit").await;
    let sec = user_actor(&t.db, "sec", "fgw", "security_admin").await;
    let ids = |r: Vec<project::Project>| -> Vec<i64> {
        let mut v: Vec<i64> = r.into_iter().map(|p| p.id).collect();
        v.sort();
        v
    };
    let list = |actor: Actor| {
        let db = t.db.clone();
        async move {
            ids(project::list_all(&db, &actor, &ProjectFilter::default())
                .await
                .unwrap())
        }
    };
    assert_eq!(
        list(district.clone()).await,
        vec![in_district.id, in_town.id],
        "the district sees its subtree"
    );
    assert_eq!(
        list(dept.clone()).await,
        vec![west.id],
        "a department sees what it is responsible for"
    );
    assert_eq!(
        list(company.clone()).await,
        vec![owned.id],
        "a project unit sees its own projects"
    );
    assert!(matches!(
        project::list_all(&t.db, &sec, &ProjectFilter::default()).await,
        Err(StoreError::Denied(_))
    ));
    // The division filter cannot widen the scope.
    let f = ProjectFilter {
        division_code: Some("370103".into()),
        ..Default::default()
    };
    assert!(
        project::list_all(&t.db, &district, &f)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        project::get(&t.db, &district, west.id, Permission::ProjectRead).await,
        Err(StoreError::NotFound(_))
    ));
    // Edits outside the scope, or moving a project out of it, are refused.
    let mut tx = t.db.begin().await.unwrap();
    assert!(matches!(
        project::update(&mut tx, &district, west.id, &input("西城区项目", "西城区")).await,
        Err(StoreError::Denied(_))
    ));
    assert!(matches!(
        project::update(
            &mut tx,
            &district,
            in_town.id,
            &input("东关街道项目", "西城区")
        )
        .await,
        Err(StoreError::Denied(_))
    ));
    assert!(
        project::update(
            &mut tx,
            &district,
            in_town.id,
            &input("东关街道项目（改）", "东关街道")
        )
        .await
        .is_ok()
    );
    tx.commit().await.unwrap();
    // An import by the district cannot write into another district.
    let rows = [input("越界项目", "西城区"), input("本区新项目", "东城区")];
    let bulk = bulk_rows(&rows, "s", 2);
    let mut tx = t.db.begin().await.unwrap();
    let out = project::bulk_upsert(&mut tx, &district, &bulk, false, false)
        .await
        .unwrap();
    drop(tx);
    assert_eq!(
        (out.imported, out.errors.len(), out.errors[0].row),
        (0, 1, 2)
    );
    assert!(out.errors[0].message.contains("数据范围"));
});

both_engines!(bulk_import_is_all_or_nothing_and_never_duplicates, |t| {
    city(&t.db).await;
    let a = Actor::cli();
    let mut with_code = full();
    with_code.name = "有代码项目".into();
    let no_code = input("无代码项目", "西城区");
    let mut bad = input("坏项目", "西城区");
    bad.total_investment_wan = Some("-3".into());
    let mut dup = input("重复代码", "西城区");
    dup.code = with_code.code.clone();
    let rows = [with_code.clone(), no_code.clone(), bad.clone(), dup];
    let bulk = bulk_rows(&rows, "台账", 4);
    let mut tx = t.db.begin().await.unwrap();
    let out = project::bulk_upsert(&mut tx, &a, &bulk, false, false)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let errs: Vec<(usize, &str)> = out
        .errors
        .iter()
        .map(|e| (e.row, e.field.as_str()))
        .collect();
    assert_eq!(errs, vec![(6, "total_investment_wan"), (7, "code")]);
    assert_eq!((out.imported, out.updated), (0, 0));
    assert_eq!(count(&t.db).await, 0, "all or nothing");
    // Valid rows only.
    let mut tx = t.db.begin().await.unwrap();
    let out = project::bulk_upsert(&mut tx, &a, &bulk, false, true)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!((out.imported, out.updated, out.skipped), (2, 0, 2));
    assert_eq!(count(&t.db).await, 2);
    // The same rows again change nothing; a changed row updates by code or by name.
    let rows2 = [with_code.clone(), no_code.clone()];
    let bulk2 = bulk_rows(&rows2, "台账", 4);
    let audit_before: i64 =
        on_db!(&t.db, c => sqlx::query_scalar("SELECT COUNT(*) FROM audit_log").fetch_one(c).await)
            .unwrap();
    let mut tx = t.db.begin().await.unwrap();
    let out = project::bulk_upsert(&mut tx, &a, &bulk2, false, false)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!((out.imported, out.updated, out.skipped), (0, 0, 2));
    let audit_after: i64 =
        on_db!(&t.db, c => sqlx::query_scalar("SELECT COUNT(*) FROM audit_log").fetch_one(c).await)
            .unwrap();
    assert_eq!(
        audit_before, audit_after,
        "unchanged projects are not rewritten"
    );
    let mut changed = no_code.clone();
    changed.total_investment_wan = Some("800".into());
    let mut renamed_code = with_code.clone();
    renamed_code.name = "有代码项目（更名）".into();
    let rows3 = [renamed_code, changed];
    let bulk3 = bulk_rows(&rows3, "台账", 4);
    let mut tx = t.db.begin().await.unwrap();
    let out = project::bulk_upsert(&mut tx, &a, &bulk3, false, false)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!((out.imported, out.updated), (0, 2));
    assert_eq!(count(&t.db).await, 2, "never duplicates");
    let names: Vec<String> = project::list_all(
        &t.db,
        &a,
        &ProjectFilter {
            sort: Some("name".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .into_iter()
    .map(|p| format!("{}:{}", p.name, p.total_investment))
    .collect();
    assert_eq!(
        names,
        vec!["无代码项目:8000000", "有代码项目（更名）:1250000000"]
    );
    // A dry run writes nothing.
    let mut tx = t.db.begin().await.unwrap();
    let rows4 = [input("预演项目", "东城区")];
    let bulk4 = bulk_rows(&rows4, "s", 2);
    let out = project::bulk_upsert(&mut tx, &a, &bulk4, true, false)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(out.imported, 1);
    assert_eq!(count(&t.db).await, 2);
    // Imported projects are found by free text (on SQLite through the trigram index the
    // import fills after its rows), a dry run leaves nothing behind, and a project
    // created after an import is indexed too (the import put the trigger back).
    let found = |q: &'static str| found(&t.db, &a, q);
    assert_eq!(found("无代码项目").await, vec!["无代码项目"]);
    assert_eq!(found("代码项目（更名").await, vec!["有代码项目（更名）"]);
    assert!(
        found("预演项目").await.is_empty(),
        "a dry run indexes nothing"
    );
    create(&t.db, &a, &input("导入后新建项目", "东城区"))
        .await
        .unwrap();
    assert_eq!(found("导入后新建").await, vec!["导入后新建项目"]);
});

// A bulk write fills the trigram index in chunks when asked while it writes (here once
// 1,000 new projects wait, after batches of 700 that straddle the chunks) and the rest at
// the end: every project is indexed exactly once, whichever chunk it fell in.
both_engines!(a_bulk_write_indexes_every_chunk_once, |t| {
    city(&t.db).await;
    let a = Actor::cli();
    let inputs: Vec<ProjectInput> = (0..2_300)
        .map(|i| input(&format!("分批索引项目{i:04}号"), "东城区"))
        .collect();
    let rows = bulk_rows(&inputs, "s", 2);
    let mut tx = t.db.begin().await.unwrap();
    let mut check = project::BulkCheck::load(&mut tx, &a, false).await.unwrap();
    let new: Vec<project::Checked> = rows.iter().filter_map(|r| check.row(r)).collect();
    assert_eq!(new.len(), 2_300);
    let mut write = project::BulkWrite::begin(&mut tx, &a).await.unwrap();
    // Indexed so far, inside the transaction: 1,400 once the second batch passes the
    // first chunk, and still 1,400 after the last; `finish` indexes the last 900.
    let sqlite = matches!(t.db, Db::Sqlite(_));
    let mut so_far = Vec::new();
    for batch in new.chunks(700) {
        write.create(&mut tx, batch, true).await.unwrap();
        write.index_now(&mut tx, 1_000).await.unwrap();
        if sqlite {
            let n: i64 = gongjian_store::on_tx!(&mut tx, c => sqlx::query_scalar("SELECT COUNT(*) FROM project_fts WHERE project_fts MATCH '\"分批索引\"'").fetch_one(c).await).unwrap();
            so_far.push(n);
        }
    }
    if sqlite {
        assert_eq!(so_far, vec![0, 1_400, 1_400, 1_400]);
    }
    let out = write.finish(&mut tx, &a, check, false).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(out.imported, 2_300);
    if sqlite {
        // FTS5 checks its index against the project table: a project indexed twice or
        // not at all fails it.
        exec_db!(&t.db, c => sqlx::query("INSERT INTO project_fts (project_fts) VALUES ('integrity-check')").execute(c).await).unwrap();
        let indexed: i64 = on_db!(&t.db, c => sqlx::query_scalar("SELECT COUNT(*) FROM project_fts WHERE project_fts MATCH '\"分批索引\"'").fetch_one(c).await).unwrap();
        assert_eq!(indexed, 2_300);
    }
    // The first, those around each chunk's end, and the last.
    for i in [
        0, 699, 700, 999, 1_000, 1_001, 1_399, 1_400, 1_999, 2_000, 2_100, 2_299,
    ] {
        let name = format!("分批索引项目{i:04}号");
        assert_eq!(found(&t.db, &a, &name).await, vec![name.clone()], "{name}");
    }
});

both_engines!(plans_milestones_filters_and_copy_forward, |t| {
    city(&t.db).await;
    let a = Actor::cli();
    let p = create(&t.db, &a, &full()).await.unwrap();
    let q = create(&t.db, &a, &input("储备项目", "西城区"))
        .await
        .unwrap();
    let mut tx = t.db.begin().await.unwrap();
    let months: Vec<Option<String>> = (0..12)
        .map(|i| Some(if i == 0 { "50" } else { "10" }.into()))
        .collect();
    let refused = project::set_plan(&mut tx, &a, q.id, 2026, "100", &months, false)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, StoreError::Invalid(ref e) if e.field == "months"),
        "{refused:?}"
    );
    let flagged = project::set_plan(&mut tx, &a, q.id, 2026, "100", &months, true)
        .await
        .unwrap();
    assert!(flagged.mismatch);
    tx.commit().await.unwrap();
    // Milestones in order; out of order refused.
    let node = |n: &str, d: &str| MilestoneInput {
        name: n.into(),
        duration_days: Some(30),
        planned_date: Some(d.into()),
        ..Default::default()
    };
    let mut tx = t.db.begin().await.unwrap();
    let e = project::set_milestones(
        &mut tx,
        &a,
        p.id,
        &[node("开工", "2026-06-30"), node("取得许可", "2026-03-01")],
    )
    .await
    .unwrap_err();
    assert!(matches!(e, StoreError::Invalid(ref e) if e.field == "planned_date"));
    let saved = project::set_milestones(
        &mut tx,
        &a,
        p.id,
        &[
            node("取得许可", "2026-03-01"),
            node("开工", "2026.06"),
            node("", ""),
        ],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        saved
            .iter()
            .map(|m| (m.seq, m.name.as_str(), m.planned_date.unwrap().to_string()))
            .collect::<Vec<_>>(),
        vec![
            (1, "取得许可", "2026-03-01".to_string()),
            (2, "开工", "2026-06-01".to_string())
        ]
    );
    // Filters.
    let f = |f: ProjectFilter| {
        let (db, a) = (t.db.clone(), a.clone());
        async move { listed(&db, &a, f, Page::new(None, None)).await.1 }
    };
    assert_eq!(
        f(ProjectFilter {
            tag: Some("special_bond".into()),
            ..Default::default()
        })
        .await,
        vec!["新能源电池基地"]
    );
    assert_eq!(
        f(ProjectFilter {
            division_code: Some("370102".into()),
            ..Default::default()
        })
        .await,
        vec!["新能源电池基地"]
    );
    assert_eq!(
        f(ProjectFilter {
            q: Some("储备".into()),
            ..Default::default()
        })
        .await,
        vec!["储备项目"]
    );
    assert_eq!(
        f(ProjectFilter {
            sort: Some("total_investment".into()),
            dir: Some("desc".into()),
            ..Default::default()
        })
        .await,
        vec!["新能源电池基地", "储备项目"]
    );
    assert_eq!(
        f(ProjectFilter {
            sort: Some("1; DROP TABLE project".into()),
            ..Default::default()
        })
        .await
        .len(),
        2,
        "unknown sort keys fall back"
    );
    let lid: i64 =
        on_db!(&t.db, c => sqlx::query_scalar("SELECT id FROM leader").fetch_one(c).await).unwrap();
    assert_eq!(
        f(ProjectFilter {
            leader_id: Some(lid),
            ..Default::default()
        })
        .await,
        vec!["新能源电池基地"]
    );
    // Copy forward: both live projects get 2027, once.
    let mut tx = t.db.begin().await.unwrap();
    assert_eq!(
        project::copy_plans_forward(&mut tx, &a, 2026)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        project::copy_plans_forward(&mut tx, &a, 2026)
            .await
            .unwrap(),
        0
    );
    tx.commit().await.unwrap();
    let d = project::detail(&t.db, &a, q.id).await.unwrap();
    assert_eq!(
        d.plans
            .iter()
            .map(|p| (p.year, p.annual, p.m1))
            .collect::<Vec<_>>(),
        vec![
            (2026, 1_000_000, Some(500_000)),
            (2027, 1_000_000, Some(500_000))
        ]
    );
});

both_engines!(free_text_sorts_and_pages_agree_with_the_whole_list, |t| {
    city(&t.db).await;
    let a = Actor::cli();
    // 36 projects over two districts, with plans, names and owners that the free text
    // must find in any column, literally and in any ASCII letter case.
    let mut made: Vec<(String, Option<String>, String)> = Vec::new();
    for i in 0..36 {
        let name = match i % 4 {
            0 => format!("第{i:02}号新能源Ab产业园"),
            1 => format!("第{i:02}号道路改造"),
            2 => format!("第{i:02}号50%股权\"引进\"项目"),
            _ => format!("第{i:02}号学校_新建"),
        };
        let division = if i % 3 == 0 { "东城区" } else { "西城区" };
        let mut p = input(&name, division);
        p.code = Some(format!(
            "2026-{}-26-01-{:06}",
            if i % 3 == 0 { "370102" } else { "370103" },
            900 + i
        ));
        p.owner_name = (i % 5 == 0).then(|| "示例新能源有限公司".to_string());
        p.total_investment_wan = Some(format!("{}", 1000 + (i * 37) % 29 * 10));
        p.plan_year = Some(2026);
        p.annual_plan_wan = Some(format!("{}", 100 + (i * 13) % 17));
        create(&t.db, &a, &p).await.unwrap();
        made.push((name, p.owner_name.clone(), p.code.clone().unwrap()));
    }
    let names = |f: ProjectFilter, page: Page| listed(&t.db, &a, f, page);
    let text = |q: &str| ProjectFilter {
        q: Some(q.into()),
        ..Default::default()
    };
    // What LIKE finds: the text in the name, code or owner, ASCII letters in any case.
    let expected = |q: &str| -> Vec<String> {
        let q = q.to_ascii_lowercase();
        made.iter()
            .filter(|(n, o, c)| {
                [Some(n), o.as_ref(), Some(c)]
                    .into_iter()
                    .flatten()
                    .any(|s| s.to_ascii_lowercase().contains(&q))
            })
            .map(|(n, ..)| n.clone())
            .collect()
    };
    for q in [
        "新能源",      // names and owners (three characters: the trigram index on SQLite)
        "新能源aB",    // letter case
        "ab",          // two characters: LIKE
        "50%股权\"引", // `%` and `"` are literal
        "%股",
        "学校_新",
        "_新建",
        "370103-26-01-000905", // inside a code
        "能源有限",            // owners only
        "没有这样的项目",
        "号",
    ] {
        let want = expected(q);
        let (total, got) = names(text(q), Page::new(None, Some(100))).await;
        assert_eq!(got, want, "free text {q:?}");
        assert_eq!(total, want.len() as i64, "count of {q:?}");
    }
    assert_eq!(
        expected("新能源").len(),
        9 + 8 - 2,
        "the fixture mixes names and owners"
    );
    // Every sort, both directions, paged, equals the same slice of the whole list.
    for sort in [
        "sort",
        "code",
        "name",
        "division",
        "total_investment",
        "annual_plan",
    ] {
        for dir in ["asc", "desc"] {
            let f = ProjectFilter {
                sort: Some(sort.into()),
                dir: Some(dir.into()),
                q: Some("号".into()),
                ..Default::default()
            };
            let (_, all) = names(f.clone(), Page::new(None, Some(100))).await;
            assert_eq!(all.len(), 36);
            let (total, page) = names(f.clone(), Page::new(Some(3), Some(7))).await;
            assert_eq!(total, 36);
            assert_eq!(
                page,
                all[14..21].to_vec(),
                "page 3 of 7 sorted by {sort} {dir}"
            );
            let (_, last) = names(f, Page::new(Some(6), Some(7))).await;
            assert_eq!(last, all[35..].to_vec(), "last page sorted by {sort} {dir}");
        }
    }
    // A renamed project is found by its new name only.
    let id: i64 = on_db!(&t.db, c => sqlx::query_scalar("SELECT id FROM project WHERE name = '第01号道路改造'").fetch_one(c).await).unwrap();
    let mut renamed = input("第01号跨江大桥", "西城区");
    renamed.code = Some("2026-370103-26-01-000901".into());
    let mut tx = t.db.begin().await.unwrap();
    project::update(&mut tx, &a, id, &renamed).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        names(text("跨江大桥"), Page::new(None, None)).await,
        (1, vec!["第01号跨江大桥".to_string()])
    );
    assert_eq!(names(text("01号道路"), Page::new(None, None)).await.0, 0);
    assert_eq!(names(text("05号道路"), Page::new(None, None)).await.0, 1);
    // A deleted project is no longer found.
    exec_db!(&t.db, c => sqlx::query("DELETE FROM project WHERE id = $1").bind(id).execute(c).await).unwrap();
    assert_eq!(names(text("跨江大桥"), Page::new(None, None)).await.0, 0);
});

// Migration 13 makes SQLite's trigram index anew with lighter options. Run again on a
// database that already holds projects, as it runs on one from before it: the stored
// projects are found again (the index is rebuilt from the project table), the index keeps
// no column sizes and gathers 8 MiB of postings in memory, and its triggers index the
// projects that come after (the triggers of migration 0011 stay and write to the new index).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lighter_trigram_index_is_rebuilt_from_stored_projects() {
    let t = gongjian_store::testing::TestDb::new("sqlite")
        .await
        .unwrap();
    city(&t.db).await;
    let a = Actor::cli();
    create(&t.db, &a, &full()).await.unwrap();
    create(&t.db, &a, &input("老城区改造项目", "西城区"))
        .await
        .unwrap();
    let migration = include_str!("../../../migrations/sqlite/0013_fts_lighter.sql");
    exec_db!(&t.db, c => sqlx::raw_sql(migration).execute(c).await).unwrap();
    for (q, name) in [
        ("能源电池", "新能源电池基地"),
        ("370102-26", "新能源电池基地"),
        ("示例新能源", "新能源电池基地"),
        ("城区改造", "老城区改造项目"),
    ] {
        assert_eq!(found(&t.db, &a, q).await, vec![name], "{q}");
    }
    let hashsize: i64 = on_db!(&t.db, c => sqlx::query_scalar("SELECT v FROM project_fts_config WHERE k = 'hashsize'").fetch_one(c).await).unwrap();
    assert_eq!(hashsize, 8 * 1024 * 1024);
    let docsize: i64 = on_db!(&t.db, c => sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'project_fts_docsize'").fetch_one(c).await).unwrap();
    assert_eq!(docsize, 0, "columnsize=0 keeps no table of column sizes");
    create(&t.db, &a, &input("迁移后新建项目", "东城区"))
        .await
        .unwrap();
    assert_eq!(found(&t.db, &a, "迁移后新建").await, vec!["迁移后新建项目"]);
    exec_db!(&t.db, c => sqlx::query("INSERT INTO project_fts (project_fts) VALUES ('integrity-check')").execute(c).await).unwrap();
}
