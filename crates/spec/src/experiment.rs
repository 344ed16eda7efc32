//! Reading an experiment file: text -> YAML tree -> shape check -> typed model -> meaning
//! check -> the validated [`Experiment`].

use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, FieldPath, Problem, Span, SpecErrors};
use crate::model::RawExperiment;
use crate::schema::schema_value;
use crate::structure::Walker;
use crate::tree::{self, Node, NodeValue, MAX_FILE_BYTES};

/// An experiment file that passed validation. Engines accept only this type; the only
/// way to get one is [`load`] or [`parse`].
#[derive(Debug, Clone)]
pub struct Experiment {
    raw: RawExperiment,
    source_path: PathBuf,
    source_text: String,
}

impl Experiment {
    /// The experiment as written.
    pub fn raw(&self) -> &RawExperiment {
        &self.raw
    }
    /// The file it was read from.
    pub fn source_path(&self) -> &Path {
        &self.source_path
    }
    /// The file's text, verbatim (copied into the run record and the report).
    pub fn source_text(&self) -> &str {
        &self.source_text
    }
    /// The seed: the file's `seed`, or 1.
    pub fn seed(&self) -> u64 {
        self.raw.seed.unwrap_or(1)
    }
    /// A problem about the field at `path`, found by a later check (the hunt's, an
    /// engine's), located in the file like validation's own problems: at the field, or
    /// at the deepest part of the path the file has.
    pub fn diagnostic_at(&self, path: FieldPath, message: impl Into<String>) -> Diagnostic {
        let span = match tree::parse_tree(&self.source_text) {
            Ok(Some(root)) => root.locate(&path).owner_span(),
            _ => Span {
                line: 1,
                column: 1,
                ..Span::default()
            },
        };
        Diagnostic {
            file: self.source_path.clone(),
            span,
            path,
            message: message.into(),
        }
    }
    /// The same experiment with another seed (`--seed` on the command line).
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.raw.seed = Some(seed);
        self
    }
}

/// Reads and validates an experiment file (YAML, or JSON for a `.json` name).
///
/// On failure the error lists every problem found, each with file, line, column, field
/// path and what would be valid.
pub fn load(path: &Path) -> Result<Experiment, SpecErrors> {
    let bytes = std::fs::read(path)
        .map_err(|e| SpecErrors::whole_file(path, format!("cannot read the file: {e}")))?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(SpecErrors::whole_file(
            path,
            format!(
                "the file is {} bytes; an experiment file may be at most {MAX_FILE_BYTES}",
                bytes.len()
            ),
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        SpecErrors::whole_file(
            path,
            format!(
                "the file is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    parse(&text, path)
}

/// Parses and validates experiment text; `path` is used in messages (and a `.json`
/// extension selects strict JSON syntax).
pub fn parse(text: &str, path: &Path) -> Result<Experiment, SpecErrors> {
    let fail = |problems: Vec<Problem>| {
        let diagnostics = problems.into_iter().map(|p| p.in_file(path)).collect();
        SpecErrors::new(diagnostics, text)
    };
    if text.len() > MAX_FILE_BYTES {
        return Err(SpecErrors::whole_file(
            path,
            format!("the text is larger than {MAX_FILE_BYTES} bytes"),
        ));
    }
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
            return Err(fail(vec![json_syntax_problem(text, &e)]));
        }
    }
    let root = match tree::parse_tree(text) {
        Ok(Some(root)) if !root.is_null() => root,
        Ok(_) => {
            return Err(fail(vec![Problem::new(
                Span {
                    line: 1,
                    column: 1,
                    ..Span::default()
                },
                FieldPath::root(),
                "the file is empty: an experiment needs at least `name`, `architecture` and \
                 `workload`"
                    .into(),
            )]))
        }
        Err(problems) => return Err(fail(problems)),
    };
    if !matches!(root.value, NodeValue::Map(_)) {
        return Err(fail(vec![Problem::new(
            root.span,
            FieldPath::root(),
            "an experiment file is a mapping of sections (`name:`, `architecture:`, \
             `workload:`, ...), not a single value or a list"
                .into(),
        )]));
    }
    let schema = schema_value();
    let mut walker = Walker::new(schema);
    let json = walker.walk(&root, schema, &FieldPath::root());
    let json = match json {
        Some(json) if walker.problems.is_empty() => json,
        Some(json) => {
            // The problems only left fields out: the rest is checked for meaning too.
            let mut problems = walker.problems;
            if let Ok(raw) = deserialize(&json.to_text(), &root) {
                let owners = &walker.damaged_owners;
                let meaning = crate::validate::check(&raw, &root);
                problems.extend(
                    meaning
                        .into_iter()
                        .filter(|p| !owners.iter().any(|owner| p.path.starts_with(owner))),
                );
            }
            return Err(fail(problems));
        }
        _ => return Err(fail(walker.problems)),
    };
    let mut raw = deserialize(&json.to_text(), &root).map_err(|p| fail(vec![p]))?;
    let problems = crate::validate::check(&raw, &root);
    if !problems.is_empty() {
        return Err(fail(problems));
    }
    crate::validate::normalize_thresholds(&mut raw.expect);
    Ok(Experiment {
        raw,
        source_path: path.to_path_buf(),
        source_text: text.to_string(),
    })
}

/// Reads the shape-checked value into the model. The shape check accepts only what the
/// model accepts, so a failure here is a mismatch between the two; it is still reported
/// with its place rather than panicking.
fn deserialize(json: &str, root: &Node) -> Result<RawExperiment, Problem> {
    let mut deserializer = serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let mut path = FieldPath::root();
        for segment in error.path().iter() {
            path = match segment {
                serde_path_to_error::Segment::Map { key } => path.key(key),
                serde_path_to_error::Segment::Seq { index } => path.index(*index),
                _ => path,
            };
        }
        let node = root.locate(&path);
        Problem::new(node.span, path, error.inner().to_string())
    })
}

fn json_syntax_problem(text: &str, error: &serde_json::Error) -> Problem {
    let line = error.line().max(1);
    let column = error.column().max(1);
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let start_byte = text[line_start.min(text.len())..]
        .char_indices()
        .nth(column - 1)
        .map(|(i, _)| line_start + i)
        .unwrap_or(text.len());
    let message = error.to_string();
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(&message)
        .to_string();
    Problem::new(
        Span {
            line,
            column,
            start_byte,
            end_byte: start_byte,
        },
        FieldPath::root(),
        format!("JSON syntax error: {message}"),
    )
}
