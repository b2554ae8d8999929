//! The batches, loss and validation of [`crate::LoraSftTrainer`] (a [`Task`] of the shared
//! training loop over a [`LoraLlama`]).

use std::sync::{Arc, Mutex};

use burn::tensor::{Device, Int, Tensor, TensorData};
use inherit_core::{Axis, SeededRng};
use inherit_mitigate::Mitigation;
use inherit_pretrained::llama::Llama;
use inherit_pretrained::{LoraLlama, LoraPass, PrefixCache, SmolLm};

use crate::base::{to_host, to_host_int};
use crate::error::{Error, Result};
use crate::fit::{self, StepLoss, Task, ValMetrics};
use crate::loss::{per_example_cross_entropy, weighted_mean};
use crate::sft::SftPair;

/// Pairs per validation forward pass.
const VALIDATION_BATCH: usize = 8;

/// One encoded chat: the token sequence, where the user turn sits and where the
/// response starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChatEncoded {
    pub seq: Vec<u32>,
    /// The user turn's tokens (its `<|im_start|>` up to the assistant opener's): the
    /// positions whose hidden states make φ, the input text's representation.
    pub prompt: std::ops::Range<usize>,
    pub response_start: usize,
}

impl ChatEncoded {
    /// The model's input: every token but the last.
    fn input(&self) -> &[u32] {
        &self.seq[..self.seq.len() - 1]
    }
}

pub(crate) struct LoraTask<'a> {
    train: Vec<ChatEncoded>,
    validation: Vec<ChatEncoded>,
    weights: Vec<f32>,
    augmented: Vec<bool>,
    /// Label index per pair (the response example's label among the pairs' sorted
    /// labels; -1 without one): the strata of the alignment loss.
    label_ids: Vec<i64>,
    group_ids: Vec<i64>,
    group_names: Vec<String>,
    mitigation: Option<&'a dyn Mitigation>,
    /// The base model on the plain device (fills the prefix cache).
    plain: &'a Llama,
    pad_id: u32,
    first_layer: usize,
    cache: Option<Arc<Mutex<PrefixCache>>>,
}

impl<'a> LoraTask<'a> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        train: Vec<ChatEncoded>,
        validation: Vec<ChatEncoded>,
        pairs: &[SftPair],
        mitigation: Option<&'a dyn Mitigation>,
        axis: &Axis,
        lm: &'a SmolLm,
        first_layer: usize,
        cache: Option<Arc<Mutex<PrefixCache>>>,
    ) -> Result<Self> {
        let weights = crate::sft::example_weights(pairs, mitigation)?;
        let (group_names, group_ids) = crate::sft::group_ids(pairs, axis);
        let mut labels: Vec<&str> = pairs
            .iter()
            .filter_map(|p| p.response.label.as_deref())
            .collect();
        labels.sort_unstable();
        labels.dedup();
        let label_ids = pairs
            .iter()
            .map(|p| {
                p.response
                    .label
                    .as_deref()
                    .and_then(|l| labels.binary_search(&l).ok())
                    .map_or(-1, |i| i as i64)
            })
            .collect();
        Ok(LoraTask {
            label_ids,
            train,
            validation,
            weights,
            augmented: pairs.iter().map(|p| p.response.is_augmented()).collect(),
            group_ids,
            group_names,
            mitigation,
            plain: lm.model(),
            pad_id: lm.tokenizer().eos_id(),
            first_layer,
            cache,
        })
    }

    /// The final-norm hidden states `[b, T, d]` of `items`, left-padded (`pad[b]` leading
    /// positions), with the adapters of `model` applied.
    fn hidden(
        &self,
        model: &LoraLlama,
        items: &[&ChatEncoded],
        pad: &[usize],
        dropout: Option<&mut SeededRng>,
        device: &Device,
    ) -> Result<Tensor<3>> {
        let longest = items.iter().map(|e| e.input().len()).max().unwrap_or(0);
        let x = match &self.cache {
            Some(cache) => {
                let seqs: Vec<&[u32]> = items.iter().map(|e| e.input()).collect();
                let states = cache
                    .lock()
                    .map_err(|_| Error::Backend("the prefix cache lock is poisoned".into()))?
                    .hidden(self.plain, &seqs)?;
                let d = self.plain.embed.weight.dims()[1];
                let mut flat = vec![0.0f32; items.len() * longest * d];
                for (b, h) in states.iter().enumerate() {
                    let start = (b * longest + pad[b]) * d;
                    flat[start..start + h.len()].copy_from_slice(h);
                }
                Tensor::from_data(TensorData::new(flat, [items.len(), longest, d]), device)
            }
            None => {
                let tokens: Vec<Vec<u32>> = items
                    .iter()
                    .zip(pad)
                    .map(|(e, &p)| {
                        std::iter::repeat_n(self.pad_id, p)
                            .chain(e.input().iter().copied())
                            .collect()
                    })
                    .collect();
                model.base.hidden_entering(&tokens, pad, self.first_layer)
            }
        };
        let mut pass = match dropout {
            Some(rng) => LoraPass::training(&model.adapters, rng),
            None => LoraPass::new(&model.adapters),
        };
        Ok(model
            .base
            .forward_from(x, pad, self.first_layer, Some(&mut pass)))
    }
}

