//! Permutations in the take convention and their action on models.
//!
//! Applying c along axis a gives `T'[.., i, ..] = T[.., c[i], ..]`, as a matrix
//! `P[i, c[i]] = 1`. Taking by c1 then by c2 equals one take by
//! `c[i] = c1[c2[i]]`, and the inverse satisfies `c_inv[c[i]] = i` (derived in
//! the normlab rebasin specification, §2.1). A block axis of length n·r is viewed
//! as (n, r) and c acts on the outer index.
//!
//! ```
//! use rebasin::perm::{compose, inverse};
//!
//! let c = vec![2, 0, 1];
//! assert_eq!(compose(&c, &inverse(&c)), vec![0, 1, 2]);
//! ```

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::model::Model;
use crate::spec::PermSpec;

/// One permutation per group, in the order of [`PermSpec::groups`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Perms {
    /// Group names.
    pub groups: Vec<String>,
    /// Take vector of each group.
    pub perms: Vec<Vec<usize>>,
}

impl Perms {
    /// Identity permutations of the given group sizes.
    pub fn identity(spec: &PermSpec, sizes: &[usize]) -> Self {
        Self {
            groups: spec.groups.clone(),
            perms: sizes.iter().map(|&n| (0..n).collect()).collect(),
        }
    }

    /// Returns the inverse of every group.
    pub fn inverse(&self) -> Self {
        Self {
            groups: self.groups.clone(),
            perms: self.perms.iter().map(|c| inverse(c)).collect(),
        }
    }

    /// Applies every group to every listed axis of `model` (a new model;
    /// tensors outside the spec are copied).
    pub fn apply(&self, spec: &PermSpec, model: &Model) -> Model {
        let mut out = model.clone();
        for (name, ts) in &spec.tensors {
            let Some(t) = out.tensors.get_mut(name) else {
                continue;
            };
            for (axis, map) in ts.axes.iter().enumerate() {
                if let Some((g, block)) = map.group() {
                    t.values = take_axis(&t.values, &t.shape, axis, block, &self.perms[g]);
                }
            }
        }
        out
    }

    /// Checks names and sizes against a spec's groups.
    ///
    /// # Errors
    /// [`Error::Perm`] for a missing group, a wrong size or a vector that is not
    /// a permutation.
    pub fn check(&self, spec: &PermSpec, sizes: &[usize]) -> Result<()> {
        if self.groups != spec.groups {
            return Err(Error::Perm(format!(
                "the groups {:?} do not match the spec's groups {:?}",
                self.groups, spec.groups
            )));
        }
        for ((name, c), &n) in self.groups.iter().zip(&self.perms).zip(sizes) {
            if c.len() != n {
                return Err(Error::Perm(format!(
                    "group {name} has {} entries but the model needs {n}",
                    c.len()
                )));
            }
            check_permutation(name, c)?;
        }
        Ok(())
    }

    /// Serialises to `{"format":"rebasin-perms/1","convention":"take","groups":{..}}`.
    pub fn to_json(&self) -> Value {
        let mut groups = Map::new();
        for (name, c) in self.groups.iter().zip(&self.perms) {
            groups.insert(name.clone(), json!(c));
        }
        json!({"format": "rebasin-perms/1", "convention": "take", "groups": groups})
    }

    /// Parses the `rebasin-perms/1` format, ordering groups as in `spec`.
    ///
    /// # Errors
    /// [`Error::Perm`] for a missing group or a malformed vector.
    pub fn from_json(value: &Value, spec: &PermSpec) -> Result<Self> {
        let groups = value
            .get("groups")
            .and_then(Value::as_object)
            .ok_or_else(|| Error::Perm("missing \"groups\" object".into()))?;
        let mut perms = Vec::new();
        for name in &spec.groups {
            let c = groups
                .get(name)
                .and_then(Value::as_array)
                .ok_or_else(|| Error::Perm(format!("group {name} is missing from the file")))?;
            let c: Vec<usize> = c
                .iter()
                .map(|v| v.as_u64().map(|x| x as usize))
                .collect::<Option<_>>()
                .ok_or_else(|| {
                    Error::Perm(format!(
                        "group {name} must be a list of non-negative integers"
                    ))
                })?;
            check_permutation(name, &c)?;
            perms.push(c);
        }
        Ok(Self {
            groups: spec.groups.clone(),
            perms,
        })
    }
}

/// Checks that `c` contains each of 0..n exactly once.
///
/// # Errors
/// [`Error::Perm`] naming the group and the first bad entry.
pub fn check_permutation(name: &str, c: &[usize]) -> Result<()> {
    let mut seen = vec![false; c.len()];
    for (i, &x) in c.iter().enumerate() {
        if x >= c.len() || seen[x] {
            return Err(Error::Perm(format!(
                "group {name} is not a permutation: entry {i} is {x}"
            )));
        }
        seen[x] = true;
    }
    Ok(())
}

/// Returns `c_inv` with `c_inv[c[i]] = i`.
pub fn inverse(c: &[usize]) -> Vec<usize> {
    let mut inv = vec![0; c.len()];
    for (i, &x) in c.iter().enumerate() {
        inv[x] = i;
    }
    inv
}

/// Returns the single take equal to taking by `first`, then by `second`:
/// `c[i] = first[second[i]]`.
pub fn compose(first: &[usize], second: &[usize]) -> Vec<usize> {
    second.iter().map(|&j| first[j]).collect()
}

/// Sizes (outer, n·block, inner) of a row-major tensor around `axis`.
pub(crate) fn axis_split(shape: &[usize], axis: usize) -> (usize, usize, usize) {
    let outer = shape[..axis].iter().product();
    let inner = shape[axis + 1..].iter().product();
    (outer, shape[axis], inner)
}

/// Takes `c` along `axis` (block size `block`): `T'[o, i, s] = T[o, c[i], s]`,
/// where s runs over the block and the trailing axes.
pub fn take_axis<T: Copy + Default>(
    values: &[T],
    shape: &[usize],
    axis: usize,
    block: usize,
    c: &[usize],
) -> Vec<T> {
    let mut out = Vec::new();
    take_axis_into(values, shape, axis, block, c, &mut out);
    out
}

/// Writes [`take_axis`] of `values` into `out`, reusing its allocation.
pub fn take_axis_into<T: Copy>(
    values: &[T],
    shape: &[usize],
    axis: usize,
    block: usize,
    c: &[usize],
    out: &mut Vec<T>,
) {
    let (outer, len, inner) = axis_split(shape, axis);
    let run = block * inner;
    debug_assert_eq!(len, c.len() * block);
    out.clear();
    out.reserve(values.len());
    for o in 0..outer {
        let base = o * len * inner;
        let src_row = &values[base..base + len * inner];
        if run == 1 {
            // Gather element by element: a slice copy per element is far slower.
            out.extend(c.iter().map(|&ci| src_row[ci]));
            continue;
        }
        for &ci in c {
            out.extend_from_slice(&src_row[ci * run..(ci + 1) * run]);
        }
    }
}
