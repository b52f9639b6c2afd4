//! The access-review API: campaigns, items, decisions, progress, tasks, evidence, and each
//! reviewer's own queue.

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use bulwark_core::cursor::Cursor;
use bulwark_core::{Access, Area, Permission};
use serde::Deserialize;

use super::decide::{self, Decide, Decider};
use super::launch::{self, NewCampaign};
use super::progress::CampaignProgress;
use super::store::{self, ItemFilter, TaskFilter};
use super::{ACTIVE, CLOSED, Campaign, ReviewItem, ReviewTask, TASK_STATUSES, evidence, tasks};
use crate::access::Identity;
use crate::app::AppState;
use crate::platform::files::attachment;
use crate::platform::http::Routes;
use crate::platform::http::error::{AppError, AppResult, Problem};
use crate::platform::http::json::Json;
use crate::platform::http::page::{Page, after, limit, page};
use crate::platform::http::query::Query;

/// The routes. Managing campaigns and tasks takes the identity permissions; deciding and the
/// own queue only a sign-in (the item's reviewer is checked per item).
pub fn routes() -> Routes {
    use Method as M;
    let read = Access::Requires(Permission::Read(Area::Identity));
    let write = Access::Requires(Permission::Write(Area::Identity));
    Routes::default()
        .add(M::GET, "/api/v1/access-reviews", read, list_campaigns)
        .add(M::POST, "/api/v1/access-reviews", write, launch_campaign)
        .add(M::GET, "/api/v1/access-reviews/{id}", read, get_campaign)
        .add(
            M::POST,
            "/api/v1/access-reviews/{id}/close",
            write,
            close_campaign,
        )
        .add(
            M::GET,
            "/api/v1/access-reviews/{id}/items",
            read,
            list_items,
        )
        .add(
            M::GET,
            "/api/v1/access-reviews/{id}/progress",
            read,
            get_progress,
        )
        .add(
            M::GET,
            "/api/v1/access-reviews/{id}/evidence.csv",
            read,
            evidence_csv,
        )
        .add(
            M::GET,
            "/api/v1/access-reviews/{id}/evidence.pdf",
            read,
            evidence_pdf,
        )
        .add(M::GET, "/api/v1/access-review-tasks", read, list_tasks)
        .add(
            M::POST,
            "/api/v1/access-review-tasks/{id}/done",
            write,
            task_done,
        )
        .add(
            M::POST,
            "/api/v1/access-review-decisions",
            Access::SignedIn,
            decide_items,
        )
        .add(
            M::GET,
            "/api/v1/my/access-reviews",
            Access::SignedIn,
            my_queue,
        )
}

/// Query of the campaign list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CampaignQuery {
    /// `active` or `closed`.
    pub status: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u64>,
}

/// List campaigns, newest first.
#[utoipa::path(get, path = "/api/v1/access-reviews", tag = "access reviews", params(CampaignQuery),
    responses((status = 200, body = Page<Campaign>), (status = 422, body = Problem)))]
pub async fn list_campaigns(
    State(app): State<AppState>,
    Query(q): Query<CampaignQuery>,
) -> AppResult<axum::Json<Page<Campaign>>> {
    let lim = limit(q.limit)?;
    let status = q.status.as_deref().filter(|s| !s.is_empty());
    if status.is_some_and(|s| s != ACTIVE && s != CLOSED) {
        return Err(AppError::field("status", "must be active or closed"));
    }
    let before = after(q.cursor.as_deref())?;
    let rows =
        store::list_campaigns(&mut app.db.read().await?.h(), status, before, lim + 1).await?;
    Ok(axum::Json(page(rows, lim, |c| {
        Cursor {
            key: c.launched_at.clone(),
            id: c.id.clone(),
        }
        .encode()
    })))
}

/// Launch a campaign: freezes the accounts in scope, assigns reviewers, mails them.
#[utoipa::path(post, path = "/api/v1/access-reviews", tag = "access reviews", request_body = NewCampaign,
    responses((status = 201, body = Campaign), (status = 422, body = Problem)))]
