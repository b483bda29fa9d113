//! Matrix groups, tensor representations, equivariant bases and projectors.
//!
//! - [`group`] and [`catalog`]: groups given by Lie-algebra and discrete generators, with
//!   structural identity ([`GroupKey`]), and the standard catalog; [`parse`] reads names such
//!   as `O(2)_xy` or `SO(3)xScaling`.
//! - [`rep`]: tensor types `T(p, q)` and ordered sums of them, with `rho`, `drho` and batched
//!   application of `rho(g)` to row vectors.
//! - [`basis`]: equivariant bases as constraint null spaces, cached per (group, type).
//! - [`projector`]: block-wise orthogonal projectors onto equivariant weights and biases.
//! - [`alloc`]: PER's and EMLP's allocation of hidden channels, and gated representations.
//!
//! Conventions (details in [`rep`]):
//! - Tensor factors are in Kronecker order, primal before dual.
//! - Weight matrices `(n_out, n_in)` are flattened row-major, so the block between an output
//!   copy of `Ta` and an input copy of `Tb` is a vector of `Ta (x) Tb*`.
//! - For orthogonal groups `T(p, q)` is canonicalised to `T(p + q, 0)`.

pub mod alloc;
pub mod basis;
pub mod catalog;
pub mod group;
pub mod parse;
pub mod projector;
pub mod rep;

pub use alloc::{emlp_allocation, gate_indices, gated, per_allocation};
pub use basis::{BasisCache, constraint_matrix, equivariant_basis};
pub use group::{Group, GroupKey};
pub use parse::VALID_GROUP_NAMES;
pub use projector::Projector;
pub use rep::{RepCopy, SumRep, TensorType};

use crate::linalg::LinalgError;

/// Errors of the symmetry machinery.
#[derive(Debug, thiserror::Error)]
pub enum SymmetryError {
    /// A group was specified with inconsistent generators.
    #[error("invalid group {group}: {reason}")]
    InvalidGroup {
        /// The group's description.
        group: String,
        /// The inconsistency.
        reason: String,
    },

    /// A group name that the parser does not accept.
    #[error("unknown group name '{name}': {reason}; valid names: {valid}")]
    UnknownGroup {
        /// The rejected text.
        name: String,
        /// The reason for the rejection.
        reason: String,
        /// The accepted forms.
        valid: String,
    },

    /// A representation string that does not parse.
    #[error("invalid representation '{text}': {reason}")]
    InvalidRep {
        /// The rejected text.
        text: String,
        /// The problem, with the form a valid representation takes.
        reason: String,
    },

    /// An array does not have the size a group or representation requires.
    #[error("{array}: expected {expected}, found {found}")]
    DimensionMismatch {
        /// The array involved.
        array: String,
        /// The required size.
        expected: String,
        /// The size given.
        found: String,
    },

    /// A group element needed as `g^{-1}` is singular.
    #[error("group element is not invertible: {source}")]
    SingularElement {
        /// The factorisation failure.
        #[source]
        source: LinalgError,
    },

    /// The equivariant basis of a tensor type could not be solved.
    #[error("equivariant basis of {ty} under {group} failed: {source}")]
    Basis {
        /// Display name of the group.
        group: String,
        /// The tensor type whose invariants were sought.
        ty: TensorType,
        /// The linear-algebra failure, usually a missing spectral gap.
        #[source]
        source: LinalgError,
    },
}
