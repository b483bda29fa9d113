//! EMLP-shaped networks: EMLP, RPP, mixed RPP and PER.
//!
//! All four share one architecture: three blocks `lin = Linear(h); pre = Bilinear(lin) + lin;
//! h = Gate(pre)` and a final linear layer. They differ in how each linear layer forms its
//! weight ([`WeightMode`]), in the gate ([`GateKind`]), in the hidden allocation, and in their
//! penalties. PER's weights are free; its projection regularizers (one per candidate group) are
//! applied by [`crate::method`] from the projectors this module builds.

use std::sync::Arc;

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::autodiff::{Tape, Var};
use crate::error::{Error, Result};
use crate::float::Float;
use crate::optim::{ParamId, ParamStore};
use crate::rng::{derive_seed, rng_from_seed};
use crate::symmetry::{
    BasisCache, Group, Projector, SumRep, emlp_allocation, gate_indices, gated, per_allocation,
};

use super::bilinear::{BilinearLayer, CopySampling, CopySelection, choose_copies};
use super::gate::{Gate, GateKind};
use super::linear::{EquivariantLinear, LayerProjectors, WeightMode};

/// The four EMLP-shaped models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NetKind {
    /// Exactly `G`-equivariant: projected weights, plain gates, EMLP's allocation.
    Emlp,
    /// Residual pathway prior: `P_G W_eq + W_free`.
    Rpp,
    /// `P_G W_eq + P_H W_free` with `H` named by the user.
    MixedRpp,
    /// Free weights with one projection regularizer per candidate group.
    Per,
}

/// How PER initialises its free weights.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PerInit {
    /// The orthogonal initialisation as drawn.
    #[default]
    Plain,
    /// `W <- (P_0 W + W) / 2` and the same for `b` (the authors' motion setting).
    HalfProjected,
}

/// What a user chooses; [`NetConfig::from_spec`] makes the random choices.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetSpec {
    /// The model.
    pub kind: NetKind,
    /// Input representation, e.g. `"5T0+5T1"`.
    pub rep_in: String,
    /// Output representation, e.g. `"T2"`.
    pub rep_out: String,
    /// Group names: `[G]` (EMLP, RPP), `[G, H]` (mixed RPP), `[G_0, G_1, ...]` (PER).
    pub groups: Vec<String>,
    /// Channel budget of each hidden layer.
    pub ch: usize,
    /// Number of blocks (3 in every experiment).
    pub blocks: usize,
    /// The gate.
    pub gate: GateKind,
    /// Whether blocks have the bilinear layer.
    pub bilinear: bool,
    /// How the bilinear layer draws its copies.
    pub copy_sampling: CopySampling,
    /// PER's initialisation.
    pub per_init: PerInit,
    /// Seed of every random choice of the model.
    pub seed: u64,
}

/// Everything needed to rebuild a network exactly, including its random choices.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetConfig {
    /// The user's choices.
    pub spec: NetSpec,
    /// Hidden representation (values, without gates) of each block.
    pub hidden: Vec<String>,
    /// The bilinear layer's chosen copies, per block.
    pub copies: Vec<Vec<CopySelection>>,
}

/// Random streams derived from the model seed.
const STREAM_ALLOCATION: u64 = 1;
const STREAM_COPIES: u64 = 2;
const STREAM_PARAMS: u64 = 3;

fn parse_rep(text: &str) -> Result<SumRep> {
    Ok(text.parse::<SumRep>()?)
}

fn parse_group(name: &str) -> Result<Group> {
    Ok(Group::parse(name)?)
}

