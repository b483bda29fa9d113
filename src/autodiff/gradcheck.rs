//! Central finite-difference checks of reverse-mode gradients, in `f64`.
//!
//! The checked function may return a node of any shape; it is reduced to a scalar by a fixed
//! random weighting `L = sum(W .* f(x))`, so every output entry contributes differently and a
//! rule that mixes up entries cannot pass.

use ndarray::Array2;
use rand_distr::{Distribution, StandardNormal};

use crate::error::Result;
use crate::rng::rng_from_seed;

use super::tape::{Tape, Var};

/// Outcome of a gradient check for one input.
#[derive(Clone, Debug)]
pub struct GradCheck {
    /// `||g_analytic - g_numeric|| / (||g_analytic|| + ||g_numeric||)`, or 0 if both vanish.
    pub relative_error: f64,
    /// Norm of the analytic gradient.
    pub analytic_norm: f64,
    /// `||g_analytic - g_numeric||`, for gradients so small that the relative error measures
    /// only the finite-difference noise (about `1e-16 |L| / h` per entry).
    pub absolute_error: f64,
}

/// Compares reverse-mode gradients of `build` with central differences of step `h`.
///
/// `build` records a function of the leaves it is given (one per entry of `inputs`, in order)
/// and returns its output node. Returns one [`GradCheck`] per input.
pub fn check_gradients<B>(inputs: &[Array2<f64>], h: f64, build: B) -> Result<Vec<GradCheck>>
where
    B: Fn(&mut Tape<f64>, &[Var]) -> Result<Var>,
{
    // Evaluate once to learn the output shape and fix the weighting.
    let mut tape = Tape::new();
    let vars: Vec<Var> = inputs.iter().map(|x| tape.variable(x.clone())).collect();
    let out = build(&mut tape, &vars)?;
    let mut rng = rng_from_seed(0x5eed);
    let weights = Array2::from_shape_simple_fn(tape.shape(out), || StandardNormal.sample(&mut rng));
    let grads = tape.backward_with(out, weights.clone())?;

    let scalar = |xs: &[Array2<f64>]| -> Result<f64> {
        let mut tape = Tape::new();
        let vars: Vec<Var> = xs.iter().map(|x| tape.variable(x.clone())).collect();
        let out = build(&mut tape, &vars)?;
        Ok((tape.value(out) * &weights).sum())
    };

    let mut report = Vec::with_capacity(inputs.len());
    for (k, var) in vars.iter().enumerate() {
        let analytic = grads
            .get(*var)
            .cloned()
            .unwrap_or_else(|| Array2::zeros(inputs[k].dim()));
        let mut numeric = Array2::zeros(inputs[k].dim());
        let mut xs = inputs.to_vec();
        for idx in 0..inputs[k].len() {
            let (r, c) = (idx / inputs[k].ncols(), idx % inputs[k].ncols());
            let x0 = inputs[k][[r, c]];
            xs[k][[r, c]] = x0 + h;
            let plus = scalar(&xs)?;
            xs[k][[r, c]] = x0 - h;
            let minus = scalar(&xs)?;
            xs[k][[r, c]] = x0;
            numeric[[r, c]] = (plus - minus) / (2.0 * h);
        }
        let diff = (&analytic - &numeric).mapv(|v| v * v).sum().sqrt();
        let scale = analytic.mapv(|v| v * v).sum().sqrt() + numeric.mapv(|v| v * v).sum().sqrt();
        report.push(GradCheck {
            relative_error: if scale > 0.0 { diff / scale } else { 0.0 },
            analytic_norm: analytic.mapv(|v| v * v).sum().sqrt(),
            absolute_error: diff,
        });
    }
    Ok(report)
}
