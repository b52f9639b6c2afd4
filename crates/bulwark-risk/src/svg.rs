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

/// A `#rrggbb` colour as red, green and blue fractions from 0 to 1; None if it is not one.
pub fn rgb(colour: &str) -> Option<[f32; 3]> {
    let channel = |i: usize| {
        colour
            .get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .map(|v| f32::from(v) / 255.0)
    };
    if colour.len() != 7 || !colour.starts_with('#') {
        return None;
    }
    Some([channel(1)?, channel(3)?, channel(5)?])
}

/// Black or white, whichever reads better on the `#rrggbb` background `colour`.
pub fn ink_on(colour: &str) -> &'static str {
    let [r, g, b] = rgb(colour).unwrap_or_default();
    // Relative luminance (WCAG 2), without the gamma curve: close enough to pick black or white.
    let luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
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
