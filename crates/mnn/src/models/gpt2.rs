//! GPT-2 (and Cerebras-GPT, which uses its layout) from a Hugging Face
//! folder: pre-LN blocks, learned positions, fused QKV in `Conv1D` layers
//! whose weights are stored `[in, out]`.
//!
//! Each block computes h = x + attn(ln_1 x), then x' = h + mlp(ln_2 h), with
//! mlp = c_proj(act(c_fc ·)). Layer 0 is wte + wpe, layer i the output of
//! block i, and `final` the output of `ln_f`. The LM head is `lm_head.weight`
//! when the checkpoint stores one, else tied to `wte` as Hugging Face's
//! `GPT2LMHeadModel` ties it.

use std::path::Path;

use candle_core::Tensor;
use serde::Deserialize;

use super::hf_config::{head_dim, model_dir, read_config, unsupported};
use super::hf_layers::{Activation, Dense, LayerNorm, attention, embed, split_heads};
use super::hf_stack::{HfStack, StackSizes};
use super::hf_tokenizer::TextTokenizer;
use super::hf_weights::Weights;
use super::{Arch, HiddenStates};
use crate::Error;

/// The `config.json` fields the forward pass reads.
#[derive(Debug, Deserialize)]
struct Gpt2Config {
    vocab_size: usize,
    n_positions: usize,
    n_embd: usize,
    n_layer: usize,
    n_head: usize,
    /// The MLP width, 4 · n_embd when null or absent.
    #[serde(default)]
    n_inner: Option<usize>,
    #[serde(default = "default_activation")]
    activation_function: String,
    #[serde(default = "default_eps")]
    layer_norm_epsilon: f64,
    #[serde(default = "default_true")]
    scale_attn_weights: bool,
    #[serde(default)]
    scale_attn_by_inverse_layer_idx: bool,
}

fn default_activation() -> String {
    "gelu_new".into()
}

fn default_eps() -> f64 {
    1e-5
}

fn default_true() -> bool {
    true
}

struct Block {
    ln_1: LayerNorm,
    c_attn: Dense,
    attn_proj: Dense,
    ln_2: LayerNorm,
    c_fc: Dense,
    mlp_proj: Dense,
    /// Factor applied to q·kᵀ.
    scale: f64,
}

/// A loaded GPT-2 model.
pub struct Gpt2 {
    config: Gpt2Config,
    activation: Activation,
    wte: Tensor,
    /// The untied `lm_head.weight` `[vocab, d]`; `None` uses `wte`.
    lm_head: Option<Tensor>,
    wpe: Tensor,
    blocks: Vec<Block>,
    ln_f: LayerNorm,
    tokenizer: TextTokenizer,
}

/// Loads the GPT-2 model folder at `path` (a file inside it also works).
///
/// # Errors
/// [`Error::Model`] for a config of another architecture or with unsupported
/// values, and for missing or misshapen tensors. [`Error::Tokenizer`] for a
/// tokenizer file that cannot be parsed.
pub fn load(path: &Path) -> Result<Box<dyn HiddenStates>, Error> {
    load_with(path, None)
}

/// Loads the GPT-2 model folder at `path` like [`load`], with `weights` in
/// place of the folder's checkpoint when given (the untrained weights of
/// [`super::init`]).
///
/// # Errors
/// As [`load`].
pub fn load_with(path: &Path, weights: Option<Weights>) -> Result<Box<dyn HiddenStates>, Error> {
    Ok(Box::new(Gpt2::load(model_dir(path), weights)?))
}

