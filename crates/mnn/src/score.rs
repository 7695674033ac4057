//! Scoring one hidden-state matrix with every selected metric.

use std::time::Instant;

use serde::Serialize;

use crate::error::Error;
use crate::limits::check_elements;
use crate::matrix::MatrixView;
use crate::metrics::entropy::{entropy_nats, normalized_spectrum};
use crate::metrics::mnn::top_column_norm_sum;
use crate::metrics::nuclear::nuclear_norm;
use crate::metrics::preprocess::{RowPass, Widen, normalized_rows_transposed, row_pass};
use crate::params::{EntropyMethod, EntropyNorm, MetricOpts, MetricParams, MnnNorm, ZeroRows};

/// Outcome of one sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every selected metric is a number.
    Ok,
    /// A zero centred row under the `nan` policy, no rows left under `skip`
    /// (always for N = 1), or a selected metric that is not a finite number:
    /// the values are NaN or not to be trusted.
    Degenerate,
    /// The model produced NaN or infinite hidden states.
    NonFinite,
    /// The text had no tokens.
    Empty,
}

/// Wall-clock time of each step in milliseconds; 0 for steps not run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct MetricTiming {
    /// Streaming pass and the top-D sum.
    pub mnn_ms: f64,
    /// Building Z, the spectrum and the entropy.
    pub me_ms: f64,
    pub nuclear_ms: f64,
}

/// Scores of one N × d matrix. Values not selected, or of a degenerate
/// sample, are NaN.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scores {
    /// Rows of the input (N).
    pub n_input: usize,
    /// Rows scored (N_eff): N minus the zero rows dropped under `skip`.
    pub n_eff: usize,
    /// Hidden size.
    pub d: usize,
    /// Number of column norms summed.
    pub top_d: usize,
    /// Zero rows found (all centred values zero up to rounding). `skip` drops
    /// them; under `nan` any zero row makes the status `degenerate`.
    pub dropped_rows: usize,
    /// Sum of the `top_d` largest column norms of Z.
    pub mnn_raw: f64,
    /// `mnn_raw` under the selected normalisation (default: / N_eff).
    pub mnn: f64,
    /// Entropy of the spectrum in nats.
    pub h_nats: f64,
    /// `h_nats` under the selected normalisation (default: / ln d).
    pub me: f64,
    /// exp(h_nats).
    pub erank: f64,
    /// ‖Z‖_*, when requested.
    pub nuclear_exact: f64,
    pub status: Status,
    pub timing: MetricTiming,
}

impl Scores {
    /// Scores of an empty text: no tokens, nothing computed.
    pub fn empty(d: usize) -> Self {
        let mut scores = Self::nan(0, d);
        scores.status = Status::Empty;
        scores
    }

    fn nan(n_input: usize, d: usize) -> Self {
        Self {
            n_input,
            n_eff: n_input,
            d,
            top_d: n_input.min(d),
            dropped_rows: 0,
            mnn_raw: f64::NAN,
            mnn: f64::NAN,
            h_nats: f64::NAN,
            me: f64::NAN,
            erank: f64::NAN,
            nuclear_exact: f64::NAN,
            status: Status::Ok,
            timing: MetricTiming::default(),
        }
    }
}

/// Scores one matrix of hidden states (N tokens × d hidden units).
///
/// # Errors
///
/// [`Error::EmptyMatrix`] for N = 0 or d = 0, [`Error::NonFinite`] naming the
/// first NaN or infinite entry, [`Error::InvalidParam`] for `top_d > d`, and
/// [`Error::NoConvergence`] from the solvers.
pub fn score_matrix(matrix: MatrixView<'_>, opts: &MetricOpts) -> Result<Scores, Error> {
    let (n_rows, n_cols) = (matrix.n_rows(), matrix.n_cols());
    if n_rows == 0 || n_cols == 0 {
        return Err(Error::EmptyMatrix { n_rows, n_cols });
    }
    check_top_d(opts.params(), n_cols)?;
    check_ln_d(opts.params(), n_cols)?;

    match matrix.rows_f32() {
        Some(rows) => score_rows(rows, n_rows, n_cols, opts.params()),
        None => score_rows(&matrix.rows_f64(), n_rows, n_cols, opts.params()),
    }
}

fn check_top_d(params: &MetricParams, n_cols: usize) -> Result<(), Error> {
    match params.top_d {
        Some(top_d) if top_d > n_cols => Err(Error::InvalidParam {
            name: "top_d",
            value: top_d.to_string(),
            fix: format!("use at most the hidden size d = {n_cols}"),
        }),
        _ => Ok(()),
    }
}

