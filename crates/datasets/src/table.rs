//! A labelled feature matrix and a (training, test) split of its rows.

use faer::Mat;

use crate::error::{Error, Result};

/// A classification data set: one sample per row of `x`, one label per sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Features, `n_rows × n_features`, one sample per row.
    pub x: Mat<f64>,
    /// Class labels in `0..n_classes`, one per row of `x`.
    pub y: Vec<usize>,
    /// Number of classes. Some classes may have no rows in this table.
    pub n_classes: usize,
}

/// Row indices of a training set and a test set, 0-based.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Split {
    /// Rows to train on.
    pub train: Vec<usize>,
    /// Rows to evaluate on.
    pub test: Vec<usize>,
}

impl Table {
    /// Copies the rows `idx`, in that order, into a new table with the same classes.
    ///
    /// # Panics
    ///
    /// Panics when an index is not below [`Table::n_rows`].
    pub fn rows(&self, idx: &[usize]) -> Table {
        let x = Mat::from_fn(idx.len(), self.n_features(), |i, j| self.x[(idx[i], j)]);
        let y = idx.iter().map(|&i| self.y[i]).collect();
        Table {
            x,
            y,
            n_classes: self.n_classes,
        }
    }

    /// Number of samples.
    pub fn n_rows(&self) -> usize {
        self.x.nrows()
    }

    /// Number of features per sample.
    pub fn n_features(&self) -> usize {
        self.x.ncols()
    }

    /// Number of rows of each class, indexed by class, of length `n_classes`.
    ///
    /// # Panics
    ///
    /// Panics when a label is not below `n_classes`.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.n_classes];
        for &label in &self.y {
            counts[label] += 1;
        }
        counts
    }

    /// Checks that every feature value is finite.
    ///
    /// # Errors
    ///
    /// [`Error::NonFinite`] for the first NaN or infinity, scanning column by column.
    pub fn check_finite(&self) -> Result<()> {
        for col in 0..self.n_features() {
            let values = self.x.col_as_slice(col);
            if let Some(row) = values.iter().position(|v| !v.is_finite()) {
                return Err(Error::NonFinite {
                    row,
                    col,
                    value: values[row],
                });
            }
        }
        Ok(())
    }
}
