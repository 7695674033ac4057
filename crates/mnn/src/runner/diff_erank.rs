//! Diff-eRank records and their per-layer summary.
//!
//! Each text is scored by the untrained and the trained model, and one
//! [`DiffSample`] per layer keeps both entropies H in nats. The summary of a
//! layer is [`crate::diff_erank`] over all samples: exp(mean H_untrained) −
//! exp(mean H_trained), each mean over the samples with a finite H for that
//! model.
//!
//! ```
//! use mnn::runner::{DiffSample, summarize_diff};
//!
//! let sample = |index, h_untrained, h_trained| DiffSample {
//!     index,
//!     id: index.to_string(),
//!     layer: "final".into(),
//!     n_tokens: 12,
//!     truncated: false,
//!     status: "ok".into(),
//!     h_untrained: Some(h_untrained),
//!     h_trained: Some(h_trained),
//!     error: None,
//! };
//! let rows = summarize_diff(&[sample(0, 2.0, 1.0), sample(1, 3.0, 2.0)]);
//! let diff = rows[0].diff.unwrap();
//! assert!((diff.diff - (2.5f64.exp() - 1.5f64.exp())).abs() < 1e-12);
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::SampleRecord;
use super::summary::layer_sort_key;
use crate::metrics::diff_erank::nan_mean;
use crate::{DiffErank, diff_erank};

/// One line of a Diff-eRank `samples.jsonl`: one text at one layer. NaN and
/// values not computed are `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiffSample {
    /// The zero-based line index among the non-blank input lines.
    pub index: usize,
    /// The row's `id` field when it has one, otherwise the index.
    pub id: String,
    /// `"0"` … `"L"` or `"final"`.
    pub layer: String,
    /// The number of tokens the trained model scored, after truncation.
    pub n_tokens: usize,
    /// Whether the text had more tokens than the token limit.
    pub truncated: bool,
    /// `ok` when both models gave a finite H, otherwise the first status
    /// other than `ok` of the trained, then the untrained model (`empty`,
    /// `degenerate`, `non_finite` or `skipped`).
    pub status: String,
    /// The Matrix Entropy H in nats of the untrained model.
    pub h_untrained: Option<f64>,
    /// The Matrix Entropy H in nats of the trained model.
    pub h_trained: Option<f64>,
    /// The error message of a skipped sample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl DiffSample {
    /// Joins the records of one text at one layer from both models.
    pub fn join(untrained: &SampleRecord, trained: &SampleRecord) -> Self {
        let status = [trained, untrained]
            .into_iter()
            .map(|record| record.status.as_str())
            .find(|status| *status != "ok")
            .unwrap_or("ok");
        Self {
            index: trained.index,
            id: trained.id.clone(),
            layer: trained.layer.clone(),
            n_tokens: trained.n_tokens,
            truncated: trained.truncated,
            status: status.to_string(),
            h_untrained: untrained.h_nats,
            h_trained: trained.h_nats,
            error: trained.error.clone().or_else(|| untrained.error.clone()),
        }
    }
}

/// One row of the Diff-eRank `summary.csv`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DiffLayerRow {
    /// `"0"` … `"L"` or `"final"`.
    pub layer: String,
    /// The number of sample records at this layer.
    pub n_samples: usize,
    /// The samples with a finite H for both models.
    pub n_scored: usize,
    /// The samples with no tokens.
    pub n_empty: usize,
    /// Degenerate (one token), non-finite and skipped samples.
    pub n_excluded: usize,
    /// Mean token count over the samples that reached the trained model.
    pub mean_tokens: Option<f64>,
    /// The mean H in nats of the untrained model over its finite samples.
    pub h_mean_untrained: Option<f64>,
    /// The mean H in nats of the trained model over its finite samples.
    pub h_mean_trained: Option<f64>,
    /// Both dataset effective ranks and their difference, `None` when either
    /// model has no finite H at this layer.
    #[serde(flatten)]
    pub diff: Option<DiffErank>,
}

