//! Task pages: the task board with the issue form, a task with its entries and the
//! forms of the step the viewer may take, and my to-do list (problems and tasks).

use super::problems::Row;
use super::{attachment_response, body_limit, read_form};
use crate::session::Me;
use crate::view::{self, Chrome, FormError, Pager, Pairs};
use crate::{AppError, AppState, in_tx};
use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use gongjian_domain::access::Permission;
use gongjian_domain::task::{Rhythm, Source, Status};
use gongjian_store::attachment::{self, Attachment, Owner};
use gongjian_store::task::{self as tk, Entry, EntryInput, Task, TaskFilter, TaskInput};
use gongjian_store::{Page, StoreError};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/tasks", get(list_page).post(issue_submit))
        .route("/tasks/{id}", get(task_page))
        .route(
            "/tasks/{id}/entries",
            axum::routing::post(entry_submit).layer(body_limit()),
        )
        .route("/tasks/{id}/attachments/{aid}", get(download))
        .route("/todo", get(todo_page))
}

#[derive(Debug, Default, serde::Deserialize)]
struct ListQuery {
    status: Option<String>,
    overdue: Option<String>,
    source: Option<String>,
    q: Option<String>,
    page: Option<i64>,
}

impl ListQuery {
    fn filter(&self) -> TaskFilter {
        let blank = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
        TaskFilter {
            status: blank(&self.status),
            overdue: self
                .overdue
                .as_deref()
                .map(|v| v == "1" || v == "true")
                .filter(|v| *v),
            source: blank(&self.source),
            unit_id: None,
            q: blank(&self.q),
        }
    }
}

pub(crate) struct TaskRow {
    pub t: Task,
    pub overdue_days: i64,
    pub feedback_late: bool,
}

