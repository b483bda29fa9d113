//! Validated input/target matrices, their train/val/test/OOD splits, and representation layouts.

use std::fmt;
use std::str::FromStr;

use ndarray::Array2;
use serde::Serialize;

use super::DataError;
use crate::Error;

/// One of the four splits a dataset can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Data the model is fitted on.
    Train,
    /// Data for model selection and early stopping.
    Val,
    /// Data for the reported metric.
    Test,
    /// Out-of-distribution test data (synthetic tasks only).
    Ood,
}

impl Split {
    /// The three splits every dataset has, in order.
    pub const MAIN: [Split; 3] = [Split::Train, Split::Val, Split::Test];

    /// The lower-case name used in files and messages: `train`, `val`, `test` or `ood`.
    pub fn as_str(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Val => "val",
            Split::Test => "test",
            Split::Ood => "ood",
        }
    }
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Split {
    type Err = Error;

    /// Parses `train`, `val`, `test` or `ood` (exact, lower case).
    fn from_str(name: &str) -> Result<Self, Error> {
        match name {
            "train" => Ok(Split::Train),
            "val" => Ok(Split::Val),
            "test" => Ok(Split::Test),
            "ood" => Ok(Split::Ood),
            _ => Err(Error::UnknownName {
                kind: "split",
                name: name.to_string(),
                valid: "train, val, test, ood".to_string(),
            }),
        }
    }
}

/// A count per main split, serialised as `{"train": .., "val": .., "test": ..}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SplitCounts {
    /// Count in the training split.
    pub train: usize,
    /// Count in the validation split.
    pub val: usize,
    /// Count in the test split.
    pub test: usize,
}

impl SplitCounts {
    /// Returns the count of `split` (0 for [`Split::Ood`], which is never counted).
    pub fn get(&self, split: Split) -> usize {
        match split {
            Split::Train => self.train,
            Split::Val => self.val,
            Split::Test => self.test,
            Split::Ood => 0,
        }
    }

    /// Adds `n` to the count of `split`. Counts for [`Split::Ood`] are dropped.
    pub fn add(&mut self, split: Split, n: usize) {
        match split {
            Split::Train => self.train += n,
            Split::Val => self.val += n,
            Split::Test => self.test += n,
            Split::Ood => {}
        }
    }

    /// Sum over the three splits.
    pub fn total(&self) -> usize {
        self.train + self.val + self.test
    }
}

/// Inputs and targets of one split: row `i` of `x` is a sample and row `i` of `y` its target.
///
/// The constructor guarantees at least one row, equal row counts and finite values, so code
/// that receives a `Dataset` need not check again.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    x: Array2<f64>,
    y: Array2<f64>,
}

impl Dataset {
    /// Validates and wraps inputs `x` (samples x input size) and targets `y` (samples x output
    /// size) of `split`.
    ///
    /// # Errors
    /// [`DataError::EmptySplit`] when `x` has no rows, [`DataError::RowMismatch`] when `x` and
    /// `y` differ in rows, [`DataError::NonFinite`] naming the split, part, row and column of the
    /// first NaN or infinite value.
    pub fn new(split: Split, x: Array2<f64>, y: Array2<f64>) -> Result<Self, DataError> {
        if x.nrows() != y.nrows() {
            return Err(DataError::RowMismatch {
                split: split.to_string(),
                inputs: x.nrows(),
                targets: y.nrows(),
            });
        }
        if x.nrows() == 0 {
            return Err(DataError::EmptySplit {
                source_name: "dataset".to_string(),
                split: split.to_string(),
                reason: "the input matrix has no rows".to_string(),
            });
        }
        check_finite(split, "inputs", &x)?;
        check_finite(split, "targets", &y)?;
        Ok(Dataset { x, y })
    }

    /// The inputs, one sample per row.
    pub fn x(&self) -> &Array2<f64> {
        &self.x
    }

    /// The targets, one sample per row.
    pub fn y(&self) -> &Array2<f64> {
        &self.y
    }

    /// Number of samples (at least 1).
    pub fn n_samples(&self) -> usize {
        self.x.nrows()
    }

    /// Number of input columns.
    pub fn input_size(&self) -> usize {
        self.x.ncols()
    }

    /// Number of target columns.
    pub fn output_size(&self) -> usize {
        self.y.ncols()
    }

    /// Returns `(x, y)`.
    pub fn into_parts(self) -> (Array2<f64>, Array2<f64>) {
        (self.x, self.y)
    }
}

fn check_finite(split: Split, part: &'static str, values: &Array2<f64>) -> Result<(), DataError> {
    for ((row, column), &value) in values.indexed_iter() {
        if !value.is_finite() {
            return Err(DataError::NonFinite {
                split: split.to_string(),
                part,
                row,
                column,
                value,
            });
        }
    }
    Ok(())
}

/// The train, validation and test sets of a task, and an optional out-of-distribution set.
///
/// All splits have the same input and output sizes (checked by [`Splits::new`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Splits {
    train: Dataset,
    val: Dataset,
    test: Dataset,
    ood: Option<Dataset>,
}

impl Splits {
    /// Groups the splits after checking that their column counts agree with `train`'s.
    ///
    /// # Errors
    /// [`DataError::ColumnMismatch`] naming the first split whose inputs or targets differ in
    /// width from the training split.
    pub fn new(
        train: Dataset,
        val: Dataset,
        test: Dataset,
        ood: Option<Dataset>,
    ) -> Result<Self, DataError> {
        let others = [
            (Split::Val, Some(&val)),
            (Split::Test, Some(&test)),
            (Split::Ood, ood.as_ref()),
        ];
        for (split, dataset) in others {
            let Some(dataset) = dataset else { continue };
            let widths = [
                ("inputs", train.input_size(), dataset.input_size()),
                ("targets", train.output_size(), dataset.output_size()),
            ];
            for (part, expected, found) in widths {
                if expected != found {
                    return Err(DataError::ColumnMismatch {
                        split: split.to_string(),
                        part,
                        expected,
                        found,
                    });
                }
            }
        }
        Ok(Splits {
            train,
            val,
            test,
            ood,
        })
    }

