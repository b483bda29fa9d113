//! Forecasting windows cut from tracks: n_past positions in, n_future positions out.
//!
//! A window starting at sample i of a track takes the positions at i, i + k, .., i + (n - 1) k
//! with n = n_past + n_future and k the step; the first n_past are the input and the rest the
//! target. Window starts within a track are `stride` samples apart, so windows overlap when
//! stride < (n - 1) k + 1.
//!
//! Every window is centred by a mean c (by default that of its past positions) subtracted from
//! inputs and targets, then divided by one common factor s: the RMS over all coordinates of the
//! centred training inputs. One factor for all axes keeps rotations of the data rotations.
//! Per-axis standardisation would turn them into non-orthogonal maps, which breaks the
//! symmetries the model is asked to find. A prediction p in model units maps back to metres
//! as p s + c, which [`WindowedData::to_metres`] computes.
//!
//! Rows are laid out as `[p_1 (x, y[, z]), p_2, ..]`, that is n_past T1 in and n_future T1 out.

use ndarray::{Array2, ArrayView1};
use serde::Serialize;

use super::forecast::{ForecastMetrics, constant_velocity, forecast_metrics};
use super::trajectory::{LoadSummary, Track, TrackSet};
use super::{DataError, Dataset, RepSpec, Split, SplitCounts, Splits};
use crate::{Error, Result};

/// Target duration of the default window step, in seconds.
pub const DEFAULT_STEP_S: f64 = 5.0;

/// Default window step for a file sampled every `dt_s` seconds: the whole number of samples
/// closest to [`DEFAULT_STEP_S`], at least 1. This gives k = 5 for 1-s files and k = 1 for
/// 10-s files.
pub fn default_step(dt_s: f64) -> usize {
    let samples = (DEFAULT_STEP_S / dt_s).round();
    if samples.is_finite() && samples >= 1.0 {
        samples as usize
    } else {
        1
    }
}

/// The mean subtracted from each window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Centring {
    /// Mean of the past positions: available at prediction time (the default).
    Past,
    /// Mean of past and future positions, which centres whole trajectories. The centre then
    /// depends on the target, so the inputs leak information about it. Use it only to compare
    /// with setups that centre this way.
    PastAndFuture,
}

/// Settings for cutting windows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WindowConfig {
    /// Past positions per window (input).
    pub n_past: usize,
    /// Future positions per window (target).
    pub n_future: usize,
    /// Samples between consecutive positions of a window (k).
    pub step: usize,
    /// Samples between the starts of consecutive windows of a track; 1 takes every start.
    pub stride: usize,
    /// Drop windows in which any of the n_past + n_future positions is a filled sample.
    pub drop_filled: bool,
    /// The centring mean.
    pub centring: Centring,
}

impl WindowConfig {
    /// Returns the defaults for a file with time step `dt_s`: 6 past and 6 future positions, step
    /// [`default_step`], stride 2 steps (consecutive windows share 10 of 12 positions), filled
    /// samples kept, centring by the past mean.
    ///
    /// The stride keeps training sets near 10^4 windows, because the motion network is
    /// expensive per sample: 13,905 for OpenSky quickstart, 11,162 for savan and 43,608 for
    /// switzerland (10-s steps). Use stride 1 for every start position.
    pub fn for_dt(dt_s: f64) -> Self {
        let step = default_step(dt_s);
        WindowConfig {
            n_past: 6,
            n_future: 6,
            step,
            stride: 2 * step,
            drop_filled: false,
            centring: Centring::Past,
        }
    }

    /// Samples spanned by one window: (n_past + n_future - 1) k + 1.
    pub fn span(&self) -> usize {
        (self.n_past + self.n_future - 1) * self.step + 1
    }

    /// Checks that every count is positive.
    ///
    /// # Errors
    /// [`Error::InvalidSetting`] naming the first zero setting.
    pub fn validate(&self) -> Result<()> {
        let settings = [
            ("n_past", self.n_past),
            ("n_future", self.n_future),
            ("step", self.step),
            ("stride", self.stride),
        ];
        for (name, value) in settings {
            if value == 0 {
                return Err(Error::invalid(name, value, "a positive whole number"));
            }
        }
        Ok(())
    }
}

/// Origins and centres of the windows of one split.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowMeta {
    /// Centre c of each window, in metres in its track's frame (windows x d).
    pub centres_m: Array2<f64>,
    /// Index of each window's track in [`TrackSet::tracks`].
    pub track: Vec<usize>,
    /// Sample index of each window's first position within its track.
    pub start: Vec<usize>,
}

