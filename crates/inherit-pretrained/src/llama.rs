//! The llama architecture (SmolLM2, Llama 2/3, ...) as a burn module, built from a GGUF file.
//!
//! Pre-norm decoder blocks with RMSNorm, grouped-query attention with rotary position
//! embeddings, a SwiGLU feed-forward layer and (when the file has no `output.weight`) an
//! output projection tied to the token embedding. Quantised weights are dequantised to
//! `f32` once, at load; the module is an ordinary burn [`Module`], so it loads on an
//! autodiff device (`device.autodiff()`) as well and can be fine-tuned.
//!
//! llama.cpp stores the rows of `attn_q` and `attn_k` permuted so that each head's rotary
//! pairs are adjacent; the loader undoes that permutation, and rotation then pairs
//! dimension `i` with `i + head_dim / 2` ("rotate half"), which is the same computation.

use burn::module::{Module, Param};
use burn::nn::{Embedding, Linear};
use burn::tensor::activation::{silu, softmax};
use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::error::{Error, Result};
use crate::gguf::Gguf;
use crate::lora::LoraPass;
use crate::lora_config::LoraTarget;

mod positions;
use positions::{attention_mask, rope, rope_tables};

/// Largest accepted `embedding_length` and head counts (Llama 3.1 405B: 16384).
pub const MAX_WIDTH: u64 = 1 << 16;
/// Largest accepted `feed_forward_length` (Llama 3.1 405B: 53248).
pub const MAX_FF: u64 = 1 << 18;
/// Largest accepted `block_count` (Llama 3.1 405B: 126).
pub const MAX_LAYERS: u64 = 1 << 10;
/// Largest accepted vocabulary (Gemma: 256000).
pub const MAX_VOCAB: u64 = 1 << 22;
/// Largest accepted `context_length` (Llama 3.1: 131072).
pub const MAX_CONTEXT: u64 = 1 << 24;

/// Architecture hyper-parameters, read from `{arch}.*` GGUF metadata.
///
/// [`LlamaConfig::from_gguf`] checks every size against the bounds above (and against 0),
/// the head counts against the width, the tokenizer's vocabulary against the embedding
/// rows and the embedding's shape, so a crafted file gives [`Error::Weights`], never a
/// division by zero, an aborted allocation or an out-of-range token id.
#[derive(Debug, Clone, PartialEq)]
pub struct LlamaConfig {
    /// Vocabulary size.
    pub vocab: usize,
    /// Width of the residual stream.
    pub d_model: usize,
    /// Number of decoder blocks.
    pub n_layers: usize,
    /// Attention (query) heads.
    pub n_heads: usize,
    /// Key/value heads (grouped-query attention: `n_heads` is a multiple).
    pub n_kv_heads: usize,
    /// Width of the feed-forward layer.
    pub d_ff: usize,
    /// RMSNorm epsilon.
    pub rms_eps: f64,
    /// RoPE frequency base.
    pub rope_base: f64,
    /// Longest context the model was trained for.
    pub context: usize,
}

