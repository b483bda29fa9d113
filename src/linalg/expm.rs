//! The matrix exponential by scaling and squaring with a diagonal Padé approximant.
//!
//! `exp(A) = (exp(A / 2^s))^(2^s)`, where `s` is the smallest power of two with
//! `||A / 2^s||_inf <= 1/2`, and `exp(X)` for the scaled `X` is the [6/6] Padé approximant
//! `D(X)^{-1} N(X)`, `N(X) = sum_k c_k X^k`, `D(X) = N(-X)`,
//! `c_k = (12 - k)! 6! / (12! k! (6 - k)!)`. For `||X|| <= 1/2` the approximant's backward
//! error is bounded by `2^(3 - 2q) (q!)^2 / ((2q)! (2q + 1)!)` with `q = 6`, about `3.4e-16`.

use ndarray::{Array2, ArrayView2};

use super::error::LinalgError;
use super::lu::solve;

/// Degree of the numerator and denominator of the Padé approximant.
const PADE_DEGREE: usize = 6;

/// Computes `exp(A)` for a square `A` in `f64`.
///
/// # Errors
/// [`LinalgError::NotSquare`] or [`LinalgError::NonFinite`] for invalid input.
/// [`LinalgError::Singular`] is not expected for finite input because `D(X)` is well conditioned
/// when `||X|| <= 1/2`, but it is propagated rather than hidden.
pub fn expm(a: ArrayView2<'_, f64>) -> Result<Array2<f64>, LinalgError> {
    let n = a.nrows();
    if a.ncols() != n {
        return Err(LinalgError::NotSquare {
            op: "expm",
            rows: n,
            cols: a.ncols(),
        });
    }
    if a.iter().any(|x| !x.is_finite()) {
        return Err(LinalgError::NonFinite { op: "expm" });
    }

    let norm = inf_norm(a);
    let squarings = if norm <= 0.5 {
        0
    } else {
        (norm / 0.5).log2().ceil() as i32
    };
    let x = a.mapv(|v| v * 0.5_f64.powi(squarings));

    // Accumulate N(X) and D(X) = N(-X) together from the powers of X.
    let mut numerator = Array2::<f64>::eye(n);
    let mut denominator = Array2::<f64>::eye(n);
    let mut power = Array2::<f64>::eye(n);
    let mut coefficient = 1.0;
    for k in 1..=PADE_DEGREE {
        coefficient *= (PADE_DEGREE + 1 - k) as f64 / (k * (2 * PADE_DEGREE + 1 - k)) as f64;
        power = power.dot(&x);
        let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
        numerator.scaled_add(coefficient, &power);
        denominator.scaled_add(sign * coefficient, &power);
    }
    let mut result = solve(denominator.view(), numerator.view())?;

    for _ in 0..squarings {
        result = result.dot(&result);
    }
    Ok(result)
}

/// Maximum absolute row sum.
fn inf_norm(a: ArrayView2<'_, f64>) -> f64 {
    a.rows()
        .into_iter()
        .map(|row| row.iter().map(|v| v.abs()).sum::<f64>())
        .fold(0.0, f64::max)
}
