//! The division table of `gongjian import divisions`: columns code, name, parent_code,
//! kind (English or Chinese headers), header row found among the first rows.

use crate::table::{CellError, Table};

/// One row of a division table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DivisionRow {
    /// Excel row number.
    pub row: usize,
    /// Division code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Parent code, empty at the top.
    pub parent_code: String,
    /// Kind as written.
    pub kind: String,
}

const COLUMNS: [(&str, &[&str]); 4] = [
    ("code", &["code", "代码", "区划代码", "行政区划代码"]),
    ("name", &["name", "名称", "区划名称", "行政区划名称"]),
    (
        "parent_code",
        &["parent_code", "上级代码", "上级区划代码", "父级代码"],
    ),
    ("kind", &["kind", "类型", "区划类型", "级别"]),
];

/// Finds the header and returns the data rows. Rows that are entirely blank are skipped.
pub fn rows(t: &Table) -> Result<Vec<DivisionRow>, CellError> {
    let norm = |s: &str| s.trim().trim_start_matches('\u{feff}').to_lowercase();
    let found = t.rows.iter().take(10).enumerate().find_map(|(i, r)| {
        let idx: Option<Vec<usize>> = COLUMNS
            .iter()
            .map(|(_, names)| r.iter().position(|c| names.contains(&norm(c).as_str())))
            .collect();
        idx.map(|idx| (i, idx))
    });
    let (header_at, idx) = found.ok_or_else(|| {
        let first = t.rows.first().map(|r| r.join(", ")).unwrap_or_default();
        CellError {
            sheet: t.sheet.clone(),
            row: t.first_row,
            column: String::new(),
            message: format!("找不到表头：需要 code、name、parent_code、kind 四列（或 代码、名称、上级代码、类型）。第一行是：{first}"),
            message_en: format!("no header found: need columns code, name, parent_code, kind; first row is: {first}"),
        }
    })?;
    Ok(t.rows
        .iter()
        .enumerate()
        .skip(header_at + 1)
        .filter(|(_, r)| r.iter().any(|c| !c.is_empty()))
        .map(|(i, r)| {
            let get = |k: usize| r.get(idx[k]).cloned().unwrap_or_default();
            DivisionRow {
                row: t.first_row + i,
                code: get(0),
                name: get(1),
                parent_code: get(2),
                kind: get(3),
            }
        })
        .collect())
}

/// The column header name for a field reported by the domain.
pub fn column_of(field: &str) -> &'static str {
    COLUMNS
        .iter()
        .find(|(f, _)| *f == field)
        .map_or("", |(f, _)| f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::read_csv;

    #[test]
    fn csv_with_bom_and_chinese_headers() {
        let t = read_csv(
            "\u{feff}区划代码,名称,上级代码,类型\n370100,示例市,,市\n\n370102,东城区,370100,区\n"
                .as_bytes(),
        )
        .unwrap();
        let r = rows(&t).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(
            r[1],
            DivisionRow {
                row: 4,
                code: "370102".into(),
                name: "东城区".into(),
                parent_code: "370100".into(),
                kind: "区".into()
            }
        );
    }

    #[test]
    fn header_below_a_title_row() {
        let t = read_csv(
            "示例市行政区划表,,,\ncode,name,parent_code,kind\n370100,示例市,,city\n".as_bytes(),
        )
        .unwrap();
        let r = rows(&t).unwrap();
        assert_eq!(r[0].row, 3);
    }

    #[test]
    fn missing_columns_are_explained() {
        let t = read_csv("code,name\n370100,示例市\n".as_bytes()).unwrap();
        let e = rows(&t).unwrap_err();
        assert!(e.message.contains("找不到表头"), "{e}");
    }

    #[test]
    fn non_utf8_csv_is_refused_clearly() {
        let e = read_csv(&[0xb6, 0xab, 0xb3, 0xc7, b',', b'\n']).unwrap_err();
        assert!(e.message.contains("UTF-8"));
    }
}
