//! Column-wise loops over owned matrices shared by the forward and backward rules.
//!
//! Owned `Mat`s store each column contiguously, so the loops run over column
//! slices, which the compiler vectorizes. Callers guarantee equal shapes.

use faer::{Mat, MatRef, unzip, zip};

/// `dst += src`.
pub(crate) fn add_assign(dst: &mut Mat<f64>, src: &Mat<f64>) {
    debug_assert_eq!(dst.shape(), src.shape());
    for j in 0..dst.ncols() {
        for (d, s) in dst.col_as_slice_mut(j).iter_mut().zip(src.col_as_slice(j)) {
            *d += s;
        }
    }
}

/// `dst += alpha · src` for a strided view `src`.
pub(crate) fn add_scaled_ref(dst: &mut Mat<f64>, alpha: f64, src: MatRef<'_, f64>) {
    debug_assert_eq!((dst.nrows(), dst.ncols()), (src.nrows(), src.ncols()));
    zip!(dst.as_mut(), src).for_each(|unzip!(d, s)| *d += alpha * *s);
}

/// `dst[i] = f(a[i])`.
pub(crate) fn map_into(dst: &mut Mat<f64>, a: &Mat<f64>, f: impl Fn(f64) -> f64) {
    debug_assert_eq!(dst.shape(), a.shape());
    for j in 0..dst.ncols() {
        for (d, &x) in dst.col_as_slice_mut(j).iter_mut().zip(a.col_as_slice(j)) {
            *d = f(x);
        }
    }
}

/// `dst[i] = f(a[i], b[i])`.
pub(crate) fn map2_into(
    dst: &mut Mat<f64>,
    a: &Mat<f64>,
    b: &Mat<f64>,
    f: impl Fn(f64, f64) -> f64,
) {
    debug_assert_eq!(dst.shape(), a.shape());
    debug_assert_eq!(dst.shape(), b.shape());
    for j in 0..dst.ncols() {
        let (ca, cb) = (a.col_as_slice(j), b.col_as_slice(j));
        for ((d, &x), &y) in dst.col_as_slice_mut(j).iter_mut().zip(ca).zip(cb) {
            *d = f(x, y);
        }
    }
}

/// `dst[i] = f(dst[i], a[i])`.
pub(crate) fn map_in_place(dst: &mut Mat<f64>, a: &Mat<f64>, f: impl Fn(f64, f64) -> f64) {
    debug_assert_eq!(dst.shape(), a.shape());
    for j in 0..dst.ncols() {
        for (d, &x) in dst.col_as_slice_mut(j).iter_mut().zip(a.col_as_slice(j)) {
            *d = f(*d, x);
        }
    }
}

/// `dst[i] += f(a[i], b[i])`.
pub(crate) fn add_map2(
    dst: &mut Mat<f64>,
    a: &Mat<f64>,
    b: &Mat<f64>,
    f: impl Fn(f64, f64) -> f64,
) {
    debug_assert_eq!(dst.shape(), a.shape());
    debug_assert_eq!(dst.shape(), b.shape());
    for j in 0..dst.ncols() {
        let (ca, cb) = (a.col_as_slice(j), b.col_as_slice(j));
        for ((d, &x), &y) in dst.col_as_slice_mut(j).iter_mut().zip(ca).zip(cb) {
            *d += f(x, y);
        }
    }
}

/// `dst[i] += f(a[i], b[i], c[i])`.
pub(crate) fn add_map3(
    dst: &mut Mat<f64>,
    a: &Mat<f64>,
    b: &Mat<f64>,
    c: &Mat<f64>,
    f: impl Fn(f64, f64, f64) -> f64,
) {
    debug_assert_eq!(dst.shape(), a.shape());
    debug_assert_eq!(dst.shape(), b.shape());
    debug_assert_eq!(dst.shape(), c.shape());
    for j in 0..dst.ncols() {
        let (ca, cb, cc) = (a.col_as_slice(j), b.col_as_slice(j), c.col_as_slice(j));
        let dst_col = dst.col_as_slice_mut(j);
        for (((d, &x), &y), &z) in dst_col.iter_mut().zip(ca).zip(cb).zip(cc) {
            *d += f(x, y, z);
        }
    }
}

