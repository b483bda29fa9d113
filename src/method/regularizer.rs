//! The projection regularizer: one penalty per candidate group, with a closed-form gradient.
//!
//! For layer `i` and group `j`, with `P_ij` the orthogonal projector onto the `G_j`-equivariant
//! weights (and `P^b_ij` for the bias),
//!
//! ```text
//! R_ij = 1/2 ||W_i - P_ij W_i||^2 + 1/2 ||b_i - P^b_ij b_i||^2,     R_j = sum_i R_ij.
//! ```
//!
//! Because `P` is symmetric and idempotent, `grad_w R_ij = (I - P_ij) w`: the gradient is the
//! residual itself, so no autodiff through the projection is needed. The loss term is
//! `sum_j lambda_j R_j`, with `lambda_0 = 0` for the full group.

use ndarray::Array2;

use crate::error::{Error, Result};
use crate::float::Float;
use crate::nn::EquivariantNet;
use crate::nn::linear::LayerProjectors;
use crate::optim::{ParamId, ParamStore};

/// One regularized layer.
#[derive(Clone)]
struct RegularizedLayer {
    weight: ParamId,
    bias: ParamId,
    projectors: Vec<LayerProjectors>,
}

/// The regularizers of every linear layer of a PER network under every candidate group.
#[derive(Clone)]
pub struct ProjectionRegularizer {
    layers: Vec<RegularizedLayer>,
    groups: usize,
}

/// Residual `(I - P) w` and `1/2 ||(I - P) w||^2` of a `1 x n` bias row.
fn bias_residual<F: Float>(p: &LayerProjectors, b: &Array2<F>) -> (Array2<F>, F) {
    let (r, half) = p.bias.residual(b.t());
    (r.reversed_axes(), half)
}

impl ProjectionRegularizer {
    /// Collects the layers and projectors of a PER network.
    pub fn new<F: Float>(net: &EquivariantNet<F>) -> Result<Self> {
        let layers: Vec<RegularizedLayer> = net
            .regularized_layers()
            .into_iter()
            .map(|(weight, bias, projectors)| RegularizedLayer {
                weight,
                bias,
                projectors: projectors.to_vec(),
            })
            .collect();
        if layers.is_empty() {
            return Err(Error::invalid(
                "model",
                "a network without projection regularizers",
                "projection regularizers exist only for PER networks",
            ));
        }
        Ok(Self {
            groups: net.groups().len(),
            layers,
        })
    }

    /// Number of candidate groups (the full group included).
    pub fn groups(&self) -> usize {
        self.groups
    }

    /// `R_j` for every group.
    pub fn values<F: Float>(&self, params: &ParamStore<F>) -> Vec<f64> {
        let mut r = vec![0.0; self.groups];
        for layer in &self.layers {
            let (w, b) = (params.get(layer.weight), params.get(layer.bias));
            for (j, p) in layer.projectors.iter().enumerate() {
                r[j] += p.weight.residual(w.view()).1.to_f64() + bias_residual(p, b).1.to_f64();
            }
        }
        r
    }

    /// Adds `sum_j lambda_j (I - P_j) w` to the gradients (indexed like `params`) and returns
    /// the penalty `sum_j lambda_j R_j`. Groups with `lambda_j = 0` cost nothing.
    pub fn add_gradients<F: Float>(
        &self,
        params: &ParamStore<F>,
        lambda: &[f64],
        grads: &mut [Array2<F>],
    ) -> f64 {
        assert_eq!(
            lambda.len(),
            self.groups,
            "one strength per candidate group"
        );
        let mut penalty = 0.0;
        for layer in &self.layers {
            let (w, b) = (params.get(layer.weight), params.get(layer.bias));
            for (p, &l) in layer.projectors.iter().zip(lambda) {
                if l == 0.0 {
                    continue;
                }
                let strength = F::of(l);
                let (rw, hw) = p.weight.residual(w.view());
                grads[layer.weight.0].scaled_add(strength, &rw);
                let (rb, hb) = bias_residual(p, b);
                grads[layer.bias.0].scaled_add(strength, &rb);
                penalty += l * (hw.to_f64() + hb.to_f64());
            }
        }
        penalty
    }
}
