//! The risk expansion Rₙ = a₁/n + a₂/n² + O(n⁻³) of the MLE around the
//! information projection, derived in the normlab pncrit specification:
//!
//! a₁ = ½ tr(A K₂),  a₂ = −T/3 + 3F/4 + 3P/8 − 3Q/8, with A = G⁻¹, S = A K₂ A,
//! T = Σ Ψ₃_abc (A⊗A⊗A·K₃)_abc, F = Σ Ψ₃_efg Ψ₃_abc A_ga S_eb S_fc,
//! P = vᵀAv with v_g = Σ Ψ₃_efg S_ef, and Q = Σ Ψ₄_abcd S_ab S_cd.
//!
//! Routes: the point-cloud (Gram) route and the explicit-tensor route for
//! weighted model clouds, the 1-D analytic route, and the Gaussian route in
//! [`crate::gaussian`]. Every route first whitens with the Cholesky factor of G,
//! so A = I. [`empirical`] plugs the sample cumulants into the well-specified
//! formula, which needs no normaliser.
//!
//! ```
//! use pncrit::expansion::{expansion, ModelCumulants, Truth};
//! // Poisson(6) fitted to a negative-binomial truth with K₂ = 15, K₃ = 60.
//! let model = ModelCumulants::Analytic1D { k2: 6.0, k3: 6.0, k4: 6.0 };
//! let truth = Truth::Moments1D { k2: 15.0, k3: 60.0 };
//! let e = expansion(&model, &truth).unwrap();
//! assert!((e.a1 - 1.25).abs() < 1e-15);
//! assert!((e.a2 - 65.0 / 288.0).abs() < 1e-14);
//! ```

use faer::{Mat, MatRef};
use serde::Serialize;

use crate::cumulant::Cloud;
use crate::error::{Error, Result};
use crate::linalg;
use crate::tensor::{self, MAX_TENSOR_DIM, Tensor3};

/// Estimated speed ratio per flop of the Gram route over the tensor route,
/// used when choosing a route.
///
/// NOTE: set when the tensor route built Ψ₃ and K₃ with scalar loops. Both
/// routes now use matrix products, so the ratio is likely smaller; it has
/// not been re-measured.
const GRAM_SPEEDUP: f64 = 8.0;

/// Rows of a Gram block: memory stays O(BLOCK · max(M, n)).
const BLOCK: usize = 512;

/// The four contractions whose combination gives a₂.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Parts {
    /// Model–truth skewness cross term Σ Ψ₃·(A⊗A⊗A K₃).
    pub t: f64,
    /// Full contraction Σ Ψ₃ Ψ₃ A S S.
    pub f: f64,
    /// Trace-type contraction vᵀAv.
    pub p: f64,
    /// Fourth-cumulant term Σ Ψ₄ S S.
    pub q: f64,
}

/// Combines the parts into a₂ = −T/3 + 3F/4 + 3P/8 − 3Q/8.
///
/// NOTE: normlab derivation; compare with arXiv 2105.08947. The coefficients
/// come from a Taylor expansion of the Bregman loss in the dual coordinates
/// (outline in the crate documentation). They reproduce the exact MVN and
/// exponential risks and the Monte-Carlo cases, but the paper's own n⁻² term
/// could not be read, so this is the one place to change if it differs.
pub fn a2_from_parts(parts: &Parts) -> f64 {
    -parts.t / 3.0 + 0.75 * parts.f + 0.375 * parts.p - 0.375 * parts.q
}

/// The evaluation route of the parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// Closed 1-D formulas.
    Analytic1D,
    /// Gaussian quadratic-form identities (MVN).
    Gaussian,
    /// Point-cloud Gram products.
    Gram,
    /// Explicit Ψ₃ and K₃ tensors.
    Tensor,
    /// Sample cumulants in the well-specified formula.
    Empirical,
}

