//! The shape check: the YAML tree against the JSON Schema generated from the data model.
//!
//! Walks the tree and the schema together and collects every problem of shape (unknown
//! fields with a did-you-mean, missing required fields, wrong types, bad enum values,
//! malformed durations, shares, rates and thresholds), each with its place in the file.
//! While walking it builds the same value as JSON text, keeping the order written, which
//! serde then reads into the typed model.

mod describe;
mod json;

use serde_json::{Map, Value};

use crate::diag::{FieldPath, Problem};
use crate::model::Threshold;
use crate::suggest::{closest, did_you_mean, list};
use crate::tree::{Node, NodeValue, Resolved};
use crate::units::{Duration, Fraction, Rate};

use describe::{
    external_tags, found, integer_bounds, object_tag, one_of, tag_property, tag_value, types_of,
    unit_names,
};
use json::any_json;
pub(crate) use json::Json;

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
        "Fraction" => Some((check_fraction, false)),
        "Threshold" => Some((check_threshold, false)),
        _ => None,
    }
}

/// A share; a number between 1 and 100 was probably meant as a percentage.
fn check_fraction(text: &str) -> Result<(), String> {
    text.parse::<Fraction>()
        .map(drop)
        .map_err(|e| match text.trim().parse::<f64>() {
            Ok(n) if n > 1.0 && n <= 100.0 => format!("{} (did you mean `{n}%`?)", e.message),
            _ => e.message,
        })
}

