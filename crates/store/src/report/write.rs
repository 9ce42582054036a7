//! Reports: saving, submitting, reviewing, locking and amending them.

use super::*;
use crate::Val;
use crate::project::{self, Project, by_id_tx, in_scope};
use crate::raw::Conn;
use gongjian_domain::money::{self, MoneyUnit};
use gongjian_domain::report::{self as dr, Action, Flag, PhotoFacts, Status, Submission};

/// Largest photo accepted (bytes).
pub const MAX_PHOTO_BYTES: usize = 8 * 1024 * 1024;
/// Most photos on one report.
pub const MAX_PHOTOS: usize = 9;

row_struct! {
    /// A monthly report as stored. Amounts in whole yuan.
    #[derive(Debug, Clone, serde::Serialize)]
    pub struct Report {
        pub id: i64,
        pub project_id: i64,
        pub year: i64,
        pub month: i64,
        pub status: String,
        pub month_amount: i64,
        pub progress_text: String,
        pub milestone: Option<String>,
        pub started: bool,
        pub start_date: Option<NaiveDate>,
        pub problems: Option<String>,
        pub next_steps: String,
        pub note: Option<String>,
        pub flags: String,
        pub late: bool,
        pub version: i64,
        pub return_reason: Option<String>,
        pub submitted_at: Option<DateTime<Utc>>,
        pub submitted_by: Option<String>,
        pub reviewed_at: Option<DateTime<Utc>>,
        pub reviewed_by: Option<String>,
        pub created_at: DateTime<Utc>,
        pub updated_at: DateTime<Utc>,
    }
}

impl Report {
    /// The status.
    pub fn state(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Draft)
    }

    /// The warnings kept with the report.
    pub fn flag_list(&self) -> Vec<Flag> {
        serde_json::from_str(&self.flags).unwrap_or_default()
    }

    /// The next steps.
    pub fn steps(&self) -> Vec<dr::Step> {
        serde_json::from_str(&self.next_steps).unwrap_or_default()
    }
}

/// The columns a [`Report`] is read from.
macro_rules! report_cols {
    () => {
        "id, project_id, year, month, status, month_amount, progress_text, milestone, started, start_date, problems, next_steps, note, flags, late, version, return_reason, submitted_at, submitted_by, reviewed_at, reviewed_by, created_at, updated_at"
    };
}

pub(super) const REPORT: &str = concat!("SELECT ", report_cols!(), " FROM report");

/// A report as a form or the API sends it: the amount in 万元 text.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ReportInput {
    /// Investment completed this month, 万元, e.g. `1250.5`.
    pub month_amount_wan: String,
    /// Physical progress (形象进度).
    pub progress_text: String,
    /// Current milestone.
    pub milestone: Option<String>,
    /// Whether the project has started.
    pub started: bool,
    /// Start date, e.g. 2026-03-15.
    pub start_date: Option<String>,
    /// Problems raised, one per line.
    pub problems: Option<String>,
    /// Next steps, one per line, each optionally ending in a date.
    pub next_steps: String,
    /// Note on the figures (needed when a month is far above its plan).
    pub note: Option<String>,
}

/// A photo to attach, already read and checked by the caller.
#[derive(Debug, Clone)]
pub struct NewPhoto {
    /// File name as uploaded.
    pub name: String,
    /// image/jpeg or image/png.
    pub mime: String,
    /// The file.
    pub bytes: Vec<u8>,
    /// EXIF time taken.
    pub taken: Option<chrono::NaiveDateTime>,
    /// EXIF position.
    pub gps: Option<(f64, f64)>,
}

row_struct! {
    /// A photo's facts without its bytes.
    #[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
    pub struct PhotoMeta {
        pub id: i64,
        pub report_id: i64,
        pub name: String,
        pub mime: String,
        pub size: i64,
        pub hash: String,
        pub taken: Option<chrono::NaiveDateTime>,
        pub lat_e6: Option<i64>,
        pub lon_e6: Option<i64>,
    }
}

