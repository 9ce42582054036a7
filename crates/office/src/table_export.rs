//! A plain printable list as a workbook: a merged title, a bold header row with set
//! widths, thin borders, wrapped text, frozen header, A4 landscape fitting the width.
//! Used for lists such as a meeting's commitments.

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};

/// `columns` are (header, width in characters); each row has one text per column.
pub fn to_xlsx(
    title: &str,
    sheet: &str,
    columns: &[(&str, f64)],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet)?;
    let n = columns.len().max(1) as u16;
    let title_f = Format::new()
        .set_bold()
        .set_font_size(18)
        .set_align(FormatAlign::Center)
        .set_font_name("方正小标宋简体");
    let head = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_background_color("#DDEBF7");
    let cell = Format::new()
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter);
    ws.merge_range(0, 0, 0, n - 1, title, &title_f)?;
    ws.set_row_height(0, 32)?;
    for (i, (h, w)) in columns.iter().enumerate() {
        ws.write_string_with_format(1, i as u16, *h, &head)?;
        ws.set_column_width(i as u16, *w)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string_with_format(2 + r as u32, c as u16, v, &cell)?;
        }
    }
    ws.set_freeze_panes(2, 0)?;
    ws.set_landscape();
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(1, 1)?;
    wb.save_to_buffer()
}
