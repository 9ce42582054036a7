//! The monthly bulletin (通报): a preview page, downloads as Word, Excel and PDF, and the
//! wording settings.

use crate::project::ledger::Export;
use crate::session::Me;
use crate::view::{self, Chrome, FormError, Pairs};
use crate::{AppError, AppState, in_tx};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use gongjian_domain::DomainError;
use gongjian_domain::access::Permission;
use gongjian_domain::bulletin::{self as b, Block, Table};
use gongjian_store::report as rs;
use gongjian_store::{Actor, Db, StoreError, bulletin};
use serde::Deserialize;
use std::path::Path;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bulletin", get(page))
        .route("/bulletin/download", get(download))
        .route("/bulletin/wording", get(wording_page).post(wording_submit))
}

/// A format the bulletin is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Docx,
    Xlsx,
    Pdf,
}

impl Format {
    /// `docx`, `xlsx` or `pdf`.
    pub fn parse(s: &str) -> Result<Format, DomainError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "docx" => Ok(Format::Docx),
            "xlsx" => Ok(Format::Xlsx),
            "pdf" => Ok(Format::Pdf),
            other => Err(DomainError::new(
                "format",
                format!("格式“{other}”不支持，可选 docx、xlsx、pdf"),
                format!("Format '{other}' is not supported: use docx, xlsx or pdf."),
            )),
        }
    }
}

