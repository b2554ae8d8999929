//! Training parameters shared by [`crate::ClassifierTrainer`] and [`crate::SftTrainer`],
//! and the learning-rate schedule.

use inherit_core::Axis;
use serde::{Deserialize, Serialize};

use crate::device::DeviceSpec;
use crate::error::{Error, Result};

/// Shape of the learning rate after warm-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LrDecay {
    /// Constant at the peak.
    Constant,
    /// Linear from the peak to 0 at the last step.
    #[default]
    Linear,
    /// Half-cosine from the peak to 0 at the last step.
    Cosine,
}

/// How training examples are grouped into batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum BatchSampling {
    /// A seeded shuffle of all examples each epoch.
    #[default]
    Shuffle,
    /// Every batch holds both original and augmented examples (for losses such as
    /// alignment that compare the two): both sources are shuffled and spread evenly over
    /// the batches; when the smaller source has fewer examples than there are batches,
    /// its examples are reused (cycled in a fresh shuffle) so that each batch gets one.
    MixedSources,
}

/// The optimizer of the training loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// AdamW with decoupled `weight_decay` (burn's defaults for β and ε).
    #[default]
    AdamW,
    /// Plain stochastic gradient descent, `θ ← θ − lr·∇θ`: no momentum, and
    /// `weight_decay` must be 0. The reference runs against PyTorch use it.
    Sgd,
}

/// Early stopping on the validation loss.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EarlyStopping {
    /// Epochs without improvement before stopping.
    pub patience: usize,
    /// Smallest decrease of the validation loss that counts as improvement.
    pub min_delta: f64,
}

/// Training parameters.
///
/// | name | default | range |
/// |---|---|---|
/// | `epochs` | 10 | >= 1 |
/// | `max_steps` | none | >= 1 when set; stops after this many optimizer steps |
/// | `batch_size` | 32 | >= 1 (>= 2 with `mixed-sources` sampling) |
/// | `learning_rate` | 1e-3 | > 0 (peak, after warm-up) |
/// | `warmup_steps` | 0 | any; linear warm-up from `lr / warmup_steps` |
/// | `decay` | `linear` | `constant`, `linear`, `cosine` |
/// | `optimizer` | `adamw` | `adamw`, `sgd` (plain: no momentum) |
/// | `weight_decay` | 0.01 | >= 0 (AdamW, decoupled); 0 with `sgd` |
/// | `grad_clip_norm` | 1.0 | > 0 when set; each parameter tensor's gradient L2 norm is clipped (burn's per-tensor clipping) |
/// | `early_stopping` | patience 3, min_delta 0 | needs validation data; the best epoch's weights are kept |
/// | `sampling` | `shuffle` | `shuffle`, `mixed-sources` |
/// | `group_axis` | `gender` | the axis whose values fill `BatchView::group_ids` |
/// | `seed` | 0 | any: initialisation, shuffling, dropout |
/// | `progress` | true | a progress bar on stderr, only when it is a terminal |
/// | `device` | `flex` | see [`DeviceSpec`] |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainParams {
    /// Passes over the training data.
    pub epochs: usize,
    /// Optional cap on optimizer steps.
    pub max_steps: Option<usize>,
    /// Examples per batch.
    pub batch_size: usize,
    /// Peak learning rate.
    pub learning_rate: f64,
    /// Warm-up steps.
    pub warmup_steps: usize,
    /// Decay after warm-up.
    pub decay: LrDecay,
    /// The optimizer.
    pub optimizer: OptimizerKind,
    /// AdamW weight decay.
    pub weight_decay: f32,
    /// Gradient clipping by L2 norm.
    pub grad_clip_norm: Option<f32>,
    /// Early stopping on validation loss.
    pub early_stopping: Option<EarlyStopping>,
    /// Batch composition.
    pub sampling: BatchSampling,
    /// Group axis of `BatchView::group_ids`.
    pub group_axis: Axis,
    /// Seed of every random step.
    pub seed: u64,
    /// Show a progress bar (on a terminal only).
    pub progress: bool,
    /// Compute device.
    pub device: DeviceSpec,
}

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams {
            epochs: 10,
            max_steps: None,
            batch_size: 32,
            learning_rate: 1e-3,
            warmup_steps: 0,
            decay: LrDecay::Linear,
            optimizer: OptimizerKind::AdamW,
            weight_decay: 0.01,
            grad_clip_norm: Some(1.0),
            early_stopping: Some(EarlyStopping {
                patience: 3,
                min_delta: 0.0,
            }),
            sampling: BatchSampling::Shuffle,
            group_axis: Axis::Gender,
            seed: 0,
            progress: true,
            device: DeviceSpec::Flex,
        }
    }
}

