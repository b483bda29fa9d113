//! The tape: node storage, graph-building methods with shape checks, and the backward pass.

use std::sync::Arc;

use ndarray::{Array2, ArrayView2, Axis as NdAxis, Zip, concatenate, s};

use crate::error::{Error, Result};
use crate::float::Float;
use crate::linalg::matmul;

use super::kernels::unary_forward;
use super::linear_op::{CustomOp, LinearOperator};
use super::ops::{Accumulator, Axis, BinaryKind, Broadcast, Op, UnaryKind, backward_rule};

/// A handle to a node on a [`Tape`]; only meaningful for the tape that created it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Var(pub(crate) usize);

impl Var {
    /// Position of the node on its tape (creation order).
    pub fn index(self) -> usize {
        self.0
    }
}

/// A record of operations in creation order, with every node's value.
pub struct Tape<F: Float> {
    values: Vec<Array2<F>>,
    ops: Vec<Op<F>>,
    needs_grad: Vec<bool>,
}

impl<F: Float> Default for Tape<F> {
    fn default() -> Self {
        Self::new()
    }
}

fn shape_error(
    op: &'static str,
    left: (usize, usize),
    right: (usize, usize),
    expected: impl Into<String>,
) -> Error {
    Error::Shape {
        op,
        left: vec![left.0, left.1],
        right: vec![right.0, right.1],
        expected: expected.into(),
    }
}

impl<F: Float> Tape<F> {
    /// An empty tape.
    pub fn new() -> Self {
        Self {
            values: Vec::new(),
            ops: Vec::new(),
            needs_grad: Vec::new(),
        }
    }

