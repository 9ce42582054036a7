//! Problems (问题清单) and rectification lists: tiers, the flow from raised to closed
//! (销号), working-day deadlines, escalation one tier up when a step is overdue, and
//! the "problems cleared" countdown (问题清零倒计时).
//!
//! Flow: raised → accepted (assigned) → replied (a solution plan, or the conditions under
//! which it can be solved, always with a date) → solved → verified by the raiser:
//! satisfied closes it, not satisfied reopens it (back to accepted, a new reply is due).
//! A problem solved at once may go from accepted straight to solved. The office may close
//! without verification only with a reason, and that closure is marked as an override.

use crate::DomainError;
use crate::calendar::Calendar;
use chrono::{Days, NaiveDate};

macro_rules! coded_enum {
    ($(#[$m:meta])* $name:ident, $field:literal, $what:literal { $($(#[$vm:meta])* $v:ident = $code:literal, $zh:literal;)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v,)* }
        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$v,)*];
            /// Stored identifier.
            pub fn as_str(self) -> &'static str { match self { $($name::$v => $code,)* } }
            /// Chinese label.
            pub fn zh(self) -> &'static str { match self { $($name::$v => $zh,)* } }
            /// Parses the identifier or the Chinese label.
            pub fn parse(raw: &str) -> Result<$name, DomainError> {
                let t = raw.trim();
                $name::ALL.iter().copied().find(|v| v.as_str() == t || v.zh() == t).ok_or_else(|| {
                    let known: Vec<&str> = $name::ALL.iter().map(|v| v.zh()).collect();
                    DomainError::new($field,
                        format!("{}“{t}”无效，可选：{}。", $what, known.join("、")),
                        format!("unknown {} '{t}'; use one of: {}", $field,
                            $name::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")))
                })
            }
        }
    };
}
pub(crate) use coded_enum;

coded_enum! {
    /// What a problem is about; the category decides the department of tier 2.
    Category, "category", "问题类别" {
        Land = "land", "用地";
        Funding = "funding", "资金";
        Permits = "permits", "审批手续";
        Environment = "environment", "环评";
        Demolition = "demolition", "征地拆迁";
        Utilities = "utilities", "水电气配套";
        Policy = "policy", "政策";
        Other = "other", "其他";
    }
}

coded_enum! {
    /// Where a problem came from. The last three make it a rectification item (整改清单).
    Source, "source", "问题来源" {
        Report = "report", "月报";
        Unit = "unit", "项目单位反映";
        Meeting = "meeting", "调度会";
        Inspection = "inspection", "督查检查";
        Audit = "audit", "审计";
        EnvInspection = "env_inspection", "环保督察";
    }
}

impl Source {
    /// Whether the item belongs on a rectification list rather than a problem list.
    pub fn is_rectification(self) -> bool {
        matches!(
            self,
            Source::Inspection | Source::Audit | Source::EnvInspection
        )
    }
}

coded_enum! {
    /// Who handles a problem: the division first, then the department, then the city.
    Tier, "tier", "层级" {
        Division = "division", "县区";
        Department = "department", "市直部门";
        City = "city", "市级领导";
    }
}

impl Tier {
    /// 1, 2 or 3 as stored.
    pub fn level(self) -> i64 {
        match self {
            Tier::Division => 1,
            Tier::Department => 2,
            Tier::City => 3,
        }
    }
    /// From the stored level.
    pub fn from_level(n: i64) -> Tier {
        match n {
            ..=1 => Tier::Division,
            2 => Tier::Department,
            _ => Tier::City,
        }
    }
    /// One tier up, if there is one.
    pub fn up(self) -> Option<Tier> {
        match self {
            Tier::Division => Some(Tier::Department),
            Tier::Department => Some(Tier::City),
            Tier::City => None,
        }
    }
}

coded_enum! {
    /// Where a problem stands.
    Status, "status", "问题状态" {
        Raised = "raised", "待受理";
        Accepted = "accepted", "已受理待答复";
        Replied = "replied", "已答复待解决";
        Solved = "solved", "已解决待验收";
        Closed = "closed", "已销号";
    }
}

