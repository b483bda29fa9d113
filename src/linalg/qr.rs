//! Householder QR of a tall matrix, used for orthogonal initialisation.

use ndarray::Array2;

/// Returns `Q` (`m x n`, orthonormal columns) of the thin QR factorisation `A = Q R` of a tall
/// matrix (`m >= n`), with signs chosen so that `R` has a non-negative diagonal. That sign
/// convention makes `Q` of a Gaussian matrix Haar-distributed.
///
/// # Panics
/// If `A` has more columns than rows.
pub fn thin_q(a: &Array2<f64>) -> Array2<f64> {
    let (m, n) = a.dim();
    assert!(m >= n, "thin_q needs a tall matrix, got {m}x{n}");
    let mut r = a.clone();
    let mut reflectors: Vec<Vec<f64>> = Vec::with_capacity(n);
    let mut signs = vec![1.0; n];
    for j in 0..n {
        // Reflector v that maps column j (rows j..m) onto a multiple of e_j.
        let mut v: Vec<f64> = (j..m).map(|i| r[[i, j]]).collect();
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 {
            reflectors.push(vec![0.0; m - j]);
            continue;
        }
        let alpha = if v[0] > 0.0 { -norm } else { norm };
        v[0] -= alpha;
        let vnorm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        v.iter_mut().for_each(|x| *x /= vnorm);
        for col in j..n {
            let dot: f64 = (j..m).map(|i| v[i - j] * r[[i, col]]).sum();
            for i in j..m {
                r[[i, col]] -= 2.0 * v[i - j] * dot;
            }
        }
        signs[j] = if r[[j, j]] < 0.0 { -1.0 } else { 1.0 };
        reflectors.push(v);
    }
    // Q = H_0 H_1 ... H_{n-1} applied to the first n columns of the identity.
    let mut q = Array2::zeros((m, n));
    for j in 0..n {
        q[[j, j]] = 1.0;
    }
    for j in (0..n).rev() {
        let v = &reflectors[j];
        for col in 0..n {
            let dot: f64 = (j..m).map(|i| v[i - j] * q[[i, col]]).sum();
            for i in j..m {
                q[[i, col]] -= 2.0 * v[i - j] * dot;
            }
        }
    }
    for (j, s) in signs.iter().enumerate() {
        q.column_mut(j).mapv_inplace(|x| x * s);
    }
    q
}