/// Writes composed blocks in a format. PDF uses the font file given, else the system's
/// Chinese fonts (or `GONGJIAN_PDF_FONT`).
pub fn write(
    blocks: &[Block],
    format: Format,
    font: Option<&Path>,
) -> Result<(Vec<u8>, &'static str, &'static str), StoreError> {
    use gongjian_office::{bulletin as ob, pdf};
    Ok(match format {
        Format::Docx => (
            ob::to_docx(blocks),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "docx",
        ),
        Format::Xlsx => (
            ob::to_xlsx(blocks).map_err(|e| StoreError::Config(format!("xlsx: {e}")))?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        Format::Pdf => {
            let env_font = std::env::var_os("GONGJIAN_PDF_FONT").map(std::path::PathBuf::from);
            let owned;
            let fonts = match font.or(env_font.as_deref()) {
                Some(p) => {
                    owned = pdf::find_fonts(Some(p)).map_err(pdf_error)?;
                    &owned
                }
                None => pdf::system_fonts().map_err(pdf_error)?,
            };
            let markup = ob::to_typst(blocks, &fonts.families);
            (
                pdf::render(&markup, fonts).map_err(pdf_error)?,
                "application/pdf",
                "pdf",
            )
        }
    })
}

fn pdf_error(e: gongjian_office::pdf::PdfError) -> StoreError {
    let text = e.to_string();
    let (zh, en) = text.split_once(" / ").unwrap_or((&text, &text));
    StoreError::Invalid(DomainError::new("pdf", zh, en))
}

/// The bulletin of a month as a file.
pub async fn export(
    db: &Db,
    actor: &Actor,
    year: i32,
    month: u32,
    format: Format,
    font: Option<&Path>,
) -> Result<Export, StoreError> {
    let (data, blocks) = bulletin::compose(db, actor, year, month, gongjian_store::today()).await?;
    let font = font.map(Path::to_path_buf);
    let (bytes, content_type, ext) =
        tokio::task::spawn_blocking(move || write(&blocks, format, font.as_deref()))
            .await
            .map_err(|e| StoreError::Config(format!("bulletin: {e}")))??;
    Ok(Export {
        bytes,
        content_type,
        file_name: format!("{}{year}年{month}月重点项目建设情况通报.{ext}", data.city),
    })
}

/// The default month: the newest closed reporting period, else the newest period.
async fn default_period(db: &Db) -> Result<(i32, u32), StoreError> {
    let periods = rs::periods(db).await?;
    let p = periods
        .iter()
        .find(|p| !p.is_open())
        .or(periods.first())
        .map(|p| (p.year as i32, p.month as u32));
    Ok(p.unwrap_or_else(|| gongjian_domain::project::year_month(gongjian_store::today())))
}

pub(crate) async fn period(db: &Db, raw: Option<&str>) -> Result<(i32, u32), AppError> {
    match raw.filter(|s| !s.trim().is_empty()) {
        Some(r) => rs::parse_period(r).map_err(|e| AppError::from(StoreError::from(e))),
        None => Ok(default_period(db).await?),
    }
}

#[derive(Debug, Default, Deserialize)]
struct PeriodQuery {
    period: Option<String>,
    format: Option<String>,
}

/// One block of the preview.
struct BlockView {
    kind: &'static str,
    text: String,
    level: u8,
    table: Option<Table>,
    lines: Vec<String>,
}

fn block_view(b: &Block) -> BlockView {
    let mut v = BlockView {
        kind: "para",
        text: String::new(),
        level: 0,
        table: None,
        lines: Vec::new(),
    };
    match b {
        Block::Title(t) => (v.kind, v.text) = ("title", t.clone()),
        Block::Subtitle(t) => (v.kind, v.text) = ("subtitle", t.clone()),
        Block::Heading(l, t) => (v.kind, v.level, v.text) = ("heading", *l, t.clone()),
        Block::Para(t) => v.text = t.clone(),
        Block::Table(t) => (v.kind, v.table) = ("table", Some(t.clone())),
        Block::Signature(l) => (v.kind, v.lines) = ("signature", l.clone()),
    }
    v
}

#[derive(Template)]
#[template(path = "bulletin.html")]
struct BulletinPage {
    c: Chrome,
    period: String,
    periods: Vec<String>,
    blocks: Vec<BlockView>,
    can_admin: bool,
    error: Option<FormError>,
}

async fn page(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    me.actor
        .access
        .require(Permission::ProjectRead)
        .map_err(StoreError::from)?;
    let (y, m) = period(&st.db, q.period.as_deref()).await?;
    // A stored wording that no longer fits is shown as an error, with the defaults.
    let (blocks, error) = match bulletin::compose(&st.db, &me.actor, y, m, gongjian_store::today())
        .await
    {
        Ok((_, blocks)) => (blocks, None),
        Err(StoreError::Invalid(e)) => {
            let data = bulletin::gather(&st.db, &me.actor, y, m, gongjian_store::today()).await?;
            let blocks = b::compose(&data, &Default::default()).map_err(StoreError::from)?;
            let e = AppError::from(StoreError::Invalid(e));
            (blocks, Some(FormError::of(&e, me.lang)))
        }
        Err(e) => return Err(e.into()),
    };
    let page = BulletinPage {
        c: Chrome::new(
            &me,
            "bulletins",
            me.lang.t("月度通报", "Monthly bulletin").into(),
        ),
        period: format!("{y}-{m:02}"),
        periods: rs::periods(&st.db).await?.iter().map(|p| p.key()).collect(),
        blocks: blocks.iter().map(block_view).collect(),
        can_admin: me.actor.access.has(Permission::ReportAdmin),
        error,
    };
    Ok(view::render(&page))
}

async fn download(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    let (y, m) = period(&st.db, q.period.as_deref()).await?;
    let format = Format::parse(q.format.as_deref().unwrap_or("docx"))
        .map_err(|e| AppError::from(StoreError::from(e)))?;
    let x = export(&st.db, &me.actor, y, m, format, None).await?;
    Ok(crate::project::download(x))
}

/// One paragraph on the wording page.
struct WordingRow {
    key: &'static str,
    title: &'static str,
    placeholders: String,
    text: String,
    default: &'static str,
    changed: bool,
}

#[derive(Template)]
#[template(path = "bulletin_wording.html")]
struct WordingPage {
    c: Chrome,
    rows: Vec<WordingRow>,
    error: Option<FormError>,
    failed_key: String,
}

async fn render_wording(
    st: &AppState,
    me: &Me,
    error: Option<(FormError, String, String)>,
) -> Result<Response, AppError> {
    me.actor
        .access
        .require(Permission::ReportAdmin)
        .map_err(StoreError::from)?;
    let stored = bulletin::wording(&st.db).await?;
    let rows = b::PARAGRAPHS
        .iter()
        .map(|p| {
            let mut text = stored
                .get(p.key)
                .cloned()
                .unwrap_or_else(|| p.default.to_string());
            if let Some((_, k, typed)) = &error
                && k == p.key
            {
                text = typed.clone();
            }
            WordingRow {
                key: p.key,
                title: p.title,
                placeholders: p
                    .placeholders
                    .iter()
                    .map(|n| format!("{{{n}}}"))
                    .collect::<Vec<_>>()
                    .join(" "),
                changed: stored.contains_key(p.key),
                text,
                default: p.default,
            }
        })
        .collect();
    let failed = error.is_some();
    let (error, failed_key) = match error {
        Some((e, k, _)) => (Some(e), k),
        None => (None, String::new()),
    };
    let page = WordingPage {
        c: Chrome::new(
            me,
            "bulletins",
            me.lang.t("通报措辞", "Bulletin wording").into(),
        ),
        rows,
        error,
        failed_key,
    };
    Ok(view::respond(&page, failed))
}

async fn wording_page(State(st): State<AppState>, me: Me) -> Result<Response, AppError> {
    render_wording(&st, &me, None).await
}

async fn wording_submit(
    State(st): State<AppState>,
    me: Me,
    p: Pairs,
) -> Result<Response, AppError> {
    let (key, text) = (p.get("key"), p.get("text"));
    let reset = p.get("action") == "reset";
    let r = in_tx!(st.db, |tx| {
        bulletin::set_wording(&mut tx, &me.actor, &key, (!reset).then_some(text.as_str())).await?;
    });
    match r.map_err(AppError::from) {
        Ok(()) => Ok(Redirect::to(&format!("/bulletin/wording#w-{key}")).into_response()),
        Err(e) if e.field.is_some() => {
            render_wording(&st, &me, Some((FormError::of(&e, me.lang), key, text))).await
        }
        Err(e) => Err(e),
    }
}
