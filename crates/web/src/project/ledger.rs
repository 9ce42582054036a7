//! Ledger import and export, shared by the pages, the API and the command line.

use gongjian_domain::access::Permission;
use gongjian_domain::project::{Level, Nature, Stage};
use gongjian_office::ledger::{self, ColumnMatch, Synonyms};
use gongjian_office::ledger_export::{self, ExportRow};
use gongjian_store::project::{self, BulkRow, ProjectFilter};
use gongjian_store::{Actor, Db, StoreError};
use std::sync::Arc;

/// One problem of an import, by sheet, row and column.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ImportError {
    /// Sheet name.
    pub sheet: String,
    /// Excel row number (0: the whole file or sheet).
    pub row: usize,
    /// Column header and letter.
    pub column: String,
    /// What is wrong, Chinese.
    pub message: String,
    /// What is wrong, English.
    pub message_en: String,
}

/// A row that is not a project, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SkippedRow {
    /// Sheet name.
    pub sheet: String,
    /// Excel row number.
    pub row: usize,
    /// The row's text.
    pub text: String,
    /// Why, Chinese.
    pub reason: String,
}

/// A header column that matched no field (reported, never silently dropped), or one
/// recognised but not imported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ColumnNote {
    /// Sheet name.
    pub sheet: String,
    /// Column letter.
    pub column: String,
    /// Header as written.
    pub header: String,
}

impl From<&gongjian_office::CellError> for ImportError {
    fn from(e: &gongjian_office::CellError) -> Self {
        ImportError {
            sheet: e.sheet.clone(),
            row: e.row,
            column: e.column.clone(),
            message: e.message.clone(),
            message_en: e.message_en.clone(),
        }
    }
}

impl From<&ledger::SkippedRow> for SkippedRow {
    fn from(s: &ledger::SkippedRow) -> Self {
        SkippedRow {
            sheet: s.sheet.clone(),
            row: s.row,
            text: s.text.clone(),
            reason: s.reason.clone(),
        }
    }
}

impl From<&ColumnMatch> for ColumnNote {
    fn from(c: &ColumnMatch) -> Self {
        ColumnNote {
            sheet: c.sheet.clone(),
            column: c.column.clone(),
            header: c.header.clone(),
        }
    }
}

/// What an import did (or, in a dry run, would do).
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct ImportReport {
    /// New projects.
    pub imported: usize,
    /// Existing projects changed.
    pub updated: usize,
    /// Project rows not written: unchanged, or invalid under valid-only.
    pub skipped: usize,
    /// Every problem, by sheet, row and column.
    pub errors: Vec<ImportError>,
    /// Whether anything was written.
    pub written: bool,
    /// Whether this was a preview.
    pub dry_run: bool,
    /// Project rows found.
    pub rows: usize,
    /// Section, subtotal and total rows, and sheets without a ledger.
    pub skipped_rows: Vec<SkippedRow>,
    /// Header columns that matched no field.
    pub unmatched_columns: Vec<ColumnNote>,
    /// Columns recognised but not imported (sequence numbers, derived figures).
    pub ignored_columns: Vec<ColumnNote>,
}

/// New projects written per batch while the rest of a workbook is still being read.
const IMPORT_BATCH: usize = 4_000;
/// New projects worth a fill of the trigram index while the reader still reads
/// (`BulkWrite::index_now`): FTS5 merges a few large segments instead of one per batch.
const FTS_CHUNK: usize = 16_384;

