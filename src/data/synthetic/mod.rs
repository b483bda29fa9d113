//! Synthetic regression tasks with a known, tunable symmetry breaking.
//!
//! | task | input | output | exact symmetry | broken by eps != 0 |
//! |---|---|---|---|---|
//! | `inertia` | 5 masses, 5 positions: 5T0+5T1 | 3 x 3 tensor: 1T2 | O(3) at eps = 0 | O(3); O(2)s not fixing the special axis |
//! | `cossim` | 3 vectors: 3T1 | 1T0 | SO(3) x Scaling at eps = 0 | scaling (`so3`), rotations (`scale`), both (`none`) |
//! | `radius` | 3 vectors: 3T1 | 1T0 | O(3) at eps = 0 | O(3); O(2)s not fixing the special axis |
//!
//! The formulas are on [`Task`], [`SpecialAxis`] and [`CosSimVariant`]. Each split is drawn
//! from its own [`SeededRng`](crate::rng::SeededRng), seeded by
//! [`derive_seed`]`(seed, stream)` with stream 1 for train, 2 val,
//! 3 test and 4 OOD. So one seed always gives the same data, and changing the size of one
//! split leaves the others unchanged.

mod cosine;
mod inertia;
mod radius;

use std::fmt;

use ndarray::Array2;
use serde::Serialize;

use super::{Dataset, RepSpec, Split, Splits};
use crate::rng::{derive_seed, rng_from_seed};
use crate::{Error, Result};

/// Names accepted by [`Task::parse`] for the task.
pub const TASK_NAMES: [&str; 3] = ["inertia", "cossim", "radius"];

/// The axis singled out by the perturbation of the `inertia` and `radius` tasks.
///
/// With axis a and eps != 0 the target stays exactly equivariant under the embedded O(2) that
/// fixes e_a (O(2)_yz for x, O(2)_xz for y, O(2)_xy for z) and is not O(3)-equivariant.
/// `None` perturbs x and y with opposite signs, which breaks every embedded O(2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpecialAxis {
    /// e_x.
    X,
    /// e_y.
    Y,
    /// e_z.
    Z,
    /// No axis: the x and y directions are perturbed in opposite directions.
    None,
}

impl SpecialAxis {
    /// Parses `x`, `y`, `z` or `none`.
    ///
    /// # Errors
    /// [`Error::UnknownName`] listing the valid names.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "x" => Ok(SpecialAxis::X),
            "y" => Ok(SpecialAxis::Y),
            "z" => Ok(SpecialAxis::Z),
            "none" => Ok(SpecialAxis::None),
            _ => Err(Error::UnknownName {
                kind: "axis",
                name: name.to_string(),
                valid: "x, y, z, none".to_string(),
            }),
        }
    }

    /// The name accepted by [`SpecialAxis::parse`].
    pub fn as_str(self) -> &'static str {
        match self {
            SpecialAxis::X => "x",
            SpecialAxis::Y => "y",
            SpecialAxis::Z => "z",
            SpecialAxis::None => "none",
        }
    }

    /// Name of the embedded O(2) that fixes this axis, or `None` for [`SpecialAxis::None`].
    pub fn fixing_subgroup(self) -> Option<&'static str> {
        match self {
            SpecialAxis::X => Some("O(2)_yz"),
            SpecialAxis::Y => Some("O(2)_xz"),
            SpecialAxis::Z => Some("O(2)_xy"),
            SpecialAxis::None => None,
        }
    }
}

/// Variant of the cosine-similarity task, written with c = mean of cos(x1,x2), cos(x2,x3),
/// cos(x3,x1), |x| the Euclidean norm and |x|_1 the L1 norm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CosSimVariant {
    /// y = c: invariant under rotations and scaling (named `both` or `exact`).
    Exact,
    /// y = c - eps * mean_i |x_i|: rotation invariant, breaks scaling.
    So3,
    /// y = c - eps * |x1|_1 / (|x2|_1 + |x3|_1): scale invariant, breaks rotations.
    Scale,
    /// y = c - eps * (mean_i |x_i| + |x1|_1 / (|x2|_1 + |x3|_1)): breaks both.
    None,
}

