//! Reporting periods: open, deadline, remind, recompute, close, and the board of who has reported.

use super::*;

// ---------------------------------------------------------------- periods

#[derive(Template)]
#[template(path = "periods.html")]
pub(super) struct PeriodsPage {
    c: Chrome,
    periods: Vec<Period>,
    can_admin: bool,
    next: String,
    next_deadline: String,
    error: Option<FormError>,
}

pub(super) async fn periods_page(State(st): State<AppState>, me: Me) -> Result<Response, AppError> {
    render_periods(&st, &me, None).await
}

pub(super) async fn render_periods(
    st: &AppState,
    me: &Me,
    error: Option<FormError>,
) -> Result<Response, AppError> {
    me.actor
        .access
        .require(Permission::ProjectRead)
        .map_err(StoreError::from)?;
    let periods = rs::periods(&st.db).await?;
    let (y, m) = match periods.first() {
        Some(p) if p.month == 12 => (p.year as i32 + 1, 1),
        Some(p) => (p.year as i32, p.month as u32 + 1),
        None => gongjian_domain::project::year_month(chrono::Local::now().date_naive()),
    };
    let cal = rs::calendar(&st.db).await?;
    let page = PeriodsPage {
        c: Chrome::new(
            me,
            "reports",
            me.lang.t("报送期", "Reporting periods").into(),
        ),
        periods,
        can_admin: me.actor.access.has(Permission::ReportAdmin),
        next: key(y, m),
        next_deadline: rs::default_deadline(&cal, y, m).to_string(),
        error,
    };
    Ok(view::respond(&page, page.error.is_some()))
}

pub(super) fn date_field(raw: Option<String>) -> Result<Option<NaiveDate>, StoreError> {
    match raw {
        None => Ok(None),
        Some(s) => gongjian_domain::project::parse_date(&s)
            .map(Some)
            .ok_or_else(|| {
                StoreError::from(gongjian_domain::DomainError::new(
                    "deadline",
                    format!("截止日期“{s}”不是日期，应如 2026-11-06。"),
                    format!("Deadline '{s}' is not a date (e.g. 2026-11-06)."),
                ))
            }),
    }
}

