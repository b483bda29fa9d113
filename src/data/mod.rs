//! Datasets: the synthetic tasks, trajectory files and forecasting windows.
//!
//! Every dataset ends as [`Splits`]: train, val and test [`Dataset`]s (and an optional
//! out-of-distribution set), each an `f64` input matrix and target matrix with one sample per
//! row. Constructors check shapes and reject NaN and infinite values with the split, row and
//! column. Each task also describes its row layout as a [`RepSpec`] (for example `5T0+5T1`), so
//! the model code can build the matching representations, and names its candidate groups.
//!
//! # Synthetic tasks ([`synthetic`])
//!
//! - `inertia`: 5 masses and positions (5T0+5T1) to the moment of inertia
//!   I = sum_i m_i (|r_i|^2 I_3 - r_i r_i^T), perturbed as I + eps I e_a e_a^T (T2). eps = 0 is
//!   O(3)-equivariant; with eps != 0 only the O(2) fixing axis a stays exact. Candidates
//!   O(3), O(2)_xy, O(2)_yz, O(2)_xz.
//! - `cossim`: three vectors (3T1) to the mean pairwise cosine c (T0), invariant under rotations
//!   and scaling, perturbed to break scaling (`so3`), rotations (`scale`) or both (`none`).
//!   Candidates SO(3)xScaling, SO(3), Scaling(3).
//! - `radius`: three vectors (3T1) to their mean length in the metric I + eps e_a e_a^T (T0).
//!   Candidates as for inertia.
//!
//! Generation is deterministic in a `u64` seed; the default sizes are 1000/1000/1000.
//!
//! # Trajectory files ([`trajectory`])
//!
//! CSV, plain or gzip (detected from the content), one row per sample:
//! `track_id, t_s (or t), x_m (or x), y_m (or y)[, z_m (or z)][, split][, filled][, group]`,
//! times in seconds and positions in metres, on one regular time grid per file. Gaps split a
//! track; shorter or decreasing steps are rejected. Splits come from an index file, a `split`
//! column, or a hash of the group or track id, always by track or group and never by window.
//! [`trajectory::read_opensky`] reads the derived OpenSky ADS-B aircraft tracks with their
//! index.
//!
//! # Forecasting windows ([`windows`], [`forecast`])
//!
//! n_past positions in, n_future out (6 and 6 by default), every k samples (k = 5 for 1-s
//! files, 1 for 10-s files). Windows are centred by the mean of their past positions and
//! scaled by one factor common to all axes; [`windows::WindowedData`] keeps both to map
//! predictions back to metres. Metrics are ADE, FDE and MSE in metres, and a constant-velocity
//! baseline gives the reference forecast.

mod dataset;
mod error;
pub mod forecast;
pub mod synthetic;
pub mod trajectory;
pub mod windows;

pub use dataset::{Dataset, RepSpec, Split, SplitCounts, Splits, TensorCopies};
pub use error::DataError;
pub use forecast::{ForecastMetrics, constant_velocity, forecast_metrics};
pub use synthetic::{
    CosSimVariant, OodConfig, OodKind, SpecialAxis, SyntheticConfig, Task, generate,
};
pub use trajectory::{ReadOptions, Track, TrackSet, read_opensky, read_tracks};
pub use windows::{Centring, WindowConfig, WindowedData, make_windows};

/// Environment variable naming the data root (the folder containing `opensky_adsb/`) for
/// tests and tools that use real data files.
pub const DATA_DIR_ENV: &str = "SOFTEQ_DATA_DIR";
