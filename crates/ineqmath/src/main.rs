//! The `ineqmath` command: the IneqMath final-answer judge on response files.
//!
//! ```text
//! ineqmath score --results dev-responses/zero-shot.json --answer-judge det --json
//! ineqmath equiv 'C=\frac{1}{\sqrt2}' 'C=\frac{\sqrt2}{2}'
//! ineqmath extract --type relation --parity --text 'answer is (D) since x = 1'
//! ineqmath bench --results dev-responses/zero-shot.json --repeat 200
//! ineqmath solve --problems dev.json --base-url http://127.0.0.1:8080/v1 \
//!     --model m --out run/results.jsonl
//! ineqmath judge --results run/results.json --base-url http://127.0.0.1:8080/v1 \
//!     --model m --out run/step_eval.jsonl
//! ineqmath report --answer out/answer_eval.jsonl --steps run/step_eval.jsonl --format markdown
//! ineqmath compare --ours out/answer_eval.jsonl --theirs other/answer_eval.jsonl
//! ineqmath export --results run/results.jsonl --format submission --out submission.json
//! ```
//!
//! Errors print one line `error: …` on stderr and exit with status 1.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
#[cfg(feature = "llm")]
use ineqmath::answer::AnswerMode;
use ineqmath::data::{ProblemType, load_problems, load_responses};
use ineqmath::method::Method;
use ineqmath::run::{ScoreOptions, ScoreRun, score_file};
use ineqmath::stats::{SplitStats, split_stats};
use ineqmath::{
    BoundExtraction, Rules, equivalent_str, extract_bound_with, extract_relation, judge_record,
    locate_answer,
};

#[cfg(feature = "llm")]
mod cli_llm;

#[derive(Parser)]
#[command(
    name = "ineqmath",
    version,
    about = "The IneqMath benchmark: solve inequality problems with a model, judge final answers (exactly, or with a model) and judge the steps"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Judges the final answers of a response file and prints the reference scores.
    Score(ScoreArgs),
    /// Compares two bound answers: verdict, method and |Δ|.
    Equiv(EquivArgs),
    /// Locates the answer sentence of a text and extracts its answer.
    Extract(ExtractArgs),
    /// Measures the judging throughput of the deterministic path on one thread.
    Bench(BenchArgs),
    /// Summarizes the data files.
    #[command(subcommand)]
    Data(DataCommand),
    /// Writes a leaderboard-schema report from answer_eval.jsonl (and step_eval.jsonl).
    Report(ReportArgs),
    /// Compares two answer_eval.jsonl files: agreement, Cohen's κ, disagreeing ids.
    Compare(CompareArgs),
    /// Writes a response file as a leaderboard submission or a reference results.json.
    Export(ExportArgs),
    /// Sends problems to a model and writes the responses resumably.
    #[cfg(feature = "llm")]
    Solve(cli_llm::SolveArgs),
    /// Runs the step judges (toy case, logical gap, approximation, computation).
    #[cfg(feature = "llm")]
    Judge(cli_llm::JudgeArgs),
    /// Lists, prints or hashes the prompt templates.
    #[cfg(feature = "llm")]
    #[command(subcommand)]
    Prompts(cli_llm::PromptsCommand),
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    Json,
    Markdown,
}

