//! The llama-family variants on small GGUF files written here (no real model needed):
//! Llama 3's `rope_freqs.weight`, linear RoPE scaling, Qwen2's q/k/v biases and unpermuted
//! q/k rows, an untied `output.weight`, each against a plain float64 forward pass written
//! from llama.cpp's definitions (adjacent-pair RoPE on the stored rows for llama, halves
//! for Qwen2's NEOX order), through both the `f32` prefill and the quantised (Q8_0)
//! decoding steps; and what is not supported refused with the metadata key or tensor named.

mod gguf_writer;

use burn::tensor::Device;
use gguf_writer::Writer;
use inherit_pretrained::Error;
use inherit_pretrained::gguf::Gguf;
use inherit_pretrained::llama::{Arch, KvCache, Llama, LlamaConfig, QUANT_MAX_ROWS, StepInput};

const D: usize = 32;
const HEADS: usize = 4;
const KV_HEADS: usize = 2;
const HD: usize = D / HEADS;
const FF: usize = 64;
const VOCAB: usize = 16;
const LAYERS: usize = 2;
const EPS: f64 = 1e-5;
const BASE: f64 = 10_000.0;

/// A deterministic pseudo-random stream.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as u32
    }
}

/// A `[rows, cols]` matrix as Q8_0 blocks (scale 1/64, quants in -40..40) and its exact
/// values.
fn q8_matrix(rng: &mut Lcg, rows: usize, cols: usize) -> (Vec<u8>, Vec<f64>) {
    let mut bytes = Vec::new();
    let mut values = Vec::new();
    for _ in 0..rows * cols / 32 {
        bytes.extend(0x2400u16.to_le_bytes()); // f16 2^-6
        for _ in 0..32 {
            let q = (rng.next() % 81) as i32 - 40;
            bytes.push(q as i8 as u8);
            values.push(f64::from(q) / 64.0);
        }
    }
    (bytes, values)
}

/// What a test file holds beside the plain llama decoder.
#[derive(Clone, Default)]
struct Variant {
    qwen2: bool,
    rope_factors: Option<Vec<f32>>,
    linear_scale: Option<f32>,
    untied: bool,
}

/// The weights of a test file, as the reference sees them (rows as stored).
struct Weights {
    embed: Vec<f64>,
    output: Option<Vec<f64>>,
    layers: Vec<Layer>,
    out_norm: Vec<f64>,
}

struct Layer {
    attn_norm: Vec<f64>,
    wq: Vec<f64>,
    wk: Vec<f64>,
    wv: Vec<f64>,
    bias: Option<[Vec<f64>; 3]>,
    wo: Vec<f64>,
    ffn_norm: Vec<f64>,
    gate: Vec<f64>,
    up: Vec<f64>,
    down: Vec<f64>,
}

