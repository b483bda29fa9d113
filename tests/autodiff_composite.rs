//! Composite and metamorphic checks of the tape: a whole MLP loss, transposition identities,
//! batched versus per-row evaluation, and shape errors at graph-build time.

mod common;

use std::sync::Arc;

use common::GRAD_TOL;
use ndarray::{Array2, s};
use proptest::prelude::*;
use rand_distr::{Distribution, StandardNormal};
use softeq::Error;
use softeq::autodiff::gradcheck::check_gradients;
use softeq::autodiff::{Tape, Var};

fn random(rows: usize, cols: usize, seed: u64) -> Array2<f64> {
    let mut rng = softeq::rng::rng_from_seed(seed);
    Array2::from_shape_simple_fn((rows, cols), || StandardNormal.sample(&mut rng))
}

/// Builds `mse(W2 swish(x W1^T + b1)^T ... )`: a 2-layer swish MLP on the tape.
fn mlp_loss(
    t: &mut Tape<f64>,
    v: &[Var],
    x: &Array2<f64>,
    y: &Arc<Array2<f64>>,
) -> softeq::Result<Var> {
    let x = t.constant(x.clone());
    let h = t.matmul_t(x, v[0], false, true)?;
    let h = t.add(h, v[1])?;
    let h = t.swish(h);
    let out = t.matmul_t(h, v[2], false, true)?;
    let out = t.add(out, v[3])?;
    t.mse(out, y.clone())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn two_layer_mlp_loss(batch in 1usize..=8, n_in in 1usize..=8, hidden in 1usize..=8, n_out in 1usize..=8, seed in any::<u64>()) {
        let x = random(batch, n_in, seed);
        let y = Arc::new(random(batch, n_out, seed ^ 7));
        let params = vec![
            random(hidden, n_in, seed ^ 1),
            random(1, hidden, seed ^ 2),
            random(n_out, hidden, seed ^ 3),
            random(1, n_out, seed ^ 4),
        ];
        let report = check_gradients(&params, 1e-6, |t, v| mlp_loss(t, v, &x, &y)).unwrap();
        for (k, r) in report.iter().enumerate() {
            prop_assert!(r.relative_error < GRAD_TOL, "parameter {}: {:e}", k, r.relative_error);
        }
    }

    #[test]
    fn matmul_gradient_equals_transposed_form(m in 1usize..=8, k in 1usize..=8, n in 1usize..=8, seed in any::<u64>()) {
        // C = A B and C' = (B^T A^T)^T are the same function, so their gradients must agree.
        let a = random(m, k, seed);
        let b = random(k, n, seed ^ 1);
        let w = random(m, n, seed ^ 2);
        let direct = {
            let mut t = Tape::new();
            let (va, vb) = (t.variable(a.clone()), t.variable(b.clone()));
            let c = t.matmul(va, vb).unwrap();
            let g = t.backward_with(c, w.clone()).unwrap();
            (g.get(va).unwrap().clone(), g.get(vb).unwrap().clone())
        };
        let transposed = {
            let mut t = Tape::new();
            let (va, vb) = (t.variable(a.clone()), t.variable(b.clone()));
            let bt = t.transpose(vb);
            let at = t.transpose(va);
            let ct = t.matmul(bt, at).unwrap();
            let c = t.transpose(ct);
            let g = t.backward_with(c, w.clone()).unwrap();
            (g.get(va).unwrap().clone(), g.get(vb).unwrap().clone())
        };
        prop_assert!((&direct.0 - &transposed.0).iter().all(|d| d.abs() < 1e-12));
        prop_assert!((&direct.1 - &transposed.1).iter().all(|d| d.abs() < 1e-12));
    }

    #[test]
    fn batched_gradient_equals_row_loop(batch in 1usize..=8, n_in in 1usize..=6, n_out in 1usize..=6, seed in any::<u64>()) {
        // The gradient of a summed per-row loss equals the sum of per-row gradients.
        let x = random(batch, n_in, seed);
        let w = random(n_out, n_in, seed ^ 1);
        let grad_of = |rows: Array2<f64>| {
            let mut t = Tape::new();
            let vw = t.variable(w.clone());
            let vx = t.constant(rows);
            let h = t.matmul_t(vx, vw, false, true).unwrap();
            let h = t.tanh(h);
            let l = t.sum(h);
            let g = t.backward(l).unwrap();
            (t.value(h).clone(), g.get(vw).unwrap().clone())
        };
        let (batched_out, batched_grad) = grad_of(x.clone());
        let mut looped_grad = Array2::zeros(w.dim());
        for r in 0..batch {
            let (row_out, row_grad) = grad_of(x.slice(s![r..r + 1, ..]).to_owned());
            prop_assert_eq!(row_out.row(0), batched_out.row(r));
            looped_grad += &row_grad;
        }
        prop_assert!((&looped_grad - &batched_grad).iter().all(|d| d.abs() < 1e-12));
    }
}

#[test]
fn matmul_shape_error_names_both_shapes() {
    let mut t = Tape::<f64>::new();
    let a = t.constant(Array2::zeros((2, 3)));
    let b = t.constant(Array2::zeros((4, 5)));
    let err = t.matmul(a, b).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::Shape { op: "matmul", .. }));
    assert!(
        message.contains("[2, 3]") && message.contains("[4, 5]"),
        "{message}"
    );
}

#[test]
fn add_rejects_column_broadcast() {
    let mut t = Tape::<f64>::new();
    let a = t.constant(Array2::zeros((3, 4)));
    let b = t.constant(Array2::zeros((3, 1)));
    assert!(matches!(t.add(a, b), Err(Error::Shape { op: "add", .. })));
}

#[test]
fn backward_rejects_non_scalar_output() {
    let mut t = Tape::<f64>::new();
    let a = t.variable(Array2::zeros((2, 2)));
    assert!(matches!(
        t.backward(a),
        Err(Error::Shape { op: "backward", .. })
    ));
}

#[test]
fn gather_rejects_out_of_range_column() {
    let mut t = Tape::<f64>::new();
    let a = t.variable(Array2::zeros((2, 2)));
    let index: Arc<[usize]> = Arc::from(vec![0, 2]);
    assert!(matches!(
        t.gather_cols(a, index),
        Err(Error::Shape {
            op: "gather_cols",
            ..
        })
    ));
}

#[test]
fn reshape_rejects_size_change() {
    let mut t = Tape::<f64>::new();
    let a = t.variable(Array2::zeros((2, 3)));
    assert!(matches!(
        t.reshape(a, (4, 2)),
        Err(Error::Shape { op: "reshape", .. })
    ));
}

#[test]
fn constants_receive_no_gradient() {
    let mut t = Tape::<f64>::new();
    let x = t.constant(Array2::from_elem((2, 2), 1.0));
    let w = t.variable(Array2::from_elem((2, 2), 2.0));
    let y = t.matmul(x, w).unwrap();
    let l = t.sum(y);
    let g = t.backward(l).unwrap();
    assert!(g.get(x).is_none());
    assert_eq!(g.get(w).unwrap(), &Array2::from_elem((2, 2), 2.0));
}
