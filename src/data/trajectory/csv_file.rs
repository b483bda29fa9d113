//! CSV plumbing shared by the tracks and index readers: opening plain or gzip files, finding
//! columns by their accepted names, and parsing fields into typed errors.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::data::{DataError, Split};
use crate::{Error, Result};

/// The two magic bytes that start every gzip member (RFC 1952).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// An open CSV file with its header.
pub(super) struct CsvFile {
    pub path: PathBuf,
    pub reader: csv::Reader<Box<dyn Read>>,
    /// Header names, trimmed and lower-cased.
    pub header: Vec<String>,
}

impl CsvFile {
    /// Opens `path`, decompressing it when it starts with the gzip magic bytes whatever its
    /// extension, and reads the header line.
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::io("cannot open", path, e))?;
        let mut buffered = BufReader::new(file);
        let start = buffered
            .fill_buf()
            .map_err(|e| Error::io("cannot read", path, e))?;
        let is_gzip = start.starts_with(&GZIP_MAGIC);
        let input: Box<dyn Read> = if is_gzip {
            Box::new(flate2::bufread::MultiGzDecoder::new(buffered))
        } else {
            Box::new(buffered)
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .trim(csv::Trim::All)
            .from_reader(input);
        let header = reader
            .headers()
            .map_err(|e| csv_error(path, e))?
            .iter()
            .map(|name| name.trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect::<Vec<_>>();
        if header.iter().all(|name| name.is_empty()) {
            return Err(DataError::EmptyFile {
                file: path.to_path_buf(),
            }
            .into());
        }
        Ok(CsvFile {
            path: path.to_path_buf(),
            reader,
            header,
        })
    }

    /// Index of the column named by one of `aliases`.
    ///
    /// # Errors
    /// [`DataError::AmbiguousColumn`] when more than one alias is present.
    pub fn optional_column(
        &self,
        quantity: &'static str,
        aliases: &[&str],
    ) -> Result<Option<usize>> {
        let found: Vec<usize> = aliases
            .iter()
            .filter_map(|alias| self.header.iter().position(|name| name == alias))
            .collect();
        match found.as_slice() {
            [] => Ok(None),
            [column] => Ok(Some(*column)),
            _ => Err(DataError::AmbiguousColumn {
                file: self.path.clone(),
                quantity,
                names: found
                    .iter()
                    .map(|&column| self.header[column].as_str())
                    .collect::<Vec<_>>()
                    .join(" and "),
            }
            .into()),
        }
    }

    /// Like [`CsvFile::optional_column`], but a missing column is an error whose message
    /// contains `fix`.
    pub fn required_column(
        &self,
        quantity: &'static str,
        aliases: &[&str],
        fix: &'static str,
    ) -> Result<usize> {
        self.optional_column(quantity, aliases)?.ok_or_else(|| {
            DataError::MissingColumn {
                file: self.path.clone(),
                column: aliases.join(" or "),
                header: self.header.join(","),
                fix,
            }
            .into()
        })
    }

    /// Reads the next record into `record`; returns its one-based line, or `None` at the end.
    pub fn next_record(&mut self, record: &mut csv::StringRecord) -> Result<Option<u64>> {
        match self.reader.read_record(record) {
            Ok(true) => Ok(Some(record.position().map_or(0, |p| p.line()))),
            Ok(false) => Ok(None),
            Err(e) => Err(csv_error(&self.path, e)),
        }
    }

    /// The name of column `column`, as lower-cased from the header.
    pub fn column_name(&self, column: usize) -> &str {
        &self.header[column]
    }
}

/// Converts a CSV reader error: I/O failures (including a corrupt gzip stream) to
/// [`Error::Io`], everything else to [`DataError::Parse`] with the line.
fn csv_error(path: &Path, error: csv::Error) -> Error {
    let line = error.position().map_or(0, |p| p.line());
    let message = error.to_string();
    match error.into_kind() {
        csv::ErrorKind::Io(source) => Error::io("cannot read", path, source),
        _ => DataError::Parse {
            file: path.to_path_buf(),
            line,
            message,
        }
        .into(),
    }
}

/// Field parsers that name the file, line, column and value on failure.
pub(super) struct FieldParser<'a> {
    pub file: &'a CsvFile,
    pub record: &'a csv::StringRecord,
    pub line: u64,
}

impl FieldParser<'_> {
    fn invalid(&self, column: usize, expected: &str) -> Error {
        DataError::InvalidValue {
            file: self.file.path.clone(),
            line: self.line,
            column: self.file.column_name(column).to_string(),
            value: self.text(column).to_string(),
            expected: expected.to_string(),
        }
        .into()
    }

    /// The trimmed text of `column`.
    pub fn text(&self, column: usize) -> &str {
        self.record.get(column).unwrap_or("")
    }

    /// A non-empty string.
    pub fn non_empty(&self, column: usize, expected: &str) -> Result<&str> {
        let text = self.text(column);
        if text.is_empty() {
            return Err(self.invalid(column, expected));
        }
        Ok(text)
    }

    /// A finite number; `unit` completes the message, for example `"metres"`.
    pub fn finite(&self, column: usize, unit: &str) -> Result<f64> {
        match self.text(column).parse::<f64>() {
            Ok(value) if value.is_finite() => Ok(value),
            _ => Err(self.invalid(column, &format!("a finite number in {unit}"))),
        }
    }

    /// `1`/`true` or `0`/`false`.
    pub fn flag(&self, column: usize) -> Result<bool> {
        match self.text(column) {
            "1" | "true" | "True" | "TRUE" => Ok(true),
            "0" | "false" | "False" | "FALSE" => Ok(false),
            _ => Err(self.invalid(column, "0 or 1 (or false/true)")),
        }
    }

    /// One of the three main split names.
    pub fn split(&self, column: usize) -> Result<Split> {
        match self.text(column) {
            "train" => Ok(Split::Train),
            "val" => Ok(Split::Val),
            "test" => Ok(Split::Test),
            _ => Err(self.invalid(column, "train, val or test")),
        }
    }
}
