//! Figures for the leaders' cockpit that no other page needs: the year's investment
//! against the time-proportional curve, month by month, and the divisions' map (a
//! GeoJSON an admin uploads).

use crate::sql::Sql;
use crate::{Actor, Db, Result, Tx, bind_vals, exec_tx, on_db, on_tx};
use gongjian_domain::DomainError;
use gongjian_domain::access::Permission;

/// One month of the year's curve: sums over the projects with a plan.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CurvePoint {
    pub month: u32,
    pub projects: i64,
    pub annual: i64,
    pub cumulative: i64,
    pub target: i64,
}

/// (month, projects, annual, cumulative, target) as the database sums them.
type MonthSums = (i64, i64, Option<i64>, Option<i64>, Option<i64>);

/// The year's stored lights summed per month within the actor's scope.
pub async fn curve(db: &Db, actor: &Actor, year: i32) -> Result<Vec<CurvePoint>> {
    actor.access.require(Permission::ProjectRead)?;
    let mut q = Sql::new(
        "SELECT l.month, COUNT(*), \
         CAST(SUM(CASE WHEN l.annual IS NULL THEN 0 ELSE l.annual END) AS BIGINT), \
         CAST(SUM(CASE WHEN l.annual IS NULL THEN 0 ELSE l.cumulative END) AS BIGINT), \
         CAST(SUM(CASE WHEN l.annual IS NULL THEN 0 ELSE l.target END) AS BIGINT) \
         FROM light l JOIN project p ON p.id = l.project_id WHERE l.year = ",
    );
    q.bind(i64::from(year));
    crate::project::and_scope(&mut q, &actor.access.scope(Permission::ProjectRead));
    q.push(" GROUP BY l.month ORDER BY l.month");
    let rows: Vec<MonthSums> = on_db!(db, c => bind_vals!(sqlx::query_as(sqlx::AssertSqlSafe(q.text.clone())), q.vals.clone()).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(m, n, a, c, t)| CurvePoint {
            month: m as u32,
            projects: n,
            annual: a.unwrap_or(0),
            cumulative: c.unwrap_or(0),
            target: t.unwrap_or(0),
        })
        .collect())
}

/// Largest map accepted (bytes).
pub const MAX_MAP: usize = 5 * 1024 * 1024;

const KEY: &str = "cockpit.map";

/// The uploaded map, if any.
pub async fn map(db: &Db) -> Result<Option<String>> {
    Ok(
        on_db!(db, c => sqlx::query_scalar("SELECT value FROM setting WHERE key = $1").bind(KEY).fetch_optional(c).await)?,
    )
}

/// Checks a GeoJSON map: a FeatureCollection whose features each have a polygon
/// geometry and a `name` (or `code`) property. Returns the feature names.
pub fn check_map(text: &str) -> std::result::Result<Vec<String>, DomainError> {
    let bad = |zh: String, en: String| DomainError::new("map", zh, en);
    if text.len() > MAX_MAP {
        return Err(bad(
            format!("地图文件超过 {} MB", MAX_MAP / 1024 / 1024),
            format!("The map is larger than {} MB.", MAX_MAP / 1024 / 1024),
        ));
    }
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        bad(
            format!(
                "地图不是有效的 JSON（第 {} 行第 {} 列）",
                e.line(),
                e.column()
            ),
            format!(
                "The map is not valid JSON (line {}, column {}).",
                e.line(),
                e.column()
            ),
        )
    })?;
    if v.get("type").and_then(|t| t.as_str()) != Some("FeatureCollection") {
        return Err(bad(
            "地图须为 GeoJSON FeatureCollection".into(),
            "The map must be a GeoJSON FeatureCollection.".into(),
        ));
    }
    let features = v
        .get("features")
        .and_then(|f| f.as_array())
        .filter(|f| !f.is_empty())
        .ok_or_else(|| {
            bad(
                "地图中没有任何区域（features 为空）".into(),
                "The map has no features.".into(),
            )
        })?;
    let mut names = Vec::new();
    for (i, f) in features.iter().enumerate() {
        let kind = f
            .pointer("/geometry/type")
            .and_then(|t| t.as_str())
            .unwrap_or("");
        if !matches!(kind, "Polygon" | "MultiPolygon") {
            return Err(bad(
                format!(
                    "第 {} 个区域的 geometry 不是 Polygon 或 MultiPolygon",
                    i + 1
                ),
                format!("Feature {} has no Polygon or MultiPolygon geometry.", i + 1),
            ));
        }
        let name = f
            .pointer("/properties/name")
            .or_else(|| f.pointer("/properties/code"))
            .and_then(|n| n.as_str())
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| {
                bad(
                    format!("第 {} 个区域缺少 properties.name（区划名称）", i + 1),
                    format!(
                        "Feature {} has no properties.name (the division's name).",
                        i + 1
                    ),
                )
            })?;
        names.push(name.to_string());
    }
    Ok(names)
}

/// Stores the divisions' map (org.write, or report.admin: the office). Returns how many
/// features it has.
pub async fn set_map(tx: &mut Tx, actor: &Actor, text: &str) -> Result<usize> {
    if !actor.access.has(Permission::ReportAdmin) {
        actor.access.require(Permission::OrgWrite)?;
    }
    let names = check_map(text)?;
    let had: Option<i64> = on_tx!(tx, c => sqlx::query_scalar("SELECT LENGTH(value) FROM setting WHERE key = $1").bind(KEY).fetch_optional(c).await)?;
    exec_tx!(tx, c => sqlx::query("INSERT INTO setting (key, value, updated_by, updated_at) VALUES ($1, $2, $3, $4) \
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by, updated_at = excluded.updated_at")
        .bind(KEY).bind(text.to_string()).bind(actor.name.clone()).bind(crate::now()).execute(c).await)?;
    crate::audit::record(
        tx,
        actor,
        "map",
        "cockpit",
        "map",
        had.map(|n| serde_json::json!({ "bytes": n })).as_ref(),
        Some(&serde_json::json!({ "bytes": text.len(), "features": names })),
    )
    .await?;
    Ok(names.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_are_checked_feature_by_feature() {
        let ok = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"东城区"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}]}"#;
        assert_eq!(check_map(ok).unwrap(), vec!["东城区".to_string()]);
        assert!(check_map("{").unwrap_err().msg.zh.contains("第 1 行"));
        assert!(check_map(r#"{"type":"Feature"}"#).is_err());
        assert!(check_map(r#"{"type":"FeatureCollection","features":[]}"#).is_err());
        let no_name = ok.replace(r#""name":"东城区""#, r#""x":1"#);
        assert!(
            check_map(&no_name)
                .unwrap_err()
                .msg
                .zh
                .contains("第 1 个区域")
        );
        let point = ok.replace("\"Polygon\"", "\"Point\"");
        assert!(check_map(&point).unwrap_err().msg.en.contains("Feature 1"));
    }
}
