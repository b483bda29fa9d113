//! The `softeq` command-line interface: argument parsing and dispatch to the library.

mod demo;
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
    /// Train one model on one task (presets from configs/<task>.toml, flags override them).
    Train(Box<train::TrainArgs>),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Some(Command::Demo(args)) => demo::run(&args),
        Some(Command::Train(args)) => train::run_train(&args).map(|_| ()),
        None => demo::run(&demo::DemoArgs::default()),
    }
}