#[derive(Args)]
struct ReportArgs {
    /// Per-item verdicts written by `score --out-dir`.
    #[arg(long)]
    answer: PathBuf,
    /// Step verdicts written by `judge --out`; adds the step columns and
    /// overall accuracy.
    #[arg(long)]
    steps: Option<PathBuf>,
    /// Model name for the `Model` field.
    #[arg(long, default_value = "unknown")]
    model_name: String,
    /// Token limit of the solver run, for `Max Tokens`.
    #[arg(long)]
    max_tokens: Option<u64>,
    /// `Type` of the entry, written verbatim ("Reasoning" or "Chat" on the leaderboard).
    #[arg(long = "type")]
    model_type: Option<String>,
    /// `Model Source`, written verbatim ("Open-source" or "Proprietary").
    #[arg(long)]
    model_source: Option<String>,
    /// `Size`, written verbatim (such as "671B" or "UNK").
    #[arg(long)]
    size: Option<String>,
    /// `Source`: URL of the model's announcement.
    #[arg(long)]
    source: Option<String>,
    /// `Reasoning effort`, written verbatim (such as "medium").
    #[arg(long)]
    reasoning_effort: Option<String>,
    /// `Date`: the model's release date, YYYY-MM-DD.
    #[arg(long)]
    date: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    format: ReportFormat,
    /// Write the report to this file (through a temporary file and a rename).
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args)]
struct CompareArgs {
    /// Our verdicts (answer_eval.jsonl of `score --out-dir`).
    #[arg(long)]
    ours: PathBuf,
    /// The other judge's verdicts on the same split.
    #[arg(long)]
    theirs: PathBuf,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportShape {
    /// Records with data_id, problem, type, prompt and response, for the leaderboard.
    Submission,
    /// The reference results.json: a JSON array of the full records.
    ResultsJson,
}

#[derive(Args)]
struct ExportArgs {
    /// Response file: a JSON array, an object keyed by data_id, or JSON lines.
    #[arg(long)]
    results: PathBuf,
    /// Output shape.
    #[arg(long, value_enum)]
    format: ExportShape,
    /// Output file (written through a temporary file and a rename).
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Subcommand)]
enum DataCommand {
    /// Counts problems, types, gold-answer kinds and relation options per split.
    Stats(StatsArgs),
}

#[derive(Args)]
struct StatsArgs {
    /// Folder with train.json, dev.json and test.json (missing files are skipped).
    #[arg(long)]
    data_dir: PathBuf,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum JudgeMode {
    /// Deterministic rules, no LLM.
    Det,
    /// Deterministic rules; an LLM reads the items no rule can read.
    Hybrid,
    /// An LLM extracts every bound answer and decides equivalence.
    Llm,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum TypeName {
    Bound,
    Relation,
}

#[derive(Args)]
pub(crate) struct CommonArgs {
    /// Print one JSON object on stdout.
    #[arg(long)]
    json: bool,
    /// Seed. The LLM commands (solve, judge, score with a model judge) send
    /// it to the server, so it enters the cache key. The deterministic judge
    /// draws no random numbers, so it ignores the seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

#[derive(Args)]
struct ScoreArgs {
    /// Response file: a JSON array, an object keyed by data_id, or JSON lines.
    #[arg(long)]
    results: PathBuf,
    /// Problem file (such as dev.json) for answers that records lack; with the
    /// default rules its items absent from the results count as incorrect.
    #[arg(long)]
    gold: Option<PathBuf>,
    /// Final-answer judge.
    #[arg(long, value_enum, default_value = "det")]
    answer_judge: JudgeMode,
    /// Reproduce the reference judge's rules, quirks included.
    #[arg(long)]
    parity: bool,
    /// Skip malformed records (listed in the output) instead of failing.
    #[arg(long)]
    skip_malformed: bool,
    /// Write answer_eval.jsonl and scores.json into this folder.
    #[arg(long)]
    out_dir: Option<PathBuf>,
    #[cfg(feature = "llm")]
    #[command(flatten)]
    llm: cli_llm::LlmArgs,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args)]
struct EquivArgs {
    /// Gold answer, such as 'C=\frac{1}{\sqrt2}'.
    gold: String,
    /// Predicted answer.
    pred: String,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args)]
struct ExtractArgs {
    /// Problem type.
    #[arg(long = "type", value_enum)]
    ptype: TypeName,
    /// Response text.
    #[arg(long)]
    text: String,
    /// Reproduce the reference judge's rules.
    #[arg(long)]
    parity: bool,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args)]
struct BenchArgs {
    /// Response file with gold answers in the records.
    #[arg(long)]
    results: PathBuf,
    /// Passes over the file; the median pass time is reported.
    #[arg(long, default_value_t = 100)]
    repeat: usize,
    /// Use the reference rules.
    #[arg(long)]
    parity: bool,
    /// Judge only the records of this type.
    #[arg(long = "type", value_enum)]
    ptype: Option<TypeName>,
    #[command(flatten)]
    common: CommonArgs,
}

