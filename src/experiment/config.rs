//! Run configuration: task, model and training settings, read from TOML presets and
//! overridden by command-line flags.
//!
//! The settings of Kim et al. (ICML 2023) live in `configs/<task>.toml` (embedded in the binary, so they work
//! from any directory); [`RunConfig::preset`] loads one, [`RunConfig::quick`] shortens it to a
//! smoke run, and [`RunConfig::validate`] rejects impossible combinations with a message that
//! names the setting.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::method::{TuningConfig, TuningRule};

/// The embedded presets, by task name.
pub const PRESETS: [(&str, &str); 4] = [
    ("inertia", include_str!("../../configs/inertia.toml")),
    ("cossim", include_str!("../../configs/cossim.toml")),
    ("radius", include_str!("../../configs/radius.toml")),
    ("motion", include_str!("../../configs/motion.toml")),
];

/// Names accepted for `model.name`.
pub const MODEL_NAMES: [&str; 6] = ["per", "emlp", "rpp", "mixed-rpp", "mlp", "frame-averaging"];

/// The dataset and its candidate groups.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TaskSpec {
    /// `inertia`, `cossim`, `radius` or `motion`.
    pub name: String,
    /// Synthetic tasks: the special axis (`x`, `y`, `z`, `none`) or the cos-sim variant.
    pub variant: String,
    /// Strength of the symmetry breaking of the synthetic tasks.
    pub eps: f64,
    /// Training samples (synthetic tasks).
    pub n_train: usize,
    /// Validation samples (synthetic tasks).
    pub n_val: usize,
    /// Test samples (synthetic tasks).
    pub n_test: usize,
    /// Out-of-distribution set: `shift`, `sign-flip` or `none` (synthetic tasks).
    pub ood: String,
    /// Out-of-distribution samples.
    pub n_ood: usize,
    /// Seed of the data (synthetic tasks).
    pub data_seed: u64,
    /// Candidate groups, the full group first.
    pub groups: Vec<String>,
    /// Motion: a trajectory CSV file, or a folder holding `<dataset>_tracks.csv.gz` and
    /// `<dataset>_index.csv`, or a data root holding `opensky_adsb/derived`. Empty means the
    /// data root in `SOFTEQ_DATA_DIR`.
    pub data: String,
    /// Motion: the dataset name inside a folder (`quickstart`, `savan`, `switzerland`).
    pub dataset: String,
    /// Motion: past positions per window.
    pub n_past: usize,
    /// Motion: future positions per window.
    pub n_future: usize,
    /// Motion: samples between positions of a window; 0 picks about 5 s.
    pub step: usize,
    /// Motion: samples between window starts; 0 picks two steps.
    pub stride: usize,
    /// Motion: drop windows that contain interpolated samples.
    pub drop_filled: bool,
    /// Motion: `past` (default) or `past-and-future` (the authors' leaky centring).
    pub centring: String,
}

impl Default for TaskSpec {
    fn default() -> Self {
        Self {
            name: "inertia".into(),
            variant: "z".into(),
            eps: -1.0,
            n_train: 1000,
            n_val: 1000,
            n_test: 1000,
            ood: "none".into(),
            n_ood: 1000,
            data_seed: 0,
            groups: Vec::new(),
            data: String::new(),
            dataset: "quickstart".into(),
            n_past: 6,
            n_future: 6,
            step: 0,
            stride: 0,
            drop_filled: false,
            centring: "past".into(),
        }
    }
}

/// The model and its architecture settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelSpec {
    /// One of [`MODEL_NAMES`].
    pub name: String,
    /// Channels of PER, EMLP, the MLP and frame averaging.
    pub ch: usize,
    /// Channels of RPP and mixed RPP.
    pub rpp_ch: usize,
    /// Number of blocks.
    pub blocks: usize,
    /// `plain` or `residual`; empty picks the model's default (plain for EMLP, residual for
    /// PER and RPP).
    pub gate: String,
    /// Whether blocks have EMLP's bilinear layer.
    pub bilinear: bool,
    /// `distinct` or `with-replacement` copies for the bilinear layer.
    pub copy_sampling: String,
    /// PER's initialisation: `plain` or `half-projected`.
    pub per_init: String,
    /// The group of EMLP and RPP (and `G` of mixed RPP); empty means the first candidate.
    pub group: String,
    /// `H` of mixed RPP; empty means the candidate fixing the task's special axis.
    pub free_group: String,
    /// Train with inputs and outputs transformed by a random element of this group.
    pub augment: String,
    /// Seed of the model's random choices; trial `t` uses a seed derived from it.
    pub seed: u64,
}

