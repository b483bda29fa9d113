//! Trajectory files: tracks of positions on a regular time grid, with a train/val/test split.
//!
//! # File format
//!
//! A tracks file is CSV, plain or gzip-compressed (recognised by the gzip magic bytes, not by
//! the extension), with a header line and one row per sample. Header names are matched after
//! trimming and lower-casing; columns may come in any order and unknown columns are ignored.
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `track_id` | yes | any non-empty text; rows with the same id form one track |
//! | `t_s` or `t` | yes | time in seconds (any origin, for example since the track start or Unix time) |
//! | `x_m` or `x`, `y_m` or `y` | yes | position in metres |
//! | `z_m` or `z` | no | position in metres; without it the data are 2-D (d = 2) |
//! | `split` | no | `train`, `val` or `test`; the same on every row of a track |
//! | `filled` | no | `1`/`true` when the sample was interpolated across missing data, else `0`/`false` |
//! | `group` or `flight_key` | no | the object the track belongs to; the same on every row of a track |
//!
//! Positions must be in a Cartesian frame in metres. Rotations of the data are only physical
//! if all axes share one unit, and for 3-D data the candidate groups assume z is the vertical.
//!
//! Rows of a track may be interleaved with other tracks' rows but must be in increasing time
//! order. One file has one time step dt: the index's `dt_s`, else [`ReadOptions::dt_s`], else
//! the median of all steps between consecutive samples of a track. A step within
//! [`TIME_TOLERANCE`] * dt of dt is regular. A longer step is a gap: the track is split there
//! into pieces that are windowed separately, and the split is logged and counted in
//! [`LoadSummary::gaps_split`]. A shorter step (including a repeated or decreasing time) is
//! rejected with [`DataError::IrregularTime`], because it means the file is not on one grid.
//!
//! An optional index file (plain or gzip CSV) has one row per track with columns `track_id` and
//! `split`, and optionally `dt_s` and `flight_key` (or `group`). Other columns, such as the rest
//! of the OpenSky index, are ignored. Every track of the tracks file must be listed in the index.
//!
//! # Splits
//!
//! The split of a track comes from, in order of precedence:
//! 1. the index file's `split`, when an index is given (a `split` column of the tracks file is
//!    then ignored);
//! 2. the tracks file's `split` column;
//! 3. a hash of the track's group (or of its id when there is no group column): the FNV-1a
//!    64-bit hash of the UTF-8 text, modulo 20, gives train for 0-13, val for 14-16 and test
//!    for 17-19 (70/15/15 %).
//!
//! Splitting is always by track or group, never by window, because overlapping windows of one
//! track in two splits would leak targets. When several tracks belong to one object (segments
//! of one flight), give them a common `group` or an explicit split.
//!
//! # The OpenSky ADS-B files
//!
//! [`read_opensky`] reads `<name>_tracks.csv.gz` and `<name>_index.csv` of the derived OpenSky
//! aircraft tracks (`quickstart`, `savan`, `switzerland`). Their x is east, y north and z the
//! barometric altitude, all in metres; the index's split is by flight.

mod csv_file;
mod index;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use ndarray::Array2;
use serde::Serialize;

use self::csv_file::{CsvFile, FieldParser};
use self::index::{TrackIndex, read_index};
use super::{DataError, Split, SplitCounts};
use crate::{Error, Result};

/// Relative tolerance on the time step: a step s is regular when |s - dt| <= 1e-3 dt.
pub const TIME_TOLERANCE: f64 = 1e-3;

/// Names of the derived OpenSky files accepted by [`read_opensky`].
pub const OPENSKY_NAMES: [&str; 3] = ["quickstart", "savan", "switzerland"];

const TRACK_COLUMNS: &str = "A tracks file needs columns track_id, t_s (or t), x_m (or x) and \
                             y_m (or y); z_m (or z), split, filled and group are optional";

/// A gap-free piece of one track, sampled every dt seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    /// The `track_id` as written in the file.
    pub id: String,
    /// Index of this piece within the track: 0, then 1, 2, .. after each time gap.
    pub piece: usize,
    /// The track's group (from the index's `flight_key` or the file's `group` column).
    pub group: Option<String>,
    /// The split of the whole track.
    pub split: Split,
    /// Time of the first sample, in the file's time unit (seconds).
    pub t0_s: f64,
    /// Positions in metres, one row per sample, d columns (x, y[, z]).
    pub positions: Array2<f64>,
    /// Whether each sample was interpolated across missing data (all false without a `filled`
    /// column).
    pub filled: Vec<bool>,
    /// File line of the first sample, for messages.
    pub first_line: u64,
}

