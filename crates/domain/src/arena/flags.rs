//! Flags (红旗、黄旗、黑榜) by a stated rule, and the neighbours of a participant.

use super::{Milli, Score};
use std::collections::BTreeMap;

/// How flags are awarded for a quarter.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FlagRule {
    /// Top `red` get red flags, bottom `yellow` yellow flags. At a tied boundary every
    /// participant sharing the boundary rank gets the flag (stated rule).
    TopBottom {
        /// How many red flags.
        red: usize,
        /// How many yellow flags.
        yellow: usize,
    },
    /// 青岛: red for the top `red` and for anyone who climbed `climb` places or more
    /// since the previous period; yellow for the bottom `yellow`.
    Climb {
        /// Top places with a red flag.
        red: usize,
        /// Places climbed that also earn red.
        climb: usize,
        /// Bottom places with a yellow flag.
        yellow: usize,
    },
    /// 绵阳: red list = target met AND in the top `red`; black list = target missed AND in
    /// the bottom `black`.
    TwoCondition {
        /// Top places eligible for the red list.
        red: usize,
        /// Bottom places eligible for the black list.
        black: usize,
    },
}

impl Default for FlagRule {
    fn default() -> Self {
        FlagRule::TopBottom { red: 3, yellow: 3 }
    }
}

/// Awards flags to ranked scores. `previous_rank` gives last period's ranks (for
/// `climb`); `met_target` says who met their target (for `two_condition`). Red wins over
/// yellow when the field is so small that someone is both.
pub fn flags(
    scores: &mut [Score],
    rule: &FlagRule,
    previous_rank: &BTreeMap<String, usize>,
    met_target: &BTreeMap<String, bool>,
) {
    let n = scores.len();
    // The rank at position k (1-based) in rank order; a boundary tie includes all who share it.
    let mut ranks: Vec<usize> = scores.iter().map(|s| s.rank).collect();
    ranks.sort_unstable();
    let top_cut = |k: usize| (k > 0 && n > 0).then(|| ranks[k.min(n) - 1]);
    // Bottom k: everyone whose rank is at least the rank held at position n-k+1.
    let bottom_cut = |k: usize| (k > 0 && n > 0).then(|| ranks[n - k.min(n)]);
    for s in scores.iter_mut() {
        s.flag = None;
    }
    match rule {
        FlagRule::TopBottom { red, yellow } => {
            let (rc, yc) = (top_cut(*red), bottom_cut(*yellow));
            for s in scores.iter_mut() {
                if rc.is_some_and(|c| s.rank <= c) {
                    s.flag = Some("red".into());
                } else if yc.is_some_and(|c| s.rank >= c) {
                    s.flag = Some("yellow".into());
                }
            }
        }
        FlagRule::Climb { red, climb, yellow } => {
            let (rc, yc) = (top_cut(*red), bottom_cut(*yellow));
            for s in scores.iter_mut() {
                let climbed = previous_rank
                    .get(&s.code)
                    .is_some_and(|p| *p >= s.rank + climb);
                if rc.is_some_and(|c| s.rank <= c) || (*climb > 0 && climbed) {
                    s.flag = Some("red".into());
                } else if yc.is_some_and(|c| s.rank >= c) {
                    s.flag = Some("yellow".into());
                }
            }
        }
        FlagRule::TwoCondition { red, black } => {
            let (rc, bc) = (top_cut(*red), bottom_cut(*black));
            for s in scores.iter_mut() {
                let met = met_target.get(&s.code).copied().unwrap_or(false);
                if met && rc.is_some_and(|c| s.rank <= c) {
                    s.flag = Some("red".into());
                } else if !met && bc.is_some_and(|c| s.rank >= c) {
                    s.flag = Some("black".into());
                }
            }
        }
    }
}

/// The unit just ahead and just behind a participant and the points between them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Neighbours {
    /// (code, points ahead of this participant) of the nearest better-ranked participant.
    pub ahead: Option<(String, Milli)>,
    /// (code, points behind) of the nearest worse-ranked participant.
    pub behind: Option<(String, Milli)>,
}

/// Neighbours of `code` in ranked scores (标兵 and 追兵).
pub fn neighbours(scores: &[Score], code: &str) -> Option<Neighbours> {
    let me = scores.iter().find(|s| s.code == code)?;
    let ahead = scores
        .iter()
        .filter(|s| s.total > me.total)
        .min_by_key(|s| (s.total, s.code.clone()))
        .map(|s| (s.code.clone(), s.total - me.total));
    let behind = scores
        .iter()
        .filter(|s| s.total < me.total)
        .max_by(|a, b| a.total.cmp(&b.total).then(b.code.cmp(&a.code)))
        .map(|s| (s.code.clone(), me.total - s.total));
    Some(Neighbours { ahead, behind })
}
