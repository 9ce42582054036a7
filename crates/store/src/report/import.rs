//! A period's reports imported from unit workbooks: each line found by project code,
//! or by name (within its division when given), then submitted through the same flow
//! and checks as the form. All or nothing unless valid-only; a dry run writes nothing.

use super::*;
use gongjian_domain::money::{self, MoneyUnit};
use gongjian_domain::report::Action;

/// One report line of a sheet.
#[derive(Debug, Clone)]
pub struct ImportLine {
    /// Sheet name.
    pub sheet: String,
    /// Excel row.
    pub row: usize,
    /// Project code, if given.
    pub code: Option<String>,
    /// Project name.
    pub name: String,
    /// Division name or code, if given.
    pub division: Option<String>,
    /// The report.
    pub input: ReportInput,
}

/// A line that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// Sheet name.
    pub sheet: String,
    /// Excel row.
    pub row: usize,
    /// The field at fault (a [`ReportInput`] field, or `project`).
    pub field: String,
    /// Chinese.
    pub message: String,
    /// English.
    pub message_en: String,
}

/// What an import did, or would do.
#[derive(Debug, Clone, Default)]
pub struct ImportOutcome {
    /// Reports submitted that did not exist.
    pub imported: usize,
    /// Drafts or returned reports submitted.
    pub updated: usize,
    /// Lines already submitted with the same figures and text, and lines left out
    /// under valid-only.
    pub skipped: usize,
    /// Every line refused.
    pub errors: Vec<LineError>,
    /// Whether anything was written.
    pub written: bool,
}

enum Done {
    New,
    Updated,
    Unchanged,
}

fn line_error(l: &ImportLine, field: &str, zh: String, en: String) -> LineError {
    LineError {
        sheet: l.sheet.clone(),
        row: l.row,
        field: field.into(),
        message: zh,
        message_en: en,
    }
}

/// The project a line names, within the actor's report scope.
async fn find_project(tx: &mut Tx, l: &ImportLine) -> Result<std::result::Result<i64, LineError>> {
    if let Some(code) = l.code.as_deref().filter(|c| !c.trim().is_empty()) {
        let id: Option<i64> = on_tx!(tx, c => sqlx::query_scalar("SELECT id FROM project WHERE code = $1 AND active = TRUE").bind(code.trim()).fetch_optional(c).await)?;
        return Ok(id.ok_or_else(|| {
            line_error(
                l,
                "code",
                format!("项目代码“{code}”在项目库中不存在。"),
                format!("no project with code '{code}'"),
            )
        }));
    }
    let found: Vec<(i64, String, String)> = on_tx!(tx, c => sqlx::query_as("SELECT p.id, d.name, d.code FROM project p JOIN division d ON d.id = p.division_id WHERE p.name = $1 AND p.active = TRUE ORDER BY p.id")
        .bind(l.name.trim()).fetch_all(c).await)?;
    let found: Vec<i64> = match l.division.as_deref().map(str::trim) {
        Some(d) if !d.is_empty() => found
            .into_iter()
            .filter(|(_, name, code)| name == d || code == d)
            .map(|(id, _, _)| id)
            .collect(),
        _ => found.into_iter().map(|(id, _, _)| id).collect(),
    };
    Ok(match found.as_slice() {
        [id] => Ok(*id),
        [] => Err(line_error(
            l,
            "name",
            format!(
                "项目库中没有名为“{}”的项目{}。",
                l.name,
                l.division
                    .as_deref()
                    .map(|d| format!("（所在地 {d}）"))
                    .unwrap_or_default()
            ),
            format!("no project named '{}'", l.name),
        )),
        _ => Err(line_error(
            l,
            "name",
            format!(
                "项目库中有 {} 个名为“{}”的项目：请填写项目代码或所在地。",
                found.len(),
                l.name
            ),
            format!(
                "{} projects are named '{}': give the code or the division",
                found.len(),
                l.name
            ),
        )),
    })
}