impl Gpt2 {
    fn load(dir: &Path, weights: Option<Weights>) -> Result<Self, Error> {
        let config: Gpt2Config = read_config(dir, &["gpt2"], "GPT-2")?;
        let activation = Activation::parse(&config.activation_function).ok_or_else(|| {
            unsupported(
                dir,
                format!(
                    "activation_function \"{}\" is not supported",
                    config.activation_function
                ),
                "use gelu_new, gelu_pytorch_tanh, gelu_fast, gelu or relu",
            )
        })?;
        let head_dim = head_dim(dir, config.n_embd, config.n_head)?;

        let mut weights = match weights {
            Some(weights) => weights,
            None => Weights::load(dir)?,
        };
        weights.select_prefix("wte.weight", &["", "transformer."])?;

        let d = config.n_embd;
        let blocks = (0..config.n_layer)
            .map(|i| load_block(&weights, &config, i, head_dim))
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(Self {
            activation,
            wte: weights.get("wte.weight", &[config.vocab_size, d])?,
            lm_head: weights.get_optional_root("lm_head.weight", &[config.vocab_size, d])?,
            wpe: weights.get("wpe.weight", &[config.n_positions, d])?,
            blocks,
            ln_f: LayerNorm::load(&weights, "ln_f", d, config.layer_norm_epsilon)?,
            tokenizer: TextTokenizer::load(dir, true)?,
            config,
        })
    }

    fn block_forward(&self, block: &Block, x: &Tensor) -> candle_core::Result<Tensor> {
        let d = self.config.n_embd;
        let qkv = block.c_attn.forward(&block.ln_1.forward(x)?)?;
        let heads = |offset: usize| split_heads(&qkv.narrow(1, offset, d)?, self.config.n_head);
        let attended = attention(&heads(0)?, &heads(d)?, &heads(2 * d)?, block.scale, true)?;
        let h = (x + block.attn_proj.forward(&attended)?)?;

        let inner = block.c_fc.forward(&block.ln_2.forward(&h)?)?;
        let mlp = block.mlp_proj.forward(&self.activation.forward(&inner)?)?;
        h + mlp
    }
}

fn load_block(
    weights: &Weights,
    config: &Gpt2Config,
    index: usize,
    head_dim: usize,
) -> Result<Block, Error> {
    let d = config.n_embd;
    let inner = config.n_inner.unwrap_or(4 * d);
    let eps = config.layer_norm_epsilon;
    let name = |part: &str| format!("h.{index}.{part}");

    let mut scale = 1.0;
    if config.scale_attn_weights {
        scale /= (head_dim as f64).sqrt();
    }
    if config.scale_attn_by_inverse_layer_idx {
        scale /= (index + 1) as f64;
    }

    Ok(Block {
        ln_1: LayerNorm::load(weights, &name("ln_1"), d, eps)?,
        c_attn: Dense::conv1d(weights, &name("attn.c_attn"), d, 3 * d)?,
        attn_proj: Dense::conv1d(weights, &name("attn.c_proj"), d, d)?,
        ln_2: LayerNorm::load(weights, &name("ln_2"), d, eps)?,
        c_fc: Dense::conv1d(weights, &name("mlp.c_fc"), d, inner)?,
        mlp_proj: Dense::conv1d(weights, &name("mlp.c_proj"), inner, d)?,
        scale,
    })
}

impl HfStack for Gpt2 {
    type Context = ();

    fn arch(&self) -> Arch {
        Arch::Gpt2
    }

    fn sizes(&self) -> StackSizes {
        StackSizes {
            hidden_size: self.config.n_embd,
            n_layers: self.config.n_layer,
            max_positions: self.config.n_positions,
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
        let positions = self.wpe.narrow(0, 0, ids.len())?;
        embed(&self.wte, ids).and_then(|t| t + positions)
    }

    fn run_block(&self, index: usize, x: &Tensor, _context: &()) -> candle_core::Result<Tensor> {
        self.block_forward(&self.blocks[index], x)
    }

    fn final_norm(&self, x: Tensor) -> candle_core::Result<Tensor> {
        self.ln_f.forward(&x)
    }

    fn lm_head(&self) -> Option<&Tensor> {
        Some(self.lm_head.as_ref().unwrap_or(&self.wte))
    }
}
