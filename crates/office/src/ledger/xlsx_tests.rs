//! Tests of the single-pass xlsx reader: its pieces, its refusals, and cell-for-cell
//! agreement with calamine.

use super::rows::*;
use super::*;

/// The rows of a sheet's XML, read `step` bytes at a time as from the archive.
fn rows_in_steps(
    xml: &[u8],
    strings: &[Cell],
    dates: &[bool],
    step: u64,
) -> Result<Vec<Vec<Cell>>, CellStop> {
    let mut grid = Grid(Vec::new());
    grid.sheet("s");
    let mut rows = SheetRows::new(strings, dates);
    stream(xml, step, |x, eof| rows.feed(x, eof, &mut grid))?;
    Ok(grid.0.pop().expect("one sheet").rows)
}

/// The rows of a sheet's XML, read in one step and in steps of a few bytes (which cut
/// the XML everywhere a row ends): both must read the same.
fn sheet_rows(xml: &[u8], strings: &[Cell], dates: &[bool]) -> Result<Vec<Vec<Cell>>, CellStop> {
    let whole = rows_in_steps(xml, strings, dates, 1 << 20);
    for step in [1, 7, 64] {
        let small = rows_in_steps(xml, strings, dates, step);
        match (&whole, &small) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "step {step}"),
            (Err(CellStop::Fallback), Err(CellStop::Fallback)) => {}
            (Err(CellStop::Bad(a)), Err(CellStop::Bad(b))) => assert_eq!(a, b, "step {step}"),
            _ => panic!("step {step} read differently"),
        }
    }
    whole
}

#[test]
fn date_formats() {
    for f in [
        "yyyy-mm-dd",
        "yyyy\"年\"m\"月\"",
        "DD/MM/YY",
        "H:MM:SS;@",
        "[h]:mm:ss",
        "[mm]",
        "m/d/yy h:mm AM/PM",
        "[$-404]e\"年\"m\"月\"d\"日\"",
    ] {
        assert!(is_date_format(f), "{f}");
    }
    for f in [
        "General",
        "0.00",
        "#,##0.00",
        "0.0%",
        "@",
        "\\Y000000",
        "#,##0.0####\" YMD\"",
        "[Red]0.00",
        "0_ ;[Red]\\-0\\ ",
        "\"$\"#,##0_);[Red](\"$\"#,##0)",
    ] {
        assert!(!is_date_format(f), "{f}");
    }
}

#[test]
fn references_entities_and_attributes() {
    assert_eq!(cell_ref(b"A1"), Some((0, 0)));
    assert_eq!(cell_ref(b"AB12"), Some((11, 27)));
    assert_eq!(cell_ref(b"12"), None);
    assert_eq!(cell_ref(b"A0"), None);
    assert_eq!(
        unescape(b"a&amp;b&lt;&#20013;&#x6587;").as_deref(),
        Some("a&b<中文")
    );
    assert_eq!(unescape(b"&nbsp;"), None);
    assert_eq!(attr_raw(b" r=\"B2\" t='s'", b"t", false), Some(&b"s"[..]));
    assert_eq!(
        attr_raw(b" r:id=\"rId3\" name=\"x\"", b"id", true),
        Some(&b"rId3"[..])
    );
    assert_eq!(attr_raw(b" sheetId=\"1\"", b"id", true), None);
}

#[test]
fn cells_of_every_kind() {
    let strings = vec![Cell::Text("共享".into()), Cell::Empty];
    let dates = vec![false, true];
    let xml = r#"<worksheet><sheetData>
            <row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" s="1"><v>46082</v></c><c r="C1"><v>1.5</v></c></row>
            <row r="3"><c r="B3" t="inlineStr"><is><r><t>富</t></r><r><t xml:space="preserve"> 文本 </t></r><rPh><t>ふ</t></rPh></is></c>
              <c r="C3" t="b"><v>1</v></c><c r="D3" t="str"><f>A1&amp;"x"</f><v>共享x</v></c><c r="E3" t="e"><v>#DIV/0!</v></c><c r="F3" s="1"/></row>
            <row><c><v>7</v></c><c t="s"><v>1</v></c><c><v>a&amp;b</v></c></row>
        </sheetData></worksheet>"#.as_bytes();
    let rows = match sheet_rows(xml, &strings, &dates) {
        Ok(r) => r,
        Err(_) => panic!("not read"),
    };
    assert_eq!(rows.len(), 4);
    assert_eq!(
        rows[0],
        vec![
            Cell::Text("共享".into()),
            Cell::Date(46082.0),
            Cell::Number(1.5)
        ]
    );
    assert!(rows[1].is_empty());
    assert_eq!(
        rows[2],
        vec![
            Cell::Empty,
            Cell::Text("富 文本".into()),
            Cell::Bool(true),
            Cell::Text("共享x".into())
        ]
    );
    assert_eq!(
        rows[3],
        vec![Cell::Number(7.0), Cell::Empty, Cell::Text("a&b".into())]
    );
}