/// Writes the file for `v` and returns it with its weights.
fn build(v: &Variant) -> (Writer, Weights) {
    let arch = if v.qwen2 { "qwen2" } else { "llama" };
    let mut rng = Lcg(7);
    let mut w = Writer::default();
    let key = |k: &str| format!("{arch}.{k}");
    w.kv_str("general.architecture", arch)
        .kv_u32(&key("embedding_length"), D as u32)
        .kv_u32(&key("block_count"), LAYERS as u32)
        .kv_u32(&key("feed_forward_length"), FF as u32)
        .kv_u32(&key("attention.head_count"), HEADS as u32)
        .kv_u32(&key("attention.head_count_kv"), KV_HEADS as u32)
        .kv_u32(&key("context_length"), 64)
        .kv_u32(&key("vocab_size"), VOCAB as u32)
        .kv_u32(&key("rope.dimension_count"), HD as u32)
        .kv_f32(&key("attention.layer_norm_rms_epsilon"), EPS as f32)
        .kv_f32(&key("rope.freq_base"), BASE as f32);
    if let Some(f) = v.linear_scale {
        w.kv_str(&key("rope.scaling.type"), "linear")
            .kv_f32(&key("rope.scaling.factor"), f);
    }
    let mut matrix = |w: &mut Writer, name: &str, rows: usize, cols: usize| {
        let (bytes, values) = q8_matrix(&mut rng, rows, cols);
        w.tensor(name, &[cols as u64, rows as u64], 8, &bytes);
        values
    };
    let norm = |i: usize| -> Vec<f64> {
        (0..D)
            .map(|j| 0.75 + ((i * 7 + j * 3) % 11) as f64 / 20.0)
            .collect()
    };
    let as_f32 = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<_>>();
    let embed = matrix(&mut w, "token_embd.weight", VOCAB, D);
    let mut layers = Vec::new();
    for i in 0..LAYERS {
        let p = |s: &str| format!("blk.{i}.{s}");
        let attn_norm = norm(2 * i);
        let ffn_norm = norm(2 * i + 1);
        w.tensor_f32(&p("attn_norm.weight"), &[D as u64], &as_f32(&attn_norm));
        w.tensor_f32(&p("ffn_norm.weight"), &[D as u64], &as_f32(&ffn_norm));
        let wq = matrix(&mut w, &p("attn_q.weight"), D, D);
        let wk = matrix(&mut w, &p("attn_k.weight"), KV_HEADS * HD, D);
        let wv = matrix(&mut w, &p("attn_v.weight"), KV_HEADS * HD, D);
        let bias = v.qwen2.then(|| {
            let b = |n: usize, s: usize| -> Vec<f64> {
                (0..n)
                    .map(|j| ((j * 13 + s * 5 + i) % 17) as f64 / 8.0 - 1.0)
                    .collect()
            };
            let (bq, bk, bv) = (b(D, 1), b(KV_HEADS * HD, 2), b(KV_HEADS * HD, 3));
            w.tensor_f32(&p("attn_q.bias"), &[D as u64], &as_f32(&bq));
            w.tensor_f32(&p("attn_k.bias"), &[(KV_HEADS * HD) as u64], &as_f32(&bk));
            w.tensor_f32(&p("attn_v.bias"), &[(KV_HEADS * HD) as u64], &as_f32(&bv));
            [bq, bk, bv]
        });
        layers.push(Layer {
            attn_norm,
            wq,
            wk,
            wv,
            bias,
            wo: matrix(&mut w, &p("attn_output.weight"), D, D),
            ffn_norm,
            gate: matrix(&mut w, &p("ffn_gate.weight"), FF, D),
            up: matrix(&mut w, &p("ffn_up.weight"), FF, D),
            down: matrix(&mut w, &p("ffn_down.weight"), D, FF),
        });
    }
    let out_norm = norm(99);
    w.tensor_f32("output_norm.weight", &[D as u64], &as_f32(&out_norm));
    let output = v.untied.then(|| matrix(&mut w, "output.weight", VOCAB, D));
    if let Some(f) = &v.rope_factors {
        w.tensor_f32("rope_freqs.weight", &[(HD / 2) as u64], f);
    }
    (
        w,
        Weights {
            embed,
            output,
            layers,
            out_norm,
        },
    )
}

/// `W x` for row-major `[rows, cols]` `W`.
fn matvec(w: &[f64], x: &[f64]) -> Vec<f64> {
    w.chunks_exact(x.len())
        .map(|row| row.iter().zip(x).map(|(a, b)| a * b).sum())
        .collect()
}

fn rms_norm(x: &[f64], g: &[f64]) -> Vec<f64> {
    let ms = x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64;
    let s = 1.0 / (ms + EPS).sqrt();
    x.iter().zip(g).map(|(v, g)| v * s * g).collect()
}

/// llama.cpp's RoPE of one head at `pos`: pairs `(2i, 2i + 1)` of the stored rows (llama,
/// "NORM") or `(i, i + HD/2)` (Qwen2, "NEOX"); angle `pos * scale * base^(-2i/HD) / f_i`.
fn rope(head: &mut [f64], pos: usize, v: &Variant) {
    let scale = v.linear_scale.map_or(1.0, |f| 1.0 / f64::from(f));
    for i in 0..HD / 2 {
        let factor = v.rope_factors.as_ref().map_or(1.0, |f| f64::from(f[i]));
        let theta = pos as f64 * scale * BASE.powf(-2.0 * i as f64 / HD as f64) / factor;
        let (a, b) = if v.qwen2 {
            (i, i + HD / 2)
        } else {
            (2 * i, 2 * i + 1)
        };
        let (x0, x1) = (head[a], head[b]);
        head[a] = x0 * theta.cos() - x1 * theta.sin();
        head[b] = x0 * theta.sin() + x1 * theta.cos();
    }
}

