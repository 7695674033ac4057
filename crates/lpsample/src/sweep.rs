//! Resumable sweeps over schemes, sample sizes and repetitions.
//!
//! Regression sweep ([`regression_sweep`]): for each (scheme, m, repetition) draw a
//! Bernoulli sample from the scores of Ā = [A b], solve the weighted ℓp regression
//! on it and record the cost ratio ‖Ax̃ − b‖_p / min_x ‖Ax − b‖_p (norms, not p-th
//! powers). If the sample is an ε-subspace embedding of col(Ā), the ratio is at
//! most (1+ε)/(1−ε).
//!
//! Distortion sweep ([`distortion_sweep`]): for each (scheme, m, repetition) draw a
//! Bernoulli sample from the scores of A and record its probe distortion (see
//! [`crate::distortion`]).
//!
//! Each finished unit is appended to a JSON-lines file and flushed. A rerun reads
//! the file and skips keys already present, so an interrupted sweep loses nothing.
//! The key is (fingerprint, scheme, m, repetition). The fingerprint hashes the
//! matrix, the target and every other parameter that changes a result (p, base
//! seed, solver, probes), so a changed input or setting never reuses old lines.
//!
//! ```
//! use lpsample::regression::LpSolver;
//! use lpsample::sweep::{regression_sweep, SweepConfig};
//! use lpsample::scheme::Scheme;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let a = faer::Mat::from_fn(60, 2, |i, j| ((i + 3 * j) as f64).cos());
//! let b: Vec<f64> = (0..60).map(|i| (i % 7) as f64 - 0.5 * (i as f64).sqrt()).collect();
//! let config = SweepConfig { p: 1.0, schemes: vec![("lewis".into(), Scheme::Lewis)],
//!     sizes: vec![20.0], reps: 2, seed: 0 };
//! let solver = LpSolver::irls();
//! let out = dir.path().join("r.jsonl");
//! let records = regression_sweep(a.as_ref(), &b, &config, &solver, &out, &mut |_, _| {}).unwrap();
//! assert_eq!(records.len(), 2);
//! assert!(records.iter().all(|r| r.cost_ratio >= 1.0 - 1e-6));
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use faer::{Mat, MatRef};
use serde::{Deserialize, Serialize};

use crate::conic::ConicSettings;
use crate::distortion::{ProbeSpec, distortion};
use crate::error::{Error, Result};
use crate::regression::{LpSolver, lp_objective, lp_regression};
use crate::sampling::{SampleMode, sample_rows};
use crate::scheme::{Scheme, scheme_scores};

/// Sweep parameters.
#[derive(Debug, Clone)]
pub struct SweepConfig {
    /// Exponent p ≥ 1.
    pub p: f64,
    /// Schemes with the names used as keys in the output.
    pub schemes: Vec<(String, Scheme)>,
    /// Expected sample sizes m.
    pub sizes: Vec<f64>,
    /// Repetitions per (scheme, m).
    pub reps: usize,
    /// Base seed; repetition k of every (scheme, m) uses seed + k.
    pub seed: u64,
}

/// Key of a finished unit: (fingerprint, scheme, m bits, repetition).
type UnitKey = (String, String, u64, usize);

/// Progress callback: (finished units, total units), old units included.
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize);

/// One finished unit of the sweep (one JSON line).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SweepRecord {
    /// Hex hash of A, b, p, the base seed and the solver; lines written before
    /// fingerprints existed read as "" and never match.
    #[serde(default)]
    pub fingerprint: String,
    /// Scheme name.
    pub scheme: String,
    /// Exponent p.
    pub p: f64,
    /// Expected sample size.
    pub m: f64,
    /// Repetition index.
    pub rep: usize,
    /// Seed of the sample.
    pub seed: u64,
    /// Number of rows kept.
    pub sample_size: usize,
    /// ‖Ax̃ − b‖_p / OPT, ≥ 1 up to the solver tolerance.
    pub cost_ratio: f64,
}

