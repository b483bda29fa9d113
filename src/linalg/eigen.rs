//! Symmetric eigensolver: Householder tridiagonalisation followed by implicit symmetric QR
//! steps with Wilkinson shifts, accumulating the eigenvectors.
//!
//! `A = Z diag(lambda) Z^T` with `Z` orthogonal. Both stages are backward stable, so each
//! computed eigenvalue is within about `n * eps * ||A||_2` of an exact one. The cost is
//! roughly `9 n^3` flops (an operation-count estimate), so the routine suits the small and medium matrices of the
//! equivariant-basis solver (a few hundred rows).

use ndarray::{Array1, Array2, ArrayView2};

use super::error::LinalgError;

/// QR steps allowed per eigenvalue before [`LinalgError::NoConvergence`] is returned.
const MAX_STEPS_PER_EIGENVALUE: usize = 30;

/// Eigen-decomposition of a real symmetric matrix.
#[derive(Debug, Clone)]
pub struct SymmetricEigen {
    /// Eigenvalues in ascending order.
    pub values: Array1<f64>,
    /// Orthonormal eigenvectors as columns, in the order of `values`.
    pub vectors: Array2<f64>,
}

/// Computes all eigenvalues and eigenvectors of the symmetric matrix `a`.
///
/// Only the lower triangle is read, and the strict upper triangle is assumed to mirror it.
///
/// # Errors
/// [`LinalgError::NotSquare`], [`LinalgError::NonFinite`] for invalid input, and
/// [`LinalgError::NoConvergence`] if the QR iteration exceeds 30 steps per eigenvalue.
pub fn symmetric_eigen(a: ArrayView2<'_, f64>) -> Result<SymmetricEigen, LinalgError> {
    let n = a.nrows();
    if a.ncols() != n {
        return Err(LinalgError::NotSquare {
            op: "symmetric_eigen",
            rows: n,
            cols: a.ncols(),
        });
    }
    if a.iter().any(|x| !x.is_finite()) {
        return Err(LinalgError::NonFinite {
            op: "symmetric_eigen",
        });
    }
    if n == 0 {
        return Ok(SymmetricEigen {
            values: Array1::zeros(0),
            vectors: Array2::zeros((0, 0)),
        });
    }

    let mut work = a.to_owned();
    for i in 0..n {
        for j in i + 1..n {
            work[[i, j]] = work[[j, i]];
        }
    }
    let norm = work.iter().map(|v| v * v).sum::<f64>().sqrt();

    // `basis_t` is Z^T: row j is the j-th column of the accumulated orthogonal transform,
    // so that rotations touch two contiguous rows.
    let (mut diag, mut off, mut basis_t) = tridiagonalize(work);
    implicit_qr(&mut diag, &mut off, &mut basis_t, norm)?;

    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| diag[i].total_cmp(&diag[j]));
    let values = Array1::from_iter(order.iter().map(|&i| diag[i]));
    let mut vectors = Array2::zeros((n, n));
    for (col, &i) in order.iter().enumerate() {
        vectors.column_mut(col).assign(&basis_t.row(i));
    }
    Ok(SymmetricEigen { values, vectors })
}

/// Reduces the symmetric `a` to tridiagonal form `T = Q^T A Q` by Householder reflections.
///
/// Returns the diagonal of `T`, its sub-diagonal (`off[k] = T[k + 1, k]`) and `Q^T`.
fn tridiagonalize(mut a: Array2<f64>) -> (Vec<f64>, Vec<f64>, Array2<f64>) {
    let n = a.nrows();
    let mut q_t = Array2::<f64>::eye(n);
    let mut off = vec![0.0; n.saturating_sub(1)];

    for k in 0..n.saturating_sub(2) {
        // The reflection H = I - beta v v^T maps x = A[k+1.., k] onto a multiple of e_1.
        let x: Vec<f64> = (k + 1..n).map(|i| a[[i, k]]).collect();
        let alpha = x.iter().map(|v| v * v).sum::<f64>().sqrt();
        let tail_norm = x[1..].iter().map(|v| v * v).sum::<f64>().sqrt();
        if tail_norm == 0.0 {
            off[k] = x[0];
            continue;
        }
        let sign = if x[0] >= 0.0 { 1.0 } else { -1.0 };
        let mut v = x;
        v[0] += sign * alpha;
        let beta = 2.0 / v.iter().map(|t| t * t).sum::<f64>();
        off[k] = -sign * alpha;

        // Two-sided update of the trailing block S: S <- S - v w^T - w v^T, where
        // p = beta S v and w = p - (beta / 2)(v^T p) v.
        let m = n - k - 1;
        let mut p = vec![0.0; m];
        for (i, pi) in p.iter_mut().enumerate() {
            let row = a.row(k + 1 + i);
            let mut acc = 0.0;
            for (j, vj) in v.iter().enumerate() {
                acc += row[k + 1 + j] * vj;
            }
            *pi = beta * acc;
        }
        let vp: f64 = v.iter().zip(&p).map(|(a, b)| a * b).sum();
        let half = 0.5 * beta * vp;
        let w: Vec<f64> = p.iter().zip(&v).map(|(pi, vi)| pi - half * vi).collect();
        for i in 0..m {
            let (vi, wi) = (v[i], w[i]);
            let mut row = a.row_mut(k + 1 + i);
            for j in 0..m {
                row[k + 1 + j] -= vi * w[j] + wi * v[j];
            }
        }

        // Q <- Q H, stored as Q^T <- H Q^T: rows k+1.. of Q^T change.
        let mut dots = vec![0.0; n];
        for (i, vi) in v.iter().enumerate() {
            for (dot, q) in dots.iter_mut().zip(q_t.row(k + 1 + i)) {
                *dot += vi * q;
            }
        }
        for (i, vi) in v.iter().enumerate() {
            let factor = beta * vi;
            for (q, dot) in q_t.row_mut(k + 1 + i).iter_mut().zip(&dots) {
                *q -= factor * dot;
            }
        }
    }
    if n >= 2 {
        off[n - 2] = a[[n - 1, n - 2]];
    }
    let diag = (0..n).map(|i| a[[i, i]]).collect();
    (diag, off, q_t)
}

