//! The llama architecture (SmolLM2, Llama 2/3, Qwen2, ...) as a burn module, built from a
//! GGUF file.
//!
//! Pre-norm decoder blocks with RMSNorm, grouped-query attention with rotary position
//! embeddings, a SwiGLU feed-forward layer and (when the file has no `output.weight`) an
//! output projection tied to the token embedding. The variants, each read from the GGUF
//! metadata ([`LlamaConfig::from_gguf`]; what is not listed is refused with an error
//! naming the key): Llama 3.1/3.2's RoPE frequency factors (the tensor
//! `rope_freqs.weight`, dividing each frequency), linear RoPE scaling
//! (`{arch}.rope.scaling.type = linear`), Qwen2's biases on the query, key and value
//! projections (`general.architecture = qwen2`, whose `attn_q`/`attn_k` rows are stored
//! unpermuted), and an untied `output.weight`. Quantised weights are dequantised to
//! `f32` once, at load; the module is an ordinary burn [`Module`], so it loads on an
//! autodiff device (`device.autodiff()`) as well and can be fine-tuned.
//!
//! llama.cpp stores the rows of `attn_q` and `attn_k` permuted so that each head's rotary
//! pairs are adjacent; the loader undoes that permutation, and rotation then pairs
//! dimension `i` with `i + head_dim / 2` ("rotate half"), which is the same computation.

use std::sync::Arc;

use burn::module::{Module, Param};
use burn::nn::{Embedding, Linear};
use burn::tensor::activation::{silu, softmax};
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::lora::LoraPass;
use crate::lora_config::LoraTarget;

mod config;
mod kv_cache;
mod load;
mod positions;
mod quant;

pub use config::{Arch, LlamaConfig, MAX_CONTEXT, MAX_FF, MAX_LAYERS, MAX_VOCAB, MAX_WIDTH};
use kv_cache::CacheSlot;
pub use kv_cache::KvCache;
pub(crate) use load::transpose;
use positions::{attention_mask, rope, rope_tables};
pub use quant::QuantMatrix;

/// Products of at most this many rows (batch × new positions) run on the quantised
/// weights ([`QuantMatrix`]) when the model has them and runs on the flex CPU device:
/// decoding steps, where reading the weights is the cost. Longer ones (prefills,
/// training) use burn's `f32` product.
pub const QUANT_MAX_ROWS: usize = 16;

/// Root-mean-square layer normalisation with a learned scale.
#[derive(Module, Debug)]
pub struct RmsNorm {
    /// Per-feature scale.
    pub weight: Param<Tensor<1>>,
    /// Added to the mean square.
    pub eps: f64,
}

impl RmsNorm {
    /// `x / sqrt(mean(x^2) + eps) * weight` over the last axis.
    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        let scale = x
            .clone()
            .square()
            .mean_dim(D - 1)
            .add_scalar(self.eps)
            .sqrt()
            .recip();
        x * scale * self.weight.val().unsqueeze()
    }
}

/// One decoder block.
///
/// The query, key and value projections are stored as one `[d_model, d_model + 2 * kv]`
/// matrix (columns: queries, then keys, then values), and the SwiGLU gate and up
/// projections as one `[d_model, 2 * d_ff]` matrix (gate, then up): one large matrix
/// product instead of three or two small ones is markedly faster on the CPU.
#[derive(Module, Debug)]
pub struct Block {
    /// Norm before attention.
    pub attn_norm: RmsNorm,
    /// Fused query, key and value projection (query and key columns in rotate-half order;
    /// with a bias for Qwen2).
    pub wqkv: Linear,
    /// Attention output projection.
    pub wo: Linear,
    /// Norm before the feed-forward layer.
    pub ffn_norm: RmsNorm,
    /// Fused SwiGLU gate and up projection.
    pub gate_up: Linear,
    /// Down projection.
    pub down: Linear,
    /// The same four projections in the GGUF file's quantised blocks, for decoding steps
    /// on the CPU (`None`: always the `f32` layers, e.g. after adapters were merged in).
    #[module(skip)]
    pub quant: Option<Arc<BlockQuant>>,
}

