//! The per-track index file: split, group and time step of every track.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::csv_file::{CsvFile, FieldParser};
use crate::Result;
use crate::data::{DataError, Split};

/// One row of the index.
pub(super) struct IndexEntry {
    pub split: Split,
    pub group: Option<String>,
    pub line: u64,
}

/// The parsed index file.
pub(super) struct TrackIndex {
    pub path: PathBuf,
    pub entries: HashMap<String, IndexEntry>,
    /// Grid step shared by all tracks, when the index has a `dt_s` column.
    pub dt_s: Option<f64>,
}

const INDEX_COLUMNS: &str =
    "An index file needs columns track_id and split; dt_s and flight_key (or group) are optional";

/// Reads an index file with columns `track_id` and `split` (train, val or test), and optionally
/// `dt_s` (the same for every row) and `flight_key` or `group`. Other columns are ignored.
///
/// # Errors
/// Missing columns, invalid values, a repeated track id or a `dt_s` that differs between rows,
/// each naming the file and line.
pub(super) fn read_index(path: &Path) -> Result<TrackIndex> {
    let mut file = CsvFile::open(path)?;
    let id_column = file.required_column("track id", &["track_id"], INDEX_COLUMNS)?;
    let split_column = file.required_column("split", &["split"], INDEX_COLUMNS)?;
    let dt_column = file.optional_column("time step", &["dt_s"])?;
    let group_column = file.optional_column("group", &["flight_key", "group"])?;

    let mut entries: HashMap<String, IndexEntry> = HashMap::new();
    let mut first_dt: Option<(f64, u64)> = None;
    let mut record = csv::StringRecord::new();
    while let Some(line) = file.next_record(&mut record)? {
        let fields = FieldParser {
            file: &file,
            record: &record,
            line,
        };
        let id = fields
            .non_empty(id_column, "a non-empty track id")?
            .to_string();
        let split = fields.split(split_column)?;
        let group = match group_column {
            Some(column) => Some(
                fields
                    .non_empty(column, "a non-empty group name")?
                    .to_string(),
            ),
            None => None,
        };
        if let Some(column) = dt_column {
            let dt = fields.finite(column, "seconds")?;
            match first_dt {
                None if dt > 0.0 => first_dt = Some((dt, line)),
                None => {
                    return Err(invalid_dt(&fields, column, "a positive number of seconds"));
                }
                Some((first, first_line)) if dt != first => {
                    let expected = format!(
                        "the same dt_s as line {first_line} ({first} s); one file must use one \
                         time step"
                    );
                    return Err(invalid_dt(&fields, column, &expected));
                }
                Some(_) => {}
            }
        }
        if let Some(previous) = entries.get(&id) {
            return Err(DataError::IndexMismatch {
                file: path.to_path_buf(),
                line,
                track: id,
                problem: format!("listed again (first on line {})", previous.line),
            }
            .into());
        }
        entries.insert(id, IndexEntry { split, group, line });
    }
    if entries.is_empty() {
        return Err(DataError::EmptyFile {
            file: path.to_path_buf(),
        }
        .into());
    }
    Ok(TrackIndex {
        path: path.to_path_buf(),
        entries,
        dt_s: first_dt.map(|(dt, _)| dt),
    })
}

fn invalid_dt(fields: &FieldParser<'_>, column: usize, expected: &str) -> crate::Error {
    DataError::InvalidValue {
        file: fields.file.path.clone(),
        line: fields.line,
        column: "dt_s".to_string(),
        value: fields.text(column).to_string(),
        expected: expected.to_string(),
    }
    .into()
}