impl Track {
    /// Number of samples.
    pub fn n_samples(&self) -> usize {
        self.positions.nrows()
    }
}

/// Source of the splits of a loaded file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SplitSource {
    /// The index file's `split` column.
    Index,
    /// The tracks file's `split` column.
    Column,
    /// The hash of the group or track id.
    Hash,
}

/// Counts from loading one tracks file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadSummary {
    /// The tracks file.
    pub file: PathBuf,
    /// The index file, if one was used.
    pub index: Option<PathBuf>,
    /// Data rows read.
    pub rows: usize,
    /// Spatial dimension d (2 or 3).
    pub dim: usize,
    /// Time step, in seconds.
    pub dt_s: f64,
    /// Source of the splits.
    pub split_source: SplitSource,
    /// Distinct track ids.
    pub track_ids: usize,
    /// Time gaps at which a track was split into pieces.
    pub gaps_split: usize,
    /// Index rows whose track has no row in the tracks file (logged and ignored).
    pub index_tracks_without_rows: usize,
    /// Track ids per split.
    pub tracks: SplitCounts,
    /// Gap-free pieces per split.
    pub pieces: SplitCounts,
    /// Distinct groups per split (track ids when there are no groups).
    pub groups: SplitCounts,
    /// Groups whose tracks were given different splits (logged), which leaks data between
    /// splits when the tracks of a group overlap in time.
    pub groups_in_several_splits: usize,
    /// Rows per split.
    pub rows_per_split: SplitCounts,
}

/// The tracks of one file, split into gap-free pieces.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackSet {
    /// Every gap-free piece, in order of first appearance in the file.
    pub tracks: Vec<Track>,
    /// Spatial dimension d (2 or 3).
    pub dim: usize,
    /// Time step shared by all tracks, in seconds.
    pub dt_s: f64,
    /// Counts from loading.
    pub summary: LoadSummary,
}

impl TrackSet {
    /// The tracks file's path, for messages.
    pub fn source(&self) -> &Path {
        &self.summary.file
    }
}

/// Options of [`read_tracks`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadOptions {
    /// Index file giving each track's split (and optionally group and `dt_s`).
    pub index: Option<PathBuf>,
    /// Time step in seconds; overrides the inferred step, and must equal the index's `dt_s`
    /// when both are given.
    pub dt_s: Option<f64>,
}

/// Returns the folder of the derived OpenSky files under a data root such as the value of
/// `SOFTEQ_DATA_DIR`: `<data_root>/opensky_adsb/derived`.
pub fn opensky_dir(data_root: &Path) -> PathBuf {
    data_root.join("opensky_adsb").join("derived")
}

/// Reads `<dir>/<name>_tracks.csv.gz` with the splits of `<dir>/<name>_index.csv`.
///
/// # Errors
/// [`Error::UnknownName`] when `name` is not in [`OPENSKY_NAMES`]; otherwise as
/// [`read_tracks`].
pub fn read_opensky(dir: &Path, name: &str) -> Result<TrackSet> {
    if !OPENSKY_NAMES.contains(&name) {
        return Err(Error::UnknownName {
            kind: "OpenSky file",
            name: name.to_string(),
            valid: OPENSKY_NAMES.join(", "),
        });
    }
    let options = ReadOptions {
        index: Some(dir.join(format!("{name}_index.csv"))),
        dt_s: None,
    };
    read_tracks(&dir.join(format!("{name}_tracks.csv.gz")), &options)
}