/// Reads a workbook and imports its projects. Without `valid_only`, any error means
/// nothing is written; with it, the valid rows are written. A dry run writes nothing.
pub async fn import_bytes(
    db: &Db,
    actor: &Actor,
    file_name: &str,
    bytes: &[u8],
    sheet: Option<&str>,
    dry_run: bool,
    valid_only: bool,
) -> Result<ImportReport, StoreError> {
    actor.access.require(Permission::ProjectWrite)?;
    let extra: Vec<(String, String)> = project::synonyms(db)
        .await?
        .into_iter()
        .map(|(_, f, s)| (f, s))
        .collect();
    let bytes: Arc<[u8]> = bytes.into();
    let how = Import {
        sheet: sheet.map(str::to_string),
        extra,
        dry_run,
        valid_only,
    };
    let source = Source::File(file_name.to_string(), bytes.clone());
    if let Some(report) = pipeline(db, actor, source, &how).await? {
        return Ok(report);
    }
    // The fast xlsx reader met something it does not handle after the first rows were
    // written (and rolled back): the workbook is read into cells with calamine, and
    // imported again from those.
    let name = file_name.to_string();
    let read = tokio::task::spawn_blocking(move || ledger::read_xlsx_calamine(&name, &bytes))
        .await
        .map_err(|e| StoreError::Config(format!("workbook reader failed: {e}")))?;
    match read {
        Ok(sheets) => Ok(pipeline(db, actor, Source::Cells(sheets), &how)
            .await?
            .expect("cells are read to the end")),
        Err(e) => Ok(ImportReport {
            dry_run,
            errors: vec![ImportError::from(&e)],
            ..Default::default()
        }),
    }
}

/// What an import is asked to do.
struct Import {
    sheet: Option<String>,
    extra: Vec<(String, String)>,
    dry_run: bool,
    valid_only: bool,
}

/// A batch of new projects from the reading thread: checked, or also prepared.
enum Batch {
    Checked(Vec<project::Checked>),
    Prepared(project::Prepared),
}

/// Where the rows come from: a workbook file, read as it streams, or cells already read.
enum Source {
    File(String, Arc<[u8]>),
    Cells(Vec<ledger::Sheet>),
}

