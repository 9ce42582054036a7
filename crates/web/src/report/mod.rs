//! Monthly reporting pages: a unit's to-report list, the report form (phone-friendly,
//! with photos), review, lock and amendment, the office's periods and period board, the
//! lights board with drill-down and the "why" of each light, the rule and calendar
//! settings, and the in-app inbox.

pub mod api;
pub mod import;
mod lights;
mod periods;
mod settings;

pub use lights::progress_export;
use lights::*;
use periods::*;
use settings::*;

use crate::i18n::Lang;
use crate::session::Me;
use crate::view::{self, Chrome, FormError, Pairs};
use crate::{AppError, AppState, in_tx};
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use gongjian_domain::access::Permission;
use gongjian_domain::money;
use gongjian_domain::progress::{self as pg, Light, LightRule};
use gongjian_domain::report::{Action, Flag, Status};
use gongjian_store::StoreError;
use gongjian_store::report::{
    self as rs, BoardRow, Group, LightFilter, LightRow, NewPhoto, Period, ReportFilter,
    ReportInput, ReportView, ToReport,
};
use serde::Deserialize;

/// Largest report form with photos (bytes).
pub const MAX_FORM: usize = rs::MAX_PHOTOS * rs::MAX_PHOTO_BYTES + 256 * 1024;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reports", get(list_page))
        .route(
            "/reports/import",
            get(import::import_page)
                .post(import::import_upload)
                .layer(DefaultBodyLimit::max(
                    crate::project::MAX_UPLOAD + 64 * 1024,
                )),
        )
        .route("/reports/import/{upload}", post(import::import_confirm))
        .route(
            "/reports/{project}/{period}",
            get(report_page)
                .post(report_submit)
                .layer(DefaultBodyLimit::max(MAX_FORM)),
        )
        .route("/reports/{id}/review", post(review_submit))
        .route("/reports/{id}/amend", post(amend_submit))
        .route("/photos/{id}", get(photo))
        .route("/periods", get(periods_page).post(open_submit))
        .route("/periods/{period}", get(board_page))
        .route("/periods/{period}/remind", post(remind_submit))
        .route("/periods/{period}/lights", post(recompute_submit))
        .route("/periods/{period}/close", post(close_submit))
        .route("/periods/{period}/deadline", post(deadline_submit))
        .route("/lights", get(lights_page))
        .route("/lights/export", get(export_page))
        .route("/lights/{period}/{project}", get(why_page))
        .route("/admin/reporting", get(settings_page))
        .route("/admin/reporting/rule", post(rule_submit))
        .route("/admin/reporting/calendar", post(calendar_submit))
        .route("/projects/{id}/location", post(location_submit))
        .route("/notices", get(notices_page))
        .route("/notices/read", post(notices_read))
        .merge(api::router())
}

fn period_of(raw: &str) -> Result<(i32, u32), AppError> {
    rs::parse_period(raw).map_err(|e| AppError::from(StoreError::from(e)))
}

fn key(y: i32, m: u32) -> String {
    format!("{y}-{m:02}")
}

fn status_label(l: Lang, s: Option<&str>) -> String {
    match s.map(Status::parse) {
        Some(Ok(st)) => l
            .t(
                st.zh(),
                match st {
                    Status::Draft => "Draft",
                    Status::Submitted => "Submitted",
                    Status::Returned => "Returned",
                    Status::Approved => "Approved",
                    Status::Locked => "Locked",
                },
            )
            .to_string(),
        _ => l.t("未填报", "Not started").to_string(),
    }
}

fn light_label(l: Lang, s: &str) -> String {
    let light = Light::parse(s).unwrap_or(Light::None);
    l.t(
        light.zh(),
        match light {
            Light::Green => "Green",
            Light::Yellow => "Yellow",
            Light::Red => "Red",
            Light::None => "No plan",
        },
    )
    .to_string()
}

fn ratio_text(bp: Option<i64>) -> String {
    bp.map_or("—".into(), pg::pct)
}

fn wan_opt(v: Option<i64>) -> String {
    v.map_or("—".into(), money::wan_grouped)
}

/// The period a page shows: the one asked for, else the newest open one, else the
/// newest one, else this month.
async fn pick_period(st: &AppState, raw: Option<&str>) -> Result<(i32, u32), AppError> {
    if let Some(r) = raw.filter(|s| !s.trim().is_empty()) {
        return period_of(r);
    }
    if let Some(p) = rs::latest_open(&st.db).await? {
        return Ok((p.year as i32, p.month as u32));
    }
    if let Some(p) = rs::periods(&st.db).await?.into_iter().next() {
        return Ok((p.year as i32, p.month as u32));
    }
    let (y, m) = gongjian_domain::project::year_month(chrono::Local::now().date_naive());
    Ok((y, m))
}

