//! Short descriptions of what a schema accepts, and how the schema's alternatives are
//! told apart (a `kind`-like tag, a single key, or a bare name).

use serde_json::Value;

use crate::suggest::list;
use crate::tree::{Node, NodeValue, Resolved};

use super::{quantity_check, Walker};

impl Walker<'_> {
    /// A short noun phrase for what `schema` accepts, for messages.
    pub fn describe(&self, schema: &Value) -> String {
        let (def_name, schema) = self.resolve_ref(schema);
        if def_name.and_then(quantity_check).is_some() {
            if let Some(text) = schema.get("description").and_then(Value::as_str) {
                return text.to_string();
            }
        }
        if let Some(branches) = schema
            .get("oneOf")
            .or_else(|| schema.get("anyOf"))
            .and_then(Value::as_array)
        {
            let non_null: Vec<&Value> = branches
                .iter()
                .filter(|b| b.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            let resolved: Vec<&Value> = non_null.iter().map(|b| self.resolve_ref(b).1).collect();
            if let Some(tag) = tag_property(&resolved) {
                let names: Vec<&str> = resolved.iter().filter_map(|b| tag_value(b, tag)).collect();
                return format!("a mapping with `{tag}:` one of {}", list(names));
            }
            if resolved.iter().all(|b| !unit_names(b).is_empty()) {
                let names: Vec<&str> = resolved.iter().flat_map(|b| unit_names(b)).collect();
                return one_of(&names);
            }
            if let Some(names) = external_tags(&resolved) {
                return format!("a mapping with one of {}", list(names));
            }
            let parts: Vec<String> = non_null.iter().map(|b| self.describe(b)).collect();
            return parts.join(" or ");
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            let names: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
            return one_of(&names);
        }
        let types = types_of(schema);
        match types.iter().find(|t| **t != "null").copied() {
            Some("string") => "a string".into(),
            Some("integer") => "a whole number".into(),
            Some("number") => "a number".into(),
            Some("boolean") => "`true` or `false`".into(),
            Some("array") => {
                let items = schema.get("items").unwrap_or(&Value::Null);
                match schema.get("minItems").and_then(Value::as_u64) {
                    Some(n) if schema.get("maxItems").and_then(Value::as_u64) == Some(n) => {
                        format!("a list of {n} ({})", self.describe(items))
                    }
                    _ => format!("a list (of {})", self.describe(items)),
                }
            }
            Some("object") => match schema.get("additionalProperties") {
                Some(value @ Value::Object(_)) => {
                    format!("a mapping of names to {}", self.describe(value))
                }
                _ => {
                    let required: Vec<&str> = schema
                        .get("required")
                        .and_then(Value::as_array)
                        .map(|r| r.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    if required.is_empty() {
                        "a mapping".into()
                    } else {
                        format!("a mapping with {}", list(required))
                    }
                }
            },
            _ => "a value".into(),
        }
    }
}

pub(super) fn types_of(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

pub(super) fn integer_bounds(schema: &Value) -> (i128, i128) {
    let (mut low, mut high) = match schema.get("format").and_then(Value::as_str) {
        Some("uint8") => (0, u8::MAX as i128),
        Some("uint16") => (0, u16::MAX as i128),
        Some("uint32") => (0, u32::MAX as i128),
        Some("uint64") | Some("uint") => (0, u64::MAX as i128),
        Some("int8") => (i8::MIN as i128, i8::MAX as i128),
        Some("int16") => (i16::MIN as i128, i16::MAX as i128),
        Some("int32") => (i32::MIN as i128, i32::MAX as i128),
        _ => (i64::MIN as i128, i64::MAX as i128),
    };
    if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
        low = low.max(min.ceil() as i128);
    }
    if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
        high = high.min(max.floor() as i128);
    }
    (low, high)
}

pub(super) fn one_of(names: &[&str]) -> String {
    match names {
        [only] => format!("`{only}`"),
        _ => format!("one of {}", list(names.iter().copied())),
    }
}

/// How a node is described in "found ..." messages.
pub(super) fn found(node: &Node) -> String {
    match (&node.value, node.resolved()) {
        (NodeValue::Map(_), _) => "a mapping".into(),
        (NodeValue::Seq(_), _) => "a list".into(),
        (_, Some(Resolved::Null)) => "nothing".into(),
        (NodeValue::Scalar(s), Some(Resolved::Str)) => {
            let shown: String = s.text.chars().take(60).collect();
            format!("the text `{shown}`")
        }
        (NodeValue::Scalar(s), _) => format!("`{}`", s.text),
    }
}

/// The property every branch fixes with `const` (the tag of an internally tagged enum).
pub(super) fn tag_property<'a>(branches: &[&'a Value]) -> Option<&'a str> {
    let first = branches.first()?.get("properties")?.as_object()?;
    first
        .iter()
        .filter(|(_, s)| s.get("const").is_some())
        .map(|(name, _)| name.as_str())
        .find(|name| branches.iter().all(|b| tag_value(b, name).is_some()))
}

pub(super) fn tag_value<'a>(branch: &'a Value, tag: &str) -> Option<&'a str> {
    branch.get("properties")?.get(tag)?.get("const")?.as_str()
}

/// The single required property of an externally tagged variant.
pub(super) fn object_tag(branch: &Value) -> Option<&str> {
    let required = branch.get("required")?.as_array()?;
    let properties = branch.get("properties")?.as_object()?;
    match (required.as_slice(), properties.len()) {
        ([name], 1) => name.as_str(),
        _ => None,
    }
}

pub(super) fn unit_names(branch: &Value) -> Vec<&str> {
    if let Some(values) = branch.get("enum").and_then(Value::as_array) {
        return values.iter().filter_map(Value::as_str).collect();
    }
    branch
        .get("const")
        .and_then(Value::as_str)
        .into_iter()
        .collect()
}

/// The variant names when every branch is a single-key object or a bare name.
pub(super) fn external_tags<'a>(branches: &[&'a Value]) -> Option<Vec<&'a str>> {
    let mut names = Vec::new();
    for branch in branches {
        match object_tag(branch) {
            Some(name) => names.push(name),
            None => {
                let units = unit_names(branch);
                if units.is_empty() {
                    return None;
                }
                names.extend(units);
            }
        }
    }
    Some(names)
}