impl NetConfig {
    /// Validates the spec, allocates the hidden layers and draws the bilinear copies.
    pub fn from_spec(spec: NetSpec) -> Result<Self> {
        let expected = match spec.kind {
            NetKind::Emlp | NetKind::Rpp => 1..=1,
            NetKind::MixedRpp => 2..=2,
            NetKind::Per => 1..=usize::MAX,
        };
        if !expected.contains(&spec.groups.len()) {
            return Err(Error::invalid(
                "groups",
                spec.groups.join(","),
                match spec.kind {
                    NetKind::MixedRpp => {
                        "mixed RPP takes two groups: G for the main path and H for the free path"
                    }
                    NetKind::Per => "PER takes the full group followed by its candidate subgroups",
                    _ => "EMLP and RPP take exactly one group",
                },
            ));
        }
        if spec.ch == 0 || spec.blocks == 0 {
            return Err(Error::invalid(
                "channels and blocks",
                format!("ch {} with {} blocks", spec.ch, spec.blocks),
                "use at least one channel and one block",
            ));
        }
        let g0 = parse_group(&spec.groups[0])?;
        let mut alloc_rng = rng_from_seed(derive_seed(spec.seed, STREAM_ALLOCATION));
        let hidden_rep = match spec.kind {
            NetKind::Emlp => emlp_allocation(spec.ch, &g0, &mut alloc_rng),
            _ => per_allocation(spec.ch, g0.dim()),
        };
        let mut copy_rng = rng_from_seed(derive_seed(spec.seed, STREAM_COPIES));
        let gated_rep = gated(&hidden_rep, &g0);
        let copies = (0..spec.blocks)
            .map(|_| {
                if spec.bilinear {
                    choose_copies(&gated_rep, &g0, spec.copy_sampling, &mut copy_rng)
                } else {
                    Vec::new()
                }
            })
            .collect();
        Ok(Self {
            hidden: vec![hidden_rep.to_string(); spec.blocks],
            copies,
            spec,
        })
    }
}

/// One block: linear, optional bilinear, gate.
#[derive(Clone)]
pub struct Block {
    /// The linear layer into the gated hidden representation.
    pub linear: EquivariantLinear,
    /// The bilinear layer and its parameter ids (one per pair).
    pub bilinear: Option<(BilinearLayer, Vec<ParamId>)>,
    /// The gated nonlinearity.
    pub gate: Gate,
}

/// An EMLP-shaped network with its parameters.
#[derive(Clone)]
pub struct EquivariantNet<F: Float> {
    config: NetConfig,
    groups: Vec<Group>,
    rep_in: SumRep,
    rep_out: SumRep,
    params: ParamStore<F>,
    blocks: Vec<Block>,
    head: EquivariantLinear,
    /// PER only: for each linear layer (blocks then head), its projectors under each group.
    regularized: Vec<Vec<LayerProjectors>>,
}

fn layer_projectors(
    group: &Group,
    rep_in: &SumRep,
    rep_out: &SumRep,
    cache: &BasisCache,
) -> Result<LayerProjectors> {
    Ok(LayerProjectors {
        weight: Arc::new(Projector::for_weights(group, rep_in, rep_out, cache)?),
        bias: Arc::new(Projector::for_bias(group, rep_out, cache)?),
    })
}

