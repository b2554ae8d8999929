//! [`SftTrainer`]: supervised fine-tuning (or training from scratch) of a causal language
//! model on prompt/response pairs, with the loss on response tokens only.

use std::collections::BTreeSet;
use std::sync::Arc;

use burn::tensor::{Device, Int, Tensor, TensorData};
use inherit_core::{Example, SeededRng, derive_seed};
use inherit_mitigate::Mitigation;

use crate::base::{
    LanguageModel, ModelConfig, ModelShape, TokenBatch, masked_mean, to_host, to_host_int,
};
use crate::error::{Error, Result};
use crate::fit::{self, StepLoss, Task, TrainReport, ValMetrics};
use crate::lm::TrainedLm;
use crate::loss::{per_example_cross_entropy, weighted_mean};
use crate::params::TrainParams;
use crate::tokenizer::{EncodedBatch, TextTokenizer};

/// One training pair: a prompt and the response example whose text the model learns to
/// produce. The response's provenance and groups feed the mitigation hooks.
#[derive(Debug, Clone, PartialEq)]
pub struct SftPair {
    /// The prompt (empty for plain language modelling: the loss then covers the whole
    /// text).
    pub prompt: String,
    /// The response.
    pub response: Example,
}

impl SftPair {
    /// A pair.
    pub fn new(prompt: impl Into<String>, response: Example) -> Self {
        SftPair {
            prompt: prompt.into(),
            response,
        }
    }
}

/// Trains causal language models on [`SftPair`]s.
///
/// Each pair becomes `[CLS] prompt response [SEP]` (truncated to the tokenizer's and the
/// model's `max_length`); the loss of a pair is the mean next-token cross-entropy over its
/// response tokens and the final `[SEP]`. Mitigation hooks act as in
/// [`crate::ClassifierTrainer`]: example weights give the weighted mean over pairs, and
/// `extra_loss` sees a [`BatchView`](inherit_mitigate::BatchView) whose `hidden` is the mean last-layer state over the
/// response tokens, `logits` the mean next-token logits over them (`[batch, vocab]`), and
/// `labels` -1.
#[derive(Debug, Clone)]
pub struct SftTrainer {
    params: TrainParams,
    mitigation: Option<Arc<dyn Mitigation>>,
}

impl SftTrainer {
    /// A trainer with checked parameters and no mitigation.
    pub fn new(params: TrainParams) -> Result<Self> {
        params.check()?;
        Ok(SftTrainer {
            params,
            mitigation: None,
        })
    }

    /// Builder: the mitigation whose training-stage hooks are applied.
    pub fn with_mitigation(mut self, mitigation: Arc<dyn Mitigation>) -> Self {
        self.mitigation = Some(mitigation);
        self
    }

    /// Trains a network built from `config` on `train`, validating on `validation`
    /// (may be empty) each epoch.
    pub fn fit<C>(
        &self,
        config: &C,
        tokenizer: TextTokenizer,
        train: &[SftPair],
        validation: &[SftPair],
    ) -> Result<(TrainedLm<C::Model>, TrainReport)>
    where
        C: ModelConfig,
        C::Model: LanguageModel<Config = C>,
    {
        config.check()?;
        if train.is_empty() {
            return Err(Error::Data("no training pairs".into()));
        }
        let p = &self.params;
        let device = p.device.device()?;
        let ad_device = device.clone().autodiff();
        let shape = ModelShape {
            tokenizer: &tokenizer,
            num_classes: 0,
        };
        let model = config.init(shape, &ad_device, derive_seed(p.seed, "init"))?;
        let window = model.max_length().min(tokenizer.config().max_length);
        let task = SftTask::new(self, &tokenizer, window, train, validation, &device)?;
        let (model, report) = fit::train(&task, model, p, &ad_device)?;
        Ok((
            TrainedLm::new(model, config.clone(), tokenizer, device),
            report,
        ))
    }
}

