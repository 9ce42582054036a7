//! The monthly report (月报): its flow and the checks made when it is submitted.
//!
//! Flow: draft → submitted → returned with a reason (→ submitted again) / approved by
//! the division → locked by the office. A locked report changes only through an
//! amendment with a reason; every version is kept by the store.

use crate::DomainError;
use crate::money::wan;
use crate::progress::LightRule;
use chrono::{Datelike, NaiveDate, NaiveDateTime};

/// Where a report is in its flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Saved by the unit, not yet sent.
    Draft,
    /// Sent; waiting for the division.
    Submitted,
    /// Sent back with a reason; the unit corrects and submits again.
    Returned,
    /// Accepted by the division.
    Approved,
    /// Locked by the office: changes only by amendment with a reason.
    Locked,
}

impl Status {
    /// Every status in flow order.
    pub const ALL: [Status; 5] = [
        Status::Draft,
        Status::Submitted,
        Status::Returned,
        Status::Approved,
        Status::Locked,
    ];

    /// Stored identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Submitted => "submitted",
            Status::Returned => "returned",
            Status::Approved => "approved",
            Status::Locked => "locked",
        }
    }

    /// Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            Status::Draft => "草稿",
            Status::Submitted => "已报送",
            Status::Returned => "已退回",
            Status::Approved => "已审核",
            Status::Locked => "已锁定",
        }
    }

    /// Parses the stored identifier.
    pub fn parse(s: &str) -> Result<Status, DomainError> {
        Status::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| {
                DomainError::new(
                    "status",
                    format!("未知的月报状态“{s}”。"),
                    format!("Unknown report status '{s}'."),
                )
            })
    }

    /// Whether the figures count: submitted, approved or locked.
    pub fn counts(self) -> bool {
        matches!(self, Status::Submitted | Status::Approved | Status::Locked)
    }

    /// Whether the unit may still edit it (draft or returned).
    pub fn editable(self) -> bool {
        matches!(self, Status::Draft | Status::Returned)
    }
}

/// What someone does to a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Save without sending.
    Save,
    /// Send.
    Submit,
    /// Send back with a reason (division or office).
    Return,
    /// Accept (division or office).
    Approve,
    /// Lock (office).
    Lock,
    /// Change a locked report with a reason (office).
    Amend,
}

impl Action {
    /// Stored identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Save => "save",
            Action::Submit => "submit",
            Action::Return => "return",
            Action::Approve => "approve",
            Action::Lock => "lock",
            Action::Amend => "amend",
        }
    }

    /// Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            Action::Save => "保存草稿",
            Action::Submit => "报送",
            Action::Return => "退回",
            Action::Approve => "审核通过",
            Action::Lock => "锁定",
            Action::Amend => "更正",
        }
    }

    /// Parses an identifier.
    pub fn parse(s: &str) -> Option<Action> {
        [
            Action::Save,
            Action::Submit,
            Action::Return,
            Action::Approve,
            Action::Lock,
            Action::Amend,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }

    /// Whether the action needs a reason.
    pub fn needs_reason(self) -> bool {
        matches!(self, Action::Return | Action::Amend)
    }
}

/// The status after `action` from `from` (`None` = no report yet), or why not.
pub fn next(from: Option<Status>, action: Action) -> Result<Status, DomainError> {
    use Status::*;
    let to = match (from, action) {
        (None | Some(Draft) | Some(Returned), Action::Save) => Some(Draft),
        (None | Some(Draft) | Some(Returned), Action::Submit) => Some(Submitted),
        (Some(Submitted) | Some(Approved), Action::Return) => Some(Returned),
        (Some(Submitted), Action::Approve) => Some(Approved),
        (Some(Submitted) | Some(Approved), Action::Lock) => Some(Locked),
        (Some(Locked), Action::Amend) => Some(Locked),
        _ => None,
    };
    to.ok_or_else(|| {
        let now = from.map(Status::zh).unwrap_or("未填报");
        DomainError::new(
            "status",
            format!("月报当前为“{now}”，不能“{}”。", action.zh()),
            format!(
                "A report that is {} cannot be {}.",
                from.map(Status::as_str).unwrap_or("missing"),
                action.as_str()
            ),
        )
    })
}

/// A warning kept with a report: shown to the reviewer, never blocking.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Flag {
    /// `overrun`, `no_change`, `photo_date`, `photo_far`, `month_over_plan`, `late`.
    pub code: String,
    /// Chinese text.
    pub zh: String,
    /// English text.
    pub en: String,
}

