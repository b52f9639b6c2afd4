//! Launching a campaign: every check at once, the frozen snapshot of the population, each
//! item's reviewer per stage, the reviewers' announcements and the daily reminder job — all in
//! one transaction, recorded.

use std::collections::{BTreeMap, HashMap};

use bulwark_core::Timestamp;
use bulwark_core::validate::{self, Email, FieldError};
use bulwark_identity::review::reviewer_for;
use chrono::NaiveDate;
use sea_query::{Alias, ExprTrait, Query, SimpleExpr};
use serde::Deserialize;

use super::{ACTIVE, Campaign, STRATEGIES, StageRule, SystemRef, store};
use crate::audit_log::{Actor, Change, record};
use crate::identity::accounts::{self, Account};
use crate::identity::people;
use crate::inventory::assets;
use crate::platform::db::{DbError, Handle, Tx};
use crate::platform::http::error::{AppError, AppResult};
use crate::platform::ids::new_id;
use crate::platform::mail::{self, Mail};

/// What it takes to launch a campaign. Every field is checked and all problems reported at once.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct NewCampaign {
    pub name: String,
    pub description: String,
    /// The systems (asset ids) whose accounts are reviewed.
    pub system_ids: Vec<String>,
    /// Review privileged accounts only.
    pub privileged_only: bool,
    /// One to three stages, each `system_owner`, `manager` or a person's email.
    pub stages: Vec<String>,
    /// `any_deny_denies` (default) or `all_must_accept`.
    pub strategy: Option<String>,
    /// The email of the person who reviews what nobody else can and hears of overdue reviewers.
    pub fallback_reviewer: String,
    /// Last day for decisions (`YYYY-MM-DD`), after today.
    pub deadline: String,
    /// Remind reviewers daily from this many days before the deadline, 0 to 60 (default 3).
    pub remind_days_before: Option<i64>,
}

/// The checked input.
struct Checked {
    name: String,
    description: String,
    system_ids: Vec<String>,
    stages: Vec<StageRule>,
    strategy: &'static str,
    fallback: String,
    deadline: String,
    remind: i64,
}

/// The day (UTC) of a moment.
pub fn day_of(now: Timestamp) -> NaiveDate {
    now.datetime().date_naive()
}

fn check(n: &NewCampaign, today: NaiveDate) -> (Option<Checked>, Vec<FieldError>) {
    let mut errs = Vec::new();
    let mut keep = |r: Result<String, FieldError>| r.map_err(|e| errs.push(e)).ok();
    let name = keep(validate::label("name", &n.name, 120));
    let description = keep(if n.description.chars().count() > 4000 {
        Err(FieldError::new(
            "description",
            "must be at most 4000 characters",
        ))
    } else {
        Ok(n.description.trim().to_string())
    });
    let fallback =
        keep(Email::parse("fallback_reviewer", &n.fallback_reviewer).map(|e| e.as_str().into()));
    let deadline = keep(
        NaiveDate::parse_from_str(n.deadline.trim(), "%Y-%m-%d")
            .map_err(|_| FieldError::new("deadline", "must be a date YYYY-MM-DD"))
            .and_then(|d| {
                if d > today {
                    Ok(d.format("%Y-%m-%d").to_string())
                } else {
                    Err(FieldError::new("deadline", "must be after today"))
                }
            }),
    );
    let mut system_ids: Vec<String> = n.system_ids.iter().map(|s| s.trim().to_string()).collect();
    system_ids.sort();
    system_ids.dedup();
    if system_ids.is_empty() || system_ids.len() > 100 {
        errs.push(FieldError::new("system_ids", "name one to 100 systems"));
    }
    if n.stages.is_empty() || n.stages.len() > 3 {
        errs.push(FieldError::new("stages", "give one to three stages"));
    }
    let mut stages = Vec::new();
    for (i, s) in n.stages.iter().enumerate() {
        match StageRule::parse(&format!("stages[{i}]"), s) {
            Ok(r) => stages.push(r),
            Err(e) => errs.push(e),
        }
    }
    let wanted = n.strategy.as_deref().unwrap_or("any_deny_denies").trim();
    let strategy = STRATEGIES
        .iter()
        .find(|(v, _)| *v == wanted)
        .map(|(v, _)| *v);
    if strategy.is_none() {
        errs.push(FieldError::new(
            "strategy",
            "must be any_deny_denies or all_must_accept",
        ));
    }
    let remind = n.remind_days_before.unwrap_or(3);
    if !(0..=60).contains(&remind) {
        errs.push(FieldError::new(
            "remind_days_before",
            "must be from 0 to 60",
        ));
    }
    let checked = match (name, description, fallback, deadline, strategy) {
        (Some(name), Some(description), Some(fallback), Some(deadline), Some(strategy))
            if errs.is_empty() =>
        {
            Some(Checked {
                name,
                description,
                system_ids,
                stages,
                strategy,
                fallback,
                deadline,
                remind,
            })
        }
        _ => None,
    };
    (checked, errs)
}