/// Reads a tracks file in the format of the [module documentation](self).
///
/// # Errors
/// - [`Error::Io`] when a file cannot be opened or decompressed;
/// - [`DataError::EmptyFile`], [`DataError::Parse`], [`DataError::MissingColumn`],
///   [`DataError::AmbiguousColumn`];
/// - [`DataError::InvalidValue`] for a non-numeric, NaN or infinite number, an unknown split or
///   flag, an empty id;
/// - [`DataError::IrregularTime`] for a time step shorter than dt;
/// - [`DataError::InconsistentTrack`] when the split or group changes within a track;
/// - [`DataError::IndexMismatch`] for a track missing from the index;
/// - [`Error::InvalidSetting`] for a non-positive `dt_s` option, one that contradicts the
///   index, or when dt cannot be inferred because no track has two samples.
///
/// Tracks too short for a window are kept here; [`super::windows`] skips and counts them.
pub fn read_tracks(path: &Path, options: &ReadOptions) -> Result<TrackSet> {
    let index = match &options.index {
        Some(index_path) => Some(read_index(index_path)?),
        None => None,
    };
    let raw = read_raw_tracks(path)?;
    let dt_s = choose_dt(&raw, options, index.as_ref())?;
    let split_source = if index.is_some() {
        SplitSource::Index
    } else if raw.has_split_column {
        SplitSource::Column
    } else {
        SplitSource::Hash
    };

    let mut summary = LoadSummary {
        file: path.to_path_buf(),
        index: options.index.clone(),
        rows: raw.rows,
        dim: raw.dim,
        dt_s,
        split_source,
        track_ids: raw.tracks.len(),
        gaps_split: 0,
        index_tracks_without_rows: 0,
        tracks: SplitCounts::default(),
        pieces: SplitCounts::default(),
        groups: SplitCounts::default(),
        groups_in_several_splits: 0,
        rows_per_split: SplitCounts::default(),
    };
    let mut tracks = Vec::new();
    let mut splits_of_group: HashMap<String, Vec<Split>> = HashMap::new();
    for raw_track in raw.tracks {
        let (split, group) = assign_split(&raw_track, index.as_ref(), path)?;
        let group_key = group.clone().unwrap_or_else(|| raw_track.id.clone());
        let group_splits = splits_of_group.entry(group_key).or_default();
        if !group_splits.contains(&split) {
            group_splits.push(split);
            summary.groups.add(split, 1);
            if group_splits.len() == 2 {
                summary.groups_in_several_splits += 1;
            }
        }
        summary.tracks.add(split, 1);
        summary.rows_per_split.add(split, raw_track.times.len());
        let pieces = cut_at_gaps(raw_track, split, group, raw.dim, dt_s, path)?;
        summary.gaps_split += pieces.len() - 1;
        summary.pieces.add(split, pieces.len());
        tracks.extend(pieces);
    }
    if summary.groups_in_several_splits > 0 {
        tracing::warn!(
            file = %path.display(),
            count = summary.groups_in_several_splits,
            "groups with tracks in more than one split; windows of one object may leak \
             between splits"
        );
    }
    if let Some(index) = &index {
        let with_rows: HashSet<&str> = tracks.iter().map(|track| track.id.as_str()).collect();
        summary.index_tracks_without_rows = index
            .entries
            .keys()
            .filter(|id| !with_rows.contains(id.as_str()))
            .count();
        if summary.index_tracks_without_rows > 0 {
            tracing::warn!(
                index = %index.path.display(),
                count = summary.index_tracks_without_rows,
                "index lists tracks that have no rows in the tracks file; ignoring them"
            );
        }
    }
    tracing::info!(
        file = %path.display(),
        rows = summary.rows,
        dim = summary.dim,
        dt_s,
        track_ids = summary.track_ids,
        gaps_split = summary.gaps_split,
        split_source = ?summary.split_source,
        "loaded trajectory file"
    );
    Ok(TrackSet {
        tracks,
        dim: raw.dim,
        dt_s,
        summary,
    })
}

/// The rows of one track id, before the time check.
struct RawTrack {
    id: String,
    times: Vec<f64>,
    lines: Vec<u64>,
    /// Row-major, d values per sample.
    positions: Vec<f64>,
    filled: Vec<bool>,
    /// Value of the split column on the track's first row.
    split: Option<Split>,
    group: Option<String>,
}

struct RawFile {
    tracks: Vec<RawTrack>,
    dim: usize,
    rows: usize,
    has_split_column: bool,
}

/// Column positions of a tracks file.
struct TrackColumns {
    id: usize,
    time: usize,
    coordinates: Vec<usize>,
    split: Option<usize>,
    filled: Option<usize>,
    group: Option<usize>,
}

