//! Linaro test-definitions: test definitions and test plans as typed data, and
//! the checks of that repository's `validate.py`.
//!
//! Files are read as YAML 1.1 (the validator uses PyYAML). A mapping with `run`
//! is a test definition, one with `skiplist` a skipgen skip list, one with `tests`
//! or `requirements` (or a plan `format`) a test plan; anything else (example LAVA
//! jobs, labgrid environments) is another YAML file the validator skips.
//!
//! ```
//! use testplan_core::testdef::{TestDefinitionFile, parse_file};
//!
//! let text = "metadata:\n  name: smoke\n  format: Lava-Test Test Definition 1.0\n  \
//!             description: d\n  maintainer: [a@b]\n  os: [debian]\n  devices: [all]\n\
//!             run:\n  steps:\n    - ./smoke.sh\n";
//! let TestDefinitionFile::Definition(def) = parse_file(text, "smoke.yaml").unwrap() else {
//!     panic!("not a definition")
//! };
//! assert_eq!(def.metadata.name, "smoke");
//! assert!(def.check("smoke.yaml").is_ok());
//! ```

use std::path::Path;

use indexmap::IndexMap;
use lava_job::Value;

use crate::error::{Error, Result};

/// The `format` values the validator accepts for a test definition.
pub const DEFINITION_FORMATS: [&str; 2] = [
    "Lava-Test Test Definition 1.0",
    "Manual Test Definition 1.0",
];

/// What a YAML file of test-definitions holds.
#[derive(Debug, Clone, PartialEq)]
pub enum TestDefinitionFile {
    /// A test definition (has `run`).
    Definition(Box<TestDefinition>),
    /// A test plan (v1 `requirements` or v2 `tests`, or an overlay with skip/amend/add).
    Plan(Box<TestPlan>),
    /// A skipgen skip list (has `skiplist`).
    Skiplist(Vec<SkipEntry>),
    /// Any other YAML (example jobs, tool configuration): not checked.
    Other,
}

/// `metadata` of a test definition.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    /// `format`: which kind of definition.
    pub format: String,
    /// `name`: the test name (no spaces).
    pub name: String,
    /// `description`.
    pub description: String,
    /// `maintainer`: e-mail addresses.
    pub maintainer: Vec<String>,
    /// `os`: operating systems it runs on.
    pub os: Vec<String>,
    /// `devices`: boards it runs on.
    pub devices: Vec<String>,
    /// `scope`: e.g. functional, performance.
    pub scope: Vec<String>,
    /// `environment`: e.g. lava-test-shell.
    pub environment: Vec<String>,
}

/// `install` of a test definition.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Install {
    /// `deps` and `deps-<distro>`: package names by key.
    pub deps: IndexMap<String, Vec<String>>,
    /// `git-repos`: repositories to clone (URL strings or mappings).
    pub git_repos: Vec<Value>,
    /// `keys`, `sources`: apt keys and sources.
    pub keys: Vec<String>,
    /// `sources`.
    pub sources: Vec<String>,
    /// `steps`: shell lines run at install time.
    pub steps: Vec<String>,
}

/// `parse` of a test definition: how LAVA turns output lines into results.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parse {
    /// `pattern`: a Python regular expression with named groups.
    pub pattern: Option<String>,
    /// `fixupdict`: raw result → pass/fail/skip/unknown.
    pub fixupdict: IndexMap<String, String>,
}

/// A test definition.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TestDefinition {
    /// `metadata`.
    pub metadata: Metadata,
    /// `params` (or `parameters`): defaults exported as shell variables.
    pub params: IndexMap<String, Value>,
    /// `install`.
    pub install: Option<Install>,
    /// `run.steps`: shell lines.
    pub steps: Vec<String>,
    /// `run.expected`: expected results of a manual test.
    pub expected: Vec<String>,
    /// `parse`.
    pub parse: Option<Parse>,
    /// Whether `metadata` and `run.steps` were present at all.
    present: Presence,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Presence {
    metadata: bool,
    missing_keys: Vec<&'static str>,
    empty_keys: Vec<&'static str>,
    steps: bool,
}

/// One test a plan lists.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlanTest {
    /// `path` inside the repository.
    pub path: String,
    /// `repository` URL.
    pub repository: String,
    /// `parameters`/`params` for the test.
    pub parameters: IndexMap<String, Value>,
    /// `timeout` in seconds.
    pub timeout: Option<i64>,
}

