//! Downstream models: what is trained on D = D_o ∪ D_a in every cell.
//!
//! A [`Downstream`] trains a fresh model on a cell's (mitigated) training mix with the
//! cell's mitigation in its training loop, and returns a [`TrainedModel`], which exposes
//! the core traits a task may need (a classifier today; a scorer or generator for a
//! fine-tuned LLM: an answer scorer, a sequence scorer and a generator). Built in:
//! [`SmallClassifier`] (bag of embeddings or a small transformer, trained from scratch),
//! [`BertDownstream`] (all-MiniLM-L6-v2 fine-tuned with a linear head) and
//! [`LoraDownstream`] (SmolLM2 fine-tuned with LoRA on the task's instruction format).
//!
//! To add a model, implement [`Downstream`] in a file of your own and hand it to
//! [`crate::Study::downstream`]; to make it selectable from a config, add its name to
//! [`from_config`].

mod bert;
mod llm;
mod small;

use std::sync::Arc;

use inherit_core::{
    AnswerScorer, ChatMessage, Dataset, Prompt, SeededRng, SequenceScorer, TextClassifier,
    TextGenerator,
};
use inherit_mitigate::{Mitigation, MitigationStack};

pub use bert::BertDownstream;
pub use llm::{LoraDownstream, LoraModel};
pub use small::{SmallClassifier, SmallKind};

use crate::config::ValidStudyConfig;
use crate::error::{Error, Result};
use crate::task::Task;

/// The `meta` key of a training example to be learned as a writing request → its text
/// (see [`Downstream::learns_writing`]).
pub const SFT_PROMPT: &str = "sft_prompt";

/// A model trained in one cell, seen through the core traits it implements.
pub trait TrainedModel: Send + Sync {
    /// The model as a classifier, when it is one.
    fn classifier(&self) -> Option<&dyn TextClassifier> {
        None
    }

    /// The model as a sequence scorer, when it is one.
    fn scorer(&self) -> Option<&dyn SequenceScorer> {
        None
    }

    /// The model as a generator, when it is one.
    fn generator(&self) -> Option<&dyn TextGenerator> {
        None
    }

    /// The model as an answer scorer (a fine-tuned LLM), when it is one.
    fn answer_scorer(&self) -> Option<&dyn AnswerScorer> {
        None
    }

    /// The model as an owned generator, when it is one: multi-round self-augmentation
    /// hands it the next round's prompts.
    fn into_generator(self: Box<Self>) -> Option<Box<dyn TextGenerator>> {
        None
    }

    /// How its training went (per-step losses), when the model keeps it; the cell writes
    /// it to its artifacts as `training-loss.csv`.
    fn train_report(&self) -> Option<&inherit_train::TrainReport> {
        None
    }
}

/// The model as a classifier over `labels`: its own classifier view, else its answer
/// scorer asked `task`'s instruction about each text, the labels in `task`'s answer
/// wording scored as replies (probabilities: the softmax of their log-likelihoods).
pub fn classifier_view<'a>(
    model: &'a dyn TrainedModel,
    task: &'a dyn Task,
    labels: &[String],
) -> Option<Box<dyn TextClassifier + 'a>> {
    if let Some(c) = model.classifier() {
        return Some(Box::new(Borrowed(c)));
    }
    let scorer = model.answer_scorer()?;
    task.instruction("")?;
    Some(Box::new(AnswerClassifier {
        scorer,
        task,
        labels: labels.to_vec(),
        answers: labels.iter().map(|l| task.answer(l)).collect(),
    }))
}

struct Borrowed<'a>(&'a dyn TextClassifier);

impl TextClassifier for Borrowed<'_> {
    fn labels(&self) -> &[String] {
        self.0.labels()
    }

    fn predict_proba(&self, texts: &[String]) -> inherit_core::Result<Vec<Vec<f32>>> {
        self.0.predict_proba(texts)
    }
}

