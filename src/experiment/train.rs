//! The training loop of one trial: Adam with a cosine schedule, the PER regularizers and
//! strength tuning, validation every epoch, checkpoint selection, early stopping, resumable
//! state, and the trial's summary.
//!
//! Selection follows the authors' protocol: the best checkpoint is the one with the lowest
//! validation metric (MSE; ADE for motion) among epochs after `2 T_adj`, and early stopping
//! (patience 50) counts only epochs after that point. If the run ends before any epoch is
//! selectable, the final weights are used.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ndarray::{Array2, Axis};
use rand::seq::SliceRandom;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::Split;
use crate::error::{Error, Result};
use crate::float::Float;
use crate::method::{ProjectionRegularizer, StrengthTuner, TuningEvent};
use crate::nn::checkpoint::{load_model, save_model};
use crate::nn::{Model, ModelConfig, PenaltyConfig};
use crate::optim::{Adam, AdamConfig, cosine_lr};
use crate::rng::{derive_seed, rng_from_seed};
use crate::symmetry::{BasisCache, Group, SumRep};

use super::config::TrainSpec;
use super::resume::{self, LoopState};
use super::step::loss_and_gradients;
pub use super::task::GroupError;
use super::task::{SplitMetrics, TaskData};

/// One line of `metrics.jsonl`.
#[derive(Clone, Debug, Serialize)]
pub struct EpochRecord {
    /// 1-based epoch.
    pub epoch: usize,
    /// Learning rate used in the epoch.
    pub lr: f64,
    /// Mean training loss (MSE + penalties + regularizers) over batches.
    pub train_loss: f64,
    /// Mean training MSE over samples.
    pub train_mse: f64,
    /// Validation MSE.
    pub val_mse: f64,
    /// Validation ADE in metres (motion).
    pub val_ade_m: Option<f64>,
    /// Regularizer sums `R_j` after the epoch (PER).
    pub r: Vec<f64>,
    /// Strengths `lambda_j` after the epoch (PER).
    pub lambda: Vec<f64>,
    /// Seconds spent in the epoch.
    pub seconds: f64,
}

/// The result of one trial, written to `summary.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrialSummary {
    /// The model's name.
    pub model: String,
    /// The task's description.
    pub task: String,
    /// Trial number.
    pub trial: usize,
    /// Seed of the model and of the batch order.
    pub seed: u64,
    /// Number of scalar parameters.
    pub parameters: usize,
    /// Epochs run (fewer than configured after early stopping).
    pub epochs_run: usize,
    /// Epoch of the checkpoint evaluated on the test set.
    pub selected_epoch: usize,
    /// Whether early stopping ended the run.
    pub stopped_early: bool,
    /// Whether the run reached its last epoch or stopped early (false after `--stop-after`).
    pub completed: bool,
    /// Validation metrics of the selected checkpoint.
    pub val: SplitMetrics,
    /// Test metrics of the selected checkpoint.
    pub test: SplitMetrics,
    /// Out-of-distribution metrics, when the task has that split.
    pub ood: Option<SplitMetrics>,
    /// Candidate groups of the task, the full group first.
    pub groups: Vec<String>,
    /// Final strengths `lambda_j` (PER).
    pub lambda: Vec<f64>,
    /// Final regularizer sums `R_j` (PER) of the selected checkpoint.
    pub r: Vec<f64>,
    /// Regularizer sums at initialisation (PER).
    pub r_initial: Vec<f64>,
    /// The tuning event (PER).
    pub tuning: Option<TuningEvent>,
    /// Equivariance error of the selected checkpoint under each candidate group.
    pub equivariance: Vec<GroupError>,
    /// Seconds to build the model (bases and projectors included).
    pub setup_s: f64,
    /// Seconds of training and evaluation.
    pub train_s: f64,
    /// Median seconds per epoch.
    pub seconds_per_epoch: f64,
}

/// Inputs of one trial.
pub struct TrialPlan<'a> {
    /// The data.
    pub task: &'a TaskData,
    /// The model to build.
    pub model: ModelConfig,
    /// Training settings.
    pub train: &'a TrainSpec,
    /// Trial number.
    pub trial: usize,
    /// Seed of the batch order and augmentation.
    pub seed: u64,
    /// Group for data augmentation, if any.
    pub augment: Option<Group>,
    /// Output folder of the trial.
    pub dir: PathBuf,
    /// Continue from `dir/resume` when it exists.
    pub resume: bool,
    /// Progress bar to drive.
    pub progress: indicatif::ProgressBar,
    /// The run's configuration as TOML, stored in the selected checkpoint.
    pub run_config: String,
    /// Stop after this epoch with a resumable state (to split a long run into sessions).
    pub stop_after: Option<usize>,
}

