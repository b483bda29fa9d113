//! Tape-based reverse-mode automatic differentiation over `ndarray`.
//!
//! A [`Tape`] records every operation in creation order, so walking it backwards is a
//! topological order. Each node holds its value (a 2-D array; scalars are `1 x 1`) and the
//! [`Op`] that produced it. [`Tape::backward`] seeds the output with 1 and applies each op's
//! backward rule, all of which live in one `match` in `ops.rs`. Parameters live outside the
//! tape (see [`crate::optim::ParamStore`]) and enter it as leaves; a new tape is built every
//! training step.
//!
//! Shape mismatches are reported as [`crate::Error::Shape`] when the graph is built, never
//! during the backward pass.

pub mod gradcheck;
mod kernels;
mod linear_op;
mod ops;
mod tape;

pub use linear_op::{CustomOp, CustomOutput, LinearOperator, RowMatrix};
pub use ops::{Axis, BinaryKind, UnaryKind};
pub use tape::{Gradients, Tape, Var};
