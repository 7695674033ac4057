//! Scoring texts end to end: tokenize, run the model, score every requested
//! layer, and aggregate per layer (cargo feature `models`).
//!
//! A text that cannot be scored never stops the run. An empty text (nothing
//! but whitespace, or no tokens) is recorded with status `empty`, a one-token
//! text is `degenerate` (no rows left after centring), and a tokenizer or
//! forward failure is `skipped` with the error message. None of them enters
//! the means.

mod diff_erank;
mod summary;

use std::time::Instant;

use serde::{Deserialize, Serialize};

pub use diff_erank::{DiffLayerRow, DiffSample, summarize_diff};
pub use summary::{CountedMetric, LayerRow, summarize};

use crate::io::texts::TextRow;
use crate::models::{HiddenStates, Layer, LayerSel};
use crate::{Error, MatrixView, MetricOpts, Scores, Status, score_matrix};

/// Options of one scoring run, validated by [`ScoreParams::check`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreParams {
    /// The max number of tokens kept per text (the first ones), clamped to the
    /// model's limit.
    pub max_tokens: usize,
    /// Report every layer, or only `final`.
    pub all_layers: bool,
    /// Compute the mean next-token loss of causal models.
    pub loss: bool,
}

/// Validated [`ScoreParams`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreOpts(ScoreParams);

impl ScoreParams {
    /// Validates the options.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParam`] for `max_tokens = 0`.
    pub fn check(self) -> Result<ScoreOpts, Error> {
        if self.max_tokens == 0 {
            return Err(Error::InvalidParam {
                name: "max_tokens",
                value: "0".into(),
                fix: "use a positive token count such as 2048".into(),
            });
        }
        Ok(ScoreOpts(self))
    }
}

impl ScoreOpts {
    /// Returns the validated options.
    pub fn params(&self) -> &ScoreParams {
        &self.0
    }
}

/// One line of `samples.jsonl`: one sample at one layer. NaN is `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleRecord {
    /// The zero-based line index among the non-blank input lines.
    pub index: usize,
    /// The row's `id` field when it has one, otherwise the index.
    pub id: String,
    /// `"0"` … `"L"` or `"final"`.
    pub layer: String,
    /// The number of tokens scored, after truncation.
    pub n_tokens: usize,
    /// Whether the text had more tokens than the token limit.
    pub truncated: bool,
    /// `ok`, `degenerate`, `non_finite`, `empty` or `skipped`.
    pub status: String,
    /// The MNN score: `mnn_raw` / N_eff unless another MNN normalisation is set.
    pub mnn: Option<f64>,
    /// The sum of the D largest column norms of the normalised states.
    pub mnn_raw: Option<f64>,
    /// The number D of column norms summed into `mnn_raw`.
    pub top_d: usize,
    /// The Matrix Entropy H / ln d.
    pub me: Option<f64>,
    /// The Matrix Entropy in nats.
    pub h_nats: Option<f64>,
    /// The effective rank exp(H).
    pub erank: Option<f64>,
    /// Mean next-token NLL in nats (on the `final` line of causal models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<f64>,
    /// The wall time of tokenization in milliseconds.
    pub tokenize_ms: f64,
    /// The wall time of the forward pass in milliseconds.
    pub forward_ms: f64,
    /// The wall time of the MNN score in milliseconds.
    pub mnn_ms: f64,
    /// The wall time of the Matrix Entropy in milliseconds.
    pub me_ms: f64,
    /// The error message of a skipped sample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Returns the label of a layer in records and summaries.
pub fn layer_label(layer: Layer) -> String {
    match layer {
        Layer::Index(i) => i.to_string(),
        Layer::Final => "final".to_string(),
    }
}

fn finite(value: f64) -> Option<f64> {
    value.is_finite().then_some(value)
}

fn status_name(status: Status) -> &'static str {
    match status {
        Status::Ok => "ok",
        Status::Degenerate => "degenerate",
        Status::NonFinite => "non_finite",
        Status::Empty => "empty",
    }
}

/// A runner bound to one model and one set of options.
pub struct Scorer<'a> {
    model: &'a mut dyn HiddenStates,
    /// `None` scores no hidden-state metric (a loss-only run).
    metrics: Option<MetricOpts>,
    opts: ScoreOpts,
    max_tokens: usize,
}

impl<'a> Scorer<'a> {
    /// Binds `model`, clamping `max_tokens` to the model's limit. The clamp
    /// is logged at info level, because the command-line default of 2048 is
    /// above the limit of models such as MiniLM. The commands warn only for
    /// an explicit `--max-tokens`.
    pub fn new(model: &'a mut dyn HiddenStates, metrics: MetricOpts, opts: ScoreOpts) -> Self {
        Self::with_metrics(model, Some(metrics), opts)
    }

