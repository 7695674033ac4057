//! The model runner: hidden states of language models on the CPU (cargo
//! feature `models`).
//!
//! Every architecture implements [`HiddenStates`]: it tokenizes a text and
//! runs one forward pass, handing the f32 states of each requested layer to a
//! sink, row-major, N tokens × d hidden units, one layer at a time. Layer 0 is
//! the embedding output, layer i the output of block i, and `final` the
//! output of the final norm where the architecture has one.

pub mod bert;
pub mod describe;
pub mod gguf_dequant;
pub mod gguf_llama;
pub mod gguf_reader;
pub mod gguf_tokenizer;
pub mod gpt2;
pub mod gpt_neox;
pub mod hf_config;
pub mod hf_layers;
pub mod hf_stack;
pub mod hf_tokenizer;
pub mod hf_weights;
pub mod init;
pub mod lm_head;
pub mod model_tokenizer;
pub mod tokenizer_facts;
pub mod truncation;
pub mod weight_headers;

use std::path::{Path, PathBuf};

use crate::Error;

/// The architectures the runner supports.
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

/// The selection of layers a forward pass reports.
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
    /// Returns the architecture of the loaded weights.
    fn arch(&self) -> Arch;

    /// Returns the width d of every hidden state.
    fn hidden_size(&self) -> usize;

    /// Returns the number of blocks L. Layers run from 0 to L.
    fn n_layers(&self) -> usize;

    /// Returns the max number of tokens one forward pass accepts.
    fn max_positions(&self) -> usize;

    /// Returns the number of rows of the token embedding, `None` when unknown.
    fn vocab_size(&self) -> Option<usize> {
        None
    }

    /// Returns the largest id the tokenizer can produce, `None` without a
    /// tokenizer or when unknown.
    fn tokenizer_max_id(&self) -> Option<u32> {
        None
    }

    /// Checks that the model can tokenize text. A model folder without
    /// tokenizer files loads, so that token ids can be scored, but fails here.
    ///
    /// # Errors
    ///
    /// [`Error::Tokenizer`] naming the missing file.
    fn check_tokenizer(&self) -> Result<(), Error> {
        Ok(())
    }

    /// Encodes a text to token ids, with the special tokens the model adds itself.
    fn tokenize(&self, text: &str) -> Result<Vec<u32>, Error>;

    /// Runs one forward pass over `ids` and calls `sink` once per requested
    /// layer, in increasing layer order.
    fn forward(
        &mut self,
        ids: &[u32],
        layers: &LayerSel,
        sink: &mut StateSink<'_>,
    ) -> Result<(), Error>;

    /// Returns the mean next-token negative log-likelihood in nats over the
    /// N − 1 predictions of one text, from the `final` states of `ids`
    /// (row-major, N × d) through the model's LM head. Returns `None` when
    /// the model has no LM head (encoders) or N < 2.
    fn mean_next_token_nll(&self, ids: &[u32], final_states: &[f32]) -> Option<Result<f64, Error>> {
        let _ = (ids, final_states);
        None
    }

    /// Returns the number of special tokens [`Self::tokenize`] appends after
    /// every text (BERT: 1 for `[SEP]`), which a `--max-tokens` cut keeps.
    ///
    /// # Errors
    /// The errors of [`Self::tokenize`].
    fn count_trailing_specials(&self) -> Result<usize, Error> {
        truncation::count_trailing_specials(|text| self.tokenize(text))
    }

    /// Returns whether [`Self::mean_next_token_nll`] can give a loss: the
    /// model is causal and its checkpoint has an LM head.
    fn has_loss(&self) -> bool {
        false
    }
}

/// The storage format of matrix weights in the GGUF runner.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WeightMode {
    /// Dequantised to f32 at load, multiplied with f32 matmuls.
    #[default]
    F32,
    /// Kept in the file's block format and multiplied with candle's
    /// quantised matmul (activations are quantised too, as llama.cpp does).
    Quantized,
}

/// The model to load: a `.gguf` file, or a folder with `config.json`,
/// weights and a tokenizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSpec {
    /// The `.gguf` file or the model folder.
    pub path: PathBuf,
    /// `None` detects the architecture from the files.
    pub arch: Option<Arch>,
    /// Used by GGUF models only.
    pub weights: WeightMode,
}

impl Arch {
    /// Returns the name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::LlamaGguf => "llama-gguf",
            Self::Bert => "bert",
            Self::Gpt2 => "gpt2",
            Self::GptNeox => "gpt-neox",
        }
    }

    /// Parses a command-line name (`llama-gguf`, `bert`, `gpt2`, `gpt-neox`).
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::LlamaGguf, Self::Bert, Self::Gpt2, Self::GptNeox]
            .into_iter()
            .find(|arch| arch.name() == name)
    }

    /// Returns whether the model predicts the next token (so it has a loss).
    pub fn is_causal(self) -> bool {
        !matches!(self, Self::Bert)
    }
}

