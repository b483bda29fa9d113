//! The modified inertia task: 5 point masses to a perturbed moment-of-inertia tensor.

use rand_distr::StandardNormal;

use super::SpecialAxis;
use crate::rng::SeededRng;
use rand::RngExt;

/// Number of point masses.
pub(super) const N_MASSES: usize = 5;

/// Target columns: a 3 x 3 matrix, row-major.
pub(super) const OUTPUT_SIZE: usize = 9;

/// Fills `row` with masses m_i = softplus(z_i) and positions r_i ~ N(0, I_3), drawing the 20
/// normals in column order.
pub(super) fn sample(rng: &mut SeededRng, row: &mut [f64]) {
    for (column, value) in row.iter_mut().enumerate() {
        let z: f64 = rng.sample(StandardNormal);
        *value = if column < N_MASSES { softplus(z) } else { z };
    }
}

/// ln(1 + e^z), written to stay finite for large |z|.
fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// Moment of inertia I = sum_i m_i (|r_i|^2 I_3 - r_i r_i^T) of the masses in `input`.
pub(super) fn inertia_tensor(input: &[f64]) -> [[f64; 3]; 3] {
    let (masses, positions) = input.split_at(N_MASSES);
    let mut inertia = [[0.0; 3]; 3];
    for (mass, r) in masses.iter().zip(positions.chunks_exact(3)) {
        let r_squared = r[0] * r[0] + r[1] * r[1] + r[2] * r[2];
        for j in 0..3 {
            for k in 0..3 {
                let diagonal = if j == k { r_squared } else { 0.0 };
                inertia[j][k] += mass * (diagonal - r[j] * r[k]);
            }
        }
    }
    inertia
}

/// Writes Y = I + eps * D, flattened row-major, where D = I e_a e_a^T for axis a, and
/// D = -I e_x e_x^T + I e_y e_y^T for [`SpecialAxis::None`].
///
/// (I e_a e_a^T)_{jk} = I_{ja} if k = a, else 0: the perturbation rescales column a of I.
pub(super) fn target(input: &[f64], axis: SpecialAxis, eps: f64, output: &mut [f64]) {
    let inertia = inertia_tensor(input);
    // Weight of column k of I in the perturbation D.
    let column_weight: [f64; 3] = match axis {
        SpecialAxis::X => [1.0, 0.0, 0.0],
        SpecialAxis::Y => [0.0, 1.0, 0.0],
        SpecialAxis::Z => [0.0, 0.0, 1.0],
        SpecialAxis::None => [-1.0, 1.0, 0.0],
    };
    for j in 0..3 {
        for k in 0..3 {
            output[3 * j + k] = inertia[j][k] * (1.0 + eps * column_weight[k]);
        }
    }
}
