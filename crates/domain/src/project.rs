//! Key projects (重点项目): codes, classifications, stages, plans and milestones.

use crate::DomainError;
use chrono::{Datelike, NaiveDate};

/// Declares a closed list of values with an identifier, Chinese and English names and
/// the other spellings ledgers use; parsing accepts any of them.
macro_rules! vocabulary {
    ($(#[$m:meta])* $name:ident, $field:literal, $label:literal { $($v:ident => $id:literal, $zh:literal, $en:literal, [$($alias:literal),*]);+ $(;)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $(#[doc = $zh] $v),+ }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            /// The identifier used in files, the API and the database.
            pub fn as_str(self) -> &'static str { match self { $($name::$v => $id),+ } }
            /// The Chinese name.
            pub fn zh(self) -> &'static str { match self { $($name::$v => $zh),+ } }
            /// The English name.
            pub fn en(self) -> &'static str { match self { $($name::$v => $en),+ } }
            fn spellings(self) -> &'static [&'static str] { match self { $($name::$v => &[$id, $zh, $en, $($alias),*]),+ } }
            /// Parses an identifier, a Chinese or English name, or a known alias.
            pub fn parse(raw: &str) -> Result<$name, DomainError> {
                let s = raw.trim();
                Self::ALL.iter().copied()
                    .find(|v| v.spellings().iter().any(|x| x.eq_ignore_ascii_case(s)))
                    .ok_or_else(|| {
                        let known: Vec<&str> = Self::ALL.iter().map(|v| v.zh()).collect();
                        DomainError::new($field,
                            format!("{}“{s}”无法识别，应为：{}。", $label, known.join("、")),
                            format!("Unknown {} '{s}'; expected one of {}.", $field,
                                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")))
                    })
            }
        }

        impl std::str::FromStr for $name {
            type Err = DomainError;
            fn from_str(s: &str) -> Result<Self, DomainError> { Self::parse(s) }
        }
    };
}

vocabulary! {
    /// The list a project is on.
    Level, "level", "项目级别" {
        Provincial => "provincial", "省重点", "Provincial key", ["省级重点", "省重点项目"];
        ProvincialSelect => "provincial_select", "省优选", "Provincial select", ["省优选项目"];
        City => "city", "市重点", "City key", ["市级重点", "市重点项目", "市级"];
        County => "county", "县区重点", "County key", ["县区级", "区县重点", "县级重点", "区级重点"];
    }
}

vocabulary! {
    /// What a project is for.
    Category, "category", "项目类别" {
        Industrial => "industrial", "产业项目", "Industrial", ["产业", "工业", "先进制造业", "工业项目"];
        Infrastructure => "infrastructure", "基础设施", "Infrastructure", ["基础设施项目", "基础设施类"];
        Social => "social", "社会民生", "Social", ["民生", "社会事业", "民生项目", "社会民生项目"];
        Service => "service", "现代服务业", "Services", ["服务业", "现代服务业项目"];
        Agriculture => "agriculture", "农业农村", "Agriculture", ["农业", "乡村振兴", "农业项目"];
        Ecology => "ecology", "生态环保", "Ecology", ["生态", "环保", "生态环保项目"];
        Other => "other", "其他", "Other", ["其它"];
    }
}

vocabulary! {
    /// The statistical nature of the construction.
    Nature, "nature", "建设性质" {
        New => "new", "新建", "New", ["新开工"];
        Expansion => "expansion", "扩建", "Expansion", [];
        Reconstruction => "reconstruction", "改建", "Reconstruction", ["改扩建", "技改"];
        Relocation => "relocation", "迁建", "Relocation", [];
        Restoration => "restoration", "恢复", "Restoration", ["恢复建设"];
        Continuing => "continuing", "续建", "Continuing", [];
    }
}

vocabulary! {
    /// Where a project is in its life.
    Stage, "stage", "项目阶段" {
        Reserve => "reserve", "储备", "Reserve", ["储备项目", "谋划"];
        Preparation => "preparation", "前期", "Preparation", ["前期项目", "前期工作"];
        Construction => "construction", "在建", "Under construction", ["在建项目", "建设中", "已开工"];
        Completed => "completed", "竣工", "Completed", ["已竣工", "完工"];
        Operation => "operation", "投产", "In operation", ["已投产", "运营", "投用"];
        Terminated => "terminated", "终止", "Terminated", ["已终止", "取消"];
    }
}

impl Stage {
    fn rank(self) -> u8 {
        match self {
            Self::Reserve => 0,
            Self::Preparation => 1,
            Self::Construction => 2,
            Self::Completed => 3,
            Self::Operation => 4,
            Self::Terminated => 5,
        }
    }

    /// Whether a project may move from `self` to `to`: forward along reserve →
    /// preparation → construction → completed → operation (steps may be skipped, as
    /// ledgers often record them late), or to terminated from any live stage. Never
    /// backward, never out of terminated.
    pub fn may_move_to(self, to: Stage) -> bool {
        match (self, to) {
            (Self::Terminated, _) => false,
            (_, Self::Terminated) => true,
            (a, b) => b.rank() > a.rank(),
        }
    }

    /// Whether work has started in this stage.
    pub fn is_started(self) -> bool {
        matches!(self, Self::Construction | Self::Completed | Self::Operation)
    }

    /// Checks a transition, explaining a refusal.
    pub fn check_move(self, to: Stage) -> Result<(), DomainError> {
        if self.may_move_to(to) {
            Ok(())
        } else {
            Err(DomainError::new(
                "stage",
                format!(
                    "项目阶段不能从“{}”变为“{}”：阶段只能向前推进（储备→前期→在建→竣工→投产），或终止。",
                    self.zh(),
                    to.zh()
                ),
                format!(
                    "A project cannot move from {} to {}: stages only move forward, or to terminated.",
                    self.as_str(),
                    to.as_str()
                ),
            ))
        }
    }
}

/// Province-level prefixes of GB/T 2260 (plus Taiwan, Hong Kong, Macao).
const PROVINCES: [&str; 34] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82",
];