/// The float64 reference: next-token logits at every position of `tokens`.
fn reference(w: &Weights, v: &Variant, tokens: &[u32]) -> Vec<Vec<f64>> {
    let mut xs: Vec<Vec<f64>> = tokens
        .iter()
        .map(|&t| w.embed[t as usize * D..(t as usize + 1) * D].to_vec())
        .collect();
    for l in &w.layers {
        let (mut qs, mut ks, mut vs) = (Vec::new(), Vec::new(), Vec::new());
        for (pos, x) in xs.iter().enumerate() {
            let h = rms_norm(x, &l.attn_norm);
            let (mut q, mut k, mut val) = (matvec(&l.wq, &h), matvec(&l.wk, &h), matvec(&l.wv, &h));
            if let Some([bq, bk, bv]) = &l.bias {
                for (y, b) in [(&mut q, bq), (&mut k, bk), (&mut val, bv)] {
                    y.iter_mut().zip(b).for_each(|(y, b)| *y += b);
                }
            }
            q.chunks_exact_mut(HD).for_each(|h| rope(h, pos, v));
            k.chunks_exact_mut(HD).for_each(|h| rope(h, pos, v));
            qs.push(q);
            ks.push(k);
            vs.push(val);
        }
        for (t, x) in xs.iter_mut().enumerate() {
            let mut attn = vec![0.0; D];
            for h in 0..HEADS {
                let g = h / (HEADS / KV_HEADS);
                let q = &qs[t][h * HD..(h + 1) * HD];
                let scores: Vec<f64> = (0..=t)
                    .map(|s| {
                        let k = &ks[s][g * HD..(g + 1) * HD];
                        q.iter().zip(k).map(|(a, b)| a * b).sum::<f64>() / (HD as f64).sqrt()
                    })
                    .collect();
                let m = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = scores.iter().map(|s| (s - m).exp()).collect();
                let z: f64 = e.iter().sum();
                for (s, e) in e.iter().enumerate() {
                    for j in 0..HD {
                        attn[h * HD + j] += e / z * vs[s][g * HD + j];
                    }
                }
            }
            let o = matvec(&l.wo, &attn);
            x.iter_mut().zip(&o).for_each(|(x, o)| *x += o);
            let h = rms_norm(x, &l.ffn_norm);
            let (gate, up) = (matvec(&l.gate, &h), matvec(&l.up, &h));
            let act: Vec<f64> = gate
                .iter()
                .zip(&up)
                .map(|(g, u)| g / (1.0 + (-g).exp()) * u)
                .collect();
            let down = matvec(&l.down, &act);
            x.iter_mut().zip(&down).for_each(|(x, d)| *x += d);
        }
    }
    xs.iter()
        .map(|x| {
            matvec(
                w.output.as_ref().unwrap_or(&w.embed),
                &rms_norm(x, &w.out_norm),
            )
        })
        .collect()
}

fn parse(w: &Writer) -> Gguf {
    Gguf::parse("variant.gguf", w.bytes()).unwrap()
}

/// Our logits at every position: one prefill of all tokens (burn's `f32` product) and
/// one token per step (the quantised product).
fn ours(gguf: &Gguf, tokens: &[u32]) -> (LlamaConfig, Vec<Vec<f32>>, Vec<Vec<f32>>) {
    assert!(
        tokens.len() > QUANT_MAX_ROWS,
        "the prefill must take the f32 path"
    );
    let config = LlamaConfig::from_gguf(gguf).unwrap_or_else(|e| panic!("{e}"));
    let model = Llama::from_gguf(gguf, &config, &Device::flex()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        model.blocks.iter().all(|b| b.quant.is_some()),
        "quantised twins"
    );
    let rows = |t: burn::tensor::Tensor<3>| -> Vec<Vec<f32>> {
        let v = t.into_data().try_to_vec::<f32>().unwrap();
        v.chunks_exact(VOCAB).map(<[f32]>::to_vec).collect()
    };
    let mut cache = KvCache::default();
    let prefill = rows(model.logits(model.forward(
        &StepInput {
            tokens: &[tokens.to_vec()],
            pad: &[0],
        },
        &mut cache,
    )));
    let mut cache = KvCache::default();
    let steps = tokens
        .iter()
        .flat_map(|&t| {
            rows(model.logits(model.forward(
                &StepInput {
                    tokens: &[vec![t]],
                    pad: &[0],
                },
                &mut cache,
            )))
        })
        .collect();
    (config, prefill, steps)
}

