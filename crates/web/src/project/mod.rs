//! The project registry: list, project page, forms, plan, milestones, stage changes,
//! ledger import with preview, exports, column synonyms, and the JSON API.

pub mod api;
pub(crate) mod import;
pub mod ledger;
mod list;

use api::*;
use import::*;
use list::*;

use crate::error::ApiResult;
use crate::i18n::Lang;
use crate::session::Me;
use crate::view::{self, Chrome, FormError, Pager, Pairs};
use crate::{AppError, AppState, in_tx};
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use gongjian_domain::access::Permission;
use gongjian_domain::money;
use gongjian_domain::project::{
    self as dp, Category, KNOWN_TAGS, Level, Nature, ProjectInput, Stage,
};
use gongjian_office::ledger::FIELDS;
use gongjian_store::division::{self, DivisionFilter};
use gongjian_store::project::{self, Detail, MilestoneInput, Project, ProjectFilter, ProjectItem};
use gongjian_store::sql::Paged;
use gongjian_store::{Page, StoreError};
use ledger::ImportReport;
use serde::{Deserialize, Serialize};

/// Largest workbook accepted for import (bytes).
pub const MAX_UPLOAD: usize = gongjian_office::table::MAX_FILE_BYTES as usize;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/projects", get(list_page).post(create_submit))
        .route("/projects/new", get(new_page))
        .route("/projects/export", get(export_download))
        .route("/projects/template.xlsx", get(template_download))
        .route(
            "/projects/import",
            get(import_page)
                .post(import_upload)
                .layer(DefaultBodyLimit::max(MAX_UPLOAD + 64 * 1024)),
        )
        .route("/projects/import/{upload}", post(import_confirm))
        .route("/projects/plans/copy", post(copy_submit))
        .route("/projects/{id}", get(detail_page).post(edit_submit))
        .route("/projects/{id}/edit", get(edit_page))
        .route("/projects/{id}/stage", post(stage_submit))
        .route("/projects/{id}/tax", post(tax_submit))
        .route("/projects/{id}/plan", post(plan_submit))
        .route("/projects/{id}/milestones", post(milestones_submit))
        .route("/admin/synonyms", get(synonyms_page).post(synonym_add))
        .route("/admin/synonyms/{id}/delete", post(synonym_delete))
        .route("/api/v1/projects", get(api_list).post(api_create))
        .route("/api/v1/projects/export", get(api_export))
        .route(
            "/api/v1/projects/import",
            post(api_import).layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route("/api/v1/projects/plans/copy-forward", post(api_copy))
        .route("/api/v1/projects/{id}", get(api_get).put(api_update))
        .route("/api/v1/projects/{id}/stage", post(api_stage))
        .route("/api/v1/projects/{id}/plans/{year}", put(api_plan))
        .route("/api/v1/projects/{id}/tax/{year}", put(api_tax))
        .route("/api/v1/projects/{id}/milestones", put(api_milestones))
}

/// Options of a closed vocabulary: (identifier, label).
type Options = Vec<(String, String)>;

fn vocab<T: Copy>(
    all: &[T],
    id: impl Fn(T) -> &'static str,
    zh: impl Fn(T) -> &'static str,
    en: impl Fn(T) -> &'static str,
    l: Lang,
) -> Options {
    all.iter()
        .map(|v| (id(*v).to_string(), l.t(zh(*v), en(*v)).to_string()))
        .collect()
}

fn levels(l: Lang) -> Options {
    vocab(Level::ALL, Level::as_str, Level::zh, Level::en, l)
}
fn stages(l: Lang) -> Options {
    vocab(Stage::ALL, Stage::as_str, Stage::zh, Stage::en, l)
}
fn categories(l: Lang) -> Options {
    vocab(
        Category::ALL,
        Category::as_str,
        Category::zh,
        Category::en,
        l,
    )
}
fn natures(l: Lang) -> Options {
    vocab(Nature::ALL, Nature::as_str, Nature::zh, Nature::en, l)
}

fn label(opts: &Options, id: &str) -> String {
    opts.iter()
        .find(|(k, _)| k == id)
        .map_or(id.to_string(), |(_, v)| v.clone())
}

async fn division_options(st: &AppState, me: &Me) -> Result<Options, AppError> {
    if !me.actor.access.has(Permission::OrgRead) {
        return Ok(Vec::new());
    }
    Ok(
        division::list(&st.db, &me.actor, &DivisionFilter::default())
            .await?
            .into_iter()
            .filter(|d| d.kind != "town")
            .map(|d| (d.code, d.name))
            .collect(),
    )
}

