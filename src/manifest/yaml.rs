//! Spanned YAML: the node tree of one stage file, built from `saphyr-parser` events. Every node keeps
//! its byte span, line and column; every scalar keeps its raw text and whether it was written plain,
//! so `512` and `"512"` stay distinguishable. Duplicate keys, multiple documents, unsupported tags,
//! merge keys and syntax errors become located problems; aliases are resolved.

use super::scalar::{is_bool, is_float, is_int};
use super::syntax;
use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Tag};
use std::collections::HashMap;

/// Most nodes a document may expand to once aliases are resolved (guards against alias bombs).
const NODE_BUDGET: usize = 100_000;

/// Most bytes of scalar text a document may expand to once aliases are resolved: a stage file is
/// a few kilobytes, and an alias of a long string must not multiply it.
pub const BYTE_BUDGET: usize = 4 << 20;

/// A byte range of the source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    /// Byte offset of the first byte.
    pub offset: usize,
    /// Length in bytes.
    pub len: usize,
}

/// One YAML node with where it was written. `line` and `col` are 1-based; `col` counts characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub kind: Kind,
    pub span: Span,
    pub line: usize,
    pub col: usize,
}

/// What a node holds. Mapping entries keep their source order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An empty value, `~` or `null` written plain.
    Null,
    /// A scalar's text as written (escapes resolved). `plain` is false for quoted and block
    /// scalars and for `!!str`: such a scalar is a string even when it looks like a number.
    Scalar {
        value: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// The scalar's text, if this node is a scalar.
    pub fn scalar(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// What kind of value this is, for "expected …, found …" messages.
    pub fn describe(&self) -> &'static str {
        match &self.kind {
            Kind::Null => "nothing (null)",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
            Kind::Scalar { value, plain } => {
                if !*plain {
                    "a string"
                } else if is_bool(value) {
                    "a boolean"
                } else if is_int(value) || is_float(value) {
                    "a number"
                } else {
                    "a string"
                }
            }
        }
    }
}

/// A problem found while reading the YAML itself (before any schema check).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlProblem {
    pub span: Span,
    pub line: usize,
    pub col: usize,
    /// Key path of the problem when known (duplicate keys), else empty.
    pub path: String,
    pub message: String,
    pub help: Option<String>,
}

/// A parsed stage file: its single document (`None` when the file holds no document at all) and
/// every problem found. A syntax error stops the parse, so `root` is `None` then.
#[derive(Clone, Debug, Default)]
pub struct Document {
    pub root: Option<Node>,
    pub problems: Vec<YamlProblem>,
}

/// Converts the parser's character-based markers into byte offsets of `text`.
struct Positions {
    /// Byte offset of every character index, plus one entry for the end of the text.
    bytes: Vec<usize>,
}

impl Positions {
    fn new(text: &str) -> Self {
        let mut bytes: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
        bytes.push(text.len());
        Positions { bytes }
    }

    fn byte(&self, char_index: usize) -> usize {
        self.bytes
            .get(char_index)
            .or(self.bytes.last())
            .copied()
            .unwrap_or(0)
    }

    fn span(&self, start: &Marker, end: &Marker) -> Span {
        let offset = self.byte(start.index());
        let end = self.byte(end.index()).max(offset);
        Span {
            offset,
            len: end - offset,
        }
    }
}

/// Where each line of a text starts and how many characters come before each byte, so that
/// locating a problem costs a binary search however many problems a file has.
pub struct Lines {
    starts: Vec<usize>,
    /// Characters before each byte offset (and the end).
    chars_before: Vec<u32>,
}

