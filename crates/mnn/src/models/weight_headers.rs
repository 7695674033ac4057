//! The weight files of a model and the facts their headers record (for `mnn info`):
//! byte sizes, tensor counts by storage type, the parameter count, and on
//! request the sha256 of each file.
//!
//! Only headers are read: the tensor infos of a GGUF file, the JSON header
//! of each safetensors file (8-byte little-endian length, then JSON), or the
//! pickle of `pytorch_model.bin`. Files are tried in the order of
//! hf_weights.rs: `model.safetensors`, the shards of
//! `model.safetensors.index.json`, then `pytorch_model.bin`.
//!
//! The parameter count is our definition: the elements of every
//! floating-point or quantised tensor, without integer or boolean tensors
//! (BERT's `position_ids`) and without the attention-mask and rotary
//! buffers that older GPT-2 and GPT-NeoX checkpoints store
//! ([`BUFFER_SUFFIXES`]).
//!
//! ```no_run
//! use mnn::models::weight_headers::folder_weights;
//!
//! let facts = folder_weights("minilm".as_ref())?;
//! assert_eq!(facts.format, "safetensors");
//! # Ok::<(), mnn::Error>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use candle_core::quantized::GgmlDType;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::gguf_reader::{GgufFile, model_error};
use crate::Error;

/// Name endings of stored buffers that are not parameters: the causal masks
/// of GPT-2 (`attn.bias`, `attn.masked_bias`) and GPT-NeoX
/// (`attention.bias`, `attention.masked_bias`), and GPT-NeoX's rotary
/// frequencies. The leading dot keeps `c_attn.bias` a parameter.
pub const BUFFER_SUFFIXES: [&str; 5] = [
    ".attn.bias",
    ".attn.masked_bias",
    ".attention.bias",
    ".attention.masked_bias",
    ".rotary_emb.inv_freq",
];

/// The largest safetensors header accepted, 100 MB, the limit the
/// safetensors format sets.
const MAX_HEADER_BYTES: u64 = 100_000_000;

/// One weight file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WeightFile {
    pub path: PathBuf,
    /// The file size in bytes.
    pub bytes: u64,
    /// The lowercase hex sha256 of the file, when requested.
    pub sha256: Option<String>,
}

/// The facts recorded in the weight headers of one model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WeightFacts {
    /// `gguf`, `safetensors` or `pytorch`.
    pub format: &'static str,
    pub files: Vec<WeightFile>,
    /// The number of stored tensors, buffers included.
    pub n_tensors: usize,
    /// The number of tensors per storage type (`F32`, `Q4_1`, `I64`, …).
    pub dtypes: BTreeMap<String, usize>,
    /// The number of parameters (see the module documentation).
    pub n_parameters: u64,
}

/// One tensor as a header describes it.
struct TensorHeader {
    name: String,
    dtype: String,
    elements: u64,
    /// Whether the elements are floating-point or quantised numbers.
    is_float: bool,
}

/// Reads the weight facts of an open GGUF file from its tensor infos.
///
/// # Errors
///
/// [`Error::Read`] when the file size cannot be read.
pub fn gguf_weights(gguf: &GgufFile) -> Result<WeightFacts, Error> {
    let tensors = gguf
        .content
        .tensor_infos
        .iter()
        .map(|(name, info)| TensorHeader {
            name: name.clone(),
            dtype: ggml_name(info.ggml_dtype).to_string(),
            elements: info.shape.elem_count() as u64,
            is_float: true,
        })
        .collect();
    let file = weight_file(&gguf.path)?;
    check_file_size(&file, gguf_declared_bytes(gguf))?;
    Ok(summarize("gguf", vec![file], tensors))
}

/// Returns the byte count a GGUF header declares: the data offset plus the
/// end of the tensor that reaches furthest. Alignment padding after that
/// tensor may make a valid file longer, never shorter.
fn gguf_declared_bytes(gguf: &GgufFile) -> u64 {
    let data_end = gguf
        .content
        .tensor_infos
        .values()
        .map(|info| {
            let elements = info.shape.elem_count() as u64;
            let blocks = elements.div_ceil(info.ggml_dtype.block_size() as u64);
            info.offset
                .saturating_add(blocks.saturating_mul(info.ggml_dtype.type_size() as u64))
        })
        .max()
        .unwrap_or(0);
    gguf.content.tensor_data_offset.saturating_add(data_end)
}

/// Rejects a weight file shorter than its header declares, as a download cut
/// short leaves it.
///
/// # Errors
/// [`Error::Model`] naming the file and both byte counts.
fn check_file_size(file: &WeightFile, declared: u64) -> Result<(), Error> {
    if file.bytes >= declared {
        return Ok(());
    }
    Err(model_error(
        &file.path,
        &format!(
            "is truncated or corrupt, because its header declares {declared} bytes but the file has {} bytes",
            file.bytes
        ),
        "download the file again",
    ))
}

