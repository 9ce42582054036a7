//! Sheets read into cells: xlsx streamed, xls/ods through calamine's grid, CSV as text.

use crate::table::{CellError, MAX_FILE_BYTES};
use calamine::{Data, Reader};

/// A cell as read: text, number, date serial or boolean.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing.
    Empty,
    /// Text, trimmed.
    Text(String),
    /// A number.
    Number(f64),
    /// An Excel date serial.
    Date(f64),
    /// A boolean.
    Bool(bool),
}

impl Cell {
    /// The text of the cell, borrowed when it is text (the import reads every cell).
    pub(super) fn text_ref(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Cell::Text(s) => std::borrow::Cow::Borrowed(s),
            other => std::borrow::Cow::Owned(other.text()),
        }
    }

    pub(super) fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Number(f) | Cell::Date(f) => {
                if f.fract() == 0.0 && f.abs() < 1e15 {
                    format!("{}", *f as i64)
                } else {
                    format!("{f}")
                }
            }
            Cell::Bool(b) => if *b { "是" } else { "否" }.into(),
        }
    }
}

/// One sheet of cells.
#[derive(Debug, Clone)]
pub struct Sheet {
    /// Sheet name.
    pub name: String,
    /// Rows of cells; `rows[0]` is Excel row `first_row`.
    pub rows: Vec<Vec<Cell>>,
    /// Excel row number of the first row.
    pub first_row: usize,
}

pub(super) fn file_error(sheet: &str, zh: String, en: String) -> CellError {
    CellError {
        sheet: sheet.into(),
        row: 0,
        column: String::new(),
        message: zh,
        message_en: en,
    }
}

/// Refuses a file larger than an upload may be.
pub(super) fn check_size(file_name: &str, bytes: &[u8]) -> Result<(), CellError> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(file_error(
            file_name,
            format!(
                "文件过大（{} 字节），上限 {MAX_FILE_BYTES} 字节。",
                bytes.len()
            ),
            format!(
                "file too large ({} bytes; at most {MAX_FILE_BYTES})",
                bytes.len()
            ),
        ));
    }
    Ok(())
}

/// Whether the file is an xlsx workbook (by its name), which is read as it streams.
pub(super) fn is_xlsx(file_name: &str) -> bool {
    let lower = file_name.to_ascii_lowercase();
    lower.ends_with(".xlsx") || lower.ends_with(".xlsm")
}

/// Reads every sheet of an xlsx/xls/ods workbook, or a CSV, from bytes.
pub fn read_sheets(file_name: &str, bytes: &[u8]) -> Result<Vec<Sheet>, CellError> {
    check_size(file_name, bytes)?;
    let lower = file_name.to_ascii_lowercase();
    if lower.ends_with(".csv") || lower.ends_with(".txt") {
        let t = crate::table::read_csv(bytes)?;
        return Ok(vec![Sheet {
            name: t.sheet,
            first_row: t.first_row,
            rows: t
                .rows
                .into_iter()
                .map(|r| {
                    r.into_iter()
                        .map(|c| {
                            if c.is_empty() {
                                Cell::Empty
                            } else {
                                Cell::Text(c)
                            }
                        })
                        .collect()
                })
                .collect(),
        }]);
    }
    if !(lower.ends_with(".xlsx")
        || lower.ends_with(".xlsm")
        || lower.ends_with(".xls")
        || lower.ends_with(".ods"))
    {
        return Err(file_error(
            file_name,
            "不支持的文件类型，请上传 .xlsx、.xls 或 .csv 文件。".into(),
            "unsupported file type; upload .xlsx, .xls or .csv".into(),
        ));
    }
    if is_xlsx(file_name) {
        return read_xlsx(file_name, bytes);
    }
    let mut wb =
        calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).map_err(|e| {
            file_error(
                file_name,
                format!("无法打开工作簿（文件可能已损坏或不是 Excel 文件）：{e}"),
                format!("cannot open the workbook: {e}"),
            )
        })?;
    let mut out = Vec::new();
    for name in wb.sheet_names().to_vec() {
        let range = wb.worksheet_range(&name).map_err(|e| {
            file_error(
                &name,
                format!("无法读取工作表：{e}"),
                format!("cannot read the sheet: {e}"),
            )
        })?;
        let first_row = range.start().map_or(1, |(r, _)| r as usize + 1);
        let first_col = range.start().map_or(0, |(_, c)| c as usize);
        let rows = range
            .rows()
            .map(|r| {
                let mut v: Vec<Cell> = vec![Cell::Empty; first_col];
                v.extend(r.iter().map(|d| match d {
                    Data::Empty => Cell::Empty,
                    Data::String(s) if s.trim().is_empty() => Cell::Empty,
                    Data::String(s) => Cell::Text(s.trim().to_string()),
                    Data::Float(f) => Cell::Number(*f),
                    Data::Int(i) => Cell::Number(*i as f64),
                    Data::Bool(b) => Cell::Bool(*b),
                    Data::DateTime(d) => Cell::Date(d.as_f64()),
                    Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
                    Data::Error(_) => Cell::Empty,
                }));
                v
            })
            .collect();
        out.push(Sheet {
            name,
            rows,
            first_row,
        });
    }
    Ok(out)
}

