//! Tensor representations `T(p, q)` and ordered direct sums of them.
//!
//! Conventions:
//! - `T(p, q)` on R^d has size `d^(p+q)` and `rho(g) = g^{(x)p} (x) (g^{-T})^{(x)q}`: the `p`
//!   primal factors come first, then the `q` dual ones, and the first factor is the most
//!   significant index of the Kronecker product (row-major flattening of a `d x ... x d`
//!   tensor). The Lie-algebra action `drho(A)` is the Kronecker sum of `A` (p times) and
//!   `-A^T` (q times).
//! - A [`SumRep`] is an ordered list of `(type, multiplicity)` terms; repeats are allowed and
//!   kept (`54 T0 + 18 T1 + 6 T2 + 2 T3 + 26 T0` is a valid, different layout from
//!   `80 T0 + ...`). Copies are laid out term by term, the copies of a term consecutively.
//! - A linear map `rep_in -> rep_out` is a vector of `rep_out (x) rep_in*` through the
//!   row-major flattening of its `(n_out, n_in)` matrix. The block from an input copy of type
//!   `Tb` to an output copy of type `Ta` is a vector of `Ta (x) Tb*`.
//! - For orthogonal groups `g^{-T} = g`, so `T(p, q)` is the same representation as
//!   `T(p + q, 0)`; bases are keyed by that canonical type ([`TensorType::canonical`]).

use std::fmt;
use std::ops::Add;
use std::str::FromStr;

use ndarray::{Array2, ArrayView2, s};
use serde::{Deserialize, Serialize};

use super::SymmetryError;
use super::group::Group;
use crate::float::Float;
use crate::linalg::{inverse, matmul};

/// The tensor type `T(p, q)`: `p` vector factors and `q` covector (dual) factors.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub struct TensorType {
    /// Number of primal (vector) factors.
    pub p: usize,
    /// Number of dual (covector) factors.
    pub q: usize,
}

impl TensorType {
    /// The scalar type `T(0, 0)`.
    pub const SCALAR: TensorType = TensorType { p: 0, q: 0 };
    /// The vector type `T(1, 0)`.
    pub const VECTOR: TensorType = TensorType { p: 1, q: 0 };

    /// Builds `T(p, q)`.
    pub const fn new(p: usize, q: usize) -> Self {
        Self { p, q }
    }

    /// Builds `T(k, 0)`, written `Tk`.
    pub const fn rank_k(k: usize) -> Self {
        Self { p: k, q: 0 }
    }

    /// Total rank `p + q`.
    pub const fn rank(self) -> usize {
        self.p + self.q
    }

    /// True for `T(0, 0)`.
    pub const fn is_scalar(self) -> bool {
        self.p == 0 && self.q == 0
    }

    /// Size `d^(p+q)` on R^d.
    pub fn size(self, d: usize) -> usize {
        d.pow(self.rank() as u32)
    }

    /// The dual type `T(q, p)`.
    pub const fn dual(self) -> Self {
        Self {
            p: self.q,
            q: self.p,
        }
    }

    /// The type of the block of a linear map from `input` to `self`, `self (x) input*`,
    /// i.e. `T(p_out + q_in, q_out + p_in)` up to the order of its factors.
    pub const fn map_from(self, input: TensorType) -> Self {
        Self {
            p: self.p + input.q,
            q: self.q + input.p,
        }
    }

    /// The type bases are keyed by: `T(p + q, 0)` for orthogonal groups, `self` otherwise.
    pub fn canonical(self, group: &Group) -> Self {
        if group.is_orthogonal() {
            Self::rank_k(self.rank())
        } else {
            self
        }
    }

    /// Dense `rho(g) = g^{(x)p} (x) (g^{-T})^{(x)q}` (size `d^(p+q)` square).
    ///
    /// # Errors
    /// [`SymmetryError::DimensionMismatch`] if `g` is not square, and
    /// [`SymmetryError::SingularElement`] if `q > 0` and `g` is singular.
    pub fn rho(self, g: ArrayView2<'_, f64>) -> Result<Array2<f64>, SymmetryError> {
        let g_inv_t = inverse_transpose_if(g, self.q > 0)?;
        Ok(self.rho_with(g, g_inv_t.view()))
    }

