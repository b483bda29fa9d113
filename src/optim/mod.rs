//! Parameters and optimizers: a named parameter store, Adam, SGD and the cosine schedule.

mod adam;
mod params;
mod schedule;
mod sgd;

pub use adam::{Adam, AdamConfig};
pub use params::{ParamId, ParamStore};
pub use schedule::cosine_lr;
pub use sgd::Sgd;
