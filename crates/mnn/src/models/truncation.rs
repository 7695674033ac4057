//! The `--max-tokens` cut shared by `mnn score` (the ids fed to the model)
//! and `mnn tokenize` (the ids it prints).
//!
//! Tokenizers such as BERT's append special tokens after every text
//! (`[SEP]`). The cut keeps those trailing tokens and drops text tokens
//! instead, as Hugging Face truncation does: `[CLS] one two three four [SEP]`
//! cut to 4 gives `[CLS] one two [SEP]`.

use crate::Error;

/// Returns the number of tokens the tokenizer appends after every text: the
/// ids of `encode("")` that do not start the encoding of `"a"`.
///
/// # Errors
/// The errors of `encode`.
pub fn count_trailing_specials(
    encode: impl Fn(&str) -> Result<Vec<u32>, Error>,
) -> Result<usize, Error> {
    let empty = encode("")?;
    let probe = encode("a")?;
    Ok(empty.len() - count_leading_specials(&empty, &probe))
}

/// Returns the number of ids of `empty` (the encoding of `""`) that also
/// start `probe` (the encoding of a one-letter text): the tokens added before
/// every text.
pub fn count_leading_specials(empty: &[u32], probe: &[u32]) -> usize {
    empty.iter().zip(probe).take_while(|(a, b)| a == b).count()
}

/// Cuts `ids` to at most `max_tokens`, keeping the last `n_trailing` ids (the
/// appended special tokens) and dropping text ids before them. When
/// `max_tokens` leaves no room for a text id besides the trailing ones, it
/// keeps the first `max_tokens` ids. Returns whether anything was cut.
pub fn truncate_ids(ids: &mut Vec<u32>, max_tokens: usize, n_trailing: usize) -> bool {
    let n = ids.len();
    if n <= max_tokens {
        return false;
    }
    if n_trailing == 0 || max_tokens <= n_trailing || n_trailing >= n {
        ids.truncate(max_tokens);
        return true;
    }
    let keep_head = max_tokens - n_trailing;
    ids.drain(keep_head..n - n_trailing);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_trailing_sep() {
        let mut ids = vec![101, 1, 2, 3, 4, 102];
        assert!(truncate_ids(&mut ids, 4, 1));
        assert_eq!(ids, vec![101, 1, 2, 102]);
    }

    #[test]
    fn short_input_unchanged() {
        let mut ids = vec![101, 1, 102];
        assert!(!truncate_ids(&mut ids, 3, 1));
        assert_eq!(ids, vec![101, 1, 102]);
    }

    #[test]
    fn no_trailing_cuts_prefix() {
        let mut ids = vec![1, 2, 3, 4];
        assert!(truncate_ids(&mut ids, 2, 0));
        assert_eq!(ids, vec![1, 2]);
    }

    #[test]
    fn limit_below_trailing_cuts_prefix() {
        let mut ids = vec![101, 1, 2, 102];
        assert!(truncate_ids(&mut ids, 1, 1));
        assert_eq!(ids, vec![101]);
    }

    #[test]
    fn counts_sep_as_trailing() {
        let encode = |text: &str| -> Result<Vec<u32>, Error> {
            let mut ids = vec![101];
            ids.extend(text.bytes().map(u32::from));
            ids.push(102);
            Ok(ids)
        };
        assert_eq!(count_trailing_specials(encode).unwrap(), 1);
    }
}
