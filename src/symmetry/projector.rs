//! Orthogonal projectors onto equivariant weights and biases, applied block by block.
//!
//! The weights `W` (`n_out x n_in`) of a map `rep_in -> rep_out` split into independent
//! blocks, one per (output copy, input copy). The block from an input copy of type `Tb` to an
//! output copy of type `Ta`, flattened row-major, is a vector of `Ta (x) Tb*`. Its factors
//! are, in order, the `p_a` primal and `q_a` dual factors of `Ta`, then the `p_b` dual and
//! `q_b` primal factors of `Tb*`. Its equivariant subspace has an orthonormal basis `Q` that
//! depends only on `(Ta, Tb)` and the group, so `P = Q Q^T` is applied to all blocks of a type
//! pair at once. The blocks are gathered into the rows of `X` (copies x block size), `X` is
//! replaced by `(X Q) Q^T` with two GEMMs, and the rows are scattered back. Two cheaper paths take over where
//! they need fewer operations: blocks of at most 27 entries are projected in place with AXPYs,
//! which avoids GEMM packing overhead, and larger blocks use the solver's factorisation
//! `Q = Q0 V` (sparse orbit basis times a small dense matrix) as `Q0 (V V^T) Q0^T`. The dense
//! projector is never formed.

use std::any::Any;
use std::borrow::Cow;
use std::sync::Arc;

use ndarray::{
    Array1, Array2, ArrayView1, ArrayView2, ArrayView4, ArrayViewMut4, Axis, ShapeBuilder, s,
};

use super::SymmetryError;
use super::basis::BasisCache;
use super::group::Group;
use super::rep::{SumRep, TensorType};
use crate::autodiff::LinearOperator;
use crate::float::Float;
use crate::linalg::{gemm, matmul};

/// All blocks of one (output type, input type) pair and the basis of their subspace.
struct BlockClass {
    out_ty: TensorType,
    in_ty: TensorType,
    rows: usize,
    cols: usize,
    basis: Arc<Array2<f64>>,
    basis_f32: Array2<f32>,
    /// The orbit factorisation, when it is cheaper than `Q Q^T` for these blocks.
    orbit_path: Option<OrbitPath>,
    /// The rectangles of `W` tiled by blocks of this pair, one per (output term, input term).
    regions: Vec<Region>,
}

/// A rectangle of `W` made of `out_copies x in_copies` blocks of one type pair: the rows of
/// one term of `rep_out` against the columns of one term of `rep_in`.
#[derive(Clone, Copy)]
struct Region {
    row0: usize,
    col0: usize,
    out_copies: usize,
    in_copies: usize,
}

impl BlockClass {
    fn size(&self) -> usize {
        self.rows * self.cols
    }

    fn rank(&self) -> usize {
        self.basis.ncols()
    }

    fn num_blocks(&self) -> usize {
        self.regions
            .iter()
            .map(|r| r.out_copies * r.in_copies)
            .sum()
    }

    /// `(row offset, column offset)` of every block, region by region, row-major within each.
    fn block_offsets(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.regions.iter().flat_map(move |r| {
            (0..r.out_copies).flat_map(move |a| {
                (0..r.in_copies).map(move |b| (r.row0 + a * self.rows, r.col0 + b * self.cols))
            })
        })
    }

    /// Returns the basis in the element type `F`, borrowed when a stored copy has that type.
    fn basis_as<F: Float>(&self) -> Cow<'_, Array2<F>> {
        if let Some(q) = (&*self.basis as &dyn Any).downcast_ref::<Array2<F>>() {
            return Cow::Borrowed(q);
        }
        if let Some(q) = (&self.basis_f32 as &dyn Any).downcast_ref::<Array2<F>>() {
            return Cow::Borrowed(q);
        }
        Cow::Owned(self.basis.mapv(F::of))
    }
}

