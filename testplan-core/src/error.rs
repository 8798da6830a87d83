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

/// An [`Error`] as plain fields, the form the Python and C bindings report
/// (exception attributes, JSON objects). Fields that do not apply are `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorDetail {
    /// Which variant: `variables`, `override`, `template_not_found`,
    /// `undefined`, `template`, `job_yaml`, `test_definition`, `io`,
    /// `invalid_argument`.
    pub kind: &'static str,
    /// The undefined variable, or the `--overwrite-variables` item.
    pub variable: Option<String>,
    /// The template the error is in, or the template that was not found.
    pub template: Option<String>,
    /// The file or path (variables file, test definition, unreadable path).
    pub file: Option<String>,
    /// 1-based line (in the template, the variables file or the raw render).
    pub line: Option<usize>,
    /// 1-based column (rendered job YAML errors).
    pub column: Option<usize>,
    /// What is wrong, without the location.
    pub reason: String,
}

impl Error {
    /// The error as plain fields.
    pub fn detail(&self) -> ErrorDetail {
        let d = ErrorDetail::default;
        match self {
            Error::Variables { file, line, reason } => ErrorDetail {
                kind: "variables",
                file: Some(file.clone()),
                line: Some(*line),
                reason: reason.clone(),
                ..d()
            },
            Error::Override { item, reason } => ErrorDetail {
                kind: "override",
                variable: Some(item.clone()),
                reason: reason.clone(),
                ..d()
            },
            Error::TemplateNotFound { name, search_path } => ErrorDetail {
                kind: "template_not_found",
                template: Some(name.clone()),
                reason: format!("not found in {search_path}"),
                ..d()
            },
            Error::Undefined {
                variable,
                template,
                line,
            } => ErrorDetail {
                kind: "undefined",
                variable: Some(variable.clone()),
                template: Some(template.clone()),
                line: Some(*line),
                reason: format!("'{variable}' is undefined"),
                ..d()
            },
            Error::Template {
                template,
                line,
                reason,
            } => ErrorDetail {
                kind: "template",
                template: Some(template.clone()),
                line: Some(*line),
                reason: reason.clone(),
                ..d()
            },
            Error::JobYaml {
                line,
                column,
                reason,
            } => ErrorDetail {
                kind: "job_yaml",
                line: Some(*line),
                column: Some(*column),
                reason: reason.clone(),
                ..d()
            },
            Error::TestDefinition {
                file,
                field,
                reason,
            } => ErrorDetail {
                kind: "test_definition",
                file: Some(file.clone()),
                reason: format!("{field}: {reason}"),
                ..d()
            },
            Error::Io { path, reason } => ErrorDetail {
                kind: "io",
                file: Some(path.clone()),
                reason: reason.clone(),
                ..d()
            },
            Error::InvalidArgument(reason) => ErrorDetail {
                kind: "invalid_argument",
                reason: reason.clone(),
                ..d()
            },
        }
    }

    pub(crate) fn io(path: &std::path::Path, err: &std::io::Error) -> Self {
        Error::Io {
            path: path.display().to_string(),
            reason: err.to_string(),
        }
    }
}
