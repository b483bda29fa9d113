//! A run: every trial of one model on one task, in parallel, and their aggregate.
//!
//! Output folder layout:
//!
//! ```text
//! <out>/config.toml            the resolved configuration
//! <out>/trial-<t>/metrics.jsonl   one JSON object per epoch
//! <out>/trial-<t>/summary.json    test/OOD metrics, strengths, equivariance errors, times
//! <out>/trial-<t>/best.safetensors the selected checkpoint
//! <out>/trial-<t>/resume/         state to continue an interrupted trial
//! <out>/summary.json, summary.csv  mean and standard deviation over trials
//! ```

use std::path::{Path, PathBuf};

use indicatif::MultiProgress;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::io::{write_atomic, write_json};
use crate::rng::derive_seed;
use crate::symmetry::Group;

use super::config::RunConfig;
use super::progress;
use super::task::{TaskData, model_config};
use super::train::{TrialPlan, TrialSummary, run_trial};

/// Mean and (population) standard deviation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MeanStd {
    /// Mean.
    pub mean: f64,
    /// Standard deviation (divides by n, as numpy's default).
    pub std: f64,
}

impl MeanStd {
    /// Statistics of `values` (NaN for an empty slice).
    pub fn of(values: &[f64]) -> Self {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        Self {
            mean,
            std: var.sqrt(),
        }
    }
}

/// Aggregate of a run's trials, written to `summary.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunSummary {
    /// The model.
    pub model: String,
    /// The task.
    pub task: String,
    /// Number of trials aggregated.
    pub trials: usize,
    /// Test MSE.
    pub test_mse: MeanStd,
    /// Test ADE in metres (motion).
    pub test_ade_m: Option<MeanStd>,
    /// Test FDE in metres (motion).
    pub test_fde_m: Option<MeanStd>,
    /// Out-of-distribution MSE.
    pub ood_mse: Option<MeanStd>,
    /// Candidate groups.
    pub groups: Vec<String>,
    /// Final strength per group (PER).
    pub lambda: Vec<MeanStd>,
    /// Equivariance error per group.
    pub equivariance: Vec<MeanStd>,
    /// Median seconds per epoch, averaged over trials.
    pub seconds_per_epoch: f64,
    /// Model construction time, averaged over trials.
    pub setup_s: f64,
    /// Every trial's summary.
    pub per_trial: Vec<TrialSummary>,
}

impl RunSummary {
    /// Aggregates trial summaries (at least one).
    pub fn aggregate(trials: Vec<TrialSummary>) -> Self {
        let pick = |f: &dyn Fn(&TrialSummary) -> f64| {
            MeanStd::of(&trials.iter().map(f).collect::<Vec<_>>())
        };
        let pick_opt = |f: &dyn Fn(&TrialSummary) -> Option<f64>| {
            let values: Option<Vec<f64>> = trials.iter().map(f).collect();
            values.map(|v| MeanStd::of(&v))
        };
        let groups = trials[0].groups.clone();
        let per_index =
            |f: &dyn Fn(&TrialSummary, usize) -> Option<f64>, n: usize| -> Vec<MeanStd> {
                (0..n)
                    .filter_map(|j| {
                        let v: Option<Vec<f64>> = trials.iter().map(|t| f(t, j)).collect();
                        v.map(|v| MeanStd::of(&v))
                    })
                    .collect()
            };
        Self {
            model: trials[0].model.clone(),
            task: trials[0].task.clone(),
            trials: trials.len(),
            test_mse: pick(&|t| t.test.mse),
            test_ade_m: pick_opt(&|t| t.test.ade_m),
            test_fde_m: pick_opt(&|t| t.test.fde_m),
            ood_mse: pick_opt(&|t| t.ood.map(|o| o.mse)),
            lambda: per_index(&|t, j| t.lambda.get(j).copied(), trials[0].lambda.len()),
            equivariance: per_index(&|t, j| t.equivariance.get(j).map(|e| e.error), groups.len()),
            groups,
            seconds_per_epoch: pick(&|t| t.seconds_per_epoch).mean,
            setup_s: pick(&|t| t.setup_s).mean,
            per_trial: trials,
        }
    }

