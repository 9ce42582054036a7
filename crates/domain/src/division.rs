//! The division tree (行政区划): city → districts, counties, zones → towns.

use crate::DomainError;
use std::fmt;
use std::str::FromStr;

/// A division code: 6 digits (GB/T 2260; zones may use a configured 6-digit code),
/// or 9 digits for towns (the statistical town code, which starts with its county's 6).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct DivisionCode(String);

impl DivisionCode {
    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DivisionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for DivisionCode {
    type Err = DomainError;
    fn from_str(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        let digits = s.chars().all(|c| c.is_ascii_digit());
        if !digits || !(s.len() == 6 || s.len() == 9) || s.starts_with("00") {
            return Err(DomainError::new(
                "code",
                format!(
                    "行政区划代码“{s}”格式不对：应为 6 位数字（GB/T 2260），乡镇街道可用 9 位数字。"
                ),
                format!(
                    "Division code '{s}' is malformed: 6 digits (GB/T 2260), or 9 digits for a town."
                ),
            ));
        }
        Ok(DivisionCode(s.to_string()))
    }
}

/// The kind of a division, which fixes where it may sit in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DivisionKind {
    /// 省 — only for province-scale deployments.
    Province,
    /// 市
    City,
    /// 区
    District,
    /// 县 (and county-level cities)
    County,
    /// 开发区 / 新区 / 园区
    Zone,
    /// 镇 / 乡 / 街道
    Town,
}

impl DivisionKind {
    /// Every kind, top of the tree first.
    pub const ALL: [DivisionKind; 6] = [
        Self::Province,
        Self::City,
        Self::District,
        Self::County,
        Self::Zone,
        Self::Town,
    ];

    /// The identifier used in files, the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Province => "province",
            Self::City => "city",
            Self::District => "district",
            Self::County => "county",
            Self::Zone => "zone",
            Self::Town => "town",
        }
    }

    /// The Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Province => "省",
            Self::City => "市",
            Self::District => "区",
            Self::County => "县（市）",
            Self::Zone => "开发区",
            Self::Town => "镇街",
        }
    }

    /// The English label.
    pub fn en(self) -> &'static str {
        match self {
            Self::Province => "Province",
            Self::City => "City",
            Self::District => "District",
            Self::County => "County",
            Self::Zone => "Development zone",
            Self::Town => "Town",
        }
    }

    /// Whether a division of this kind may sit directly under one of kind `parent`
    /// (`None` = at the root).
    pub fn may_sit_under(self, parent: Option<DivisionKind>) -> bool {
        use DivisionKind::*;
        matches!(
            (self, parent),
            (Province, None)
                | (City, None)
                | (City, Some(Province))
                | (District | County | Zone, Some(City))
                | (Town, Some(District | County | Zone))
        )
    }

    /// The name of the government unit that acts for a division of this kind.
    pub fn government_name(self, division_name: &str) -> String {
        match self {
            Self::Zone => format!("{division_name}管理委员会"),
            Self::Town if division_name.ends_with("街道") => format!("{division_name}办事处"),
            _ => format!("{division_name}人民政府"),
        }
    }
}

impl FromStr for DivisionKind {
    type Err = DomainError;
    fn from_str(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        let found = Self::ALL.into_iter().find(|k| {
            k.as_str().eq_ignore_ascii_case(s)
                || k.zh() == s
                || matches!(
                    (k, s),
                    (Self::County, "县") | (Self::Town, "镇" | "乡" | "街道" | "乡镇")
                )
        });
        found.ok_or_else(|| {
            DomainError::new(
                "kind",
                format!("区划类型“{s}”无法识别，应为 city/district/county/zone/town（市/区/县/开发区/镇街）之一。"),
                format!("Division kind '{s}' is unknown; use city, district, county, zone or town."),
            )
        })
    }
}

/// Refuses a placement of `kind` under `parent` that the tree does not allow.
pub fn check_placement(
    kind: DivisionKind,
    parent: Option<DivisionKind>,
) -> Result<(), DomainError> {
    if kind.may_sit_under(parent) {
        return Ok(());
    }
    let (pzh, pen) = parent.map_or(("（顶层）", "the root"), |p| (p.zh(), p.en()));
    Err(DomainError::new(
        "parent_code",
        format!("“{}”类区划不能放在“{pzh}”之下。", kind.zh()),
        format!("A {} cannot sit under {pen}.", kind.en()),
    ))
}

/// Refuses moving a division under itself or one of its descendants.
/// `ancestors_of_new_parent` lists the new parent and all its ancestors, by id.
pub fn check_not_cycle(id: i64, ancestors_of_new_parent: &[i64]) -> Result<(), DomainError> {
    if ancestors_of_new_parent.contains(&id) {
        return Err(DomainError::new(
            "parent_code",
            "不能把区划移到它自己或它的下级之下。",
            "A division cannot be moved under itself or one of its descendants.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_or_explain() {
        assert_eq!("371302".parse::<DivisionCode>().unwrap().as_str(), "371302");
        assert_eq!(
            " 371302001 ".parse::<DivisionCode>().unwrap().as_str(),
            "371302001"
        );
        for bad in ["37130", "3713021", "37130a", "", "000000", "３７１３０２"] {
            let e = bad.parse::<DivisionCode>().unwrap_err();
            assert_eq!(e.field, "code", "{bad}");
            assert!(e.msg.zh.contains("格式不对"));
        }
    }

    #[test]
    fn kinds_parse_in_both_languages() {
        assert_eq!("zone".parse::<DivisionKind>().unwrap(), DivisionKind::Zone);
        assert_eq!(
            "开发区".parse::<DivisionKind>().unwrap(),
            DivisionKind::Zone
        );
        assert_eq!("街道".parse::<DivisionKind>().unwrap(), DivisionKind::Town);
        assert_eq!(
            "COUNTY".parse::<DivisionKind>().unwrap(),
            DivisionKind::County
        );
        assert!("village".parse::<DivisionKind>().is_err());
    }

    #[test]
    fn placement_rules() {
        use DivisionKind::*;
        assert!(check_placement(City, None).is_ok());
        assert!(check_placement(District, Some(City)).is_ok());
        assert!(check_placement(Town, Some(Zone)).is_ok());
        assert!(check_placement(Town, Some(City)).is_err());
        assert!(check_placement(District, None).is_err());
        assert!(check_placement(City, Some(District)).is_err());
    }

    #[test]
    fn cycles_are_refused() {
        assert!(check_not_cycle(5, &[7, 3, 1]).is_ok());
        assert!(check_not_cycle(3, &[7, 3, 1]).is_err());
    }

    #[test]
    fn government_names() {
        assert_eq!(
            DivisionKind::District.government_name("兰山区"),
            "兰山区人民政府"
        );
        assert_eq!(
            DivisionKind::Zone.government_name("高新区"),
            "高新区管理委员会"
        );
        assert_eq!(
            DivisionKind::Town.government_name("银雀山街道"),
            "银雀山街道办事处"
        );
    }
}