/// Counts from windowing, serialisable to JSON for run reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowSummary {
    /// Counts from loading the file.
    pub load: LoadSummary,
    /// The window settings.
    pub config: WindowConfig,
    /// Window step in seconds (step * dt).
    pub step_s: f64,
    /// The common scale factor s, in metres.
    pub scale_m: f64,
    /// Track pieces that gave at least one window.
    pub tracks_used: SplitCounts,
    /// Track pieces shorter than one window, skipped.
    pub tracks_skipped_short: SplitCounts,
    /// Track pieces long enough whose every window was dropped for filled samples.
    pub tracks_all_windows_filled: SplitCounts,
    /// Windows kept.
    pub windows: SplitCounts,
    /// Windows dropped because they contain filled samples.
    pub windows_dropped_filled: SplitCounts,
}

impl WindowSummary {
    /// Serialises the summary as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the summary has only plain fields")
    }
}

/// Centred, scaled windows of a track file, split into train/val/test.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowedData {
    splits: Splits,
    meta: [WindowMeta; 3],
    scale_m: f64,
    dim: usize,
    config: WindowConfig,
    summary: WindowSummary,
}

/// Windows of one split in metres, before scaling.
struct SplitWindows {
    inputs: Vec<f64>,
    targets: Vec<f64>,
    meta: WindowMeta,
}

/// Cuts, centres and scales the windows of every track (see the [module docs](self)).
///
/// Track pieces shorter than [`WindowConfig::span`] are skipped, logged at debug level and
/// counted in [`WindowSummary::tracks_skipped_short`].
///
/// # Errors
/// [`Error::InvalidSetting`] for an invalid config; [`DataError::EmptySplit`] when a split ends
/// up with no windows, with the counts that explain why; [`DataError::DegenerateScale`] when
/// the training inputs are all zero after centring (no track moves).
pub fn make_windows(tracks: &TrackSet, config: &WindowConfig) -> Result<WindowedData> {
    config.validate()?;
    let dim = tracks.dim;
    let source_name = tracks.source().display().to_string();
    let mut summary = WindowSummary {
        load: tracks.summary.clone(),
        config: *config,
        step_s: config.step as f64 * tracks.dt_s,
        scale_m: f64::NAN,
        tracks_used: SplitCounts::default(),
        tracks_skipped_short: SplitCounts::default(),
        tracks_all_windows_filled: SplitCounts::default(),
        windows: SplitCounts::default(),
        windows_dropped_filled: SplitCounts::default(),
    };

    let mut per_split = Vec::with_capacity(3);
    for split in Split::MAIN {
        let windows = cut_split(tracks, split, config, &mut summary);
        if windows.meta.track.is_empty() {
            let reason = format!(
                "{} track pieces, {} shorter than one window of {} samples, {} windows dropped \
                 for filled samples",
                tracks.summary.pieces.get(split),
                summary.tracks_skipped_short.get(split),
                config.span(),
                summary.windows_dropped_filled.get(split),
            );
            return Err(DataError::EmptySplit {
                source_name,
                split: split.to_string(),
                reason,
            }
            .into());
        }
        per_split.push(windows);
    }

    let train_inputs = &per_split[0].inputs;
    let mean_square = train_inputs.iter().map(|v| v * v).sum::<f64>() / train_inputs.len() as f64;
    let scale_m = mean_square.sqrt();
    if !(scale_m.is_finite() && scale_m > 0.0) {
        return Err(DataError::DegenerateScale {
            source_name,
            scale: scale_m,
        }
        .into());
    }
    summary.scale_m = scale_m;

    let mut datasets = Vec::with_capacity(3);
    let mut metas = Vec::with_capacity(3);
    for (split, windows) in Split::MAIN.into_iter().zip(per_split) {
        let n = windows.meta.track.len();
        let x = Array2::from_shape_vec((n, config.n_past * dim), windows.inputs)
            .expect("n_past d-vectors per window")
            / scale_m;
        let y = Array2::from_shape_vec((n, config.n_future * dim), windows.targets)
            .expect("n_future d-vectors per window")
            / scale_m;
        datasets.push(Dataset::new(split, x, y)?);
        metas.push(windows.meta);
    }
    let [train, val, test]: [Dataset; 3] = datasets.try_into().expect("three splits");
    let meta: [WindowMeta; 3] = metas.try_into().expect("three splits");

    tracing::info!(
        file = %source_name,
        train = summary.windows.train,
        val = summary.windows.val,
        test = summary.windows.test,
        skipped_short = summary.tracks_skipped_short.total(),
        scale_m,
        "cut forecasting windows"
    );
    Ok(WindowedData {
        splits: Splits::new(train, val, test, None)?,
        meta,
        scale_m,
        dim,
        config: *config,
        summary,
    })
}

