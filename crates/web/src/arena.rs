//! Arena pages: the list, a period's scoreboard (stored revision or live), a
//! participant's explanation down to the projects and their reports, what-if, scoring and
//! publishing for the office, and the public, login-free pages of published results.

use crate::session::Me;
use crate::view::{self, Chrome, FormError, Pairs};
use crate::{AppError, AppState};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use gongjian_domain::access::Permission;
use gongjian_domain::arena::Period;
use gongjian_domain::money::wan_grouped;
use gongjian_store::StoreError;
use gongjian_store::arena::{
    self as ar, Arena, ArenaResult, Change, ParticipantResult, ProjectLine,
};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/arenas", get(list_page))
        .route("/arenas/{code}", get(board_page))
        .route("/arenas/{code}/{period}/save", post(save_submit))
        .route("/arenas/{code}/{period}/publish", post(publish_submit))
        .route("/arenas/{code}/{period}/entries", post(entry_submit))
        .route("/arenas/{code}/{period}/entries/{id}", post(review_submit))
        .route("/arenas/{code}/{period}/adjustments", post(adjust_submit))
        .route(
            "/arenas/{code}/{period}/photos",
            post(photo_submit).layer(axum::extract::DefaultBodyLimit::max(
                ar::MAX_PHOTO + 64 * 1024,
            )),
        )
        .route("/arenas/photos/{id}", get(photo_get))
        .route("/public/arenas/photos/{id}", get(public_photo))
        .route("/arenas/{code}/{period}/{unit}", get(explain_page))
        .route("/api/v1/arenas", get(api_list))
        .route("/api/v1/arenas/{code}/score", get(api_score))
        .route("/public/arenas", get(public_list))
        .route("/public/arenas/{code}/{period}", get(public_board))
}

fn flag_zh(f: &Option<String>) -> &'static str {
    match f.as_deref() {
        Some("red") => "红旗",
        Some("yellow") => "黄旗",
        Some("black") => "黑榜",
        _ => "",
    }
}

/// The period a page shows: the query's, else the newest published, else last month.
async fn pick_period(st: &AppState, arena: &Arena, q: Option<&str>) -> Result<Period, AppError> {
    if let Some(p) = q.filter(|p| !p.trim().is_empty()) {
        return Ok(Period::parse(p).map_err(StoreError::from)?);
    }
    if let Some(p) = ar::published_periods(&st.db, arena.id).await?.first() {
        return Ok(Period::parse(p).map_err(StoreError::from)?);
    }
    let (y, m) = gongjian_domain::project::year_month(gongjian_store::today());
    Ok(if m == 1 {
        Period::Month(y - 1, 12)
    } else {
        Period::Month(y, m - 1)
    })
}

#[derive(Template)]
#[template(path = "arenas.html")]
struct ListPage {
    c: Chrome,
    can_admin: bool,
    arenas: Vec<(Arena, Vec<String>)>,
}

async fn list_page(State(st): State<AppState>, me: Me) -> Result<Response, AppError> {
    me.actor
        .access
        .require(Permission::ProjectRead)
        .map_err(StoreError::from)?;
    let mut arenas = Vec::new();
    for a in ar::list(&st.db).await? {
        let p = ar::published_periods(&st.db, a.id).await?;
        arenas.push((a, p));
    }
    Ok(view::render(&ListPage {
        c: Chrome::new(&me, "arenas", me.lang.t("擂台赛", "Arenas").into()),
        can_admin: me.actor.access.has(Permission::ArenaAdmin),
        arenas,
    }))
}

#[derive(Debug, Default, serde::Deserialize)]
struct BoardQuery {
    period: Option<String>,
}