fn main() {
    datasets::pipe::restore_default_sigpipe();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Score(args) => run_score(&args),
        Command::Equiv(args) => run_equiv(&args),
        Command::Extract(args) => run_extract(&args),
        Command::Bench(args) => run_bench(&args),
        Command::Data(DataCommand::Stats(args)) => run_stats(&args),
        Command::Report(args) => run_report(&args),
        Command::Compare(args) => run_compare(&args),
        Command::Export(args) => run_export(&args),
        #[cfg(feature = "llm")]
        Command::Solve(args) => cli_llm::run_solve(&args),
        #[cfg(feature = "llm")]
        Command::Judge(args) => cli_llm::run_judge(&args),
        #[cfg(feature = "llm")]
        Command::Prompts(command) => cli_llm::run_prompts(&command),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn rules(parity: bool) -> Rules {
    if parity { Rules::Parity } else { Rules::Strict }
}

pub(crate) fn print(text: &str) -> Result<()> {
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(())
}

fn run_score(args: &ScoreArgs) -> Result<()> {
    #[cfg(not(feature = "llm"))]
    if args.answer_judge != JudgeMode::Det {
        bail!(
            "--answer-judge hybrid and llm need the LLM layer, which this build lacks (feature `llm`); use --answer-judge det"
        );
    }
    let options = ScoreOptions {
        rules: rules(args.parity),
        skip_malformed: args.skip_malformed,
    };
    if let Some(dir) = &args.out_dir {
        check_outputs_not_inputs(dir, args)?;
    }
    tracing::info!(results = %args.results.display(), rules = options.rules.name(), "scoring started");
    #[allow(unused_mut)]
    let mut run = score_file(&args.results, args.gold.as_deref(), options)?;
    #[cfg(feature = "llm")]
    match args.answer_judge {
        JudgeMode::Det => {}
        JudgeMode::Hybrid => {
            cli_llm::apply_answer_llm(&mut run, &args.llm, AnswerMode::Hybrid, args.common.seed)?
        }
        JudgeMode::Llm => {
            cli_llm::apply_answer_llm(&mut run, &args.llm, AnswerMode::Llm, args.common.seed)?
        }
    }
    tracing::info!(
        items = run.evals.len(),
        skipped = run.skipped.len(),
        "scoring finished"
    );
    if let Some(dir) = &args.out_dir {
        write_outputs(dir, &run)?;
    }
    let text = if args.common.json {
        format!("{}\n", serde_json::to_string_pretty(&run)?)
    } else {
        score_table(&run)
    };
    print(&text)
}

fn score_table(run: &ScoreRun) -> String {
    let mut t = String::from("group\ttotal\tcorrect\taccuracy\n");
    t.push_str(&format!(
        "all\t{}\t{}\t{}\n",
        run.all.total, run.all.correct, run.all.accuracy
    ));
    t.push_str(&format!(
        "bound\t{}\t{}\t{}\n",
        run.bound.total, run.bound.correct, run.bound.accuracy
    ));
    t.push_str(&format!(
        "relation\t{}\t{}\t{}\n",
        run.relation.total, run.relation.correct, run.relation.accuracy
    ));
    t.push_str(&format!(
        "empty {}  unparsed {}  errors {}  missing {}  skipped {}  llm_calls {}\n",
        run.all.empty_responses,
        run.unparsed,
        run.record_errors,
        run.missing.len(),
        run.skipped.len(),
        run.llm_calls
    ));
    t
}

/// Rejects an `--out-dir` whose output files are the results or gold file.
fn check_outputs_not_inputs(dir: &Path, args: &ScoreArgs) -> Result<()> {
    let mut inputs = vec![args.results.clone()];
    inputs.extend(args.gold.clone());
    for name in ["answer_eval.jsonl", "scores.json"] {
        datasets::check_not_input(&dir.join(name), &inputs)?;
    }
    Ok(())
}

fn write_outputs(dir: &Path, run: &ScoreRun) -> Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    let mut lines = String::new();
    for eval in &run.evals {
        lines.push_str(&serde_json::to_string(eval)?);
        lines.push('\n');
    }
    write_atomic(&dir.join("answer_eval.jsonl"), lines.as_bytes())?;
    let scores = format!("{}\n", serde_json::to_string_pretty(&run.scores)?);
    write_atomic(&dir.join("scores.json"), scores.as_bytes())
}

