//! Shared set-up of the store's integration tests.
#![allow(dead_code)]

use gongjian_store::division::{self, DivisionInput};
use gongjian_store::leader::{self, LeaderInput};
use gongjian_store::unit::{self, UnitInput};
use gongjian_store::user::{self, UserInput};
use gongjian_store::{Actor, Db, auth};

/// 示例市 (370100): two districts with a town, a department of the city and one of a
/// district, a company, and a contact leader.
pub async fn city(db: &Db) {
    let a = Actor::cli();
    let mut tx = db.begin().await.unwrap();
    for (code, name, kind, parent) in [
        ("370100", "示例市", "city", None),
        ("370102", "东城区", "district", Some("370100")),
        ("370103", "西城区", "district", Some("370100")),
        ("370102001", "东关街道", "town", Some("370102")),
    ] {
        division::create(
            &mut tx,
            &a,
            &DivisionInput {
                code: code.into(),
                name: name.into(),
                kind: kind.into(),
                parent_code: parent.map(Into::into),
            },
        )
        .await
        .unwrap();
    }
    for (code, name, kind, d) in [
        ("fgw", "示例市发展和改革委员会", "department", "370100"),
        ("dc-zjj", "东城区住建局", "department", "370102"),
        ("xny", "示例新能源有限公司", "company", "370103"),
    ] {
        unit::create(
            &mut tx,
            &a,
            &UnitInput {
                code: code.into(),
                name: name.into(),
                kind: kind.into(),
                division_code: d.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    leader::create(
        &mut tx,
        &a,
        &LeaderInput {
            name: "王示范".into(),
            title: "副市长".into(),
            unit_code: "370100".into(),
            username: None,
            sort: Some(1),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

pub async fn user_actor(db: &Db, username: &str, unit_code: &str, role: &str) -> Actor {
    let mut tx = db.begin().await.unwrap();
    let input = UserInput {
        username: username.into(),
        name: username.into(),
        unit_code: unit_code.into(),
        roles: vec![role.into()],
        password: Some("Passw0rd!".into()),
        must_change_password: Some(false),
        ..Default::default()
    };
    let u = user::create(&mut tx, &Actor::cli(), &input).await.unwrap();
    tx.commit().await.unwrap();
    auth::actor(db, u.id, &u.username, u.unit_id, "127.0.0.1")
        .await
        .unwrap()
}
