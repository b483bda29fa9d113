//! The plain multilayer perceptron baseline: linear layers with swish between them.

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::autodiff::{Tape, Var};
use crate::error::{Error, Result};
use crate::float::Float;
use crate::optim::{ParamId, ParamStore};
use crate::rng::SeededRng;

use super::init::kaiming_normal;

/// Widths of an MLP.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MlpConfig {
    /// Input width.
    pub n_in: usize,
    /// Width of each hidden layer.
    pub hidden: Vec<usize>,
    /// Output width.
    pub n_out: usize,
}

/// `x -> W_L swish(... swish(W_1 x + b_1) ...) + b_L`, with weights of shape `(n_out, n_in)`.
///
/// Weights start as `N(0, 1/n_in)` and biases at zero (objax's `Linear` defaults, which the
/// authors' MLP baseline uses).
#[derive(Clone, Debug)]
pub struct Mlp<F: Float> {
    config: MlpConfig,
    params: ParamStore<F>,
    layers: Vec<(ParamId, ParamId)>,
}

impl<F: Float> Mlp<F> {
    /// Builds and initialises the network.
    pub fn new(config: MlpConfig, rng: &mut SeededRng) -> Result<Self> {
        if config.n_in == 0 || config.n_out == 0 || config.hidden.contains(&0) {
            return Err(Error::invalid(
                "MLP widths",
                format!("{} -> {:?} -> {}", config.n_in, config.hidden, config.n_out),
                "every layer needs at least one unit",
            ));
        }
        let mut widths = vec![config.n_in];
        widths.extend(&config.hidden);
        widths.push(config.n_out);
        let mut params = ParamStore::new();
        let mut layers = Vec::new();
        for (i, pair) in widths.windows(2).enumerate() {
            let (n_in, n_out) = (pair[0], pair[1]);
            let w = params.insert(format!("layer{i}.weight"), kaiming_normal(n_out, n_in, rng))?;
            let b = params.insert(format!("layer{i}.bias"), Array2::zeros((1, n_out)))?;
            layers.push((w, b));
        }
        Ok(Self {
            config,
            params,
            layers,
        })
    }

    /// The widths.
    pub fn config(&self) -> &MlpConfig {
        &self.config
    }

    /// The trainable parameters.
    pub fn params(&self) -> &ParamStore<F> {
        &self.params
    }

    /// Mutable access to the parameters (for optimizers and checkpoints).
    pub fn params_mut(&mut self) -> &mut ParamStore<F> {
        &mut self.params
    }

    /// Records the forward pass for a batch `x` (rows are samples); `leaves` come from
    /// [`ParamStore::leaves`] on the same tape.
    pub fn forward(&self, tape: &mut Tape<F>, leaves: &[Var], x: Var) -> Result<Var> {
        let mut h = x;
        let last = self.layers.len() - 1;
        for (i, &(w, b)) in self.layers.iter().enumerate() {
            h = tape.affine(h, leaves[w.0], leaves[b.0])?;
            if i < last {
                h = tape.swish(h);
            }
        }
        Ok(h)
    }

    /// Evaluates the network on a batch without recording gradients.
    pub fn predict(&self, x: ArrayView2<'_, F>) -> Result<Array2<F>> {
        self.params
            .evaluate(x, |tape, leaves, xv| self.forward(tape, leaves, xv))
    }
}