/// Writes through a hidden temporary file in the same folder and a rename.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp{}", std::process::id()));
    let written = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.with_context(|| format!("cannot write {}", path.display()))
}

fn run_equiv(args: &EquivArgs) -> Result<()> {
    let verdict = equivalent_str(&args.gold, &args.pred);
    let text = if args.common.json {
        format!("{}\n", serde_json::to_string(&verdict)?)
    } else {
        let diff = match (verdict.abs_diff, verdict.abs_diff_below_pow2) {
            (_, Some(e)) => format!("< 2^{e}"),
            (Some(d), None) => format!("{d:e}"),
            (None, None) => "-".to_string(),
        };
        let outcome = match (verdict.equal, verdict.method) {
            (true, _) => "equivalent",
            (false, Method::NumericUndecided) => {
                "not equivalent (undecided: the values agree to the precision cap)"
            }
            (false, _) => "not equivalent",
        };
        format!("{outcome}\t{}\t|Δ| {diff}\n", verdict.method.name())
    };
    print(&text)
}

fn run_extract(args: &ExtractArgs) -> Result<()> {
    let rules = rules(args.parity);
    let sentence = locate_answer(&args.text, rules);
    let extracted = match args.ptype {
        TypeName::Relation => extract_relation(&sentence, rules).map(|o| o.canonical().to_string()),
        TypeName::Bound => match extract_bound_with(&sentence, rules) {
            BoundExtraction::Expr(text) => Some(text),
            BoundExtraction::Approximate => Some("(approximation)".to_string()),
            BoundExtraction::Missing => None,
        },
    };
    let text = if args.common.json {
        let record = serde_json::json!({ "answer_sentence": sentence, "extracted": extracted, "rules": rules.name() });
        format!("{record}\n")
    } else {
        format!(
            "sentence\t{sentence}\nextracted\t{}\n",
            extracted.as_deref().unwrap_or("-")
        )
    };
    print(&text)
}

fn run_bench(args: &BenchArgs) -> Result<()> {
    if args.repeat == 0 {
        bail!("invalid --repeat 0: give at least 1 pass");
    }

    let rules = rules(args.parity);
    let mut records = load_responses(&args.results, false)?.records;
    if let Some(ptype) = args.ptype {
        let selected = match ptype {
            TypeName::Bound => ProblemType::Bound,
            TypeName::Relation => ProblemType::Relation,
        };
        records.retain(|r| r.ptype == selected);
    }
    if records.is_empty() {
        bail!(
            "{} has no records to judge; check --type",
            args.results.display()
        );
    }
    if records
        .iter()
        .any(|r| r.answer.as_deref().unwrap_or("").is_empty())
    {
        bail!(
            "{} has records without a gold answer; bench reads the gold answer from each record, so use a file such as the dev responses",
            args.results.display()
        );
    }

    tracing::info!(
        records = records.len(),
        passes = args.repeat,
        "benchmark started"
    );
    let mut wall = Vec::with_capacity(args.repeat);
    let mut correct = 0;
    let cpu_start = thread_cpu_seconds();
    for _ in 0..args.repeat {
        let start = Instant::now();
        correct = 0;
        for record in &records {
            let gold = record.answer.as_deref().unwrap_or("");
            correct += usize::from(judge_record(record, gold, None, rules).is_correct);
        }
        wall.push(start.elapsed().as_secs_f64());
    }

    // The kernel's on-CPU clock advances in scheduler ticks, so it is read once
    // around all passes. On a shared machine the thread waits for a core, and
    // on-CPU time measures the code rather than the wait.
    let cpu_total = match (cpu_start, thread_cpu_seconds()) {
        (Some(a), Some(b)) if b > a => Some(b - a),
        _ => None,
    };
    let timing = BenchTiming {
        wall: Summary::of(&mut wall),
        cpu_total,
        judged: records.len() * args.repeat,
    };
    print(&bench_report(args, rules, records.len(), correct, &timing)?)
}

