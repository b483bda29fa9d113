//! Sample-based equivariance error of a function between representations.
//!
//! For a batch of inputs `x` (rows) and sampled group elements `g`, the relative error of one
//! input is `||f(rho_in(g) x) - rho_out(g) f(x)|| / (||f(rho_in(g) x)|| + ||rho_out(g) f(x)||)`,
//! taken as 0 when both norms vanish. It lies in `[0, 1]`, and 0 means exact equivariance for
//! that sample. The group action is applied in `f64` (see [`SumRep::apply_rho_rows`]).

use ndarray::{Array2, ArrayView2};

use super::SymmetryError;
use super::group::Group;
use super::rep::SumRep;
use crate::float::Float;
use crate::rng::SeededRng;

/// Returns the row-wise relative differences `||a_i - b_i|| / (||a_i|| + ||b_i||)`, computed
/// in `f64`, with 0 for rows where both norms are zero.
///
/// # Errors
/// [`SymmetryError::DimensionMismatch`] if `a` and `b` differ in shape.
pub fn relative_error_rows<F: Float>(
    a: ArrayView2<'_, F>,
    b: ArrayView2<'_, F>,
) -> Result<Vec<f64>, SymmetryError> {
    if a.dim() != b.dim() {
        return Err(SymmetryError::DimensionMismatch {
            array: "compared outputs".into(),
            expected: format!("shape {:?}", a.dim()),
            found: format!("shape {:?}", b.dim()),
        });
    }
    let errors = a
        .rows()
        .into_iter()
        .zip(b.rows())
        .map(|(row_a, row_b)| {
            let norm = |row: ndarray::ArrayView1<'_, F>| {
                row.iter().map(|&v| v.to_f64().powi(2)).sum::<f64>().sqrt()
            };
            let diff = row_a
                .iter()
                .zip(row_b.iter())
                .map(|(&x, &y)| (x.to_f64() - y.to_f64()).powi(2))
                .sum::<f64>()
                .sqrt();
            let denom = norm(row_a) + norm(row_b);
            if denom == 0.0 { 0.0 } else { diff / denom }
        })
        .collect();
    Ok(errors)
}

/// Returns the mean relative equivariance error of `f` over the rows of `x` and `samples`
/// group elements drawn with [`Group::sample`].
///
/// `f` maps a batch `(n, rep_in.size(d))` to `(n, rep_out.size(d))`. It is called once on
/// `x` and once per sample on `rho_in(g) x`.
///
/// # Errors
/// [`SymmetryError::DimensionMismatch`] if `x` or the output of `f` do not match the
/// representations, and [`SymmetryError::SingularElement`] if a sample is singular.
pub fn equivariance_error<F: Float>(
    group: &Group,
    rep_in: &SumRep,
    rep_out: &SumRep,
    x: ArrayView2<'_, F>,
    samples: usize,
    rng: &mut SeededRng,
    mut f: impl FnMut(ArrayView2<'_, F>) -> Array2<F>,
) -> Result<f64, SymmetryError> {
    let fx = f(x);
    let mut total = 0.0;
    let mut count = 0usize;
    for _ in 0..samples {
        let g = group.sample(rng);
        let transformed_input = rep_in.apply_rho_rows(g.view(), x)?;
        let f_of_transformed = f(transformed_input.view());
        let transformed_output = rep_out.apply_rho_rows(g.view(), fx.view())?;
        let errors = relative_error_rows(f_of_transformed.view(), transformed_output.view())?;
        count += errors.len();
        total += errors.iter().sum::<f64>();
    }
    Ok(if count == 0 {
        0.0
    } else {
        total / count as f64
    })
}
