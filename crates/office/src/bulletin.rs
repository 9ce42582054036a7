//! The monthly bulletin (通报) in its three forms, all from the same composed blocks
//! (`gongjian_domain::bulletin::compose`): a Word document laid out to GB/T 9704, a
//! workbook with one printable sheet per table, and Typst markup for the PDF.

use crate::docx::Docx;
use gongjian_domain::bulletin::{Block, Table};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};

/// The bulletin as a .docx.
pub fn to_docx(blocks: &[Block]) -> Vec<u8> {
    let mut d = Docx::new();
    for b in blocks {
        match b {
            Block::Title(t) => {
                d.title(t);
            }
            Block::Subtitle(t) => {
                d.subtitle(t);
            }
            Block::Heading(level, t) => {
                d.heading(*level, t);
            }
            Block::Para(t) => {
                d.para(t);
            }
            Block::Table(t) => {
                let header: Vec<&str> = t.header.iter().map(String::as_str).collect();
                d.caption(&t.caption)
                    .table_sized(&header, &t.rows, &t.widths);
            }
            Block::Signature(lines) => {
                d.signature(lines);
            }
        }
    }
    d.to_bytes()
}

/// The bulletin's tables as a workbook: one sheet per table with its caption as a merged
/// title, a bold header repeated on every printed page, borders, set widths, A4
/// landscape fitted to the page width. Numbers stay text exactly as printed in the
/// bulletin (e.g. `1,234.50`, `85.3%`), so the two never disagree.
pub fn to_xlsx(blocks: &[Block]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let title_f = Format::new()
        .set_bold()
        .set_font_size(16)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_font_name("方正小标宋简体");
    let head = Format::new()
        .set_bold()
        .set_font_name("黑体")
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap()
        .set_background_color("#DDEBF7");
    let cell = Format::new()
        .set_font_name("仿宋_GB2312")
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter);
    let total = cell.clone().set_bold().set_background_color("#FCE4D6");
    let tables: Vec<&Table> = blocks
        .iter()
        .filter_map(|b| match b {
            Block::Table(t) => Some(t),
            _ => None,
        })
        .collect();
    let mut used: Vec<String> = Vec::new();
    for t in tables {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(&t.caption, &mut used))?;
        let n = t.header.len().max(1) as u16;
        ws.merge_range(0, 0, 0, n - 1, &t.caption, &title_f)?;
        ws.set_row_height(0, 30)?;
        for (i, h) in t.header.iter().enumerate() {
            ws.write_string_with_format(1, i as u16, h, &head)?;
            let w = t.widths.get(i).copied().unwrap_or(12);
            ws.set_column_width(i as u16, f64::from(w))?;
        }
        for (r, row) in t.rows.iter().enumerate() {
            let f = if row.first().is_some_and(|c| c == "合计") {
                &total
            } else {
                &cell
            };
            for (c, v) in row.iter().enumerate() {
                ws.write_string_with_format(2 + r as u32, c as u16, v, f)?;
            }
        }
        ws.set_freeze_panes(2, 0)?;
        ws.set_landscape();
        ws.set_paper_size(9);
        ws.set_print_fit_to_pages(1, 0);
        ws.set_repeat_rows(1, 1)?;
        ws.set_header("&C&\"黑体\"&12重点项目建设情况通报");
        ws.set_footer("&C— &P —");
    }
    if used.is_empty() {
        wb.add_worksheet().set_name("通报")?;
    }
    wb.save_to_buffer()
}

/// A sheet name from a caption: without `[]:*?/\`, at most 31 characters, unique.
fn sheet_name(caption: &str, used: &mut Vec<String>) -> String {
    let clean: String = caption
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(28)
        .collect();
    let mut name = clean.clone();
    let mut k = 2;
    while used.contains(&name) {
        name = format!("{clean}{k}");
        k += 1;
    }
    used.push(name.clone());
    name
}

/// Font families for the PDF, in order of preference per role.
#[derive(Debug, Clone, Default)]
pub struct Families {
    /// Body text (仿宋 if present, else a serif CJK face).
    pub body: Vec<String>,
    /// Level-1 headings and captions (黑体 or a sans CJK face).
    pub heading: Vec<String>,
    /// Level-2 headings (楷体 or the body face).
    pub kai: Vec<String>,
    /// The title (小标宋 or a bold serif face).
    pub title: Vec<String>,
}

