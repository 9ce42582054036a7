//! The monthly bulletin of the demo city from the command line, in all three formats:
//! the .docx is parsed back (page setup, fonts, page numbers, and every figure of the
//! overview equal to the domain's figures for the period), the .xlsx is read back with
//! its tables matching the document's, the PDF carries Chinese text (pdftotext), and the
//! .docx converts in LibreOffice. Without LibreOffice or poppler those last checks are
//! skipped locally but fail under CI.

use gongjian_domain::money::wan_grouped;
use gongjian_domain::progress::pct;
use std::io::Read;
use std::process::{Command, Output};

fn gongjian(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gongjian"))
        .args(["--db", db])
        .args(args)
        .env_remove("GONGJIAN_DB")
        .output()
        .expect("binary runs")
}

fn part(bytes: &[u8], name: &str) -> String {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut s = String::new();
    z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

/// The visible text of WordprocessingML: runs joined, paragraphs on lines.
fn text_of(xml: &str) -> String {
    let mut out = String::new();
    for p in xml.split("</w:p>") {
        for piece in p.split("<w:t xml:space=\"preserve\">").skip(1) {
            let t = piece.split("</w:t>").next().unwrap_or("");
            out.push_str(
                &t.replace("&amp;", "&")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&quot;", "\""),
            );
        }
        out.push('\n');
    }
    out
}

fn tool(name: &str) -> bool {
    let flag = if name == "pdftotext" {
        "-v"
    } else {
        "--version"
    };
    let ok = Command::new(name)
        .arg(flag)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok && std::env::var_os("CI").is_some() {
        panic!("{name} is required under CI (scripts/run-tests installs it)");
    }
    ok
}

/// A PDF's text as pdftotext reads it, without line breaks and spaces.
fn pdf_text(path: &std::path::Path) -> String {
    let o = Command::new("pdftotext")
        .arg(path)
        .arg("-")
        .output()
        .unwrap();
    assert!(o.status.success(), "pdftotext {}", path.display());
    String::from_utf8_lossy(&o.stdout).replace(['\n', ' '], "")
}

