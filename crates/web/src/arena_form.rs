//! The arena form: create an arena (participants, indicators with their sources and
//! scoring methods, the flag rule) or give an existing one a new rule version from a
//! month, for the office (arena.admin). Everything the JSON files of the CLI can say.

use crate::session::Me;
use crate::view::{self, Chrome, FormError, Pairs};
use crate::{AppError, AppState, in_tx};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use gongjian_domain::DomainError;
use gongjian_domain::access::Permission;
use gongjian_domain::arena::{
    Direction, FlagRule, Indicator, METHOD_KINDS, Measure, Method, Period,
};
use gongjian_store::StoreError;
use gongjian_store::arena::{self as ar, ArenaInput, IndicatorDef, Source};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/arenas/new", get(new_page).post(new_submit))
        .route("/arenas/{code}/rule", get(rule_page).post(rule_submit))
}

/// Blank indicator rows offered below the filled ones.
const BLANK_ROWS: usize = 3;

/// One indicator row as typed.
#[derive(Debug, Clone, Default)]
struct Row {
    code: String,
    name: String,
    unit: String,
    /// `higher` or `lower`.
    direction: String,
    weight: String,
    method: String,
    params: String,
    /// A measure code, or `entered`.
    source: String,
    /// The unit entering the value, for `entered`.
    by: String,
}

impl Row {
    fn of(d: &IndicatorDef) -> Row {
        let (source, by) = match &d.source {
            Source::Measure { measure } => (measure.code().to_string(), String::new()),
            Source::Entered { unit } => ("entered".to_string(), unit.clone()),
        };
        Row {
            code: d.rule.code.clone(),
            name: d.rule.name.clone(),
            unit: d.rule.unit.clone(),
            direction: match d.rule.direction {
                Direction::Higher => "higher".into(),
                Direction::Lower => "lower".into(),
            },
            weight: d.rule.weight.to_string(),
            method: d.rule.method.kind().into(),
            params: d.rule.method.params_text(),
            source,
            by,
        }
    }

    fn blank() -> Row {
        Row {
            direction: "higher".into(),
            method: "ratio".into(),
            params: "cap_pct=100".into(),
            source: "invest_plan".into(),
            ..Row::default()
        }
    }
}

/// The whole form as typed (kept when it is refused).
#[derive(Debug, Clone, Default)]
struct Form {
    code: String,
    name: String,
    kind: String,
    task_book: String,
    participants: Vec<String>,
    from_period: String,
    rows: Vec<Row>,
    flag_kind: String,
    flag_red: String,
    flag_low: String,
    flag_climb: String,
}

impl Form {
    fn read(p: &Pairs) -> Form {
        let n: usize = p.get("rows").parse().unwrap_or(0).min(60);
        let rows = (0..n)
            .map(|i| Row {
                code: p.get(&format!("ind_code_{i}")).trim().to_string(),
                name: p.get(&format!("ind_name_{i}")).trim().to_string(),
                unit: p.get(&format!("ind_unit_{i}")).trim().to_string(),
                direction: p.get(&format!("ind_direction_{i}")),
                weight: p.get(&format!("ind_weight_{i}")).trim().to_string(),
                method: p.get(&format!("ind_method_{i}")),
                params: p.get(&format!("ind_params_{i}")).trim().to_string(),
                source: p.get(&format!("ind_source_{i}")),
                by: p.get(&format!("ind_by_{i}")).trim().to_string(),
            })
            .collect();
        Form {
            code: p.get("code").trim().to_string(),
            name: p.get("name").trim().to_string(),
            kind: p.get("kind"),
            task_book: p.get("task_book"),
            participants: p.all("participants"),
            from_period: p.get("from_period").trim().to_string(),
            rows,
            flag_kind: p.get("flag_kind"),
            flag_red: p.get("flag_red").trim().to_string(),
            flag_low: p.get("flag_low").trim().to_string(),
            flag_climb: p.get("flag_climb").trim().to_string(),
        }
    }

