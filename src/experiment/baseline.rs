//! The constant-velocity forecaster, evaluated like a trained model (no learning).

use std::path::Path;
use std::time::Instant;

use crate::data::{Split, constant_velocity};
use crate::error::{Error, Result};

use super::config::RunConfig;
use super::run::{RunSummary, write_summary};
use super::task::TaskData;
use super::train::TrialSummary;

/// Evaluates constant-velocity extrapolation on a motion task and writes its summary.
pub fn constant_velocity_run(
    config: &RunConfig,
    task: &TaskData,
    dir: &Path,
) -> Result<RunSummary> {
    let windows = task.windows.as_ref().ok_or_else(|| {
        Error::invalid(
            "model",
            "constant-velocity",
            "the constant-velocity baseline needs a motion task",
        )
    })?;
    let start = Instant::now();
    let (n_past, n_future, dim) = (config.task.n_past, config.task.n_future, task.dim);
    let predict = |split: Split| -> Result<_> {
        let x = task.splits.get(split).expect("split exists").x();
        task.metrics(split, &constant_velocity(x, n_past, n_future, dim)?)
    };
    let (val, test) = (predict(Split::Val)?, predict(Split::Test)?);
    let equivariance = task.equivariance_errors(
        |x: ndarray::ArrayView2<'_, f64>| constant_velocity(&x.to_owned(), n_past, n_future, dim),
        config.train.equivariance_inputs,
        config.train.equivariance_samples,
    )?;
    let _ = windows;
    let trial = TrialSummary {
        model: "constant-velocity".into(),
        task: task.label.clone(),
        trial: 0,
        seed: 0,
        parameters: 0,
        epochs_run: 0,
        selected_epoch: 0,
        stopped_early: false,
        completed: true,
        val,
        test,
        ood: None,
        groups: task.groups.clone(),
        lambda: Vec::new(),
        r: Vec::new(),
        r_initial: Vec::new(),
        tuning: None,
        equivariance,
        setup_s: 0.0,
        train_s: start.elapsed().as_secs_f64(),
        seconds_per_epoch: 0.0,
    };
    let summary = RunSummary::aggregate(vec![trial]);
    std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create directory", dir, e))?;
    write_summary(dir, &summary)?;
    Ok(summary)
}
