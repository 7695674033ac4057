//! Error type of the rebasin library.

use std::path::PathBuf;

/// Errors of the rebasin library. Every message names the offending value and
/// states the fix.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("cannot access {path}: {source}")]
    Io {
        /// File that failed.
        path: PathBuf,
        /// Underlying I/O error.
        source: std::io::Error,
    },

    /// A file is not a valid safetensors file.
    #[error("{path} is not a valid safetensors file ({reason}); pass a .safetensors model")]
    NotSafetensors {
        /// File that failed to parse.
        path: PathBuf,
        /// Parser message.
        reason: String,
    },

    /// A tensor has a dtype that rebasin cannot read or permute.
    #[error("tensor {name} has unsupported dtype {dtype}; convert it to F16, BF16, F32 or F64")]
    UnsupportedDtype {
        /// Tensor name.
        name: String,
        /// Dtype as written in the file.
        dtype: String,
    },

    /// A tensor is in one model but not in the other.
    #[error(
        "tensor {name} is in {present} but missing from {missing}; both models must have the same tensors"
    )]
    MissingTensor {
        /// Tensor name.
        name: String,
        /// Model that has it.
        present: String,
        /// Model that lacks it.
        missing: String,
    },

    /// The same tensor has different shapes or dtypes in two models.
    #[error(
        "{name} is {left} in {left_model} but {right} in {right_model}; the models must share one architecture"
    )]
    ShapeMismatch {
        /// Tensor name.
        name: String,
        /// Shape (or dtype) in the first model.
        left: String,
        /// Shape (or dtype) in the second model.
        right: String,
        /// Label of the first model.
        left_model: String,
        /// Label of the second model.
        right_model: String,
    },

    /// The training loss became NaN or infinite.
    #[error(
        "training diverged at epoch {epoch}: the loss is {loss}; lower the learning rate (--lr)"
    )]
    Diverged {
        /// Epoch, counted from 1.
        epoch: usize,
        /// The non-finite loss value.
        loss: f64,
    },

    /// A matched tensor contains NaN or infinity.
    #[error("tensor {name} contains NaN or infinity; weight matching needs finite weights")]
    NonFinite {
        /// Tensor name.
        name: String,
    },

    /// The permutation specification does not fit the models.
    #[error("invalid permutation spec: {0}")]
    Spec(String),

    /// A permutation file or vector is invalid.
    #[error("invalid permutation: {0}")]
    Perm(String),

    /// A replayed or requested group order is invalid.
    #[error("invalid order: {0}")]
    Order(String),

    /// A hyper-parameter is out of range.
    #[error("invalid {name} = {value}: {rule}")]
    Param {
        /// Parameter name.
        name: &'static str,
        /// Value given.
        value: String,
        /// Rule it breaks.
        rule: &'static str,
    },

    /// The linear assignment solver failed.
    #[error("linear assignment failed on group {group}: {reason}")]
    Assignment {
        /// Group name.
        group: String,
        /// Solver message.
        reason: String,
    },

    /// A model is not a plain MLP with `layers.{i}.weight|bias` tensors.
    #[error(
        "{0}; barriers, activation matching and training need a plain MLP with layers.{{i}}.weight and layers.{{i}}.bias tensors"
    )]
    NotMlp(String),

    /// A model does not fit the built-in VGG-style or ResNet20 forward pass.
    #[error("{0}; the built-in convolutional forwards read the vgg and resnet20 preset layouts")]
    NotCnn(String),

    /// A JSON file could not be parsed.
    #[error("cannot parse {path}: {reason}")]
    Json {
        /// File that failed.
        path: PathBuf,
        /// Parser message.
        reason: String,
    },

    /// A data set is malformed.
    #[error("invalid data: {0}")]
    Data(String),

    /// An error from the autodiff tape.
    #[error("autodiff failed: {0}")]
    Tape(#[from] tape::Error),
}

/// Result with the rebasin [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
