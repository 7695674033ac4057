//! The UCI-121 benchmark harness behind `lipnet uci run` and `lipnet uci summarize`.
//!
//! A sweep is a list of units keyed by (phase, dataset, method, config_id,
//! fold, seed). Protocol of the collection (Fernández-Delgado et al., JMLR 15,
//! 2014): the **selection** phase trains on line 1 of `conxuntos.dat` and
//! scores line 2; the **report** phase trains on line 2f+1 and tests on line
//! 2f+2 of `conxuntos_kfold.dat` for folds f = 0..3, or, for two-file sets,
//! trains on file 1 and tests on file 2 (fold 0). Each file is standardized on
//! its own by the loader. The configuration reported for a (set, method) is
//! the grid point with the best validation score ([`select`]); the grid
//! (derived by us, see [`suite`]) is depth ∈ {2, 4, 8} × lr ∈ {10⁻³, 10⁻²},
//! width 64, SLL's xent loss, L = 1, batch 64, 100 epochs capped at 2 000
//! steps. A test point counts as certified at ε when its margin exceeds
//! √2·L·ε, with ε ∈ {36, 72, 108, 255}/255 in standardized units.
//!
//! Every finished unit appends one JSON line ([`Record`], schema 1) to the
//! results file. A rerun skips finished keys, so an interrupted sweep resumes
//! where it stopped ([`results`]). Units run on `--jobs` worker threads, one
//! unit per thread, and draw every random number from streams keyed by the
//! unit key, so results do not depend on scheduling ([`runner`]).
//!
//! ```no_run
//! use lipnet::uci::{self, RunParams, Shard, SelectMetric, Silent, SuiteName, SuiteParams};
//!
//! let params = RunParams {
//!     root: "../shared/data/uci121".into(),
//!     suite: SuiteParams::new(SuiteName::Smoke),
//!     results: "runs/uci.jsonl".into(),
//!     jobs: 2,
//!     shard: Shard::ALL,
//!     max_units: None,
//!     retry_failed: false,
//!     select_metric: SelectMetric::Clean,
//! };
//! let report = uci::run(&params.check()?, &mut Silent)?;
//! println!("{} units ran, {} ok", report.ran, report.ok);
//!
//! let records = uci::read_all_results(&["runs/uci.jsonl"])?;
//! let summary = uci::summarize(records);
//! std::fs::write("uci.md", uci::markdown(&summary))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # NOTES
//!
//! - `pgd_ratio` comes from 8 starts × 50 steps (the verifier's default is
//!   32 × 50), to bound its cost on wide sets.
//! - `lmi_max_eig` is `null` for models without the LDLᵀ form (no LMI applies).
//! - A method named by a suite but missing from this build produces `failed`
//!   lines that give this reason. After adding it, rerun with `--retry-failed`.
//! - Shards split (data set, method) pairs, so one shard runs both phases of
//!   its pairs. Every shard must get the same suite flags. With Slurm:
//!   `sbatch --array=0-7` running `lipnet uci run --suite core --shard
//!   $SLURM_ARRAY_TASK_ID/8 --jobs 1 --results runs/uci.$SLURM_ARRAY_TASK_ID.jsonl`,
//!   then `lipnet uci summarize --results runs/uci.*.jsonl --markdown uci.md`.
//! - The enumeration reproduces the step budget of the lipnet specification:
//!   over the 116 complete sets, 90 000 selection steps per (method, config)
//!   and 413 report units with 397 100 steps per (method, seed).
//! - Measured on the 2-core development VM under heavy load from other builds
//!   (test profile, opt-level 2): the 16 smoke units took 9.6 s with `--jobs 1`
//!   (5.6 s CPU), 0.13–0.85 s of training each; ldlt-res trained at 1.8–3.3
//!   ms/step and sll-res at 1.2–2.0 ms/step (depth 4, width 64). On arrhythmia
//!   (262 features) ldlt-res took 11–18 ms/step, so the projection printed
//!   after 20 units, not the 1.5 ms/step planning figure, is the guide.

