//! The `mnn` command: Matrix Nuclear-Norm and Matrix Entropy of hidden states.
//!
//! ```text
//! mnn matrix --input hidden.npy --json
//! mnn bench metrics --shapes 256x768,512x2048 --repeat 7 --out bench.jsonl
//! mnn score --model SmolLM2-135M-Instruct.Q4_1.gguf --input texts.jsonl --field output
//! ```
//!
//! Errors print one line `error: …` on stderr and exit with status 1; usage
//! errors exit with status 2. A closed stdout pipe ends the run quietly with
//! status 0.

mod cli;

use clap::{Parser, Subcommand};

const ABOUT: &str =
    "Matrix Nuclear-Norm (MNN) and Matrix Entropy (ME) of language-model hidden states";

const LONG_ABOUT: &str = "\
Matrix Nuclear-Norm (MNN) and Matrix Entropy (ME) of language-model hidden states.

Both centre the N × d hidden-state matrix over tokens and scale each row to unit length.
MNN sums the min(N, d) largest column norms and divides by N; ME is the entropy of the
token covariance divided by ln d, and erank is exp of that entropy.

Caveats: MNN is bounded by sqrt(min(N, d) / N), so short texts score high and small-d
models on long texts score low. MNN depends on the basis of the hidden axes (a rotation
changes it; ME does not). In the published model comparisons its rank correlation with
accuracy ranged from -0.64 to +0.14. This tool reports the numbers; it does not endorse
them as quality scores.";

#[derive(Parser)]
#[command(name = "mnn", version, about = ABOUT, long_about = LONG_ABOUT)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scores one N × d matrix of hidden states read from a `.npy` file.
    Matrix(cli::matrix::MatrixArgs),
    /// Benchmarks of the metric step.
    #[command(subcommand)]
    Bench(cli::bench::BenchCommand),
    /// Scores every text of a JSONL file with one model (MNN, ME, loss).
    #[cfg(feature = "models")]
    Score(cli::score::ScoreArgs),
    /// Scores one data set with several models and prints one row per model.
    #[cfg(feature = "models")]
    Compare(cli::compare::CompareArgs),
    /// Diff-eRank: erank of an untrained model minus erank of the trained one.
    #[cfg(feature = "models")]
    DiffErank(cli::diff_erank::DiffErankArgs),
    /// Prints a model's architecture, sizes and tokenizer facts.
    #[cfg(feature = "models")]
    Info(cli::info::InfoArgs),
    /// Prints the token ids a model gives a text.
    #[cfg(feature = "models")]
    Tokenize(cli::tokenize::TokenizeArgs),
    /// Needs a build with `--features models`.
    #[cfg(not(feature = "models"))]
    Score(cli::no_models::ModelArgs),
    /// Needs a build with `--features models`.
    #[cfg(not(feature = "models"))]
    Compare(cli::no_models::ModelArgs),
    /// Needs a build with `--features models`.
    #[cfg(not(feature = "models"))]
    DiffErank(cli::no_models::ModelArgs),
    /// Needs a build with `--features models`.
    #[cfg(not(feature = "models"))]
    Info(cli::no_models::ModelArgs),
    /// Needs a build with `--features models`.
    #[cfg(not(feature = "models"))]
    Tokenize(cli::no_models::ModelArgs),
}

fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Matrix(args) => cli::matrix::run(&args),
        Command::Bench(command) => cli::bench::run(&command),
        #[cfg(feature = "models")]
        Command::Score(args) => cli::score::run(&args),
        #[cfg(feature = "models")]
        Command::Compare(args) => cli::compare::run(&args),
        #[cfg(feature = "models")]
        Command::DiffErank(args) => cli::diff_erank::run(&args),
        #[cfg(feature = "models")]
        Command::Info(args) => cli::info::run(&args),
        #[cfg(feature = "models")]
        Command::Tokenize(args) => cli::tokenize::run(&args),
        #[cfg(not(feature = "models"))]
        Command::Score(args) => cli::no_models::run("score", &args),
        #[cfg(not(feature = "models"))]
        Command::Compare(args) => cli::no_models::run("compare", &args),
        #[cfg(not(feature = "models"))]
        Command::DiffErank(args) => cli::no_models::run("diff-erank", &args),
        #[cfg(not(feature = "models"))]
        Command::Info(args) => cli::no_models::run("info", &args),
        #[cfg(not(feature = "models"))]
        Command::Tokenize(args) => cli::no_models::run("tokenize", &args),
    };
    if let Err(e) = result {
        if is_broken_pipe(&e) {
            // The reader of stdout has gone (for example `| head -1`), which
            // is a normal way to stop reading, not a failure.
            return;
        }
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

/// Whether any error in the chain is an EPIPE from writing to a closed pipe.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