impl Flag {
    fn new(code: &str, zh: String, en: String) -> Flag {
        Flag {
            code: code.into(),
            zh,
            en,
        }
    }
}

/// What a photo says about itself.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PhotoFacts {
    /// File name as uploaded.
    pub name: String,
    /// Content hash (to compare with last month).
    pub hash: String,
    /// EXIF time taken.
    pub taken: Option<NaiveDateTime>,
    /// EXIF position (latitude, longitude in degrees).
    pub gps: Option<(f64, f64)>,
}

/// The figures and text a submitted report is checked on.
#[derive(Debug, Clone, Default)]
pub struct Submission<'a> {
    /// Period year.
    pub year: i32,
    /// Period month.
    pub month: u32,
    /// Investment completed this month (yuan).
    pub month_amount: i64,
    /// Completed since start before this month (yuan).
    pub before_since_start: i64,
    /// The project's total investment (yuan; 0 = unknown).
    pub total_investment: i64,
    /// This month's plan (yuan), if the plan has a breakdown.
    pub month_plan: Option<i64>,
    /// The unit's note on the figures.
    pub note: &'a str,
    /// Physical progress text.
    pub progress_text: &'a str,
    /// Photos.
    pub photos: &'a [PhotoFacts],
    /// Last month's progress text and photo hashes.
    pub last: Option<(&'a str, Vec<&'a str>)>,
    /// The project's location (latitude, longitude).
    pub location: Option<(f64, f64)>,
}

/// Checks a submission. Errors block; flags are kept with the report.
pub fn check(rule: &LightRule, s: &Submission) -> (Vec<DomainError>, Vec<Flag>) {
    let mut errors = Vec::new();
    let mut flags = Vec::new();
    if s.month_amount < 0 {
        errors.push(DomainError::new(
            "month_amount",
            format!("本月完成投资不能为负数（{} 万元）。", wan(s.month_amount)),
            format!(
                "This month's investment cannot be negative ({}).",
                wan(s.month_amount)
            ),
        ));
    }
    if s.progress_text.trim().is_empty() {
        errors.push(DomainError::new(
            "progress_text",
            "请填写形象进度。",
            "Describe the physical progress.",
        ));
    }
    let since_start = s.before_since_start + s.month_amount.max(0);
    if s.total_investment > 0 && since_start > s.total_investment {
        let zh = format!(
            "开工以来累计完成 {} 万元，超过总投资 {} 万元。",
            wan(since_start),
            wan(s.total_investment)
        );
        let en = format!(
            "Completed since start {} exceeds the total investment {}.",
            wan(since_start),
            wan(s.total_investment)
        );
        if rule.overrun == "block" {
            errors.push(DomainError::new(
                "month_amount",
                format!("{zh}请核实，或先调整项目总投资。"),
                format!("{en} Check it, or correct the total investment first."),
            ));
        } else {
            flags.push(Flag::new("overrun", zh, en));
        }
    }
    if rule.month_over_plan_factor > 0
        && let Some(plan) = s.month_plan.filter(|p| *p > 0)
        && i128::from(s.month_amount) > i128::from(plan) * i128::from(rule.month_over_plan_factor)
    {
        let zh = format!(
            "本月完成 {} 万元，超过本月计划 {} 万元的 {} 倍",
            wan(s.month_amount),
            wan(plan),
            rule.month_over_plan_factor
        );
        let en = format!(
            "This month's {} is more than {}× the monthly plan {}",
            wan(s.month_amount),
            rule.month_over_plan_factor,
            wan(plan)
        );
        if s.note.trim().is_empty() {
            errors.push(DomainError::new(
                "note",
                format!("{zh}，请在“说明”中写明原因。"),
                format!("{en}: explain why in the note."),
            ));
        } else {
            flags.push(Flag::new(
                "month_over_plan",
                format!("{zh}。"),
                format!("{en}."),
            ));
        }
    }
    if let Some((text, hashes)) = &s.last {
        let mine: Vec<&str> = s.photos.iter().map(|p| p.hash.as_str()).collect();
        let same_photos = !mine.is_empty() && mine.iter().all(|h| hashes.contains(h));
        if text.trim() == s.progress_text.trim() && (mine.is_empty() || same_photos) {
            flags.push(Flag::new(
                "no_change",
                "形象进度文字和照片与上月相同：无明显变化。".into(),
                "Progress text and photos are the same as last month: no visible change.".into(),
            ));
        }
    }
    for p in s.photos {
        if let Some(t) = p.taken {
            let d = t.date();
            if d.year() != s.year || d.month() != s.month {
                flags.push(Flag::new(
                    "photo_date",
                    format!(
                        "照片“{}”拍摄于 {}，不在 {} 年 {} 月内。",
                        p.name,
                        t.format("%Y-%m-%d"),
                        s.year,
                        s.month
                    ),
                    format!(
                        "Photo '{}' was taken on {}, outside {}-{:02}.",
                        p.name,
                        t.format("%Y-%m-%d"),
                        s.year,
                        s.month
                    ),
                ));
            }
        }
        if let (Some(g), Some(loc)) = (p.gps, s.location) {
            let m = distance_m(g, loc);
            if rule.photo_max_distance_m > 0 && m > rule.photo_max_distance_m as f64 {
                flags.push(Flag::new(
                    "photo_far",
                    format!(
                        "照片“{}”的拍摄位置距项目约 {:.1} 公里。",
                        p.name,
                        m / 1000.0
                    ),
                    format!(
                        "Photo '{}' was taken about {:.1} km from the project.",
                        p.name,
                        m / 1000.0
                    ),
                ));
            }
        }
    }
    (errors, flags)
}

