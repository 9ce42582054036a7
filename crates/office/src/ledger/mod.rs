//! The key-project ledger (重点项目台账) as offices actually send it.
//!
//! A sheet may have a title row and a unit row (`单位：万元`) above the header; a
//! two-row header whose top row groups columns (`投资情况` over `总投资 / 年度计划投资`,
//! merged cells leave the other top cells empty); units in headers (`总投资（亿元）`);
//! section rows (`一、产业项目（25个）`, `（一）先进制造业`) and subtotal rows between
//! projects; numbers as text, with separators or full-width digits; several sheets.
//! Columns are matched through a synonym table that administrators extend; every column
//! that matches nothing is reported.

mod columns;
mod reader;
mod reports;
mod sheets;
mod xlsx;

pub use columns::{FIELDS, Field, Synonyms, column_letter, field_ids};
pub use reader::{LedgerReader, Streamed, stream_ledger};
pub use reports::{ReportLine, ReportSheets, read_reports};
pub use sheets::{Cell, Sheet, read_sheets, read_xlsx_calamine};

use crate::table::CellError;
use columns::{Kind, norm_header};
use gongjian_domain::money::{self, MoneyUnit};
use gongjian_domain::project::{self as dp, Category, ProjectInput};
use sheets::file_error;
use std::collections::BTreeMap;

/// How one column of a sheet was understood.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ColumnMatch {
    /// Sheet name.
    pub sheet: String,
    /// Column letter.
    pub column: String,
    /// Header as written (both rows, joined with `/`).
    pub header: String,
    /// Field id, or `None` when nothing matched.
    pub field: Option<String>,
    /// The money unit read from the header or unit row, for amount columns.
    pub unit: Option<String>,
}

/// A row that is not a project, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SkippedRow {
    /// Sheet name.
    pub sheet: String,
    /// Excel row number.
    pub row: usize,
    /// The row's first text.
    pub text: String,
    /// Why it was skipped, Chinese.
    pub reason: String,
    /// Why, English.
    pub reason_en: String,
}

/// A project row read from a sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    /// Sheet name.
    pub sheet: String,
    /// Excel row number.
    pub row: usize,
    /// The project as written.
    pub input: ProjectInput,
}

/// Everything read from a workbook.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    /// Project rows.
    pub rows: Vec<LedgerRow>,
    /// Section, subtotal and total rows, and sheets without a ledger.
    pub skipped: Vec<SkippedRow>,
    /// Cells that could not be read.
    pub errors: Vec<CellError>,
    /// How each header column was matched (matched and unmatched).
    pub columns: Vec<ColumnMatch>,
}

impl Ledger {
    /// Columns that matched no field: reported, never silently dropped.
    pub fn unmatched(&self) -> impl Iterator<Item = &ColumnMatch> {
        self.columns.iter().filter(|c| c.field.is_none())
    }

    /// Columns recognised but not imported (derived or monthly-report figures).
    pub fn ignored(&self) -> impl Iterator<Item = &ColumnMatch> {
        self.columns
            .iter()
            .filter(|c| matches!(c.field.as_deref(), Some("seq" | "derived")))
    }

    /// The header of the column holding `field` on `sheet`, for error messages.
    pub fn column_of(&self, sheet: &str, field: &str) -> String {
        let want: Vec<&str> = match field {
            "total_investment_wan" => vec!["total_investment"],
            "annual_plan_wan" | "plan_year" => vec!["annual_plan"],
            "months_wan" | "months" => vec!["m1", "annual_plan"],
            "division" => vec!["division_code", "division"],
            "end_year" | "start_year" => vec!["period", "start_year", "end_year"],
            "tags" => vec!["tags", "special_bond", "central_budget", "showcase"],
            other => vec![other],
        };
        for w in want {
            if let Some(c) = self
                .columns
                .iter()
                .find(|c| c.sheet == sheet && c.field.as_deref() == Some(w))
            {
                return format!("{}（{}）", c.header, c.column);
            }
        }
        field.to_string()
    }
}

