//! The error type of the library.
//!
//! Every message names the offending value and the fix, so that the binary can
//! print it as one sentence.

use std::path::PathBuf;

/// Errors returned by the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("cannot access {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating-system error.
        source: std::io::Error,
    },

    /// A file is not valid JSON or JSON lines.
    #[error("{}, line {line}: invalid JSON ({message}); fix the file or pass a JSON array, an id-keyed object or JSON lines", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// 1-based line of the syntax error.
        line: usize,
        /// The parser's message.
        message: String,
    },

    /// A record lacks a field or has a field of the wrong type.
    #[error("{}, record {record}: {problem}; fix the record or pass --skip-malformed to skip it", path.display())]
    Record {
        /// The file.
        path: PathBuf,
        /// The record: its `data_id`, or its 1-based position when the id is missing.
        record: String,
        /// The problem, for example "missing field `type`".
        problem: String,
    },

    /// Two records share one `data_id`.
    #[error("{}: data_id {data_id} occurs twice; keep one record per problem", path.display())]
    DuplicateId {
        /// The file.
        path: PathBuf,
        /// The repeated id.
        data_id: String,
    },

    /// A record has no gold answer, neither in itself nor in the gold file.
    #[error("data_id {data_id} has no gold answer; pass --gold with the problem file of its split")]
    GoldMissing {
        /// The record.
        data_id: String,
    },

    /// A gold bound answer does not parse as an expression.
    #[error(
        "the gold answer of data_id {data_id}, '{answer}', does not parse ({reason}); fix the gold file"
    )]
    GoldUnparsed {
        /// The record.
        data_id: String,
        /// The gold answer.
        answer: String,
        /// The parser's message.
        reason: String,
    },

    /// Scoring was requested on a split whose answers are hidden.
    #[error(
        "data_id {data_id} belongs to split '{split}', whose answers are hidden; score dev or train responses, or submit test responses to the leaderboard"
    )]
    HiddenAnswers {
        /// The first record without an answer.
        data_id: String,
        /// Its split.
        split: String,
    },
}

/// The result type of the library.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
