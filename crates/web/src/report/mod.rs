//! Monthly reporting pages: a unit's to-report list, the report form (phone-friendly,
//! with photos), review, lock and amendment, the office's periods and period board, the
//! lights board with drill-down and the "why" of each light, the rule and calendar
//! settings, and the in-app inbox.

pub mod api;
pub mod import;

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
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
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
    Ok((status, view::render(&page)).into_response())
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

// ---------------------------------------------------------------- periods

#[derive(Template)]
#[template(path = "periods.html")]
struct PeriodsPage {
    c: Chrome,
    periods: Vec<Period>,
    can_admin: bool,
    next: String,
    next_deadline: String,
    error: Option<FormError>,
}

async fn periods_page(State(st): State<AppState>, me: Me) -> Result<Response, AppError> {
    render_periods(&st, &me, None).await
}

async fn render_periods(
    st: &AppState,
    me: &Me,
    error: Option<FormError>,
) -> Result<Response, AppError> {
    me.actor
        .access
        .require(Permission::ProjectRead)
        .map_err(StoreError::from)?;
    let periods = rs::periods(&st.db).await?;
    let (y, m) = match periods.first() {
        Some(p) if p.month == 12 => (p.year as i32 + 1, 1),
        Some(p) => (p.year as i32, p.month as u32 + 1),
        None => gongjian_domain::project::year_month(chrono::Local::now().date_naive()),
    };
    let cal = rs::calendar(&st.db).await?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = PeriodsPage {
        c: Chrome::new(
            me,
            "reports",
            me.lang.t("报送期", "Reporting periods").into(),
        ),
        periods,
        can_admin: me.actor.access.has(Permission::ReportAdmin),
        next: key(y, m),
        next_deadline: rs::default_deadline(&cal, y, m).to_string(),
        error,
    };
    Ok((status, view::render(&page)).into_response())
}

fn date_field(raw: Option<String>) -> Result<Option<NaiveDate>, StoreError> {
    match raw {
        None => Ok(None),
        Some(s) => gongjian_domain::project::parse_date(&s)
            .map(Some)
            .ok_or_else(|| {
                StoreError::from(gongjian_domain::DomainError::new(
                    "deadline",
                    format!("截止日期“{s}”不是日期，应如 2026-11-06。"),
                    format!("Deadline '{s}' is not a date (e.g. 2026-11-06)."),
                ))
            }),
    }
}

