//! The primitive operations and, in [`backward_rule`], every backward rule.
//!
//! Conventions: values are 2-D; `g` is the gradient of the loss with respect to the op's output;
//! each rule returns the gradient with respect to each input (or adds it in place through
//! [`Accumulator`]). A binary op's right operand may broadcast over rows (shape `1 x n`, a
//! bias) or be a `1 x 1` scalar; its gradient is then summed over the broadcast rows/entries.

use std::sync::Arc;

use ndarray::{Array2, ArrayView2, Axis as NdAxis, Zip};

use crate::float::Float;
use crate::linalg::gemm;

use super::kernels::unary_backward;
use super::linear_op::{CustomOp, CustomOutput, LinearOperator};
use super::tape::Var;

/// Element-wise functions of one argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryKind {
    /// `-x`
    Neg,
    /// `1 / (1 + exp(-x))`
    Sigmoid,
    /// `x * sigmoid(x)`, also called SiLU
    Swish,
    /// `tanh(x)`
    Tanh,
    /// `max(x, 0)`; the derivative at 0 is taken as 0
    Relu,
    /// `exp(x)`
    Exp,
    /// natural logarithm, for `x > 0`
    Log,
    /// `x^2`
    Square,
    /// square root, for `x > 0`
    Sqrt,
}

/// Element-wise functions of two arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryKind {
    /// `a + b`
    Add,
    /// `a - b`
    Sub,
    /// `a * b`
    Mul,
    /// `a / b`
    Div,
}

/// An axis of a 2-D value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    /// Reduce over rows (the batch axis): the result has one row.
    Rows,
    /// Reduce over columns (features): the result has one column.
    Cols,
}

/// How the right operand of a binary op is shaped relative to the left one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Broadcast {
    /// Same shape.
    None,
    /// `1 x n` against `m x n`.
    Row,
    /// `1 x 1` against anything.
    Scalar,
}

/// One recorded operation.
pub(crate) enum Op<F: Float> {
    /// An input or parameter.
    Leaf,
    /// `op(a) op(b)`, where `op` transposes when the flag is set.
    MatMul {
        a: Var,
        b: Var,
        trans_a: bool,
        trans_b: bool,
    },
    /// Element-wise binary op with optional broadcasting of `b`.
    Binary {
        kind: BinaryKind,
        a: Var,
        b: Var,
        broadcast: Broadcast,
    },
    /// `factor * a`
    Scale { a: Var, factor: F },
    /// Element-wise function.
    Unary { kind: UnaryKind, a: Var },
    /// Sum of all entries, `1 x 1`.
    Sum { a: Var },
    /// Sum along an axis; the gradient broadcasts back along the reduced axis.
    SumAxis { a: Var },
    /// Row-major reshape.
    Reshape { a: Var },
    /// Matrix transpose.
    Transpose { a: Var },
    /// Columns `index[j]` of `a` as column `j`.
    GatherCols { a: Var, index: Arc<[usize]> },
    /// Columns `start..end` of `a`.
    SliceCols { a: Var, start: usize },
    /// Columns of all parts side by side.
    ConcatCols { parts: Vec<Var> },
    /// A fixed linear operator.
    Linear {
        a: Var,
        op: Arc<dyn LinearOperator<F>>,
    },
    /// `mean((a - target)^2)` over all entries, `1 x 1`; the target is a constant.
    Mse { a: Var, target: Arc<Array2<F>> },
    /// A custom op with its own backward rule.
    Custom {
        inputs: Vec<Var>,
        op: Arc<dyn CustomOp<F>>,
        output: CustomOutput<F>,
    },
}

/// Adds gradients into per-node slots, allocating a slot on first use.
pub(crate) struct Accumulator<'a, F: Float> {
    pub(crate) grads: &'a mut [Option<Array2<F>>],
    pub(crate) needs_grad: &'a [bool],
}

impl<F: Float> Accumulator<'_, F> {
    fn wants(&self, v: Var) -> bool {
        self.needs_grad[v.0]
    }

    /// Adds an owned gradient, moving it into an empty slot.
    fn add(&mut self, v: Var, g: Array2<F>) {
        match &mut self.grads[v.0] {
            Some(acc) => *acc += &g,
            slot @ None => *slot = Some(g),
        }
    }

    /// Adds `alpha * x y` into the slot of `v`, which has shape `shape`, without a temporary.
    fn add_product(
        &mut self,
        v: Var,
        shape: (usize, usize),
        x: ArrayView2<'_, F>,
        y: ArrayView2<'_, F>,
    ) {
        match &mut self.grads[v.0] {
            Some(acc) => gemm(F::one(), x, y, F::one(), acc.view_mut()),
            slot @ None => {
                let mut out = Array2::zeros(shape);
                gemm(F::one(), x, y, F::zero(), out.view_mut());
                *slot = Some(out);
            }
        }
    }
}

/// Sums a full-shape gradient down to the shape of a broadcast operand.
fn reduce_broadcast<F: Float>(g: Array2<F>, broadcast: Broadcast) -> Array2<F> {
    match broadcast {
        Broadcast::None => g,
        Broadcast::Row => g.sum_axis(NdAxis(0)).insert_axis(NdAxis(0)),
        Broadcast::Scalar => Array2::from_elem((1, 1), g.sum()),
    }
}