/// A national project code (项目代码) of the online approval platform:
/// `YYYY-DDDDDD-NN-NN-NNNNNN`, e.g. `2020-371302-47-03-012345`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectCode {
    /// The code as written, normalised to ASCII.
    pub code: String,
    /// Year of registration.
    pub year: i32,
    /// The 6-digit division code inside it.
    pub division: String,
}

impl ProjectCode {
    /// Checks the shape and the division part. `also_known(prefix)` says whether a
    /// 2-digit prefix outside the official provinces is this deployment's own (the demo
    /// city uses 99). The check digit's rule is not public, so it is not checked.
    pub fn parse(raw: &str, also_known: impl Fn(&str) -> bool) -> Result<ProjectCode, DomainError> {
        let s = crate::money::normalise_number_text(raw)
            .replace(['—', '－', '–'], "-")
            .to_ascii_uppercase();
        let parts: Vec<&str> = s.split('-').collect();
        let shape_ok = parts.len() == 5
            && [4, 6, 2, 2, 6]
                .iter()
                .zip(&parts)
                .all(|(n, p)| p.len() == *n && p.bytes().all(|b| b.is_ascii_digit()));
        if !shape_ok {
            return Err(DomainError::new(
                "code",
                format!(
                    "项目代码“{}”格式不对：应为“年份4位-行政区划6位-2位-2位-6位”，如 2026-371302-47-03-012345。",
                    raw.trim()
                ),
                format!(
                    "Project code '{}' is malformed: expected YYYY-DDDDDD-NN-NN-NNNNNN, e.g. 2026-371302-47-03-012345.",
                    raw.trim()
                ),
            ));
        }
        let year: i32 = parts[0].parse().unwrap_or(0);
        if !(1990..=2100).contains(&year) {
            return Err(DomainError::new(
                "code",
                format!("项目代码“{s}”的年份 {year} 不合理。"),
                format!("Project code '{s}' has an implausible year {year}."),
            ));
        }
        let div = parts[1];
        let prefix = &div[..2];
        if !(PROVINCES.contains(&prefix) || also_known(prefix)) {
            return Err(DomainError::new(
                "code",
                format!(
                    "项目代码“{s}”中的行政区划代码 {div} 不是有效的区划代码（省级代码 {prefix} 不存在）。"
                ),
                format!(
                    "Project code '{s}' contains {div}, which is not a real division code (no province {prefix})."
                ),
            ));
        }
        Ok(ProjectCode {
            year,
            division: div.to_string(),
            code: s,
        })
    }
}

