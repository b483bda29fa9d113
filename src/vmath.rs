//! Vectorised element-wise math on contiguous slices.
//!
//! `f32` uses a branch-free exponential that the compiler vectorises: Cody-Waite range
//! reduction and a degree-6 polynomial. Its relative error is below 3e-7 (about 2.5 units in
//! the last place) on the clamped range [-87, 88]. At run time the widest available
//! instruction set (AVX-512F, AVX2 or the SSE2 baseline) is chosen. Every variant runs the same
//! scalar operations without fused multiply-adds, so results are identical on every x86-64
//! machine. `f64` uses the standard library's `exp`, so
//! that gradient checks and equivariance tests in `f64` are exact to round-off.

/// Element-wise exponential, sigmoid and swish on slices, in place.
pub trait VectorMath: Sized {
    /// `x <- exp(x)`.
    fn exp_inplace(x: &mut [Self]);
    /// `x <- 1 / (1 + exp(-x))`.
    fn sigmoid_inplace(x: &mut [Self]);
    /// `x <- x * sigmoid(x)`.
    fn swish_inplace(x: &mut [Self]);
    /// `g <- g * (s + x s (1 - s))` with `s = sigmoid(x)`: the swish backward rule.
    fn swish_grad_inplace(x: &[Self], g: &mut [Self]);
}

// Constants of the f32 exponential: exp(x) = 2^n exp(r), n = round(x / ln 2),
// r = x - n ln 2 computed in two parts so that it is exact to f32 precision.
const LOG2E: f32 = std::f32::consts::LOG2_E;
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
// Adding and subtracting 1.5 * 2^23 rounds to the nearest integer without a rounding
// instruction, which SSE2 lacks.
const ROUND_MAGIC: f32 = 12_582_912.0;
const MAX_ARG: f32 = 88.0;
const MIN_ARG: f32 = -87.0;

#[inline(always)]
fn exp_f32(x: f32) -> f32 {
    let x = x.clamp(MIN_ARG, MAX_ARG);
    let shifted = x * LOG2E + ROUND_MAGIC;
    let n = shifted - ROUND_MAGIC;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    // Taylor coefficients 1/k! for k = 2..6 of exp(r) on |r| <= ln(2)/2.
    let p = 1.0 / 720.0;
    let p = p * r + 1.0 / 120.0;
    let p = p * r + 1.0 / 24.0;
    let p = p * r + 1.0 / 6.0;
    let p = p * r + 0.5;
    let p = p * r + 1.0;
    let p = p * r + 1.0;
    // 2^n through the exponent bits. The low mantissa bits of `shifted` hold n itself
    // (its bits are those of 1.5 * 2^23 plus n), so integer arithmetic on the bits gives the
    // biased exponent n + 127 without a float-to-int conversion, which would not vectorise.
    let biased = shifted
        .to_bits()
        .wrapping_sub(ROUND_MAGIC.to_bits())
        .wrapping_add(127);
    let scale = f32::from_bits(biased << 23);
    p * scale
}

#[inline(always)]
fn sigmoid_f32(x: f32) -> f32 {
    1.0 / (1.0 + exp_f32(-x))
}

#[inline(always)]
fn exp_loop(x: &mut [f32]) {
    x.iter_mut().for_each(|v| *v = exp_f32(*v));
}

#[inline(always)]
fn sigmoid_loop(x: &mut [f32]) {
    x.iter_mut().for_each(|v| *v = sigmoid_f32(*v));
}

#[inline(always)]
fn swish_loop(x: &mut [f32]) {
    x.iter_mut().for_each(|v| *v *= sigmoid_f32(*v));
}

#[inline(always)]
fn swish_grad_loop(x: &[f32], g: &mut [f32]) {
    g.iter_mut().zip(x).for_each(|(g, &x)| {
        let s = sigmoid_f32(x);
        *g *= s + x * s * (1.0 - s);
    });
}

/// Defines a function that runs `$body` compiled for the widest instruction set available.
macro_rules! dispatch {
    ($name:ident, ($($arg:ident: $ty:ty),*), $body:ident) => {
        fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f")]
                unsafe fn wide($($arg: $ty),*) { $body($($arg),*) }
                #[target_feature(enable = "avx2")]
                unsafe fn medium($($arg: $ty),*) { $body($($arg),*) }
                if std::arch::is_x86_feature_detected!("avx512f") {
                    // SAFETY: the CPU supports AVX-512F, checked just above.
                    return unsafe { wide($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU supports AVX2, checked just above.
                    return unsafe { medium($($arg),*) };
                }
            }
            $body($($arg),*)
        }
    };
}

dispatch!(exp_f32_slice, (x: &mut [f32]), exp_loop);
dispatch!(sigmoid_f32_slice, (x: &mut [f32]), sigmoid_loop);
dispatch!(swish_f32_slice, (x: &mut [f32]), swish_loop);
dispatch!(swish_grad_f32_slice, (x: &[f32], g: &mut [f32]), swish_grad_loop);

impl VectorMath for f32 {
    fn exp_inplace(x: &mut [Self]) {
        exp_f32_slice(x)
    }
    fn sigmoid_inplace(x: &mut [Self]) {
        sigmoid_f32_slice(x)
    }
    fn swish_inplace(x: &mut [Self]) {
        swish_f32_slice(x)
    }
    fn swish_grad_inplace(x: &[Self], g: &mut [Self]) {
        swish_grad_f32_slice(x, g)
    }
}

#[inline]
fn sigmoid_f64(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

impl VectorMath for f64 {
    fn exp_inplace(x: &mut [Self]) {
        x.iter_mut().for_each(|v| *v = v.exp());
    }
    fn sigmoid_inplace(x: &mut [Self]) {
        x.iter_mut().for_each(|v| *v = sigmoid_f64(*v));
    }
    fn swish_inplace(x: &mut [Self]) {
        x.iter_mut().for_each(|v| *v *= sigmoid_f64(*v));
    }
    fn swish_grad_inplace(x: &[Self], g: &mut [Self]) {
        g.iter_mut().zip(x).for_each(|(g, &x)| {
            let s = sigmoid_f64(x);
            *g *= s + x * s * (1.0 - s);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_exp_relative_error_below_3e7() {
        let mut worst = 0.0f64;
        let mut x = -87.0f32;
        while x < 88.0 {
            let mut v = [x];
            f32::exp_inplace(&mut v);
            let exact = (x as f64).exp();
            worst = worst.max(((v[0] as f64) - exact).abs() / exact);
            x += 0.0137;
        }
        assert!(worst < 3e-7, "worst relative error {worst:e}");
    }

    #[test]
    fn fast_sigmoid_saturates_without_nan() {
        let mut v = [-1e30f32, -100.0, 0.0, 100.0, 1e30];
        f32::sigmoid_inplace(&mut v);
        assert!(v[0] >= 0.0 && v[0] < 1e-37);
        assert_eq!(v[2], 0.5);
        assert_eq!(v[4], 1.0);
    }

    #[test]
    fn dispatch_variants_agree_bitwise() {
        let xs: Vec<f32> = (0..1000).map(|i| (i as f32 - 500.0) * 0.173).collect();
        let mut dispatched = xs.clone();
        f32::swish_inplace(&mut dispatched);
        let mut baseline = xs.clone();
        swish_loop(&mut baseline);
        assert!(
            dispatched
                .iter()
                .zip(&baseline)
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
    }
}
