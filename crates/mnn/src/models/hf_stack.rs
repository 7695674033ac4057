//! The forward loop shared by the Hugging Face architectures (BERT, GPT-2,
//! GPT-NeoX): embed the tokens, run the blocks in order, apply the final norm.
//!
//! An architecture implements [`HfStack`] (its embedding, one block and its
//! final norm), and [`HiddenStates`] follows from it: layer 0 is the
//! embedding output, layer i the output of block i, and `final` the output of
//! [`HfStack::final_norm`].

use candle_core::Tensor;

use super::hf_layers::{check_ids, emit, forward_error};
use super::hf_tokenizer::TextTokenizer;
use super::{Arch, HiddenStates, Layer, LayerSel, StateSink};
use crate::Error;

/// The sizes of a loaded model that the shared forward loop checks against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StackSizes {
    /// The width d of every hidden state.
    pub hidden_size: usize,
    /// The number of blocks L.
    pub n_layers: usize,
    /// The max number of tokens of one forward pass.
    pub max_positions: usize,
    /// The number of rows of the token embedding.
    pub vocab_size: usize,
}

/// The parts of a Hugging Face transformer that differ between
/// architectures.
pub trait HfStack {
    /// Per-forward constants that depend on the token count only (rotary
    /// tables, for example), `()` for architectures without any.
    type Context;

    /// Returns the architecture of the loaded weights.
    fn arch(&self) -> Arch;

    /// Returns the sizes read from `config.json`.
    fn sizes(&self) -> StackSizes;

    /// Returns the tokenizer of the model folder.
    fn tokenizer(&self) -> &TextTokenizer;

    /// Computes the per-forward constants for `n_tokens` tokens.
    fn context(&self, n_tokens: usize) -> candle_core::Result<Self::Context>;

    /// Returns the embedding output `[tokens, hidden]` (layer 0).
    fn embed_tokens(&self, ids: &[u32]) -> candle_core::Result<Tensor>;

    /// Runs block `index` (0-based) on `x`.
    fn run_block(
        &self,
        index: usize,
        x: &Tensor,
        context: &Self::Context,
    ) -> candle_core::Result<Tensor>;

    /// Applies the final norm, or returns `x` unchanged for an architecture
    /// without one.
    fn final_norm(&self, x: Tensor) -> candle_core::Result<Tensor>;

    /// Returns the LM head `[vocab, hidden]` of a causal model, `None` for an
    /// encoder or a checkpoint saved without one.
    fn lm_head(&self) -> Option<&Tensor> {
        None
    }
}

impl<T: HfStack> HiddenStates for T {
    fn arch(&self) -> Arch {
        HfStack::arch(self)
    }

    fn hidden_size(&self) -> usize {
        self.sizes().hidden_size
    }

    fn n_layers(&self) -> usize {
        self.sizes().n_layers
    }

    fn max_positions(&self) -> usize {
        self.sizes().max_positions
    }

    fn check_tokenizer(&self) -> Result<(), Error> {
        self.tokenizer().check()
    }

    fn vocab_size(&self) -> Option<usize> {
        Some(self.sizes().vocab_size)
    }

    fn tokenizer_max_id(&self) -> Option<u32> {
        self.tokenizer().max_id()
    }

    fn tokenize(&self, text: &str) -> Result<Vec<u32>, Error> {
        self.tokenizer().encode(text)
    }

    fn forward(
        &mut self,
        ids: &[u32],
        layers: &LayerSel,
        sink: &mut StateSink<'_>,
    ) -> Result<(), Error> {
        let sizes = self.sizes();
        check_ids(ids, sizes.max_positions, sizes.vocab_size)?;
        let all = *layers == LayerSel::All;
        let context = self.context(ids.len()).map_err(forward_error)?;

        let mut x = self.embed_tokens(ids).map_err(forward_error)?;
        if all {
            emit(sink, Layer::Index(0), &x)?;
        }

        for i in 0..sizes.n_layers {
            x = self.run_block(i, &x, &context).map_err(forward_error)?;
            if all {
                emit(sink, Layer::Index(i + 1), &x)?;
            }
        }

        let last = self.final_norm(x).map_err(forward_error)?;
        emit(sink, Layer::Final, &last)
    }

    fn mean_next_token_nll(&self, ids: &[u32], final_states: &[f32]) -> Option<Result<f64, Error>> {
        let head = self.lm_head()?;
        super::lm_head::mean_next_token_nll(head, ids, final_states).transpose()
    }

    fn has_loss(&self) -> bool {
        self.lm_head().is_some()
    }
}