/// A test plan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TestPlan {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.format` (`Linaro Test Plan v1`/`v2`).
    pub format: String,
    /// `metadata.description`.
    pub description: String,
    /// Automated tests (v2 `tests.automated`, v1 every requirement's automated tests).
    pub automated: Vec<PlanTest>,
    /// Manual tests.
    pub manual: Vec<PlanTest>,
    /// Overlay plan: tests removed from the plan it overlays.
    pub skip: Vec<PlanTest>,
    /// Overlay plan: tests whose parameters change.
    pub amend: Vec<PlanTest>,
    /// Overlay plan: tests added.
    pub add: Vec<PlanTest>,
}

impl TestPlan {
    /// Every test entry of the plan.
    pub fn entries(&self) -> impl Iterator<Item = &PlanTest> {
        self.automated
            .iter()
            .chain(&self.manual)
            .chain(&self.skip)
            .chain(&self.amend)
            .chain(&self.add)
    }

    /// Entries whose `path` is not a file under `root` (a test-definitions checkout).
    pub fn unresolved(&self, root: &Path) -> Vec<&PlanTest> {
        self.entries()
            .filter(|t| !root.join(&t.path).is_file())
            .collect()
    }
}

/// One entry of a skipgen skip list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SkipEntry {
    /// `reason`.
    pub reason: String,
    /// `tests` skipped.
    pub tests: Vec<String>,
}

/// Reads one file of test-definitions.
pub fn parse_file(text: &str, file: &str) -> Result<TestDefinitionFile> {
    let value = read_yaml(text, file)?;
    let Value::Mapping(top) = &value else {
        return Ok(TestDefinitionFile::Other);
    };
    let reader = Reader { file };
    if top.get("run").is_some() {
        return Ok(TestDefinitionFile::Definition(Box::new(
            reader.definition(&value)?,
        )));
    }
    if let Some(list) = top.get("skiplist") {
        return Ok(TestDefinitionFile::Skiplist(reader.skiplist(list)?));
    }
    let plan_format = value
        .get("metadata")
        .and_then(|m| m.get("format"))
        .and_then(Value::as_str)
        .is_some_and(|f| f.contains("Test Plan"));
    let plan_keys = ["tests", "requirements", "skip", "amend", "add"];
    if plan_format || plan_keys.iter().any(|k| top.get(k).is_some()) {
        return Ok(TestDefinitionFile::Plan(Box::new(reader.plan(&value)?)));
    }
    Ok(TestDefinitionFile::Other)
}

/// Reads YAML as PyYAML does (YAML 1.1 types, quoted scalars with loosely
/// indented continuation lines).
fn read_yaml(text: &str, file: &str) -> Result<Value> {
    lava_job::yaml::from_str(text).map_err(|err| Error::TestDefinition {
        file: file.to_string(),
        field: "(document)".into(),
        reason: err.to_string(),
    })
}

impl TestDefinition {
    /// The rules of test-definitions' `validate.py`, plus a check that `parse.pattern`
    /// compiles as a (Python-flavoured, look-around capable) regular expression.
    pub fn check(&self, file: &str) -> Result<()> {
        let fail = |field: &str, reason: String| Error::TestDefinition {
            file: file.to_string(),
            field: field.to_string(),
            reason,
        };
        if !self.present.metadata {
            return Err(fail("metadata", "metadata section missing".into()));
        }
        if !self.present.missing_keys.is_empty() {
            return Err(fail(
                "metadata",
                format!(
                    "mandatory keys missing: {}",
                    self.present.missing_keys.join(", ")
                ),
            ));
        }
        if let Some(key) = self.present.empty_keys.first() {
            return Err(fail(&format!("metadata.{key}"), "has no content".into()));
        }
        if self.metadata.name.contains(' ') {
            return Err(fail("metadata.name", "contains whitespace".into()));
        }
        if !DEFINITION_FORMATS.contains(&self.metadata.format.as_str()) {
            return Err(fail(
                "metadata.format",
                format!("incorrect value {:?}", self.metadata.format),
            ));
        }
        if !self.present.steps {
            return Err(fail("run.steps", "section missing".into()));
        }
        if let Some(pattern) = self.parse.as_ref().and_then(|p| p.pattern.as_deref()) {
            fancy_regex::Regex::new(&python_regex_to_rust(pattern))
                .map_err(|e| fail("parse.pattern", format!("does not compile: {e}")))?;
        }
        Ok(())
    }
}

