//! Extension points of the tape: fixed linear operators and custom ops.

use ndarray::{Array2, ArrayView2};

use crate::error::Result;
use crate::float::Float;

/// A fixed linear map applied to a node's value; its backward pass applies the transpose.
///
/// Projectors onto equivariant weights implement this, as does [`RowMatrix`]. The operator is
/// linear in its input and holds no trainable state.
pub trait LinearOperator<F: Float>: Send + Sync {
    /// A short name for error messages.
    fn name(&self) -> &str;

    /// Returns the output shape for an input of shape `input`, or a shape error.
    fn output_shape(&self, input: (usize, usize)) -> Result<(usize, usize)>;

    /// Computes `y = L(x)`.
    fn apply(&self, x: ArrayView2<'_, F>) -> Array2<F>;

    /// Computes `x = L^T(y)`, the adjoint under the Frobenius inner product.
    fn apply_transpose(&self, y: ArrayView2<'_, F>) -> Array2<F>;
}

/// The operator `X -> X M^T`: the matrix `M` (`n_out x n_in`) applied to every row of `X`.
pub struct RowMatrix<F: Float> {
    matrix: Array2<F>,
}

impl<F: Float> RowMatrix<F> {
    /// Wraps `matrix`, which maps row vectors of length `matrix.ncols()` to `matrix.nrows()`.
    pub fn new(matrix: Array2<F>) -> Self {
        Self { matrix }
    }
}

impl<F: Float> LinearOperator<F> for RowMatrix<F> {
    fn name(&self) -> &str {
        "row matrix"
    }

    fn output_shape(&self, input: (usize, usize)) -> Result<(usize, usize)> {
        if input.1 != self.matrix.ncols() {
            return Err(crate::Error::Shape {
                op: "linear operator",
                left: vec![input.0, input.1],
                right: self.matrix.shape().to_vec(),
                expected: "input rows of the operator's column count".into(),
            });
        }
        Ok((input.0, self.matrix.nrows()))
    }

    fn apply(&self, x: ArrayView2<'_, F>) -> Array2<F> {
        crate::linalg::matmul(x, self.matrix.t())
    }

    fn apply_transpose(&self, y: ArrayView2<'_, F>) -> Array2<F> {
        crate::linalg::matmul(y, self.matrix.view())
    }
}

/// Result of a custom op's forward pass: its value and whatever it saves for backward.
pub struct CustomOutput<F: Float> {
    /// The op's output.
    pub value: Array2<F>,
    /// Intermediate arrays the backward rule needs (kept on the tape).
    pub saved: Vec<Array2<F>>,
}

/// An operation with a hand-written forward and backward pass, defined outside this module
/// (the bilinear layer is one). It must be a differentiable function of its inputs.
pub trait CustomOp<F: Float>: Send + Sync {
    /// A short name for error messages and profiles.
    fn name(&self) -> &str;

    /// Computes the output from the input values, checking their shapes.
    fn forward(&self, inputs: &[ArrayView2<'_, F>]) -> Result<CustomOutput<F>>;

    /// Returns the gradient for each input given the output gradient `grad`. Entries for inputs
    /// with `needs_grad[i] == false` may be `None`.
    fn backward(
        &self,
        inputs: &[ArrayView2<'_, F>],
        output: &CustomOutput<F>,
        grad: ArrayView2<'_, F>,
        needs_grad: &[bool],
    ) -> Vec<Option<Array2<F>>>;
}
