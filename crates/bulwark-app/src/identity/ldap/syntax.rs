//! LDAP value syntaxes the mapping reads: DNs (RFC 4514), GeneralizedTime (RFC 4517) and
//! Windows FILETIME.

use chrono::{DateTime, NaiveDate, Utc};

/// A DN's relative distinguished names, first (leaf) first, each a list of
/// (attribute type lower-cased, value unescaped) pairs; `None` when it is not a DN.
///
/// Written by hand: the LDAP client parses no DNs, and this RFC 4514 subset (escapes `\,` and
/// `\2C`, multi-valued RDNs with `+`, spaces around separators) is all the mapping needs.
pub(super) fn parse_dn(dn: &str) -> Option<Vec<Vec<(String, String)>>> {
    let mut rdns = Vec::new();
    let mut rdn = Vec::new();
    let mut chars = dn.trim().chars().peekable();
    chars.peek()?;
    loop {
        let attr: String = chars.by_ref().take_while(|&c| c != '=').collect();
        let attr = attr.trim().to_ascii_lowercase();
        if attr.is_empty()
            || !attr
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        {
            return None;
        }
        let mut value = Vec::<u8>::new();
        let mut end_kept = 0; // length of the value without unescaped trailing spaces
        let mut separator = None;
        while let Some(c) = chars.next() {
            match c {
                ',' | '+' | ';' => {
                    separator = Some(c);
                    break;
                }
                '\\' => {
                    let next = chars.next()?;
                    if next.is_ascii_hexdigit() {
                        let low = chars.next().filter(char::is_ascii_hexdigit)?;
                        let byte = u8::from_str_radix(&format!("{next}{low}"), 16).ok()?;
                        value.push(byte);
                    } else {
                        let mut buf = [0; 4];
                        value.extend_from_slice(next.encode_utf8(&mut buf).as_bytes());
                    }
                    end_kept = value.len();
                }
                ' ' if value.is_empty() => {}
                c => {
                    let mut buf = [0; 4];
                    value.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    if c != ' ' {
                        end_kept = value.len();
                    }
                }
            }
        }
        value.truncate(end_kept);
        rdn.push((attr, String::from_utf8(value).ok()?));
        match separator {
            Some('+') => {}
            Some(_) => rdns.push(std::mem::take(&mut rdn)),
            None => {
                rdns.push(rdn);
                return Some(rdns);
            }
        }
    }
}

/// A DN in a form two spellings of the same DN share (letter case, spaces, escapes).
pub(super) fn dn_key(dn: &str) -> Option<String> {
    let rdns = parse_dn(dn)?;
    let rdn_keys: Vec<String> = rdns
        .iter()
        .map(|rdn| {
            let mut avas: Vec<String> = rdn
                .iter()
                .map(|(t, v)| format!("{t}={}", v.to_lowercase()))
                .collect();
            avas.sort();
            avas.join("+")
        })
        .collect();
    Some(rdn_keys.join(","))
}

/// A group's name from its DN: the value of the first RDN (its CN, as a rule).
pub(super) fn group_name_of_dn(dn: &str) -> Option<String> {
    let first = parse_dn(dn)?.into_iter().next()?;
    first
        .iter()
        .find(|(t, _)| t == "cn")
        .or(first.first())
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_empty())
}

/// An LDAP GeneralizedTime (RFC 4517): `YYYYMMDDHH[MM[SS]][.fraction](Z|±HH[MM])`.
pub(super) fn generalized_time(s: &str) -> Option<DateTime<Utc>> {
    let zone_at = s.find(['Z', 'z', '+', '-'])?;
    let (local, zone) = s.split_at(zone_at);
    let (digits, fraction) = match local.find(['.', ',']) {
        Some(i) => (&local[..i], Some(&local[i + 1..])),
        None => (local, None),
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) || ![10, 12, 14].contains(&digits.len()) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| digits.get(r).map_or(Some(0), |d| d.parse::<u32>().ok());
    let date = NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(4..6)?, num(6..8)?)?;
    let time = date.and_hms_opt(num(8..10)?, num(10..12)?, num(12..14)?)?;
    // A fraction belongs to the last unit given: hour, minute or second.
    let unit_seconds = match digits.len() {
        10 => 3600.0,
        12 => 60.0,
        _ => 1.0,
    };
    let extra_nanos = match fraction {
        Some(f) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
            (format!("0.{f}").parse::<f64>().ok()? * unit_seconds * 1e9).round() as i64
        }
        Some(_) => return None,
        None => 0,
    };
    let offset_minutes = match zone {
        "Z" | "z" => 0,
        z if (z.len() == 3 || z.len() == 5) && z[1..].bytes().all(|b| b.is_ascii_digit()) => {
            let hours: i64 = z[1..3].parse().ok()?;
            let minutes: i64 = z.get(3..5).map_or(Some(0), |m| m.parse().ok())?;
            let sign = if z.starts_with('-') { -1 } else { 1 };
            sign * (hours * 60 + minutes)
        }
        _ => return None,
    };
    let utc = time.and_utc() + chrono::Duration::nanoseconds(extra_nanos)
        - chrono::Duration::minutes(offset_minutes);
    Some(utc)
}

