//! Tax paid per project and year (亩均税收 divides it by the project's land).

#[allow(unused_imports)]
use super::*;
#[allow(unused_imports)]
use super::{check::*, write::*};
use gongjian_domain::money::{MoneyUnit, parse_money};

crate::row_struct! {
    /// One year's tax of a project.
    #[derive(Debug, Clone, serde::Serialize)]
    pub struct TaxRow {
        pub year: i64,
        /// Yuan.
        pub amount: i64,
        pub note: String,
        pub entered_by: String,
        pub entered_at: chrono::DateTime<chrono::Utc>,
    }
}

/// Records (or corrects) the tax a project's enterprise paid in `year`, written in 万元;
/// an empty amount removes the year's figure. Needs project write access in scope; audited.
pub async fn set_tax(
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    year: i64,
    amount_wan: &str,
    note: &str,
) -> Result<Option<TaxRow>> {
    let p = by_id_tx(tx, id)
        .await?
        .ok_or_else(|| StoreError::not_found("项目", "project", id))?;
    require_write(actor, p.scope_units())?;
    let this_year = i64::from(chrono::Datelike::year(&chrono::Local::now().date_naive()));
    if !(2000..=this_year).contains(&year) {
        return Err(DomainError::new(
            "tax_year",
            format!("税收年度应在 2000 至 {this_year} 年之间，当前为 {year}。"),
            format!("The tax year must be between 2000 and {this_year}, got {year}."),
        )
        .into());
    }
    let note = note.trim();
    if note.chars().count() > 200 {
        return Err(DomainError::new(
            "tax_note",
            "税收说明不能超过 200 个字。",
            "The note is limited to 200 characters.",
        )
        .into());
    }
    let before = tax_of_tx(tx, id, year).await?;
    let amount = amount_wan.trim();
    if amount.is_empty() {
        exec_tx!(tx, c => sqlx::query("DELETE FROM project_tax WHERE project_id = $1 AND year = $2").bind(id).bind(year).execute(c).await)?;
    } else {
        let yuan = parse_money("tax_wan", "年度税收（万元）", amount, MoneyUnit::Wan)?;
        let now = crate::now();
        exec_tx!(tx, c => sqlx::query("INSERT INTO project_tax (project_id, year, amount, note, entered_by, entered_at) VALUES ($1, $2, $3, $4, $5, $6) \
            ON CONFLICT (project_id, year) DO UPDATE SET amount = EXCLUDED.amount, note = EXCLUDED.note, entered_by = EXCLUDED.entered_by, entered_at = EXCLUDED.entered_at")
            .bind(id).bind(year).bind(yuan).bind(note).bind(actor.name.clone()).bind(now).execute(c).await)?;
    }
    let after = tax_of_tx(tx, id, year).await?;
    audit::record(
        tx,
        actor,
        "tax",
        "project",
        id,
        before
            .as_ref()
            .map(|t| serde_json::json!({"year": year, "amount": t.amount, "note": t.note}))
            .as_ref(),
        after
            .as_ref()
            .map(|t| serde_json::json!({"year": year, "amount": t.amount, "note": t.note}))
            .as_ref(),
    )
    .await?;
    Ok(after)
}

async fn tax_of_tx(tx: &mut Tx, id: i64, year: i64) -> Result<Option<TaxRow>> {
    Ok(
        on_tx!(tx, c => sqlx::query_as("SELECT year, amount, note, entered_by, entered_at FROM project_tax WHERE project_id = $1 AND year = $2")
        .bind(id).bind(year).fetch_optional(c).await)?,
    )
}

/// A project's tax figures, newest year first.
pub async fn taxes(db: &Db, id: i64) -> Result<Vec<TaxRow>> {
    Ok(
        on_db!(db, c => sqlx::query_as("SELECT year, amount, note, entered_by, entered_at FROM project_tax WHERE project_id = $1 ORDER BY year DESC")
        .bind(id).fetch_all(c).await)?,
    )
}
