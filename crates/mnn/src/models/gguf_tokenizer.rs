//! The byte-level BPE tokenizer stored in a GGUF header
//! (`tokenizer.ggml.model = gpt2`).
//!
//! The vocabulary is `tokenizer.ggml.tokens` (id = position) and the merges
//! are `tokenizer.ggml.merges`, one space-separated pair per entry, in rank
//! order. Pre-tokenization is the GPT-2 byte-level regex split without a
//! prefix space. For `tokenizer.ggml.pre = smollm`, every digit is first split
//! off on its own, as in SmolLM2's own tokenizer.json.
//!
//! Control tokens such as `<|im_start|>` are not matched inside the text: a
//! text is scored as raw bytes, like llama.cpp with special-token parsing off.

use tokenizers::Tokenizer;
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::{BPE, Merges, Vocab};
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;

use super::gguf_reader::GgufFile;
use crate::Error;

/// A tokenizer built from GGUF metadata, with the BOS rule of the file.
pub struct GgufTokenizer {
    tokenizer: Tokenizer,
    /// The id prepended to every text when `tokenizer.ggml.add_bos_token` is
    /// true, otherwise `None` (SmolLM2).
    bos: Option<u32>,
    /// The pre-tokenizer name from `tokenizer.ggml.pre`.
    pub pre: String,
    /// Vocabulary size.
    pub vocab_size: usize,
}

impl GgufTokenizer {
    /// Builds the tokenizer from the header of `gguf`.
    ///
    /// # Errors
    ///
    /// [`Error::Tokenizer`] when the tokenizer metadata is missing, is not a
    /// byte-level BPE, or has malformed merges.
    pub fn from_gguf(gguf: &GgufFile) -> Result<Self, Error> {
        let fail = |reason: String| Error::Tokenizer {
            path: gguf.path.clone(),
            reason,
            fix: "use a GGUF file that embeds its tokenizer (llama.cpp's converter does)".into(),
        };

        let model = gguf
            .string("tokenizer.ggml.model")
            .map_err(|e| fail(e.to_string()))?;
        if model != "gpt2" {
            return Err(fail(format!(
                "tokenizer.ggml.model is {model:?}; only byte-level BPE (\"gpt2\") is supported"
            )));
        }
        let tokens = gguf
            .strings("tokenizer.ggml.tokens")
            .map_err(|e| fail(e.to_string()))?;
        let merges = gguf
            .strings("tokenizer.ggml.merges")
            .map_err(|e| fail(e.to_string()))?;
        let pre = gguf
            .string("tokenizer.ggml.pre")
            .unwrap_or("default")
            .to_string();

        let tokenizer = build(&tokens, &merges, &pre).map_err(fail)?;
        let bos = if gguf.bool_or("tokenizer.ggml.add_bos_token", false)? {
            let id = gguf
                .usize("tokenizer.ggml.bos_token_id")
                .map_err(|e| fail(e.to_string()))?;
            Some(u32::try_from(id).map_err(|_| fail(format!("BOS id {id} is out of range")))?)
        } else {
            None
        };
        Ok(Self {
            tokenizer,
            bos,
            pre,
            vocab_size: tokens.len(),
        })
    }

    /// Encodes `text` to token ids, with BOS first when the file sets
    /// `tokenizer.ggml.add_bos_token`.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, String> {
        let encoding = self
            .tokenizer
            .encode(text, false)
            .map_err(|e| e.to_string())?;
        let mut ids = Vec::with_capacity(encoding.len() + 1);
        ids.extend(self.bos);
        ids.extend_from_slice(encoding.get_ids());
        Ok(ids)
    }

    /// Decodes `ids` to text (byte-level decoding).
    pub fn decode(&self, ids: &[u32]) -> Result<String, String> {
        self.tokenizer.decode(ids, false).map_err(|e| e.to_string())
    }
}

/// Builds the byte-level BPE from a vocabulary, space-separated merges and
/// the pre-tokenizer name.
pub fn build(tokens: &[String], merges: &[String], pre: &str) -> Result<Tokenizer, String> {
    let vocab: Vocab = tokens
        .iter()
        .enumerate()
        .map(|(id, token)| (token.clone(), id as u32))
        .collect();
    let mut pairs: Merges = Vec::with_capacity(merges.len());
    for (rank, merge) in merges.iter().enumerate() {
        let (left, right) = merge
            .split_once(' ')
            .ok_or_else(|| format!("merge {rank} ({merge:?}) is not a space-separated pair"))?;
        pairs.push((left.to_string(), right.to_string()));
    }
    let bpe = BPE::builder()
        .vocab_and_merges(vocab, pairs)
        .build()
        .map_err(|e| format!("invalid BPE vocabulary or merges: {e}"))?;

    let byte_level = ByteLevel::default()
        .add_prefix_space(false)
        .trim_offsets(true)
        .use_regex(true);
    let mut steps: Vec<PreTokenizerWrapper> = Vec::new();
    if pre == "smollm" {
        steps.push(Digits::new(true).into());
    }
    steps.push(byte_level.into());

    let mut tokenizer = Tokenizer::new(bpe);
    tokenizer
        .with_pre_tokenizer(Some(Sequence::new(steps)))
        .with_decoder(Some(ByteLevelDecoder::default()));
    Ok(tokenizer)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Returns the 256 byte-level symbols (GPT-2's byte-to-unicode table) in
    /// byte order, so that every text is encodable without merges.
    fn byte_symbols() -> Vec<String> {
        let printable = |b: u32| (33..=126).contains(&b) || (161..=172).contains(&b) || b >= 174;
        let mut extra = 0;
        (0u32..256)
            .map(|b| {
                let code = if printable(b) {
                    b
                } else {
                    extra += 1;
                    255 + extra
                };
                char::from_u32(code).unwrap().to_string()
            })
            .collect()
    }

    fn tiny(pre: &str) -> Tokenizer {
        let mut tokens = byte_symbols();
        tokens.extend(["12".to_string(), "ab".to_string(), "Ġab".to_string()]);
        let merges = ["1 2".to_string(), "a b".to_string(), "Ġ ab".to_string()];
        build(&tokens, &merges, pre).unwrap()
    }

    fn ids(tokenizer: &Tokenizer, text: &str) -> Vec<u32> {
        tokenizer.encode(text, false).unwrap().get_ids().to_vec()
    }

    #[test]
    fn merges_apply_in_words() {
        let tokenizer = tiny("default");
        assert_eq!(ids(&tokenizer, "ab"), vec![257]);
        assert_eq!(ids(&tokenizer, "ab ab"), vec![257, 258]);
    }

    #[test]
    fn smollm_splits_digits() {
        // Without the digit split, "12" merges into one token. With it, each
        // digit stays a byte token ('1' = 0x31, '2' = 0x32).
        assert_eq!(ids(&tiny("default"), "12"), vec![256]);
        assert_eq!(ids(&tiny("smollm"), "12"), vec![0x31, 0x32]);
    }

    #[test]
    fn no_prefix_space() {
        // A leading word gets no 'Ġ' (space) prefix.
        assert_eq!(ids(&tiny("smollm"), "ab"), vec![257]);
    }

    #[test]
    fn byte_round_trip() {
        let tokenizer = tiny("smollm");
        let text = "naïve 42 \u{1F600}\n\ttab";
        let encoded = ids(&tokenizer, text);
        assert_eq!(tokenizer.decode(&encoded, false).unwrap(), text);
    }

    #[test]
    fn bad_merge_is_rejected() {
        let error = build(&byte_symbols(), &["ab".to_string()], "smollm").unwrap_err();
        assert!(error.contains("merge 0"), "{error}");
    }
}
