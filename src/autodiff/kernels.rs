//! Element-wise forward kernels and backward rules of the unary ops, on contiguous memory.

use ndarray::{Array2, ArrayView2, Zip};

use crate::float::Float;

use super::ops::UnaryKind;

/// Copies a view into a new row-major array.
fn to_standard<F: Float>(x: ArrayView2<'_, F>) -> Array2<F> {
    if x.is_standard_layout() {
        x.to_owned()
    } else {
        x.as_standard_layout().into_owned()
    }
}

/// Applies `kind` element-wise.
pub(crate) fn unary_forward<F: Float>(kind: UnaryKind, x: ArrayView2<'_, F>) -> Array2<F> {
    let mut out = to_standard(x);
    let slice = out.as_slice_mut().expect("standard layout");
    let zero = F::zero();
    match kind {
        UnaryKind::Neg => slice.iter_mut().for_each(|v| *v = -*v),
        UnaryKind::Sigmoid => F::sigmoid_inplace(slice),
        UnaryKind::Swish => F::swish_inplace(slice),
        UnaryKind::Tanh => slice.iter_mut().for_each(|v| *v = v.tanh()),
        UnaryKind::Relu => slice
            .iter_mut()
            .for_each(|v| *v = if *v > zero { *v } else { zero }),
        UnaryKind::Exp => F::exp_inplace(slice),
        UnaryKind::Log => slice.iter_mut().for_each(|v| *v = v.ln()),
        UnaryKind::Square => slice.iter_mut().for_each(|v| *v = *v * *v),
        UnaryKind::Sqrt => slice.iter_mut().for_each(|v| *v = v.sqrt()),
    }
    out
}

/// Returns `g * f'(x)` for the element-wise function `kind`, given input `x`, output `y`.
pub(crate) fn unary_backward<F: Float>(
    kind: UnaryKind,
    x: ArrayView2<'_, F>,
    y: ArrayView2<'_, F>,
    g: Array2<F>,
) -> Array2<F> {
    let one = F::one();
    let two = one + one;
    let mut out = if g.is_standard_layout() {
        g
    } else {
        to_standard(g.view())
    };
    if kind == UnaryKind::Swish {
        let x = x.as_standard_layout();
        F::swish_grad_inplace(
            x.as_slice().expect("standard layout"),
            out.as_slice_mut().expect("standard layout"),
        );
        return out;
    }
    let zip = Zip::from(&mut out).and(x).and(y);
    match kind {
        UnaryKind::Neg => zip.for_each(|o, _, _| *o = -*o),
        UnaryKind::Sigmoid => zip.for_each(|o, _, &y| *o *= y * (one - y)),
        UnaryKind::Swish => unreachable!("handled above"),
        UnaryKind::Tanh => zip.for_each(|o, _, &y| *o *= one - y * y),
        UnaryKind::Relu => zip.for_each(|o, &x, _| {
            if x <= F::zero() {
                *o = F::zero()
            }
        }),
        UnaryKind::Exp => zip.for_each(|o, _, &y| *o *= y),
        UnaryKind::Log => zip.for_each(|o, &x, _| *o /= x),
        UnaryKind::Square => zip.for_each(|o, &x, _| *o = two * x * *o),
        UnaryKind::Sqrt => zip.for_each(|o, _, &y| *o /= two * y),
    }
    out
}
