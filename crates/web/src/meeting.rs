//! Scheduling meeting pages: create a meeting for a period (agenda from the lights),
//! go through the items (report, problems, departments' answer, decisions with owner
//! and deadline), download the briefing (.docx) before and the commitments (.xlsx)
//! after.

use crate::project::ledger::Export;
use crate::session::Me;
use crate::view::{self, Chrome, FormError, Pairs};
use crate::{AppError, AppState, in_tx};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use gongjian_domain::access::Permission;
use gongjian_domain::money;
use gongjian_office::docx::Docx;
use gongjian_store::meeting::{self as mt, Decision, Item, Meeting, MeetingInput};
use gongjian_store::report as rs;
use gongjian_store::{Actor, Db, StoreError};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/meetings", get(list_page).post(create_submit))
        .route("/meetings/{id}", get(meeting_page))
        .route("/meetings/{id}/held", post(held_submit))
        .route("/meetings/{id}/items/{item}/answer", post(answer_submit))
        .route(
            "/meetings/{id}/items/{item}/decisions",
            post(decision_submit),
        )
        .route("/meetings/{id}/decisions/{d}/status", post(decision_status))
        .route("/meetings/{id}/briefing.docx", get(briefing))
        .route("/meetings/{id}/commitments.xlsx", get(commitments))
}

fn light_zh(l: &str) -> &'static str {
    match l {
        "red" => "红灯",
        "yellow" => "黄灯",
        "green" => "绿灯",
        _ => "无计划",
    }
}

fn wan(v: Option<i64>) -> String {
    v.map_or("—".into(), money::wan_grouped)
}

#[derive(Template)]
#[template(path = "meetings.html")]
struct ListPage {
    c: Chrome,
    meetings: Vec<(Meeting, i64)>,
    periods: Vec<String>,
    filters: Vec<(&'static str, &'static str)>,
    can_admin: bool,
    error: Option<FormError>,
}

async fn render_list(
    st: &AppState,
    me: &Me,
    error: Option<FormError>,
) -> Result<Response, AppError> {
    let meetings = mt::list(&st.db, &me.actor).await?;
    let periods = rs::periods(&st.db)
        .await?
        .into_iter()
        .map(|p| p.key())
        .collect();
    let page = ListPage {
        c: Chrome::new(
            me,
            "meetings",
            me.lang.t("调度会", "Scheduling meetings").into(),
        ),
        meetings,
        periods,
        filters: mt::FILTERS.to_vec(),
        can_admin: me.actor.access.has(Permission::ReportAdmin),
        error,
    };
    Ok(view::respond(&page, page.error.is_some()))
}

async fn list_page(State(st): State<AppState>, me: Me) -> Result<Response, AppError> {
    render_list(&st, &me, None).await
}

async fn create_submit(State(st): State<AppState>, me: Me, p: Pairs) -> Result<Response, AppError> {
    let period = p.get("period");
    let parsed = rs::parse_period(&period).map_err(StoreError::from);
    let run = async {
        let (year, month) = parsed?;
        let input = MeetingInput {
            year,
            month,
            title: p.opt("title"),
            held_on: p.opt("held_on"),
            place: p.opt("place"),
            filter: p.opt("filter"),
        };
        let m = in_tx!(st.db, |tx| mt::create(&mut tx, &me.actor, &input).await?)?;
        Ok::<_, AppError>(m)
    };
    match run.await {
        Ok(m) => Ok(Redirect::to(&format!("/meetings/{}", m.id)).into_response()),
        Err(e) if e.status == StatusCode::FORBIDDEN => Err(e),
        Err(e) => render_list(&st, &me, Some(FormError::of(&e, me.lang))).await,
    }
}

struct ItemView {
    i: Item,
    light: &'static str,
    month_amount: String,
    cumulative: String,
    target: String,
    report_status: &'static str,
    decisions: Vec<Decision>,
    /// Open problems of the project on the problem list.
    open_problems: Vec<gongjian_store::problem::Problem>,
}

#[derive(Template)]
#[template(path = "meeting.html")]
struct MeetingPage {
    c: Chrome,
    m: Meeting,
    items: Vec<ItemView>,
    units: Vec<(String, String)>,
    can_admin: bool,
    open_decisions: usize,
    error: Option<FormError>,
}

fn report_status_zh(s: Option<&str>) -> &'static str {
    match s {
        Some("draft") => "草稿",
        Some("submitted") => "已报送",
        Some("returned") => "已退回",
        Some("approved") => "已审核",
        Some("locked") => "已锁定",
        _ => "未报送",
    }
}

