//! Small helpers for writing SVG by hand. The charts are a few dozen shapes each, so a string
//! builder is clearer than a drawing crate, and nothing has to be fetched or run in a browser.

/// `s` escaped for SVG text and attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Black or white, whichever reads better on the `#rrggbb` background `colour`.
pub fn ink_on(colour: &str) -> &'static str {
    let channel = |i: usize| {
        colour
            .get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .map_or(0.0, |v| f64::from(v) / 255.0)
    };
    // Relative luminance (WCAG 2), without the gamma curve: close enough to pick black or white.
    let luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    if luminance > 0.5 {
        "#000000"
    } else {
        "#ffffff"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }

    #[test]
    fn ink_contrasts() {
        assert_eq!(ink_on("#c62828"), "#ffffff");
        assert_eq!(ink_on("#f9a825"), "#000000");
        assert_eq!(ink_on("#2e7d32"), "#ffffff");
    }
}
