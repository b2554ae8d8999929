//! A model-free stand-in for a downstream model that *generates*, for tests of
//! multi-round self-augmentation ([`crate::rounds`]) on the hiring task.
//!
//! [`StandInLearner`] trains a wrapped downstream model (the classifier the task is
//! evaluated with) and, beside it, learns the culture skew of its training data: the
//! share `p` of Anglo candidates among the `hire` examples and among the `reject`
//! examples. As a generator it writes candidate profiles like [`StandInGenerator`], with
//! the Anglo share of strong applicants [`StandInLearner::learned_share`]`(p_hire)` and of
//! weak ones `learned_share(p_reject)`: it over-learns the deviation from the even share
//! of five cultures (1/5) three-fold, capped at 0.95. A balanced D_o (p = 0.2) leaves it
//! even; the stand-in generator's 0.8 strong-applicant share mixed at γ = 0.5 gives
//! p = 0.5 and a learned share of 0.95: the skew grows from round to round.

use std::sync::Arc;

use inherit_core::{Axis, Dataset, SeededRng, TextClassifier, TextGenerator};
use inherit_mitigate::{Mitigation, MitigationStack};

use super::StandInGenerator;
use crate::downstream::{Downstream, TrainedModel};
use crate::error::Result;
use crate::task::Task;

/// A downstream model whose trained models also write candidate profiles with the
/// culture skew they learned (see the module docs).
pub struct StandInLearner {
    inner: Box<dyn Downstream>,
    seed: u64,
}

impl StandInLearner {
    /// Wraps `inner` (which classifies); `seed` draws the profiles' pool.
    pub fn new(inner: Box<dyn Downstream>, seed: u64) -> Self {
        StandInLearner { inner, seed }
    }

    /// The Anglo share the learner writes for training data with Anglo share `p`:
    /// `0.2 + 3 (p − 0.2)`, clamped to [0, 0.95].
    pub fn learned_share(p: f64) -> f64 {
        (0.2 + 3.0 * (p - 0.2)).clamp(0.0, 0.95)
    }
}

/// The Anglo share among the examples of `train` labelled `label` (0.2, the even share,
/// when there are none).
fn anglo_share(train: &Dataset, label: &str) -> f64 {
    let of_label: Vec<_> = train
        .examples
        .iter()
        .filter(|e| e.label.as_deref() == Some(label))
        .collect();
    if of_label.is_empty() {
        return 0.2;
    }
    let anglo = of_label
        .iter()
        .filter(|e| e.groups.value(&Axis::Culture) == Some("anglo"))
        .count();
    anglo as f64 / of_label.len() as f64
}

impl Downstream for StandInLearner {
    fn id(&self) -> String {
        format!("stand-in-learner({})", self.inner.id())
    }

    fn identity(&self) -> serde_json::Value {
        serde_json::json!({
            "model": "stand-in-learner",
            "inner": self.inner.identity(),
            "seed": self.seed,
        })
    }

    fn prepare(
        &self,
        stack: &MitigationStack,
        train: Dataset,
        rng: &mut SeededRng,
    ) -> Result<Dataset> {
        self.inner.prepare(stack, train, rng)
    }

    fn train(
        &self,
        train: &Dataset,
        task: &dyn Task,
        mitigation: Arc<dyn Mitigation>,
        seed: u64,
    ) -> Result<Box<dyn TrainedModel>> {
        let inner = self.inner.train(train, task, mitigation, seed)?;
        let (strong, weak) = (
            Self::learned_share(anglo_share(train, "hire")),
            Self::learned_share(anglo_share(train, "reject")),
        );
        let generator = LearnedGenerator {
            id: format!("stand-in-learner strong {strong:.4} weak {weak:.4}"),
            inner: StandInGenerator::new(self.seed)?.with_anglo_shares(strong, weak),
        };
        Ok(Box::new(LearnerModel { inner, generator }))
    }
}

/// The stand-in generator with learned shares, under its own id.
struct LearnedGenerator {
    id: String,
    inner: StandInGenerator,
}

impl TextGenerator for LearnedGenerator {
    fn id(&self) -> String {
        self.id.clone()
    }

    fn generate(
        &self,
        prompts: &[inherit_core::Prompt],
        params: &inherit_core::GenerationParams,
    ) -> inherit_core::Result<Vec<String>> {
        self.inner.generate(prompts, params)
    }
}

struct LearnerModel {
    inner: Box<dyn TrainedModel>,
    generator: LearnedGenerator,
}

impl TrainedModel for LearnerModel {
    fn classifier(&self) -> Option<&dyn TextClassifier> {
        self.inner.classifier()
    }

    fn generator(&self) -> Option<&dyn TextGenerator> {
        Some(&self.generator)
    }

    fn into_generator(self: Box<Self>) -> Option<Box<dyn TextGenerator>> {
        Some(Box::new(self.generator))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_learned_share_triples_the_deviation_from_even_and_caps() {
        // 0.2 + 3 (p − 0.2): even stays even, 0.3 → 0.5, 0.5 → 1.1 capped at 0.95.
        assert!((StandInLearner::learned_share(0.2) - 0.2).abs() < 1e-12);
        assert!((StandInLearner::learned_share(0.3) - 0.5).abs() < 1e-12);
        assert_eq!(StandInLearner::learned_share(0.5), 0.95);
        assert_eq!(StandInLearner::learned_share(0.0), 0.0);
    }
}
