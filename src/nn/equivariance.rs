//! The sample-based relative equivariance error, a metric (never part of the loss).
//!
//! For inputs `x_i`, group samples `g_k` and a model `f`,
//!
//! ```text
//! err = mean_{i,k} ||f(rho_in(g_k) x_i) - rho_out(g_k) f(x_i)|| /
//!                  (||f(rho_in(g_k) x_i)|| + ||rho_out(g_k) f(x_i)||)
//! ```
//!
//! Group elements are `expm(sum_k z_k A_k)` times powers of the discrete generators, drawn from
//! an explicit seed (see [`crate::symmetry::Group::sample`]).

use ndarray::{Array2, ArrayView2};

use crate::error::Result;
use crate::float::Float;
use crate::rng::rng_from_seed;
use crate::symmetry::{Group, SumRep};

/// Mean relative equivariance error of `f` under `group` over `n_samples` group elements
/// drawn from `seed`, on the rows of `x`.
pub fn relative_equivariance_error<F, M>(
    f: M,
    group: &Group,
    rep_in: &SumRep,
    rep_out: &SumRep,
    x: ArrayView2<'_, F>,
    n_samples: usize,
    seed: u64,
) -> Result<f64>
where
    F: Float,
    M: Fn(ArrayView2<'_, F>) -> Result<Array2<F>>,
{
    let mut rng = rng_from_seed(seed);
    let fx = f(x)?;
    let mut total = 0.0;
    let mut count = 0usize;
    for _ in 0..n_samples {
        let g = group.sample(&mut rng);
        let gx = rep_in.apply_rho_rows(g.view(), x)?;
        let f_gx = f(gx.view())?;
        let g_fx = rep_out.apply_rho_rows(g.view(), fx.view())?;
        for (a, b) in f_gx.rows().into_iter().zip(g_fx.rows()) {
            let diff = a
                .iter()
                .zip(b.iter())
                .map(|(&u, &v)| (u - v).to_f64().powi(2))
                .sum::<f64>()
                .sqrt();
            let na = a.iter().map(|&u| u.to_f64().powi(2)).sum::<f64>().sqrt();
            let nb = b.iter().map(|&v| v.to_f64().powi(2)).sum::<f64>().sqrt();
            let denom = na + nb;
            total += if denom > 0.0 { diff / denom } else { 0.0 };
            count += 1;
        }
    }
    Ok(if count > 0 { total / count as f64 } else { 0.0 })
}