impl Default for ModelSpec {
    fn default() -> Self {
        Self {
            name: "per".into(),
            ch: 128,
            rpp_ch: 89,
            blocks: 3,
            gate: String::new(),
            bilinear: true,
            copy_sampling: "distinct".into(),
            per_init: "plain".into(),
            group: String::new(),
            free_group: String::new(),
            augment: String::new(),
            seed: 0,
        }
    }
}

/// Strength tuning, in the file's words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TuningSpec {
    /// Initial strength `l0` of every proper subgroup.
    pub initial: f64,
    /// Exponent `p`.
    pub power: f64,
    /// Epoch `T_adj` at whose end the strengths are rescaled; 0 disables tuning.
    pub adjust_at: usize,
    /// `latest-low`, `per-group-min` or `size-corrected`.
    pub rule: String,
}

impl Default for TuningSpec {
    fn default() -> Self {
        Self {
            initial: 100.0,
            power: 2.0,
            adjust_at: 2000,
            rule: "latest-low".into(),
        }
    }
}

impl TuningSpec {
    /// Converts to the tuning configuration; fails for an unknown rule.
    pub fn to_config(&self) -> Result<TuningConfig> {
        Ok(TuningConfig {
            initial: self.initial,
            power: self.power,
            adjust_at: self.adjust_at,
            rule: TuningRule::parse(&self.rule)?,
        })
    }
}

/// Optimisation, selection and bookkeeping settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainSpec {
    /// Passes over the training set.
    pub epochs: usize,
    /// Samples per Adam step.
    pub batch_size: usize,
    /// Initial learning rate of the cosine schedule.
    pub lr: f64,
    /// PER's weight decay.
    pub weight_decay: f64,
    /// Decay of the residual gates' `w_gated` (PER, RPP).
    pub gated_wd: f64,
    /// RPP's decay of the free path.
    pub basic_wd: f64,
    /// RPP's decay of the equivariant path.
    pub equiv_wd: f64,
    /// Strength tuning (PER).
    pub tuning: TuningSpec,
    /// The best checkpoint is chosen among epochs after this one; `None` means `2 T_adj`.
    pub select_after: Option<usize>,
    /// Epochs without a validation improvement before stopping (counted after
    /// `select_after`); 0 disables early stopping.
    pub patience: usize,
    /// Independent trials.
    pub trials: usize,
    /// Seed of batch order and augmentation; trial `t` uses a seed derived from it.
    pub seed: u64,
    /// `f32` (default, fast) or `f64`.
    pub precision: String,
    /// Group elements sampled for each equivariance error.
    pub equivariance_samples: usize,
    /// Test inputs used for each equivariance error.
    pub equivariance_inputs: usize,
    /// Write a resumable checkpoint every this many epochs (and at the end).
    pub checkpoint_every: usize,
    /// Row blocks per batch, evaluated in parallel; results depend on this number, never on
    /// the number of threads.
    pub shards: usize,
}

impl Default for TrainSpec {
    fn default() -> Self {
        Self {
            epochs: 8000,
            batch_size: 500,
            lr: 1e-3,
            weight_decay: 2e-4,
            gated_wd: 1.0,
            basic_wd: 1.0,
            equiv_wd: 1e-5,
            tuning: TuningSpec::default(),
            select_after: None,
            patience: 50,
            trials: 1,
            seed: 0,
            precision: "f32".into(),
            equivariance_samples: 8,
            equivariance_inputs: 100,
            checkpoint_every: 100,
            shards: 2,
        }
    }
}

impl TrainSpec {
    /// The epoch after which checkpoints compete: `select_after`, or `2 T_adj`.
    pub fn selection_start(&self) -> usize {
        self.select_after.unwrap_or(2 * self.tuning.adjust_at)
    }
}

/// A whole run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    /// The data.
    pub task: TaskSpec,
    /// The model.
    pub model: ModelSpec,
    /// The training.
    pub train: TrainSpec,
}

impl RunConfig {
    /// Loads the published settings for `task`.
    pub fn preset(task: &str) -> Result<Self> {
        let text = PRESETS
            .iter()
            .find(|(name, _)| *name == task)
            .map(|(_, text)| *text)
            .ok_or_else(|| Error::UnknownName {
                kind: "task",
                name: task.into(),
                valid: PRESETS
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        Self::from_toml(text, &format!("configs/{task}.toml"))
    }

    /// Parses a TOML configuration; `origin` names it in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self> {
        toml::from_str(text)
            .map_err(|e| Error::invalid("configuration file", origin, e.to_string()))
    }

    /// Writes the configuration as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("the configuration is always serialisable")
    }

