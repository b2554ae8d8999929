//! LoRA adapters as PEFT's files: `adapter_config.json` and `adapter_model.safetensors`.
//!
//! The tensor names are those PEFT writes for a `LlamaForCausalLM` (the adapter name
//! stripped): `base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight` (`[r,
//! in]`, float32) and `....lora_B.weight` (`[out, r]`), for `q_proj`, `k_proj`, `v_proj`,
//! `o_proj` under `self_attn` and `gate_proj`, `up_proj`, `down_proj` under `mlp`. So an
//! adapter trained here loads with `PeftModel.from_pretrained(base, dir)`, and one trained
//! with PEFT (plain LoRA on these projections) loads here.
//!
//! Both files come from the user and are untrusted: [`load`] checks the configuration
//! (PEFT features this crate does not implement, such as DoRA, rsLoRA, biases or
//! per-module ranks, are errors, not silently ignored), every tensor's name, dtype and
//! shape against the base model, and that the tensors are exactly those the
//! configuration announces. Files are written atomically (temporary file, then rename);
//! the same adapters always give the same bytes.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use burn::tensor::Device;
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::gguf::f16_to_f32;
use crate::llama::LlamaConfig;
use crate::lora::{BlockLora, LoraAdapters, LoraLinear};
use crate::lora_config::{LayerSelection, LoraConfig, LoraTarget, MAX_RANK};

/// The configuration file's name.
pub const CONFIG_FILE: &str = "adapter_config.json";
/// The weights file's name.
pub const WEIGHTS_FILE: &str = "adapter_model.safetensors";
/// Largest accepted `adapter_config.json` (PEFT writes about 1 KiB).
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Adapters read from PEFT files, with the base model the files name (if any).
#[derive(Debug)]
pub struct LoadedAdapter {
    /// The adapters.
    pub adapters: LoraAdapters,
    /// `base_model_name_or_path` of the configuration.
    pub base_model: Option<String>,
}

/// The PEFT tensor name of one factor (`"A"` or `"B"`).
pub fn tensor_name(layer: usize, target: LoraTarget, factor: &str) -> String {
    format!(
        "base_model.model.model.layers.{layer}.{}.{}.lora_{factor}.weight",
        target.parent(),
        target.peft_name()
    )
}

/// Writes `adapters` into `dir` (created if needed) as PEFT files, naming `base_model`
/// as `base_model_name_or_path`.
pub fn save(
    dir: impl AsRef<Path>,
    adapters: &LoraAdapters,
    base_model: Option<&str>,
) -> Result<()> {
    let dir = dir.as_ref();
    let (config, weights) = to_bytes(adapters, base_model)?;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    inherit_core::io::write_atomic(dir.join(WEIGHTS_FILE), &weights)?;
    inherit_core::io::write_atomic(dir.join(CONFIG_FILE), &config)?;
    Ok(())
}

