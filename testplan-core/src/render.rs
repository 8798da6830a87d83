//! Rendering jobs: one test for one device, or a whole matrix in parallel.
//!
//! A job is the test template rendered with the merged variables plus
//! `device_type`, `overlays` and the `self` reference. The raw render is what
//! Jinja2 would print; the final job is the raw render checked as YAML (duplicate
//! keys and syntax errors reject the job) with blank lines dropped, as
//! lava-test-plans writes it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;
use minijinja::{Environment, ErrorKind, Value};
use saphyr::{LoadableYamlNode, Yaml};

use crate::engine::{SearchPath, environment};
use crate::error::{Error, Result};
use crate::vars::Variables;

/// The directories of a lava-test-plans template tree a render uses.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TreePaths {
    /// The package directory (holds `master.jinja2`, `include/`, `projects/`).
    pub package: PathBuf,
    /// Test plan directories (`testplans/`).
    pub testplans: PathBuf,
    /// Test case templates (`testcases/`).
    pub testcases: PathBuf,
    /// Device templates (`devices/` or a project's `projects/<p>/devices`).
    pub devices: PathBuf,
}

impl TreePaths {
    /// The default layout under a package directory.
    pub fn new(package: impl Into<PathBuf>) -> Self {
        let package = package.into();
        TreePaths {
            testplans: package.join("testplans"),
            testcases: package.join("testcases"),
            devices: package.join("devices"),
            package,
        }
    }

    /// The project's own templates, compiled in (see [`crate::bundled`]).
    pub fn bundled() -> Self {
        TreePaths::new(crate::bundled::ROOT)
    }

    /// The directories as the Python tool's options give them: `package` (`None`:
    /// the bundled tree) relative to `cwd`, and each of test plans, test cases and
    /// devices either its default under the package or resolved with
    /// [`resolve_dir`].
    pub fn resolve(
        cwd: &Path,
        package: Option<&Path>,
        testplans: Option<&Path>,
        testcases: Option<&Path>,
        devices: Option<&Path>,
    ) -> Self {
        let package = package.map_or_else(|| PathBuf::from(crate::bundled::ROOT), |p| cwd.join(p));
        let dir = |given: Option<&Path>, default: &str| match given {
            Some(p) => resolve_dir(cwd, &package, p),
            None => package.join(default),
        };
        TreePaths {
            testplans: dir(testplans, "testplans"),
            testcases: dir(testcases, "testcases"),
            devices: dir(devices, "devices"),
            package,
        }
    }

    /// The loader's search path: package, test plans, test cases, devices.
    pub fn search_path(&self) -> SearchPath {
        SearchPath(vec![
            self.package.clone(),
            self.testplans.clone(),
            self.testcases.clone(),
            self.devices.clone(),
        ])
    }
}

/// The Python tool's rule for `--testplan-path` and friends: an absolute path, or a
/// relative one that is a directory from `cwd`, is used as is; any other relative
/// path is taken relative to the package directory.
pub fn resolve_dir(cwd: &Path, package: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        return path.to_path_buf();
    }
    let direct = cwd.join(path);
    if crate::bundled::is_dir(&direct) {
        direct
    } else {
        package.join(path)
    }
}

/// The test names a test plan directory selects: the names of its `*.yaml`
/// entries (not recursive), sorted. Each name is then looked up through the
/// search path, so a plan only selects test cases.
pub fn test_plan_tests(plan_dir: &Path) -> Result<Vec<String>> {
    let mut names = crate::bundled::file_names(plan_dir).map_err(|e| Error::io(plan_dir, &e))?;
    names.retain(|name| name.ends_with(".yaml"));
    names.sort();
    Ok(names)
}

/// One overlay given with `--overlay URL [PATH]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlay {
    /// Tarball (or file) URL.
    pub url: String,
    /// Where it is unpacked on the target (`/` by default).
    pub path: String,
}

