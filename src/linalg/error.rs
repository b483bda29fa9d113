//! Errors of the dense linear-algebra routines.

/// A failure of a factorisation, eigensolver or null-space computation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LinalgError {
    /// The routine needs a square matrix.
    #[error("{op} needs a square matrix, got {rows}x{cols}")]
    NotSquare {
        /// The routine, for example `"symmetric_eigen"`.
        op: &'static str,
        /// Number of rows of the input.
        rows: usize,
        /// Number of columns of the input.
        cols: usize,
    },

    /// The input contains NaN or an infinity.
    #[error("{op}: the input contains a non-finite entry")]
    NonFinite {
        /// The routine that rejected the input.
        op: &'static str,
    },

    /// LU factorisation met a pivot that is zero relative to the matrix norm.
    #[error(
        "matrix of size {size} is singular to working precision (pivot {pivot:e} in column {column})"
    )]
    Singular {
        /// Order of the matrix.
        size: usize,
        /// Column whose pivot vanished.
        column: usize,
        /// The pivot's magnitude.
        pivot: f64,
    },

    /// The symmetric QR iteration did not converge within its iteration limit.
    #[error(
        "symmetric eigensolver did not converge for a {size}x{size} matrix after {iterations} QR steps"
    )]
    NoConvergence {
        /// Order of the matrix.
        size: usize,
        /// QR steps taken.
        iterations: usize,
    },

    /// The singular values of a constraint do not separate into "zero" and "clearly non-zero",
    /// so the null space is ill-defined at the requested tolerance.
    #[error(
        "no spectral gap at the null-space tolerance: singular value {ambiguous:e} lies between \
         the null threshold {null_threshold:e} and the non-null threshold {range_threshold:e} \
         (constraint norm {scale:e}); loosen or tighten NullSpaceTolerance"
    )]
    NoSpectralGap {
        /// The offending singular value.
        ambiguous: f64,
        /// Singular values at or below this count as zero.
        null_threshold: f64,
        /// Singular values below this and above `null_threshold` are rejected as ambiguous.
        range_threshold: f64,
        /// The constraint norm the thresholds are relative to.
        scale: f64,
    },
}
