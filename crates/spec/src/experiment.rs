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
        let root = tree::parse_tree(&self.source_text).ok().flatten();
        self.diagnostic_in(root.as_ref(), path, message.into())
    }

    /// [`Self::diagnostic_at`] in the file's tree `root` (`None`: at its start).
    fn diagnostic_in(&self, root: Option<&Node>, path: FieldPath, message: String) -> Diagnostic {
        let span = match root {
            Some(root) => root.locate(&path).owner_span(),
            None => Span {
                line: 1,
                column: 1,
                ..Span::default()
            },
        };
        Diagnostic {
            file: self.source_path.clone(),
            span,
            path,
            message,
        }
    }
    /// A problem that a later check reported as text beginning with the field's path
    /// (`live.processes.cache.primary: no pid`, `faults[0] ...`), located like
    /// [`Self::diagnostic_at`]. Names with dots in them (`cache.primary`) are matched
    /// against the file's own keys; a tail of the path the file does not have stays in
    /// the message.
    pub fn diagnostic_for(&self, problem: &str) -> Diagnostic {
        let root = tree::parse_tree(&self.source_text).ok().flatten();
        self.diagnostic_for_in(root.as_ref(), problem)
    }

    /// [`Self::diagnostic_for`] in the file's tree `root` (`None`: at its start).
    fn diagnostic_for_in(&self, root: Option<&Node>, problem: &str) -> Diagnostic {
        let path_len = problem
            .find(|c: char| !(c.is_ascii_alphanumeric() || "_-.[]".contains(c)))
            .unwrap_or(problem.len());
        let (path_text, rest) = problem.split_at(path_len);
        let message = rest
            .strip_prefix(": ")
            .or_else(|| rest.strip_prefix(' '))
            .unwrap_or(rest);
        let (path, unmatched) = match root {
            Some(root) => path_in(root, path_text),
            None => (FieldPath::root(), path_text),
        };
        // Text that does not start with a field of the file is about the whole file.
        let message = match unmatched.trim_start_matches('.') {
            _ if path.is_root() => problem.to_string(),
            "" => message.to_string(),
            tail => format!("{tail}: {message}"),
        };
        self.diagnostic_in(root, path, message)
    }

    /// Problems that a later check reported as text ([`Self::diagnostic_for`]), as the
    /// errors of this file: in the order of the file, and with the lines they point
    /// at for [`SpecErrors::render_snippets`].
    pub fn errors_for(&self, problems: &[String]) -> SpecErrors {
        let root = tree::parse_tree(&self.source_text).ok().flatten();
        let diagnostics = problems
            .iter()
            .map(|p| self.diagnostic_for_in(root.as_ref(), p))
            .collect();
        SpecErrors::new(diagnostics, &self.source_text)
    }

    /// The same experiment run by another engine (`--engine` on the command line): a
    /// live experiment's architecture simulated, to put its prediction beside the
    /// measurement. The file's text, copied into the record, stays as written.
    pub fn with_engine(mut self, engine: crate::model::EngineKind) -> Self {
        self.raw.engine = Some(engine);
        self
    }

    /// The same experiment with another seed (`--seed` on the command line).
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.raw.seed = Some(seed);
        self
    }
}