#[test]
fn a_broken_cell_is_refused_with_its_reason() {
    let strings = vec![Cell::Text("唯一".into())];
    let reason = |xml: &str| match sheet_rows(xml.as_bytes(), &strings, &[]) {
        Err(CellStop::Bad(why)) => why,
        Err(CellStop::Fallback) => panic!("stepped aside: {xml}"),
        Ok(rows) => panic!("read {rows:?}: {xml}"),
    };
    let out_of_range =
        reason(r#"<sheetData><row r="1"><c r="A1" t="s"><v>5</v></c></row></sheetData>"#);
    assert!(
        out_of_range.contains("共享字符串索引 5") && out_of_range.contains("out of range"),
        "{out_of_range}"
    );
    let not_a_number =
        reason(r#"<sheetData><row r="1"><c r="B1" t="n"><v>12万</v></c></row></sheetData>"#);
    assert!(
        not_a_number.contains("“12万”不是数字") && not_a_number.contains("not a number"),
        "{not_a_number}"
    );
    // An unterminated sheet or an unknown cell type is left to calamine.
    for xml in [
        r#"<sheetData><row r="1"><c r="A1"><v>1</v></c>"#,
        r#"<sheetData><row r="1"><c r="A1" t="x"><v>1</v></c></row></sheetData>"#,
        r#"<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[a]]></t></is></c></row></sheetData>"#,
    ] {
        assert!(
            matches!(
                sheet_rows(xml.as_bytes(), &strings, &[]),
                Err(CellStop::Fallback)
            ),
            "{xml}"
        );
    }
    // Through the public reader, the error names the sheet.
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.add_worksheet()
        .set_name("台账")
        .unwrap()
        .write(0, 0, "x")
        .unwrap();
    let good = wb.save_to_buffer().unwrap();
    let broken = rewrite_part(&good, "xl/worksheets/sheet1.xml", |x| {
        x.replace("<v>0</v>", "<v>9</v>")
    });
    match read(&broken) {
        Outcome::Bad(sheet, why) => {
            assert!(sheet == "台账" && why.contains("9"), "{sheet} {why}")
        }
        _ => panic!("a bad index is an error"),
    }
}

/// `bytes` with the text of one part changed by `f`.
fn rewrite_part(bytes: &[u8], name: &str, f: impl Fn(String) -> String) -> Vec<u8> {
    use std::io::Write;
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut out);
    for i in 0..zin.len() {
        let mut file = zin.by_index(i).unwrap();
        let mut text = Vec::new();
        file.read_to_end(&mut text).unwrap();
        let path = file.name().to_string();
        if path == name {
            text = f(String::from_utf8(text).unwrap()).into_bytes();
        }
        z.start_file(path, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(&text).unwrap();
    }
    z.finish().unwrap();
    out.into_inner()
}

/// The fast reader and calamine agree, sheet for sheet and cell for cell.
fn same_as_calamine(name: &str, bytes: &[u8]) -> Vec<Sheet> {
    let fast = match read(bytes) {
        Outcome::Sheets(s) => s,
        Outcome::Bad(sheet, why) => panic!("{name}: {sheet}: {why}"),
        Outcome::Fallback => panic!("{name}: the fast reader stepped aside"),
    };
    let slow = super::super::sheets::read_xlsx_calamine(name, bytes).expect("calamine reads it");
    assert_eq!(fast.len(), slow.len(), "{name}: sheets");
    for (f, s) in fast.iter().zip(&slow) {
        assert_eq!(f.name, s.name, "{name}");
        // calamine leaves trailing empty rows of formatted cells; compare what holds data.
        let trim = |rows: &[Vec<Cell>]| -> Vec<Vec<Cell>> {
            let mut r: Vec<Vec<Cell>> = rows.to_vec();
            while r.last().is_some_and(Vec::is_empty) {
                r.pop();
            }
            r
        };
        assert_eq!(trim(&f.rows), trim(&s.rows), "{name}: sheet {}", f.name);
    }
    fast
}

#[test]
fn reads_the_fixture_ledgers_as_calamine_does() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).expect("fixtures") {
        let path = e.expect("entry").path();
        if path.extension().is_some_and(|x| x == "xlsx") {
            let bytes = std::fs::read(&path).expect("read");
            let sheets = same_as_calamine(&path.display().to_string(), &bytes);
            assert!(sheets.iter().any(|s| s.rows.len() > 3));
            n += 1;
        }
    }
    assert!(n >= 2, "fixtures found: {n}");
}

