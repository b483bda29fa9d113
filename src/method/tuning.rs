//! Automatic tuning of the regularization strengths `lambda_j` (one per candidate group).
//!
//! Training starts with `lambda = (0, l0, ..., l0)`: the full group `G_0` gets no penalty
//! because its subgroups generate it. During a window of epochs before the tuning epoch
//! `T_adj`, the per-group regularizer sums `R_j` are recorded after every epoch. At the end of
//! epoch `T_adj` the strengths are rescaled once,
//!
//! ```text
//! lambda_j <- lambda_j * (R_min / R_hat_j)^p,   R_min = min { R_hat_j : lambda_j != 0 },
//! ```
//!
//! so the least-broken subgroup keeps `l0` and groups whose penalty the data keep high are
//! weakened. How `R_hat` is estimated from the window is the [`TuningRule`]:
//!
//! * [`TuningRule::LatestLow`] (default) is the rule of the authors' code: after skipping the
//!   first 50 recorded epochs of a 100-epoch window (so in effect over the last 50 epochs up
//!   to `T_adj`), `R_hat` is the whole vector from the latest epoch in which *any* component
//!   fell below the stored vector's component.
//! * [`TuningRule::PerGroupMin`] takes each group's own minimum over the same 50 epochs.
//! * [`TuningRule::SizeCorrected`] divides each `R_j` by its value at initialisation before
//!   taking per-group minima. A group with a large equivariant subspace has a small `R_j` from
//!   the start whatever the data (Scaling next to SO(3) is the known case), which biases the
//!   raw rules; the ratio removes that bias.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Epochs recorded before `T_adj` (the authors record the last 100 epochs).
pub const WINDOW_EPOCHS: usize = 100;

/// Recorded epochs ignored at the start of the window (the authors' warm-up).
pub const WARMUP_EPOCHS: usize = 50;

/// How `R_hat` is estimated from the recorded window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TuningRule {
    /// The authors' rule: the whole vector from the latest epoch with a new low in any group.
    LatestLow,
    /// Each group's minimum over the window.
    PerGroupMin,
    /// Each group's minimum of `R_j / R_j(initialisation)` over the window.
    SizeCorrected,
}

impl TuningRule {
    /// Every rule's name as accepted on the command line.
    pub const NAMES: [&'static str; 3] = ["latest-low", "per-group-min", "size-corrected"];

    /// Parses a rule name.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "latest-low" => Ok(Self::LatestLow),
            "per-group-min" => Ok(Self::PerGroupMin),
            "size-corrected" => Ok(Self::SizeCorrected),
            _ => Err(Error::UnknownName {
                kind: "tuning rule",
                name: name.into(),
                valid: Self::NAMES.join(", "),
            }),
        }
    }
}

/// Settings of the strength tuning.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TuningConfig {
    /// Initial strength `l0` of every proper subgroup.
    pub initial: f64,
    /// Exponent `p` of the rescaling.
    pub power: f64,
    /// Epoch count `T_adj` after which the strengths are rescaled (1-based: tuning happens at
    /// the end of the `T_adj`-th epoch). Zero disables tuning.
    pub adjust_at: usize,
    /// How `R_hat` is estimated.
    pub rule: TuningRule,
}

/// The outcome of the tuning event, for logs and summaries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TuningEvent {
    /// The 1-based epoch at whose end the strengths changed.
    pub epoch: usize,
    /// The estimate `R_hat` per group.
    pub r_hat: Vec<f64>,
    /// Strengths before the change.
    pub lambda_before: Vec<f64>,
    /// Strengths after the change.
    pub lambda_after: Vec<f64>,
}

/// State of the tuning over one training run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StrengthTuner {
    config: TuningConfig,
    lambda: Vec<f64>,
    initial_r: Option<Vec<f64>>,
    window: Vec<Vec<f64>>,
    event: Option<TuningEvent>,
}

