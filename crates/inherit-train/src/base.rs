//! The traits a network implements to be trained here, and the tensors that flow through
//! them.
//!
//! The trainers are generic over [`ClassifierModel`] and [`LanguageModel`], so a network
//! written elsewhere (a pretrained encoder, a pretrained decoder) trains with the same
//! loops, mitigations and checkpoints as the small models of [`crate::models`].

use std::fmt::Debug;

use burn::module::Module;
use burn::tensor::{Device, Int, Tensor, TensorData};
use inherit_core::SeededRng;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::tokenizer::{EncodedBatch, TextTokenizer};

/// A padded token batch on a device.
#[derive(Debug, Clone)]
pub struct TokenBatch {
    /// Token ids, `[batch, len]`.
    pub ids: Tensor<2, Int>,
    /// 1.0 for real tokens and 0.0 for padding, `[batch, len]`.
    pub mask: Tensor<2>,
}

impl TokenBatch {
    /// Moves a host batch to `device`.
    pub fn new(encoded: &EncodedBatch, device: &Device) -> Self {
        let shape = [encoded.batch, encoded.len];
        let ids: Vec<i64> = encoded.ids.iter().map(|i| i64::from(*i)).collect();
        let mask: Vec<f32> = encoded.mask.iter().map(|m| f32::from(*m)).collect();
        TokenBatch {
            ids: Tensor::from_data(TensorData::new(ids, shape), device),
            mask: Tensor::from_data(TensorData::new(mask, shape), device),
        }
    }

    /// `[batch, len]`.
    pub fn dims(&self) -> [usize; 2] {
        self.ids.dims()
    }
}

/// What a classifier computes for a batch.
#[derive(Debug, Clone)]
pub struct ClassifierOutput {
    /// Pooled last-layer hidden state (the input of the output layer), `[batch, d]`.
    pub hidden: Tensor<2>,
    /// Class logits, `[batch, classes]`.
    pub logits: Tensor<2>,
}

/// A text classifier network.
pub trait ClassifierModel: Module + Sync + 'static {
    /// Its configuration.
    type Config: ModelConfig<Model = Self>;

    /// Logits and pooled hidden state. `dropout` is the training stream of the step
    /// (`None` at inference, which disables dropout).
    fn forward(&self, batch: &TokenBatch, dropout: Option<&mut SeededRng>) -> ClassifierOutput;

    /// Width of the pooled hidden state.
    fn hidden_dim(&self) -> usize;
}

/// What a causal language model computes for a batch.
#[derive(Debug, Clone)]
pub struct LmOutput {
    /// Next-token logits at every position, `[batch, len, vocab]`.
    pub logits: Tensor<3>,
    /// Last-layer hidden states, `[batch, len, d]`.
    pub hidden: Tensor<3>,
}

/// A causal (decoder-only) language model network.
pub trait LanguageModel: Module + Sync + 'static {
    /// Its configuration.
    type Config: ModelConfig<Model = Self>;

    /// Logits for the next token at every position (position `i` sees tokens `0..=i`).
    fn forward(&self, batch: &TokenBatch, dropout: Option<&mut SeededRng>) -> LmOutput;

    /// Longest sequence the model accepts (positions beyond are truncated by callers).
    fn max_length(&self) -> usize;
}

/// What a network is built for: the vocabulary and (for classifiers) the class count.
#[derive(Debug, Clone, Copy)]
pub struct ModelShape<'a> {
    /// The tokenizer (vocabulary size, and words for pretrained word vectors).
    pub tokenizer: &'a TextTokenizer,
    /// Number of classes (0 for language models).
    pub num_classes: usize,
}

/// A serialisable network configuration that builds the network.
pub trait ModelConfig:
    Serialize + DeserializeOwned + Clone + Debug + Send + Sync + 'static
{
    /// The network it builds.
    type Model: Module;

    /// Short model name, written into checkpoints and checked on load.
    const KIND: &'static str;

    /// Checks the parameter ranges (each config documents them).
    fn check(&self) -> Result<()>;

    /// Builds the network with parameters drawn from `seed` (see [`crate::init`]).
    fn init(&self, shape: ModelShape<'_>, device: &Device, seed: u64) -> Result<Self::Model>;

    /// The configuration of the untrained network a checkpoint's weights are loaded
    /// into: the same by default; a configuration that reads files at initialisation
    /// (word vectors) leaves them out, since the checkpoint holds the trained values.
    fn for_loading(&self) -> Self {
        self.clone()
    }
}

/// Reads a float tensor back to the host.
pub(crate) fn to_host<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>> {
    t.try_into_vec_as::<f32>()
        .map_err(|e| Error::Backend(format!("reading a tensor back: {e:?}")))
}

/// Reads an int tensor back to the host.
pub(crate) fn to_host_int<const D: usize>(t: Tensor<D, Int>) -> Result<Vec<i64>> {
    t.try_into_vec_as::<i64>()
        .map_err(|e| Error::Backend(format!("reading a tensor back: {e:?}")))
}

/// Mean of `x` `[batch, len, d]` over the positions where `mask` `[batch, len]` is 1.
pub fn masked_mean(x: Tensor<3>, mask: Tensor<2>) -> Tensor<2> {
    let [b, _, d] = x.dims();
    let m = mask.unsqueeze_dim::<3>(2);
    let sum = (x * m.clone()).sum_dim(1).reshape([b, d]);
    let count = m.sum_dim(1).reshape([b, 1]).clamp_min(1.0);
    sum / count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_mean_ignores_padding() {
        let device = Device::flex();
        // batch 1, len 3, d 2; the third position is padding.
        let x = Tensor::<3>::from_data([[[1.0, 2.0], [3.0, 6.0], [100.0, 100.0]]], &device);
        let mask = Tensor::<2>::from_data([[1.0, 1.0, 0.0]], &device);
        let m = to_host(masked_mean(x, mask)).unwrap();
        assert_eq!(m, vec![2.0, 4.0]); // (1+3)/2, (2+6)/2
    }
}