/// Who is asked about one account, stage by stage.
struct Resolver {
    owners: HashMap<String, Option<String>>,
    managers: HashMap<String, Option<String>>,
}

impl Resolver {
    async fn manager_of(
        &mut self,
        h: &mut Handle<'_>,
        a: &Account,
    ) -> Result<Option<String>, DbError> {
        let Some(p) = &a.person else { return Ok(None) };
        if let Some(m) = self.managers.get(&p.id) {
            return Ok(m.clone());
        }
        let m = people::by_id(h, &p.id)
            .await?
            .and_then(|p| p.manager_email)
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty());
        self.managers.insert(p.id.clone(), m.clone());
        Ok(m)
    }

    /// The reviewer per stage. Nobody reviews their own account: the fallback does instead.
    async fn reviewers(
        &mut self,
        h: &mut Handle<'_>,
        a: &Account,
        c: &Checked,
    ) -> Result<Vec<String>, DbError> {
        let owner = self.owners.get(&a.system_id).cloned().flatten();
        let manager = self.manager_of(h, a).await?;
        let own = a.person.as_ref().map(|p| p.email.to_lowercase());
        Ok(c.stages
            .iter()
            .map(|s| {
                let r = match s {
                    StageRule::Rule(rule) => {
                        reviewer_for(*rule, owner.clone(), manager.clone(), c.fallback.clone())
                    }
                    StageRule::Person(e) => e.clone(),
                };
                if own.as_deref() == Some(r.as_str()) {
                    c.fallback.clone()
                } else {
                    r
                }
            })
            .collect())
    }
}

/// Launches a campaign in `tx` and records it. `public_url` goes into the reviewers' mail.
pub async fn launch(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    n: &NewCampaign,
    public_url: &str,
) -> AppResult<Campaign> {
    let (checked, mut errs) = check(n, day_of(now));
    let mut systems = Vec::new();
    let mut owners = HashMap::new();
    for (i, sid) in n.system_ids.iter().enumerate() {
        match assets::by_id(&mut tx.h(), sid.trim()).await? {
            Some(s) => {
                owners.insert(s.id.clone(), s.owner.map(|o| o.email.to_lowercase()));
                if !systems.iter().any(|x: &SystemRef| x.id == s.id) {
                    systems.push(SystemRef {
                        id: s.id,
                        name: s.name,
                    });
                }
            }
            None => errs.push(FieldError::new(
                format!("system_ids[{i}]"),
                "no such system",
            )),
        }
    }
    let mut people_needed: Vec<(String, String)> = Vec::new();
    if let Ok(e) = Email::parse("fallback_reviewer", &n.fallback_reviewer) {
        people_needed.push(("fallback_reviewer".into(), e.as_str().into()));
    }
    for (i, s) in n.stages.iter().enumerate() {
        if let Ok(StageRule::Person(e)) = StageRule::parse("", s) {
            people_needed.push((format!("stages[{i}]"), e));
        }
    }
    let mut fallback_person = None;
    for (field, email) in people_needed {
        match people::by_email(&mut tx.h(), &email).await? {
            Some(p) if field == "fallback_reviewer" => fallback_person = Some(p.id),
            Some(_) => {}
            None => errs.push(FieldError::new(
                field,
                format!("nobody with the email {email} is in the people register"),
            )),
        }
    }
    let c = match checked {
        Some(c) if errs.is_empty() => c,
        _ => return Err(AppError::Invalid(errs)),
    };
    let population = accounts::on_systems(&mut tx.h(), &c.system_ids, n.privileged_only).await?;
    if population.is_empty() {
        return Err(AppError::field(
            "system_ids",
            "these systems have no accounts to review",
        ));
    }
    let id = new_id(now);
    let none = || SimpleExpr::from(None::<String>);
    let campaign = Query::insert()
        .into_table(Alias::new("review_campaigns"))
        .columns(
            store::CAMPAIGN_COLUMNS
                .iter()
                .chain(&["fallback_person_id", "launcher_email"])
                .map(|c| Alias::new(*c)),
        )
        .values_panic([
            id.clone().into(),
            c.name.clone().into(),
            c.description.clone().into(),
            json(&systems).into(),
            n.privileged_only.into(),
            json(
                &c.stages
                    .iter()
                    .map(StageRule::as_string)
                    .collect::<Vec<_>>(),
            )
            .into(),
            c.strategy.into(),
            c.fallback.clone().into(),
            c.deadline.clone().into(),
            c.remind.into(),
            ACTIVE.into(),
            actor.label.clone().into(),
            now.to_db().into(),
            none(),
            none(),
            none(),
            now.to_db().into(),
            fallback_person.into(),
            actor.id.as_ref().map(|_| actor.label.clone()).into(),
        ])
        .to_owned();
    tx.h().execute(&campaign).await?;

    let mut resolver = Resolver {
        owners,
        managers: HashMap::new(),
    };
    // First-stage reviewer → (items, systems) for the announcement.
    let mut announce: BTreeMap<String, (usize, Vec<String>)> = BTreeMap::new();
    let mut rows: Vec<Vec<SimpleExpr>> = Vec::new();
    for acc in &population {
        let reviewers = resolver.reviewers(&mut tx.h(), acc, &c).await?;
        let first = reviewers[0].clone();
        let e = announce.entry(first.clone()).or_default();
        e.0 += 1;
        if !e.1.contains(&acc.system_name) {
            e.1.push(acc.system_name.clone());
        }
        rows.push(item_values(now, &id, acc, &reviewers, first));
        if rows.len() == 200 {
            insert_items(tx, std::mem::take(&mut rows)).await?;
        }
    }
    if !rows.is_empty() {
        insert_items(tx, rows).await?;
    }
    let campaign = store::campaign(&mut tx.h(), &id)
        .await?
        .ok_or(AppError::NotFound)?;
    for (to, (count, systems)) in &announce {
        mail::queue(
            tx,
            now,
            &Mail {
                to: to.clone(),
                subject: format!("Access review \"{}\": {count} to review", campaign.name),
                body: format!(
                    "Hello,\n\nThe access review \"{}\" asks you to review {count} account{} on {}.\nFor each, decide keep, revoke or modify (revoke and modify need a reason) by {}.\n\nYour queue: {}/reviews\n",
                    campaign.name,
                    if *count == 1 { "" } else { "s" },
                    systems.join(", "),
                    campaign.deadline,
                    public_url.trim_end_matches('/'),
                ),
            },
        )
        .await?;
    }
    super::reminders::schedule(tx, now, &id).await?;
    record(
        tx,
        now,
        actor,
        Change::new("access_review.launch", "access_review", Some(&id)).after(
            &serde_json::json!({"campaign": campaign, "items": population.len(), "reviewers": announce.keys().collect::<Vec<_>>()}),
        ),
    )
    .await?;
    Ok(campaign)
}

