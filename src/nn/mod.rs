//! Layers and networks: the MLP baseline, EMLP, RPP, mixed RPP and PER.

pub mod bilinear_op;
pub mod init;
pub mod mlp;

pub use mlp::{Mlp, MlpConfig};