/// One encoded pair: the token sequence and where the response starts.
#[derive(Debug, Clone)]
struct Encoded {
    seq: Vec<u32>,
    response_start: usize,
}

struct SftTask<'a> {
    train: Vec<Encoded>,
    weights: Vec<f32>,
    augmented: Vec<bool>,
    group_ids: Vec<i64>,
    group_names: Vec<String>,
    validation: Vec<Encoded>,
    pad: u32,
    mitigation: Option<&'a dyn Mitigation>,
    device: Device,
}

fn encode(
    tokenizer: &TextTokenizer,
    window: usize,
    pairs: &[SftPair],
    what: &str,
) -> Result<Vec<Encoded>> {
    let ids = tokenizer.special_ids();
    pairs
        .iter()
        .enumerate()
        .map(|(i, pair)| {
            let mut seq = vec![ids.cls];
            seq.extend(tokenizer.encode(&pair.prompt)?);
            let response_start = seq.len();
            seq.extend(tokenizer.encode(&pair.response.text)?);
            seq.push(ids.sep);
            seq.truncate(window);
            if seq.len() <= response_start {
                return Err(Error::Data(format!(
                    "{what} pair {} (response `{}`): the prompt fills the {window}-token window, \
                     leaving no response token to learn",
                    i + 1,
                    pair.response.id
                )));
            }
            Ok(Encoded {
                seq,
                response_start,
            })
        })
        .collect()
}

impl<'a> SftTask<'a> {
    fn new(
        trainer: &'a SftTrainer,
        tokenizer: &TextTokenizer,
        window: usize,
        train: &[SftPair],
        validation: &[SftPair],
        device: &Device,
    ) -> Result<Self> {
        let mitigation = trainer.mitigation.as_deref();
        let weights = example_weights(train, mitigation)?;
        let (group_names, group_ids) = group_ids(train, &trainer.params.group_axis);
        Ok(SftTask {
            train: encode(tokenizer, window, train, "training")?,
            weights,
            augmented: train.iter().map(|p| p.response.is_augmented()).collect(),
            group_ids,
            group_names,
            validation: encode(tokenizer, window, validation, "validation")?,
            pad: tokenizer.special_ids().pad,
            mitigation,
            device: device.clone(),
        })
    }
}

/// Inputs, next-token targets and the response mask of a batch of sequences.
struct LmBatch {
    tokens: TokenBatch,
    targets: Tensor<1, Int>,
    target_host: Vec<i64>,
    mask: Tensor<2>,
    mask_host: Vec<f32>,
    counts: Vec<f32>,
    dims: [usize; 2],
}

fn lm_batch(items: &[&Encoded], pad: u32, device: &Device) -> LmBatch {
    let inputs: Vec<Vec<u32>> = items
        .iter()
        .map(|e| e.seq[..e.seq.len() - 1].to_vec())
        .collect();
    let enc = EncodedBatch::pad(&inputs, pad);
    let (b, t) = (enc.batch, enc.len);
    let mut target_host = Vec::with_capacity(b * t);
    let mut mask_host = Vec::with_capacity(b * t);
    let mut counts = Vec::with_capacity(b);
    for e in items {
        let n = e.seq.len() - 1;
        for j in 0..t {
            let is_target = j < n && j + 1 >= e.response_start;
            target_host.push(if j < n {
                i64::from(e.seq[j + 1])
            } else {
                i64::from(pad)
            });
            mask_host.push(if is_target { 1.0 } else { 0.0 });
        }
        counts.push((n + 1 - e.response_start) as f32);
    }
    LmBatch {
        tokens: TokenBatch::new(&enc, device),
        targets: Tensor::from_data(TensorData::new(target_host.clone(), [b * t]), device),
        target_host,
        mask: Tensor::from_data(TensorData::new(mask_host.clone(), [b, t]), device),
        mask_host,
        counts,
        dims: [b, t],
    }
}

