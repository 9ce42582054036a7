//! The key-project table in the layout leaders print: a title, a unit row, a merged
//! two-row header, a section per category with its subtotal, a total row, a frozen
//! header, set widths and number formats. The same columns go to CSV, and the empty
//! table is the import template. Whatever this writes, the ledger import reads back.

use gongjian_domain::money;
use gongjian_domain::project::{Category, tag_label};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};

/// One project as exported: display text and whole-yuan amounts.
#[derive(Debug, Clone, Default)]
pub struct ExportRow {
    /// National project code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Level, Chinese.
    pub level: String,
    /// Category identifier (sections group by it).
    pub category: String,
    /// Nature, Chinese.
    pub nature: String,
    /// Stage, Chinese.
    pub stage: String,
    /// Division name.
    pub division_name: String,
    /// Division code.
    pub division_code: String,
    /// Owner.
    pub owner_name: String,
    /// Owner's credit code.
    pub owner_credit_code: String,
    /// Responsible unit name.
    pub responsible_unit: String,
    /// Cooperating unit names.
    pub cooperators: Vec<String>,
    /// Contact leader name.
    pub contact_leader: String,
    /// Task force members.
    pub members: Vec<String>,
    /// Plan document.
    pub plan_doc: String,
    /// Whole yuan.
    pub total_investment: i64,
    /// Whole yuan.
    pub annual_plan: Option<i64>,
    /// Whole yuan per month.
    pub months: [Option<i64>; 12],
    /// Construction period.
    pub start_year: Option<i64>,
    /// Construction period.
    pub end_year: Option<i64>,
    /// Hundredths of a mu.
    pub land_mu: Option<i64>,
    /// Started.
    pub started: bool,
    /// Start date, ISO.
    pub start_date: String,
    /// Tag identifiers.
    pub tags: Vec<String>,
    /// Description.
    pub description: String,
}

/// Column headers: (group over it, header). Amount columns are in 万元.
fn headers(year: i64) -> Vec<(String, String)> {
    let mut h: Vec<(String, String)> = [
        "序号",
        "项目代码",
        "项目名称",
        "项目级别",
        "项目类别",
        "建设性质",
        "项目阶段",
        "所在地",
        "区划代码",
        "建设单位",
        "统一社会信用代码",
        "责任单位",
        "配合单位",
        "包保领导",
        "工作专班",
        "推进方案",
    ]
    .iter()
    .map(|s| (String::new(), (*s).to_string()))
    .collect();
    let inv = "投资情况（万元）".to_string();
    h.push((inv.clone(), "总投资".into()));
    h.push((inv, format!("{year}年计划投资")));
    let months = format!("{year}年月度计划（万元）");
    for m in 1..=12 {
        h.push((months.clone(), format!("{m}月")));
    }
    for s in [
        "开工年份",
        "竣工年份",
        "用地面积（亩）",
        "是否开工",
        "开工时间",
        "标签",
        "建设内容及规模",
    ] {
        h.push((String::new(), s.to_string()));
    }
    h
}

const FIRST_MONEY_COL: usize = 16;

fn texts(r: &ExportRow, seq: usize) -> Vec<String> {
    let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    let mut v = vec![
        seq.to_string(),
        r.code.clone(),
        r.name.clone(),
        r.level.clone(),
        Category::parse(&r.category).map_or(r.category.clone(), |c| c.zh().to_string()),
        r.nature.clone(),
        r.stage.clone(),
        r.division_name.clone(),
        r.division_code.clone(),
        r.owner_name.clone(),
        r.owner_credit_code.clone(),
        r.responsible_unit.clone(),
        r.cooperators.join("、"),
        r.contact_leader.clone(),
        r.members.join("、"),
        r.plan_doc.clone(),
        money::wan(r.total_investment),
        r.annual_plan.map(money::wan).unwrap_or_default(),
    ];
    for m in r.months {
        v.push(m.map(money::wan).unwrap_or_default());
    }
    v.push(opt(r.start_year));
    v.push(opt(r.end_year));
    v.push(r.land_mu.map(money::mu).unwrap_or_default());
    v.push(if r.started { "是" } else { "否" }.into());
    v.push(r.start_date.clone());
    v.push(
        r.tags
            .iter()
            .map(|t| tag_label(t, true))
            .collect::<Vec<_>>()
            .join("、"),
    );
    v.push(r.description.clone());
    v
}

