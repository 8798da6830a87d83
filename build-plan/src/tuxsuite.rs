//! TuxSuite plan files: parsing every job shape, validation with messages
//! that name the job and the key, and expansion into builds and tests the
//! way TuxSuite 1.46.1 does it (`PlanConfig` items and the `tuxmake` /
//! `tuxrun` command lines of `tuxsuite plan execute`).
//!
//! ```
//! use build_plan::tuxsuite::{parse_plan, LocalOptions};
//! let text = "version: 1\nname: n\ndescription: d\njobs:\n- name: a\n  build: {target_arch: arm64, toolchain: gcc-13, kconfig: defconfig}\n  test: {device: qemu-arm64}\n";
//! let plan = parse_plan(text, "plan.yaml").unwrap();
//! let expansion = plan.expand(&LocalOptions::default()).unwrap();
//! assert_eq!(expansion.builds.len(), 1);
//! assert_eq!(expansion.builds[0].tests.len(), 1);
//! ```

use indexmap::IndexMap;

use crate::error::{Error, Result};
use crate::yaml::{self, Node, Value};

/// Most builds and tests a plan may expand to.
pub const MAX_JOBS: usize = 100_000;

/// Keys a build may have that `tuxsuite plan execute` turns into a tuxmake
/// command line.
pub const LOCAL_BUILD_KEYS: &[&str] = &[
    "target_arch",
    "toolchain",
    "kconfig",
    "targets",
    "make_variables",
    "environment",
    "kernel_image",
    "patch_series",
    "image_sha",
    "build_name",
];

/// Build keys only the TuxSuite cloud uses (per-build overrides of plan
/// options); they do not change a local command line.
pub const CLOUD_BUILD_KEYS: &[&str] = &[
    "git_repo",
    "git_ref",
    "git_sha",
    "no_cache",
    "is_public",
    "callback",
    "callback_headers",
    "notify_emails",
];

/// Keys a test may have that `tuxsuite plan execute` passes to tuxrun.
pub const LOCAL_TEST_KEYS: &[&str] = &[
    "device",
    "ap_romfw",
    "boot_args",
    "bios",
    "dtb",
    "fip",
    "job_definition",
    "kernel",
    "mcp_fw",
    "mcp_romfw",
    "modules",
    "overlay",
    "parameters",
    "rootfs",
    "scp_fw",
    "scp_romfw",
    "tests",
    "test_name",
    "timeouts",
    "commands",
    "qemu_image",
    "shared",
    "tuxbuild",
    "sharding",
];

/// Test keys only the cloud uses.
pub const CLOUD_TEST_KEYS: &[&str] = &[
    "host",
    "lab",
    "lava_test_plans_project",
    "callback",
    "callback_headers",
    "notify_emails",
];

/// Where a node is: `jobs[1] (x86-clang).builds[0].toolchain (line 12)`.
#[derive(Debug, Clone)]
pub(crate) struct Loc {
    pub path: String,
    pub line: usize,
}

impl Loc {
    pub(crate) fn child(&self, key: &str, node: &Node) -> Loc {
        Loc {
            path: format!("{}.{key}", self.path),
            line: node.line,
        }
    }

    pub(crate) fn index(&self, i: usize, node: &Node) -> Loc {
        Loc {
            path: format!("{}[{i}]", self.path),
            line: node.line,
        }
    }

    pub(crate) fn err(&self, source: &str, reason: impl Into<String>) -> Error {
        let at = if self.line > 0 {
            format!(" (line {})", self.line)
        } else {
            String::new()
        };
        Error::plan(format!("{source}: {}{at}", self.path), reason)
    }
}

/// One job of a kernel plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// `name`, when given.
    pub name: Option<String>,
    /// Builds (`build` as a one-element list, or `builds`).
    pub builds: Vec<Node>,
    /// Whether the file said `build` (one) rather than `builds`.
    pub single_build: bool,
    /// Tests as written (`test` as a one-element list, or `tests`), sharding not expanded.
    pub tests: Vec<Node>,
    /// Whether the file said `test` rather than `tests`.
    pub single_test: bool,
    /// `sanity_test`, when given.
    pub sanity_test: Option<Node>,
    /// Line of the job in the file.
    pub line: usize,
}

/// A TuxSuite kernel plan.
#[derive(Debug, Clone, PartialEq)]
pub struct TuxsuitePlan {
    /// Always 1.
    pub version: i64,
    /// `name`.
    pub name: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// Jobs in file order.
    pub jobs: Vec<Job>,
    /// File name for messages.
    pub source_name: String,
}

