//! `softeq eval`: evaluates a saved model on its task's test (and OOD) split and measures its
//! equivariance error under every candidate group.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use crate::data::Split;
use crate::error::{Error, Result};
use crate::experiment::config::RunConfig;
use crate::experiment::task::GroupError;
use crate::experiment::task::{SplitMetrics, TaskData};
use crate::experiment::train::predict_split;
use crate::nn::checkpoint::load_model;
use crate::symmetry::BasisCache;

/// Settings of `softeq eval`.
#[derive(Args, Debug, Clone)]
pub struct EvalArgs {
    /// A model file written by training (`best.safetensors`).
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// Motion: trajectory data, when it moved since training.
    #[arg(long)]
    pub data: Option<String>,
    /// Group elements sampled for each equivariance error.
    #[arg(long, default_value_t = 8)]
    pub samples: usize,
    /// Evaluate in f64 (exact equivariance checks) instead of f32.
    #[arg(long)]
    pub f64: bool,
    /// Write the results as JSON to this file as well.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// The results `softeq eval` prints and writes.
#[derive(Debug, Serialize)]
pub struct EvalReport {
    /// The model file.
    pub checkpoint: String,
    /// The model's name.
    pub model: String,
    /// The task.
    pub task: String,
    /// Test metrics.
    pub test: SplitMetrics,
    /// Out-of-distribution metrics.
    pub ood: Option<SplitMetrics>,
    /// Equivariance error per candidate group.
    pub equivariance: Vec<GroupError>,
}

fn evaluate<F: crate::Float>(args: &EvalArgs, config: &RunConfig) -> Result<EvalReport> {
    let cache = BasisCache::new();
    let model = load_model::<F>(&args.checkpoint, &cache)?.model;
    let task = TaskData::load(&config.task)?;
    let metrics = |split: Split| -> Result<SplitMetrics> {
        let data = task.splits.get(split).expect("split exists");
        task.metrics(split, &predict_split(&model, &data.x().mapv(F::of), 250)?)
    };
    let equivariance = task.equivariance_errors(
        |x| model.predict(x),
        config.train.equivariance_inputs,
        args.samples,
    )?;
    Ok(EvalReport {
        checkpoint: args.checkpoint.display().to_string(),
        model: model.name().into(),
        task: task.label.clone(),
        test: metrics(Split::Test)?,
        ood: task.splits.ood().map(|_| metrics(Split::Ood)).transpose()?,
        equivariance,
    })
}

/// Runs `softeq eval`.
pub fn run_eval(args: &EvalArgs) -> Result<EvalReport> {
    let bytes = std::fs::read(&args.checkpoint)
        .map_err(|e| Error::io("cannot read", &args.checkpoint, e))?;
    let (_, header) =
        safetensors::SafeTensors::read_metadata(&bytes).map_err(|e| Error::Checkpoint {
            path: args.checkpoint.clone(),
            message: format!("not a safetensors file: {e}"),
        })?;
    let text = header
        .metadata()
        .as_ref()
        .and_then(|m| m.get("run_config").cloned())
        .ok_or_else(|| Error::Checkpoint {
            path: args.checkpoint.clone(),
            message: "no run configuration in the metadata; evaluate a best.safetensors written by training".into(),
        })?;
    let mut config = RunConfig::from_toml(&text, "the checkpoint's run_config")?;
    if let Some(data) = &args.data {
        config.task.data = data.clone();
    }
    let report = if args.f64 {
        evaluate::<f64>(args, &config)?
    } else {
        evaluate::<f32>(args, &config)?
    };
    println!(
        "{} on {} ({})",
        report.model, report.task, report.checkpoint
    );
    match (report.test.ade_m, report.test.fde_m) {
        (Some(ade), Some(fde)) => println!(
            "  test ADE {ade:.3} m, FDE {fde:.3} m, MSE {:.4e}",
            report.test.mse
        ),
        _ => println!("  test MSE {:.6e}", report.test.mse),
    }
    if let Some(ood) = &report.ood {
        println!("  OOD MSE  {:.6e}", ood.mse);
    }
    for e in &report.equivariance {
        println!("  equivariance error under {:<14} {:.3e}", e.group, e.error);
    }
    if let Some(path) = &args.json {
        crate::io::write_json(path, &report)?;
    }
    Ok(report)
}
