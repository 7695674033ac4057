//! Permutation specifications: which tensor axes each permutation group acts on.
//!
//! A spec maps a tensor to one [`AxisMap`] per axis plus a cost weight c_k. Group
//! g of size n_g acts on every listed axis: `T'[.., i, ..] = T[.., c_g[i], ..]`.
//! A block axis of length n_g·r is viewed as (n_g, r) and the group acts on the
//! outer index (PyTorch's channel-major flatten of C×H×W). The weight-matching
//! objective is `J(π) = Σ_k c_k ⟨A_k, π(B)_k⟩_F` (Ainsworth et al., "Git
//! Re-Basin", ICLR 2023, eq. 2 generalised to weighted tensors; derived in the
//! normlab rebasin specification, §2.3 and §2.6).
//!
//! ```
//! use rebasin::model::{Model, Tensor};
//! use rebasin::spec::{Layout, PermSpec};
//!
//! let mut m = Model::default();
//! m.insert("layers.0.weight", Tensor::from_f64(vec![4, 3], vec![0.0; 12]));
//! m.insert("layers.0.bias", Tensor::from_f64(vec![4], vec![0.0; 4]));
//! m.insert("layers.1.weight", Tensor::from_f64(vec![2, 4], vec![0.0; 8]));
//! let spec = PermSpec::mlp(&m, Layout::Torch).unwrap();
//! assert_eq!(spec.groups, vec!["P_0".to_string()]);
//! assert_eq!(spec.validate(&m).unwrap(), vec![4]);
//! ```

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::model::{Model, natural_cmp};

/// What a group does to one tensor axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AxisMap {
    /// The axis is not permuted.
    Free,
    /// Group index; the axis has length n_g.
    Group(usize),
    /// Group index and block size r; the axis has length n_g·r.
    Block {
        /// Group index.
        group: usize,
        /// Consecutive elements per unit (H·W for a flattened feature map).
        block: usize,
    },
}

impl AxisMap {
    /// Returns the group index and block size (1 for a plain group axis).
    pub fn group(self) -> Option<(usize, usize)> {
        match self {
            AxisMap::Free => None,
            AxisMap::Group(g) => Some((g, 1)),
            AxisMap::Block { group, block } => Some((group, block)),
        }
    }
}

/// Axes and cost weight of one tensor.
#[derive(Clone, Debug, PartialEq)]
pub struct TensorSpec {
    /// One entry per tensor axis.
    pub axes: Vec<AxisMap>,
    /// Weight c_k of the tensor in the objective (0 for BatchNorm running statistics).
    pub cost_weight: f64,
}

/// Tensor layout convention of a model file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// PyTorch: `layers.{i}.weight` is (out, in).
    Torch,
    /// Flax: `Dense_{i}/kernel` is (in, out).
    Flax,
}

/// Permutation groups and the tensors they act on, in natural name order.
#[derive(Clone, Debug, PartialEq)]
pub struct PermSpec {
    /// Group names; a group's index is its position here.
    pub groups: Vec<String>,
    /// Permuted tensors in natural name order.
    pub tensors: Vec<(String, TensorSpec)>,
}

/// One (tensor, axis) entry of a group.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupEntry {
    /// Position of the tensor in [`PermSpec::tensors`].
    pub tensor: usize,
    /// Axis the group acts on.
    pub axis: usize,
    /// Block size r (1 for a plain axis).
    pub block: usize,
}