/// Summarises Diff-eRank records per layer, layers in numeric order with
/// `final` last.
pub fn summarize_diff(records: &[DiffSample]) -> Vec<DiffLayerRow> {
    let mut layers: BTreeMap<(usize, String), Vec<&DiffSample>> = BTreeMap::new();
    for record in records {
        layers
            .entry(layer_sort_key(&record.layer))
            .or_default()
            .push(record);
    }
    layers
        .into_iter()
        .map(|((_, layer), samples)| summarize_layer(layer, &samples))
        .collect()
}

fn summarize_layer(layer: String, samples: &[&DiffSample]) -> DiffLayerRow {
    let h_untrained: Vec<f64> = samples
        .iter()
        .map(|sample| sample.h_untrained.unwrap_or(f64::NAN))
        .collect();
    let h_trained: Vec<f64> = samples
        .iter()
        .map(|sample| sample.h_trained.unwrap_or(f64::NAN))
        .collect();
    let forwarded: Vec<usize> = samples
        .iter()
        .filter(|sample| !matches!(sample.status.as_str(), "empty" | "skipped"))
        .map(|sample| sample.n_tokens)
        .collect();
    let n_empty = samples.iter().filter(|s| s.status == "empty").count();
    let n_scored = samples.iter().filter(|s| s.status == "ok").count();
    DiffLayerRow {
        layer,
        n_samples: samples.len(),
        n_scored,
        n_empty,
        n_excluded: samples.len() - n_scored - n_empty,
        mean_tokens: (!forwarded.is_empty())
            .then(|| forwarded.iter().sum::<usize>() as f64 / forwarded.len() as f64),
        h_mean_untrained: nan_mean(&h_untrained).mean(),
        h_mean_trained: nan_mean(&h_trained).mean(),
        diff: diff_erank(&h_untrained, &h_trained),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(layer: &str, status: &str, h: Option<(f64, f64)>) -> DiffSample {
        DiffSample {
            index: 0,
            id: "0".into(),
            layer: layer.into(),
            n_tokens: 10,
            truncated: false,
            status: status.into(),
            h_untrained: h.map(|(u, _)| u),
            h_trained: h.map(|(_, t)| t),
            error: None,
        }
    }

    #[test]
    fn excluded_samples_stay_out_of_diff() {
        let records = [
            sample("final", "ok", Some((3.0, 1.0))),
            sample("final", "ok", Some((4.0, 2.0))),
            sample("final", "degenerate", None),
            sample("final", "empty", None),
        ];
        let row = &summarize_diff(&records)[0];
        assert_eq!(row.n_samples, 4);
        assert_eq!(row.n_scored, 2);
        assert_eq!(row.n_empty, 1);
        assert_eq!(row.n_excluded, 1);
        assert_eq!(row.mean_tokens, Some(10.0));
        let diff = row.diff.unwrap();
        assert_eq!(diff.n_untrained, 2);
        assert!((diff.diff - (3.5f64.exp() - 1.5f64.exp())).abs() < 1e-12);
        assert_eq!(row.h_mean_untrained, Some(3.5));
    }

    #[test]
    fn layer_without_scores_has_no_diff() {
        let row = &summarize_diff(&[sample("0", "skipped", None)])[0];
        assert_eq!(row.diff, None);
        assert_eq!(row.mean_tokens, None);
    }

    #[test]
    fn join_takes_first_failed_status() {
        let record = |status: &str, h: Option<f64>| SampleRecord {
            index: 2,
            id: "two".into(),
            layer: "final".into(),
            n_tokens: 5,
            truncated: false,
            status: status.into(),
            mnn: None,
            mnn_raw: None,
            top_d: 0,
            me: None,
            h_nats: h,
            erank: None,
            loss: None,
            tokenize_ms: 0.0,
            forward_ms: 0.0,
            mnn_ms: 0.0,
            me_ms: 0.0,
            error: None,
        };
        let joined = DiffSample::join(&record("non_finite", None), &record("ok", Some(1.5)));
        assert_eq!(joined.status, "non_finite");
        assert_eq!(joined.h_trained, Some(1.5));
        assert_eq!(joined.h_untrained, None);
        let both = DiffSample::join(&record("ok", Some(2.5)), &record("ok", Some(1.5)));
        assert_eq!(both.status, "ok");
        assert_eq!(both.id, "two");
    }
}
