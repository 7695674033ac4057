//! Facts about a model's tokenizer for `mnn info`: its kind, vocabulary
//! size, the BOS, EOS, PAD and UNK tokens, the special tokens added to every
//! text, and the number of special tokens.
//!
//! The added tokens are measured through [`ModelTokenizer::encode`], the
//! path `mnn score` uses, not read from a config. Encoding `""` gives exactly
//! the tokens added to every text, and encoding `"a"` shows which of them
//! come before the text: those that start both encodings.
//!
//! ```no_run
//! use mnn::models::Arch;
//! use mnn::models::model_tokenizer::ModelTokenizer;
//!
//! let tokenizer = ModelTokenizer::load("minilm".as_ref(), Arch::Bert)?;
//! let facts = tokenizer.facts()?;
//! assert_eq!(facts.added_before[0].token.as_deref(), Some("[CLS]"));
//! # Ok::<(), mnn::Error>(())
//! ```

use std::path::{Path, PathBuf};

use serde::Serialize;
use tokenizers::Tokenizer;
use tokenizers::models::ModelWrapper;

use super::model_tokenizer::{GgufVocab, ModelTokenizer, RoleIds, Source};
use crate::Error;

/// The GGUF token types (gguf-py `TokenType`) that mark a special token:
/// unknown (2), control (3) and user-defined (4). Normal (1), unused (5) and
/// byte (6) tokens are not special.
const GGUF_SPECIAL_TYPES: [i32; 3] = [2, 3, 4];

/// One token with a role. Either part may be unknown: a config can name an
/// id outside the vocabulary, or a string the vocabulary lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpecialToken {
    pub id: Option<u32>,
    pub token: Option<String>,
}

/// The tokenizer section of the `mnn info` report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenizerFacts {
    /// The tokenization model and where it comes from, such as
    /// `WordPiece (tokenizer.json)`.
    pub kind: String,
    /// The file the tokenizer was read from.
    pub file: PathBuf,
    /// The number of token ids, added tokens included.
    pub vocab_size: usize,
    pub bos: Option<SpecialToken>,
    pub eos: Option<SpecialToken>,
    pub pad: Option<SpecialToken>,
    pub unk: Option<SpecialToken>,
    /// Whether every encoding starts with the BOS token.
    pub adds_bos: bool,
    /// The tokens added before every text (BERT: `[CLS]`).
    pub added_before: Vec<SpecialToken>,
    /// The tokens added after every text (BERT: `[SEP]`).
    pub added_after: Vec<SpecialToken>,
    /// The number of special tokens in the vocabulary: GGUF tokens of type
    /// unknown, control or user-defined, or `tokenizer.json` added tokens
    /// marked `special`.
    pub n_special: usize,
}

impl ModelTokenizer {
    /// Collects the facts of the loaded tokenizer.
    ///
    /// # Errors
    ///
    /// [`Error::Tokenizer`] when the model folder has no tokenizer or the
    /// probe texts cannot be encoded.
    pub fn facts(&self) -> Result<TokenizerFacts, Error> {
        let mut facts = match &self.source {
            Source::Gguf(vocab) => gguf_facts(vocab),
            Source::Folder { tokenizer, dir } => {
                folder_facts(tokenizer.loaded()?, tokenizer.path(), dir)
            }
        };

        let (before, after) = self.added_tokens()?;
        facts.added_before = before.iter().map(|&id| self.special(id)).collect();
        facts.added_after = after.iter().map(|&id| self.special(id)).collect();
        let bos = facts.bos.as_ref().and_then(|token| token.id);
        facts.adds_bos = bos.is_some() && before.first().copied() == bos;
        Ok(facts)
    }

    /// Returns the ids added before and after every text, from the
    /// encodings of `""` and `"a"`.
    fn added_tokens(&self) -> Result<(Vec<u32>, Vec<u32>), Error> {
        let empty = self.encode("")?;
        let probe = self.encode("a")?;
        let n_before = super::truncation::count_leading_specials(&empty, &probe);
        Ok((empty[..n_before].to_vec(), empty[n_before..].to_vec()))
    }

    fn special(&self, id: u32) -> SpecialToken {
        SpecialToken {
            id: Some(id),
            token: self.token(id),
        }
    }
}

