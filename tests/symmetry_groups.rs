//! Groups: catalog, parser, structural identity, sampling, and the representation maps
//! `rho` and `drho`.

mod common;

use std::collections::HashSet;

use common::{CATALOG, max_diff, random_rep, relative_diff};
use ndarray::{Array2, array};
use proptest::prelude::*;
use softeq::linalg::{expm, inverse};
use softeq::rng::rng_from_seed;
use softeq::symmetry::{Group, SumRep, SymmetryError, TensorType};

fn parse(name: &str) -> Group {
    Group::parse(name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn parse_catalog_dimensions() {
    let cases = [
        ("O(3)", 3, 3, 1),
        ("SO(3)", 3, 3, 0),
        ("O(2)_xy", 3, 1, 1),
        ("SO(2)_xz", 3, 1, 0),
        ("Scaling(3)", 3, 1, 0),
        ("SO(3)xScaling", 3, 4, 0),
        ("Reflect(3)", 3, 0, 1),
        ("S(4)", 4, 0, 3),
        ("Z(4)", 4, 0, 1),
        ("SE(3)", 4, 6, 0),
        ("Trivial(3)", 3, 0, 0),
        ("GL(3)", 3, 9, 0),
        ("SL(3)", 3, 8, 0),
        ("O(2)", 2, 1, 1),
        ("SO(2)", 2, 1, 0),
        ("Reflect_x(2)", 2, 0, 1),
        ("Reflect_yz(3)", 3, 0, 2),
        ("Rotation(3)", 4, 3, 0),
        ("Translation(2)", 3, 2, 0),
        ("O(2)_xy(4)", 4, 1, 1),
        ("O_yz", 3, 1, 1),
        ("so(3) x scaling", 3, 4, 0),
        ("Reflect_zxScaling(3)", 3, 1, 1),
    ];
    for (name, dim, lie, discrete) in cases {
        let g = parse(name);
        assert_eq!(g.dim(), dim, "{name} dimension");
        assert_eq!(
            g.lie_generators().len(),
            lie,
            "{name} Lie-algebra generators"
        );
        assert_eq!(
            g.discrete_generators().len(),
            discrete,
            "{name} discrete generators"
        );
    }
}

#[test]
fn parse_matches_constructors() {
    assert_eq!(parse("O(3)"), Group::o(3));
    assert_eq!(parse("O(2)_yz"), Group::o(2).embed(3, &[1, 2]).unwrap());
    assert_eq!(
        parse("SO(3)xScaling"),
        Group::union(&[Group::so(3), Group::scaling(3)]).unwrap()
    );
    assert_eq!(parse("SE(3)"), Group::se(3));
    assert_eq!(parse("Reflect_x(2)"), Group::reflect(2));
}

#[test]
fn parse_names_round_trip() {
    for name in CATALOG {
        let g = parse(name);
        assert_eq!(parse(g.name()), g, "{name} printed as {}", g.name());
    }
}

#[test]
fn parse_rejects_unknown_names() {
    for bad in [
        "",
        "Foo(3)",
        "O(",
        "O(3",
        "O(x)",
        "O(2)_q",
        "O(2)_x",
        "O(3)xSO(2)",
        "Scaling",
        "O(3)+",
    ] {
        let err = Group::parse(bad).unwrap_err();
        assert!(
            matches!(err, SymmetryError::UnknownGroup { .. }),
            "{bad}: {err}"
        );
        assert!(err.to_string().contains("valid names"), "{bad}: {err}");
    }
}

#[test]
fn embedded_groups_are_distinct() {
    let groups = ["O(2)_xy", "O(2)_yz", "O(2)_xz"].map(parse);
    assert_ne!(groups[0], groups[1]);
    assert_ne!(groups[0], groups[2]);
    assert_ne!(groups[1], groups[2]);
    let keys: HashSet<_> = groups.iter().map(|g| g.key().clone()).collect();
    assert_eq!(keys.len(), 3);
}

#[test]
fn identity_ignores_display_name() {
    let renamed = Group::o(3).renamed("something else");
    assert_eq!(renamed, Group::o(3));
}

#[test]
fn orthogonal_and_permutation_flags() {
    let cases = [
        ("O(3)", true, false),
        ("O(2)_xy", true, false),
        ("SO(3)xScaling", false, false),
        ("Scaling(3)", false, false),
        ("GL(3)", false, false),
        ("SE(3)", false, false),
        ("S(4)", true, true),
        ("Z(5)", true, true),
        ("Reflect(3)", true, false),
        ("Trivial(3)", true, true),
    ];
    for (name, orthogonal, permutation) in cases {
        let g = parse(name);
        assert_eq!(g.is_orthogonal(), orthogonal, "{name} orthogonal");
        assert_eq!(g.is_permutation(), permutation, "{name} permutation");
    }
}

#[test]
fn sample_is_reproducible() {
    let g = Group::o(3);
    let a = g.sample(&mut rng_from_seed(5));
    let b = g.sample(&mut rng_from_seed(5));
    assert_eq!(a, b);
}

#[test]
fn sample_so3_is_rotation() {
    let mut rng = rng_from_seed(1);
    for _ in 0..20 {
        let g = Group::so(3).sample(&mut rng);
        let gt_g = g.t().dot(&g);
        assert!(max_diff(gt_g.view(), Array2::<f64>::eye(3).view()) < 1e-12);
        let det = g[[0, 0]] * (g[[1, 1]] * g[[2, 2]] - g[[1, 2]] * g[[2, 1]])
            - g[[0, 1]] * (g[[1, 0]] * g[[2, 2]] - g[[1, 2]] * g[[2, 0]])
            + g[[0, 2]] * (g[[1, 0]] * g[[2, 1]] - g[[1, 1]] * g[[2, 0]]);
        assert!((det - 1.0).abs() < 1e-12, "det {det}");
    }
}

#[test]
fn sample_embedded_o2_fixes_its_axis() {
    let mut rng = rng_from_seed(2);
    for (name, axis) in [("O(2)_xy", 2), ("O(2)_yz", 0), ("O(2)_xz", 1)] {
        let g = parse(name).sample(&mut rng);
        let mut e = Array2::<f64>::zeros((3, 1));
        e[[axis, 0]] = 1.0;
        assert!(max_diff(g.dot(&e).view(), e.view()) < 1e-14, "{name}");
    }
}

#[test]
fn sample_reaches_reflections() {
    let mut rng = rng_from_seed(3);
    let dets: HashSet<i32> = (0..40)
        .map(|_| {
            let g = Group::reflect(3).sample(&mut rng);
            g.diag().product().round() as i32
        })
        .collect();
    assert_eq!(dets, HashSet::from([-1, 1]));
}

#[test]
fn rho_vector_is_element() {
    let g = array![[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 2.0]];
    assert_eq!(TensorType::VECTOR.rho(g.view()).unwrap(), g);
}

#[test]
fn rho_covector_is_inverse_transpose() {
    let g = array![[2.0, 1.0], [0.0, 1.0]];
    let expected = inverse(g.view()).unwrap().reversed_axes();
    let rho = TensorType::new(0, 1).rho(g.view()).unwrap();
    assert!(max_diff(rho.view(), expected.view()) < 1e-15);
}

#[test]
fn rho_rejects_non_square_element() {
    let err = TensorType::VECTOR
        .rho(Array2::<f64>::zeros((2, 3)).view())
        .unwrap_err();
    assert!(
        matches!(err, SymmetryError::DimensionMismatch { .. }),
        "{err}"
    );
}

#[test]
fn apply_rho_rows_matches_dense() {
    let g = Group::gl(3).sample(&mut rng_from_seed(4));
    let rep: SumRep = "2 T0 + T1 + T(1,1) + T(0,2)".parse().unwrap();
    let x = common::gaussian(5, rep.size(3), &mut rng_from_seed(6));
    let expected = x.dot(&rep.rho(g.view()).unwrap().t());
    let got = rep.apply_rho_rows(g.view(), x.view()).unwrap();
    assert!(relative_diff(got.view(), expected.view()) < 1e-14);
}

#[test]
fn apply_rho_rows_in_f32() {
    let g = Group::o(3).sample(&mut rng_from_seed(4));
    let rep: SumRep = "T0 + 2 T1 + T2".parse().unwrap();
    let x = common::gaussian(4, rep.size(3), &mut rng_from_seed(6));
    let expected = x.dot(&rep.rho(g.view()).unwrap().t());
    let got = rep
        .apply_rho_rows(g.view(), x.mapv(|v| v as f32).view())
        .unwrap();
    assert!(relative_diff(got.mapv(f64::from).view(), expected.view()) < 1e-6);
}

#[test]
fn apply_rho_rows_rejects_wrong_width() {
    let rep = SumRep::from(TensorType::VECTOR);
    let err = rep
        .apply_rho_rows(
            Array2::<f64>::eye(3).view(),
            Array2::<f64>::zeros((2, 4)).view(),
        )
        .unwrap_err();
    assert!(
        matches!(err, SymmetryError::DimensionMismatch { .. }),
        "{err}"
    );
}

#[test]
fn sum_rep_parse_and_display() {
    let rep: SumRep = "54 T0 + 18 T1 + 6T2 + 2 T3 + 26 T0".parse().unwrap();
    assert_eq!(rep.to_string(), "54 T0 + 18 T1 + 6 T2 + 2 T3 + 26 T0");
    assert_eq!(rep.size(3), 242);
    assert_eq!(rep.num_copies(), 106);
    assert!("5 Q1".parse::<SumRep>().is_err());
}

#[test]
fn sum_rep_copies_offsets() {
    let rep: SumRep = "T1 + 2 T0 + T(1,1)".parse().unwrap();
    let copies: Vec<(usize, usize)> = rep.copies(3).map(|c| (c.offset, c.size)).collect();
    assert_eq!(copies, vec![(0, 3), (3, 1), (4, 1), (5, 9)]);
}

#[test]
fn sum_rep_dual_swaps_factors() {
    let rep: SumRep = "T(2,1) + T0".parse().unwrap();
    assert_eq!(rep.dual().to_string(), "T(1,2) + T0");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn rho_is_homomorphism(group_index in 0..CATALOG.len(), seed in any::<u64>()) {
        let group = parse(CATALOG[group_index]);
        let mut rng = rng_from_seed(seed);
        let rep = random_rep(&mut rng, 3);
        let g1 = group.sample(&mut rng);
        let g2 = group.sample(&mut rng);
        let product = rep.rho(g1.dot(&g2).view()).unwrap();
        let composed = rep.rho(g1.view()).unwrap().dot(&rep.rho(g2.view()).unwrap());
        prop_assert!(relative_diff(product.view(), composed.view()) < 1e-12);
    }

    #[test]
    fn rho_of_inverse_is_inverse(group_index in 0..CATALOG.len(), seed in any::<u64>()) {
        let group = parse(CATALOG[group_index]);
        let mut rng = rng_from_seed(seed);
        let rep = random_rep(&mut rng, 3);
        let g = group.sample(&mut rng);
        let g_inv = inverse(g.view()).unwrap();
        let product = rep.rho(g.view()).unwrap().dot(&rep.rho(g_inv.view()).unwrap());
        let identity = Array2::<f64>::eye(rep.size(group.dim()));
        prop_assert!(max_diff(product.view(), identity.view()) < 1e-10);
    }

    #[test]
    fn drho_is_derivative_of_rho(group_index in 0..CATALOG.len(), seed in any::<u64>()) {
        let group = parse(CATALOG[group_index]);
        prop_assume!(!group.lie_generators().is_empty());
        let mut rng = rng_from_seed(seed);
        let rep = random_rep(&mut rng, 3);
        let mut a = Array2::<f64>::zeros((group.dim(), group.dim()));
        for generator in group.lie_generators() {
            a.scaled_add(rand_distr::Distribution::<f64>::sample(&rand_distr::StandardNormal, &mut rng), generator);
        }
        let h = 1e-5;
        let plus = rep.rho(expm((&a * h).view()).unwrap().view()).unwrap();
        let minus = rep.rho(expm((&a * -h).view()).unwrap().view()).unwrap();
        let central = (plus - minus) / (2.0 * h);
        let exact = rep.drho(a.view());
        prop_assert!(max_diff(central.view(), exact.view()) < 1e-7 * (1.0 + common::norm(exact.view())));
    }
}
