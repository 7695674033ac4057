//! The LLM commands of the `ineqmath` binary: `solve`, `judge`, the `hybrid`
//! and `llm` answer judges of `score`, and `prompts`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use ineqmath::answer::AnswerMode;
use ineqmath::data::{Problem, ProblemType, ResponseRecord, load_problems, load_responses};
use ineqmath::hybrid::AnswerLlm;
use ineqmath::llm::{Cache, CachePolicy, ChatClient, ClientParams, default_dir, map_ordered};
use ineqmath::prompts::{self, Template};
use ineqmath::run::ScoreRun;
use ineqmath::solve::{
    SolveOptions, few_shot_examples, id_order, load_prompts, solve, write_atomic,
};
use ineqmath::steps::{CalcExtract, CalcOptions, StepJudge, StepKind, StepVerdict};

use crate::{CommonArgs, TypeName, print};

/// Settings of the chat client shared by the LLM commands.
#[derive(Args, Clone)]
pub struct LlmArgs {
    /// Base URL of an OpenAI-compatible server, such as http://127.0.0.1:8080/v1
    /// [default: $OPENAI_BASE_URL].
    #[arg(long)]
    base_url: Option<String>,
    /// Model name sent to the server [default: $INEQMATH_MODEL].
    #[arg(long)]
    model: Option<String>,
    /// Environment variable holding the API key (sent as a bearer token, never stored).
    #[arg(long, default_value = "OPENAI_API_KEY")]
    api_key_env: String,
    /// Parallel requests.
    #[arg(long, default_value_t = 2)]
    concurrency: usize,
    /// Requests per minute (unlimited if absent).
    #[arg(long)]
    rpm: Option<u32>,
    /// Tokens per minute (unlimited if absent).
    #[arg(long)]
    tpm: Option<u64>,
    /// Time limit of one HTTP call in seconds.
    #[arg(long, default_value_t = 600)]
    timeout: u64,
    /// `reasoning_effort` for reasoning models (o1, o3, o4, gpt-5).
    #[arg(long)]
    reasoning_effort: Option<String>,
    /// Neither read nor write the response cache.
    #[arg(long, conflicts_with_all = ["refresh", "cache_only"])]
    no_cache: bool,
    /// Ignore cached replies and overwrite them.
    #[arg(long, conflicts_with = "cache_only")]
    refresh: bool,
    /// Read replies only from the cache; a miss is an error and nothing is
    /// sent. Without --base-url it needs --cache-namespace.
    #[arg(long)]
    cache_only: bool,
    /// Cache namespace, part of every cache key [default: the endpoint URL,
    /// <base-url>/chat/completions]. To replay a run with --cache-only and no
    /// server, pass the namespace it used (solve records carry it as
    /// `cache_namespace`), such as http://127.0.0.1:8080/v1/chat/completions.
    #[arg(long)]
    cache_namespace: Option<String>,
    /// Cache folder [default: $NORMLAB_CACHE/ineqmath/llm].
    #[arg(long)]
    cache_dir: Option<PathBuf>,
    /// Folder of template overrides (`<name>.txt`).
    #[arg(long)]
    prompt_dir: Option<PathBuf>,
}

impl LlmArgs {
    fn cache(&self) -> Cache {
        let policy = if self.no_cache {
            CachePolicy::Off
        } else if self.refresh {
            CachePolicy::Refresh
        } else if self.cache_only {
            CachePolicy::Only
        } else {
            CachePolicy::Use
        };
        Cache {
            dir: self.cache_dir.clone().unwrap_or_else(default_dir),
            policy,
        }
    }

    /// Builds a client for `model` (or the `--model` default).
    fn client(&self, model: Option<&str>, max_tokens: u32, seed: u64) -> Result<ChatClient> {
        self.build(model, max_tokens, seed, false)
    }

    /// Builds a client that is never asked (the deterministic computation
    /// judge): server and model may be absent, and the cache is off.
    fn offline_client(&self, model: Option<&str>, seed: u64) -> Result<ChatClient> {
        self.build(model, 1, seed, true)
    }