/// Checks that `start` is not after `end`, naming `field` if it is.
pub fn check_order<T: PartialOrd + std::fmt::Display>(
    field: &'static str,
    start: Option<T>,
    end: Option<T>,
    what_zh: &str,
) -> Result<(), DomainError> {
    if let (Some(a), Some(b)) = (start, end)
        && a > b
    {
        return Err(DomainError::new(
            field,
            format!("{what_zh}的开始（{a}）晚于结束（{b}）。"),
            format!("{field}: start {a} is after end {b}."),
        ));
    }
    Ok(())
}

/// How a monthly breakdown relates to its annual plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum PlanCheck {
    /// No months given: the annual plan alone.
    NoMonths,
    /// The months add up to the annual plan.
    Balanced,
    /// The months add up to something else (yuan), refused unless flagged.
    Mismatch {
        /// Sum of the months.
        months: i64,
        /// The annual plan.
        annual: i64,
    },
}

/// Compares a monthly breakdown (whole yuan, `None` = not given) with the annual plan.
pub fn check_plan(annual: i64, months: &[Option<i64>; 12]) -> PlanCheck {
    if months.iter().all(Option::is_none) {
        return PlanCheck::NoMonths;
    }
    let sum: i64 = months.iter().flatten().sum();
    if sum == annual {
        PlanCheck::Balanced
    } else {
        PlanCheck::Mismatch {
            months: sum,
            annual,
        }
    }
}

impl PlanCheck {
    /// The refusal (or warning) text when the months do not add up.
    pub fn error(self) -> Option<DomainError> {
        match self {
            PlanCheck::Mismatch { months, annual } => Some(DomainError::new(
                "months",
                format!(
                    "月度计划合计 {} 万元，与年度计划 {} 万元不一致。请修正，或勾选“允许不一致”作为标记保存。",
                    crate::money::wan(months),
                    crate::money::wan(annual)
                ),
                format!(
                    "The months add up to {} (10k yuan) but the annual plan is {}; fix them or save flagged as a mismatch.",
                    crate::money::wan(months),
                    crate::money::wan(annual)
                ),
            )),
            _ => None,
        }
    }
}

/// Cumulative plan by month: element `m-1` is the plan to the end of month `m`.
pub fn cumulative(annual: i64, months: &[Option<i64>; 12]) -> [i64; 12] {
    let mut out = [0i64; 12];
    if months.iter().all(Option::is_none) {
        // No breakdown: spread evenly in time (the time-proportional default).
        for (i, o) in out.iter_mut().enumerate() {
            *o = (i128::from(annual) * (i as i128 + 1) / 12) as i64;
        }
        return out;
    }
    let mut acc = 0;
    for (i, m) in months.iter().enumerate() {
        acc += m.unwrap_or(0);
        out[i] = acc;
    }
    out
}

/// One node of a backward schedule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Scheduled {
    /// Latest day the node may start so that the target holds.
    pub latest_start: NaiveDate,
    /// The day it must finish.
    pub latest_end: NaiveDate,
    /// Days from `today` to the latest start (negative: already late to start).
    pub countdown_days: i64,
}

/// Backward scheduling (倒排工期): from the target date of the last node, through each
/// node's duration in calendar days, the latest start and end of every node, in order.
pub fn backward_schedule(target: NaiveDate, durations: &[u32], today: NaiveDate) -> Vec<Scheduled> {
    let mut out = Vec::with_capacity(durations.len());
    let mut end = target;
    for d in durations.iter().rev() {
        let start = end - chrono::Days::new(u64::from(*d));
        out.push(Scheduled {
            latest_start: start,
            latest_end: end,
            countdown_days: (start - today).num_days(),
        });
        end = start;
    }
    out.reverse();
    out
}

