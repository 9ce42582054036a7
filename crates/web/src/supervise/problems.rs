//! Problem pages: the list with filters, raising a problem, a problem with its steps and
//! the forms of the step the viewer may take, the overdue board with per-unit
//! statistics, and the settings (routing table, notification channels).

use super::{attachment_response, body_limit, read_form};
use crate::session::Me;
use crate::view::{self, Chrome, FormError, Pager, Pairs};
use crate::{AppError, AppState, in_tx};
use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use gongjian_domain::access::Permission;
use gongjian_domain::problem::{Category, Source, Status, Tier};
use gongjian_store::attachment::{self, Attachment, Owner};
use gongjian_store::notify::{self, Channel};
use gongjian_store::problem::{
    self as pb, Problem, ProblemFilter, RaiseInput, Route, Step, StepInput, UnitStats,
};
use gongjian_store::{Page, StoreError};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/problems",
            get(list_page).post(raise_submit).layer(body_limit()),
        )
        .route("/problems/new", get(new_page))
        .route("/problems/board", get(board_page))
        .route("/problems/export.xlsx", get(export_xlsx))
        .route("/problems/routes", post(route_submit))
        .route("/problems/policy", post(policy_submit))
        .route("/problems/channels", post(channel_submit))
        .route("/problems/channels/{id}/delete", post(channel_delete))
        .route("/problems/{id}", get(problem_page))
        .route("/problems/{id}/step", post(step_submit).layer(body_limit()))
        .route("/problems/{id}/reroute", post(reroute_submit))
        .route("/problems/{id}/attachments/{aid}", get(download))
}

/// Query of the list page.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct ListQuery {
    status: Option<String>,
    category: Option<String>,
    tier: Option<String>,
    source: Option<String>,
    overdue: Option<String>,
    project_id: Option<String>,
    unit_id: Option<String>,
    q: Option<String>,
    page: Option<i64>,
}

impl ListQuery {
    fn filter(&self) -> ProblemFilter {
        let blank = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
        ProblemFilter {
            status: blank(&self.status),
            category: blank(&self.category),
            tier: blank(&self.tier),
            source: blank(&self.source),
            overdue: self
                .overdue
                .as_deref()
                .map(|v| v == "1" || v == "true")
                .filter(|v| *v),
            project_id: self
                .project_id
                .as_deref()
                .and_then(|v| v.trim().parse().ok()),
            unit_id: self.unit_id.as_deref().and_then(|v| v.trim().parse().ok()),
            q: blank(&self.q),
        }
    }
    fn base(&self) -> String {
        view::query_without_page(&[
            ("status", self.status.clone()),
            ("category", self.category.clone()),
            ("tier", self.tier.clone()),
            ("source", self.source.clone()),
            ("overdue", self.overdue.clone()),
            ("project_id", self.project_id.clone()),
            ("unit_id", self.unit_id.clone()),
            ("q", self.q.clone()),
        ])
    }
}

/// A row as shown.
pub(crate) struct Row {
    pub p: Problem,
    pub overdue_days: i64,
}

fn rows(items: Vec<Problem>, today: chrono::NaiveDate) -> Vec<Row> {
    items
        .into_iter()
        .map(|p| Row {
            overdue_days: p.overdue_days(today),
            p,
        })
        .collect()
}

fn choices<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    zh: fn(T) -> &'static str,
) -> Vec<(&'static str, &'static str)> {
    all.iter().map(|v| (code(*v), zh(*v))).collect()
}

#[derive(Template)]
#[template(path = "problems.html")]
struct ListPage {
    c: Chrome,
    q: ListQuery,
    rows: Vec<Row>,
    pager: Pager,
    funnel: Vec<(String, &'static str, i64)>,
    statuses: Vec<(&'static str, &'static str)>,
    categories: Vec<(&'static str, &'static str)>,
    tiers: Vec<(&'static str, &'static str)>,
    sources: Vec<(&'static str, &'static str)>,
    can_raise: bool,
}

fn status_zh(s: &str) -> &'static str {
    match s {
        "overdue" => "逾期",
        s => Status::parse(s).map_or("", Status::zh),
    }
}