    fn build(
        &self,
        model: Option<&str>,
        max_tokens: u32,
        seed: u64,
        offline: bool,
    ) -> Result<ChatClient> {
        if self.concurrency == 0 {
            bail!("invalid --concurrency 0: give at least 1");
        }
        let base_url = self.server(offline)?;
        let model = model
            .map(str::to_string)
            .or_else(|| self.model.clone())
            .or_else(|| std::env::var("INEQMATH_MODEL").ok())
            .or_else(|| offline.then(|| "none".to_string()))
            .context("no model given: pass --model or set INEQMATH_MODEL")?;
        let mut params = ClientParams::new(&base_url, &model);
        params.namespace = self.cache_namespace.clone();
        params.api_key = std::env::var(&self.api_key_env)
            .ok()
            .filter(|k| !k.is_empty())
            .map(ineqmath::llm::ApiKey);
        params.max_tokens = max_tokens;
        params.seed = seed;
        params.reasoning_effort = self.reasoning_effort.clone();
        params.timeout = Duration::from_secs(self.timeout);
        params.rpm = self.rpm;
        params.tpm = self.tpm;
        params.cache = self.cache();
        if offline {
            params.cache.policy = CachePolicy::Off;
        }
        Ok(params.check()?)
    }

    /// Returns the base URL. For offline clients and for `--cache-only` with
    /// `--cache-namespace` it is a placeholder that is never contacted.
    fn server(&self, offline: bool) -> Result<String> {
        let given = self
            .base_url
            .clone()
            .or_else(|| std::env::var("OPENAI_BASE_URL").ok());
        match given {
            Some(url) => Ok(url),
            None if offline || (self.cache_only && self.cache_namespace.is_some()) => {
                Ok(NO_SERVER.to_string())
            }
            None if self.cache_only => bail!(
                "--cache-only without --base-url needs --cache-namespace: pass the namespace of the run that filled the cache, by default its endpoint URL such as http://127.0.0.1:8080/v1/chat/completions (solve records carry it as cache_namespace)"
            ),
            None => bail!(
                "no server given: pass --base-url (such as http://127.0.0.1:8080/v1) or set OPENAI_BASE_URL"
            ),
        }
    }

    fn template(&self, name: &str) -> Result<Template> {
        Ok(prompts::load(name, self.prompt_dir.as_deref())?)
    }
}

/// The base URL of clients that send nothing; `.invalid` names never resolve.
const NO_SERVER: &str = "http://no-server.invalid/v1";

/// Creates a progress bar on stderr when stderr is a terminal.
fn progress(len: usize, what: &'static str) -> Option<ProgressBar> {
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return None;
    }
    let bar = ProgressBar::new(len as u64).with_message(what);
    if let Ok(style) = ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} {elapsed}") {
        bar.set_style(style);
    }
    Some(bar)
}

/// `ineqmath solve`.
#[derive(Args)]
pub struct SolveArgs {
    /// Problem file: train.json, dev.json or test.json.
    #[arg(long)]
    problems: PathBuf,
    /// Only problems of this type.
    #[arg(long = "type", value_enum)]
    ptype: Option<TypeName>,
    /// Only these data_ids (comma-separated).
    #[arg(long, value_delimiter = ',')]
    ids: Vec<String>,
    /// Worked examples of the same type to prepend.
    #[arg(long, default_value_t = 0)]
    shots: usize,
    /// Train file the worked examples come from.
    #[arg(long)]
    shots_from: Option<PathBuf>,
    /// Reuse each record's `prompt` verbatim from this response file.
    #[arg(long, conflicts_with = "shots")]
    prompts_from: Option<PathBuf>,
    /// Completion budget per problem, in tokens.
    #[arg(long, default_value_t = 10_000)]
    max_tokens: u32,
    /// Re-run items recorded as failed. Without it a rerun skips them but
    /// counts them as failed, and the command exits 1 while any requested
    /// item has failed.
    #[arg(long)]
    retry_failed: bool,
    /// JSON-lines output (appended per item); the sorted array goes to the
    /// same path with `.json`. Neither may be an input file.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    llm: LlmArgs,
    #[command(flatten)]
    common: CommonArgs,
}

