//! Weight initialisers. All draw from an explicit [`SeededRng`].

use ndarray::Array2;
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};

use crate::float::Float;
use crate::linalg::qr::thin_q;
use crate::rng::SeededRng;

/// A `rows x cols` matrix with orthonormal rows (if `rows <= cols`) or orthonormal columns,
/// drawn from the Haar measure by QR of a Gaussian matrix (the initialiser of EMLP and PER's
/// linear layers).
pub fn orthogonal<F: Float>(rows: usize, cols: usize, rng: &mut SeededRng) -> Array2<F> {
    let (tall, short) = (rows.max(cols), rows.min(cols));
    let g = Array2::from_shape_simple_fn((tall, short), || StandardNormal.sample(rng));
    let q = thin_q(&g);
    let w = if rows >= cols { q } else { q.t().to_owned() };
    w.mapv(F::of)
}

/// A `1 x n` row uniform in `[0, 1) / sqrt(n)` (EMLP's bias initialiser).
pub fn uniform_bias<F: Float>(n: usize, rng: &mut SeededRng) -> Array2<F> {
    let scale = 1.0 / (n.max(1) as f64).sqrt();
    Array2::from_shape_simple_fn((1, n), || F::of(rng.random::<f64>() * scale))
}

/// A `rows x cols` matrix with entries `N(0, 1 / cols)` (objax's default for plain linear
/// layers, used by the MLP baseline).
pub fn kaiming_normal<F: Float>(rows: usize, cols: usize, rng: &mut SeededRng) -> Array2<F> {
    let std = 1.0 / (cols.max(1) as f64).sqrt();
    Array2::from_shape_simple_fn((rows, cols), || {
        let z: f64 = StandardNormal.sample(rng);
        F::of(std * z)
    })
}
