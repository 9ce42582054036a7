//! `gongjian arena list|score`.

use crate::cli::ArenaAction;
use gongjian_store::arena::{self, Change};
use gongjian_store::{Actor, Db};
use std::process::ExitCode;

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
    }
    Ok(ExitCode::SUCCESS)
}