async fn render_meeting(
    st: &AppState,
    me: &Me,
    id: i64,
    error: Option<FormError>,
) -> Result<Response, AppError> {
    let (m, items, decisions) = mt::get(&st.db, &me.actor, id).await?;
    let open_decisions = decisions.iter().filter(|d| d.status == "open").count();
    let today = gongjian_store::today();
    let mut open = Vec::with_capacity(items.len());
    for i in &items {
        let f = gongjian_store::problem::ProblemFilter {
            project_id: Some(i.project_id),
            status: Some("open".into()),
            ..Default::default()
        };
        open.push(gongjian_store::problem::all(&st.db, &me.actor, &f, today).await?);
    }
    let items = items
        .into_iter()
        .zip(open)
        .map(|(i, open_problems)| ItemView {
            open_problems,
            light: light_zh(&i.light),
            month_amount: wan(i.month_amount),
            cumulative: wan(i.cumulative),
            target: wan(i.target),
            report_status: report_status_zh(i.report_status.as_deref()),
            decisions: decisions
                .iter()
                .filter(|d| d.item_id == i.id)
                .cloned()
                .collect(),
            i,
        })
        .collect();
    let can_admin = me.actor.access.has(Permission::ReportAdmin);
    let units = if can_admin {
        gongjian_store::project::unit_choices(&st.db).await?
    } else {
        Vec::new()
    };
    let page = MeetingPage {
        c: Chrome::new(me, "meetings", m.title.clone()),
        m,
        items,
        units,
        can_admin,
        open_decisions,
        error,
    };
    Ok(view::respond(&page, page.error.is_some()))
}

async fn meeting_page(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    render_meeting(&st, &me, id, None).await
}

/// Runs a write; on a bad input shows the meeting again with the message.
async fn write_then(
    st: &AppState,
    me: &Me,
    id: i64,
    anchor: &str,
    r: Result<(), AppError>,
) -> Result<Response, AppError> {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/meetings/{id}{anchor}")).into_response()),
        Err(e) if e.status == StatusCode::FORBIDDEN || e.status == StatusCode::NOT_FOUND => Err(e),
        Err(e) => render_meeting(st, me, id, Some(FormError::of(&e, me.lang))).await,
    }
}

async fn answer_submit(
    State(st): State<AppState>,
    me: Me,
    Path((id, item)): Path<(i64, i64)>,
    p: Pairs,
) -> Result<Response, AppError> {
    let answer = p.get("answer");
    let r = in_tx!(st.db, |tx| mt::set_answer(
        &mut tx, &me.actor, id, item, &answer
    )
    .await?)
    .map_err(AppError::from);
    write_then(&st, &me, id, &format!("#item-{item}"), r).await
}

async fn decision_submit(
    State(st): State<AppState>,
    me: Me,
    Path((id, item)): Path<(i64, i64)>,
    p: Pairs,
) -> Result<Response, AppError> {
    let (text, owner, deadline) = (p.get("text"), p.get("owner"), p.get("deadline"));
    let r = in_tx!(st.db, |tx| {
        mt::add_decision(&mut tx, &me.actor, id, item, &text, &owner, &deadline).await?;
    })
    .map_err(AppError::from);
    write_then(&st, &me, id, &format!("#item-{item}"), r).await
}

async fn decision_status(
    State(st): State<AppState>,
    me: Me,
    Path((id, d)): Path<(i64, i64)>,
    p: Pairs,
) -> Result<Response, AppError> {
    let done = p.get("status") == "done";
    let r = in_tx!(st.db, |tx| mt::set_decision_done(
        &mut tx, &me.actor, id, d, done
    )
    .await?)
    .map_err(AppError::from);
    write_then(&st, &me, id, "#commitments", r).await
}

async fn held_submit(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    p: Pairs,
) -> Result<Response, AppError> {
    let day = p.opt("held_on");
    let r = in_tx!(st.db, |tx| mt::mark_held(
        &mut tx,
        &me.actor,
        id,
        day.as_deref()
    )
    .await?)
    .map_err(AppError::from);
    write_then(&st, &me, id, "", r).await
}