/// A [`Block`]'s projections as [`QuantMatrix`]es (rows = output features, in the same
/// order as the columns of the fused `f32` layers).
#[derive(Debug)]
pub struct BlockQuant {
    /// Fused query, key and value projection.
    pub wqkv: QuantMatrix,
    /// Attention output projection.
    pub wo: QuantMatrix,
    /// Fused SwiGLU gate and up projection.
    pub gate_up: QuantMatrix,
    /// Down projection.
    pub down: QuantMatrix,
}

/// The decoder: embedding, blocks, final norm and (tied or separate) output projection.
#[derive(Module, Debug)]
pub struct Llama {
    /// Token embedding `[vocab, d_model]`.
    pub embed: Embedding,
    /// Decoder blocks.
    pub blocks: Vec<Block>,
    /// Final norm.
    pub norm: RmsNorm,
    /// Output projection `[d_model, vocab]`; `None` when tied to `embed`.
    pub output: Option<Linear>,
    /// Query heads.
    pub n_heads: usize,
    /// Key/value heads.
    pub n_kv_heads: usize,
    /// RoPE frequency base.
    pub rope_base: f64,
    /// RoPE position scale ([`LlamaConfig::rope_freq_scale`]).
    pub rope_freq_scale: f64,
    /// Per-frequency divisors of the rotation angles (`head_dim / 2` of them, from the
    /// GGUF tensor `rope_freqs.weight`: Llama 3.1/3.2's RoPE scaling), or `None`.
    #[module(skip)]
    pub rope_freq_factors: Option<Arc<[f32]>>,
    /// The output projection (or the tied embedding) in its quantised blocks, for
    /// decoding steps on the CPU.
    #[module(skip)]
    pub output_quant: Option<Arc<QuantMatrix>>,
}

/// The RoPE tables and attention mask shared by every block of one forward step.
struct StepContext {
    cos: Tensor<4>,
    sin: Tensor<4>,
    mask: Tensor<4>,
}

/// The inputs of one forward step for a batch of sequences.
///
/// Sequences are left-aligned in the KV cache after `pad[b]` padding positions; the new
/// tokens occupy cache columns `cache.len()..cache.len() + S`.
#[derive(Debug, Clone)]
pub struct StepInput<'a> {
    /// Token ids, `batch` rows of `S` each.
    pub tokens: &'a [Vec<u32>],
    /// Leading padding positions of each row (masked out of attention).
    pub pad: &'a [usize],
}

impl Llama {
    /// Runs the new tokens through the model, appending their keys and values to `cache`;
    /// returns the final-norm hidden states `[batch, S, d_model]`.
    pub fn forward(&self, input: &StepInput<'_>, cache: &mut KvCache) -> Tensor<3> {
        self.forward_adapted(input, cache, None)
    }

    /// [`Llama::forward`] with LoRA adapters applied on the fly (and, when `lora` carries a
    /// random stream, adapter dropout): the serving path of a fine-tuned model.
    pub fn forward_adapted(
        &self,
        input: &StepInput<'_>,
        cache: &mut KvCache,
        mut lora: Option<&mut LoraPass<'_>>,
    ) -> Tensor<3> {
        let seq = input.tokens.first().map_or(0, Vec::len);
        let slots = cache.slots(self.blocks.len());
        let past = slots.first().map_or(0, CacheSlot::past);
        let ctx = self.context(input.pad, past, seq);
        let mut x = self.embed_tokens(input.tokens);
        for (i, slot) in slots.into_iter().enumerate() {
            x = self.block_forward(i, x, &ctx, Some(slot), lora.as_deref_mut());
        }
        cache.advance(seq);
        self.norm.forward(x)
    }

    /// The residual stream entering block `layer` (the embedding for `layer = 0`), `[batch,
    /// S, d_model]`, for whole sequences left-padded by `pad` (no KV cache): what the
    /// prefix cache stores for adapters that start at `layer`.
    pub fn hidden_entering(&self, tokens: &[Vec<u32>], pad: &[usize], layer: usize) -> Tensor<3> {
        let ctx = self.context(pad, 0, tokens.first().map_or(0, Vec::len));
        let mut x = self.embed_tokens(tokens);
        for i in 0..layer.min(self.blocks.len()) {
            x = self.block_forward(i, x, &ctx, None, None);
        }
        x
    }

