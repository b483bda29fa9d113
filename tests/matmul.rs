//! GEMM: agreement with a naive product, transposed views, and bitwise-identical results for
//! every rayon thread count.

use ndarray::{Array2, ShapeBuilder};
use rand_distr::{Distribution, StandardNormal};
use softeq::linalg::{PARALLEL_MIN_MULADDS, gemm, matmul};

fn random<F: softeq::Float>(rows: usize, cols: usize, seed: u64) -> Array2<F> {
    let mut rng = softeq::rng::rng_from_seed(seed);
    Array2::from_shape_simple_fn((rows, cols), || F::of(StandardNormal.sample(&mut rng)))
}

fn naive(a: &Array2<f64>, b: &Array2<f64>) -> Array2<f64> {
    let mut c = Array2::zeros((a.nrows(), b.ncols()));
    for i in 0..a.nrows() {
        for j in 0..b.ncols() {
            c[[i, j]] = (0..a.ncols()).map(|k| a[[i, k]] * b[[k, j]]).sum();
        }
    }
    c
}

#[test]
fn matmul_matches_naive_product() {
    for &(m, k, n) in &[
        (1, 1, 1),
        (3, 5, 7),
        (17, 33, 9),
        (130, 70, 90),
        (300, 200, 100),
    ] {
        let a = random::<f64>(m, k, 1);
        let b = random::<f64>(k, n, 2);
        let err = (&matmul(a.view(), b.view()) - &naive(&a, &b))
            .iter()
            .fold(0.0f64, |e, d| e.max(d.abs()));
        assert!(err < 1e-12 * k as f64, "({m},{k},{n}): max error {err:e}");
    }
}

#[test]
fn matmul_accepts_transposed_and_column_major_views() {
    let a = random::<f64>(40, 30, 3);
    let b = random::<f64>(20, 30, 4);
    let expected = naive(&a, &b.t().to_owned());
    let via_view = matmul(a.view(), b.t());
    let mut col_major = Array2::zeros((30, 20).f());
    col_major.assign(&b.t());
    let via_fortran = matmul(a.view(), col_major.view());
    assert!((&via_view - &expected).iter().all(|d| d.abs() < 1e-12));
    assert!((&via_fortran - &expected).iter().all(|d| d.abs() < 1e-12));
}

#[test]
fn gemm_accumulates_with_alpha_and_beta() {
    let a = random::<f64>(9, 4, 5);
    let b = random::<f64>(4, 6, 6);
    let c0 = random::<f64>(9, 6, 7);
    let mut c = c0.clone();
    gemm(2.0, a.view(), b.view(), 0.5, c.view_mut());
    let expected = naive(&a, &b) * 2.0 + &c0 * 0.5;
    assert!((&c - &expected).iter().all(|d| d.abs() < 1e-12));
}

fn product_in_pool<F: softeq::Float>(threads: usize, a: &Array2<F>, b: &Array2<F>) -> Array2<F> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| matmul(a.view(), b.t()))
}

#[test]
fn parallel_result_is_bitwise_identical_for_any_thread_count() {
    // Large enough to be split: 512 * 384 * 256 multiply-adds.
    let (m, k, n) = (512, 384, 256);
    assert!(m * k * n >= PARALLEL_MIN_MULADDS);
    let a = random::<f32>(m, k, 8);
    let b = random::<f32>(n, k, 9);
    let reference = product_in_pool(1, &a, &b);
    for threads in [2, 3, 4, 7] {
        let c = product_in_pool(threads, &a, &b);
        let identical = c
            .iter()
            .zip(reference.iter())
            .all(|(x, y)| x.to_bits() == y.to_bits());
        assert!(identical, "{threads} threads changed the result");
    }
}

#[test]
fn parallel_f64_result_is_bitwise_identical() {
    let (m, k, n) = (333, 200, 150);
    let a = random::<f64>(m, k, 10);
    let b = random::<f64>(n, k, 11);
    let reference = product_in_pool(1, &a, &b);
    let c = product_in_pool(4, &a, &b);
    assert!(
        c.iter()
            .zip(reference.iter())
            .all(|(x, y)| x.to_bits() == y.to_bits())
    );
}
