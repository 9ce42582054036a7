//! A small SQL builder: text with `$N` placeholders plus owned values, so filters and
//! scope conditions are composed without ever putting user text into SQL.

use chrono::{DateTime, Utc};
use gongjian_domain::access::ScopeSet;

/// A value to bind.
#[derive(Debug, Clone)]
pub enum Val {
    /// Integer.
    I(i64),
    /// Nullable integer.
    OI(Option<i64>),
    /// Text.
    S(String),
    /// Nullable text.
    OS(Option<String>),
    /// Boolean.
    B(bool),
    /// Timestamp.
    T(DateTime<Utc>),
    /// Nullable timestamp.
    OT(Option<DateTime<Utc>>),
    /// Nullable date.
    D(Option<chrono::NaiveDate>),
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::I(v)
    }
}
impl From<Option<i64>> for Val {
    fn from(v: Option<i64>) -> Self {
        Val::OI(v)
    }
}
impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::S(v)
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::S(v.to_string())
    }
}
impl From<Option<String>> for Val {
    fn from(v: Option<String>) -> Self {
        Val::OS(v)
    }
}
impl From<bool> for Val {
    fn from(v: bool) -> Self {
        Val::B(v)
    }
}
impl From<DateTime<Utc>> for Val {
    fn from(v: DateTime<Utc>) -> Self {
        Val::T(v)
    }
}
impl From<Option<DateTime<Utc>>> for Val {
    fn from(v: Option<DateTime<Utc>>) -> Self {
        Val::OT(v)
    }
}

/// SQL text under construction with its bound values.
#[derive(Debug, Clone, Default)]
pub struct Sql {
    /// The text, with `$1…$N` placeholders.
    pub text: String,
    /// The values, in placeholder order.
    pub vals: Vec<Val>,
}

impl Sql {
    /// Starts from fixed text (never user input).
    pub fn new(text: &str) -> Sql {
        Sql {
            text: text.to_string(),
            vals: Vec::new(),
        }
    }

    /// Appends fixed text.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `v`.
    pub fn bind(&mut self, v: impl Into<Val>) -> &mut Self {
        self.vals.push(v.into());
        self.text.push_str(&format!("${}", self.vals.len()));
        self
    }

