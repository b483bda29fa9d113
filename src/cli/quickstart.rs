//! `softeq quickstart` (also what `softeq` runs without arguments): a short PER training on the
//! modified inertia task next to an MLP and EMLP-O(3) trained the same way.

use std::path::PathBuf;

use clap::Args;

use crate::error::Result;
use crate::experiment::config::RunConfig;
use crate::experiment::run::{RunOptions, RunSummary, run};
use crate::experiment::task::TaskData;

/// Settings of the quickstart.
#[derive(Args, Debug, Clone)]
pub struct QuickstartArgs {
    /// Epochs of each model (strengths are tuned at half of them).
    #[arg(long, default_value_t = 800)]
    pub epochs: usize,
    /// Special axis of the task: x, y, z or none.
    #[arg(long, default_value = "z")]
    pub axis: String,
    /// Seed of data, models and batch order.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output folder.
    #[arg(long, default_value = "runs/quickstart")]
    pub out: PathBuf,
}

impl Default for QuickstartArgs {
    fn default() -> Self {
        Self {
            epochs: 800,
            axis: "z".into(),
            seed: 0,
            out: PathBuf::from("runs/quickstart"),
        }
    }
}

/// Runs the three models and prints the comparison.
pub fn run_quickstart(args: &QuickstartArgs) -> Result<Vec<RunSummary>> {
    let mut base = RunConfig::preset("inertia")?;
    base.quick();
    base.train.epochs = args.epochs;
    base.train.tuning.adjust_at = args.epochs / 2;
    base.task.variant = args.axis.clone();
    base.task.data_seed = args.seed;
    base.model.seed = args.seed;
    base.train.seed = args.seed;
    base.validate()?;
    let task = TaskData::load(&base.task)?;
    println!(
        "softeq quickstart: {} ({} training samples), {} epochs per model, strengths tuned at epoch {}",
        task.label,
        task.splits.train().n_samples(),
        base.train.epochs,
        base.train.tuning.adjust_at
    );
    let mut summaries = Vec::new();
    for model in ["per", "emlp", "mlp"] {
        let mut config = base.clone();
        config.model.name = model.into();
        let options = RunOptions {
            out: args.out.join(model),
            ..Default::default()
        };
        summaries.push(run(&config, &task, &options)?);
    }
    print_table(&summaries, &task);
    println!("results: {}", args.out.display());
    Ok(summaries)
}

fn print_table(summaries: &[RunSummary], task: &TaskData) {
    println!();
    println!(
        "{:<8} {:>12} {:>12} {:>10}",
        "model", "test MSE", "OOD MSE", "s/epoch"
    );
    for s in summaries {
        let ood = s
            .ood_mse
            .map(|m| format!("{:.4}", m.mean))
            .unwrap_or_else(|| "-".into());
        println!(
            "{:<8} {:>12.4} {:>12} {:>10.4}",
            s.model, s.test_mse.mean, ood, s.seconds_per_epoch
        );
    }
    if let Some(per) = summaries.iter().find(|s| s.model == "per") {
        println!();
        println!(
            "strength of each candidate symmetry found by PER (the full group is not penalised):"
        );
        for (g, l) in per.groups.iter().zip(&per.lambda) {
            let note = if Some(g) == task.oracle_subgroup.as_ref() {
                "  (exact in this task)"
            } else {
                ""
            };
            println!("  {g:<10} lambda = {:>10.4}{note}", l.mean);
        }
    }
}