/// The table as CSV (UTF-8 with BOM so Excel and WPS read the Chinese): one header row,
/// amounts in 万元 as exact decimals.
pub fn to_csv(rows: &[ExportRow], year: i64) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let h: Vec<String> = headers(year).into_iter().map(|(_, h)| h).collect();
    w.write_record(&h).expect("in memory");
    for (i, r) in rows.iter().enumerate() {
        w.write_record(texts(r, i + 1)).expect("in memory");
    }
    w.into_inner().expect("in memory")
}

const CN: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

/// 一, 二, … 九十九: section numbers of printed tables and documents (digits beyond).
pub fn cn_number(n: usize) -> String {
    match n {
        1..=10 => CN[n - 1].to_string(),
        11..=19 => format!("十{}", CN[n - 11]),
        20..=99 => {
            let (t, u) = (n / 10, n % 10);
            let unit = if u == 0 { "" } else { CN[u - 1] };
            format!("{}十{unit}", CN[t - 1])
        }
        _ => n.to_string(),
    }
}

/// The printable workbook. `title` heads the sheet, e.g. `示例市2026年重点项目表`.
pub fn to_xlsx(rows: &[ExportRow], year: i64, title: &str) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("重点项目")?;
    let h = headers(year);
    let ncol = h.len() as u16;
    let title_f = Format::new()
        .set_bold()
        .set_font_size(18)
        .set_align(FormatAlign::Center)
        .set_font_name("方正小标宋简体");
    let head_f = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap()
        .set_background_color("#DDEBF7");
    let text_f = Format::new()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter);
    let num_f = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("#,##0.00##");
    let sec_f = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_background_color("#F2F2F2");
    let sec_num = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_background_color("#F2F2F2")
        .set_num_format("#,##0.00##");
    let tot_f = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_background_color("#FCE4D6");
    let tot_num = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_background_color("#FCE4D6")
        .set_num_format("#,##0.00##");

    ws.merge_range(0, 0, 0, ncol - 1, title, &title_f)?;
    ws.set_row_height(0, 32)?;
    ws.write_string(1, 0, "单位：万元")?;
    // Two header rows: groups merged across their columns, single headers merged down.
    let mut c = 0usize;
    while c < h.len() {
        let (group, label) = &h[c];
        if group.is_empty() {
            ws.merge_range(2, c as u16, 3, c as u16, label, &head_f)?;
            c += 1;
        } else {
            let end = (c..h.len())
                .take_while(|i| h[*i].0 == *group)
                .last()
                .expect("at least c");
            ws.merge_range(2, c as u16, 2, end as u16, group, &head_f)?;
            for (i, (_, label)) in h.iter().enumerate().take(end + 1).skip(c) {
                ws.write_string_with_format(3, i as u16, label, &head_f)?;
            }
            c = end + 1;
        }
    }
    let widths: Vec<f64> = h
        .iter()
        .enumerate()
        .map(|(i, (_, l))| match l.as_str() {
            "序号" => 6.0,
            "项目名称" | "建设单位" | "建设内容及规模" => 30.0,
            "项目代码" | "统一社会信用代码" => 24.0,
            _ if (FIRST_MONEY_COL..FIRST_MONEY_COL + 14).contains(&i) => 12.0,
            _ => 12.0,
        })
        .collect();
    for (i, w) in widths.iter().enumerate() {
        ws.set_column_width(i as u16, *w)?;
    }
    ws.set_freeze_panes(4, 3)?;
    // Sections by category, in the vocabulary's order.
    let mut cats: Vec<&str> = Vec::new();
    for r in rows {
        if !cats.contains(&r.category.as_str()) {
            cats.push(&r.category);
        }
    }
    cats.sort_by_key(|c| {
        Category::ALL
            .iter()
            .position(|x| x.as_str() == *c)
            .unwrap_or(99)
    });
    let mut row = 4u32;
    let mut seq = 0usize;
    let money_cols = FIRST_MONEY_COL..FIRST_MONEY_COL + 14;
    let mut grand = [0i64; 14];
    for (si, cat) in cats.iter().enumerate() {
        let members: Vec<&ExportRow> = rows.iter().filter(|r| r.category == *cat).collect();
        let label = Category::parse(cat).map_or(cat.to_string(), |c| c.zh().to_string());
        ws.merge_range(
            row,
            0,
            row,
            ncol - 1,
            &format!("{}、{}（{}个）", cn_number(si + 1), label, members.len()),
            &sec_f,
        )?;
        row += 1;
        let mut sub = [0i64; 14];
        for r in &members {
            seq += 1;
            let t = texts(r, seq);
            let amounts: Vec<Option<i64>> = std::iter::once(Some(r.total_investment))
                .chain(std::iter::once(r.annual_plan))
                .chain(r.months.iter().copied())
                .collect();
            for (ci, v) in t.iter().enumerate() {
                if money_cols.contains(&ci) {
                    let k = ci - FIRST_MONEY_COL;
                    match amounts[k] {
                        Some(y) => {
                            sub[k] += y;
                            ws.write_number_with_format(
                                row,
                                ci as u16,
                                y as f64 / 10_000.0,
                                &num_f,
                            )?;
                        }
                        None => {
                            ws.write_blank(row, ci as u16, &num_f)?;
                        }
                    }
                } else if ci == 0 {
                    ws.write_number_with_format(row, 0, seq as f64, &text_f)?;
                } else {
                    ws.write_string_with_format(row, ci as u16, v, &text_f)?;
                }
            }
            row += 1;
        }
        ws.write_string_with_format(row, 0, "", &sec_f)?;
        ws.merge_range(row, 1, row, FIRST_MONEY_COL as u16 - 1, "小计", &sec_f)?;
        for (k, v) in sub.iter().enumerate() {
            grand[k] += v;
            ws.write_number_with_format(
                row,
                (FIRST_MONEY_COL + k) as u16,
                *v as f64 / 10_000.0,
                &sec_num,
            )?;
        }
        row += 1;
    }
    ws.merge_range(
        row,
        0,
        row,
        FIRST_MONEY_COL as u16 - 1,
        &format!("合计（{}个项目）", rows.len()),
        &tot_f,
    )?;
    for (k, v) in grand.iter().enumerate() {
        ws.write_number_with_format(
            row,
            (FIRST_MONEY_COL + k) as u16,
            *v as f64 / 10_000.0,
            &tot_num,
        )?;
    }
    ws.set_landscape();
    ws.set_paper_size(9); // A4
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(2, 3)?;
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_section_numbers() {
        assert_eq!(cn_number(1), "一");
        assert_eq!(cn_number(10), "十");
        assert_eq!(cn_number(12), "十二");
        assert_eq!(cn_number(20), "二十");
        assert_eq!(cn_number(63), "六十三");
        assert_eq!(cn_number(100), "100");
    }

    #[test]
    fn csv_has_bom_and_exact_amounts() {
        let r = ExportRow {
            name: "甲".into(),
            category: "industrial".into(),
            total_investment: 12_345,
            ..Default::default()
        };
        let out = String::from_utf8(to_csv(&[r], 2026)).unwrap();
        assert!(out.starts_with('\u{feff}'));
        assert!(out.contains("2026年计划投资"));
        assert!(out.contains(",1.2345,"), "{out}");
        assert!(out.contains("产业项目"));
    }
}
