//! The bilinear layer's forward and backward kernels, as a custom op of the tape.
//!
//! EMLP's bilinear layer computes `y = s W(x) x` (`s = 0.1`), where the weight matrix `W(x)`
//! depends linearly on the input: every block of `W(x)` between an output copy `alpha` and an
//! input copy `beta` is a learned combination of `n` chosen tensor copies of `x` whose type
//! matches the block's type,
//!
//! ```text
//! W_{alpha beta}(x) = sum_c P[alpha, (c, beta)] X_c,     X_c = reshape(x_{sel c}, d_alpha x d_beta).
//! ```
//!
//! EMLP builds the batch of `W(x)` matrices explicitly (batch x 242 x 242 for the inertia
//! network), and its authors note that the backward pass is slow. Here `W(x)` is never formed.
//! Blocks are grouped into *pairs* (every output copy of one type against every input copy of
//! another) and each pair is evaluated in whichever order is cheaper:
//!
//! * inputs first: `Z[(s,i), (c,beta)] = (X_c x_beta)_i` per sample, then one GEMM
//!   `Y = Z P^T` mixes the `m_in n` columns into the `m_out` outputs;
//! * mix first: one GEMM `U[(s,j), (c,alpha)] = sum_beta x_beta[j] P[alpha, (c,beta)]`, then
//!   per sample `y_alpha = sum_c X_c u_{c,alpha}`.
//!
//! The per-sample work is `n min(m_in, m_out) d_alpha d_beta` multiply-adds; the rest is
//! GEMM. The backward pass runs the same steps in reverse.

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

use crate::autodiff::{CustomOp, CustomOutput};
use crate::error::{Error, Result};
use crate::float::Float;
use crate::linalg::matmul;

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
    /// Shape `(m_out, n * m_in)` of this pair's parameter matrix `P`, whose column
    /// `c * m_in + beta` weights chosen copy `c` in block `(alpha, beta)`.
    pub fn param_shape(&self) -> (usize, usize) {
        (
            self.out_offsets.len(),
            self.in_offsets.len() * self.selected_offsets.len(),
        )
    }

    fn m_in(&self) -> usize {
        self.in_offsets.len()
    }

    fn m_out(&self) -> usize {
        self.out_offsets.len()
    }

    fn n(&self) -> usize {
        self.selected_offsets.len()
    }

    /// Whether mixing the inputs first is cheaper than contracting them first.
    fn mix_first(&self) -> bool {
        self.m_out() < self.m_in()
    }

    /// Gathers chosen copy `c` of sample row `xs` as a `d_out x d_in` block into `out`.
    #[inline]
    fn gather_block<F: Float>(&self, xs: &[F], c: usize, out: &mut [F]) {
        let sel = self.selected_offsets[c];
        for (o, &k) in out.iter_mut().zip(&self.block_index) {
            *o = xs[sel + k];
        }
    }

    /// Adds the `d_out x d_in` block gradient `d` of chosen copy `c` into the row `dx`.
    #[inline]
    fn scatter_block<F: Float>(&self, d: &[F], c: usize, dx: &mut [F]) {
        let sel = self.selected_offsets[c];
        for (&k, &v) in self.block_index.iter().zip(d) {
            dx[sel + k] += v;
        }
    }

    /// The inputs `x_beta` of all samples as `V[(s, j), beta]` (`batch d_in x m_in`).
    fn gather_inputs<F: Float>(&self, x: &[F], width: usize) -> Array2<F> {
        let (d_in, m_in) = (self.in_dim, self.m_in());
        let mut v = Array2::zeros((x.len() / width * d_in, m_in));
        v.as_slice_mut()
            .expect("row-major")
            .par_chunks_mut(d_in * m_in)
            .zip(x.par_chunks(width))
            .for_each(|(v_s, xs)| {
                for (beta, &off) in self.in_offsets.iter().enumerate() {
                    for j in 0..d_in {
                        v_s[j * m_in + beta] = xs[off + j];
                    }
                }
            });
        v
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

/// Per-pair intermediate kept for the backward pass: `Z` (inputs first) or `U` (mix first).
const SAVED_PER_PAIR: usize = 1;

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
                        "every copy must lie inside the width {width} and the block index must map {sel_len} entries into a copy"
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
                        "each parameter matrix must be (out copies, chosen copies x in copies)"
                            .into(),
                });
            }
        }
        Ok(())
    }
}

