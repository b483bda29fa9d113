//! Helpers shared by the integration tests.
#![allow(dead_code)]

use ndarray::{Array2, ArrayView2};
use proptest::prelude::*;
use rand::RngExt;
use rand_distr::StandardNormal;
use softeq::rng::SeededRng;
use softeq::symmetry::{SumRep, TensorType};

/// A `rows x cols` matrix with entries uniform in `lo..hi`.
pub fn matrix(rows: usize, cols: usize, lo: f64, hi: f64) -> impl Strategy<Value = Array2<f64>> {
    prop::collection::vec(lo..hi, rows * cols)
        .prop_map(move |v| Array2::from_shape_vec((rows, cols), v).expect("length matches"))
}

/// A matrix of random shape, 1 to 8 per axis, with entries in `lo..hi`.
pub fn any_matrix(lo: f64, hi: f64) -> impl Strategy<Value = Array2<f64>> {
    (1usize..=8, 1usize..=8).prop_flat_map(move |(r, c)| matrix(r, c, lo, hi))
}

/// A matrix whose entries have magnitude in `lo..hi` and random sign (away from zero).
pub fn signed_matrix(
    rows: usize,
    cols: usize,
    lo: f64,
    hi: f64,
) -> impl Strategy<Value = Array2<f64>> {
    (
        matrix(rows, cols, lo, hi),
        prop::collection::vec(any::<bool>(), rows * cols),
    )
        .prop_map(|(m, signs)| {
            let mut m = m;
            for (v, s) in m.iter_mut().zip(signs) {
                if s {
                    *v = -*v;
                }
            }
            m
        })
}

/// Relative gradient error tolerance for central differences in f64.
pub const GRAD_TOL: f64 = 1e-6;

/// Frobenius norm.
pub fn norm(a: ArrayView2<'_, f64>) -> f64 {
    a.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// Largest absolute entry of `a - b`.
pub fn max_diff(a: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>) -> f64 {
    assert_eq!(a.dim(), b.dim(), "compared arrays differ in shape");
    a.iter()
        .zip(b.iter())
        .fold(0.0, |m, (x, y)| m.max((x - y).abs()))
}

/// `||a - b||_F / (||a||_F + ||b||_F)`, zero when both vanish.
pub fn relative_diff(a: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>) -> f64 {
    let denom = norm(a) + norm(b);
    if denom == 0.0 {
        return 0.0;
    }
    norm((&a - &b).view()) / denom
}

/// Draws a matrix with independent N(0, 1) entries.
pub fn gaussian(rows: usize, cols: usize, rng: &mut SeededRng) -> Array2<f64> {
    Array2::from_shape_simple_fn((rows, cols), || rng.sample(StandardNormal))
}

/// Draws a random sum of one to three terms, each of rank at most `max_rank` and multiplicity 1-2.
pub fn random_rep(rng: &mut SeededRng, max_rank: usize) -> SumRep {
    let terms = rng.random_range(1..=3);
    SumRep::new((0..terms).map(|_| {
        let rank = rng.random_range(0..=max_rank);
        let p = rng.random_range(0..=rank);
        (TensorType::new(p, rank - p), rng.random_range(1..=2))
    }))
}

/// The groups of the catalog exercised by the property tests.
pub const CATALOG: [&str; 21] = [
    "Trivial(3)",
    "SO(3)",
    "O(3)",
    "O(2)_xy",
    "O(2)_yz",
    "O(2)_xz",
    "SO(2)_xy",
    "Scaling(3)",
    "SL(3)",
    "GL(3)",
    "S(3)",
    "Z(4)",
    "Reflect(3)",
    "SO(3)xScaling",
    "SE(3)",
    "Rotation(3)",
    "Translation(3)",
    "O(2)",
    "SO(2)",
    "SL(2)",
    "Reflect_x(2)",
];

/// Returns the settings of a small inertia run of `model`: 64 training samples, ch 16, 6 epochs
/// in f64, without strength tuning.
pub fn small_inertia_config(model: &str) -> softeq::experiment::config::RunConfig {
    let mut c = softeq::experiment::config::RunConfig::preset("inertia").unwrap();
    c.task.n_train = 64;
    c.task.n_val = 32;
    c.task.n_test = 32;
    c.task.n_ood = 16;
    c.model.name = model.into();
    c.model.ch = 16;
    c.model.rpp_ch = 16;
    c.train.epochs = 6;
    c.train.batch_size = 16;
    c.train.tuning.adjust_at = 0;
    c.train.select_after = Some(2);
    c.train.trials = 1;
    c.train.checkpoint_every = 3;
    c.train.precision = "f64".into();
    c.train.equivariance_inputs = 8;
    c.train.equivariance_samples = 2;
    c
}
