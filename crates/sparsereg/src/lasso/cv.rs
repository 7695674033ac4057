//! K-fold cross-validation of the Lasso (scikit-learn `LassoCV` semantics).
//!
//! The α grid comes from the full centred data. Folds are contiguous in row
//! order (the first N mod K folds have one extra row) unless `shuffle` is set.
//! Each fold centres by its training means, fits the path with warm starts and
//! scores the held-out rows by mean squared error with intercept
//! ȳ_train − x̄_trainᵀw. The α of minimal mean MSE is chosen (first index on
//! ties, i.e. the larger α), or with `one_se` the largest α whose mean MSE is
//! within one standard error of that minimum; then the Lasso is refitted on
//! all rows, warm-started along the grid down to the chosen α.
//!
//! With [`CvScore::Refit`] the held-out rows score the OLS refit of each
//! fold's Lasso support in place of the Lasso itself (the relaxed Lasso with
//! full relaxation), so the chosen α is the one whose support predicts best
//! without shrinkage; see [`CvScore`].
//!
//! ```
//! let sizes = sparsereg::lasso::cv::fold_sizes(442, 5);
//! assert_eq!(sizes, vec![89, 89, 88, 88, 88]);
//! ```

use faer::{Mat, MatRef};
use serde::Serialize;

use super::path::{AlphaGrid, path_centered};
use super::relaxed::RelaxedPath;
use super::{LassoOptions, alpha_max_centered};
use crate::error::{Error, Result};
use crate::linalg::center;
use crate::params::{Check, Checked};
use crate::solver::{Fit, SparseSolver};
use crate::validate::check_shapes;

/// Cross-validation settings.
#[derive(Debug, Clone, PartialEq)]
pub struct CvOptions {
    /// Number of folds K, 2 ≤ K ≤ N (default 5).
    pub folds: usize,
    /// The α grid (default 100 values down to 1e-3·α_max).
    pub grid: AlphaGrid,
    /// Shuffle rows before splitting (default false: contiguous folds).
    pub shuffle: bool,
    /// Seed of the shuffle.
    pub seed: u64,
    /// Pick the largest α within one standard error of the best mean MSE.
    pub one_se: bool,
    /// Estimator whose held-out error is scored (default: the Lasso itself).
    pub score: CvScore,
}

/// The estimator that cross-validation scores at each α.
///
/// `Lasso` is scikit-learn's `LassoCV`: it minimises the prediction error of
/// the shrunken Lasso, which at low noise favours a small α and keeps many
/// small false-positive coefficients (on a 200 × 500 Gaussian design with a
/// 5-sparse signal and σ = 0.1 it kept 44 columns). `Refit` scores the OLS
/// refit on each fold's support instead, as glmnet's `relax = TRUE` with
/// γ = 0 and the relaxed Lasso of Hastie, Tibshirani and Tibshirani (2020)
/// do. Its error is smallest where the support stops missing signal columns
/// and before noise columns enter. Together with `one_se` (glmnet's
/// `lambda.1se`) it is the rule we chose for support recovery
/// (`lasso-cv+relaxed`): it recovers that support exactly in the CLI
/// acceptance test, while the one-standard-error rule on the Lasso score
/// still kept false positives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CvScore {
    /// Held-out error of the Lasso coefficients.
    #[default]
    Lasso,
    /// Held-out error of the OLS refit on the Lasso support.
    Refit,
}

impl Default for CvOptions {
    fn default() -> Self {
        CvOptions {
            folds: 5,
            grid: AlphaGrid::default(),
            shuffle: false,
            seed: 0,
            one_se: false,
            score: CvScore::Lasso,
        }
    }
}

impl Check for CvOptions {
    fn validate(&self) -> Result<()> {
        if self.folds < 2 {
            return Err(Error::invalid("folds", self.folds, "folds must be ≥ 2"));
        }
        self.grid.validate()
    }
}

/// Result of [`lasso_cv`].
#[derive(Debug, Clone, Serialize)]
pub struct CvFit {
    /// The α grid, descending.
    pub alphas: Vec<f64>,
    /// Held-out MSE, n_alphas × folds (row-major: `mse_path[a][f]`).
    pub mse_path: Vec<Vec<f64>>,
    /// Mean held-out MSE per α.
    pub mean_mse: Vec<f64>,
    /// Index of the chosen α.
    pub best_index: usize,
    /// Rows per fold.
    pub fold_sizes: Vec<usize>,
    /// The Lasso refitted on all rows at the chosen α.
    pub fit: Fit,
}

/// Sizes of K contiguous folds of N rows: the first N mod K folds get one extra row.
pub fn fold_sizes(n: usize, folds: usize) -> Vec<usize> {
    (0..folds)
        .map(|f| n / folds + usize::from(f < n % folds))
        .collect()
}