pub async fn launch_campaign(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Json(n): Json<NewCampaign>,
) -> AppResult<(StatusCode, axum::Json<Campaign>)> {
    let mut tx = app.db.begin().await?;
    let c = launch::launch(
        &mut tx,
        app.clock.now(),
        &id.actor(),
        &n,
        &app.config.public_url,
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(c)))
}

/// Get one campaign.
#[utoipa::path(get, path = "/api/v1/access-reviews/{id}", tag = "access reviews", params(("id" = String, Path)),
    responses((status = 200, body = Campaign), (status = 404, body = Problem)))]
pub async fn get_campaign(
    State(app): State<AppState>,
    Path(cid): Path<String>,
) -> AppResult<axum::Json<Campaign>> {
    store::campaign(&mut app.db.read().await?.h(), &cid)
        .await?
        .map(axum::Json)
        .ok_or(AppError::NotFound)
}

/// Close a campaign: pending items stay undecided and leave the reviewers' queues.
#[utoipa::path(post, path = "/api/v1/access-reviews/{id}/close", tag = "access reviews", params(("id" = String, Path)),
    responses((status = 200, body = Campaign), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn close_campaign(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(cid): Path<String>,
) -> AppResult<axum::Json<Campaign>> {
    let mut tx = app.db.begin().await?;
    let c = launch::close(&mut tx, app.clock.now(), &id.actor(), &cid).await?;
    tx.commit().await?;
    Ok(axum::Json(c))
}

/// Query of a campaign's items.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ItemQuery {
    /// Awaiting this reviewer (email).
    pub reviewer: Option<String>,
    /// `pending` or `settled`.
    pub status: Option<String>,
    /// `kept`, `revoked` or `modified`.
    pub outcome: Option<String>,
    pub system_id: Option<String>,
    /// Text in the username or display name.
    pub q: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u64>,
}

/// Turns the item query into a filter, checking each value.
pub fn item_filter(campaign_id: &str, q: &ItemQuery) -> AppResult<ItemFilter> {
    let mut errs = Vec::new();
    let opt = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    let pending = match q.status.as_deref().unwrap_or("") {
        "" => None,
        "pending" => Some(true),
        "settled" => Some(false),
        _ => {
            errs.push(bulwark_core::validate::FieldError::new(
                "status",
                "must be pending or settled",
            ));
            None
        }
    };
    let outcome = opt(&q.outcome);
    if outcome
        .as_deref()
        .is_some_and(|o| !["kept", "revoked", "modified"].contains(&o))
    {
        errs.push(bulwark_core::validate::FieldError::new(
            "outcome",
            "must be kept, revoked or modified",
        ));
    }
    if !errs.is_empty() {
        return Err(AppError::Invalid(errs));
    }
    Ok(ItemFilter {
        campaign_id: Some(campaign_id.to_string()),
        reviewer: opt(&q.reviewer).map(|r| r.trim().to_lowercase()),
        pending,
        outcome,
        system_id: opt(&q.system_id),
        active_only: false,
        q: opt(&q.q),
    })
}

fn item_page(rows: Vec<ReviewItem>, lim: u64) -> Page<ReviewItem> {
    page(rows, lim, |i| {
        Cursor {
            key: crate::identity::accounts::username_key(&i.username),
            id: i.id.clone(),
        }
        .encode()
    })
}