    /// Shortens the run to a smoke test of a minute or two: one trial, fewer epochs, and the
    /// strength tuning early but late enough to see the data. On the inertia task the
    /// regularizer sums only start to separate the exact subgroup from the broken ones once
    /// the model fits the symmetry-breaking part of the target (about epoch 200 at learning
    /// rate 1e-3, seen in `softeq train --task inertia` runs), so synthetic tasks tune at epoch
    /// 400 of 800. Motion uses 40 epochs, tuning at 20 (shorter than the 100 epochs the
    /// authors' rule needs, so its strengths stay at l0), and at most 128 channels.
    pub fn quick(&mut self) {
        let motion = self.task.name == "motion";
        let t = &mut self.train;
        t.epochs = if motion { 40 } else { 800 };
        t.tuning.adjust_at = if motion { 20 } else { 400 };
        t.select_after = None;
        t.trials = 1;
        t.checkpoint_every = 50;
        if motion {
            self.model.ch = self.model.ch.min(128);
            self.model.rpp_ch = self.model.rpp_ch.min(89);
        }
    }

    /// Checks every setting, naming the first invalid one and its fix.
    pub fn validate(&self) -> Result<()> {
        let t = &self.train;
        if !MODEL_NAMES.contains(&self.model.name.as_str()) {
            return Err(Error::UnknownName {
                kind: "model",
                name: self.model.name.clone(),
                valid: MODEL_NAMES.join(", "),
            });
        }
        if t.epochs == 0 {
            return Err(Error::invalid("epochs", 0, "train for at least one epoch"));
        }
        if t.batch_size == 0 {
            return Err(Error::invalid(
                "batch size",
                0,
                "use a positive batch size such as 500",
            ));
        }
        if !(t.lr > 0.0 && t.lr.is_finite()) {
            return Err(Error::invalid(
                "learning rate",
                t.lr,
                "use a positive, finite rate such as 1e-3",
            ));
        }
        for (name, value) in [
            ("weight decay", t.weight_decay),
            ("gated_wd", t.gated_wd),
            ("basic_wd", t.basic_wd),
            ("equiv_wd", t.equiv_wd),
            ("initial strength", t.tuning.initial),
        ] {
            if !(value >= 0.0 && value.is_finite()) {
                return Err(Error::invalid(
                    name,
                    value,
                    "use a finite, non-negative value",
                ));
            }
        }
        if self.model.name == "per" && t.tuning.adjust_at >= t.epochs {
            return Err(Error::invalid(
                "tuning epoch T_adj",
                t.tuning.adjust_at,
                format!(
                    "T_adj must be smaller than the number of epochs ({}); use --adjust-at 0 to disable tuning",
                    t.epochs
                ),
            ));
        }
        if t.shards == 0 {
            return Err(Error::invalid(
                "shards",
                0,
                "use at least one shard per batch (2 suits two cores)",
            ));
        }
        if t.trials == 0 {
            return Err(Error::invalid("trials", 0, "run at least one trial"));
        }
        if !["f32", "f64"].contains(&t.precision.as_str()) {
            return Err(Error::UnknownName {
                kind: "precision",
                name: t.precision.clone(),
                valid: "f32, f64".into(),
            });
        }
        if self.model.ch == 0 || self.model.rpp_ch == 0 || self.model.blocks == 0 {
            return Err(Error::invalid(
                "channels",
                self.model.ch.min(self.model.rpp_ch),
                "use at least one channel and one block",
            ));
        }
        TuningRule::parse(&t.tuning.rule)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_parses_and_validates() {
        for (name, _) in PRESETS {
            let config = RunConfig::preset(name).unwrap();
            assert_eq!(config.task.name, name);
            config.validate().unwrap();
        }
    }

    #[test]
    fn quick_preset_validates() {
        for (name, _) in PRESETS {
            let mut config = RunConfig::preset(name).unwrap();
            config.quick();
            config.validate().unwrap();
        }
    }

    #[test]
    fn toml_round_trip_keeps_every_setting() {
        let config = RunConfig::preset("motion").unwrap();
        let again = RunConfig::from_toml(&config.to_toml(), "round trip").unwrap();
        assert_eq!(again, config);
    }

    #[test]
    fn tuning_epoch_after_training_is_rejected() {
        let mut config = RunConfig::preset("inertia").unwrap();
        config.train.tuning.adjust_at = config.train.epochs;
        assert!(config.validate().is_err());
    }

    #[test]
    fn unknown_key_is_rejected() {
        assert!(RunConfig::from_toml("[train]\nepoch = 3\n", "test").is_err());
    }
}
