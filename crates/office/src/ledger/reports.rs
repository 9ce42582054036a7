//! A period's monthly reports as units send them in a workbook: one row per project,
//! found by project code or by name (within its division), with this month's
//! investment, progress, milestone, start, problems and next steps. Read with the same
//! tolerance as the ledger: title and unit rows, one- or two-row headers, units in
//! headers, section and total rows, numbers as text, several sheets; every column that
//! matches nothing is reported.

use super::sheets::file_error;
use super::{Cell, ColumnMatch, Sheet, SkippedRow, column_letter, is_blank, is_empty_marker};
use super::{columns::norm_header, is_total, section_title};
use crate::table::CellError;
use gongjian_domain::money::{self, MoneyUnit};
use gongjian_domain::project::{excel_serial_date, parse_date};
use std::collections::BTreeMap;

/// The columns a report sheet may have, with the names offices give them.
const REPORT_FIELDS: &[(&str, &str, &[&str])] = &[
    ("seq", "序号", &["序号", "编号"]),
    (
        "code",
        "项目代码",
        &["项目代码", "国家项目代码", "项目统一代码", "项目编码"],
    ),
    ("name", "项目名称", &["项目名称", "名称", "项目"]),
    (
        "division",
        "所在地",
        &[
            "所在地",
            "所在区县",
            "所属区县",
            "区县",
            "县区",
            "地区",
            "属地",
            "区划代码",
        ],
    ),
    (
        "month_amount",
        "本月完成投资",
        &[
            "本月完成投资",
            "本月完成",
            "当月完成投资",
            "当月完成",
            "本月投资",
            "本月完成投资额",
            "月度完成投资",
        ],
    ),
    (
        "progress_text",
        "形象进度",
        &[
            "形象进度",
            "本月形象进度",
            "工程形象进度",
            "项目进展情况",
            "进展情况",
            "建设进展",
            "本月进展",
        ],
    ),
    (
        "milestone",
        "当前节点",
        &["当前节点", "所处节点", "当前阶段", "节点"],
    ),
    ("started", "是否开工", &["是否开工", "开工情况", "开工状态"]),
    (
        "start_date",
        "开工时间",
        &["开工时间", "开工日期", "实际开工时间", "实际开工日期"],
    ),
    (
        "problems",
        "存在问题",
        &[
            "存在问题",
            "存在的问题",
            "问题及困难",
            "困难和问题",
            "存在困难",
        ],
    ),
    (
        "next_steps",
        "下步计划",
        &[
            "下步计划",
            "下一步计划",
            "下步工作计划",
            "下月计划",
            "下步打算",
        ],
    ),
    ("note", "说明", &["说明", "备注", "情况说明"]),
];

fn lookup(header: &str) -> Option<usize> {
    let n = norm_header(header);
    if n.is_empty() {
        return None;
    }
    REPORT_FIELDS
        .iter()
        .position(|(_, _, syn)| syn.iter().any(|s| norm_header(s) == n))
}

/// One project's report as written in a sheet. Amounts are 万元 decimal strings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportLine {
    /// Sheet name.
    pub sheet: String,
    /// Excel row number.
    pub row: usize,
    /// Project code, if the sheet has one.
    pub code: Option<String>,
    /// Project name.
    pub name: String,
    /// Division name or code, if given.
    pub division: Option<String>,
    /// Investment this month, 万元.
    pub month_amount_wan: String,
    /// Physical progress.
    pub progress_text: String,
    /// Current milestone.
    pub milestone: Option<String>,
    /// Started.
    pub started: bool,
    /// Start date, ISO.
    pub start_date: Option<String>,
    /// Problems, one per line.
    pub problems: Option<String>,
    /// Next steps, one per line.
    pub next_steps: String,
    /// Note.
    pub note: Option<String>,
}

/// Everything read from a report workbook.
#[derive(Debug, Clone, Default)]
pub struct ReportSheets {
    /// Report rows.
    pub rows: Vec<ReportLine>,
    /// Section, total and blank-project rows, and sheets without reports.
    pub skipped: Vec<SkippedRow>,
    /// Cells that could not be read.
    pub errors: Vec<CellError>,
    /// How each header column was matched.
    pub columns: Vec<ColumnMatch>,
}

