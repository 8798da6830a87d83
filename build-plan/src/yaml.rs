//! YAML as TuxSuite reads it: PyYAML's `safe_load` rules (YAML 1.1 scalars:
//! `yes`/`off` are booleans, `017` is octal, `1e3` is a string, `<<` merges),
//! with the line and column of every node kept for error messages.

use indexmap::IndexMap;
use saphyr_parser::{Event, Parser, ScalarStyle};

use crate::error::{Error, Result};

/// A YAML value with Python's types.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `~`, `null`, empty.
    Null,
    /// `true`, `yes`, `on`, ...
    Bool(bool),
    /// Integers (decimal, `0x`, `0b`, octal `0..`, sexagesimal).
    Int(i64),
    /// Floats (with a dot, or `.inf`/`.nan`).
    Float(f64),
    /// Everything else.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping; a repeated key keeps its first position and last value.
    Map(IndexMap<String, Node>),
}

/// A value and where it starts (1-based).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Line.
    pub line: usize,
    /// Column.
    pub column: usize,
}

impl Node {
    /// What Python's `str()` prints for this value.
    pub fn py_str(&self) -> String {
        match &self.value {
            Value::Null => "None".into(),
            Value::Bool(true) => "True".into(),
            Value::Bool(false) => "False".into(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => py_float(*f),
            Value::Str(s) => s.clone(),
            Value::Seq(items) => {
                let inner: Vec<String> = items.iter().map(Node::py_repr).collect();
                format!("[{}]", inner.join(", "))
            }
            Value::Map(map) => {
                let inner: Vec<String> = map
                    .iter()
                    .map(|(k, v)| format!("{}: {}", py_repr_str(k), v.py_repr()))
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
        }
    }

    fn py_repr(&self) -> String {
        match &self.value {
            Value::Str(s) => py_repr_str(s),
            _ => self.py_str(),
        }
    }

    /// Python truthiness.
    pub fn truthy(&self) -> bool {
        match &self.value {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::Seq(v) => !v.is_empty(),
            Value::Map(m) => !m.is_empty(),
        }
    }

    /// The string, when this is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The mapping, when this is one.
    pub fn as_map(&self) -> Option<&IndexMap<String, Node>> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The sequence, when this is one.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// Python's type name, for messages.
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Seq(_) => "list",
            Value::Map(_) => "dict",
        }
    }

    /// As JSON, keeping Python's types.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(J::Number)
                .unwrap_or(J::Null),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(map) => {
                J::Object(map.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
        }
    }

    /// A node from JSON (line/column 0: made, not read).
    pub fn from_json(value: &serde_json::Value) -> Node {
        use serde_json::Value as J;
        let value = match value {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(0.0)),
            },
            J::String(s) => Value::Str(s.clone()),
            J::Array(items) => Value::Seq(items.iter().map(Node::from_json).collect()),
            J::Object(map) => Value::Map(
                map.iter()
                    .map(|(k, v)| (k.clone(), Node::from_json(v)))
                    .collect(),
            ),
        };
        Node {
            value,
            line: 0,
            column: 0,
        }
    }
}

