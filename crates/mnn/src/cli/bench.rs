//! `mnn bench metrics`: time the metric step on seeded random f32 matrices.
//!
//! Each finished (operation, shape) pair is appended to `--out` as one JSON
//! line with its seed and repeat count, and a rerun with the same seed and
//! repeat count skips the pairs already there, so an interrupted sweep
//! resumes without losing finished work.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use mnn::EntropyMethod;
use mnn::bench::{Operation, Timing, check_shape, standard_normal_f32, time_operation};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Times MNN and the entropy routes per matrix shape (one thread).
    Metrics(MetricsArgs),
}

#[derive(Args)]
pub struct MetricsArgs {
    /// Matrix shapes N×d, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        value_parser = parse_shape,
        default_value = "128x576,512x768,1024x2048,2048x4096"
    )]
    shapes: Vec<(usize, usize)>,
    /// Timed runs per operation and shape, after one warm-up run.
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..))]
    repeat: u32,
    /// Operations, comma-separated: mnn, me-auto, me-gram, me-eigh, me-svd,
    /// and read (one streaming pass that sums the matrix, the floor for MNN's
    /// two passes).
    #[arg(
        long,
        value_delimiter = ',',
        value_parser = parse_operation,
        default_value = "mnn,me-auto,me-gram,me-eigh,me-svd"
    )]
    ops: Vec<Operation>,
    /// Skip the d × d routes (me-eigh, me-svd) when d exceeds this size.
    #[arg(long, default_value_t = 4096)]
    max_dense_d: usize,
    /// Also write each input matrix as `DIR/randn_NxD_seedS.npy` (float32), for the peer script.
    #[arg(long)]
    emit_npy: Option<PathBuf>,
    /// Seed of the random matrices (ChaCha8, standard normal).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// JSON-lines file that finished timings are appended to; pairs already
    /// there with the same --seed and --repeat are skipped.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print JSON lines instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(command: &BenchCommand) -> Result<()> {
    match command {
        BenchCommand::Metrics(args) => run_metrics(args),
    }
}

fn run_metrics(args: &MetricsArgs) -> Result<()> {
    let (shapes, ops) = (&args.shapes, &args.ops);
    let repeat = args.repeat as usize;
    for &(n, d) in shapes {
        for &op in ops {
            check_shape(n, d, op)?;
        }
    }
    if let Some(path) = &args.out {
        check_output(path)?;
    }
    let done = finished_pairs(args.out.as_deref())?;

    let mut out = std::io::stdout().lock();
    if !args.json {
        writeln!(
            out,
            "{:<10} {:>6} {:>6} {:>12} {:>12} {:>20}",
            "op", "n", "d", "median_ms", "min_ms", "value"
        )?;
    }
    for &(n, d) in shapes {
        let rows = standard_normal_f32(n, d, args.seed)?;
        if let Some(dir) = &args.emit_npy {
            emit(dir, args.out.as_deref(), &rows, (n, d), args.seed)?;
        }
        for &op in ops {
            let key = (op.label().to_string(), n, d, args.seed, repeat);
            if skip(op, d, args.max_dense_d) || done.contains(&key) {
                tracing::info!(op = op.label(), n, d, "skipped");
                continue;
            }
            tracing::info!(op = op.label(), n, d, repeat, "timing");
            let mut timing = time_operation(&rows, n, d, op, repeat)?;
            timing.seed = Some(args.seed);
            record(&timing, args.out.as_deref())?;
            print_timing(&mut out, &timing, args.json)?;
        }
    }
    Ok(())
}

/// Opens `--out` for appending once before any timing, so that an unwritable
/// path fails at once with a message about the output file.
fn check_output(path: &Path) -> Result<()> {
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map(drop)
        .map_err(|err| {
            anyhow::anyhow!(
                "cannot open the output file {} for appending: {err}; choose a writable path for --out",
                path.display()
            )
        })
}

/// Parses `NxD` (or `N×D`); clap reports an error as a usage error.
fn parse_shape(text: &str) -> Result<(usize, usize), String> {
    let parsed = text
        .split_once(['x', '×'])
        .and_then(|(n, d)| Some((n.trim().parse().ok()?, d.trim().parse().ok()?)));
    match parsed {
        Some((n, d)) if n >= 2 && d >= 1 => Ok((n, d)),
        _ => Err(format!(
            "invalid shape {text:?}: use N×d as two integers joined by x, with N ≥ 2, such as 512x768"
        )),
    }
}

fn parse_operation(text: &str) -> Result<Operation, String> {
    Ok(match text.trim() {
        "mnn" => Operation::Mnn,
        "me-auto" => Operation::Entropy(EntropyMethod::Auto),
        "me-gram" => Operation::Entropy(EntropyMethod::Gram),
        "me-eigh" => Operation::Entropy(EntropyMethod::Eigh),
        "me-svd" => Operation::Entropy(EntropyMethod::Svd),
        "read" => Operation::Read,
        other => {
            return Err(format!(
                "invalid operation {other:?}: use mnn, me-auto, me-gram, me-eigh, me-svd or read"
            ));
        }
    })
}

fn skip(op: Operation, d: usize, max_dense_d: usize) -> bool {
    let dense = matches!(
        op,
        Operation::Entropy(EntropyMethod::Eigh | EntropyMethod::Svd)
    );
    dense && d > max_dense_d
}

/// A finished timing: op, N, d, seed and repeat count.
type TimingKey = (String, usize, usize, u64, usize);

/// Reads the keys of the timings already recorded in `path`. Lines without
/// a seed (written before the seed was recorded) match no key.
fn finished_pairs(path: Option<&Path>) -> Result<HashSet<TimingKey>> {
    let Some(path) = path else {
        return Ok(HashSet::new());
    };
    if !path.exists() {
        return Ok(HashSet::new());
    }
    let (records, _torn): (Vec<serde_json::Value>, usize) = datasets::jsonl::read_lines(path)
        .with_context(|| {
            format!(
                "cannot read the finished timings in {}; delete the invalid line or choose another --out file",
                path.display()
            )
        })?;
    Ok(records
        .iter()
        .filter(|record| record["impl"] == "mnn-rs")
        .filter_map(|record| {
            Some((
                record["op"].as_str()?.to_string(),
                record["n"].as_u64()? as usize,
                record["d"].as_u64()? as usize,
                record["seed"].as_u64()?,
                record["repeat"].as_u64()? as usize,
            ))
        })
        .collect())
}

fn emit(
    dir: &Path,
    out: Option<&Path>,
    rows: &[f32],
    (n, d): (usize, usize),
    seed: u64,
) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(format!("randn_{n}x{d}_seed{seed}.npy"));
    if let Some(out) = out {
        datasets::check_not_input(&path, &[out])?;
    }
    mnn::npy::write_f32(&path, rows, n, d)?;
    Ok(())
}

fn record(timing: &Timing, out: Option<&Path>) -> Result<()> {
    if let Some(path) = out {
        datasets::jsonl::append_line(path, timing)?;
    }
    Ok(())
}

fn print_timing(out: &mut impl Write, timing: &Timing, json: bool) -> Result<()> {
    if json {
        writeln!(out, "{}", serde_json::to_string(timing)?)?;
    } else {
        writeln!(
            out,
            "{:<10} {:>6} {:>6} {:>12.3} {:>12.3} {:>20.12}",
            timing.op, timing.n, timing.d, timing.median_ms, timing.min_ms, timing.value
        )?;
    }
    Ok(())
}
