//! Named, persistent parameter matrices that survive across tapes.

use std::collections::HashMap;

use faer::Mat;

use crate::error::{Error, Result};

/// Index of a parameter in a [`ParamStore`], assigned in insertion order from 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParamId(pub usize);

/// Named `f64` parameter matrices in insertion order.
///
/// A tape reads parameters through [`Tape::param`](crate::Tape::param) and
/// optimizers update them in place through [`ParamStore::get_mut`].
#[derive(Clone, Default, Debug)]
pub struct ParamStore {
    names: Vec<String>,
    values: Vec<Mat<f64>>,
    index: HashMap<String, usize>,
}

impl ParamStore {
    /// Creates an empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a parameter and returns its id.
    ///
    /// # Errors
    /// [`Error::DuplicateParam`] when `name` is already in the store.
    pub fn add(&mut self, name: impl Into<String>, value: Mat<f64>) -> Result<ParamId> {
        let name = name.into();
        if self.index.contains_key(&name) {
            return Err(Error::DuplicateParam { name });
        }
        let id = self.values.len();
        self.index.insert(name.clone(), id);
        self.names.push(name);
        self.values.push(value);
        Ok(ParamId(id))
    }

    /// Returns the value of parameter `id`.
    ///
    /// # Panics
    /// When `id` does not belong to this store.
    pub fn get(&self, id: ParamId) -> &Mat<f64> {
        &self.values[id.0]
    }

    /// Returns the value of parameter `id` for in-place updates.
    ///
    /// # Panics
    /// When `id` does not belong to this store.
    pub fn get_mut(&mut self, id: ParamId) -> &mut Mat<f64> {
        &mut self.values[id.0]
    }

    /// Returns the name of parameter `id`.
    ///
    /// # Panics
    /// When `id` does not belong to this store.
    pub fn name(&self, id: ParamId) -> &str {
        &self.names[id.0]
    }

    /// Returns the id of the parameter called `name`, or `None` when there is none.
    pub fn id(&self, name: &str) -> Option<ParamId> {
        self.index.get(name).map(|&i| ParamId(i))
    }

    /// Returns the id of the parameter called `name`.
    ///
    /// # Errors
    /// [`Error::UnknownParam`] when no parameter has that name.
    pub fn lookup(&self, name: &str) -> Result<ParamId> {
        self.id(name).ok_or_else(|| Error::UnknownParam {
            name: name.to_owned(),
        })
    }

    /// Number of parameters (matrices, not scalar entries).
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Returns whether the store has no parameters.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Total number of scalar entries over all parameters.
    pub fn num_scalars(&self) -> usize {
        self.values.iter().map(|m| m.nrows() * m.ncols()).sum()
    }

    /// Iterates over the parameter ids in insertion order.
    pub fn ids(&self) -> impl Iterator<Item = ParamId> {
        (0..self.values.len()).map(ParamId)
    }

    /// Iterates over `(id, name, value)` in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (ParamId, &str, &Mat<f64>)> {
        self.names
            .iter()
            .zip(&self.values)
            .enumerate()
            .map(|(i, (name, value))| (ParamId(i), name.as_str(), value))
    }

    /// Serializes every parameter value as little-endian `f64` bytes.
    ///
    /// Parameters follow insertion order and each matrix is written row by row.
    /// Names and shapes are not included: the bytes serve to compare two stores
    /// with the same layout bit for bit.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(8 * self.num_scalars());
        for value in &self.values {
            for i in 0..value.nrows() {
                for j in 0..value.ncols() {
                    bytes.extend_from_slice(&value[(i, j)].to_le_bytes());
                }
            }
        }
        bytes
    }
}
