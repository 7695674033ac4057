//! The error type of every sparsereg function.

/// Everything that can go wrong in sparsereg. Each message names the value at
/// fault and what to change.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A hyper-parameter outside its valid range.
    #[error("invalid {name} = {value}: {reason}")]
    InvalidParameter {
        name: &'static str,
        value: String,
        reason: String,
    },

    /// Inputs whose shapes do not fit together.
    #[error("{0}")]
    ShapeMismatch(String),

    /// A NaN or infinite value in an input or in an iterate.
    #[error(
        "{what} has a non-finite value {value} at row {row}, column {col}; remove or impute it"
    )]
    NonFinite {
        what: String,
        row: usize,
        col: usize,
        value: f64,
    },

    /// Finite inputs so large that sums of squares overflow f64.
    #[error(
        "{what} is too large for f64 arithmetic: its sum of squares {sum_sq:.2e} exceeds {limit:.2e}, \
         so norms and Gram entries overflow; rescale it (for example divide it by its largest \
         absolute value) and fit again"
    )]
    Overflow {
        what: String,
        sum_sq: f64,
        limit: f64,
    },

    /// A design column whose values are all equal, so that no coefficient of it is identifiable.
    #[error(
        "column {col} of X is constant (every value is {value}); remove the column \
         (with an intercept it carries no information)"
    )]
    ConstantColumn { col: usize, value: f64 },

    /// A `.npy` file of an element type other than f64 or f32, or another read failure.
    #[error("{0}")]
    Data(#[from] datasets::Error),

    /// A feature whose algorithm is not available yet.
    #[error("not implemented: {0}")]
    NotImplemented(String),

    /// A matrix that must be invertible is (numerically) singular.
    #[error("{0}")]
    Singular(String),

    /// A file that could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },

    /// A JSON file that could not be parsed or written.
    #[error("{path}: {source}")]
    Json {
        path: String,
        source: serde_json::Error,
    },
}

impl Error {
    /// Builds an [`Error::InvalidParameter`].
    pub fn invalid(name: &'static str, value: impl ToString, reason: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name,
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}

/// `Result` with the sparsereg [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