pub mod error;
pub mod execute;
pub mod plan;
pub mod record;
pub mod results;
pub mod runner;
pub mod select;
pub mod stamp;
pub mod suite;
pub mod summary;
pub mod svg;
pub mod tables;
pub mod unit;

pub use error::{UciError, UciResult};
pub use execute::run_unit;
pub use plan::{SetInfo, Shard, ShardMap, collection_info};
pub use record::{Cra, Metric, Record, SCHEMA, Status};
pub use results::{ResultsIndex, ResultsLog, read_all_results, read_results};
pub use runner::{Observer, Projection, RunConfig, RunParams, RunReport, Silent, run};
pub use select::{SelectMetric, Selection, select_config};
pub use stamp::{Stamp, utc_timestamp};
pub use suite::{IRREGULAR_SETS, Phases, Suite, SuiteName, SuiteParams};
pub use summary::{Summary, summarize};
pub use tables::{csv, markdown, per_set_tsv};
pub use unit::{Config, Phase, Unit, UnitKey};

use std::path::{Path, PathBuf};

/// Paths of the files [`write_summary`] wrote.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct SummaryFiles {
    /// The markdown report.
    pub markdown: PathBuf,
    /// The per-method CSV, when requested.
    pub csv: Option<PathBuf>,
    /// The per-set TSV.
    pub tsv: PathBuf,
    /// SVG plots.
    pub svg: Vec<PathBuf>,
}

/// Writes the markdown report, the per-set TSV, and optionally the CSV and
/// the SVG plots. Each file goes to a temporary file in its folder and is
/// then renamed, so no partial file is left behind.
///
/// # Errors
///
/// [`UciError::Io`] when a folder is missing or a file cannot be written.
pub fn write_summary(
    s: &Summary,
    markdown_path: &Path,
    tsv_path: &Path,
    csv_path: Option<&Path>,
    svg_dir: Option<&Path>,
) -> UciResult<SummaryFiles> {
    let mut files = SummaryFiles {
        markdown: markdown_path.to_path_buf(),
        tsv: tsv_path.to_path_buf(),
        ..SummaryFiles::default()
    };
    write_atomic(markdown_path, &markdown(s))?;
    write_atomic(tsv_path, &per_set_tsv(s))?;
    if let Some(path) = csv_path {
        write_atomic(path, &csv(s))?;
        files.csv = Some(path.to_path_buf());
    }
    if let Some(dir) = svg_dir {
        files.svg = write_plots(s, dir)?;
    }
    Ok(files)
}

fn write_plots(s: &Summary, dir: &Path) -> UciResult<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| UciError::io(dir, e))?;
    let mut written = Vec::new();
    let mut put = |name: &str, text: String| -> UciResult<()> {
        let path = dir.join(name);
        write_atomic(&path, &text)?;
        written.push(path);
        Ok(())
    };
    put("cra_vs_eps.svg", svg::cra_curve(&s.scopes[0]))?;
    put("cra_vs_eps_regular.svg", svg::cra_curve(&s.scopes[1]))?;
    for (metric, name) in [
        (Metric::Clean, "ldlt_vs_sll_clean.svg"),
        (Metric::Cra(0), "ldlt_vs_sll_cra36.svg"),
    ] {
        if let Some(text) = svg::paired_scatter(&s.per_set, metric, &s.scopes[0].label) {
            put(name, text)?;
        }
    }
    Ok(written)
}

/// Writes `text` to a temporary file beside `path`, then renames it over `path`.
///
/// # Errors
///
/// [`UciError::Io`] naming `path`.
pub fn write_atomic(path: &Path, text: &str) -> UciResult<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| UciError::io(path, e))?;
    std::io::Write::write_all(&mut tmp, text.as_bytes()).map_err(|e| UciError::io(path, e))?;
    crate::io::make_readable(tmp.as_file()).map_err(|e| UciError::io(path, e))?;
    tmp.persist(path).map_err(|e| UciError::io(path, e.error))?;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::write_atomic;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn write_atomic_leaves_readable_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.md");

        write_atomic(&path, "# summary\n").unwrap();

        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "# summary\n");
    }
}
