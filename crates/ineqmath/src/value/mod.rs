//! Evaluation of expressions: an exact tier over rationals with
//! irrationality flags, and a numeric tier in astro-float.
//!
//! astro-float 0.9.6 pitfalls (measured): `BigFloat::pow` with
//! `RoundingMode::ToEven` can fail to return when the exact result is
//! representable (4^{1/2} hung), so perfect powers are resolved exactly,
//! square roots use `sqrt`, and `pow`, `ln`, `exp` and trigonometric functions
//! run with `RoundingMode::None`. A plain 256-bit tolerance would accept
//! `1 + 10^{-80} = 1`; the working precision therefore grows with the bit size
//! of the exact sub-terms.

mod exact;
mod numeric;

pub use exact::{Class, ExactLimits, classify};
pub use numeric::{evaluate, evaluate_tracked, numbers_equal};

use std::collections::BTreeMap;

use crate::latex::Rational;

/// Values substituted for free variables.
pub type Env = BTreeMap<String, Rational>;

/// Why an expression has no value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// Division by an exact or numeric zero.
    #[error("division by zero")]
    DivisionByZero,
    /// An even root or a non-integer power of a negative number.
    #[error("even root of a negative number")]
    NegativeRoot,
    /// The logarithm of a non-positive number.
    #[error("logarithm of a non-positive number")]
    LogDomain,
    /// `n!` or `\binom` of a non-integer, or a negative factorial.
    #[error("factorial or binomial of a non-integer")]
    NotInteger,
    /// A variable without a value.
    #[error("free variable {0}")]
    FreeVariable(String),
    /// ∞ inside a larger expression.
    #[error("infinity inside an expression")]
    Infinity,
    /// A value beyond the size limits.
    #[error("too large: {0}")]
    TooLarge(&'static str),
    /// The numeric tier produced NaN or overflowed.
    #[error("no finite value")]
    NotFinite,
}
