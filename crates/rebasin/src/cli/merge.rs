//! `rebasin merge`: N ≥ 2 models into one.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use rebasin::barrier::n_model_barrier;
use rebasin::merge::{MergeMethod, MergeOptions, MergeParams, MergeReport, merge_models};
use rebasin::model::Model;
use rebasin::spec::PermSpec;
use rebasin::ste_many::straight_through_many;
use serde_json::{Value, json};

use super::{
    BnArgs, DataArgs, Evaluator, SpecArgs, SteArgs, parse_dtype, read_model, set_float_dtype,
};

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Input models (at least 2).
    models: Vec<PathBuf>,
    #[command(flatten)]
    spec: SpecArgs,
    /// Output safetensors file with the merged model.
    #[arg(short = 'o', long)]
    output: PathBuf,
    /// Merge method.
    #[arg(long, value_enum, default_value_t = MethodArg::Mergemany)]
    method: MethodArg,
    /// Comma-separated weights summing to 1 (default 1/N each).
    #[arg(long, allow_hyphen_values = true)]
    weights: Option<String>,
    /// Seed of the model order and the inner weight matching, or of the STE
    /// minibatches and weights.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true, value_parser = super::whole::<u64>)]
    seed: u64,
    /// Folder for the aligned copies π_i(θ_i), written as aligned_{i}.safetensors.
    #[arg(long)]
    aligned_dir: Option<PathBuf>,
    /// Dtype of the merged model (default: the first input's).
    #[arg(long)]
    dtype: Option<String>,
    /// Evaluate endpoints, naive average and merged model on the data set.
    #[arg(long)]
    evaluate: bool,
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    bn: BnArgs,
    #[command(flatten)]
    ste: SteArgs,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum MethodArg {
    /// Iterative MergeMany.
    Mergemany,
    /// Align every model to the first one.
    ToFirst,
    /// N-model straight-through estimator on the training split (built-in
    /// MLP only).
    Ste,
}

fn parse_weights(s: &str) -> Result<Vec<f64>> {
    s.split(',')
        .map(|w| {
            w.trim().parse::<f64>().map_err(|_| {
                anyhow::anyhow!("invalid --weights entry {w:?}: give numbers separated by commas")
            })
        })
        .collect()
}

pub fn run(a: &MergeArgs) -> Result<()> {
    if a.models.len() < 2 {
        bail!(
            "merge needs at least 2 models but {} were given; list two or more .safetensors files",
            a.models.len()
        );
    }
    let mut inputs: Vec<&std::path::Path> = a.models.iter().map(PathBuf::as_path).collect();
    inputs.extend(a.data.split.as_deref());
    inputs.extend(a.spec.file());
    super::check_outputs(&[Some(a.output.as_path())], &inputs)?;
    if let Some(dir) = &a.aligned_dir {
        let aligned: Vec<PathBuf> = (0..a.models.len())
            .map(|i| dir.join(format!("aligned_{i}.safetensors")))
            .collect();
        for path in &aligned {
            datasets::check_not_input(path, &inputs)?;
            datasets::check_not_input(path, &[&a.output])?;
        }
    }
    let models: Vec<Model> = a
        .models
        .iter()
        .map(|p| read_model(p))
        .collect::<Result<_>>()?;
    let spec = a.spec.resolve(&models[0])?;
    if matches!(a.method, MethodArg::Ste) {
        check_ste_models(a, &models[0])?;
    }
    let params = MergeParams {
        method: match a.method {
            MethodArg::ToFirst => MergeMethod::ToFirst,
            MethodArg::Mergemany | MethodArg::Ste => MergeMethod::MergeMany,
        },
        weights: a.weights.as_deref().map(parse_weights).transpose()?,
        seed: a.seed,
        ..MergeParams::default()
    };
    let options = params.check(models.len())?;
    let ste = matches!(a.method, MethodArg::Ste);
    let data = (a.evaluate || a.bn.bn_repair || ste)
        .then(|| a.data.load())
        .transpose()?;
    let (report, ste_json) = match &data {
        Some(d) if ste => ste_merge(a, &spec, &models, &options, d)?,
        _ => (merge_models(&spec, &models, &options)?, Value::Null),
    };
    let eval = data
        .as_ref()
        .map(|d| Evaluator::new(&a.spec, &a.bn, d))
        .transpose()?;
    let mut merged = match &eval {
        Some(e) if a.bn.bn_repair => e.prepare(&report.merged)?,
        _ => report.merged.clone(),
    };
    if let Some(d) = &a.dtype {
        set_float_dtype(&mut merged, parse_dtype(d)?);
    }
    merged
        .metadata
        .insert("rebasin.version".into(), env!("CARGO_PKG_VERSION").into());
    if let Some(dir) = &a.aligned_dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
        for (i, m) in report.aligned.iter().enumerate() {
            rebasin::io::write_model(&dir.join(format!("aligned_{i}.safetensors")), m)?;
        }
    }
    rebasin::io::write_model(&a.output, &merged)?;
    let mut json = json!({
        "method": format!("{:?}", a.method).to_lowercase(), "models": a.models.len(),
        "weights": report.weights, "rounds": report.rounds, "converged": report.converged,
        "perms": report.perms.iter().map(|p| p.to_json()["groups"].clone()).collect::<Vec<Value>>(),
    });
    if !ste_json.is_null() {
        json["ste"] = ste_json;
    }
    if let Some(eval) = eval.as_ref().filter(|_| a.evaluate) {
        json["evaluation"] = evaluate(eval, &models, &report.merged, &report.weights)?;
    }
    if a.json {
        super::say(serde_json::to_string_pretty(&json)?)?;
    } else {
        super::say(format_args!(
            "merged {} models in {}; wrote {}",
            a.models.len(),
            super::count(report.rounds, "round"),
            a.output.display()
        ))?;
        if let Some(evaluation) = json.get("evaluation") {
            super::say(evaluation_text(evaluation))?;
        }
    }
    Ok(())
}

