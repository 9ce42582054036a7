//! Word documents (.docx) laid out like official papers (GB/T 9704): A4, margins 37 mm
//! top, 35 mm bottom, 28 mm left, 26 mm right; title in 方正小标宋简体 2号 (22 pt);
//! body in 仿宋_GB2312 3号 (16 pt) with a two-character first-line indent and a fixed
//! 28.9 pt line pitch (22 lines a page); headings in 黑体 and 楷体_GB2312; page numbers
//! "— 1 —" in 4号 at the bottom. Only WordprocessingML that Word, WPS and LibreOffice
//! all read: no styles part, direct formatting on every run.

use std::io::Write;
use zip::write::SimpleFileOptions;

/// Half-points: 2号 22 pt, 3号 16 pt, 4号 14 pt.
const TITLE_SZ: u32 = 44;
const BODY_SZ: u32 = 32;
const SMALL_SZ: u32 = 28;
/// Line pitch for 22 lines on the type area (twips).
const LINE: u32 = 578;
/// Tables: 五号 (10.5 pt).
const TABLE_SZ: u32 = 21;
/// Width of the type area: 210 − 28 − 26 = 156 mm, in twips.
const TYPE_WIDTH: u32 = 8844;

/// A document being written.
#[derive(Debug, Clone, Default)]
pub struct Docx {
    body: String,
}

/// Escapes text for XML.
fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            // Control characters other than tab and newline are not allowed in XML.
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => {}
            c => o.push(c),
        }
    }
    o
}

fn run(text: &str, font: &str, sz: u32, bold: bool) -> String {
    let b = if bold { "<w:b/>" } else { "" };
    let mut out = String::new();
    // Line breaks inside a run become <w:br/>.
    for (i, part) in text.split('\n').enumerate() {
        if i > 0 {
            out.push_str("<w:r><w:br/></w:r>");
        }
        out.push_str(&format!(
            "<w:r><w:rPr><w:rFonts w:ascii=\"{font}\" w:eastAsia=\"{font}\" w:hAnsi=\"{font}\"/>{b}<w:sz w:val=\"{sz}\"/><w:szCs w:val=\"{sz}\"/></w:rPr><w:t xml:space=\"preserve\">{}</w:t></w:r>",
            esc(part)
        ));
    }
    out
}

fn para(runs: &str, jc: &str, indent: bool) -> String {
    let ind = if indent {
        "<w:ind w:firstLineChars=\"200\" w:firstLine=\"640\"/>"
    } else {
        ""
    };
    format!(
        "<w:p><w:pPr><w:spacing w:line=\"{LINE}\" w:lineRule=\"exact\"/>{ind}<w:jc w:val=\"{jc}\"/></w:pPr>{runs}</w:p>"
    )
}

impl Docx {
    /// An empty document.
    pub fn new() -> Docx {
        Docx::default()
    }

    /// The title: 方正小标宋简体 2号, centred, followed by an empty line.
    pub fn title(&mut self, text: &str) -> &mut Self {
        self.body.push_str(&format!(
            "<w:p><w:pPr><w:spacing w:line=\"{}\" w:lineRule=\"exact\"/><w:jc w:val=\"center\"/></w:pPr>{}</w:p>",
            LINE + 100,
            run(text, "方正小标宋简体", TITLE_SZ, false)
        ));
        self.body.push_str(&para("", "left", false));
        self
    }

    /// A centred line under the title (e.g. the date), 仿宋 3号.
    pub fn subtitle(&mut self, text: &str) -> &mut Self {
        self.body.push_str(&para(
            &run(text, "仿宋_GB2312", BODY_SZ, false),
            "center",
            false,
        ));
        self
    }

    /// A heading: level 1 in 黑体 (一、…), level 2 in 楷体_GB2312 (（一）…), 3号, indented.
    pub fn heading(&mut self, level: u8, text: &str) -> &mut Self {
        let font = if level <= 1 {
            "黑体"
        } else {
            "楷体_GB2312"
        };
        self.body
            .push_str(&para(&run(text, font, BODY_SZ, false), "both", true));
        self
    }

    /// A body paragraph: 仿宋_GB2312 3号, first line indented two characters.
    pub fn para(&mut self, text: &str) -> &mut Self {
        self.body.push_str(&para(
            &run(text, "仿宋_GB2312", BODY_SZ, false),
            "both",
            true,
        ));
        self
    }