    /// Number of recorded nodes.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    fn push(&mut self, value: Array2<F>, op: Op<F>, needs_grad: bool) -> Var {
        self.values.push(value);
        self.ops.push(op);
        self.needs_grad.push(needs_grad);
        Var(self.values.len() - 1)
    }

    fn grad_any(&self, vars: &[Var]) -> bool {
        vars.iter().any(|v| self.needs_grad[v.0])
    }

    /// The value of a node.
    pub fn value(&self, v: Var) -> &Array2<F> {
        &self.values[v.0]
    }

    /// The shape `(rows, cols)` of a node.
    pub fn shape(&self, v: Var) -> (usize, usize) {
        self.values[v.0].dim()
    }

    /// Records a leaf whose gradient is wanted (a parameter or a differentiable input).
    pub fn variable(&mut self, value: Array2<F>) -> Var {
        self.push(value, Op::Leaf, true)
    }

    /// Records a constant leaf (data); no gradient flows into it.
    pub fn constant(&mut self, value: Array2<F>) -> Var {
        self.push(value, Op::Leaf, false)
    }

    /// `op(a) op(b)` where `op` transposes its operand when the flag is set. Transposition is a
    /// strided view, never a copy.
    pub fn matmul_t(&mut self, a: Var, b: Var, trans_a: bool, trans_b: bool) -> Result<Var> {
        let (av, bv) = (self.values[a.0].view(), self.values[b.0].view());
        let op_a = if trans_a { av.t() } else { av };
        let op_b = if trans_b { bv.t() } else { bv };
        if op_a.ncols() != op_b.nrows() {
            return Err(shape_error(
                "matmul",
                op_a.dim(),
                op_b.dim(),
                "the left operand's column count must equal the right operand's row count",
            ));
        }
        let value = matmul(op_a, op_b);
        let needs = self.grad_any(&[a, b]);
        Ok(self.push(
            value,
            Op::MatMul {
                a,
                b,
                trans_a,
                trans_b,
            },
            needs,
        ))
    }

    /// `a b`.
    pub fn matmul(&mut self, a: Var, b: Var) -> Result<Var> {
        self.matmul_t(a, b, false, false)
    }

    fn binary(&mut self, kind: BinaryKind, a: Var, b: Var) -> Result<Var> {
        let (sa, sb) = (self.shape(a), self.shape(b));
        let broadcast = if sa == sb {
            Broadcast::None
        } else if sb == (1, 1) {
            Broadcast::Scalar
        } else if sb.0 == 1 && sb.1 == sa.1 {
            Broadcast::Row
        } else {
            let name = match kind {
                BinaryKind::Add => "add",
                BinaryKind::Sub => "sub",
                BinaryKind::Mul => "mul",
                BinaryKind::Div => "div",
            };
            return Err(shape_error(
                name,
                sa,
                sb,
                "the right operand must have the left's shape, be one row of its width, or be 1x1",
            ));
        };
        let av = self.values[a.0].view();
        let bv = self.values[b.0]
            .broadcast(sa)
            .expect("broadcast checked above");
        let mut value = Array2::zeros(sa);
        let zip = Zip::from(&mut value).and(av).and(bv);
        match kind {
            BinaryKind::Add => zip.for_each(|o, &x, &y| *o = x + y),
            BinaryKind::Sub => zip.for_each(|o, &x, &y| *o = x - y),
            BinaryKind::Mul => zip.for_each(|o, &x, &y| *o = x * y),
            BinaryKind::Div => zip.for_each(|o, &x, &y| *o = x / y),
        }
        let needs = self.grad_any(&[a, b]);
        Ok(self.push(
            value,
            Op::Binary {
                kind,
                a,
                b,
                broadcast,
            },
            needs,
        ))
    }

    /// `a + b`; `b` may be a `1 x n` row (bias) or `1 x 1`.
    pub fn add(&mut self, a: Var, b: Var) -> Result<Var> {
        self.binary(BinaryKind::Add, a, b)
    }

    /// `a - b`; `b` may broadcast as in [`Tape::add`].
    pub fn sub(&mut self, a: Var, b: Var) -> Result<Var> {
        self.binary(BinaryKind::Sub, a, b)
    }

    /// Element-wise `a * b`; `b` may broadcast as in [`Tape::add`].
    pub fn mul(&mut self, a: Var, b: Var) -> Result<Var> {
        self.binary(BinaryKind::Mul, a, b)
    }

    /// Element-wise `a / b`; `b` may broadcast as in [`Tape::add`].
    pub fn div(&mut self, a: Var, b: Var) -> Result<Var> {
        self.binary(BinaryKind::Div, a, b)
    }

    /// `factor * a`.
    pub fn scale(&mut self, a: Var, factor: F) -> Var {
        let value = self.values[a.0].mapv(|v| v * factor);
        let needs = self.needs_grad[a.0];
        self.push(value, Op::Scale { a, factor }, needs)
    }

    /// Applies an element-wise function.
    pub fn unary(&mut self, kind: UnaryKind, a: Var) -> Var {
        let value = unary_forward(kind, self.values[a.0].view());
        let needs = self.needs_grad[a.0];
        self.push(value, Op::Unary { kind, a }, needs)
    }

    /// `-a`.
    pub fn neg(&mut self, a: Var) -> Var {
        self.unary(UnaryKind::Neg, a)
    }

    /// Logistic sigmoid.
    pub fn sigmoid(&mut self, a: Var) -> Var {
        self.unary(UnaryKind::Sigmoid, a)
    }

    /// Swish (SiLU), `x sigmoid(x)`.
    pub fn swish(&mut self, a: Var) -> Var {
        self.unary(UnaryKind::Swish, a)
    }

    /// Hyperbolic tangent.
    pub fn tanh(&mut self, a: Var) -> Var {
        self.unary(UnaryKind::Tanh, a)
    }

    /// Rectified linear unit.
    pub fn relu(&mut self, a: Var) -> Var {
        self.unary(UnaryKind::Relu, a)
    }

    /// Exponential.
    pub fn exp(&mut self, a: Var) -> Var {
        self.unary(UnaryKind::Exp, a)
    }

    /// Natural logarithm.
    pub fn log(&mut self, a: Var) -> Var {
        self.unary(UnaryKind::Log, a)
    }

    /// Element-wise square.
    pub fn square(&mut self, a: Var) -> Var {
        self.unary(UnaryKind::Square, a)
    }

    /// Element-wise square root.
    pub fn sqrt(&mut self, a: Var) -> Var {
        self.unary(UnaryKind::Sqrt, a)
    }

    /// Sum of all entries, as a `1 x 1` node.
    pub fn sum(&mut self, a: Var) -> Var {
        let value = Array2::from_elem((1, 1), self.values[a.0].sum());
        let needs = self.needs_grad[a.0];
        self.push(value, Op::Sum { a }, needs)
    }

    /// Mean of all entries, as a `1 x 1` node (a sum followed by a scale).
    pub fn mean(&mut self, a: Var) -> Var {
        let n = self.values[a.0].len().max(1);
        let total = self.sum(a);
        self.scale(total, F::one() / F::of(n as f64))
    }

    /// Sum along `axis`: `Rows` gives `1 x n`, `Cols` gives `m x 1`.
    pub fn sum_axis(&mut self, a: Var, axis: Axis) -> Var {
        let nd_axis = match axis {
            Axis::Rows => NdAxis(0),
            Axis::Cols => NdAxis(1),
        };
        let value = self.values[a.0].sum_axis(nd_axis).insert_axis(nd_axis);
        let needs = self.needs_grad[a.0];
        self.push(value, Op::SumAxis { a }, needs)
    }

    /// Mean along `axis` (a sum followed by a scale).
    pub fn mean_axis(&mut self, a: Var, axis: Axis) -> Var {
        let (rows, cols) = self.shape(a);
        let n = match axis {
            Axis::Rows => rows,
            Axis::Cols => cols,
        }
        .max(1);
        let total = self.sum_axis(a, axis);
        self.scale(total, F::one() / F::of(n as f64))
    }

    /// Row-major reshape to `shape`, which must have the same number of entries.
    pub fn reshape(&mut self, a: Var, shape: (usize, usize)) -> Result<Var> {
        let old = self.shape(a);
        if old.0 * old.1 != shape.0 * shape.1 {
            return Err(shape_error(
                "reshape",
                old,
                shape,
                "the new shape must have the same number of entries",
            ));
        }
        let flat: Vec<F> = self.values[a.0].iter().copied().collect();
        let value = Array2::from_shape_vec(shape, flat).expect("size checked above");
        let needs = self.needs_grad[a.0];
        Ok(self.push(value, Op::Reshape { a }, needs))
    }

    /// Matrix transpose (stored as a row-major copy).
    pub fn transpose(&mut self, a: Var) -> Var {
        let value = self.values[a.0].t().as_standard_layout().into_owned();
        let needs = self.needs_grad[a.0];
        self.push(value, Op::Transpose { a }, needs)
    }

    /// Gathers columns: output column `j` is input column `index[j]` (indices may repeat).
    pub fn gather_cols(&mut self, a: Var, index: Arc<[usize]>) -> Result<Var> {
        let (rows, cols) = self.shape(a);
        if let Some(&bad) = index.iter().find(|&&i| i >= cols) {
            return Err(shape_error(
                "gather_cols",
                (rows, cols),
                (1, bad),
                format!("every column index must be below {cols}"),
            ));
        }
        let src = &self.values[a.0];
        let mut value = Array2::zeros((rows, index.len()));
        for (r, mut out_row) in value.rows_mut().into_iter().enumerate() {
            let in_row = src.row(r);
            for (o, &i) in out_row.iter_mut().zip(index.iter()) {
                *o = in_row[i];
            }
        }
        let needs = self.needs_grad[a.0];
        Ok(self.push(value, Op::GatherCols { a, index }, needs))
    }

    /// Columns `start..end`.
    pub fn slice_cols(&mut self, a: Var, start: usize, end: usize) -> Result<Var> {
        let shape = self.shape(a);
        if start > end || end > shape.1 {
            return Err(shape_error(
                "slice_cols",
                shape,
                (start, end),
                format!("the column range must satisfy start <= end <= {}", shape.1),
            ));
        }
        let value = self.values[a.0].slice(s![.., start..end]).to_owned();
        let needs = self.needs_grad[a.0];
        Ok(self.push(value, Op::SliceCols { a, start }, needs))
    }

    /// Places the parts' columns side by side; all parts need the same row count.
    pub fn concat_cols(&mut self, parts: &[Var]) -> Result<Var> {
        let Some(&first) = parts.first() else {
            return Err(shape_error(
                "concat_cols",
                (0, 0),
                (0, 0),
                "at least one part",
            ));
        };
        let rows = self.shape(first).0;
        for &p in parts {
            if self.shape(p).0 != rows {
                return Err(shape_error(
                    "concat_cols",
                    self.shape(first),
                    self.shape(p),
                    "all parts must have the same number of rows",
                ));
            }
        }
        let views: Vec<ArrayView2<'_, F>> = parts.iter().map(|p| self.values[p.0].view()).collect();
        let value = concatenate(NdAxis(1), &views).expect("row counts checked above");
        let needs = self.grad_any(parts);
        Ok(self.push(
            value,
            Op::ConcatCols {
                parts: parts.to_vec(),
            },
            needs,
        ))
    }

    /// Applies a fixed linear operator; the backward pass applies its transpose.
    pub fn linear_op(&mut self, a: Var, op: Arc<dyn LinearOperator<F>>) -> Result<Var> {
        let out_shape = op.output_shape(self.shape(a))?;
        let value = op.apply(self.values[a.0].view());
        debug_assert_eq!(
            value.dim(),
            out_shape,
            "operator {} broke its shape",
            op.name()
        );
        let needs = self.needs_grad[a.0];
        Ok(self.push(value, Op::Linear { a, op }, needs))
    }

    /// Mean squared error `mean((a - target)^2)` against a constant target, as `1 x 1`.
    pub fn mse(&mut self, a: Var, target: Arc<Array2<F>>) -> Result<Var> {
        if self.shape(a) != target.dim() {
            return Err(shape_error(
                "mse",
                self.shape(a),
                target.dim(),
                "prediction and target must have the same shape",
            ));
        }
        let n = F::of(target.len().max(1) as f64);
        let mut total = F::zero();
        Zip::from(&self.values[a.0])
            .and(&*target)
            .for_each(|&p, &t| total += (p - t) * (p - t));
        let value = Array2::from_elem((1, 1), total / n);
        let needs = self.needs_grad[a.0];
        Ok(self.push(value, Op::Mse { a, target }, needs))
    }

    /// Records a custom op applied to `inputs`.
    pub fn custom(&mut self, inputs: &[Var], op: Arc<dyn CustomOp<F>>) -> Result<Var> {
        let views: Vec<_> = inputs.iter().map(|v| self.values[v.0].view()).collect();
        let output = op.forward(&views)?;
        let value = output.value.clone();
        let needs = self.grad_any(inputs);
        let op = Op::Custom {
            inputs: inputs.to_vec(),
            op,
            output,
        };
        Ok(self.push(value, op, needs))
    }

    /// Reverse pass from a `1 x 1` node: the gradient of `output` with respect to every node.
    pub fn backward(&self, output: Var) -> Result<Gradients<F>> {
        let shape = self.shape(output);
        if shape != (1, 1) {
            return Err(shape_error(
                "backward",
                shape,
                (1, 1),
                "backward starts from a scalar (1x1) node; use backward_with for others",
            ));
        }
        self.backward_with(output, Array2::from_elem((1, 1), F::one()))
    }

    /// Reverse pass seeded with `seed` as the gradient of `output` (a vector-Jacobian product).
    pub fn backward_with(&self, output: Var, seed: Array2<F>) -> Result<Gradients<F>> {
        if seed.dim() != self.shape(output) {
            return Err(shape_error(
                "backward_with",
                self.shape(output),
                seed.dim(),
                "the seed must have the output's shape",
            ));
        }
        let mut grads: Vec<Option<Array2<F>>> = vec![None; output.0 + 1];
        grads[output.0] = Some(seed);
        for i in (0..=output.0).rev() {
            if !self.needs_grad[i] {
                continue;
            }
            let Some(g) = grads[i].take() else { continue };
            let (before, after) = grads.split_at_mut(i);
            let mut acc = Accumulator {
                grads: before,
                needs_grad: &self.needs_grad[..i],
            };
            backward_rule(&self.ops[i], &self.values[i], &g, &self.values, &mut acc);
            after[0] = Some(g);
        }
        Ok(Gradients { grads })
    }
}

/// Gradients from one backward pass, indexed by [`Var`].
pub struct Gradients<F: Float> {
    grads: Vec<Option<Array2<F>>>,
}

impl<F: Float> Gradients<F> {
    /// The gradient of a node, or `None` if no gradient reached it.
    pub fn get(&self, v: Var) -> Option<&Array2<F>> {
        self.grads.get(v.0).and_then(Option::as_ref)
    }

    /// Moves a node's gradient out, or returns `None` if no gradient reached it.
    pub fn take(&mut self, v: Var) -> Option<Array2<F>> {
        self.grads.get_mut(v.0).and_then(Option::take)
    }
}
