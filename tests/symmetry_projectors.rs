//! Projectors onto equivariant weights: projector identities, equivariance of projected
//! weights for every catalog group, subgroup inclusion, the weight flattening convention,
//! and hidden-layer allocation.

mod common;

use common::{CATALOG, gaussian, max_diff, random_rep, relative_diff};
use ndarray::{Array2, ArrayView2};
use proptest::prelude::*;
use softeq::autodiff::LinearOperator;
use softeq::rng::rng_from_seed;
use softeq::symmetry::{
    BasisCache, Group, Projector, SumRep, TensorType, emlp_allocation, gate_indices, gated,
    per_allocation,
};

fn parse(name: &str) -> Group {
    Group::parse(name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn t(k: usize) -> TensorType {
    TensorType::rank_k(k)
}

/// `||rho_out(g) W - W rho_in(g)|| / (||rho_out(g) W|| + ||W rho_in(g)||)` for one sample.
fn dense_equivariance_error(
    group: &Group,
    rep_in: &SumRep,
    rep_out: &SumRep,
    w: ArrayView2<'_, f64>,
    seed: u64,
) -> f64 {
    let g = group.sample(&mut rng_from_seed(seed));
    let left = rep_out.rho(g.view()).unwrap().dot(&w);
    let right = w.dot(&rep_in.rho(g.view()).unwrap());
    relative_diff(left.view(), right.view())
}

#[test]
fn projector_is_symmetric_idempotent() {
    let cache = BasisCache::new();
    for name in ["O(3)", "O(2)_xy", "GL(3)", "SO(3)xScaling", "SE(3)", "S(3)"] {
        let group = parse(name);
        let rep_in: SumRep = "T0 + T1 + T(0,1)".parse().unwrap();
        let rep_out: SumRep = "T1 + T(1,1)".parse().unwrap();
        let p = Projector::for_weights(&group, &rep_in, &rep_out, &cache)
            .unwrap()
            .dense_matrix();
        assert!(max_diff(p.view(), p.t()) < 1e-14, "{name}: P^T = P");
        assert!(
            max_diff(p.dot(&p).view(), p.view()) < 1e-13,
            "{name}: P^2 = P"
        );
    }
}

#[test]
fn dense_matrix_agrees_with_project() {
    let cache = BasisCache::new();
    let rep_in: SumRep = "2 T0 + T1".parse().unwrap();
    let rep_out: SumRep = "T1 + T2".parse().unwrap();
    let projector = Projector::for_weights(&Group::o(3), &rep_in, &rep_out, &cache).unwrap();
    let w = gaussian(12, 5, &mut rng_from_seed(1));
    let flat = w.to_shape(60).unwrap().to_owned();
    let via_dense = projector
        .dense_matrix()
        .dot(&flat)
        .into_shape_with_order((12, 5))
        .unwrap();
    assert!(max_diff(projector.project(w.view()).view(), via_dense.view()) < 1e-14);
}

#[test]
fn rank_is_trace_of_dense() {
    let cache = BasisCache::new();
    let rep: SumRep = "T0 + T1 + T2".parse().unwrap();
    let projector = Projector::for_weights(&parse("O(2)_xy"), &rep, &rep, &cache).unwrap();
    let trace: f64 = projector.dense_matrix().diag().sum();
    assert!((trace - projector.rank() as f64).abs() < 1e-12);
}

#[test]
fn residual_is_complement() {
    let cache = BasisCache::new();
    let rep: SumRep = "T0 + T1".parse().unwrap();
    let projector = Projector::for_weights(&Group::so(3), &rep, &rep, &cache).unwrap();
    let w = gaussian(4, 4, &mut rng_from_seed(2));
    let (residual, penalty) = projector.residual(w.view());
    let expected = &w - &projector.project(w.view());
    assert!(max_diff(residual.view(), expected.view()) < 1e-15);
    let half_norm_sq = 0.5 * expected.iter().map(|v| v * v).sum::<f64>();
    assert!((penalty - half_norm_sq).abs() < 1e-14);
}

#[test]
fn linear_operator_applies_projection() {
    let cache = BasisCache::new();
    let rep: SumRep = "T0 + T1".parse().unwrap();
    let projector = Projector::for_weights(&Group::o(3), &rep, &rep, &cache).unwrap();
    let w = gaussian(4, 4, &mut rng_from_seed(3));
    let op: &dyn LinearOperator<f64> = &projector;
    assert_eq!(op.apply(w.view()), projector.project(w.view()));
    assert_eq!(op.apply_transpose(w.view()), projector.project(w.view()));
    assert_eq!(op.output_shape((4, 4)).unwrap(), (4, 4));
    assert!(op.output_shape((4, 3)).is_err());
}

#[test]
fn levi_civita_map_is_kept() {
    // The cross product T2 -> T1, W[i, 3 j + k] = eps_ijk in the row-major flattening, is
    // SO(3)-equivariant, so the projector must leave it unchanged.
    let mut w = Array2::<f64>::zeros((3, 9));
    for (i, j, k, v) in [
        (0, 1, 2, 1.0),
        (1, 2, 0, 1.0),
        (2, 0, 1, 1.0),
        (0, 2, 1, -1.0),
        (2, 1, 0, -1.0),
        (1, 0, 2, -1.0),
    ] {
        w[[i, 3 * j + k]] = v;
    }
    let cache = BasisCache::new();
    let projector = Projector::for_weights(
        &Group::so(3),
        &SumRep::from(t(2)),
        &SumRep::from(t(1)),
        &cache,
    )
    .unwrap();
    assert!(max_diff(projector.project(w.view()).view(), w.view()) < 1e-14);
}

#[test]
fn tensor_with_identity_map_is_kept_under_gl() {
    // x -> x (x) I maps T1 to T(2,1): W[9 a + 3 b + c, i] = delta_ai delta_bc pairs the dual
    // factor c with the primal factor b, which GL(3) preserves.
    let mut w = Array2::<f64>::zeros((27, 3));
    let mut swapped = Array2::<f64>::zeros((27, 3));
    for i in 0..3 {
        for b in 0..3 {
            w[[9 * i + 3 * b + b, i]] = 1.0;
            // delta_ab x_c pairs two primal factors, which GL(3) does not preserve.
            swapped[[9 * b + 3 * b + i, i]] = 1.0;
        }
    }
    let cache = BasisCache::new();
    let projector = Projector::for_weights(
        &Group::gl(3),
        &SumRep::from(t(1)),
        &SumRep::from(TensorType::new(2, 1)),
        &cache,
    )
    .unwrap();
    assert!(max_diff(projector.project(w.view()).view(), w.view()) < 1e-13);
    assert!(max_diff(projector.project(swapped.view()).view(), swapped.view()) > 0.1);
}

#[test]
fn mixed_block_order_under_gl() {
    // T(1,1) -> T(1,1) blocks have factor order primal, dual, dual, primal, which differs from
    // the canonical T(2,2) order; the identity map and the trace map must both survive.
    let mut identity = Array2::<f64>::zeros((9, 9));
    let mut trace = Array2::<f64>::zeros((9, 9));
    for a in 0..3 {
        for b in 0..3 {
            identity[[3 * a + b, 3 * a + b]] = 1.0;
            trace[[3 * a + a, 3 * b + b]] = 1.0;
        }
    }
    let cache = BasisCache::new();
    let rep = SumRep::from(TensorType::new(1, 1));
    let projector = Projector::for_weights(&Group::gl(3), &rep, &rep, &cache).unwrap();
    assert_eq!(projector.rank(), 2);
    assert!(max_diff(projector.project(identity.view()).view(), identity.view()) < 1e-13);
    assert!(max_diff(projector.project(trace.view()).view(), trace.view()) < 1e-13);
}

#[test]
fn bias_keeps_only_invariants() {
    let cache = BasisCache::new();
    let rep: SumRep = "2 T0 + T1 + T2".parse().unwrap();
    let projector = Projector::for_bias(&Group::o(3), &rep, &cache).unwrap();
    assert_eq!(projector.shape(), (14, 1));
    assert_eq!(projector.rank(), 3);
    let b = gaussian(14, 1, &mut rng_from_seed(4)).remove_axis(ndarray::Axis(1));
    let projected = projector.project_vector(b.view());
    assert_eq!(projected[0], b[0]);
    assert!(projected.slice(ndarray::s![2..5]).iter().all(|&v| v == 0.0));
    let trace_part = (b[5] + b[9] + b[13]) / 3.0;
    assert!((projected[5] - trace_part).abs() < 1e-14);
}

#[test]
fn subgroup_projection_stays_in_subgroup_range() {
    let cache = BasisCache::new();
    let rep: SumRep = "T0 + T1 + T2".parse().unwrap();
    for (big, small) in [
        ("O(3)", "O(2)_xy"),
        ("O(3)", "SO(3)"),
        ("SO(3)xScaling", "SO(3)"),
        ("GL(3)", "SL(3)"),
        ("SE(3)", "Rotation(3)"),
    ] {
        let (big, small) = (parse(big), parse(small));
        let rep = if big.dim() == 4 {
            "T0 + T1 + T(1,1)".parse().unwrap()
        } else {
            rep.clone()
        };
        let p_big = Projector::for_weights(&big, &rep, &rep, &cache).unwrap();
        let p_small = Projector::for_weights(&small, &rep, &rep, &cache).unwrap();
        let n = rep.size(big.dim());
        let w = p_big.project(gaussian(n, n, &mut rng_from_seed(5)).view());
        let again = p_small.project(w.view());
        assert!(
            max_diff(again.view(), w.view()) < 1e-13,
            "{big} inside {small}"
        );
        assert!(p_big.rank() <= p_small.rank(), "{big} rank above {small}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn projected_weights_are_equivariant(group_index in 0..CATALOG.len(), seed in any::<u64>()) {
        let group = parse(CATALOG[group_index]);
        let mut rng = rng_from_seed(seed);
        let rep_in = random_rep(&mut rng, 2);
        let rep_out = random_rep(&mut rng, 2);
        let cache = BasisCache::new();
        let projector = Projector::for_weights(&group, &rep_in, &rep_out, &cache).unwrap();
        let d = group.dim();
        let w = projector.project(gaussian(rep_out.size(d), rep_in.size(d), &mut rng).view());
        for sample in 0..3 {
            let error = dense_equivariance_error(&group, &rep_in, &rep_out, w.view(), seed ^ sample);
            prop_assert!(error < 1e-10, "{} {} -> {}: error {:e}", group, rep_in, rep_out, error);
        }
    }

    #[test]
    fn projected_weights_are_equivariant_in_f32(group_index in 0..CATALOG.len(), seed in any::<u64>()) {
        let group = parse(CATALOG[group_index]);
        let mut rng = rng_from_seed(seed);
        let rep_in = random_rep(&mut rng, 2);
        let rep_out = random_rep(&mut rng, 2);
        let cache = BasisCache::new();
        let projector = Projector::for_weights(&group, &rep_in, &rep_out, &cache).unwrap();
        let d = group.dim();
        let w32 = gaussian(rep_out.size(d), rep_in.size(d), &mut rng).mapv(|v| v as f32);
        let w = projector.project(w32.view()).mapv(f64::from);
        let error = dense_equivariance_error(&group, &rep_in, &rep_out, w.view(), seed);
        prop_assert!(error < 1e-5, "{} {} -> {}: error {:e}", group, rep_in, rep_out, error);
    }

    #[test]
    fn projected_bias_is_invariant(group_index in 0..CATALOG.len(), seed in any::<u64>()) {
        let group = parse(CATALOG[group_index]);
        let mut rng = rng_from_seed(seed);
        let rep = random_rep(&mut rng, 3);
        let cache = BasisCache::new();
        let projector = Projector::for_bias(&group, &rep, &cache).unwrap();
        let b = projector.project(gaussian(rep.size(group.dim()), 1, &mut rng).view());
        let error = dense_equivariance_error(&group, &SumRep::scalars(1), &rep, b.view(), seed);
        prop_assert!(error < 1e-10, "{} bias {}: error {:e}", group, rep, error);
    }
}

#[test]
fn per_allocation_width_table() {
    let cases = [
        (128, "54 T0 + 18 T1 + 6 T2 + 2 T3", 216, 242),
        (384, "108 T0 + 36 T1 + 12 T2 + 4 T3", 432, 484),
        (89, "36 T0 + 12 T1 + 4 T2", 108, 124),
        (269, "81 T0 + 27 T1 + 9 T2 + 3 T3", 324, 363),
    ];
    let group = Group::o(3);
    for (ch, expected, width, gated_width) in cases {
        let rep = per_allocation(ch, 3);
        assert_eq!(rep.to_string(), expected, "ch {ch} layout");
        assert_eq!(rep.size(3), width, "ch {ch} width");
        assert_eq!(
            gated(&rep, &group).size(3),
            gated_width,
            "ch {ch} gated width"
        );
    }
}

#[test]
fn per_allocation_of_zero_is_empty() {
    assert_eq!(per_allocation(0, 3).size(3), 0);
}

#[test]
fn emlp_allocation_under_o3() {
    let group = Group::o(3);
    let mut rng = rng_from_seed(0);
    assert_eq!(
        emlp_allocation(128, &group, &mut rng).to_string(),
        "38 T0 + 12 T1 + 3 T2 + T3"
    );
    assert_eq!(
        emlp_allocation(384, &group, &mut rng).to_string(),
        "102 T0 + 34 T1 + 11 T2 + 3 T3"
    );
}

#[test]
fn emlp_allocation_splits_mixed_types() {
    let group = Group::gl(3);
    let a = emlp_allocation(128, &group, &mut rng_from_seed(9));
    let b = emlp_allocation(128, &group, &mut rng_from_seed(9));
    assert_eq!(a, b, "same seed, same allocation");
    assert_eq!(a.size(3), 128);
    assert!(a.terms().iter().any(|(ty, _)| ty.q > 0), "{a}");
}

#[test]
fn gated_appends_gates_after_values() {
    let rep = per_allocation(128, 3);
    let gated_rep = gated(&rep, &Group::o(3));
    assert_eq!(gated_rep.to_string(), "54 T0 + 18 T1 + 6 T2 + 2 T3 + 26 T0");
}

#[test]
fn gated_permutation_group_needs_no_gates() {
    let rep: SumRep = "2 T0 + 3 T1".parse().unwrap();
    assert_eq!(gated(&rep, &Group::symmetric(3)), rep);
}

#[test]
fn gate_indices_point_to_gates() {
    let rep: SumRep = "2 T0 + 2 T1 + T2".parse().unwrap();
    let indices = gate_indices(&rep, &Group::o(3));
    // Values: scalars 0-1, vectors 2-4 and 5-7, matrix 8-16; gates 17, 18, 19.
    let mut expected = vec![0, 1];
    expected.extend([17; 3]);
    expected.extend([18; 3]);
    expected.extend([19; 9]);
    assert_eq!(indices, expected);
}

#[test]
fn sum_rep_serde_round_trip() {
    let rep = gated(&per_allocation(128, 3), &Group::o(3));
    let json = serde_json::to_string(&rep).unwrap();
    let back: SumRep = serde_json::from_str(&json).unwrap();
    assert_eq!(back, rep);
}

#[test]
fn hidden_layer_projection_is_equivariant() {
    // The PER hidden layer has T3 -> T3 blocks (729 entries), which take the orbit path.
    let hidden = per_allocation(128, 3);
    let cache = BasisCache::new();
    for name in ["O(3)", "O(2)_xz", "SO(3)xScaling"] {
        let group = parse(name);
        let hidden_gated = gated(&hidden, &group);
        let projector = Projector::for_weights(&group, &hidden, &hidden_gated, &cache).unwrap();
        let w = projector.project(gaussian(242, 216, &mut rng_from_seed(30)).view());
        let again = projector.project(w.view());
        assert!(max_diff(again.view(), w.view()) < 1e-12, "{name}: P^2 = P");
        let error = dense_equivariance_error(&group, &hidden, &hidden_gated, w.view(), 31);
        assert!(error < 1e-10, "{name}: error {error:e}");
    }
}

#[test]
fn hidden_layer_projection_in_f32_matches_f64() {
    let hidden = per_allocation(128, 3);
    let group = parse("O(2)_xy");
    let cache = BasisCache::new();
    let projector =
        Projector::for_weights(&group, &hidden, &gated(&hidden, &group), &cache).unwrap();
    let w = gaussian(242, 216, &mut rng_from_seed(32));
    let p64 = projector.project(w.view());
    let p32 = projector
        .project(w.mapv(|v| v as f32).view())
        .mapv(f64::from);
    assert!(relative_diff(p32.view(), p64.view()) < 1e-6);
}