async fn leader_options(st: &AppState) -> Result<Options, AppError> {
    // Leaders are public within the government: every project user may pick one.
    let rows = project::leader_choices(&st.db).await?;
    Ok(rows
        .into_iter()
        .map(|(id, n, t)| (id.to_string(), format!("{n}（{t}）")))
        .collect())
}

fn tag_options(l: Lang) -> Options {
    KNOWN_TAGS
        .iter()
        .map(|(id, zh, en)| (id.to_string(), l.t(zh, en).to_string()))
        .collect()
}

/// One year's plan for display.
pub struct PlanView {
    /// Year.
    pub year: i64,
    /// 万元.
    pub annual: String,
    /// 万元 per month (— when not given).
    pub months: Vec<String>,
    /// The months do not add up.
    pub mismatch: bool,
    /// Chart data: months and cumulative, 万元.
    pub chart: String,
}

/// A milestone with its backward schedule.
pub struct NodeView {
    /// The node.
    pub m: gongjian_store::project::Milestone,
    /// Latest start (倒排), if scheduled.
    pub latest_start: Option<chrono::NaiveDate>,
    /// Days until the latest start.
    pub countdown: Option<i64>,
    /// done / overdue / due / planned
    pub status: &'static str,
}

fn plan_views(d: &Detail, l: Lang) -> Vec<PlanView> {
    d.plans
        .iter()
        .map(|p| {
            let months = p.months();
            let cum = dp::cumulative(p.annual, &months);
            let to_wan = |y: i64| money::wan(y).parse::<f64>().unwrap_or(0.0);
            let chart = serde_json::json!({
                "names": (1..=12).map(|m| format!("{m}{}", l.t("月", ""))).collect::<Vec<_>>(),
                "values": months.iter().map(|m| m.map(to_wan)).collect::<Vec<_>>(),
                "line": cum.iter().map(|c| to_wan(*c)).collect::<Vec<_>>(),
                "bar_name": l.t("月度计划", "Monthly plan"),
                "line_name": l.t("累计计划（序时目标）", "Cumulative plan"),
                "unit": l.t("万元", "10k yuan"),
            });
            PlanView {
                year: p.year,
                annual: money::wan_grouped(p.annual),
                months: months
                    .iter()
                    .map(|m| m.map_or("—".into(), money::wan_grouped))
                    .collect(),
                mismatch: p.mismatch,
                chart: chart.to_string(),
            }
        })
        .collect()
}

fn node_views(d: &Detail) -> Vec<NodeView> {
    let today = chrono::Local::now().date_naive();
    // Backward scheduling runs from the last planned date through the durations.
    let target = d.milestones.iter().rev().find_map(|m| m.planned_date);
    let durations: Vec<u32> = d
        .milestones
        .iter()
        .map(|m| m.duration_days.unwrap_or(0).max(0) as u32)
        .collect();
    let sched = target.map(|t| dp::backward_schedule(t, &durations, today));
    d.milestones
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let s = sched.as_ref().and_then(|s| s.get(i));
            let status = if m.actual_date.is_some() {
                "done"
            } else if m.planned_date.is_some_and(|p| p < today) {
                "overdue"
            } else if s.is_some_and(|s| s.countdown_days <= 0) {
                "due"
            } else {
                "planned"
            };
            NodeView {
                m: m.clone(),
                latest_start: s.map(|s| s.latest_start),
                countdown: s.map(|s| s.countdown_days),
                status,
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "project.html")]
struct DetailPage {
    c: Chrome,
    d: Detail,
    level: String,
    stage: String,
    category: String,
    nature: String,
    total: String,
    land: String,
    tags: Vec<String>,
    plans: Vec<PlanView>,
    nodes: Vec<NodeView>,
    next_stages: Options,
    stage_labels: Options,
    can_write: bool,
    error: Option<FormError>,
    saved: bool,
    plan_year: i64,
    problems: gongjian_store::problem::Countdown,
    can_raise: bool,
    /// (year, tax 万元, per mu 万元 or —, note, entered by)
    taxes: Vec<(i64, String, String, String, String)>,
}

impl DetailPage {
    fn stage_label(&self, id: &str) -> String {
        label(&self.stage_labels, id)
    }
}

#[derive(Debug, Default, Deserialize)]
struct Saved {
    saved: Option<String>,
}

async fn detail_page(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    Query(s): Query<Saved>,
) -> Result<Response, AppError> {
    render_detail(&st, &me, id, None, s.saved.is_some()).await
}

