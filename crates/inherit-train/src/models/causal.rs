//! A small decoder-only language model trained from scratch (for tests and tiny runs).

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::Device;
use inherit_core::SeededRng;
use serde::{Deserialize, Serialize};

use crate::base::{LanguageModel, LmOutput, ModelConfig, ModelShape, TokenBatch};
use crate::error::{Error, Result};
use crate::init::ParamInit;
use crate::models::encoder::{Encoder, EncoderShape};
use crate::models::transformer::{check_fits, check_transformer};

/// Configuration of [`CausalLm`].
///
/// | name | default | range |
/// |---|---|---|
/// | `d_model` | 64 | >= 1, divisible by `heads` |
/// | `heads` | 4 | >= 1 |
/// | `layers` | 2 | >= 1 |
/// | `d_ff` | 128 | >= 1 |
/// | `max_length` | 128 | >= 2; at least the tokenizer's `max_length` |
/// | `dropout` | 0.1 | [0, 1) |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CausalLmConfig {
    /// Width.
    pub d_model: usize,
    /// Attention heads.
    pub heads: usize,
    /// Blocks.
    pub layers: usize,
    /// Feed-forward width.
    pub d_ff: usize,
    /// Longest sequence (position table size).
    pub max_length: usize,
    /// Dropout probability.
    pub dropout: f64,
}

impl Default for CausalLmConfig {
    fn default() -> Self {
        CausalLmConfig {
            d_model: 64,
            heads: 4,
            layers: 2,
            d_ff: 128,
            max_length: 128,
            dropout: 0.1,
        }
    }
}

/// Decoder-only transformer language model.
#[derive(Module, Debug)]
pub struct CausalLm {
    encoder: Encoder,
    head: Linear,
}

impl CausalLmConfig {
    /// Builds the network for `vocab_size` tokens.
    pub fn init_random(&self, vocab_size: usize, device: &Device, seed: u64) -> Result<CausalLm> {
        self.check()?;
        if vocab_size == 0 {
            return Err(Error::invalid("shape", "the vocabulary is empty"));
        }
        let mut init = ParamInit::new(seed, device);
        let encoder = Encoder::new(
            &mut init,
            EncoderShape {
                vocab: vocab_size,
                d: self.d_model,
                heads: self.heads,
                layers: self.layers,
                ff: self.d_ff,
                max_length: self.max_length,
                dropout: self.dropout,
                causal: true,
            },
        );
        Ok(CausalLm {
            encoder,
            head: init.linear(self.d_model, vocab_size),
        })
    }
}

impl ModelConfig for CausalLmConfig {
    type Model = CausalLm;
    const KIND: &'static str = "causal-lm";

    fn check(&self) -> Result<()> {
        check_transformer(
            self.d_model,
            self.heads,
            self.layers,
            self.d_ff,
            self.max_length,
            self.dropout,
        )
    }

    fn init(&self, shape: ModelShape<'_>, device: &Device, seed: u64) -> Result<CausalLm> {
        check_fits(&shape, self.max_length)?;
        self.init_random(shape.tokenizer.vocab_size(), device, seed)
    }
}

impl LanguageModel for CausalLm {
    type Config = CausalLmConfig;

    fn forward(&self, batch: &TokenBatch, rng: Option<&mut SeededRng>) -> LmOutput {
        let hidden = self
            .encoder
            .forward(batch.ids.clone(), batch.mask.clone(), rng);
        LmOutput {
            logits: self.head.forward(hidden.clone()),
            hidden,
        }
    }

    fn max_length(&self) -> usize {
        self.encoder.max_length()
    }
}
