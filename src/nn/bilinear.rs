//! Construction of EMLP's bilinear layer for a gated representation under a group: which
//! copies of the input fill which blocks of `W(x)`, and the random choice of copies.
//!
//! For every tensor type `T` that occurs both among the non-scalar copies of `x` and among the
//! block types `T_out (x) T_in*` of the weight matrix, `n = min(mult_x(T), dim T)` copies of
//! `T` are chosen from `x` once, at construction. Every block of type `T` is a learned linear
//! combination of those `n` copies; blocks of a type absent from `x` stay zero. The choice is
//! part of the model's configuration and is saved with it.

use ndarray::Array2;
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::float::Float;
use crate::rng::SeededRng;
use crate::symmetry::{Group, SumRep, TensorType};

use super::bilinear_op::{BilinearOp, BilinearPair};

/// How the `n` copies of each type are drawn from the input's copies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CopySampling {
    /// `n` distinct copies in random order (default): no block combines a copy with itself.
    #[default]
    Distinct,
    /// `n` independent uniform draws, so a copy may be chosen twice (EMLP's `np.random.choice`
    /// default).
    WithReplacement,
}

/// The chosen copies of one tensor type: indices into the list of the input's copies of that
/// type, in layout order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopySelection {
    /// The canonical tensor type, written like `T2` or `T(1,1)`.
    pub ty: String,
    /// Chosen copy numbers among the input's copies of this type.
    pub chosen: Vec<usize>,
}

/// Copies of a representation with their canonical types under a group.
struct Layout {
    d: usize,
    copies: Vec<(TensorType, TensorType, usize)>, // (nominal type, canonical type, offset)
}

impl Layout {
    fn new(rep: &SumRep, group: &Group) -> Self {
        let d = group.dim();
        let copies = rep
            .copies(d)
            .map(|c| (c.ty, c.ty.canonical(group), c.offset))
            .collect();
        Self { d, copies }
    }

    /// Offsets of the copies whose canonical type is `ty`, in layout order.
    fn offsets_of_canonical(&self, ty: TensorType) -> Vec<usize> {
        self.copies
            .iter()
            .filter(|c| c.1 == ty)
            .map(|c| c.2)
            .collect()
    }

    /// Distinct canonical non-scalar types, in order of first appearance.
    fn input_types(&self) -> Vec<TensorType> {
        let mut types = Vec::new();
        for &(_, canon, _) in &self.copies {
            if !canon.is_scalar() && !types.contains(&canon) {
                types.push(canon);
            }
        }
        types
    }

    /// Distinct nominal types, in order of first appearance, with their copy offsets.
    fn nominal_groups(&self) -> Vec<(TensorType, Vec<usize>)> {
        let mut groups: Vec<(TensorType, Vec<usize>)> = Vec::new();
        for &(ty, _, offset) in &self.copies {
            match groups.iter_mut().find(|(t, _)| *t == ty) {
                Some((_, offsets)) => offsets.push(offset),
                None => groups.push((ty, vec![offset])),
            }
        }
        groups
    }
}

/// Draws the copies used by the bilinear layer of `rep` under `group`.
pub fn choose_copies(
    rep: &SumRep,
    group: &Group,
    sampling: CopySampling,
    rng: &mut SeededRng,
) -> Vec<CopySelection> {
    let layout = Layout::new(rep, group);
    let mut selections = Vec::new();
    for ty in layout.input_types() {
        let mult = layout.offsets_of_canonical(ty).len();
        let n = mult.min(ty.size(layout.d));
        let chosen = match sampling {
            CopySampling::Distinct => {
                let mut order: Vec<usize> = (0..mult).collect();
                for i in 0..n {
                    let j = rng.random_range(i..mult);
                    order.swap(i, j);
                }
                order.truncate(n);
                order
            }
            CopySampling::WithReplacement => (0..n).map(|_| rng.random_range(0..mult)).collect(),
        };
        selections.push(CopySelection {
            ty: ty.to_string(),
            chosen,
        });
    }
    selections
}

/// One named pair of the layer, with the op's block structure.
#[derive(Clone, Debug)]
pub struct NamedPair {
    /// `"<out type>x<in type>"`, used in parameter names.
    pub name: String,
    /// The block structure.
    pub pair: BilinearPair,
}