// ---------------------------------------------------------------- to-report list

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    period: Option<String>,
    status: Option<String>,
    q: Option<String>,
    division_code: Option<String>,
}

struct ListRow {
    r: ToReport,
    status: String,
    amount: String,
    updated: String,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ListPage {
    c: Chrome,
    period: String,
    p: Option<Period>,
    periods: Vec<String>,
    rows: Vec<ListRow>,
    q: ListQuery,
    counts: (usize, usize, usize),
}

async fn list_page(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let (y, m) = pick_period(&st, q.period.as_deref()).await?;
    // Units fill in; reviewers and readers see the same list of what is due.
    let perm = if me.actor.access.has(Permission::ReportWrite) {
        Permission::ReportWrite
    } else {
        Permission::ProjectRead
    };
    let f = ReportFilter {
        division_code: q.division_code.clone(),
        status: q.status.clone(),
        q: q.q.clone(),
    };
    let rows = rs::to_report(&st.db, &me.actor, perm, y, m, &f).await?;
    let l = me.lang;
    let counts = (
        rows.len(),
        rows.iter()
            .filter(|r| {
                r.status
                    .as_deref()
                    .is_some_and(|s| Status::parse(s).is_ok_and(Status::counts))
            })
            .count(),
        rows.iter().filter(|r| r.late == Some(true)).count(),
    );
    let rows = rows
        .into_iter()
        .map(|r| ListRow {
            status: status_label(l, r.status.as_deref()),
            amount: wan_opt(r.month_amount.filter(|_| r.status.is_some())),
            updated: view::fmt_opt_time(&r.updated_at),
            r,
        })
        .collect();
    let page = ListPage {
        c: Chrome::new(&me, "reports", l.t("月报填报", "Monthly reports").into()),
        period: key(y, m),
        p: rs::period(&st.db, y, m).await?,
        periods: rs::periods(&st.db).await?.iter().map(Period::key).collect(),
        rows,
        q,
        counts,
    };
    Ok(view::render(&page))
}

// ---------------------------------------------------------------- the report

struct PhotoView {
    id: i64,
    name: String,
    taken: String,
    gps: String,
    size: String,
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    c: Chrome,
    v: ReportView,
    period: String,
    status: String,
    input: ReportInput,
    photos: Vec<PhotoView>,
    flags: Vec<Flag>,
    steps: Vec<(String, String)>,
    cum_year: String,
    since_start: String,
    month_plan: String,
    annual_plan: String,
    total: String,
    submitted_at: String,
    can_edit: bool,
    can_review: bool,
    can_lock: bool,
    can_amend: bool,
    error: Option<FormError>,
    saved: Option<String>,
    versions: Vec<(i64, String, String, String, String)>,
    light: Option<LightRow>,
}

fn input_of_report(v: &ReportView) -> ReportInput {
    match &v.report {
        Some(r) => ReportInput {
            month_amount_wan: if r.version == 0 {
                String::new()
            } else {
                money::wan(r.month_amount)
            },
            progress_text: r.progress_text.clone(),
            milestone: r.milestone.clone(),
            started: r.started,
            start_date: r.start_date.map(|d| d.to_string()),
            problems: r.problems.clone(),
            next_steps: gongjian_domain::report::steps_text(&r.steps()),
            note: r.note.clone(),
        },
        None => ReportInput {
            started: v.project.started,
            start_date: v.project.start_date.map(|d| d.to_string()),
            milestone: v.last.as_ref().and_then(|r| r.milestone.clone()),
            ..Default::default()
        },
    }
}

fn allowed(me: &Me, p: Permission, v: &ReportView) -> bool {
    me.actor.access.has(p)
        && v.project
            .scope_units()
            .iter()
            .any(|u| me.actor.access.scope(p).allows(*u, None))
}

#[derive(Debug, Default, Deserialize)]
struct SavedQ {
    saved: Option<String>,
}

async fn report_page(
    State(st): State<AppState>,
    me: Me,
    Path((project, period)): Path<(i64, String)>,
    Query(s): Query<SavedQ>,
) -> Result<Response, AppError> {
    let (y, m) = period_of(&period)?;
    render_report(&st, &me, project, y, m, None, None, s.saved).await
}

#[allow(clippy::too_many_arguments)]
async fn render_report(
    st: &AppState,
    me: &Me,
    project: i64,
    y: i32,
    m: u32,
    input: Option<ReportInput>,
    error: Option<FormError>,
    saved: Option<String>,
) -> Result<Response, AppError> {
    let v = rs::view(&st.db, &me.actor, project, y, m).await?;
    let l = me.lang;
    let state = v.report.as_ref().map(|r| r.state());
    let open = v.period.as_ref().is_some_and(Period::is_open);
    let can_edit =
        open && allowed(me, Permission::ReportWrite, &v) && state.is_none_or(Status::editable);
    let can_review = (allowed(me, Permission::ReportReview, &v)
        || allowed(me, Permission::ReportAdmin, &v))
        && matches!(state, Some(Status::Submitted) | Some(Status::Approved));
    let can_lock = allowed(me, Permission::ReportAdmin, &v)
        && matches!(state, Some(Status::Submitted) | Some(Status::Approved));
    let can_amend = allowed(me, Permission::ReportAdmin, &v) && state == Some(Status::Locked);
    let photos = v
        .photos
        .iter()
        .map(|p| PhotoView {
            id: p.id,
            name: p.name.clone(),
            taken: p.taken.map_or_else(
                || l.t("无拍摄时间", "no time").into(),
                |t| t.format("%Y-%m-%d %H:%M").to_string(),
            ),
            gps: p
                .gps_text()
                .unwrap_or_else(|| l.t("无位置信息", "no position").into()),
            size: format!("{:.0} KB", p.size as f64 / 1024.0),
        })
        .collect();
    let flags = v.report.as_ref().map(|r| r.flag_list()).unwrap_or_default();
    let steps = v
        .report
        .as_ref()
        .map(|r| {
            r.steps()
                .into_iter()
                .map(|s| (s.what, s.due.map(|d| d.to_string()).unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    let versions = v
        .versions
        .iter()
        .map(|x| {
            let action = gongjian_domain::report::Action::parse(&x.action)
                .map_or(x.action.clone(), |a| l.t(a.zh(), a.as_str()).to_string());
            (
                x.version,
                action,
                status_label(l, Some(&x.status)),
                format!("{} · {}", x.actor_name, view::fmt_time(&x.at)),
                x.reason.clone().unwrap_or_default(),
            )
        })
        .collect();
    let light = rs::light_of(&st.db, &me.actor, y, m, project)
        .await?
        .map(|(r, _)| r);
    let page = ReportPage {
        c: Chrome::new(
            me,
            "reports",
            format!(
                "{} · {}{}",
                v.project.name,
                key(y, m),
                l.t(" 月报", " report")
            ),
        ),
        period: key(y, m),
        status: status_label(l, v.report.as_ref().map(|r| r.status.as_str())),
        input: input.unwrap_or_else(|| input_of_report(&v)),
        photos,
        flags,
        steps,
        cum_year: money::wan_grouped(v.cum_year),
        since_start: money::wan_grouped(v.since_start),
        month_plan: wan_opt(v.plan.and_then(|p| p.0)),
        annual_plan: wan_opt(v.plan.map(|p| p.1)),
        total: money::wan_grouped(v.project.total_investment),
        submitted_at: view::fmt_opt_time(&v.report.as_ref().and_then(|r| r.submitted_at)),
        can_edit,
        can_review,
        can_lock,
        can_amend,
        error,
        saved,
        versions,
        light,
        v,
    };
    Ok(view::respond(&page, page.error.is_some()))
}

fn bad_upload(e: impl std::fmt::Display) -> AppError {
    AppError::from(StoreError::from(gongjian_domain::DomainError::new(
        "photos",
        format!("上传失败（照片过大或网络中断），请重试：{e}"),
        format!("Upload failed (photo too large or connection lost): {e}"),
    )))
}

/// Reads the multipart report form: fields, photos (checked by type and size) and
/// photos to remove.
async fn read_form(mut mp: Multipart) -> Result<(Pairs, Vec<NewPhoto>, Vec<i64>), AppError> {
    let mut pairs = Vec::new();
    let mut photos = Vec::new();
    let mut remove = Vec::new();
    while let Some(field) = mp.next_field().await.map_err(bad_upload)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "photos" {
            let file = field.file_name().unwrap_or("photo.jpg").to_string();
            let bytes = field.bytes().await.map_err(bad_upload)?;
            if bytes.is_empty() {
                continue;
            }
            let i = gongjian_office::photo::inspect(&file, &bytes, rs::MAX_PHOTO_BYTES)
                .map_err(|e| AppError::from(StoreError::from(e)))?;
            photos.push(NewPhoto {
                name: file,
                mime: i.mime.to_string(),
                bytes: bytes.to_vec(),
                taken: i.taken,
                gps: i.gps,
            });
        } else {
            let text = field.text().await.map_err(bad_upload)?;
            if name == "remove_photo" {
                if let Ok(id) = text.trim().parse() {
                    remove.push(id);
                }
            } else {
                pairs.push((name, text));
            }
        }
    }
    Ok((Pairs(pairs), photos, remove))
}

fn report_input(p: &Pairs) -> ReportInput {
    ReportInput {
        month_amount_wan: p.get("month_amount_wan"),
        progress_text: p.get("progress_text"),
        milestone: p.opt("milestone"),
        started: p.checked("started"),
        start_date: p.opt("start_date"),
        problems: p.opt("problems"),
        next_steps: p.get("next_steps"),
        note: p.opt("note"),
    }
}

async fn report_submit(
    State(st): State<AppState>,
    me: Me,
    Path((project, period)): Path<(i64, String)>,
    mp: Multipart,
) -> Result<Response, AppError> {
    let (y, m) = period_of(&period)?;
    let (pairs, photos, remove) = match read_form(mp).await {
        Ok(x) => x,
        Err(e) if e.field.is_some() => {
            let fe = FormError::of(&e, me.lang);
            return render_report(&st, &me, project, y, m, None, Some(fe), None).await;
        }
        Err(e) => return Err(e),
    };
    let input = report_input(&pairs);
    let action = if pairs.get("action") == "submit" {
        Action::Submit
    } else {
        Action::Save
    };
    match in_tx!(st.db, |tx| rs::save(
        &mut tx, &me.actor, project, y, m, &input, photos, &remove, action
    )
    .await?)
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/reports/{project}/{}?saved={}",
            key(y, m),
            action.as_str()
        ))
        .into_response()),
        Err(e) => {
            let e = AppError::from(e);
            if e.field.is_none() {
                return Err(e);
            }
            let fe = FormError::of(&e, me.lang);
            render_report(&st, &me, project, y, m, Some(input), Some(fe), None).await
        }
    }
}