impl Lines {
    pub fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        let mut chars_before = Vec::with_capacity(text.len() + 1);
        let mut n: u32 = 0;
        for (i, b) in text.bytes().enumerate() {
            chars_before.push(n);
            // A character starts at every byte that is not a UTF-8 continuation byte.
            if b & 0xC0 != 0x80 {
                n = n.saturating_add(1);
            }
            if b == b'\n' {
                starts.push(i + 1);
            }
        }
        chars_before.push(n);
        Lines {
            starts,
            chars_before,
        }
    }

    /// 1-based line and character column of byte `offset`, as [`locate`] says.
    pub fn locate(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.chars_before.len().saturating_sub(1));
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.starts.get(line).copied().unwrap_or(0);
        let chars = |at: usize| self.chars_before.get(at).copied().unwrap_or(0) as usize;
        (line + 1, chars(offset) - chars(start) + 1)
    }
}

/// 1-based line and character column of a byte offset of `text`.
pub fn locate(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, col)
}

/// A collection being built, with the anchor it will be registered under.
enum Frame {
    Seq {
        start: Node,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: Node,
        anchor: usize,
        entries: Vec<(Node, Node)>,
        /// The key whose value comes next; `Some(None)` when that entry is dropped.
        pending: Option<Option<Node>>,
        /// Line of every key seen so far.
        seen: HashMap<String, usize>,
    },
}

struct Builder {
    positions: Positions,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
    problems: Vec<YamlProblem>,
    /// What the document has expanded to so far.
    used: Size,
    /// Whether an alias was resolved (for the message when a budget is exceeded).
    aliased: bool,
}

/// A problem that stops the parse.
struct Fatal;

impl Builder {
    fn node(&self, kind: Kind, span: saphyr_parser::Span) -> Node {
        Node {
            kind,
            span: self.positions.span(&span.start, &span.end),
            line: span.start.line(),
            col: span.start.col() + 1,
        }
    }

    fn problem(&mut self, node: &Node, path: String, message: String, help: Option<String>) {
        self.problems.push(YamlProblem {
            span: node.span,
            line: node.line,
            col: node.col,
            path,
            message,
            help,
        });
    }

    /// Key path of the value about to complete, from the open collections.
    fn path(&self) -> String {
        let mut path = String::new();
        for frame in &self.stack {
            match frame {
                Frame::Seq { items, .. } => path.push_str(&format!("[{}]", items.len())),
                Frame::Map { pending, .. } => {
                    if let Some(Some(key)) = pending {
                        if !path.is_empty() {
                            path.push('.');
                        }
                        path.push_str(key.scalar().unwrap_or("?"));
                    }
                }
            }
        }
        path
    }

    fn count(&mut self, cost: Size, at: &Node) -> Result<(), Fatal> {
        self.used = self.used.add(cost);
        let over = if self.used.nodes > NODE_BUDGET {
            format!("more than {NODE_BUDGET} values")
        } else if self.used.bytes > BYTE_BUDGET {
            format!("more than {} MiB of text", BYTE_BUDGET >> 20)
        } else {
            return Ok(());
        };
        let (message, help) = if self.aliased {
            (
                format!("aliases expand this document to {over}"),
                "write the values out instead of repeating them through aliases",
            )
        } else {
            (
                format!("this document holds {over}"),
                "a stage file is a few kilobytes of settings",
            )
        };
        self.problem(at, String::new(), message, Some(help.into()));
        Err(Fatal)
    }

    /// Places a finished node into the open collection (or as the document root).
    fn complete(&mut self, node: Node, anchor: usize) -> Result<(), Fatal> {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        let path = self.path();
        let Some(frame) = self.stack.last_mut() else {
            if self.root.is_none() {
                self.root = Some(node);
            }
            return Ok(());
        };
        match frame {
            Frame::Seq { items, .. } => items.push(node),
            Frame::Map {
                entries,
                pending,
                seen,
                ..
            } => match pending.take() {
                Some(Some(key)) => entries.push((key, node)),
                Some(None) => {}
                None => {
                    let problem = key_problem(&node, seen);
                    let key_path = match node.scalar() {
                        Some(k) if path.is_empty() => k.to_string(),
                        Some(k) => format!("{path}.{k}"),
                        None => path,
                    };
                    let keep = problem.is_none();
                    if let Some(p) = problem {
                        self.problem(&node, key_path, p.message, p.help.map(str::to_string));
                    }
                    if let Some(Frame::Map { pending, .. }) = self.stack.last_mut() {
                        *pending = Some(keep.then_some(node));
                    }
                }
            },
        }
        Ok(())
    }

