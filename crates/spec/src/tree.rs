//! The experiment file as a tree of YAML nodes, each with its place in the text.
//!
//! Built from the events of `granit_parser` (the parser inside `serde-saphyr`), so that
//! every later check can say where a value was written. Aliases are expanded (within a
//! budget, so an "exponential laughs" file cannot exhaust memory), `<<` merge keys are
//! applied, and duplicate keys are reported. JSON files go through the same parser: JSON
//! is YAML.

use std::collections::HashMap;

use serde_saphyr::granit_parser::{self, Event, Marker, Parser, ScalarStyle};

use crate::diag::{FieldPath, PathSegment, Span};
use crate::Problem;

/// Most nodes a file may expand to (aliases included).
const MAX_NODES: usize = 200_000;
/// Deepest nesting of flow or block collections.
const MAX_NESTING: usize = 64;
/// Largest file accepted, in bytes.
pub(crate) const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// A YAML value with its place in the text.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// The value.
    pub value: NodeValue,
    /// Where the value is written.
    pub span: Span,
    /// Where its key is written, when it is the value of a mapping entry.
    pub key_span: Option<Span>,
}

/// The three kinds of YAML values.
#[derive(Debug, Clone)]
pub(crate) enum NodeValue {
    /// A scalar: its text, and whether it was written plain (unquoted).
    Scalar(Scalar),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in the order written.
    Map(Vec<Entry>),
}

/// A scalar's text and how it was written.
#[derive(Debug, Clone)]
pub(crate) struct Scalar {
    /// The text after escape processing.
    pub text: String,
    /// Written without quotes and not as a block scalar: its type is resolved from the text.
    pub plain: bool,
    /// A core-schema tag such as `str` (from `!!str`), if one was written.
    pub tag: Option<String>,
}

/// One `key: value` entry of a mapping.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The key's text.
    pub key: String,
    /// The value, whose `key_span` is where the key is written.
    pub value: Node,
}

/// A plain scalar's type under the YAML 1.2 core schema.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Resolved {
    /// `~`, `null` or nothing.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A whole number.
    Int(i128),
    /// A number with a fraction or exponent.
    Float(f64),
    /// Anything else: text.
    Str,
}

