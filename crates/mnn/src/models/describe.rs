//! A model's architecture and sizes, read from its headers without loading
//! any weight (for `mnn info` and `mnn tokenize`): the `llama.*` metadata of
//! a GGUF file, or the `config.json` of a model folder.
//!
//! The values are those the loaders use. A config field a loader defaults
//! gets the same default here (BERT 512 positions, GPT-NeoX 2048, GPT-2
//! `n_inner` 4·d), and the GGUF vocabulary size is the row count of
//! `token_embd.weight`, as in gguf_llama.rs.
//!
//! ```no_run
//! use mnn::models::describe::{read_shape, resolve_arch};
//!
//! let path = std::path::Path::new("SmolLM2-135M-Instruct.Q4_1.gguf");
//! let shape = read_shape(path, resolve_arch(path, None)?)?;
//! assert_eq!(shape.hidden_size, 576);
//! # Ok::<(), mnn::Error>(())
//! ```

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::gguf_reader::{GgufFile, model_error};
use super::hf_config::{model_dir, read_config};
use super::{Arch, detect_arch};
use crate::Error;

/// The architecture and sizes of one model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelShape {
    /// The architecture name of `--arch`.
    pub arch: &'static str,
    /// GGUF `general.architecture` or `config.json` `model_type`.
    pub model_type: String,
    /// GGUF `general.name`, when present.
    pub name: Option<String>,
    /// The width d of every hidden state.
    pub hidden_size: usize,
    /// The number of blocks L. Layers run from 0 (embedding output) to L.
    pub n_layers: usize,
    /// The number of attention (query) heads.
    pub n_heads: usize,
    /// The number of key/value heads of grouped-query attention (Llama only).
    pub n_kv_heads: Option<usize>,
    /// The inner width of the feed-forward block.
    pub ffn_size: usize,
    /// The number of rows of the token-embedding matrix.
    pub vocab_size: usize,
    /// The max number of tokens in one forward pass.
    pub max_positions: usize,
}

/// Returns the architecture of the model at `path`: `arch` when given,
/// otherwise detected from the files, after checking that the path exists
/// and has the form the architecture needs.
///
/// # Errors
///
/// [`Error::Model`] for a missing path, a folder given as a GGUF model, a
/// file that is neither GGUF nor inside a model folder, or an unsupported
/// architecture.
pub fn resolve_arch(path: &Path, arch: Option<Arch>) -> Result<Arch, Error> {
    let fix = "pass a .gguf file or a model folder with config.json";
    if !path.exists() {
        return Err(model_error(path, "not found", fix));
    }
    match arch {
        None => detect_arch(path),
        Some(Arch::LlamaGguf) if path.is_dir() => Err(model_error(
            path,
            "is a folder, but --arch llama-gguf reads a .gguf file",
            "pass the .gguf file, or use --arch auto for a model folder",
        )),
        Some(arch) => {
            super::check_arch_fits_path(path, arch)?;
            Ok(arch)
        }
    }
}

/// Reads the architecture and sizes of the model at `path`.
///
/// # Errors
///
/// [`Error::Model`] or [`Error::Read`] for a header or `config.json` that
/// cannot be read, names another architecture, or lacks a size.
pub fn read_shape(path: &Path, arch: Arch) -> Result<ModelShape, Error> {
    match arch {
        Arch::LlamaGguf => gguf_shape(&GgufFile::open(path)?),
        Arch::Bert => bert_shape(model_dir(path)),
        Arch::Gpt2 => gpt2_shape(model_dir(path)),
        Arch::GptNeox => neox_shape(model_dir(path)),
    }
}

/// Reads the sizes of a Llama-family GGUF file from its metadata.
///
/// # Errors
///
/// [`Error::Model`] when the file is not a Llama GGUF or a key is missing.
pub fn gguf_shape(gguf: &GgufFile) -> Result<ModelShape, Error> {
    let model_type = gguf.string("general.architecture")?;
    if model_type != "llama" {
        return Err(model_error(
            &gguf.path,
            &format!("general.architecture is {model_type:?}, not \"llama\""),
            "pass a Llama-family GGUF file (SmolLM2, Llama, Mistral)",
        ));
    }
    let n_heads = gguf.usize("llama.attention.head_count")?;
    let vocab_size = gguf.dims("token_embd.weight")?.first().copied();
    let vocab_size = vocab_size.ok_or_else(|| {
        model_error(
            &gguf.path,
            "tensor token_embd.weight has no dimensions",
            "use a complete Llama-family GGUF file",
        )
    })?;
    Ok(ModelShape {
        arch: Arch::LlamaGguf.name(),
        model_type: model_type.to_string(),
        name: gguf.string("general.name").ok().map(str::to_string),
        hidden_size: gguf.usize("llama.embedding_length")?,
        n_layers: gguf.usize("llama.block_count")?,
        n_heads,
        n_kv_heads: Some(
            gguf.usize("llama.attention.head_count_kv")
                .unwrap_or(n_heads),
        ),
        ffn_size: gguf.usize("llama.feed_forward_length")?,
        vocab_size,
        max_positions: gguf.usize("llama.context_length")?,
    })
}

/// The `config.json` sizes of BERT and GPT-NeoX, which share field names.
#[derive(Deserialize)]
struct EncoderSizes {
    model_type: String,
    hidden_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    intermediate_size: usize,
    vocab_size: usize,
    max_position_embeddings: Option<usize>,
}

impl EncoderSizes {
    fn shape(self, arch: Arch, default_positions: usize) -> ModelShape {
        ModelShape {
            arch: arch.name(),
            model_type: self.model_type,
            name: None,
            hidden_size: self.hidden_size,
            n_layers: self.num_hidden_layers,
            n_heads: self.num_attention_heads,
            n_kv_heads: None,
            ffn_size: self.intermediate_size,
            vocab_size: self.vocab_size,
            max_positions: self.max_position_embeddings.unwrap_or(default_positions),
        }
    }
}

fn bert_shape(dir: &Path) -> Result<ModelShape, Error> {
    let sizes: EncoderSizes = read_config(dir, &["bert"], "BERT")?;
    Ok(sizes.shape(Arch::Bert, 512))
}

fn neox_shape(dir: &Path) -> Result<ModelShape, Error> {
    let sizes: EncoderSizes = read_config(dir, &["gpt_neox"], "GPT-NeoX")?;
    Ok(sizes.shape(Arch::GptNeox, 2048))
}

/// The `config.json` sizes of GPT-2.
#[derive(Deserialize)]
struct Gpt2Sizes {
    model_type: String,
    n_embd: usize,
    n_layer: usize,
    n_head: usize,
    n_inner: Option<usize>,
    vocab_size: usize,
    n_positions: usize,
}

fn gpt2_shape(dir: &Path) -> Result<ModelShape, Error> {
    let sizes: Gpt2Sizes = read_config(dir, &["gpt2"], "GPT-2")?;
    Ok(ModelShape {
        arch: Arch::Gpt2.name(),
        model_type: sizes.model_type,
        name: None,
        hidden_size: sizes.n_embd,
        n_layers: sizes.n_layer,
        n_heads: sizes.n_head,
        n_kv_heads: None,
        ffn_size: sizes.n_inner.unwrap_or(4 * sizes.n_embd),
        vocab_size: sizes.vocab_size,
        max_positions: sizes.n_positions,
    })
}
