//! [`LoraSftTrainer`]: LoRA supervised fine-tuning of a pretrained llama model (SmolLM2)
//! on prompt/response pairs, through the model's own GGUF tokenizer and ChatML template.
//!
//! Each [`SftPair`] becomes the chat `[system (the template's default)] user: prompt`,
//! the assistant opener, then the response and `<|im_end|>`; the loss is the mean
//! next-token cross-entropy over the response tokens and `<|im_end|>` (prompt tokens carry
//! none). Batches are left-padded, padding masked out of attention; the output projection
//! (49,152 × 576 for SmolLM2, tied to the embedding) runs only at the positions that
//! carry loss. Training is [`crate::TrainParams`]'s loop: AdamW on the adapters alone
//! (the base is frozen), gradient clipping, the schedule, seeded batch order and dropout.
//!
//! Mitigation placements (see the crate README):
//! - token prefix: [`Mitigation::user_turn_prefix`] goes at the start of the user turn of
//!   the examples it targets (augmented ones by default), never into the response; the
//!   data stage for chat training is [`Mitigation::prepare_chat`]
//!   ([`LoraSftTrainer::prepare`]), which leaves responses unprefixed;
//! - mask: `prepare_chat` (= `prepare`) masks the augmented responses' text before
//!   tokenisation;
//! - loss: `extra_loss` sees a `BatchView` whose `hidden` is φ, the mean last-layer
//!   (final-norm) hidden state over each example's user turn (the input text, e.g. the
//!   candidate profile: never the reply, whose states mostly encode the label), and whose
//!   strata are the pairs' labels, so `loss:λ` adds λ times the mean over labels of
//!   ‖mean φ(D_o) − mean φ(D_a)‖² / d per batch;
//! - weights: `example_weight` multiplies each example's loss (weighted mean over the
//!   batch).
//!
//! With adapters on the top layers only, the states entering the first adapted layer come
//! from a [`PrefixCache`] (computed once per distinct sequence, shared across fits when
//! given with [`LoraSftTrainer::with_prefix_cache`]).

use std::sync::{Arc, Mutex};

use burn::module::Module;
use burn::tensor::Device;
use inherit_core::{ChatMessage, Dataset, SeededRng};
use inherit_mitigate::Mitigation;
use inherit_pretrained::prefix_cache::DEFAULT_BUDGET_BYTES;
use inherit_pretrained::{GgufTokenizer, LoraAdapters, LoraConfig, LoraLlama, PrefixCache, SmolLm};

use crate::error::{Error, Result};
use crate::fit::{self, TrainReport};
use crate::lora_task::{ChatEncoded, LoraTask};
use crate::params::TrainParams;
use crate::sft::SftPair;

/// Default longest training sequence (template, prompt and response), in tokens.
pub const DEFAULT_MAX_LENGTH: usize = 512;

/// The meta key holding a pair's prompt while [`LoraSftTrainer::prepare`] runs the data
/// stage over the responses.
pub const PROMPT_META_KEY: &str = "sft_prompt";

/// Where the states entering the first adapted layer come from.
#[derive(Debug, Clone, Default)]
pub enum PrefixCaching {
    /// A cache private to each fit ([`DEFAULT_BUDGET_BYTES`]) when the adapters start
    /// above layer 0.
    #[default]
    Auto,
    /// This cache (shared across fits on the same base model and first layer).
    Shared(Arc<Mutex<PrefixCache>>),
    /// Recompute the frozen layers at every step.
    Off,
}

/// LoRA fine-tuning of a [`SmolLm`] (any llama GGUF) with the mitigation hooks.
#[derive(Debug, Clone)]
pub struct LoraSftTrainer {
    params: TrainParams,
    lora: LoraConfig,
    mitigation: Option<Arc<dyn Mitigation>>,
    caching: PrefixCaching,
    max_length: usize,
}

impl LoraSftTrainer {
    /// A trainer with checked parameters, no mitigation, automatic prefix caching.
    pub fn new(params: TrainParams, lora: LoraConfig) -> Result<Self> {
        params.check()?;
        lora.check()?;
        Ok(LoraSftTrainer {
            params,
            lora,
            mitigation: None,
            caching: PrefixCaching::Auto,
            max_length: DEFAULT_MAX_LENGTH,
        })
    }

    /// Builder: the mitigation whose hooks apply.
    pub fn with_mitigation(mut self, mitigation: Arc<dyn Mitigation>) -> Self {
        self.mitigation = Some(mitigation);
        self
    }

