//! SGEMM throughput at the shapes softeq's layers use, at 1024^3, and the serial/parallel
//! crossover that sets `PARALLEL_MIN_MULADDS`.
//!
//! Run: `cargo bench --bench matmul`. Criterion reports "elements per second" where one
//! element is one floating-point operation (2 m k n per product), i.e. FLOP/s.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ndarray::Array2;
use rand_distr::{Distribution, StandardNormal};
use softeq::linalg::gemm::gemm_serial;
use softeq::linalg::matmul;

fn random(rows: usize, cols: usize, seed: u64) -> Array2<f32> {
    let mut rng = softeq::rng::rng_from_seed(seed);
    Array2::from_shape_simple_fn((rows, cols), || StandardNormal.sample(&mut rng))
}

fn sgemm_shapes(c: &mut Criterion) {
    let mut group = c.benchmark_group("sgemm");
    // (batch x gated width) times (gated width x hidden width): the inertia and motion layers.
    for &(m, k, n) in &[(500, 242, 216), (500, 484, 432), (1024, 1024, 1024)] {
        let a = random(m, k, 1);
        let b = random(k, n, 2);
        group.throughput(Throughput::Elements((2 * m * k * n) as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{m}x{k}x{n}")),
            &(),
            |bench, _| bench.iter(|| matmul(a.view(), b.view())),
        );
    }
    group.finish();
}

fn crossover(c: &mut Criterion) {
    let mut group = c.benchmark_group("threshold");
    for &size in &[24usize, 32, 48, 64, 96, 128] {
        let a = random(size, size, 3);
        let b = random(size, size, 4);
        group.throughput(Throughput::Elements((2 * size * size * size) as u64));
        group.bench_with_input(BenchmarkId::new("one-thread", size), &(), |bench, _| {
            bench.iter(|| {
                let mut out = Array2::zeros((size, size));
                gemm_serial(1.0, a.view(), b.view(), 0.0, out.view_mut());
                out
            })
        });
        group.bench_with_input(BenchmarkId::new("split-rows", size), &(), |bench, _| {
            bench.iter(|| force_split(&a, &b))
        });
    }
    group.finish();
}

/// Splits the rows in two halves regardless of the threshold, to measure the crossover.
fn force_split(a: &Array2<f32>, b: &Array2<f32>) -> Array2<f32> {
    let mid = a.nrows() / 2;
    let (top, bottom) = rayon::join(
        || matmul(a.slice(ndarray::s![..mid, ..]), b.view()),
        || matmul(a.slice(ndarray::s![mid.., ..]), b.view()),
    );
    ndarray::concatenate(ndarray::Axis(0), &[top.view(), bottom.view()]).unwrap()
}

criterion_group!(benches, sgemm_shapes, crossover);
criterion_main!(benches);
