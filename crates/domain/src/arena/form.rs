//! Scoring methods, measures and flag rules as short texts, for the arena form: a method
//! is a kind plus `key=value` parameters (`cap_pct=120`; `floor=0, ceiling=100,
//! base_pct=60`; `points=20/18/16`; `steps=10:10/20:18`; `k=60, cap=72`).

use super::{FlagRule, Measure, Method};
use crate::DomainError;

/// The method kinds with their Chinese names and the parameters each takes.
pub const METHOD_KINDS: [(&str, &str, &str); 5] = [
    ("ratio", "比值法", "cap_pct=120"),
    ("linear", "功效系数法", "floor=0, ceiling=100, base_pct=60"),
    ("rank", "按名次给分", "points=20/18/16/14"),
    ("steps", "分档计分", "steps=10:10/20:18/30:28"),
    ("completion", "完成比例法（延安）", "k=60, cap=72"),
];

impl Method {
    /// The kind as stored (`ratio`, `linear`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Method::Ratio { .. } => "ratio",
            Method::Linear { .. } => "linear",
            Method::Rank { .. } => "rank",
            Method::Steps { .. } => "steps",
            Method::Completion { .. } => "completion",
        }
    }

    /// The parameters as typed in the form.
    pub fn params_text(&self) -> String {
        match self {
            Method::Ratio { cap_pct } => format!("cap_pct={cap_pct}"),
            Method::Linear {
                floor,
                ceiling,
                base_pct,
            } => format!("floor={floor}, ceiling={ceiling}, base_pct={base_pct}"),
            Method::Rank { points } => format!(
                "points={}",
                points
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join("/")
            ),
            Method::Steps { steps } => format!(
                "steps={}",
                steps
                    .iter()
                    .map(|(t, p)| format!("{t}:{p}"))
                    .collect::<Vec<_>>()
                    .join("/")
            ),
            Method::Completion { k, cap } => format!("k={k}, cap={cap}"),
        }
    }

    /// Reads a method from its kind and parameters (full-width punctuation accepted).
    /// `field` names the form field in errors.
    pub fn from_text(field: &'static str, kind: &str, params: &str) -> Result<Method, DomainError> {
        let norm: String = params
            .chars()
            .map(|c| match c {
                '，' | '、' | ';' | '；' | '\n' => ',',
                '＝' => '=',
                '：' => ':',
                '／' => '/',
                c => c,
            })
            .collect();
        let hint = METHOD_KINDS
            .iter()
            .find(|k| k.0 == kind)
            .map(|k| (k.1, k.2));
        let Some((kind_zh, example)) = hint else {
            return Err(DomainError::new(
                field,
                format!(
                    "计分方法“{kind}”不存在，应为比值法、功效系数法、按名次给分、分档计分或完成比例法。"
                ),
                format!("unknown scoring method '{kind}'"),
            ));
        };
        let bad = |what: &str| {
            DomainError::new(
                field,
                format!(
                    "{kind_zh}的参数“{}”有误：{what}。应写作 {example}。",
                    params.trim()
                ),
                format!(
                    "bad parameters '{}' for {kind}: {what}; write e.g. {example}",
                    params.trim()
                ),
            )
        };
        let mut pairs: Vec<(String, String)> = Vec::new();
        for part in norm.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| bad(&format!("“{part}”缺少等号")))?;
            pairs.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
        let get = |key: &str| -> Result<&str, DomainError> {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
                .ok_or_else(|| bad(&format!("缺少 {key}")))
        };
        let int = |key: &str| -> Result<i64, DomainError> {
            let v = get(key)?;
            v.replace(',', "")
                .parse::<i64>()
                .map_err(|_| bad(&format!("{key} 应为整数，当前为“{v}”")))
        };
        let list = |key: &str| -> Result<Vec<String>, DomainError> {
            Ok(get(key)?
                .split('/')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect())
        };
        Ok(match kind {
            "ratio" => Method::Ratio {
                cap_pct: int("cap_pct")?,
            },
            "linear" => Method::Linear {
                floor: int("floor")?,
                ceiling: int("ceiling")?,
                base_pct: int("base_pct")?,
            },
            "rank" => Method::Rank {
                points: list("points")?
                    .iter()
                    .map(|p| {
                        p.parse::<i64>()
                            .map_err(|_| bad(&format!("名次分“{p}”应为整数")))
                    })
                    .collect::<Result<_, _>>()?,
            },
            "steps" => Method::Steps {
                steps: list("steps")?
                    .iter()
                    .map(|s| {
                        let (t, p) = s
                            .split_once(':')
                            .ok_or_else(|| bad(&format!("“{s}”应写作 门槛:分数")))?;
                        match (t.trim().parse::<i64>(), p.trim().parse::<i64>()) {
                            (Ok(t), Ok(p)) => Ok((t, p)),
                            _ => Err(bad(&format!("“{s}”的门槛和分数应为整数"))),
                        }
                    })
                    .collect::<Result<_, _>>()?,
            },
            _ => Method::Completion {
                k: int("k")?,
                cap: int("cap")?,
            },
        })
    }
}

impl Measure {
    /// Every computed figure, in the order offered.
    pub const ALL: [Measure; 9] = [
        Measure::InvestPlan,
        Measure::InvestTarget,
        Measure::StartRate,
        Measure::CompletionRate,
        Measure::ReserveConversion,
        Measure::InvestPerMu,
        Measure::TaxPerMu,
        Measure::ProblemsOnTime,
        Measure::TasksOnTime,
    ];