pub(super) async fn open_submit(
    State(st): State<AppState>,
    me: Me,
    p: Pairs,
) -> Result<Response, AppError> {
    let r: Result<Period, StoreError> = async {
        let (y, m) = rs::parse_period(&p.get("period"))?;
        let deadline = date_field(p.opt("deadline"))?;
        let cal = rs::calendar(&st.db).await?;
        in_tx!(st.db, |tx| rs::open_period(
            &mut tx, &me.actor, y, m, deadline, &cal
        )
        .await?)
    }
    .await;
    match r {
        Ok(p) => Ok(Redirect::to(&format!("/periods/{}", p.key())).into_response()),
        Err(e) => {
            let e = AppError::from(e);
            if e.field.is_none() {
                return Err(e);
            }
            let fe = FormError::of(&e, me.lang);
            render_periods(&st, &me, Some(fe)).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct BoardQuery {
    division: Option<String>,
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "period.html")]
pub(super) struct BoardPage {
    c: Chrome,
    p: Period,
    rows: Vec<BoardRow>,
    total: BoardRow,
    division: String,
    can_admin: bool,
    done: Option<String>,
    chart: String,
}

pub(super) async fn board_page(
    State(st): State<AppState>,
    me: Me,
    Path(period): Path<String>,
    Query(q): Query<BoardQuery>,
) -> Result<Response, AppError> {
    let (y, m) = period_of(&period)?;
    let p = rs::period(&st.db, y, m)
        .await?
        .ok_or_else(|| StoreError::not_found("报送期", "period", key(y, m)))?;
    let division = q.division.clone().unwrap_or_default();
    let rows = rs::board(
        &st.db,
        &me.actor,
        y,
        m,
        Some(division.as_str()).filter(|s| !s.is_empty()),
    )
    .await?;
    let mut total = BoardRow {
        division_name: me.lang.t("合计", "Total").into(),
        ..Default::default()
    };
    for r in &rows {
        total.due += r.due;
        total.missing += r.missing;
        total.submitted += r.submitted;
        total.returned += r.returned;
        total.approved += r.approved;
        total.locked += r.locked;
        total.late += r.late;
    }
    let l = me.lang;
    let chart = serde_json::json!({
        "names": rows.iter().map(|r| r.division_name.clone()).collect::<Vec<_>>(),
        "stacks": [
            {"name": l.t("已锁定", "Locked"), "values": rows.iter().map(|r| r.locked).collect::<Vec<_>>(), "color": "#1b5e20"},
            {"name": l.t("已审核", "Approved"), "values": rows.iter().map(|r| r.approved).collect::<Vec<_>>(), "color": "#2e7d32"},
            {"name": l.t("已报送", "Submitted"), "values": rows.iter().map(|r| r.submitted).collect::<Vec<_>>(), "color": "#1565c0"},
            {"name": l.t("未报送", "Missing"), "values": rows.iter().map(|r| r.missing).collect::<Vec<_>>(), "color": "#c62828"},
        ],
        "unit": l.t("个", "projects"),
    });
    let page = BoardPage {
        c: Chrome::new(
            &me,
            "reports",
            format!("{} {}", p.key(), l.t("报送情况", "reporting board")),
        ),
        rows,
        total,
        division,
        can_admin: me.actor.access.has(Permission::ReportAdmin),
        done: q.done,
        chart: chart.to_string(),
        p,
    };
    Ok(view::render(&page))
}

pub(super) async fn period_action(
    st: &AppState,
    me: &Me,
    period: &str,
    what: &str,
    p: &Pairs,
) -> Result<Response, AppError> {
    let (y, m) = period_of(period)?;
    let r: Result<String, StoreError> = match what {
        "remind" => in_tx!(st.db, |tx| rs::remind(&mut tx, &me.actor, y, m).await?)
            .map(|n| format!("remind:{n}")),
        "lights" => rs::recompute(&st.db, &me.actor, y, m)
            .await
            .map(|s| format!("lights:{}-{}", s.projects, s.changed)),
        "close" => in_tx!(st.db, |tx| rs::close_period(&mut tx, &me.actor, y, m)
            .await?)
        .map(|_| "close".to_string()),
        _ => {
            let d = date_field(p.opt("deadline"))?;
            match d {
                Some(d) => in_tx!(st.db, |tx| rs::set_deadline(&mut tx, &me.actor, y, m, d)
                    .await?)
                .map(|_| "deadline".to_string()),
                None => Err(StoreError::from(gongjian_domain::DomainError::new(
                    "deadline",
                    "请填写新的截止日期。",
                    "Enter the new deadline.",
                ))),
            }
        }
    };
    let done = r?;
    Ok(Redirect::to(&format!("/periods/{}?done={done}", key(y, m))).into_response())
}

pub(super) async fn remind_submit(
    State(st): State<AppState>,
    me: Me,
    Path(period): Path<String>,
    p: Pairs,
) -> Result<Response, AppError> {
    period_action(&st, &me, &period, "remind", &p).await
}
pub(super) async fn recompute_submit(
    State(st): State<AppState>,
    me: Me,
    Path(period): Path<String>,
    p: Pairs,
) -> Result<Response, AppError> {
    period_action(&st, &me, &period, "lights", &p).await
}
pub(super) async fn close_submit(
    State(st): State<AppState>,
    me: Me,
    Path(period): Path<String>,
    p: Pairs,
) -> Result<Response, AppError> {
    period_action(&st, &me, &period, "close", &p).await
}
pub(super) async fn deadline_submit(
    State(st): State<AppState>,
    me: Me,
    Path(period): Path<String>,
    p: Pairs,
) -> Result<Response, AppError> {
    period_action(&st, &me, &period, "deadline", &p).await
}
