//! Equivariant subspace dimensions of every layer of the PER networks of Kim et al.,
//! "Regularizing Towards Soft Equivariance Under Mixed Symmetries" (ICML 2023), as projector
//! ranks. The expected values are exact integers computed with emlp 1.0.3, the library the
//! authors built on, with its basis cache cleared before each group.

use softeq::symmetry::{
    BasisCache, Group, Projector, SumRep, TensorType, emlp_allocation, gated, per_allocation,
};

/// Ranks of one network under one group: L0 weights, hidden bias, L1/L2 weights, L3 weights,
/// L3 bias.
struct Expected {
    group: &'static str,
    l0: usize,
    hidden_bias: usize,
    hidden: usize,
    l3: usize,
    l3_bias: usize,
}

fn check_network(input: &SumRep, output: &SumRep, hidden: &SumRep, expected: &[Expected]) {
    for row in expected {
        let group = Group::parse(row.group).unwrap();
        let cache = BasisCache::new();
        let hidden_gated = gated(hidden, &group);
        let rank = |rep_in: &SumRep, rep_out: &SumRep| {
            Projector::for_weights(&group, rep_in, rep_out, &cache)
                .unwrap()
                .rank()
        };
        let bias_rank =
            |rep_out: &SumRep| Projector::for_bias(&group, rep_out, &cache).unwrap().rank();
        assert_eq!(
            rank(input, &hidden_gated),
            row.l0,
            "{} L0 weights",
            row.group
        );
        assert_eq!(
            bias_rank(&hidden_gated),
            row.hidden_bias,
            "{} hidden bias",
            row.group
        );
        assert_eq!(
            rank(hidden, &hidden_gated),
            row.hidden,
            "{} L1/L2 weights",
            row.group
        );
        assert_eq!(rank(hidden, output), row.l3, "{} L3 weights", row.group);
        assert_eq!(bias_rank(output), row.l3_bias, "{} L3 bias", row.group);
    }
}

fn t(k: usize) -> TensorType {
    TensorType::rank_k(k)
}

#[test]
fn per_inertia_ranks() {
    let input = SumRep::new([(t(0), 5), (t(1), 5)]);
    let output = SumRep::from(t(2));
    let hidden = per_allocation(128, 3);
    let expected = [
        Expected {
            group: "O(3)",
            l0: 550,
            hidden_bias: 86,
            hidden: 5832,
            l3: 72,
            l3_bias: 1,
        },
        Expected {
            group: "O(2)_xy",
            l0: 1390,
            hidden_bias: 118,
            hidden: 12912,
            l3: 292,
            l3_bias: 2,
        },
        Expected {
            group: "O(2)_yz",
            l0: 1390,
            hidden_bias: 118,
            hidden: 12912,
            l3: 292,
            l3_bias: 2,
        },
        Expected {
            group: "O(2)_xz",
            l0: 1390,
            hidden_bias: 118,
            hidden: 12912,
            l3: 292,
            l3_bias: 2,
        },
    ];
    check_network(&input, &output, &hidden, &expected);
}

#[test]
fn per_cosine_similarity_ranks() {
    let input = SumRep::copies_of(t(1), 3);
    let output = SumRep::scalars(1);
    let hidden = per_allocation(128, 3);
    let expected = [
        Expected {
            group: "SO(3)xScaling",
            l0: 54,
            hidden_bias: 80,
            hidden: 4812,
            l3: 54,
            l3_bias: 1,
        },
        Expected {
            group: "SO(3)",
            l0: 90,
            hidden_bias: 88,
            hidden: 6460,
            l3: 62,
            l3_bias: 1,
        },
        Expected {
            group: "Scaling(3)",
            l0: 486,
            hidden_bias: 80,
            hidden: 13068,
            l3: 54,
            l3_bias: 1,
        },
    ];
    check_network(&input, &output, &hidden, &expected);
}

#[test]
fn per_motion_ranks() {
    let input = SumRep::copies_of(t(1), 6);
    let output = SumRep::copies_of(t(1), 6);
    let hidden = per_allocation(384, 3);
    let expected = [
        Expected {
            group: "O(3)",
            l0: 288,
            hidden_bias: 172,
            hidden: 23328,
            l3: 288,
            l3_bias: 0,
        },
        Expected {
            group: "O(2)_xy",
            l0: 1920,
            hidden_bias: 236,
            hidden: 51648,
            l3: 1608,
            l3_bias: 6,
        },
        Expected {
            group: "O(2)_yz",
            l0: 1920,
            hidden_bias: 236,
            hidden: 51648,
            l3: 1608,
            l3_bias: 6,
        },
        Expected {
            group: "O(2)_xz",
            l0: 1920,
            hidden_bias: 236,
            hidden: 51648,
            l3: 1608,
            l3_bias: 6,
        },
    ];
    check_network(&input, &output, &hidden, &expected);
}

#[test]
fn emlp_inertia_ranks() {
    let group = Group::o(3);
    let mut rng = softeq::rng::rng_from_seed(0);
    let hidden = emlp_allocation(128, &group, &mut rng);
    let input = SumRep::new([(t(0), 5), (t(1), 5)]);
    let output = SumRep::from(t(2));
    let expected = [Expected {
        group: "O(3)",
        l0: 360,
        hidden_bias: 57,
        hidden: 2586,
        l3: 47,
        l3_bias: 1,
    }];
    check_network(&input, &output, &hidden, &expected);
}
