//! The parameter store: trainable arrays with names, kept outside the tape.

use std::collections::HashMap;

use ndarray::Array2;

use crate::autodiff::{Gradients, Tape, Var};
use crate::error::{Error, Result};
use crate::float::Float;

/// Index of a parameter in its [`ParamStore`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ParamId(pub usize);

/// Named trainable arrays in insertion order.
///
/// Names are unique paths such as `"block0.linear.weight"`; checkpoints store them by name.
#[derive(Clone, Debug, Default)]
pub struct ParamStore<F: Float> {
    names: Vec<String>,
    values: Vec<Array2<F>>,
    by_name: HashMap<String, ParamId>,
}

impl<F: Float> ParamStore<F> {
    /// An empty store.
    pub fn new() -> Self {
        Self {
            names: Vec::new(),
            values: Vec::new(),
            by_name: HashMap::new(),
        }
    }

    /// Adds a parameter; names must be unique.
    pub fn insert(&mut self, name: impl Into<String>, value: Array2<F>) -> Result<ParamId> {
        let name = name.into();
        if self.by_name.contains_key(&name) {
            return Err(Error::invalid(
                "parameter name",
                &name,
                "every parameter needs a unique name",
            ));
        }
        let id = ParamId(self.values.len());
        self.by_name.insert(name.clone(), id);
        self.names.push(name);
        self.values.push(value);
        Ok(id)
    }

    /// Number of parameter arrays.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Total number of scalar parameters.
    pub fn num_scalars(&self) -> usize {
        self.values.iter().map(Array2::len).sum()
    }

    /// The value of a parameter.
    pub fn get(&self, id: ParamId) -> &Array2<F> {
        &self.values[id.0]
    }

    /// Mutable access to a parameter's value.
    pub fn get_mut(&mut self, id: ParamId) -> &mut Array2<F> {
        &mut self.values[id.0]
    }

    /// The name of a parameter.
    pub fn name(&self, id: ParamId) -> &str {
        &self.names[id.0]
    }

    /// Looks a parameter up by name.
    pub fn id(&self, name: &str) -> Option<ParamId> {
        self.by_name.get(name).copied()
    }

    /// All ids in insertion order.
    pub fn ids(&self) -> impl Iterator<Item = ParamId> + '_ {
        (0..self.values.len()).map(ParamId)
    }

    /// Puts every parameter on `tape` as a leaf with gradient; the result is indexed by id.
    pub fn leaves(&self, tape: &mut Tape<F>) -> Vec<Var> {
        self.values
            .iter()
            .map(|v| tape.variable(v.clone()))
            .collect()
    }

    /// Evaluates `forward` on the batch `x` with the parameters as constants (no gradients),
    /// for inference.
    pub fn evaluate<G>(&self, x: ndarray::ArrayView2<'_, F>, forward: G) -> Result<Array2<F>>
    where
        G: FnOnce(&mut Tape<F>, &[Var], Var) -> Result<Var>,
    {
        let mut tape = Tape::new();
        let leaves: Vec<Var> = self
            .values
            .iter()
            .map(|v| tape.constant(v.clone()))
            .collect();
        let xv = tape.constant(x.to_owned());
        let out = forward(&mut tape, &leaves, xv)?;
        Ok(tape.value(out).clone())
    }

    /// Collects the gradients of `leaves` (as returned by [`ParamStore::leaves`]), using zeros
    /// where no gradient reached a parameter.
    pub fn gradients(&self, leaves: &[Var], grads: &mut Gradients<F>) -> Vec<Array2<F>> {
        leaves
            .iter()
            .zip(&self.values)
            .map(|(&v, p)| grads.take(v).unwrap_or_else(|| Array2::zeros(p.raw_dim())))
            .collect()
    }
}