fn type_err(loc: &Loc, source: &str, want: &str, node: &Node) -> Error {
    loc.err(
        source,
        format!(
            "expected {want}, got {} {}",
            node.type_name(),
            node.py_str()
        ),
    )
}

fn job_label(i: usize, job: &Node) -> String {
    match job
        .as_map()
        .and_then(|m| m.get("name"))
        .and_then(Node::as_str)
    {
        Some(name) => format!("jobs[{i}] ({name})"),
        None => format!("jobs[{i}]"),
    }
}

/// Parses and validates a TuxSuite plan (kernel plans; OE `bake` plans are refused).
pub fn parse_plan(text: &str, source_name: &str) -> Result<TuxsuitePlan> {
    let root = yaml::load(text, source_name)?
        .ok_or_else(|| Error::plan(source_name, "empty plan file"))?;
    parse_plan_node(&root, source_name)
}

pub(crate) fn parse_plan_node(root: &Node, source_name: &str) -> Result<TuxsuitePlan> {
    let top = Loc {
        path: "plan".into(),
        line: root.line,
    };
    let map = root
        .as_map()
        .ok_or_else(|| type_err(&top, source_name, "a mapping", root))?;
    let version = match map.get("version").map(|n| &n.value) {
        Some(Value::Int(1)) | Some(Value::Bool(true)) => 1,
        Some(_) => {
            return Err(top
                .child("version", &map["version"])
                .err(source_name, "invalid version (must be 1)"));
        }
        None => return Err(top.err(source_name, "missing required key version (must be 1)")),
    };
    let string_key = |key: &str| -> Result<Option<String>> {
        match map.get(key) {
            None => Ok(None),
            Some(n) => match n.as_str() {
                Some(s) => Ok(Some(s.to_string())),
                None => Err(type_err(&top.child(key, n), source_name, "a string", n)),
            },
        }
    };
    let name = string_key("name")?;
    let description = string_key("description")?;
    let jobs_node = map
        .get("jobs")
        .ok_or_else(|| top.err(source_name, "plan configuration must contain jobs"))?;
    let jobs_loc = top.child("jobs", jobs_node);
    let jobs_list = jobs_node
        .as_seq()
        .ok_or_else(|| type_err(&jobs_loc, source_name, "a list of jobs", jobs_node))?;
    if jobs_list.is_empty() {
        return Err(jobs_loc.err(source_name, "plan configuration must contain jobs"));
    }
    if let Some(first) = jobs_list[0].as_map() {
        if first.contains_key("bake") || first.contains_key("bakes") {
            return Err(jobs_loc.err(
                source_name,
                "this is an OpenEmbedded (bake) plan; only kernel plans (build/builds/test/tests) are handled",
            ));
        }
    }
    let mut jobs = Vec::new();
    for (i, job) in jobs_list.iter().enumerate() {
        let loc = Loc {
            path: job_label(i, job),
            line: job.line,
        };
        jobs.push(parse_job(job, &loc, source_name)?);
    }
    Ok(TuxsuitePlan {
        version,
        name,
        description,
        jobs,
        source_name: source_name.to_string(),
    })
}

