//! Models as ordered maps from tensor names to dense row-major tensors.
//!
//! Float tensors are held in f64 whatever their file dtype (F16, BF16 and F32
//! convert exactly), so permuting a tensor and writing it back in its dtype is
//! bit-exact. Integer and other tensors pass through as raw bytes.
//!
//! Distances over all float tensors: `‖θ_A − θ_B‖₂ = sqrt(Σ_k Σ_i (A_k[i] − B_k[i])²)`
//! and `⟨θ_A, θ_B⟩ = Σ_k Σ_i A_k[i]·B_k[i]` (derived in the normlab rebasin
//! specification, §2.3).
//!
//! ```
//! use rebasin::model::{Model, Tensor};
//!
//! let mut a = Model::default();
//! a.insert("w", Tensor::from_f64(vec![2], vec![1.0, 2.0]));
//! let mut b = Model::default();
//! b.insert("w", Tensor::from_f64(vec![2], vec![1.0, 5.0]));
//! assert_eq!(a.l2_distance(&b), 3.0);
//! assert_eq!(a.inner_product(&b), 11.0);
//! ```

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

pub use safetensors::Dtype;

use crate::error::{Error, Result};

/// One dense tensor in row-major (C) order.
///
/// Invariant: for a float dtype, `values.len()` is the product of `shape` and
/// `raw` is empty; for any other dtype, `values` is empty and `raw` contains the
/// file bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    /// Dimensions, outermost first (PyTorch layout: `Linear.weight` is out × in).
    pub shape: Vec<usize>,
    /// Dtype of the source file, used again when the tensor is written.
    pub dtype: Dtype,
    /// Values of a float tensor, converted exactly to f64.
    pub values: Vec<f64>,
    /// File bytes of a non-float tensor.
    pub raw: Vec<u8>,
}

impl Tensor {
    /// Creates an F64 tensor.
    ///
    /// # Panics
    /// When `values.len()` differs from the product of `shape` (a programming error).
    pub fn from_f64(shape: Vec<usize>, values: Vec<f64>) -> Self {
        assert_eq!(shape.iter().product::<usize>(), values.len());
        Self {
            shape,
            dtype: Dtype::F64,
            values,
            raw: Vec::new(),
        }
    }

    /// Returns whether the tensor contains floating-point values.
    pub fn is_float(&self) -> bool {
        is_float_dtype(self.dtype)
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Returns whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Returns a float tensor of this shape and dtype with new values.
    pub fn with_values(&self, values: Vec<f64>) -> Self {
        debug_assert_eq!(values.len(), self.len());
        Self {
            shape: self.shape.clone(),
            dtype: self.dtype,
            values,
            raw: Vec::new(),
        }
    }
}

/// Returns whether rebasin reads `dtype` as floating point.
pub fn is_float_dtype(dtype: Dtype) -> bool {
    matches!(dtype, Dtype::F16 | Dtype::BF16 | Dtype::F32 | Dtype::F64)
}

/// Ordered map name → tensor plus the file's `__metadata__`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Model {
    /// Tensors by name.
    pub tensors: BTreeMap<String, Tensor>,
    /// String metadata of the safetensors header.
    pub metadata: HashMap<String, String>,
}

impl Model {
    /// Inserts or replaces tensor `name`.
    pub fn insert(&mut self, name: impl Into<String>, tensor: Tensor) {
        self.tensors.insert(name.into(), tensor);
    }

    /// Returns tensor `name`, if present.
    pub fn get(&self, name: &str) -> Option<&Tensor> {
        self.tensors.get(name)
    }