impl PhotoMeta {
    fn facts(&self) -> PhotoFacts {
        PhotoFacts {
            name: self.name.clone(),
            hash: self.hash.clone(),
            taken: self.taken,
            gps: match (self.lat_e6, self.lon_e6) {
                (Some(a), Some(b)) => Some((a as f64 / 1e6, b as f64 / 1e6)),
                _ => None,
            },
        }
    }

    /// The position as text, e.g. `38.487200, 106.230900`.
    pub fn gps_text(&self) -> Option<String> {
        match (self.lat_e6, self.lon_e6) {
            (Some(a), Some(b)) => Some(format!("{:.6}, {:.6}", a as f64 / 1e6, b as f64 / 1e6)),
            _ => None,
        }
    }
}

pub(super) const PHOTO: &str =
    "SELECT id, report_id, name, mime, size, hash, taken, lat_e6, lon_e6 FROM report_photo";

row_struct! {
    /// One kept version of a report.
    #[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
    pub struct Version {
        pub version: i64,
        pub action: String,
        pub status: String,
        /// The report as it was after this step (JSON).
        pub snapshot: String,
        pub reason: Option<String>,
        pub actor_name: String,
        pub at: DateTime<Utc>,
    }
}

/// What saving gave back.
#[derive(Debug, Clone)]
pub struct Saved {
    /// The report now.
    pub report: Report,
    /// Warnings kept with it.
    pub flags: Vec<Flag>,
    /// Its photos.
    pub photos: Vec<PhotoMeta>,
    /// Completed this year up to this month (counted reports), whole yuan.
    pub cum_year: i64,
    /// Completed since the start, with what was done before the system, whole yuan.
    pub since_start: i64,
}

fn invalid(errs: Vec<DomainError>) -> StoreError {
    StoreError::Invalid(errs.into_iter().next().expect("at least one error"))
}

pub(super) async fn report_tx(
    tx: &mut Tx,
    project_id: i64,
    year: i32,
    month: u32,
) -> Result<Option<Report>> {
    report_on(&mut Conn::of(tx).await?, project_id, year, month).await
}

/// The month's report of a project, locked for update on PostgreSQL.
async fn report_on(
    c: &mut Conn<'_>,
    project_id: i64,
    year: i32,
    month: u32,
) -> Result<Option<Report>> {
    let lock = if c.is_postgres() { " FOR UPDATE" } else { "" };
    let sql = format!("{REPORT} WHERE project_id = $1 AND year = $2 AND month = $3{lock}");
    c.one(
        &sql,
        &[
            Val::I(project_id),
            Val::I(i64::from(year)),
            Val::I(i64::from(month)),
        ],
    )
    .await
}

async fn report_by_id_on(c: &mut Conn<'_>, id: i64) -> Result<Option<Report>> {
    let lock = if c.is_postgres() { " FOR UPDATE" } else { "" };
    c.one(&format!("{REPORT} WHERE id = $1{lock}"), &[Val::I(id)])
        .await
}

async fn photos_on(c: &mut Conn<'_>, report_id: i64) -> Result<Vec<PhotoMeta>> {
    c.all(
        &format!("{PHOTO} WHERE report_id = $1 ORDER BY id"),
        &[Val::I(report_id)],
    )
    .await
}

pub(super) fn require(actor: &Actor, p: Permission, project: &Project) -> Result<()> {
    actor.access.require(p)?;
    if in_scope(actor, p, project.scope_units()) {
        Ok(())
    } else {
        Err(StoreError::Denied(gongjian_domain::access::Denied(p)))
    }
}

struct Parsed {
    amount: i64,
    milestone: Option<String>,
    start_date: Option<NaiveDate>,
    problems: Option<String>,
    steps: String,
    note: Option<String>,
}

