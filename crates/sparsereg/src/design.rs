//! Seeded design generators and random supports (normlab sparsereg
//! specification, §2.8).
//!
//! Rows are drawn one at a time with z ~ N(0, I_d) per row:
//!
//! | design | string | row |
//! |---|---|---|
//! | Gaussian | `gauss` | x = z |
//! | AR(1) | `ar1:ρ` | x_0 = z_0, x_j = ρx_{j−1} + √(1−ρ²)z_j, so Cov_ij = ρ^{abs(i−j)} |
//! | equicorrelated | `equi:ρ` | x_j = √ρ g + √(1−ρ) z_j with one g ~ N(0, 1) per row |
//! | near-duplicates | `dup:δ:frac` | Gaussian, then x_{2t+1} = x_{2t} + δz'_t for t < ⌊frac·d/2⌋ |
//! | factor | `factor:r:s` | x = Bf + z, B ∈ ℝ^{d×r} with N(0, s²) entries drawn once, f ~ N(0, I_r) |
//! | random walk | `walk` | x_j = Σ_{l≤j} z_l |
//! | from file | `file:PATH` | rows of a real matrix sampled without replacement |
//!
//! Because each row consumes a fixed number of draws from its own stream,
//! instances with the same seed and different N share their first rows.
//!
//! ```
//! use sparsereg::design::Design;
//! let design = Design::parse("ar1:0.5").unwrap();
//! let x = design.sample_rows(&mut sparsereg::design::rng(7, sparsereg::design::STREAM_ROWS), 4, 3, None);
//! assert_eq!((x.nrows(), x.ncols()), (4, 3));
//! assert!(Design::parse("ar1:1.0").is_err());
//! ```

use std::path::Path;

use faer::Mat;
use rand::SeedableRng;
use tape::rng::{ChaCha8Rng, below, standard_normal};

use crate::error::{Error, Result};

/// Stream of the design rows.
pub const STREAM_ROWS: u64 = 1;
/// Stream of the support.
pub const STREAM_SUPPORT: u64 = 2;
/// Stream of the coefficients.
pub const STREAM_COEF: u64 = 3;
/// Stream of the noise.
pub const STREAM_NOISE: u64 = 4;
/// Stream of the test design rows.
pub const STREAM_TEST: u64 = 5;
/// Stream of the loading matrix B of the factor design.
pub const STREAM_FACTOR: u64 = 6;

/// `ChaCha8Rng::seed_from_u64(seed)` switched to `stream`.
pub fn rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(stream);
    r
}

/// A design family; see the module table.
#[derive(Debug, Clone, PartialEq)]
pub enum Design {
    /// Isotropic Gaussian rows.
    Gauss,
    /// AR(1) correlation ρ^{abs(i−j)}, abs(ρ) < 1.
    Ar1 { rho: f64 },
    /// Equicorrelation ρ ∈ [0, 1).
    EquiCorr { rho: f64 },
    /// Pairs of near-duplicate columns at distance δ, for a fraction `frac` of the pairs.
    NearDuplicate { delta: f64, frac: f64 },
    /// r latent factors with loadings of standard deviation `strength`.
    Factor { r: usize, strength: f64 },
    /// Cumulative sums of Gaussian columns.
    RandomWalk,
    /// Rows sampled without replacement from a fixed matrix (constant columns dropped).
    FromMatrix { name: String, x: Mat<f64> },
}

impl Design {
    /// Parses a design string (`gauss`, `ar1:0.9`, `equi:0.9`, `dup:1e-4:1`,
    /// `factor:3:3`, `walk`, `file:PATH`) and validates its parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an unknown name or an out-of-range
    /// parameter; errors of [`load_matrix`] for `file:`.
    pub fn parse(s: &str) -> Result<Design> {
        if let Some(path) = s.strip_prefix("file:") {
            let x = load_matrix(Path::new(path))?;
            return Ok(Design::FromMatrix {
                name: s.to_string(),
                x,
            });
        }
        let parts: Vec<&str> = s.split(':').collect();
        let num = |i: usize, default: Option<f64>| -> Result<f64> {
            match parts.get(i) {
                Some(v) => v.parse().map_err(|_| {
                    Error::invalid("design", s, format!("parameter {v:?} is not a number"))
                }),
                None => {
                    default.ok_or_else(|| Error::invalid("design", s, "a parameter is missing"))
                }
            }
        };
        let design = match parts[0] {
            "gauss" => Design::Gauss,
            "ar1" => Design::Ar1 { rho: num(1, None)? },
            "equi" => Design::EquiCorr { rho: num(1, None)? },
            "dup" => Design::NearDuplicate {
                delta: num(1, None)?,
                frac: num(2, Some(1.0))?,
            },
            "factor" => Design::Factor {
                r: num(1, None)? as usize,
                strength: num(2, Some(3.0))?,
            },
            "walk" => Design::RandomWalk,
            other => {
                return Err(Error::invalid(
                    "design",
                    other,
                    "use gauss, ar1:ρ, equi:ρ, dup:δ:frac, factor:r:s, walk or file:PATH",
                ));
            }
        };
        design.validate()?;
        Ok(design)
    }

    fn validate(&self) -> Result<()> {
        match *self {
            Design::Ar1 { rho } if rho.is_nan() || rho.abs() >= 1.0 => {
                Err(Error::invalid("rho", rho, "AR(1) needs abs(ρ) < 1"))
            }
            Design::EquiCorr { rho } if !(0.0..1.0).contains(&rho) => Err(Error::invalid(
                "rho",
                rho,
                "the equicorrelated design needs 0 ≤ ρ < 1",
            )),
            Design::NearDuplicate { delta, frac }
                if !(delta >= 0.0 && (0.0..=1.0).contains(&frac)) =>
            {
                Err(Error::invalid(
                    "dup",
                    format!("{delta}:{frac}"),
                    "needs δ ≥ 0 and 0 ≤ frac ≤ 1",
                ))
            }
            Design::Factor { r, strength } if r == 0 || strength.is_nan() || strength < 0.0 => Err(
                Error::invalid("factor", format!("{r}:{strength}"), "needs r ≥ 1 and s ≥ 0"),
            ),
            _ => Ok(()),
        }
    }