/// Loads the model that `spec` names.
///
/// # Errors
///
/// [`Error::Model`] for a path that is neither a GGUF file nor a model
/// folder, an unknown architecture, or a missing tensor.
/// [`Error::Tokenizer`] when the tokenizer is missing.
pub fn load_model(spec: &ModelSpec) -> Result<Box<dyn HiddenStates>, Error> {
    let arch = match spec.arch {
        Some(arch) => {
            check_arch_fits_path(&spec.path, arch)?;
            arch
        }
        None => detect_arch(&spec.path)?,
    };
    tracing::info!(path = %spec.path.display(), arch = arch.name(), "loading model");
    let model = match arch {
        Arch::LlamaGguf => gguf_llama::load_with(&spec.path, spec.weights)?,
        Arch::Bert => bert::load(&spec.path)?,
        Arch::Gpt2 => gpt2::load(&spec.path)?,
        Arch::GptNeox => gpt_neox::load(&spec.path)?,
    };
    check_tokenizer_fits(model.as_ref(), &spec.path)?;
    Ok(model)
}

/// Rejects a model whose tokenizer can produce an id at or beyond the rows of
/// its token embedding, since every text with such an id would fail.
///
/// # Errors
/// [`Error::Model`] naming the embedding rows and the tokenizer's size.
pub fn check_tokenizer_fits(model: &dyn HiddenStates, path: &Path) -> Result<(), Error> {
    let (Some(rows), Some(max_id)) = (model.vocab_size(), model.tokenizer_max_id()) else {
        return Ok(());
    };
    if (max_id as usize) < rows {
        return Ok(());
    }
    Err(gguf_reader::model_error(
        path,
        &format!(
            "the tokenizer has {} tokens (ids up to {max_id}), but the token embedding has only {rows} rows (vocab_size in config.json)",
            max_id as u64 + 1
        ),
        "pass the config.json and tokenizer saved with these weights",
    ))
}

/// Rejects `--arch` of a folder architecture (bert, gpt2, gpt-neox) for a
/// GGUF file, which has no config.json to read.
///
/// # Errors
/// [`Error::Model`] naming the file and `--arch`.
pub fn check_arch_fits_path(path: &Path, arch: Arch) -> Result<(), Error> {
    if arch == Arch::LlamaGguf || !path.is_file() || !gguf_reader::is_gguf(path) {
        return Ok(());
    }
    Err(gguf_reader::model_error(
        path,
        &format!(
            "is a GGUF model, but --arch {} reads a model folder with config.json",
            arch.name()
        ),
        "drop --arch (or use --arch llama-gguf), or pass a model folder with config.json",
    ))
}

/// Detects the architecture from GGUF `general.architecture` or from
/// `model_type` in the folder's `config.json`.
///
/// # Errors
///
/// [`Error::Model`] when the path is neither, or names an architecture the
/// runner does not support.
pub fn detect_arch(path: &Path) -> Result<Arch, Error> {
    if path.is_dir() {
        let fix = "pass a model folder with config.json, or set --arch";
        return detect_folder_arch(path, fix);
    }
    // --arch cannot help a missing path or a file that is not GGUF.
    let fix = "pass a .gguf file or a model folder with config.json";
    if !path.exists() {
        return Err(gguf_reader::model_error(path, "not found", fix));
    }
    if !gguf_reader::is_gguf(path) {
        return Err(gguf_reader::model_error(
            path,
            "is neither a GGUF file nor a model folder",
            fix,
        ));
    }
    let gguf = gguf_reader::GgufFile::open(path)?;
    match gguf.string("general.architecture")? {
        "llama" => Ok(Arch::LlamaGguf),
        other => Err(gguf_reader::model_error(
            path,
            &format!("GGUF architecture {other:?} is not supported"),
            "use a Llama-family GGUF file",
        )),
    }
}

fn detect_folder_arch(folder: &Path, fix: &str) -> Result<Arch, Error> {
    let config_path = folder.join("config.json");
    let text = std::fs::read_to_string(&config_path).map_err(|e| {
        gguf_reader::model_error(&config_path, &format!("cannot be read ({e})"), fix)
    })?;
    let config: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        gguf_reader::model_error(&config_path, &format!("is not valid JSON ({e})"), fix)
    })?;
    let model_type = config
        .get("model_type")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("(missing)");
    match model_type {
        "bert" => Ok(Arch::Bert),
        "gpt2" => Ok(Arch::Gpt2),
        "gpt_neox" => Ok(Arch::GptNeox),
        other => Err(gguf_reader::model_error(
            &config_path,
            &format!("model_type {other:?} is not supported"),
            "use a bert, gpt2 or gpt_neox model, or a Llama GGUF file",
        )),
    }
}

/// Formats a tensor-library error without the backtrace that candle attaches
/// when `RUST_BACKTRACE` is set, joining context and path wrappers with `: `.
pub fn candle_message(error: &candle_core::Error) -> String {
    match error {
        candle_core::Error::WithBacktrace { inner, .. } => candle_message(inner),
        candle_core::Error::Context { inner, context } => {
            format!("{context}: {}", candle_message(inner))
        }
        candle_core::Error::WithPath { inner, path } => {
            format!("{}: {}", path.display(), candle_message(inner))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candle_message_drops_backtrace() {
        let inner = candle_core::Error::Msg("unexpected end of file".into());
        let error = candle_core::Error::WithBacktrace {
            inner: Box::new(inner),
            backtrace: Box::new(std::backtrace::Backtrace::force_capture()),
        };
        assert_eq!(candle_message(&error), "unexpected end of file");
    }

    #[test]
    fn candle_message_keeps_context() {
        let error = candle_core::Error::Msg("bad shape".into()).context("tensor w");
        assert_eq!(candle_message(&error), "tensor w: bad shape");
    }
}
