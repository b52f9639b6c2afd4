//! Pages of access reviews: the campaign list, the launch form, a campaign with its progress
//! and items (identity managers decide on the reviewers' behalf there), the tasks, and each
//! reviewer's own queue with the bulk keep / revoke / modify form.

use std::collections::HashMap;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode};
use bulwark_core::cursor::Cursor;
use bulwark_core::{Access, Area, Permission};

use super::api::{
    ItemQuery, TaskQuery, campaign_data, decider, item_filter, queue_filter, task_filter,
};
use super::decide::{self, Decide};
use super::launch::{self, NewCampaign};
use super::progress::{CampaignProgress, progress};
use super::{ACTIVE, Campaign, ReviewItem, ReviewTask, STRATEGIES, store, tasks};
use crate::access::Identity;
use crate::app::AppState;
use crate::inventory::assets::{self, AssetFilter, AssetSort};
use crate::platform::http::Routes;
use crate::platform::http::routes::url_escape;
use crate::web::{
    Chrome, Errors, FormData, PageResult, chrome, html, local_next, render, route_allows,
    see_other, when,
};

/// The page routes.
pub fn routes() -> Routes {
    use Method as M;
    let read = Access::Requires(Permission::Read(Area::Identity));
    let write = Access::Requires(Permission::Write(Area::Identity));
    Routes::default()
        .add(M::GET, "/identity/reviews", read, html(list))
        .add(M::GET, "/identity/reviews/new", write, html(new_form))
        .add(M::POST, "/identity/reviews", write, html(create))
        .add(M::GET, "/identity/reviews/tasks", read, html(task_list))
        .add(
            M::POST,
            "/identity/reviews/tasks/{id}/done",
            write,
            html(task_done),
        )
        .add(M::GET, "/identity/reviews/{id}", read, html(detail))
        .add(M::POST, "/identity/reviews/{id}/close", write, html(close))
        .add(M::GET, "/reviews", Access::SignedIn, html(queue))
        .add(M::POST, "/reviews", Access::SignedIn, html(decide_form))
}

const PAGE: u64 = 100;

fn can_write(id: &Identity) -> bool {
    route_allows(Some(id.role()), &Method::POST, "/identity/reviews")
}

fn strategy_label(s: &str) -> &'static str {
    STRATEGIES
        .iter()
        .find(|(v, _)| *v == s)
        .map_or("unknown", |(_, l)| *l)
}

/// A campaign as the list shows it.
pub struct CampaignLine {
    pub c: Campaign,
    pub strategy: &'static str,
}

#[derive(Template)]
#[template(path = "identity/reviews/campaigns.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<CampaignLine>,
    can_write: bool,
    next: Option<String>,
}

/// `GET /identity/reviews`.
async fn list(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let before = crate::platform::http::page::after(q.get("cursor").map(String::as_str))?;
    let mut rows =
        store::list_campaigns(&mut app.db.read().await?.h(), None, before, PAGE + 1).await?;
    let next = next_link(&mut rows, "/identity/reviews?", |c| {
        (c.launched_at.clone(), c.id.clone())
    });
    let mut c = chrome(&app, Some(&id), None, "/identity/reviews", "Access reviews").await;
    c.notice = crate::web::notice(q.get("done").map(String::as_str));
    Ok(render(
        StatusCode::OK,
        &ListPage {
            c,
            rows: rows
                .into_iter()
                .map(|c| CampaignLine {
                    strategy: strategy_label(&c.strategy),
                    c,
                })
                .collect(),
            can_write: can_write(&id),
            next,
        },
    ))
}

/// Cuts `rows` to a page and links the next one (`prefix` ends with `?` or `&`).
fn next_link<T>(
    rows: &mut Vec<T>,
    prefix: &str,
    key: impl Fn(&T) -> (String, String),
) -> Option<String> {
    let more = rows.len() as u64 > PAGE;
    rows.truncate(PAGE as usize);
    more.then(|| rows.last()).flatten().map(|r| {
        let (key, id) = key(r);
        format!(
            "{prefix}cursor={}",
            url_escape(&Cursor { key, id }.encode())
        )
    })
}

/// A system to tick on the launch form.
pub struct SystemChoice {
    pub id: String,
    pub name: String,
    pub owner: String,
    pub checked: bool,
}