/// Pass times of a benchmark run.
struct BenchTiming {
    wall: Summary,
    cpu_total: Option<f64>,
    judged: usize,
}

fn bench_report(
    args: &BenchArgs,
    rules: Rules,
    records: usize,
    correct: usize,
    timing: &BenchTiming,
) -> Result<String> {
    let per_cpu_second = timing.cpu_total.map(|t| timing.judged as f64 / t);
    let per_wall_second = records as f64 / timing.wall.median;
    if args.common.json {
        let record = serde_json::json!({
            "records": records, "passes": args.repeat, "correct": correct, "rules": rules.name(),
            "wall_pass_s": timing.wall, "cpu_total_s": timing.cpu_total,
            "responses_per_cpu_s": per_cpu_second, "responses_per_wall_s_median": per_wall_second,
        });
        return Ok(format!("{record}\n"));
    }
    let cpu = per_cpu_second.map_or("n/a".to_string(), |r| {
        format!(
            "{:.1} µs per response, {r:.0} responses per CPU second",
            1e6 / r
        )
    });
    Ok(format!(
        "records {records}  passes {}  correct {correct}\nmedian pass {:.3} ms wall ({per_wall_second:.0} responses/s)\non-CPU: {cpu}\n",
        args.repeat,
        timing.wall.median * 1e3,
    ))
}

/// Median, minimum and maximum of pass times in seconds.
#[derive(serde::Serialize)]
struct Summary {
    median: f64,
    min: f64,
    max: f64,
}

impl Summary {
    fn of(values: &mut [f64]) -> Summary {
        values.sort_by(f64::total_cmp);
        Summary {
            median: values[values.len() / 2],
            min: values[0],
            max: values[values.len() - 1],
        }
    }
}

/// On-CPU time of the calling thread in seconds, from the first field of
/// `/proc/thread-self/schedstat` (nanoseconds; Linux only).
fn thread_cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(nanos as f64 * 1e-9)
}

fn run_stats(args: &StatsArgs) -> Result<()> {
    if args.data_dir.is_file() {
        bail!(
            "--data-dir {} is a file; pass the folder that contains train.json, dev.json and test.json",
            args.data_dir.display()
        );
    }
    let mut splits: Vec<(&str, SplitStats)> = Vec::new();
    for split in ["train", "dev", "test"] {
        let path = args.data_dir.join(format!("{split}.json"));
        if !path.exists() {
            tracing::warn!(path = %path.display(), "split file not found, skipped");
            continue;
        }
        splits.push((split, split_stats(&load_problems(&path)?)));
    }
    if splits.is_empty() {
        bail!(
            "no train.json, dev.json or test.json in {}; pass the IneqMath data folder with --data-dir",
            args.data_dir.display()
        );
    }

    let text = if args.common.json {
        let map: serde_json::Map<String, serde_json::Value> = splits
            .iter()
            .map(|(name, stats)| Ok((name.to_string(), serde_json::to_value(stats)?)))
            .collect::<Result<_>>()?;
        format!("{}\n", serde_json::to_string_pretty(&map)?)
    } else {
        let mut t = String::from("split\tproblems\tbound\trelation\tbound golds\trelation golds\n");
        for (name, s) in &splits {
            t.push_str(&format!(
                "{name}\t{}\t{}\t{}\t{:?}\t{:?}\n",
                s.problems, s.bound, s.relation, s.bound_golds, s.relation_golds
            ));
        }
        t
    };
    print(&text)
}

