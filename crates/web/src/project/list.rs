//! The project list page: filters over the caller's data scope, whitelisted sorting,
//! paging, and the export of the same filtered list.

use super::*;

/// List query: filters, sorting and paging.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Name, code or owner contains.
    pub q: Option<String>,
    /// This division and everything below it.
    pub division_code: Option<String>,
    /// provincial / provincial_select / city / county
    pub level: Option<String>,
    /// reserve / preparation / construction / completed / operation / terminated
    pub stage: Option<String>,
    /// Category identifier.
    pub category: Option<String>,
    /// Contact leader id.
    pub leader_id: Option<i64>,
    /// Tag: special_bond, central_budget, showcase or campaign:名称.
    pub tag: Option<String>,
    /// Responsible unit code.
    pub responsible_unit: Option<String>,
    /// Plan year shown (default this year).
    pub year: Option<i64>,
    /// sort, code, name, division, level, stage, total_investment, annual_plan, updated_at
    pub sort: Option<String>,
    /// asc or desc
    pub dir: Option<String>,
    /// Include terminated projects.
    pub include_inactive: Option<bool>,
    /// 1-based page.
    pub page: Option<i64>,
    /// Rows per page (at most 500).
    pub size: Option<i64>,
    /// Export format: xlsx, csv or json.
    pub format: Option<String>,
}

fn blank_none(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl ListQuery {
    pub(super) fn filter(&self) -> ProjectFilter {
        ProjectFilter {
            q: blank_none(&self.q),
            division_code: blank_none(&self.division_code),
            level: blank_none(&self.level),
            stage: blank_none(&self.stage),
            category: blank_none(&self.category),
            leader_id: self.leader_id,
            tag: blank_none(&self.tag),
            responsible_unit: blank_none(&self.responsible_unit),
            year: self.year,
            sort: blank_none(&self.sort),
            dir: blank_none(&self.dir),
            include_inactive: self.include_inactive,
        }
    }

    fn pairs(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("q", self.q.clone()),
            ("division_code", self.division_code.clone()),
            ("level", self.level.clone()),
            ("stage", self.stage.clone()),
            ("category", self.category.clone()),
            ("leader_id", self.leader_id.map(|v| v.to_string())),
            ("tag", self.tag.clone()),
            ("responsible_unit", self.responsible_unit.clone()),
            ("year", self.year.map(|v| v.to_string())),
            ("include_inactive", view::ticked(self.include_inactive)),
        ]
    }
}

/// A row of the list page, with display text.
pub struct Row {
    /// The project.
    pub p: Project,
    /// Level label.
    pub level: String,
    /// Stage label.
    pub stage: String,
    /// 万元 with separators.
    pub total: String,
    /// 万元 with separators, or —.
    pub annual: String,
}

#[derive(Template)]
#[template(path = "projects.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
    pager: Pager,
    q: ListQuery,
    divisions: Options,
    leaders: Options,
    levels: Options,
    stages: Options,
    categories: Options,
    tags: Options,
    units: Options,
    leader_sel: String,
    year: i64,
    can_write: bool,
    query: String,
    sort_links: Vec<(&'static str, String, String)>,
}

pub(super) async fn list_page(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let page = Page::new(q.page, q.size);
    let f = q.filter();
    let res = project::list(&st.db, &me.actor, &f, page).await?;
    let l = me.lang;
    let (lv, sg, ct) = (levels(l), stages(l), categories(l));
    let rows = res
        .items
        .into_iter()
        .map(|p| Row {
            level: label(&lv, &p.level),
            stage: label(&sg, &p.stage),
            total: money::wan_grouped(p.total_investment),
            annual: p.annual_plan.map_or("—".into(), money::wan_grouped),
            p,
        })
        .collect();
    let mut pairs = q.pairs();
    pairs.push(("sort", q.sort.clone()));
    pairs.push(("dir", q.dir.clone()));
    pairs.push(("size", q.size.map(|s| s.to_string())));
    let base = view::query_without_page(&pairs);
    let filters_only = view::query_without_page(&q.pairs());
    let cur_sort = q.sort.clone().unwrap_or_else(|| "sort".into());
    let cur_desc = q.dir.as_deref() == Some("desc");
    let sort_links = [
        ("code", l.t("项目代码", "Code")),
        ("name", l.t("项目名称", "Name")),
        ("division", l.t("所在地", "Division")),
        ("level", l.t("级别", "Level")),
        ("stage", l.t("阶段", "Stage")),
        (
            "total_investment",
            l.t("总投资（万元）", "Total (10k yuan)"),
        ),
        (
            "annual_plan",
            l.t("年度计划（万元）", "Annual plan (10k yuan)"),
        ),
    ]
    .into_iter()
    .map(|(key, text)| {
        let dir = if cur_sort == key && !cur_desc {
            "desc"
        } else {
            "asc"
        };
        let arrow = if cur_sort == key {
            if cur_desc { " ↓" } else { " ↑" }
        } else {
            ""
        };
        (
            key,
            format!("{text}{arrow}"),
            format!(
                "?{filters_only}{}sort={key}&dir={dir}",
                if filters_only.is_empty() { "" } else { "&" }
            ),
        )
    })
    .collect();
    let p = ListPage {
        c: Chrome::new(&me, "projects", l.t("项目库", "Projects").into()),
        pager: Pager::new(res.total, page.page, page.size, base),
        rows,
        year: f.year.unwrap_or_else(project::this_year),
        divisions: division_options(&st, &me).await?,
        leaders: leader_options(&st).await?,
        levels: lv,
        stages: sg,
        categories: ct,
        tags: tag_options(l),
        units: unit_options(&st).await?,
        leader_sel: q.leader_id.map(|i| i.to_string()).unwrap_or_default(),
        can_write: me.actor.access.has(Permission::ProjectWrite),
        query: filters_only,
        sort_links,
        q,
    };
    Ok(view::render(&p))
}

pub(super) async fn export_download(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let format = q.format.clone().unwrap_or_else(|| "xlsx".into());
    Ok(download(
        ledger::export(&st.db, &me.actor, &q.filter(), &format).await?,
    ))
}
