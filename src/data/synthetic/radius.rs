//! The radius task: the mean length of three vectors in an axis-stretched metric.

use rand_distr::StandardNormal;

use super::SpecialAxis;
use crate::rng::SeededRng;
use rand::RngExt;

/// Fills `row` with x_1, x_2, x_3 ~ N(0, I_3).
pub(super) fn sample(rng: &mut SeededRng, row: &mut [f64]) {
    for value in row.iter_mut() {
        *value = rng.sample(StandardNormal);
    }
}

/// Diagonal of the metric M: I + eps e_a e_a^T for axis a, diag(1 - eps, 1 + eps, 1) for
/// [`SpecialAxis::None`].
pub(super) fn metric_diagonal(axis: SpecialAxis, eps: f64) -> [f64; 3] {
    match axis {
        SpecialAxis::X => [1.0 + eps, 1.0, 1.0],
        SpecialAxis::Y => [1.0, 1.0 + eps, 1.0],
        SpecialAxis::Z => [1.0, 1.0, 1.0 + eps],
        SpecialAxis::None => [1.0 - eps, 1.0 + eps, 1.0],
    }
}

/// Returns y = (1/3) sum_i sqrt(x_i^T M x_i) for the three vectors in `input`.
pub(super) fn target(input: &[f64], axis: SpecialAxis, eps: f64) -> f64 {
    let metric = metric_diagonal(axis, eps);
    let total: f64 = input
        .chunks_exact(3)
        .map(|x| {
            let squared: f64 = x.iter().zip(metric).map(|(a, m)| m * a * a).sum();
            squared.sqrt()
        })
        .sum();
    total / 3.0
}