impl Node {
    /// The entries, if this is a mapping.
    pub fn entries(&self) -> Option<&[Entry]> {
        match &self.value {
            NodeValue::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The value of `key`, if this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries()?
            .iter()
            .find(|e| e.key == key)
            .map(|e| &e.value)
    }

    /// The scalar, if this is one.
    pub fn scalar(&self) -> Option<&Scalar> {
        match &self.value {
            NodeValue::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The type of a scalar node (`None` for collections).
    pub fn resolved(&self) -> Option<Resolved> {
        self.scalar().map(Scalar::resolve)
    }

    /// Whether this node is null (`~`, `null` or nothing).
    pub fn is_null(&self) -> bool {
        self.resolved() == Some(Resolved::Null)
    }

    /// Where a problem about a field missing from this mapping is shown: its key if it
    /// has one, else the mapping itself.
    pub fn owner_span(&self) -> Span {
        self.key_span.unwrap_or(self.span)
    }

    /// The node at `path`, or the deepest node on the way to it that exists.
    pub fn locate(&self, path: &FieldPath) -> &Node {
        self.locate_exact(path).0
    }

    /// The node at `path` and `true`, or the deepest node on the way to it and `false`.
    pub fn locate_exact(&self, path: &FieldPath) -> (&Node, bool) {
        let mut node = self;
        for segment in &path.segments {
            let next = match (segment, &node.value) {
                (PathSegment::Key(key), NodeValue::Map(_)) => node.get(key),
                (PathSegment::Index(i), NodeValue::Seq(items)) => items.get(*i),
                _ => None,
            };
            match next {
                Some(next) => node = next,
                None => return (node, false),
            }
        }
        (node, true)
    }

    fn size(&self) -> usize {
        match &self.value {
            NodeValue::Scalar(_) => 1,
            NodeValue::Seq(items) => 1 + items.iter().map(Node::size).sum::<usize>(),
            NodeValue::Map(entries) => {
                1 + entries.iter().map(|e| 1 + e.value.size()).sum::<usize>()
            }
        }
    }
}

impl Scalar {
    /// The scalar's type: quoted and block scalars are text, plain ones are resolved
    /// under the YAML 1.2 core schema (a `!!str` tag forces text).
    pub fn resolve(&self) -> Resolved {
        match self.tag.as_deref() {
            Some("str") => return Resolved::Str,
            Some("null") => return Resolved::Null,
            _ => {}
        }
        if !self.plain && self.tag.is_none() {
            return Resolved::Str;
        }
        resolve_plain(&self.text)
    }
}

fn resolve_plain(text: &str) -> Resolved {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "true" | "True" | "TRUE" => return Resolved::Bool(true),
        "false" | "False" | "FALSE" => return Resolved::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        _ => {}
    }
    if let Some(octal) = text.strip_prefix("0o") {
        if let Ok(n) = i128::from_str_radix(octal, 8) {
            return Resolved::Int(n);
        }
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if let Ok(n) = i128::from_str_radix(hex, 16) {
            return Resolved::Int(n);
        }
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(n) = text.parse::<i128>() {
            return Resolved::Int(n);
        }
    }
    let looks_numeric = !digits.is_empty()
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && digits
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit() || b == b'.');
    if looks_numeric {
        if let Ok(f) = text.parse::<f64>() {
            return Resolved::Float(f);
        }
    }
    Resolved::Str
}

/// Converts a parser marker to a span starting there.
fn point(marker: &Marker) -> Span {
    let start_byte = marker.byte_offset().unwrap_or(0);
    Span {
        line: marker.line().max(1),
        column: marker.col() + 1,
        start_byte,
        end_byte: start_byte,
    }
}

fn span_of(span: &granit_parser::Span) -> Span {
    let mut out = point(&span.start);
    out.end_byte = span
        .end
        .byte_offset()
        .unwrap_or(out.start_byte)
        .max(out.start_byte);
    out
}

/// A collection being built.
enum Frame {
    Seq {
        items: Vec<Node>,
        span: Span,
        anchor: usize,
    },
    Map {
        entries: Vec<Entry>,
        merges: Vec<Node>,
        pending_key: Option<PendingKey>,
        span: Span,
        anchor: usize,
    },
}

/// A mapping key waiting for its value.
struct PendingKey {
    text: String,
    span: Span,
    /// The key was not a plain name (a collection): its entry is dropped.
    invalid: bool,
    /// The key is `<<`: its value is merged into the mapping.
    merge: bool,
}

/// Builds the tree of one YAML document from parser events.
struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    nodes: usize,
    root: Option<Node>,
    problems: Vec<Problem>,
}

