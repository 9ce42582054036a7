//! A ledger read row by row, as a workbook's rows arrive.
//!
//! [`LedgerReader`] is told where each sheet begins and is handed its rows one at a
//! time. It keeps a sheet's first rows until it has seen enough of them to find the
//! header, and from then on turns each row into a project as soon as it arrives. So an
//! import can check and write the first projects of a big workbook while the rest of its
//! XML is still being read ([`super::stream_ledger`]); a workbook already read into cells
//! goes through the same reader ([`super::read_ledger_each`]).

use super::*;

/// Rows searched for a sheet's header; one more is kept for a two-row header's second.
const HEADER_ROWS: usize = 30;

/// Reads the projects of the rows handed to it; see the module documentation.
pub struct LedgerReader<'a, F: FnMut(Option<LedgerRow>)> {
    syn: &'a Synonyms,
    only: Option<&'a str>,
    each: F,
    out: Ledger,
    found_any: bool,
    /// Every sheet begun, in order.
    names: Vec<String>,
    /// The current sheet's Excel number of its row 0.
    first_row: usize,
    /// Where the reader is in the current sheet (`None` before the first).
    phase: Option<Phase>,
}

/// Where the reader is in the current sheet.
enum Phase {
    /// Not read: another sheet was asked for.
    Skipped,
    /// The first rows, kept until the header can be found (index = row index).
    Head(Vec<Vec<Cell>>),
    /// No header in the first rows: the sheet is skipped. Whether it holds anything.
    NoHeader(bool),
    /// Reading projects.
    Body(Columns),
}

/// How a sheet's columns were understood, and the section being read.
struct Columns {
    cols: BTreeMap<usize, Col>,
    headers: BTreeMap<usize, String>,
    name_col: Option<usize>,
    section_category: Option<String>,
    /// The first row below the header.
    body_from: usize,
}

impl<'a, F: FnMut(Option<LedgerRow>)> LedgerReader<'a, F> {
    /// A reader of every sheet (or of `only_sheet`) that hands each project row to
    /// `each` as soon as it is read: `Some(row)` for a project, `None` for a row that
    /// could not be read (its errors are in the finished ledger's `errors`).
    pub fn new(syn: &'a Synonyms, only_sheet: Option<&'a str>, each: F) -> Self {
        LedgerReader {
            syn,
            only: only_sheet,
            each,
            out: Ledger::default(),
            found_any: false,
            names: Vec::new(),
            first_row: 1,
            phase: None,
        }
    }

    /// Whether the sheet `name` is read at all (the caller may leave out its rows).
    pub fn wants(&self, name: &str) -> bool {
        self.only.is_none_or(|s| s == name)
    }

    /// A sheet begins; its row 0 is Excel row `first_row`.
    pub fn begin_sheet(&mut self, name: &str, first_row: usize) {
        self.end_sheet();
        self.names.push(name.to_string());
        self.first_row = first_row;
        self.phase = Some(if self.wants(name) {
            Phase::Head(Vec::new())
        } else {
            Phase::Skipped
        });
    }

    /// The current sheet's row at zero-based `index`. Rows come in order; a row never
    /// handed over is empty.
    pub fn row(&mut self, index: usize, cells: &[Cell]) {
        match &mut self.phase {
            None | Some(Phase::Skipped) => {}
            Some(Phase::Head(grid)) => {
                if index <= HEADER_ROWS {
                    if grid.len() < index {
                        grid.resize_with(index, Vec::new);
                    }
                    grid.push(cells.to_vec());
                } else {
                    self.find_header();
                    self.row(index, cells);
                }
            }
            Some(Phase::NoHeader(any)) => *any |= !is_blank(cells),
            Some(Phase::Body(c)) => {
                if index >= c.body_from {
                    let sheet = self.names.last().map_or("", String::as_str);
                    let excel_row = self.first_row + index;
                    c.read_row(sheet, excel_row, cells, &mut self.out, &mut self.each);
                }
            }
        }
    }

