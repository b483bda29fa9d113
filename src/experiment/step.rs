//! The loss and gradients of one training batch, computed in a fixed number of shards.
//!
//! The batch is cut into `shards` contiguous row blocks; each block gets its own tape, and the
//! blocks run in parallel on the rayon pool. The loss is
//! `sum_k (n_k / n) MSE_k + penalty`, so the summed block gradients equal the full-batch
//! gradient up to rounding. The split and the order of the sum depend only on `shards`, never
//! on the number of threads, so results are identical on any machine for a given setting.
//! One fork-join per step replaces one per matrix product, which on two cores removes most of
//! the time threads spend waking each other (about a fifth of a small MLP step).

use std::sync::Arc;

use ndarray::{Array2, s};
use rayon::prelude::*;

use crate::autodiff::Tape;
use crate::error::Result;
use crate::float::Float;
use crate::nn::{Model, PenaltyConfig};

/// Loss and gradients of one batch.
pub struct StepOutput<F: Float> {
    /// Total loss: MSE plus the model's penalty (not the projection regularizers).
    pub loss: f64,
    /// The batch MSE.
    pub mse: f64,
    /// Gradients, indexed like the model's parameter store.
    pub grads: Vec<Array2<F>>,
}

/// Computes the loss and its gradients for the batch `(x, y)` in `shards` row blocks.
pub fn loss_and_gradients<F: Float>(
    model: &Model<F>,
    penalties: &PenaltyConfig,
    x: &Array2<F>,
    y: &Array2<F>,
    shards: usize,
) -> Result<StepOutput<F>> {
    let n = x.nrows();
    let blocks = shard_rows(n, shards);
    let outputs: Vec<Result<StepOutput<F>>> = blocks
        .par_iter()
        .enumerate()
        .map(|(k, &(start, end))| {
            let mut tape = Tape::new();
            let leaves = model.params().leaves(&mut tape);
            let xv = tape.constant(x.slice(s![start..end, ..]).to_owned());
            let out = model.forward(&mut tape, &leaves, xv)?;
            let target = Arc::new(y.slice(s![start..end, ..]).to_owned());
            let mse = tape.mse(out, target)?;
            let weight = (end - start) as f64 / n as f64;
            let mut loss = tape.scale(mse, F::of(weight));
            // The penalty depends on the parameters only, so one block adds it.
            if k == 0
                && let Some(p) = model.penalty(&mut tape, &leaves, penalties)?
            {
                loss = tape.add(loss, p)?;
            }
            let mse_value = tape.value(mse)[[0, 0]].to_f64() * weight;
            let loss_value = tape.value(loss)[[0, 0]].to_f64();
            let mut grads = tape.backward(loss)?;
            Ok(StepOutput {
                loss: loss_value,
                mse: mse_value,
                grads: model.params().gradients(&leaves, &mut grads),
            })
        })
        .collect();
    let mut total: Option<StepOutput<F>> = None;
    for output in outputs {
        let output = output?;
        total = Some(match total {
            None => output,
            Some(mut t) => {
                t.loss += output.loss;
                t.mse += output.mse;
                for (a, b) in t.grads.iter_mut().zip(&output.grads) {
                    *a += b;
                }
                t
            }
        });
    }
    Ok(total.expect("at least one block"))
}

/// The row blocks `[start, end)` of a batch of `n` rows cut into `shards` shards.
pub fn shard_rows(n: usize, shards: usize) -> Vec<(usize, usize)> {
    let shards = shards.clamp(1, n.max(1));
    let rows = n.div_ceil(shards);
    (0..n)
        .step_by(rows.max(1))
        .map(|start| (start, (start + rows).min(n)))
        .collect()
}