impl CosSimVariant {
    /// Parses `both` (or `exact`), `so3`, `scale` or `none`.
    ///
    /// # Errors
    /// [`Error::UnknownName`] listing the valid names.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "both" | "exact" => Ok(CosSimVariant::Exact),
            "so3" => Ok(CosSimVariant::So3),
            "scale" => Ok(CosSimVariant::Scale),
            "none" => Ok(CosSimVariant::None),
            _ => Err(Error::UnknownName {
                kind: "cossim variant",
                name: name.to_string(),
                valid: "both, exact, so3, scale, none".to_string(),
            }),
        }
    }

    /// The canonical name: `both`, `so3`, `scale` or `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            CosSimVariant::Exact => "both",
            CosSimVariant::So3 => "so3",
            CosSimVariant::Scale => "scale",
            CosSimVariant::None => "none",
        }
    }
}

/// A synthetic task and its symmetry-breaking strength eps.
///
/// - `Inertia`: k = 5 masses m_i = softplus(N(0,1)) and positions r_i ~ N(0, I_3). Input row
///   `[m_1..m_5, r_1x, r_1y, r_1z, .., r_5z]` (5T0+5T1). With
///   I = sum_i m_i (|r_i|^2 I_3 - r_i r_i^T), the target is Y = I + eps I e_a e_a^T for axis a,
///   or Y = I + eps (-I e_x e_x^T + I e_y e_y^T) for no axis, flattened row-major (T2, 9
///   columns). eps = 0 is exactly O(3)-equivariant: Y(Q r) = Q Y(r) Q^T for orthogonal Q.
///   Typical settings are eps = -1 with an axis, eps = 0, and eps in {-0.3, -1} without one.
/// - `CosSim`: x_1, x_2, x_3 ~ N(0, I_3) (3T1) to one scalar (T0); see [`CosSimVariant`].
/// - `Radius`: x_1, x_2, x_3 ~ N(0, I_3) (3T1) to the mean radius
///   y = (1/3) sum_i sqrt(x_i^T M x_i) (T0) with M = I + eps e_a e_a^T for axis a and
///   M = diag(1 - eps, 1 + eps, 1) for no axis. eps = 0 is the mean Euclidean length: O(3)
///   invariant but not scale invariant, the "radius" term that the cos-sim `so3` variant uses
///   to break scaling. An axis keeps the O(2) fixing it, like the inertia task, with a scalar
///   output whose equivariant bases are small. M must be positive definite: eps > -1 with an
///   axis, |eps| < 1 without.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "task", rename_all = "lowercase")]
pub enum Task {
    /// The modified inertia task.
    Inertia {
        /// The special axis.
        axis: SpecialAxis,
        /// Perturbation strength (dimensionless).
        eps: f64,
    },
    /// The cosine-similarity task.
    CosSim {
        /// Variant, naming the symmetry the perturbation breaks.
        variant: CosSimVariant,
        /// Perturbation strength (dimensionless).
        eps: f64,
    },
    /// The radius task.
    Radius {
        /// The special axis.
        axis: SpecialAxis,
        /// Metric stretch (dimensionless).
        eps: f64,
    },
}

impl Task {
    /// Builds a task from its name (`inertia`, `cossim` or `cos-sim`, `radius`), its variant
    /// (an axis name for `inertia` and `radius`, a [`CosSimVariant`] name for `cossim`) and eps.
    ///
    /// # Errors
    /// [`Error::UnknownName`] for an unknown task, axis or variant, listing the valid names;
    /// [`Error::InvalidSetting`] when eps is not finite or the radius metric is not positive
    /// definite.
    pub fn parse(task: &str, variant: &str, eps: f64) -> Result<Self> {
        let parsed = match task {
            "inertia" => Task::Inertia {
                axis: SpecialAxis::parse(variant)?,
                eps,
            },
            "cossim" | "cos-sim" => Task::CosSim {
                variant: CosSimVariant::parse(variant)?,
                eps,
            },
            "radius" => Task::Radius {
                axis: SpecialAxis::parse(variant)?,
                eps,
            },
            _ => {
                return Err(Error::UnknownName {
                    kind: "task",
                    name: task.to_string(),
                    valid: "inertia, cossim (or cos-sim), radius".to_string(),
                });
            }
        };
        parsed.validate()?;
        Ok(parsed)
    }