fn to_f<F: Float>(a: &Array2<f64>) -> Array2<F> {
    a.mapv(F::of)
}

fn to_f64<F: Float>(a: &Array2<F>) -> Array2<f64> {
    a.mapv(|v| v.to_f64())
}

/// Predicts a whole split in batches (in parallel; each row's prediction depends only on that
/// row), in f64.
pub fn predict_split<F: Float>(
    model: &Model<F>,
    x: &Array2<F>,
    batch: usize,
) -> Result<Array2<f64>> {
    let chunks: Vec<_> = x.axis_chunks_iter(Axis(0), batch.max(1)).collect();
    let parts = chunks
        .into_par_iter()
        .map(|chunk| model.predict(chunk).map(|p| to_f64(&p)))
        .collect::<Result<Vec<_>>>()?;
    let views: Vec<_> = parts.iter().map(|p| p.view()).collect();
    Ok(ndarray::concatenate(Axis(0), &views).expect("batches share their width"))
}

/// Transforms each row of a batch by its own random group element (data augmentation).
pub fn augment_batch<F: Float>(
    group: &Group,
    rep_in: &SumRep,
    rep_out: &SumRep,
    x: &mut Array2<F>,
    y: &mut Array2<F>,
    seed: u64,
) -> Result<()> {
    let mut rng = rng_from_seed(seed);
    for r in 0..x.nrows() {
        let g = group.sample(&mut rng);
        let xr = rep_in.apply_rho_rows(g.view(), x.slice(ndarray::s![r..r + 1, ..]))?;
        let yr = rep_out.apply_rho_rows(g.view(), y.slice(ndarray::s![r..r + 1, ..]))?;
        x.row_mut(r).assign(&xr.row(0));
        y.row_mut(r).assign(&yr.row(0));
    }
    Ok(())
}

struct Batches<F: Float> {
    x: Array2<F>,
    y: Array2<F>,
}

/// What one epoch of training reads.
struct EpochContext<'a, F: Float> {
    data: &'a Batches<F>,
    train: &'a TrainSpec,
    penalties: &'a PenaltyConfig,
    regularizer: Option<&'a ProjectionRegularizer>,
    augment: Option<(&'a Group, &'a SumRep, &'a SumRep)>,
    seed: u64,
    trial: usize,
    dir: &'a Path,
}

/// Runs the Adam steps of one epoch over the shuffled training set; returns the mean loss over
/// batches and the mean training MSE over samples. The batch order of epoch `e` depends only
/// on `(seed, e)`, so a resumed run repeats it.
fn train_epoch<F: Float>(
    ctx: &EpochContext<'_, F>,
    model: &mut Model<F>,
    adam: &mut Adam<F>,
    lambda: &[f64],
    lr: f64,
    epoch: usize,
) -> Result<(f64, f64)> {
    let n = ctx.data.x.nrows();
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rng_from_seed(derive_seed(ctx.seed, epoch as u64)));
    let (mut loss_sum, mut mse_sum, mut steps) = (0.0, 0.0, 0usize);
    for (b, rows) in order.chunks(ctx.train.batch_size).enumerate() {
        let mut xb = ctx.data.x.select(Axis(0), rows);
        let mut yb = ctx.data.y.select(Axis(0), rows);
        if let Some((g, rep_in, rep_out)) = ctx.augment {
            let aug_seed = derive_seed(derive_seed(ctx.seed, epoch as u64), b as u64 + 1);
            augment_batch(g, rep_in, rep_out, &mut xb, &mut yb, aug_seed)?;
        }
        let step = loss_and_gradients(model, ctx.penalties, &xb, &yb, ctx.train.shards)?;
        let (mse_value, mut loss_value, mut grads) = (step.mse, step.loss, step.grads);
        if let Some(reg) = ctx.regularizer {
            loss_value += reg.add_gradients(model.params(), lambda, &mut grads);
        }
        if !loss_value.is_finite() {
            return Err(Error::NonFinite {
                what: "training loss".into(),
                context: Some(format!(
                    "trial {}, epoch {epoch}, batch {b}; the last good state is in {}",
                    ctx.trial,
                    ctx.dir.join("resume").display()
                )),
            });
        }
        adam.step(model.params_mut(), &grads, lr);
        loss_sum += loss_value;
        mse_sum += mse_value * rows.len() as f64;
        steps += 1;
    }
    Ok((loss_sum / steps.max(1) as f64, mse_sum / n.max(1) as f64))
}

