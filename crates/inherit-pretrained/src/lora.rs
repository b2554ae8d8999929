//! LoRA adapters (Hu et al., 2021, "LoRA: Low-Rank Adaptation of Large Language Models")
//! for the llama decoder, initialised and scaled as PEFT does.
//!
//! An adapted projection `y = W x` becomes `y = W x + (alpha / r) * B A dropout(x)`, with
//! `A` of shape `[r, in]` drawn from PEFT's Kaiming-uniform (`a = sqrt(5)`, so uniform on
//! `±1 / sqrt(in)`) and `B` of shape `[out, r]` zero, so a fresh adapter leaves the model
//! unchanged. Here the factors are stored as burn's `Linear` stores weights, transposed:
//! [`LoraLinear::a`] is `[in, r]`, [`LoraLinear::b`] is `[r, out]`.
//!
//! The base [`Llama`] stays untouched: [`LoraAdapters`] is its own module, applied on the
//! fly by [`Llama::forward_adapted`] / [`Llama::forward_from`] through a [`LoraPass`], or
//! folded into a copy of the base weights by [`LoraAdapters::merge`]. [`LoraLlama`] pairs
//! the two for training, with every base parameter frozen (`no_grad`: autodiff keeps no
//! gradient for them and the optimizer never sees them).

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::{Device, Tensor, TensorData};
use inherit_core::{SeededRng, derive_seed, seeded_rng};
use rand::RngExt;

use crate::error::{Error, Result};
use crate::llama::{Llama, LlamaConfig, transpose};
use crate::lora_config::{LoraConfig, LoraTarget};

/// The two factors of one adapted projection (burn layout, `x A B`).
#[derive(Module, Debug)]
pub struct LoraLinear {
    /// Down projection `[in, r]` (PEFT's `lora_A.weight`, transposed).
    pub a: Param<Tensor<2>>,
    /// Up projection `[r, out]` (PEFT's `lora_B.weight`, transposed).
    pub b: Param<Tensor<2>>,
}

impl LoraLinear {
    /// Factors from PEFT-layout host data: `a` is `[r, in]`, `b` is `[out, r]`, row-major.
    /// Lengths must match (checked by the callers that read files).
    pub fn from_peft(
        a: &[f32],
        b: &[f32],
        rank: usize,
        d_in: usize,
        d_out: usize,
        device: &Device,
    ) -> Self {
        let a = transpose(a, rank, d_in);
        let b = transpose(b, d_out, rank);
        LoraLinear {
            a: Param::from_tensor(Tensor::from_data(TensorData::new(a, [d_in, rank]), device)),
            b: Param::from_tensor(Tensor::from_data(TensorData::new(b, [rank, d_out]), device)),
        }
    }

    /// The factors in PEFT layout: `(lora_A [r, in], lora_B [out, r])`, row-major.
    pub fn to_peft(&self) -> Result<(Vec<f32>, Vec<f32>)> {
        let [d_in, rank] = self.a.dims();
        let [_, d_out] = self.b.dims();
        let a = host(self.a.val())?;
        let b = host(self.b.val())?;
        Ok((transpose(&a, d_in, rank), transpose(&b, rank, d_out)))
    }

    /// `scale * (x A) B` over the last axis of `x` `[batch, S, in]`.
    fn delta(&self, x: Tensor<3>, scale: f64) -> Tensor<3> {
        let [batch, seq, d_in] = x.dims();
        let d_out = self.b.dims()[1];
        x.reshape([batch * seq, d_in])
            .matmul(self.a.val())
            .matmul(self.b.val())
            .mul_scalar(scale)
            .reshape([batch, seq, d_out])
    }

    /// The dense update `scale * A B`, `[in, out]`.
    fn dense(&self, scale: f64) -> Tensor<2> {
        self.a.val().matmul(self.b.val()).mul_scalar(scale)
    }
}

