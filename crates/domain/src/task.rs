//! Supervised tasks (督查督办): issued from meeting decisions, leaders' instructions,
//! campaigns or by hand, with a lead unit, cooperating units, a deadline, a feedback
//! rhythm and the evidence required to close.
//!
//! Flow: issued → in progress (dated feedback entries) → completion claimed with
//! evidence → verified by the supervision office → closed; the office may instead
//! return it for more, with a reason (back to in progress).

use crate::DomainError;
use crate::problem::coded_enum;
use chrono::{Datelike, Days, Months, NaiveDate};

coded_enum! {
    /// Where a task came from.
    Source, "source", "任务来源" {
        Meeting = "meeting", "会议议定事项";
        Instruction = "instruction", "领导批示";
        Campaign = "campaign", "专项行动";
        Manual = "manual", "督查交办";
    }
}

coded_enum! {
    /// How often the lead unit reports back.
    Rhythm, "rhythm", "反馈频次" {
        Weekly = "weekly", "每周";
        Monthly = "monthly", "每月";
        OnClose = "none", "办结时反馈";
    }
}

impl Rhythm {
    /// The next feedback date after `last` (feedback or issue date).
    pub fn next_due(self, last: NaiveDate) -> Option<NaiveDate> {
        match self {
            Rhythm::Weekly => Some(last + Days::new(7)),
            Rhythm::Monthly => last.checked_add_months(Months::new(1)).or_else(|| {
                // 31 January + 1 month: the month's last day.
                NaiveDate::from_ymd_opt(last.year(), last.month() % 12 + 1, 1)
            }),
            Rhythm::OnClose => None,
        }
    }
}

coded_enum! {
    /// Where a task stands.
    Status, "status", "任务状态" {
        Issued = "issued", "已交办";
        InProgress = "in_progress", "办理中";
        Claimed = "claimed", "申请办结";
        Closed = "closed", "已办结";
    }
}

/// A step of the task flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A dated progress entry by the lead unit.
    Feedback,
    /// The lead unit claims completion with evidence.
    Claim,
    /// The supervision office verifies: closed.
    Verify,
    /// The supervision office returns it for more, with a reason.
    Return,
}

impl Action {
    /// Stored identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Feedback => "feedback",
            Action::Claim => "claim",
            Action::Verify => "verify",
            Action::Return => "return",
        }
    }
    /// Chinese label.
    pub fn zh(self) -> &'static str {
        match self {
            Action::Feedback => "反馈进展",
            Action::Claim => "申请办结",
            Action::Verify => "核验办结",
            Action::Return => "退回补充",
        }
    }
    /// Parses the identifier.
    pub fn parse(raw: &str) -> Option<Action> {
        [
            Action::Feedback,
            Action::Claim,
            Action::Verify,
            Action::Return,
        ]
        .into_iter()
        .find(|a| a.as_str() == raw.trim())
    }
}

/// The status after `action`, or why it is not possible now.
pub fn next(from: Status, action: Action) -> Result<Status, DomainError> {
    use Status::*;
    let to = match (from, action) {
        (Issued | InProgress, Action::Feedback) => Some(InProgress),
        (Issued | InProgress, Action::Claim) => Some(Claimed),
        (Claimed, Action::Verify) => Some(Closed),
        (Claimed, Action::Return) => Some(InProgress),
        _ => None,
    };
    to.ok_or_else(|| {
        let hint = match (from, action) {
            (Closed, _) => "任务已办结，不能再反馈或变更。",
            (Claimed, Action::Feedback | Action::Claim) => "已申请办结，等待督查室核验。",
            (_, Action::Verify | Action::Return) => "只有“申请办结”的任务可以核验或退回。",
            _ => "",
        };
        DomainError::new(
            "status",
            format!("任务当前为“{}”，不能“{}”。{hint}", from.zh(), action.zh()),
            format!(
                "A task that is {} cannot be given '{}'.",
                from.as_str(),
                action.as_str()
            ),
        )
    })
}

/// Whether a task is overdue on `today`, and by how many calendar days.
pub fn overdue_days(status: Status, deadline: NaiveDate, today: NaiveDate) -> i64 {
    if status == Status::Closed {
        0
    } else {
        (today - deadline).num_days().max(0)
    }
}

/// Checks the text of a step: feedback and claims need content, a return a reason.
pub fn check_text(action: Action, text: &str) -> Result<String, DomainError> {
    let t = text.trim();
    if t.chars().count() < 2 {
        let (zh, en) = match action {
            Action::Return => ("退回必须写明理由。", "A return needs a reason."),
            Action::Claim => (
                "申请办结须写明完成情况。",
                "A completion claim must say what was done.",
            ),
            _ => ("请填写反馈内容。", "Write the feedback."),
        };
        return Err(DomainError::new("text", zh, en));
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
    fn every_transition() {
        use Status::*;
        let allowed = [
            (Issued, Action::Feedback, InProgress),
            (InProgress, Action::Feedback, InProgress),
            (Issued, Action::Claim, Claimed),
            (InProgress, Action::Claim, Claimed),
            (Claimed, Action::Verify, Closed),
            (Claimed, Action::Return, InProgress),
        ];
        for (f, a, t) in allowed {
            assert_eq!(next(f, a).unwrap(), t);
        }
        let actions = [
            Action::Feedback,
            Action::Claim,
            Action::Verify,
            Action::Return,
        ];
        let mut refused = 0;
        for &f in Status::ALL {
            for a in actions {
                if allowed.iter().any(|x| x.0 == f && x.1 == a) {
                    continue;
                }
                assert!(next(f, a).is_err());
                refused += 1;
            }
        }
        assert_eq!(refused, 16 - 6);
        let e = next(Closed, Action::Feedback).unwrap_err();
        assert!(e.msg.zh.contains("已办结"), "{}", e.msg.zh);
    }

    #[test]
    fn rhythm_and_overdue() {
        assert_eq!(
            Rhythm::Weekly.next_due(d("2026-12-28")),
            Some(d("2027-01-04"))
        );
        assert_eq!(
            Rhythm::Monthly.next_due(d("2026-01-31")),
            Some(d("2026-02-28"))
        );
        assert_eq!(Rhythm::OnClose.next_due(d("2026-01-31")), None);
        assert_eq!(
            overdue_days(Status::InProgress, d("2026-11-30"), d("2026-12-02")),
            2
        );
        assert_eq!(
            overdue_days(Status::Closed, d("2026-11-30"), d("2026-12-02")),
            0
        );
        assert_eq!(check_text(Action::Return, " ").unwrap_err().field, "text");
        assert_eq!(Rhythm::parse("每周").unwrap(), Rhythm::Weekly);
    }
}
