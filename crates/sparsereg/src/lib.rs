//! Sparse linear regression on random supports.
//!
//! Setting (Chandrasekaran, Meka and Stavropoulos, "Sparse Linear Regression
//! is Easy on Random Supports", arXiv 2511.06211): y = Xw* + ξ with a
//! k-sparse w* whose support is drawn uniformly at random, and the goal is a
//! small prediction error PE = ‖X(ŵ − w*)‖²/N. This crate provides
//!
//! - the standard solvers behind one trait, [`SparseSolver`]: the Lasso by
//!   coordinate descent with a duality-gap certificate, its path and K-fold
//!   cross-validation ([`lasso`]), OMP, forward stepwise, IHT and CoSaMP
//!   ([`greedy`]), with OLS refit and hard thresholding ([`refit`]);
//! - seeded design generators and random-support instances ([`design`], [`instance`]);
//! - preconditioners and the two-phase pipeline ([`precond`], [`pipeline`]);
//! - the restricted-conditioning diagnostic ([`diagnostic`]) and metrics ([`metrics`]).
//!
//! ```
//! use faer::Mat;
//! use sparsereg::{Omp, SparseSolver};
//! // y = 2·x_3 on an 8 × 6 design with orthogonal columns.
//! let x = Mat::from_fn(8, 6, |i, j| if i == j { 1.0 } else { 0.0 });
//! let y: Vec<f64> = (0..8).map(|i| if i == 3 { 2.0 } else { 0.0 }).collect();
//! let fit = Omp { k: 1, fit_intercept: false }.fit(x.as_ref(), &y).unwrap();
//! assert_eq!(fit.support(), vec![3]);
//! assert!((fit.coef[3] - 2.0).abs() < 1e-12);
//! ```
//!
//! # NOTES
//!
//! - The paper's own Phase 1 (`precond::paper::PaperPhase1`) is an open item:
//!   its text was not available, so it returns [`Error::NotImplemented`].
//! - Gap-safe screening, Anderson extrapolation and working sets ranked by
//!   KKT violation are not implemented. Coordinate descent cycles over the
//!   nonzero coordinates between full sweeps, so on near-duplicate columns
//!   (`dup:1e-4`) at small α it can stop at 100 000 epochs with a relative gap
//!   near 1e-7 and `converged = false`.
//! - `lasso-cv` (5 folds × 100 α) is slow on correlated designs: in the
//!   test profile on a shared 2-core machine, one fit with d = 200 took 2.4 to
//!   3.6 s on `ar1:0.9`, 4 to 38 s on `equi:0.9` and up to 48 s on
//!   `dup:1e-4:1` (the benchmark harness stops each fit at relative gap 2e-6).
//!   So the CI sweep of the specification (d = 200, under 2 minutes) is not
//!   met yet, and timings against scikit-learn, skglm and celer were not run.
//! - Least squares (OMP, FS, CoSaMP, refit) uses Gram–Schmidt applied twice
//!   in place of column-pivoted QR; dependent columns are detected at
//!   ‖P⊥x_j‖ ≤ 1e-12‖x_j‖.

pub mod bench;
pub mod design;
pub mod diagnostic;
pub mod error;
pub mod greedy;
pub mod instance;
pub mod io;
pub mod lasso;
pub mod linalg;
pub mod methods;
pub mod metrics;
pub mod params;
pub mod pipeline;
pub mod precond;
pub mod qr;
pub mod refit;
pub mod report;
pub mod solver;
pub mod validate;

pub use error::{Error, Result};
pub use greedy::cosamp::{Cosamp, CosampOptions, cosamp};
pub use greedy::iht::{Iht, IhtOptions, iht};
pub use greedy::stepwise::{ForwardStepwise, Omp, forward_stepwise, omp};
pub use lasso::cv::{CvFit, CvOptions, LassoCv, lasso_cv};
pub use lasso::path::{AlphaGrid, lasso_path};
pub use lasso::{Lasso, LassoOptions, lasso};
pub use params::{Check, Checked};
pub use pipeline::{AlphaRule, PipelineConfig, PipelineFit, run_pipeline};
pub use precond::Preconditioner;
pub use solver::{Fit, SparseSolver};