#[derive(Template)]
#[template(path = "arena.html")]
struct BoardPage {
    c: Chrome,
    a: Arena,
    r: ArenaResult,
    period: String,
    period_zh: String,
    /// "第 N 版（已发布）", "第 N 版（未发布）" or "实时计算，未保存".
    state: String,
    stale: bool,
    can_admin: bool,
    can_enter: bool,
    published: Vec<String>,
    /// Entered indicators: (code, name, the unit that enters it).
    entered: Vec<(String, String, String)>,
    entries: Vec<ar::EntryRow>,
    photos: Vec<ar::Photo>,
    has_flags: bool,
    error: Option<FormError>,
}

impl BoardPage {
    fn flag(&self, p: &ParticipantResult) -> &'static str {
        flag_zh(&p.flag)
    }
    fn year(&self) -> i32 {
        Period::parse(&self.period).map_or(2000, |p| p.year())
    }
}

async fn render_board(
    st: &AppState,
    me: &Me,
    code: &str,
    period: Option<&str>,
    error: Option<FormError>,
) -> Result<Response, AppError> {
    me.actor
        .access
        .require(Permission::ProjectRead)
        .map_err(StoreError::from)?;
    let a = ar::by_code(&st.db, code).await?;
    let p = pick_period(st, &a, period).await?;
    let live = ar::compute(&st.db, &a.code, &p.key(), &[]).await?;
    let stored = ar::latest(&st.db, &a, p).await?;
    let entered = ar::rule_for(&st.db, a.id, p)
        .await?
        .indicators
        .into_iter()
        .filter_map(|d| match d.source {
            ar::Source::Entered { unit } => Some((d.rule.code, d.rule.name, unit)),
            ar::Source::Measure { .. } => None,
        })
        .collect();
    let entries = ar::entries(&st.db, a.id, &p.key()).await?;
    let photos = ar::photos(&st.db, a.id, &p.key()).await?;
    let (r, state, stale) = match stored {
        Some((rev, published, r)) => {
            let stale = r != live;
            let s = format!(
                "第 {rev} 版（{}）",
                if published { "已发布" } else { "未发布" }
            );
            (r, s, stale)
        }
        None => (live, "实时计算，未保存".to_string(), false),
    };
    Ok(view::respond(
        &BoardPage {
            c: Chrome::new(me, "arenas", a.name.clone()),
            period: p.key(),
            period_zh: p.zh(),
            state,
            stale,
            can_admin: me.actor.access.has(Permission::ArenaAdmin),
            can_enter: me.actor.access.has(Permission::ArenaWrite),
            published: ar::published_periods(&st.db, a.id).await?,
            entered,
            entries,
            photos,
            has_flags: p.has_flags(),
            a,
            r,
            error: error.clone(),
        },
        error.is_some(),
    ))
}

async fn board_page(
    State(st): State<AppState>,
    me: Me,
    Path(code): Path<String>,
    Query(q): Query<BoardQuery>,
) -> Result<Response, AppError> {
    render_board(&st, &me, &code, q.period.as_deref(), None).await
}

/// Runs an office action on a period, then shows the scoreboard (or the error on it).
/// After a write on a period's board: back to the board (at `anchor`), or the board with
/// the error.
async fn board_then<T>(
    st: &AppState,
    me: &Me,
    code: &str,
    period: &str,
    anchor: &str,
    r: Result<T, StoreError>,
) -> Result<Response, AppError> {
    match r.map_err(AppError::from) {
        Ok(_) => {
            Ok(Redirect::to(&format!("/arenas/{code}?period={period}{anchor}")).into_response())
        }
        Err(e) if e.field.is_some() => {
            render_board(st, me, code, Some(period), Some(FormError::of(&e, me.lang))).await
        }
        Err(e) => Err(e),
    }
}

async fn save_submit(
    State(st): State<AppState>,
    me: Me,
    Path((code, period)): Path<(String, String)>,
    _p: Pairs,
) -> Result<Response, AppError> {
    let r = ar::save(&st.db, &me.actor, &code, &period)
        .await
        .map(|(rev, _)| rev);
    board_then(&st, &me, &code, &period, "", r).await
}