    /// Builder: how the frozen layers' output is reused ([`PrefixCaching`]).
    pub fn with_prefix_caching(mut self, caching: PrefixCaching) -> Self {
        self.caching = caching;
        self
    }

    /// Builder: a prefix cache shared with other fits.
    pub fn with_prefix_cache(self, cache: Arc<Mutex<PrefixCache>>) -> Self {
        self.with_prefix_caching(PrefixCaching::Shared(cache))
    }

    /// Builder: the longest sequence in tokens (>= 2; longer ones lose the end of their
    /// response; a prompt that fills it is an error).
    pub fn with_max_length(mut self, max_length: usize) -> Result<Self> {
        if max_length < 2 {
            return Err(Error::invalid("max_length", "must be >= 2"));
        }
        self.max_length = max_length;
        Ok(self)
    }

    /// The training parameters.
    pub fn params(&self) -> &TrainParams {
        &self.params
    }

    /// The LoRA hyper-parameters.
    pub fn lora(&self) -> &LoraConfig {
        &self.lora
    }

    /// The data stage of chat training: runs the mitigation's
    /// [`Mitigation::prepare_chat`] over the responses (each carrying its prompt in
    /// [`PROMPT_META_KEY`], so examples a strategy adds keep theirs). Without a
    /// mitigation the pairs come back unchanged.
    pub fn prepare(&self, pairs: Vec<SftPair>, rng: &mut SeededRng) -> Result<Vec<SftPair>> {
        let Some(m) = &self.mitigation else {
            return Ok(pairs);
        };
        let examples = pairs
            .into_iter()
            .map(|mut p| {
                p.response
                    .meta
                    .insert(PROMPT_META_KEY.to_owned(), p.prompt.into());
                p.response
            })
            .collect();
        let prepared = m.prepare_chat(Dataset::new("sft", examples), rng)?;
        prepared
            .examples
            .into_iter()
            .map(|mut response| {
                let prompt = match response.meta.remove(PROMPT_META_KEY) {
                    Some(serde_json::Value::String(p)) => p,
                    _ => {
                        return Err(Error::Mitigation {
                            spec: m.spec(),
                            message: format!(
                                "example `{}` lost its `{PROMPT_META_KEY}` meta in the data stage",
                                response.id
                            ),
                        });
                    }
                };
                Ok(SftPair { prompt, response })
            })
            .collect()
    }

    /// Fine-tunes adapters for `lm` on `train` (validating on `validation`, may be
    /// empty, each epoch); returns the kept adapters (on `lm`'s device, without autodiff)
    /// and the report. `train` is used as given: run [`LoraSftTrainer::prepare`] first
    /// for a mitigation's data stage. The adapters live on `lm`'s device (its autodiff
    /// version); `TrainParams::device` is not consulted.
    pub fn fit(
        &self,
        lm: &SmolLm,
        train: &[SftPair],
        validation: &[SftPair],
    ) -> Result<(LoraAdapters, TrainReport)> {
        let ad_device = lm.model().embed.weight.device().autodiff();
        let adapters = self.initial_adapters_on(lm, &ad_device)?;
        let model = LoraLlama::new(lm.model().clone().fork(&ad_device), adapters, lm.config())?;
        let task = self.task(lm, &model, train, validation)?;
        let (kept, report) = fit::train(&task, model, &self.params, &ad_device)?;
        Ok((kept.adapters.valid(), report))
    }

    /// The adapters a fit starts from (on `lm`'s device): A seeded from
    /// `TrainParams::seed` (Kaiming-uniform, as PEFT), B zero.
    pub fn initial_adapters(&self, lm: &SmolLm) -> Result<LoraAdapters> {
        self.initial_adapters_on(lm, &lm.model().embed.weight.device())
    }

    fn initial_adapters_on(&self, lm: &SmolLm, device: &Device) -> Result<LoraAdapters> {
        let seed = inherit_core::derive_seed(self.params.seed, "lora");
        Ok(LoraAdapters::init(&self.lora, lm.config(), seed, device)?)
    }

    /// The token sequence a pair trains on (no mitigation prefix): the chat template
    /// with the prompt as the user turn, the assistant opener, the response and
    /// `<|im_end|>`, cut at the maximum length; and where the response starts.
    pub fn chat_tokens(&self, lm: &SmolLm, pair: &SftPair) -> Result<(Vec<u32>, usize)> {
        let e = encode(lm.tokenizer(), pair, None, self.max_length)?;
        Ok((e.seq, e.response_start))
    }

