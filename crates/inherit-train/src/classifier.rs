//! [`ClassifierTrainer`]: mitigation-aware training of any [`ClassifierModel`], and
//! [`TrainedClassifier`]: the trained model with its tokenizer and labels, usable as
//! `inherit_core::TextClassifier` and `inherit_core::Embedder`, saved and loaded as a
//! checkpoint directory.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use burn::tensor::activation::softmax;
use burn::tensor::{Device, Int, Tensor, TensorData};
use inherit_core::{Dataset, Embedder, SeededRng, TextClassifier, derive_seed};
use inherit_mitigate::Mitigation;

use crate::base::{ClassifierModel, ModelConfig, ModelShape, TokenBatch, to_host, to_host_int};
use crate::checkpoint;
use crate::error::{Error, Result};
use crate::fit::{self, StepLoss, Task, TrainReport, ValMetrics};
use crate::loss::{per_example_cross_entropy, weighted_mean};
use crate::params::TrainParams;
use crate::tokenizer::{EncodedBatch, TextTokenizer};

/// Examples per forward pass at inference and validation.
const INFERENCE_BATCH: usize = 64;

/// Trains text classifiers, applying a mitigation's training-stage hooks.
///
/// The data stage of a mitigation ([`Mitigation::prepare`], [`Mitigation::prepare_eval`])
/// is the caller's: apply it to the datasets before [`ClassifierTrainer::fit`] and to
/// evaluation texts before prediction. The trainer applies the training stage:
///
/// - [`Mitigation::example_weight`] of each example scales its cross-entropy; the batch
///   loss is the weighted mean `sum(w_i * ce_i) / sum(w_i)`;
/// - [`Mitigation::extra_loss`] is called every batch with a filled [`BatchView`](inherit_mitigate::BatchView) and its
///   value is added to the loss.
#[derive(Debug, Clone)]
pub struct ClassifierTrainer {
    params: TrainParams,
    mitigation: Option<Arc<dyn Mitigation>>,
}

impl ClassifierTrainer {
    /// A trainer with checked parameters and no mitigation.
    pub fn new(params: TrainParams) -> Result<Self> {
        params.check()?;
        Ok(ClassifierTrainer {
            params,
            mitigation: None,
        })
    }

    /// Builder: the mitigation (a single strategy or a whole stack) whose training-stage
    /// hooks are applied.
    pub fn with_mitigation(mut self, mitigation: Arc<dyn Mitigation>) -> Self {
        self.mitigation = Some(mitigation);
        self
    }

    /// The parameters.
    pub fn params(&self) -> &TrainParams {
        &self.params
    }

    /// Trains a network built from `config` on `train` (every example labelled; the
    /// class set is `train.labels`), validating on `validation` each epoch.
    pub fn fit<C>(
        &self,
        config: &C,
        tokenizer: TextTokenizer,
        train: &Dataset,
        validation: Option<&Dataset>,
    ) -> Result<(TrainedClassifier<C::Model>, TrainReport)>
    where
        C: ModelConfig,
        C::Model: ClassifierModel<Config = C>,
    {
        config.check()?;
        let p = &self.params;
        if train.is_empty() || train.labels.is_empty() {
            return Err(Error::Data(format!(
                "training set `{}` has no examples or no labels",
                train.name
            )));
        }
        let device = p.device.device()?;
        let ad_device = device.clone().autodiff();
        let task = ClassifierTask::new(self, &tokenizer, train, validation, &device)?;
        let shape = ModelShape {
            tokenizer: &tokenizer,
            num_classes: train.labels.len(),
        };
        let model = config.init(shape, &ad_device, derive_seed(p.seed, "init"))?;
        let (model, report) = fit::train(&task, model, p, &ad_device)?;
        Ok((
            TrainedClassifier {
                model,
                config: config.clone(),
                tokenizer,
                labels: train.labels.clone(),
                device,
            },
            report,
        ))
    }
}

/// The training data of a classifier run, encoded once.
struct ClassifierTask<'a> {
    seqs: Vec<Vec<u32>>,
    labels: Vec<i64>,
    weights: Vec<f32>,
    augmented: Vec<bool>,
    group_ids: Vec<i64>,
    group_names: Vec<String>,
    num_classes: usize,
    pad: u32,
    mitigation: Option<&'a dyn Mitigation>,
    validation: Option<(Vec<Vec<u32>>, Vec<i64>)>,
    device: Device,
}

fn label_ids(data: &Dataset, labels: &[String]) -> Result<Vec<i64>> {
    data.examples
        .iter()
        .map(|e| {
            let l = e.label.as_deref().ok_or_else(|| {
                Error::Data(format!(
                    "example `{}` of `{}` has no label",
                    e.id, data.name
                ))
            })?;
            labels
                .iter()
                .position(|x| x == l)
                .map(|i| i as i64)
                .ok_or_else(|| {
                    Error::Data(format!(
                        "example `{}` of `{}` has label `{l}`, not among the training labels [{}]",
                        e.id,
                        data.name,
                        labels.join(", ")
                    ))
                })
        })
        .collect()
}