    /// Finds the header in the rows kept, then reads the rows kept below it.
    fn find_header(&mut self) {
        let Some(Phase::Head(grid)) = self.phase.take() else {
            return;
        };
        let name = self.names.last().cloned().unwrap_or_default();
        let Some((hr, hn, labels, top)) = find_header(&grid, self.syn) else {
            self.phase = Some(Phase::NoHeader(!grid.iter().all(|r| is_blank(r))));
            return;
        };
        self.found_any = true;
        let sheet = Sheet {
            name,
            rows: grid,
            first_row: self.first_row,
        };
        let mut c = Columns::new(&sheet, self.syn, hr, hn, &labels, &top, &mut self.out);
        for (i, row) in sheet.rows.iter().enumerate().skip(c.body_from) {
            c.read_row(
                &sheet.name,
                sheet.first_row + i,
                row,
                &mut self.out,
                &mut self.each,
            );
        }
        self.phase = Some(Phase::Body(c));
    }

    /// The current sheet ends.
    fn end_sheet(&mut self) {
        if matches!(self.phase, Some(Phase::Head(_))) {
            self.find_header();
        }
        if let Some(Phase::NoHeader(true)) = self.phase {
            self.out.skipped.push(SkippedRow {
                sheet: self.names.last().cloned().unwrap_or_default(),
                row: 0,
                text: String::new(),
                reason: "工作表中没有找到项目表头（至少需要“项目名称”和另一个可识别的列），整表跳过。".into(),
                reason_en: "no project header found on this sheet (needs 项目名称 and another known column); sheet skipped".into(),
            });
        }
        self.phase = None;
    }

    /// Everything read, once the last sheet has ended. Its `rows` is empty: each row went
    /// to `each`.
    pub fn finish(mut self) -> Ledger {
        self.end_sheet();
        let mut out = self.out;
        if let Some(s) = self.only
            && !self.names.iter().any(|x| x == s)
        {
            out.errors.push(file_error(
                s,
                format!(
                    "工作簿中没有名为“{s}”的工作表（有：{}）。",
                    self.names.join("、")
                ),
                format!("no sheet named '{s}'"),
            ));
        } else if !self.found_any && out.errors.is_empty() {
            out.errors.push(file_error(
                self.names.first().map_or("", String::as_str),
                "没有找到项目台账：表头中至少需要“项目名称”和另一个可识别的列（如总投资、所在地）。".into(),
                "no project ledger found: the header needs 项目名称 and at least one other known column".into(),
            ));
        }
        out
    }
}

impl Columns {
    /// Understands the columns of a sheet whose header is its rows `hr..hr + hn`,
    /// recording each in `out.columns` (and a column named twice in `out.errors`).
    fn new(
        sheet: &Sheet,
        syn: &Synonyms,
        hr: usize,
        hn: usize,
        labels: &[String],
        top: &[String],
        out: &mut Ledger,
    ) -> Columns {
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
        let name_col = cols
            .iter()
            .find(|(_, c)| FIELDS[c.field].id == "name")
            .map(|(i, _)| *i);
        Columns {
            cols,
            headers,
            name_col,
            section_category: None,
            body_from: hr + hn,
        }
    }

