//! Model zoo: parameter counts against the authors' models, exact equivariance of EMLP and of
//! projected PER networks, and reproducibility from the seed.

use ndarray::Array2;
use rand_distr::{Distribution, StandardNormal};
use softeq::nn::bilinear::CopySampling;
use softeq::nn::equivariance::relative_equivariance_error;
use softeq::nn::gate::GateKind;
use softeq::nn::network::{EquivariantNet, NetConfig, NetKind, NetSpec, PerInit};
use softeq::symmetry::BasisCache;

fn spec(kind: NetKind, rep_in: &str, rep_out: &str, groups: &[&str], ch: usize) -> NetSpec {
    NetSpec {
        kind,
        rep_in: rep_in.into(),
        rep_out: rep_out.into(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        ch,
        blocks: 3,
        gate: if kind == NetKind::Emlp {
            GateKind::Plain
        } else {
            GateKind::Residual
        },
        bilinear: true,
        copy_sampling: CopySampling::Distinct,
        per_init: PerInit::Plain,
        seed: 7,
    }
}

fn build(spec: NetSpec) -> EquivariantNet<f64> {
    let cache = BasisCache::new();
    EquivariantNet::new(NetConfig::from_spec(spec).unwrap(), &cache).unwrap()
}

fn random(rows: usize, cols: usize, seed: u64) -> Array2<f64> {
    let mut rng = softeq::rng::rng_from_seed(seed);
    Array2::from_shape_simple_fn((rows, cols), || StandardNormal.sample(&mut rng))
}

const INERTIA_PER_GROUPS: [&str; 4] = ["O(3)", "O(2)_xy", "O(2)_yz", "O(2)_xz"];

#[test]
fn per_inertia_parameter_count_matches_authors() {
    let net = build(spec(
        NetKind::Per,
        "5T0+5T1",
        "T2",
        &INERTIA_PER_GROUPS,
        128,
    ));
    assert_eq!(net.params().num_scalars(), 164_959);
}

#[test]
fn emlp_inertia_parameter_count_matches_authors() {
    let net = build(spec(NetKind::Emlp, "5T0+5T1", "T2", &["O(3)"], 128));
    assert_eq!(net.params().num_scalars(), 57_753);
}

#[test]
fn rpp_inertia_parameter_count_matches_authors() {
    let net = build(spec(NetKind::Rpp, "5T0+5T1", "T2", &["O(3)"], 128));
    assert_eq!(net.params().num_scalars(), 277_022);
}

fn emlp_error(rep_in: &str, rep_out: &str, group: &str, ch: usize) -> f64 {
    let net = build(spec(NetKind::Emlp, rep_in, rep_out, &[group], ch));
    let x = random(16, net.rep_in().size(3), 3);
    relative_equivariance_error(
        |x| net.predict(x),
        &net.groups()[0],
        net.rep_in(),
        net.rep_out(),
        x.view(),
        4,
        11,
    )
    .unwrap()
}

#[test]
fn emlp_o3_inertia_is_equivariant() {
    let err = emlp_error("5T0+5T1", "T2", "O(3)", 32);
    assert!(err < 1e-10, "relative error {err:e}");
}

#[test]
fn emlp_embedded_o2_motion_is_equivariant() {
    for group in ["O(2)_xy", "O(2)_yz", "O(2)_xz"] {
        let err = emlp_error("6T1", "6T1", group, 32);
        assert!(err < 1e-10, "{group}: relative error {err:e}");
    }
}

#[test]
fn emlp_so3_scaling_cossim_is_equivariant() {
    let err = emlp_error("3T1", "T0", "SO(3)xScaling", 32);
    assert!(err < 1e-10, "relative error {err:e}");
}

fn per_spec(gate: GateKind) -> NetSpec {
    let mut s = spec(NetKind::Per, "5T0+5T1", "T2", &INERTIA_PER_GROUPS, 32);
    s.gate = gate;
    s
}

fn error_under(net: &EquivariantNet<f64>, group_index: usize) -> f64 {
    let x = random(16, net.rep_in().size(3), 5);
    relative_equivariance_error(
        |x| net.predict(x),
        &net.groups()[group_index],
        net.rep_in(),
        net.rep_out(),
        x.view(),
        4,
        13,
    )
    .unwrap()
}

#[test]
fn per_projected_onto_subgroup_is_equivariant_to_it() {
    for (j, name) in INERTIA_PER_GROUPS.iter().enumerate().skip(1) {
        let mut net = build(per_spec(GateKind::Plain));
        net.project_onto(j).unwrap();
        let err = error_under(&net, j);
        assert!(err < 1e-10, "{name}: relative error {err:e}");
    }
}

#[test]
fn per_projected_onto_subgroup_is_not_o3_equivariant() {
    let mut net = build(per_spec(GateKind::Plain));
    net.project_onto(1).unwrap();
    let err = error_under(&net, 0);
    assert!(
        err > 1e-3,
        "O(3) error {err:e} is too small for an O(2)_xy-projected network"
    );
}

#[test]
fn per_projected_onto_full_group_is_equivariant_to_all() {
    let mut net = build(per_spec(GateKind::Plain));
    net.project_onto(0).unwrap();
    for (j, name) in INERTIA_PER_GROUPS.iter().enumerate() {
        let err = error_under(&net, j);
        assert!(err < 1e-10, "{name}: relative error {err:e}");
    }
}

#[test]
fn per_unprojected_is_not_equivariant() {
    let net = build(per_spec(GateKind::Plain));
    assert!(error_under(&net, 1) > 1e-3);
}

#[test]
fn per_residual_gate_breaks_equivariance() {
    // The residual swish term is not equivariant even with projected weights.
    let mut net = build(per_spec(GateKind::Residual));
    net.project_onto(1).unwrap();
    let err = error_under(&net, 1);
    assert!(err > 1e-8 && err < 1e-1, "relative error {err:e}");
}

#[test]
fn same_seed_builds_identical_models() {
    let a = build(per_spec(GateKind::Residual));
    let b = build(per_spec(GateKind::Residual));
    for id in a.params().ids() {
        assert_eq!(
            a.params().get(id),
            b.params().get(id),
            "{}",
            a.params().name(id)
        );
    }
    assert_eq!(a.config(), b.config());
}

#[test]
fn different_seeds_build_different_models() {
    let mut s = per_spec(GateKind::Residual);
    let a = build(s.clone());
    s.seed += 1;
    let b = build(s);
    let id = a.params().ids().next().unwrap();
    assert_ne!(a.params().get(id), b.params().get(id));
}
