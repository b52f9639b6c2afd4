//! Personal API tokens: shown once, stored as a SHA-256 hash, expiring, revocable.

use bulwark_core::Timestamp;
use sea_query::{Alias, Expr, ExprTrait, Order, Query};
use serde::{Deserialize, Serialize};

use crate::access::users::UserRow;
use crate::audit_log::{Actor, Change, record};
use crate::platform::db::{Db, DbError, Handle, Tx};
use crate::platform::http::error::{AppError, AppResult};
use crate::platform::ids::{new_id, random_token, token_hash};

/// Every token starts with this, so leaked tokens are easy to find with secret scanners.
pub const PREFIX: &str = "bwk_";

/// A token as listed (never the secret).
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ApiToken {
    pub id: String,
    pub user_id: String,
    pub name: String,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

const COLUMNS: [&str; 8] = [
    "id",
    "user_id",
    "name",
    "prefix",
    "created_at",
    "expires_at",
    "last_used_at",
    "revoked_at",
];

/// Request to create a token.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// What the token is for.
    pub name: String,
    /// Days until it expires (1 to 730). Leave out for 90.
    pub expires_days: Option<i64>,
}

/// A created token with its secret, shown once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub token: ApiToken,
    /// The secret. Store it now: it cannot be shown again.
    pub secret: String,
}

/// Creates a token for `user_id`.
pub async fn create(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    user_id: &str,
    req: &NewToken,
) -> AppResult<CreatedToken> {
    let name = bulwark_core::validate::label("name", &req.name, 100)?;
    let days = req.expires_days.unwrap_or(90);
    if !(1..=730).contains(&days) {
        return Err(AppError::field("expires_days", "must be between 1 and 730"));
    }
    let secret = format!("{PREFIX}{}", random_token());
    let t = ApiToken {
        id: new_id(now),
        user_id: user_id.into(),
        name,
        prefix: secret[..PREFIX.len() + 6].to_string(),
        created_at: now.to_db(),
        expires_at: Some(now.plus_seconds(days * 86400).to_db()),
        last_used_at: None,
        revoked_at: None,
    };
    let q = Query::insert()
        .into_table(Alias::new("api_tokens"))
        .columns(
            [
                "id",
                "user_id",
                "name",
                "token_hash",
                "prefix",
                "created_at",
                "expires_at",
            ]
            .map(Alias::new),
        )
        .values_panic([
            t.id.clone().into(),
            t.user_id.clone().into(),
            t.name.clone().into(),
            token_hash(&secret).into(),
            t.prefix.clone().into(),
            t.created_at.clone().into(),
            t.expires_at.clone().into(),
        ])
        .to_owned();
    tx.h().execute(&q).await?;
    record(
        tx,
        now,
        actor,
        Change::new("api_token.create", "api_token", Some(&t.id)).after(&t),
    )
    .await?;
    Ok(CreatedToken { token: t, secret })
}

/// A user's tokens, newest first.
pub async fn list_for(h: &mut Handle<'_>, user_id: &str) -> Result<Vec<ApiToken>, DbError> {
    let q = Query::select()
        .columns(COLUMNS.map(Alias::new))
        .from(Alias::new("api_tokens"))
        .and_where(Expr::col(Alias::new("user_id")).eq(user_id))
        .order_by(Alias::new("created_at"), Order::Desc)
        .to_owned();
    h.fetch_all(&q).await
}

async fn by_id(h: &mut Handle<'_>, id: &str) -> Result<Option<ApiToken>, DbError> {
    let q = Query::select()
        .columns(COLUMNS.map(Alias::new))
        .from(Alias::new("api_tokens"))
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .to_owned();
    h.fetch_optional(&q).await
}

/// Revokes a token of `owner_id` (other users' tokens are "not found").
pub async fn revoke(
    tx: &mut Tx,
    now: Timestamp,
    actor: &Actor,
    owner_id: &str,
    id: &str,
) -> AppResult<ApiToken> {
    let before = by_id(&mut tx.h(), id)
        .await?
        .filter(|t| t.user_id == owner_id)
        .ok_or(AppError::NotFound)?;
    if before.revoked_at.is_some() {
        return Ok(before);
    }
    let q = Query::update()
        .table(Alias::new("api_tokens"))
        .value(Alias::new("revoked_at"), now.to_db())
        .and_where(Expr::col(Alias::new("id")).eq(id))
        .to_owned();
    tx.h().execute(&q).await?;
    let after = by_id(&mut tx.h(), id).await?.ok_or(AppError::NotFound)?;
    record(
        tx,
        now,
        actor,
        Change::new("api_token.revoke", "api_token", Some(id))
            .before(&before)
            .after(&after),
    )
    .await?;
    Ok(after)
}

