//! A sheet read into text cells, from CSV (UTF-8 or GBK-free UTF-8 with BOM) or xlsx.

use calamine::{Data, Reader};
use std::path::Path;

/// Largest file we read (bytes): a province ledger of 100,000 projects is about 21 MB;
/// this bounds bad uploads.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// A problem at a place in a sheet.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CellError {
    /// Sheet name (`csv` for CSV files).
    pub sheet: String,
    /// 1-based row number as Excel shows it.
    pub row: usize,
    /// Column header (or letter) at fault; empty for whole-row or file problems.
    pub column: String,
    /// What is wrong, Chinese.
    pub message: String,
    /// What is wrong, English.
    pub message_en: String,
}

impl std::fmt::Display for CellError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.row == 0 {
            write!(f, "{}：{}（{}）", self.sheet, self.message, self.message_en)
        } else {
            write!(
                f,
                "{} 第 {} 行“{}”列：{}（row {}, column {}: {}）",
                self.sheet,
                self.row,
                self.column,
                self.message,
                self.row,
                self.column,
                self.message_en
            )
        }
    }
}

/// One sheet as rows of trimmed text cells; `first_row` is the 1-based row of `rows[0]`.
#[derive(Debug, Clone)]
pub struct Table {
    /// Sheet name.
    pub sheet: String,
    /// Rows of cells.
    pub rows: Vec<Vec<String>>,
    /// Excel row number of the first row.
    pub first_row: usize,
}

fn file_error(sheet: &str, zh: String, en: String) -> CellError {
    CellError {
        sheet: sheet.to_string(),
        row: 0,
        column: String::new(),
        message: zh,
        message_en: en,
    }
}

/// Reads the first sheet of an `.xlsx`/`.xls`/`.ods` file, or a `.csv` file.
pub fn read(path: &Path) -> Result<Table, CellError> {
    let name = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| {
        file_error(
            &name,
            format!("无法读取文件：{e}"),
            format!("cannot read the file: {e}"),
        )
    })?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(file_error(
            &name,
            format!(
                "文件过大（{} 字节），上限 {MAX_FILE_BYTES} 字节。",
                meta.len()
            ),
            format!("file too large ({} bytes)", meta.len()),
        ));
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "csv" | "txt" => read_csv(&std::fs::read(path).map_err(|e| {
            file_error(
                &name,
                format!("无法读取文件：{e}"),
                format!("cannot read: {e}"),
            )
        })?),
        "xlsx" | "xlsm" | "xls" | "ods" => read_workbook(path),
        other => Err(file_error(
            &name,
            format!("不支持的文件类型“.{other}”，请使用 .xlsx 或 .csv。"),
            format!("unsupported file type '.{other}'; use .xlsx or .csv"),
        )),
    }
}

/// Reads CSV bytes (UTF-8, with or without BOM).
pub fn read_csv(bytes: &[u8]) -> Result<Table, CellError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| {
        file_error(
            "csv",
            "CSV 文件不是 UTF-8 编码。请在 WPS/Excel 中另存为“CSV UTF-8”，或直接上传 xlsx。".into(),
            "the CSV is not UTF-8; save as CSV UTF-8 or use xlsx".into(),
        )
    })?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| CellError {
            sheet: "csv".into(),
            row: i + 1,
            column: String::new(),
            message: format!("CSV 格式错误：{e}"),
            message_en: format!("malformed CSV: {e}"),
        })?;
        // Blank lines are skipped by the reader: keep row numbers true to the file.
        let line = rec.position().map_or(rows.len() + 1, |p| {
            // The position is where the reader started, before any blank lines it skipped.
            let bytes = text.as_bytes();
            let mut at = p.byte() as usize;
            while at < bytes.len() && matches!(bytes[at], b'\n' | b'\r') {
                at += 1;
            }
            bytes[..at].iter().filter(|b| **b == b'\n').count() + 1
        });
        while rows.len() + 1 < line {
            rows.push(Vec::new());
        }
        rows.push(rec.iter().map(|c| c.trim().to_string()).collect());
    }
    Ok(Table {
        sheet: "csv".into(),
        rows,
        first_row: 1,
    })
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        // Codes typed as numbers come back as floats: 370102.0 → "370102".
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        other => other.to_string().trim().to_string(),
    }
}

fn read_workbook(path: &Path) -> Result<Table, CellError> {
    let name = path.display().to_string();
    let mut wb = calamine::open_workbook_auto(path).map_err(|e| {
        file_error(
            &name,
            format!("无法打开工作簿：{e}"),
            format!("cannot open workbook: {e}"),
        )
    })?;
    let sheet = wb.sheet_names().first().cloned().ok_or_else(|| {
        file_error(
            &name,
            "工作簿中没有工作表。".into(),
            "the workbook has no sheet".into(),
        )
    })?;
    let range = wb.worksheet_range(&sheet).map_err(|e| {
        file_error(
            &sheet,
            format!("无法读取工作表：{e}"),
            format!("cannot read sheet: {e}"),
        )
    })?;
    let first_row = range.start().map_or(1, |(r, _)| r as usize + 1);
    let rows = range
        .rows()
        .map(|r| r.iter().map(cell_text).collect())
        .collect();
    Ok(Table {
        sheet,
        rows,
        first_row,
    })
}