/// The route request for cloud models.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteChoice {
    /// The Gram route unless the tensor route's flop estimate, weighted by
    /// `GRAM_SPEEDUP`, is smaller.
    Auto,
    /// Force the Gram route.
    Gram,
    /// Force the tensor route (p ≤ 322).
    Tensor,
}

/// The two coefficients, their parts and diagnostics.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Expansion {
    /// First-order coefficient a₁ = ½ tr(A K₂) (nats·n).
    pub a1: f64,
    /// Second-order coefficient a₂ (nats·n²).
    pub a2: f64,
    /// The parts T, F, P, Q (in the empirical route T = F = γ_F, P = γ_P, Q = ρ₄).
    pub parts: Parts,
    /// The route used.
    pub route: Route,
    /// The largest share of one observation in 2a₁, cᵢ/Σc with
    /// cᵢ = wᵢ ωᵢᵀAωᵢ; NaN without a data cloud.
    pub shares_max: f64,
}

/// Cumulants of the fitted model at θ̂.
#[derive(Clone, Debug)]
pub enum ModelCumulants {
    /// One-dimensional statistic with cumulants k₂ = G, k₃ = Ψ₃, k₄ = Ψ₄.
    Analytic1D {
        /// Variance of t.
        k2: f64,
        /// Third cumulant of t.
        k3: f64,
        /// Fourth cumulant of t.
        k4: f64,
    },
    /// N(0, I_d) with t = (z, vech zzᵀ).
    Gaussian {
        /// Number of variables d.
        d: usize,
    },
    /// A weighted centred cloud of the statistic under the fitted model.
    Cloud(Cloud),
}

/// The truth's cumulants of t.
#[derive(Clone, Copy, Debug)]
pub enum Truth<'a> {
    /// A weighted centred cloud (data rows with weights 1/n, or an exact distribution).
    Cloud(&'a Cloud),
    /// Explicit 1-D cumulants (only with [`ModelCumulants::Analytic1D`]).
    Moments1D {
        /// Variance.
        k2: f64,
        /// Third cumulant.
        k3: f64,
    },
    /// The model's own cumulants (`model` mode): K₂ = G, K₃ = Ψ₃.
    SameAsModel,
}

/// Computes a₁, a₂ and the parts, choosing the cheaper cloud route.
///
/// # Errors
///
/// [`Error::Singular`] when the model's Fisher information is singular, and
/// [`Error::InvalidParameter`] when the truth does not match the model's
/// dimension or kind.
pub fn expansion(model: &ModelCumulants, truth: &Truth<'_>) -> Result<Expansion> {
    expansion_with(model, truth, RouteChoice::Auto)
}

/// Computes the expansion with an explicit route choice for cloud models.
///
/// # Errors
///
/// As [`expansion`].
pub fn expansion_with(
    model: &ModelCumulants,
    truth: &Truth<'_>,
    route: RouteChoice,
) -> Result<Expansion> {
    match model {
        ModelCumulants::Analytic1D { k2, k3, k4 } => analytic_1d(*k2, *k3, *k4, truth),
        ModelCumulants::Gaussian { d } => match truth {
            Truth::SameAsModel => crate::gaussian::expansion(*d, None),
            Truth::Cloud(c) if c.dim() == crate::gaussian::stat_dim(*d) => {
                crate::gaussian::expansion(*d, Some(c))
            }
            _ => Err(Error::invalid(
                "truth",
                "a mismatched truth",
                "the Gaussian route needs a cloud of t(z) rows",
            )),
        },
        ModelCumulants::Cloud(model) => cloud_expansion(model, truth, route),
    }
}