/// Cross-validates the Lasso over the α grid and refits at the chosen α.
/// `o.alpha` is ignored.
///
/// # Errors
/// [`Error::InvalidParameter`] when folds > N, else as [`super::lasso`].
pub fn lasso_cv(
    x: MatRef<'_, f64>,
    y: &[f64],
    cv: &Checked<CvOptions>,
    o: &Checked<LassoOptions>,
) -> Result<CvFit> {
    check_shapes(x, y)?;
    let n = x.nrows();
    if cv.folds > n {
        return Err(Error::invalid(
            "folds",
            cv.folds,
            format!("folds must be ≤ N = {n}; use fewer folds"),
        ));
    }
    let full = center(x, y, o.fit_intercept);
    let alphas = cv.grid.alphas(alpha_max_centered(&full.x, &full.y));
    let order = row_order(n, cv);
    let sizes = fold_sizes(n, cv.folds);

    let mut mse_path = vec![vec![0.0; cv.folds]; alphas.len()];
    let mut start = 0;
    for (f, &size) in sizes.iter().enumerate() {
        let test: Vec<usize> = order[start..start + size].to_vec();
        let train: Vec<usize> = order[..start]
            .iter()
            .chain(&order[start + size..])
            .copied()
            .collect();
        start += size;
        let mses = fold_mse(x, y, &train, &test, &alphas, o, cv.score)?;
        for (a, mse) in mses.into_iter().enumerate() {
            mse_path[a][f] = mse;
        }
    }

    let mean_mse: Vec<f64> = mse_path
        .iter()
        .map(|m| m.iter().sum::<f64>() / m.len() as f64)
        .collect();
    let best_index = choose_alpha(&mse_path, &mean_mse, cv.one_se);
    // Warm starts down the grid to the chosen α: a cold start there can take
    // far more epochs on correlated columns.
    let path = path_centered(&full, &alphas[..=best_index], o)?;
    let fit = Fit {
        method: "lasso-cv".into(),
        ..path
            .into_iter()
            .next_back()
            .expect("the grid has ≥ 1 value")
    };
    Ok(CvFit {
        alphas,
        mse_path,
        mean_mse,
        best_index,
        fold_sizes: sizes,
        fit,
    })
}

fn row_order(n: usize, cv: &CvOptions) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    if cv.shuffle {
        let mut rng = tape::rng::stream(cv.seed, "sparsereg/cv-shuffle");
        tape::rng::shuffle(&mut rng, &mut order);
    }
    order
}

fn fold_mse(
    x: MatRef<'_, f64>,
    y: &[f64],
    train: &[usize],
    test: &[usize],
    alphas: &[f64],
    o: &LassoOptions,
    score: CvScore,
) -> Result<Vec<f64>> {
    let x_train = Mat::from_fn(train.len(), x.ncols(), |i, j| x[(train[i], j)]);
    let y_train: Vec<f64> = train.iter().map(|&i| y[i]).collect();
    let c = center(x_train.as_ref(), &y_train, o.fit_intercept);
    let fits = path_centered(&c, alphas, o)?;
    let x_test = Mat::from_fn(test.len(), x.ncols(), |i, j| x[(test[i], j)]);
    let y_test: Vec<f64> = test.iter().map(|&i| y[i]).collect();
    let mut relaxed = RelaxedPath::new(&c.x, &c.y);
    let mses = fits
        .iter()
        .map(|fit| {
            let coef = match score {
                CvScore::Lasso => fit.coef.clone(),
                CvScore::Refit => relaxed.refit(&fit.coef),
            };
            held_out_mse(&x_test, &y_test, &coef, c.intercept(&coef))
        })
        .collect();
    Ok(mses)
}

/// Mean of (x_iᵀw + b − y_i)² over the rows of `x_test`.
fn held_out_mse(x_test: &Mat<f64>, y_test: &[f64], coef: &[f64], intercept: f64) -> f64 {
    let mut prediction = vec![intercept; y_test.len()];
    for (j, &wj) in coef.iter().enumerate() {
        if wj != 0.0 {
            crate::linalg::axpy(wj, x_test.col_as_slice(j), &mut prediction);
        }
    }
    let sse: f64 = prediction
        .iter()
        .zip(y_test)
        .map(|(p, t)| (p - t) * (p - t))
        .sum();
    sse / y_test.len() as f64
}

fn choose_alpha(mse_path: &[Vec<f64>], mean_mse: &[f64], one_se: bool) -> usize {
    let mut best = 0;
    for (a, &m) in mean_mse.iter().enumerate() {
        if m < mean_mse[best] {
            best = a;
        }
    }
    if !one_se {
        return best;
    }
    let folds = mse_path[best].len() as f64;
    let var = mse_path[best]
        .iter()
        .map(|v| (v - mean_mse[best]).powi(2))
        .sum::<f64>()
        / (folds - 1.0);
    let limit = mean_mse[best] + (var / folds).sqrt();
    mean_mse.iter().position(|&m| m <= limit).unwrap_or(best)
}

/// Lasso cross-validation as a [`SparseSolver`].
#[derive(Debug, Clone)]
pub struct LassoCv {
    /// Fold settings.
    pub cv: Checked<CvOptions>,
    /// Solver settings (`alpha` ignored).
    pub lasso: Checked<LassoOptions>,
}

impl SparseSolver for LassoCv {
    fn name(&self) -> String {
        "lasso-cv".into()
    }

    fn fit(&self, x: MatRef<'_, f64>, y: &[f64]) -> Result<Fit> {
        Ok(lasso_cv(x, y, &self.cv, &self.lasso)?.fit)
    }
}
