//! The field reference of the experiment file as Markdown, generated from the JSON Schema
//! (so from the model's doc comments): one table per section, every field with its
//! type, whether it is required, and its description.
//!
//! `docs/experiment.md` embeds it between two markers; a test fails when the embedded
//! copy is out of date (`UPDATE_SCHEMA=1 cargo test -p faultline-spec` rewrites it).

use std::collections::{BTreeSet, VecDeque};
use std::fmt::Write as _;

use serde_json::Value;

use crate::schema::schema_value;

/// Definitions written as text with their own syntax, explained in the units section of
/// the reference rather than as tables.
const QUANTITIES: &[(&str, &str)] = &[
    ("Duration", "duration"),
    ("Fraction", "share"),
    ("Rate", "rate"),
    ("Threshold", "threshold"),
];

/// The Markdown field reference, one section per mapping of the file.
pub fn reference_markdown() -> String {
    let root = schema_value();
    let mut writer = Reference {
        defs: root.get("$defs").and_then(Value::as_object),
        queue: VecDeque::new(),
        seen: BTreeSet::new(),
        out: String::new(),
    };
    writer
        .queue
        .push_back((anchor_of("experiment"), "The top level".into(), root));
    while let Some((anchor, title, schema)) = writer.queue.pop_front() {
        writer.section(&anchor, &title, schema);
    }
    writer.out
}

struct Reference<'s> {
    defs: Option<&'s serde_json::Map<String, Value>>,
    queue: VecDeque<(String, String, &'s Value)>,
    seen: BTreeSet<String>,
    out: String,
}

