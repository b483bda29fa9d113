//! Dense linear algebra written for softeq: GEMM, the matrix exponential and the symmetric
//! eigensolver behind null spaces. No BLAS or LAPACK is involved.

pub mod gemm;

pub use gemm::{PARALLEL_MIN_MULADDS, gemm, matmul};
pub mod qr;
