//! YAML text to [`Node`]s that remember where they were written.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

use super::repair;
use super::resolve::{self, Plain};
use crate::value::{Mapping, Value};
use crate::{Error, Result};

/// A position in the YAML text, both 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mark {
    /// Line.
    pub line: usize,
    /// Column, counted in characters.
    pub column: usize,
}

/// One YAML node and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What the node holds.
    pub value: NodeValue,
    /// Where it starts.
    pub mark: Mark,
}

/// The content of a [`Node`]; the scalar types are those of [`Value`].
#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    /// `~`, `null` or nothing.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// Text.
    String(String),
    /// A date or date and time, as written.
    Timestamp(String),
    /// A list.
    Sequence(Vec<Node>),
    /// A mapping; a repeated key keeps its first place and its last value.
    Mapping(Vec<(Node, Node)>),
}

impl Node {
    /// The value under a string key of a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// Entries of a mapping node.
    pub fn entries(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            NodeValue::Mapping(m) => Some(m),
            _ => None,
        }
    }

    /// Items of a sequence node.
    pub fn items(&self) -> Option<&[Node]> {
        match &self.value {
            NodeValue::Sequence(s) => Some(s),
            _ => None,
        }
    }

    /// The text of a string node.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The node without positions.
    pub fn to_value(&self) -> Value {
        match &self.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::Bool(*b),
            NodeValue::Int(i) => Value::Int(*i),
            NodeValue::Float(x) => Value::Float(*x),
            NodeValue::String(s) => Value::String(s.clone()),
            NodeValue::Timestamp(s) => Value::Timestamp(s.clone()),
            NodeValue::Sequence(items) => {
                Value::Sequence(items.iter().map(Node::to_value).collect())
            }
            NodeValue::Mapping(entries) => Value::Mapping(
                entries
                    .iter()
                    .map(|(k, v)| (k.to_value(), v.to_value()))
                    .collect::<Mapping>(),
            ),
        }
    }
}

/// Most nodes one document may expand to through aliases; a document past it
/// is refused rather than allowed to exhaust memory ("billion laughs").
const MAX_NODES: usize = 4_000_000;

/// Deepest nesting of collections accepted; deeper documents are refused so
/// that reading, checking and dropping them cannot exhaust the stack.
const MAX_DEPTH: usize = 256;

/// Reads one YAML document as LAVA's YAML 1.1 reader types it. An empty
/// document reads as null; a stream of several documents is refused, as
/// PyYAML's `safe_load` refuses it. Quoted scalars whose continuation lines
/// are indented less than their block, or by tabs, read as PyYAML reads them.
// Limitation: on the last line of such a scalar, a node after the closing
// quote (in a flow collection) reports the column of the re-indented text.
pub fn parse(text: &str) -> Result<Node> {
    let mut scan = match parse_text(text) {
        Ok(node) => return Ok(node),
        Err(Failure::Scan(scan)) => scan,
        Err(Failure::Other(err)) => return Err(err),
    };
    let mut current = text.to_string();
    for _ in 0..repair::MAX_REPAIRS {
        let Some(repaired) = repair::repair(&current, &scan.reason, scan.line, scan.column) else {
            break;
        };
        current = repaired;
        match parse_text(&current) {
            Ok(node) => return Ok(node),
            Err(Failure::Scan(next)) => scan = next,
            Err(Failure::Other(err)) => return Err(err),
        }
    }
    // What the repairs mended PyYAML reads too: the error left is the
    // document's own, as PyYAML would report it.
    Err(scan.into_error())
}

/// A scanner error, kept apart so that [`parse`] can try a repair.
struct ScanFailure {
    /// 1-based.
    line: usize,
    /// 0-based, in characters.
    column: usize,
    reason: String,
}

impl ScanFailure {
    fn into_error(self) -> Error {
        Error::Yaml {
            line: self.line,
            column: self.column + 1,
            reason: self.reason,
        }
    }
}

enum Failure {
    Scan(ScanFailure),
    Other(Error),
}

fn parse_text(text: &str) -> std::result::Result<Node, Failure> {
    let mut builder = Builder::default();
    let mut documents = 0usize;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| {
            Failure::Scan(ScanFailure {
                line: e.marker().line(),
                column: e.marker().col(),
                reason: e.info().to_string(),
            })
        })?;
        if let Event::DocumentStart(_) = event {
            documents += 1;
            if documents > 1 {
                return Err(Failure::Other(yaml_error(
                    span,
                    "expected a single document in the stream",
                )));
            }
        }
        builder.event(event, span).map_err(Failure::Other)?;
    }
    Ok(builder.root.unwrap_or(Node {
        value: NodeValue::Null,
        mark: Mark { line: 1, column: 1 },
    }))
}