/// Runs one trial and writes its files; returns the summary.
pub fn run_trial<F: Float>(plan: TrialPlan<'_>) -> Result<TrialSummary> {
    let TrialPlan {
        task,
        model: model_config,
        train,
        trial,
        seed,
        augment,
        dir,
        resume: want_resume,
        progress,
        run_config,
        stop_after,
    } = plan;
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("cannot create directory", &dir, e))?;
    let cache = BasisCache::new();
    let setup_start = Instant::now();
    let mut model = Model::<F>::build(&model_config, &cache)?;
    let setup_s = setup_start.elapsed().as_secs_f64();
    let regularizer = model.as_per().map(ProjectionRegularizer::new).transpose()?;
    let mut adam = Adam::new(AdamConfig::default(), model.params());
    let penalties = PenaltyConfig {
        weight_decay: train.weight_decay,
        gated_wd: train.gated_wd,
        basic_wd: train.basic_wd,
        equiv_wd: train.equiv_wd,
    };
    let groups = task.groups.clone();
    let r_initial = regularizer
        .as_ref()
        .map(|r| r.values(model.params()))
        .unwrap_or_default();
    let mut state = LoopState {
        epoch: 0,
        tuner: match &regularizer {
            Some(r) => {
                let mut tuner = StrengthTuner::new(train.tuning.to_config()?, r.groups())?;
                tuner.record_initial(&r_initial);
                Some(tuner)
            }
            None => None,
        },
        best: None,
        stale_epochs: 0,
        elapsed_s: 0.0,
        adam_steps: 0,
    };
    let metrics_path = dir.join("metrics.jsonl");
    let resumed = if want_resume {
        resume::load::<F>(&dir, adam.clone(), &cache)?
    } else {
        None
    };
    if let Some(resumed) = resumed {
        tracing::info!(
            trial,
            epoch = resumed.state.epoch,
            "resuming from {}",
            dir.join("resume").display()
        );
        model = resumed.model;
        adam = resumed.adam;
        state = resumed.state;
        truncate_metrics(&metrics_path, state.epoch)?;
    }
    if state.epoch == 0 {
        let _ = std::fs::remove_file(&metrics_path);
    }
    let train_data = Batches {
        x: to_f::<F>(task.splits.train().x()),
        y: to_f::<F>(task.splits.train().y()),
    };
    let val_x = to_f::<F>(task.splits.val().x());
    let (rep_in, rep_out): (SumRep, SumRep) = (task.rep_in.parse()?, task.rep_out.parse()?);
    let selection_start = train.selection_start();
    let best_path = dir.join("best.safetensors");
    let mut epoch_seconds = Vec::new();
    let loop_start = Instant::now();
    let elapsed_before = state.elapsed_s;
    progress.set_position(state.epoch as u64);
    let mut stopped_early = false;

    for epoch in state.epoch + 1..=train.epochs {
        let epoch_start = Instant::now();
        let lr = cosine_lr(train.lr, epoch - 1, train.epochs);
        let lambda: Vec<f64> = state
            .tuner
            .as_ref()
            .map(|t| t.lambda().to_vec())
            .unwrap_or_default();
        let epoch_ctx = EpochContext {
            data: &train_data,
            train,
            penalties: &penalties,
            regularizer: regularizer.as_ref(),
            augment: augment.as_ref().map(|g| (g, &rep_in, &rep_out)),
            seed,
            trial,
            dir: &dir,
        };
        let (train_loss, train_mse) =
            train_epoch(&epoch_ctx, &mut model, &mut adam, &lambda, lr, epoch)?;
        let val_pred = predict_split(&model, &val_x, 250)?;
        let val = task.metrics(Split::Val, &val_pred)?;
        if !val.selection_value().is_finite() {
            return Err(Error::NonFinite {
                what: "validation metric".into(),
                context: Some(format!("trial {trial}, epoch {epoch}")),
            });
        }
        let r = regularizer
            .as_ref()
            .map(|reg| reg.values(model.params()))
            .unwrap_or_default();
        if let Some(tuner) = state.tuner.as_mut() {
            tuner.end_epoch(epoch, &r)?;
        }
        if epoch > selection_start {
            match state.best {
                Some((best, _)) if val.selection_value() >= best => state.stale_epochs += 1,
                _ => {
                    state.best = Some((val.selection_value(), epoch));
                    state.stale_epochs = 0;
                    let meta = [
                        ("epoch".to_string(), epoch.to_string()),
                        ("trial".to_string(), trial.to_string()),
                        ("run_config".to_string(), run_config.clone()),
                    ];
                    save_model(&model, &best_path, &meta.into())?;
                }
            }
        }
        let seconds = epoch_start.elapsed().as_secs_f64();
        epoch_seconds.push(seconds);
        let record = EpochRecord {
            epoch,
            lr,
            train_loss,
            train_mse,
            val_mse: val.mse,
            val_ade_m: val.ade_m,
            r,
            lambda: state
                .tuner
                .as_ref()
                .map(|t| t.lambda().to_vec())
                .unwrap_or_default(),
            seconds,
        };
        append_metrics(&metrics_path, &record)?;
        tracing::debug!(
            trial,
            epoch,
            val = val.selection_value(),
            train_mse = record.train_mse,
            "epoch"
        );
        progress.set_message(format!("val {:.4}", val.selection_value()));
        progress.inc(1);
        state.epoch = epoch;
        state.adam_steps = adam.t;
        let stop = train.patience > 0 && state.stale_epochs >= train.patience;
        let pause = stop_after == Some(epoch);
        if epoch % train.checkpoint_every.max(1) == 0 || epoch == train.epochs || stop || pause {
            state.elapsed_s = elapsed_before + loop_start.elapsed().as_secs_f64();
            resume::save(&dir, &model, &adam, &state)?;
        }
        if stop {
            tracing::info!(trial, epoch, patience = train.patience, "early stopping");
            stopped_early = true;
            break;
        }
        if pause {
            tracing::info!(
                trial,
                epoch,
                "stopping as requested; continue with --resume"
            );
            break;
        }
    }
    progress.finish_and_clear();

    let selected_epoch = match state.best {
        Some((_, epoch)) => {
            model = load_model::<F>(&best_path, &cache)?.model;
            epoch
        }
        None => state.epoch,
    };
    let summary = evaluate_trial(&model, task, train, &regularizer, &state)?;
    let mut sorted = epoch_seconds.clone();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let summary = TrialSummary {
        model: model.name().into(),
        task: task.label.clone(),
        trial,
        seed,
        parameters: model.params().num_scalars(),
        epochs_run: state.epoch,
        selected_epoch,
        stopped_early,
        completed: stopped_early || state.epoch == train.epochs,
        groups,
        r_initial,
        setup_s,
        train_s: elapsed_before + loop_start.elapsed().as_secs_f64(),
        seconds_per_epoch: sorted.get(sorted.len() / 2).copied().unwrap_or(0.0),
        ..summary
    };
    crate::io::write_json(&dir.join("summary.json"), &summary)?;
    tracing::info!(
        trial,
        model = %summary.model,
        epochs = summary.epochs_run,
        selected_epoch = summary.selected_epoch,
        test = summary.test.selection_value(),
        "trial finished"
    );
    Ok(summary)
}