struct Reader<'a> {
    file: &'a str,
}

impl Reader<'_> {
    fn fail(&self, field: &str, reason: impl Into<String>) -> Error {
        Error::TestDefinition {
            file: self.file.to_string(),
            field: field.to_string(),
            reason: reason.into(),
        }
    }

    /// Text of a scalar (numbers and booleans as YAML 1.1 spells them).
    fn text(&self, v: &Value, field: &str) -> Result<String> {
        match v {
            Value::String(s) | Value::Timestamp(s) => Ok(s.clone()),
            Value::Int(i) => Ok(i.to_string()),
            Value::Float(f) => Ok(f.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Null => Ok(String::new()),
            _ => Err(self.fail(field, format!("expected text, found a {}", v.type_name()))),
        }
    }

    /// A list of strings; a lone scalar counts as a one-item list.
    fn list(&self, v: Option<&Value>, field: &str) -> Result<Vec<String>> {
        match v {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Sequence(items)) => items.iter().map(|i| self.text(i, field)).collect(),
            Some(other) => Ok(vec![self.text(other, field)?]),
        }
    }

    /// Shell lines; an unquoted `- word: rest` line reads as a mapping and is turned
    /// back into the text its author wrote.
    fn steps(&self, v: Option<&Value>, field: &str) -> Result<Vec<String>> {
        let Some(Value::Sequence(items)) = v else {
            return self.list(v, field);
        };
        items
            .iter()
            .map(|item| match item {
                Value::Mapping(m) => m
                    .iter()
                    .map(|(k, v)| {
                        Ok(format!(
                            "{}: {}",
                            self.text(k, field)?,
                            self.text(v, field)?
                        ))
                    })
                    .collect::<Result<Vec<_>>>()
                    .map(|parts| parts.join(", ")),
                other => self.text(other, field),
            })
            .collect()
    }

    fn map(&self, v: Option<&Value>, field: &str) -> Result<IndexMap<String, Value>> {
        match v {
            None | Some(Value::Null) => Ok(IndexMap::new()),
            Some(Value::Mapping(m)) => m
                .iter()
                .map(|(k, v)| Ok((self.text(k, field)?, v.clone())))
                .collect(),
            Some(other) => Err(self.fail(
                field,
                format!("expected a mapping, found a {}", other.type_name()),
            )),
        }
    }

    fn definition(&self, doc: &Value) -> Result<TestDefinition> {
        let mut def = TestDefinition::default();
        if let Some(meta) = doc.get("metadata") {
            def.present.metadata = true;
            let Value::Mapping(m) = meta else {
                return Err(self.fail("metadata", "expected a mapping"));
            };
            for key in [
                "name",
                "format",
                "description",
                "maintainer",
                "os",
                "devices",
            ] {
                match m.get(key) {
                    None => def.present.missing_keys.push(key),
                    Some(v) if is_empty(v) => def.present.empty_keys.push(key),
                    Some(_) => {}
                }
            }
            let field = |k: &str| format!("metadata.{k}");
            def.metadata = Metadata {
                format: m
                    .get("format")
                    .map(|v| self.text(v, "metadata.format"))
                    .transpose()?
                    .unwrap_or_default(),
                name: m
                    .get("name")
                    .map(|v| self.text(v, "metadata.name"))
                    .transpose()?
                    .unwrap_or_default(),
                description: m
                    .get("description")
                    .map(|v| self.text(v, "metadata.description"))
                    .transpose()?
                    .unwrap_or_default(),
                maintainer: self.list(m.get("maintainer"), &field("maintainer"))?,
                os: self.list(m.get("os"), &field("os"))?,
                devices: self.list(m.get("devices"), &field("devices"))?,
                scope: self.list(m.get("scope"), &field("scope"))?,
                environment: self.list(m.get("environment"), &field("environment"))?,
            };
        }
        let params = doc.get("params").or_else(|| doc.get("parameters"));
        def.params = self.map(params, "params")?;
        if let Some(install) = doc.get("install") {
            def.install = Some(self.install(install)?);
        }
        match doc.get("run") {
            Some(Value::Mapping(run)) => {
                def.present.steps = run.get("steps").is_some();
                def.steps = self.steps(run.get("steps"), "run.steps")?;
                def.expected = self.steps(run.get("expected"), "run.expected")?;
            }
            Some(Value::Null) | None => {}
            Some(other) => {
                return Err(self.fail(
                    "run",
                    format!("expected a mapping, found a {}", other.type_name()),
                ));
            }
        }
        if let Some(parse) = doc.get("parse") {
            let fix = self.map(parse.get("fixupdict"), "parse.fixupdict")?;
            let fixupdict = fix
                .into_iter()
                .map(|(k, v)| Ok((k, self.text(&v, "parse.fixupdict")?)))
                .collect::<Result<_>>()?;
            let pattern = parse
                .get("pattern")
                .map(|p| self.text(p, "parse.pattern"))
                .transpose()?;
            def.parse = Some(Parse { pattern, fixupdict });
        }
        Ok(def)
    }

    fn install(&self, v: &Value) -> Result<Install> {
        let Value::Mapping(m) = v else {
            return Err(self.fail("install", "expected a mapping"));
        };
        let mut install = Install::default();
        for (key, value) in m.iter() {
            let key = self.text(key, "install")?;
            let field = format!("install.{key}");
            match key.as_str() {
                "git-repos" => {
                    install.git_repos = match value {
                        Value::Sequence(items) => items.clone(),
                        Value::Null => Vec::new(),
                        other => vec![other.clone()],
                    }
                }
                "keys" => install.keys = self.list(Some(value), &field)?,
                "sources" => install.sources = self.list(Some(value), &field)?,
                "steps" => install.steps = self.list(Some(value), &field)?,
                k if k == "deps" || k.starts_with("deps-") => {
                    install
                        .deps
                        .insert(key.clone(), self.list(Some(value), &field)?);
                }
                _ => {}
            }
        }
        Ok(install)
    }

    fn plan_tests(&self, v: Option<&Value>, field: &str) -> Result<Vec<PlanTest>> {
        let items = match v {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Sequence(items)) => items,
            Some(other) => {
                return Err(self.fail(
                    field,
                    format!("expected a list, found a {}", other.type_name()),
                ));
            }
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let f = format!("{field}[{i}]");
                let Value::Mapping(m) = item else {
                    return Err(self.fail(&f, "expected a mapping with path and repository"));
                };
                let path = m.get("path").ok_or_else(|| self.fail(&f, "path missing"))?;
                Ok(PlanTest {
                    path: self.text(path, &format!("{f}.path"))?,
                    repository: m
                        .get("repository")
                        .map(|r| self.text(r, &f))
                        .transpose()?
                        .unwrap_or_default(),
                    parameters: self.map(
                        m.get("parameters").or_else(|| m.get("params")),
                        &format!("{f}.parameters"),
                    )?,
                    timeout: match m.get("timeout") {
                        Some(Value::Int(t)) => Some(*t),
                        _ => None,
                    },
                })
            })
            .collect()
    }

    fn plan(&self, doc: &Value) -> Result<TestPlan> {
        let meta = doc.get("metadata");
        let meta_text = |k: &str| -> Result<String> {
            meta.and_then(|m| m.get(k))
                .map(|v| self.text(v, &format!("metadata.{k}")))
                .transpose()
                .map(Option::unwrap_or_default)
        };
        let mut plan = TestPlan {
            name: meta_text("name")?,
            format: meta_text("format")?,
            description: meta_text("description")?,
            ..Default::default()
        };
        if let Some(tests) = doc.get("tests") {
            plan.automated = self.plan_tests(tests.get("automated"), "tests.automated")?;
            plan.manual = self.plan_tests(tests.get("manual"), "tests.manual")?;
        }
        if let Some(Value::Sequence(reqs)) = doc.get("requirements") {
            for (i, req) in reqs.iter().enumerate() {
                if let Some(tests) = req.get("tests") {
                    let f = format!("requirements[{i}].tests");
                    plan.automated.extend(
                        self.plan_tests(tests.get("automated"), &format!("{f}.automated"))?,
                    );
                    plan.manual
                        .extend(self.plan_tests(tests.get("manual"), &format!("{f}.manual"))?);
                }
            }
        }
        plan.skip = self.plan_tests(doc.get("skip"), "skip")?;
        plan.amend = self.plan_tests(doc.get("amend"), "amend")?;
        plan.add = self.plan_tests(doc.get("add"), "add")?;
        Ok(plan)
    }

    fn skiplist(&self, v: &Value) -> Result<Vec<SkipEntry>> {
        let Value::Sequence(items) = v else {
            return Err(self.fail("skiplist", "expected a list"));
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let f = format!("skiplist[{i}]");
                Ok(SkipEntry {
                    reason: item
                        .get("reason")
                        .map(|r| self.text(r, &f))
                        .transpose()?
                        .unwrap_or_default(),
                    tests: self.list(item.get("tests"), &format!("{f}.tests"))?,
                })
            })
            .collect()
    }
}