impl LlamaConfig {
    /// Reads the configuration of a `general.architecture = llama` file.
    pub fn from_gguf(gguf: &Gguf) -> Result<Self> {
        let arch = gguf.get_str("general.architecture")?;
        if arch != "llama" {
            return Err(Error::weights(
                gguf.path(),
                format!("architecture `{arch}` is not llama"),
            ));
        }
        let bad = |m: String| Error::weights(gguf.path(), m);
        // Every size must be at least 1 and at most its bound (far above any released
        // llama model): a 0 divides by zero later, a huge one aborts an allocation.
        let sized = |k: &str, max: u64| -> Result<usize> {
            let key = format!("llama.{k}");
            let v = gguf.get_u64(&key)?;
            if v == 0 || v > max {
                return Err(bad(format!("`{key}` = {v} is outside 1..={max}")));
            }
            usize::try_from(v).map_err(|_| bad(format!("`{key}` = {v} does not fit in memory")))
        };
        let d_model = sized("embedding_length", MAX_WIDTH)?;
        let n_heads = sized("attention.head_count", MAX_WIDTH)?;
        let n_kv_heads = match gguf.metadata.get("llama.attention.head_count_kv") {
            Some(_) => sized("attention.head_count_kv", MAX_WIDTH)?,
            None => n_heads,
        };
        let tokens = gguf
            .metadata
            .get("tokenizer.ggml.tokens")
            .and_then(|v| v.as_array())
            .map(<[_]>::len);
        let vocab = match gguf.metadata.get("llama.vocab_size") {
            Some(_) => sized("vocab_size", MAX_VOCAB)?,
            None => match tokens {
                Some(n) if n > 0 && n as u64 <= MAX_VOCAB => n,
                Some(n) => {
                    return Err(bad(format!(
                        "the tokenizer has {n} tokens, outside 1..={MAX_VOCAB}"
                    )));
                }
                None => {
                    return Err(bad(
                        "neither `llama.vocab_size` nor `tokenizer.ggml.tokens` gives the \
                         vocabulary size"
                            .into(),
                    ));
                }
            },
        };
        if let Some(n) = tokens
            && n > vocab
        {
            return Err(bad(format!(
                "the tokenizer has {n} tokens but the model only {vocab} embedding rows: \
                 token ids past {} would index outside the embedding",
                vocab - 1
            )));
        }
        let rms_eps = gguf.get_f64("llama.attention.layer_norm_rms_epsilon")?;
        if !(rms_eps.is_finite() && rms_eps > 0.0 && rms_eps < 1.0) {
            return Err(bad(format!(
                "`llama.attention.layer_norm_rms_epsilon` = {rms_eps} is not in (0, 1)"
            )));
        }
        let rope_base = gguf.get_f64("llama.rope.freq_base").unwrap_or(10_000.0);
        if !(rope_base.is_finite() && rope_base > 1.0) {
            return Err(bad(format!(
                "`llama.rope.freq_base` = {rope_base} is not a finite number above 1"
            )));
        }
        let config = LlamaConfig {
            vocab,
            d_model,
            n_layers: sized("block_count", MAX_LAYERS)?,
            n_heads,
            n_kv_heads,
            d_ff: sized("feed_forward_length", MAX_FF)?,
            rms_eps,
            rope_base,
            context: sized("context_length", MAX_CONTEXT)?,
        };
        if d_model % n_heads != 0 || n_heads % n_kv_heads != 0 {
            return Err(bad(format!(
                "{n_heads} heads / {n_kv_heads} KV heads do not divide width {d_model}"
            )));
        }
        if !config.head_dim().is_multiple_of(2) {
            return Err(bad("head width must be even for RoPE".into()));
        }
        if let Some(v) = gguf.metadata.get("llama.rope.dimension_count") {
            let rope_dims = v.as_u64();
            if rope_dims != Some(config.head_dim() as u64) {
                return Err(bad(format!(
                    "partial RoPE ({v:?} of {} dims) is not supported",
                    config.head_dim()
                )));
            }
        }
        // The embedding must have the shape the config implies, checked before anything
        // is allocated.
        let embd = gguf.info("token_embd.weight")?;
        if embd.dims != [d_model as u64, vocab as u64] {
            return Err(bad(format!(
                "tensor `token_embd.weight` has dims {:?}, expected [{d_model}, {vocab}] \
                 (embedding_length, vocabulary)",
                embd.dims
            )));
        }
        Ok(config)
    }

    /// Width of one attention head.
    pub fn head_dim(&self) -> usize {
        self.d_model / self.n_heads
    }
}

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
    /// Fused query, key and value projection (query and key columns in rotate-half order).
    pub wqkv: Linear,
    /// Attention output projection.
    pub wo: Linear,
    /// Norm before the feed-forward layer.
    pub ffn_norm: RmsNorm,
    /// Fused SwiGLU gate and up projection.
    pub gate_up: Linear,
    /// Down projection.
    pub down: Linear,
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
}

/// The RoPE tables and attention mask shared by every block of one forward step.
struct StepContext {
    cos: Tensor<4>,
    sin: Tensor<4>,
    mask: Tensor<4>,
}