fn analytic_1d(g: f64, psi3: f64, psi4: f64, truth: &Truth<'_>) -> Result<Expansion> {
    if g.is_nan() || g <= 0.0 {
        return Err(Error::Singular {
            detail: format!("the model variance of t is {g}"),
        });
    }
    let (k2, k3, shares) = match truth {
        Truth::SameAsModel => (g, psi3, f64::NAN),
        Truth::Moments1D { k2, k3 } => (*k2, *k3, f64::NAN),
        Truth::Cloud(c) => {
            let h = Mat::from_fn(c.len(), 1, |i, _| c.points[(i, 0)]);
            let k2: f64 = (0..c.len()).map(|i| c.weights[i] * h[(i, 0)].powi(2)).sum();
            let k3: f64 = (0..c.len()).map(|i| c.weights[i] * h[(i, 0)].powi(3)).sum();
            (k2, k3, max_share(h.as_ref(), &c.weights))
        }
    };
    let a = 1.0 / g;
    let s = a * k2 * a;
    let parts = Parts {
        t: psi3 * k3 * a.powi(3),
        f: psi3 * psi3 * a * s * s,
        p: (psi3 * s).powi(2) * a,
        q: psi4 * s * s,
    };
    Ok(Expansion {
        a1: 0.5 * a * k2,
        a2: a2_from_parts(&parts),
        parts,
        route: Route::Analytic1D,
        shares_max: shares,
    })
}

/// Whitened model and truth clouds in the frame G = I.
struct Frame {
    /// Model rows yₛ = L⁻¹uₛ.
    y: Mat<f64>,
    w: Vec<f64>,
    /// Truth rows hᵢ = L⁻¹ωᵢ.
    h: Mat<f64>,
    v: Vec<f64>,
    /// S = Σ vᵢ hᵢhᵢᵀ.
    s: Mat<f64>,
    has_data: bool,
}

fn whiten_frame(model: &Cloud, truth: &Truth<'_>) -> Result<Frame> {
    let g = model.covariance();
    let l = linalg::cholesky(g.as_ref(), 1e-12).map_err(|k| Error::Singular {
        detail: format!("statistic {} of the model is a linear combination of statistics 1..{} under the fitted model", k + 1, k),
    })?;
    let y = linalg::whiten_rows(model.points.as_ref(), l.as_ref());
    let (h, v, has_data) = match truth {
        Truth::Cloud(c) if c.dim() == model.dim() => (
            linalg::whiten_rows(c.points.as_ref(), l.as_ref()),
            c.weights.clone(),
            true,
        ),
        Truth::SameAsModel => (y.clone(), model.weights.clone(), false),
        _ => {
            return Err(Error::invalid(
                "truth",
                "a mismatched truth",
                "a cloud model needs a truth cloud of the same dimension",
            ));
        }
    };
    let s = linalg::weighted_gram(h.as_ref(), &v);
    Ok(Frame {
        y,
        w: model.weights.clone(),
        h,
        v,
        s,
        has_data,
    })
}

fn cloud_expansion(model: &Cloud, truth: &Truth<'_>, choice: RouteChoice) -> Result<Expansion> {
    let frame = whiten_frame(model, truth)?;
    let p = model.dim();
    let (m, n) = (frame.y.nrows() as f64, frame.h.nrows() as f64);
    let gram_cost = m * m * p as f64 + m * n * p as f64;
    let tensor_cost = (m + n) * (p as f64).powi(3) / 6.0 + (p as f64).powi(4);
    let use_tensor = match choice {
        RouteChoice::Gram => false,
        RouteChoice::Tensor => true,
        RouteChoice::Auto => GRAM_SPEEDUP * tensor_cost < gram_cost,
    } && p <= MAX_TENSOR_DIM;

    let (t, f, p_part) = if use_tensor {
        tensor_tfp(&frame)
    } else {
        gram_tfp(&frame)
    };
    let q = q_identity(&frame);
    let parts = Parts { t, f, p: p_part, q };
    let shares = if frame.has_data {
        max_share(frame.h.as_ref(), &frame.v)
    } else {
        f64::NAN
    };
    Ok(Expansion {
        a1: 0.5 * linalg::trace(frame.s.as_ref()),
        a2: a2_from_parts(&parts),
        parts,
        route: if use_tensor {
            Route::Tensor
        } else {
            Route::Gram
        },
        shares_max: shares,
    })
}

