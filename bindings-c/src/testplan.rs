//! testplan-core: lava-test-plans jobs rendered in-process. One job
//! (`kir_testplan_render`, the job's YAML) or a whole matrix in parallel
//! (`kir_testplan_render_matrix`, JSON in and out, one result per job). Without
//! a template path the project's own templates, compiled into the library,
//! are used. Relative paths are resolved against the process's working
//! directory with the Python tool's rules.

use std::ffi::c_char;
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::{Value, json};
use testplan_core::render::{JobOutcome, MatrixSpec, Overlay};

use crate::ffi::{self, Failure, KirBytes, KirStatus};

impl From<testplan_core::Error> for Failure {
    fn from(err: testplan_core::Error) -> Self {
        use testplan_core::Error as E;
        let status = match &err {
            E::Variables { .. } | E::JobYaml { .. } | E::Template { .. } => KirStatus::ErrMalformed,
            E::TestDefinition { .. } | E::Undefined { .. } => KirStatus::ErrCheck,
            E::Override { .. } | E::TemplateNotFound { .. } | E::InvalidArgument(_) => {
                KirStatus::ErrInvalidArgument
            }
            E::Io { .. } => KirStatus::ErrIo,
            _ => KirStatus::ErrOther,
        };
        Failure::new(status, err.to_string())
    }
}

fn cwd() -> ffi::Outcome<PathBuf> {
    std::env::current_dir()
        .map_err(|e| Failure::new(KirStatus::ErrIo, format!("current directory: {e}")))
}

/// Reads `argv[0..argc]` (NUL-terminated UTF-8 strings).
///
/// # Safety
/// `argv` must point to `argc` string pointers (NULL only when `argc` is 0).
unsafe fn strings(argv: *const *const c_char, argc: usize, arg: &str) -> ffi::Outcome<Vec<String>> {
    if argc > 0 && argv.is_null() {
        return Err(Failure::null(arg));
    }
    let mut out = Vec::with_capacity(argc.min(4096));
    for i in 0..argc {
        // SAFETY: per the caller, argv holds argc string pointers.
        let ptr = unsafe { *argv.add(i) };
        out.push(unsafe { ffi::str_arg(ptr, &format!("{arg}[{i}]")) }?.to_string());
    }
    Ok(out)
}

/// Renders one test case for one device type as `lava-test-plans --dry-run`
/// writes it. `template_path` is the root of a lava-test-plans template tree, or
/// NULL for the compiled-in templates; `variables[0..variables_len]` are
/// variable files merged left to right, then the `KEY=VALUE` items
/// `overwrite_variables[0..overwrite_len]`. On success `*out` holds the job's
/// YAML (UTF-8, not NUL-terminated); free it with kir_bytes_free. A template
/// error returns KIR_STATUS_ERR_CHECK (undefined variable),
/// KIR_STATUS_ERR_INVALID_ARGUMENT (unknown device type or test) or
/// KIR_STATUS_ERR_MALFORMED (template or job syntax), and
/// kir_last_error_message() names the variable, the template and the line.
///
/// # Safety
/// `template_path` must be NULL or a NUL-terminated string; `device_type` and
/// `test` NUL-terminated strings; `variables` and `overwrite_variables` must
/// point to their count of NUL-terminated strings (NULL only when the count
/// is 0); `out` must point to a writable kir_bytes.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn kir_testplan_render(
    template_path: *const c_char,
    device_type: *const c_char,
    test: *const c_char,
    variables: *const *const c_char,
    variables_len: usize,
    overwrite_variables: *const *const c_char,
    overwrite_len: usize,
    out: *mut KirBytes,
) -> KirStatus {
    ffi::call(|| {
        let out = unsafe { ffi::out_arg(out, "out") }?;
        let template_path = unsafe { ffi::opt_str_arg(template_path, "template_path") }?;
        let device_type = unsafe { ffi::str_arg(device_type, "device_type") }?;
        let test = unsafe { ffi::str_arg(test, "test") }?;
        let variables = unsafe { strings(variables, variables_len, "variables") }?;
        let overrides =
            unsafe { strings(overwrite_variables, overwrite_len, "overwrite_variables") }?;
        let spec = MatrixSpec {
            template_path: template_path.map(PathBuf::from),
            device_types: vec![device_type.to_string()],
            tests: vec![test.to_string()],
            variable_sets: vec![variables.into_iter().map(PathBuf::from).collect()],
            overwrite_variables: overrides,
            ..MatrixSpec::default()
        };
        let outcome = spec
            .render(&cwd()?, None)?
            .into_iter()
            .next()
            .ok_or_else(|| Failure::new(KirStatus::ErrOther, "nothing was rendered"))?;
        *out = KirBytes::from_vec(outcome.result?.yaml.into_bytes());
        Ok(())
    })
}