async fn render_detail(
    st: &AppState,
    me: &Me,
    id: i64,
    error: Option<FormError>,
    saved: bool,
) -> Result<Response, AppError> {
    let d = project::detail(&st.db, &me.actor, id).await?;
    let l = me.lang;
    let sg = stages(l);
    let stage = Stage::parse(&d.project.stage).unwrap_or(Stage::Reserve);
    let next_stages = Stage::ALL
        .iter()
        .filter(|s| stage.may_move_to(**s))
        .map(|s| (s.as_str().to_string(), l.t(s.zh(), s.en()).to_string()))
        .collect();
    let can_write = me.actor.access.has(Permission::ProjectWrite)
        && me.actor.access.scope(Permission::ProjectWrite).all
        || d.project.scope_units().iter().any(|u| {
            me.actor
                .access
                .scope(Permission::ProjectWrite)
                .allows(*u, None)
        });
    let problems = gongjian_store::problem::countdown(
        &st.db,
        &me.actor,
        d.project.id,
        gongjian_store::today(),
    )
    .await?;
    let taxes = project::taxes(&st.db, d.project.id)
        .await?
        .into_iter()
        .map(|t| {
            let per = match d.project.land_mu {
                Some(l) if l > 0 => {
                    money::wan_grouped((i128::from(t.amount) * 100 / i128::from(l)) as i64)
                }
                _ => "—".into(),
            };
            (
                t.year,
                money::wan_grouped(t.amount),
                per,
                t.note,
                t.entered_by,
            )
        })
        .collect();
    let page = DetailPage {
        taxes,
        problems,
        can_raise: me.actor.access.has(Permission::ProblemWrite),
        c: Chrome::new(me, "projects", d.project.name.clone()),
        level: label(&levels(l), &d.project.level),
        stage: label(&sg, &d.project.stage),
        category: label(&categories(l), &d.project.category),
        nature: label(&natures(l), &d.project.nature),
        total: money::wan_grouped(d.project.total_investment),
        land: d.project.land_mu.map_or("—".into(), money::mu),
        tags: d
            .tags
            .iter()
            .map(|t| dp::tag_label(t, l == Lang::Zh))
            .collect(),
        plans: plan_views(&d, l),
        nodes: node_views(&d),
        next_stages,
        stage_labels: sg,
        can_write,
        error,
        saved,
        plan_year: project::this_year(),
        d,
    };
    Ok(view::respond(&page, page.error.is_some()))
}

#[derive(Template)]
#[template(path = "project_form.html")]
struct FormPage {
    c: Chrome,
    editing: Option<Project>,
    input: ProjectInput,
    divisions: Options,
    units: Options,
    leaders: Options,
    levels: Options,
    stages: Options,
    categories: Options,
    natures: Options,
    tags: Options,
    campaigns: String,
    members: String,
    cooperators: String,
    error: Option<FormError>,
}

async fn unit_options(st: &AppState) -> Result<Options, AppError> {
    Ok(project::unit_choices(&st.db).await?)
}

async fn form_page(
    st: &AppState,
    me: &Me,
    editing: Option<Project>,
    input: ProjectInput,
    error: Option<FormError>,
) -> Result<Response, AppError> {
    let l = me.lang;
    let title = editing
        .as_ref()
        .map_or(l.t("新增项目", "New project").to_string(), |p| {
            p.name.clone()
        });
    let campaigns = input
        .tags
        .iter()
        .filter_map(|t| t.strip_prefix("campaign:"))
        .collect::<Vec<_>>()
        .join("、");
    let leaders: Options = leader_options(st)
        .await?
        .into_iter()
        .map(|(_, label)| (label.split('（').next().unwrap_or("").to_string(), label))
        .collect();
    let page = FormPage {
        c: Chrome::new(me, "projects", title),
        editing,
        members: input.members.join("\n"),
        cooperators: input.cooperating_units.join("、"),
        campaigns,
        divisions: division_options(st, me).await?,
        units: unit_options(st).await?,
        leaders,
        levels: levels(l),
        stages: stages(l),
        categories: categories(l),
        natures: natures(l),
        tags: tag_options(l),
        input,
        error,
    };
    Ok(view::respond(&page, page.error.is_some()))
}