/// Applies the backward rule of `op`, whose output has value `y` and gradient `g`, given the
/// values of all nodes. Gradients flow only into inputs with `needs_grad`.
pub(crate) fn backward_rule<F: Float>(
    op: &Op<F>,
    y: &Array2<F>,
    g: &Array2<F>,
    values: &[Array2<F>],
    acc: &mut Accumulator<'_, F>,
) {
    let values = |v: Var| values[v.0].view();
    match op {
        Op::Leaf => {}
        Op::MatMul {
            a,
            b,
            trans_a,
            trans_b,
        } => {
            let av = values(*a);
            let bv = values(*b);
            let op_a = if *trans_a { av.t() } else { av };
            let op_b = if *trans_b { bv.t() } else { bv };
            // C = op(A) op(B): d op(A) = G op(B)^T and d op(B) = op(A)^T G.
            if acc.wants(*a) {
                if *trans_a {
                    acc.add_product(*a, av.dim(), op_b, g.t());
                } else {
                    acc.add_product(*a, av.dim(), g.view(), op_b.t());
                }
            }
            if acc.wants(*b) {
                if *trans_b {
                    acc.add_product(*b, bv.dim(), g.t(), op_a);
                } else {
                    acc.add_product(*b, bv.dim(), op_a.t(), g.view());
                }
            }
        }
        Op::Binary {
            kind,
            a,
            b,
            broadcast,
        } => {
            let av = values(*a);
            let bv_raw = values(*b);
            let bv = bv_raw.broadcast(av.dim()).expect("checked at build time");
            let (ga, gb) = match kind {
                BinaryKind::Add => (g.clone(), g.clone()),
                BinaryKind::Sub => (g.clone(), g.mapv(|v| -v)),
                BinaryKind::Mul => (g * &bv, g * &av),
                BinaryKind::Div => {
                    let ga = g / &bv;
                    let mut gb = Array2::zeros(g.raw_dim());
                    // d(a/b)/db = -a / b^2 = -y / b
                    Zip::from(&mut gb)
                        .and(g)
                        .and(y)
                        .and(&bv)
                        .for_each(|o, &g, &y, &b| {
                            *o = -g * y / b;
                        });
                    (ga, gb)
                }
            };
            if acc.wants(*a) {
                acc.add(*a, ga);
            }
            if acc.wants(*b) {
                acc.add(*b, reduce_broadcast(gb, *broadcast));
            }
        }
        Op::Scale { a, factor } => {
            if acc.wants(*a) {
                let f = *factor;
                acc.add(*a, g.mapv(|v| v * f));
            }
        }
        Op::Unary { kind, a } => {
            if acc.wants(*a) {
                acc.add(*a, unary_backward(*kind, values(*a), y.view(), g.view()));
            }
        }
        Op::Sum { a } => {
            if acc.wants(*a) {
                let shape = values(*a).dim();
                acc.add(*a, Array2::from_elem(shape, g[[0, 0]]));
            }
        }
        Op::SumAxis { a } => {
            if acc.wants(*a) {
                let shape = values(*a).dim();
                acc.add(*a, g.broadcast(shape).expect("checked").to_owned());
            }
        }
        Op::Reshape { a } => {
            if acc.wants(*a) {
                let shape = values(*a).dim();
                let flat = g.as_standard_layout().iter().copied().collect::<Vec<_>>();
                acc.add(*a, Array2::from_shape_vec(shape, flat).expect("same size"));
            }
        }
        Op::Transpose { a } => {
            if acc.wants(*a) {
                acc.add(*a, g.t().as_standard_layout().into_owned());
            }
        }
        Op::GatherCols { a, index } => {
            if acc.wants(*a) {
                let mut ga = Array2::zeros(values(*a).dim());
                for (j, &src) in index.iter().enumerate() {
                    let mut col = ga.column_mut(src);
                    col += &g.column(j);
                }
                acc.add(*a, ga);
            }
        }
        Op::SliceCols { a, start } => {
            if acc.wants(*a) {
                let mut ga = Array2::zeros(values(*a).dim());
                let end = start + g.ncols();
                ga.slice_mut(ndarray::s![.., *start..end]).assign(g);
                acc.add(*a, ga);
            }
        }
        Op::ConcatCols { parts } => {
            let mut start = 0;
            for &p in parts {
                let width = values(p).ncols();
                if acc.wants(p) {
                    let piece = g.slice(ndarray::s![.., start..start + width]).to_owned();
                    acc.add(p, piece);
                }
                start += width;
            }
        }
        Op::Linear { a, op } => {
            if acc.wants(*a) {
                acc.add(*a, op.apply_transpose(g.view()));
            }
        }
        Op::Mse { a, target } => {
            if acc.wants(*a) {
                let av = values(*a);
                let scale = F::of(2.0) * g[[0, 0]] / F::of(av.len() as f64);
                let mut ga = Array2::zeros(av.raw_dim());
                Zip::from(&mut ga)
                    .and(av)
                    .and(&**target)
                    .for_each(|o, &p, &t| {
                        *o = scale * (p - t);
                    });
                acc.add(*a, ga);
            }
        }
        Op::Custom { inputs, op, output } => {
            let views: Vec<_> = inputs.iter().map(|&v| values(v)).collect();
            let needs: Vec<bool> = inputs.iter().map(|&v| acc.wants(v)).collect();
            let grads = op.backward(&views, output, g.view(), &needs);
            for (&v, grad) in inputs.iter().zip(grads) {
                if let (true, Some(grad)) = (acc.wants(v), grad) {
                    acc.add(v, grad);
                }
            }
        }
    }
}
