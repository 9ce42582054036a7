//! A period's progress table as offices print it for the scheduling meeting: a title,
//! a unit row, a merged two-row header, a section per division with its subtotal, a
//! total row, each light cell filled in its colour with its word (so it still reads in
//! black and white), and a second sheet with the division roll-up.

use crate::ledger_export::cn_number;
use gongjian_domain::progress::{Light, Totals, rate_bp};
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

/// One project's light as exported.
#[derive(Debug, Clone, Default)]
pub struct ProgressRow {
    /// Section the row falls in (the division below the exported one).
    pub section: String,
    /// National project code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Division name.
    pub division_name: String,
    /// Annual plan, whole yuan.
    pub annual: Option<i64>,
    /// Completed this year to the month, whole yuan.
    pub cumulative: i64,
    /// Time-proportional target, whole yuan.
    pub target: Option<i64>,
    /// `green`, `yellow`, `red` or `none`.
    pub light: String,
    /// The one-sentence explanation.
    pub why: String,
}

/// A division's roll-up as exported.
#[derive(Debug, Clone, Default)]
pub struct DivisionTotal {
    /// Division name.
    pub name: String,
    /// Its figures.
    pub totals: Totals,
}

const HEAD: [(&str, &str); 11] = [
    ("", "序号"),
    ("", "项目名称"),
    ("", "项目代码"),
    ("", "所在地"),
    ("投资完成情况（万元）", "年度计划"),
    ("投资完成情况（万元）", "累计完成"),
    ("投资完成情况（万元）", "序时目标"),
    ("投资完成情况（万元）", "完成率"),
    ("投资完成情况（万元）", "序时进度"),
    ("", "灯号"),
    ("", "原因"),
];

fn light_label(s: &str) -> &'static str {
    match Light::parse(s) {
        Some(Light::Green) => "绿灯",
        Some(Light::Yellow) => "黄灯",
        Some(Light::Red) => "红灯",
        _ => "无计划",
    }
}

fn light_color(s: &str) -> Color {
    match Light::parse(s) {
        Some(Light::Green) => Color::RGB(0x00B050),
        Some(Light::Yellow) => Color::RGB(0xFFD966),
        Some(Light::Red) => Color::RGB(0xFF0000),
        _ => Color::RGB(0xD9D9D9),
    }
}

/// A rate in basis points as a spreadsheet percentage.
fn pct(bp: Option<i64>) -> Option<f64> {
    bp.map(|b| b as f64 / 10_000.0)
}

/// 完成率 and 序时进度: completed and target, each as a share of the annual plan.
fn rates(annual: i64, cumulative: i64, target: i64) -> (Option<f64>, Option<f64>) {
    (
        pct(rate_bp(cumulative, annual)),
        pct(rate_bp(target, annual)),
    )
}

struct Formats {
    title: Format,
    head: Format,
    text: Format,
    num: Format,
    pct: Format,
    sec: Format,
    sec_num: Format,
    sec_pct: Format,
    tot: Format,
    tot_num: Format,
    tot_pct: Format,
}

fn formats() -> Formats {
    let cell = || {
        Format::new()
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::VerticalCenter)
    };
    let band = |c: u32| cell().set_bold().set_background_color(Color::RGB(c));
    Formats {
        title: Format::new()
            .set_bold()
            .set_font_size(18)
            .set_align(FormatAlign::Center)
            .set_font_name("方正小标宋简体"),
        head: band(0xDDEBF7)
            .set_align(FormatAlign::Center)
            .set_text_wrap(),
        text: cell().set_text_wrap(),
        num: cell().set_num_format("#,##0.00"),
        pct: cell().set_num_format("0.0%"),
        sec: band(0xF2F2F2),
        sec_num: band(0xF2F2F2).set_num_format("#,##0.00"),
        sec_pct: band(0xF2F2F2).set_num_format("0.0%"),
        tot: band(0xFCE4D6),
        tot_num: band(0xFCE4D6).set_num_format("#,##0.00"),
        tot_pct: band(0xFCE4D6).set_num_format("0.0%"),
    }
}

fn header(ws: &mut Worksheet, f: &Formats, title: &str) -> Result<(), XlsxError> {
    let n = HEAD.len() as u16;
    ws.merge_range(0, 0, 0, n - 1, title, &f.title)?;
    ws.set_row_height(0, 32)?;
    ws.write_string(1, 0, "单位：万元")?;
    let mut c = 0usize;
    while c < HEAD.len() {
        let (group, label) = HEAD[c];
        if group.is_empty() {
            ws.merge_range(2, c as u16, 3, c as u16, label, &f.head)?;
            c += 1;
        } else {
            let end = (c..HEAD.len())
                .take_while(|i| HEAD[*i].0 == group)
                .last()
                .expect("at least c");
            ws.merge_range(2, c as u16, 2, end as u16, group, &f.head)?;
            for (i, (_, l)) in HEAD.iter().enumerate().take(end + 1).skip(c) {
                ws.write_string_with_format(3, i as u16, *l, &f.head)?;
            }
            c = end + 1;
        }
    }
    for (i, w) in [6.0, 34.0, 24.0, 12.0, 12.0, 12.0, 12.0, 9.0, 9.0, 8.0, 60.0]
        .iter()
        .enumerate()
    {
        ws.set_column_width(i as u16, *w)?;
    }
    ws.set_freeze_panes(4, 2)?;
    Ok(())
}

