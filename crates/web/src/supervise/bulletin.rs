//! The supervision bulletin (督查通报): per unit, how problems and supervised tasks were
//! handled — share closed, median days to reply, overdue, tasks on time or late — with
//! the late units named and the fast ones commended; as .docx and .xlsx.

use crate::project::ledger::Export;
use crate::session::Me;
use crate::{AppError, AppState};
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use gongjian_office::docx::Docx;
use gongjian_store::problem::{self as pb, UnitStats};
use gongjian_store::task::{self as tk, UnitRecord};
use gongjian_store::{Actor, Db, StoreError};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/supervision/bulletin.docx", get(docx))
        .route("/supervision/bulletin.xlsx", get(xlsx))
}

/// One unit's line of the bulletin.
struct Line {
    unit: String,
    p: Option<UnitStats>,
    t: Option<UnitRecord>,
}

impl Line {
    fn late(&self) -> i64 {
        self.p.as_ref().map_or(0, |p| p.overdue)
            + self
                .t
                .as_ref()
                .map_or(0, |t| t.open_overdue + t.closed_late)
    }
    fn fast(&self) -> bool {
        self.late() == 0
            && self
                .p
                .as_ref()
                .is_none_or(|p| p.median_reply_days.is_some_and(|d| d <= 1))
            && self
                .t
                .as_ref()
                .is_none_or(|t| t.feedback_late == 0 && t.closed_on_time > 0)
            && (self.p.is_some() || self.t.is_some())
    }
}

async fn lines(
    db: &Db,
    actor: &Actor,
    today: chrono::NaiveDate,
) -> gongjian_store::Result<Vec<Line>> {
    let stats = pb::unit_stats(db, actor, today).await?;
    let records = tk::unit_records(db, actor, today).await?;
    let mut units: Vec<String> = stats
        .iter()
        .map(|s| s.unit.clone())
        .chain(records.iter().map(|r| r.unit.clone()))
        .collect();
    units.sort();
    units.dedup();
    let mut out: Vec<Line> = units
        .into_iter()
        .map(|u| Line {
            p: stats.iter().find(|s| s.unit == u).cloned(),
            t: records.iter().find(|r| r.unit == u).cloned(),
            unit: u,
        })
        .collect();
    out.sort_by(|a, b| b.late().cmp(&a.late()).then(a.unit.cmp(&b.unit)));
    Ok(out)
}

fn row(l: &Line) -> Vec<String> {
    let p = l.p.as_ref();
    let t = l.t.as_ref();
    let n = |v: Option<i64>| v.map_or("—".to_string(), |v| v.to_string());
    vec![
        l.unit.clone(),
        n(p.map(|p| p.total)),
        n(p.map(|p| p.closed)),
        p.map_or("—".into(), |p| format!("{:.1}%", p.resolved_pct)),
        p.and_then(|p| p.median_reply_days)
            .map_or("—".into(), |d| d.to_string()),
        n(p.map(|p| p.overdue)),
        n(t.map(|t| t.total)),
        n(t.map(|t| t.closed_on_time)),
        n(t.map(|t| t.closed_late)),
        n(t.map(|t| t.open_overdue)),
        n(t.map(|t| t.feedback_late)),
    ]
}

const HEAD: [&str; 11] = [
    "单位",
    "问题数",
    "已销号",
    "销号率",
    "答复用时中位数（天）",
    "逾期问题",
    "督办任务",
    "按时办结",
    "逾期办结",
    "逾期未结",
    "反馈滞后",
];

