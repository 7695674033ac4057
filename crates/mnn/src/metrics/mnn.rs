//! Matrix Nuclear-Norm: the sum of the D largest column norms of Z.
//!
//! With c_j = ‖Z_{:,j}‖₂ and rows of unit length, Σ_j c_j² = N_eff, so by
//! Cauchy–Schwarz MNN = (Σ of the D largest c_j) / N_eff ≤ √(min(N_eff, d)/N_eff).

/// Sums the `top_d` largest column norms, given the squared column norms.
///
/// When `top_d` covers every column the norms are summed in column order.
/// Otherwise the largest `top_d` are selected and summed in descending order,
/// which makes the result independent of the selection algorithm.
///
/// `top_d` must be at least 1 and at most `col_sq_sums.len()`.
pub fn top_column_norm_sum(col_sq_sums: &[f64], top_d: usize) -> f64 {
    let mut norms: Vec<f64> = col_sq_sums.iter().map(|s| s.sqrt()).collect();
    if top_d >= norms.len() {
        return norms.iter().sum();
    }

    let descending = |a: &f64, b: &f64| b.total_cmp(a);
    norms.select_nth_unstable_by(top_d - 1, descending);
    let top = &mut norms[..top_d];
    top.sort_unstable_by(descending);
    top.iter().sum()
}
