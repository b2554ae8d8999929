//! [`TrainedLm`]: a trained causal language model with its tokenizer, usable as
//! `inherit_core::SequenceScorer` and `inherit_core::TextGenerator`, saved and loaded as a
//! checkpoint directory.
//!
//! Sequences are `[CLS] tokens...` with `[SEP]` ending a text; a chat prompt is rendered as
//! its `role: content` lines followed by a line `assistant:`.

use std::path::Path;

use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Int, Tensor, TensorData};
use inherit_core::{
    GenerationParams, Prompt, SequenceScore, SequenceScorer, TextGenerator, derive_seed, seeded_rng,
};

use crate::base::{LanguageModel, ModelConfig, ModelShape, TokenBatch, to_host};
use crate::checkpoint;
use crate::error::{Error, Result};
use crate::tokenizer::{EncodedBatch, TextTokenizer};
use inherit_pretrained::sampling::next_token;

/// Texts per forward pass when scoring.
const SCORE_BATCH: usize = 32;

/// Renders a prompt as the text the model continues.
pub fn render_prompt(prompt: &Prompt) -> String {
    match prompt {
        Prompt::Raw(text) => text.clone(),
        Prompt::Chat(_) => format!("{}\nassistant:", prompt.flatten()),
    }
}

/// A trained language model: network, configuration, tokenizer and device.
#[derive(Debug, Clone)]
pub struct TrainedLm<M: LanguageModel> {
    model: M,
    config: M::Config,
    tokenizer: TextTokenizer,
    device: Device,
    name: String,
}

impl<M: LanguageModel> TrainedLm<M> {
    /// Wraps a network (on `device`, without autodiff).
    pub fn new(model: M, config: M::Config, tokenizer: TextTokenizer, device: Device) -> Self {
        TrainedLm {
            model,
            config,
            tokenizer,
            device,
            name: <M::Config as ModelConfig>::KIND.to_owned(),
        }
    }

    /// Builder: the id reported by [`TextGenerator::id`] (default: the model kind).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The network.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The configuration.
    pub fn config(&self) -> &M::Config {
        &self.config
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &TextTokenizer {
        &self.tokenizer
    }

    /// Longest input, the smaller of the model's and the tokenizer's.
    fn window(&self) -> usize {
        self.model
            .max_length()
            .min(self.tokenizer.config().max_length)
    }

    /// Log-probabilities of `targets[b][j]` given the tokens before it, for sequences
    /// `seqs` (each starting with `[CLS]`): entry `j` scores token `j + 1`.
    fn token_log_probs(&self, seqs: &[Vec<u32>]) -> Result<Vec<Vec<f64>>> {
        let pad = self.tokenizer.special_ids().pad;
        let enc = EncodedBatch::pad(seqs, pad);
        let (b, t) = (enc.batch, enc.len);
        let out = self
            .model
            .forward(&TokenBatch::new(&enc, &self.device), None);
        let v = out.logits.dims()[2];
        let mut next: Vec<i64> = Vec::with_capacity(b * t);
        for s in seqs {
            next.extend(s.iter().skip(1).map(|i| i64::from(*i)));
            next.extend(std::iter::repeat_n(i64::from(pad), t + 1 - s.len()));
        }
        let next = Tensor::<2, Int>::from_data(TensorData::new(next, [b * t, 1]), &self.device);
        let lp = log_softmax(out.logits.reshape([b * t, v]), 1).gather(1, next);
        let lp = to_host(lp)?;
        Ok(seqs
            .iter()
            .enumerate()
            .map(|(i, s)| {
                lp[i * t..i * t + s.len() - 1]
                    .iter()
                    .map(|x| f64::from(*x))
                    .collect()
            })
            .collect())
    }

    /// Writes a checkpoint directory (atomically; see [`crate::checkpoint`]).
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        checkpoint::save(
            dir.as_ref(),
            &self.config,
            &self.model,
            &self.tokenizer,
            &[],
        )
    }

    /// Reads a checkpoint directory written by [`TrainedLm::save`] onto `device`.
    pub fn load(dir: impl AsRef<Path>, device: &Device) -> Result<Self> {
        let loaded = checkpoint::load::<M::Config>(dir.as_ref(), |config, tokenizer, _| {
            let shape = ModelShape {
                tokenizer,
                num_classes: 0,
            };
            config.for_loading().init(shape, device, 0)
        })?;
        Ok(TrainedLm::new(
            loaded.model,
            loaded.config,
            loaded.tokenizer,
            device.clone(),
        ))
    }

    fn generate_one(
        &self,
        prompt: &Prompt,
        params: &GenerationParams,
        seed: u64,
    ) -> Result<String> {
        let ids = self.tokenizer.special_ids();
        let mut seq = vec![ids.cls];
        seq.extend(self.tokenizer.encode(&render_prompt(prompt))?);
        let start = seq.len();
        let mut rng = seeded_rng(seed);
        let window = self.window();
        for _ in 0..params.max_tokens {
            let ctx = &seq[seq.len().saturating_sub(window)..];
            let enc = EncodedBatch::pad(&[ctx.to_vec()], ids.pad);
            let out = self
                .model
                .forward(&TokenBatch::new(&enc, &self.device), None);
            let [_, t, v] = out.logits.dims();
            let last = to_host(out.logits.narrow(1, t - 1, 1).reshape([v]))?;
            let next = next_token(&last, params, &mut rng) as u32;
            if next == ids.sep {
                break;
            }
            seq.push(next);
            if !params.stop.is_empty() {
                let text = self.tokenizer.decode(&seq[start..])?;
                if let Some(cut) = params
                    .stop
                    .iter()
                    .filter_map(|s| text.find(s.as_str()))
                    .min()
                {
                    return Ok(text[..cut].to_owned());
                }
            }
        }
        self.tokenizer.decode(&seq[start..])
    }
}

impl<M: LanguageModel> SequenceScorer for TrainedLm<M> {
    /// Log-likelihood of each text's tokens given `[CLS]` and the tokens before them
    /// (texts longer than the model's window are truncated).
    fn score(&self, texts: &[String]) -> inherit_core::Result<Vec<SequenceScore>> {
        let cls = self.tokenizer.special_ids().cls;
        let mut out = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(SCORE_BATCH) {
            let seqs = chunk
                .iter()
                .map(|t| {
                    let mut s = vec![cls];
                    s.extend(self.tokenizer.encode(t)?);
                    s.truncate(self.window());
                    Ok(s)
                })
                .collect::<Result<Vec<_>>>()?;
            for per_token in self.token_log_probs(&seqs)? {
                out.push(SequenceScore {
                    total: per_token.iter().sum(),
                    per_token,
                });
            }
        }
        Ok(out)
    }
}

impl<M: LanguageModel> TextGenerator for TrainedLm<M> {
    fn id(&self) -> String {
        self.name.clone()
    }

    /// KV-cache-free generation: each new token runs the model on the whole window.
    /// Prompt `i` samples from a stream seeded with `derive_seed(params.seed, i)`.
    fn generate(
        &self,
        prompts: &[Prompt],
        params: &GenerationParams,
    ) -> inherit_core::Result<Vec<String>> {
        params.check()?;
        let out = prompts
            .iter()
            .enumerate()
            .map(|(i, p)| self.generate_one(p, params, derive_seed(params.seed, &i.to_string())))
            .collect::<Result<Vec<_>>>()
            .map_err(|e: Error| inherit_core::Error::from(e))?;
        Ok(out)
    }
}
