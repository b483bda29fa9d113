//! The cosine-similarity task: three vectors to their mean pairwise cosine, perturbed.

use rand_distr::StandardNormal;

use super::CosSimVariant;
use crate::rng::SeededRng;
use rand::RngExt;

/// Fills `row` with x_1, x_2, x_3 ~ N(0, I_3).
pub(super) fn sample(rng: &mut SeededRng, row: &mut [f64]) {
    for value in row.iter_mut() {
        *value = rng.sample(StandardNormal);
    }
}

fn dot(u: &[f64], v: &[f64]) -> f64 {
    u.iter().zip(v).map(|(a, b)| a * b).sum()
}

fn norm(u: &[f64]) -> f64 {
    dot(u, u).sqrt()
}

fn l1_norm(u: &[f64]) -> f64 {
    u.iter().map(|a| a.abs()).sum()
}

fn cosine(u: &[f64], v: &[f64]) -> f64 {
    dot(u, v) / (norm(u) * norm(v))
}

/// Returns y for the three vectors in `input` (see [`CosSimVariant`] for the formulas).
pub(super) fn target(input: &[f64], variant: CosSimVariant, eps: f64) -> f64 {
    let x1 = &input[0..3];
    let x2 = &input[3..6];
    let x3 = &input[6..9];
    let mean_cosine = (cosine(x1, x2) + cosine(x2, x3) + cosine(x3, x1)) / 3.0;
    // Rotation-invariant, degree-1 homogeneous: breaks scaling only.
    let mean_radius = (norm(x1) + norm(x2) + norm(x3)) / 3.0;
    // Degree-0 homogeneous, but the L1 norm is not rotation invariant: breaks rotations only.
    let l1_ratio = l1_norm(x1) / (l1_norm(x2) + l1_norm(x3));
    match variant {
        CosSimVariant::Exact => mean_cosine,
        CosSimVariant::So3 => mean_cosine - eps * mean_radius,
        CosSimVariant::Scale => mean_cosine - eps * l1_ratio,
        CosSimVariant::None => mean_cosine - eps * (mean_radius + l1_ratio),
    }
}