impl<F: Float> EquivariantNet<F> {
    /// Builds the network described by `config` with freshly initialised parameters.
    pub fn new(config: NetConfig, cache: &BasisCache) -> Result<Self> {
        let spec = &config.spec;
        let groups = spec
            .groups
            .iter()
            .map(|g| parse_group(g))
            .collect::<Result<Vec<_>>>()?;
        let g0 = groups[0].clone();
        let d = g0.dim();
        if let Some(bad) = groups.iter().find(|g| g.dim() != d) {
            return Err(Error::invalid(
                "groups",
                format!("{} acts on R^{} but {} on R^{d}", bad, bad.dim(), g0),
                "all groups must act on the same space",
            ));
        }
        let rep_in = parse_rep(&spec.rep_in)?;
        let rep_out = parse_rep(&spec.rep_out)?;
        let hidden = config
            .hidden
            .iter()
            .map(|h| parse_rep(h))
            .collect::<Result<Vec<_>>>()?;
        if hidden.len() != spec.blocks || config.copies.len() != spec.blocks {
            return Err(Error::invalid(
                "network configuration",
                format!("{} hidden layers for {} blocks", hidden.len(), spec.blocks),
                "give one hidden representation and one copy selection per block",
            ));
        }
        let mut rng = rng_from_seed(derive_seed(spec.seed, STREAM_PARAMS));
        let mut params = ParamStore::new();
        let mode = match spec.kind {
            NetKind::Emlp => WeightMode::Projected,
            NetKind::Rpp => WeightMode::Residual,
            NetKind::MixedRpp => WeightMode::MixedResidual,
            NetKind::Per => WeightMode::Free,
        };
        let mut regularized = Vec::new();
        let make_linear = |name: &str,
                           layer_in: &SumRep,
                           layer_out: &SumRep,
                           params: &mut ParamStore<F>,
                           rng: &mut _,
                           regularized: &mut Vec<Vec<LayerProjectors>>|
         -> Result<EquivariantLinear> {
            let (main, free_group) = match spec.kind {
                NetKind::Per => {
                    let per_group = groups
                        .iter()
                        .map(|g| layer_projectors(g, layer_in, layer_out, cache))
                        .collect::<Result<Vec<_>>>()?;
                    regularized.push(per_group);
                    (None, None)
                }
                NetKind::MixedRpp => (
                    Some(layer_projectors(&groups[0], layer_in, layer_out, cache)?),
                    Some(layer_projectors(&groups[1], layer_in, layer_out, cache)?),
                ),
                _ => (
                    Some(layer_projectors(&groups[0], layer_in, layer_out, cache)?),
                    None,
                ),
            };
            EquivariantLinear::new(
                name,
                layer_in.size(d),
                layer_out.size(d),
                mode,
                main,
                free_group,
                params,
                rng,
            )
        };
        let mut blocks = Vec::new();
        let mut current = rep_in.clone();
        for (i, hidden_rep) in hidden.iter().enumerate() {
            let gated_rep = gated(hidden_rep, &g0);
            let name = format!("block{i}");
            let linear = make_linear(
                &format!("{name}.linear"),
                &current,
                &gated_rep,
                &mut params,
                &mut rng,
                &mut regularized,
            )?;
            let bilinear = if spec.bilinear {
                let layer = BilinearLayer::new(&gated_rep, &g0, &config.copies[i])?;
                let mut ids = Vec::new();
                for (pair_name, value) in
                    layer.pair_names.iter().zip(layer.initial_params(&mut rng))
                {
                    ids.push(params.insert(format!("{name}.bilinear.{pair_name}"), value)?);
                }
                Some((layer, ids))
            } else {
                None
            };
            let gate = Gate::new(
                &format!("{name}.gate"),
                gate_indices(hidden_rep, &g0),
                spec.gate,
                &mut params,
            )?;
            blocks.push(Block {
                linear,
                bilinear,
                gate,
            });
            current = hidden_rep.clone();
        }
        let head = make_linear(
            "head",
            &current,
            &rep_out,
            &mut params,
            &mut rng,
            &mut regularized,
        )?;
        let mut net = Self {
            config,
            groups,
            rep_in,
            rep_out,
            params,
            blocks,
            head,
            regularized,
        };
        if net.config.spec.kind == NetKind::Per
            && net.config.spec.per_init == PerInit::HalfProjected
        {
            net.half_project_initial_weights();
        }
        Ok(net)
    }

    /// `W <- (P_0 W + W) / 2`, `b <- (P_0 b + b) / 2` for every layer.
    fn half_project_initial_weights(&mut self) {
        let half = F::of(0.5);
        let targets: Vec<(ParamId, ParamId, LayerProjectors)> = self
            .linear_layers()
            .into_iter()
            .zip(&self.regularized)
            .map(|(l, p)| (l.weight, l.bias, p[0].clone()))
            .collect();
        for (weight, bias, p0) in targets {
            let layer = (weight, bias);
            let w = self.params.get(layer.0).clone();
            let pw = p0.weight.project(w.view());
            *self.params.get_mut(layer.0) = (&pw + &w).mapv(|v| v * half);
            let b = self.params.get(layer.1).clone();
            let pb = p0.bias.project(b.t()).reversed_axes();
            *self.params.get_mut(layer.1) = (&pb + &b).mapv(|v| v * half);
        }
    }

    /// The configuration, with every random choice.
    pub fn config(&self) -> &NetConfig {
        &self.config
    }

    /// The groups: `G` first, then `H` or the candidate subgroups.
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// Input representation.
    pub fn rep_in(&self) -> &SumRep {
        &self.rep_in
    }

    /// Output representation.
    pub fn rep_out(&self) -> &SumRep {
        &self.rep_out
    }

    /// The parameters.
    pub fn params(&self) -> &ParamStore<F> {
        &self.params
    }

    /// Mutable access to the parameters.
    pub fn params_mut(&mut self) -> &mut ParamStore<F> {
        &mut self.params
    }

    /// The blocks.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// Every linear layer: the blocks' then the head.
    pub fn linear_layers(&self) -> Vec<&EquivariantLinear> {
        self.blocks
            .iter()
            .map(|b| &b.linear)
            .chain(std::iter::once(&self.head))
            .collect()
    }