const TOKENS: [u32; 20] = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4];

/// Largest |ours - reference| over all positions and both paths.
fn max_diff(v: &Variant) -> (LlamaConfig, f64, Vec<Vec<f64>>) {
    let (w, weights) = build(v);
    let (config, prefill, steps) = ours(&parse(&w), &TOKENS);
    let want = reference(&weights, v, &TOKENS);
    let mut worst = 0f64;
    for got in [&prefill, &steps] {
        for (g, r) in got.iter().zip(&want) {
            for (a, b) in g.iter().zip(r) {
                worst = worst.max((f64::from(*a) - b).abs());
            }
        }
    }
    (config, worst, want)
}

/// Largest difference between two reference runs: how much a variant changes the output.
fn spread(a: &[Vec<f64>], b: &[Vec<f64>]) -> f64 {
    a.iter()
        .flatten()
        .zip(b.iter().flatten())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn plain_llama_matches_the_float64_reference() {
    let (config, diff, _) = max_diff(&Variant::default());
    assert_eq!(config.arch, Arch::Llama);
    assert_eq!(config.rope_freq_scale, 1.0);
    assert!(diff < 1e-4, "max |ours - reference| = {diff}");
}

#[test]
fn llama3_rope_freqs_and_untied_output_match_the_reference() {
    let v = Variant {
        rope_factors: Some(vec![1.0, 1.5, 4.0, 8.0]),
        untied: true,
        ..Variant::default()
    };
    let (_, diff, want) = max_diff(&v);
    assert!(diff < 1e-4, "max |ours - reference| = {diff}");
    // Both features change the output: a model ignoring either would fail above.
    let (_, plain) = build(&Variant::default());
    let no_factors = Variant {
        rope_factors: None,
        ..v.clone()
    };
    let (_, weights) = build(&v);
    assert!(spread(&want, &reference(&weights, &no_factors, &TOKENS)) > 1e-2);
    assert!(spread(&want, &reference(&plain, &no_factors, &TOKENS)) > 1e-2);
}

#[test]
fn linear_rope_scaling_matches_the_reference() {
    let v = Variant {
        linear_scale: Some(4.0),
        ..Variant::default()
    };
    let (config, diff, want) = max_diff(&v);
    assert_eq!(config.rope_freq_scale, 0.25);
    assert!(diff < 1e-4, "max |ours - reference| = {diff}");
    let (_, weights) = build(&v);
    assert!(spread(&want, &reference(&weights, &Variant::default(), &TOKENS)) > 1e-2);
}

#[test]
fn qwen2_biases_and_neox_rows_match_the_reference() {
    let v = Variant {
        qwen2: true,
        ..Variant::default()
    };
    let (config, diff, want) = max_diff(&v);
    assert_eq!(config.arch, Arch::Qwen2);
    assert!(diff < 1e-4, "max |ours - reference| = {diff}");
    // Neither the biases nor the row order are no-ops.
    let (_, weights) = build(&v);
    let mut no_bias = Weights { ..weights };
    for l in &mut no_bias.layers {
        l.bias = None;
    }
    assert!(spread(&want, &reference(&no_bias, &v, &TOKENS)) > 1e-2);
    let (_, weights) = build(&v);
    assert!(spread(&want, &reference(&weights, &Variant::default(), &TOKENS)) > 1e-2);
}

/// The error of loading `w` (config, then model), as text.
fn load_error(w: &Writer) -> String {
    let gguf = parse(w);
    let err = match LlamaConfig::from_gguf(&gguf) {
        Err(e) => e,
        Ok(config) => match Llama::from_gguf(&gguf, &config, &Device::flex()) {
            Err(e) => e,
            Ok(_) => panic!("loaded"),
        },
    };
    assert!(matches!(err, Error::Weights { .. }), "{err}");
    err.to_string()
}

#[test]
fn unsupported_variants_are_refused_naming_the_key_or_tensor() {
    let (mut w, _) = build(&Variant::default());
    w.kv_str("llama.rope.scaling.type", "yarn");
    let e = load_error(&w);
    assert!(e.contains("`llama.rope.scaling.type` = `yarn`"), "{e}");

    let (mut w, _) = build(&Variant::default());
    w.kv_str("llama.rope.scaling.type", "linear");
    let e = load_error(&w);
    assert!(e.contains("llama.rope.scaling.factor"), "{e}");

    let (mut w, _) = build(&Variant::default());
    w.kv_u32("llama.attention.key_length", 16);
    let e = load_error(&w);
    assert!(e.contains("`llama.attention.key_length`"), "{e}");

    let (mut w, _) = build(&Variant::default());
    w.kv_f32("llama.attn_logit_softcapping", 50.0);
    assert!(load_error(&w).contains("llama.attn_logit_softcapping"));

    let (mut w, _) = build(&Variant::default());
    w.tensor_f32("blk.0.attn_output.bias", &[D as u64], &[0.0; D]);
    assert!(load_error(&w).contains("`blk.0.attn_output.bias`"));

    // A llama file with a q bias but no k bias.
    let (mut w, _) = build(&Variant::default());
    w.tensor_f32("blk.1.attn_q.bias", &[D as u64], &[0.0; D]);
    assert!(load_error(&w).contains("`blk.1.attn_k.bias`"));

    let (mut w, _) = build(&Variant::default());
    w.tensor_f32(
        "rope_freqs.weight",
        &[(HD / 2) as u64],
        &[1.0, 0.0, 1.0, 1.0],
    );
    assert!(load_error(&w).contains("`rope_freqs.weight`"));
    let (mut w, _) = build(&Variant::default());
    w.tensor_f32("rope_freqs.weight", &[HD as u64], &[1.0; HD]);
    assert!(load_error(&w).contains("`rope_freqs.weight` has dims"));

    // Another architecture, named by its key.
    let mut w = Writer::default();
    w.kv_str("general.architecture", "gemma2");
    let e = load_error(&w);
    assert!(e.contains("`general.architecture` = `gemma2`"), "{e}");
}

#[test]
fn qwen2_without_its_biases_is_refused_naming_the_tensor() {
    // The Qwen2 header over a file whose tensors have no biases.
    let (plain, _) = build(&Variant::default());
    let bytes = plain.bytes();
    let (qwen, _) = build(&Variant {
        qwen2: true,
        ..Variant::default()
    });
    let gguf = parse(&qwen);
    assert!(gguf.tensors.contains_key("blk.0.attn_q.bias"));
    // Drop the biases by rebuilding the Qwen2 header over the llama tensors.
    let llama = Gguf::parse("l.gguf", bytes).unwrap();
    let mut w = Writer::default();
    w.kv_str("general.architecture", "qwen2");
    for (k, v) in &llama.metadata {
        if let Some(rest) = k.strip_prefix("llama.") {
            match v {
                inherit_pretrained::gguf::Value::U32(n) => {
                    w.kv_u32(&format!("qwen2.{rest}"), *n);
                }
                inherit_pretrained::gguf::Value::F32(f) => {
                    w.kv_f32(&format!("qwen2.{rest}"), *f);
                }
                _ => {}
            }
        }
    }
    for (name, info) in &llama.tensors {
        let (_, raw) = llama.raw(name).unwrap();
        w.tensor(name, &info.dims, info.ty.id(), raw);
    }
    let e = load_error(&w);
    assert!(e.contains("missing tensor `blk.0.attn_q.bias`"), "{e}");
    assert!(e.contains("qwen2"), "{e}");
}
