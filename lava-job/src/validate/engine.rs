//! A small schema language over marked YAML nodes with the matching rules of
//! the Python library LAVA writes its job schema in (voluptuous): the first
//! schema key that accepts a data key is the only one tried, `Any` keeps the
//! deepest error of its alternatives, extra keys pass unless the schema is
//! strict, and Python's types decide what "int" means (a bool is one).

use crate::yaml::{Mark, Node, NodeValue};

use super::{Issue, IssueKind, Path, Severity};

/// One rule a node must follow.
#[derive(Debug, Clone)]
pub(crate) enum Schema {
    /// Anything at all.
    Anything,
    /// A string.
    Str,
    /// A Python int: an integer or a bool.
    Int,
    /// A bool.
    Bool,
    /// Any mapping.
    Dict,
    /// Null.
    Null,
    /// Exactly this string.
    Lit(&'static str),
    /// A number (or bool) within the bounds.
    Range { min: Option<i64>, max: Option<i64> },
    /// A string with this many characters.
    Length { min: usize, max: Option<usize> },
    /// A string the pattern accepts.
    Match(Pattern),
    /// The first alternative that passes; otherwise the deepest error, or
    /// the message if one is given.
    Any(Vec<Schema>, Option<&'static str>),
    /// Each in turn, stopping at the first failure.
    All(Vec<Schema>),
    /// A list whose items each pass one of the schemas.
    List(Vec<Schema>),
    /// A mapping; `closed` forces "no extra keys" whatever the mode.
    Map { keys: Vec<Key>, closed: bool },
    /// A LAVA timeout: one of days/hours/minutes/seconds and `skip`.
    Timeout,
    /// Anything but these strings.
    NotIn(&'static [&'static str]),
    /// The inner schema with its own error message.
    Msg(Box<Schema>, String),
}

/// How a schema key recognises data keys.
#[derive(Debug, Clone)]
pub(crate) enum KeyMatch {
    /// This exact string.
    Lit(&'static str),
    /// Any string.
    Str,
    /// One of these strings.
    In(Vec<String>),
    /// A string the pattern accepts.
    Match(Pattern),
    /// One of a fixed set of strings.
    OneOf(&'static [&'static str]),
    /// Any key.
    Extra,
}

/// One key of a mapping schema.
#[derive(Debug, Clone)]
pub(crate) struct Key {
    pub matcher: KeyMatch,
    pub required: bool,
    pub msg: Option<&'static str>,
    /// Keys sharing an exclusion group may not appear together.
    pub group: Option<&'static str>,
    pub value: Schema,
}

/// The regular expressions the schema uses, as hand-written matchers.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Pattern {
    /// `^[-_a-zA-Z0-9.]+$`: test and monitor names.
    TestName,
    /// `test_binary(_\w+)?$`.
    TestBinary,
    /// `deps-.+`.
    DepsDistro,
    /// Docker image names.
    DockerImage,
}

/// Python's `$` also matches before one final newline.
fn strip_final_newline(s: &str) -> &str {
    s.strip_suffix('\n').unwrap_or(s)
}

impl Pattern {
    pub(crate) fn matches(self, s: &str) -> bool {
        match self {
            Pattern::TestName => {
                let s = strip_final_newline(s);
                !s.is_empty()
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            }
            Pattern::TestBinary => {
                let s = strip_final_newline(s);
                match s.strip_prefix("test_binary") {
                    Some("") => true,
                    Some(rest) => rest.strip_prefix('_').is_some_and(|w| {
                        !w.is_empty() && w.chars().all(|c| c.is_alphanumeric() || c == '_')
                    }),
                    None => false,
                }
            }
            Pattern::DepsDistro => s
                .strip_prefix("deps-")
                .is_some_and(|rest| rest.chars().next().is_some_and(|c| c != '\n')),
            Pattern::DockerImage => docker_image(strip_final_newline(s)),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Pattern::TestName => "only letters, digits, '-', '_' and '.'",
            Pattern::TestBinary => "test_binary or test_binary_<word>",
            Pattern::DepsDistro => "deps-<distribution>",
            Pattern::DockerImage => "a docker image name",
        }
    }
}

/// `^[a-z0-9]+[a-z0-9._/:-]*[a-z0-9]+(:[a-zA-Z0-9_]+[a-zA-Z0-9._-]*)?$`,
/// tried at every split between the name and an optional `:tag`.
fn docker_image(s: &str) -> bool {
    let name_ok = |n: &str| {
        let b = n.as_bytes();
        b.len() >= 2
            && b.iter().all(|c| {
                c.is_ascii_lowercase()
                    || c.is_ascii_digit()
                    || matches!(c, b'.' | b'_' | b'/' | b':' | b'-')
            })
            && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
            && (b[b.len() - 1].is_ascii_lowercase() || b[b.len() - 1].is_ascii_digit())
    };
    let tag_ok = |t: &str| {
        let b = t.as_bytes();
        !b.is_empty()
            && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
    };
    if name_ok(s) {
        return true;
    }
    s.match_indices(':')
        .any(|(at, _)| name_ok(&s[..at]) && tag_ok(&s[at + 1..]))
}