fn parse_job(job: &Node, loc: &Loc, source: &str) -> Result<Job> {
    let map = job
        .as_map()
        .ok_or_else(|| type_err(loc, source, "a job mapping", job))?;
    for key in map.keys() {
        if !["name", "build", "builds", "test", "tests", "sanity_test"].contains(&key.as_str()) {
            return Err(loc.err(
                source,
                format!(
                    "unknown key {key:?} (a kernel job has name, build or builds, test or tests, \
                     sanity_test{})",
                    if key == "matrix" {
                        "; expand the matrix first"
                    } else {
                        ""
                    }
                ),
            ));
        }
    }
    let name = match map.get("name") {
        None => None,
        Some(n) => Some(
            n.as_str()
                .ok_or_else(|| type_err(&loc.child("name", n), source, "a string", n))?
                .to_string(),
        ),
    };
    if map.contains_key("build") && map.contains_key("builds") {
        return Err(loc.err(source, "has both build and builds; use one"));
    }
    if map.contains_key("test") && map.contains_key("tests") {
        return Err(loc.err(source, "has both test and tests; use one"));
    }
    if !["build", "builds", "test", "tests"]
        .iter()
        .any(|k| map.contains_key(*k))
    {
        return Err(loc.err(source, "has no build, builds, test or tests"));
    }

    let mut builds = Vec::new();
    let mut single_build = false;
    if let Some(b) = map.get("build") {
        let bl = loc.child("build", b);
        validate_build(b, &bl, source)?;
        builds.push(b.clone());
        single_build = true;
    } else if let Some(list) = map.get("builds") {
        let bl = loc.child("builds", list);
        let items = list
            .as_seq()
            .ok_or_else(|| type_err(&bl, source, "a list of builds", list))?;
        for (i, b) in items.iter().enumerate() {
            validate_build(b, &bl.index(i, b), source)?;
            builds.push(b.clone());
        }
    }

    let mut tests = Vec::new();
    let mut single_test = false;
    let standalone = builds.is_empty();
    if let Some(t) = map.get("test") {
        validate_test(t, &loc.child("test", t), source, standalone)?;
        tests.push(t.clone());
        single_test = true;
    } else if let Some(list) = map.get("tests") {
        let tl = loc.child("tests", list);
        let items = list
            .as_seq()
            .ok_or_else(|| type_err(&tl, source, "a list of tests", list))?;
        for (i, t) in items.iter().enumerate() {
            validate_test(t, &tl.index(i, t), source, standalone)?;
            tests.push(t.clone());
        }
    }
    let sanity_test = match map.get("sanity_test") {
        None => None,
        Some(s) => {
            let sl = loc.child("sanity_test", s);
            s.as_map()
                .ok_or_else(|| type_err(&sl, source, "a test mapping", s))?;
            Some(s.clone())
        }
    };
    Ok(Job {
        name,
        builds,
        single_build,
        tests,
        single_test,
        sanity_test,
        line: job.line,
    })
}

