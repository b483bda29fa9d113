//! Layers and networks: the MLP baseline, EMLP, RPP, mixed RPP and PER.

pub mod bilinear;
pub mod bilinear_op;
pub mod checkpoint;
pub mod equivariance;
pub mod frame_averaging;
pub mod gate;
pub mod init;
pub mod linear;
pub mod mlp;
pub mod model;
pub mod network;

pub use mlp::{Mlp, MlpConfig};
pub use model::{Model, ModelConfig, PenaltyConfig};
pub use network::{EquivariantNet, NetConfig, NetKind, NetSpec, PerInit};