impl SweepRecord {
    fn key(&self) -> UnitKey {
        unit_key(&self.fingerprint, &self.scheme, self.m, self.rep)
    }
}

fn unit_key(fingerprint: &str, scheme: &str, m: f64, rep: usize) -> UnitKey {
    (
        fingerprint.to_string(),
        scheme.to_string(),
        m.to_bits(),
        rep,
    )
}

/// Returns a hex FNV-1a hash of the matrix entries, the extra vector and the
/// parameter text (FNV-1a detects changes; it is not a cryptographic hash).
pub fn fingerprint(a: MatRef<'_, f64>, extra: &[f64], parameters: &str) -> String {
    let mut bytes = Vec::with_capacity(8 * (a.nrows() * a.ncols() + extra.len() + 2));
    bytes.extend_from_slice(&(a.nrows() as u64).to_le_bytes());
    bytes.extend_from_slice(&(a.ncols() as u64).to_le_bytes());
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            bytes.extend_from_slice(&a[(i, j)].to_bits().to_le_bytes());
        }
    }
    for value in extra {
        bytes.extend_from_slice(&value.to_bits().to_le_bytes());
    }
    bytes.extend_from_slice(parameters.as_bytes());
    format!("{:016x}", tape::rng::fnv1a64(&bytes))
}

fn total_units(config: &SweepConfig) -> usize {
    config.schemes.len() * config.sizes.len() * config.reps
}

/// Runs the sweep with `solver` on every sample (and on the full data for the
/// optimum), appending new records to `out` and returning all records (old and
/// new) of this configuration. `progress` is called after every unit.
///
/// # Errors
/// The errors of [`check_config`], [`lp_regression`], [`scheme_scores`] and
/// [`sample_rows`], [`Error::InvalidArgument`] when the full-data optimum is 0,
/// and [`Error::Data`] when `out` cannot be read or appended.
pub fn regression_sweep(
    a: MatRef<'_, f64>,
    b: &[f64],
    config: &SweepConfig,
    solver: &LpSolver,
    out: &Path,
    progress: Progress<'_>,
) -> Result<Vec<SweepRecord>> {
    check_config(config)?;
    let p = config.p;
    let ones = vec![1.0; a.nrows()];
    let settings = ConicSettings::default();
    let parameters = format!("regress p={p:?} seed={} solver={solver:?}", config.seed);
    let fingerprint = fingerprint(a, b, &parameters);
    tracing::info!(%fingerprint, n = a.nrows(), d = a.ncols(), "regression sweep: full-data optimum");
    let optimum = lp_regression(a, b, p, None, solver)?.objective;
    if optimum.is_nan() || optimum <= 0.0 {
        return Err(Error::InvalidArgument {
            name: "full-data optimum",
            value: optimum.to_string(),
            rule: "b lies in the column space of A, so cost ratios to the optimum are undefined",
        });
    }
    let augmented = Mat::from_fn(a.nrows(), a.ncols() + 1, |i, j| {
        if j < a.ncols() { a[(i, j)] } else { b[i] }
    });

    let mut done = read_existing(out)?;
    let (total, mut finished) = (total_units(config), 0);
    for (name, scheme) in &config.schemes {
        let scores = scheme_scores(augmented.as_ref(), p, *scheme, &settings)?;
        for &m in &config.sizes {
            for rep in 0..config.reps {
                let seed = config.seed.wrapping_add(rep as u64);
                let key = unit_key(&fingerprint, name, m, rep);
                finished += 1;
                if done.contains_key(&key) {
                    progress(finished, total);
                    continue;
                }
                let sample = sample_rows(&scores, m, SampleMode::Bernoulli, seed)?;
                let sub = Mat::from_fn(sample.rows.len(), a.ncols(), |k, j| a[(sample.rows[k], j)]);
                let sub_b: Vec<f64> = sample.rows.iter().map(|&i| b[i]).collect();
                let fit = lp_regression(sub.as_ref(), &sub_b, p, Some(&sample.weights), solver)?;

                let cost = lp_objective(a, b, &ones, p, &fit.x);
                let record = SweepRecord {
                    fingerprint: fingerprint.clone(),
                    scheme: name.clone(),
                    p,
                    m,
                    rep,
                    seed,
                    sample_size: sample.rows.len(),
                    cost_ratio: (cost / optimum).powf(1.0 / p),
                };
                datasets::jsonl::append_line(out, &record)?;
                tracing::info!(scheme = %name, m, rep, ratio = record.cost_ratio, "sweep unit done");
                done.insert(key, record);
                progress(finished, total);
            }
        }
    }
    Ok(done
        .into_values()
        .filter(|r| r.fingerprint == fingerprint)
        .collect())
}

