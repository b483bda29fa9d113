//! `softeq train`: one model on one task, with the published settings as presets and flags
//! that override them.

use std::path::PathBuf;

use clap::Args;

use crate::error::{Error, Result};
use crate::experiment::config::RunConfig;
use crate::experiment::run::{RunOptions, RunSummary, run};
use crate::experiment::task::TaskData;

/// Settings of `softeq train`. Unset flags keep the preset's value.
#[derive(Args, Debug, Clone, Default)]
pub struct TrainArgs {
    /// Task: inertia, cossim, radius or motion (selects the preset).
    #[arg(long, default_value = "inertia")]
    pub task: String,
    /// Model: per, emlp, rpp, mixed-rpp, mlp or frame-averaging.
    #[arg(long)]
    pub model: Option<String>,
    /// A TOML file read after the preset (same keys as configs/<task>.toml).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Shorten the run to a one- or two-minute smoke test.
    #[arg(long)]
    pub quick: bool,
    /// Special axis of inertia and radius: x, y, z or none.
    #[arg(long)]
    pub axis: Option<String>,
    /// Variant of cossim: both, so3, scale or none.
    #[arg(long)]
    pub variant: Option<String>,
    /// Strength of the symmetry breaking of the synthetic tasks.
    #[arg(long, allow_hyphen_values = true)]
    pub eps: Option<f64>,
    /// Candidate groups, comma-separated, the full group first (e.g. "O(3),O(2)_xy").
    #[arg(long)]
    pub groups: Option<String>,
    /// The group of EMLP and RPP (default: the first candidate).
    #[arg(long)]
    pub group: Option<String>,
    /// H, the free-path group of mixed RPP (default: the subgroup fixing the special axis).
    #[arg(long)]
    pub free_group: Option<String>,
    /// Train with inputs and outputs transformed by random elements of this group.
    #[arg(long)]
    pub augment: Option<String>,
    /// Motion: trajectory CSV file, or folder with <dataset>_tracks.csv.gz, or data root.
    #[arg(long)]
    pub data: Option<String>,
    /// Motion: dataset name inside the folder (quickstart, savan, switzerland).
    #[arg(long)]
    pub dataset: Option<String>,
    /// Number of epochs.
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Samples per step.
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Initial learning rate.
    #[arg(long)]
    pub lr: Option<f64>,
    /// Channels of PER, EMLP, MLP and frame averaging.
    #[arg(long)]
    pub ch: Option<usize>,
    /// Channels of RPP and mixed RPP.
    #[arg(long)]
    pub rpp_ch: Option<usize>,
    /// Tuning epoch T_adj (0 disables tuning).
    #[arg(long)]
    pub adjust_at: Option<usize>,
    /// Initial strength l0 of the candidate subgroups.
    #[arg(long)]
    pub initial_strength: Option<f64>,
    /// Exponent p of the strength tuning.
    #[arg(long)]
    pub power: Option<f64>,
    /// Tuning rule: latest-low, per-group-min or size-corrected.
    #[arg(long)]
    pub tuning_rule: Option<String>,
    /// PER's weight decay.
    #[arg(long)]
    pub weight_decay: Option<f64>,
    /// Gate: plain or residual.
    #[arg(long)]
    pub gate: Option<String>,
    /// Patience of early stopping in epochs (0 disables it).
    #[arg(long)]
    pub patience: Option<usize>,
    /// Select the best checkpoint among epochs after this one (default 2 T_adj).
    #[arg(long)]
    pub select_after: Option<usize>,
    /// Precision: f32 or f64.
    #[arg(long)]
    pub precision: Option<String>,
    /// Seed of the model, the batch order and the data.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Number of independent trials.
    #[arg(long)]
    pub trials: Option<usize>,
    /// Run only this trial (for job arrays); combine the results with `softeq aggregate`.
    #[arg(long)]
    pub trial_index: Option<usize>,
    /// Continue each trial from its resumable state in the output folder.
    #[arg(long)]
    pub resume: bool,
    /// Stop after this epoch with a resumable state (continue later with --resume).
    #[arg(long)]
    pub stop_after: Option<usize>,
    /// Any other setting, as KEY=VALUE with a dotted key (e.g. train.tuning.power=3).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Output folder (default runs/<task>-<model>).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Applies `key=value` to the configuration through its TOML form.
fn set_value(config: &RunConfig, assignment: &str) -> Result<RunConfig> {
    let (key, raw) = assignment.split_once('=').ok_or_else(|| {
        Error::invalid(
            "--set",
            assignment,
            "write KEY=VALUE, for example train.tuning.power=3",
        )
    })?;
    let mut root: toml::Value =
        toml::Value::try_from(config).expect("the configuration serialises");
    let parsed: toml::Value = toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()));
    let mut node = &mut root;
    let parts: Vec<&str> = key.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let table = node
            .as_table_mut()
            .ok_or_else(|| Error::invalid("--set", key, "the key does not name a setting"))?;
        if i + 1 == parts.len() {
            table.insert(part.to_string(), parsed.clone());
            break;
        }
        node = table
            .get_mut(*part)
            .ok_or_else(|| Error::invalid("--set", key, "the key does not name a setting"))?;
    }
    RunConfig::from_toml(
        &toml::to_string(&root).expect("valid TOML"),
        &format!("--set {assignment}"),
    )
}