/// The orthogonal projector `P` onto the equivariant weights of a map `rep_in -> rep_out`
/// under one group, acting on `(n_out, n_in)` matrices.
///
/// `P` is symmetric and idempotent, and `rank()` is the dimension of the equivariant subspace.
/// Bias projectors ([`Projector::for_bias`]) are the special case `rep_in = T0`, acting on
/// `(n_out, 1)` columns.
pub struct Projector {
    name: String,
    n_out: usize,
    n_in: usize,
    classes: Vec<BlockClass>,
}

impl Projector {
    /// Builds the projector for weights of shape `(rep_out.size(d), rep_in.size(d))`, taking
    /// bases from `cache` (and filling it).
    ///
    /// # Errors
    /// [`SymmetryError::Basis`] if a block basis cannot be solved.
    pub fn for_weights(
        group: &Group,
        rep_in: &SumRep,
        rep_out: &SumRep,
        cache: &BasisCache,
    ) -> Result<Self, SymmetryError> {
        let d = group.dim();
        let mut classes: Vec<BlockClass> = Vec::new();
        let mut row0 = 0;
        for &(out_ty, out_copies) in rep_out.terms() {
            let mut col0 = 0;
            for &(in_ty, in_copies) in rep_in.terms() {
                let region = Region {
                    row0,
                    col0,
                    out_copies,
                    in_copies,
                };
                col0 += in_copies * in_ty.size(d);
                if let Some(class) = classes
                    .iter_mut()
                    .find(|c| c.out_ty == out_ty && c.in_ty == in_ty)
                {
                    class.regions.push(region);
                    continue;
                }
                let block = block_basis(group, out_ty, in_ty, cache)?;
                let (rows, cols) = (out_ty.size(d), in_ty.size(d));
                let orbit_path = OrbitPath::choose(&block, rows, cols, rep_in.size(d));
                classes.push(BlockClass {
                    out_ty,
                    in_ty,
                    rows,
                    cols,
                    basis_f32: block.q.mapv(|v| v as f32),
                    basis: block.q,
                    orbit_path,
                    regions: vec![region],
                });
            }
            row0 += out_copies * out_ty.size(d);
        }
        Ok(Self {
            name: format!("projector {rep_in} -> {rep_out} under {group}"),
            n_out: rep_out.size(d),
            n_in: rep_in.size(d),
            classes,
        })
    }

    /// Builds the projector for a bias of `rep_out`: the map `T0 -> rep_out`, acting on
    /// `(n_out, 1)` columns. Only invariant components of `rep_out` survive.
    ///
    /// # Errors
    /// As [`Projector::for_weights`].
    pub fn for_bias(
        group: &Group,
        rep_out: &SumRep,
        cache: &BasisCache,
    ) -> Result<Self, SymmetryError> {
        Self::for_weights(group, &SumRep::scalars(1), rep_out, cache)
    }

    /// Returns the shape `(n_out, n_in)` of the matrices the projector acts on.
    pub fn shape(&self) -> (usize, usize) {
        (self.n_out, self.n_in)
    }

    /// Returns the dimension of the equivariant subspace (the rank of `P`).
    pub fn rank(&self) -> usize {
        self.classes.iter().map(|c| c.rank() * c.num_blocks()).sum()
    }

    /// Returns `P(W)`, the nearest equivariant matrix to `w` in the Frobenius norm.
    ///
    /// # Panics
    /// If `w` is not of shape [`Projector::shape`]; use
    /// [`LinearOperator::output_shape`] to check first.
    pub fn project<F: Float>(&self, w: ArrayView2<'_, F>) -> Array2<F> {
        assert_eq!(
            w.dim(),
            (self.n_out, self.n_in),
            "{}: input shape {:?} differs from the projector's {:?}",
            self.name,
            w.dim(),
            (self.n_out, self.n_in)
        );
        // Blocks whose whole space is equivariant keep their entries, so start from a copy of
        // `w` and rewrite only the other classes.
        let source = w.as_standard_layout();
        let mut out = source.to_owned();
        let source = source.as_slice().expect("standard layout");
        let target = out.as_slice_mut().expect("standard layout");
        for class in &self.classes {
            project_class(class, source, target, self.n_in);
        }
        out
    }

