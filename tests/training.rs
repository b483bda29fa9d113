//! The method and the trainer: the regularizer's closed-form gradient, sharded steps,
//! resuming, non-finite detection and invalid settings.

mod common;

use std::sync::Arc;

use ndarray::Array2;
use rand_distr::{Distribution, StandardNormal};
use softeq::Error;
use softeq::autodiff::Tape;
use softeq::experiment::config::RunConfig;
use softeq::experiment::run::{RunOptions, run};
use softeq::experiment::step::loss_and_gradients;
use softeq::experiment::task::{TaskData, model_config};
use softeq::method::ProjectionRegularizer;
use softeq::nn::{Model, PenaltyConfig};
use softeq::symmetry::BasisCache;

fn random(rows: usize, cols: usize, seed: u64) -> Array2<f64> {
    let mut rng = softeq::rng::rng_from_seed(seed);
    Array2::from_shape_simple_fn((rows, cols), || StandardNormal.sample(&mut rng))
}

use common::small_inertia_config as small_config;

fn per_model(c: &RunConfig) -> (TaskData, Model<f64>) {
    let task = TaskData::load(&c.task).unwrap();
    let config = model_config(&c.model, &task, 5).unwrap();
    let model = Model::build(&config, &BasisCache::new()).unwrap();
    (task, model)
}

#[test]
fn regularizer_gradient_equals_autodiff_of_r() {
    let (_, model) = per_model(&small_config("per"));
    let net = model.as_per().unwrap();
    let reg = ProjectionRegularizer::new(net).unwrap();
    let lambda = [0.0, 2.0, 3.0, 5.0];
    let params = model.params();
    let mut closed: Vec<Array2<f64>> = params
        .ids()
        .map(|id| Array2::zeros(params.get(id).raw_dim()))
        .collect();
    let penalty = reg.add_gradients(params, &lambda, &mut closed);
    // The same penalty on the tape: sum_j lambda_j 1/2 ||w - P_j w||^2 over weights and biases.
    let mut tape = Tape::new();
    let leaves = params.leaves(&mut tape);
    let mut total = None;
    for (weight, bias, projectors) in net.regularized_layers() {
        for (p, &l) in projectors.iter().zip(&lambda) {
            if l == 0.0 {
                continue;
            }
            for (var, op) in [
                (
                    leaves[weight.0],
                    p.weight.clone() as Arc<dyn softeq::autodiff::LinearOperator<f64>>,
                ),
                (
                    leaves[bias.0],
                    p.bias_rows() as Arc<dyn softeq::autodiff::LinearOperator<f64>>,
                ),
            ] {
                let pw = tape.linear_op(var, op).unwrap();
                let r = tape.sub(var, pw).unwrap();
                let sq = tape.square(r);
                let s = tape.sum(sq);
                let term = tape.scale(s, 0.5 * l);
                total = Some(match total {
                    Some(t) => tape.add(t, term).unwrap(),
                    None => term,
                });
            }
        }
    }
    let total = total.unwrap();
    assert!((tape.value(total)[[0, 0]] - penalty).abs() < 1e-9 * penalty);
    let mut grads = tape.backward(total).unwrap();
    let autodiff = params.gradients(&leaves, &mut grads);
    for (id, (a, b)) in params.ids().zip(closed.iter().zip(&autodiff)) {
        let err = (a - b).iter().fold(0.0f64, |m, d| m.max(d.abs()));
        assert!(err < 1e-10, "{}: max difference {err:e}", params.name(id));
    }
}

#[test]
fn regularizer_vanishes_after_projection() {
    let (_, model) = per_model(&small_config("per"));
    let mut net = model.as_per().unwrap().clone();
    let reg = ProjectionRegularizer::new(&net).unwrap();
    net.project_onto(1).unwrap();
    let r = reg.values(net.params());
    assert!(r[1] < 1e-20, "R for O(2)_xy is {:e}", r[1]);
    assert!(r[0] > 1e-3, "R for O(3) is {:e}", r[0]);
}

