//! Light rule and working-day calendar settings, project locations, and the inbox.

use super::*;

// ---------------------------------------------------------------- settings

#[derive(Template)]
#[template(path = "reporting_settings.html")]
pub(super) struct SettingsPage {
    c: Chrome,
    rule: LightRule,
    pts: (String, String),
    version: i64,
    versions: Vec<(i64, String, String)>,
    days: Vec<rs::CalendarDay>,
    error: Option<FormError>,
    saved: Option<String>,
}

pub(super) async fn settings_page(
    State(st): State<AppState>,
    me: Me,
    Query(s): Query<SavedQ>,
) -> Result<Response, AppError> {
    render_settings(&st, &me, None, None, s.saved).await
}

pub(super) async fn render_settings(
    st: &AppState,
    me: &Me,
    rule: Option<LightRule>,
    error: Option<FormError>,
    saved: Option<String>,
) -> Result<Response, AppError> {
    me.actor
        .access
        .require(Permission::ReportAdmin)
        .map_err(StoreError::from)?;
    let (version, cur) = rs::current_rule(&st.db).await?;
    let versions = rs::rule_versions(&st.db)
        .await?
        .into_iter()
        .map(|r| {
            (
                r.version,
                r.parsed().name,
                format!("{} · {}", r.actor_name, view::fmt_time(&r.created_at)),
            )
        })
        .collect();
    let rule = rule.unwrap_or(cur);
    let page = SettingsPage {
        c: Chrome::new(
            me,
            "reporting",
            me.lang
                .t("预警规则与工作日", "Light rule and calendar")
                .into(),
        ),
        pts: (pg::points(rule.yellow_lag_bp), pg::points(rule.red_lag_bp)),
        rule,
        version,
        versions,
        days: rs::calendar_days(&st.db).await?,
        error,
        saved,
    };
    Ok(view::respond(&page, page.error.is_some()))
}

pub(super) fn points_bp(field: &'static str, raw: &str) -> Result<i64, StoreError> {
    let t = raw.trim();
    gongjian_domain::money::parse_scaled(t, 2)
        .and_then(|v| i64::try_from(v).ok())
        .ok_or_else(|| {
            StoreError::from(gongjian_domain::DomainError::new(
                field,
                format!("“{t}”应为百分点数，如 10 或 12.5。"),
                format!("'{t}' should be percentage points, e.g. 10 or 12.5."),
            ))
        })
}

pub(super) fn int_field(field: &'static str, raw: &str) -> Result<i64, StoreError> {
    let t = raw.trim();
    t.parse::<i64>().map_err(|_| {
        StoreError::from(gongjian_domain::DomainError::new(
            field,
            format!("“{t}”应为整数。"),
            format!("'{t}' should be a whole number."),
        ))
    })
}

pub(super) fn rule_of(p: &Pairs) -> Result<LightRule, StoreError> {
    Ok(LightRule {
        name: p.get("name"),
        yellow_lag_bp: points_bp("yellow_lag_bp", &p.get("yellow_lag"))?,
        red_lag_bp: points_bp("red_lag_bp", &p.get("red_lag"))?,
        not_started_red_months: int_field(
            "not_started_red_months",
            &p.get("not_started_red_months"),
        )?,
        milestone_yellow_days: int_field("milestone_yellow_days", &p.get("milestone_yellow_days"))?,
        milestone_red_days: int_field("milestone_red_days", &p.get("milestone_red_days"))?,
        overrun: p.get("overrun"),
        month_over_plan_factor: int_field(
            "month_over_plan_factor",
            &p.get("month_over_plan_factor"),
        )?,
        photo_max_distance_m: int_field("photo_max_distance_m", &p.get("photo_max_distance_m"))?,
    })
}

pub(super) async fn rule_submit(
    State(st): State<AppState>,
    me: Me,
    p: Pairs,
) -> Result<Response, AppError> {
    let preset = p.get("preset");
    let rule = match preset.as_str() {
        "yinchuan" => Ok(LightRule::yinchuan()),
        "sanya" => Ok(LightRule::sanya()),
        _ => rule_of(&p),
    };
    let r = match rule {
        Ok(rule) => in_tx!(st.db, |tx| rs::set_rule(&mut tx, &me.actor, &rule).await?)
            .map_err(|e| (e, Some(rule))),
        Err(e) => Err((e, None)),
    };
    match r {
        Ok(v) => Ok(Redirect::to(&format!("/admin/reporting?saved=rule{v}")).into_response()),
        Err((e, rule)) => {
            let e = AppError::from(e);
            if e.field.is_none() {
                return Err(e);
            }
            let fe = FormError::of(&e, me.lang);
            render_settings(&st, &me, rule, Some(fe), None).await
        }
    }
}

pub(super) async fn calendar_submit(
    State(st): State<AppState>,
    me: Me,
    p: Pairs,
) -> Result<Response, AppError> {
    let text = p.get("rows");
    match in_tx!(st.db, |tx| rs::calendar_put(&mut tx, &me.actor, &text)
        .await?)
    {
        Ok(n) => Ok(
            Redirect::to(&format!("/admin/reporting?saved=calendar{n}#calendar")).into_response(),
        ),
        Err(e) => {
            let e = AppError::from(e);
            if e.field.is_none() {
                return Err(e);
            }
            let fe = FormError::of(&e, me.lang);
            render_settings(&st, &me, None, Some(fe), None).await
        }
    }
}

pub(super) async fn location_submit(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    p: Pairs,
) -> Result<Response, AppError> {
    let r: Result<(), StoreError> = async {
        let at = rs::parse_location(&p.get("location"))?;
        in_tx!(st.db, |tx| rs::set_location(&mut tx, &me.actor, id, at)
            .await?)
    }
    .await;
    r?;
    Ok(Redirect::to(&format!("/projects/{id}?saved=1")).into_response())
}

// ---------------------------------------------------------------- inbox

#[derive(Template)]
#[template(path = "notices.html")]
pub(super) struct NoticesPage {
    c: Chrome,
    items: Vec<rs::Notice>,
}

pub(super) async fn notices_page(State(st): State<AppState>, me: Me) -> Result<Response, AppError> {
    let items = rs::notices(&st.db, me.user.user_id).await?;
    let page = NoticesPage {
        c: Chrome::new(&me, "notices", me.lang.t("消息", "Inbox").into()),
        items,
    };
    Ok(view::render(&page))
}

pub(super) async fn notices_read(State(st): State<AppState>, me: Me) -> Result<Response, AppError> {
    rs::mark_read(&st.db, me.user.user_id).await?;
    Ok(Redirect::to("/notices").into_response())
}
