//! One training step (forward, backward, Adam; PER's regularizer gradients included) at batch
//! 500 in f32 for the inertia networks of PER (4 groups), EMLP-O(3) and RPP, plus the parts of
//! PER's step on their own.
//!
//! Run: `cargo bench --bench model_step`.

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Array2;
use rand_distr::{Distribution, StandardNormal};
use softeq::autodiff::Tape;
use softeq::experiment::step::loss_and_gradients;
use softeq::method::ProjectionRegularizer;
use softeq::nn::bilinear::CopySampling;
use softeq::nn::gate::GateKind;
use softeq::nn::{Model, ModelConfig, NetConfig, NetKind, NetSpec, PenaltyConfig, PerInit};
use softeq::optim::{Adam, AdamConfig};
use softeq::symmetry::BasisCache;

fn random(rows: usize, cols: usize, seed: u64) -> Array2<f32> {
    let mut rng = softeq::rng::rng_from_seed(seed);
    Array2::from_shape_simple_fn((rows, cols), || StandardNormal.sample(&mut rng))
}

fn inertia_model(kind: NetKind, groups: &[&str]) -> Model<f32> {
    let spec = NetSpec {
        kind,
        rep_in: "5T0+5T1".into(),
        rep_out: "T2".into(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        ch: 128,
        blocks: 3,
        gate: if kind == NetKind::Emlp {
            GateKind::Plain
        } else {
            GateKind::Residual
        },
        bilinear: true,
        copy_sampling: CopySampling::Distinct,
        per_init: PerInit::Plain,
        seed: 0,
    };
    Model::build(
        &ModelConfig::Net(NetConfig::from_spec(spec).unwrap()),
        &BasisCache::new(),
    )
    .unwrap()
}

const PER_GROUPS: [&str; 4] = ["O(3)", "O(2)_xy", "O(2)_yz", "O(2)_xz"];

/// The trainer's step: two shards, PER's regularizer gradients, Adam.
fn step(
    model: &mut Model<f32>,
    adam: &mut Adam<f32>,
    reg: Option<&ProjectionRegularizer>,
    x: &Array2<f32>,
    y: &Array2<f32>,
) {
    let penalties = PenaltyConfig {
        weight_decay: 2e-4,
        ..Default::default()
    };
    let mut grads = loss_and_gradients(model, &penalties, x, y, 2)
        .unwrap()
        .grads;
    if let Some(r) = reg {
        r.add_gradients(model.params(), &[0.0, 100.0, 100.0, 100.0], &mut grads);
    }
    adam.step(model.params_mut(), &grads, 1e-3);
}

fn model_steps(c: &mut Criterion) {
    softeq::runtime::configure_allocator();
    let x = random(500, 20, 1);
    let y_plain = random(500, 9, 2);
    let y = Arc::new(y_plain.clone());
    let mut group = c.benchmark_group("inertia_step_batch500_f32");
    group.sample_size(20);
    for (name, kind, groups) in [
        ("per", NetKind::Per, &PER_GROUPS[..]),
        ("emlp-o3", NetKind::Emlp, &PER_GROUPS[..1]),
        ("rpp-o3", NetKind::Rpp, &PER_GROUPS[..1]),
    ] {
        let mut model = inertia_model(kind, groups);
        let reg = model
            .as_per()
            .map(|n| ProjectionRegularizer::new(n).unwrap());
        let mut adam = Adam::new(AdamConfig::default(), model.params());
        group.bench_function(name, |b| {
            b.iter(|| step(&mut model, &mut adam, reg.as_ref(), &x, &y_plain))
        });
    }
    group.finish();

    let model = inertia_model(NetKind::Per, &PER_GROUPS);
    let reg = ProjectionRegularizer::new(model.as_per().unwrap()).unwrap();
    let mut parts = c.benchmark_group("per_step_parts");
    parts.sample_size(20);
    parts.bench_function("forward", |b| b.iter(|| model.predict(x.view()).unwrap()));
    parts.bench_function("forward_backward", |b| {
        b.iter(|| {
            let mut tape = Tape::new();
            let leaves = model.params().leaves(&mut tape);
            let xv = tape.constant(x.clone());
            let out = model.forward(&mut tape, &leaves, xv).unwrap();
            let loss = tape.mse(out, y.clone()).unwrap();
            tape.backward(loss).unwrap()
        })
    });
    let mut grads: Vec<Array2<f32>> = model
        .params()
        .ids()
        .map(|id| Array2::zeros(model.params().get(id).raw_dim()))
        .collect();
    parts.bench_function("regularizer_gradients_3_groups", |b| {
        b.iter(|| reg.add_gradients(model.params(), &[0.0, 100.0, 100.0, 100.0], &mut grads))
    });
    parts.bench_function("regularizer_values_4_groups", |b| {
        b.iter(|| reg.values(model.params()))
    });
    parts.finish();
}

criterion_group!(benches, model_steps);
criterion_main!(benches);
