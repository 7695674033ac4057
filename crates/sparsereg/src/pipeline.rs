//! The two-phase pipeline (normlab sparsereg specification, §2.3).
//!
//! Phase 0: centre y and the columns of X (with an intercept) and scale the
//! columns to ‖X_j‖² = N; zero columns stay zero. Phase 1: fit the
//! preconditioner on X0 and form D, y'; renormalise the columns of D.
//! Phase 2: Lasso on D with α from an [`AlphaRule`], optional OLS refit in the
//! preconditioner's [`RefitSpace`]. Output: ŵ = to_original(v) with the column
//! scales undone and b = ȳ − x̄ᵀŵ; optional threshold(k) in original
//! coordinates followed by OLS on the original columns.
//!
//! ```
//! use faer::Mat;
//! use sparsereg::pipeline::{AlphaRule, PipelineConfig, run_pipeline};
//! use sparsereg::precond::identity::Identity;
//! let x = Mat::from_fn(20, 4, |i, j| ((i * 7 + j * 3) % 5) as f64 + (j == i % 4) as u8 as f64);
//! let y: Vec<f64> = (0..20).map(|i| 2.0 * x[(i, 1)]).collect();
//! let cfg = PipelineConfig { alpha_rule: AlphaRule::Fixed(1e-3), refit: true, ..Default::default() };
//! let fit = run_pipeline(x.as_ref(), &y, &mut Identity, &cfg).unwrap();
//! assert!((fit.fit.coef[1] - 2.0).abs() < 1e-8);
//! ```

use faer::{Mat, MatRef};

use crate::error::{Error, Result};
use crate::lasso::cd::coordinate_descent;
use crate::lasso::{LassoOptions, ZERO_ALPHA_ADVICE, lasso_fit};
use crate::linalg::{Centered, center, dot, top_k};
use crate::params::Check;
use crate::precond::{Preconditioner, RefitSpace};
use crate::refit::{ols_on, refit_centered};
use crate::solver::Fit;
use crate::validate::check_shapes;
use crate::{CvOptions, lasso_cv};

/// Rule that sets the Phase-2 penalty α.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AlphaRule {
    /// A fixed α > 0.
    Fixed(f64),
    /// α = c·σ·√(2 ln d / N), with σ the known noise level.
    Universal { c: f64, sigma: f64 },
    /// K-fold cross-validation on the preconditioned data.
    Cv { folds: usize },
}

impl AlphaRule {
    /// Parses `fixed:α`, `universal:c` (σ from `sigma`) or `cv:K`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an unknown rule, a bad number, or
    /// `universal` without σ.
    pub fn parse(s: &str, sigma: Option<f64>) -> Result<AlphaRule> {
        let (name, arg) = s.split_once(':').unwrap_or((s, ""));
        let number = || -> Result<f64> {
            arg.parse()
                .map_err(|_| Error::invalid("alpha", s, "the rule parameter must be a number"))
        };
        let rule = match name {
            "fixed" => AlphaRule::Fixed(number()?),
            "universal" => {
                let sigma = sigma.ok_or_else(|| {
                    Error::invalid(
                        "alpha",
                        s,
                        "universal:c needs the noise level; pass --sigma",
                    )
                })?;
                let c = if arg.is_empty() { 1.0 } else { number()? };
                AlphaRule::Universal { c, sigma }
            }
            "cv" => AlphaRule::Cv {
                folds: if arg.is_empty() {
                    5
                } else {
                    number()? as usize
                },
            },
            _ => {
                return Err(Error::invalid(
                    "alpha",
                    s,
                    "use fixed:α, universal:c or cv:K",
                ));
            }
        };
        rule.validate()?;
        Ok(rule)
    }

    fn validate(&self) -> Result<()> {
        match *self {
            AlphaRule::Fixed(a) if a == 0.0 => Err(Error::invalid("alpha", a, ZERO_ALPHA_ADVICE)),
            AlphaRule::Fixed(a) if !(a > 0.0 && a.is_finite()) => {
                Err(Error::invalid("alpha", a, "α must be finite and > 0"))
            }
            AlphaRule::Universal { sigma, .. } if !(sigma > 0.0 && sigma.is_finite()) => {
                Err(Error::invalid(
                    "sigma",
                    sigma,
                    "universal:c needs a finite σ > 0 (σ = 0 gives α = 0); use --alpha fixed:α or cv:K",
                ))
            }
            AlphaRule::Universal { c, .. } if !(c > 0.0 && c.is_finite()) => Err(Error::invalid(
                "alpha",
                format!("universal:{c}"),
                "the factor c of universal:c must be finite and > 0",
            )),
            AlphaRule::Cv { folds } if folds < 2 => {
                Err(Error::invalid("folds", folds, "folds must be ≥ 2"))
            }
            _ => Ok(()),
        }
    }

    /// Returns the rule as a string (`fixed:0.1`, `universal:1`, `cv:5`).
    pub fn name(&self) -> String {
        match self {
            AlphaRule::Fixed(a) => format!("fixed:{a}"),
            AlphaRule::Universal { c, .. } => format!("universal:{c}"),
            AlphaRule::Cv { folds } => format!("cv:{folds}"),
        }
    }
}

