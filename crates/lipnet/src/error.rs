//! The error type of the `lipnet` library.

use std::path::PathBuf;

/// Result alias used across the crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong while building, training, saving or verifying a model.
///
/// Every message names the offending value and states the fix.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A hyper-parameter or flag value is outside its valid range.
    #[error("invalid {name} = {value}: {fix}")]
    InvalidParameter {
        name: &'static str,
        value: String,
        fix: String,
    },

    /// A model id that this build does not know.
    #[error("unknown model id {id:?}: use one of {known}")]
    UnknownModel { id: String, known: String },

    /// A Cholesky factorization inside the parameterization failed. The
    /// construction never clamps or adds jitter, because either would void the
    /// certificate; this only happens when parameters overflow or turn non-finite.
    #[error(
        "Cholesky factorization failed in {layer}: pivot {pivot_index} is {min_pivot:e}, \
         because the parameters or L are non-finite or too large for f64; use a moderate \
         --lip and learning rate, or check the model file"
    )]
    Cholesky {
        layer: String,
        pivot_index: usize,
        min_pivot: f64,
    },

    /// A parameter, input or output value is NaN or infinite.
    #[error("non-finite value in {what}: {fix}")]
    NonFinite { what: String, fix: String },

    /// Input data whose shape does not match the model.
    #[error("shape mismatch in {what}: expected {expected}, found {found}")]
    Shape {
        what: String,
        expected: String,
        found: String,
    },

    /// A parameter that a model needs is absent from its parameter store.
    #[error(
        "missing parameter {name}: the model file does not match its configuration; retrain or re-save the model"
    )]
    MissingParameter { name: String },

    /// A model file that cannot be read or that lacks required content.
    #[error("invalid model file {path}: {msg}")]
    ModelFile { path: PathBuf, msg: String },

    /// An I/O failure on a named path.
    #[error("cannot access {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A failure inside the autodiff tape other than a Cholesky failure.
    #[error("{0}")]
    Tape(tape::Error),

    /// A data set could not be loaded.
    #[error(transparent)]
    Data(#[from] datasets::Error),

    /// A verification routine was asked for more work than its cap allows.
    #[error("{what} needs {needed} but the limit is {limit}: {fix}")]
    TooLarge {
        what: &'static str,
        needed: usize,
        limit: usize,
        fix: &'static str,
    },

    /// A faer decomposition (eigenvalues or SVD) did not converge.
    #[error("{what} did not converge")]
    Decomposition { what: &'static str },

    /// An operation that the model family does not support, such as the
    /// LDLᵀ effective weights of a baseline network.
    #[error("{what} is not available for model {model}: {fix}")]
    Unsupported {
        what: &'static str,
        model: String,
        fix: &'static str,
    },
}

impl From<tape::Error> for Error {
    fn from(e: tape::Error) -> Self {
        match e {
            tape::Error::Cholesky {
                node,
                pivot_index,
                min_pivot,
            } => Error::Cholesky {
                layer: format!("tape node {node}"),
                pivot_index,
                min_pivot,
            },
            other => Error::Tape(other),
        }
    }
}

impl Error {
    /// Builds an [`Error::InvalidParameter`] from a name, the bad value and the fix.
    pub fn invalid(name: &'static str, value: impl ToString, fix: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name,
            value: value.to_string(),
            fix: fix.into(),
        }
    }
}
