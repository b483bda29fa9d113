//! The method: projection regularizers, one per candidate group, and the automatic tuning of
//! their strengths.

pub mod tuning;

pub use tuning::{StrengthTuner, TuningConfig, TuningEvent, TuningRule};
