//! softeq: soft equivariance under mixed symmetries.
//!
//! A CPU reference implementation of the projection-based equivariance regularizer (PER) of
//! Kim, Lee, Yang and Lee, "Regularizing Towards Soft Equivariance Under Mixed Symmetries"
//! (ICML 2023), with the EMLP and RPP baselines it is compared against.
//!
//! The modules depend on each other in one direction:
//! numerics ([`float`], [`linalg`], [`autodiff`], [`optim`]) <- [`symmetry`] <- [`nn`] <-
//! [`method`] <- [`experiment`] (with [`data`]) <- the `softeq` command-line tool.

pub mod autodiff;
pub mod cli;
pub mod data;
pub mod error;
pub mod experiment;
pub mod float;
pub mod io;
pub mod linalg;
pub mod method;
pub mod nn;
pub mod optim;
pub mod rng;
pub mod runtime;
pub mod symmetry;
pub mod vmath;

pub use error::{Error, Result};
pub use float::Float;