/// A stage of the launch form: who reviews, and the named person's email.
pub struct StageChoice {
    pub n: usize,
    pub rule: String,
    pub email: String,
}

#[derive(Template)]
#[template(path = "identity/reviews/campaign_form.html")]
struct FormPage {
    c: Chrome,
    f: HashMap<String, String>,
    systems: Vec<SystemChoice>,
    stages: Vec<StageChoice>,
    strategies: &'static [(&'static str, &'static str)],
    errors: Errors,
}

impl FormPage {
    fn v(&self, name: &str) -> &str {
        self.f.get(name).map(String::as_str).unwrap_or("")
    }
}

async fn form_page(
    app: &AppState,
    id: &Identity,
    f: &FormData,
    errors: Errors,
    status: StatusCode,
) -> PageResult {
    let ticked = f.all("system_ids");
    let all = assets::list(
        &app.db,
        &AssetFilter::default(),
        AssetSort::Name,
        None,
        1000,
    )
    .await?;
    let systems = all
        .into_iter()
        .map(|a| SystemChoice {
            checked: ticked.contains(&a.id),
            owner: a.owner.map(|o| o.name).unwrap_or_default(),
            id: a.id,
            name: a.name,
        })
        .collect();
    let stages = (1..=3)
        .map(|n| StageChoice {
            n,
            rule: f.get(&format!("stage{n}")),
            email: f.get(&format!("stage{n}_email")),
        })
        .collect();
    let c = chrome(
        app,
        Some(id),
        None,
        "/identity/reviews",
        "New access review",
    )
    .await;
    Ok(render(
        status,
        &FormPage {
            c,
            f: f.0.iter().cloned().collect(),
            systems,
            stages,
            strategies: &STRATEGIES,
            errors,
        },
    ))
}

/// `GET /identity/reviews/new`.
async fn new_form(State(app): State<AppState>, Extension(id): Extension<Identity>) -> PageResult {
    let defaults = FormData(vec![
        ("stage1".into(), "manager".into()),
        ("strategy".into(), "any_deny_denies".into()),
        ("remind_days_before".into(), "3".into()),
    ]);
    form_page(&app, &id, &defaults, Errors::none(), StatusCode::OK).await
}

/// The campaign the form describes.
fn campaign_of(f: &FormData) -> NewCampaign {
    let stages = (1..=3)
        .filter_map(|n| match f.get(&format!("stage{n}")).as_str() {
            "" => None,
            "person" => Some(f.get(&format!("stage{n}_email"))),
            rule => Some(rule.to_string()),
        })
        .collect();
    NewCampaign {
        name: f.get("name"),
        description: f.get("description"),
        system_ids: f.all("system_ids"),
        privileged_only: f.get("privileged_only") == "on",
        stages,
        strategy: f.opt("strategy"),
        fallback_reviewer: f.get("fallback_reviewer"),
        deadline: f.get("deadline"),
        remind_days_before: Some(f.get("remind_days_before").trim().parse().unwrap_or(-1)),
    }
}

const FORM_FIELDS: [&str; 8] = [
    "name",
    "description",
    "system_ids",
    "stages",
    "strategy",
    "fallback_reviewer",
    "deadline",
    "remind_days_before",
];

