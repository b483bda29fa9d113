//! Model zoo, continued: RPP paths, whole-model gradient checks, model files, frame
//! averaging, and equivariance in f32.

mod common;

use std::collections::HashMap;

use common::GRAD_TOL;
use ndarray::Array2;
use rand_distr::{Distribution, StandardNormal};
use softeq::autodiff::gradcheck::check_gradients;
use softeq::nn::bilinear::CopySampling;
use softeq::nn::checkpoint::{load_model, save_model};
use softeq::nn::frame_averaging::FrameAveragedConfig;
use softeq::nn::gate::GateKind;
use softeq::nn::mlp::MlpConfig;
use softeq::nn::network::{NetConfig, NetKind, NetSpec, PerInit};
use softeq::nn::{Model, ModelConfig};
use softeq::symmetry::{BasisCache, Group};

fn random<F: softeq::Float>(rows: usize, cols: usize, seed: u64) -> Array2<F> {
    let mut rng = softeq::rng::rng_from_seed(seed);
    Array2::from_shape_simple_fn((rows, cols), || F::of(StandardNormal.sample(&mut rng)))
}

fn net_config(kind: NetKind, groups: &[&str], ch: usize, gate: GateKind) -> ModelConfig {
    ModelConfig::Net(
        NetConfig::from_spec(NetSpec {
            kind,
            rep_in: "5T0+5T1".into(),
            rep_out: "T2".into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            ch,
            blocks: 3,
            gate,
            bilinear: true,
            copy_sampling: CopySampling::Distinct,
            per_init: PerInit::Plain,
            seed: 3,
        })
        .unwrap(),
    )
}

fn all_configs(ch: usize) -> Vec<ModelConfig> {
    vec![
        ModelConfig::Mlp {
            widths: MlpConfig {
                n_in: 20,
                hidden: vec![ch, ch],
                n_out: 9,
            },
            seed: 1,
        },
        net_config(NetKind::Emlp, &["O(3)"], ch, GateKind::Plain),
        net_config(NetKind::Rpp, &["O(3)"], ch, GateKind::Residual),
        net_config(
            NetKind::MixedRpp,
            &["O(3)", "O(2)_xy"],
            ch,
            GateKind::Residual,
        ),
        net_config(
            NetKind::Per,
            &["O(3)", "O(2)_xy", "O(2)_yz", "O(2)_xz"],
            ch,
            GateKind::Residual,
        ),
        ModelConfig::FrameAveraged {
            frames: FrameAveragedConfig {
                rep_in: "5T0+5T1".into(),
                rep_out: "T2".into(),
                dim: 3,
                hidden: vec![ch],
            },
            seed: 2,
        },
    ]
}

fn error_of(model: &Model<f64>, group: &str) -> f64 {
    let (rep_in, rep_out) = model.reps().unwrap();
    let x = random::<f64>(12, 20, 9);
    model
        .equivariance_error(
            &Group::parse(group).unwrap(),
            &rep_in,
            &rep_out,
            x.view(),
            4,
            5,
        )
        .unwrap()
}

fn zero_params(model: &mut Model<f64>, suffix: &str) {
    let store = model.params_mut();
    let ids: Vec<_> = store
        .ids()
        .filter(|&id| store.name(id).ends_with(suffix))
        .collect();
    assert!(!ids.is_empty(), "no parameter ends with {suffix}");
    for id in ids {
        store.get_mut(id).fill(0.0);
    }
}

#[test]
fn rpp_without_free_path_is_equivariant() {
    let cache = BasisCache::new();
    let mut model = Model::<f64>::build(
        &net_config(NetKind::Rpp, &["O(3)"], 24, GateKind::Plain),
        &cache,
    )
    .unwrap();
    assert!(
        error_of(&model, "O(3)") > 1e-4,
        "the free path should break equivariance at first"
    );
    zero_params(&mut model, "weight_free");
    zero_params(&mut model, "bias_free");
    let err = error_of(&model, "O(3)");
    assert!(err < 1e-10, "relative error {err:e}");
}

