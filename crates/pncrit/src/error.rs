//! The error type of the library.
//!
//! Every message names the offending value and the fix, so that the binary can
//! print it as one sentence.

/// Errors returned by the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("cannot access {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The operating-system error.
        source: std::io::Error,
    },

    /// A cell of the data file is not a number.
    #[error(
        "line {line} of the file (data row {row}), column {col}: '{cell}' is not a number; {hint}"
    )]
    NotANumber {
        /// 1-based line of the file, skipped lines included.
        line: usize,
        /// 1-based data row (after the skipped lines).
        row: usize,
        /// 1-based column of the file.
        col: usize,
        /// The text of the cell.
        cell: String,
        /// The fix, for example "use --cols 2-9".
        hint: String,
    },

    /// A cell parses as NaN or ±∞.
    #[error(
        "data row {row} (after the skipped lines), column {col}: '{cell}' is not finite; remove or impute it"
    )]
    NotFinite {
        /// 1-based data row.
        row: usize,
        /// 1-based column.
        col: usize,
        /// The text of the cell.
        cell: String,
    },

    /// A data row has a different number of fields than the first.
    #[error(
        "data row {row} (after the skipped lines) has {found} fields but the first data row has {expected}; fix the row or the delimiter"
    )]
    Ragged {
        /// 1-based data row.
        row: usize,
        /// Number of fields found.
        found: usize,
        /// Number of fields in the first data row.
        expected: usize,
    },

    /// A column is constant, so its variance is zero.
    #[error("column {col} is constant (every value is {}); drop it with --cols", compact(*value))]
    ConstantColumn {
        /// 1-based column of the file.
        col: usize,
        /// Its only value.
        value: f64,
    },

    /// Too few rows for the dimension.
    #[error(
        "n = {n} rows is too few for {what} = {dim}; need n > {dim}, so add rows or use fewer columns"
    )]
    TooFewRows {
        /// Number of observations.
        n: usize,
        /// The dimension that n must exceed.
        dim: usize,
        /// The dimension's name: "d" (columns) or "p" (statistics).
        what: &'static str,
    },

    /// Two columns are collinear, or one column is a combination of others.
    #[error("the covariance is singular: {detail}; drop one")]
    Singular {
        /// The columns involved.
        detail: String,
    },

    /// A parameter is outside its valid range.
    #[error("invalid {name} = {value}: {rule}")]
    InvalidParameter {
        /// Name of the parameter, as on the command line.
        name: &'static str,
        /// The rejected value, as text.
        value: String,
        /// The valid range.
        rule: String,
    },

    /// The maximum-likelihood estimate does not exist (it lies on the boundary)
    /// or damped Newton diverged.
    #[error(
        "no MLE: {reason}; the sufficient statistic lies on the boundary of its convex support (use --allow-boundary to report the flag only, or merge sparse cells)"
    )]
    MleBoundary {
        /// The observed cause.
        reason: String,
    },

    /// The data do not fit the family (for example negative Poisson counts).
    #[error("column {col}, row {row}: value {} is invalid for the {family} family: {rule}", compact(*value))]
    DomainViolation {
        /// 1-based column.
        col: usize,
        /// 1-based row.
        row: usize,
        /// The value.
        value: f64,
        /// Family name.
        family: &'static str,
        /// The family's domain rule.
        rule: &'static str,
    },

    /// A mode that needs the model's states was run without them.
    #[error(
        "this mode needs the model's states; give them with --model-cloud FILE or use --mode empirical"
    )]
    MissingModelCloud,

    /// Too many states to enumerate.
    #[error(
        "the model has {states} states, more than --max-states {max}; use --sampling beyond-cap (Gibbs draws), --mode empirical or fewer variables"
    )]
    TooManyStates {
        /// Number of states.
        states: u128,
        /// The cap.
        max: usize,
    },
}

/// Result alias of the crate.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn invalid(name: &'static str, value: impl ToString, rule: impl ToString) -> Self {
        let value = value.to_string();
        let value = match value.parse::<f64>() {
            Ok(v) if value.len() > 16 => compact(v),
            _ => value,
        };
        Error::InvalidParameter {
            name,
            value,
            rule: rule.to_string(),
        }
    }
}

/// Formats a number for a message: plain when short, such as `0.02` or `38.5`,
/// else in scientific notation, such as `1e300` rather than 301 digits.
pub fn compact(v: f64) -> String {
    let plain = v.to_string();
    if plain.len() <= 16 {
        plain
    } else {
        format!("{v:e}")
    }
}
