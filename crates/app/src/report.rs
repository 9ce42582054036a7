//! `gongjian period …` and `gongjian progress`.

use crate::cli::{PeriodAction, open};
use gongjian_store::Actor;
use gongjian_store::report as rs;
use std::process::ExitCode;

type Res = Result<ExitCode, Box<dyn std::error::Error>>;

/// The last complete month by the server's clock: the month reports are due for.
pub fn last_month() -> (i32, u32) {
    let (y, m) = gongjian_domain::project::year_month(chrono::Local::now().date_naive());
    if m == 1 { (y - 1, 12) } else { (y, m - 1) }
}

fn date(raw: &str) -> Result<chrono::NaiveDate, String> {
    gongjian_domain::project::parse_date(raw).ok_or_else(|| {
        format!("截止日期“{raw}”不是日期，应如 2026-11-06 / deadline '{raw}' is not a date")
    })
}

/// Runs a period action.
pub async fn period(url: &str, action: PeriodAction) -> Res {
    let db = open(url).await?;
    let a = Actor::cli();
    match action {
        PeriodAction::Open { period, deadline } => {
            let (y, m) = rs::parse_period(&period)?;
            let deadline = deadline.as_deref().map(date).transpose()?;
            let cal = rs::calendar(&db).await?;
            let mut tx = db.begin().await?;
            let p = rs::open_period(&mut tx, &a, y, m, deadline, &cal).await?;
            tx.commit().await?;
            println!(
                "已开启 {} 报送期，截止 {} / period {} open, deadline {}",
                p.key(),
                p.deadline,
                p.key(),
                p.deadline
            );
        }
        PeriodAction::Close { period } => {
            let (y, m) = rs::parse_period(&period)?;
            let mut tx = db.begin().await?;
            let p = rs::close_period(&mut tx, &a, y, m).await?;
            tx.commit().await?;
            println!("已关闭 {} 报送期 / period {} closed", p.key(), p.key());
        }
        PeriodAction::Lights { period } => {
            let (y, m) = rs::parse_period(&period)?;
            let s = rs::recompute(&db, &a, y, m).await?;
            println!(
                "已重算 {} 个项目的灯号（规则第 {} 版）：绿 {}、黄 {}、红 {}、无计划 {}；结果有变化并写入 {} 个 / lights recomputed, {} written",
                s.projects,
                s.rule_version,
                s.counts[0],
                s.counts[1],
                s.counts[2],
                s.counts[3],
                s.changed,
                s.changed
            );
        }
        PeriodAction::Remind { period } => {
            let (y, m) = rs::parse_period(&period)?;
            let mut tx = db.begin().await?;
            let n = rs::remind(&mut tx, &a, y, m).await?;
            tx.commit().await?;
            println!("已向 {n} 位用户发送催报 / {n} users reminded");
        }
        PeriodAction::List => {
            for p in rs::periods(&db).await? {
                println!("{}\t{}\t{}", p.key(), p.deadline, p.status);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints a period's progress.
pub async fn progress(url: &str, period: &str, json: bool, recompute: bool) -> Res {
    let db = open(url).await?;
    let a = Actor::cli();
    let (y, m) = rs::parse_period(period)?;
    if rs::period(&db, y, m).await?.is_none() {
        return Err(format!("{period} 报送期不存在 / no such period: {period}").into());
    }
    if recompute {
        rs::recompute(&db, &a, y, m).await?;
    }
    let r = rs::rollup(&db, &a, y, m).await?;
    let key = format!("{y}-{m:02}");
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rs::progress_json(&key, &r))?
        );
    } else {
        use gongjian_domain::money::wan_grouped;
        println!("{key} · {}（第 {} 版）", r.rule_name, r.rule_version);
        println!("区划\t项目\t年度计划(万元)\t累计完成\t序时目标\t完成序时比\t灯号");
        for g in &r.divisions {
            println!(
                "{} {}\t{}\t{}\t{}\t{}\t{}\t{}",
                g.key,
                g.name,
                g.totals.projects,
                wan_grouped(g.totals.annual),
                wan_grouped(g.totals.cumulative),
                wan_grouped(g.totals.target),
                g.totals
                    .ratio_bp()
                    .map_or("—".into(), gongjian_domain::progress::pct),
                g.light.zh()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
