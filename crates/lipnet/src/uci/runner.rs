//! The sweep runner: skip finished units, run the rest on worker threads,
//! append one results line per finished unit.
//!
//! Workers take units in canonical order from a shared counter; each unit runs
//! on one thread from start to end. Finished lines go through a channel to the
//! calling thread, the only writer of the results file, which appends and
//! syncs each line. Selection units run first; report units follow with the
//! configurations chosen from all selection lines known by then.
//!
//! Time projection (an estimate), made once after [`PROJECT_AFTER`] finished
//! units: the wall time per estimated optimizer step so far, times the
//! estimated steps still to run in this invocation, plus the time so far. The
//! remaining steps include report units that still wait for their selection.
//!
//! ```
//! use lipnet::uci::runner::format_duration;
//!
//! assert_eq!(format_duration(3723.0), "1h 02m 03s");
//! ```

use super::error::{UciError, UciResult};
use super::execute::run_unit;
use super::plan::{self, SetInfo, Shard, ShardMap, collection_info};
use super::record::{Record, Status};
use super::results::{ResultsIndex, append_record, check_results_path, read_results};
use super::select::SelectMetric;
use super::stamp::Stamp;
use super::suite::{Suite, SuiteParams};
use super::unit::{Phase, Unit};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Finished units after which the runner projects the total time.
pub const PROJECT_AFTER: usize = 20;

/// Stack size of worker threads; the tape's recursion-free kernels need far
/// less, the margin covers faer's stack-allocated scratch space.
const WORKER_STACK_BYTES: usize = 16 << 20;

/// Unchecked sweep settings; [`RunParams::check`] validates them.
#[derive(Clone, Debug)]
pub struct RunParams {
    /// Collection root (the folder that contains `iris/`).
    pub root: PathBuf,
    /// Suite and overrides.
    pub suite: SuiteParams,
    /// Results file (JSON lines), created when absent.
    pub results: PathBuf,
    /// Worker threads, ≥ 1.
    pub jobs: usize,
    /// The part of the sweep this process runs.
    pub shard: Shard,
    /// Run at most this many units in this invocation.
    pub max_units: Option<usize>,
    /// Rerun units whose latest line has status failed.
    pub retry_failed: bool,
    /// Validation metric of the selection phase.
    pub select_metric: SelectMetric,
}

impl RunParams {
    /// Validates the settings.
    ///
    /// # Errors
    ///
    /// [`UciError::Invalid`] for 0 jobs, `max_units` = 0 or a results path whose
    /// folder is missing, and the errors of [`SuiteParams::check`].
    pub fn check(self) -> UciResult<RunConfig> {
        if self.jobs == 0 {
            return Err(UciError::invalid(
                "jobs",
                0,
                "use at least one worker thread, for example --jobs 2",
            ));
        }
        if self.max_units == Some(0) {
            return Err(UciError::invalid(
                "max-units",
                0,
                "use at least 1, or leave --max-units out to run every unit",
            ));
        }
        check_results_path(&self.results)?;
        Ok(RunConfig {
            suite: self.suite.check()?,
            root: self.root,
            results: self.results,
            jobs: self.jobs,
            shard: self.shard,
            max_units: self.max_units,
            retry_failed: self.retry_failed,
            select_metric: self.select_metric,
        })
    }
}

/// Validated sweep settings; see [`RunParams::check`].
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// Collection root.
    pub root: PathBuf,
    /// The resolved suite.
    pub suite: Suite,
    /// Results file.
    pub results: PathBuf,
    /// Worker threads.
    pub jobs: usize,
    /// This process's shard.
    pub shard: Shard,
    /// Unit budget of this invocation.
    pub max_units: Option<usize>,
    /// Rerun failed units.
    pub retry_failed: bool,
    /// Selection metric.
    pub select_metric: SelectMetric,
}

/// A projection of the invocation's total wall time (an estimate).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Projection {
    /// Units finished when the projection was made.
    pub units_done: usize,
    /// Seconds elapsed so far.
    pub elapsed_seconds: f64,
    /// Projected seconds for the whole invocation.
    pub total_seconds: f64,
}

/// Receives progress from [`run`] on the calling thread.
pub trait Observer {
    /// Called when a phase starts with `n_units` units to run.
    fn phase_started(&mut self, _phase: Phase, _n_units: usize) {}
    /// Called after each line is written.
    fn unit_finished(&mut self, _record: &Record) {}
    /// Called once, after [`PROJECT_AFTER`] units.
    fn projected(&mut self, _projection: &Projection) {}
}

/// An observer that ignores everything.
pub struct Silent;

impl Observer for Silent {}