    /// Returns `((I - P) w, 1/2 ||w - P w||^2)`: the residual, which is also the gradient of
    /// the penalty, and the penalty itself.
    ///
    /// # Panics
    /// As [`Projector::project`].
    pub fn residual<F: Float>(&self, w: ArrayView2<'_, F>) -> (Array2<F>, F) {
        let mut residual = w.to_owned();
        residual -= &self.project(w);
        // Accumulate in f64 so that the penalty of a large f32 layer keeps its precision.
        let half = 0.5 * residual.iter().map(|&v| v.to_f64().powi(2)).sum::<f64>();
        let half = F::of(half);
        (residual, half)
    }

    /// Projects a bias vector. The projector must be a bias projector (`n_in == 1`).
    ///
    /// # Panics
    /// If `n_in != 1` or `b` does not have `n_out` entries.
    pub fn project_vector<F: Float>(&self, b: ArrayView1<'_, F>) -> Array1<F> {
        assert_eq!(
            self.n_in, 1,
            "{}: project_vector needs a bias projector",
            self.name
        );
        let column = b.insert_axis(Axis(1));
        self.project(column).remove_axis(Axis(1))
    }

    /// Builds the dense `(n_out n_in) x (n_out n_in)` matrix of `P` in the row-major
    /// flattening of `W`. Its size is quadratic in the weight count, so it suits tests of small
    /// layers only.
    pub fn dense_matrix(&self) -> Array2<f64> {
        let n = self.n_out * self.n_in;
        let mut dense = Array2::zeros((n, n));
        for class in &self.classes {
            let block_projector = matmul(class.basis.view(), class.basis.t());
            for (row0, col0) in class.block_offsets() {
                let flat = |local: usize| {
                    let (i, j) = (local / class.cols, local % class.cols);
                    (row0 + i) * self.n_in + col0 + j
                };
                for a in 0..class.size() {
                    for b in 0..class.size() {
                        dense[[flat(a), flat(b)]] = block_projector[[a, b]];
                    }
                }
            }
        }
        dense
    }
}

/// The basis of one type pair in the block's own factor order, with the orbit factorisation
/// `Q = Q0 V` of the solver (see `basis::FactoredBasis`), indices in block order.
struct BlockBasis {
    q: Arc<Array2<f64>>,
    orbits: Vec<Vec<(usize, f64)>>,
    restricted: Option<Array2<f64>>,
}

/// Returns the basis of the blocks `in_ty -> out_ty` in the block's own factor order.
fn block_basis(
    group: &Group,
    out_ty: TensorType,
    in_ty: TensorType,
    cache: &BasisCache,
) -> Result<BlockBasis, SymmetryError> {
    let block_ty = out_ty.map_from(in_ty);
    let canonical = cache.factored(group, block_ty)?;
    // Factor order of the block: p_a primal, q_a dual, p_b dual, q_b primal.
    let mut word = vec![false; out_ty.p];
    word.extend(std::iter::repeat_n(true, out_ty.q + in_ty.p));
    word.extend(std::iter::repeat_n(false, in_ty.q));
    if group.is_orthogonal() || word.windows(2).all(|w| w[0] <= w[1]) {
        return Ok(BlockBasis {
            q: Arc::clone(&canonical.q),
            orbits: canonical.orbits.clone(),
            restricted: canonical.restricted.clone(),
        });
    }

    // Move the canonical axes (primal axes first) to the block's axis order.
    let d = group.dim();
    let rank = word.len();
    let primal_positions: Vec<usize> = (0..rank).filter(|&a| !word[a]).collect();
    let dual_positions: Vec<usize> = (0..rank).filter(|&a| word[a]).collect();
    let canonical_axis_of: Vec<usize> = {
        let mut map = vec![0; rank];
        for (c, &a) in primal_positions.iter().chain(&dual_positions).enumerate() {
            map[a] = c;
        }
        map
    };
    let n = block_ty.size(d);
    let mut block_index_of = vec![0usize; n];
    let mut digits = vec![0usize; rank];
    let mut canonical_digits = vec![0usize; rank];
    for index in 0..n {
        let mut rest = index;
        for digit in digits.iter_mut().rev() {
            *digit = rest % d;
            rest /= d;
        }
        for (axis, &digit) in digits.iter().enumerate() {
            canonical_digits[canonical_axis_of[axis]] = digit;
        }
        let source = canonical_digits
            .iter()
            .fold(0, |acc, &digit| acc * d + digit);
        block_index_of[source] = index;
    }

    let mut q = Array2::zeros(canonical.q.dim());
    for (source, &index) in block_index_of.iter().enumerate() {
        q.row_mut(index).assign(&canonical.q.row(source));
    }
    let orbits = canonical
        .orbits
        .iter()
        .map(|orbit| {
            orbit
                .iter()
                .map(|&(source, value)| (block_index_of[source], value))
                .collect()
        })
        .collect();
    Ok(BlockBasis {
        q: Arc::new(q),
        orbits,
        restricted: canonical.restricted.clone(),
    })
}

