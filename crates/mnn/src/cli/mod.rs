//! Subcommands of the `mnn` binary.

pub mod bench;
pub mod matrix;
