//! Llama-family decoder from a GGUF file (SmolLM2), with the hidden states of
//! every position at every layer.
//!
//! Each block computes, on f32 activations:
//! 1. h = x + W_o · attn(RoPE(W_q · n), RoPE(W_k · n), W_v · n) with
//!    n = RMSNorm(x), causal attention scaled by 1/√head_dim, and query head
//!    h reading KV head ⌊h·n_kv/n_head⌋;
//! 2. x' = h + W_down · (silu(W_gate · m) ⊙ W_up · m) with m = RMSNorm(h).
//!
//! RoPE is the interleaved (GPT-J) form that llama.cpp uses for Llama:
//! pairs (2i, 2i+1) rotate by position·base^(−2i/rope_dim), positions from 0.
//! GGUF converters permute W_q and W_k for this form. `final` is the output of
//! `output_norm`. The LM head is `output.weight`, or the tied `token_embd`
//! when the file has none (SmolLM2).

use std::path::{Path, PathBuf};

use candle_core::quantized::{GgmlDType, QMatMul};

use candle_core::{DType, Device, Module, Tensor};

use super::gguf_reader::{GgufFile, model_error};
use super::gguf_tokenizer::GgufTokenizer;
use super::{Arch, HiddenStates, Layer, LayerSel, StateSink, WeightMode};
use crate::Error;

/// Hyper-parameters read from the `llama.*` metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct LlamaConfig {
    /// The number of blocks, from `llama.block_count`.
    pub n_layer: usize,
    /// The hidden size d, from `llama.embedding_length`.
    pub hidden_size: usize,
    /// The inner width of the feed-forward block, from `llama.feed_forward_length`.
    pub ffn_size: usize,
    /// The number of query heads.
    pub n_head: usize,
    /// The number of key/value heads (grouped-query attention), `n_head` when absent.
    pub n_kv_head: usize,
    /// The width of one head, `hidden_size / n_head`.
    pub head_dim: usize,
    /// The number of rotated dims per head, equal to `head_dim`.
    pub rope_dim: usize,
    /// The RoPE frequency base, 10000 when absent.
    pub rope_base: f64,
    /// The epsilon of RMSNorm.
    pub rms_eps: f64,
    /// The max number of positions, from `llama.context_length`.
    pub context_length: usize,
    /// The number of rows of `token_embd.weight`.
    pub vocab_size: usize,
}

impl LlamaConfig {
    fn read(gguf: &GgufFile) -> Result<Self, Error> {
        let hidden_size = gguf.usize("llama.embedding_length")?;
        let n_head = gguf.usize("llama.attention.head_count")?;
        let n_kv_head = gguf
            .usize("llama.attention.head_count_kv")
            .unwrap_or(n_head);
        if n_head == 0 || n_kv_head == 0 || hidden_size % n_head != 0 || n_head % n_kv_head != 0 {
            return Err(model_error(
                &gguf.path,
                &format!(
                    "{n_head} heads, {n_kv_head} KV heads and width {hidden_size} do not divide evenly"
                ),
                "check the llama.attention metadata",
            ));
        }
        let head_dim = hidden_size / n_head;
        let rope_dim = gguf.usize("llama.rope.dimension_count").unwrap_or(head_dim);
        if rope_dim != head_dim {
            return Err(model_error(
                &gguf.path,
                &format!("RoPE over {rope_dim} of {head_dim} head dims is not supported"),
                "use a model whose rope.dimension_count equals the head size",
            ));
        }
        let vocab_size = gguf.dims("token_embd.weight")?[0];
        Ok(Self {
            n_layer: gguf.usize("llama.block_count")?,
            hidden_size,
            ffn_size: gguf.usize("llama.feed_forward_length")?,
            n_head,
            n_kv_head,
            head_dim,
            rope_dim,
            rope_base: gguf.f64("llama.rope.freq_base").unwrap_or(10_000.0),
            rms_eps: gguf.f64("llama.attention.layer_norm_rms_epsilon")?,
            context_length: gguf.usize("llama.context_length")?,
            vocab_size,
        })
    }
}

/// A weight matrix stored [out, in], applied as x ↦ x·Wᵀ.
enum Linear {
    Dense(Tensor),
    Quantized(QMatMul),
}