    /// Canonical string of the design.
    pub fn name(&self) -> String {
        match self {
            Design::Gauss => "gauss".into(),
            Design::Ar1 { rho } => format!("ar1:{rho}"),
            Design::EquiCorr { rho } => format!("equi:{rho}"),
            Design::NearDuplicate { delta, frac } => format!("dup:{delta}:{frac}"),
            Design::Factor { r, strength } => format!("factor:{r}:{strength}"),
            Design::RandomWalk => "walk".into(),
            Design::FromMatrix { name, .. } => name.clone(),
        }
    }

    /// Draws the loading matrix B (d × r) of a factor design from its own stream (`None` for other designs).
    pub fn loadings(&self, seed: u64, d: usize) -> Option<Mat<f64>> {
        let Design::Factor { r, strength } = *self else {
            return None;
        };
        let mut rng = rng(seed, STREAM_FACTOR);
        Some(tape::rng::normal_mat(&mut rng, d, r, strength))
    }

    /// Draws `n` rows of dimension `d` (ignored for `FromMatrix`, whose rows
    /// are sampled without replacement, at most all of them).
    pub fn sample_rows(
        &self,
        rng: &mut ChaCha8Rng,
        n: usize,
        d: usize,
        loadings: Option<&Mat<f64>>,
    ) -> Mat<f64> {
        if let Design::FromMatrix { x, .. } = self {
            let picked = random_rows(rng, x.nrows(), n.min(x.nrows()));
            return Mat::from_fn(picked.len(), x.ncols(), |i, j| x[(picked[i], j)]);
        }
        let mut out = Mat::zeros(n, d);
        for i in 0..n {
            let row = self.row(rng, d, loadings);
            for (j, v) in row.into_iter().enumerate() {
                out[(i, j)] = v;
            }
        }
        out
    }

    fn row(&self, rng: &mut ChaCha8Rng, d: usize, loadings: Option<&Mat<f64>>) -> Vec<f64> {
        let mut z: Vec<f64> = (0..d).map(|_| standard_normal(rng)).collect();
        match *self {
            Design::Gauss | Design::FromMatrix { .. } => z,
            Design::Ar1 { rho } => {
                let c = (1.0 - rho * rho).sqrt();
                for j in 1..d {
                    z[j] = rho * z[j - 1] + c * z[j];
                }
                z
            }
            Design::EquiCorr { rho } => {
                let g = standard_normal(rng);
                let (a, b) = (rho.sqrt(), (1.0 - rho).sqrt());
                z.iter().map(|v| a * g + b * v).collect()
            }
            Design::NearDuplicate { delta, frac } => {
                let pairs = ((frac * d as f64 / 2.0).floor() as usize).min(d / 2);
                for t in 0..pairs {
                    z[2 * t + 1] = z[2 * t] + delta * standard_normal(rng);
                }
                z
            }
            Design::Factor { r, .. } => {
                let f: Vec<f64> = (0..r).map(|_| standard_normal(rng)).collect();
                if let Some(b) = loadings {
                    for (j, v) in z.iter_mut().enumerate() {
                        *v += (0..r).map(|l| b[(j, l)] * f[l]).sum::<f64>();
                    }
                }
                z
            }
            Design::RandomWalk => {
                for j in 1..d {
                    z[j] += z[j - 1];
                }
                z
            }
        }
    }
}

/// Draws a uniform k-subset of 0..d by partial Fisher–Yates and sorts it.
pub fn random_support(rng: &mut ChaCha8Rng, d: usize, k: usize) -> Vec<usize> {
    let mut s = random_rows(rng, d, k);
    s.sort_unstable();
    s
}

/// Draws the first `k` entries of a partial Fisher–Yates shuffle of 0..n, in draw order.
pub fn random_rows(rng: &mut ChaCha8Rng, n: usize, k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    for i in 0..k.min(n) {
        let j = i + below(rng, n - i);
        idx.swap(i, j);
    }
    idx.truncate(k.min(n));
    idx
}

/// Reads a real feature matrix: a UCI-121 `NAME/NAME_R.dat` file (through the
/// collection loader, which checks it against its metadata, keeping the
/// features only), a `.npy` matrix, or a CSV/TSV table whose last column is a
/// label. Constant columns are dropped with a logged notice.
///
/// # Errors
/// [`Error::Data`] when the file cannot be read.
pub fn load_matrix(path: &Path) -> Result<Mat<f64>> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let raw = if path.extension().is_some_and(|e| e == "npy") {
        datasets::npy::read_matrix(path)?
    } else if let (Some(name), Some(dir)) = (file_name.strip_suffix("_R.dat"), path.parent()) {
        let root = dir.parent().unwrap_or(Path::new("."));
        datasets::uci121::load_raw(root, name)?.file1.x
    } else {
        datasets::csv::read_table(path, None)?.x
    };
    let keep: Vec<usize> = (0..raw.ncols())
        .filter(|&j| (1..raw.nrows()).any(|i| raw[(i, j)] != raw[(0, j)]))
        .collect();
    if keep.len() < raw.ncols() {
        tracing::info!(
            "{}: dropped {} constant columns",
            path.display(),
            raw.ncols() - keep.len()
        );
    }
    Ok(Mat::from_fn(raw.nrows(), keep.len(), |i, j| {
        raw[(i, keep[j])]
    }))
}