/// Test, OOD and equivariance metrics of the selected model.
fn evaluate_trial<F: Float>(
    model: &Model<F>,
    task: &TaskData,
    train: &TrainSpec,
    regularizer: &Option<ProjectionRegularizer>,
    state: &LoopState,
) -> Result<TrialSummary> {
    let batch = 250;
    let metrics = |split: Split| -> Result<SplitMetrics> {
        let data = task.splits.get(split).expect("split exists");
        task.metrics(split, &predict_split(model, &to_f::<F>(data.x()), batch)?)
    };
    let val = metrics(Split::Val)?;
    let test = metrics(Split::Test)?;
    let ood = task.splits.ood().map(|_| metrics(Split::Ood)).transpose()?;
    let equivariance = task.equivariance_errors(
        |x| model.predict(x),
        train.equivariance_inputs,
        train.equivariance_samples,
    )?;
    Ok(TrialSummary {
        model: String::new(),
        task: String::new(),
        trial: 0,
        seed: 0,
        parameters: 0,
        epochs_run: 0,
        selected_epoch: 0,
        stopped_early: false,
        completed: false,
        val,
        test,
        ood,
        groups: Vec::new(),
        lambda: state
            .tuner
            .as_ref()
            .map(|t| t.lambda().to_vec())
            .unwrap_or_default(),
        r: regularizer
            .as_ref()
            .map(|r| r.values(model.params()))
            .unwrap_or_default(),
        r_initial: Vec::new(),
        tuning: state.tuner.as_ref().and_then(|t| t.event().cloned()),
        equivariance,
        setup_s: 0.0,
        train_s: 0.0,
        seconds_per_epoch: 0.0,
    })
}

fn append_metrics(path: &Path, record: &EpochRecord) -> Result<()> {
    let line = serde_json::to_string(record).expect("records serialise");
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::io("cannot open", path, e))?;
    writeln!(file, "{line}").map_err(|e| Error::io("cannot append to", path, e))
}

/// Drops the lines of epochs after `epoch` (written after the last resumable state).
fn truncate_metrics(path: &Path, epoch: usize) -> Result<()> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(());
    };
    let kept: Vec<&str> = text
        .lines()
        .filter(|line| {
            serde_json::from_str::<serde_json::Value>(line)
                .ok()
                .and_then(|v| v.get("epoch").and_then(|e| e.as_u64()))
                .is_some_and(|e| e as usize <= epoch)
        })
        .collect();
    let mut out = kept.join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    crate::io::write_atomic(path, out.as_bytes())
}