/// Projection through the orbit factorisation, `P = Q0 (V V^T) Q0^T`.
///
/// For large blocks this is cheaper than `Q Q^T`: `Q0^T` and `Q0` touch each index once, and
/// the mixing matrix `V V^T` is only `m x m` with `m` orbits (92 for T(6) under an embedded
/// O(2), against 729 rows of `Q`).
struct OrbitPath {
    /// Start of each orbit's entries in `entries`, with the total count appended.
    orbit_starts: Vec<usize>,
    /// `(offset from the block's first entry in row-major W, coefficient in Q0)`.
    entries: Vec<(usize, f64)>,
    /// Offsets of block entries in no surviving orbit; they are zero after projection.
    dead: Vec<usize>,
    /// `V V^T` in f64 and f32, or `None` when `V` is the identity.
    mixing: Option<(Array2<f64>, Array2<f32>)>,
}

impl OrbitPath {
    /// Returns the orbit path for blocks of shape `rows x cols` in a `W` with `n_in` columns
    /// when it needs fewer multiply-adds per block than the dense `2 n r`, else `None`.
    fn choose(basis: &BlockBasis, rows: usize, cols: usize, n_in: usize) -> Option<Self> {
        let size = rows * cols;
        let orbits = basis.orbits.len();
        let live: usize = basis.orbits.iter().map(Vec::len).sum();
        let mixing_cost = if basis.restricted.is_some() {
            orbits * orbits
        } else {
            0
        };
        if size <= SMALL_BLOCK || 2 * live + mixing_cost >= 2 * size * basis.q.ncols() {
            return None;
        }

        let offset = |index: usize| (index / cols) * n_in + index % cols;
        let mut orbit_starts = Vec::with_capacity(orbits + 1);
        let mut entries = Vec::with_capacity(live);
        let mut alive = vec![false; size];
        for orbit in &basis.orbits {
            orbit_starts.push(entries.len());
            for &(index, value) in orbit {
                entries.push((offset(index), value));
                alive[index] = true;
            }
        }
        orbit_starts.push(entries.len());
        let dead = (0..size).filter(|&i| !alive[i]).map(offset).collect();
        let mixing = basis.restricted.as_ref().map(|v| {
            let m = matmul(v.view(), v.t());
            let m32 = m.mapv(|x| x as f32);
            (m, m32)
        });
        Some(Self {
            orbit_starts,
            entries,
            dead,
            mixing,
        })
    }

    fn mixing_as<F: Float>(&self) -> Option<Cow<'_, Array2<F>>> {
        let (m64, m32) = self.mixing.as_ref()?;
        if let Some(m) = (m64 as &dyn Any).downcast_ref::<Array2<F>>() {
            return Some(Cow::Borrowed(m));
        }
        if let Some(m) = (m32 as &dyn Any).downcast_ref::<Array2<F>>() {
            return Some(Cow::Borrowed(m));
        }
        Some(Cow::Owned(m64.mapv(F::of)))
    }
}