/// The bytes [`save`] writes: `(adapter_config.json, adapter_model.safetensors)`.
pub fn to_bytes(adapters: &LoraAdapters, base_model: Option<&str>) -> Result<(Vec<u8>, Vec<u8>)> {
    let c = &adapters.config;
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    for (i, block) in adapters.layers.iter().enumerate() {
        let Some(block) = block else { continue };
        for t in LoraTarget::ALL {
            let Some(l) = block.get(t) else { continue };
            let (a, b) = l.to_peft()?;
            let (d_in, d_out) = (l.a.dims()[0], l.b.dims()[1]);
            tensors.push((tensor_name(i, t, "A"), vec![c.rank, d_in], le_bytes(&a)));
            tensors.push((tensor_name(i, t, "B"), vec![d_out, c.rank], le_bytes(&b)));
        }
    }
    let views = tensors
        .iter()
        .map(|(name, shape, data)| {
            TensorView::new(Dtype::F32, shape.clone(), data)
                .map(|v| (name.clone(), v))
                .map_err(|e| Error::Backend(format!("safetensors view of {name}: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let metadata = HashMap::from([("format".to_owned(), "pt".to_owned())]);
    let weights = safetensors::serialize(views, Some(metadata))
        .map_err(|e| Error::Backend(format!("serializing the adapter: {e}")))?;
    let config = config_json(c, &adapters.adapted_layers(), base_model);
    let mut text = serde_json::to_string_pretty(&config)
        .map_err(|e| Error::Backend(format!("adapter config: {e}")))?;
    text.push('\n');
    Ok((text.into_bytes(), weights))
}

/// The sha256 (lowercase hex) of the adapter's files without a base model name: equal
/// adapters, equal fingerprints.
pub fn fingerprint(adapters: &LoraAdapters) -> Result<String> {
    use sha2::{Digest, Sha256};
    let (config, weights) = to_bytes(adapters, None)?;
    let mut h = Sha256::new();
    h.update((config.len() as u64).to_le_bytes());
    h.update(&config);
    h.update(&weights);
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// PEFT's `adapter_config.json` for `config` (keys in PEFT's spelling).
fn config_json(c: &LoraConfig, layers: &[usize], base_model: Option<&str>) -> Value {
    let targets: Vec<&str> = c.targets.iter().map(|t| t.peft_name()).collect();
    let layers_to_transform = match c.layers {
        LayerSelection::All => Value::Null,
        _ => json!(layers),
    };
    json!({
        "alpha_pattern": {},
        "base_model_name_or_path": base_model,
        "bias": "none",
        "fan_in_fan_out": false,
        "inference_mode": true,
        "init_lora_weights": true,
        "layers_pattern": null,
        "layers_to_transform": layers_to_transform,
        "lora_alpha": c.alpha,
        "lora_dropout": c.dropout,
        "modules_to_save": null,
        "peft_type": "LORA",
        "r": c.rank,
        "rank_pattern": {},
        "target_modules": targets,
        "task_type": "CAUSAL_LM",
        "use_dora": false,
        "use_rslora": false
    })
}

/// Reads PEFT files from `dir` for a base model of shape `model`, onto `device`.
pub fn load(dir: impl AsRef<Path>, model: &LlamaConfig, device: &Device) -> Result<LoadedAdapter> {
    let dir = dir.as_ref();
    let config_path = dir.join(CONFIG_FILE);
    let (config, base_model) = read_config(&config_path, model)?;
    let layers = config
        .layers
        .indices(model.n_layers)
        .map_err(|e| Error::weights(&config_path, e.to_string()))?;
    let weights_path = dir.join(WEIGHTS_FILE);
    let bad = |m: String| Error::weights(&weights_path, m);
    // The largest honest file: every factor in float32, plus a generous header.
    let expected: u64 = layers.len() as u64
        * config
            .targets
            .iter()
            .map(|t| {
                let (i, o) = t.dims(model);
                4 * (config.rank * (i + o)) as u64
            })
            .sum::<u64>();
    let len = std::fs::metadata(&weights_path)
        .map_err(|e| Error::io(&weights_path, e))?
        .len();
    if len > expected + (1 << 20) {
        return Err(bad(format!(
            "{len} bytes, more than the {expected} bytes of float32 factors the configuration announces"
        )));
    }
    let bytes = inherit_core::io::read_regular(&weights_path)?;
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| bad(format!("not a safetensors file: {e}")))?;
    let mut found: BTreeMap<(usize, LoraTarget, char), TensorView<'_>> = BTreeMap::new();
    for (name, view) in st.tensors() {
        let (layer, target, factor) = parse_name(&name).ok_or_else(|| {
            bad(format!(
                "tensor `{name}` is not a LoRA factor of a llama projection"
            ))
        })?;
        if !layers.contains(&layer) || !config.targets.contains(&target) {
            return Err(bad(format!(
                "tensor `{name}` adapts layer {layer} {target}, which the configuration does not select"
            )));
        }
        found.insert((layer, target, factor), view);
    }
    let mut blocks: Vec<Option<BlockLora>> = (0..model.n_layers).map(|_| None).collect();
    for &layer in &layers {
        let mut block = BlockLora::empty();
        for &t in &config.targets {
            let (d_in, d_out) = t.dims(model);
            let a = factor(&found, layer, t, 'A', [config.rank, d_in], &weights_path)?;
            let b = factor(&found, layer, t, 'B', [d_out, config.rank], &weights_path)?;
            block.set(
                t,
                LoraLinear::from_peft(&a, &b, config.rank, d_in, d_out, device),
            );
        }
        blocks[layer] = Some(block);
    }
    Ok(LoadedAdapter {
        adapters: LoraAdapters {
            config,
            layers: blocks,
        },
        base_model,
    })
}

/// One factor's values, checked: present, float, of shape `shape`, finite.
fn factor(
    found: &BTreeMap<(usize, LoraTarget, char), TensorView<'_>>,
    layer: usize,
    target: LoraTarget,
    which: char,
    shape: [usize; 2],
    path: &Path,
) -> Result<Vec<f32>> {
    let name = tensor_name(layer, target, &which.to_string());
    let bad = |m: String| Error::weights(path, format!("tensor `{name}`: {m}"));
    let view = found
        .get(&(layer, target, which))
        .ok_or_else(|| Error::weights(path, format!("tensor `{name}` is missing")))?;
    if view.shape() != shape {
        return Err(bad(format!("shape {:?}, expected {shape:?}", view.shape())));
    }
    let data = view.data();
    let values: Vec<f32> = match view.dtype() {
        Dtype::F32 => data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        Dtype::F16 => data
            .chunks_exact(2)
            .map(|b| f16_to_f32(u16::from_le_bytes([b[0], b[1]])))
            .collect(),
        Dtype::BF16 => data
            .chunks_exact(2)
            .map(|b| f32::from_bits(u32::from(u16::from_le_bytes([b[0], b[1]])) << 16))
            .collect(),
        other => return Err(bad(format!("dtype {other:?} (expected F32, F16 or BF16)"))),
    };
    if values.iter().any(|v| !v.is_finite()) {
        return Err(bad("holds a non-finite value".into()));
    }
    Ok(values)
}

/// `(layer, projection, 'A' | 'B')` of a PEFT llama LoRA tensor name.
fn parse_name(name: &str) -> Option<(usize, LoraTarget, char)> {
    let rest = name.strip_prefix("base_model.model.model.layers.")?;
    let (layer, rest) = rest.split_once('.')?;
    if layer.is_empty() || !layer.bytes().all(|b| b.is_ascii_digit()) || layer.len() > 6 {
        return None;
    }
    let (parent, rest) = rest.split_once('.')?;
    let (proj, rest) = rest.split_once('.')?;
    let target: LoraTarget = proj.parse().ok()?;
    if target.parent() != parent {
        return None;
    }
    let which = match rest {
        "lora_A.weight" => 'A',
        "lora_B.weight" => 'B',
        _ => return None,
    };
    Some((layer.parse().ok()?, target, which))
}

/// Reads and checks `adapter_config.json`.
fn read_config(path: &PathBuf, model: &LlamaConfig) -> Result<(LoraConfig, Option<String>)> {
    let bad = |m: String| Error::weights(path, m);
    let len = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    if len > MAX_CONFIG_BYTES {
        return Err(bad(format!("{len} bytes, more than {MAX_CONFIG_BYTES}")));
    }
    let text = inherit_core::io::read_regular_string(path)?;
    let v: Value = serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let obj = v
        .as_object()
        .ok_or_else(|| bad("not a JSON object".into()))?;
    let get = |k: &str| obj.get(k).filter(|v| !v.is_null());
    // Settings this crate does not implement must be at their neutral value.
    if let Some(t) = get("peft_type")
        && t != "LORA"
    {
        return Err(bad(format!("peft_type {t} is not LORA")));
    }
    for (key, neutral) in [
        ("use_dora", json!(false)),
        ("use_rslora", json!(false)),
        ("fan_in_fan_out", json!(false)),
        ("bias", json!("none")),
    ] {
        if let Some(v) = get(key)
            && *v != neutral
        {
            return Err(bad(format!(
                "`{key}` = {v} is not supported (only {neutral})"
            )));
        }
    }
    for key in ["rank_pattern", "alpha_pattern"] {
        if get(key).is_some_and(|v| v.as_object().is_none_or(|o| !o.is_empty())) {
            return Err(bad(format!(
                "`{key}` (per-module ranks or alphas) is not supported"
            )));
        }
    }
    if get("modules_to_save").is_some_and(|v| v.as_array().is_none_or(|a| !a.is_empty())) {
        return Err(bad(
            "`modules_to_save` (fully trained modules) is not supported".into(),
        ));
    }
    if let Some(p) = get("layers_pattern")
        && p != "layers"
        && p != &json!(["layers"])
    {
        return Err(bad(format!("`layers_pattern` {p} is not `layers`")));
    }
    let rank = get("r")
        .and_then(Value::as_u64)
        .filter(|r| (1..=MAX_RANK as u64).contains(r))
        .ok_or_else(|| bad(format!("`r` must be an integer in 1..={MAX_RANK}")))?
        as usize;
    let alpha = match get("lora_alpha") {
        None => 8.0, // PEFT's default
        Some(a) => a
            .as_f64()
            .ok_or_else(|| bad(format!("`lora_alpha` {a} is not a number")))?,
    };
    let dropout = match get("lora_dropout") {
        None => 0.0,
        Some(d) => d
            .as_f64()
            .ok_or_else(|| bad(format!("`lora_dropout` {d} is not a number")))?,
    };
    let targets = match get("target_modules") {
        Some(Value::String(s)) if s == "all-linear" => LoraTarget::ALL.to_vec(),
        Some(Value::Array(names)) => names
            .iter()
            .map(|n| {
                n.as_str()
                    .ok_or_else(|| bad(format!("target module {n} is not a string")))?
                    .parse::<LoraTarget>()
                    .map_err(|e| bad(e.to_string()))
            })
            .collect::<Result<Vec<_>>>()?,
        Some(other) => {
            return Err(bad(format!(
                "`target_modules` {other} is neither a list of projection names nor \"all-linear\""
            )));
        }
        None => return Err(bad("`target_modules` is missing".into())),
    };
    let layers = match get("layers_to_transform") {
        None => LayerSelection::All,
        Some(Value::Number(n)) => LayerSelection::Only(vec![as_layer(n, &bad)?]),
        Some(Value::Array(items)) => {
            let mut v = items
                .iter()
                .map(|i| match i {
                    Value::Number(n) => as_layer(n, &bad),
                    other => Err(bad(format!("layer {other} is not an integer"))),
                })
                .collect::<Result<Vec<_>>>()?;
            v.sort_unstable();
            let n = model.n_layers;
            let k = v.len();
            if k > 0 && k <= n && v.iter().copied().eq(n - k..n) {
                LayerSelection::Top(k)
            } else {
                LayerSelection::Only(v)
            }
        }
        Some(other) => {
            return Err(bad(format!(
                "`layers_to_transform` {other} is not a list of layers"
            )));
        }
    };
    let config = LoraConfig {
        rank,
        alpha,
        dropout,
        targets,
        layers,
    };
    config.check().map_err(|e| bad(e.to_string()))?;
    let base_model = get("base_model_name_or_path")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok((config, base_model))
}

fn as_layer(n: &serde_json::Number, bad: &dyn Fn(String) -> Error) -> Result<usize> {
    n.as_u64()
        .filter(|&i| i < 1 << 20)
        .map(|i| i as usize)
        .ok_or_else(|| bad(format!("layer {n} is not a layer index")))
}

fn le_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensor_names_parse_back() {
        for t in LoraTarget::ALL {
            for f in ['A', 'B'] {
                let name = tensor_name(17, t, &f.to_string());
                assert_eq!(parse_name(&name), Some((17, t, f)), "{name}");
            }
        }
        assert_eq!(
            tensor_name(3, LoraTarget::QProj, "A"),
            "base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight"
        );
        assert_eq!(
            tensor_name(0, LoraTarget::DownProj, "B"),
            "base_model.model.model.layers.0.mlp.down_proj.lora_B.weight"
        );
        for bad in [
            "base_model.model.model.layers.3.mlp.q_proj.lora_A.weight",
            "base_model.model.model.layers.x.self_attn.q_proj.lora_A.weight",
            "base_model.model.model.layers.3.self_attn.q_proj.lora_A.default.weight",
            "base_model.model.lm_head.lora_A.weight",
            "base_model.model.model.layers.99999999999.self_attn.q_proj.lora_A.weight",
        ] {
            assert_eq!(parse_name(bad), None, "{bad}");
        }
    }
}