impl<'a> ClassifierTask<'a> {
    fn new(
        trainer: &'a ClassifierTrainer,
        tokenizer: &TextTokenizer,
        train: &Dataset,
        validation: Option<&Dataset>,
        device: &Device,
    ) -> Result<Self> {
        let mitigation = trainer.mitigation.as_deref();
        let labels = label_ids(train, &train.labels)?;
        let encode = |d: &Dataset| {
            d.examples
                .iter()
                .map(|e| tokenizer.classifier_ids(&e.text))
                .collect::<Result<Vec<_>>>()
        };
        let mut weights = Vec::with_capacity(train.len());
        for e in &train.examples {
            let w = mitigation.map_or(1.0, |m| m.example_weight(e));
            if !(w >= 0.0 && w.is_finite()) {
                return Err(Error::Mitigation {
                    spec: mitigation.map(|m| m.spec()).unwrap_or_default(),
                    message: format!("weight {w} of example `{}` is not finite and >= 0", e.id),
                });
            }
            weights.push(w);
        }
        let axis = &trainer.params.group_axis;
        let group_names: Vec<String> = train
            .examples
            .iter()
            .filter_map(|e| e.groups.value(axis).map(str::to_owned))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let group_ids = train
            .examples
            .iter()
            .map(|e| {
                e.groups
                    .value(axis)
                    .and_then(|v| group_names.iter().position(|g| g == v))
                    .map_or(-1, |i| i as i64)
            })
            .collect();
        let validation = match validation {
            Some(v) if !v.is_empty() => Some((encode(v)?, label_ids(v, &train.labels)?)),
            _ => None,
        };
        Ok(ClassifierTask {
            seqs: encode(train)?,
            labels,
            weights,
            augmented: train.examples.iter().map(|e| e.is_augmented()).collect(),
            group_ids,
            group_names,
            num_classes: train.labels.len(),
            pad: tokenizer.special_ids().pad,
            mitigation,
            validation,
            device: device.clone(),
        })
    }

    fn pick<T: Clone>(values: &[T], batch: &[usize]) -> Vec<T> {
        batch.iter().map(|i| values[*i].clone()).collect()
    }
}

impl<M: ClassifierModel> Task<M> for ClassifierTask<'_> {
    fn augmented(&self) -> &[bool] {
        &self.augmented
    }

    fn loss(
        &self,
        model: &M,
        batch: &[usize],
        dropout: &mut SeededRng,
        device: &Device,
    ) -> Result<Option<StepLoss>> {
        let b = batch.len();
        let enc = EncodedBatch::pad(&Self::pick(&self.seqs, batch), self.pad);
        let tokens = TokenBatch::new(&enc, device);
        let weights = Self::pick(&self.weights, batch);
        let weight_sum: f32 = weights.iter().sum();
        let labels = Tensor::<1, Int>::from_data(
            TensorData::new(Self::pick(&self.labels, batch), [b]),
            device,
        );
        let out = model.forward(&tokens, Some(dropout));
        let [hb, _] = out.hidden.dims();
        if hb != b || out.logits.dims() != [b, self.num_classes] {
            return Err(Error::Backend(format!(
                "the model returned hidden {:?} and logits {:?} for a batch of {b} and {} classes",
                out.hidden.dims(),
                out.logits.dims(),
                self.num_classes
            )));
        }
        let ce = per_example_cross_entropy(out.logits.clone(), labels);
        let mut loss = (weight_sum > 0.0).then(|| {
            let w = Tensor::<1>::from_data(TensorData::new(weights, [b]), device);
            weighted_mean(ce, w, weight_sum)
        });
        let mut extra_value = 0.0;
        if let Some(m) = self.mitigation {
            let view = fit::batch_view(
                out.hidden,
                out.logits,
                Self::pick(&self.labels, batch),
                Self::pick(&self.augmented, batch),
                Self::pick(&self.group_ids, batch),
                &self.group_names,
                device,
            );
            (loss, extra_value) = fit::add_extra_loss(m, &view, loss)?;
        }
        Ok(loss.map(|loss| StepLoss {
            loss,
            extra: extra_value,
        }))
    }

    fn validate(&self, model: &M) -> Result<Option<ValMetrics>> {
        let Some((seqs, labels)) = &self.validation else {
            return Ok(None);
        };
        let (mut loss, mut correct) = (0.0f64, 0usize);
        for (chunk, gold) in seqs
            .chunks(INFERENCE_BATCH)
            .zip(labels.chunks(INFERENCE_BATCH))
        {
            let enc = EncodedBatch::pad(chunk, self.pad);
            let out = model.forward(&TokenBatch::new(&enc, &self.device), None);
            let target = Tensor::<1, Int>::from_data(
                TensorData::new(gold.to_vec(), [gold.len()]),
                &self.device,
            );
            let pred = to_host_int(out.logits.clone().argmax(1))?;
            let ce = to_host(per_example_cross_entropy(out.logits, target))?;
            loss += ce.iter().map(|v| f64::from(*v)).sum::<f64>();
            correct += pred.iter().zip(gold).filter(|(p, g)| p == g).count();
        }
        let n = labels.len() as f64;
        Ok(Some(ValMetrics {
            loss: loss / n,
            accuracy: correct as f64 / n,
        }))
    }
}

