//! Every data-scope level × several anchor units × every list and detail endpoint, on
//! generated organisation trees: nobody sees or changes a record outside their scope.
//! Expected visibility is computed here from the generator's own tree, not by the product.

mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use support::{PW, spawn_app};

/// A tiny deterministic generator (no dependency needed).
struct Rng(u64);
impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// A unit as the generator made it.
#[derive(Clone, Debug)]
struct GenUnit {
    code: String,
    parent: Option<String>,
    division: String,
}

struct World {
    units: BTreeMap<String, GenUnit>,
    divisions: Vec<String>,
    /// Projects: (name, division code, responsible unit code).
    projects: Vec<(String, String, String)>,
}

impl World {
    fn below(&self, code: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::from([code.to_string()]);
        loop {
            let more: Vec<String> = self
                .units
                .values()
                .filter(|u| {
                    u.parent.as_ref().is_some_and(|p| out.contains(p)) && !out.contains(&u.code)
                })
                .map(|u| u.code.clone())
                .collect();
            if more.is_empty() {
                return out;
            }
            out.extend(more);
        }
    }
}

async fn build(app: &support::TestApp, seed: u64) -> World {
    let mut rng = Rng(seed);
    let sa = app.login("root-sec", PW).await;
    let ad = app.login("root-admin", PW).await;
    let mut units = BTreeMap::new();
    let mut divisions = vec!["990100".to_string()];
    units.insert(
        "990100".into(),
        GenUnit {
            code: "990100".into(),
            parent: None,
            division: "990100".into(),
        },
    );
    for d in 0..(2 + rng.next(3)) {
        let code = format!("9901{:02}", d + 2);
        let kind = ["district", "county", "zone"][rng.next(3) as usize];
        let r = ad.post("/api/v1/divisions", json!({"code": code, "name": format!("区{d}"), "kind": kind, "parent_code": "990100"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        units.insert(
            code.clone(),
            GenUnit {
                code: code.clone(),
                parent: Some("990100".into()),
                division: code.clone(),
            },
        );
        divisions.push(code.clone());
        for t in 0..(1 + rng.next(2)) {
            let town = format!("{code}{:03}", t + 1);
            let r = ad.post("/api/v1/divisions", json!({"code": town, "name": format!("镇{d}{t}"), "kind": "town", "parent_code": code})).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            units.insert(
                town.clone(),
                GenUnit {
                    code: town.clone(),
                    parent: Some(code.clone()),
                    division: town.clone(),
                },
            );
            divisions.push(town);
        }
    }
    // Departments, some nested under other departments.
    for i in 0..(6 + rng.next(5)) {
        let div = divisions[rng.next(divisions.len() as u64) as usize].clone();
        let nested: Vec<&GenUnit> = units
            .values()
            .filter(|u| u.division == div && u.code.starts_with("dept"))
            .collect();
        let parent = if !nested.is_empty() && rng.next(2) == 0 {
            nested[0].code.clone()
        } else {
            div.clone()
        };
        let code = format!("dept{i}");
        let r = ad.post("/api/v1/units", json!({"code": code, "name": format!("部门{i}"), "kind": "department", "division_code": div, "parent_code": parent})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        units.insert(
            code.clone(),
            GenUnit {
                code,
                parent: Some(parent),
                division: div,
            },
        );
    }
    // Ordinary users and leaders spread over the units.
    let codes: Vec<String> = units.keys().cloned().collect();
    for i in 0..12 {
        let unit = &codes[rng.next(codes.len() as u64) as usize];
        let r = sa.post("/api/v1/users", json!({"username": format!("u{i}"), "name": format!("用户{i}"), "unit_code": unit, "roles": ["office"], "password": PW, "must_change_password": false})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    for i in 0..4 {
        let unit = &codes[rng.next(codes.len() as u64) as usize];
        let r = ad
            .post(
                "/api/v1/leaders",
                json!({"name": format!("领导{i}"), "title": "副市长", "unit_code": unit}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    // Projects over the divisions, each with a responsible department.
    let office = app.login("u0", PW).await;
    let depts: Vec<&String> = codes.iter().filter(|c| c.starts_with("dept")).collect();
    let mut projects = Vec::new();
    for i in 0..10 {
        let div = divisions[rng.next(divisions.len() as u64) as usize].clone();
        let resp = depts[rng.next(depts.len() as u64) as usize].clone();
        let name = format!("项目{i}");
        let r = office.post("/api/v1/projects", json!({"name": name, "level": "city", "category": "industrial", "nature": "new", "stage": "preparation", "division": div, "responsible_unit": resp, "total_investment_wan": "100"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        projects.push((name, div, resp));
    }
    World {
        units,
        divisions,
        projects,
    }
}

/// Every item of a paged list endpoint.
async fn all_pages(c: &support::Client, path: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for page in 1.. {
        let v = c.get(&format!("{path}?size=500&page={page}")).await.json();
        let items = v["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{v}"))
            .clone();
        let done = items.len() < 500;
        out.extend(items);
        if done {
            return out;
        }
    }
    unreachable!()
}

fn ids(v: &Value, key: &str) -> BTreeSet<String> {
    let arr = v
        .get("items")
        .unwrap_or(v)
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"));
    arr.iter()
        .map(|x| x[key].to_string().trim_matches('"').to_string())
        .collect()
}

async fn run(engine: &str, seed: u64) {
    let app = spawn_app(engine).await;
    {
        let mut tx = app.db().begin().await.unwrap();
        let a = gongjian_store::Actor::cli();
        gongjian_store::division::create(
            &mut tx,
            &a,
            &gongjian_store::division::DivisionInput {
                code: "990100".into(),
                name: "示例市".into(),
                kind: "city".into(),
                parent_code: None,
            },
        )
        .await
        .unwrap();
        support::add_user(&mut tx, "root-sec", "990100", &["security_admin"]).await;
        support::add_user(&mut tx, "root-admin", "990100", &["admin"]).await;
        support::add_user(&mut tx, "root-aud", "990100", &["audit_admin"]).await;
        tx.commit().await.unwrap();
    }
    let world = build(&app, seed).await;
    let sa = app.login("root-sec", PW).await;
    let auditor = app.login("root-aud", PW).await;
    let all_units = auditor
        .get("/api/v1/units?size=500&include_inactive=true")
        .await
        .json();
    let unit_id: BTreeMap<String, i64> = all_units["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["code"].as_str().unwrap().to_string(),
                u["id"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        unit_id.len(),
        world.units.len(),
        "every generated unit exists"
    );
    let mut rng = Rng(seed ^ 0x5eed);
    let codes: Vec<String> = world.units.keys().cloned().collect();
    let custom: BTreeSet<String> = (0..3)
        .map(|_| codes[rng.next(codes.len() as u64) as usize].clone())
        .collect();
    let perms = json!([
        "org.read",
        "org.write",
        "user.read",
        "user.write",
        "audit.read",
        "project.read",
        "project.write"
    ]);
    for level in [
        "all",
        "custom",
        "own_unit",
        "own_unit_and_below",
        "self_only",
    ] {
        let custom_ids: Vec<i64> = if level == "custom" {
            custom.iter().map(|c| unit_id[c]).collect()
        } else {
            vec![]
        };
        let r = sa.post("/api/v1/roles", json!({"code": format!("t_{level}"), "name": format!("测试{level}"), "data_scope": level, "permissions": perms, "custom_unit_ids": custom_ids})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    // Anchors: the city, a district-level government, a town, a department.
    let anchors: Vec<String> = [
        "990100",
        world.divisions[1].as_str(),
        world.divisions.last().unwrap().as_str(),
        "dept0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut checked = 0usize;
    for level in [
        "all",
        "custom",
        "own_unit",
        "own_unit_and_below",
        "self_only",
        "union",
    ] {
        for (ai, anchor) in anchors.iter().enumerate() {
            let username = format!("p_{level}_{ai}");
            let roles = if level == "union" {
                json!(["t_own_unit", "t_custom"])
            } else {
                json!([format!("t_{level}")])
            };
            let r = sa.post("/api/v1/users", json!({"username": username, "name": "受测", "unit_code": anchor, "roles": roles, "password": PW, "must_change_password": false})).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
            let me_id = r.json()["id"].as_i64().unwrap();
            // Expected units, from the generator's tree.
            let units: BTreeSet<String> = match level {
                "all" => world.units.keys().cloned().collect(),
                "custom" => custom.clone(),
                "own_unit" => BTreeSet::from([anchor.clone()]),
                "own_unit_and_below" => world.below(anchor),
                "union" => custom.iter().cloned().chain([anchor.clone()]).collect(),
                _ => BTreeSet::new(),
            };
            let unit_ids: BTreeSet<i64> = units.iter().map(|c| unit_id[c]).collect();
            let exp_divs: BTreeSet<String> = units
                .iter()
                .map(|c| world.units[c].division.clone())
                .collect();
            let c = app.login(&username, PW).await;
            let ctx = format!("{level} at {anchor}");

            // Divisions: list and every detail.
            let got = ids(&c.get("/api/v1/divisions").await.json(), "code");
            assert_eq!(got, exp_divs, "divisions, {ctx}");
            for d in &world.divisions {
                let s = c.get(&format!("/api/v1/divisions/{d}")).await.status;
                assert_eq!(
                    s == StatusCode::OK,
                    exp_divs.contains(d),
                    "division {d}, {ctx}"
                );
                checked += 1;
            }
            // Projects: a project is reachable iff its division's government or its
            // responsible unit is in scope — through the list, every detail, an edit,
            // and the JSON export alike.
            let exp_projects: BTreeSet<String> = world
                .projects
                .iter()
                .filter(|(_, d, r)| units.contains(d) || units.contains(r))
                .map(|(n, _, _)| n.clone())
                .collect();
            let got = ids(&c.get("/api/v1/projects?size=500").await.json(), "name");
            assert_eq!(got, exp_projects, "projects, {ctx}");
            let exported = c.get("/api/v1/projects/export?format=json").await;
            assert_eq!(
                ids(&exported.json(), "name"),
                exp_projects,
                "project export, {ctx}"
            );
            let page = c.get("/projects?size=500").await;
            for (name, _, _) in &world.projects {
                assert_eq!(
                    page.text.contains(&format!(">{name}</a>")),
                    exp_projects.contains(name),
                    "project page list {name}, {ctx}"
                );
            }
            for (i, (name, div, resp)) in world.projects.iter().enumerate() {
                let id = i + 1;
                let s = c.get(&format!("/api/v1/projects/{id}")).await.status;
                assert_eq!(
                    s == StatusCode::OK,
                    exp_projects.contains(name),
                    "project {name}, {ctx}"
                );
                let s = c.get(&format!("/projects/{id}")).await.status;
                assert_eq!(
                    s == StatusCode::OK,
                    exp_projects.contains(name),
                    "project page {name}, {ctx}"
                );
                let body = json!({"name": name, "level": "city", "category": "industrial", "nature": "new", "stage": "preparation", "division": div, "responsible_unit": resp, "total_investment_wan": "100"});
                let s = c.put(&format!("/api/v1/projects/{id}"), body).await.status;
                assert_eq!(
                    s == StatusCode::OK,
                    exp_projects.contains(name),
                    "edit project {name} gave {s}, {ctx}"
                );
                checked += 3;
            }
            // Units: list, every detail, and an edit attempt on every unit.
            let got: BTreeSet<String> = ids(&c.get("/api/v1/units?size=500").await.json(), "code");
            assert_eq!(got, units, "units, {ctx}");
            for (code, id) in &unit_id {
                let s = c.get(&format!("/api/v1/units/{id}")).await.status;
                assert_eq!(
                    s == StatusCode::OK,
                    units.contains(code),
                    "unit {code}, {ctx}"
                );
                let g = &world.units[code];
                let body = json!({"code": code, "name": format!("部门{}", code.trim_start_matches("dept")), "kind": "department", "division_code": g.division, "parent_code": g.parent});
                let s = c.put(&format!("/api/v1/units/{id}"), body).await.status;
                assert_eq!(
                    s != StatusCode::NOT_FOUND,
                    units.contains(code),
                    "edit unit {code} gave {s}, {ctx}"
                );
                checked += 2;
            }
            // Users: a record is visible iff its unit is in scope (or, for "self only", it is oneself).
            let everyone = auditor.get("/api/v1/users?size=500").await.json();
            let expected_users: BTreeSet<String> = everyone["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|u| {
                    unit_ids.contains(&u["unit_id"].as_i64().unwrap())
                        || (level == "self_only" && u["id"].as_i64() == Some(me_id))
                })
                .map(|u| u["id"].to_string())
                .collect();
            assert_eq!(
                ids(&c.get("/api/v1/users?size=500").await.json(), "id"),
                expected_users,
                "users, {ctx}"
            );
            for u in everyone["items"].as_array().unwrap() {
                let id = u["id"].as_i64().unwrap();
                let s = c.get(&format!("/api/v1/users/{id}")).await.status;
                assert_eq!(
                    s == StatusCode::OK,
                    expected_users.contains(&id.to_string()),
                    "user {id}, {ctx}"
                );
                let s = c
                    .post(&format!("/api/v1/users/{id}/unlock"), json!({}))
                    .await
                    .status;
                assert_eq!(
                    s == StatusCode::OK,
                    expected_users.contains(&id.to_string()),
                    "unlock user {id} gave {s}, {ctx}"
                );
                checked += 2;
            }
            // Leaders.
            let leaders = auditor.get("/api/v1/leaders").await.json();
            let exp_leaders: BTreeSet<String> = leaders
                .as_array()
                .unwrap()
                .iter()
                .filter(|l| unit_ids.contains(&l["unit_id"].as_i64().unwrap()))
                .map(|l| l["id"].to_string())
                .collect();
            assert_eq!(
                ids(&c.get("/api/v1/leaders").await.json(), "id"),
                exp_leaders,
                "leaders, {ctx}"
            );
            for l in leaders.as_array().unwrap() {
                let s = c.get(&format!("/api/v1/leaders/{}", l["id"])).await.status;
                assert_eq!(
                    s == StatusCode::OK,
                    exp_leaders.contains(&l["id"].to_string()),
                    "leader {}, {ctx}",
                    l["id"]
                );
                checked += 1;
            }
            // Audit: records by actors within scope ("self only": one's own; "all": every record).
            let log = all_pages(&auditor, "/api/v1/audit").await;
            let upto = log.iter().filter_map(|r| r["id"].as_i64()).max().unwrap();
            let exp_audit: BTreeSet<i64> = log
                .iter()
                .filter(|r| {
                    level == "all"
                        || r["actor_unit_id"]
                            .as_i64()
                            .is_some_and(|u| unit_ids.contains(&u))
                        || (level == "self_only" && r["actor_id"].as_i64() == Some(me_id))
                })
                .map(|r| r["id"].as_i64().unwrap())
                .collect();
            let mine: BTreeSet<i64> = all_pages(&c, "/api/v1/audit")
                .await
                .iter()
                .map(|r| r["id"].as_i64().unwrap())
                .filter(|id| *id <= upto)
                .collect();
            assert_eq!(mine, exp_audit, "audit, {ctx}");
            checked += 5;
        }
    }
    assert!(checked > 1000, "only {checked} checks");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scopes_hold_on_sqlite_tree_a() {
    run("sqlite", 7).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scopes_hold_on_sqlite_tree_b() {
    run("sqlite", 2026).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scopes_hold_on_postgres() {
    run("postgres", 99).await;
}