    /// One CSV row per trial plus a header.
    pub fn to_csv(&self) -> String {
        let mut out = String::from(
            "model,task,trial,seed,selected_epoch,test_mse,test_ade_m,test_fde_m,ood_mse",
        );
        for g in &self.groups {
            out.push_str(&format!(",lambda[{g}],equivariance_error[{g}]"));
        }
        out.push_str(",seconds_per_epoch\n");
        let opt = |v: Option<f64>| v.map(|v| format!("{v:e}")).unwrap_or_default();
        for t in &self.per_trial {
            out.push_str(&format!(
                "{},\"{}\",{},{},{},{:e},{},{},{}",
                t.model,
                t.task,
                t.trial,
                t.seed,
                t.selected_epoch,
                t.test.mse,
                opt(t.test.ade_m),
                opt(t.test.fde_m),
                opt(t.ood.map(|o| o.mse))
            ));
            for j in 0..self.groups.len() {
                out.push_str(&format!(
                    ",{},{}",
                    opt(t.lambda.get(j).copied()),
                    opt(t.equivariance.get(j).map(|e| e.error))
                ));
            }
            out.push_str(&format!(",{:.6}\n", t.seconds_per_epoch));
        }
        out
    }
}

/// Options of [`run`] that are not part of the configuration.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Output folder.
    pub out: PathBuf,
    /// Run only this trial (for job arrays); `None` runs all.
    pub trial_index: Option<usize>,
    /// Continue trials from their resumable state.
    pub resume: bool,
    /// Run trials one after another instead of in parallel.
    pub sequential: bool,
    /// Stop every trial after this epoch, leaving a resumable state.
    pub stop_after: Option<usize>,
}

/// Runs the trials of `config` on already loaded data, writes every file and returns the
/// aggregate.
pub fn run(config: &RunConfig, task: &TaskData, options: &RunOptions) -> Result<RunSummary> {
    config.validate()?;
    std::fs::create_dir_all(&options.out)
        .map_err(|e| crate::Error::io("cannot create directory", &options.out, e))?;
    write_atomic(
        &options.out.join("config.toml"),
        config.to_toml().as_bytes(),
    )?;
    let trials: Vec<usize> = match options.trial_index {
        Some(t) => vec![t],
        None => (0..config.train.trials).collect(),
    };
    let augment = match config.model.augment.as_str() {
        "" => None,
        name => Some(Group::parse(name)?),
    };
    let bars = MultiProgress::new();
    let label = format!("{} {}", config.model.name, task.label);
    let plans = trials
        .iter()
        .map(|&t| -> Result<TrialPlan<'_>> {
            let model_seed = derive_seed(config.model.seed, t as u64);
            Ok(TrialPlan {
                task,
                model: model_config(&config.model, task, model_seed)?,
                train: &config.train,
                trial: t,
                seed: derive_seed(config.train.seed, t as u64),
                augment: augment.clone(),
                dir: trial_dir(&options.out, t),
                resume: options.resume,
                progress: bars.add(progress::bar(
                    config.train.epochs as u64,
                    &format!("{label} trial {t}"),
                )),
                run_config: config.to_toml(),
                stop_after: options.stop_after,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    tracing::info!(model = %config.model.name, task = %task.label, trials = plans.len(), out = %options.out.display(), "training");
    let run_one = |plan: TrialPlan<'_>| match config.train.precision.as_str() {
        "f64" => run_trial::<f64>(plan),
        _ => run_trial::<f32>(plan),
    };
    let results: Vec<Result<TrialSummary>> = if options.sequential || plans.len() == 1 {
        plans.into_iter().map(run_one).collect()
    } else {
        plans.into_par_iter().map(run_one).collect()
    };
    let summaries = results.into_iter().collect::<Result<Vec<_>>>()?;
    let summary = RunSummary::aggregate(summaries);
    if options.trial_index.is_none() {
        write_summary(&options.out, &summary)?;
    }
    Ok(summary)
}

/// The folder of trial `t`.
pub fn trial_dir(out: &Path, t: usize) -> PathBuf {
    out.join(format!("trial-{t}"))
}

/// Writes `summary.json` and `summary.csv`.
pub fn write_summary(out: &Path, summary: &RunSummary) -> Result<()> {
    write_json(&out.join("summary.json"), summary)?;
    write_atomic(&out.join("summary.csv"), summary.to_csv().as_bytes())
}