fn read_existing(out: &Path) -> Result<BTreeMap<UnitKey, SweepRecord>> {
    let records: Vec<SweepRecord> = read_records(out)?;
    Ok(records.into_iter().map(|r| (r.key(), r)).collect())
}

/// Formats a markdown table with the median and max cost ratio per (scheme, m).
pub fn markdown_summary(records: &[SweepRecord]) -> String {
    let mut groups: BTreeMap<(String, u64), Vec<f64>> = BTreeMap::new();
    for record in records {
        groups
            .entry((record.scheme.clone(), record.m.to_bits()))
            .or_default()
            .push(record.cost_ratio);
    }

    let mut text =
        String::from("| scheme | m | reps | median ratio | max ratio |\n|---|---|---|---|---|\n");
    for ((scheme, m_bits), mut ratios) in groups {
        ratios.sort_by(f64::total_cmp);
        let half = ratios.len() / 2;
        let median = if ratios.len() % 2 == 1 {
            ratios[half]
        } else {
            0.5 * (ratios[half - 1] + ratios[half])
        };
        let max = ratios[ratios.len() - 1];
        let m = f64::from_bits(m_bits);
        text.push_str(&format!(
            "| {scheme} | {m} | {} | {median:.6} | {max:.6} |\n",
            ratios.len()
        ));
    }
    text
}

/// Checks that every size is positive and the repetition count is nonzero.
///
/// # Errors
/// [`Error::InvalidSampleSize`] or [`Error::InvalidArgument`].
pub fn check_config(config: &SweepConfig) -> Result<()> {
    if let Some(&m) = config.sizes.iter().find(|m| !(m.is_finite() && **m > 0.0)) {
        return Err(Error::InvalidSampleSize { m });
    }
    if config.reps == 0 || config.schemes.is_empty() || config.sizes.is_empty() {
        return Err(Error::InvalidArgument {
            name: "sweep",
            value: format!(
                "{} schemes, {} sizes, {} reps",
                config.schemes.len(),
                config.sizes.len(),
                config.reps
            ),
            rule: "at least one scheme, one size and one repetition are needed",
        });
    }
    Ok(())
}

/// One finished unit of the distortion sweep (one JSON line).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DistortionRecord {
    /// Hex hash of A, p, the base seed and the probes; lines written before
    /// fingerprints existed read as "" and never match.
    #[serde(default)]
    pub fingerprint: String,
    /// Scheme name.
    pub scheme: String,
    /// Exponent p.
    pub p: f64,
    /// Expected sample size.
    pub m: f64,
    /// Repetition index.
    pub rep: usize,
    /// Seed of the sample and of the probes.
    pub seed: u64,
    /// Number of rows kept.
    pub sample_size: usize,
    /// max over probes of |ρ − 1|.
    pub distortion: f64,
    /// Smallest probe ratio.
    pub min_ratio: f64,
    /// Largest probe ratio.
    pub max_ratio: f64,
    /// Exact distortion for p = 2.
    pub exact: Option<f64>,
}

