//! BERT encoders (all-MiniLM-L6-v2) from a Hugging Face folder: post-LN
//! blocks over the whole sequence, no attention mask (batch 1, no padding),
//! and token type 0 for every position.
//!
//! Layer 0 is the embedding output LN(word + position + token type 0), layer
//! i the output of block i, and `final` the same as layer L (BERT has no
//! final norm). No pooling is applied.

use std::path::Path;

use candle_core::Tensor;
use serde::Deserialize;

use super::hf_config::{head_dim, model_dir, read_config, unsupported};
use super::hf_layers::{
    Activation, Dense, LayerNorm, attention, embed, forward_error, split_heads,
};
use super::hf_stack::{HfStack, StackSizes};
use super::hf_tokenizer::TextTokenizer;
use super::hf_weights::Weights;
use super::{Arch, HiddenStates};
use crate::Error;

/// The `config.json` fields the forward pass reads.
#[derive(Debug, Deserialize)]
struct BertConfig {
    vocab_size: usize,
    hidden_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    intermediate_size: usize,
    #[serde(default = "default_activation")]
    hidden_act: String,
    #[serde(default = "default_positions")]
    max_position_embeddings: usize,
    #[serde(default = "default_type_vocab")]
    type_vocab_size: usize,
    #[serde(default = "default_eps")]
    layer_norm_eps: f64,
    #[serde(default = "default_position_type")]
    position_embedding_type: String,
}

fn default_activation() -> String {
    "gelu".into()
}

fn default_positions() -> usize {
    512
}

fn default_type_vocab() -> usize {
    2
}

fn default_eps() -> f64 {
    1e-12
}

fn default_position_type() -> String {
    "absolute".into()
}

struct Block {
    query: Dense,
    key: Dense,
    value: Dense,
    attn_output: Dense,
    attn_norm: LayerNorm,
    intermediate: Dense,
    output: Dense,
    output_norm: LayerNorm,
}

/// A loaded BERT encoder.
pub struct Bert {
    config: BertConfig,
    activation: Activation,
    /// 1/√head_dim.
    scale: f64,
    word_embeddings: Tensor,
    position_embeddings: Tensor,
    /// Row 0 of the token-type table, added at every position.
    token_type_0: Tensor,
    embedding_norm: LayerNorm,
    blocks: Vec<Block>,
    tokenizer: TextTokenizer,
}

/// Loads the BERT model folder at `path` (a file inside it also works).
///
/// # Errors
/// [`Error::Model`] for a config of another architecture or with unsupported
/// values, and for missing or misshapen tensors. [`Error::Tokenizer`] for a
/// tokenizer file that cannot be parsed.
pub fn load(path: &Path) -> Result<Box<dyn HiddenStates>, Error> {
    load_with(path, None)
}

/// Loads the BERT model folder at `path` like [`load`], with `weights` in
/// place of the folder's checkpoint when given (the untrained weights of
/// [`super::init`]).
///
/// # Errors
/// As [`load`].
pub fn load_with(path: &Path, weights: Option<Weights>) -> Result<Box<dyn HiddenStates>, Error> {
    Ok(Box::new(Bert::load(model_dir(path), weights)?))
}

impl Bert {
    fn load(dir: &Path, weights: Option<Weights>) -> Result<Self, Error> {
        let config: BertConfig = read_config(dir, &["bert"], "BERT")?;
        let activation = Activation::parse(&config.hidden_act).ok_or_else(|| {
            unsupported(
                dir,
                format!("hidden_act \"{}\" is not supported", config.hidden_act),
                "use gelu, gelu_new, gelu_pytorch_tanh, gelu_fast or relu",
            )
        })?;
        if config.position_embedding_type != "absolute" {
            return Err(unsupported(
                dir,
                format!(
                    "position_embedding_type \"{}\" is not supported",
                    config.position_embedding_type
                ),
                "use a model with absolute position embeddings",
            ));
        }
        let head_dim = head_dim(dir, config.hidden_size, config.num_attention_heads)?;

        let mut weights = match weights {
            Some(weights) => weights,
            None => Weights::load(dir)?,
        };
        weights.select_prefix("embeddings.word_embeddings.weight", &["", "bert."])?;

        let d = config.hidden_size;
        let token_types = weights.get(
            "embeddings.token_type_embeddings.weight",
            &[config.type_vocab_size, d],
        )?;
        let blocks = (0..config.num_hidden_layers)
            .map(|i| load_block(&weights, &config, i))
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(Self {
            activation,
            scale: 1.0 / (head_dim as f64).sqrt(),
            word_embeddings: weights
                .get("embeddings.word_embeddings.weight", &[config.vocab_size, d])?,
            position_embeddings: weights.get(
                "embeddings.position_embeddings.weight",
                &[config.max_position_embeddings, d],
            )?,
            token_type_0: token_types.get(0).map_err(forward_error)?,
            embedding_norm: LayerNorm::load(
                &weights,
                "embeddings.LayerNorm",
                d,
                config.layer_norm_eps,
            )?,
            blocks,
            tokenizer: TextTokenizer::load(dir, false)?,
            config,
        })
    }

