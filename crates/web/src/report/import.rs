//! Monthly reports imported from unit workbooks: shared by the pages and the command
//! line. Same summary, preview and all-or-nothing / valid-only choice as the ledger.

use super::*;
use crate::project::import::ImportPage;
use crate::project::ledger::{ColumnNote, ImportError, ImportReport, SkippedRow};
use gongjian_office::ledger::{self, ReportLine};
use gongjian_store::report::{ImportLine, ReportInput};
use gongjian_store::{Actor, Db};

fn line(r: &ReportLine) -> ImportLine {
    ImportLine {
        sheet: r.sheet.clone(),
        row: r.row,
        code: r.code.clone(),
        name: r.name.clone(),
        division: r.division.clone(),
        input: ReportInput {
            month_amount_wan: r.month_amount_wan.clone(),
            progress_text: r.progress_text.clone(),
            milestone: r.milestone.clone(),
            started: r.started,
            start_date: r.start_date.clone(),
            problems: r.problems.clone(),
            next_steps: r.next_steps.clone(),
            note: r.note.clone(),
        },
    }
}

/// Reads a workbook and imports its reports for the period. Without `valid_only`, any
/// error means nothing is written; with it the valid rows are. A dry run writes nothing.
#[allow(clippy::too_many_arguments)]
pub async fn import_bytes(
    db: &Db,
    actor: &Actor,
    file_name: &str,
    bytes: &[u8],
    year: i32,
    month: u32,
    dry_run: bool,
    valid_only: bool,
) -> Result<ImportReport, StoreError> {
    actor.access.require(Permission::ReportWrite)?;
    let mut report = ImportReport {
        dry_run,
        ..Default::default()
    };
    let (name, content) = (file_name.to_string(), bytes.to_vec());
    let read = tokio::task::spawn_blocking(move || {
        ledger::read_sheets(&name, &content).map(|s| ledger::read_reports(&s))
    })
    .await
    .map_err(|e| StoreError::Config(format!("workbook reader failed: {e}")))?;
    let sheets = match read {
        Ok(s) => s,
        Err(e) => {
            report.errors.push(ImportError::from(&e));
            return Ok(report);
        }
    };
    let reading_bad: std::collections::BTreeSet<(&String, usize)> = sheets
        .errors
        .iter()
        .filter(|e| e.row > 0)
        .map(|e| (&e.sheet, e.row))
        .collect();
    report.rows = sheets.rows.len() + reading_bad.len();
    report.skipped_rows = sheets.skipped.iter().map(SkippedRow::from).collect();
    report.unmatched_columns = sheets
        .columns
        .iter()
        .filter(|c| c.field.is_none())
        .map(ColumnNote::from)
        .collect();
    report.ignored_columns = sheets
        .columns
        .iter()
        .filter(|c| c.field.as_deref() == Some("seq"))
        .map(ColumnNote::from)
        .collect();
    report.errors = sheets.errors.iter().map(ImportError::from).collect();
    let sheet_error = sheets.errors.iter().any(|e| e.row == 0);
    let lines: Vec<ImportLine> = sheets.rows.iter().map(line).collect();
    // Reading errors count like refused lines: all-or-nothing unless valid-only.
    let hold = dry_run || sheet_error || (!report.errors.is_empty() && !valid_only);
    let out = rs::import_lines(db, actor, year, month, &lines, hold, valid_only).await?;
    for e in &out.errors {
        report.errors.push(ImportError {
            sheet: e.sheet.clone(),
            row: e.row,
            column: sheets.column_of(&e.sheet, &e.field),
            message: e.message.clone(),
            message_en: e.message_en.clone(),
        });
    }
    report
        .errors
        .sort_by(|a, b| (&a.sheet, a.row).cmp(&(&b.sheet, b.row)));
    let counts = (out.imported, out.updated, out.skipped + reading_bad.len());
    if report.errors.is_empty() || valid_only {
        (report.imported, report.updated, report.skipped) = counts;
    } else {
        report.skipped = report.rows;
    }
    report.written = !hold && out.written;
    Ok(report)
}

fn page(me: &Me, title: (&str, &str)) -> Chrome {
    Chrome::new(me, "reports", me.lang.t(title.0, title.1).into())
}

async fn period_keys(st: &AppState) -> Result<Vec<String>, AppError> {
    Ok(rs::periods(&st.db)
        .await?
        .into_iter()
        .filter(|p| p.is_open())
        .map(|p| p.key())
        .collect())
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ImportQuery {
    period: Option<String>,
}

pub(super) async fn import_page(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<ImportQuery>,
) -> Result<Response, AppError> {
    me.actor
        .access
        .require(Permission::ReportWrite)
        .map_err(StoreError::from)?;
    let (y, m) = pick_period(&st, q.period.as_deref()).await?;
    Ok(view::render(&ImportPage {
        c: page(&me, ("导入月报", "Import reports")),
        kind: "reports",
        period: key(y, m),
        periods: period_keys(&st).await?,
        report: None,
        upload: None,
        file_name: String::new(),
        done: false,
        error: None,
    }))
}

pub(super) async fn import_upload(
    State(st): State<AppState>,
    me: Me,
    mp: Multipart,
) -> Result<Response, AppError> {
    me.actor
        .access
        .require(Permission::ReportWrite)
        .map_err(StoreError::from)?;
    let (file, fields) = crate::project::import::read_upload(mp, "reports.xlsx").await?;
    let period = fields
        .into_iter()
        .find(|(k, _)| k == "period")
        .map(|(_, v)| v);
    let (y, m) = pick_period(&st, period.as_deref()).await?;
    let periods = period_keys(&st).await?;
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let p = ImportPage {
            c: page(&me, ("导入月报", "Import reports")),
            kind: "reports",
            period: key(y, m),
            periods,
            report: None,
            upload: None,
            file_name: String::new(),
            done: false,
            error: Some(
                me.lang
                    .t(
                        "请选择要导入的 xlsx 或 csv 文件。",
                        "Choose an xlsx or csv file.",
                    )
                    .into(),
            ),
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, view::render(&p)).into_response());
    };
    let report = import_bytes(&st.db, &me.actor, &name, &bytes, y, m, true, false).await?;
    let upload = in_tx!(st.db, |tx| gongjian_store::project::stash_upload(
        &mut tx, &me.actor, &name, &bytes
    )
    .await?)?;
    Ok(view::render(&ImportPage {
        c: page(&me, ("导入月报", "Import reports")),
        kind: "reports",
        period: key(y, m),
        periods,
        report: Some(report),
        upload: Some(upload),
        file_name: name,
        done: false,
        error: None,
    }))
}

pub(super) async fn import_confirm(
    State(st): State<AppState>,
    me: Me,
    Path(upload): Path<i64>,
    p: Pairs,
) -> Result<Response, AppError> {
    let (name, bytes) = gongjian_store::project::take_upload(&st.db, &me.actor, upload).await?;
    let (y, m) = period_of(&p.get("period"))?;
    let valid_only = p.get("mode") == "valid_only";
    let report = import_bytes(&st.db, &me.actor, &name, &bytes, y, m, false, valid_only).await?;
    Ok(view::render(&ImportPage {
        c: page(&me, ("月报导入结果", "Report import result")),
        kind: "reports",
        period: key(y, m),
        periods: Vec::new(),
        report: Some(report),
        upload: None,
        file_name: name,
        done: true,
        error: None,
    }))
}
