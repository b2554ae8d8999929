//! A BERT folder whose `config.json` disagrees with its `model.safetensors` is a typed
//! error naming the field, found from the safetensors header before the model is
//! allocated (a `vocab_size` of 10^11 used to abort on allocation, a `hidden_size` of 0
//! to panic).

use std::path::Path;

use inherit_pretrained::Device;
use inherit_pretrained::Error;
use inherit_pretrained::bert::{load_weights, read_config};
use serde_json::{Value, json};

const VOCAB: u64 = 10;
const D: u64 = 4;
const FF: u64 = 8;
const POS: u64 = 16;

fn config() -> Value {
    json!({
        "vocab_size": VOCAB, "hidden_size": D, "num_hidden_layers": 1,
        "num_attention_heads": 2, "intermediate_size": FF,
        "max_position_embeddings": POS, "type_vocab_size": 2,
        "layer_norm_eps": 1e-12, "hidden_act": "gelu"
    })
}

/// The tensors of a one-layer BERT of the sizes above, as (name, shape).
fn tensors() -> Vec<(String, Vec<u64>)> {
    let mut t = vec![
        ("embeddings.word_embeddings.weight".into(), vec![VOCAB, D]),
        ("embeddings.position_embeddings.weight".into(), vec![POS, D]),
        ("embeddings.token_type_embeddings.weight".into(), vec![2, D]),
        ("embeddings.LayerNorm.weight".into(), vec![D]),
        ("embeddings.LayerNorm.bias".into(), vec![D]),
    ];
    let l = "encoder.layer.0";
    for (part, shape) in [
        ("attention.self.query", vec![D, D]),
        ("attention.self.key", vec![D, D]),
        ("attention.self.value", vec![D, D]),
        ("attention.output.dense", vec![D, D]),
        ("intermediate.dense", vec![FF, D]),
        ("output.dense", vec![D, FF]),
    ] {
        t.push((format!("{l}.{part}.bias"), vec![shape[0]]));
        t.push((format!("{l}.{part}.weight"), shape));
    }
    for norm in ["attention.output.LayerNorm", "output.LayerNorm"] {
        t.push((format!("{l}.{norm}.weight"), vec![D]));
        t.push((format!("{l}.{norm}.bias"), vec![D]));
    }
    t
}

/// Writes an F32 safetensors file of zeros (LayerNorm weights of ones).
fn write_safetensors(path: &Path, tensors: &[(String, Vec<u64>)]) {
    let mut header = serde_json::Map::new();
    let mut data: Vec<u8> = Vec::new();
    for (name, shape) in tensors {
        let n: u64 = shape.iter().product();
        let start = data.len() as u64;
        let value = if name.contains("LayerNorm.weight") {
            1.0f32
        } else {
            0.0
        };
        for _ in 0..n {
            data.extend(value.to_le_bytes());
        }
        header.insert(
            name.clone(),
            json!({"dtype": "F32", "shape": shape, "data_offsets": [start, data.len()]}),
        );
    }
    let header = serde_json::to_vec(&Value::Object(header)).unwrap();
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend(header);
    bytes.extend(data);
    std::fs::write(path, bytes).unwrap();
}

fn folder(config: &Value) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.json"),
        serde_json::to_vec(config).unwrap(),
    )
    .unwrap();
    write_safetensors(&dir.path().join("model.safetensors"), &tensors());
    dir
}

/// The error of loading a folder with `config.json` changed by `patch`.
fn load_error(patch: (&str, Value)) -> String {
    let mut c = config();
    c[patch.0] = patch.1.clone();
    let dir = folder(&c);
    let err = read_config(dir.path())
        .and_then(|config| load_weights(dir.path(), &config, &Device::flex()).map(|_| ()));
    match err {
        Err(e @ Error::Weights { .. }) => e.to_string(),
        other => panic!("{patch:?}: expected a weights error, got {other:?}"),
    }
}

#[test]
fn a_matching_folder_loads() {
    let dir = folder(&config());
    let config = read_config(dir.path()).unwrap();
    load_weights(dir.path(), &config, &Device::flex()).unwrap();
}

/// Regression: `vocab_size: 100000000000` aborted the process allocating the embedding,
/// `hidden_size: 0` panicked; every size is now checked against the weights first.
#[test]
fn config_sizes_are_checked_against_the_weights_before_allocating() {
    for (field, value, expect) in [
        ("vocab_size", json!(100_000_000_000u64), "vocab_size"),
        ("vocab_size", json!(VOCAB + 1), "vocab_size"),
        ("hidden_size", json!(0), "hidden_size"),
        ("hidden_size", json!(8), "hidden_size"),
        ("intermediate_size", json!(FF * 2), "intermediate_size"),
        (
            "max_position_embeddings",
            json!(1u64 << 40),
            "max_position_embeddings",
        ),
        ("type_vocab_size", json!(0), "type_vocab_size"),
        ("num_hidden_layers", json!(0), "num_hidden_layers"),
        ("num_hidden_layers", json!(2), "encoder.layer.1"),
        ("num_hidden_layers", json!(1u64 << 30), "num_hidden_layers"),
        ("num_attention_heads", json!(3), "num_attention_heads"),
        ("layer_norm_eps", json!(-1.0), "layer_norm_eps"),
    ] {
        let msg = load_error((field, value.clone()));
        assert!(msg.contains(expect), "{field} = {value}: {msg}");
    }
}

/// A safetensors header that lies about its length or its tensors' bytes is an error.
#[test]
fn a_lying_safetensors_header_is_an_error() {
    let dir = folder(&config());
    let path = dir.path().join("model.safetensors");
    let good = std::fs::read(&path).unwrap();
    let config = read_config(dir.path()).unwrap();
    let mut bad = good.clone();
    bad[..8].copy_from_slice(&(1u64 << 60).to_le_bytes());
    std::fs::write(&path, &bad).unwrap();
    let msg = load_weights(dir.path(), &config, &Device::flex())
        .err()
        .unwrap()
        .to_string();
    assert!(msg.contains("header"), "{msg}");
    std::fs::write(&path, &good[..good.len() - 4]).unwrap();
    let msg = load_weights(dir.path(), &config, &Device::flex())
        .err()
        .unwrap()
        .to_string();
    assert!(msg.contains("data bytes"), "{msg}");
}