/// List a campaign's items (the frozen snapshot, with reviewers and decisions), by username.
#[utoipa::path(get, path = "/api/v1/access-reviews/{id}/items", tag = "access reviews", params(("id" = String, Path), ItemQuery),
    responses((status = 200, body = Page<ReviewItem>), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn list_items(
    State(app): State<AppState>,
    Path(cid): Path<String>,
    Query(q): Query<ItemQuery>,
) -> AppResult<axum::Json<Page<ReviewItem>>> {
    let lim = limit(q.limit)?;
    let f = item_filter(&cid, &q)?;
    let after = after(q.cursor.as_deref())?;
    let mut c = app.db.read().await?;
    store::campaign(&mut c.h(), &cid)
        .await?
        .ok_or(AppError::NotFound)?;
    let rows = store::items(&mut c.h(), &f, after, Some(lim + 1)).await?;
    Ok(axum::Json(item_page(rows, lim)))
}

/// Loads what a campaign's progress and evidence need.
pub async fn campaign_data(
    app: &AppState,
    cid: &str,
) -> AppResult<(Campaign, Vec<ReviewItem>, Vec<ReviewTask>)> {
    // One snapshot, so the counts agree with each other.
    let mut tx = app.db.snapshot().await?;
    let c = store::campaign(&mut tx.h(), cid)
        .await?
        .ok_or(AppError::NotFound)?;
    let f = ItemFilter {
        campaign_id: Some(cid.to_string()),
        ..Default::default()
    };
    let items = store::items(&mut tx.h(), &f, None, None).await?;
    let tf = TaskFilter {
        campaign_id: Some(cid.to_string()),
        ..Default::default()
    };
    let tasks = store::tasks(&mut tx.h(), &tf, None, None).await?;
    Ok((c, items, tasks))
}

/// A campaign's progress: per reviewer and per system, outcomes, tasks.
#[utoipa::path(get, path = "/api/v1/access-reviews/{id}/progress", tag = "access reviews", params(("id" = String, Path)),
    responses((status = 200, body = CampaignProgress), (status = 404, body = Problem)))]
pub async fn get_progress(
    State(app): State<AppState>,
    Path(cid): Path<String>,
) -> AppResult<axum::Json<CampaignProgress>> {
    let (c, items, tasks) = campaign_data(&app, &cid).await?;
    Ok(axum::Json(super::progress::progress(
        &c,
        &items,
        &tasks,
        app.clock.now(),
    )))
}

/// The evidence as CSV: every item, its snapshot, each stage's decision, outcome and task.
/// Cells that a spreadsheet would run as a formula start with `'`.
#[utoipa::path(get, path = "/api/v1/access-reviews/{id}/evidence.csv", tag = "access reviews", params(("id" = String, Path)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = Problem)))]
pub async fn evidence_csv(
    State(app): State<AppState>,
    Path(cid): Path<String>,
) -> AppResult<Response> {
    let (c, items, tasks) = campaign_data(&app, &cid).await?;
    let body = evidence::csv(&c, &items, &tasks)?;
    Ok(attachment(
        "text/csv; charset=utf-8",
        &format!("access-review-{}.csv", c.id),
        body,
    ))
}

/// The evidence summary as PDF: scope, dates, outcomes, reviewers, then who decided what, when
/// and why.
#[utoipa::path(get, path = "/api/v1/access-reviews/{id}/evidence.pdf", tag = "access reviews", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = Problem)))]
pub async fn evidence_pdf(
    State(app): State<AppState>,
    Path(cid): Path<String>,
) -> AppResult<Response> {
    let (c, items, tasks) = campaign_data(&app, &cid).await?;
    let body = evidence::pdf(&c, &items, &tasks, app.clock.now());
    Ok(attachment(
        "application/pdf",
        &format!("access-review-{}.pdf", c.id),
        body,
    ))
}

/// Query of the task list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TaskQuery {
    pub campaign_id: Option<String>,
    pub system_id: Option<String>,
    /// `open`, `done`, `verified` or `reopened`.
    pub status: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u64>,
}

