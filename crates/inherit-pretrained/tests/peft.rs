//! PEFT adapter files: PEFT's names and shapes, byte-identical round trips, seeded bytes,
//! and typed errors for files that do not fit the model or use unsupported features.

use std::path::Path;

use burn::tensor::Device;
use inherit_pretrained::llama::{Arch, LlamaConfig};
use inherit_pretrained::lora::LoraLinear;
use inherit_pretrained::peft::{self, CONFIG_FILE, WEIGHTS_FILE};
use inherit_pretrained::{Error, LayerSelection, LoraAdapters, LoraConfig, LoraTarget};

/// SmolLM2-135M's shape (`llama.*` metadata of its GGUF).
fn smollm2() -> LlamaConfig {
    LlamaConfig {
        vocab: 49152,
        d_model: 576,
        n_layers: 30,
        n_heads: 9,
        n_kv_heads: 3,
        d_ff: 1536,
        rms_eps: 1e-5,
        rope_base: 100_000.0,
        context: 8192,
        arch: Arch::Llama,
        rope_freq_scale: 1.0,
    }
}

/// Adapters with nonzero `B` (a function of the position), so a round trip is a real test.
fn trained(config: &LoraConfig, model: &LlamaConfig, seed: u64) -> LoraAdapters {
    let device = Device::flex();
    let mut adapters = LoraAdapters::init(config, model, seed, &device).unwrap();
    for (i, block) in adapters.layers.iter_mut().enumerate() {
        let Some(block) = block else { continue };
        for t in LoraTarget::ALL {
            let Some(l) = block.get(t) else { continue };
            let (a, b) = l.to_peft().unwrap();
            let b: Vec<f32> = (0..b.len())
                .map(|j| ((i * 31 + j * 7) % 97) as f32 * 1e-3 - 0.05)
                .collect();
            let (d_in, d_out) = t.dims(model);
            block.set(
                t,
                LoraLinear::from_peft(&a, &b, config.rank, d_in, d_out, &device),
            );
        }
    }
    adapters
}

fn read(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    (
        std::fs::read(dir.join(CONFIG_FILE)).unwrap(),
        std::fs::read(dir.join(WEIGHTS_FILE)).unwrap(),
    )
}

/// The safetensors header, parsed independently of the writer: name -> (dtype, shape).
fn header(bytes: &[u8]) -> serde_json::Map<String, serde_json::Value> {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    serde_json::from_slice::<serde_json::Value>(&bytes[8..8 + n])
        .unwrap()
        .as_object()
        .unwrap()
        .clone()
}

