//! The tokenizer of a model, loaded without its weights (for `mnn tokenize`
//! and `mnn info`).
//!
//! It is built by the constructors the model loaders use: the header of a
//! GGUF file gives a [`GgufTokenizer`], and a model folder gives a
//! [`TextTokenizer`] (with the `vocab.json` + `merges.txt` fallback for
//! GPT-2 and GPT-NeoX, not for BERT). [`ModelTokenizer::encode`] therefore
//! returns the ids that [`HiddenStates::tokenize`](super::HiddenStates::tokenize)
//! returns for the same model, and [`ModelTokenizer::ids_as_scored`] applies
//! the two rules of `mnn score` on top: a blank text has no tokens, and only
//! the first `max_tokens` ids are kept.
//!
//! ```no_run
//! use mnn::models::Arch;
//! use mnn::models::model_tokenizer::ModelTokenizer;
//!
//! let tokenizer = ModelTokenizer::load("model.gguf".as_ref(), Arch::LlamaGguf)?;
//! let scored = tokenizer.ids_as_scored("Hello world", 2048)?;
//! assert!(!scored.truncated);
//! # Ok::<(), mnn::Error>(())
//! ```

use std::path::{Path, PathBuf};

use super::Arch;
use super::gguf_reader::GgufFile;
use super::gguf_tokenizer::GgufTokenizer;
use super::hf_config::model_dir;
use super::hf_tokenizer::TextTokenizer;
use crate::Error;

/// The tokenizer of one model, as `mnn score` uses it.
pub struct ModelTokenizer {
    pub(super) source: Source,
}

pub(super) enum Source {
    /// The byte-level BPE embedded in a GGUF header.
    Gguf(GgufVocab),
    /// The tokenizer files of a model folder (possibly missing).
    Folder {
        tokenizer: TextTokenizer,
        dir: PathBuf,
    },
}

/// A GGUF tokenizer with the header facts that `mnn info` reports.
pub(super) struct GgufVocab {
    pub tokenizer: GgufTokenizer,
    /// The token string of every id (`tokenizer.ggml.tokens`).
    pub tokens: Vec<String>,
    /// The per-id token types (`tokenizer.ggml.token_type`), empty when absent.
    pub token_types: Vec<i32>,
    /// The ids of `tokenizer.ggml.{bos,eos,padding,unknown}_token_id`.
    pub roles: RoleIds,
    pub path: PathBuf,
}

/// The ids a tokenizer's configuration gives the BOS, EOS, PAD and UNK roles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct RoleIds {
    pub bos: Option<u32>,
    pub eos: Option<u32>,
    pub pad: Option<u32>,
    pub unk: Option<u32>,
}

/// The ids of one text as `mnn score` feeds them to the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoredIds {
    /// The first `max_tokens` ids of the encoding, special tokens included.
    /// Empty for a blank text, which is never encoded.
    pub ids: Vec<u32>,
    /// The number of ids before truncation (0 for a blank text).
    pub n_full: usize,
    /// Whether the encoding had more than `max_tokens` ids.
    pub truncated: bool,
}

impl ModelTokenizer {
    /// Loads the tokenizer of the model at `path` with architecture `arch`,
    /// reading no weights. A model folder without tokenizer files loads, as
    /// it does for `mnn score`, and [`ModelTokenizer::check`] reports it.
    ///
    /// # Errors
    ///
    /// [`Error::Read`] or [`Error::Model`] for a GGUF file that cannot be
    /// opened or parsed, and [`Error::Tokenizer`] for tokenizer data that
    /// cannot be parsed.
    pub fn load(path: &Path, arch: Arch) -> Result<Self, Error> {
        match arch {
            Arch::LlamaGguf => Self::from_gguf(&GgufFile::open(path)?),
            Arch::Bert | Arch::Gpt2 | Arch::GptNeox => {
                let dir = model_dir(path);
                // The same flag as the loaders in bert.rs, gpt2.rs and
                // gpt_neox.rs: only byte-level BPE models fall back to
                // vocab.json + merges.txt.
                let tokenizer = TextTokenizer::load(dir, arch != Arch::Bert)?;
                Ok(Self {
                    source: Source::Folder {
                        tokenizer,
                        dir: dir.to_path_buf(),
                    },
                })
            }
        }
    }

