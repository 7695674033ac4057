//! Reuse of matrix buffers between tape runs.
//!
//! A training loop rebuilds the same graph every step, so the node values and
//! adjoints of one step have the same shapes as those of the next. The pool keeps
//! released buffers keyed by shape and hands them out again, which keeps the
//! number of heap allocations per step near zero after the first step.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use faer::Mat;

/// Multiply-rotate hasher (the FxHash scheme) for `(rows, cols)` keys. The keys
/// are not attacker-controlled, so the DoS resistance of SipHash is not needed.
#[derive(Default)]
struct ShapeHasher(u64);

impl ShapeHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for ShapeHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.add(u64::from(b));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Released buffers of one shape.
#[derive(Default)]
struct Bucket {
    /// Free buffers, oldest first; `take` pops the newest.
    free: Vec<Mat<f64>>,
    /// Length of `free` at the last generation boundary.
    carried: usize,
    /// Buffers handed out again since the last generation boundary.
    reused: usize,
}

/// Shape-keyed store of reusable `Mat<f64>` buffers.
#[derive(Default)]
pub(crate) struct MatPool {
    buckets: HashMap<(usize, usize), Bucket, BuildHasherDefault<ShapeHasher>>,
}

impl MatPool {
    /// Returns a `rows × cols` matrix whose entries are finite but unspecified.
    ///
    /// Callers must overwrite every entry before reading it.
    pub(crate) fn take(&mut self, rows: usize, cols: usize) -> Mat<f64> {
        let Some(bucket) = self.buckets.get_mut(&(rows, cols)) else {
            return Mat::zeros(rows, cols);
        };
        match bucket.free.pop() {
            Some(m) => {
                bucket.reused += 1;
                m
            }
            None => Mat::zeros(rows, cols),
        }
    }

    /// Returns a `rows × cols` matrix filled with zeros.
    pub(crate) fn take_zeroed(&mut self, rows: usize, cols: usize) -> Mat<f64> {
        let mut m = self.take(rows, cols);
        m.fill(0.0);
        m
    }

    /// Returns a copy of `src` in a pooled buffer.
    pub(crate) fn take_copy(&mut self, src: faer::MatRef<'_, f64>) -> Mat<f64> {
        let mut m = self.take(src.nrows(), src.ncols());
        if src.row_stride() == 1 {
            // Column-major source: copy whole columns, which beats the generic
            // strided copy on small matrices.
            for j in 0..src.ncols() {
                let column = src.col(j).try_as_col_major().expect("unit row stride");
                m.col_as_slice_mut(j).copy_from_slice(column.as_slice());
            }
        } else {
            m.copy_from(src);
        }
        m
    }

    /// Releases `m` for reuse. Empty matrices are dropped.
    pub(crate) fn put(&mut self, m: Mat<f64>) {
        if m.nrows() == 0 || m.ncols() == 0 {
            return;
        }
        let bucket = self.buckets.entry((m.nrows(), m.ncols())).or_default();
        bucket.free.push(m);
    }

    /// Ends a generation (one tape run): drops as many of the oldest buffers of
    /// each shape as went unused since the previous boundary.
    ///
    /// Without this, buffers that enter from outside every run (constants such
    /// as input batches) would pile up. In a steady training loop the pool keeps
    /// one run's node values plus the adjoints of the last backward pass.
    pub(crate) fn next_generation(&mut self) {
        for bucket in self.buckets.values_mut() {
            let unused = bucket.carried.saturating_sub(bucket.reused);
            let unused = unused.min(bucket.free.len());
            bucket.free.drain(..unused);
            bucket.carried = bucket.free.len();
            bucket.reused = 0;
        }
        self.buckets.retain(|_, bucket| !bucket.free.is_empty());
    }
}