impl ReportSheets {
    /// The header of the column holding `field` on `sheet` (e.g. `本月完成投资（万元）（E）`),
    /// for error messages; the field's Chinese name when the sheet lacks it.
    pub fn column_of(&self, sheet: &str, field: &str) -> String {
        let id = match field {
            "month_amount_wan" => "month_amount",
            other => other,
        };
        self.columns
            .iter()
            .find(|c| c.sheet == sheet && c.field.as_deref() == Some(id))
            .map(|c| format!("{}（{}）", c.header, c.column))
            .unwrap_or_else(|| {
                REPORT_FIELDS
                    .iter()
                    .find(|f| f.0 == id)
                    .map_or(field.to_string(), |f| f.1.to_string())
            })
    }
}

/// Finds the header (one row, or two with the group row above): the row naming the
/// most report columns, with the project's name or code among them.
fn find_header(rows: &[Vec<Cell>]) -> Option<(usize, usize, Vec<String>, Vec<String>)> {
    let score = |labels: &[String]| -> usize {
        let found: std::collections::BTreeSet<usize> =
            labels.iter().filter_map(|l| lookup(l)).collect();
        let keyed = found
            .iter()
            .any(|i| matches!(REPORT_FIELDS[*i].0, "name" | "code"));
        let reported = found.iter().any(|i| {
            matches!(
                REPORT_FIELDS[*i].0,
                "month_amount" | "progress_text" | "next_steps"
            )
        });
        if keyed && reported { found.len() } else { 0 }
    };
    super::header_rows(rows, &|l| lookup(l).is_some(), &score)
}

/// Reads the report rows of every sheet.
pub fn read_reports(sheets: &[Sheet]) -> ReportSheets {
    let mut out = ReportSheets::default();
    let mut found = false;
    for sheet in sheets {
        if sheet.rows.iter().all(|r| is_blank(r)) {
            continue;
        }
        let Some((hr, hn, labels, top)) = find_header(&sheet.rows) else {
            out.skipped.push(SkippedRow {
                sheet: sheet.name.clone(),
                row: 0,
                text: String::new(),
                reason: "工作表中没有找到月报表头（需要“项目名称”或“项目代码”，以及本月完成投资、形象进度或下步计划），整表跳过。".into(),
                reason_en: "no report header on this sheet (needs 项目名称 or 项目代码 and a report column); sheet skipped".into(),
            });
            continue;
        };
        found = true;
        read_sheet(sheet, hr, hn, &labels, &top, &mut out);
    }
    if !found && out.errors.is_empty() {
        out.errors.push(file_error(
            sheets.first().map_or("", |s| s.name.as_str()),
            "没有找到月报表：表头中需要“项目名称”或“项目代码”，以及“本月完成投资”“形象进度”或“下步计划”。".into(),
            "no report table found: the header needs 项目名称 or 项目代码 and 本月完成投资, 形象进度 or 下步计划".into(),
        ));
    }
    out
}