    /// Reads one row below the header: a project (to `each`), a row that cannot be read
    /// (its errors to `out`, `None` to `each`), or a section, total or blank row.
    fn read_row(
        &mut self,
        sheet: &str,
        excel_row: usize,
        row: &[Cell],
        out: &mut Ledger,
        each: &mut dyn FnMut(Option<LedgerRow>),
    ) {
        let Columns {
            cols,
            headers,
            name_col,
            section_category,
            ..
        } = self;
        let name_col = *name_col;
        if is_blank(row) {
            return;
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
        // (A number, date or yes/no cell never says 合计.)
        if row
            .iter()
            .take(4)
            .any(|c| matches!(c, Cell::Text(t) if is_total(t)))
            || is_total(&name)
        {
            out.skipped.push(SkippedRow {
                sheet: sheet.to_string(),
                row: excel_row,
                text: first.into_owned(),
                reason: "合计或小计行，不是项目。".into(),
                reason_en: "a total or subtotal row, not a project".into(),
            });
            return;
        }
        if let Some(title) = section_title(&first)
            .filter(|_| section_title(&name).is_some() || name.is_empty() || name == first)
        {
            if let Ok(c) = Category::parse(&title) {
                *section_category = Some(c.as_str().to_string());
            }
            out.skipped.push(SkippedRow {
                sheet: sheet.to_string(),
                row: excel_row,
                text: first.into_owned(),
                reason: "分类标题行，不是项目。".into(),
                reason_en: "a section heading, not a project".into(),
            });
            return;
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
        for (ci, col) in cols.iter() {
            let cell = row.get(*ci).unwrap_or(&Cell::Empty);
            let fld = &FIELDS[col.field];
            let raw = cell.text_ref();
            if is_empty_marker(&raw) {
                continue;
            }
            let header = headers.get(ci).map_or("", String::as_str);
            let mut err = |zh: String, en: String| {
                row_errors.push(CellError {
                    sheet: sheet.to_string(),
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
            && let Some(c) = section_category.as_ref()
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
                sheet: sheet.to_string(),
                row: excel_row,
                column: name_col.map_or("项目名称".into(), column_letter),
                message: "这一行有数据但没有项目名称。".into(),
                message_en: "this row has data but no project name".into(),
            });
        }
        if row_errors.is_empty() {
            each(Some(LedgerRow {
                sheet: sheet.to_string(),
                row: excel_row,
                input,
            }));
        } else {
            out.errors.extend(row_errors);
            each(None);
        }
    }
}

/// How [`stream_ledger`] ended.
#[derive(Debug)]
pub enum Streamed {
    /// Every row was read (and handed over).
    Read(Ledger),
    /// The file cannot be read. Rows read before this was found may have been handed
    /// over: the caller discards them.
    Bad(CellError),
    /// The fast xlsx reader met something it does not handle after it had handed rows
    /// over. The caller discards them and reads the workbook again, into cells, with
    /// [`super::read_xlsx_calamine`] and [`super::read_ledger_each`].
    Restart,
}

/// Reads the ledger of a workbook file, handing each row to `each` as soon as it is
/// read ([`read_ledger_each`]): an xlsx workbook is read as it is inflated, so the first
/// rows arrive before the rest of its XML is read; other files are read into cells
/// first.
pub fn stream_ledger(
    file_name: &str,
    bytes: &[u8],
    syn: &Synonyms,
    only_sheet: Option<&str>,
    mut each: impl FnMut(Option<LedgerRow>),
) -> Streamed {
    if let Err(e) = sheets::check_size(file_name, bytes) {
        return Streamed::Bad(e);
    }
    if !sheets::is_xlsx(file_name) {
        return match read_sheets(file_name, bytes) {
            Ok(s) => Streamed::Read(read_ledger_each(&s, syn, only_sheet, each)),
            Err(e) => Streamed::Bad(e),
        };
    }
    let mut handed = false;
    let mut reader = LedgerReader::new(syn, only_sheet, |r| {
        handed = true;
        each(r);
    });
    let read = xlsx::read_each(bytes, &mut reader);
    match read {
        Ok(()) => Streamed::Read(reader.finish()),
        Err(xlsx::Stop::Bad(sheet, why)) => Streamed::Bad(sheets::bad_sheet(&sheet, &why)),
        Err(xlsx::Stop::Fallback) => {
            drop(reader);
            if handed {
                return Streamed::Restart;
            }
            match sheets::read_xlsx_calamine(file_name, bytes) {
                Ok(s) => Streamed::Read(read_ledger_each(&s, syn, only_sheet, each)),
                Err(e) => Streamed::Bad(e),
            }
        }
    }
}

impl<F: FnMut(Option<LedgerRow>)> xlsx::Rows for LedgerReader<'_, F> {
    fn sheet(&mut self, name: &str) -> bool {
        self.begin_sheet(name, 1);
        self.wants(name)
    }

    fn row(&mut self, index: usize, cells: &[Cell]) {
        LedgerReader::row(self, index, cells);
    }
}
