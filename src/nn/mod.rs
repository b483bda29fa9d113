//! Layers and networks: the MLP baseline, EMLP, RPP, mixed RPP and PER.

pub mod bilinear;
pub mod bilinear_op;
pub mod equivariance;
pub mod gate;
pub mod init;
pub mod linear;
pub mod mlp;
pub mod network;

pub use mlp::{Mlp, MlpConfig};
