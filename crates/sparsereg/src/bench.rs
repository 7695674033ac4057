//! The random-support benchmark harness: prediction error against N for
//! every (design, N, repetition, method), as resumable JSON lines, a markdown
//! table of medians with interquartile ranges, and a plain-text SVG plot.
//!
//! Each finished fit is appended to the JSONL file at once. On start the
//! harness reads the file and skips every key {design, d, k, sigma, N, rep,
//! seed, method, fingerprint} already present, so an interrupted sweep
//! resumes. Every line also records the [`SweepSettings`] of its run, and the
//! fingerprint covers every other setting that changes a result (see
//! [`fingerprint`]). A file whose lines were computed with other settings is
//! rejected (see [`check_resume`]), so one file never mixes settings. The
//! instance of repetition r uses seed `seed + r`; the automatic grid is
//! N = 2^m·k·ln d for m = 1, 2, … while N < d, then N = d. Lasso fits stop
//! at relative duality gap 2e-6 (see `bench_lasso_options`).
//!
//! ```
//! assert_eq!(sparsereg::bench::auto_grid(5, 200), vec![53, 106, 200]);
//! ```

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::design::Design;
use crate::error::{Error, Result};
use crate::instance::{InstanceSpec, Noise, generate};
use crate::lasso::LassoOptions;
use crate::methods::{MethodSpec, RunSettings, run_method};
use crate::pipeline::{AlphaRule, PipelineConfig};
use crate::report::FitReport;

/// A benchmark sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchConfig {
    /// Design strings.
    pub designs: Vec<String>,
    /// Columns d.
    pub d: usize,
    /// Support size k.
    pub k: usize,
    /// Noise σ.
    pub sigma: f64,
    /// Sample sizes.
    pub n_grid: Vec<usize>,
    /// Repetitions per (design, N).
    pub reps: usize,
    /// Method strings (see [`crate::methods`]).
    pub methods: Vec<String>,
    /// Preconditioner of the Lasso methods.
    pub precond: String,
    /// Base seed.
    pub seed: u64,
    /// Rows of each test design.
    pub n_test: usize,
}

/// Key of one benchmark line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchKey {
    /// Design string.
    pub design: String,
    /// Columns.
    pub d: usize,
    /// Support size.
    pub k: usize,
    /// Noise σ.
    pub sigma: f64,
    /// Training rows.
    #[serde(rename = "N")]
    pub n: usize,
    /// Repetition.
    pub rep: usize,
    /// Instance seed.
    pub seed: u64,
    /// Method string.
    pub method: String,
    /// [`fingerprint`] of the settings outside the key (empty in files
    /// written before it existed, which therefore never match).
    #[serde(default)]
    pub fingerprint: String,
}

/// Settings of a sweep that every line of one file must share. A rerun may
/// add designs, sample sizes, repetitions or methods, but not change these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepSettings {
    /// Columns d.
    pub d: usize,
    /// Support size k.
    pub k: usize,
    /// Noise σ.
    pub sigma: f64,
    /// Base seed (repetition r uses seed + r).
    pub seed: u64,
    /// Rows of each test design.
    pub n_test: usize,
    /// Preconditioner of the Lasso methods.
    pub precond: String,
    /// Version of sparsereg that computed the line.
    pub version: String,
}