/// Projects every block of `class` through its orbit path.
fn project_orbit_path<F: Float>(
    class: &BlockClass,
    path: &OrbitPath,
    source: &[F],
    target: &mut [F],
    n_in: usize,
) {
    let orbits = path.orbit_starts.len() - 1;
    let bases: Vec<usize> = class
        .block_offsets()
        .map(|(row0, col0)| row0 * n_in + col0)
        .collect();

    // Z = X Q0: one row of orbit coordinates per block.
    let mut coordinates = Array2::<F>::zeros((bases.len(), orbits));
    for (mut row, &base) in coordinates.rows_mut().into_iter().zip(&bases) {
        for (o, z) in row.iter_mut().enumerate() {
            let orbit = &path.entries[path.orbit_starts[o]..path.orbit_starts[o + 1]];
            *z = orbit
                .iter()
                .map(|&(offset, value)| F::of(value) * source[base + offset])
                .sum();
        }
    }
    if let Some(mixing) = path.mixing_as::<F>() {
        coordinates = matmul(coordinates.view(), mixing.view());
    }

    // X <- Z Q0^T, and zero the entries outside every orbit.
    for (row, &base) in coordinates.rows().into_iter().zip(&bases) {
        for (o, &z) in row.iter().enumerate() {
            for &(offset, value) in &path.entries[path.orbit_starts[o]..path.orbit_starts[o + 1]] {
                target[base + offset] = F::of(value) * z;
            }
        }
        for &offset in &path.dead {
            target[base + offset] = F::zero();
        }
    }
}

/// Projects the blocks of one class of the row-major `source` (`n_in` columns) into `target`,
/// which already holds a copy of `source`.
///
/// A region of `out_copies x in_copies` blocks of shape `rows x cols` is the 4-D strided view
/// `(a, i, b, j) -> W[row0 + a rows + i, col0 + b cols + j]`. Gathering permutes it to
/// `(a, b, i, j)`, so each block becomes one row-major row of `X`.
fn project_class<F: Float>(class: &BlockClass, source: &[F], target: &mut [F], n_in: usize) {
    let rank = class.rank();
    let (rows, cols) = (class.rows, class.cols);
    if rank == class.size() {
        return;
    }
    let region_shape =
        |r: &Region| (r.out_copies, rows, r.in_copies, cols).strides((rows * n_in, n_in, cols, 1));
    if rank == 0 {
        for r in &class.regions {
            let start = r.row0 * n_in + r.col0;
            ArrayViewMut4::from_shape(region_shape(r), &mut target[start..])
                .expect("region lies inside W")
                .fill(F::zero());
        }
        return;
    }

    if let Some(path) = &class.orbit_path {
        project_orbit_path(class, path, source, target, n_in);
        return;
    }
    let basis = class.basis_as::<F>();
    if class.size() <= SMALL_BLOCK {
        project_small_blocks(class, basis.view(), source, target, n_in);
        return;
    }

    let mut gathered = Array2::<F>::zeros((class.num_blocks(), class.size()));
    let mut first = 0;
    for r in &class.regions {
        let blocks = r.out_copies * r.in_copies;
        let start = r.row0 * n_in + r.col0;
        let view = ArrayView4::from_shape(region_shape(r), &source[start..])
            .expect("region lies inside W");
        gathered
            .slice_mut(s![first..first + blocks, ..])
            .into_shape_with_order((r.out_copies, r.in_copies, rows, cols))
            .expect("contiguous rows")
            .assign(&view.permuted_axes([0, 2, 1, 3]));
        first += blocks;
    }

    let coefficients = matmul(gathered.view(), basis.view());
    gemm(
        F::one(),
        coefficients.view(),
        basis.t(),
        F::zero(),
        gathered.view_mut(),
    );

    let mut first = 0;
    for r in &class.regions {
        let blocks = r.out_copies * r.in_copies;
        let start = r.row0 * n_in + r.col0;
        let projected = gathered
            .slice(s![first..first + blocks, ..])
            .into_shape_with_order((r.out_copies, r.in_copies, rows, cols))
            .expect("contiguous rows");
        ArrayViewMut4::from_shape(region_shape(r), &mut target[start..])
            .expect("region lies inside W")
            .assign(&projected.permuted_axes([0, 2, 1, 3]));
        first += blocks;
    }
}

