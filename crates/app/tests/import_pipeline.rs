//! A big ledger import is a pipeline: new projects are written in batches while the
//! rest of the workbook is still being read and checked. An error found after batches
//! were written must still leave nothing behind (all or nothing), valid-only must write
//! every good row, and importing the same file again must change nothing. Checked on
//! both engines with a ledger longer than one batch, its bad rows near the end.

use gongjian::bench::export_row;
use gongjian::synth;
use gongjian_office::ledger_export;
use gongjian_store::testing::TestDb;
use gongjian_store::{Actor, Db, on_db};
use gongjian_web::project::ledger::import_bytes;

/// More rows than one batch of the import (4,000), so the first batch is written
/// before the bad rows are read.
const ROWS: usize = 4_500;
/// Indexes of the bad rows (their Excel rows are found by name below).
const BAD_DIVISION: usize = 4_300;
const BAD_DATE: usize = 4_400;

async fn counts(db: &Db) -> (i64, i64, i64) {
    let p: i64 =
        on_db!(db, c => sqlx::query_scalar("SELECT COUNT(*) FROM project").fetch_one(c).await)
            .unwrap();
    let a: i64 = on_db!(db, c => sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'project'").fetch_one(c).await).unwrap();
    let m: i64 =
        on_db!(db, c => sqlx::query_scalar("SELECT COUNT(*) FROM project_plan").fetch_one(c).await)
            .unwrap();
    (p, a, m)
}

/// A database with the synthetic world and no project, and `ROWS` ledger rows of
/// synthetic projects for it (by `seed`).
async fn world_and_rows(engine: &str, seed: u64) -> (TestDb, Vec<ledger_export::ExportRow>) {
    let t = TestDb::new(engine).await.unwrap();
    synth::ensure_world(&t.db, &Actor::cli(), false, 1)
        .await
        .unwrap();
    let world = synth::world(&t.db).await.unwrap();
    let names: std::collections::HashMap<String, String> =
        world.divisions.iter().cloned().collect();
    let year = gongjian_store::project::this_year();
    let rows = synth::projects(&world, ROWS, seed, year)
        .iter()
        .map(|(p, _)| export_row(p, &names[&p.division]))
        .collect();
    (t, rows)
}

async fn run(engine: &str) {
    let (t, mut rows) = world_and_rows(engine, 3).await;
    let db = &t.db;
    let actor = Actor::cli();
    let year = gongjian_store::project::this_year();
    // One section, so the sheet keeps the rows in this order.
    let category = rows[0].category.clone();
    for r in &mut rows {
        r.category = category.clone();
    }
    // A division nobody knows (found by the store's check) and a date nobody can read
    // (found while reading the cells), both after the first batch.
    rows[BAD_DIVISION].division_code = "999999".into();
    rows[BAD_DIVISION].division_name = "不存在区".into();
    rows[BAD_DATE].start_date = "某年某月".into();
    let (bad_division, bad_date) = (rows[BAD_DIVISION].name.clone(), rows[BAD_DATE].name.clone());
    let xlsx = ledger_export::to_xlsx(&rows, year, "大台账").unwrap();

    // All or nothing: two errors, reported with their rows and columns; nothing stays,
    // not even the batch written before they were found.
    let r = import_bytes(db, &actor, "big.xlsx", &xlsx, None, false, false)
        .await
        .unwrap();
    assert!(!r.written, "{engine}");
    assert_eq!(r.imported, 0, "{engine}");
    assert_eq!(r.rows, ROWS, "{engine}");
    assert_eq!(r.errors.len(), 2, "{engine}: {:?}", r.errors);
    let sheets = gongjian_office::ledger::read_sheets("big.xlsx", &xlsx).unwrap();
    let excel_row = |name: &str| -> usize {
        let i = sheets[0]
            .rows
            .iter()
            .position(|r| {
                r.iter()
                    .any(|c| *c == gongjian_office::ledger::Cell::Text(name.into()))
            })
            .unwrap();
        sheets[0].first_row + i
    };
    let (division_row, date_row) = (excel_row(&bad_division), excel_row(&bad_date));
    assert!(
        division_row > 4_000 && date_row > division_row,
        "{division_row} {date_row}"
    );
    assert_eq!(r.errors[0].row, division_row, "{engine}: {:?}", r.errors[0]);
    assert!(r.errors[0].message.contains("999999"), "{:?}", r.errors[0]);
    assert!(r.errors[0].column.contains("区划"), "{:?}", r.errors[0]);
    assert_eq!(r.errors[1].row, date_row, "{engine}: {:?}", r.errors[1]);
    assert!(
        r.errors[1].message.contains("某年某月"),
        "{:?}",
        r.errors[1]
    );
    assert_eq!(counts(db).await, (0, 0, 0), "{engine}: nothing written");

    // Valid rows only: every other row goes in, each audited, with its plan.
    let r = import_bytes(db, &actor, "big.xlsx", &xlsx, None, false, true)
        .await
        .unwrap();
    assert!(r.written, "{engine}");
    assert_eq!(
        (r.imported, r.updated, r.skipped),
        (ROWS - 2, 0, 2),
        "{engine}"
    );
    let good = (ROWS - 2) as i64;
    let (p, a, plans) = counts(db).await;
    assert_eq!((p, a), (good, good), "{engine}");
    assert!(plans > good / 2, "{engine}: {plans} plans");
    let names_in: i64 = on_db!(db, c => sqlx::query_scalar("SELECT COUNT(*) FROM project WHERE name IN ($1, $2)").bind(&bad_division).bind(&bad_date).fetch_one(c).await).unwrap();
    assert_eq!(names_in, 0, "{engine}: the bad rows stay out");

    // The same file again: every good row matches its project and nothing changes.
    let r = import_bytes(db, &actor, "big.xlsx", &xlsx, None, false, true)
        .await
        .unwrap();
    assert_eq!((r.imported, r.updated, r.skipped), (0, 0, ROWS), "{engine}");
    assert_eq!(counts(db).await, (good, good, plans), "{engine}");
}

/// `xlsx` with the first number of Excel row `row` (its sequence number) written as an
/// inline string in a CDATA section: the fast reader steps aside there.
fn cdata_in_row(xlsx: &[u8], row: usize) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut out = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut out);
    for i in 0..zin.len() {
        let mut file = zin.by_index(i).unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        let path = file.name().to_string();
        if path == "xl/worksheets/sheet1.xml" {
            let start = text.find(&format!("<row r=\"{row}\"")).unwrap();
            let end = start + text[start..].find("</row>").unwrap();
            let mut cells = String::new();
            for cell in text[start..end].split_inclusive("</c>") {
                match (cell.contains(" t=\""), cell.find("<c "), cell.find("<v>")) {
                    (false, Some(c), Some(v)) if !cells.contains("CDATA") => {
                        let value = &cell[v + 3..cell.find("</v>").unwrap()];
                        let tag_end = c + cell[c..].find('>').unwrap();
                        cells.push_str(&cell[..tag_end]);
                        cells.push_str(&format!(
                            " t=\"inlineStr\"><is><t><![CDATA[{value}]]></t></is></c>"
                        ));
                    }
                    _ => cells.push_str(cell),
                }
            }
            assert!(cells.contains("CDATA"), "a number in row {row}");
            text.replace_range(start..end, &cells);
        }
        z.start_file(path, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(text.as_bytes()).unwrap();
    }
    z.finish().unwrap();
    out.into_inner()
}

