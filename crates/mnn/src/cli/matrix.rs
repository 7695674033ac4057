//! `mnn matrix`: score one matrix of hidden states from a `.npy` file.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use mnn::{
    EntropyMethod, EntropyNorm, MatrixView, MetricParams, MetricSet, MnnNorm, Scores, Status,
    ZeroRows, score_matrix,
};
use serde::Serialize;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MetricName {
    /// Matrix Nuclear-Norm.
    Mnn,
    /// Matrix Entropy, H and erank.
    Me,
    /// Exact nuclear norm of Z, the sum of its singular values, not divided by
    /// N (from a full SVD, so slow; for validation).
    Nuclear,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum MnnNormName {
    /// Divide by the token count N (the published score).
    Tokens,
    /// No division.
    Raw,
    /// Divide by the hidden size d (not the published score).
    Dim,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum EntropyMethodName {
    /// Eigenvalues of the smaller Gram side.
    Auto,
    /// Eigenvalues of the N × N Gram matrix.
    Gram,
    /// Eigenvalues of the d × d covariance.
    Eigh,
    /// Singular values of the d × d covariance, as the reference code computes them.
    Svd,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum EntropyNormName {
    /// Divide the entropy by ln d (Matrix Entropy).
    LnD,
    /// Report the entropy in nats.
    None,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ZeroRowsName {
    /// A row equal to the column means, up to rounding, makes every value NaN (reference behaviour).
    Nan,
    /// Drop such rows and score the rest.
    Skip,
}

#[derive(Args)]
pub struct MatrixArgs {
    /// 2-D float32 or float64 `.npy` file of shape (N tokens, d hidden units).
    #[arg(long)]
    input: PathBuf,
    /// Metrics to compute, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "mnn,me")]
    metrics: Vec<MetricName>,
    /// Number of largest column norms summed by MNN (default: min(N, d); at most d).
    #[arg(long)]
    top_d: Option<usize>,
    /// Normalisation of the summed column norms.
    #[arg(long, value_enum, default_value = "tokens")]
    mnn_norm: MnnNormName,
    /// Route to the covariance spectrum; all agree within 1e-10 relative.
    #[arg(long, value_enum, default_value = "auto")]
    entropy_method: EntropyMethodName,
    /// Normalisation of the entropy.
    #[arg(long, value_enum, default_value = "ln-d")]
    entropy_norm: EntropyNormName,
    /// Treatment of rows whose centred values are all zero.
    #[arg(long, value_enum, default_value = "nan")]
    zero_rows: ZeroRowsName,
    /// Print one JSON object instead of a table. Its `timing_ms` fields are
    /// wall-clock times, so they differ between runs on the same input.
    #[arg(long)]
    json: bool,
    /// Seed of random streams; the metrics are deterministic, so it changes nothing here.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// The printed result; NaN and unselected values are `null`.
#[derive(Serialize)]
struct MatrixReport {
    input: String,
    /// Index of the slice in a 3-D (layers, N, d) stack; absent for a matrix.
    #[serde(skip_serializing_if = "Option::is_none")]
    layer: Option<usize>,
    n: usize,
    n_eff: usize,
    d: usize,
    top_d: usize,
    dropped_rows: usize,
    mnn: Option<f64>,
    mnn_raw: Option<f64>,
    me: Option<f64>,
    h_nats: Option<f64>,
    erank: Option<f64>,
    nuclear_exact: Option<f64>,
    status: Status,
    timing_ms: mnn::MetricTiming,
}

pub fn run(args: &MatrixArgs) -> Result<()> {
    let context = || format!("cannot score {}", args.input.display());
    let params = params_of(args);
    let opts = params.check().with_context(context)?;
    let slices = mnn::npy::read_hidden_state_slices(&args.input)?;
    let is_stack = slices.len() != 1;

    for (layer, matrix) in slices.iter().enumerate() {
        let view = MatrixView::from_rows_f64(&matrix.rows, matrix.n_rows, matrix.n_cols)?;
        let scores = score_matrix(view, &opts).with_context(context)?;
        if scores.status == Status::Degenerate {
            warn_degenerate(args, &scores);
        }
        let mut report = report_of(args, &scores);
        report.layer = is_stack.then_some(layer);
        print_report(&report, args.json)?;
    }
    Ok(())
}

fn warn_degenerate(args: &MatrixArgs, scores: &Scores) {
    let input = args.input.display();
    let (n, zero_rows) = (scores.n_input, scores.dropped_rows);
    let reason = if zero_rows == 0 {
        "a metric is not a finite number"
    } else if zero_rows == n {
        "every centred row is zero, because all rows are equal up to rounding"
    } else {
        "a centred row is zero, because that row equals the column means up to rounding"
    };
    let hint = match args.zero_rows {
        ZeroRowsName::Nan if zero_rows > 0 && zero_rows < n => {
            "; --zero-rows skip scores the other rows"
        }
        _ => "",
    };
    tracing::warn!(%input, n, zero_rows, "degenerate matrix: {reason}, so the values are NaN{hint}");
}

fn params_of(args: &MatrixArgs) -> MetricParams {
    MetricParams {
        zero_rows: match args.zero_rows {
            ZeroRowsName::Nan => ZeroRows::Nan,
            ZeroRowsName::Skip => ZeroRows::Skip,
        },
        top_d: args.top_d,
        mnn_norm: match args.mnn_norm {
            MnnNormName::Tokens => MnnNorm::Tokens,
            MnnNormName::Raw => MnnNorm::Raw,
            MnnNormName::Dim => MnnNorm::Dim,
        },
        entropy_method: match args.entropy_method {
            EntropyMethodName::Auto => EntropyMethod::Auto,
            EntropyMethodName::Gram => EntropyMethod::Gram,
            EntropyMethodName::Eigh => EntropyMethod::Eigh,
            EntropyMethodName::Svd => EntropyMethod::Svd,
        },
        entropy_norm: match args.entropy_norm {
            EntropyNormName::LnD => EntropyNorm::LnD,
            EntropyNormName::None => EntropyNorm::None,
        },
        metrics: MetricSet {
            mnn: args.metrics.contains(&MetricName::Mnn),
            entropy: args.metrics.contains(&MetricName::Me),
            nuclear: args.metrics.contains(&MetricName::Nuclear),
        },
    }
}

fn report_of(args: &MatrixArgs, scores: &Scores) -> MatrixReport {
    let finite = |value: f64| value.is_finite().then_some(value);
    MatrixReport {
        input: args.input.display().to_string(),
        layer: None,
        n: scores.n_input,
        n_eff: scores.n_eff,
        d: scores.d,
        top_d: scores.top_d,
        dropped_rows: scores.dropped_rows,
        mnn: finite(scores.mnn),
        mnn_raw: finite(scores.mnn_raw),
        me: finite(scores.me),
        h_nats: finite(scores.h_nats),
        erank: finite(scores.erank),
        nuclear_exact: finite(scores.nuclear_exact),
        status: scores.status,
        timing_ms: scores.timing,
    }
}

fn print_report(report: &MatrixReport, json: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string(report)?)?;
        return Ok(());
    }
    let value = |v: Option<f64>| v.map_or_else(|| "NaN".to_string(), |v| format!("{v:.12}"));
    let status = serde_json::to_value(report.status)?;
    writeln!(out, "input          {}", report.input)?;
    if let Some(layer) = report.layer {
        writeln!(out, "layer          {layer}")?;
    }
    writeln!(out, "n              {}", report.n)?;
    writeln!(out, "n_eff          {}", report.n_eff)?;
    writeln!(out, "d              {}", report.d)?;
    writeln!(out, "top_d          {}", report.top_d)?;
    writeln!(out, "mnn            {}", value(report.mnn))?;
    writeln!(out, "mnn_raw        {}", value(report.mnn_raw))?;
    writeln!(out, "me             {}", value(report.me))?;
    writeln!(out, "h_nats         {}", value(report.h_nats))?;
    writeln!(out, "erank          {}", value(report.erank))?;
    if report.nuclear_exact.is_some() {
        writeln!(out, "nuclear_exact  {}", value(report.nuclear_exact))?;
    }
    writeln!(out, "status         {}", status.as_str().unwrap_or("?"))?;
    Ok(())
}
