//! Problems found in an experiment file: where (file, line, column, field path) and what.
//!
//! Every problem has a plain one-line form, `file:line:col: field.path: message`, which
//! tests assert and scripts read, and a snippet form that shows the offending line with a
//! pointer under it, for people at a terminal.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A place in the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
    /// Byte offset of the first byte.
    pub start_byte: usize,
    /// Byte offset just past the last byte (equal to `start_byte` for a point).
    pub end_byte: usize,
}

/// One step of a field path: a field (or map key) name, or a list index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSegment {
    /// A field name or a key of a map (such as a component name).
    Key(String),
    /// A position in a list, from 0.
    Index(usize),
}

/// Where a value sits in the experiment, e.g. `faults[2].duration`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldPath {
    /// The steps from the top of the file.
    pub segments: Vec<PathSegment>,
}

impl FieldPath {
    /// The top of the file.
    pub fn root() -> Self {
        Self::default()
    }

    /// This path extended by a field or key.
    pub fn key(&self, name: &str) -> Self {
        let mut next = self.clone();
        next.segments.push(PathSegment::Key(name.to_string()));
        next
    }

    /// This path extended by a list index.
    pub fn index(&self, index: usize) -> Self {
        let mut next = self.clone();
        next.segments.push(PathSegment::Index(index));
        next
    }

    /// Whether this path is `other` or lies inside it.
    pub fn starts_with(&self, other: &FieldPath) -> bool {
        self.segments.starts_with(&other.segments)
    }

    /// Whether this is the top of the file.
    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }
}

fn is_plain_key(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                PathSegment::Key(name) if is_plain_key(name) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(name)?;
                }
                PathSegment::Key(name) => write!(f, "[{name:?}]")?,
                PathSegment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// A problem before it is tied to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub span: Span,
    pub path: FieldPath,
    pub message: String,
}

impl Problem {
    pub(crate) fn new(span: Span, path: FieldPath, message: String) -> Self {
        Self {
            span,
            path,
            message,
        }
    }

    pub(crate) fn in_file(self, file: &Path) -> Diagnostic {
        Diagnostic {
            file: file.to_path_buf(),
            span: self.span,
            path: self.path,
            message: self.message,
        }
    }
}

/// One problem in an experiment file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file, as given to [`load`](crate::load) or [`parse`](crate::parse).
    pub file: PathBuf,
    /// Where in the file.
    pub span: Span,
    /// The field the problem is about; empty for problems of the whole file (syntax).
    pub path: FieldPath,
    /// What is wrong and what would be valid.
    pub message: String,
}

impl Diagnostic {
    /// The byte range the problem points at.
    pub fn byte_range(&self) -> Range<usize> {
        self.span.start_byte..self.span.end_byte
    }
}

impl fmt::Display for Diagnostic {
    /// The plain form: `file:line:col: field.path: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: ",
            self.file.display(),
            self.span.line,
            self.span.column
        )?;
        if !self.path.is_root() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

/// Problems found in an experiment file, in the order they appear in the file.
#[derive(Debug, Clone)]
pub struct SpecErrors {
    /// One line per problem: `file:line:col: field.path: message`.
    pub problems: Vec<String>,
    /// The same problems, structured.
    pub diagnostics: Vec<Diagnostic>,
    source_text: String,
}

impl SpecErrors {
    /// Problems found in `source_text`; sorts them by position and drops duplicates.
    pub(crate) fn new(mut diagnostics: Vec<Diagnostic>, source_text: &str) -> Self {
        diagnostics.sort_by_key(|d| (d.span.line, d.span.column));
        diagnostics.dedup();
        Self {
            problems: diagnostics.iter().map(ToString::to_string).collect(),
            diagnostics,
            source_text: source_text.to_string(),
        }
    }

    /// A single problem about the whole file (it cannot be read, for instance).
    pub(crate) fn whole_file(file: &Path, message: String) -> Self {
        Self {
            problems: vec![format!("{}: {message}", file.display())],
            diagnostics: Vec::new(),
            source_text: String::new(),
        }
    }

    /// Every problem with the source line it points at and a `^^^` marker under the
    /// value, the way compilers show errors; for people at a terminal.
    pub fn render_snippets(&self) -> String {
        if self.diagnostics.is_empty() {
            return self.problems.join("\n") + "\n";
        }
        let mut out = String::new();
        for diagnostic in &self.diagnostics {
            render_snippet(&mut out, diagnostic, &self.source_text);
        }
        out
    }
}

impl fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.problems.join("\n"))
    }
}

impl std::error::Error for SpecErrors {}

fn render_snippet(out: &mut String, diagnostic: &Diagnostic, source: &str) {
    use std::fmt::Write as _;
    let subject = if diagnostic.path.is_root() {
        String::new()
    } else {
        format!("{}: ", diagnostic.path)
    };
    let span = diagnostic.span;
    let _ = writeln!(out, "error: {subject}{}", diagnostic.message);
    let gutter = span.line.to_string().len();
    let pad = " ".repeat(gutter);
    let _ = writeln!(
        out,
        "{pad}--> {}:{}:{}",
        diagnostic.file.display(),
        span.line,
        span.column
    );
    let Some(line_text) = source.lines().nth(span.line.saturating_sub(1)) else {
        out.push('\n');
        return;
    };
    let shown: String = line_text.chars().take(200).collect();
    let start_col = span.column.saturating_sub(1);
    let line_chars = shown.chars().count();
    let span_chars = source
        .get(span.start_byte..span.end_byte)
        .map(|text| text.lines().next().unwrap_or("").chars().count())
        .unwrap_or(0);
    let width = span_chars.clamp(1, line_chars.saturating_sub(start_col).max(1));
    let _ = writeln!(out, "{pad} |");
    let _ = writeln!(out, "{} | {shown}", span.line);
    let _ = writeln!(
        out,
        "{pad} | {}{}",
        " ".repeat(start_col.min(line_chars)),
        "^".repeat(width)
    );
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_print_like_people_write_them() {
        let path = FieldPath::root().key("faults").index(2).key("duration");
        assert_eq!(path.to_string(), "faults[2].duration");
        let path = FieldPath::root()
            .key("live")
            .key("actions")
            .key("kill db.primary");
        assert_eq!(path.to_string(), "live.actions[\"kill db.primary\"]");
        let path = FieldPath::root().key("architecture").key("api-dns");
        assert_eq!(path.to_string(), "architecture.api-dns");
    }

    #[test]
    fn snippets_point_at_the_value() {
        let source = "name: x\nseed: many\n";
        let diagnostic = Diagnostic {
            file: "f.yaml".into(),
            span: Span {
                line: 2,
                column: 7,
                start_byte: 14,
                end_byte: 18,
            },
            path: FieldPath::root().key("seed"),
            message: "expected a whole number".into(),
        };
        let errors = SpecErrors::new(vec![diagnostic], source);
        assert_eq!(
            errors.problems,
            ["f.yaml:2:7: seed: expected a whole number"]
        );
        let snippet = errors.render_snippets();
        assert!(
            snippet.contains("2 | seed: many\n  |       ^^^^\n"),
            "{snippet}"
        );
    }
}