/// Runs the distortion sweep, appending new records to `out` and returning all
/// records of this configuration. `progress` is called after every unit.
///
/// # Errors
/// The errors of [`check_config`], [`scheme_scores`], [`sample_rows`] and
/// [`distortion`], and [`Error::Data`] when `out` cannot be read or appended.
pub fn distortion_sweep(
    a: MatRef<'_, f64>,
    config: &SweepConfig,
    probes: &ProbeSpec,
    out: &Path,
    progress: Progress<'_>,
) -> Result<Vec<DistortionRecord>> {
    check_config(config)?;
    let p = config.p;
    let settings = ConicSettings::default();
    let parameters = format!("distortion p={p:?} seed={} probes={probes:?}", config.seed);
    let fingerprint = fingerprint(a, &[], &parameters);
    tracing::info!(%fingerprint, n = a.nrows(), d = a.ncols(), "distortion sweep started");
    let mut done: BTreeMap<UnitKey, DistortionRecord> = read_records(out)?
        .into_iter()
        .map(|r: DistortionRecord| (unit_key(&r.fingerprint, &r.scheme, r.m, r.rep), r))
        .collect();

    let (total, mut finished) = (total_units(config), 0);
    for (name, scheme) in &config.schemes {
        let scores = scheme_scores(a, p, *scheme, &settings)?;
        for &m in &config.sizes {
            for rep in 0..config.reps {
                let key = unit_key(&fingerprint, name, m, rep);
                finished += 1;
                if done.contains_key(&key) {
                    progress(finished, total);
                    continue;
                }
                let seed = config.seed.wrapping_add(rep as u64);
                let sample = sample_rows(&scores, m, SampleMode::Bernoulli, seed)?;
                let report = distortion(a, &sample, p, probes, seed)?;
                let record = DistortionRecord {
                    fingerprint: fingerprint.clone(),
                    scheme: name.clone(),
                    p,
                    m,
                    rep,
                    seed,
                    sample_size: sample.rows.len(),
                    distortion: report.distortion,
                    min_ratio: report.min_ratio,
                    max_ratio: report.max_ratio,
                    exact: report.exact,
                };
                datasets::jsonl::append_line(out, &record)?;
                tracing::info!(scheme = %name, m, rep, distortion = record.distortion, "sweep unit done");
                done.insert(key, record);
                progress(finished, total);
            }
        }
    }
    Ok(done
        .into_values()
        .filter(|r| r.fingerprint == fingerprint)
        .collect())
}

fn read_records<T: serde::de::DeserializeOwned>(out: &Path) -> Result<Vec<T>> {
    if !out.exists() {
        return Ok(Vec::new());
    }
    let (records, dropped): (Vec<T>, usize) = datasets::jsonl::read_lines(out)?;
    if dropped > 0 {
        tracing::warn!(dropped, "ignored a torn last line in {}", out.display());
    }
    Ok(records)
}

/// Formats a markdown table per (scheme, m): median and 90th percentile of the
/// distortion (nearest rank on the sorted values) and the failure rates at
/// ε = 0.1 and ε = 0.2 (distortion > ε).
pub fn distortion_summary(records: &[DistortionRecord]) -> String {
    let mut groups: BTreeMap<(String, u64), Vec<f64>> = BTreeMap::new();
    for record in records {
        groups
            .entry((record.scheme.clone(), record.m.to_bits()))
            .or_default()
            .push(record.distortion);
    }

    let mut text = String::from(
        "| scheme | m | reps | median distortion | p90 distortion | fail ε=0.1 | fail ε=0.2 |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for ((scheme, m_bits), mut values) in groups {
        values.sort_by(f64::total_cmp);
        let count = values.len() as f64;
        let quantile =
            |q: f64| values[((q * (count - 1.0)).round() as usize).min(values.len() - 1)];
        let fail = |epsilon: f64| values.iter().filter(|&&v| v > epsilon).count() as f64 / count;
        text.push_str(&format!(
            "| {scheme} | {} | {} | {:.4} | {:.4} | {:.2} | {:.2} |\n",
            f64::from_bits(m_bits),
            values.len(),
            quantile(0.5),
            quantile(0.9),
            fail(0.1),
            fail(0.2)
        ));
    }
    text
}
