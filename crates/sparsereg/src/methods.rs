//! Method strings of the command line and the benchmark (`lasso`,
//! `lasso-cv`, `omp`, `fs`, `iht`, `cosamp`, with modifiers `+refit`,
//! `+threshold` and, for `lasso-cv` only, `+relaxed`) and the dispatch to the
//! solvers and the pipeline.
//!
//! `lasso-cv+relaxed` scores each α by the held-out error of the OLS refit on
//! each fold's Lasso support ([`crate::CvScore::Refit`]), takes the largest α
//! within one standard error of the best score (glmnet's `lambda.1se`) and
//! reports the refit there; it is the `lasso-cv` variant meant for support
//! recovery.
//!
//! Lasso methods run through [`crate::pipeline`], which scales the columns
//! (Phase 0) and applies the preconditioner. Greedy methods run on the raw
//! design and reject every preconditioner other than `identity`.
//!
//! ```
//! let m = sparsereg::methods::MethodSpec::parse("lasso-cv+refit").unwrap();
//! assert!(m.refit && !m.threshold);
//! assert!(sparsereg::methods::MethodSpec::parse("lars").is_err());
//! ```

use faer::MatRef;

use crate::error::{Error, Result};
use crate::params::Check;
use crate::pipeline::{AlphaRule, PipelineConfig, run_pipeline};
use crate::precond::Preconditioner;
use crate::refit::{refit, threshold};
use crate::solver::{Fit, SparseSolver};
use crate::validate::check_magnitude;
use crate::{Cosamp, CosampOptions, CvScore, ForwardStepwise, Iht, IhtOptions, Omp};

/// Base solver of a method string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    /// Lasso at an α from the α rule.
    Lasso,
    /// Lasso with K-fold cross-validation.
    LassoCv,
    /// Orthogonal matching pursuit.
    Omp,
    /// Forward stepwise.
    Fs,
    /// Iterative hard thresholding.
    Iht,
    /// CoSaMP.
    Cosamp,
}

/// A parsed method string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodSpec {
    /// The solver.
    pub base: Base,
    /// `+refit`: OLS refit of the support.
    pub refit: bool,
    /// `+threshold`: keep the k largest coefficients, then refit.
    pub threshold: bool,
    /// `+relaxed` (`lasso-cv` only): cross-validate the refitted Lasso with the
    /// one-standard-error rule; implies `refit`.
    pub relaxed: bool,
}

impl MethodSpec {
    /// Parses `NAME[+refit][+threshold][+relaxed]`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an unknown name or modifier.
    pub fn parse(s: &str) -> Result<MethodSpec> {
        let mut parts = s.split('+');
        let base = match parts.next().unwrap_or("") {
            "lasso" => Base::Lasso,
            "lasso-cv" => Base::LassoCv,
            "omp" => Base::Omp,
            "fs" => Base::Fs,
            "iht" => Base::Iht,
            "cosamp" => Base::Cosamp,
            other => {
                return Err(Error::invalid(
                    "method",
                    other,
                    "use lasso, lasso-cv, omp, fs, iht or cosamp",
                ));
            }
        };
        let mut spec = MethodSpec {
            base,
            refit: false,
            threshold: false,
            relaxed: false,
        };
        for m in parts {
            match m {
                "refit" => spec.refit = true,
                "threshold" => spec.threshold = true,
                "relaxed" if base == Base::LassoCv => {
                    spec.relaxed = true;
                    spec.refit = true;
                }
                "relaxed" => {
                    return Err(Error::invalid(
                        "method",
                        s,
                        "+relaxed applies to lasso-cv only; use lasso-cv+relaxed",
                    ));
                }
                other => {
                    return Err(Error::invalid(
                        "method",
                        s,
                        format!("unknown modifier +{other}; use +refit, +threshold or +relaxed"),
                    ));
                }
            }
        }
        Ok(spec)
    }

