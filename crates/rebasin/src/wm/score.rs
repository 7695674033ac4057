//! Score matrices of weight matching, cached between coordinate steps.
//!
//! `S_g` is the sum over g's entries `(k, a)` of `c_k · mat_a(A_k) · mat_a(B̃_k)ᵀ`.
//! One term depends only on the permutations of the other groups that act on
//! tensor k. Entries with the same set of such groups form a bucket. The cache
//! keeps each bucket's sum with the versions of those groups and recomputes it
//! only after one of them changed. Buckets with a small GEMM inner size, such
//! as biases, are recomputed at every step instead. A group whose buckets are
//! all current and which was solved since they were last computed would get
//! the same matrix, hence the same assignment, so its step is skipped.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

use super::Precision;
use crate::model::Model;
use crate::perm::{Perms, axis_split, take_axis_into};
use crate::spec::{AxisMap, GroupEntry, PermSpec};

/// Entries of one group that depend on the same other groups.
pub(super) struct Bucket {
    /// Other groups on the entries' tensors, ascending.
    deps: Vec<usize>,
    entries: Vec<GroupEntry>,
    /// Summed length of the entries' rows in mat_a (the GEMMs' inner size).
    inner: usize,
}

impl Bucket {
    /// Returns whether the sum is worth an n × n cache. Recomputing costs
    /// n² · inner multiply-adds, little for biases or a narrow output layer.
    fn cached(&self) -> bool {
        self.inner > MAX_RECOMPUTED_INNER
    }
}

/// Largest inner size of a bucket that is recomputed at every step instead
/// of cached.
const MAX_RECOMPUTED_INNER: usize = 16;

/// Splits each group's entries into buckets, ordered by first entry.
pub(super) fn buckets(spec: &PermSpec, model: &Model) -> Vec<Vec<Bucket>> {
    spec.group_entries()
        .into_iter()
        .map(|entries| {
            let mut out: Vec<Bucket> = Vec::new();
            for e in entries {
                let (name, ts) = &spec.tensors[e.tensor];
                let shape = &model.tensors[name].shape;
                let units = shape[e.axis] / e.block;
                let inner = shape.iter().product::<usize>() / units;
                let deps = other_groups(&ts.axes, e.axis);
                match out.iter_mut().find(|b| b.deps == deps) {
                    Some(b) => {
                        b.entries.push(e);
                        b.inner += inner;
                    }
                    None => out.push(Bucket {
                        deps,
                        entries: vec![e],
                        inner,
                    }),
                }
            }
            out
        })
        .collect()
}

/// Groups acting on the axes of a tensor other than `axis`, ascending.
fn other_groups(axes: &[AxisMap], axis: usize) -> Vec<usize> {
    let mut deps: Vec<usize> = axes
        .iter()
        .enumerate()
        .filter(|&(a, _)| a != axis)
        .filter_map(|(_, map)| map.group().map(|(h, _)| h))
        .collect();
    deps.sort_unstable();
    deps
}

/// Models and their f32 copies, the operands of the score products.
pub(super) struct Operands<'a> {
    pub(super) spec: &'a PermSpec,
    pub(super) target: &'a Model,
    pub(super) source: &'a Model,
    pub(super) precision: Precision,
    /// f32 copies of A and B per spec tensor, empty for f64 products.
    target32: Vec<Vec<f32>>,
    source32: Vec<Vec<f32>>,
}

impl<'a> Operands<'a> {
    pub(super) fn new(
        spec: &'a PermSpec,
        target: &'a Model,
        source: &'a Model,
        precision: Precision,
    ) -> Self {
        let to_f32 = |m: &Model| -> Vec<Vec<f32>> {
            match precision {
                Precision::F64 => Vec::new(),
                Precision::F32 => spec
                    .tensors
                    .iter()
                    .map(|(n, _)| m.tensors[n].values.iter().map(|&x| x as f32).collect())
                    .collect(),
            }
        };
        Self {
            spec,
            target,
            source,
            precision,
            target32: to_f32(target),
            source32: to_f32(source),
        }
    }

