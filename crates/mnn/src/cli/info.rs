//! `mnn info`: a model's architecture, sizes, weight files and tokenizer,
//! read from headers only. No weight is dequantised and no forward pass
//! runs, so SmolLM2's 98 MB GGUF file is described without reading its
//! tensor data (except with `--sha256`, which reads every byte).
//!
//! ```text
//! mnn info --model SmolLM2-135M-Instruct.Q4_1.gguf
//! mnn info --model all-MiniLM-L6-v2/ --json --sha256
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Args, ValueEnum};
use mnn::Error;
use mnn::models::describe::{ModelShape, read_shape, resolve_arch};
use mnn::models::gguf_reader::GgufFile;
use mnn::models::hf_config::model_dir;
use mnn::models::model_tokenizer::ModelTokenizer;
use mnn::models::tokenizer_facts::{SpecialToken, TokenizerFacts};
use mnn::models::weight_headers::{WeightFacts, add_sha256, folder_weights, gguf_weights};
use mnn::models::{Arch, describe};
use serde::Serialize;

use super::score::{ArchName, LayersName, arch_of};

/// The default `--max-tokens` of `mnn score`.
const SCORE_DEFAULT_MAX_TOKENS: usize = 2048;

#[derive(Args)]
pub struct InfoArgs {
    /// A `.gguf` file, or a folder with config.json, weights and a tokenizer.
    #[arg(long)]
    pub model: PathBuf,
    /// The architecture; `auto` reads GGUF `general.architecture` or
    /// `config.json` `model_type`.
    #[arg(long, value_enum, default_value = "auto")]
    pub arch: ArchName,
    /// Also compute the sha256 of each weight file, which reads every byte.
    #[arg(long)]
    pub sha256: bool,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Everything `mnn info` prints.
#[derive(Serialize)]
struct InfoReport {
    model: PathBuf,
    #[serde(flatten)]
    shape: ModelShape,
    /// The token limit `mnn score` applies by default: 2048 clamped to the
    /// model's position limit.
    score_max_tokens: usize,
    /// The values `mnn score --layers` accepts.
    score_layers: Vec<String>,
    /// The layer labels of `--layers all`: 0 (embedding output) to L, then
    /// `final`.
    layer_labels: Vec<String>,
    weights: WeightFacts,
    /// `None` when the tokenizer is missing or invalid (see
    /// `tokenizer_error`).
    tokenizer: Option<TokenizerFacts>,
    tokenizer_error: Option<String>,
}

/// Runs `mnn info`: prints what the model headers describe.
pub fn run(args: &InfoArgs) -> Result<()> {
    let arch = resolve_arch(&args.model, arch_of(args.arch))?;
    let (shape, mut weights, tokenizer) = read_headers(&args.model, arch)?;
    if args.sha256 {
        tracing::info!("hashing the weight files");
        add_sha256(&mut weights)?;
    }

    let (tokenizer, tokenizer_error) = match tokenizer.and_then(|t| t.facts()) {
        Ok(facts) => (Some(facts), None),
        Err(error @ Error::Tokenizer { .. }) => {
            tracing::warn!(%error, "the model has no usable tokenizer");
            (None, Some(error.to_string()))
        }
        Err(error) => return Err(error.into()),
    };
    let report = InfoReport {
        model: args.model.clone(),
        score_max_tokens: SCORE_DEFAULT_MAX_TOKENS.min(shape.max_positions),
        score_layers: score_layer_values(),
        layer_labels: layer_labels(shape.n_layers),
        shape,
        weights,
        tokenizer,
        tokenizer_error,
    };

    let mut stdout = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut stdout, &report)?;
        writeln!(stdout)?;
        return Ok(());
    }
    for line in aligned(&table_rows(&report)) {
        writeln!(stdout, "{line}")?;
    }
    Ok(())
}

/// Reads the sizes, the weight headers and the tokenizer, opening a GGUF
/// header once.
fn read_headers(
    path: &Path,
    arch: Arch,
) -> Result<(ModelShape, WeightFacts, Result<ModelTokenizer, Error>)> {
    if arch == Arch::LlamaGguf {
        let gguf = GgufFile::open(path)?;
        let shape = describe::gguf_shape(&gguf)?;
        let weights = gguf_weights(&gguf)?;
        return Ok((shape, weights, ModelTokenizer::from_gguf(&gguf)));
    }
    let shape = read_shape(path, arch)?;
    let weights = folder_weights(model_dir(path))?;
    Ok((shape, weights, ModelTokenizer::load(path, arch)))
}