    /// Binds `model` like [`Scorer::new`]. With `metrics = None` only the
    /// loss is computed, if `opts` requests it, and records carry status `ok`
    /// without metric values.
    pub fn with_metrics(
        model: &'a mut dyn HiddenStates,
        metrics: Option<MetricOpts>,
        opts: ScoreOpts,
    ) -> Self {
        let requested = opts.params().max_tokens;
        let limit = model.max_positions();
        if requested > limit {
            tracing::info!(
                requested,
                limit,
                "max_tokens is above the model limit, so it is clamped"
            );
        }
        Self {
            model,
            metrics,
            opts,
            max_tokens: requested.min(limit),
        }
    }

    /// Returns the token limit in force after clamping.
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    fn layers(&self) -> Vec<Layer> {
        let mut layers = Vec::new();
        if self.opts.params().all_layers {
            layers.extend((0..=self.model.n_layers()).map(Layer::Index));
        }
        layers.push(Layer::Final);
        layers
    }

    /// Scores one text and returns one record per requested layer. Failures
    /// of the tokenizer or the forward pass become `skipped` records.
    pub fn score(&mut self, row: &TextRow) -> Vec<SampleRecord> {
        // Decided on the text, because tokenizers such as BERT's add special
        // tokens ([CLS], [SEP]) even to an empty string.
        if row.text.trim().is_empty() {
            return self.empty(row, 0.0);
        }
        let start = Instant::now();
        let ids = match self.model.tokenize(&row.text) {
            Ok(ids) => ids,
            Err(error) => return self.skipped(row, 0, false, &error),
        };
        let tokenize_ms = start.elapsed().as_secs_f64() * 1e3;
        let (ids, truncated) = match self.truncate(ids) {
            Ok(cut) => cut,
            Err(error) => return self.skipped(row, 0, false, &error),
        };
        let ids = &ids[..];
        if ids.is_empty() {
            return self.empty(row, tokenize_ms);
        }

        match self.forward(row, ids, truncated) {
            Ok(mut records) => {
                for record in &mut records {
                    record.tokenize_ms = tokenize_ms;
                }
                records
            }
            Err(error) => self.skipped(row, ids.len(), truncated, &error),
        }
    }

    /// Cuts `ids` at `--max-tokens`, keeping the special tokens the
    /// tokenizer appends (BERT's `[SEP]`), as `mnn tokenize` does.
    fn truncate(&self, mut ids: Vec<u32>) -> Result<(Vec<u32>, bool), Error> {
        if ids.len() <= self.max_tokens {
            return Ok((ids, false));
        }
        let n_trailing = self.model.count_trailing_specials()?;
        let truncated =
            crate::models::truncation::truncate_ids(&mut ids, self.max_tokens, n_trailing);
        Ok((ids, truncated))
    }

    fn forward(
        &mut self,
        row: &TextRow,
        ids: &[u32],
        truncated: bool,
    ) -> Result<Vec<SampleRecord>, Error> {
        let selection = if self.opts.params().all_layers {
            LayerSel::All
        } else {
            LayerSel::Last
        };
        let want_loss = self.opts.params().loss;
        let metrics = self.metrics;
        let mut records = Vec::new();
        let mut final_states = Vec::new();
        let mut metric_ms = 0.0;
        let start = Instant::now();

        let mut sink = |layer: Layer, states: &[f32], n: usize, d: usize| -> Result<(), Error> {
            let metric_start = Instant::now();
            let scores = match &metrics {
                Some(metrics) => score_states(states, n, d, metrics)?,
                None => unscored(n, d),
            };
            metric_ms += metric_start.elapsed().as_secs_f64() * 1e3;
            records.push(record_of(row, layer, &scores, truncated));
            if want_loss && layer == Layer::Final {
                final_states = states.to_vec();
            }
            Ok(())
        };
        self.model.forward(ids, &selection, &mut sink)?;
        let forward_ms = start.elapsed().as_secs_f64() * 1e3 - metric_ms;

        for record in &mut records {
            record.forward_ms = forward_ms;
        }
        if want_loss {
            let loss = self
                .model
                .mean_next_token_nll(ids, &final_states)
                .transpose()?;
            if let Some(last) = records.last_mut() {
                last.loss = loss.and_then(finite);
            }
        }
        Ok(records)
    }

    fn empty(&self, row: &TextRow, tokenize_ms: f64) -> Vec<SampleRecord> {
        let scores = Scores::empty(self.model.hidden_size());
        self.layers()
            .into_iter()
            .map(|layer| {
                let mut record = record_of(row, layer, &scores, false);
                record.tokenize_ms = tokenize_ms;
                record
            })
            .collect()
    }

