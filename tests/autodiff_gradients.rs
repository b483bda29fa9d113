//! Central-difference gradient checks (f64) for every primitive op of the tape, over random
//! shapes (1 to 8 per axis) and values.

mod common;

use std::sync::Arc;

use common::{GRAD_TOL, any_matrix, signed_matrix};
use ndarray::Array2;
use proptest::prelude::*;
use softeq::autodiff::gradcheck::check_gradients;
use softeq::autodiff::{Axis, RowMatrix, Tape, UnaryKind, Var};

const H: f64 = 1e-6;

fn assert_grads_close(
    inputs: &[Array2<f64>],
    build: impl Fn(&mut Tape<f64>, &[Var]) -> softeq::Result<Var>,
) {
    let report = check_gradients(inputs, H, build).expect("graph builds");
    for (k, r) in report.iter().enumerate() {
        assert!(
            r.relative_error < GRAD_TOL,
            "input {k}: relative error {:e} (analytic norm {:e})",
            r.relative_error,
            r.analytic_norm
        );
    }
}

fn shapes() -> impl Strategy<Value = (usize, usize, usize)> {
    (1usize..=8, 1usize..=8, 1usize..=8)
}

fn config() -> ProptestConfig {
    ProptestConfig::with_cases(48)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn matmul_plain((m, k, n) in shapes(), seed in any::<u64>()) {
        let a = random(m, k, seed);
        let b = random(k, n, seed ^ 1);
        assert_grads_close(&[a, b], |t, v| t.matmul(v[0], v[1]));
    }

    #[test]
    fn matmul_transposed_left((m, k, n) in shapes(), seed in any::<u64>()) {
        let a = random(k, m, seed);
        let b = random(k, n, seed ^ 1);
        assert_grads_close(&[a, b], |t, v| t.matmul_t(v[0], v[1], true, false));
    }

    #[test]
    fn matmul_transposed_right((m, k, n) in shapes(), seed in any::<u64>()) {
        let a = random(m, k, seed);
        let b = random(n, k, seed ^ 1);
        assert_grads_close(&[a, b], |t, v| t.matmul_t(v[0], v[1], false, true));
    }

    #[test]
    fn matmul_transposed_both((m, k, n) in shapes(), seed in any::<u64>()) {
        let a = random(k, m, seed);
        let b = random(n, k, seed ^ 1);
        assert_grads_close(&[a, b], |t, v| t.matmul_t(v[0], v[1], true, true));
    }

    #[test]
    fn affine_layer((batch, n_in, n_out) in shapes(), seed in any::<u64>()) {
        let x = random(batch, n_in, seed);
        let w = random(n_out, n_in, seed ^ 1);
        let b = random(1, n_out, seed ^ 2);
        assert_grads_close(&[x, w, b], |t, v| t.affine(v[0], v[1], v[2]));
    }

    #[test]
    fn add_sub_mul_same_shape(a in any_matrix(-2.0, 2.0), seed in any::<u64>()) {
        let b = random(a.nrows(), a.ncols(), seed);
        assert_grads_close(&[a.clone(), b.clone()], |t, v| t.add(v[0], v[1]));
        assert_grads_close(&[a.clone(), b.clone()], |t, v| t.sub(v[0], v[1]));
        assert_grads_close(&[a, b], |t, v| t.mul(v[0], v[1]));
    }

    #[test]
    fn binary_row_broadcast(a in any_matrix(-2.0, 2.0), seed in any::<u64>()) {
        let b = random(1, a.ncols(), seed);
        assert_grads_close(&[a.clone(), b.clone()], |t, v| t.add(v[0], v[1]));
        assert_grads_close(&[a.clone(), b.clone()], |t, v| t.sub(v[0], v[1]));
        assert_grads_close(&[a, b], |t, v| t.mul(v[0], v[1]));
    }

    #[test]
    fn binary_scalar_broadcast(a in any_matrix(-2.0, 2.0), s in 0.5f64..2.0) {
        let b = Array2::from_elem((1, 1), s);
        assert_grads_close(&[a.clone(), b.clone()], |t, v| t.add(v[0], v[1]));
        assert_grads_close(&[a.clone(), b.clone()], |t, v| t.mul(v[0], v[1]));
        assert_grads_close(&[a, b], |t, v| t.div(v[0], v[1]));
    }

    #[test]
    fn div_all_broadcasts(a in any_matrix(-2.0, 2.0), seed in any::<u64>()) {
        let (r, c) = a.dim();
        let same = random(r, c, seed).mapv(|v| 1.5 + v.abs());
        let row = random(1, c, seed ^ 3).mapv(|v| -(1.5 + v.abs()));
        assert_grads_close(&[a.clone(), same], |t, v| t.div(v[0], v[1]));
        assert_grads_close(&[a, row], |t, v| t.div(v[0], v[1]));
    }

    #[test]
    fn scale_and_neg(a in any_matrix(-3.0, 3.0), f in -4.0f64..4.0) {
        assert_grads_close(std::slice::from_ref(&a), |t, v| Ok(t.scale(v[0], f)));
        assert_grads_close(&[a], |t, v| Ok(t.neg(v[0])));
    }

    #[test]
    fn smooth_unary_ops(a in any_matrix(-4.0, 4.0)) {
        for kind in [UnaryKind::Sigmoid, UnaryKind::Swish, UnaryKind::Tanh, UnaryKind::Exp, UnaryKind::Square] {
            assert_grads_close(std::slice::from_ref(&a), |t, v| Ok(t.unary(kind, v[0])));
        }
    }

    #[test]
    fn relu_away_from_kink(a in (1usize..=8, 1usize..=8).prop_flat_map(|(r, c)| signed_matrix(r, c, 0.01, 3.0))) {
        assert_grads_close(&[a], |t, v| Ok(t.relu(v[0])));
    }

    #[test]
    fn log_and_sqrt_positive(a in any_matrix(0.2, 5.0)) {
        assert_grads_close(std::slice::from_ref(&a), |t, v| Ok(t.log(v[0])));
        assert_grads_close(&[a], |t, v| Ok(t.sqrt(v[0])));
    }

    #[test]
    fn reductions(a in any_matrix(-2.0, 2.0)) {
        assert_grads_close(std::slice::from_ref(&a), |t, v| Ok(t.sum(v[0])));
        assert_grads_close(std::slice::from_ref(&a), |t, v| Ok(t.mean(v[0])));
        for axis in [Axis::Rows, Axis::Cols] {
            assert_grads_close(std::slice::from_ref(&a), |t, v| Ok(t.sum_axis(v[0], axis)));
            assert_grads_close(std::slice::from_ref(&a), |t, v| Ok(t.mean_axis(v[0], axis)));
        }
    }

    #[test]
    fn reshape_and_transpose(a in any_matrix(-2.0, 2.0)) {
        let (r, c) = a.dim();
        assert_grads_close(std::slice::from_ref(&a), |t, v| t.reshape(v[0], (1, r * c)));
        assert_grads_close(std::slice::from_ref(&a), |t, v| t.reshape(v[0], (c, r)));
        assert_grads_close(&[a], |t, v| Ok(t.transpose(v[0])));
    }

    #[test]
    fn gather_cols_with_repeats(a in any_matrix(-2.0, 2.0), picks in prop::collection::vec(any::<prop::sample::Index>(), 1..12)) {
        let c = a.ncols();
        let index: Arc<[usize]> = picks.iter().map(|p| p.index(c)).collect();
        assert_grads_close(&[a], |t, v| t.gather_cols(v[0], index.clone()));
    }

    #[test]
    fn slice_cols_any_range(a in any_matrix(-2.0, 2.0), x in any::<prop::sample::Index>(), y in any::<prop::sample::Index>()) {
        let c = a.ncols();
        let (p, q) = (x.index(c + 1), y.index(c + 1));
        let (start, end) = (p.min(q), p.max(q));
        assert_grads_close(&[a], |t, v| t.slice_cols(v[0], start, end));
    }

    #[test]
    fn concat_cols_three_parts(r in 1usize..=8, widths in prop::collection::vec(1usize..=5, 3), seed in any::<u64>()) {
        let parts: Vec<Array2<f64>> = widths.iter().enumerate().map(|(i, &w)| random(r, w, seed ^ i as u64)).collect();
        assert_grads_close(&parts, |t, v| t.concat_cols(v));
    }

    #[test]
    fn linear_operator_row_matrix(a in any_matrix(-2.0, 2.0), n_out in 1usize..=8, seed in any::<u64>()) {
        let m = random(n_out, a.ncols(), seed);
        let op = Arc::new(RowMatrix::new(m));
        assert_grads_close(&[a], |t, v| t.linear_op(v[0], op.clone()));
    }

    #[test]
    fn mse_against_constant(a in any_matrix(-2.0, 2.0), seed in any::<u64>()) {
        let target = Arc::new(random(a.nrows(), a.ncols(), seed));
        assert_grads_close(&[a], |t, v| t.mse(v[0], target.clone()));
    }

    #[test]
    fn node_used_twice(a in any_matrix(-2.0, 2.0)) {
        // y = a * a + a: both uses of `a` must contribute.
        assert_grads_close(&[a], |t, v| {
            let sq = t.mul(v[0], v[0])?;
            t.add(sq, v[0])
        });
    }
}

fn random(rows: usize, cols: usize, seed: u64) -> Array2<f64> {
    use rand_distr::{Distribution, StandardNormal};
    let mut rng = softeq::rng::rng_from_seed(seed);
    Array2::from_shape_simple_fn((rows, cols), || StandardNormal.sample(&mut rng))
}