/// The fast xlsx reader streams rows into the import as it inflates the sheet. When it
/// meets something it leaves to calamine (here CDATA) after the first batch was
/// written, the import starts over from cells read by calamine: every project once,
/// each audited once, and the same file again changes nothing.
async fn restart(engine: &str) {
    let (t, rows) = world_and_rows(engine, 5).await;
    let db = &t.db;
    let actor = Actor::cli();
    let year = gongjian_store::project::this_year();
    let plain = ledger_export::to_xlsx(&rows, year, "大台账").unwrap();
    let last_row = gongjian_office::ledger::read_sheets("a.xlsx", &plain).unwrap()[0]
        .rows
        .len();
    let xlsx = cdata_in_row(&plain, last_row - 2);

    // Streamed, the reader hands over more than a batch before it steps aside.
    let mut handed = 0;
    let syn = gongjian_office::ledger::Synonyms::new(&[]);
    let streamed = gongjian_office::ledger::stream_ledger("a.xlsx", &xlsx, &syn, None, |r| {
        handed += usize::from(r.is_some())
    });
    assert!(
        matches!(streamed, gongjian_office::ledger::Streamed::Restart),
        "{streamed:?}"
    );
    assert!(handed > 4_000, "{handed}");

    let r = import_bytes(db, &actor, "a.xlsx", &xlsx, None, false, false)
        .await
        .unwrap();
    assert!(r.errors.is_empty(), "{engine}: {:?}", r.errors.first());
    assert_eq!((r.imported, r.updated, r.skipped), (ROWS, 0, 0), "{engine}");
    let (p, a, plans) = counts(db).await;
    assert_eq!((p, a), (ROWS as i64, ROWS as i64), "{engine}");
    // Free text finds the first project and the last (on SQLite the trigram index is
    // filled once every batch is written).
    for row in [&rows[0], &rows[ROWS - 1]] {
        let q: String = row.name.chars().take(6).collect();
        let filter = gongjian_store::project::ProjectFilter {
            q: Some(q.clone()),
            ..Default::default()
        };
        let found = gongjian_store::project::list_all(db, &actor, &filter)
            .await
            .unwrap();
        assert!(
            found.iter().any(|p| p.name == row.name),
            "{engine}: '{q}' finds {}",
            row.name
        );
    }
    // The file read without CDATA matches every project the restarted import wrote.
    let r = import_bytes(db, &actor, "a.xlsx", &plain, None, false, false)
        .await
        .unwrap();
    assert_eq!((r.imported, r.updated, r.skipped), (0, 0, ROWS), "{engine}");
    assert_eq!(counts(db).await, (p, a, plans), "{engine}");
}

#[tokio::test]
async fn an_import_the_fast_reader_gives_up_on_half_way_starts_over_on_sqlite() {
    restart("sqlite").await;
}

#[tokio::test]
async fn an_import_the_fast_reader_gives_up_on_half_way_starts_over_on_postgres() {
    restart("postgres").await;
}

#[tokio::test]
async fn a_big_import_with_late_errors_writes_nothing_or_only_valid_rows_on_sqlite() {
    run("sqlite").await;
}

#[tokio::test]
async fn a_big_import_with_late_errors_writes_nothing_or_only_valid_rows_on_postgres() {
    run("postgres").await;
}