    /// The indicators and flag rule, or what is wrong with them (and in which row).
    fn rule(&self) -> Result<(Vec<IndicatorDef>, FlagRule), DomainError> {
        let mut out = Vec::new();
        for (i, r) in self.rows.iter().enumerate() {
            if r.code.is_empty() && r.name.is_empty() {
                continue;
            }
            let row = |e: DomainError| {
                DomainError::new(
                    "indicators",
                    format!("第 {} 个指标：{}", i + 1, e.msg.zh),
                    format!("indicator {}: {}", i + 1, e.msg.en),
                )
            };
            if r.code.is_empty() || r.name.is_empty() {
                return Err(row(DomainError::new(
                    "indicators",
                    "请同时填写指标代码和名称。",
                    "give both the code and the name",
                )));
            }
            let weight: i64 = r.weight.parse().map_err(|_| {
                row(DomainError::new(
                    "indicators",
                    format!("权重应为整数分，当前为“{}”。", r.weight),
                    format!("the weight must be whole points, got '{}'", r.weight),
                ))
            })?;
            let method = Method::from_text("indicators", &r.method, &r.params).map_err(row)?;
            let source = if r.source == "entered" {
                if r.by.is_empty() {
                    return Err(row(DomainError::new(
                        "indicators",
                        "按期填报的指标要写明填报单位的代码。",
                        "an entered indicator needs the code of the unit entering it",
                    )));
                }
                Source::Entered { unit: r.by.clone() }
            } else {
                let measure = Measure::from_code(&r.source).ok_or_else(|| {
                    row(DomainError::new(
                        "indicators",
                        format!("数据来源“{}”不存在。", r.source),
                        format!("unknown source '{}'", r.source),
                    ))
                })?;
                Source::Measure { measure }
            };
            out.push(IndicatorDef {
                rule: Indicator {
                    code: r.code.clone(),
                    name: r.name.clone(),
                    unit: r.unit.clone(),
                    direction: if r.direction == "lower" {
                        Direction::Lower
                    } else {
                        Direction::Higher
                    },
                    weight,
                    method,
                },
                source,
            });
        }
        let num = |field: &'static str, label: &str, v: &str| -> Result<usize, DomainError> {
            v.parse::<usize>().map_err(|_| {
                DomainError::new(
                    field,
                    format!("{label}应为非负整数，当前为“{v}”。"),
                    format!("{field} must be a whole number, got '{v}'"),
                )
            })
        };
        let flag = FlagRule::from_form(
            &self.flag_kind,
            num("flag_red", "红旗（红榜）名额", &self.flag_red)?,
            num("flag_low", "黄旗（黑榜）名额", &self.flag_low)?,
            num("flag_climb", "进位名次", &self.flag_climb)?,
        )?;
        Ok((out, flag))
    }

    fn with_blanks(mut self) -> Form {
        let filled = self
            .rows
            .iter()
            .filter(|r| !r.code.is_empty() || !r.name.is_empty())
            .count();
        self.rows.truncate(
            filled.max(
                self.rows
                    .iter()
                    .rposition(|r| !r.code.is_empty() || !r.name.is_empty())
                    .map_or(0, |i| i + 1),
            ),
        );
        self.rows.extend((0..BLANK_ROWS).map(|_| Row::blank()));
        self
    }
}