/// Errors and warnings found so far.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    pub issues: Vec<Issue>,
}

impl Findings {
    fn errors(&self) -> usize {
        self.issues
            .iter()
            .filter(|i| i.severity == Severity::Error)
            .count()
    }

    pub(crate) fn error(
        &mut self,
        kind: IssueKind,
        path: &Path,
        mark: Mark,
        message: impl Into<String>,
    ) {
        self.issues.push(Issue::new(
            kind,
            Severity::Error,
            path,
            mark,
            message.into(),
        ));
    }

    pub(crate) fn warn(
        &mut self,
        kind: IssueKind,
        path: &Path,
        mark: Mark,
        message: impl Into<String>,
    ) {
        self.issues.push(Issue::new(
            kind,
            Severity::Warning,
            path,
            mark,
            message.into(),
        ));
    }
}

/// Checks one node against a schema.
pub(crate) struct Checker {
    /// Extra keys are errors (LAVA's strict mode).
    pub strict: bool,
}

fn python_type(node: &Node) -> &'static str {
    match node.value {
        NodeValue::Null => "None",
        NodeValue::Bool(_) => "bool",
        NodeValue::Int(_) => "int",
        NodeValue::Float(_) => "float",
        NodeValue::String(_) => "str",
        NodeValue::Timestamp(_) => "date",
        NodeValue::Sequence(_) => "list",
        NodeValue::Mapping(_) => "dict",
    }
}

fn key_text(node: &Node) -> String {
    match &node.value {
        NodeValue::String(s) | NodeValue::Timestamp(s) => s.clone(),
        NodeValue::Int(i) => i.to_string(),
        NodeValue::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        NodeValue::Float(x) => x.to_string(),
        NodeValue::Null => "None".to_string(),
        _ => "?".to_string(),
    }
}

impl Checker {
    pub(crate) fn check(&self, schema: &Schema, node: &Node, path: &Path, out: &mut Findings) {
        let fail = |out: &mut Findings, msg: String| {
            out.error(IssueKind::Schema, path, node.mark, msg);
        };
        match schema {
            Schema::Anything => {}
            Schema::Str => {
                if !matches!(node.value, NodeValue::String(_)) {
                    fail(
                        out,
                        format!("expected a string, found {}", python_type(node)),
                    );
                }
            }
            Schema::Int => {
                if !matches!(node.value, NodeValue::Int(_) | NodeValue::Bool(_)) {
                    fail(
                        out,
                        format!("expected an integer, found {}", python_type(node)),
                    );
                }
            }
            Schema::Bool => {
                if !matches!(node.value, NodeValue::Bool(_)) {
                    fail(
                        out,
                        format!("expected a boolean, found {}", python_type(node)),
                    );
                }
            }
            Schema::Dict => {
                if !matches!(node.value, NodeValue::Mapping(_)) {
                    fail(
                        out,
                        format!("expected a mapping, found {}", python_type(node)),
                    );
                }
            }
            Schema::Null => {
                if !matches!(node.value, NodeValue::Null) {
                    fail(out, format!("expected null, found {}", python_type(node)));
                }
            }
            Schema::Lit(want) => {
                if node.as_str() != Some(want) {
                    fail(out, format!("expected {want:?}"));
                }
            }
            Schema::Range { min, max } => self.range(*min, *max, node, path, out),
            Schema::Length { min, max } => {
                let n = match &node.value {
                    NodeValue::String(s) => s.chars().count(),
                    NodeValue::Sequence(items) => items.len(),
                    NodeValue::Mapping(entries) => entries.len(),
                    _ => return fail(out, format!("{} has no length", python_type(node))),
                };
                if n < *min {
                    fail(out, format!("length of value must be at least {min}"));
                } else if max.is_some_and(|m| n > m) {
                    fail(
                        out,
                        format!("length of value must be at most {}", max.unwrap_or(0)),
                    );
                }
            }
            Schema::Match(p) => match node.as_str() {
                Some(s) if p.matches(s) => {}
                Some(s) => fail(out, format!("{s:?} does not match: {}", p.describe())),
                None => fail(
                    out,
                    format!("expected a string, found {}", python_type(node)),
                ),
            },
            Schema::Any(alternatives, msg) => self.any(alternatives, *msg, node, path, out),
            Schema::All(steps) => {
                for step in steps {
                    let before = out.errors();
                    self.check(step, node, path, out);
                    if out.errors() > before {
                        break;
                    }
                }
            }
            Schema::List(items) => self.list(items, node, path, out),
            Schema::Map { keys, closed } => self.map(keys, *closed, node, path, out),
            Schema::Timeout => self.timeout(node, path, out),
            Schema::NotIn(refused) => {
                if node.as_str().is_some_and(|s| refused.contains(&s)) {
                    fail(
                        out,
                        format!("{:?} is not allowed here", node.as_str().unwrap_or("")),
                    );
                }
            }
            Schema::Msg(inner, msg) => {
                let mut sub = Findings::default();
                self.check(inner, node, path, &mut sub);
                if sub.errors() > 0 {
                    fail(out, msg.clone());
                } else {
                    out.issues.extend(sub.issues);
                }
            }
        }
    }