/// Everything one job needs besides the templates.
#[derive(Debug, Clone)]
pub struct JobRequest {
    /// Device type (template name in the device directory, also `device_type` in the context).
    pub device_type: String,
    /// Test template name (a test case file name).
    pub test: String,
    /// Merged variables (files, then overrides).
    pub variables: Arc<Variables>,
    /// Overlays in command-line order.
    pub overlays: Vec<Overlay>,
    /// Template directories.
    pub paths: TreePaths,
}

/// A rendered job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Device type it was rendered for.
    pub device_type: String,
    /// Test template name.
    pub test: String,
    /// Exactly what the templates printed.
    pub raw: String,
    /// The job as written: checked as YAML, blank lines removed.
    pub yaml: String,
}

impl Job {
    /// File name the Python tool writes the job to (`<device_type>/<basename of test>`).
    pub fn output_path(&self) -> PathBuf {
        let base = self.test.rsplit('/').next().unwrap_or(&self.test);
        Path::new(&self.device_type).join(base)
    }
}

/// The outcome of one job of a matrix: its request's position, and the job or why it failed.
#[derive(Debug, Clone)]
pub struct JobOutcome {
    /// Device type.
    pub device_type: String,
    /// Test template name.
    pub test: String,
    /// The job, or the error naming variable, template and line.
    pub result: Result<Job>,
    /// lava-job's verdict on the final job, when validation was asked for.
    pub validation: Option<lava_job::validate::Report>,
}

/// Checks a rendered job as a LAVA server would (lava-job's validator).
pub fn validate_job(
    job: &Job,
    options: &lava_job::validate::Options,
) -> lava_job::validate::Report {
    lava_job::validate::validate_str(&job.yaml, options)
}

/// A renderer bound to one search path; templates are parsed once and shared.
pub struct Renderer {
    env: Environment<'static>,
    search_path: SearchPath,
}

impl Renderer {
    /// Sets up the engine over a template tree's search path.
    pub fn new(paths: &TreePaths) -> Self {
        let search_path = paths.search_path();
        Renderer {
            env: environment(&search_path),
            search_path,
        }
    }

    /// Renders one test for one device: raw output only.
    pub fn render_raw(
        &self,
        device_type: &str,
        test: &str,
        variables: &Variables,
        overlays: &[Overlay],
    ) -> Result<String> {
        let context = job_context(device_type, test, variables, overlays);
        let template = self.env.get_template(test).map_err(|e| self.convert(&e))?;
        template.render(context).map_err(|e| self.convert(&e))
    }

    /// Renders one job: raw output, then the checked final form.
    pub fn render(
        &self,
        device_type: &str,
        test: &str,
        variables: &Variables,
        overlays: &[Overlay],
    ) -> Result<Job> {
        let raw = self.render_raw(device_type, test, variables, overlays)?;
        let yaml = finalize(&raw)?;
        Ok(Job {
            device_type: device_type.to_string(),
            test: test.to_string(),
            raw,
            yaml,
        })
    }

    fn convert(&self, err: &minijinja::Error) -> Error {
        convert_error(err, &self.search_path)
    }
}

/// The render context: variables, then `device_type` and `overlays` (as the CLI
/// injects them), and Jinja2's `self`, whose private context name the mmtests test
/// cases read to find their config file.
fn job_context(
    device_type: &str,
    test: &str,
    variables: &Variables,
    overlays: &[Overlay],
) -> Value {
    let mut context: IndexMap<Value, Value> = IndexMap::with_capacity(variables.len() + 3);
    context.extend(variables.iter().map(|(k, v)| (Value::from(k), v.clone())));
    context.insert(Value::from("device_type"), Value::from(device_type));
    let overlays: Vec<Value> = overlays
        .iter()
        .enumerate()
        .map(|(i, o)| {
            Value::from(vec![
                Value::from(format!("overlay-{i:02}")),
                Value::from(&o.url),
                Value::from(&o.path),
            ])
        })
        .collect();
    context.insert(Value::from("overlays"), Value::from(overlays));
    let reference = crate::vars::map_value([("name", Value::from(test))]);
    let self_ref = crate::vars::map_value([("_TemplateReference__context", reference)]);
    context.insert(Value::from("self"), self_ref);
    Value::from(context)
}

