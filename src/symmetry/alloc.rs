//! Allocation of hidden channels to tensor types, and gated representations.
//!
//! Two rules turn a channel budget `ch` on R^d into a [`SumRep`]:
//!
//! - PER's rule ([`per_allocation`]): `r*` is the largest `r` with `(r + 1) d^r <= ch`. While
//!   channels remain, add `d^(r* - k)` copies of `T(k)` for `k = 0..=r*` and subtract
//!   `(r* + 1) d^r*`; `r*` is not recomputed, so the width rounds up. The layout is the same
//!   for every candidate group because rank-k tensors are `T(k, 0)` for all groups.
//! - EMLP's rule ([`emlp_allocation`]): the same rounds, but `r*` is recomputed for the
//!   channels left after each round, and the `N_k` rank-k tensors are split over
//!   `T(i, k - i)`: `floor(N_k / 2^k) binom(k, i)` copies of each, plus `N_k mod 2^k` more
//!   whose `i` is drawn from Binomial(k, 1/2) with the given generator.
//!
//! Both return terms sorted by rank, merged per type, and within a rank by decreasing `p`
//! (`T(k, 0)` first). For orthogonal groups `T(i, k - i)` is written `T(k)`.
//!
//! The gated representation ([`gated`]) appends one scalar gate per copy that needs one after
//! all value channels, as a final `n T0` term.

use rand::RngExt;

use super::group::Group;
use super::rep::{SumRep, TensorType};
use crate::rng::SeededRng;

/// Returns the largest `r` with `(r + 1) d^r <= ch`, or `None` when `ch == 0`.
fn max_rank(ch: usize, d: usize) -> Option<usize> {
    if ch == 0 {
        return None;
    }
    let mut r = 0usize;
    // (r + 2) d^(r + 1) is the cost of the next rank up; stop before it exceeds ch (an
    // overflowing cost exceeds every ch).
    loop {
        let next_cost = d
            .checked_pow((r + 1) as u32)
            .and_then(|power| power.checked_mul(r + 2));
        match next_cost {
            Some(cost) if cost <= ch => r += 1,
            _ => return Some(r),
        }
    }
}

/// PER's allocation of `ch` channels on R^d: counts of `T(k)` for `k = 0..=r*`, rounding the
/// width up (see the module documentation).
///
/// # Panics
/// If `d` is zero.
pub fn per_allocation(ch: usize, d: usize) -> SumRep {
    assert!(d >= 1, "per_allocation needs d >= 1");
    let Some(r_star) = max_rank(ch, d) else {
        return SumRep::default();
    };
    let mut counts = vec![0usize; r_star + 1];
    let round = (r_star + 1) * d.pow(r_star as u32);
    let rounds = ch.div_ceil(round);
    for (k, count) in counts.iter_mut().enumerate() {
        *count = rounds * d.pow((r_star - k) as u32);
    }
    SumRep::new(
        counts
            .into_iter()
            .enumerate()
            .map(|(k, m)| (TensorType::rank_k(k), m)),
    )
}

/// EMLP's allocation of `ch` channels for `group` (see the module documentation); the
/// binomial remainder draws from `rng`.
pub fn emlp_allocation(ch: usize, group: &Group, rng: &mut SeededRng) -> SumRep {
    let d = group.dim();
    let mut counts: Vec<usize> = Vec::new();
    let mut left = ch;
    while let Some(r_star) = max_rank(left, d) {
        if counts.len() <= r_star {
            counts.resize(r_star + 1, 0);
        }
        for (k, count) in counts.iter_mut().enumerate().take(r_star + 1) {
            *count += d.pow((r_star - k) as u32);
        }
        left = left.saturating_sub((r_star + 1) * d.pow(r_star as u32));
    }

    let mut terms: Vec<(TensorType, usize)> = Vec::new();
    for (k, &n_k) in counts.iter().enumerate() {
        // copies[i] counts T(i, k - i).
        let mut copies = vec![0usize; k + 1];
        let even = n_k >> k;
        for (i, c) in copies.iter_mut().enumerate() {
            *c = even * binomial(k, i);
        }
        for _ in 0..n_k % (1usize << k) {
            let i = (0..k).filter(|_| rng.random_bool(0.5)).count();
            copies[i] += 1;
        }
        if group.is_orthogonal() {
            terms.push((TensorType::rank_k(k), copies.iter().sum()));
        } else {
            for i in (0..=k).rev() {
                terms.push((TensorType::new(i, k - i), copies[i]));
            }
        }
    }
    SumRep::new(terms)
}

fn binomial(n: usize, k: usize) -> usize {
    (0..k).fold(1, |acc, i| acc * (n - i) / (i + 1))
}

/// True when a copy of `ty` carries no gate: scalars, and every type of a permutation group
/// (whose representations permute coordinates, so a pointwise nonlinearity commutes with them).
fn gates_itself(ty: TensorType, group: &Group) -> bool {
    ty.is_scalar() || group.is_permutation()
}

/// `rep` followed by one scalar gate for each copy that is neither a scalar nor a
/// permutation representation, as a final `n T0` term (omitted when `n == 0`).
///
/// The gates are in the order of the copies they belong to.
pub fn gated(rep: &SumRep, group: &Group) -> SumRep {
    let gates = rep
        .terms()
        .iter()
        .filter(|(ty, _)| !gates_itself(*ty, group))
        .map(|(_, m)| m)
        .sum();
    rep.concat(&SumRep::scalars(gates))
}

/// For each value channel `0..rep.size(d)` of `gated(rep, group)`, the index of the channel
/// whose sigmoid scales it: the channel itself for scalars and permutation representations,
/// otherwise the gate of its copy, `rep.size(d) + (number of gated copies before it)`.
pub fn gate_indices(rep: &SumRep, group: &Group) -> Vec<usize> {
    let d = group.dim();
    let values = rep.size(d);
    let mut indices = Vec::with_capacity(values);
    let mut next_gate = values;
    for copy in rep.copies(d) {
        if gates_itself(copy.ty, group) {
            indices.extend(copy.offset..copy.offset + copy.size);
        } else {
            indices.extend(std::iter::repeat_n(next_gate, copy.size));
            next_gate += 1;
        }
    }
    indices
}