#[test]
fn mixed_rpp_free_path_lies_in_subgroup_subspace() {
    let cache = BasisCache::new();
    let model = Model::<f64>::build(
        &net_config(NetKind::MixedRpp, &["O(3)", "O(2)_xy"], 24, GateKind::Plain),
        &cache,
    )
    .unwrap();
    let err_h = error_of(&model, "O(2)_xy");
    let err_g = error_of(&model, "O(3)");
    assert!(err_h < 1e-10, "O(2)_xy error {err_h:e}");
    assert!(
        err_g > 1e-6,
        "O(3) error {err_g:e} should show the free path"
    );
}

#[test]
fn frame_averaging_is_o3_equivariant() {
    let cache = BasisCache::new();
    let model = Model::<f64>::build(&all_configs(16)[5], &cache).unwrap();
    let err = error_of(&model, "O(3)");
    assert!(err < 1e-10, "relative error {err:e}");
}

#[test]
fn emlp_is_equivariant_in_f32() {
    let cache = BasisCache::new();
    let model = Model::<f32>::build(
        &net_config(NetKind::Emlp, &["O(3)"], 64, GateKind::Plain),
        &cache,
    )
    .unwrap();
    let (rep_in, rep_out) = model.reps().unwrap();
    let x = random::<f32>(32, 20, 4);
    let err = model
        .equivariance_error(
            &Group::parse("O(3)").unwrap(),
            &rep_in,
            &rep_out,
            x.view(),
            4,
            6,
        )
        .unwrap();
    assert!(err < 2e-5, "relative error {err:e} in f32");
}

#[test]
fn every_model_gradient_matches_central_differences() {
    let cache = BasisCache::new();
    let x = random::<f64>(3, 20, 10);
    let y = std::sync::Arc::new(random::<f64>(3, 9, 11));
    for config in all_configs(12) {
        let model = Model::<f64>::build(&config, &cache).unwrap();
        let params = model.params();
        let inputs: Vec<Array2<f64>> = params.ids().map(|id| params.get(id).clone()).collect();
        let report = check_gradients(&inputs, 1e-6, |tape, leaves| {
            let xv = tape.constant(x.clone());
            let out = model.forward(tape, leaves, xv)?;
            let loss = tape.mse(out, y.clone())?;
            match model.penalty(tape, leaves, &Default::default())? {
                Some(p) => tape.add(loss, p),
                None => Ok(loss),
            }
        })
        .unwrap();
        for (id, r) in params.ids().zip(&report) {
            // Some bilinear gradients are below 1e-6 in norm; for them the relative error
            // only measures finite-difference noise, so an absolute bound applies instead.
            assert!(
                r.relative_error < GRAD_TOL || r.absolute_error < 1e-9,
                "{} {}: relative error {:e} (gradient norm {:e})",
                model.name(),
                params.name(id),
                r.relative_error,
                r.analytic_norm
            );
        }
    }
}

#[test]
fn reloaded_model_gives_bitwise_identical_outputs() {
    let cache = BasisCache::new();
    let dir = tempfile::tempdir().unwrap();
    let x = random::<f64>(7, 20, 12);
    for config in all_configs(16) {
        let model = Model::<f64>::build(&config, &cache).unwrap();
        let path = dir.path().join(format!("{}.safetensors", model.name()));
        save_model(&model, &path, &HashMap::new()).unwrap();
        let loaded = load_model::<f64>(&path, &BasisCache::new()).unwrap().model;
        let (a, b) = (
            model.predict(x.view()).unwrap(),
            loaded.predict(x.view()).unwrap(),
        );
        assert!(
            a.iter()
                .zip(b.iter())
                .all(|(u, v)| u.to_bits() == v.to_bits()),
            "{} changed after reloading",
            model.name()
        );
        assert_eq!(loaded.config(), model.config());
    }
}

#[test]
fn load_rejects_file_from_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.safetensors");
    std::fs::write(&path, b"not a model").unwrap();
    assert!(load_model::<f32>(&path, &BasisCache::new()).is_err());
}
