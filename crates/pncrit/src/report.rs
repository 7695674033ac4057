//! One result row of `check` and `scan`: the TSV layout and the JSON record.
//!
//! AIC = −2nℓ̄ + 2p and TIC = −2nℓ̄ + 4â₁ (for an exponential family
//! tr(ĴĤ⁻¹) = tr(AK₂) = 2â₁), so (TIC − AIC)/(4n) = (â₁ − p/2)/n.
//!
//! ```
//! assert!(pncrit::report::TSV_HEADER.starts_with("dataset\tfamily\tmode"));
//! ```

use serde::Serialize;

use crate::calibrate::Calib;
use crate::criterion::{self, Flag, Order, Verdict};
use crate::expansion::{Parts, Route};
use crate::family::{Analysis, SamplingReport};

/// The TSV header of `check` and `scan`.
pub const TSV_HEADER: &str = "dataset\tfamily\tmode\td\tp\tn\ta1\ta2\tT\tF\tP\tQ\tR1\tR2\tbeta\tcalib\tr\taccept\tn_min\treliable\tflags\tloglik\taic\ttic";

/// Flags that make a row unreliable.
const UNRELIABLE: [Flag; 7] = [
    Flag::ExpansionUnreliable,
    Flag::MleBoundary,
    Flag::Dominated,
    Flag::NegativeRisk,
    Flag::NMinOverflow,
    Flag::CloudMcError,
    Flag::CloudNotAtMle,
];

/// Relative batch-means standard error of â₂ above which `cloud_mc_error` is raised.
pub const CLOUD_MC_ERROR: f64 = 0.10;

/// The tolerance and how it was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Tolerance {
    /// Bayes-error level β, absent when r was given directly.
    pub beta: Option<f64>,
    /// The calibration used with β.
    pub calib: Calib,
    /// The risk tolerance r (nats).
    pub r: f64,
}

/// One result row.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// Data-set label (file stem).
    pub dataset: String,
    /// Family name.
    pub family: &'static str,
    /// Mode name.
    pub mode: &'static str,
    /// Number of variables.
    pub d: usize,
    /// Model dimension.
    pub p: usize,
    /// Observations.
    pub n: usize,
    /// â₁.
    pub a1: f64,
    /// â₂.
    pub a2: f64,
    /// The parts of â₂.
    pub parts: Parts,
    /// Evaluation route.
    pub route: Route,
    /// Largest share of one observation in 2â₁ (null in model mode).
    pub shares_max: Option<f64>,
    /// R̂₁(n).
    #[serde(rename = "R1")]
    pub r1: f64,
    /// R̂₂(n).
    #[serde(rename = "R2")]
    pub r2: f64,
    /// The tolerance.
    #[serde(flatten)]
    pub tolerance: Tolerance,
    /// R̂(n) ≤ r.
    pub accept: bool,
    /// Smallest accepted integer n.
    pub n_min: u64,
    /// The real root behind n_min.
    pub n_min_root: f64,
    /// No flag of [`UNRELIABLE`] is raised.
    pub reliable: bool,
    /// Flag names.
    pub flags: Vec<&'static str>,
    /// Mean log-likelihood per observation (absent in empirical mode).
    pub loglik: Option<f64>,
    /// AIC = −2nℓ̄ + 2p.
    pub aic: Option<f64>,
    /// TIC = −2nℓ̄ + 4â₁.
    pub tic: Option<f64>,
    /// Fitted natural parameters (empty where not reported).
    pub theta: Vec<f64>,
    /// The Gibbs sampling behind the model cloud (sampled log-linear fits only).
    pub sampling: Option<SamplingReport>,
    /// Batch-means Monte-Carlo standard error of â₂ (sampled model clouds only).
    pub a2_mc_se: Option<f64>,
}

impl Row {
    /// Builds the row of an analysis at tolerance `tol`.
    pub fn new(dataset: &str, a: &Analysis, tol: Tolerance, order: Order) -> Row {
        let e = &a.expansion;
        let mut verdict: Verdict = criterion::decide(e, a.n, tol.r, order);
        if a.a2_mc_se
            .is_some_and(|se| se > CLOUD_MC_ERROR * e.a2.abs())
        {
            verdict.flags.push(Flag::CloudMcError);
        }
        if a.fit.as_ref().is_some_and(|f| f.off_mle.is_some()) {
            verdict.flags.push(Flag::CloudNotAtMle);
        }
        let loglik = a.fit.as_ref().map(|f| f.loglik).filter(|l| l.is_finite());
        let deviance = loglik.map(|l| -2.0 * a.n as f64 * l);
        Row {
            dataset: dataset.to_string(),
            family: a.family,
            mode: a.mode.name(),
            d: a.d,
            p: a.p,
            n: a.n,
            a1: e.a1,
            a2: e.a2,
            parts: e.parts,
            route: e.route,
            shares_max: e.shares_max.is_finite().then_some(e.shares_max),
            r1: verdict.r1,
            r2: verdict.r2,
            tolerance: tol,
            accept: verdict.accept,
            n_min: verdict.n_min,
            n_min_root: verdict.n_min_root,
            reliable: !verdict.flags.iter().any(|f| UNRELIABLE.contains(f)),
            flags: verdict.flags.iter().map(Flag::name).collect(),
            loglik,
            aic: deviance.map(|dev| dev + 2.0 * a.p as f64),
            tic: deviance.map(|dev| dev + 4.0 * e.a1),
            theta: a.fit.as_ref().map(|f| f.theta.clone()).unwrap_or_default(),
            sampling: a.fit.as_ref().and_then(|f| f.sampling),
            a2_mc_se: a.a2_mc_se,
        }
    }

    /// Formats the row in the order of [`TSV_HEADER`].
    pub fn to_tsv(&self) -> String {
        let opt = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x}"));
        let flags = if self.flags.is_empty() {
            "-".to_string()
        } else {
            self.flags.join(",")
        };
        let p = &self.parts;
        [
            self.dataset.clone(),
            self.family.to_string(),
            self.mode.to_string(),
            self.d.to_string(),
            self.p.to_string(),
            self.n.to_string(),
            format!("{}", self.a1),
            format!("{}", self.a2),
            format!("{}", p.t),
            format!("{}", p.f),
            format!("{}", p.p),
            format!("{}", p.q),
            format!("{}", self.r1),
            format!("{}", self.r2),
            opt(self.tolerance.beta),
            self.tolerance.calib.name(),
            format!("{}", self.tolerance.r),
            if self.accept { "accept" } else { "reject" }.to_string(),
            self.n_min.to_string(),
            self.reliable.to_string(),
            flags,
            opt(self.loglik),
            opt(self.aic),
            opt(self.tic),
        ]
        .join("\t")
    }
}
