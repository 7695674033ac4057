//! Reading texts and writing run records.

pub mod atomic;
pub mod texts;
