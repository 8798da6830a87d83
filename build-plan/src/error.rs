//! The one error type of build-plan.

/// Result alias for build-plan.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in build-plan.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A request names something TuxMake does not know or does not support.
    #[error("{what}: {reason}")]
    Unsupported {
        /// The offending input (`--target-arch=foo`, `LLVM=0`, ...).
        what: String,
        /// Why it was refused.
        reason: String,
    },
}