/// Keys and values of the positions seen so far, per block: `[batch, kv_heads, len, head_dim]`.
#[derive(Debug, Clone, Default)]
pub struct KvCache {
    layers: Vec<Option<(Tensor<4>, Tensor<4>)>>,
}

impl KvCache {
    /// Number of cached positions.
    pub fn len(&self) -> usize {
        match self.layers.first() {
            Some(Some((k, _))) => k.dims()[2],
            _ => 0,
        }
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keeps only the batch rows in `rows` (in that order).
    pub fn retain_rows(&mut self, rows: &[usize]) {
        for (k, v) in self.layers.iter_mut().flatten() {
            let idx = Tensor::<1, Int>::from_data(
                TensorData::new(
                    rows.iter().map(|&r| r as i64).collect::<Vec<_>>(),
                    [rows.len()],
                ),
                &k.device(),
            );
            *k = k.clone().select(0, idx.clone());
            *v = v.clone().select(0, idx);
        }
    }
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
    /// Builds the model from a GGUF file's tensors on `device`.
    pub fn from_gguf(gguf: &Gguf, config: &LlamaConfig, device: &Device) -> Result<Self> {
        let d = config.d_model;
        let hd = config.head_dim();
        let kv = config.n_kv_heads * hd;
        // Loads row-major `[d_out, d_in]` GGUF matrices (rows = output features), undoing
        // the RoPE row permutation where `heads` is given.
        let rows = |name: &str, d_in: usize, d_out: usize, heads: Option<usize>| {
            let w = load(gguf, name, &[d_in, d_out])?;
            Ok::<_, Error>(match heads {
                Some(h) => unpermute_rope_rows(&w, h, d_out / h, d_in),
                None => w,
            })
        };
        // burn's Linear wants `[d_in, d_out]`, stored contiguously (a transposed view
        // makes every forward pass copy the weight).
        let linear = |parts: Vec<Vec<f32>>, d_in: usize| {
            let w: Vec<f32> = parts.concat();
            let d_out = w.len() / d_in;
            let t = Tensor::<2>::from_data(
                TensorData::new(transpose(&w, d_out, d_in), [d_in, d_out]),
                device,
            );
            Linear {
                weight: Param::from_tensor(t),
                bias: None,
            }
        };
        let norm = |name: &str| {
            let w = load(gguf, name, &[d])?;
            Ok::<_, Error>(RmsNorm {
                weight: Param::from_tensor(Tensor::from_data(TensorData::new(w, [d]), device)),
                eps: config.rms_eps,
            })
        };
        let mut blocks = Vec::with_capacity(config.n_layers);
        for i in 0..config.n_layers {
            let p = |s: &str| format!("blk.{i}.{s}.weight");
            let q = rows(&p("attn_q"), d, d, Some(config.n_heads))?;
            let k = rows(&p("attn_k"), d, kv, Some(config.n_kv_heads))?;
            let v = rows(&p("attn_v"), d, kv, None)?;
            let gate = rows(&p("ffn_gate"), d, config.d_ff, None)?;
            let up = rows(&p("ffn_up"), d, config.d_ff, None)?;
            blocks.push(Block {
                attn_norm: norm(&p("attn_norm"))?,
                wqkv: linear(vec![q, k, v], d),
                wo: linear(vec![rows(&p("attn_output"), d, d, None)?], d),
                ffn_norm: norm(&p("ffn_norm"))?,
                gate_up: linear(vec![gate, up], d),
                down: linear(
                    vec![rows(&p("ffn_down"), config.d_ff, d, None)?],
                    config.d_ff,
                ),
            });
        }
        let embed = load(gguf, "token_embd.weight", &[d, config.vocab])?;
        let embed = Embedding {
            weight: Param::from_tensor(Tensor::from_data(
                TensorData::new(embed, [config.vocab, d]),
                device,
            )),
        };
        let output = if gguf.tensors.contains_key("output.weight") {
            Some(linear(
                vec![rows("output.weight", d, config.vocab, None)?],
                d,
            ))
        } else {
            None
        };
        Ok(Llama {
            embed,
            blocks,
            norm: norm("output_norm.weight")?,
            output,
            n_heads: config.n_heads,
            n_kv_heads: config.n_kv_heads,
            rope_base: config.rope_base,
        })
    }

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
        let past = cache.len();
        let ctx = self.context(input.pad, past, input.tokens.first().map_or(0, Vec::len));
        if cache.layers.len() != self.blocks.len() {
            cache.layers = vec![None; self.blocks.len()];
        }
        let mut x = self.embed_tokens(input.tokens);
        for (i, layer) in cache.layers.iter_mut().enumerate() {
            x = self.block_forward(i, x, &ctx, Some(layer), lora.as_deref_mut());
        }
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
        let (cos, sin) = rope_tables(pad, past, seq, head_dim, self.rope_base, &device);
        StepContext {
            cos,
            sin,
            mask: attention_mask(pad, past, seq, group, &device),
        }
    }

