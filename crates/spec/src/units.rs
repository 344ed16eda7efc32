//! Quantities written the way people write them: `90s`, `2m30s`, `500ms`, `0.1%`, `2000/s`.
//!
//! Each type parses from a string (and, where unambiguous, from a bare number) and
//! serializes back to a canonical string, so an experiment file round-trips.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a quantity could not be read; the message says what would be valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct UnitError {
    /// A sentence naming the bad text and the valid forms.
    pub message: String,
}

fn unit_error(text: &str, expected: &str) -> UnitError {
    UnitError {
        message: format!("`{text}` is not {expected}"),
    }
}

/// A span of time, stored in microseconds.
///
/// Written as a sequence of number-unit pairs: `500ms`, `90s`, `2m30s`, `1h`, `250us`,
/// `1.5s`. A bare `0` is accepted; any other bare number is rejected because its unit
/// would be a guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration {
    /// Length in microseconds.
    pub micros: u64,
}

const DURATION_FORMS: &str = "a duration such as `500ms`, `90s`, `2m30s`, `1h` or `250us`";

impl Duration {
    /// A duration of `micros` microseconds.
    pub const fn from_micros(micros: u64) -> Self {
        Self { micros }
    }
    /// A duration of `millis` milliseconds.
    pub const fn from_millis(millis: u64) -> Self {
        Self {
            micros: millis * 1_000,
        }
    }
    /// A duration of `secs` whole seconds.
    pub const fn from_secs(secs: u64) -> Self {
        Self {
            micros: secs * 1_000_000,
        }
    }
    /// The length in (fractional) seconds.
    pub fn as_secs_f64(self) -> f64 {
        self.micros as f64 / 1e6
    }
    /// The length in (fractional) milliseconds.
    pub fn as_millis_f64(self) -> f64 {
        self.micros as f64 / 1e3
    }
    /// The same length as a `std::time::Duration`.
    pub fn to_std(self) -> std::time::Duration {
        std::time::Duration::from_micros(self.micros)
    }
}

impl FromStr for Duration {
    type Err = UnitError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        if trimmed == "0" {
            return Ok(Self::default());
        }
        if trimmed.is_empty() {
            return Err(unit_error(text, DURATION_FORMS));
        }
        let mut micros_total: f64 = 0.0;
        let mut rest = trimmed;
        while !rest.is_empty() {
            let number_len = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .ok_or_else(|| unit_error(text, DURATION_FORMS))?;
            if number_len == 0 {
                return Err(unit_error(text, DURATION_FORMS));
            }
            let number: f64 = rest[..number_len]
                .parse()
                .map_err(|_| unit_error(text, DURATION_FORMS))?;
            rest = &rest[number_len..];
            let unit_len = rest
                .find(|c: char| c.is_ascii_digit() || c == '.')
                .unwrap_or(rest.len());
            let micros_per_unit = match &rest[..unit_len] {
                "us" | "µs" => 1.0,
                "ms" => 1e3,
                "s" => 1e6,
                "m" | "min" => 60e6,
                "h" => 3_600e6,
                _ => return Err(unit_error(text, DURATION_FORMS)),
            };
            rest = &rest[unit_len..];
            micros_total += number * micros_per_unit;
        }
        if !micros_total.is_finite() || micros_total > u64::MAX as f64 / 2.0 {
            return Err(unit_error(text, DURATION_FORMS));
        }
        Ok(Self {
            micros: micros_total.round() as u64,
        })
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = self.micros;
        if us == 0 {
            return f.write_str("0s");
        }
        if !us.is_multiple_of(1_000) {
            return write!(f, "{us}us");
        }
        if !us.is_multiple_of(1_000_000) {
            return write!(f, "{}ms", us / 1_000);
        }
        let secs = us / 1_000_000;
        let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
        if h > 0 {
            write!(f, "{h}h")?;
        }
        if m > 0 {
            write!(f, "{m}m")?;
        }
        if s > 0 {
            write!(f, "{s}s")?;
        }
        Ok(())
    }
}

/// A share between 0 and 1, written `10%`, `0.1%` or as a fraction such as `0.25`.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Fraction {
    /// The share as a fraction in `[0, 1]`.
    pub value: f64,
}

const FRACTION_FORMS: &str = "a share such as `10%`, `0.1%` or a fraction between 0 and 1";

impl Fraction {
    /// A share given as a fraction; panics in debug builds outside `[0, 1]`.
    pub fn new(value: f64) -> Self {
        debug_assert!((0.0..=1.0).contains(&value));
        Self { value }
    }
}

impl FromStr for Fraction {
    type Err = UnitError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        let value = match trimmed.strip_suffix('%') {
            Some(percent) => percent.trim().parse::<f64>().map(|p| p / 100.0),
            None => trimmed.parse::<f64>(),
        }
        .map_err(|_| unit_error(text, FRACTION_FORMS))?;
        if !(0.0..=1.0).contains(&value) {
            return Err(unit_error(text, FRACTION_FORMS));
        }
        Ok(Self { value })
    }
}

