//! Saving and loading trained models.
//!
//! A model file is a safetensors file with one little-endian f64 tensor per
//! parameter (weights out × in, biases and α parameters 1-D) and a JSON
//! config under the `__metadata__` key `normlab`: architecture, preprocessing,
//! training settings and seed. Files are written to a temporary file in the
//! target folder and renamed, so a failed save never leaves a partial file.

use crate::data::Preprocessing;
use crate::error::{Error, Result};
use crate::model::{Arch, ArchParams};
use faer::Mat;
use safetensors::{Dtype, SafeTensors, tensor::TensorView};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use tape::ParamStore;

/// Format tag written into every model file.
pub const FORMAT: &str = "normlab-lipnet-v1";

/// Metadata key that contains the JSON config.
pub const METADATA_KEY: &str = "normlab";

/// Everything about a model except its parameter values.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModelConfig {
    /// Always [`FORMAT`].
    pub format: String,
    /// The architecture (checked again on load).
    pub arch: ArchParams,
    /// Transform applied to raw inputs before the network.
    pub preprocessing: Preprocessing,
    /// The data source the model was trained on, as given on the command line.
    pub dataset: String,
    /// The seed of the training run.
    pub seed: u64,
    /// Training settings, free-form.
    pub training: serde_json::Value,
    /// Label text of class 0, 1, … when the training data had text labels.
    #[serde(default)]
    pub classes: Option<Vec<String>>,
}

impl ModelConfig {
    /// Returns what this model fixes about the data it is applied to.
    pub fn saved(&self) -> crate::data::Saved<'_> {
        crate::data::Saved {
            preprocessing: &self.preprocessing,
            classes: self.classes.as_deref(),
        }
    }
}

/// Checks before any work that `path` can receive a model file: its folder
/// exists and is writable, and the path is absent or a regular file (never a
/// folder, device or symbolic link, which the final rename would replace).
///
/// # Errors
///
/// [`Error::InvalidParameter`] naming the path and the fix.
pub fn check_output_path(path: &Path) -> Result<()> {
    let shown = path.display().to_string();
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        let fix = format!(
            "the folder {} does not exist; create it first",
            dir.display()
        );
        return Err(Error::invalid("output path", shown, fix));
    }

    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_file() {
            let fix = "it exists and is not a regular file (a folder, device or link); choose a new file name such as model.safetensors";
            return Err(Error::invalid("output path", shown, fix));
        }
    }

    tempfile::NamedTempFile::new_in(dir).map_err(|e| {
        let fix = format!(
            "cannot create a file in {} ({e}); choose a writable folder",
            dir.display()
        );
        Error::invalid("output path", shown, fix)
    })?;
    Ok(())
}

/// Writes `store` and `config` to `path` atomically.
///
/// # Errors
///
/// [`Error::Io`] when the folder is not writable, [`Error::ModelFile`] when
/// serialization fails.
pub fn save(path: &Path, config: &ModelConfig, store: &ParamStore) -> Result<()> {
    let bytes = serialize(config, store).map_err(|msg| Error::ModelFile {
        path: path.to_path_buf(),
        msg,
    })?;

    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let io_err = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io_err)?;
    tmp.write_all(&bytes).map_err(io_err)?;
    tmp.as_file().sync_all().map_err(io_err)?;
    make_readable(tmp.as_file()).map_err(io_err)?;
    tmp.persist(path).map_err(|e| io_err(e.error))?;
    Ok(())
}

