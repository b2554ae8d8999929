//! The pre-LayerNorm transformer block shared by [`super::TransformerClassifier`] and
//! [`super::CausalLm`], with seeded host-side dropout (see [`crate::init`]).

use burn::module::Module;
use burn::nn::{Embedding, LayerNorm, Linear};
use burn::tensor::activation::{gelu, softmax};
use burn::tensor::{Device, Int, Tensor, TensorData};
use inherit_core::SeededRng;

use crate::init::{ParamInit, dropout};

/// One block: `x + Attn(LN(x))`, then `x + FFN(LN(x))`.
#[derive(Module, Debug)]
pub struct Block {
    ln1: LayerNorm,
    qkv: Linear,
    proj: Linear,
    ln2: LayerNorm,
    ff1: Linear,
    ff2: Linear,
    heads: usize,
    dropout: f64,
}

impl Block {
    /// A block of width `d` with `heads` heads and a `ff`-wide feed-forward layer.
    pub fn new(init: &mut ParamInit, d: usize, heads: usize, ff: usize, dropout: f64) -> Self {
        Block {
            ln1: init.layer_norm(d),
            qkv: init.linear(d, 3 * d),
            proj: init.linear(d, d),
            ln2: init.layer_norm(d),
            ff1: init.linear(d, ff),
            ff2: init.linear(ff, d),
            heads,
            dropout,
        }
    }

    /// `x` `[b, t, d]`; `bias` is added to the attention scores, `[b, 1, t|1, t]`.
    pub fn forward(
        &self,
        x: Tensor<3>,
        bias: Tensor<4>,
        mut rng: Option<&mut SeededRng>,
    ) -> Tensor<3> {
        let [b, t, d] = x.dims();
        let h = self.heads;
        let dh = d / h;
        let qkv = self.qkv.forward(self.ln1.forward(x.clone()));
        let split = |i: usize| {
            qkv.clone()
                .narrow(2, i * d, d)
                .reshape([b, t, h, dh])
                .swap_dims(1, 2)
        };
        let (q, k, v) = (split(0), split(1), split(2));
        let scores = q.matmul(k.swap_dims(2, 3)).div_scalar((dh as f64).sqrt()) + bias;
        let attn = dropout(softmax(scores, 3), self.dropout, rng.as_deref_mut());
        let ctx = attn.matmul(v).swap_dims(1, 2).reshape([b, t, d]);
        let x = x + dropout(self.proj.forward(ctx), self.dropout, rng.as_deref_mut());
        let ff = self
            .ff2
            .forward(gelu(self.ff1.forward(self.ln2.forward(x.clone()))));
        x + dropout(ff, self.dropout, rng)
    }
}

/// Token + learned position embeddings followed by blocks and a final LayerNorm.
#[derive(Module, Debug)]
pub struct Encoder {
    tokens: Embedding,
    positions: Embedding,
    blocks: Vec<Block>,
    norm: LayerNorm,
    dropout: f64,
    causal: bool,
    max_length: usize,
}

/// Shape of an [`Encoder`].
#[derive(Debug, Clone, Copy)]
pub struct EncoderShape {
    /// Vocabulary size.
    pub vocab: usize,
    /// Width.
    pub d: usize,
    /// Attention heads (divides `d`).
    pub heads: usize,
    /// Blocks.
    pub layers: usize,
    /// Feed-forward width.
    pub ff: usize,
    /// Longest sequence.
    pub max_length: usize,
    /// Dropout probability.
    pub dropout: f64,
    /// Causal attention (each position sees only itself and earlier ones).
    pub causal: bool,
}

impl Encoder {
    /// Builds the encoder; embeddings from `N(0, 0.02^2)`.
    pub fn new(init: &mut ParamInit, s: EncoderShape) -> Self {
        Encoder {
            tokens: init.embedding(s.vocab, s.d, 0.02),
            positions: init.embedding(s.max_length, s.d, 0.02),
            blocks: (0..s.layers)
                .map(|_| Block::new(init, s.d, s.heads, s.ff, s.dropout))
                .collect(),
            norm: init.layer_norm(s.d),
            dropout: s.dropout,
            causal: s.causal,
            max_length: s.max_length,
        }
    }

    /// Longest sequence.
    pub fn max_length(&self) -> usize {
        self.max_length
    }

    /// Hidden states `[b, t, d]` of ids `[b, t]` (t <= max_length) with padding `mask`.
    pub fn forward(
        &self,
        ids: Tensor<2, Int>,
        mask: Tensor<2>,
        mut rng: Option<&mut SeededRng>,
    ) -> Tensor<3> {
        let [b, t] = ids.dims();
        let device = ids.device();
        let pos: Vec<i64> = (0..t as i64).collect();
        let pos = Tensor::<2, Int>::from_data(TensorData::new(pos, [1, t]), &device);
        let x = self.tokens.forward(ids) + self.positions.forward(pos);
        let mut x = dropout(x, self.dropout, rng.as_deref_mut());
        let bias = attention_bias(mask, b, t, self.causal, &device);
        for block in &self.blocks {
            x = block.forward(x, bias.clone(), rng.as_deref_mut());
        }
        self.norm.forward(x)
    }
}

/// Additive attention bias: -1e9 on padded keys and, when causal, on later positions.
fn attention_bias(mask: Tensor<2>, b: usize, t: usize, causal: bool, device: &Device) -> Tensor<4> {
    let pad = (mask.reshape([b, 1, 1, t]) - 1.0) * 1e9;
    if !causal {
        return pad;
    }
    let tri: Vec<f32> = (0..t * t)
        .map(|i| if i % t > i / t { -1e9 } else { 0.0 })
        .collect();
    pad + Tensor::<4>::from_data(TensorData::new(tri, [1, 1, t, t]), device)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::to_host;

    fn encoder(causal: bool) -> Encoder {
        let device = Device::flex();
        let mut init = ParamInit::new(0, &device);
        Encoder::new(
            &mut init,
            EncoderShape {
                vocab: 10,
                d: 8,
                heads: 2,
                layers: 2,
                ff: 16,
                max_length: 6,
                dropout: 0.0,
                causal,
            },
        )
    }

    fn run(e: &Encoder, ids: [[i64; 4]; 1], mask: [[f32; 4]; 1]) -> Vec<f32> {
        let device = Device::flex();
        let ids = Tensor::<2, Int>::from_data(ids, &device);
        let mask = Tensor::<2>::from_data(mask, &device);
        to_host(e.forward(ids, mask, None)).unwrap()
    }

    #[test]
    fn padding_does_not_leak_into_real_positions() {
        let e = encoder(false);
        let a = run(&e, [[1, 2, 3, 0]], [[1.0, 1.0, 1.0, 0.0]]);
        let b = run(&e, [[1, 2, 3, 7]], [[1.0, 1.0, 1.0, 0.0]]);
        for i in 0..3 * 8 {
            assert!((a[i] - b[i]).abs() < 1e-5, "{i}: {} vs {}", a[i], b[i]);
        }
    }

    #[test]
    fn causal_positions_do_not_see_the_future() {
        let e = encoder(true);
        let a = run(&e, [[1, 2, 3, 4]], [[1.0; 4]]);
        let b = run(&e, [[1, 2, 9, 9]], [[1.0; 4]]);
        // Positions 0 and 1 are unchanged; position 2 sees the change.
        for i in 0..2 * 8 {
            assert!((a[i] - b[i]).abs() < 1e-5);
        }
        assert!((2 * 8..3 * 8).any(|i| (a[i] - b[i]).abs() > 1e-4));
    }
}