/// What one invocation did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RunReport {
    /// Units run and written.
    pub ran: usize,
    /// Of those, status ok.
    pub ok: usize,
    /// Of those, status failed.
    pub failed: usize,
    /// Of those, status skipped_incomplete.
    pub skipped_incomplete: usize,
    /// Units of this shard skipped because the results file has them.
    pub already_finished: usize,
    /// Report units waiting for selection lines (run the selection phase first).
    pub pending_report: usize,
    /// Units not run because of `--max-units`.
    pub left_by_max_units: usize,
    /// 1 when a torn last line of the results file was dropped.
    pub dropped_torn: usize,
    /// The time projection, when one was made.
    pub projection: Option<Projection>,
    /// Wall-clock seconds of the invocation.
    pub seconds: f64,
}

/// Runs the sweep described by `config`, appending to its results file.
///
/// # Errors
///
/// Collection and results-file errors before any unit runs, and
/// [`UciError::Data`] when a line cannot be appended. Failures inside units
/// never stop the sweep; they are recorded in the results file.
pub fn run(config: &RunConfig, observer: &mut dyn Observer) -> UciResult<RunReport> {
    let start = Instant::now();
    let suite = &config.suite;
    let infos = collection_info(&config.root, suite.sets.as_deref())?;
    let log = read_results(&config.results)?;
    let mut index = ResultsIndex::new(log.records);
    let shards = ShardMap::new(&infos, suite, config.shard);
    let mut report = RunReport {
        dropped_torn: log.dropped_torn,
        ..RunReport::default()
    };
    let mut budget = config.max_units.unwrap_or(usize::MAX);
    tracing::info!(
        sets = infos.len(),
        methods = suite.methods.join(","),
        shard = format!("{}/{}", config.shard.index, config.shard.count),
        results = %config.results.display(),
        finished_lines = index.len(),
        "sweep started"
    );

    let selection = if suite.runs_selection() {
        let all = plan::selection_units(&infos, suite);
        to_run(all, config, &index, &shards, &mut budget, &mut report)
    } else {
        Vec::new()
    };
    let mut wave = Wave {
        config,
        stamp: Stamp::detect(),
        projector: Projector::new(projected_steps(
            &selection, &infos, config, &index, &shards, budget,
        )),
        start,
    };
    wave.execute(
        Phase::Selection,
        &selection,
        &mut index,
        observer,
        &mut report,
    )?;

    if suite.runs_report() {
        let plan = plan::report_units(&infos, suite, &index, config.select_metric);
        report.pending_report = plan
            .pending
            .iter()
            .filter(|(set, method, _)| shards.owns(set, method))
            .map(|p| p.2)
            .sum();
        let units = to_run(
            plan.units,
            config,
            &index,
            &shards,
            &mut budget,
            &mut report,
        );
        wave.execute(Phase::Report, &units, &mut index, observer, &mut report)?;
    }

    if report.pending_report > 0 {
        tracing::warn!(
            units = report.pending_report,
            "report units wait for selection lines; run the selection phase for them first"
        );
    }
    report.seconds = start.elapsed().as_secs_f64();
    report.projection = wave.projector.projection;
    tracing::info!(
        ran = report.ran,
        ok = report.ok,
        failed = report.failed,
        skipped = report.skipped_incomplete,
        seconds = report.seconds,
        "sweep finished"
    );
    Ok(report)
}

/// Keeps the units of this shard that need a run, within the unit budget.
fn to_run(
    units: Vec<Unit>,
    config: &RunConfig,
    index: &ResultsIndex,
    shards: &ShardMap,
    budget: &mut usize,
    report: &mut RunReport,
) -> Vec<Unit> {
    let mut keep = Vec::new();
    for unit in units {
        if !shards.owns(&unit.key.dataset, &unit.key.method) {
            continue;
        }
        if index.is_finished(&unit.key, config.retry_failed) {
            report.already_finished += 1;
        } else if *budget == 0 {
            report.left_by_max_units += 1;
        } else {
            *budget -= 1;
            keep.push(unit);
        }
    }
    keep
}

/// Estimated steps of this invocation: the selection units to run plus the
/// report units not yet run, the latter scaled down to the remaining budget.
fn projected_steps(
    selection: &[Unit],
    infos: &[SetInfo],
    config: &RunConfig,
    index: &ResultsIndex,
    shards: &ShardMap,
    budget: usize,
) -> usize {
    let selection_steps: usize = selection.iter().map(|u| u.est_steps).sum();
    if !config.suite.runs_report() {
        return selection_steps;
    }
    let (units, steps) = plan::planned_report_steps(infos, &config.suite, index, shards);
    if units > budget {
        selection_steps + steps * budget / units
    } else {
        selection_steps + steps
    }
}

/// State shared by the two phases of one invocation.
struct Wave<'a> {
    config: &'a RunConfig,
    stamp: Stamp,
    projector: Projector,
    start: Instant,
}

