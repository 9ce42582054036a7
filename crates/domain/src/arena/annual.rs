//! The annual leaderboard (年度积分榜): each participant's published monthly scores of a
//! year summed, ranked with competition ranks.

use super::{Milli, competition_ranks};
use std::collections::BTreeMap;

/// One participant on the annual leaderboard.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AnnualLine {
    /// Participant code.
    pub code: String,
    /// Its score in each month given, in order; `None` where it has no score that month
    /// (counted as zero in the total).
    pub months: Vec<Option<Milli>>,
    /// The sum, thousandths of a point.
    pub total: Milli,
    /// Competition rank of the total (1, 2, 2, 4).
    pub rank: usize,
}

/// Sums each participant's monthly totals (`months[i][code]`) and ranks the sums, best
/// first; equal sums share a rank and are listed by code. Participants in `codes` with
/// no score at all still appear, with zero. Saturating: never overflows.
pub fn annual_leaderboard(codes: &[String], months: &[BTreeMap<String, Milli>]) -> Vec<AnnualLine> {
    let mut all: Vec<String> = codes.to_vec();
    for m in months {
        all.extend(m.keys().cloned());
    }
    all.sort();
    all.dedup();
    let mut lines: Vec<AnnualLine> = all
        .into_iter()
        .map(|code| {
            let per: Vec<Option<Milli>> = months.iter().map(|m| m.get(&code).copied()).collect();
            let total = per
                .iter()
                .flatten()
                .fold(0i64, |acc, v| acc.saturating_add(*v));
            AnnualLine {
                code,
                months: per,
                total,
                rank: 0,
            }
        })
        .collect();
    let ranks = competition_ranks(&lines, |a, b| a.total > b.total);
    for (l, r) in lines.iter_mut().zip(ranks) {
        l.rank = r;
    }
    lines.sort_by(|a, b| a.rank.cmp(&b.rank).then_with(|| a.code.cmp(&b.code)));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(v: &[(&str, Milli)]) -> BTreeMap<String, Milli> {
        v.iter().map(|(k, m)| (k.to_string(), *m)).collect()
    }

    #[test]
    fn sums_months_and_ranks_ties_as_competition_ranks() {
        let codes: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
        let months = [
            month(&[("a", 90_000), ("b", 80_500), ("c", 85_000), ("d", 70_000)]),
            month(&[("a", 80_000), ("b", 89_500), ("c", 85_000)]),
        ];
        let l = annual_leaderboard(&codes, &months);
        let got: Vec<(&str, Milli, usize)> = l
            .iter()
            .map(|x| (x.code.as_str(), x.total, x.rank))
            .collect();
        assert_eq!(
            got,
            vec![
                ("a", 170_000, 1),
                ("b", 170_000, 1),
                ("c", 170_000, 1),
                ("d", 70_000, 4)
            ]
        );
        // d had no score in the second month: shown as missing, counted as zero.
        assert_eq!(l[3].months, vec![Some(70_000), None]);
    }

    #[test]
    fn order_of_participants_does_not_matter_and_nothing_overflows() {
        let a: Vec<String> = ["x", "y", "z"].iter().map(|s| s.to_string()).collect();
        let mut b = a.clone();
        b.reverse();
        let months = [
            month(&[("x", i64::MAX), ("y", 1)]),
            month(&[("x", i64::MAX), ("z", -5)]),
        ];
        assert_eq!(
            annual_leaderboard(&a, &months),
            annual_leaderboard(&b, &months)
        );
        let l = annual_leaderboard(&a, &months);
        assert_eq!(l[0].code, "x");
        assert_eq!(l[0].total, i64::MAX);
        assert_eq!(l[2].code, "z");
        assert_eq!(l[2].total, -5);
        // No months: everyone at zero, sharing rank 1.
        assert!(
            annual_leaderboard(&a, &[])
                .iter()
                .all(|x| x.total == 0 && x.rank == 1)
        );
    }
}
