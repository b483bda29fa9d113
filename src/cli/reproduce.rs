//! `softeq reproduce` and `softeq aggregate`.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::error::{Error, Result};
use crate::experiment::reproduce::{EXPERIMENTS, Length, plan, reproduce, run_dir};
use crate::experiment::run::{RunSummary, write_summary};
use crate::experiment::train::TrialSummary;
use crate::io::read_json;

/// Settings of `softeq reproduce`.
#[derive(Args, Debug, Clone)]
pub struct ReproduceArgs {
    /// inertia, cossim, motion, motion-tuning, ablations, or all.
    pub experiment: String,
    /// Smoke run: the quick preset, one trial.
    #[arg(long, conflicts_with = "full")]
    pub quick: bool,
    /// The published protocol: its epochs and 5 trials (3 for motion). Without --quick or
    /// --full: the published epochs, one trial.
    #[arg(long)]
    pub full: bool,
    /// Results folder; runs whose summary exists are skipped, so a reproduction can continue.
    #[arg(long, default_value = "paper/results")]
    pub out: PathBuf,
    /// Motion data (default: SOFTEQ_DATA_DIR).
    #[arg(long)]
    pub data: Option<String>,
    /// Run only this trial of every run (for job arrays; merge with `softeq aggregate`).
    #[arg(long)]
    pub trial_index: Option<usize>,
    /// Print the planned runs and exit.
    #[arg(long)]
    pub list: bool,
}

/// Runs `softeq reproduce`.
pub fn run_reproduce(args: &ReproduceArgs) -> Result<()> {
    let experiments: Vec<&str> = match args.experiment.as_str() {
        "all" => EXPERIMENTS.to_vec(),
        e if EXPERIMENTS.contains(&e) => vec![e],
        other => {
            return Err(Error::UnknownName {
                kind: "experiment",
                name: other.into(),
                valid: format!("{}, all", EXPERIMENTS.join(", ")),
            });
        }
    };
    let length = if args.quick {
        Length::Quick
    } else if args.full {
        Length::Full
    } else {
        Length::Paper
    };
    for experiment in experiments {
        let runs = plan(experiment, length)?;
        if args.list {
            for r in &runs {
                println!(
                    "{}  ({} epochs, {} trial(s))",
                    run_dir(&args.out, experiment, r).display(),
                    r.config.train.epochs,
                    r.config.train.trials
                );
            }
            continue;
        }
        let results = reproduce(
            experiment,
            &runs,
            &args.out,
            args.data.as_deref(),
            args.trial_index,
        )?;
        for (planned, summary) in &results {
            let metric = match summary.test_ade_m {
                Some(ade) => format!("ADE {:.1} m", ade.mean),
                None => format!("MSE {:.4e}", summary.test_mse.mean),
            };
            println!(
                "{experiment}/{}/{}: test {metric}",
                planned.setting, planned.label
            );
        }
    }
    Ok(())
}

/// Settings of `softeq aggregate`.
#[derive(Args, Debug, Clone)]
pub struct AggregateArgs {
    /// Run folders holding `trial-<t>/summary.json` files (from `--trial-index` jobs).
    #[arg(required = true)]
    pub runs: Vec<PathBuf>,
}

/// Reads every trial summary of a run folder, in trial order.
pub fn read_trials(dir: &Path) -> Result<Vec<TrialSummary>> {
    let mut trials: Vec<(usize, TrialSummary)> = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io("cannot read directory", dir, e))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(t) = name
            .strip_prefix("trial-")
            .and_then(|t| t.parse::<usize>().ok())
        else {
            continue;
        };
        let path = entry.path().join("summary.json");
        if path.is_file() {
            trials.push((t, read_json(&path)?));
        }
    }
    trials.sort_by_key(|(t, _)| *t);
    if trials.is_empty() {
        return Err(Error::invalid(
            "run folder",
            dir.display(),
            "it holds no trial-<t>/summary.json; run the trials first",
        ));
    }
    Ok(trials.into_iter().map(|(_, s)| s).collect())
}

/// Runs `softeq aggregate`: writes `summary.json` and `summary.csv` of each run folder.
pub fn run_aggregate(args: &AggregateArgs) -> Result<()> {
    for dir in &args.runs {
        let trials = read_trials(dir)?;
        let n = trials.len();
        let summary = RunSummary::aggregate(trials);
        write_summary(dir, &summary)?;
        println!(
            "{}: {n} trial(s), test MSE {:.4e} ± {:.1e}",
            dir.display(),
            summary.test_mse.mean,
            summary.test_mse.std
        );
    }
    Ok(())
}

/// Settings of `softeq report`.
#[derive(Args, Debug, Clone)]
pub struct ReportArgs {
    /// Results folder written by `softeq reproduce`.
    #[arg(long, default_value = "paper/results")]
    pub results: PathBuf,
    /// Markdown file whose report sections are replaced.
    #[arg(long, default_value = "paper/README.md")]
    pub readme: PathBuf,
    /// Folder for the SVG figures.
    #[arg(long, default_value = "paper/figures")]
    pub figures: PathBuf,
}

/// Runs `softeq report`.
pub fn run_report(args: &ReportArgs) -> Result<()> {
    let done = crate::experiment::report::build(&args.results, &args.readme, &args.figures)?;
    if done.is_empty() {
        return Err(Error::invalid(
            "results folder",
            args.results.display(),
            "no summary.json found; run `softeq reproduce` first",
        ));
    }
    for line in done {
        println!("{line}");
    }
    println!(
        "report: {} (figures in {})",
        args.readme.display(),
        args.figures.display()
    );
    Ok(())
}