impl Status {
    /// Whether the problem is still on the list.
    pub fn is_open(self) -> bool {
        self != Status::Closed
    }
}

coded_enum! {
    /// The kind of a reply: what will be done by when, or under what conditions.
    ReplyKind, "reply_kind", "答复类型" {
        Plan = "plan", "解决方案";
        Conditions = "conditions", "解决条件";
    }
}

/// A step of the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The handling unit accepts and assigns.
    Accept,
    /// The handler replies with a plan or conditions and a date.
    Reply,
    /// The handler reports it solved.
    Solve,
    /// The raiser is satisfied: closed (销号).
    Verify,
    /// The raiser is not satisfied: reopened.
    Reopen,
    /// The office closes without verification, with a reason (marked).
    Override,
    /// The office sends it to another tier or unit, with a reason.
    Reroute,
    /// Overdue: one tier up (done by the escalation job).
    Escalate,
}

impl Action {
    /// Stored identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Reply => "reply",
            Action::Solve => "solve",
            Action::Verify => "verify",
            Action::Reopen => "reopen",
            Action::Override => "override",
            Action::Reroute => "reroute",
            Action::Escalate => "escalate",
        }
    }
    /// Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            Action::Accept => "受理交办",
            Action::Reply => "答复",
            Action::Solve => "报告已解决",
            Action::Verify => "验收销号",
            Action::Reopen => "验收不通过",
            Action::Override => "强制销号",
            Action::Reroute => "改派",
            Action::Escalate => "逾期升级",
        }
    }
    /// Parses the identifier.
    pub fn parse(raw: &str) -> Option<Action> {
        [
            Action::Accept,
            Action::Reply,
            Action::Solve,
            Action::Verify,
            Action::Reopen,
            Action::Override,
            Action::Reroute,
            Action::Escalate,
        ]
        .into_iter()
        .find(|a| a.as_str() == raw.trim())
    }
}

/// The status after `action`, or why the action is not possible now.
pub fn next(from: Status, action: Action) -> Result<Status, DomainError> {
    use Status::*;
    let to = match (from, action) {
        (Raised, Action::Accept) => Some(Accepted),
        (Accepted, Action::Reply) => Some(Replied),
        (Accepted | Replied, Action::Solve) => Some(Solved),
        (Solved, Action::Verify) => Some(Closed),
        (Solved, Action::Reopen) => Some(Accepted),
        (Raised | Accepted | Replied | Solved, Action::Override) => Some(Closed),
        (Raised | Accepted | Replied, Action::Reroute | Action::Escalate) => Some(Raised),
        _ => None,
    };
    to.ok_or_else(|| {
        let hint = match action {
            Action::Verify | Action::Reopen => "只有“已解决待验收”的问题才能验收。",
            Action::Solve => "请先受理。",
            Action::Reply => "只有已受理、尚未答复的问题可以答复。",
            _ => "",
        };
        DomainError::new(
            "status",
            format!("问题当前为“{}”，不能“{}”。{hint}", from.zh(), action.zh()),
            format!(
                "A problem that is {} cannot be given '{}'.",
                from.as_str(),
                action.as_str()
            ),
        )
    })
}

/// Closing needs the raiser's verification; the office's override needs a reason.
pub fn check_override_reason(reason: &str) -> Result<(), DomainError> {
    if reason.trim().chars().count() < 4 {
        return Err(DomainError::new(
            "reason",
            "未经提出单位验收的强制销号必须写明理由（至少 4 个字），并将标注为“强制销号”。",
            "Closing without the raiser's verification needs a reason (at least 4 characters); it is marked as an override.",
        ));
    }
    Ok(())
}

/// A reply: what is needed, always with a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Plan or conditions.
    pub kind: ReplyKind,
    /// The text of the reply.
    pub text: String,
    /// The date it will be solved by (plan) or the conditions met by (conditions).
    pub by: NaiveDate,
}

