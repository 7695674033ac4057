//! Dataset aggregation that never lets a NaN sample poison a mean.
//!
//! The dataset score is the mean over samples with a finite value. Degenerate
//! or non-finite samples are counted in `n_nan`, and empty texts in `n_empty`.
//! Neither enters the mean. The reference code scored empty responses as −1
//! and averaged them in, which these types do not do.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::score::{Scores, Status};

/// Running mean over finite values, with counts of what was excluded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct NanMean {
    sum: f64,
    /// Number of finite values in the mean.
    pub n_scored: usize,
    /// Number of NaN or infinite values excluded.
    pub n_nan: usize,
    /// Number of empty samples excluded.
    pub n_empty: usize,
}

impl NanMean {
    /// Adds one sample value; a non-finite value is counted, not summed.
    pub fn push(&mut self, value: f64) {
        if value.is_finite() {
            self.sum += value;
            self.n_scored += 1;
        } else {
            self.n_nan += 1;
        }
    }

    /// Counts one empty sample (a text with no tokens).
    pub fn push_empty(&mut self) {
        self.n_empty += 1;
    }

    /// Mean of the finite values, or `None` when there are none.
    pub fn mean(&self) -> Option<f64> {
        (self.n_scored > 0).then(|| self.sum / self.n_scored as f64)
    }

    /// Number of samples excluded from the mean.
    pub fn excluded(&self) -> usize {
        self.n_nan + self.n_empty
    }
}

/// Dataset means of one layer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LayerSummary {
    pub mnn: NanMean,
    pub me: NanMean,
    pub h_nats: NanMean,
    /// Sum of token counts over scored and degenerate samples.
    pub tokens: usize,
}

impl LayerSummary {
    /// exp(mean H): the dataset effective rank, as Diff-eRank aggregates it.
    pub fn erank_of_mean_h(&self) -> Option<f64> {
        self.h_nats.mean().map(f64::exp)
    }
}

/// Per-layer dataset means, keyed by layer label (`"0"`, `"12"`, `"final"`),
/// built one sample and one layer at a time so that no layer is held.
#[derive(Debug, Clone, Default)]
pub struct LayerProfile {
    layers: BTreeMap<String, LayerSummary>,
}

impl LayerProfile {
    /// Adds the scores of one sample at one layer.
    pub fn push(&mut self, layer: &str, scores: &Scores) {
        let summary = self.layers.entry(layer.to_string()).or_default();
        if scores.status == Status::Empty {
            summary.mnn.push_empty();
            summary.me.push_empty();
            summary.h_nats.push_empty();
            return;
        }
        summary.tokens += scores.n_input;
        summary.mnn.push(scores.mnn);
        summary.me.push(scores.me);
        summary.h_nats.push(scores.h_nats);
    }

    /// Summary of one layer.
    pub fn get(&self, layer: &str) -> Option<&LayerSummary> {
        self.layers.get(layer)
    }

    /// Iterates over the layers in label order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &LayerSummary)> {
        self.layers
            .iter()
            .map(|(label, summary)| (label.as_str(), summary))
    }
}
