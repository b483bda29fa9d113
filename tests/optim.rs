//! Optimizers: Adam and SGD drive a convex quadratic to its minimum; the cosine schedule.

use ndarray::{Array2, array};
use softeq::autodiff::Tape;
use softeq::optim::{Adam, AdamConfig, ParamStore, Sgd, cosine_lr};

/// Gradient of f(w) = 1/2 (w - c)^T A (w - c) for the SPD matrix A, by the tape.
fn quadratic_grad(
    store: &ParamStore<f64>,
    a: &Array2<f64>,
    c: &Array2<f64>,
) -> (f64, Vec<Array2<f64>>) {
    let mut tape = Tape::new();
    let leaves = store.leaves(&mut tape);
    let cv = tape.constant(c.clone());
    let d = tape.sub(leaves[0], cv).unwrap();
    let av = tape.constant(a.clone());
    let ad = tape.matmul_t(d, av, false, false).unwrap();
    let prod = tape.mul(ad, d).unwrap();
    let s = tape.sum(prod);
    let f = tape.scale(s, 0.5);
    let value = tape.value(f)[[0, 0]];
    let mut grads = tape.backward(f).unwrap();
    (value, store.gradients(&leaves, &mut grads))
}

fn problem() -> (Array2<f64>, Array2<f64>) {
    let a = array![[3.0, 0.5, 0.0], [0.5, 2.0, 0.3], [0.0, 0.3, 1.0]];
    let c = array![[1.0, -2.0, 0.5]];
    (a, c)
}

#[test]
fn adam_reaches_quadratic_minimum() {
    let (a, c) = problem();
    let mut store = ParamStore::new();
    let id = store.insert("w", Array2::zeros((1, 3))).unwrap();
    let mut adam = Adam::new(AdamConfig::default(), &store);
    for epoch in 0..3000 {
        let (_, grads) = quadratic_grad(&store, &a, &c);
        adam.step(&mut store, &grads, cosine_lr(0.05, epoch, 3000));
    }
    let (f, _) = quadratic_grad(&store, &a, &c);
    let dist = (store.get(id) - &c)
        .iter()
        .fold(0.0f64, |m, d| m.max(d.abs()));
    assert!(dist < 1e-6, "distance to the minimiser {dist:e}");
    assert!(f < 1e-11, "objective {f:e}");
}

#[test]
fn sgd_reaches_quadratic_minimum() {
    let (a, c) = problem();
    let mut store = ParamStore::new();
    let id = store.insert("w", Array2::zeros((1, 3))).unwrap();
    for _ in 0..500 {
        let (_, grads) = quadratic_grad(&store, &a, &c);
        Sgd.step(&mut store, &grads, 0.2);
    }
    let dist = (store.get(id) - &c)
        .iter()
        .fold(0.0f64, |m, d| m.max(d.abs()));
    assert!(dist < 1e-9, "distance to the minimiser {dist:e}");
}

#[test]
fn adam_first_step_moves_by_learning_rate() {
    // With bias correction the first update is lr * g / (|g| + eps) = lr * sign(g).
    let mut store = ParamStore::new();
    store.insert("w", array![[1.0, -1.0]]).unwrap();
    let mut adam = Adam::new(AdamConfig::default(), &store);
    adam.step(&mut store, &[array![[0.3, -4.0]]], 0.01);
    let w: &Array2<f64> = store.get(softeq::optim::ParamId(0));
    assert!((w[[0, 0]] - 0.99).abs() < 1e-9);
    assert!((w[[0, 1]] + 0.99).abs() < 1e-9);
}

#[test]
fn cosine_schedule_endpoints_and_midpoint() {
    assert_eq!(cosine_lr(1e-3, 0, 100), 1e-3);
    assert!((cosine_lr(1e-3, 50, 100) - 5e-4).abs() < 1e-15);
    assert!(cosine_lr(1e-3, 100, 100).abs() < 1e-18);
}

#[test]
fn duplicate_parameter_name_is_rejected() {
    let mut store = ParamStore::<f32>::new();
    store.insert("w", Array2::zeros((1, 1))).unwrap();
    assert!(store.insert("w", Array2::zeros((1, 1))).is_err());
}