#[test]
fn sharded_gradient_matches_one_tape() {
    let (_, model) = per_model(&small_config("per"));
    let x = random(10, 20, 1);
    let y = random(10, 9, 2);
    let penalties = PenaltyConfig {
        weight_decay: 1e-3,
        ..Default::default()
    };
    let one = loss_and_gradients(&model, &penalties, &x, &y, 1).unwrap();
    let three = loss_and_gradients(&model, &penalties, &x, &y, 3).unwrap();
    assert!((one.loss - three.loss).abs() < 1e-12 * one.loss.abs());
    for (a, b) in one.grads.iter().zip(&three.grads) {
        let scale = a.iter().fold(1e-12f64, |m, v| m.max(v.abs()));
        let err = (a - b).iter().fold(0.0f64, |m, d| m.max(d.abs()));
        assert!(err < 1e-12 * scale, "difference {err:e} at scale {scale:e}");
    }
}

#[test]
fn sharded_gradient_ignores_thread_count() {
    let (_, model) = per_model(&small_config("per"));
    let x = random(40, 20, 3);
    let y = random(40, 9, 4);
    let grads_with = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            loss_and_gradients(&model, &PenaltyConfig::default(), &x, &y, 2)
                .unwrap()
                .grads
        })
    };
    let (a, b) = (grads_with(1), grads_with(3));
    for (u, v) in a.iter().zip(&b) {
        assert!(
            u.iter()
                .zip(v.iter())
                .all(|(p, q)| p.to_bits() == q.to_bits())
        );
    }
}

/// Metrics lines without the wall-clock field.
fn metrics_without_time(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            v.as_object_mut().unwrap().remove("seconds");
            v
        })
        .collect()
}

#[test]
fn resumed_run_repeats_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_config("per");
    let task = TaskData::load(&config.task).unwrap();
    let straight = dir.path().join("straight");
    run(
        &config,
        &task,
        &RunOptions {
            out: straight.clone(),
            ..Default::default()
        },
    )
    .unwrap();
    let split = dir.path().join("split");
    let first = RunOptions {
        out: split.clone(),
        stop_after: Some(4),
        ..Default::default()
    };
    let partial = run(&config, &task, &first).unwrap();
    assert!(!partial.per_trial[0].completed);
    let second = RunOptions {
        out: split.clone(),
        resume: true,
        ..Default::default()
    };
    let resumed = run(&config, &task, &second).unwrap();
    assert!(resumed.per_trial[0].completed);
    assert_eq!(
        metrics_without_time(&straight.join("trial-0/metrics.jsonl")),
        metrics_without_time(&split.join("trial-0/metrics.jsonl"))
    );
    let best = |p: &std::path::Path| {
        let loaded = softeq::nn::checkpoint::load_model::<f64>(
            &p.join("trial-0/best.safetensors"),
            &BasisCache::new(),
        )
        .unwrap();
        let params = loaded.model.params().clone();
        params
            .ids()
            .map(|id| {
                params
                    .get(id)
                    .iter()
                    .map(|v| v.to_bits())
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(best(&straight), best(&split));
    assert_eq!(resumed.per_trial[0].test.mse.to_bits(), {
        let s: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(straight.join("trial-0/summary.json")).unwrap(),
        )
        .unwrap();
        s["test"]["mse"].as_f64().unwrap().to_bits()
    });
}

#[test]
fn same_seed_repeats_run_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_config("rpp");
    let task = TaskData::load(&config.task).unwrap();
    let a = run(
        &config,
        &task,
        &RunOptions {
            out: dir.path().join("a"),
            ..Default::default()
        },
    )
    .unwrap();
    let b = run(
        &config,
        &task,
        &RunOptions {
            out: dir.path().join("b"),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(a.test_mse.mean.to_bits(), b.test_mse.mean.to_bits());
}

#[test]
fn diverging_run_stops_with_epoch_in_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = small_config("mlp");
    // Huge steps overflow f32 within a few batches.
    config.train.precision = "f32".into();
    config.train.lr = 1e30;
    config.train.checkpoint_every = 1;
    let task = TaskData::load(&config.task).unwrap();
    let err = run(
        &config,
        &task,
        &RunOptions {
            out: dir.path().to_path_buf(),
            ..Default::default()
        },
    )
    .unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::NonFinite { .. }), "{message}");
    assert!(message.contains("epoch"), "{message}");
}