    /// Checks eps.
    ///
    /// # Errors
    /// [`Error::InvalidSetting`] when eps is not finite, or for `radius` when the metric M has
    /// a non-positive diagonal entry.
    pub fn validate(&self) -> Result<()> {
        let eps = self.eps();
        if !eps.is_finite() {
            return Err(Error::invalid("eps", eps, "a finite number"));
        }
        if let Task::Radius { axis, eps } = *self
            && radius::metric_diagonal(axis, eps).iter().any(|&m| m <= 0.0)
        {
            let fix = match axis {
                SpecialAxis::None => "a value in (-1, 1) for the radius task without an axis",
                _ => "a value above -1 for the radius task with an axis",
            };
            return Err(Error::invalid("eps", eps, fix));
        }
        Ok(())
    }

    /// The task's name: `inertia`, `cossim` or `radius`.
    pub fn name(&self) -> &'static str {
        match self {
            Task::Inertia { .. } => "inertia",
            Task::CosSim { .. } => "cossim",
            Task::Radius { .. } => "radius",
        }
    }

    /// The variant's name: the axis for `inertia` and `radius`, the cos-sim variant otherwise.
    pub fn variant(&self) -> &'static str {
        match self {
            Task::Inertia { axis, .. } | Task::Radius { axis, .. } => axis.as_str(),
            Task::CosSim { variant, .. } => variant.as_str(),
        }
    }

    /// The perturbation strength eps.
    pub fn eps(&self) -> f64 {
        match *self {
            Task::Inertia { eps, .. } | Task::CosSim { eps, .. } | Task::Radius { eps, .. } => eps,
        }
    }

    /// Layout of an input row on R^3: `5T0+5T1` for inertia, `3T1` otherwise.
    pub fn input_rep(&self) -> RepSpec {
        match self {
            Task::Inertia { .. } => {
                RepSpec::new(3, &[(inertia::N_MASSES, 0), (inertia::N_MASSES, 1)])
            }
            Task::CosSim { .. } | Task::Radius { .. } => RepSpec::new(3, &[(3, 1)]),
        }
    }

    /// Layout of a target row on R^3: `1T2` for inertia, `1T0` otherwise.
    pub fn output_rep(&self) -> RepSpec {
        match self {
            Task::Inertia { .. } => RepSpec::new(3, &[(1, 2)]),
            Task::CosSim { .. } | Task::Radius { .. } => RepSpec::new(3, &[(1, 0)]),
        }
    }

    /// Candidate groups for PER by name, the full group G_0 first (it gets lambda = 0) and then
    /// the subgroups whose penalties are tuned.
    pub fn candidate_groups(&self) -> &'static [&'static str] {
        match self {
            Task::Inertia { .. } | Task::Radius { .. } => {
                &["O(3)", "O(2)_xy", "O(2)_yz", "O(2)_xz"]
            }
            Task::CosSim { .. } => &["SO(3)xScaling", "SO(3)", "Scaling(3)"],
        }
    }

    /// The candidate groups under which the target is exactly equivariant, in the order of
    /// [`Task::candidate_groups`].
    pub fn exact_groups(&self) -> Vec<&'static str> {
        let all = self.candidate_groups().to_vec();
        if self.eps() == 0.0 {
            return all;
        }
        match self {
            Task::Inertia { axis, .. } | Task::Radius { axis, .. } => {
                axis.fixing_subgroup().into_iter().collect()
            }
            Task::CosSim { variant, .. } => match variant {
                CosSimVariant::Exact => all,
                CosSimVariant::So3 => vec!["SO(3)"],
                CosSimVariant::Scale => vec!["Scaling(3)"],
                CosSimVariant::None => Vec::new(),
            },
        }
    }

    /// Computes the target row for one input row (the noise-free ground truth).
    ///
    /// # Errors
    /// [`Error::Shape`] when `input` does not have [`RepSpec::size`] of [`Task::input_rep`]
    /// entries.
    pub fn target(&self, input: &[f64]) -> Result<Vec<f64>> {
        let expected = self.input_rep().size();
        if input.len() != expected {
            return Err(Error::Shape {
                op: "synthetic target",
                left: vec![input.len()],
                right: Vec::new(),
                expected: format!("an input row of {expected} values ({})", self.input_rep()),
            });
        }
        Ok(match *self {
            Task::Inertia { axis, eps } => {
                let mut output = vec![0.0; inertia::OUTPUT_SIZE];
                inertia::target(input, axis, eps, &mut output);
                output
            }
            Task::CosSim { variant, eps } => vec![cosine::target(input, variant, eps)],
            Task::Radius { axis, eps } => vec![radius::target(input, axis, eps)],
        })
    }

    /// Computes the target rows for every row of `x`.
    ///
    /// # Errors
    /// [`Error::Shape`] when `x` has the wrong number of columns.
    pub fn targets(&self, x: &Array2<f64>) -> Result<Array2<f64>> {
        let mut y = Array2::zeros((x.nrows(), self.output_rep().size()));
        for (input, mut output) in x.rows().into_iter().zip(y.rows_mut()) {
            let input = input.to_vec();
            let row = self.target(&input)?;
            output.assign(&ndarray::ArrayView1::from(&row));
        }
        Ok(y)
    }

    fn sample_input(&self, rng: &mut crate::rng::SeededRng, row: &mut [f64]) {
        match self {
            Task::Inertia { .. } => inertia::sample(rng, row),
            Task::CosSim { .. } => cosine::sample(rng, row),
            Task::Radius { .. } => radius::sample(rng, row),
        }
    }
}

