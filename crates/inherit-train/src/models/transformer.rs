//! A small transformer encoder classifier trained from scratch.

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::Device;
use inherit_core::SeededRng;
use serde::{Deserialize, Serialize};

use crate::base::{
    ClassifierModel, ClassifierOutput, ModelConfig, ModelShape, TokenBatch, masked_mean,
};
use crate::error::{Error, Result};
use crate::init::ParamInit;
use crate::models::encoder::{Encoder, EncoderShape};

/// How the encoder's last layer is pooled into one vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Pooling {
    /// Mean over real (non-padding) positions.
    #[default]
    Mean,
    /// The first position (`[CLS]`).
    Cls,
}

/// Configuration of [`TransformerClassifier`].
///
/// | name | default | range |
/// |---|---|---|
/// | `d_model` | 64 | >= 1, divisible by `heads` |
/// | `heads` | 4 | >= 1 |
/// | `layers` | 2 | >= 1 |
/// | `d_ff` | 128 | >= 1 |
/// | `max_length` | 128 | >= 2; at least the tokenizer's `max_length` |
/// | `dropout` | 0.1 | [0, 1) |
/// | `pooling` | `mean` | `mean`, `cls` |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TransformerClassifierConfig {
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
    /// Pooling of the last layer.
    pub pooling: Pooling,
}

impl Default for TransformerClassifierConfig {
    fn default() -> Self {
        TransformerClassifierConfig {
            d_model: 64,
            heads: 4,
            layers: 2,
            d_ff: 128,
            max_length: 128,
            dropout: 0.1,
            pooling: Pooling::Mean,
        }
    }
}

/// Checks the shared transformer ranges.
pub(crate) fn check_transformer(
    d_model: usize,
    heads: usize,
    layers: usize,
    d_ff: usize,
    max_length: usize,
    dropout: f64,
) -> Result<()> {
    for (name, v) in [
        ("d_model", d_model),
        ("heads", heads),
        ("layers", layers),
        ("d_ff", d_ff),
    ] {
        if v == 0 {
            return Err(Error::invalid(name, "must be >= 1"));
        }
    }
    if !d_model.is_multiple_of(heads) {
        return Err(Error::invalid(
            "heads",
            format!("must divide d_model ({d_model}), got {heads}"),
        ));
    }
    if max_length < 2 {
        return Err(Error::invalid("max_length", "must be >= 2"));
    }
    if !(0.0..1.0).contains(&dropout) {
        return Err(Error::invalid(
            "dropout",
            format!("must be in [0, 1), got {dropout}"),
        ));
    }
    Ok(())
}

/// Checks that the tokenizer never produces sequences longer than the position table.
pub(crate) fn check_fits(shape: &ModelShape<'_>, max_length: usize) -> Result<()> {
    let tok_max = shape.tokenizer.config().max_length;
    if tok_max > max_length {
        return Err(Error::invalid(
            "max_length",
            format!("the model's {max_length} is below the tokenizer's max_length {tok_max}"),
        ));
    }
    Ok(())
}

/// Transformer encoder text classifier.
#[derive(Module, Debug)]
pub struct TransformerClassifier {
    encoder: Encoder,
    head: Linear,
    cls_pooling: bool,
    d_model: usize,
}

impl TransformerClassifierConfig {
    /// Builds the network for `vocab_size` tokens and `num_classes` classes.
    pub fn init_random(
        &self,
        vocab_size: usize,
        num_classes: usize,
        device: &Device,
        seed: u64,
    ) -> Result<TransformerClassifier> {
        self.check()?;
        if vocab_size == 0 || num_classes == 0 {
            return Err(Error::invalid(
                "shape",
                "vocabulary and class count must be non-empty",
            ));
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
                causal: false,
            },
        );
        Ok(TransformerClassifier {
            encoder,
            head: init.linear(self.d_model, num_classes),
            cls_pooling: self.pooling == Pooling::Cls,
            d_model: self.d_model,
        })
    }
}

impl ModelConfig for TransformerClassifierConfig {
    type Model = TransformerClassifier;
    const KIND: &'static str = "transformer-classifier";

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

    fn init(
        &self,
        shape: ModelShape<'_>,
        device: &Device,
        seed: u64,
    ) -> Result<TransformerClassifier> {
        check_fits(&shape, self.max_length)?;
        self.init_random(
            shape.tokenizer.vocab_size(),
            shape.num_classes,
            device,
            seed,
        )
    }
}

impl ClassifierModel for TransformerClassifier {
    type Config = TransformerClassifierConfig;

    fn forward(&self, batch: &TokenBatch, rng: Option<&mut SeededRng>) -> ClassifierOutput {
        let [b, t] = batch.dims();
        let (ids, mask) = if t > self.encoder.max_length() {
            let m = self.encoder.max_length();
            (
                batch.ids.clone().narrow(1, 0, m),
                batch.mask.clone().narrow(1, 0, m),
            )
        } else {
            (batch.ids.clone(), batch.mask.clone())
        };
        let h = self.encoder.forward(ids, mask.clone(), rng);
        let pooled = if self.cls_pooling {
            h.narrow(1, 0, 1).reshape([b, self.d_model])
        } else {
            masked_mean(h, mask)
        };
        ClassifierOutput {
            logits: self.head.forward(pooled.clone()),
            hidden: pooled,
        }
    }

    fn hidden_dim(&self) -> usize {
        self.d_model
    }
}
