//! Black-box test support: the app served on 127.0.0.1:0 over a fresh database, and a
//! small HTTP client that keeps the session cookie and CSRF token.
#![allow(dead_code)]

use gongjian_store::division::{self, DivisionInput};
use gongjian_store::testing::TestDb;
use gongjian_store::unit::{self, UnitInput};
use gongjian_store::user::{self, UserInput};
use gongjian_store::{Actor, Db};
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub const PW: &str = "Passw0rd!";

pub struct TestApp {
    pub base: String,
    pub t: TestDb,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
    }
}

/// Serves the app over a fresh, migrated database of `engine`.
pub async fn spawn_app(engine: &str) -> TestApp {
    let t = TestDb::new(engine).await.expect("fresh database");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let state = gongjian_web::AppState::new(t.db.clone(), gongjian_web::Config::default());
    tokio::spawn(gongjian_web::serve(listener, state, async {
        let _ = rx.await;
    }));
    TestApp {
        base,
        t,
        shutdown: Some(tx),
    }
}

impl TestApp {
    pub fn db(&self) -> &Db {
        &self.t.db
    }

    /// An anonymous client.
    pub fn anon(&self) -> Client {
        Client {
            base: self.base.clone(),
            http: http(),
            cookie: String::new(),
            csrf: String::new(),
            bearer: None,
        }
    }

    /// A client signed in through `POST /api/v1/session`.
    pub async fn login(&self, username: &str, password: &str) -> Client {
        let mut c = self.anon();
        let (status, body) = c.login(username, password).await;
        assert_eq!(status, StatusCode::OK, "login {username}: {body}");
        c
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    pub cookie: String,
    pub csrf: String,
    pub bearer: Option<String>,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|_| panic!("not JSON ({}): {}", self.status, self.text))
    }
}

impl Client {
    pub async fn login(&mut self, username: &str, password: &str) -> (StatusCode, Value) {
        let r = self
            .http
            .post(format!("{}/api/v1/session", self.base))
            .json(&serde_json::json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap();
        let status = r.status();
        if let Some(c) = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("gj_session="))
        {
            self.cookie = c.split(';').next().unwrap().to_string();
        }
        let body: Value = r.json().await.unwrap();
        if let Some(t) = body["csrf_token"].as_str() {
            self.csrf = t.to_string();
        }
        (status, body)
    }

    /// A request with the session cookie, the CSRF header on writes, or the bearer token.
    pub async fn req(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        let mut b = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(t) = &self.bearer {
            b = b.header("authorization", format!("Bearer {t}"));
        } else if !self.cookie.is_empty() {
            b = b.header("cookie", &self.cookie);
            if method != Method::GET {
                b = b.header("x-csrf-token", &self.csrf);
            }
        }
        if let Some(v) = body {
            b = b.json(&v);
        }
        let r = b.send().await.unwrap();
        Resp {
            status: r.status(),
            headers: r.headers().clone(),
            text: r.text().await.unwrap(),
        }
    }

    /// A multipart form POST (with the CSRF token in the query, as the pages send it).
    pub async fn multipart(&self, path: &str, form: reqwest::multipart::Form) -> Resp {
        let r = self
            .http
            .post(format!("{}{path}?_csrf={}", self.base, self.csrf))
            .header("cookie", &self.cookie)
            .multipart(form)
            .send()
            .await
            .unwrap();
        Resp {
            status: r.status(),
            headers: r.headers().clone(),
            text: r.text().await.unwrap(),
        }
    }

    /// A GET whose body is a file: (status, content type, bytes).
    pub async fn download(&self, path: &str) -> (StatusCode, String, Vec<u8>) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        let ct = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        (r.status(), ct, r.bytes().await.unwrap().to_vec())
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.req(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.req(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Resp {
        self.req(Method::PUT, path, Some(body)).await
    }

    /// Posts a url-encoded form with the session cookie (and no CSRF header).
    pub async fn form(&self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        Resp {
            status: r.status(),
            headers: r.headers().clone(),
            text: r.text().await.unwrap(),
        }
    }
}

fn div(code: &str, name: &str, kind: &str, parent: Option<&str>) -> DivisionInput {
    DivisionInput {
        code: code.into(),
        name: name.into(),
        kind: kind.into(),
        parent_code: parent.map(Into::into),
    }
}

/// A small city and one user per given (username, unit, roles).
pub async fn seed(db: &Db, users: &[(&str, &str, &[&str])]) {
    let a = Actor::cli();
    let mut tx = db.begin().await.unwrap();
    for d in [
        div("990100", "示例市", "city", None),
        div("990102", "东城区", "district", Some("990100")),
        div("990103", "西城区", "district", Some("990100")),
        div("990102001", "东关街道", "town", Some("990102")),
    ] {
        division::create(&mut tx, &a, &d).await.unwrap();
    }
    for (code, name, d) in [
        ("fgw", "示例市发展和改革委员会", "990100"),
        ("dc-zjj", "东城区住建局", "990102"),
    ] {
        unit::create(
            &mut tx,
            &a,
            &UnitInput {
                code: code.into(),
                name: name.into(),
                kind: "department".into(),
                division_code: d.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    for (username, unit, roles) in users {
        add_user(&mut tx, username, unit, roles).await;
    }
    tx.commit().await.unwrap();
}

pub async fn add_user(
    tx: &mut gongjian_store::Tx,
    username: &str,
    unit: &str,
    roles: &[&str],
) -> i64 {
    let input = UserInput {
        username: username.into(),
        name: format!("{username}名"),
        unit_code: unit.into(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        password: Some(PW.into()),
        must_change_password: Some(false),
        ..Default::default()
    };
    user::create(tx, &Actor::cli(), &input).await.unwrap().id
}

/// The `href` of the link whose text is `text` on `page`, its escaped `&` read back.
pub fn href_of(page: &str, text: &str) -> String {
    let end = page
        .find(&format!("\">{text}</a>"))
        .unwrap_or_else(|| panic!("no link {text}"));
    let start = page[..end].rfind("href=\"").expect("href") + 6;
    let stop = start + page[start..].find('"').expect("closing quote");
    page[start..stop]
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}
