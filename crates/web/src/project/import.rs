//! The ledger import pages (upload, preview, confirm) and the column-synonym admin page.

#[allow(unused_imports)]
use super::*;

/// The import page of ledgers (`kind` projects) and of monthly reports (`kind`
/// reports, with its period): upload, preview, result.
#[derive(Template)]
#[template(path = "project_import.html")]
pub(crate) struct ImportPage {
    pub c: Chrome,
    pub kind: &'static str,
    pub period: String,
    pub periods: Vec<String>,
    pub report: Option<ImportReport>,
    pub upload: Option<i64>,
    pub file_name: String,
    pub done: bool,
    pub error: Option<String>,
}

pub(super) async fn import_page(me: Me) -> Result<Response, AppError> {
    me.actor
        .access
        .require(Permission::ProjectWrite)
        .map_err(StoreError::from)?;
    Ok(view::render(&ImportPage {
        c: Chrome::new(
            &me,
            "projects",
            me.lang.t("导入项目台账", "Import a ledger").into(),
        ),
        kind: "projects",
        period: String::new(),
        periods: Vec::new(),
        report: None,
        upload: None,
        file_name: String::new(),
        done: false,
        error: None,
    }))
}

/// Reads an upload form: the workbook in field `file` (name and bytes, within the
/// route's size limit) and every other field as text.
pub(crate) async fn read_upload(
    mut mp: Multipart,
    default_name: &str,
) -> Result<(Option<(String, Vec<u8>)>, Vec<(String, String)>), AppError> {
    let bad = |m: String| {
        AppError::from(StoreError::from(gongjian_domain::DomainError::new(
            "file",
            m.clone(),
            m,
        )))
    };
    let (mut file, mut fields) = (None, Vec::new());
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| bad(format!("上传失败 / upload failed: {e}")))?
    {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let file_name = field.file_name().unwrap_or(default_name).to_string();
            let bytes = field.bytes().await.map_err(|e| {
                bad(format!(
                    "文件过大或上传中断（上限 64 MiB）/ file too large or upload interrupted: {e}"
                ))
            })?;
            file = Some((file_name, bytes.to_vec()));
        } else if let Ok(text) = field.text().await {
            fields.push((name, text));
        }
    }
    Ok((file, fields))
}

pub(super) async fn import_upload(
    State(st): State<AppState>,
    me: Me,
    mp: Multipart,
) -> Result<Response, AppError> {
    me.actor
        .access
        .require(Permission::ProjectWrite)
        .map_err(StoreError::from)?;
    let (file, fields) = read_upload(mp, "upload.xlsx").await?;
    let sheet = fields
        .into_iter()
        .find(|(k, v)| k == "sheet" && !v.trim().is_empty())
        .map(|(_, v)| v);
    let c = Chrome::new(
        &me,
        "projects",
        me.lang.t("导入项目台账", "Import a ledger").into(),
    );
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let page = ImportPage {
            c,
            kind: "projects",
            period: String::new(),
            periods: Vec::new(),
            report: None,
            upload: None,
            file_name: String::new(),
            done: false,
            error: Some(
                me.lang
                    .t(
                        "请选择要导入的 xlsx 或 csv 文件。",
                        "Choose an xlsx or csv file.",
                    )
                    .into(),
            ),
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, view::render(&page)).into_response());
    };
    let report = ledger::import_bytes(
        &st.db,
        &me.actor,
        &name,
        &bytes,
        sheet.as_deref(),
        true,
        false,
    )
    .await?;
    let upload = in_tx!(st.db, |tx| project::stash_upload(
        &mut tx, &me.actor, &name, &bytes
    )
    .await?)?;
    Ok(view::render(&ImportPage {
        c,
        kind: "projects",
        period: String::new(),
        periods: Vec::new(),
        report: Some(report),
        upload: Some(upload),
        file_name: name,
        done: false,
        error: None,
    }))
}

pub(super) async fn import_confirm(
    State(st): State<AppState>,
    me: Me,
    Path(upload): Path<i64>,
    p: Pairs,
) -> Result<Response, AppError> {
    let (name, bytes) = project::take_upload(&st.db, &me.actor, upload).await?;
    let valid_only = p.get("mode") == "valid_only";
    let sheet = p.opt("sheet");
    let report = ledger::import_bytes(
        &st.db,
        &me.actor,
        &name,
        &bytes,
        sheet.as_deref(),
        false,
        valid_only,
    )
    .await?;
    let c = Chrome::new(
        &me,
        "projects",
        me.lang.t("导入结果", "Import result").into(),
    );
    Ok(view::render(&ImportPage {
        c,
        kind: "projects",
        period: String::new(),
        periods: Vec::new(),
        report: Some(report),
        upload: None,
        file_name: name,
        done: true,
        error: None,
    }))
}

#[derive(Template)]
#[template(path = "synonyms.html")]
struct SynonymsPage {
    c: Chrome,
    rows: Vec<(i64, String, String)>,
    fields: Vec<(&'static str, String)>,
    error: Option<FormError>,
}

pub(super) fn field_options() -> Vec<(&'static str, String)> {
    FIELDS
        .iter()
        .map(|f| (f.id, format!("{}（{}）", f.zh, f.id)))
        .collect()
}

pub(super) async fn synonyms_page(
    State(st): State<AppState>,
    me: Me,
) -> Result<Response, AppError> {
    me.actor
        .access
        .require(Permission::ProjectAdmin)
        .map_err(StoreError::from)?;
    let rows = project::synonyms(&st.db).await?;
    Ok(view::render(&SynonymsPage {
        c: Chrome::new(
            &me,
            "synonyms",
            me.lang.t("台账列名", "Ledger column names").into(),
        ),
        rows,
        fields: field_options(),
        error: None,
    }))
}

pub(super) async fn synonym_add(
    State(st): State<AppState>,
    me: Me,
    p: Pairs,
) -> Result<Response, AppError> {
    let (field, syn) = (p.get("field"), p.get("synonym"));
    let ids = gongjian_office::ledger::field_ids();
    match in_tx!(st.db, |tx| project::add_synonym(
        &mut tx, &me.actor, &field, &syn, &ids
    )
    .await?)
    {
        Ok(_) => Ok(Redirect::to("/admin/synonyms").into_response()),
        Err(e) => {
            let e = AppError::from(e);
            if e.field.is_none() {
                return Err(e);
            }
            let rows = project::synonyms(&st.db).await?;
            let page = SynonymsPage {
                c: Chrome::new(
                    &me,
                    "synonyms",
                    me.lang.t("台账列名", "Ledger column names").into(),
                ),
                rows,
                fields: field_options(),
                error: Some(FormError::of(&e, me.lang)),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, view::render(&page)).into_response())
        }
    }
}

pub(super) async fn synonym_delete(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    in_tx!(st.db, |tx| project::delete_synonym(&mut tx, &me.actor, id)
        .await?)?;
    Ok(Redirect::to("/admin/synonyms").into_response())
}