/// Checks a reply: text present, a date given and not before `today`.
pub fn check_reply(
    kind: &str,
    text: &str,
    by: Option<&str>,
    today: NaiveDate,
) -> Result<Reply, DomainError> {
    let kind = ReplyKind::parse(if kind.trim().is_empty() { "plan" } else { kind })?;
    let text = text.trim();
    if text.is_empty() {
        return Err(DomainError::new(
            "reply_text",
            "请写明答复内容：解决方案，或在什么条件下能够解决。",
            "Write the reply: the plan, or the conditions under which it can be solved.",
        ));
    }
    let raw = by.map(str::trim).unwrap_or("");
    if raw.is_empty() {
        return Err(DomainError::new(
            "reply_by",
            "答复必须写明解决时限（日期）：不能解决的也要说明在什么条件下、什么时候能解决。",
            "A reply needs a date: by when it will be solved, or by when its conditions will be met.",
        ));
    }
    let by = crate::project::parse_date(raw).ok_or_else(|| {
        DomainError::new(
            "reply_by",
            format!("解决时限“{raw}”不是日期，请写成 2026-12-31。"),
            format!("'{raw}' is not a date (write 2026-12-31)"),
        )
    })?;
    if by < today {
        return Err(DomainError::new(
            "reply_by",
            format!("解决时限 {by} 早于今天（{today}）。"),
            format!("The date {by} is before today ({today})."),
        ));
    }
    Ok(Reply {
        kind,
        text: text.to_string(),
        by,
    })
}

/// Deadlines of the steps in working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Policy {
    /// Working days to accept a raised problem (default 1).
    pub accept_days: u32,
    /// Working days to reply once accepted (default 3).
    pub reply_days: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            accept_days: 1,
            reply_days: 3,
        }
    }
}

impl Policy {
    /// A policy set by an admin: 1–10 working days to accept, 1–30 to reply.
    pub fn checked(accept_days: &str, reply_days: &str) -> Result<Policy, DomainError> {
        let parse = |field: &'static str, label: &str, raw: &str, max: u32| {
            raw.trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| {
                    DomainError::new(
                        field,
                        format!(
                            "{label}应为 1 到 {max} 之间的整数（工作日），而不是“{}”。",
                            raw.trim()
                        ),
                        format!("{field} must be a whole number of working days from 1 to {max}"),
                    )
                })
        };
        Ok(Policy {
            accept_days: parse("accept_days", "受理时限", accept_days, 10)?,
            reply_days: parse("reply_days", "答复时限", reply_days, 30)?,
        })
    }
}

/// The deadline of the current step: accept within `accept_days` working days of
/// entering it, reply within `reply_days`, solve by the replied date. A solved problem
/// waits for the raiser and has no handler deadline; a closed one has none.
pub fn deadline(
    status: Status,
    since: NaiveDate,
    promised: Option<NaiveDate>,
    cal: &Calendar,
    policy: Policy,
) -> Option<NaiveDate> {
    match status {
        Status::Raised => Some(cal.add_working_days(since, policy.accept_days)),
        Status::Accepted => Some(cal.add_working_days(since, policy.reply_days)),
        Status::Replied => promised,
        Status::Solved | Status::Closed => None,
    }
}

/// Calendar days past the deadline (0 when not overdue or no deadline).
pub fn overdue_days(deadline: Option<NaiveDate>, today: NaiveDate) -> i64 {
    deadline.map_or(0, |d| (today - d).num_days().max(0))
}

/// One escalation the job must perform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Escalation {
    /// The tier it goes to.
    pub to: Tier,
    /// The day it escalates: the day after the missed deadline.
    pub on: NaiveDate,
    /// The missed deadline.
    pub missed: NaiveDate,
    /// The new step's deadline (accept at the new tier).
    pub deadline: NaiveDate,
}

