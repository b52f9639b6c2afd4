//! TOTP enrolment, activation, removal and the second step of sign-in.

use bulwark_core::mfa as totp;
use sea_query::{Alias, Expr, ExprTrait, Query};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::identity::Identity;
use super::users::{self, UserRow};
use crate::app::AppState;
use crate::audit_log::Actor;
use crate::platform::db::{Handle, Tx};
use crate::platform::http::error::{AppError, AppResult};
use crate::platform::ids::{new_id, random_bytes};

/// The issuer name authenticator apps show.
pub const ISSUER: &str = "Bulwark";

/// A started enrolment.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Enrolment {
    /// The base32 secret, for typing into an app.
    pub secret: String,
    /// The `otpauth://` URL, for a QR code.
    pub otpauth_url: String,
}

/// The code that proves the app was set up.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Activation {
    pub code: String,
}

/// Removal needs the password.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Removal {
    pub password: String,
}

/// Single-use recovery codes, shown once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}

fn code_hash(user_id: &str, code: &str) -> String {
    hex::encode(Sha256::digest(
        format!("{user_id}:{}", totp::normalise_recovery_code(code)).as_bytes(),
    ))
}

/// Starts (or restarts) enrolment with a fresh secret.
pub async fn start(app: &AppState, id: &Identity) -> AppResult<Enrolment> {
    if id.user.totp_enabled {
        return Err(AppError::Conflict(
            "two-factor authentication is already on; remove it first to enrol a new app".into(),
        ));
    }
    let secret = totp::secret_from_bytes(&random_bytes::<{ totp::SECRET_LEN }>());
    let url = totp::provisioning_url(&secret, ISSUER, &id.user.email)
        .ok_or_else(|| anyhow::anyhow!("could not build the provisioning URL"))?;
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    users::update(
        &mut tx,
        now,
        &id.actor(),
        &id.user.id,
        "user.mfa_enrolment_start",
        vec![("totp_secret", secret.clone().into())],
    )
    .await?;
    tx.commit().await?;
    Ok(Enrolment {
        secret,
        otpauth_url: url,
    })
}

