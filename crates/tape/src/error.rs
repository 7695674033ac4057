//! Error type shared by every fallible operation of the crate.

/// Result alias with the crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Failures of tape operations and parameter-store lookups.
///
/// Operations whose signature returns a plain `Var` panic on shape mismatches
/// instead, because those are programming errors in the model code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A Cholesky factorization met a pivot that is not positive (or is NaN).
    #[error(
        "Cholesky factorization failed: pivot {pivot_index} is {min_pivot} (matrix not positive definite); \
         input node {node}. Check the input for NaN or a missing positive diagonal shift"
    )]
    Cholesky {
        /// Tape index of the input matrix (see `Var::index`).
        node: usize,
        /// Zero-based row of the failed pivot.
        pivot_index: usize,
        /// Value of the failed pivot before the square root.
        min_pivot: f64,
    },

    /// A partial-pivot LU solve met an exactly zero or non-finite pivot.
    #[error(
        "LU solve failed: the matrix of node {node} is singular or contains NaN/inf; \
         check that the system matrix is invertible"
    )]
    Singular {
        /// Tape index of the system matrix.
        node: usize,
    },

    /// Operand shapes do not fit the operation.
    #[error("shape mismatch in {op}: left operand is {lhs:?}, right operand is {rhs:?}")]
    Shape {
        /// Name of the operation.
        op: &'static str,
        /// `(rows, cols)` of the first operand.
        lhs: (usize, usize),
        /// `(rows, cols)` of the second operand (the first again for unary operations).
        rhs: (usize, usize),
    },

    /// An operation produced NaN or an infinity.
    #[error("{op} produced a non-finite value; check the inputs and the learning rate")]
    NonFinite {
        /// Name of the operation.
        op: &'static str,
    },

    /// A parameter name was added to a `ParamStore` twice.
    #[error("parameter name {name:?} is already in the store; use a unique name")]
    DuplicateParam {
        /// The repeated name.
        name: String,
    },

    /// A parameter name was not found in a `ParamStore`.
    #[error("parameter {name:?} not found in the store")]
    UnknownParam {
        /// The name that was looked up.
        name: String,
    },
}