fn read_sheet(
    sheet: &Sheet,
    hr: usize,
    hn: usize,
    labels: &[String],
    top: &[String],
    out: &mut ReportSheets,
) {
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
    // field id → (column index, money unit, header as written)
    let mut cols: BTreeMap<&'static str, (usize, MoneyUnit, String)> = BTreeMap::new();
    for (i, label) in labels.iter().enumerate() {
        let top_t = top.get(i).cloned().unwrap_or_default();
        if label.is_empty() && top_t.is_empty() {
            continue;
        }
        let header = if hn == 2 && !top_t.is_empty() && top_t != *label {
            format!("{top_t}/{label}")
        } else {
            label.clone()
        };
        let unit = MoneyUnit::find_in(label)
            .or_else(|| MoneyUnit::find_in(&top_t))
            .unwrap_or(default_unit);
        let field = lookup(label).map(|f| REPORT_FIELDS[f].0);
        out.columns.push(ColumnMatch {
            sheet: sheet.name.clone(),
            column: column_letter(i),
            header: header.clone(),
            field: field.map(str::to_string),
            unit: (field == Some("month_amount")).then(|| unit.zh().to_string()),
        });
        if let Some(f) = field.filter(|f| *f != "seq") {
            if let Some((prev, _, _)) = cols.get(f) {
                out.errors.push(CellError {
                    sheet: sheet.name.clone(),
                    row: sheet.first_row + hr,
                    column: header.clone(),
                    message: format!(
                        "“{header}”与第 {} 列重复，请删除或改名其中一列。",
                        column_letter(*prev)
                    ),
                    message_en: format!(
                        "column {} repeats column {}",
                        column_letter(i),
                        column_letter(*prev)
                    ),
                });
                continue;
            }
            cols.insert(f, (i, unit, header));
        }
    }
    let cell = |row: &[Cell], f: &str| -> Option<Cell> {
        cols.get(f)
            .and_then(|(i, _, _)| row.get(*i))
            .cloned()
            .filter(|c| !matches!(c, Cell::Empty))
    };
    let text = |row: &[Cell], f: &str| -> Option<String> {
        cell(row, f)
            .map(|c| c.text().trim().to_string())
            .filter(|s| !is_empty_marker(s))
    };
    for (ri, row) in sheet.rows.iter().enumerate().skip(hr + hn) {
        let excel_row = sheet.first_row + ri;
        if is_blank(row) {
            continue;
        }
        let first = row
            .iter()
            .find(|c| **c != Cell::Empty)
            .map(Cell::text)
            .unwrap_or_default();
        let name = text(row, "name").unwrap_or_default();
        let code = text(row, "code");
        let texts: Vec<String> = row.iter().take(4).map(Cell::text).collect();
        if texts.iter().any(|t| is_total(t)) || is_total(&name) {
            out.skipped.push(SkippedRow {
                sheet: sheet.name.clone(),
                row: excel_row,
                text: first,
                reason: "合计或小计行，不是项目。".into(),
                reason_en: "a total or subtotal row, not a project".into(),
            });
            continue;
        }
        if code.is_none() && (section_title(&first).is_some() || name.is_empty()) {
            out.skipped.push(SkippedRow {
                sheet: sheet.name.clone(),
                row: excel_row,
                text: first,
                reason: "分组标题或没有项目名称的行，不是项目。".into(),
                reason_en: "a section title or a row without a project, not a report".into(),
            });
            continue;
        }
        let err = |field: &str, zh: String, en: String| CellError {
            sheet: sheet.name.clone(),
            row: excel_row,
            column: cols
                .get(field)
                .map(|(i, _, h)| format!("{h}（{}）", column_letter(*i)))
                .unwrap_or_default(),
            message: zh,
            message_en: en,
        };
        let mut line = ReportLine {
            sheet: sheet.name.clone(),
            row: excel_row,
            code,
            name,
            division: text(row, "division"),
            progress_text: text(row, "progress_text").unwrap_or_default(),
            milestone: text(row, "milestone"),
            problems: text(row, "problems"),
            next_steps: text(row, "next_steps").unwrap_or_default(),
            note: text(row, "note"),
            ..Default::default()
        };
        // This month's investment in 万元, whatever unit the column states.
        match cell(row, "month_amount") {
            None => line.month_amount_wan = "0".into(),
            Some(c) => {
                let raw = match c {
                    Cell::Number(f) => format!("{f}"),
                    other => other.text(),
                };
                if is_empty_marker(&raw) {
                    line.month_amount_wan = "0".into();
                } else {
                    let unit = cols["month_amount"].1;
                    match money::parse_money("month_amount_wan", "本月完成投资", &raw, unit) {
                        Ok(yuan) => line.month_amount_wan = money::wan(yuan),
                        Err(e) => {
                            out.errors.push(err("month_amount", e.msg.zh, e.msg.en));
                            continue;
                        }
                    }
                }
            }
        }
        line.started = match text(row, "started").as_deref() {
            None => false,
            Some("是" | "已开工" | "开工" | "Y" | "y" | "yes" | "1" | "√") => true,
            Some("否" | "未开工" | "N" | "n" | "no" | "0" | "×") => false,
            Some(other) => {
                out.errors.push(err(
                    "started",
                    format!("“{other}”看不出是否开工：请填“是/否”或“已开工/未开工”。"),
                    format!("'{other}' is not yes/no (是/否, 已开工/未开工)"),
                ));
                continue;
            }
        };
        line.start_date = match cell(row, "start_date") {
            None => None,
            Some(Cell::Date(f) | Cell::Number(f)) => match excel_serial_date(f) {
                Some(d) => Some(d.to_string()),
                None => {
                    out.errors.push(err(
                        "start_date",
                        format!("“{f}”不是日期。"),
                        format!("'{f}' is not a date"),
                    ));
                    continue;
                }
            },
            Some(c) => {
                let t = c.text();
                if is_empty_marker(&t) {
                    None
                } else {
                    match parse_date(&t) {
                        Some(d) => Some(d.to_string()),
                        None => {
                            out.errors.push(err(
                                "start_date",
                                format!("“{t}”不是日期：请写成 2026-03-15、2026.03 或 2026年3月。"),
                                format!("'{t}' is not a date"),
                            ));
                            continue;
                        }
                    }
                }
            }
        };
        if line.start_date.is_some() {
            line.started = true;
        }
        out.rows.push(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Cell {
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s.into())
        }
    }

    fn sheet(rows: Vec<Vec<Cell>>) -> Sheet {
        Sheet {
            name: "11月".into(),
            rows,
            first_row: 1,
        }
    }

    #[test]
    fn reads_a_unit_workbook_with_title_two_row_header_sections_and_totals() {
        let s = sheet(vec![
            vec![t("东城区2026年11月重点项目进展情况表")],
            vec![t("单位：万元")],
            vec![
                t("序号"),
                t("项目名称"),
                t("项目代码"),
                t("投资完成（亿元）"),
                t(""),
                t("形象进度"),
                t("是否开工"),
                t("开工时间"),
                t("存在问题"),
                t("下步计划"),
                t("填报人"),
            ],
            vec![
                t(""),
                t(""),
                t(""),
                t("本月完成投资"),
                t("年度计划"),
                t(""),
                t(""),
                t(""),
                t(""),
                t(""),
                t(""),
            ],
            vec![t("一、产业项目（2个）")],
            vec![
                Cell::Number(1.0),
                t("电池基地"),
                t("2026-990102-38-01-000001"),
                t("0.12"),
                Cell::Number(3.0),
                t("主体施工"),
                t("已开工"),
                Cell::Date(46082.0),
                t("—"),
                t("封顶"),
                t("张三"),
            ],
            vec![
                Cell::Number(2.0),
                t("西城学校"),
                t(""),
                t("1,234.5"),
                t(""),
                t("基础开挖"),
                t("否"),
                t(""),
                t("用地"),
                t("完成基础"),
                t(""),
            ],
            vec![t("合计"), t(""), t(""), t("1234.62")],
            vec![
                Cell::Number(3.0),
                t("坏行"),
                t(""),
                t("十二"),
                t(""),
                t("x"),
                t("也许"),
                t(""),
                t(""),
                t("y"),
                t(""),
            ],
        ]);
        let r = read_reports(&[s]);
        assert_eq!(r.rows.len(), 2, "{:?}", r.errors);
        let a = &r.rows[0];
        assert_eq!(a.row, 6);
        assert_eq!(a.code.as_deref(), Some("2026-990102-38-01-000001"));
        // 0.12 亿元 = 1200 万元, the unit from the group header.
        assert_eq!(a.month_amount_wan, "1200.00");
        assert!(a.started);
        assert_eq!(a.start_date.as_deref(), Some("2026-03-01"));
        assert_eq!(a.problems, None, "— is empty");
        assert_eq!(r.rows[1].month_amount_wan, "12345000.00");
        assert!(!r.rows[1].started);
        assert_eq!(r.skipped.len(), 2, "{:?}", r.skipped);
        assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
        assert_eq!(r.errors[0].row, 9);
        assert!(r.errors[0].column.contains("（D）"), "{:?}", r.errors[0]);
        // The 填报人 column is reported as unmatched, the plan column as unmatched too.
        assert!(
            r.columns
                .iter()
                .any(|c| c.header == "填报人" && c.field.is_none())
        );
        assert_eq!(
            r.column_of("11月", "month_amount_wan"),
            "投资完成（亿元）/本月完成投资（D）"
        );
    }

    #[test]
    fn a_sheet_without_a_report_header_is_an_error() {
        let r = read_reports(&[sheet(vec![vec![t("随便"), t("什么")]])]);
        assert!(r.rows.is_empty());
        assert_eq!(r.errors.len(), 1);
        assert!(r.errors[0].message.contains("没有找到月报表"));
    }
}
