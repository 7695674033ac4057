//! The error type of the UCI harness.
//!
//! ```
//! use lipnet::uci::UciError;
//!
//! let err = UciError::invalid("jobs", 0, "use at least one worker thread");
//! assert_eq!(err.to_string(), "invalid jobs = 0: use at least one worker thread");
//! ```

use std::path::PathBuf;

/// Result alias of the UCI harness.
pub type UciResult<T> = std::result::Result<T, UciError>;

/// Everything that stops a sweep or a summary as a whole. Failures inside one
/// unit never appear here: they are recorded in that unit's results line.
#[derive(Debug, thiserror::Error)]
pub enum UciError {
    /// A flag value outside its valid range.
    #[error("invalid {name} = {value}: {fix}")]
    Invalid {
        name: &'static str,
        value: String,
        fix: String,
    },

    /// A model id that is neither in this build nor in the specification.
    #[error("unknown model id {id:?}: use one of {known}")]
    UnknownMethod { id: String, known: String },

    /// A reference-parity id requested without `--allow-reference`.
    #[error(
        "model id {id:?} is a reference-parity variant and not a valid certificate: \
         pass --allow-reference to benchmark it anyway"
    )]
    ReferenceRejected { id: String },

    /// A requested data set that the collection does not contain.
    #[error(
        "data set {name:?} not found under {}: check the name, or set --root to the folder \
         that contains iris/",
        root.display()
    )]
    UnknownSet { name: String, root: PathBuf },

    /// A results line written by an incompatible version of the harness.
    #[error(
        "{}: line {line} has schema {found}, but this build reads schema {expected}: \
         summarize it with the lipnet version that wrote it",
        path.display()
    )]
    Schema {
        path: PathBuf,
        line: usize,
        found: u32,
        expected: u32,
    },

    /// A results file that a summary needs does not exist.
    #[error("results file {} not found: check the path given to --results", path.display())]
    MissingResults { path: PathBuf },

    /// An output file or folder that cannot be written.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A data set or results file that cannot be read.
    #[error(transparent)]
    Data(#[from] datasets::Error),

    /// A failure in the lipnet library outside a unit.
    #[error(transparent)]
    Lipnet(#[from] crate::Error),
}

impl UciError {
    /// Builds an [`UciError::Invalid`] from a name, the bad value and the fix.
    pub fn invalid(name: &'static str, value: impl ToString, fix: impl Into<String>) -> Self {
        UciError::Invalid {
            name,
            value: value.to_string(),
            fix: fix.into(),
        }
    }

    /// Builds an [`UciError::Io`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        UciError::Io {
            path: path.into(),
            source,
        }
    }
}