/// A live token and its active owner, as one query finds them.
#[derive(sqlx::FromRow)]
struct Live {
    token_id: String,
    token_expires_at: Option<String>,
    token_last_used_at: Option<String>,
    #[sqlx(flatten)]
    user: UserRow,
}

/// The live token with this hash and its active owner (not revoked, not expired, owner active).
/// One query: it runs whenever [`TokenCache`] has no fresh answer.
async fn find_live(
    h: &mut Handle<'_>,
    now: Timestamp,
    hash: &str,
) -> Result<Option<Live>, DbError> {
    let (t, u) = (Alias::new("api_tokens"), Alias::new("users"));
    let mut q = Query::select();
    for c in crate::access::users::COLUMNS {
        q.column((u.clone(), Alias::new(c)));
    }
    for (c, alias) in [
        ("id", "token_id"),
        ("expires_at", "token_expires_at"),
        ("last_used_at", "token_last_used_at"),
    ] {
        q.expr_as(Expr::col((t.clone(), Alias::new(c))), Alias::new(alias));
    }
    q.from(t.clone())
        .inner_join(
            u.clone(),
            Expr::col((u.clone(), Alias::new("id"))).equals((t.clone(), Alias::new("user_id"))),
        )
        .and_where(Expr::col((t.clone(), Alias::new("token_hash"))).eq(hash))
        .and_where(Expr::col((t.clone(), Alias::new("revoked_at"))).is_null())
        .and_where(
            Expr::col((t.clone(), Alias::new("expires_at")))
                .is_null()
                .or(Expr::col((t.clone(), Alias::new("expires_at"))).gt(now.to_db())),
        )
        .and_where(Expr::col((u, Alias::new("status"))).eq(crate::access::users::STATUS_ACTIVE));
    h.fetch_optional(&q).await
}

/// A live token found for a bearer secret.
#[derive(Debug, Clone)]
pub struct Bearer {
    pub token_id: String,
    /// Its use was last noted more than [`NOTE_USE_SECS`] ago (or never), and this request is
    /// the one of this process to note it now.
    pub stale: bool,
}

/// How long a token look-up is trusted without asking the database again, in seconds. A token
/// revoked, or an account disabled or changed, by another instance or at the command line
/// stops working here within this time; a change committed by this process takes effect at
/// once, because every local write empties the cache ([`crate::platform::db::local_writes`]).
pub const CACHE_SECS: i64 = 1;

/// A token's `last_used_at` is written at most this often, in seconds.
pub const NOTE_USE_SECS: i64 = 60;

/// How many tokens the cache holds at most (only live tokens are cached, so unknown secrets
/// cannot fill it).
const CACHE_CAPACITY: usize = 4096;

/// Recent token look-ups of this server, so an API request does not have to query the
/// database to find out who is calling; and, per token, when its use was last noted, so that
/// concurrent requests do not all write `last_used_at`.
#[derive(Debug, Default)]
pub struct TokenCache(std::sync::Mutex<CacheState>);

#[derive(Debug, Default)]
struct CacheState {
    /// The [`crate::platform::db::local_writes`] count the entries were read under.
    generation: u64,
    /// By token hash.
    live: std::collections::HashMap<String, Cached>,
    /// When this process last noted each token's use, by token id (kept across generations).
    noted: std::collections::HashMap<String, Timestamp>,
}

#[derive(Debug)]
struct Cached {
    token_id: String,
    user: UserRow,
    expires_at: Option<Timestamp>,
    fetched_at: Timestamp,
}

impl Cached {
    fn fresh(&self, now: Timestamp) -> bool {
        self.fetched_at <= now
            && now < self.fetched_at.plus_seconds(CACHE_SECS)
            && self.expires_at.is_none_or(|e| now < e)
    }
}

impl CacheState {
    /// Drops every entry when this process has written since they were read.
    fn sync(&mut self, generation: u64) {
        if self.generation != generation {
            self.live.clear();
            self.generation = generation;
        }
    }

