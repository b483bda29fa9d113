//! The bilinear layer's forward and backward kernels, as a custom op of the tape.
//!
//! EMLP's bilinear layer computes `y = s W(x) x` (`s = 0.1`), where the weight matrix `W(x)`
//! depends linearly on the input: every block of `W(x)` between an output copy `alpha` and an
//! input copy `beta` is a learned combination of `n` chosen tensor copies of `x` whose type
//! matches the block's type,
//!
//! ```text
//! W_{alpha beta}(x) = sum_c P[(alpha, beta), c] * reshape(x_{sel c}, (d_alpha, d_beta)).
//! ```
//!
//! EMLP's authors build the batch of `W(x)` matrices explicitly (batch x 242 x 242 for the
//! inertia network) and note that its backward pass is slow. Here `W(x)` is never formed.
//! Blocks are grouped into *pairs* (all output copies of one type against all input copies of
//! another), and for each pair
//!
//! ```text
//! Z[s, i, (beta, c)] = sum_j X_c[i, j] x_beta[j]       (X_c = reshaped selected copy c)
//! Y[(s, i), alpha]   = sum_{beta, c} Z[(s, i), (beta, c)] P[alpha, (beta, c)]
//! y[s, off_alpha + i] += s * Y[(s, i), alpha]
//! ```
//!
//! so the learned combination is one GEMM per pair, and the contractions run per sample in
//! parallel. The backward pass reverses the same steps (`dP = dY^T Z`, `dZ = dY P`, then the two
//! contractions' adjoints into `dx`).

use ndarray::{Array2, ArrayView2, ArrayViewMut2};
use rayon::prelude::*;

use crate::autodiff::{CustomOp, CustomOutput};
use crate::error::{Error, Result};
use crate::float::Float;
use crate::linalg::{gemm, matmul};

/// One group of blocks of `W(x)`: every output copy of one type against every input copy of
/// another, filled from the chosen copies of the matching type in `x`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BilinearPair {
    /// Column offset of each output copy `alpha` in the layer's output.
    pub out_offsets: Vec<usize>,
    /// Dimension of the output copies' type.
    pub out_dim: usize,
    /// Column offset of each input copy `beta` in `x`.
    pub in_offsets: Vec<usize>,
    /// Dimension of the input copies' type.
    pub in_dim: usize,
    /// Column offset in `x` of each chosen copy `c` whose type matches the blocks' type.
    pub selected_offsets: Vec<usize>,
    /// For block entry `(i, j)` (at `i * in_dim + j`), its position inside a chosen copy. The
    /// identity when the copy's tensor axes are already ordered as (output axes, input axes).
    pub block_index: Vec<usize>,
}

impl BilinearPair {
    /// Shape `(m_out, m_in * n)` of this pair's parameter matrix `P`, whose column `beta * n + c`
    /// weights chosen copy `c` in block `(alpha, beta)`.
    pub fn param_shape(&self) -> (usize, usize) {
        (
            self.out_offsets.len(),
            self.in_offsets.len() * self.selected_offsets.len(),
        )
    }
}

/// The bilinear map `x -> scale * W(x) x` for a fixed block structure; inputs of the custom op
/// are `x` followed by one parameter matrix per pair.
#[derive(Clone, Debug)]
pub struct BilinearOp {
    width: usize,
    scale: f64,
    pairs: Vec<BilinearPair>,
}

impl BilinearOp {
    /// Checks that every offset fits in `width` and builds the op.
    pub fn new(width: usize, scale: f64, pairs: Vec<BilinearPair>) -> Result<Self> {
        for (k, p) in pairs.iter().enumerate() {
            let sel_len = p.out_dim * p.in_dim;
            let fits = |offsets: &[usize], dim: usize| offsets.iter().all(|&o| o + dim <= width);
            let ok = p.block_index.len() == sel_len
                && fits(&p.out_offsets, p.out_dim)
                && fits(&p.in_offsets, p.in_dim)
                && fits(&p.selected_offsets, sel_len)
                && p.block_index.iter().all(|&i| i < sel_len);
            if !ok {
                return Err(Error::invalid(
                    "bilinear pair",
                    k,
                    format!(
                        "every copy must lie inside the width {width} and the block index must be a map of {sel_len} entries"
                    ),
                ));
            }
        }
        Ok(Self {
            width,
            scale,
            pairs,
        })
    }