impl TrackColumns {
    fn find(file: &CsvFile) -> Result<Self> {
        let id = file.required_column("track id", &["track_id"], TRACK_COLUMNS)?;
        let time = file.required_column("time", &["t_s", "t"], TRACK_COLUMNS)?;
        let x = file.required_column("x", &["x_m", "x"], TRACK_COLUMNS)?;
        let y = file.required_column("y", &["y_m", "y"], TRACK_COLUMNS)?;
        let z = file.optional_column("z", &["z_m", "z"])?;
        let mut coordinates = vec![x, y];
        coordinates.extend(z);
        Ok(TrackColumns {
            id,
            time,
            coordinates,
            split: file.optional_column("split", &["split"])?,
            filled: file.optional_column("filled", &["filled"])?,
            group: file.optional_column("group", &["group", "flight_key"])?,
        })
    }
}

fn read_raw_tracks(path: &Path) -> Result<RawFile> {
    let mut file = CsvFile::open(path)?;
    let columns = TrackColumns::find(&file)?;
    let dim = columns.coordinates.len();
    let mut tracks: Vec<RawTrack> = Vec::new();
    let mut position_of: HashMap<String, usize> = HashMap::new();
    let mut rows = 0;
    let mut record = csv::StringRecord::new();
    while let Some(line) = file.next_record(&mut record)? {
        rows += 1;
        let fields = FieldParser {
            file: &file,
            record: &record,
            line,
        };
        let id = fields.non_empty(columns.id, "a non-empty track id")?;
        let time = fields.finite(columns.time, "seconds")?;
        let slot = match position_of.get(id) {
            Some(&slot) => slot,
            None => {
                position_of.insert(id.to_string(), tracks.len());
                tracks.push(RawTrack {
                    id: id.to_string(),
                    times: Vec::new(),
                    lines: Vec::new(),
                    positions: Vec::new(),
                    filled: Vec::new(),
                    split: None,
                    group: None,
                });
                tracks.len() - 1
            }
        };
        let track = &mut tracks[slot];
        for &column in &columns.coordinates {
            track.positions.push(fields.finite(column, "metres")?);
        }
        track.filled.push(match columns.filled {
            Some(column) => fields.flag(column)?,
            None => false,
        });
        if let Some(column) = columns.split {
            let split = fields.split(column)?;
            match track.split {
                None => track.split = Some(split),
                Some(first) if first != split => {
                    return Err(inconsistent(
                        &fields,
                        &track.id,
                        "split",
                        column,
                        first.as_str(),
                    ));
                }
                Some(_) => {}
            }
        }
        if let Some(column) = columns.group {
            let group = fields.non_empty(column, "a non-empty group name")?;
            match &track.group {
                None => track.group = Some(group.to_string()),
                Some(first) if first != group => {
                    return Err(inconsistent(&fields, &track.id, "group", column, first));
                }
                Some(_) => {}
            }
        }
        track.times.push(time);
        track.lines.push(line);
    }
    if rows == 0 {
        return Err(DataError::EmptyFile {
            file: path.to_path_buf(),
        }
        .into());
    }
    Ok(RawFile {
        tracks,
        dim,
        rows,
        has_split_column: columns.split.is_some(),
    })
}

fn inconsistent(
    fields: &FieldParser<'_>,
    track: &str,
    quantity: &'static str,
    column: usize,
    first: &str,
) -> Error {
    DataError::InconsistentTrack {
        file: fields.file.path.clone(),
        line: fields.line,
        track: track.into(),
        column: quantity,
        first: first.into(),
        value: fields.text(column).into(),
    }
    .into()
}

