//! Reading campaigns, items (with their decisions) and tasks.

use std::collections::HashMap;

use sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query, SelectStatement};

use super::{Campaign, ItemDecision, ReviewItem, ReviewTask};
use crate::platform::db::{DbError, Handle};

fn a(c: &str) -> Alias {
    Alias::new(c)
}

/// The stored campaign (JSON columns as text).
#[derive(Debug, Clone, sqlx::FromRow)]
struct CampaignRow {
    id: String,
    name: String,
    description: String,
    systems: String,
    privileged_only: bool,
    stages: String,
    strategy: String,
    fallback_email: String,
    deadline: String,
    remind_days_before: i64,
    status: String,
    launched_by: String,
    launched_at: String,
    closed_at: Option<String>,
    reminded_on: Option<String>,
    escalated_on: Option<String>,
    updated_at: String,
}

impl From<CampaignRow> for Campaign {
    fn from(r: CampaignRow) -> Campaign {
        Campaign {
            id: r.id,
            name: r.name,
            description: r.description,
            systems: serde_json::from_str(&r.systems).unwrap_or_default(),
            privileged_only: r.privileged_only,
            stages: serde_json::from_str(&r.stages).unwrap_or_default(),
            strategy: r.strategy,
            fallback_email: r.fallback_email,
            deadline: r.deadline,
            remind_days_before: r.remind_days_before,
            status: r.status,
            launched_by: r.launched_by,
            launched_at: r.launched_at,
            closed_at: r.closed_at,
            reminded_on: r.reminded_on,
            escalated_on: r.escalated_on,
            updated_at: r.updated_at,
        }
    }
}

/// The columns of `review_campaigns` a campaign is read from (the rest: `fallback_person_id`,
/// `launcher_email`).
pub(super) const CAMPAIGN_COLUMNS: [&str; 17] = [
    "id",
    "name",
    "description",
    "systems",
    "privileged_only",
    "stages",
    "strategy",
    "fallback_email",
    "deadline",
    "remind_days_before",
    "status",
    "launched_by",
    "launched_at",
    "closed_at",
    "reminded_on",
    "escalated_on",
    "updated_at",
];

fn campaigns() -> SelectStatement {
    Query::select()
        .columns(CAMPAIGN_COLUMNS.map(a))
        .from(a("review_campaigns"))
        .to_owned()
}

/// Finds a campaign.
pub async fn campaign(h: &mut Handle<'_>, id: &str) -> Result<Option<Campaign>, DbError> {
    let q = campaigns().and_where(Expr::col(a("id")).eq(id)).to_owned();
    Ok(h.fetch_optional::<CampaignRow>(&q).await?.map(Into::into))
}