impl PermSpec {
    /// Infers the MLP preset from the tensor names of `model`.
    ///
    /// Torch layout: 2-D `*.weight` tensors in natural order form the layer chain,
    /// `*.bias` must belong to one of them. `layers.0.weight [P_0, null]`,
    /// `layers.i.weight [P_i, P_{i-1}]`, last weight `[null, P_{L-2}]`,
    /// `layers.i.bias [P_i]`, last bias free. Flax layout swaps the two weight
    /// axes and uses `*/kernel`.
    ///
    /// # Errors
    /// [`Error::Spec`] naming a tensor that is neither a layer weight nor its
    /// bias, or a pair of layers that do not chain.
    pub fn mlp(model: &Model, layout: Layout) -> Result<Self> {
        let (weight_suffix, bias_suffix) = match layout {
            Layout::Torch => (".weight", ".bias"),
            Layout::Flax => ("/kernel", "/bias"),
        };
        let names = model.natural_names();
        let layers: Vec<&str> = names
            .iter()
            .filter(|n| n.ends_with(weight_suffix) && model.tensors[**n].shape.len() == 2)
            .map(|n| &n[..n.len() - weight_suffix.len()])
            .collect();
        if layers.is_empty() {
            return Err(Error::Spec(format!(
                "the mlp preset found no 2-D tensor named *{weight_suffix}; pass a JSON spec"
            )));
        }
        check_mlp_names(model, &names, &layers, weight_suffix, bias_suffix)?;
        check_mlp_chain(model, &layers, weight_suffix, layout)?;
        Ok(build_mlp(
            &layers,
            weight_suffix,
            bias_suffix,
            layout,
            model,
        ))
    }

    /// Returns the entries (tensor, axis, block) of every group, in tensor order.
    pub fn group_entries(&self) -> Vec<Vec<GroupEntry>> {
        let mut entries = vec![Vec::new(); self.groups.len()];
        for (k, (_, ts)) in self.tensors.iter().enumerate() {
            for (axis, map) in ts.axes.iter().enumerate() {
                if let Some((g, block)) = map.group() {
                    entries[g].push(GroupEntry {
                        tensor: k,
                        axis,
                        block,
                    });
                }
            }
        }
        entries
    }

    /// Validates the spec against `model` and returns the group sizes.
    ///
    /// # Errors
    /// [`Error::Spec`] for a tensor missing from the model, a non-float
    /// permuted tensor, a wrong axis count, a block size that does not divide its
    /// axis, inconsistent group sizes, a group twice in one tensor, or a group
    /// without an entry of positive cost weight.
    pub fn validate(&self, model: &Model) -> Result<Vec<usize>> {
        let mut sizes: Vec<Option<(usize, String)>> = vec![None; self.groups.len()];
        for (name, ts) in &self.tensors {
            let t = model.get(name).ok_or_else(|| {
                Error::Spec(format!(
                    "tensor {name} is in the spec but not in the model; remove it from the spec"
                ))
            })?;
            if ts.axes.len() != t.shape.len() {
                return Err(Error::Spec(format!(
                    "{name} has {} axes but the spec lists {}; give one entry per axis",
                    t.shape.len(),
                    ts.axes.len()
                )));
            }
            let mut seen = Vec::new();
            for (axis, map) in ts.axes.iter().enumerate() {
                let Some((g, block)) = map.group() else {
                    continue;
                };
                if !t.is_float() {
                    return Err(Error::Spec(format!(
                        "{name} has dtype {:?} and cannot be permuted; remove it from the spec",
                        t.dtype
                    )));
                }
                if seen.contains(&g) {
                    return Err(Error::Spec(format!(
                        "group {} appears twice in {name}; a group may act on one axis per tensor",
                        self.groups[g]
                    )));
                }
                seen.push(g);
                let len = t.shape[axis];
                if block == 0 || len % block != 0 {
                    return Err(Error::Spec(format!(
                        "block size {block} does not divide axis {axis} of {name} (length {len})"
                    )));
                }
                let size = len / block;
                match &sizes[g] {
                    None => sizes[g] = Some((size, format!("{name} axis {axis}"))),
                    Some((s, at)) if *s != size => {
                        return Err(Error::Spec(format!(
                            "group {} has size {s} at {at} but {size} at {name} axis {axis}; fix the spec",
                            self.groups[g]
                        )));
                    }
                    Some(_) => {}
                }
            }
        }
        self.check_costed_groups()?;
        sizes
            .into_iter()
            .enumerate()
            .map(|(g, s)| {
                s.map(|(n, _)| n).ok_or_else(|| {
                    Error::Spec(format!(
                        "group {} acts on no tensor; remove it or list its tensors",
                        self.groups[g]
                    ))
                })
            })
            .collect()
    }

