//! Random-support instances: y = Xw* + σξ with a uniformly random k-subset
//! support, and their directory format (`.npy` arrays plus `instance.json`).
//!
//! With `normalize`, the columns of X are scaled to ‖X_j‖² = N and the test
//! design gets the same column scales. Noise is given as σ or as an SNR s,
//! σ² = ‖Xw*‖²/(N·s) (Hastie, Tibshirani and Tibshirani 2020).
//!
//! ```
//! use sparsereg::instance::{InstanceSpec, generate};
//! let spec = InstanceSpec { n: 30, d: 50, k: 3, n_test: 10, ..Default::default() };
//! let inst = generate(&spec).unwrap();
//! assert_eq!(inst.support.len(), 3);
//! assert_eq!(inst.x.nrows(), 30);
//! ```

use std::path::Path;

use faer::Mat;
use serde::{Deserialize, Serialize};

use crate::design::{
    self, Design, STREAM_COEF, STREAM_NOISE, STREAM_ROWS, STREAM_SUPPORT, STREAM_TEST,
};
use crate::error::{Error, Result};
use crate::io::{read_json, write_json_atomic};
use crate::linalg::{dot, x_w};
use crate::params::{Check, Checked};
use crate::validate::{check_dense_size, check_k};

/// Distribution of the nonzero coefficients of w*.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CoefDist {
    /// ±1 with equal probability.
    Sign,
    /// N(0, 1).
    Gauss,
    /// Magnitude uniform in [a, b], random sign.
    Uniform { a: f64, b: f64 },
}

/// Noise level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Noise {
    /// Standard deviation σ ≥ 0.
    Sigma(f64),
    /// Signal-to-noise ratio s > 0: σ² = ‖Xw*‖²/(N·s).
    Snr(f64),
}

/// Everything that defines an instance.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceSpec {
    /// Design family.
    pub design: Design,
    /// Training rows N.
    pub n: usize,
    /// Columns d (taken from the matrix for `FromMatrix`).
    pub d: usize,
    /// Support size k, 1 ≤ k ≤ d.
    pub k: usize,
    /// Coefficient distribution.
    pub coef: CoefDist,
    /// Noise level.
    pub noise: Noise,
    /// Scale columns to ‖X_j‖² = N (default true).
    pub normalize: bool,
    /// Rows of the test design (default 2000).
    pub n_test: usize,
    /// Run seed.
    pub seed: u64,
}

impl Default for InstanceSpec {
    fn default() -> Self {
        InstanceSpec {
            design: Design::Gauss,
            n: 100,
            d: 200,
            k: 5,
            coef: CoefDist::Sign,
            noise: Noise::Sigma(0.5),
            normalize: true,
            n_test: 2000,
            seed: 0,
        }
    }
}

