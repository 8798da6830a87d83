//! The one error type of testplan-core.

/// Result alias for testplan-core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in testplan-core.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A variables file is neither a valid ConfigObj ini file nor valid YAML.
    #[error("{file}, line {line}: {reason}")]
    Variables {
        /// File name.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },

    /// An `--overwrite-variables` item is not `KEY=VALUE`.
    #[error("variable override {item:?}: {reason}")]
    Override {
        /// The item as given.
        item: String,
        /// What is wrong.
        reason: String,
    },

    /// A template (device type, test case) is not found on the search path.
    #[error("template {name:?} not found in {search_path}")]
    TemplateNotFound {
        /// The template name as asked for.
        name: String,
        /// The search path, joined with `:`.
        search_path: String,
    },

    /// A variable used by a template is not defined.
    #[error("'{variable}' is undefined (in {template}, line {line})")]
    Undefined {
        /// The variable name, or the failing expression when no name could be found.
        variable: String,
        /// The template where it was used.
        template: String,
        /// 1-based line in that template.
        line: usize,
    },

    /// A template does not parse, or fails while rendering for another reason.
    #[error("{template}, line {line}: {reason}")]
    Template {
        /// The template where it happened.
        template: String,
        /// 1-based line (0 when unknown).
        line: usize,
        /// What went wrong.
        reason: String,
    },

    /// The rendered job is not valid YAML (syntax error or duplicate key).
    #[error("rendered job, line {line}, column {column}: {reason}")]
    JobYaml {
        /// 1-based line in the raw render.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the YAML parser found.
        reason: String,
    },

    /// A test definition or test plan breaks a rule of the test-definitions validator.
    #[error("{file}: {field}: {reason}")]
    TestDefinition {
        /// File name.
        file: String,
        /// Field path such as `metadata.name`.
        field: String,
        /// What is wrong.
        reason: String,
    },

    /// A file or directory could not be read.
    #[error("{path}: {reason}")]
    Io {
        /// The path.
        path: String,
        /// The operating system's message.
        reason: String,
    },

    /// An argument makes no sense (empty test list, unknown test plan directory).
    #[error("{0}")]
    InvalidArgument(String),
}

impl Error {
    pub(crate) fn io(path: &std::path::Path, err: &std::io::Error) -> Self {
        Error::Io {
            path: path.display().to_string(),
            reason: err.to_string(),
        }
    }
}
