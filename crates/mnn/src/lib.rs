//! Matrix Nuclear-Norm and Matrix Entropy of language-model hidden states.
//!
//! - **Matrix Nuclear-Norm (MNN)**, Li, Xia, Chang, Wu, arXiv 2410.10672: centre
//!   the columns of the N × d hidden-state matrix, scale rows to unit length
//!   (giving Z), sum the D = min(N, d) largest column norms of Z and divide by
//!   the token count. O(N·d).
//! - **Matrix Entropy (ME)**, Wei et al., arXiv 2401.17139: the von Neumann
//!   entropy H of ZᵀZ/N divided by ln d, its effective rank exp(H), and
//!   Diff-eRank between an untrained and a trained model.
//!
//! MNN depends on the basis of the hidden axes (it is not rotation invariant)
//! and on N relative to d through its upper bound √(min(N, d)/N), so short
//! texts score high. Both metrics are reported, not endorsed as quality scores.
//!
//! ```
//! use mnn::{MatrixView, MetricParams, score_matrix};
//!
//! let rows = [1.0, 0.0, -1.0, 0.0, 0.0, 1.0, 0.0, -1.0];
//! let view = MatrixView::from_rows_f64(&rows, 4, 2).unwrap();
//! let scores = score_matrix(view, &MetricParams::default().check().unwrap()).unwrap();
//! assert!((scores.mnn - 0.5f64.sqrt()).abs() < 1e-12);
//! assert!((scores.me - 1.0).abs() < 1e-12);
//! ```
//!
//! The model runner (modules `models` and `runner`) sits behind the cargo feature
//! `models` (candle, tokenizers, safetensors), off by default, so the default
//! build stays faer-only. It runs Llama-family GGUF files, BERT, GPT-2 and
//! GPT-NeoX on the CPU and hands each layer's states to [`score_matrix`].
//!
//! TODO: Qwen2 models are not supported yet.

pub mod bench;
mod error;
pub mod io;
mod limits;
pub mod matrix;
pub mod metrics;
#[cfg(feature = "models")]
pub mod models;
pub mod npy;
mod params;
#[cfg(feature = "models")]
pub mod runner;
pub mod sampling;
mod score;

pub use error::Error;
pub use limits::{MAX_ELEMENTS, check_elements};
pub use matrix::{Elements, Layout, MatrixView};
pub use metrics::aggregate::{LayerProfile, LayerSummary, NanMean};
pub use metrics::diff_erank::{DiffErank, diff_erank};
pub use params::{
    EntropyMethod, EntropyNorm, MetricOpts, MetricParams, MetricSet, MnnNorm, ZeroRows,
};
pub use score::{MetricTiming, Scores, Status, score_matrix};