async fn publish_submit(
    State(st): State<AppState>,
    me: Me,
    Path((code, period)): Path<(String, String)>,
    _p: Pairs,
) -> Result<Response, AppError> {
    let r = ar::publish(&st.db, &me.actor, &code, &period).await;
    board_then(&st, &me, &code, &period, "", r).await
}

async fn entry_submit(
    State(st): State<AppState>,
    me: Me,
    Path((code, period)): Path<(String, String)>,
    p: Pairs,
) -> Result<Response, AppError> {
    let value = p.get("value").trim().replace([',', '，'], "");
    let r = match value.parse::<i64>() {
        Ok(v) => crate::in_tx!(st.db, |tx| {
            ar::enter(
                &mut tx,
                &me.actor,
                &code,
                &p.get("indicator"),
                &p.get("unit"),
                &period,
                v,
                &p.get("evidence"),
            )
            .await?;
        }),
        Err(_) => Err(StoreError::from(gongjian_domain::DomainError::new(
            "value",
            format!("数值“{value}”应为整数。"),
            format!("'{value}' is not a whole number"),
        ))),
    };
    board_then(&st, &me, &code, &period, "#entries", r).await
}

async fn review_submit(
    State(st): State<AppState>,
    me: Me,
    Path((code, period, id)): Path<(String, String, i64)>,
    p: Pairs,
) -> Result<Response, AppError> {
    let approve = p.get("decision") != "return";
    let r = crate::in_tx!(st.db, |tx| ar::review_entry(
        &mut tx, &me.actor, id, approve
    )
    .await?);
    board_then(&st, &me, &code, &period, "#entries", r).await
}

async fn adjust_submit(
    State(st): State<AppState>,
    me: Me,
    Path((code, period)): Path<(String, String)>,
    p: Pairs,
) -> Result<Response, AppError> {
    let points = p.get("points");
    let r = match gongjian_domain::arena::parse_points(&points) {
        Some(milli) => crate::in_tx!(st.db, |tx| {
            ar::adjust(
                &mut tx,
                &me.actor,
                &code,
                &period,
                &p.get("unit"),
                milli,
                &p.get("reason"),
            )
            .await?;
        }),
        None => Err(StoreError::from(gongjian_domain::DomainError::new(
            "points",
            format!("分数“{points}”应为数字，如 2 或 -1.5。"),
            format!("'{points}' is not a number of points"),
        ))),
    };
    board_then(&st, &me, &code, &period, "#entries", r).await
}

async fn photo_submit(
    State(st): State<AppState>,
    me: Me,
    Path((code, period)): Path<(String, String)>,
    mut mp: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let failed = |e: &dyn std::fmt::Display| {
        StoreError::from(gongjian_domain::DomainError::new(
            "photo",
            format!("上传失败（照片超过 5 MB 或网络中断）：{e}"),
            format!("upload failed: {e}"),
        ))
    };
    let read = async {
        let (mut unit, mut caption, mut file) = (String::new(), String::new(), None);
        while let Some(field) = mp.next_field().await.map_err(|e| failed(&e))? {
            match field.name().unwrap_or("") {
                "unit" => unit = field.text().await.unwrap_or_default(),
                "caption" => caption = field.text().await.unwrap_or_default(),
                "photo" => {
                    let name = field.file_name().unwrap_or("photo.jpg").to_string();
                    file = Some((name, field.bytes().await.map_err(|e| failed(&e))?.to_vec()));
                }
                _ => {}
            }
        }
        Ok::<_, StoreError>((unit, caption, file))
    };
    let r = match read.await {
        Ok((unit, caption, Some((name, bytes)))) => crate::in_tx!(st.db, |tx| {
            ar::add_photo(
                &mut tx, &me.actor, &code, &period, &unit, &caption, &name, &bytes,
            )
            .await?;
        }),
        Ok((_, _, None)) => Err(StoreError::from(gongjian_domain::DomainError::new(
            "photo",
            "请选择照片。",
            "Choose a photo.",
        ))),
        Err(e) => Err(e),
    };
    board_then(&st, &me, &code, &period, "#photos", r).await
}

