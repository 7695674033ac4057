//! Finite-difference check of tape gradients.

use faer::Mat;

use crate::error::Result;
use crate::ops::kernels;
use crate::rng;
use crate::store::{ParamId, ParamStore};
use crate::tape::{Tape, Var};

/// Settings of [`gradcheck`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradcheckOptions {
    /// Central-difference step relative to the parameter scale:
    /// h = rel_step·max(1, |θ|) (max-norm of θ for a direction).
    pub rel_step: f64,
    /// A check passes when its relative error is below `tol`.
    pub tol: f64,
    /// Number of random directions for a parameter with more than `entrywise_max`
    /// entries.
    pub directions: usize,
    /// Parameters with at most this many entries are checked entry by entry.
    pub entrywise_max: usize,
    /// Seed of the random directions.
    pub seed: u64,
}

impl Default for GradcheckOptions {
    /// Step 1e-6, tolerance 1e-6, 8 directions, entrywise up to 64 entries, seed 0.
    fn default() -> Self {
        Self {
            rel_step: 1e-6,
            tol: 1e-6,
            directions: 8,
            entrywise_max: 64,
            seed: 0,
        }
    }
}

/// Outcome of [`gradcheck`].
#[derive(Clone, Debug, PartialEq)]
pub struct GradcheckReport {
    /// Largest |a − f|/max(1e-8, |a|, |f|) over all checks, with a the analytic and
    /// f the finite-difference derivative; infinite when either is not finite.
    pub max_rel_error: f64,
    /// Number of derivatives compared.
    pub checks: usize,
    /// Description of the check with the largest error.
    pub worst: String,
    /// Tolerance the report is judged against (copied from the options).
    pub tol: f64,
}

impl GradcheckReport {
    /// Returns whether every check had a relative error below the tolerance.
    pub fn passed(&self) -> bool {
        self.max_rel_error < self.tol
    }

    fn record(&mut self, analytic: f64, numeric: f64, describe: impl FnOnce() -> String) {
        let scale = 1e-8f64.max(analytic.abs()).max(numeric.abs());
        let mut error = (analytic - numeric).abs() / scale;
        if !error.is_finite() {
            error = f64::INFINITY;
        }
        self.checks += 1;
        if error > self.max_rel_error || self.worst.is_empty() {
            self.max_rel_error = error;
            self.worst = format!(
                "{}: analytic {analytic:e}, finite difference {numeric:e}",
                describe()
            );
        }
    }
}

/// Compares the tape gradient of a scalar loss with central differences.
///
/// `f` builds the 1 × 1 loss from the store on a fresh tape. Each parameter with
/// at most `opts.entrywise_max` entries is checked entry by entry. A larger one
/// is checked along `opts.directions` random unit directions d, comparing ⟨∇ℓ, d⟩
/// with (ℓ(θ + hd) − ℓ(θ − hd))/(2h). The directions are normalized Gaussian
/// draws from [`rng::stream`] with key `gradcheck/<name>`.
///
/// `f` must be smooth at the given parameters: keep ReLU and `abs` inputs away
/// from 0, and keep the inputs of Cholesky symmetric, because the factorization
/// reads only the lower triangle while its gradient is symmetric.
///
/// # Errors
/// Any error returned by `f`.
pub fn gradcheck(
    store: &ParamStore,
    f: impl Fn(&mut Tape, &ParamStore) -> Result<Var>,
    opts: &GradcheckOptions,
) -> Result<GradcheckReport> {
    let mut tape = Tape::new();
    let loss = f(&mut tape, store)?;
    let grads = tape.backward(loss);
    tape.set_requires_grad(false);
    let mut checker = Checker {
        probe: store.clone(),
        tape,
        f: &f,
        rel_step: opts.rel_step,
    };
    let mut report = GradcheckReport {
        max_rel_error: 0.0,
        checks: 0,
        worst: String::new(),
        tol: opts.tol,
    };
    for (id, name, value) in store.iter() {
        let zeros;
        let analytic = match grads.get(id) {
            Some(g) => g,
            None => {
                zeros = Mat::zeros(value.nrows(), value.ncols());
                &zeros
            }
        };
        if value.nrows() * value.ncols() <= opts.entrywise_max {
            checker.check_entries(id, name, analytic, &mut report)?;
        } else {
            let mut rng = rng::stream(opts.seed, &format!("gradcheck/{name}"));
            for k in 0..opts.directions {
                let direction = unit_direction(&mut rng, value.nrows(), value.ncols());
                let numeric = checker.directional(id, store, &direction)?;
                let exact = kernels::dot(analytic, &direction);
                report.record(exact, numeric, || format!("{name} direction {k}"));
            }
        }
    }
    Ok(report)
}

