//! The ledger import against workbooks laid out the way offices send them: hand-made
//! fixtures (tests/fixtures, written by openpyxl and by hand) and workbooks these tests
//! write themselves. Every value, every skipped row and every error is checked.

use gongjian_domain::project::ProjectInput;
use gongjian_office::ledger::{Ledger, Synonyms, read_ledger, read_sheets};
use gongjian_office::ledger_export::{ExportRow, to_csv, to_xlsx};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

fn fixture(name: &str) -> Ledger {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap();
    let sheets = read_sheets(name, &bytes).unwrap();
    read_ledger(&sheets, &Synonyms::new(&[]), None)
}

fn skipped(l: &Ledger) -> Vec<(String, usize)> {
    l.skipped.iter().map(|s| (s.sheet.clone(), s.row)).collect()
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

#[test]
fn county_ledger_with_title_unit_row_two_row_header_sections_and_totals() {
    let l = fixture("county_two_row_header.xlsx");
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    let sheet = "2026年县区重点项目";
    assert_eq!(
        skipped(&l),
        vec![
            (sheet.into(), 5),
            (sheet.into(), 8),
            (sheet.into(), 9),
            (sheet.into(), 11)
        ]
    );
    assert!(l.skipped[0].reason.contains("分类标题"));
    assert!(l.skipped[1].reason.contains("小计"));
    assert_eq!(l.unmatched().count(), 0, "{:?}", l.columns);
    let ignored: Vec<&str> = l.ignored().map(|c| c.header.as_str()).collect();
    assert_eq!(
        ignored,
        vec!["序号", "投资情况/1-10月完成", "投资情况/完成率"]
    );
    assert_eq!(l.rows.len(), 3);
    assert_eq!(
        l.rows.iter().map(|r| r.row).collect::<Vec<_>>(),
        vec![6, 7, 10]
    );
    assert_eq!(
        l.rows[0].input,
        ProjectInput {
            name: "年产５万吨新材料项目".into(),
            owner_name: s("示例新材料有限公司"),
            division: "东城区".into(),
            level: "市重点".into(),
            nature: "新建".into(),
            category: "industrial".into(),
            total_investment_wan: s("12500.00"),
            annual_plan_wan: s("3000.50"),
            plan_year: Some(2026),
            started: Some(true),
            start_date: s("2026-03-15"),
            ..Default::default()
        }
    );
    let r = &l.rows[1].input;
    assert_eq!(r.division, "990102");
    assert_eq!(r.total_investment_wan.as_deref(), Some("80000.00"));
    assert_eq!(r.annual_plan_wan.as_deref(), Some("20000.00"));
    assert_eq!(r.started, Some(true));
    assert_eq!(r.start_date.as_deref(), Some("2026-04-01"));
    let r = &l.rows[2].input;
    assert_eq!(r.category, "social", "the section above sets the category");
    assert_eq!(
        (
            r.total_investment_wan.as_deref(),
            r.annual_plan_wan.as_deref()
        ),
        (None, None),
        "— and / are empty"
    );
    assert_eq!((r.started, r.start_date.as_deref()), (Some(false), None));
}

#[test]
fn city_ledger_in_yi_yuan_over_two_sheets_with_errors_and_an_unknown_column() {
    let l = fixture("city_two_sheets_yi.xlsx");
    let unmatched: Vec<(&str, &str, &str)> = l
        .unmatched()
        .map(|c| (c.sheet.as_str(), c.column.as_str(), c.header.as_str()))
        .collect();
    assert_eq!(unmatched, vec![("产业项目", "I", "风险等级")]);
    let total_col = l
        .columns
        .iter()
        .find(|c| c.header == "总投资（亿元）" && c.sheet == "产业项目")
        .unwrap();
    assert_eq!(total_col.unit.as_deref(), Some("亿元"));
    let errs: Vec<(usize, &str)> = l
        .errors
        .iter()
        .map(|e| (e.row, e.column.as_str()))
        .collect();
    assert_eq!(
        errs,
        vec![
            (4, "总投资（亿元）（E）"),
            (4, "建设年限（G）"),
            (4, "专项债项目（K）")
        ]
    );
    assert!(l.errors[0].message.contains("十亿"));
    assert!(l.errors[0].message_en.contains("number"));
    assert_eq!(
        l.rows.len(),
        4,
        "row 4 has errors and is not offered for import"
    );
    let a = &l.rows[0].input;
    assert_eq!(
        *a,
        ProjectInput {
            code: s("2026-990102-26-01-000001"),
            name: "新能源电池基地".into(),
            division: "东城区".into(),
            category: "产业".into(),
            total_investment_wan: s("125000.00"),
            annual_plan_wan: s("30000.00"),
            start_year: Some(2025),
            end_year: Some(2027),
            contact_leader: s("王示范"),
            land_mu: s("350.5"),
            tags: vec!["special_bond".into()],
            ..Default::default()
        }
    );
    let b = &l.rows[1].input;
    assert_eq!(
        b.total_investment_wan.as_deref(),
        Some("80000.00"),
        "full-width 8 亿元"
    );
    assert_eq!(b.annual_plan_wan, None);
    assert_eq!((b.start_year, b.end_year), (Some(2026), Some(2026)));
    assert!(b.tags.is_empty());
    let c = &l.rows[2];
    assert_eq!((c.sheet.as_str(), c.row), ("基础设施", 2));
    assert_eq!(c.input.total_investment_wan.as_deref(), Some("450000.00"));
    assert_eq!(
        c.input.start_date.as_deref(),
        Some("2026-03-15"),
        "an Excel serial"
    );
    let d = &l.rows[3].input;
    assert_eq!(
        d.total_investment_wan.as_deref(),
        Some("1.00"),
        "0.0001 亿元 is exactly 1 万元"
    );
    assert_eq!(d.start_date.as_deref(), Some("2026-05-01"));
    // One sheet only.
    let bytes = std::fs::read(format!(
        "{}/tests/fixtures/city_two_sheets_yi.xlsx",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let sheets = read_sheets("x.xlsx", &bytes).unwrap();
    let only = read_ledger(&sheets, &Synonyms::new(&[]), Some("基础设施"));
    assert_eq!(only.rows.len(), 2);
    assert!(only.errors.is_empty());
    let none = read_ledger(&sheets, &Synonyms::new(&[]), Some("不存在"));
    assert!(none.errors[0].message.contains("不存在"));
}

#[test]
fn csv_ledger_with_monthly_plan_and_lists() {
    let l = fixture("plain_with_months.csv");
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    assert_eq!(skipped(&l), vec![("csv".into(), 4), ("csv".into(), 8)]);
    assert_eq!(l.rows.len(), 2);
    let a = &l.rows[0].input;
    assert_eq!(
        a.category, "industrial",
        "（一）先进制造业 is the industrial category"
    );
    assert_eq!(
        a.cooperating_units,
        vec!["zrzyj".to_string(), "sthjj".to_string()]
    );
    assert_eq!(a.total_investment_wan.as_deref(), Some("1200.00"));
    assert_eq!(a.months_wan.len(), 12);
    assert!(a.months_wan.iter().all(|m| m.as_deref() == Some("100.00")));
    assert!(
        a.allow_plan_mismatch,
        "ledger months are kept and flagged, not refused"
    );
    let b = &l.rows[1].input;
    assert_eq!(b.months_wan[11].as_deref(), Some("40.00"));
    assert_eq!((b.level.as_str(), b.stage.as_str()), ("省优选", "前期"));
}

/// A workbook written here: a 亿元 unit row with one header in 万元, a sheet without a
/// ledger, dates as Excel date cells, booleans, shares as 0.853 and 85.3%.
#[test]
fn test_written_workbook_with_unit_row_overrides_dates_and_sheets() {
    let mut wb = Workbook::new();
    let notes = wb.add_worksheet();
    notes.set_name("填表说明").unwrap();
    notes
        .write_string(0, 0, "请按要求填写，金额单位见各表。")
        .unwrap();
    let ws = wb.add_worksheet();
    ws.set_name("项目").unwrap();
    ws.write_string(0, 0, "单位：亿元").unwrap();
    let head = [
        "项目名称",
        "所在地",
        "总投资",
        "年度计划（万元）",
        "开工时间",
        "是否开工",
        "完成率",
        "中央预算内",
    ];
    for (i, h) in head.iter().enumerate() {
        ws.write_string(1, i as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("yyyy-mm-dd");
    ws.write_string(2, 0, "物流枢纽").unwrap();
    ws.write_string(2, 1, "西城区").unwrap();
    ws.write_number(2, 2, 2.5).unwrap();
    ws.write_number(2, 3, 5000.0).unwrap();
    ws.write_datetime_with_format(2, 4, ExcelDateTime::from_ymd(2026, 6, 30).unwrap(), &date)
        .unwrap();
    ws.write_boolean(2, 5, true).unwrap();
    ws.write_number(2, 6, 0.853).unwrap();
    ws.write_string(2, 7, "是").unwrap();
    ws.write_string(3, 0, "冷链仓储").unwrap();
    ws.write_string(3, 1, "西城区").unwrap();
    ws.write_string(3, 2, "0.35").unwrap();
    ws.write_string(3, 6, "85.3%").unwrap();
    ws.write_string(3, 4, "2026年7月").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let l = read_ledger(
        &read_sheets("t.xlsx", &bytes).unwrap(),
        &Synonyms::new(&[]),
        None,
    );
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    assert_eq!(l.skipped.len(), 1);
    assert_eq!(l.skipped[0].sheet, "填表说明");
    assert!(l.skipped[0].reason.contains("没有找到项目表头"));
    let a = &l.rows[0].input;
    assert_eq!(
        a.total_investment_wan.as_deref(),
        Some("25000.00"),
        "the unit row says 亿元"
    );
    assert_eq!(
        a.annual_plan_wan.as_deref(),
        Some("5000.00"),
        "the header says 万元"
    );
    assert_eq!(a.start_date.as_deref(), Some("2026-06-30"));
    assert_eq!(a.started, Some(true));
    assert_eq!(a.tags, vec!["central_budget".to_string()]);
    let b = &l.rows[1].input;
    assert_eq!(b.total_investment_wan.as_deref(), Some("3500.00"));
    assert_eq!(b.start_date.as_deref(), Some("2026-07-01"));
    assert_eq!(
        l.ignored().map(|c| c.header.as_str()).collect::<Vec<_>>(),
        vec!["完成率"]
    );
}

#[test]
fn administrators_synonyms_match_unknown_headers() {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (i, h) in ["项目名称", "实施主体", "所在地"].iter().enumerate() {
        ws.write_string(0, i as u16, *h).unwrap();
    }
    ws.write_string(1, 0, "甲").unwrap();
    ws.write_string(1, 1, "甲公司").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let sheets = read_sheets("t.xlsx", &bytes).unwrap();
    let before = read_ledger(&sheets, &Synonyms::new(&[]), None);
    assert_eq!(
        before
            .unmatched()
            .map(|c| c.header.as_str())
            .collect::<Vec<_>>(),
        vec!["实施主体"]
    );
    let after = read_ledger(
        &sheets,
        &Synonyms::new(&[("owner_name".into(), "实施主体".into())]),
        None,
    );
    assert_eq!(after.unmatched().count(), 0);
    assert_eq!(after.rows[0].input.owner_name.as_deref(), Some("甲公司"));
}

#[test]
fn bad_files_are_refused_with_a_reason() {
    let e = read_sheets("x.xlsx", b"not a zip").unwrap_err();
    assert!(e.message.contains("无法打开工作簿"));
    let big = vec![b'a'; gongjian_office::table::MAX_FILE_BYTES as usize + 1];
    assert!(
        read_sheets("big.csv", &big)
            .unwrap_err()
            .message
            .contains("文件过大")
    );
    let e = read_sheets("x.docx", b"x").unwrap_err();
    assert!(e.message.contains("不支持"));
    let l = read_ledger(
        &read_sheets("x.csv", "a,b\n1,2\n".as_bytes()).unwrap(),
        &Synonyms::new(&[]),
        None,
    );
    assert!(l.errors[0].message.contains("没有找到项目台账"));
}

fn sample_rows() -> Vec<ExportRow> {
    let mut a = ExportRow {
        code: "2026-990102-26-01-000001".into(),
        name: "新能源电池基地".into(),
        level: "市重点".into(),
        category: "industrial".into(),
        nature: "新建".into(),
        stage: "在建".into(),
        division_name: "东城区".into(),
        division_code: "990102".into(),
        owner_name: "示例新能源有限公司".into(),
        responsible_unit: "示例市发展和改革委员会".into(),
        cooperators: vec!["甲局".into(), "乙局".into()],
        contact_leader: "王示范".into(),
        members: vec!["张三（组长）".into(), "李四".into()],
        plan_doc: "推进方案2026".into(),
        total_investment: 1_250_000_000,
        annual_plan: Some(300_000_000),
        start_year: Some(2025),
        end_year: Some(2027),
        land_mu: Some(35_050),
        started: true,
        start_date: "2026-03-15".into(),
        tags: vec!["special_bond".into(), "campaign:招商引资".into()],
        description: "建设电池生产线".into(),
        ..Default::default()
    };
    for (i, m) in a.months.iter_mut().enumerate() {
        *m = Some(if i == 11 { 30_012_345 } else { 24_998_877 });
    }
    let b = ExportRow {
        name: "滨河公园".into(),
        category: "ecology".into(),
        level: "县区重点".into(),
        nature: "新建".into(),
        stage: "前期".into(),
        division_name: "西城区".into(),
        division_code: "990103".into(),
        total_investment: 12_345,
        ..Default::default()
    };
    vec![a, b]
}

#[test]
fn exports_read_back_to_the_same_values() {
    let rows = sample_rows();
    for (name, bytes) in [
        (
            "t.xlsx",
            to_xlsx(&rows, 2026, "示例市2026年重点项目表").unwrap(),
        ),
        ("t.csv", to_csv(&rows, 2026)),
    ] {
        let l = read_ledger(
            &read_sheets(name, &bytes).unwrap(),
            &Synonyms::new(&[]),
            None,
        );
        assert!(l.errors.is_empty(), "{name}: {:?}", l.errors);
        assert_eq!(l.unmatched().count(), 0, "{name}: {:?}", l.columns);
        assert_eq!(l.rows.len(), 2, "{name}");
        let a = &l.rows[0].input;
        assert_eq!(a.code.as_deref(), Some("2026-990102-26-01-000001"));
        assert_eq!(a.division, "990102", "the code wins over the name");
        assert_eq!(
            a.total_investment_wan.as_deref(),
            Some("125000.00"),
            "{name}"
        );
        assert_eq!(a.annual_plan_wan.as_deref(), Some("30000.00"));
        assert_eq!(a.plan_year, Some(2026));
        assert_eq!(
            a.months_wan[0].as_deref(),
            Some("2499.8877"),
            "{name}: 1 yuan precision survives"
        );
        assert_eq!(a.months_wan[11].as_deref(), Some("3001.2345"));
        assert_eq!(a.cooperating_units, vec!["甲局", "乙局"]);
        assert_eq!(a.members, vec!["张三（组长）", "李四"]);
        assert_eq!(a.tags, vec!["专项债", "攻坚:招商引资"]);
        assert_eq!(a.land_mu.as_deref(), Some("350.50"));
        assert_eq!(
            (a.start_year, a.end_year, a.started),
            (Some(2025), Some(2027), Some(true))
        );
        assert_eq!(a.category, "产业项目");
        let b = &l.rows[1].input;
        assert_eq!(b.total_investment_wan.as_deref(), Some("1.2345"));
        assert_eq!(b.started, Some(false));
        if name.ends_with("xlsx") {
            let skipped: Vec<&str> = l.skipped.iter().map(|s| s.text.as_str()).collect();
            assert_eq!(
                skipped,
                vec![
                    "一、产业项目（1个）",
                    "小计",
                    "二、生态环保（1个）",
                    "小计",
                    "合计（2个项目）"
                ]
            );
        }
    }
}