fn image(mime: String, bytes: Vec<u8>) -> Response {
    ([(axum::http::header::CONTENT_TYPE, mime)], bytes).into_response()
}

async fn photo_get(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    me.actor
        .access
        .require(Permission::ProjectRead)
        .map_err(StoreError::from)?;
    let (_, _, mime, bytes) = ar::photo(&st.db, id).await?;
    Ok(image(mime, bytes))
}

/// A photo for the public: only when its period's result is published.
async fn public_photo(
    State(st): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (arena_id, period, mime, bytes) = ar::photo(&st.db, id).await?;
    if !ar::is_published(&st.db, arena_id, &period).await? {
        return Err(StoreError::not_found("照片", "photo", id).into());
    }
    Ok(image(mime, bytes))
}

#[derive(Debug, Default, serde::Deserialize)]
struct ExplainQuery {
    /// What-if: indicator code and an amount to add.
    indicator: Option<String>,
    delta: Option<String>,
}

struct ProjectRow {
    l: ProjectLine,
    cumulative: String,
    annual: String,
    target: String,
}

#[derive(Template)]
#[template(path = "arena_explain.html")]
struct ExplainPage {
    c: Chrome,
    a: Arena,
    period: String,
    period_zh: String,
    report_period: String,
    p: ParticipantResult,
    total: usize,
    projects: Vec<ProjectRow>,
    what_if: Option<(String, ParticipantResult)>,
    indicators: Vec<(String, String)>,
    /// Indicator code → where its figures are listed (only for viewers who may see them).
    links: Vec<(String, String)>,
    error: Option<FormError>,
}

impl ExplainPage {
    fn pts(&self, milli: &i64) -> String {
        gongjian_domain::arena::points_text(*milli)
    }
    fn link(&self, indicator: &str) -> Option<&str> {
        self.links
            .iter()
            .find(|(k, _)| k == indicator)
            .map(|(_, v)| v.as_str())
    }
}

/// The newest stored revision of a period, or the live score when none is stored: what
/// a participant's explanation and the lists behind it are read from.
pub(crate) async fn stored_or_live(
    st: &AppState,
    a: &Arena,
    pd: Period,
) -> Result<ArenaResult, AppError> {
    Ok(match ar::latest(&st.db, a, pd).await? {
        Some((_, _, r)) => r,
        None => ar::compute(&st.db, &a.code, &pd.key(), &[]).await?,
    })
}

/// Whether the viewer may see the projects, problems and tasks behind a participant.
pub(crate) fn sees_behind(me: &Me, part: &ar::Participant) -> bool {
    let scope = me.actor.access.scope(Permission::ProjectRead);
    scope.all || scope.units.contains(&part.unit_id)
}

/// Where each computed indicator's figures are listed: the investment ones in the
/// page's own table of projects, the counts and per-mu ones on their own list.
fn detail_links(rule: &ar::Rule, base: &str) -> Vec<(String, String)> {
    use gongjian_domain::arena::Measure;
    rule.indicators
        .iter()
        .filter_map(|i| match &i.source {
            ar::Source::Measure { measure } => Some((
                i.rule.code.clone(),
                match measure {
                    Measure::InvestPlan | Measure::InvestTarget | Measure::InvestPerMu => {
                        "#projects-behind".to_string()
                    }
                    _ => format!("{base}/items/{}", i.rule.code),
                },
            )),
            ar::Source::Entered { .. } => None,
        })
        .collect()
}