    /// Continues [`Llama::hidden_entering`]: runs blocks `layer..` on the residual stream
    /// `x` of whole sequences left-padded by `pad` (no KV cache), with `lora` applied;
    /// returns the final-norm hidden states.
    pub fn forward_from(
        &self,
        x: Tensor<3>,
        pad: &[usize],
        layer: usize,
        mut lora: Option<&mut LoraPass<'_>>,
    ) -> Tensor<3> {
        let ctx = self.context(pad, 0, x.dims()[1]);
        let mut x = x;
        for i in layer..self.blocks.len() {
            x = self.block_forward(i, x, &ctx, None, lora.as_deref_mut());
        }
        self.norm.forward(x)
    }

    /// The token embeddings `[batch, S, d_model]` of equal-length rows.
    fn embed_tokens(&self, tokens: &[Vec<u32>]) -> Tensor<3> {
        let device = self.embed.weight.device();
        let batch = tokens.len();
        let seq = tokens.first().map_or(0, Vec::len);
        let ids: Vec<i64> = tokens.iter().flatten().map(|&t| i64::from(t)).collect();
        let ids = Tensor::<2, Int>::from_data(TensorData::new(ids, [batch, seq]), &device);
        self.embed.forward(ids)
    }

    /// RoPE tables and the attention mask of `seq` new positions after `past` cached ones.
    fn context(&self, pad: &[usize], past: usize, seq: usize) -> StepContext {
        let device = self.embed.weight.device();
        let head_dim = self.embed.weight.dims()[1] / self.n_heads;
        let group = self.n_heads / self.n_kv_heads;
        let inv_freq: Vec<f64> = (0..head_dim / 2)
            .map(|i| {
                let f =
                    self.rope_freq_scale * self.rope_base.powf(-2.0 * i as f64 / head_dim as f64);
                match &self.rope_freq_factors {
                    Some(factors) => f / f64::from(factors[i]),
                    None => f,
                }
            })
            .collect();
        let (cos, sin) = rope_tables(pad, past, seq, &inv_freq, &device);
        StepContext {
            cos,
            sin,
            mask: attention_mask(pad, past, seq, group, &device),
        }
    }