/// A Typst string literal.
fn lit(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            '"' => o.push_str("\\\""),
            '\n' => o.push_str("\\n"),
            '\r' | '\t' => o.push(' '),
            c if (c as u32) < 0x20 => {}
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn fams(v: &[String]) -> String {
    format!(
        "({})",
        v.iter().map(|f| lit(f)).collect::<Vec<_>>().join(", ")
            + if v.len() == 1 { "," } else { "" }
    )
}

/// The bulletin as Typst markup with the same layout as the Word document: A4, margins
/// 37/35/28/26 mm, 22 pt title, 16 pt body with a 2-character indent and 22 lines a page,
/// page numbers `— 1 —` at the bottom in 14 pt. Every text goes in as a string literal,
/// so nothing from the data is read as markup.
pub fn to_typst(blocks: &[Block], f: &Families) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "#set page(paper: \"a4\", margin: (top: 37mm, bottom: 35mm, left: 28mm, right: 26mm), \
         footer: context align(center, text(font: {b}, size: 14pt, \"— \" + counter(page).display() + \" —\")))\n\
         #set text(font: {b}, size: 16pt, lang: \"zh\", region: \"cn\")\n\
         #set par(justify: true, leading: 13pt, spacing: 13pt, first-line-indent: (amount: 2em, all: true))\n",
        b = fams(&f.body)
    ));
    for b in blocks {
        match b {
            Block::Title(t) => s.push_str(&format!(
                "#align(center, text(font: {}, size: 22pt, weight: \"bold\", {}))\n#v(16pt)\n",
                fams(&f.title),
                lit(t)
            )),
            Block::Subtitle(t) => s.push_str(&format!("#align(center, text({}))\n", lit(t))),
            Block::Heading(level, t) => {
                let font = if *level <= 1 { &f.heading } else { &f.kai };
                s.push_str(&format!("#par(text(font: {}, {}))\n", fams(font), lit(t)));
            }
            Block::Para(t) => s.push_str(&format!("#par({})\n", lit(t))),
            Block::Table(t) => {
                s.push_str(&format!(
                    "#align(center, text(font: {}, size: 14pt, {}))\n",
                    fams(&f.heading),
                    lit(&t.caption)
                ));
                let cols: Vec<String> = t
                    .widths
                    .iter()
                    .take(t.header.len())
                    .map(|w| format!("{w}fr"))
                    .collect();
                s.push_str(&format!(
                    "#block(text(size: 10.5pt, table(columns: ({}), align: center + horizon, inset: 4pt, stroke: 0.5pt,\n  table.header(",
                    cols.join(", ")
                ));
                for h in &t.header {
                    s.push_str(&format!("text(font: {}, {}), ", fams(&f.heading), lit(h)));
                }
                s.push_str("),\n");
                for row in &t.rows {
                    s.push_str("  ");
                    for c in row {
                        s.push_str(&lit(c));
                        s.push_str(", ");
                    }
                    s.push('\n');
                }
                s.push_str(")))\n");
            }
            Block::Signature(lines) => {
                s.push_str("#v(16pt)\n");
                for l in lines {
                    s.push_str(&format!("#align(right, {})\n", lit(l)));
                }
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks() -> Vec<Block> {
        vec![
            Block::Title("金川市重点项目建设情况通报".into()),
            Block::Heading(1, "一、总体情况".into()),
            Block::Para("完成 \"85.3%\" #[x] $y\\".into()),
            Block::Table(Table {
                caption: "表1 各县区/完成情况".into(),
                header: vec!["县区".into(), "完成率".into()],
                rows: vec![
                    vec!["东城区".into(), "85.3%".into()],
                    vec!["合计".into(), "80.0%".into()],
                ],
                widths: vec![16, 10],
            }),
            Block::Signature(vec!["调度办".into(), "2026年11月3日".into()]),
        ]
    }

    #[test]
    fn docx_has_captions_tables_and_signature() {
        let x = to_docx(&blocks());
        let doc = crate::docx::document_xml(&x).unwrap();
        assert!(doc.contains("表1 各县区/完成情况") && doc.contains("<w:jc w:val=\"right\"/>"));
        assert!(doc.contains("东城区") && doc.contains("2026年11月3日"));
    }

    #[test]
    fn workbook_has_one_sheet_per_table_named_safely() {
        let x = to_xlsx(&blocks()).unwrap();
        let mut wb: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(x)).unwrap();
        use calamine::Reader;
        assert_eq!(wb.sheet_names(), vec!["表1 各县区完成情况".to_string()]);
        let r = wb.worksheet_range("表1 各县区完成情况").unwrap();
        assert_eq!(
            r.get_value((0, 0)).unwrap().to_string(),
            "表1 各县区/完成情况"
        );
        assert_eq!(r.get_value((2, 1)).unwrap().to_string(), "85.3%");
        assert_eq!(r.get_value((3, 0)).unwrap().to_string(), "合计");
    }

    #[test]
    fn typst_markup_quotes_every_text() {
        let f = Families {
            body: vec!["Noto Serif CJK SC".into()],
            heading: vec!["Noto Sans CJK SC".into()],
            kai: vec!["Noto Serif CJK SC".into()],
            title: vec!["Noto Serif CJK SC".into()],
        };
        let t = to_typst(&blocks(), &f);
        assert!(t.contains(r#"#par("完成 \"85.3%\" #[x] $y\\")"#), "{t}");
        assert!(t.contains("margin: (top: 37mm, bottom: 35mm, left: 28mm, right: 26mm)"));
        assert!(t.contains("size: 22pt") && t.contains("size: 16pt"));
        assert!(
            t.contains("(\"Noto Sans CJK SC\",)"),
            "a one-element tuple keeps its comma"
        );
    }
}
