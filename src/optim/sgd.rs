//! Plain stochastic gradient descent.

use ndarray::{Array2, Zip};

use crate::float::Float;

use super::params::ParamStore;

/// `w <- w - lr * g`.
#[derive(Clone, Debug, Default)]
pub struct Sgd;

impl Sgd {
    /// Applies one step with learning rate `lr`; `grads` is indexed like the store.
    pub fn step<F: Float>(&mut self, params: &mut ParamStore<F>, grads: &[Array2<F>], lr: f64) {
        let lr = F::of(lr);
        for (id, g) in params.ids().collect::<Vec<_>>().into_iter().zip(grads) {
            Zip::from(params.get_mut(id))
                .and(g)
                .for_each(|w, &g| *w -= lr * g);
        }
    }
}