/// Builds the block structure of the bilinear layer `rep -> rep` for the chosen copies.
pub fn build_pairs(
    rep: &SumRep,
    group: &Group,
    selections: &[CopySelection],
) -> Result<Vec<NamedPair>> {
    let layout = Layout::new(rep, group);
    let d = layout.d;
    let mut pairs = Vec::new();
    let groups = layout.nominal_groups();
    for (out_ty, out_offsets) in &groups {
        for (in_ty, in_offsets) in &groups {
            let block_ty = out_ty.map_from(*in_ty).canonical(group);
            if block_ty.is_scalar() {
                continue;
            }
            let Some(selection) = selections.iter().find(|s| s.ty == block_ty.to_string()) else {
                continue;
            };
            let pool = layout.offsets_of_canonical(block_ty);
            let selected_offsets = selection
                .chosen
                .iter()
                .map(|&c| {
                    pool.get(c).copied().ok_or_else(|| {
                        Error::invalid(
                            "bilinear copy selection",
                            format!("{} copy {c}", selection.ty),
                            format!("the input has {} copies of {}", pool.len(), selection.ty),
                        )
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            if selected_offsets.is_empty() {
                continue;
            }
            let block_index = block_index(d, *out_ty, *in_ty, group.is_orthogonal());
            pairs.push(NamedPair {
                name: format!("{out_ty}x{in_ty}"),
                pair: BilinearPair {
                    out_offsets: out_offsets.clone(),
                    out_dim: out_ty.size(d),
                    in_offsets: in_offsets.clone(),
                    in_dim: in_ty.size(d),
                    selected_offsets,
                    block_index,
                },
            });
        }
    }
    Ok(pairs)
}

/// Position, inside a copy of type `T_out (x) T_in*`, of block entry `(i, j)`.
///
/// A block's row index runs over the axes of `T_out = T(pa, qa)` (vector axes, then covector
/// axes) and its column index over those of `T_in = T(pb, qb)`; as a tensor the block has axes
/// `(V^pa, V*^qa, V*^pb, V^qb)`. A copy of `T(pa + qb, qa + pb)` orders its axes
/// `(V^(pa+qb), V*^(qa+pb))`, so the vector axes of the input side move before the covector
/// axes. For orthogonal groups every axis is a vector axis and the map is the identity.
fn block_index(d: usize, out_ty: TensorType, in_ty: TensorType, orthogonal: bool) -> Vec<usize> {
    let (rows, cols) = (out_ty.size(d), in_ty.size(d));
    if orthogonal || (out_ty.q == 0 && in_ty.q == 0) || (in_ty.rank() == 0) {
        return (0..rows * cols).collect();
    }
    let (pa, qa, pb, qb) = (out_ty.p, out_ty.q, in_ty.p, in_ty.q);
    let digits = |mut v: usize, n: usize| {
        let mut out = vec![0; n];
        for k in (0..n).rev() {
            out[k] = v % d;
            v /= d;
        }
        out
    };
    let mut index = Vec::with_capacity(rows * cols);
    for i in 0..rows {
        let di = digits(i, pa + qa);
        for j in 0..cols {
            let dj = digits(j, pb + qb);
            // Target axis order: V^pa, V^qb, V*^qa, V*^pb.
            let axes = di[..pa]
                .iter()
                .chain(&dj[pb..])
                .chain(&di[pa..])
                .chain(&dj[..pb]);
            index.push(axes.fold(0, |acc, &a| acc * d + a));
        }
    }
    index
}

/// A bilinear layer: its op and the names of its parameter matrices.
#[derive(Clone, Debug)]
pub struct BilinearLayer {
    /// The op with its block structure.
    pub op: std::sync::Arc<BilinearOp>,
    /// Parameter name suffix of each pair, in op input order.
    pub pair_names: Vec<String>,
}

/// EMLP's output scale of the bilinear term.
pub const BILINEAR_SCALE: f64 = 0.1;

impl BilinearLayer {
    /// Builds the layer `rep -> rep` under `group` for the chosen copies.
    pub fn new(rep: &SumRep, group: &Group, selections: &[CopySelection]) -> Result<Self> {
        let pairs = build_pairs(rep, group, selections)?;
        let pair_names = pairs.iter().map(|p| p.name.clone()).collect();
        let width = rep.size(group.dim());
        let op = BilinearOp::new(
            width,
            BILINEAR_SCALE,
            pairs.into_iter().map(|p| p.pair).collect(),
        )?;
        Ok(Self {
            op: std::sync::Arc::new(op),
            pair_names,
        })
    }

    /// Initial parameters, `N(0, 1)` entries (EMLP's initialisation), one matrix per pair.
    pub fn initial_params<F: Float>(&self, rng: &mut SeededRng) -> Vec<Array2<F>> {
        self.op
            .pairs()
            .iter()
            .map(|p| {
                Array2::from_shape_simple_fn(p.param_shape(), || {
                    let z: f64 = StandardNormal.sample(rng);
                    F::of(z)
                })
            })
            .collect()
    }
}
