//! Subcommands of the `mnn` binary.

pub mod bench;
#[cfg(feature = "models")]
pub mod compare;
pub mod matrix;
#[cfg(not(feature = "models"))]
pub mod no_models;
#[cfg(feature = "models")]
pub mod score;
#[cfg(feature = "models")]
pub mod score_out;