/// Rejects `--method ste` for models other than the built-in MLP, with the
/// same wording as `rebasin match`.
fn check_ste_models(a: &MergeArgs, first: &Model) -> Result<()> {
    let fix = "use --method mergemany or --method to-first";
    if matches!(a.spec.spec.as_str(), "vgg" | "resnet20") {
        bail!(
            "--method ste needs the built-in MLP; for --spec {} {fix}",
            a.spec.spec
        );
    }
    if rebasin::nn::Mlp::from_model(first).is_err() {
        bail!(
            "--method ste needs the built-in MLP (layers.{{i}}.weight and layers.{{i}}.bias \
             tensors), but {} has none; {fix}",
            a.models[0].display()
        );
    }
    Ok(())
}

/// Aligns `models[1..]` to `models[0]` with the N-model STE on the training
/// split and returns the merge report with the STE's steps and losses.
fn ste_merge(
    a: &MergeArgs,
    spec: &PermSpec,
    models: &[Model],
    options: &MergeOptions,
    data: &rebasin::data::Digits,
) -> Result<(MergeReport, Value)> {
    let ste = a.ste.options(a.seed)?;
    let (x, y) = (data.train_x.as_ref(), &data.train_y);
    let r = straight_through_many(spec, models, x, y, &ste)?;
    let aligned: Vec<Model> = models
        .iter()
        .zip(&r.perms)
        .map(|(m, p)| p.apply(spec, m))
        .collect();
    let refs: Vec<&Model> = aligned.iter().collect();
    let report = MergeReport {
        merged: Model::weighted_sum(&refs, options.weights()),
        aligned,
        perms: r.perms,
        rounds: 1,
        converged: true,
        weights: options.weights().to_vec(),
    };
    let json = json!({
        "epochs": a.ste.ste_epochs, "steps": r.steps,
        "best_step": r.best_step, "best_epoch": r.best_epoch,
        "loss": r.loss, "loss_above_endpoints": r.loss_above_endpoints,
    });
    Ok((report, json))
}

/// The test-split evaluation as text: naive average and merged model beside
/// the endpoints' weighted mean.
fn evaluation_text(e: &Value) -> String {
    let num = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let line = |name: &str, v: &Value| {
        format!(
            "{name}: test loss {:.4}, test acc {:.2}%, loss barrier {:.4}, acc barrier {:.4}",
            num(&v["loss"]),
            100.0 * num(&v["acc"]),
            num(&v["barrier_loss"]),
            num(&v["barrier_acc"])
        )
    };
    format!(
        "{}\n{}",
        line("naive average", &e["naive"]),
        line("merged", &e["merged"])
    )
}

fn evaluate(
    ev: &Evaluator<'_>,
    models: &[Model],
    merged: &Model,
    weights: &[f64],
) -> Result<Value> {
    let eval = |m: &Model| -> Result<(f64, f64)> { Ok(ev.loss_acc(m, false)?) };
    let endpoints: Vec<(f64, f64)> = models.iter().map(eval).collect::<Result<_>>()?;
    let refs: Vec<&Model> = models.iter().collect();
    let naive = eval(&Model::weighted_sum(&refs, weights))?;
    let merged_eval = eval(merged)?;
    let (barrier_loss, barrier_acc) = n_model_barrier(merged_eval, &endpoints, weights);
    let (naive_loss, naive_acc) = n_model_barrier(naive, &endpoints, weights);
    Ok(json!({
        "split": "test",
        "endpoints": endpoints.iter().map(|(l, acc)| json!({"loss": l, "acc": acc})).collect::<Vec<_>>(),
        "naive": {"loss": naive.0, "acc": naive.1, "barrier_loss": naive_loss, "barrier_acc": naive_acc},
        "merged": {"loss": merged_eval.0, "acc": merged_eval.1, "barrier_loss": barrier_loss, "barrier_acc": barrier_acc},
    }))
}
