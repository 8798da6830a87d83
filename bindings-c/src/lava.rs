//! lava-job: validating LAVA job definitions (`kir_lava_validate`) and the
//! typed job model (`kir_lava_job_normalize`, `kir_lava_job_from_json`).
//! Results are UTF-8 text in a `kir_bytes` (not NUL-terminated).

use lava_job::model::Job;
use lava_job::validate::{Options, validate_str};

use crate::ffi::{self, Failure, KirBytes, KirStatus};

impl From<lava_job::Error> for Failure {
    fn from(err: lava_job::Error) -> Self {
        let status = match &err {
            lava_job::Error::Yaml { .. } | lava_job::Error::Model { .. } => KirStatus::ErrMalformed,
            _ => KirStatus::ErrOther,
        };
        Failure::new(status, err.to_string())
    }
}

fn utf8<'a>(data: &'a [u8], arg: &str) -> ffi::Outcome<&'a str> {
    std::str::from_utf8(data)
        .map_err(|e| Failure::new(KirStatus::ErrUtf8, format!("{arg}: not UTF-8: {e}")))
}

fn json_text<T: serde::Serialize>(value: &T) -> ffi::Outcome<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| Failure::new(KirStatus::ErrOther, e.to_string()))
}

/// Validates a LAVA job (`job[0..len]`, YAML) as LAVA's schema does
/// (`strict` refuses unknown keys), plus the checks LAVA's server and
/// dispatcher make. On success `*out` holds a JSON report
/// `{"valid", "lava_accepts", "issues": [{"kind", "severity", "path", "line",
/// "column", "message"}]}`; free it with kir_bytes_free. An invalid job is
/// still KIR_STATUS_OK: the verdict is in the report.
///
/// # Safety
/// `job` must point to `len` readable bytes (NULL only when `len` is 0);
/// `out` must point to a writable kir_bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_lava_validate(
    job: *const u8,
    len: usize,
    strict: bool,
    out: *mut KirBytes,
) -> KirStatus {
    ffi::call(|| {
        let out = unsafe { ffi::out_arg(out, "out") }?;
        let text = utf8(unsafe { ffi::bytes_arg(job, len, "job") }?, "job")?;
        let options = Options {
            strict,
            ..Options::default()
        };
        *out = KirBytes::from_vec(json_text(&validate_str(text, &options))?);
        Ok(())
    })
}

/// Reads a LAVA job (`job[0..len]`, YAML) into kir's typed model and writes
/// it back as YAML that LAVA's YAML 1.1 reader reads as the same data
/// (unknown keys kept). A job with a top-level key of the wrong type returns
/// KIR_STATUS_ERR_MALFORMED; deeper down, such a key is kept as written, as
/// LAVA's non-strict mode lets it pass.
///
/// # Safety
/// `job` must point to `len` readable bytes (NULL only when `len` is 0);
/// `out` must point to a writable kir_bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_lava_job_normalize(
    job: *const u8,
    len: usize,
    out: *mut KirBytes,
) -> KirStatus {
    ffi::call(|| {
        let out = unsafe { ffi::out_arg(out, "out") }?;
        let text = utf8(unsafe { ffi::bytes_arg(job, len, "job") }?, "job")?;
        *out = KirBytes::from_vec(Job::from_yaml(text)?.to_yaml()?.into_bytes());
        Ok(())
    })
}

/// Builds a LAVA job from JSON (`json[0..len]`, the job's keys as LAVA names
/// them) through kir's typed model and writes it as LAVA YAML: the way to
/// write jobs from C. Invalid JSON or a shape the model refuses returns
/// KIR_STATUS_ERR_MALFORMED.
///
/// # Safety
/// `json` must point to `len` readable bytes (NULL only when `len` is 0);
/// `out` must point to a writable kir_bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kir_lava_job_from_json(
    json: *const u8,
    len: usize,
    out: *mut KirBytes,
) -> KirStatus {
    ffi::call(|| {
        let out = unsafe { ffi::out_arg(out, "out") }?;
        let data = unsafe { ffi::bytes_arg(json, len, "json") }?;
        let parsed: serde_json::Value = serde_json::from_slice(data)
            .map_err(|e| Failure::new(KirStatus::ErrMalformed, format!("json: {e}")))?;
        let value = lava_job::value::to_value(&parsed)?;
        *out = KirBytes::from_vec(Job::from_value(value)?.to_yaml()?.into_bytes());
        Ok(())
    })
}