#[test]
fn reads_every_kind_of_written_cell_as_calamine_does() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("台账 & <一>").unwrap();
    let date = Format::new().set_num_format("yyyy\"年\"m\"月\"d\"日\"");
    let builtin = Format::new().set_num_format_index(14);
    let money = Format::new().set_num_format("#,##0.00");
    let bold = Format::new().set_bold();
    ws.merge_range(0, 0, 0, 4, "2026年重点项目台账", &bold)
        .unwrap();
    ws.write(1, 0, "单位：万元").unwrap();
    ws.write(2, 0, "  前后有空格  ").unwrap();
    ws.write(2, 1, "a<b & \"c\" 'd'").unwrap();
    ws.write(2, 2, 125000.5).unwrap();
    ws.write_with_format(2, 3, 1234567.891, &money).unwrap();
    ws.write_boolean(2, 4, true).unwrap();
    ws.write_boolean(2, 5, false).unwrap();
    let d = ExcelDateTime::from_ymd(2026, 3, 15).unwrap();
    ws.write_datetime_with_format(3, 0, &d, &date).unwrap();
    ws.write_datetime_with_format(3, 1, &d, &builtin).unwrap();
    ws.write_number_with_format(3, 2, 46082.0, &money).unwrap();
    ws.write_formula(3, 3, Formula::new("=C3*2").set_result("250001"))
        .unwrap();
    ws.write_formula(3, 4, Formula::new("=A3&\"x\"").set_result("前后有空格x"))
        .unwrap();
    ws.write_rich_string(4, 0, &[(&bold, "富"), (&Format::new(), "文本")])
        .unwrap();
    ws.write_blank(4, 1, &money).unwrap();
    ws.write(4, 2, "   ").unwrap();
    ws.write(4, 3, -0.25).unwrap();
    ws.write(4, 30, "AE 列").unwrap();
    ws.write(1000, 2, "远处").unwrap();
    let second = wb.add_worksheet();
    second.set_name("第二表").unwrap();
    second.write(0, 0, "项目名称").unwrap();
    second.write(1, 0, "换\n行").unwrap();
    wb.add_worksheet(); // an empty sheet
    let bytes = wb.save_to_buffer().unwrap();
    let sheets = same_as_calamine("written.xlsx", &bytes);
    assert_eq!(sheets.len(), 3);
    let first = &sheets[0].rows;
    assert_eq!(first[2][0], Cell::Text("前后有空格".into()));
    assert_eq!(first[2][1], Cell::Text("a<b & \"c\" 'd'".into()));
    assert_eq!(first[3][0], Cell::Date(46096.0));
    assert_eq!(first[3][1], Cell::Date(46096.0));
    assert_eq!(first[3][2], Cell::Number(46082.0));
    assert_eq!(first[4][0], Cell::Text("富文本".into()));
    assert_eq!(first[1000][2], Cell::Text("远处".into()));
    assert!(sheets[2].rows.is_empty());
}

#[test]
fn reads_inline_strings_prefixes_and_missing_references_as_calamine_does() {
    use std::io::Write;
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut buf);
    let o = zip::write::SimpleFileOptions::default();
    let put = |z: &mut zip::ZipWriter<&mut std::io::Cursor<Vec<u8>>>, name: &str, text: &str| {
        z.start_file(name, o).unwrap();
        z.write_all(text.as_bytes()).unwrap();
    };
    put(
        &mut z,
        "[Content_Types].xml",
        r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
    );
    put(
        &mut z,
        "_rels/.rels",
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
    );
    put(
        &mut z,
        "xl/workbook.xml",
        r#"<?xml version="1.0" encoding="UTF-8"?>
<x:workbook xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><x:sheets><x:sheet name="导出 &amp; 汇总" sheetId="1" r:id="rId1"/><x:sheet name="B" sheetId="2" r:id="rId2"/></x:sheets></x:workbook>"#,
    );
    put(
        &mut z,
        "xl/_rels/workbook.xml.rels",
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/></Relationships>"#,
    );
    put(
        &mut z,
        "xl/worksheets/sheet1.xml",
        r#"<?xml version="1.0" encoding="UTF-8"?>
<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>
<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>项目名称</x:t></x:is></x:c><x:c r="B1" t="inlineStr"><x:is><x:t>总投资</x:t></x:is></x:c></x:row>
<x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t xml:space="preserve">  A&amp;B 厂房 &#x4E00;期 </x:t></x:is></x:c><x:c r="B2"><x:v>1.25E3</x:v></x:c><x:c r="C2" t="str"><x:f>B2&gt;1</x:f><x:v>TRUE</x:v></x:c></x:row>
</x:sheetData></x:worksheet>"#,
    );
    put(
        &mut z,
        "xl/worksheets/sheet2.xml",
        r#"<?xml version="1.0" encoding="UTF-8"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row><c t="inlineStr"><is><t>无坐标</t></is></c><c><v>2</v></c><c/><c><v>文本值</v></c></row>
<row/>
<row><c t="b"><v>0</v></c><c t="e"><v>#N/A</v></c><c t="n"><v></v></c><c t="d"><v>2026-03-15T00:00:00</v></c></row>
</sheetData></worksheet>"#,
    );
    z.finish().unwrap();

    let bytes = buf.into_inner();
    let sheets = same_as_calamine("hand.xlsx", &bytes);
    assert_eq!(sheets[0].name, "导出 & 汇总");
    assert_eq!(sheets[0].rows[1][0], Cell::Text("A&B 厂房 一期".into()));
    assert_eq!(sheets[0].rows[1][1], Cell::Number(1250.0));
    assert_eq!(sheets[1].rows[0][3], Cell::Text("文本值".into()));
    assert_eq!(sheets[1].rows[2][0], Cell::Bool(false));
    assert_eq!(
        sheets[1].rows[2][3],
        Cell::Text("2026-03-15T00:00:00".into())
    );
}