/// What the escalation job does with one open problem on `today`: escalate one tier up
/// the day after each missed deadline, catching up after downtime (a problem overdue
/// at the division for two weeks goes to the department and, if the department's
/// acceptance deadline has passed too, on to the city). Empty when nothing is overdue
/// or the problem is already at the city tier (it stays overdue and is reported).
pub fn escalations(
    tier: Tier,
    deadline: Option<NaiveDate>,
    today: NaiveDate,
    cal: &Calendar,
    policy: Policy,
) -> Vec<Escalation> {
    let mut out = Vec::new();
    let (mut tier, mut due) = (tier, deadline);
    while let (Some(d), Some(up)) = (due, tier.up()) {
        if d >= today {
            break;
        }
        let on = d + Days::new(1);
        let next_due = cal.add_working_days(on, policy.accept_days);
        out.push(Escalation {
            to: up,
            on,
            missed: d,
            deadline: next_due,
        });
        tier = up;
        due = Some(next_due);
    }
    out
}

/// The "problems cleared" countdown of a project: the date by which its list must be
/// empty (the latest deadline of its open problems) and the days left from `today`
/// (negative when past). `None` when no open problem has a deadline.
pub fn clear_by(
    deadlines: impl IntoIterator<Item = Option<NaiveDate>>,
    today: NaiveDate,
) -> Option<(NaiveDate, i64)> {
    deadlines
        .into_iter()
        .flatten()
        .max()
        .map(|d| (d, (d - today).num_days()))
}

/// The median of whole numbers (the lower middle for even counts); `None` when empty.
pub fn median(mut v: Vec<i64>) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    Some(v[(v.len() - 1) / 2])
}

