//! Checking a job the way LAVA checks it: first its schema (strict or not),
//! then the cross checks the schema runs, then what LAVA's server and
//! dispatcher would refuse later although the schema lets it through.
//!
//! ```
//! use lava_job::validate::{validate_str, Options};
//!
//! let job = "job_name: demo\ndevice_type: qemu\nvisibility: public\n\
//!            timeouts: {job: {minutes: 10}}\n\
//!            actions:\n- boot: {method: qemu, timeout: {minutes: 0}}\n";
//! let report = validate_str(job, &Options::default());
//! assert!(!report.lava_accepts());
//! assert_eq!(report.issues[0].to_string(),
//!            "actions[0].boot.timeout.minutes, line 6: expected an integer of at least 1, found 0");
//! ```

mod dispatcher;
mod engine;
mod schema;

use std::fmt;

use crate::yaml::{self, Mark, Node, NodeValue};
use engine::{Checker, Findings};
use schema::TestShape;

pub use schema::{BOOT_METHODS, CONTEXT_VARIABLES, DEPLOY_TO};

/// How to validate.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Refuse keys the schema does not know (LAVA's `--strict`).
    pub strict: bool,
    /// Context variable names a LAVA server adds to the standard ones
    /// (`EXTRA_CONTEXT_VARIABLES` in its settings).
    pub extra_context_variables: Vec<String>,
}

/// How bad an issue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The job would be refused.
    Error,
    /// LAVA accepts this, but it is probably not what was meant.
    Warning,
}

/// What kind of problem an issue is; serialised as [`IssueKind::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IssueKind {
    /// The text is not YAML LAVA can load.
    Yaml,
    /// A value breaks a rule of LAVA's schema.
    Schema,
    /// A key the schema does not know (an error in strict mode only).
    UnknownKey,
    /// An action LAVA has no schema for (`deploy: to:`, `boot: method:`, or
    /// a test without definitions, interactive, monitors or services).
    UnknownAction,
    /// A timeout longer than the job's.
    TimeoutAboveJob,
    /// A multinode rule: roles on every action, no top-level device_type,
    /// context, environment or tags with multinode, device_type without it.
    Multinode,
    /// Namespaces on some actions but not all.
    Namespace,
    /// Accepted by LAVA only because its schema is lax (a warning).
    Lax,
    /// A test definition or service name LAVA's dispatcher refuses
    /// (it allows letters, digits, `_` and `-`; the schema also lets `.` by).
    TestDefinitionName,
    /// The same test definition or service name twice in one namespace,
    /// which LAVA's dispatcher refuses.
    DuplicateTestName,
    /// Actions in an order that cannot run: a test before anything booted
    /// in its namespace, or a boot that needs images before any deploy.
    ActionOrder,
    /// A download URL with no scheme (`images.kernel.url: vmlinuz`).
    UrlWithoutScheme,
    /// A download URL whose scheme LAVA cannot fetch.
    UnsupportedUrlScheme,
    /// A git test definition with `revision` and `shallow: true`, which LAVA's
    /// server refuses at submission.
    ShallowCloneWithRevision,
    /// A fastboot boot in a namespace nothing deploys to with `to: fastboot`,
    /// or fastboot-only image options on a deploy that is not fastboot.
    FastbootWithoutFastbootDeploy,
}

impl IssueKind {
    /// Whether LAVA's schema validation (what `expected.tsv`, the web UI and
    /// `lava-schema.py` report) counts this issue.
    pub fn is_schema(self) -> bool {
        matches!(
            self,
            IssueKind::Yaml
                | IssueKind::Schema
                | IssueKind::UnknownKey
                | IssueKind::UnknownAction
                | IssueKind::TimeoutAboveJob
                | IssueKind::Multinode
                | IssueKind::Namespace
                | IssueKind::Lax
        )
    }