#[test]
fn invalid_settings_are_rejected() {
    let base = small_config("per");
    type Change = Box<dyn Fn(&mut RunConfig)>;
    let cases: Vec<(&str, Change)> = vec![
        (
            "tuning epoch after training",
            Box::new(|c| c.train.tuning.adjust_at = c.train.epochs),
        ),
        ("negative learning rate", Box::new(|c| c.train.lr = -1e-3)),
        ("zero batch", Box::new(|c| c.train.batch_size = 0)),
        ("zero epochs", Box::new(|c| c.train.epochs = 0)),
        (
            "unknown model",
            Box::new(|c| c.model.name = "transformer".into()),
        ),
        (
            "unknown tuning rule",
            Box::new(|c| c.train.tuning.rule = "best".into()),
        ),
        (
            "unknown precision",
            Box::new(|c| c.train.precision = "f16".into()),
        ),
    ];
    for (name, change) in cases {
        let mut c = base.clone();
        c.train.tuning.adjust_at = 2;
        change(&mut c);
        assert!(c.validate().is_err(), "{name} was accepted");
    }
}

#[test]
fn unknown_task_names_are_rejected() {
    let mut c = small_config("per");
    c.task.variant = "w".into();
    assert!(matches!(
        TaskData::load(&c.task),
        Err(Error::UnknownName { .. })
    ));
    assert!(matches!(
        RunConfig::preset("mnist"),
        Err(Error::UnknownName { .. })
    ));
}

#[test]
fn augmentation_keeps_exact_targets_consistent() {
    use softeq::data::synthetic::Task;
    use softeq::experiment::train::augment_batch;
    use softeq::symmetry::{Group, SumRep};
    // Under exact O(3) symmetry (eps = 0) a transformed pair is again a valid sample.
    let task = Task::parse("inertia", "z", 0.0).unwrap();
    let mut c = small_config("mlp");
    c.task.eps = 0.0;
    let data = TaskData::load(&c.task).unwrap();
    let mut x = data.splits.train().x().clone();
    let mut y = data.splits.train().y().clone();
    let rep_in: SumRep = data.rep_in.parse().unwrap();
    let rep_out: SumRep = data.rep_out.parse().unwrap();
    augment_batch(
        &Group::parse("O(3)").unwrap(),
        &rep_in,
        &rep_out,
        &mut x,
        &mut y,
        3,
    )
    .unwrap();
    let expected = task.targets(&x).unwrap();
    let err = (&expected - &y).iter().fold(0.0f64, |m, d| m.max(d.abs()));
    assert!(err < 1e-10, "max difference {err:e}");
    assert!(
        (&x - data.splits.train().x())
            .iter()
            .any(|d| d.abs() > 1e-3),
        "inputs did not change"
    );
}

#[test]
fn augmented_training_runs() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = small_config("mlp");
    config.model.augment = "O(2)_xy".into();
    let task = TaskData::load(&config.task).unwrap();
    let summary = run(
        &config,
        &task,
        &RunOptions {
            out: dir.path().to_path_buf(),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(summary.test_mse.mean.is_finite());
}

#[test]
fn trial_jobs_aggregate_like_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = small_config("mlp");
    config.train.trials = 2;
    let task = TaskData::load(&config.task).unwrap();
    let together = run(
        &config,
        &task,
        &RunOptions {
            out: dir.path().join("together"),
            ..Default::default()
        },
    )
    .unwrap();
    let jobs = dir.path().join("jobs");
    for t in 0..2 {
        run(
            &config,
            &task,
            &RunOptions {
                out: jobs.clone(),
                trial_index: Some(t),
                ..Default::default()
            },
        )
        .unwrap();
    }
    assert!(
        !jobs.join("summary.json").exists(),
        "a single job must not write the aggregate"
    );
    let trials = softeq::cli::reproduce::read_trials(&jobs).unwrap();
    let merged = softeq::experiment::run::RunSummary::aggregate(trials);
    assert_eq!(merged.trials, 2);
    assert_eq!(
        merged.test_mse.mean.to_bits(),
        together.test_mse.mean.to_bits()
    );
    assert_eq!(
        merged.test_mse.std.to_bits(),
        together.test_mse.std.to_bits()
    );
}