    /// The training split.
    pub fn train(&self) -> &Dataset {
        &self.train
    }

    /// The validation split.
    pub fn val(&self) -> &Dataset {
        &self.val
    }

    /// The test split.
    pub fn test(&self) -> &Dataset {
        &self.test
    }

    /// The out-of-distribution split, if one was made.
    pub fn ood(&self) -> Option<&Dataset> {
        self.ood.as_ref()
    }

    /// Returns the dataset of `split`, or `None` for a missing OOD split.
    pub fn get(&self, split: Split) -> Option<&Dataset> {
        match split {
            Split::Train => Some(&self.train),
            Split::Val => Some(&self.val),
            Split::Test => Some(&self.test),
            Split::Ood => self.ood.as_ref(),
        }
    }

    /// Number of input columns (shared by all splits).
    pub fn input_size(&self) -> usize {
        self.train.input_size()
    }

    /// Number of target columns (shared by all splits).
    pub fn output_size(&self) -> usize {
        self.train.output_size()
    }
}

/// `copies` copies of the tensor type T(`rank`) on the base space R^d, so T(0) is a scalar and
/// T(1) a vector. Each copy occupies d^rank consecutive columns, flattened row-major.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct TensorCopies {
    /// Number of copies.
    pub copies: usize,
    /// Tensor rank: 0 scalar, 1 vector, 2 matrix.
    pub rank: u32,
}

/// Layout of a data row as a direct sum of tensor types, in column order.
///
/// For example the inertia task's input, 5 masses followed by 5 positions, is
/// `5T0+5T1`: columns 0..5 are scalars and columns 5..20 are five 3-vectors. The symmetry code
/// turns this into a representation of whichever group acts on R^d.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct RepSpec {
    /// Dimension d of the base space the tensors live on (3 for the synthetic tasks).
    pub base_dim: usize,
    /// The summands, in the order their columns appear.
    pub terms: Vec<TensorCopies>,
}

impl RepSpec {
    /// Builds a layout from `(copies, rank)` pairs on R^`base_dim`.
    pub fn new(base_dim: usize, terms: &[(usize, u32)]) -> Self {
        RepSpec {
            base_dim,
            terms: terms
                .iter()
                .map(|&(copies, rank)| TensorCopies { copies, rank })
                .collect(),
        }
    }

    /// Total number of columns: sum of copies * d^rank.
    pub fn size(&self) -> usize {
        self.terms
            .iter()
            .map(|term| term.copies * self.base_dim.pow(term.rank))
            .sum()
    }
}

impl fmt::Display for RepSpec {
    /// Writes the sum as `5T0+5T1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, term) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str("+")?;
            }
            write!(f, "{}T{}", term.copies, term.rank)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn dataset_rejects_row_mismatch() {
        let result = Dataset::new(Split::Train, Array2::zeros((3, 2)), Array2::zeros((2, 1)));
        assert!(matches!(
            result,
            Err(DataError::RowMismatch {
                inputs: 3,
                targets: 2,
                ..
            })
        ));
    }

    #[test]
    fn dataset_rejects_zero_rows() {
        let result = Dataset::new(Split::Val, Array2::zeros((0, 2)), Array2::zeros((0, 1)));
        assert!(matches!(result, Err(DataError::EmptySplit { .. })));
    }

    #[test]
    fn dataset_names_nan_position() {
        let x = array![[0.0, 1.0], [2.0, f64::NAN]];
        let error = Dataset::new(Split::Test, x, Array2::zeros((2, 1))).unwrap_err();
        match error {
            DataError::NonFinite {
                split,
                part,
                row,
                column,
                ..
            } => {
                assert_eq!(split, "test");
                assert_eq!(part, "inputs");
                assert_eq!(row, 1);
                assert_eq!(column, 1);
            }
            other => panic!("expected NonFinite, got {other}"),
        }
    }

    #[test]
    fn dataset_rejects_infinite_target() {
        let y = array![[f64::INFINITY]];
        let error = Dataset::new(Split::Ood, Array2::zeros((1, 2)), y).unwrap_err();
        assert!(matches!(
            error,
            DataError::NonFinite {
                part: "targets",
                ..
            }
        ));
    }

    #[test]
    fn splits_reject_column_mismatch() {
        let a = Dataset::new(Split::Train, Array2::zeros((2, 3)), Array2::zeros((2, 1))).unwrap();
        let b = Dataset::new(Split::Val, Array2::zeros((2, 4)), Array2::zeros((2, 1))).unwrap();
        let error = Splits::new(a.clone(), b, a, None).unwrap_err();
        assert!(matches!(
            error,
            DataError::ColumnMismatch {
                part: "inputs",
                expected: 3,
                found: 4,
                ..
            }
        ));
    }

    #[test]
    fn rep_spec_size_and_display() {
        let rep = RepSpec::new(3, &[(5, 0), (5, 1)]);
        assert_eq!(rep.size(), 20);
        assert_eq!(rep.to_string(), "5T0+5T1");
        assert_eq!(RepSpec::new(3, &[(1, 2)]).size(), 9);
    }

    #[test]
    fn split_parse_rejects_unknown() {
        assert_eq!("val".parse::<Split>().unwrap(), Split::Val);
        assert!(matches!(
            "validation".parse::<Split>(),
            Err(Error::UnknownName { .. })
        ));
    }
}