    /// One decoder block on the residual stream `x`; `layer` is its KV-cache slot (none:
    /// attention over the new positions only).
    fn block_forward(
        &self,
        index: usize,
        x: Tensor<3>,
        ctx: &StepContext,
        layer: Option<&mut Option<(Tensor<4>, Tensor<4>)>>,
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
        let qkv = block.wqkv.forward(h.clone());
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
        let (k, v) = match layer {
            Some(slot) => {
                let (k, v) = match slot.take() {
                    Some((pk, pv)) => (Tensor::cat(vec![pk, k], 2), Tensor::cat(vec![pv, v], 2)),
                    None => (k, v),
                };
                *slot = Some((k.clone(), v.clone()));
                (k, v)
            }
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
            block.wo.forward(attn.clone()),
            delta(LoraTarget::OProj, &attn),
        );
        let x = x + o;
        let h = block.ffn_norm.forward(x.clone());
        let gate_up = block.gate_up.forward(h.clone());
        let d_ff = gate_up.dims()[2] / 2;
        let gate = plus(
            gate_up.clone().narrow(2, 0, d_ff),
            delta(LoraTarget::GateProj, &h),
        );
        let up = plus(gate_up.narrow(2, d_ff, d_ff), delta(LoraTarget::UpProj, &h));
        let ffn = silu(gate) * up;
        let down = plus(
            block.down.forward(ffn.clone()),
            delta(LoraTarget::DownProj, &ffn),
        );
        x + down
    }

    /// Next-token logits `[batch, S, vocab]` from hidden states.
    pub fn logits(&self, hidden: Tensor<3>) -> Tensor<3> {
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

/// Loads a tensor whose GGUF dims must equal `dims` (innermost first).
fn load(gguf: &Gguf, name: &str, dims: &[usize]) -> Result<Vec<f32>> {
    let info = gguf.info(name)?;
    let want: Vec<u64> = dims.iter().map(|&d| d as u64).collect();
    if info.dims != want {
        return Err(Error::weights(
            gguf.path(),
            format!(
                "tensor `{name}` has dims {:?}, expected {want:?}",
                info.dims
            ),
        ));
    }
    gguf.dequantize(name)
}

/// The `[cols, rows]` row-major transpose of a `[rows, cols]` row-major matrix.
pub(crate) fn transpose(w: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0; w.len()];
    for (r, row) in w.chunks_exact(cols).enumerate() {
        for (c, &v) in row.iter().enumerate() {
            out[c * rows + r] = v;
        }
    }
    out
}

/// Undoes llama.cpp's row permutation of `attn_q`/`attn_k`: within each head, stored row
/// `2i + j` is rotate-half row `j * head_dim / 2 + i`.
fn unpermute_rope_rows(w: &[f32], heads: usize, head_dim: usize, d_in: usize) -> Vec<f32> {
    let half = head_dim / 2;
    let mut out = vec![0.0; w.len()];
    for h in 0..heads {
        for i in 0..half {
            for j in 0..2 {
                let src = (h * head_dim + 2 * i + j) * d_in;
                let dst = (h * head_dim + j * half + i) * d_in;
                out[dst..dst + d_in].copy_from_slice(&w[src..src + d_in]);
            }
        }
    }
    out
}
