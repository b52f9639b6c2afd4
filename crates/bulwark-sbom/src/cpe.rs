//! CPE names, kept as CPE 2.3 formatted strings: 2.3 strings are checked against the grammar of
//! NISTIR 7695 (the regular expression of the CPE 2.3 dictionary schema), 2.2 URIs
//! (`cpe:/a:vendor:product:…`) are converted to it.
//!
//! Written here because the only Rust CPE crate (`cpe`) is unmaintained and pulls in `regex`,
//! `lazy_static` and an old `derive_builder` for what is a few dozen lines.

/// Characters that a formatted string must escape with `\` (the schema's quoted set).
const QUOTED: &[u8] = b"\\*?!\"#$%&'()+,/:;<=>@[]^`{|}~";

/// The CPE as a 2.3 formatted string; the error says what is wrong.
pub(crate) fn normalise(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.starts_with("cpe:2.3:") {
        check_formatted(s).map(|()| s.to_owned())
    } else if let Some(uri) = s.strip_prefix("cpe:/") {
        from_uri(uri)
    } else {
        Err(format!(
            "`{s}` is not a CPE name (a CPE starts with `cpe:2.3:` or `cpe:/`)"
        ))
    }
}

/// Checks a CPE 2.3 formatted string.
fn check_formatted(s: &str) -> Result<(), String> {
    let parts = split_unescaped(s);
    if parts.len() != 13 {
        return Err(format!(
            "`{s}` has {} parts; a CPE 2.3 name has 13 (`cpe:2.3:part:vendor:product:version:update:edition:language:sw_edition:target_sw:target_hw:other`)",
            parts.len()
        ));
    }
    if !matches!(parts[2], "a" | "o" | "h" | "*" | "-") {
        return Err(format!(
            "`{s}`: the part is `a`, `o`, `h`, `*` or `-`, not `{}`",
            parts[2]
        ));
    }
    if !is_language(parts[8]) {
        return Err(format!(
            "`{s}`: the language `{}` is not a language tag such as `en` or `en-us`",
            parts[8]
        ));
    }
    for (i, v) in parts.iter().enumerate().skip(3) {
        if i != 8 {
            check_value(v).map_err(|why| format!("`{s}`: the value `{v}` {why}"))?;
        }
    }
    Ok(())
}

