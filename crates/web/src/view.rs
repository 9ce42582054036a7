//! Page chrome (sidebar, top bar, breadcrumb) and rendering helpers shared by pages.

use crate::i18n::Lang;
use crate::session::Me;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, FixedOffset, Utc};
use gongjian_domain::Msg;
use gongjian_domain::access::Permission;

/// One entry of the sidebar.
#[derive(Debug, Clone)]
pub struct NavItem {
    /// Chinese label.
    pub zh: &'static str,
    /// English label.
    pub en: &'static str,
    /// Link, or `None` for a module still to come.
    pub href: Option<&'static str>,
    /// Key compared with the page's active key.
    pub key: &'static str,
}

/// What every signed-in page shows around its content.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// Language.
    pub l: Lang,
    /// Page title (already in the page's language).
    pub title: String,
    /// Active sidebar key.
    pub active: &'static str,
    /// User's name.
    pub user_name: String,
    /// User's unit.
    pub unit_name: String,
    /// CSRF token for forms.
    pub csrf: String,
    /// Business modules.
    pub modules: Vec<NavItem>,
    /// System administration entries the user may open.
    pub admin: Vec<NavItem>,
}

const MODULES: [NavItem; 12] = [
    NavItem {
        zh: "首页",
        en: "Home",
        href: Some("/"),
        key: "home",
    },
    NavItem {
        zh: "我的待办",
        en: "My to-do",
        href: Some("/todo"),
        key: "todo",
    },
    NavItem {
        zh: "项目库",
        en: "Projects",
        href: Some("/projects"),
        key: "projects",
    },
    NavItem {
        zh: "月报调度",
        en: "Monthly reports",
        href: Some("/reports"),
        key: "reports",
    },
    NavItem {
        zh: "红黄绿灯",
        en: "Warning lights",
        href: Some("/lights"),
        key: "lights",
    },
    NavItem {
        zh: "调度会",
        en: "Scheduling meetings",
        href: Some("/meetings"),
        key: "meetings",
    },
    NavItem {
        zh: "问题清单",
        en: "Problems",
        href: Some("/problems"),
        key: "problems",
    },
    NavItem {
        zh: "督办",
        en: "Supervised tasks",
        href: Some("/tasks"),
        key: "tasks",
    },
    NavItem {
        zh: "擂台赛",
        en: "Arenas",
        href: Some("/arenas"),
        key: "arenas",
    },
    NavItem {
        zh: "攻坚战",
        en: "Campaigns",
        href: Some("/campaigns"),
        key: "campaigns",
    },
    NavItem {
        zh: "通报",
        en: "Bulletins",
        href: Some("/bulletin"),
        key: "bulletins",
    },
    NavItem {
        zh: "驾驶舱",
        en: "Cockpit",
        href: Some("/cockpit"),
        key: "cockpit",
    },
];

impl Chrome {
    /// Chrome for `me` with the sidebar entry `active` highlighted.
    pub fn new(me: &Me, active: &'static str, title: String) -> Chrome {
        let a = &me.actor.access;
        let mut admin = Vec::new();
        let mut add = |ok: bool, zh, en, href, key| {
            if ok {
                admin.push(NavItem {
                    zh,
                    en,
                    href: Some(href),
                    key,
                });
            }
        };
        add(
            a.has(Permission::OrgRead),
            "行政区划",
            "Divisions",
            "/org/divisions",
            "divisions",
        );
        add(
            a.has(Permission::OrgRead),
            "单位",
            "Units",
            "/org/units",
            "units",
        );
        add(
            a.has(Permission::OrgRead),
            "市级领导",
            "Leaders",
            "/org/leaders",
            "leaders",
        );
        add(
            a.has(Permission::UserRead),
            "用户",
            "Users",
            "/admin/users",
            "users",
        );
        add(
            a.has(Permission::RoleRead),
            "角色与数据范围",
            "Roles",
            "/admin/roles",
            "roles",
        );
        add(
            a.has(Permission::AuditRead),
            "审计日志",
            "Audit log",
            "/audit",
            "audit",
        );
        add(
            a.has(Permission::ProjectAdmin),
            "台账列名",
            "Ledger columns",
            "/admin/synonyms",
            "synonyms",
        );
        add(
            a.has(Permission::ReportAdmin),
            "预警规则与工作日",
            "Light rule and calendar",
            "/admin/reporting",
            "reporting",
        );
        Chrome {
            l: me.lang,
            title,
            active,
            user_name: me.user.name.clone(),
            unit_name: me.user.unit_name.clone(),
            csrf: me.user.csrf_token.clone(),
            modules: MODULES
                .iter()
                .filter(|m| {
                    !matches!(
                        m.key,
                        "projects" | "reports" | "lights" | "bulletins" | "cockpit" | "campaigns"
                    ) || a.has(Permission::ProjectRead)
                })
                .cloned()
                .collect(),
            admin,
        }
    }

