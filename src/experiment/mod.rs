//! Experiments: training loops, metrics, reports and plots.

pub mod baseline;
pub mod config;
pub mod plot;
pub mod progress;
pub mod report;
pub mod reproduce;
pub mod resume;
pub mod run;
pub mod step;
pub mod task;
pub mod train;
