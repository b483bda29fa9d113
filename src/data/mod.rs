//! Datasets: the synthetic tasks and trajectory files.

/// Errors raised while reading or validating data.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file could not be parsed.
    #[error("{file}:{line}: {message}")]
    Parse {
        /// The file.
        file: String,
        /// One-based line number.
        line: usize,
        /// What is wrong, with the offending value.
        message: String,
    },
}
