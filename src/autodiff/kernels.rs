//! Element-wise forward kernels shared by the ops and their backward rules.

use ndarray::{Array2, ArrayView2, Zip};

use crate::float::Float;

use super::ops::UnaryKind;

/// The logistic function `1 / (1 + exp(-x))`, written so that it never overflows.
#[inline]
pub(crate) fn sigmoid<F: Float>(x: F) -> F {
    if x >= F::zero() {
        F::one() / (F::one() + (-x).exp())
    } else {
        let e = x.exp();
        e / (F::one() + e)
    }
}

/// Applies `kind` element-wise.
pub(crate) fn unary_forward<F: Float>(kind: UnaryKind, x: ArrayView2<'_, F>) -> Array2<F> {
    match kind {
        UnaryKind::Neg => x.mapv(|v| -v),
        UnaryKind::Sigmoid => x.mapv(sigmoid),
        UnaryKind::Swish => x.mapv(|v| v * sigmoid(v)),
        UnaryKind::Tanh => x.mapv(F::tanh),
        UnaryKind::Relu => x.mapv(|v| if v > F::zero() { v } else { F::zero() }),
        UnaryKind::Exp => x.mapv(F::exp),
        UnaryKind::Log => x.mapv(F::ln),
        UnaryKind::Square => x.mapv(|v| v * v),
        UnaryKind::Sqrt => x.mapv(F::sqrt),
    }
}

/// Returns `g * f'(x)` for the element-wise function `kind`, given input `x`, output `y`.
pub(crate) fn unary_backward<F: Float>(
    kind: UnaryKind,
    x: ArrayView2<'_, F>,
    y: ArrayView2<'_, F>,
    g: ArrayView2<'_, F>,
) -> Array2<F> {
    let one = F::one();
    let two = one + one;
    let mut out = Array2::zeros(g.raw_dim());
    let zip = Zip::from(&mut out).and(x).and(y).and(g);
    match kind {
        UnaryKind::Neg => zip.for_each(|o, _, _, &g| *o = -g),
        UnaryKind::Sigmoid => zip.for_each(|o, _, &y, &g| *o = g * y * (one - y)),
        // d/dx [x s(x)] = s + x s (1 - s)
        UnaryKind::Swish => zip.for_each(|o, &x, _, &g| {
            let s = sigmoid(x);
            *o = g * s * (one + x * (one - s));
        }),
        UnaryKind::Tanh => zip.for_each(|o, _, &y, &g| *o = g * (one - y * y)),
        UnaryKind::Relu => {
            zip.for_each(|o, &x, _, &g| *o = if x > F::zero() { g } else { F::zero() })
        }
        UnaryKind::Exp => zip.for_each(|o, _, &y, &g| *o = g * y),
        UnaryKind::Log => zip.for_each(|o, &x, _, &g| *o = g / x),
        UnaryKind::Square => zip.for_each(|o, &x, _, &g| *o = two * x * g),
        UnaryKind::Sqrt => zip.for_each(|o, _, &y, &g| *o = g / (two * y)),
    }
    out
}