    fn range(
        &self,
        min: Option<i64>,
        max: Option<i64>,
        node: &Node,
        path: &Path,
        out: &mut Findings,
    ) {
        let (number, lax) = match node.value {
            NodeValue::Int(i) => (i as f64, None),
            NodeValue::Bool(b) => (if b { 1.0 } else { 0.0 }, Some("a boolean")),
            NodeValue::Float(x) => (x, Some("a float")),
            _ => {
                return out.error(
                    IssueKind::Schema,
                    path,
                    node.mark,
                    format!("expected an integer, found {}", python_type(node)),
                );
            }
        };
        if let Some(min) = min.filter(|m| number.is_nan() || number < *m as f64) {
            return out.error(
                IssueKind::Schema,
                path,
                node.mark,
                format!("value must be at least {min}"),
            );
        }
        if let Some(max) = max.filter(|m| number.is_nan() || number > *m as f64) {
            return out.error(
                IssueKind::Schema,
                path,
                node.mark,
                format!("value must be at most {max}"),
            );
        }
        if let Some(what) = lax {
            out.warn(
                IssueKind::Lax,
                path,
                node.mark,
                format!("{what} where an integer belongs; LAVA accepts it as a number"),
            );
        }
    }

    fn any(
        &self,
        alternatives: &[Schema],
        msg: Option<&'static str>,
        node: &Node,
        path: &Path,
        out: &mut Findings,
    ) {
        let mut deepest: Option<Findings> = None;
        for alternative in alternatives {
            let mut sub = Findings::default();
            self.check(alternative, node, path, &mut sub);
            if sub.errors() == 0 {
                out.issues.extend(sub.issues);
                return;
            }
            let depth = |f: &Findings| {
                f.issues
                    .iter()
                    .find(|i| i.severity == Severity::Error)
                    .map_or(0, |i| i.depth)
            };
            if deepest.as_ref().is_none_or(|d| depth(&sub) > depth(d)) {
                deepest = Some(sub);
            }
        }
        match (msg, deepest) {
            (Some(msg), _) => out.error(IssueKind::Schema, path, node.mark, msg),
            (None, None) => out.error(IssueKind::Schema, path, node.mark, "no alternative matches"),
            (None, Some(d)) => out.issues.extend(
                d.issues
                    .into_iter()
                    .filter(|i| i.severity == Severity::Error),
            ),
        }
    }

    fn list(&self, items: &[Schema], node: &Node, path: &Path, out: &mut Findings) {
        let Some(values) = node.items() else {
            return out.error(
                IssueKind::Schema,
                path,
                node.mark,
                format!("expected a list, found {}", python_type(node)),
            );
        };
        for (index, value) in values.iter().enumerate() {
            let item_path = path.index(index);
            if items.len() == 1 {
                self.check(&items[0], value, &item_path, out);
            } else {
                self.any(items, None, value, &item_path, out);
            }
        }
    }

