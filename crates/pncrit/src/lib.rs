//! pncrit: the p-n criterion for model dimension and sample size.
//!
//! Fit an exponential family g(x;θ) = h(x)·exp{θᵀt(x) − ψ(θ)} by maximum
//! likelihood, expand the risk Rₙ = E KL(g_θ* ∥ g_θ̂) of the MLE around the
//! information projection θ* as a₁/n + a₂/n² + O(n⁻³), turn a Bayes-error
//! requirement β into a tolerance r, and report accept/reject, n_min and p_max
//! over nested models. Setting: Y. Sheena, "MLE convergence speed to
//! information projection of exponential family: Criterion for model dimension
//! and sample size", arXiv 2105.08947. The body of that paper could not be
//! read: the a₂ formula ([`expansion::a2_from_parts`]), the calibration
//! ([`calibrate::tolerance_from_bayes_error`]) and its default
//! ([`calibrate::DEFAULT_BETA`]) are derived in the normlab pncrit
//! specification and must be compared with the paper.
//!
//! a₁ = ½ tr(A K₂) and a₂ = −T/3 + 3F/4 + 3P/8 − 3Q/8, with G the Fisher
//! information, A = G⁻¹, S = A K₂ A, Ψ₃, Ψ₄ the model cumulants and K₂, K₃ the
//! truth's (see [`expansion`]).
//!
//! ```
//! use faer::Mat;
//! use pncrit::criterion::{decide, Order};
//! use pncrit::family::{analyze, Mode, Mvn};
//! // 200 draws of a 2-D statistic; model mode gives a₁ = p/2 = 2.5.
//! let x = Mat::from_fn(200, 2, |i, j| ((i * (j + 3)) as f64 * 0.37).sin() + j as f64);
//! let a = analyze(&Mvn::default(), x.as_ref(), Mode::Model).unwrap();
//! assert_eq!(a.p, 5);
//! let v = decide(&a.expansion, a.n, 0.02, Order::Second);
//! assert!(v.accept); // R̂₂(200) = 2.5/200 + 16.92/200² ≈ 0.0129 ≤ 0.02
//! ```
//!
//! # NOTES
//!
//! - Families: `mvn` (Gaussian route, no p⁴ tensor), `poisson`, `bernoulli`,
//!   `exponential`, `categorical` (exact cloud), `loglinear` on 0/1 data (by
//!   exact enumeration with damped Newton up to 2²⁰ states, or from Gibbs
//!   draws with a batch-means standard error of â₂, see
//!   [`family::gibbs`]) and `custom` (a user-supplied statistic with the
//!   model's states or fitted state probabilities). The bootstrap covers the
//!   spread of â₁ only, and the Monte-Carlo validator ([`simulate`]) has three
//!   built-in cases (Poisson | negative binomial, normal | Gamma(3),
//!   independent Bernoulli | correlated pair).
//! - TODO: not implemented yet: finite-level one-hot log-linear variables, a
//!   base measure h(s) for `custom` states, the general first-order
//!   (Weibull) case, bootstrap spreads of â₂ and the bootstrap risk curve,
//!   the Ising and Weibull simulation cases, and the `curve` and `general`
//!   commands.
//! - `scan` nests by column prefix only, and its SVG draws R̂₂ against n for
//!   each nested model of the first mode (not R̂₂ against p).
//! - `dominated` uses the share of one observation in 2â₁; it is computed in
//!   misspecified and empirical modes only (model mode has no data cloud).
//! - The MVN family whitens x through the correlation matrix. A column whose
//!   squared multiple correlation with earlier columns exceeds 1 − 1e-10 is
//!   reported as collinear.
//! - `check` uses `--order` for the expansion order (1 or 2) and
//!   `--interactions` for the log-linear interaction size.
//! - Golden files and data are read through `NORMLAB_GOLDEN` and
//!   `NORMLAB_PNCRIT_DATA`; tests skip with a notice when they are unset.

pub mod bench;
pub mod bootstrap;
pub mod calibrate;
pub mod criterion;
pub mod cumulant;
pub mod error;
pub mod exact;
pub mod expansion;
pub mod family;
pub mod fit;
pub mod gaussian;
pub mod io;
pub mod linalg;
pub mod plot;
pub mod report;
pub mod simulate;
pub mod tensor;

pub use error::{Error, Result};
