//! The OpenAPI document of `/api/v1`, served at `/api/v1/openapi.json` and pinned by a
//! snapshot test.

use crate::AppState;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "gongjian API", description = "攻坚 重点工作重大项目调度督查平台 JSON API。登录后以 Cookie 会话（状态变更请求须带 X-CSRF-Token）或个人访问令牌（Authorization: Bearer）调用。"),
    paths(
        crate::session::api_login, crate::session::api_logout, crate::session::api_me,
        crate::account::api_password, crate::account::api_tokens, crate::account::api_create_token, crate::account::api_revoke,
        crate::home::api,
        crate::org::division::api_list, crate::org::division::api_create, crate::org::division::api_get, crate::org::division::api_update,
        crate::org::division::api_activate, crate::org::division::api_deactivate,
        crate::org::unit::api_list, crate::org::unit::api_create, crate::org::unit::api_get, crate::org::unit::api_update,
        crate::org::unit::api_activate, crate::org::unit::api_deactivate,
        crate::org::leader::api_list, crate::org::leader::api_create, crate::org::leader::api_get, crate::org::leader::api_update,
        crate::org::leader::api_activate, crate::org::leader::api_deactivate,
        crate::admin::user::api_list, crate::admin::user::api_create, crate::admin::user::api_get, crate::admin::user::api_update,
        crate::admin::user::api_password, crate::admin::user::api_action,
        crate::admin::role::api_list, crate::admin::role::api_create, crate::admin::role::api_get, crate::admin::role::api_update,
        crate::audit::api,
        crate::project::api::api_list, crate::project::api::api_create, crate::project::api::api_get, crate::project::api::api_update,
        crate::project::api::api_stage, crate::project::api::api_plan, crate::project::api::api_tax, crate::project::api::api_milestones,
        crate::project::api::api_import, crate::project::api::api_export, crate::project::api::api_copy,
        crate::report::api::api_periods, crate::report::api::api_open, crate::report::api::api_recompute,
        crate::report::api::api_list, crate::report::api::api_get, crate::report::api::api_save,
        crate::report::api::api_review, crate::report::api::api_progress,
        crate::supervise::api_problems, crate::supervise::api_problem, crate::supervise::api_raise,
        crate::supervise::api_step, crate::supervise::api_tasks, crate::supervise::api_entry,
        crate::arena::api_list, crate::arena::api_score,
        crate::cockpit::api, crate::campaign::api,
    ),
    tags(
        (name = "session", description = "登录、当前用户、访问令牌 / sign-in, current user, tokens"),
        (name = "home", description = "首页统计 / home counts"),
        (name = "organisation", description = "行政区划、单位、领导 / divisions, units, leaders"),
        (name = "accounts", description = "用户与角色 / users and roles"),
        (name = "audit", description = "审计日志 / audit log"),
        (name = "campaigns", description = "攻坚战 / campaigns"),
        (name = "cockpit", description = "领导驾驶舱 / the leaders' cockpit"),
        (name = "arenas", description = "擂台赛：擂台、已发布成绩 / arenas and published scores"),
        (name = "problems", description = "问题清单与督办任务 / problems and supervised tasks"),
        (name = "projects", description = "项目库：项目、计划、节点、台账导入导出 / project registry, plans, milestones, ledgers"),
        (name = "reports", description = "月报、报送期、序时进度与红黄绿灯 / monthly reports, periods, progress and lights"),
    )
)]
pub struct ApiDoc;

/// The document as JSON text (pretty, stable order).
pub fn document() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .expect("OpenAPI serialises")
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/openapi.json",
        get(|| async { Json(ApiDoc::openapi()) }),
    )
}