    /// Appends `(…)` with a placeholder for each of `vs`, comma-separated: the list of
    /// an `IN`. Callers make sure the list is not empty.
    pub fn bind_list<V: Into<Val>>(&mut self, vs: impl IntoIterator<Item = V>) -> &mut Self {
        self.text.push('(');
        for (i, v) in vs.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(v);
        }
        self.text.push(')');
        self
    }

    /// Appends ` AND <col> contains q` when `q` is given, ignoring ASCII letter case on
    /// both engines. SQLite's LIKE ignores it, PostgreSQL's does not, so a text with
    /// ASCII letters is compared as `LOWER(col) LIKE LOWER(%q%)` (each engine folding both
    /// sides alike); any other text (Chinese, digits) as plain `col LIKE %q%`, which needs
    /// no folding and spares SQLite a `LOWER` per row (a third of a 100,000-row search).
    pub fn and_like(&mut self, cols: &[&str], q: Option<&str>) -> &mut Self {
        if !q.is_some_and(|q| q.chars().any(|c| c.is_ascii_alphabetic())) {
            return self.and_contains(cols, q, "LIKE");
        }
        let lowered: Vec<String> = cols.iter().map(|c| format!("LOWER({c})")).collect();
        let lowered: Vec<&str> = lowered.iter().map(String::as_str).collect();
        self.and_pattern(&lowered, q, "LIKE", ("LOWER(", ")"))
    }

    /// [`Sql::and_like`] with the operator given: `LIKE`, or `ILIKE` on PostgreSQL, where
    /// LIKE is case-sensitive, so that ASCII letters match in any case on both engines.
    pub fn and_contains(&mut self, cols: &[&str], q: Option<&str>, op: &'static str) -> &mut Self {
        self.and_pattern(cols, q, op, ("", ""))
    }

    /// `cols` compared with `op` to `%q%`, the bound pattern wrapped in `wrap`.
    fn and_pattern(
        &mut self,
        cols: &[&str],
        q: Option<&str>,
        op: &'static str,
        wrap: (&'static str, &'static str),
    ) -> &mut Self {
        if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
            let pat = format!(
                "%{}%",
                q.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            );
            self.push(" AND (");
            for (i, c) in cols.iter().enumerate() {
                if i > 0 {
                    self.push(" OR ");
                }
                self.push(c)
                    .push(" ")
                    .push(op)
                    .push(" ")
                    .push(wrap.0)
                    .bind(pat.clone())
                    .push(wrap.1)
                    .push(" ESCAPE '\\'");
            }
            self.push(")");
        }
        self
    }

    /// Appends ` AND <scope condition>`: the record's unit column must be in the scope's
    /// units, or its user column equal the scope's user.
    pub fn and_scope(
        &mut self,
        scope: &ScopeSet,
        unit_col: &str,
        user_col: Option<&str>,
    ) -> &mut Self {
        if scope.all {
            return self;
        }
        let mut parts: Vec<String> = Vec::new();
        if !scope.units.is_empty() {
            let mut s = format!("{unit_col} IN (");
            for (i, u) in scope.units.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                self.vals.push(Val::I(*u));
                s.push_str(&format!("${}", self.vals.len()));
            }
            s.push(')');
            parts.push(s);
        }
        if let (Some(col), Some(uid)) = (user_col, scope.user) {
            self.vals.push(Val::I(uid));
            parts.push(format!("{col} = ${}", self.vals.len()));
        }
        if parts.is_empty() {
            self.push(" AND 1 = 0");
        } else {
            self.push(" AND (").push(&parts.join(" OR ")).push(")");
        }
        self
    }

    /// Appends ` AND <scope condition>` for records that belong to several units at
    /// once (a project belongs to its division's government, its responsible unit and
    /// its owner): reachable when any of `unit_cols` is in the scope's units.
    pub fn and_scope_any(&mut self, scope: &ScopeSet, unit_cols: &[&str]) -> &mut Self {
        if scope.all {
            return self;
        }
        if scope.units.is_empty() {
            self.push(" AND 1 = 0");
            return self;
        }
        // One placeholder list, repeated by number, keeps the statement short.
        let first = self.vals.len() + 1;
        for u in &scope.units {
            self.vals.push(Val::I(*u));
        }
        let list: Vec<String> = (first..first + scope.units.len())
            .map(|i| format!("${i}"))
            .collect();
        let list = list.join(",");
        let parts: Vec<String> = unit_cols
            .iter()
            .map(|c| format!("{c} IN ({list})"))
            .collect();
        self.push(" AND (").push(&parts.join(" OR ")).push(")");
        self
    }

    /// Appends LIMIT/OFFSET for a page.
    pub fn page(&mut self, page: &Page) -> &mut Self {
        self.push(" LIMIT ")
            .bind(page.size)
            .push(" OFFSET ")
            .bind(page.offset())
    }
}

/// Reserves `n` new ids of `table` (fixed text, never user input) inside `tx`. SQLite
/// has one writer, which holds the lock for the transaction; PostgreSQL draws them from
/// the identity's sequence.
pub async fn reserve_ids(
    tx: &mut crate::Tx,
    table: &'static str,
    n: usize,
) -> crate::Result<Vec<i64>> {
    Ok(match tx {
        crate::Tx::Sqlite(t) => {
            let sql = format!("SELECT COALESCE(MAX(id), 0) FROM {table}");
            let max: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut **t)
                .await?;
            (max + 1..=max + n as i64).collect()
        }
        crate::Tx::Postgres(t) => {
            let sql = format!(
                "SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, $1)"
            );
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(n as i64)
                .fetch_all(&mut **t)
                .await?
        }
    })
}

/// Inserts many rows. `head` is the statement up to `VALUES` (fixed text, never user
/// input); every row has the same number of values. On SQLite one prepared statement
/// runs once per row on the writer's own handle ([`crate::raw`]); on PostgreSQL
/// multi-row `INSERT … VALUES (…), (…)` statements go in chunks that stay under its limit
/// on bound parameters.
pub async fn insert_rows(tx: &mut crate::Tx, head: &str, rows: Vec<Vec<Val>>) -> crate::Result<()> {
    if let crate::Tx::Sqlite(t) = tx {
        return crate::raw::insert_rows(t, head, &rows).await;
    }
    let Some(width) = rows.first().map(Vec::len) else {
        return Ok(());
    };
    let per = (30_000 / width.max(1)).clamp(1, 1000);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Val>> = rows.by_ref().take(per).collect();
        let mut text = String::with_capacity(head.len() + chunk.len() * width * 5);
        text.push_str(head);
        text.push_str(" VALUES ");
        let mut n = 0;
        for (i, _) in chunk.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push('(');
            for j in 0..width {
                if j > 0 {
                    text.push(',');
                }
                n += 1;
                text.push('$');
                text.push_str(&n.to_string());
            }
            text.push(')');
        }
        let vals: Vec<Val> = chunk.into_iter().flatten().collect();
        // Each engine's arm moves the text and values: no copies of large chunks.
        crate::exec_tx!(tx, c => crate::bind_vals!(sqlx::query(sqlx::AssertSqlSafe(text)), vals).execute(c).await)?;
    }
    Ok(())
}