/// Frobenius inner product `⟨a, b⟩ = Σ a[i]·b[i]`, summed column by column.
pub(crate) fn dot(a: &Mat<f64>, b: &Mat<f64>) -> f64 {
    debug_assert_eq!(a.shape(), b.shape());
    let mut sum = 0.0;
    for j in 0..a.ncols() {
        let col: f64 = a
            .col_as_slice(j)
            .iter()
            .zip(b.col_as_slice(j))
            .map(|(x, y)| x * y)
            .sum();
        sum += col;
    }
    sum
}

/// Sum of all entries, column by column.
pub(crate) fn sum(a: &Mat<f64>) -> f64 {
    (0..a.ncols())
        .map(|j| a.col_as_slice(j).iter().sum::<f64>())
        .sum()
}

/// Side of the square tiles used by the transposing kernels. A 16 × 16 tile of
/// `f64` takes 2 KiB, so the source and destination tiles stay in L1 cache.
const TILE: usize = 16;

/// Copies the `rows × cols` block of `src` at (`row0`, `col0`) into `tile`,
/// column by column with column stride `TILE`.
fn gather_tile(
    tile: &mut [f64; TILE * TILE],
    src: &Mat<f64>,
    (row0, col0): (usize, usize),
    (rows, cols): (usize, usize),
) {
    for c in 0..cols {
        let column = &src.col_as_slice(col0 + c)[row0..row0 + rows];
        tile[c * TILE..c * TILE + rows].copy_from_slice(column);
    }
}

/// Writes the transpose of the `rows × cols` block held in `tile` into `dst` at
/// (`row0`, `col0`), so `dst` receives a `cols × rows` block.
fn scatter_tile_transposed(
    tile: &[f64; TILE * TILE],
    dst: &mut Mat<f64>,
    (row0, col0): (usize, usize),
    (rows, cols): (usize, usize),
) {
    for r in 0..rows {
        let column = &mut dst.col_as_slice_mut(col0 + r)[row0..row0 + cols];
        for (c, d) in column.iter_mut().enumerate() {
            *d = tile[c * TILE + r];
        }
    }
}

/// Writes `srcᵀ` into `dst` (`dst` has the transposed shape), tile by tile so
/// that both matrices are read and written along their columns.
pub(crate) fn transpose_into(dst: &mut Mat<f64>, src: &Mat<f64>) {
    debug_assert_eq!((dst.nrows(), dst.ncols()), (src.ncols(), src.nrows()));
    let mut tile = [0.0; TILE * TILE];
    for col0 in (0..src.ncols()).step_by(TILE) {
        let cols = TILE.min(src.ncols() - col0);
        for row0 in (0..src.nrows()).step_by(TILE) {
            let rows = TILE.min(src.nrows() - row0);
            gather_tile(&mut tile, src, (row0, col0), (rows, cols));
            scatter_tile_transposed(&tile, dst, (col0, row0), (rows, cols));
        }
    }
}

/// Copies the strict lower triangle of the square `m` onto its strict upper
/// triangle, which makes `m` exactly symmetric.
pub(crate) fn mirror_lower(m: &mut Mat<f64>) {
    let n = m.nrows();
    let mut tile = [0.0; TILE * TILE];
    for col0 in (0..n).step_by(TILE) {
        let cols = TILE.min(n - col0);
        for j in col0..col0 + cols {
            for i in j + 1..col0 + cols {
                m[(j, i)] = m[(i, j)];
            }
        }
        for row0 in (col0 + TILE..n).step_by(TILE) {
            let rows = TILE.min(n - row0);
            gather_tile(&mut tile, m, (row0, col0), (rows, cols));
            scatter_tile_transposed(&tile, m, (col0, row0), (rows, cols));
        }
    }
}

/// Sets the strict upper triangle of the square `m` to zero.
pub(crate) fn zero_strict_upper(m: &mut Mat<f64>) {
    for j in 1..m.ncols() {
        m.col_as_slice_mut(j)[..j].fill(0.0);
    }
}

/// Returns entry `k` of a matrix that is a row or a column vector.
pub(crate) fn vec_entry(v: &Mat<f64>, k: usize) -> f64 {
    if v.ncols() == 1 { v[(k, 0)] } else { v[(0, k)] }
}

/// Returns a mutable reference to entry `k` of a row or column vector.
pub(crate) fn vec_entry_mut(v: &mut Mat<f64>, k: usize) -> &mut f64 {
    if v.ncols() == 1 {
        &mut v[(k, 0)]
    } else {
        &mut v[(0, k)]
    }
}
