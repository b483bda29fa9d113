//! Experiments: training loops, metrics, reports and plots.

pub mod progress;