impl fmt::Display for Task {
    /// Writes `inertia(axis=z, eps=-1)` style descriptions.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = match self {
            Task::CosSim { .. } => "variant",
            _ => "axis",
        };
        write!(
            f,
            "{}({key}={}, eps={})",
            self.name(),
            self.variant(),
            self.eps()
        )
    }
}

/// How the out-of-distribution inputs differ from the training distribution. The transform is
/// applied to every vector (T1) block of the input after sampling; scalars are unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OodKind {
    /// Adds the vector to every input vector, moving the data off the origin. For inertia this
    /// changes the targets, because I depends on positions relative to the origin.
    Shift([f64; 3]),
    /// Negates every input vector. The targets of all three tasks are unchanged (they are even
    /// in the vectors), so this set tests whether a model learnt the inversion x -> -x.
    SignFlip,
}

impl OodKind {
    /// The default shift: +1 along every axis, one standard deviation of the positions.
    pub const DEFAULT_SHIFT: OodKind = OodKind::Shift([1.0, 1.0, 1.0]);

    /// Parses `shift` (the default +1 shift) or `sign-flip`.
    ///
    /// # Errors
    /// [`Error::UnknownName`] listing the valid names.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "shift" => Ok(OodKind::DEFAULT_SHIFT),
            "sign-flip" => Ok(OodKind::SignFlip),
            _ => Err(Error::UnknownName {
                kind: "OOD transform",
                name: name.to_string(),
                valid: "shift, sign-flip".to_string(),
            }),
        }
    }

    fn apply(&self, vector: &mut [f64]) {
        match self {
            OodKind::Shift(shift) => {
                for (value, delta) in vector.iter_mut().zip(shift) {
                    *value += delta;
                }
            }
            OodKind::SignFlip => {
                for value in vector.iter_mut() {
                    *value = -*value;
                }
            }
        }
    }
}