/// The JSON request of `kir_testplan_render_matrix`; names follow
/// lava-test-plans' options.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MatrixRequest {
    template_path: Option<PathBuf>,
    testplan_path: Option<PathBuf>,
    testcase_path: Option<PathBuf>,
    testplan_device_path: Option<PathBuf>,
    device_types: Vec<String>,
    #[serde(default)]
    tests: Vec<String>,
    #[serde(default)]
    test_plans: Vec<String>,
    #[serde(default)]
    variable_sets: Vec<Vec<PathBuf>>,
    #[serde(default)]
    overwrite_variables: Vec<String>,
    #[serde(default)]
    overlays: Vec<OverlayRequest>,
    #[serde(default)]
    validate: bool,
    #[serde(default)]
    raw: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OverlayRequest {
    url: String,
    #[serde(default = "root")]
    path: String,
}

fn root() -> String {
    "/".into()
}

fn error_json(err: &testplan_core::Error) -> Value {
    let d = err.detail();
    json!({
        "kind": d.kind,
        "message": err.to_string(),
        "variable": d.variable,
        "template": d.template,
        "file": d.file,
        "line": d.line,
        "column": d.column,
        "reason": d.reason,
    })
}

fn outcome_json(o: &JobOutcome, with_raw: bool) -> Value {
    let mut job = json!({
        "device_type": o.device_type,
        "test": o.test,
        "output_path": null,
        "yaml": null,
        "error": null,
    });
    match &o.result {
        Ok(j) => {
            job["output_path"] = json!(j.output_path().display().to_string());
            job["yaml"] = json!(j.yaml);
            if with_raw {
                job["raw"] = json!(j.raw);
            }
        }
        Err(e) => job["error"] = error_json(e),
    }
    if let Some(report) = &o.validation {
        job["lava_accepts"] = json!(report.lava_accepts());
        job["lava_errors"] = json!(report.errors().map(|i| i.to_string()).collect::<Vec<_>>());
    }
    job
}

/// Renders a matrix of jobs in parallel: every device type × test × variable
/// set. `request[0..len]` is a JSON object with `device_types` (required) and
/// optionally `tests`, `test_plans`, `variable_sets` (a list of lists of
/// variable files), `overwrite_variables`, `template_path` (absent or null: the
/// compiled-in templates), `testplan_path`, `testcase_path`,
/// `testplan_device_path`, `overlays` (`[{"url", "path"}]`), `validate` (check
/// each job with LAVA's rules) and `raw` (also return the raw render). Unknown
/// keys are refused.
///
/// On success `*out` holds a JSON object `{"jobs": [...]}`, one entry per job,
/// device-major: `device_type`, `test`, and either `output_path` and `yaml`
/// (plus `raw`, and `lava_accepts` and `lava_errors` when asked) or `error`
/// (`kind`, `message`, `variable`, `template`, `file`, `line`, `column`,
/// `reason`). A job that fails does not stop the others and the call still
/// returns KIR_STATUS_OK. The call fails only when the matrix is unusable: bad
/// JSON (KIR_STATUS_ERR_INVALID_ARGUMENT), no device type or test, an
/// unreadable variables file or test plan.
///
/// # Safety
/// `request` must point to `len` readable bytes (NULL only when `len` is 0);
/// `out` must point to a writable kir_bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_testplan_render_matrix(
    request: *const u8,
    len: usize,
    out: *mut KirBytes,
) -> KirStatus {
    ffi::call(|| {
        let out = unsafe { ffi::out_arg(out, "out") }?;
        let data = unsafe { ffi::bytes_arg(request, len, "request") }?;
        let req: MatrixRequest =
            serde_json::from_slice(data).map_err(|e| Failure::invalid("request", e))?;
        let spec = MatrixSpec {
            template_path: req.template_path,
            testplan_path: req.testplan_path,
            testcase_path: req.testcase_path,
            testplan_device_path: req.testplan_device_path,
            device_types: req.device_types,
            tests: req.tests,
            test_plans: req.test_plans,
            variable_sets: req.variable_sets,
            overwrite_variables: req.overwrite_variables,
            overlays: req
                .overlays
                .into_iter()
                .map(|o| Overlay {
                    url: o.url,
                    path: o.path,
                })
                .collect(),
        };
        let validate = req.validate.then(lava_job::validate::Options::default);
        let outcomes = spec.render(&cwd()?, validate.as_ref())?;
        let jobs: Vec<Value> = outcomes.iter().map(|o| outcome_json(o, req.raw)).collect();
        let text = serde_json::to_vec(&json!({ "jobs": jobs }))
            .map_err(|e| Failure::new(KirStatus::ErrOther, e.to_string()))?;
        *out = KirBytes::from_vec(text);
        Ok(())
    })
}
