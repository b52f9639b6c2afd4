//! Access reviews: what a reviewer may decide, how the decisions of a multi-stage review settle
//! an item, and who reviews it.
//!
//! A review item (one account's access) passes through `stages` stages in order; each stage
//! records one [`Decision`]. How they combine is the review's [`Strategy`]:
//!
//! * [`Strategy::AnyDenyDenies`]: every stage may deny. A revoke settles the item as revoked at
//!   once (later stages are not asked). Keep and modify pass it to the next stage; after the last
//!   stage it is modified if any stage asked for a change, otherwise kept.
//! * [`Strategy::AllMustAccept`]: every stage must accept the access as it is. The first stage
//!   that does not keep settles the item at once: revoked on a revoke, modified on a modify (a
//!   deny that asks for a change). It is kept only when every stage kept it.

use bulwark_core::validate::FieldError;

/// A reviewer's decision on one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// The access stays as it is.
    Keep,
    /// The access is removed.
    Revoke,
    /// The access stays, changed (for example fewer rights).
    Modify,
}

impl Decision {
    /// The stored name: `keep`, `revoke` or `modify`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Keep => "keep",
            Decision::Revoke => "revoke",
            Decision::Modify => "modify",
        }
    }

    /// Parses `keep`, `revoke` or `modify` (case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "keep" => Some(Decision::Keep),
            "revoke" => Some(Decision::Revoke),
            "modify" => Some(Decision::Modify),
            _ => None,
        }
    }

    /// Checks the justification: revoke and modify need one (what is wrong, or what to change);
    /// keep may go without.
    pub fn validate(self, justification: &str) -> Result<(), FieldError> {
        if self != Decision::Keep && justification.trim().is_empty() {
            return Err(FieldError::new(
                "justification",
                format!("is required to {}: say why", self.as_str()),
            ));
        }
        Ok(())
    }
}

/// How the stages' decisions combine (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// A revoke at any stage revokes; change requests are collected to the end.
    AnyDenyDenies,
    /// Every stage must keep; the first that does not decides.
    AllMustAccept,
}

/// How a settled item ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The access stays.
    Kept,
    /// The access is to be removed.
    Revoked,
    /// The access is to be changed.
    Modified,
}

/// Where an item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Progress {
    /// Decided; `stage` (0-based) is the one whose decision settled it.
    Settled {
        /// The result.
        outcome: Outcome,
        /// The deciding stage.
        stage: usize,
    },
    /// Waiting for this stage (0-based) to decide.
    Awaiting {
        /// The next stage.
        stage: usize,
    },
}

/// Where an item stands after `decisions` (one per stage, in stage order, as recorded so far) in
/// a review of `stages` stages. Refuses a review without stages, and decisions recorded after
/// the item was settled.
pub fn progress(
    strategy: Strategy,
    stages: usize,
    decisions: &[Decision],
) -> Result<Progress, FieldError> {
    if stages == 0 {
        return Err(FieldError::new("stages", "must be at least 1"));
    }
    let mut modified = false;
    for (stage, d) in decisions.iter().enumerate() {
        let settles = match (strategy, d) {
            (_, Decision::Revoke) => Some(Outcome::Revoked),
            (Strategy::AllMustAccept, Decision::Modify) => Some(Outcome::Modified),
            (Strategy::AnyDenyDenies, Decision::Modify) => {
                modified = true;
                None
            }
            (_, Decision::Keep) => None,
        };
        let last = stage + 1 == stages;
        let outcome = match settles {
            Some(o) => o,
            None if last && modified => Outcome::Modified,
            None if last => Outcome::Kept,
            None => continue,
        };
        if decisions.len() > stage + 1 {
            return Err(FieldError::new(
                "decisions",
                format!(
                    "stage {} decided after the item was settled at stage {}",
                    stage + 2,
                    stage + 1
                ),
            ));
        }
        return Ok(Progress::Settled { outcome, stage });
    }
    Ok(Progress::Awaiting {
        stage: decisions.len(),
    })
}