    /// Names in natural order: dot-, slash- and underscore-separated parts, with
    /// digit runs compared as integers (`layers.2` before `layers.10`).
    pub fn natural_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.tensors.keys().map(String::as_str).collect();
        names.sort_by(|a, b| natural_cmp(a, b));
        names
    }

    /// L2 distance over all float tensors. Both models must have the same
    /// tensors (see [`Model::check_same_layout`]).
    pub fn l2_distance(&self, other: &Model) -> f64 {
        self.float_pairs(other)
            .map(|(a, b)| a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>())
            .sum::<f64>()
            .sqrt()
    }

    /// Inner product over all float tensors.
    pub fn inner_product(&self, other: &Model) -> f64 {
        self.float_pairs(other)
            .map(|(a, b)| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>())
            .sum()
    }

    fn float_pairs<'a>(
        &'a self,
        other: &'a Model,
    ) -> impl Iterator<Item = (&'a [f64], &'a [f64])> + 'a {
        self.tensors.iter().filter_map(|(name, t)| {
            let o = other.tensors.get(name)?;
            (t.is_float() && o.is_float()).then_some((t.values.as_slice(), o.values.as_slice()))
        })
    }

    /// Checks that `other` has exactly the tensors of `self` with equal shapes
    /// and dtypes. `labels` name the two models in the error message.
    ///
    /// # Errors
    /// [`Error::MissingTensor`] naming the first missing tensor, or
    /// [`Error::ShapeMismatch`].
    pub fn check_same_layout(&self, other: &Model, labels: (&str, &str)) -> Result<()> {
        for (name, t) in &self.tensors {
            let Some(o) = other.tensors.get(name) else {
                return Err(missing(name, labels.0, labels.1));
            };
            if t.shape != o.shape {
                return Err(mismatch(name, &t.shape, &o.shape, labels));
            }
            if t.dtype != o.dtype {
                return Err(mismatch(name, &t.dtype, &o.dtype, labels));
            }
        }
        if let Some(name) = other
            .tensors
            .keys()
            .find(|n| !self.tensors.contains_key(*n))
        {
            return Err(missing(name, labels.1, labels.0));
        }
        Ok(())
    }

    /// Checks that every float tensor in `names` is finite.
    ///
    /// # Errors
    /// [`Error::NonFinite`] naming the first tensor with NaN or infinity.
    pub fn check_finite<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Result<()> {
        for name in names {
            if let Some(t) = self.tensors.get(name)
                && t.values.iter().any(|v| !v.is_finite())
            {
                return Err(Error::NonFinite {
                    name: name.to_string(),
                });
            }
        }
        Ok(())
    }

    /// Returns `Σ_i w_i θ_i` per float tensor (non-float tensors from the first
    /// model). The models must share one layout.
    ///
    /// # Panics
    /// When `models` is empty or the lengths differ (checked by callers).
    pub fn weighted_sum(models: &[&Model], weights: &[f64]) -> Model {
        assert!(!models.is_empty(), "weighted_sum needs at least one model");
        assert_eq!(models.len(), weights.len(), "one weight per model");
        let first = models[0];
        let mut out = Model {
            tensors: BTreeMap::new(),
            metadata: first.metadata.clone(),
        };
        for (name, t) in &first.tensors {
            if !t.is_float() {
                out.insert(name.clone(), t.clone());
                continue;
            }
            let mut values = vec![0.0; t.len()];
            for (m, &w) in models.iter().zip(weights) {
                for (v, x) in values.iter_mut().zip(&m.tensors[name].values) {
                    *v += w * x;
                }
            }
            out.insert(name.clone(), t.with_values(values));
        }
        out
    }

    /// Returns `(1 − λ)·self + λ·other` per float tensor; λ = 0 is `self`.
    pub fn lerp(&self, other: &Model, lambda: f64) -> Model {
        Model::weighted_sum(&[self, other], &[1.0 - lambda, lambda])
    }
}

fn missing(name: &str, present: &str, missing: &str) -> Error {
    Error::MissingTensor {
        name: name.to_string(),
        present: present.to_string(),
        missing: missing.to_string(),
    }
}

fn mismatch(
    name: &str,
    left: &impl std::fmt::Debug,
    right: &impl std::fmt::Debug,
    labels: (&str, &str),
) -> Error {
    Error::ShapeMismatch {
        name: name.to_string(),
        left: format!("{left:?}"),
        right: format!("{right:?}"),
        left_model: labels.0.to_string(),
        right_model: labels.1.to_string(),
    }
}

/// Compares names part by part, digit runs as integers.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (pa, pb) = (split_natural(a), split_natural(b));
    for (x, y) in pa.iter().zip(&pb) {
        let ord = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(u), Ok(v)) => u.cmp(&v),
            _ => x.cmp(y),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    pa.len().cmp(&pb.len())
}

fn split_natural(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let bytes = s.as_bytes();
    for i in 1..=bytes.len() {
        let boundary =
            i == bytes.len() || bytes[i].is_ascii_digit() != bytes[i - 1].is_ascii_digit();
        if boundary {
            parts.push(&s[start..i]);
            start = i;
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_numbers() {
        let mut names = vec!["layers.10.weight", "layers.2.weight", "layers.1.bias"];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            vec!["layers.1.bias", "layers.2.weight", "layers.10.weight"]
        );
    }
}