pub(crate) fn validate_build(build: &Node, loc: &Loc, source: &str) -> Result<()> {
    let map = build
        .as_map()
        .ok_or_else(|| type_err(loc, source, "a build mapping", build))?;
    for (key, value) in map {
        let kl = loc.child(key, value);
        if !LOCAL_BUILD_KEYS.contains(&key.as_str()) && !CLOUD_BUILD_KEYS.contains(&key.as_str()) {
            return Err(kl.err(
                source,
                format!(
                    "unknown build key (known: {}, and for the cloud: {})",
                    LOCAL_BUILD_KEYS.join(", "),
                    CLOUD_BUILD_KEYS.join(", ")
                ),
            ));
        }
        match key.as_str() {
            "target_arch" | "toolchain" | "kernel_image" | "build_name" | "git_repo"
            | "git_ref" | "git_sha"
                if value.as_str().is_none() =>
            {
                return Err(type_err(&kl, source, "a string", value));
            }
            "kconfig" => match &value.value {
                Value::Str(s) if !s.is_empty() => {}
                Value::Seq(items) if !items.is_empty() => {
                    for (i, k) in items.iter().enumerate() {
                        if k.as_str().is_none() {
                            return Err(type_err(&kl.index(i, k), source, "a string", k));
                        }
                    }
                }
                _ => {
                    return Err(type_err(
                        &kl,
                        source,
                        "a kconfig string or a non-empty list of them",
                        value,
                    ));
                }
            },
            "targets" => {
                let items = value
                    .as_seq()
                    .ok_or_else(|| type_err(&kl, source, "a list of target names", value))?;
                for (i, t) in items.iter().enumerate() {
                    if t.as_str().is_none() {
                        return Err(type_err(&kl.index(i, t), source, "a target name", t));
                    }
                }
            }
            "make_variables" | "environment" => {
                let vars = value
                    .as_map()
                    .ok_or_else(|| type_err(&kl, source, "a mapping of NAME: value", value))?;
                for (k, v) in vars {
                    if matches!(v.value, Value::Seq(_) | Value::Map(_)) {
                        return Err(type_err(&kl.child(k, v), source, "a scalar", v));
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(repo) = map.get("git_repo").and_then(Node::as_str) {
        if !(repo.starts_with("git://")
            || repo.starts_with("http://")
            || repo.starts_with("https://"))
        {
            return Err(loc
                .child("git_repo", &map["git_repo"])
                .err(source, "must be a git://, http:// or https:// URL"));
        }
    }
    if map.contains_key("git_ref") && map.contains_key("git_sha") {
        return Err(loc.err(source, "give git_ref or git_sha, not both"));
    }
    for key in ["target_arch", "toolchain", "kconfig"] {
        if !map.contains_key(key) {
            return Err(loc.err(source, format!("missing required build key {key}")));
        }
    }
    Ok(())
}

fn validate_test(test: &Node, loc: &Loc, source: &str, standalone: bool) -> Result<()> {
    let map = test
        .as_map()
        .ok_or_else(|| type_err(loc, source, "a test mapping", test))?;
    for (key, value) in map {
        let kl = loc.child(key, value);
        if !LOCAL_TEST_KEYS.contains(&key.as_str()) && !CLOUD_TEST_KEYS.contains(&key.as_str()) {
            return Err(kl.err(
                source,
                format!(
                    "unknown test key (known: {}, and for the cloud: {})",
                    LOCAL_TEST_KEYS.join(", "),
                    CLOUD_TEST_KEYS.join(", ")
                ),
            ));
        }
        match key.as_str() {
            "sharding" => match value.value {
                Value::Int(n) if (1..=1000).contains(&n) => {}
                _ => return Err(type_err(&kl, source, "a shard count from 1 to 1000", value)),
            },
            "tests" | "commands" => {
                let items = value
                    .as_seq()
                    .ok_or_else(|| type_err(&kl, source, "a list", value))?;
                for (i, t) in items.iter().enumerate() {
                    if matches!(t.value, Value::Seq(_) | Value::Map(_)) {
                        return Err(type_err(&kl.index(i, t), source, "a scalar", t));
                    }
                }
            }
            "parameters" | "timeouts" => {
                value
                    .as_map()
                    .ok_or_else(|| type_err(&kl, source, "a mapping", value))?;
            }
            "overlay" => match &value.value {
                Value::Str(_) | Value::Seq(_) => {}
                _ => {
                    return Err(type_err(
                        &kl,
                        source,
                        "a URL or a list of URLs / [URL, path] pairs",
                        value,
                    ));
                }
            },
            "device" if value.as_str().is_none() => {
                return Err(type_err(&kl, source, "a device name", value));
            }
            _ => {}
        }
    }
    if !map.contains_key("device") {
        return Err(loc.err(source, "missing required test key device"));
    }
    if standalone && !map.contains_key("kernel") {
        return Err(loc.err(source, "a test without a build needs a kernel URL"));
    }
    Ok(())
}

/// Options of `tuxsuite plan execute` that shape the command lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalOptions {
    /// `--tree` (default `.`).
    pub tree: String,
    /// `--output-dir` base (TuxSuite writes into `<dir>/plan/<n>`).
    pub output_dir: String,
    /// The `<n>` of `plan/<n>` (TuxSuite picks the next free number; 1 for a fresh directory).
    pub plan_number: u32,
    /// `--runtime` (default podman).
    pub runtime: String,
    /// `--wrapper` (default none).
    pub wrapper: String,
    /// `--job-name` globs; empty = all jobs.
    pub job_names: Vec<String>,
}

impl Default for LocalOptions {
    fn default() -> Self {
        LocalOptions {
            tree: ".".into(),
            output_dir: "output".into(),
            plan_number: 1,
            runtime: "podman".into(),
            wrapper: "none".into(),
            job_names: Vec::new(),
        }
    }
}

/// One expanded plan item: a build with its tests, or a job's tests alone.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Index of the job in the plan.
    pub job: usize,
    /// The job's name.
    pub job_name: Option<String>,
    /// The build, `None` for standalone tests.
    pub build: Option<Node>,
    /// Tests with sharding expanded.
    pub tests: Vec<Node>,
    /// The sanity test (an empty mapping when absent, as TuxSuite keeps it).
    pub sanity_test: Node,
}

/// A build's local command lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalBuild {
    /// Index into [`Expansion::items`].
    pub item: usize,
    /// `python3 -m tuxmake ...`.
    pub tuxmake: Vec<String>,
    /// Output directory of the build.
    pub output_dir: String,
    /// `python3 -m tuxrun ... --tuxmake <build output>` per test.
    pub tests: Vec<Vec<String>>,
    /// Whether a sanity test gates the tests (cloud runs only).
    pub has_sanity_test: bool,
}

/// A standalone test's command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalTest {
    /// Index into [`Expansion::items`].
    pub item: usize,
    /// `python3 -m tuxrun ...`.
    pub tuxrun: Vec<String>,
}

/// A plan expanded the way TuxSuite does it.
#[derive(Debug, Clone, PartialEq)]
pub struct Expansion {
    /// Plan items (`PlanConfig.plan`).
    pub items: Vec<Item>,
    /// Builds and their dependent tests.
    pub builds: Vec<LocalBuild>,
    /// Tests without a build.
    pub standalone_tests: Vec<LocalTest>,
}

/// Python's `fnmatch.fnmatch` on POSIX (case-sensitive `*`, `?`, `[...]`).
pub fn fnmatch(name: &str, pattern: &str) -> bool {
    fn go(n: &[char], p: &[char]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('*') => (0..=n.len()).any(|i| go(&n[i..], &p[1..])),
            Some('?') => !n.is_empty() && go(&n[1..], &p[1..]),
            Some('[') => {
                let Some(end) = p.iter().skip(2).position(|c| *c == ']').map(|i| i + 2) else {
                    return n.first() == Some(&'[') && go(&n[1..], &p[1..]);
                };
                let Some(c) = n.first() else { return false };
                let set = &p[1..end];
                let (negate, set) = match set.first() {
                    Some('!') => (true, &set[1..]),
                    _ => (false, set),
                };
                let mut hit = false;
                let mut i = 0;
                while i < set.len() {
                    if i + 2 < set.len() && set[i + 1] == '-' {
                        hit |= set[i] <= *c && *c <= set[i + 2];
                        i += 3;
                    } else {
                        hit |= set[i] == *c;
                        i += 1;
                    }
                }
                hit != negate && go(&n[1..], &p[end + 1..])
            }
            Some(ch) => n.first() == Some(ch) && go(&n[1..], &p[1..]),
        }
    }
    let n: Vec<char> = name.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    go(&n, &p)
}