impl Wave<'_> {
    fn execute(
        &mut self,
        phase: Phase,
        units: &[Unit],
        index: &mut ResultsIndex,
        observer: &mut dyn Observer,
        report: &mut RunReport,
    ) -> UciResult<()> {
        if units.is_empty() {
            return Ok(());
        }
        let jobs = self.config.jobs.min(units.len());
        tracing::info!(
            phase = phase.name(),
            units = units.len(),
            jobs,
            "phase started"
        );
        observer.phase_started(phase, units.len());

        let config = self.config;
        let stamp = &self.stamp;
        let mut writer = Writer {
            results: &config.results,
            units,
            projector: &mut self.projector,
            start: self.start,
        };
        let next = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            let (tx, rx) = mpsc::channel::<(usize, Record)>();
            for worker in 0..jobs {
                let tx = tx.clone();
                let next = &next;
                std::thread::Builder::new()
                    .name(format!("uci-worker-{worker}"))
                    .stack_size(WORKER_STACK_BYTES)
                    .spawn_scoped(scope, move || {
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(unit) = units.get(i) else { break };
                            let record = run_unit(&config.root, unit, stamp);
                            if tx.send((i, record)).is_err() {
                                break;
                            }
                        }
                    })
                    .map_err(|e| UciError::io("a worker thread", e))?;
            }
            drop(tx);
            writer.write_lines(rx, index, observer, report)
        })
    }
}

/// The single writer of the results file.
struct Writer<'a> {
    results: &'a std::path::Path,
    units: &'a [Unit],
    projector: &'a mut Projector,
    start: Instant,
}

impl Writer<'_> {
    /// Appends every line the workers send; returns on the first write error,
    /// which drops the channel so that workers stop after their current unit.
    fn write_lines(
        &mut self,
        rx: mpsc::Receiver<(usize, Record)>,
        index: &mut ResultsIndex,
        observer: &mut dyn Observer,
        report: &mut RunReport,
    ) -> UciResult<()> {
        for (i, record) in rx {
            append_record(self.results, &record)?;
            report.ran += 1;
            match record.status {
                Status::Ok => report.ok += 1,
                Status::Failed => report.failed += 1,
                Status::SkippedIncomplete => report.skipped_incomplete += 1,
            }
            tracing::debug!(unit = %record.key(), status = record.status.name(), "unit written");
            observer.unit_finished(&record);
            index.insert(record);

            let est_steps = self.units[i].est_steps;
            if let Some(p) = self.projector.add(est_steps, self.start.elapsed()) {
                tracing::debug!(
                    after_units = p.units_done,
                    projected_total = %format_duration(p.total_seconds),
                    "time projection"
                );
                observer.projected(&p);
            }
        }
        Ok(())
    }
}

/// Counts finished units and steps, and projects the total time once.
struct Projector {
    total_steps: usize,
    done_steps: usize,
    done_units: usize,
    projection: Option<Projection>,
}

impl Projector {
    fn new(total_steps: usize) -> Self {
        Self {
            total_steps,
            done_steps: 0,
            done_units: 0,
            projection: None,
        }
    }

    /// Adds a finished unit; returns the projection the first time at least
    /// [`PROJECT_AFTER`] units and some steps are done.
    fn add(&mut self, est_steps: usize, elapsed: Duration) -> Option<Projection> {
        self.done_units += 1;
        self.done_steps += est_steps;
        if self.projection.is_some() || self.done_units < PROJECT_AFTER || self.done_steps == 0 {
            return None;
        }
        let elapsed = elapsed.as_secs_f64();
        let remaining_steps = self.total_steps.saturating_sub(self.done_steps);
        let per_step = elapsed / self.done_steps as f64;
        let p = Projection {
            units_done: self.done_units,
            elapsed_seconds: elapsed,
            total_seconds: elapsed + per_step * remaining_steps as f64,
        };
        self.projection = Some(p);
        Some(p)
    }
}

/// Formats seconds as `1h 02m 03s`, `2m 03s` or `4.5s`.
pub fn format_duration(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 60.0 {
        return format!("{seconds:.1}s");
    }
    let total = seconds.round() as u64;
    let (h, m, s) = (total / 3600, (total / 60) % 60, total % 60);
    if h > 0 {
        format!("{h}h {m:02}m {s:02}s")
    } else {
        format!("{m}m {s:02}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_after_twenty_units() {
        let mut p = Projector::new(400);
        for _ in 0..19 {
            assert!(p.add(10, Duration::from_secs(1)).is_none());
        }
        // 200 steps in 20 s: 0.1 s per step, 200 steps left.
        let proj = p.add(10, Duration::from_secs(20)).unwrap();
        assert_eq!(proj.units_done, 20);
        assert!((proj.total_seconds - 40.0).abs() < 1e-9);
        assert!(p.add(10, Duration::from_secs(21)).is_none());
    }

    #[test]
    fn durations_format() {
        assert_eq!(format_duration(4.54), "4.5s");
        assert_eq!(format_duration(123.0), "2m 03s");
        assert_eq!(format_duration(3723.0), "1h 02m 03s");
    }
}
