//! Certificate stress test on many random small networks.
//!
//! Each network draws n_in, n_out ∈ 1..4 and 1 to 3 hidden layers of width
//! 1..4 with at most 12 hidden units in total, L = e^{U(−1.5, 1.5)}, the
//! reference initialization with every weight matrix scaled by a per-network
//! e^{U(−1, 3.5)} times a per-matrix U(0.1, 3), and every α ~ U(0.01, 5).
//! Large weights and α are where the published residual map breaks, so this
//! distribution separates a valid construction from an invalid one.
//!
//! ```
//! use lipnet::model::ModelId;
//! use lipnet::stress::stress;
//!
//! let report = stress(ModelId::LdltRes, 20, 0).unwrap();
//! assert_eq!(report.lmi_failures, 0);
//! assert_eq!(report.pattern_violations, 0);
//! ```

use crate::contraction::theta_for_alpha;
use crate::error::Result;
use crate::model::{self, ArchParams, LipModel, ModelId};
use crate::verify::{exhaustive, lmi_max_eig, lmi_tolerance};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use tape::ParamStore;

/// Largest total hidden width drawn, so the exhaustive bound has ≤ 2¹² patterns.
pub const MAX_HIDDEN_UNITS: usize = 12;

/// One random network of the stress distribution.
pub struct RandomNet {
    /// The network.
    pub model: Box<dyn LipModel>,
    /// Its parameters.
    pub store: ParamStore,
    /// Its bound L.
    pub lip: f64,
}

/// Draws one network of model family `id` from the stress distribution.
///
/// # Errors
///
/// Only on a failed parameterization, which would be a bug.
pub fn random_net(id: ModelId, rng: &mut ChaCha8Rng) -> Result<RandomNet> {
    let n_in = rng.random_range(1..5);
    let n_out = rng.random_range(1..5);
    let widths = random_widths(rng);
    let lip = tape::rng::uniform(rng, -1.5, 1.5).exp();

    let arch = ArchParams::new(id, n_in, n_out, widths, lip).check()?;
    let mut store = ParamStore::new();
    let model = model::build(&arch, &mut store, rng)?;
    perturb(&mut store, rng);
    Ok(RandomNet { model, store, lip })
}

fn random_widths(rng: &mut ChaCha8Rng) -> Vec<usize> {
    loop {
        let depth = rng.random_range(1..4);
        let widths: Vec<usize> = (0..depth).map(|_| rng.random_range(1..5)).collect();
        if widths.iter().sum::<usize>() <= MAX_HIDDEN_UNITS {
            return widths;
        }
    }
}

/// Scales weights and redraws α as the module documentation describes.
fn perturb(store: &mut ParamStore, rng: &mut ChaCha8Rng) {
    let net_scale = tape::rng::uniform(rng, -1.0, 3.5).exp();
    let ids: Vec<_> = store.ids().collect();

    for id in ids {
        let name = store.name(id).to_string();
        if name.starts_with("W_") {
            let s = net_scale * tape::rng::uniform(rng, 0.1, 3.0);
            let w = store.get_mut(id);
            for j in 0..w.ncols() {
                for i in 0..w.nrows() {
                    w[(i, j)] *= s;
                }
            }
        } else if name.starts_with("theta_") {
            let a = tape::rng::uniform(rng, 0.01, 5.0);
            store.get_mut(id)[(0, 0)] = theta_for_alpha(a);
        }
    }
}

/// Summary of a stress run.
#[derive(Clone, Debug, Serialize)]
pub struct StressReport {
    /// Model family.
    pub model: String,
    /// Networks checked.
    pub nets: usize,
    /// Networks whose λ_max exceeded 10⁻⁹·max(1, L²).
    pub lmi_failures: usize,
    /// Networks whose exhaustive bound exceeded L(1 + 10⁻⁹).
    pub pattern_violations: usize,
    /// Largest λ_max / max(1, L²).
    pub worst_lmi_normalized: f64,
    /// Largest exhaustive bound / L.
    pub worst_exhaustive_over_lip: f64,
}

/// Checks `nets` random networks of family `id` with the LMI and the
/// exhaustive pattern bound.
///
/// # Errors
///
/// Parameterization or eigensolver failures.
pub fn stress(id: ModelId, nets: usize, seed: u64) -> Result<StressReport> {
    let mut rng = tape::rng::stream(seed, &format!("stress-{}", id.name()));
    let mut report = StressReport {
        model: id.name().to_string(),
        nets,
        lmi_failures: 0,
        pattern_violations: 0,
        worst_lmi_normalized: f64::NEG_INFINITY,
        worst_exhaustive_over_lip: 0.0,
    };

    for _ in 0..nets {
        let net = random_net(id, &mut rng)?;
        let eff = net.model.effective(&net.store)?;

        let lmi = lmi_max_eig(&eff, net.lip)?;
        let normalized = lmi / net.lip.powi(2).max(1.0);
        report.worst_lmi_normalized = report.worst_lmi_normalized.max(normalized);
        if lmi > lmi_tolerance(net.lip) {
            report.lmi_failures += 1;
        }

        let (bound, _) = exhaustive(&eff, MAX_HIDDEN_UNITS)?;
        report.worst_exhaustive_over_lip = report.worst_exhaustive_over_lip.max(bound / net.lip);
        if bound > net.lip * (1.0 + 1e-9) {
            report.pattern_violations += 1;
        }
    }
    Ok(report)
}