/// Largest block size projected by direct loops instead of gathered GEMMs: GEMM packing and
/// edge kernels cost more than the arithmetic for small blocks of low rank. Chosen by timing
/// the PER inertia projectors in f32 on a 2-core AMD EPYC; 9 and 81 were within 10 %.
const SMALL_BLOCK: usize = 27;

/// Projects every block of `class` in place by `c = Q^T x`, `x <- Q c`, reading `x` straight
/// from `source`.
///
/// A region is swept one row of blocks at a time (one output copy `a`). For each entry
/// `(i, j)` of a block, the entries of all `in_copies` blocks in that row of `W` form a
/// stride-`cols` vector, so both products become AXPYs over the blocks. Zero entries of `Q`
/// are skipped, and they are common because orbit bases are sparse.
fn project_small_blocks<F: Float>(
    class: &BlockClass,
    basis: ArrayView2<'_, F>,
    source: &[F],
    target: &mut [F],
    n_in: usize,
) {
    let rank = basis.ncols();
    let basis = basis.as_standard_layout();
    let q = basis.as_slice().expect("standard layout");
    let (rows, cols) = (class.rows, class.cols);
    for r in &class.regions {
        let blocks = r.in_copies;
        let width = blocks * cols;
        // coefficients[k * blocks + b]: coefficient k of block b in the current row of blocks.
        let mut coefficients = vec![F::zero(); rank * blocks];
        for a in 0..r.out_copies {
            coefficients.fill(F::zero());
            for i in 0..rows {
                let start = (r.row0 + a * rows + i) * n_in + r.col0;
                let row = &source[start..start + width];
                for j in 0..cols {
                    let q_row = &q[(i * cols + j) * rank..][..rank];
                    for (&q_k, c) in q_row.iter().zip(coefficients.chunks_exact_mut(blocks)) {
                        if q_k == F::zero() {
                            continue;
                        }
                        for (c_b, &x) in c.iter_mut().zip(row[j..].iter().step_by(cols)) {
                            *c_b += q_k * x;
                        }
                    }
                }
            }
            for i in 0..rows {
                let start = (r.row0 + a * rows + i) * n_in + r.col0;
                let row = &mut target[start..start + width];
                row.fill(F::zero());
                for j in 0..cols {
                    let q_row = &q[(i * cols + j) * rank..][..rank];
                    for (&q_k, c) in q_row.iter().zip(coefficients.chunks_exact(blocks)) {
                        if q_k == F::zero() {
                            continue;
                        }
                        for (y, &c_b) in row[j..].iter_mut().step_by(cols).zip(c) {
                            *y += q_k * c_b;
                        }
                    }
                }
            }
        }
    }
}

impl<F: Float> LinearOperator<F> for Projector {
    fn name(&self) -> &str {
        &self.name
    }

    fn output_shape(&self, input: (usize, usize)) -> crate::Result<(usize, usize)> {
        if input != (self.n_out, self.n_in) {
            return Err(crate::Error::Shape {
                op: "equivariant projector",
                left: vec![input.0, input.1],
                right: vec![self.n_out, self.n_in],
                expected: "a weight matrix of the projector's shape".into(),
            });
        }
        Ok(input)
    }

    fn apply(&self, x: ArrayView2<'_, F>) -> Array2<F> {
        self.project(x)
    }

    /// `P` is symmetric, so its transpose is itself.
    fn apply_transpose(&self, y: ArrayView2<'_, F>) -> Array2<F> {
        self.project(y)
    }
}