/// Who reviews an account under a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewerRule {
    /// The owner of the account's system.
    SystemOwner,
    /// The manager of the account's person.
    Manager,
}

/// The reviewer: the one the rule names; if there is none, the other one (an unlinked account
/// has no manager, but its system's owner knows it); if neither exists, `fallback`.
pub fn reviewer_for<P>(
    rule: ReviewerRule,
    system_owner: Option<P>,
    manager: Option<P>,
    fallback: P,
) -> P {
    let (first, second) = match rule {
        ReviewerRule::SystemOwner => (system_owner, manager),
        ReviewerRule::Manager => (manager, system_owner),
    };
    first.or(second).unwrap_or(fallback)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Decision::{Keep as K, Modify as M, Revoke as R};
    use Outcome::{Kept, Modified, Revoked};
    use Strategy::{AllMustAccept as All, AnyDenyDenies as Any};

    fn settled(outcome: Outcome, stage: usize) -> Progress {
        Progress::Settled { outcome, stage }
    }

    fn awaiting(stage: usize) -> Progress {
        Progress::Awaiting { stage }
    }

    #[test]
    fn stages_settle_by_strategy() {
        let cases: &[(Strategy, usize, &[Decision], Progress)] = &[
            (Any, 1, &[], awaiting(0)),
            (Any, 1, &[K], settled(Kept, 0)),
            (Any, 1, &[M], settled(Modified, 0)),
            (Any, 1, &[R], settled(Revoked, 0)),
            (Any, 3, &[K], awaiting(1)),
            (Any, 3, &[K, R], settled(Revoked, 1)),
            (Any, 3, &[M], awaiting(1)),
            (Any, 3, &[M, K], awaiting(2)),
            (Any, 3, &[M, K, K], settled(Modified, 2)),
            (Any, 3, &[M, K, R], settled(Revoked, 2)),
            (Any, 3, &[K, K, K], settled(Kept, 2)),
            (All, 1, &[K], settled(Kept, 0)),
            (All, 3, &[K], awaiting(1)),
            (All, 3, &[K, M], settled(Modified, 1)),
            (All, 3, &[R], settled(Revoked, 0)),
            (All, 3, &[K, K], awaiting(2)),
            (All, 3, &[K, K, K], settled(Kept, 2)),
            (All, 3, &[K, K, M], settled(Modified, 2)),
        ];
        for (strategy, stages, decisions, want) in cases {
            assert_eq!(
                progress(*strategy, *stages, decisions),
                Ok(*want),
                "{strategy:?} {stages} {decisions:?}"
            );
        }
    }

    #[test]
    fn impossible_histories_are_refused() {
        assert_eq!(progress(Any, 0, &[]).unwrap_err().field, "stages");
        let e = progress(Any, 3, &[R, K]).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.message.as_str()),
            (
                "decisions",
                "stage 2 decided after the item was settled at stage 1"
            )
        );
        assert!(progress(All, 2, &[M, K]).is_err());
        assert!(progress(Any, 2, &[K, K, K]).is_err());
    }

    #[test]
    fn justifications() {
        assert!(K.validate("").is_ok());
        for d in [R, M] {
            let e = d.validate("  ").unwrap_err();
            assert_eq!(e.field, "justification");
            assert!(d.validate("left the team in June").is_ok());
        }
        for d in [K, R, M] {
            assert_eq!(Decision::parse(&d.as_str().to_uppercase()), Some(d));
        }
        assert_eq!(Decision::parse("approve"), None);
    }

    #[test]
    fn reviewers() {
        use ReviewerRule::{Manager, SystemOwner};
        let cases = [
            (SystemOwner, Some("owner"), Some("manager"), "owner"),
            (SystemOwner, None, Some("manager"), "manager"),
            (Manager, Some("owner"), Some("manager"), "manager"),
            (Manager, Some("owner"), None, "owner"),
            (Manager, None, None, "security officer"),
            (SystemOwner, None, None, "security officer"),
        ];
        for (rule, owner, manager, want) in cases {
            assert_eq!(reviewer_for(rule, owner, manager, "security officer"), want);
        }
    }
}