/// The adapters of one decoder block, one optional [`LoraLinear`] per projection.
#[derive(Module, Debug)]
pub struct BlockLora {
    /// Queries.
    pub q_proj: Option<LoraLinear>,
    /// Keys.
    pub k_proj: Option<LoraLinear>,
    /// Values.
    pub v_proj: Option<LoraLinear>,
    /// Attention output.
    pub o_proj: Option<LoraLinear>,
    /// SwiGLU gate.
    pub gate_proj: Option<LoraLinear>,
    /// SwiGLU up.
    pub up_proj: Option<LoraLinear>,
    /// Down projection.
    pub down_proj: Option<LoraLinear>,
}

impl BlockLora {
    /// A block with no adapted projection.
    pub(crate) fn empty() -> Self {
        BlockLora {
            q_proj: None,
            k_proj: None,
            v_proj: None,
            o_proj: None,
            gate_proj: None,
            up_proj: None,
            down_proj: None,
        }
    }

    /// The adapter of `target`, when adapted.
    pub fn get(&self, target: LoraTarget) -> Option<&LoraLinear> {
        match target {
            LoraTarget::QProj => self.q_proj.as_ref(),
            LoraTarget::KProj => self.k_proj.as_ref(),
            LoraTarget::VProj => self.v_proj.as_ref(),
            LoraTarget::OProj => self.o_proj.as_ref(),
            LoraTarget::GateProj => self.gate_proj.as_ref(),
            LoraTarget::UpProj => self.up_proj.as_ref(),
            LoraTarget::DownProj => self.down_proj.as_ref(),
        }
    }

    /// Sets the adapter of `target`.
    pub fn set(&mut self, target: LoraTarget, adapter: LoraLinear) {
        let slot = match target {
            LoraTarget::QProj => &mut self.q_proj,
            LoraTarget::KProj => &mut self.k_proj,
            LoraTarget::VProj => &mut self.v_proj,
            LoraTarget::OProj => &mut self.o_proj,
            LoraTarget::GateProj => &mut self.gate_proj,
            LoraTarget::UpProj => &mut self.up_proj,
            LoraTarget::DownProj => &mut self.down_proj,
        };
        *slot = Some(adapter);
    }
}

/// The adapters of a whole decoder: one optional [`BlockLora`] per block, and the
/// [`LoraConfig`] they were built from.
#[derive(Module, Debug)]
pub struct LoraAdapters {
    /// Hyper-parameters (scale, dropout, which projections and layers).
    #[module(skip)]
    pub config: LoraConfig,
    /// Per block (as many as the model has), `None` where the block is not adapted.
    pub layers: Vec<Option<BlockLora>>,
}

impl LoraAdapters {
    /// Fresh adapters for a model of `model`'s shape: every `A` drawn from PEFT's
    /// Kaiming-uniform bound `1 / sqrt(in)` with its own stream
    /// `derive_seed(seed, "lora/{layer}/{peft name}")` (so the same seed gives the same
    /// factors whatever else is adapted), every `B` zero.
    pub fn init(
        config: &LoraConfig,
        model: &LlamaConfig,
        seed: u64,
        device: &Device,
    ) -> Result<Self> {
        config.check()?;
        let adapted = config.layers.indices(model.n_layers)?;
        let mut layers: Vec<Option<BlockLora>> = (0..model.n_layers).map(|_| None).collect();
        for &i in &adapted {
            let mut block = BlockLora::empty();
            for &t in &config.targets {
                let (d_in, d_out) = t.dims(model);
                let bound = 1.0 / (d_in as f64).sqrt();
                let mut rng = seeded_rng(derive_seed(seed, &format!("lora/{i}/{}", t.peft_name())));
                let a: Vec<f32> = (0..config.rank * d_in)
                    .map(|_| ((rng.random::<f64>() * 2.0 - 1.0) * bound) as f32)
                    .collect();
                let b = vec![0.0; d_out * config.rank];
                block.set(
                    t,
                    LoraLinear::from_peft(&a, &b, config.rank, d_in, d_out, device),
                );
            }
            layers[i] = Some(block);
        }
        Ok(LoraAdapters {
            config: config.clone(),
            layers,
        })
    }

    /// The first adapted layer (the prefix cache serves the layers before it), or `None`
    /// when nothing is adapted.
    pub fn first_layer(&self) -> Option<usize> {
        self.layers.iter().position(Option::is_some)
    }

