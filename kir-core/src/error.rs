//! The one error type of kir-core.

use std::path::PathBuf;

/// Result alias used by every fallible function in kir-core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in kir-core.
///
/// Each variant carries enough to find the problem: the format and byte
/// offset for malformed binary input, the argument name for a bad request,
/// the path for I/O. The `Display` text is what a person sees; bindings map
/// variants to their own error kinds through [`Error::kind`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A binary structure does not follow its format.
    #[error("{format}: offset {offset:#x}: {field}: {reason}")]
    Malformed {
        /// Format being read, e.g. `boot image v2`, `cpio newc`, `sparse`.
        format: &'static str,
        /// Byte offset of the offending field within the input.
        offset: u64,
        /// Field name as the format's specification spells it.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// Input is well formed but uses something kir does not implement.
    #[error("{format}: {reason}")]
    Unsupported {
        /// Format concerned.
        format: &'static str,
        /// What is not supported.
        reason: String,
    },

    /// A caller-supplied argument or option is invalid.
    #[error("{name}: {reason}")]
    InvalidArgument {
        /// Argument or option name as the caller gave it (e.g. `--pagesize`).
        name: String,
        /// Why it was refused.
        reason: String,
    },

    /// An input check failed: the wrong kind of file, or inputs that disagree
    /// with each other (kernel release vs modules, DTB compatible vs recipe).
    #[error("{input}: {reason}")]
    Check {
        /// The input concerned (path or role, e.g. `kernel`, `modules tarball`).
        input: String,
        /// What the check found.
        reason: String,
    },

    /// A recipe (device profile) is missing or invalid.
    #[error("recipe {recipe}: {reason}")]
    Recipe {
        /// Recipe name or file.
        recipe: String,
        /// What is wrong.
        reason: String,
    },

    /// An archive entry would be written outside its destination.
    #[error("{archive}: entry {entry:?} escapes the destination: {reason}")]
    UnsafePath {
        /// Archive being extracted.
        archive: String,
        /// Entry name as stored.
        entry: String,
        /// Why it was refused.
        reason: String,
    },

    /// Fetching a URL failed.
    #[error("{url}: {reason}")]
    Fetch {
        /// The URL.
        url: String,
        /// What went wrong.
        reason: String,
    },

    /// An I/O operation on a named file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// File or directory concerned.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// Broad family of an [`Error`], stable across releases, for bindings and exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// [`Error::Malformed`]
    Malformed,
    /// [`Error::Unsupported`]
    Unsupported,
    /// [`Error::InvalidArgument`]
    InvalidArgument,
    /// [`Error::Check`]
    Check,
    /// [`Error::Recipe`]
    Recipe,
    /// [`Error::UnsafePath`]
    UnsafePath,
    /// [`Error::Fetch`]
    Fetch,
    /// [`Error::Io`]
    Io,
}

impl Error {
    /// The family this error belongs to.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Malformed { .. } => ErrorKind::Malformed,
            Error::Unsupported { .. } => ErrorKind::Unsupported,
            Error::InvalidArgument { .. } => ErrorKind::InvalidArgument,
            Error::Check { .. } => ErrorKind::Check,
            Error::Recipe { .. } => ErrorKind::Recipe,
            Error::UnsafePath { .. } => ErrorKind::UnsafePath,
            Error::Fetch { .. } => ErrorKind::Fetch,
            Error::Io { .. } => ErrorKind::Io,
        }
    }

    /// Shorthand for [`Error::Malformed`].
    pub fn malformed(
        format: &'static str,
        offset: u64,
        field: &'static str,
        reason: impl Into<String>,
    ) -> Self {
        Error::Malformed {
            format,
            offset,
            field,
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::InvalidArgument`].
    pub fn invalid_argument(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidArgument {
            name: name.into(),
            reason: reason.into(),
        }
    }

    /// This error with its offset moved `by` bytes further: an error found
    /// inside a part (one member of a concatenation) placed in the whole.
    /// Errors without an offset are returned as they are.
    pub(crate) fn shifted(self, by: usize) -> Self {
        match self {
            Error::Malformed {
                format,
                offset,
                field,
                reason,
            } => Error::Malformed {
                format,
                offset: offset.saturating_add(by as u64),
                field,
                reason,
            },
            other => other,
        }
    }

    /// Shorthand for [`Error::Io`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_error_names_format_offset_and_field() {
        let e = Error::malformed("boot image v2", 0x8, "kernel_size", "runs past end of file");
        assert_eq!(
            e.to_string(),
            "boot image v2: offset 0x8: kernel_size: runs past end of file"
        );
        assert_eq!(e.kind(), ErrorKind::Malformed);
    }

    #[test]
    fn io_error_names_the_path() {
        let e = Error::io(
            "/nope/boot.img",
            std::io::Error::from(std::io::ErrorKind::NotFound),
        );
        assert!(e.to_string().starts_with("/nope/boot.img: "), "{e}");
        assert_eq!(e.kind(), ErrorKind::Io);
    }
}
