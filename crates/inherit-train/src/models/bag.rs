//! A fastText-like classifier: token embeddings, masked mean pooling, an optional hidden
//! layer, a linear head.

use std::path::PathBuf;

use burn::module::Module;
use burn::nn::{Embedding, Linear};
use burn::tensor::Device;
use burn::tensor::activation::relu;
use inherit_core::SeededRng;
use serde::{Deserialize, Serialize};

use crate::base::{
    ClassifierModel, ClassifierOutput, ModelConfig, ModelShape, TokenBatch, masked_mean,
};
use crate::error::{Error, Result};
use crate::init::{ParamInit, dropout};
use crate::models::vectors::WordVectors;

/// Configuration of [`BagOfEmbeddings`].
///
/// | name | default | range |
/// |---|---|---|
/// | `embed_dim` | 64 | >= 1 (must match the word vectors when given) |
/// | `hidden_dim` | none | >= 1 when set: a ReLU layer between pooling and head |
/// | `dropout` | 0.0 | [0, 1) on the pooled vector |
/// | `word_vectors` | none | a GloVe text file; its words initialise their rows |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BagOfEmbeddingsConfig {
    /// Embedding width.
    pub embed_dim: usize,
    /// Optional hidden layer width.
    pub hidden_dim: Option<usize>,
    /// Dropout probability.
    pub dropout: f64,
    /// Pretrained word vectors (GloVe text format).
    pub word_vectors: Option<PathBuf>,
}

impl Default for BagOfEmbeddingsConfig {
    fn default() -> Self {
        BagOfEmbeddingsConfig {
            embed_dim: 64,
            hidden_dim: None,
            dropout: 0.0,
            word_vectors: None,
        }
    }
}

/// Bag-of-embeddings text classifier.
#[derive(Module, Debug)]
pub struct BagOfEmbeddings {
    embedding: Embedding,
    hidden: Option<Linear>,
    head: Linear,
    dropout: f64,
    hidden_dim: usize,
}

impl BagOfEmbeddingsConfig {
    /// Builds the network for `vocab_size` tokens and `num_classes` classes with random
    /// embeddings (uniform with standard deviation `1/sqrt(embed_dim)`) drawn from `seed`.
    pub fn init_random(
        &self,
        vocab_size: usize,
        num_classes: usize,
        device: &Device,
        seed: u64,
    ) -> Result<BagOfEmbeddings> {
        self.build(vocab_size, num_classes, device, seed, |_| Ok(()))
    }

    fn build(
        &self,
        vocab_size: usize,
        num_classes: usize,
        device: &Device,
        seed: u64,
        fill: impl FnOnce(&mut [f32]) -> Result<()>,
    ) -> Result<BagOfEmbeddings> {
        self.check()?;
        if vocab_size == 0 || num_classes == 0 {
            return Err(Error::invalid(
                "shape",
                "vocabulary and class count must be non-empty",
            ));
        }
        let d = self.embed_dim;
        let mut init = ParamInit::new(seed, device);
        let std = 1.0 / (d as f32).sqrt();
        let mut table = init.uniform_values(vocab_size * d, 3f32.sqrt() * std);
        fill(&mut table)?;
        let embedding = ParamInit::embedding_from(table, vocab_size, d, device);
        let hidden = self.hidden_dim.map(|h| init.linear(d, h));
        let out_dim = self.hidden_dim.unwrap_or(d);
        Ok(BagOfEmbeddings {
            embedding,
            hidden,
            head: init.linear(out_dim, num_classes),
            dropout: self.dropout,
            hidden_dim: out_dim,
        })
    }
}

impl ModelConfig for BagOfEmbeddingsConfig {
    type Model = BagOfEmbeddings;
    const KIND: &'static str = "bag-of-embeddings";

    fn check(&self) -> Result<()> {
        if self.embed_dim == 0 {
            return Err(Error::invalid("embed_dim", "must be >= 1"));
        }
        if self.hidden_dim == Some(0) {
            return Err(Error::invalid("hidden_dim", "must be >= 1 when set"));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(Error::invalid(
                "dropout",
                format!("must be in [0, 1), got {}", self.dropout),
            ));
        }
        Ok(())
    }

    fn for_loading(&self) -> Self {
        BagOfEmbeddingsConfig {
            word_vectors: None,
            ..self.clone()
        }
    }

    /// Builds the network; rows of words in `word_vectors` (when set) take their vectors.
    fn init(&self, shape: ModelShape<'_>, device: &Device, seed: u64) -> Result<BagOfEmbeddings> {
        let tok = shape.tokenizer;
        self.build(tok.vocab_size(), shape.num_classes, device, seed, |table| {
            if let Some(path) = &self.word_vectors {
                let vectors = WordVectors::read_for(path, tok)?;
                vectors.fill(tok, table, self.embed_dim)?;
            }
            Ok(())
        })
    }
}

impl ClassifierModel for BagOfEmbeddings {
    type Config = BagOfEmbeddingsConfig;

    fn forward(&self, batch: &TokenBatch, rng: Option<&mut SeededRng>) -> ClassifierOutput {
        let emb = self.embedding.forward(batch.ids.clone());
        let mut pooled = masked_mean(emb, batch.mask.clone());
        pooled = dropout(pooled, self.dropout, rng);
        if let Some(h) = &self.hidden {
            pooled = relu(h.forward(pooled));
        }
        let logits = self.head.forward(pooled.clone());
        ClassifierOutput {
            hidden: pooled,
            logits,
        }
    }

    fn hidden_dim(&self) -> usize {
        self.hidden_dim
    }
}