    /// `rho(g)` from `g` and a precomputed `g^{-T}`.
    pub(crate) fn rho_with(
        self,
        g: ArrayView2<'_, f64>,
        g_inv_t: ArrayView2<'_, f64>,
    ) -> Array2<f64> {
        let mut out = Array2::<f64>::eye(1);
        for _ in 0..self.p {
            out = kron(out.view(), g);
        }
        for _ in 0..self.q {
            out = kron(out.view(), g_inv_t);
        }
        out
    }

    /// Dense `drho(A)`: the Kronecker sum of `A` (p times) and `-A^T` (q times).
    ///
    /// # Panics
    /// If `a` is not square.
    pub fn drho(self, a: ArrayView2<'_, f64>) -> Array2<f64> {
        let d = a.nrows();
        assert_eq!(
            a.ncols(),
            d,
            "drho needs a square generator, got {:?}",
            a.dim()
        );
        let n = self.size(d);
        let mut out = Array2::<f64>::zeros((n, n));
        let neg_at = a.t().mapv(|v| -v);
        for axis in 0..self.rank() {
            let factor = if axis < self.p { a } else { neg_at.view() };
            let left = d.pow(axis as u32);
            let right = d.pow((self.rank() - axis - 1) as u32);
            let term = kron(
                kron(Array2::eye(left).view(), factor).view(),
                Array2::eye(right).view(),
            );
            out += &term;
        }
        out
    }

    /// Which factors are dual, in order: `p` times `false`, then `q` times `true`.
    pub(crate) fn factor_word(self) -> Vec<bool> {
        let mut word = vec![false; self.p];
        word.extend(std::iter::repeat_n(true, self.q));
        word
    }
}

impl fmt::Display for TensorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.q == 0 {
            write!(f, "T{}", self.p)
        } else {
            write!(f, "T({},{})", self.p, self.q)
        }
    }
}

/// One copy of a tensor type inside a [`SumRep`] laid out on R^d.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RepCopy {
    /// Its tensor type.
    pub ty: TensorType,
    /// Index of its first coordinate in the sum.
    pub offset: usize,
    /// Number of coordinates, `d^rank`.
    pub size: usize,
}

/// An ordered direct sum of tensor types with multiplicities, `m_1 T_1 + m_2 T_2 + ...`.
///
/// Terms keep the order they were given in and repeated types are not merged; terms with
/// multiplicity zero are dropped. The layout on R^d puts the copies of each term next to each
/// other, term after term.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct SumRep {
    terms: Vec<(TensorType, usize)>,
}

impl SumRep {
    /// Builds the sum of `terms` in the given order, dropping zero multiplicities.
    pub fn new(terms: impl IntoIterator<Item = (TensorType, usize)>) -> Self {
        Self {
            terms: terms.into_iter().filter(|&(_, m)| m > 0).collect(),
        }
    }

    /// `m` copies of one tensor type.
    pub fn copies_of(ty: TensorType, m: usize) -> Self {
        Self::new([(ty, m)])
    }

    /// `m` scalars, `m T0`.
    pub fn scalars(m: usize) -> Self {
        Self::copies_of(TensorType::SCALAR, m)
    }

    /// The terms `(type, multiplicity)` in layout order.
    pub fn terms(&self) -> &[(TensorType, usize)] {
        &self.terms
    }

    /// Total size on R^d.
    pub fn size(&self, d: usize) -> usize {
        self.terms.iter().map(|&(ty, m)| m * ty.size(d)).sum()
    }

    /// Number of tensor copies (the sum of the multiplicities).
    pub fn num_copies(&self) -> usize {
        self.terms.iter().map(|&(_, m)| m).sum()
    }

    /// The largest rank of any term, 0 for an empty sum.
    pub fn max_rank(&self) -> usize {
        self.terms
            .iter()
            .map(|&(ty, _)| ty.rank())
            .max()
            .unwrap_or(0)
    }