fn py_repr_str(s: &str) -> String {
    if s.contains('\'') && !s.contains('"') {
        format!("\"{s}\"")
    } else {
        format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

fn py_float(f: f64) -> String {
    if f.is_nan() {
        "nan".into()
    } else if f.is_infinite() {
        if f > 0.0 { "inf".into() } else { "-inf".into() }
    } else if f.fract() == 0.0 && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

fn is_null(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => Some(true),
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

fn parse_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return None;
    }
    let digits_ok =
        |t: &str, radix: u32| !t.is_empty() && t.chars().all(|c| c == '_' || c.is_digit(radix));
    let value = if let Some(b) = body.strip_prefix("0b") {
        if !digits_ok(b, 2) {
            return None;
        }
        i64::from_str_radix(&b.replace('_', ""), 2).ok()?
    } else if let Some(h) = body.strip_prefix("0x") {
        if !digits_ok(h, 16) {
            return None;
        }
        i64::from_str_radix(&h.replace('_', ""), 16).ok()?
    } else if body == "0" {
        0
    } else if let Some(o) = body.strip_prefix('0') {
        if !digits_ok(o, 8) {
            return None;
        }
        i64::from_str_radix(&o.replace('_', ""), 8).ok()?
    } else if body.contains(':') {
        // Sexagesimal: 1:20 == 80.
        let mut parts = body.split(':');
        let first = parts.next()?;
        if !first.starts_with(|c: char| ('1'..='9').contains(&c)) || !digits_ok(first, 10) {
            return None;
        }
        let mut total: i64 = first.replace('_', "").parse().ok()?;
        for p in parts {
            if p.is_empty() || p.len() > 2 || !p.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let v: i64 = p.parse().ok()?;
            if v > 59 || (p.len() == 2 && p.starts_with(|c: char| c > '5')) {
                return None;
            }
            total = total.checked_mul(60)?.checked_add(v)?;
        }
        total
    } else {
        if !body.starts_with(|c: char| ('1'..='9').contains(&c)) || !digits_ok(body, 10) {
            return None;
        }
        body.replace('_', "").parse().ok()?
    };
    Some(if neg { -value } else { value })
}

fn parse_float(s: &str) -> Option<f64> {
    let (sign, body) = match s.as_bytes().first() {
        Some(b'-') => (-1.0, &s[1..]),
        Some(b'+') => (1.0, &s[1..]),
        _ => (1.0, s),
    };
    if matches!(body, ".inf" | ".Inf" | ".INF") {
        return Some(sign * f64::INFINITY);
    }
    if matches!(s, ".nan" | ".NaN" | ".NAN") {
        return Some(f64::NAN);
    }
    // PyYAML needs a dot: [0-9][0-9_]*.[0-9_]*([eE][-+][0-9]+)? or .[0-9_]+(...)?
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int_part, frac_part) = mantissa.split_once('.')?;
    let int_ok = int_part.is_empty() && sign > 0.0 && s.starts_with('.')
        || (int_part.starts_with(|c: char| c.is_ascii_digit())
            && int_part.chars().all(|c| c.is_ascii_digit() || c == '_'));
    let frac_ok = frac_part.chars().all(|c| c.is_ascii_digit() || c == '_')
        && (!int_part.is_empty() || !frac_part.is_empty());
    let exp_ok = match exponent {
        None => true,
        Some(e) => {
            e.len() > 1 && e.starts_with(['-', '+']) && e[1..].chars().all(|c| c.is_ascii_digit())
        }
    };
    if !(int_ok && frac_ok && exp_ok) {
        return None;
    }
    let text = body.replace('_', "");
    let text = if text.starts_with('.') {
        format!("0{text}")
    } else {
        text
    };
    let text = text.replace(".e", ".0e").replace(".E", ".0E");
    let text = if text.ends_with('.') {
        format!("{text}0")
    } else {
        text
    };
    text.parse::<f64>().ok().map(|v| sign * v)
}

fn resolve_plain(s: &str) -> Value {
    if is_null(s) {
        Value::Null
    } else if let Some(b) = parse_bool(s) {
        Value::Bool(b)
    } else if let Some(i) = parse_int(s) {
        Value::Int(i)
    } else if let Some(f) = parse_float(s) {
        Value::Float(f)
    } else {
        Value::Str(s.to_string())
    }
}

/// Most nodes a document may expand to (aliases included): a small file
/// must not be able to expand to gigabytes through nested aliases.
pub const MAX_NODES: usize = 1_000_000;

struct Loader<'a> {
    source_name: &'a str,
    anchors: std::collections::HashMap<usize, (Node, usize)>,
    nodes: usize,
}

fn count_nodes(node: &Node) -> usize {
    1 + match &node.value {
        Value::Seq(items) => items.iter().map(count_nodes).sum(),
        Value::Map(map) => map.values().map(count_nodes).sum::<usize>() + map.len(),
        _ => 0,
    }
}

