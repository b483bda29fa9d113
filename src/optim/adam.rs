//! Adam (Kingma and Ba, 2015) with bias correction.

use ndarray::{Array2, Zip};
use serde::{Deserialize, Serialize};

use crate::float::Float;

use super::params::ParamStore;

/// Adam's constants.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdamConfig {
    /// Decay of the first-moment estimate.
    pub beta1: f64,
    /// Decay of the second-moment estimate.
    pub beta2: f64,
    /// Added to the root of the second moment.
    pub eps: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        Self {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }
}

/// Adam's state: first and second moments per parameter and the step count.
///
/// Update: `m <- b1 m + (1-b1) g`, `v <- b2 v + (1-b2) g^2`,
/// `w <- w - lr * m_hat / (sqrt(v_hat) + eps)` with `m_hat = m / (1 - b1^t)`,
/// `v_hat = v / (1 - b2^t)`.
#[derive(Clone, Debug)]
pub struct Adam<F: Float> {
    /// The constants.
    pub config: AdamConfig,
    /// First moments, indexed like the parameter store.
    pub m: Vec<Array2<F>>,
    /// Second moments.
    pub v: Vec<Array2<F>>,
    /// Number of steps taken.
    pub t: u64,
}

impl<F: Float> Adam<F> {
    /// Zero state for the parameters of `params`.
    pub fn new(config: AdamConfig, params: &ParamStore<F>) -> Self {
        let zeros = || {
            params
                .ids()
                .map(|id| Array2::zeros(params.get(id).raw_dim()))
                .collect::<Vec<_>>()
        };
        Self {
            config,
            m: zeros(),
            v: zeros(),
            t: 0,
        }
    }

    /// Applies one step with learning rate `lr`; `grads` is indexed like the store.
    pub fn step(&mut self, params: &mut ParamStore<F>, grads: &[Array2<F>], lr: f64) {
        self.t += 1;
        let c = self.config;
        let t = self.t as i32;
        let bias1 = 1.0 - c.beta1.powi(t);
        let bias2 = 1.0 - c.beta2.powi(t);
        // Fold both bias corrections into the step size and epsilon:
        // lr m_hat / (sqrt(v_hat) + eps) = (lr / bias1) m / (sqrt(v) / sqrt(bias2) + eps).
        let step = F::of(lr / bias1);
        let inv_sqrt_bias2 = F::of(1.0 / bias2.sqrt());
        let (b1, b2, eps) = (F::of(c.beta1), F::of(c.beta2), F::of(c.eps));
        let (one_b1, one_b2) = (F::one() - b1, F::one() - b2);
        let ids: Vec<_> = params.ids().collect();
        for (k, id) in ids.into_iter().enumerate() {
            Zip::from(params.get_mut(id))
                .and(&mut self.m[k])
                .and(&mut self.v[k])
                .and(&grads[k])
                .for_each(|w, m, v, &g| {
                    *m = b1 * *m + one_b1 * g;
                    *v = b2 * *v + one_b2 * g * g;
                    *w -= step * *m / (v.sqrt() * inv_sqrt_bias2 + eps);
                });
        }
    }
}