/// Picks the file's time step: the option, else the index's `dt_s`, else the median step.
fn choose_dt(raw: &RawFile, options: &ReadOptions, index: Option<&TrackIndex>) -> Result<f64> {
    let index_dt = index.and_then(|index| index.dt_s);
    if let Some(dt) = options.dt_s {
        if !(dt.is_finite() && dt > 0.0) {
            return Err(Error::invalid("dt_s", dt, "a positive number of seconds"));
        }
        if let Some(index_dt) = index_dt
            && (dt - index_dt).abs() > TIME_TOLERANCE * index_dt
        {
            return Err(Error::invalid(
                "dt_s",
                dt,
                format!("the index's dt_s ({index_dt} s), or no dt_s option"),
            ));
        }
        return Ok(dt);
    }
    if let Some(dt) = index_dt {
        return Ok(dt);
    }
    let mut steps: Vec<f64> = raw
        .tracks
        .iter()
        .flat_map(|track| track.times.windows(2).map(|pair| pair[1] - pair[0]))
        .filter(|&step| step > 0.0)
        .collect();
    if steps.is_empty() {
        return Err(Error::invalid(
            "dt_s",
            "none",
            "a time step in seconds, because no track has two samples to infer it from",
        ));
    }
    let middle = steps.len() / 2;
    let (_, median, _) = steps.select_nth_unstable_by(middle, f64::total_cmp);
    Ok(*median)
}

/// FNV-1a, 64 bit: a fixed, platform-independent hash for the fallback split.
fn fnv1a_64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// Returns the hash split of `key`: train for hash mod 20 in 0-13, val 14-16, test 17-19.
pub fn hash_split(key: &str) -> Split {
    match fnv1a_64(key.as_bytes()) % 20 {
        0..=13 => Split::Train,
        14..=16 => Split::Val,
        _ => Split::Test,
    }
}

fn assign_split(
    track: &RawTrack,
    index: Option<&TrackIndex>,
    path: &Path,
) -> Result<(Split, Option<String>)> {
    if let Some(index) = index {
        let Some(entry) = index.entries.get(&track.id) else {
            return Err(DataError::IndexMismatch {
                file: path.to_path_buf(),
                line: track.lines[0],
                track: track.id.clone(),
                problem: format!("not listed in the index {}", index.path.display()),
            }
            .into());
        };
        let group = entry.group.clone().or_else(|| track.group.clone());
        return Ok((entry.split, group));
    }
    if let Some(split) = track.split {
        return Ok((split, track.group.clone()));
    }
    let key = track.group.as_deref().unwrap_or(&track.id);
    Ok((hash_split(key), track.group.clone()))
}

/// Checks the time grid of a track and cuts it at every gap longer than dt.
fn cut_at_gaps(
    raw: RawTrack,
    split: Split,
    group: Option<String>,
    dim: usize,
    dt_s: f64,
    path: &Path,
) -> Result<Vec<Track>> {
    let mut starts = vec![0];
    for (i, pair) in raw.times.windows(2).enumerate() {
        let step = pair[1] - pair[0];
        if step < dt_s * (1.0 - TIME_TOLERANCE) {
            return Err(DataError::IrregularTime {
                file: path.to_path_buf(),
                line: raw.lines[i + 1],
                track: raw.id.clone(),
                previous: pair[0],
                time: pair[1],
                dt: dt_s,
            }
            .into());
        }
        if step > dt_s * (1.0 + TIME_TOLERANCE) {
            tracing::debug!(
                track = %raw.id,
                line = raw.lines[i + 1],
                gap_s = step,
                "time gap; splitting the track"
            );
            starts.push(i + 1);
        }
    }
    let n = raw.times.len();
    let mut pieces = Vec::with_capacity(starts.len());
    for (piece, &start) in starts.iter().enumerate() {
        let end = starts.get(piece + 1).copied().unwrap_or(n);
        let positions = Array2::from_shape_vec(
            (end - start, dim),
            raw.positions[start * dim..end * dim].to_vec(),
        )
        .expect("d positions were read per row");
        pieces.push(Track {
            id: raw.id.clone(),
            piece,
            group: group.clone(),
            split,
            t0_s: raw.times[start],
            positions,
            filled: raw.filled[start..end].to_vec(),
            first_line: raw.lines[start],
        });
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_reference_values() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn hash_split_shares_are_near_70_15_15() {
        let mut counts = SplitCounts::default();
        for i in 0..20_000 {
            counts.add(hash_split(&format!("track-{i}")), 1);
        }
        assert!((counts.train as f64 / 20_000.0 - 0.70).abs() < 0.02);
        assert!((counts.val as f64 / 20_000.0 - 0.15).abs() < 0.02);
        assert!((counts.test as f64 / 20_000.0 - 0.15).abs() < 0.02);
    }
}