    /// The training loss of `pairs` as one batch under `adapters` (which must fit `lm`),
    /// without dropout: the weighted cross-entropy plus the mitigation's extra term, as
    /// a training step computes it.
    pub fn batch_loss(
        &self,
        lm: &SmolLm,
        adapters: &LoraAdapters,
        pairs: &[SftPair],
    ) -> Result<f32> {
        let device = lm.model().embed.weight.device();
        let model = LoraLlama::new(
            lm.model().clone(),
            adapters.clone().fork(&device),
            lm.config(),
        )?;
        let task = self.task(lm, &model, pairs, &[])?;
        crate::lora_task::batch_loss(&task, &model, &device)
    }

    fn task<'a>(
        &'a self,
        lm: &'a SmolLm,
        model: &LoraLlama,
        train: &[SftPair],
        validation: &[SftPair],
    ) -> Result<LoraTask<'a>> {
        if train.is_empty() {
            return Err(Error::Data("no training pairs".into()));
        }
        let first = model.adapters.first_layer().unwrap_or(0);
        let cache = match (&self.caching, first) {
            (PrefixCaching::Off, _) | (PrefixCaching::Auto, 0) => None,
            (PrefixCaching::Auto, _) => Some(Arc::new(Mutex::new(PrefixCache::new(
                lm.sha256(),
                first,
                DEFAULT_BUDGET_BYTES,
            )))),
            (PrefixCaching::Shared(c), _) => {
                c.lock()
                    .map_err(|_| Error::Backend("the prefix cache lock is poisoned".into()))?
                    .check(lm.sha256(), first)?;
                Some(c.clone())
            }
        };
        let mitigation = self.mitigation.as_deref();
        let encode_all = |pairs: &[SftPair], what: &str, prefixed: bool| {
            pairs
                .iter()
                .enumerate()
                .map(|(i, pair)| {
                    let prefix = mitigation
                        .filter(|_| prefixed)
                        .and_then(|m| m.user_turn_prefix(&pair.response));
                    encode(lm.tokenizer(), pair, prefix.as_deref(), self.max_length).map_err(|e| {
                        Error::Data(format!(
                            "{what} pair {} (`{}`): {e}",
                            i + 1,
                            pair.response.id
                        ))
                    })
                })
                .collect::<Result<Vec<_>>>()
        };
        LoraTask::new(
            encode_all(train, "training", true)?,
            // Validation prompts are evaluation prompts: no prefix.
            encode_all(validation, "validation", false)?,
            train,
            mitigation,
            &self.params.group_axis,
            lm,
            first,
            cache,
        )
    }
}

/// The chat sequence of one pair: prompt through the assistant opener (with `prefix`
/// and a space before the prompt), then the response and `<|im_end|>`, cut at
/// `max_length` tokens.
pub(crate) fn encode(
    tokenizer: &GgufTokenizer,
    pair: &SftPair,
    prefix: Option<&str>,
    max_length: usize,
) -> Result<ChatEncoded> {
    let prompt = match prefix {
        Some(p) => format!("{p} {}", pair.prompt),
        None => pair.prompt.clone(),
    };
    let mut seq = tokenizer.encode_chat(&[ChatMessage::user(prompt)])?;
    let response_start = seq.len();
    // The user turn: from its `<|im_start|>` (the last but one) to the assistant
    // opener's (the last); the whole prompt when the template has no such marker.
    let prompt_range = match tokenizer.inner().token_to_id("<|im_start|>") {
        Some(start) => {
            let marks: Vec<usize> = (0..response_start).filter(|&i| seq[i] == start).collect();
            match marks.as_slice() {
                [.., user, assistant] => *user..*assistant,
                _ => 0..response_start,
            }
        }
        None => 0..response_start,
    };
    seq.extend(tokenizer.encode_text(&pair.response.text)?);
    let end = tokenizer
        .inner()
        .token_to_id("<|im_end|>")
        .unwrap_or(tokenizer.eos_id());
    seq.push(end);
    seq.truncate(max_length);
    if seq.len() <= response_start {
        return Err(Error::Data(format!(
            "the prompt ({response_start} tokens with the template) fills the \
             {max_length}-token window, leaving no response token to learn"
        )));
    }
    Ok(ChatEncoded {
        seq,
        prompt: prompt_range,
        response_start,
    })
}
