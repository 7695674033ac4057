//! `rebasin bench`: timing of weight matching on the portable MLP pair.
//!
//! The pair is regenerated with the portable generator (A = seed 0, B = seed 1),
//! the group orders are replayed from a golden file, and the same matching runs
//! `--repeats` times in one process: the first call is the cold one, the median
//! of the rest the warm time. The permutations are compared with the golden ones.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use rebasin::lap::LsapSolver;
use rebasin::model::Model;
use rebasin::perm::Perms;
use rebasin::prng::portable_mlp;
use rebasin::spec::{Layout, PermSpec};
use rebasin::wm::{Order, Precision, WmOptions, WmParams, WmReport, weight_matching};
use serde_json::{Value, json};

use super::{read_json_value, write_json};

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// `wm_golden_portable.json` with the replayed orders and reference perms.
    #[arg(long)]
    golden: PathBuf,
    /// Case of the golden file (`mlp512` or `mlp2048`).
    #[arg(long, default_value = "mlp512")]
    case: String,
    /// Matching calls in one process (the first is the cold one).
    #[arg(long, default_value_t = 6, allow_negative_numbers = true, value_parser = super::whole::<usize>)]
    repeats: usize,
    /// Use f32 GEMMs (relative progress tolerance 1e-9).
    #[arg(long)]
    f32: bool,
    /// Also write the pair as a.safetensors and b.safetensors and the orders as
    /// orders.json into this folder, for timing `rebasin match` as a process.
    #[arg(long)]
    write_pair: Option<PathBuf>,
    /// No effect: the group orders are replayed from the golden file.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true, value_parser = super::whole::<u64>)]
    seed: u64,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

pub fn run(a: &BenchArgs) -> Result<()> {
    if let Some(dir) = &a.write_pair {
        for name in ["a.safetensors", "b.safetensors", "orders.json"] {
            datasets::check_not_input(&dir.join(name), &[&a.golden])?;
        }
    }
    if a.repeats < 2 {
        bail!(
            "invalid --repeats {}: use at least 2 (one cold and one warm call)",
            a.repeats
        );
    }

    let golden = read_json_value(&a.golden)?;
    let case = &golden["cases"][&a.case];
    let sizes = usize_list(&case["sizes"]).with_context(|| {
        format!(
            "{} has no case {:?} with sizes; use mlp512 or mlp2048",
            a.golden.display(),
            a.case
        )
    })?;
    let orders: Vec<Vec<usize>> = golden["orders_seed0_3groups"]
        .as_array()
        .and_then(|o| o.iter().map(usize_list).collect())
        .context("the golden file has no orders_seed0_3groups list")?;

    let model_a = portable_mlp(&sizes, 0);
    let model_b = portable_mlp(&sizes, 1);
    let spec = PermSpec::mlp(&model_a, Layout::Torch)?;
    if let Some(dir) = &a.write_pair {
        write_pair(dir, &model_a, &model_b, &orders)?;
    }

    let options = WmParams {
        order: Order::Replay(orders),
        precision: if a.f32 {
            Precision::F32
        } else {
            Precision::F64
        },
        tol_rel: if a.f32 { 1e-9 } else { 0.0 },
        ..WmParams::default()
    }
    .check()?;

    let timing = time_matching(&spec, &model_a, &model_b, &options, a.repeats)?;
    let (seconds, cpu_seconds, report) = (timing.seconds, timing.cpu_seconds, timing.report);

    let reference = Perms::from_json(&json!({"groups": case["perm"]}), &spec)?;
    let warm = median(&seconds[1..]);
    let out = json!({
        "case": a.case, "sizes": sizes, "precision": if a.f32 { "f32" } else { "f64" },
        "sweeps": report.sweeps, "objective": report.objective_final(),
        "l2_after": report.l2_after, "perms_equal_golden": report.perms == reference,
        "cold_seconds": seconds[0], "warm_median_seconds": warm,
        "warm_min_seconds": seconds[1..].iter().copied().fold(f64::INFINITY, f64::min),
        "warm_max_seconds": seconds[1..].iter().copied().fold(0.0, f64::max),
        "seconds": seconds,
        "warm_median_cpu_seconds": (cpu_seconds.len() == seconds.len()).then(|| median(&cpu_seconds[1..])),
        "cpu_seconds": cpu_seconds,
    });

    if a.json {
        super::say(serde_json::to_string_pretty(&out)?)?;
    } else {
        super::say(format_args!(
            "{}: {}, cold {:.3} s, warm median {warm:.3} s; perms equal the golden ones: {}",
            a.case,
            super::count(report.sweeps, "sweep"),
            seconds[0],
            report.perms == reference
        ))?;
    }
    Ok(())
}

/// Wall and CPU seconds of each matching call, and the last call's report.
struct Timing {
    seconds: Vec<f64>,
    cpu_seconds: Vec<f64>,
    report: WmReport,
}

/// Runs the same weight matching `repeats` ≥ 1 times and times each call.
fn time_matching(
    spec: &PermSpec,
    model_a: &Model,
    model_b: &Model,
    options: &WmOptions,
    repeats: usize,
) -> Result<Timing> {
    let mut seconds = Vec::new();
    let mut cpu_seconds = Vec::new();
    let mut report = None;
    for _ in 0..repeats {
        let start = Instant::now();
        let cpu_start = process_cpu_seconds();
        let r = weight_matching(spec, model_a, model_b, options, &LsapSolver)?;
        seconds.push(start.elapsed().as_secs_f64());
        if let (Some(t0), Some(t1)) = (cpu_start, process_cpu_seconds()) {
            cpu_seconds.push(t1 - t0);
        }
        report = Some(r);
    }
    Ok(Timing {
        seconds,
        cpu_seconds,
        report: report.expect("repeats ≥ 1"),
    })
}

fn write_pair(dir: &std::path::Path, a: &Model, b: &Model, orders: &[Vec<usize>]) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    rebasin::io::write_model(&dir.join("a.safetensors"), a)?;
    rebasin::io::write_model(&dir.join("b.safetensors"), b)?;
    write_json(&dir.join("orders.json"), &json!(orders))
}

/// User plus system CPU time of this process from `/proc/self/stat` (Linux,
/// where the kernel reports it in units of USER_HZ = 1/100 s); `None` elsewhere.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses: state is the
    // first, utime the 12th and stime the 13th.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn usize_list(v: &Value) -> Option<Vec<usize>> {
    v.as_array()?
        .iter()
        .map(|x| x.as_u64().map(|n| n as usize))
        .collect()
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        0.5 * (s[n / 2 - 1] + s[n / 2])
    }
}