/// A threshold; a bare quantity was probably meant with `<=`.
fn check_threshold(text: &str) -> Result<(), String> {
    text.parse::<Threshold>().map(drop).map_err(|e| {
        let bound = text.trim();
        let is_quantity = bound.parse::<Duration>().is_ok()
            || bound.parse::<Fraction>().is_ok()
            || bound.parse::<f64>().is_ok();
        if is_quantity && !bound.is_empty() {
            format!(
                "`{bound}` has no comparison: write e.g. `<= {bound}` (operators: <, <=, ==, \
                 >=, >)"
            )
        } else {
            e.message
        }
    })
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
    /// The mappings from which a field was left out: an unknown field, or an optional
    /// field whose value has a problem. Leaving it out keeps the rest of the value
    /// usable, so the meaning checks can still run; their problems inside these
    /// mappings are dropped, as they may be consequences of the problem.
    pub damaged_owners: Vec<FieldPath>,
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
            damaged_owners: Vec::new(),
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
                let expected = self.describe(schema);
                self.type_mismatch(node, schema, &expected, path);
                None
            }
        }
    }

    /// Reports a value of the wrong kind for `schema` (which takes no lists), described
    /// as `expected`.
    fn type_mismatch(&mut self, node: &Node, schema: &'s Value, expected: &str, path: &FieldPath) {
        let mut message = format!("expected {expected}, found {}", found(node));
        // `targets: [api]` for `targets: api`: a list of the one value meant.
        if let NodeValue::Seq(items) = &node.value {
            if let [item] = items.as_slice() {
                if let Some(only) = item.scalar().filter(|_| self.takes_kind_of(schema, item)) {
                    message.push_str(&format!(
                        "; one value is written without brackets: `{}`",
                        only.text
                    ));
                }
            }
        }
        self.problem(node.span, path, message);
    }

    fn quantity(
        &mut self,
        node: &Node,
        schema: &'s Value,
        check: QuantityCheck,
        number_lacks_unit: bool,
        path: &FieldPath,
    ) -> Option<Json> {
        let scalar = match node.scalar() {
            Some(s) if !node.is_null() => s,
            _ => {
                // The quantity's own words ("a duration such as `500ms`..."), not its
                // JSON type.
                let expected = match schema.get("description").and_then(Value::as_str) {
                    Some(text) => text.to_string(),
                    None => self.describe(schema),
                };
                self.type_mismatch(node, schema, &expected, path);
                return None;
            }
        };
        match check(&scalar.text) {
            Ok(()) => Some(Json::Str(scalar.text.clone())),
            Err(message) => {
                // `"5"` lacks a unit as much as `5` does.
                let bare_number = matches!(scalar.resolve(), Resolved::Int(_) | Resolved::Float(_))
                    || scalar.text.trim().parse::<f64>().is_ok();
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
                    self.damaged_owners.push(path.clone());
                    continue;
                }
                (None, _) => Some(any_json(&entry.value)),
            };
            let required = schema
                .get("required")
                .and_then(Value::as_array)
                .is_some_and(|r| r.iter().any(|n| n.as_str() == Some(entry.key.as_str())));
            match value {
                Some(value) => out.push((entry.key.clone(), value)),
                // An optional field with a problem is left out; the mapping stays usable.
                None if field_schema.is_some() && !required => {
                    self.damaged_owners.push(path.clone());
                }
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
            let mut message = format!("expected {}, found {}", self.describe(schema), found(node));
            // `above: 5%` where a share is a plain number (an alert's bound).
            let percentage = node
                .scalar()
                .filter(|s| s.text.trim_end().ends_with('%'))
                .and_then(|s| s.text.parse::<Fraction>().ok());
            if let Some(share) = percentage.filter(|_| scalar_type == "number") {
                message.push_str(&format!(
                    "; a share is written as a number here: `{}`",
                    share.value
                ));
            }
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
        // When one branch alone takes this kind of value (a mapping, a list, a scalar),
        // it is the one meant: its own problems say more than "expected A or B".
        let fitting: Vec<&'s Value> = branches
            .iter()
            .copied()
            .filter(|b| self.takes_kind_of(b, node))
            .collect();
        if let [only] = fitting.as_slice() {
            return self.walk(node, only, path);
        }
        for branch in &branches {
            let mut trial = Walker {
                defs: self.defs,
                problems: Vec::new(),
                damaged_owners: Vec::new(),
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

    /// Whether `schema` may take a value of the kind of `node` (a mapping, a list or a
    /// scalar), before looking inside it.
    fn takes_kind_of(&self, schema: &'s Value, node: &Node) -> bool {
        let (_, schema) = self.resolve_ref(schema);
        if let Some(branches) = schema
            .get("oneOf")
            .or_else(|| schema.get("anyOf"))
            .and_then(Value::as_array)
        {
            return branches.iter().any(|b| self.takes_kind_of(b, node));
        }
        if schema.get("enum").is_some() || schema.get("const").is_some() {
            return matches!(node.value, NodeValue::Scalar(_));
        }
        let types = types_of(schema);
        if types.is_empty() {
            return true;
        }
        match node.value {
            NodeValue::Map(_) => types.contains(&"object"),
            NodeValue::Seq(_) => types.contains(&"array"),
            NodeValue::Scalar(_) => types.iter().any(|t| !matches!(*t, "object" | "array")),
        }
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
                        // A slip in a bare name is named as such; otherwise the example
                        // is a form that takes a value, which a bare name cannot be.
                        let units = branches.iter().flat_map(|b| unit_names(b));
                        let hint = did_you_mean(&s.text, units);
                        let tagged = branches.iter().find_map(|b| object_tag(b));
                        let message = if !hint.is_empty() {
                            format!(
                                "`{}` is not allowed here{hint}; expected {expected}",
                                s.text
                            )
                        } else if let Some(tag) = tagged {
                            format!(
                                "expected {expected} (a bare name, or a mapping such as \
                                 `{{ {tag}: ... }}`), found {}",
                                found(node)
                            )
                        } else {
                            format!("expected {expected}, found {}", found(node))
                        };
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
    fn likely_slips_in_quantities_get_a_suggestion() {
        let message = check_fraction("80").unwrap_err();
        assert!(message.ends_with("(did you mean `80%`?)"), "{message}");
        assert_eq!(
            check_threshold("30s").unwrap_err(),
            "`30s` has no comparison: write e.g. `<= 30s` (operators: <, <=, ==, >=, >)"
        );
        assert!(check_threshold("about 30s")
            .unwrap_err()
            .contains("is not a threshold"));
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
