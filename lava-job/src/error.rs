//! The one error type of lava-job.

/// Result alias for lava-job.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in lava-job.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not YAML, or not a mapping where a job must be one.
    #[error("line {line}, column {column}: {reason}")]
    Yaml {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser found.
        reason: String,
    },
    /// A value does not have the shape a typed model needs.
    #[error("{reason}")]
    Model {
        /// What did not fit.
        reason: String,
    },
}