    /// Iterates over the copies in layout order with their offsets and sizes on R^d.
    pub fn copies(&self, d: usize) -> impl Iterator<Item = RepCopy> + '_ {
        let mut offset = 0;
        self.terms
            .iter()
            .flat_map(move |&(ty, m)| {
                let size = ty.size(d);
                (0..m).map(move |_| ty).map(move |ty| (ty, size))
            })
            .map(move |(ty, size)| {
                let copy = RepCopy { ty, offset, size };
                offset += size;
                copy
            })
    }

    /// The dual sum, with every type replaced by its dual and the order kept.
    pub fn dual(&self) -> Self {
        Self::new(self.terms.iter().map(|&(ty, m)| (ty.dual(), m)))
    }

    /// The direct sum `self + other`, with the terms of `other` after those of `self`.
    pub fn concat(&self, other: &SumRep) -> Self {
        Self::new(self.terms.iter().chain(&other.terms).copied())
    }

    /// Dense block-diagonal `rho(g)` of the sum.
    ///
    /// # Errors
    /// [`SymmetryError::DimensionMismatch`] if `g` is not square, and
    /// [`SymmetryError::SingularElement`] if a dual factor needs `g^{-1}` and `g` is singular.
    pub fn rho(&self, g: ArrayView2<'_, f64>) -> Result<Array2<f64>, SymmetryError> {
        let d = g.nrows();
        let g_inv_t = inverse_transpose_if(g, self.terms.iter().any(|(ty, _)| ty.q > 0))?;
        let n = self.size(d);
        let mut out = Array2::zeros((n, n));
        for (ty, block) in self.distinct_blocks(|ty| ty.rho_with(g, g_inv_t.view())) {
            for copy in self.copies(d).filter(|c| c.ty == ty) {
                let range = copy.offset..copy.offset + copy.size;
                out.slice_mut(s![range.clone(), range]).assign(&block);
            }
        }
        Ok(out)
    }

    /// Dense block-diagonal `drho(A)` of the sum.
    ///
    /// # Panics
    /// If `a` is not square.
    pub fn drho(&self, a: ArrayView2<'_, f64>) -> Array2<f64> {
        let d = a.nrows();
        let n = self.size(d);
        let mut out = Array2::zeros((n, n));
        for (ty, block) in self.distinct_blocks(|ty| ty.drho(a)) {
            for copy in self.copies(d).filter(|c| c.ty == ty) {
                let range = copy.offset..copy.offset + copy.size;
                out.slice_mut(s![range.clone(), range]).assign(&block);
            }
        }
        out
    }

    /// Applies `rho(g)` to every row of `x` (shape `(batch, size)`), returning `x rho(g)^T`.
    ///
    /// The arithmetic is done in `f64` whatever `F` is, so the group action adds no round-off
    /// of its own to an equivariance error measured in `f32`. Each distinct type's `rho(g)` is
    /// formed once and applied to all its copies as one matrix product per copy.
    ///
    /// # Errors
    /// [`SymmetryError::DimensionMismatch`] if `g` is not square or `x` does not have
    /// `self.size(d)` columns, and [`SymmetryError::SingularElement`] as for [`SumRep::rho`].
    pub fn apply_rho_rows<F: Float>(
        &self,
        g: ArrayView2<'_, f64>,
        x: ArrayView2<'_, F>,
    ) -> Result<Array2<F>, SymmetryError> {
        let d = g.nrows();
        if g.ncols() != d {
            return Err(SymmetryError::DimensionMismatch {
                array: "group element".into(),
                expected: "a square matrix".into(),
                found: format!("{:?}", g.dim()),
            });
        }
        let n = self.size(d);
        if x.ncols() != n {
            return Err(SymmetryError::DimensionMismatch {
                array: format!("rows of representation {self}"),
                expected: format!("{n} columns on R^{d}"),
                found: format!("{} columns", x.ncols()),
            });
        }
        let g_inv_t = inverse_transpose_if(g, self.terms.iter().any(|(ty, _)| ty.q > 0))?;
        let x64 = x.mapv(|v| v.to_f64());
        let mut out = Array2::<f64>::zeros(x.dim());
        for (ty, block) in self.distinct_blocks(|ty| ty.rho_with(g, g_inv_t.view())) {
            for copy in self.copies(d).filter(|c| c.ty == ty) {
                let range = copy.offset..copy.offset + copy.size;
                let y = matmul(x64.slice(s![.., range.clone()]), block.t());
                out.slice_mut(s![.., range]).assign(&y);
            }
        }
        Ok(out.mapv(F::of))
    }

    /// The distinct types of the sum in first-appearance order, each with `make(type)`.
    fn distinct_blocks(
        &self,
        make: impl Fn(TensorType) -> Array2<f64>,
    ) -> Vec<(TensorType, Array2<f64>)> {
        let mut seen: Vec<TensorType> = Vec::new();
        for &(ty, _) in &self.terms {
            if !seen.contains(&ty) {
                seen.push(ty);
            }
        }
        seen.into_iter().map(|ty| (ty, make(ty))).collect()
    }
}

impl From<TensorType> for SumRep {
    fn from(ty: TensorType) -> Self {
        SumRep::copies_of(ty, 1)
    }
}

impl Add for SumRep {
    type Output = SumRep;