fn clean(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn parse_input(input: &ReportInput, submitting: bool) -> Result<Parsed> {
    let mut errs = Vec::new();
    let raw = input.month_amount_wan.trim();
    let amount = if raw.is_empty() {
        if submitting {
            errs.push(DomainError::new(
                "month_amount_wan",
                "请填写本月完成投资（万元），没有完成请填 0。",
                "Enter this month's investment in 10k yuan (0 if none).",
            ));
        }
        0
    } else {
        // A leading minus is checked by the submission rules with a clearer message.
        let neg = raw.starts_with('-') || raw.starts_with('－');
        let body = raw.trim_start_matches(['-', '－']);
        match money::parse_money("month_amount_wan", "本月完成投资", body, MoneyUnit::Wan) {
            Ok(v) if neg => -v,
            Ok(v) => v,
            Err(e) => {
                errs.push(e);
                0
            }
        }
    };
    let start_date = match clean(&input.start_date) {
        None => None,
        Some(s) => match gongjian_domain::project::parse_date(&s) {
            Some(d) => Some(d),
            None => {
                errs.push(DomainError::new(
                    "start_date",
                    format!("开工日期“{s}”不是日期，应如 2026-03-15。"),
                    format!("Start date '{s}' is not a date (e.g. 2026-03-15)."),
                ));
                None
            }
        },
    };
    if submitting && input.started && start_date.is_none() && errs.is_empty() {
        errs.push(DomainError::new(
            "start_date",
            "已开工的项目请填写开工日期。",
            "A started project needs its start date.",
        ));
    }
    let progress = input.progress_text.chars().count();
    if progress > 4000 {
        errs.push(DomainError::new(
            "progress_text",
            format!("形象进度过长（{progress} 字），请控制在 4000 字以内。"),
            format!("Progress text is too long ({progress} characters, at most 4000)."),
        ));
    }
    if !errs.is_empty() {
        return Err(invalid(errs));
    }
    let steps = dr::parse_steps(&input.next_steps);
    Ok(Parsed {
        amount,
        milestone: clean(&input.milestone),
        start_date,
        problems: clean(&input.problems),
        steps: serde_json::to_string(&steps).expect("serialisable"),
        note: clean(&input.note),
    })
}

/// What a save reads about the project and its earlier months, in one statement.
struct Before {
    /// Done before the system (prior investment) plus every counted report before the
    /// month, whole yuan.
    since_start: i64,
    /// Counted reports of the same year before the month.
    year: i64,
    /// The month's planned amount, if the year has a plan with that month.
    month_plan: Option<i64>,
    /// The project's location (latitude, longitude).
    location: Option<(f64, f64)>,
}

/// Reads [`Before`] for month `(year, month)`.
async fn before(c: &mut Conn<'_>, project_id: i64, year: i32, month: u32) -> Result<Before> {
    let ym = i64::from(year) * 12 + i64::from(month);
    // `m{month}` is one of twelve fixed column names, never user text.
    let sql = format!(
        "SELECT p.prior_investment, p.lat_e6, p.lon_e6, \
         (SELECT pl.m{month} FROM project_plan pl WHERE pl.project_id = p.id AND pl.year = $2) AS month_plan, \
         (SELECT CAST(SUM(r.month_amount) AS BIGINT) FROM report r WHERE r.project_id = p.id AND r.year * 12 + r.month < $3 AND r.status IN ('submitted', 'approved', 'locked')) AS before_all, \
         (SELECT CAST(SUM(r.month_amount) AS BIGINT) FROM report r WHERE r.project_id = p.id AND r.year = $2 AND r.month < $4 AND r.status IN ('submitted', 'approved', 'locked')) AS before_year \
         FROM project p WHERE p.id = $1"
    );
    type Row = (
        i64,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
    );
    let binds = [
        Val::I(project_id),
        Val::I(i64::from(year)),
        Val::I(ym),
        Val::I(i64::from(month)),
    ];
    let r: Row = c
        .one(&sql, &binds)
        .await?
        .ok_or_else(|| StoreError::not_found("项目", "project", project_id))?;
    Ok(Before {
        since_start: r.0 + r.4.unwrap_or(0),
        year: r.5.unwrap_or(0),
        month_plan: r.3,
        location: match (r.1, r.2) {
            (Some(a), Some(b)) => Some((a as f64 / 1e6, b as f64 / 1e6)),
            _ => None,
        },
    })
}

/// Last month's progress text and photo hashes, in one statement.
async fn last_month(
    c: &mut Conn<'_>,
    project_id: i64,
    year: i32,
    month: u32,
) -> Result<Option<(String, Vec<String>)>> {
    let (py, pm) = if month == 1 {
        (year - 1, 12)
    } else {
        (year, month - 1)
    };
    let rows: Vec<(String, Option<String>)> = c
        .all(
            "SELECT r.progress_text, ph.hash FROM report r LEFT JOIN report_photo ph ON ph.report_id = r.id WHERE r.project_id = $1 AND r.year = $2 AND r.month = $3 ORDER BY ph.id",
            &[Val::I(project_id), Val::I(i64::from(py)), Val::I(i64::from(pm))],
        )
        .await?;
    let Some(text) = rows.first().map(|r| r.0.clone()) else {
        return Ok(None);
    };
    Ok(Some((text, rows.into_iter().filter_map(|r| r.1).collect())))
}

#[allow(clippy::too_many_arguments)]
async fn submission_flags(
    c: &mut Conn<'_>,
    project: &Project,
    year: i32,
    month: u32,
    amount: i64,
    input: &ReportInput,
    note: &str,
    photos: &[PhotoMeta],
    before: &Before,
) -> Result<(Vec<DomainError>, Vec<Flag>)> {
    let (_, rule) = current_rule_on(c).await?;
    let last = last_month(c, project.id, year, month).await?;
    let facts: Vec<PhotoFacts> = photos.iter().map(PhotoMeta::facts).collect();
    let sub = Submission {
        year,
        month,
        month_amount: amount,
        before_since_start: before.since_start,
        total_investment: project.total_investment,
        month_plan: before.month_plan,
        note,
        progress_text: &input.progress_text,
        photos: &facts,
        last: last
            .as_ref()
            .map(|(text, hashes)| (text.as_str(), hashes.iter().map(String::as_str).collect())),
        location: before.location,
    };
    Ok(dr::check(&rule, &sub))
}

async fn keep_version(
    c: &mut Conn<'_>,
    report: &Report,
    photos: &[PhotoMeta],
    action: Action,
    reason: Option<&str>,
    actor: &Actor,
) -> Result<()> {
    let snapshot = serde_json::json!({
        "report": report,
        "photos": photos.iter().map(|p| serde_json::json!({"id": p.id, "name": p.name, "hash": p.hash})).collect::<Vec<_>>(),
    });
    c.exec(
        "INSERT INTO report_version (report_id, version, action, status, snapshot, reason, actor_name, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            Val::I(report.id),
            Val::I(report.version),
            Val::S(action.as_str().into()),
            Val::S(report.status.clone()),
            Val::S(snapshot.to_string()),
            Val::OS(reason.map(str::to_string)),
            Val::S(actor.name.clone()),
            Val::T(crate::now()),
        ],
    )
    .await?;
    Ok(())
}

