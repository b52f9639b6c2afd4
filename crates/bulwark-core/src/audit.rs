//! The audit trail's hash chain.
//!
//! Each entry stores the hash of the one before it. The hash covers every field of the entry
//! with each field length-prefixed, so no two different entries can serialise alike. Verifying
//! walks the entries in sequence order and names the first one that does not fit.

use sha2::{Digest, Sha256};

/// The hash an empty trail starts from.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// Position in the trail, from 1, without gaps.
    pub seq: i64,
    /// Stable identifier (UUIDv7).
    pub id: String,
    /// When the change was made.
    pub at: String,
    /// The acting user's id; none for the system itself.
    pub actor_id: Option<String>,
    /// Who acted, as people read it (an email, or `system`).
    pub actor: String,
    /// What was done, e.g. `user.create`.
    pub action: String,
    /// The kind of record changed, e.g. `user`.
    pub entity_type: String,
    /// The record changed.
    pub entity_id: Option<String>,
    /// The record before the change, as a JSON string.
    pub before: Option<String>,
    /// The record after the change, as a JSON string.
    pub after: Option<String>,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash (SHA-256, hex).
    pub hash: String,
}

impl AuditEntry {
    /// The hash this entry must carry, computed from its other fields.
    pub fn expected_hash(&self) -> String {
        let mut h = Sha256::new();
        let mut field = |v: Option<&str>| match v {
            None => h.update(b"-"),
            Some(s) => {
                h.update((s.len() as u64).to_be_bytes());
                h.update(s.as_bytes());
            }
        };
        field(Some(&self.seq.to_string()));
        field(Some(&self.id));
        field(Some(&self.at));
        field(self.actor_id.as_deref());
        field(Some(&self.actor));
        field(Some(&self.action));
        field(Some(&self.entity_type));
        field(self.entity_id.as_deref());
        field(self.before.as_deref());
        field(self.after.as_deref());
        field(Some(&self.prev_hash));
        hex::encode(h.finalize())
    }

    /// Sets `hash` from the other fields.
    pub fn seal(mut self) -> Self {
        self.hash = self.expected_hash();
        self
    }
}

/// Why the chain is broken, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    /// An entry's content does not match its hash: it was altered.
    #[error("entry {seq} was altered: its content does not match its hash")]
    Altered { seq: i64 },
    /// An entry does not point at the previous entry's hash: something before it was removed or altered.
    #[error(
        "entry {seq} does not follow entry {prev_seq}: an entry between them was removed or replaced"
    )]
    Unlinked { seq: i64, prev_seq: i64 },
    /// Sequence numbers skip: entries were removed.
    #[error("entries {expected} to {} are missing", found - 1)]
    Gap { expected: i64, found: i64 },
}

/// Walks a trail in sequence order and checks it, keeping only the previous entry in memory.
#[derive(Debug)]
pub struct ChainVerifier {
    prev_seq: i64,
    prev_hash: String,
    checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            prev_seq: 0,
            prev_hash: GENESIS_HASH.to_string(),
            checked: 0,
        }
    }
}

impl ChainVerifier {
    /// Checks the next entry.
    pub fn push(&mut self, e: &AuditEntry) -> Result<(), ChainBreak> {
        if e.seq != self.prev_seq + 1 {
            return Err(ChainBreak::Gap {
                expected: self.prev_seq + 1,
                found: e.seq,
            });
        }
        if e.expected_hash() != e.hash {
            return Err(ChainBreak::Altered { seq: e.seq });
        }
        if e.prev_hash != self.prev_hash {
            return Err(ChainBreak::Unlinked {
                seq: e.seq,
                prev_seq: self.prev_seq,
            });
        }
        self.prev_seq = e.seq;
        self.prev_hash = e.hash.clone();
        self.checked += 1;
        Ok(())
    }

    /// How many entries were verified.
    pub fn checked(&self) -> u64 {
        self.checked
    }

    /// The hash of the last verified entry.
    pub fn last_hash(&self) -> &str {
        &self.prev_hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let e = AuditEntry {
                    seq,
                    id: format!("id-{seq}"),
                    at: "2026-01-01T00:00:00.000000Z".into(),
                    actor_id: None,
                    actor: "system".into(),
                    action: "user.create".into(),
                    entity_type: "user".into(),
                    entity_id: Some(format!("u{seq}")),
                    before: None,
                    after: Some(format!("{{\"n\":{seq}}}")),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                }
                .seal();
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn verify(entries: &[AuditEntry]) -> Result<u64, ChainBreak> {
        let mut v = ChainVerifier::default();
        for e in entries {
            v.push(e)?;
        }
        Ok(v.checked())
    }

    #[test]
    fn intact_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
    }

    #[test]
    fn altered_entry_is_named() {
        let mut c = chain(5);
        c[2].after = Some("{\"n\":99}".into());
        assert_eq!(verify(&c), Err(ChainBreak::Altered { seq: 3 }));
    }

    #[test]
    fn removed_entry_is_named() {
        let mut c = chain(5);
        c.remove(1);
        assert_eq!(
            verify(&c),
            Err(ChainBreak::Gap {
                expected: 2,
                found: 3
            })
        );
    }

    #[test]
    fn rewritten_tail_is_detected() {
        let mut c = chain(5);
        // Re-seal entry 3 after altering it: its own hash fits, but entry 4 no longer follows it.
        c[2].after = Some("{}".into());
        c[2] = c[2].clone().seal();
        assert_eq!(
            verify(&c),
            Err(ChainBreak::Unlinked {
                seq: 4,
                prev_seq: 3
            })
        );
    }

    #[test]
    fn fields_are_unambiguous() {
        let mut a = chain(1).remove(0);
        let mut b = a.clone();
        a.actor = "ab".into();
        a.action = "c".into();
        b.actor = "a".into();
        b.action = "bc".into();
        assert_ne!(a.expected_hash(), b.expected_hash());
    }
}
