//! Matrix exponential, LU, symmetric eigensolver and null spaces against closed forms.

mod common;

use common::{gaussian, max_diff, norm};
use ndarray::{Array2, array};
use proptest::prelude::*;
use softeq::linalg::{
    LinalgError, NullSpaceTolerance, expm, inverse, matmul, null_space, solve, symmetric_eigen,
};
use softeq::rng::rng_from_seed;

#[test]
fn expm_zero_is_identity() {
    let e = expm(Array2::<f64>::zeros((4, 4)).view()).unwrap();
    assert_eq!(e, Array2::<f64>::eye(4));
}

#[test]
fn expm_nilpotent_is_finite_series() {
    let n = array![[0.0, 2.0, -1.0], [0.0, 0.0, 3.0], [0.0, 0.0, 0.0]];
    let expected = Array2::<f64>::eye(3) + &n + n.dot(&n) * 0.5;
    let e = expm(n.view()).unwrap();
    assert!(max_diff(e.view(), expected.view()) < 1e-14, "{e}");
}

#[test]
fn expm_translation_generator_translates() {
    // exp(t E_02) in homogeneous coordinates of R^2 shifts x by t.
    let mut a = Array2::<f64>::zeros((3, 3));
    a[[0, 2]] = 7.5;
    let e = expm(a.view()).unwrap();
    assert!((e[[0, 2]] - 7.5).abs() < 1e-13);
    assert!(
        max_diff(
            e.slice(ndarray::s![.., ..2]),
            Array2::<f64>::eye(3).slice(ndarray::s![.., ..2])
        ) < 1e-15
    );
}