    /// One decoder block on the residual stream `x`; `slot` is its KV-cache slot (none:
    /// attention over the new positions only).
    fn block_forward(
        &self,
        index: usize,
        x: Tensor<3>,
        ctx: &StepContext,
        slot: Option<CacheSlot<'_>>,
        lora: Option<&mut LoraPass<'_>>,
    ) -> Tensor<3> {
        let block = &self.blocks[index];
        let [batch, seq, d_model] = x.dims();
        let head_dim = d_model / self.n_heads;
        let group = self.n_heads / self.n_kv_heads;
        let kv_width = self.n_kv_heads * head_dim;
        let (adapter, mut lora) = match lora {
            Some(pass) => match pass.block(index) {
                Some(a) => (Some(a), Some(pass)),
                None => (None, None),
            },
            None => (None, None),
        };
        // `delta(target, input)`: the adapter's output for one projection, when adapted.
        let mut delta = |t: LoraTarget, h: &Tensor<3>| -> Option<Tensor<3>> {
            let a = adapter?.get(t)?;
            let pass = lora.as_deref_mut()?;
            Some(pass.apply(a, h.clone()))
        };
        let plus = |y: Tensor<3>, d: Option<Tensor<3>>| match d {
            Some(d) => y + d,
            None => y,
        };
        let h = block.attn_norm.forward(x.clone());
        let heads = |t: Tensor<3>, n: usize| t.reshape([batch, seq, n, head_dim]).swap_dims(1, 2);
        let quant = block.quant.as_deref();
        let qkv = project(&block.wqkv, quant.map(|q| &q.wqkv), h.clone());
        let q = plus(
            qkv.clone().narrow(2, 0, d_model),
            delta(LoraTarget::QProj, &h),
        );
        let k = plus(
            qkv.clone().narrow(2, d_model, kv_width),
            delta(LoraTarget::KProj, &h),
        );
        let v = plus(
            qkv.narrow(2, d_model + kv_width, kv_width),
            delta(LoraTarget::VProj, &h),
        );
        let q = rope(heads(q, self.n_heads), &ctx.cos, &ctx.sin);
        let k = rope(heads(k, self.n_kv_heads), &ctx.cos, &ctx.sin);
        let v = heads(v, self.n_kv_heads);
        let (k, v) = match slot {
            Some(slot) => slot.append(k, v),
            None => (k, v),
        };
        // Query head h uses KV head h / group: fold the group into the query rows.
        let q = q.reshape([batch, self.n_kv_heads, group * seq, head_dim]);
        let scores = q
            .matmul(k.swap_dims(2, 3))
            .mul_scalar(1.0 / (head_dim as f64).sqrt())
            + ctx.mask.clone();
        let attn = softmax(scores, 3).matmul(v);
        let attn = attn
            .reshape([batch, self.n_heads, seq, head_dim])
            .swap_dims(1, 2)
            .reshape([batch, seq, d_model]);
        let o = plus(
            project(&block.wo, quant.map(|q| &q.wo), attn.clone()),
            delta(LoraTarget::OProj, &attn),
        );
        let x = x + o;
        let h = block.ffn_norm.forward(x.clone());
        let gate_up = project(&block.gate_up, quant.map(|q| &q.gate_up), h.clone());
        let d_ff = gate_up.dims()[2] / 2;
        let gate = plus(
            gate_up.clone().narrow(2, 0, d_ff),
            delta(LoraTarget::GateProj, &h),
        );
        let up = plus(gate_up.narrow(2, d_ff, d_ff), delta(LoraTarget::UpProj, &h));
        let ffn = silu(gate) * up;
        let down = plus(
            project(&block.down, quant.map(|q| &q.down), ffn.clone()),
            delta(LoraTarget::DownProj, &ffn),
        );
        x + down
    }

    /// Next-token logits `[batch, S, vocab]` from hidden states.
    pub fn logits(&self, hidden: Tensor<3>) -> Tensor<3> {
        if let Some(y) = quant_product(self.output_quant.as_deref(), &hidden) {
            return y;
        }
        match &self.output {
            Some(out) => out.forward(hidden),
            None => {
                // A 2-D product against the transposed view: no copy of the embedding.
                let [batch, seq, d] = hidden.dims();
                let logits = hidden
                    .reshape([batch * seq, d])
                    .matmul(self.embed.weight.val().transpose());
                let vocab = logits.dims()[1];
                logits.reshape([batch, seq, vocab])
            }
        }
    }
}

/// `linear(x)`, on the quantised twin (plus the layer's bias) when [`quant_product`]
/// takes it.
fn project(linear: &Linear, quant: Option<&QuantMatrix>, x: Tensor<3>) -> Tensor<3> {
    match quant_product(quant, &x) {
        Some(y) => match &linear.bias {
            Some(bias) => y + bias.val().unsqueeze(),
            None => y,
        },
        None => linear.forward(x),
    }
}

/// `x · quantᵀ` when `x` has at most [`QUANT_MAX_ROWS`] rows and lives on the plain flex
/// device (not an autodiff one: the quantised product records no gradient); else `None`.
fn quant_product(quant: Option<&QuantMatrix>, x: &Tensor<3>) -> Option<Tensor<3>> {
    let q = quant?;
    let [batch, seq, d_in] = x.dims();
    let device = x.device();
    // (`Device` equality ignores autodiff: ask for it apart.)
    if batch * seq > QUANT_MAX_ROWS
        || d_in != q.cols()
        || device != Device::flex()
        || device.is_autodiff()
    {
        return None;
    }
    let data = x.clone().into_data().try_into_vec::<f32>().ok()?;
    let y = q.matmul(&data, batch * seq);
    Some(Tensor::from_data(
        TensorData::new(y, [batch, seq, q.rows()]),
        &device,
    ))
}