/// The job as written: the raw render read as YAML 1.2 (as lava-test-plans reads
/// it; duplicate keys and syntax errors reject the job), written back with
/// lava-job's writer, then whitespace-only lines dropped as the Python tool drops
/// them. Unlike the Python tool's output, strings a YAML 1.1 reader (LAVA) would
/// take for something else (`yes`, `1:20`, `0755`) stay quoted.
pub fn finalize(raw: &str) -> Result<String> {
    let data = parse_job(raw)?;
    Ok(strip_blank_lines(&lava_job::yaml::to_yaml_string(&data)))
}

/// Reads a rendered job as YAML 1.2 data (the first document; none is null).
pub fn parse_job(raw: &str) -> Result<lava_job::Value> {
    let docs = Yaml::load_from_str(raw).map_err(|e| Error::JobYaml {
        line: e.marker().line(),
        column: e.marker().col() + 1,
        reason: e.info().to_string(),
    })?;
    Ok(docs
        .into_iter()
        .next()
        .map(to_job_value)
        .unwrap_or(lava_job::Value::Null))
}

fn to_job_value(node: Yaml) -> lava_job::Value {
    use lava_job::Value as V;
    use saphyr::Scalar;
    match node {
        Yaml::Value(Scalar::Null) | Yaml::Alias(_) | Yaml::BadValue => V::Null,
        Yaml::Value(Scalar::Boolean(b)) => V::Bool(b),
        Yaml::Value(Scalar::Integer(i)) => V::Int(i),
        Yaml::Value(Scalar::FloatingPoint(f)) => V::Float(f.into_inner()),
        Yaml::Value(Scalar::String(s)) => V::String(s.into_owned()),
        Yaml::Representation(s, _, _) => V::String(s.into_owned()),
        Yaml::Sequence(items) => V::Sequence(items.into_iter().map(to_job_value).collect()),
        Yaml::Mapping(map) => V::Mapping(
            map.into_iter()
                .map(|(k, v)| (to_job_value(k), to_job_value(v)))
                .collect(),
        ),
        Yaml::Tagged(_, inner) => to_job_value(*inner),
    }
}

/// Removes lines holding only whitespace.
pub fn strip_blank_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if !line.trim().is_empty() {
            out.push_str(line);
        }
    }
    out
}

/// Turns a minijinja error into ours, naming the undefined variable and the
/// innermost template and line (minijinja wraps block errors in outer ones).
fn convert_error(err: &minijinja::Error, search_path: &SearchPath) -> Error {
    let mut innermost = err;
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(e) = source {
        if let Some(m) = e.downcast_ref::<minijinja::Error>() {
            if m.line().is_some() || innermost.line().is_none() {
                innermost = m;
            }
        }
        source = e.source();
    }
    let template = innermost.name().unwrap_or("<unknown>").to_string();
    let line = innermost.line().unwrap_or(0);
    match innermost.kind() {
        ErrorKind::TemplateNotFound => {
            let detail = innermost.detail().unwrap_or_default();
            let name = detail.split('"').nth(1).unwrap_or(detail).to_string();
            Error::TemplateNotFound {
                name,
                search_path: search_path.display(),
            }
        }
        ErrorKind::UndefinedError => Error::Undefined {
            variable: undefined_name(innermost),
            template,
            line,
        },
        _ => {
            let reason = innermost
                .detail()
                .map(str::to_string)
                .unwrap_or_else(|| innermost.kind().to_string());
            Error::Template {
                template,
                line,
                reason,
            }
        }
    }
}

/// The variable an undefined error is about: the leading dotted name of the
/// failing expression.
fn undefined_name(err: &minijinja::Error) -> String {
    let expr = match (err.template_source(), err.range()) {
        (Some(src), Some(range)) => src.get(range).unwrap_or_default(),
        _ => "",
    };
    let name: String = expr
        .trim_start_matches(|c: char| !(c.is_alphabetic() || c == '_'))
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
        .collect();
    let name = name.trim_end_matches('.');
    if name.is_empty() {
        "undefined value".to_string()
    } else {
        name.to_string()
    }
}