impl TrainParams {
    /// Checks the ranges in the table above.
    pub fn check(&self) -> Result<()> {
        if self.epochs == 0 {
            return Err(Error::invalid("epochs", "must be >= 1"));
        }
        if self.max_steps == Some(0) {
            return Err(Error::invalid("max_steps", "must be >= 1 when set"));
        }
        let min_batch = match self.sampling {
            BatchSampling::Shuffle => 1,
            BatchSampling::MixedSources => 2,
        };
        if self.batch_size < min_batch {
            return Err(Error::invalid(
                "batch_size",
                format!(
                    "must be >= {min_batch} with this sampling, got {}",
                    self.batch_size
                ),
            ));
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return Err(Error::invalid(
                "learning_rate",
                format!("must be > 0, got {}", self.learning_rate),
            ));
        }
        if self.weight_decay.is_nan() || self.weight_decay < 0.0 {
            return Err(Error::invalid("weight_decay", "must be >= 0"));
        }
        if self.optimizer == OptimizerKind::Sgd && self.weight_decay != 0.0 {
            return Err(Error::invalid(
                "weight_decay",
                format!("must be 0 with plain SGD, got {}", self.weight_decay),
            ));
        }
        if let Some(c) = self.grad_clip_norm
            && (c.is_nan() || c <= 0.0)
        {
            return Err(Error::invalid("grad_clip_norm", "must be > 0 when set"));
        }
        Ok(())
    }

    /// The learning rate at optimizer step `step` (0-based) of `total` steps.
    pub fn lr_at(&self, step: usize, total: usize) -> f64 {
        let peak = self.learning_rate;
        if step < self.warmup_steps {
            return peak * (step + 1) as f64 / self.warmup_steps as f64;
        }
        let span = total.saturating_sub(self.warmup_steps).max(1) as f64;
        let progress = ((step - self.warmup_steps) as f64 / span).min(1.0);
        match self.decay {
            LrDecay::Constant => peak,
            LrDecay::Linear => peak * (1.0 - progress),
            LrDecay::Cosine => peak * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_warms_up_then_decays() {
        let p = TrainParams {
            learning_rate: 1.0,
            warmup_steps: 4,
            ..Default::default()
        };
        // Warm-up: 1/4, 2/4, 3/4, 4/4.
        assert_eq!(p.lr_at(0, 14), 0.25);
        assert_eq!(p.lr_at(3, 14), 1.0);
        // Linear over the 10 remaining steps: step 4 -> 1.0, step 9 -> 0.5.
        assert_eq!(p.lr_at(4, 14), 1.0);
        assert_eq!(p.lr_at(9, 14), 0.5);
        let cos = TrainParams {
            decay: LrDecay::Cosine,
            ..p.clone()
        };
        // Half way: 0.5 * (1 + cos(pi/2)) = 0.5.
        assert!((cos.lr_at(9, 14) - 0.5).abs() < 1e-12);
        let constant = TrainParams {
            decay: LrDecay::Constant,
            ..p
        };
        assert_eq!(constant.lr_at(13, 14), 1.0);
    }

    #[test]
    fn ranges_are_checked() {
        assert!(TrainParams::default().check().is_ok());
        for bad in [
            TrainParams {
                epochs: 0,
                ..Default::default()
            },
            TrainParams {
                learning_rate: 0.0,
                ..Default::default()
            },
            TrainParams {
                grad_clip_norm: Some(0.0),
                ..Default::default()
            },
            TrainParams {
                optimizer: OptimizerKind::Sgd,
                ..Default::default()
            },
            TrainParams {
                batch_size: 1,
                sampling: BatchSampling::MixedSources,
                ..Default::default()
            },
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
    }
}
