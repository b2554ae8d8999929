//! Building a [`Llama`] from a GGUF file: dequantised tensors, llama.cpp's RoPE row
//! permutation undone (llama only), q/k/v (and their biases) and gate/up fused into one
//! matrix each, Llama 3's `rope_freqs.weight`.

use std::sync::Arc;

use burn::module::Param;
use burn::nn::{Embedding, Linear};
use burn::tensor::{Device, Tensor, TensorData};

use super::{Block, BlockQuant, Llama, LlamaConfig, QuantMatrix, RmsNorm};
use crate::error::{Error, Result};
use crate::gguf::Gguf;

impl Llama {
    /// Builds the model from a GGUF file's tensors on `device`.
    ///
    /// Bias tensors other than Qwen2's (or a llama file's) `blk.N.attn_{q,k,v}.bias`, and
    /// tensors the architecture does not use that would change its output, are refused
    /// with an error naming them rather than ignored.
    pub fn from_gguf(gguf: &Gguf, config: &LlamaConfig, device: &Device) -> Result<Self> {
        let d = config.d_model;
        let hd = config.head_dim();
        let kv = config.n_kv_heads * hd;
        check_tensor_names(gguf, config)?;
        let permuted = config.arch.permuted_qk();
        // The RoPE row permutation of attn_q / attn_k, where the converter applied it.
        let perm = |heads: usize| permuted.then_some(heads);
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
        // The quantised twins of the projections, for decoding steps on the CPU (flex)
        // device; `None` where the file's type has no direct product (then `f32` only).
        let quantised = *device == Device::flex() && !device.is_autodiff();
        let quant = |name: &str, d_in: usize, d_out: usize, heads: Option<usize>| {
            if !quantised {
                return Ok::<_, Error>(None);
            }
            Ok(
                QuantMatrix::from_gguf(gguf, name, d_in, d_out)?.map(|m| match heads {
                    Some(h) => m.reorder_rows(&rope_order(h, d_out / h)),
                    None => m,
                }),
            )
        };
        let stacked = |parts: Vec<Option<QuantMatrix>>| {
            parts
                .into_iter()
                .collect::<Option<Vec<_>>>()
                .and_then(QuantMatrix::stack)
        };
        let mut blocks = Vec::with_capacity(config.n_layers);
        for i in 0..config.n_layers {
            let p = |s: &str| format!("blk.{i}.{s}.weight");
            let block_quant = match (
                stacked(vec![
                    quant(&p("attn_q"), d, d, perm(config.n_heads))?,
                    quant(&p("attn_k"), d, kv, perm(config.n_kv_heads))?,
                    quant(&p("attn_v"), d, kv, None)?,
                ]),
                quant(&p("attn_output"), d, d, None)?,
                stacked(vec![
                    quant(&p("ffn_gate"), d, config.d_ff, None)?,
                    quant(&p("ffn_up"), d, config.d_ff, None)?,
                ]),
                quant(&p("ffn_down"), config.d_ff, d, None)?,
            ) {
                (Some(wqkv), Some(wo), Some(gate_up), Some(down)) => Some(Arc::new(BlockQuant {
                    wqkv,
                    wo,
                    gate_up,
                    down,
                })),
                _ => None,
            };
            let q = rows(&p("attn_q"), d, d, perm(config.n_heads))?;
            let k = rows(&p("attn_k"), d, kv, perm(config.n_kv_heads))?;
            let v = rows(&p("attn_v"), d, kv, None)?;
            let mut wqkv = linear(vec![q, k, v], d);
            wqkv.bias = qkv_bias(gguf, config, i)?.map(|b| {
                let n = b.len();
                Param::from_tensor(Tensor::from_data(TensorData::new(b, [n]), device))
            });
            let gate = rows(&p("ffn_gate"), d, config.d_ff, None)?;
            let up = rows(&p("ffn_up"), d, config.d_ff, None)?;
            blocks.push(Block {
                attn_norm: norm(&p("attn_norm"))?,
                wqkv,
                wo: linear(vec![rows(&p("attn_output"), d, d, None)?], d),
                ffn_norm: norm(&p("ffn_norm"))?,
                gate_up: linear(vec![gate, up], d),
                down: linear(
                    vec![rows(&p("ffn_down"), config.d_ff, d, None)?],
                    config.d_ff,
                ),
                quant: block_quant,
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
        let output_name = if output.is_some() {
            "output.weight"
        } else {
            "token_embd.weight"
        };
        let output_quant = quant(output_name, d, config.vocab, None)?.map(Arc::new);
        let rope_freq_factors = match gguf.tensors.get("rope_freqs.weight") {
            None => None,
            Some(_) => {
                let f = load(gguf, "rope_freqs.weight", &[hd / 2])?;
                if let Some(bad) = f.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
                    return Err(Error::weights(
                        gguf.path(),
                        format!(
                            "tensor `rope_freqs.weight` holds {bad}, not a finite factor above 0"
                        ),
                    ));
                }
                Some(Arc::from(f))
            }
        };
        Ok(Llama {
            rope_freq_scale: config.rope_freq_scale,
            rope_freq_factors,
            output_quant,
            embed,
            blocks,
            norm: norm("output_norm.weight")?,
            output,
            n_heads: config.n_heads,
            n_kv_heads: config.n_kv_heads,
            rope_base: config.rope_base,
        })
    }
}

/// Block `layer`'s fused q/k/v bias (queries in rotate-half order), when the file has
/// one: required for Qwen2, optional (all three or none) for llama.
fn qkv_bias(gguf: &Gguf, config: &LlamaConfig, layer: usize) -> Result<Option<Vec<f32>>> {
    let name = |s: &str| format!("blk.{layer}.attn_{s}.bias");
    let present = ["q", "k", "v"].map(|s| gguf.tensors.contains_key(&name(s)));
    if !config.arch.qkv_bias() && present == [false; 3] {
        return Ok(None);
    }
    if let Some(i) = present.iter().position(|p| !p) {
        let missing = name(["q", "k", "v"][i]);
        return Err(Error::weights(
            gguf.path(),
            format!(
                "missing tensor `{missing}` ({} needs biases on all of q, k and v)",
                if config.arch.qkv_bias() {
                    "general.architecture = qwen2"
                } else {
                    "a file with a bias on one of them"
                }
            ),
        ));
    }
    let hd = config.head_dim();
    let kv = config.n_kv_heads * hd;
    let mut q = load(gguf, &name("q"), &[config.d_model])?;
    let mut k = load(gguf, &name("k"), &[kv])?;
    if config.arch.permuted_qk() {
        q = unpermute_rope_rows(&q, config.n_heads, hd, 1);
        k = unpermute_rope_rows(&k, config.n_kv_heads, hd, 1);
    }
    let v = load(gguf, &name("v"), &[kv])?;
    Ok(Some([q, k, v].concat()))
}

/// Refuses tensors the decoder would silently ignore: biases other than q/k/v's, and
/// anything that is not one of the llama tensors.
fn check_tensor_names(gguf: &Gguf, config: &LlamaConfig) -> Result<()> {
    const BLOCK: [&str; 12] = [
        "attn_norm.weight",
        "attn_q.weight",
        "attn_k.weight",
        "attn_v.weight",
        "attn_q.bias",
        "attn_k.bias",
        "attn_v.bias",
        "attn_output.weight",
        "ffn_norm.weight",
        "ffn_gate.weight",
        "ffn_up.weight",
        "ffn_down.weight",
    ];
    const TOP: [&str; 4] = [
        "token_embd.weight",
        "output_norm.weight",
        "output.weight",
        "rope_freqs.weight",
    ];
    for name in gguf.tensors.keys() {
        let known = TOP.contains(&name.as_str())
            || name
                .strip_prefix("blk.")
                .and_then(|rest| rest.split_once('.'))
                .is_some_and(|(layer, t)| {
                    layer.parse::<usize>().is_ok_and(|l| l < config.n_layers) && BLOCK.contains(&t)
                });
        if !known {
            return Err(Error::weights(
                gguf.path(),
                format!(
                    "tensor `{name}` is not part of the {} decoder this crate runs \
                     (unsupported variant)",
                    config.arch.name()
                ),
            ));
        }
    }
    Ok(())
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

/// Undoes llama.cpp's row permutation of `attn_q`/`attn_k` in a row-major `[rows, d_in]`
/// matrix.
fn unpermute_rope_rows(w: &[f32], heads: usize, head_dim: usize, d_in: usize) -> Vec<f32> {
    rope_order(heads, head_dim)
        .iter()
        .flat_map(|&r| &w[r * d_in..(r + 1) * d_in])
        .copied()
        .collect()
}

/// llama.cpp's row permutation of `attn_q`/`attn_k` as a gather: rotate-half row `r` is
/// stored row `order[r]` (within each head, stored row `2i + j` is rotate-half row
/// `j * head_dim / 2 + i`).
fn rope_order(heads: usize, head_dim: usize) -> Vec<usize> {
    let half = head_dim / 2;
    (0..heads * head_dim)
        .map(|r| {
            let (h, k) = (r / head_dim, r % head_dim);
            h * head_dim + 2 * (k % half) + k / half
        })
        .collect()
}