/// Campaigns, newest first, before the cursor `(launched_at, id)`, up to `limit`.
pub async fn list_campaigns(
    h: &mut Handle<'_>,
    status: Option<&str>,
    before: Option<(String, String)>,
    limit: u64,
) -> Result<Vec<Campaign>, DbError> {
    let mut q = campaigns();
    if let Some(s) = status {
        q.and_where(Expr::col(a("status")).eq(s));
    }
    if let Some((at, id)) = before {
        q.and_where(
            Expr::col(a("launched_at"))
                .lt(at.clone())
                .or(Expr::col(a("launched_at"))
                    .eq(at)
                    .and(Expr::col(a("id")).lt(id))),
        );
    }
    q.order_by(a("launched_at"), Order::Desc)
        .order_by(a("id"), Order::Desc)
        .limit(limit);
    Ok(h.fetch_all::<CampaignRow>(&q)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// The stored item (JSON columns as text).
#[derive(Debug, Clone, sqlx::FromRow)]
struct ItemRow {
    id: String,
    campaign_id: String,
    account_id: Option<String>,
    system_id: Option<String>,
    system_name: String,
    username: String,
    display_name: String,
    email: Option<String>,
    person_id: Option<String>,
    person_name: Option<String>,
    privileged: bool,
    mfa: bool,
    groups: String,
    last_login: Option<String>,
    enabled: bool,
    reviewers: String,
    stage: i64,
    reviewer: Option<String>,
    outcome: Option<String>,
    settled_at: Option<String>,
}

impl ItemRow {
    fn into_item(self, decisions: Vec<ItemDecision>) -> ReviewItem {
        ReviewItem {
            id: self.id,
            campaign_id: self.campaign_id,
            account_id: self.account_id,
            system_id: self.system_id,
            system_name: self.system_name,
            username: self.username,
            display_name: self.display_name,
            email: self.email,
            person_id: self.person_id,
            person_name: self.person_name,
            privileged: self.privileged,
            mfa: self.mfa,
            groups: serde_json::from_str(&self.groups).unwrap_or_default(),
            last_login: self.last_login,
            enabled: self.enabled,
            reviewers: serde_json::from_str(&self.reviewers).unwrap_or_default(),
            stage: self.stage,
            reviewer: self.reviewer,
            outcome: self.outcome,
            settled_at: self.settled_at,
            decisions,
        }
    }
}

/// The columns of `review_items` an item is read from (the rest: `username_key`, `updated_at`).
pub(super) const ITEM_COLUMNS: [&str; 20] = [
    "id",
    "campaign_id",
    "account_id",
    "system_id",
    "system_name",
    "username",
    "display_name",
    "email",
    "person_id",
    "person_name",
    "privileged",
    "mfa",
    "groups",
    "last_login",
    "enabled",
    "reviewers",
    "stage",
    "reviewer",
    "outcome",
    "settled_at",
];

fn items_select() -> SelectStatement {
    let mut q = Query::select();
    for c in ITEM_COLUMNS {
        q.column((a("i"), a(c)));
    }
    q.from_as(a("review_items"), a("i"))
        .join_as(
            JoinType::InnerJoin,
            a("review_campaigns"),
            a("c"),
            Expr::col((a("c"), a("id"))).equals((a("i"), a("campaign_id"))),
        )
        .to_owned()
}

/// Filters for listing items (combined with AND).
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    pub campaign_id: Option<String>,
    /// Awaiting this reviewer (email) now.
    pub reviewer: Option<String>,
    /// Only items awaiting a decision (true) or only settled ones (false).
    pub pending: Option<bool>,
    /// kept, revoked or modified.
    pub outcome: Option<String>,
    pub system_id: Option<String>,
    /// Only items of active campaigns.
    pub active_only: bool,
    /// Text in the username or display name.
    pub q: Option<String>,
}

impl ItemFilter {
    fn apply(&self, q: &mut SelectStatement) {
        let i = |c: &str| (a("i"), a(c));
        for (c, v) in [
            ("campaign_id", &self.campaign_id),
            ("reviewer", &self.reviewer),
            ("outcome", &self.outcome),
            ("system_id", &self.system_id),
        ] {
            if let Some(v) = v {
                q.and_where(Expr::col(i(c)).eq(v.as_str()));
            }
        }
        match self.pending {
            Some(true) => {
                q.and_where(Expr::col(i("outcome")).is_null());
            }
            Some(false) => {
                q.and_where(Expr::col(i("outcome")).is_not_null());
            }
            None => {}
        }
        if self.active_only {
            q.and_where(Expr::col((a("c"), a("status"))).eq(super::ACTIVE));
        }
        if let Some(t) = &self.q {
            let pat = crate::platform::db::contains_pattern(t);
            q.and_where(
                Expr::col(i("username_key"))
                    .like(pat.clone())
                    .or(sea_query::Func::lower(Expr::col(i("display_name"))).like(pat)),
            );
        }
    }
}

/// Items by username, after the cursor `(username_key, id)`, up to `limit`, with decisions.
pub async fn items(
    h: &mut Handle<'_>,
    f: &ItemFilter,
    after: Option<(String, String)>,
    limit: Option<u64>,
) -> Result<Vec<ReviewItem>, DbError> {
    let mut q = items_select();
    f.apply(&mut q);
    if let Some((key, id)) = after {
        let i = |c: &str| (a("i"), a(c));
        q.and_where(
            Expr::col(i("username_key"))
                .gt(key.clone())
                .or(Expr::col(i("username_key"))
                    .eq(key)
                    .and(Expr::col(i("id")).gt(id))),
        );
    }
    q.order_by((a("i"), a("username_key")), Order::Asc)
        .order_by((a("i"), a("id")), Order::Asc);
    if let Some(l) = limit {
        q.limit(l);
    }
    let rows = h.fetch_all::<ItemRow>(&q).await?;
    with_decisions(h, rows).await
}

/// Finds one item, with its decisions.
pub async fn item(h: &mut Handle<'_>, id: &str) -> Result<Option<ReviewItem>, DbError> {
    let q = items_select()
        .and_where(Expr::col((a("i"), a("id"))).eq(id))
        .to_owned();
    let rows: Vec<ItemRow> = h.fetch_optional::<ItemRow>(&q).await?.into_iter().collect();
    Ok(with_decisions(h, rows).await?.pop())
}

#[derive(Debug, sqlx::FromRow)]
struct DecisionRow {
    item_id: String,
    stage: i64,
    decision: String,
    justification: String,
    decided_by: String,
    on_behalf: bool,
    decided_at: String,
}

/// Attaches each item's decisions (one query for the lot, in stage order).
async fn with_decisions(
    h: &mut Handle<'_>,
    rows: Vec<ItemRow>,
) -> Result<Vec<ReviewItem>, DbError> {
    let mut by_item: HashMap<String, Vec<ItemDecision>> = HashMap::new();
    for chunk in rows.chunks(500) {
        let q = Query::select()
            .columns(
                [
                    "item_id",
                    "stage",
                    "decision",
                    "justification",
                    "decided_by",
                    "on_behalf",
                    "decided_at",
                ]
                .map(a),
            )
            .from(a("review_decisions"))
            .and_where(Expr::col(a("item_id")).is_in(chunk.iter().map(|r| r.id.as_str())))
            .order_by(a("stage"), Order::Asc)
            .to_owned();
        for d in h.fetch_all::<DecisionRow>(&q).await? {
            by_item.entry(d.item_id).or_default().push(ItemDecision {
                stage: d.stage,
                decision: d.decision,
                justification: d.justification,
                decided_by: d.decided_by,
                on_behalf: d.on_behalf,
                decided_at: d.decided_at,
            });
        }
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let ds = by_item.remove(&r.id).unwrap_or_default();
            r.into_item(ds)
        })
        .collect())
}

