//! One training step (forward, backward, Adam) of the 20-128-128-128-9 swish MLP at batch 500
//! in f32: the network whose JAX step time is the reference for the numerical core.
//!
//! `one-tape` records the whole batch on one tape (matrix products split across threads);
//! `2-shards` is the trainer's step, two row blocks on two tapes in parallel.
//!
//! Run: `cargo bench --bench mlp_step`.

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Array2;
use rand_distr::{Distribution, StandardNormal};
use softeq::autodiff::Tape;
use softeq::experiment::step::loss_and_gradients;
use softeq::nn::mlp::MlpConfig;
use softeq::nn::{Model, ModelConfig, PenaltyConfig};
use softeq::optim::{Adam, AdamConfig};
use softeq::rng::rng_from_seed;
use softeq::symmetry::BasisCache;

fn random(rows: usize, cols: usize, seed: u64) -> Array2<f32> {
    let mut rng = rng_from_seed(seed);
    Array2::from_shape_simple_fn((rows, cols), || StandardNormal.sample(&mut rng))
}

fn mlp_step(c: &mut Criterion) {
    softeq::runtime::configure_allocator();
    let config = ModelConfig::Mlp {
        widths: MlpConfig {
            n_in: 20,
            hidden: vec![128, 128, 128],
            n_out: 9,
        },
        seed: 0,
    };
    let mut model = Model::<f32>::build(&config, &BasisCache::new()).unwrap();
    let mut adam = Adam::new(AdamConfig::default(), model.params());
    let x = random(500, 20, 1);
    let y = random(500, 9, 2);
    let y_arc = Arc::new(y.clone());
    let penalties = PenaltyConfig::default();
    let mut group = c.benchmark_group("mlp_step/20-128-128-128-9/batch500/f32");
    group.bench_function("one-tape", |b| {
        b.iter(|| {
            let mut tape = Tape::new();
            let leaves = model.params().leaves(&mut tape);
            let xv = tape.constant(x.clone());
            let out = model.forward(&mut tape, &leaves, xv).unwrap();
            let loss = tape.mse(out, y_arc.clone()).unwrap();
            let mut grads = tape.backward(loss).unwrap();
            let grads = model.params().gradients(&leaves, &mut grads);
            adam.step(model.params_mut(), &grads, 1e-3);
        })
    });
    group.bench_function("2-shards", |b| {
        b.iter(|| {
            let step = loss_and_gradients(&model, &penalties, &x, &y, 2).unwrap();
            adam.step(model.params_mut(), &step.grads, 1e-3);
        })
    });
    group.finish();
    c.bench_function("mlp_forward/20-128-128-128-9/batch500/f32", |b| {
        b.iter(|| model.predict(x.view()).unwrap())
    });
}

criterion_group!(benches, mlp_step);
criterion_main!(benches);
