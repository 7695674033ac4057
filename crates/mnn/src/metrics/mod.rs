//! The metric steps. None of them depends on a model.

pub mod aggregate;
pub mod diff_erank;
pub mod entropy;
pub mod mnn;
pub mod nuclear;
pub mod preprocess;
pub mod row_kernels;
