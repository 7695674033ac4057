//! `rebasin barrier`: loss and accuracy curves along the linear path.

use std::fmt::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use rebasin::barrier::{Barriers, Curve, interpolation_curve, lambdas};
use rebasin::lap::LsapSolver;
use rebasin::model::Model;
use rebasin::perm::Perms;
use rebasin::plot::{PlotSeries, render_svg};
use rebasin::wm::{WmParams, weight_matching};
use serde_json::{Map, Value, json};

use super::{BnArgs, DataArgs, Evaluator, SpecArgs, read_model, write_json};

#[derive(Debug, Args)]
pub struct BarrierArgs {
    /// Model A (λ = 0).
    a: PathBuf,
    /// Model B (λ = 1).
    b: PathBuf,
    #[command(flatten)]
    spec: SpecArgs,
    /// Align B with these permutations (rebasin-perms/1) for the aligned path.
    #[arg(long, conflicts_with = "align")]
    perms: Option<PathBuf>,
    /// Align B by weight matching (`wm`) for the aligned path.
    #[arg(long)]
    align: Option<String>,
    /// Seed of the weight matching of `--align wm`.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true, value_parser = super::whole::<u64>)]
    seed: u64,
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    bn: BnArgs,
    /// Number of evenly spaced λ values from 0 to 1 (an even count gains λ = ½,
    /// so that the midpoint values are always at λ = ½).
    #[arg(long, default_value_t = 25, allow_negative_numbers = true, value_parser = super::whole::<usize>)]
    lambdas: usize,
    /// Curve JSON output.
    #[arg(long)]
    out_json: Option<PathBuf>,
    /// Curve CSV output (path,split,lambda,loss,acc).
    #[arg(long)]
    csv: Option<PathBuf>,
    /// SVG plot output.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Print the barriers as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// Curves of one path on both splits.
struct PathCurves {
    name: &'static str,
    train: Curve,
    test: Curve,
}

pub fn run(a: &BarrierArgs) -> Result<()> {
    let mut inputs = vec![a.a.as_path(), a.b.as_path()];
    inputs.extend(a.perms.as_deref());
    inputs.extend(a.data.split.as_deref());
    inputs.extend(a.spec.file());
    super::check_outputs(
        &[a.out_json.as_deref(), a.csv.as_deref(), a.plot.as_deref()],
        &inputs,
    )?;
    let model_a = read_model(&a.a)?;
    let model_b = read_model(&a.b)?;
    model_a.check_same_layout(
        &model_b,
        (&a.a.display().to_string(), &a.b.display().to_string()),
    )?;
    let grid = lambdas(a.lambdas)?;
    let data = a.data.load()?;
    let eval = Evaluator::new(&a.spec, &a.bn, &data)?;
    a.spec.check_mlp_names(&model_a, &a.a)?;
    let mut paths = vec![curves("naive", &model_a, &model_b, &grid, &eval)?];
    if let Some(aligned) = aligned_b(a, &model_a, &model_b)? {
        paths.push(curves("aligned", &model_a, &aligned, &grid, &eval)?);
    }
    let json = curve_json(&grid, &paths);
    if let Some(path) = &a.out_json {
        write_json(path, &json)?;
    }
    if let Some(path) = &a.csv {
        rebasin::io::write_atomic(path, curve_csv(&grid, &paths).as_bytes())?;
    }
    if let Some(path) = &a.plot {
        rebasin::io::write_atomic(path, plot(&grid, &paths, &json).as_bytes())?;
    }
    if a.json {
        super::say(serde_json::to_string_pretty(&json["barriers"])?)?;
    } else {
        for p in &paths {
            let b = Barriers::from_curve(&grid, &p.test.loss, &p.test.acc);
            super::say(format_args!(
                "{}: test loss barrier {:.4} (linear), {:.4} (mean); midpoint test acc {:.2}%",
                p.name,
                b.loss_linear,
                b.loss_mean,
                100.0 * b.mid_acc
            ))?;
        }
    }
    Ok(())
}

fn aligned_b(a: &BarrierArgs, model_a: &Model, model_b: &Model) -> Result<Option<Model>> {
    if a.perms.is_none() && a.align.is_none() {
        return Ok(None);
    }
    let spec = a.spec.resolve(model_a)?;
    let perms = match (&a.perms, a.align.as_deref()) {
        (Some(path), _) => Perms::from_json(&rebasin::io::read_json(path)?, &spec)?,
        (None, Some("wm")) => {
            let options = WmParams {
                order: rebasin::wm::Order::Random { seed: a.seed },
                ..WmParams::default()
            }
            .check()?;
            weight_matching(&spec, model_a, model_b, &options, &LsapSolver)?.perms
        }
        (None, Some(other)) => anyhow::bail!("invalid --align {other:?}: only wm is available"),
        (None, None) => unreachable!("checked above"),
    };
    perms.check(&spec, &spec.validate(model_a)?)?;
    Ok(Some(perms.apply(&spec, model_b)))
}

fn curves(
    name: &'static str,
    a: &Model,
    b: &Model,
    grid: &[f64],
    eval: &Evaluator<'_>,
) -> Result<PathCurves> {
    let on = |train: bool| -> Result<Curve> {
        let mut at = |m: &Model| eval.loss_acc(m, train);
        Ok(interpolation_curve(a, b, grid, &mut at)?)
    };
    Ok(PathCurves {
        name,
        train: on(true)?,
        test: on(false)?,
    })
}

fn curve_json(grid: &[f64], paths: &[PathCurves]) -> Value {
    let mut curves = Map::new();
    let mut barriers = Map::new();
    for p in paths {
        curves.insert(p.name.into(), json!({"train": p.train, "test": p.test}));
        let b = |c: &Curve| Barriers::from_curve(grid, &c.loss, &c.acc);
        barriers.insert(
            p.name.into(),
            json!({"train": b(&p.train), "test": b(&p.test)}),
        );
    }
    json!({"lambdas": grid, "curves": curves, "barriers": barriers})
}

fn curve_csv(grid: &[f64], paths: &[PathCurves]) -> String {
    let mut out = String::from("path,split,lambda,loss,acc\n");
    for p in paths {
        for (split, c) in [("train", &p.train), ("test", &p.test)] {
            for (k, l) in grid.iter().enumerate() {
                let _ = writeln!(out, "{},{split},{l},{},{}", p.name, c.loss[k], c.acc[k]);
            }
        }
    }
    out
}

fn plot(grid: &[f64], paths: &[PathCurves], json: &Value) -> String {
    let mut series = Vec::new();
    for p in paths {
        let colour = if p.name == "naive" {
            "#d62728"
        } else {
            "#1f77b4"
        };
        for (split, c, dashed) in [("test", &p.test, false), ("train", &p.train, true)] {
            series.push(PlotSeries {
                label: format!("{} {split}", p.name),
                colour,
                dashed,
                loss: c.loss.clone(),
                acc: c.acc.clone(),
            });
        }
    }
    let title = match json["barriers"]["aligned"]["test"]["loss_linear"].as_f64() {
        Some(b) => format!("aligned test loss barrier {b:.4} (linear)"),
        None => format!(
            "naive test loss barrier {:.4} (linear)",
            json["barriers"]["naive"]["test"]["loss_linear"]
                .as_f64()
                .unwrap_or(f64::NAN)
        ),
    };
    render_svg(&title, grid, &series)
}
