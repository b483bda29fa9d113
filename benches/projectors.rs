//! Set-up and application time of the equivariant projectors of the PER networks (Kim et al.,
//! "Regularizing Towards Soft Equivariance Under Mixed Symmetries", ICML 2023).
//!
//! `setup/*` builds every projector (weights and biases of all four linear layers, for every
//! candidate group) from an empty basis cache. `apply/per_inertia_f32` applies all 32
//! projectors of the inertia network (4 groups x 4 layers x weights and bias) to its f32
//! weights once. Run with `cargo bench --bench projectors`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::Array2;
use softeq::symmetry::{BasisCache, Group, Projector, SumRep, gated, per_allocation};

struct Network {
    groups: Vec<Group>,
    input: SumRep,
    output: SumRep,
    hidden: SumRep,
}

impl Network {
    fn new(groups: &[&str], input: &str, output: &str, ch: usize) -> Self {
        Self {
            groups: groups.iter().map(|g| Group::parse(g).unwrap()).collect(),
            input: input.parse().unwrap(),
            output: output.parse().unwrap(),
            hidden: per_allocation(ch, 3),
        }
    }

    /// (input rep, output rep) of the four linear layers; the gates follow the first group.
    fn layers(&self) -> Vec<(SumRep, SumRep)> {
        let hidden_gated = gated(&self.hidden, &self.groups[0]);
        vec![
            (self.input.clone(), hidden_gated.clone()),
            (self.hidden.clone(), hidden_gated.clone()),
            (self.hidden.clone(), hidden_gated),
            (self.hidden.clone(), self.output.clone()),
        ]
    }

    /// Builds every weight and bias projector from an empty cache.
    fn build(&self) -> Vec<Projector> {
        let cache = BasisCache::new();
        let mut projectors = Vec::new();
        for group in &self.groups {
            for (rep_in, rep_out) in self.layers() {
                projectors.push(Projector::for_weights(group, &rep_in, &rep_out, &cache).unwrap());
                projectors.push(Projector::for_bias(group, &rep_out, &cache).unwrap());
            }
        }
        projectors
    }
}

fn inertia() -> Network {
    Network::new(
        &["O(3)", "O(2)_xy", "O(2)_yz", "O(2)_xz"],
        "5 T0 + 5 T1",
        "T2",
        128,
    )
}

fn motion() -> Network {
    Network::new(
        &["O(3)", "O(2)_xy", "O(2)_yz", "O(2)_xz"],
        "6 T1",
        "6 T1",
        384,
    )
}

fn cosine_similarity() -> Network {
    Network::new(&["SO(3)xScaling", "SO(3)", "Scaling(3)"], "3 T1", "T0", 128)
}

fn setup(c: &mut Criterion) {
    let mut group = c.benchmark_group("setup");
    group.sample_size(20);
    for (name, network) in [
        ("per_inertia", inertia()),
        ("per_motion", motion()),
        ("per_cosine_similarity", cosine_similarity()),
    ] {
        group.bench_function(name, |b| b.iter(|| black_box(network.build())));
    }
    group.finish();
}

fn apply(c: &mut Criterion) {
    let network = inertia();
    let projectors = network.build();
    let weights: Vec<Array2<f32>> = projectors
        .iter()
        .map(|p| Array2::from_elem(p.shape(), 0.5_f32))
        .collect();
    c.bench_function("apply/per_inertia_f32", |b| {
        b.iter(|| {
            for (projector, w) in projectors.iter().zip(&weights) {
                black_box(projector.project(w.view()));
            }
        })
    });
}

criterion_group!(benches, setup, apply);
criterion_main!(benches);