/// The briefing for the meeting as a Word document: the overview of the period, then
/// each agenda item with its figures, why its light is what it is, progress, problems,
/// the departments' answer and the decisions proposed or taken.
pub async fn briefing_docx(db: &Db, actor: &Actor, id: i64) -> gongjian_store::Result<Export> {
    let (m, items, decisions) = mt::get(db, actor, id).await?;
    let mut d = Docx::new();
    d.title(&format!("{}材料", m.title));
    let when = m
        .held_on
        .map(|x| format!("会议日期：{}", x.format("%Y年%-m月%-d日")))
        .unwrap_or_default();
    let place = if m.place.is_empty() {
        String::new()
    } else {
        format!("　地点：{}", m.place)
    };
    if !when.is_empty() || !place.is_empty() {
        d.subtitle(&format!("{when}{place}"));
    }
    let count = |l: &str| items.iter().filter(|i| i.light == l).count();
    d.heading(1, "一、总体情况");
    d.para(&format!(
        "本次调度 {} 年 {} 月重点项目 {} 个，其中红灯 {} 个、黄灯 {} 个、绿灯 {} 个。以下按重点项目表顺序逐项调度。",
        m.year,
        m.month,
        items.len(),
        count("red"),
        count("yellow"),
        count("green")
    ));
    d.heading(1, "二、逐项调度");
    for (n, i) in items.iter().enumerate() {
        d.heading(
            2,
            &format!(
                "（{}）{}【{}】",
                gongjian_office::ledger_export::cn_number(n + 1),
                i.name,
                light_zh(&i.light)
            ),
        );
        d.lead("所在地：", &i.division_name);
        d.lead(
            "投资完成：",
            &format!(
                "本月完成 {} 万元，本年累计 {} 万元，序时目标 {} 万元，年度计划 {} 万元。",
                wan(i.month_amount),
                wan(i.cumulative),
                wan(i.target),
                wan(i.annual)
            ),
        );
        if let Some(why) = i.why.as_deref().filter(|s| !s.is_empty()) {
            d.lead("亮灯原因：", why);
        }
        d.lead(
            "形象进度：",
            i.progress_text
                .as_deref()
                .filter(|s| !s.is_empty())
                .unwrap_or(report_status_zh(i.report_status.as_deref())),
        );
        d.lead(
            "存在问题：",
            i.problems
                .as_deref()
                .filter(|s| !s.is_empty())
                .unwrap_or("无"),
        );
        if let Some(s) = i.next_steps.as_deref().filter(|s| !s.is_empty()) {
            d.lead("下步计划：", s);
        }
        if !i.answer.is_empty() {
            d.lead("部门答复：", &i.answer);
        }
        let mine: Vec<&Decision> = decisions.iter().filter(|x| x.item_id == i.id).collect();
        for (k, x) in mine.iter().enumerate() {
            d.lead(
                &format!("议定事项{}：", k + 1),
                &format!(
                    "{}（责任单位：{}，完成时限：{}）",
                    x.text, x.owner_unit, x.deadline
                ),
            );
        }
    }
    Ok(Export {
        bytes: d.to_bytes(),
        content_type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        file_name: format!("{}材料.docx", m.title),
    })
}

/// The commitments after the meeting: every decision with owner and deadline.
pub async fn commitments_xlsx(db: &Db, actor: &Actor, id: i64) -> gongjian_store::Result<Export> {
    let (m, ds) = mt::commitments(db, actor, id).await?;
    let rows: Vec<Vec<String>> = ds
        .iter()
        .enumerate()
        .map(|(n, x)| {
            vec![
                (n + 1).to_string(),
                x.project_name.clone(),
                x.text.clone(),
                x.owner_unit.clone(),
                x.deadline.to_string(),
                if x.status == "done" {
                    "已完成"
                } else {
                    "推进中"
                }
                .into(),
            ]
        })
        .collect();
    let bytes = gongjian_office::table_export::to_xlsx(
        &format!("{}议定事项清单", m.title),
        "议定事项",
        &[
            ("序号", 6.0),
            ("项目", 30.0),
            ("议定事项", 50.0),
            ("责任单位", 24.0),
            ("完成时限", 12.0),
            ("状态", 10.0),
        ],
        &rows,
    )
    .map_err(|e| StoreError::Config(format!("xlsx: {e}")))?;
    Ok(Export {
        bytes,
        content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        file_name: format!("{}议定事项清单.xlsx", m.title),
    })
}

async fn briefing(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    Ok(crate::project::download(
        briefing_docx(&st.db, &me.actor, id).await?,
    ))
}

async fn commitments(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    Ok(crate::project::download(
        commitments_xlsx(&st.db, &me.actor, id).await?,
    ))
}
