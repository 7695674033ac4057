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

    /// Sampling with replacement was asked for more draws than it allows.
    #[error(
        "invalid sample size m = {m:e}: sampling with replacement allows at most {max:e} draws; \
         use a smaller m, or --mode bernoulli, which keeps every row once m reaches n"
    )]
    TooManyDraws { m: f64, max: f64 },

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

    /// The conic ℓp regression failed and the IRLS fallback was not certified optimal.
    #[error(
        "Clarabel stopped with {status} on the ℓp regression, and the IRLS fallback reached \
         relative duality gap {gap:e}, above the accepted {max_gap:e}; rerun with --solver irls \
         and a larger --max-iter, or rescale the columns of A",
        max_gap = crate::regression::FALLBACK_MAX_GAP
    )]
    RegressionFailed { status: String, gap: f64 },

    /// The Lewis fixed-point iteration produced non-finite values or a growing residual.
    #[error("{}", lewis_diverged_message(*p, *eta, *iter))]
    LewisDiverged { p: f64, eta: f64, iter: usize },

    /// The Lewis residual stopped decreasing at a small value above the tolerance,
    /// the rounding floor of the iteration (it grows with p).
    #[error(
        "the Lewis weight iteration for p = {p} stopped improving at residual {residual:.1e} after \
         {iter} iterations, above the tolerance {tol:e}; rounding limits its accuracy, so raise \
         the tolerance (for example --lewis-tol {:.0e})", suggested_tolerance(*residual)
    )]
    LewisStalled {
        p: f64,
        tol: f64,
        iter: usize,
        residual: f64,
    },

    /// The Lewis fixed-point iteration reached its iteration limit above the tolerance.
    #[error(
        "the Lewis weight iteration for p = {p} did not reach tolerance {tol:e} in {iter} \
         iterations (residual {residual:.1e}); raise the limit (for example --max-iter \
         {suggested_max_iter})"
    )]
    LewisNotConverged {
        p: f64,
        tol: f64,
        iter: usize,
        residual: f64,
        /// Iteration limit estimated from the contraction rate of the damped map.
        suggested_max_iter: usize,
    },

    /// A dense factorization failed.
    #[error("the {what} factorization failed; the input may be rank-deficient or badly scaled")]
    Factorization { what: &'static str },

    /// Reading or writing a file failed.
    #[error(transparent)]
    Data(#[from] datasets::Error),
}

/// Smallest damping that a divergence message still suggests; below it the
/// fixed point is too slow to be useful.
pub const MIN_SUGGESTED_ETA: f64 = 1e-3;

fn lewis_diverged_message(p: f64, eta: f64, iter: usize) -> String {
    let head = format!(
        "the Lewis weight iteration diverged for p = {p} with damping eta = {eta} at iteration {iter}"
    );
    if 0.5 * eta >= MIN_SUGGESTED_ETA {
        format!("{head}; lower eta (for example --lewis-eta {})", 0.5 * eta)
    } else {
        format!(
            "{head}; eta is already at the smallest useful damping, so the fixed point does not \
             converge on this input: use --kind sens-bound or leverage scores instead"
        )
    }
}

/// Returns 10 × `residual` rounded up to a power of ten.
fn suggested_tolerance(residual: f64) -> f64 {
    10f64.powf((10.0 * residual).log10().ceil())
}

/// Short form of `std::result::Result<T, Error>`.
pub type Result<T> = std::result::Result<T, Error>;