    fn tag_problem(&mut self, node: &Node, tag: &Tag) {
        let path = self.path();
        self.problem(
            node,
            path,
            format!("YAML tag `{}{}` is not supported", tag.handle, tag.suffix),
            Some("remove the tag; quote the value to make it a string".into()),
        );
    }

    fn event(&mut self, event: Event<'_>, span: saphyr_parser::Span) -> Result<(), Fatal> {
        match event {
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => Ok(()),
            Event::DocumentStart(_) => self.document_start(span),
            Event::Scalar(value, style, anchor, tag) => {
                self.scalar(value.into_owned(), style, anchor, tag.as_deref(), span)
            }
            Event::Alias(id) => self.alias(id, span),
            Event::SequenceStart(anchor, tag) => {
                let start = self.collection_start(tag.as_deref(), "seq", span)?;
                self.stack.push(Frame::Seq {
                    start,
                    anchor,
                    items: Vec::new(),
                });
                Ok(())
            }
            Event::MappingStart(anchor, tag) => {
                let start = self.collection_start(tag.as_deref(), "map", span)?;
                self.stack.push(Frame::Map {
                    start,
                    anchor,
                    entries: Vec::new(),
                    pending: None,
                    seen: HashMap::new(),
                });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => self.collection_end(span),
        }
    }

    /// A second document is refused: a stage file holds one.
    fn document_start(&mut self, span: saphyr_parser::Span) -> Result<(), Fatal> {
        if self.root.is_none() {
            return Ok(());
        }
        let node = self.node(Kind::Null, span);
        self.problem(
            &node,
            String::new(),
            "a stage file holds one YAML document, found a second one".into(),
            Some("remove the `---` separator and everything after it".into()),
        );
        Err(Fatal)
    }

    fn scalar(
        &mut self,
        value: String,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<&Tag>,
        span: saphyr_parser::Span,
    ) -> Result<(), Fatal> {
        let mut plain = style == ScalarStyle::Plain;
        let mut node = self.node(Kind::Null, span);
        if let Some(tag) = tag {
            match (tag.is_yaml_core_schema(), tag.suffix.as_str()) {
                (true, "str") => plain = false,
                (true, "int" | "float" | "bool" | "null") => {}
                _ => self.tag_problem(&node, tag),
            }
        }
        node.kind = if plain && matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL") {
            Kind::Null
        } else {
            Kind::Scalar { value, plain }
        };
        self.count(size(&node), &node)?;
        self.complete(node, anchor)
    }

    /// An alias: the anchored value, placed where the alias is used.
    fn alias(&mut self, id: usize, span: saphyr_parser::Span) -> Result<(), Fatal> {
        let at = self.node(Kind::Null, span);
        let Some(cost) = self.anchors.get(&id).map(size) else {
            let path = self.path();
            self.problem(
                &at,
                path,
                "this alias refers to the collection that contains it".into(),
                Some("recursive aliases are not supported".into()),
            );
            return Err(Fatal);
        };
        self.aliased = true;
        self.count(cost, &at)?;
        let Some(mut node) = self.anchors.get(&id).cloned() else {
            return Err(Fatal);
        };
        // The value is the anchored one; its position is where the alias is used.
        node.span = at.span;
        node.line = at.line;
        node.col = at.col;
        self.complete(node, 0)
    }

    /// The start node of a sequence or mapping (`core` names its core-schema tag).
    fn collection_start(
        &mut self,
        tag: Option<&Tag>,
        core: &str,
        span: saphyr_parser::Span,
    ) -> Result<Node, Fatal> {
        let start = self.node(Kind::Null, span);
        if let Some(tag) = tag.filter(|t| !(t.is_yaml_core_schema() && t.suffix == core)) {
            self.tag_problem(&start, tag);
        }
        self.count(Size::ONE, &start)?;
        Ok(start)
    }