impl TrainArgs {
    /// Resolves the configuration: preset, then `--config`, then `--quick`, then flags, then
    /// `--set`.
    pub fn resolve(&self) -> Result<RunConfig> {
        let mut c = RunConfig::preset(&self.task)?;
        if let Some(path) = &self.config {
            let text =
                std::fs::read_to_string(path).map_err(|e| Error::io("cannot read", path, e))?;
            c = RunConfig::from_toml(&text, &path.display().to_string())?;
        }
        if self.quick {
            c.quick();
        }
        let o = |target: &mut String, value: &Option<String>| {
            if let Some(v) = value {
                *target = v.clone();
            }
        };
        o(&mut c.model.name, &self.model);
        o(&mut c.task.variant, &self.axis);
        o(&mut c.task.variant, &self.variant);
        o(&mut c.model.group, &self.group);
        o(&mut c.model.free_group, &self.free_group);
        o(&mut c.model.augment, &self.augment);
        o(&mut c.task.data, &self.data);
        o(&mut c.task.dataset, &self.dataset);
        o(&mut c.train.tuning.rule, &self.tuning_rule);
        o(&mut c.model.gate, &self.gate);
        o(&mut c.train.precision, &self.precision);
        if let Some(g) = &self.groups {
            c.task.groups = g
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
        }
        macro_rules! set {
            ($field:expr, $flag:expr) => {
                if let Some(v) = $flag {
                    $field = v;
                }
            };
        }
        set!(c.task.eps, self.eps);
        set!(c.train.epochs, self.epochs);
        set!(c.train.batch_size, self.batch_size);
        set!(c.train.lr, self.lr);
        set!(c.model.ch, self.ch);
        set!(c.model.rpp_ch, self.rpp_ch);
        set!(c.train.tuning.adjust_at, self.adjust_at);
        set!(c.train.tuning.initial, self.initial_strength);
        set!(c.train.tuning.power, self.power);
        set!(c.train.weight_decay, self.weight_decay);
        set!(c.train.patience, self.patience);
        set!(c.train.trials, self.trials);
        if self.select_after.is_some() {
            c.train.select_after = self.select_after;
        }
        if let Some(seed) = self.seed {
            c.model.seed = seed;
            c.train.seed = seed;
            c.task.data_seed = seed;
        }
        for assignment in &self.set {
            c = set_value(&c, assignment)?;
        }
        if let Some(t) = self.trial_index
            && t >= c.train.trials
        {
            return Err(Error::invalid(
                "--trial-index",
                t,
                format!("use 0..{} for {} trials", c.train.trials, c.train.trials),
            ));
        }
        c.validate()?;
        Ok(c)
    }

    /// Returns the output folder.
    pub fn out_dir(&self, config: &RunConfig) -> PathBuf {
        self.out.clone().unwrap_or_else(|| {
            PathBuf::from("runs").join(format!("{}-{}", config.task.name, config.model.name))
        })
    }
}

/// Runs `softeq train`.
pub fn run_train(args: &TrainArgs) -> Result<RunSummary> {
    let config = args.resolve()?;
    let task = TaskData::load(&config.task)?;
    let options = RunOptions {
        out: args.out_dir(&config),
        trial_index: args.trial_index,
        resume: args.resume,
        sequential: false,
        stop_after: args.stop_after,
    };
    let summary = run(&config, &task, &options)?;
    print_summary(&summary);
    println!("results: {}", options.out.display());
    Ok(summary)
}

/// Prints a run's aggregate in a few lines.
pub fn print_summary(s: &RunSummary) {
    let pm = |m: &crate::experiment::run::MeanStd| format!("{:.4e} ± {:.1e}", m.mean, m.std);
    println!("{} on {} ({} trial(s))", s.model, s.task, s.trials);
    match (&s.test_ade_m, &s.test_fde_m) {
        (Some(ade), Some(fde)) => println!("  test ADE {} m, FDE {} m", pm(ade), pm(fde)),
        _ => println!("  test MSE {}", pm(&s.test_mse)),
    }
    if let Some(ood) = &s.ood_mse {
        println!("  OOD MSE  {}", pm(ood));
    }
    if !s.lambda.is_empty() {
        let parts: Vec<String> = s
            .groups
            .iter()
            .zip(&s.lambda)
            .map(|(g, l)| format!("{g} {:.4}", l.mean))
            .collect();
        println!("  strengths: {}", parts.join(", "));
    }
    let errs: Vec<String> = s
        .groups
        .iter()
        .zip(&s.equivariance)
        .map(|(g, e)| format!("{g} {:.2e}", e.mean))
        .collect();
    println!("  equivariance error: {}", errs.join(", "));
    println!(
        "  {:.4} s/epoch, set-up {:.2} s",
        s.seconds_per_epoch, s.setup_s
    );
}
