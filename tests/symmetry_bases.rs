//! Equivariant bases: constraint null spaces, known invariant dimensions, the cache.

mod common;

use std::sync::Arc;

use common::{CATALOG, gaussian, max_diff, norm};
use ndarray::{Array2, s};
use proptest::prelude::*;
use softeq::linalg::{LinalgError, NullSpaceTolerance, matmul};
use softeq::rng::rng_from_seed;
use softeq::symmetry::{
    BasisCache, Group, Projector, SumRep, SymmetryError, TensorType, constraint_matrix,
    equivariant_basis,
};

fn parse(name: &str) -> Group {
    Group::parse(name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn invariant_dim(group: &str, ty: TensorType) -> usize {
    equivariant_basis(&parse(group), ty, NullSpaceTolerance::default())
        .unwrap()
        .ncols()
}

fn t(k: usize) -> TensorType {
    TensorType::rank_k(k)
}

#[test]
fn known_invariant_dimensions() {
    let cases = [
        ("O(2)_xy", t(2), 2),
        ("O(2)_yz", t(2), 2),
        ("SO(2)_xy", t(2), 3),
        ("SO(3)", t(3), 1),
        ("O(3)", t(3), 0),
        ("GL(3)", TensorType::new(1, 1), 1),
        ("GL(3)", t(2), 0),
        ("SL(2)", t(2), 1),
        ("SO(3)", t(2), 1),
        ("O(3)", t(4), 3),
        ("O(3)", t(6), 15),
        ("Trivial(3)", t(3), 27),
        ("Scaling(3)", TensorType::new(2, 2), 81),
        ("Scaling(3)", TensorType::new(2, 1), 0),
        ("S(3)", t(1), 1),
        ("S(3)", t(2), 2),
        ("Z(4)", t(1), 1),
        ("SE(3)", t(1), 0),
        ("SE(3)", TensorType::new(0, 1), 1),
    ];
    for (group, ty, expected) in cases {
        assert_eq!(invariant_dim(group, ty), expected, "{ty} under {group}");
    }
}

#[test]
fn zero_size_basis_projects_to_zero() {
    let group = Group::so(3);
    let cache = BasisCache::new();
    let projector = Projector::for_weights(
        &group,
        &SumRep::copies_of(t(1), 2),
        &SumRep::scalars(1),
        &cache,
    )
    .unwrap();
    assert_eq!(projector.rank(), 0);
    let w = gaussian(1, 6, &mut rng_from_seed(0));
    assert_eq!(projector.project(w.view()), Array2::<f64>::zeros((1, 6)));
}

/// Projects a random 3x3 vector-to-vector map under `group`.
fn project_vector_map(group: &str) -> Array2<f64> {
    let cache = BasisCache::new();
    let rep = SumRep::from(t(1));
    let projector = Projector::for_weights(&parse(group), &rep, &rep, &cache).unwrap();
    projector.project(gaussian(3, 3, &mut rng_from_seed(11)).view())
}

fn assert_diagonal_pattern(
    w: &Array2<f64>,
    equal: &[(usize, usize)],
    distinct: &[(usize, usize)],
    what: &str,
) {
    for i in 0..3 {
        for j in 0..3 {
            if i != j {
                assert!(
                    w[[i, j]].abs() < 1e-14,
                    "{what}: entry ({i}, {j}) = {}",
                    w[[i, j]]
                );
            }
        }
    }
    for &(i, j) in equal {
        assert!(
            (w[[i, i]] - w[[j, j]]).abs() < 1e-14,
            "{what}: diagonal {i} and {j} differ"
        );
    }
    for &(i, j) in distinct {
        assert!(
            (w[[i, i]] - w[[j, j]]).abs() > 1e-3,
            "{what}: diagonal {i} and {j} coincide"
        );
    }
}

#[test]
fn vector_map_under_o3_is_multiple_of_identity() {
    assert_diagonal_pattern(&project_vector_map("O(3)"), &[(0, 1), (1, 2)], &[], "O(3)");
}

#[test]
fn vector_map_under_o2_xy() {
    assert_diagonal_pattern(
        &project_vector_map("O(2)_xy"),
        &[(0, 1)],
        &[(0, 2)],
        "O(2)_xy",
    );
}

#[test]
fn vector_map_under_o2_yz() {
    assert_diagonal_pattern(
        &project_vector_map("O(2)_yz"),
        &[(1, 2)],
        &[(0, 1)],
        "O(2)_yz",
    );
}

#[test]
fn vector_map_under_o2_xz() {
    assert_diagonal_pattern(
        &project_vector_map("O(2)_xz"),
        &[(0, 2)],
        &[(0, 1)],
        "O(2)_xz",
    );
}

#[test]
fn vector_bias_under_embedded_o2_keeps_fixed_axis() {
    let cache = BasisCache::new();
    let b = ndarray::array![1.0_f64, 2.0, 3.0];
    for (group, axis) in [("O(2)_xy", 2), ("O(2)_yz", 0), ("O(2)_xz", 1)] {
        let projector = Projector::for_bias(&parse(group), &SumRep::from(t(1)), &cache).unwrap();
        let projected = projector.project_vector(b.view());
        for i in 0..3 {
            let expected = if i == axis { b[i] } else { 0.0 };
            assert!(
                (projected[i] - expected).abs() < 1e-14,
                "{group}: entry {i} = {}",
                projected[i]
            );
        }
    }
}

#[test]
fn embedded_o2_projectors_differ() {
    let cache = BasisCache::new();
    let rep: SumRep = "T0 + T1 + T2".parse().unwrap();
    let dense: Vec<Array2<f64>> = ["O(2)_xy", "O(2)_yz", "O(2)_xz"]
        .iter()
        .map(|g| {
            Projector::for_weights(&parse(g), &rep, &rep, &cache)
                .unwrap()
                .dense_matrix()
        })
        .collect();
    assert!(max_diff(dense[0].view(), dense[1].view()) > 0.1);
    assert!(max_diff(dense[0].view(), dense[2].view()) > 0.1);
    assert!(max_diff(dense[1].view(), dense[2].view()) > 0.1);
}

#[test]
fn cache_keys_embedded_groups_separately() {
    let cache = BasisCache::new();
    for group in ["O(2)_xy", "O(2)_yz", "O(2)_xz"] {
        cache.basis(&parse(group), t(2)).unwrap();
    }
    assert_eq!(cache.len(), 3);
}

#[test]
fn cache_returns_same_basis() {
    let cache = BasisCache::new();
    let first = cache.basis(&Group::o(3), t(4)).unwrap();
    let second = cache.basis(&Group::o(3).renamed("copy"), t(4)).unwrap();
    assert!(Arc::ptr_eq(&first, &second));
    assert_eq!(cache.len(), 1);
}

#[test]
fn cache_canonicalises_orthogonal_types() {
    let cache = BasisCache::new();
    let mixed = cache.basis(&Group::o(3), TensorType::new(1, 1)).unwrap();
    let plain = cache.basis(&Group::o(3), t(2)).unwrap();
    assert!(Arc::ptr_eq(&mixed, &plain));
}

#[test]
fn cache_keeps_mixed_types_of_gl() {
    let cache = BasisCache::new();
    assert_eq!(
        cache
            .basis(&Group::gl(3), TensorType::new(1, 1))
            .unwrap()
            .ncols(),
        1
    );
    assert_eq!(cache.basis(&Group::gl(3), t(2)).unwrap().ncols(), 0);
    assert_eq!(cache.len(), 2);
}

#[test]
fn levi_civita_spans_so3_rank3() {
    let q = equivariant_basis(&Group::so(3), t(3), NullSpaceTolerance::default()).unwrap();
    let column = q.column(0);
    let sign = column[5].signum(); // index of (0, 1, 2)
    let mut epsilon = Array2::<f64>::zeros((27, 1));
    for (i, j, k, value) in [
        (0, 1, 2, 1.0),
        (1, 2, 0, 1.0),
        (2, 0, 1, 1.0),
        (0, 2, 1, -1.0),
        (2, 1, 0, -1.0),
        (1, 0, 2, -1.0),
    ] {
        epsilon[[9 * i + 3 * j + k, 0]] = value / 6f64.sqrt();
    }
    let got = column.to_owned().insert_axis(ndarray::Axis(1)) * sign;
    assert!(max_diff(got.view(), epsilon.view()) < 1e-12);
}

#[test]
fn large_bases_are_orthonormal_null_vectors() {
    for (group, rank) in [
        ("O(3)", 6),
        ("O(2)_xz", 6),
        ("SO(3)xScaling", 6),
        ("SE(3)", 4),
        ("GL(3)", 4),
    ] {
        let group = parse(group);
        let ty = if group.is_orthogonal() {
            t(rank)
        } else {
            TensorType::new(rank / 2, rank / 2)
        };
        let q = equivariant_basis(&group, ty, NullSpaceTolerance::default()).unwrap();
        let c = constraint_matrix(&group, ty).unwrap();
        assert!(
            norm(matmul(c.view(), q.view()).view()) < 1e-11 * norm(c.view()),
            "{group} {ty}: C Q"
        );
        let gram = matmul(q.t(), q.view());
        let identity = Array2::<f64>::eye(q.ncols());
        assert!(
            max_diff(gram.view(), identity.view()) < 1e-12,
            "{group} {ty}: Q^T Q"
        );
    }
}

#[test]
fn basis_is_complete_against_dense_null_space() {
    // The orbit reduction must not lose invariants: compare with a plain dense solve.
    for name in CATALOG {
        let group = parse(name);
        for ty in [t(2), TensorType::new(1, 1), t(3), TensorType::new(2, 1)] {
            let q = equivariant_basis(&group, ty, NullSpaceTolerance::default()).unwrap();
            let c = constraint_matrix(&group, ty).unwrap();
            let dense =
                softeq::linalg::null_space(c.view(), NullSpaceTolerance::default()).unwrap();
            assert_eq!(q.ncols(), dense.ncols(), "{ty} under {name}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn basis_satisfies_constraints(group_index in 0..CATALOG.len(), p in 0usize..4, q in 0usize..3) {
        let group = parse(CATALOG[group_index]);
        let ty = TensorType::new(p, q);
        let basis = equivariant_basis(&group, ty, NullSpaceTolerance::default()).unwrap();
        let c = constraint_matrix(&group, ty).unwrap();
        let residual = norm(matmul(c.view(), basis.view()).view());
        prop_assert!(residual < 1e-11 * norm(c.view()).max(1.0), "C Q = {}", residual);
        let gram = matmul(basis.t(), basis.view());
        let identity = Array2::<f64>::eye(basis.ncols());
        prop_assert!(max_diff(gram.view(), identity.view()) < 1e-12);
        prop_assert_eq!(basis.slice(s![.., ..]).nrows(), ty.size(group.dim()));
    }
}

#[test]
fn basis_without_gap_is_an_error() {
    // rho(h) - I for the shear h = [[1, 3e-4], [0, 1]] has the singular value 3e-4, between the
    // null and non-null thresholds (relative to a norm bound of about 2).
    let shear = ndarray::array![[1.0, 3e-4], [0.0, 1.0]];
    let group = Group::new("shear", 2, vec![], vec![shear]).unwrap();
    let err = equivariant_basis(&group, t(1), NullSpaceTolerance::default()).unwrap_err();
    assert!(
        matches!(
            &err,
            SymmetryError::Basis {
                source: LinalgError::NoSpectralGap { .. },
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn diagonal_generator_without_gap_is_an_error() {
    // Weights 1 and 1e-4 on T1: the small one is neither zero nor clearly non-zero.
    let generator = Array2::from_diag(&ndarray::array![1.0, 1e-4]);
    let group = Group::new("uneven scaling", 2, vec![generator], vec![]).unwrap();
    let err = equivariant_basis(&group, t(1), NullSpaceTolerance::default()).unwrap_err();
    assert!(
        matches!(
            &err,
            SymmetryError::Basis {
                source: LinalgError::NoSpectralGap { .. },
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn cache_is_shared_across_threads() {
    let cache = BasisCache::new();
    let group = Group::o(3);
    let bases: Vec<Arc<Array2<f64>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| cache.basis(&group, t(4)).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(cache.len(), 1);
    let stored = cache.basis(&group, t(4)).unwrap();
    for basis in &bases {
        assert_eq!(basis.as_ref(), stored.as_ref());
    }
}