    /// True for the Lasso methods.
    pub fn is_lasso(&self) -> bool {
        matches!(self.base, Base::Lasso | Base::LassoCv)
    }
}

/// Settings that a method run needs besides the data.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSettings {
    /// Sparsity k (greedy methods and `+threshold`).
    pub k: Option<usize>,
    /// α rule of `lasso` (`lasso-cv` always uses `cv:folds`).
    pub alpha_rule: Option<AlphaRule>,
    /// Folds of `lasso-cv`.
    pub folds: usize,
    /// Pipeline settings (tolerance, intercept).
    pub pipeline: PipelineConfig,
}

/// Result of [`run_method`].
#[derive(Debug, Clone)]
pub struct MethodRun {
    /// The fit in original coordinates.
    pub fit: Fit,
    /// α rule used (Lasso methods).
    pub alpha_rule: Option<String>,
}

/// Runs a method string on (X, y) with a preconditioner.
///
/// # Errors
/// [`Error::InvalidParameter`] when k is missing for a method that needs it or
/// when `lasso` has no α rule; [`Error::Overflow`] when X or y is so large
/// that its sums of squares overflow; solver and preconditioner errors.
pub fn run_method(
    x: MatRef<'_, f64>,
    y: &[f64],
    m: &MethodSpec,
    p: &mut dyn Preconditioner,
    s: &RunSettings,
) -> Result<MethodRun> {
    check_magnitude(x, y)?;
    let need_k = || {
        s.k.ok_or_else(|| Error::invalid("k", "none", "this method needs --k K"))
    };
    if m.is_lasso() {
        let alpha_rule = match m.base {
            Base::LassoCv => AlphaRule::Cv { folds: s.folds },
            _ => s.alpha_rule.ok_or_else(|| {
                Error::invalid(
                    "alpha",
                    "none",
                    "lasso needs --alpha fixed:α, universal:c (with --sigma) or cv:K",
                )
            })?,
        };
        let mut cfg = PipelineConfig {
            alpha_rule,
            refit: m.refit,
            threshold: if m.threshold { Some(need_k()?) } else { None },
            ..s.pipeline.clone()
        };
        if m.relaxed {
            cfg.cv.score = CvScore::Refit;
            cfg.cv.one_se = true;
        }
        let mut out = run_pipeline(x, y, p, &cfg)?;
        if m.relaxed {
            out.fit.method = out
                .fit
                .method
                .replacen("lasso-cv+refit", "lasso-cv+relaxed", 1);
        }
        return Ok(MethodRun {
            fit: out.fit,
            alpha_rule: Some(out.alpha_rule),
        });
    }

    let k = need_k()?;
    let intercept = s.pipeline.fit_intercept;
    let solver: Box<dyn SparseSolver> = match m.base {
        Base::Omp => Box::new(Omp {
            k,
            fit_intercept: intercept,
        }),
        Base::Fs => Box::new(ForwardStepwise {
            k,
            fit_intercept: intercept,
        }),
        Base::Iht => Box::new(Iht(IhtOptions {
            k,
            fit_intercept: intercept,
            ..Default::default()
        }
        .check()?)),
        _ => Box::new(Cosamp(
            CosampOptions {
                k,
                fit_intercept: intercept,
                ..Default::default()
            }
            .check()?,
        )),
    };
    let mut fit = if p.name() == "identity" {
        solver.fit(x, y)?
    } else {
        // TODO: greedy methods ignore preconditioners other than identity.
        return Err(Error::NotImplemented(format!(
            "preconditioner {} with method {}: greedy methods run on the original design only; \
             drop --precond or use a Lasso method",
            p.name(),
            solver.name()
        )));
    };
    if m.refit {
        fit = refit(x, y, &fit, intercept)?;
    }
    if m.threshold {
        fit = threshold(x, y, &fit, k, intercept)?;
    }
    Ok(MethodRun {
        fit,
        alpha_rule: None,
    })
}
