//! `mnn tokenize`: the token ids `mnn score` feeds the model for a text, with
//! the same special tokens, the same blank-text rule and the same truncation
//! to `--max-tokens` (clamped to the model's position limit). Only the
//! tokenizer and the model's sizes are read, not its weights.
//!
//! ```text
//! mnn tokenize --model SmolLM2-135M-Instruct.Q4_1.gguf --text "Hello world"
//! mnn tokenize --model all-MiniLM-L6-v2/ --input texts.jsonl --field output --json
//! ```

use std::io::Write;
use std::num::NonZeroUsize;
use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::{ArgGroup, Args};
use mnn::io::texts::{TextRow, read_texts};
use mnn::models::describe::{read_shape, resolve_arch};
use mnn::models::model_tokenizer::{ModelTokenizer, ScoredIds};
use serde::Serialize;

use super::score::{ArchName, arch_of};

/// The note printed for a text without tokens.
const EMPTY_NOTE: &str =
    "empty text: mnn score records it with status empty and leaves it out of the means";

#[derive(Args)]
#[command(group(ArgGroup::new("source").required(true).args(["text", "input"])))]
pub struct TokenizeArgs {
    /// A `.gguf` file, or a folder with config.json, weights and a tokenizer.
    #[arg(long)]
    pub model: PathBuf,
    /// The architecture; `auto` reads GGUF `general.architecture` or
    /// `config.json` `model_type`.
    #[arg(long, value_enum, default_value = "auto")]
    pub arch: ArchName,
    /// The text to tokenize.
    #[arg(long)]
    pub text: Option<String>,
    /// JSONL file with one JSON object per line; each line's `--field` is
    /// tokenized.
    #[arg(long, visible_alias = "data", requires = "field")]
    pub input: Option<PathBuf>,
    /// Name of the string field to tokenize in each line of `--input`.
    #[arg(long, requires = "input")]
    pub field: Option<String>,
    /// Tokenize only the first K rows of `--input`.
    #[arg(long, requires = "input")]
    pub limit: Option<NonZeroUsize>,
    /// Max tokens kept per text (the first ones), clamped to the model
    /// limit, as in `mnn score`.
    #[arg(long, default_value = "2048")]
    pub max_tokens: NonZeroUsize,
    /// Print one JSON object per text (JSON lines) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The tokens of one text.
#[derive(Serialize)]
struct TokenizedText {
    /// The line index among the non-blank lines of `--input`.
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<usize>,
    /// The row's `id` field, or its index.
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    /// `ok`, `empty` (no tokens) or `skipped` (the tokenizer failed), as in
    /// samples.jsonl.
    status: &'static str,
    /// The number of ids fed to the model, after truncation.
    n_tokens: usize,
    /// The number of ids before truncation.
    n_tokens_full: usize,
    truncated: bool,
    /// The token limit after clamping to the model's position limit.
    max_tokens: usize,
    ids: Vec<u32>,
    /// The vocabulary string of each id (null for an id outside it).
    tokens: Vec<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Runs `mnn tokenize`: prints the ids `score` would feed the model.
pub fn run(args: &TokenizeArgs) -> Result<()> {
    let arch = resolve_arch(&args.model, arch_of(args.arch))?;
    let shape = read_shape(&args.model, arch)?;
    let tokenizer = ModelTokenizer::load(&args.model, arch)?;
    tokenizer.check()?;
    let max_tokens = clamp_max_tokens(args.max_tokens.get(), shape.max_positions);

    let mut stdout = std::io::stdout().lock();
    if let Some(text) = &args.text {
        let scored = tokenizer.ids_as_scored(text, max_tokens)?;
        let result = tokenized(&tokenizer, None, scored, max_tokens);
        return print(&mut stdout, &result, args.json);
    }

    for row in select_rows(args)? {
        let result = match tokenizer.ids_as_scored(&row.text, max_tokens) {
            Ok(scored) => tokenized(&tokenizer, Some(&row), scored, max_tokens),
            Err(error) => skipped(&row, max_tokens, &error),
        };
        print(&mut stdout, &result, args.json)?;
    }
    Ok(())
}

/// Returns `requested` clamped to the model limit, with the warning of
/// `runner::Scorer`.
fn clamp_max_tokens(requested: usize, limit: usize) -> usize {
    if requested > limit {
        tracing::warn!(
            requested,
            limit,
            "--max-tokens is above the model limit, so it is clamped"
        );
    }
    requested.min(limit)
}

/// Reads the `--input` rows, the first `--limit` of them when set.
fn select_rows(args: &TokenizeArgs) -> Result<Vec<TextRow>> {
    let (Some(input), Some(field)) = (&args.input, &args.field) else {
        bail!("pass --text, or --input with --field");
    };
    let rows = read_texts(input, field)?;
    if rows.is_empty() {
        bail!(
            "input {} has no rows: it is empty or contains only blank lines; pass a JSONL file with one JSON object per line",
            input.display()
        );
    }
    let limit = args.limit.map_or(rows.len(), NonZeroUsize::get);
    Ok(rows.into_iter().take(limit).collect())
}

fn tokenized(
    tokenizer: &ModelTokenizer,
    row: Option<&TextRow>,
    scored: ScoredIds,
    max_tokens: usize,
) -> TokenizedText {
    let empty = scored.ids.is_empty();
    TokenizedText {
        index: row.map(|r| r.index),
        id: row.map(|r| r.id.clone()),
        status: if empty { "empty" } else { "ok" },
        n_tokens: scored.ids.len(),
        n_tokens_full: scored.n_full,
        truncated: scored.truncated,
        max_tokens,
        tokens: scored.ids.iter().map(|&id| tokenizer.token(id)).collect(),
        ids: scored.ids,
        note: empty.then_some(EMPTY_NOTE),
        error: None,
    }
}

/// Builds the record of a row whose text the tokenizer rejects, with status
/// `skipped` as in samples.jsonl.
fn skipped(row: &TextRow, max_tokens: usize, error: &mnn::Error) -> TokenizedText {
    tracing::warn!(index = row.index, id = %row.id, %error, "text skipped");
    TokenizedText {
        index: Some(row.index),
        id: Some(row.id.clone()),
        status: "skipped",
        n_tokens: 0,
        n_tokens_full: 0,
        truncated: false,
        max_tokens,
        ids: Vec::new(),
        tokens: Vec::new(),
        note: None,
        error: Some(error.to_string()),
    }
}

fn print(out: &mut impl Write, result: &TokenizedText, json: bool) -> Result<()> {
    if json {
        serde_json::to_writer(&mut *out, result)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(out, "{}", count_line(result))?;
    if result.n_tokens > 0 {
        let ids: Vec<String> = result.ids.iter().map(u32::to_string).collect();
        writeln!(out, "ids: {}", ids.join(" "))?;
        writeln!(out, "tokens: {}", token_list(&result.tokens))?;
    }
    Ok(())
}

/// Returns the line with the row, the token count and what happened to it.
fn count_line(result: &TokenizedText) -> String {
    let mut line = match (&result.index, &result.id) {
        (Some(index), Some(id)) => format!("row {index} (id {id}): "),
        _ => String::new(),
    };
    line.push_str(&format!("{} tokens", result.n_tokens));
    if result.truncated {
        line.push_str(&format!(
            ", truncated from {} to --max-tokens {}",
            result.n_tokens_full, result.max_tokens
        ));
    }
    if let Some(note) = result.note {
        line.push_str(&format!(" ({note})"));
    }
    if let Some(error) = &result.error {
        line.push_str(&format!(" (skipped: {error})"));
    }
    line
}

/// Formats token strings as space-separated JSON strings, so that spaces
/// and control characters inside a token stay visible.
fn token_list(tokens: &[Option<String>]) -> String {
    tokens
        .iter()
        .map(|token| match token {
            Some(token) => serde_json::to_string(token).unwrap_or_default(),
            None => "?".to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_list_quotes_tokens() {
        let tokens = vec![Some("Ġa b".to_string()), None, Some("\n".to_string())];
        assert_eq!(token_list(&tokens), r#""Ġa b" ? "\n""#);
    }

    #[test]
    fn clamp_keeps_smaller_value() {
        assert_eq!(clamp_max_tokens(2048, 512), 512);
        assert_eq!(clamp_max_tokens(100, 512), 100);
    }
}