impl<M: LanguageModel> Task<M> for SftTask<'_> {
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
        let items: Vec<&Encoded> = batch.iter().map(|i| &self.train[*i]).collect();
        let lb = lm_batch(&items, self.pad, device);
        let [b, t] = lb.dims;
        let out = model.forward(&lb.tokens, Some(dropout));
        let v = out.logits.dims()[2];
        let ce = per_example_cross_entropy(out.logits.clone().reshape([b * t, v]), lb.targets)
            .reshape([b, t]);
        let counts = Tensor::<1>::from_data(TensorData::new(lb.counts, [b]), device);
        let per_pair = (ce * lb.mask.clone()).sum_dim(1).reshape([b]) / counts;
        let weights: Vec<f32> = batch.iter().map(|i| self.weights[*i]).collect();
        let weight_sum: f32 = weights.iter().sum();
        let mut loss = (weight_sum > 0.0).then(|| {
            let w = Tensor::<1>::from_data(TensorData::new(weights, [b]), device);
            weighted_mean(per_pair, w, weight_sum)
        });
        let mut extra_value = 0.0;
        if let Some(m) = self.mitigation {
            let view = fit::batch_view(
                masked_mean(out.hidden, lb.mask.clone()),
                masked_mean(out.logits, lb.mask),
                vec![-1i64; b],
                batch.iter().map(|i| self.augmented[*i]).collect(),
                batch.iter().map(|i| self.group_ids[*i]).collect(),
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
        if self.validation.is_empty() {
            return Ok(None);
        }
        let (mut loss, mut correct, mut tokens) = (0.0f64, 0.0f64, 0.0f64);
        for chunk in self.validation.chunks(32) {
            let items: Vec<&Encoded> = chunk.iter().collect();
            let lb = lm_batch(&items, self.pad, &self.device);
            let [b, t] = lb.dims;
            let out = model.forward(&lb.tokens, None);
            let v = out.logits.dims()[2];
            let logits = out.logits.reshape([b * t, v]);
            let pred = to_host_int(logits.clone().argmax(1))?;
            let ce = to_host(per_example_cross_entropy(logits, lb.targets))?;
            for k in 0..b * t {
                let m = f64::from(lb.mask_host[k]);
                loss += m * f64::from(ce[k]);
                correct += m * f64::from(u8::from(pred[k] == lb.target_host[k]));
                tokens += m;
            }
        }
        Ok(Some(ValMetrics {
            loss: loss / tokens,
            accuracy: correct / tokens,
        }))
    }
}

/// The sorted group names on `axis` among the responses of `pairs`, and each pair's index
/// into them (-1 without a group): the group ids of a `BatchView`.
pub(crate) fn group_ids(pairs: &[SftPair], axis: &inherit_core::Axis) -> (Vec<String>, Vec<i64>) {
    let names: Vec<String> = pairs
        .iter()
        .filter_map(|p| p.response.groups.value(axis).map(str::to_owned))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let ids = pairs
        .iter()
        .map(|p| {
            p.response
                .groups
                .value(axis)
                .and_then(|v| names.iter().position(|g| g == v))
                .map_or(-1, |i| i as i64)
        })
        .collect();
    (names, ids)
}

/// Each pair's example weight from the mitigation (1 without one), checked to be finite
/// and non-negative.
pub(crate) fn example_weights(
    pairs: &[SftPair],
    mitigation: Option<&dyn Mitigation>,
) -> Result<Vec<f32>> {
    pairs
        .iter()
        .map(|pair| {
            let w = mitigation.map_or(1.0, |m| m.example_weight(&pair.response));
            if w >= 0.0 && w.is_finite() {
                Ok(w)
            } else {
                Err(Error::Mitigation {
                    spec: mitigation.map(|m| m.spec()).unwrap_or_default(),
                    message: format!(
                        "weight {w} of `{}` is not finite and >= 0",
                        pair.response.id
                    ),
                })
            }
        })
        .collect()
}