async fn review_submit(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    p: Pairs,
) -> Result<Response, AppError> {
    let (project, y, m) = rs::locate(&st.db, id)
        .await?
        .ok_or_else(|| StoreError::not_found("月报", "report", id))?;
    let action = Action::parse(&p.get("action")).unwrap_or(Action::Approve);
    let reason = p.opt("reason");
    match in_tx!(st.db, |tx| rs::review(
        &mut tx,
        &me.actor,
        id,
        action,
        reason.as_deref()
    )
    .await?)
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/reports/{project}/{}?saved={}",
            key(y as i32, m as u32),
            action.as_str()
        ))
        .into_response()),
        Err(e) => {
            let e = AppError::from(e);
            if e.field.is_none() {
                return Err(e);
            }
            let fe = FormError::of(&e, me.lang);
            render_report(&st, &me, project, y as i32, m as u32, None, Some(fe), None).await
        }
    }
}

async fn amend_submit(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    p: Pairs,
) -> Result<Response, AppError> {
    let (project, y, m) = rs::locate(&st.db, id)
        .await?
        .ok_or_else(|| StoreError::not_found("月报", "report", id))?;
    let input = report_input(&p);
    let reason = p.get("reason");
    match in_tx!(st.db, |tx| rs::amend(
        &mut tx, &me.actor, id, &input, &reason
    )
    .await?)
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/reports/{project}/{}?saved=amend",
            key(y as i32, m as u32)
        ))
        .into_response()),
        Err(e) => {
            let e = AppError::from(e);
            if e.field.is_none() {
                return Err(e);
            }
            let fe = FormError::of(&e, me.lang);
            render_report(
                &st,
                &me,
                project,
                y as i32,
                m as u32,
                Some(input),
                Some(fe),
                None,
            )
            .await
        }
    }
}

async fn photo(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (mime, bytes) = rs::photo(&st.db, &me.actor, id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "private, max-age=86400".to_string()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        bytes,
    )
        .into_response())
}