/// [`insert_rows`] of rows the caller keeps (on PostgreSQL they are copied).
pub async fn insert_rows_ref(
    tx: &mut crate::Tx,
    head: &str,
    rows: &[Vec<Val>],
) -> crate::Result<()> {
    if let crate::Tx::Sqlite(t) = tx {
        return crate::raw::insert_rows(t, head, rows).await;
    }
    insert_rows(tx, head, rows.to_vec()).await
}

/// A page request: 1-based page number and page size (bounded).
#[derive(Debug, Clone, Copy, serde::Deserialize)]
pub struct Page {
    /// 1-based page number.
    pub page: i64,
    /// Rows per page.
    pub size: i64,
}

impl Page {
    /// Largest page size served.
    pub const MAX_SIZE: i64 = 500;

    /// A page, clamped to sane bounds.
    pub fn new(page: Option<i64>, size: Option<i64>) -> Page {
        Page {
            page: page.unwrap_or(1).max(1),
            size: size.unwrap_or(20).clamp(1, Self::MAX_SIZE),
        }
    }

    /// Rows to skip.
    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.size
    }
}

/// One page of results with the total count of matching rows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Paged<T> {
    /// The rows of this page.
    pub items: Vec<T>,
    /// Matching rows in all pages.
    pub total: i64,
    /// This page number.
    pub page: i64,
    /// Page size.
    pub size: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn scope_conditions() {
        let mut s = Sql::new("SELECT 1 WHERE 1=1");
        s.and_scope(
            &ScopeSet {
                all: true,
                ..Default::default()
            },
            "u.id",
            None,
        );
        assert_eq!(s.text, "SELECT 1 WHERE 1=1");
        let mut s = Sql::new("W");
        s.bind(5).and_scope(
            &ScopeSet {
                all: false,
                units: BTreeSet::from([3, 4]),
                user: Some(9),
            },
            "x.unit_id",
            Some("x.id"),
        );
        assert_eq!(s.text, "W$1 AND (x.unit_id IN ($2,$3) OR x.id = $4)");
        assert_eq!(s.vals.len(), 4);
        let mut s = Sql::new("W");
        s.and_scope(&ScopeSet::default(), "x.unit_id", None);
        assert_eq!(s.text, "W AND 1 = 0", "an empty scope matches nothing");
    }

    #[test]
    fn bind_list_numbers_each_value_after_those_bound() {
        let mut s = Sql::new("DELETE FROM t WHERE y = $1 AND id IN ");
        s.vals.push(Val::I(2026));
        s.bind_list([7_i64, 8, 9]).push(" AND 1=1");
        assert_eq!(
            s.text,
            "DELETE FROM t WHERE y = $1 AND id IN ($2, $3, $4) AND 1=1"
        );
        assert_eq!(s.vals.len(), 4);
        assert!(matches!(s.vals[3], Val::I(9)));
    }

    #[test]
    fn like_escapes_wildcards() {
        let mut s = Sql::new("W");
        s.and_like(&["a", "b"], Some("50%_x"));
        assert_eq!(
            s.text,
            "W AND (LOWER(a) LIKE LOWER($1) ESCAPE '\\' OR LOWER(b) LIKE LOWER($2) ESCAPE '\\')"
        );
        assert!(matches!(&s.vals[0], Val::S(p) if p == "%50\\%\\_x%"));
        // Without ASCII letters there is no case to fold.
        let mut s = Sql::new("W");
        s.and_like(&["a"], Some("物流_1"));
        assert_eq!(s.text, "W AND (a LIKE $1 ESCAPE '\\')");
        assert!(matches!(&s.vals[0], Val::S(p) if p == "%物流\\_1%"));
    }
}
