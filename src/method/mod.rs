//! The method: projection regularizers, one per candidate group, and the automatic tuning of
//! their strengths.

pub mod regularizer;
pub mod tuning;

pub use regularizer::ProjectionRegularizer;
pub use tuning::{StrengthTuner, TuningConfig, TuningEvent, TuningRule};
