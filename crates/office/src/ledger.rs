//! The key-project ledger (重点项目台账) as offices actually send it.
//!
//! A sheet may have a title row and a unit row (`单位：万元`) above the header; a
//! two-row header whose top row groups columns (`投资情况` over `总投资 / 年度计划投资`,
//! merged cells leave the other top cells empty); units in headers (`总投资（亿元）`);
//! section rows (`一、产业项目（25个）`, `（一）先进制造业`) and subtotal rows between
//! projects; numbers as text, with separators or full-width digits; several sheets.
//! Columns are matched through a synonym table that administrators extend; every column
//! that matches nothing is reported.

use crate::table::{CellError, MAX_FILE_BYTES};
use calamine::{Data, Reader};
use gongjian_domain::money::{self, MoneyUnit};
use gongjian_domain::project::{self as dp, Category, ProjectInput};
use std::collections::BTreeMap;

/// How a column's cells are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Money,
    Month(usize),
    Year,
    Years,
    Mu,
    Bool,
    Date,
    List,
    Tag(&'static str),
    Ignored,
}

/// A field of the ledger with the column names it is known by.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Identifier, also used by administrators to add synonyms.
    pub id: &'static str,
    /// Chinese label, used as the export header.
    pub zh: &'static str,
    kind: Kind,
    synonyms: &'static [&'static str],
}

const fn f(
    id: &'static str,
    zh: &'static str,
    kind: Kind,
    synonyms: &'static [&'static str],
) -> Field {
    Field {
        id,
        zh,
        kind,
        synonyms,
    }
}

/// Every field the import knows, with its built-in column names.
pub const FIELDS: &[Field] = &[
    f("seq", "序号", Kind::Ignored, &["序号", "编号", "排序"]),
    f(
        "code",
        "项目代码",
        Kind::Text,
        &[
            "项目代码",
            "国家项目代码",
            "项目统一代码",
            "项目编码",
            "赋码",
        ],
    ),
    f(
        "name",
        "项目名称",
        Kind::Text,
        &["项目名称", "项目", "名称"],
    ),
    f(
        "level",
        "项目级别",
        Kind::Text,
        &["项目级别", "级别", "项目层级"],
    ),
    f(
        "category",
        "项目类别",
        Kind::Text,
        &[
            "项目类别",
            "类别",
            "项目类型",
            "行业类别",
            "产业类别",
            "行业",
        ],
    ),
    f(
        "nature",
        "建设性质",
        Kind::Text,
        &["建设性质", "项目性质", "性质"],
    ),
    f(
        "stage",
        "项目阶段",
        Kind::Text,
        &["项目阶段", "建设阶段", "阶段", "项目状态"],
    ),
    f(
        "division",
        "所在地",
        Kind::Text,
        &[
            "所在地",
            "所属县区",
            "县区",
            "所在县区",
            "属地",
            "项目所在地",
            "县市区",
            "所在区县",
        ],
    ),
    f(
        "division_code",
        "区划代码",
        Kind::Text,
        &["区划代码", "所在地代码", "行政区划代码"],
    ),
    f(
        "owner_name",
        "建设单位",
        Kind::Text,
        &["建设单位", "项目单位", "业主单位", "项目业主", "建设主体"],
    ),
    f(
        "owner_credit_code",
        "统一社会信用代码",
        Kind::Text,
        &["统一社会信用代码", "信用代码", "建设单位统一社会信用代码"],
    ),
    f(
        "responsible_unit",
        "责任单位",
        Kind::Text,
        &["责任单位", "牵头单位", "主责单位", "牵头责任单位"],
    ),
    f(
        "cooperating_units",
        "配合单位",
        Kind::List,
        &["配合单位", "协同单位", "协办单位"],
    ),
    f(
        "contact_leader",
        "包保领导",
        Kind::Text,
        &[
            "包保领导",
            "包抓领导",
            "联系领导",
            "市级包抓领导",
            "包联领导",
            "市级领导",
        ],
    ),
    f(
        "members",
        "工作专班",
        Kind::List,
        &["工作专班", "专班成员", "项目专班"],
    ),
    f(
        "plan_doc",
        "推进方案",
        Kind::Text,
        &["推进方案", "工作方案", "实施方案"],
    ),
    f(
        "total_investment",
        "总投资",
        Kind::Money,
        &["总投资", "计划总投资", "项目总投资", "总投资额"],
    ),
    f(
        "annual_plan",
        "年度计划投资",
        Kind::Money,
        &[
            "年度计划投资",
            "年度计划",
            "本年计划投资",
            "年度投资计划",
            "计划投资",
        ],
    ),
    f("m1", "1月", Kind::Month(0), &["1月", "一月"]),
    f("m2", "2月", Kind::Month(1), &["2月", "二月"]),
    f("m3", "3月", Kind::Month(2), &["3月", "三月"]),
    f("m4", "4月", Kind::Month(3), &["4月", "四月"]),
    f("m5", "5月", Kind::Month(4), &["5月", "五月"]),
    f("m6", "6月", Kind::Month(5), &["6月", "六月"]),
    f("m7", "7月", Kind::Month(6), &["7月", "七月"]),
    f("m8", "8月", Kind::Month(7), &["8月", "八月"]),
    f("m9", "9月", Kind::Month(8), &["9月", "九月"]),
    f("m10", "10月", Kind::Month(9), &["10月", "十月"]),
    f("m11", "11月", Kind::Month(10), &["11月", "十一月"]),
    f("m12", "12月", Kind::Month(11), &["12月", "十二月"]),
    f(
        "start_year",
        "开工年份",
        Kind::Year,
        &["开工年份", "开工年度", "起始年份"],
    ),
    f(
        "end_year",
        "竣工年份",
        Kind::Year,
        &["竣工年份", "完工年份", "竣工年度"],
    ),
    f(
        "period",
        "建设年限",
        Kind::Years,
        &[
            "建设年限",
            "建设起止年限",
            "建设期限",
            "起止年限",
            "建设周期",
        ],
    ),
    f(
        "land_mu",
        "用地面积（亩）",
        Kind::Mu,
        &["用地面积", "用地", "占地面积", "用地规模"],
    ),
    f(
        "started",
        "是否开工",
        Kind::Bool,
        &["是否开工", "开工情况", "开工状态"],
    ),
    f(
        "start_date",
        "开工时间",
        Kind::Date,
        &["开工时间", "开工日期", "实际开工时间"],
    ),
    f("tags", "标签", Kind::List, &["标签"]),
    f(
        "special_bond",
        "专项债",
        Kind::Tag("special_bond"),
        &["是否专项债", "专项债项目", "专项债"],
    ),
    f(
        "central_budget",
        "中央预算内",
        Kind::Tag("central_budget"),
        &["中央预算内", "是否中央预算内", "中央预算内项目"],
    ),
    f(
        "showcase",
        "观摩项目",
        Kind::Tag("showcase"),
        &["观摩项目", "是否观摩项目"],
    ),
    f(
        "description",
        "建设内容及规模",
        Kind::Text,
        &[
            "建设内容及规模",
            "建设内容",
            "主要建设内容",
            "项目简介",
            "建设规模及内容",
        ],
    ),
    f(
        "derived",
        "派生或月报数据",
        Kind::Ignored,
        &[
            "完成率",
            "累计完成",
            "本月完成",
            "完成投资",
            "年度完成率",
            "备注",
            "序时进度",
        ],
    ),
];