fn expand_sharding(test: &Node) -> Vec<Node> {
    let Some(map) = test.as_map() else {
        return vec![test.clone()];
    };
    let Some(Value::Int(n)) = map.get("sharding").map(|s| &s.value) else {
        return vec![test.clone()];
    };
    let mut base = map.clone();
    base.shift_remove("sharding");
    (1..=*n)
        .map(|i| {
            let mut t = base.clone();
            let params = t.entry("parameters".to_string()).or_insert_with(|| Node {
                value: Value::Map(IndexMap::new()),
                line: test.line,
                column: 0,
            });
            if let Value::Map(p) = &mut params.value {
                p.insert(
                    "SHARD_NUMBER".into(),
                    Node {
                        value: Value::Int(*n),
                        line: 0,
                        column: 0,
                    },
                );
                p.insert(
                    "SHARD_INDEX".into(),
                    Node {
                        value: Value::Int(i),
                        line: 0,
                        column: 0,
                    },
                );
            }
            Node {
                value: Value::Map(t),
                line: test.line,
                column: test.column,
            }
        })
        .collect()
}

fn words(template: String) -> Vec<String> {
    // TuxSuite builds these command prefixes as one string and splits it.
    template.split_whitespace().map(String::from).collect()
}

fn get<'a>(map: &'a IndexMap<String, Node>, key: &str) -> Option<&'a Node> {
    map.get(key).filter(|n| n.truthy())
}

/// `LocalBuild.get_cmd`.
fn tuxmake_command(
    build: &Node,
    opts: &LocalOptions,
    output_dir: &str,
    loc: &Loc,
    source: &str,
) -> Result<Vec<String>> {
    let empty = IndexMap::new();
    let map = build.as_map().unwrap_or(&empty);
    let field = |k: &str| {
        map.get(k)
            .map(Node::py_str)
            .unwrap_or_else(|| "None".into())
    };
    let mut cmd = words(format!(
        "python3 -m tuxmake --runtime {} -C {} --wrapper {} --target-arch {} --toolchain {} --output-dir {}",
        opts.runtime,
        opts.tree,
        opts.wrapper,
        field("target_arch"),
        field("toolchain"),
        output_dir
    ));
    if map
        .get("patch_series")
        .is_some_and(|p| !matches!(p.value, Value::Null))
    {
        return Err(loc.child("patch_series", &map["patch_series"]).err(
            source,
            "patch series are not supported when running a plan locally",
        ));
    }
    if let Some(kconfig) = get(map, "kconfig") {
        match &kconfig.value {
            Value::Seq(items) => {
                for (i, k) in items.iter().enumerate() {
                    cmd.push(if i == 0 { "--kconfig" } else { "--kconfig-add" }.into());
                    cmd.push(k.py_str());
                }
            }
            _ => {
                cmd.push("--kconfig".into());
                cmd.push(kconfig.py_str());
            }
        }
    }
    if let Some(env) = map.get("environment").and_then(Node::as_map) {
        for (k, v) in env {
            cmd.push("-e".into());
            cmd.push(format!("{k}={}", v.py_str()));
        }
    }
    if let Some(vars) = map.get("make_variables").and_then(Node::as_map) {
        for (k, v) in vars {
            // TuxSuite drops falsy values (0, false, empty) here.
            if v.truthy() {
                cmd.push(format!("{k}={}", v.py_str()));
            }
        }
    }
    if let Some(image) = get(map, "kernel_image") {
        cmd.push("--kernel-image".into());
        cmd.push(image.py_str());
    }
    if let Some(targets) = map.get("targets").and_then(Node::as_seq) {
        cmd.extend(targets.iter().map(Node::py_str));
    }
    Ok(cmd)
}