    /// Picks the text of the page's language.
    pub fn t<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        self.l.t(zh, en)
    }

    /// Picks a message in the page's language.
    pub fn msg<'a>(&self, m: &'a Msg) -> &'a str {
        self.l.t(&m.zh, &m.en)
    }
}

/// Renders a form page: 422 when it shows an error, else 200.
pub fn respond<T: Template>(t: &T, failed: bool) -> Response {
    let status = if failed {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    (status, render(t)).into_response()
}

/// Renders a template into a response (a 500 page if the template fails).
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    msg: &'a Msg,
}

/// A bilingual error page.
pub fn error_page(status: StatusCode, msg: &Msg) -> Response {
    (
        status,
        render(&ErrorPage {
            status: status.as_u16(),
            msg,
        }),
    )
        .into_response()
}

/// A timestamp as Beijing time, `2026-10-15 14:03`.
pub fn fmt_time(t: &DateTime<Utc>) -> String {
    t.with_timezone(&FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// An optional timestamp, `—` when absent.
pub fn fmt_opt_time(t: &Option<DateTime<Utc>>) -> String {
    t.as_ref().map_or_else(|| "—".into(), fmt_time)
}

/// A form error shown above a form: message plus the field at fault.
#[derive(Debug, Clone)]
pub struct FormError {
    /// Message in the page's language.
    pub text: String,
    /// Field name, to highlight.
    pub field: String,
}

impl FormError {
    /// From a handler error, in language `l`.
    pub fn of(e: &crate::AppError, l: Lang) -> FormError {
        FormError {
            text: l.t(&e.msg.zh, &e.msg.en).to_string(),
            field: e.field.unwrap_or("").to_string(),
        }
    }
}

/// Pagination numbers for list pages.
#[derive(Debug, Clone)]
pub struct Pager {
    /// Current page.
    pub page: i64,
    /// Page count.
    pub pages: i64,
    /// Matching rows.
    pub total: i64,
    /// Page size.
    pub size: i64,
    /// The current query string without `page`, to build links.
    pub base: String,
}

impl Pager {
    /// Pager for a result.
    pub fn new(total: i64, page: i64, size: i64, query_without_page: String) -> Pager {
        Pager {
            page,
            pages: ((total + size - 1) / size).max(1),
            total,
            size,
            base: query_without_page,
        }
    }

    /// Link to page `p`.
    pub fn link(&self, p: &i64) -> String {
        format!(
            "?{}page={p}",
            if self.base.is_empty() {
                String::new()
            } else {
                format!("{}&", self.base)
            }
        )
    }
}

/// A ticked checkbox filter as a query value (`true`), nothing when unticked.
pub fn ticked(v: Option<bool>) -> Option<String> {
    (v == Some(true)).then(|| "true".to_string())
}

/// Rebuilds a query string from pairs, skipping empty values and `page`.
pub fn query_without_page(pairs: &[(&str, Option<String>)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().filter_map(|(k, v)| {
            v.as_ref()
                .filter(|v| !v.is_empty())
                .map(|v| (*k, v.as_str()))
        }))
        .finish()
}

/// A url-encoded form body as ordered pairs: repeated fields (checkboxes) allowed.
#[derive(Debug, Clone, Default)]
pub struct Pairs(pub Vec<(String, String)>);

impl Pairs {
    /// The first value of a field, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    }

    /// The value of a field, `None` when absent or blank.
    pub fn opt(&self, name: &str) -> Option<String> {
        Some(self.get(name)).filter(|v| !v.is_empty())
    }

    /// Every value of a repeated field.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Whether a checkbox was ticked.
    pub fn checked(&self, name: &str) -> bool {
        matches!(self.get(name).as_str(), "on" | "true" | "1")
    }
}

impl<S: Send + Sync> axum::extract::FromRequest<S> for Pairs {
    type Rejection = Response;
    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Pairs, Response> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Pairs(
            form_urlencoded::parse(&bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        ))
    }
}

/// Runs `$body` (which uses `&mut $tx`) in a write transaction and commits it; yields
/// `Result<T, StoreError>`.
#[macro_export]
macro_rules! in_tx {
    ($db:expr, |$tx:ident| $body:expr) => {
        async {
            let mut $tx = $db.begin().await?;
            let r = $body;
            $tx.commit().await?;
            Ok::<_, gongjian_store::StoreError>(r)
        }
        .await
    };
}
