//! Diff-eRank: erank(untrained model) − erank(trained model) on the same texts.
//!
//! At dataset level each model's erank is exp of its mean entropy H over
//! samples (NaN samples excluded), and the difference is taken afterwards.
//! Trained models usually compress their representations, so the value is
//! expected to be positive.

use serde::Serialize;

use crate::metrics::aggregate::NanMean;

/// Dataset effective ranks of both models and their difference.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DiffErank {
    pub erank_untrained: f64,
    pub erank_trained: f64,
    /// erank_untrained − erank_trained.
    pub diff: f64,
    /// Samples with a finite H for the untrained and the trained model.
    pub n_untrained: usize,
    pub n_trained: usize,
}

/// Computes Diff-eRank from per-sample entropies in nats. A single pair of
/// samples gives exp(H_u) − exp(H_t).
///
/// Returns `None` when either model has no finite entropy.
pub fn diff_erank(h_untrained: &[f64], h_trained: &[f64]) -> Option<DiffErank> {
    let untrained = nan_mean(h_untrained);
    let trained = nan_mean(h_trained);
    let erank_untrained = untrained.mean()?.exp();
    let erank_trained = trained.mean()?.exp();
    Some(DiffErank {
        erank_untrained,
        erank_trained,
        diff: erank_untrained - erank_trained,
        n_untrained: untrained.n_scored,
        n_trained: trained.n_scored,
    })
}

/// Collects `values` into a [`NanMean`], which skips the NaN ones.
pub fn nan_mean(values: &[f64]) -> NanMean {
    let mut mean = NanMean::default();
    for &value in values {
        mean.push(value);
    }
    mean
}
