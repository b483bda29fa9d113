//! Forecast metrics (ADE, FDE, MSE) and the constant-velocity baseline.
//!
//! Both work on rows laid out as consecutive d-vectors `[p_1 (x, y[, z]), p_2, ..]`, the layout
//! of [`super::windows`].

use ndarray::{Array2, ArrayView1};
use serde::Serialize;

use crate::{Error, Result};

/// Errors of a set of forecasts against their targets, in metres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ForecastMetrics {
    /// Average displacement error: mean over windows and future steps of the Euclidean
    /// distance between predicted and true position, in metres.
    pub ade_m: f64,
    /// Final displacement error: mean over windows of the distance at the last future step,
    /// in metres.
    pub fde_m: f64,
    /// Mean over all coordinates of the squared error, in square metres.
    pub mse_m2: f64,
    /// Number of windows evaluated.
    pub n_windows: usize,
}

/// Computes ADE, FDE and MSE of `predictions` against `targets`, both in metres with one window
/// per row of n_future d-vectors.
///
/// # Errors
/// [`Error::Shape`] when the shapes differ, there are no rows, or the row length is not a
/// positive multiple of `dim`.
pub fn forecast_metrics(
    predictions: &Array2<f64>,
    targets: &Array2<f64>,
    dim: usize,
) -> Result<ForecastMetrics> {
    let columns = targets.ncols();
    if predictions.dim() != targets.dim()
        || targets.nrows() == 0
        || dim == 0
        || columns == 0
        || !columns.is_multiple_of(dim)
    {
        return Err(Error::Shape {
            op: "forecast_metrics",
            left: predictions.shape().to_vec(),
            right: targets.shape().to_vec(),
            expected: format!(
                "equal shapes with at least one row and a row length that is a multiple of \
                 d = {dim}"
            ),
        });
    }
    let n_steps = columns / dim;
    let mut displacement_sum = 0.0;
    let mut final_sum = 0.0;
    let mut squared_sum = 0.0;
    for (prediction, target) in predictions.rows().into_iter().zip(targets.rows()) {
        for step in 0..n_steps {
            let squared = squared_distance(prediction, target, step * dim, dim);
            squared_sum += squared;
            displacement_sum += squared.sqrt();
            if step + 1 == n_steps {
                final_sum += squared.sqrt();
            }
        }
    }
    let n_windows = targets.nrows();
    Ok(ForecastMetrics {
        ade_m: displacement_sum / (n_windows * n_steps) as f64,
        fde_m: final_sum / n_windows as f64,
        mse_m2: squared_sum / (n_windows * columns) as f64,
        n_windows,
    })
}

fn squared_distance(a: ArrayView1<f64>, b: ArrayView1<f64>, offset: usize, dim: usize) -> f64 {
    (offset..offset + dim).map(|i| (a[i] - b[i]).powi(2)).sum()
}

/// Extrapolates the last past velocity: with past positions p_1..p_n, future step j (1-based)
/// is p_n + j (p_n - p_{n-1}). No learning; the output has `n_future` d-vectors per row.
///
/// The map is affine with coefficients summing to 1, so it commutes with the centring and
/// scaling of windows: it can be applied to scaled inputs or to positions in metres.
///
/// # Errors
/// [`Error::InvalidSetting`] when `n_past < 2`; [`Error::Shape`] when `x` does not have
/// `n_past * dim` columns.
pub fn constant_velocity(
    x: &Array2<f64>,
    n_past: usize,
    n_future: usize,
    dim: usize,
) -> Result<Array2<f64>> {
    if n_past < 2 {
        return Err(Error::invalid(
            "n_past",
            n_past,
            "at least 2 past positions to estimate a velocity",
        ));
    }
    if x.ncols() != n_past * dim {
        return Err(Error::Shape {
            op: "constant_velocity",
            left: x.shape().to_vec(),
            right: Vec::new(),
            expected: format!(
                "{} columns ({n_past} past positions of d = {dim})",
                n_past * dim
            ),
        });
    }
    let mut predictions = Array2::zeros((x.nrows(), n_future * dim));
    for (past, mut future) in x.rows().into_iter().zip(predictions.rows_mut()) {
        let last = (n_past - 1) * dim;
        let previous = (n_past - 2) * dim;
        for step in 0..n_future {
            for axis in 0..dim {
                let velocity = past[last + axis] - past[previous + axis];
                future[step * dim + axis] = past[last + axis] + (step + 1) as f64 * velocity;
            }
        }
    }
    Ok(predictions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn metrics_of_known_errors() {
        // Two 2-D future steps; errors (3, 4) -> 5 m and (0, 0) -> 0 m.
        let targets = array![[0.0, 0.0, 1.0, 1.0]];
        let predictions = array![[3.0, 4.0, 1.0, 1.0]];
        let metrics = forecast_metrics(&predictions, &targets, 2).unwrap();
        assert_eq!(metrics.ade_m, 2.5);
        assert_eq!(metrics.fde_m, 0.0);
        assert_eq!(metrics.mse_m2, 25.0 / 4.0);
        assert_eq!(metrics.n_windows, 1);
    }

    #[test]
    fn metrics_reject_shape_mismatch() {
        let result = forecast_metrics(&Array2::zeros((2, 6)), &Array2::zeros((2, 3)), 3);
        assert!(matches!(result, Err(Error::Shape { .. })));
    }

    #[test]
    fn constant_velocity_extends_line() {
        let x = array![[0.0, 0.0, 1.0, 2.0]];
        let predictions = constant_velocity(&x, 2, 3, 2).unwrap();
        assert_eq!(predictions, array![[2.0, 4.0, 3.0, 6.0, 4.0, 8.0]]);
    }

    #[test]
    fn constant_velocity_needs_two_past_points() {
        let result = constant_velocity(&Array2::zeros((1, 3)), 1, 1, 3);
        assert!(matches!(result, Err(Error::InvalidSetting { .. })));
    }
}