    /// The pairs, in the order of the parameter inputs.
    pub fn pairs(&self) -> &[BilinearPair] {
        &self.pairs
    }

    fn check_inputs<F: Float>(&self, inputs: &[ArrayView2<'_, F>]) -> Result<()> {
        let x = inputs[0];
        if x.ncols() != self.width {
            return Err(Error::Shape {
                op: "bilinear",
                left: x.shape().to_vec(),
                right: vec![self.width],
                expected: format!("the input must have {} columns", self.width),
            });
        }
        if inputs.len() != self.pairs.len() + 1 {
            return Err(Error::invalid(
                "bilinear inputs",
                inputs.len(),
                format!("pass x and {} parameter matrices", self.pairs.len()),
            ));
        }
        for (p, w) in self.pairs.iter().zip(&inputs[1..]) {
            if w.dim() != p.param_shape() {
                return Err(Error::Shape {
                    op: "bilinear",
                    left: w.shape().to_vec(),
                    right: vec![p.param_shape().0, p.param_shape().1],
                    expected:
                        "each parameter matrix must be (out copies, in copies x chosen copies)"
                            .into(),
                });
            }
        }
        Ok(())
    }
}

/// Gathers chosen copy `c` of sample row `xs` as a `d_out x d_in` block (row-major) into `out`.
#[inline]
fn gather_block<F: Float>(pair: &BilinearPair, xs: &[F], sel: usize, out: &mut [F]) {
    for (o, &k) in out.iter_mut().zip(&pair.block_index) {
        *o = xs[sel + k];
    }
}

/// Computes `Z` for one pair: rows `(sample, i)`, columns `(beta, c)`.
fn contract<F: Float>(pair: &BilinearPair, x: ArrayView2<'_, F>) -> Array2<F> {
    let (d_out, d_in) = (pair.out_dim, pair.in_dim);
    let (m_in, n) = (pair.in_offsets.len(), pair.selected_offsets.len());
    let cols = m_in * n;
    let mut z = Array2::zeros((x.nrows() * d_out, cols));
    let x = x.as_standard_layout();
    let width = x.ncols();
    let xs_all = x.as_slice().expect("standard layout");
    z.as_slice_mut()
        .expect("standard layout")
        .par_chunks_mut(d_out * cols)
        .zip(xs_all.par_chunks(width))
        .for_each(|(z_s, xs)| {
            let mut block = vec![F::zero(); d_out * d_in];
            for (c, &sel) in pair.selected_offsets.iter().enumerate() {
                gather_block(pair, xs, sel, &mut block);
                for (beta, &off_in) in pair.in_offsets.iter().enumerate() {
                    let v = &xs[off_in..off_in + d_in];
                    let col = beta * n + c;
                    for (i, row) in block.chunks_exact(d_in).enumerate() {
                        let mut acc = F::zero();
                        for (&a, &b) in row.iter().zip(v) {
                            acc += a * b;
                        }
                        z_s[i * cols + col] = acc;
                    }
                }
            }
        });
    z
}

/// Adds the adjoint of [`contract`] for `dz` into `dx` (both row-major).
fn contract_adjoint<F: Float>(
    pair: &BilinearPair,
    x: ArrayView2<'_, F>,
    dz: ArrayView2<'_, F>,
    mut dx: ArrayViewMut2<'_, F>,
) {
    let (d_out, d_in) = (pair.out_dim, pair.in_dim);
    let (m_in, n) = (pair.in_offsets.len(), pair.selected_offsets.len());
    let cols = m_in * n;
    let x = x.as_standard_layout();
    let dz = dz.as_standard_layout();
    let width = x.ncols();
    let xs_all = x.as_slice().expect("standard layout");
    let dz_all = dz.as_slice().expect("standard layout");
    dx.as_slice_mut()
        .expect("gradient buffers are row-major")
        .par_chunks_mut(width)
        .zip(xs_all.par_chunks(width))
        .zip(dz_all.par_chunks(d_out * cols))
        .for_each(|((dx_s, xs), dz_s)| {
            let mut block = vec![F::zero(); d_out * d_in];
            let mut dblock = vec![F::zero(); d_out * d_in];
            for (c, &sel) in pair.selected_offsets.iter().enumerate() {
                gather_block(pair, xs, sel, &mut block);
                dblock.iter_mut().for_each(|v| *v = F::zero());
                for (beta, &off_in) in pair.in_offsets.iter().enumerate() {
                    let col = beta * n + c;
                    for i in 0..d_out {
                        let g = dz_s[i * cols + col];
                        let row = &block[i * d_in..(i + 1) * d_in];
                        let drow = &mut dblock[i * d_in..(i + 1) * d_in];
                        let v = &xs[off_in..off_in + d_in];
                        for (d, &b) in drow.iter_mut().zip(v) {
                            *d += g * b;
                        }
                        for (dxv, &a) in dx_s[off_in..off_in + d_in].iter_mut().zip(row) {
                            *dxv += g * a;
                        }
                    }
                }
                for (&k, &d) in pair.block_index.iter().zip(&dblock) {
                    dx_s[sel + k] += d;
                }
            }
        });
}

impl<F: Float> CustomOp<F> for BilinearOp {
    fn name(&self) -> &str {
        "bilinear"
    }

