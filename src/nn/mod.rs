//! Layers and networks: the MLP baseline, EMLP, RPP, mixed RPP and PER.

pub mod init;
pub mod mlp;

pub use mlp::{Mlp, MlpConfig};