/// `LocalTest.get_cmd`.
fn tuxrun_command(
    test: &Node,
    runtime: &str,
    output_dir: &str,
    build_dir: Option<&str>,
) -> Vec<String> {
    let empty = IndexMap::new();
    let map = test.as_map().unwrap_or(&empty);
    let device = map
        .get("device")
        .map(Node::py_str)
        .unwrap_or_else(|| "None".into());
    let mut cmd = words(format!(
        "python3 -m tuxrun --runtime {runtime} --device {device} --log-file-yaml {output_dir}/lava-logs.yaml \
         --log-file-html {output_dir}/logs.html --log-file-text {output_dir}/logs.txt --results \
         {output_dir}/results.json --metadata {output_dir}/metadata.json"
    ));
    for name in [
        "ap-romfw",
        "bios",
        "boot-args",
        "dtb",
        "fip",
        "kernel",
        "mcp-fw",
        "mcp-romfw",
        "rootfs",
        "scp-fw",
        "scp-romfw",
    ] {
        if let Some(v) = get(map, &name.replace('-', "_")) {
            cmd.push(format!("--{name}"));
            cmd.push(v.py_str());
        }
    }
    let params = get(map, "parameters").and_then(Node::as_map);
    if let Some(modules) = get(map, "modules") {
        cmd.push("--modules".into());
        cmd.push(modules.py_str());
        if let Some(path) = params.and_then(|p| get(p, "MODULES_PATH")) {
            cmd.push(path.py_str());
        }
    }
    if let Some(params) = params {
        for (k, v) in params {
            cmd.push("--parameters".into());
            cmd.push(format!("{k}={}", v.py_str()));
        }
    }
    if let Some(v) = get(map, "qemu_image") {
        cmd.push("--qemu-image".into());
        cmd.push(v.py_str());
    }
    if let Some(v) = get(map, "tuxbuild") {
        cmd.push("--tuxbuild".into());
        cmd.push(v.py_str());
    }
    if let Some(tests) = get(map, "tests").and_then(Node::as_seq) {
        for t in tests {
            cmd.push("--tests".into());
            cmd.push(t.py_str());
        }
    }
    if let Some(timeouts) = get(map, "timeouts").and_then(Node::as_map) {
        cmd.push("--timeouts".into());
        for (k, v) in timeouts {
            cmd.push(format!("{k}={}", v.py_str()));
        }
    }
    if let Some(overlay) = get(map, "overlay") {
        match &overlay.value {
            Value::Seq(items) => {
                for item in items {
                    cmd.push("--overlay".into());
                    match item.as_seq() {
                        Some([url]) => {
                            cmd.push(url.py_str());
                            cmd.push("/".into());
                        }
                        Some(pair) => cmd.extend(pair.iter().take(2).map(Node::py_str)),
                        None => cmd.push(item.py_str()),
                    }
                }
            }
            // A plain string is iterated character by character by TuxSuite;
            // a single URL is what every user means.
            _ => {
                cmd.push("--overlay".into());
                cmd.push(overlay.py_str());
            }
        }
    }
    if let Some(dir) = build_dir {
        cmd.push("--tuxmake".into());
        cmd.push(dir.to_string());
    }
    if let Some(commands) = get(map, "commands").and_then(Node::as_seq) {
        cmd.push("--".into());
        cmd.extend(commands.iter().map(Node::py_str));
    }
    cmd
}

