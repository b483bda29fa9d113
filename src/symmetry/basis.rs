//! Equivariant bases: orthonormal null spaces of the constraints of a group on `T(p, q)`.
//!
//! A vector `v` of `T(p, q)` is invariant under the group when `drho(A_k) v = 0` for every
//! Lie-algebra generator and `rho(h_l) v = v` for every discrete generator. The solver
//! intersects these constraints from the cheapest to the most expensive:
//!
//! 1. Signed-permutation elements (the discrete generators of that form, plus quarter turns
//!    `exp(t S)` found in the Lie algebra, see `Group`) act on tensor indices as signed
//!    permutations. Their invariant vectors are spanned by one vector per orbit of indices,
//!    with entries `+-1/sqrt(orbit size)`, except orbits whose signs contradict each other.
//! 2. Diagonal Lie-algebra generators (Scaling, the diagonal of GL) act diagonally: an orbit
//!    survives only when every index in it has weight zero.
//! 3. The remaining constraints are applied to that orbit basis `Q0` (n x m) through the
//!    Kronecker structure, never forming a `d^k x d^k` matrix. The null space `V` of the
//!    restricted Gram matrix `sum_k (C_k Q0)^T (C_k Q0)` (m x m) comes from the symmetric
//!    eigensolver, and the basis is `Q0 V`.
//!
//! Thresholds (steps 2 and 3) are relative to an upper bound of the full constraint's spectral
//! norm, `sqrt(sum_k (rank ||A_k||)^2 + sum_l (||h_l||^p ||h_l^{-1}||^q + 1)^2)`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ndarray::{Array2, s};

use super::SymmetryError;
use super::group::{Group, GroupKey, SignedPermutation};
use super::rep::{TensorType, apply_along_axis};
use crate::linalg::{LinalgError, NullSpaceTolerance, matmul, null_space_of_gram};

/// Computes an orthonormal basis (columns) of the invariant vectors of `ty` under `group`,
/// for the factor order of `ty` itself (`p` primal factors, then `q` dual ones).
///
/// The result has `ty.size(d)` rows and as many columns as the dimension of the invariant
/// subspace, possibly zero. It does not consult or fill a cache; see [`BasisCache`].
///
/// # Errors
/// [`SymmetryError::Basis`] if the restricted constraint has no clear spectral gap at
/// `tolerance` or the eigensolver fails.
pub fn equivariant_basis(
    group: &Group,
    ty: TensorType,
    tolerance: NullSpaceTolerance,
) -> Result<Array2<f64>, SymmetryError> {
    let factored = solve_factored(group, ty, tolerance)?;
    Ok(Arc::try_unwrap(factored.q).unwrap_or_else(|shared| shared.as_ref().clone()))
}

/// An equivariant basis `Q` with the factorisation `Q = Q0 V` the solver found.
///
/// `Q0` is the sparse orbit basis (orthonormal columns with disjoint supports). `V` (m x r) is
/// the orthonormal null space of the restricted constraint, or the identity when nothing
/// remained to restrict.
pub(crate) struct FactoredBasis {
    /// The dense basis `Q0 V` (n x r).
    pub(crate) q: Arc<Array2<f64>>,
    /// The columns of `Q0` as `(index, value)` lists.
    pub(crate) orbits: Vec<Vec<(usize, f64)>>,
    /// `V`, or `None` for the identity.
    pub(crate) restricted: Option<Array2<f64>>,
}

