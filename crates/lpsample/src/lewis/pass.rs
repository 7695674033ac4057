//! One evaluation of the Lewis fixed-point map as a single blocked pass over
//! the rows of U.
//!
//! With M = LLᵀ the Gram matrix of the current weights, each block of rows U_b
//! gives Z_b = U_b·L⁻ᵀ, the quadratic forms q_i = ‖z_i‖² = u_iᵀM⁻¹u_i, the new
//! weights, and its share U_bᵀ diag(s²) U_b of the next Gram matrix, with
//! s_i² = w_i^{1−2/p}, while U_b is still in cache. Only the lower triangle of
//! M is formed.

use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::traits::pulp::{Arch, Simd, WithSimd};
use faer::{Accum, Mat, Par, Side};

use crate::basis::{BLOCK_ROWS, add_row_norms_squared, lower_inverse_transpose, solve_rows};

/// Update rule that turns a row's quadratic form q into its new weight.
#[derive(Debug, Clone, Copy)]
enum Update {
    /// p = 1 and η = 1: F = √q, w ← F and s² = 1/F, without logarithms.
    /// The state contains w.
    UndampedP1,
    /// log F = (p/2) ln q, log w ← (1−η) log w + η log F and
    /// s² = exp((1−2/p) log w). The state contains log w.
    General { p: f64, eta: f64 },
}

/// State, buffers and Gram matrix of the fixed-point iteration.
pub(super) struct Pass {
    update: Update,
    /// w or log w of every row, depending on `update`.
    state: Vec<f64>,
    /// log F of every row from the last step (used by `Update::General` only).
    log_f: Vec<f64>,
    /// Z_b, then diag(s²)·U_b, for one block (at most [`BLOCK_ROWS`] × r).
    block: Mat<f64>,
    /// q_i, then s_i², for one block.
    row_values: Vec<f64>,
    /// w_i/F_i for one block (used by `Update::UndampedP1` only).
    ratios: Vec<f64>,
    /// Lower triangle of M = Σ s_i² u_i u_iᵀ for the current weights.
    gram: Mat<f64>,
}

impl Pass {
    /// Starts the iteration on U from the weight `w0` on every row.
    pub(super) fn new(u: &Mat<f64>, p: f64, eta: f64, w0: f64) -> Self {
        let (update, state0) = if p == 1.0 && eta == 1.0 {
            (Update::UndampedP1, w0)
        } else {
            (Update::General { p, eta }, w0.ln())
        };
        let block_rows = BLOCK_ROWS.min(u.nrows());
        let mut pass = Self {
            update,
            state: vec![state0; u.nrows()],
            log_f: match update {
                Update::UndampedP1 => Vec::new(),
                Update::General { .. } => vec![0.0; u.nrows()],
            },
            block: Mat::zeros(block_rows, u.ncols()),
            row_values: vec![w0.powf(1.0 - 2.0 / p); block_rows],
            ratios: vec![0.0; block_rows],
            gram: Mat::zeros(u.ncols(), u.ncols()),
        };
        for start in (0..u.nrows()).step_by(BLOCK_ROWS) {
            pass.add_block_gram(u, start, BLOCK_ROWS.min(u.nrows() - start));
        }
        pass
    }

    /// Evaluates F at the current weights, moves the weights to the damped
    /// step, and forms M for the new weights. Returns max_i |log(F_i/w_i)|
    /// over the old weights, or `None` when M is not positive definite or
    /// some F_i is not finite and positive.
    pub(super) fn step(&mut self, u: &Mat<f64>) -> Option<f64> {
        let llt = self.gram.llt(Side::Lower).ok()?;
        let inverse_t = lower_inverse_transpose(llt.L());
        self.gram.as_mut().fill(0.0);

        let mut gap = Gap::default();
        for start in (0..u.nrows()).step_by(BLOCK_ROWS) {
            let rows = BLOCK_ROWS.min(u.nrows() - start);
            let mut product = self.block.as_mut().subrows_mut(0, rows);
            solve_rows(
                product.as_mut(),
                u.as_ref().subrows(start, rows),
                inverse_t.as_ref(),
            );
            let quadratic = &mut self.row_values[..rows];
            quadratic.fill(0.0);
            add_row_norms_squared(product.as_ref(), quadratic);

            let range = start..start + rows;
            match self.update {
                Update::UndampedP1 => {
                    let ratios = &mut self.ratios[..rows];
                    Arch::new().dispatch(UndampedP1 {
                        row_values: quadratic,
                        w: &mut self.state[range],
                        ratios,
                    });
                    gap.add_ratios(ratios)?;
                }
                Update::General { p, eta } => update_general(
                    p,
                    eta,
                    quadratic,
                    &mut self.state[range.clone()],
                    &mut self.log_f[range],
                    &mut gap,
                )?,
            }
            self.add_block_gram(u, start, rows);
        }
        Some(gap.residual())
    }