    /// Writes the sum of a bucket's terms into `out` as a row-major n × n matrix.
    fn bucket_sum(
        &self,
        bucket: &Bucket,
        n: usize,
        perms: &Perms,
        out: &mut Vec<f64>,
        work: &mut Work,
    ) {
        out.clear();
        out.resize(n * n, 0.0);
        self.add_bucket(bucket, n, perms, out, work);
    }

    /// Adds a bucket's terms to the row-major n × n matrix `s`.
    fn add_bucket(&self, bucket: &Bucket, n: usize, perms: &Perms, s: &mut [f64], work: &mut Work) {
        for e in &bucket.entries {
            self.add_entry(s, n, e, perms, work);
        }
    }

    /// Adds entry e's term `c_k · mat_a(A_k) · mat_a(B̃_k)ᵀ` to the row-major
    /// n × n matrix `s`.
    fn add_entry(&self, s: &mut [f64], n: usize, e: &GroupEntry, perms: &Perms, work: &mut Work) {
        let (name, ts) = &self.spec.tensors[e.tensor];
        let shape = &self.target.tensors[name].shape;
        let c = ts.cost_weight;
        match self.precision {
            Precision::F64 => {
                let a = &self.target.tensors[name].values;
                let b = &self.source.tensors[name].values;
                let (ma, mb) = work.f64.operands(a, b, shape, &ts.axes, e, perms);
                // Column-major storage of Sᵀ is row-major storage of S.
                let s_t = MatMut::from_column_major_slice_mut(s, n, n);
                matmul(s_t, Accum::Add, mb, ma.transpose(), c, Par::Seq);
            }
            Precision::F32 => {
                let a = &self.target32[e.tensor];
                let b = &self.source32[e.tensor];
                let (ma, mb) = work.f32.operands(a, b, shape, &ts.axes, e, perms);
                let product = &mut work.product32;
                if product.len() != n * n {
                    product.clear();
                    product.resize(n * n, 0.0);
                }
                let p_t = MatMut::from_column_major_slice_mut(product.as_mut_slice(), n, n);
                matmul(p_t, Accum::Replace, mb, ma.transpose(), 1.0f32, Par::Seq);
                for (x, &p) in s.iter_mut().zip(product.iter()) {
                    *x += c * f64::from(p);
                }
            }
        }
    }
}

/// Reusable buffers of one precision.
#[derive(Default)]
struct Gather<T> {
    /// B̃_k and a spare for a second take.
    permuted: Vec<T>,
    spare: Vec<T>,
    /// mat_a(A_k) and mat_a(B̃_k) when the layout needs a gather.
    unit_a: Vec<T>,
    unit_b: Vec<T>,
}

impl<T: Copy> Gather<T> {
    /// Returns mat_a(A_k) and mat_a(B̃_k) for entry e.
    fn operands<'s>(
        &'s mut self,
        a: &'s [T],
        b: &'s [T],
        shape: &[usize],
        axes: &[AxisMap],
        e: &GroupEntry,
        perms: &Perms,
    ) -> (MatRef<'s, T>, MatRef<'s, T>) {
        let Self {
            permuted,
            spare,
            unit_a,
            unit_b,
        } = self;
        let b = permute_others(b, shape, axes, e.axis, perms, permuted, spare);
        let ma = unit_matrix(a, shape, e.axis, e.block, unit_a);
        let mb = unit_matrix(b, shape, e.axis, e.block, unit_b);
        (ma, mb)
    }
}

/// Scratch space of the products.
#[derive(Default)]
struct Work {
    f64: Gather<f64>,
    f32: Gather<f32>,
    product32: Vec<f32>,
}

/// Returns B̃_k: `values` with every group but the one on `axis` applied.
/// Borrows `values` when no other group acts on the tensor.
fn permute_others<'v, T: Copy>(
    values: &'v [T],
    shape: &[usize],
    axes: &[AxisMap],
    axis: usize,
    perms: &Perms,
    permuted: &'v mut Vec<T>,
    spare: &mut Vec<T>,
) -> &'v [T] {
    let mut taken = false;
    for (other, map) in axes.iter().enumerate() {
        let Some((h, block)) = map.group() else {
            continue;
        };
        if other == axis {
            continue;
        }
        if taken {
            take_axis_into(permuted, shape, other, block, &perms.perms[h], spare);
            std::mem::swap(permuted, spare);
        } else {
            take_axis_into(values, shape, other, block, &perms.perms[h], permuted);
            taken = true;
        }
    }
    if taken { permuted } else { values }
}