    /// Builds the tokenizer from the header of an open GGUF file.
    ///
    /// # Errors
    ///
    /// [`Error::Tokenizer`] when the header has no usable tokenizer.
    pub fn from_gguf(gguf: &GgufFile) -> Result<Self, Error> {
        let tokenizer = GgufTokenizer::from_gguf(gguf)?;
        let tokens = gguf.strings("tokenizer.ggml.tokens")?;
        let token_types = gguf
            .content
            .metadata
            .get("tokenizer.ggml.token_type")
            .and_then(|value| value.to_vec().ok())
            .map(|values| values.iter().filter_map(|v| v.to_i32().ok()).collect())
            .unwrap_or_default();
        let role = |key: &str| {
            gguf.usize(&format!("tokenizer.ggml.{key}_token_id"))
                .ok()
                .and_then(|id| u32::try_from(id).ok())
        };
        let roles = RoleIds {
            bos: role("bos"),
            eos: role("eos"),
            pad: role("padding"),
            unk: role("unknown"),
        };
        Ok(Self {
            source: Source::Gguf(GgufVocab {
                tokenizer,
                tokens,
                token_types,
                roles,
                path: gguf.path.clone(),
            }),
        })
    }

    /// Checks that a tokenizer was found.
    ///
    /// # Errors
    ///
    /// [`Error::Tokenizer`] naming the missing file and the files to add.
    pub fn check(&self) -> Result<(), Error> {
        match &self.source {
            Source::Gguf(_) => Ok(()),
            Source::Folder { tokenizer, .. } => tokenizer.check(),
        }
    }

    /// Returns the tokenizer file: the GGUF file, `tokenizer.json` or
    /// `vocab.json`.
    pub fn path(&self) -> &Path {
        match &self.source {
            Source::Gguf(vocab) => &vocab.path,
            Source::Folder { tokenizer, .. } => tokenizer.path(),
        }
    }

    /// Encodes `text` to token ids with the special tokens the model adds,
    /// as [`HiddenStates::tokenize`](super::HiddenStates::tokenize) does.
    ///
    /// # Errors
    ///
    /// [`Error::Tokenizer`] when there is no tokenizer or encoding fails.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, Error> {
        match &self.source {
            // The same error as `LlamaGguf::tokenize` in gguf_llama.rs.
            Source::Gguf(vocab) => {
                vocab
                    .tokenizer
                    .encode(text)
                    .map_err(|reason| Error::Tokenizer {
                        path: vocab.path.clone(),
                        reason,
                        fix: "check that the text is valid UTF-8".into(),
                    })
            }
            Source::Folder { tokenizer, .. } => tokenizer.encode(text),
        }
    }

    /// Returns the vocabulary string of token `id` (byte-level BPE pieces
    /// such as `Ġworld`, WordPiece pieces such as `##ing`), or `None` for an
    /// id outside the vocabulary.
    pub fn token(&self, id: u32) -> Option<String> {
        match &self.source {
            Source::Gguf(vocab) => vocab.tokens.get(id as usize).cloned(),
            Source::Folder { tokenizer, .. } => tokenizer.loaded().ok()?.id_to_token(id),
        }
    }

    /// Returns the ids that `mnn score` feeds the model for `text`, by the
    /// rules of `runner::Scorer::score`. A text that is empty or only
    /// whitespace is not encoded, because BERT would still add [CLS] and
    /// [SEP]. An encoding longer than `max_tokens` is cut by
    /// [`super::truncation::truncate_ids`], which keeps the trailing special
    /// tokens. The caller clamps `max_tokens` to the model's
    /// position limit first, as the scorer does.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParam`] for `max_tokens = 0`, and the errors of
    /// [`ModelTokenizer::encode`].
    pub fn ids_as_scored(&self, text: &str, max_tokens: usize) -> Result<ScoredIds, Error> {
        if max_tokens == 0 {
            return Err(Error::InvalidParam {
                name: "max_tokens",
                value: "0".into(),
                fix: "use a positive token count such as 2048".into(),
            });
        }
        if text.trim().is_empty() {
            return Ok(ScoredIds {
                ids: Vec::new(),
                n_full: 0,
                truncated: false,
            });
        }

        let mut ids = self.encode(text)?;
        let n_full = ids.len();
        let mut truncated = false;
        if n_full > max_tokens {
            let n_trailing = super::truncation::count_trailing_specials(|t| self.encode(t))?;
            truncated = super::truncation::truncate_ids(&mut ids, max_tokens, n_trailing);
        }
        Ok(ScoredIds {
            ids,
            n_full,
            truncated,
        })
    }
}
