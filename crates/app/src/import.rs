//! Imports run from the command line. All-or-nothing: any bad row and nothing is written.

use gongjian_office::{CellError, division};
use gongjian_store::division::DivisionInput;
use gongjian_store::{Actor, Db, StoreError};
use std::path::Path;

/// What an import did, printed as JSON.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Report {
    /// New records.
    pub imported: usize,
    /// Existing records updated (or unchanged).
    pub updated: usize,
    /// Rows not imported.
    pub skipped: usize,
    /// Every problem, by sheet, row and column.
    pub errors: Vec<CellError>,
}

/// Imports a division table. Rows may come in any order: parents are placed first.
/// With `dry_run`, everything is checked and rolled back.
pub async fn divisions(
    db: &Db,
    actor: &Actor,
    file: &Path,
    dry_run: bool,
) -> Result<Report, StoreError> {
    let mut report = Report::default();
    let table = match gongjian_office::table::read(file) {
        Ok(t) => t,
        Err(e) => {
            report.errors.push(e);
            return Ok(report);
        }
    };
    let mut rows = match division::rows(&table) {
        Ok(r) => r,
        Err(e) => {
            report.errors.push(e);
            return Ok(report);
        }
    };
    // Parents before children: order by depth in the file's own tree, then by code.
    let depth = |code: &str, rows: &[division::DivisionRow]| {
        let mut d = 0;
        let mut cur = code.to_string();
        while let Some(r) = rows
            .iter()
            .find(|r| r.code == cur)
            .filter(|r| !r.parent_code.is_empty() && d < 16)
        {
            cur = r.parent_code.clone();
            d += 1;
        }
        d
    };
    let snapshot = rows.clone();
    rows.sort_by_key(|r| (depth(&r.code, &snapshot), r.code.clone()));
    check_rows(db, actor, &table.sheet, &rows, &mut report).await?;
    report.errors.sort_by_key(|e| e.row);
    if !report.errors.is_empty() {
        report.skipped = rows.len();
        return Ok(report);
    }
    let mut tx = db.begin_alone().await?;
    for r in &rows {
        let input = DivisionInput {
            code: r.code.clone(),
            name: r.name.clone(),
            kind: r.kind.clone(),
            parent_code: Some(r.parent_code.clone()),
        };
        match gongjian_store::division::upsert(&mut tx, actor, &input).await {
            Ok(true) => report.imported += 1,
            Ok(false) => report.updated += 1,
            Err(StoreError::Invalid(e) | StoreError::Conflict(e)) => {
                // Nothing is half-written: the transaction is dropped, rolling back every row.
                report.errors.push(cell_error(&table.sheet, r.row, e));
                report.imported = 0;
                report.updated = 0;
                report.skipped = rows.len();
                return Ok(report);
            }
            Err(other) => return Err(other),
        }
    }
    if !dry_run {
        tx.commit().await?;
    }
    Ok(report)
}

fn cell_error(sheet: &str, row: usize, e: gongjian_domain::DomainError) -> CellError {
    CellError {
        sheet: sheet.to_string(),
        row,
        column: division::column_of(e.field).to_string(),
        message: e.msg.zh,
        message_en: e.msg.en,
    }
}

/// Checks every row before anything is written, so the report lists all problems at once.
async fn check_rows(
    db: &Db,
    actor: &Actor,
    sheet: &str,
    rows: &[division::DivisionRow],
    report: &mut Report,
) -> Result<(), StoreError> {
    use gongjian_domain::division::{DivisionCode, DivisionKind, check_placement};
    use gongjian_domain::{DomainError, text};
    use std::collections::HashMap;
    let existing: HashMap<String, String> = gongjian_store::division::list(
        db,
        actor,
        &gongjian_store::division::DivisionFilter {
            include_inactive: Some(true),
            ..Default::default()
        },
    )
    .await?
    .into_iter()
    .map(|d| (d.code, d.kind))
    .collect();
    let in_file: HashMap<&str, &str> = rows
        .iter()
        .map(|r| (r.code.as_str(), r.kind.as_str()))
        .collect();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for r in rows {
        let mut errs: Vec<DomainError> = Vec::new();
        if let Err(e) = r.code.parse::<DivisionCode>() {
            errs.push(e);
        }
        if let Some(first) = seen.insert(r.code.as_str(), r.row) {
            errs.push(DomainError::new(
                "code",
                format!("代码“{}”与第 {first} 行重复。", r.code),
                format!("code '{}' repeats row {first}", r.code),
            ));
        }
        if let Err(e) = text::name("name", "名称", &r.name) {
            errs.push(e);
        }
        match r.kind.parse::<DivisionKind>() {
            Err(e) => errs.push(e),
            Ok(kind) => {
                let parent_kind = if r.parent_code.is_empty() {
                    Ok(None)
                } else if let Some(k) = in_file
                    .get(r.parent_code.as_str())
                    .map(|k| k.to_string())
                    .or_else(|| existing.get(&r.parent_code).cloned())
                {
                    Ok(k.parse::<DivisionKind>().ok())
                } else {
                    Err(DomainError::new(
                        "parent_code",
                        format!("上级代码“{}”既不在本表中，也不在系统中。", r.parent_code),
                        format!(
                            "parent code '{}' is neither in this table nor in the system",
                            r.parent_code
                        ),
                    ))
                };
                match parent_kind {
                    Err(e) => errs.push(e),
                    Ok(pk) => {
                        if let Err(e) = check_placement(kind, pk) {
                            errs.push(e);
                        }
                    }
                }
            }
        }
        report
            .errors
            .extend(errs.into_iter().map(|e| cell_error(sheet, r.row, e)));
    }
    Ok(())
}