fn run_report(args: &ReportArgs) -> Result<()> {
    if let Some(out) = &args.out {
        let mut inputs = vec![args.answer.clone()];
        inputs.extend(args.steps.clone());
        datasets::check_not_input(out, &inputs)?;
    }
    if let Some(date) = &args.date {
        ineqmath::report::check_date(date)?;
    }
    let evals = ineqmath::report::read_answer_eval(&args.answer)?;
    if evals.is_empty() {
        bail!(
            "{} has no verdicts; run `ineqmath score --out-dir` first",
            args.answer.display()
        );
    }
    let info = ineqmath::report::RunInfo {
        model: args.model_name.clone(),
        model_type: args.model_type.clone(),
        model_source: args.model_source.clone(),
        size: args.size.clone(),
        source: args.source.clone(),
        reasoning_effort: args.reasoning_effort.clone(),
        date: args.date.clone(),
        max_tokens: args.max_tokens,
    };
    let steps = match &args.steps {
        Some(path) => ineqmath::step_eval::read_step_eval(path)?,
        None => Vec::new(),
    };
    let report = ineqmath::report::build_report(&args.answer, &evals, &steps, &info);
    let text = match (args.format, args.common.json) {
        (ReportFormat::Markdown, false) => ineqmath::report::markdown(&report),
        _ => format!("{}\n", serde_json::to_string_pretty(&report)?),
    };
    match &args.out {
        Some(path) => write_atomic(path, text.as_bytes()),
        None => print(&text),
    }
}

fn run_compare(args: &CompareArgs) -> Result<()> {
    let ours = ineqmath::report::read_answer_eval(&args.ours)?;
    let theirs = ineqmath::report::read_answer_eval(&args.theirs)?;
    let agreement = ineqmath::compare::compare((&args.ours, &ours), (&args.theirs, &theirs))?;
    tracing::info!(
        shared = agreement.shared,
        agree = agreement.agree,
        "comparison finished"
    );

    if args.common.json {
        return print(&format!("{}\n", serde_json::to_string_pretty(&agreement)?));
    }
    let kappa = agreement.kappa.map_or(
        "undefined (one constant verdict on both sides)".into(),
        |k| format!("{k:.4}"),
    );
    let [[both, ours_only], [theirs_only, neither]] = agreement.table;
    let mut t = format!(
        "shared {}  agree {}  rate {:.4}  kappa {kappa}\n",
        agreement.shared, agreement.agree, agreement.rate
    );
    t.push_str(&format!(
        "correct in both {both}  ours only {ours_only}  theirs only {theirs_only}  neither {neither}\n"
    ));
    t.push_str(&format!(
        "only in ours {}  only in theirs {}\n",
        agreement.only_ours.len(),
        agreement.only_theirs.len()
    ));
    for d in &agreement.disagree {
        t.push_str(&format!(
            "disagree\t{}\tours {}\ttheirs {}\n",
            d.data_id, d.ours, d.theirs
        ));
    }
    print(&t)
}

fn run_export(args: &ExportArgs) -> Result<()> {
    datasets::check_not_input(&args.out, &[&args.results])?;
    let records = ineqmath::data::load_raw_responses(&args.results)?;
    if records.is_empty() {
        bail!(
            "{} contains no records; pass a response file with at least one record",
            args.results.display()
        );
    }

    let format = match args.format {
        ExportShape::Submission => ineqmath::export::ExportFormat::Submission,
        ExportShape::ResultsJson => ineqmath::export::ExportFormat::ResultsJson,
    };
    let value = ineqmath::export::export(&records, format)?;
    write_atomic(
        &args.out,
        format!("{}\n", serde_json::to_string_pretty(&value)?).as_bytes(),
    )?;
    tracing::info!(records = records.len(), out = %args.out.display(), "export finished");

    let text = if args.common.json {
        let summary =
            serde_json::json!({ "records": records.len(), "out": args.out.display().to_string() });
        format!("{summary}\n")
    } else {
        format!(
            "wrote {} records to {}\n",
            records.len(),
            args.out.display()
        )
    };
    print(&text)
}