    /// A body paragraph starting with a bold lead-in (e.g. `进展情况：`).
    pub fn lead(&mut self, lead: &str, text: &str) -> &mut Self {
        let runs = format!(
            "{}{}",
            run(lead, "仿宋_GB2312", BODY_SZ, true),
            run(text, "仿宋_GB2312", BODY_SZ, false)
        );
        self.body.push_str(&para(&runs, "both", true));
        self
    }

    /// A table's caption: 黑体 4号, centred.
    pub fn caption(&mut self, text: &str) -> &mut Self {
        self.body
            .push_str(&para(&run(text, "黑体", SMALL_SZ, false), "center", false));
        self
    }

    /// The issuing office and date at the end, right-aligned, 仿宋 3号 (an empty line
    /// before them).
    pub fn signature(&mut self, lines: &[String]) -> &mut Self {
        self.body.push_str(&para("", "left", false));
        for l in lines {
            self.body.push_str(&para(
                &run(l, "仿宋_GB2312", BODY_SZ, false),
                "right",
                false,
            ));
        }
        self
    }

    /// A table with a bold header row, 仿宋 五号, full width, single borders, equal
    /// columns.
    pub fn table(&mut self, header: &[&str], rows: &[Vec<String>]) -> &mut Self {
        let widths = vec![1; header.len()];
        self.table_sized(header, rows, &widths)
    }

    /// A table whose columns share the type area (156 mm) in the given proportions. Its
    /// cells do not snap to the 22-line grid of the body, so rows stay compact; the
    /// header row repeats on every page and rows do not break across pages.
    pub fn table_sized(
        &mut self,
        header: &[&str],
        rows: &[Vec<String>],
        widths: &[u16],
    ) -> &mut Self {
        let sum: u32 = widths
            .iter()
            .map(|w| u32::from(*w).max(1))
            .sum::<u32>()
            .max(1);
        let tw: Vec<u32> = (0..header.len())
            .map(|i| TYPE_WIDTH * u32::from(widths.get(i).copied().unwrap_or(1).max(1)) / sum)
            .collect();
        let cell = |t: &str, w: u32, bold: bool| {
            format!(
                "<w:tc><w:tcPr><w:tcW w:w=\"{w}\" w:type=\"dxa\"/><w:vAlign w:val=\"center\"/></w:tcPr><w:p><w:pPr><w:snapToGrid w:val=\"0\"/><w:spacing w:before=\"0\" w:after=\"0\" w:line=\"260\" w:lineRule=\"auto\"/><w:jc w:val=\"center\"/></w:pPr>{}</w:p></w:tc>",
                run(t, "仿宋_GB2312", TABLE_SZ, bold)
            )
        };
        let border = |side: &str| {
            format!("<w:{side} w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"000000\"/>")
        };
        let borders: String = ["top", "left", "bottom", "right", "insideH", "insideV"]
            .iter()
            .map(|s| border(s))
            .collect();
        let grid: String = tw
            .iter()
            .map(|w| format!("<w:gridCol w:w=\"{w}\"/>"))
            .collect();
        self.body.push_str(&format!(
            "<w:tbl><w:tblPr><w:tblW w:w=\"{}\" w:type=\"dxa\"/><w:jc w:val=\"center\"/><w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type=\"fixed\"/><w:tblCellMar><w:left w:w=\"57\" w:type=\"dxa\"/><w:right w:w=\"57\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr><w:tblGrid>{grid}</w:tblGrid>",
            tw.iter().sum::<u32>()
        ));
        self.body
            .push_str("<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>");
        for (h, w) in header.iter().zip(&tw) {
            self.body.push_str(&cell(h, *w, true));
        }
        self.body.push_str("</w:tr>");
        for r in rows {
            self.body.push_str("<w:tr><w:trPr><w:cantSplit/></w:trPr>");
            for (i, w) in tw.iter().enumerate() {
                self.body
                    .push_str(&cell(r.get(i).map_or("", String::as_str), *w, false));
            }
            self.body.push_str("</w:tr>");
        }
        self.body.push_str("</w:tbl>");
        self.body.push_str(&para("", "left", false));
        self
    }

