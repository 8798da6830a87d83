//! build-plan: what TuxMake would run for a kernel build, and what a TuxSuite
//! plan file expands to, computed as data without running anything.
//!
//! Modules (filled as the planner grows): `catalog` (architectures,
//! toolchains, targets, wrappers and the support matrix, as data files),
//! `tuxmake` (the planner), `tuxsuite` (plan files and their expansion),
//! `emit` (TuxSuite, JSON and GitLab CI outputs).

mod error;

pub use error::{Error, Result};
