//! Loading a task's data and turning a model specification into a model configuration.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::data::synthetic::{OodConfig, OodKind, SpecialAxis, SyntheticConfig, Task, generate};
use crate::data::trajectory::{opensky_dir, read_opensky};
use crate::data::{
    Centring, DATA_DIR_ENV, ReadOptions, Split, Splits, WindowConfig, WindowedData, make_windows,
    read_tracks,
};
use crate::error::{Error, Result};
use crate::nn::bilinear::CopySampling;
use crate::nn::frame_averaging::FrameAveragedConfig;
use crate::nn::gate::GateKind;
use crate::nn::mlp::MlpConfig;
use crate::nn::{ModelConfig, NetConfig, NetKind, NetSpec, PerInit};
use crate::symmetry::SumRep;

use super::config::{ModelSpec, TaskSpec};

/// A loaded dataset with what the models need to know about it.
#[derive(Clone)]
pub struct TaskData {
    /// Short description, e.g. `inertia z eps=-1` or `motion quickstart`.
    pub label: String,
    /// Train, validation, test and optional out-of-distribution splits (f64).
    pub splits: Splits,
    /// Input representation.
    pub rep_in: String,
    /// Output representation.
    pub rep_out: String,
    /// Dimension of the base space.
    pub dim: usize,
    /// Candidate groups, the full group first.
    pub groups: Vec<String>,
    /// The subgroup that fixes the special axis (synthetic tasks with an axis; xy for motion).
    pub oracle_subgroup: Option<String>,
    /// Motion only: windows with scale and centres, for metrics in metres.
    pub windows: Option<Arc<WindowedData>>,
}

/// Test metrics of one split.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SplitMetrics {
    /// Mean squared error in the model's units (scaled units for motion).
    pub mse: f64,
    /// Motion: average displacement error in metres.
    pub ade_m: Option<f64>,
    /// Motion: final displacement error in metres.
    pub fde_m: Option<f64>,
}

impl SplitMetrics {
    /// The number a run minimises on validation: ADE for motion, MSE otherwise.
    pub fn selection_value(&self) -> f64 {
        self.ade_m.unwrap_or(self.mse)
    }
}

/// Equivariance error of a model under one group.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GroupError {
    /// The group's name.
    pub group: String,
    /// Mean relative equivariance error.
    pub error: f64,
}

