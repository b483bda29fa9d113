//! One interface over every model: configuration, forward pass, parameters, penalties,
//! equivariance errors.

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::autodiff::{Tape, Var};
use crate::error::Result;
use crate::float::Float;
use crate::optim::ParamStore;
use crate::rng::rng_from_seed;
use crate::symmetry::{BasisCache, Group, SumRep};

use super::equivariance::relative_equivariance_error;
use super::frame_averaging::{FrameAveraged, FrameAveragedConfig};
use super::mlp::{Mlp, MlpConfig};
use super::network::{EquivariantNet, NetConfig, NetKind, ParamRole};

/// Everything needed to rebuild a model, including every random choice it made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ModelConfig {
    /// The swish MLP baseline.
    Mlp {
        /// Widths.
        widths: MlpConfig,
        /// Seed of the initial weights.
        seed: u64,
    },
    /// EMLP, RPP, mixed RPP or PER.
    Net(NetConfig),
    /// A frame-averaged MLP.
    FrameAveraged {
        /// Representations and widths.
        frames: FrameAveragedConfig,
        /// Seed of the initial weights.
        seed: u64,
    },
}

/// Strengths of the differentiable penalties (the projection regularizers are separate).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PenaltyConfig {
    /// PER's weight decay: `wd * 1/2 (||W||^2 + ||b||^2)` over every linear layer.
    pub weight_decay: f64,
    /// `gated_wd * ||w_gated||^2` over the residual gates (PER, RPP).
    pub gated_wd: f64,
    /// RPP's `basic_wd * ||W_free||^2`.
    pub basic_wd: f64,
    /// RPP's `equiv_wd * ||W_eq||^2`.
    pub equiv_wd: f64,
}

impl Default for PenaltyConfig {
    fn default() -> Self {
        Self {
            weight_decay: 0.0,
            gated_wd: 1.0,
            basic_wd: 1.0,
            equiv_wd: 1e-5,
        }
    }
}

/// A model of any kind, with its parameters.
#[derive(Clone)]
pub enum Model<F: Float> {
    /// The swish MLP baseline.
    Mlp(Mlp<F>, u64),
    /// EMLP, RPP, mixed RPP or PER.
    Net(EquivariantNet<F>),
    /// A frame-averaged MLP.
    FrameAveraged(FrameAveraged<F>, u64),
}

impl<F: Float> Model<F> {
    /// Builds a model with fresh parameters; bases come from (and fill) `cache`.
    pub fn build(config: &ModelConfig, cache: &BasisCache) -> Result<Self> {
        Ok(match config {
            ModelConfig::Mlp { widths, seed } => {
                Model::Mlp(Mlp::new(widths.clone(), &mut rng_from_seed(*seed))?, *seed)
            }
            ModelConfig::Net(net) => Model::Net(EquivariantNet::new(net.clone(), cache)?),
            ModelConfig::FrameAveraged { frames, seed } => Model::FrameAveraged(
                FrameAveraged::new(frames.clone(), &mut rng_from_seed(*seed))?,
                *seed,
            ),
        })
    }

    /// The configuration that rebuilds this model.
    pub fn config(&self) -> ModelConfig {
        match self {
            Model::Mlp(m, seed) => ModelConfig::Mlp {
                widths: m.config().clone(),
                seed: *seed,
            },
            Model::Net(n) => ModelConfig::Net(n.config().clone()),
            Model::FrameAveraged(f, seed) => ModelConfig::FrameAveraged {
                frames: f.config().clone(),
                seed: *seed,
            },
        }
    }