#[test]
fn the_demo_bulletin_in_word_excel_and_pdf() {
    let dir = std::env::temp_dir().join(format!("gongjian-bulletin-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/demo.db", dir.display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (y, m) = gongjian::report::last_month();
    // The demo's last closed month: its arenas are published.
    let (y, m) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
    let period = format!("{y}-{m:02}");
    let expected = rt.block_on(async {
        let db = gongjian_store::Db::connect(&url).await.unwrap();
        gongjian_store::migrate::run(&db).await.unwrap();
        gongjian::demo::load_if_empty(&db).await.unwrap();
        let r = gongjian_store::report::rollup(&db, &gongjian_store::Actor::cli(), y, m)
            .await
            .unwrap();
        // The root division's subtree: the whole city.
        let root = r
            .divisions
            .iter()
            .find(|g| g.key == "990100")
            .unwrap()
            .totals;
        let red = r.projects.iter().filter(|p| p.light == "red").count();
        // Each division directly below the city, from the roll-up's subtree sums.
        let nodes: Vec<(String, String)> = gongjian_store::on_db!(&db, c => sqlx::query_as(
            "SELECT d.code, d.name FROM division d JOIN division p ON p.id = d.parent_id WHERE p.code = '990100'")
            .fetch_all(c).await)
        .unwrap();
        let children: Vec<(String, gongjian_domain::progress::Totals)> = nodes
            .into_iter()
            .filter_map(|(code, name)| {
                r.divisions.iter().find(|g| g.key == code).map(|g| (name, g.totals))
            })
            .collect();
        (root, red, r.rule_name, children)
    });
    let (root, red, rule, children) = expected;
    let bulletin = |format: &str, out: &str, extra: &[&str]| {
        let mut args = vec![
            "bulletin", "--period", &period, "--format", format, "--out", out,
        ];
        args.extend_from_slice(extra);
        gongjian(&url, &args)
    };
    assert!(children.len() >= 10, "{}", children.len());

    // Word.
    let out = dir.join("b.docx");
    let o = bulletin("docx", out.to_str().unwrap(), &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let docx = std::fs::read(&out).unwrap();
    let doc = part(&docx, "word/document.xml");
    // GB/T 9704 page setup: A4, margins 37/35/28/26 mm, 22 lines a page.
    assert!(doc.contains("<w:pgSz w:w=\"11906\" w:h=\"16838\"/>"), "A4");
    assert!(doc.contains("w:top=\"2098\" w:right=\"1474\" w:bottom=\"1984\" w:left=\"1587\""));
    assert!(doc.contains("w:linePitch=\"578\""));
    // Fonts: title 方正小标宋简体 2号, body 仿宋_GB2312 3号, headings 黑体 and 楷体_GB2312.
    assert!(doc.contains("w:hAnsi=\"方正小标宋简体\"/><w:sz w:val=\"44\"/>"));
    assert!(doc.contains("w:hAnsi=\"仿宋_GB2312\"/><w:sz w:val=\"32\"/>"));
    assert!(doc.contains("w:hAnsi=\"黑体\"/><w:sz w:val=\"32\"/>"));
    assert!(doc.contains("w:hAnsi=\"楷体_GB2312\"/><w:sz w:val=\"32\"/>"));
    let footer = part(&docx, "word/footer1.xml");
    assert!(footer.contains("— ") && footer.contains(" PAGE ") && footer.contains(" —"));
    assert!(
        footer.contains("<w:sz w:val=\"28\"/>"),
        "page numbers in 4号"
    );
    let text = text_of(&doc);
    assert!(
        text.starts_with("示例市重点项目建设情况通报\n"),
        "{}",
        &text[..200]
    );
    // Every figure of the overview equals the domain's figures for the period.
    let overview = format!(
        "{y}年1—{m}月，示例市{}个重点项目年度计划投资{}万元，累计完成投资{}万元，按序时进度应完成{}万元，完成序时进度的{}",
        root.projects,
        wan_grouped(root.annual),
        wan_grouped(root.cumulative),
        wan_grouped(root.target),
        pct(root.ratio_bp().unwrap())
    );
    assert!(text.contains(&overview), "expected «{overview}» in\n{text}");
    let lights = format!(
        "按照{rule}，绿灯项目{}个、黄灯项目{}个、红灯项目{}个",
        root.lights[0], root.lights[1], root.lights[2]
    );
    assert!(text.contains(&lights), "{lights}");
    assert_eq!(root.lights[2] as usize, red);
    for h in [
        "一、总体情况",
        "二、擂台赛成绩",
        "三、进度滞后项目",
        "四、问题清单和督办事项",
        "五、通报表扬和批评",
    ] {
        assert!(text.contains(h), "{h}");
    }
    assert!(
        text.contains("项目建设擂台赛"),
        "published arena results are in"
    );
    assert!(text.contains("示例市重点项目调度办公室"), "signature");

    // Excel: the same tables, the city's total row equal to the document's.
    let out = dir.join("b.xlsx");
    let o = bulletin("xlsx", out.to_str().unwrap(), &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&out).unwrap();
    let sheets = wb.sheet_names();
    assert!(sheets.len() >= 3, "{sheets:?}");
    assert_eq!(sheets[0], "表1 各县区重点项目完成情况");
    let r = wb.worksheet_range(&sheets[0]).unwrap();
    let total = r.rows().find(|row| row[0] == "合计").expect("total row");
    assert_eq!(total[1].to_string(), root.projects.to_string());
    assert_eq!(total[2].to_string(), wan_grouped(root.annual));
    assert_eq!(total[3].to_string(), wan_grouped(root.cumulative));
    assert_eq!(total[5].to_string(), pct(root.ratio_bp().unwrap()));
    // Every division's line equals the domain's subtree sums for it.
    for (name, t) in &children {
        let row = r
            .rows()
            .find(|row| row[0].to_string() == *name)
            .unwrap_or_else(|| panic!("{name} has a row"));
        assert_eq!(row[1].to_string(), t.projects.to_string(), "{name}");
        assert_eq!(row[2].to_string(), wan_grouped(t.annual), "{name}");
        assert_eq!(row[3].to_string(), wan_grouped(t.cumulative), "{name}");
        assert_eq!(row[4].to_string(), wan_grouped(t.target), "{name}");
        assert_eq!(
            row[5].to_string(),
            t.ratio_bp().map_or("—".into(), pct),
            "{name}"
        );
    }
    for row in r.rows().skip(2) {
        let line = row
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join("");
        assert!(
            text.replace('\n', "").contains(&line),
            "xlsx row «{line}» is in the document"
        );
    }
    let styles = part(&std::fs::read(&out).unwrap(), "xl/worksheets/sheet1.xml");
    assert!(styles.contains("orientation=\"landscape\"") && styles.contains("paperSize=\"9\""));

    // PDF through Typst with a system Chinese font.
    let out = dir.join("b.pdf");
    let o = bulletin("pdf", out.to_str().unwrap(), &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let pdf = std::fs::read(&out).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    if tool("pdftotext") {
        let t = pdf_text(&out);
        assert!(
            t.contains("示例市重点项目建设情况通报"),
            "Chinese text renders: {}",
            &t[..t.len().min(300)]
        );
        assert!(t.contains(&format!("完成序时进度的{}", pct(root.ratio_bp().unwrap()))));
    }
    // A font file without Chinese glyphs is refused by name.
    let bad = dir.join("bad.ttf");
    std::fs::write(&bad, b"no font").unwrap();
    let o = bulletin(
        "pdf",
        dir.join("x.pdf").to_str().unwrap(),
        &["--font", bad.to_str().unwrap()],
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("bad.ttf"));
    // An unknown format is refused naming the choices.
    let o = bulletin("odt", dir.join("x.odt").to_str().unwrap(), &[]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("docx、xlsx、pdf"));

    // LibreOffice opens the .docx and renders its Chinese text.
    if tool("soffice") {
        let o = Command::new("soffice")
            .args(["--headless", "--convert-to", "pdf", "--outdir"])
            .arg(dir.join("lo"))
            .arg(dir.join("b.docx"))
            .env("HOME", &dir)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let lo = dir.join("lo/b.pdf");
        assert!(std::fs::metadata(&lo).unwrap().len() > 1000);
        if tool("pdftotext") {
            let t = pdf_text(&lo);
            assert!(
                t.contains("示例市重点项目建设情况通报"),
                "{}",
                &t[..t.len().min(300)]
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
