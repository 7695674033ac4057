//! Jacobian norms at sample points, a lower bound on the Lipschitz constant.

use super::norms::spectral_norm;
use crate::error::Result;
use crate::network::SlopeNet;
use faer::MatRef;

/// The largest Jacobian norm found over a set of points.
#[derive(Clone, Debug, PartialEq)]
pub struct SampledJacobian {
    /// max_i ‖J(x_i)‖₂; 0 for an empty set.
    pub max_norm: f64,
    /// Row index of the point that attains it.
    pub argmax: usize,
    /// Number of points checked.
    pub n_points: usize,
}

/// Returns the largest ‖J(x)‖₂ over the rows of `x`, with the activation
/// slopes of each point's actual pre-activations (ReLU slope 0 at exactly 0).
///
/// # Errors
///
/// [`crate::Error::Decomposition`] when a norm computation fails.
pub fn sampled_jacobian_max<N: SlopeNet + ?Sized>(
    e: &N,
    x: MatRef<'_, f64>,
) -> Result<SampledJacobian> {
    let mut best = SampledJacobian {
        max_norm: 0.0,
        argmax: 0,
        n_points: x.nrows(),
    };

    for i in 0..x.nrows() {
        let row: Vec<f64> = (0..x.ncols()).map(|j| x[(i, j)]).collect();
        let norm = spectral_norm(e.jacobian_at(&row).as_ref())?;
        if norm > best.max_norm {
            best.max_norm = norm;
            best.argmax = i;
        }
    }
    Ok(best)
}