/// Parses the date forms ledgers use: `2026-03-15`, `2026/3/15`, `2026.03`,
/// `2026.3.15`, `2026年3月`, `2026年3月15日`, `202603`. A month alone means its first day.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let s = crate::money::normalise_number_text(raw);
    let s = s.trim_end_matches('日').trim_end_matches('号');
    let nums: Vec<u32> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().ok())
        .collect::<Option<Vec<u32>>>()?;
    let (y, m, d) = match nums.as_slice() {
        [y, m, d] => (*y, *m, *d),
        [y, m] => (*y, *m, 1),
        [ym] if (190001..=210012).contains(ym) => (ym / 100, ym % 100, 1),
        [ymd] if (19000101..=21001231).contains(ymd) => (ymd / 10000, ymd / 100 % 100, ymd % 100),
        _ => return None,
    };
    if !(1900..=2100).contains(&y) {
        return None;
    }
    NaiveDate::from_ymd_opt(y as i32, m, d)
}

/// An Excel serial day number (1900 system) as a date.
pub fn excel_serial_date(serial: f64) -> Option<NaiveDate> {
    if !(1.0..=80_000.0).contains(&serial) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(chrono::Days::new(serial as u64))
}

/// A construction period such as `2025-2027`, `2025—2027年`, `2025年-2027年`, or one year.
pub fn parse_years(raw: &str) -> Option<(i32, i32)> {
    let s = crate::money::normalise_number_text(raw);
    let ys: Vec<i32> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| p.len() == 4)
        .filter_map(|p| p.parse().ok())
        .collect();
    match ys.as_slice() {
        [a] => Some((*a, *a)),
        [a, b] => Some((*a, *b)),
        _ => None,
    }
}

/// Year and month of a date, for grouping.
pub fn year_month(d: NaiveDate) -> (i32, u32) {
    (d.year(), d.month())
}

/// A project as users and ledgers write it: text for every field, resolved and checked
/// by the store. Used by the forms, the JSON API and the ledger import alike.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(default)]
pub struct ProjectInput {
    /// National project code (项目代码), `YYYY-DDDDDD-NN-NN-NNNNNN`; optional.
    pub code: Option<String>,
    /// Project name.
    pub name: String,
    /// Level: provincial / provincial_select / city / county, or the Chinese name.
    pub level: String,
    /// Category, e.g. industrial / 产业项目.
    pub category: String,
    /// Nature: new / expansion / … / continuing, or 新建 / 续建 ….
    pub nature: String,
    /// Stage: reserve / preparation / construction / completed / operation / terminated.
    pub stage: String,
    /// Division (所在地), by code or name.
    pub division: String,
    /// Construction (owner) unit name (建设单位).
    pub owner_name: Option<String>,
    /// The owner's 18-character unified social credit code.
    pub owner_credit_code: Option<String>,
    /// Responsible unit (责任单位), by code or name.
    pub responsible_unit: Option<String>,
    /// Cooperating units (配合单位), by code or name.
    pub cooperating_units: Vec<String>,
    /// Contact leader (包保领导), by name.
    pub contact_leader: Option<String>,
    /// Task force members (工作专班), e.g. `张三（组长）`.
    pub members: Vec<String>,
    /// The plan document (推进方案): title or reference.
    pub plan_doc: Option<String>,
    /// Total investment, 万元 as decimal text.
    pub total_investment_wan: Option<String>,
    /// Year of the annual plan (default: this year).
    pub plan_year: Option<i64>,
    /// Annual investment plan, 万元.
    pub annual_plan_wan: Option<String>,
    /// Monthly breakdown of the annual plan, 万元, January first (12 entries or none).
    pub months_wan: Vec<Option<String>>,
    /// Keep a breakdown that does not add up to the annual plan, flagged.
    pub allow_plan_mismatch: bool,
    /// First year of construction.
    pub start_year: Option<i64>,
    /// Last year of construction.
    pub end_year: Option<i64>,
    /// Land area in mu (亩), decimal text.
    pub land_mu: Option<String>,
    /// Whether work has started (是否开工).
    pub started: Option<bool>,
    /// Date work started.
    pub start_date: Option<String>,
    /// Tags: special_bond, central_budget, showcase, campaign:名称.
    pub tags: Vec<String>,
    /// Free description (建设内容及规模).
    pub description: Option<String>,
    /// Position in the key-project table.
    pub sort: Option<i64>,
}