    /// PER only: `(weight, bias, projectors per group)` for every linear layer.
    pub fn regularized_layers(&self) -> Vec<(ParamId, ParamId, &[LayerProjectors])> {
        self.linear_layers()
            .into_iter()
            .zip(&self.regularized)
            .map(|(l, p)| (l.weight, l.bias, p.as_slice()))
            .collect()
    }

    /// Records the forward pass for the batch `x`.
    pub fn forward(&self, tape: &mut Tape<F>, leaves: &[Var], x: Var) -> Result<Var> {
        let mut h = x;
        for block in &self.blocks {
            let lin = block.linear.forward(tape, leaves, h)?;
            let pre = match &block.bilinear {
                Some((layer, ids)) => {
                    let mut inputs = Vec::with_capacity(ids.len() + 1);
                    inputs.push(lin);
                    inputs.extend(ids.iter().map(|id| leaves[id.0]));
                    let bil = tape.custom(&inputs, layer.op.clone())?;
                    tape.add(bil, lin)?
                }
                None => lin,
            };
            h = block.gate.forward(tape, leaves, pre)?;
        }
        self.head.forward(tape, leaves, h)
    }

    /// Evaluates the network on a batch without recording gradients.
    pub fn predict(&self, x: ndarray::ArrayView2<'_, F>) -> Result<Array2<F>> {
        self.params
            .evaluate(x, |tape, leaves, xv| self.forward(tape, leaves, xv))
    }

    /// PER only: replaces every layer's `W` and `b` by their projections onto the equivariant
    /// subspace of group `index` (`0` is the full group). With plain gates the network is then
    /// exactly equivariant to that group, because the bilinear layers are built for `G_0`.
    pub fn project_onto(&mut self, index: usize) -> Result<()> {
        if self.regularized.is_empty() || index >= self.groups.len() {
            return Err(Error::invalid(
                "group index",
                index,
                format!("a PER network with {} groups", self.groups.len()),
            ));
        }
        let targets: Vec<(ParamId, ParamId, LayerProjectors)> = self
            .linear_layers()
            .into_iter()
            .zip(&self.regularized)
            .map(|(l, p)| (l.weight, l.bias, p[index].clone()))
            .collect();
        for (weight, bias, p) in targets {
            let w = p.weight.project(self.params.get(weight).view());
            *self.params.get_mut(weight) = w;
            let b = p.bias.project(self.params.get(bias).t()).reversed_axes();
            *self.params.get_mut(bias) = b;
        }
        Ok(())
    }

    /// Parameters of one category, for the penalties.
    pub fn param_ids(&self, role: ParamRole) -> Vec<ParamId> {
        let layers = self.linear_layers();
        match role {
            ParamRole::Weight => layers.iter().map(|l| l.weight).collect(),
            ParamRole::Bias => layers.iter().map(|l| l.bias).collect(),
            ParamRole::FreeWeight => layers.iter().filter_map(|l| l.free.map(|f| f.0)).collect(),
            ParamRole::GateResidual => self.blocks.iter().filter_map(|b| b.gate.residual).collect(),
        }
    }

    /// Replaces every parameter by the array of the same name in `values` (shapes must match).
    pub fn load_params(&mut self, values: &[(String, Array2<F>)]) -> Result<()> {
        load_named(&mut self.params, values)
    }
}

/// Parameter categories used by the penalties.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamRole {
    /// `W` (or `W_eq`) of every linear layer.
    Weight,
    /// `b` (or `b_eq`) of every linear layer.
    Bias,
    /// `W_free` of the residual modes.
    FreeWeight,
    /// `w_gated` of residual gates.
    GateResidual,
}

/// Replaces every parameter of `store` by the array of the same name in `values`.
pub fn load_named<F: Float>(
    store: &mut ParamStore<F>,
    values: &[(String, Array2<F>)],
) -> Result<()> {
    if values.len() != store.len() {
        return Err(Error::invalid(
            "parameter count",
            values.len(),
            format!("the model has {} parameter arrays", store.len()),
        ));
    }
    for (name, value) in values {
        let id = store.id(name).ok_or_else(|| {
            Error::invalid(
                "parameter name",
                name,
                "the checkpoint does not match this model",
            )
        })?;
        if store.get(id).dim() != value.dim() {
            return Err(Error::invalid(
                "parameter shape",
                format!("{name} {:?}", value.dim()),
                format!("the model expects {:?}", store.get(id).dim()),
            ));
        }
        *store.get_mut(id) = value.clone();
    }
    Ok(())
}