/// Solves the basis of `ty` under `group` and keeps its factorisation; see
/// [`equivariant_basis`].
pub(crate) fn solve_factored(
    group: &Group,
    ty: TensorType,
    tolerance: NullSpaceTolerance,
) -> Result<FactoredBasis, SymmetryError> {
    let d = group.dim();
    let rank = ty.rank();
    let n = ty.size(d);
    let word = ty.factor_word();
    let structure = group.structure();

    let scale = constraint_norm_bound(group, ty);
    let basis_error = |source| SymmetryError::Basis {
        group: group.name().to_string(),
        ty,
        source,
    };
    let orbit_basis = orbit_basis(
        d,
        &word,
        &structure.signed_permutations,
        &structure.diagonal_lie,
        scale,
        tolerance,
    )
    .map_err(basis_error)?;
    let m = orbit_basis.len();
    let remaining = structure.general_lie.len() + structure.general_discrete.len();
    let mut q0 = Array2::<f64>::zeros((n, m));
    for (col, entries) in orbit_basis.iter().enumerate() {
        for &(index, value) in entries {
            q0[[index, col]] = value;
        }
    }
    if m == 0 || remaining == 0 {
        return Ok(FactoredBasis {
            q: Arc::new(q0),
            orbits: orbit_basis,
            restricted: None,
        });
    }

    // Restricted constraints C_k Q0, accumulated into their Gram matrix.
    let mut gram = Array2::<f64>::zeros((m, m));
    let q0_flat = q0
        .as_slice()
        .expect("freshly allocated arrays are contiguous");
    for &k in &structure.general_lie {
        let a = &group.lie_generators()[k];
        let neg_at = a.t().mapv(|v| -v);
        let mut image = vec![0.0; n * m];
        for (axis, &dual) in word.iter().enumerate() {
            let factor = if dual { neg_at.view() } else { a.view() };
            apply_along_axis(factor, q0_flat, &mut image, d, rank, axis, m);
        }
        let restricted = Array2::from_shape_vec((n, m), image).expect("n * m entries");
        gram += &matmul(restricted.t(), restricted.view());
    }
    for &l in &structure.general_discrete {
        let h = &group.discrete_generators()[l];
        let h_inv_t = structure.discrete_inverses[l].t().to_owned();
        let mut current = q0_flat.to_vec();
        for (axis, &dual) in word.iter().enumerate() {
            let factor = if dual { h_inv_t.view() } else { h.view() };
            let mut next = vec![0.0; n * m];
            apply_along_axis(factor, &current, &mut next, d, rank, axis, m);
            current = next;
        }
        for (c, q) in current.iter_mut().zip(q0_flat) {
            *c -= q;
        }
        let restricted = Array2::from_shape_vec((n, m), current).expect("n * m entries");
        gram += &matmul(restricted.t(), restricted.view());
    }

    let null = null_space_of_gram(gram.view(), Some(scale), tolerance).map_err(basis_error)?;
    Ok(FactoredBasis {
        q: Arc::new(matmul(q0.view(), null.view())),
        orbits: orbit_basis,
        restricted: Some(null),
    })
}

/// Returns an upper bound of the spectral norm of the full stacked constraint of `ty`:
/// `sqrt(sum_k (rank ||A_k||)^2 + sum_l (||h_l||^p ||h_l^{-1}||^q + 1)^2)`.
fn constraint_norm_bound(group: &Group, ty: TensorType) -> f64 {
    let structure = group.structure();
    let rank = ty.rank() as f64;
    let lie: f64 = structure.lie_norms.iter().map(|n| (rank * n).powi(2)).sum();
    let discrete: f64 = structure
        .discrete_norms
        .iter()
        .map(|(norm, inv_norm)| (norm.powi(ty.p as i32) * inv_norm.powi(ty.q as i32) + 1.0).powi(2))
        .sum();
    (lie + discrete).sqrt()
}

/// The dense stacked constraint of `ty` under `group`: the rows `drho(A_k)` for every
/// Lie-algebra generator followed by `rho(h_l) - I` for every discrete generator.
///
/// It is meant for tests and diagnostics, since its size is `(K d^k) x d^k`.
///
/// # Errors
/// As [`TensorType::rho`].
pub fn constraint_matrix(group: &Group, ty: TensorType) -> Result<Array2<f64>, SymmetryError> {
    let n = ty.size(group.dim());
    let blocks = group.lie_generators().len() + group.discrete_generators().len();
    let mut out = Array2::zeros((blocks * n, n));
    let mut row = 0;
    for a in group.lie_generators() {
        out.slice_mut(s![row..row + n, ..])
            .assign(&ty.drho(a.view()));
        row += n;
    }
    for h in group.discrete_generators() {
        let mut block = ty.rho(h.view())?;
        block -= &Array2::eye(n);
        out.slice_mut(s![row..row + n, ..]).assign(&block);
        row += n;
    }
    Ok(out)
}