/// A classifier reading an LLM's answer likelihoods.
struct AnswerClassifier<'a> {
    scorer: &'a dyn AnswerScorer,
    task: &'a dyn Task,
    labels: Vec<String>,
    answers: Vec<String>,
}

impl TextClassifier for AnswerClassifier<'_> {
    fn labels(&self) -> &[String] {
        &self.labels
    }

    fn predict_proba(&self, texts: &[String]) -> inherit_core::Result<Vec<Vec<f32>>> {
        let prompts: Vec<Prompt> = texts
            .iter()
            .map(|t| {
                Prompt::Chat(vec![ChatMessage::user(
                    self.task.instruction(t).unwrap_or_default(),
                )])
            })
            .collect();
        let scores = self.scorer.score_answers(&prompts, &self.answers)?;
        Ok(scores.iter().map(|row| softmax(row)).collect())
    }
}

/// Log-scores of each of `labels` for every text, for paired margins: an answer
/// scorer's log-likelihoods of `task`'s answers, unrounded (`f64`), else the log of the
/// classifier's probabilities (floored at the smallest normal `f32`, so a probability
/// of 0 gives a large finite margin rather than ∞). Errors on a non-finite score.
pub fn label_log_scores(
    model: &dyn TrainedModel,
    task: &dyn Task,
    labels: &[String],
    texts: &[String],
) -> Result<Vec<Vec<f64>>> {
    let scores = match (model.classifier(), model.answer_scorer()) {
        (None, Some(scorer)) if task.instruction("").is_some() => {
            let prompts: Vec<Prompt> = texts
                .iter()
                .map(|t| {
                    Prompt::Chat(vec![ChatMessage::user(
                        task.instruction(t).unwrap_or_default(),
                    )])
                })
                .collect();
            let answers: Vec<String> = labels.iter().map(|l| task.answer(l)).collect();
            scorer.score_answers(&prompts, &answers)?
        }
        _ => {
            let classifier = classifier_view(model, task, labels).ok_or_else(|| {
                Error::Unsupported(format!(
                    "task `{}` needs a classifier or an answer scorer as downstream model",
                    task.name()
                ))
            })?;
            let order: Vec<usize> = labels
                .iter()
                .map(|l| {
                    classifier
                        .labels()
                        .iter()
                        .position(|c| c == l)
                        .ok_or_else(|| Error::Unsupported(format!("the model has no `{l}` class")))
                })
                .collect::<Result<_>>()?;
            classifier
                .predict_proba(texts)?
                .into_iter()
                .map(|p| {
                    order
                        .iter()
                        .map(|&i| f64::from(p[i].max(f32::MIN_POSITIVE)).ln())
                        .collect()
                })
                .collect()
        }
    };
    if scores.iter().flatten().any(|v| !v.is_finite()) {
        return Err(Error::Unsupported(format!(
            "the model gave a non-finite score for a `{}` answer",
            task.name()
        )));
    }
    Ok(scores)
}

/// What a cell's record keeps of a model's training ([`TrainedModel::train_report`]): steps, the last epoch's task loss, and
/// the alignment term's share of the loss (0 without a loss-based mitigation).
pub fn training_metrics(
    report: &inherit_train::TrainReport,
) -> std::collections::BTreeMap<String, f64> {
    let last = report.epochs.last();
    let loss = last.map_or(f64::NAN, |e| e.train_loss);
    let extra = last.map_or(0.0, |e| e.extra_loss);
    std::collections::BTreeMap::from([
        ("train.steps".to_owned(), report.steps as f64),
        ("train.loss".to_owned(), loss),
        (
            "train.align_share".to_owned(),
            if loss > 0.0 { extra / loss } else { f64::NAN },
        ),
    ])
}

/// The softmax of log-likelihoods, as probabilities.
fn softmax(logp: &[f64]) -> Vec<f32> {
    let max = logp.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exp: Vec<f64> = logp.iter().map(|&x| (x - max).exp()).collect();
    let sum: f64 = exp.iter().sum();
    exp.iter().map(|&e| (e / sum) as f32).collect()
}