async fn explain_page(
    State(st): State<AppState>,
    me: Me,
    Path((code, period, unit)): Path<(String, String, String)>,
    Query(q): Query<ExplainQuery>,
) -> Result<Response, AppError> {
    me.actor
        .access
        .require(Permission::ProjectRead)
        .map_err(StoreError::from)?;
    let a = ar::by_code(&st.db, &code).await?;
    let pd = Period::parse(&period).map_err(StoreError::from)?;
    let r = stored_or_live(&st, &a, pd).await?;
    let p = r
        .participants
        .iter()
        .find(|p| p.code == unit)
        .cloned()
        .ok_or_else(|| StoreError::not_found("参赛单位", "participant", &unit))?;
    let parts = ar::participants(&st.db, a.id).await?;
    let part = parts
        .iter()
        .find(|x| x.code == unit)
        .ok_or_else(|| StoreError::not_found("参赛单位", "participant", &unit))?;
    // Projects are shown only to those who may see them.
    let sees = sees_behind(&me, part);
    let links = if sees {
        let rule = ar::rule_for(&st.db, a.id, pd).await?;
        detail_links(
            &rule,
            &format!("/arenas/{}/{}/{}", a.code, pd.key(), part.code),
        )
    } else {
        Vec::new()
    };
    let projects = if sees {
        ar::projects_behind(&st.db, part, pd).await?
    } else {
        Vec::new()
    }
    .into_iter()
    .map(|l| ProjectRow {
        cumulative: wan_grouped(l.cumulative),
        annual: l.annual.map_or("—".into(), wan_grouped),
        target: l.target.map_or("—".into(), wan_grouped),
        l,
    })
    .collect();
    let mut error = None;
    let what_if = match (
        q.indicator.as_deref().filter(|s| !s.is_empty()),
        q.delta.as_deref().filter(|s| !s.trim().is_empty()),
    ) {
        (Some(ind), Some(d)) => match d.trim().replace([',', '，'], "").parse::<i64>() {
            Ok(delta) => {
                let w = ar::compute(
                    &st.db,
                    &a.code,
                    &pd.key(),
                    &[Change {
                        participant: unit.clone(),
                        indicator: ind.to_string(),
                        value: None,
                        delta: Some(delta),
                    }],
                )
                .await?;
                w.participants
                    .into_iter()
                    .find(|x| x.code == unit)
                    .map(|x| (format!("{ind} + {delta}"), x))
            }
            Err(_) => {
                error = Some(FormError {
                    text: me
                        .lang
                        .t(
                            "假设的增加量应为整数。",
                            "The amount must be a whole number.",
                        )
                        .into(),
                    field: "delta".into(),
                });
                None
            }
        },
        _ => None,
    };
    let indicators = p
        .components
        .iter()
        .map(|c| (c.indicator.clone(), c.name.clone()))
        .collect();
    Ok(view::respond(
        &ExplainPage {
            c: Chrome::new(&me, "arenas", format!("{} · {}", a.name, p.name)),
            period: pd.key(),
            period_zh: pd.zh(),
            report_period: format!("{}-{:02}", pd.year(), pd.end_month()),
            total: r.participants.len(),
            a,
            p,
            projects,
            what_if,
            indicators,
            links,
            error: error.clone(),
        },
        error.is_some(),
    ))
}

#[derive(Template)]
#[template(path = "public_arenas.html")]
struct PublicList {
    l: crate::i18n::Lang,
    arenas: Vec<(Arena, Vec<String>)>,
}

impl PublicList {
    /// Years with a published month, newest first.
    fn years(&self, periods: &[String]) -> Vec<String> {
        let mut y: Vec<String> = periods
            .iter()
            .filter(|p| matches!(Period::parse(p), Ok(Period::Month(..))))
            .map(|p| p[..4].to_string())
            .collect();
        y.dedup();
        y
    }
}

async fn public_list(
    State(st): State<AppState>,
    l: crate::i18n::Lang,
) -> Result<Response, AppError> {
    let mut arenas = Vec::new();
    for a in ar::list(&st.db).await? {
        let p = ar::published_periods(&st.db, a.id).await?;
        if !p.is_empty() {
            arenas.push((a, p));
        }
    }
    Ok(view::render(&PublicList { l, arenas }))
}

