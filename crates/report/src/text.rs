//! Small formatting helpers shared by the HTML, Markdown, JUnit and gap renderers.

/// Escapes `&`, `<`, `>`, `"` and `'` for HTML and XML text and attributes.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // XML 1.0 forbids most control characters even escaped: drop them.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => {}
            c => out.push(c),
        }
    }
    out
}

/// A count with the words that agree with it: `one` for 1 (`1 write was`), `many`
/// otherwise (`0 writes were`, `2 writes were`).
pub fn counted(count: u64, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// `v` with at most `decimals` decimals, trailing zeros dropped.
pub(crate) fn number(v: f64, decimals: usize) -> String {
    let text = format!("{v:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    if text == "-0" {
        "0".to_string()
    } else {
        text
    }
}

/// A duration in seconds for people: `850ms`, `47.2s`, `3m05s`.
pub(crate) fn duration(s: f64) -> String {
    let abs = s.abs();
    let sign = if s < 0.0 { "-" } else { "" };
    // The scale is chosen on the rounded figure, so 0.9996 s reads `1s`, not `1000ms`,
    // and 119.97 s reads `2m00s`, not `120s`.
    if abs > 0.0 && (abs * 1e3).round() < 1e3 {
        format!("{sign}{}ms", number(abs * 1e3, 0))
    } else if (abs * 10.0).round() < 1_200.0 {
        format!("{sign}{}s", number(abs, 1))
    } else {
        let whole = abs.round() as u64;
        format!("{sign}{}m{:02}s", whole / 60, whole % 60)
    }
}

/// A point in run time for people: `10:30.0` (minutes:seconds from the start).
pub(crate) fn clock(s: f64) -> String {
    let s = s.max(0.0);
    let minutes = (s / 60.0).floor();
    format!("{}:{:04.1}", minutes as u64, s - minutes * 60.0)
}

/// A fraction as a percentage: `8.3%`, `0.05%`, `100%`.
pub(crate) fn percent(v: f64) -> String {
    format!("{}%", percent_figure(v))
}

/// A difference of two shares in percentage points: `4.04 pp` (where `4.04%` would read
/// as a share of the first).
pub(crate) fn points(v: f64) -> String {
    format!("{} pp", percent_figure(v))
}

/// The figure of [`percent`]: more decimals for smaller shares.
fn percent_figure(v: f64) -> String {
    let p = v * 100.0;
    let decimals = if p == 0.0 || p >= 10.0 {
        1
    } else if p >= 1.0 {
        2
    } else {
        3
    };
    number(p, decimals)
}

/// Milliseconds for people: `21ms`, `1.2s`.
pub(crate) fn millis(ms: f64) -> String {
    // Decided on the rounded figure: 999.6 ms reads `1s`, not `1000ms`.
    if ms.round() >= 1_000.0 {
        format!("{}s", number(ms / 1e3, 2))
    } else if ms >= 10.0 {
        format!("{}ms", number(ms, 0))
    } else {
        format!("{}ms", number(ms, 2))
    }
}

/// A verdict line's actual value in its unit, or `-`.
pub(crate) fn actual(value: Option<f64>, unit: &str) -> String {
    match value {
        None => "-".to_string(),
        Some(v) => match unit {
            "s" => duration(v),
            "ms" => millis(v),
            "fraction" => percent(v),
            "writes" => number(v, 0),
            unit => format!("{} {unit}", number(v, 6)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_and_drops_control_characters() {
        assert_eq!(
            escape("<a href=\"x\">&'\u{1}"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn people_units_pick_a_readable_scale() {
        assert_eq!(duration(47.26), "47.3s");
        assert_eq!(duration(0.25), "250ms");
        assert_eq!(duration(630.0), "10m30s");
        assert_eq!(clock(630.0), "10:30.0");
        assert_eq!(percent(0.083), "8.3%");
        assert_eq!(percent(0.0005), "0.05%");
        assert_eq!(millis(5000.0), "5s");
        assert_eq!(millis(21.4), "21ms");
        assert_eq!(actual(Some(132.0), "writes"), "132");
        assert_eq!(actual(None, "s"), "-");
    }

    #[test]
    fn a_figure_that_rounds_up_to_the_next_scale_is_shown_in_it() {
        // Regression: the scale was chosen before rounding (`1000ms`, `120s`).
        assert_eq!(duration(0.9996), "1s");
        assert_eq!(duration(0.9994), "999ms");
        assert_eq!(duration(119.97), "2m00s");
        assert_eq!(duration(119.94), "119.9s");
        assert_eq!(millis(999.6), "1s");
        assert_eq!(millis(999.4), "999ms");
    }

    #[test]
    fn counted_is_singular_for_one_only() {
        assert_eq!(counted(0, "write", "writes"), "0 writes");
        assert_eq!(counted(1, "write was", "writes were"), "1 write was");
        assert_eq!(counted(2, "call", "calls"), "2 calls");
    }
}