/// A trained classifier as a [`TrainedModel`].
pub struct ClassifierModel(pub Box<dyn TextClassifier>);

impl TrainedModel for ClassifierModel {
    fn classifier(&self) -> Option<&dyn TextClassifier> {
        Some(self.0.as_ref())
    }
}

/// A model family trained in every cell.
pub trait Downstream: Send + Sync {
    /// The model id written into result records (`bag-of-embeddings`).
    fn id(&self) -> String;

    /// Everything that determines the trained model besides the data and the seed
    /// (architecture, sizes, optimiser settings, device, pretrained weights), for cell
    /// keys.
    fn identity(&self) -> serde_json::Value;

    /// The mitigation's data stage on a cell's training mix (default
    /// [`Mitigation::prepare`]; a chat fine-tuning runs [`Mitigation::prepare_chat`]).
    fn prepare(
        &self,
        stack: &MitigationStack,
        train: Dataset,
        rng: &mut SeededRng,
    ) -> Result<Dataset> {
        Ok(stack.prepare(train, rng)?)
    }

    /// Whether the trained model also learns to *write* its training texts: then a
    /// training example whose `meta.sft_prompt` holds a request is learned as that
    /// request → its text (multi-round self-augmentation adds such copies of D_a so that
    /// the next round's generator writes like its data; see [`crate::rounds`]). Default:
    /// no (a classifier).
    fn learns_writing(&self) -> bool {
        false
    }

    /// Trains a fresh model for `task` on `train`, with `mitigation`'s training-stage
    /// hooks (example weights, extra losses) in the loop, seeded by `seed`.
    fn train(
        &self,
        train: &Dataset,
        task: &dyn Task,
        mitigation: Arc<dyn Mitigation>,
        seed: u64,
    ) -> Result<Box<dyn TrainedModel>>;
}

/// The downstream model named by the config.
pub fn from_config(config: &ValidStudyConfig) -> Result<Box<dyn Downstream>> {
    let device = config
        .device
        .parse::<inherit_train::DeviceSpec>()
        .map_err(Error::Train)?;
    let d = &config.downstream;
    match d.model.as_str() {
        "bag" => Ok(Box::new(SmallClassifier::new(
            SmallKind::Bag,
            d.clone(),
            device,
        ))),
        "transformer" => Ok(Box::new(SmallClassifier::new(
            SmallKind::Transformer,
            d.clone(),
            device,
        ))),
        "bert" => Ok(Box::new(BertDownstream::new(d.clone(), device)?)),
        "smollm2-lora" => Ok(Box::new(LoraDownstream::new(d.clone(), device)?)),
        other => Err(Error::Unsupported(format!(
            "unknown downstream model `{other}`"
        ))),
    }
}

/// The classifier trainer shared by the built-in downstream models, with `mitigation`'s
/// training stage in its loop: batches hold both sources when the mix has both (so a
/// loss-based mitigation sees both in every batch).
pub(crate) fn trainer(
    cfg: &crate::config::DownstreamConfig,
    device: inherit_train::DeviceSpec,
    train: &Dataset,
    seed: u64,
    mitigation: Arc<dyn Mitigation>,
) -> Result<inherit_train::ClassifierTrainer> {
    let both_sources = train.examples.iter().any(|e| e.is_augmented())
        && train.examples.iter().any(|e| !e.is_augmented());
    let params = inherit_train::TrainParams {
        epochs: cfg.epochs,
        batch_size: cfg.batch_size,
        learning_rate: cfg.learning_rate,
        early_stopping: None,
        sampling: if both_sources {
            inherit_train::BatchSampling::MixedSources
        } else {
            inherit_train::BatchSampling::Shuffle
        },
        seed,
        progress: false,
        device,
        ..Default::default()
    };
    Ok(inherit_train::ClassifierTrainer::new(params)?.with_mitigation(mitigation))
}
