//! Borrowed hidden-state matrices (N tokens × d hidden units) in f32 or f64,
//! row- or column-major.

use std::borrow::Cow;

use crate::error::Error;

/// Storage order of a dense matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Each row (one token) is contiguous, as model outputs and C-order `.npy` are.
    RowMajor,
    /// Each column is contiguous, as faer matrices and Fortran-order `.npy` are.
    ColMajor,
}

/// Element storage of a [`MatrixView`].
#[derive(Debug, Clone, Copy)]
pub enum Elements<'a> {
    F32(&'a [f32]),
    F64(&'a [f64]),
}

/// A borrowed N × d matrix. Entries are widened to f64 before any arithmetic,
/// which is exact for f32.
#[derive(Debug, Clone, Copy)]
pub struct MatrixView<'a> {
    elements: Elements<'a>,
    n_rows: usize,
    n_cols: usize,
    layout: Layout,
}

impl<'a> MatrixView<'a> {
    /// Wraps `elements` as an `n_rows × n_cols` matrix in `layout`.
    ///
    /// # Errors
    ///
    /// [`Error::ShapeMismatch`] when the slice length is not `n_rows · n_cols`.
    pub fn new(
        elements: Elements<'a>,
        n_rows: usize,
        n_cols: usize,
        layout: Layout,
    ) -> Result<Self, Error> {
        let len = match elements {
            Elements::F32(values) => values.len(),
            Elements::F64(values) => values.len(),
        };
        let expected = n_rows.checked_mul(n_cols);
        if expected != Some(len) {
            return Err(Error::ShapeMismatch {
                n_rows,
                n_cols,
                len,
                expected: expected.unwrap_or(usize::MAX),
            });
        }
        Ok(Self {
            elements,
            n_rows,
            n_cols,
            layout,
        })
    }

    /// Creates a row-major f64 view of `values`.
    ///
    /// # Errors
    ///
    /// As [`MatrixView::new`].
    pub fn from_rows_f64(values: &'a [f64], n_rows: usize, n_cols: usize) -> Result<Self, Error> {
        Self::new(Elements::F64(values), n_rows, n_cols, Layout::RowMajor)
    }

    /// Creates a row-major f32 view of `values`.
    ///
    /// # Errors
    ///
    /// As [`MatrixView::new`].
    pub fn from_rows_f32(values: &'a [f32], n_rows: usize, n_cols: usize) -> Result<Self, Error> {
        Self::new(Elements::F32(values), n_rows, n_cols, Layout::RowMajor)
    }

    /// Number of rows N (tokens).
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Number of columns d (hidden size).
    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// Storage order.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Entry (i, j) widened to f64.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        let index = match self.layout {
            Layout::RowMajor => i * self.n_cols + j,
            Layout::ColMajor => j * self.n_rows + i,
        };
        match self.elements {
            Elements::F32(values) => f64::from(values[index]),
            Elements::F64(values) => values[index],
        }
    }

    /// Returns the elements in row-major order: borrowed when the view is
    /// already row-major f64, otherwise a widened copy.
    pub(crate) fn rows_f64(&self) -> Cow<'a, [f64]> {
        match (self.layout, self.elements) {
            (Layout::RowMajor, Elements::F64(values)) => Cow::Borrowed(values),
            (Layout::RowMajor, Elements::F32(values)) => {
                Cow::Owned(values.iter().map(|&v| f64::from(v)).collect())
            }
            (Layout::ColMajor, _) => {
                let mut rows = Vec::with_capacity(self.n_rows * self.n_cols);
                for i in 0..self.n_rows {
                    rows.extend((0..self.n_cols).map(|j| self.get(i, j)));
                }
                Cow::Owned(rows)
            }
        }
    }

    /// Returns the row-major f32 elements when that is how the view is stored.
    pub(crate) fn rows_f32(&self) -> Option<&'a [f32]> {
        match (self.layout, self.elements) {
            (Layout::RowMajor, Elements::F32(values)) => Some(values),
            _ => None,
        }
    }
}
