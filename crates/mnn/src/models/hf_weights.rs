//! Weights of a Hugging Face model folder, widened to f32 and looked up by
//! name with a shape check.
//!
//! A folder contains `model.safetensors`, shards listed in
//! `model.safetensors.index.json`, or a PyTorch pickle `pytorch_model.bin`,
//! tried in that order.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};

use crate::Error;

/// All tensors of one checkpoint, and the name prefix its architecture uses
/// (`transformer.` for GPT-2 saved with its LM head, for example).
pub struct Weights {
    tensors: HashMap<String, Tensor>,
    prefix: String,
    source: PathBuf,
}

impl Weights {
    /// Loads every tensor of the checkpoint in `dir`.
    ///
    /// # Errors
    /// [`Error::Model`] when the folder has no weights or a file is not a
    /// valid checkpoint.
    pub fn load(dir: &Path) -> Result<Self, Error> {
        let single = dir.join("model.safetensors");
        let index = dir.join("model.safetensors.index.json");
        let pickle = dir.join("pytorch_model.bin");

        let tensors = if single.is_file() {
            load_safetensors(&single)?
        } else if index.is_file() {
            load_shards(dir, &index)?
        } else if pickle.is_file() {
            load_pickle(&pickle)?
        } else {
            return Err(Error::Model {
                path: dir.to_path_buf(),
                reason: "no model.safetensors, model.safetensors.index.json or pytorch_model.bin"
                    .into(),
                fix: "pass a model folder that contains the weights".into(),
            });
        };

        Ok(Self {
            tensors,
            prefix: String::new(),
            source: dir.to_path_buf(),
        })
    }

    /// Wraps tensors made in memory (the untrained weights of
    /// [`super::init`]), named as a checkpoint in `source` names them.
    pub fn from_tensors(tensors: HashMap<String, Tensor>, source: &Path) -> Self {
        Self {
            tensors,
            prefix: String::new(),
            source: source.to_path_buf(),
        }
    }

    /// Returns the full name and shape of every floating-point tensor, sorted
    /// by name. Integer buffers (BERT's `position_ids`) are left out.
    pub fn float_shapes(&self) -> BTreeMap<String, Vec<usize>> {
        self.tensors
            .iter()
            .filter(|(_, tensor)| tensor.dtype().is_float())
            .map(|(name, tensor)| (name.clone(), tensor.dims().to_vec()))
            .collect()
    }

    /// Chooses the first of `prefixes` under which `probe` exists, so that
    /// later names are given without it.
    ///
    /// # Errors
    /// [`Error::Model`] naming `probe` when no prefix fits.
    pub fn select_prefix(&mut self, probe: &str, prefixes: &[&str]) -> Result<(), Error> {
        let found = prefixes
            .iter()
            .find(|p| self.tensors.contains_key(&format!("{p}{probe}")));
        match found {
            Some(prefix) => {
                self.prefix = (*prefix).to_string();
                Ok(())
            }
            None => {
                let tried: Vec<String> = prefixes.iter().map(|p| format!("{p}{probe}")).collect();
                Err(self.missing(&tried.join(" or ")))
            }
        }
    }

    /// Returns whether the tensor `name` (without the prefix) exists.
    pub fn contains(&self, name: &str) -> bool {
        self.tensors.contains_key(&self.full_name(name))
    }

    /// Returns the tensor `name` (without the prefix) as f32, checked to have
    /// `shape`.
    ///
    /// # Errors
    /// [`Error::Model`] naming the tensor when it is missing or has another
    /// shape.
    pub fn get(&self, name: &str, shape: &[usize]) -> Result<Tensor, Error> {
        let full = self.full_name(name);
        let tensor = self.tensors.get(&full).ok_or_else(|| self.missing(&full))?;
        self.checked_f32(&full, tensor, shape)
    }

    fn checked_f32(&self, full: &str, tensor: &Tensor, shape: &[usize]) -> Result<Tensor, Error> {
        if tensor.dims() != shape {
            return Err(Error::Model {
                path: self.source.clone(),
                reason: format!(
                    "tensor {full} has shape {:?}, but config.json implies {shape:?}",
                    tensor.dims()
                ),
                fix: "pass the config.json saved with these weights".into(),
            });
        }
        tensor.to_dtype(DType::F32).map_err(|e| Error::Model {
            path: self.source.clone(),
            reason: format!(
                "tensor {full} cannot be widened to f32: {}",
                super::candle_message(&e)
            ),
            fix: "store the weights as f32, f16 or bf16".into(),
        })
    }

    /// Returns the tensor `name`, looked up without the prefix (heads such as
    /// `lm_head.weight` sit outside the base model), as f32 checked to have
    /// `shape`, or `None` when the checkpoint lacks it.
    ///
    /// # Errors
    /// As [`Self::get`] for a tensor that exists with another shape.
    pub fn get_optional_root(&self, name: &str, shape: &[usize]) -> Result<Option<Tensor>, Error> {
        match self.tensors.get(name) {
            Some(tensor) => self.checked_f32(name, tensor, shape).map(Some),
            None => Ok(None),
        }
    }

    fn full_name(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn missing(&self, name: &str) -> Error {
        Error::Model {
            path: self.source.clone(),
            reason: format!("tensor {name} is missing"),
            fix: "pass a complete checkpoint of this architecture".into(),
        }
    }
}

fn load_safetensors(path: &Path) -> Result<HashMap<String, Tensor>, Error> {
    candle_core::safetensors::load(path, &Device::Cpu)
        .map_err(|e| invalid_file(path, super::candle_message(&e)))
}

fn load_shards(dir: &Path, index: &Path) -> Result<HashMap<String, Tensor>, Error> {
    let text = std::fs::read_to_string(index).map_err(|error| Error::Read {
        path: index.to_path_buf(),
        error,
    })?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| invalid_file(index, e))?;
    let shards: BTreeSet<&str> = value
        .get("weight_map")
        .and_then(|m| m.as_object())
        .map(|m| m.values().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    if shards.is_empty() {
        return Err(invalid_file(index, "no weight_map with file names"));
    }

    let mut tensors = HashMap::new();
    for shard in shards {
        tensors.extend(load_safetensors(&dir.join(shard))?);
    }
    Ok(tensors)
}

// NOTE: no test reads a `pytorch_model.bin`, so this path relies untested on
// candle's pickle reader.
fn load_pickle(path: &Path) -> Result<HashMap<String, Tensor>, Error> {
    let tensors = candle_core::pickle::read_all(path)
        .map_err(|e| invalid_file(path, super::candle_message(&e)))?;
    Ok(tensors.into_iter().collect())
}

fn invalid_file(path: &Path, error: impl std::fmt::Display) -> Error {
    Error::Model {
        path: path.to_path_buf(),
        reason: format!("not a readable checkpoint: {error}"),
        fix: "pass an intact safetensors or PyTorch checkpoint".into(),
    }
}