/// Returns a sparse orthonormal basis of the vectors fixed by the signed permutations and
/// annihilated by the diagonal generators: one column per surviving orbit, as
/// `(index, value)` lists.
///
/// A diagonal generator's weight at an index is a singular value of its constraint, so it is
/// tested against the same thresholds as the dense null space. Weights up to
/// `null_rel * scale` count as zero and weights from `range_rel * scale` kill the orbit. A
/// weight in between is a [`LinalgError::NoSpectralGap`].
fn orbit_basis(
    d: usize,
    word: &[bool],
    signed_permutations: &[SignedPermutation],
    diagonal_lie: &[Vec<f64>],
    scale: f64,
    tolerance: NullSpaceTolerance,
) -> Result<Vec<Vec<(usize, f64)>>, LinalgError> {
    let rank = word.len();
    let n = d.pow(rank as u32);
    let mut orbits = SignedUnionFind::new(n);
    let mut digits = vec![0usize; rank];

    for sp in signed_permutations {
        for index in 0..n {
            decode(index, d, &mut digits);
            let mut image = 0;
            let mut sign = 1.0;
            for &digit in &digits {
                image = image * d + sp.image[digit];
                sign *= sp.sign[digit];
            }
            // A signed permutation is orthogonal, so dual factors transform like primal ones.
            orbits.union(index, image, sign < 0.0);
        }
    }

    let null_threshold = tolerance.null_rel * scale;
    let range_threshold = tolerance.range_rel * scale;
    for diag in diagonal_lie {
        for index in 0..n {
            decode(index, d, &mut digits);
            let weight: f64 = digits
                .iter()
                .zip(word)
                .map(|(&i, &dual)| if dual { -diag[i] } else { diag[i] })
                .sum();
            let weight = weight.abs();
            if weight <= null_threshold {
                continue;
            }
            if weight < range_threshold {
                return Err(LinalgError::NoSpectralGap {
                    ambiguous: weight,
                    null_threshold,
                    range_threshold,
                    scale,
                });
            }
            orbits.kill(index);
        }
    }

    let mut column_of_root: HashMap<usize, usize> = HashMap::new();
    let mut columns: Vec<Vec<(usize, f64)>> = Vec::new();
    for index in 0..n {
        let (root, negative) = orbits.find(index);
        if orbits.dead[root] {
            continue;
        }
        let col = *column_of_root.entry(root).or_insert_with(|| {
            columns.push(Vec::new());
            columns.len() - 1
        });
        columns[col].push((index, if negative { -1.0 } else { 1.0 }));
    }
    for column in &mut columns {
        let norm = (column.len() as f64).sqrt();
        for entry in column.iter_mut() {
            entry.1 /= norm;
        }
    }
    Ok(columns)
}

/// Writes the base-`d` digits of `index`, most significant first.
fn decode(mut index: usize, d: usize, digits: &mut [usize]) {
    for digit in digits.iter_mut().rev() {
        *digit = index % d;
        index /= d;
    }
}

/// Union-find over tensor indices where each index stores the sign of its entry relative to
/// its parent. A contradiction in signs, or a killed index, marks the whole orbit dead.
struct SignedUnionFind {
    parent: Vec<usize>,
    negative: Vec<bool>,
    dead: Vec<bool>,
}

impl SignedUnionFind {
    fn new(n: usize) -> Self {
        Self {
            parent: (0..n).collect(),
            negative: vec![false; n],
            dead: vec![false; n],
        }
    }