fn input_of(p: &Pairs) -> ProjectInput {
    let split = |s: String| -> Vec<String> {
        s.split(['、', '，', ',', '\n', ';', '；'])
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    };
    let mut tags: Vec<String> = p
        .all("tags")
        .into_iter()
        .filter(|t| !t.is_empty())
        .collect();
    tags.extend(
        split(p.get("campaigns"))
            .into_iter()
            .map(|c| format!("campaign:{c}")),
    );
    let year = |k: &str| p.get(k).parse::<i64>().ok();
    ProjectInput {
        code: p.opt("code"),
        name: p.get("name"),
        level: p.get("level"),
        category: p.get("category"),
        nature: p.get("nature"),
        stage: p.get("stage"),
        division: p.get("division"),
        owner_name: p.opt("owner_name"),
        owner_credit_code: p.opt("owner_credit_code"),
        responsible_unit: p.opt("responsible_unit"),
        cooperating_units: split(p.get("cooperating_units")),
        contact_leader: p.opt("contact_leader"),
        members: p
            .get("members")
            .lines()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        plan_doc: p.opt("plan_doc"),
        total_investment_wan: p.opt("total_investment_wan"),
        start_year: year("start_year"),
        end_year: year("end_year"),
        land_mu: p.opt("land_mu"),
        started: Some(p.checked("started")),
        start_date: p.opt("start_date"),
        tags,
        description: p.opt("description"),
        ..Default::default()
    }
}

/// The stored project as a form input (no plan: plans have their own form).
fn input_from(d: &Detail) -> ProjectInput {
    let p = &d.project;
    ProjectInput {
        code: p.code.clone(),
        name: p.name.clone(),
        level: p.level.clone(),
        category: p.category.clone(),
        nature: p.nature.clone(),
        stage: p.stage.clone(),
        division: p.division_code.clone(),
        owner_name: p.owner_name.clone(),
        owner_credit_code: p.owner_credit_code.clone(),
        responsible_unit: p.responsible_unit_code.clone(),
        cooperating_units: d.cooperators.iter().map(|(c, _)| c.clone()).collect(),
        contact_leader: p.contact_leader.clone(),
        members: d.members.clone(),
        plan_doc: p.plan_doc.clone(),
        total_investment_wan: Some(money::wan(p.total_investment)),
        start_year: p.start_year,
        end_year: p.end_year,
        land_mu: p.land_mu.map(money::mu),
        started: Some(p.started),
        start_date: p.start_date.map(|d| d.to_string()),
        tags: d.tags.clone(),
        description: p.description.clone(),
        sort: Some(p.sort),
        ..Default::default()
    }
}

async fn retry(
    st: &AppState,
    me: &Me,
    editing: Option<Project>,
    input: ProjectInput,
    e: StoreError,
) -> Result<Response, AppError> {
    let e = AppError::from(e);
    if e.field.is_none() {
        return Err(e);
    }
    form_page(st, me, editing, input, Some(FormError::of(&e, me.lang))).await
}

async fn new_page(State(st): State<AppState>, me: Me) -> Result<Response, AppError> {
    me.actor
        .access
        .require(Permission::ProjectWrite)
        .map_err(StoreError::from)?;
    let input = ProjectInput {
        level: "city".into(),
        category: "industrial".into(),
        nature: "new".into(),
        stage: "preparation".into(),
        ..Default::default()
    };
    form_page(&st, &me, None, input, None).await
}

async fn create_submit(State(st): State<AppState>, me: Me, p: Pairs) -> Result<Response, AppError> {
    let input = input_of(&p);
    match in_tx!(st.db, |tx| project::create(&mut tx, &me.actor, &input)
        .await?)
    {
        Ok(p) => Ok(Redirect::to(&format!("/projects/{}?saved=1", p.id)).into_response()),
        Err(e) => retry(&st, &me, None, input, e).await,
    }
}

async fn edit_page(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let d = project::detail(&st.db, &me.actor, id).await?;
    let input = input_from(&d);
    form_page(&st, &me, Some(d.project), input, None).await
}

async fn edit_submit(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    p: Pairs,
) -> Result<Response, AppError> {
    let d = project::detail(&st.db, &me.actor, id).await?;
    let mut input = input_of(&p);
    // The stage changes through its own form, with a date and a note.
    input.stage = d.project.stage.clone();
    input.sort = Some(d.project.sort);
    match in_tx!(st.db, |tx| project::update(&mut tx, &me.actor, id, &input)
        .await?)
    {
        Ok(_) => Ok(Redirect::to(&format!("/projects/{id}?saved=1")).into_response()),
        Err(e) => retry(&st, &me, Some(d.project), input, e).await,
    }
}

async fn detail_retry(
    st: &AppState,
    me: &Me,
    id: i64,
    e: StoreError,
) -> Result<Response, AppError> {
    let e = AppError::from(e);
    if e.field.is_none() {
        return Err(e);
    }
    render_detail(st, me, id, Some(FormError::of(&e, me.lang)), false).await
}

