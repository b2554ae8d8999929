//! Positions in the llama decoder: rotary embedding tables (per row, shifted by its left
//! padding and the KV cache), the rotation itself, and the causal attention mask that
//! hides padding.

use burn::tensor::{Device, Tensor, TensorData};

/// cos and sin tables `[batch, 1, S, head_dim]` for the new positions of each row
/// (position = cache column minus the row's padding; padding columns get position 0);
/// `inv_freq` holds the `head_dim / 2` angular frequencies.
pub(super) fn rope_tables(
    pad: &[usize],
    past: usize,
    seq: usize,
    inv_freq: &[f64],
    device: &Device,
) -> (Tensor<4>, Tensor<4>) {
    let half = inv_freq.len();
    let head_dim = 2 * half;
    let n = pad.len() * seq * head_dim;
    let (mut cos, mut sin) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for &p in pad {
        for s in 0..seq {
            let pos = (past + s).saturating_sub(p) as f64;
            for j in 0..head_dim {
                let angle = pos * inv_freq[j % half];
                cos.push(angle.cos() as f32);
                sin.push(angle.sin() as f32);
            }
        }
    }
    let shape = [pad.len(), 1, seq, head_dim];
    (
        Tensor::from_data(TensorData::new(cos, shape), device),
        Tensor::from_data(TensorData::new(sin, shape), device),
    )
}

/// `x * cos + rotate_half(x) * sin`, with `rotate_half([a, b]) = [-b, a]`.
pub(super) fn rope(x: Tensor<4>, cos: &Tensor<4>, sin: &Tensor<4>) -> Tensor<4> {
    let half = x.dims()[3] / 2;
    let a = x.clone().narrow(3, 0, half);
    let b = x.clone().narrow(3, half, half);
    let rotated = Tensor::cat(vec![b.neg(), a], 3);
    x * cos.clone() + rotated * sin.clone()
}

/// Additive attention mask `[batch, 1, group * S, past + S]`: query `s` of row `b` sees
/// cache columns `pad[b]..=past + s` (a padding query sees only itself, to stay finite).
pub(super) fn attention_mask(
    pad: &[usize],
    past: usize,
    seq: usize,
    group: usize,
    device: &Device,
) -> Tensor<4> {
    let total = past + seq;
    let mut m = Vec::with_capacity(pad.len() * group * seq * total);
    for &p in pad {
        for _ in 0..group {
            for s in 0..seq {
                let q = past + s;
                m.extend((0..total).map(|t| {
                    let visible = (t <= q && t >= p) || t == q;
                    if visible { 0.0f32 } else { f32::NEG_INFINITY }
                }));
            }
        }
    }
    Tensor::from_data(
        TensorData::new(m, [pad.len(), 1, group * seq, total]),
        device,
    )
}