    /// Whether this request notes the token's use: only when neither the database
    /// (`last_used`, when just read) nor this process has noted it in the last
    /// [`NOTE_USE_SECS`], and then only the first request to ask.
    fn claim_note(&mut self, token_id: &str, last_used: Option<Timestamp>, now: Timestamp) -> bool {
        let due = now.plus_seconds(-NOTE_USE_SECS);
        let known = self.noted.get(token_id).copied();
        let noted = known.max(last_used);
        let claim = noted.is_none_or(|t| t < due);
        let remember = if claim { Some(now) } else { noted };
        if let Some(t) = remember
            && remember != known
        {
            if self.noted.len() >= CACHE_CAPACITY {
                self.noted.retain(|_, t| *t >= due);
            }
            self.noted.insert(token_id.to_string(), t);
        }
        claim
    }
}

impl TokenCache {
    fn state(&self) -> std::sync::MutexGuard<'_, CacheState> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The token a bearer secret belongs to and its active owner, if the token is live (not
    /// revoked, not expired, owner active): from the cache when fresh, else with one query.
    pub async fn authenticate(
        &self,
        db: &Db,
        now: Timestamp,
        secret: &str,
    ) -> Result<Option<(Bearer, UserRow)>, DbError> {
        if !secret.starts_with(PREFIX) {
            return Ok(None);
        }
        let hash = token_hash(secret);
        // Read before the query: a write that lands during it makes the answer unusable.
        let generation = crate::platform::db::local_writes();
        {
            let mut s = self.state();
            s.sync(generation);
            if let Some(c) = s.live.get(&hash).filter(|c| c.fresh(now)) {
                let (token_id, user) = (c.token_id.clone(), c.user.clone());
                let stale = s.claim_note(&token_id, None, now);
                return Ok(Some((Bearer { token_id, stale }, user)));
            }
        }
        let Some(live) = find_live(&mut db.read().await?.h(), now, &hash).await? else {
            return Ok(None);
        };
        let last_used = live
            .token_last_used_at
            .as_deref()
            .and_then(|t| Timestamp::parse(t).ok());
        // Cached only with an expiry it can check (none, or one that parses).
        let expires_at = match live.token_expires_at.as_deref() {
            None => Some(None),
            Some(t) => Timestamp::parse(t).ok().map(Some),
        };
        let mut s = self.state();
        let stale = s.claim_note(&live.token_id, last_used, now);
        if let Some(expires_at) = expires_at
            && crate::platform::db::local_writes() == generation
        {
            s.sync(generation);
            if s.live.len() >= CACHE_CAPACITY {
                s.live.retain(|_, c| c.fresh(now));
            }
            if s.live.len() < CACHE_CAPACITY {
                s.live.insert(
                    hash,
                    Cached {
                        token_id: live.token_id.clone(),
                        user: live.user.clone(),
                        expires_at,
                        fetched_at: now,
                    },
                );
            }
        }
        drop(s);
        Ok(Some((
            Bearer {
                token_id: live.token_id,
                stale,
            },
            live.user,
        )))
    }
}

