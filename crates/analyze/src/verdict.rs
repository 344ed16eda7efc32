//! The verdict: one line per threshold of `expect` and per alert expectation.

use faultline_spec::{Quantity, Threshold};

use crate::summary::{round6, ThresholdLine};

/// The unit a metric is compared in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    /// Seconds; bounds are durations.
    Seconds,
    /// Milliseconds; bounds are durations.
    Millis,
    /// A share; bounds are percentages or plain fractions.
    Fraction,
    /// A count of writes; bounds are plain numbers.
    Writes,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Seconds => "s",
            Unit::Millis => "ms",
            Unit::Fraction => "fraction",
            Unit::Writes => "writes",
        }
    }

    /// The bound expressed in this unit, or why it cannot be.
    fn bound(self, bound: Quantity) -> Result<f64, String> {
        match (self, bound) {
            (Unit::Seconds, Quantity::Duration(d)) => Ok(d.as_secs_f64()),
            (Unit::Millis, Quantity::Duration(d)) => Ok(d.as_millis_f64()),
            (Unit::Seconds | Unit::Millis, Quantity::Count(0.0)) => Ok(0.0),
            (Unit::Fraction, Quantity::Fraction(f)) => Ok(f.value),
            (Unit::Fraction, Quantity::Count(n)) if (0.0..=1.0).contains(&n) => Ok(n),
            (Unit::Writes, Quantity::Count(n)) => Ok(n),
            (Unit::Seconds | Unit::Millis, other) => Err(format!(
                "the bound `{other}` is not a duration; write one such as `30s` or `500ms`"
            )),
            (Unit::Fraction, other) => Err(format!(
                "the bound `{other}` is not a share; write one such as `0.1%` or `0.001`"
            )),
            (Unit::Writes, other) => Err(format!(
                "the bound `{other}` is not a count; write a plain number such as `0`"
            )),
        }
    }
}

/// A metric to judge: its value, or why it has none.
pub(crate) struct Measured {
    pub name: &'static str,
    pub unit: Unit,
    pub actual: Result<f64, String>,
}

/// Judges one threshold.
pub(crate) fn judge(threshold: &Threshold, measured: &Measured) -> ThresholdLine {
    let mut line = ThresholdLine {
        name: measured.name.to_string(),
        expected: threshold_text(threshold),
        actual: measured.actual.as_ref().ok().copied().map(round6),
        unit: measured.unit.name().to_string(),
        passed: false,
        reason: None,
    };
    match (&measured.actual, measured.unit.bound(threshold.bound)) {
        (_, Err(why)) => line.reason = Some(why),
        (Err(why), Ok(_)) => line.reason = Some(why.clone()),
        (Ok(actual), Ok(bound)) => {
            // Compare what is shown, so a printed `7.3 <= 7.3` never fails on float noise.
            line.passed = threshold.comparison.holds(round6(*actual), round6(bound));
        }
    }
    line
}

/// A threshold as people write it: `<= 7.3s`, `<= 500ms`, `<= 0.1%`, `== 0`.
pub(crate) fn threshold_text(threshold: &Threshold) -> String {
    let bound = match threshold.bound {
        Quantity::Duration(d) => duration_text(d),
        other => other.to_string(),
    };
    format!("{} {bound}", threshold.comparison.symbol())
}

/// Whole or decimal seconds from 1 s up (`90s`, `7.3s`), else `ms` or `us`.
pub(crate) fn duration_text(d: faultline_spec::Duration) -> String {
    let us = d.micros;
    if us >= 1_000_000 || us == 0 {
        format!("{}s", round6(d.as_secs_f64()))
    } else if us.is_multiple_of(1_000) {
        format!("{}ms", us / 1_000)
    } else {
        format!("{us}us")
    }
}

