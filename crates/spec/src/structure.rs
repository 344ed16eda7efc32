//! The shape check: the YAML tree against the JSON Schema generated from the data model.
//!
//! Walks the tree and the schema together and collects every problem of shape (unknown
//! fields with a did-you-mean, missing required fields, wrong types, bad enum values,
//! malformed durations, shares, rates and thresholds), each with its place in the file.
//! While walking it builds the same value as JSON text, keeping the order written, which
//! serde then reads into the typed model.

use serde_json::{Map, Value};

use crate::diag::{FieldPath, Problem};
use crate::model::Threshold;
use crate::suggest::{closest, did_you_mean, list};
use crate::tree::{Node, NodeValue, Resolved};
use crate::units::{Duration, Fraction, Rate};

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

/// A check of a quantity written as text (a `$defs` type with its own parser).
type QuantityCheck = fn(&str) -> Result<(), String>;

fn quantity_check(def_name: &str) -> Option<(QuantityCheck, bool)> {
    // (check, whether a bare number lacks a unit)
    match def_name {
        "Duration" => Some((
            |t| t.parse::<Duration>().map(drop).map_err(|e| e.message),
            true,
        )),
        "Rate" => Some((|t| t.parse::<Rate>().map(drop).map_err(|e| e.message), true)),
        "Fraction" => Some((
            |t| t.parse::<Fraction>().map(drop).map_err(|e| e.message),
            false,
        )),
        "Threshold" => Some((
            |t| t.parse::<Threshold>().map(drop).map_err(|e| e.message),
            false,
        )),
        _ => None,
    }
}

/// The schema keywords the walker understands; a test checks the generated schema uses
/// no others, so a model change that needs a new one fails loudly.
#[cfg(test)]
pub(crate) const KNOWN_KEYWORDS: &[&str] = &[
    "$schema",
    "$ref",
    "$defs",
    "title",
    "description",
    "default",
    "type",
    "properties",
    "additionalProperties",
    "required",
    "items",
    "minItems",
    "maxItems",
    "enum",
    "const",
    "oneOf",
    "anyOf",
    "format",
    "minimum",
    "maximum",
    "pattern",
];

/// Walks a tree against a schema, collecting problems.
pub(crate) struct Walker<'s> {
    defs: &'s Map<String, Value>,
    /// Every problem found so far.
    pub problems: Vec<Problem>,
}

impl<'s> Walker<'s> {
    /// A walker for `schema`'s `$defs`.
    pub fn new(schema: &'s Value) -> Self {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        let defs = schema
            .get("$defs")
            .and_then(Value::as_object)
            .unwrap_or_else(|| EMPTY.get_or_init(Map::new));
        Self {
            defs,
            problems: Vec::new(),
        }
    }

    fn problem(&mut self, node_span: crate::diag::Span, path: &FieldPath, message: String) {
        self.problems
            .push(Problem::new(node_span, path.clone(), message));
    }

