//! Dense linear algebra written for softeq: GEMM, the matrix exponential and the symmetric
//! eigensolver behind null spaces. No BLAS or LAPACK is involved.

pub mod eigen;
pub mod error;
pub mod expm;
pub mod gemm;
pub mod lu;
pub mod nullspace;
pub mod qr;

pub use eigen::{SymmetricEigen, symmetric_eigen};
pub use error::LinalgError;
pub use expm::expm;
pub use gemm::{PARALLEL_MIN_MULADDS, gemm, matmul};
pub use lu::{inverse, solve};
pub use nullspace::{NullSpaceTolerance, null_space, null_space_of_gram};
