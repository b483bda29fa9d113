//! Orthonormal null spaces with a tolerance relative to the constraint's norm.
//!
//! The null space of a constraint `C` (rows x n) is read off the eigen-decomposition of the
//! Gram matrix `M = C^T C`: eigenvectors whose singular value `sigma = sqrt(lambda)` is at most
//! `null_rel * scale` span it, where `scale` is the norm of the constraint. Eigenvalues of `M`
//! carry an absolute error of about `n eps ||C||^2`, which puts the computed singular values of
//! exact null vectors up to about `sqrt(n eps) ||C||` (about `1.5e-7 ||C||` for n = 100), so
//! `null_rel` defaults to `1e-5`. A singular value
//! strictly between `null_rel * scale` and `range_rel * scale` means there is no clear gap at
//! this tolerance: the routine then returns [`LinalgError::NoSpectralGap`] instead of a basis
//! that may be silently truncated or padded. A basis with zero columns is a valid result.

use ndarray::{Array2, ArrayView2, s};

use super::eigen::symmetric_eigen;
use super::error::LinalgError;
use super::gemm::matmul;

/// Thresholds of the null-space test, both relative to the constraint norm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NullSpaceTolerance {
    /// Singular values at or below `null_rel * scale` count as zero.
    pub null_rel: f64,
    /// Singular values at or above `range_rel * scale` count as non-zero. Anything in between
    /// is rejected as ambiguous.
    pub range_rel: f64,
}

impl Default for NullSpaceTolerance {
    fn default() -> Self {
        Self {
            null_rel: 1e-5,
            range_rel: 1e-3,
        }
    }
}

/// Returns an orthonormal basis (n x r) of the null space of `c` (rows x n).
///
/// The scale is the spectral norm of `c`. A zero constraint (including one with no rows)
/// has the whole space as its null space.
///
/// # Errors
/// [`LinalgError::NonFinite`] for NaN or infinite entries, [`LinalgError::NoSpectralGap`]
/// when a singular value falls between the two thresholds, and eigensolver failures.
pub fn null_space(
    c: ArrayView2<'_, f64>,
    tolerance: NullSpaceTolerance,
) -> Result<Array2<f64>, LinalgError> {
    if c.iter().any(|x| !x.is_finite()) {
        return Err(LinalgError::NonFinite { op: "null_space" });
    }
    let gram = matmul(c.t(), c);
    null_space_of_gram(gram.view(), None, tolerance)
}

/// Returns an orthonormal basis of the null space of a constraint `C` given its Gram matrix
/// `gram = C^T C` (n x n, symmetric positive semi-definite).
///
/// `scale` is the constraint norm the thresholds are relative to; `None` uses the spectral
/// norm `sqrt(lambda_max(gram))`. Pass an explicit scale when `C` is a restriction of a larger
/// constraint whose norm is known: a restriction that vanishes up to round-off then yields
/// a full null space instead of a comparison of noise with noise.
///
/// # Errors
/// As [`null_space`]; also [`LinalgError::NotSquare`].
pub fn null_space_of_gram(
    gram: ArrayView2<'_, f64>,
    scale: Option<f64>,
    tolerance: NullSpaceTolerance,
) -> Result<Array2<f64>, LinalgError> {
    let n = gram.nrows();
    let eigen = symmetric_eigen(gram)?;
    let singular: Vec<f64> = eigen.values.iter().map(|&l| l.max(0.0).sqrt()).collect();
    let largest = singular.last().copied().unwrap_or(0.0);
    let scale = scale.unwrap_or(largest).max(largest);
    if scale == 0.0 {
        return Ok(Array2::eye(n));
    }

    let null_threshold = tolerance.null_rel * scale;
    let range_threshold = tolerance.range_rel * scale;
    if let Some(&ambiguous) = singular
        .iter()
        .find(|&&sigma| sigma > null_threshold && sigma < range_threshold)
    {
        return Err(LinalgError::NoSpectralGap {
            ambiguous,
            null_threshold,
            range_threshold,
            scale,
        });
    }
    // Eigenvalues are ascending, so the null vectors are the leading columns.
    let rank_null = singular
        .iter()
        .filter(|&&sigma| sigma <= null_threshold)
        .count();
    Ok(eigen.vectors.slice(s![.., ..rank_null]).to_owned())
}
