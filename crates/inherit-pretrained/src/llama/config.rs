//! [`LlamaConfig`]: the architecture's hyper-parameters, read and bounds-checked from a
//! GGUF file's `{arch}.*` metadata.

use crate::error::{Error, Result};
use crate::gguf::Gguf;

/// Largest accepted `embedding_length` and head counts (Llama 3.1 405B: 16384).
pub const MAX_WIDTH: u64 = 1 << 16;
/// Largest accepted `feed_forward_length` (Llama 3.1 405B: 53248).
pub const MAX_FF: u64 = 1 << 18;
/// Largest accepted `block_count` (Llama 3.1 405B: 126).
pub const MAX_LAYERS: u64 = 1 << 10;
/// Largest accepted vocabulary (Gemma: 256000).
pub const MAX_VOCAB: u64 = 1 << 22;
/// Largest accepted `context_length` (Llama 3.1: 131072).
pub const MAX_CONTEXT: u64 = 1 << 24;

/// Architecture hyper-parameters, read from `{arch}.*` GGUF metadata.
///
/// [`LlamaConfig::from_gguf`] checks every size against the bounds above (and against 0),
/// the head counts against the width, the tokenizer's vocabulary against the embedding
/// rows and the embedding's shape, so a crafted file gives [`Error::Weights`], never a
/// division by zero, an aborted allocation or an out-of-range token id.
#[derive(Debug, Clone, PartialEq)]
pub struct LlamaConfig {
    /// Vocabulary size.
    pub vocab: usize,
    /// Width of the residual stream.
    pub d_model: usize,
    /// Number of decoder blocks.
    pub n_layers: usize,
    /// Attention (query) heads.
    pub n_heads: usize,
    /// Key/value heads (grouped-query attention: `n_heads` is a multiple).
    pub n_kv_heads: usize,
    /// Width of the feed-forward layer.
    pub d_ff: usize,
    /// RMSNorm epsilon.
    pub rms_eps: f64,
    /// RoPE frequency base.
    pub rope_base: f64,
    /// Longest context the model was trained for.
    pub context: usize,
}

impl LlamaConfig {
    /// Reads the configuration of a `general.architecture = llama` file.
    pub fn from_gguf(gguf: &Gguf) -> Result<Self> {
        let arch = gguf.get_str("general.architecture")?;
        if arch != "llama" {
            return Err(Error::weights(
                gguf.path(),
                format!("architecture `{arch}` is not llama"),
            ));
        }
        let bad = |m: String| Error::weights(gguf.path(), m);
        // Every size must be at least 1 and at most its bound (far above any released
        // llama model): a 0 divides by zero later, a huge one aborts an allocation.
        let sized = |k: &str, max: u64| -> Result<usize> {
            let key = format!("llama.{k}");
            let v = gguf.get_u64(&key)?;
            if v == 0 || v > max {
                return Err(bad(format!("`{key}` = {v} is outside 1..={max}")));
            }
            usize::try_from(v).map_err(|_| bad(format!("`{key}` = {v} does not fit in memory")))
        };
        let d_model = sized("embedding_length", MAX_WIDTH)?;
        let n_heads = sized("attention.head_count", MAX_WIDTH)?;
        let n_kv_heads = match gguf.metadata.get("llama.attention.head_count_kv") {
            Some(_) => sized("attention.head_count_kv", MAX_WIDTH)?,
            None => n_heads,
        };
        let tokens = gguf
            .metadata
            .get("tokenizer.ggml.tokens")
            .and_then(|v| v.as_array())
            .map(<[_]>::len);
        let vocab = match gguf.metadata.get("llama.vocab_size") {
            Some(_) => sized("vocab_size", MAX_VOCAB)?,
            None => match tokens {
                Some(n) if n > 0 && n as u64 <= MAX_VOCAB => n,
                Some(n) => {
                    return Err(bad(format!(
                        "the tokenizer has {n} tokens, outside 1..={MAX_VOCAB}"
                    )));
                }
                None => {
                    return Err(bad(
                        "neither `llama.vocab_size` nor `tokenizer.ggml.tokens` gives the \
                         vocabulary size"
                            .into(),
                    ));
                }
            },
        };
        if let Some(n) = tokens
            && n > vocab
        {
            return Err(bad(format!(
                "the tokenizer has {n} tokens but the model only {vocab} embedding rows: \
                 token ids past {} would index outside the embedding",
                vocab - 1
            )));
        }
        let rms_eps = gguf.get_f64("llama.attention.layer_norm_rms_epsilon")?;
        if !(rms_eps.is_finite() && rms_eps > 0.0 && rms_eps < 1.0) {
            return Err(bad(format!(
                "`llama.attention.layer_norm_rms_epsilon` = {rms_eps} is not in (0, 1)"
            )));
        }
        let rope_base = gguf.get_f64("llama.rope.freq_base").unwrap_or(10_000.0);
        if !(rope_base.is_finite() && rope_base > 1.0) {
            return Err(bad(format!(
                "`llama.rope.freq_base` = {rope_base} is not a finite number above 1"
            )));
        }
        let config = LlamaConfig {
            vocab,
            d_model,
            n_layers: sized("block_count", MAX_LAYERS)?,
            n_heads,
            n_kv_heads,
            d_ff: sized("feed_forward_length", MAX_FF)?,
            rms_eps,
            rope_base,
            context: sized("context_length", MAX_CONTEXT)?,
        };
        if d_model % n_heads != 0 || n_heads % n_kv_heads != 0 {
            return Err(bad(format!(
                "{n_heads} heads / {n_kv_heads} KV heads do not divide width {d_model}"
            )));
        }
        if !config.head_dim().is_multiple_of(2) {
            return Err(bad("head width must be even for RoPE".into()));
        }
        if let Some(v) = gguf.metadata.get("llama.rope.dimension_count") {
            let rope_dims = v.as_u64();
            if rope_dims != Some(config.head_dim() as u64) {
                return Err(bad(format!(
                    "partial RoPE ({v:?} of {} dims) is not supported",
                    config.head_dim()
                )));
            }
        }
        // The embedding must have the shape the config implies, checked before anything
        // is allocated.
        let embd = gguf.info("token_embd.weight")?;
        if embd.dims != [d_model as u64, vocab as u64] {
            return Err(bad(format!(
                "tensor `token_embd.weight` has dims {:?}, expected [{d_model}, {vocab}] \
                 (embedding_length, vocabulary)",
                embd.dims
            )));
        }
        Ok(config)
    }

    /// Width of one attention head.
    pub fn head_dim(&self) -> usize {
        self.d_model / self.n_heads
    }
}
