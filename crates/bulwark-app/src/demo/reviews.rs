//! The demo's access review under way: the ERP and the bank portal, reviewed by their owner,
//! half decided, one leaver's account revoked (a task to close).

use bulwark_core::Timestamp;

use crate::access::users;
use crate::audit_log::Actor;
use crate::identity::reviews::decide::{self, Decide, Decider};
use crate::identity::reviews::launch::{self, NewCampaign};
use crate::identity::reviews::store::{self, ItemFilter};
use crate::inventory::assets;
use crate::platform::db::Db;
use crate::platform::http::error::{AppError, AppResult};

/// The owner of both systems, who reviews them.
const REVIEWER: &str = "sofia.garcia@northwind.example";

/// Launches the campaign and records the first decisions.
pub async fn load(db: &Db, now: Timestamp, actor: &Actor, public_url: &str) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    let done: AppResult<()> = async {
        let mut system_ids = Vec::new();
        for name in ["ERP", "Bank portal"] {
            system_ids.push(
                assets::by_name(&mut tx.h(), name)
                    .await?
                    .ok_or(AppError::NotFound)?
                    .id,
            );
        }
        let deadline = now.datetime().date_naive() + chrono::Days::new(14);
        let campaign = launch::launch(
            &mut tx,
            now,
            actor,
            &NewCampaign {
                name: "Finance systems, fourth quarter".into(),
                description: "Quarterly review of who can post, approve and pay.".into(),
                system_ids,
                privileged_only: false,
                stages: vec!["system_owner".into()],
                strategy: None,
                fallback_reviewer: "priya.raman@northwind.example".into(),
                deadline: deadline.to_string(),
                remind_days_before: Some(3),
            },
            public_url,
        )
        .await?;
        let sofia = users::by_email(&mut tx.h(), REVIEWER)
            .await?
            .ok_or(AppError::NotFound)?;
        let who = Decider {
            actor: Actor::user(&sofia.id, &sofia.email),
            email: sofia.email.clone(),
            manager: false,
        };
        let filter = ItemFilter {
            campaign_id: Some(campaign.id.clone()),
            reviewer: Some(REVIEWER.into()),
            pending: Some(true),
            ..ItemFilter::default()
        };
        let items = store::items(&mut tx.h(), &filter, None, None).await?;
        // The accounts of people who have left go; half of the rest is confirmed.
        let mut leavers = Vec::new();
        let mut others = Vec::new();
        for i in items {
            let left = match &i.person_id {
                Some(p) => crate::identity::people::by_id(&mut tx.h(), p)
                    .await?
                    .is_some_and(|p| p.status == "leaver"),
                None => false,
            };
            if left {
                leavers.push(i)
            } else {
                others.push(i)
            }
        }
        for (ids, decision, why) in [
            (
                leavers.iter().map(|i| i.id.clone()).collect::<Vec<_>>(),
                "revoke",
                "Left the company; the account should have been disabled at leaving.",
            ),
            (
                others.iter().step_by(2).map(|i| i.id.clone()).collect(),
                "keep",
                "",
            ),
        ] {
            if !ids.is_empty() {
                let d = Decide {
                    item_ids: ids,
                    decision: decision.into(),
                    justification: why.into(),
                };
                decide::decide(&mut tx, now, &who, &d).await?;
            }
        }
        Ok(())
    }
    .await;
    done.map_err(|e| anyhow::anyhow!("demo access review: {}", e.detail()))?;
    tx.commit().await?;
    Ok(())
}