/// The bulletin as a Word document.
pub async fn bulletin_docx(
    db: &Db,
    actor: &Actor,
    today: chrono::NaiveDate,
) -> gongjian_store::Result<Export> {
    let lines = lines(db, actor, today).await?;
    let funnel = pb::funnel(db, actor, today).await?;
    let get = |k: &str| funnel.iter().find(|f| f.0 == k).map_or(0, |f| f.1);
    let total: i64 = funnel
        .iter()
        .filter(|f| f.0 != "overdue")
        .map(|f| f.1)
        .sum();
    let tasks = tk::all(db, actor, &tk::TaskFilter::default(), today).await?;
    let closed_tasks = tasks.iter().filter(|t| t.status == "closed").count();
    let overdue_tasks = tasks.iter().filter(|t| t.overdue_days(today) > 0).count();
    let mut d = Docx::new();
    d.title("督查通报");
    d.subtitle(&format!("（截至{}）", today.format("%Y年%-m月%-d日")));
    d.heading(1, "一、总体情况");
    d.para(&format!(
        "截至{}，问题清单共有问题 {total} 个，已验收销号 {} 个，待受理 {} 个、待答复 {} 个、待解决 {} 个、待验收 {} 个，其中逾期未办 {} 个。督办任务共 {} 项，已办结 {closed_tasks} 项，逾期未办结 {overdue_tasks} 项。",
        today.format("%Y年%-m月%-d日"),
        get("closed"),
        get("raised"),
        get("accepted"),
        get("replied"),
        get("solved"),
        get("overdue"),
        tasks.len(),
    ));
    d.heading(1, "二、各单位办理情况");
    let rows: Vec<Vec<String>> = lines.iter().map(row).collect();
    d.table(&HEAD, &rows);
    d.heading(1, "三、通报批评");
    let late: Vec<&Line> = lines.iter().filter(|l| l.late() > 0).collect();
    if late.is_empty() {
        d.para("本期没有逾期未办的单位。");
    } else {
        for l in &late {
            let mut parts = Vec::new();
            if let Some(p) = l.p.as_ref().filter(|p| p.overdue > 0) {
                parts.push(format!("逾期未办问题 {} 个", p.overdue));
            }
            if let Some(t) = &l.t {
                if t.open_overdue > 0 {
                    parts.push(format!("逾期未办结督办任务 {} 项", t.open_overdue));
                }
                if t.closed_late > 0 {
                    parts.push(format!("逾期办结督办任务 {} 项", t.closed_late));
                }
            }
            d.para(&format!("{}：{}。", l.unit, parts.join("，")));
        }
        d.para("请以上单位于 3 个工作日内说明原因，限期办结。");
    }
    d.heading(1, "四、通报表扬");
    let fast: Vec<&str> = lines
        .iter()
        .filter(|l| l.fast())
        .map(|l| l.unit.as_str())
        .collect();
    if fast.is_empty() {
        d.para("本期暂无符合表扬条件的单位（无逾期、问题答复用时中位数不超过 1 天、督办任务按时办结且按期反馈）。");
    } else {
        d.para(&format!(
            "{}无逾期事项，问题答复及时，督办任务按时办结，予以通报表扬。",
            fast.join("、")
        ));
    }
    Ok(Export {
        bytes: d.to_bytes(),
        content_type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        file_name: format!("督查通报-{today}.docx"),
    })
}

/// The bulletin's table as a workbook.
pub async fn bulletin_xlsx(
    db: &Db,
    actor: &Actor,
    today: chrono::NaiveDate,
) -> gongjian_store::Result<Export> {
    let lines = lines(db, actor, today).await?;
    let rows: Vec<Vec<String>> = lines.iter().map(row).collect();
    let cols: Vec<(&str, f64)> = HEAD
        .iter()
        .enumerate()
        .map(|(i, h)| (*h, if i == 0 { 26.0 } else { 11.0 }))
        .collect();
    let bytes = gongjian_office::table_export::to_xlsx(
        &format!("督查通报各单位办理情况（截至{today}）"),
        "各单位办理情况",
        &cols,
        &rows,
    )
    .map_err(|e| StoreError::Config(format!("xlsx: {e}")))?;
    Ok(Export {
        bytes,
        content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        file_name: format!("督查通报-{today}.xlsx"),
    })
}

async fn docx(State(st): State<AppState>, me: Me) -> Result<Response, AppError> {
    Ok(crate::project::download(
        bulletin_docx(&st.db, &me.actor, gongjian_store::today()).await?,
    ))
}

async fn xlsx(State(st): State<AppState>, me: Me) -> Result<Response, AppError> {
    Ok(crate::project::download(
        bulletin_xlsx(&st.db, &me.actor, gongjian_store::today()).await?,
    ))
}