/// Where a batch carries loss and where its response tokens sit.
struct Layout {
    pad: Vec<usize>,
    /// Flat `b * T + column` rows of the loss positions, example by example.
    loss_rows: Vec<i64>,
    /// The next token at each loss row.
    targets: Vec<i64>,
    /// Loss positions per example.
    loss_counts: Vec<usize>,
    /// Flat rows of the user turn's tokens (φ), example by example.
    prompt_rows: Vec<i64>,
    prompt_counts: Vec<usize>,
}

fn layout(items: &[&ChatEncoded]) -> Layout {
    let longest = items.iter().map(|e| e.input().len()).max().unwrap_or(0);
    let mut l = Layout {
        pad: Vec::with_capacity(items.len()),
        loss_rows: Vec::new(),
        targets: Vec::new(),
        loss_counts: Vec::new(),
        prompt_rows: Vec::new(),
        prompt_counts: Vec::new(),
    };
    for (b, e) in items.iter().enumerate() {
        let n = e.input().len();
        let pad = longest - n;
        l.pad.push(pad);
        let row = |j: usize| (b * longest + pad + j) as i64;
        // Input position j predicts token j + 1: the loss covers the response's tokens.
        let first = e.response_start - 1;
        l.loss_rows.extend((first..n).map(row));
        l.targets
            .extend(e.seq[first + 1..].iter().map(|&t| i64::from(t)));
        l.loss_counts.push(n - first);
        // The user turn (always in the input: it ends before the response).
        l.prompt_rows.extend(e.prompt.clone().map(row));
        l.prompt_counts.push(e.prompt.len());
    }
    l
}

/// `[b, total]` averaging matrix: row `b` holds `1 / count_b` over example `b`'s rows.
fn segment_mean(counts: &[usize], device: &Device) -> Tensor<2> {
    let total: usize = counts.iter().sum();
    let mut m = vec![0.0f32; counts.len() * total];
    let mut offset = 0;
    for (b, &c) in counts.iter().enumerate() {
        for j in 0..c {
            m[b * total + offset + j] = 1.0 / c as f32;
        }
        offset += c;
    }
    Tensor::from_data(TensorData::new(m, [counts.len(), total]), device)
}

/// The output projection of the selected rows of `hidden` `[b, T, d]`: `[rows, vocab]`.
fn project(base: &Llama, hidden: Tensor<3>, rows: &[i64], device: &Device) -> Tensor<2> {
    let [b, t, d] = hidden.dims();
    let idx = Tensor::<1, Int>::from_data(TensorData::new(rows.to_vec(), [rows.len()]), device);
    let selected = hidden.reshape([b * t, d]).select(0, idx);
    let logits = base.logits(selected.unsqueeze::<3>());
    let vocab = logits.dims()[2];
    logits.reshape([rows.len(), vocab])
}

