//! testplan-core: lava-test-plans' rendering, in-process.
//!
//! Device types, test cases, test plans and project overrides are Jinja2
//! templates; variable files (ConfigObj ini or YAML) supply their values. This
//! crate renders an unchanged lava-test-plans template tree with the same
//! output as the Python tool, one job or a whole matrix at a time.
//!
//! Modules: [`vars`] (ini and YAML variable files, merged as the Python tool
//! merges them), [`bundled`] (the project's own templates, compiled in), [`engine`] (minijinja set up like lava-test-plans' Jinja2
//! environment), [`render`] (jobs and matrices), [`squad`] (submission requests), [`testdef`]
//! (Linaro test-definitions and test plans).

mod error;

pub mod bundled;
pub mod engine;
pub mod render;
pub mod squad;
pub mod testdef;
pub mod vars;

pub use error::{Error, ErrorDetail, Result};
pub use render::{
    Job, JobOutcome, JobRequest, Matrix, MatrixSpec, Overlay, Renderer, TreePaths, render_matrix,
};
pub use vars::Variables;

/// The project's own small template tree (a QEMU arm64 and a fastboot board, a
/// boot and an LTP test), compiled in and used when no `--template-path` is
/// given: the virtual directory [`bundled::ROOT`].
pub const BUNDLED_TEMPLATES: &str = bundled::ROOT;