/// The optional out-of-distribution split.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OodConfig {
    /// The transform applied to the sampled input vectors.
    pub kind: OodKind,
    /// Number of samples.
    pub n_samples: usize,
}

/// Everything that determines a synthetic dataset.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SyntheticConfig {
    /// The task and eps.
    pub task: Task,
    /// Training samples.
    pub n_train: usize,
    /// Validation samples.
    pub n_val: usize,
    /// Test samples.
    pub n_test: usize,
    /// The out-of-distribution split, if wanted.
    pub ood: Option<OodConfig>,
    /// Seed of all random draws.
    pub seed: u64,
}

impl SyntheticConfig {
    /// 1000 train, 1000 val and 1000 test samples without an OOD split, the sizes used in the
    /// PER authors' code (github.com/kim-hyunsu/PER, `train_softemlp.py`).
    pub fn new(task: Task, seed: u64) -> Self {
        SyntheticConfig {
            task,
            n_train: 1000,
            n_val: 1000,
            n_test: 1000,
            ood: None,
            seed,
        }
    }
}

/// Generates the splits of a synthetic task, deterministically from `config.seed`.
///
/// # Errors
/// [`Error::InvalidSetting`] when a split size is 0 or eps is invalid (see [`Task::validate`]);
/// [`Error::Data`] with [`super::DataError::NonFinite`] if a target is not finite (a cos-sim
/// input vector of length exactly 0, which has probability 0).
pub fn generate(config: &SyntheticConfig) -> Result<Splits> {
    config.task.validate()?;
    let mut sizes = vec![
        (Split::Train, "n_train", config.n_train, None),
        (Split::Val, "n_val", config.n_val, None),
        (Split::Test, "n_test", config.n_test, None),
    ];
    if let Some(ood) = config.ood {
        sizes.push((Split::Ood, "ood.n_samples", ood.n_samples, Some(ood.kind)));
    }
    let mut datasets = Vec::with_capacity(sizes.len());
    for (stream, (split, setting, n_samples, ood_kind)) in sizes.into_iter().enumerate() {
        if n_samples == 0 {
            return Err(Error::invalid(setting, 0, "at least 1 sample"));
        }
        let seed = derive_seed(config.seed, stream as u64 + 1);
        datasets.push(generate_split(
            &config.task,
            split,
            n_samples,
            seed,
            ood_kind,
        )?);
    }
    let mut datasets = datasets.into_iter();
    let mut next = || datasets.next().expect("one dataset per requested split");
    let (train, val, test) = (next(), next(), next());
    let ood = config.ood.map(|_| next());
    tracing::debug!(task = %config.task, seed = config.seed, "generated synthetic dataset");
    Ok(Splits::new(train, val, test, ood)?)
}

fn generate_split(
    task: &Task,
    split: Split,
    n_samples: usize,
    seed: u64,
    ood_kind: Option<OodKind>,
) -> Result<Dataset> {
    let input_rep = task.input_rep();
    let vector_columns = vector_block_starts(&input_rep);
    let mut rng = rng_from_seed(seed);
    let mut x = Array2::zeros((n_samples, input_rep.size()));
    for mut row in x.rows_mut() {
        let row = row
            .as_slice_mut()
            .expect("rows of a fresh array are contiguous");
        task.sample_input(&mut rng, row);
        if let Some(kind) = ood_kind {
            for &start in &vector_columns {
                kind.apply(&mut row[start..start + 3]);
            }
        }
    }
    let y = task.targets(&x)?;
    Ok(Dataset::new(split, x, y)?)
}

/// First column of every T1 block of `rep`.
fn vector_block_starts(rep: &RepSpec) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut column = 0;
    for term in &rep.terms {
        let width = rep.base_dim.pow(term.rank);
        for _ in 0..term.copies {
            if term.rank == 1 {
                starts.push(column);
            }
            column += width;
        }
    }
    starts
}