/// Rejects Matrix Entropy for d = 1, where H / ln d is 0 / 0.
fn check_ln_d(params: &MetricParams, n_cols: usize) -> Result<(), Error> {
    if n_cols == 1 && params.metrics.entropy && params.entropy_norm == EntropyNorm::LnD {
        return Err(Error::InvalidParam {
            name: "entropy normalisation for hidden size d",
            value: "1".into(),
            fix: "Matrix Entropy H / ln d is undefined because ln 1 = 0; use --entropy-norm none for H in nats, or --metrics mnn".into(),
        });
    }
    Ok(())
}

fn score_rows<T: Widen>(
    rows: &[T],
    n_rows: usize,
    n_cols: usize,
    params: &MetricParams,
) -> Result<Scores, Error> {
    let start = Instant::now();
    let pass = row_pass(rows, n_rows, n_cols)?;
    let mut scores = Scores::nan(n_rows, n_cols);
    scores.dropped_rows = pass.zero_rows;

    let degenerate = match params.zero_rows {
        ZeroRows::Nan => pass.zero_rows > 0,
        ZeroRows::Skip => pass.zero_rows == n_rows,
    };
    if params.zero_rows == ZeroRows::Skip {
        scores.n_eff = n_rows - pass.zero_rows;
    }
    scores.top_d = match scores.n_eff {
        0 => 0,
        n_eff => params.top_d.unwrap_or(n_eff.min(n_cols)),
    };
    if degenerate {
        scores.status = Status::Degenerate;
        return Ok(scores);
    }

    if params.metrics.mnn {
        apply_mnn(&mut scores, &pass, params.mnn_norm);
        scores.timing.mnn_ms = elapsed_ms(start);
    }
    if params.metrics.entropy || params.metrics.nuclear {
        score_spectral(&mut scores, rows, n_cols, &pass, params)?;
    }
    mark_non_finite_degenerate(&mut scores, params);
    Ok(scores)
}

/// Sets status `degenerate` when a selected metric is not a finite number
/// although the input was: such a value must never be reported as ok.
fn mark_non_finite_degenerate(scores: &mut Scores, params: &MetricParams) {
    let metrics = params.metrics;
    let bad = (metrics.mnn && !scores.mnn.is_finite())
        || (metrics.entropy && !(scores.me.is_finite() && scores.erank.is_finite()))
        || (metrics.nuclear && !scores.nuclear_exact.is_finite());
    if bad {
        tracing::warn!(
            n = scores.n_input,
            d = scores.d,
            "a metric is not a finite number, so the status is degenerate"
        );
        scores.status = Status::Degenerate;
    }
}

fn apply_mnn(scores: &mut Scores, pass: &RowPass, norm: MnnNorm) {
    scores.mnn_raw = top_column_norm_sum(&pass.col_sq_sums, scores.top_d);
    scores.mnn = match norm {
        MnnNorm::Tokens => scores.mnn_raw / scores.n_eff as f64,
        MnnNorm::Raw => scores.mnn_raw,
        MnnNorm::Dim => scores.mnn_raw / scores.d as f64,
    };
}

fn score_spectral<T: Widen>(
    scores: &mut Scores,
    rows: &[T],
    n_cols: usize,
    pass: &RowPass,
    params: &MetricParams,
) -> Result<(), Error> {
    check_spectral_buffers(scores, params)?;
    let start = Instant::now();
    let zt = normalized_rows_transposed(rows, n_cols, pass);

    if params.metrics.entropy {
        let spectrum = normalized_spectrum(zt.as_ref(), params.entropy_method)?;
        scores.h_nats = entropy_nats(&spectrum);
        scores.erank = scores.h_nats.exp();
        scores.me = match params.entropy_norm {
            EntropyNorm::LnD => scores.h_nats / (n_cols as f64).ln(),
            EntropyNorm::None => scores.h_nats,
        };
        scores.timing.me_ms = elapsed_ms(start);
    }

    if params.metrics.nuclear {
        let start = Instant::now();
        scores.nuclear_exact = nuclear_norm(zt.as_ref())?;
        scores.timing.nuclear_ms = elapsed_ms(start);
    }
    Ok(())
}

/// Checks the sizes of Zᵀ and of the Gram matrix the entropy route builds.
fn check_spectral_buffers(scores: &Scores, params: &MetricParams) -> Result<(), Error> {
    let (n_eff, d) = (scores.n_eff, scores.d);
    let shape = (scores.n_input, d);
    check_elements("normalised matrix Z", shape, (n_eff, d))?;

    if params.metrics.entropy {
        let side = match params.entropy_method {
            EntropyMethod::Auto => n_eff.min(d),
            EntropyMethod::Gram => n_eff,
            EntropyMethod::Eigh | EntropyMethod::Svd => d,
        };
        check_elements("Gram matrix of the entropy route", shape, (side, side))?;
    }
    Ok(())
}

fn elapsed_ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e3
}