/// Writes a totals row (section subtotal or grand total) from column 4 on.
fn totals_row(
    ws: &mut Worksheet,
    row: u32,
    t: &Totals,
    num: &Format,
    pct_f: &Format,
) -> Result<(), XlsxError> {
    ws.write_number_with_format(row, 4, t.annual as f64 / 10_000.0, num)?;
    ws.write_number_with_format(row, 5, t.cumulative as f64 / 10_000.0, num)?;
    ws.write_number_with_format(row, 6, t.target as f64 / 10_000.0, num)?;
    let (done, due) = rates(t.annual, t.cumulative, t.target);
    write_pct(ws, row, 7, done, pct_f)?;
    write_pct(ws, row, 8, due, pct_f)?;
    Ok(())
}

fn write_pct(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    v: Option<f64>,
    f: &Format,
) -> Result<(), XlsxError> {
    match v {
        Some(x) => ws.write_number_with_format(row, col, x, f)?,
        None => ws.write_blank(row, col, f)?,
    };
    Ok(())
}

fn light_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    light: &str,
    bold: bool,
) -> Result<(), XlsxError> {
    let mut f = Format::new()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color(light_color(light));
    if bold {
        f = f.set_bold();
    }
    if Light::parse(light) == Some(Light::Red) {
        f = f.set_font_color(Color::White);
    }
    ws.write_string_with_format(row, col, light_label(light), &f)?;
    Ok(())
}