    /// The finished file.
    pub fn to_bytes(&self) -> Vec<u8> {
        let document = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">\
<w:body>{}<w:sectPr><w:footerReference w:type=\"default\" r:id=\"rIdFooter\"/>\
<w:pgSz w:w=\"11906\" w:h=\"16838\"/>\
<w:pgMar w:top=\"2098\" w:right=\"1474\" w:bottom=\"1984\" w:left=\"1587\" w:header=\"851\" w:footer=\"992\" w:gutter=\"0\"/>\
<w:docGrid w:type=\"lines\" w:linePitch=\"{LINE}\"/></w:sectPr></w:body></w:document>",
            self.body
        );
        let field = |instr: &str| {
            format!(
                "<w:r><w:rPr><w:rFonts w:ascii=\"宋体\" w:eastAsia=\"宋体\" w:hAnsi=\"宋体\"/><w:sz w:val=\"{SMALL_SZ}\"/></w:rPr><w:fldChar w:fldCharType=\"begin\"/></w:r>\
<w:r><w:rPr><w:sz w:val=\"{SMALL_SZ}\"/></w:rPr><w:instrText xml:space=\"preserve\"> {instr} </w:instrText></w:r>\
<w:r><w:rPr><w:sz w:val=\"{SMALL_SZ}\"/></w:rPr><w:fldChar w:fldCharType=\"separate\"/></w:r>\
<w:r><w:rPr><w:sz w:val=\"{SMALL_SZ}\"/></w:rPr><w:t>1</w:t></w:r>\
<w:r><w:rPr><w:sz w:val=\"{SMALL_SZ}\"/></w:rPr><w:fldChar w:fldCharType=\"end\"/></w:r>"
            )
        };
        let footer = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<w:ftr xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:p><w:pPr><w:jc w:val=\"center\"/></w:pPr>{}{}{}</w:p></w:ftr>",
            run("— ", "宋体", SMALL_SZ, false),
            field("PAGE"),
            run(" —", "宋体", SMALL_SZ, false)
        );
        let parts: [(&str, String); 5] = [
            (
                "[Content_Types].xml",
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
<Default Extension=\"xml\" ContentType=\"application/xml\"/>\
<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
<Override PartName=\"/word/footer1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml\"/>\
</Types>"
                    .into(),
            ),
            (
                "_rels/.rels",
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>\
</Relationships>"
                    .into(),
            ),
            (
                "word/_rels/document.xml.rels",
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rIdFooter\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer\" Target=\"footer1.xml\"/>\
</Relationships>"
                    .into(),
            ),
            ("word/document.xml", document),
            ("word/footer1.xml", footer),
        ];
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, content) in parts {
            z.start_file(name, opts).expect("in memory");
            z.write_all(content.as_bytes()).expect("in memory");
        }
        z.finish().expect("in memory").into_inner()
    }
}

/// The main part (`word/document.xml`) of a .docx, for checks and tests.
pub fn document_xml(docx: &[u8]) -> Result<String, String> {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(docx)).map_err(|e| e.to_string())?;
    let mut s = String::new();
    z.by_name("word/document.xml")
        .map_err(|e| e.to_string())?
        .read_to_string(&mut s)
        .map_err(|e| e.to_string())?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn part(bytes: &[u8], name: &str) -> String {
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut s = String::new();
        z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    }

    #[test]
    fn official_layout_fonts_and_escaping() {
        let mut d = Docx::new();
        d.title("关于 A&B <调度> 的报告")
            .heading(1, "一、总体情况")
            .heading(2, "（一）电池基地")
            .lead("进展情况：", "主体施工\n下月封顶")
            .table(&["序号", "事项"], &[vec!["1".into(), "协调用地".into()]]);
        let x = d.to_bytes();
        let doc = part(&x, "word/document.xml");
        assert!(doc.contains("A&amp;B &lt;调度&gt;"), "escaped");
        assert!(
            doc.contains("w:eastAsia=\"方正小标宋简体\"") && doc.contains("<w:sz w:val=\"44\"/>")
        );
        assert!(doc.contains("w:eastAsia=\"黑体\"") && doc.contains("w:eastAsia=\"楷体_GB2312\""));
        assert!(doc.contains("w:eastAsia=\"仿宋_GB2312\"") && doc.contains("<w:sz w:val=\"32\"/>"));
        assert!(doc.contains("<w:pgSz w:w=\"11906\" w:h=\"16838\"/>"), "A4");
        assert!(doc.contains("w:top=\"2098\" w:right=\"1474\" w:bottom=\"1984\" w:left=\"1587\""));
        assert!(doc.contains("<w:br/>"), "line break kept");
        assert!(doc.contains("<w:tblHeader/>") && doc.contains("协调用地"));
        let footer = part(&x, "word/footer1.xml");
        assert!(footer.contains("— ") && footer.contains(" PAGE ") && footer.contains(" —"));
        assert!(part(&x, "[Content_Types].xml").contains("footer+xml"));
    }
}