#[derive(Template)]
#[template(path = "public_arena.html")]
struct PublicBoard {
    l: crate::i18n::Lang,
    r: ArenaResult,
    period_zh: String,
    photos: Vec<ar::Photo>,
}

impl PublicBoard {
    fn flag(&self, p: &ParticipantResult) -> &'static str {
        flag_zh(&p.flag)
    }
}

/// Only published results: an unpublished period is "not found" here.
async fn public_board(
    State(st): State<AppState>,
    l: crate::i18n::Lang,
    Path((code, period)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let pd = Period::parse(&period).map_err(StoreError::from)?;
    let (_, r) = ar::published(&st.db, &code, &period)
        .await?
        .ok_or_else(|| {
            StoreError::not_found(
                "已发布的成绩",
                "published result",
                format!("{code} {period}"),
            )
        })?;
    let a = ar::by_code(&st.db, &code).await?;
    let photos = ar::photos(&st.db, a.id, &pd.key()).await?;
    Ok(view::render(&PublicBoard {
        l,
        r,
        period_zh: pd.zh(),
        photos,
    }))
}

/// An arena as listed by the API.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ArenaItem {
    pub code: String,
    pub name: String,
    /// comprehensive, special or showcase.
    pub kind: String,
    /// Periods with a published result, newest first.
    pub published: Vec<String>,
}

/// Arenas with their published periods.
#[utoipa::path(get, path = "/api/v1/arenas", tag = "arenas", responses((status = 200, body = Vec<ArenaItem>)))]
pub async fn api_list(
    State(st): State<AppState>,
    me: Me,
) -> crate::error::ApiResult<axum::Json<Vec<ArenaItem>>> {
    me.actor
        .access
        .require(Permission::ProjectRead)
        .map_err(StoreError::from)?;
    let mut out = Vec::new();
    for a in ar::list(&st.db).await? {
        let published = ar::published_periods(&st.db, a.id).await?;
        out.push(ArenaItem {
            code: a.code,
            name: a.name,
            kind: a.kind,
            published,
        });
    }
    Ok(axum::Json(out))
}

/// Query of the score API.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct ScoreQuery {
    /// YYYY-MM, YYYY-Qn, YYYY-H1 or YYYY.
    pub period: String,
    /// `published` (default: the newest published revision, 404 if none) or `live`
    /// (scored from the data now; arena.admin only).
    pub source: Option<String>,
}

/// A period's scores with every participant's components. Published results by
/// default; live scoring needs arena.admin, so nothing unpublished reaches other callers.
#[utoipa::path(get, path = "/api/v1/arenas/{code}/score", tag = "arenas", params(("code" = String, Path), ScoreQuery), responses((status = 200, description = "the scored period, as `gongjian arena score --json`"), (status = 404)))]
pub async fn api_score(
    State(st): State<AppState>,
    me: Me,
    Path(code): Path<String>,
    axum::extract::Query(q): axum::extract::Query<ScoreQuery>,
) -> crate::error::ApiResult<axum::Json<ArenaResult>> {
    me.actor
        .access
        .require(Permission::ProjectRead)
        .map_err(StoreError::from)?;
    let r = if q.source.as_deref() == Some("live") {
        me.actor
            .access
            .require(Permission::ArenaAdmin)
            .map_err(StoreError::from)?;
        ar::compute(&st.db, &code, &q.period, &[]).await?
    } else {
        ar::published(&st.db, &code, &q.period)
            .await?
            .map(|(_, r)| r)
            .ok_or_else(|| {
                StoreError::not_found(
                    "已发布的成绩",
                    "published result",
                    format!("{code} {}", q.period),
                )
            })?
    };
    Ok(axum::Json(r))
}