/// Diagonalises the symmetric tridiagonal matrix (`diag`, `off`) in place by implicit QR
/// steps with Wilkinson shifts, applying every Givens rotation to the rows of `basis_t`.
fn implicit_qr(
    diag: &mut [f64],
    off: &mut [f64],
    basis_t: &mut Array2<f64>,
    norm: f64,
) -> Result<(), LinalgError> {
    let n = diag.len();
    let max_steps = MAX_STEPS_PER_EIGENVALUE * n.max(1);
    let mut steps = 0;
    let mut hi = n - 1;

    while hi > 0 {
        // Deflate negligible off-diagonal entries.
        for i in 0..hi {
            let local = f64::EPSILON * (diag[i].abs() + diag[i + 1].abs());
            if off[i].abs() <= local || off[i].abs() <= f64::EPSILON * f64::EPSILON * norm {
                off[i] = 0.0;
            }
        }
        while hi > 0 && off[hi - 1] == 0.0 {
            hi -= 1;
        }
        if hi == 0 {
            break;
        }
        let mut lo = hi - 1;
        while lo > 0 && off[lo - 1] != 0.0 {
            lo -= 1;
        }

        if steps >= max_steps {
            return Err(LinalgError::NoConvergence {
                size: n,
                iterations: steps,
            });
        }
        steps += 1;
        qr_step(diag, off, basis_t, lo, hi);
    }
    Ok(())
}

/// Performs one implicit QR step with a Wilkinson shift on the unreduced block `lo..=hi`.
fn qr_step(diag: &mut [f64], off: &mut [f64], basis_t: &mut Array2<f64>, lo: usize, hi: usize) {
    // Wilkinson shift: the eigenvalue of the trailing 2x2 block closer to diag[hi].
    let delta = 0.5 * (diag[hi - 1] - diag[hi]);
    let e = off[hi - 1];
    let sign = if delta >= 0.0 { 1.0 } else { -1.0 };
    let shift = diag[hi] - e * e / (delta + sign * delta.hypot(e));

    let mut x = diag[lo] - shift;
    let mut z = off[lo];
    for k in lo..hi {
        // Rotation in the (k, k+1) plane with columns (c, s) and (-s, c) that zeroes z.
        let r = x.hypot(z);
        let (c, s) = if r == 0.0 { (1.0, 0.0) } else { (x / r, z / r) };
        if k > lo {
            off[k - 1] = r;
        }
        let (a, b, d) = (diag[k], off[k], diag[k + 1]);
        diag[k] = c * c * a + 2.0 * c * s * b + s * s * d;
        diag[k + 1] = s * s * a - 2.0 * c * s * b + c * c * d;
        off[k] = c * s * (d - a) + (c * c - s * s) * b;
        if k + 1 < hi {
            // The rotation creates the bulge s * off[k+1] at (k, k+2).
            z = s * off[k + 1];
            off[k + 1] *= c;
            x = off[k];
        }

        let (mut row_k, mut row_k1) =
            basis_t.multi_slice_mut((ndarray::s![k, ..], ndarray::s![k + 1, ..]));
        ndarray::Zip::from(&mut row_k)
            .and(&mut row_k1)
            .for_each(|u, v| {
                let (a, b) = (*u, *v);
                *u = c * a + s * b;
                *v = -s * a + c * b;
            });
    }
}
