//! The crate's error type.
//!
//! Library functions return [`Result`]; every variant names the offending value and, where one
//! exists, the fix. The CLI prints the message and exits with a non-zero status. Panics are
//! reserved for broken internal invariants and are documented where they can occur.

use std::path::PathBuf;

/// Result alias used throughout softeq.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in softeq.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Two operands of an operation have incompatible shapes.
    #[error("shape mismatch in {op}: {left:?} and {right:?}; {expected}")]
    Shape {
        /// The operation being built, for example `"matmul"`.
        op: &'static str,
        /// Shape of the first operand.
        left: Vec<usize>,
        /// Shape of the second operand (empty when the op has one operand).
        right: Vec<usize>,
        /// What the operation requires.
        expected: String,
    },

    /// A setting is outside its valid range or contradicts another setting.
    #[error("invalid {name} = {value}: {fix}")]
    InvalidSetting {
        /// Name of the setting as the user wrote it (flag or config key).
        name: String,
        /// The rejected value.
        value: String,
        /// What a valid value looks like.
        fix: String,
    },

    /// A name (task, model, group, axis, ...) that softeq does not know.
    #[error("unknown {kind} '{name}'; valid names: {valid}")]
    UnknownName {
        /// What kind of name it was meant to be.
        kind: &'static str,
        /// The rejected name.
        name: String,
        /// The accepted names, comma-separated.
        valid: String,
    },

    /// A loss, gradient or input value is NaN or infinite.
    #[error("non-finite value in {what}{}", context.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    NonFinite {
        /// Which quantity was not finite.
        what: String,
        /// Where it happened, for example the epoch.
        context: Option<String>,
    },

    /// Failure in the symmetry machinery (groups, representations, bases).
    #[error(transparent)]
    Symmetry(#[from] crate::symmetry::SymmetryError),

    /// A dense linear-algebra routine failed.
    #[error(transparent)]
    Linalg(#[from] crate::linalg::LinalgError),

    /// Failure while reading or validating a dataset.
    #[error(transparent)]
    Data(#[from] crate::data::DataError),

    /// A checkpoint or results file is malformed or does not match the model.
    #[error("checkpoint {path}: {message}")]
    Checkpoint {
        /// The file involved.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },

    /// An I/O operation on a file failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done, for example `"cannot read"`.
        action: &'static str,
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Builds an [`Error::InvalidSetting`].
    pub fn invalid(name: impl Into<String>, value: impl ToString, fix: impl Into<String>) -> Self {
        Error::InvalidSetting {
            name: name.into(),
            value: value.to_string(),
            fix: fix.into(),
        }
    }

    /// Builds an [`Error::Io`].
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
