//! Units (单位): any organisation that can be assigned work.

use crate::DomainError;
use std::str::FromStr;

/// What kind of organisation a unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// The government (or zone committee) of a division; created with the division.
    Government,
    /// A department of a government (市直部门 / 区直部门).
    Department,
    /// An enterprise (state-owned or private): project units.
    Company,
    /// Anything else: third-party assessors, associations.
    Other,
}

impl UnitKind {
    /// Every kind.
    pub const ALL: [UnitKind; 4] = [
        Self::Government,
        Self::Department,
        Self::Company,
        Self::Other,
    ];

    /// The identifier used in files, the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Government => "government",
            Self::Department => "department",
            Self::Company => "company",
            Self::Other => "other",
        }
    }

    /// The Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Government => "政府（管委会）",
            Self::Department => "部门",
            Self::Company => "企业",
            Self::Other => "其他单位",
        }
    }

    /// The English label.
    pub fn en(self) -> &'static str {
        match self {
            Self::Government => "Government",
            Self::Department => "Department",
            Self::Company => "Company",
            Self::Other => "Other",
        }
    }
}

impl FromStr for UnitKind {
    type Err = DomainError;
    fn from_str(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.zh() == s)
            .ok_or_else(|| {
                DomainError::new(
                    "kind",
                    format!(
                        "单位类型“{s}”无法识别，应为 government/department/company/other 之一。"
                    ),
                    format!(
                        "Unit kind '{s}' is unknown; use government, department, company or other."
                    ),
                )
            })
    }
}

/// Checks an 18-character unified social credit code (统一社会信用代码) including its
/// GB 32100 check character. Returns the upper-cased code.
pub fn check_credit_code(raw: &str) -> Result<String, DomainError> {
    const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    const WEIGHTS: [u32; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let s = raw.trim().to_ascii_uppercase();
    let bad = |why_zh: &str, why_en: &str| {
        DomainError::new(
            "credit_code",
            format!("统一社会信用代码“{s}”不正确：{why_zh}"),
            format!("Unified social credit code '{s}' is invalid: {why_en}"),
        )
    };
    let vals: Option<Vec<u32>> = s
        .chars()
        .map(|c| ALPHABET.find(c).map(|i| i as u32))
        .collect();
    let vals = vals.ok_or_else(|| {
        bad(
            "含有不允许的字符（不使用 I、O、Z、S、V）。",
            "it has characters outside the GB 32100 set.",
        )
    })?;
    if vals.len() != 18 {
        return Err(bad("应为 18 位。", "it must have 18 characters."));
    }
    let sum: u32 = vals[..17].iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let check = (31 - sum % 31) % 31;
    if vals[17] != check {
        return Err(bad(
            "校验位不符，请核对是否录错。",
            "the check character does not match; check for a typo.",
        ));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credit_codes() {
        // Published codes of real organisations.
        assert!(check_credit_code("91350100M000100Y43").is_ok());
        assert_eq!(
            check_credit_code("91110000600037479c").unwrap_err().field,
            "credit_code"
        );
        assert!(
            check_credit_code("91350100M000100Y44")
                .unwrap_err()
                .msg
                .zh
                .contains("校验位")
        );
        assert!(
            check_credit_code("91350100M000100Y4")
                .unwrap_err()
                .msg
                .zh
                .contains("18")
        );
        assert!(check_credit_code("91350100M00O100Y43").is_err());
    }

    #[test]
    fn unit_kinds() {
        assert_eq!("部门".parse::<UnitKind>().unwrap(), UnitKind::Department);
        assert!("agency".parse::<UnitKind>().is_err());
    }
}
