//! Subcommands of the `mnn` binary.

pub mod bench;
#[cfg(feature = "models")]
pub mod compare;
#[cfg(feature = "models")]
pub mod diff_erank;
#[cfg(feature = "models")]
pub mod info;
pub mod matrix;
#[cfg(not(feature = "models"))]
pub mod no_models;
#[cfg(feature = "models")]
pub mod score;
#[cfg(feature = "models")]
pub mod score_out;
#[cfg(feature = "models")]
pub mod tokenize;
