//! `rebasin match`: weight matching of model B to model A.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use rebasin::am::{AmStatistic, activation_matching, activation_matching_cnn};
use rebasin::cnn::Cnn;
use rebasin::lap::LsapSolver;
use rebasin::model::Model;
use rebasin::nn::functional_check;
use rebasin::perm::Perms;
use rebasin::spec::PermSpec;
use rebasin::ste::{SteReport, straight_through};
use rebasin::wm::{Order, Precision, WmParams, WmReport, weight_matching};
use serde_json::{Map, Value, json};

use super::{DIGITS_IMAGE, DataArgs, SpecArgs, SteArgs, read_model, write_json};

#[derive(Debug, Args)]
pub struct MatchArgs {
    /// Target model A (never changed).
    a: PathBuf,
    /// Source model B (permuted).
    b: PathBuf,
    #[command(flatten)]
    spec: SpecArgs,
    /// Output safetensors file with π(B).
    #[arg(short = 'o', long)]
    output: PathBuf,
    /// Also write the permutations as rebasin-perms/1 JSON.
    #[arg(long)]
    perms: Option<PathBuf>,
    /// Seed of the random group order.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true, value_parser = super::whole::<u64>)]
    seed: u64,
    /// Maximum number of sweeps.
    #[arg(long, default_value_t = 100, allow_negative_numbers = true, value_parser = super::whole::<usize>)]
    max_iter: usize,
    /// Group order: random, fixed or replay:FILE (JSON list of per-sweep orders).
    #[arg(long, default_value = "random")]
    order: String,
    /// Runs with seeds seed..seed+R−1, keeping the largest objective.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true, value_parser = super::whole::<usize>)]
    restarts: usize,
    /// Precision of the score-matrix products.
    #[arg(long, value_enum, default_value_t = PrecisionArg::F64)]
    precision: PrecisionArg,
    /// Relative progress tolerance (default 0 in f64, 1e-9 in f32).
    #[arg(long, allow_negative_numbers = true)]
    tol_rel: Option<f64>,
    /// Warm start from a rebasin-perms/1 file.
    #[arg(long)]
    init: Option<PathBuf>,
    /// Skip the functional check of π(B) against B on the built-in forward
    /// (MLP, or vgg and resnet20 presets).
    #[arg(long)]
    no_check: bool,
    /// Write the spec used as rebasin-spec/1 JSON.
    #[arg(long)]
    dump_spec: Option<PathBuf>,
    /// Write the report JSON to a file.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Matching method: weight matching, activation matching or the
    /// straight-through estimator. The last two use the training split of
    /// `--data`. Activation matching needs the built-in MLP or the `vgg` or
    /// `resnet20` preset (on 1×8×8 digits images). STE needs the built-in MLP.
    #[arg(long, value_enum, default_value_t = MethodArg::Wm)]
    method: MethodArg,
    /// Activation statistic of `--method am`.
    #[arg(long, value_enum, default_value_t = AmStatArg::Cross)]
    am_stat: AmStatArg,
    #[command(flatten)]
    ste: SteArgs,
    #[command(flatten)]
    data: DataArgs,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum MethodArg {
    /// Weight matching.
    Wm,
    /// Activation matching.
    Am,
    /// Straight-through estimator.
    Ste,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum AmStatArg {
    /// C/(N−1) + ā b̄ᵀ.
    Cross,
    /// Pearson correlation.
    Pearson,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum PrecisionArg {
    F64,
    F32,
}

/// Parses `random|fixed|replay:FILE`.
pub fn parse_order(order: &str, seed: u64) -> Result<Order> {
    match order {
        "random" => Ok(Order::Random { seed }),
        "fixed" => Ok(Order::Fixed),
        other => match other.strip_prefix("replay:") {
            Some(path) => {
                let list: Vec<Vec<usize>> = rebasin::io::read_json(Path::new(path))?;
                Ok(Order::Replay(list))
            }
            None => bail!("invalid --order {other:?}: use random, fixed or replay:FILE"),
        },
    }
}

/// Builds the JSON report of a weight-matching run.
pub fn report_json(spec: &PermSpec, b: &Model, r: &WmReport, order: &str) -> Value {
    let mut groups = Map::new();
    for (name, c) in spec.groups.iter().zip(&r.perms.perms) {
        let moved = c.iter().enumerate().filter(|(i, x)| *i != **x).count();
        groups.insert(name.clone(), json!({"size": c.len(), "moved": moved}));
    }
    json!({
        "method": "wm", "order": order, "seed": r.seed, "solver": "lsap",
        "l2_before": r.l2_before, "l2_after": r.l2_after,
        "sweeps": r.sweeps, "converged": r.converged,
        "objective_before": r.objective_before, "objective_trace": r.objective_trace,
        "seconds": r.seconds, "unpermuted": spec.unpermuted(b),
        "groups": groups, "perms": r.perms.to_json()["groups"],
    })
}

pub fn run(a: &MatchArgs) -> Result<()> {
    let mut inputs = vec![a.a.as_path(), a.b.as_path()];
    inputs.extend(a.init.as_deref());
    inputs.extend(a.data.split.as_deref());
    inputs.extend(a.spec.file());
    inputs.extend(a.order.strip_prefix("replay:").map(Path::new));
    super::check_outputs(
        &[
            Some(a.output.as_path()),
            a.perms.as_deref(),
            a.dump_spec.as_deref(),
            a.report.as_deref(),
        ],
        &inputs,
    )?;
    let model_a = read_model(&a.a)?;
    let model_b = read_model(&a.b)?;
    model_a.check_same_layout(
        &model_b,
        (&a.a.display().to_string(), &a.b.display().to_string()),
    )?;
    let spec = a.spec.resolve(&model_a)?;
    let precision = match a.precision {
        PrecisionArg::F64 => Precision::F64,
        PrecisionArg::F32 => Precision::F32,
    };
    let default_tol_rel = if precision == Precision::F32 {
        1e-9
    } else {
        0.0
    };
    let init = match &a.init {
        Some(path) => Some(Perms::from_json(&rebasin::io::read_json(path)?, &spec)?),
        None => None,
    };
    let options = WmParams {
        max_iter: a.max_iter,
        order: parse_order(&a.order, a.seed)?,
        tol_rel: a.tol_rel.unwrap_or(default_tol_rel),
        precision,
        init,
        restarts: a.restarts,
        ..WmParams::default()
    }
    .check()?;
    let (report, ste) = match a.method {
        MethodArg::Wm => (
            weight_matching(&spec, &model_a, &model_b, &options, &LsapSolver)?,
            None,
        ),
        MethodArg::Am | MethodArg::Ste => data_driven_report(a, &spec, &model_a, &model_b)?,
    };
    let mut aligned = report.perms.apply(&spec, &model_b);
    // A JSON spec may describe a network the built-in CNN forwards do not
    // model, so only presets and plain MLPs are checked.
    let preset = matches!(a.spec.spec.as_str(), "mlp" | "vgg" | "resnet20");
    if !a.no_check && (preset || rebasin::nn::Mlp::from_model(&model_b).is_ok()) {
        functional_check(&model_b, &aligned)?;
    }
    aligned
        .metadata
        .insert("rebasin.perms".into(), report.perms.to_json().to_string());
    aligned
        .metadata
        .insert("rebasin.version".into(), env!("CARGO_PKG_VERSION").into());
    let mut json = report_json(&spec, &model_b, &report, &a.order);
    match a.method {
        MethodArg::Wm => {}
        MethodArg::Am => json["method"] = json!("am"),
        MethodArg::Ste => json["method"] = json!("ste"),
    }
    if let Some(ste) = &ste {
        json["ste"] = json!({
            "epochs": a.ste.ste_epochs, "steps": ste.steps,
            "best_step": ste.best_step, "best_epoch": ste.best_epoch,
            "loss": ste.loss, "loss_above_endpoints": ste.loss_above_endpoints,
        });
    }
    write_outputs(a, &spec, &aligned, &report, &json)?;
    if a.json {
        return super::say(serde_json::to_string_pretty(&json)?);
    }
    let progress = match (&ste, a.method) {
        (Some(ste), _) => format!(
            "after {} ({}; kept the permutations of epoch {}, step {})",
            super::count(a.ste.ste_epochs, "epoch"),
            super::count(ste.steps, "step"),
            ste.best_epoch,
            ste.best_step
        ),
        (None, MethodArg::Am) => "in one assignment per group".to_string(),
        (None, _) => format!(
            "in {} ({})",
            super::count(report.sweeps, "sweep"),
            if report.converged {
                "converged"
            } else {
                "max_iter reached"
            }
        ),
    };
    super::say(format_args!(
        "L2 {:.6} -> {:.6} {progress}; wrote {}",
        report.l2_before,
        report.l2_after,
        a.output.display()
    ))
}

fn write_outputs(
    a: &MatchArgs,
    spec: &PermSpec,
    aligned: &Model,
    report: &WmReport,
    json: &Value,
) -> Result<()> {
    if let Some(path) = &a.dump_spec {
        write_json(path, &spec.to_json())?;
    }
    if let Some(path) = &a.perms {
        write_json(path, &report.perms.to_json())?;
    }
    if let Some(path) = &a.report {
        write_json(path, json)?;
    }
    rebasin::io::write_model(&a.output, aligned)?;
    Ok(())
}

/// Runs activation matching or STE on the training split and wraps the result in
/// a report (sweeps = 1), with the STE report when STE ran.
fn data_driven_report(
    a: &MatchArgs,
    spec: &PermSpec,
    model_a: &Model,
    model_b: &Model,
) -> Result<(WmReport, Option<SteReport>)> {
    let start = std::time::Instant::now();
    let data = a.data.load()?;
    let cnn = match a.spec.spec.as_str() {
        "vgg" => Some(Cnn::vgg as fn(_) -> _),
        "resnet20" => Some(Cnn::resnet as fn(_) -> _),
        _ => None,
    };
    let mut ste = None;
    let perms = if a.method == MethodArg::Ste {
        if cnn.is_some() {
            bail!(
                "--method ste needs the built-in MLP; for --spec {} use --method wm or --method am",
                a.spec.spec
            );
        }
        let options = a.ste.options(a.seed)?;
        let (x, y) = (data.train_x.as_ref(), &data.train_y);
        let report = straight_through(spec, model_a, model_b, x, y, &options)?;
        let perms = report.perms.clone();
        ste = Some(report);
        perms
    } else {
        let statistic = match a.am_stat {
            AmStatArg::Cross => AmStatistic::Cross,
            AmStatArg::Pearson => AmStatistic::Pearson,
        };
        let x = data.train_x.as_ref();
        match cnn {
            Some(forward) => activation_matching_cnn(
                spec,
                (model_a, model_b),
                forward,
                x,
                DIGITS_IMAGE,
                statistic,
                &LsapSolver,
            )?,
            None => activation_matching(model_a, model_b, x, statistic, &LsapSolver)?,
        }
    };
    if perms.groups != spec.groups {
        bail!(
            "activation matching needs the mlp, vgg or resnet20 preset and STE the mlp preset, but the spec has groups {:?}",
            spec.groups
        );
    }
    let objective = |m: &Model| model_a.inner_product(m);
    let aligned = perms.apply(spec, model_b);
    let report = WmReport {
        sweeps: 1,
        converged: true,
        objective_before: objective(model_b),
        objective_trace: vec![objective(&aligned)],
        l2_before: model_a.l2_distance(model_b),
        l2_after: model_a.l2_distance(&aligned),
        seed: None,
        seconds: start.elapsed().as_secs_f64(),
        perms,
    };
    Ok((report, ste))
}