    /// A short name: `mlp`, `emlp`, `rpp`, `mixed-rpp`, `per` or `frame-averaging`.
    pub fn name(&self) -> &'static str {
        match self {
            Model::Mlp(..) => "mlp",
            Model::Net(n) => match n.config().spec.kind {
                NetKind::Emlp => "emlp",
                NetKind::Rpp => "rpp",
                NetKind::MixedRpp => "mixed-rpp",
                NetKind::Per => "per",
            },
            Model::FrameAveraged(..) => "frame-averaging",
        }
    }

    /// The parameters.
    pub fn params(&self) -> &ParamStore<F> {
        match self {
            Model::Mlp(m, _) => m.params(),
            Model::Net(n) => n.params(),
            Model::FrameAveraged(f, _) => f.params(),
        }
    }

    /// Mutable access to the parameters.
    pub fn params_mut(&mut self) -> &mut ParamStore<F> {
        match self {
            Model::Mlp(m, _) => m.params_mut(),
            Model::Net(n) => n.params_mut(),
            Model::FrameAveraged(f, _) => f.params_mut(),
        }
    }

    /// The PER network, if this is one.
    pub fn as_per(&self) -> Option<&EquivariantNet<F>> {
        match self {
            Model::Net(n) if n.config().spec.kind == NetKind::Per => Some(n),
            _ => None,
        }
    }

    /// Records the forward pass for the batch `x`.
    pub fn forward(&self, tape: &mut Tape<F>, leaves: &[Var], x: Var) -> Result<Var> {
        match self {
            Model::Mlp(m, _) => m.forward(tape, leaves, x),
            Model::Net(n) => n.forward(tape, leaves, x),
            Model::FrameAveraged(f, _) => f.forward(tape, leaves, x),
        }
    }

    /// Evaluates the model on a batch without recording gradients.
    pub fn predict(&self, x: ArrayView2<'_, F>) -> Result<Array2<F>> {
        self.params()
            .evaluate(x, |tape, leaves, xv| self.forward(tape, leaves, xv))
    }

    /// Records the model's differentiable penalty, or returns `None` if it has none:
    /// RPP's path decays, PER's weight decay, and the residual-gate decay.
    pub fn penalty(
        &self,
        tape: &mut Tape<F>,
        leaves: &[Var],
        config: &PenaltyConfig,
    ) -> Result<Option<Var>> {
        let Model::Net(net) = self else {
            return Ok(None);
        };
        let mut terms: Vec<(f64, Vec<Var>)> = Vec::new();
        let vars = |role| {
            net.param_ids(role)
                .into_iter()
                .map(|id| leaves[id.0])
                .collect::<Vec<_>>()
        };
        match net.config().spec.kind {
            NetKind::Per => {
                let mut both = vars(ParamRole::Weight);
                both.extend(vars(ParamRole::Bias));
                terms.push((0.5 * config.weight_decay, both));
            }
            NetKind::Rpp | NetKind::MixedRpp => {
                terms.push((config.basic_wd, vars(ParamRole::FreeWeight)));
                terms.push((config.equiv_wd, vars(ParamRole::Weight)));
            }
            NetKind::Emlp => {}
        }
        terms.push((config.gated_wd, vars(ParamRole::GateResidual)));
        let mut total: Option<Var> = None;
        for (strength, params) in terms {
            if strength == 0.0 {
                continue;
            }
            for p in params {
                let sq = tape.square(p);
                let sum = tape.sum(sq);
                let term = tape.scale(sum, F::of(strength));
                total = Some(match total {
                    Some(t) => tape.add(t, term)?,
                    None => term,
                });
            }
        }
        Ok(total)
    }

    /// Input and output representations, for equivariance errors (`None` for the MLP, which
    /// has no representation attached).
    pub fn reps(&self) -> Option<(SumRep, SumRep)> {
        match self {
            Model::Mlp(..) => None,
            Model::Net(n) => Some((n.rep_in().clone(), n.rep_out().clone())),
            Model::FrameAveraged(f, _) => Some((
                f.config().rep_in.parse().ok()?,
                f.config().rep_out.parse().ok()?,
            )),
        }
    }

    /// The relative equivariance error of the model under `group` for the given
    /// representations, on the rows of `x`.
    pub fn equivariance_error(
        &self,
        group: &Group,
        rep_in: &SumRep,
        rep_out: &SumRep,
        x: ArrayView2<'_, F>,
        n_samples: usize,
        seed: u64,
    ) -> Result<f64> {
        relative_equivariance_error(
            |x| self.predict(x),
            group,
            rep_in,
            rep_out,
            x,
            n_samples,
            seed,
        )
    }
}