impl Linear {
    fn load(
        gguf: &mut GgufFile,
        name: &str,
        dims: [usize; 2],
        mode: WeightMode,
    ) -> Result<Self, Error> {
        match mode {
            WeightMode::F32 => gguf.dense(name, &dims).map(Self::Dense),
            WeightMode::Quantized => {
                check_quantized_width(gguf, name, dims[1])?;
                gguf.qmatmul(name, &dims).map(Self::Quantized)
            }
        }
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Self::Dense(w) => x.matmul(&w.t()?),
            Self::Quantized(w) => w.forward(x),
        }
    }
}

/// Rejects widths that candle 0.11.1's Q4_1, Q5_0 and Q5_1 dot products
/// cannot take: they assert (and panic) unless the input width is a whole
/// number of block pairs, 64 weights.
fn check_quantized_width(gguf: &GgufFile, name: &str, width: usize) -> Result<(), Error> {
    let dtype = gguf
        .content
        .tensor_infos
        .get(name)
        .map(|info| info.ggml_dtype);
    let paired = matches!(
        dtype,
        Some(GgmlDType::Q4_1 | GgmlDType::Q5_0 | GgmlDType::Q5_1)
    );
    if paired && !width.is_multiple_of(64) {
        return Err(model_error(
            &gguf.path,
            &format!(
                "tensor {name} has input width {width}, which candle's quantised matmul cannot use (needs a multiple of 64)"
            ),
            "use --weights f32",
        ));
    }
    Ok(())
}

struct Block {
    attn_norm: Tensor,
    wq: Linear,
    wk: Linear,
    wv: Linear,
    wo: Linear,
    ffn_norm: Tensor,
    gate: Linear,
    up: Linear,
    down: Linear,
}

impl Block {
    fn load(
        gguf: &mut GgufFile,
        i: usize,
        c: &LlamaConfig,
        mode: WeightMode,
    ) -> Result<Self, Error> {
        let d = c.hidden_size;
        let q_width = c.n_head * c.head_dim;
        let kv_width = c.n_kv_head * c.head_dim;
        let name = |part: &str| format!("blk.{i}.{part}.weight");
        Ok(Self {
            attn_norm: gguf.dense(&name("attn_norm"), &[d])?,
            wq: Linear::load(gguf, &name("attn_q"), [q_width, d], mode)?,
            wk: Linear::load(gguf, &name("attn_k"), [kv_width, d], mode)?,
            wv: Linear::load(gguf, &name("attn_v"), [kv_width, d], mode)?,
            wo: Linear::load(gguf, &name("attn_output"), [d, q_width], mode)?,
            ffn_norm: gguf.dense(&name("ffn_norm"), &[d])?,
            gate: Linear::load(gguf, &name("ffn_gate"), [c.ffn_size, d], mode)?,
            up: Linear::load(gguf, &name("ffn_up"), [c.ffn_size, d], mode)?,
            down: Linear::load(gguf, &name("ffn_down"), [d, c.ffn_size], mode)?,
        })
    }
}

/// Per-forward constants: RoPE tables and the causal mask for N tokens.
struct Positions {
    cos: Tensor,
    sin: Tensor,
    mask: Tensor,
}

impl Positions {
    fn new(n: usize, c: &LlamaConfig) -> candle_core::Result<Self> {
        let half = c.rope_dim / 2;
        let mut cos = Vec::with_capacity(n * half);
        let mut sin = Vec::with_capacity(n * half);
        for position in 0..n {
            for i in 0..half {
                let theta = c.rope_base.powf(-2.0 * i as f64 / c.rope_dim as f64);
                let angle = position as f64 * theta;
                cos.push(angle.cos() as f32);
                sin.push(angle.sin() as f32);
            }
        }
        let mask: Vec<f32> = (0..n * n)
            .map(|k| {
                if k % n > k / n {
                    f32::NEG_INFINITY
                } else {
                    0.0
                }
            })
            .collect();
        Ok(Self {
            cos: Tensor::from_vec(cos, (n, half), &Device::Cpu)?,
            sin: Tensor::from_vec(sin, (n, half), &Device::Cpu)?,
            mask: Tensor::from_vec(mask, (n, n), &Device::Cpu)?,
        })
    }
}

/// A loaded Llama-family model.
pub struct LlamaGguf {
    path: PathBuf,
    config: LlamaConfig,
    tokenizer: GgufTokenizer,
    token_embd: Tensor,
    blocks: Vec<Block>,
    output_norm: Tensor,
    /// The LM head, [vocab, d], or `token_embd` itself when the head is tied.
    lm_head: Tensor,
}

