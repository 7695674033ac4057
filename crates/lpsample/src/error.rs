//! The error type of every lpsample routine.

/// Everything that can go wrong while scoring, sampling or solving.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The exponent p is below 1, infinite or NaN.
    #[error("invalid p = {p}: p must be a finite number ≥ 1")]
    InvalidP { p: f64 },

    /// The expected sample size m is not a positive finite number.
    #[error("invalid sample size m = {m}: m must be a finite number > 0")]
    InvalidSampleSize { m: f64 },

    /// The matrix has no rows or no columns.
    #[error(
        "the input matrix is empty ({rows} × {cols}); pass a matrix with at least one row and one column"
    )]
    EmptyInput { rows: usize, cols: usize },

    /// Every entry is zero, or the numerical rank is 0 under the rank tolerance.
    #[error(
        "the input matrix has rank 0 (all entries are zero or below the rank tolerance); scores are undefined"
    )]
    ZeroMatrix,

    /// An entry is NaN or infinite.
    #[error("non-finite value {value} at row {row}, column {col} (0-based); remove or impute it")]
    NonFinite { row: usize, col: usize, value: f64 },

    /// Two inputs that must agree in length or shape do not.
    #[error("shape mismatch: {what} has length {found}, expected {expected}")]
    ShapeMismatch {
        what: &'static str,
        expected: usize,
        found: usize,
    },

    /// An input file does not exist.
    #[error("file not found: {path}; check the path")]
    MissingFile { path: String },

    /// A `.npy` file contains something other than a 2-D float array.
    #[error("{path}: {reason}; pass a 2-D float64 or float32 .npy array")]
    UnsupportedDtype { path: String, reason: String },

    /// A score vector or option value is outside its valid range.
    #[error("invalid {name} = {value}: {rule}")]
    InvalidArgument {
        name: &'static str,
        value: String,
        rule: &'static str,
    },

    /// Clarabel stopped with a status other than `Solved` or `AlmostSolved`.
    #[error(
        "Clarabel stopped with {status} on row {row}; the input may be badly scaled, \
         try a larger rank tolerance such as --rank-tol 1e-10"
    )]
    SolverFailed { row: usize, status: String },

    /// The Lewis fixed-point iteration produced non-finite values or a growing residual.
    #[error(
        "the Lewis weight iteration diverged for p = {p} with damping eta = {eta} at iteration {iter}; \
         lower eta (for example --lewis-eta {})", 0.5 * eta
    )]
    LewisDiverged { p: f64, eta: f64, iter: usize },

    /// The Lewis fixed-point iteration reached its iteration limit above the tolerance.
    #[error(
        "the Lewis weight iteration for p = {p} did not reach tolerance {tol} in {iter} iterations \
         (residual {residual:e}); raise the iteration limit or lower eta"
    )]
    LewisNotConverged {
        p: f64,
        tol: f64,
        iter: usize,
        residual: f64,
    },

    /// A dense factorization failed.
    #[error("the {what} factorization failed; the input may be rank-deficient or badly scaled")]
    Factorization { what: &'static str },

    /// Reading or writing a file failed.
    #[error(transparent)]
    Data(#[from] datasets::Error),
}

/// Short form of `std::result::Result<T, Error>`.
pub type Result<T> = std::result::Result<T, Error>;
