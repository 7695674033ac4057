//! `lipnet bench`: time per training step and per forward pass.
//!
//! Protocol (the one of the recorded PyTorch figures): n_in = 20, n_out = 5,
//! batch 64, one fixed batch x ~ N(0, 1) with labels uniform in 0..4, Adam
//! 10⁻³, plain cross-entropy, hidden widths (w,)×depth, 3 warm-up steps, then
//! the timed steps. A train step records the parameterization, the forward
//! pass and the loss, runs backward and applies Adam. Everything runs on one
//! thread (faer `Par::Seq`).

use clap::Args;
use lipnet::model::{self, ArchParams, LipModel, ModelId};
use lipnet::network::SlopeNet;
use rand::RngExt;
use serde_json::json;
use std::process::ExitCode;
use std::time::Instant;
use tape::{Adam, AdamConfig, Optimizer, ParamStore, Tape};

const N_IN: usize = 20;
const N_OUT: usize = 5;
const BATCH: usize = 64;
const WARMUP: usize = 3;

/// Arguments of `lipnet bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Model ids, comma-separated.
    #[arg(long, default_value = "ldlt-res,ldlt-seq", value_delimiter = ',')]
    pub models: Vec<String>,
    /// Configurations depth×width, comma-separated, such as 3x64,8x128.
    #[arg(long, default_value = "3x64,8x64,8x128,30x64", value_delimiter = ',')]
    pub configs: Vec<String>,
    /// Timed steps per configuration (after 3 warm-up steps).
    #[arg(long, default_value_t = 50)]
    pub steps: usize,
    /// Seed of the weights and the batch.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print one JSON line per (model, configuration) instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: BenchArgs) -> anyhow::Result<ExitCode> {
    if a.steps == 0 {
        anyhow::bail!("invalid --steps 0: time at least one step");
    }
    let ids: Vec<ModelId> = a
        .models
        .iter()
        .map(|m| ModelId::parse(m))
        .collect::<Result<_, _>>()?;
    let configs: Vec<(usize, usize)> = a
        .configs
        .iter()
        .map(|c| parse_config(c))
        .collect::<anyhow::Result<_>>()?;

    if !a.json {
        println!(
            "{:<14} {:>8} {:>12} {:>12} {:>14} {:>10}",
            "model", "config", "train ms", "fwd ms", "cached fwd ms", "peak MB"
        );
    }
    for &id in &ids {
        for &(depth, width) in &configs {
            let row = bench_one(id, depth, width, a.steps, a.seed)?;
            if a.json {
                println!("{row}");
            } else {
                println!(
                    "{:<14} {:>8} {:>12.3} {:>12.3} {:>14.4} {:>10.1}",
                    id.name(),
                    format!("{depth}x{width}"),
                    row["ms_per_step"].as_f64().unwrap_or(f64::NAN),
                    row["ms_per_forward"].as_f64().unwrap_or(f64::NAN),
                    row["ms_per_forward_cached"].as_f64().unwrap_or(f64::NAN),
                    row["peak_rss_kb"].as_f64().unwrap_or(f64::NAN) / 1024.0,
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_config(text: &str) -> anyhow::Result<(usize, usize)> {
    let parsed = text
        .split_once('x')
        .and_then(|(d, w)| Some((d.trim().parse().ok()?, w.trim().parse().ok()?)));
    match parsed {
        Some((d, w)) if d >= 1 && w >= 1 => Ok((d, w)),
        _ => anyhow::bail!(
            "invalid configuration {text:?}: write depth×width as DxW with both ≥ 1, for example 8x64"
        ),
    }
}

fn bench_one(
    id: ModelId,
    depth: usize,
    width: usize,
    steps: usize,
    seed: u64,
) -> anyhow::Result<serde_json::Value> {
    let arch = ArchParams::new(id, N_IN, N_OUT, vec![width; depth], 1.0).check()?;
    let mut store = ParamStore::new();
    let mut rng = tape::rng::stream(seed, "bench-init");
    let net = model::build(&arch, &mut store, &mut rng)?;

    let mut data_rng = tape::rng::stream(seed, "bench-data");
    let x = tape::rng::normal_mat(&mut data_rng, BATCH, N_IN, 1.0);
    let y: Vec<usize> = (0..BATCH)
        .map(|_| data_rng.random_range(0..N_OUT))
        .collect();

    let mut tape = Tape::new();
    let mut adam = Adam::new(AdamConfig::default());
    for _ in 0..WARMUP {
        train_step(net.as_ref(), &mut store, &mut tape, &mut adam, &x, &y)?;
    }
    let step = time_ms(steps, || {
        train_step(net.as_ref(), &mut store, &mut tape, &mut adam, &x, &y)
    })?;
    let fwd = time_ms(steps, || forward(net.as_ref(), &store, &mut tape, &x))?;

    let eff = net.network(&store)?;
    let cached = time_ms(steps, || {
        std::hint::black_box(eff.forward(x.as_ref()));
        Ok(())
    })?;

    Ok(json!({
        "model": id.name(),
        "depth": depth,
        "width": width,
        "dtype": "f64",
        "batch": BATCH,
        "steps": steps,
        "ms_per_step": step.mean,
        "ms_per_step_median": step.median,
        "ms_per_forward": fwd.mean,
        "ms_per_forward_median": fwd.median,
        "ms_per_forward_cached": cached.mean,
        "peak_rss_kb": peak_rss_kb(),
    }))
}

fn train_step(
    net: &dyn LipModel,
    store: &mut ParamStore,
    tape: &mut Tape,
    adam: &mut Adam,
    x: &faer::Mat<f64>,
    y: &[usize],
) -> anyhow::Result<()> {
    tape.reset();
    tape.set_requires_grad(true);
    let xv = tape.constant(x.clone());
    let z = net.forward(tape, store, xv)?;
    let loss = tape.cross_entropy(z, y);
    let grads = tape.backward(loss);
    adam.step(store, &grads);
    Ok(())
}

fn forward(
    net: &dyn LipModel,
    store: &ParamStore,
    tape: &mut Tape,
    x: &faer::Mat<f64>,
) -> anyhow::Result<()> {
    tape.reset();
    tape.set_requires_grad(false);
    let xv = tape.constant(x.clone());
    let z = net.forward(tape, store, xv)?;
    std::hint::black_box(tape.value(z));
    tape.set_requires_grad(true);
    Ok(())
}

/// Mean and median of repeated timings, in milliseconds.
struct Timing {
    mean: f64,
    median: f64,
}

/// Times `n` calls of `f`.
fn time_ms(n: usize, mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<Timing> {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        f()?;
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    Ok(Timing {
        mean: times.iter().sum::<f64>() / n as f64,
        median: times[n / 2],
    })
}

/// Returns the peak resident set size (VmHWM) in KiB, or null off Linux.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