/// Reads one YAML document into a [`Value`].
pub fn from_str(text: &str) -> Result<Value> {
    parse(text).map(|n| n.to_value())
}

fn mark_of(span: Span) -> Mark {
    Mark {
        line: span.start.line(),
        column: span.start.col() + 1,
    }
}

fn yaml_error(span: Span, reason: impl Into<String>) -> Error {
    let mark = mark_of(span);
    Error::Yaml {
        line: mark.line,
        column: mark.column,
        reason: reason.into(),
    }
}

enum Open {
    Sequence(Node, usize),
    /// The mapping, its anchor, and a key waiting for its value.
    Mapping(Node, usize, Option<Node>),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
    nodes: usize,
}

fn core_tag(tag: &Option<Cow<'_, Tag>>) -> Option<String> {
    let tag = tag.as_ref()?;
    if tag.handle == "tag:yaml.org,2002:" || tag.handle == "!!" {
        Some(tag.suffix.clone())
    } else {
        Some(format!("{}{}", tag.handle, tag.suffix))
    }
}

fn count(node: &Node) -> usize {
    match &node.value {
        NodeValue::Sequence(items) => 1 + items.iter().map(count).sum::<usize>(),
        NodeValue::Mapping(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| count(k) + count(v))
                .sum::<usize>()
        }
        _ => 1,
    }
}

impl Builder {
    fn event(&mut self, event: Event<'_>, span: Span) -> Result<()> {
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let node = Node {
                    value: scalar(&text, style, &tag, span)?,
                    mark: mark_of(span),
                };
                self.finish(node, anchor, span)
            }
            Event::Alias(id) => {
                let node = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| yaml_error(span, "alias to an unknown anchor"))?;
                self.nodes = self.nodes.saturating_add(count(&node));
                if self.nodes > MAX_NODES {
                    return Err(yaml_error(span, "aliases expand to too many nodes"));
                }
                self.finish(node, 0, span)
            }
            Event::SequenceStart(anchor, tag) => {
                check_collection_tag(&tag, "seq", span)?;
                self.check_depth(span)?;
                let node = Node {
                    value: NodeValue::Sequence(Vec::new()),
                    mark: mark_of(span),
                };
                self.stack.push(Open::Sequence(node, anchor));
                Ok(())
            }
            Event::MappingStart(anchor, tag) => {
                check_collection_tag(&tag, "map", span)?;
                self.check_depth(span)?;
                let node = Node {
                    value: NodeValue::Mapping(Vec::new()),
                    mark: mark_of(span),
                };
                self.stack.push(Open::Mapping(node, anchor, None));
                Ok(())
            }
            Event::SequenceEnd => match self.stack.pop() {
                Some(Open::Sequence(node, anchor)) => self.finish(node, anchor, span),
                _ => Err(yaml_error(span, "unbalanced sequence end")),
            },
            Event::MappingEnd => match self.stack.pop() {
                Some(Open::Mapping(node, anchor, None)) => self.finish(node, anchor, span),
                _ => Err(yaml_error(span, "unbalanced mapping end")),
            },
            _ => Ok(()),
        }
    }

    fn check_depth(&self, span: Span) -> Result<()> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(yaml_error(
                span,
                format!("collections nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    fn finish(&mut self, node: Node, anchor: usize, span: Span) -> Result<()> {
        self.nodes = self.nodes.saturating_add(1);
        if self.nodes > MAX_NODES {
            return Err(yaml_error(span, "document has too many nodes"));
        }
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        let key_position = matches!(self.stack.last(), Some(Open::Mapping(_, _, None)));
        if is_merge_key(&node) && !key_position {
            return Err(yaml_error(
                span,
                "a merge key `<<` may only be a mapping key",
            ));
        }
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
                Ok(())
            }
            Some(Open::Sequence(seq, _)) => {
                if let NodeValue::Sequence(items) = &mut seq.value {
                    items.push(node);
                }
                Ok(())
            }
            Some(Open::Mapping(_, _, pending @ None)) => {
                if matches!(node.value, NodeValue::Sequence(_) | NodeValue::Mapping(_)) {
                    return Err(yaml_error(span, "found unhashable key"));
                }
                *pending = Some(node);
                Ok(())
            }
            Some(Open::Mapping(map, _, pending @ Some(_))) => {
                let Some(key) = pending.take() else {
                    return Ok(());
                };
                let NodeValue::Mapping(entries) = &mut map.value else {
                    return Ok(());
                };
                if is_merge_key(&key) {
                    merge(entries, node, span)
                } else {
                    insert(entries, key, node);
                    Ok(())
                }
            }
        }
    }
}

