//! lava-job: LAVA job definitions as typed data, read from and written to
//! YAML, and checked the way a LAVA server would check them before a job is
//! submitted.
//!
//! Modules (filled as the model grows): `model` (serde types for the job and
//! its actions), `yaml` (positions kept per node, YAML 1.1-safe output),
//! `validate` (LAVA's schema rules, strict and non-strict, and the checks a
//! dispatcher makes), `builder` (jobs from code).

mod error;

pub use error::{Error, Result};