async fn add_photos(tx: &mut Tx, report_id: i64, photos: Vec<NewPhoto>) -> Result<()> {
    let now = crate::now();
    for p in photos {
        if p.bytes.len() > MAX_PHOTO_BYTES {
            return Err(DomainError::new(
                "photos",
                format!(
                    "照片“{}”有 {:.1} MB，超过 {} MB 的上限。",
                    p.name,
                    p.bytes.len() as f64 / 1048576.0,
                    MAX_PHOTO_BYTES / 1048576
                ),
                format!(
                    "Photo '{}' is larger than {} MB.",
                    p.name,
                    MAX_PHOTO_BYTES / 1048576
                ),
            )
            .into());
        }
        let hash = crate::sm3_hex(&p.bytes);
        let (lat, lon) = match p.gps {
            Some((a, b)) => (
                Some((a * 1e6).round() as i64),
                Some((b * 1e6).round() as i64),
            ),
            None => (None, None),
        };
        let size = p.bytes.len() as i64;
        exec_tx!(tx, c => sqlx::query("INSERT INTO report_photo (report_id, name, mime, bytes, size, hash, taken, lat_e6, lon_e6, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(report_id).bind(p.name.clone()).bind(p.mime.clone()).bind(p.bytes.clone()).bind(size).bind(hash.clone())
            .bind(p.taken).bind(lat).bind(lon).bind(now).execute(c).await)?;
    }
    Ok(())
}

/// Saves (as a draft) or submits the report of a project for a month, with new photos
/// and photos to remove. The period must be open; the project within the actor's
/// `report.write` scope. Submitting runs the checks: errors refuse the whole save
/// (nothing is written), warnings are kept with the report.
#[allow(clippy::too_many_arguments)]
pub async fn save(
    tx: &mut Tx,
    actor: &Actor,
    project_id: i64,
    year: i32,
    month: u32,
    input: &ReportInput,
    photos: Vec<NewPhoto>,
    remove_photos: &[i64],
    action: Action,
) -> Result<Saved> {
    if !matches!(action, Action::Save | Action::Submit) {
        return Err(dr::next(None, action).unwrap_err().into());
    }
    // Photos added or removed change their rows first, as before the rest: they need the
    // report's id, so a new report gets its draft row here (rolled back with the rest if
    // anything below refuses the save).
    let photo_change = !photos.is_empty() || !remove_photos.is_empty();
    let mut drafted = None;
    if photo_change {
        let id = match report_tx(tx, project_id, year, month).await? {
            Some(r) => r.id,
            None => {
                let id = insert_draft(&mut Conn::of(tx).await?, project_id, year, month).await?;
                drafted = Some(id);
                id
            }
        };
        for pid in remove_photos {
            exec_tx!(tx, c => sqlx::query("DELETE FROM report_photo WHERE id = $1 AND report_id = $2").bind(*pid).bind(id).execute(c).await)?;
        }
        add_photos(tx, id, photos).await?;
    }
    // Everything else runs on the connection held once (see `raw::Conn`).
    let c = &mut Conn::of(tx).await?;
    let project = project::by_id_on(c, project_id)
        .await?
        .ok_or_else(|| StoreError::not_found("项目", "project", project_id))?;
    require(actor, Permission::ReportWrite, &project)?;
    let period = period_on(c, year, month).await?.ok_or_else(|| {
        StoreError::Invalid(DomainError::new(
            "period",
            format!("{year} 年 {month} 月的报送期尚未开启，请联系重点项目办。"),
            format!("The period {year}-{month:02} is not open for reporting."),
        ))
    })?;
    if !period.is_open() {
        return Err(DomainError::new(
            "period",
            format!(
                "{} 报送期已关闭，不能再填报；如需更正请联系重点项目办。",
                period.key()
            ),
            format!("The period {} is closed.", period.key()),
        )
        .into());
    }
    // A draft made just above for the photos is new all the same.
    let existing = report_on(c, project_id, year, month)
        .await?
        .filter(|r| Some(r.id) != drafted);
    let to = dr::next(existing.as_ref().map(Report::state), action)?;
    let submitting = action == Action::Submit;
    let parsed = parse_input(input, submitting)?;
    let month_end = gongjian_domain::progress::month_end(year, month);
    if let Some(d) = parsed.start_date.filter(|d| *d > month_end)
        && input.started
    {
        return Err(DomainError::new(
            "start_date",
            format!("开工日期 {d} 晚于本期（{year} 年 {month} 月）：尚未开工请取消“已开工”。"),
            format!("Start date {d} is after this period ({year}-{month:02}); untick 'started' if not started yet."),
        )
        .into());
    }
    let now = crate::now();
    let report_id = match (&existing, drafted) {
        (Some(r), _) => r.id,
        (None, Some(id)) => id,
        (None, None) => insert_draft(c, project_id, year, month).await?,
    };
    // A new report with no photos sent has none: no need to read them back.
    let all_photos = if existing.is_none() && !photo_change {
        Vec::new()
    } else {
        photos_on(c, report_id).await?
    };
    if all_photos.len() > MAX_PHOTOS {
        return Err(DomainError::new(
            "photos",
            format!(
                "每份月报最多 {MAX_PHOTOS} 张照片，现有 {} 张。",
                all_photos.len()
            ),
            format!(
                "At most {MAX_PHOTOS} photos per report ({} given).",
                all_photos.len()
            ),
        )
        .into());
    }
    let mut flags = Vec::new();
    let before = before(c, project_id, year, month).await?;
    if submitting {
        let note = parsed.note.clone().unwrap_or_default();
        let (errs, f) = submission_flags(
            c,
            &project,
            year,
            month,
            parsed.amount,
            input,
            &note,
            &all_photos,
            &before,
        )
        .await?;
        if !errs.is_empty() {
            return Err(invalid(errs));
        }
        flags = f;
        if period.is_late(now) {
            flags.push(Flag {
                code: "late".into(),
                zh: format!("逾期报送：截止日期为 {}。", period.deadline),
                en: format!("Submitted after the deadline {}.", period.deadline),
            });
        }
    } else if parsed.amount < 0 {
        return Err(DomainError::new(
            "month_amount_wan",
            "本月完成投资不能为负数。",
            "This month's investment cannot be negative.",
        )
        .into());
    }
    let late = submitting && period.is_late(now);
    let version = existing.as_ref().map_or(0, |r| r.version) + 1;
    let update = concat!(
        "UPDATE report SET status = $1, month_amount = $2, progress_text = $3, milestone = $4, started = $5, start_date = $6, problems = $7, next_steps = $8, note = $9, flags = $10, late = $11, version = $12, updated_at = $13, \
        submitted_at = CASE WHEN $14 THEN $13 ELSE submitted_at END, submitted_by = CASE WHEN $14 THEN $15 ELSE submitted_by END WHERE id = $16 RETURNING ",
        report_cols!()
    );
    let report: Report = c
        .one(
            update,
            &[
                Val::S(to.as_str().into()),
                Val::I(parsed.amount),
                Val::S(input.progress_text.trim().to_string()),
                Val::OS(parsed.milestone.clone()),
                Val::B(input.started),
                Val::D(parsed.start_date),
                Val::OS(parsed.problems.clone()),
                Val::S(parsed.steps.clone()),
                Val::OS(parsed.note.clone()),
                Val::S(serde_json::to_string(&flags).expect("serialisable")),
                Val::B(late),
                Val::I(version),
                Val::T(now),
                Val::B(submitting),
                Val::S(actor.name.clone()),
                Val::I(report_id),
            ],
        )
        .await?
        .ok_or_else(|| StoreError::not_found("月报", "report", report_id))?;
    if submitting && input.started && !project.started {
        c.exec(
            "UPDATE project SET started = $1, start_date = COALESCE(start_date, $2), updated_at = $3 WHERE id = $4",
            &[Val::B(true), Val::D(parsed.start_date), Val::T(now), Val::I(project_id)],
        )
        .await?;
    }
    keep_version(c, &report, &all_photos, action, None, actor).await?;
    audit::record_on(
        c,
        actor,
        action.as_str(),
        "report",
        report_id,
        existing.as_ref().map(|r| serde_json::json!(r)).as_ref(),
        Some(&serde_json::json!(report)),
    )
    .await?;
    // The derived figures the answer shows, as `view` derives them: the months before
    // plus this one when it counts (submitted or later).
    let this = if to.counts() { parsed.amount } else { 0 };
    Ok(Saved {
        report,
        flags,
        photos: all_photos,
        cum_year: before.year + this,
        since_start: before.since_start + this,
    })
}

/// Inserts an empty draft report for the month; returns its id.
async fn insert_draft(c: &mut Conn<'_>, project_id: i64, year: i32, month: u32) -> Result<i64> {
    let (id,): (i64,) = c
        .one(
            "INSERT INTO report (project_id, year, month, status, version, created_at, updated_at) VALUES ($1, $2, $3, 'draft', 0, $4, $4) RETURNING id",
            &[
                Val::I(project_id),
                Val::I(i64::from(year)),
                Val::I(i64::from(month)),
                Val::T(crate::now()),
            ],
        )
        .await?
        .ok_or_else(|| StoreError::not_found("月报", "report", project_id))?;
    Ok(id)
}

/// Returns (with a reason), approves or locks a report.
pub async fn review(
    tx: &mut Tx,
    actor: &Actor,
    report_id: i64,
    action: Action,
    reason: Option<&str>,
) -> Result<Report> {
    let r = report_by_id_on(&mut Conn::of(tx).await?, report_id)
        .await?
        .ok_or_else(|| StoreError::not_found("月报", "report", report_id))?;
    let project = by_id_tx(tx, r.project_id)
        .await?
        .ok_or_else(|| StoreError::not_found("项目", "project", r.project_id))?;
    match action {
        Action::Return | Action::Approve => {
            // The office may review too.
            if require(actor, Permission::ReportReview, &project).is_err() {
                require(actor, Permission::ReportAdmin, &project)?;
            }
        }
        Action::Lock => require(actor, Permission::ReportAdmin, &project)?,
        _ => return Err(dr::next(Some(r.state()), action).unwrap_err().into()),
    }
    let to = dr::next(Some(r.state()), action)?;
    let reason = reason.map(str::trim).filter(|s| !s.is_empty());
    if action.needs_reason() && reason.is_none() {
        return Err(DomainError::new(
            "reason",
            "退回月报须写明原因。",
            "Returning a report needs a reason.",
        )
        .into());
    }
    let now = crate::now();
    exec_tx!(tx, c => sqlx::query("UPDATE report SET status = $1, version = version + 1, reviewed_at = $2, reviewed_by = $3, return_reason = CASE WHEN $4 THEN $5 ELSE return_reason END, updated_at = $2 WHERE id = $6")
        .bind(to.as_str()).bind(now).bind(actor.name.clone()).bind(action == Action::Return).bind(reason.map(str::to_string)).bind(report_id).execute(c).await)?;
    let c = &mut Conn::of(tx).await?;
    let after = report_by_id_on(c, report_id).await?.expect("exists");
    let photos = photos_on(c, report_id).await?;
    keep_version(c, &after, &photos, action, reason, actor).await?;
    audit::record_on(
        c,
        actor,
        action.as_str(),
        "report",
        report_id,
        Some(&serde_json::json!({"status": r.status})),
        Some(&serde_json::json!({"status": after.status, "reason": reason})),
    )
    .await?;
    Ok(after)
}

/// Changes a locked report's figures and text, with a reason; the old version is kept.
pub async fn amend(
    tx: &mut Tx,
    actor: &Actor,
    report_id: i64,
    input: &ReportInput,
    reason: &str,
) -> Result<Report> {
    let r = report_by_id_on(&mut Conn::of(tx).await?, report_id)
        .await?
        .ok_or_else(|| StoreError::not_found("月报", "report", report_id))?;
    let project = by_id_tx(tx, r.project_id)
        .await?
        .ok_or_else(|| StoreError::not_found("项目", "project", r.project_id))?;
    require(actor, Permission::ReportAdmin, &project)?;
    dr::next(Some(r.state()), Action::Amend)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(DomainError::new(
            "reason",
            "更正已锁定的月报须写明原因。",
            "Amending a locked report needs a reason.",
        )
        .into());
    }
    let parsed = parse_input(input, true)?;
    if parsed.amount < 0 {
        return Err(DomainError::new(
            "month_amount_wan",
            "本月完成投资不能为负数。",
            "This month's investment cannot be negative.",
        )
        .into());
    }
    let now = crate::now();
    exec_tx!(tx, c => sqlx::query("UPDATE report SET month_amount = $1, progress_text = $2, milestone = $3, started = $4, start_date = $5, problems = $6, next_steps = $7, note = $8, version = version + 1, updated_at = $9 WHERE id = $10")
        .bind(parsed.amount).bind(input.progress_text.trim().to_string()).bind(parsed.milestone.clone()).bind(input.started)
        .bind(parsed.start_date).bind(parsed.problems.clone()).bind(parsed.steps.clone()).bind(parsed.note.clone()).bind(now).bind(report_id).execute(c).await)?;
    let c = &mut Conn::of(tx).await?;
    let after = report_by_id_on(c, report_id).await?.expect("exists");
    let photos = photos_on(c, report_id).await?;
    keep_version(c, &after, &photos, Action::Amend, Some(reason), actor).await?;
    audit::record_on(
        c,
        actor,
        "amend",
        "report",
        report_id,
        Some(&serde_json::json!(r)),
        Some(&serde_json::json!({"report": after, "reason": reason})),
    )
    .await?;
    Ok(after)
}
