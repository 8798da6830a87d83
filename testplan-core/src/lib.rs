//! testplan-core: lava-test-plans' rendering, in-process.
//!
//! Device types, test cases, test plans and project overrides are Jinja2
//! templates; variable files (ConfigObj ini or YAML) supply their values. This
//! crate renders an unchanged lava-test-plans template tree with the same
//! output as the Python tool, one job or a whole matrix at a time.
//!
//! Modules: [`vars`] (ini and YAML variable files, merged as the Python tool
//! merges them), [`engine`] (minijinja set up like lava-test-plans' Jinja2
//! environment), [`render`] (jobs and matrices).

mod error;

pub mod engine;
pub mod render;
pub mod vars;

pub use error::{Error, Result};
pub use render::{
    Job, JobOutcome, JobRequest, Matrix, Overlay, Renderer, TreePaths, render_matrix,
};
pub use vars::Variables;