/// Evaluates the loss at perturbed copies of the parameters.
struct Checker<'f, F> {
    probe: ParamStore,
    tape: Tape,
    f: &'f F,
    rel_step: f64,
}

impl<F: Fn(&mut Tape, &ParamStore) -> Result<Var>> Checker<'_, F> {
    fn loss(&mut self) -> Result<f64> {
        self.tape.reset();
        let v = (self.f)(&mut self.tape, &self.probe)?;
        Ok(self.tape.scalar_value(v))
    }

    fn check_entries(
        &mut self,
        id: ParamId,
        name: &str,
        analytic: &Mat<f64>,
        report: &mut GradcheckReport,
    ) -> Result<()> {
        let (rows, cols) = analytic.shape();
        for j in 0..cols {
            for i in 0..rows {
                let numeric = self.entry(id, i, j)?;
                report.record(analytic[(i, j)], numeric, || format!("{name}[{i},{j}]"));
            }
        }
        Ok(())
    }

    /// Central difference in entry (i, j). The divisor is the difference of the
    /// two rounded arguments, which removes the rounding of θ ± h.
    fn entry(&mut self, id: ParamId, i: usize, j: usize) -> Result<f64> {
        let theta = self.probe.get(id)[(i, j)];
        let h = self.rel_step * theta.abs().max(1.0);
        let (plus, minus) = (theta + h, theta - h);
        self.probe.get_mut(id)[(i, j)] = plus;
        let f_plus = self.loss();
        self.probe.get_mut(id)[(i, j)] = minus;
        let f_minus = self.loss();
        self.probe.get_mut(id)[(i, j)] = theta;
        Ok((f_plus? - f_minus?) / (plus - minus))
    }

    /// Central difference along the unit direction `d` from the values in `store`.
    fn directional(&mut self, id: ParamId, store: &ParamStore, d: &Mat<f64>) -> Result<f64> {
        let theta = store.get(id);
        let max_abs = (0..theta.ncols())
            .flat_map(|j| theta.col_as_slice(j).iter())
            .fold(0.0f64, |m, x| m.max(x.abs()));
        let h = self.rel_step * max_abs.max(1.0);
        let mut values = [0.0; 2];
        for (value, sign) in values.iter_mut().zip([1.0, -1.0]) {
            let p = self.probe.get_mut(id);
            kernels::map2_into(p, theta, d, |t, di| t + sign * h * di);
            *value = self.loss()?;
        }
        self.probe.get_mut(id).copy_from(theta);
        Ok((values[0] - values[1]) / (2.0 * h))
    }
}

/// Draws a Gaussian direction with unit Frobenius norm.
fn unit_direction(rng: &mut rand_chacha::ChaCha8Rng, rows: usize, cols: usize) -> Mat<f64> {
    let mut d = rng::normal_mat(rng, rows, cols, 1.0);
    let norm = kernels::dot(&d, &d).sqrt();
    for j in 0..cols {
        d.col_as_slice_mut(j).iter_mut().for_each(|x| *x /= norm);
    }
    d
}