/// `POST /identity/reviews`: launches, or shows the form again with its errors.
async fn create(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    f: FormData,
) -> PageResult {
    let mut tx = app.db.begin().await?;
    match launch::launch(
        &mut tx,
        app.clock.now(),
        &id.actor(),
        &campaign_of(&f),
        &app.config.public_url,
    )
    .await
    {
        Ok(c) => {
            tx.commit().await?;
            Ok(see_other(&format!("/identity/reviews/{}?done=saved", c.id)))
        }
        Err(e) => {
            let errors = Errors::from_app(e, &FORM_FIELDS)?;
            form_page(&app, &id, &f, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// An item as the tables show it.
pub struct ItemLine {
    pub i: ReviewItem,
    /// Stage decisions in words: `1: keep by … — why`.
    pub decisions: Vec<String>,
    pub checked: bool,
}

fn lines(items: Vec<ReviewItem>, d: &DecideValues) -> Vec<ItemLine> {
    items
        .into_iter()
        .map(|i| ItemLine {
            decisions: i
                .decisions
                .iter()
                .map(|x| {
                    format!(
                        "{}: {} by {}{} on {}{}",
                        x.stage,
                        x.decision,
                        x.decided_by,
                        if x.on_behalf { " (on behalf)" } else { "" },
                        when(&x.decided_at),
                        if x.justification.is_empty() {
                            String::new()
                        } else {
                            format!(" — {}", x.justification)
                        }
                    )
                })
                .collect(),
            checked: d.selected.contains(&i.id),
            i,
        })
        .collect()
}

/// What the decision form held (kept when it is shown again with errors).
#[derive(Default)]
pub struct DecideValues {
    pub selected: Vec<String>,
    pub decision: String,
    pub justification: String,
    pub errors: Errors,
}

#[derive(Template)]
#[template(path = "identity/reviews/campaign.html")]
struct DetailPage {
    c: Chrome,
    camp: Campaign,
    strategy: &'static str,
    p: CampaignProgress,
    items: Vec<ItemLine>,
    status: String,
    next: Option<String>,
    can_write: bool,
    d: DecideValues,
}

async fn detail_page(
    app: &AppState,
    id: &Identity,
    cid: &str,
    q: &HashMap<String, String>,
    d: DecideValues,
) -> PageResult {
    let (camp, all, tasks) = campaign_data(app, cid).await?;
    let p = progress(&camp, &all, &tasks, app.clock.now());
    let status = q.get("status").cloned().unwrap_or_default();
    let iq = ItemQuery {
        reviewer: None,
        status: Some(status.clone()),
        outcome: None,
        system_id: None,
        q: None,
        cursor: None,
        limit: None,
    };
    let f = item_filter(cid, &iq)?;
    let after = crate::platform::http::page::after(q.get("cursor").map(String::as_str))?;
    let mut items = store::items(&mut app.db.read().await?.h(), &f, after, Some(PAGE + 1)).await?;
    let next = next_link(
        &mut items,
        &format!("/identity/reviews/{cid}?status={}&", url_escape(&status)),
        |i| {
            (
                crate::identity::accounts::username_key(&i.username),
                i.id.clone(),
            )
        },
    );
    let mut c = chrome(app, Some(id), None, "/identity/reviews", camp.name.clone()).await;
    c.notice = crate::web::notice(q.get("done").map(String::as_str));
    let code = if d.errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(render(
        code,
        &DetailPage {
            c,
            strategy: strategy_label(&camp.strategy),
            can_write: can_write(id) && camp.status == ACTIVE,
            items: lines(items, &d),
            camp,
            p,
            status,
            next,
            d,
        },
    ))
}

/// `GET /identity/reviews/{id}`.
async fn detail(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(cid): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    detail_page(&app, &id, &cid, &q, DecideValues::default()).await
}

/// `POST /identity/reviews/{id}/close`.
async fn close(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(cid): Path<String>,
) -> PageResult {
    let mut tx = app.db.begin().await?;
    launch::close(&mut tx, app.clock.now(), &id.actor(), &cid).await?;
    tx.commit().await?;
    Ok(see_other(&format!("/identity/reviews/{cid}?done=saved")))
}

#[derive(Template)]
#[template(path = "identity/reviews/tasks.html")]
struct TasksPage {
    c: Chrome,
    rows: Vec<ReviewTask>,
    status: String,
    statuses: [&'static str; 4],
    can_write: bool,
    next: Option<String>,
    errors: Errors,
}

async fn tasks_page(
    app: &AppState,
    id: &Identity,
    q: &HashMap<String, String>,
    errors: Errors,
) -> PageResult {
    let status = q.get("status").cloned().unwrap_or_default();
    let tq = TaskQuery {
        campaign_id: q.get("campaign_id").cloned(),
        system_id: None,
        status: Some(status.clone()),
        cursor: None,
        limit: None,
    };
    let f = task_filter(&tq)?;
    let after = crate::platform::http::page::after(q.get("cursor").map(String::as_str))?;
    let mut rows = store::tasks(&mut app.db.read().await?.h(), &f, after, Some(PAGE + 1)).await?;
    let next = next_link(
        &mut rows,
        &format!("/identity/reviews/tasks?status={}&", url_escape(&status)),
        |t| (t.created_at.clone(), t.id.clone()),
    );
    let mut c = chrome(app, Some(id), None, "/identity/reviews", "Review tasks").await;
    c.notice = crate::web::notice(q.get("done").map(String::as_str));
    let code = if errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(render(
        code,
        &TasksPage {
            c,
            rows,
            status,
            statuses: super::TASK_STATUSES,
            can_write: can_write(id),
            next,
            errors,
        },
    ))
}

/// `GET /identity/reviews/tasks`.
async fn task_list(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    tasks_page(&app, &id, &q, Errors::none()).await
}

/// `POST /identity/reviews/tasks/{id}/done`.
async fn task_done(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Path(tid): Path<String>,
    f: FormData,
) -> PageResult {
    let mut tx = app.db.begin().await?;
    match tasks::mark_done(&mut tx, app.clock.now(), &id.actor(), &tid, &f.get("note")).await {
        Ok(_) => {
            tx.commit().await?;
            Ok(see_other("/identity/reviews/tasks?done=saved"))
        }
        Err(e) => {
            let errors = Errors::from_app(e, &[])?;
            tasks_page(&app, &id, &HashMap::new(), errors).await
        }
    }
}

/// An item of the own queue, with its campaign.
pub struct QueueLine {
    pub line: ItemLine,
    pub campaign: String,
    pub deadline: String,
}

#[derive(Template)]
#[template(path = "identity/reviews/queue.html")]
struct QueuePage {
    c: Chrome,
    rows: Vec<QueueLine>,
    next: Option<String>,
    d: DecideValues,
}

async fn queue_page(
    app: &AppState,
    id: &Identity,
    q: &HashMap<String, String>,
    d: DecideValues,
) -> PageResult {
    let after = crate::platform::http::page::after(q.get("cursor").map(String::as_str))?;
    let mut conn = app.db.read().await?;
    let mut items = store::items(&mut conn.h(), &queue_filter(id), after, Some(PAGE + 1)).await?;
    let next = next_link(&mut items, "/reviews?", |i| {
        (
            crate::identity::accounts::username_key(&i.username),
            i.id.clone(),
        )
    });
    let mut campaigns: HashMap<String, Campaign> = HashMap::new();
    for i in &items {
        if !campaigns.contains_key(&i.campaign_id)
            && let Some(c) = store::campaign(&mut conn.h(), &i.campaign_id).await?
        {
            campaigns.insert(c.id.clone(), c);
        }
    }
    drop(conn);
    let rows = lines(items, &d)
        .into_iter()
        .map(|line| {
            let c = campaigns.get(&line.i.campaign_id);
            QueueLine {
                campaign: c.map(|c| c.name.clone()).unwrap_or_default(),
                deadline: c.map(|c| c.deadline.clone()).unwrap_or_default(),
                line,
            }
        })
        .collect();
    let mut c = chrome(app, Some(id), None, "/reviews", "My access reviews").await;
    c.notice = crate::web::notice(q.get("done").map(String::as_str));
    let code = if d.errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(render(code, &QueuePage { c, rows, next, d }))
}

/// `GET /reviews`: what awaits the signed-in user.
async fn queue(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    queue_page(&app, &id, &q, DecideValues::default()).await
}

/// `POST /reviews`: records one decision for the ticked items, then back to the queue (or the
/// campaign page a manager decided from); shows that page again with the errors when refused.
async fn decide_form(
    State(app): State<AppState>,
    Extension(id): Extension<Identity>,
    f: FormData,
) -> PageResult {
    let back = local_next(&f.get("back"));
    let input = Decide {
        item_ids: f.all("item_ids"),
        decision: f.get("decision"),
        justification: f.get("justification"),
    };
    let mut tx = app.db.begin().await?;
    let errors = match decide::decide(&mut tx, app.clock.now(), &decider(&id), &input).await {
        Ok(_) => {
            tx.commit().await?;
            let sep = if back.contains('?') { '&' } else { '?' };
            return Ok(see_other(&format!("{back}{sep}done=saved")));
        }
        Err(e) => Errors::from_app(e, &["item_ids", "decision", "justification"])?,
    };
    drop(tx);
    let d = DecideValues {
        selected: input.item_ids,
        decision: input.decision,
        justification: input.justification,
        errors,
    };
    match back.strip_prefix("/identity/reviews/") {
        Some(cid) if can_write(&id) && !cid.contains(['/', '?']) => {
            detail_page(&app, &id, cid, &HashMap::new(), d).await
        }
        _ => queue_page(&app, &id, &HashMap::new(), d).await,
    }
}