/// Returns every name and alias of `mnn score --layers`, from its argument
/// type, so that this list follows `score`.
fn score_layer_values() -> Vec<String> {
    LayersName::value_variants()
        .iter()
        .filter_map(ValueEnum::to_possible_value)
        .flat_map(|value| {
            value
                .get_name_and_aliases()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn layer_labels(n_layers: usize) -> Vec<String> {
    let mut labels: Vec<String> = (0..=n_layers).map(|i| i.to_string()).collect();
    labels.push("final".into());
    labels
}

/// Builds the (label, value) rows of the human-readable table.
fn table_rows(report: &InfoReport) -> Vec<(String, String)> {
    let shape = &report.shape;
    let mut rows = vec![
        ("model".into(), report.model.display().to_string()),
        (
            "architecture".into(),
            format!("{} ({})", shape.arch, shape.model_type),
        ),
    ];
    if let Some(name) = &shape.name {
        rows.push(("name".into(), name.clone()));
    }
    let heads = match shape.n_kv_heads {
        Some(kv) => format!("{} ({kv} KV heads)", shape.n_heads),
        None => shape.n_heads.to_string(),
    };
    rows.extend([
        ("hidden size d".into(), shape.hidden_size.to_string()),
        ("layers L".into(), shape.n_layers.to_string()),
        ("heads".into(), heads),
        ("FFN size".into(), shape.ffn_size.to_string()),
        ("vocabulary".into(), shape.vocab_size.to_string()),
        ("max positions".into(), shape.max_positions.to_string()),
        (
            "score max tokens".into(),
            format!("{} by default", report.score_max_tokens),
        ),
        (
            "score --layers".into(),
            format!(
                "{} (all = 0..{} and final)",
                report.score_layers.join(", "),
                shape.n_layers
            ),
        ),
    ]);
    rows.extend(weight_rows(&report.weights));
    match (&report.tokenizer, &report.tokenizer_error) {
        (Some(facts), _) => rows.extend(tokenizer_rows(facts)),
        (None, Some(error)) => rows.push(("tokenizer".into(), format!("none: {error}"))),
        (None, None) => {}
    }
    rows
}

fn weight_rows(weights: &WeightFacts) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    for file in &weights.files {
        rows.push((
            "weight file".into(),
            format!("{} ({} bytes)", file.path.display(), file.bytes),
        ));
        if let Some(sha256) = &file.sha256 {
            rows.push(("sha256".into(), sha256.clone()));
        }
    }
    let dtypes: Vec<String> = weights
        .dtypes
        .iter()
        .map(|(dtype, count)| format!("{dtype} {count}"))
        .collect();
    rows.push((
        "tensors".into(),
        format!(
            "{} {}: {}",
            weights.n_tensors,
            weights.format,
            dtypes.join(", ")
        ),
    ));
    rows.push(("parameters".into(), weights.n_parameters.to_string()));
    rows
}

fn tokenizer_rows(facts: &TokenizerFacts) -> Vec<(String, String)> {
    let role = |token: &Option<SpecialToken>| {
        token
            .as_ref()
            .map_or_else(|| "none".to_string(), format_token)
    };
    let added = |tokens: &[SpecialToken]| {
        if tokens.is_empty() {
            "none".to_string()
        } else {
            tokens
                .iter()
                .map(format_token)
                .collect::<Vec<_>>()
                .join(" ")
        }
    };
    vec![
        ("tokenizer".into(), facts.kind.clone()),
        ("tokenizer file".into(), facts.file.display().to_string()),
        ("tokenizer vocabulary".into(), facts.vocab_size.to_string()),
        ("special tokens".into(), facts.n_special.to_string()),
        ("BOS".into(), role(&facts.bos)),
        ("EOS".into(), role(&facts.eos)),
        ("PAD".into(), role(&facts.pad)),
        ("UNK".into(), role(&facts.unk)),
        (
            "adds BOS".into(),
            if facts.adds_bos { "yes" } else { "no" }.into(),
        ),
        ("added before text".into(), added(&facts.added_before)),
        ("added after text".into(), added(&facts.added_after)),
    ]
}

/// Formats a token as `id "string"`, with `?` for an unknown part.
fn format_token(token: &SpecialToken) -> String {
    let id = token
        .id
        .map_or_else(|| "?".to_string(), |id| id.to_string());
    let text = token.token.as_deref().map_or_else(
        || "?".to_string(),
        |t| serde_json::to_string(t).unwrap_or_default(),
    );
    format!("{id} {text}")
}

/// Pads the labels to one width, so the values form a second column.
fn aligned(rows: &[(String, String)]) -> Vec<String> {
    let width = rows
        .iter()
        .map(|(label, _)| label.chars().count())
        .max()
        .unwrap_or(0);
    rows.iter()
        .map(|(label, value)| format!("{label:<width$}  {value}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_pads_labels() {
        let rows = vec![
            ("d".to_string(), "576".to_string()),
            ("layers".to_string(), "30".to_string()),
        ];
        assert_eq!(aligned(&rows), vec!["d       576", "layers  30"]);
    }

    #[test]
    fn score_layer_values_follow_score() {
        let values = score_layer_values();
        for name in ["last", "final", "all"] {
            assert!(values.contains(&name.to_string()), "{values:?}");
        }
    }

    #[test]
    fn layer_labels_run_to_final() {
        assert_eq!(layer_labels(2), vec!["0", "1", "2", "final"]);
    }
}
