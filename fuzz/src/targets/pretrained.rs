//! Model files: GGUF (reader, dequantisation, llama config, the whole SmolLM2 loader with
//! scoring and generation), the GGUF tokenizer, and a BERT folder's `config.json` and
//! `model.safetensors`.

use inherit_core::{GenerationParams, Prompt, TextGenerator};
use inherit_pretrained::bert::{load_weights, read_config};
use inherit_pretrained::gguf::{Gguf, Value};
use inherit_pretrained::llama::LlamaConfig;
use inherit_pretrained::{ChatTemplate, Device, GgufTokenizer, SmolLm};
use rand::RngExt;

use crate::driver::{Case, Verdict, note};
use crate::gguf_write::File;
use crate::mutate::Mutator;

/// Metadata keys and tensor names the loaders look for.
pub const GGUF_DICT: &[&[u8]] = &[
    b"GGUF",
    b"general.architecture",
    b"general.alignment",
    b"llama",
    b"gpt2",
    b"smollm",
    b"llama.block_count",
    b"llama.embedding_length",
    b"llama.feed_forward_length",
    b"llama.context_length",
    b"llama.vocab_size",
    b"llama.attention.head_count",
    b"llama.attention.head_count_kv",
    b"llama.rope.dimension_count",
    b"tokenizer.ggml.tokens",
    b"tokenizer.ggml.merges",
    b"tokenizer.ggml.token_type",
    b"tokenizer.ggml.eos_token_id",
    b"tokenizer.ggml.bos_token_id",
    b"tokenizer.chat_template",
    b"token_embd.weight",
    b"output.weight",
    b"blk.0.attn_q.weight",
    b"<|im_start|>",
    b"<|im_end|>",
];

/// Texts every tokenizer and model is run on.
const TEXTS: [&str; 5] = [
    "Hello world 12345",
    "<|im_start|>user\nhi<|im_end|>",
    "",
    "é \u{1F600} \u{202e} \0 \t",
    "the the the the the the the the",
];

/// A mutated metadata value.
fn mutate_value(v: &Value, m: &mut Mutator, depth: u32) -> Value {
    let int = |m: &mut Mutator| m.interesting();
    match v {
        Value::U8(_) => Value::U8(int(m) as u8),
        Value::I8(_) => Value::I8(int(m) as i8),
        Value::U16(_) => Value::U16(int(m) as u16),
        Value::I16(_) => Value::I16(int(m) as i16),
        Value::U32(_) => Value::U32(int(m) as u32),
        Value::I32(_) => Value::I32(int(m) as i32),
        Value::U64(_) => Value::U64(int(m)),
        Value::I64(_) => Value::I64(int(m) as i64),
        Value::F32(_) | Value::F64(_) => {
            let f = [
                0.0,
                -0.0,
                -1.0,
                1.0,
                1e-30,
                1e30,
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::MAX,
                f64::MIN_POSITIVE,
                0.5,
            ][m.below(12)];
            if matches!(v, Value::F32(_)) {
                Value::F32(f as f32)
            } else {
                Value::F64(f)
            }
        }
        Value::Bool(b) => Value::Bool(!b),
        Value::String(s) => {
            let bytes = m.mutate(s.as_bytes(), b"<|im_start|> {{ message['role'] }}");
            Value::String(String::from_utf8_lossy(&bytes).into_owned())
        }
        Value::Array(items) => {
            let mut items = items.clone();
            if items.is_empty() {
                return Value::Array(vec![Value::U32(m.interesting() as u32)]);
            }
            let i = m.below(items.len());
            match m.below(7) {
                0 => items.truncate(i),
                1 => {
                    items.remove(i);
                }
                2 => {
                    let dup = items[i].clone();
                    let at = m.below(items.len() + 1);
                    items.insert(at, dup);
                }
                3 => {
                    let j = m.below(items.len());
                    items.swap(i, j);
                }
                4 if depth < 3 => {
                    // Change the array's item type: every item becomes an integer.
                    items = items
                        .iter()
                        .map(|_| Value::U32(m.interesting() as u32))
                        .collect();
                }
                _ if depth < 3 => {
                    for _ in 0..1 + m.below(4) {
                        let k = m.below(items.len());
                        let mutated = mutate_value(&items[k], m, depth + 1);
                        // Keep the array homogeneous: only a mutant of the same type.
                        if std::mem::discriminant(&mutated) == std::mem::discriminant(&items[k]) {
                            items[k] = mutated;
                        }
                    }
                }
                _ => {}
            }
            Value::Array(items)
        }
    }
}

