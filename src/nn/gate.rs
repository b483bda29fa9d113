//! The gated nonlinearity.
//!
//! The input is a gated representation: the values of `rep` followed by one scalar gate per
//! non-scalar copy. Output channel `i` is `sigmoid(x[gate(i)]) * x[i]`, where a scalar (or a
//! permutation-representation channel) is its own gate, which makes it swish. PER and RPP add a
//! trainable, non-equivariant residual `w_gated * swish(x[i])` (`w_gated` per channel,
//! initialised to 1e-3), penalised by `gated_wd * ||w_gated||^2` in the loss.

use std::sync::Arc;

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::autodiff::{Tape, Var};
use crate::error::Result;
use crate::float::Float;
use crate::optim::{ParamId, ParamStore};

/// Which gate a block uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GateKind {
    /// EMLP's gate, exactly equivariant.
    Plain,
    /// RPP's gate with the residual `w_gated * swish(x)` (PER's and RPP's default).
    Residual,
}

/// Initial value of every entry of `w_gated`.
pub const GATE_RESIDUAL_INIT: f64 = 1e-3;

/// A gated nonlinearity over `n_values` value channels.
#[derive(Clone, Debug)]
pub struct Gate {
    /// For each value channel, the column of its gate in the input.
    pub gate_index: Arc<[usize]>,
    /// The residual weights `w_gated` (a `1 x n_values` row), for [`GateKind::Residual`].
    pub residual: Option<ParamId>,
}

impl Gate {
    /// Creates the gate and, for the residual kind, its parameter.
    pub fn new<F: Float>(
        name: &str,
        gate_index: Vec<usize>,
        kind: GateKind,
        params: &mut ParamStore<F>,
    ) -> Result<Self> {
        let n = gate_index.len();
        let residual = match kind {
            GateKind::Plain => None,
            GateKind::Residual => Some(params.insert(
                format!("{name}.w_gated"),
                Array2::from_elem((1, n), F::of(GATE_RESIDUAL_INIT)),
            )?),
        };
        Ok(Self {
            gate_index: gate_index.into(),
            residual,
        })
    }

    /// Records the nonlinearity applied to the gated pre-activation `x`.
    pub fn forward<F: Float>(&self, tape: &mut Tape<F>, leaves: &[Var], x: Var) -> Result<Var> {
        let n = self.gate_index.len();
        let values = tape.slice_cols(x, 0, n)?;
        let gates = tape.gather_cols(x, self.gate_index.clone())?;
        let gates = tape.sigmoid(gates);
        let out = tape.mul(gates, values)?;
        match self.residual {
            None => Ok(out),
            Some(w) => {
                let s = tape.swish(values);
                let r = tape.mul(s, leaves[w.0])?;
                tape.add(out, r)
            }
        }
    }
}