#[test]
fn expm_rejects_non_square() {
    let err = expm(Array2::<f64>::zeros((2, 3)).view()).unwrap_err();
    assert!(
        matches!(
            err,
            LinalgError::NotSquare {
                rows: 2,
                cols: 3,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn expm_rejects_nan() {
    let err = expm(array![[f64::NAN]].view()).unwrap_err();
    assert!(matches!(err, LinalgError::NonFinite { .. }), "{err}");
}

proptest! {
    #[test]
    fn expm_planar_rotation(theta in -30.0..30.0f64) {
        let a = array![[0.0, -theta], [theta, 0.0]];
        let expected = array![[theta.cos(), -theta.sin()], [theta.sin(), theta.cos()]];
        let e = expm(a.view()).unwrap();
        prop_assert!(max_diff(e.view(), expected.view()) < 1e-12 * (1.0 + theta.abs()));
    }

    #[test]
    fn expm_diagonal_exponentiates_entries(a in -8.0..8.0f64, b in -8.0..8.0f64, c in -8.0..8.0f64) {
        let m = Array2::from_diag(&array![a, b, c]);
        let e = expm(m.view()).unwrap();
        for (i, v) in [a, b, c].into_iter().enumerate() {
            prop_assert!((e[[i, i]] - v.exp()).abs() <= 1e-13 * v.exp());
        }
        prop_assert_eq!(e[[0, 1]], 0.0);
    }

    #[test]
    fn expm_inverse_is_expm_of_negation(seed in any::<u64>(), scale in 0.01..4.0f64) {
        let a = gaussian(4, 4, &mut rng_from_seed(seed)) * scale;
        let forward = expm(a.view()).unwrap();
        let backward = expm((-&a).view()).unwrap();
        let product = forward.dot(&backward);
        let bound = 1e-13 * norm(forward.view()) * norm(backward.view());
        prop_assert!(max_diff(product.view(), Array2::<f64>::eye(4).view()) < bound);
    }

    #[test]
    fn solve_residual_is_small(seed in any::<u64>(), n in 1usize..12) {
        let mut rng = rng_from_seed(seed);
        let a = gaussian(n, n, &mut rng) + Array2::<f64>::eye(n) * (n as f64);
        let b = gaussian(n, 3, &mut rng);
        let x = solve(a.view(), b.view()).unwrap();
        prop_assert!(max_diff(a.dot(&x).view(), b.view()) < 1e-11 * norm(b.view()).max(1.0));
    }

    #[test]
    fn eigen_reconstructs_symmetric(seed in any::<u64>(), n in 1usize..40) {
        let g = gaussian(n, n, &mut rng_from_seed(seed));
        let a = &g + &g.t();
        let eig = symmetric_eigen(a.view()).unwrap();
        let v = &eig.vectors;
        let vt_v = matmul(v.t(), v.view());
        prop_assert!(max_diff(vt_v.view(), Array2::<f64>::eye(n).view()) < 1e-12);
        let reconstructed = v.dot(&Array2::from_diag(&eig.values)).dot(&v.t());
        prop_assert!(max_diff(reconstructed.view(), a.view()) < 1e-12 * norm(a.view()));
        prop_assert!(eig.values.windows(2).into_iter().all(|w| w[0] <= w[1]));
    }

    #[test]
    fn eigen_repeated_eigenvalues(seed in any::<u64>()) {
        // A = U diag(1, 1, 1, 5, 5, -2) U^T with a random orthogonal U.
        let g = gaussian(6, 6, &mut rng_from_seed(seed));
        let u = symmetric_eigen((&g + &g.t()).view()).unwrap().vectors;
        let lambda = array![1.0, 1.0, 1.0, 5.0, 5.0, -2.0];
        let a = u.dot(&Array2::from_diag(&lambda)).dot(&u.t());
        let eig = symmetric_eigen(a.view()).unwrap();
        let expected = [-2.0, 1.0, 1.0, 1.0, 5.0, 5.0];
        for (got, want) in eig.values.iter().zip(expected) {
            prop_assert!((got - want).abs() < 1e-12);
        }
    }

    #[test]
    fn null_space_of_low_rank_product(seed in any::<u64>(), n in 2usize..20, r in 0usize..20) {
        // C = U diag(s) V^T with orthonormal U, V and singular values s in [1, 2], so the
        // rank is exactly r with a clear gap.
        let r = r.min(n);
        let mut rng = rng_from_seed(seed);
        let u = random_orthogonal(n + 3, &mut rng);
        let v = random_orthogonal(n, &mut rng);
        let s = Array2::from_diag(&ndarray::Array1::linspace(1.0, 2.0, r));
        let c = u.slice(ndarray::s![.., ..r]).dot(&s).dot(&v.slice(ndarray::s![.., ..r]).t());
        let q = null_space(c.view(), NullSpaceTolerance::default()).unwrap();
        prop_assert_eq!(q.ncols(), n - r);
        prop_assert!(norm(c.dot(&q).view()) < 1e-9 * norm(c.view()).max(1.0));
        let qt_q = matmul(q.t(), q.view());
        prop_assert!(max_diff(qt_q.view(), Array2::<f64>::eye(n - r).view()) < 1e-12);
    }
}

fn random_orthogonal(n: usize, rng: &mut softeq::rng::SeededRng) -> Array2<f64> {
    let g = gaussian(n, n, rng);
    symmetric_eigen((&g + &g.t()).view()).unwrap().vectors
}

#[test]
fn eigen_tridiagonal_toeplitz_closed_form() {
    // Eigenvalues of tridiag(-1, 2, -1) of order n are 2 - 2 cos(k pi / (n + 1)).
    let n = 30;
    let mut a = Array2::<f64>::zeros((n, n));
    for i in 0..n {
        a[[i, i]] = 2.0;
        if i + 1 < n {
            a[[i, i + 1]] = -1.0;
            a[[i + 1, i]] = -1.0;
        }
    }
    let eig = symmetric_eigen(a.view()).unwrap();
    for k in 1..=n {
        let expected = 2.0 - 2.0 * (k as f64 * std::f64::consts::PI / (n + 1) as f64).cos();
        assert!(
            (eig.values[k - 1] - expected).abs() < 1e-13,
            "eigenvalue {k}"
        );
    }
}

#[test]
fn eigen_of_empty_matrix() {
    let eig = symmetric_eigen(Array2::<f64>::zeros((0, 0)).view()).unwrap();
    assert_eq!(eig.values.len(), 0);
}

#[test]
fn eigen_of_zero_matrix() {
    let eig = symmetric_eigen(Array2::<f64>::zeros((5, 5)).view()).unwrap();
    assert!(eig.values.iter().all(|&v| v == 0.0));
    let vt_v = matmul(eig.vectors.t(), eig.vectors.view());
    assert!(max_diff(vt_v.view(), Array2::<f64>::eye(5).view()) < 1e-15);
}

#[test]
fn inverse_of_singular_fails() {
    let err = inverse(array![[1.0, 2.0], [2.0, 4.0]].view()).unwrap_err();
    assert!(matches!(err, LinalgError::Singular { .. }), "{err}");
}

#[test]
fn null_space_without_rows_is_whole_space() {
    let q = null_space(
        Array2::<f64>::zeros((0, 4)).view(),
        NullSpaceTolerance::default(),
    )
    .unwrap();
    assert_eq!(q, Array2::<f64>::eye(4));
}

#[test]
fn null_space_of_full_rank_is_empty() {
    let q = null_space(Array2::<f64>::eye(3).view(), NullSpaceTolerance::default()).unwrap();
    assert_eq!(q.dim(), (3, 0));
}

#[test]
fn null_space_rejects_missing_gap() {
    // A singular value at 1e-4 of the norm is neither clearly zero nor clearly non-zero.
    let c = Array2::from_diag(&array![1.0, 1e-4, 0.0]);
    let err = null_space(c.view(), NullSpaceTolerance::default()).unwrap_err();
    assert!(matches!(err, LinalgError::NoSpectralGap { .. }), "{err}");
}

#[test]
fn null_space_tolerance_is_relative() {
    // Scaling the constraint by 1e-9 does not change its null space.
    let c = Array2::from_diag(&array![1e-9, 2e-9, 0.0]);
    let q = null_space(c.view(), NullSpaceTolerance::default()).unwrap();
    assert_eq!(q.ncols(), 1);
}
