//! `rebasin analyze`: singular-vector alignment before and after matching.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use rebasin::analysis::svd_alignment;
use rebasin::lap::LsapSolver;
use rebasin::perm::Perms;
use rebasin::wm::{Order, WmParams, weight_matching};
use serde_json::json;

use super::{SpecArgs, read_model, write_json};

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Model A.
    a: PathBuf,
    /// Model B.
    b: PathBuf,
    #[command(flatten)]
    spec: SpecArgs,
    /// Permutations of B (rebasin-perms/1); without it B is aligned by weight matching.
    #[arg(long)]
    perms: Option<PathBuf>,
    /// Seed of the weight matching.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true, value_parser = super::whole::<u64>)]
    seed: u64,
    /// Number of leading singular pairs compared.
    #[arg(long, default_value_t = 10, allow_negative_numbers = true, value_parser = super::whole::<usize>)]
    top_k: usize,
    /// Merged model to compare with A and with the aligned B.
    #[arg(long)]
    merged: Option<PathBuf>,
    /// JSON output file.
    #[arg(long)]
    out_json: Option<PathBuf>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    json: bool,
}

pub fn run(a: &AnalyzeArgs) -> Result<()> {
    let mut inputs = vec![a.a.as_path(), a.b.as_path()];
    inputs.extend(a.perms.as_deref());
    inputs.extend(a.merged.as_deref());
    inputs.extend(a.spec.file());
    super::check_outputs(&[a.out_json.as_deref()], &inputs)?;
    let model_a = read_model(&a.a)?;
    let model_b = read_model(&a.b)?;
    model_a.check_same_layout(
        &model_b,
        (&a.a.display().to_string(), &a.b.display().to_string()),
    )?;
    if a.top_k == 0 {
        anyhow::bail!("invalid --top-k 0: compare at least 1 singular pair");
    }
    let spec = a.spec.resolve(&model_a)?;
    let perms = match &a.perms {
        Some(path) => Perms::from_json(&rebasin::io::read_json(path)?, &spec)?,
        None => {
            let options = WmParams {
                order: Order::Random { seed: a.seed },
                ..WmParams::default()
            }
            .check()?;
            weight_matching(&spec, &model_a, &model_b, &options, &LsapSolver)?.perms
        }
    };
    perms.check(&spec, &spec.validate(&model_a)?)?;
    let aligned = perms.apply(&spec, &model_b);
    let mut out = json!({
        "top_k": a.top_k,
        "before": svd_alignment(&model_a, &model_b, a.top_k)?,
        "after": svd_alignment(&model_a, &aligned, a.top_k)?,
    });
    if let Some(path) = &a.merged {
        let merged = read_model(path)?;
        out["merged_vs_a"] = svd_alignment(&merged, &model_a, a.top_k)?;
        out["merged_vs_b"] = svd_alignment(&merged, &aligned, a.top_k)?;
    }
    if let Some(path) = &a.out_json {
        write_json(path, &out)?;
    }
    if a.json {
        super::say(serde_json::to_string_pretty(&out)?)?;
    } else {
        super::say(format_args!(
            "R_mean {:.4} before, {:.4} after matching",
            out["before"]["R_mean"].as_f64().unwrap_or(f64::NAN),
            out["after"]["R_mean"].as_f64().unwrap_or(f64::NAN)
        ))?;
    }
    Ok(())
}