/// Gives the file the usual 0644 mode; temporary files start as 0600.
#[cfg(unix)]
pub(crate) fn make_readable(file: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
pub(crate) fn make_readable(_file: &std::fs::File) -> std::io::Result<()> {
    Ok(())
}

fn serialize(config: &ModelConfig, store: &ParamStore) -> std::result::Result<Vec<u8>, String> {
    let buffers: Vec<(String, Vec<usize>, Vec<u8>)> = store
        .iter()
        .map(|(_, name, m)| (name.to_string(), tensor_shape(m), to_le_bytes(m)))
        .collect();

    let mut views = Vec::with_capacity(buffers.len());
    for (name, shape, bytes) in &buffers {
        let view = TensorView::new(Dtype::F64, shape.clone(), bytes).map_err(|e| e.to_string())?;
        views.push((name.clone(), view));
    }

    let json = serde_json::to_string(config).map_err(|e| e.to_string())?;
    let meta = HashMap::from([(METADATA_KEY.to_string(), json)]);
    safetensors::serialize(views, Some(meta)).map_err(|e| e.to_string())
}

/// Reads a model file written by [`save`].
///
/// # Errors
///
/// [`Error::Io`] when the file cannot be read; [`Error::ModelFile`] when it is
/// not a safetensors file, lacks the normlab config, contains a tensor that is
/// not f64 or at most 2-D, or its architecture is invalid.
pub fn load(path: &Path) -> Result<(Arch, ModelConfig, ParamStore)> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let bad = |msg: String| Error::ModelFile {
        path: path.to_path_buf(),
        msg,
    };

    let (_, meta) = SafeTensors::read_metadata(&bytes)
        .map_err(|e| bad(format!("not a safetensors file ({e})")))?;
    let json = meta
        .metadata()
        .as_ref()
        .and_then(|m| m.get(METADATA_KEY))
        .ok_or_else(|| {
            bad(format!(
                "no `{METADATA_KEY}` config in the metadata; save models with `lipnet train --out`"
            ))
        })?;
    let config: ModelConfig =
        serde_json::from_str(json).map_err(|e| bad(format!("invalid config JSON ({e})")))?;
    if config.format != FORMAT {
        return Err(bad(format!("format {:?} is not {FORMAT:?}", config.format)));
    }

    let tensors = SafeTensors::deserialize(&bytes).map_err(|e| bad(e.to_string()))?;
    let store = read_store(&tensors).map_err(bad)?;
    let arch = config.arch.clone().check()?;
    config
        .preprocessing
        .check_width(arch.n_in())
        .map_err(|e| bad(e.to_string()))?;
    Ok((arch, config, store))
}

fn read_store(tensors: &SafeTensors<'_>) -> std::result::Result<ParamStore, String> {
    let mut names = tensors.names();
    names.sort_unstable();

    let mut store = ParamStore::new();
    for name in names {
        let view = tensors.tensor(name).map_err(|e| e.to_string())?;
        if view.dtype() != Dtype::F64 {
            return Err(format!("tensor {name} is {:?}, expected F64", view.dtype()));
        }
        let (rows, cols) = match *view.shape() {
            [] => (1, 1),
            [n] => (1, n),
            [r, c] => (r, c),
            _ => {
                return Err(format!(
                    "tensor {name} has {} dimensions, expected at most 2",
                    view.shape().len()
                ));
            }
        };
        let values: Vec<f64> = view
            .data()
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().expect("chunks of 8 bytes")))
            .collect();
        if let Some(v) = values.iter().find(|v| !v.is_finite()) {
            return Err(format!(
                "tensor {name} contains the non-finite value {v}; the model is corrupt, retrain it"
            ));
        }
        let m = Mat::from_fn(rows, cols, |i, j| values[i * cols + j]);
        store.add(name, m).map_err(|e| e.to_string())?;
    }
    Ok(store)
}

/// Weights keep their 2-D shape; 1 × n rows (biases, α parameters) are 1-D.
fn tensor_shape(m: &Mat<f64>) -> Vec<usize> {
    if m.nrows() == 1 {
        vec![m.ncols()]
    } else {
        vec![m.nrows(), m.ncols()]
    }
}

fn to_le_bytes(m: &Mat<f64>) -> Vec<u8> {
    let mut out = Vec::with_capacity(m.nrows() * m.ncols() * 8);
    for i in 0..m.nrows() {
        for j in 0..m.ncols() {
            out.extend_from_slice(&m[(i, j)].to_le_bytes());
        }
    }
    out
}
