//! `gongjian campaign list|show|create|enter`.

use crate::cli::CampaignAction;
use gongjian_store::campaign::{self as cs, CampaignInput};
use gongjian_store::{Actor, Db};
use std::process::ExitCode;

/// Runs a campaign action.
pub async fn run(db: &Db, action: CampaignAction) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let today = |t: Option<String>| -> Result<chrono::NaiveDate, String> {
        match t {
            Some(t) => chrono::NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d")
                .map_err(|_| format!("日期“{t}”应为 YYYY-MM-DD / date '{t}' must be YYYY-MM-DD")),
            None => Ok(gongjian_store::today()),
        }
    };
    match action {
        CampaignAction::List { json } => {
            let list = cs::list(db).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for c in &list {
                    println!(
                        "{}\t{}\t{}\t{} — {}",
                        c.code,
                        c.kind_zh(),
                        c.name,
                        c.starts_on,
                        c.ends_on
                    );
                }
            }
        }
        CampaignAction::Show { code, today: t } => {
            let d = cs::detail(db, &Actor::cli(), &code, today(t)?).await?;
            println!("{}", serde_json::to_string_pretty(&d)?);
        }
        CampaignAction::Create { file } => {
            let input: CampaignInput = crate::arena::read_json(&file)?;
            let mut tx = db.begin().await?;
            let c = cs::create(&mut tx, &Actor::cli(), &input).await?;
            tx.commit().await?;
            println!("已创建 {} {} / created {}", c.code, c.name, c.code);
        }
        CampaignAction::Enter {
            code,
            indicator,
            week,
            value,
            note,
            today: t,
        } => {
            let mut tx = db.begin().await?;
            cs::enter(
                &mut tx,
                &Actor::cli(),
                &code,
                &indicator,
                &week.to_string(),
                &value,
                &note,
                today(t)?,
            )
            .await?;
            tx.commit().await?;
            println!("已填报第 {week} 周 / week {week} entered");
        }
    }
    Ok(ExitCode::SUCCESS)
}
