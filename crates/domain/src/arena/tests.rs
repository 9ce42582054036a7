//! Golden tables and property tests of the scoring engine.

use super::*;
use proptest::prelude::*;

fn ind(code: &str, w: i64, method: Method, dir: Direction) -> Indicator {
    Indicator {
        code: code.into(),
        name: code.into(),
        unit: String::new(),
        direction: dir,
        weight: w,
        method,
    }
}

fn inputs(rows: &[(&str, &str, i64, Option<i64>)]) -> BTreeMap<String, BTreeMap<String, Input>> {
    let mut m: BTreeMap<String, BTreeMap<String, Input>> = BTreeMap::new();
    for (p, i, v, t) in rows {
        m.entry((*p).into()).or_default().insert(
            (*i).into(),
            Input {
                value: *v,
                target: *t,
            },
        );
    }
    m
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn golden_ratio_with_cap() {
    // 30 points, cap 120 %: 9,000/10,000 → 27.000; 15,000/10,000 → capped 36.000;
    // 0 → 0; no target → 0.
    let i = ind("inv", 30, Method::Ratio { cap_pct: 120 }, Direction::Higher);
    let s = score(
        &names(&["a", "b", "c", "d"]),
        &[i],
        &inputs(&[
            ("a", "inv", 9_000, Some(10_000)),
            ("b", "inv", 15_000, Some(10_000)),
            ("c", "inv", 0, Some(10_000)),
            ("d", "inv", 5_000, None),
        ]),
        &[],
    );
    let t: Vec<(&str, Milli, usize)> = s
        .iter()
        .map(|x| (x.code.as_str(), x.total, x.rank))
        .collect();
    assert_eq!(
        t,
        [("b", 36_000, 1), ("a", 27_000, 2), ("c", 0, 3), ("d", 0, 3)]
    );
    assert!(
        s[1].components[0].formula.contains("27.00"),
        "{}",
        s[1].components[0].formula
    );
}

#[test]
fn golden_linear_efficacy_coefficient() {
    // 20 points, floor 50 (60 %), ceiling 100: 75 → 12 + 8 × 0.5 = 16; 40 → 0; 120 → 20.
    let i = ind(
        "rate",
        20,
        Method::Linear {
            floor: 50,
            ceiling: 100,
            base_pct: 60,
        },
        Direction::Higher,
    );
    let s = score(
        &names(&["a", "b", "c", "d"]),
        &[i],
        &inputs(&[
            ("a", "rate", 75, None),
            ("b", "rate", 40, None),
            ("c", "rate", 120, None),
            ("d", "rate", 50, None),
        ]),
        &[],
    );
    let t: BTreeMap<&str, Milli> = s.iter().map(|x| (x.code.as_str(), x.total)).collect();
    assert_eq!(t["a"], 16_000);
    assert_eq!(t["b"], 0);
    assert_eq!(t["c"], 20_000);
    assert_eq!(t["d"], 12_000);
}

#[test]
fn golden_rank_steps_completion_and_adjustments() {
    let rank = ind(
        "r",
        10,
        Method::Rank {
            points: vec![10, 8, 6],
        },
        Direction::Higher,
    );
    let steps = ind(
        "s",
        10,
        Method::Steps {
            steps: vec![(90, 10), (60, 6), (80, 8)],
        },
        Direction::Higher,
    );
    let yan = ind(
        "y",
        72,
        Method::Completion { k: 60, cap: 72 },
        Direction::Higher,
    );
    let s = score(
        &names(&["a", "b", "c", "d"]),
        &[rank, steps, yan],
        &inputs(&[
            ("a", "r", 5, None),
            ("b", "r", 5, None),
            ("c", "r", 3, None),
            ("d", "r", 1, None),
            ("a", "s", 85, None),
            ("b", "s", 59, None),
            ("c", "s", 90, None),
            ("d", "s", 60, None),
            ("a", "y", 8, Some(10)),
            ("b", "y", 15, Some(10)),
            ("c", "y", 10, Some(10)),
            ("d", "y", 0, Some(10)),
        ]),
        &[Adjustment {
            participant: "d".into(),
            milli: -2_500,
            reason: "安全生产事故".into(),
        }],
    );
    let t: BTreeMap<&str, Milli> = s.iter().map(|x| (x.code.as_str(), x.total)).collect();
    // a: rank tie 1st → 10; steps 85 → 8; 60 × 8/10 = 48 → 66.
    assert_eq!(t["a"], 66_000);
    // b: 10; 59 → 0; 60 × 1.5 = 90 capped 72 → 82.
    assert_eq!(t["b"], 82_000);
    let y = s.iter().find(|x| x.code == "a").unwrap().components[2]
        .formula
        .clone();
    assert!(
        y.starts_with("y：60 × 完成 8 ÷ 计划 10（最多 72 分）= 48.00 分"),
        "{y}"
    );
    // c: rank 3 → 6; 90 → 10; 60 → 76.
    assert_eq!(t["c"], 76_000);
    // d: rank 4 → last entry 6; 60 → 6; 0; −2.5 → 9.5.
    assert_eq!(t["d"], 9_500);
    assert_eq!(s.iter().map(|x| x.rank).collect::<Vec<_>>(), [1, 2, 3, 4]);
    assert_eq!(points_text(9_500), "9.50");
    assert_eq!(points_text(-2_505), "-2.51");
}

#[test]
fn points_parse() {
    assert_eq!(parse_points("2"), Some(2000));
    assert_eq!(parse_points("-1.5"), Some(-1500));
    assert_eq!(parse_points(".25"), Some(250));
    assert_eq!(parse_points("1.2345"), None);
    assert_eq!(parse_points("abc"), None);
    assert_eq!(parse_points(""), None);
    assert_eq!(parse_points("99999999999999999"), None);
}

#[test]
fn values_are_shown_in_their_unit() {
    let mut i = ind("inv", 10, Method::Ratio { cap_pct: 100 }, Direction::Higher);
    i.unit = "万元".into();
    assert_eq!(show_value(&i, 123_456_700), "12,345.67 万元");
    i.unit = "户".into();
    assert_eq!(show_value(&i, 1_234_567), "1,234,567 户");
    i.unit = String::new();
    assert_eq!(show_value(&i, -1000), "-1,000");
}

#[test]
fn lower_is_better() {
    let i = ind("late", 10, Method::Ratio { cap_pct: 100 }, Direction::Lower);
    let s = score(
        &names(&["a", "b", "c"]),
        &[i],
        &inputs(&[
            ("a", "late", 2, Some(4)),
            ("b", "late", 8, Some(4)),
            ("c", "late", 0, Some(4)),
        ]),
        &[],
    );
    let t: BTreeMap<&str, Milli> = s.iter().map(|x| (x.code.as_str(), x.total)).collect();
    assert_eq!((t["a"], t["b"], t["c"]), (10_000, 5_000, 10_000));
}

fn ranked(totals: &[(&str, Milli)]) -> Vec<Score> {
    let mut v: Vec<Score> = totals
        .iter()
        .map(|(c, t)| Score {
            code: (*c).into(),
            total: *t,
            rank: 0,
            flag: None,
            components: vec![],
            adjustments: vec![],
        })
        .collect();
    let r = competition_ranks(&v, |a, b| a.total > b.total);
    for (s, r) in v.iter_mut().zip(r) {
        s.rank = r;
    }
    v
}

fn flag_of(v: &[Score]) -> Vec<(String, Option<String>)> {
    v.iter().map(|s| (s.code.clone(), s.flag.clone())).collect()
}

#[test]
fn golden_flags_top_bottom_with_ties_at_the_boundary() {
    // Ranks 1, 2, 2, 4, 5, 5: two red flags go to ranks 1 and both 2s (tie at the
    // boundary); one yellow to both rank-5s.
    let mut v = ranked(&[
        ("a", 90),
        ("b", 80),
        ("c", 80),
        ("d", 70),
        ("e", 60),
        ("f", 60),
    ]);
    assert_eq!(
        v.iter().map(|s| s.rank).collect::<Vec<_>>(),
        [1, 2, 2, 4, 5, 5]
    );
    flags(
        &mut v,
        &FlagRule::TopBottom { red: 2, yellow: 1 },
        &BTreeMap::new(),
        &BTreeMap::new(),
    );
    let f = flag_of(&v);
    assert_eq!(
        f.iter().filter(|x| x.1.as_deref() == Some("red")).count(),
        3
    );
    assert_eq!(
        f.iter()
            .filter(|x| x.1.as_deref() == Some("yellow"))
            .map(|x| x.0.as_str())
            .collect::<Vec<_>>(),
        ["e", "f"]
    );
    assert_eq!(f[3].1, None);
}

#[test]
fn golden_flags_climb_and_two_conditions() {
    let mut v = ranked(&[("a", 90), ("b", 80), ("c", 70), ("d", 60), ("e", 50)]);
    let prev: BTreeMap<String, usize> = [("a", 1), ("b", 2), ("c", 5), ("d", 3), ("e", 4)]
        .iter()
        .map(|(c, r)| ((*c).into(), *r))
        .collect();
    flags(
        &mut v,
        &FlagRule::Climb {
            red: 1,
            climb: 2,
            yellow: 1,
        },
        &prev,
        &BTreeMap::new(),
    );
    // a top; c climbed from 5 to 3; e bottom.
    assert_eq!(
        flag_of(&v)
            .iter()
            .map(|x| x.1.clone().unwrap_or_default())
            .collect::<Vec<_>>(),
        ["red", "", "red", "", "yellow"]
    );
    let met: BTreeMap<String, bool> = [
        ("a", true),
        ("b", false),
        ("c", true),
        ("d", false),
        ("e", true),
    ]
    .iter()
    .map(|(c, m)| ((*c).into(), *m))
    .collect();
    flags(
        &mut v,
        &FlagRule::TwoCondition { red: 2, black: 2 },
        &BTreeMap::new(),
        &met,
    );
    // Red: met AND top 2 → a (b missed). Black: missed AND bottom 2 → d (e met).
    assert_eq!(
        flag_of(&v)
            .iter()
            .map(|x| x.1.clone().unwrap_or_default())
            .collect::<Vec<_>>(),
        ["red", "", "", "black", ""]
    );
}

#[test]
fn neighbours_and_empty_fields() {
    let v = ranked(&[("a", 90_000), ("b", 80_000), ("c", 80_000), ("d", 70_500)]);
    let n = neighbours(&v, "b").unwrap();
    assert_eq!(n.ahead, Some(("a".into(), 10_000)));
    assert_eq!(n.behind, Some(("d".into(), 9_500)));
    assert_eq!(neighbours(&v, "a").unwrap().ahead, None);
    assert!(neighbours(&v, "zz").is_none());
    // No participants, no indicators, no inputs: no panic.
    assert!(score(&[], &[], &BTreeMap::new(), &[]).is_empty());
    let mut none: Vec<Score> = vec![];
    flags(
        &mut none,
        &FlagRule::default(),
        &BTreeMap::new(),
        &BTreeMap::new(),
    );
    let i = ind("x", 10, Method::Ratio { cap_pct: 120 }, Direction::Higher);
    let s = score(&names(&["a"]), &[i], &BTreeMap::new(), &[]);
    assert_eq!(s[0].total, 0);
}

#[test]
fn periods() {
    for (raw, key, end, flags) in [
        ("2026-10", "2026-10", 10, false),
        ("2026-q3", "2026-Q3", 9, true),
        ("2026-H1", "2026-H1", 6, true),
        ("2026", "2026", 12, true),
    ] {
        let p = Period::parse(raw).unwrap();
        assert_eq!(
            (p.key().as_str(), p.end_month(), p.has_flags()),
            (key, end, flags)
        );
    }
    assert_eq!(
        Period::parse("2026-Q1").unwrap().previous().unwrap().key(),
        "2025-Q4"
    );
    for bad in ["2026-13", "2026-Q5", "26-01", "2026-H3", ""] {
        assert_eq!(Period::parse(bad).unwrap_err().field, "period", "{bad}");
    }
}

#[test]
fn indicator_checks() {
    let ok = ind("a", 10, Method::Ratio { cap_pct: 100 }, Direction::Higher);
    assert!(check_indicators(std::slice::from_ref(&ok)).is_ok());
    assert!(check_indicators(&[ok.clone(), ok.clone()]).is_err());
    assert!(
        check_indicators(&[ind(
            "b",
            0,
            Method::Ratio { cap_pct: 100 },
            Direction::Higher
        )])
        .is_err()
    );
    assert!(
        check_indicators(&[ind(
            "c",
            5,
            Method::Linear {
                floor: 5,
                ceiling: 5,
                base_pct: 60
            },
            Direction::Higher
        )])
        .is_err()
    );
}

fn any_method() -> impl Strategy<Value = Method> {
    prop_oneof![
        (0i64..300).prop_map(|cap_pct| Method::Ratio { cap_pct }),
        (-1000i64..1000, 1i64..2000, 0i64..100).prop_map(|(floor, span, base_pct)| {
            Method::Linear {
                floor,
                ceiling: floor + span,
                base_pct,
            }
        }),
        proptest::collection::vec(0i64..50, 1..5).prop_map(|points| Method::Rank { points }),
        proptest::collection::vec((-1000i64..1000, 0i64..50), 1..5)
            .prop_map(|steps| Method::Steps { steps }),
        (0i64..100, 0i64..150).prop_map(|(k, cap)| Method::Completion { k, cap }),
    ]
}

type Case = (Vec<Indicator>, Vec<(i64, Option<i64>)>, usize);

fn any_case() -> impl Strategy<Value = Case> {
    (
        proptest::collection::vec((any_method(), 1i64..100, any::<bool>()), 1..4),
        2usize..7,
    )
        .prop_flat_map(|(inds, n)| {
            let k = inds.len();
            (
                Just(
                    inds.into_iter()
                        .enumerate()
                        .map(|(i, (m, w, up))| {
                            ind(
                                &format!("i{i}"),
                                w,
                                m,
                                if up {
                                    Direction::Higher
                                } else {
                                    Direction::Lower
                                },
                            )
                        })
                        .collect::<Vec<_>>(),
                ),
                proptest::collection::vec(
                    (
                        any::<i64>().prop_map(|v| v % 1_000_000_000_000),
                        proptest::option::of(-10i64..1_000_000_000),
                    ),
                    n * k,
                ),
                Just(n),
            )
        })
}

fn build(
    inds: &[Indicator],
    vals: &[(i64, Option<i64>)],
    n: usize,
) -> (Vec<String>, BTreeMap<String, BTreeMap<String, Input>>) {
    let parts: Vec<String> = (0..n).map(|i| format!("p{i}")).collect();
    let mut m: BTreeMap<String, BTreeMap<String, Input>> = BTreeMap::new();
    for (pi, p) in parts.iter().enumerate() {
        for (ii, ind) in inds.iter().enumerate() {
            let (v, t) = vals[pi * inds.len() + ii];
            m.entry(p.clone()).or_default().insert(
                ind.code.clone(),
                Input {
                    value: v,
                    target: t,
                },
            );
        }
    }
    (parts, m)
}

proptest! {
    #[test]
    fn order_of_participants_does_not_matter((inds, vals, n) in any_case(), rot in 0usize..7) {
        let (parts, m) = build(&inds, &vals, n);
        let a = score(&parts, &inds, &m, &[]);
        let mut other = parts.clone();
        other.rotate_left(rot % n);
        other.reverse();
        let b = score(&other, &inds, &m, &[]);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn weights_and_caps_hold_and_nothing_overflows((inds, vals, n) in any_case()) {
        let (parts, m) = build(&inds, &vals, n);
        for s in score(&parts, &inds, &m, &[]) {
            for c in &s.components {
                let ind = inds.iter().find(|i| i.code == c.indicator).unwrap();
                let max = match &ind.method {
                    Method::Ratio { cap_pct } => ind.weight * 1000 * (*cap_pct).max(0) / 100,
                    Method::Completion { cap, .. } => cap * 1000,
                    _ => ind.weight * 1000,
                };
                prop_assert!(c.points >= 0 && c.points <= max, "{} > {}", c.points, max);
            }
            prop_assert!(s.rank >= 1 && s.rank <= n);
        }
    }

    #[test]
    fn a_better_input_never_lowers_the_score((inds, vals, n) in any_case(), who in 0usize..7, which in 0usize..4, delta in 1i64..1_000_000) {
        let (parts, m) = build(&inds, &vals, n);
        let p = &parts[who % n];
        let ind = &inds[which % inds.len()];
        let before = score(&parts, &inds, &m, &[]).into_iter().find(|s| &s.code == p).unwrap().total;
        let mut m2 = m.clone();
        let e = m2.get_mut(p).unwrap().get_mut(&ind.code).unwrap();
        e.value = match ind.direction {
            Direction::Higher => e.value.saturating_add(delta),
            Direction::Lower => e.value.saturating_sub(delta),
        };
        let after = score(&parts, &inds, &m2, &[]).into_iter().find(|s| &s.code == p).unwrap().total;
        prop_assert!(after >= before, "{} < {}", after, before);
    }

    #[test]
    fn ties_get_competition_ranks(totals in proptest::collection::vec(0i64..5, 1..10)) {
        let items: Vec<(String, Milli)> = totals.iter().enumerate().map(|(i, t)| (format!("p{i}"), *t)).collect();
        let refs: Vec<(&str, Milli)> = items.iter().map(|(c, t)| (c.as_str(), *t)).collect();
        let v = ranked(&refs);
        for s in &v {
            let better = v.iter().filter(|o| o.total > s.total).count();
            prop_assert_eq!(s.rank, better + 1);
        }
    }
}