/// A Windows FILETIME (100 ns ticks since 1601-01-01 UTC) as AD writes `lastLogonTimestamp`;
/// `Some(None)` for 0 and the "never" value, `None` when it is not such a number.
pub(super) fn filetime(s: &str) -> Option<Option<DateTime<Utc>>> {
    const TICKS_PER_SECOND: i64 = 10_000_000;
    const SECONDS_1601_TO_1970: i64 = 11_644_473_600;
    let ticks: i64 = s.parse().ok()?;
    if ticks == 0 || ticks == i64::MAX {
        return Some(None);
    }
    if ticks < 0 {
        return None;
    }
    let secs = ticks / TICKS_PER_SECOND - SECONDS_1601_TO_1970;
    let nanos = u32::try_from((ticks % TICKS_PER_SECOND) * 100).ok()?;
    DateTime::from_timestamp(secs, nanos).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    #[test]
    fn dns_are_parsed_per_rfc_4514() {
        assert_eq!(
            parse_dn("CN=Smith\\, Anna+UID=as , OU = R\\2BD,DC=x").unwrap(),
            vec![
                vec![
                    ("cn".into(), "Smith, Anna".into()),
                    ("uid".into(), "as".into())
                ],
                vec![("ou".into(), "R+D".into())],
                vec![("dc".into(), "x".into())],
            ]
        );
        assert_eq!(parse_dn("cn=M\\C3\\BCller,dc=x").unwrap()[0][0].1, "Müller");
        assert_eq!(
            parse_dn("cn=trailing\\ ,dc=x").unwrap()[0][0].1,
            "trailing "
        );
        assert_eq!(
            dn_key("UID=Ann, OU=People,DC=x"),
            dn_key("uid=ann,ou=people,dc=x")
        );
        for bad in ["", "no dn here", "=x,dc=y", "cn=a\\", "cn=a\\4"] {
            assert_eq!(parse_dn(bad), None, "{bad:?}");
        }
        assert_eq!(
            group_name_of_dn("ou=Team A,dc=x").as_deref(),
            Some("Team A")
        );
    }

    #[test]
    fn generalized_times() {
        let cases = [
            ("20250102030405Z", Some(at(2025, 1, 2, 3, 4, 5))),
            (
                "20250102030405.5Z",
                Some(at(2025, 1, 2, 3, 4, 5) + chrono::Duration::milliseconds(500)),
            ),
            ("202501020304Z", Some(at(2025, 1, 2, 3, 4, 0))),
            ("2025010203Z", Some(at(2025, 1, 2, 3, 0, 0))),
            ("2025010203.5Z", Some(at(2025, 1, 2, 3, 30, 0))),
            ("20250102030405+0130", Some(at(2025, 1, 2, 1, 34, 5))),
            ("20250102030405-02", Some(at(2025, 1, 2, 5, 4, 5))),
            ("20250230000000Z", None),
            ("20250102030405", None),
            ("2025-01-02T03:04:05Z", None),
            ("20250102030405.Z", None),
        ];
        for (s, want) in cases {
            assert_eq!(generalized_time(s), want, "{s}");
        }
    }

    #[test]
    fn filetimes() {
        assert_eq!(
            filetime("116444736000000000"),
            Some(Some(at(1970, 1, 1, 0, 0, 0)))
        );
        assert_eq!(filetime("0"), Some(None));
        assert_eq!(filetime("9223372036854775807"), Some(None));
        assert_eq!(filetime("-5"), None);
        assert_eq!(filetime("soon"), None);
    }
}
