//! The multivariate normal family on selected columns, t = (x, vech xxᵀ).
//!
//! The data are whitened, z = L⁻¹(x − x̄) with LLᵀ the divisor-n covariance
//! (computed as D·R·D with R the correlation matrix, so the Cholesky factor
//! works on a well-conditioned matrix). The fitted model is then N(0, I_d) and
//! the Gaussian route applies. Because the expansion is invariant under affine
//! maps of t, the result equals the one in x coordinates.

use faer::{Mat, MatRef};

use super::{ExpFamily, Fit};
use crate::error::{Error, Result};
use crate::expansion::ModelCumulants;
use crate::gaussian;
use crate::linalg;

/// Relative pivot bound of the correlation Cholesky: a column whose squared
/// multiple correlation with earlier columns exceeds 1 − 1e-10 is collinear.
const COLLINEAR_TOL: f64 = 1e-10;

/// The multivariate normal family. `columns` lists the 1-based file column of
/// each data column, for error messages.
#[derive(Clone, Debug, Default)]
pub struct Mvn {
    /// 1-based file columns of the data (empty: 1..d).
    pub columns: Vec<usize>,
}

/// Standardised data with its Cholesky factor.
struct Whitening {
    sd: Vec<f64>,
    l: Mat<f64>,
    z: Mat<f64>,
}

impl Mvn {
    fn column_label(&self, j: usize) -> usize {
        self.columns.get(j).copied().unwrap_or(j + 1)
    }

    fn whiten(&self, x: MatRef<'_, f64>) -> Result<Whitening> {
        let (n, d) = (x.nrows(), x.ncols());
        if n <= d {
            return Err(Error::TooFewRows {
                n,
                dim: d,
                what: "d",
            });
        }
        let labels: Vec<usize> = (0..d).map(|j| self.column_label(j)).collect();
        crate::io::check_not_constant(x, &labels)?;

        let mean: Vec<f64> = (0..d)
            .map(|j| (0..n).map(|i| x[(i, j)]).sum::<f64>() / n as f64)
            .collect();
        let centred = Mat::from_fn(n, d, |i, j| x[(i, j)] - mean[j]);
        let sd: Vec<f64> = (0..d)
            .map(|j| scaled_sd((0..n).map(|i| centred[(i, j)])))
            .collect();
        let u = Mat::from_fn(n, d, |i, j| centred[(i, j)] / sd[j]);
        let corr = linalg::weighted_gram(u.as_ref(), &vec![1.0 / n as f64; n]);
        let l = linalg::cholesky(corr.as_ref(), COLLINEAR_TOL)
            .map_err(|k| self.collinear(corr.as_ref(), k))?;
        let z = linalg::whiten_rows(u.as_ref(), l.as_ref());
        Ok(Whitening { sd, l, z })
    }

    fn collinear(&self, corr: MatRef<'_, f64>, k: usize) -> Error {
        let partner = (0..k).max_by(|&a, &b| corr[(k, a)].abs().total_cmp(&corr[(k, b)].abs()));
        let detail = match partner {
            Some(j) if corr[(k, j)].abs() > 1.0 - 1e-8 => {
                format!(
                    "columns {} and {} are collinear",
                    self.column_label(j),
                    self.column_label(k)
                )
            }
            _ if k == 0 => format!(
                "column {} has no finite spread (its squared values overflow); rescale it",
                self.column_label(0)
            ),
            _ => {
                let earlier: Vec<String> =
                    (0..k).map(|j| self.column_label(j).to_string()).collect();
                format!(
                    "column {} is a linear combination of columns {}",
                    self.column_label(k),
                    earlier.join(",")
                )
            }
        };
        Error::Singular { detail }
    }
}

/// Divisor-n standard deviation of centred values, computed on values divided
/// by their largest magnitude so that squares of values up to `f64::MAX` do
/// not overflow.
fn scaled_sd(centred: impl Iterator<Item = f64> + Clone) -> f64 {
    let scale = centred.clone().fold(0.0_f64, |m, v| m.max(v.abs()));
    if scale == 0.0 || !scale.is_finite() {
        return scale;
    }
    let (sum, n) = centred.fold((0.0, 0_usize), |(s, n), v| (s + (v / scale).powi(2), n + 1));
    scale * (sum / n as f64).sqrt()
}

impl ExpFamily for Mvn {
    fn name(&self) -> &'static str {
        "mvn"
    }

    fn stats(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        let w = self.whiten(x)?;
        let (n, d) = (x.nrows(), x.ncols());
        let p = gaussian::stat_dim(d);
        let mut t = Mat::<f64>::zeros(n, p);
        let mut row = vec![0.0; p];
        for i in 0..n {
            let z: Vec<f64> = (0..d).map(|j| w.z[(i, j)]).collect();
            gaussian::stats(&z, &mut row);
            for (a, v) in row.iter().enumerate() {
                t[(i, a)] = *v;
            }
        }
        Ok(t)
    }

    /// Closed-form fit (x̄, divisor-n Σ̂); θ is not reported for this family.
    fn fit(&self, x: MatRef<'_, f64>, _t: MatRef<'_, f64>) -> Result<Fit> {
        let w = self.whiten(x)?;
        let d = x.ncols();
        let log_det: f64 = (0..d)
            .map(|j| 2.0 * w.sd[j].ln() + 2.0 * w.l[(j, j)].ln())
            .sum();
        let loglik =
            -0.5 * d as f64 * (2.0 * std::f64::consts::PI).ln() - 0.5 * log_det - 0.5 * d as f64;
        Ok(Fit {
            theta: Vec::new(),
            loglik,
            model: ModelCumulants::Gaussian { d },
            iterations: 0,
            sampling: None,
            off_mle: None,
        })
    }
}