async fn list_page(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let today = gongjian_store::today();
    let page = Page::new(q.page, Some(30));
    let r = pb::list(&st.db, &me.actor, &q.filter(), page, today).await?;
    let funnel = pb::funnel(&st.db, &me.actor, today)
        .await?
        .into_iter()
        .map(|(s, n)| {
            let zh = status_zh(&s);
            (s, zh, n)
        })
        .collect();
    let pager = Pager::new(r.total, r.page, r.size, q.base());
    let page = ListPage {
        c: Chrome::new(&me, "problems", me.lang.t("问题清单", "Problems").into()),
        rows: rows(r.items, today),
        pager,
        funnel,
        statuses: choices(Status::ALL, Status::as_str, Status::zh),
        categories: choices(Category::ALL, Category::as_str, Category::zh),
        tiers: choices(Tier::ALL, Tier::as_str, Tier::zh),
        sources: choices(Source::ALL, Source::as_str, Source::zh),
        can_raise: me.actor.access.has(Permission::ProblemWrite),
        q,
    };
    Ok(view::render(&page))
}

async fn export_xlsx(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let today = gongjian_store::today();
    let items = pb::all(&st.db, &me.actor, &q.filter(), today).await?;
    let rows: Vec<Vec<String>> = items
        .iter()
        .enumerate()
        .map(|(i, p)| {
            vec![
                (i + 1).to_string(),
                p.project_name.clone(),
                p.division_name.clone(),
                p.category_zh().into(),
                p.description.clone(),
                p.raiser_unit.clone(),
                p.tier_zh().into(),
                p.acting_unit().into(),
                p.status_zh().into(),
                p.deadline.map(|d| d.to_string()).unwrap_or_default(),
                match p.overdue_days(today) {
                    0 => String::new(),
                    n => n.to_string(),
                },
                p.reply_text.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let cols = [
        ("序号", 6.0),
        ("项目", 24.0),
        ("所在地", 10.0),
        ("类别", 10.0),
        ("问题", 36.0),
        ("提出单位", 18.0),
        ("层级", 10.0),
        ("办理单位", 18.0),
        ("状态", 12.0),
        ("时限", 12.0),
        ("逾期天数", 9.0),
        ("答复", 30.0),
    ];
    let bytes = gongjian_office::table_export::to_xlsx(
        &format!("问题清单（截至{today}）"),
        "问题清单",
        &cols,
        &rows,
    )
    .map_err(|e| StoreError::Config(format!("xlsx: {e}")))?;
    Ok(crate::project::download(crate::project::ledger::Export {
        bytes,
        content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        file_name: format!("问题清单-{today}.xlsx"),
    }))
}

#[derive(Template)]
#[template(path = "problem_new.html")]
struct NewPage {
    c: Chrome,
    projects: Vec<(i64, String)>,
    project_id: Option<i64>,
    categories: Vec<(&'static str, &'static str)>,
    sources: Vec<(&'static str, &'static str)>,
    values: Pairs,
    error: Option<FormError>,
}

#[derive(Debug, Default, serde::Deserialize)]
struct NewQuery {
    project: Option<i64>,
    source: Option<String>,
    source_ref: Option<String>,
    description: Option<String>,
}

async fn render_new(
    st: &AppState,
    me: &Me,
    project_id: Option<i64>,
    values: Pairs,
    error: Option<FormError>,
) -> Result<Response, AppError> {
    me.actor
        .access
        .require(Permission::ProblemWrite)
        .map_err(StoreError::from)?;
    let list = gongjian_store::project::list(
        &st.db,
        &me.actor,
        &gongjian_store::project::ProjectFilter::default(),
        Page::new(None, Some(Page::MAX_SIZE)),
    )
    .await?;
    let projects = list
        .items
        .into_iter()
        .map(|p| (p.id, format!("{}（{}）", p.name, p.division_name)))
        .collect();
    let admin = me.actor.access.has(Permission::ProblemAdmin);
    let sources = Source::ALL
        .iter()
        .filter(|s| admin || !s.is_rectification())
        .map(|s| (s.as_str(), s.zh()))
        .collect();
    let page = NewPage {
        c: Chrome::new(
            me,
            "problems",
            me.lang.t("提出问题", "Raise a problem").into(),
        ),
        projects,
        project_id,
        categories: choices(Category::ALL, Category::as_str, Category::zh),
        sources,
        values,
        error,
    };
    Ok(view::respond(&page, page.error.is_some()))
}

async fn new_page(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<NewQuery>,
) -> Result<Response, AppError> {
    // Prefilled from a monthly report's problem text (月报 → 问题清单).
    let mut values = Vec::new();
    for (k, v) in [
        ("source", q.source),
        ("source_ref", q.source_ref),
        ("description", q.description),
    ] {
        if let Some(v) = v {
            values.push((k.to_string(), v));
        }
    }
    render_new(&st, &me, q.project, Pairs(values), None).await
}

async fn raise_submit(
    State(st): State<AppState>,
    me: Me,
    mp: Multipart,
) -> Result<Response, AppError> {
    let (p, files) = match read_form(mp).await {
        Ok(x) => x,
        Err(e) if e.field.is_some() => {
            return render_new(
                &st,
                &me,
                None,
                Pairs::default(),
                Some(FormError::of(&e, me.lang)),
            )
            .await;
        }
        Err(e) => return Err(e),
    };
    let input = RaiseInput {
        project_id: p.get("project_id").trim().parse().unwrap_or(0),
        category: p.get("category"),
        description: p.get("description"),
        need: p.get("need"),
        source: p.opt("source"),
        source_ref: p.opt("source_ref"),
    };
    let today = gongjian_store::today();
    let r = in_tx!(st.db, |tx| {
        let x = pb::raise(&mut tx, &me.actor, &input, today).await?;
        for (name, bytes) in &files {
            attachment::add(&mut tx, &me.actor, Owner::Problem(x.id), name, bytes).await?;
        }
        x
    });
    match r.map_err(AppError::from) {
        Ok(x) => Ok(Redirect::to(&format!("/problems/{}", x.id)).into_response()),
        Err(e) if e.field.is_some() || e.status == StatusCode::NOT_FOUND => {
            let pid = Some(input.project_id).filter(|i| *i > 0);
            render_new(&st, &me, pid, p, Some(FormError::of(&e, me.lang))).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "problem.html")]
struct ProblemPage {
    c: Chrome,
    p: Problem,
    overdue_days: i64,
    steps: Vec<Step>,
    files: Vec<Attachment>,
    /// Step forms the viewer may use.
    can_handle: bool,
    can_verify: bool,
    can_admin: bool,
    units: Vec<(String, String)>,
    tiers: Vec<(&'static str, &'static str)>,
    error: Option<FormError>,
}

async fn render_problem(
    st: &AppState,
    me: &Me,
    id: i64,
    error: Option<FormError>,
) -> Result<Response, AppError> {
    let p = pb::get(&st.db, &me.actor, id).await?;
    let steps = pb::steps(&st.db, id).await?;
    let files = attachment::list(&st.db, Owner::Problem(id)).await?;
    let a = &me.actor.access;
    let ws = a.scope(Permission::ProblemWrite);
    let open = p.status().is_open();
    let handler = a.has(Permission::ProblemWrite)
        && (ws.allows(Some(p.handler_unit_id), None)
            || p.assignee_unit_id.is_some_and(|u| ws.allows(Some(u), None)));
    let can_handle = open && p.status() != Status::Solved && handler;
    let can_verify = p.status() == Status::Solved
        && a.has(Permission::ProblemWrite)
        && me.actor.unit_id == Some(p.raiser_unit_id);
    let can_admin = open && a.has(Permission::ProblemAdmin);
    let units = if can_handle || can_admin {
        gongjian_store::project::unit_choices(&st.db).await?
    } else {
        Vec::new()
    };
    let page = ProblemPage {
        c: Chrome::new(
            me,
            "problems",
            format!("{} · {}", me.lang.t("问题", "Problem"), p.id),
        ),
        overdue_days: p.overdue_days(gongjian_store::today()),
        p,
        steps,
        files,
        can_handle,
        can_verify,
        can_admin,
        units,
        tiers: choices(Tier::ALL, Tier::as_str, Tier::zh),
        error,
    };
    Ok(view::respond(&page, page.error.is_some()))
}

async fn problem_page(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    render_problem(&st, &me, id, None).await
}

async fn step_submit(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, AppError> {
    let (p, files) = match read_form(mp).await {
        Ok(x) => x,
        Err(e) if e.field.is_some() => {
            return render_problem(&st, &me, id, Some(FormError::of(&e, me.lang))).await;
        }
        Err(e) => return Err(e),
    };
    let input = StepInput {
        action: p.get("action"),
        note: p.get("note"),
        assignee: p.opt("assignee"),
        reply_kind: p.opt("reply_kind"),
        reply_by: p.opt("reply_by"),
    };
    let today = gongjian_store::today();
    let r = in_tx!(st.db, |tx| {
        pb::act(&mut tx, &me.actor, id, &input, today).await?;
        for (name, bytes) in &files {
            attachment::add(&mut tx, &me.actor, Owner::Problem(id), name, bytes).await?;
        }
    });
    match r.map_err(AppError::from) {
        Ok(()) => Ok(Redirect::to(&format!("/problems/{id}")).into_response()),
        Err(e) if e.field.is_some() => {
            render_problem(&st, &me, id, Some(FormError::of(&e, me.lang))).await
        }
        Err(e) => Err(e),
    }
}

async fn reroute_submit(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    p: Pairs,
) -> Result<Response, AppError> {
    let (tier, unit, reason) = (p.get("tier"), p.opt("unit"), p.get("reason"));
    let today = gongjian_store::today();
    let r = in_tx!(st.db, |tx| pb::reroute(
        &mut tx,
        &me.actor,
        id,
        &tier,
        unit.as_deref(),
        &reason,
        today
    )
    .await?);
    match r.map_err(AppError::from) {
        Ok(_) => Ok(Redirect::to(&format!("/problems/{id}")).into_response()),
        Err(e) if e.field.is_some() => {
            render_problem(&st, &me, id, Some(FormError::of(&e, me.lang))).await
        }
        Err(e) => Err(e),
    }
}

async fn download(
    State(st): State<AppState>,
    me: Me,
    Path((id, aid)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    pb::get(&st.db, &me.actor, id).await?;
    let (a, bytes) = attachment::get(&st.db, Owner::Problem(id), aid).await?;
    Ok(attachment_response(a, bytes))
}

#[derive(Template)]
#[template(path = "problem_board.html")]
struct BoardPage {
    c: Chrome,
    overdue: Vec<Row>,
    stats: Vec<UnitStats>,
    funnel: Vec<(String, &'static str, i64)>,
    can_admin: bool,
    routes: Vec<(&'static str, &'static str, Option<Route>)>,
    departments: Vec<(String, String)>,
    channels: Vec<Channel>,
    kinds: Vec<(&'static str, &'static str)>,
    last_run: Option<String>,
    policy: gongjian_domain::problem::Policy,
    error: Option<FormError>,
}

async fn render_board(
    st: &AppState,
    me: &Me,
    error: Option<FormError>,
) -> Result<Response, AppError> {
    let today = gongjian_store::today();
    let late = ProblemFilter {
        overdue: Some(true),
        ..Default::default()
    };
    let overdue = rows(
        pb::list(&st.db, &me.actor, &late, Page::new(None, Some(200)), today)
            .await?
            .items,
        today,
    );
    let stats = pb::unit_stats(&st.db, &me.actor, today).await?;
    let funnel = pb::funnel(&st.db, &me.actor, today)
        .await?
        .into_iter()
        .map(|(s, n)| {
            let zh = status_zh(&s);
            (s, zh, n)
        })
        .collect();
    let can_admin = me.actor.access.has(Permission::ProblemAdmin);
    let (mut routes, mut departments, mut channels) = (Vec::new(), Vec::new(), Vec::new());
    if can_admin {
        let stored = pb::routes(&st.db).await?;
        routes = Category::ALL
            .iter()
            .map(|c| {
                (
                    c.as_str(),
                    c.zh(),
                    stored.iter().find(|r| r.category == c.as_str()).cloned(),
                )
            })
            .collect();
        departments = gongjian_store::project::unit_choices(&st.db).await?;
        channels = notify::channels(&st.db).await?;
    }
    let last_run = gongjian_store::jobs::last_run(&st.db)
        .await?
        .map(|(at, day, n)| {
            format!(
                "{}（按 {day} 计，{n} 项）",
                at.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("offset"))
                    .format("%Y-%m-%d %H:%M")
            )
        });
    let page = BoardPage {
        c: Chrome::new(
            me,
            "problems",
            me.lang.t("逾期督办看板", "Overdue board").into(),
        ),
        overdue,
        stats,
        funnel,
        can_admin,
        routes,
        departments,
        channels,
        kinds: notify::KINDS.to_vec(),
        last_run,
        policy: pb::policy(&st.db).await?,
        error,
    };
    Ok(view::respond(&page, page.error.is_some()))
}

async fn board_page(State(st): State<AppState>, me: Me) -> Result<Response, AppError> {
    render_board(&st, &me, None).await
}

async fn admin_then(
    st: &AppState,
    me: &Me,
    r: Result<(), StoreError>,
) -> Result<Response, AppError> {
    match r.map_err(AppError::from) {
        Ok(()) => Ok(Redirect::to("/problems/board#settings").into_response()),
        Err(e) if e.field.is_some() => render_board(st, me, Some(FormError::of(&e, me.lang))).await,
        Err(e) => Err(e),
    }
}

async fn route_submit(State(st): State<AppState>, me: Me, p: Pairs) -> Result<Response, AppError> {
    let (cat, unit) = (p.get("category"), p.get("unit"));
    let r = in_tx!(st.db, |tx| pb::set_route(&mut tx, &me.actor, &cat, &unit)
        .await?);
    admin_then(&st, &me, r).await
}

async fn policy_submit(State(st): State<AppState>, me: Me, p: Pairs) -> Result<Response, AppError> {
    let (a, r) = (p.get("accept_days"), p.get("reply_days"));
    let res = in_tx!(st.db, |tx| {
        pb::set_policy(&mut tx, &me.actor, &a, &r).await?;
    });
    admin_then(&st, &me, res).await
}

async fn channel_submit(
    State(st): State<AppState>,
    me: Me,
    p: Pairs,
) -> Result<Response, AppError> {
    let (kind, name, target, secret) = (
        p.get("kind"),
        p.get("name"),
        p.get("target"),
        p.get("secret"),
    );
    let r = in_tx!(st.db, |tx| {
        notify::add_channel(&mut tx, &me.actor, &kind, &name, &target, &secret).await?;
    });
    admin_then(&st, &me, r).await
}

async fn channel_delete(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let r = in_tx!(st.db, |tx| notify::remove_channel(&mut tx, &me.actor, id)
        .await?);
    admin_then(&st, &me, r).await
}
