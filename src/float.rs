//! The floating-point element type shared by every array in softeq.
//!
//! Training runs in `f32` for speed; tests and the symmetry solver run in `f64` so that exact
//! identities can be checked to round-off. Everything numeric is generic over [`Float`].

use std::fmt;
use std::iter::Sum;
use std::ops::{AddAssign, DivAssign, MulAssign, SubAssign};

use ndarray::{LinalgScalar, ScalarOperand};

/// A real floating-point scalar: `f32` or `f64`.
///
/// Besides arithmetic, the trait carries the raw GEMM entry point of `matrixmultiply`
/// for the type, so that [`crate::linalg::gemm`] can stay generic.
pub trait Float:
    num_traits::Float
    + num_traits::FloatConst
    + LinalgScalar
    + ScalarOperand
    + Sum
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Default
    + Send
    + Sync
    + fmt::Debug
    + fmt::Display
    + fmt::LowerExp
    + 'static
{
    /// The Rust name of the type, `"f32"` or `"f64"`, as stored in checkpoints.
    const NAME: &'static str;

    /// Machine epsilon of the type.
    const EPSILON: Self;

    /// Converts from `f64`, rounding to nearest for `f32`.
    fn of(x: f64) -> Self;

    /// Widens to `f64` (exact).
    fn to_f64(self) -> f64;

    /// Raw GEMM `C <- alpha A B + beta C` on strided memory (`matrixmultiply::sgemm`/`dgemm`).
    ///
    /// # Safety
    /// The pointers and strides must describe valid, non-overlapping `m x k`, `k x n` and
    /// `m x n` matrices; `c` must be writable. If `beta` is zero, `c` is not read.
    #[allow(clippy::too_many_arguments)]
    unsafe fn gemm_raw(
        m: usize,
        k: usize,
        n: usize,
        alpha: Self,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        beta: Self,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    );
}

impl Float for f32 {
    const NAME: &'static str = "f32";
    const EPSILON: Self = f32::EPSILON;

    fn of(x: f64) -> Self {
        x as f32
    }

    fn to_f64(self) -> f64 {
        self as f64
    }

    unsafe fn gemm_raw(
        m: usize,
        k: usize,
        n: usize,
        alpha: Self,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        beta: Self,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    ) {
        // SAFETY: forwarded contract of the trait method.
        unsafe {
            matrixmultiply::sgemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc)
        }
    }
}

impl Float for f64 {
    const NAME: &'static str = "f64";
    const EPSILON: Self = f64::EPSILON;

    fn of(x: f64) -> Self {
        x
    }

    fn to_f64(self) -> f64 {
        self
    }

    unsafe fn gemm_raw(
        m: usize,
        k: usize,
        n: usize,
        alpha: Self,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        beta: Self,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    ) {
        // SAFETY: forwarded contract of the trait method.
        unsafe {
            matrixmultiply::dgemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc)
        }
    }
}
