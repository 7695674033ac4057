//! `lipnet stress`: check the certificate on many random small networks.

use clap::Args;
use lipnet::model::ModelId;
use lipnet::stress::stress;
use std::process::ExitCode;

/// Arguments of `lipnet stress`.
#[derive(Debug, Args)]
pub struct StressArgs {
    /// Model ids, comma-separated.
    #[arg(long, default_value = "ldlt-res,ldlt-seq", value_delimiter = ',')]
    pub models: Vec<String>,
    /// Random networks per model id.
    #[arg(long, default_value_t = 300)]
    pub nets: usize,
    /// Seed of the network distribution.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print one JSON line per model id instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: StressArgs) -> anyhow::Result<ExitCode> {
    let ids: Vec<ModelId> = a
        .models
        .iter()
        .map(|m| ModelId::parse(m))
        .collect::<Result<_, _>>()?;
    if let Some(id) = ids.iter().find(|id| id.is_baseline()) {
        anyhow::bail!(
            "invalid --models {id}: stress checks the LMI of LDLᵀ networks; use ldlt-res, ldlt-seq, ldlt-res-ref or ldlt-seq-ref"
        );
    }
    let mut all_pass = true;

    for id in ids {
        let report = stress(id, a.nets, a.seed)?;
        let pass = report.lmi_failures == 0 && report.pattern_violations == 0;
        all_pass &= pass || id.variant() != lipnet::ldlt::Variant::Certified;

        if a.json {
            println!("{}", serde_json::to_string(&report)?);
        } else {
            println!(
                "{:<14} {} nets: {} LMI failures, {} exceed L; worst λ_max/max(1,L²) {:.2e}, worst exhaustive/L {:.9}",
                report.model,
                report.nets,
                report.lmi_failures,
                report.pattern_violations,
                report.worst_lmi_normalized,
                report.worst_exhaustive_over_lip
            );
        }
    }

    // Only a certified model that fails is an error; reference variants are expected to fail.
    Ok(if all_pass {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