/// Submits one line; a refusal comes back as the line's error.
async fn apply(
    tx: &mut Tx,
    actor: &Actor,
    year: i32,
    month: u32,
    project_id: i64,
    l: &ImportLine,
) -> Result<std::result::Result<Done, LineError>> {
    let existing = report_tx(tx, project_id, year, month).await?;
    if let Some(r) = &existing
        && matches!(r.status.as_str(), "submitted" | "approved" | "locked")
    {
        let amount = money::parse_money(
            "month_amount_wan",
            "本月完成投资",
            &l.input.month_amount_wan,
            MoneyUnit::Wan,
        )
        .ok();
        if amount == Some(r.month_amount) && r.progress_text.trim() == l.input.progress_text.trim()
        {
            return Ok(Ok(Done::Unchanged));
        }
        let status = r.state().zh();
        return Ok(Err(line_error(
            l,
            "status",
            format!(
                "该项目本月月报已是“{status}”，导入不能覆盖：如需修改，请由区县退回或由重点项目办更正。"
            ),
            format!(
                "this project's report is already {}; an import cannot overwrite it",
                r.status
            ),
        )));
    }
    match save(
        tx,
        actor,
        project_id,
        year,
        month,
        &l.input,
        Vec::new(),
        &[],
        Action::Submit,
    )
    .await
    {
        Ok(_) => Ok(Ok(if existing.is_some() {
            Done::Updated
        } else {
            Done::New
        })),
        Err(StoreError::Invalid(e) | StoreError::Conflict(e)) => {
            Ok(Err(line_error(l, e.field, e.msg.zh, e.msg.en)))
        }
        Err(StoreError::Denied(d)) => Ok(Err(line_error(
            l,
            "project",
            format!(
                "无权填报该项目的月报（需要“{}”权限和该项目所在的数据范围）。",
                d.0.zh()
            ),
            format!("not allowed to report for this project ({})", d.0.as_str()),
        ))),
        Err(StoreError::NotFound(m)) => Ok(Err(line_error(l, "project", m.zh, m.en))),
        Err(e) => Err(e),
    }
}

/// Runs every line once in a transaction; returns the outcome and the transaction.
async fn run(
    db: &Db,
    actor: &Actor,
    year: i32,
    month: u32,
    lines: &[&ImportLine],
) -> Result<(ImportOutcome, Vec<bool>, Tx)> {
    let mut tx = db.begin_alone().await?;
    let mut out = ImportOutcome::default();
    let mut ok = Vec::with_capacity(lines.len());
    let mut seen: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
    for l in lines {
        let pid = match find_project(&mut tx, l).await? {
            Ok(id) => id,
            Err(e) => {
                out.errors.push(e);
                ok.push(false);
                continue;
            }
        };
        if let Some(first) = seen.insert(pid, l.row) {
            out.errors.push(line_error(
                l,
                "name",
                format!("与第 {first} 行是同一个项目：每个项目每月只报一行。"),
                format!("the same project as row {first}: one line per project"),
            ));
            ok.push(false);
            continue;
        }
        match apply(&mut tx, actor, year, month, pid, l).await? {
            Ok(Done::New) => out.imported += 1,
            Ok(Done::Updated) => out.updated += 1,
            Ok(Done::Unchanged) => out.skipped += 1,
            Err(e) => {
                out.errors.push(e);
                ok.push(false);
                continue;
            }
        }
        ok.push(true);
    }
    Ok((out, ok, tx))
}

/// Imports a period's report lines. Without `valid_only` any refused line means nothing
/// is written; with it the other lines are. `dry_run` writes nothing and says what
/// would happen.
pub async fn import_lines(
    db: &Db,
    actor: &Actor,
    year: i32,
    month: u32,
    lines: &[ImportLine],
    dry_run: bool,
    valid_only: bool,
) -> Result<ImportOutcome> {
    actor.access.require(Permission::ReportWrite)?;
    let all: Vec<&ImportLine> = lines.iter().collect();
    let (mut out, ok, tx) = run(db, actor, year, month, &all).await?;
    if out.errors.is_empty() {
        if dry_run {
            drop(tx);
        } else {
            tx.commit().await?;
            out.written = out.imported + out.updated > 0;
        }
        return Ok(out);
    }
    drop(tx);
    if !valid_only {
        // All or nothing: nothing is written, every line counts as skipped.
        out.skipped = lines.len();
        out.imported = 0;
        out.updated = 0;
        return Ok(out);
    }
    let refused = out.errors.len();
    if dry_run {
        out.skipped += refused;
        return Ok(out);
    }
    // Valid-only: the lines that went through, again, in a transaction of their own.
    let good: Vec<&ImportLine> = all
        .iter()
        .zip(&ok)
        .filter(|(_, ok)| **ok)
        .map(|(l, _)| *l)
        .collect();
    let (mut second, _, tx) = run(db, actor, year, month, &good).await?;
    if !second.errors.is_empty() {
        // Something changed between the passes: write nothing, say what.
        drop(tx);
        out.errors.append(&mut second.errors);
        out.imported = 0;
        out.updated = 0;
        out.skipped = lines.len();
        return Ok(out);
    }
    tx.commit().await?;
    second.skipped += refused;
    second.errors = out.errors;
    second.written = second.imported + second.updated > 0;
    Ok(second)
}