    /// The adapted layer indices, ascending.
    pub fn adapted_layers(&self) -> Vec<usize> {
        (0..self.layers.len())
            .filter(|&i| self.layers[i].is_some())
            .collect()
    }

    /// Checks that these adapters fit a model of `model`'s shape.
    pub fn check_fits(&self, model: &LlamaConfig) -> Result<()> {
        let bad = |m: String| Err(Error::invalid("adapter", m));
        if self.layers.len() != model.n_layers {
            return bad(format!(
                "{} adapted blocks for a model of {} layers",
                self.layers.len(),
                model.n_layers
            ));
        }
        for (i, block) in self.layers.iter().enumerate() {
            let Some(block) = block else { continue };
            for t in LoraTarget::ALL {
                let Some(l) = block.get(t) else { continue };
                let (d_in, d_out) = t.dims(model);
                let want_a = [d_in, self.config.rank];
                let want_b = [self.config.rank, d_out];
                if l.a.dims() != want_a || l.b.dims() != want_b {
                    return bad(format!(
                        "layer {i} {t}: factors {:?} x {:?}, expected {want_a:?} x {want_b:?}",
                        l.a.dims(),
                        l.b.dims()
                    ));
                }
            }
        }
        Ok(())
    }

    /// [`LoraAdapters::merge`], checked: fails, naming the layer and projection, when a
    /// scaled update `(alpha / r) A B` or a merged weight holds a NaN or an infinity (a
    /// huge `lora_alpha` in an adapter's files would otherwise serve a model whose every
    /// output is NaN).
    pub fn try_merge(&self, base: &Llama) -> Result<Llama> {
        self.check_finite()?;
        let merged = self.merge(base);
        for (i, (block, adapters)) in merged.blocks.iter().zip(&self.layers).enumerate() {
            if adapters.is_none() {
                continue;
            }
            for (name, linear) in [
                ("wqkv", &block.wqkv),
                ("wo", &block.wo),
                ("gate_up", &block.gate_up),
                ("down", &block.down),
            ] {
                if !all_finite(linear.weight.val()) {
                    return Err(Error::invalid(
                        "lora_alpha",
                        format!(
                            "merging the adapter into layer {i} ({name}) overflows to a \
                             non-finite weight"
                        ),
                    ));
                }
            }
        }
        Ok(merged)
    }