    /// A stable snake_case name, used in JSON output.
    pub fn name(self) -> &'static str {
        match self {
            IssueKind::Yaml => "yaml",
            IssueKind::Schema => "schema",
            IssueKind::UnknownKey => "unknown_key",
            IssueKind::UnknownAction => "unknown_action",
            IssueKind::TimeoutAboveJob => "timeout_above_job",
            IssueKind::Multinode => "multinode",
            IssueKind::Namespace => "namespace",
            IssueKind::Lax => "lax",
            IssueKind::TestDefinitionName => "test_definition_name",
            IssueKind::DuplicateTestName => "duplicate_test_name",
            IssueKind::ActionOrder => "action_order",
            IssueKind::UrlWithoutScheme => "url_without_scheme",
            IssueKind::UnsupportedUrlScheme => "unsupported_url_scheme",
            IssueKind::ShallowCloneWithRevision => "shallow_clone_with_revision",
            IssueKind::FastbootWithoutFastbootDeploy => "fastboot_without_fastboot_deploy",
        }
    }
}

/// One problem, with the YAML path and position it is about.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Issue {
    /// What kind of problem.
    pub kind: IssueKind,
    /// Error or warning.
    pub severity: Severity,
    /// YAML path, like `actions[2].boot.timeouts.minutes`; empty for the
    /// document itself.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// How many path segments deep (voluptuous picks the deepest error).
    #[serde(skip)]
    pub(crate) depth: usize,
}

impl Issue {
    pub(crate) fn new(
        kind: IssueKind,
        severity: Severity,
        path: &Path,
        mark: Mark,
        message: String,
    ) -> Self {
        Issue {
            kind,
            severity,
            path: path.to_string(),
            line: mark.line,
            column: mark.column,
            message,
            depth: path.segments.len(),
        }
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "(document)"
        } else {
            &self.path
        };
        write!(f, "{path}, line {}: {}", self.line, self.message)
    }
}

/// A YAML path under construction.
#[derive(Debug, Clone, Default)]
pub(crate) struct Path {
    segments: Vec<Segment>,
}

#[derive(Debug, Clone)]
enum Segment {
    Key(String),
    Index(usize),
}

impl Path {
    pub(crate) fn key(&self, k: &str) -> Path {
        let mut p = self.clone();
        p.segments.push(Segment::Key(k.to_string()));
        p
    }

    pub(crate) fn index(&self, i: usize) -> Path {
        let mut p = self.clone();
        p.segments.push(Segment::Index(i));
        p
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Key(k) if n == 0 => f.write_str(k)?,
                Segment::Key(k) => write!(f, ".{k}")?,
                Segment::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

/// Everything found in one job. Serialises as `{valid, lava_accepts, issues}`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// Errors and warnings in document order of the checks.
    pub issues: Vec<Issue>,
}

impl Report {
    /// Whether LAVA's schema accepts the job (LAVA's own verdict).
    pub fn lava_accepts(&self) -> bool {
        !self
            .issues
            .iter()
            .any(|i| i.severity == Severity::Error && i.kind.is_schema())
    }

    /// Whether the job passes every check, the dispatcher's included.
    pub fn is_valid(&self) -> bool {
        self.errors().next().is_none()
    }

    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Issue> {
        self.issues.iter().filter(|i| i.severity == Severity::Error)
    }

    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Issue> {
        self.issues
            .iter()
            .filter(|i| i.severity == Severity::Warning)
    }
}

impl serde::Serialize for Report {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut r = s.serialize_struct("Report", 3)?;
        r.serialize_field("valid", &self.is_valid())?;
        r.serialize_field("lava_accepts", &self.lava_accepts())?;
        r.serialize_field("issues", &self.issues)?;
        r.end()
    }
}

/// Validates a job given as YAML text. Text that is not YAML gives a report
/// with one [`IssueKind::Yaml`] error.
pub fn validate_str(text: &str, options: &Options) -> Report {
    match yaml::parse(text) {
        Ok(root) => validate_node(&root, options),
        Err(crate::Error::Yaml {
            line,
            column,
            reason,
        }) => Report {
            issues: vec![Issue::new(
                IssueKind::Yaml,
                Severity::Error,
                &Path::default(),
                Mark { line, column },
                reason,
            )],
        },
        Err(other) => Report {
            issues: vec![Issue::new(
                IssueKind::Yaml,
                Severity::Error,
                &Path::default(),
                Mark { line: 1, column: 1 },
                other.to_string(),
            )],
        },
    }
}