fn cut_split(
    tracks: &TrackSet,
    split: Split,
    config: &WindowConfig,
    summary: &mut WindowSummary,
) -> SplitWindows {
    let dim = tracks.dim;
    let mut windows = SplitWindows {
        inputs: Vec::new(),
        targets: Vec::new(),
        meta: WindowMeta {
            centres_m: Array2::zeros((0, dim)),
            track: Vec::new(),
            start: Vec::new(),
        },
    };
    let mut centres = Vec::new();
    for (track_index, track) in tracks.tracks.iter().enumerate() {
        if track.split != split {
            continue;
        }
        if track.n_samples() < config.span() {
            tracing::debug!(
                track = %track.id,
                piece = track.piece,
                samples = track.n_samples(),
                needed = config.span(),
                "track piece too short for one window; skipping it"
            );
            summary.tracks_skipped_short.add(split, 1);
            continue;
        }
        let mut kept_windows = 0;
        for start in (0..=track.n_samples() - config.span()).step_by(config.stride) {
            let rows: Vec<usize> = (0..config.n_past + config.n_future)
                .map(|j| start + j * config.step)
                .collect();
            if config.drop_filled && rows.iter().any(|&row| track.filled[row]) {
                summary.windows_dropped_filled.add(split, 1);
                continue;
            }
            let centre = window_centre(track, &rows, config);
            for (j, &row) in rows.iter().enumerate() {
                let destination = if j < config.n_past {
                    &mut windows.inputs
                } else {
                    &mut windows.targets
                };
                let position = track.positions.row(row);
                destination.extend(position.iter().zip(&centre).map(|(p, c)| p - c));
            }
            centres.extend_from_slice(&centre);
            windows.meta.track.push(track_index);
            windows.meta.start.push(start);
            kept_windows += 1;
        }
        if kept_windows > 0 {
            summary.tracks_used.add(split, 1);
        } else {
            summary.tracks_all_windows_filled.add(split, 1);
        }
        summary.windows.add(split, kept_windows);
    }
    let n = windows.meta.track.len();
    windows.meta.centres_m =
        Array2::from_shape_vec((n, dim), centres).expect("one d-vector centre per window");
    windows
}

/// Mean of the window's past positions, or of all its positions for
/// [`Centring::PastAndFuture`].
fn window_centre(track: &Track, rows: &[usize], config: &WindowConfig) -> Vec<f64> {
    let used = match config.centring {
        Centring::Past => &rows[..config.n_past],
        Centring::PastAndFuture => rows,
    };
    let mut centre = vec![0.0; track.positions.ncols()];
    for &row in used {
        for (sum, value) in centre.iter_mut().zip(track.positions.row(row)) {
            *sum += value;
        }
    }
    for sum in &mut centre {
        *sum /= used.len() as f64;
    }
    centre
}

impl WindowedData {
    /// The centred, scaled windows: inputs n_past T1, targets n_future T1.
    pub fn splits(&self) -> &Splits {
        &self.splits
    }

    /// Consumes self, keeping only the splits.
    pub fn into_splits(self) -> Splits {
        self.splits
    }

    /// Centres and origins of the windows of `split`; `None` for [`Split::Ood`].
    pub fn meta(&self, split: Split) -> Option<&WindowMeta> {
        match split {
            Split::Train => Some(&self.meta[0]),
            Split::Val => Some(&self.meta[1]),
            Split::Test => Some(&self.meta[2]),
            Split::Ood => None,
        }
    }

    /// The common scale factor s, in metres: model units times s are metres.
    pub fn scale_m(&self) -> f64 {
        self.scale_m
    }

    /// Spatial dimension d.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The settings the windows were cut with.
    pub fn config(&self) -> &WindowConfig {
        &self.config
    }

    /// Counts of tracks and windows.
    pub fn summary(&self) -> &WindowSummary {
        &self.summary
    }