/// Reads `text` into a tree. `Ok(None)` means the file holds no document at all.
/// A syntax error ends the reading; other problems (duplicate keys, ...) are collected.
pub(crate) fn parse_tree(text: &str) -> Result<Option<Node>, Vec<Problem>> {
    let options = granit_parser::options! {
        emit_comments: false,
        flow_nesting_limit: MAX_NESTING,
        block_nesting_limit: MAX_NESTING,
    };
    let parser = Parser::new_from_str_with_options(text, options);
    let mut builder = Builder {
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        root: None,
        problems: Vec::new(),
    };
    let mut documents = 0;
    for item in parser {
        let (event, span) = match item {
            Ok(pair) => pair,
            Err(error) => {
                let info = error.info();
                // Too deep: the path would be as long as the nesting, so none is given.
                let (message, path) = if info.contains("recursion limit") {
                    let message = format!(
                        "values are nested more than {MAX_NESTING} levels deep here; an \
                         experiment is far shallower"
                    );
                    (message, FieldPath::root())
                } else {
                    let message = format!("YAML syntax error: {info}");
                    (message, builder.current_path())
                };
                builder
                    .problems
                    .push(Problem::new(point(error.marker()), path, message));
                return Err(builder.problems);
            }
        };
        let span = span_of(&span);
        match event {
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    builder.problems.push(Problem::new(
                        span,
                        FieldPath::root(),
                        "a second YAML document starts here; an experiment file holds exactly one"
                            .into(),
                    ));
                    return Err(builder.problems);
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                let tag = match tag.as_deref() {
                    None => None,
                    Some(tag) => match tag.core_suffix() {
                        Some(suffix) => Some(suffix.to_string()),
                        None => {
                            builder.problems.push(Problem::new(
                                span,
                                FieldPath::root(),
                                format!(
                                    "unsupported tag `{}`; experiment files use no tags \
                                     (write the value plainly)",
                                    tag.original()
                                ),
                            ));
                            None
                        }
                    },
                };
                let node = Node {
                    value: NodeValue::Scalar(Scalar {
                        text: text.into_owned(),
                        plain: style == ScalarStyle::Plain,
                        tag,
                    }),
                    span,
                    key_span: None,
                };
                builder.finish_node(node, anchor)?;
            }
            Event::SequenceStart(_, anchor, _) => {
                builder.count(1, span)?;
                builder.stack.push(Frame::Seq {
                    items: Vec::new(),
                    span,
                    anchor,
                });
            }
            Event::MappingStart(_, anchor, _) => {
                builder.count(1, span)?;
                builder.stack.push(Frame::Map {
                    entries: Vec::new(),
                    merges: Vec::new(),
                    pending_key: None,
                    span,
                    anchor,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => builder.end_collection(span)?,
            Event::Alias(id) => {
                let Some(target) = builder.anchors.get(&id).cloned() else {
                    builder.problems.push(Problem::new(
                        span,
                        FieldPath::root(),
                        "this alias refers to an anchor that is not defined before it".into(),
                    ));
                    return Err(builder.problems);
                };
                builder.count(target.size(), span)?;
                builder.finish_node(target, 0)?;
            }
            _ => {}
        }
    }
    if builder.problems.is_empty() {
        Ok(builder.root)
    } else {
        Err(builder.problems)
    }
}

impl Builder {
    /// The path of the value being read (the innermost open entry or item), for
    /// syntax errors.
    fn current_path(&self) -> FieldPath {
        let mut path = FieldPath::root();
        for frame in &self.stack {
            path = match frame {
                Frame::Seq { items, .. } => path.index(items.len()),
                Frame::Map {
                    pending_key: Some(key),
                    ..
                } if !key.invalid => path.key(&key.text),
                Frame::Map { .. } => path,
            };
        }
        path
    }

    fn count(&mut self, nodes: usize, span: Span) -> Result<(), Vec<Problem>> {
        self.nodes = self.nodes.saturating_add(nodes);
        if self.nodes > MAX_NODES {
            self.problems.push(Problem::new(
                span,
                FieldPath::root(),
                format!(
                    "the file expands to more than {MAX_NODES} values (aliases included); \
                     an experiment is far smaller"
                ),
            ));
            return Err(std::mem::take(&mut self.problems));
        }
        Ok(())
    }

    fn end_collection(&mut self, end: Span) -> Result<(), Vec<Problem>> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let (mut node, anchor) = match frame {
            Frame::Seq {
                items,
                mut span,
                anchor,
            } => {
                span.end_byte = end.end_byte.max(span.start_byte);
                let value = NodeValue::Seq(items);
                (
                    Node {
                        value,
                        span,
                        key_span: None,
                    },
                    anchor,
                )
            }
            Frame::Map {
                mut entries,
                merges,
                mut span,
                anchor,
                ..
            } => {
                for merged in merges {
                    merge_into(&mut entries, merged, &mut self.problems);
                }
                span.end_byte = end.end_byte.max(span.start_byte);
                let value = NodeValue::Map(entries);
                (
                    Node {
                        value,
                        span,
                        key_span: None,
                    },
                    anchor,
                )
            }
        };
        node.key_span = None;
        self.finish_node(node, anchor)
    }

    /// Places a complete node into its parent (or makes it the root).
    fn finish_node(&mut self, node: Node, anchor: usize) -> Result<(), Vec<Problem>> {
        if let NodeValue::Scalar(_) = node.value {
            self.count(1, node.span)?;
        }
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                merges,
                pending_key,
                ..
            }) => match pending_key.take() {
                None => {
                    let (text, invalid) = match &node.value {
                        NodeValue::Scalar(s) => (s.text.clone(), false),
                        _ => {
                            self.problems.push(Problem::new(
                                node.span,
                                FieldPath::root(),
                                "a key must be a plain name, not a list or a mapping".into(),
                            ));
                            (String::new(), true)
                        }
                    };
                    let merge = !invalid && text == "<<" && node.scalar().is_some_and(|s| s.plain);
                    *pending_key = Some(PendingKey {
                        text,
                        span: node.span,
                        invalid,
                        merge,
                    });
                }
                Some(key) if key.invalid => {}
                Some(key) if key.merge => merges.push(node),
                Some(key) => {
                    if let Some(first) = entries.iter().find(|e| e.key == key.text) {
                        let first_line = first.value.owner_span().line;
                        self.problems.push(Problem::new(
                            key.span,
                            FieldPath::root(),
                            format!(
                                "duplicate key `{}` (first given at line {first_line}); \
                                 give each key once",
                                key.text
                            ),
                        ));
                    } else {
                        let mut value = node;
                        value.key_span = Some(key.span);
                        entries.push(Entry {
                            key: key.text,
                            value,
                        });
                    }
                }
            },
        }
        Ok(())
    }
}

