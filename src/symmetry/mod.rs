//! Matrix groups, tensor representations, equivariant bases and projectors.

/// Errors of the symmetry machinery.
#[derive(Debug, thiserror::Error)]
pub enum SymmetryError {
    /// A group was specified with inconsistent generators.
    #[error("invalid group {group}: {reason}")]
    InvalidGroup {
        /// The group's description.
        group: String,
        /// What is inconsistent.
        reason: String,
    },
}
