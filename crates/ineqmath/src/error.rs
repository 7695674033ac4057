//! The error type of the library.
//!
//! Every message names the offending value and the fix, so that the binary can
//! print it as one sentence.

use std::path::PathBuf;

/// Errors returned by the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("cannot access {}: {cause}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating-system error (kept out of the error chain, which
        /// would print it a second time).
        cause: std::io::Error,
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

    /// A line of an `answer_eval.jsonl` file is not one verdict object.
    #[error("{}, line {line}: not an answer_eval.jsonl verdict ({message}); pass the answer_eval.jsonl that `ineqmath score --out-dir` writes, not a response file", path.display())]
    NotAnswerEval {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// The parser's message.
        message: String,
    },

    /// A record lacks a field or has a field of the wrong type.
    #[error("{}, record {record}: {problem}; fix the record or pass --skip-malformed to skip it", path.display())]
    Record {
        /// The file.
        path: PathBuf,
        /// The record: `data_id N`, or `#N (1-based position)` when the id is missing.
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
    #[error(
        "data_id {data_id} has no gold answer; pass --gold with the problem file of its split (train or dev: the test split hides its answers)"
    )]
    GoldMissing {
        /// The record.
        data_id: String,
    },

    /// A gold file whose answers are all hidden (the test split).
    #[error("the gold file {} has no answers: the test split hides them; score dev or train responses with their problem file, or submit test responses to the leaderboard", path.display())]
    HiddenGold {
        /// The gold file.
        path: PathBuf,
    },

    /// A response file without records.
    #[error("{} contains no records, so there is no accuracy to report; pass a response file with at least one record", path.display())]
    NoRecords {
        /// The file.
        path: PathBuf,
    },

    /// A record's `data_id` is not in the gold file.
    #[error("data_id {data_id} is not in the gold file {}; pass the problem file of the split the results come from", path.display())]
    NotInGold {
        /// The gold file.
        path: PathBuf,
        /// The record.
        data_id: String,
    },

    /// A record and the gold problem of its `data_id` disagree on the split or type.
    #[error("data_id {data_id} is {ours} in the results but {theirs} in the gold file {}; pass the problem file of the split the results come from", path.display())]
    GoldMismatch {
        /// The gold file.
        path: PathBuf,
        /// The record.
        data_id: String,
        /// Split and type of the record, such as "dev bound".
        ours: String,
        /// Split and type of the gold problem.
        theirs: String,
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

    /// A prompt template is unknown or lacks a placeholder.
    #[error("prompt template {name}: {problem}")]
    Template {
        /// The template name.
        name: String,
        /// What is wrong and the fix.
        problem: String,
    },

    /// A setting or input that the command cannot use; the message names the
    /// value and the fix.
    #[error("{0}")]
    Invalid(String),

    /// A call to the chat API failed (see [`crate::llm::LlmError`]).
    #[cfg(feature = "llm")]
    #[error(transparent)]
    Llm(#[from] crate::llm::LlmError),
}

/// The result type of the library.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            cause: source,
        }
    }
}