/// Reads the weight facts of the checkpoint in model folder `dir`.
///
/// # Errors
///
/// [`Error::Model`] when the folder has no weights or a header is invalid,
/// and [`Error::Read`] when a file cannot be read.
pub fn folder_weights(dir: &Path) -> Result<WeightFacts, Error> {
    let single = dir.join("model.safetensors");
    let index = dir.join("model.safetensors.index.json");
    let pickle = dir.join("pytorch_model.bin");

    let (format, paths) = if single.is_file() {
        ("safetensors", vec![single])
    } else if index.is_file() {
        ("safetensors", shard_paths(dir, &index)?)
    } else if pickle.is_file() {
        ("pytorch", vec![pickle])
    } else {
        return Err(model_error(
            dir,
            "no model.safetensors, model.safetensors.index.json or pytorch_model.bin",
            "pass a model folder that contains the weights",
        ));
    };

    let mut files = Vec::new();
    let mut tensors = Vec::new();
    for path in paths {
        let file = weight_file(&path)?;
        if format == "pytorch" {
            tensors.extend(pickle_headers(&path)?);
        } else {
            let (headers, declared) = safetensors_headers(&path)?;
            check_file_size(&file, declared)?;
            tensors.extend(headers);
        }
        files.push(file);
    }
    Ok(summarize(format, files, tensors))
}

/// Fills in the sha256 of every weight file, reading each file once.
///
/// # Errors
///
/// [`Error::Read`] when a file cannot be read.
pub fn add_sha256(facts: &mut WeightFacts) -> Result<(), Error> {
    for file in &mut facts.files {
        file.sha256 = Some(sha256_hex(&file.path)?);
    }
    Ok(())
}

fn summarize(
    format: &'static str,
    files: Vec<WeightFile>,
    tensors: Vec<TensorHeader>,
) -> WeightFacts {
    let mut dtypes = BTreeMap::new();
    let mut n_parameters: u64 = 0;
    for tensor in &tensors {
        *dtypes.entry(tensor.dtype.clone()).or_insert(0) += 1;
        let buffer = BUFFER_SUFFIXES
            .iter()
            .any(|suffix| tensor.name.ends_with(suffix));
        if tensor.is_float && !buffer {
            n_parameters = n_parameters.saturating_add(tensor.elements);
        }
    }
    WeightFacts {
        format,
        files,
        n_tensors: tensors.len(),
        dtypes,
        n_parameters,
    }
}

fn weight_file(path: &Path) -> Result<WeightFile, Error> {
    let metadata = std::fs::metadata(path).map_err(|error| read_error(path, error))?;
    Ok(WeightFile {
        path: path.to_path_buf(),
        bytes: metadata.len(),
        sha256: None,
    })
}

fn shard_paths(dir: &Path, index: &Path) -> Result<Vec<PathBuf>, Error> {
    let text = std::fs::read_to_string(index).map_err(|error| read_error(index, error))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| invalid_header(index, &format!("invalid JSON ({e})")))?;
    let shards: BTreeSet<&str> = value
        .get("weight_map")
        .and_then(|map| map.as_object())
        .map(|map| map.values().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    if shards.is_empty() {
        return Err(invalid_header(index, "no weight_map with file names"));
    }
    Ok(shards.into_iter().map(|shard| dir.join(shard)).collect())
}

/// Reads the tensor headers of one safetensors file, and returns them with
/// the byte count the header declares: 8 + header length + the largest
/// `data_offsets` end.
fn safetensors_headers(path: &Path) -> Result<(Vec<TensorHeader>, u64), Error> {
    let mut file = File::open(path).map_err(|error| read_error(path, error))?;
    let mut length = [0u8; 8];
    file.read_exact(&mut length)
        .map_err(|error| read_error(path, error))?;
    let length = u64::from_le_bytes(length);
    if length > MAX_HEADER_BYTES {
        return Err(invalid_header(
            path,
            &format!("header length {length} is over the 100 MB limit"),
        ));
    }

    let mut header = vec![0u8; length as usize];
    file.read_exact(&mut header)
        .map_err(|error| read_error(path, error))?;
    let header: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&header)
        .map_err(|e| invalid_header(path, &format!("header is not a JSON object ({e})")))?;
    let data_end = header
        .iter()
        .filter(|(name, _)| *name != "__metadata__")
        .filter_map(|(_, entry)| entry.get("data_offsets")?.get(1)?.as_u64())
        .max()
        .unwrap_or(0);
    let headers = header
        .into_iter()
        .filter(|(name, _)| name != "__metadata__")
        .map(|(name, entry)| safetensors_tensor(path, name, &entry))
        .collect::<Result<Vec<_>, Error>>()?;
    Ok((headers, (8 + length).saturating_add(data_end)))
}

