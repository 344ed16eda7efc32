//! The kinds of numeric fields a hunt can vary, and how a coordinate of the search
//! becomes the field's text again.

use faultline_spec::{Duration, Fraction, HuntValue, Rate};
use serde_json::Value;

/// How a field is written, which fixes the unit of its search coordinate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A whole number (coordinate: the number).
    Integer,
    /// A real number (coordinate: the number).
    Real,
    /// A duration such as `30s` (coordinate: seconds, set to the millisecond).
    Duration,
    /// A share such as `10%` (coordinate: the fraction 0..1).
    Fraction,
    /// A rate such as `200/s` (coordinate: per second).
    Rate,
}

impl FieldKind {
    /// The kind of the value currently set at a path, or why it cannot vary.
    pub fn of(current: &Value) -> Result<FieldKind, String> {
        match current {
            Value::Number(n) if n.is_u64() || n.is_i64() => Ok(FieldKind::Integer),
            Value::Number(_) => Ok(FieldKind::Real),
            Value::String(s) => {
                if s.parse::<Duration>().is_ok() {
                    Ok(FieldKind::Duration)
                } else if s.parse::<Rate>().is_ok() {
                    Ok(FieldKind::Rate)
                } else if s.parse::<Fraction>().is_ok() {
                    Ok(FieldKind::Fraction)
                } else {
                    Err(format!(
                        "holds `{s}`, which is not numeric (a hunt varies numbers, durations, shares and rates)"
                    ))
                }
            }
            other => Err(format!(
                "is {}, not a numeric field (a hunt varies numbers, durations, shares and rates)",
                describe(other)
            )),
        }
    }

    /// What the field's values look like, for messages.
    pub fn example(self) -> &'static str {
        match self {
            FieldKind::Integer | FieldKind::Real => "a number such as `3`",
            FieldKind::Duration => "a duration such as `30s` or `500ms`",
            FieldKind::Fraction => "a share such as `10%` or `0.1`",
            FieldKind::Rate => "a rate such as `200/s`",
        }
    }

    /// The coordinate of a range end written for this field.
    pub fn coordinate(self, v: &HuntValue) -> Result<f64, String> {
        let bad = || format!("`{}` is not {}", show_value(v), self.example());
        match (self, v) {
            (FieldKind::Integer | FieldKind::Real, HuntValue::Number(n)) => Ok(*n),
            (FieldKind::Fraction, HuntValue::Number(n)) => Ok(*n),
            (FieldKind::Duration, HuntValue::Text(t)) => t
                .parse::<Duration>()
                .map(|d| d.as_secs_f64())
                .map_err(|_| bad()),
            (FieldKind::Duration, HuntValue::Number(n)) if *n == 0.0 => Ok(0.0),
            (FieldKind::Fraction, HuntValue::Text(t)) => {
                t.parse::<Fraction>().map(|f| f.value).map_err(|_| bad())
            }
            (FieldKind::Rate, HuntValue::Text(t)) => {
                t.parse::<Rate>().map(|r| r.per_s).map_err(|_| bad())
            }
            _ => Err(bad()),
        }
    }

    /// The field's value for coordinate `x`.
    pub fn to_value(self, x: f64) -> Value {
        match self {
            FieldKind::Integer => Value::from(x.round() as i64),
            FieldKind::Real => Value::from(round9(x)),
            FieldKind::Duration => {
                let millis = (x.max(0.0) * 1e3).round() as u64;
                Value::from(
                    Duration {
                        micros: millis * 1_000,
                    }
                    .to_string(),
                )
            }
            FieldKind::Fraction => Value::from(format!("{}%", round9(x * 100.0))),
            FieldKind::Rate => Value::from(format!("{}/s", round9(x))),
        }
    }
}

fn round9(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "empty",
        Value::Bool(_) => "true/false",
        Value::Array(_) => "a list",
        Value::Object(_) => "a section",
        _ => "a value",
    }
}

/// A range end as written.
pub fn show_value(v: &HuntValue) -> String {
    match v {
        HuntValue::Number(n) => n.to_string(),
        HuntValue::Text(t) => t.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        let d = FieldKind::of(&Value::from("1m30s")).unwrap();
        assert_eq!(d, FieldKind::Duration);
        assert_eq!(d.coordinate(&HuntValue::Text("2s".into())).unwrap(), 2.0);
        assert_eq!(d.to_value(2.5), Value::from("2500ms"));
        let r = FieldKind::of(&Value::from("300/s")).unwrap();
        assert_eq!(r, FieldKind::Rate);
        assert_eq!(r.to_value(150.0), Value::from("150/s"));
        let f = FieldKind::of(&Value::from("50%")).unwrap();
        assert_eq!(f, FieldKind::Fraction);
        assert_eq!(f.to_value(0.25), Value::from("25%"));
        assert_eq!(FieldKind::of(&Value::from(3)).unwrap(), FieldKind::Integer);
        assert!(FieldKind::of(&Value::from("db.primary")).is_err());
        assert!(d.coordinate(&HuntValue::Text("fast".into())).is_err());
    }
}