pub(super) fn text_cell(s: &str) -> Cell {
    let t = s.trim();
    if t.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(t.to_string())
    }
}

/// Puts a read cell at zero-based row `r`, column `c`, growing the grid as needed;
/// empty cells are not stored.
pub(super) fn put(rows: &mut Vec<Vec<Cell>>, r: usize, c: usize, value: Cell) {
    if value == Cell::Empty {
        return;
    }
    if rows.len() <= r {
        rows.resize_with(r + 1, Vec::new);
    }
    let row = &mut rows[r];
    if row.len() <= c {
        row.resize(c + 1, Cell::Empty);
    }
    row[c] = value;
}

/// Reads every sheet of an xlsx workbook: with the single-pass reader
/// ([`super::xlsx`]), or with calamine when that reader steps aside.
pub(super) fn read_xlsx(file_name: &str, bytes: &[u8]) -> Result<Vec<Sheet>, CellError> {
    match super::xlsx::read(bytes) {
        super::xlsx::Outcome::Sheets(s) => Ok(s),
        super::xlsx::Outcome::Bad(sheet, why) => Err(bad_sheet(&sheet, &why)),
        super::xlsx::Outcome::Fallback => read_xlsx_calamine(file_name, bytes),
    }
}

/// A sheet the fast reader could not read.
pub(super) fn bad_sheet(sheet: &str, why: &str) -> CellError {
    file_error(
        sheet,
        format!("无法读取工作表：{why}"),
        format!("cannot read the sheet: {why}"),
    )
}

/// Streams the cells of every sheet of an xlsx workbook through calamine: one
/// allocation per text cell, no intermediate grid.
pub fn read_xlsx_calamine(file_name: &str, bytes: &[u8]) -> Result<Vec<Sheet>, CellError> {
    use calamine::DataRef;
    let open_error = |e: &dyn std::fmt::Display| {
        file_error(
            file_name,
            format!("无法打开工作簿（文件可能已损坏或不是 Excel 文件）：{e}"),
            format!("cannot open the workbook: {e}"),
        )
    };
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).map_err(|e| open_error(&e))?;
    let mut out = Vec::new();
    for name in wb.sheet_names() {
        let sheet_error = |e: &dyn std::fmt::Display| {
            file_error(
                &name,
                format!("无法读取工作表：{e}"),
                format!("cannot read the sheet: {e}"),
            )
        };
        let mut reader = wb
            .worksheet_cells_reader(&name)
            .map_err(|e| sheet_error(&e))?;
        let mut rows: Vec<Vec<Cell>> = Vec::new();
        while let Some(cell) = reader.next_cell().map_err(|e| sheet_error(&e))? {
            let (r, c) = cell.get_position();
            let value = match cell.get_value() {
                DataRef::Empty | DataRef::Error(_) => continue,
                DataRef::SharedString(s) => text_cell(s),
                DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
                    text_cell(s)
                }
                DataRef::Float(f) => Cell::Number(*f),
                DataRef::Int(i) => Cell::Number(*i as f64),
                DataRef::Bool(b) => Cell::Bool(*b),
                DataRef::DateTime(d) => Cell::Date(d.as_f64()),
            };
            put(&mut rows, r as usize, c as usize, value);
        }
        out.push(Sheet {
            name,
            rows,
            first_row: 1,
        });
    }
    Ok(out)
}