async fn stage_submit(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    p: Pairs,
) -> Result<Response, AppError> {
    project::get(&st.db, &me.actor, id, Permission::ProjectRead).await?;
    let (to, on, note) = (p.get("stage"), p.opt("on_date"), p.opt("note"));
    match in_tx!(st.db, |tx| project::change_stage(
        &mut tx,
        &me.actor,
        id,
        &to,
        on.as_deref(),
        note.as_deref()
    )
    .await?)
    {
        Ok(_) => Ok(Redirect::to(&format!("/projects/{id}?saved=1")).into_response()),
        Err(e) => detail_retry(&st, &me, id, e).await,
    }
}

async fn tax_submit(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    p: Pairs,
) -> Result<Response, AppError> {
    project::get(&st.db, &me.actor, id, Permission::ProjectRead).await?;
    let year = match p.get("year").trim().parse::<i64>() {
        Ok(y) => y,
        Err(_) => {
            let e = gongjian_domain::DomainError::new(
                "tax_year",
                "请填写税收年度（如 2025）。",
                "Give the tax year (e.g. 2025).",
            );
            return detail_retry(&st, &me, id, e.into()).await;
        }
    };
    let (amount, note) = (p.get("amount_wan"), p.get("note"));
    match in_tx!(st.db, |tx| project::set_tax(
        &mut tx, &me.actor, id, year, &amount, &note
    )
    .await?)
    {
        Ok(_) => Ok(Redirect::to(&format!("/projects/{id}?saved=1#tax")).into_response()),
        Err(e) => detail_retry(&st, &me, id, e).await,
    }
}

async fn plan_submit(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    p: Pairs,
) -> Result<Response, AppError> {
    project::get(&st.db, &me.actor, id, Permission::ProjectRead).await?;
    let year = p
        .get("year")
        .parse::<i64>()
        .unwrap_or_else(|_| project::this_year());
    let months: Vec<Option<String>> = (1..=12).map(|m| p.opt(&format!("m{m}"))).collect();
    let months = if months.iter().all(Option::is_none) {
        Vec::new()
    } else {
        months
    };
    let (annual, allow) = (p.get("annual_wan"), p.checked("allow_mismatch"));
    match in_tx!(st.db, |tx| project::set_plan(
        &mut tx, &me.actor, id, year, &annual, &months, allow
    )
    .await?)
    {
        Ok(_) => Ok(Redirect::to(&format!("/projects/{id}?saved=1#plan")).into_response()),
        Err(e) => detail_retry(&st, &me, id, e).await,
    }
}

async fn milestones_submit(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    p: Pairs,
) -> Result<Response, AppError> {
    project::get(&st.db, &me.actor, id, Permission::ProjectRead).await?;
    let names = p.all("name");
    let durs = p.all("duration_days");
    let planned = p.all("planned_date");
    let actual = p.all("actual_date");
    let nodes: Vec<MilestoneInput> = names
        .iter()
        .enumerate()
        .map(|(i, n)| MilestoneInput {
            name: n.clone(),
            duration_days: durs.get(i).and_then(|d| d.trim().parse().ok()),
            planned_date: planned.get(i).cloned(),
            actual_date: actual.get(i).cloned(),
            note: None,
        })
        .collect();
    match in_tx!(st.db, |tx| project::set_milestones(
        &mut tx, &me.actor, id, &nodes
    )
    .await?)
    {
        Ok(_) => Ok(Redirect::to(&format!("/projects/{id}?saved=1#milestones")).into_response()),
        Err(e) => detail_retry(&st, &me, id, e).await,
    }
}

async fn copy_submit(State(st): State<AppState>, me: Me, p: Pairs) -> Result<Response, AppError> {
    let from = p
        .get("from")
        .parse::<i64>()
        .unwrap_or_else(|_| project::this_year());
    let n = in_tx!(st.db, |tx| project::copy_plans_forward(
        &mut tx, &me.actor, from
    )
    .await?)?;
    Ok(Redirect::to(&format!("/projects?year={}&copied={n}", from + 1)).into_response())
}

/// A file as a download with its (Chinese) name.
pub(crate) fn download(x: ledger::Export) -> Response {
    let disposition = format!(
        "attachment; filename*=UTF-8''{}",
        percent_encode(&x.file_name)
    );
    (
        [
            (header::CONTENT_TYPE, x.content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        x.bytes,
    )
        .into_response()
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn template_download(me: Me) -> Result<Response, AppError> {
    me.actor
        .access
        .require(Permission::ProjectRead)
        .map_err(StoreError::from)?;
    let year = project::this_year();
    Ok(download(ledger::Export {
        bytes: ledger::template(year),
        content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        file_name: format!("重点项目导入模板-{year}.xlsx"),
    }))
}
