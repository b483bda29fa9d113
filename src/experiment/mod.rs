//! Experiments: training loops, metrics, reports and plots.

pub mod config;
pub mod progress;
pub mod resume;
pub mod run;
pub mod step;
pub mod task;
pub mod train;