/// Runs `ineqmath solve`: checks the output paths, sends the selected problems
/// to the solver model and prints the summary.
///
/// # Errors
/// Invalid arguments or inputs, an output that is also an input, I/O errors, and
/// any failed item (its record stays in the output file).
pub fn run_solve(args: &SolveArgs) -> Result<()> {
    let inputs: Vec<&Path> = [
        Some(&args.problems),
        args.shots_from.as_ref(),
        args.prompts_from.as_ref(),
    ]
    .into_iter()
    .flatten()
    .map(PathBuf::as_path)
    .collect();
    datasets::check_not_input(&args.out, &inputs)?;
    datasets::check_not_input(&args.out.with_extension("json"), &inputs)?;

    let problems = select(load_problems(&args.problems)?, args.ptype, &args.ids)?;
    let client = args.llm.client(None, args.max_tokens, args.common.seed)?;
    let bound = args.llm.template("solve_bound")?;
    let relation = args.llm.template("solve_relation")?;

    let mut examples = BTreeMap::new();
    if args.shots > 0 {
        let path = args
            .shots_from
            .as_ref()
            .context("--shots needs --shots-from with the train file")?;
        let train = load_problems(path)?;
        for ptype in [ProblemType::Bound, ProblemType::Relation] {
            examples.insert(ptype.name(), few_shot_examples(&train, ptype, args.shots)?);
        }
    }
    let options = SolveOptions {
        bound: &bound,
        relation: &relation,
        examples,
        prompts: args.prompts_from.as_deref().map(load_prompts).transpose()?,
        max_tokens: args.max_tokens,
        concurrency: args.llm.concurrency,
        retry_failed: args.retry_failed,
    };

    tracing::info!(
        problems = problems.len(),
        model = client.model(),
        "solving started"
    );
    let bar = progress(problems.len(), "solve");
    let tick = || {
        if let Some(b) = &bar {
            b.inc(1);
        }
    };
    let summary = solve(&client, &problems, &args.out, &options, &tick)?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }

    let text = if args.common.json {
        format!("{}\n", serde_json::to_string_pretty(&summary)?)
    } else {
        format!(
            "requested {}  resumed {}  ran {}  failed {}  truncated {}  cache hits {}\nwrote {}\n",
            summary.requested,
            summary.resumed,
            summary.ran,
            summary.failed,
            summary.truncated,
            summary.cache_hits,
            summary.array.display()
        )
    };
    print(&text)?;

    match &summary.first_error {
        Some(error) => bail!(
            "{} of {} items failed (their records stay in {}; rerun with --retry-failed); first: {error}",
            summary.failed,
            summary.requested,
            args.out.display()
        ),
        None => Ok(()),
    }
}

fn select(problems: Vec<Problem>, ptype: Option<TypeName>, ids: &[String]) -> Result<Vec<Problem>> {
    let requested_type = ptype.map(|t| match t {
        TypeName::Bound => ProblemType::Bound,
        TypeName::Relation => ProblemType::Relation,
    });
    if let Some(id) = ids
        .iter()
        .find(|id| !problems.iter().any(|p| &p.data_id == *id))
    {
        bail!("--ids names data_id {id}, which the problem file lacks; check the ids");
    }
    let chosen: Vec<Problem> = problems
        .into_iter()
        .filter(|p| requested_type.is_none_or(|t| p.ptype == t))
        .filter(|p| ids.is_empty() || ids.contains(&p.data_id))
        .collect();
    if chosen.is_empty() {
        bail!("no problem matches --type and --ids; loosen the selection");
    }
    Ok(chosen)
}

