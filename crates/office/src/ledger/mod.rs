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
mod reports;
mod sheets;
mod xlsx;

pub use columns::{FIELDS, Field, Synonyms, column_letter, field_ids};
pub use reports::{ReportLine, ReportSheets, read_reports};
pub use sheets::{Cell, Sheet, read_sheets};

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
    let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    t.contains("小计") || t.contains("合计") || t.contains("总计") || t == "总 计"
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
    mut each: impl FnMut(Option<LedgerRow>),
) -> Ledger {
    let mut out = Ledger::default();
    let mut found_any = false;
    for sheet in sheets {
        if only_sheet.is_some_and(|s| s != sheet.name) {
            continue;
        }
        if sheet.rows.iter().all(|r| is_blank(r)) {
            continue;
        }
        let Some((hr, hn, labels, top)) = find_header(&sheet.rows, syn) else {
            out.skipped.push(SkippedRow {
                sheet: sheet.name.clone(),
                row: 0,
                text: String::new(),
                reason: "工作表中没有找到项目表头（至少需要“项目名称”和另一个可识别的列），整表跳过。".into(),
                reason_en: "no project header found on this sheet (needs 项目名称 and another known column); sheet skipped".into(),
            });
            continue;
        };
        found_any = true;
        read_sheet(sheet, syn, hr, hn, &labels, &top, &mut out, &mut each);
    }
    if let Some(s) = only_sheet
        && !sheets.iter().any(|x| x.name == s)
    {
        out.errors.push(file_error(
            s,
            format!(
                "工作簿中没有名为“{s}”的工作表（有：{}）。",
                sheets
                    .iter()
                    .map(|x| x.name.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            ),
            format!("no sheet named '{s}'"),
        ));
    } else if !found_any && out.errors.is_empty() {
        out.errors.push(file_error(
            sheets.first().map_or("", |s| s.name.as_str()),
            "没有找到项目台账：表头中至少需要“项目名称”和另一个可识别的列（如总投资、所在地）。".into(),
            "no project ledger found: the header needs 项目名称 and at least one other known column".into(),
        ));
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn read_sheet(
    sheet: &Sheet,
    syn: &Synonyms,
    hr: usize,
    hn: usize,
    labels: &[String],
    top: &[String],
    out: &mut Ledger,
    each: &mut dyn FnMut(Option<LedgerRow>),
) {
    // A unit row above the header (单位：万元) sets the default money unit.
    let mut default_unit = MoneyUnit::Wan;
    for r in 0..hr {
        for c in &sheet.rows[r] {
            let t = c.text();
            if t.contains("单位")
                && let Some(u) = MoneyUnit::find_in(&t)
            {
                default_unit = u;
            }
        }
    }
    let mut cols: BTreeMap<usize, Col> = BTreeMap::new();
    let mut claimed: BTreeMap<usize, usize> = BTreeMap::new();
    for (i, label) in labels.iter().enumerate() {
        let top_t = top.get(i).cloned().unwrap_or_default();
        let header = if hn == 2 && !top_t.is_empty() && top_t != *label {
            format!("{top_t}/{label}")
        } else {
            label.clone()
        };
        if label.is_empty() && top_t.is_empty() {
            continue;
        }
        let found = syn.lookup(label);
        let unit = MoneyUnit::find_in(label)
            .or_else(|| MoneyUnit::find_in(&top_t))
            .unwrap_or(default_unit);
        // A month under a group such as "2026年月度计划" takes the group's year.
        let group_year = {
            let d: String = norm_header(&top_t)
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            (d.len() == 4).then(|| d.parse().ok()).flatten()
        };
        let mut m = ColumnMatch {
            sheet: sheet.name.clone(),
            column: column_letter(i),
            header: header.clone(),
            field: None,
            unit: None,
        };
        if let Some((fi, year)) = found {
            let fld = &FIELDS[fi];
            if matches!(fld.kind, Kind::Money | Kind::Month(_)) {
                m.unit = Some(unit.zh().to_string());
            }
            m.field = Some(fld.id.to_string());
            if fld.kind != Kind::Ignored {
                if let Some(prev) = claimed.insert(fi, i) {
                    out.errors.push(CellError {
                        sheet: sheet.name.clone(),
                        row: sheet.first_row + hr,
                        column: header.clone(),
                        message: format!(
                            "“{}”与第 {} 列重复，都被识别为“{}”。请删除或改名其中一列。",
                            header,
                            column_letter(prev),
                            fld.zh
                        ),
                        message_en: format!(
                            "column {} repeats column {} (both read as {})",
                            column_letter(i),
                            column_letter(prev),
                            fld.id
                        ),
                    });
                }
                cols.insert(
                    i,
                    Col {
                        field: fi,
                        unit,
                        year: year.or(group_year),
                    },
                );
            }
        }
        out.columns.push(m);
    }
    let headers: BTreeMap<usize, String> = cols
        .keys()
        .map(|i| {
            let letter = column_letter(*i);
            let h = out
                .columns
                .iter()
                .find(|m| m.sheet == sheet.name && m.column == letter)
                .map_or(String::new(), |m| m.header.clone());
            (*i, h)
        })
        .collect();
    let mut section_category: Option<String> = None;
    let name_col = cols
        .iter()
        .find(|(_, c)| FIELDS[c.field].id == "name")
        .map(|(i, _)| *i);
    for (ri, row) in sheet.rows.iter().enumerate().skip(hr + hn) {
        let excel_row = sheet.first_row + ri;
        if is_blank(row) {
            continue;
        }
        // Only the first cells, the first text and the name decide what a row is.
        let first = row
            .iter()
            .find(|c| **c != Cell::Empty)
            .map(Cell::text_ref)
            .unwrap_or_default();
        let name = name_col
            .and_then(|c| row.get(c))
            .map(Cell::text_ref)
            .unwrap_or_default();
        if row.iter().take(4).any(|c| is_total(&c.text_ref())) || is_total(&name) {
            out.skipped.push(SkippedRow {
                sheet: sheet.name.clone(),
                row: excel_row,
                text: first.into_owned(),
                reason: "合计或小计行，不是项目。".into(),
                reason_en: "a total or subtotal row, not a project".into(),
            });
            continue;
        }
        if let Some(title) = section_title(&first)
            .filter(|_| section_title(&name).is_some() || name.is_empty() || name == first)
        {
            if let Ok(c) = Category::parse(&title) {
                section_category = Some(c.as_str().to_string());
            }
            out.skipped.push(SkippedRow {
                sheet: sheet.name.clone(),
                row: excel_row,
                text: first.into_owned(),
                reason: "分类标题行，不是项目。".into(),
                reason_en: "a section heading, not a project".into(),
            });
            continue;
        }
        let mut input = ProjectInput {
            months_wan: Vec::new(),
            ..Default::default()
        };
        let mut months: [Option<String>; 12] = Default::default();
        let mut any_month = false;
        let mut division_name = String::new();
        let mut division_code = String::new();
        let mut row_errors = Vec::new();
        for (ci, col) in &cols {
            let cell = row.get(*ci).unwrap_or(&Cell::Empty);
            let fld = &FIELDS[col.field];
            let raw = cell.text_ref();
            if is_empty_marker(&raw) {
                continue;
            }
            let header = headers.get(ci).map_or("", String::as_str);
            let mut err = |zh: String, en: String| {
                row_errors.push(CellError {
                    sheet: sheet.name.clone(),
                    row: excel_row,
                    column: format!("{header}（{}）", column_letter(*ci)),
                    message: zh,
                    message_en: en,
                });
            };
            match fld.kind {
                Kind::Text => {
                    let raw = raw.into_owned();
                    match fld.id {
                        "code" => input.code = Some(raw),
                        "name" => input.name = raw,
                        "level" => input.level = raw,
                        "category" => input.category = raw,
                        "nature" => input.nature = raw,
                        "stage" => input.stage = raw,
                        "division" => division_name = raw,
                        "division_code" => division_code = raw,
                        "owner_name" => input.owner_name = Some(raw),
                        "owner_credit_code" => input.owner_credit_code = Some(raw),
                        "responsible_unit" => input.responsible_unit = Some(raw),
                        "contact_leader" => input.contact_leader = Some(raw),
                        "plan_doc" => input.plan_doc = Some(raw),
                        "description" => input.description = Some(raw),
                        _ => {}
                    }
                }
                Kind::Money | Kind::Month(_) => {
                    // A number's text is its shortest decimal form, exact for money.
                    let parsed = money::parse_money("x", header, &raw, col.unit);
                    match parsed {
                        Ok(yuan) => {
                            let wan = money::wan(yuan);
                            match fld.kind {
                                Kind::Month(m) => {
                                    months[m] = Some(wan);
                                    any_month = true;
                                    if input.plan_year.is_none() {
                                        input.plan_year = col.year;
                                    }
                                }
                                _ if fld.id == "total_investment" => {
                                    input.total_investment_wan = Some(wan)
                                }
                                _ => {
                                    input.annual_plan_wan = Some(wan);
                                    if col.year.is_some() {
                                        input.plan_year = col.year;
                                    }
                                }
                            }
                        }
                        Err(e) => err(e.msg.zh, e.msg.en),
                    }
                }
                Kind::Year => match dp::parse_years(&raw) {
                    Some((y, _)) if fld.id == "start_year" => input.start_year = Some(i64::from(y)),
                    Some((_, y)) => input.end_year = Some(i64::from(y)),
                    None => err(
                        format!("“{raw}”不是年份，应如 2026。"),
                        format!("'{raw}' is not a year"),
                    ),
                },
                Kind::Years => match dp::parse_years(&raw) {
                    Some((a, b)) => {
                        input.start_year = Some(i64::from(a));
                        input.end_year = Some(i64::from(b));
                    }
                    None => err(
                        format!("建设年限“{raw}”无法识别，应如 2025-2027。"),
                        format!("construction period '{raw}' is not like 2025-2027"),
                    ),
                },
                Kind::Mu => match cell {
                    Cell::Number(n) => input.land_mu = Some(format!("{n}")),
                    _ => input.land_mu = Some(raw.trim_end_matches('亩').to_string()),
                },
                Kind::Bool => match cell {
                    Cell::Bool(b) => input.started = Some(*b),
                    _ => match dp::parse_yes_no(&raw) {
                        Some(b) => input.started = Some(b),
                        None => err(
                            format!("“{raw}”应为 是/否 或 已开工/未开工。"),
                            format!("'{raw}' should be yes/no"),
                        ),
                    },
                },
                Kind::Tag(tag) => match cell {
                    Cell::Bool(true) => input.tags.push(tag.into()),
                    Cell::Bool(false) => {}
                    _ => match dp::parse_yes_no(&raw) {
                        Some(true) => input.tags.push(tag.into()),
                        Some(false) => {}
                        None => err(
                            format!("“{raw}”应为 是 或 否。"),
                            format!("'{raw}' should be yes or no"),
                        ),
                    },
                },
                Kind::Date => {
                    let d = match cell {
                        Cell::Date(s) | Cell::Number(s) if *s > 1000.0 && *s < 80_000.0 => {
                            dp::excel_serial_date(*s)
                        }
                        _ => dp::parse_date(&raw),
                    };
                    match d {
                        Some(d) => input.start_date = Some(d.to_string()),
                        None => err(
                            format!("日期“{raw}”无法识别，应如 2026-03-15、2026.03 或 2026年3月。"),
                            format!("'{raw}' is not a date"),
                        ),
                    }
                }
                Kind::List => {
                    let items: Vec<String> = raw
                        .split(['、', '，', ',', ';', '；', '\n'])
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect();
                    match fld.id {
                        "cooperating_units" => input.cooperating_units = items,
                        "members" => input.members = items,
                        _ => input.tags.extend(items),
                    }
                }
                Kind::Ignored => {}
            }
        }
        input.division = if division_code.is_empty() {
            division_name
        } else {
            division_code
        };
        if input.category.is_empty()
            && let Some(c) = &section_category
        {
            input.category = c.clone();
        }
        if any_month {
            input.months_wan = months.to_vec();
            // A ledger that states months keeps them even if they do not add up: flagged.
            input.allow_plan_mismatch = true;
        }
        if input.name.trim().is_empty() {
            row_errors.push(CellError {
                sheet: sheet.name.clone(),
                row: excel_row,
                column: name_col.map_or("项目名称".into(), column_letter),
                message: "这一行有数据但没有项目名称。".into(),
                message_en: "this row has data but no project name".into(),
            });
        }
        if row_errors.is_empty() {
            each(Some(LedgerRow {
                sheet: sheet.name.clone(),
                row: excel_row,
                input,
            }));
        } else {
            out.errors.extend(row_errors);
            each(None);
        }
    }
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
        for m in ["—", "-", "/", "无", "", "——"] {
            assert!(is_empty_marker(m), "{m}");
        }
        assert!(!is_empty_marker("0"));
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(27), "AB");
    }
}