    fn skipped(
        &self,
        row: &TextRow,
        n_tokens: usize,
        truncated: bool,
        error: &Error,
    ) -> Vec<SampleRecord> {
        tracing::warn!(index = row.index, id = %row.id, %error, "sample skipped");
        let scores = Scores::empty(self.model.hidden_size());
        self.layers()
            .into_iter()
            .map(|layer| {
                let mut record = record_of(row, layer, &scores, truncated);
                record.n_tokens = n_tokens;
                record.status = "skipped".into();
                record.error = Some(error.to_string());
                record
            })
            .collect()
    }
}

/// Scores one layer's states. A non-finite state gives status `non_finite`.
fn score_states(states: &[f32], n: usize, d: usize, metrics: &MetricOpts) -> Result<Scores, Error> {
    let view = MatrixView::from_rows_f32(states, n, d)?;
    match score_matrix(view, metrics) {
        Err(Error::NonFinite { .. }) => {
            let mut scores = Scores::empty(d);
            scores.n_input = n;
            scores.status = Status::NonFinite;
            Ok(scores)
        }
        other => other,
    }
}

/// Scores of a layer with no metric selected: the token count and status
/// `ok`, every value NaN.
fn unscored(n: usize, d: usize) -> Scores {
    let mut scores = Scores::empty(d);
    scores.n_input = n;
    scores.n_eff = n;
    scores.top_d = 0;
    scores.status = Status::Ok;
    scores
}

fn record_of(row: &TextRow, layer: Layer, scores: &Scores, truncated: bool) -> SampleRecord {
    SampleRecord {
        index: row.index,
        id: row.id.clone(),
        layer: layer_label(layer),
        n_tokens: scores.n_input,
        truncated,
        status: status_name(scores.status).into(),
        mnn: finite(scores.mnn),
        mnn_raw: finite(scores.mnn_raw),
        top_d: scores.top_d,
        me: finite(scores.me),
        h_nats: finite(scores.h_nats),
        erank: finite(scores.erank),
        loss: None,
        tokenize_ms: 0.0,
        forward_ms: 0.0,
        mnn_ms: scores.timing.mnn_ms,
        me_ms: scores.timing.me_ms,
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MetricParams;

    /// A model whose tokenizer wraps every text in two special tokens, as
    /// BERT's adds [CLS] and [SEP], and whose states are distinct per token.
    struct SpecialTokenModel;

    impl HiddenStates for SpecialTokenModel {
        fn arch(&self) -> crate::models::Arch {
            crate::models::Arch::Bert
        }

        fn hidden_size(&self) -> usize {
            3
        }

        fn n_layers(&self) -> usize {
            1
        }

        fn max_positions(&self) -> usize {
            64
        }

        fn tokenize(&self, text: &str) -> Result<Vec<u32>, Error> {
            let mut ids = vec![101];
            ids.extend(text.bytes().map(u32::from));
            ids.push(102);
            Ok(ids)
        }

        fn forward(
            &mut self,
            ids: &[u32],
            _layers: &LayerSel,
            sink: &mut crate::models::StateSink<'_>,
        ) -> Result<(), Error> {
            let states: Vec<f32> = (0..ids.len() * 3)
                .map(|i| ((i * i) % 7) as f32 + i as f32 * 0.1)
                .collect();
            sink(Layer::Final, &states, ids.len(), 3)
        }
    }

    fn score_text(text: &str) -> SampleRecord {
        let mut model = SpecialTokenModel;
        let metrics = MetricParams::default().check().unwrap();
        let params = ScoreParams {
            max_tokens: 64,
            all_layers: false,
            loss: false,
        };
        let mut scorer = Scorer::new(&mut model, metrics, params.check().unwrap());
        let row = TextRow {
            index: 0,
            id: "0".into(),
            text: text.into(),
        };
        scorer.score(&row).remove(0)
    }

    #[test]
    fn blank_texts_are_empty_despite_special_tokens() {
        for text in ["", "   ", "\n\t"] {
            let record = score_text(text);
            assert_eq!(record.status, "empty", "{text:?}");
            assert_eq!(record.n_tokens, 0, "{text:?}");
            assert_eq!(record.mnn, None, "{text:?}");
        }
    }

    #[test]
    fn text_with_content_is_scored() {
        let record = score_text("abc");
        assert_eq!(record.status, "ok");
        assert_eq!(record.n_tokens, 5);
        assert!(record.mnn.is_some_and(|mnn| mnn > 0.0));
    }
}