/// Judges an alert expectation: the alert fired within `within_s` of `t_f`.
pub(crate) fn judge_alert(
    name: &str,
    within: faultline_spec::Duration,
    fired_after_s: Result<f64, String>,
) -> ThresholdLine {
    let within_s = within.as_secs_f64();
    ThresholdLine {
        name: format!("alert:{name}"),
        expected: format!("fires within {}", duration_text(within)),
        actual: fired_after_s.as_ref().ok().copied().map(round6),
        unit: Unit::Seconds.name().to_string(),
        passed: fired_after_s
            .as_ref()
            .is_ok_and(|s| round6(*s) <= round6(within_s)),
        reason: match fired_after_s {
            Ok(s) if round6(s) > round6(within_s) => Some(format!(
                "fired {}s after the fault, later than {}",
                round6(s),
                duration_text(within)
            )),
            Ok(_) => None,
            Err(why) => Some(why),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(threshold: &str, unit: Unit, actual: Result<f64, String>) -> ThresholdLine {
        let threshold: Threshold = threshold.parse().unwrap();
        judge(
            &threshold,
            &Measured {
                name: "m",
                unit,
                actual,
            },
        )
    }

    #[test]
    fn each_unit_compares_in_its_own_terms() {
        assert!(line("<= 30s", Unit::Seconds, Ok(30.0)).passed);
        assert!(!line("< 30s", Unit::Seconds, Ok(30.0)).passed);
        assert!(line("<= 500ms", Unit::Millis, Ok(499.9)).passed);
        assert!(!line("<= 500ms", Unit::Millis, Ok(500.1)).passed);
        assert!(line("<= 0.1%", Unit::Fraction, Ok(0.001)).passed);
        assert!(!line("<= 0.1%", Unit::Fraction, Ok(0.0011)).passed);
        assert!(line("<= 0.5", Unit::Fraction, Ok(0.5)).passed);
        assert!(line("== 0", Unit::Writes, Ok(0.0)).passed);
        assert!(!line("== 0", Unit::Writes, Ok(1.0)).passed);
        assert!(line(">= 2", Unit::Writes, Ok(3.0)).passed);
    }

    #[test]
    fn thresholds_read_back_the_way_people_write_them() {
        for (written, shown) in [
            ("<= 7.3s", "<= 7.3s"),
            ("<= 60s", "<= 60s"),
            ("< 2m30s", "< 150s"),
            ("<= 500ms", "<= 500ms"),
            ("<= 250us", "<= 250us"),
            ("<= 0.1%", "<= 0.1%"),
            ("== 0", "== 0"),
        ] {
            let t: Threshold = written.parse().unwrap();
            assert_eq!(threshold_text(&t), shown, "{written}");
        }
    }

    #[test]
    fn float_noise_does_not_fail_an_equal_bound() {
        // 0.1 + 0.2 is 0.30000000000000004.
        assert!(line("<= 300ms", Unit::Millis, Ok((0.1 + 0.2) * 1000.0)).passed);
    }

    #[test]
    fn a_null_metric_or_a_wrong_unit_fails_with_a_reason() {
        let l = line(
            "<= 30s",
            Unit::Seconds,
            Err("not recovered within 12s".into()),
        );
        assert!(!l.passed);
        assert_eq!(l.actual, None);
        assert_eq!(l.reason.as_deref(), Some("not recovered within 12s"));
        let l = line("<= 30", Unit::Seconds, Ok(1.0));
        assert!(!l.passed);
        assert!(l.reason.unwrap().contains("not a duration"), "unit reason");
        let l = line("<= 5%", Unit::Writes, Ok(0.0));
        assert!(l.reason.unwrap().contains("not a count"));
    }

    #[test]
    fn alerts_pass_only_when_fired_in_time() {
        let within = faultline_spec::Duration::from_secs(30);
        assert!(judge_alert("a", within, Ok(30.0)).passed);
        let late = judge_alert("a", within, Ok(31.0));
        assert!(!late.passed);
        assert!(late.reason.unwrap().contains("later than 30s"));
        assert!(!judge_alert("a", within, Err("never".into())).passed);
    }
}
