//! The error type of the data layer.

use std::path::PathBuf;

/// Errors raised while reading, windowing or validating data.
///
/// File errors name the file and the one-based line of the offending record (the header is
/// line 1) and show the rejected value.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A CSV record could not be read (bad quoting, wrong number of fields, invalid UTF-8).
    #[error("{}:{line}: invalid CSV: {message}", file.display())]
    Parse {
        /// The file.
        file: PathBuf,
        /// One-based line number.
        line: u64,
        /// The CSV reader's message.
        message: String,
    },

    /// A file has a header but no data rows, or no header at all.
    #[error(
        "{}: no data rows. Expected a header line followed by one row per sample",
        file.display()
    )]
    EmptyFile {
        /// The file.
        file: PathBuf,
    },

    /// A required column is missing from a file's header.
    #[error("{}: missing column '{column}' (header: {header}). {fix}", file.display())]
    MissingColumn {
        /// The file.
        file: PathBuf,
        /// The accepted names of the missing column, for example `t_s or t`.
        column: String,
        /// The header as read.
        header: String,
        /// Description of the required columns.
        fix: &'static str,
    },

    /// The header names the same quantity twice (for example both `t` and `t_s`).
    #[error("{}: columns {names} both give {quantity}; keep one of them", file.display())]
    AmbiguousColumn {
        /// The file.
        file: PathBuf,
        /// The quantity, for example `time`.
        quantity: &'static str,
        /// The conflicting column names.
        names: String,
    },

    /// A field contains a value of the wrong kind: non-numeric, NaN or infinite, an unknown split.
    #[error("{}:{line}: invalid {column} = '{value}': expected {expected}", file.display())]
    InvalidValue {
        /// The file.
        file: PathBuf,
        /// One-based line number.
        line: u64,
        /// The column name.
        column: String,
        /// The rejected field, as written.
        value: String,
        /// Description of a valid value.
        expected: String,
    },

    /// The time of a sample does not follow the track's regular grid.
    #[error(
        "{}:{line}: track '{track}' has time {time} s after {previous} s, a step of {} s; \
         samples of a track must be sorted by time on a regular grid of dt = {dt} s \
         (a step longer than dt is a gap and splits the track)",
        file.display(), time - previous
    )]
    IrregularTime {
        /// The file.
        file: PathBuf,
        /// One-based line number of the offending sample.
        line: u64,
        /// The track id.
        track: String,
        /// Time of the previous sample of the track, in seconds.
        previous: f64,
        /// Time of this sample, in seconds.
        time: f64,
        /// The file's grid step, in seconds.
        dt: f64,
    },

    /// A per-track column (split, group) changes value inside one track.
    ///
    /// The text fields are boxed to keep [`crate::Error`] small.
    #[error(
        "{}:{line}: track '{track}' has {column} = '{value}' but '{first}' on earlier rows; \
         every row of a track must carry the same {column}",
        file.display()
    )]
    InconsistentTrack {
        /// The file.
        file: PathBuf,
        /// One-based line number.
        line: u64,
        /// The track id.
        track: Box<str>,
        /// The quantity: `split` or `group`.
        column: &'static str,
        /// The value on earlier rows.
        first: Box<str>,
        /// The value on this row.
        value: Box<str>,
    },

    /// A track id of the tracks file is missing from the index file, or repeated in the index.
    #[error("{}:{line}: track '{track}': {problem}", file.display())]
    IndexMismatch {
        /// The file in which the problem was found.
        file: PathBuf,
        /// One-based line number.
        line: u64,
        /// The track id.
        track: String,
        /// Description of the problem.
        problem: String,
    },

    /// A split (train, val, test) has no samples.
    #[error("{source_name}: split '{split}' is empty: {reason}")]
    EmptySplit {
        /// The dataset or file.
        source_name: String,
        /// The empty split.
        split: String,
        /// Explanation, with the counts of tracks and dropped windows.
        reason: String,
    },

    /// The inputs and targets of a dataset have different numbers of rows.
    #[error("split '{split}': {inputs} input rows but {targets} target rows")]
    RowMismatch {
        /// The split.
        split: String,
        /// Rows of the input matrix.
        inputs: usize,
        /// Rows of the target matrix.
        targets: usize,
    },

    /// Two splits of one dataset have different numbers of columns.
    #[error("split '{split}': {part} have {found} columns but split 'train' has {expected}")]
    ColumnMismatch {
        /// The split that differs from the training split.
        split: String,
        /// `inputs` or `targets`.
        part: &'static str,
        /// Columns of the training split.
        expected: usize,
        /// Columns of this split.
        found: usize,
    },

    /// A dataset value is NaN or infinite.
    #[error(
        "split '{split}': {part} row {row}, column {column} is {value}; every value must be finite"
    )]
    NonFinite {
        /// The split.
        split: String,
        /// `inputs` or `targets`.
        part: &'static str,
        /// Zero-based row.
        row: usize,
        /// Zero-based column.
        column: usize,
        /// The value.
        value: f64,
    },

    /// The common scale factor estimated from the training windows is zero or not finite.
    #[error(
        "{source_name}: the RMS of the centred training inputs is {scale} m; the training \
         tracks do not move, so positions cannot be scaled"
    )]
    DegenerateScale {
        /// The dataset or file.
        source_name: String,
        /// The estimated scale, in metres.
        scale: f64,
    },
}