/// `P` rearranged as `Pt[beta, (c, alpha)] = P[alpha, (c, beta)]` for the mix-first GEMM.
fn mix_matrix<F: Float>(pair: &BilinearPair, p: ArrayView2<'_, F>) -> Array2<F> {
    let (m_in, m_out, n) = (pair.m_in(), pair.m_out(), pair.n());
    Array2::from_shape_fn((m_in, n * m_out), |(beta, col)| {
        let (c, alpha) = (col / m_out, col % m_out);
        p[[alpha, c * m_in + beta]]
    })
}

/// Inverse of [`mix_matrix`] for gradients.
fn unmix_matrix<F: Float>(pair: &BilinearPair, pt: &Array2<F>) -> Array2<F> {
    let (m_in, m_out) = (pair.m_in(), pair.m_out());
    Array2::from_shape_fn(pair.param_shape(), |(alpha, col)| {
        let (c, beta) = (col / m_in, col % m_in);
        pt[[beta, c * m_out + alpha]]
    })
}

/// Inputs first, forward: `Z[(s,i), (c,beta)] = (X_c x_beta)_i`.
fn contract_inputs<F: Float>(pair: &BilinearPair, x: &[F], width: usize) -> Array2<F> {
    let (d_out, d_in, m_in, n) = (pair.out_dim, pair.in_dim, pair.m_in(), pair.n());
    let v = pair.gather_inputs(x, width);
    let cols = n * m_in;
    let mut z = Array2::zeros((x.len() / width * d_out, cols));
    z.as_slice_mut()
        .expect("row-major")
        .par_chunks_mut(d_out * cols)
        .zip(x.par_chunks(width))
        .zip(v.as_slice().expect("row-major").par_chunks(d_in * m_in))
        .for_each(|((z_s, xs), v_s)| {
            let mut block = vec![F::zero(); d_out * d_in];
            for c in 0..n {
                pair.gather_block(xs, c, &mut block);
                for i in 0..d_out {
                    let z_row = &mut z_s[i * cols + c * m_in..i * cols + (c + 1) * m_in];
                    for j in 0..d_in {
                        let a = block[i * d_in + j];
                        for (zv, &vv) in z_row.iter_mut().zip(&v_s[j * m_in..(j + 1) * m_in]) {
                            *zv += a * vv;
                        }
                    }
                }
            }
        });
    z
}

