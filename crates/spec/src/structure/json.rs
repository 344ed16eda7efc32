//! The checked value, written out as JSON text in the order the file gives.

use serde_json::Value;

use crate::tree::{Node, NodeValue, Resolved};

/// A checked value, ready to be written as JSON. Mappings keep the order written.
#[derive(Debug, Clone)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// The value as JSON text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Int(n) => out.push_str(&n.to_string()),
            Json::Float(f) => out.push_str(&Value::from(*f).to_string()),
            Json::Str(s) => out.push_str(&Value::from(s.as_str()).to_string()),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Json::Object(entries) => {
                out.push('{');
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::from(key.as_str()).to_string());
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// Any value, as written (for places the schema leaves open).
pub(super) fn any_json(node: &Node) -> Json {
    match &node.value {
        NodeValue::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|e| (e.key.clone(), any_json(&e.value)))
                .collect(),
        ),
        NodeValue::Seq(items) => Json::Array(items.iter().map(any_json).collect()),
        NodeValue::Scalar(s) => match s.resolve() {
            Resolved::Null => Json::Null,
            Resolved::Bool(b) => Json::Bool(b),
            Resolved::Int(n) => Json::Int(n),
            Resolved::Float(f) if f.is_finite() => Json::Float(f),
            _ => Json::Str(s.text.clone()),
        },
    }
}