    /// Fails, naming the layer and projection, when a scaled update `(alpha / r) A B`
    /// holds a NaN or an infinity.
    pub fn check_finite(&self) -> Result<()> {
        let scale = self.config.scale();
        if !scale.is_finite() || scale as f32 == f32::INFINITY {
            return Err(Error::invalid(
                "lora_alpha",
                format!(
                    "the scale alpha / rank = {scale} does not fit a 32-bit float; the \
                     merged weights would be infinite"
                ),
            ));
        }
        for (i, layer) in self.layers.iter().enumerate() {
            let Some(layer) = layer else { continue };
            for t in LoraTarget::ALL {
                if let Some(l) = layer.get(t)
                    && !all_finite(l.dense(scale))
                {
                    return Err(Error::invalid(
                        "lora_alpha",
                        format!(
                            "the scaled update (alpha / r) A B of layer {i}, {t:?} holds a \
                             non-finite value (alpha = {})",
                            self.config.alpha
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// A copy of `base` with every adapter folded into its weight (`W + (alpha / r) A B`
    /// in burn layout, into the adapted columns of the fused `wqkv` / `gate_up`): the
    /// merged model computes what the adapted one does, at the base model's cost.
    pub fn merge(&self, base: &Llama) -> Llama {
        let scale = self.config.scale();
        let mut model = base.clone();
        for (block, adapters) in model.blocks.iter_mut().zip(&self.layers) {
            let Some(adapters) = adapters else { continue };
            // The quantised twins hold the base weights, not the merged ones.
            block.quant = None;
            let delta =
                |t: LoraTarget, d_in: usize, d_out: usize, device: &Device| match adapters.get(t) {
                    Some(l) => l.dense(scale),
                    None => Tensor::zeros([d_in, d_out], device),
                };
            let fold = |linear: &Linear, parts: &[(LoraTarget, usize)]| -> Linear {
                let w = linear.weight.val();
                let device = w.device();
                let d_in = w.dims()[0];
                if parts.iter().all(|(t, _)| adapters.get(*t).is_none()) {
                    return linear.clone();
                }
                let deltas = parts
                    .iter()
                    .map(|&(t, width)| delta(t, d_in, width, &device))
                    .collect();
                Linear {
                    weight: Param::from_tensor(w + Tensor::cat(deltas, 1)),
                    bias: linear.bias.clone(),
                }
            };
            let d = block.wo.weight.dims()[1];
            let kv = (block.wqkv.weight.dims()[1] - d) / 2;
            let d_ff = block.down.weight.dims()[0];
            block.wqkv = fold(
                &block.wqkv,
                &[
                    (LoraTarget::QProj, d),
                    (LoraTarget::KProj, kv),
                    (LoraTarget::VProj, kv),
                ],
            );
            block.wo = fold(&block.wo, &[(LoraTarget::OProj, d)]);
            block.gate_up = fold(
                &block.gate_up,
                &[(LoraTarget::GateProj, d_ff), (LoraTarget::UpProj, d_ff)],
            );
            block.down = fold(&block.down, &[(LoraTarget::DownProj, d)]);
        }
        model
    }
}

/// Adapters applied during one forward pass, with dropout on their inputs when a random
/// stream is given (training).
#[derive(Debug)]
pub struct LoraPass<'a> {
    adapters: &'a LoraAdapters,
    dropout: Option<&'a mut SeededRng>,
}

impl<'a> LoraPass<'a> {
    /// Inference: adapters without dropout.
    pub fn new(adapters: &'a LoraAdapters) -> Self {
        LoraPass {
            adapters,
            dropout: None,
        }
    }

    /// Training: adapter dropout (`config.dropout`) drawn from `rng`.
    pub fn training(adapters: &'a LoraAdapters, rng: &'a mut SeededRng) -> Self {
        LoraPass {
            adapters,
            dropout: Some(rng),
        }
    }

    /// The adapters of block `index`.
    pub(crate) fn block(&self, index: usize) -> Option<&'a BlockLora> {
        self.adapters.layers.get(index)?.as_ref()
    }

    /// The update of one adapted projection for its input `x`.
    pub(crate) fn apply(&mut self, adapter: &LoraLinear, x: Tensor<3>) -> Tensor<3> {
        let p = self.adapters.config.dropout;
        let x = match self.dropout.as_deref_mut() {
            Some(rng) if p > 0.0 => {
                let shape = x.shape();
                let keep = (1.0 / (1.0 - p)) as f32;
                let mask: Vec<f32> = (0..shape.num_elements())
                    .map(|_| if rng.random::<f64>() < p { 0.0 } else { keep })
                    .collect();
                let mask = Tensor::<3>::from_data(TensorData::new(mask, shape), &x.device());
                x * mask
            }
            _ => x,
        };
        adapter.delta(x, self.adapters.config.scale())
    }
}

/// A base model and its adapters as one module, for training: the base is frozen
/// (`no_grad`), so gradients and optimizer state exist for the adapters only.
#[derive(Module, Debug)]
pub struct LoraLlama {
    /// The frozen base.
    pub base: Llama,
    /// The trainable adapters.
    pub adapters: LoraAdapters,
}

impl LoraLlama {
    /// Pairs `base` (frozen here) with `adapters`, which must fit it.
    pub fn new(base: Llama, adapters: LoraAdapters, config: &LlamaConfig) -> Result<Self> {
        adapters.check_fits(config)?;
        Ok(LoraLlama {
            base: base.no_grad(),
            adapters,
        })
    }
}

/// Reads a float tensor back to the host.
fn host<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>> {
    t.into_data()
        .try_to_vec::<f32>()
        .map_err(|e| Error::Backend(format!("{e:?}")))
}

/// True when every value of `t` is finite.
fn all_finite(t: Tensor<2>) -> bool {
    t.into_data().iter::<f32>().all(f32::is_finite)
}