/// Returns mat_a(T): the n × m matrix whose row i contains every element of unit i
/// along `axis` (n = len / block). Borrows `values` when the layout allows,
/// else gathers into `buf`.
fn unit_matrix<'b, T: Copy>(
    values: &'b [T],
    shape: &[usize],
    axis: usize,
    block: usize,
    buf: &'b mut Vec<T>,
) -> MatRef<'b, T> {
    let (outer, len, inner) = axis_split(shape, axis);
    let n = len / block;
    let run = block * inner;
    if outer == 1 {
        return MatRef::from_row_major_slice(values, n, run);
    }
    if run == 1 {
        return MatRef::from_row_major_slice(values, outer, n).transpose();
    }
    buf.clear();
    buf.reserve(values.len());
    for i in 0..n {
        for o in 0..outer {
            let src = o * len * inner + i * run;
            buf.extend_from_slice(&values[src..src + run]);
        }
    }
    MatRef::from_row_major_slice(buf.as_slice(), n, outer * run)
}

/// A bucket sum and the versions of its groups when it was computed. The sum
/// is empty for a bucket that is recomputed at every step.
struct CachedSum {
    versions: Vec<u64>,
    sum: Vec<f64>,
}

/// Cached bucket sums and group versions of one weight-matching run.
///
/// NOTE: every cached bucket keeps an n × n f64 matrix, 5 for an MLP with 3
/// hidden layers, which is 168 MB at n = 2048.
pub(super) struct ScoreCache {
    /// Per group: how many steps changed its permutation.
    versions: Vec<u64>,
    /// Per group and bucket.
    sums: Vec<Vec<Option<CachedSum>>>,
    /// Per group: whether it was solved since its buckets were last computed.
    solved: Vec<bool>,
    /// The score matrix returned last.
    s: Vec<f64>,
    work: Work,
}

impl ScoreCache {
    pub(super) fn new(buckets: &[Vec<Bucket>]) -> Self {
        Self {
            versions: vec![0; buckets.len()],
            sums: buckets
                .iter()
                .map(|b| b.iter().map(|_| None).collect())
                .collect(),
            solved: vec![false; buckets.len()],
            s: Vec::new(),
            work: Work::default(),
        }
    }

    /// Returns S_g (row-major n × n), or `None` when it equals the matrix of
    /// g's last solve.
    pub(super) fn score(
        &mut self,
        ops: &Operands,
        buckets: &[Bucket],
        g: usize,
        n: usize,
        perms: &Perms,
    ) -> Option<&[f64]> {
        let mut recomputed = false;
        for (bucket, slot) in buckets.iter().zip(&mut self.sums[g]) {
            let versions: Vec<u64> = bucket.deps.iter().map(|&h| self.versions[h]).collect();
            if slot.as_ref().is_some_and(|c| c.versions == versions) {
                continue;
            }
            let mut sum = slot.take().map(|c| c.sum).unwrap_or_default();
            if bucket.cached() {
                ops.bucket_sum(bucket, n, perms, &mut sum, &mut self.work);
            }
            *slot = Some(CachedSum { versions, sum });
            recomputed = true;
        }
        if self.solved[g] && !recomputed {
            return None;
        }

        self.s.clear();
        self.s.resize(n * n, 0.0);
        for (bucket, slot) in buckets.iter().zip(&self.sums[g]) {
            match slot {
                Some(cached) if bucket.cached() => {
                    for (s, x) in self.s.iter_mut().zip(&cached.sum) {
                        *s += x;
                    }
                }
                _ => ops.add_bucket(bucket, n, perms, &mut self.s, &mut self.work),
            }
        }
        Some(&self.s)
    }

    /// Returns two f64 scratch buffers, free between calls of [`ScoreCache::score`].
    pub(super) fn scratch(&mut self) -> (&mut Vec<f64>, &mut Vec<f64>) {
        (&mut self.work.f64.permuted, &mut self.work.f64.spare)
    }

    /// Records a solve of group g and whether it changed g's permutation.
    pub(super) fn record(&mut self, g: usize, changed: bool) {
        self.solved[g] = true;
        if changed {
            self.versions[g] += 1;
        }
    }
}
