//! The tokenizer of a Hugging Face model folder: `tokenizer.json`, or for
//! byte-level BPE models a vocabulary `vocab.json` with `merges.txt`.
//!
//! Truncation and padding stored in `tokenizer.json` are switched off after
//! loading: the runner scores every token of a text, and the caller decides
//! how to cut a text longer than the model's position limit.

use std::path::{Path, PathBuf};

use tokenizers::Tokenizer;
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::BPE;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;

use crate::Error;

/// A loaded tokenizer, or the reason there is none. A model folder without a
/// tokenizer still loads, so that token ids can be scored, but
/// [`TextTokenizer::check`] and every [`TextTokenizer::encode`] call fail
/// with that reason.
pub struct TextTokenizer {
    tokenizer: Option<Tokenizer>,
    path: PathBuf,
}

impl TextTokenizer {
    /// Loads `<dir>/tokenizer.json`, or, when `byte_level_bpe` is set and it
    /// is absent, a byte-level BPE from `vocab.json` and `merges.txt` (GPT-2's
    /// pre-tokenizer, no prefix space).
    ///
    /// # Errors
    /// [`Error::Tokenizer`] when a tokenizer file exists but cannot be parsed.
    pub fn load(dir: &Path, byte_level_bpe: bool) -> Result<Self, Error> {
        let json = dir.join("tokenizer.json");
        let vocab = dir.join("vocab.json");
        let merges = dir.join("merges.txt");

        let (tokenizer, path) = if json.is_file() {
            (Some(from_json(&json)?), json)
        } else if byte_level_bpe && vocab.is_file() && merges.is_file() {
            (Some(from_vocab_merges(&vocab, &merges)?), vocab)
        } else {
            (None, json)
        };
        Ok(Self { tokenizer, path })
    }

    /// Checks that a tokenizer was loaded.
    ///
    /// # Errors
    /// [`Error::Tokenizer`] naming the missing file and the files to add.
    pub fn check(&self) -> Result<(), Error> {
        match self.tokenizer {
            Some(_) => Ok(()),
            None => Err(self.missing()),
        }
    }

    /// Returns the loaded tokenizer.
    ///
    /// # Errors
    /// [`Error::Tokenizer`] naming the missing file, as [`TextTokenizer::check`].
    pub fn loaded(&self) -> Result<&Tokenizer, Error> {
        self.tokenizer.as_ref().ok_or_else(|| self.missing())
    }

    /// Returns the tokenizer file (`tokenizer.json` or `vocab.json`), or the
    /// expected `tokenizer.json` path when the folder has no tokenizer.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Token ids of `text`, with the special tokens the tokenizer adds.
    ///
    /// # Errors
    /// [`Error::Tokenizer`] when there is no tokenizer or encoding fails.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, Error> {
        let Some(tokenizer) = &self.tokenizer else {
            return Err(self.missing());
        };
        let encoding = tokenizer
            .encode(text, true)
            .map_err(|e| self.failure(format!("encoding failed: {e}")))?;
        Ok(encoding.get_ids().to_vec())
    }

    /// Returns the largest id the tokenizer can produce (vocabulary and
    /// added tokens), or `None` when the folder has no tokenizer.
    pub fn max_id(&self) -> Option<u32> {
        let tokenizer = self.tokenizer.as_ref()?;
        tokenizer.get_vocab(true).into_values().max()
    }

    fn missing(&self) -> Error {
        Error::Tokenizer {
            path: self.path.clone(),
            reason: "not found".into(),
            fix: "add tokenizer.json (or vocab.json and merges.txt) to the model folder".into(),
        }
    }

    fn failure(&self, reason: String) -> Error {
        Error::Tokenizer {
            path: self.path.clone(),
            reason,
            fix: "check the text and the tokenizer files".into(),
        }
    }
}

// NOTE: a BERT folder with only `vocab.txt` (no `tokenizer.json`) gets no
// tokenizer. all-MiniLM-L6-v2 ships `tokenizer.json`.
fn from_json(path: &Path) -> Result<Tokenizer, Error> {
    let mut tokenizer = Tokenizer::from_file(path).map_err(|e| invalid(path, e))?;
    tokenizer
        .with_truncation(None)
        .map_err(|e| invalid(path, e))?;
    tokenizer.with_padding(None);
    Ok(tokenizer)
}

fn from_vocab_merges(vocab: &Path, merges: &Path) -> Result<Tokenizer, Error> {
    let bpe = BPE::from_file(&vocab.to_string_lossy(), &merges.to_string_lossy())
        .build()
        .map_err(|e| invalid(vocab, e))?;
    let mut tokenizer = Tokenizer::new(bpe);
    tokenizer.with_pre_tokenizer(Some(ByteLevel::default().add_prefix_space(false)));
    tokenizer.with_decoder(Some(ByteLevelDecoder::default()));
    Ok(tokenizer)
}

fn invalid(path: &Path, error: impl std::fmt::Display) -> Error {
    Error::Tokenizer {
        path: path.to_path_buf(),
        reason: format!("cannot be loaded: {error}"),
        fix: "pass the tokenizer files saved with the model".into(),
    }
}
