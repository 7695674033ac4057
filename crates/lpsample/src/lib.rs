//! ℓp sensitivities, leverage scores, Lewis weights, row sampling and ℓp
//! regression for tall matrices.
//!
//! Given A (n × d, n ≫ d) and p ≥ 1, pick a small weighted subset of rows S with
//! ‖SAx‖_p ≈ ‖Ax‖_p for every x, then solve ℓp regression on the sample. The crate
//! computes every score involved ([`leverage`], [`lewis`], [`sensitivity`]), draws
//! weighted samples ([`sampling`], [`scheme`]) and solves weighted ℓp regression
//! ([`regression`]), and measures the embedding distortion ([`distortion`], [`sweep`]).
//! Sources: Woodruff and Yasuda, "Sharper Bounds for ℓp
//! Sensitivity Sampling" (ICML 2023, arXiv 2306.00732); Cohen and Peng, "ℓp Row
//! Sampling by Lewis Weights" (STOC 2015, arXiv 1412.0588).
//!
//! ```
//! use lpsample::leverage::{leverage_scores, LevMethod};
//! use lpsample::sampling::{sample_rows, SampleMode};
//!
//! let a = faer::Mat::from_fn(100, 2, |i, j| ((i * (j + 2)) as f64).sin());
//! let tau = leverage_scores(a.as_ref(), LevMethod::ColPivQr, None).unwrap();
//! let sample = sample_rows(&tau.values, 20.0, SampleMode::Bernoulli, 0).unwrap();
//! assert!(!sample.rows.is_empty());
//! ```
//!
//! # NOTES
//!
//! - Scores run on an orthonormal basis from column-pivoted QR (or SVD) with a
//!   relative rank tolerance max(n, d)·ε_mach, so rank-deficient input gives
//!   Σ τ = Σ w = rank.
//! - Lewis weights: undamped for p ≤ 2, damped with η = 4/(p+2) for p > 2. The
//!   iteration returns `LewisDiverged` on non-finite values, 20 growing residuals
//!   or 50 steps without a new minimum above 1e-6, `LewisStalled` for such a
//!   stall below 1e-6 (the rounding floor, which grows with p), and
//!   `LewisNotConverged` at the limit with a limit estimated to suffice. The
//!   damped rate (p−2)/(p+2) needs about 7p iterations to reach 1e-12, so the
//!   default limit of 500 is too small from p ≈ 62 on.
//! - Exact sensitivities solve one Clarabel program per row, sequentially. For
//!   p > 1 Clarabel's point is polished by Newton's method, which also replaces a
//!   failed solve: Clarabel 0.11.1 stopped with `InsufficientProgress` on some
//!   25 × 3 Gaussian matrices at p = 3 and p = 6, and on 2000 × 10 at p = 1 until
//!   the basis was rescaled to rows of average norm 1.
//! - ℓp regression rescales A, b and the weights before the conic solve. If
//!   Clarabel still fails, an IRLS point is returned only when its relative
//!   duality gap is at most 1e-7 (status `IrlsFallback`).
//! - Sketched leverage scores (`LevMethod::Sketch`) use a CountSketch and a
//!   Gaussian projection; they are approximate and seeded.
//! - With-replacement sampling uses an inverse-CDF table (binary search), not an
//!   alias table, and allows at most 10⁸ draws.
//! - Not implemented yet: the `parallel` feature, the `ascent` and `sens-dirs`
//!   probes, the `total` and `plot` commands, CSV/TSV and `--uci` inputs, and
//!   `--keep-going` for failed rows.

pub mod basis;
pub mod conic;
pub mod distortion;
mod error;
pub mod input;
pub mod leverage;
pub mod lewis;
pub mod plot;
pub mod regression;
pub mod sampling;
pub mod scheme;
pub mod sensitivity;
pub mod sweep;

pub use error::{Error, Result};
