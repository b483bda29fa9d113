//! Linear layers of the equivariant networks and how each model forms its effective weights.
//!
//! Weights have shape `(n_out, n_in)` and act as `y = x W^T + b` on row batches; biases are
//! `1 x n_out` rows. The weight representation of a map `rep_in -> rep_out` uses the row-major
//! flattening of `W`.

use std::sync::Arc;

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::autodiff::{LinearOperator, Tape, Var};
use crate::error::Result;
use crate::float::Float;
use crate::optim::{ParamId, ParamStore};
use crate::rng::SeededRng;
use crate::symmetry::Projector;

use super::init::{orthogonal, uniform_bias};

/// How a layer turns its parameters into the weight it applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WeightMode {
    /// `W` and `b` as they are (PER; its penalties live outside the forward pass).
    Free,
    /// `P_G W`, `P_G b` (EMLP).
    Projected,
    /// `P_G W + W_free`, `P_G b + b_free` (RPP's residual pathway).
    Residual,
    /// `P_G W + P_H W_free`, `P_G b + P_H b_free` (mixed RPP: the free path is `H`-equivariant).
    MixedResidual,
}

/// A bias projector seen as an operator on `1 x n` rows (the projector itself acts on columns).
pub struct BiasProjector(pub Arc<Projector>);

impl<F: Float> LinearOperator<F> for BiasProjector {
    fn name(&self) -> &str {
        "bias projector"
    }

    fn output_shape(&self, input: (usize, usize)) -> Result<(usize, usize)> {
        let (rows, cols) = LinearOperator::<F>::output_shape(&*self.0, (input.1, input.0))?;
        Ok((cols, rows))
    }

    fn apply(&self, x: ArrayView2<'_, F>) -> Array2<F> {
        self.0.project(x.t()).reversed_axes()
    }

    fn apply_transpose(&self, y: ArrayView2<'_, F>) -> Array2<F> {
        self.apply(y)
    }
}

/// Projectors of one layer under one group.
#[derive(Clone)]
pub struct LayerProjectors {
    /// Projector of the weight matrix.
    pub weight: Arc<Projector>,
    /// Projector of the bias (a map from one scalar to `rep_out`).
    pub bias: Arc<Projector>,
}

impl LayerProjectors {
    /// The bias projector as an operator on rows.
    pub fn bias_rows(&self) -> Arc<BiasProjector> {
        Arc::new(BiasProjector(self.bias.clone()))
    }
}

/// One linear layer: parameter ids, its weight mode and the projectors the mode needs.
#[derive(Clone)]
pub struct EquivariantLinear {
    /// Weight `W` (or `W_eq` in the residual modes).
    pub weight: ParamId,
    /// Bias `b` (or `b_eq`).
    pub bias: ParamId,
    /// The free path `(W_free, b_free)` of the residual modes.
    pub free: Option<(ParamId, ParamId)>,
    /// How the effective weight is formed.
    pub mode: WeightMode,
    /// Projectors of `G` (EMLP, RPP, mixed RPP); unused by PER.
    pub main: Option<LayerProjectors>,
    /// Projectors of `H` for the free path of mixed RPP.
    pub free_group: Option<LayerProjectors>,
    /// Input and output widths.
    pub shape: (usize, usize),
}

/// Scale of the free path's initial value relative to `W_eq` in RPP (`W_free = 1e-3 W_eq`).
pub const RPP_FREE_SCALE: f64 = 1e-3;

impl EquivariantLinear {
    /// Creates and initialises the parameters: `W` orthogonal, `b` uniform in
    /// `[0, 1/sqrt(n_out))`, and in residual modes `W_free = 1e-3 W`, `b_free = 1e-3 b`.
    #[allow(clippy::too_many_arguments)]
    pub fn new<F: Float>(
        name: &str,
        n_in: usize,
        n_out: usize,
        mode: WeightMode,
        main: Option<LayerProjectors>,
        free_group: Option<LayerProjectors>,
        params: &mut ParamStore<F>,
        rng: &mut SeededRng,
    ) -> Result<Self> {
        let w: Array2<F> = orthogonal(n_out, n_in, rng);
        let b: Array2<F> = uniform_bias(n_out, rng);
        let scale = F::of(RPP_FREE_SCALE);
        let free = match mode {
            WeightMode::Residual | WeightMode::MixedResidual => Some((
                params.insert(format!("{name}.weight_free"), w.mapv(|v| v * scale))?,
                params.insert(format!("{name}.bias_free"), b.mapv(|v| v * scale))?,
            )),
            _ => None,
        };
        let weight = params.insert(format!("{name}.weight"), w)?;
        let bias = params.insert(format!("{name}.bias"), b)?;
        Ok(Self {
            weight,
            bias,
            free,
            mode,
            main,
            free_group,
            shape: (n_in, n_out),
        })
    }

    /// Records `x W_eff^T + b_eff` on the tape.
    pub fn forward<F: Float>(&self, tape: &mut Tape<F>, leaves: &[Var], x: Var) -> Result<Var> {
        let (w, b) = self.effective(tape, leaves)?;
        tape.affine(x, w, b)
    }

    /// Records the effective weight and bias of the layer's mode.
    pub fn effective<F: Float>(&self, tape: &mut Tape<F>, leaves: &[Var]) -> Result<(Var, Var)> {
        let (w, b) = (leaves[self.weight.0], leaves[self.bias.0]);
        let project =
            |tape: &mut Tape<F>, p: &LayerProjectors, w: Var, b: Var| -> Result<(Var, Var)> {
                let pw = tape.linear_op(w, p.weight.clone())?;
                let pb = tape.linear_op(b, p.bias_rows())?;
                Ok((pw, pb))
            };
        let main = || {
            self.main
                .as_ref()
                .expect("projected modes are built with projectors")
        };
        match self.mode {
            WeightMode::Free => Ok((w, b)),
            WeightMode::Projected => project(tape, main(), w, b),
            WeightMode::Residual | WeightMode::MixedResidual => {
                let (pw, pb) = project(tape, main(), w, b)?;
                let (wf, bf) = self.free.expect("residual modes have a free path");
                let (mut wf, mut bf) = (leaves[wf.0], leaves[bf.0]);
                if self.mode == WeightMode::MixedResidual {
                    let h = self
                        .free_group
                        .as_ref()
                        .expect("mixed RPP has a free-path group");
                    (wf, bf) = project(tape, h, wf, bf)?;
                }
                Ok((tape.add(pw, wf)?, tape.add(pb, bf)?))
            }
        }
    }

    /// The effective weight and bias as arrays (for inference and equivariance checks).
    pub fn effective_arrays<F: Float>(&self, params: &ParamStore<F>) -> (Array2<F>, Array2<F>) {
        let mut tape = Tape::new();
        let leaves: Vec<Var> = params
            .ids()
            .map(|id| tape.constant(params.get(id).clone()))
            .collect();
        let (w, b) = self
            .effective(&mut tape, &leaves)
            .expect("shapes fixed at construction");
        (tape.value(w).clone(), tape.value(b).clone())
    }
}