/// Renders many jobs in parallel. Requests sharing template directories share
/// one engine (templates are parsed once per tree). Outcomes come back in
/// request order.
pub fn render_matrix(requests: &[JobRequest]) -> Vec<JobOutcome> {
    render_matrix_with(requests, None)
}

/// [`render_matrix`], also validating every rendered job with lava-job when
/// `validate` is given.
pub fn render_matrix_with(
    requests: &[JobRequest],
    validate: Option<&lava_job::validate::Options>,
) -> Vec<JobOutcome> {
    let mut renderers: HashMap<&TreePaths, Renderer> = HashMap::new();
    for req in requests {
        renderers
            .entry(&req.paths)
            .or_insert_with(|| Renderer::new(&req.paths));
    }
    parallel_map(requests, |req| {
        let result = match renderers.get(&req.paths) {
            Some(r) => r.render(&req.device_type, &req.test, &req.variables, &req.overlays),
            None => Err(Error::InvalidArgument(
                "no engine for the request's template tree".into(),
            )),
        };
        let validation = match (&result, validate) {
            (Ok(job), Some(options)) => Some(validate_job(job, options)),
            _ => None,
        };
        JobOutcome {
            device_type: req.device_type.clone(),
            test: req.test.clone(),
            result,
            validation,
        }
    })
}