impl fmt::Display for Fraction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", round_for_display(self.value * 100.0))
    }
}

/// An event rate, stored per second: `2000/s`, `120/m`, `5/ms`.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Rate {
    /// Events per second.
    pub per_s: f64,
}

const RATE_FORMS: &str = "a rate such as `2000/s`, `120/m` or `5/ms`";

impl FromStr for Rate {
    type Err = UnitError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (count, unit) = text
            .trim()
            .split_once('/')
            .ok_or_else(|| unit_error(text, RATE_FORMS))?;
        let count: f64 = count
            .trim()
            .parse()
            .map_err(|_| unit_error(text, RATE_FORMS))?;
        let seconds_per_unit = match unit.trim() {
            "us" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" | "min" => 60.0,
            "h" => 3_600.0,
            _ => return Err(unit_error(text, RATE_FORMS)),
        };
        if !count.is_finite() || count < 0.0 {
            return Err(unit_error(text, RATE_FORMS));
        }
        Ok(Self {
            per_s: count / seconds_per_unit,
        })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/s", round_for_display(self.per_s))
    }
}

fn round_for_display(value: f64) -> f64 {
    (value * 1e9).round() / 1e9
}

/// Implements string (de)serialization and a string JSON Schema for a unit type.
macro_rules! string_quantity {
    ($ty:ty, $schema_name:literal, $pattern_doc:expr, $accepts_number:expr) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct QuantityVisitor;
                impl serde::de::Visitor<'_> for QuantityVisitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($pattern_doc)
                    }
                    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<$ty, E> {
                        text.parse().map_err(|e: UnitError| E::custom(e.message))
                    }
                    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<$ty, E> {
                        if $accepts_number || n == 0 {
                            n.to_string().parse().map_err(|e: UnitError| E::custom(e.message))
                        } else {
                            Err(E::custom(format!(
                                "`{n}` has no unit; write {}",
                                $pattern_doc
                            )))
                        }
                    }
                    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<$ty, E> {
                        Err(E::custom(format!("`{n}` is not {}", $pattern_doc)))
                    }
                    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<$ty, E> {
                        if $accepts_number {
                            n.to_string().parse().map_err(|e: UnitError| E::custom(e.message))
                        } else {
                            Err(E::custom(format!(
                                "`{n}` has no unit; write {}",
                                $pattern_doc
                            )))
                        }
                    }
                }
                deserializer.deserialize_any(QuantityVisitor)
            }
        }

        impl JsonSchema for $ty {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                $schema_name.into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                if $accepts_number {
                    schemars::json_schema!({
                        "description": $pattern_doc,
                        "type": ["string", "number"]
                    })
                } else {
                    schemars::json_schema!({
                        "description": $pattern_doc,
                        "type": "string"
                    })
                }
            }
        }
    };
}

string_quantity!(Duration, "Duration", DURATION_FORMS, false);
string_quantity!(Fraction, "Fraction", FRACTION_FORMS, true);
string_quantity!(Rate, "Rate", RATE_FORMS, false);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_the_way_people_write_them() {
        let cases = [
            ("500ms", 500_000),
            ("90s", 90_000_000),
            ("2m30s", 150_000_000),
            ("1h", 3_600_000_000),
            ("1.5s", 1_500_000),
            ("250us", 250),
            ("0", 0),
        ];
        for (text, micros) in cases {
            assert_eq!(text.parse::<Duration>().unwrap().micros, micros, "{text}");
        }
    }

    #[test]
    fn durations_without_a_known_unit_are_rejected_with_the_valid_forms() {
        for text in ["90", "5 parsecs", "s", "", "1.2.3s", "-5s"] {
            let err = text.parse::<Duration>().unwrap_err();
            assert!(err.message.contains("`90s`"), "{text}: {}", err.message);
        }
    }

    #[test]
    fn durations_display_round_trips() {
        for (text, canonical) in [
            ("500ms", "500ms"),
            ("90s", "1m30s"),
            ("2m30s", "2m30s"),
            ("1h", "1h"),
            ("250us", "250us"),
            ("3661s", "1h1m1s"),
        ] {
            let d: Duration = text.parse().unwrap();
            assert_eq!(d.to_string(), canonical);
            assert_eq!(canonical.parse::<Duration>().unwrap(), d);
        }
    }

    #[test]
    fn fractions_accept_percent_and_plain_fractions() {
        assert_eq!("0.1%".parse::<Fraction>().unwrap().value, 0.001);
        assert_eq!("90%".parse::<Fraction>().unwrap().value, 0.9);
        assert_eq!("0.25".parse::<Fraction>().unwrap().value, 0.25);
        assert!("150%".parse::<Fraction>().is_err());
        assert!("lots".parse::<Fraction>().is_err());
    }

    #[test]
    fn rates_are_stored_per_second() {
        assert_eq!("2000/s".parse::<Rate>().unwrap().per_s, 2000.0);
        assert_eq!("120/m".parse::<Rate>().unwrap().per_s, 2.0);
        assert!("2000".parse::<Rate>().is_err());
        assert!("5/fortnight".parse::<Rate>().is_err());
    }
}