    fn resolve_ref(&self, schema: &'s Value) -> (Option<&'s str>, &'s Value) {
        let mut schema = schema;
        let mut name = None;
        for _ in 0..16 {
            let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
                break;
            };
            let def = reference.strip_prefix("#/$defs/").unwrap_or(reference);
            match self.defs.get(def) {
                Some(target) => {
                    name = Some(def);
                    schema = target;
                }
                None => break,
            }
        }
        (name, schema)
    }

    /// Checks `node` against `schema`; returns the value if it is valid.
    pub fn walk(&mut self, node: &Node, schema: &'s Value, path: &FieldPath) -> Option<Json> {
        let (def_name, schema) = self.resolve_ref(schema);
        if let Some((check, number_lacks_unit)) = def_name.and_then(quantity_check) {
            return self.quantity(node, schema, check, number_lacks_unit, path);
        }
        if let Some(branches) = schema
            .get("oneOf")
            .or_else(|| schema.get("anyOf"))
            .and_then(Value::as_array)
        {
            return self.alternatives(node, branches, path);
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            return self.enumeration(node, values, path);
        }
        if let Some(constant) = schema.get("const") {
            let values = std::slice::from_ref(constant);
            return self.enumeration(node, values, path);
        }
        let types = types_of(schema);
        if node.is_null() && types.contains(&"null") {
            return Some(Json::Null);
        }
        match (&node.value, types.iter().find(|t| **t != "null").copied()) {
            (NodeValue::Map(_), Some("object")) => self.object(node, schema, path),
            (NodeValue::Seq(items), Some("array")) => self.array(node, items, schema, path),
            (NodeValue::Scalar(_), Some(scalar_type)) => {
                self.scalar(node, scalar_type, schema, path)
            }
            (_, None) => Some(any_json(node)),
            _ => {
                let message = format!("expected {}, found {}", self.describe(schema), found(node));
                self.problem(node.span, path, message);
                None
            }
        }
    }

    fn quantity(
        &mut self,
        node: &Node,
        schema: &Value,
        check: QuantityCheck,
        number_lacks_unit: bool,
        path: &FieldPath,
    ) -> Option<Json> {
        let scalar = match node.scalar() {
            Some(s) if !node.is_null() => s,
            _ => {
                let message = format!("expected {}, found {}", self.describe(schema), found(node));
                self.problem(node.span, path, message);
                return None;
            }
        };
        match check(&scalar.text) {
            Ok(()) => Some(Json::Str(scalar.text.clone())),
            Err(message) => {
                let bare_number = matches!(scalar.resolve(), Resolved::Int(_) | Resolved::Float(_));
                let message = if number_lacks_unit && bare_number {
                    let forms = schema
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or("a unit");
                    format!("`{}` has no unit: write {forms}", scalar.text)
                } else {
                    message
                };
                self.problem(node.span, path, message);
                None
            }
        }
    }

    fn object(&mut self, node: &Node, schema: &'s Value, path: &FieldPath) -> Option<Json> {
        let entries = node.entries().unwrap_or(&[]);
        let properties = schema.get("properties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties");
        let mut out = Vec::with_capacity(entries.len());
        let mut valid = true;
        // Fields an unknown field was probably meant to be: not reported again as missing.
        let mut suggested: Vec<&str> = Vec::new();
        for entry in entries {
            let field_path = path.key(&entry.key);
            let field_schema = properties.and_then(|p| p.get(&entry.key));
            let value = match (field_schema, additional) {
                (Some(field_schema), _) => self.walk(&entry.value, field_schema, &field_path),
                (None, Some(Value::Object(_))) => {
                    let value_schema = additional.unwrap_or(&Value::Null);
                    self.walk(&entry.value, value_schema, &field_path)
                }
                (None, Some(Value::Bool(false))) => {
                    let names: Vec<&str> = properties
                        .map(|p| p.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    if let Some(name) = closest(&entry.key, names.iter().copied()) {
                        suggested.push(name);
                    }
                    let message = format!(
                        "unknown field `{}`{}; allowed here: {}",
                        entry.key,
                        did_you_mean(&entry.key, names.iter().copied()),
                        list(names.iter().copied())
                    );
                    self.problem(entry.value.owner_span(), &field_path, message);
                    None
                }
                (None, _) => Some(any_json(&entry.value)),
            };
            match value {
                Some(value) => out.push((entry.key.clone(), value)),
                None => valid = false,
            }
        }
        let required = schema.get("required").and_then(Value::as_array);
        for name in required.into_iter().flatten().filter_map(Value::as_str) {
            if entries.iter().any(|e| e.key == name) {
                continue;
            }
            valid = false;
            if suggested.contains(&name) {
                continue;
            }
            let what = properties
                .and_then(|p| p.get(name))
                .map(|s| self.describe(s))
                .unwrap_or_else(|| "a value".into());
            self.problem(
                node.owner_span(),
                &path.key(name),
                format!("required field is missing: give {what}"),
            );
        }
        valid.then_some(Json::Object(out))
    }

    fn array(
        &mut self,
        node: &Node,
        items: &[Node],
        schema: &'s Value,
        path: &FieldPath,
    ) -> Option<Json> {
        let item_schema = schema.get("items").unwrap_or(&Value::Null);
        let mut out = Vec::with_capacity(items.len());
        let mut valid = true;
        for (i, item) in items.iter().enumerate() {
            match self.walk(item, item_schema, &path.index(i)) {
                Some(value) => out.push(value),
                None => valid = false,
            }
        }
        let min = schema.get("minItems").and_then(Value::as_u64);
        let max = schema.get("maxItems").and_then(Value::as_u64);
        let count = items.len() as u64;
        let fits = min.is_none_or(|m| count >= m) && max.is_none_or(|m| count <= m);
        if !fits {
            let wanted = match (min, max) {
                (Some(a), Some(b)) if a == b => format!("exactly {a} entries"),
                (Some(a), Some(b)) => format!("{a} to {b} entries"),
                (Some(a), None) => format!("at least {a} entries"),
                (None, Some(b)) => format!("at most {b} entries"),
                (None, None) => unreachable!("fits when unbounded"),
            };
            self.problem(node.span, path, format!("expected {wanted}, found {count}"));
            valid = false;
        }
        valid.then_some(Json::Array(out))
    }

    fn scalar(
        &mut self,
        node: &Node,
        scalar_type: &str,
        schema: &Value,
        path: &FieldPath,
    ) -> Option<Json> {
        let scalar = node.scalar()?;
        let resolved = scalar.resolve();
        let value = match (scalar_type, resolved) {
            ("string", Resolved::Null) => None,
            ("string", _) => Some(Json::Str(scalar.text.clone())),
            ("boolean", Resolved::Bool(b)) => Some(Json::Bool(b)),
            ("integer", Resolved::Int(n)) => {
                let (low, high) = integer_bounds(schema);
                if n < low || n > high {
                    let message = format!(
                        "`{n}` is out of range: expected a whole number from {low} to {high}"
                    );
                    self.problem(node.span, path, message);
                    return None;
                }
                Some(Json::Int(n))
            }
            ("number", Resolved::Int(n)) => Some(Json::Int(n)),
            ("number", Resolved::Float(f)) if f.is_finite() => Some(Json::Float(f)),
            ("null", Resolved::Null) => Some(Json::Null),
            _ => None,
        };
        if value.is_none() {
            let message = format!("expected {}, found {}", self.describe(schema), found(node));
            self.problem(node.span, path, message);
        }
        value
    }

    fn enumeration(&mut self, node: &Node, values: &[Value], path: &FieldPath) -> Option<Json> {
        let names: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
        if let Some(scalar) = node.scalar() {
            if names.contains(&scalar.text.as_str()) {
                return Some(Json::Str(scalar.text.clone()));
            }
            if !node.is_null() {
                let message = format!(
                    "`{}` is not allowed here{}; expected {}",
                    scalar.text,
                    did_you_mean(&scalar.text, names.iter().copied()),
                    one_of(&names)
                );
                self.problem(node.span, path, message);
                return None;
            }
        }
        let message = format!("expected {}, found {}", one_of(&names), found(node));
        self.problem(node.span, path, message);
        None
    }

    fn alternatives(
        &mut self,
        node: &Node,
        branches: &'s [Value],
        path: &FieldPath,
    ) -> Option<Json> {
        let is_null_branch = |b: &Value| b.get("type").and_then(Value::as_str) == Some("null");
        if node.is_null() && branches.iter().any(is_null_branch) {
            return Some(Json::Null);
        }
        let branches: Vec<&'s Value> = branches.iter().filter(|b| !is_null_branch(b)).collect();
        if let [only] = branches.as_slice() {
            return self.walk(node, only, path);
        }
        let resolved: Vec<&'s Value> = branches.iter().map(|b| self.resolve_ref(b).1).collect();
        if let Some(tag) = tag_property(&resolved) {
            return self.tagged(node, &resolved, tag, path);
        }
        if resolved.iter().all(|b| !unit_names(b).is_empty()) {
            let names: Vec<Value> = resolved
                .iter()
                .flat_map(|b| unit_names(b))
                .map(Value::from)
                .collect();
            return self.enumeration(node, &names, path);
        }
        if let Some(names) = external_tags(&resolved) {
            return self.externally_tagged(node, &resolved, &names, path);
        }
        for branch in &branches {
            let mut trial = Walker {
                defs: self.defs,
                problems: Vec::new(),
            };
            if let Some(value) = trial.walk(node, branch, path) {
                if trial.problems.is_empty() {
                    return Some(value);
                }
            }
        }
        let expected: Vec<String> = branches.iter().map(|b| self.describe(b)).collect();
        let message = format!("expected {}, found {}", expected.join(" or "), found(node));
        self.problem(node.span, path, message);
        None
    }

    /// Variants selected by a property with a constant value, such as `kind: service`.
    fn tagged(
        &mut self,
        node: &Node,
        branches: &[&'s Value],
        tag: &str,
        path: &FieldPath,
    ) -> Option<Json> {
        let names: Vec<&str> = branches.iter().filter_map(|b| tag_value(b, tag)).collect();
        if node.entries().is_none() {
            let message = format!(
                "expected a mapping with `{tag}:` one of {}, found {}",
                list(names.iter().copied()),
                found(node)
            );
            self.problem(node.span, path, message);
            return None;
        }
        let Some(tag_node) = node.get(tag) else {
            let message = format!(
                "required field is missing: give one of {}",
                list(names.iter().copied())
            );
            self.problem(node.owner_span(), &path.key(tag), message);
            return None;
        };
        let given = tag_node.scalar().map(|s| s.text.as_str()).unwrap_or("");
        match branches.iter().find(|b| tag_value(b, tag) == Some(given)) {
            Some(branch) => self.object(node, branch, path),
            None => {
                let message = format!(
                    "`{given}` is not a {tag}{}; expected one of {}",
                    did_you_mean(given, names.iter().copied()),
                    list(names.iter().copied())
                );
                self.problem(tag_node.span, &path.key(tag), message);
                None
            }
        }
    }

    /// Variants written as a single key, such as `{ lognormal: {...} }`, or a bare name.
    fn externally_tagged(
        &mut self,
        node: &Node,
        branches: &[&'s Value],
        names: &[&'s str],
        path: &FieldPath,
    ) -> Option<Json> {
        let expected = format!("one of {}", list(names.iter().copied()));
        match (&node.value, node.entries()) {
            (_, Some([entry])) => {
                let branch = branches
                    .iter()
                    .find(|b| object_tag(b) == Some(entry.key.as_str()));
                match branch {
                    Some(branch) => self.object(node, branch, path),
                    None => {
                        let message = format!(
                            "unknown field `{}`{}; expected {expected}",
                            entry.key,
                            did_you_mean(&entry.key, names.iter().copied())
                        );
                        self.problem(entry.value.owner_span(), &path.key(&entry.key), message);
                        None
                    }
                }
            }
            (NodeValue::Map(_), _) => {
                let message = format!("expected exactly one key, {expected}");
                self.problem(node.span, path, message);
                None
            }
            (NodeValue::Scalar(s), _) => {
                let unit = branches
                    .iter()
                    .find(|b| unit_names(b).contains(&s.text.as_str()));
                match unit {
                    Some(_) => Some(Json::Str(s.text.clone())),
                    None => {
                        let message = format!(
                            "expected {expected} (for example `{{ {}: ... }}`), found {}",
                            names.first().copied().unwrap_or("?"),
                            found(node)
                        );
                        self.problem(node.span, path, message);
                        None
                    }
                }
            }
            (NodeValue::Seq(_), _) => {
                let message = format!("expected a mapping with {expected}, found {}", found(node));
                self.problem(node.span, path, message);
                None
            }
        }
    }

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

fn types_of(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn integer_bounds(schema: &Value) -> (i128, i128) {
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

fn one_of(names: &[&str]) -> String {
    match names {
        [only] => format!("`{only}`"),
        _ => format!("one of {}", list(names.iter().copied())),
    }
}

/// How a node is described in "found ..." messages.
fn found(node: &Node) -> String {
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

/// Any value, as written (for places the schema leaves open).
fn any_json(node: &Node) -> Json {
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

/// The property every branch fixes with `const` (the tag of an internally tagged enum).
fn tag_property<'a>(branches: &[&'a Value]) -> Option<&'a str> {
    let first = branches.first()?.get("properties")?.as_object()?;
    first
        .iter()
        .filter(|(_, s)| s.get("const").is_some())
        .map(|(name, _)| name.as_str())
        .find(|name| branches.iter().all(|b| tag_value(b, name).is_some()))
}

fn tag_value<'a>(branch: &'a Value, tag: &str) -> Option<&'a str> {
    branch.get("properties")?.get(tag)?.get("const")?.as_str()
}

/// The single required property of an externally tagged variant.
fn object_tag(branch: &Value) -> Option<&str> {
    let required = branch.get("required")?.as_array()?;
    let properties = branch.get("properties")?.as_object()?;
    match (required.as_slice(), properties.len()) {
        ([name], 1) => name.as_str(),
        _ => None,
    }
}

fn unit_names(branch: &Value) -> Vec<&str> {
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
fn external_tags<'a>(branches: &[&'a Value]) -> Option<Vec<&'a str>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn keywords(value: &Value, out: &mut std::collections::BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    out.insert(key.clone());
                    match key.as_str() {
                        // Maps of names to schemas: their keys are not keywords.
                        "properties" | "$defs" => {
                            for schema in child.as_object().into_iter().flat_map(|m| m.values()) {
                                keywords(schema, out);
                            }
                        }
                        "default" | "const" | "enum" | "required" => {}
                        _ => keywords(child, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| keywords(i, out)),
            _ => {}
        }
    }

    #[test]
    fn the_walker_understands_every_keyword_the_schema_uses() {
        let schema = crate::schema::schema_value();
        let mut used = std::collections::BTreeSet::new();
        keywords(schema, &mut used);
        let unknown: Vec<_> = used
            .iter()
            .filter(|k| !KNOWN_KEYWORDS.contains(&k.as_str()))
            .collect();
        assert!(
            unknown.is_empty(),
            "the schema uses keywords the shape check ignores: {unknown:?}; teach structure.rs"
        );
    }

    #[test]
    fn json_text_keeps_the_order_written() {
        let value = Json::Object(vec![
            ("b".into(), Json::Int(1)),
            ("a".into(), Json::Str("x\"y".into())),
            (
                "c".into(),
                Json::Array(vec![Json::Float(0.5), Json::Null, Json::Bool(true)]),
            ),
        ]);
        assert_eq!(value.to_text(), r#"{"b":1,"a":"x\"y","c":[0.5,null,true]}"#);
    }
}