/// What [`TrainedClassifier::infer`] computes for each text.
#[derive(Debug, Clone, PartialEq)]
pub struct Inference {
    /// Class probabilities (summing to 1), one row per text.
    pub probabilities: Vec<Vec<f32>>,
    /// Pooled last-layer hidden states, one row per text.
    pub hidden: Vec<Vec<f32>>,
}

/// A trained classifier: network, configuration, tokenizer, labels and device.
#[derive(Debug, Clone)]
pub struct TrainedClassifier<M: ClassifierModel> {
    model: M,
    config: M::Config,
    tokenizer: TextTokenizer,
    labels: Vec<String>,
    device: Device,
}

impl<M: ClassifierModel> TrainedClassifier<M> {
    /// Wraps a network (on `device`, without autodiff) with what it needs to predict.
    pub fn new(
        model: M,
        config: M::Config,
        tokenizer: TextTokenizer,
        labels: Vec<String>,
        device: Device,
    ) -> Self {
        TrainedClassifier {
            model,
            config,
            tokenizer,
            labels,
            device,
        }
    }

    /// The network.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The configuration it was built from.
    pub fn config(&self) -> &M::Config {
        &self.config
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &TextTokenizer {
        &self.tokenizer
    }

    /// The device it runs on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Class probabilities and pooled hidden states of `texts` in one pass.
    pub fn infer(&self, texts: &[String]) -> Result<Inference> {
        let (mut probs, mut hidden) = (Vec::new(), Vec::new());
        let c = self.labels.len();
        let d = self.model.hidden_dim();
        for chunk in texts.chunks(INFERENCE_BATCH) {
            let enc = self.tokenizer.encode_for_classifier(chunk)?;
            let out = self
                .model
                .forward(&TokenBatch::new(&enc, &self.device), None);
            let p = to_host(softmax(out.logits, 1))?;
            let h = to_host(out.hidden)?;
            probs.extend(p.chunks(c).map(<[f32]>::to_vec));
            hidden.extend(h.chunks(d).map(<[f32]>::to_vec));
        }
        Ok(Inference {
            probabilities: probs,
            hidden,
        })
    }

    /// Writes a checkpoint directory (atomically; see [`crate::checkpoint`]).
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<()> {
        checkpoint::save(
            dir.as_ref(),
            &self.config,
            &self.model,
            &self.tokenizer,
            &self.labels,
        )
    }

    /// Reads a checkpoint directory written by [`TrainedClassifier::save`] onto `device`.
    pub fn load(dir: impl AsRef<Path>, device: &Device) -> Result<Self> {
        let loaded = checkpoint::load::<M::Config>(dir.as_ref(), |config, tokenizer, classes| {
            let shape = ModelShape {
                tokenizer,
                num_classes: classes,
            };
            config.for_loading().init(shape, device, 0)
        })?;
        if loaded.meta.labels.is_empty() {
            return Err(Error::checkpoint(
                dir.as_ref(),
                "a classifier checkpoint needs labels",
            ));
        }
        Ok(TrainedClassifier {
            model: loaded.model,
            config: loaded.config,
            tokenizer: loaded.tokenizer,
            labels: loaded.meta.labels,
            device: device.clone(),
        })
    }
}

impl<M: ClassifierModel> TextClassifier for TrainedClassifier<M> {
    fn labels(&self) -> &[String] {
        &self.labels
    }

    fn predict_proba(&self, texts: &[String]) -> inherit_core::Result<Vec<Vec<f32>>> {
        Ok(self.infer(texts)?.probabilities)
    }
}

impl<M: ClassifierModel> Embedder for TrainedClassifier<M> {
    fn dim(&self) -> usize {
        self.model.hidden_dim()
    }

    /// The pooled last-layer hidden state (the input of the output layer).
    fn embed(&self, texts: &[String]) -> inherit_core::Result<Vec<Vec<f32>>> {
        Ok(self.infer(texts)?.hidden)
    }
}