/// The columns of `review_tasks` a task is read from (the rest: `username_key`).
pub(super) const TASK_COLUMNS: [&str; 14] = [
    "id",
    "campaign_id",
    "item_id",
    "system_id",
    "system_name",
    "username",
    "kind",
    "status",
    "assignee",
    "notes",
    "created_at",
    "done_at",
    "verified_at",
    "updated_at",
];

/// `SELECT … FROM review_tasks`.
pub(super) fn tasks_select() -> SelectStatement {
    Query::select()
        .columns(TASK_COLUMNS.map(a))
        .from(a("review_tasks"))
        .to_owned()
}

/// Finds a task.
pub async fn task(h: &mut Handle<'_>, id: &str) -> Result<Option<ReviewTask>, DbError> {
    h.fetch_optional(tasks_select().and_where(Expr::col(a("id")).eq(id)))
        .await
}

/// Filters for listing tasks.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub campaign_id: Option<String>,
    pub system_id: Option<String>,
    /// Any of these states (all when empty).
    pub statuses: Vec<String>,
}

/// Tasks, oldest first, after the cursor `(created_at, id)`, up to `limit`.
pub async fn tasks(
    h: &mut Handle<'_>,
    f: &TaskFilter,
    after: Option<(String, String)>,
    limit: Option<u64>,
) -> Result<Vec<ReviewTask>, DbError> {
    let mut q = tasks_select();
    for (c, v) in [("campaign_id", &f.campaign_id), ("system_id", &f.system_id)] {
        if let Some(v) = v {
            q.and_where(Expr::col(a(c)).eq(v.as_str()));
        }
    }
    if !f.statuses.is_empty() {
        q.and_where(Expr::col(a("status")).is_in(f.statuses.iter().map(String::as_str)));
    }
    if let Some((at, id)) = after {
        q.and_where(
            Expr::col(a("created_at"))
                .gt(at.clone())
                .or(Expr::col(a("created_at"))
                    .eq(at)
                    .and(Expr::col(a("id")).gt(id))),
        );
    }
    q.order_by(a("created_at"), Order::Asc)
        .order_by(a("id"), Order::Asc);
    if let Some(l) = limit {
        q.limit(l);
    }
    h.fetch_all(&q).await
}