const MERGE: &str = "\u{0}<<merge>>";

fn is_merge_key(node: &Node) -> bool {
    node.as_str() == Some(MERGE)
}

fn insert(entries: &mut Vec<(Node, Node)>, key: Node, value: Node) {
    let same = |k: &Node| k.to_value() == key.to_value();
    match entries.iter_mut().find(|(k, _)| same(k)) {
        Some(entry) => entry.1 = value,
        None => entries.push((key, value)),
    }
}

/// `<<: *base` or `<<: [*a, *b]`: keys of the merged mappings that the
/// mapping does not set itself.
// Limitation: merged keys are placed where the merge key is met, while PyYAML
// puts them first; the data is the same, only the key order differs.
fn merge(entries: &mut Vec<(Node, Node)>, value: Node, span: Span) -> Result<()> {
    let sources = match value.value {
        NodeValue::Mapping(m) => vec![m],
        NodeValue::Sequence(items) => items
            .into_iter()
            .map(|item| match item.value {
                NodeValue::Mapping(m) => Ok(m),
                _ => Err(yaml_error(span, "a merge list may only hold mappings")),
            })
            .collect::<Result<Vec<_>>>()?,
        _ => {
            return Err(yaml_error(
                span,
                "a merge key needs a mapping or a list of mappings",
            ));
        }
    };
    for source in sources {
        for (k, v) in source {
            let present = entries.iter().any(|(e, _)| e.to_value() == k.to_value());
            if !present {
                entries.push((k, v));
            }
        }
    }
    Ok(())
}

fn check_collection_tag(tag: &Option<Cow<'_, Tag>>, expected: &str, span: Span) -> Result<()> {
    match core_tag(tag) {
        None => Ok(()),
        Some(t) if t == expected => Ok(()),
        Some(t) => Err(yaml_error(
            span,
            format!("tag !!{t} is not one a safe loader builds"),
        )),
    }
}

fn scalar(
    text: &str,
    style: ScalarStyle,
    tag: &Option<Cow<'_, Tag>>,
    span: Span,
) -> Result<NodeValue> {
    let resolved = match core_tag(tag).as_deref() {
        Some("str") => return Ok(NodeValue::String(text.to_string())),
        Some("null") | Some("bool") | Some("int") | Some("float") | Some("timestamp") => {
            let kind = core_tag(tag).unwrap_or_default();
            let r = resolve::plain(text);
            let ok = matches!(
                (kind.as_str(), &r),
                ("null", Plain::Null)
                    | ("bool", Plain::Bool(_))
                    | ("int", Plain::Int(_))
                    | ("float", Plain::Float(_) | Plain::Int(_))
                    | ("timestamp", Plain::Timestamp)
            );
            if !ok {
                return Err(yaml_error(
                    span,
                    format!("{text:?} is not a valid !!{kind}"),
                ));
            }
            match (kind.as_str(), r) {
                ("float", Plain::Int(Some(i))) => return Ok(NodeValue::Float(i as f64)),
                (_, r) => r,
            }
        }
        Some(other) => {
            return Err(yaml_error(
                span,
                format!("could not determine a constructor for the tag {other}"),
            ));
        }
        None if style != ScalarStyle::Plain => return Ok(NodeValue::String(text.to_string())),
        None => resolve::plain(text),
    };
    Ok(match resolved {
        Plain::Null => NodeValue::Null,
        Plain::Bool(b) => NodeValue::Bool(b),
        Plain::Int(Some(i)) => NodeValue::Int(i),
        Plain::Int(None) => {
            // Limitation: integers beyond 64 bits, which PyYAML reads, are refused.
            return Err(yaml_error(
                span,
                format!("integer {text} does not fit in 64 bits"),
            ));
        }
        Plain::Float(x) => NodeValue::Float(x),
        Plain::Timestamp => NodeValue::Timestamp(text.to_string()),
        Plain::Merge => NodeValue::String(MERGE.to_string()),
        Plain::ValueKey => {
            return Err(yaml_error(
                span,
                "could not determine a constructor for the tag tag:yaml.org,2002:value",
            ));
        }
        Plain::Str => NodeValue::String(text.to_string()),
    })
}