    fn check_costed_groups(&self) -> Result<()> {
        let entries = self.group_entries();
        for (g, list) in entries.iter().enumerate() {
            if !list.is_empty()
                && list
                    .iter()
                    .all(|e| self.tensors[e.tensor].1.cost_weight <= 0.0)
            {
                return Err(Error::Spec(format!(
                    "group {} has no tensor with positive cost weight, so matching cannot see it",
                    self.groups[g]
                )));
            }
        }
        Ok(())
    }

    /// Names of float tensors of `model` that no group touches.
    pub fn unpermuted<'a>(&self, model: &'a Model) -> Vec<&'a str> {
        model
            .natural_names()
            .into_iter()
            .filter(|n| self.tensors.iter().all(|(s, _)| s != n))
            .collect()
    }

    /// Checks that the spec covers every tensor of `model`.
    ///
    /// # Errors
    /// [`Error::Spec`] naming the first uncovered tensor.
    pub fn check_covers(&self, model: &Model) -> Result<()> {
        match self.unpermuted(model).first() {
            None => Ok(()),
            Some(name) => Err(Error::Spec(format!(
                "tensor {name} is not covered by the spec; add it (with null axes if it is not permuted)"
            ))),
        }
    }

    /// Parses the `rebasin-spec/1` JSON format.
    ///
    /// # Errors
    /// [`Error::Spec`] naming the malformed entry.
    pub fn from_json(value: &Value) -> Result<Self> {
        let groups: Vec<String> = value
            .get("groups")
            .and_then(Value::as_array)
            .ok_or_else(|| Error::Spec("missing \"groups\" list".into()))?
            .iter()
            .map(|g| g.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or_else(|| Error::Spec("\"groups\" must be a list of strings".into()))?;
        let tensors = value
            .get("tensors")
            .and_then(Value::as_object)
            .ok_or_else(|| Error::Spec("missing \"tensors\" object".into()))?;
        let mut out = Vec::new();
        for (name, entry) in tensors {
            out.push((name.clone(), parse_tensor_spec(name, entry, &groups)?));
        }
        out.sort_by(|a, b| natural_cmp(&a.0, &b.0));
        Ok(Self {
            groups,
            tensors: out,
        })
    }

    /// Writes the `rebasin-spec/1` JSON format.
    pub fn to_json(&self) -> Value {
        let mut tensors = Map::new();
        for (name, ts) in &self.tensors {
            let axes: Vec<Value> = ts
                .axes
                .iter()
                .map(|a| match a {
                    AxisMap::Free => Value::Null,
                    AxisMap::Group(g) => json!(self.groups[*g]),
                    AxisMap::Block { group, block } => {
                        json!({"group": self.groups[*group], "block": block})
                    }
                })
                .collect();
            let entry = if ts.cost_weight == 1.0 {
                Value::Array(axes)
            } else {
                json!({"axes": axes, "cost_weight": ts.cost_weight})
            };
            tensors.insert(name.clone(), entry);
        }
        json!({"format": "rebasin-spec/1", "groups": self.groups, "tensors": tensors})
    }
}

fn parse_tensor_spec(name: &str, entry: &Value, groups: &[String]) -> Result<TensorSpec> {
    let (axes, cost_weight) = match entry {
        Value::Array(axes) => (axes, 1.0),
        Value::Object(obj) => {
            let axes = obj
                .get("axes")
                .and_then(Value::as_array)
                .ok_or_else(|| Error::Spec(format!("tensor {name}: missing \"axes\" list")))?;
            let cost = match obj.get("cost_weight") {
                None => 1.0,
                Some(v) => v
                    .as_f64()
                    .filter(|c| *c >= 0.0 && c.is_finite())
                    .ok_or_else(|| {
                        Error::Spec(format!("tensor {name}: cost_weight must be a number ≥ 0"))
                    })?,
            };
            (axes, cost)
        }
        _ => {
            return Err(Error::Spec(format!(
                "tensor {name}: expected a list of axes or {{\"axes\": [...]}}"
            )));
        }
    };
    let axes = axes
        .iter()
        .map(|a| parse_axis(name, a, groups))
        .collect::<Result<_>>()?;
    Ok(TensorSpec { axes, cost_weight })
}