impl TuxsuitePlan {
    /// The plan items TuxSuite builds (`PlanConfig.plan`), for the jobs
    /// matching `job_names` (all when empty).
    pub fn items(&self, job_names: &[String]) -> Vec<Item> {
        let mut items = Vec::new();
        for (j, job) in self.jobs.iter().enumerate() {
            let name = job.name.clone().unwrap_or_default();
            if !job_names.is_empty() && !job_names.iter().any(|g| fnmatch(&name, g)) {
                continue;
            }
            // Limitation: a test list shared through a YAML alias is
            // expanded for every job here; TuxSuite pops `sharding` from the
            // shared dict and so shards only the first job using it.
            let tests: Vec<Node> = job.tests.iter().flat_map(expand_sharding).collect();
            let sanity = job.sanity_test.clone().unwrap_or(Node {
                value: Value::Map(IndexMap::new()),
                line: job.line,
                column: 0,
            });
            if job.builds.is_empty() {
                items.push(Item {
                    job: j,
                    job_name: job.name.clone(),
                    build: None,
                    tests,
                    sanity_test: sanity,
                });
            } else {
                for b in &job.builds {
                    items.push(Item {
                        job: j,
                        job_name: job.name.clone(),
                        build: Some(b.clone()),
                        tests: tests.clone(),
                        sanity_test: sanity.clone(),
                    });
                }
            }
        }
        items
    }

    /// Expands the plan into items and the command lines `tuxsuite plan
    /// execute` runs (sanity tests are not run locally).
    pub fn expand(&self, opts: &LocalOptions) -> Result<Expansion> {
        let total: usize = self
            .jobs
            .iter()
            .map(|j| {
                let tests: usize = j
                    .tests
                    .iter()
                    .map(
                        |t| match t.as_map().and_then(|m| m.get("sharding")).map(|s| &s.value) {
                            Some(Value::Int(n)) => usize::try_from(*n).unwrap_or(1),
                            _ => 1,
                        },
                    )
                    .sum();
                j.builds.len().max(1).saturating_mul(tests + 1)
            })
            .fold(0usize, usize::saturating_add);
        if total > MAX_JOBS {
            return Err(Error::plan(
                &self.source_name,
                format!("plan expands to more than {MAX_JOBS} jobs"),
            ));
        }
        let items = self.items(&opts.job_names);
        let base = format!(
            "{}/plan/{}",
            crate::text::normalize_path(&opts.output_dir),
            opts.plan_number
        );
        let mut builds = Vec::new();
        let mut standalone_tests = Vec::new();
        for (idx0, item) in items.iter().enumerate() {
            let idx = idx0 + 1;
            let job = &self.jobs[item.job];
            let loc = Loc {
                path: format!(
                    "jobs[{}]{}",
                    item.job,
                    job.name
                        .as_ref()
                        .map(|n| format!(" ({n})"))
                        .unwrap_or_default()
                ),
                line: job.line,
            };
            match &item.build {
                Some(build) => {
                    let out = format!("{base}/build_{idx}");
                    let tuxmake = tuxmake_command(build, opts, &out, &loc, &self.source_name)?;
                    let tests = item
                        .tests
                        .iter()
                        .enumerate()
                        .map(|(t, test)| {
                            tuxrun_command(
                                test,
                                &opts.runtime,
                                &format!("{out}/tests/{}", t + 1),
                                Some(&out),
                            )
                        })
                        .collect();
                    let has_sanity_test = item.sanity_test.truthy();
                    builds.push(LocalBuild {
                        item: idx0,
                        tuxmake,
                        output_dir: out,
                        tests,
                        has_sanity_test,
                    });
                }
                None => {
                    for (t, test) in item.tests.iter().enumerate() {
                        let out = format!("{base}/tests_{idx}/{}", t + 1);
                        standalone_tests.push(LocalTest {
                            item: idx0,
                            tuxrun: tuxrun_command(test, &opts.runtime, &out, None),
                        });
                    }
                }
            }
        }
        Ok(Expansion {
            items,
            builds,
            standalone_tests,
        })
    }
}

impl Expansion {
    /// The expansion in the shape of the corpus's `example-plan.expanded.json`
    /// (what TuxSuite's own code yields).
    pub fn to_tuxsuite_json(&self) -> serde_json::Value {
        use serde_json::json;
        json!({
            "tuxsuite_version": "1.46.1",
            "plan_type": "BuildPlan",
            "schema_error": null,
            "expanded_items": self.items.iter().map(|i| json!({
                "build": i.build.as_ref().map(Node::to_json),
                "tests": i.tests.iter().map(Node::to_json).collect::<Vec<_>>(),
                "sanity_test": i.sanity_test.to_json(),
            })).collect::<Vec<_>>(),
            "builds": self.builds.iter().map(|b| json!({"tuxmake": b.tuxmake, "tests": b.tests})).collect::<Vec<_>>(),
            "standalone_tests": self.standalone_tests.iter().map(|t| &t.tuxrun).collect::<Vec<_>>(),
        })
    }