/// The tags every deployment knows; `campaign:名称` marks campaign membership.
pub const KNOWN_TAGS: [(&str, &str, &str); 3] = [
    ("special_bond", "专项债", "Special bond"),
    ("central_budget", "中央预算内", "Central budget"),
    ("showcase", "观摩项目", "Showcase"),
];

/// Normalises a tag: a known identifier or Chinese name, or `campaign:名称`
/// (also written `攻坚:名称`). Unknown tags are refused.
pub fn parse_tag(raw: &str) -> Result<String, DomainError> {
    let s = raw.trim();
    if let Some((id, _, _)) = KNOWN_TAGS
        .iter()
        .find(|(id, zh, en)| *id == s || *zh == s || en.eq_ignore_ascii_case(s))
    {
        return Ok((*id).to_string());
    }
    for prefix in [
        "campaign:",
        "campaign：",
        "攻坚:",
        "攻坚：",
        "专项行动:",
        "专项行动：",
    ] {
        if let Some(name) = s.strip_prefix(prefix) {
            let name = crate::text::name("tags", "专项行动名称", name)?;
            return Ok(format!("campaign:{name}"));
        }
    }
    Err(DomainError::new(
        "tags",
        format!("标签“{s}”无法识别，应为 专项债、中央预算内、观摩项目 或 “攻坚:行动名称”。"),
        format!("Unknown tag '{s}': use special_bond, central_budget, showcase or campaign:NAME."),
    ))
}

/// The label of a tag in a language.
pub fn tag_label(tag: &str, zh: bool) -> String {
    if let Some((_, z, e)) = KNOWN_TAGS.iter().find(|(id, _, _)| *id == tag) {
        return if zh { (*z).into() } else { (*e).into() };
    }
    match tag.strip_prefix("campaign:") {
        Some(n) if zh => format!("攻坚:{n}"),
        Some(n) => format!("Campaign: {n}"),
        None => tag.to_string(),
    }
}