/// `items.iter().map(f)` on as many threads as the machine has cores, in
/// order. The threads live only for this call: no pool outlives it.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};

    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len());
    if workers <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else {
                            break done;
                        };
                        done.push((i, f(item)));
                    }
                })
            })
            .collect();
        for handle in handles {
            match handle.join() {
                Ok(done) => {
                    for (i, result) in done {
                        if let Some(slot) = slots.get_mut(i) {
                            *slot = Some(result);
                        }
                    }
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    slots.into_iter().flatten().collect()
}

/// A matrix given as its axes: every device × every test × every variable set.
#[derive(Debug, Clone)]
pub struct Matrix {
    /// Devices, each with the device directory its template lives in.
    pub devices: Vec<(String, PathBuf)>,
    /// Test template names.
    pub tests: Vec<String>,
    /// Variable sets (already merged and overridden).
    pub variable_sets: Vec<Arc<Variables>>,
    /// Overlays applied to every job.
    pub overlays: Vec<Overlay>,
    /// The package directory; test plans and test cases in their default places.
    pub package: PathBuf,
}

impl Matrix {
    /// The requests of the matrix, device-major.
    pub fn requests(&self) -> Vec<JobRequest> {
        let mut out =
            Vec::with_capacity(self.devices.len() * self.tests.len() * self.variable_sets.len());
        for (device_type, device_dir) in &self.devices {
            let mut paths = TreePaths::new(&self.package);
            paths.devices = device_dir.clone();
            for test in &self.tests {
                for vars in &self.variable_sets {
                    out.push(JobRequest {
                        device_type: device_type.clone(),
                        test: test.clone(),
                        variables: Arc::clone(vars),
                        overlays: self.overlays.clone(),
                        paths: paths.clone(),
                    });
                }
            }
        }
        out
    }

    /// Renders the whole matrix in parallel.
    pub fn render(&self) -> Vec<JobOutcome> {
        render_matrix(&self.requests())
    }
}

/// A matrix described the way the command line describes a group of jobs,
/// widened to several device types and variable sets: names and paths, resolved
/// with the Python tool's rules against a working directory. This is what the
/// Python and C bindings take.
#[derive(Debug, Clone, Default)]
pub struct MatrixSpec {
    /// Root of a template tree (`--template-path`); `None`: the bundled tree.
    pub template_path: Option<PathBuf>,
    /// `--testplan-path`.
    pub testplan_path: Option<PathBuf>,
    /// `--testcase-path`.
    pub testcase_path: Option<PathBuf>,
    /// `--testplan-device-path`.
    pub testplan_device_path: Option<PathBuf>,
    /// Device types (`--device-type`), one or more.
    pub device_types: Vec<String>,
    /// Test case template names (`--test-case`).
    pub tests: Vec<String>,
    /// Test plan directories (`--test-plan`); each selects its `*.yaml` names.
    pub test_plans: Vec<String>,
    /// Variable sets, each a list of files merged left to right (`--variables`);
    /// none means one empty set.
    pub variable_sets: Vec<Vec<PathBuf>>,
    /// `KEY=VALUE` items applied to every set (`--overwrite-variables`).
    pub overwrite_variables: Vec<String>,
    /// Overlays given to every job (`--overlay`).
    pub overlays: Vec<Overlay>,
}

impl MatrixSpec {
    /// The template directories, resolved against `cwd`.
    pub fn tree(&self, cwd: &Path) -> TreePaths {
        TreePaths::resolve(
            cwd,
            self.template_path.as_deref(),
            self.testplan_path.as_deref(),
            self.testcase_path.as_deref(),
            self.testplan_device_path.as_deref(),
        )
    }

    /// The test names: every plan's tests and the test cases, each once, sorted
    /// (the order the Python tool renders them in).
    pub fn test_names(&self, tree: &TreePaths) -> Result<Vec<String>> {
        let mut tests = std::collections::BTreeSet::new();
        for plan in &self.test_plans {
            tests.extend(test_plan_tests(&tree.testplans.join(plan))?);
        }
        tests.extend(self.tests.iter().cloned());
        Ok(tests.into_iter().collect())
    }

    /// The merged variables of each set (files resolved with the Python tool's
    /// rule, then the overrides).
    pub fn variables(&self, cwd: &Path, tree: &TreePaths) -> Result<Vec<Arc<Variables>>> {
        let empty = [Vec::new()];
        let sets = if self.variable_sets.is_empty() {
            &empty[..]
        } else {
            &self.variable_sets[..]
        };
        sets.iter()
            .map(|files| {
                let paths: Vec<PathBuf> = files
                    .iter()
                    .map(|f| crate::vars::resolve_variables_path(cwd, &tree.package, f))
                    .collect();
                crate::vars::merge_files(&paths, &self.overwrite_variables).map(Arc::new)
            })
            .collect()
    }

    /// Every job of the matrix, device-major, then test, then variable set.
    /// Fails before rendering anything when a variables file or a test plan
    /// cannot be read, or when there is no device type or no test.
    pub fn requests(&self, cwd: &Path) -> Result<Vec<JobRequest>> {
        if self.device_types.is_empty() {
            return Err(Error::InvalidArgument("no device type given".into()));
        }
        let tree = self.tree(cwd);
        let tests = self.test_names(&tree)?;
        if tests.is_empty() {
            return Err(Error::InvalidArgument(
                "no tests matched the given criteria".into(),
            ));
        }
        let variables = self.variables(cwd, &tree)?;
        let mut out = Vec::with_capacity(self.device_types.len() * tests.len() * variables.len());
        for device_type in &self.device_types {
            for test in &tests {
                for vars in &variables {
                    out.push(JobRequest {
                        device_type: device_type.clone(),
                        test: test.clone(),
                        variables: Arc::clone(vars),
                        overlays: self.overlays.clone(),
                        paths: tree.clone(),
                    });
                }
            }
        }
        Ok(out)
    }

    /// Renders the whole matrix in parallel ([`render_matrix_with`]); outcomes in
    /// [`MatrixSpec::requests`] order.
    pub fn render(
        &self,
        cwd: &Path,
        validate: Option<&lava_job::validate::Options>,
    ) -> Result<Vec<JobOutcome>> {
        Ok(render_matrix_with(&self.requests(cwd)?, validate))
    }
}

#[cfg(test)]
mod tests {
    use super::parallel_map;

    #[test]
    fn parallel_map_keeps_the_order_of_its_input() {
        let items: Vec<u32> = (0..1000).collect();
        let doubled = parallel_map(&items, |n| {
            // Uneven work, so threads finish out of order.
            if n % 7 == 0 {
                std::thread::yield_now();
            }
            n * 2
        });
        assert_eq!(doubled, items.iter().map(|n| n * 2).collect::<Vec<_>>());
        assert!(parallel_map(&[] as &[u32], |n| *n).is_empty());
    }
}