    fn forward(&self, inputs: &[ArrayView2<'_, F>]) -> Result<CustomOutput<F>> {
        self.check_inputs(inputs)?;
        let x = inputs[0];
        let batch = x.nrows();
        let scale = F::of(self.scale);
        let mut y = Array2::zeros((batch, self.width));
        let mut saved = Vec::with_capacity(self.pairs.len());
        for (pair, p) in self.pairs.iter().zip(&inputs[1..]) {
            let z = contract(pair, x);
            // Y[(s, i), alpha] = Z P^T
            let yp = matmul(z.view(), p.t());
            let d_out = pair.out_dim;
            let m_out = pair.out_offsets.len();
            let yp = yp.as_slice().expect("matmul output is row-major");
            let width = self.width;
            y.as_slice_mut()
                .expect("row-major")
                .par_chunks_mut(width)
                .zip(yp.par_chunks(d_out * m_out))
                .for_each(|(y_s, yp_s)| {
                    for (alpha, &off) in pair.out_offsets.iter().enumerate() {
                        for i in 0..d_out {
                            y_s[off + i] += scale * yp_s[i * m_out + alpha];
                        }
                    }
                });
            saved.push(z);
        }
        Ok(CustomOutput { value: y, saved })
    }

    fn backward(
        &self,
        inputs: &[ArrayView2<'_, F>],
        output: &CustomOutput<F>,
        grad: ArrayView2<'_, F>,
        needs_grad: &[bool],
    ) -> Vec<Option<Array2<F>>> {
        let x = inputs[0];
        let scale = F::of(self.scale);
        let mut dx = needs_grad[0].then(|| Array2::zeros(x.raw_dim()));
        let mut grads = Vec::with_capacity(inputs.len());
        for (k, (pair, p)) in self.pairs.iter().zip(&inputs[1..]).enumerate() {
            let z = &output.saved[k];
            let d_out = pair.out_dim;
            // dY[(s, i), alpha] = scale * grad[s, off_alpha + i]
            let m_out = pair.out_offsets.len();
            let mut dy = Array2::zeros((x.nrows() * d_out, m_out));
            let grad = grad.as_standard_layout();
            let g_all = grad.as_slice().expect("row-major");
            dy.as_slice_mut()
                .expect("row-major")
                .par_chunks_mut(d_out * m_out)
                .zip(g_all.par_chunks(self.width))
                .for_each(|(dy_s, g_s)| {
                    for (alpha, &off) in pair.out_offsets.iter().enumerate() {
                        for i in 0..d_out {
                            dy_s[i * m_out + alpha] = scale * g_s[off + i];
                        }
                    }
                });
            // dP = dY^T Z
            grads.push(needs_grad[k + 1].then(|| matmul(dy.t(), z.view())));
            if let Some(dx) = dx.as_mut() {
                let mut dz = Array2::zeros(z.raw_dim());
                gemm(F::one(), dy.view(), *p, F::zero(), dz.view_mut());
                contract_adjoint(pair, x, dz.view(), dx.view_mut());
            }
        }
        let mut all = vec![dx];
        all.extend(grads);
        all
    }
}