fn parse_axis(name: &str, axis: &Value, groups: &[String]) -> Result<AxisMap> {
    let lookup = |g: &str| {
        groups.iter().position(|x| x == g).ok_or_else(|| {
            Error::Spec(format!(
                "tensor {name} names group {g}, which is not in \"groups\"; add it there"
            ))
        })
    };
    match axis {
        Value::Null => Ok(AxisMap::Free),
        Value::String(g) => Ok(AxisMap::Group(lookup(g)?)),
        Value::Object(obj) => {
            let g = obj.get("group").and_then(Value::as_str).ok_or_else(|| {
                Error::Spec(format!(
                    "tensor {name}: a block axis needs a \"group\" name"
                ))
            })?;
            let block = obj
                .get("block")
                .and_then(Value::as_u64)
                .filter(|b| *b >= 1)
                .ok_or_else(|| {
                    Error::Spec(format!("tensor {name}: \"block\" must be an integer ≥ 1"))
                })?;
            Ok(AxisMap::Block {
                group: lookup(g)?,
                block: block as usize,
            })
        }
        _ => Err(Error::Spec(format!(
            "tensor {name}: an axis entry must be null, a group name or {{\"group\", \"block\"}}"
        ))),
    }
}

fn check_mlp_names(
    model: &Model,
    names: &[&str],
    layers: &[&str],
    weight_suffix: &str,
    bias_suffix: &str,
) -> Result<()> {
    for name in names {
        let is_weight = name
            .strip_suffix(weight_suffix)
            .is_some_and(|p| layers.contains(&p));
        let is_bias = name
            .strip_suffix(bias_suffix)
            .is_some_and(|p| layers.contains(&p) && model.tensors[*name].shape.len() == 1);
        if !is_weight && !is_bias {
            return Err(Error::Spec(format!(
                "unknown tensor {name}: the mlp preset takes only 2-D *{weight_suffix} tensors \
                 and their 1-D *{bias_suffix}; write a JSON spec that covers it"
            )));
        }
    }
    Ok(())
}

/// Checks that the output size of each layer is the input size of the next.
fn check_mlp_chain(
    model: &Model,
    layers: &[&str],
    weight_suffix: &str,
    layout: Layout,
) -> Result<()> {
    let dims: Vec<(usize, usize)> = layers
        .iter()
        .map(|p| {
            let s = &model.tensors[&format!("{p}{weight_suffix}")].shape;
            match layout {
                Layout::Torch => (s[1], s[0]),
                Layout::Flax => (s[0], s[1]),
            }
        })
        .collect();
    for (l, pair) in dims.windows(2).enumerate() {
        if pair[1].0 != pair[0].1 {
            return Err(Error::Spec(format!(
                "the mlp preset cannot chain {}{weight_suffix} (out {}) into {}{weight_suffix} (in {}); \
                 write a JSON spec",
                layers[l],
                pair[0].1,
                layers[l + 1],
                pair[1].0
            )));
        }
    }
    Ok(())
}

fn build_mlp(
    layers: &[&str],
    weight_suffix: &str,
    bias_suffix: &str,
    layout: Layout,
    model: &Model,
) -> PermSpec {
    let depth = layers.len();
    let groups: Vec<String> = (0..depth.saturating_sub(1))
        .map(|i| format!("P_{i}"))
        .collect();
    let mut tensors = BTreeMap::new();
    for (l, prefix) in layers.iter().enumerate() {
        let out = if l + 1 < depth {
            AxisMap::Group(l)
        } else {
            AxisMap::Free
        };
        let inp = if l > 0 {
            AxisMap::Group(l - 1)
        } else {
            AxisMap::Free
        };
        let axes = match layout {
            Layout::Torch => vec![out, inp],
            Layout::Flax => vec![inp, out],
        };
        tensors.insert(format!("{prefix}{weight_suffix}"), axes);
        let bias = format!("{prefix}{bias_suffix}");
        if model.tensors.contains_key(&bias) {
            tensors.insert(bias, vec![out]);
        }
    }
    let mut tensors: Vec<(String, TensorSpec)> = tensors
        .into_iter()
        .map(|(n, axes)| {
            (
                n,
                TensorSpec {
                    axes,
                    cost_weight: 1.0,
                },
            )
        })
        .collect();
    tensors.sort_by(|a, b| natural_cmp(&a.0, &b.0));
    PermSpec { groups, tensors }
}
