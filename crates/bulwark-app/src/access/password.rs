//! Password hashing with argon2id (OWASP parameters: 19 MiB, 2 passes, 1 lane).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

fn hasher() -> Argon2<'static> {
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19 * 1024, 2, 1, None).unwrap_or_default(),
    )
}

/// Hashes a password (PHC string). Runs on a blocking thread: it takes tens of milliseconds.
pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
    })
    .await?
}

/// Checks a password against a stored hash.
pub async fn verify(password: String, stored: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .is_ok_and(|h| hasher().verify_password(password.as_bytes(), &h).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// A hash of nothing, checked when the account does not exist so that timing does not tell.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$J8+9Gl6o0V1V6Bf9GPdK9vD3Qd4nT5d9yqRZ2O5rj3M";

/// A random temporary password for resets and first start: 20 characters, easy to read out.
pub fn temporary() -> String {
    let b = crate::platform::ids::random_bytes::<14>();
    let a =
        bulwark_core::mfa::recovery_code_from_bytes(&[b[0], b[1], b[2], b[3], b[4], b[5], b[6]]);
    let c = bulwark_core::mfa::recovery_code_from_bytes(&[
        b[7], b[8], b[9], b[10], b[11], b[12], b[13],
    ]);
    format!("{a}-{c}")
}
