//! Parameter initialization and lookup for the networks of this crate.
//!
//! The default follows the reference LDLT code: weights Kaiming-uniform with
//! a = √5, that is U(±1/√fan_in), biases U(±1/√fan_in) and α = 1.

use crate::contraction::theta_for_alpha;
use crate::error::{Error, Result};
use faer::Mat;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tape::{ParamId, ParamStore};

/// Weight initialization scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Init {
    /// Kaiming-uniform with a = √5: weights U(±1/√fan_in), as the reference code.
    #[default]
    Reference,
    /// Weights U(±10/√fan_in), which keeps the output variance of deep LDLT
    /// networks near 1 at α = 1.
    Scaled10,
}

impl Init {
    /// Parses `reference` or `scaled10`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "reference" => Some(Init::Reference),
            "scaled10" => Some(Init::Scaled10),
            _ => None,
        }
    }

    fn weight_bound(self, fan_in: usize) -> f64 {
        let base = 1.0 / (fan_in as f64).sqrt();
        match self {
            Init::Reference => base,
            Init::Scaled10 => 10.0 * base,
        }
    }
}

/// Source of a model's parameters: fresh initialization or an existing store.
pub enum ParamSource<'a> {
    /// Create fresh parameters in the store from this random stream.
    Fresh(&'a mut ChaCha8Rng, Init),
    /// Look up parameters already in the store (a loaded model).
    Existing,
}

impl ParamSource<'_> {
    /// Adds or finds the weight `name` of shape rows × cols.
    pub fn weight(
        &mut self,
        store: &mut ParamStore,
        name: &str,
        rows: usize,
        cols: usize,
    ) -> Result<ParamId> {
        match self {
            ParamSource::Fresh(rng, init) => {
                let bound = init.weight_bound(cols);
                let value = tape::rng::uniform_mat(rng, rows, cols, -bound, bound);
                Ok(store.add(name, value)?)
            }
            ParamSource::Existing => existing(store, name, rows, cols),
        }
    }

    /// Adds or finds the bias `name`, a 1 × n row initialized U(±1/√fan_in).
    pub fn bias(
        &mut self,
        store: &mut ParamStore,
        name: &str,
        n: usize,
        fan_in: usize,
    ) -> Result<ParamId> {
        match self {
            ParamSource::Fresh(rng, _) => {
                let bound = 1.0 / (fan_in as f64).sqrt();
                let value = tape::rng::uniform_mat(rng, 1, n, -bound, bound);
                Ok(store.add(name, value)?)
            }
            ParamSource::Existing => existing(store, name, 1, n),
        }
    }

    /// Adds or finds the 1×1 θ of α = exp(θ) + 10⁻⁴, initialized to α = 1.
    pub fn theta(&mut self, store: &mut ParamStore, name: &str) -> Result<ParamId> {
        match self {
            ParamSource::Fresh(..) => {
                let value = Mat::from_fn(1, 1, |_, _| theta_for_alpha(1.0));
                Ok(store.add(name, value)?)
            }
            ParamSource::Existing => existing(store, name, 1, 1),
        }
    }

    /// Adds the parameter `name` with the value `fresh` draws, or finds it
    /// with shape rows × cols in a loaded store.
    pub fn custom(
        &mut self,
        store: &mut ParamStore,
        name: &str,
        rows: usize,
        cols: usize,
        fresh: impl FnOnce(&mut ChaCha8Rng) -> Mat<f64>,
    ) -> Result<ParamId> {
        match self {
            ParamSource::Fresh(rng, _) => {
                let value = fresh(rng);
                debug_assert_eq!((value.nrows(), value.ncols()), (rows, cols));
                Ok(store.add(name, value)?)
            }
            ParamSource::Existing => existing(store, name, rows, cols),
        }
    }
}

fn existing(store: &ParamStore, name: &str, rows: usize, cols: usize) -> Result<ParamId> {
    let id = store.id(name).ok_or_else(|| Error::MissingParameter {
        name: name.to_string(),
    })?;

    let value = store.get(id);
    if value.nrows() != rows || value.ncols() != cols {
        return Err(Error::Shape {
            what: format!("parameter {name}"),
            expected: format!("{rows}×{cols}"),
            found: format!("{}×{}", value.nrows(), value.ncols()),
        });
    }
    Ok(id)
}