/// Applies a `<<: *anchor` (or `<<: [*a, *b]`) merge: keys not given explicitly are
/// taken from the merged mappings, earlier ones first.
fn merge_into(entries: &mut Vec<Entry>, merged: Node, problems: &mut Vec<Problem>) {
    let sources = match merged.value {
        NodeValue::Map(_) => vec![merged],
        NodeValue::Seq(items) => items,
        NodeValue::Scalar(_) => vec![merged],
    };
    for source in sources {
        match source.value {
            NodeValue::Map(more) => {
                for entry in more {
                    if !entries.iter().any(|e| e.key == entry.key) {
                        entries.push(entry);
                    }
                }
            }
            _ => problems.push(Problem::new(
                source.span,
                FieldPath::root(),
                "`<<` merges mappings: give an alias of a mapping (`<<: *defaults`) or a list \
                 of them"
                    .into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(text: &str) -> Node {
        parse_tree(text).expect("valid yaml").expect("a document")
    }

    #[test]
    fn plain_scalars_resolve_under_the_core_schema() {
        assert_eq!(resolve_plain("12"), Resolved::Int(12));
        assert_eq!(resolve_plain("-3"), Resolved::Int(-3));
        assert_eq!(resolve_plain("0.25"), Resolved::Float(0.25));
        assert_eq!(resolve_plain("1e3"), Resolved::Float(1000.0));
        assert_eq!(resolve_plain("true"), Resolved::Bool(true));
        assert_eq!(resolve_plain("~"), Resolved::Null);
        assert_eq!(resolve_plain("90s"), Resolved::Str);
        assert_eq!(resolve_plain("10%"), Resolved::Str);
        assert_eq!(resolve_plain("yes"), Resolved::Str);
        assert_eq!(resolve_plain("e5"), Resolved::Str);
    }

    #[test]
    fn nodes_know_where_they_are_written() {
        let root = tree("a:\n  b: [1, x]\n");
        let b = root.get("a").and_then(|a| a.get("b")).expect("a.b");
        let key = b.key_span.expect("a key");
        assert_eq!((key.line, key.column), (2, 3));
        let NodeValue::Seq(items) = &b.value else {
            panic!("a list")
        };
        assert_eq!((items[1].span.line, items[1].span.column), (2, 10));
        let path = FieldPath::root().key("a").key("b").index(1);
        assert_eq!(root.locate(&path).span.column, 10);
    }

    #[test]
    fn aliases_and_merge_keys_expand() {
        let root = tree("base: &b { x: 1, y: 2 }\nuse:\n  <<: *b\n  y: 3\n");
        let used = root.get("use").expect("use");
        let keys: Vec<_> = used
            .entries()
            .unwrap()
            .iter()
            .map(|e| e.key.as_str())
            .collect();
        assert_eq!(keys, ["y", "x"]);
        assert_eq!(used.get("y").unwrap().scalar().unwrap().text, "3");
    }

    #[test]
    fn duplicate_keys_are_reported_with_both_places() {
        let problems = parse_tree("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].span.line, 3);
        assert!(
            problems[0].message.contains("line 1"),
            "{}",
            problems[0].message
        );
    }

    #[test]
    fn syntax_errors_name_the_field_being_read() {
        let problems = parse_tree("a:\n  b: [1, 2\nc: 3\n").unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path.to_string(), "a.b[1]", "{problems:?}");
    }

    #[test]
    fn alias_bombs_stop_at_the_budget() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let problems = parse_tree(&text).unwrap_err();
        assert!(problems[0].message.contains("more than"), "{problems:?}");
    }
}