fn safetensors_tensor(
    path: &Path,
    name: String,
    entry: &serde_json::Value,
) -> Result<TensorHeader, Error> {
    let dtype = entry.get("dtype").and_then(|v| v.as_str());
    let shape: Option<Vec<u64>> = entry
        .get("shape")
        .and_then(|v| v.as_array())
        .and_then(|dims| dims.iter().map(|d| d.as_u64()).collect());
    let (Some(dtype), Some(shape)) = (dtype, shape) else {
        return Err(invalid_header(
            path,
            &format!("tensor {name} has no dtype string or shape array"),
        ));
    };
    let Some(elements) = shape.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d)) else {
        return Err(invalid_header(
            path,
            &format!("tensor {name} has shape {shape:?}, whose size overflows"),
        ));
    };
    Ok(TensorHeader {
        name,
        dtype: dtype.to_string(),
        elements,
        // Safetensors float types: F64, F32, F16, BF16 and the F8/F6/F4 kinds.
        is_float: dtype.starts_with('F') || dtype == "BF16",
    })
}

// NOTE: no test reads a `pytorch_model.bin`, so this path relies untested on
// candle's pickle reader.
fn pickle_headers(path: &Path) -> Result<Vec<TensorHeader>, Error> {
    let infos = candle_core::pickle::read_pth_tensor_info(path, false, None).map_err(|e| {
        invalid_header(
            path,
            &format!(
                "not a readable PyTorch checkpoint: {}",
                super::candle_message(&e)
            ),
        )
    })?;
    Ok(infos
        .into_iter()
        .map(|info| TensorHeader {
            dtype: format!("{:?}", info.dtype).to_uppercase(),
            elements: info.layout.shape().elem_count() as u64,
            is_float: info.dtype.is_float(),
            name: info.name,
        })
        .collect())
}

/// Returns the name llama.cpp gives a GGUF tensor type.
fn ggml_name(dtype: GgmlDType) -> &'static str {
    match dtype {
        GgmlDType::F32 => "F32",
        GgmlDType::F16 => "F16",
        GgmlDType::BF16 => "BF16",
        GgmlDType::Q4_0 => "Q4_0",
        GgmlDType::Q4_1 => "Q4_1",
        GgmlDType::Q5_0 => "Q5_0",
        GgmlDType::Q5_1 => "Q5_1",
        GgmlDType::Q8_0 => "Q8_0",
        GgmlDType::Q8_1 => "Q8_1",
        GgmlDType::Q2K => "Q2_K",
        GgmlDType::Q3K => "Q3_K",
        GgmlDType::Q4K => "Q4_K",
        GgmlDType::Q5K => "Q5_K",
        GgmlDType::Q6K => "Q6_K",
        GgmlDType::Q8K => "Q8_K",
    }
}

fn sha256_hex(path: &Path) -> Result<String, Error> {
    let mut file = File::open(path).map_err(|error| read_error(path, error))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(|error| read_error(path, error))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect())
}

fn read_error(path: &Path, error: std::io::Error) -> Error {
    Error::Read {
        path: path.to_path_buf(),
        error,
    }
}

fn invalid_header(path: &Path, reason: &str) -> Error {
    model_error(
        path,
        reason,
        "pass an intact safetensors or PyTorch checkpoint",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(name: &str, dtype: &str, elements: u64, is_float: bool) -> TensorHeader {
        TensorHeader {
            name: name.into(),
            dtype: dtype.into(),
            elements,
            is_float,
        }
    }

    #[test]
    fn buffers_and_integers_are_not_parameters() {
        let tensors = vec![
            header("h.0.attn.c_attn.bias", "F32", 96, true),
            header("h.0.attn.bias", "F32", 4096, true),
            header("embeddings.position_ids", "I64", 512, false),
            header("wte.weight", "F16", 3072, true),
        ];
        let facts = summarize("safetensors", Vec::new(), tensors);
        assert_eq!(facts.n_parameters, 96 + 3072);
        assert_eq!(facts.n_tensors, 4);
        assert_eq!(facts.dtypes["F32"], 2);
        assert_eq!(facts.dtypes["I64"], 1);
    }

    #[test]
    fn sha256_of_known_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hello.bin");
        std::fs::write(&path, b"hello world").unwrap();
        assert_eq!(
            sha256_hex(&path).unwrap(),
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
    }

    #[test]
    fn oversized_header_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.safetensors");
        std::fs::write(&path, u64::MAX.to_le_bytes()).unwrap();
        let message = safetensors_headers(&path).err().unwrap().to_string();
        assert!(message.contains("100 MB"), "{message}");
    }
}
