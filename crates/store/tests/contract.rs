//! Store contract: the same behaviour on SQLite and PostgreSQL, each test on a fresh database.

use gongjian_domain::access::{Access, DataScope, HeldRole, Permission};
use gongjian_store::division::{self, DivisionFilter, DivisionInput};
use gongjian_store::unit::{self, UnitFilter, UnitInput};
use gongjian_store::user::{self, UserInput};
use gongjian_store::{
    Actor, Db, Page, StoreError, audit, auth, both_engines, exec_db, leader, migrate, on_db,
};
use std::collections::BTreeSet;

fn div(code: &str, name: &str, kind: &str, parent: Option<&str>) -> DivisionInput {
    DivisionInput {
        code: code.into(),
        name: name.into(),
        kind: kind.into(),
        parent_code: parent.map(Into::into),
    }
}

/// A small city: 示例市 (370100) with two districts, one zone, towns, and a department.
async fn city(db: &Db) {
    let a = Actor::cli();
    let mut tx = db.begin().await.unwrap();
    for d in [
        div("370100", "示例市", "city", None),
        div("370102", "东城区", "district", Some("370100")),
        div("370103", "西城区", "district", Some("370100")),
        div("370171", "高新区", "zone", Some("370100")),
        div("370102001", "东关街道", "town", Some("370102")),
        div("370103001", "西关镇", "town", Some("370103")),
    ] {
        division::create(&mut tx, &a, &d).await.unwrap();
    }
    unit::create(
        &mut tx,
        &a,
        &UnitInput {
            code: "fgw".into(),
            name: "示例市发展和改革委员会".into(),
            kind: "department".into(),
            division_code: "370100".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    unit::create(
        &mut tx,
        &a,
        &UnitInput {
            code: "dc-zjj".into(),
            name: "东城区住建局".into(),
            kind: "department".into(),
            division_code: "370102".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn add_user(db: &Db, username: &str, unit_code: &str, roles: &[&str]) -> i64 {
    let mut tx = db.begin().await.unwrap();
    let input = UserInput {
        username: username.into(),
        name: format!("{username}姓名"),
        unit_code: unit_code.into(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        password: Some("Passw0rd!".into()),
        must_change_password: Some(false),
        ..Default::default()
    };
    let u = user::create(&mut tx, &Actor::cli(), &input).await.unwrap();
    tx.commit().await.unwrap();
    u.id
}

async fn actor_of(db: &Db, id: i64) -> Actor {
    let u = user::get(db, &Actor::cli(), id, Permission::UserRead)
        .await
        .unwrap();
    auth::actor(db, u.id, &u.username, u.unit_id, "127.0.0.1")
        .await
        .unwrap()
}

both_engines!(migrations_are_idempotent, |t| {
    assert_eq!(
        migrate::current_version(&t.db).await.unwrap(),
        migrate::latest_version()
    );
    assert!(
        migrate::run(&t.db).await.unwrap().is_empty(),
        "second run applies nothing"
    );
    let roles: i64 = on_db!(&t.db, c => sqlx::query_scalar("SELECT COUNT(*) FROM role WHERE builtin = TRUE").fetch_one(c).await).unwrap();
    assert_eq!(roles, 10);
});

both_engines!(divisions_tree_and_government_units, |t| {
    city(&t.db).await;
    let all = division::list(&t.db, &Actor::cli(), &DivisionFilter::default())
        .await
        .unwrap();
    assert_eq!(all.len(), 6);
    let east = all.iter().find(|d| d.code == "370102").unwrap();
    assert_eq!(east.parent_code.as_deref(), Some("370100"));
    let gov = unit::get_by_code(&t.db, &Actor::cli(), "370102", Permission::OrgRead)
        .await
        .unwrap();
    assert_eq!(gov.name, "东城区人民政府");
    assert_eq!(gov.parent_code.as_deref(), Some("370100"));
    let town = unit::get_by_code(&t.db, &Actor::cli(), "370102001", Permission::OrgRead)
        .await
        .unwrap();
    assert_eq!(town.name, "东关街道办事处");
    assert_eq!(town.parent_code.as_deref(), Some("370102"));
});

both_engines!(bad_division_input_is_refused_and_nothing_written, |t| {
    city(&t.db).await;
    let a = Actor::cli();
    let before = audit::verify(&t.db).await.unwrap().checked;
    let mut tx = t.db.begin().await.unwrap();
    let e = division::create(
        &mut tx,
        &a,
        &div("370102", "重复区", "district", Some("370100")),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&e, StoreError::Conflict(d) if d.field == "code" && d.msg.zh.contains("已存在")),
        "{e:?}"
    );
    drop(tx);
    let mut tx = t.db.begin().await.unwrap();
    for (bad, field) in [
        (div("37010X", "坏码区", "district", Some("370100")), "code"),
        (div("3701", "短码区", "district", Some("370100")), "code"),
        (
            div("370199", "无上级区", "district", Some("379999")),
            "parent_code",
        ),
        (
            div("370198", "挂错区", "district", Some("370102")),
            "parent_code",
        ),
        (div("370197", "", "district", Some("370100")), "name"),
        (div("370196", "怪类区", "village", Some("370100")), "kind"),
    ] {
        match division::create(&mut tx, &a, &bad).await {
            Err(StoreError::Invalid(d)) => assert_eq!(d.field, field, "{bad:?}"),
            other => panic!("{bad:?} gave {other:?}"),
        }
    }
    drop(tx);
    assert_eq!(
        division::list(&t.db, &a, &DivisionFilter::default())
            .await
            .unwrap()
            .len(),
        6
    );
    assert_eq!(
        audit::verify(&t.db).await.unwrap().checked,
        before,
        "no audit written for refused input"
    );
});

both_engines!(moving_a_division_under_its_descendant_is_refused, |t| {
    city(&t.db).await;
    let a = Actor::cli();
    let mut tx = t.db.begin().await.unwrap();
    // A district moved under its own town: the placement rule and the cycle rule both refuse.
    let e = division::update(
        &mut tx,
        &a,
        "370102",
        &div("370102", "东城区", "district", Some("370102001")),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&e, StoreError::Invalid(d) if d.field == "parent_code"),
        "{e:?}"
    );
    let e = division::update(
        &mut tx,
        &a,
        "370102",
        &div("370102", "东城区", "district", Some("370102")),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&e, StoreError::Invalid(d) if d.field == "parent_code"),
        "{e:?}"
    );
    // A legal move: the town goes to the other district, and its government unit follows.
    let moved = division::update(
        &mut tx,
        &a,
        "370102001",
        &div("370102001", "东关街道", "town", Some("370103")),
    )
    .await
    .unwrap();
    assert_eq!(moved.parent_code.as_deref(), Some("370103"));
    tx.commit().await.unwrap();
    let gov = unit::get_by_code(&t.db, &a, "370102001", Permission::OrgRead)
        .await
        .unwrap();
    assert_eq!(gov.parent_code.as_deref(), Some("370103"));
});

both_engines!(units_with_users_cannot_be_deactivated, |t| {
    city(&t.db).await;
    let uid = add_user(&t.db, "wang", "fgw", &["office"]).await;
    let a = Actor::cli();
    let fgw = unit::get_by_code(&t.db, &a, "fgw", Permission::OrgRead)
        .await
        .unwrap();
    let mut tx = t.db.begin().await.unwrap();
    let e = unit::set_active(&mut tx, &a, fgw.id, false)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, StoreError::Invalid(d) if d.msg.zh.contains("1 个在用的用户")),
        "{e:?}"
    );
    user::admin_action(&mut tx, &a, uid, user::AdminAction::Deactivate)
        .await
        .unwrap();
    let off = unit::set_active(&mut tx, &a, fgw.id, false).await.unwrap();
    assert!(!off.active);
    // A division with active children cannot be deactivated either.
    let e = division::set_active(&mut tx, &a, "370102", false)
        .await
        .unwrap_err();
    assert!(matches!(&e, StoreError::Invalid(_)), "{e:?}");
    tx.commit().await.unwrap();
});

both_engines!(names_with_markup_are_stored_as_text, |t| {
    city(&t.db).await;
    let mut tx = t.db.begin().await.unwrap();
    let name = "<script>alert(1)</script>局";
    let u = unit::create(
        &mut tx,
        &Actor::cli(),
        &UnitInput {
            code: "x1".into(),
            name: name.into(),
            kind: "other".into(),
            division_code: "370100".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(u.name, name);
    let long = "长".repeat(101);
    let e = unit::create(
        &mut tx,
        &Actor::cli(),
        &UnitInput {
            code: "x2".into(),
            name: long,
            kind: "other".into(),
            division_code: "370100".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&e, StoreError::Invalid(d) if d.field == "name"),
        "{e:?}"
    );
    let e = unit::create(
        &mut tx,
        &Actor::cli(),
        &UnitInput {
            code: "x3".into(),
            name: "某公司".into(),
            kind: "company".into(),
            division_code: "370100".into(),
            credit_code: Some("91350100M000100Y44".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&e, StoreError::Invalid(d) if d.field == "credit_code"),
        "{e:?}"
    );
    tx.commit().await.unwrap();
});

both_engines!(scopes_filter_lists_and_details, |t| {
    city(&t.db).await;
    let d = add_user(&t.db, "east", "370102", &["division"]).await;
    let p = add_user(&t.db, "dept", "fgw", &["department"]).await;
    let east = actor_of(&t.db, d).await;
    let divs: Vec<String> = division::list(&t.db, &east, &DivisionFilter::default())
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.code)
        .collect();
    assert_eq!(divs, ["370102", "370102001"]);
    let units = unit::list(&t.db, &east, &UnitFilter::default(), Page::new(None, None))
        .await
        .unwrap();
    let codes: BTreeSet<String> = units.items.into_iter().map(|u| u.code).collect();
    assert_eq!(
        codes,
        BTreeSet::from(["370102".into(), "370102001".into(), "dc-zjj".into()])
    );
    assert!(matches!(
        unit::get_by_code(&t.db, &east, "fgw", Permission::OrgRead).await,
        Err(StoreError::NotFound(_))
    ));
    let users = user::list(&t.db, &east, &Default::default(), Page::new(None, None))
        .await
        .unwrap();
    assert_eq!(users.total, 1);
    let dept = actor_of(&t.db, p).await;
    assert!(matches!(
        user::get(&t.db, &dept, d, Permission::UserRead).await,
        Err(StoreError::NotFound(_))
    ));
    // A division user cannot write at all.
    let mut tx = t.db.begin().await.unwrap();
    assert!(matches!(
        division::create(
            &mut tx,
            &east,
            &div("370102002", "新街道", "town", Some("370102"))
        )
        .await,
        Err(StoreError::Denied(_))
    ));
});

both_engines!(audit_chain_detects_edits_and_deletions, |t| {
    city(&t.db).await;
    let v = audit::verify(&t.db).await.unwrap();
    assert!(v.broken.is_none());
    assert_eq!(v.checked, 8, "6 divisions and 2 units were audited");
    let f = audit::AuditFilter {
        entity: Some("division".into()),
        ..Default::default()
    };
    let listed = audit::list(&t.db, &Actor::cli(), &f, Page::new(None, None))
        .await
        .unwrap();
    assert_eq!(listed.total, 6);
    assert!(
        listed.items[0]
            .after_json
            .as_deref()
            .unwrap()
            .contains("西关镇")
    );
    // Tamper with record 3's content.
    exec_db!(&t.db, c => sqlx::query("UPDATE audit_log SET after_json = '{}' WHERE id = 3").execute(c).await).unwrap();
    let v = audit::verify(&t.db).await.unwrap();
    assert_eq!(v.broken.as_ref().unwrap().id, 3, "{v:?}");
    assert!(v.broken.unwrap().reason.contains("altered"));
});

both_engines!(audit_chain_detects_deleted_records, |t| {
    city(&t.db).await;
    exec_db!(&t.db, c => sqlx::query("DELETE FROM audit_log WHERE id = 5").execute(c).await)
        .unwrap();
    let v = audit::verify(&t.db).await.unwrap();
    assert_eq!(v.broken.as_ref().map(|b| b.id), Some(5), "{v:?}");
    assert!(v.broken.unwrap().reason.contains("missing"));
});

both_engines!(login_locks_after_five_failures, |t| {
    city(&t.db).await;
    add_user(&t.db, "li", "fgw", &["office"]).await;
    let pol = auth::LoginPolicy::default();
    for _ in 0..4 {
        assert_eq!(
            auth::login(&t.db, "li", "wrong", "1.2.3.4", "t", pol)
                .await
                .unwrap()
                .unwrap_err(),
            auth::LoginError::Invalid
        );
    }
    assert!(matches!(
        auth::login(&t.db, "li", "wrong", "1.2.3.4", "t", pol)
            .await
            .unwrap(),
        Err(auth::LoginError::Locked(_))
    ));
    // Locked: even the right password is refused.
    assert!(matches!(
        auth::login(&t.db, "li", "Passw0rd!", "1.2.3.4", "t", pol)
            .await
            .unwrap(),
        Err(auth::LoginError::Locked(_))
    ));
    assert_eq!(
        auth::login(&t.db, "nobody", "x", "1.2.3.4", "t", pol)
            .await
            .unwrap()
            .unwrap_err(),
        auth::LoginError::Invalid
    );
    // After an unlock, the right password works and opens a session.
    let uid: i64 = on_db!(&t.db, c => sqlx::query_scalar("SELECT id FROM app_user WHERE username = 'li'").fetch_one(c).await).unwrap();
    let mut tx = t.db.begin().await.unwrap();
    user::admin_action(&mut tx, &Actor::cli(), uid, user::AdminAction::Unlock)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let s = auth::login(&t.db, "li", "Passw0rd!", "1.2.3.4", "t", pol)
        .await
        .unwrap()
        .unwrap();
    let found = auth::session(&t.db, &s.token, 30).await.unwrap().unwrap();
    assert_eq!(found.username, "li");
    assert_eq!(found.csrf_token, s.csrf_token);
    assert!(auth::session(&t.db, "forged", 30).await.unwrap().is_none());
    // Idle too long: the session is gone.
    exec_db!(&t.db, c => sqlx::query("UPDATE session SET last_seen_at = $1").bind(chrono::Utc::now() - chrono::Duration::minutes(31)).execute(c).await).unwrap();
    assert!(auth::session(&t.db, &s.token, 30).await.unwrap().is_none());
    assert!(audit::verify(&t.db).await.unwrap().broken.is_none());
});

both_engines!(roles_union_and_separation, |t| {
    city(&t.db).await;
    let mut tx = t.db.begin().await.unwrap();
    let bad = UserInput {
        username: "x".into(),
        name: "x".into(),
        unit_code: "fgw".into(),
        roles: vec!["admin".into(), "audit_admin".into()],
        password: Some("Passw0rd!".into()),
        ..Default::default()
    };
    assert!(
        matches!(user::create(&mut tx, &Actor::cli(), &bad).await, Err(StoreError::Invalid(d)) if d.field == "roles")
    );
    let weak = UserInput {
        password: Some("short".into()),
        roles: vec![],
        ..bad.clone()
    };
    assert!(
        matches!(user::create(&mut tx, &Actor::cli(), &weak).await, Err(StoreError::Invalid(d)) if d.field == "password")
    );
    drop(tx);
    let uid = add_user(&t.db, "both", "dc-zjj", &["department", "division"]).await;
    let a = actor_of(&t.db, uid).await;
    // department = own unit; division = own unit and below: the union is the wider.
    assert!(a.access.scope(Permission::OrgRead).units.len() == 1);
    let roles = gongjian_store::role::held_by(&t.db, uid).await.unwrap();
    assert_eq!(roles.len(), 2);
    let custom = HeldRole {
        code: "c".into(),
        permissions: [Permission::OrgRead].into(),
        scope: DataScope::Custom,
        custom_units: [1].into(),
    };
    assert!(Access::resolve(1, 1, &[custom], |_| BTreeSet::new()).has(Permission::OrgRead));
});

both_engines!(leaders_are_scoped_by_unit, |t| {
    city(&t.db).await;
    let mut tx = t.db.begin().await.unwrap();
    let l = leader::create(
        &mut tx,
        &Actor::cli(),
        &leader::LeaderInput {
            name: "张三".into(),
            title: "副市长".into(),
            unit_code: "370100".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(l.unit_name, "示例市人民政府");
    let d = add_user(&t.db, "east", "370102", &["division"]).await;
    let east = actor_of(&t.db, d).await;
    assert!(leader::list(&t.db, &east, false).await.unwrap().is_empty());
    assert_eq!(
        leader::list(&t.db, &Actor::cli(), false)
            .await
            .unwrap()
            .len(),
        1
    );
});

both_engines!(list_searches_ignore_letter_case_on_both_engines, |t| {
    // PostgreSQL's LIKE tells "FGW" from "fgw"; SQLite's does not. Every list search
    // answers the same on both.
    city(&t.db).await;
    add_user(&t.db, "ZhangSan", "fgw", &["department"]).await;
    let a = Actor::cli();
    let units = |q: &'static str| {
        let db = t.db.clone();
        let a = a.clone();
        async move {
            let f = UnitFilter {
                q: Some(q.into()),
                ..Default::default()
            };
            let r = unit::list(&db, &a, &f, Page::new(None, None))
                .await
                .unwrap();
            r.items.into_iter().map(|u| u.code).collect::<Vec<_>>()
        }
    };
    assert_eq!(units("FGW").await, ["fgw"]);
    assert_eq!(units("Dc-ZJJ").await, ["dc-zjj"]);
    assert_eq!(units("发展和改革").await, ["fgw"]);
    assert!(units("fgx").await.is_empty());
    let users = |q: &'static str| {
        let db = t.db.clone();
        let a = a.clone();
        async move {
            let f = user::UserFilter {
                q: Some(q.into()),
                ..Default::default()
            };
            let r = user::list(&db, &a, &f, Page::new(None, None))
                .await
                .unwrap();
            r.items.into_iter().map(|u| u.username).collect::<Vec<_>>()
        }
    };
    assert_eq!(users("zhangsan").await, ["ZhangSan"]);
    assert_eq!(users("ANGSA").await, ["ZhangSan"]);
    // `%` and `_` are literal, in any case.
    assert!(users("z_a").await.is_empty());
    let divs = division::list(
        &t.db,
        &a,
        &DivisionFilter {
            q: Some("东城".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        divs.into_iter().map(|d| d.code).collect::<Vec<_>>(),
        ["370102"]
    );
});

// The bundled SQLite is built with the options of `.cargo/config.toml`: no shared page
// cache behind a global mutex, no memory statistics (a build that loses the file, or a
// LIBSQLITE3_FLAGS of the environment that replaces it, fails here).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_is_built_without_global_cache_and_memory_locks() {
    let t = gongjian_store::testing::TestDb::new("sqlite")
        .await
        .unwrap();
    let options: Vec<String> =
        on_db!(&t.db, c => sqlx::query_scalar("PRAGMA compile_options").fetch_all(c).await)
            .unwrap();
    assert!(options.iter().any(|o| o == "ENABLE_FTS5"), "{options:?}");
    assert!(
        options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
        "{options:?}"
    );
    assert!(
        !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
        "{options:?}"
    );
}
