//! `softeq demo`: trains the 20-128-128-128-9 swish MLP on a random teacher network.

use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use ndarray::{Array2, s};
use rand_distr::{Distribution, StandardNormal};

use crate::autodiff::Tape;
use crate::error::{Error, Result};
use crate::nn::{Mlp, MlpConfig};
use crate::optim::{Adam, AdamConfig, cosine_lr};
use crate::rng::{derive_seed, rng_from_seed};

/// Settings of the demo.
#[derive(Args, Debug, Clone)]
pub struct DemoArgs {
    /// Number of passes over the 2000 training samples.
    #[arg(long, default_value_t = 200)]
    pub epochs: usize,
    /// Samples per Adam step.
    #[arg(long, default_value_t = 500)]
    pub batch: usize,
    /// Initial learning rate of the cosine schedule.
    #[arg(long, default_value_t = 3e-3)]
    pub lr: f64,
    /// Seed of every random choice (data, teacher, initial weights).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

impl Default for DemoArgs {
    fn default() -> Self {
        Self {
            epochs: 200,
            batch: 500,
            lr: 3e-3,
            seed: 0,
        }
    }
}

const N_IN: usize = 20;
const N_OUT: usize = 9;
const N_TRAIN: usize = 2000;
const N_VAL: usize = 1000;

/// Runs the demo and prints the validation error of the student against the teacher.
pub fn run(args: &DemoArgs) -> Result<()> {
    if args.batch == 0 {
        return Err(Error::invalid(
            "--batch",
            0,
            "use a positive batch size, e.g. 500",
        ));
    }
    if !(args.lr > 0.0 && args.lr.is_finite()) {
        return Err(Error::invalid(
            "--lr",
            args.lr,
            "use a positive learning rate, e.g. 3e-3",
        ));
    }
    let mut data_rng = rng_from_seed(derive_seed(args.seed, 1));
    let x: Array2<f32> = Array2::from_shape_simple_fn((N_TRAIN + N_VAL, N_IN), || {
        StandardNormal.sample(&mut data_rng)
    });
    let teacher_config = MlpConfig {
        n_in: N_IN,
        hidden: vec![32],
        n_out: N_OUT,
    };
    let teacher = Mlp::<f32>::new(
        teacher_config,
        &mut rng_from_seed(derive_seed(args.seed, 2)),
    )?;
    let y = teacher.predict(x.view())?;
    let (x_train, x_val) = (x.slice(s![..N_TRAIN, ..]), x.slice(s![N_TRAIN.., ..]));
    let (y_train, y_val) = (y.slice(s![..N_TRAIN, ..]), y.slice(s![N_TRAIN.., ..]));

    let config = MlpConfig {
        n_in: N_IN,
        hidden: vec![128, 128, 128],
        n_out: N_OUT,
    };
    let mut model = Mlp::<f32>::new(config, &mut rng_from_seed(derive_seed(args.seed, 3)))?;
    let mut adam = Adam::new(AdamConfig::default(), model.params());
    let baseline = y_val.mapv(|v| v * v).mean().unwrap_or(0.0);
    tracing::info!(
        parameters = model.params().num_scalars(),
        "demo: training a 20-128-128-128-9 swish MLP on a random teacher"
    );
    let bar = crate::experiment::progress::bar(args.epochs as u64, "demo");
    let start = Instant::now();
    let mut val_mse = f32::NAN;
    for epoch in 0..args.epochs {
        let lr = cosine_lr(args.lr, epoch, args.epochs);
        for begin in (0..N_TRAIN).step_by(args.batch) {
            let end = (begin + args.batch).min(N_TRAIN);
            let mut tape = Tape::new();
            let leaves = model.params().leaves(&mut tape);
            let xb = tape.constant(x_train.slice(s![begin..end, ..]).to_owned());
            let out = model.forward(&mut tape, &leaves, xb)?;
            let target = Arc::new(y_train.slice(s![begin..end, ..]).to_owned());
            let loss = tape.mse(out, target)?;
            let mut grads = tape.backward(loss)?;
            let grads = model.params().gradients(&leaves, &mut grads);
            adam.step(model.params_mut(), &grads, lr);
        }
        let pred = model.predict(x_val)?;
        val_mse = (&pred - &y_val).mapv(|v| v * v).mean().unwrap_or(f32::NAN);
        if !val_mse.is_finite() {
            return Err(Error::NonFinite {
                what: "validation MSE".into(),
                context: Some(format!("epoch {epoch}")),
            });
        }
        tracing::debug!(epoch, val_mse, "demo epoch");
        bar.set_message(format!("val MSE {val_mse:.3e}"));
        bar.inc(1);
    }
    bar.finish_and_clear();
    println!(
        "demo: {} epochs in {:.2} s; validation MSE {:.3e} (predicting zero: {:.3e})",
        args.epochs,
        start.elapsed().as_secs_f64(),
        val_mse,
        baseline
    );
    Ok(())
}
