//! Building blocks shared by the GPT-2, GPT-NeoX and BERT forward passes, on
//! 2-D `[tokens, hidden]` f32 tensors (batch 1, no padding).

use candle_core::{D, Device, Tensor};

use super::hf_weights::Weights;
use super::{Layer, StateSink};
use crate::Error;

/// A dense layer y = x·W + b with W stored `[in, out]`.
pub struct Dense {
    weight: Tensor,
    bias: Option<Tensor>,
}

impl Dense {
    /// Loads a `torch.nn.Linear` (`{name}.weight` stored `[out, in]`), with
    /// `{name}.bias` when `bias` is set.
    pub fn linear(
        weights: &Weights,
        name: &str,
        n_in: usize,
        n_out: usize,
        bias: bool,
    ) -> Result<Self, Error> {
        let weight = weights.get(&format!("{name}.weight"), &[n_out, n_in])?;
        let weight = weight
            .t()
            .and_then(|w| w.contiguous())
            .map_err(forward_error)?;
        let bias = if bias {
            Some(weights.get(&format!("{name}.bias"), &[n_out])?)
        } else {
            None
        };
        Ok(Self { weight, bias })
    }

    /// Loads a GPT-2 `Conv1D` (`{name}.weight` stored `[in, out]`) with its bias.
    pub fn conv1d(weights: &Weights, name: &str, n_in: usize, n_out: usize) -> Result<Self, Error> {
        Ok(Self {
            weight: weights.get(&format!("{name}.weight"), &[n_in, n_out])?,
            bias: Some(weights.get(&format!("{name}.bias"), &[n_out])?),
        })
    }

    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let y = x.matmul(&self.weight)?;
        match &self.bias {
            Some(bias) => y.broadcast_add(bias),
            None => Ok(y),
        }
    }
}

/// LayerNorm over the hidden axis with a learned scale and shift. Mean and
/// variance are taken in two passes, as PyTorch does, so that a large mean
/// does not cancel the variance.
pub struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f64,
}

impl LayerNorm {
    /// Loads `{name}.weight` and `{name}.bias`, both of length `size`.
    pub fn load(weights: &Weights, name: &str, size: usize, eps: f64) -> Result<Self, Error> {
        Ok(Self {
            weight: weights.get(&format!("{name}.weight"), &[size])?,
            bias: weights.get(&format!("{name}.bias"), &[size])?,
            eps,
        })
    }

    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let centred = x.broadcast_sub(&x.mean_keepdim(D::Minus1)?)?;
        let variance = centred.sqr()?.mean_keepdim(D::Minus1)?;
        let scale = (variance + self.eps)?.sqrt()?;
        centred
            .broadcast_div(&scale)?
            .broadcast_mul(&self.weight)?
            .broadcast_add(&self.bias)
    }
}

/// The MLP activation named in `config.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// GELU with the tanh approximation (`gelu_new`, `gelu_pytorch_tanh`,
    /// `gelu_fast`).
    GeluTanh,
    /// Exact GELU with erf (`gelu`).
    GeluErf,
    Relu,
}

impl Activation {
    /// Parses a transformers activation name. Returns `None` for names not
    /// listed on the variants.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Some(Self::GeluTanh),
            "gelu" => Some(Self::GeluErf),
            "relu" => Some(Self::Relu),
            _ => None,
        }
    }

    pub fn forward(self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Self::GeluTanh => x.gelu(),
            Self::GeluErf => x.gelu_erf(),
            Self::Relu => x.relu(),
        }
    }
}

/// Splits `[tokens, heads · head_dim]` into contiguous `[heads, tokens, head_dim]`.
pub fn split_heads(x: &Tensor, n_heads: usize) -> candle_core::Result<Tensor> {
    let (n, width) = x.dims2()?;
    x.reshape((n, n_heads, width / n_heads))?
        .transpose(0, 1)?
        .contiguous()
}

/// Computes scaled dot-product attention over `[heads, tokens, head_dim]`
/// inputs, causal when `causal` is set, and returns `[tokens, heads · head_dim]`.
pub fn attention(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    scale: f64,
    causal: bool,
) -> candle_core::Result<Tensor> {
    let (n_heads, n, head_dim) = q.dims3()?;
    let scores = (q.matmul(&k.t()?.contiguous()?)? * scale)?;
    let scores = if causal {
        scores.broadcast_add(&causal_mask(n)?)?
    } else {
        scores
    };
    let probs = candle_nn::ops::softmax_last_dim(&scores)?;
    probs
        .matmul(v)?
        .transpose(0, 1)?
        .contiguous()?
        .reshape((n, n_heads * head_dim))
}

/// Builds the `[n, n]` additive mask: 0 on and below the diagonal, −∞ above it.
fn causal_mask(n: usize) -> candle_core::Result<Tensor> {
    let values: Vec<f32> = (0..n)
        .flat_map(|i| (0..n).map(move |j| if j > i { f32::NEG_INFINITY } else { 0.0 }))
        .collect();
    Tensor::from_vec(values, (n, n), &Device::Cpu)
}

/// Gathers rows `ids` of an embedding table.
pub fn embed(table: &Tensor, ids: &[u32]) -> candle_core::Result<Tensor> {
    let ids = Tensor::new(ids, &Device::Cpu)?;
    table.index_select(&ids, 0)
}

/// Checks a token sequence against the model's limits before a forward pass.
///
/// # Errors
/// [`Error::InvalidParam`] for an empty sequence, one longer than
/// `max_positions`, or an id outside the vocabulary.
pub fn check_ids(ids: &[u32], max_positions: usize, vocab_size: usize) -> Result<(), Error> {
    if ids.is_empty() || ids.len() > max_positions {
        return Err(Error::InvalidParam {
            name: "token count",
            value: ids.len().to_string(),
            fix: format!(
                "pass 1 to {max_positions} tokens (the model's position limit); \
                 truncate longer texts first"
            ),
        });
    }
    if let Some(&id) = ids.iter().find(|&&id| id as usize >= vocab_size) {
        return Err(Error::InvalidParam {
            name: "token id",
            value: id.to_string(),
            fix: format!("use ids below the vocabulary size {vocab_size}"),
        });
    }
    Ok(())
}

/// Copies `[tokens, hidden]` states out of the tensor and passes them to `sink`.
pub fn emit(sink: &mut StateSink<'_>, layer: Layer, states: &Tensor) -> Result<(), Error> {
    let (n, d) = states.dims2().map_err(forward_error)?;
    let data = states
        .flatten_all()
        .and_then(|t| t.to_vec1::<f32>())
        .map_err(forward_error)?;
    sink(layer, &data, n, d)
}

/// Wraps a tensor-library failure as [`Error::Forward`].
pub fn forward_error(error: candle_core::Error) -> Error {
    Error::Forward(super::candle_message(&error))
}