#[derive(Template)]
#[template(path = "arena_form.html")]
struct FormPage {
    c: Chrome,
    /// The arena whose rule is edited; none when creating.
    editing: Option<ar::Arena>,
    f: Form,
    kinds: Vec<(&'static str, &'static str)>,
    units: Vec<(String, String)>,
    entering_units: Vec<(String, String)>,
    measures: Vec<(&'static str, &'static str, &'static str)>,
    methods: Vec<(&'static str, &'static str, &'static str)>,
    error: Option<FormError>,
}

impl FormPage {
    fn chosen(&self, code: &str) -> bool {
        self.f.participants.iter().any(|p| p == code)
    }
}

fn measure_names() -> Vec<(&'static str, &'static str, &'static str)> {
    Measure::ALL
        .iter()
        .map(|m| {
            let name = match m {
                Measure::InvestPlan => "投资完成率（对年度计划）",
                Measure::InvestTarget => "序时进度完成率",
                Measure::StartRate => "开工率",
                Measure::CompletionRate => "竣工投产率",
                Measure::ReserveConversion => "储备转化率",
                Measure::InvestPerMu => "亩均投资强度",
                Measure::TaxPerMu => "亩均税收",
                Measure::ProblemsOnTime => "问题按时办结率",
                Measure::TasksOnTime => "督办任务按时办结率",
            };
            (m.code(), name, m.zh())
        })
        .collect()
}

async fn render(
    st: &AppState,
    me: &Me,
    editing: Option<ar::Arena>,
    f: Form,
    error: Option<FormError>,
) -> Result<Response, AppError> {
    let title = match &editing {
        Some(a) => format!(
            "{} · {}",
            a.name,
            me.lang.t("修改计分规则", "Edit the rule")
        ),
        None => me.lang.t("新建擂台", "New arena").to_string(),
    };
    let page = FormPage {
        c: Chrome::new(me, "arenas", title),
        editing,
        f: f.with_blanks(),
        kinds: ar::KINDS.to_vec(),
        units: ar::participant_choices(&st.db).await?,
        entering_units: gongjian_store::project::unit_choices(&st.db).await?,
        measures: measure_names(),
        methods: METHOD_KINDS.to_vec(),
        error,
    };
    Ok(view::respond(&page, page.error.is_some()))
}

fn require_admin(me: &Me) -> Result<(), AppError> {
    me.actor
        .access
        .require(Permission::ArenaAdmin)
        .map_err(StoreError::from)?;
    Ok(())
}

/// The next month, when a new rule usually starts.
fn next_month() -> String {
    let (y, m) = gongjian_domain::project::year_month(gongjian_store::today());
    if m == 12 {
        format!("{}-01", y + 1)
    } else {
        format!("{y}-{:02}", m + 1)
    }
}

async fn new_page(State(st): State<AppState>, me: Me) -> Result<Response, AppError> {
    require_admin(&me)?;
    let (y, _) = gongjian_domain::project::year_month(gongjian_store::today());
    let f = Form {
        kind: "comprehensive".into(),
        from_period: format!("{y}-01"),
        flag_kind: "top_bottom".into(),
        flag_red: "3".into(),
        flag_low: "3".into(),
        flag_climb: "2".into(),
        ..Form::default()
    };
    render(&st, &me, None, f, None).await
}

async fn new_submit(State(st): State<AppState>, me: Me, p: Pairs) -> Result<Response, AppError> {
    require_admin(&me)?;
    let f = Form::read(&p);
    let result = match f.rule() {
        Ok((indicators, flag_rule)) => {
            let input = ArenaInput {
                code: f.code.clone(),
                name: f.name.clone(),
                kind: f.kind.clone(),
                task_book: f.task_book.clone(),
                participants: f.participants.clone(),
                indicators,
                flag_rule,
                from_period: Some(f.from_period.clone()).filter(|s| !s.is_empty()),
            };
            in_tx!(st.db, |tx| ar::create(&mut tx, &me.actor, &input).await?)
        }
        Err(e) => Err(e.into()),
    };
    match result.map_err(AppError::from) {
        Ok(a) => Ok(Redirect::to(&format!("/arenas/{}", a.code)).into_response()),
        Err(e) if e.field.is_some() => {
            render(&st, &me, None, f, Some(FormError::of(&e, me.lang))).await
        }
        Err(e) => Err(e),
    }
}

async fn rule_page(
    State(st): State<AppState>,
    me: Me,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    require_admin(&me)?;
    let a = ar::by_code(&st.db, &code).await?;
    let (y, m) = gongjian_domain::project::year_month(gongjian_store::today());
    let rule = ar::rule_for(&st.db, a.id, Period::Month(y, m)).await?;
    let parts = ar::participants(&st.db, a.id).await?;
    let (red, low, climb) = rule.flag_rule.numbers();
    let f = Form {
        code: a.code.clone(),
        name: a.name.clone(),
        kind: a.kind.clone(),
        task_book: a.task_book.clone(),
        participants: parts.into_iter().map(|p| p.code).collect(),
        from_period: next_month(),
        rows: rule.indicators.iter().map(Row::of).collect(),
        flag_kind: rule.flag_rule.kind().into(),
        flag_red: red.to_string(),
        flag_low: low.to_string(),
        flag_climb: climb.to_string(),
    };
    render(&st, &me, Some(a), f, None).await
}

async fn rule_submit(
    State(st): State<AppState>,
    me: Me,
    Path(code): Path<String>,
    p: Pairs,
) -> Result<Response, AppError> {
    require_admin(&me)?;
    let a = ar::by_code(&st.db, &code).await?;
    let mut f = Form::read(&p);
    // What the rule form does not change is shown as stored.
    let parts = ar::participants(&st.db, a.id).await?;
    f.code = a.code.clone();
    f.name = a.name.clone();
    f.kind = a.kind.clone();
    f.task_book = a.task_book.clone();
    f.participants = parts.into_iter().map(|p| p.code).collect();
    let result = match f.rule() {
        Ok((indicators, flag_rule)) => in_tx!(st.db, |tx| ar::set_rule(
            &mut tx,
            &me.actor,
            &a.code,
            &f.from_period,
            &indicators,
            &flag_rule
        )
        .await?),
        Err(e) => Err(e.into()),
    };
    match result.map_err(AppError::from) {
        Ok(_) => Ok(Redirect::to(&format!("/arenas/{}", a.code)).into_response()),
        Err(e) if e.field.is_some() => {
            render(&st, &me, Some(a), f, Some(FormError::of(&e, me.lang))).await
        }
        Err(e) => Err(e),
    }
}