/// Validates a job already read with [`crate::yaml::parse`].
pub fn validate_node(root: &Node, options: &Options) -> Report {
    let checker = Checker {
        strict: options.strict,
    };
    let mut out = Findings::default();
    let top = Path::default();

    checker.check(
        &schema::job(&options.extra_context_variables),
        root,
        &top,
        &mut out,
    );
    let top_ok = out.issues.iter().all(|i| i.severity != Severity::Error);
    if top_ok {
        cross_checks(root, &mut out);
    }
    if let Some(actions) = root.get("actions").and_then(Node::items) {
        for (index, action) in actions.iter().enumerate() {
            check_action(&checker, action, &top.key("actions").index(index), &mut out);
        }
    }
    dispatcher::check(root, &mut out);
    Report { issues: out.issues }
}

/// The first key of an action and its content, as LAVA picks them.
pub(crate) fn action_parts(action: &Node) -> Option<(&str, &Node)> {
    let (k, v) = action.entries()?.first()?;
    Some((k.as_str()?, v))
}

fn check_action(checker: &Checker, action: &Node, path: &Path, out: &mut Findings) {
    let Some((kind, body)) = action_parts(action) else {
        return;
    };
    let path = path.key(kind);
    if body.entries().is_none() {
        return;
    }
    let selector = |key: &str| body.get(key).map(|n| (n.as_str(), n.mark));
    let schema = match kind {
        "deploy" => match selector("to") {
            Some((Some(to), _)) => schema::deploy_schema(&to.replace('_', "-")),
            _ => None,
        },
        "boot" => match selector("method") {
            Some((Some(method), _)) => schema::boot_schema(&method.replace('_', "-"))
                .or_else(|| schema::boot_schema(method)),
            _ => None,
        },
        "command" => Some(schema::command_schema()),
        "test" => test_shape(body).map(schema::test_schema),
        _ => None,
    };
    match schema {
        Some(s) => checker.check(&s, body, &path, out),
        None => {
            // The value that was not recognised, when there is one.
            let named = |key: &str, label: &str| match selector(key) {
                Some((Some(value), mark)) => (format!("{label} {value:?}"), mark),
                Some((None, mark)) => (format!("{label} (not a string)"), mark),
                None => (format!("{label} (missing)"), body.mark),
            };
            let (what, mark) = match kind {
                "deploy" => named("to", "deploy `to`"),
                "boot" => named("method", "boot `method`"),
                "test" => (
                    "test (it needs definitions, interactive, monitors or services)".to_string(),
                    body.mark,
                ),
                _ => (format!("action type {kind:?}"), action.mark),
            };
            out.error(
                IssueKind::UnknownAction,
                &path,
                mark,
                format!("unknown {what}"),
            );
        }
    }
}

fn test_shape(body: &Node) -> Option<TestShape> {
    let has = |k: &str| body.get(k).is_some();
    if has("definitions") {
        Some(if has("docker") {
            TestShape::Docker
        } else {
            TestShape::Definitions
        })
    } else if has("interactive") {
        Some(TestShape::Interactive)
    } else if has("monitors") {
        Some(TestShape::Monitors)
    } else if has("services") {
        Some(TestShape::Services)
    } else {
        None
    }
}

/// Python truthiness of a YAML value.
fn truthy(node: Option<&Node>) -> bool {
    match node.map(|n| &n.value) {
        None | Some(NodeValue::Null) => false,
        Some(NodeValue::Bool(b)) => *b,
        Some(NodeValue::Int(i)) => *i != 0,
        Some(NodeValue::Float(x)) => *x != 0.0,
        Some(NodeValue::String(s)) => !s.is_empty(),
        Some(NodeValue::Timestamp(_)) => true,
        Some(NodeValue::Sequence(s)) => !s.is_empty(),
        Some(NodeValue::Mapping(m)) => !m.is_empty(),
    }
}

