//! Validation of free text that users type: names, codes, titles.

use crate::DomainError;

/// Longest name we accept, in characters (the longest official unit names are ~40).
pub const MAX_NAME_CHARS: usize = 100;

/// Trims a name and checks it is non-empty, not over-long and free of control characters.
/// Markup such as `<script>` is allowed: it is stored as text and escaped when shown.
pub fn name(field: &'static str, label_zh: &str, raw: &str) -> Result<String, DomainError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(DomainError::new(
            field,
            format!("“{label_zh}”不能为空。"),
            format!("{field} must not be empty."),
        ));
    }
    let n = s.chars().count();
    if n > MAX_NAME_CHARS {
        return Err(DomainError::new(
            field,
            format!("“{label_zh}”过长（{n} 个字符），最多 {MAX_NAME_CHARS} 个字符。"),
            format!("{field} is too long ({n} characters); at most {MAX_NAME_CHARS}."),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(DomainError::new(
            field,
            format!("“{label_zh}”含有控制字符（如换行），请删除。"),
            format!("{field} contains control characters such as line breaks."),
        ));
    }
    Ok(s.to_string())
}

/// An optional short text: empty becomes `None`; otherwise the same rules as [`name`].
pub fn optional(
    field: &'static str,
    label_zh: &str,
    raw: &str,
) -> Result<Option<String>, DomainError> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        name(field, label_zh, raw).map(Some)
    }
}

/// A short identifier (unit code, username, role code): 1–32 of `A-Z a-z 0-9 _ - .`.
pub fn code(field: &'static str, label_zh: &str, raw: &str) -> Result<String, DomainError> {
    let s = raw.trim();
    let ok = !s.is_empty()
        && s.len() <= 32
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(s.to_string())
    } else {
        Err(DomainError::new(
            field,
            format!("“{label_zh}”应为 1–32 位字母、数字、下划线、短横线或点，当前为“{s}”。"),
            format!("{field} must be 1-32 letters, digits, '_', '-' or '.'; got '{s}'."),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_markup_kept_as_text() {
        assert_eq!(
            name("name", "名称", "  <b>发改委</b> ").unwrap(),
            "<b>发改委</b>"
        );
    }

    #[test]
    fn bad_names_are_refused_with_the_field() {
        assert_eq!(name("name", "名称", "   ").unwrap_err().field, "name");
        let long = "长".repeat(MAX_NAME_CHARS + 1);
        assert!(
            name("name", "名称", &long)
                .unwrap_err()
                .msg
                .zh
                .contains("过长")
        );
        assert!(name("name", "名称", "a\nb").is_err());
        assert_eq!(
            name("name", "名称", &"长".repeat(MAX_NAME_CHARS))
                .unwrap()
                .chars()
                .count(),
            MAX_NAME_CHARS
        );
    }

    #[test]
    fn codes() {
        assert_eq!(code("code", "编码", " fgw-01 ").unwrap(), "fgw-01");
        assert!(code("code", "编码", "发改委").is_err());
        assert!(code("code", "编码", "").is_err());
        assert!(code("code", "编码", "a b").is_err());
        assert!(code("code", "编码", &"a".repeat(33)).is_err());
    }
}
