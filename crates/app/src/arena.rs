//! `gongjian arena list|score`.

use crate::cli::ArenaAction;
use gongjian_store::arena::{self, Change};
use gongjian_store::{Actor, Db};
use std::process::ExitCode;

pub(crate) fn read_json<T: serde::de::DeserializeOwned>(file: &str) -> Result<T, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("无法读取 {file} / cannot read {file}: {e}"))?;
    serde_json::from_str(&text).map_err(|e| {
        format!(
            "{file} 的 JSON 不符合格式（第 {} 行第 {} 列）：{e} / bad JSON in {file}",
            e.line(),
            e.column()
        )
    })
}

/// Runs an arena action.
pub async fn run(db: &Db, action: ArenaAction) -> Result<ExitCode, Box<dyn std::error::Error>> {
    match action {
        ArenaAction::List { json } => {
            let list = arena::list(db).await?;
            if json {
                let mut v = Vec::new();
                for a in &list {
                    let parts = arena::participants(db, a.id).await?;
                    v.push(serde_json::json!({
                        "code": a.code, "name": a.name, "kind": a.kind,
                        "participants": parts.iter().map(|p| serde_json::json!({"code": p.code, "name": p.name})).collect::<Vec<_>>(),
                        "published": arena::published_periods(db, a.id).await?,
                    }));
                }
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                for a in &list {
                    println!("{}\t{}\t{}", a.code, a.kind_zh(), a.name);
                }
            }
        }
        ArenaAction::Annual {
            arena: code,
            year,
            json,
        } => {
            let b = arena::annual(db, &code, year).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&b)?);
            } else {
                println!(
                    "{} {year} 年度积分榜（{} 个已发布月份）",
                    b.name,
                    b.months.len()
                );
                for p in &b.participants {
                    println!("{}\t{}\t{}", p.rank, p.name, p.total);
                }
            }
        }
        ArenaAction::Score {
            arena: code,
            period,
            what_if,
            json,
            save,
            publish,
        } => {
            let changes: Vec<Change> = match &what_if {
                Some(f) => {
                    let text = std::fs::read_to_string(f)
                        .map_err(|e| format!("无法读取 {f} / cannot read {f}: {e}"))?;
                    serde_json::from_str(&text)
                        .map_err(|e| format!("假设文件格式不对 / bad what-if file {f}: {e}"))?
                }
                None => Vec::new(),
            };
            if (save || publish) && !changes.is_empty() {
                return Err("假设结果不能保存 / a what-if result cannot be saved".into());
            }
            let r = arena::compute(db, &code, &period, &changes).await?;
            if save || publish {
                let a = Actor::cli();
                let (rev, new) = arena::save(db, &a, &code, &period).await?;
                eprintln!(
                    "{} 第 {rev} 版 / revision {rev}{}",
                    r.period,
                    if new { "（新）" } else { "（未变）" }
                );
                if publish {
                    arena::publish(db, &a, &code, &period).await?;
                    eprintln!("已发布 / published");
                }
            }
            if json {
                let v = serde_json::json!({
                    "arena": r.arena,
                    "period": r.period,
                    "rule_version": r.rule_version,
                    "participants": r.participants.iter().map(|p| serde_json::json!({
                        "code": p.code, "name": p.name, "score": p.score, "rank": p.rank, "flag": p.flag,
                        "ahead": p.ahead, "behind": p.behind,
                        "components": p.components.iter().map(|c| serde_json::json!({
                            "indicator": c.indicator, "value": c.value, "target": c.target, "points": c.points,
                            "weight": c.weight, "formula": c.formula, "source": c.source,
                        })).collect::<Vec<_>>(),
                        "adjustments": p.adjustments,
                    })).collect::<Vec<_>>(),
                });
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!("{} {}（规则第 {} 版）", r.name, r.period, r.rule_version);
                for p in &r.participants {
                    println!(
                        "{}\t{}\t{}\t{}",
                        p.rank,
                        p.name,
                        p.score,
                        p.flag.as_deref().unwrap_or("")
                    );
                }
            }
        }
        ArenaAction::Create { file } => {
            let input: arena::ArenaInput = read_json(&file)?;
            let mut tx = db.begin().await?;
            let a = arena::create(&mut tx, &Actor::cli(), &input).await?;
            tx.commit().await?;
            println!(
                "已新建擂台 {}（{}）/ arena {} created",
                a.name, a.code, a.code
            );
        }
        ArenaAction::Rule {
            arena: code,
            from,
            file,
        } => {
            #[derive(serde::Deserialize)]
            struct RuleFile {
                indicators: Vec<arena::IndicatorDef>,
                #[serde(default)]
                flag_rule: gongjian_domain::arena::FlagRule,
            }
            let r: RuleFile = read_json(&file)?;
            let mut tx = db.begin().await?;
            let v = arena::set_rule(
                &mut tx,
                &Actor::cli(),
                &code,
                &from,
                &r.indicators,
                &r.flag_rule,
            )
            .await?;
            tx.commit().await?;
            println!("已新增第 {v} 版规则，自 {from} 起生效 / rule version {v} from {from}");
        }
        ArenaAction::Enter {
            arena: code,
            indicator,
            unit,
            period,
            value,
            evidence,
            approve,
        } => {
            let a = Actor::cli();
            let mut tx = db.begin().await?;
            let id = arena::enter(
                &mut tx, &a, &code, &indicator, &unit, &period, value, &evidence,
            )
            .await?;
            if approve {
                arena::review_entry(&mut tx, &a, id, true).await?;
            }
            tx.commit().await?;
            println!(
                "已填报 {id}{} / entered {id}",
                if approve {
                    "，已审核"
                } else {
                    "，待审核"
                }
            );
        }
        ArenaAction::Adjust {
            arena: code,
            period,
            unit,
            points,
            reason,
        } => {
            let milli = gongjian_domain::arena::parse_points(&points).ok_or_else(|| {
                format!(
                    "分数“{points}”应为数字，如 2 或 -1.5 / '{points}' is not a number of points"
                )
            })?;
            let mut tx = db.begin().await?;
            arena::adjust(
                &mut tx,
                &Actor::cli(),
                &code,
                &period,
                &unit,
                milli,
                &reason,
            )
            .await?;
            tx.commit().await?;
            println!("已记录加减分 / adjustment recorded");
        }
    }
    Ok(ExitCode::SUCCESS)
}