fn gguf_facts(vocab: &GgufVocab) -> TokenizerFacts {
    let role = |id: Option<u32>| {
        id.map(|id| SpecialToken {
            id: Some(id),
            token: vocab.tokens.get(id as usize).cloned(),
        })
    };
    let RoleIds { bos, eos, pad, unk } = vocab.roles;
    TokenizerFacts {
        kind: format!(
            "byte-level BPE (GGUF tokenizer.ggml.model gpt2, pre {})",
            vocab.tokenizer.pre
        ),
        file: vocab.path.clone(),
        vocab_size: vocab.tokens.len(),
        bos: role(bos),
        eos: role(eos),
        pad: role(pad),
        unk: role(unk),
        adds_bos: false,
        added_before: Vec::new(),
        added_after: Vec::new(),
        n_special: vocab
            .token_types
            .iter()
            .filter(|t| GGUF_SPECIAL_TYPES.contains(t))
            .count(),
    }
}

fn folder_facts(tokenizer: &Tokenizer, file: &Path, dir: &Path) -> TokenizerFacts {
    let model = match tokenizer.get_model() {
        ModelWrapper::BPE(_) => "BPE",
        ModelWrapper::WordPiece(_) => "WordPiece",
        ModelWrapper::WordLevel(_) => "WordLevel",
        ModelWrapper::Unigram(_) => "Unigram",
    };
    let source = if file.ends_with("vocab.json") {
        "vocab.json + merges.txt"
    } else {
        "tokenizer.json"
    };
    let configs = FolderConfigs::read(dir);
    TokenizerFacts {
        kind: format!("{model} ({source})"),
        file: file.to_path_buf(),
        vocab_size: tokenizer.get_vocab_size(true),
        bos: configs.role(tokenizer, "bos"),
        eos: configs.role(tokenizer, "eos"),
        pad: configs.role(tokenizer, "pad"),
        unk: configs.role(tokenizer, "unk"),
        adds_bos: false,
        added_before: Vec::new(),
        added_after: Vec::new(),
        n_special: tokenizer
            .get_added_tokens_decoder()
            .values()
            .filter(|token| token.special)
            .count(),
    }
}

/// The JSON files of a model folder that name special tokens, each `Null`
/// when absent or unreadable.
struct FolderConfigs {
    special_tokens_map: serde_json::Value,
    tokenizer_config: serde_json::Value,
    config: serde_json::Value,
}

impl FolderConfigs {
    fn read(dir: &Path) -> Self {
        Self {
            special_tokens_map: read_json(&dir.join("special_tokens_map.json")),
            tokenizer_config: read_json(&dir.join("tokenizer_config.json")),
            config: read_json(&dir.join("config.json")),
        }
    }

    /// Returns the token of `role` (`bos`, `eos`, `pad` or `unk`). The lookup
    /// order is ours: the string `<role>_token` of special_tokens_map.json,
    /// then of tokenizer_config.json, then the id `<role>_token_id` of
    /// config.json.
    fn role(&self, tokenizer: &Tokenizer, role: &str) -> Option<SpecialToken> {
        let key = format!("{role}_token");
        let named = [&self.special_tokens_map, &self.tokenizer_config]
            .into_iter()
            .find_map(|json| token_content(json.get(&key)?));
        if let Some(token) = named {
            return Some(SpecialToken {
                id: tokenizer.token_to_id(&token),
                token: Some(token),
            });
        }
        let id = self.config.get(format!("{key}_id"))?.as_u64()?;
        let id = u32::try_from(id).ok()?;
        Some(SpecialToken {
            id: Some(id),
            token: tokenizer.id_to_token(id),
        })
    }
}

/// Reads a JSON file, or returns `Null` (with a warning when the file
/// exists but is not JSON).
fn read_json(path: &Path) -> serde_json::Value {
    let Ok(text) = std::fs::read_to_string(path) else {
        return serde_json::Value::Null;
    };
    serde_json::from_str(&text).unwrap_or_else(|error| {
        tracing::warn!(path = %path.display(), %error, "not valid JSON, so ignored");
        serde_json::Value::Null
    })
}

/// Returns the token string of a special-token entry: a plain string, or an
/// object with a `content` string (an AddedToken as transformers saves it).
fn token_content(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(token) => Some(token.clone()),
        serde_json::Value::Object(object) => object.get("content")?.as_str().map(str::to_string),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_content_reads_both_forms() {
        let plain = serde_json::json!("[PAD]");
        let object = serde_json::json!({"content": "<s>", "special": true});
        assert_eq!(token_content(&plain).as_deref(), Some("[PAD]"));
        assert_eq!(token_content(&object).as_deref(), Some("<s>"));
        assert_eq!(token_content(&serde_json::json!(null)), None);
    }
}