fn text_of(schema: &Value) -> String {
    schema
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
        .split("\n\n")
        .map(|paragraph| paragraph.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

/// Anchors of generated sections start with `ref-`, apart from the page's own headings.
fn anchor_of(name: &str) -> String {
    format!("ref-{}", name.to_lowercase().replace(['_', ' '], "-"))
}

impl<'s> Reference<'s> {
    fn def(&self, schema: &'s Value) -> Option<(&'s str, &'s Value)> {
        let reference = schema.get("$ref")?.as_str()?;
        let name = reference.strip_prefix("#/$defs/")?;
        Some((name, self.defs?.get(name)?))
    }

    /// Queues a definition's section once; returns its anchor.
    fn enqueue(&mut self, name: &str, schema: &'s Value) -> String {
        let anchor = anchor_of(name);
        if self.seen.insert(anchor.clone()) {
            self.queue
                .push_back((anchor.clone(), name.to_string(), schema));
        }
        anchor
    }

    fn section(&mut self, anchor: &str, title: &str, schema: &'s Value) {
        let _ = writeln!(self.out, "<a id=\"{anchor}\"></a>\n### {title}\n");
        let description = text_of(schema);
        if !description.is_empty() {
            let _ = writeln!(self.out, "{description}\n");
        }
        let branches = schema.get("oneOf").and_then(Value::as_array);
        if let Some(branches) = branches {
            self.alternatives(anchor, branches);
        } else if schema.get("properties").is_some() {
            self.fields(schema);
        } else if let Some(branches) = schema.get("anyOf").and_then(Value::as_array) {
            let forms: Vec<String> = branches.iter().map(|b| self.type_of(b)).collect();
            let _ = writeln!(self.out, "Written as {}.\n", forms.join(" or "));
        } else if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            let names: Vec<String> = values
                .iter()
                .filter_map(Value::as_str)
                .map(|v| format!("`{v}`"))
                .collect();
            let _ = writeln!(self.out, "One of {}.\n", names.join(", "));
        }
    }

    fn alternatives(&mut self, anchor: &str, branches: &'s [Value]) {
        let tag = branches
            .first()
            .and_then(|b| b.get("properties"))
            .and_then(Value::as_object)
            .and_then(|p| p.iter().find(|(_, s)| s.get("const").is_some()))
            .map(|(name, _)| name.clone());
        let _ = writeln!(self.out, "| written as | meaning |\n|---|---|");
        let mut variants = Vec::new();
        for branch in branches {
            let constant = branch.get("const").and_then(Value::as_str);
            let tag_value = tag
                .as_deref()
                .and_then(|t| branch.get("properties")?.get(t)?.get("const")?.as_str());
            let single = branch
                .get("required")
                .and_then(Value::as_array)
                .filter(|r| r.len() == 1)
                .and_then(|r| r[0].as_str());
            let written = match (constant, tag_value, single) {
                (Some(c), _, _) => format!("`{c}`"),
                (_, Some(v), _) => {
                    let name = format!("{anchor}-{v}");
                    variants.push((
                        name.clone(),
                        format!("`{}: {v}`", tag.as_deref().unwrap_or("")),
                        branch,
                    ));
                    format!("[`{}: {v}`](#{name})", tag.as_deref().unwrap_or(""))
                }
                (_, _, Some(key)) => {
                    let inner = branch.get("properties").and_then(|p| p.get(key));
                    match inner {
                        Some(inner) if inner.get("properties").is_some() => {
                            let fields: Vec<String> = inner
                                .get("properties")
                                .and_then(Value::as_object)
                                .map(|p| p.keys().map(|k| format!("{k}: ...")).collect())
                                .unwrap_or_default();
                            format!("`{{ {key}: {{ {} }} }}`", fields.join(", "))
                        }
                        Some(inner) => format!("`{{ {key}: ... }}` ({})", self.type_of(inner)),
                        None => format!("`{key}`"),
                    }
                }
                _ => self.type_of(branch),
            };
            let _ = writeln!(self.out, "| {written} | {} |", text_of(branch));
        }
        self.out.push('\n');
        for (name, title, branch) in variants {
            if self.seen.insert(name.clone()) {
                self.queue.push_back((name, title, branch));
            }
        }
    }

    fn fields(&mut self, schema: &'s Value) {
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
            return;
        };
        let _ = writeln!(
            self.out,
            "| field | value | required | meaning |\n|---|---|---|---|"
        );
        for (name, field) in properties {
            if field.get("const").is_some() {
                continue;
            }
            let value = self.type_of(field);
            let needed = if required.contains(&name.as_str()) {
                "yes"
            } else {
                "no"
            };
            let _ = writeln!(
                self.out,
                "| `{name}` | {value} | {needed} | {} |",
                text_of(field)
            );
        }
        self.out.push('\n');
    }

    /// A short type for the table, linking to the section of a nested mapping.
    fn type_of(&mut self, schema: &'s Value) -> String {
        if let Some((name, def)) = self.def(schema) {
            if let Some((_, word)) = QUANTITIES.iter().find(|(n, _)| *n == name) {
                return format!("[{word}](#units)");
            }
            if def.get("enum").is_some() && def.get("properties").is_none() {
                let values: Vec<String> = def["enum"]
                    .as_array()
                    .map(|v| {
                        v.iter()
                            .filter_map(Value::as_str)
                            .map(|s| format!("`{s}`"))
                            .collect()
                    })
                    .unwrap_or_default();
                return values.join(" \\| ");
            }
            let anchor = self.enqueue(name, def);
            return format!("[{name}](#{anchor})");
        }
        if let Some(branches) = schema.get("anyOf").and_then(Value::as_array) {
            let parts: Vec<String> = branches
                .iter()
                .filter(|b| b.get("type").and_then(Value::as_str) != Some("null"))
                .map(|b| self.type_of(b))
                .collect();
            return parts.join(" or ");
        }
        let types: Vec<&str> = match schema.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        match types.iter().find(|t| **t != "null").copied() {
            Some("string") => "text".into(),
            Some("integer") => "integer".into(),
            Some("number") => "number".into(),
            Some("boolean") => "`true` \\| `false`".into(),
            Some("array") => {
                let item = schema
                    .get("items")
                    .map(|i| self.type_of(i))
                    .unwrap_or_default();
                match schema.get("minItems").and_then(Value::as_u64) {
                    Some(n) if schema.get("maxItems").and_then(Value::as_u64) == Some(n) => {
                        format!("list of {n} {item}")
                    }
                    _ => format!("list of {item}"),
                }
            }
            Some("object") => match schema.get("additionalProperties") {
                Some(value @ Value::Object(_)) => format!("map of name → {}", self.type_of(value)),
                _ => "mapping".into(),
            },
            _ => "value".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_top_level_field_and_component_kind_is_documented() {
        let text = reference_markdown();
        for field in [
            "`architecture`",
            "`workload`",
            "`faults`",
            "`expect`",
            "`phases`",
        ] {
            assert!(text.contains(&format!("| {field} |")), "{field} missing");
        }
        for kind in ["dns", "load_balancer", "service", "database", "cache"] {
            assert!(
                text.contains(&format!("`kind: {kind}`")),
                "kind {kind} missing"
            );
        }
        assert!(
            text.contains("| `promote_in` | [duration](#units) | yes |"),
            "{text}"
        );
    }
}