fn is_blank(row: &[Cell]) -> bool {
    row.iter().all(|c| match c {
        Cell::Empty => true,
        Cell::Text(s) => s.trim().is_empty(),
        _ => false,
    })
}

/// Values that mean "nothing" in ledgers.
fn is_empty_marker(s: &str) -> bool {
    matches!(
        s.trim(),
        "" | "—" | "——" | "-" | "--" | "－" | "/" | "／" | "无" | "暂无" | "——/" | "\\"
    )
}

const CN_NUMS: &str = "一二三四五六七八九十";

/// `一、产业项目（25个）`, `（一）先进制造业`, `(二)基础设施`, `三.社会民生`.
fn section_title(s: &str) -> Option<String> {
    let t = s.trim();
    let strip_num = |x: &str| -> Option<usize> {
        let n = x.chars().take_while(|c| CN_NUMS.contains(*c)).count();
        (n > 0).then_some(x.chars().take(n).map(char::len_utf8).sum())
    };
    let body = if let Some(rest) = t.strip_prefix('（').or_else(|| t.strip_prefix('(')) {
        let n = strip_num(rest)?;
        rest[n..]
            .strip_prefix('）')
            .or_else(|| rest[n..].strip_prefix(')'))?
    } else {
        let n = strip_num(t)?;
        t[n..]
            .strip_prefix('、')
            .or_else(|| t[n..].strip_prefix('.'))
            .or_else(|| t[n..].strip_prefix('．'))?
    };
    let body = match body.find(['（', '(']) {
        Some(i) => &body[..i],
        None => body,
    };
    Some(body.trim().to_string())
}

fn is_total(s: &str) -> bool {
    let says = |t: &str| t.contains("小计") || t.contains("合计") || t.contains("总计");
    // Most cells hold no space: read them as they are, without a copy.
    if !s.contains(char::is_whitespace) {
        return says(s);
    }
    says(&s.chars().filter(|c| !c.is_whitespace()).collect::<String>())
}

struct Col {
    field: usize,
    unit: MoneyUnit,
    year: Option<i64>,
}

/// (score, first row, rows in header, labels, top labels)
type HeaderGuess = (usize, usize, usize, Vec<String>, Vec<String>);

/// Finds the header: the row, or pair of rows, that names the most known fields.
/// Returns (first header row index, rows in header, labels per column, top labels).
fn find_header(
    rows: &[Vec<Cell>],
    syn: &Synonyms,
) -> Option<(usize, usize, Vec<String>, Vec<String>)> {
    let score = |labels: &[String]| -> usize {
        let fields: std::collections::BTreeSet<usize> = labels
            .iter()
            .filter_map(|l| syn.lookup(l).map(|x| x.0))
            .collect();
        let has_name = fields.iter().any(|i| FIELDS[*i].id == "name");
        if has_name { fields.len() } else { 0 }
    };
    header_rows(rows, &|l| syn.lookup(l).is_some(), &score)
}

/// The header of a sheet by `score` (how many known columns a row of labels names; 0
/// when it cannot be the header): one row, or two when a group row sits above, whose
/// merged group cells (empty to the right) are carried over unless they are a known
/// column themselves.
fn header_rows(
    rows: &[Vec<Cell>],
    known: &dyn Fn(&str) -> bool,
    score: &dyn Fn(&[String]) -> usize,
) -> Option<(usize, usize, Vec<String>, Vec<String>)> {
    let width = rows.iter().take(30).map(Vec::len).max().unwrap_or(0);
    let texts = |r: usize| -> Vec<String> {
        (0..width)
            .map(|c| {
                rows.get(r)
                    .and_then(|x| x.get(c))
                    .map_or(String::new(), Cell::text)
            })
            .collect()
    };
    let mut best: Option<HeaderGuess> = None;
    for r in 0..rows.len().min(30) {
        let top = texts(r);
        let single = score(&top);
        if single >= 2 && best.as_ref().is_none_or(|b| single > b.0) {
            best = Some((single, r, 1, top.clone(), vec![String::new(); width]));
        }
        if r + 1 < rows.len() {
            // The top row's merged group cells are empty to the right: carry them over.
            let bottom = texts(r + 1);
            let mut carried = top.clone();
            for c in 1..width {
                if carried[c].is_empty()
                    && !bottom[c].is_empty()
                    && !bottom[c - 1].is_empty()
                    && !carried[c - 1].is_empty()
                    && !known(&carried[c - 1])
                {
                    carried[c] = carried[c - 1].clone();
                }
            }
            let labels: Vec<String> = (0..width)
                .map(|c| {
                    if bottom[c].is_empty() {
                        top[c].clone()
                    } else {
                        bottom[c].clone()
                    }
                })
                .collect();
            let pair = score(&labels);
            // A real two-row header says more than either row alone.
            if pair >= 2
                && pair > single
                && pair > score(&bottom)
                && best.as_ref().is_none_or(|b| pair > b.0)
            {
                best = Some((pair, r, 2, labels, carried));
            }
        }
    }
    best.map(|(_, r, n, labels, top)| (r, n, labels, top))
}