/// Pipeline settings.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineConfig {
    /// α rule of Phase 2 (default `cv:5`).
    pub alpha_rule: AlphaRule,
    /// Centre and fit an intercept (default true).
    pub fit_intercept: bool,
    /// OLS refit of the Lasso support (default false).
    pub refit: bool,
    /// Keep the k largest |ŵ_j| in original coordinates, then refit.
    pub threshold: Option<usize>,
    /// Coordinate-descent settings (`alpha` ignored).
    pub lasso: LassoOptions,
    /// Cross-validation settings for `AlphaRule::Cv` (`folds` taken from the rule).
    pub cv: CvOptions,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            alpha_rule: AlphaRule::Cv { folds: 5 },
            fit_intercept: true,
            refit: false,
            threshold: None,
            lasso: LassoOptions::default(),
            cv: CvOptions::default(),
        }
    }
}

/// A pipeline result in original coordinates.
#[derive(Debug, Clone)]
pub struct PipelineFit {
    /// Coefficients and intercept on the original X; Lasso certificate of Phase 2.
    pub fit: Fit,
    /// Preconditioner name.
    pub preconditioner: String,
    /// α rule name.
    pub alpha_rule: String,
}

/// Runs Phases 0 to 2 and maps the solution back; see the module documentation.
///
/// # Errors
/// [`Error::ShapeMismatch`], [`Error::InvalidParameter`], errors of the
/// preconditioner (such as [`Error::NotImplemented`] or [`Error::Singular`]).
pub fn run_pipeline(
    x: MatRef<'_, f64>,
    y: &[f64],
    p: &mut dyn Preconditioner,
    cfg: &PipelineConfig,
) -> Result<PipelineFit> {
    check_shapes(x, y)?;
    cfg.alpha_rule.validate()?;
    let original = center(x, y, cfg.fit_intercept);
    let (x0, scales) = normalized(&original.x);

    p.fit(x0.as_ref())?;
    let (d_raw, y_prime) = p.apply(x0.as_ref(), &original.y)?;
    let (d, d_scales) = normalized(&d_raw);
    let transformed = Centered {
        x: d,
        y: y_prime,
        x_mean: vec![0.0; x.ncols()],
        y_mean: 0.0,
    };

    let mut v_fit = phase2(&transformed, cfg)?;
    if cfg.refit && p.refit_space() == RefitSpace::Transformed {
        v_fit = refit_centered(&transformed, &v_fit);
    }
    let v: Vec<f64> = v_fit
        .coef
        .iter()
        .zip(&d_scales)
        .map(|(a, s)| a * s)
        .collect();
    let w0 = p.to_original(&v);
    let w: Vec<f64> = w0.iter().zip(&scales).map(|(a, s)| a * s).collect();

    let mut fit = Fit {
        intercept: original.intercept(&w),
        coef: w,
        ..v_fit
    };
    if cfg.refit && p.refit_space() == RefitSpace::Original {
        fit = refit_centered(&original, &fit);
    }
    if let Some(k) = cfg.threshold {
        fit = threshold_centered(&original, fit, k);
    }
    Ok(PipelineFit {
        fit,
        preconditioner: p.name(),
        alpha_rule: cfg.alpha_rule.name(),
    })
}

fn phase2(c: &Centered, cfg: &PipelineConfig) -> Result<Fit> {
    let (n, d) = (c.x.nrows() as f64, c.x.ncols() as f64);
    let alpha = match cfg.alpha_rule {
        AlphaRule::Fixed(a) => a,
        AlphaRule::Universal { c: factor, sigma } => factor * sigma * (2.0 * d.ln() / n).sqrt(),
        AlphaRule::Cv { folds } => {
            // lasso_cv already refits on all rows at the chosen α.
            let cv = CvOptions {
                folds,
                ..cfg.cv.clone()
            }
            .check()?;
            let o = LassoOptions {
                fit_intercept: cfg.fit_intercept,
                ..cfg.lasso.clone()
            }
            .check()?;
            return Ok(lasso_cv(c.x.as_ref(), &c.y, &cv, &o)?.fit);
        }
    };
    let o = LassoOptions {
        alpha,
        fit_intercept: false,
        ..cfg.lasso.clone()
    }
    .check()?;
    let cd = coordinate_descent(&c.x, &c.y, &o, None)?;
    Ok(lasso_fit("lasso", c, cd, &o))
}

fn threshold_centered(c: &Centered, mut fit: Fit, k: usize) -> Fit {
    let keep = top_k(&fit.coef, k);
    let mut kept = vec![0.0; fit.coef.len()];
    for j in keep {
        kept[j] = fit.coef[j];
    }
    fit.coef = kept;
    match ols_on(c, &fit.support()) {
        Ok(w) => fit.coef = w,
        Err(msg) => fit.warnings.push(msg),
    }
    fit.intercept = c.intercept(&fit.coef);
    fit.method = format!("{}+threshold", fit.method);
    fit
}

/// Scales columns to ‖X_j‖² = N; returns the scaled copy and the factors.
/// Columns with norm ≤ 1e-12 × the largest column norm (such as a constant
/// column after centring, which keeps rounding residue) get factor 0.
fn normalized(x: &Mat<f64>) -> (Mat<f64>, Vec<f64>) {
    let n = x.nrows() as f64;
    let norms: Vec<f64> = (0..x.ncols())
        .map(|j| dot(x.col_as_slice(j), x.col_as_slice(j)).sqrt())
        .collect();
    let floor = 1e-12 * norms.iter().fold(0.0f64, |m, v| m.max(*v));
    let scales: Vec<f64> = norms
        .iter()
        .map(|&norm| if norm > floor { n.sqrt() / norm } else { 0.0 })
        .collect();

    let mut out = x.clone();
    for (j, &factor) in scales.iter().enumerate() {
        out.col_as_slice_mut(j)
            .iter_mut()
            .for_each(|v| *v *= factor);
    }
    (out, scales)
}
