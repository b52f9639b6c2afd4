//! Time-based one-time passwords (RFC 6238) and recovery codes.
//!
//! The TOTP arithmetic comes from the `totp-rs` crate; this module fixes the parameters Bulwark
//! uses (SHA-1, 6 digits, 30-second steps, one step of drift either way, as authenticator apps
//! expect) and keeps secrets and times as plain values passed in by the caller.

use totp_rs::{Algorithm, Secret, TOTP};

/// Length of a TOTP secret in bytes (160 bits, as RFC 4226 recommends).
pub const SECRET_LEN: usize = 20;

/// Number of recovery codes issued at enrolment.
pub const RECOVERY_CODES: usize = 10;

fn totp(secret_b32: &str, issuer: &str, account: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret_b32.to_string()).to_bytes().ok()?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        Some(issuer.to_string()),
        account.to_string(),
    )
    .ok()
}

/// Encodes fresh random bytes (from the caller) as a base32 secret.
pub fn secret_from_bytes(bytes: &[u8; SECRET_LEN]) -> String {
    Secret::Raw(bytes.to_vec()).to_encoded().to_string()
}

/// The `otpauth://` URL an authenticator app scans.
pub fn provisioning_url(secret_b32: &str, issuer: &str, account: &str) -> Option<String> {
    totp(secret_b32, issuer, account).map(|t| t.get_url())
}

/// Whether `code` is valid at `unix_time`, allowing one step of clock drift.
/// Returns the time step it matched, so the caller can refuse a replay of the same step.
pub fn check(secret_b32: &str, code: &str, unix_time: i64) -> Option<i64> {
    let code = code.trim().replace(' ', "");
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) || unix_time < 30 {
        return None;
    }
    let t = totp(secret_b32, "x", "x")?;
    (-1i64..=1).find_map(|d| {
        let at = (unix_time + d * 30) as u64;
        (t.generate(at) == code).then_some((unix_time + d * 30) / 30)
    })
}

/// The code for `unix_time` (for tests and the demo).
pub fn code_at(secret_b32: &str, unix_time: i64) -> Option<String> {
    totp(secret_b32, "x", "x").map(|t| t.generate(unix_time as u64))
}

/// Formats random bytes as a recovery code people can type: `xxxxx-xxxxx`, lowercase base32.
pub fn recovery_code_from_bytes(bytes: &[u8; 7]) -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut n = bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    let mut out = String::with_capacity(11);
    for i in 0..10 {
        if i == 5 {
            out.push('-');
        }
        out.push(ALPHABET[(n % ALPHABET.len() as u64) as usize] as char);
        n /= ALPHABET.len() as u64;
    }
    out
}

/// Normalises a typed recovery code for comparison.
pub fn normalise_recovery_code(s: &str) -> String {
    let compact: String = s
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    if compact.len() == 10 {
        format!("{}-{}", &compact[..5], &compact[5..])
    } else {
        compact
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B, SHA-1 key "12345678901234567890".
    const RFC_SECRET: &[u8; 20] = b"12345678901234567890";

    #[test]
    fn rfc6238_vectors() {
        let s = secret_from_bytes(RFC_SECRET);
        // The RFC gives 8 digits; the last 6 are the 6-digit code.
        for (t, code) in [
            (59, "287082"),
            (1111111109, "081804"),
            (1234567890, "005924"),
            (2000000000, "279037"),
        ] {
            assert_eq!(code_at(&s, t).unwrap(), code, "t={t}");
            assert!(check(&s, code, t).is_some());
        }
    }

    #[test]
    fn drift_of_one_step_is_accepted_two_is_not() {
        let s = secret_from_bytes(RFC_SECRET);
        let code = code_at(&s, 1_000_000_020).unwrap();
        assert!(check(&s, &code, 1_000_000_020 + 30).is_some());
        assert!(check(&s, &code, 1_000_000_020 + 90).is_none());
        assert!(check(&s, "12345", 1_000_000_020).is_none());
        assert!(check(&s, "abcdef", 1_000_000_020).is_none());
    }

    #[test]
    fn recovery_codes_normalise() {
        let c = recovery_code_from_bytes(&[1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(c.len(), 11);
        assert_eq!(
            normalise_recovery_code(&c.to_uppercase().replace('-', " ")),
            c
        );
    }
}