/// Field ids an administrator may add column names for.
pub fn field_ids() -> Vec<&'static str> {
    FIELDS.iter().map(|f| f.id).collect()
}

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
    fn text(&self) -> String {
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

fn file_error(sheet: &str, zh: String, en: String) -> CellError {
    CellError {
        sheet: sheet.into(),
        row: 0,
        column: String::new(),
        message: zh,
        message_en: en,
    }
}

/// Reads every sheet of an xlsx/xls/ods workbook, or a CSV, from bytes.
pub fn read_sheets(file_name: &str, bytes: &[u8]) -> Result<Vec<Sheet>, CellError> {
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
    if lower.ends_with(".xlsx") || lower.ends_with(".xlsm") {
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

fn text_cell(s: &str) -> Cell {
    let t = s.trim();
    if t.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(t.to_string())
    }
}

/// Streams the cells of every sheet of an xlsx workbook: one allocation per text cell,
/// no intermediate grid (a 100,000-row ledger reads in well under the time of a Range).
fn read_xlsx(file_name: &str, bytes: &[u8]) -> Result<Vec<Sheet>, CellError> {
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
            if value == Cell::Empty {
                continue;
            }
            let (r, c) = (r as usize, c as usize);
            if rows.len() <= r {
                rows.resize_with(r + 1, Vec::new);
            }
            let row = &mut rows[r];
            if row.len() <= c {
                row.resize(c + 1, Cell::Empty);
            }
            row[c] = value;
        }
        out.push(Sheet {
            name,
            rows,
            first_row: 1,
        });
    }
    Ok(out)
}

/// Column letters as Excel shows them: 0 → A, 26 → AA.
pub fn column_letter(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).expect("ascii")
}

/// Header text reduced for matching: no spaces or line breaks, no unit in brackets,
/// full-width brackets and digits normalised.
fn norm_header(raw: &str) -> String {
    let s: String = money::normalise_number_text(raw)
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '：' => ':',
            c => c,
        })
        .collect();
    // Drop bracketed units: (万元), (亿元), (亩), (个)…
    let mut out = String::new();
    let mut depth = 0;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.trim_end_matches(['*', '※']).to_string()
}

/// The synonym table: built-in names plus the administrator's, normalised.
#[derive(Debug, Clone)]
pub struct Synonyms {
    map: BTreeMap<String, usize>,
}

impl Synonyms {
    /// Built-in names plus extra `(field id, column name)` pairs.
    pub fn new(extra: &[(String, String)]) -> Synonyms {
        let mut map = BTreeMap::new();
        for (i, f) in FIELDS.iter().enumerate() {
            for s in f.synonyms {
                map.insert(norm_header(s), i);
            }
        }
        for (id, s) in extra {
            if let Some(i) = FIELDS.iter().position(|f| f.id == id) {
                map.insert(norm_header(s), i);
            }
        }
        Synonyms { map }
    }

