//! The small classifiers trained from scratch: a bag of embeddings (fastText-like) or a
//! small transformer encoder, on a word-level vocabulary trained on the cell's mix.

use std::sync::Arc;

use inherit_core::Dataset;
use inherit_mitigate::Mitigation;
use inherit_train::{
    BagOfEmbeddingsConfig, DeviceSpec, TextTokenizer, TokenizerConfig, TokenizerKind,
    TransformerClassifierConfig,
};

use super::{ClassifierModel, Downstream, TrainedModel, trainer};
use crate::config::DownstreamConfig;
use crate::error::Result;

/// Which small architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmallKind {
    /// Bag of embeddings.
    Bag,
    /// Transformer encoder.
    Transformer,
}

/// A small classifier trained from scratch in every cell.
#[derive(Debug, Clone)]
pub struct SmallClassifier {
    kind: SmallKind,
    config: DownstreamConfig,
    device: DeviceSpec,
}

impl SmallClassifier {
    /// The classifier with the config's sizes, trained on `device`.
    pub fn new(kind: SmallKind, config: DownstreamConfig, device: DeviceSpec) -> Self {
        SmallClassifier {
            kind,
            config,
            device,
        }
    }
}

impl Downstream for SmallClassifier {
    fn id(&self) -> String {
        match self.kind {
            SmallKind::Bag => "bag-of-embeddings".into(),
            SmallKind::Transformer => "transformer-classifier".into(),
        }
    }

    fn identity(&self) -> serde_json::Value {
        serde_json::json!({
            "model": self.id(),
            "tokenizer": "word-level",
            "config": self.config,
            "device": self.device.to_string(),
        })
    }

    fn train(
        &self,
        train: &Dataset,
        _task: &dyn crate::task::Task,
        mitigation: Arc<dyn Mitigation>,
        seed: u64,
    ) -> Result<Box<dyn TrainedModel>> {
        let c = &self.config;
        let texts: Vec<&str> = train.examples.iter().map(|e| e.text.as_str()).collect();
        let tokenizer = TextTokenizer::train(
            &TokenizerConfig {
                // Whole words: the bag model is fastText-like, and word-level training is
                // deterministic across processes (subword trainers are not).
                kind: TokenizerKind::WordLevel,
                vocab_size: c.vocab_size,
                max_length: c.max_len,
                ..Default::default()
            },
            &texts,
        )?;
        let trainer = trainer(c, self.device, train, seed, mitigation)?;
        let model: Box<dyn inherit_core::TextClassifier> = match self.kind {
            SmallKind::Bag => {
                let cfg = BagOfEmbeddingsConfig {
                    embed_dim: c.embed_dim,
                    ..Default::default()
                };
                Box::new(trainer.fit(&cfg, tokenizer, train, None)?.0)
            }
            SmallKind::Transformer => {
                let cfg = TransformerClassifierConfig {
                    d_model: c.embed_dim,
                    // The position table must cover the tokenizer's truncation length.
                    max_length: c.max_len,
                    ..Default::default()
                };
                Box::new(trainer.fit(&cfg, tokenizer, train, None)?.0)
            }
        };
        Ok(Box::new(ClassifierModel(model)))
    }
}