impl TaskData {
    /// Measures the relative equivariance error of `f` under every candidate group, on the
    /// first `inputs` test rows with `samples` group elements each (drawn from seed 0, so all
    /// models see the same elements).
    pub fn equivariance_errors<F, M>(
        &self,
        f: M,
        inputs: usize,
        samples: usize,
    ) -> Result<Vec<GroupError>>
    where
        F: crate::Float,
        M: Fn(ndarray::ArrayView2<'_, F>) -> Result<Array2<F>>,
    {
        let (rep_in, rep_out): (SumRep, SumRep) = (self.rep_in.parse()?, self.rep_out.parse()?);
        let n = inputs.min(self.splits.test().n_samples());
        let x = self
            .splits
            .test()
            .x()
            .slice(ndarray::s![..n, ..])
            .mapv(F::of);
        self.groups
            .iter()
            .map(|name| {
                let group = crate::symmetry::Group::parse(name)?;
                let error = crate::nn::equivariance::relative_equivariance_error(
                    &f,
                    &group,
                    &rep_in,
                    &rep_out,
                    x.view(),
                    samples,
                    0,
                )?;
                Ok(GroupError {
                    group: name.clone(),
                    error,
                })
            })
            .collect()
    }

    /// Loads or generates the data of `spec`.
    pub fn load(spec: &TaskSpec) -> Result<Self> {
        match spec.name.as_str() {
            "motion" => load_motion(spec),
            _ => load_synthetic(spec),
        }
    }

    /// Metrics of `predictions` on `split`.
    pub fn metrics(&self, split: Split, predictions: &Array2<f64>) -> Result<SplitMetrics> {
        let data = self.splits.get(split).ok_or_else(|| {
            Error::invalid("split", split.as_str(), "this task has no such split")
        })?;
        let mse = (predictions - data.y())
            .mapv(|v| v * v)
            .mean()
            .unwrap_or(f64::NAN);
        match &self.windows {
            Some(w) => {
                let m = w.evaluate(split, predictions)?;
                Ok(SplitMetrics {
                    mse,
                    ade_m: Some(m.ade_m),
                    fde_m: Some(m.fde_m),
                })
            }
            None => Ok(SplitMetrics {
                mse,
                ade_m: None,
                fde_m: None,
            }),
        }
    }
}

fn load_synthetic(spec: &TaskSpec) -> Result<TaskData> {
    let task = Task::parse(&spec.name, &spec.variant, spec.eps)?;
    let mut config = SyntheticConfig::new(task, spec.data_seed);
    config.n_train = spec.n_train;
    config.n_val = spec.n_val;
    config.n_test = spec.n_test;
    config.ood = match spec.ood.as_str() {
        "none" | "" => None,
        name => Some(OodConfig {
            kind: OodKind::parse(name)?,
            n_samples: spec.n_ood,
        }),
    };
    let splits = generate(&config)?;
    let groups = if spec.groups.is_empty() {
        task.candidate_groups()
            .iter()
            .map(|g| g.to_string())
            .collect()
    } else {
        spec.groups.clone()
    };
    let oracle_subgroup = match task {
        Task::Inertia { axis, .. } | Task::Radius { axis, .. } => {
            axis.fixing_subgroup().map(String::from)
        }
        Task::CosSim { .. } => None,
    };
    Ok(TaskData {
        label: format!("{} {} eps={}", task.name(), task.variant(), task.eps()),
        splits,
        rep_in: task.input_rep().to_string(),
        rep_out: task.output_rep().to_string(),
        dim: 3,
        groups,
        oracle_subgroup,
        windows: None,
    })
}

/// Resolves where the trajectories of a motion task are.
fn motion_source(spec: &TaskSpec) -> Result<(PathBuf, bool)> {
    let root = if spec.data.is_empty() {
        std::env::var_os(DATA_DIR_ENV).map(PathBuf::from).ok_or_else(|| {
            Error::invalid(
                "motion data",
                "(none)",
                format!("pass --data DIR (a folder with <name>_tracks.csv.gz, or a trajectory CSV file) or set {DATA_DIR_ENV}"),
            )
        })?
    } else {
        PathBuf::from(&spec.data)
    };
    if root.is_file() {
        return Ok((root, true));
    }
    let derived = opensky_dir(&root);
    let dir = if derived.is_dir() { derived } else { root };
    Ok((dir, false))
}

fn load_motion(spec: &TaskSpec) -> Result<TaskData> {
    let (source, is_file) = motion_source(spec)?;
    let tracks = if is_file {
        read_tracks(&source, &ReadOptions::default())?
    } else {
        let tracks_file = source.join(format!("{}_tracks.csv.gz", spec.dataset));
        if !tracks_file.is_file() {
            return Err(Error::invalid(
                "motion data",
                tracks_file.display(),
                "the file does not exist; check --data and --dataset",
            ));
        }
        read_opensky(&source, &spec.dataset)?
    };
    let mut window = WindowConfig::for_dt(tracks.dt_s);
    window.n_past = spec.n_past;
    window.n_future = spec.n_future;
    if spec.step > 0 {
        window.step = spec.step;
        window.stride = 2 * spec.step;
    }
    if spec.stride > 0 {
        window.stride = spec.stride;
    }
    window.drop_filled = spec.drop_filled;
    window.centring = match spec.centring.as_str() {
        "past" => Centring::Past,
        "past-and-future" => Centring::PastAndFuture,
        other => {
            return Err(Error::UnknownName {
                kind: "centring",
                name: other.into(),
                valid: "past, past-and-future".into(),
            });
        }
    };
    let windows = make_windows(&tracks, &window)?;
    let dim = windows.dim();
    let groups = if spec.groups.is_empty() {
        windows
            .candidate_groups()
            .iter()
            .map(|g| g.to_string())
            .collect()
    } else {
        spec.groups.clone()
    };
    let oracle_subgroup = (dim == 3).then(|| "O(2)_xy".to_string());
    let name = if is_file {
        source.display().to_string()
    } else {
        spec.dataset.clone()
    };
    Ok(TaskData {
        label: format!("motion {name} k={} stride={}", window.step, window.stride),
        splits: windows.splits().clone(),
        rep_in: windows.input_rep().to_string(),
        rep_out: windows.output_rep().to_string(),
        dim,
        groups,
        oracle_subgroup,
        windows: Some(Arc::new(windows)),
    })
}

/// Parses a copy-sampling name.
fn copy_sampling(name: &str) -> Result<CopySampling> {
    match name {
        "distinct" => Ok(CopySampling::Distinct),
        "with-replacement" => Ok(CopySampling::WithReplacement),
        _ => Err(Error::UnknownName {
            kind: "copy sampling",
            name: name.into(),
            valid: "distinct, with-replacement".into(),
        }),
    }
}

/// Builds the configuration of the model `spec.name` for `task`, with seed `seed`.
pub fn model_config(spec: &ModelSpec, task: &TaskData, seed: u64) -> Result<ModelConfig> {
    let d = task.dim;
    let rep_in: SumRep = task.rep_in.parse()?;
    let rep_out: SumRep = task.rep_out.parse()?;
    let (n_in, n_out) = (rep_in.size(d), rep_out.size(d));
    let first_group = || -> Result<String> {
        if !spec.group.is_empty() {
            return Ok(spec.group.clone());
        }
        task.groups
            .first()
            .cloned()
            .ok_or_else(|| Error::invalid("groups", "(none)", "name at least one candidate group"))
    };
    let gate = |default: GateKind| -> Result<GateKind> {
        match spec.gate.as_str() {
            "" => Ok(default),
            "plain" => Ok(GateKind::Plain),
            "residual" => Ok(GateKind::Residual),
            other => Err(Error::UnknownName {
                kind: "gate",
                name: other.into(),
                valid: "plain, residual".into(),
            }),
        }
    };
    let net = |kind: NetKind,
               groups: Vec<String>,
               ch: usize,
               gate_kind: GateKind|
     -> Result<ModelConfig> {
        let per_init = match spec.per_init.as_str() {
            "plain" => PerInit::Plain,
            "half-projected" => PerInit::HalfProjected,
            other => {
                return Err(Error::UnknownName {
                    kind: "PER initialisation",
                    name: other.into(),
                    valid: "plain, half-projected".into(),
                });
            }
        };
        Ok(ModelConfig::Net(NetConfig::from_spec(NetSpec {
            kind,
            rep_in: task.rep_in.clone(),
            rep_out: task.rep_out.clone(),
            groups,
            ch,
            blocks: spec.blocks,
            gate: gate_kind,
            bilinear: spec.bilinear,
            copy_sampling: copy_sampling(&spec.copy_sampling)?,
            per_init,
            seed,
        })?))
    };
    match spec.name.as_str() {
        "mlp" => Ok(ModelConfig::Mlp {
            widths: MlpConfig {
                n_in,
                hidden: vec![spec.ch; spec.blocks],
                n_out,
            },
            seed,
        }),
        "frame-averaging" => Ok(ModelConfig::FrameAveraged {
            frames: FrameAveragedConfig {
                rep_in: task.rep_in.clone(),
                rep_out: task.rep_out.clone(),
                dim: d,
                hidden: vec![spec.ch; spec.blocks],
            },
            seed,
        }),
        "emlp" => net(
            NetKind::Emlp,
            vec![first_group()?],
            spec.ch,
            gate(GateKind::Plain)?,
        ),
        "rpp" => net(
            NetKind::Rpp,
            vec![first_group()?],
            spec.rpp_ch,
            gate(GateKind::Residual)?,
        ),
        "mixed-rpp" => {
            let free = if spec.free_group.is_empty() {
                task.oracle_subgroup.clone().ok_or_else(|| {
                    Error::invalid(
                        "free group",
                        "(none)",
                        "this task has no special axis; name H with --free-group",
                    )
                })?
            } else {
                spec.free_group.clone()
            };
            net(
                NetKind::MixedRpp,
                vec![first_group()?, free],
                spec.rpp_ch,
                gate(GateKind::Residual)?,
            )
        }
        "per" => {
            if task.groups.is_empty() {
                return Err(Error::invalid(
                    "groups",
                    "(none)",
                    "PER needs the full group and its candidate subgroups",
                ));
            }
            net(
                NetKind::Per,
                task.groups.clone(),
                spec.ch,
                gate(GateKind::Residual)?,
            )
        }
        other => Err(Error::UnknownName {
            kind: "model",
            name: other.into(),
            valid: super::config::MODEL_NAMES.join(", "),
        }),
    }
}

/// The name of the special axis' subgroup for a synthetic axis name, for reports.
pub fn fixing_subgroup(axis: &str) -> Option<&'static str> {
    SpecialAxis::parse(axis)
        .ok()
        .and_then(|a| a.fixing_subgroup())
}

/// Checks that the path exists, for clearer errors on `--data`.
pub fn require_path(path: &Path) -> Result<()> {
    if path.exists() {
        Ok(())
    } else {
        Err(Error::invalid(
            "path",
            path.display(),
            "the file or folder does not exist",
        ))
    }
}