/// Structure-aware GGUF mutation: one change to the metadata or a tensor info, then
/// written back.
pub fn structured(bytes: &[u8], m: &mut Mutator) -> Option<Vec<u8>> {
    let mut file = File::parse(bytes)?;
    for _ in 0..1 + m.below(3) {
        let n_meta = file.metadata.len();
        let n_tensors = file.tensors.len();
        match m.below(10) {
            0..=4 if n_meta > 0 => {
                let i = m.below(n_meta);
                file.metadata[i].1 = mutate_value(&file.metadata[i].1, m, 0);
            }
            5 if n_meta > 0 => {
                let i = m.below(n_meta);
                if m.chance(0.5) {
                    file.metadata.remove(i);
                } else {
                    // Another type for the same key.
                    let v = match m.below(4) {
                        0 => Value::String("llama".into()),
                        1 => Value::U64(m.interesting()),
                        2 => Value::Array(vec![]),
                        _ => Value::F32(f32::NAN),
                    };
                    file.metadata[i].1 = v;
                }
            }
            6 if n_tensors > 0 => {
                let t = m.below(n_tensors);
                let dims = &mut file.tensors[t].dims;
                match m.below(4) {
                    0 if !dims.is_empty() => {
                        let k = m.below(dims.len());
                        dims[k] = m.interesting();
                    }
                    1 => dims.reverse(),
                    2 => dims.push(1 + m.below(3) as u64),
                    _ => {
                        dims.pop();
                    }
                }
            }
            7 if n_tensors > 0 => {
                let t = m.below(n_tensors);
                file.tensors[t].ty = [0, 1, 2, 3, 8, 30, 4, 31][m.below(8)];
            }
            8 if n_tensors > 0 => {
                let t = m.below(n_tensors);
                match m.below(3) {
                    0 => file.tensors[t].offset = Some(m.interesting()),
                    1 => {
                        let len = file.tensors[t].data.len();
                        let cut = m.below(len + 1);
                        file.tensors[t].data.truncate(cut);
                    }
                    _ => {
                        let data = &mut file.tensors[t].data;
                        for _ in 0..1 + m.below(8) {
                            if !data.is_empty() {
                                let k = m.below(data.len());
                                data[k] = m.rng().random();
                            }
                        }
                    }
                }
            }
            _ if n_tensors > 0 => {
                let t = m.below(n_tensors);
                if m.chance(0.5) {
                    file.tensors.remove(t);
                } else {
                    let dup = file.tensors[t].clone();
                    file.tensors.push(dup);
                }
            }
            _ => {}
        }
    }
    Some(file.bytes())
}

/// Runs a built tokenizer over the sample texts, chat messages and odd ids.
fn exercise_tokenizer(tok: &GgufTokenizer) {
    for text in TEXTS {
        if let Ok(ids) = tok.encode_text(text) {
            let _ = tok.decode(&ids);
        }
        let _ = tok.encode(text);
    }
    let chat = Prompt::Chat(vec![
        inherit_core::ChatMessage::system("Be brief."),
        inherit_core::ChatMessage::user("Write about <|im_start|>Mei."),
        inherit_core::ChatMessage::new("<|im_end|>", "odd role"),
    ]);
    let _ = tok.encode_prompt(&chat);
    let _ = tok.encode_prompt(&Prompt::Raw("raw text".into()));
    let _ = tok.decode(&[0, 1, 2, u32::MAX, tok.eos_id()]);
    for id in [0, 1, tok.eos_id(), u32::MAX] {
        let _ = tok.token(id);
    }
}