    /// Returns F of the last step.
    pub(super) fn into_weights(self) -> Vec<f64> {
        match self.update {
            Update::UndampedP1 => self.state,
            Update::General { .. } => self.log_f.iter().map(|lf| lf.exp()).collect(),
        }
    }

    /// Adds U_bᵀ diag(s²) U_b to the lower triangle of M, with s² in `row_values`.
    fn add_block_gram(&mut self, u: &Mat<f64>, start: usize, rows: usize) {
        let scale = &self.row_values[..rows];
        for j in 0..u.ncols() {
            let column = &u.col_as_slice(j)[start..start + rows];
            let scaled = &mut self.block.col_as_slice_mut(j)[..rows];
            Arch::new().dispatch(ScaleRows {
                column,
                scale,
                scaled,
            });
        }
        triangular::matmul(
            self.gram.as_mut(),
            BlockStructure::TriangularLower,
            Accum::Add,
            u.as_ref().subrows(start, rows).transpose(),
            BlockStructure::Rectangular,
            self.block.as_ref().subrows(0, rows),
            BlockStructure::Rectangular,
            1.0,
            Par::Seq,
        );
    }
}

/// Running max |log(F_i/w_i)|, kept either as a log gap or as the extreme
/// ratios w_i/F_i (log is increasing, so one log per step suffices).
#[derive(Debug, Clone, Copy)]
struct Gap {
    log_gap: f64,
    min_ratio: f64,
    max_ratio: f64,
}

impl Default for Gap {
    fn default() -> Self {
        Self {
            log_gap: 0.0,
            min_ratio: 1.0,
            max_ratio: 1.0,
        }
    }
}

impl Gap {
    /// Takes w_i/F_i of a block into the extremes (|log(F/w)| = |log(w/F)|).
    /// Returns `None` when some ratio is not finite and positive, that is
    /// when some F_i is not.
    fn add_ratios(&mut self, ratios: &[f64]) -> Option<()> {
        for &ratio in ratios {
            if !(ratio > 0.0 && ratio < f64::INFINITY) {
                return None;
            }
            self.min_ratio = self.min_ratio.min(ratio);
            self.max_ratio = self.max_ratio.max(ratio);
        }
        Some(())
    }

    fn residual(&self) -> f64 {
        self.log_gap
            .max(self.max_ratio.ln())
            .max(-self.min_ratio.ln())
    }
}

/// `Update::UndampedP1` on one block, as a SIMD dispatch target: q_i in
/// `row_values` becomes s_i² = 1/F_i, w_i becomes F_i = √q_i, and `ratios`
/// receives the old w_i/F_i. The loop is branch-free, so that it vectorizes.
struct UndampedP1<'a> {
    row_values: &'a mut [f64],
    w: &'a mut [f64],
    ratios: &'a mut [f64],
}

impl WithSimd for UndampedP1<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) {
        let rows = self.row_values.iter_mut().zip(self.w).zip(self.ratios);
        for ((value, w), ratio) in rows {
            let f = value.sqrt();
            let inverse = 1.0 / f;
            *ratio = *w * inverse;
            *w = f;
            *value = inverse;
        }
    }
}

/// `scaled[i] = scale[i] · column[i]`, as a SIMD dispatch target.
struct ScaleRows<'a> {
    column: &'a [f64],
    scale: &'a [f64],
    scaled: &'a mut [f64],
}

impl WithSimd for ScaleRows<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) {
        let rows = self.scaled.iter_mut().zip(self.column).zip(self.scale);
        for ((out, x), s2) in rows {
            *out = s2 * x;
        }
    }
}

/// `Update::General` on one block: writes log F_i, damps log w_i, and turns
/// q_i into s_i² of the new weights. Returns `None` when some log F_i is not
/// finite.
fn update_general(
    p: f64,
    eta: f64,
    row_values: &mut [f64],
    log_w: &mut [f64],
    log_f: &mut [f64],
    gap: &mut Gap,
) -> Option<()> {
    let exponent = 1.0 - 2.0 / p;
    for ((value, lw), lf) in row_values.iter_mut().zip(log_w).zip(log_f) {
        *lf = 0.5 * p * value.ln();
        if !lf.is_finite() {
            return None;
        }
        gap.log_gap = gap.log_gap.max((*lf - *lw).abs());
        *lw = (1.0 - eta) * *lw + eta * *lf;
        *value = (exponent * *lw).exp();
    }
    Some(())
}