/// The printable workbook: sheet 序时进度 (projects by section) and sheet 分地区
/// (the roll-up). `rows` come in key-project-table order; sections keep their first
/// appearance's order. `rule` names the rule version for the footer.
pub fn to_xlsx(
    rows: &[ProgressRow],
    divisions: &[DivisionTotal],
    title: &str,
    rule: &str,
    light_of: impl Fn(&Totals) -> Light,
) -> Result<Vec<u8>, XlsxError> {
    let f = formats();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("序时进度")?;
    header(ws, &f, title)?;
    let mut sections: Vec<&str> = Vec::new();
    for r in rows {
        if !sections.contains(&r.section.as_str()) {
            sections.push(&r.section);
        }
    }
    let (mut row, mut seq) = (4u32, 0usize);
    let mut grand = Totals::default();
    for (si, sec) in sections.iter().enumerate() {
        let members: Vec<&ProgressRow> = rows.iter().filter(|r| r.section == *sec).collect();
        ws.merge_range(
            row,
            0,
            row,
            HEAD.len() as u16 - 1,
            &format!("{}、{}（{}个）", cn_number(si + 1), sec, members.len()),
            &f.sec,
        )?;
        row += 1;
        let mut sub = Totals::default();
        for r in members {
            seq += 1;
            let light = Light::parse(&r.light).unwrap_or(Light::None);
            sub.add(r.annual, r.cumulative, r.target, light);
            ws.write_number_with_format(row, 0, seq as f64, &f.text)?;
            ws.write_string_with_format(row, 1, &r.name, &f.text)?;
            ws.write_string_with_format(row, 2, &r.code, &f.text)?;
            ws.write_string_with_format(row, 3, &r.division_name, &f.text)?;
            match r.annual {
                Some(a) => ws.write_number_with_format(row, 4, a as f64 / 10_000.0, &f.num)?,
                None => ws.write_blank(row, 4, &f.num)?,
            };
            ws.write_number_with_format(row, 5, r.cumulative as f64 / 10_000.0, &f.num)?;
            match r.target {
                Some(t) => ws.write_number_with_format(row, 6, t as f64 / 10_000.0, &f.num)?,
                None => ws.write_blank(row, 6, &f.num)?,
            };
            let (done, due) = match (r.annual, r.target) {
                (Some(a), Some(t)) => rates(a, r.cumulative, t),
                _ => (None, None),
            };
            write_pct(ws, row, 7, done, &f.pct)?;
            write_pct(ws, row, 8, due, &f.pct)?;
            light_cell(ws, row, 9, &r.light, false)?;
            ws.write_string_with_format(row, 10, &r.why, &f.text)?;
            row += 1;
        }
        ws.write_string_with_format(row, 0, "", &f.sec)?;
        ws.merge_range(row, 1, row, 3, "小计", &f.sec)?;
        totals_row(ws, row, &sub, &f.sec_num, &f.sec_pct)?;
        light_cell(ws, row, 9, light_of(&sub).as_str(), true)?;
        ws.write_string_with_format(row, 10, "", &f.sec)?;
        grand.merge(&sub);
        row += 1;
    }
    ws.merge_range(
        row,
        0,
        row,
        3,
        &format!("合计（{}个项目）", rows.len()),
        &f.tot,
    )?;
    totals_row(ws, row, &grand, &f.tot_num, &f.tot_pct)?;
    light_cell(ws, row, 9, light_of(&grand).as_str(), true)?;
    ws.write_string_with_format(row, 10, "", &f.tot)?;
    ws.write_string(
        row + 2,
        0,
        format!("注：灯号按{rule}判定；完成率＝累计完成÷年度计划，序时进度＝序时目标÷年度计划。"),
    )?;
    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(2, 3)?;

    let ws = wb.add_worksheet();
    ws.set_name("分地区")?;
    ws.merge_range(0, 0, 0, 7, title, &f.title)?;
    ws.write_string(1, 0, "单位：万元")?;
    for (i, h) in [
        "地区",
        "项目数",
        "年度计划",
        "累计完成",
        "序时目标",
        "完成率",
        "序时进度",
        "灯号",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string_with_format(2, i as u16, *h, &f.head)?;
        ws.set_column_width(i as u16, if i == 0 { 16.0 } else { 12.0 })?;
    }
    for (i, d) in divisions.iter().enumerate() {
        let r = 3 + i as u32;
        let t = &d.totals;
        ws.write_string_with_format(r, 0, &d.name, &f.text)?;
        ws.write_number_with_format(r, 1, t.projects as f64, &f.text)?;
        ws.write_number_with_format(r, 2, t.annual as f64 / 10_000.0, &f.num)?;
        ws.write_number_with_format(r, 3, t.cumulative as f64 / 10_000.0, &f.num)?;
        ws.write_number_with_format(r, 4, t.target as f64 / 10_000.0, &f.num)?;
        let (done, due) = rates(t.annual, t.cumulative, t.target);
        write_pct(ws, r, 5, done, &f.pct)?;
        write_pct(ws, r, 6, due, &f.pct)?;
        light_cell(ws, r, 7, light_of(t).as_str(), false)?;
    }
    ws.set_freeze_panes(3, 1)?;
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use gongjian_domain::progress::LightRule;
    use std::io::Read;

    fn row(
        section: &str,
        name: &str,
        annual: i64,
        done: i64,
        target: i64,
        light: &str,
    ) -> ProgressRow {
        ProgressRow {
            section: section.into(),
            code: format!("2026-990102-48-01-{:06}", annual % 1_000_000),
            name: name.into(),
            division_name: section.into(),
            annual: Some(annual),
            cumulative: done,
            target: Some(target),
            light: light.into(),
            why: format!("{name} 的原因"),
        }
    }

    fn part(xlsx: &[u8], name: &str) -> String {
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
        let mut s = String::new();
        z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    }

    #[test]
    fn sections_subtotals_totals_and_coloured_lights() {
        let rule = LightRule::yinchuan();
        let rows = vec![
            row(
                "东城区",
                "甲项目",
                10_000_000,
                9_000_000,
                9_000_000,
                "green",
            ),
            row("东城区", "乙项目", 20_000_000, 2_000_000, 18_000_000, "red"),
            row(
                "西城区",
                "丙项目",
                10_000_000,
                7_000_000,
                9_000_000,
                "yellow",
            ),
        ];
        let mut d = Totals::default();
        d.add(Some(10_000_000), 7_000_000, Some(9_000_000), Light::Yellow);
        let divisions = vec![DivisionTotal {
            name: "西城区".into(),
            totals: d,
        }];
        let x = to_xlsx(
            &rows,
            &divisions,
            "示例市2026年1-10月",
            "银川规则（第 1 版）",
            |t| t.light(&rule),
        )
        .unwrap();
        let wb = part(&x, "xl/workbook.xml");
        assert!(wb.contains("序时进度") && wb.contains("分地区"), "{wb}");
        let strings = part(&x, "xl/sharedStrings.xml");
        for s in [
            "一、东城区（2个）",
            "二、西城区（1个）",
            "小计",
            "合计（3个项目）",
            "红灯",
            "黄灯",
            "绿灯",
            "单位：万元",
            "投资完成情况（万元）",
            "乙项目 的原因",
        ] {
            assert!(strings.contains(s), "{s} missing");
        }
        let styles = part(&x, "xl/styles.xml");
        for c in ["FF00B050", "FFFFD966", "FFFF0000"] {
            assert!(styles.contains(c), "fill {c} missing");
        }
        let sheet = part(&x, "xl/worksheets/sheet1.xml");
        // 东城区 subtotal: 3000 planned, 1100 done (万元); the grand total 4000 / 1800.
        assert!(
            sheet.contains("<v>3000</v>") && sheet.contains("<v>1100</v>"),
            "subtotal"
        );
        assert!(
            sheet.contains("<v>4000</v>") && sheet.contains("<v>1800</v>"),
            "total"
        );
        assert!(sheet.contains("<mergeCell ref=\"A1:K1\"/>"), "title merged");
        assert!(
            sheet.contains("<pane xSplit=\"2\" ySplit=\"4\""),
            "frozen header"
        );
    }
}