impl StrengthTuner {
    /// Starts with `lambda = (0, l0, ..., l0)` for `n_groups` candidate groups, the first being
    /// the full group.
    pub fn new(config: TuningConfig, n_groups: usize) -> Result<Self> {
        if n_groups == 0 {
            return Err(Error::invalid(
                "candidate groups",
                0,
                "name at least one group",
            ));
        }
        if !(config.initial >= 0.0 && config.initial.is_finite()) {
            return Err(Error::invalid(
                "initial strength",
                config.initial,
                "use a finite, non-negative strength such as 100",
            ));
        }
        if !config.power.is_finite() {
            return Err(Error::invalid(
                "tuning power",
                config.power,
                "use a finite power such as 2",
            ));
        }
        let mut lambda = vec![config.initial; n_groups];
        lambda[0] = 0.0;
        Ok(Self {
            config,
            lambda,
            initial_r: None,
            window: Vec::new(),
            event: None,
        })
    }

    /// The current strengths.
    pub fn lambda(&self) -> &[f64] {
        &self.lambda
    }

    /// The tuning event, once it has happened.
    pub fn event(&self) -> Option<&TuningEvent> {
        self.event.as_ref()
    }

    /// Records the regularizer sums at initialisation (used by [`TuningRule::SizeCorrected`]).
    pub fn record_initial(&mut self, r: &[f64]) {
        self.initial_r = Some(r.to_vec());
    }

    /// Records the regularizer sums `r` measured after the 1-based epoch `epoch`, and rescales
    /// the strengths if `epoch == T_adj`. Returns the event when it happens.
    pub fn end_epoch(&mut self, epoch: usize, r: &[f64]) -> Result<Option<TuningEvent>> {
        if r.len() != self.lambda.len() {
            return Err(Error::invalid(
                "regularizer vector length",
                r.len(),
                format!("pass one value per candidate group ({})", self.lambda.len()),
            ));
        }
        let adjust_at = self.config.adjust_at;
        if adjust_at == 0 || self.event.is_some() {
            return Ok(None);
        }
        if epoch + WINDOW_EPOCHS > adjust_at && epoch <= adjust_at {
            self.window.push(r.to_vec());
        }
        if epoch != adjust_at {
            return Ok(None);
        }
        let Some(r_hat) = self.estimate() else {
            tracing::warn!(
                adjust_at,
                "strength tuning skipped: the window before T_adj holds no epoch after the {WARMUP_EPOCHS}-epoch warm-up (use T_adj > {WARMUP_EPOCHS})"
            );
            return Ok(None);
        };
        let before = self.lambda.clone();
        let r_min = r_hat
            .iter()
            .zip(&self.lambda)
            .filter(|&(_, &l)| l != 0.0)
            .map(|(&r, _)| r)
            .fold(f64::INFINITY, f64::min);
        if r_min.is_finite() && r_min > 0.0 {
            for (l, &rj) in self.lambda.iter_mut().zip(&r_hat) {
                *l *= (r_min / rj).powf(self.config.power);
            }
        }
        let event = TuningEvent {
            epoch,
            r_hat,
            lambda_before: before,
            lambda_after: self.lambda.clone(),
        };
        tracing::info!(
            epoch,
            r_hat = ?event.r_hat,
            lambda = ?event.lambda_after,
            "strengths tuned"
        );
        self.event = Some(event.clone());
        Ok(Some(event))
    }

    /// Estimates `R_hat` from the recorded window, or `None` if the warm-up left nothing.
    fn estimate(&self) -> Option<Vec<f64>> {
        let usable = self.window.get(WARMUP_EPOCHS..).filter(|w| !w.is_empty())?;
        let groups = self.lambda.len();
        match self.config.rule {
            TuningRule::LatestLow => {
                let mut stored = vec![f64::INFINITY; groups];
                for r in usable {
                    if r.iter().zip(&stored).any(|(a, b)| a < b) {
                        stored.clone_from(r);
                    }
                }
                Some(stored)
            }
            TuningRule::PerGroupMin => Some(per_group_min(usable, groups)),
            TuningRule::SizeCorrected => {
                let base = self.initial_r.clone().unwrap_or_else(|| vec![1.0; groups]);
                let ratios: Vec<Vec<f64>> = usable
                    .iter()
                    .map(|r| {
                        r.iter()
                            .zip(&base)
                            .map(|(a, b)| if *b > 0.0 { a / b } else { *a })
                            .collect()
                    })
                    .collect();
                Some(per_group_min(&ratios, groups))
            }
        }
    }
}