    fn map(&self, keys: &[Key], closed: bool, node: &Node, path: &Path, out: &mut Findings) {
        let Some(entries) = node.entries() else {
            return out.error(
                IssueKind::Schema,
                path,
                node.mark,
                format!("expected a dictionary, found {}", python_type(node)),
            );
        };
        let extra_allowed = !self.strict && !closed;
        let mut found = vec![false; keys.len()];
        let mut groups: Vec<(&'static str, String)> = Vec::new();

        for (k, v) in entries {
            let key_path = path.key(&key_text(k));
            let literal = keys.iter().enumerate().filter(
                |(_, key)| matches!(key.matcher, KeyMatch::Lit(l) if k.as_str() == Some(l)),
            );
            let general = keys
                .iter()
                .enumerate()
                .filter(|(_, key)| !matches!(key.matcher, KeyMatch::Lit(_) | KeyMatch::Extra));
            let extra = keys
                .iter()
                .enumerate()
                .filter(|(_, key)| matches!(key.matcher, KeyMatch::Extra));
            let chosen = literal
                .chain(general)
                .chain(extra)
                .find(|(_, key)| accepts(&key.matcher, k));

            match chosen {
                Some((index, key)) => {
                    found[index] = true;
                    if let Some(group) = key.group {
                        if let Some((_, other)) = groups.iter().find(|(g, _)| *g == group) {
                            out.error(
                                IssueKind::Schema,
                                &key_path,
                                k.mark,
                                format!("{:?} and {other:?} may not be used together", key_text(k)),
                            );
                        }
                        groups.push((group, key_text(k)));
                    }
                    self.check(&key.value, v, &key_path, out);
                }
                None if extra_allowed => {
                    if !matches!(k.value, NodeValue::String(_)) {
                        out.warn(
                            IssueKind::Lax,
                            &key_path,
                            k.mark,
                            format!(
                                "key {} is a {}, not a string; LAVA lets it pass only outside strict mode",
                                key_text(k),
                                python_type(k)
                            ),
                        );
                    }
                }
                None => {
                    let message = match keys.iter().find_map(|key| match &key.matcher {
                        KeyMatch::In(allowed) => Some(allowed),
                        _ => None,
                    }) {
                        Some(_) => format!("{:?} is not a known variable", key_text(k)),
                        None => "extra keys not allowed".to_string(),
                    };
                    out.error(IssueKind::UnknownKey, &key_path, k.mark, message);
                }
            }
        }

        for (index, key) in keys.iter().enumerate() {
            if key.required && !found[index] {
                let key_path = match &key.matcher {
                    KeyMatch::Lit(l) => path.key(l),
                    _ => path.clone(),
                };
                out.error(
                    IssueKind::Schema,
                    &key_path,
                    node.mark,
                    key.msg
                        .map_or_else(|| "required key not provided".to_string(), str::to_string),
                );
            }
        }
    }

    fn timeout(&self, node: &Node, path: &Path, out: &mut Findings) {
        const UNITS: [&str; 4] = ["days", "hours", "minutes", "seconds"];
        let alternatives: Vec<Schema> = UNITS
            .iter()
            .map(|unit| Schema::Map {
                keys: vec![
                    Key {
                        matcher: KeyMatch::Lit(unit),
                        required: true,
                        msg: None,
                        group: None,
                        value: Schema::Range {
                            min: Some(1),
                            max: None,
                        },
                    },
                    Key {
                        matcher: KeyMatch::Lit("skip"),
                        required: false,
                        msg: None,
                        group: None,
                        value: Schema::Bool,
                    },
                ],
                closed: false,
            })
            .collect();
        let mut sub = Findings::default();
        self.any(&alternatives, None, node, path, &mut sub);
        if sub.errors() == 0 {
            out.issues.extend(sub.issues);
            let units: Vec<&str> = UNITS
                .iter()
                .copied()
                .filter(|u| node.get(u).is_some())
                .collect();
            if units.len() > 1 {
                out.warn(
                    IssueKind::Lax,
                    path,
                    node.mark,
                    format!(
                        "timeout gives {}; LAVA accepts several units outside strict mode and adds them up",
                        units.join(" and ")
                    ),
                );
            }
            return;
        }
        let Some(entries) = node.entries() else {
            return out.error(
                IssueKind::Schema,
                path,
                node.mark,
                format!("a timeout is a mapping, found {}", python_type(node)),
            );
        };
        let present: Vec<&(Node, Node)> = entries
            .iter()
            .filter(|(k, _)| k.as_str().is_some_and(|s| UNITS.contains(&s)))
            .collect();
        match present.as_slice() {
            [(k, v)] if !self.range_ok(v) => out.error(
                IssueKind::Schema,
                &path.key(&key_text(k)),
                v.mark,
                format!("expected an integer of at least 1, found {}", describe(v)),
            ),
            _ => out.error(
                IssueKind::Schema,
                path,
                node.mark,
                "a timeout needs exactly one of days, hours, minutes or seconds (an integer of at least 1) and optionally skip (a boolean)",
            ),
        }
    }

    fn range_ok(&self, node: &Node) -> bool {
        let mut f = Findings::default();
        self.range(Some(1), None, node, &Path::default(), &mut f);
        f.errors() == 0
    }
}

fn describe(node: &Node) -> String {
    match &node.value {
        NodeValue::Int(i) => i.to_string(),
        NodeValue::String(s) => format!("{s:?}"),
        _ => python_type(node).to_string(),
    }
}

fn accepts(matcher: &KeyMatch, key: &Node) -> bool {
    match matcher {
        KeyMatch::Lit(l) => key.as_str() == Some(l),
        KeyMatch::Str => key.as_str().is_some(),
        KeyMatch::In(allowed) => key.as_str().is_some_and(|s| allowed.iter().any(|a| a == s)),
        KeyMatch::Match(p) => key.as_str().is_some_and(|s| p.matches(s)),
        KeyMatch::OneOf(allowed) => key.as_str().is_some_and(|s| allowed.contains(&s)),
        KeyMatch::Extra => true,
    }
}
