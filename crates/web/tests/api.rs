//! Black-box tests of authentication, CSRF, bad input and escaping, over real HTTP.

mod support;

use reqwest::StatusCode;
use serde_json::json;
use support::{PW, href_of, seed, spawn_app};

const USERS: &[(&str, &str, &[&str])] = &[
    ("admin", "fgw", &["admin"]),
    ("sec", "fgw", &["security_admin"]),
    ("aud", "fgw", &["audit_admin"]),
    ("east", "990102", &["division"]),
];

#[tokio::test]
async fn login_is_generic_and_locks_after_five_failures() {
    let app = spawn_app("sqlite").await;
    seed(app.db(), USERS).await;
    let mut c = app.anon();
    let (s, body) = c.login("east", "wrong").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let unknown = app.anon().login("nobody", "wrong").await.1;
    assert_eq!(
        body["error"]["message"], unknown["error"]["message"],
        "wrong password and unknown user read the same"
    );
    assert_eq!(body["error"]["message"], "用户名或密码错误。");
    for _ in 0..3 {
        c.login("east", "wrong").await;
    }
    let (_, locked) = c.login("east", "wrong").await;
    assert_eq!(locked["error"]["code"], "locked", "{locked}");
    assert!(
        locked["error"]["message"]
            .as_str()
            .unwrap()
            .contains("锁定")
    );
    let (s, after) = c.login("east", PW).await;
    assert_eq!(
        s,
        StatusCode::UNAUTHORIZED,
        "the right password is refused while locked: {after}"
    );
    // The security administrator unlocks; then the login works.
    let sec = app.login("sec", PW).await;
    let users = sec.get("/api/v1/users?q=east").await.json();
    let id = users["items"][0]["id"].as_i64().unwrap();
    assert_eq!(
        sec.post(&format!("/api/v1/users/{id}/unlock"), json!({}))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(c.login("east", PW).await.0, StatusCode::OK);
    let metrics = app.anon().get("/metrics").await.text;
    assert!(
        metrics.contains("gongjian_logins_total{result=\"failed\"} 7"),
        "{metrics}"
    );
    // SQLite's writer counts what it committed (sessions, users, audit): some, in no
    // more commits than transactions.
    let count = |name: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} missing: {metrics}"))
    };
    let (txs, commits) = (
        count("gongjian_sqlite_write_transactions_total"),
        count("gongjian_sqlite_commits_total"),
    );
    assert!(
        txs > 0 && commits > 0 && commits <= txs,
        "{txs} / {commits}"
    );
}