/// Mix first, forward: `y_alpha += scale sum_c X_c u_{c,alpha}` with `u` from the GEMM.
fn apply_mixed<F: Float>(
    pair: &BilinearPair,
    x: &[F],
    u: &Array2<F>,
    scale: F,
    y: &mut [F],
    width: usize,
) {
    let (d_out, d_in, m_out, n) = (pair.out_dim, pair.in_dim, pair.m_out(), pair.n());
    let cols = n * m_out;
    y.par_chunks_mut(width)
        .zip(x.par_chunks(width))
        .zip(u.as_slice().expect("row-major").par_chunks(d_in * cols))
        .for_each(|((y_s, xs), u_s)| {
            let mut block = vec![F::zero(); d_out * d_in];
            let mut acc = vec![F::zero(); d_out * m_out];
            for c in 0..n {
                pair.gather_block(xs, c, &mut block);
                for i in 0..d_out {
                    let acc_row = &mut acc[i * m_out..(i + 1) * m_out];
                    for j in 0..d_in {
                        let a = block[i * d_in + j];
                        let u_row = &u_s[j * cols + c * m_out..j * cols + (c + 1) * m_out];
                        for (o, &uv) in acc_row.iter_mut().zip(u_row) {
                            *o += a * uv;
                        }
                    }
                }
            }
            for (alpha, &off) in pair.out_offsets.iter().enumerate() {
                for i in 0..d_out {
                    y_s[off + i] += scale * acc[i * m_out + alpha];
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
        let x = inputs[0].as_standard_layout();
        let xs = x.as_slice().expect("row-major");
        let width = self.width;
        let scale = F::of(self.scale);
        let mut y = Array2::zeros((x.nrows(), width));
        let mut saved = Vec::with_capacity(self.pairs.len() * SAVED_PER_PAIR);
        for (pair, p) in self.pairs.iter().zip(&inputs[1..]) {
            let (d_out, m_out) = (pair.out_dim, pair.m_out());
            if pair.mix_first() {
                let u = matmul(
                    pair.gather_inputs(xs, width).view(),
                    mix_matrix(pair, *p).view(),
                );
                apply_mixed(
                    pair,
                    xs,
                    &u,
                    scale,
                    y.as_slice_mut().expect("row-major"),
                    width,
                );
                saved.push(u);
            } else {
                let z = contract_inputs(pair, xs, width);
                let yp = matmul(z.view(), p.t());
                let yp = yp.as_slice().expect("row-major");
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
        let x = inputs[0].as_standard_layout();
        let xs = x.as_slice().expect("row-major");
        let grad = grad.as_standard_layout();
        let gs = grad.as_slice().expect("row-major");
        let width = self.width;
        let scale = F::of(self.scale);
        let mut grads: Vec<Option<Array2<F>>> = vec![None];
        let mut dx_buf = needs_grad[0].then(|| Array2::<F>::zeros(x.raw_dim()));
        for (k, (pair, p)) in self.pairs.iter().zip(&inputs[1..]).enumerate() {
            let saved = &output.saved[k];
            let (d_out, d_in, m_out, m_in, n) = (
                pair.out_dim,
                pair.in_dim,
                pair.m_out(),
                pair.m_in(),
                pair.n(),
            );
            // dY[(s, i), alpha] = scale * grad[s, off_alpha + i]
            let mut dy = Array2::zeros((x.nrows() * d_out, m_out));
            dy.as_slice_mut()
                .expect("row-major")
                .par_chunks_mut(d_out * m_out)
                .zip(gs.par_chunks(width))
                .for_each(|(dy_s, g_s)| {
                    for (alpha, &off) in pair.out_offsets.iter().enumerate() {
                        for i in 0..d_out {
                            dy_s[i * m_out + alpha] = scale * g_s[off + i];
                        }
                    }
                });
            let dys = dy.as_slice().expect("row-major");
            if pair.mix_first() {
                // u = V Pt; y_alpha[i] = sum_c sum_j X_c[i,j] u[(s,j),(c,alpha)].
                let u = saved;
                let cols = n * m_out;
                let mut du = Array2::<F>::zeros(u.raw_dim());
                let dx_slice = dx_buf
                    .as_mut()
                    .map(|d| d.as_slice_mut().expect("row-major"));
                let du_slice = du.as_slice_mut().expect("row-major");
                // Per sample in parallel; each sample writes only its own rows of dU and dx.
                match dx_slice {
                    Some(dxs) => du_slice
                        .par_chunks_mut(d_in * cols)
                        .zip(dxs.par_chunks_mut(width))
                        .zip(xs.par_chunks(width))
                        .zip(u.as_slice().expect("row-major").par_chunks(d_in * cols))
                        .zip(dys.par_chunks(d_out * m_out))
                        .for_each(|((((du_s, dx_s), xs_s), u_s), dy_s)| {
                            mixed_adjoint(pair, xs_s, u_s, dy_s, du_s, Some(dx_s));
                        }),
                    None => du_slice
                        .par_chunks_mut(d_in * cols)
                        .zip(xs.par_chunks(width))
                        .zip(u.as_slice().expect("row-major").par_chunks(d_in * cols))
                        .zip(dys.par_chunks(d_out * m_out))
                        .for_each(|(((du_s, xs_s), u_s), dy_s)| {
                            mixed_adjoint(pair, xs_s, u_s, dy_s, du_s, None);
                        }),
                }
                let v = pair.gather_inputs(xs, width);
                grads
                    .push(needs_grad[k + 1].then(|| unmix_matrix(pair, &matmul(v.t(), du.view()))));
                if let Some(dxs) = dx_buf.as_mut() {
                    // dV = dU Pt^T, scattered back to the inputs x_beta.
                    let dv = matmul(du.view(), mix_matrix(pair, *p).t());
                    scatter_inputs(pair, &dv, dxs.as_slice_mut().expect("row-major"), width);
                }
            } else {
                let z = saved;
                grads.push(needs_grad[k + 1].then(|| matmul(dy.t(), z.view())));
                if let Some(dxs) = dx_buf.as_mut() {
                    let dz = matmul(dy.view(), *p);
                    let v = pair.gather_inputs(xs, width);
                    let mut dv = Array2::<F>::zeros(v.raw_dim());
                    let cols = n * m_in;
                    dxs.as_slice_mut()
                        .expect("row-major")
                        .par_chunks_mut(width)
                        .zip(
                            dv.as_slice_mut()
                                .expect("row-major")
                                .par_chunks_mut(d_in * m_in),
                        )
                        .zip(xs.par_chunks(width))
                        .zip(v.as_slice().expect("row-major").par_chunks(d_in * m_in))
                        .zip(dz.as_slice().expect("row-major").par_chunks(d_out * cols))
                        .for_each(|((((dx_s, dv_s), xs_s), v_s), dz_s)| {
                            let mut block = vec![F::zero(); d_out * d_in];
                            let mut dblock = vec![F::zero(); d_out * d_in];
                            for c in 0..n {
                                pair.gather_block(xs_s, c, &mut block);
                                for i in 0..d_out {
                                    let dz_row =
                                        &dz_s[i * cols + c * m_in..i * cols + (c + 1) * m_in];
                                    for j in 0..d_in {
                                        let a = block[i * d_in + j];
                                        let v_row = &v_s[j * m_in..(j + 1) * m_in];
                                        let dv_row = &mut dv_s[j * m_in..(j + 1) * m_in];
                                        let mut db = F::zero();
                                        for ((dvv, &vv), &g) in
                                            dv_row.iter_mut().zip(v_row).zip(dz_row)
                                        {
                                            *dvv += a * g;
                                            db += g * vv;
                                        }
                                        dblock[i * d_in + j] = db;
                                    }
                                }
                                pair.scatter_block(&dblock, c, dx_s);
                            }
                        });
                    scatter_inputs(pair, &dv, dxs.as_slice_mut().expect("row-major"), width);
                }
            }
        }
        grads[0] = dx_buf;
        grads
    }
}

/// Mix first, backward for one sample: `dU` from `dY` and the blocks, and the blocks' gradient
/// into `dx`.
fn mixed_adjoint<F: Float>(
    pair: &BilinearPair,
    xs: &[F],
    u_s: &[F],
    dy_s: &[F],
    du_s: &mut [F],
    dx_s: Option<&mut [F]>,
) {
    let (d_out, d_in, m_out, n) = (pair.out_dim, pair.in_dim, pair.m_out(), pair.n());
    let cols = n * m_out;
    let mut block = vec![F::zero(); d_out * d_in];
    let mut dblock = vec![F::zero(); d_out * d_in];
    let mut dx_s = dx_s;
    for c in 0..n {
        pair.gather_block(xs, c, &mut block);
        for i in 0..d_out {
            let dy_row = &dy_s[i * m_out..(i + 1) * m_out];
            for j in 0..d_in {
                let range = j * cols + c * m_out..j * cols + (c + 1) * m_out;
                let a = block[i * d_in + j];
                let mut db = F::zero();
                for ((d, &uv), &g) in du_s[range.clone()].iter_mut().zip(&u_s[range]).zip(dy_row) {
                    *d += a * g;
                    db += g * uv;
                }
                dblock[i * d_in + j] = db;
            }
        }
        if let Some(dx) = dx_s.as_deref_mut() {
            pair.scatter_block(&dblock, c, dx);
        }
    }
}

/// Adds `dV[(s, j), beta]` into `dx[s, off_beta + j]`.
fn scatter_inputs<F: Float>(pair: &BilinearPair, dv: &Array2<F>, dx: &mut [F], width: usize) {
    let (d_in, m_in) = (pair.in_dim, pair.m_in());
    dx.par_chunks_mut(width)
        .zip(dv.as_slice().expect("row-major").par_chunks(d_in * m_in))
        .for_each(|(dx_s, dv_s)| {
            for (beta, &off) in pair.in_offsets.iter().enumerate() {
                for j in 0..d_in {
                    dx_s[off + j] += dv_s[j * m_in + beta];
                }
            }
        });
}
