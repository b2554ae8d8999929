//! The [`Mitigation`] trait and the [`BatchView`] contract between trainers and
//! mitigations.

use std::fmt::Debug;

use burn::tensor::{Int, Tensor};
use inherit_core::{Dataset, Example, SeededRng};

use crate::error::Result;

/// What a trainer shows a mitigation for every training batch.
///
/// All tensors live on the training device and belong to the autodiff graph of the
/// step, so a loss built from them sends gradients into the model.
#[derive(Debug, Clone)]
pub struct BatchView {
    /// Pooled last-layer hidden states φ(x), `[batch, d]`.
    pub hidden: Tensor<2>,
    /// Classifier logits, `[batch, classes]` (for a language model, its pooled next-token
    /// logits or an empty `[batch, 0]` tensor).
    pub logits: Tensor<2>,
    /// Class index per example, `[batch]` (-1 when unlabelled).
    pub labels: Tensor<1, Int>,
    /// 1.0 for augmented examples, 0.0 for original ones, `[batch]`.
    pub augmented: Tensor<1>,
    /// Group index per example on the trainer's group axis, `[batch]` (-1 when the example
    /// has no value on that axis); names in `group_names`.
    pub group_ids: Tensor<1, Int>,
    /// Names of the group indices.
    pub group_names: Vec<String>,
    /// Host copy of `augmented`, so a mitigation can skip a batch without a device read.
    pub is_augmented: Vec<bool>,
    /// Host stratum per example (the label index for a labelled example, -1 when the
    /// trainer knows none): a loss that compares the sources compares them within each
    /// stratum, so a different label mix of the two sources is not mistaken for a shift.
    pub strata: Vec<i64>,
}

impl BatchView {
    /// Batch size.
    pub fn len(&self) -> usize {
        self.is_augmented.len()
    }

    /// True for an empty batch.
    pub fn is_empty(&self) -> bool {
        self.is_augmented.is_empty()
    }

    /// True when the batch holds both original and augmented examples.
    pub fn has_both_sources(&self) -> bool {
        self.is_augmented.iter().any(|a| *a) && self.is_augmented.iter().any(|a| !*a)
    }
}

/// A bias mitigation strategy.
///
/// Every hook has a no-op default, so a strategy implements only the stages it acts at:
///
/// 1. data stage: [`Mitigation::prepare`] rewrites, adds or drops training examples (it
///    sees provenance, so it can act on augmented examples only), and
///    [`Mitigation::prepare_eval`] adjusts evaluation data (e.g. a source tag that must be
///    present at test time);
/// 2. training stage: [`Mitigation::example_weight`] scales each example's loss and
///    [`Mitigation::extra_loss`] adds a term built from the batch's [`BatchView`].
pub trait Mitigation: Send + Sync + Debug {
    /// The spec string that rebuilds this strategy (e.g. `loss:0.5`); see
    /// [`crate::MitigationStack::parse`].
    fn spec(&self) -> String;

    /// The strategy's parameters, for run manifests.
    fn params(&self) -> serde_json::Value {
        serde_json::Value::Null
    }

    /// True when the strategy changes nothing on data without augmented examples (the
    /// training data, the evaluation data, the weights and the losses stay as they
    /// are): at γ = 0 its cell is the unmitigated one, so a study trains that model once
    /// instead of once per mitigation. Default `false`, the safe answer.
    fn inert_without_augmented(&self) -> bool {
        false
    }

    /// Data stage on the training set.
    fn prepare(&self, dataset: Dataset, rng: &mut SeededRng) -> Result<Dataset> {
        let _ = rng;
        Ok(dataset)
    }

    /// Data stage on evaluation data (default: unchanged).
    fn prepare_eval(&self, dataset: Dataset) -> Result<Dataset> {
        Ok(dataset)
    }

    /// Data stage on the training set of a chat fine-tuning, where each example is the
    /// response the model learns to produce: the default is [`Mitigation::prepare`];
    /// a strategy whose marker belongs in the prompt instead (the token prefix) leaves
    /// the responses alone here and gives the marker through
    /// [`Mitigation::user_turn_prefix`].
    fn prepare_chat(&self, dataset: Dataset, rng: &mut SeededRng) -> Result<Dataset> {
        self.prepare(dataset, rng)
    }

    /// Chat fine-tuning: text the trainer puts at the start of the user turn of this
    /// training example (default none). Evaluation prompts never get it.
    fn user_turn_prefix(&self, example: &Example) -> Option<String> {
        let _ = example;
        None
    }

    /// Loss weight of one training example (default 1).
    fn example_weight(&self, example: &Example) -> f32 {
        let _ = example;
        1.0
    }

    /// An extra loss term for this batch, a one-element tensor (default none).
    fn extra_loss(&self, view: &BatchView) -> Option<Tensor<1>> {
        let _ = view;
        None
    }
}