/// Rewrites a Python `re` pattern into the syntax fancy-regex reads: `(?P<name>`
/// becomes `(?<name>`, and inside character classes the characters Rust treats
/// specially but Python does not (`[`, a leading `]`, `&&`, `--`, `~~`) are escaped.
pub fn python_regex_to_rust(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    chars.next();
                    out.push('^');
                }
                if chars.peek() == Some(&']') {
                    chars.next();
                    out.push_str("\\]");
                }
            }
            '[' => out.push_str("\\["),
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '&' | '-' | '~' if in_class && chars.peek() == Some(&c) => {
                chars.next();
                out.push('\\');
                out.push(c);
                out.push('\\');
                out.push(c);
            }
            '(' if !in_class && chars.peek() == Some(&'?') => {
                out.push('(');
                out.push(chars.next().unwrap_or('?'));
                let mut look = chars.clone();
                if look.next() == Some('P') && look.next() == Some('<') {
                    chars.next();
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Python's `len(x) == 0` for the validator's mandatory keys.
fn is_empty(v: &Value) -> bool {
    match v {
        Value::String(s) => s.is_empty(),
        Value::Sequence(s) => s.is_empty(),
        Value::Mapping(m) => m.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "metadata:\n  name: t\n  format: Lava-Test Test Definition 1.0\n  description: d\n  \
                        maintainer: [m]\n  os: [debian]\n  devices: [all]\nrun:\n  steps: [a]\n";

    fn def(text: &str) -> TestDefinition {
        match parse_file(text, "t.yaml").unwrap() {
            TestDefinitionFile::Definition(d) => *d,
            other => panic!("not a definition: {other:?}"),
        }
    }

    #[test]
    fn name_with_space_is_rejected() {
        let d = def(&GOOD.replace("name: t", "name: a b"));
        assert!(
            d.check("t.yaml")
                .unwrap_err()
                .to_string()
                .contains("metadata.name")
        );
    }

    #[test]
    fn missing_mandatory_key_is_named() {
        let d = def(&GOOD.replace("  os: [debian]\n", ""));
        assert!(d.check("t.yaml").unwrap_err().to_string().contains("os"));
    }

    #[test]
    fn unknown_format_and_missing_steps_are_rejected() {
        assert!(
            def(&GOOD.replace("Lava-Test Test Definition 1.0", "Other"))
                .check("t")
                .is_err()
        );
        assert!(
            def(&GOOD.replace("  steps: [a]\n", "  other: 1\n"))
                .check("t")
                .is_err()
        );
        assert!(def(GOOD).check("t").is_ok());
    }

    #[test]
    fn look_ahead_parse_pattern_compiles() {
        let text = format!(
            "{GOOD}parse:\n  pattern: '^(?P<test_case_id>\\S+)(?=:)\\s+(?P<result>pass|fail)'\n"
        );
        let d = def(&text);
        assert!(d.check("t").is_ok());
        assert_eq!(
            python_regex_to_rust(r"\s[[](?P<r>A|B)[]]"),
            r"\s[\[](?<r>A|B)[\]]"
        );
        let bad = format!("{GOOD}parse:\n  pattern: '(?P<x>'\n");
        assert!(def(&bad).check("t").is_err());
    }

    #[test]
    fn plan_v2_lists_tests() {
        let text = "metadata:\n  name: p\n  format: Linaro Test Plan v2\ntests:\n  automated:\n  \
                    - path: a.yaml\n    repository: r\n    timeout: 60\n";
        let TestDefinitionFile::Plan(plan) = parse_file(text, "p.yaml").unwrap() else {
            panic!("not a plan")
        };
        assert_eq!(plan.automated[0].path, "a.yaml");
        assert_eq!(plan.automated[0].timeout, Some(60));
    }
}
