//! The `softeq` command-line interface: argument parsing and dispatch to the library.

mod demo;
pub mod eval;
pub mod groups;
pub mod quickstart;
pub mod reproduce;
pub mod train;

use clap::{Parser, Subcommand};

use crate::error::Result;

/// softeq: soft equivariance under mixed symmetries (PER), on the CPU.
#[derive(Parser, Debug)]
#[command(name = "softeq", version, about)]
pub struct Cli {
    /// Log level for messages on stderr: error, warn, info, debug or trace.
    #[arg(long, global = true, default_value = "info")]
    pub log: String,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Train a small swish MLP on data from a random teacher network (a check of the
    /// numerical core).
    Demo(demo::DemoArgs),
    /// Train PER, EMLP-O(3) and an MLP briefly on the modified inertia task and compare them
    /// (what `softeq` runs without arguments).
    Quickstart(quickstart::QuickstartArgs),
    /// Merge the trial summaries of runs split into jobs with --trial-index.
    Aggregate(reproduce::AggregateArgs),
    /// Rebuild the tables and figures of paper/README.md from the results folder.
    Report(reproduce::ReportArgs),
    /// Regenerate an experiment of Kim et al. (ICML 2023): inertia, cossim, motion, motion-tuning, ablations or all.
    Reproduce(reproduce::ReproduceArgs),
    /// Evaluate a saved model on its task and measure its equivariance errors.
    Eval(eval::EvalArgs),
    /// List the group catalog and the dimensions of equivariant weight spaces.
    Groups(groups::GroupsArgs),
    /// Train one model on one task (presets from configs/<task>.toml, flags override them).
    Train(Box<train::TrainArgs>),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Some(Command::Demo(args)) => demo::run(&args),
        Some(Command::Train(args)) => train::run_train(&args).map(|_| ()),
        Some(Command::Aggregate(args)) => reproduce::run_aggregate(&args),
        Some(Command::Report(args)) => reproduce::run_report(&args),
        Some(Command::Reproduce(args)) => reproduce::run_reproduce(&args),
        Some(Command::Eval(args)) => eval::run_eval(&args).map(|_| ()),
        Some(Command::Groups(args)) => groups::run_groups(&args),
        Some(Command::Quickstart(args)) => quickstart::run_quickstart(&args).map(|_| ()),
        None => quickstart::run_quickstart(&quickstart::QuickstartArgs::default()).map(|_| ()),
    }
}
