//! The training loop shared by the classifier and SFT trainers: batches, forward, loss,
//! backward, optimizer step (AdamW or plain SGD), schedule, validation, early stopping, progress, logs.

use std::io::IsTerminal;
use std::time::Instant;

use burn::module::Module;
use burn::optim::grad_clipping::GradientClippingConfig;
use burn::optim::{AdamWConfig, GradientsParams, SgdConfig};
use burn::tensor::{Device, Tensor};
use indicatif::{ProgressBar, ProgressStyle};
use inherit_core::{SeededRng, derive_seed, seeded_rng};
use serde::{Deserialize, Serialize};

use crate::base::to_host;
use crate::error::{Error, Result};
use crate::params::{OptimizerKind, TrainParams};
use crate::sampler::epoch_batches;

/// One epoch's record, returned to the caller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochLog {
    /// 1-based epoch.
    pub epoch: usize,
    /// Optimizer steps so far (all epochs).
    pub steps: usize,
    /// Mean training loss of the epoch's steps (weighted cross-entropy plus extra loss).
    pub train_loss: f64,
    /// Mean extra (mitigation) loss of the epoch's steps (0 without one).
    pub extra_loss: f64,
    /// Learning rate at the epoch's last step.
    pub learning_rate: f64,
    /// Validation metrics, when validation data was given.
    pub validation: Option<ValMetrics>,
    /// Wall-clock seconds of the epoch (training and validation).
    pub seconds: f64,
}

/// Validation metrics of one epoch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ValMetrics {
    /// Mean (unweighted) cross-entropy per example (per token for language models).
    pub loss: f64,
    /// Accuracy (classifiers; next-token accuracy for language models).
    pub accuracy: f64,
}

/// What a training run did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    /// One record per epoch run.
    pub epochs: Vec<EpochLog>,
    /// The epoch whose weights were kept (the best validation loss with early stopping,
    /// else the last).
    pub best_epoch: usize,
    /// Optimizer steps taken.
    pub steps: usize,
    /// Steps skipped because every example in the batch had weight 0 and there was no
    /// extra loss.
    pub skipped_steps: usize,
    /// True when early stopping ended the run.
    pub stopped_early: bool,
    /// Training examples processed per second (all epochs, validation excluded).
    pub examples_per_second: f64,
    /// The training loss of every optimizer step, in order (weighted cross-entropy plus
    /// extra loss).
    #[serde(default)]
    pub step_losses: Vec<f64>,
}

/// The loss of one batch.
pub(crate) struct StepLoss {
    /// Total loss (a one-element tensor on the autodiff device).
    pub loss: Tensor<1>,
    /// The extra term alone (host value, 0 without one).
    pub extra: f64,
}

/// A training task: data, loss and validation for one model type.
pub(crate) trait Task<M: Module> {
    /// Source of each training example (for batch sampling).
    fn augmented(&self) -> &[bool];

    /// Loss of one batch, or `None` when the batch carries no signal (all weights 0).
    fn loss(
        &self,
        model: &M,
        batch: &[usize],
        dropout: &mut SeededRng,
        device: &Device,
    ) -> Result<Option<StepLoss>>;

    /// Validation metrics of the inference copy (`Module::valid`) of the model, if validation data exists.
    fn validate(&self, model: &M) -> Result<Option<ValMetrics>>;
}

