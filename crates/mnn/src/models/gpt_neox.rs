//! GPT-NeoX (Pythia) from a Hugging Face folder: pre-LN blocks with rotary
//! position embeddings on part of each head, fused QKV laid out per head as
//! `[heads, 3, head_dim]`, and a parallel or sequential residual.
//!
//! With `use_parallel_residual`, x' = x + attn(ln1 x) + mlp(ln2 x). Without
//! it, h = x + attn(ln1 x) and x' = h + mlp(ln2 h). Layer 0 is the token
//! embedding, layer i the output of block i, and `final` the output of
//! `final_layer_norm`. The LM head is the untied `embed_out.weight`, so a
//! checkpoint of the base model saved without it gives no loss.

use std::path::Path;

use candle_core::{D, Device, Tensor};
use serde::Deserialize;

use super::hf_config::{head_dim, model_dir, read_config, unsupported};
use super::hf_layers::{Activation, Dense, LayerNorm, attention, embed};
use super::hf_stack::{HfStack, StackSizes};
use super::hf_tokenizer::TextTokenizer;
use super::hf_weights::Weights;
use super::{Arch, HiddenStates};
use crate::Error;

/// The `config.json` fields the forward pass reads. Newer transformers
/// versions write `partial_rotary_factor` and `rope_theta` in place of
/// `rotary_pct` and `rotary_emb_base`, so both spellings are read.
#[derive(Debug, Deserialize)]
struct NeoxConfig {
    vocab_size: usize,
    hidden_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    intermediate_size: usize,
    #[serde(default = "default_positions")]
    max_position_embeddings: usize,
    #[serde(default, alias = "partial_rotary_factor")]
    rotary_pct: Option<f64>,
    #[serde(default, alias = "rope_theta")]
    rotary_emb_base: Option<f64>,
    #[serde(default)]
    rope_parameters: Option<RopeParameters>,
    #[serde(default = "default_true")]
    use_parallel_residual: bool,
    #[serde(default = "default_activation")]
    hidden_act: String,
    #[serde(default = "default_eps")]
    layer_norm_eps: f64,
    #[serde(default = "default_true")]
    attention_bias: bool,
}

/// The nested rotary settings of transformers 5 configs.
#[derive(Debug, Default, Deserialize)]
struct RopeParameters {
    #[serde(default)]
    rope_theta: Option<f64>,
    #[serde(default)]
    partial_rotary_factor: Option<f64>,
    #[serde(default)]
    rope_type: Option<String>,
}

fn default_positions() -> usize {
    2048
}

fn default_true() -> bool {
    true
}

fn default_activation() -> String {
    "gelu".into()
}

fn default_eps() -> f64 {
    1e-5
}

struct Block {
    input_layernorm: LayerNorm,
    post_attention_layernorm: LayerNorm,
    query_key_value: Dense,
    dense: Dense,
    dense_h_to_4h: Dense,
    dense_4h_to_h: Dense,
}

/// Rotary settings checked at load: the first `dims` of each head rotate
/// with frequencies base^(−2i/dims).
struct Rotary {
    dims: usize,
    base: f64,
}

/// A loaded GPT-NeoX model.
pub struct GptNeox {
    config: NeoxConfig,
    activation: Activation,
    head_dim: usize,
    rotary: Rotary,
    embed_in: Tensor,
    /// `embed_out.weight` `[vocab, d]`, absent from checkpoints of the base
    /// model saved without the LM head.
    embed_out: Option<Tensor>,
    blocks: Vec<Block>,
    final_layer_norm: LayerNorm,
    tokenizer: TextTokenizer,
}

/// Loads the GPT-NeoX model folder at `path` (a file inside it also works).
///
/// # Errors
/// [`Error::Model`] for a config of another architecture or with unsupported
/// values, and for missing or misshapen tensors. [`Error::Tokenizer`] for a
/// tokenizer file that cannot be parsed.
pub fn load(path: &Path) -> Result<Box<dyn HiddenStates>, Error> {
    load_with(path, None)
}

/// Loads the GPT-NeoX model folder at `path` like [`load`], with `weights`
/// in place of the folder's checkpoint when given (the untrained weights of
/// [`super::init`]).
///
/// # Errors
/// As [`load`].
pub fn load_with(path: &Path, weights: Option<Weights>) -> Result<Box<dyn HiddenStates>, Error> {
    Ok(Box::new(GptNeox::load(model_dir(path), weights)?))
}