    fn embed(&self, ids: &[u32]) -> candle_core::Result<Tensor> {
        let positions = self.position_embeddings.narrow(0, 0, ids.len())?;
        let sum = (embed(&self.word_embeddings, ids)? + positions)?;
        self.embedding_norm
            .forward(&sum.broadcast_add(&self.token_type_0)?)
    }

    fn block_forward(&self, block: &Block, x: &Tensor) -> candle_core::Result<Tensor> {
        let n_heads = self.config.num_attention_heads;
        let q = split_heads(&block.query.forward(x)?, n_heads)?;
        let k = split_heads(&block.key.forward(x)?, n_heads)?;
        let v = split_heads(&block.value.forward(x)?, n_heads)?;
        let attended = attention(&q, &k, &v, self.scale, false)?;
        let h = block
            .attn_norm
            .forward(&(block.attn_output.forward(&attended)? + x)?)?;

        let inner = self.activation.forward(&block.intermediate.forward(&h)?)?;
        block
            .output_norm
            .forward(&(block.output.forward(&inner)? + h)?)
    }
}

fn load_block(weights: &Weights, config: &BertConfig, index: usize) -> Result<Block, Error> {
    let d = config.hidden_size;
    let inner = config.intermediate_size;
    let eps = config.layer_norm_eps;
    let name = |part: &str| format!("encoder.layer.{index}.{part}");

    Ok(Block {
        query: Dense::linear(weights, &name("attention.self.query"), d, d, true)?,
        key: Dense::linear(weights, &name("attention.self.key"), d, d, true)?,
        value: Dense::linear(weights, &name("attention.self.value"), d, d, true)?,
        attn_output: Dense::linear(weights, &name("attention.output.dense"), d, d, true)?,
        attn_norm: LayerNorm::load(weights, &name("attention.output.LayerNorm"), d, eps)?,
        intermediate: Dense::linear(weights, &name("intermediate.dense"), d, inner, true)?,
        output: Dense::linear(weights, &name("output.dense"), inner, d, true)?,
        output_norm: LayerNorm::load(weights, &name("output.LayerNorm"), d, eps)?,
    })
}

impl HfStack for Bert {
    type Context = ();

    fn arch(&self) -> Arch {
        Arch::Bert
    }

    fn sizes(&self) -> StackSizes {
        StackSizes {
            hidden_size: self.config.hidden_size,
            n_layers: self.config.num_hidden_layers,
            max_positions: self.config.max_position_embeddings,
            vocab_size: self.config.vocab_size,
        }
    }

    fn tokenizer(&self) -> &TextTokenizer {
        &self.tokenizer
    }

    fn context(&self, _n_tokens: usize) -> candle_core::Result<()> {
        Ok(())
    }

    fn embed_tokens(&self, ids: &[u32]) -> candle_core::Result<Tensor> {
        self.embed(ids)
    }

    fn run_block(&self, index: usize, x: &Tensor, _context: &()) -> candle_core::Result<Tensor> {
        self.block_forward(&self.blocks[index], x)
    }

    /// BERT has no final norm, so `final` is the output of the last block.
    fn final_norm(&self, x: Tensor) -> candle_core::Result<Tensor> {
        Ok(x)
    }
}