/// Runs the loop on `model` (built on the autodiff `device`); returns the kept model
/// (inference copy) and the report.
pub(crate) fn train<M: Module, T: Task<M>>(
    task: &T,
    model: M,
    params: &TrainParams,
    device: &Device,
) -> Result<(M, TrainReport)> {
    let augmented = task.augmented();
    let mut shuffle_rng = seeded_rng(derive_seed(params.seed, "batches"));
    let mut dropout_rng = seeded_rng(derive_seed(params.seed, "dropout"));
    let batches_per_epoch = epoch_batches(
        augmented,
        params.batch_size,
        params.sampling,
        &mut seeded_rng(0),
    )
    .len();
    let total_steps = params
        .max_steps
        .unwrap_or(usize::MAX)
        .min(batches_per_epoch * params.epochs);
    let clipping = params.grad_clip_norm.map(GradientClippingConfig::Norm);
    let mut optim = match params.optimizer {
        OptimizerKind::AdamW => AdamWConfig::new()
            .with_weight_decay(params.weight_decay)
            .with_grad_clipping(clipping)
            .init(),
        OptimizerKind::Sgd => SgdConfig::new().with_gradient_clipping(clipping).init(),
    };
    let bar = progress_bar(params.progress, total_steps);

    let mut model = model;
    let mut best: Option<(f64, usize, M)> = None;
    let mut since_best = 0;
    let (mut steps, mut skipped, mut examples) = (0usize, 0usize, 0usize);
    let mut train_seconds = 0.0;
    let mut logs = Vec::new();
    let mut step_losses = Vec::with_capacity(total_steps.min(1 << 20));
    let mut stopped_early = false;
    let mut lr = params.lr_at(0, total_steps);
    'epochs: for epoch in 1..=params.epochs {
        // `max_steps` reached in an earlier epoch: the remaining epochs would train nothing.
        if steps >= total_steps {
            break;
        }
        let start = Instant::now();
        let (mut loss_sum, mut extra_sum, mut counted) = (0.0, 0.0, 0usize);
        for batch in epoch_batches(
            augmented,
            params.batch_size,
            params.sampling,
            &mut shuffle_rng,
        ) {
            if steps >= total_steps {
                break;
            }
            let Some(step) = task.loss(&model, &batch, &mut dropout_rng, device)? else {
                skipped += 1;
                continue;
            };
            let value = f64::from(to_host(step.loss.clone())?[0]);
            loss_sum += value;
            step_losses.push(value);
            extra_sum += step.extra;
            counted += 1;
            lr = params.lr_at(steps, total_steps);
            let grads = GradientsParams::from_grads(step.loss.backward(), &model);
            model = optim.step(lr, model, grads);
            steps += 1;
            examples += batch.len();
            bar.inc(1);
        }
        train_seconds += start.elapsed().as_secs_f64();
        let inference = model.valid();
        let validation = task.validate(&inference)?;
        let mean = |s: f64| {
            if counted == 0 {
                0.0
            } else {
                s / counted as f64
            }
        };
        logs.push(EpochLog {
            epoch,
            steps,
            train_loss: mean(loss_sum),
            extra_loss: mean(extra_sum),
            learning_rate: lr,
            validation,
            seconds: start.elapsed().as_secs_f64(),
        });
        bar.set_message(format!(
            "epoch {epoch} loss {:.4}{}",
            mean(loss_sum),
            validation.map_or(String::new(), |v| format!(" val {:.4}", v.loss))
        ));
        match (params.early_stopping, validation) {
            (Some(es), Some(v)) => {
                let improved = best
                    .as_ref()
                    .is_none_or(|(l, _, _)| v.loss < l - es.min_delta);
                if improved {
                    best = Some((v.loss, epoch, inference));
                    since_best = 0;
                } else {
                    since_best += 1;
                    if since_best >= es.patience {
                        stopped_early = true;
                        break 'epochs;
                    }
                }
            }
            _ => best = Some((f64::NAN, epoch, inference)),
        }
        if steps >= total_steps {
            break;
        }
    }
    bar.finish_and_clear();
    let (_, best_epoch, kept) = match best {
        Some(b) => b,
        None => (f64::NAN, 0, model.valid()),
    };
    Ok((
        kept,
        TrainReport {
            epochs: logs,
            best_epoch,
            steps,
            skipped_steps: skipped,
            stopped_early,
            examples_per_second: if train_seconds > 0.0 {
                examples as f64 / train_seconds
            } else {
                0.0
            },
            step_losses,
        },
    ))
}

fn progress_bar(wanted: bool, total: usize) -> ProgressBar {
    if !wanted || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total as u64);
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} steps {elapsed} {msg}") {
        bar.set_style(style);
    }
    bar
}

/// The [`BatchView`](inherit_mitigate::BatchView) of one batch: labels (-1 when none;
/// also the strata of a source-comparing loss), source flags and group ids move to
/// `device` next to the model's outputs.
pub(crate) fn batch_view(
    hidden: Tensor<2>,
    logits: Tensor<2>,
    labels: Vec<i64>,
    is_augmented: Vec<bool>,
    group_ids: Vec<i64>,
    group_names: &[String],
    device: &Device,
) -> inherit_mitigate::BatchView {
    use burn::tensor::TensorData;
    let b = is_augmented.len();
    let aug: Vec<f32> = is_augmented
        .iter()
        .map(|a| f32::from(u8::from(*a)))
        .collect();
    inherit_mitigate::BatchView {
        hidden,
        logits,
        labels: Tensor::from_data(TensorData::new(labels.clone(), [b]), device),
        strata: labels,
        augmented: Tensor::from_data(TensorData::new(aug, [b]), device),
        group_ids: Tensor::from_data(TensorData::new(group_ids, [b]), device),
        group_names: group_names.to_vec(),
        is_augmented,
    }
}

/// Adds `mitigation`'s extra loss for `view` to the batch loss; returns the new loss and
/// the extra term's value (0 when the mitigation adds none). The term must be a
/// one-element tensor.
pub(crate) fn add_extra_loss(
    mitigation: &dyn inherit_mitigate::Mitigation,
    view: &inherit_mitigate::BatchView,
    loss: Option<Tensor<1>>,
) -> Result<(Option<Tensor<1>>, f64)> {
    let Some(extra) = mitigation.extra_loss(view) else {
        return Ok((loss, 0.0));
    };
    if extra.dims() != [1] {
        return Err(Error::Mitigation {
            spec: mitigation.spec(),
            message: format!(
                "extra_loss must be a one-element tensor, got shape {:?}",
                extra.dims()
            ),
        });
    }
    let value = f64::from(to_host(extra.clone())?[0]);
    Ok((Some(loss.map_or(extra.clone(), |l| l + extra)), value))
}