/// The longest start of the dotted path `text` (`live.processes.cache.primary.pid`,
/// `faults[0]`) that the tree under `root` has, and the rest of `text`. A key may
/// hold dots: at each mapping the shortest run of dotted names that is one of its
/// keys is taken.
fn path_in<'t>(root: &Node, text: &'t str) -> (FieldPath, &'t str) {
    let mut node = root;
    let mut path = FieldPath::root();
    let mut rest = text;
    loop {
        if let Some(inner) = rest.strip_prefix('[') {
            let Some((digits, after)) = inner.split_once(']') else {
                return (path, rest);
            };
            let next = match (&node.value, digits.parse::<usize>()) {
                (NodeValue::Seq(items), Ok(i)) => items.get(i).map(|n| (n, i)),
                _ => None,
            };
            let Some((next, i)) = next else {
                return (path, rest);
            };
            node = next;
            path = path.index(i);
            rest = after;
            continue;
        }
        let name_text = rest.strip_prefix('.').unwrap_or(rest);
        if name_text.is_empty() || node.entries().is_none() {
            return (path, rest);
        }
        let name_end = name_text.find('[').unwrap_or(name_text.len());
        // Each `.` in the name part ends a candidate key, the whole part the last one.
        let candidates = name_text[..name_end]
            .match_indices('.')
            .map(|(i, _)| i)
            .chain([name_end]);
        let found = candidates
            .filter_map(|end| node.get(&name_text[..end]).map(|next| (end, next)))
            .next();
        let Some((end, next)) = found else {
            return (path, rest);
        };
        path = path.key(&name_text[..end]);
        node = next;
        rest = &name_text[end..];
    }
}

/// Reads and validates an experiment file (YAML, or JSON for a `.json` name).
///
/// On failure the error lists every problem found, each with file, line, column, field
/// path and what would be valid.
pub fn load(path: &Path) -> Result<Experiment, SpecErrors> {
    let bytes =
        std::fs::read(path).map_err(|e| SpecErrors::whole_file(path, read_error(path, &e)))?;
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

/// Why `path` could not be read. A folder is named as such: the system's own words
/// ("Is a directory" on Unix, "Access is denied" on Windows) do not say what to give.
fn read_error(path: &Path, error: &std::io::Error) -> String {
    if path.is_dir() {
        "is a folder; give the path of an experiment file (`.yaml`, `.yml` or `.json`)".into()
    } else {
        format!("cannot read the file: {error}")
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn live_example() -> Experiment {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/live-redis-sentinel.yaml");
        load(&path).expect("the example loads")
    }

    #[test]
    fn a_problem_given_as_text_is_located_at_its_field_even_with_dots_in_names() {
        let experiment = live_example();
        let d = experiment
            .diagnostic_for("live.processes.cache.primary: give exactly one of `pid` or `pidfile`");
        assert_eq!(d.path.to_string(), "live.processes[\"cache.primary\"]");
        assert_eq!((d.span.line, d.span.column), (25, 5));
        assert_eq!(d.message, "give exactly one of `pid` or `pidfile`");

        let d = experiment.diagnostic_for("faults[0] `kill: cache.standby`: no process");
        assert_eq!(d.path.to_string(), "faults[0]");
        assert_eq!(d.span.line, 44);
        assert_eq!(d.message, "`kill: cache.standby`: no process");

        // A tail the file does not have stays in the message.
        let d = experiment.diagnostic_for("live.targets.cache.redis.nodes: not a list");
        assert_eq!(d.path.to_string(), "live.targets.cache.redis");
        assert_eq!(d.message, "nodes: not a list");

        // Text that names no field of the file stays whole.
        let d = experiment.diagnostic_for("the live engine needs a `live` section");
        assert!(d.path.is_root());
        assert_eq!(d.message, "the live engine needs a `live` section");

        let errors = experiment.errors_for(&[
            "signals: `probe:x` names no probe".to_string(),
            "live.processes.cache.primary: bad".to_string(),
        ]);
        assert_eq!(errors.problems.len(), 2);
        assert!(
            errors.problems[0].contains(":25:5: live.processes[\"cache.primary\"]: bad"),
            "in the file's order: {:?}",
            errors.problems
        );
        assert!(errors
            .render_snippets()
            .contains("cache.primary: { pidfile"));
    }

    /// Guards the message for a folder given where a file is expected: the system's
    /// "Is a directory (os error 21)" said neither what the path is nor what to give.
    #[test]
    fn a_folder_given_as_the_file_says_it_is_a_folder() {
        let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let Err(errors) = load(&folder) else {
            panic!("a folder loaded as an experiment");
        };
        assert_eq!(
            errors.problems,
            [format!(
                "{}: is a folder; give the path of an experiment file (`.yaml`, `.yml` or \
                 `.json`)",
                folder.display()
            )]
        );
    }
}
