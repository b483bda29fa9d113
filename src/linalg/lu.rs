//! LU factorisation with partial pivoting: linear solves and inverses of small dense matrices.
//!
//! Used for group elements (`g^{-1}`, `g^{-T}` in tensor representations) and the Padé step of
//! the matrix exponential. These matrices have at most a few dozen rows.

use ndarray::{Array2, ArrayView2, s};

use super::error::LinalgError;

/// Solves `A X = B` for `X` by LU factorisation of `A` with partial (row) pivoting.
///
/// # Errors
/// [`LinalgError::NotSquare`] if `A` is not square, [`LinalgError::NonFinite`] on NaN or
/// infinite entries, [`LinalgError::Singular`] if a pivot is below `n * eps * max|A_ij|`.
///
/// # Panics
/// If `B` does not have as many rows as `A`.
pub fn solve(a: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>) -> Result<Array2<f64>, LinalgError> {
    let n = a.nrows();
    if a.ncols() != n {
        return Err(LinalgError::NotSquare {
            op: "solve",
            rows: n,
            cols: a.ncols(),
        });
    }
    assert_eq!(
        b.nrows(),
        n,
        "solve: right-hand side has {} rows, matrix has {n}",
        b.nrows()
    );
    if a.iter().chain(b.iter()).any(|x| !x.is_finite()) {
        return Err(LinalgError::NonFinite { op: "solve" });
    }

    let mut lu = a.to_owned();
    let mut x = b.to_owned();
    let max_abs = lu.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let tiny = n as f64 * f64::EPSILON * max_abs;

    for col in 0..n {
        let pivot_row = (col..n)
            .max_by(|&i, &j| lu[[i, col]].abs().total_cmp(&lu[[j, col]].abs()))
            .unwrap_or(col);
        let pivot = lu[[pivot_row, col]];
        if pivot.abs() <= tiny || pivot == 0.0 {
            return Err(LinalgError::Singular {
                size: n,
                column: col,
                pivot: pivot.abs(),
            });
        }
        if pivot_row != col {
            swap_rows(&mut lu, pivot_row, col);
            swap_rows(&mut x, pivot_row, col);
        }
        for row in col + 1..n {
            let factor = lu[[row, col]] / pivot;
            if factor == 0.0 {
                continue;
            }
            lu[[row, col]] = factor;
            for k in col + 1..n {
                lu[[row, k]] -= factor * lu[[col, k]];
            }
            for k in 0..x.ncols() {
                x[[row, k]] -= factor * x[[col, k]];
            }
        }
    }

    // Back substitution with the upper triangle.
    for col in (0..n).rev() {
        let pivot = lu[[col, col]];
        for k in 0..x.ncols() {
            let mut acc = x[[col, k]];
            for j in col + 1..n {
                acc -= lu[[col, j]] * x[[j, k]];
            }
            x[[col, k]] = acc / pivot;
        }
    }
    Ok(x)
}

/// Returns `A^{-1}`.
///
/// # Errors
/// As [`solve`].
pub fn inverse(a: ArrayView2<'_, f64>) -> Result<Array2<f64>, LinalgError> {
    solve(a, Array2::eye(a.nrows()).view())
}

fn swap_rows(m: &mut Array2<f64>, i: usize, j: usize) {
    let (mut top, mut bottom) = m.multi_slice_mut((s![i, ..], s![j, ..]));
    ndarray::Zip::from(&mut top)
        .and(&mut bottom)
        .for_each(std::mem::swap);
}
