//! The error type shared by every loader in this crate.
//!
//! Text-format errors carry the file, the 1-based line number and, where one
//! field is at fault, its 1-based column (field number counted from the left,
//! fields separated by TAB, comma or space as the format defines).

use std::path::PathBuf;

/// Hint appended to errors about the UCI-121 collection's location.
pub(crate) const UCI_ROOT_HINT: &str =
    "pass the folder that contains iris/ (for tests: set NORMLAB_UCI121 to it)";

/// Everything that can go wrong while reading, checking or splitting data.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder that the loader needs does not exist.
    #[error(
        "file not found: {}. Check the path. For the UCI-121 collection, {UCI_ROOT_HINT}",
        path.display()
    )]
    MissingFile { path: PathBuf },

    /// A token could not be read as the value its position requires.
    #[error("{}: line {line}, column {col}: {msg}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        col: usize,
        msg: String,
    },

    /// A line or a file has the wrong number of fields, rows or lines.
    #[error(
        "{}: line {line}: expected {expected} {unit}, found {found}. Repair or re-copy the file",
        path.display()
    )]
    Shape {
        path: PathBuf,
        line: usize,
        /// The counted item, e.g. `fields`.
        unit: &'static str,
        expected: usize,
        found: usize,
    },

    /// A split file lists a row index that the data file does not have.
    #[error(
        "{}: line {line}: row index {index} is out of range for a data file of {n_rows} rows \
         (indices are 0-based). The split file does not belong to this data file",
        path.display()
    )]
    IndexOutOfRange {
        path: PathBuf,
        line: usize,
        index: usize,
        n_rows: usize,
    },

    /// A split file lists the same row twice on one line.
    #[error(
        "{}: line {line}: row index {index} appears more than once. Repair or re-copy the file",
        path.display()
    )]
    DuplicateIndex {
        path: PathBuf,
        line: usize,
        index: usize,
    },

    /// A (training, test) pair of split lines shares a row.
    #[error(
        "{}: lines {train_line} and {test_line} both contain row index {index}, \
         but a training line and its test line must be disjoint. Repair or re-copy the file",
        path.display()
    )]
    OverlappingSplit {
        path: PathBuf,
        train_line: usize,
        test_line: usize,
        index: usize,
    },

    /// A key of a metadata file is missing, repeated or has an invalid value.
    #[error("{}: key `{key}`: {msg}", path.display())]
    Meta {
        path: PathBuf,
        key: String,
        msg: String,
    },

    /// A data set of the collection lacks files, so it cannot be loaded.
    #[error(
        "data set `{name}` is incomplete: missing {}. Copy the missing files into its folder \
         or skip this set",
        missing.join(", ")
    )]
    Incomplete { name: String, missing: Vec<String> },

    /// No data set of this name exists.
    #[error("unknown data set `{name}`. Known data sets: {}", format_known(known))]
    UnknownDataset { name: String, known: Vec<String> },

    /// A folder contains no UCI-121 data set folders at all.
    #[error(
        "{} contains no UCI-121 data set folders (`<name>/<name>.txt`): {UCI_ROOT_HINT}",
        root.display()
    )]
    NotACollection { root: PathBuf },

    /// A table contains NaN or an infinity.
    #[error(
        "non-finite value {value} at row {row}, feature {col} (both 0-based). \
         Remove or impute it before training"
    )]
    NonFinite { row: usize, col: usize, value: f64 },

    /// A `.npy` file is not a supported NumPy array.
    #[error("{}: {msg}", path.display())]
    Npy { path: PathBuf, msg: String },

    /// An argument is outside its valid range.
    #[error("invalid {name}: {msg}")]
    InvalidArgument { name: &'static str, msg: String },

    /// The operating system reported an error while reading or writing a file.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an I/O error, turning "not found" into [`Error::MissingFile`].
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let path = path.into();
        if source.kind() == std::io::ErrorKind::NotFound {
            Error::MissingFile { path }
        } else {
            Error::Io { path, source }
        }
    }

    /// Builds an [`Error::Parse`].
    pub(crate) fn parse(
        path: impl Into<PathBuf>,
        line: usize,
        col: usize,
        msg: impl Into<String>,
    ) -> Self {
        Error::Parse {
            path: path.into(),
            line,
            col,
            msg: msg.into(),
        }
    }
}

/// Lists up to 12 names, then how many there are in all.
fn format_known(known: &[String]) -> String {
    const SHOWN: usize = 12;
    if known.is_empty() {
        return "none".to_string();
    }
    let mut text = known
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if known.len() > SHOWN {
        text.push_str(&format!(", ... ({} in all)", known.len()));
    }
    text
}