#[test]
fn files_carry_peft_names_shapes_and_config() {
    let model = smollm2();
    let config = LoraConfig {
        rank: 8,
        alpha: 16.0,
        layers: LayerSelection::Top(2),
        ..Default::default()
    };
    let dir = tempfile::tempdir().unwrap();
    peft::save(
        dir.path(),
        &trained(&config, &model, 1),
        Some("HuggingFaceTB/SmolLM2-135M-Instruct"),
    )
    .unwrap();
    let (json, weights) = read(dir.path());
    let h = header(&weights);
    assert_eq!(h["__metadata__"]["format"], "pt");
    // 2 layers x 7 projections x 2 factors.
    assert_eq!(h.len(), 1 + 28);
    let shape = |name: &str| -> Vec<u64> {
        let e = &h[name];
        assert_eq!(e["dtype"], "F32", "{name}");
        e["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect()
    };
    let p = "base_model.model.model.layers";
    assert_eq!(
        shape(&format!("{p}.28.self_attn.q_proj.lora_A.weight")),
        [8, 576]
    );
    assert_eq!(
        shape(&format!("{p}.28.self_attn.q_proj.lora_B.weight")),
        [576, 8]
    );
    assert_eq!(
        shape(&format!("{p}.29.self_attn.k_proj.lora_B.weight")),
        [192, 8]
    );
    assert_eq!(
        shape(&format!("{p}.29.self_attn.v_proj.lora_A.weight")),
        [8, 576]
    );
    assert_eq!(
        shape(&format!("{p}.29.self_attn.o_proj.lora_B.weight")),
        [576, 8]
    );
    assert_eq!(
        shape(&format!("{p}.29.mlp.gate_proj.lora_B.weight")),
        [1536, 8]
    );
    assert_eq!(
        shape(&format!("{p}.29.mlp.up_proj.lora_A.weight")),
        [8, 576]
    );
    assert_eq!(
        shape(&format!("{p}.29.mlp.down_proj.lora_A.weight")),
        [8, 1536]
    );
    assert!(!h.contains_key(&format!("{p}.27.self_attn.q_proj.lora_A.weight")));
    let c: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(c["peft_type"], "LORA");
    assert_eq!(c["task_type"], "CAUSAL_LM");
    assert_eq!(c["r"], 8);
    assert_eq!(c["lora_alpha"], 16.0);
    assert_eq!(c["layers_to_transform"], serde_json::json!([28, 29]));
    assert_eq!(
        c["target_modules"],
        serde_json::json!([
            "q_proj",
            "k_proj",
            "v_proj",
            "o_proj",
            "gate_proj",
            "up_proj",
            "down_proj"
        ])
    );
    assert_eq!(
        c["base_model_name_or_path"],
        "HuggingFaceTB/SmolLM2-135M-Instruct"
    );
}

#[test]
fn a_loaded_adapter_saves_to_the_same_bytes() {
    let model = smollm2();
    for config in [
        LoraConfig {
            rank: 4,
            targets: vec![LoraTarget::QProj, LoraTarget::VProj, LoraTarget::DownProj],
            layers: LayerSelection::Only(vec![0, 7, 29]),
            ..Default::default()
        },
        LoraConfig {
            rank: 2,
            alpha: 5.0,
            dropout: 0.1,
            layers: LayerSelection::All,
            ..Default::default()
        },
    ] {
        let adapters = trained(&config, &model, 9);
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        peft::save(a.path(), &adapters, None).unwrap();
        let loaded = peft::load(a.path(), &model, &Device::flex()).unwrap();
        assert_eq!(loaded.adapters.config, config);
        assert_eq!(loaded.base_model, None);
        for i in 0..model.n_layers {
            for t in LoraTarget::ALL {
                let get = |x: &LoraAdapters| {
                    x.layers[i]
                        .as_ref()
                        .and_then(|b| b.get(t))
                        .map(|l| l.to_peft().unwrap())
                };
                assert_eq!(get(&loaded.adapters), get(&adapters), "layer {i} {t}");
            }
        }
        peft::save(b.path(), &loaded.adapters, None).unwrap();
        assert_eq!(read(a.path()), read(b.path()));
    }
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let model = smollm2();
    let config = LoraConfig {
        layers: LayerSelection::Top(4),
        ..Default::default()
    };
    let save = |seed| {
        let dir = tempfile::tempdir().unwrap();
        let adapters = LoraAdapters::init(&config, &model, seed, &Device::flex()).unwrap();
        peft::save(dir.path(), &adapters, None).unwrap();
        read(dir.path())
    };
    assert_eq!(save(42), save(42));
    assert_ne!(save(42).1, save(43).1);
}

/// Saves a valid adapter into a fresh folder, lets `edit` damage it and returns the load
/// error.
fn load_error(edit: impl FnOnce(&Path)) -> Error {
    let model = smollm2();
    let config = LoraConfig {
        rank: 2,
        targets: vec![LoraTarget::QProj, LoraTarget::VProj],
        layers: LayerSelection::Top(1),
        ..Default::default()
    };
    let dir = tempfile::tempdir().unwrap();
    peft::save(dir.path(), &trained(&config, &model, 3), None).unwrap();
    edit(dir.path());
    peft::load(dir.path(), &model, &Device::flex()).unwrap_err()
}

fn edit_config(dir: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join(CONFIG_FILE);
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    f(&mut v);
    std::fs::write(path, serde_json::to_vec(&v).unwrap()).unwrap();
}

#[test]
fn untrusted_files_give_typed_errors() {
    let weights_error = |e: Error, want: &str| match &e {
        Error::Weights { message, .. } => {
            assert!(message.contains(want), "{want:?} not in {message}")
        }
        other => panic!("expected a weights error containing {want:?}, got {other:?}"),
    };
    weights_error(
        load_error(|d| edit_config(d, |c| c["use_dora"] = true.into())),
        "use_dora",
    );
    weights_error(
        load_error(|d| edit_config(d, |c| c["bias"] = "all".into())),
        "bias",
    );
    weights_error(load_error(|d| edit_config(d, |c| c["r"] = 0.into())), "`r`");
    weights_error(
        load_error(|d| edit_config(d, |c| c["r"] = 3.into())),
        "shape [2, 576], expected [3, 576]",
    );
    weights_error(
        load_error(|d| {
            edit_config(d, |c| {
                c["target_modules"] = serde_json::json!(["q_proj", "lm_head"])
            })
        }),
        "lm_head",
    );
    weights_error(
        load_error(|d| edit_config(d, |c| c["target_modules"] = serde_json::json!(["q_proj"]))),
        "does not select",
    );
    weights_error(
        load_error(|d| {
            edit_config(d, |c| {
                c["target_modules"] = serde_json::json!(["q_proj", "v_proj", "k_proj"])
            })
        }),
        "k_proj.lora_A.weight` is missing",
    );
    weights_error(
        load_error(|d| edit_config(d, |c| c["layers_to_transform"] = serde_json::json!([30]))),
        "layer 30",
    );
    weights_error(
        load_error(|d| std::fs::write(d.join(CONFIG_FILE), "{").unwrap()),
        "not JSON",
    );
    weights_error(
        load_error(|d| {
            let p = d.join(WEIGHTS_FILE);
            let bytes = std::fs::read(&p).unwrap();
            std::fs::write(&p, &bytes[..bytes.len() - 3]).unwrap();
        }),
        "not a safetensors file",
    );
    weights_error(
        load_error(|d| {
            // The first factor's first value becomes NaN (data starts after the header).
            let p = d.join(WEIGHTS_FILE);
            let mut bytes = std::fs::read(&p).unwrap();
            let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
            bytes[8 + n..8 + n + 4].copy_from_slice(&f32::NAN.to_le_bytes());
            std::fs::write(&p, bytes).unwrap();
        }),
        "non-finite",
    );
    weights_error(
        load_error(|d| {
            let p = d.join(WEIGHTS_FILE);
            let mut bytes = std::fs::read(&p).unwrap();
            bytes.extend(vec![0u8; 4 << 20]);
            std::fs::write(&p, bytes).unwrap();
        }),
        "more than",
    );
    assert!(matches!(
        load_error(|d| std::fs::remove_file(d.join(WEIGHTS_FILE)).unwrap()),
        Error::Core(_)
    ));
}