    fn add(self, other: SumRep) -> SumRep {
        self.concat(&other)
    }
}

impl fmt::Display for SumRep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.terms.is_empty() {
            return f.write_str("0");
        }
        for (i, (ty, m)) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str(" + ")?;
            }
            if *m == 1 {
                write!(f, "{ty}")?;
            } else {
                write!(f, "{m} {ty}")?;
            }
        }
        Ok(())
    }
}

impl FromStr for SumRep {
    type Err = SymmetryError;

    /// Parses sums such as `"5 T0 + 5 T1"`, `"3T1"`, `"T2 + 2 T(1,1)"`, `"V"` (a vector) or
    /// `"Scalar"`; whitespace is ignored and `"0"` is the empty sum.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let invalid = |reason: &str| SymmetryError::InvalidRep {
            text: text.to_string(),
            reason: reason.to_string(),
        };
        if compact == "0" {
            return Ok(SumRep::default());
        }
        let mut terms = Vec::new();
        for term in compact.split('+') {
            let digits = term.chars().take_while(|c| c.is_ascii_digit()).count();
            let mult: usize = if digits == 0 {
                1
            } else {
                term[..digits]
                    .parse()
                    .map_err(|_| invalid("multiplicity is too large"))?
            };
            terms.push((
                parse_type(&term[digits..]).ok_or_else(|| {
                    invalid("each term is [multiplicity] followed by Tk, T(p,q), V or Scalar")
                })?,
                mult,
            ));
        }
        Ok(SumRep::new(terms))
    }
}

fn parse_type(text: &str) -> Option<TensorType> {
    match text {
        "V" => return Some(TensorType::VECTOR),
        "Scalar" => return Some(TensorType::SCALAR),
        _ => {}
    }
    let rest = text.strip_prefix('T')?;
    if let Some(inner) = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        let (p, q) = inner.split_once(',')?;
        return Some(TensorType::new(p.parse().ok()?, q.parse().ok()?));
    }
    Some(TensorType::rank_k(rest.parse().ok()?))
}

/// Kronecker product `a (x) b`.
pub(crate) fn kron(a: ArrayView2<'_, f64>, b: ArrayView2<'_, f64>) -> Array2<f64> {
    let (ar, ac) = a.dim();
    let (br, bc) = b.dim();
    let mut out = Array2::zeros((ar * br, ac * bc));
    for i in 0..ar {
        for j in 0..ac {
            let v = a[[i, j]];
            if v != 0.0 {
                out.slice_mut(s![i * br..(i + 1) * br, j * bc..(j + 1) * bc])
                    .assign(&b.mapv(|x| x * v));
            }
        }
    }
    out
}

/// `g^{-T}` when `needed`, otherwise an empty placeholder; checks that `g` is square.
fn inverse_transpose_if(
    g: ArrayView2<'_, f64>,
    needed: bool,
) -> Result<Array2<f64>, SymmetryError> {
    if g.nrows() != g.ncols() {
        return Err(SymmetryError::DimensionMismatch {
            array: "group element".into(),
            expected: "a square matrix".into(),
            found: format!("{:?}", g.dim()),
        });
    }
    if !needed {
        return Ok(Array2::zeros((0, 0)));
    }
    let inv = inverse(g).map_err(|source| SymmetryError::SingularElement { source })?;
    Ok(inv.reversed_axes())
}

/// Applies the `d x d` matrix `m` along tensor axis `axis` of the rows of `x`, adding
/// `scale * (result)` to `out`.
///
/// `x` and `out` are `(d^rank, cols)` row-major matrices whose row index is a rank-`rank`
/// tensor index in Kronecker order; the columns are independent vectors.
pub(crate) fn apply_along_axis(
    m: ArrayView2<'_, f64>,
    x: &[f64],
    out: &mut [f64],
    d: usize,
    rank: usize,
    axis: usize,
    cols: usize,
) {
    let inner = d.pow((rank - axis - 1) as u32) * cols;
    let outer = d.pow(axis as u32);
    for o in 0..outer {
        let base = o * d * inner;
        for a in 0..d {
            let target = &mut out[base + a * inner..base + (a + 1) * inner];
            for b in 0..d {
                let coefficient = m[[a, b]];
                if coefficient == 0.0 {
                    continue;
                }
                let source = &x[base + b * inner..base + (b + 1) * inner];
                for (t, s) in target.iter_mut().zip(source) {
                    *t += coefficient * s;
                }
            }
        }
    }
}