impl Task<LoraLlama> for LoraTask<'_> {
    fn augmented(&self) -> &[bool] {
        &self.augmented
    }

    fn loss(
        &self,
        model: &LoraLlama,
        batch: &[usize],
        dropout: &mut SeededRng,
        device: &Device,
    ) -> Result<Option<StepLoss>> {
        let items: Vec<&ChatEncoded> = batch.iter().map(|&i| &self.train[i]).collect();
        let l = layout(&items);
        let b = items.len();
        let hidden = self.hidden(model, &items, &l.pad, Some(dropout), device)?;
        let logits = project(&model.base, hidden.clone(), &l.loss_rows, device);
        let n = l.loss_rows.len();
        let targets = Tensor::<1, Int>::from_data(TensorData::new(l.targets.clone(), [n]), device);
        let ce = per_example_cross_entropy(logits.clone(), targets);
        let loss_mean = segment_mean(&l.loss_counts, device);
        let per_pair = loss_mean.clone().matmul(ce.reshape([n, 1])).reshape([b]);
        let weights: Vec<f32> = batch.iter().map(|&i| self.weights[i]).collect();
        let weight_sum: f32 = weights.iter().sum();
        let mut loss = (weight_sum > 0.0).then(|| {
            let w = Tensor::<1>::from_data(TensorData::new(weights, [b]), device);
            weighted_mean(per_pair, w, weight_sum)
        });
        let mut extra = 0.0;
        if let Some(m) = self.mitigation {
            let [_, t, d] = hidden.dims();
            let r = l.prompt_rows.len();
            let idx = Tensor::<1, Int>::from_data(TensorData::new(l.prompt_rows, [r]), device);
            let prompt = hidden.reshape([b * t, d]).select(0, idx);
            let phi = segment_mean(&l.prompt_counts, device).matmul(prompt);
            let view = fit::batch_view(
                phi,
                loss_mean.matmul(logits),
                batch.iter().map(|&i| self.label_ids[i]).collect(),
                batch.iter().map(|&i| self.augmented[i]).collect(),
                batch.iter().map(|&i| self.group_ids[i]).collect(),
                &self.group_names,
                device,
            );
            (loss, extra) = fit::add_extra_loss(m, &view, loss)?;
        }
        Ok(loss.map(|loss| StepLoss { loss, extra }))
    }

    fn validate(&self, model: &LoraLlama) -> Result<Option<ValMetrics>> {
        if self.validation.is_empty() {
            return Ok(None);
        }
        let (mut loss, mut correct, mut tokens) = (0.0f64, 0.0f64, 0.0f64);
        for chunk in self.validation.chunks(VALIDATION_BATCH) {
            let items: Vec<&ChatEncoded> = chunk.iter().collect();
            let l = layout(&items);
            let device = model.base.embed.weight.device();
            let hidden = self.hidden(model, &items, &l.pad, None, &device)?;
            let logits = project(&model.base, hidden, &l.loss_rows, &device);
            let n = l.loss_rows.len();
            let pred = to_host_int(logits.clone().argmax(1))?;
            let targets =
                Tensor::<1, Int>::from_data(TensorData::new(l.targets.clone(), [n]), &device);
            let ce = to_host(per_example_cross_entropy(logits, targets))?;
            for k in 0..n {
                loss += f64::from(ce[k]);
                correct += f64::from(u8::from(pred[k] == l.targets[k]));
                tokens += 1.0;
            }
        }
        Ok(Some(ValMetrics {
            loss: loss / tokens,
            accuracy: correct / tokens,
        }))
    }
}

/// The loss of one batch (all of `task`'s training pairs) under `model`, without
/// dropout.
pub(crate) fn batch_loss(task: &LoraTask<'_>, model: &LoraLlama, device: &Device) -> Result<f32> {
    let batch: Vec<usize> = (0..task.train.len()).collect();
    let mut rng = inherit_core::seeded_rng(0);
    // Dropout draws nothing at p = 0; the trainer's config decides.
    let step = task
        .loss(model, &batch, &mut rng, device)?
        .ok_or_else(|| Error::Data("the batch carries no loss (all weights 0)".into()))?;
    Ok(to_host(step.loss)?[0])
}
