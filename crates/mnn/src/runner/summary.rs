//! Per-layer dataset summaries built from sample records.
//!
//! Summaries are computed from the records alone, so a resumed run, whose
//! earlier records come from `samples.jsonl`, gets the same summary as an
//! uninterrupted one.

use std::collections::BTreeMap;

use serde::Serialize;

use super::SampleRecord;
use crate::NanMean;

/// The metric whose sample counts fill `n_scored` and `n_nan` of a
/// [`LayerRow`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountedMetric {
    Mnn,
    Me,
    /// The loss, which exists only on the `final` layer of causal models. A
    /// forwarded sample without a finite loss (one token, or non-finite
    /// logits) counts as NaN.
    Loss,
}

/// One row of `summary.csv`. Means exclude empty, degenerate, non-finite
/// and skipped samples.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LayerRow {
    /// `"0"` … `"L"` or `"final"`.
    pub layer: String,
    /// The number of sample records at this layer.
    pub n_samples: usize,
    /// The samples with a finite value of the counted metric.
    pub n_scored: usize,
    /// Degenerate and non-finite samples.
    pub n_nan: usize,
    /// The samples with no tokens.
    pub n_empty: usize,
    /// The samples skipped after an error.
    pub n_skipped: usize,
    /// The samples truncated to the token limit.
    pub n_truncated: usize,
    /// Mean token count over the samples that reached the model.
    pub mean_tokens: Option<f64>,
    /// The mean MNN over the finite samples.
    pub mnn_mean: Option<f64>,
    /// The mean Matrix Entropy over the finite samples.
    pub me_mean: Option<f64>,
    /// The mean entropy H in nats over the finite samples.
    pub h_mean_nats: Option<f64>,
    /// exp(mean H), the dataset effective rank.
    pub erank_of_mean_h: Option<f64>,
    /// Mean over samples of the per-sample mean next-token NLL, in nats.
    pub loss_mean: Option<f64>,
    /// exp(`loss_mean`).
    pub ppl: Option<f64>,
    /// The summed tokenization time in seconds.
    pub tokenize_s: f64,
    /// The summed forward time in seconds.
    pub forward_s: f64,
    /// The summed MNN time in seconds.
    pub mnn_s: f64,
    /// The summed Matrix Entropy time in seconds.
    pub me_s: f64,
    /// Tokens through the model per second of forward time.
    pub tokens_per_s: Option<f64>,
}

#[derive(Default)]
struct Accumulator {
    row: LayerRow,
    mnn: NanMean,
    me: NanMean,
    h_nats: NanMean,
    loss: NanMean,
    tokens: usize,
    n_forward: usize,
}

impl Accumulator {
    fn push(&mut self, record: &SampleRecord) {
        let row = &mut self.row;
        row.n_samples += 1;
        row.n_truncated += usize::from(record.truncated);
        row.tokenize_s += record.tokenize_ms / 1e3;
        row.mnn_s += record.mnn_ms / 1e3;
        row.me_s += record.me_ms / 1e3;
        match record.status.as_str() {
            "empty" => row.n_empty += 1,
            "skipped" => row.n_skipped += 1,
            _ => {
                row.forward_s += record.forward_ms / 1e3;
                self.tokens += record.n_tokens;
                self.n_forward += 1;
                self.mnn.push(record.mnn.unwrap_or(f64::NAN));
                self.me.push(record.me.unwrap_or(f64::NAN));
                self.h_nats.push(record.h_nats.unwrap_or(f64::NAN));
                if let Some(loss) = record.loss {
                    self.loss.push(loss);
                }
            }
        }
    }

