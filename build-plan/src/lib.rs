//! build-plan: what TuxMake would run for a kernel build, and what a TuxSuite
//! plan file expands to, computed as data without running anything.
//!
//! - [`catalog`]: architectures, toolchains, targets, wrappers and container
//!   images as data files (TuxMake 1.45.0 embedded; [`Catalog::from_dir`]
//!   reads another release).
//! - [`tuxmake`]: the planner ([`plan`]), byte-for-byte TuxMake's commands.
//! - [`args`]: TuxMake's command line parsed into a [`Request`].
//! - [`yaml`], [`tuxsuite`], [`matrix`]: plan files, their validation and
//!   expansion, and the matrix syntax.
//! - [`emit`]: TuxSuite plan, JSON command lines and GitLab CI outputs.

pub mod args;
pub mod catalog;
pub mod emit;
mod error;
pub mod host;
pub mod matrix;
pub mod text;
pub mod tuxmake;
pub mod tuxsuite;
pub mod yaml;

pub use catalog::Catalog;
pub use error::{Error, Result};
pub use host::{Host, StaticHost, SystemHost};
pub use tuxmake::{Plan, Request, plan, plan_args};