impl Check for InstanceSpec {
    fn validate(&self) -> Result<()> {
        if self.n == 0 {
            return Err(Error::invalid("n", 0, "N must be ≥ 1"));
        }
        check_k(self.k, self.columns(), "d")?;
        let rows = self.n.saturating_add(self.n_test);
        check_dense_size("n", self.n, rows, self.columns())?;
        match self.noise {
            Noise::Sigma(s) if !(s >= 0.0 && s.is_finite()) => {
                Err(Error::invalid("sigma", s, "σ must be finite and ≥ 0"))
            }
            Noise::Snr(s) if !(s > 0.0 && s.is_finite()) => {
                Err(Error::invalid("snr", s, "SNR must be finite and > 0"))
            }
            _ => Ok(()),
        }?;
        if let CoefDist::Uniform { a, b } = self.coef {
            if !(0.0 <= a && a <= b) {
                return Err(Error::invalid(
                    "coef",
                    format!("unif:{a}:{b}"),
                    "needs 0 ≤ a ≤ b",
                ));
            }
        }
        if let Design::FromMatrix { x, .. } = &self.design {
            if self.n > x.nrows() {
                return Err(Error::invalid(
                    "n",
                    self.n,
                    format!(
                        "the file design has only {} rows; choose N ≤ {}",
                        x.nrows(),
                        x.nrows()
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl InstanceSpec {
    fn columns(&self) -> usize {
        match &self.design {
            Design::FromMatrix { x, .. } => x.ncols(),
            _ => self.d,
        }
    }
}

/// Metadata stored as `instance.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceMeta {
    /// Design string.
    pub design: String,
    /// Training rows.
    #[serde(rename = "N")]
    pub n: usize,
    /// Columns.
    pub d: usize,
    /// Support size.
    pub k: usize,
    /// Noise standard deviation actually used.
    pub sigma: f64,
    /// SNR when the noise was given as one.
    pub snr: Option<f64>,
    /// Run seed.
    pub seed: u64,
    /// Support of w*, sorted.
    pub support: Vec<usize>,
    /// Factors applied to the raw columns (all 1 without normalisation).
    pub column_scales: Vec<f64>,
    /// Version of this crate.
    pub version: String,
}

/// A generated (or loaded) instance.
#[derive(Debug, Clone)]
pub struct Instance {
    /// Training design, N × d.
    pub x: Mat<f64>,
    /// Responses Xw* + σξ.
    pub y: Vec<f64>,
    /// True coefficients (k nonzeros).
    pub w_star: Vec<f64>,
    /// Support of w*, sorted.
    pub support: Vec<usize>,
    /// Test design from the same generator and column scales.
    pub x_test: Mat<f64>,
    /// X_test w*.
    pub y_test_signal: Vec<f64>,
    /// Metadata.
    pub meta: InstanceMeta,
}

/// Generates an instance.
///
/// # Errors
/// [`Error::InvalidParameter`] from the spec check.
pub fn generate(spec: &InstanceSpec) -> Result<Instance> {
    let spec: Checked<InstanceSpec> = spec.clone().check()?;
    let d = spec.columns();
    let loadings = spec.design.loadings(spec.seed, d);
    let (mut x, mut x_test) = training_and_test_rows(&spec, d, loadings.as_ref());
    let scales = column_scales(&x, spec.normalize);
    scale_columns(&mut x, &scales);
    scale_columns(&mut x_test, &scales);

    let support = design::random_support(&mut design::rng(spec.seed, STREAM_SUPPORT), d, spec.k);
    let w_star = draw_coefficients(&spec, &support, d);
    let signal = x_w(&x, &w_star);
    let (sigma, snr) = match spec.noise {
        Noise::Sigma(s) => (s, None),
        Noise::Snr(s) => (
            (dot(&signal, &signal) / (spec.n as f64 * s)).sqrt(),
            Some(s),
        ),
    };
    let mut noise_rng = design::rng(spec.seed, STREAM_NOISE);
    let y = signal
        .iter()
        .map(|s| s + sigma * tape::rng::standard_normal(&mut noise_rng))
        .collect();
    let y_test_signal = x_w(&x_test, &w_star);
    let meta = InstanceMeta {
        design: spec.design.name(),
        n: spec.n,
        d,
        k: spec.k,
        sigma,
        snr,
        seed: spec.seed,
        support: support.clone(),
        column_scales: scales,
        version: env!("CARGO_PKG_VERSION").into(),
    };
    Ok(Instance {
        x,
        y,
        w_star,
        support,
        x_test,
        y_test_signal,
        meta,
    })
}

/// Training and test rows. A file design draws one partial Fisher–Yates
/// permutation of its rows: the first N rows train, the next (at most
/// `n_test`) rows test, so training rows stay nested in N.
fn training_and_test_rows(
    spec: &InstanceSpec,
    d: usize,
    loadings: Option<&Mat<f64>>,
) -> (Mat<f64>, Mat<f64>) {
    let mut rows_rng = design::rng(spec.seed, STREAM_ROWS);
    if let Design::FromMatrix { x: full, .. } = &spec.design {
        let count = (spec.n + spec.n_test).min(full.nrows());
        let picked = design::random_rows(&mut rows_rng, full.nrows(), count);
        let (train, test) = picked.split_at(spec.n);
        let take = |rows: &[usize]| Mat::from_fn(rows.len(), d, |i, j| full[(rows[i], j)]);
        return (take(train), take(test));
    }
    let x = spec.design.sample_rows(&mut rows_rng, spec.n, d, loadings);
    let x_test = spec.design.sample_rows(
        &mut design::rng(spec.seed, STREAM_TEST),
        spec.n_test,
        d,
        loadings,
    );
    (x, x_test)
}

fn column_scales(x: &Mat<f64>, normalize: bool) -> Vec<f64> {
    let n = x.nrows() as f64;
    (0..x.ncols())
        .map(|j| {
            let norm = dot(x.col_as_slice(j), x.col_as_slice(j)).sqrt();
            if normalize && norm > 0.0 {
                n.sqrt() / norm
            } else {
                1.0
            }
        })
        .collect()
}

fn scale_columns(x: &mut Mat<f64>, scales: &[f64]) {
    for (j, &s) in scales.iter().enumerate() {
        x.col_as_slice_mut(j).iter_mut().for_each(|v| *v *= s);
    }
}

fn draw_coefficients(spec: &InstanceSpec, support: &[usize], d: usize) -> Vec<f64> {
    let mut rng = design::rng(spec.seed, STREAM_COEF);
    let mut w = vec![0.0; d];
    for &j in support {
        w[j] = match spec.coef {
            CoefDist::Sign => sign(&mut rng),
            CoefDist::Gauss => tape::rng::standard_normal(&mut rng),
            CoefDist::Uniform { a, b } => tape::rng::uniform(&mut rng, a, b) * sign(&mut rng),
        };
    }
    w
}

fn sign(rng: &mut tape::rng::ChaCha8Rng) -> f64 {
    if tape::rng::below(rng, 2) == 0 {
        1.0
    } else {
        -1.0
    }
}

const FILES: [&str; 5] = [
    "X.npy",
    "y.npy",
    "w_star.npy",
    "X_test.npy",
    "y_test_signal.npy",
];

/// Writes `X.npy`, `y.npy`, `w_star.npy`, `X_test.npy`, `y_test_signal.npy`
/// and `instance.json` into `dir` (created if missing). Each file is written
/// to a temporary file and renamed.
///
/// # Errors
/// [`Error::Io`] or [`Error::Data`] when a file cannot be written.
pub fn write_instance(dir: &Path, inst: &Instance) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let column = |v: &[f64]| Mat::from_fn(v.len(), 1, |i, _| v[i]);
    let arrays = [
        inst.x.clone(),
        column(&inst.y),
        column(&inst.w_star),
        inst.x_test.clone(),
        column(&inst.y_test_signal),
    ];
    for (name, a) in FILES.iter().zip(&arrays) {
        datasets::npy::write_matrix(&dir.join(name), a)?;
    }
    write_json_atomic(&dir.join("instance.json"), &inst.meta)
}

/// Reads an instance directory written by [`write_instance`].
///
/// # Errors
/// [`Error::Data`] or [`Error::Json`] when a file is missing or malformed,
/// [`Error::ShapeMismatch`] when the arrays disagree.
pub fn read_instance(dir: &Path) -> Result<Instance> {
    let read = |name: &str| datasets::npy::read_matrix(&dir.join(name));
    let flat = |m: Mat<f64>| -> Vec<f64> { (0..m.nrows()).map(|i| m[(i, 0)]).collect() };
    let meta: InstanceMeta = read_json(&dir.join("instance.json"))?;
    let x = read("X.npy")?;
    let inst = Instance {
        y: flat(read("y.npy")?),
        w_star: flat(read("w_star.npy")?),
        x_test: read("X_test.npy")?,
        y_test_signal: flat(read("y_test_signal.npy")?),
        support: meta.support.clone(),
        x,
        meta,
    };
    if inst.y.len() != inst.x.nrows() || inst.w_star.len() != inst.x.ncols() {
        return Err(Error::ShapeMismatch(format!(
            "{}: X.npy is {} × {} but y.npy has {} entries and w_star.npy {}",
            dir.display(),
            inst.x.nrows(),
            inst.x.ncols(),
            inst.y.len(),
            inst.w_star.len()
        )));
    }
    Ok(inst)
}