    /// The code as stored (`invest_plan`, …).
    pub fn code(self) -> &'static str {
        match self {
            Measure::InvestPlan => "invest_plan",
            Measure::InvestTarget => "invest_target",
            Measure::StartRate => "start_rate",
            Measure::CompletionRate => "completion_rate",
            Measure::InvestPerMu => "invest_per_mu",
            Measure::ProblemsOnTime => "problems_on_time",
            Measure::TasksOnTime => "tasks_on_time",
            Measure::ReserveConversion => "reserve_conversion",
            Measure::TaxPerMu => "tax_per_mu",
        }
    }

    /// The measure with this code.
    pub fn from_code(code: &str) -> Option<Measure> {
        Measure::ALL.into_iter().find(|m| m.code() == code)
    }
}

impl FlagRule {
    /// The kind as stored.
    pub fn kind(&self) -> &'static str {
        match self {
            FlagRule::TopBottom { .. } => "top_bottom",
            FlagRule::Climb { .. } => "climb",
            FlagRule::TwoCondition { .. } => "two_condition",
        }
    }

    /// (red, yellow or black, climb) as shown in the form.
    pub fn numbers(&self) -> (usize, usize, usize) {
        match self {
            FlagRule::TopBottom { red, yellow } => (*red, *yellow, 2),
            FlagRule::Climb { red, climb, yellow } => (*red, *yellow, *climb),
            FlagRule::TwoCondition { red, black } => (*red, *black, 2),
        }
    }

    /// Builds a rule from the form: the kind, how many red, how many yellow (or black),
    /// and the places climbed that also earn red.
    pub fn from_form(
        kind: &str,
        red: usize,
        low: usize,
        climb: usize,
    ) -> Result<FlagRule, DomainError> {
        match kind {
            "top_bottom" => Ok(FlagRule::TopBottom { red, yellow: low }),
            "climb" if climb > 0 => Ok(FlagRule::Climb {
                red,
                climb,
                yellow: low,
            }),
            "climb" => Err(DomainError::new(
                "flag_climb",
                "进位名次应至少为 1。",
                "places climbed must be at least 1",
            )),
            "two_condition" => Ok(FlagRule::TwoCondition { red, black: low }),
            _ => Err(DomainError::new(
                "flag_kind",
                format!("红黄旗规则“{kind}”不存在。"),
                format!("unknown flag rule '{kind}'"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_reads_back_its_own_text() {
        for m in [
            Method::Ratio { cap_pct: 120 },
            Method::Linear {
                floor: 1_000_000,
                ceiling: 5_000_000,
                base_pct: 60,
            },
            Method::Rank {
                points: vec![20, 18, 16],
            },
            Method::Steps {
                steps: vec![(10, 10), (20, 18)],
            },
            Method::Completion { k: 60, cap: 72 },
        ] {
            assert_eq!(
                Method::from_text("m", m.kind(), &m.params_text()).unwrap(),
                m
            );
        }
        // Full-width punctuation, spaces and thousands separators are accepted.
        assert_eq!(
            Method::from_text("m", "linear", "floor＝0，ceiling = 100, base_pct=60").unwrap(),
            Method::Linear {
                floor: 0,
                ceiling: 100,
                base_pct: 60
            }
        );
        assert_eq!(
            Method::from_text("m", "steps", "steps=10：10／20:18").unwrap(),
            Method::Steps {
                steps: vec![(10, 10), (20, 18)]
            }
        );
    }

    #[test]
    fn bad_parameters_say_what_is_wrong_and_how_to_write_it() {
        let e = Method::from_text("ind_method_2", "ratio", "cap=120").unwrap_err();
        assert_eq!(e.field, "ind_method_2");
        assert!(
            e.msg.zh.contains("缺少 cap_pct") && e.msg.zh.contains("cap_pct=120"),
            "{}",
            e.msg.zh
        );
        let e = Method::from_text("m", "completion", "k=六十, cap=72").unwrap_err();
        assert!(e.msg.zh.contains("k 应为整数"), "{}", e.msg.zh);
        let e = Method::from_text("m", "steps", "steps=10-10").unwrap_err();
        assert!(e.msg.zh.contains("门槛:分数"), "{}", e.msg.zh);
        assert!(Method::from_text("m", "magic", "").is_err());
        assert!(
            Method::from_text("m", "ratio", "cap_pct 120")
                .unwrap_err()
                .msg
                .zh
                .contains("缺少等号")
        );
    }

    #[test]
    fn measures_and_flag_rules_round_trip() {
        for m in Measure::ALL {
            assert_eq!(Measure::from_code(m.code()), Some(m));
            // The code is the one stored in rule JSON.
            assert_eq!(serde_json::to_value(m).unwrap(), m.code());
        }
        for r in [
            FlagRule::TopBottom { red: 3, yellow: 2 },
            FlagRule::Climb {
                red: 2,
                climb: 3,
                yellow: 1,
            },
            FlagRule::TwoCondition { red: 3, black: 2 },
        ] {
            let (a, b, c) = r.numbers();
            assert_eq!(FlagRule::from_form(r.kind(), a, b, c).unwrap(), r);
        }
        assert!(FlagRule::from_form("climb", 1, 1, 0).is_err());
        assert!(FlagRule::from_form("lottery", 1, 1, 1).is_err());
    }
}