/// Q = Σₛ wₛ (yₛᵀSyₛ)² − tr(S)² − 2 tr(S²): the fourth cumulant of the model
/// cloud contracted with S⊗S, without forming Ψ₄ (G = I frame).
fn q_identity(frame: &Frame) -> f64 {
    let ys = linalg::mul(frame.y.as_ref(), frame.s.as_ref());
    let quad = row_dots(ys.as_ref(), frame.y.as_ref());
    let fourth: f64 = quad.iter().zip(&frame.w).map(|(q, w)| w * q * q).sum();
    let tr = linalg::trace(frame.s.as_ref());
    fourth - tr * tr - 2.0 * tensor::trace_of_square(frame.s.as_ref())
}

fn row_dots(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Vec<f64> {
    (0..a.nrows())
        .map(|i| (0..a.ncols()).map(|j| a[(i, j)] * b[(i, j)]).sum())
        .collect()
}

/// T, F, P by Gram blocks of at most [`BLOCK`] model rows.
fn gram_tfp(frame: &Frame) -> (f64, f64, f64) {
    let y = frame.y.as_ref();
    let ys = linalg::mul(y, frame.s.as_ref());
    let m = y.nrows();
    let (mut t, mut f) = (0.0, 0.0);
    let mut start = 0;
    while start < m {
        let rows = BLOCK.min(m - start);
        let yb = y.subrows(start, rows);
        let cross = linalg::mul(yb, frame.h.transpose());
        let model_gram = linalg::mul(yb, y.transpose());
        let s_gram = linalg::mul(ys.as_ref().subrows(start, rows), y.transpose());
        for r in 0..rows {
            let ws = frame.w[start + r];
            let t_row: f64 = (0..cross.ncols())
                .map(|i| frame.v[i] * cross[(r, i)].powi(3))
                .sum();
            let f_row: f64 = (0..m)
                .map(|s2| frame.w[s2] * model_gram[(r, s2)] * s_gram[(r, s2)].powi(2))
                .sum();
            t += ws * t_row;
            f += ws * f_row;
        }
        start += rows;
    }
    let quad = row_dots(ys.as_ref(), y);
    let p = y.ncols();
    let v: Vec<f64> = (0..p)
        .map(|a| (0..m).map(|s| frame.w[s] * quad[s] * y[(s, a)]).sum())
        .collect();
    (t, f, v.iter().map(|x| x * x).sum())
}

/// T, F, P with explicit Ψ₃ and K₃ tensors.
fn tensor_tfp(frame: &Frame) -> (f64, f64, f64) {
    let psi3 = Tensor3::from_cloud(frame.y.as_ref(), &frame.w);
    let k3 = Tensor3::from_cloud(frame.h.as_ref(), &frame.v);
    let (f, p) = tensor::contract_f_p(&psi3, frame.s.as_ref());
    (psi3.dot(&k3), f, p)
}

/// Returns maxᵢ cᵢ/Σc with cᵢ = wᵢ|hᵢ|², the largest share of one row in 2a₁
/// (rows already whitened by the model's G).
pub fn max_share(h: MatRef<'_, f64>, w: &[f64]) -> f64 {
    let c: Vec<f64> = (0..h.nrows())
        .map(|i| w[i] * (0..h.ncols()).map(|j| h[(i, j)].powi(2)).sum::<f64>())
        .collect();
    let total: f64 = c.iter().sum();
    c.iter().fold(0.0_f64, |m, x| m.max(*x)) / total
}

/// Computes the empirical mode: sample cumulants in the well-specified
/// formula, which needs neither a fit nor a normaliser.
///
/// With the rows of `t` centred and whitened to sample covariance I (rows wᵢ),
/// γ_F = (1/n²)Σᵢⱼ(wᵢᵀw_j)³, γ_P = |v|² with v = (1/n)Σ|wᵢ|²wᵢ, and
/// ρ₄ = (1/n)Σ|wᵢ|⁴ − p(p+2); then a₁ = p/2 and a₂ = 5γ_F/12 + 3γ_P/8 − 3ρ₄/8
/// (through [`a2_from_parts`] with T = F = γ_F, P = γ_P, Q = ρ₄). This is the
/// normlab reading of "no normaliser needed"; it is consistent only when the
/// model is correct.
///
/// # Errors
///
/// [`Error::TooFewRows`] when n ≤ p, and [`Error::Singular`] when the
/// statistics are linearly dependent in the sample.
pub fn empirical(t: MatRef<'_, f64>) -> Result<Expansion> {
    let (n, p) = (t.nrows(), t.ncols());
    if n <= p {
        return Err(Error::TooFewRows {
            n,
            dim: p,
            what: "p",
        });
    }
    empirical_cloud(&Cloud::from_data(t))
}

/// Computes the empirical mode on a weighted cloud (for example an exact distribution).
///
/// # Errors
///
/// [`Error::Singular`] when the cloud's covariance is singular.
pub fn empirical_cloud(cloud: &Cloud) -> Result<Expansion> {
    let frame = whiten_frame(cloud, &Truth::SameAsModel)?;
    let y = frame.y.as_ref();
    let (m, p) = (y.nrows(), y.ncols());

    let mut gamma_f = 0.0;
    let mut start = 0;
    while start < m {
        let rows = BLOCK.min(m - start);
        let gram = linalg::mul(y.subrows(start, rows), y.transpose());
        for r in 0..rows {
            let row: f64 = (0..m).map(|j| frame.w[j] * gram[(r, j)].powi(3)).sum();
            gamma_f += frame.w[start + r] * row;
        }
        start += rows;
    }

    let norms: Vec<f64> = row_dots(y, y);
    let v: Vec<f64> = (0..p)
        .map(|a| (0..m).map(|s| frame.w[s] * norms[s] * y[(s, a)]).sum())
        .collect();
    let gamma_p: f64 = v.iter().map(|x| x * x).sum();
    let fourth: f64 = norms.iter().zip(&frame.w).map(|(q, w)| w * q * q).sum();
    let rho4 = fourth - (p * (p + 2)) as f64;

    let parts = Parts {
        t: gamma_f,
        f: gamma_f,
        p: gamma_p,
        q: rho4,
    };
    Ok(Expansion {
        a1: 0.5 * p as f64,
        a2: a2_from_parts(&parts),
        parts,
        route: Route::Empirical,
        shares_max: max_share(y, &frame.w),
    })
}

/// Computes only a₁ = ½ tr(A K₂) of a model against a truth cloud, without the
/// n⁻² parts (used by the bootstrap).
///
/// # Errors
///
/// As [`expansion`].
pub fn first_order(model: &ModelCumulants, truth: &Cloud) -> Result<f64> {
    let second_moment = |h: MatRef<'_, f64>| -> f64 {
        (0..h.nrows())
            .map(|i| truth.weights[i] * (0..h.ncols()).map(|j| h[(i, j)].powi(2)).sum::<f64>())
            .sum()
    };
    match model {
        ModelCumulants::Analytic1D { k2, .. } => {
            Ok(0.5 * second_moment(truth.points.as_ref()) / k2)
        }
        ModelCumulants::Gaussian { d } => {
            let g = crate::gaussian::fisher_diag(*d);
            let h = Mat::from_fn(truth.len(), g.len(), |i, a| {
                truth.points[(i, a)] / g[a].sqrt()
            });
            Ok(0.5 * second_moment(h.as_ref()))
        }
        ModelCumulants::Cloud(cloud) => {
            let frame = whiten_frame(cloud, &Truth::Cloud(truth))?;
            Ok(0.5 * linalg::trace(frame.s.as_ref()))
        }
    }
}