/// Turns the task query into a filter.
pub fn task_filter(q: &TaskQuery) -> AppResult<TaskFilter> {
    let status = q.status.clone().filter(|s| !s.is_empty());
    if status
        .as_deref()
        .is_some_and(|s| !TASK_STATUSES.contains(&s))
    {
        return Err(AppError::field(
            "status",
            "must be open, done, verified or reopened",
        ));
    }
    Ok(TaskFilter {
        campaign_id: q.campaign_id.clone().filter(|s| !s.is_empty()),
        system_id: q.system_id.clone().filter(|s| !s.is_empty()),
        statuses: status.into_iter().collect(),
    })
}

/// List revocation and modification tasks, oldest first.
#[utoipa::path(get, path = "/api/v1/access-review-tasks", tag = "access reviews", params(TaskQuery),
    responses((status = 200, body = Page<ReviewTask>), (status = 422, body = Problem)))]
pub async fn list_tasks(
    State(app): State<AppState>,
    Query(q): Query<TaskQuery>,
) -> AppResult<axum::Json<Page<ReviewTask>>> {
    let lim = limit(q.limit)?;
    let f = task_filter(&q)?;
    let after = after(q.cursor.as_deref())?;
    let rows = store::tasks(&mut app.db.read().await?.h(), &f, after, Some(lim + 1)).await?;
    Ok(axum::Json(page(rows, lim, |t| {
        Cursor {
            key: t.created_at.clone(),
            id: t.id.clone(),
        }
        .encode()
    })))
}

/// What was done to carry out a task.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TaskDone {
    /// What was done (required).
    pub note: String,
}

/// Mark a task done; the next import of the system verifies it.
#[utoipa::path(post, path = "/api/v1/access-review-tasks/{id}/done", tag = "access reviews", params(("id" = String, Path)), request_body = TaskDone,
    responses((status = 200, body = ReviewTask), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn task_done(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(tid): Path<String>,
    Json(d): Json<TaskDone>,
) -> AppResult<axum::Json<ReviewTask>> {
    let mut tx = app.db.begin().await?;
    let t = tasks::mark_done(&mut tx, app.clock.now(), &id.actor(), &tid, &d.note).await?;
    tx.commit().await?;
    Ok(axum::Json(t))
}

/// The signed-in user as a decider.
pub fn decider(id: &Identity) -> Decider {
    Decider {
        actor: id.actor(),
        email: id.user.email.to_lowercase(),
        manager: Access::Requires(Permission::Write(Area::Identity)).allows(Some(id.role())),
    }
}

/// Decide one or several items at once (one decision, one justification). Only the reviewer the
/// items await may decide, or an identity manager on their behalf (recorded as such).
#[utoipa::path(post, path = "/api/v1/access-review-decisions", tag = "access reviews", request_body = Decide,
    responses((status = 200, body = Vec<ReviewItem>), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn decide_items(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Json(d): Json<Decide>,
) -> AppResult<axum::Json<Vec<ReviewItem>>> {
    let mut tx = app.db.begin().await?;
    let items = decide::decide(&mut tx, app.clock.now(), &decider(&id), &d).await?;
    tx.commit().await?;
    Ok(axum::Json(items))
}

/// Query of the own queue.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u64>,
}

/// The caller's queue: items of active campaigns awaiting the caller's decision, by username.
#[utoipa::path(get, path = "/api/v1/my/access-reviews", tag = "access reviews", params(QueueQuery),
    responses((status = 200, body = Page<ReviewItem>)))]
pub async fn my_queue(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Query(q): Query<QueueQuery>,
) -> AppResult<axum::Json<Page<ReviewItem>>> {
    let lim = limit(q.limit)?;
    let f = queue_filter(&id);
    let after = after(q.cursor.as_deref())?;
    let rows = store::items(&mut app.db.read().await?.h(), &f, after, Some(lim + 1)).await?;
    Ok(axum::Json(item_page(rows, lim)))
}

/// What awaits the signed-in user.
pub fn queue_filter(id: &Identity) -> ItemFilter {
    ItemFilter {
        reviewer: Some(id.user.email.to_lowercase()),
        pending: Some(true),
        active_only: true,
        ..Default::default()
    }
}