/// Activates TOTP when `code` matches the pending secret; issues recovery codes.
pub async fn activate(app: &AppState, id: &Identity, code: &str) -> AppResult<RecoveryCodes> {
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let u = users::by_id(&mut tx.h(), &id.user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    if u.totp_enabled {
        return Err(AppError::Conflict(
            "two-factor authentication is already on".into(),
        ));
    }
    let secret = u
        .totp_secret
        .clone()
        .ok_or_else(|| AppError::Conflict("start enrolment first".into()))?;
    let step = totp::check(&secret, code, now.unix()).ok_or_else(|| {
        AppError::field(
            "code",
            "does not match; check the app's clock and type the current 6-digit code",
        )
    })?;
    let user = users::update(
        &mut tx,
        now,
        &id.actor(),
        &u.id,
        "user.mfa_enable",
        vec![
            ("totp_enabled", true.into()),
            ("totp_last_step", step.into()),
        ],
    )
    .await?;
    let codes = replace_recovery_codes(&mut tx, now, &u.id).await?;
    super::api::notify(&mut tx, now, &user, "Two-factor authentication is on", &format!(
        "Hello {},\n\nTwo-factor authentication was turned on for your Bulwark account at {}. If this was not you, tell your security team at once.\n",
        user.name, now.human()
    ))
    .await?;
    tx.commit().await?;
    Ok(RecoveryCodes {
        recovery_codes: codes,
    })
}

async fn replace_recovery_codes(
    tx: &mut Tx,
    now: bulwark_core::Timestamp,
    user_id: &str,
) -> AppResult<Vec<String>> {
    tx.h()
        .execute(
            &Query::delete()
                .from_table(Alias::new("recovery_codes"))
                .and_where(Expr::col(Alias::new("user_id")).eq(user_id))
                .to_owned(),
        )
        .await?;
    let mut codes = Vec::with_capacity(totp::RECOVERY_CODES);
    for _ in 0..totp::RECOVERY_CODES {
        let c = totp::recovery_code_from_bytes(&random_bytes::<7>());
        let q = Query::insert()
            .into_table(Alias::new("recovery_codes"))
            .columns(["id", "user_id", "code_hash"].map(Alias::new))
            .values_panic([
                new_id(now).into(),
                user_id.into(),
                code_hash(user_id, &c).into(),
            ])
            .to_owned();
        tx.h().execute(&q).await?;
        codes.push(c);
    }
    Ok(codes)
}

/// Turns TOTP off after checking the password. Refused when the role must use MFA.
pub async fn remove(app: &AppState, id: &Identity, password: &str) -> AppResult<()> {
    if !super::password::verify(password.to_string(), id.user.password_hash.clone()).await {
        return Err(AppError::field("password", "is not your current password"));
    }
    let now = app.clock.now();
    if app
        .settings
        .get(&app.db, now)
        .await?
        .mfa_required_roles
        .contains(&id.role())
    {
        return Err(AppError::Conflict(
            "your role must use two-factor authentication, so it cannot be removed".into(),
        ));
    }
    let mut tx = app.db.begin().await?;
    let user = users::update(
        &mut tx,
        now,
        &id.actor(),
        &id.user.id,
        "user.mfa_disable",
        vec![
            ("totp_enabled", false.into()),
            ("totp_secret", None::<String>.into()),
            ("totp_last_step", None::<i64>.into()),
        ],
    )
    .await?;
    tx.h()
        .execute(
            &Query::delete()
                .from_table(Alias::new("recovery_codes"))
                .and_where(Expr::col(Alias::new("user_id")).eq(id.user.id.as_str()))
                .to_owned(),
        )
        .await?;
    super::api::notify(&mut tx, now, &user, "Two-factor authentication is off", &format!(
        "Hello {},\n\nTwo-factor authentication was turned off for your Bulwark account at {}. If this was not you, tell your security team at once.\n",
        user.name, now.human()
    ))
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct CodeRow {
    id: String,
}

async fn use_recovery_code(
    h: &mut Handle<'_>,
    now: bulwark_core::Timestamp,
    user_id: &str,
    code: &str,
) -> AppResult<bool> {
    let q = Query::select()
        .column(Alias::new("id"))
        .from(Alias::new("recovery_codes"))
        .and_where(Expr::col(Alias::new("user_id")).eq(user_id))
        .and_where(Expr::col(Alias::new("code_hash")).eq(code_hash(user_id, code)))
        .and_where(Expr::col(Alias::new("used_at")).is_null())
        .to_owned();
    let Some(row) = h.fetch_optional::<CodeRow>(&q).await? else {
        return Ok(false);
    };
    let u = Query::update()
        .table(Alias::new("recovery_codes"))
        .value(Alias::new("used_at"), now.to_db())
        .and_where(Expr::col(Alias::new("id")).eq(row.id))
        .to_owned();
    h.execute(&u).await?;
    Ok(true)
}

/// The second step of sign-in: a current TOTP code (not replayed) or an unused recovery code.
/// Records the outcome; returns whether it passed.
pub async fn verify_login(
    tx: &mut Tx,
    now: bulwark_core::Timestamp,
    u: &UserRow,
    code: &str,
) -> AppResult<bool> {
    let actor = Actor::user(&u.id, &u.email);
    let trimmed = code.trim();
    if trimmed.chars().filter(char::is_ascii_digit).count() == 6 && trimmed.len() <= 7 {
        let Some(secret) = &u.totp_secret else {
            return Ok(false);
        };
        return match totp::check(secret, trimmed, now.unix()) {
            Some(step) if u.totp_last_step.is_none_or(|last| step > last) => {
                users::update(
                    tx,
                    now,
                    &actor,
                    &u.id,
                    "session.mfa_pass",
                    vec![
                        ("totp_last_step", step.into()),
                        ("last_login_at", now.to_db().into()),
                    ],
                )
                .await?;
                Ok(true)
            }
            _ => Ok(false),
        };
    }
    if use_recovery_code(&mut tx.h(), now, &u.id, trimmed).await? {
        users::update(
            tx,
            now,
            &actor,
            &u.id,
            "session.mfa_recovery_code_used",
            vec![("last_login_at", now.to_db().into())],
        )
        .await?;
        return Ok(true);
    }
    Ok(false)
}
