//! Frame averaging (Puny et al., ICLR 2022) of an MLP for point-set inputs under O(d).
//!
//! The frame of an input is the eigenbasis `F` of the second-moment matrix `sum_v v v^T` of its
//! vector (`T1`) copies; it is defined up to the sign of each column, so all `2^d` sign choices
//! `F_s` are used. The model is
//!
//! ```text
//! f(x) = (1 / 2^d) sum_s rho_out(F_s) MLP(rho_in(F_s)^{-1} x),
//! ```
//!
//! which is O(d)-equivariant whenever the eigenvalues are distinct. Frames depend only on the
//! input, so gradients flow through the MLP and the fixed output transforms.

use std::sync::Arc;

use ndarray::{Array2, ArrayView2, Axis, s};
use serde::{Deserialize, Serialize};

use crate::autodiff::{LinearOperator, Tape, Var};
use crate::error::{Error, Result};
use crate::float::Float;
use crate::linalg::symmetric_eigen;
use crate::optim::ParamStore;
use crate::rng::SeededRng;
use crate::symmetry::SumRep;

use super::mlp::{Mlp, MlpConfig};

/// Settings of a frame-averaged MLP.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameAveragedConfig {
    /// Input representation (must contain at least one `T1` copy).
    pub rep_in: String,
    /// Output representation.
    pub rep_out: String,
    /// Dimension of the base space.
    pub dim: usize,
    /// Hidden widths of the MLP.
    pub hidden: Vec<usize>,
}

/// An MLP averaged over the `2^d` PCA frames of its input.
#[derive(Clone)]
pub struct FrameAveraged<F: Float> {
    config: FrameAveragedConfig,
    rep_in: SumRep,
    rep_out: SumRep,
    mlp: Mlp<F>,
}

/// The per-sample output transforms and their average, as a fixed linear operator from the
/// stacked `(2^d B) x n_out` MLP outputs (frame-major) to the `B x n_out` result.
struct FrameAverage<F: Float> {
    batch: usize,
    frames: usize,
    /// `rho_out(F_s)` for sample `b` and frame `s` at index `b * frames + s`.
    transforms: Vec<Array2<F>>,
}

impl<F: Float> LinearOperator<F> for FrameAverage<F> {
    fn name(&self) -> &str {
        "frame average"
    }

    fn output_shape(&self, input: (usize, usize)) -> Result<(usize, usize)> {
        if input.0 != self.batch * self.frames {
            return Err(Error::Shape {
                op: "frame average",
                left: vec![input.0, input.1],
                right: vec![self.batch * self.frames],
                expected: "one row per sample and frame".into(),
            });
        }
        Ok((self.batch, input.1))
    }

    fn apply(&self, y: ArrayView2<'_, F>) -> Array2<F> {
        let scale = F::one() / F::of(self.frames as f64);
        let mut out = Array2::zeros((self.batch, y.ncols()));
        for b in 0..self.batch {
            let mut row = out.row_mut(b);
            for s in 0..self.frames {
                let m = &self.transforms[b * self.frames + s];
                row.scaled_add(scale, &m.dot(&y.row(s * self.batch + b)));
            }
        }
        out
    }

    fn apply_transpose(&self, g: ArrayView2<'_, F>) -> Array2<F> {
        let scale = F::one() / F::of(self.frames as f64);
        let mut out = Array2::zeros((self.batch * self.frames, g.ncols()));
        for b in 0..self.batch {
            for s in 0..self.frames {
                let m = &self.transforms[b * self.frames + s];
                let v = m.t().dot(&g.row(b)).mapv(|v| v * scale);
                out.row_mut(s * self.batch + b).assign(&v);
            }
        }
        out
    }
}

impl<F: Float> FrameAveraged<F> {
    /// Builds the model with a freshly initialised MLP.
    pub fn new(config: FrameAveragedConfig, rng: &mut SeededRng) -> Result<Self> {
        let rep_in: SumRep = config.rep_in.parse()?;
        let rep_out: SumRep = config.rep_out.parse()?;
        let d = config.dim;
        if !rep_in.copies(d).any(|c| c.ty.rank() == 1) {
            return Err(Error::invalid(
                "frame averaging input",
                &config.rep_in,
                "frames are built from vector (T1) copies; the input has none",
            ));
        }
        let mlp = Mlp::new(
            MlpConfig {
                n_in: rep_in.size(d),
                hidden: config.hidden.clone(),
                n_out: rep_out.size(d),
            },
            rng,
        )?;
        Ok(Self {
            config,
            rep_in,
            rep_out,
            mlp,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &FrameAveragedConfig {
        &self.config
    }

    /// The MLP's parameters.
    pub fn params(&self) -> &ParamStore<F> {
        self.mlp.params()
    }

    /// Mutable access to the MLP's parameters.
    pub fn params_mut(&mut self) -> &mut ParamStore<F> {
        self.mlp.params_mut()
    }

    /// The `2^d` signed frames of one input row.
    fn frames(&self, x: ArrayView2<'_, F>) -> Result<Vec<Array2<f64>>> {
        let d = self.config.dim;
        let mut second_moment = Array2::<f64>::zeros((d, d));
        for copy in self.rep_in.copies(d).filter(|c| c.ty.rank() == 1) {
            let v = x
                .slice(s![0, copy.offset..copy.offset + d])
                .mapv(|t| t.to_f64());
            for i in 0..d {
                for j in 0..d {
                    second_moment[[i, j]] += v[i] * v[j];
                }
            }
        }
        let basis = symmetric_eigen(second_moment.view())?.vectors;
        Ok((0..1usize << d)
            .map(|mask| {
                let mut f = basis.clone();
                for (k, mut col) in f.axis_iter_mut(Axis(1)).enumerate() {
                    if mask >> k & 1 == 1 {
                        col.mapv_inplace(|v| -v);
                    }
                }
                f
            })
            .collect())
    }

    /// Records the frame-averaged forward pass for the batch `x`.
    pub fn forward(&self, tape: &mut Tape<F>, leaves: &[Var], x: Var) -> Result<Var> {
        let xs = tape.value(x).clone();
        let batch = xs.nrows();
        let n_frames = 1usize << self.config.dim;
        let n_in = xs.ncols();
        let mut canonical = Array2::zeros((batch * n_frames, n_in));
        let mut transforms = Vec::with_capacity(batch * n_frames);
        for b in 0..batch {
            let row = xs.slice(s![b..b + 1, ..]);
            for (s_idx, frame) in self.frames(row)?.into_iter().enumerate() {
                // rho(F)^{-1} = rho(F^T) for the orthogonal frame F.
                let moved = self.rep_in.apply_rho_rows(frame.t(), row)?;
                canonical.row_mut(s_idx * batch + b).assign(&moved.row(0));
                transforms.push(self.rep_out.rho(frame.view())?.mapv(F::of));
            }
        }
        let input = tape.constant(canonical);
        let y = self.mlp.forward(tape, leaves, input)?;
        let op = Arc::new(FrameAverage {
            batch,
            frames: n_frames,
            transforms,
        });
        tape.linear_op(y, op)
    }
}