impl Loader<'_> {
    fn err(&self, line: usize, column: usize, reason: impl Into<String>) -> Error {
        Error::Yaml {
            source_name: self.source_name.to_string(),
            line,
            column,
            reason: reason.into(),
        }
    }

    fn node<'i>(
        &mut self,
        parser: &mut Parser<'i, saphyr_parser::StrInput<'i>>,
        first: Event<'i>,
        line: usize,
        column: usize,
        depth: usize,
    ) -> Result<Node> {
        if depth > 256 {
            return Err(self.err(line, column, "nesting too deep"));
        }
        match first {
            Event::Alias(id) => {
                let (node, size) = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| self.err(line, column, "unknown alias"))?;
                self.charge(size, line, column)?;
                Ok(node)
            }
            Event::Scalar(text, style, anchor, tag) => {
                let value = match (&tag, style) {
                    (Some(t), _) if t.suffix == "str" => Value::Str(text.to_string()),
                    (_, ScalarStyle::Plain) => resolve_plain(&text),
                    _ => Value::Str(text.to_string()),
                };
                self.charge(1, line, column)?;
                let node = Node {
                    value,
                    line,
                    column,
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, (node.clone(), 1));
                }
                Ok(node)
            }
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                loop {
                    let (ev, l, c) = self.next(parser)?;
                    if matches!(ev, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(parser, ev, l, c, depth + 1)?);
                }
                self.charge(1, line, column)?;
                let node = Node {
                    value: Value::Seq(items),
                    line,
                    column,
                };
                if anchor > 0 {
                    let size = count_nodes(&node);
                    self.anchors.insert(anchor, (node.clone(), size));
                }
                Ok(node)
            }
            Event::MappingStart(anchor, _) => {
                let mut map: IndexMap<String, Node> = IndexMap::new();
                let mut merged: IndexMap<String, Node> = IndexMap::new();
                // Later merge sources do not override earlier ones.
                loop {
                    let (ev, l, c) = self.next(parser)?;
                    if matches!(ev, Event::MappingEnd) {
                        break;
                    }
                    let key = self.node(parser, ev, l, c, depth + 1)?;
                    let (ev, vl, vc) = self.next(parser)?;
                    let value = self.node(parser, ev, vl, vc, depth + 1)?;
                    let key_text = match &key.value {
                        Value::Str(s) if s == "<<" => {
                            // Merge key: explicit keys win over merged ones.
                            let sources = match &value.value {
                                Value::Map(_) => vec![value],
                                Value::Seq(items) => items.clone(),
                                _ => {
                                    return Err(self.err(
                                        vl,
                                        vc,
                                        "<< expects a mapping or a list of mappings",
                                    ));
                                }
                            };
                            for src in sources {
                                let Value::Map(m) = src.value else {
                                    return Err(self.err(
                                        src.line,
                                        src.column,
                                        "<< expects mappings",
                                    ));
                                };
                                for (k, v) in m {
                                    merged.entry(k).or_insert(v);
                                }
                            }
                            continue;
                        }
                        Value::Seq(_) | Value::Map(_) => {
                            return Err(self.err(
                                l,
                                c,
                                "a list or mapping cannot be a mapping key",
                            ));
                        }
                        _ => key.py_str(),
                    };
                    map.insert(key_text, value);
                }
                // PyYAML puts merged keys first; explicit keys then override.
                for (k, v) in map {
                    merged.insert(k, v);
                }
                self.charge(1, line, column)?;
                let node = Node {
                    value: Value::Map(merged),
                    line,
                    column,
                };
                if anchor > 0 {
                    let size = count_nodes(&node);
                    self.anchors.insert(anchor, (node.clone(), size));
                }
                Ok(node)
            }
            _ => Err(self.err(line, column, "unexpected YAML event")),
        }
    }

    fn charge(&mut self, n: usize, line: usize, column: usize) -> Result<()> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(self.err(
                line,
                column,
                format!("document expands to more than {MAX_NODES} nodes"),
            ));
        }
        Ok(())
    }

    fn next<'i>(
        &self,
        parser: &mut Parser<'i, saphyr_parser::StrInput<'i>>,
    ) -> Result<(Event<'i>, usize, usize)> {
        match parser.next_event() {
            Some(Ok((ev, span))) => Ok((ev, span.start.line(), span.start.col() + 1)),
            Some(Err(e)) => {
                let m = e.marker();
                Err(self.err(m.line(), m.col() + 1, e.info().to_string()))
            }
            None => Err(self.err(0, 0, "unexpected end of input")),
        }
    }
}

