//! Metric options: an unchecked builder ([`MetricParams`]) validated once into
//! [`MetricOpts`].

use crate::error::Error;

/// Treatment of zero centred rows: rows whose centred values are all 0.0, or
/// whose centred norm is rounding noise (see
/// [`crate::metrics::preprocess::is_zero_centred_row`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ZeroRows {
    /// Every metric is NaN and the status is `degenerate`, as in the reference
    /// implementations. Always the case for N = 1 and for all-equal rows.
    /// The reference implementations flag only exact zeros.
    #[default]
    Nan,
    /// Drop the zero rows and score the N_eff rows kept. The column means stay
    /// those of all N rows.
    Skip,
}

/// Normalisation of the summed top-D column norms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MnnNorm {
    /// Divide by the token count N_eff: the Matrix Nuclear-Norm score.
    #[default]
    Tokens,
    /// No division (`mnn_raw`).
    Raw,
    /// Divide by the hidden size d (an alternative, not the published score).
    Dim,
}

/// Route to the spectrum of A = ZᵀZ / N_eff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EntropyMethod {
    /// Symmetric eigenvalues of the smaller Gram side: ZZᵀ/N_eff when
    /// N_eff ≤ d, otherwise A. Both have the same non-zero spectrum.
    #[default]
    Auto,
    /// Symmetric eigenvalues of the N_eff × N_eff Gram matrix ZZᵀ/N_eff.
    Gram,
    /// Symmetric eigenvalues of the d × d matrix A.
    Eigh,
    /// Singular values of the d × d matrix A/tr(A), as the reference computes
    /// them; the slowest route, kept for timing comparisons.
    Svd,
}

/// Normalisation of the entropy H (nats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EntropyNorm {
    /// Matrix Entropy: H / ln d, with d the hidden size.
    #[default]
    LnD,
    /// H itself, in nats.
    None,
}

/// The metrics to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricSet {
    /// Matrix Nuclear-Norm, O(N·d).
    pub mnn: bool,
    /// Matrix Entropy, H and erank.
    pub entropy: bool,
    /// Exact nuclear norm ‖Z‖_* from a full SVD, for validation.
    pub nuclear: bool,
}

impl Default for MetricSet {
    fn default() -> Self {
        Self {
            mnn: true,
            entropy: true,
            nuclear: false,
        }
    }
}

/// Unchecked metric options; [`MetricParams::check`] validates them.
#[derive(Debug, Clone, Copy, Default)]
pub struct MetricParams {
    pub zero_rows: ZeroRows,
    /// Number of largest column norms summed; `None` means min(N_eff, d).
    pub top_d: Option<usize>,
    pub mnn_norm: MnnNorm,
    pub entropy_method: EntropyMethod,
    pub entropy_norm: EntropyNorm,
    pub metrics: MetricSet,
}

/// Validated metric options. The defaults are valid.
#[derive(Debug, Clone, Copy, Default)]
pub struct MetricOpts(MetricParams);

impl MetricParams {
    /// Validates the options.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParam`] for `top_d = 0` or for a metric set that
    /// selects nothing.
    pub fn check(self) -> Result<MetricOpts, Error> {
        if self.top_d == Some(0) {
            return Err(Error::InvalidParam {
                name: "top_d",
                value: "0".into(),
                fix: "use a positive count, or leave it unset for min(N, d)".into(),
            });
        }
        let metrics = self.metrics;
        if !(metrics.mnn || metrics.entropy || metrics.nuclear) {
            return Err(Error::InvalidParam {
                name: "metrics",
                value: "(none)".into(),
                fix: "select at least one of mnn, me, nuclear".into(),
            });
        }
        Ok(MetricOpts(self))
    }
}

impl MetricOpts {
    /// The validated options.
    pub fn params(&self) -> &MetricParams {
        &self.0
    }
}
