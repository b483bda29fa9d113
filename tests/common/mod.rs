//! Helpers shared by the integration tests.
#![allow(dead_code)]

use ndarray::Array2;
use proptest::prelude::*;

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