    /// Input layout: n_past T1 on R^d.
    pub fn input_rep(&self) -> RepSpec {
        RepSpec::new(self.dim, &[(self.config.n_past, 1)])
    }

    /// Output layout: n_future T1 on R^d.
    pub fn output_rep(&self) -> RepSpec {
        RepSpec::new(self.dim, &[(self.config.n_future, 1)])
    }

    /// Candidate groups for PER by name, the full group first. For d = 3 with z vertical:
    /// O(3), then O(2)_xy (rotations about the vertical), O(2)_yz and O(2)_xz. For d = 2:
    /// O(2), then SO(2) and Reflect(2). Other d: O(d) alone.
    pub fn candidate_groups(&self) -> Vec<&'static str> {
        match self.dim {
            3 => vec!["O(3)", "O(2)_xy", "O(2)_yz", "O(2)_xz"],
            2 => vec!["O(2)", "SO(2)", "Reflect(2)"],
            _ => vec!["O(d)"],
        }
    }

    fn split_data(&self, split: Split) -> Result<(&Dataset, &WindowMeta)> {
        match (self.splits.get(split), self.meta(split)) {
            (Some(dataset), Some(meta)) => Ok((dataset, meta)),
            _ => Err(Error::invalid(
                "split",
                split,
                "train, val or test; windowed data have no OOD split",
            )),
        }
    }

    /// Maps rows of n_future d-vectors in model units (as predicted for the windows of
    /// `split`, in order) back to positions in metres in each track's frame: p s + c.
    ///
    /// # Errors
    /// [`Error::Shape`] when `predictions` does not have the split's target shape;
    /// [`Error::InvalidSetting`] for [`Split::Ood`].
    pub fn to_metres(&self, split: Split, predictions: &Array2<f64>) -> Result<Array2<f64>> {
        let (dataset, meta) = self.split_data(split)?;
        check_prediction_shape(dataset, predictions, "to_metres")?;
        let mut metres = predictions * self.scale_m;
        for (mut row, centre) in metres.rows_mut().into_iter().zip(meta.centres_m.rows()) {
            add_centre(row.view_mut(), centre, self.dim);
        }
        Ok(metres)
    }

    /// Returns the true future positions of the windows of `split`, in metres.
    ///
    /// # Errors
    /// [`Error::InvalidSetting`] for [`Split::Ood`].
    pub fn targets_metres(&self, split: Split) -> Result<Array2<f64>> {
        let (dataset, _) = self.split_data(split)?;
        self.to_metres(split, dataset.y())
    }

    /// Computes ADE, FDE and MSE in metres of `predictions` (model units, one row per window of
    /// `split`, in order).
    ///
    /// # Errors
    /// [`Error::Shape`] when the shape differs from the split's targets;
    /// [`Error::InvalidSetting`] for [`Split::Ood`].
    pub fn evaluate(&self, split: Split, predictions: &Array2<f64>) -> Result<ForecastMetrics> {
        let (dataset, _) = self.split_data(split)?;
        check_prediction_shape(dataset, predictions, "evaluate")?;
        // The centre cancels in every error, so only the scale is undone.
        forecast_metrics(
            &(predictions * self.scale_m),
            &(dataset.y() * self.scale_m),
            self.dim,
        )
    }

    /// Computes constant-velocity predictions for the windows of `split`, in model units (see
    /// [`constant_velocity`]).
    ///
    /// # Errors
    /// [`Error::InvalidSetting`] when n_past < 2 or for [`Split::Ood`].
    pub fn constant_velocity(&self, split: Split) -> Result<Array2<f64>> {
        let (dataset, _) = self.split_data(split)?;
        constant_velocity(
            dataset.x(),
            self.config.n_past,
            self.config.n_future,
            self.dim,
        )
    }
}

fn check_prediction_shape(
    dataset: &Dataset,
    predictions: &Array2<f64>,
    op: &'static str,
) -> Result<()> {
    if predictions.dim() != dataset.y().dim() {
        return Err(Error::Shape {
            op,
            left: predictions.shape().to_vec(),
            right: dataset.y().shape().to_vec(),
            expected: "one prediction row per window of the split, as wide as its targets"
                .to_string(),
        });
    }
    Ok(())
}

fn add_centre(mut row: ndarray::ArrayViewMut1<f64>, centre: ArrayView1<f64>, dim: usize) {
    for (i, value) in row.iter_mut().enumerate() {
        *value += centre[i % dim];
    }
}
