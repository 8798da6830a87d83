//! build-plan: what tuxmake would run (`kir_buildplan_tuxmake`) and a
//! TuxSuite plan expanded and rendered (`kir_buildplan_expand`). Both
//! return text in a `kir_bytes` (UTF-8, not NUL-terminated).

use std::ffi::c_char;
use std::sync::OnceLock;

use build_plan::emit::{Format, expand_plan_text};
use build_plan::tuxsuite::LocalOptions;
use build_plan::{Catalog, SystemHost, plan_args};

use crate::ffi::{self, Failure, KirBytes, KirStatus};

/// Output formats of `kir_buildplan_expand` (values never change).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KirPlanFormat {
    /// A plain TuxSuite plan (matrix expanded).
    Tuxsuite = 0,
    /// A JSON list of tuxmake/tuxrun command lines.
    Json = 1,
    /// A GitLab CI child pipeline.
    Gitlab = 2,
    /// TuxSuite's own expansion (plan items and local command lines) as JSON.
    Expansion = 3,
}

impl From<build_plan::Error> for Failure {
    fn from(err: build_plan::Error) -> Self {
        use build_plan::Error as E;
        let status = match &err {
            E::Unsupported { .. } => KirStatus::ErrUnsupported,
            E::Rejected { .. } | E::Arguments { .. } | E::Template { .. } => {
                KirStatus::ErrInvalidArgument
            }
            E::Yaml { .. } | E::Plan { .. } => KirStatus::ErrMalformed,
            _ => KirStatus::ErrOther,
        };
        Failure::new(status, err.to_string())
    }
}

fn catalog() -> ffi::Outcome<&'static Catalog> {
    static CATALOG: OnceLock<Result<Catalog, build_plan::Error>> = OnceLock::new();
    CATALOG
        .get_or_init(Catalog::tuxmake)
        .as_ref()
        .map_err(|e| Failure::from(e.clone()))
}

/// Plans a tuxmake build: `argv[0..argc]` are tuxmake's options (without
/// the program name, plus `--timestamp EPOCH` and `--dynamic NAME=VALUE`).
/// On success `*out` holds the plan.json text; free it with kir_bytes_free.
/// A refused request returns KIR_STATUS_ERR_UNSUPPORTED (unknown or
/// unsupported names) or KIR_STATUS_ERR_INVALID_ARGUMENT (refused values).
///
/// # Safety
/// `argv` must point to `argc` NUL-terminated strings (NULL only when
/// `argc` is 0); `out` must point to a writable kir_bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_buildplan_tuxmake(
    argv: *const *const c_char,
    argc: usize,
    out: *mut KirBytes,
) -> KirStatus {
    ffi::call(|| {
        let out = unsafe { ffi::out_arg(out, "out") }?;
        if argc > 0 && argv.is_null() {
            return Err(Failure::null("argv"));
        }
        let mut args = Vec::with_capacity(argc.min(4096));
        for i in 0..argc {
            // SAFETY: per the caller, argv holds argc string pointers.
            let ptr = unsafe { *argv.add(i) };
            args.push(unsafe { ffi::str_arg(ptr, &format!("argv[{i}]")) }?.to_string());
        }
        let plan = plan_args(catalog()?, &args, &SystemHost)?;
        *out = KirBytes::from_vec(plan.to_json().into_bytes());
        Ok(())
    })
}

/// Expands a TuxSuite plan (`plan[0..len]`, YAML; the matrix syntax is
/// allowed) the way TuxSuite does, with default local options (tree `.`,
/// output `output`, runtime podman), rendered as `format` (a
/// kir_plan_format value). On success `*out` holds the text; free it with
/// kir_bytes_free. An invalid plan returns KIR_STATUS_ERR_MALFORMED with the
/// file, job, key and line in kir_last_error_message().
///
/// # Safety
/// `plan` must point to `len` readable bytes (NULL only when `len` is 0);
/// `out` must point to a writable kir_bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_buildplan_expand(
    plan: *const u8,
    len: usize,
    format: u32,
    out: *mut KirBytes,
) -> KirStatus {
    ffi::call(|| {
        let out = unsafe { ffi::out_arg(out, "out") }?;
        let data = unsafe { ffi::bytes_arg(plan, len, "plan") }?;
        let text = std::str::from_utf8(data)
            .map_err(|e| Failure::new(KirStatus::ErrUtf8, format!("plan: not UTF-8: {e}")))?;
        let format = match format {
            0 => Format::Tuxsuite,
            1 => Format::Json,
            2 => Format::Gitlab,
            3 => Format::Expansion,
            other => {
                return Err(Failure::invalid(
                    "format",
                    format_args!("unknown kir_plan_format {other}"),
                ));
            }
        };
        let rendered = expand_plan_text(
            catalog()?,
            text,
            "plan.yaml",
            None,
            &LocalOptions::default(),
            "x86_64",
            format,
        )?;
        *out = KirBytes::from_vec(rendered.text.into_bytes());
        Ok(())
    })
}
