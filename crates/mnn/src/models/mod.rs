//! The model runner: hidden states of language models on the CPU (cargo
//! feature `models`).
//!
//! Every architecture implements [`HiddenStates`]: it tokenizes a text and
//! runs one forward pass, handing the f32 states of each requested layer to a
//! sink, row-major, N tokens × d hidden units, one layer at a time. Layer 0 is
//! the embedding output, layer i the output of block i, and `final` the
//! output of the final norm where the architecture has one.

pub mod bert;
pub mod gguf_llama;
pub mod gpt2;
pub mod gpt_neox;

use crate::Error;

/// The architectures the runner knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    /// Llama-family weights in a GGUF file (SmolLM2).
    LlamaGguf,
    /// BERT encoder from safetensors (all-MiniLM-L6-v2).
    Bert,
    /// GPT-2 from safetensors (Cerebras-GPT).
    Gpt2,
    /// GPT-NeoX from safetensors (Pythia).
    GptNeox,
}

/// One layer of hidden states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Layer {
    /// 0 is the embedding output, i ≥ 1 the output of block i.
    Index(usize),
    /// The output of the final norm (the last block where there is none).
    Final,
}

/// Which layers a forward pass reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerSel {
    /// Only [`Layer::Final`].
    Last,
    /// Every [`Layer::Index`] from 0 to the block count, then [`Layer::Final`].
    All,
}

/// Receives `(layer, states, n_tokens, hidden_size)`, states row-major f32.
pub type StateSink<'a> = dyn FnMut(Layer, &[f32], usize, usize) -> Result<(), Error> + 'a;

/// A loaded model that yields hidden states.
pub trait HiddenStates {
    /// The architecture of the loaded weights.
    fn arch(&self) -> Arch;

    /// The width d of every hidden state.
    fn hidden_size(&self) -> usize;

    /// The number of blocks L; layers run from 0 to L.
    fn n_layers(&self) -> usize;

    /// The longest token sequence one forward pass accepts.
    fn max_positions(&self) -> usize;

    /// Token ids for a text, with the special tokens the model adds itself.
    fn tokenize(&self, text: &str) -> Result<Vec<u32>, Error>;

    /// Runs one forward pass over `ids` and calls `sink` once per requested
    /// layer, in increasing layer order.
    fn forward(
        &mut self,
        ids: &[u32],
        layers: &LayerSel,
        sink: &mut StateSink<'_>,
    ) -> Result<(), Error>;
}