/// GGUF bytes → reader → every tensor dequantised → tokenizer → llama config → the
/// SmolLM2 loader, then scoring and a few generated tokens. Inputs that get past the
/// tokenizer or the config join the corpus (a file that only parses is not kept: the
/// corpus leans to inputs that reach the model).
pub fn gguf(case: &Case<'_>) -> Verdict {
    let path = case.write("model.gguf");
    let Ok(gguf) = Gguf::parse(&path, case.bytes.to_vec()) else {
        return Verdict::Rejected;
    };
    for name in gguf.tensors.keys().take(64) {
        let _ = gguf.dequantize(name);
    }
    let tokenizer = GgufTokenizer::from_gguf(&gguf);
    let config = LlamaConfig::from_gguf(&gguf);
    drop(gguf);
    if tokenizer.is_ok() {
        note("tokenizer built");
    }
    if config.is_ok() {
        note("llama config read");
    }
    if let (Ok(_), Ok(_)) = (&tokenizer, &config)
        && let Ok(lm) = SmolLm::load(&path, &Device::flex())
    {
        note("model loaded");
        let texts: Vec<String> = TEXTS.iter().map(|t| (*t).to_owned()).collect();
        if lm.score_texts(&texts).is_ok() {
            note("texts scored");
        }
        let params = GenerationParams {
            max_tokens: 3,
            temperature: 0.7,
            ..GenerationParams::default()
        };
        let _ = lm.generate(
            &[Prompt::user("Hi <|im_end|>"), Prompt::Raw(String::new())],
            &params,
        );
    }
    if tokenizer.is_ok() || config.is_ok() {
        Verdict::Accepted
    } else {
        Verdict::Rejected
    }
}

/// GGUF bytes → reader → tokenizer (and its chat template) → encode / decode.
pub fn gguf_tokenizer(case: &Case<'_>) -> Verdict {
    let Ok(gguf) = Gguf::parse("tokenizer.gguf", case.bytes.to_vec()) else {
        return Verdict::Rejected;
    };
    if let Some(Value::String(t)) = gguf.metadata.get("tokenizer.chat_template")
        && let Ok(template) = ChatTemplate::parse(t)
    {
        let msgs = [inherit_core::ChatMessage::user("hi")];
        let _ = template.render(&msgs);
    }
    match GgufTokenizer::from_gguf(&gguf) {
        Ok(tok) => {
            exercise_tokenizer(&tok);
            Verdict::Accepted
        }
        Err(_) => Verdict::Rejected,
    }
}

/// BERT `config.json` keys.
pub const BERT_DICT: &[&[u8]] = &[
    b"vocab_size",
    b"hidden_size",
    b"num_hidden_layers",
    b"num_attention_heads",
    b"intermediate_size",
    b"max_position_embeddings",
    b"type_vocab_size",
    b"layer_norm_eps",
    b"hidden_act",
    b"gelu",
    b"dtype",
    b"shape",
    b"data_offsets",
    b"F32",
    b"F16",
    b"BF16",
    b"I64",
    b"embeddings.word_embeddings.weight",
    b"encoder.layer.0.attention.self.query.weight",
    b"encoder.layer.1.attention.self.query.weight",
    b"__metadata__",
];

fn bert_folder(case: &Case<'_>, config: &[u8], weights: &[u8]) -> Verdict {
    case.write_other("config.json", config);
    case.write_other("model.safetensors", weights);
    let Ok(cfg) = read_config(case.dir) else {
        return Verdict::Rejected;
    };
    note("config read");
    match load_weights(case.dir, &cfg, &Device::flex()) {
        Ok(_) => {
            note("weights loaded");
            Verdict::Accepted
        }
        Err(_) => Verdict::Rejected,
    }
}

/// A BERT `config.json` (with the tiny BERT's weights).
pub fn bert_config(case: &Case<'_>) -> Verdict {
    static WEIGHTS: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let weights = WEIGHTS.get_or_init(crate::seeds::tiny_bert_safetensors);
    bert_folder(case, case.bytes, weights)
}

/// A BERT `model.safetensors` (with the tiny BERT's config).
pub fn safetensors(case: &Case<'_>) -> Verdict {
    static CONFIG: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let config = CONFIG.get_or_init(crate::seeds::tiny_bert_config);
    bert_folder(case, config, case.bytes)
}