/// Loads the model at `path` with dequantised f32 weights.
pub fn load(path: &Path) -> Result<Box<dyn HiddenStates>, Error> {
    load_with(path, WeightMode::F32)
}

/// Loads the model at `path` with the given weight mode.
///
/// # Errors
///
/// [`Error::Model`] for a file that is not a Llama GGUF or misses a tensor,
/// [`Error::Tokenizer`] when the file embeds no usable tokenizer.
pub fn load_with(path: &Path, mode: WeightMode) -> Result<Box<dyn HiddenStates>, Error> {
    Ok(Box::new(LlamaGguf::load(path, mode)?))
}

impl LlamaGguf {
    /// Reads the config, the tokenizer and every tensor from `path`.
    pub fn load(path: &Path, mode: WeightMode) -> Result<Self, Error> {
        Self::from_file(GgufFile::open(path)?, mode)
    }

    /// Reads the config, the tokenizer and every tensor from an open file,
    /// which may carry replacement tensors ([`GgufFile::replace_tensors`]).
    pub fn from_file(mut gguf: GgufFile, mode: WeightMode) -> Result<Self, Error> {
        let path = gguf.path.clone();
        let path = path.as_path();
        let arch = gguf.string("general.architecture")?;
        if arch != "llama" {
            return Err(model_error(
                path,
                &format!("general.architecture is {arch:?}, not \"llama\""),
                "pass a Llama-family GGUF file (SmolLM2, Llama, Mistral)",
            ));
        }
        let config = LlamaConfig::read(&gguf)?;
        let tokenizer = GgufTokenizer::from_gguf(&gguf)?;
        let d = config.hidden_size;

        let token_embd = gguf.dense("token_embd.weight", &[config.vocab_size, d])?;
        let blocks = (0..config.n_layer)
            .map(|i| Block::load(&mut gguf, i, &config, mode))
            .collect::<Result<Vec<_>, _>>()?;
        let output_norm = gguf.dense("output_norm.weight", &[d])?;
        let lm_head = if gguf.content.tensor_infos.contains_key("output.weight") {
            gguf.dense("output.weight", &[config.vocab_size, d])?
        } else {
            token_embd.clone()
        };
        Ok(Self {
            path: path.to_path_buf(),
            config,
            tokenizer,
            token_embd,
            blocks,
            output_norm,
            lm_head,
        })
    }

    /// Returns the hyper-parameters read from the file.
    pub fn config(&self) -> &LlamaConfig {
        &self.config
    }

    fn check_ids(&self, ids: &[u32]) -> Result<(), Error> {
        if ids.len() > self.config.context_length {
            return Err(Error::Forward(format!(
                "{} tokens exceed the context length {}, so lower --max-tokens",
                ids.len(),
                self.config.context_length
            )));
        }
        if let Some(&bad) = ids
            .iter()
            .find(|&&id| id as usize >= self.config.vocab_size)
        {
            return Err(Error::Forward(format!(
                "token id {bad} is outside the vocabulary of {} tokens",
                self.config.vocab_size
            )));
        }
        Ok(())
    }

    fn attention(&self, block: &Block, x: &Tensor, pos: &Positions) -> candle_core::Result<Tensor> {
        let c = &self.config;
        let n = x.dim(0)?;
        let rep = c.n_head / c.n_kv_head;
        let heads = |t: Tensor, count: usize| -> candle_core::Result<Tensor> {
            t.reshape((n, count, c.head_dim))?
                .transpose(0, 1)?
                .contiguous()?
                .unsqueeze(0)
        };

        let q = heads(block.wq.forward(x)?, c.n_head)?;
        let k = heads(block.wk.forward(x)?, c.n_kv_head)?;
        let v = heads(block.wv.forward(x)?, c.n_kv_head)?;
        let q = candle_nn::rotary_emb::rope_i(&q, &pos.cos, &pos.sin)?.squeeze(0)?;
        let k = candle_nn::rotary_emb::rope_i(&k, &pos.cos, &pos.sin)?.squeeze(0)?;

        // Query head h reads KV head h / rep, so each KV head is repeated
        // rep times in a row.
        let repeat = |t: Tensor| -> candle_core::Result<Tensor> {
            t.squeeze(0)?
                .unsqueeze(1)?
                .broadcast_as((c.n_kv_head, rep, n, c.head_dim))?
                .contiguous()?
                .reshape((c.n_head, n, c.head_dim))
        };
        let k = repeat(k)?;
        let v = repeat(v)?;

        let scale = 1.0 / (c.head_dim as f64).sqrt();
        let scores = (q.matmul(&k.t()?)? * scale)?.broadcast_add(&pos.mask)?;
        let weights = candle_nn::ops::softmax_last_dim(&scores)?;
        let out = weights
            .matmul(&v)?
            .transpose(0, 1)?
            .contiguous()?
            .reshape((n, c.n_head * c.head_dim))?;
        block.wo.forward(&out)
    }