impl SweepSettings {
    /// Returns the settings of `cfg` under this version of sparsereg.
    pub fn of(cfg: &BenchConfig) -> SweepSettings {
        SweepSettings {
            d: cfg.d,
            k: cfg.k,
            sigma: cfg.sigma,
            seed: cfg.seed,
            n_test: cfg.n_test,
            precond: cfg.precond.clone(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    /// Returns the command-line option, its value in `self` and its value in
    /// `other` for the first setting that differs, or `None` when all agree.
    fn first_difference(&self, other: &SweepSettings) -> Option<(&'static str, String, String)> {
        let pairs = [
            ("--d", self.d.to_string(), other.d.to_string()),
            ("--k", self.k.to_string(), other.k.to_string()),
            ("--sigma", self.sigma.to_string(), other.sigma.to_string()),
            ("--seed", self.seed.to_string(), other.seed.to_string()),
            (
                "--n-test",
                self.n_test.to_string(),
                other.n_test.to_string(),
            ),
            ("--precond", self.precond.clone(), other.precond.clone()),
            (
                "sparsereg version",
                self.version.clone(),
                other.version.clone(),
            ),
        ];
        pairs.into_iter().find(|(_, a, b)| a != b)
    }
}

/// One line of the JSONL file: the key, the fit or the error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchLine {
    /// Key.
    pub key: BenchKey,
    /// Settings of the sweep that wrote the line (absent in files written
    /// before it existed, which [`check_resume`] rejects).
    #[serde(default)]
    pub settings: Option<SweepSettings>,
    /// Fit record (absent when the method failed).
    pub fit: Option<FitReport>,
    /// Error message of a failed method.
    pub error: Option<String>,
}

/// N = 2^m·k·ln d (rounded) for m = 1, 2, … while N < d, then d itself.
pub fn auto_grid(k: usize, d: usize) -> Vec<usize> {
    let base = k as f64 * (d as f64).ln();
    let mut grid: Vec<usize> = (1..64)
        .map(|m| (base * 2f64.powi(m)).round() as usize)
        .take_while(|&n| n < d)
        .collect();
    grid.push(d);
    grid
}

/// Runs the sweep, appending to `out` and skipping keys already there.
/// `progress(done, total)` is called after every unit. Returns the number of new lines.
///
/// # Errors
/// [`crate::Error::Data`] when the file cannot be read or appended;
/// [`crate::Error::InvalidParameter`] for a bad design or method string, for
/// zero repetitions and, from [`check_resume`], for a file computed with
/// other settings.
pub fn run_bench(
    cfg: &BenchConfig,
    out: &Path,
    mut progress: impl FnMut(usize, usize),
) -> Result<usize> {
    if cfg.reps == 0 {
        return Err(Error::invalid(
            "reps",
            0,
            "a sweep needs at least one repetition; pass --reps 1 or more",
        ));
    }
    let designs: Vec<Design> = cfg
        .designs
        .iter()
        .map(|s| Design::parse(s))
        .collect::<Result<_>>()?;
    let methods: Vec<MethodSpec> = cfg
        .methods
        .iter()
        .map(|s| MethodSpec::parse(s))
        .collect::<Result<_>>()?;
    let settings = run_settings(cfg);
    let sweep = SweepSettings::of(cfg);
    let fingerprints: BTreeMap<String, String> = designs
        .iter()
        .map(|design| (design.name(), fingerprint(cfg, design, &settings)))
        .collect();
    let existing = read_existing(out)?;
    check_resume(&existing, &sweep, &fingerprints, out)?;
    let done: HashSet<String> = existing.iter().map(|l| key_string(&l.key)).collect();
    let total = designs.len() * cfg.n_grid.len() * cfg.reps * methods.len();
    let mut count = 0;
    let mut written = 0;
    for design in &designs {
        let fingerprint = fingerprints[&design.name()].clone();
        for &n in &cfg.n_grid {
            for rep in 0..cfg.reps {
                let seed = cfg.seed + rep as u64;
                let keys: Vec<BenchKey> = cfg
                    .methods
                    .iter()
                    .map(|m| BenchKey {
                        design: design.name(),
                        d: cfg.d,
                        k: cfg.k,
                        sigma: cfg.sigma,
                        n,
                        rep,
                        seed,
                        method: m.clone(),
                        fingerprint: fingerprint.clone(),
                    })
                    .collect();
                let todo: Vec<usize> = (0..keys.len())
                    .filter(|&i| !done.contains(&key_string(&keys[i])))
                    .collect();
                if !todo.is_empty() {
                    let unit = Unit {
                        design,
                        n,
                        seed,
                        settings: &settings,
                        sweep: &sweep,
                    };
                    written += run_unit(cfg, &unit, &methods, &keys, &todo, out)?;
                }
                count += methods.len();
                progress(count, total);
            }
        }
    }
    Ok(written)
}

/// One instance of the sweep.
struct Unit<'a> {
    design: &'a Design,
    n: usize,
    seed: u64,
    settings: &'a RunSettings,
    sweep: &'a SweepSettings,
}

fn run_unit(
    cfg: &BenchConfig,
    unit: &Unit<'_>,
    methods: &[MethodSpec],
    keys: &[BenchKey],
    todo: &[usize],
    out: &Path,
) -> Result<usize> {
    let (n, settings) = (unit.n, unit.settings);
    let spec = InstanceSpec {
        design: unit.design.clone(),
        n,
        d: cfg.d,
        k: cfg.k,
        noise: Noise::Sigma(cfg.sigma),
        n_test: cfg.n_test,
        seed: unit.seed,
        ..Default::default()
    };
    let inst = generate(&spec)?;
    for &i in todo {
        let mut p = crate::precond::parse(&cfg.precond)?;
        let start = Instant::now();
        let result = run_method(inst.x.as_ref(), &inst.y, &methods[i], p.as_mut(), settings);
        let time_ms = start.elapsed().as_secs_f64() * 1e3;
        let line = match result {
            Ok(run) => {
                let mut report =
                    FitReport::new(&run.fit, &p.name(), run.alpha_rule, time_ms, false);
                report.score(&run.fit, &inst);
                BenchLine {
                    key: keys[i].clone(),
                    settings: Some(unit.sweep.clone()),
                    fit: Some(report),
                    error: None,
                }
            }
            Err(e) => {
                tracing::warn!("{} on {} N = {n}: {e}", keys[i].method, keys[i].design);
                BenchLine {
                    key: keys[i].clone(),
                    settings: Some(unit.sweep.clone()),
                    fit: None,
                    error: Some(e.to_string()),
                }
            }
        };
        datasets::jsonl::append_line(out, &line)?;
    }
    Ok(todo.len())
}

/// Solver settings shared by every fit of a sweep.
fn run_settings(cfg: &BenchConfig) -> RunSettings {
    RunSettings {
        k: Some(cfg.k),
        alpha_rule: Some(AlphaRule::Universal {
            c: 1.0,
            sigma: cfg.sigma,
        }),
        folds: 5,
        pipeline: PipelineConfig {
            lasso: bench_lasso_options(),
            ..PipelineConfig::default()
        },
    }
}

/// Returns a 64-bit FNV-1a hash, in hex, of every input of a line that its
/// key does not name: the crate version, the preconditioner, the test-design
/// size, the instance defaults (coefficients, column scaling), the solver
/// settings and, for `file:` designs, the matrix entries.
pub fn fingerprint(cfg: &BenchConfig, design: &Design, settings: &RunSettings) -> String {
    let instance = InstanceSpec::default();
    let mut text = format!(
        "sparsereg {}|precond {}|n_test {}|coef {:?}|normalize {}|{settings:?}",
        env!("CARGO_PKG_VERSION"),
        cfg.precond,
        cfg.n_test,
        instance.coef,
        instance.normalize,
    );
    if let Design::FromMatrix { x, .. } = design {
        let mut bytes = Vec::with_capacity(8 * x.nrows() * x.ncols() + 16);
        bytes.extend_from_slice(&(x.nrows() as u64).to_le_bytes());
        bytes.extend_from_slice(&(x.ncols() as u64).to_le_bytes());
        for j in 0..x.ncols() {
            for i in 0..x.nrows() {
                bytes.extend_from_slice(&x[(i, j)].to_le_bytes());
            }
        }
        text += &format!("|matrix {:016x}", tape::rng::fnv1a64(&bytes));
    }
    format!("{:016x}", tape::rng::fnv1a64(text.as_bytes()))
}

/// Lasso settings of the sweep: relative gap 2e-6 per fit (scikit-learn's
/// tol = 1e-6) and at most 20 000 epochs. The library defaults (1e-8 and
/// 100 000) made one 5-fold `lasso-cv` on a 53 × 200 equicorrelated design
/// take 15 to 95 s, because the smallest α of the grid converge slowly.
fn bench_lasso_options() -> LassoOptions {
    LassoOptions {
        tol: 2e-6,
        max_epochs: 20_000,
        ..LassoOptions::default()
    }
}

fn key_string(key: &BenchKey) -> String {
    serde_json::to_string(key).unwrap_or_default()
}

fn read_existing(out: &Path) -> Result<Vec<BenchLine>> {
    if !out.exists() {
        return Ok(Vec::new());
    }
    let (lines, dropped): (Vec<BenchLine>, usize) = datasets::jsonl::read_lines(out)?;
    if dropped > 0 {
        tracing::info!("{}: dropped {dropped} torn line(s)", out.display());
    }
    Ok(lines)
}

/// Checks that every line of `out` was computed with the settings `sweep`
/// and, for the designs of this sweep, with the same `fingerprints` (design
/// name to [`fingerprint`]), so that resuming never mixes settings.
///
/// # Errors
/// [`Error::InvalidParameter`] naming the first setting that differs, its
/// value in the file and the fix: a new output file or `--force`.
pub fn check_resume(
    lines: &[BenchLine],
    sweep: &SweepSettings,
    fingerprints: &BTreeMap<String, String>,
    out: &Path,
) -> Result<()> {
    let fix = format!(
        "pass another --out, or --force to delete {} and start over",
        out.display()
    );
    for line in lines {
        let Some(stored) = &line.settings else {
            return Err(Error::invalid(
                "out",
                out.display(),
                format!("the file was written by an older sparsereg without its settings; {fix}"),
            ));
        };
        if let Some((name, old, new)) = stored.first_difference(sweep) {
            return Err(Error::invalid(
                "out",
                out.display(),
                format!("its results were computed with {name} {old}, not {new}; {fix}"),
            ));
        }
        let expected = fingerprints.get(&line.key.design);
        if expected.is_some_and(|f| *f != line.key.fingerprint) {
            return Err(Error::invalid(
                "out",
                out.display(),
                format!(
                    "its results for design {} were computed with another design matrix \
                     or other solver settings; {fix}",
                    line.key.design
                ),
            ));
        }
    }
    Ok(())
}

/// Reads all lines of a benchmark file.
///
/// # Errors
/// [`crate::Error::Data`] when the file cannot be read.
pub fn read_bench(path: &Path) -> Result<Vec<BenchLine>> {
    Ok(datasets::jsonl::read_lines(path)?.0)
}

/// Median and interquartile range of PE per (design, method, N).
fn summarize(lines: &[BenchLine]) -> BTreeMap<(String, String, usize), (f64, f64, f64)> {
    let mut groups: BTreeMap<(String, String, usize), Vec<f64>> = BTreeMap::new();
    for l in lines {
        if let Some(pe) = l.fit.as_ref().and_then(|f| f.pe_in) {
            groups
                .entry((l.key.design.clone(), l.key.method.clone(), l.key.n))
                .or_default()
                .push(pe);
        }
    }
    groups
        .into_iter()
        .map(|(key, mut v)| {
            v.sort_by(f64::total_cmp);
            let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
            (key, (q(0.25), q(0.5), q(0.75)))
        })
        .collect()
}

/// A markdown table per design: median in-sample PE (IQR) per method and N.
pub fn markdown(lines: &[BenchLine]) -> String {
    let summary = summarize(lines);
    let designs: BTreeSet<&String> = summary.keys().map(|k| &k.0).collect();
    let mut text = String::new();
    for design in designs {
        let methods: BTreeSet<&String> = summary
            .keys()
            .filter(|k| &k.0 == design)
            .map(|k| &k.1)
            .collect();
        let ns: BTreeSet<usize> = summary
            .keys()
            .filter(|k| &k.0 == design)
            .map(|k| k.2)
            .collect();
        text += &format!("### {design}\n\nMedian PE_in (25%–75%)\n\n| method |");
        ns.iter().for_each(|n| text += &format!(" N = {n} |"));
        text += "\n|---|";
        ns.iter().for_each(|_| text += "---|");
        text += "\n";
        for m in methods {
            text += &format!("| {m} |");
            for &n in &ns {
                match summary.get(&(design.clone(), m.clone(), n)) {
                    Some((lo, med, hi)) => text += &format!(" {med:.3e} ({lo:.2e}–{hi:.2e}) |"),
                    None => text += " – |",
                }
            }
            text += "\n";
        }
        text += "\n";
    }
    text
}

/// A log-log SVG of median PE against N for one design, one polyline per method.
pub fn svg(lines: &[BenchLine], design: &str) -> String {
    const COLORS: [&str; 8] = [
        "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    ];
    let summary = summarize(lines);
    let points: Vec<(&String, f64, f64)> = summary
        .iter()
        .filter(|(k, v)| k.0 == design && v.1 > 0.0)
        .map(|(k, v)| (&k.1, (k.2 as f64).log10(), v.1.log10()))
        .collect();
    let (w, h, pad) = (640.0, 420.0, 60.0);
    let range = |f: fn(&(&String, f64, f64)) -> f64| {
        let lo = points.iter().map(f).fold(f64::INFINITY, f64::min);
        let hi = points.iter().map(f).fold(f64::NEG_INFINITY, f64::max);
        if hi > lo {
            (lo, hi)
        } else {
            (lo - 0.5, lo + 0.5)
        }
    };
    let ((x0, x1), (y0, y1)) = (range(|p| p.1), range(|p| p.2));
    let sx = |x: f64| pad + (x - x0) / (x1 - x0) * (w - 2.0 * pad);
    let sy = |y: f64| h - pad - (y - y0) / (y1 - y0) * (h - 2.0 * pad);
    let mut text = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\">\n\
         <text x=\"{}\" y=\"20\" text-anchor=\"middle\">{design}: median PE_in vs N (log-log)</text>\n\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">N: 10^{x0:.2} to 10^{x1:.2}</text>\n\
         <text x=\"10\" y=\"{}\">PE: 10^{y0:.2} to 10^{y1:.2}</text>\n",
        w / 2.0,
        w / 2.0,
        h - 15.0,
        pad - 20.0
    );
    let methods: BTreeSet<&String> = points.iter().map(|p| p.0).collect();
    for (i, m) in methods.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let coords: Vec<String> = points
            .iter()
            .filter(|p| p.0 == *m)
            .map(|p| format!("{:.1},{:.1}", sx(p.1), sy(p.2)))
            .collect();
        text += &format!(
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/>\n",
            coords.join(" ")
        );
        text += &format!(
            "<text x=\"{}\" y=\"{}\" fill=\"{color}\">{m}</text>\n",
            w - pad - 100.0,
            pad + 16.0 * i as f64
        );
    }
    text + "</svg>\n"
}