    /// Number of cloud jobs (one per build, test and sanity test).
    pub fn job_count(&self) -> usize {
        self.items
            .iter()
            .map(|i| {
                usize::from(i.build.is_some()) + i.tests.len() + usize::from(i.sanity_test.truthy())
            })
            .sum()
    }
}

/// Reads a legacy build-set file (`sets: [{name, builds: [...]}]`) and
/// returns set `set_name` as a one-job plan.
pub fn parse_build_set(text: &str, source_name: &str, set_name: &str) -> Result<TuxsuitePlan> {
    let root = yaml::load(text, source_name)?
        .ok_or_else(|| Error::plan(source_name, "empty build-set file"))?;
    let top = Loc {
        path: "build-set".into(),
        line: root.line,
    };
    let map = root
        .as_map()
        .ok_or_else(|| type_err(&top, source_name, "a mapping with sets", &root))?;
    let sets_node = map
        .get("sets")
        .ok_or_else(|| top.err(source_name, "missing sets"))?;
    let sets = sets_node.as_seq().ok_or_else(|| {
        type_err(
            &top.child("sets", sets_node),
            source_name,
            "a list of sets",
            sets_node,
        )
    })?;
    for (i, set) in sets.iter().enumerate() {
        let sl = top.child("sets", sets_node).index(i, set);
        let Some(s) = set.as_map() else { continue };
        if s.get("name").and_then(Node::as_str) != Some(set_name) {
            continue;
        }
        let builds_node = s
            .get("builds")
            .ok_or_else(|| sl.err(source_name, format!("set {set_name} has no builds")))?;
        let bl = sl.child("builds", builds_node);
        let items = builds_node
            .as_seq()
            .ok_or_else(|| type_err(&bl, source_name, "a list of builds", builds_node))?;
        if items.is_empty() {
            return Err(bl.err(
                source_name,
                format!("set {set_name} has an empty build list"),
            ));
        }
        for (b, build) in items.iter().enumerate() {
            validate_build(build, &bl.index(b, build), source_name)?;
        }
        return Ok(TuxsuitePlan {
            version: 1,
            name: Some(set_name.to_string()),
            description: Some(format!("build set {set_name}")),
            jobs: vec![Job {
                name: Some(set_name.to_string()),
                builds: items.to_vec(),
                single_build: false,
                tests: Vec::new(),
                single_test: false,
                sanity_test: None,
                line: set.line,
            }],
            source_name: source_name.to_string(),
        });
    }
    Err(top.err(source_name, format!("no set named {set_name}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_follows_python() {
        assert!(fnmatch("x86-clang", "x86-*"));
        assert!(fnmatch("arm", "[a-c]rm"));
        assert!(!fnmatch("arm", "[!a]rm"));
        assert!(fnmatch("", "*"));
        assert!(!fnmatch("arm64", "arm"));
    }

    #[test]
    fn unknown_build_key_names_job_and_key() {
        let text = "version: 1\njobs:\n- name: j\n  builds:\n  - {target_arch: arm64, toolchain: gcc, kconfig: defconfig, bogus: 1}\n";
        let err = parse_plan(text, "p.yaml").unwrap_err().to_string();
        assert!(err.contains("jobs[0] (j).builds[0].bogus"), "{err}");
        assert!(err.contains("line 5"), "{err}");
    }

    #[test]
    fn version_two_is_invalid() {
        let err = parse_plan("version: 2\njobs: []\n", "p.yaml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid version"), "{err}");
    }

    #[test]
    fn job_with_build_and_builds_is_refused() {
        let text = "version: 1\njobs:\n- build: {target_arch: a, toolchain: b, kconfig: c}\n  builds: []\n";
        let err = parse_plan(text, "p.yaml").unwrap_err().to_string();
        assert!(err.contains("both build and builds"), "{err}");
    }

    #[test]
    fn standalone_test_needs_a_kernel() {
        let text = "version: 1\njobs:\n- tests: [{device: qemu-arm64}]\n";
        let err = parse_plan(text, "p.yaml").unwrap_err().to_string();
        assert!(
            err.contains("jobs[0].tests[0]") && err.contains("kernel"),
            "{err}"
        );
    }

    #[test]
    fn build_set_selects_the_named_set() {
        let text = "sets:\n- name: a\n  builds: [{target_arch: arm64, toolchain: gcc, kconfig: defconfig}]\n";
        let plan = parse_build_set(text, "b.yaml", "a").unwrap();
        assert_eq!(plan.jobs[0].builds.len(), 1);
        let err = parse_build_set(text, "b.yaml", "zz")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no set named zz"), "{err}");
    }
}