/// `ineqmath judge`.
#[derive(Args)]
pub struct JudgeArgs {
    /// Response file: a JSON array, an object keyed by data_id, or JSON lines.
    #[arg(long)]
    results: PathBuf,
    /// Problem file for records that lack the problem text.
    #[arg(long)]
    gold: Option<PathBuf>,
    /// Judges to run (comma-separated): toy, gap, approx, calc.
    #[arg(long, value_delimiter = ',', default_value = "toy,gap,approx,calc")]
    judges: Vec<String>,
    /// Per-judge models, such as toy=o4-mini,calc=gpt-4.1-mini (others use
    /// --model). `answer=<model>` is accepted and ignored: `judge` runs no
    /// final-answer judge (`score --answer-judge hybrid` takes its model from --model).
    #[arg(long, value_delimiter = ',')]
    judge_model: Vec<String>,
    /// Source of the computation judge's equalities.
    #[arg(long, value_enum, default_value = "llm")]
    calc_extract: CalcExtractArg,
    /// A computation check fails iff |lhs − rhs| exceeds this.
    #[arg(long, default_value_t = 1e-2)]
    calc_abs_tol: f64,
    /// Completion budget of each judge call, in tokens.
    #[arg(long, default_value_t = 4_096)]
    max_tokens: u32,
    /// Output step_eval.jsonl (written through a temporary file and a rename).
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    llm: LlmArgs,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum CalcExtractArg {
    /// The model quotes the equalities.
    Llm,
    /// Numeric chains in math spans; no model call.
    Det,
    /// Both.
    Both,
}

/// Runs `ineqmath judge`: sends every record to each selected step judge and
/// writes the verdicts to `--out`.
///
/// # Errors
/// Invalid arguments, an output that is also an input, unreadable records, and
/// cache misses or unreachable servers.
pub fn run_judge(args: &JudgeArgs) -> Result<()> {
    let kinds = judge_kinds(&args.judges)?;
    let models = judge_models(&args.judge_model)?;
    if args.calc_abs_tol.is_nan() || args.calc_abs_tol < 0.0 {
        bail!(
            "invalid --calc-abs-tol {}: give a non-negative number",
            args.calc_abs_tol
        );
    }
    datasets::check_not_input(&args.out, std::slice::from_ref(&args.results))?;
    let records = judged_records(&args.results, args.gold.as_deref())?;

    let mut clients = BTreeMap::new();
    let mut templates = BTreeMap::new();
    for kind in &kinds {
        let model = models.get(kind).map(String::as_str);
        let client =
            if *kind == StepKind::Computation && matches!(args.calc_extract, CalcExtractArg::Det) {
                args.llm.offline_client(model, args.common.seed)?
            } else {
                args.llm.client(model, args.max_tokens, args.common.seed)?
            };
        clients.insert(*kind, client);
        templates.insert(*kind, args.llm.template(kind.template())?);
    }

    let calc = CalcOptions {
        abs_tol: args.calc_abs_tol,
        extract: match args.calc_extract {
            CalcExtractArg::Llm => CalcExtract::Llm,
            CalcExtractArg::Det => CalcExtract::Det,
            CalcExtractArg::Both => CalcExtract::Both,
        },
    };
    let jobs: Vec<(&(ResponseRecord, String), StepKind)> = records
        .iter()
        .flat_map(|r| kinds.iter().map(move |k| (r, *k)))
        .collect();

    tracing::info!(
        items = records.len(),
        judges = kinds.len(),
        "judging started"
    );
    let bar = progress(jobs.len(), "judge");
    let verdicts = map_ordered(&jobs, args.llm.concurrency, |((record, problem), kind)| {
        let judge = StepJudge {
            kind: *kind,
            client: &clients[kind],
            template: &templates[kind],
            calc,
        };
        let verdict = judge_one(&judge, record, problem);
        if let Some(b) = &bar {
            b.inc(1);
        }
        verdict
    });
    if let Some(b) = &bar {
        b.finish_and_clear();
    }

    let verdicts: Vec<StepVerdict> = verdicts.into_iter().collect::<Result<_, _>>()?;
    write_step_eval(&args.out, &verdicts)?;
    print(&judge_summary(&verdicts, &kinds, args.common.json)?)
}

fn judge_kinds(names: &[String]) -> Result<Vec<StepKind>> {
    let mut kinds = Vec::new();
    for name in names {
        let kind = StepKind::from_short(name.trim()).with_context(|| {
            format!("invalid judge '{name}' in --judges; use toy, gap, approx or calc")
        })?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    Ok(kinds)
}

fn judge_models(pairs: &[String]) -> Result<BTreeMap<StepKind, String>> {
    let mut models = BTreeMap::new();
    for pair in pairs {
        let (name, model) = pair.split_once('=').with_context(|| {
            format!("--judge-model '{pair}' lacks '='; write judge=model, such as toy=o4-mini")
        })?;
        match StepKind::from_short(name.trim()) {
            Some(kind) => {
                models.insert(kind, model.trim().to_string());
            }
            None if name.trim() == "answer" => {}
            None => bail!(
                "invalid judge '{name}' in --judge-model; use toy, gap, approx, calc or answer"
            ),
        }
    }
    Ok(models)
}

/// Records with their problem text (from the record or the gold file).
fn judged_records(results: &Path, gold: Option<&Path>) -> Result<Vec<(ResponseRecord, String)>> {
    let records = load_responses(results, false)?.records;
    let problems: BTreeMap<String, String> = match gold {
        Some(path) => load_problems(path)?
            .into_iter()
            .map(|p| (p.data_id, p.problem))
            .collect(),
        None => BTreeMap::new(),
    };
    records
        .into_iter()
        .map(|r| {
            let text = r
                .problem
                .clone()
                .or_else(|| problems.get(&r.data_id).cloned())
                .with_context(|| {
                    format!(
                        "data_id {} has no problem text; pass --gold with its problem file",
                        r.data_id
                    )
                })?;
            Ok((r, text))
        })
        .collect()
}

fn judge_one(judge: &StepJudge, record: &ResponseRecord, problem: &str) -> Result<StepVerdict> {
    let response = record.response.as_deref().unwrap_or("");
    if response.trim().is_empty() || record.has_error() {
        let mut v = judge.empty_verdict(&record.data_id);
        v.error = Some("the response is empty or carries a solver error; nothing to judge".into());
        return Ok(v);
    }
    Ok(judge.judge(&record.data_id, problem, response)?)
}

fn write_step_eval(path: &Path, verdicts: &[StepVerdict]) -> Result<()> {
    let mut sorted: Vec<&StepVerdict> = verdicts.iter().collect();
    sorted.sort_by(|a, b| id_order(&a.data_id, &b.data_id).then(a.kind.cmp(&b.kind)));
    let mut text = String::new();
    for v in sorted {
        text.push_str(&serde_json::to_string(v)?);
        text.push('\n');
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("failed to create the folder {}", parent.display()))?;
    }
    Ok(write_atomic(path, text.as_bytes())?)
}

fn judge_summary(verdicts: &[StepVerdict], kinds: &[StepKind], json: bool) -> Result<String> {
    let mut rows = serde_json::Map::new();
    let mut t = String::from("judge\titems\tpass\tparse_failures\terrors\tcache_hits\n");
    for kind in kinds {
        let of: Vec<&StepVerdict> = verdicts.iter().filter(|v| v.kind == *kind).collect();
        let count = |f: &dyn Fn(&StepVerdict) -> bool| of.iter().filter(|v| f(v)).count();
        let (pass, parse, errors, hits) = (
            count(&|v| v.pass),
            count(&|v| !v.parse_ok && v.error.is_none()),
            count(&|v| v.error.is_some()),
            count(&|v| v.cache_hit),
        );
        t.push_str(&format!(
            "{}\t{}\t{pass}\t{parse}\t{errors}\t{hits}\n",
            kind.key(),
            of.len()
        ));
        rows.insert(
            kind.key().into(),
            serde_json::json!({"items": of.len(), "pass": pass, "parse_failures": parse,
                               "errors": errors, "cache_hits": hits,
                               "template_sha256": of.first().map(|v| v.template_sha256.clone())}),
        );
    }
    Ok(if json {
        format!("{}\n", serde_json::to_string_pretty(&rows)?)
    } else {
        t
    })
}

/// Applies the `hybrid` or `llm` answer judge to a scored run.
pub fn apply_answer_llm(
    run: &mut ScoreRun,
    llm: &LlmArgs,
    mode: AnswerMode,
    seed: u64,
) -> Result<()> {
    // An extraction, a letter or an equivalence verdict fits in 256 tokens. A
    // larger budget only lets a small model ramble inside the JSON string.
    let client = llm.client(None, 256, seed)?;
    let judge = AnswerLlm {
        client: &client,
        extract: &llm.template("answer_bound_extract")?,
        letter: &llm.template("answer_relation_letter")?,
        equiv: &llm.template("answer_bound_equiv")?,
    };
    ineqmath::hybrid::apply(run, &judge, mode, llm.concurrency)?;
    Ok(())
}

/// `ineqmath prompts`.
#[derive(Subcommand)]
pub enum PromptsCommand {
    /// Lists the template names.
    List,
    /// Prints one template.
    Show {
        /// Template name.
        name: String,
        /// Folder of template overrides.
        #[arg(long)]
        prompt_dir: Option<PathBuf>,
    },
    /// Prints the sha256 of every template.
    Hash {
        /// Folder of template overrides.
        #[arg(long)]
        prompt_dir: Option<PathBuf>,
        #[command(flatten)]
        common: CommonArgs,
    },
}

/// Runs `ineqmath prompts`: lists, prints or hashes the templates.
pub fn run_prompts(command: &PromptsCommand) -> Result<()> {
    match command {
        PromptsCommand::List => print(&format!("{}\n", prompts::names().join("\n"))),
        PromptsCommand::Show { name, prompt_dir } => {
            print(&prompts::load(name, prompt_dir.as_deref())?.text)
        }
        PromptsCommand::Hash { prompt_dir, common } => {
            let mut map = serde_json::Map::new();
            let mut t = String::new();
            for name in prompts::names() {
                let template = prompts::load(name, prompt_dir.as_deref())?;
                t.push_str(&format!("{}  {name}\n", template.sha256));
                map.insert(name.into(), template.sha256.into());
            }
            if common.json {
                t = format!("{}\n", serde_json::to_string_pretty(&map)?);
            }
            print(&t)
        }
    }
}
