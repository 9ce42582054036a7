//! Attachments of problems and tasks: bounded in size and checked by their bytes, so a
//! file is what its extension claims (a renamed executable is not a PDF).

use crate::DomainError;

/// The largest attachment accepted: 10 MB.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// Extensions accepted, with their media type.
pub const KINDS: [(&str, &str); 8] = [
    ("pdf", "application/pdf"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("png", "image/png"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("doc", "application/msword"),
    ("xls", "application/vnd.ms-excel"),
];

fn content_matches(ext: &str, b: &[u8]) -> bool {
    let zip = b.starts_with(b"PK\x03\x04");
    let has = |needle: &[u8]| b.windows(needle.len()).any(|w| w == needle);
    match ext {
        "pdf" => b.starts_with(b"%PDF-"),
        "jpg" | "jpeg" => b.starts_with(&[0xFF, 0xD8, 0xFF]),
        "png" => b.starts_with(b"\x89PNG\r\n\x1a\n"),
        "docx" => zip && has(b"word/"),
        "xlsx" => zip && has(b"xl/"),
        "doc" | "xls" => b.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]),
        _ => false,
    }
}

/// Checks an upload: a known extension, not empty, within `max` bytes, and bytes that
/// match the extension. Returns the media type to store.
pub fn check(name: &str, bytes: &[u8], max: usize) -> Result<&'static str, DomainError> {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let Some((_, mime)) = KINDS.iter().find(|(e, _)| *e == ext) else {
        return Err(DomainError::new(
            "attachments",
            format!("附件“{name}”的类型不支持，只能上传 PDF、JPG、PNG、Word、Excel 文件。"),
            format!("'{name}': only PDF, JPG, PNG, Word and Excel files are accepted."),
        ));
    };
    if bytes.is_empty() {
        return Err(DomainError::new(
            "attachments",
            format!("附件“{name}”是空文件。"),
            format!("'{name}' is empty."),
        ));
    }
    if bytes.len() > max {
        return Err(DomainError::new(
            "attachments",
            format!(
                "附件“{name}”有 {:.1} MB，超过 {} MB 的上限。",
                bytes.len() as f64 / 1_048_576.0,
                max / 1_048_576
            ),
            format!("'{name}' is larger than {} MB.", max / 1_048_576),
        ));
    }
    if !content_matches(&ext, bytes) {
        return Err(DomainError::new(
            "attachments",
            format!("附件“{name}”的内容不是 .{ext} 文件（扩展名与内容不符），请上传原始文件。"),
            format!(
                "'{name}' is not really a .{ext} file (its content does not match its extension)."
            ),
        ));
    }
    Ok(mime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_the_bytes_say() {
        assert_eq!(
            check("批复.PDF", b"%PDF-1.7 ...", MAX_BYTES).unwrap(),
            "application/pdf"
        );
        assert_eq!(
            check("现场.jpg", &[0xFF, 0xD8, 0xFF, 0xE0, 0], MAX_BYTES).unwrap(),
            "image/jpeg"
        );
        let docx = b"PK\x03\x04....[Content_Types].xml...word/document.xml";
        assert!(check("函.docx", docx, MAX_BYTES).is_ok());
    }

    #[test]
    fn refuses_lies_sizes_and_unknown_kinds() {
        let e = check("批复.pdf", b"MZ\x90\x00 an exe", MAX_BYTES).unwrap_err();
        assert!(e.msg.zh.contains("扩展名与内容不符"), "{}", e.msg.zh);
        let xlsx_as_docx = b"PK\x03\x04....xl/workbook.xml";
        assert!(check("函.docx", xlsx_as_docx, MAX_BYTES).is_err());
        let e = check("大.pdf", &[b'%'; 64], 10).unwrap_err();
        assert!(e.msg.zh.contains("上限"));
        assert!(check("a.exe", b"MZ", MAX_BYTES).is_err());
        assert!(check("noext", b"%PDF-", MAX_BYTES).is_err());
        assert!(check("空.pdf", b"", MAX_BYTES).is_err());
    }
}