/// Checks the free text of a new problem.
pub fn check_description(description: &str) -> Result<String, DomainError> {
    let t = description.trim();
    if t.chars().count() < 4 {
        return Err(DomainError::new(
            "description",
            "请写明问题内容（至少 4 个字）。",
            "Describe the problem (at least 4 characters).",
        ));
    }
    if t.chars().count() > 2000 {
        return Err(DomainError::new(
            "description",
            "问题内容不能超过 2000 字。",
            "The description may not exceed 2000 characters.",
        ));
    }
    Ok(t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn every_allowed_transition() {
        use Status::*;
        let allowed = [
            (Raised, Action::Accept, Accepted),
            (Accepted, Action::Reply, Replied),
            (Accepted, Action::Solve, Solved),
            (Replied, Action::Solve, Solved),
            (Solved, Action::Verify, Closed),
            (Solved, Action::Reopen, Accepted),
            (Raised, Action::Override, Closed),
            (Accepted, Action::Override, Closed),
            (Replied, Action::Override, Closed),
            (Solved, Action::Override, Closed),
            (Raised, Action::Reroute, Raised),
            (Accepted, Action::Reroute, Raised),
            (Replied, Action::Reroute, Raised),
            (Raised, Action::Escalate, Raised),
            (Accepted, Action::Escalate, Raised),
            (Replied, Action::Escalate, Raised),
        ];
        for (from, a, to) in allowed {
            assert_eq!(next(from, a).unwrap(), to, "{from:?} {a:?}");
        }
        // Everything else is refused with a message naming the status.
        let actions = [
            Action::Accept,
            Action::Reply,
            Action::Solve,
            Action::Verify,
            Action::Reopen,
            Action::Override,
            Action::Reroute,
            Action::Escalate,
        ];
        let mut refused = 0;
        for &from in Status::ALL {
            for a in actions {
                if allowed.iter().any(|(f, x, _)| *f == from && *x == a) {
                    continue;
                }
                let e = next(from, a).unwrap_err();
                assert_eq!(e.field, "status");
                assert!(e.msg.zh.contains(from.zh()), "{}", e.msg.zh);
                refused += 1;
            }
        }
        assert_eq!(refused, 5 * 8 - allowed.len());
        // Closing needs verification: nothing but verify or override reaches closed.
        for a in actions {
            if let Ok(Closed) = next(Replied, a) {
                assert_eq!(a, Action::Override);
            }
        }
    }

    #[test]
    fn reopening_goes_back_to_the_handler() {
        let s = next(Status::Solved, Action::Reopen).unwrap();
        assert_eq!(s, Status::Accepted);
        // A new reply is then due within the reply deadline.
        let cal = Calendar::shipped();
        assert_eq!(
            deadline(s, d("2026-11-27"), None, &cal, Policy::default()),
            Some(d("2026-12-02"))
        );
        assert!(next(s, Action::Reply).is_ok());
        assert!(next(Status::Closed, Action::Reopen).is_err());
    }

    #[test]
    fn policy_bounds() {
        assert_eq!(
            Policy::checked("2", "5").unwrap(),
            Policy {
                accept_days: 2,
                reply_days: 5
            }
        );
        assert_eq!(Policy::checked("0", "5").unwrap_err().field, "accept_days");
        assert_eq!(Policy::checked("1", "三").unwrap_err().field, "reply_days");
        assert_eq!(Policy::checked("1", "31").unwrap_err().field, "reply_days");
    }

    #[test]
    fn override_needs_a_reason() {
        assert!(check_override_reason("  ").is_err());
        assert!(check_override_reason("企业已注销，无需解决").is_ok());
    }

    #[test]
    fn replies_need_text_and_a_date_not_in_the_past() {
        let today = d("2026-12-02");
        let e = check_reply("plan", "协调供电公司增容", None, today).unwrap_err();
        assert_eq!(e.field, "reply_by");
        let e = check_reply("plan", "协调供电公司增容", Some(" "), today).unwrap_err();
        assert_eq!(e.field, "reply_by");
        let e = check_reply("plan", "协调", Some("下个月"), today).unwrap_err();
        assert_eq!(e.field, "reply_by");
        let e = check_reply("plan", "协调", Some("2026-12-01"), today).unwrap_err();
        assert!(e.msg.zh.contains("早于今天"));
        let e = check_reply("plan", "", Some("2026-12-20"), today).unwrap_err();
        assert_eq!(e.field, "reply_text");
        assert_eq!(
            check_reply("maybe", "x", Some("2026-12-20"), today)
                .unwrap_err()
                .field,
            "reply_kind"
        );
        let r = check_reply("解决条件", "用地指标下达后", Some("2027年3月1日"), today).unwrap();
        assert_eq!(r.kind, ReplyKind::Conditions);
        assert_eq!(r.by, d("2027-03-01"));
    }

    #[test]
    fn deadlines_count_working_days_across_spring_festival() {
        let cal = Calendar::shipped();
        let p = Policy::default();
        // Raised on Friday 2026-02-13: the next working day is the make-up Saturday 02-14.
        assert_eq!(
            deadline(Status::Raised, d("2026-02-13"), None, &cal, p),
            Some(d("2026-02-14"))
        );
        // Accepted on 02-14: reply within 3 working days skips 02-15..02-23 (holiday).
        assert_eq!(
            deadline(Status::Accepted, d("2026-02-14"), None, &cal, p),
            Some(d("2026-02-26"))
        );
        // Accepted on Wednesday 2026-02-25: Thursday, Friday, then the make-up Saturday 02-28.
        assert_eq!(
            deadline(Status::Accepted, d("2026-02-25"), None, &cal, p),
            Some(d("2026-02-28"))
        );
        // 2025 Spring Festival: make-up Sunday 2025-01-26, holiday 01-28..02-04, make-up Saturday 02-08.
        assert_eq!(
            deadline(Status::Raised, d("2025-01-25"), None, &cal, p),
            Some(d("2025-01-26"))
        );
        assert_eq!(
            deadline(Status::Accepted, d("2025-01-27"), None, &cal, p),
            Some(d("2025-02-07"))
        );
    }

    #[test]
    fn deadlines_count_working_days_across_national_day() {
        let cal = Calendar::shipped();
        let p = Policy::default();
        // 2026: holiday 10-01..10-07, make-up Saturday 10-10.
        assert_eq!(
            deadline(Status::Raised, d("2026-09-30"), None, &cal, p),
            Some(d("2026-10-08"))
        );
        assert_eq!(
            deadline(Status::Accepted, d("2026-09-30"), None, &cal, p),
            Some(d("2026-10-10"))
        );
        // 2025: make-up Sunday 09-28, holiday 10-01..10-08, make-up Saturday 10-11.
        assert_eq!(
            deadline(Status::Raised, d("2025-09-27"), None, &cal, p),
            Some(d("2025-09-28"))
        );
        assert_eq!(
            deadline(Status::Accepted, d("2025-09-30"), None, &cal, p),
            Some(d("2025-10-11"))
        );
        // A plain calendar would have put it on 10-03.
        assert_eq!(
            deadline(
                Status::Accepted,
                d("2025-09-30"),
                None,
                &Calendar::plain(),
                p
            ),
            Some(d("2025-10-03"))
        );
        // A replied problem is due on its promised date; solved and closed have none.
        assert_eq!(
            deadline(
                Status::Replied,
                d("2025-09-30"),
                Some(d("2025-12-31")),
                &cal,
                p
            ),
            Some(d("2025-12-31"))
        );
        assert_eq!(
            deadline(Status::Solved, d("2025-09-30"), None, &cal, p),
            None
        );
    }

    #[test]
    fn escalation_waits_for_the_day_after_the_deadline() {
        let cal = Calendar::shipped();
        let p = Policy::default();
        let due = Some(d("2026-12-03"));
        assert!(escalations(Tier::Division, due, d("2026-12-02"), &cal, p).is_empty());
        assert!(escalations(Tier::Division, due, d("2026-12-03"), &cal, p).is_empty());
        let e = escalations(Tier::Division, due, d("2026-12-04"), &cal, p);
        assert_eq!(
            e,
            vec![Escalation {
                to: Tier::Department,
                on: d("2026-12-04"),
                missed: d("2026-12-03"),
                deadline: d("2026-12-07"),
            }]
        );
        // The city tier cannot go higher.
        assert!(escalations(Tier::City, due, d("2027-01-30"), &cal, p).is_empty());
        // No deadline, nothing to escalate.
        assert!(escalations(Tier::Division, None, d("2027-01-30"), &cal, p).is_empty());
    }

    #[test]
    fn escalation_catches_up_after_downtime() {
        let cal = Calendar::shipped();
        let p = Policy::default();
        // Missed on 2026-09-29; the server was down over National Day.
        let e = escalations(
            Tier::Division,
            Some(d("2026-09-29")),
            d("2026-10-12"),
            &cal,
            p,
        );
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].to, Tier::Department);
        assert_eq!(e[0].on, d("2026-09-30"));
        assert_eq!(e[0].deadline, d("2026-10-08"));
        assert_eq!(e[1].to, Tier::City);
        assert_eq!(e[1].on, d("2026-10-09"));
        assert_eq!(e[1].deadline, d("2026-10-10"));
        // Down for one day only: one step.
        let e = escalations(
            Tier::Division,
            Some(d("2026-09-29")),
            d("2026-10-01"),
            &cal,
            p,
        );
        assert_eq!(e.len(), 1);
    }

    #[test]
    fn countdown_and_overdue_days() {
        let today = d("2026-12-02");
        assert_eq!(
            clear_by([Some(d("2026-12-10")), None, Some(d("2026-12-31"))], today),
            Some((d("2026-12-31"), 29))
        );
        assert_eq!(clear_by([None, None], today), None);
        assert_eq!(
            clear_by([Some(d("2026-11-30"))], today),
            Some((d("2026-11-30"), -2))
        );
        assert_eq!(overdue_days(Some(d("2026-11-30")), today), 2);
        assert_eq!(overdue_days(Some(d("2026-12-30")), today), 0);
        assert_eq!(overdue_days(None, today), 0);
        assert_eq!(median(vec![5, 1, 3, 2]), Some(2));
        assert_eq!(median(vec![]), None);
    }

    #[test]
    fn codes_parse_in_both_languages() {
        assert_eq!(Category::parse("用地").unwrap(), Category::Land);
        assert_eq!(Category::parse("utilities").unwrap(), Category::Utilities);
        let e = Category::parse("天气").unwrap_err();
        assert!(e.msg.zh.contains("用地"), "{}", e.msg.zh);
        assert!(Source::Audit.is_rectification());
        assert!(!Source::Report.is_rectification());
        assert_eq!(Tier::from_level(Tier::City.level()), Tier::City);
        assert_eq!(Tier::Department.up(), Some(Tier::City));
        assert!(check_description("停").is_err());
    }
}