/// Reads and imports the rows of `source` in a pipeline. A blocking thread turns the
/// rows into projects and checks each as soon as it is read (checking needs no
/// database); the new projects come back here in batches and are written while the
/// thread reads on, so on two cores reading and writing overlap instead of taking
/// turns. An xlsx workbook is read as it is inflated: the first batch is written before
/// most of its XML is read. Nothing is committed until the end, and only when the whole
/// file passed (or `valid_only`): a batch written before an error was found is rolled
/// back with the transaction. `None` when the file must be read again into cells
/// ([`ledger::Streamed::Restart`]); nothing was written then.
async fn pipeline(
    db: &Db,
    actor: &Actor,
    source: Source,
    how: &Import,
) -> Result<Option<ImportReport>, StoreError> {
    let (dry_run, valid_only) = (how.dry_run, how.valid_only);
    let mut report = ImportReport {
        dry_run,
        ..Default::default()
    };
    let mut tx = db.begin_alone().await?;
    let mut check = project::BulkCheck::load(&mut tx, actor, valid_only).await?;
    let mut write = project::BulkWrite::begin(&mut tx, actor).await?;
    // On SQLite the reading thread also builds the new projects' rows and audit records,
    // so the writer only writes them.
    let mut prep = if dry_run { None } else { write.lend() };
    let (batches, mut incoming) = tokio::sync::mpsc::channel::<Batch>(2);
    // Written batches go back to the reading thread to be freed where they were built.
    let (used, written_back) = std::sync::mpsc::channel::<project::Prepared>();
    let (only, extra) = (how.sheet.clone(), how.extra.clone());
    let reader = tokio::task::spawn_blocking(move || {
        let mut batch: Vec<project::Checked> = Vec::new();
        // Once a row fails (and not `valid_only`), nothing will be written: rows are
        // still read and checked, to report every error, but no longer sent.
        let mut failed = false;
        let mut send = true;
        let mut ship = |batch: Vec<project::Checked>| {
            while let Ok(done) = written_back.try_recv() {
                drop(done);
            }
            let b = match prep.as_mut() {
                Some(p) => Batch::Prepared(p.prepare(&batch)),
                None => Batch::Checked(batch),
            };
            // A closed channel means the writer failed: stop sending.
            batches.blocking_send(b).is_ok()
        };
        let each = |row: Option<ledger::LedgerRow>| {
            let Some(row) = row else {
                failed = true;
                return;
            };
            let new = check.row(&BulkRow {
                input: &row.input,
                sheet: &row.sheet,
                row: row.row,
            });
            send &= (valid_only || !failed) && !check.refused();
            if !send {
                batch.clear();
                return;
            }
            batch.extend(new);
            if batch.len() >= IMPORT_BATCH {
                send = ship(std::mem::take(&mut batch));
            }
        };
        let syn = Synonyms::new(&extra);
        let read = match &source {
            Source::File(name, bytes) => {
                ledger::stream_ledger(name, bytes, &syn, only.as_deref(), each)
            }
            Source::Cells(sheets) => ledger::Streamed::Read(ledger::read_ledger_each(
                sheets,
                &syn,
                only.as_deref(),
                each,
            )),
        };
        if matches!(read, ledger::Streamed::Read(_))
            && send
            && (valid_only || !failed)
            && !batch.is_empty()
        {
            ship(batch);
        }
        (read, check, prep)
    });
    let mut written = Ok(());
    while let Some(batch) = incoming.recv().await {
        written = match batch {
            Batch::Checked(b) => write.create(&mut tx, &b, !dry_run).await,
            Batch::Prepared(rows) => {
                let w = write.insert(&mut tx, &rows, !dry_run).await;
                let _ = used.send(rows);
                w
            }
        };
        // No batch waiting: the writer would idle until the reader sends one, so it fills
        // the trigram index for what it wrote meanwhile (when enough waits), instead of
        // leaving the whole fill for after the reading.
        if written.is_ok() && incoming.is_empty() {
            written = write.index_now(&mut tx, FTS_CHUNK).await;
        }
        if written.is_err() {
            break;
        }
    }
    drop(incoming);
    let (read, check, prep) = reader
        .await
        .map_err(|e| StoreError::Config(format!("workbook reader failed: {e}")))?;
    written?;
    if let Some(p) = prep {
        write.give_back(p);
    }
    let l = match read {
        ledger::Streamed::Read(l) => l,
        // Dropping the transaction rolls back what was written.
        ledger::Streamed::Bad(e) => {
            report.errors.push(ImportError::from(&e));
            return Ok(Some(report));
        }
        ledger::Streamed::Restart => return Ok(None),
    };
    report.rows = check.rows()
        + l.errors
            .iter()
            .map(|e| (&e.sheet, e.row))
            .collect::<std::collections::BTreeSet<_>>()
            .len();
    report.skipped_rows = l.skipped.iter().map(SkippedRow::from).collect();
    report.unmatched_columns = l.unmatched().map(ColumnNote::from).collect();
    report.ignored_columns = l.ignored().map(ColumnNote::from).collect();
    report.errors = l.errors.iter().map(ImportError::from).collect();
    let sheet_error = l.errors.iter().any(|e| e.row == 0);
    // Rows the reader already refused never reach the store.
    let reading_bad = l
        .errors
        .iter()
        .filter(|e| e.row > 0)
        .map(|e| (&e.sheet, e.row))
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    // Cell errors found while reading count like store errors: all-or-nothing unless valid-only.
    let reading_failed = !report.errors.is_empty() && !valid_only;
    let out = write
        .finish(
            &mut tx,
            actor,
            check,
            dry_run || reading_failed || sheet_error,
        )
        .await?;
    for e in &out.errors {
        report.errors.push(ImportError {
            sheet: e.sheet.clone(),
            row: e.row,
            column: l.column_of(&e.sheet, &e.field),
            message: e.message.clone(),
            message_en: e.message_en.clone(),
        });
    }
    report
        .errors
        .sort_by(|a, b| (&a.sheet, a.row).cmp(&(&b.sheet, b.row)));
    let will_write = !dry_run && !sheet_error && (report.errors.is_empty() || valid_only);
    if will_write {
        report.imported = out.imported;
        report.updated = out.updated;
        report.skipped = out.skipped + reading_bad;
        tx.commit().await?;
        report.written = out.imported + out.updated > 0;
    } else {
        if dry_run && (report.errors.is_empty() || valid_only) {
            report.imported = out.imported;
            report.updated = out.updated;
            report.skipped = out.skipped + reading_bad;
        } else {
            report.skipped = report.rows;
        }
        drop(tx);
    }
    Ok(Some(report))
}

fn zh_or<T>(
    v: Result<T, gongjian_domain::DomainError>,
    f: impl Fn(T) -> &'static str,
    raw: &str,
) -> String {
    v.map_or(raw.to_string(), |x| f(x).to_string())
}