impl GptNeox {
    fn load(dir: &Path, weights: Option<Weights>) -> Result<Self, Error> {
        let config: NeoxConfig = read_config(dir, &["gpt_neox"], "GPT-NeoX")?;
        let activation = Activation::parse(&config.hidden_act).ok_or_else(|| {
            unsupported(
                dir,
                format!("hidden_act \"{}\" is not supported", config.hidden_act),
                "use gelu, gelu_new, gelu_pytorch_tanh, gelu_fast or relu",
            )
        })?;
        let head_dim = head_dim(dir, config.hidden_size, config.num_attention_heads)?;
        let rotary = rotary_settings(dir, &config, head_dim)?;

        let mut weights = match weights {
            Some(weights) => weights,
            None => Weights::load(dir)?,
        };
        weights.select_prefix("embed_in.weight", &["gpt_neox.", ""])?;

        let d = config.hidden_size;
        let blocks = (0..config.num_hidden_layers)
            .map(|i| load_block(&weights, &config, i))
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(Self {
            activation,
            head_dim,
            rotary,
            embed_in: weights.get("embed_in.weight", &[config.vocab_size, d])?,
            embed_out: weights.get_optional_root("embed_out.weight", &[config.vocab_size, d])?,
            blocks,
            final_layer_norm: LayerNorm::load(
                &weights,
                "final_layer_norm",
                d,
                config.layer_norm_eps,
            )?,
            tokenizer: TextTokenizer::load(dir, true)?,
            config,
        })
    }

    fn block_forward(
        &self,
        block: &Block,
        x: &Tensor,
        angles: &(Tensor, Tensor),
    ) -> candle_core::Result<Tensor> {
        let attended = self.attention_forward(block, &block.input_layernorm.forward(x)?, angles)?;
        let attn_out = block.dense.forward(&attended)?;

        if self.config.use_parallel_residual {
            let mlp = self.mlp_forward(block, &block.post_attention_layernorm.forward(x)?)?;
            (x + attn_out)? + mlp
        } else {
            let h = (x + attn_out)?;
            let mlp = self.mlp_forward(block, &block.post_attention_layernorm.forward(&h)?)?;
            h + mlp
        }
    }

    fn attention_forward(
        &self,
        block: &Block,
        x: &Tensor,
        (cos, sin): &(Tensor, Tensor),
    ) -> candle_core::Result<Tensor> {
        let n = x.dim(0)?;
        let n_heads = self.config.num_attention_heads;
        let hd = self.head_dim;

        // The fused output contains, for each head, its q, k and v in turn.
        let qkv = block
            .query_key_value
            .forward(x)?
            .reshape((n, n_heads, 3 * hd))?;
        let part = |offset: usize| qkv.narrow(2, offset, hd)?.transpose(0, 1)?.contiguous();
        let q = self.rotate(&part(0)?, cos, sin)?;
        let k = self.rotate(&part(hd)?, cos, sin)?;
        let v = part(2 * hd)?;

        attention(&q, &k, &v, 1.0 / (hd as f64).sqrt(), true)
    }

    /// Applies the rotate-half rotary embedding to the first `rotary.dims` of
    /// each head of `x` (`[heads, tokens, head_dim]`). The other dims pass
    /// unchanged.
    fn rotate(&self, x: &Tensor, cos: &Tensor, sin: &Tensor) -> candle_core::Result<Tensor> {
        let r = self.rotary.dims;
        if r == 0 {
            return Ok(x.clone());
        }
        let x1 = x.narrow(D::Minus1, 0, r / 2)?;
        let x2 = x.narrow(D::Minus1, r / 2, r / 2)?;
        let first = (x1.broadcast_mul(cos)? - x2.broadcast_mul(sin)?)?;
        let second = (x2.broadcast_mul(cos)? + x1.broadcast_mul(sin)?)?;
        if r == self.head_dim {
            return Tensor::cat(&[first, second], D::Minus1);
        }
        let rest = x.narrow(D::Minus1, r, self.head_dim - r)?;
        Tensor::cat(&[first, second, rest], D::Minus1)
    }

    fn mlp_forward(&self, block: &Block, x: &Tensor) -> candle_core::Result<Tensor> {
        let inner = block.dense_h_to_4h.forward(x)?;
        block
            .dense_4h_to_h
            .forward(&self.activation.forward(&inner)?)
    }

