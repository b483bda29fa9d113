//! The bilinear op: agreement with the explicit `W(x) x` construction and central-difference
//! gradients (f64) for random block structures.

mod common;

use std::sync::Arc;

use common::GRAD_TOL;
use ndarray::{Array1, Array2};
use proptest::prelude::*;
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use softeq::autodiff::gradcheck::check_gradients;
use softeq::autodiff::{CustomOp, Tape};
use softeq::nn::bilinear_op::{BilinearOp, BilinearPair};
use softeq::rng::{SeededRng, rng_from_seed};

fn random(rows: usize, cols: usize, rng: &mut SeededRng) -> Array2<f64> {
    Array2::from_shape_simple_fn((rows, cols), || StandardNormal.sample(rng))
}

/// A random block structure inside `width` columns (copies may overlap; the op must still be
/// the derivative-consistent function it defines).
fn random_pair(width: usize, rng: &mut SeededRng) -> BilinearPair {
    let out_dim = rng.random_range(1..=3usize);
    let in_dim = rng.random_range(1..=3usize);
    let sel_len = out_dim * in_dim;
    // Copy counts from 1 to 4 exercise both evaluation orders (m_out < m_in and the reverse).
    let mut offsets = |dim: usize| -> Vec<usize> {
        let count = rng.random_range(1..=4usize);
        (0..count)
            .map(|_| rng.random_range(0..=width - dim))
            .collect()
    };
    let out_offsets = offsets(out_dim);
    let in_offsets = offsets(in_dim);
    let selected_offsets = offsets(sel_len);
    let mut block_index: Vec<usize> = (0..sel_len).collect();
    for i in (1..sel_len).rev() {
        let j = rng.random_range(0..=i);
        block_index.swap(i, j);
    }
    BilinearPair {
        out_offsets,
        out_dim,
        in_offsets,
        in_dim,
        selected_offsets,
        block_index,
    }
}

/// `scale * W(x) x` with `W(x)` built entry by entry, for one sample.
fn explicit(op: &BilinearOp, scale: f64, x: &Array1<f64>, params: &[Array2<f64>]) -> Array1<f64> {
    let width = x.len();
    let mut w = Array2::<f64>::zeros((width, width));
    for (pair, p) in op.pairs().iter().zip(params) {
        let m_in = pair.in_offsets.len();
        for (alpha, &oa) in pair.out_offsets.iter().enumerate() {
            for (beta, &ob) in pair.in_offsets.iter().enumerate() {
                for (c, &sel) in pair.selected_offsets.iter().enumerate() {
                    for i in 0..pair.out_dim {
                        for j in 0..pair.in_dim {
                            let entry = x[sel + pair.block_index[i * pair.in_dim + j]];
                            w[[oa + i, ob + j]] += p[[alpha, c * m_in + beta]] * entry;
                        }
                    }
                }
            }
        }
    }
    w.dot(x) * scale
}

fn build(seed: u64) -> (BilinearOp, Vec<Array2<f64>>, Array2<f64>) {
    let mut rng = rng_from_seed(seed);
    let width = rng.random_range(9..=14usize);
    let batch = rng.random_range(1..=4usize);
    let pairs: Vec<BilinearPair> = (0..rng.random_range(1..=3usize))
        .map(|_| random_pair(width, &mut rng))
        .collect();
    let params = pairs
        .iter()
        .map(|p| random(p.param_shape().0, p.param_shape().1, &mut rng))
        .collect();
    let x = random(batch, width, &mut rng);
    (BilinearOp::new(width, 0.1, pairs).unwrap(), params, x)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn forward_matches_explicit_weight_matrix(seed in any::<u64>()) {
        let (op, params, x) = build(seed);
        let mut inputs = vec![x.view()];
        inputs.extend(params.iter().map(|p| p.view()));
        let out = CustomOp::<f64>::forward(&op, &inputs).unwrap().value;
        for (s, row) in x.rows().into_iter().enumerate() {
            let expected = explicit(&op, 0.1, &row.to_owned(), &params);
            let err = (&out.row(s) - &expected).iter().fold(0.0f64, |m, d| m.max(d.abs()));
            prop_assert!(err < 1e-12, "sample {}: error {:e}", s, err);
        }
    }

    #[test]
    fn gradients_match_central_differences(seed in any::<u64>()) {
        let (op, params, x) = build(seed);
        let op = Arc::new(op);
        let mut inputs = vec![x];
        inputs.extend(params);
        let report = check_gradients(&inputs, 1e-6, |t: &mut Tape<f64>, v| {
            t.custom(v, op.clone())
        }).unwrap();
        for (k, r) in report.iter().enumerate() {
            prop_assert!(r.relative_error < GRAD_TOL, "input {}: {:e}", k, r.relative_error);
        }
    }
}

#[test]
fn rejects_copy_outside_width() {
    let pair = BilinearPair {
        out_offsets: vec![8],
        out_dim: 3,
        in_offsets: vec![0],
        in_dim: 1,
        selected_offsets: vec![0],
        block_index: vec![0, 1, 2],
    };
    assert!(BilinearOp::new(10, 0.1, vec![pair]).is_err());
}