/// Splits at the colons that are not escaped.
fn split_unescaped(s: &str) -> Vec<&str> {
    let mut parts = Vec::with_capacity(13);
    let (mut start, mut escaped) = (0, false);
    for (i, b) in s.bytes().enumerate() {
        match b {
            _ if escaped => escaped = false,
            b'\\' => escaped = true,
            b':' => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

/// `*`, `-`, or two or three letters with an optional region (`-us`, `-419`).
fn is_language(v: &str) -> bool {
    if v == "*" || v == "-" {
        return true;
    }
    let (lang, region) = match v.split_once('-') {
        Some((l, r)) => (l, Some(r)),
        None => (v, None),
    };
    let letters = |s: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic())
    };
    letters(lang, 2..=3)
        && region.is_none_or(|r| {
            letters(r, 2..=2) || (r.len() == 3 && r.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// One attribute value: `*`, `-`, or escaped text with `?`-runs or one `*` only at its ends.
fn check_value(v: &str) -> Result<(), &'static str> {
    if v == "*" || v == "-" {
        return Ok(());
    }
    let b = v.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'*') {
        i = 1;
    } else {
        while b.get(i) == Some(&b'?') {
            i += 1;
        }
    }
    let body_start = i;
    while i < b.len() {
        match b[i] {
            b'\\' if b.get(i + 1).is_some_and(|c| QUOTED.contains(c)) => i += 2,
            b'\\' => return Err("has a `\\` that quotes nothing that needs quoting"),
            c if c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_') => i += 1,
            b'*' | b'?' => break,
            _ => return Err("has a character that must be escaped with `\\`"),
        }
    }
    if i == body_start {
        return Err("has wildcards but no text");
    }
    let rest = &b[i..];
    if rest.is_empty() || rest == b"*" || rest.iter().all(|&c| c == b'?') {
        Ok(())
    } else {
        Err("has a wildcard (`*` or `?`) that is not at its start or end")
    }
}

/// Converts a CPE 2.2 URI (what follows `cpe:/`) to a 2.3 formatted string, unpacking the
/// edition (`~edition~sw_edition~target_sw~target_hw~other`) and decoding `%xx` escapes
/// (`%01` and `%02` are the wildcards `?` and `*`). Letters are lower-cased, as NVD does.
fn from_uri(uri: &str) -> Result<String, String> {
    let fail = |why: String| format!("`cpe:/{uri}` is not a valid CPE 2.2 URI: {why}");
    let parts: Vec<&str> = uri.split(':').collect();
    if parts.len() > 7 {
        return Err(fail(format!(
            "it has {} components, at most 7",
            parts.len()
        )));
    }
    let get = |i: usize| parts.get(i).copied().unwrap_or("");
    let part = match get(0).to_ascii_lowercase().as_str() {
        "" => "*".to_owned(),
        p @ ("a" | "o" | "h") => p.to_owned(),
        other => return Err(fail(format!("the part is `a`, `o` or `h`, not `{other}`"))),
    };
    let mut values = vec![part];
    for i in 1..=4 {
        values.push(decode(get(i)).map_err(&fail)?);
    }
    let edition = get(5);
    let (edition, extended) = match edition.strip_prefix('~') {
        Some(packed) => {
            let packed: Vec<&str> = packed.split('~').collect();
            if packed.len() != 5 {
                return Err(fail(
                    "a packed edition is `~edition~sw_edition~target_sw~target_hw~other`".into(),
                ));
            }
            (packed[0], packed[1..].to_vec())
        }
        None => (edition, vec![""; 4]),
    };
    values.push(decode(edition).map_err(&fail)?);
    values.push(decode(get(6)).map_err(&fail)?);
    for v in extended {
        values.push(decode(v).map_err(&fail)?);
    }
    let formatted = format!("cpe:2.3:{}", values.join(":"));
    check_formatted(&formatted).map_err(fail)?;
    Ok(formatted)
}

/// One URI component as a formatted-string value.
fn decode(v: &str) -> Result<String, String> {
    match v {
        "" => return Ok("*".into()),
        "-" => return Ok("-".into()),
        _ => {}
    }
    let b = v.as_bytes();
    let mut out = String::with_capacity(v.len());
    let mut i = 0;
    while i < b.len() {
        let (c, encoded) = if b[i] == b'%' {
            let code = v
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("`{v}` has a `%` not followed by two hex digits"))?;
            i += 3;
            match code {
                0x01 => {
                    out.push('?');
                    continue;
                }
                0x02 => {
                    out.push('*');
                    continue;
                }
                0x21..=0x7e => (code, true),
                _ => return Err(format!("`{v}` encodes a character a CPE cannot hold")),
            }
        } else {
            i += 1;
            (b[i - 1], false)
        };
        if c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_') {
            out.push(c.to_ascii_lowercase() as char);
        } else if encoded || c == b'~' {
            // Percent-encoded punctuation, or a literal `~`: quoted in the formatted string.
            out.push('\\');
            out.push(c as char);
        } else {
            return Err(format!(
                "`{v}` has `{}`, which a CPE URI must percent-encode",
                c as char
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatted_strings_are_checked() {
        for ok in [
            "cpe:2.3:a:postgresql:postgresql:15.3.0:*:*:*:*:*:*:*",
            "cpe:2.3:*:libgeos:geos:3.8.3:*:*:*:*:*:*:*",
            "cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*",
            "cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*",
            "cpe:2.3:a:foo\\\\bar:big\\$money_2010:*:*:*:en-us:*:*:*:*",
            "cpe:2.3:a:vendor:product:1.0\\+dfsg:*:*:*:*:*:*:*",
            "cpe:2.3:a:vendor:product:1.?:*:*:*:*:*:*:*",
            "cpe:2.3:a:vendor:*prod:1.0*:*:*:*:*:*:*:*",
            "cpe:2.3:a:vendor:product:1\\:2:*:*:*:*:*:*:*",
        ] {
            assert_eq!(normalise(ok).as_deref(), Ok(ok));
        }
        for bad in [
            "cpe:2.3:a:vendor:product:1.0:*:*:*:*:*:*",
            "cpe:2.3:x:vendor:product:1.0:*:*:*:*:*:*:*",
            "cpe:2.3:a:vendor:product:1.0+dfsg:*:*:*:*:*:*:*",
            "cpe:2.3:a:vendor:pro*duct:1.0:*:*:*:*:*:*:*",
            "cpe:2.3:a:vendor:product:1.0:*:*:english:*:*:*:*",
            "cpe:2.3:a:vendor:??:1.0:*:*:*:*:*:*:*",
            "cpe:2.3:a:vendor:product\\a:1.0:*:*:*:*:*:*:*",
            "pkg:npm/x@1",
        ] {
            assert!(normalise(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn uris_become_formatted_strings() {
        let n = |s| normalise(s).unwrap();
        assert_eq!(
            n("cpe:/a:openssl:openssl:1.0.2k"),
            "cpe:2.3:a:openssl:openssl:1.0.2k:*:*:*:*:*:*:*"
        );
        assert_eq!(
            n("cpe:/o:Microsoft:Windows_XP::sp2"),
            "cpe:2.3:o:microsoft:windows_xp:*:sp2:*:*:*:*:*:*"
        );
        assert_eq!(
            n("cpe:/a:hp:insight_diagnostics:7.4.0.1570:-:~~online~win2003~x64~"),
            "cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*"
        );
        assert_eq!(
            n("cpe:/a:foo%5cbar:big%24money:2010%02::~~special~ipod_touch~80gb~:en-us"),
            "cpe:2.3:a:foo\\\\bar:big\\$money:2010*:*:*:en-us:special:ipod_touch:80gb:*"
        );
        assert_eq!(
            n("cpe:/a:vendor:product:%01%011.0"),
            "cpe:2.3:a:vendor:product:??1.0:*:*:*:*:*:*:*"
        );
        assert!(normalise("cpe:/x:vendor").is_err());
        assert!(normalise("cpe:/a:vendor:prod uct").is_err());
        assert!(normalise("cpe:/a:vendor:product:1%0").is_err());
        assert!(normalise("cpe:/a:vendor:product:1.0:u:~a~b").is_err());
        assert!(normalise("cpe:/a:v:p:1:2:3:4:5").is_err());
    }
}
