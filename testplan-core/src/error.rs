//! The one error type of testplan-core.

/// Result alias for testplan-core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in testplan-core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A variables file is malformed.
    #[error("{file}, line {line}: {reason}")]
    Variables {
        /// File name.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}