    /// Computes cos and sin of position · θ_i, θ_i = base^(−2i/dims), each
    /// `[tokens, dims / 2]`, in f32 as transformers 5.25 does.
    fn rotary_angles(&self, n: usize) -> candle_core::Result<(Tensor, Tensor)> {
        let r = self.rotary.dims;
        let base = self.rotary.base as f32;
        let inv_freq: Vec<f32> = (0..r / 2)
            .map(|i| 1.0 / base.powf((2 * i) as f32 / r as f32))
            .collect();
        let angles: Vec<f32> = (0..n)
            .flat_map(|p| inv_freq.iter().map(move |f| p as f32 * f))
            .collect();
        let angles = Tensor::from_vec(angles, (n, r / 2), &Device::Cpu)?;
        Ok((angles.cos()?, angles.sin()?))
    }
}

fn rotary_settings(dir: &Path, config: &NeoxConfig, head_dim: usize) -> Result<Rotary, Error> {
    let nested = config.rope_parameters.as_ref();
    if let Some(kind) = nested.and_then(|p| p.rope_type.as_deref())
        && kind != "default"
    {
        return Err(unsupported(
            dir,
            format!("rope_type \"{kind}\" is not supported"),
            "use the default rotary embedding",
        ));
    }
    // transformers 5 lets `rope_parameters` override the legacy top-level keys.
    let pct = nested
        .and_then(|p| p.partial_rotary_factor)
        .or(config.rotary_pct)
        .unwrap_or(0.25);
    let base = nested
        .and_then(|p| p.rope_theta)
        .or(config.rotary_emb_base)
        .unwrap_or(10000.0);

    // transformers truncates head_dim · pct towards zero.
    let dims = (head_dim as f64 * pct) as usize;
    if !(0.0..=1.0).contains(&pct) || !dims.is_multiple_of(2) {
        return Err(unsupported(
            dir,
            format!("rotary_pct {pct} gives {dims} rotary dims of head size {head_dim}"),
            "use a rotary_pct in [0, 1] that gives an even number of dims",
        ));
    }
    Ok(Rotary { dims, base })
}

fn load_block(weights: &Weights, config: &NeoxConfig, index: usize) -> Result<Block, Error> {
    let d = config.hidden_size;
    let inner = config.intermediate_size;
    let eps = config.layer_norm_eps;
    let bias = config.attention_bias;
    let name = |part: &str| format!("layers.{index}.{part}");

    Ok(Block {
        input_layernorm: LayerNorm::load(weights, &name("input_layernorm"), d, eps)?,
        post_attention_layernorm: LayerNorm::load(
            weights,
            &name("post_attention_layernorm"),
            d,
            eps,
        )?,
        query_key_value: Dense::linear(
            weights,
            &name("attention.query_key_value"),
            d,
            3 * d,
            bias,
        )?,
        dense: Dense::linear(weights, &name("attention.dense"), d, d, bias)?,
        dense_h_to_4h: Dense::linear(weights, &name("mlp.dense_h_to_4h"), d, inner, true)?,
        dense_4h_to_h: Dense::linear(weights, &name("mlp.dense_4h_to_h"), inner, d, true)?,
    })
}

impl HfStack for GptNeox {
    /// cos and sin of the rotary angles, each `[tokens, rotary dims / 2]`.
    type Context = (Tensor, Tensor);

    fn arch(&self) -> Arch {
        Arch::GptNeox
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

    fn context(&self, n_tokens: usize) -> candle_core::Result<(Tensor, Tensor)> {
        self.rotary_angles(n_tokens)
    }

    fn embed_tokens(&self, ids: &[u32]) -> candle_core::Result<Tensor> {
        embed(&self.embed_in, ids)
    }

    fn run_block(
        &self,
        index: usize,
        x: &Tensor,
        angles: &(Tensor, Tensor),
    ) -> candle_core::Result<Tensor> {
        self.block_forward(&self.blocks[index], x, angles)
    }

    fn final_norm(&self, x: Tensor) -> candle_core::Result<Tensor> {
        self.final_layer_norm.forward(&x)
    }

    fn lm_head(&self) -> Option<&Tensor> {
        self.embed_out.as_ref()
    }
}
