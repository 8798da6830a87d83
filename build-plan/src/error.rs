//! The one error type of build-plan.

/// Result alias for build-plan.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in build-plan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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
    /// A request is well-formed but refused: a rejected make variable, a
    /// value that does the opposite of what it says, inconsistent options.
    #[error("{what}: {reason}")]
    Rejected {
        /// The offending input.
        what: String,
        /// Why it was refused.
        reason: String,
    },
    /// A command-line style argument list could not be parsed.
    #[error("argument {argument}: {reason}")]
    Arguments {
        /// The argument that could not be used.
        argument: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A YAML document could not be read.
    #[error("{source_name}:{line}:{column}: {reason}")]
    Yaml {
        /// File name or `<input>`.
        source_name: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        reason: String,
    },
    /// A TuxSuite plan (or build-set, or matrix) is invalid.
    #[error("{location}: {reason}")]
    Plan {
        /// Where: `jobs[2] (x86-clang).builds[0].toolchain`, with a line when known.
        location: String,
        /// What is wrong.
        reason: String,
    },
    /// A catalogue data file is malformed.
    #[error("catalogue {file}: {reason}")]
    Catalog {
        /// The data file.
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// A command template refers to a placeholder that does not exist.
    #[error("template {template:?}: {reason}")]
    Template {
        /// The template text.
        template: String,
        /// What is wrong.
        reason: String,
    },
}

impl Error {
    pub(crate) fn unsupported(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Unsupported {
            what: what.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn rejected(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Rejected {
            what: what.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn plan(location: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Plan {
            location: location.into(),
            reason: reason.into(),
        }
    }
}
