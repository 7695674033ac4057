//! The error type of the metric core.

use std::path::PathBuf;

/// Failures of the metric core. A degenerate matrix (a zero centred row under
/// the `nan` policy) is not an error: it is scored with status `degenerate`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A matrix with no rows or no columns.
    #[error("the matrix has shape {n_rows} × {n_cols}; at least one row and one column are needed")]
    EmptyMatrix { n_rows: usize, n_cols: usize },

    /// The data slice does not hold `n_rows · n_cols` elements.
    #[error("the data has {len} elements, but shape {n_rows} × {n_cols} needs {expected}")]
    ShapeMismatch {
        n_rows: usize,
        n_cols: usize,
        len: usize,
        expected: usize,
    },

    /// A NaN or infinite entry in a user matrix.
    #[error(
        "entry ({row}, {col}) is {value}; hidden states must be finite, so remove or repair that row"
    )]
    NonFinite { row: usize, col: usize, value: f64 },

    /// The column sums overflowed although every entry is finite.
    #[error("the column sums overflow f64 (largest |entry| {max_abs:e}); rescale the matrix")]
    Overflow { max_abs: f64 },

    /// A matrix, or a work buffer sized by the input shape, with more than
    /// [`crate::MAX_ELEMENTS`] elements.
    #[error(
        "the {what} for shape {n_rows} × {n_cols} needs more than {limit} elements; use a smaller shape"
    )]
    TooLarge {
        what: &'static str,
        n_rows: usize,
        n_cols: usize,
        limit: usize,
    },

    /// A hyper-parameter outside its valid range.
    #[error("invalid {name} = {value}: {fix}")]
    InvalidParam {
        name: &'static str,
        value: String,
        fix: String,
    },

    /// A dense factorisation failed to converge.
    #[error("the {what} did not converge on a {n_rows} × {n_cols} matrix")]
    NoConvergence {
        what: &'static str,
        n_rows: usize,
        n_cols: usize,
    },

    /// A `.npy` file of the wrong type or shape.
    #[error("{}: {msg}", path.display())]
    Npy { path: PathBuf, msg: String },

    /// A failure of the shared data loaders (missing file, corrupt `.npy`).
    #[error(transparent)]
    Data(#[from] datasets::Error),

    /// A failure to open or read an input file.
    #[error("cannot read {}: {error}; check the path", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },

    /// A failure to write a file.
    #[error("cannot write {}: {error}; choose a writable path", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },

    /// A model file or folder that the runner cannot use: wrong format,
    /// unknown architecture, a missing or misshapen tensor. `fix` says what to
    /// pass instead.
    #[error("{}: {reason}; {fix}", path.display())]
    Model {
        path: PathBuf,
        reason: String,
        fix: String,
    },

    /// A tokenizer that is missing or fails on a text.
    #[error("tokenizer {}: {reason}; {fix}", path.display())]
    Tokenizer {
        path: PathBuf,
        reason: String,
        fix: String,
    },

    /// A failure inside the tensor library during a forward pass.
    #[error("forward pass failed: {0}")]
    Forward(String),
}
