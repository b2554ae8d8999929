//! Downstream models: what is trained on D = D_o ∪ D_a in every cell.
//!
//! A [`Downstream`] trains a fresh model on a cell's (mitigated) training mix with the
//! cell's mitigation in its training loop, and returns a [`TrainedModel`], which exposes
//! the core traits a task may need (a classifier today; a scorer or generator for a
//! fine-tuned LLM). Built in: [`SmallClassifier`] (bag of embeddings or a small
//! transformer, trained from scratch) and [`BertDownstream`] (all-MiniLM-L6-v2 fine-tuned
//! with a linear head).
//!
//! To add a model, implement [`Downstream`] in a file of your own and hand it to
//! [`crate::Study::downstream`]; to make it selectable from a config, add its name to
//! [`from_config`].

mod bert;
mod small;

use std::sync::Arc;

use inherit_core::{Dataset, SequenceScorer, TextClassifier, TextGenerator};
use inherit_mitigate::Mitigation;

pub use bert::BertDownstream;
pub use small::{SmallClassifier, SmallKind};

use crate::config::ValidStudyConfig;
use crate::error::{Error, Result};

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

    /// Trains a fresh model on `train`, with `mitigation`'s training-stage hooks
    /// (example weights, extra losses) in the loop, seeded by `seed`.
    fn train(
        &self,
        train: &Dataset,
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
