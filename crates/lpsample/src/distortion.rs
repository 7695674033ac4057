//! Subspace-embedding distortion of a weighted row sample.
//!
//! For a sample S (rows i with weights c_i on |·|^p) and a probe x, the ratio is
//! ρ(x) = ‖SAx‖_p / ‖Ax‖_p = (Σ_{i∈S} c_i|a_iᵀx|^p / Σ_i |a_iᵀx|^p)^{1/p} (norms, not
//! p-th powers), and the distortion is max over probes of |ρ(x) − 1|. Probes live in
//! the coordinates of the SVD basis U of col(A), so Ax = Uy:
//! - `gaussian: K`: K standard Gaussian vectors y;
//! - `svd`: the unit vectors e_k, i.e. the right singular vectors of A.
//!
//! A probe maximum is a lower bound on the true distortion. For p = 2 the exact value
//! is max(√λ_max − 1, 1 − √λ_min) over the eigenvalues of UᵀSᵀSU = Σ c_i u_i u_iᵀ.
//!
//! ```
//! use lpsample::distortion::{distortion, ProbeSpec};
//! use lpsample::sampling::Sample;
//!
//! // [I_2; I_2] with one copy of each row kept at weight 2 is an exact embedding.
//! let a = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]];
//! let sample = Sample { rows: vec![0, 1], weights: vec![2.0, 2.0], expected_size: 2.0,
//!     clamped: false };
//! let probes = ProbeSpec { gaussian: 100, svd: true };
//! let report = distortion(a.as_ref(), &sample, 1.0, &probes, 0).unwrap();
//! assert!(report.distortion < 1e-12);
//! ```

use faer::{Mat, MatRef, Side};
use serde::Serialize;

use crate::basis::{BasisMethod, orthonormal_basis};
use crate::error::{Error, Result};
use crate::input::check_p;
use crate::sampling::Sample;

/// Probe set evaluated by [`distortion`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeSpec {
    /// Number of Gaussian probes.
    pub gaussian: usize,
    /// Whether to add the right singular vectors of A.
    pub svd: bool,
}

/// Distortion statistics of one sample.
#[derive(Debug, Clone, Serialize)]
pub struct DistortionReport {
    /// max over probes of |ρ − 1|.
    pub distortion: f64,
    /// Smallest ratio ρ over the probes.
    pub min_ratio: f64,
    /// Largest ratio ρ over the probes.
    pub max_ratio: f64,
    /// Number of probes evaluated.
    pub probes: usize,
    /// Exact distortion, for p = 2 only.
    pub exact: Option<f64>,
}

/// Evaluates the probes of `probes` on `sample`.
///
/// # Errors
/// [`Error::InvalidP`], the basis errors, [`Error::InvalidArgument`] when the
/// sample names a row outside A or no probe is requested, and
/// [`Error::Factorization`] when the p = 2 eigenvalue solve fails.
pub fn distortion(
    a: MatRef<'_, f64>,
    sample: &Sample,
    p: f64,
    probes: &ProbeSpec,
    seed: u64,
) -> Result<DistortionReport> {
    let p = check_p(p)?;
    let basis = orthonormal_basis(a, BasisMethod::Svd, None)?;
    let u = basis.u.as_ref();
    if let Some(&row) = sample.rows.iter().find(|&&i| i >= u.nrows()) {
        return Err(invalid(
            "sample row",
            row.to_string(),
            "every sampled row must be a row of A",
        ));
    }

    let directions = probe_directions(basis.rank, probes, seed);
    if directions.ncols() == 0 {
        return Err(invalid(
            "probe count",
            "0".into(),
            "request Gaussian probes or svd probes",
        ));
    }
    let z = u * &directions;

    let (mut min_ratio, mut max_ratio) = (f64::INFINITY, 0.0f64);
    for k in 0..z.ncols() {
        let full: f64 = (0..z.nrows()).map(|i| z[(i, k)].abs().powf(p)).sum();
        let sampled: f64 = sample
            .rows
            .iter()
            .zip(&sample.weights)
            .map(|(&i, c)| c * z[(i, k)].abs().powf(p))
            .sum();
        let ratio = (sampled / full).powf(1.0 / p);
        min_ratio = min_ratio.min(ratio);
        max_ratio = max_ratio.max(ratio);
    }

    let exact = if p == 2.0 {
        Some(exact_l2_distortion(u, sample)?)
    } else {
        None
    };
    Ok(DistortionReport {
        distortion: (max_ratio - 1.0).max(1.0 - min_ratio),
        min_ratio,
        max_ratio,
        probes: z.ncols(),
        exact,
    })
}

fn invalid(name: &'static str, value: String, rule: &'static str) -> Error {
    Error::InvalidArgument { name, value, rule }
}

/// Returns the probe directions as columns (rank × count).
fn probe_directions(rank: usize, probes: &ProbeSpec, seed: u64) -> Mat<f64> {
    let mut rng = tape::rng::stream(seed, "distortion-probes");
    let gaussian = tape::rng::normal_mat(&mut rng, probes.gaussian, rank, 1.0);
    let svd_count = if probes.svd { rank } else { 0 };
    Mat::from_fn(rank, probes.gaussian + svd_count, |j, k| {
        if k < probes.gaussian {
            gaussian[(k, j)]
        } else {
            f64::from(k - probes.gaussian == j)
        }
    })
}

/// Returns max(√λ_max − 1, 1 − √λ_min) for Σ c_i u_i u_iᵀ.
fn exact_l2_distortion(u: MatRef<'_, f64>, sample: &Sample) -> Result<f64> {
    let scaled = Mat::from_fn(sample.rows.len(), u.ncols(), |k, j| {
        sample.weights[k].sqrt() * u[(sample.rows[k], j)]
    });
    let gram = scaled.transpose() * &scaled;
    let eigenvalues =
        gram.self_adjoint_eigenvalues(Side::Lower)
            .map_err(|_| Error::Factorization {
                what: "symmetric eigenvalue",
            })?;
    let largest = eigenvalues.iter().copied().fold(0.0f64, f64::max).sqrt();
    let smallest = eigenvalues
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
        .max(0.0)
        .sqrt();
    Ok((largest - 1.0).max(1.0 - smallest))
}
