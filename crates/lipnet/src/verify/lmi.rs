//! The Lipschitz matrix inequality with Λ_k = I.
//!
//! On ξ = (Δx, Δz_1, …, Δz_K), M = −H has the blocks
//!
//! ```text
//! x-block        AᵀA − L²I          (x, z_K) block   AᵀB
//! z_K block      BᵀB − 2I           other z_k blocks −2I
//! (z_k, z_{k−1}) C_k
//! ```
//!
//! and the network is L-Lipschitz for every activation with slopes in [0, 1]
//! when λ_max(M) ≤ 0. Sequential networks use A = 0. With Λ = I the test is
//! complete for ReLU networks but only sufficient for other activations.

use crate::effective::Effective;
use crate::error::{Error, Result};
use faer::{Mat, Side};

/// Returns the pass tolerance 10⁻⁹·max(1, L²) for λ_max(M).
pub fn lmi_tolerance(lip: f64) -> f64 {
    1e-9 * lip.powi(2).max(1.0)
}

/// Returns true when λ_max(M) is within [`lmi_tolerance`].
pub fn lmi_passes(max_eig: f64, lip: f64) -> bool {
    max_eig <= lmi_tolerance(lip)
}

/// Builds the symmetric matrix M = −H of size n_in + Σ n_k.
pub fn lmi_matrix(e: &Effective, lip: f64) -> Mat<f64> {
    let n_in = e.n_in();
    let widths = e.widths();
    let mut offsets = vec![0, n_in];
    for w in &widths {
        offsets.push(offsets.last().unwrap() + w);
    }
    let dim = *offsets.last().unwrap();
    let k_last = widths.len();

    let mut m = Mat::<f64>::zeros(dim, dim);
    for k in 1..=k_last {
        let o = offsets[k];
        for i in 0..widths[k - 1] {
            m[(o + i, o + i)] = -2.0;
        }
    }
    for i in 0..n_in {
        m[(i, i)] = -lip * lip;
    }

    for (k, c) in e.c.iter().enumerate() {
        add_block(&mut m, offsets[k + 1], offsets[k], c);
    }

    let o_last = offsets[k_last];
    let btb = e.b.transpose() * &e.b;
    add_block(&mut m, o_last, o_last, &btb);
    if let Some(a) = &e.a {
        let ata = a.transpose() * a;
        add_block(&mut m, 0, 0, &ata);
        let atb = a.transpose() * &e.b;
        add_block(&mut m, o_last, 0, &atb.transpose().to_owned());
    }

    symmetrize_from_lower(&mut m);
    m
}

/// Returns λ_max(M) for the Λ = I inequality at bound `lip`.
///
/// # Errors
///
/// [`Error::Decomposition`] when the eigensolver does not converge.
pub fn lmi_max_eig(e: &Effective, lip: f64) -> Result<f64> {
    let m = lmi_matrix(e, lip);
    let eig = m
        .self_adjoint_eigenvalues(Side::Lower)
        .map_err(|_| Error::Decomposition {
            what: "symmetric eigenvalue decomposition of the LMI matrix",
        })?;
    Ok(eig.last().copied().unwrap_or(f64::NEG_INFINITY))
}

/// Adds `block` into the lower triangle region at (row, col); row ≥ col, so
/// for diagonal blocks only the lower half is read later.
fn add_block(m: &mut Mat<f64>, row: usize, col: usize, block: &Mat<f64>) {
    for i in 0..block.nrows() {
        for j in 0..block.ncols() {
            m[(row + i, col + j)] += block[(i, j)];
        }
    }
}

fn symmetrize_from_lower(m: &mut Mat<f64>) {
    for i in 0..m.nrows() {
        for j in 0..i {
            m[(j, i)] = m[(i, j)];
        }
    }
}