/// Notes that a token was used now.
pub async fn touch(h: &mut Handle<'_>, now: Timestamp, token_id: &str) -> Result<(), DbError> {
    let u = Query::update()
        .table(Alias::new("api_tokens"))
        .value(Alias::new("last_used_at"), now.to_db())
        .and_where(Expr::col(Alias::new("id")).eq(token_id))
        .to_owned();
    h.execute(&u).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use bulwark_core::Role;
    use bulwark_core::validate::Email;

    use super::*;
    use crate::audit_log::Actor;

    fn at(secs: i64) -> Timestamp {
        Timestamp::parse("2026-11-23T09:00:00Z")
            .unwrap()
            .plus_seconds(secs)
    }

    /// A migrated database with one active account; returns it with the account's id.
    async fn db_with_user() -> (tempfile::TempDir, Db, String) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open_sqlite(dir.path()).await.unwrap();
        crate::platform::db::migrate::run(&db, at(0)).await.unwrap();
        let mut tx = db.begin().await.unwrap();
        let email = Email::parse("email", "ada@example.org").unwrap();
        let user = crate::access::users::create(
            &mut tx,
            at(0),
            &Actor::system(),
            &email,
            "Ada",
            Role::Staff,
            "not-a-real-hash".into(),
            false,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        (dir, db, user.id)
    }

    async fn new_token(db: &Db, user_id: &str, days: i64) -> CreatedToken {
        let mut tx = db.begin().await.unwrap();
        let req = NewToken {
            name: "test".into(),
            expires_days: Some(days),
        };
        let t = create(&mut tx, at(0), &Actor::system(), user_id, &req)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        t
    }

    /// A change made behind this process's back, as another instance would make it.
    async fn revoke_elsewhere(db: &Db, token_id: &str) {
        let Db::Sqlite { write, .. } = db else {
            unreachable!("the tests use SQLite")
        };
        sqlx::query("UPDATE api_tokens SET revoked_at = ?1 WHERE id = ?2")
            .bind(at(0).to_db())
            .bind(token_id)
            .execute(write)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn revocation_here_is_seen_at_once_and_elsewhere_within_the_cache_time() {
        let (_dir, db, user_id) = db_with_user().await;
        let cache = TokenCache::default();
        let t = new_token(&db, &user_id, 30).await;
        let (bearer, user) = cache
            .authenticate(&db, at(0), &t.secret)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (bearer.token_id.as_str(), user.id.as_str()),
            (t.token.id.as_str(), user_id.as_str())
        );
        assert!(
            cache
                .authenticate(&db, at(0), "bwk_unknown")
                .await
                .unwrap()
                .is_none()
        );

        // Another instance revokes it: this one keeps trusting its look-up for CACHE_SECS.
        revoke_elsewhere(&db, &t.token.id).await;
        assert!(
            cache
                .authenticate(&db, at(0), &t.secret)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            cache
                .authenticate(&db, at(CACHE_SECS), &t.secret)
                .await
                .unwrap()
                .is_none()
        );

        // Revoked here: refused at once, although the look-up was just cached.
        let t2 = new_token(&db, &user_id, 30).await;
        assert!(
            cache
                .authenticate(&db, at(0), &t2.secret)
                .await
                .unwrap()
                .is_some()
        );
        let mut tx = db.begin().await.unwrap();
        revoke(&mut tx, at(0), &Actor::system(), &user_id, &t2.token.id)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(
            cache
                .authenticate(&db, at(0), &t2.secret)
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn an_account_disabled_here_loses_its_tokens_at_once() {
        let (_dir, db, user_id) = db_with_user().await;
        let cache = TokenCache::default();
        let t = new_token(&db, &user_id, 30).await;
        assert!(
            cache
                .authenticate(&db, at(0), &t.secret)
                .await
                .unwrap()
                .is_some()
        );
        let mut tx = db.begin().await.unwrap();
        crate::access::users::update(
            &mut tx,
            at(0),
            &Actor::system(),
            &user_id,
            "user.update",
            vec![("status", crate::access::users::STATUS_DISABLED.into())],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert!(
            cache
                .authenticate(&db, at(0), &t.secret)
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn concurrent_requests_note_a_use_once_a_minute() {
        let (_dir, db, user_id) = db_with_user().await;
        let cache = TokenCache::default();
        let t = new_token(&db, &user_id, 30).await;
        let stale = |secs| {
            let (cache, db, secret) = (&cache, &db, t.secret.clone());
            async move {
                let (b, _) = cache
                    .authenticate(db, at(secs), &secret)
                    .await
                    .unwrap()
                    .unwrap();
                b.stale
            }
        };
        assert!(stale(0).await, "never used: the first request notes it");
        assert!(!stale(0).await, "the next ones do not, cached or not");
        assert!(!stale(30).await);
        assert!(!stale(NOTE_USE_SECS).await);
        assert!(stale(NOTE_USE_SECS + 1).await);
        assert!(!stale(NOTE_USE_SECS + 1).await);
    }

    #[test]
    fn a_use_noted_in_the_database_counts() {
        let mut s = CacheState::default();
        assert!(!s.claim_note("t", Some(at(-10)), at(0)));
        assert!(
            !s.claim_note("t", None, at(30)),
            "remembered from the database"
        );
        assert!(s.claim_note("t", None, at(51)));
        assert!(s.claim_note("u", Some(at(-61)), at(0)));
    }

    #[test]
    fn a_cached_look_up_ends_with_the_token_or_the_cache_time() {
        let user = UserRow {
            id: "u".into(),
            email: "ada@example.org".into(),
            name: "Ada".into(),
            role: "staff".into(),
            password_hash: String::new(),
            status: "active".into(),
            must_change_password: false,
            totp_secret: None,
            totp_enabled: false,
            totp_last_step: None,
            created_at: at(0).to_db(),
            updated_at: at(0).to_db(),
            last_login_at: None,
        };
        let cached = |expires_at| Cached {
            token_id: "t".into(),
            user: user.clone(),
            expires_at,
            fetched_at: at(0),
        };
        assert!(cached(None).fresh(at(0)));
        assert!(!cached(None).fresh(at(CACHE_SECS)));
        assert!(
            !cached(None).fresh(at(-1)),
            "a clock set back does not extend it"
        );
        assert!(
            !cached(Some(at(0))).fresh(at(0)),
            "expired tokens are refused"
        );
    }
}
