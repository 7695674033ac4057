//! Learning-rate schedules indexed by optimizer step.

/// Learning rate as a function of the zero-based step index.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Schedule {
    /// The same rate at every step.
    Constant {
        /// Learning rate.
        lr: f64,
    },
    /// Piecewise linear through the knots (0, 0), (⌊2S/5⌋, peak), (⌊4S/5⌋, peak/20)
    /// and (S, 0), with S = `total_steps`, and 0 from step S on (the SLL recipe).
    Triangular {
        /// Rate at step ⌊2S/5⌋.
        peak_lr: f64,
        /// S, the step at which the rate reaches 0.
        total_steps: usize,
    },
    /// Half-period cosine from `lr` at step 0 to 0 at step S = `total_steps`:
    /// lr·(1 + cos(π·t/S))/2, and 0 from step S on.
    Cosine {
        /// Rate at step 0.
        lr: f64,
        /// S, the step at which the rate reaches 0.
        total_steps: usize,
    },
}

impl Schedule {
    /// Returns the learning rate at `step`.
    ///
    /// With `total_steps` = 0, `Triangular` returns 0 and `Cosine` returns `lr`.
    pub fn lr_at(&self, step: usize) -> f64 {
        match *self {
            Schedule::Constant { lr } => lr,
            Schedule::Triangular {
                peak_lr,
                total_steps,
            } => triangular(peak_lr, total_steps, step),
            Schedule::Cosine { lr, total_steps } => {
                if total_steps == 0 {
                    return lr;
                }
                let t = step.min(total_steps) as f64 / total_steps as f64;
                lr * 0.5 * (1.0 + (std::f64::consts::PI * t).cos())
            }
        }
    }
}

/// Linear interpolation through the triangular knots. Coinciding knots (small S)
/// are skipped, so the value jumps at that step.
fn triangular(peak_lr: f64, total_steps: usize, step: usize) -> f64 {
    let s = total_steps;
    let knots = [
        (0, 0.0),
        (2 * s / 5, peak_lr),
        (4 * s / 5, peak_lr / 20.0),
        (s, 0.0),
    ];
    for pair in knots.windows(2) {
        let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
        if step <= x1 && x1 > x0 {
            // The convex-combination form returns the knot values exactly.
            let frac = (step.max(x0) - x0) as f64 / (x1 - x0) as f64;
            return y0 * (1.0 - frac) + y1 * frac;
        }
    }
    0.0
}