/// A timeout's length in whole seconds, as LAVA computes it: the units
/// added up, 30 seconds when they add up to nothing.
fn timeout_seconds(node: &Node) -> i64 {
    let unit = |name: &str, scale: f64| -> f64 {
        match node.get(name).map(|n| &n.value) {
            Some(NodeValue::Int(i)) => *i as f64 * scale,
            Some(NodeValue::Float(x)) => x * scale,
            Some(NodeValue::Bool(true)) => scale,
            _ => 0.0,
        }
    };
    let total = unit("days", 86_400.0)
        + unit("hours", 3_600.0)
        + unit("minutes", 60.0)
        + unit("seconds", 1.0);
    if total == 0.0 { 30 } else { total as i64 }
}

/// The checks LAVA's job schema runs once the shape is right.
fn cross_checks(root: &Node, out: &mut Findings) {
    let top = Path::default();
    let actions: Vec<(usize, &str, &Node)> = root
        .get("actions")
        .and_then(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter_map(|(i, a)| action_parts(a).map(|(k, v)| (i, k, v)))
        .collect();

    // Timeouts no longer than the job's.
    if let Some(timeouts) = root.get("timeouts") {
        let job = timeouts.get("job").map_or(30, timeout_seconds);
        let mut longer = |what: &str, path: Path, t: &Node| {
            if !matches!(t.value, NodeValue::Null) && timeout_seconds(t) > job {
                out.error(
                    IssueKind::TimeoutAboveJob,
                    &path,
                    t.mark,
                    format!(
                        "{what} timeout ({} s) is longer than the job timeout ({job} s)",
                        timeout_seconds(t)
                    ),
                );
            }
        };
        let tpath = top.key("timeouts");
        for single in ["action", "connection"] {
            if let Some(t) = timeouts.get(single) {
                longer("global", tpath.key(single), t);
            }
        }
        for group in ["actions", "connections"] {
            for (k, t) in timeouts
                .get(group)
                .and_then(Node::entries)
                .unwrap_or_default()
            {
                longer("global", tpath.key(group).key(k.as_str().unwrap_or("?")), t);
            }
        }
        for (index, kind, body) in &actions {
            if let Some(t) = body.get("timeout") {
                longer(
                    "action",
                    top.key("actions").index(*index).key(kind).key("timeout"),
                    t,
                );
            }
        }
    }

    // Multinode: every action has roles; no top-level device keys.
    let multinode = truthy(root.get("protocols").and_then(|p| p.get("lava-multinode")));
    if multinode {
        for (index, kind, body) in &actions {
            if body.get("role").is_none() {
                out.error(
                    IssueKind::Multinode,
                    &top.key("actions").index(*index).key(kind),
                    body.mark,
                    "every action of a multinode job needs a role",
                );
            }
        }
    }
    for extra in ["device_type", "environment", "context", "tags"] {
        let value = root.get(extra);
        if truthy(value) && multinode {
            out.error(
                IssueKind::Multinode,
                &top.key(extra),
                value.map_or(root.mark, |v| v.mark),
                format!("{extra:?} is not allowed in a multinode job; set it per role"),
            );
        }
        if extra == "device_type" && !truthy(value) && !multinode {
            out.error(
                IssueKind::Multinode,
                &top.key(extra),
                value.map_or(root.mark, |v| v.mark),
                "a job needs a device_type, or multinode roles",
            );
        }
    }

    // Namespaces everywhere or nowhere.
    let with_ns = actions
        .iter()
        .filter(|(_, _, body)| {
            body.get("namespace")
                .is_some_and(|n| !matches!(n.value, NodeValue::Null))
        })
        .count();
    if with_ns > 0 && with_ns != actions.len() {
        if let Some((index, kind, body)) = actions.iter().find(|(_, _, body)| {
            body.get("namespace")
                .is_none_or(|n| matches!(n.value, NodeValue::Null))
        }) {
            out.error(
                IssueKind::Namespace,
                &top.key("actions").index(*index).key(kind),
                body.mark,
                "when some actions have a namespace, every action needs one",
            );
        }
    }
}
