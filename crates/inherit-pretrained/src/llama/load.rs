//! Building a [`Llama`] from a GGUF file: dequantised tensors, llama.cpp's RoPE row
//! permutation undone, q/k/v and gate/up fused into one matrix each.

use burn::module::Param;
use burn::nn::{Embedding, Linear};
use burn::tensor::{Device, Tensor, TensorData};

use super::{Block, Llama, LlamaConfig, RmsNorm};
use crate::error::{Error, Result};
use crate::gguf::Gguf;

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