fn per_group_min(rows: &[Vec<f64>], groups: usize) -> Vec<f64> {
    (0..groups)
        .map(|j| rows.iter().map(|r| r[j]).fold(f64::INFINITY, f64::min))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(rule: TuningRule, adjust_at: usize) -> TuningConfig {
        TuningConfig {
            initial: 100.0,
            power: 2.0,
            adjust_at,
            rule,
        }
    }

    fn window_value(epoch: usize) -> [f64; 3] {
        match epoch {
            ..160 => [9.0, 2.0, 3.0],
            160 => [9.0, 5.0, 1.0],
            _ => [9.0, 6.0, 2.0],
        }
    }

    #[test]
    fn least_broken_group_keeps_initial_strength() {
        let mut tuner = StrengthTuner::new(config(TuningRule::LatestLow, 200), 4).unwrap();
        for epoch in 1..=200 {
            tuner.end_epoch(epoch, &[10.0, 2.0, 4.0, 8.0]).unwrap();
        }
        let l = tuner.lambda();
        assert_eq!(l[0], 0.0);
        assert_eq!(l[1], 100.0);
        assert!((l[2] - 25.0).abs() < 1e-12);
        assert!((l[3] - 100.0 / 16.0).abs() < 1e-12);
    }

    #[test]
    fn latest_low_takes_whole_vector() {
        // Window of epochs 101..=200, warm-up drops 101..=150. At epoch 160 group 2 reaches a
        // new low while group 1 is high; no later epoch improves on the stored vector in any
        // group, so the whole vector of epoch 160 is kept.
        let mut tuner = StrengthTuner::new(config(TuningRule::LatestLow, 200), 3).unwrap();
        for epoch in 1..=200 {
            tuner.end_epoch(epoch, &window_value(epoch)).unwrap();
        }
        let event = tuner.event().unwrap();
        assert_eq!(event.r_hat, vec![9.0, 5.0, 1.0]);
    }

    #[test]
    fn per_group_min_takes_componentwise_minimum() {
        let mut tuner = StrengthTuner::new(config(TuningRule::PerGroupMin, 200), 3).unwrap();
        for epoch in 1..=200 {
            tuner.end_epoch(epoch, &window_value(epoch)).unwrap();
        }
        assert_eq!(tuner.event().unwrap().r_hat, vec![9.0, 2.0, 1.0]);
    }

    #[test]
    fn warmup_swallows_short_window() {
        // With T_adj = 50 every recorded epoch falls in the warm-up, so nothing changes.
        let mut tuner = StrengthTuner::new(config(TuningRule::LatestLow, 50), 2).unwrap();
        for epoch in 1..=60 {
            tuner.end_epoch(epoch, &[3.0, 1.0]).unwrap();
        }
        assert!(tuner.event().is_none());
        assert_eq!(tuner.lambda(), &[0.0, 100.0]);
    }

    #[test]
    fn size_corrected_uses_initial_ratio() {
        let mut tuner = StrengthTuner::new(config(TuningRule::SizeCorrected, 120), 3).unwrap();
        tuner.record_initial(&[10.0, 4.0, 1.0]);
        for epoch in 1..=120 {
            tuner.end_epoch(epoch, &[5.0, 1.0, 0.5]).unwrap();
        }
        // Ratios 0.5, 0.25, 0.5: group 1 is the least broken.
        let l = tuner.lambda();
        assert_eq!(l[1], 100.0);
        assert!((l[2] - 25.0).abs() < 1e-12);
    }

    #[test]
    fn rejects_wrong_vector_length() {
        let mut tuner = StrengthTuner::new(config(TuningRule::LatestLow, 10), 3).unwrap();
        assert!(tuner.end_epoch(1, &[1.0]).is_err());
    }

    #[test]
    fn parse_rejects_unknown_rule() {
        assert!(TuningRule::parse("best").is_err());
        assert_eq!(
            TuningRule::parse("per-group-min").unwrap(),
            TuningRule::PerGroupMin
        );
    }
}