/// Parses the yes/no forms of ledgers: 是/否, 已开工/未开工, Y/N, √, true/false.
pub fn parse_yes_no(raw: &str) -> Option<bool> {
    match raw.trim() {
        "是" | "已开工" | "开工" | "已" | "Y" | "y" | "yes" | "Yes" | "YES" | "true" | "TRUE"
        | "√" | "✓" | "1" => Some(true),
        "否" | "未开工" | "未" | "N" | "n" | "no" | "No" | "NO" | "false" | "FALSE" | "×" | "0" => {
            Some(false)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn vocabularies_parse_every_spelling() {
        assert_eq!(Level::parse("省重点").unwrap(), Level::Provincial);
        assert_eq!(Level::parse("city").unwrap(), Level::City);
        assert_eq!(Category::parse("先进制造业").unwrap(), Category::Industrial);
        assert_eq!(Nature::parse("续建").unwrap(), Nature::Continuing);
        assert_eq!(Stage::parse(" 已投产 ").unwrap(), Stage::Operation);
        let e = Stage::parse("半途").unwrap_err();
        assert_eq!(e.field, "stage");
        assert!(e.msg.zh.contains("储备"));
    }

    #[test]
    fn stages_move_forward_or_terminate() {
        use Stage::*;
        assert!(Reserve.may_move_to(Preparation));
        assert!(Reserve.may_move_to(Construction), "late records skip steps");
        assert!(!Construction.may_move_to(Preparation));
        assert!(!Construction.may_move_to(Construction));
        assert!(Construction.may_move_to(Terminated));
        assert!(!Terminated.may_move_to(Reserve));
        assert!(
            Operation
                .check_move(Completed)
                .unwrap_err()
                .msg
                .zh
                .contains("向前")
        );
        assert!(Construction.is_started() && !Preparation.is_started());
    }

    #[test]
    fn project_codes_check_shape_and_division() {
        let c = ProjectCode::parse("2020-371302-47-03-012345", |_| false).unwrap();
        assert_eq!((c.year, c.division.as_str()), (2020, "371302"));
        // Full-width digits and dashes are normalised.
        assert_eq!(
            ProjectCode::parse("２０２０—371302-47-03-012345", |_| false)
                .unwrap()
                .code,
            "2020-371302-47-03-012345"
        );
        // Any check digit is accepted: its rule is not public.
        assert!(ProjectCode::parse("2020-371302-47-03-012349", |_| false).is_ok());
        for bad in [
            "2020-371302-47-03-01234",
            "2020371302470301234",
            "20-371302-47-03-012345",
            "2020-37130A-47-03-012345",
            "1800-371302-47-03-012345",
        ] {
            assert_eq!(
                ProjectCode::parse(bad, |_| false).unwrap_err().field,
                "code",
                "{bad}"
            );
        }
        let e = ProjectCode::parse("2020-991302-47-03-012345", |_| false).unwrap_err();
        assert!(e.msg.zh.contains("991302"));
        assert!(ProjectCode::parse("2020-991302-47-03-012345", |p| p == "99").is_ok());
    }

    #[test]
    fn plans_must_add_up_or_be_flagged() {
        let mut m = [None; 12];
        assert_eq!(check_plan(1200, &m), PlanCheck::NoMonths);
        for x in m.iter_mut() {
            *x = Some(100);
        }
        assert_eq!(check_plan(1200, &m), PlanCheck::Balanced);
        m[11] = Some(50);
        let c = check_plan(1200, &m);
        assert_eq!(
            c,
            PlanCheck::Mismatch {
                months: 1150,
                annual: 1200
            }
        );
        assert_eq!(c.error().unwrap().field, "months");
        assert_eq!(cumulative(1200, &[None; 12])[5], 600);
        assert_eq!(cumulative(1200, &m)[11], 1150);
    }

    #[test]
    fn backward_schedule_counts_down() {
        let s = backward_schedule(d(2026, 12, 31), &[30, 61, 10], d(2026, 9, 1));
        assert_eq!(s[2].latest_end, d(2026, 12, 31));
        assert_eq!(s[2].latest_start, d(2026, 12, 21));
        assert_eq!(s[1].latest_start, d(2026, 10, 21));
        assert_eq!(s[0].latest_start, d(2026, 9, 21));
        assert_eq!(s[0].countdown_days, 20);
        let late = backward_schedule(d(2026, 9, 10), &[30], d(2026, 9, 1));
        assert_eq!(late[0].countdown_days, -21);
    }

    #[test]
    fn tags_and_yes_no() {
        assert_eq!(parse_tag("专项债").unwrap(), "special_bond");
        assert_eq!(parse_tag("攻坚:招商引资").unwrap(), "campaign:招商引资");
        assert_eq!(parse_tag("bogus").unwrap_err().field, "tags");
        assert_eq!(tag_label("campaign:招商引资", true), "攻坚:招商引资");
        assert_eq!(parse_yes_no("已开工"), Some(true));
        assert_eq!(parse_yes_no("未开工"), Some(false));
        assert_eq!(parse_yes_no("也许"), None);
    }

    #[test]
    fn dates_in_ledger_forms() {
        assert_eq!(parse_date("2026.03"), Some(d(2026, 3, 1)));
        assert_eq!(parse_date("2026年3月"), Some(d(2026, 3, 1)));
        assert_eq!(parse_date("2026年3月15日"), Some(d(2026, 3, 15)));
        assert_eq!(parse_date("2026-03-15"), Some(d(2026, 3, 15)));
        assert_eq!(parse_date("2026/3/5"), Some(d(2026, 3, 5)));
        assert_eq!(parse_date("202603"), Some(d(2026, 3, 1)));
        assert_eq!(parse_date("2026-13-01"), None);
        assert_eq!(parse_date("三月"), None);
        assert_eq!(excel_serial_date(46096.0), Some(d(2026, 3, 15)));
        assert_eq!(parse_years("2025—2027年"), Some((2025, 2027)));
        assert_eq!(parse_years("2026"), Some((2026, 2026)));
        assert_eq!(parse_years("两年"), None);
        assert!(check_order("end_year", Some(2027), Some(2025), "建设年限").is_err());
        assert!(check_order("end_year", Some(2025), Some(2027), "建设年限").is_ok());
    }
}