fn task_rows(items: Vec<Task>, today: chrono::NaiveDate) -> Vec<TaskRow> {
    items
        .into_iter()
        .map(|t| TaskRow {
            overdue_days: t.overdue_days(today),
            feedback_late: t.feedback_late(today),
            t,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "tasks.html")]
struct ListPage {
    c: Chrome,
    q: ListQuery,
    rows: Vec<TaskRow>,
    pager: Pager,
    statuses: Vec<(&'static str, &'static str)>,
    sources: Vec<(&'static str, &'static str)>,
    rhythms: Vec<(&'static str, &'static str)>,
    can_issue: bool,
    units: Vec<(String, String)>,
    values: Pairs,
    error: Option<FormError>,
}

async fn render_list(
    st: &AppState,
    me: &Me,
    q: ListQuery,
    values: Pairs,
    error: Option<FormError>,
) -> Result<Response, AppError> {
    me.actor
        .access
        .require(Permission::ProjectRead)
        .map_err(StoreError::from)?;
    let today = gongjian_store::today();
    let r = tk::list(
        &st.db,
        &me.actor,
        &q.filter(),
        Page::new(q.page, Some(30)),
        today,
    )
    .await?;
    let base = view::query_without_page(&[
        ("status", q.status.clone()),
        ("overdue", q.overdue.clone()),
        ("source", q.source.clone()),
        ("q", q.q.clone()),
    ]);
    let can_issue = me.actor.access.has(Permission::TaskAdmin);
    let units = if can_issue {
        gongjian_store::project::unit_choices(&st.db).await?
    } else {
        Vec::new()
    };
    let page = ListPage {
        c: Chrome::new(
            me,
            "tasks",
            me.lang.t("督办任务", "Supervised tasks").into(),
        ),
        pager: Pager::new(r.total, r.page, r.size, base),
        rows: task_rows(r.items, today),
        q,
        statuses: Status::ALL.iter().map(|s| (s.as_str(), s.zh())).collect(),
        sources: Source::ALL.iter().map(|s| (s.as_str(), s.zh())).collect(),
        rhythms: Rhythm::ALL.iter().map(|s| (s.as_str(), s.zh())).collect(),
        can_issue,
        units,
        values,
        error,
    };
    Ok(view::respond(&page, page.error.is_some()))
}

async fn list_page(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    render_list(&st, &me, q, Pairs::default(), None).await
}

async fn issue_submit(State(st): State<AppState>, me: Me, p: Pairs) -> Result<Response, AppError> {
    let input = TaskInput {
        title: p.get("title"),
        detail: p.get("detail"),
        source: p.opt("source"),
        source_ref: p.opt("source_ref"),
        project_id: None,
        lead_unit: p.get("lead_unit"),
        cooperating: p.all("cooperating").join(","),
        deadline: p.get("deadline"),
        rhythm: p.opt("rhythm"),
        evidence: p.get("evidence"),
    };
    let today = gongjian_store::today();
    match in_tx!(st.db, |tx| tk::issue(&mut tx, &me.actor, &input, today)
        .await?)
    .map_err(AppError::from)
    {
        Ok(t) => Ok(Redirect::to(&format!("/tasks/{}", t.id)).into_response()),
        Err(e) if e.field.is_some() => {
            render_list(
                &st,
                &me,
                ListQuery::default(),
                p,
                Some(FormError::of(&e, me.lang)),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "task.html")]
struct TaskPage {
    c: Chrome,
    t: Task,
    overdue_days: i64,
    feedback_late: bool,
    entries: Vec<Entry>,
    files: Vec<Attachment>,
    can_feedback: bool,
    can_claim: bool,
    can_verify: bool,
    today: String,
    error: Option<FormError>,
}

async fn render_task(
    st: &AppState,
    me: &Me,
    id: i64,
    error: Option<FormError>,
) -> Result<Response, AppError> {
    let t = tk::get(&st.db, &me.actor, id).await?;
    let entries = tk::entries(&st.db, id).await?;
    let files = attachment::list(&st.db, Owner::Task(id)).await?;
    let a = &me.actor.access;
    let ws = a.scope(Permission::TaskWrite);
    let working = matches!(t.status(), Status::Issued | Status::InProgress);
    let lead = a.has(Permission::TaskWrite) && ws.allows(Some(t.lead_unit_id), None);
    let today = gongjian_store::today();
    let page = TaskPage {
        c: Chrome::new(me, "tasks", t.title.clone()),
        overdue_days: t.overdue_days(today),
        feedback_late: t.feedback_late(today),
        can_feedback: working && a.has(Permission::TaskWrite),
        can_claim: working && lead,
        can_verify: t.status() == Status::Claimed && a.has(Permission::TaskAdmin),
        t,
        entries,
        files,
        today: today.to_string(),
        error,
    };
    Ok(view::respond(&page, page.error.is_some()))
}

async fn task_page(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    render_task(&st, &me, id, None).await
}

async fn entry_submit(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, AppError> {
    let (p, files) = match read_form(mp).await {
        Ok(x) => x,
        Err(e) if e.field.is_some() => {
            return render_task(&st, &me, id, Some(FormError::of(&e, me.lang))).await;
        }
        Err(e) => return Err(e),
    };
    let input = EntryInput {
        action: p.get("action"),
        text: p.get("text"),
        on: p.opt("on"),
    };
    let today = gongjian_store::today();
    let r = in_tx!(st.db, |tx| {
        // Attached first so a claim sees its evidence; `act` checks who may act and
        // the whole transaction rolls back if it refuses.
        for (name, bytes) in &files {
            attachment::add(&mut tx, &me.actor, Owner::Task(id), name, bytes).await?;
        }
        tk::act(&mut tx, &me.actor, id, &input, today).await?;
    });
    match r.map_err(AppError::from) {
        Ok(()) => Ok(Redirect::to(&format!("/tasks/{id}")).into_response()),
        Err(e) if e.field.is_some() => {
            render_task(&st, &me, id, Some(FormError::of(&e, me.lang))).await
        }
        Err(e) => Err(e),
    }
}

async fn download(
    State(st): State<AppState>,
    me: Me,
    Path((id, aid)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    tk::get(&st.db, &me.actor, id).await?;
    let (a, bytes) = attachment::get(&st.db, Owner::Task(id), aid).await?;
    Ok(attachment_response(a, bytes))
}

#[derive(Template)]
#[template(path = "todo.html")]
struct TodoPage {
    c: Chrome,
    problems: Vec<Row>,
    tasks: Vec<TaskRow>,
}

async fn todo_page(State(st): State<AppState>, me: Me) -> Result<Response, AppError> {
    let today = gongjian_store::today();
    let problems = gongjian_store::problem::todo(&st.db, &me.actor, today)
        .await?
        .into_iter()
        .map(|p| Row {
            overdue_days: p.overdue_days(today),
            p,
        })
        .collect();
    let tasks = task_rows(tk::todo(&st.db, &me.actor, today).await?, today);
    let page = TodoPage {
        c: Chrome::new(&me, "todo", me.lang.t("我的待办", "My to-do").into()),
        problems,
        tasks,
    };
    Ok(view::render(&page))
}
