//! Neural networks that are L-Lipschitz by construction.
//!
//! `lipnet` trains classifiers whose ℓ₂ Lipschitz constant is at most a chosen
//! L for every parameter value, by the LDLᵀ/Cholesky parameterization of
//! Juston et al. (arXiv 2512.05915) with the corrections derived in the
//! normlab lipnet specification. It reports certified robust accuracy and
//! re-checks every certificate with verifiers that read only the effective
//! weights ([`verify`]).
//!
//! The main pieces:
//!
//! - [`model`]: model ids, validated architectures, the [`model::LipModel`] trait.
//! - [`ldlt`]: the sequential and residual LDLᵀ networks.
//! - [`baselines`]: SLL, AOL, Sandwich, CPL, spectral normalization and a plain MLP.
//! - [`network`]: the f64 description (LDLᵀ form or layer list) the verifiers read.
//! - [`train`]: mini-batch training with the losses of [`train::Loss`].
//! - [`metrics`]: clean and certified robust accuracy.
//! - [`verify`]: LMI, exhaustive and greedy activation patterns, sampled
//!   Jacobians, PGD search for violating input pairs.
//! - [`io`]: saving and loading models (safetensors plus a JSON config).

pub mod activation;
pub mod baselines;
pub mod contraction;
pub mod data;
pub mod effective;
pub mod error;
pub mod init;
pub mod io;
pub mod ldlt;
pub mod metrics;
pub mod model;
pub mod network;
pub mod report;
pub mod stress;
pub mod train;
pub mod uci;
pub mod verify;

pub use error::{Error, Result};
