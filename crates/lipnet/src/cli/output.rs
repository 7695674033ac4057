//! Text and JSON output of the commands.

use lipnet::metrics::REPORT_EPS;
use lipnet::model::{Arch, format_widths};
use lipnet::report::EvalReport;
use lipnet::train::TrainReport;
use serde_json::{Value, json};

/// The result of a training run with its evaluation.
pub struct Outcome {
    pub dataset: String,
    pub n_train: usize,
    pub n_test: usize,
    pub n_features: usize,
    pub n_classes: usize,
    pub arch: Arch,
    pub epochs: usize,
    pub seed: u64,
    pub training: TrainReport,
    pub eval: EvalReport,
    pub seconds: f64,
}

impl Outcome {
    /// Returns the JSON object documented for `demo` and `train`.
    pub fn to_json(&self) -> Value {
        let model = self.arch.model();
        json!({
            "dataset": self.dataset,
            "n_train": self.n_train,
            "n_test": self.n_test,
            "n_features": self.n_features,
            "n_classes": self.n_classes,
            "model": model.name(),
            "variant": model.variant().name(),
            "lip": self.arch.lip(),
            "widths": self.arch.widths(),
            "epochs": self.epochs,
            "seed": self.seed,
            "steps": self.training.steps,
            "final_loss": self.training.final_loss,
            "train_seconds": self.training.seconds,
            "clean_acc": self.eval.clean_acc,
            "cra": self.eval.cra,
            "lip_bound": self.eval.lip_bound,
            "lmi_max_eig": self.eval.lmi_max_eig,
            // Baselines have no LDLᵀ form, so no LMI ran: report null, not a pass.
            "lmi_pass": (!self.eval.lmi_max_eig.is_nan()).then_some(self.eval.lmi_pass),
            "sampled_jac_max": self.eval.sampled_jac_max,
            "exhaustive": self.eval.exhaustive,
            "naive_bound": self.eval.naive_bound,
            "verified": self.eval.verified,
            "seconds": self.seconds,
        })
    }
}

/// Prints the outcome as text, or as one JSON object when `json` is set.
pub fn print_outcome(o: &Outcome, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(&o.to_json())?);
        return Ok(());
    }

    let model = o.arch.model();
    println!(
        "data      {}: {} features, {} classes, {} train / {} test rows",
        o.dataset, o.n_features, o.n_classes, o.n_train, o.n_test
    );
    println!("          ε is measured in the network's input units, after preprocessing");
    println!(
        "model     {} ({}), L = {}, widths {}",
        model.name(),
        model.variant().name(),
        o.arch.lip(),
        format_widths(o.arch.widths())
    );
    println!(
        "training  {} epochs, {} steps in {:.2} s, final loss {:.4}",
        o.epochs, o.training.steps, o.training.seconds, o.training.final_loss
    );
    print_eval(&o.eval);
    Ok(())
}

/// Prints accuracy, certified accuracy and the certificate checks.
pub fn print_eval(e: &EvalReport) {
    println!("clean accuracy                {:.4}", e.clean_acc);
    for (label, _) in REPORT_EPS {
        println!("certified accuracy ε={label:<8} {:.4}", e.cra[label]);
    }
    println!("Lipschitz bound L             {}", e.lip_bound);
    if e.lmi_max_eig.is_nan() {
        println!("LMI λ_max                     n/a (not an LDLᵀ network)");
    } else {
        println!(
            "LMI λ_max                     {:.3e}  {}",
            e.lmi_max_eig,
            pass_fail(e.lmi_pass)
        );
    }
    if let Some(x) = e.exhaustive {
        println!("exhaustive pattern bound      {x:.6}");
    }
    println!(
        "largest sampled ‖J‖           {}  (bound {})  {}",
        fmt_value(e.sampled_jac_max),
        e.lip_bound,
        pass_fail(e.sampled_jac_max <= e.lip_bound * (1.0 + lipnet::report::SAMPLED_SLACK))
    );
    println!(
        "certificate                   {}",
        if e.verified { "VERIFIED" } else { "FAILED" }
    );
}

/// Formats a value with 6 decimals, or in scientific notation when it is
/// small or large enough that fixed decimals would hide it.
fn fmt_value(x: f64) -> String {
    if x == 0.0 || (1e-3..1e4).contains(&x.abs()) {
        format!("{x:.6}")
    } else {
        format!("{x:.6e}")
    }
}

fn pass_fail(ok: bool) -> &'static str {
    if ok { "PASS" } else { "FAIL" }
}

/// Joins an error and its causes into one line, skipping a cause whose text
/// the previous message already contains.
pub fn one_sentence(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}