    /// Returns the root of `i` and whether `v[i] = -v[root]`, compressing the path.
    fn find(&mut self, i: usize) -> (usize, bool) {
        let mut path = Vec::new();
        let mut node = i;
        while self.parent[node] != node {
            path.push(node);
            node = self.parent[node];
        }
        let root = node;
        // Walk back from the node nearest the root, accumulating the sign to the root.
        let mut sign_to_root = false;
        for &n in path.iter().rev() {
            sign_to_root ^= self.negative[n];
            self.negative[n] = sign_to_root;
            self.parent[n] = root;
        }
        (
            root,
            if path.is_empty() {
                false
            } else {
                self.negative[i]
            },
        )
    }

    /// Records `v[j] = (-1)^negative v[i]`.
    fn union(&mut self, i: usize, j: usize, negative: bool) {
        let (ri, si) = self.find(i);
        let (rj, sj) = self.find(j);
        if ri == rj {
            // v[j] = sj v[r] must equal (-1)^negative si v[r]; otherwise the orbit is zero.
            if sj != (si ^ negative) {
                self.dead[ri] = true;
            }
            return;
        }
        // v[rj] = sj v[j] = sj (-1)^negative si v[ri].
        self.parent[rj] = ri;
        self.negative[rj] = sj ^ negative ^ si;
        self.dead[ri] |= self.dead[rj];
    }

    fn kill(&mut self, i: usize) {
        let (root, _) = self.find(i);
        self.dead[root] = true;
    }
}

/// Thread-safe cache of equivariant bases keyed structurally by (group, canonical type).
///
/// Keys use [`GroupKey`], so groups with equal names but different generators (the three
/// embedded O(2)) never share an entry. Orthogonal groups key `T(p, q)` as `T(p + q, 0)`.
/// Bases are returned as `Arc`s and never recomputed once stored. Two threads asking for the
/// same missing basis at once may both compute it; the first result stored wins.
pub struct BasisCache {
    tolerance: NullSpaceTolerance,
    entries: Mutex<BasisMap>,
}

type BasisMap = HashMap<(GroupKey, TensorType), Arc<FactoredBasis>>;

impl Default for BasisCache {
    fn default() -> Self {
        Self::new()
    }
}

impl BasisCache {
    /// Creates an empty cache with the default null-space tolerance.
    pub fn new() -> Self {
        Self::with_tolerance(NullSpaceTolerance::default())
    }

    /// Creates an empty cache whose bases are solved with `tolerance`.
    pub fn with_tolerance(tolerance: NullSpaceTolerance) -> Self {
        Self {
            tolerance,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Returns the basis of the canonical type of `ty` under `group` (see
    /// [`TensorType::canonical`]), solving and storing it on first use.
    ///
    /// For a non-orthogonal group the basis is for the factor order of `T(p, q)` itself;
    /// callers with another factor order permute its rows.
    ///
    /// # Errors
    /// As [`equivariant_basis`].
    pub fn basis(&self, group: &Group, ty: TensorType) -> Result<Arc<Array2<f64>>, SymmetryError> {
        Ok(Arc::clone(&self.factored(group, ty)?.q))
    }

    /// Returns the basis of [`BasisCache::basis`] together with its factorisation.
    pub(crate) fn factored(
        &self,
        group: &Group,
        ty: TensorType,
    ) -> Result<Arc<FactoredBasis>, SymmetryError> {
        let canonical = ty.canonical(group);
        let key = (group.key().clone(), canonical);
        if let Some(found) = self.lock().get(&key) {
            return Ok(Arc::clone(found));
        }
        let basis = Arc::new(solve_factored(group, canonical, self.tolerance)?);
        Ok(Arc::clone(self.lock().entry(key).or_insert(basis)))
    }

    /// Number of stored bases.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when no basis is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BasisMap> {
        // A panic while holding the lock cannot leave a half-written entry, so a poisoned
        // lock is still consistent.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