/// Great-circle distance in metres between two (latitude, longitude) points.
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let r = 6_371_000.0_f64;
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * r * h.sqrt().asin()
}

/// One next step: what, by when.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Step {
    /// What will be done.
    pub what: String,
    /// By when.
    pub due: Option<NaiveDate>,
}

/// Parses next steps written one per line, each optionally ending in a date
/// (`完成主体封顶 2026-12-31`, `12月底前完成验收` keeps no date).
pub fn parse_steps(text: &str) -> Vec<Step> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (head, tail) = l.rsplit_once(char::is_whitespace).unwrap_or(("", l));
            match crate::project::parse_date(tail) {
                Some(d) if !head.trim().is_empty() => Step {
                    what: head.trim().to_string(),
                    due: Some(d),
                },
                _ => Step {
                    what: l.to_string(),
                    due: None,
                },
            }
        })
        .collect()
}

/// Next steps back to one line each.
pub fn steps_text(steps: &[Step]) -> String {
    steps
        .iter()
        .map(|s| match s.due {
            Some(d) => format!("{} {d}", s.what),
            None => s.what.clone(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_follows_the_allowed_transitions() {
        use Status::*;
        assert_eq!(next(None, Action::Save).unwrap(), Draft);
        assert_eq!(next(Some(Draft), Action::Submit).unwrap(), Submitted);
        assert_eq!(next(Some(Submitted), Action::Return).unwrap(), Returned);
        assert_eq!(next(Some(Returned), Action::Submit).unwrap(), Submitted);
        assert_eq!(next(Some(Submitted), Action::Approve).unwrap(), Approved);
        assert_eq!(next(Some(Approved), Action::Lock).unwrap(), Locked);
        assert_eq!(next(Some(Locked), Action::Amend).unwrap(), Locked);
        // Not allowed: editing a submitted report, approving a draft, amending an
        // unlocked one, returning a locked one.
        let e = next(Some(Submitted), Action::Save).unwrap_err();
        assert!(e.msg.zh.contains("已报送"), "{}", e.msg.zh);
        assert!(next(Some(Draft), Action::Approve).is_err());
        assert!(next(Some(Approved), Action::Amend).is_err());
        assert!(next(Some(Locked), Action::Return).is_err());
        assert!(next(None, Action::Lock).is_err());
        assert!(Action::Return.needs_reason() && Action::Amend.needs_reason());
        assert!(!Action::Submit.needs_reason());
        assert!(Submitted.counts() && Locked.counts() && !Draft.counts() && !Returned.counts());
    }

    fn sub<'a>(photos: &'a [PhotoFacts]) -> Submission<'a> {
        Submission {
            year: 2026,
            month: 10,
            month_amount: 1_000_000,
            before_since_start: 0,
            total_investment: 100_000_000,
            month_plan: Some(1_000_000),
            note: "",
            progress_text: "主体结构施工至 12 层",
            photos,
            last: None,
            location: Some((38.4872, 106.2309)),
        }
    }

    #[test]
    fn negative_amount_and_missing_text_are_refused() {
        let r = LightRule::yinchuan();
        let mut s = sub(&[]);
        s.month_amount = -5;
        s.progress_text = " ";
        let (e, _) = check(&r, &s);
        let fields: Vec<&str> = e.iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["month_amount", "progress_text"]);
    }

    #[test]
    fn overrun_warns_or_blocks_by_rule() {
        let mut r = LightRule::yinchuan();
        let mut s = sub(&[]);
        s.before_since_start = 99_500_000;
        let (e, f) = check(&r, &s);
        assert!(e.is_empty());
        assert_eq!(f[0].code, "overrun");
        assert!(
            f[0].zh.contains("10050.00") && f[0].zh.contains("10000.00"),
            "{}",
            f[0].zh
        );
        r.overrun = "block".into();
        let (e, _) = check(&r, &s);
        assert_eq!(e[0].field, "month_amount");
        // Exactly at the total is fine.
        s.before_since_start = 99_000_000;
        assert!(check(&r, &s).0.is_empty());
    }

    #[test]
    fn a_month_far_above_plan_needs_a_note() {
        let r = LightRule::yinchuan();
        let mut s = sub(&[]);
        s.month_amount = 3_010_000;
        let (e, _) = check(&r, &s);
        assert_eq!(e[0].field, "note");
        assert!(e[0].msg.zh.contains("3 倍"), "{}", e[0].msg.zh);
        s.note = "设备集中到货";
        let (e, f) = check(&r, &s);
        assert!(e.is_empty());
        assert_eq!(f[0].code, "month_over_plan");
        // Exactly 3× is allowed without a note.
        s.month_amount = 3_000_000;
        s.note = "";
        assert!(check(&r, &s).0.is_empty());
    }

    fn photo(name: &str, hash: &str, taken: &str, gps: Option<(f64, f64)>) -> PhotoFacts {
        PhotoFacts {
            name: name.into(),
            hash: hash.into(),
            taken: NaiveDateTime::parse_from_str(taken, "%Y-%m-%d %H:%M:%S").ok(),
            gps,
        }
    }

    #[test]
    fn same_text_and_photos_as_last_month_is_flagged() {
        let r = LightRule::yinchuan();
        let photos = [photo("a.jpg", "h1", "2026-10-05 10:00:00", None)];
        let mut s = sub(&photos);
        s.last = Some(("主体结构施工至 12 层", vec!["h1", "h0"]));
        let (_, f) = check(&r, &s);
        assert!(f.iter().any(|f| f.code == "no_change"));
        // A new photo is a visible change.
        let photos2 = [photo("b.jpg", "h2", "2026-10-05 10:00:00", None)];
        let mut s2 = sub(&photos2);
        s2.last = Some(("主体结构施工至 12 层", vec!["h1"]));
        assert!(!check(&r, &s2).1.iter().any(|f| f.code == "no_change"));
        // New text too.
        s.progress_text = "主体结构施工至 15 层";
        assert!(!check(&r, &s).1.iter().any(|f| f.code == "no_change"));
    }

    #[test]
    fn photo_date_and_place_are_checked() {
        let r = LightRule::yinchuan();
        let photos = [
            photo(
                "old.jpg",
                "h1",
                "2026-08-20 09:00:00",
                Some((38.4872, 106.2309)),
            ),
            photo(
                "far.jpg",
                "h2",
                "2026-10-20 09:00:00",
                Some((39.9042, 116.4074)),
            ),
            photo("ok.jpg", "h3", "2026-10-21 09:00:00", Some((38.49, 106.23))),
        ];
        let (e, f) = check(&r, &sub(&photos));
        assert!(e.is_empty());
        let codes: Vec<&str> = f.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(codes, vec!["photo_date", "photo_far"]);
        assert!(f[0].zh.contains("old.jpg") && f[0].zh.contains("2026-08-20"));
        assert!(f[1].zh.contains("far.jpg") && f[1].zh.contains("公里"));
    }

    #[test]
    fn distances() {
        // Yinchuan to Beijing is about 890 km.
        let d = distance_m((38.4872, 106.2309), (39.9042, 116.4074));
        assert!((850_000.0..930_000.0).contains(&d), "{d}");
        assert!(distance_m((38.0, 106.0), (38.0, 106.0)) < 1e-6);
    }

    #[test]
    fn steps_keep_their_dates() {
        let s = parse_steps("完成主体封顶 2026-12-31\n\n12月底前完成验收\n设备安装 2027年3月");
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].what, "完成主体封顶");
        assert_eq!(s[0].due, NaiveDate::from_ymd_opt(2026, 12, 31));
        assert_eq!(s[1].due, None);
        assert_eq!(s[2].due, NaiveDate::from_ymd_opt(2027, 3, 1));
        assert_eq!(parse_steps(&steps_text(&s)), s);
    }
}
