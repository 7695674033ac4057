//! Model files in safetensors format, PyTorch layout (`Linear.weight` is out × in).
//!
//! F16, BF16, F32 and F64 tensors are read exactly into f64 and written back in
//! their own dtype, so a permuted copy keeps every bit. Other dtypes pass through
//! untouched. Writes go to a temporary file in the target folder that is then
//! renamed, so an error never leaves a partial file.
//!
//! ```no_run
//! let model = rebasin::io::read_model("m0.safetensors".as_ref()).unwrap();
//! rebasin::io::write_model("copy.safetensors".as_ref(), &model).unwrap();
//! ```

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use half::{bf16, f16};
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};

use crate::error::{Error, Result};
use crate::model::{Model, Tensor, is_float_dtype};

/// Reads a safetensors file.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read, [`Error::NotSafetensors`] when it
/// does not parse.
pub fn read_model(path: &Path) -> Result<Model> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_model(&bytes).map_err(|reason| Error::NotSafetensors {
        path: path.to_path_buf(),
        reason,
    })
}

/// Parses safetensors bytes; the error is the parser's message.
pub fn parse_model(bytes: &[u8]) -> std::result::Result<Model, String> {
    let st = SafeTensors::deserialize(bytes).map_err(|e| e.to_string())?;
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| e.to_string())?;
    let mut model = Model {
        metadata: header.metadata().clone().unwrap_or_default(),
        ..Model::default()
    };
    for (name, view) in st.tensors() {
        model.insert(name, tensor_from_view(&view));
    }
    Ok(model)
}

fn tensor_from_view(view: &TensorView<'_>) -> Tensor {
    let data = view.data();
    let values: Vec<f64> = match view.dtype() {
        Dtype::F64 => chunks::<8>(data).map(f64::from_le_bytes).collect(),
        Dtype::F32 => chunks::<4>(data)
            .map(|b| f64::from(f32::from_le_bytes(b)))
            .collect(),
        Dtype::F16 => chunks::<2>(data)
            .map(|b| f16::from_le_bytes(b).to_f64())
            .collect(),
        Dtype::BF16 => chunks::<2>(data)
            .map(|b| bf16::from_le_bytes(b).to_f64())
            .collect(),
        _ => Vec::new(),
    };
    let raw = if is_float_dtype(view.dtype()) {
        Vec::new()
    } else {
        data.to_vec()
    };
    Tensor {
        shape: view.shape().to_vec(),
        dtype: view.dtype(),
        values,
        raw,
    }
}

fn chunks<const N: usize>(data: &[u8]) -> impl Iterator<Item = [u8; N]> + '_ {
    data.chunks_exact(N)
        .map(|c| c.try_into().expect("chunks_exact yields N bytes"))
}

/// Encodes a float tensor's values in its dtype (round to nearest, ties to even).
fn encode(t: &Tensor) -> Vec<u8> {
    if !t.is_float() {
        return t.raw.clone();
    }
    let mut out = Vec::with_capacity(t.len() * 8);
    for &v in &t.values {
        match t.dtype {
            Dtype::F64 => out.extend(v.to_le_bytes()),
            Dtype::F32 => out.extend((v as f32).to_le_bytes()),
            Dtype::F16 => out.extend(f16::from_f64(v).to_le_bytes()),
            _ => out.extend(bf16::from_f64(v).to_le_bytes()),
        }
    }
    out
}

/// Serializes a model to safetensors bytes.
///
/// # Errors
/// The serializer's message, for example when a shape does not match the data.
pub fn serialize_model(model: &Model) -> std::result::Result<Vec<u8>, String> {
    let encoded: Vec<(&String, &Tensor, Vec<u8>)> = model
        .tensors
        .iter()
        .map(|(name, t)| (name, t, encode(t)))
        .collect();
    let mut views = Vec::with_capacity(encoded.len());
    for (name, t, bytes) in &encoded {
        let view = TensorView::new(t.dtype, t.shape.clone(), bytes).map_err(|e| e.to_string())?;
        views.push((name.as_str(), view));
    }
    let metadata: Option<HashMap<String, String>> =
        (!model.metadata.is_empty()).then(|| model.metadata.clone());
    let mut bytes = safetensors::serialize(views, metadata).map_err(|e| e.to_string())?;
    sort_metadata_keys(&mut bytes, &model.metadata)?;
    Ok(bytes)
}

/// Rewrites the header's `__metadata__` object with its keys in sorted order,
/// so that equal models give equal bytes.
///
/// The serializer writes the object first, right after `{"__metadata__":`, in
/// hash-map order; the sorted rendering has the same length, so no offset moves.
fn sort_metadata_keys(
    bytes: &mut [u8],
    metadata: &HashMap<String, String>,
) -> std::result::Result<(), String> {
    if metadata.is_empty() {
        return Ok(());
    }
    const PREFIX: &[u8] = b"{\"__metadata__\":";
    let sorted: BTreeMap<&String, &String> = metadata.iter().collect();
    let sorted = serde_json::to_vec(&sorted).map_err(|e| e.to_string())?;
    let start = 8 + PREFIX.len();
    let end = start + sorted.len();
    let original = bytes.get(start..end).filter(|_| bytes[8..start] == *PREFIX);
    let same = original
        .and_then(|o| serde_json::from_slice::<HashMap<String, String>>(o).ok())
        .is_some_and(|o| o == *metadata);
    if !same {
        return Err("the safetensors header does not start with the metadata object".into());
    }
    bytes[start..end].copy_from_slice(&sorted);
    Ok(())
}

/// Writes `model` to `path` through a temporary file and a rename.
///
/// # Errors
/// [`Error::Io`] when writing or renaming fails; the temporary file is removed.
pub fn write_model(path: &Path, model: &Model) -> Result<()> {
    let bytes = serialize_model(model).map_err(|reason| Error::NotSafetensors {
        path: path.to_path_buf(),
        reason,
    })?;
    write_atomic(path, &bytes)
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`.
///
/// # Errors
/// [`Error::Io`]; no partial file remains.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    datasets::check_replaceable(path).map_err(|e| Error::io(path, e))?;
    let tmp = temporary_path(path);
    let result = write_and_sync(&tmp, path, bytes)
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e)));
    if result.is_err() {
        // The write already failed; removing the temporary file is best effort.
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn write_and_sync(tmp: &Path, path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = std::fs::File::create(tmp).map_err(|e| Error::io(path, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io(path, e))
}

fn temporary_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp{}", std::process::id()))
}

/// Reads and parses a JSON file.
///
/// # Errors
/// [`Error::Io`] or [`Error::Json`].
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::Json {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}
