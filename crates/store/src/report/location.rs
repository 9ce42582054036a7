//! Project locations, against which report photos' GPS positions are checked.

use super::write::require;
use super::*;
use crate::project::by_id_tx;

/// Sets (or clears) a project's location, used to check where report photos were taken.
pub async fn set_location(
    tx: &mut Tx,
    actor: &Actor,
    project_id: i64,
    at: Option<(f64, f64)>,
) -> Result<()> {
    let project = by_id_tx(tx, project_id)
        .await?
        .ok_or_else(|| StoreError::not_found("项目", "project", project_id))?;
    require(actor, Permission::ProjectWrite, &project)?;
    if let Some((lat, lon)) = at
        && (!(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon))
    {
        return Err(DomainError::new(
            "location",
            format!("坐标（{lat}, {lon}）超出范围：纬度 −90 至 90，经度 −180 至 180。"),
            format!("Coordinates ({lat}, {lon}) are out of range."),
        )
        .into());
    }
    let (lat, lon) = match at {
        Some((a, b)) => (
            Some((a * 1e6).round() as i64),
            Some((b * 1e6).round() as i64),
        ),
        None => (None, None),
    };
    let before: (Option<i64>, Option<i64>) = on_tx!(tx, c => sqlx::query_as("SELECT lat_e6, lon_e6 FROM project WHERE id = $1").bind(project_id).fetch_one(c).await)?;
    exec_tx!(tx, c => sqlx::query("UPDATE project SET lat_e6 = $1, lon_e6 = $2 WHERE id = $3").bind(lat).bind(lon).bind(project_id).execute(c).await)?;
    audit::record(
        tx,
        actor,
        "location",
        "project",
        project_id,
        Some(&serde_json::json!(before)),
        Some(&serde_json::json!((lat, lon))),
    )
    .await?;
    Ok(())
}

/// Parses `lat, lon` in degrees (also with a full-width comma or a space).
pub fn parse_location(raw: &str) -> std::result::Result<Option<(f64, f64)>, DomainError> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let parts: Vec<&str> = t
        .split([',', '，', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    match parts.as_slice() {
        [a, b] => match (a.parse::<f64>(), b.parse::<f64>()) {
            (Ok(a), Ok(b)) if a.is_finite() && b.is_finite() => Ok(Some((a, b))),
            _ => Err(bad_location(t)),
        },
        _ => Err(bad_location(t)),
    }
}

fn bad_location(t: &str) -> DomainError {
    DomainError::new(
        "location",
        format!("位置“{t}”应写作“纬度, 经度”，如 38.4872, 106.2309。"),
        format!("Location '{t}' should be 'latitude, longitude', e.g. 38.4872, 106.2309."),
    )
}

/// A project's location, if set.
pub async fn location(db: &Db, project_id: i64) -> Result<Option<(f64, f64)>> {
    let r: Option<(Option<i64>, Option<i64>)> = on_db!(db, c => sqlx::query_as("SELECT lat_e6, lon_e6 FROM project WHERE id = $1").bind(project_id).fetch_optional(c).await)?;
    Ok(match r {
        Some((Some(a), Some(b))) => Some((a as f64 / 1e6, b as f64 / 1e6)),
        _ => None,
    })
}