    fn collection_end(&mut self, span: saphyr_parser::Span) -> Result<(), Fatal> {
        let end = self.positions.byte(span.end.index());
        let (mut node, anchor) = match self.stack.pop() {
            Some(Frame::Seq {
                start,
                anchor,
                items,
            }) => (
                Node {
                    kind: Kind::Seq(items),
                    ..start
                },
                anchor,
            ),
            Some(Frame::Map {
                start,
                anchor,
                entries,
                ..
            }) => (
                Node {
                    kind: Kind::Map(entries),
                    ..start
                },
                anchor,
            ),
            None => return Ok(()),
        };
        node.span.len = end.saturating_sub(node.span.offset);
        self.complete(node, anchor)
    }
}

/// Why a mapping key cannot be one, if it cannot.
struct KeyProblem {
    message: String,
    help: Option<&'static str>,
}

/// Why `key` cannot be a key of a mapping whose keys so far are `seen` (by the line each was
/// first written on); a key that can is added to `seen`.
fn key_problem(key: &Node, seen: &mut HashMap<String, usize>) -> Option<KeyProblem> {
    let (message, help) = match &key.kind {
        Kind::Scalar { value, plain } if *plain && value == "<<" => (
            "merge keys (`<<`) are not supported".to_string(),
            Some("write the keys out, or use an alias as a whole value"),
        ),
        Kind::Scalar { value, .. } => match seen.get(value) {
            Some(first) => (
                format!("duplicate key `{value}` (first defined on line {first})"),
                Some("remove one of them; YAML keys must be unique"),
            ),
            None => {
                seen.insert(value.clone(), key.line);
                return None;
            }
        },
        Kind::Null => ("a key must not be empty".to_string(), None),
        Kind::Seq(_) | Kind::Map(_) => (
            format!("a key must be a plain string, found {}", key.describe()),
            None,
        ),
    };
    Some(KeyProblem { message, help })
}

/// What a node costs against the document's budgets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Size {
    /// Nodes in the tree.
    nodes: usize,
    /// Bytes of scalar text in it.
    bytes: usize,
}

impl Size {
    const ONE: Size = Size { nodes: 1, bytes: 0 };

    fn add(self, other: Size) -> Size {
        Size {
            nodes: self.nodes.saturating_add(other.nodes),
            bytes: self.bytes.saturating_add(other.bytes),
        }
    }
}

/// The size of a tree.
fn size(node: &Node) -> Size {
    match &node.kind {
        Kind::Null => Size::ONE,
        Kind::Scalar { value, .. } => Size {
            nodes: 1,
            bytes: value.len(),
        },
        Kind::Seq(items) => items.iter().map(size).fold(Size::ONE, Size::add),
        Kind::Map(entries) => entries
            .iter()
            .map(|(k, v)| size(k).add(size(v)))
            .fold(Size::ONE, Size::add),
    }
}

/// Parses one stage file into its node tree, collecting every problem the YAML itself has.
pub fn parse(text: &str) -> Document {
    let mut builder = Builder {
        positions: Positions::new(text),
        stack: Vec::new(),
        anchors: HashMap::new(),
        root: None,
        problems: Vec::new(),
        used: Size::default(),
        aliased: false,
    };
    for event in Parser::new_from_str(text) {
        match event {
            Ok((event, span)) => {
                if builder.event(event, span).is_err() {
                    builder.root = None;
                    break;
                }
            }
            Err(err) => {
                let offset = builder.positions.byte(err.marker().index());
                builder
                    .problems
                    .push(syntax::problem(text, offset, err.info()));
                builder.root = None;
                break;
            }
        }
    }
    Document {
        root: builder.root,
        problems: builder.problems,
    }
}

#[cfg(test)]
#[path = "yaml_tests.rs"]
mod tests;