    /// The field a header names, and the plan year it states (`2026年计划投资`).
    fn lookup(&self, header: &str) -> Option<(usize, Option<i64>)> {
        let n = norm_header(header);
        if n.is_empty() {
            return None;
        }
        if let Some(i) = self.map.get(&n) {
            return Some((*i, None));
        }
        // "2026年计划投资", "2026年度计划投资", "2026年1月": a year in front.
        let digits: String = n.chars().take_while(char::is_ascii_digit).collect();
        if digits.len() == 4
            && let Some(rest) = n[4..].strip_prefix('年')
        {
            let year = digits.parse().ok();
            let rest = rest.strip_prefix('度').unwrap_or(rest);
            if let Some(i) = self.map.get(rest) {
                return Some((*i, year));
            }
            for alias in ["计划投资", "计划", "投资计划", "计划完成投资"] {
                if rest == alias {
                    return Some((
                        FIELDS
                            .iter()
                            .position(|f| f.id == "annual_plan")
                            .expect("field"),
                        year,
                    ));
                }
            }
        }
        // "1月计划", "1月计划投资": a month of the plan. ("1-10月完成" is not.)
        for suffix in ["计划投资", "计划", "份"] {
            if let Some(m) = n.strip_suffix(suffix)
                && let Some(i) = self.map.get(m)
                && matches!(FIELDS[*i].kind, Kind::Month(_))
            {
                return Some((*i, None));
            }
        }
        // Year-to-date completion ("1-10月完成", "截至10月完成投资"): monthly-report data.
        if n.contains("完成") {
            return Some((
                FIELDS
                    .iter()
                    .position(|f| f.id == "derived")
                    .expect("field"),
                None,
            ));
        }
        None
    }
}

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
    let score = |labels: &[String]| -> usize {
        let fields: std::collections::BTreeSet<usize> = labels
            .iter()
            .filter_map(|l| syn.lookup(l).map(|x| x.0))
            .collect();
        let has_name = fields.iter().any(|i| FIELDS[*i].id == "name");
        if has_name { fields.len() } else { 0 }
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
                    && syn.lookup(&carried[c - 1]).is_none()
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
        read_sheet(sheet, syn, hr, hn, &labels, &top, &mut out);
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
        let texts: Vec<String> = row.iter().take(4).map(Cell::text).collect();
        let first = row
            .iter()
            .find(|c| **c != Cell::Empty)
            .map(Cell::text)
            .unwrap_or_default();
        let name = name_col
            .and_then(|c| row.get(c))
            .map(Cell::text)
            .unwrap_or_default();
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
        if let Some(title) = section_title(&first)
            .filter(|_| section_title(&name).is_some() || name.is_empty() || name == first)
        {
            if let Ok(c) = Category::parse(&title) {
                section_category = Some(c.as_str().to_string());
            }
            out.skipped.push(SkippedRow {
                sheet: sheet.name.clone(),
                row: excel_row,
                text: first,
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
            let raw = cell.text();
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
                    let v = Some(raw.clone());
                    match fld.id {
                        "code" => input.code = v,
                        "name" => input.name = raw.clone(),
                        "level" => input.level = raw.clone(),
                        "category" => input.category = raw.clone(),
                        "nature" => input.nature = raw.clone(),
                        "stage" => input.stage = raw.clone(),
                        "division" => division_name = raw.clone(),
                        "division_code" => division_code = raw.clone(),
                        "owner_name" => input.owner_name = v,
                        "owner_credit_code" => input.owner_credit_code = v,
                        "responsible_unit" => input.responsible_unit = v,
                        "contact_leader" => input.contact_leader = v,
                        "plan_doc" => input.plan_doc = v,
                        "description" => input.description = v,
                        _ => {}
                    }
                }
                Kind::Money | Kind::Month(_) => {
                    let parsed = match cell {
                        Cell::Number(n) => {
                            money::parse_money("x", header, &format!("{n}"), col.unit)
                        }
                        _ => money::parse_money("x", header, &raw, col.unit),
                    };
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
            out.rows.push(LedgerRow {
                sheet: sheet.name.clone(),
                row: excel_row,
                input,
            });
        } else {
            out.errors.extend(row_errors);
        }
    }
}

/// A share as written in ledgers, `85.3%` or `0.853`, in tenths of a percent.
pub fn parse_percent(raw: &str) -> Option<i64> {
    let s = money::normalise_number_text(raw);
    if let Some(p) = s.strip_suffix('%') {
        money::parse_scaled(p, 1).and_then(|v| i64::try_from(v).ok())
    } else {
        money::parse_scaled(&s, 3).and_then(|v| i64::try_from(v).ok())
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
        assert_eq!(parse_percent("85.3%"), Some(853));
        assert_eq!(parse_percent("0.853"), Some(853));
        assert_eq!(parse_percent("８５.３％"), Some(853));
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(27), "AB");
    }
}
