//! lava-job: LAVA job definitions as typed data, read from and written to
//! YAML, and checked the way a LAVA server would check them before a job is
//! submitted.
//!
//! * [`yaml`]: YAML in with a line and column per node, YAML out that LAVA's
//!   YAML 1.1 reader reads back as the same data.
//! * [`value`]: the generic YAML value and serde conversions.

pub mod builder;
mod error;
pub mod model;
pub mod validate;
pub mod value;
pub mod yaml;

pub use error::{Error, Result};
pub use value::{Mapping, Value};