/// Closes an active campaign; recorded. Pending items stay undecided (the evidence shows them
/// so) and leave the reviewers' queues.
pub async fn close(tx: &mut Tx, now: Timestamp, actor: &Actor, id: &str) -> AppResult<Campaign> {
    let before = store::campaign(&mut tx.h(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if before.status != ACTIVE {
        return Err(AppError::Conflict("the campaign is already closed".into()));
    }
    let q = Query::update()
        .table(Alias::new("review_campaigns"))
        .value(Alias::new("status"), super::CLOSED)
        .value(Alias::new("closed_at"), now.to_db())
        .value(Alias::new("updated_at"), now.to_db())
        .and_where(sea_query::Expr::col(Alias::new("id")).eq(id))
        .to_owned();
    tx.h().execute(&q).await?;
    let after = store::campaign(&mut tx.h(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    record(
        tx,
        now,
        actor,
        Change::new("access_review.close", "access_review", Some(id))
            .before(&before)
            .after(&after),
    )
    .await?;
    Ok(after)
}

fn json(v: &impl serde::Serialize) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

/// The frozen copy of an account, awaiting its first stage: values for [`store::ITEM_COLUMNS`]
/// then `username_key` and `updated_at`.
fn item_values(
    now: Timestamp,
    campaign_id: &str,
    a: &Account,
    reviewers: &[String],
    first: String,
) -> Vec<SimpleExpr> {
    vec![
        new_id(now).into(),
        campaign_id.into(),
        a.id.clone().into(),
        a.system_id.clone().into(),
        a.system_name.clone().into(),
        a.username.clone().into(),
        a.display_name.clone().into(),
        a.email.clone().into(),
        a.person.as_ref().map(|p| p.id.clone()).into(),
        a.person.as_ref().map(|p| p.name.clone()).into(),
        a.privileged.into(),
        a.mfa.into(),
        json(&a.groups).into(),
        a.last_login.clone().into(),
        a.enabled.into(),
        json(&reviewers).into(),
        1i64.into(),
        first.into(),
        None::<String>.into(),
        None::<String>.into(),
        accounts::username_key(&a.username).into(),
        now.to_db().into(),
    ]
}

async fn insert_items(tx: &mut Tx, rows: Vec<Vec<SimpleExpr>>) -> Result<(), DbError> {
    let mut q = Query::insert();
    q.into_table(Alias::new("review_items")).columns(
        store::ITEM_COLUMNS
            .iter()
            .chain(&["username_key", "updated_at"])
            .map(|c| Alias::new(*c)),
    );
    for r in rows {
        q.values_panic(r);
    }
    tx.h().execute(&q).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_reported() {
        let n = NewCampaign {
            stages: vec!["boss".into(), "manager".into(), "x".into(), "y".into()],
            strategy: Some("vote".into()),
            deadline: "2026-01-01".into(),
            remind_days_before: Some(99),
            ..Default::default()
        };
        let today = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let (c, errs) = check(&n, today);
        assert!(c.is_none());
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        for f in [
            "name",
            "fallback_reviewer",
            "deadline",
            "system_ids",
            "stages",
            "stages[0]",
            "strategy",
            "remind_days_before",
        ] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
    }
}