#[tokio::test]
async fn state_changing_requests_need_the_csrf_token() {
    let app = spawn_app("sqlite").await;
    seed(app.db(), USERS).await;
    let mut admin = app.login("admin", PW).await;
    let body =
        json!({"code": "990104", "name": "南湖区", "kind": "district", "parent_code": "990100"});
    let token = std::mem::take(&mut admin.csrf);
    let r = admin.post("/api/v1/divisions", body.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.json()["error"]["code"], "csrf");
    // A page form without the hidden field is refused too.
    let r = admin
        .form(
            "/org/divisions",
            &[
                ("code", "990104"),
                ("name", "南湖区"),
                ("kind", "district"),
                ("parent_code", "990100"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text.contains("安全令牌"));
    admin.csrf = "not-the-token".into();
    assert_eq!(
        admin.post("/api/v1/divisions", body.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    admin.csrf = token.clone();
    assert_eq!(
        admin.post("/api/v1/divisions", body).await.status,
        StatusCode::CREATED
    );
    // With the hidden field the page form works and redirects to the new division.
    let r = admin
        .form(
            "/org/divisions",
            &[
                ("_csrf", &token),
                ("code", "990105"),
                ("name", "北山区"),
                ("kind", "district"),
                ("parent_code", "990100"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.headers["location"], "/org/divisions/990105?saved=1");
    // The login form needs its double-submit token.
    let r = app
        .anon()
        .form("/login", &[("username", "admin"), ("password", PW)])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn bad_input_is_refused_with_the_field_and_nothing_changes() {
    let app = spawn_app("sqlite").await;
    seed(app.db(), USERS).await;
    let admin = app.login("admin", PW).await;
    let dup = admin.post("/api/v1/divisions", json!({"code": "990102", "name": "又一个东城区", "kind": "district", "parent_code": "990100"})).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert_eq!(dup.json()["error"]["field"], "code");
    let bad = admin.post("/api/v1/divisions", json!({"code": "99O104", "name": "坏代码区", "kind": "district", "parent_code": "990100"})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("格式不对")
    );
    assert!(
        bad.json()["error"]["message_en"]
            .as_str()
            .unwrap()
            .contains("malformed")
    );
    let cycle = admin.put("/api/v1/divisions/990102", json!({"code": "990102", "name": "东城区", "kind": "district", "parent_code": "990102001"})).await;
    assert_eq!(
        cycle.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        cycle.text
    );
    assert_eq!(cycle.json()["error"]["field"], "parent_code");
    let units = admin.get("/api/v1/units?q=990102").await.json();
    let gov = units["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == "990102")
        .unwrap()
        .clone();
    let zjj = admin.get("/api/v1/units?q=dc-zjj").await.json()["items"][0].clone();
    let r = admin
        .post(
            &format!("/api/v1/units/{}/deactivate", gov["id"]),
            json!({}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "government units go with their division"
    );
    // A unit with users cannot be deactivated: give dc-zjj a user first.
    let sec = app.login("sec", PW).await;
    let created = sec.post("/api/v1/users", json!({"username": "zhang", "name": "张三", "unit_code": "dc-zjj", "roles": ["department"], "password": "Secret#123"})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let r = admin
        .post(
            &format!("/api/v1/units/{}/deactivate", zjj["id"]),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1 个在用的用户")
    );
    let weak = sec.post("/api/v1/users", json!({"username": "li", "name": "李四", "unit_code": "fgw", "roles": [], "password": "weakpass"})).await;
    assert_eq!(weak.json()["error"]["field"], "password");
    let sep = sec.post("/api/v1/users", json!({"username": "li", "name": "李四", "unit_code": "fgw", "roles": ["admin", "audit_admin"], "password": "Secret#123"})).await;
    assert_eq!(sep.json()["error"]["field"], "roles");
    // The audit chain recorded each accepted write and none of the refused ones.
    let aud = app.login("aud", PW).await;
    let log = aud
        .get("/api/v1/audit?entity=user&action=create")
        .await
        .json();
    assert_eq!(log["total"], 5, "4 seeded users and zhang: {log}");
}

#[tokio::test]
async fn markup_in_names_is_stored_as_text_and_shown_escaped() {
    let app = spawn_app("sqlite").await;
    seed(app.db(), USERS).await;
    let admin = app.login("admin", PW).await;
    let name = "<script>alert('x')</script>招商局";
    let r = admin
        .post(
            "/api/v1/units",
            json!({"code": "zsj", "name": name, "kind": "department", "division_code": "990100"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json()["name"], name);
    let page = admin.get("/org/units?q=zsj").await;
    assert!(
        page.text
            .contains("&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;招商局"),
        "{}",
        page.text
    );
    assert!(!page.text.contains("<script>alert"));
    let long = "局".repeat(101);
    let r = admin
        .post(
            "/api/v1/units",
            json!({"code": "long", "name": long, "kind": "department", "division_code": "990100"}),
        )
        .await;
    assert_eq!(r.json()["error"]["field"], "name");
}

#[tokio::test]
async fn first_login_forces_a_password_change_and_tokens_work() {
    let app = spawn_app("sqlite").await;
    seed(app.db(), USERS).await;
    let sec = app.login("sec", PW).await;
    // Accounts made by an administrator must change their password by default.
    let r = sec.post("/api/v1/users", json!({"username": "newbie", "name": "新人", "unit_code": "fgw", "roles": ["office"], "password": "Initial#2026"})).await;
    assert_eq!(r.json()["must_change_password"], true);
    let c = app.login("newbie", "Initial#2026").await;
    let r = c.get("/api/v1/home").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["error"]["code"], "password_change_required");
    assert_eq!(c.get("/").await.headers["location"], "/account");
    let r = c
        .post(
            "/api/v1/me/password",
            json!({"old_password": "Initial#2026", "password": "Initial#2026"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        c.post(
            "/api/v1/me/password",
            json!({"old_password": "Initial#2026", "password": "Changed#2026"})
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(c.get("/api/v1/home").await.status, StatusCode::OK);
    // Personal tokens: work without CSRF, stop working when revoked.
    let t = c
        .post("/api/v1/tokens", json!({"name": "同步脚本"}))
        .await
        .json();
    let mut bot = app.anon();
    bot.bearer = Some(t["secret"].as_str().unwrap().to_string());
    assert_eq!(bot.get("/api/v1/me").await.json()["username"], "newbie");
    assert_eq!(
        c.req(
            reqwest::Method::DELETE,
            &format!("/api/v1/tokens/{}", t["token"]["id"]),
            None
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(bot.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
    bot.bearer = Some("gj_forged".into());
    assert_eq!(
        bot.get("/api/v1/me").await.json()["error"]["code"],
        "invalid_token"
    );
}

#[tokio::test]
async fn pages_headers_operations_and_language() {
    let app = spawn_app("sqlite").await;
    seed(app.db(), USERS).await;
    let anon = app.anon();
    let r = anon.get("/").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.headers["location"], "/login?next=%2F");
    assert_eq!(
        anon.get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    let login = anon.get("/login").await;
    assert!(login.text.contains("用户名"));
    for h in [
        "content-security-policy",
        "x-content-type-options",
        "x-frame-options",
    ] {
        assert!(login.headers.contains_key(h), "{h}");
    }
    assert!(
        login.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(anon.get("/healthz").await.text, "ok");
    let ready = anon.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.text);
    assert!(
        anon.get("/metrics")
            .await
            .text
            .contains("gongjian_http_requests_total")
    );
    assert!(
        anon.get("/static/vendor/echarts/echarts.min.js")
            .await
            .text
            .len()
            > 500_000
    );
    let mut admin = app.login("admin", PW).await;
    let home = admin.get("/").await;
    assert!(
        home.text.contains("行政区划") && home.text.contains(r#"data-count="divisions">4<"#),
        "{}",
        home.text
    );
    admin.cookie.push_str("; gj_lang=en");
    let en = admin.get("/org/divisions").await;
    assert!(en.text.contains("Divisions") && en.text.contains("lang=\"en\""));
    // The auditor sees the log; the system administrator does not (separation of duties).
    assert_eq!(
        admin.get("/api/v1/audit").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(admin.get("/audit").await.status, StatusCode::FORBIDDEN);
    let aud = app.login("aud", PW).await;
    assert!(aud.get("/audit").await.text.contains("login"));
    // Its pager keeps the page size (the logins so far fill more than one record).
    let page = aud.get("/audit?action=login&size=1").await;
    let next = href_of(&page.text, "下一页");
    assert!(
        next.contains("action=login") && next.contains("size=1"),
        "{next}"
    );
}

// Deactivated accounts and units are left out of their lists unless the box is ticked;
// the next page keeps both the choice and the page size.
#[tokio::test]
async fn deactivated_users_and_units_are_listed_when_asked_on_every_page() {
    let app = spawn_app("sqlite").await;
    seed(app.db(), USERS).await;
    let sec = app.login("sec", PW).await;
    let mut ids = Vec::new();
    for name in ["停用测试甲", "停用测试乙"] {
        let r = sec.post("/api/v1/users", json!({"username": format!("u{}", ids.len()), "name": name, "unit_code": "dc-zjj", "roles": ["department"], "password": "Secret#123"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        ids.push(r.json()["id"].clone());
    }
    let r = sec
        .post(&format!("/api/v1/users/{}/deactivate", ids[0]), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let admin = app.login("admin", PW).await;
    for (code, name) in [("t-a", "停用测试甲局"), ("t-b", "停用测试乙局")] {
        let r = admin.post("/api/v1/units", json!({"code": code, "name": name, "kind": "department", "division_code": "990102"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    let ta = admin.get("/api/v1/units?q=t-a").await.json()["items"][0]["id"].clone();
    let r = admin
        .post(&format!("/api/v1/units/{ta}/deactivate"), json!({}))
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    for (client, path, noun) in [
        (&sec, "/admin/users?q=停用测试", "个用户"),
        (&admin, "/org/units?q=停用测试", "个单位"),
    ] {
        let active = client.get(path).await;
        assert!(
            active.text.contains(&format!("共 1 {noun}")),
            "{}",
            active.text
        );
        assert!(!active.text.contains("停用测试甲"), "{path}");
        let page = client
            .get(&format!("{path}&include_inactive=true&size=1"))
            .await;
        assert!(page.text.contains(&format!("共 2 {noun}")), "{}", page.text);
        assert!(
            page.text
                .contains(r#"name="include_inactive" value="true" checked"#),
            "{path}"
        );
        let next = href_of(&page.text, "下一页");
        assert!(next.contains("include_inactive=true"), "{next}");
        assert!(next.contains("size=1"), "{next}");
        let base = path.split('?').next().unwrap();
        let page2 = client.get(&format!("{base}{next}")).await;
        assert!(
            page2.text.contains(&format!("共 2 {noun}")),
            "{}",
            page2.text
        );
        let on = |t: &str| ["停用测试甲", "停用测试乙"].map(|n| t.contains(n));
        let (first, second) = (on(&page.text), on(&page2.text));
        assert!(
            first != second && first.iter().chain(&second).filter(|b| **b).count() == 2,
            "{path}: {first:?} then {second:?}"
        );
    }
}

// Each unit and each leader on the organisation pages links to the project list filtered
// by it (the list itself is tested with the project registry).
#[tokio::test]
async fn units_and_leaders_link_to_their_projects() {
    let app = spawn_app("sqlite").await;
    seed(app.db(), USERS).await;
    let admin = app.login("admin", PW).await;
    let r = admin
        .post(
            "/api/v1/leaders",
            json!({"name": "王示范", "title": "副市长", "unit_code": "fgw"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.json()["id"].clone();
    let leaders = admin.get("/org/leaders").await;
    assert!(
        leaders
            .text
            .contains(&format!(r#"href="/projects?leader_id={id}""#)),
        "{}",
        leaders.text
    );
    let units = admin.get("/org/units").await;
    for code in ["fgw", "dc-zjj"] {
        assert!(
            units
                .text
                .contains(&format!(r#"href="/projects?responsible_unit={code}""#)),
            "{code}"
        );
    }
    // The security administrator reads units but not projects: no link to a page it
    // would be refused.
    let sec = app.login("sec", PW).await;
    assert_eq!(
        sec.get("/projects?responsible_unit=fgw").await.status,
        StatusCode::FORBIDDEN
    );
    let units = sec.get("/org/units").await;
    assert_eq!(units.status, StatusCode::OK);
    assert!(!units.text.contains("/projects?"), "{}", units.text);
}