    fn feed_forward(block: &Block, x: &Tensor) -> candle_core::Result<Tensor> {
        let gate = candle_nn::ops::silu(&block.gate.forward(x)?)?;
        let up = block.up.forward(x)?;
        block.down.forward(&(gate * up)?)
    }

    fn block_forward(
        &self,
        block: &Block,
        x: &Tensor,
        pos: &Positions,
    ) -> candle_core::Result<Tensor> {
        let eps = self.config.rms_eps as f32;
        let normed = candle_nn::ops::rms_norm(x, &block.attn_norm, eps)?;
        let h = (x + self.attention(block, &normed, pos)?)?;
        let normed = candle_nn::ops::rms_norm(&h, &block.ffn_norm, eps)?;
        &h + Self::feed_forward(block, &normed)?
    }

    /// Mean next-token negative log-likelihood in nats over the N − 1
    /// predictions of one text, from its `final` states through the LM head.
    /// `None` for N < 2.
    pub fn mean_next_token_nll(
        &self,
        ids: &[u32],
        final_states: &[f32],
    ) -> Result<Option<f64>, Error> {
        super::lm_head::mean_next_token_nll(&self.lm_head, ids, final_states)
    }
}

fn forward_error(error: candle_core::Error) -> Error {
    Error::Forward(super::candle_message(&error))
}

fn emit(sink: &mut StateSink<'_>, layer: Layer, x: &Tensor) -> Result<(), Error> {
    let (n, d) = x.dims2().map_err(forward_error)?;
    let values: Vec<f32> = x
        .flatten_all()
        .and_then(|flat| flat.to_vec1())
        .map_err(forward_error)?;
    sink(layer, &values, n, d)
}

impl HiddenStates for LlamaGguf {
    fn arch(&self) -> Arch {
        Arch::LlamaGguf
    }

    fn hidden_size(&self) -> usize {
        self.config.hidden_size
    }

    fn n_layers(&self) -> usize {
        self.config.n_layer
    }

    fn max_positions(&self) -> usize {
        self.config.context_length
    }

    fn vocab_size(&self) -> Option<usize> {
        Some(self.config.vocab_size)
    }

    fn tokenize(&self, text: &str) -> Result<Vec<u32>, Error> {
        self.tokenizer
            .encode(text)
            .map_err(|reason| Error::Tokenizer {
                path: self.path.clone(),
                reason,
                fix: "check that the text is valid UTF-8".into(),
            })
    }

    fn forward(
        &mut self,
        ids: &[u32],
        layers: &LayerSel,
        sink: &mut StateSink<'_>,
    ) -> Result<(), Error> {
        self.check_ids(ids)?;
        if ids.is_empty() {
            return Ok(());
        }
        let all = *layers == LayerSel::All;
        let index = Tensor::new(ids, &Device::Cpu).map_err(forward_error)?;
        let mut x = self
            .token_embd
            .index_select(&index, 0)
            .map_err(forward_error)?;
        let positions = Positions::new(ids.len(), &self.config).map_err(forward_error)?;
        if all {
            emit(sink, Layer::Index(0), &x)?;
        }
        for (i, block) in self.blocks.iter().enumerate() {
            x = self
                .block_forward(block, &x, &positions)
                .map_err(forward_error)?;
            if all {
                emit(sink, Layer::Index(i + 1), &x)?;
            }
        }
        let eps = self.config.rms_eps as f32;
        let final_states = candle_nn::ops::rms_norm(&x, &self.output_norm, eps)
            .and_then(|t| t.to_dtype(DType::F32))
            .map_err(forward_error)?;
        emit(sink, Layer::Final, &final_states)
    }

    fn mean_next_token_nll(&self, ids: &[u32], final_states: &[f32]) -> Option<Result<f64, Error>> {
        LlamaGguf::mean_next_token_nll(self, ids, final_states).transpose()
    }

    fn has_loss(&self) -> bool {
        true
    }
}