/// Loads the first YAML document of `text` (`None` for an empty stream),
/// like `yaml.safe_load`.
pub fn load(text: &str, source_name: &str) -> Result<Option<Node>> {
    let mut parser = Parser::new_from_str(text);
    let mut loader = Loader {
        source_name,
        anchors: Default::default(),
        nodes: 0,
    };
    loop {
        let (ev, line, column) = loader.next(&mut parser)?;
        match ev {
            Event::StreamStart | Event::DocumentStart(_) | Event::Nothing => continue,
            Event::StreamEnd => return Ok(None),
            Event::DocumentEnd => continue,
            other => {
                let node = loader.node(&mut parser, other, line, column, 0)?;
                // A second document is an error for safe_load.
                loop {
                    let (ev, l, c) = loader.next(&mut parser)?;
                    match ev {
                        Event::DocumentEnd | Event::Nothing => continue,
                        Event::StreamEnd => return Ok(Some(node)),
                        _ => {
                            return Err(loader.err(
                                l,
                                c,
                                "expected a single document in the stream",
                            ));
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(s: &str) -> Value {
        load(&format!("x: {s}\n"), "t")
            .unwrap()
            .unwrap()
            .as_map()
            .unwrap()["x"]
            .value
            .clone()
    }

    #[test]
    fn plain_scalars_resolve_like_pyyaml() {
        assert_eq!(scalar("1"), Value::Int(1));
        assert_eq!(scalar("0"), Value::Int(0));
        assert_eq!(scalar("017"), Value::Int(15));
        assert_eq!(scalar("0x1f"), Value::Int(31));
        assert_eq!(scalar("1:20"), Value::Int(80));
        assert_eq!(scalar("1_000"), Value::Int(1000));
        assert_eq!(scalar("1e3"), Value::Str("1e3".into()));
        assert_eq!(scalar("1.5"), Value::Float(1.5));
        assert_eq!(scalar("off"), Value::Bool(false));
        assert_eq!(scalar("Yes"), Value::Bool(true));
        assert_eq!(scalar("y"), Value::Str("y".into()));
        assert_eq!(scalar("~"), Value::Null);
        assert_eq!(scalar("'1'"), Value::Str("1".into()));
        assert_eq!(scalar("08"), Value::Str("08".into()));
    }

    #[test]
    fn python_str_of_values() {
        let n = |v| Node {
            value: v,
            line: 0,
            column: 0,
        };
        assert_eq!(n(Value::Bool(true)).py_str(), "True");
        assert_eq!(n(Value::Float(1.0)).py_str(), "1.0");
        assert_eq!(n(Value::Null).py_str(), "None");
    }

    #[test]
    fn anchors_and_merge_keys() {
        let doc = load("a: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n", "t")
            .unwrap()
            .unwrap();
        let c = doc.as_map().unwrap()["c"].as_map().unwrap().clone();
        assert_eq!(c["x"].value, Value::Int(1));
        assert_eq!(c["y"].value, Value::Int(3));
    }

    #[test]
    fn nested_aliases_cannot_explode() {
        let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            doc.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n", p = i - 1));
        }
        let err = load(&doc, "bomb.yaml").unwrap_err().to_string();
        assert!(err.contains("more than"), "{err}");
    }

    #[test]
    fn syntax_errors_carry_a_line() {
        let err = load("a: [1, 2\nb: 3\n", "plan.yaml").unwrap_err();
        assert!(err.to_string().starts_with("plan.yaml:"), "{err}");
    }
}
