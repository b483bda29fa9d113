//! Matrix products through `matrixmultiply`, split over rayon threads by output rows.
//!
//! `matrixmultiply` packs strided operands itself, so transposed views (`a.t()`) cost nothing.
//! Its own `threading` feature stays off: parallelism is ours, by contiguous row blocks of the
//! output, so every output entry is computed by the same single-threaded kernel with the same
//! summation order whatever the number of threads. Results are therefore bitwise identical for
//! any rayon pool size (tested in `tests/matmul.rs`).

use ndarray::{Array2, ArrayView2, ArrayViewMut2, Axis};
use rayon::prelude::*;

use crate::float::Float;

/// Minimum multiply-add count `m * k * n` before a product is split across threads.
///
/// Below it the fork-join overhead (10 to 15 microseconds to wake a sleeping worker) outweighs
/// the gain. Measured with `cargo bench --bench matmul -- threshold` on a 2-core AMD EPYC
/// (Zen 4): at 96^3 (0.88 M multiply-adds) one thread and two take the same time (20.4 and
/// 20.8 us), at 128^3 (2.1 M) two threads win (46 and 37 us).
pub const PARALLEL_MIN_MULADDS: usize = 1 << 20;

/// Minimum number of output rows per thread; smaller blocks waste the 8-row micro-kernel.
const MIN_ROWS_PER_TASK: usize = 16;

/// Computes `C <- alpha * A B + beta * C` for strided views.
///
/// # Panics
/// If the shapes do not chain (`A: m x k`, `B: k x n`, `C: m x n`). Callers that take user
/// input check shapes first and return [`crate::Error::Shape`]; here a mismatch is a bug.
pub fn gemm<F: Float>(
    alpha: F,
    a: ArrayView2<'_, F>,
    b: ArrayView2<'_, F>,
    beta: F,
    mut c: ArrayViewMut2<'_, F>,
) {
    let (m, k) = a.dim();
    let (kb, n) = b.dim();
    assert_eq!(
        k, kb,
        "gemm: inner dimensions differ ({m}x{k} times {kb}x{n})"
    );
    assert_eq!(
        c.dim(),
        (m, n),
        "gemm: output shape {:?} is not {m}x{n}",
        c.dim()
    );
    if m == 0 || n == 0 {
        return;
    }
    let threads = rayon::current_num_threads();
    let work = m.saturating_mul(k).saturating_mul(n);
    if threads <= 1 || work < PARALLEL_MIN_MULADDS || m < 2 * MIN_ROWS_PER_TASK {
        gemm_serial(alpha, a, b, beta, c.view_mut());
        return;
    }
    let tasks = threads.min(m / MIN_ROWS_PER_TASK).max(1);
    // Round the block height up to a multiple of 8, the micro-kernel height.
    let rows = m.div_ceil(tasks).div_ceil(8) * 8;
    let blocks: Vec<_> = c
        .axis_chunks_iter_mut(Axis(0), rows)
        .zip(a.axis_chunks_iter(Axis(0), rows))
        .collect();
    blocks
        .into_par_iter()
        .for_each(|(c_block, a_block)| gemm_serial(alpha, a_block, b, beta, c_block));
}

/// Single-threaded `C <- alpha * A B + beta * C` (the kernel every thread runs).
///
/// # Panics
/// If the shapes do not chain, as [`gemm`].
pub fn gemm_serial<F: Float>(
    alpha: F,
    a: ArrayView2<'_, F>,
    b: ArrayView2<'_, F>,
    beta: F,
    mut c: ArrayViewMut2<'_, F>,
) {
    let (m, k) = a.dim();
    let n = b.ncols();
    assert_eq!(
        (k, m, n),
        (b.nrows(), c.nrows(), c.ncols()),
        "gemm_serial: shapes do not chain"
    );
    let [rsa, csa] = [a.strides()[0], a.strides()[1]];
    let [rsb, csb] = [b.strides()[0], b.strides()[1]];
    let [rsc, csc] = [c.strides()[0], c.strides()[1]];
    // SAFETY: the views are valid for their shapes and strides; `c` is a unique borrow, so it
    // cannot overlap `a` or `b`.
    unsafe {
        F::gemm_raw(
            m,
            k,
            n,
            alpha,
            a.as_ptr(),
            rsa,
            csa,
            b.as_ptr(),
            rsb,
            csb,
            beta,
            c.as_mut_ptr(),
            rsc,
            csc,
        );
    }
}

/// Returns the product `A B` as a new row-major array.
///
/// # Panics
/// If the inner dimensions differ (see [`gemm`]).
pub fn matmul<F: Float>(a: ArrayView2<'_, F>, b: ArrayView2<'_, F>) -> Array2<F> {
    let (m, n) = (a.nrows(), b.ncols());
    if a.ncols() == 0 || m == 0 || n == 0 {
        assert_eq!(a.ncols(), b.nrows(), "matmul: inner dimensions differ");
        return Array2::zeros((m, n));
    }
    let mut c = Array2::<F>::uninit((m, n));
    // SAFETY: the buffer is m x n and row-major. With beta = 0, matrixmultiply writes every
    // entry of C without reading it, so the array is fully initialised afterwards; this skips
    // the memset that zero-filling would cost on every product.
    unsafe {
        let view = ArrayViewMut2::from_shape_ptr((m, n), c.as_mut_ptr() as *mut F);
        gemm(F::one(), a, b, F::zero(), view);
        c.assume_init()
    }
}