/// The projects in the actor's scope matching `f`, as export rows, for the plan year.
pub async fn export_rows(
    db: &Db,
    actor: &Actor,
    f: &ProjectFilter,
) -> Result<(Vec<ExportRow>, i64), StoreError> {
    let year = f.year.unwrap_or_else(project::this_year);
    let list = project::list_all(db, actor, f).await?;
    let ids: Vec<i64> = list.iter().map(|p| p.id).collect();
    let mut extras = project::extras(db, &ids, year).await?;
    let rows = list
        .into_iter()
        .map(|p| {
            let x = extras.remove(&p.id).unwrap_or_default();
            ExportRow {
                code: p.code.clone().unwrap_or_default(),
                name: p.name.clone(),
                level: zh_or(Level::parse(&p.level), Level::zh, &p.level),
                category: p.category.clone(),
                nature: zh_or(Nature::parse(&p.nature), Nature::zh, &p.nature),
                stage: zh_or(Stage::parse(&p.stage), Stage::zh, &p.stage),
                division_name: p.division_name.clone(),
                division_code: p.division_code.clone(),
                owner_name: p.owner_name.clone().unwrap_or_default(),
                owner_credit_code: p.owner_credit_code.clone().unwrap_or_default(),
                responsible_unit: p.responsible_unit_name.clone().unwrap_or_default(),
                cooperators: x.cooperators,
                contact_leader: p.contact_leader.clone().unwrap_or_default(),
                members: x.members,
                plan_doc: p.plan_doc.clone().unwrap_or_default(),
                total_investment: p.total_investment,
                annual_plan: x.plan.as_ref().map(|pl| pl.annual),
                months: x.plan.as_ref().map_or([None; 12], |pl| pl.months()),
                start_year: p.start_year,
                end_year: p.end_year,
                land_mu: p.land_mu,
                started: p.started,
                start_date: p.start_date.map(|d| d.to_string()).unwrap_or_default(),
                tags: x.tags,
                description: p.description.clone().unwrap_or_default(),
            }
        })
        .collect();
    Ok((rows, year))
}

/// An export: bytes, content type and file name.
pub struct Export {
    /// File content.
    pub bytes: Vec<u8>,
    /// MIME type.
    pub content_type: &'static str,
    /// Suggested file name.
    pub file_name: String,
}

/// Exports the projects in scope as xlsx, csv or json.
pub async fn export(
    db: &Db,
    actor: &Actor,
    f: &ProjectFilter,
    format: &str,
) -> Result<Export, StoreError> {
    let year = f.year.unwrap_or_else(project::this_year);
    let stem = format!("重点项目表-{year}");
    match format {
        "json" => {
            let list = project::list_all(db, actor, f).await?;
            let items: Vec<project::ProjectItem> = list.iter().map(|p| p.item()).collect();
            Ok(Export {
                bytes: serde_json::to_vec_pretty(&items).expect("serialisable"),
                content_type: "application/json",
                file_name: format!("{stem}.json"),
            })
        }
        "csv" => {
            let (rows, year) = export_rows(db, actor, f).await?;
            Ok(Export {
                bytes: ledger_export::to_csv(&rows, year),
                content_type: "text/csv; charset=utf-8",
                file_name: format!("{stem}.csv"),
            })
        }
        "xlsx" => {
            let (rows, year) = export_rows(db, actor, f).await?;
            let title = format!("{year}年重点项目表");
            let bytes = ledger_export::to_xlsx(&rows, year, &title)
                .map_err(|e| StoreError::Config(format!("xlsx: {e}")))?;
            Ok(Export {
                bytes,
                content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                file_name: format!("{stem}.xlsx"),
            })
        }
        other => Err(gongjian_domain::DomainError::new(
            "format",
            format!("不支持的导出格式“{other}”，应为 xlsx、csv 或 json。"),
            format!("Unknown export format '{other}': use xlsx, csv or json."),
        )
        .into()),
    }
}

/// The empty import template (xlsx) for a year.
pub fn template(year: i64) -> Vec<u8> {
    ledger_export::to_xlsx(&[], year, &format!("{year}年重点项目表（导入模板）"))
        .unwrap_or_default()
}