    fn finish(mut self, counted: CountedMetric) -> LayerRow {
        let (n_scored, n_nan) = match counted {
            CountedMetric::Mnn => (self.mnn.n_scored, self.mnn.n_nan),
            CountedMetric::Me => (self.me.n_scored, self.me.n_nan),
            CountedMetric::Loss => (
                self.loss.n_scored,
                self.n_forward.saturating_sub(self.loss.n_scored),
            ),
        };
        self.row.n_scored = n_scored;
        self.row.n_nan = n_nan;
        self.row.mean_tokens =
            (self.n_forward > 0).then(|| self.tokens as f64 / self.n_forward as f64);
        self.row.mnn_mean = self.mnn.mean();
        self.row.me_mean = self.me.mean();
        self.row.h_mean_nats = self.h_nats.mean();
        self.row.erank_of_mean_h = self.row.h_mean_nats.map(f64::exp);
        self.row.loss_mean = self.loss.mean();
        self.row.ppl = self.row.loss_mean.map(f64::exp);
        self.row.tokens_per_s =
            (self.row.forward_s > 0.0).then(|| self.tokens as f64 / self.row.forward_s);
        self.row
    }
}

/// Returns the key that sorts layer labels in numeric order with `final`
/// last.
pub(crate) fn layer_sort_key(layer: &str) -> (usize, String) {
    (
        layer.parse::<usize>().unwrap_or(usize::MAX),
        layer.to_string(),
    )
}

/// Summarises records per layer, layers in numeric order with `final` last.
/// `counted` picks the metric whose counts fill `n_scored` and `n_nan`.
pub fn summarize(records: &[SampleRecord], counted: CountedMetric) -> Vec<LayerRow> {
    let mut layers: BTreeMap<(usize, String), Accumulator> = BTreeMap::new();
    for record in records {
        let accumulator = layers.entry(layer_sort_key(&record.layer)).or_default();
        accumulator.row.layer = record.layer.clone();
        accumulator.push(record);
    }
    layers
        .into_values()
        .map(|accumulator| accumulator.finish(counted))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(layer: &str, status: &str, mnn: Option<f64>, loss: Option<f64>) -> SampleRecord {
        SampleRecord {
            index: 0,
            id: "0".into(),
            layer: layer.into(),
            n_tokens: 10,
            truncated: false,
            status: status.into(),
            mnn,
            mnn_raw: mnn,
            top_d: 10,
            me: mnn,
            h_nats: mnn,
            erank: mnn,
            loss,
            tokenize_ms: 1.0,
            forward_ms: 1000.0,
            mnn_ms: 0.0,
            me_ms: 0.0,
            error: None,
        }
    }

    #[test]
    fn excluded_samples_stay_out_of_means() {
        let records = [
            record("final", "ok", Some(0.5), Some(2.0)),
            record("final", "ok", Some(0.3), Some(4.0)),
            record("final", "degenerate", None, None),
            record("final", "empty", None, None),
            record("final", "skipped", None, None),
        ];
        let rows = summarize(&records, CountedMetric::Mnn);
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!(row.n_samples, 5);
        assert_eq!(row.n_scored, 2);
        assert_eq!(row.n_nan, 1);
        assert_eq!(row.n_empty, 1);
        assert_eq!(row.n_skipped, 1);
        assert!((row.mnn_mean.unwrap() - 0.4).abs() < 1e-12);
        assert!((row.loss_mean.unwrap() - 3.0).abs() < 1e-12);
        assert!((row.ppl.unwrap() - 3f64.exp()).abs() < 1e-9);
        // Three samples reached the model: 30 tokens in 3 s.
        assert!((row.tokens_per_s.unwrap() - 10.0).abs() < 1e-9);
    }

    #[test]
    fn loss_counts_samples_with_loss() {
        let records = [
            record("final", "ok", None, Some(2.0)),
            record("final", "ok", None, None),
            record("final", "empty", None, None),
        ];
        let row = &summarize(&records, CountedMetric::Loss)[0];
        assert_eq!(row.n_scored, 1);
        assert_eq!(row.n_nan, 1);
        assert_eq!(row.n_empty, 1);
        assert_eq!(row.mnn_mean, None);
        assert!((row.loss_mean.unwrap() - 2.0).abs() < 1e-12);
    }

    #[test]
    fn layers_in_numeric_order() {
        let records = [
            record("final", "ok", Some(0.5), None),
            record("10", "ok", Some(0.5), None),
            record("2", "ok", Some(0.5), None),
        ];
        let layers: Vec<String> = summarize(&records, CountedMetric::Mnn)
            .into_iter()
            .map(|row| row.layer)
            .collect();
        assert_eq!(layers, ["2", "10", "final"]);
    }
}