/// Reads the projects of every sheet (or of `only_sheet`).
pub fn read_ledger(sheets: &[Sheet], syn: &Synonyms, only_sheet: Option<&str>) -> Ledger {
    let mut rows = Vec::new();
    let mut out = read_ledger_each(sheets, syn, only_sheet, |r| rows.extend(r));
    out.rows = rows;
    out
}

/// Like [`read_ledger`], but hands each project row to `each` as soon as it is read,
/// so its caller can check and write rows while the rest are still being read: `each`
/// gets `Some(row)` for a project row and `None` for a row that could not be read (its
/// errors are in the returned ledger's `errors`). The returned ledger's `rows` is empty.
pub fn read_ledger_each(
    sheets: &[Sheet],
    syn: &Synonyms,
    only_sheet: Option<&str>,
    each: impl FnMut(Option<LedgerRow>),
) -> Ledger {
    let mut reader = LedgerReader::new(syn, only_sheet, each);
    for sheet in sheets {
        reader.begin_sheet(&sheet.name, sheet.first_row);
        if reader.wants(&sheet.name) {
            for (i, row) in sheet.rows.iter().enumerate() {
                reader.row(i, row);
            }
        }
    }
    reader.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_through_synonyms_and_units() {
        let s = Synonyms::new(&[("owner_name".into(), "实施主体".into())]);
        let id = |h: &str| s.lookup(h).map(|(i, y)| (FIELDS[i].id, y));
        assert_eq!(id("总投资（亿元）"), Some(("total_investment", None)));
        assert_eq!(id("2026年计划投资"), Some(("annual_plan", Some(2026))));
        assert_eq!(
            id("2026年度计划投资(万元)"),
            Some(("annual_plan", Some(2026)))
        );
        assert_eq!(id("1月"), Some(("m1", None)));
        assert_eq!(id("10月计划"), Some(("m10", None)));
        assert_eq!(id("1-10月完成"), Some(("derived", None)));
        assert_eq!(id("实施主体"), Some(("owner_name", None)));
        assert_eq!(id("项目 名称"), Some(("name", None)));
        assert_eq!(id("风险等级"), None);
    }

    #[test]
    fn sections_totals_and_markers() {
        assert_eq!(
            section_title("一、产业项目（25个）").as_deref(),
            Some("产业项目")
        );
        assert_eq!(
            section_title("（一）先进制造业").as_deref(),
            Some("先进制造业")
        );
        assert_eq!(section_title("(二)基础设施").as_deref(), Some("基础设施"));
        assert_eq!(section_title("年产10万吨项目"), None);
        assert!(is_total("小计") && is_total("合 计") && is_total("总计"));
        assert!(is_total("　总　计　") && is_total("本区小计") && !is_total("合肥市项目"));
        for m in ["—", "-", "/", "无", "", "——"] {
            assert!(is_empty_marker(m), "{m}");
        }
        assert!(!is_empty_marker("0"));
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(27), "AB");
    }
}