async fn open_submit(State(st): State<AppState>, me: Me, p: Pairs) -> Result<Response, AppError> {
    let r: Result<Period, StoreError> = async {
        let (y, m) = rs::parse_period(&p.get("period"))?;
        let deadline = date_field(p.opt("deadline"))?;
        let cal = rs::calendar(&st.db).await?;
        in_tx!(st.db, |tx| rs::open_period(
            &mut tx, &me.actor, y, m, deadline, &cal
        )
        .await?)
    }
    .await;
    match r {
        Ok(p) => Ok(Redirect::to(&format!("/periods/{}", p.key())).into_response()),
        Err(e) => {
            let e = AppError::from(e);
            if e.field.is_none() {
                return Err(e);
            }
            let fe = FormError::of(&e, me.lang);
            render_periods(&st, &me, Some(fe)).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct BoardQuery {
    division: Option<String>,
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "period.html")]
struct BoardPage {
    c: Chrome,
    p: Period,
    rows: Vec<BoardRow>,
    total: BoardRow,
    division: String,
    can_admin: bool,
    done: Option<String>,
    chart: String,
}

async fn board_page(
    State(st): State<AppState>,
    me: Me,
    Path(period): Path<String>,
    Query(q): Query<BoardQuery>,
) -> Result<Response, AppError> {
    let (y, m) = period_of(&period)?;
    let p = rs::period(&st.db, y, m)
        .await?
        .ok_or_else(|| StoreError::not_found("报送期", "period", key(y, m)))?;
    let division = q.division.clone().unwrap_or_default();
    let rows = rs::board(
        &st.db,
        &me.actor,
        y,
        m,
        Some(division.as_str()).filter(|s| !s.is_empty()),
    )
    .await?;
    let mut total = BoardRow {
        division_name: me.lang.t("合计", "Total").into(),
        ..Default::default()
    };
    for r in &rows {
        total.due += r.due;
        total.missing += r.missing;
        total.submitted += r.submitted;
        total.returned += r.returned;
        total.approved += r.approved;
        total.locked += r.locked;
        total.late += r.late;
    }
    let l = me.lang;
    let chart = serde_json::json!({
        "names": rows.iter().map(|r| r.division_name.clone()).collect::<Vec<_>>(),
        "stacks": [
            {"name": l.t("已锁定", "Locked"), "values": rows.iter().map(|r| r.locked).collect::<Vec<_>>(), "color": "#1b5e20"},
            {"name": l.t("已审核", "Approved"), "values": rows.iter().map(|r| r.approved).collect::<Vec<_>>(), "color": "#2e7d32"},
            {"name": l.t("已报送", "Submitted"), "values": rows.iter().map(|r| r.submitted).collect::<Vec<_>>(), "color": "#1565c0"},
            {"name": l.t("未报送", "Missing"), "values": rows.iter().map(|r| r.missing).collect::<Vec<_>>(), "color": "#c62828"},
        ],
        "unit": l.t("个", "projects"),
    });
    let page = BoardPage {
        c: Chrome::new(
            &me,
            "reports",
            format!("{} {}", p.key(), l.t("报送情况", "reporting board")),
        ),
        rows,
        total,
        division,
        can_admin: me.actor.access.has(Permission::ReportAdmin),
        done: q.done,
        chart: chart.to_string(),
        p,
    };
    Ok(view::render(&page))
}

async fn period_action(
    st: &AppState,
    me: &Me,
    period: &str,
    what: &str,
    p: &Pairs,
) -> Result<Response, AppError> {
    let (y, m) = period_of(period)?;
    let r: Result<String, StoreError> = match what {
        "remind" => in_tx!(st.db, |tx| rs::remind(&mut tx, &me.actor, y, m).await?)
            .map(|n| format!("remind:{n}")),
        "lights" => rs::recompute(&st.db, &me.actor, y, m)
            .await
            .map(|s| format!("lights:{}", s.projects)),
        "close" => in_tx!(st.db, |tx| rs::close_period(&mut tx, &me.actor, y, m)
            .await?)
        .map(|_| "close".to_string()),
        _ => {
            let d = date_field(p.opt("deadline"))?;
            match d {
                Some(d) => in_tx!(st.db, |tx| rs::set_deadline(&mut tx, &me.actor, y, m, d)
                    .await?)
                .map(|_| "deadline".to_string()),
                None => Err(StoreError::from(gongjian_domain::DomainError::new(
                    "deadline",
                    "请填写新的截止日期。",
                    "Enter the new deadline.",
                ))),
            }
        }
    };
    let done = r?;
    Ok(Redirect::to(&format!("/periods/{}?done={done}", key(y, m))).into_response())
}

async fn remind_submit(
    State(st): State<AppState>,
    me: Me,
    Path(period): Path<String>,
    p: Pairs,
) -> Result<Response, AppError> {
    period_action(&st, &me, &period, "remind", &p).await
}
async fn recompute_submit(
    State(st): State<AppState>,
    me: Me,
    Path(period): Path<String>,
    p: Pairs,
) -> Result<Response, AppError> {
    period_action(&st, &me, &period, "lights", &p).await
}
async fn close_submit(
    State(st): State<AppState>,
    me: Me,
    Path(period): Path<String>,
    p: Pairs,
) -> Result<Response, AppError> {
    period_action(&st, &me, &period, "close", &p).await
}
async fn deadline_submit(
    State(st): State<AppState>,
    me: Me,
    Path(period): Path<String>,
    p: Pairs,
) -> Result<Response, AppError> {
    period_action(&st, &me, &period, "deadline", &p).await
}

// ---------------------------------------------------------------- lights

#[derive(Debug, Default, Deserialize)]
struct LightsQuery {
    period: Option<String>,
    division: Option<String>,
    light: Option<String>,
}

struct GroupView {
    g: Group,
    light: String,
    annual: String,
    cumulative: String,
    target: String,
    ratio: String,
}

struct LightView {
    r: LightRow,
    label: String,
    annual: String,
    cumulative: String,
    target: String,
    ratio: String,
}

fn light_view(l: Lang, r: LightRow) -> LightView {
    LightView {
        label: light_label(l, &r.light),
        annual: wan_opt(r.annual),
        cumulative: money::wan_grouped(r.cumulative),
        target: wan_opt(r.target),
        ratio: ratio_text(r.ratio_bp),
        r,
    }
}

#[derive(Template)]
#[template(path = "lights.html")]
struct LightsPage {
    c: Chrome,
    period: String,
    periods: Vec<String>,
    groups: Vec<GroupView>,
    projects: Vec<LightView>,
    crumbs: Vec<(String, String)>,
    division: String,
    light: String,
    counts: [i64; 4],
    chart: String,
    computed: bool,
    total: i64,
}

/// The period's progress table as a printable workbook, for the chosen division's
/// subtree (all the caller may see when none).
pub async fn progress_export(
    db: &gongjian_store::Db,
    actor: &gongjian_store::Actor,
    year: i32,
    month: u32,
    division: Option<&str>,
) -> gongjian_store::Result<crate::project::ledger::Export> {
    use gongjian_office::progress_export::{self as px, DivisionTotal, ProgressRow};
    let t = rs::progress_table(db, actor, year, month, division).await?;
    let place = match division {
        Some(code) => rs::ancestors(db, code)
            .await?
            .first()
            .map(|(_, n)| n.clone())
            .unwrap_or_default(),
        None => t
            .groups
            .first()
            .and_then(|g| g.name.strip_suffix("本级"))
            .map(str::to_string)
            .unwrap_or_default(),
    };
    let title = format!("{place}{year}年1-{month}月重点项目投资完成情况及红黄绿灯");
    let rows: Vec<ProgressRow> = t
        .projects
        .iter()
        .map(|(section, r)| ProgressRow {
            section: section.clone(),
            code: r.code.clone().unwrap_or_default(),
            name: r.name.clone(),
            division_name: r.division_name.clone(),
            annual: r.annual,
            cumulative: r.cumulative,
            target: r.target,
            light: r.light.clone(),
            why: r.why.clone(),
        })
        .collect();
    let divisions: Vec<DivisionTotal> = t
        .groups
        .iter()
        .map(|g| DivisionTotal {
            name: g.name.clone(),
            totals: g.totals,
        })
        .collect();
    let rule = format!("{}（第 {} 版）", t.rule.name, t.rule_version);
    let bytes = px::to_xlsx(&rows, &divisions, &title, &rule, |x| x.light(&t.rule))
        .map_err(|e| StoreError::Config(format!("xlsx: {e}")))?;
    Ok(crate::project::ledger::Export {
        bytes,
        content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        file_name: format!("{place}{year}年{month}月序时进度.xlsx"),
    })
}

async fn export_page(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<LightsQuery>,
) -> Result<Response, AppError> {
    let (y, m) = pick_period(&st, q.period.as_deref()).await?;
    let division = q.division.as_deref().filter(|s| !s.is_empty());
    let x = progress_export(&st.db, &me.actor, y, m, division).await?;
    Ok(crate::project::download(x))
}

/// Most project rows the lights page lists at once.
const PROJECT_ROWS: i64 = 500;

async fn lights_page(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<LightsQuery>,
) -> Result<Response, AppError> {
    let (y, m) = pick_period(&st, q.period.as_deref()).await?;
    let l = me.lang;
    let division = q.division.clone().unwrap_or_default();
    let parent = Some(division.as_str()).filter(|s| !s.is_empty());
    let (mut groups, direct) = rs::division_groups(&st.db, &me.actor, y, m, parent).await?;
    // Projects placed in the division itself show as one more line (本级).
    if let Some(mut d) = direct {
        d.name = format!("{}{}", d.name, l.t("（本级）", " (itself)"));
        d.has_children = false;
        groups.push(d);
    }
    // Projects: the subtree of the chosen division (all when none), optionally by light,
    // worst first; a page shows at most PROJECT_ROWS of them.
    let f = LightFilter {
        division_code: parent.map(str::to_string),
        light: q.light.clone().filter(|s| !s.is_empty()),
        limit: Some(PROJECT_ROWS),
        ..Default::default()
    };
    let total = rs::count_lights(&st.db, &me.actor, y, m, &f).await?;
    let rows = rs::lights(&st.db, &me.actor, y, m, &f).await?;
    let mut counts = [0i64; 4];
    for g in &groups {
        for (c, n) in counts.iter_mut().zip(g.totals.lights) {
            *c += n;
        }
    }
    let computed = !groups.is_empty() || total > 0;
    if groups.is_empty() {
        for r in &rows {
            let i = match Light::parse(&r.light) {
                Some(Light::Green) => 0,
                Some(Light::Yellow) => 1,
                Some(Light::Red) => 2,
                _ => 3,
            };
            counts[i] += 1;
        }
    }
    let chart = serde_json::json!({
        "names": groups.iter().map(|g| g.name.clone()).collect::<Vec<_>>(),
        "stacks": [
            {"name": l.t("绿灯", "Green"), "values": groups.iter().map(|g| g.totals.lights[0]).collect::<Vec<_>>(), "color": "#2e7d32"},
            {"name": l.t("黄灯", "Yellow"), "values": groups.iter().map(|g| g.totals.lights[1]).collect::<Vec<_>>(), "color": "#f9a825"},
            {"name": l.t("红灯", "Red"), "values": groups.iter().map(|g| g.totals.lights[2]).collect::<Vec<_>>(), "color": "#c62828"},
        ],
        "unit": l.t("个", "projects"),
        "links": groups.iter().map(|g| if g.has_children { format!("/lights?period={}&division={}", key(y, m), g.key) } else { format!("/lights?period={}&division={}#projects", key(y, m), g.key) }).collect::<Vec<_>>(),
    });
    let groups = groups
        .into_iter()
        .map(|g| GroupView {
            light: light_label(l, g.light.as_str()),
            annual: money::wan_grouped(g.totals.annual),
            cumulative: money::wan_grouped(g.totals.cumulative),
            target: money::wan_grouped(g.totals.target),
            ratio: ratio_text(g.totals.ratio_bp()),
            g,
        })
        .collect();
    let crumbs = match parent {
        Some(code) => rs::ancestors(&st.db, code).await?,
        None => Vec::new(),
    };
    let page = LightsPage {
        c: Chrome::new(&me, "lights", l.t("红黄绿灯", "Warning lights").into()),
        period: key(y, m),
        periods: rs::periods(&st.db).await?.iter().map(Period::key).collect(),
        projects: rows.into_iter().map(|r| light_view(l, r)).collect(),
        groups,
        crumbs,
        division,
        light: q.light.unwrap_or_default(),
        counts,
        chart: chart.to_string(),
        computed,
        total,
    };
    Ok(view::render(&page))
}

#[derive(Template)]
#[template(path = "light.html")]
struct WhyPage {
    c: Chrome,
    period: String,
    v: LightView,
    rule: LightRule,
    pts: (String, String),
    inputs: String,
    history: Vec<(String, String, String, String)>,
}

async fn why_page(
    State(st): State<AppState>,
    me: Me,
    Path((period, project)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let (y, m) = period_of(&period)?;
    let (row, inputs) = rs::light_of(&st.db, &me.actor, y, m, project)
        .await?
        .ok_or_else(|| {
            StoreError::not_found("灯号", "light", format!("{project}/{}", key(y, m)))
        })?;
    let rule = rs::rule_version(&st.db, row.rule_version).await?;
    let l = me.lang;
    let history = rs::history(&st.db, &me.actor, project)
        .await?
        .into_iter()
        .map(|(yy, mm, light, why)| {
            (
                key(yy as i32, mm as u32),
                light.clone(),
                light_label(l, &light),
                why,
            )
        })
        .collect();
    let pretty = serde_json::from_str::<serde_json::Value>(&inputs)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or(inputs);
    let page = WhyPage {
        c: Chrome::new(
            &me,
            "lights",
            format!("{} · {}", row.name, l.t("亮灯原因", "why this light")),
        ),
        period: key(y, m),
        v: light_view(l, row),
        pts: (pg::points(rule.yellow_lag_bp), pg::points(rule.red_lag_bp)),
        rule,
        inputs: pretty,
        history,
    };
    Ok(view::render(&page))
}

// ---------------------------------------------------------------- settings

#[derive(Template)]
#[template(path = "reporting_settings.html")]
struct SettingsPage {
    c: Chrome,
    rule: LightRule,
    pts: (String, String),
    version: i64,
    versions: Vec<(i64, String, String)>,
    days: Vec<rs::CalendarDay>,
    error: Option<FormError>,
    saved: Option<String>,
}

async fn settings_page(
    State(st): State<AppState>,
    me: Me,
    Query(s): Query<SavedQ>,
) -> Result<Response, AppError> {
    render_settings(&st, &me, None, None, s.saved).await
}

async fn render_settings(
    st: &AppState,
    me: &Me,
    rule: Option<LightRule>,
    error: Option<FormError>,
    saved: Option<String>,
) -> Result<Response, AppError> {
    me.actor
        .access
        .require(Permission::ReportAdmin)
        .map_err(StoreError::from)?;
    let (version, cur) = rs::current_rule(&st.db).await?;
    let versions = rs::rule_versions(&st.db)
        .await?
        .into_iter()
        .map(|r| {
            (
                r.version,
                r.parsed().name,
                format!("{} · {}", r.actor_name, view::fmt_time(&r.created_at)),
            )
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let rule = rule.unwrap_or(cur);
    let page = SettingsPage {
        c: Chrome::new(
            me,
            "reporting",
            me.lang
                .t("预警规则与工作日", "Light rule and calendar")
                .into(),
        ),
        pts: (pg::points(rule.yellow_lag_bp), pg::points(rule.red_lag_bp)),
        rule,
        version,
        versions,
        days: rs::calendar_days(&st.db).await?,
        error,
        saved,
    };
    Ok((status, view::render(&page)).into_response())
}

fn points_bp(field: &'static str, raw: &str) -> Result<i64, StoreError> {
    let t = raw.trim();
    gongjian_domain::money::parse_scaled(t, 2)
        .and_then(|v| i64::try_from(v).ok())
        .ok_or_else(|| {
            StoreError::from(gongjian_domain::DomainError::new(
                field,
                format!("“{t}”应为百分点数，如 10 或 12.5。"),
                format!("'{t}' should be percentage points, e.g. 10 or 12.5."),
            ))
        })
}

fn int_field(field: &'static str, raw: &str) -> Result<i64, StoreError> {
    let t = raw.trim();
    t.parse::<i64>().map_err(|_| {
        StoreError::from(gongjian_domain::DomainError::new(
            field,
            format!("“{t}”应为整数。"),
            format!("'{t}' should be a whole number."),
        ))
    })
}

fn rule_of(p: &Pairs) -> Result<LightRule, StoreError> {
    Ok(LightRule {
        name: p.get("name"),
        yellow_lag_bp: points_bp("yellow_lag_bp", &p.get("yellow_lag"))?,
        red_lag_bp: points_bp("red_lag_bp", &p.get("red_lag"))?,
        not_started_red_months: int_field(
            "not_started_red_months",
            &p.get("not_started_red_months"),
        )?,
        milestone_yellow_days: int_field("milestone_yellow_days", &p.get("milestone_yellow_days"))?,
        milestone_red_days: int_field("milestone_red_days", &p.get("milestone_red_days"))?,
        overrun: p.get("overrun"),
        month_over_plan_factor: int_field(
            "month_over_plan_factor",
            &p.get("month_over_plan_factor"),
        )?,
        photo_max_distance_m: int_field("photo_max_distance_m", &p.get("photo_max_distance_m"))?,
    })
}

async fn rule_submit(State(st): State<AppState>, me: Me, p: Pairs) -> Result<Response, AppError> {
    let preset = p.get("preset");
    let rule = match preset.as_str() {
        "yinchuan" => Ok(LightRule::yinchuan()),
        "sanya" => Ok(LightRule::sanya()),
        _ => rule_of(&p),
    };
    let r = match rule {
        Ok(rule) => in_tx!(st.db, |tx| rs::set_rule(&mut tx, &me.actor, &rule).await?)
            .map_err(|e| (e, Some(rule))),
        Err(e) => Err((e, None)),
    };
    match r {
        Ok(v) => Ok(Redirect::to(&format!("/admin/reporting?saved=rule{v}")).into_response()),
        Err((e, rule)) => {
            let e = AppError::from(e);
            if e.field.is_none() {
                return Err(e);
            }
            let fe = FormError::of(&e, me.lang);
            render_settings(&st, &me, rule, Some(fe), None).await
        }
    }
}

async fn calendar_submit(
    State(st): State<AppState>,
    me: Me,
    p: Pairs,
) -> Result<Response, AppError> {
    let text = p.get("rows");
    match in_tx!(st.db, |tx| rs::calendar_put(&mut tx, &me.actor, &text)
        .await?)
    {
        Ok(n) => Ok(
            Redirect::to(&format!("/admin/reporting?saved=calendar{n}#calendar")).into_response(),
        ),
        Err(e) => {
            let e = AppError::from(e);
            if e.field.is_none() {
                return Err(e);
            }
            let fe = FormError::of(&e, me.lang);
            render_settings(&st, &me, None, Some(fe), None).await
        }
    }
}

async fn location_submit(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    p: Pairs,
) -> Result<Response, AppError> {
    let r: Result<(), StoreError> = async {
        let at = rs::parse_location(&p.get("location"))?;
        in_tx!(st.db, |tx| rs::set_location(&mut tx, &me.actor, id, at)
            .await?)
    }
    .await;
    r?;
    Ok(Redirect::to(&format!("/projects/{id}?saved=1")).into_response())
}

// ---------------------------------------------------------------- inbox

#[derive(Template)]
#[template(path = "notices.html")]
struct NoticesPage {
    c: Chrome,
    items: Vec<rs::Notice>,
}

async fn notices_page(State(st): State<AppState>, me: Me) -> Result<Response, AppError> {
    let items = rs::notices(&st.db, me.user.user_id).await?;
    let page = NoticesPage {
        c: Chrome::new(&me, "notices", me.lang.t("消息", "Inbox").into()),
        items,
    };
    Ok(view::render(&page))
}

async fn notices_read(State(st): State<AppState>, me: Me) -> Result<Response, AppError> {
    rs::mark_read(&st.db, me.user.user_id).await?;
    Ok(Redirect::to("/notices").into_response())
}
