//! Problems and tasks over real HTTP: a project unit raises a problem with an
//! attachment through the multipart form, the district accepts and replies (a reply
//! without a date is refused on the page), the unit verifies; a file that lies about its
//! type is refused; the supervision office issues a task, the lead unit claims with
//! evidence, the office verifies; the boards, exports and JSON API see it; scope and
//! CSRF hold.

mod support;

use gongjian_domain::project::ProjectInput;
use gongjian_store::unit::{self, UnitInput};
use gongjian_store::{Actor, project};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::json;
use support::{PW, add_user, seed, spawn_app};

const USERS: &[(&str, &str, &[&str])] = &[
    ("office", "fgw", &["office"]),
    ("east", "990102", &["division"]),
    ("west", "990103", &["division"]),
    ("sup", "990100", &["supervision"]),
];

async fn world(app: &support::TestApp) -> i64 {
    seed(app.db(), USERS).await;
    let a = Actor::cli();
    let mut tx = app.db().begin().await.unwrap();
    unit::create(
        &mut tx,
        &a,
        &UnitInput {
            code: "qy".into(),
            name: "示例新能源有限公司".into(),
            kind: "company".into(),
            division_code: "990102".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    add_user(&mut tx, "qy", "qy", &["project_unit"]).await;
    let p = project::create(
        &mut tx,
        &a,
        &ProjectInput {
            name: "电池基地".into(),
            level: "市重点".into(),
            category: "产业项目".into(),
            nature: "新建".into(),
            stage: "在建".into(),
            division: "东城区".into(),
            owner_name: Some("示例新能源有限公司".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    p.id
}

fn form(fields: &[(&str, &str)]) -> Form {
    let mut f = Form::new();
    for (k, v) in fields {
        f = f.text(k.to_string(), v.to_string());
    }
    f
}

#[tokio::test]
async fn a_problem_goes_from_raised_to_closed_over_http() {
    let app = spawn_app("sqlite").await;
    let pid = world(&app).await;
    let qy = app.login("qy", PW).await;
    let east = app.login("east", PW).await;
    let west = app.login("west", PW).await;
    let office = app.login("office", PW).await;

    // The raise form lists the unit's project.
    let r = qy.get("/problems/new").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("电池基地"));
    // A renamed executable as attachment: refused, nothing stored.
    let bad = form(&[
        ("project_id", &pid.to_string()),
        ("category", "utilities"),
        ("description", "专线接入方案未确定"),
    ])
    .part(
        "attachments",
        Part::bytes(b"MZ\x90\x00 program".to_vec()).file_name("批复.pdf"),
    );
    let r = qy.multipart("/problems", bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.text.contains("扩展名与内容不符"), "{}", r.text);
    assert!(
        r.text.contains("专线接入方案未确定"),
        "the form keeps what was typed"
    );
    assert_eq!(east.get("/api/v1/problems").await.json()["total"], 0);
    // Without the CSRF token: refused.
    let r = qy
        .form("/problems", &[("project_id", &pid.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let good = form(&[
        ("project_id", &pid.to_string()),
        ("category", "utilities"),
        ("description", "专线接入方案未确定"),
        ("need", "协调供电公司"),
    ])
    .part(
        "attachments",
        Part::bytes(b"%PDF-1.4 test".to_vec()).file_name("函.pdf"),
    );
    let r = qy.multipart("/problems", good).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let loc = r.headers["location"].to_str().unwrap().to_string();
    let id: i64 = loc.rsplit('/').next().unwrap().parse().unwrap();

    // The other district cannot see it; the eastern district has it to do.
    assert_eq!(west.get(&loc).await.status, StatusCode::NOT_FOUND);
    assert_eq!(west.get("/api/v1/problems").await.json()["total"], 0);
    let todo = east.get("/todo").await;
    assert!(todo.text.contains("专线接入方案未确定"), "{}", todo.text);
    let page = east.get(&loc).await;
    assert!(page.text.contains("accept-form") && page.text.contains("函.pdf"));
    let (st, ct, bytes) = east.download(&format!("{loc}/attachments/1")).await;
    assert_eq!(
        (st, ct.as_str(), bytes.as_slice()),
        (StatusCode::OK, "application/pdf", &b"%PDF-1.4 test"[..])
    );
    assert_eq!(
        west.download(&format!("{loc}/attachments/1")).await.0,
        StatusCode::NOT_FOUND
    );

    let step = |fields: &[(&str, &str)]| form(fields);
    assert_eq!(
        east.multipart(&format!("{loc}/step"), step(&[("action", "accept")]))
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    // A reply without a date: the page says so and keeps the problem as it was.
    let r = east
        .multipart(
            &format!("{loc}/step"),
            step(&[("action", "reply"), ("note", "协调供电公司")]),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("必须写明解决时限"), "{}", r.text);
    assert!(r.text.contains("data-field=\"reply_by\""));
    let r = east
        .multipart(
            &format!("{loc}/step"),
            step(&[
                ("action", "reply"),
                ("reply_kind", "plan"),
                ("note", "协调供电公司"),
                ("reply_by", "2099-01-31"),
            ]),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(
        east.multipart(
            &format!("{loc}/step"),
            step(&[("action", "solve"), ("note", "方案已确定")])
        )
        .await
        .status,
        StatusCode::SEE_OTHER
    );
    // The district cannot verify for the unit; the unit can.
    let r = east
        .multipart(&format!("{loc}/step"), step(&[("action", "verify")]))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = qy
        .multipart(
            &format!("{loc}/step"),
            step(&[("action", "verify"), ("note", "满意")]),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let v = office.get(&format!("/api/v1/problems/{id}")).await.json();
    assert_eq!(v["status"], "closed");
    assert_eq!(v["steps"].as_array().unwrap().len(), 5);
    // The board and its statistics, the export.
    let board = office.get("/problems/board").await;
    assert_eq!(board.status, StatusCode::OK);
    assert!(
        board.text.contains("东城区人民政府") && board.text.contains("100%"),
        "{}",
        board.text
    );
    // By unit, from the board's link: the eastern district's list has the problem.
    let at = board
        .text
        .find("/problems?unit_id=")
        .expect("unit links on the board");
    let link: String = board.text[at..].chars().take_while(|c| *c != '"').collect();
    let by_unit = office.get(&link).await;
    assert!(by_unit.text.contains("专线接入方案未确定"), "{link}");
    let none = office.get("/problems?unit_id=999999").await;
    assert!(none.text.contains("没有符合条件的问题"));
    let (st, ct, bytes) = office.download("/problems/export.xlsx").await;
    assert_eq!(st, StatusCode::OK);
    assert!(ct.contains("spreadsheet"));
    assert!(bytes.starts_with(b"PK"));

    // JSON API: raise, a bad step, the list with its computed fields.
    let r = qy
        .post(
            "/api/v1/problems",
            json!({"project_id": pid, "category": "land", "description": "用地指标未下达"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let id2 = r.json()["id"].as_i64().unwrap();
    let r = qy
        .post(
            &format!("/api/v1/problems/{id2}/steps"),
            json!({"action": "override", "note": "不需要了"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let list = office.get("/api/v1/problems?status=raised").await.json();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["unit"], "东城区人民政府");
    assert_eq!(list["items"][0]["tier_code"], "division");
}

#[tokio::test]
async fn a_task_is_issued_claimed_with_evidence_and_verified() {
    let app = spawn_app("sqlite").await;
    world(&app).await;
    let sup = app.login("sup", PW).await;
    let east = app.login("east", PW).await;
    let west = app.login("west", PW).await;
    // Only the supervision office issues.
    let fields = [
        ("_csrf", east.csrf.as_str()),
        ("title", "老旧小区改造开工"),
        ("lead_unit", "990102"),
        ("deadline", "2099-12-31"),
        ("evidence", "开工令"),
    ];
    assert_eq!(
        east.form("/tasks", &fields).await.status,
        StatusCode::FORBIDDEN
    );
    let mut fields = fields;
    fields[0].1 = sup.csrf.as_str();
    let r = sup.form("/tasks", &fields[..4]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = sup
        .form(
            "/tasks",
            &[
                ("_csrf", sup.csrf.as_str()),
                ("title", "x任务"),
                ("lead_unit", "990102"),
                ("deadline", "2020-01-01"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = sup.form("/tasks", &fields).await;
    let loc = r.headers["location"].to_str().unwrap().to_string();
    assert_eq!(west.get(&loc).await.status, StatusCode::NOT_FOUND);
    // Claim without evidence: refused with the requirement named.
    let r = east
        .multipart(
            &format!("{loc}/entries"),
            form(&[("action", "claim"), ("text", "已开工")]),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("开工令"), "{}", r.text);
    // An oversized attachment is refused.
    let big = vec![b'%'; gongjian_domain::attachment::MAX_BYTES + 10];
    let r = east
        .multipart(
            &format!("{loc}/entries"),
            form(&[("action", "claim"), ("text", "已开工")])
                .part("attachments", Part::bytes(big).file_name("开工令.pdf")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("上限"), "{}", r.text);
    let ok = form(&[("action", "claim"), ("text", "已开工")]).part(
        "attachments",
        Part::bytes(b"%PDF-1.7 ok".to_vec()).file_name("开工令.pdf"),
    );
    assert_eq!(
        east.multipart(&format!("{loc}/entries"), ok).await.status,
        StatusCode::SEE_OTHER
    );
    let r = sup
        .multipart(
            &format!("{loc}/entries"),
            form(&[("action", "verify"), ("text", "核验通过")]),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    // Feedback on a closed task is refused.
    let r = east
        .multipart(
            &format!("{loc}/entries"),
            form(&[("action", "feedback"), ("text", "补充进展")]),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("已办结"), "{}", r.text);
    let tasks = sup.get("/api/v1/tasks").await.json();
    assert_eq!(tasks.as_array().unwrap().len(), 2);
    assert!(
        tasks
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["status"] == "closed")
    );
    // The supervision bulletin names the unit, in Word and Excel.
    let (st, ct, docx) = sup.download("/supervision/bulletin.docx").await;
    assert_eq!(st, StatusCode::OK);
    assert!(ct.contains("wordprocessingml"));
    let xml = gongjian_office::docx::document_xml(&docx).unwrap();
    assert!(
        xml.contains("督查通报") && xml.contains("东城区人民政府"),
        "{xml}"
    );
    let (st, _, xlsx) = sup.download("/supervision/bulletin.xlsx").await;
    assert_eq!(st, StatusCode::OK);
    assert!(xlsx.starts_with(b"PK"));
}
